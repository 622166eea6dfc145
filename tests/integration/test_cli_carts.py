"""``ordermanager carts add|list|test|remove`` and ``ordermanager sync`` as operators and scripts
use them: secrets through stdin into the real keyring, a generic cart on 127.0.0.1."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from ordermanager.cli import main
from ordermanager.db.location import DatabaseLocation
from tests.cart_support.generic_cart import GenericCart, generic_cart, make_order

SECRET = "cli-secret-value-5f1e0c9a7b3d2e4f"


@pytest.fixture
def cart() -> Iterator[GenericCart]:
    with generic_cart(SECRET, page_size=2) as server:
        yield server


@pytest.fixture
def url(sqlite_location: DatabaseLocation) -> str:
    return sqlite_location.url.render_as_string(hide_password=False)


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    *argv: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["--database-url", url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def add(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    cart_url: str,
    name: str = "Script Store",
) -> tuple[int, str, str]:
    return run(
        capsys,
        monkeypatch,
        url,
        "carts", "add", "generic", "--name", name, "--url", cart_url,
        stdin=f"# the shared secret\nstatus_secret={SECRET}\n",
    )  # fmt: skip


def test_add_sync_list_test_remove__end_to_end(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    sqlite_location: DatabaseLocation,
    cart: GenericCart,
    real_keyring: keyring.backend.KeyringBackend,
) -> None:
    code, _, err = add(capsys, monkeypatch, url, cart.url)
    assert code == 0 and "Added Generic (your own script) cart 'Script Store'" in err
    assert keyring.get_password("OrderManager cart", "Script Store:status_secret") == SECRET
    store = Path(str(sqlite_location.sqlite_path))
    on_disk = b"".join(p.read_bytes() for p in store.parent.glob(store.name + "*"))
    assert SECRET.encode() not in on_disk

    code, out, _ = run(capsys, monkeypatch, url, "carts", "list", "--json")
    (listed,) = json.loads(out)["carts"]
    assert code == 0 and listed["kind"] == "generic" and listed["secrets_stored"] is True
    assert listed["download_mode"] == "auto-invoice" and listed["last_sync_at"] is None
    assert SECRET not in out

    broken = make_order(3, modified="2026-11-20T10:03:00+00:00")
    broken["placed_at"] = "2026-11-20 09:00"  # no UTC offset
    cart.orders = [make_order(n, modified=f"2026-11-20T10:0{n}:00+00:00") for n in (1, 2, 4)]
    cart.orders.append(broken)
    code, _, err = run(capsys, monkeypatch, url, "sync")
    assert code == 0, err
    assert "Script Store: Downloading order 2 of 4" in err
    assert "Script Store: Downloading order 4 of 4" in err
    assert "3 new" in err and "1 skipped" in err
    assert "skipped order G-1003: 'placed_at' must be an ISO 8601 time" in err

    code, out, _ = run(capsys, monkeypatch, url, "orders", "list", "--json")
    assert json.loads(out)["total"] == 3

    code, out, _ = run(capsys, monkeypatch, url, "carts", "test", "Script Store")
    assert code == 0 and out.startswith("Connected to cart 'Script Store'")

    code, _, err = run(capsys, monkeypatch, url, "carts", "remove", "Script Store")
    assert code == 1 and "has 3 order(s) and cannot be removed" in err

    code, _, _ = add(capsys, monkeypatch, url, cart.url, name="Spare")
    assert code == 0
    code, _, err = run(capsys, monkeypatch, url, "carts", "remove", "Spare")
    assert code == 0 and "Removed cart 'Spare'" in err
    assert keyring.get_password("OrderManager cart", "Spare:status_secret") is None


def test_sync__unreachable_cart_exits_1_with_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    real_keyring: keyring.backend.KeyringBackend,
) -> None:
    assert add(capsys, monkeypatch, url, "http://127.0.0.1:9/gone.php")[0] == 0
    code, _, err = run(capsys, monkeypatch, url, "sync", "--cart", "Script Store")
    assert code == 1
    assert "sync of cart 'Script Store' cannot be reached now" in err
    assert "Traceback" not in err
    code, out, _ = run(capsys, monkeypatch, url, "carts", "list", "--json")
    assert json.loads(out)["carts"][0]["sync_cursor"] is None


def test_sync__no_secret_stored_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    # The default test keyring refuses everything: add fails cleanly, the cart is not added.
    code, _, err = add(capsys, monkeypatch, url, "http://127.0.0.1:9/x.php")
    assert code == 1 and "keyring refused" in err and err.count("\n") == 1
    code, out, _ = run(capsys, monkeypatch, url, "carts", "list", "--json")
    assert json.loads(out)["carts"] == []


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["--url", "ftp://x"], "status_secret=a", "--url must be an http:// or https://"),
        (["--url", "http://x"], "api_key=a", "Unknown secret 'api_key' on line 1"),
        (["--url", "http://x"], "", "Missing secret(s) status_secret"),
        (["--url", "http://x"], "just-a-secret", "Line 1 of stdin is not name=value"),
    ],
)
def test_add__bad_input_one_line_exit_1(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    argv: list[str],
    stdin: str,
    message: str,
) -> None:
    code, _, err = run(
        capsys, monkeypatch, url, "carts", "add", "generic", "--name", "X", *argv, stdin=stdin
    )
    assert code == 1 and message in err and err.count("\n") == 1
    assert "just-a-secret" not in err


def test_add_help__lists_the_secret_fields(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["carts", "add", "woocommerce", "--help"])
    out = capsys.readouterr().out
    assert exited.value.code == 0
    assert "consumer_key" in out and "consumer_secret" in out


def test_test_and_sync__unknown_cart_exit_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    for argv in (["carts", "test", "Nope"], ["sync", "--cart", "Nope"]):
        code, _, err = run(capsys, monkeypatch, url, *argv)
        assert code == 1 and "There is no cart named 'Nope'" in err
