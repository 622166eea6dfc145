"""The operator actions of ``ordermanager orders``: ``approve``, ``ship``, ``cancel``, ``label``,
``import-tracking`` and the rest. Registered by ordermanager.cli; same output contract. With several
orders, the good ones are done and each failure is one line on stderr (exit status 1).
"""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from ordermanager.cli import EXIT_ERROR, EXIT_OK, _err, _open, _print_json
from ordermanager.errors import InvalidInputError, OrderManagerError

# -- operator actions ---------------------------------------------------------------------------

ActionBuilder = Callable[[argparse.Namespace], Callable[[Session, int], Any]]


def add_order_actions(sub: Any) -> None:
    """``orders ACTION NUMBER... [options]``: the options apply to every order named."""

    def action(name: str, help_text: str, builder: ActionBuilder) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
        parser.add_argument(
            "numbers", nargs="+", metavar="NUMBER", help="order numbers (CART:NUMBER if shared)"
        )
        parser.add_argument("--by", default=_user(), help="who does it (default: you)")
        parser.add_argument("--json", action="store_true", help="print one JSON document")
        parser.set_defaults(handler=_cmd_order_action, build_action=builder, action_name=name)
        return parser

    def skus(parser: argparse.ArgumentParser, what: str) -> None:
        parser.add_argument(
            "--sku", action="append", default=None, help=f"only this item (repeat); default: {what}"
        )

    from ordermanager.orders import actions as a
    from ordermanager.orders import payments

    action("approve", "approve orders", lambda o: lambda s, i: a.approve(s, i, changed_by=o.by))
    action("hold", "put orders on hold", lambda o: lambda s, i: a.hold(s, i, changed_by=o.by))
    action(
        "release",
        "release orders from hold",
        lambda o: lambda s, i: a.release_hold(s, i, changed_by=o.by),
    )
    ship = action("ship", "ship items or whole orders", _build_ship)
    ship.add_argument("--tracking", action="append", default=[], help="tracking number (repeat)")
    ship.add_argument("--carrier", default="", help="UPS, FedEx, USPS, DHL, ...")
    skus(ship, "everything not yet shipped")
    track = action("track", "enter tracking numbers", _build_track)
    track.add_argument("--tracking", action="append", required=True, help="(repeat)")
    track.add_argument("--carrier", default="")
    cancel = action("cancel", "cancel items or whole orders", _build_items(a.cancel))
    skus(cancel, "the whole order")
    backorder = action("backorder", "backorder items", _build_items(a.backorder))
    skus(backorder, "every item")
    returned = action("return", "record returned items", _build_items(a.return_items))
    skus(returned, "the whole order")
    drop = action("drop-ship", "drop ship items", _build_items(a.drop_ship))
    skus(drop, "every item")
    label = action("label", "set a status label by hand", _build_label)
    label.add_argument("label", metavar="LABEL", help="the label (after the numbers)")
    skus(label, "the order's own label")
    ship_date = action("ship-date", "enter the ship date", _build_ship_date)
    ship_date.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    for name, fn in (("pay", payments.log_payment), ("refund", payments.refund)):
        money = action(
            name, f"{'log a payment' if name == 'pay' else 'issue a refund'}", _build_money(fn)
        )
        money.add_argument("--amount", required=True)
        money.add_argument("--method", default="")
    add_item = action("add-item", "add a line item", _build_add_item)
    add_item.add_argument("--sku", required=True)
    add_item.add_argument("--name", default="")
    add_item.add_argument("--quantity", type=int, default=1)
    add_item.add_argument("--price", required=True, help="unit price, e.g. 12.50")

    imports = sub.add_parser(
        "import-tracking", help="import tracking numbers from a CSV file (Order, Tracking, Carrier)"
    )
    imports.add_argument("file", metavar="FILE.csv")
    imports.add_argument("--dry-run", action="store_true", help="only check the file (preview)")
    imports.add_argument("--by", default=_user(), help="who does it (default: you)")
    imports.add_argument("--json", action="store_true", help="print one JSON document")
    imports.set_defaults(handler=_cmd_import_tracking)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _item_ids(session: Session, order_id: int, skus: list[str] | None) -> list[int] | None:
    from ordermanager.orders.actions import items_by_sku

    return None if not skus else items_by_sku(session, order_id, skus)


def _build_ship(o: argparse.Namespace) -> Callable[[Session, int], Any]:
    from ordermanager.orders.actions import ship

    return lambda s, i: ship(
        s, i, _item_ids(s, i, o.sku), tracking=o.tracking, carrier=o.carrier, changed_by=o.by
    )


def _build_track(o: argparse.Namespace) -> Callable[[Session, int], Any]:
    from ordermanager.orders.actions import enter_tracking

    return lambda s, i: enter_tracking(s, i, o.tracking, o.carrier, changed_by=o.by)


