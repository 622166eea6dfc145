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
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy import func, select

from ordermanager import secrets as secret_store
from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import AUTO_INVOICE, DOWNLOAD_MODES, CartConfig
from ordermanager.carts.registry import connector_class, connectors, open_connector
from ordermanager.cli import EXIT_ERROR, EXIT_OK, _err, _open, _print_json
from ordermanager.db.models import Cart, Order
from ordermanager.errors import InvalidInputError, NotFoundError, OrderManagerError

_URL_HELP = {
    "generic": "the script URL (http(s) address of the store's Order Manager script)",
    "woocommerce": "the store's base URL, e.g. https://shop.example.com",
}


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
        one.add_argument("--url", required=True, help=_URL_HELP.get(kind, "the cart's URL"))
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
    cls = connector_class(args.kind)
    name = args.name.strip()
    url = args.url.strip()
    if not name or len(name) > 100 or ":" in name:
        raise InvalidInputError("--name must be 1 to 100 characters, without ':'.")
    if not url.lower().startswith(("http://", "https://")):
        raise InvalidInputError(f"--url must be an http:// or https:// address, not '{url}'.")
    if not 1 <= args.interval <= 24 * 60:
        raise InvalidInputError("--interval must be between 1 and 1440 minutes.")
    values = read_secrets(sys.stdin, cls.secret_fields, name)
    missing = [field for field in cls.secret_fields if not values.get(field)]
    if missing:
        raise InvalidInputError(
            f"Missing secret(s) {', '.join(missing)}: give them on stdin as name=value lines."
        )
    with _open(args) as database, database.transaction() as session:
        if session.execute(select(Cart.id).where(Cart.name == name)).first() is not None:
            raise InvalidInputError(f"There is already a cart named '{name}'.")
        session.add(
            Cart(
                name=name,
                kind=cls.kind,
                base_url=url,
                enabled=True,
                created_at=datetime.now(UTC),
                download_mode=args.download_mode,
                sync_interval_minutes=args.interval,
            )
        )
        session.flush()
        # Inside the transaction: if the keyring refuses, the cart is not added either.
        for field in cls.secret_fields:
            secret_store.set_cart_secret(name, values[field], field)
    _err(
        f"Added {cls.title} cart '{name}' ({args.download_mode}, every {args.interval} min); "
        "its secrets are in the system keyring. Try it with: ordermanager carts test "
        f"'{name}'"
    )
    return EXIT_OK


# -- list, test, remove -----------------------------------------------------------------------


def _cart_row(session: Any, name: str) -> Cart:
    row = session.execute(select(Cart).where(Cart.name == name)).scalar_one_or_none()
    if row is None:
        raise NotFoundError(f"There is no cart named '{name}' (see ordermanager carts list).")
    return row


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _cmd_list(args: argparse.Namespace) -> int:
    installed = connectors()
    with _open(args) as database, database.session() as session:
        rows = session.execute(select(Cart).order_by(Cart.name)).scalars().all()
        carts: list[dict[str, Any]] = []
        for row in rows:
            cls = installed.get(row.kind)
            fields = cls.secret_fields if cls is not None else ()
            stored = all(secret_store.cart_secret(row.name, f) for f in fields)
            carts.append(
                {
                    "name": row.name,
                    "kind": row.kind,
                    "url": row.base_url,
                    "enabled": row.enabled,
                    "demo": row.demo,
                    "connector_installed": cls is not None,
                    "secrets_stored": bool(fields) and stored,
                    "download_mode": row.download_mode,
                    "sync_interval_minutes": row.sync_interval_minutes,
                    "last_sync_at": _iso(row.last_sync_at),
                    "sync_cursor": _iso(row.sync_cursor),
                }
            )
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
    with _open(args) as database, database.transaction() as session:
        row = _cart_row(session, args.name)
        orders = session.execute(
            select(func.count()).select_from(Order).where(Order.cart_id == row.id)
        ).scalar_one()
        if orders:
            raise InvalidInputError(
                f"Cart '{row.name}' has {orders:,} order(s) and cannot be removed; their history "
                "refers to it."
            )
        cls = connectors().get(row.kind)
        fields = cls.secret_fields if cls is not None else (secret_store.STATUS_SECRET,)
        session.delete(row)
    for field in fields:
        secret_store.delete_cart_secret(args.name, field)
    _err(f"Removed cart '{args.name}' and its secrets.")
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
            _err(
                f"{name}: {result.downloaded:,} downloaded, {result.created:,} new, "
                f"{result.updated:,} updated, {len(result.skipped):,} skipped."
            )
            for skip in result.skipped:
                _err(f"  skipped order {skip.number}: {skip.reason}")
    return EXIT_ERROR if failures else EXIT_OK
