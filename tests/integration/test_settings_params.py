"""The store-details and Order Status System settings: checked the same in the core and the CLI,
written together by ``save_store_settings``, and the OSS password only ever in the keyring."""

from __future__ import annotations

import keyring
import pytest
from sqlalchemy import create_engine, select, text

from ordermanager.cli import main
from ordermanager.db.engine import Database
from ordermanager.db.location import DatabaseLocation
from ordermanager.db.migrate import open_database
from ordermanager.db.models import SystemParameter
from ordermanager.errors import InvalidInputError
from ordermanager.oss_account import KEYRING_SERVICE, has_oss_password, save_oss_password
from ordermanager.settings import StackControllerMode, get_setting, set_setting
from ordermanager.store_setup import (
    SchemaCondition,
    StoreSettings,
    check_database,
    load_store_settings,
    save_store_settings,
)


@pytest.fixture
def store_url(sqlite_location: DatabaseLocation) -> str:
    open_database(sqlite_location).dispose()
    return sqlite_location.url.render_as_string(hide_password=False)


def run(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> tuple[int, str, str]:
    code = main(["--database-url", url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def stored_parameters(database: Database) -> dict[str, str]:
    with database.session() as session:
        return {p.name: p.value for p in session.execute(select(SystemParameter)).scalars()}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("StoreEmail", "not-an-email", "'not-an-email' is not an e-mail address"),
        ("StoreEmail", "two@@example.com", "is not an e-mail address"),
        ("OrderStatusSystemUrl", "ftp://status.example.com", "must start with http:// or https://"),
        ("OrderStatusSystemUrl", "https://me:secret@status.example.com", "Leave the password out"),
        ("OrderStatusSystemUrl", "https://status.example.com:99999", "is not a web address"),
        ("StoreName", "   ", "Enter the store's name"),
        ("StoreName", "x" * 101, "at most 100 characters (101 now)"),
        ("OrderStatusSystemAccount", "a" * 101, "at most 100 characters"),
    ],
)
def test_cli_settings_set__refuses_a_bad_value_with_one_line(
    capsys: pytest.CaptureFixture[str], store_url: str, name: str, value: str, message: str
) -> None:
    code, out, err = run(capsys, store_url, "settings", "set", name, value)
    assert code == 1 and out == ""
    assert err.startswith(f"ordermanager: error: {name}: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    code, out, _ = run(capsys, store_url, "settings", "get", name)
    assert code == 0 and out == "\n"  # nothing was stored


def test_cli_settings_set__stores_good_values(
    capsys: pytest.CaptureFixture[str], store_url: str
) -> None:
    for name, value in (
        ("StoreName", "  Harbor Outfitters  "),
        ("StoreEmail", "orders@harbor.example"),
        ("OrderStatusSystemUrl", "https://status.harbor.example/api"),
        ("OrderStatusSystemAccount", "harbor"),
    ):
        code, _, err = run(capsys, store_url, "settings", "set", name, value)
        assert code == 0, err
    code, out, _ = run(capsys, store_url, "settings", "get", "StoreName")
    assert out == "Harbor Outfitters\n"
    code, out, _ = run(capsys, store_url, "settings", "list")
    assert "OrderStatusSystemUrl             https://status.harbor.example/api" in out


def test_set_setting__bad_email_raises_and_keeps_the_old_value(any_db: Database) -> None:
    with any_db.transaction() as session:
        set_setting(session, "StoreEmail", "orders@example.com")
    with pytest.raises(InvalidInputError, match="not an e-mail address"), any_db.transaction() as s:
        set_setting(s, "StoreEmail", "orders at example.com")
    with any_db.session() as session:
        assert get_setting(session, "StoreEmail") == "orders@example.com"


def test_save_store_settings__writes_all_or_nothing(any_db: Database) -> None:
    good = StoreSettings(
        store_name="Juniper & Co",
        store_email="hello@juniper.example",
        use_status_updates=True,
        send_updates_to_oss=True,
        oss_url="https://oss.juniper.example",
        oss_account="juniper",
        stack_controller_mode=StackControllerMode.SHARED,
    )
    with any_db.transaction() as session:
        changed = save_store_settings(session, good)
    assert set(changed) == {
        "StoreName",
        "StoreEmail",
        "UseStatusUpdates",
        "SendUpdatesToOrderStatusSystem",
        "OrderStatusSystemUrl",
        "OrderStatusSystemAccount",
        "StackControllerMode",
    }
    with any_db.session() as session:
        assert load_store_settings(session) == good

    bad = StoreSettings(store_name="Renamed", store_email="broken", use_status_updates=False)
    with pytest.raises(InvalidInputError), any_db.transaction() as session:
        save_store_settings(session, bad)
    with any_db.session() as session:
        assert load_store_settings(session) == good  # the name before the bad e-mail is not kept

    with any_db.transaction() as session:
        assert save_store_settings(session, good) == []  # unchanged values are not rewritten


def test_oss_password__goes_to_the_keyring_only(
    real_keyring: keyring.backend.KeyringBackend, sqlite_db: Database
) -> None:
    password = "oss-Pa55-word-7f3c"
    with sqlite_db.transaction() as session:
        save_store_settings(
            session, StoreSettings(store_name="Harbor", send_updates_to_oss=True, oss_account="hb")
        )
    save_oss_password("hb", password)
    assert keyring.get_password(KEYRING_SERVICE, "hb") == password
    assert has_oss_password("hb") and not has_oss_password("someone-else")
    assert all(password not in value for value in stored_parameters(sqlite_db).values())


def test_check_database__reports_each_condition(
    pg_location: DatabaseLocation, sqlite_location: DatabaseLocation
) -> None:
    assert check_database(sqlite_location).condition is SchemaCondition.EMPTY
    assert not sqlite_location.sqlite_path or not sqlite_location.sqlite_path.exists()

    empty = check_database(pg_location)
    assert empty.condition is SchemaCondition.EMPTY and empty.usable
    assert "The database is empty" in empty.message
    open_database(pg_location).dispose()
    current = check_database(pg_location)
    assert current.condition is SchemaCondition.CURRENT and current.orders == 0
    assert "up to date" in current.message

    foreign = DatabaseLocation(pg_location.url, "option")
    engine = create_engine(foreign.url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    engine.dispose()
    found = check_database(foreign)
    assert found.condition is SchemaCondition.FOREIGN and found.reachable and not found.usable
    assert "not Order Manager's" in found.message

    unreachable = check_database(
        DatabaseLocation(pg_location.url.set(port=1, password="Hidden-Pw-42"), "option")
    )
    assert unreachable.condition is SchemaCondition.UNREACHABLE and not unreachable.usable
    assert unreachable.message.startswith("Cannot connect to the database")
    assert "Hidden-Pw-42" not in unreachable.message
