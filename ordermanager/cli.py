"""The ``ordermanager`` command: with no subcommand it opens the window; subcommands work headless.

Output contract for scripts: ``--json`` prints exactly one JSON document on stdout (field names are
documented in docs/cli.md and kept stable); messages and progress go to stderr; any error exits
non-zero with one readable line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, TextIO

from sqlalchemy import exc as sa_exc

from ordermanager import __version__
from ordermanager.db import location as db_location
from ordermanager.db.engine import Database
from ordermanager.db.migrate import (
    head_revision,
    open_database,
    schema_state,
    translate_errors,
    upgrade_database,
)
from ordermanager.errors import InvalidInputError, OrderManagerError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ordermanager",
        description="Order Manager: import, work and track the orders of your online stores. "
        "With no command it opens the Order Manager window.",
        epilog=f"The database is chosen by --database-url, else ${db_location.ENV_VAR}, else "
        "the saved setting (ordermanager db use), else the embedded SQLite store.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="the store's database: postgresql://USER@HOST/NAME, sqlite:///PATH or a path",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log progress details to stderr"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = commands.add_parser("gui", help="open the Order Manager window (the default)")
    gui.set_defaults(handler=_cmd_gui)

    _add_db_commands(commands)
    _add_demo_command(commands)
    _add_orders_commands(commands)

    from ordermanager.cli_status import add_status_commands

    add_status_commands(commands)

    from ordermanager.cli_stack import add_stack_commands

    add_stack_commands(commands)

    from ordermanager.cli_controller import add_stack_controller_command

    add_stack_controller_command(commands)

    from ordermanager.cli_carts import add_carts_commands, add_sync_command

    add_carts_commands(commands)
    add_sync_command(commands)
    return parser


# -- db ---------------------------------------------------------------------------------------


def _add_db_commands(commands: Any) -> None:
    db = commands.add_parser("db", help="the store's database: upgrade, info, use")
    sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)

    upgrade = sub.add_parser(
        "upgrade", help="bring the database schema up to date (SQLite files are backed up first)"
    )
    upgrade.set_defaults(handler=_cmd_db_upgrade)

    info = sub.add_parser("info", help="which database is in use, and its schema version")
    info.add_argument("--json", action="store_true", help="print one JSON document")
    info.set_defaults(handler=_cmd_db_info)

    use = sub.add_parser(
        "use",
        help="remember a database for this workstation (a password goes to the system keyring)",
    )
    use.add_argument("url", metavar="URL", help="postgresql://USER@HOST:PORT/NAME or a SQLite path")
    use.set_defaults(handler=_cmd_db_use)


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    location = db_location.resolve(args.database_url)
    database = open_database(location, upgrade=False)
    try:
        result = upgrade_database(database)
    finally:
        database.dispose()
    if not result.changed:
        _err(f"The database {location.display()} is up to date (schema {result.after}).")
    else:
        _err(
            f"Upgraded {location.display()} from schema {result.before or 'none (new store)'} "
            f"to {result.after}."
        )
        if result.backup:
            _err(f"A backup of the previous version is at {result.backup}")
    return EXIT_OK


def _cmd_db_info(args: argparse.Namespace) -> int:
    location = db_location.resolve(args.database_url)
    database = open_database(location, upgrade=False)
    try:
        with translate_errors(location), database.engine.connect() as connection:
            state = schema_state(connection)
    finally:
        database.dispose()
    info = {
        "database": location.display(),
        "source": location.source,
        "backend": location.url.get_backend_name(),
        "schema": state.current,
        "latest_schema": head_revision(),
        "up_to_date": state.up_to_date,
    }
    if args.json:
        _print_json(info)
    else:
        for key, value in info.items():
            print(f"{key.replace('_', ' ').capitalize():<14} {value if value is not None else '-'}")
    return EXIT_OK


def _cmd_db_use(args: argparse.Namespace) -> int:
    location = db_location.parse_url(args.url, "saved setting")
    # Open (and upgrade) it first: a URL that does not work is not worth remembering.
    open_database(location).dispose()
    db_location.save(location)
    _err(f"This workstation now uses {location.display()}.")
    return EXIT_OK


# -- demo -------------------------------------------------------------------------------------


def _add_demo_command(commands: Any) -> None:
    demo = commands.add_parser(
        "demo", help="fill the database with a realistic demo store (carts, customers, orders)"
    )
    demo.add_argument(
        "--orders", type=int, default=5000, metavar="N", help="how many (default 5000)"
    )
    demo.add_argument("--seed", type=int, default=1, help="the same seed gives the same store")
    demo.set_defaults(handler=_cmd_demo)


def _cmd_demo(args: argparse.Namespace) -> int:
    from ordermanager.demo import generate_demo_store

    if args.orders < 1:
        raise InvalidInputError("--orders must be at least 1.")
    with _open(args) as database:
        progress = _Progress(sys.stderr, "Creating demo orders")
        result = generate_demo_store(database, args.orders, seed=args.seed, progress=progress)
        progress.done()
    _err(
        f"Created {result.orders:,} demo orders in {result.carts} carts in {result.seconds:.1f} s "
        f"({database.location.display()})."
    )
    return EXIT_OK


class _Progress:
    """ "Creating demo orders: 12,000 of 100,000" on stderr, redrawn in place on a terminal."""

    def __init__(self, stream: TextIO, what: str) -> None:
        self.stream, self.what = stream, what
        self.tty = stream.isatty()
        self._last_percent = -1

    def __call__(self, done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if self.tty:
            self.stream.write(f"\r{self.what}: {done:,} of {total:,} ({percent}%)")
            self.stream.flush()
        elif percent // 10 != self._last_percent // 10 or done == total:
            self.stream.write(f"{self.what}: {done:,} of {total:,}\n")
        self._last_percent = percent

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")


# -- orders -----------------------------------------------------------------------------------


def _add_orders_commands(commands: Any) -> None:
    from ordermanager.orders.query import SortColumn

    orders = commands.add_parser("orders", help="list, show and work orders")
    sub = orders.add_subparsers(dest="orders_command", metavar="ACTION", required=True)

    listing = sub.add_parser("list", help="list orders, newest first")
    listing.add_argument("--status", metavar="LABEL", help="only orders with this status label")
    listing.add_argument("--cart", metavar="NAME", help="only orders from this cart")
    listing.add_argument("--search", metavar="TEXT", help="order number, customer name or e-mail")
    listing.add_argument(
        "--from", dest="date_from", metavar="YYYY-MM-DD", help="placed on or after"
    )
    listing.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="placed on or before")
    listing.add_argument(
        "--sort", choices=[c.value for c in SortColumn], default="placed", help="default: placed"
    )
    listing.add_argument("--ascending", action="store_true", help="oldest / smallest first")
    listing.add_argument("--limit", type=int, default=100, help="at most N orders (0: all)")
    listing.add_argument("--offset", type=int, default=0, help="skip the first N orders")
    listing.add_argument("--json", action="store_true", help="print one JSON document")
    listing.set_defaults(handler=_cmd_orders_list)

    show = sub.add_parser("show", help="everything about one order")
    show.add_argument(
        "number", metavar="NUMBER", help="the order's number; CART:NUMBER when carts share one"
    )
    show.add_argument("--json", action="store_true", help="print one JSON document")
    show.set_defaults(handler=_cmd_orders_show)

    from ordermanager.cli_actions import add_order_actions

    add_order_actions(sub)


def _cmd_orders_list(args: argparse.Namespace) -> int:
    from ordermanager.orders import render
    from ordermanager.orders.query import (
        OrderFilter,
        OrderSort,
        SortColumn,
        cart_id_by_name,
        count_orders,
        fetch_orders,
        label_id_by_name,
    )

    if args.limit < 0 or args.offset < 0:
        raise InvalidInputError("--limit and --offset must be 0 or more.")
    with _open(args) as database, database.session() as session:
        label_id = None
        if args.status is not None:
            label_id = label_id_by_name(session, args.status)
            if label_id is None:
                raise InvalidInputError(f"There is no status label '{args.status}'.")
        cart_id = None
        if args.cart is not None:
            cart_id = cart_id_by_name(session, args.cart)
        flt = OrderFilter(
            label_id=label_id,
            cart_id=cart_id,
            placed_from=_local_day_start(args.date_from, "--from"),
            placed_before=_local_day_start(args.date_to, "--to", next_day=True),
            search=args.search or "",
        )
        sort = OrderSort(SortColumn(args.sort), descending=not args.ascending)
        total = count_orders(session, flt)
        limit = args.limit or max(total - args.offset, 0)
        rows = fetch_orders(session, flt, sort, offset=args.offset, limit=limit)
    if args.json:
        _print_json(
            {"total": total, "offset": args.offset, "orders": [row.as_json() for row in rows]}
        )
    else:
        render.print_order_table(rows, sys.stdout)
        if len(rows) < total:
            _err(f"Showing {len(rows):,} of {total:,} orders (use --limit and --offset for more).")
        else:
            _err(f"{total:,} order{'s' if total != 1 else ''}.")
    return EXIT_OK


def _cmd_orders_show(args: argparse.Namespace) -> int:
    from ordermanager.orders import render
    from ordermanager.orders.detail import find_order, load_order_detail

    with _open(args) as database, database.session() as session:
        detail = load_order_detail(session, find_order(session, args.number))
    if args.json:
        _print_json(detail.as_json())
    else:
        render.print_order_detail(detail, sys.stdout)
    return EXIT_OK


def _local_day_start(text: str | None, option: str, next_day: bool = False) -> datetime | None:
    """The start of a local calendar day as an aware datetime (UTC comparisons do the rest)."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(f"{option} wants a date as YYYY-MM-DD, not '{text}'.") from None
    if next_day:
        day += timedelta(days=1)
    return datetime.combine(day, time.min).astimezone()


