#!/usr/bin/env python3
"""Mastodon.py's streaming (`stream_user`, server-sent events) against Maillage.

Driven by the Rust integration test `streaming::mastodon_py_streams_a_mention`:

  mastodon_py_stream.py BASE_URL TOKEN SECONDS
      opens the user stream, prints "ready" once it is connected, then
      prints the first notification it receives as one JSON line and exits.

Exit code 0 on success; no notification within SECONDS exits 1.
"""

import json
import sys
import threading
import time

from mastodon import Mastodon, StreamListener


class FirstNotification(StreamListener):
    def __init__(self):
        super().__init__()
        self.received = None
        self.done = threading.Event()

    def on_notification(self, notification):
        self.received = notification
        self.done.set()


def main(base, token, seconds):
    api = Mastodon(access_token=token, api_base_url=base)
    assert api.stream_healthy(), "the streaming API is not healthy"
    listener = FirstNotification()
    handle = api.stream_user(listener, run_async=True, timeout=int(seconds))
    deadline = time.time() + float(seconds)
    while not handle.is_receiving():
        assert time.time() < deadline, "the stream never connected"
        time.sleep(0.05)
    print("ready", flush=True)
    if not listener.done.wait(timeout=float(seconds)):
        handle.close()
        sys.exit("no notification arrived")
    handle.close()
    notification = listener.received
    print(json.dumps({
        "type": notification["type"],
        "account": notification["account"]["acct"],
        "content": notification["status"]["content"] if notification.get("status") else None,
    }), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
