"""Fill a database with a realistic demo store of any size, for trying the program and benchmarks.

Rows are plain dicts written with Core bulk inserts, one transaction per batch, with ids allocated
here: ORM objects per row would be many times slower at a million orders."""

from __future__ import annotations

import bisect
import itertools
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.orm import Session

from ordermanager.db.engine import Database
from ordermanager.db.models import Base, StatusEvent, SystemParameter
from ordermanager.demo import data
from ordermanager.demo.data import CartSpec, Country, OddOrder, Scenario
from ordermanager.errors import InvalidInputError
from ordermanager.orders.keys import customer_sort_key, number_key, search_terms
from ordermanager.orders.states import PaymentState as _P
from ordermanager.orders.states import ShippingState as _S
from ordermanager.settings import set_setting
from ordermanager.status.defaults import load_defaults

MAX_ORDERS = 5_000_000
BATCH_SIZE = 2_000
HISTORY_DAYS = 730
# Where the odd order sits in each run of ODD_ORDER_EVERY orders: early, so small stores get one.
ODD_ORDER_AT = 17

_Rows = dict[str, list[dict[str, Any]]]  # per table, the rows to insert
_Line = tuple[str, str, int, Decimal]  # sku, name, unit price in cents, unit price
_Lines = list[tuple[_Line, int]]  # with the quantity ordered
_Steps = list[tuple[str, datetime]]  # the labels an order went through, and when
_TABLES = Base.metadata.tables
# Parents before children, so every foreign key holds at every statement.
_INSERT_ORDER = (
    "orders", "line_items", "order_search_terms", "payments", "shipments", "tracking_numbers",
    "shipment_items", "label_history",
)  # fmt: skip
_ID_TABLES = ("orders", "line_items", "payments", "shipments", "tracking_numbers", "label_history")
_LOCK_ID_TABLES = f"LOCK TABLE {', '.join(_ID_TABLES)} IN SHARE ROW EXCLUSIVE MODE"
_LINE_COUNT_WEIGHTS = tuple(itertools.accumulate((45, 25, 14, 8, 5, 3)))  # 1 to 6 lines


@dataclass(frozen=True)
class DemoResult:
    orders: int  # orders inserted
    carts: int  # carts created (or already there)
    seconds: float


