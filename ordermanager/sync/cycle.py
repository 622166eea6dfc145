"""One sync cycle of one cart: download the orders changed since its cursor and upsert them.

- The request asks for orders changed since the cursor minus an OVERLAP window: cart clocks drift
  and many carts keep whole seconds, so an order saved in the same second as the last one we saw
  could otherwise be missed. Re-downloaded orders that did not change are recognised by their
  modification time and change nothing.
- Each page is written in one transaction (orders, items, search terms, the fired status events
  and their stack records commit together), set-based (ordermanager.sync.bulk) inside a savepoint.
  When the database refuses any of it, the page is written again order by order, each order in a
  savepoint of its own, so the one bad order is logged and skipped while the rest imports.
- The cursor moves only at the end, after every page committed, to the newest modification time
  seen, but never past an order that failed in a way that may heal (then that order is downloaded
  again next cycle). A cart that cannot be reached or refuses the credentials raises
  ConnectorError and leaves the cursor where it was.
- Order Download Mode (ordermanager.sync.invoicing): Wait-For-Invoice skips new orders that are
  not invoiced yet; Auto-Invoice imports them, and on carts with real invoices skips new orders
  invoiced elsewhere and invoices the others in the cart once their page committed (a failure
  keeps the cursor before the order, so the next cycle tries again).
- Every skip is written to the event log (source 'sync') with the order number and the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from sqlalchemy.orm import Session

from ordermanager.carts.protocol import (
    CartConfig,
    Connector,
    InvoicingConnector,
    OrderPage,
    RemoteOrder,
)
from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, SyncRun
from ordermanager.errors import NotFoundError, OrderManagerError
from ordermanager.eventlog import log_event
from ordermanager.sync.bulk import KnownOrder, known_orders, write_orders
from ordermanager.sync.invoicing import (
    create_invoices,
    invoicer_of,
    needs_invoice,
    new_order_skip_reason,
)
from ordermanager.sync.statistics import GrowthWatch
from ordermanager.sync.upsert import Change, upsert_order

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=10)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LOG_SOURCE = "sync"
MAX_PAGES = 100_000  # a script that always answers next_page would otherwise loop for ever

Progress = Callable[[int, int | None], None]  # (orders handled so far, total when known)
Opener = Callable[[CartConfig], Connector]


class SyncCancelled(OrderManagerError):
    """The operator cancelled; what was committed stays, the cursor did not move."""


@dataclass
class SkipNote:
    number: str
    reason: str


@dataclass
class SyncResult:
    cart_id: int
    cart_name: str
    downloaded: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[SkipNote] = field(default_factory=list)
    cursor: datetime | None = None
    pages: int = 0
    invoiced: int = 0  # invoices this cycle created in the cart (Auto-Invoice, Magento)
    invoice_failures: int = 0


def cart_config(session: Session, cart_id: int) -> tuple[CartConfig, datetime | None]:
    cart = session.get(Cart, cart_id)
    if cart is None:
        raise NotFoundError(f"There is no cart with id {cart_id}.")
    config = CartConfig(cart.id, cart.name, cart.kind, cart.base_url, cart.download_mode)
    return config, cart.sync_cursor


def run_sync(
    db: Database,
    cart_id: int,
    *,
    progress: Progress | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    opener: Opener | None = None,
) -> SyncResult:
    """Run one cycle. Raises ConnectorError when the cart could not be asked (cursor unchanged),
    SyncCancelled when ``is_cancelled`` said so between pages."""
    with db.session() as session:
        cart, cursor = cart_config(session, cart_id)
    if opener is None:
        from ordermanager.carts.registry import open_connector

        opener = open_connector
    result = SyncResult(cart.id, cart.name)
    since = (cursor - OVERLAP) if cursor is not None else EPOCH
    run_id = _start_run(db, cart.id)
    try:
        connector = opener(cart)
        try:
            _download(db, cart, connector, since, result, progress, is_cancelled)
        finally:
            connector.close()
    except (OrderManagerError, sa_exc.SQLAlchemyError) as exc:
        _finish_run(db, run_id, result, error=_error_text(exc))
        raise
    _finish_run(db, run_id, result, error="", cursor_to=result.cursor)
    return result


def _download(
    db: Database,
    cart: CartConfig,
    connector: Connector,
    since: datetime,
    result: SyncResult,
    progress: Progress | None,
    is_cancelled: Callable[[], bool] | None,
) -> None:
    newest: datetime | None = None
    # The oldest modification time of an order that failed in a way that may heal: the cursor
    # must stay at or before it so the next cycle asks for it again.
    ceiling: datetime | None = None
    page_token: str | None = None
    done = 0
    invoicer = invoicer_of(cart, connector)
    invoiced_now: set[str] = set()
    growth = GrowthWatch(db)
    for _ in range(MAX_PAGES):
        if is_cancelled is not None and is_cancelled():
            raise SyncCancelled(f"Sync of cart '{cart.name}' was cancelled.")
        page = connector.list_orders(since, page_token)
        result.pages += 1
        seen, failed, to_invoice = _write_page(db, cart, page, result, invoicer)
        growth.after_page(result.created)
        if invoicer is not None and to_invoice:
            invoices = create_invoices(db, cart, invoicer, to_invoice, invoiced_now)
            result.invoiced += invoices.invoiced
            result.invoice_failures += len(invoices.failed)
            failed.extend(invoices.failed)
        for when in seen:
            newest = when if newest is None or when > newest else newest
        for when in failed:
            ceiling = when if ceiling is None or when < ceiling else ceiling
        done += len(page.orders) + len(page.skipped)
        if progress is not None:
            progress(done, page.total)
        page_token = page.next_page
        if page_token is None:
            break
    if newest is not None and ceiling is not None:
        newest = min(newest, ceiling)
    result.cursor = newest


def _write_page(
    db: Database,
    cart: CartConfig,
    page: OrderPage,
    result: SyncResult,
    invoicer: InvoicingConnector | None,
) -> tuple[list[datetime], list[datetime], list[RemoteOrder]]:
    """Write one page in one transaction; the modification times seen, those that failed, and
    the orders to invoice in the cart once the page committed."""
    seen: list[datetime] = []
    failed: list[datetime] = []
    now = datetime.now(UTC)
    with db.transaction() as session:
        for skipped in page.skipped:
            _skip(session, cart, result, skipped.number or skipped.remote_id, skipped.reason, now)
            if skipped.modified_at is not None:
                seen.append(skipped.modified_at)
        known = known_orders(session, cart.id, [remote.remote_id for remote in page.orders])
        admitted: list[RemoteOrder] = []
        for remote in page.orders:
            result.downloaded += 1
            reason = new_order_skip_reason(cart, invoicer, remote)
            # An order already imported (before the mode changed) keeps being updated.
            if reason is not None and remote.remote_id not in known:
                _skip(session, cart, result, remote.number, reason, now)
                seen.append(remote.modified_at)
            else:
                admitted.append(remote)
        if _write_in_bulk(session, cart, admitted, known, result, now):
            written = admitted
        else:
            written = []
            for remote in admitted:
                if _upsert_one(session, cart, remote, result, now):
                    written.append(remote)
                else:
                    failed.append(remote.modified_at)
    seen.extend(remote.modified_at for remote in written)
    return seen, failed, [remote for remote in written if needs_invoice(invoicer, remote)]


def _write_in_bulk(
    session: Session,
    cart: CartConfig,
    remotes: list[RemoteOrder],
    known: dict[str, KnownOrder],
    result: SyncResult,
    now: datetime,
) -> bool:
    """The page's orders at once; False when the database refused something (nothing of it
    stays: the caller writes the page again order by order to find and skip the bad one)."""
    if len({remote.remote_id for remote in remotes}) != len(remotes):
        return False  # the same order twice in one page: one by one keeps it simple
    try:
        with session.begin_nested():
            counts = write_orders(session, cart, remotes, known, now)
    except (sa_exc.StatementError, OverflowError) as exc:
        if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
            raise  # the database itself is gone: stop the cycle, leave the cursor
        log.info("Cart '%s': page written order by order (%s)", cart.name, _error_text(exc))
        return False
    result.created += counts.created
    result.updated += counts.updated
    result.unchanged += counts.unchanged
    return True


def _upsert_one(
    session: Session, cart: CartConfig, remote: RemoteOrder, result: SyncResult, now: datetime
) -> bool:
    try:
        with session.begin_nested():
            outcome = upsert_order(session, cart.id, remote, now)
    except (sa_exc.StatementError, OverflowError) as exc:
        # A value the database cannot store (an integer beyond its range, say). Logged and
        # skipped; the cursor stays before it, so it is asked for again once the cart fixes it.
        if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
            raise  # the database itself is gone: stop the cycle, leave the cursor
        reason = f"the database refused it ({_error_text(exc)})"
        _skip(session, cart, result, remote.number, reason, now, level="error")
        return False
    if outcome.change is Change.CREATED:
        result.created += 1
    elif outcome.change is Change.UPDATED:
        result.updated += 1
    else:
        result.unchanged += 1
    return True


def _skip(
    session: Session,
    cart: CartConfig,
    result: SyncResult,
    number: str,
    reason: str,
    now: datetime,
    level: str = "warning",
) -> None:
    shown = number or "(no number)"
    result.skipped.append(SkipNote(shown, reason))
    log_event(
        session,
        LOG_SOURCE,
        level,
        f"Cart '{cart.name}': order {shown} skipped: {reason}",
        actor=LOG_SOURCE,
        now=now,
    )


def _start_run(db: Database, cart_id: int) -> int:
    with db.transaction() as session:
        run = SyncRun(
            cart_id=cart_id,
            started_at=datetime.now(UTC),
            downloaded=0,
            created=0,
            updated=0,
            skipped=0,
            error="",
        )
        session.add(run)
        session.flush()
        return run.id


def _finish_run(
    db: Database,
    run_id: int,
    result: SyncResult,
    *,
    error: str,
    cursor_to: datetime | None = None,
) -> None:
    now = datetime.now(UTC)
    with db.transaction() as session:
        run = session.get(SyncRun, run_id)
        if run is not None:
            run.finished_at = now
            run.downloaded = result.downloaded
            run.created, run.updated = result.created, result.updated
            run.skipped = len(result.skipped)
            run.error = error
        if not error:
            cart = session.get(Cart, result.cart_id)
            if cart is not None:
                cart.last_sync_at = now
                if cursor_to is not None and (
                    cart.sync_cursor is None or cursor_to > cart.sync_cursor
                ):
                    cart.sync_cursor = cursor_to
        else:
            log_event(
                session,
                LOG_SOURCE,
                "error",
                f"Cart '{result.cart_name}': sync failed: {error}",
                actor=LOG_SOURCE,
                now=now,
            )


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, sa_exc.StatementError) and exc.orig is not None:
        text = str(exc.orig).strip()
        return text.splitlines()[0] if text else type(exc.orig).__name__
    return str(exc) or type(exc).__name__


def latest_runs(session: Session, cart_id: int, limit: int = 10) -> list[SyncRun]:
    """The newest sync runs of a cart (the Sync Status view's source)."""
    query = select(SyncRun).where(SyncRun.cart_id == cart_id).order_by(SyncRun.id.desc())
    return list(session.execute(query.limit(limit)).scalars())
