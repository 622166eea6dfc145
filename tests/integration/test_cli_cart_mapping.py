"""``ordermanager carts mapping NAME [--set LABEL=ACTION[:CART_STATUS][:notify] | --reset LABEL]``
on a real SQLite store: what it prints, what it stores, and that the stack's senders then read
the same mapping (``load_status_map``)."""

from __future__ import annotations

import io
import json

import pytest

from ordermanager.carts.status_map import ActionKind, CartAction, load_status_map
from ordermanager.cli import main
from ordermanager.db.engine import Database
from ordermanager.db.location import DatabaseLocation
from tests import factories

LABELS = ("Order Shipped", "On Hold", "Backordered", "Gift Wrapped")


@pytest.fixture
def url(sqlite_location: DatabaseLocation, sqlite_db: Database) -> str:
    with sqlite_db.transaction() as session:
        factories.cart(session, "Main Store", "woocommerce")
        factories.cart(session, "Script Store", "generic")
        for name in LABELS:
            factories.label(session, name)
    return sqlite_location.url.render_as_string(hide_password=False)


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str, *argv: str
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code = main(["--database-url", url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def cart_id(database: Database, name: str) -> int:
    with database.session() as session:
        return factories.cart(session, name).id


def test_mapping__lists_every_label_marking_defaults_and_unmapped(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    code, out, err = run(capsys, monkeypatch, url, "carts", "mapping", "Main Store")
    assert code == 0, err
    lines = {line.split("  ")[0].strip(): line for line in out.splitlines()[1:]}
    assert set(lines) == set(LABELS)
    assert "Ship (with tracking), notify customer  [default]" in lines["Order Shipped"]
    assert "Set cart status: On hold  [default]" in lines["On Hold"]
    assert "(none: updates with this label are held)" in lines["Gift Wrapped"]
    assert "4 labels, 1 without a mapping" in err


def test_mapping__set_then_reset__stored_and_read_by_the_senders(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    sqlite_db: Database,
) -> None:
    code, _, err = run(
        capsys, monkeypatch, url,
        "carts", "mapping", "Main Store", "--set", "gift wrapped=set_status:completed:notify",
    )  # fmt: skip
    assert code == 0, err
    assert "'Gift Wrapped' now means: Set cart status: Completed, notify customer" in err
    with sqlite_db.session() as session:
        mapping = load_status_map(session, cart_id(sqlite_db, "Main Store"))
    assert mapping.action_for("Gift Wrapped") == CartAction(
        ActionKind.SET_STATUS, "completed", True
    )
    assert not mapping.is_default("Gift Wrapped")

    run(capsys, monkeypatch, url, "carts", "mapping", "Main Store", "--set", "Order Shipped=skip")
    code, out, _ = run(capsys, monkeypatch, url, "carts", "mapping", "Main Store", "--json")
    rows = {row["label"]: row for row in json.loads(out)["mappings"]}
    assert rows["Order Shipped"] == {
        "label": "Order Shipped",
        "action": "skip",
        "cart_status": "",
        "notify_customer": False,
        "default": False,
    }
    assert rows["On Hold"]["default"] is True

    code, _, err = run(
        capsys, monkeypatch, url, "carts", "mapping", "Main Store", "--reset", "Order Shipped"
    )
    assert code == 0 and "now means: the default" in err
    with sqlite_db.session() as session:
        mapping = load_status_map(session, cart_id(sqlite_db, "Main Store"))
    assert mapping.action_for("Order Shipped") == CartAction(ActionKind.SHIP, "", True)
    assert mapping.is_default("Order Shipped")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("Order Shipped", "--set wants LABEL=ACTION"),
        ("Order Shipped=fly", "Unknown action 'fly'"),
        ("Order Shipped=set_status", "Choose the cart status to set"),
        ("On Hold=set_status:teleported", "'teleported' is not a woocommerce order status"),
        ("On Hold=set_status:on-hold:x:notify", "Too many ':' parts"),
        ("Nope=ship", "There is no status label 'Nope'"),
    ],
)
def test_mapping__bad_set__one_line_exit_1_nothing_stored(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    sqlite_db: Database,
    spec: str,
    message: str,
) -> None:
    code, out, err = run(capsys, monkeypatch, url, "carts", "mapping", "Main Store", "--set", spec)
    assert code == 1 and message in err and err.count("\n") == 1 and out == ""
    with sqlite_db.session() as session:
        mapping = load_status_map(session, cart_id(sqlite_db, "Main Store"))
    assert all(mapping.is_default(label) for label in LABELS)


def test_mapping__generic_cart_and_unknown_cart(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    code, out, err = run(capsys, monkeypatch, url, "carts", "mapping", "Script Store")
    assert code == 0 and out == "" and "labels are sent as they are" in err
    code, _, err = run(
        capsys, monkeypatch, url, "carts", "mapping", "Script Store", "--set", "On Hold=ship"
    )
    assert code == 1 and "there is no mapping to change" in err
    code, _, err = run(capsys, monkeypatch, url, "carts", "mapping", "Nope")
    assert code == 1 and "There is no cart named 'Nope'" in err
