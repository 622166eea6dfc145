"""``ordermanager carts add|list|test|remove`` and ``ordermanager sync``. Registered by
ordermanager.cli; same output contract (``--json`` on stdout, messages and progress on stderr,
errors as one line and exit 1).

Secrets never travel on the command line (argv is visible to every user of the machine): they are
read from stdin as ``name=value`` lines, or prompted for without echo when stdin is a terminal, and
go straight to the system keyring.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import select

from ordermanager.carts import admin
from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import AUTO_INVOICE, DOWNLOAD_MODES, CartConfig
from ordermanager.carts.registry import connectors, open_connector
from ordermanager.carts.status_map import (
    ActionKind,
    CartAction,
    kind_statuses,
    list_mappings,
    set_mapping,
)
from ordermanager.cli import EXIT_ERROR, EXIT_OK, _err, _open, _print_json
from ordermanager.db.models import Cart, StatusLabel
from ordermanager.errors import InvalidInputError, OrderManagerError


def add_carts_commands(commands: Any) -> None:
    carts = commands.add_parser("carts", help="the online stores orders come from: add, list, test")
    sub = carts.add_subparsers(dest="carts_command", metavar="ACTION", required=True)

    add = sub.add_parser("add", help="connect a cart (secrets are read from stdin)")
    kinds = add.add_subparsers(dest="kind", metavar="KIND", required=True)
    for kind, cls in sorted(connectors().items()):
        fields = ", ".join(cls.secret_fields)
        one = kinds.add_parser(
            kind,
            help=f"a {cls.title} cart",
            description=f"Connect a {cls.title} cart. Secrets ({fields}) are read from stdin as "
            "name=value lines, or asked for when stdin is a terminal; they go to the system "
            "keyring, never to the database or the command line.",
            epilog=f"Secret fields: {fields}. Example: printf '{cls.secret_fields[0]}=...\\n' | "
            f"ordermanager carts add {kind} --name 'Main Store' --url URL",
        )
        one.add_argument("--name", required=True, help="a name for the cart, unique in the store")
        one.add_argument("--url", required=True, help=admin.url_hint(kind))
        one.add_argument(
            "--download-mode",
            choices=DOWNLOAD_MODES,
            default=AUTO_INVOICE,
            help="auto-invoice (default): import orders as placed; wait-for-invoice: only once "
            "invoiced (paid, on carts without invoices)",
        )
        one.add_argument(
            "--interval", type=int, default=15, metavar="MINUTES", help="sync every N minutes"
        )
        one.set_defaults(handler=_cmd_add)

    listing = sub.add_parser("list", help="every configured cart")
    listing.add_argument("--json", action="store_true", help="print one JSON document")
    listing.set_defaults(handler=_cmd_list)

    test = sub.add_parser("test", help="test the connection to a cart")
    test.add_argument("name", metavar="NAME")
    test.set_defaults(handler=_cmd_test)

    remove = sub.add_parser("remove", help="remove a cart that has no orders, and its secrets")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=_cmd_remove)

    mapping = sub.add_parser(
        "mapping",
        help="show or change what each status label does in a cart",
        description="Without options: every status label with the cart action it becomes "
        "(marked 'default' when it is the cart kind's default). --set gives a label the cart's "
        "own mapping, --reset takes it back to the default.",
        epilog="ACTION is one of: "
        + ", ".join(a.value for a in ActionKind)
        + ". Examples: --set 'Order Shipped=ship:notify', --set 'On Hold=set_status:on-hold', "
        "--set 'Backordered=comment:notify', --set 'Item Returned=skip'.",
    )
    mapping.add_argument("name", metavar="NAME")
    change = mapping.add_mutually_exclusive_group()
    change.add_argument(
        "--set",
        dest="set_spec",
        metavar="LABEL=ACTION[:CART_STATUS][:notify]",
        help="map LABEL to ACTION (with the cart's status code, and e-mail the customer)",
    )
    change.add_argument("--reset", metavar="LABEL", help="back to the cart kind's default")
    mapping.add_argument("--json", action="store_true", help="print one JSON document")
    mapping.set_defaults(handler=_cmd_mapping)


def add_sync_command(commands: Any) -> None:
    sync = commands.add_parser(
        "sync", help="download new and changed orders from the carts now (one cycle)"
    )
    sync.add_argument("--cart", metavar="NAME", help="only this cart (default: every enabled cart)")
    sync.set_defaults(handler=_cmd_sync)


# -- add --------------------------------------------------------------------------------------


def read_secrets(stream: TextIO, fields: tuple[str, ...], cart_name: str) -> dict[str, str]:
    """``name=value`` lines from a pipe, or a prompt per field on a terminal."""
    if stream.isatty():
        return {field: getpass.getpass(f"{field} for cart '{cart_name}': ") for field in fields}
    values: dict[str, str] = {}
    for number, line in enumerate(stream.read().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep:
            raise InvalidInputError(
                f"Line {number} of stdin is not name=value (expected: {', '.join(fields)})."
            )
        if name not in fields:
            raise InvalidInputError(
                f"Unknown secret '{name}' on line {number} of stdin; this kind of cart takes: "
                f"{', '.join(fields)}."
            )
        values[name] = value.strip()
    return values


def _cmd_add(args: argparse.Namespace) -> int:
    cls = admin.installed_kind(args.kind)
    # Checked before the secrets are asked for: nobody should type a key for a cart refused anyway.
    name = admin.check_name(args.name, "--name")
    url = admin.check_url(args.url, "--url")
    interval = admin.check_interval(args.interval, "--interval")
    values = read_secrets(sys.stdin, cls.secret_fields, name)
    with _open(args) as database:
        admin.add_cart(database, cls.kind, name, url, args.download_mode, interval, values)
    _err(
        f"Added {cls.title} cart '{name}' ({args.download_mode}, every {interval} min); "
        "its secrets are in the system keyring. Try it with: ordermanager carts test "
        f"'{name}'"
    )
    return EXIT_OK


# -- list, test, remove -----------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _cmd_list(args: argparse.Namespace) -> int:
    with _open(args) as database, database.session() as session:
        listed = admin.list_carts(session)
        cursors = {i: c for i, c in session.execute(select(Cart.id, Cart.sync_cursor))}
    carts: list[dict[str, Any]] = [
        {
            "name": cart.name,
            "kind": cart.kind,
            "url": cart.base_url,
            "enabled": cart.enabled,
            "demo": cart.demo,
            "connector_installed": cart.connector_installed,
            "secrets_stored": cart.has_secrets,
            "download_mode": cart.download_mode,
            "sync_interval_minutes": cart.sync_interval_minutes,
            "last_sync_at": _iso(cart.last_sync_at),
            "sync_cursor": _iso(cursors.get(cart.id)),
        }
        for cart in listed
    ]
    if args.json:
        _print_json({"carts": carts})
        return EXIT_OK
    print(f"{'Name':<24}  {'Kind':<12}  {'Mode':<16}  {'Every':>6}  {'Last sync':<19}  URL")
    for cart in carts:
        last = cart["last_sync_at"][:19].replace("T", " ") if cart["last_sync_at"] else "never"
        print(
            f"{cart['name'][:24]:<24}  {cart['kind']:<12}  {cart['download_mode']:<16}  "
            f"{cart['sync_interval_minutes']:>4} m  {last:<19}  {cart['url']}"
        )
    _err(f"{len(carts)} cart{'s' if len(carts) != 1 else ''}.")
    return EXIT_OK


def _cart_row(session: Any, name: str) -> Cart:
    return admin.find_cart(session, name)


def _config(row: Cart) -> CartConfig:
    return CartConfig(row.id, row.name, row.kind, row.base_url, row.download_mode)


def _cmd_test(args: argparse.Namespace) -> int:
    with _open(args) as database, database.session() as session:
        config = _config(_cart_row(session, args.name))
    connector = open_connector(config)
    try:
        print(connector.test_connection())
    finally:
        connector.close()
    return EXIT_OK


def _cmd_remove(args: argparse.Namespace) -> int:
    with _open(args) as database:
        with database.session() as session:
            cart_id = _cart_row(session, args.name).id
        name = admin.remove_cart(database, cart_id)
    _err(f"Removed cart '{name}' and its secrets.")
    return EXIT_OK


# -- mapping ----------------------------------------------------------------------------------


def parse_mapping(spec: str) -> tuple[str, CartAction]:
    """``"LABEL=ACTION[:CART_STATUS][:notify]"`` as a label name and its action."""
    label, sep, action_text = spec.rpartition("=")
    label = label.strip()
    if not sep or not label or not action_text.strip():
        raise InvalidInputError(
            f"--set wants LABEL=ACTION[:CART_STATUS][:notify], e.g. 'Order Shipped=ship:notify'; "
            f"not '{spec}'."
        )
    parts = [part.strip() for part in action_text.split(":")]
    notify = len(parts) > 1 and parts[-1].lower() == "notify"
    if notify:
        parts.pop()
    kind_text = parts[0].lower().replace("-", "_")
    try:
        kind = ActionKind(kind_text)
    except ValueError:
        known = ", ".join(a.value for a in ActionKind)
        raise InvalidInputError(f"Unknown action '{parts[0]}' (one of: {known}).") from None
    if len(parts) > 2:
        raise InvalidInputError(
            f"Too many ':' parts in '{action_text}': ACTION[:CART_STATUS][:notify]."
        )
    return label, CartAction(kind, parts[1] if len(parts) == 2 else "", notify)


def _label_id(session: Any, name: str) -> tuple[int, str]:
    rows = session.execute(select(StatusLabel.id, StatusLabel.name)).all()
    wanted = " ".join(name.split()).casefold()
    for label_id, label in rows:
        if " ".join(label.split()).casefold() == wanted:
            return label_id, label
    raise InvalidInputError(f"There is no status label '{name}' (see ordermanager labels).")


def _cmd_mapping(args: argparse.Namespace) -> int:
    with _open(args) as database:
        with database.session() as session:
            row = _cart_row(session, args.name)
            cart_id, cart_name, kind = row.id, row.name, row.kind
        cls = connectors().get(kind)
        if cls is None:
            raise InvalidInputError(
                f"No connector for '{kind}' carts is installed, so cart '{cart_name}' has no "
                "status mapping."
            )
        if not cls.supported_actions:
            if args.set_spec or args.reset:
                raise InvalidInputError(
                    f"Cart '{cart_name}' is a {cls.title} cart: its labels are sent as they are, "
                    "there is no mapping to change."
                )
            _err(f"Cart '{cart_name}' is a {cls.title} cart: labels are sent as they are.")
            return EXIT_OK
        if args.set_spec or args.reset:
            label_text, action = (
                parse_mapping(args.set_spec) if args.set_spec else (args.reset, None)
            )
            with database.transaction() as session:
                label_id, label = _label_id(session, label_text)
                set_mapping(session, cart_id, label_id, action)
            statuses = {s.code: s.title for s in kind_statuses(kind)}
            what = action.describe(statuses) if action is not None else "the default"
            _err(f"Cart '{cart_name}': '{label}' now means: {what}.")
            return EXIT_OK
        with database.session() as session:
            rows = list_mappings(session, cart_id)
    statuses = {s.code: s.title for s in kind_statuses(kind)}
    if args.json:
        _print_json(
            {
                "cart": cart_name,
                "mappings": [
                    {
                        "label": r.label,
                        "action": r.action.kind.value if r.action else None,
                        "cart_status": r.action.cart_status if r.action else "",
                        "notify_customer": bool(r.action and r.action.notify_customer),
                        "default": r.is_default,
                    }
                    for r in rows
                ],
            }
        )
        return EXIT_OK
    width = max([len("Label"), *(len(r.label) for r in rows)])
    print(f"{'Label':<{width}}  Cart action")
    for r in rows:
        if r.action is None:
            text = "(none: updates with this label are held)"
        else:
            text = r.action.describe(statuses) + ("  [default]" if r.is_default else "")
        print(f"{r.label:<{width}}  {text}")
    unmapped = sum(1 for r in rows if r.action is None)
    _err(
        f"{len(rows)} label{'s' if len(rows) != 1 else ''}, {unmapped} without a mapping "
        f"(change one with: ordermanager carts mapping '{cart_name}' --set 'LABEL=ACTION')."
    )
    return EXIT_OK


# -- sync -------------------------------------------------------------------------------------


class _SyncProgress:
    """ "Downloading order 825 of 12,403" on stderr: redrawn in place on a terminal, every
    page otherwise."""

    def __init__(self, stream: TextIO, cart_name: str) -> None:
        self.stream, self.cart_name = stream, cart_name
        self.tty = stream.isatty()
        self.drawn = False

    def __call__(self, done: int, total: int | None) -> None:
        of = f" of {total:,}" if total is not None else ""
        text = f"{self.cart_name}: Downloading order {done:,}{of}"
        if self.tty:
            self.stream.write("\r" + text)
            self.drawn = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.drawn:
            self.stream.write("\n")


def _cmd_sync(args: argparse.Namespace) -> int:
    from ordermanager.sync.cycle import run_sync

    failures = 0
    with _open(args) as database:
        with database.session() as session:
            if args.cart is not None:
                chosen = [_cart_row(session, args.cart)]
            else:
                chosen = list(
                    session.execute(select(Cart).where(Cart.enabled).order_by(Cart.name)).scalars()
                )
            installed = connectors()
            targets: list[tuple[int, str]] = []
            for row in chosen:
                if row.demo or row.kind not in installed:
                    why = "a demo cart" if row.demo else f"no connector for '{row.kind}' yet"
                    if args.cart is not None:
                        raise InvalidInputError(f"Cart '{row.name}' cannot be synced: {why}.")
                    _err(f"Skipping cart '{row.name}': {why}.")
                    continue
                targets.append((row.id, row.name))
        if not targets and args.cart is None:
            _err("No cart to sync (add one with: ordermanager carts add KIND ...).")
        for cart_id, name in targets:
            progress = _SyncProgress(sys.stderr, name)
            try:
                result = run_sync(database, cart_id, progress=progress)
            except OrderManagerError as exc:
                progress.done()
                failures += 1
                what = (
                    "cannot be reached now"
                    if isinstance(exc, ConnectorError) and exc.transient
                    else "failed"
                )
                _err(f"ordermanager: error: sync of cart '{name}' {what}: {exc}")
                continue
            progress.done()
            invoiced = (
                f", {result.invoiced:,} invoiced in the cart"
                + (
                    f" ({result.invoice_failures:,} could not be)"
                    if result.invoice_failures
                    else ""
                )
                if result.invoiced or result.invoice_failures
                else ""
            )
            _err(
                f"{name}: {result.downloaded:,} downloaded, {result.created:,} new, "
                f"{result.updated:,} updated, {len(result.skipped):,} skipped{invoiced}."
            )
            for skip in result.skipped:
                _err(f"  skipped order {skip.number}: {skip.reason}")
    return EXIT_ERROR if failures else EXIT_OK
