"""Order Download Mode against the cart's invoices: which new orders a cycle imports, and
Auto-Invoice creating the invoice in carts that have a separate invoice (Magento).

- Wait-For-Invoice: a new order the cart has not invoiced is skipped ("not invoiced yet"); it comes
  back when the cart changes it.
- Auto-Invoice on a cart with real invoices (``capabilities.invoices``): a new order something else
  already invoiced is skipped; every downloaded order the cart has not invoiced is imported and,
  once its page committed, invoiced in the cart by us. A cart refusing is logged; the order stays
  imported and the cursor stays before it, so the next cycle downloads it again and tries again.
- Auto-Invoice elsewhere: "invoiced" only means paid there, so nothing is skipped for it.

Orders already in the store keep updating whatever their invoice state (the mode may have changed
since they were imported).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import (
    AUTO_INVOICE,
    WAIT_FOR_INVOICE,
    CartConfig,
    Connector,
    InvoicingConnector,
    RemoteOrder,
)
from ordermanager.db.engine import Database
from ordermanager.db.models import Order
from ordermanager.eventlog import log_event
from ordermanager.orders.states import PaymentState
from ordermanager.status.events import Event
from ordermanager.status.firing import fire_event
from ordermanager.sync.upsert import SYNC_ACTOR, mark_paid

LOG_SOURCE = "sync"  # as ordermanager.sync.cycle
NOT_INVOICED = "not invoiced yet"
INVOICED_ELSEWHERE = "already invoiced outside Order Manager"


@dataclass
class InvoiceOutcome:
    invoiced: int = 0
    failed: list[datetime] = field(default_factory=list)  # modification times to ask for again


def invoicer_of(cart: CartConfig, connector: Connector) -> InvoicingConnector | None:
    """The connector when this cycle creates invoices in the cart, else None."""
    if cart.download_mode != AUTO_INVOICE or not connector.capabilities.invoices:
        return None
    if not callable(getattr(connector, "create_invoice", None)):
        return None
    return cast(InvoicingConnector, connector)


def new_order_skip_reason(
    cart: CartConfig, invoicer: InvoicingConnector | None, remote: RemoteOrder
) -> str | None:
    """Why a NEW order (not in the store yet) is not imported, or None to import it."""
    if cart.download_mode == WAIT_FOR_INVOICE and not remote.invoiced:
        return NOT_INVOICED
    if invoicer is not None and remote.invoiced:
        return INVOICED_ELSEWHERE
    return None


def needs_invoice(invoicer: InvoicingConnector | None, remote: RemoteOrder) -> bool:
    return invoicer is not None and not remote.invoiced


def create_invoices(
    db: Database,
    cart: CartConfig,
    invoicer: InvoicingConnector,
    orders: Sequence[RemoteOrder],
    done: set[str],
) -> InvoiceOutcome:
    """Invoice each (already committed) order in the cart, one at a time; ``done`` holds the
    remote ids invoiced earlier in this cycle (an order can arrive twice in one cycle)."""
    outcome = InvoiceOutcome()
    for remote in orders:
        if remote.remote_id in done:
            continue
        try:
            text = invoicer.create_invoice(remote)
        except ConnectorError as exc:
            outcome.failed.append(remote.modified_at)
            _log(db, cart, remote, "error", f"could not be invoiced in the cart: {exc}")
            continue
        done.add(remote.remote_id)
        outcome.invoiced += 1
        # Its own small transaction: the invoice exists in the cart now, whatever comes next.
        with db.transaction() as session:
            order_id = _order_id(session, cart, remote)
            if order_id is not None:
                # The invoice captured the payment: record it now, or the next cycle would
                # find the order paid and fire Payment Received over the operators' labels.
                order = session.get_one(Order, order_id)
                if order.payment_state == PaymentState.UNPAID.value:
                    mark_paid(session, order, remote)
                fire_event(session, Event.ORDER_INVOICED, order_id, changed_by=SYNC_ACTOR)
            log_event(
                session,
                LOG_SOURCE,
                "info",
                f"Cart '{cart.name}': order {_shown(remote)} invoiced in the cart ({text})",
                order_id=order_id,
                actor=SYNC_ACTOR,
            )
    return outcome


def _log(db: Database, cart: CartConfig, remote: RemoteOrder, level: str, what: str) -> None:
    with db.transaction() as session:
        order_id = _order_id(session, cart, remote)
        log_event(
            session,
            LOG_SOURCE,
            level,
            f"Cart '{cart.name}': order {_shown(remote)} {what}",
            order_id=order_id,
            actor=SYNC_ACTOR,
            now=datetime.now(UTC),
        )


def _order_id(session: Session, cart: CartConfig, remote: RemoteOrder) -> int | None:
    return session.execute(
        select(Order.id).where(Order.cart_id == cart.id, Order.remote_id == remote.remote_id)
    ).scalar_one_or_none()


def _shown(remote: RemoteOrder) -> str:
    return remote.number or remote.remote_id or "(no number)"