def _build_items(fn: Callable[..., Any]) -> ActionBuilder:
    return lambda o: lambda s, i: fn(s, i, _item_ids(s, i, o.sku), changed_by=o.by)


def _build_label(o: argparse.Namespace) -> Callable[[Session, int], Any]:
    from ordermanager.orders.actions import set_label

    return lambda s, i: set_label(s, i, o.label, _item_ids(s, i, o.sku), changed_by=o.by)


def _build_ship_date(o: argparse.Namespace) -> Callable[[Session, int], Any]:
    from ordermanager.orders.actions import enter_ship_date

    try:
        day = date.fromisoformat(o.date)
    except ValueError:
        raise InvalidInputError(f"--date wants a date as YYYY-MM-DD, not '{o.date}'.") from None
    return lambda s, i: enter_ship_date(s, i, day, changed_by=o.by)


def _build_money(fn: Callable[..., Any]) -> ActionBuilder:
    def build(o: argparse.Namespace) -> Callable[[Session, int], Any]:
        from ordermanager.orders.payments import parse_amount

        amount: Decimal = parse_amount(o.amount)
        return lambda s, i: fn(s, i, amount, o.method, changed_by=o.by)

    return build


def _build_add_item(o: argparse.Namespace) -> Callable[[Session, int], Any]:
    from ordermanager.orders.actions import add_item
    from ordermanager.orders.payments import parse_amount

    price = parse_amount(o.price, allow_zero=True)
    return lambda s, i: add_item(
        s, i, sku=o.sku, name=o.name, quantity=o.quantity, unit_price=price, changed_by=o.by
    )


def _cmd_import_tracking(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ordermanager.orders.tracking_import import import_tracking, preview_tracking

    path = Path(args.file)
    with _open(args) as database:
        if args.dry_run:
            with database.session() as session:
                preview = preview_tracking(session, path)
            good, errors = preview.rows, preview.errors
        else:
            result = import_tracking(database, path, changed_by=args.by)
            good, errors = result.imported, result.errors
    if args.json:
        _print_json(
            {
                "dry_run": args.dry_run,
                "imported": [
                    {"line": r.line, "order": r.order, "tracking": r.tracking, "carrier": r.carrier}
                    for r in good
                ],
                "errors": [e.as_json() for e in errors],
            }
        )
    for error in errors:
        _err(f"{path.name}: line {error.line}: {error.message}")
    verb = "would import" if args.dry_run else "imported"
    _err(
        f"{path.name}: {verb} {len(good)} tracking number{'s' if len(good) != 1 else ''}, "
        f"{len(errors)} row{'s' if len(errors) != 1 else ''} with errors."
    )
    return EXIT_ERROR if errors else EXIT_OK


def _cmd_order_action(args: argparse.Namespace) -> int:
    from ordermanager.orders.bulk import run_bulk
    from ordermanager.orders.bulk_ship import bulk_ship
    from ordermanager.orders.detail import find_order

    body = args.build_action(args)  # option errors are reported before anything is opened
    failures: list[tuple[str, str]] = []
    queued = 0
    with _open(args) as database:
        ids: dict[int, str] = {}
        with database.session() as session:
            for number in args.numbers:
                try:
                    ids.setdefault(find_order(session, number), number)
                except OrderManagerError as exc:
                    failures.append((number, str(exc)))
        results: dict[int, Any] = {}

        def run(session: Session, order_id: int) -> None:
            results[order_id] = body(session, order_id)

        if args.action_name == "ship" and not args.sku:
            # Whole orders: the set-based path, thousands of orders a second.
            outcome, queued = bulk_ship(
                database,
                list(ids),
                tracking=args.tracking,
                carrier=args.carrier,
                changed_by=args.by,
            )
        else:
            outcome = run_bulk(database, run, list(ids))
    for order_id in outcome.done:
        queued += getattr(results.get(order_id), "queued", 0)
    failures.extend((ids[order_id], message) for order_id, message in outcome.failed.items())
    done = [ids[order_id] for order_id in outcome.done]
    if args.json:
        _print_json(
            {
                "action": args.action_name,
                "done": done,
                "queued_status_updates": queued,
                "failed": [{"order": n, "error": m} for n, m in failures],
            }
        )
    for number, message in failures:
        # Name the order once: many core messages already start with "Order NUMBER".
        where = "" if f"Order {number}" in message else f"order {number}: "
        _err(f"ordermanager: error: {where}{message}")
    _err(
        f"{args.action_name}: {len(done)} order{'s' if len(done) != 1 else ''} done, "
        f"{len(failures)} failed, {queued} status update{'s' if queued != 1 else ''} queued."
    )
    return EXIT_ERROR if failures else EXIT_OK
