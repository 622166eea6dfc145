"""The core cart administration (ordermanager.carts.admin) on a real SQLite file and the real
PostgreSQL server, with the secrets in this test run's own gnome-keyring and a WooCommerce store
on 127.0.0.1 for Test Connection."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.backends.fail
import pytest
from sqlalchemy import select, text

from ordermanager.carts import admin
from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import WAIT_FOR_INVOICE, CartConfig
from ordermanager.carts.registry import open_connector
from ordermanager.db.engine import Database
from ordermanager.db.models import Cart
from ordermanager.errors import InvalidInputError, NotFoundError
from ordermanager.secrets import CART_SERVICE, SecretStoreError
from tests import factories
from tests.cart_support.fake_woocommerce import FakeWooCommerce

KEY = "ck_test_0123456789abcdef"
SECRET = "cs_test_fedcba9876543210"
WOO = {"consumer_key": KEY, "consumer_secret": SECRET}


@pytest.fixture
def shop() -> Iterator[FakeWooCommerce]:
    with FakeWooCommerce(consumer_key=KEY, consumer_secret=SECRET) as fake:
        yield fake


def stored(name: str, field: str) -> str | None:
    return keyring.get_password(CART_SERVICE, f"{name}:{field}")


def dump(database: Database) -> str:
    """Every text the carts table holds, to prove no secret went there."""
    with database.session() as session:
        rows = session.execute(text("SELECT * FROM carts")).all()
    return repr(rows)


def test_add_list_update_remove__secrets_only_in_the_keyring(
    any_db: Database, shop: FakeWooCommerce, real_keyring: keyring.backend.KeyringBackend
) -> None:
    added = admin.add_cart(
        any_db, "woocommerce", "  Main Store ", shop.base_url, WAIT_FOR_INVOICE, 30, WOO
    )
    assert (added.name, added.kind, added.title) == ("Main Store", "woocommerce", "WooCommerce")
    assert added.download_mode == WAIT_FOR_INVOICE and added.sync_interval_minutes == 30
    assert added.has_secrets and added.enabled and added.last_sync_at is None
    assert stored("Main Store", "consumer_key") == KEY
    assert stored("Main Store", "consumer_secret") == SECRET
    assert KEY not in dump(any_db) and SECRET not in dump(any_db)
    with any_db.session() as session:
        assert [c.name for c in admin.list_carts(session)] == ["Main Store"]

    # Edit without retyping the secrets: they stay; a rename moves them to the new name.
    changed = admin.update_cart(
        any_db,
        added.id,
        name="Harbor Outfitters",
        url=shop.base_url + "/",
        download_mode="auto-invoice",
        interval=5,
        secrets={"consumer_key": "", "consumer_secret": ""},
    )
    assert changed.name == "Harbor Outfitters" and changed.sync_interval_minutes == 5
    assert changed.has_secrets
    assert stored("Harbor Outfitters", "consumer_secret") == SECRET
    assert stored("Main Store", "consumer_secret") is None
    # The moved secrets open the connector: the cart still reaches its store.
    connector = open_connector(changed.config())
    try:
        assert connector.test_connection().startswith("Connected to WooCommerce")
    finally:
        connector.close()

    # A new secret typed while editing replaces only that one.
    admin.update_cart(
        any_db,
        added.id,
        name="Harbor Outfitters",
        url=shop.base_url,
        download_mode="auto-invoice",
        interval=5,
        secrets={"consumer_secret": "cs_rotated"},
    )
    assert stored("Harbor Outfitters", "consumer_secret") == "cs_rotated"
    assert stored("Harbor Outfitters", "consumer_key") == KEY

    assert admin.remove_cart(any_db, added.id) == "Harbor Outfitters"
    assert stored("Harbor Outfitters", "consumer_key") is None
    with any_db.session() as session:
        assert admin.list_carts(session) == []


def test_add__every_check_says_what_is_wrong(
    any_db: Database, real_keyring: keyring.backend.KeyringBackend
) -> None:
    admin.add_cart(any_db, "woocommerce", "Main Store", "https://shop.example", secrets=WOO)
    cases = [
        (("woocommerce", "", "https://x.example"), {}, "must not be empty"),
        (("woocommerce", "x" * 101, "https://x.example"), {}, "at most 100 characters"),
        (("woocommerce", "a:b", "https://x.example"), {}, "cannot contain ':'"),
        (("woocommerce", "main store", "https://x.example"), {}, "already a cart named"),
        (("woocommerce", "B", "ftp://x.example"), {}, "http:// or https://"),
        (("woocommerce", "B", "https://x.example"), {"interval": 0}, "between 1 and 1440"),
        (("woocommerce", "B", "https://x.example"), {"interval": 1441}, "between 1 and 1440"),
        (("woocommerce", "B", "https://x.example"), {"download_mode": "x"}, "download mode"),
        (("prestashop", "B", "https://x.example"), {}, "No connector for 'prestashop'"),
    ]
    for (kind, name, url), options, message in cases:
        with pytest.raises(InvalidInputError, match=message):
            admin.add_cart(any_db, kind, name, url, secrets=WOO, **options)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="Missing secret"):
        admin.add_cart(
            any_db, "woocommerce", "B", "https://x.example", secrets={"consumer_key": "k"}
        )
    with pytest.raises(InvalidInputError, match="Unknown secret 'api_key'"):
        admin.add_cart(
            any_db, "woocommerce", "B", "https://x.example", secrets={**WOO, "api_key": "k"}
        )
    with any_db.session() as session:
        assert [c.name for c in admin.list_carts(session)] == ["Main Store"]
    assert stored("B", "consumer_key") is None


def test_add__keyring_refuses__no_cart_is_left_behind(any_db: Database) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(SecretStoreError, match="keyring refused"):
        admin.add_cart(any_db, "woocommerce", "Main Store", "https://shop.example", secrets=WOO)
    with any_db.session() as session:
        assert session.execute(select(Cart)).first() is None


def test_remove__a_cart_with_orders_stays(
    any_db: Database, real_keyring: keyring.backend.KeyringBackend
) -> None:
    cart = admin.add_cart(any_db, "woocommerce", "Main Store", "https://shop.example", secrets=WOO)
    with any_db.transaction() as session:
        factories.order(session, factories.Spec("1001", cart_name="Main Store"))
    with pytest.raises(InvalidInputError, match="has 1 order\\(s\\) and cannot be removed"):
        admin.remove_cart(any_db, cart.id)
    assert stored("Main Store", "consumer_key") == KEY
    with pytest.raises(NotFoundError):
        admin.remove_cart(any_db, cart.id + 100)


def test_test_cart__before_saving__and_errors_without_secrets(
    shop: FakeWooCommerce, real_keyring: keyring.backend.KeyringBackend
) -> None:
    config = CartConfig(0, "Not Saved Yet", "woocommerce", shop.base_url)
    assert admin.test_cart(config, WOO).startswith(f"Connected to WooCommerce at {shop.base_url}")
    assert shop.seen("GET"), "the store was really asked"

    wrong = {"consumer_key": KEY, "consumer_secret": "cs_wrong_value_123456"}
    with pytest.raises(ConnectorError) as refused:
        admin.test_cart(config, wrong)
    assert "cs_wrong_value_123456" not in str(refused.value)
    assert str(refused.value)

    with pytest.raises(InvalidInputError, match="Enter consumer_secret"):
        admin.test_cart(config, {"consumer_key": KEY, "consumer_secret": ""})
    # Blank fields come from the keyring when the cart is saved already.
    real_keyring.set_password(CART_SERVICE, "Saved:consumer_secret", SECRET)
    got = admin.test_cart(config, {"consumer_key": KEY}, stored_under="Saved")
    assert got.startswith("Connected to WooCommerce")


def test_update__unknown_cart_and_taken_name(
    sqlite_db: Database, real_keyring: keyring.backend.KeyringBackend
) -> None:
    one = admin.add_cart(sqlite_db, "woocommerce", "One", "https://one.example", secrets=WOO)
    admin.add_cart(sqlite_db, "woocommerce", "Two", "https://two.example", secrets=WOO)
    options = {"url": "https://one.example", "download_mode": "auto-invoice", "interval": 15}
    with pytest.raises(InvalidInputError, match="already a cart named 'Two'"):
        admin.update_cart(sqlite_db, one.id, name="Two", **options)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        admin.update_cart(sqlite_db, 999, name="Three", **options)  # type: ignore[arg-type]
    assert stored("One", "consumer_key") == KEY


def test_add__name_taken_between_check_and_commit__refused_by_the_unique_index(
    any_db: Database, monkeypatch: pytest.MonkeyPatch, real_keyring: keyring.backend.KeyringBackend
) -> None:
    admin.add_cart(any_db, "woocommerce", "Main Store", "https://one.example", secrets=WOO)
    # As if another workstation added it after our check ran: only the database can tell.
    monkeypatch.setattr(admin, "_name_taken", lambda *_args, **_kw: None)
    other = {"consumer_key": "ck_other", "consumer_secret": "cs_other"}
    with pytest.raises(InvalidInputError, match="already a cart named 'Main Store'"):
        admin.add_cart(any_db, "woocommerce", "Main Store", "https://two.example", secrets=other)
    assert stored("Main Store", "consumer_secret") == SECRET  # the first cart's secrets kept
