"""The status commands of ``ordermanager``: settings, labels and events. Registered by
ordermanager.cli; same output contract (``--json`` on stdout, messages on stderr).
"""

from __future__ import annotations

import argparse
from typing import Any

from ordermanager.cli import EXIT_OK, _err, _open, _print_json


def add_status_commands(commands: Any) -> None:
    _add_settings(commands)
    _add_labels(commands)
    _add_events(commands)


# -- settings -----------------------------------------------------------------------------------


def _add_settings(commands: Any) -> None:
    settings = commands.add_parser("settings", help="store-wide settings (UseStatusUpdates, ...)")
    sub = settings.add_subparsers(dest="settings_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="every setting with its value")
    listing.add_argument("--json", action="store_true", help="print one JSON document")
    listing.set_defaults(handler=_cmd_settings_list)
    get = sub.add_parser("get", help="print one setting's value")
    get.add_argument("name", metavar="NAME")
    get.add_argument("--json", action="store_true", help="print one JSON document")
    get.set_defaults(handler=_cmd_settings_get)
    put = sub.add_parser("set", help="change a setting, e.g. settings set UseStatusUpdates true")
    put.add_argument("name", metavar="NAME")
    put.add_argument("value", metavar="VALUE")
    put.set_defaults(handler=_cmd_settings_set)


def _cmd_settings_list(args: argparse.Namespace) -> int:
    from ordermanager.settings import PARAMETERS, all_settings

    with _open(args) as database, database.session() as session:
        values = all_settings(session)
    if args.json:
        _print_json(values)
    else:
        for name, value in values.items():
            print(f"{name:<32} {PARAMETERS[name].to_text(value)}")
    return EXIT_OK


def _cmd_settings_get(args: argparse.Namespace) -> int:
    from ordermanager.settings import get_setting, parameter

    declared = parameter(args.name)
    with _open(args) as database, database.session() as session:
        value = get_setting(session, declared.name)
    if args.json:
        _print_json({declared.name: value})
    else:
        print(declared.to_text(value))
    return EXIT_OK


def _cmd_settings_set(args: argparse.Namespace) -> int:
    from ordermanager.settings import parameter, set_setting

    declared = parameter(args.name)
    declared.parse(args.value)  # a bad value is refused before the database is opened
    with _open(args) as database, database.transaction() as session:
        value = set_setting(session, declared.name, args.value)
    _err(f"{declared.name} is now {declared.to_text(value)}.")
    return EXIT_OK


# -- labels -------------------------------------------------------------------------------------


def _add_labels(commands: Any) -> None:
    labels = commands.add_parser("labels", help="the status label list: list, add, rename, delete")
    sub = labels.add_subparsers(dest="labels_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="every status label")
    listing.add_argument("--json", action="store_true", help="print one JSON document")
    listing.set_defaults(handler=_cmd_labels_list)
    add = sub.add_parser("add", help="add a status label (at most 50 characters)")
    add.add_argument("name", metavar="NAME")
    add.set_defaults(handler=_cmd_labels_add)
    rename = sub.add_parser("rename", help="rename a label; history shows the new name")
    rename.add_argument("old", metavar="OLD")
    rename.add_argument("new", metavar="NEW")
    rename.set_defaults(handler=_cmd_labels_rename)
    delete = sub.add_parser("delete", help="delete a label that nothing uses")
    delete.add_argument("name", metavar="NAME")
    delete.set_defaults(handler=_cmd_labels_delete)


def _cmd_labels_list(args: argparse.Namespace) -> int:
    from ordermanager.status.labels import list_labels

    with _open(args) as database, database.session() as session:
        labels = list_labels(session)
    if args.json:
        _print_json({"labels": [label.as_json() for label in labels]})
    else:
        for label in labels:
            print(label.name)
        _err(f"{len(labels)} status label{'s' if len(labels) != 1 else ''}.")
    return EXIT_OK


def _cmd_labels_add(args: argparse.Namespace) -> int:
    from ordermanager.status.labels import add_label

    with _open(args) as database, database.transaction() as session:
        label = add_label(session, args.name)
    _err(f"Added the status label '{label.name}'.")
    return EXIT_OK


def _cmd_labels_rename(args: argparse.Namespace) -> int:
    from ordermanager.status.labels import rename_label

    with _open(args) as database, database.transaction() as session:
        label = rename_label(session, args.old, args.new)
    _err(f"Renamed '{args.old.strip()}' to '{label.name}'.")
    return EXIT_OK


def _cmd_labels_delete(args: argparse.Namespace) -> int:
    from ordermanager.status.labels import delete_label

    with _open(args) as database, database.transaction() as session:
        delete_label(session, args.name)
    _err(f"Deleted the status label '{args.name.strip()}'.")
    return EXIT_OK


# -- events -------------------------------------------------------------------------------------


def _add_events(commands: Any) -> None:
    events = commands.add_parser("events", help="status events: labels, Notify Cart, enabled")
    sub = events.add_subparsers(dest="events_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="every status event and what it does")
    listing.add_argument("--json", action="store_true", help="print one JSON document")
    listing.set_defaults(handler=_cmd_events_list)

    put = sub.add_parser("set", help='change what an event does ("" clears a label)')
    put.add_argument("event", metavar="EVENT", help='a key or name: order_shipped, "Order Shipped"')
    put.add_argument("--order-status", metavar="LABEL", help="the order label it applies")
    put.add_argument("--item-status", metavar="LABEL", help="the item label it applies")
    put.add_argument(
        "--notify-cart", action=argparse.BooleanOptionalAction, help="send changes to the cart"
    )
    group = put.add_mutually_exclusive_group()
    group.add_argument("--enable", dest="enabled", action="store_true", default=None)
    group.add_argument("--disable", dest="enabled", action="store_false")
    put.set_defaults(handler=_cmd_events_set)

    load = sub.add_parser("load-defaults", help="load the default labels and event settings")
    load.add_argument("--force", action="store_true", help="overwrite changed events")
    load.set_defaults(handler=_cmd_events_load_defaults)


def _cmd_events_list(args: argparse.Namespace) -> int:
    from ordermanager.status.conflicts import suppressed_updates
    from ordermanager.status.events import list_assignments

    with _open(args) as database, database.session() as session:
        assignments = list_assignments(session)
    warnings = suppressed_updates(assignments)
    if args.json:
        _print_json(
            {
                "events": [a.as_json() for a in assignments],
                "warnings": [w.as_json() for w in warnings],
            }
        )
        return EXIT_OK
    print(f"{'Event':<26} {'Item Status':<20} {'Order Status':<20} {'Notify':<7} Enabled")
    for a in assignments:
        print(
            f"{a.event.name:<26} {a.item_label or '-':<20} {a.order_label or '-':<20} "
            f"{'yes' if a.notify_cart else 'no':<7} {'yes' if a.enabled else 'no'}"
        )
    for warning in warnings:
        _err(f"warning: {warning.message}")
    return EXIT_OK


def _cmd_events_set(args: argparse.Namespace) -> int:
    from ordermanager.status.events import event_info, set_assignment

    event_info(args.event)
    changes: dict[str, Any] = {"notify_cart": args.notify_cart, "enabled": args.enabled}
    if args.order_status is not None:
        changes["order_label"] = args.order_status
    if args.item_status is not None:
        changes["item_label"] = args.item_status
    with _open(args) as database, database.transaction() as session:
        assignment = set_assignment(session, args.event, **changes)
    _err(
        f"{assignment.event.name}: item status {assignment.item_label or '-'}, order status "
        f"{assignment.order_label or '-'}, Notify Cart {'on' if assignment.notify_cart else 'off'}"
        f", {'enabled' if assignment.enabled else 'disabled'}."
    )
    return EXIT_OK


def _cmd_events_load_defaults(args: argparse.Namespace) -> int:
    from ordermanager.status.defaults import load_defaults

    with _open(args) as database, database.transaction() as session:
        count = load_defaults(session, force=args.force)
    _err(f"Loaded the default status events ({count} events).")
    return EXIT_OK
