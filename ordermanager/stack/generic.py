"""The generic cart protocol, sending side (docs/generic-cart-protocol.md is the cart side's spec).

Each status update is one HTTP POST of the record's payload JSON to the cart's script URL, signed
with HMAC-SHA256 over "<timestamp>.<raw body>" using the cart's shared secret from the keyring, and
carrying the record's idempotency key so the script can drop a repeat. The script answers HTTP 200
with the body ``OK``; anything else is an error whose text we keep.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from typing import TYPE_CHECKING

import httpx

from ordermanager import secrets
from ordermanager.stack import backoff
from ordermanager.stack.delivery import (
    Delivered,
    DeliveryConfig,
    Outcome,
    Rejected,
    RetryLater,
    trim_error,
)

if TYPE_CHECKING:
    from ordermanager.stack.queue import ClaimedRecord

SIGNATURE_HEADER = "X-OrderManager-Signature"
TIMESTAMP_HEADER = "X-OrderManager-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
OK_ANSWER = "OK"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value: ``sha256=`` and the hex HMAC of "<timestamp>.<body>"."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def encode_payload(record: ClaimedRecord) -> bytes:
    """The request body: the record's payload as compact UTF-8 JSON (the bytes that are signed)."""
    return json.dumps(record.payload, ensure_ascii=False, separators=(",", ":")).encode()


class GenericSender:
    """Posts status updates for one generic cart. One pooled ``httpx.Client``, reused."""

    def __init__(
        self,
        cart_name: str,
        script_url: str,
        *,
        config: DeliveryConfig | None = None,
        secret: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.cart_name = cart_name
        self.script_url = script_url.strip()
        self.config = config or DeliveryConfig()
        # None: read from the keyring on first use (and again while missing, so an operator
        # who stores it later does not have to restart the controller).
        self._secret = secret
        self._secret_lock = threading.Lock()
        self._client = httpx.Client(
            timeout=self.config.timeout(),
            limits=httpx.Limits(
                max_connections=self.config.max_connections,
                max_keepalive_connections=self.config.max_connections,
            ),
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": "OrderManager stack controller"},
        )

    def _shared_secret(self) -> str | None:
        with self._secret_lock:
            if self._secret is None:
                self._secret = secrets.cart_secret(self.cart_name)
            return self._secret

    def send(self, record: ClaimedRecord) -> Outcome:
        if not self.script_url.lower().startswith(("http://", "https://")):
            return Rejected(
                f"Cart '{self.cart_name}' has no usable script URL ('{self.script_url}'): set "
                "the cart's URL to the http(s) address of its status update script."
            )
        secret = self._shared_secret()
        if not secret:
            return Rejected(secrets.missing_secret_message(self.cart_name))
        body = encode_payload(record)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            IDEMPOTENCY_HEADER: record.idempotency_key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        }
        try:
            response = self._client.post(self.script_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return self._network_failure(exc, secret)
        return self._judge(response, secret)

    def _network_failure(self, exc: httpx.HTTPError, secret: str) -> Outcome:
        kinds: dict[type[Exception], str] = {
            httpx.ConnectTimeout: "could not connect in time",
            httpx.ReadTimeout: "no answer in time (the update may or may not have arrived; "
            "it is sent again with the same idempotency key)",
            httpx.WriteTimeout: "sending took too long",
            httpx.PoolTimeout: "too many requests waiting for a connection",
            httpx.ConnectError: "could not connect",
        }
        what = kinds.get(type(exc), type(exc).__name__)
        detail = secrets.redact(str(exc), [secret]) if str(exc) else ""
        message = trim_error(
            f"Cart '{self.cart_name}': {what}" + (f" ({detail})" if detail else "")
        )
        if backoff.is_transient_exception(exc):
            return RetryLater(message)
        return Rejected(message)

    def _judge(self, response: httpx.Response, secret: str) -> Outcome:
        text = response.text
        if response.status_code == 200 and text.strip() == OK_ANSWER:
            return Delivered()
        shown = secrets.redact(text.strip(), [secret]) or "(empty body)"
        status = response.status_code
        if status == 200:
            return Rejected(trim_error(f"Cart '{self.cart_name}' answered 200 without OK: {shown}"))
        message = trim_error(f"Cart '{self.cart_name}' answered HTTP {status}: {shown}")
        if backoff.is_transient_status(status):
            retry_after = backoff.parse_retry_after(response.headers.get("Retry-After"))
            return RetryLater(message, retry_after=retry_after)
        return Rejected(message)

    def close(self) -> None:
        self._client.close()
