"""What the Store Setup Wizard and the Settings dialog read and write, as plain data.

``StoreSettings`` gathers the store-wide settings those windows edit, so they are read in one
session and written in one transaction (Cancel leaves nothing half-written). ``check_database``
is the wizard's Test Connection: can we reach a database, and what would opening it mean?
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ordermanager.db.engine import Database
from ordermanager.db.errors import DatabaseError, ForeignDatabaseError, SchemaTooNewError
from ordermanager.db.location import DatabaseLocation
from ordermanager.db.location import save as save_location
from ordermanager.db.migrate import schema_state, translate_errors
from ordermanager.db.models import Cart, Order
from ordermanager.oss_account import has_oss_password, save_oss_password
from ordermanager.settings import (
    StackControllerMode,
    all_settings,
    get_setting,
    set_setting,
)


@dataclass(frozen=True)
class StoreSettings:
    store_name: str = ""
    store_email: str = ""
    use_status_updates: bool = False
    send_updates_to_oss: bool = False
    oss_url: str = ""
    oss_account: str = ""
    stack_controller_mode: StackControllerMode = StackControllerMode.LOCAL


# Field of StoreSettings -> system parameter name.
PARAMETER_OF = {
    "store_name": "StoreName",
    "store_email": "StoreEmail",
    "use_status_updates": "UseStatusUpdates",
    "send_updates_to_oss": "SendUpdatesToOrderStatusSystem",
    "oss_url": "OrderStatusSystemUrl",
    "oss_account": "OrderStatusSystemAccount",
    "stack_controller_mode": "StackControllerMode",
}


def load_store_settings(session: Session) -> StoreSettings:
    values = all_settings(session)
    raw = {field: values[name] for field, name in PARAMETER_OF.items()}
    raw["stack_controller_mode"] = StackControllerMode(str(raw["stack_controller_mode"]))
    return StoreSettings(**raw)  # type: ignore[arg-type]


def save_store_settings(session: Session, settings: StoreSettings) -> list[str]:
    """Store every value that differs from what is stored; returns the names changed.

    Each value is checked as ``settings set`` checks it, so a bad value raises
    InvalidInputError and the caller's transaction writes nothing at all. An empty store name
    is left unset rather than refused: a store may not have been named yet.
    """
    changed: list[str] = []
    for field, name in PARAMETER_OF.items():
        value = getattr(settings, field)
        if isinstance(value, StackControllerMode):
            value = value.value
        if name == "StoreName" and not str(value).strip():
            continue
        if get_setting(session, name) == value:
            continue
        set_setting(session, name, value)
        changed.append(name)
    return changed


@dataclass(frozen=True)
class CartSummary:
    name: str
    kind: str
    url: str
    enabled: bool


def list_cart_summaries(session: Session) -> list[CartSummary]:
    rows = session.execute(
        select(Cart.name, Cart.kind, Cart.base_url, Cart.enabled).order_by(Cart.name)
    )
    return [CartSummary(name, kind, url or "", bool(enabled)) for name, kind, url, enabled in rows]


# -- Test Connection ------------------------------------------------------------------------


class SchemaCondition(StrEnum):
    EMPTY = "empty"  # no tables yet: Order Manager sets it up on first start
    CURRENT = "current"  # an Order Manager store of this version
    NEEDS_UPGRADE = "needs upgrade"  # an older Order Manager store; upgraded (after a backup)
    TOO_NEW = "too new"  # set up by a newer Order Manager; this version will not open it
    FOREIGN = "another program's database"  # tables that are not ours
    UNREACHABLE = "unreachable"


USABLE = {SchemaCondition.EMPTY, SchemaCondition.CURRENT, SchemaCondition.NEEDS_UPGRADE}


@dataclass(frozen=True)
class DatabaseCheck:
    location_text: str  # the URL with any password hidden
    condition: SchemaCondition
    message: str  # one or two sentences for the operator; never a password
    orders: int | None = None  # how many orders the store holds, when it is ours

    @property
    def reachable(self) -> bool:
        return self.condition is not SchemaCondition.UNREACHABLE

    @property
    def usable(self) -> bool:
        return self.condition in USABLE


def check_database(location: DatabaseLocation) -> DatabaseCheck:
    """Connect to ``location`` and say what opening it would do. Writes nothing.

    Network work: call it off the GUI thread. An SQLite file that does not exist is reported as
    empty without creating it.
    """
    shown = location.display()
    path = location.sqlite_path
    if path is not None and not path.exists():
        return DatabaseCheck(
            shown,
            SchemaCondition.EMPTY,
            f"The file {path} does not exist yet; Order Manager creates a new store there.",
        )
    database = Database(location)
    try:
        with translate_errors(location), database.engine.connect() as connection:
            state = schema_state(connection)
        if state.current is None:
            return DatabaseCheck(
                shown,
                SchemaCondition.EMPTY,
                "The database is empty: Order Manager sets up a new store in it when it "
                "first starts with it.",
            )
        with database.session() as session:
            orders = session.execute(select(func.count()).select_from(Order)).scalar_one()
        if state.up_to_date:
            return DatabaseCheck(
                shown,
                SchemaCondition.CURRENT,
                f"It holds an Order Manager store ({orders:,} orders), up to date.",
                orders,
            )
        return DatabaseCheck(
            shown,
            SchemaCondition.NEEDS_UPGRADE,
            f"It holds an Order Manager store ({orders:,} orders) made by an older version; "
            "Order Manager upgrades it (after a backup) when it starts with it.",
            orders,
        )
    except SchemaTooNewError as exc:
        return DatabaseCheck(shown, SchemaCondition.TOO_NEW, str(exc))
    except ForeignDatabaseError as exc:
        return DatabaseCheck(shown, SchemaCondition.FOREIGN, str(exc))
    except DatabaseError as exc:
        return DatabaseCheck(
            shown, SchemaCondition.UNREACHABLE, _without_password(str(exc), location)
        )
    finally:
        database.dispose()


def _without_password(message: str, location: DatabaseLocation) -> str:
    password = location.url.password
    if password:
        message = message.replace(str(password), "***")
    return message


# -- what the wizard and the Settings dialog load and save ----------------------------------


@dataclass(frozen=True)
class LoadedSetup:
    settings: StoreSettings
    oss_password_saved: bool
    carts: list[CartSummary]


@dataclass(frozen=True)
class SetupChanges:
    settings: StoreSettings
    oss_password: str = ""  # empty: keep the saved password (if any)
    database: DatabaseLocation | None = None  # None: keep this workstation's database


def load_setup(database: Database) -> LoadedSetup:
    """Everything the setup windows show; reads the database and asks the keyring."""
    with database.session() as session:
        settings = load_store_settings(session)
        carts = list_cart_summaries(session)
    return LoadedSetup(settings, has_oss_password(settings.oss_account), carts)


def apply_setup(database: Database, changes: SetupChanges) -> list[str]:
    """Save what the operator confirmed; returns the names of the settings that changed.

    The keyring comes first: it is the step most likely to fail (no keyring on this desktop),
    and failing there leaves the store's settings exactly as they were.
    """
    if changes.oss_password:
        save_oss_password(changes.settings.oss_account, changes.oss_password)
    if changes.database is not None:
        save_location(changes.database)
    with database.transaction() as session:
        return save_store_settings(session, changes.settings)
