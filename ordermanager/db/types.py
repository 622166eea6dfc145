"""Column types that keep the two rules of DESIGN.md section 5 on every database:
timestamps are timezone-aware UTC, and money is an exact Decimal.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

MONEY_SCALE = 4
_MONEY_FACTOR = Decimal(10) ** MONEY_SCALE
_MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime in, an aware UTC datetime out.

    PostgreSQL keeps ``timestamptz``. SQLite has no time zones, so values are stored as naive UTC
    text, which also sorts correctly. A naive datetime is refused: guessing its zone is how orders
    end up on the wrong day.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: store timestamps with a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """An exact amount with four decimal places.

    PostgreSQL stores ``NUMERIC(18, 4)``. SQLite has no exact decimal type (its NUMERIC is a
    float), so there the amount is an integer count of ten-thousandths: exact, sortable, summable.
    """

    impl = Numeric(18, MONEY_SCALE, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value: Decimal | int | str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be a Decimal, not a float")
        amount = Decimal(value).quantize(_MONEY_QUANTUM)
        if dialect.name == "sqlite":
            return int(amount * _MONEY_FACTOR)
        return amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / _MONEY_FACTOR).quantize(_MONEY_QUANTUM)
        return Decimal(value).quantize(_MONEY_QUANTUM)


def money_to_storage(value: Decimal, dialect_name: str) -> int | Decimal:
    """The stored form of an amount, for bulk inserts that bypass the ORM (the demo generator)."""
    amount = value.quantize(_MONEY_QUANTUM)
    return int(amount * _MONEY_FACTOR) if dialect_name == "sqlite" else amount
