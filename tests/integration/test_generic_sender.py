"""The generic cart protocol against real HTTP servers on 127.0.0.1: our cart server that logs and
misbehaves on cue, and the reference receiver shipped in docs/examples."""

from __future__ import annotations

import importlib.util
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

from ordermanager import secrets
from ordermanager.stack.delivery import (
    Delivered,
    DeliveryConfig,
    Rejected,
    RetryLater,
    sender_for,
)
from ordermanager.stack.demo_sender import DEMO_FAILURE, DemoSender
from ordermanager.stack.generic import GenericSender, sign
from ordermanager.stack.queue import ClaimedRecord
from tests.stack_support.cart_server import Behaviour, CartServer

SECRET = "s3cret-for-tests-0123456789abcdef"
RECEIVER = Path(__file__).resolve().parents[2] / "docs" / "examples" / "generic_receiver.py"


def record(
    n: int = 1, *, cart_name: str = "Script Store", url: str = "", **changes
) -> ClaimedRecord:  # type: ignore[no-untyped-def]
    key = f"{n:032x}"
    fields = dict(
        id=n,
        order_id=100 + n,
        order_number=f"W-{n}",
        order_remote_id=f"r-{n}",
        cart_id=7,
        cart_name=cart_name,
        cart_kind="generic",
        cart_base_url=url,
        cart_demo=False,
        event="order_shipped",
        order_label="Shipped",
        payload={
            "idempotency_key": key,
            "event": "order_shipped",
            "event_name": "Order Shipped",
            "cart": {"id": 7, "kind": "generic"},
            "order": {"id": 100 + n, "remote_id": f"r-{n}", "number": f"W-{n}"},
            "order_label": "Shipped — ünïcode",
            "order_label_changed": True,
            "items": [],
            "tracking": {"numbers": ["1Z999"], "carrier": "UPS"},
            "queued_at": "2026-11-23T12:00:00+00:00",
        },
        idempotency_key=key,
        attempts=0,
        claim_token="t" * 32,
        claimed_until=datetime.now(UTC),
    )
    fields.update(changes)
    return ClaimedRecord(**fields)  # type: ignore[arg-type]


@pytest.fixture
def server() -> Iterator[CartServer]:
    with CartServer(secret=SECRET) as cart:
        yield cart


def sender(url: str, *, secret: str | None = SECRET, read_timeout: float = 5.0) -> GenericSender:
    config = DeliveryConfig(read_timeout=read_timeout, connect_timeout=2.0)
    return GenericSender("Script Store", url, config=config, secret=secret)


def test_ok_answer__delivered_with_signature_key_and_payload(server: CartServer) -> None:
    s = sender(server.url())
    try:
        assert s.send(record(1)) == Delivered()
    finally:
        s.close()
    (hit,) = server.hits()
    assert hit.signature_ok is True
    assert hit.idempotency_key == f"{1:032x}"
    assert hit.order_id == 101 and hit.event == "order_shipped"


def test_one_client_reused__keep_alive_across_records(server: CartServer) -> None:
    s = sender(server.url())
    try:
        outcomes = [s.send(record(n)) for n in range(1, 21)]
    finally:
        s.close()
    assert outcomes == [Delivered()] * 20
    assert [h.idempotency_key for h in server.hits()] == [f"{n:032x}" for n in range(1, 21)]


@pytest.mark.parametrize(
    ("behaviour", "kind", "text"),
    [
        (
            Behaviour(200, "<html>Fatal error: Call to undefined function</html>"),
            Rejected,
            "without OK",
        ),
        (Behaviour(200, ""), Rejected, "(empty body)"),
        (Behaviour(200, "OKAY"), Rejected, "OKAY"),
        (Behaviour(404, "Unknown order r-1"), Rejected, "HTTP 404: Unknown order r-1"),
        (Behaviour(401, "Bad signature"), Rejected, "HTTP 401"),
        (Behaviour(500, "database down"), RetryLater, "HTTP 500: database down"),
        (Behaviour(503, "maintenance"), RetryLater, "HTTP 503"),
        (Behaviour(408, ""), RetryLater, "HTTP 408"),
    ],
)
def test_answers_other_than_ok__classified_with_their_text(
    server: CartServer, behaviour: Behaviour, kind: type, text: str
) -> None:
    server.behave("/status", behaviour)
    s = sender(server.url())
    try:
        outcome = s.send(record())
    finally:
        s.close()
    assert isinstance(outcome, kind)
    assert text in outcome.error  # type: ignore[union-attr]


def test_ok_with_whitespace__is_ok(server: CartServer) -> None:
    server.behave("/status", Behaviour(200, "  OK\r\n"))
    s = sender(server.url())
    try:
        assert s.send(record()) == Delivered()
    finally:
        s.close()


def test_429_retry_after__passed_on_in_seconds(server: CartServer) -> None:
    server.behave("/status", Behaviour(429, "slow down", retry_after="2"))
    s = sender(server.url())
    try:
        outcome = s.send(record())
    finally:
        s.close()
    assert outcome == RetryLater("Cart 'Script Store' answered HTTP 429: slow down", 2.0)


def test_long_error_page__trimmed_and_secret_redacted(server: CartServer) -> None:
    server.behave("/status", Behaviour(500, f"debug: secret={SECRET} " + "x" * 5000))
    s = sender(server.url())
    try:
        outcome = s.send(record())
    finally:
        s.close()
    assert isinstance(outcome, RetryLater)
    assert SECRET not in outcome.error
    assert "[redacted]" in outcome.error
    assert len(outcome.error) <= 500