# -- GUI --------------------------------------------------------------------------------------


def _cmd_gui(args: argparse.Namespace) -> int:
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    ):
        raise OrderManagerError(
            "No desktop display was found, so the Order Manager window cannot open. Run it in a "
            "desktop session; the commands (see ordermanager --help) work without one."
        )
    # The GUI is a separate layer on top of the core: it is loaded only when asked for, so the
    # core (and every headless command) never imports Qt.
    app = importlib.import_module("ui.app")
    return int(app.main(args.database_url))


# -- plumbing ---------------------------------------------------------------------------------


class _open:
    """Open (and upgrade) the chosen database for one command, and close it afterwards."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.location = db_location.resolve(args.database_url)
        self.database: Database | None = None

    def __enter__(self) -> Database:
        self.database = open_database(self.location)
        return self.database

    def __exit__(self, *exc: object) -> None:
        if self.database is not None:
            self.database.dispose()


def _print_json(document: Any) -> None:
    json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    handler: Handler = getattr(args, "handler", _cmd_gui)
    try:
        return handler(args)
    except OrderManagerError as exc:
        print(f"ordermanager: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except sa_exc.DBAPIError as exc:
        # A failure after the database was opened (server gone, disk full): say so, briefly.
        reason = (
            str(exc.orig).strip().splitlines()[0]
            if str(exc.orig).strip()
            else type(exc.orig).__name__
        )
        print(f"ordermanager: error: the database reported a problem: {reason}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("ordermanager: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `ordermanager orders list | head` closed the pipe: not an error worth a traceback.
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
