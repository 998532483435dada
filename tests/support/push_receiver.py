"""A Web Push service and its device in one, for the push tests, written with
another implementation than the server's: the key pair and the VAPID check
with `cryptography`, the payload decrypted with `http_ece` (aes128gcm,
RFC 8291). It listens on loopback and prints one JSON line,
{"port", "p256dh", "auth"}: the keys a subscription registers.

Each POST is answered with the next status of --answers (the last one
repeats; 201 by default) and recorded in DIR/<n>.json: the status answered,
the headers, the VAPID token's claims and whether its signature and
audience hold, and the decrypted payload (or the decryption error).

    python push_receiver.py --dir DIR [--answers 500,201]
"""

import argparse
import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def check_vapid(header, origin):
    """The claims of a `vapid t=…, k=…` header and what holds of them."""
    found = {"header": header}
    if not header or not header.startswith("vapid "):
        found["error"] = "no vapid authorization"
        return found
    params = dict(part.strip().split("=", 1) for part in header[len("vapid "):].split(","))
    token, key = params.get("t", ""), params.get("k", "")
    found["k"] = key
    head, claims, signature = token.split(".")
    found["jwt_header"] = json.loads(b64url_decode(head))
    found["claims"] = json.loads(b64url_decode(claims))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
    raw = b64url_decode(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        found["signature_valid"] = True
    except InvalidSignature:
        found["signature_valid"] = False
    now = time.time()
    exp = found["claims"].get("exp", 0)
    found["aud_matches"] = found["claims"].get("aud") == origin
    found["exp_within_24h"] = now < exp <= now + 24 * 3600
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--answers", default="201")
    args = parser.parse_args()
    answers = [int(a) for a in args.answers.split(",")]
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = os.urandom(16)
    lock = threading.Lock()
    count = [0]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                number = count[0]
                count[0] += 1
            status = answers[min(number, len(answers) - 1)]
            origin = f"http://127.0.0.1:{self.server.server_address[1]}"
            record = {
                "path": self.path,
                "status": status,
                "ttl": self.headers.get("TTL"),
                "urgency": self.headers.get("Urgency"),
                "content_encoding": self.headers.get("Content-Encoding"),
                "vapid": check_vapid(self.headers.get("Authorization", ""), origin),
            }
            try:
                plain = http_ece.decrypt(body, private_key=private, auth_secret=auth, version="aes128gcm")
                record["payload"] = json.loads(plain)
            except Exception as error:  # recorded for the test to report
                record["decrypt_error"] = repr(error)
            partial = os.path.join(args.dir, f"{number:05}.partial")
            with open(partial, "w") as out:
                json.dump(record, out)
            os.rename(partial, os.path.join(args.dir, f"{number:05}.json"))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(json.dumps({"port": server.server_address[1], "p256dh": b64url(public), "auth": b64url(auth)}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
