"""Per-kind adapters for the end-to-end round trip (tests/integration/test_cart_roundtrip.py).

Each adapter runs its kind's fake store, says what the merchant enters for it (URL, secrets),
puts orders with two lines (ENG-1 x2, MUG-1 x1) into it, and asserts, in the store's own terms,
what the cart received: a whole shipment with tracking, a partial one holding only ENG-1, a
cancel, a note. ``snapshot`` is everything the store keeps about one order, so a test can show
that nothing reached it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from contextlib import AbstractContextManager
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

from tests.cart_support import (
    fake_bigcommerce,
    fake_magento2,
    fake_shopify,
    fake_vendure,
    fake_woocommerce,
    generic_cart,
)


@dataclass(frozen=True)
class Tracking:
    number: str
    carrier: str


FULL = Tracking("1Z999AA10123456784", "UPS")
PART = Tracking("JD014600003828", "DHL")
REST = Tracking("794612345678", "FedEx")


class Adapter:
    """One cart kind's fake store, seen from the round trip."""

    kind: ClassVar[str]
    cart_name: ClassVar[str]
    # Generic carts have no status mapping: every label goes out as it is (docs/status-mapping.md).
    has_mapping: ClassVar[bool] = True
    # A cancel the cart refuses by design, and the words the held record carries ('' = none).
    cancel_refused: ClassVar[str] = ""

    def server(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def base_url(self) -> str:
        raise NotImplementedError

    def secrets(self) -> dict[str, str]:
        raise NotImplementedError

    def add_order(self, n: int, first: str, last: str, modified: datetime) -> str:
        """Put order ``n`` into the store; its remote id."""
        raise NotImplementedError

    def snapshot(self, remote: str) -> Any:
        raise NotImplementedError

    def assert_shipped(self, remote: str, tracking: Tracking) -> None:
        raise NotImplementedError

    def assert_partly_shipped(self, remote: str, tracking: Tracking) -> None:
        """Only ENG-1 (both of them) went out; MUG-1 is still to ship."""
        raise NotImplementedError

    def assert_rest_shipped(self, remote: str, first: Tracking, rest: Tracking) -> None:
        """After the partial shipment (``first``), the rest (MUG-1) went out with ``rest``."""
        raise NotImplementedError

    def assert_cancelled(self, remote: str) -> None:
        raise NotImplementedError

    def assert_noted(self, remote: str, label: str) -> None:
        """The label arrived as an order note (COMMENT without notifying the customer)."""
        raise NotImplementedError

    def lose_next_ship_answer(self) -> None:
        """The store carries out the next shipment request and its answer never arrives."""
        raise NotImplementedError

    def answer_was_lost(self) -> bool:
        """Whether the lost answer happened (the scripted fault was used up)."""
        raise NotImplementedError


def note_text(label: str) -> str:
    """The note a COMMENT mapping writes for a label without tracking (UpdateView.comment)."""
    return f"Status: {label}"


# -- WooCommerce --------------------------------------------------------------------------------


class LosingWooCommerce(fake_woocommerce.FakeWooCommerce):
    """The WooCommerce fake, able to add a note and then never answer (until it stops)."""

    lose_note = False
    lost = False

    def __post_init__(self) -> None:
        super().__post_init__()
        self._silent: set[int] = set()  # handler threads whose answer is lost
        self._server.RequestHandlerClass = _LosingHandler

    def add_note(self, order_id: int, body: Any) -> tuple[int, Any]:
        answer = super().add_note(order_id, body)
        if self.lose_note:
            self.lose_note, self.lost = False, True
            self._silent.add(threading.get_ident())
            self.stopping.wait(30)
        return answer


class _LosingHandler(fake_woocommerce._Handler):
    def _send(self, *args: Any, **kwargs: Any) -> None:
        store: LosingWooCommerce = self.server.store
        if threading.get_ident() in store._silent:
            return  # the client gave up long ago: nothing to write to
        super()._send(*args, **kwargs)


class WooCommerceAdapter(Adapter):
    kind = "woocommerce"
    cart_name = "Wöö Störe"

    def __init__(self) -> None:
        self.fake = LosingWooCommerce()

    def lose_next_ship_answer(self) -> None:
        # Shipping is a status PUT (repeatable as it is) and the tracking note: lose the note's.
        self.fake.lose_note = True

    def answer_was_lost(self) -> bool:
        return self.fake.lost

    def server(self) -> AbstractContextManager[Any]:
        return self.fake

    def base_url(self) -> str:
        return self.fake.base_url

    def secrets(self) -> dict[str, str]:
        return {
            "consumer_key": self.fake.consumer_key,
            "consumer_secret": self.fake.consumer_secret,
        }

    def add_order(self, n: int, first: str, last: str, modified: datetime) -> str:
        oid = 100 + n
        items = [
            {"id": oid * 10 + 1, "name": "Engine card", "sku": "ENG-1", "quantity": 2,
             "subtotal": "38.98", "total": "38.98", "price": 19.49},
            {"id": oid * 10 + 2, "name": "Mug", "sku": "MUG-1", "quantity": 1,
             "subtotal": "5.00", "total": "5.00", "price": 5.0},
        ]  # fmt: skip
        order = fake_woocommerce.make_order(
            oid, modified=modified, first_name=first, last_name=last, total="48.98", items=items
        )
        self.fake.add(order)
        return str(oid)

    def snapshot(self, remote: str) -> Any:
        oid = int(remote)
        return deepcopy((self.fake.orders[oid], self.fake.notes.get(oid, [])))

    def _notes(self, remote: str) -> list[tuple[str, bool]]:
        return [(n["note"], n["customer_note"]) for n in self.fake.notes.get(int(remote), [])]

    def assert_shipped(self, remote: str, tracking: Tracking) -> None:
        # No shipment object in WooCommerce core: completed, plus the tracking as a customer note.
        assert self.fake.orders[int(remote)]["status"] == "completed"
        text = f"Order shipped. Tracking number ({tracking.carrier}): {tracking.number}"
        assert self._notes(remote) == [(text, True)]

    def assert_partly_shipped(self, remote: str, tracking: Tracking) -> None:
        # The order stays open; WooCommerce cannot record which lines went, only the note.
        assert self.fake.orders[int(remote)]["status"] == "processing"
        text = (
            f"Part of your order shipped. Tracking number ({tracking.carrier}): {tracking.number}"
        )
        assert self._notes(remote) == [(text, True)]

    def assert_rest_shipped(self, remote: str, first: Tracking, rest: Tracking) -> None:
        assert self.fake.orders[int(remote)]["status"] == "completed"
        assert self._notes(remote) == [
            (
                f"Part of your order shipped. Tracking number ({first.carrier}): {first.number}",
                True,
            ),
            (f"Order shipped. Tracking number ({rest.carrier}): {rest.number}", True),
        ]

    def assert_cancelled(self, remote: str) -> None:
        assert self.fake.orders[int(remote)]["status"] == "cancelled"
        assert self._notes(remote) == []

    def assert_noted(self, remote: str, label: str) -> None:
        text = note_text(label)
        assert self.fake.orders[int(remote)]["status"] == "processing"
        assert self._notes(remote) == [(text, False)]


# -- Shopify ------------------------------------------------------------------------------------


class ShopifyAdapter(Adapter):
    kind = "shopify"
    cart_name = "Zoë's Shop"

    def __init__(self) -> None:
        self.fake = fake_shopify.FakeShopify()

    def lose_next_ship_answer(self) -> None:
        self.fake.fail("FulfillmentCreate", fake_shopify.Fault(lose=True))

    def answer_was_lost(self) -> bool:
        return self.fake.faults["FulfillmentCreate"] == []

    def server(self) -> AbstractContextManager[Any]:
        return self.fake

    def base_url(self) -> str:
        return self.fake.base_url

    def secrets(self) -> dict[str, str]:
        return {"access_token": self.fake.access_token}

    def add_order(self, n: int, first: str, last: str, modified: datetime) -> str:
        oid = 40 + n
        items = [
            {"sku": "ENG-1", "name": "Engine card", "quantity": 2, "price": "19.49"},
            {"sku": "MUG-1", "name": "Mug", "quantity": 1, "price": "5.00"},
        ]
        order = fake_shopify.make_order(
            oid, modified=modified, first_name=first, last_name=last, items=items
        )
        self.fake.add(order)
        return str(oid)

    def snapshot(self, remote: str) -> Any:
        oid = int(remote)
        fake = self.fake
        return deepcopy(
            (
                fake.orders[oid],
                fake.fulfillments.get(oid),
                fake.fulfillment_orders.get(oid),
                fake.cancellations.get(oid),
            )
        )

    def _left(self, remote: str) -> dict[str, int]:
        (fulfillment_order,) = self.fake.fulfillment_orders[int(remote)]
        return {
            line["sku"]: line["remainingQuantity"]
            for line in fulfillment_order["lineItems"]["nodes"]
        }

    def _tracking(self, remote: str) -> list[list[dict[str, Any]]]:
        return [f["trackingInfo"] for f in self.fake.fulfillments.get(int(remote), [])]

    def assert_shipped(self, remote: str, tracking: Tracking) -> None:
        assert self._tracking(remote) == [
            [{"company": tracking.carrier, "number": tracking.number}]
        ]
        assert self._left(remote) == {"ENG-1": 0, "MUG-1": 0}
        assert self.fake.orders[int(remote)]["displayFulfillmentStatus"] == "FULFILLED"

    def assert_partly_shipped(self, remote: str, tracking: Tracking) -> None:
        assert self._tracking(remote) == [
            [{"company": tracking.carrier, "number": tracking.number}]
        ]
        assert self._left(remote) == {"ENG-1": 0, "MUG-1": 1}
        assert self.fake.orders[int(remote)]["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"

    def assert_rest_shipped(self, remote: str, first: Tracking, rest: Tracking) -> None:
        assert self._tracking(remote) == [
            [{"company": first.carrier, "number": first.number}],
            [{"company": rest.carrier, "number": rest.number}],
        ]
        assert self._left(remote) == {"ENG-1": 0, "MUG-1": 0}
        assert self.fake.orders[int(remote)]["displayFulfillmentStatus"] == "FULFILLED"

    def assert_cancelled(self, remote: str) -> None:
        oid = int(remote)
        assert self.fake.orders[oid]["cancelledAt"] is not None
        assert oid in self.fake.cancellations and oid not in self.fake.fulfillments

    def assert_noted(self, remote: str, label: str) -> None:
        text = note_text(label)
        assert self.fake.orders[int(remote)].get("note") == text
        assert int(remote) not in self.fake.fulfillments


# -- Magento 2 ----------------------------------------------------------------------------------


class Magento2Adapter(Adapter):
    kind = "magento2"
    cart_name = "Mägento Store"
    # Auto-Invoice (the default mode) invoices every order it downloads, and Magento cannot
    # cancel a fully invoiced order (docs/carts/magento2.md): the cancel is held, not lost.
    cancel_refused = "Magento refused to cancel order"

    def __init__(self) -> None:
        self.fake = fake_magento2.FakeMagento2()

    def lose_next_ship_answer(self) -> None:
        self.fake.fail("ship", fake_magento2.Fault(504, after=True))

    def answer_was_lost(self) -> bool:
        return self.fake.faults["ship"] == []

    def server(self) -> AbstractContextManager[Any]:
        return self.fake

    def base_url(self) -> str:
        return self.fake.base_url

    def secrets(self) -> dict[str, str]:
        return {"access_token": self.fake.token}

    def add_order(self, n: int, first: str, last: str, modified: datetime) -> str:
        eid = 60 + n
        items = [
            fake_magento2.make_item(eid * 10 + 1, sku="ENG-1", name="Engine card", qty=2),
            fake_magento2.make_item(eid * 10 + 2, sku="MUG-1", name="Mug", qty=1, price=5.0),
        ]
        order = fake_magento2.make_order(
            eid, updated=modified, firstname=first, lastname=last, grand_total=48.98, items=items
        )
        self.fake.add(order)
        return str(eid)

    def _shipments(self, remote: str) -> list[dict[str, Any]]:
        return [s for s in self.fake.shipments.values() if s["order_id"] == int(remote)]

    def snapshot(self, remote: str) -> Any:
        return deepcopy((self.fake.orders[int(remote)], self._shipments(remote)))

    def _shipped(self, remote: str) -> list[tuple[list[tuple[str, str]], dict[int, int]]]:
        return [
            (
                [(t["track_number"], t["title"]) for t in s["tracks"]],
                {int(i["order_item_id"]): i["qty"] for i in s["items"]},
            )
            for s in self._shipments(remote)
        ]

    def assert_shipped(self, remote: str, tracking: Tracking) -> None:
        eid = int(remote)
        assert self._shipped(remote) == [
            ([(tracking.number, tracking.carrier)], {eid * 10 + 1: 2, eid * 10 + 2: 1})
        ]
        assert self.fake.orders[eid]["state"] == "complete"

    def assert_partly_shipped(self, remote: str, tracking: Tracking) -> None:
        eid = int(remote)
        assert self._shipped(remote) == [([(tracking.number, tracking.carrier)], {eid * 10 + 1: 2})]
        assert self.fake.orders[eid]["state"] == "processing"

    def assert_rest_shipped(self, remote: str, first: Tracking, rest: Tracking) -> None:
        eid = int(remote)
        assert self._shipped(remote) == [
            ([(first.number, first.carrier)], {eid * 10 + 1: 2}),
            ([(rest.number, rest.carrier)], {eid * 10 + 2: 1}),
        ]
        assert self.fake.orders[eid]["state"] == "complete"

    def assert_cancelled(self, remote: str) -> None:
        # Refused (see cancel_refused): the order is still open and nothing else happened to it.
        order = self.fake.orders[int(remote)]
        assert (order["state"], order["status"]) == ("processing", "processing")
        assert self._shipments(remote) == [] and order["status_histories"] == []

    def assert_noted(self, remote: str, label: str) -> None:
        text = note_text(label)
        order = self.fake.orders[int(remote)]
        comments = [(h["comment"], h["status"], h["is_customer_notified"])
                    for h in order["status_histories"]]  # fmt: skip
        assert comments == [(text, "processing", 0)]
        assert order["status"] == "processing"


# -- BigCommerce --------------------------------------------------------------------------------


class BigCommerceAdapter(Adapter):
    kind = "bigcommerce"
    cart_name = "BC Störe"

    def __init__(self) -> None:
        self.fake = fake_bigcommerce.FakeBigCommerce()

    def lose_next_ship_answer(self) -> None:
        self.fake.fail("ship", fake_bigcommerce.Fault(lose_answer=True))

    def answer_was_lost(self) -> bool:
        return self.fake.faults["ship"] == []

    def server(self) -> AbstractContextManager[Any]:
        return self.fake

    def base_url(self) -> str:
        return self.fake.base_url

    def secrets(self) -> dict[str, str]:
        return {"access_token": self.fake.access_token}

    def add_order(self, n: int, first: str, last: str, modified: datetime) -> str:
        oid = 200 + n
        order = fake_bigcommerce.make_order(
            oid, modified=modified, first_name=first, last_name=last, total="48.9800"
        )
        products = [
            fake_bigcommerce.make_product(oid * 10 + 1, oid, sku="ENG-1", quantity=2),
            fake_bigcommerce.make_product(
                oid * 10 + 2, oid, name="Mug", sku="MUG-1", quantity=1, price="5.0000"
            ),
        ]
        self.fake.add(order, products)
        return str(oid)

    def snapshot(self, remote: str) -> Any:
        oid = int(remote)
        fake = self.fake
        return deepcopy((fake.orders[oid], fake.products[oid], fake.shipments.get(oid)))

    def _shipments(self, remote: str) -> list[tuple[str, str, str, dict[int, int]]]:
        return [
            (
                s["tracking_number"],
                s["shipping_provider"],
                s["tracking_carrier"],
                {i["order_product_id"]: i["quantity"] for i in s["items"]},
            )
            for s in self.fake.shipments.get(int(remote), [])
        ]

    def assert_shipped(self, remote: str, tracking: Tracking) -> None:
        oid = int(remote)
        # UPS is one of BigCommerce's own provider modules and tracking carriers.
        assert self._shipments(remote) == [
            (tracking.number, "ups", "ups", {oid * 10 + 1: 2, oid * 10 + 2: 1})
        ]
        assert self.fake.orders[oid]["status_id"] == 2

    def assert_partly_shipped(self, remote: str, tracking: Tracking) -> None:
        oid = int(remote)
        # DHL is a tracking carrier without a provider module.
        assert self._shipments(remote) == [(tracking.number, "", "dhl", {oid * 10 + 1: 2})]
        assert self.fake.orders[oid]["status_id"] == 3

    def assert_rest_shipped(self, remote: str, first: Tracking, rest: Tracking) -> None:
        oid = int(remote)
        assert self._shipments(remote) == [
            (first.number, "", "dhl", {oid * 10 + 1: 2}),
            (rest.number, "fedex", "fedex", {oid * 10 + 2: 1}),
        ]
        assert self.fake.orders[oid]["status_id"] == 2

    def assert_cancelled(self, remote: str) -> None:
        oid = int(remote)
        assert self.fake.orders[oid]["status_id"] == 5 and oid not in self.fake.shipments

    def assert_noted(self, remote: str, label: str) -> None:
        text = note_text(label)
        order = self.fake.orders[int(remote)]
        assert (order["staff_notes"], order["customer_message"]) == (text, "")
        assert order["status_id"] == 11


# -- Vendure ------------------------------------------------------------------------------------


class VendureAdapter(Adapter):
    kind = "vendure"
    cart_name = "Vendure Störe"

    def __init__(self) -> None:
        self.fake = fake_vendure.FakeVendure()

    def lose_next_ship_answer(self) -> None:
        self.fake.fail("addFulfillmentToOrder", fake_vendure.Fault(lose_answer=True))

    def answer_was_lost(self) -> bool:
        return self.fake.faults["addFulfillmentToOrder"] == []

    def server(self) -> AbstractContextManager[Any]:
        return self.fake

    def base_url(self) -> str:
        return self.fake.api_url

    def secrets(self) -> dict[str, str]:
        return {"api_key": self.fake.api_key}

    def add_order(self, n: int, first: str, last: str, modified: datetime) -> str:
        oid = str(300 + n)
        lines = [
            fake_vendure.make_line(
                f"{oid}1", sku="ENG-1", name="Engine card", quantity=2, unit=1949
            ),
            fake_vendure.make_line(f"{oid}2", sku="MUG-1", name="Mug", quantity=1, unit=500),
        ]
        self.fake.add(
            fake_vendure.make_order(
                oid, modified=modified, first_name=first, last_name=last, lines=lines
            )
        )
        return oid

    def snapshot(self, remote: str) -> Any:
        return deepcopy(self.fake.orders[remote])

    def _fulfillments(self, remote: str) -> list[tuple[str, str, str, dict[str, int]]]:
        return [
            (
                f["state"],
                f["method"],
                f["trackingCode"],
                {x["orderLineId"]: x["quantity"] for x in f["lines"]},
            )
            for f in self.fake.orders[remote]["fulfillments"]
        ]

    def assert_shipped(self, remote: str, tracking: Tracking) -> None:
        assert self._fulfillments(remote) == [
            ("Shipped", tracking.carrier, tracking.number, {f"{remote}1": 2, f"{remote}2": 1})
        ]
        assert self.fake.orders[remote]["state"] == "Shipped"

    def assert_partly_shipped(self, remote: str, tracking: Tracking) -> None:
        assert self._fulfillments(remote) == [
            ("Shipped", tracking.carrier, tracking.number, {f"{remote}1": 2})
        ]
        assert self.fake.orders[remote]["state"] == "PartiallyShipped"

    def assert_rest_shipped(self, remote: str, first: Tracking, rest: Tracking) -> None:
        assert self._fulfillments(remote) == [
            ("Shipped", first.carrier, first.number, {f"{remote}1": 2}),
            ("Shipped", rest.carrier, rest.number, {f"{remote}2": 1}),
        ]
        assert self.fake.orders[remote]["state"] == "Shipped"

    def assert_cancelled(self, remote: str) -> None:
        order = self.fake.orders[remote]
        assert order["state"] == "Cancelled" and order["fulfillments"] == []

    def assert_noted(self, remote: str, label: str) -> None:
        text = note_text(label)
        order = self.fake.orders[remote]
        notes = [(h["type"], h["isPublic"], h["data"]) for h in order["history"]["items"]]
        assert notes == [("ORDER_NOTE", False, {"note": text})]
        assert order["state"] == "PaymentSettled"


# -- Generic ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusPost:
    idempotency_key: str
    signature_ok: bool
    payload: dict[str, Any]


class GenericStore(generic_cart.GenericCart):
    """The generic cart's script with both sides: signed GETs for the download (the base class)
    and signed POSTs of status updates, each recorded and answered ``OK`` as the docs say (an
    update whose idempotency key was applied before is not applied again)."""

    def __init__(self, secret: str) -> None:
        self.posts: list[StatusPost] = []
        self.lose_next = False  # apply the next update, then never answer (until it stops)
        super().__init__(secret, page_size=3)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        downloads = super()._handler()
        store = self

        class Handler(downloads):  # type: ignore[valid-type,misc]
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stamp = self.headers.get("X-OrderManager-Timestamp", "")
                wanted = (
                    "sha256="
                    + hmac.new(
                        store.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256
                    ).hexdigest()
                )
                good = hmac.compare_digest(wanted, self.headers.get("X-OrderManager-Signature", ""))
                with store._lock:
                    store.posts.append(
                        StatusPost(self.headers.get("Idempotency-Key", ""), good, json.loads(body))
                    )
                    lose, store.lose_next = store.lose_next, False
                if lose:
                    store._stop.wait()
                    return
                if good:
                    self._send(200, b"OK", "text/plain")
                else:
                    self._send(401, b"Bad signature", "text/plain")

        return Handler

    def __enter__(self) -> GenericStore:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def posts_for(self, remote: str) -> list[StatusPost]:
        """Every POST for the order, repeats included."""
        with self._lock:
            return [p for p in self.posts if p.payload["order"]["remote_id"] == remote]

    def applied_for(self, remote: str) -> list[StatusPost]:
        """The updates the script applied for the order: each idempotency key once."""
        seen: set[str] = set()
        applied = []
        for post in self.posts_for(remote):
            if post.signature_ok and post.idempotency_key not in seen:
                seen.add(post.idempotency_key)
                applied.append(post)
        return applied


class GenericAdapter(Adapter):
    kind = "generic"
    cart_name = "Script Störe"
    has_mapping = False
    SECRET = "roundtrip-generic-secret-0123456789abcdef"

    def __init__(self) -> None:
        self.fake = GenericStore(self.SECRET)

    def lose_next_ship_answer(self) -> None:
        self.fake.lose_next = True

    def answer_was_lost(self) -> bool:
        # Sent again with the same key: the script drops the repeat (docs: Idempotency).
        keys = [p.idempotency_key for p in self.fake.posts]
        return not self.fake.lose_next and len(keys) == 2 and keys[0] == keys[1]

    def server(self) -> AbstractContextManager[Any]:
        return self.fake

    def base_url(self) -> str:
        return self.fake.url

    def secrets(self) -> dict[str, str]:
        return {"status_secret": self.SECRET}

    def add_order(self, n: int, first: str, last: str, modified: datetime) -> str:
        name = f"{first} {last}"
        order = generic_cart.make_order(n, modified=modified.isoformat())
        order["customer"]["name"] = order["billing"]["name"] = order["shipping"]["name"] = name
        order["items"] = [
            {"id": f"li-{n}-1", "sku": "ENG-1", "name": "Engine card", "quantity": 2,
             "unit_price": "19.49"},
            {"id": f"li-{n}-2", "sku": "MUG-1", "name": "Mug", "quantity": 1, "unit_price": "5.00"},
        ]  # fmt: skip
        order["totals"].update(subtotal="43.98", tax="0.00", total="48.88")
        self.fake.orders.append(order)
        return str(order["id"])

    def snapshot(self, remote: str) -> Any:
        return self.fake.posts_for(remote)

    def _post(self, remote: str) -> dict[str, Any]:
        (post,) = self.fake.applied_for(remote)
        assert post.signature_ok and post.idempotency_key == post.payload["idempotency_key"]
        return post.payload

    def assert_shipped(self, remote: str, tracking: Tracking) -> None:
        payload = self._post(remote)
        assert (payload["event"], payload["order_label"]) == ("order_shipped", "Order Shipped")
        assert payload["tracking"] == {"numbers": [tracking.number], "carrier": tracking.carrier}
        assert payload["shipment_complete"] is True

    def assert_partly_shipped(self, remote: str, tracking: Tracking) -> None:
        payload = self._post(remote)
        assert (payload["event"], payload["order_label"]) == (
            "order_partially_shipped",
            "Partially Shipped",
        )
        assert payload["tracking"] == {"numbers": [tracking.number], "carrier": tracking.carrier}
        n = int(remote) - 1000
        assert payload["shipment_lines"] == [
            {"remote_id": f"li-{n}-1", "sku": "ENG-1", "quantity": 2}
        ]
        assert payload["shipment_complete"] is False

    def assert_rest_shipped(self, remote: str, first: Tracking, rest: Tracking) -> None:
        n = int(remote) - 1000
        sent = [
            (
                p.payload["event"],
                p.payload["tracking"],
                p.payload["shipment_lines"],
                p.payload["shipment_complete"],
            )
            for p in self.fake.applied_for(remote)
        ]
        assert sent == [
            (
                "order_partially_shipped",
                {"numbers": [first.number], "carrier": first.carrier},
                [{"remote_id": f"li-{n}-1", "sku": "ENG-1", "quantity": 2}],
                False,
            ),
            (
                "order_shipped",
                {"numbers": [rest.number], "carrier": rest.carrier},
                [{"remote_id": f"li-{n}-2", "sku": "MUG-1", "quantity": 1}],
                True,
            ),
        ]

    def assert_cancelled(self, remote: str) -> None:
        payload = self._post(remote)
        assert (payload["event"], payload["order_label"]) == ("order_cancel", "Order Cancelled")

    def assert_noted(self, remote: str, label: str) -> None:
        # The label itself goes out; the cart's script decides what it means.
        payload = self._post(remote)
        assert (payload["event"], payload["order_label"]) == ("label_set_by_hand", label)


ADAPTERS: dict[str, type[Adapter]] = {
    a.kind: a
    for a in (
        WooCommerceAdapter,
        ShopifyAdapter,
        Magento2Adapter,
        BigCommerceAdapter,
        VendureAdapter,
        GenericAdapter,
    )
}
