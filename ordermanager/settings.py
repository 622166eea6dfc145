"""System parameters: store-wide settings shared by every workstation, declared once and typed.

Each parameter has a name (as operators and scripts spell it), a kind, a default and a title. Values
live in the ``system_parameters`` table as text; a parameter never set reads as its default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ordermanager.db.models import SystemParameter
from ordermanager.errors import InvalidInputError

Value = bool | int | str

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class StackControllerMode(StrEnum):
    LOCAL = "local"
    SHARED = "shared"
    EXTERNAL = "external"


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: type  # bool, int or str
    default: Value
    title: str
    choices: tuple[str, ...] = ()

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
