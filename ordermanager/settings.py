"""System parameters: store-wide settings shared by every workstation, declared once and typed.

Each parameter has a name (as operators and scripts spell it), a kind, a default and a title. Values
live in the ``system_parameters`` table as text; a parameter never set reads as its default.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from ordermanager.db.models import SystemParameter
from ordermanager.errors import InvalidInputError

Value = bool | int | str

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


STORE_NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254
OSS_ACCOUNT_MAX_LENGTH = 100
URL_MAX_LENGTH = 2000
# Deliberately loose (one @, a dot in the domain, no spaces): strict RFC 5322 checks refuse real
# addresses more often than they catch typos.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


class StackControllerMode(StrEnum):
    LOCAL = "local"
    SHARED = "shared"
    EXTERNAL = "external"


def check_store_name(text: str) -> str:
    """The store's name as it will be stored, or InvalidInputError saying what is wrong."""
    name = text.strip()
    if not name:
        raise InvalidInputError("Enter the store's name.")
    if len(name) > STORE_NAME_MAX_LENGTH:
        raise InvalidInputError(
            f"The store name is at most {STORE_NAME_MAX_LENGTH} characters ({len(name)} now)."
        )
    return name


def check_email(text: str) -> str:
    """An e-mail address such as orders@example.com; empty means "none"."""
    email = text.strip()
    if not email:
        return ""
    if len(email) > EMAIL_MAX_LENGTH or not _EMAIL.match(email):
        raise InvalidInputError(f"'{email}' is not an e-mail address (like orders@example.com).")
    return email


def check_http_url(text: str) -> str:
    """An http:// or https:// address with a host; empty means "none".

    A password written into the URL is refused: the URL is stored as a plain setting, and
    passwords belong in the keyring.
    """
    url = text.strip()
    if not url:
        return ""
    example = "(like https://status.example.com/api)"
    if len(url) > URL_MAX_LENGTH or any(c.isspace() for c in url):
        raise InvalidInputError(f"'{url}' is not a web address {example}.")
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # .port raises on a bad port number
    except ValueError:
        raise InvalidInputError(f"'{url}' is not a web address {example}.") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise InvalidInputError(f"The address must start with http:// or https:// {example}.")
    if parts.password is not None:
        raise InvalidInputError(
            "Leave the password out of the address; enter it in the password field."
        )
    return url


def check_oss_account(text: str) -> str:
    account = text.strip()
    if len(account) > OSS_ACCOUNT_MAX_LENGTH:
        raise InvalidInputError(
            f"The account name is at most {OSS_ACCOUNT_MAX_LENGTH} characters ({len(account)} now)."
        )
    return account


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: type  # bool, int or str
    default: Value
    title: str
    choices: tuple[str, ...] = ()
    # For text: returns the cleaned value or raises InvalidInputError with the operator's message.
    check: Callable[[str], str] | None = None

    def parse(self, text: str) -> Value:
        """The typed value of ``text``, or InvalidInputError saying what would be accepted."""
        cleaned = text.strip()
        if self.kind is bool:
            lowered = cleaned.lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise InvalidInputError(f"{self.name} is true or false, not '{text}'.")
        if self.kind is int:
            try:
                return int(cleaned)
            except ValueError:
                raise InvalidInputError(f"{self.name} is a whole number, not '{text}'.") from None
        if self.choices:
            lowered = cleaned.lower()
            if lowered not in self.choices:
                raise InvalidInputError(
                    f"{self.name} is one of {', '.join(self.choices)}, not '{text}'."
                )
            return lowered
        if self.check is not None:
            try:
                return self.check(cleaned)
            except InvalidInputError as exc:
                raise InvalidInputError(f"{self.name}: {exc}") from None
        return cleaned

    def to_text(self, value: Value) -> str:
        if self.kind is bool:
            return "true" if value else "false"
        return str(value)


PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter(
            "UseStatusUpdates",
            bool,
            False,
            "Use status updates: status events apply labels and queue updates for carts",
        ),
        Parameter(
            "SendUpdatesToOrderStatusSystem",
            bool,
            False,
            "Send status updates to the Order Status System (for carts that cannot take them)",
        ),
        Parameter(
            "StackControllerMode",
            str,
            StackControllerMode.LOCAL.value,
            "Which stack controller sends status updates: local, shared or external",
            tuple(m.value for m in StackControllerMode),
        ),
        Parameter(
            "StoreName",
            str,
            "",
            "The store's name, as operators and e-mails show it",
            (),
            check_store_name,
        ),
        Parameter("StoreEmail", str, "", "The store's contact e-mail address", (), check_email),
        Parameter(
            "OrderStatusSystemUrl",
            str,
            "",
            "The Order Status System's server address (http:// or https://)",
            (),
            check_http_url,
        ),
        Parameter(
            "OrderStatusSystemAccount",
            str,
            "",
            "The store's account name on the Order Status System (its password is in the keyring)",
            (),
            check_oss_account,
        ),
    )
}


def parameter(name: str) -> Parameter:
    """The declared parameter ``name`` (case-insensitive), or a message listing the known ones."""
    found = PARAMETERS.get(name)
    if found is None:
        found = next((p for p in PARAMETERS.values() if p.name.lower() == name.lower()), None)
    if found is None:
        raise InvalidInputError(
            f"There is no setting '{name}'. Known settings: {', '.join(PARAMETERS)}."
        )
    return found


_CACHE_KEY = "ordermanager.settings"


def get_setting(session: Session, name: str) -> Value:
    """The value in this session. Read once per session: a bulk action asks for every order."""
    declared = parameter(name)
    cache: dict[str, Value] = session.info.setdefault(_CACHE_KEY, {})
    if declared.name in cache:
        return cache[declared.name]
    stored = session.get(SystemParameter, declared.name)
    value = declared.default
    if stored is not None:
        try:
            value = declared.parse(stored.value)
        except InvalidInputError:
            # A value written by hand or by a newer version: the default is the safe reading.
            value = declared.default
    cache[declared.name] = value
    return value


def set_setting(session: Session, name: str, value: Value | str) -> Value:
    """Validate and store a value (text is parsed); returns the typed value stored."""
    declared = parameter(name)
    typed = declared.parse(value) if isinstance(value, str) else value
    if isinstance(typed, bool) != (declared.kind is bool) or (
        declared.kind is int and not isinstance(typed, int)
    ):
        raise InvalidInputError(f"{declared.name} cannot be set to {value!r}.")
    if declared.choices and typed not in declared.choices:
        typed = declared.parse(str(typed))
    text = declared.to_text(typed)
    session.info.pop(_CACHE_KEY, None)
    now = datetime.now(UTC)
    stored = session.get(SystemParameter, declared.name)
    if stored is None:
        session.add(SystemParameter(name=declared.name, value=text, updated_at=now))
    else:
        stored.value, stored.updated_at = text, now
    session.flush()
    return typed


def all_settings(session: Session) -> dict[str, Value]:
    stored = {p.name: p.value for p in session.execute(select(SystemParameter)).scalars()}
    result: dict[str, Value] = {}
    for declared in PARAMETERS.values():
        text = stored.get(declared.name)
        try:
            result[declared.name] = declared.default if text is None else declared.parse(text)
        except InvalidInputError:
            result[declared.name] = declared.default
    return result
