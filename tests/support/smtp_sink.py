"""A real SMTP server for the tests, on loopback: aiosmtpd with a handler
that writes each message it accepts to DIR/<n>.eml (written under a
partial name, then renamed, so a reader never sees half a message).
Recipients listed with --refuse get a permanent refusal (550).

    python smtp_sink.py --port PORT --dir DIR [--refuse ADDRESS ...]
"""

import argparse
import asyncio
import itertools
import os

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory, refused):
        self.directory = directory
        self.refused = {address.lower() for address in refused}
        self.numbers = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refused:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        number = next(self.numbers)
        partial = os.path.join(self.directory, f"{number:05}.partial")
        with open(partial, "wb") as out:
            out.write(f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode())
            out.write(envelope.original_content or envelope.content)
        os.rename(partial, os.path.join(self.directory, f"{number:05}.eml"))
        return "250 Message accepted"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--refuse", action="append", default=[])
    args = parser.parse_args()
    controller = Controller(Sink(args.dir, args.refuse), hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    asyncio.run(main())