def test_never_answers__read_timeout_is_transient(server: CartServer) -> None:
    server.behave("/status", Behaviour(never_answer=True))
    s = sender(server.url(), read_timeout=0.5)
    try:
        outcome = s.send(record())
    finally:
        s.close()
    assert isinstance(outcome, RetryLater)
    assert "no answer in time" in outcome.error


def test_connection_refused__transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    s = sender(f"http://127.0.0.1:{port}/status")
    try:
        outcome = s.send(record())
    finally:
        s.close()
    assert isinstance(outcome, RetryLater)
    assert "could not connect" in outcome.error


def test_no_script_url__rejected_with_how_to_fix() -> None:
    s = sender("")
    try:
        outcome = s.send(record())
    finally:
        s.close()
    assert isinstance(outcome, Rejected) and "script URL" in outcome.error


def test_no_secret_anywhere__rejected_saying_where_to_store_it(server: CartServer) -> None:
    s = sender(server.url(), secret=None)  # the test keyring is the failing backend
    try:
        outcome = s.send(record())
    finally:
        s.close()
    assert outcome == Rejected(
        "No shared secret is stored for cart 'Script Store': store the cart's shared secret in "
        "the keyring (service 'OrderManager cart', user 'Script Store:status_secret')."
    )
    assert server.hits() == []  # nothing unsigned ever leaves


def test_secret_from_the_real_keyring__signs_requests(server: CartServer, real_keyring) -> None:  # type: ignore[no-untyped-def]
    secrets.set_cart_secret("Script Store", SECRET)
    try:
        s = sender(server.url(), secret=None)
        try:
            assert s.send(record()) == Delivered()
        finally:
            s.close()
    finally:
        secrets.delete_cart_secret("Script Store")
    assert server.hits()[0].signature_ok is True


def test_signature__hmac_of_timestamp_dot_body() -> None:
    # Known answer, so the documented formula and the code cannot drift apart.
    assert sign("key", "1700000000", b'{"a":1}') == (
        "sha256=" + __import__("hmac").new(b"key", b'1700000000.{"a":1}', "sha256").hexdigest()
    )


# -- the reference receiver from docs/examples ----------------------------------------------


@pytest.fixture
def receiver() -> Iterator[tuple[ModuleType, str]]:
    spec = importlib.util.spec_from_file_location("generic_receiver", RECEIVER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    applied: list[str] = []
    module.apply_update = lambda update: applied.append(update["idempotency_key"])
    module.applied = applied
    httpd = module.make_server(SECRET.encode())
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield module, f"http://127.0.0.1:{httpd.server_address[1]}/ordermanager/status"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


def test_reference_receiver__accepts_our_requests_and_drops_repeats(
    receiver: tuple[ModuleType, str],
) -> None:
    module, url = receiver
    s = sender(url)
    try:
        first = s.send(record(1))
        repeat = s.send(record(1))  # sent again after a crash: same key
        other = s.send(record(2))
    finally:
        s.close()
    assert (first, repeat, other) == (Delivered(), Delivered(), Delivered())
    assert module.applied == [f"{1:032x}", f"{2:032x}"]


def test_reference_receiver__wrong_secret_is_a_permanent_401(
    receiver: tuple[ModuleType, str],
) -> None:
    module, url = receiver
    s = sender(url, secret="not-the-secret")
    try:
        outcome = s.send(record(1))
    finally:
        s.close()
    assert outcome == Rejected("Cart 'Script Store' answered HTTP 401: Bad signature")
    assert module.applied == []


def test_reference_receiver__payload_is_the_records_json(receiver: tuple[ModuleType, str]) -> None:
    module, url = receiver
    seen: list[dict] = []  # type: ignore[type-arg]
    module.apply_update = seen.append
    s = sender(url)
    try:
        s.send(record(3))
    finally:
        s.close()
    assert seen == [json.loads(json.dumps(record(3).payload))]


# -- registry and demo connector -------------------------------------------------------------


def test_sender_for__demo_generic_and_not_yet_supported_kinds() -> None:
    demo = sender_for(record(cart_demo=True, cart_kind="woocommerce"))
    generic = sender_for(record(url="http://127.0.0.1:9/x"))
    other = sender_for(record(cart_kind="oscommerce"))
    try:
        assert isinstance(demo, DemoSender)
        assert isinstance(generic, GenericSender)
        outcome = other.send(record(cart_kind="oscommerce"))
        assert isinstance(outcome, Rejected)
        assert "No connector for oscommerce carts is installed yet" in outcome.error
    finally:
        for s in (demo, generic, other):
            s.close()


def test_demo_sender__mostly_ok_sometimes_transient() -> None:
    import random

    demo = DemoSender(min_latency=0.0, max_latency=0.0, rng=random.Random(3))
    outcomes = [demo.send(record(n)) for n in range(400)]
    failures = [o for o in outcomes if isinstance(o, RetryLater)]
    assert all(isinstance(o, Delivered | RetryLater) for o in outcomes)
    assert failures and all(f.error == DEMO_FAILURE for f in failures)
    assert 0.01 < len(failures) / len(outcomes) < 0.12
