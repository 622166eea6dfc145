"""The ``ordermanager`` command as scripts use it: exit codes, stdout JSON, stderr messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from ordermanager.cli import main
from ordermanager.db.location import DatabaseLocation
from ordermanager.db.migrate import head_revision, open_database
from tests import factories
from tests.factories import NOW, Item, Spec


@pytest.fixture
def store_url(sqlite_location: DatabaseLocation) -> str:
    database = open_database(sqlite_location)
    with database.transaction() as session:
        for i in range(12):
            factories.order(
                session,
                Spec(
                    number=str(2000 + i),
                    customer="Zoë Ångström" if i == 3 else f"Customer {i}",
                    placed_at=NOW - timedelta(days=i),
                    label="Order Shipped" if i % 2 else "Order Received",
                    items=[Item(sku="MUG-01", name="Mug “Café”", quantity=2)],
                    tracking=["1Z999AA10123456784"] if i == 3 else [],
                ),
            )
    database.dispose()
    return sqlite_location.url.render_as_string(hide_password=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_orders_list_json_is_one_document(
    capsys: pytest.CaptureFixture[str], store_url: str
) -> None:
    code, out, _ = run(capsys, "--database-url", store_url, "orders", "list", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["total"] == 12 and document["offset"] == 0
    first = document["orders"][0]
    assert set(first) == {
        "id", "number", "placed_at", "customer_name", "customer_email", "cart", "item_count",
        "total", "currency", "status_label", "payment_state", "shipping_state",
    }  # fmt: skip
    assert first["number"] == "2000" and first["total"] == "25.00"


def test_orders_list_filters(capsys: pytest.CaptureFixture[str], store_url: str) -> None:
    code, out, _ = run(
        capsys, "--database-url", store_url, "orders", "list", "--status", "Order Shipped",
        "--search", "customer", "--json",
    )  # fmt: skip
    assert code == 0
    numbers = [o["number"] for o in json.loads(out)["orders"]]
    assert numbers == ["2001", "2005", "2007", "2009", "2011"]


def test_orders_list_text_table(capsys: pytest.CaptureFixture[str], store_url: str) -> None:
    code, out, err = run(capsys, "--database-url", store_url, "orders", "list", "--limit", "5")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["Number", "Placed", "Customer"]
    assert len(lines) == 6
    assert "Showing 5 of 12 orders" in err


def test_orders_show_text_and_json(capsys: pytest.CaptureFixture[str], store_url: str) -> None:
    code, out, _ = run(capsys, "--database-url", store_url, "orders", "show", "2003")
    assert code == 0
    assert "Zoë Ångström" in out and "1Z999AA10123456784" in out and "Mug “Café”" in out
    code, out, _ = run(capsys, "--database-url", store_url, "orders", "show", "2003", "--json")
    document = json.loads(out)
    assert document["number"] == "2003"
    assert document["items"][0]["sku"] == "MUG-01"
    assert document["label_history"][0]["to"] == "Order Shipped"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["orders", "show", "9999"], "No order has the number 9999"),
        (["orders", "list", "--status", "Nope"], "no status label 'Nope'"),
        (["orders", "list", "--cart", "Nope"], "no cart named 'Nope'"),
        (["orders", "list", "--from", "yesterday"], "YYYY-MM-DD"),
        (["orders", "list", "--limit", "-1"], "0 or more"),
    ],
)
def test_errors_go_to_stderr_with_exit_1(
    capsys: pytest.CaptureFixture[str], store_url: str, argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "--database-url", store_url, *argv)
    assert code == 1 and out == ""
    assert err.startswith("ordermanager: error: ") and message in err
    assert "Traceback" not in err


def test_db_upgrade_and_info(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    code, _, err = run(capsys, "--database-url", url, "db", "upgrade")
    assert code == 0 and f"to {head_revision()}" in err
    code, _, err = run(capsys, "--database-url", url, "db", "upgrade")
    assert code == 0 and "up to date" in err
    code, out, _ = run(capsys, "--database-url", url, "db", "info", "--json")
    info = json.loads(out)
    assert info["schema"] == head_revision() and info["up_to_date"] and info["source"] == "option"


def test_environment_variable_and_saved_setting(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = tmp_path / "saved.sqlite3"
    code, _, err = run(capsys, "db", "use", str(saved))
    assert code == 0 and "now uses" in err
    code, out, _ = run(capsys, "db", "info", "--json")
    assert (
        json.loads(out)["source"] == "saved setting" and str(saved) in json.loads(out)["database"]
    )
    monkeypatch.setenv("ORDERMANAGER_DATABASE_URL", str(tmp_path / "env.sqlite3"))
    code, out, _ = run(capsys, "db", "info", "--json")
    assert json.loads(out)["source"] == "environment"


@pytest.mark.parametrize("command", [["db", "info"], ["orders", "list"], ["db", "upgrade"]])
def test_bad_databases_exit_1_with_a_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"\x00\x01 not sqlite " * 64)
    code, out, err = run(capsys, "--database-url", str(garbage), *command)
    assert code == 1 and "is not an Order Manager database" in err and out == ""
    code, out, err = run(capsys, "--database-url", "postgresql://x:pw@127.0.0.1:1/db", *command)
    assert code == 1 and "Cannot connect" in err and "pw@" not in err


def test_gui_without_a_display_explains(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    code, _, err = run(capsys)
    assert code == 1 and "No desktop display" in err


def test_installed_command_help_and_json(store_url: str) -> None:
    """The real entry point in a separate process, as a shell script would call it."""
    env = {k: v for k, v in os.environ.items() if k != "ORDERMANAGER_DATABASE_URL"}
    help_run = subprocess.run(
        [sys.executable, "-m", "ordermanager", "orders", "list", "--help"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert help_run.returncode == 0 and "--status LABEL" in help_run.stdout
    listing = subprocess.run(
        [sys.executable, "-m", "ordermanager", "--database-url", store_url, "orders", "list",
         "--json", "--limit", "2"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert listing.returncode == 0, listing.stderr
    assert len(json.loads(listing.stdout)["orders"]) == 2
