"""Cart administration shared by ``ordermanager carts`` and the Carts dialog: list, add, edit,
remove and test carts, with one set of checks and one way of keeping their secrets.

Secrets go to the system keyring only (``ordermanager.secrets``), and only once the carts row
has committed: a failed commit (a name taken a moment ago by another workstation) must never
overwrite that other cart's secrets. If the keyring then refuses, the row is taken back, so a
cart never exists half-configured because of us.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ordermanager import secrets as secret_store
from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import AUTO_INVOICE, DOWNLOAD_MODES, CartConfig, Connector
from ordermanager.carts.registry import connector_class, connectors, kind_title
from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, Order
from ordermanager.errors import InvalidInputError, NotFoundError

NAME_MAX_LENGTH = 100
INTERVAL_MIN, INTERVAL_MAX = 1, 24 * 60
DEFAULT_INTERVAL = 15

# What "store URL" means for each kind: the address the merchant must type differs per cart.
URL_HINTS: dict[str, str] = {
    "generic": "The address of your store's Order Manager script, e.g. "
    "https://shop.example.com/ordermanager.php",
    "woocommerce": "The store's base address, e.g. https://shop.example.com",
    "shopify": "The shop's myshopify.com address: https://STORE.myshopify.com",
    "magento2": "The store's base address (its REST API is under /rest/V1), e.g. "
    "https://shop.example.com",
    "bigcommerce": "The store's API path: https://api.bigcommerce.com/stores/HASH",
    "vendure": "The Admin API address, e.g. https://shop.example.com/admin-api",
}
URL_EXAMPLES: dict[str, str] = {
    "generic": "https://shop.example.com/ordermanager.php",
    "woocommerce": "https://shop.example.com",
    "shopify": "https://STORE.myshopify.com",
    "magento2": "https://shop.example.com",
    "bigcommerce": "https://api.bigcommerce.com/stores/HASH",
    "vendure": "https://shop.example.com/admin-api",
}
DOWNLOAD_MODE_TITLES = {AUTO_INVOICE: "Auto-Invoice", "wait-for-invoice": "Wait-For-Invoice"}


@dataclass(frozen=True)
class CartInfo:
    """One cart as the list shows it: plain data, safe to hand across threads. No secrets."""

    id: int
    name: str
    kind: str
    title: str  # the kind's title ("WooCommerce"), or the kind itself when not installed
    base_url: str
    download_mode: str
    sync_interval_minutes: int
    enabled: bool
    last_sync_at: datetime | None
    has_secrets: bool  # every secret field of the kind is in the keyring
    demo: bool = False
    connector_installed: bool = True

    def config(self) -> CartConfig:
        return CartConfig(self.id, self.name, self.kind, self.base_url, self.download_mode)


# -- checks (the CLI and the form show the same words) ------------------------------------------


# ``what`` names the field in the message: "The store URL" in the form, "--url" on the CLI.


def check_name(text: str, what: str = "The cart name") -> str:
    name = text.strip()
    if not name:
        raise InvalidInputError(f"{what} must not be empty.")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidInputError(f"{what} must be at most {NAME_MAX_LENGTH} characters.")
    if ":" in name:
        # The keyring entry is "<cart name>:<field>"; a colon would make two carts collide.
        raise InvalidInputError(f"{what} cannot contain ':'.")
    return name


def check_url(text: str, what: str = "The store URL") -> str:
    url = text.strip()
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest.strip("/"):
        raise InvalidInputError(f"{what} must be an http:// or https:// address, not '{url}'.")
    if any(c.isspace() for c in url):
        raise InvalidInputError(f"{what} cannot contain spaces.")
    return url


def check_interval(value: int | str, what: str = "The sync interval") -> int:
    try:
        minutes = int(str(value).strip())
    except ValueError:
        raise InvalidInputError(f"{what} must be a whole number of minutes.") from None
    if not INTERVAL_MIN <= minutes <= INTERVAL_MAX:
        raise InvalidInputError(
            f"{what} must be between {INTERVAL_MIN} and {INTERVAL_MAX} minutes."
        )
    return minutes


def check_download_mode(mode: str) -> str:
    if mode not in DOWNLOAD_MODES:
        raise InvalidInputError(
            f"The download mode must be one of {', '.join(DOWNLOAD_MODES)}, not '{mode}'."
        )
    return mode


def installed_kind(kind: str) -> type[Connector]:
    try:
        return connector_class(kind)
    except ConnectorError as exc:
        raise InvalidInputError(str(exc)) from None


def url_hint(kind: str) -> str:
    return URL_HINTS.get(kind, "The cart's web address (http:// or https://).")


def _missing_secrets(cls: type[Connector], values: Mapping[str, str]) -> list[str]:
    return [field for field in cls.secret_fields if not values.get(field, "").strip()]


def _unknown_secrets(cls: type[Connector], values: Mapping[str, str]) -> None:
    unknown = sorted(set(values) - set(cls.secret_fields))
    if unknown:
        raise InvalidInputError(
            f"Unknown secret '{unknown[0]}'; a {cls.title} cart takes: "
            f"{', '.join(cls.secret_fields)}."
        )


# -- reading -----------------------------------------------------------------------------------


def _secrets_stored(name: str, fields: tuple[str, ...]) -> bool:
    return bool(fields) and all(secret_store.cart_secret(name, field) for field in fields)


def _info(row: Cart) -> CartInfo:
    cls = connectors().get(row.kind)
    return CartInfo(
        id=row.id,
        name=row.name,
        kind=row.kind,
        title=kind_title(row.kind),
        base_url=row.base_url or "",
        download_mode=row.download_mode,
        sync_interval_minutes=row.sync_interval_minutes,
        enabled=bool(row.enabled),
        last_sync_at=row.last_sync_at,
        has_secrets=_secrets_stored(row.name, cls.secret_fields if cls is not None else ()),
        demo=bool(row.demo),
        connector_installed=cls is not None,
    )


def list_carts(session: Session) -> list[CartInfo]:
    """Every cart by name. Asks the keyring whether each has its secrets (never what they are)."""
    rows = session.execute(select(Cart).order_by(Cart.name)).scalars().all()
    return [_info(row) for row in rows]


def find_cart(session: Session, name: str) -> Cart:
    row = session.execute(select(Cart).where(Cart.name == name)).scalar_one_or_none()
    if row is None:
        raise NotFoundError(f"There is no cart named '{name}' (see ordermanager carts list).")
    return row


def get_cart(session: Session, cart_id: int) -> CartInfo:
    row = session.get(Cart, cart_id)
    if row is None:
        raise NotFoundError(f"There is no cart with id {cart_id}; was it removed meanwhile?")
    return _info(row)


def _name_taken(session: Session, name: str, other_than: int | None = None) -> None:
    query = select(Cart.id).where(func.lower(Cart.name) == name.lower())
    if other_than is not None:
        query = query.where(Cart.id != other_than)
    if session.execute(query).first() is not None:
        raise InvalidInputError(f"There is already a cart named '{name}'.")


# -- writing -----------------------------------------------------------------------------------


@contextmanager
def _unique_name(name: str) -> Iterator[None]:
    """Another workstation may take the name between our check and our commit: the unique
    index refuses it, and the operator reads why."""
    try:
        yield
    except IntegrityError:
        raise InvalidInputError(f"There is already a cart named '{name}'.") from None


def add_cart(
    database: Database,
    kind: str,
    name: str,
    url: str,
    download_mode: str = AUTO_INVOICE,
    interval: int = DEFAULT_INTERVAL,
    secrets: Mapping[str, str] | None = None,
) -> CartInfo:
    """Add a cart and store its secrets in the keyring; every secret field is required."""
    cls = installed_kind(kind)
    name, url = check_name(name), check_url(url)
    download_mode, interval = check_download_mode(download_mode), check_interval(interval)
    values = dict(secrets or {})
    _unknown_secrets(cls, values)
    missing = _missing_secrets(cls, values)
    if missing:
        raise InvalidInputError(f"Missing secret(s) {', '.join(missing)}.")
    with _unique_name(name), database.transaction() as session:
        _name_taken(session, name)
        row = Cart(
            name=name,
            kind=cls.kind,
            base_url=url,
            enabled=True,
            created_at=datetime.now(UTC),
            download_mode=download_mode,
            sync_interval_minutes=interval,
        )
        session.add(row)
        session.flush()
        cart_id = row.id
    try:
        for field in cls.secret_fields:
            secret_store.set_cart_secret(name, values[field].strip(), field)
    except secret_store.SecretStoreError:
        _take_back(database, cart_id, name, cls.secret_fields)
        raise
    with database.session() as session:
        return get_cart(session, cart_id)


def _take_back(database: Database, cart_id: int, name: str, fields: tuple[str, ...]) -> None:
    with database.transaction() as session:
        row = session.get(Cart, cart_id)
        if row is not None:
            session.delete(row)
    for field in fields:
        secret_store.delete_cart_secret(name, field)


def update_cart(
    database: Database,
    cart_id: int,
    *,
    name: str,
    url: str,
    download_mode: str,
    interval: int,
    enabled: bool = True,
    secrets: Mapping[str, str] | None = None,
) -> CartInfo:
    """Change a cart. Secrets left empty keep the stored ones; a rename moves them."""
    name, url = check_name(name), check_url(url)
    download_mode, interval = check_download_mode(download_mode), check_interval(interval)
    typed = {k: v.strip() for k, v in (secrets or {}).items() if v.strip()}
    with database.session() as session:
        before = get_cart(session, cart_id)
    cls = connectors().get(before.kind)
    fields = cls.secret_fields if cls is not None else ()
    if cls is not None:
        _unknown_secrets(cls, typed)
    elif typed:
        raise InvalidInputError(f"No connector for '{before.kind}' carts is installed.")
    renamed = name != before.name
    # Everything the cart will have under its (new) name, read before anything changes.
    kept = {f: secret_store.cart_secret(before.name, f) or "" for f in fields} if renamed else {}
    with _unique_name(name), database.transaction() as session:
        _name_taken(session, name, other_than=cart_id)
        row = session.get(Cart, cart_id)
        if row is None:
            raise NotFoundError(f"There is no cart with id {cart_id}; was it removed meanwhile?")
        row.name, row.base_url, row.enabled = name, url, enabled
        row.download_mode, row.sync_interval_minutes = download_mode, interval
    try:
        for field in fields:
            value = typed.get(field) or kept.get(field, "")
            if value and (renamed or field in typed):
                secret_store.set_cart_secret(name, value, field)
    except secret_store.SecretStoreError:
        if renamed:  # put the old name back: its secrets are still where they were
            with database.transaction() as session:
                row = session.get(Cart, cart_id)
                if row is not None:
                    row.name = before.name
            for field in fields:
                secret_store.delete_cart_secret(name, field)
        raise
    if renamed:
        for field in fields:
            secret_store.delete_cart_secret(before.name, field)
    with database.session() as session:
        return get_cart(session, cart_id)


def remove_cart(database: Database, cart_id: int) -> str:
    """Remove a cart that has no orders, and its secrets; returns its name.

    A cart with orders stays: their history (and the stack's records) refer to it.
    """
    with database.transaction() as session:
        row = session.get(Cart, cart_id)
        if row is None:
            raise NotFoundError(f"There is no cart with id {cart_id}; was it removed meanwhile?")
        orders = session.execute(
            select(func.count()).select_from(Order).where(Order.cart_id == row.id)
        ).scalar_one()
        if orders:
            raise InvalidInputError(
                f"Cart '{row.name}' has {orders:,} order(s) and cannot be removed; their history "
                "refers to it."
            )
        name = row.name
        cls = connectors().get(row.kind)
        fields = cls.secret_fields if cls is not None else (secret_store.STATUS_SECRET,)
        session.delete(row)
    for field in fields:
        secret_store.delete_cart_secret(name, field)
    return name


# -- testing -----------------------------------------------------------------------------------


def test_cart(config: CartConfig, secrets: Mapping[str, str], *, stored_under: str = "") -> str:
    """Open the connector with these secrets and test the connection: its one-line answer.

    Secrets left empty are read from the keyring under ``stored_under`` (the cart's saved name),
    so a cart being edited can be tested before it is saved. Raises ConnectorError with any
    secret value taken out of the message.
    """
    cls = installed_kind(config.kind)
    check_url(config.base_url)
    values = {k: v.strip() for k, v in secrets.items() if v.strip()}
    _unknown_secrets(cls, values)
    for field in cls.secret_fields:
        if not values.get(field) and stored_under:
            values[field] = secret_store.cart_secret(stored_under, field) or ""
    missing = _missing_secrets(cls, values)
    if missing:
        raise InvalidInputError(f"Enter {', '.join(missing)} to test the connection.")
    known = tuple(values.values())
    try:
        connector = cls(config, values)
        try:
            return secret_store.redact(connector.test_connection(), known)
        finally:
            connector.close()
    except ConnectorError as exc:
        raise ConnectorError(
            secret_store.redact(str(exc), known),
            transient=exc.transient,
            retry_after=exc.retry_after,
        ) from None


# pytest would otherwise collect the function above as a test when a test module imports it.
test_cart.__test__ = False  # type: ignore[attr-defined]
