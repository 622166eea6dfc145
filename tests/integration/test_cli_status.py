"""``ordermanager settings|labels|events`` and ``orders ACTION`` as scripts use them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from ordermanager.cli import main
from ordermanager.db.location import DatabaseLocation
from ordermanager.db.migrate import open_database
from ordermanager.db.models import Order, StatusUpdate
from tests import factories
from tests.factories import Item, Spec


@pytest.fixture
def store_url(sqlite_location: DatabaseLocation) -> str:
    database = open_database(sqlite_location)
    with database.transaction() as session:
        for number in ("1001", "1002", "1003"):
            factories.order(
                session, Spec(number=number, items=[Item(sku="A"), Item(sku="B", quantity=2)])
            )
        factories.order(session, Spec(number="1001", cart_name="Other Store", cart_kind="shopify"))
    database.dispose()
    return sqlite_location.url.render_as_string(hide_password=False)


def run(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> tuple[int, str, str]:
    code = main(["--database-url", url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_settings_get_set_list(capsys: pytest.CaptureFixture[str], store_url: str) -> None:
    assert run(capsys, store_url, "settings", "get", "UseStatusUpdates")[1] == "false\n"
    code, _, err = run(capsys, store_url, "settings", "set", "UseStatusUpdates", "true")
    assert code == 0 and "UseStatusUpdates is now true" in err
    code, out, _ = run(capsys, store_url, "settings", "list", "--json")
    assert json.loads(out)["UseStatusUpdates"] is True


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["settings", "set", "UseStatusUpdates", "maybe"], "true or false"),
        (["settings", "get", "Nope"], "no setting 'Nope'"),
        (["labels", "add", "x" * 51], "at most 50"),
        (["events", "set", "Nope", "--notify-cart"], "no status event"),
        (["events", "set", "Order Shipped", "--order-status", "Missing"], "no status label"),
    ],
)
def test_bad_input_is_one_line_on_stderr(
    capsys: pytest.CaptureFixture[str], store_url: str, argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, store_url, *argv)
    assert code == 1 and out == ""
    assert err.startswith("ordermanager: error: ") and message in err
    assert "Traceback" not in err


def test_labels_add_rename_list_delete(capsys: pytest.CaptureFixture[str], store_url: str) -> None:
    assert run(capsys, store_url, "labels", "add", 'Shipped "today"')[0] == 0
    assert run(capsys, store_url, "labels", "add", "Отправлено")[0] == 0
    assert run(capsys, store_url, "labels", "rename", "Отправлено", "Envoyé")[0] == 0
    code, out, _ = run(capsys, store_url, "labels", "list", "--json")
    assert [label["name"] for label in json.loads(out)["labels"]] == ['Shipped "today"', "Envoyé"]
    assert run(capsys, store_url, "labels", "delete", "Envoyé")[0] == 0
    code, _, err = run(capsys, store_url, "labels", "add", 'Shipped "today"')
    assert code == 1 and "already" in err


def test_events_set_list_and_defaults(capsys: pytest.CaptureFixture[str], store_url: str) -> None:
    code, _, err = run(capsys, store_url, "events", "load-defaults")
    assert code == 0 and "30 events" in err
    code, _, _ = run(
        capsys, store_url, "events", "set", "order_shipped", "--order-status", "",
        "--no-notify-cart", "--disable",
    )  # fmt: skip
    assert code == 0
    code, out, _ = run(capsys, store_url, "events", "list", "--json")
    shipped = next(e for e in json.loads(out)["events"] if e["event"] == "order_shipped")
    assert shipped == {
        "event": "order_shipped", "name": "Order Shipped", "scope": "order",
        "item_status": None, "order_status": None, "notify_cart": False, "enabled": False,
    }  # fmt: skip
    code, _, err = run(capsys, store_url, "events", "load-defaults")
    assert code == 1 and "--force" in err
    assert run(capsys, store_url, "events", "load-defaults", "--force")[0] == 0


def test_orders_ship_good_ones_done_each_failure_reported(
    capsys: pytest.CaptureFixture[str], store_url: str, sqlite_location: DatabaseLocation
) -> None:
    run(capsys, store_url, "events", "load-defaults")
    run(capsys, store_url, "settings", "set", "UseStatusUpdates", "on")
    code, out, err = run(
        capsys, store_url, "orders", "ship", "1002", "1001", "9999", "1003",
        "--tracking", "1Z999", "--carrier", "UPS", "--json",
    )  # fmt: skip
    assert code == 1
    document = json.loads(out)
    assert document["done"] == ["1002", "1003"] and document["queued_status_updates"] == 2
    assert [f["order"] for f in document["failed"]] == ["1001", "9999"]
    assert "Several carts" in err and "No order has the number 9999" in err

    code, _, err = run(capsys, store_url, "orders", "ship", "Main Store:1001", "--sku", "B")
    assert code == 0 and "1 order done" in err
    database = open_database(sqlite_location)
    try:
        with database.session() as session:
            states = dict(session.execute(select(Order.number, Order.shipping_state)).all())
            assert states["1002"] == "shipped"
            assert session.execute(select(StatusUpdate)).scalars().all()[-1].event == (
                "order_partially_shipped"
            )
    finally:
        database.dispose()


def test_orders_cancel_label_approve(capsys: pytest.CaptureFixture[str], store_url: str) -> None:
    run(capsys, store_url, "events", "load-defaults")
    run(capsys, store_url, "settings", "set", "UseStatusUpdates", "true")
    assert run(capsys, store_url, "orders", "cancel", "1002")[0] == 0
    code, _, err = run(capsys, store_url, "orders", "approve", "1002")
    assert code == 1 and "cancelled" in err
    assert run(capsys, store_url, "orders", "label", "1003", "On Hold")[0] == 0
    code, out, _ = run(capsys, store_url, "orders", "show", "1003", "--json")
    assert json.loads(out)["status_label"] == "On Hold"
    code, _, err = run(capsys, store_url, "orders", "label", "1003", "No Such Label")
    assert code == 1 and "no status label" in err


def test_orders_every_action_from_the_cli(
    capsys: pytest.CaptureFixture[str], store_url: str
) -> None:
    run(capsys, store_url, "events", "load-defaults")
    run(capsys, store_url, "settings", "set", "UseStatusUpdates", "true")
    steps = [
        ["approve", "1002"],
        ["hold", "1002"],
        ["release", "1002"],
        ["pay", "1002", "--amount", "40", "--method", "card"],
        ["ship-date", "1002", "--date", "2026-12-01"],
        ["track", "1002", "--tracking", "1Z1", "--tracking", "1Z2", "--carrier", "UPS"],
        ["backorder", "1002", "--sku", "B"],
        ["drop-ship", "1002", "--sku", "A"],
        ["add-item", "1002", "--sku", "GIFT", "--name", "Gift wrap", "--price", "0"],
        ["ship", "1002"],
        ["return", "1002", "--sku", "A"],
        ["refund", "1002", "--amount", "10"],
    ]
    for step in steps:
        code, _, err = run(capsys, store_url, "orders", *step)
        assert code == 0, (step, err)
    code, out, _ = run(capsys, store_url, "orders", "show", "1002", "--json")
    detail = json.loads(out)
    assert detail["status_label"] == "Partially Refunded"
    assert detail["ship_date"] == "2026-12-01"
    assert [i["sku"] for i in detail["items"]] == ["A", "B", "GIFT"]
    reasons = [h["reason"] for h in detail["label_history"]]
    assert "Tracking Number Entered" in reasons and "Item Returned" in reasons


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["pay", "1002", "--amount", "-3"], "more than 0"),
        (["ship-date", "1002", "--date", "tomorrow"], "YYYY-MM-DD"),
        (["ship", "1002", "--sku", "NOPE"], "no item with SKU 'NOPE'"),
        (["return", "1002"], "has not shipped"),
    ],
)
def test_orders_action_bad_options(
    capsys: pytest.CaptureFixture[str], store_url: str, argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, store_url, "orders", *argv)
    assert code == 1 and message in err and "Traceback" not in err


def test_events_list_warns_about_suppressed_updates(
    capsys: pytest.CaptureFixture[str], store_url: str
) -> None:
    run(capsys, store_url, "events", "load-defaults")
    code, out, err = run(capsys, store_url, "events", "list", "--json")
    assert code == 0 and json.loads(out)["warnings"] == []
    run(capsys, store_url, "events", "set", "Order Approved", "--order-status", "Order Shipped")
    code, out, err = run(capsys, store_url, "events", "list")
    assert code == 0
    assert "warning: Order Shipped sends no update to the cart when Order Approved ran first" in err
