"""A reference receiver for Order Manager's generic cart protocol (docs/generic-cart-protocol.md).

Standard library only. It checks the signature and the timestamp, drops repeats by idempotency key,
applies the update (here: prints it and keeps it in memory) and answers ``OK``. A real cart script
does the same, replacing ``apply_update`` with its own order-status code and ``SEEN`` with a table.

Run it:  python generic_receiver.py --port 8765 --secret-file /path/to/secret
and set the cart's script URL in Order Manager to http://HOST:8765/ordermanager/status.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_SKEW_SECONDS = 300  # refuse requests signed more than 5 minutes away from our clock
MAX_BODY = 1_000_000

# idempotency key -> the update applied for it. Keep these for at least 7 days in a real cart.
SEEN: dict[str, dict[str, Any]] = {}
SEEN_LOCK = threading.Lock()


def expected_signature(secret: bytes, timestamp: str, body: bytes) -> str:
    return (
        "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )


def apply_update(update: dict[str, Any]) -> None:
    """Your cart's code goes here: set the order's status, add tracking numbers, notify..."""
    order = update["order"]
    print(
        f"order {order['number']} (remote id {order['remote_id']}): {update['event_name']}, "
        f"label {update.get('order_label')!r}, tracking {update['tracking']['numbers']}",
        flush=True,
    )


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: do not delay the second
    secret: bytes = b""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            return self._answer(413 if length > MAX_BODY else 400, "Bad request size")
        body = self.rfile.read(length)
        timestamp = self.headers.get("X-OrderManager-Timestamp", "")
        signature = self.headers.get("X-OrderManager-Signature", "")
        key = self.headers.get("Idempotency-Key", "")
        # 1. Authenticity: the signature covers the timestamp and the exact bytes received.
        if not hmac.compare_digest(signature, expected_signature(self.secret, timestamp, body)):
            return self._answer(401, "Bad signature")
        # 2. Freshness: a captured request cannot be replayed days later.
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_SKEW_SECONDS:
            return self._answer(401, "Stale or missing timestamp")
        try:
            update = json.loads(body)
        except ValueError:
            return self._answer(400, "Body is not JSON")
        if not key or key != update.get("idempotency_key"):
            return self._answer(400, "Idempotency-Key missing or different from the body's")
        # 3. Idempotency: a repeat (sent again after a crash or a lost answer) is OK, once applied.
        with SEEN_LOCK:
            if key in SEEN:
                return self._answer(200, "OK")
            try:
                apply_update(update)
            except KeyError as exc:
                return self._answer(422, f"Missing field {exc}")
            SEEN[key] = update
        return self._answer(200, "OK")

    def _answer(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_server(secret: bytes, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    handler = type("ConfiguredReceiver", (Receiver,), {"secret": secret})
    return ThreadingHTTPServer((host, port), handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--secret-file", required=True, help="file holding the shared secret")
    args = parser.parse_args()
    with open(args.secret_file, "rb") as f:
        secret = f.read().strip()
    server = make_server(secret, args.host, args.port)
    print(f"listening on http://{args.host}:{server.server_address[1]}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