def generate_demo_store(
    database: Database,
    orders: int,
    *,
    seed: int = 1,
    progress: Callable[[int, int], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> DemoResult:
    """Add ``orders`` orders (and the carts and labels they need) to a migrated database.

    The same seed gives the same store. Running it again appends orders after each cart's last
    number. Each batch commits on its own, so a cancelled run leaves a consistent, smaller store.
    """
    if not 1 <= orders <= MAX_ORDERS:
        raise InvalidInputError(
            f"A demo store can have from 1 to {MAX_ORDERS:,} orders; {orders:,} is not possible."
        )
    started = time.perf_counter()
    now = datetime.now(UTC).replace(microsecond=0)
    with database.transaction() as session:
        builder = _BatchBuilder(random.Random(seed), _prepare_store(session.connection(), now))
        _switch_on_status_updates(session)
    done = 0
    while done < orders and not (is_cancelled is not None and is_cancelled()):
        count = min(BATCH_SIZE, orders - done)
        with database.transaction() as session:
            connection = session.connection()
            ids = _next_ids(connection)
            rows = builder.build(range(done, done + count), orders, now, ids)
            for name in _INSERT_ORDER:
                if rows[name]:
                    connection.execute(insert(_TABLES[name]), rows[name])
            if connection.dialect.name == "postgresql":
                _advance_sequences(connection, ids)
        done += count
        if progress is not None:
            progress(done, orders)
    return DemoResult(done, len(data.CARTS), time.perf_counter() - started)


def _switch_on_status_updates(session: Session) -> None:
    """A demo store shows the whole loop (ship, the update waits on the stack, the demo carts take
    it), so it starts with the default status events and UseStatusUpdates on. A store whose
    operator already chose either keeps the choice."""
    if session.execute(select(func.count()).select_from(StatusEvent)).scalar_one() == 0:
        load_defaults(session)
    if session.get(SystemParameter, "UseStatusUpdates") is None:
        set_setting(session, "UseStatusUpdates", True)


def _next_ids(connection: Connection) -> dict[str, int]:
    """The first free id of each table, which stay free until this transaction ends."""
    if connection.dialect.name == "postgresql":
        # Other writers wait for this batch (on SQLite, BEGIN IMMEDIATE already made them wait).
        connection.exec_driver_sql(_LOCK_ID_TABLES)
    maxima = [select(func.max(_TABLES[name].c.id)).scalar_subquery() for name in _ID_TABLES]
    row = connection.execute(select(*maxima)).one()
    return {name: int(value or 0) + 1 for name, value in zip(_ID_TABLES, row, strict=True)}


def _advance_sequences(connection: Connection, next_ids: dict[str, int]) -> None:
    # Explicit ids do not move PostgreSQL's sequences; without this the next normal insert fails.
    for name, next_id in next_ids.items():
        if next_id > 1:
            sequence = func.pg_get_serial_sequence(name, "id")
            connection.execute(select(func.setval(sequence, next_id - 1)))


@dataclass
class _Store:
    carts: list[tuple[CartSpec, int]]
    next_sequence: list[int]  # per cart, the next number of its own order sequence
    labels: dict[str, int]


def _prepare_store(connection: Connection, now: datetime) -> _Store:
    """Find or create the demo carts and labels, and where each cart's numbering continues."""
    carts, labels, orders = _TABLES["carts"], _TABLES["status_labels"], _TABLES["orders"]
    existing = set(connection.execute(select(carts.c.name)).scalars())
    created = now - timedelta(days=HISTORY_DAYS + 30)
    new_carts = [
        {"name": s.name, "kind": s.kind, "base_url": s.base_url, "enabled": True,
         "created_at": created, "demo": True}
        for s in data.CARTS if s.name not in existing
    ]  # fmt: skip
    if new_carts:
        connection.execute(insert(carts), new_carts)
    cart_ids = {name: id_ for name, id_ in connection.execute(select(carts.c.name, carts.c.id))}

    known = set(connection.execute(select(labels.c.name)).scalars())
    position = int(connection.execute(select(func.max(labels.c.position))).scalar() or 0)
    missing = enumerate((name for name in data.LABELS if name not in known), start=position + 1)
    new_labels = [{"name": name, "position": at, "created_at": now} for at, name in missing]
    if new_labels:
        connection.execute(insert(labels), new_labels)
    label_ids = {name: id_ for name, id_ in connection.execute(select(labels.c.name, labels.c.id))}

    next_sequence = []
    for spec in data.CARTS:
        # Remote ids are text, so max() in SQL would compare them as text ("999" > "1000").
        query = select(orders.c.remote_id).where(orders.c.cart_id == cart_ids[spec.name])
        remote_ids = connection.execute(query).scalars()
        used = [spec.sequence_of(r) for r in remote_ids if r.isascii() and r.isdigit()]
        next_sequence.append(max([0, *used]) + 1)
    return _Store([(s, cart_ids[s.name]) for s in data.CARTS], next_sequence, label_ids)


class _BatchBuilder:
    """Builds the rows of a batch of orders. Keeps the random state from one batch to the next."""

    def __init__(self, rng: random.Random, store: _Store) -> None:
        self.rng, self.store = rng, store
        self.cart_weights = tuple(itertools.accumulate(spec.share for spec, _ in store.carts))
        self.products = [(sku, name, c, _money(c)) for sku, name, c in data.PRODUCTS]
        self.gift: _Line = (*data.FREE_GIFT, _money(data.FREE_GIFT[2]))
        self.first_names = [(name, data.ascii_slug(name)) for name in data.FIRST_NAMES]
        self.last_names = [(name, data.ascii_slug(name)) for name in data.LAST_NAMES]
        self.by_age = [
            (days, [s for s, _ in table], list(itertools.accumulate(w for _, w in table)))
            for days, table in data.SCENARIOS_BY_AGE
        ]

    def build(self, indexes: range, total: int, now: datetime, ids: dict[str, int]) -> _Rows:
        self.now, self.total, self.ids = now, total, ids
        self.rows: _Rows = {name: [] for name in _INSERT_ORDER}
        for index in indexes:
            self._order(index)
        return self.rows

    def _next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table] - 1

    def _pick(self, cumulative_weights: Sequence[int]) -> int:
        return bisect.bisect(cumulative_weights, self.rng.random() * cumulative_weights[-1])

    def _placed_at(self, index: int) -> datetime:
        # Orders come in time order, denser towards today as the store grew; the last is "now".
        jitter = 0.0 if index == self.total - 1 else self.rng.random()
        age_fraction = 1.0 - (index + 1.0 - jitter) / self.total
        return self.now - timedelta(days=HISTORY_DAYS * age_fraction**1.2)

    def _order(self, index: int) -> None:
        rng, rows = self.rng, self.rows
        cart_index = self._pick(self.cart_weights)
        spec, cart_id = self.store.carts[cart_index]
        sequence = self.store.next_sequence[cart_index]
        self.store.next_sequence[cart_index] = sequence + 1
        number = spec.number(sequence)
        placed = self._placed_at(index)
        age_days = (self.now - placed).total_seconds() / 86400
        _, scenarios, weights = next(entry for entry in self.by_age if age_days < entry[0])
        scenario = scenarios[self._pick(weights)]
        run, place = divmod(index, data.ODD_ORDER_EVERY)
        odd = data.ODD_ORDERS[run % len(data.ODD_ORDERS)] if place == ODD_ORDER_AT else None

        country_code = rng.choice(spec.countries)
        country = data.COUNTRIES[country_code]
        name, email = (odd.customer, odd.email) if odd and odd.customer else self._customer()
        billing = country.address(rng)
        if odd and odd.long_address:
            billing = (data.LONG_STREET, *billing[1:])
        shipping, ship_to = billing, name
        if rng.random() < 0.12:  # a gift, or a work address
            shipping = country.address(rng)
            ship_to = self._customer()[0] if rng.random() < 0.5 else name
        billing_email = f"bills@{rng.choice(data.EMAIL_DOMAINS)}" if rng.random() < 0.05 else email
        company = rng.choice(data.COMPANIES) if rng.random() < spec.company_rate else ""
        phone = data.fill(rng, country.phone)

        lines = self._lines(spec, scenario, odd)
        subtotal = sum(line[2] * quantity for line, quantity in lines)
        discount = 0
        if rng.random() < 0.12:  # a coupon: 10% off, or 5.00 off a larger order
            discount = subtotal // 10 if subtotal < 4000 or rng.random() < 0.5 else 500
        method, shipping_cost = spec.shipping_method(rng.random(), subtotal)
        # Tax on the discounted goods plus shipping, at the ship-to rate, rounded half up to a cent.
        tax = ((subtotal - discount + shipping_cost) * shipping[5] + 5000) // 10000
        total = subtotal + shipping_cost + tax - discount

        order_id = self._next_id("orders")
        steps = self._timeline(placed, scenario)
        modified = steps[-1][1]
        if scenario.payment is not _P.UNPAID:
            modified = self._payments(order_id, spec, scenario.payment, steps, total, lines)
        shipped = self._line_items(order_id, number, scenario, lines)
        shipped_at = next((at for label, at in steps if label in _SHIPPING_LABELS), None)
        if shipped_at is not None:
            self._shipment(order_id, country, shipped_at, shipped)
        self._history(order_id, steps)
        terms = sorted(search_terms(number, name, [email, billing_email]))
        rows["order_search_terms"].extend({"term": term, "order_id": order_id} for term in terms)

        # fmt: off
        rows["orders"].append({
            "id": order_id, "cart_id": cart_id, "remote_id": spec.remote_id(sequence),
            "number": number, "number_key": number_key(number), "placed_at": placed,
            "modified_at": modified,
            "imported_at": min(placed + timedelta(minutes=rng.uniform(1, 15)), self.now),
            "customer_name": name, "customer_sort": customer_sort_key(name),
            "customer_email": email, "customer_phone": phone,
            "billing_name": name, "billing_company": company,
            "billing_street1": billing[0], "billing_street2": billing[1],
            "billing_city": billing[2], "billing_region": billing[3],
            "billing_postcode": billing[4], "billing_country": country_code,
            "billing_email": billing_email, "billing_phone": phone,
            "shipping_name": ship_to, "shipping_company": company,
            "shipping_street1": shipping[0], "shipping_street2": shipping[1],
            "shipping_city": shipping[2], "shipping_region": shipping[3],
            "shipping_postcode": shipping[4], "shipping_country": country_code,
            "shipping_method": method, "currency": spec.currency,
            "subtotal": _money(subtotal), "shipping_total": _money(shipping_cost),
            "tax_total": _money(tax), "discount_total": _money(discount), "total": _money(total),
            "payment_state": scenario.payment.value, "shipping_state": scenario.shipping.value,
            # Units, not lines: "3 x mug" is three items to pick and pack.
            "item_count": sum(quantity for _, quantity in lines),
            "status_label_id": self.store.labels[scenario.label],
            "ship_date": shipped_at.date() if shipped_at is not None else None,
            "customer_note": rng.choice(data.NOTES) if rng.random() < 0.04 else "",
        })
        # fmt: on

    def _customer(self) -> tuple[str, str]:
        rng = self.rng
        (first, f), (last, la) = rng.choice(self.first_names), rng.choice(self.last_names)
        style = rng.random()
        local = f"{f}.{la}" if style < 0.5 else f"{f[0]}{la}" if style < 0.7 else f"{f}{la}"
        if style >= 0.85:
            local += str(rng.randrange(1950, 2006))
        return f"{first} {last}", f"{local}@{rng.choice(data.EMAIL_DOMAINS)}"

    def _lines(self, spec: CartSpec, scenario: Scenario, odd: OddOrder | None) -> _Lines:
        rng = self.rng
        lines = []
        for product in rng.sample(self.products, self._pick(_LINE_COUNT_WEIGHTS) + 1):
            r = rng.random()
            quantity = 1 if r < 0.72 else 2 if r < 0.9 else 3 if r < 0.97 else rng.randint(4, 6)
            lines.append((product, quantity * spec.quantity_scale))
        if odd and odd.free_gift:
            lines.append((self.gift, 1))
        if scenario.shipping is _S.PARTIALLY_SHIPPED and len(lines) == 1 and lines[0][1] == 1:
            lines[0] = (lines[0][0], 2)  # a partial shipment needs two units at least
        return lines

    def _timeline(self, placed: datetime, scenario: Scenario) -> _Steps:
        at, steps = placed, [("Order Received", placed)]
        for label in scenario.steps:
            low, high = data.STEP_HOURS[label]
            # Nothing happens after now: a young order's later steps bunch up at the present.
            at = min(at + timedelta(hours=self.rng.uniform(low, high)), self.now)
            steps.append((label, at))
        return steps

    def _payments(
        self, order_id: int, spec: CartSpec, state: _P, steps: _Steps, total: int, lines: _Lines
    ) -> datetime:
        """Add the payment (and any refund) rows; return the order's last-modified time."""
        rng, last_step = self.rng, steps[-1][1]
        method, pattern = rng.choice(spec.payments)
        paid_at = next((at for label, at in steps if label == "Payment Received"), last_step)
        amount = total * 3 // 10 if state is _P.PARTIALLY_PAID else total
        payments = [("payment", amount, paid_at)]
        if state is _P.REFUNDED:
            payments.append(("refund", total, last_step))
        elif state is _P.PARTIALLY_REFUNDED:  # one unit of the cheapest line came back
            refunded_at = min(last_step + timedelta(days=rng.uniform(2, 20)), self.now)
            payments.append(("refund", min(line[2] for line, _ in lines), refunded_at))
        for kind, cents, at in payments:
            # fmt: off
            self.rows["payments"].append({
                "id": self._next_id("payments"), "order_id": order_id, "kind": kind,
                "method": method, "reference": data.fill(rng, pattern), "amount": _money(cents),
                "paid_at": at,
            })
            # fmt: on
        return max(last_step, payments[-1][2])

    def _line_items(
        self, order_id: int, number: str, scenario: Scenario, lines: _Lines
    ) -> list[tuple[int, int]]:
        """Add the line item rows; return (line item id, quantity shipped) for what went out."""
        labels, shipping = self.store.labels, scenario.shipping
        shipped_quantities = [quantity for _, quantity in lines]
        if shipping is _S.PARTIALLY_SHIPPED:
            if len(lines) > 1:  # some lines went out in full, the rest wait
                cut = self.rng.randint(1, len(lines) - 1)
                shipped_quantities = shipped_quantities[:cut] + [0] * (len(lines) - cut)
            else:
                shipped_quantities = [self.rng.randint(1, shipped_quantities[0] - 1)]
        elif shipping not in (_S.SHIPPED, _S.RETURNED):
            shipped_quantities = [0] * len(lines)
        item_label = _ITEM_LABELS.get(shipping, scenario.label)
        shipped = []
        for position, ((sku, name, _, price), quantity) in enumerate(lines):
            line_id = self._next_id("line_items")
            label, full = item_label, shipped_quantities[position] == quantity
            if shipping is _S.PARTIALLY_SHIPPED:
                label = "Item Shipped" if full else "Backordered"
            # fmt: off
            self.rows["line_items"].append({
                "id": line_id, "order_id": order_id, "position": position,
                "remote_id": f"{number}-{position + 1}", "sku": sku, "name": name,
                "quantity": quantity, "unit_price": price, "status_label_id": labels[label],
            })
            # fmt: on
            if shipped_quantities[position]:
                shipped.append((line_id, shipped_quantities[position]))
        return shipped

    def _shipment(
        self, order_id: int, country: Country, at: datetime, shipped: list[tuple[int, int]]
    ) -> None:
        rng, rows = self.rng, self.rows
        carrier, services = rng.choice(country.carriers)
        shipment_id = self._next_id("shipments")
        rows["shipments"].append(
            {"id": shipment_id, "order_id": order_id, "carrier": carrier,
             "service": rng.choice(services), "shipped_at": at}
        )  # fmt: skip
        numbers = {data.fill(rng, data.TRACKING_PATTERNS[carrier])}
        if rng.random() < 0.08:  # two boxes, two tracking numbers
            numbers.add(data.fill(rng, data.TRACKING_PATTERNS[carrier]))
        rows["tracking_numbers"].extend(
            {"id": self._next_id("tracking_numbers"), "shipment_id": shipment_id, "number": number}
            for number in sorted(numbers)
        )
        rows["shipment_items"].extend(
            {"shipment_id": shipment_id, "line_item_id": line_id, "quantity": quantity}
            for line_id, quantity in shipped
        )

    def _history(self, order_id: int, steps: _Steps) -> None:
        labels, previous = self.store.labels, None
        for label, at in steps:
            event = "Order Received" if previous is None else data.LABEL_EVENTS.get(label, "")
            if event and previous is not None and self.rng.random() < 0.25:
                event = ""  # an operator set this one by hand
            operator = "" if event else self.rng.choice(data.OPERATORS)
            # fmt: off
            self.rows["label_history"].append({
                "id": self._next_id("label_history"), "order_id": order_id, "line_item_id": None,
                "from_label_id": previous, "to_label_id": labels[label], "changed_at": at,
                "event": event, "changed_by": operator, "note": "",
            })
            # fmt: on
            previous = labels[label]


# Line items share the order's fate, except while it waits (they carry the order's label then).
# The steps that ship goods from the store (a drop shipment leaves from the supplier).
_SHIPPING_LABELS = frozenset({"Partially Shipped", "Order Shipped"})
_ITEM_LABELS = {
    _S.SHIPPED: "Item Shipped",
    _S.RETURNED: "Item Returned",
    _S.CANCELLED: "Item Cancelled",
}


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)
