"""``ordermanager stack``: see the stack and act on its records (list, status, retry, hold,
discard). Registered by ordermanager.cli; same output contract (``--json`` on stdout, messages on
stderr, errors as one line and exit 1). The controller itself is ``ordermanager stack-controller``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from typing import Any

from ordermanager.cli import EXIT_ERROR, EXIT_OK, _err, _open, _print_json
from ordermanager.errors import InvalidInputError


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def add_stack_commands(commands: Any) -> None:
    stack = commands.add_parser(
        "stack", help="status updates waiting for their carts: list, status, retry, hold, discard"
    )
    sub = stack.add_subparsers(dest="stack_command", metavar="ACTION", required=True)

    listing = sub.add_parser("list", help="every record on the stack, held ones included")
    listing.add_argument("--json", action="store_true", help="print one JSON document")
    listing.set_defaults(handler=_cmd_list)

    status = sub.add_parser("status", help="queue depth, controllers, shared lease, last error")
    status.add_argument("--json", action="store_true", help="print one JSON document")
    status.set_defaults(handler=_cmd_status)

    for name, help_text, handler in (
        ("retry", "send a record again now (a held one is queued again)", _cmd_retry),
        ("hold", "stop sending a record (and its order's later ones) for now", _cmd_hold),
        ("discard", "remove a record for good: its cart never hears of it", _cmd_discard),
    ):
        action = sub.add_parser(name, help=help_text)
        action.add_argument("id", metavar="ID", help="the record's id (see stack list)")
        action.add_argument("--by", default=_user(), help="who does it (default: you)")
        if name == "discard":
            action.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        action.set_defaults(handler=handler)


def _record_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise InvalidInputError(f"A record id is a whole number like 42, not '{text}'.")
    return value


def _when(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "-"
    if value <= now:
        return "now"
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _cmd_list(args: argparse.Namespace) -> int:
    from ordermanager.stack.records import list_records

    with _open(args) as database:
        records = list_records(database)
    if args.json:
        _print_json({"records": [record.as_json() for record in records]})
        return EXIT_OK
    now = datetime.now(UTC)
    print(
        f"{'ID':>7}  {'State':<9}  {'Order':<12}  {'Cart':<20}  {'Label':<16}  "
        f"{'Tries':>5}  {'Next attempt':<19}  {'Idempotency key':<32}  Last error"
    )
    for r in records:
        next_attempt = "-" if r.state == "held" else _when(r.next_attempt_at, now)
        error = r.last_error.splitlines()[0] if r.last_error else ""
        print(
            f"{r.id:>7}  {r.state:<9}  {r.order_number[:12]:<12}  {r.cart_name[:20]:<20}  "
            f"{(r.order_label or '-')[:16]:<16}  {r.attempts:>5}  {next_attempt:<19}  "
            f"{r.idempotency_key:<32}  {error}"
        )
    held = sum(1 for r in records if r.state == "held")
    _err(
        f"{len(records):,} record{'s' if len(records) != 1 else ''} on the stack"
        + (f", {held:,} on hold." if held else ".")
    )
    return EXIT_OK


def _cmd_status(args: argparse.Namespace) -> int:
    from ordermanager.stack.records import stack_overview

    with _open(args) as database:
        overview = stack_overview(database)
    if args.json:
        _print_json(overview.as_json())
        return EXIT_OK
    now = datetime.now(UTC)
    lease = overview.shared_lease
    lines = [
        ("Mode", overview.mode),
        ("Queued", f"{overview.queued:,}"),
        ("In flight", f"{overview.in_flight:,}"),
        ("On hold", f"{overview.held:,}"),
        ("Oldest record", _age(overview.oldest_queued_at, now)),
        ("Shared lease", f"held by {lease.workstation}" if lease else "not held"),
        ("Last OK", _local(overview.last_ok_at)),
        ("Last error", overview.last_error.splitlines()[0] if overview.last_error else "-"),
        ("Sends/minute", str(overview.sends_per_minute)),
        ("Controllers", str(len(overview.controllers)) if overview.controllers else "none"),
    ]
    for name, value in lines:
        print(f"{name:<14} {value}")
    for c in overview.controllers:
        age = int((now - c.heartbeat_at).total_seconds())
        print(
            f"  {c.id[:8]}  {c.mode:<8} {c.state:<8} {c.host or c.workstation} pid {c.pid}, "
            f"heartbeat {age} s ago, {c.sent_total:,} sent, {c.failed_total:,} failed"
        )
    return EXIT_OK


def _age(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "-"
    seconds = max(int((now - value).total_seconds()), 0)
    if seconds < 120:
        return f"{seconds} s old"
    if seconds < 7200:
        return f"{seconds // 60} min old"
    return f"{seconds // 3600} h old"


def _local(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value is not None else "never"


def _cmd_retry(args: argparse.Namespace) -> int:
    from ordermanager.stack.records import retry_now

    record_id = _record_id(args.id)
    with _open(args) as database:
        retry_now(database, record_id, actor=args.by)
    _err(f"Record {record_id} will be sent again as soon as a stack controller can.")
    return EXIT_OK


def _cmd_hold(args: argparse.Namespace) -> int:
    from ordermanager.stack.records import hold_record

    record_id = _record_id(args.id)
    with _open(args) as database:
        hold_record(database, record_id, actor=args.by)
    _err(f"Record {record_id} is on hold (stack retry {record_id} sends it again).")
    return EXIT_OK


def _cmd_discard(args: argparse.Namespace) -> int:
    from ordermanager.stack.records import discard

    record_id = _record_id(args.id)
    if not args.yes:
        if not sys.stdin.isatty():
            raise InvalidInputError(
                f"Discarding record {record_id} needs confirmation: run it on a terminal, or add "
                "--yes."
            )
        answer = input(
            f"Discard record {record_id}? Its cart will never hear of this status update. [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            _err("Nothing was discarded.")
            return EXIT_ERROR
    with _open(args) as database:
        discard(database, record_id, actor=args.by)
    _err(f"Discarded record {record_id}; the log keeps what it was.")
    return EXIT_OK
