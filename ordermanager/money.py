"""Money as text for people and JSON: exact, with the usual two decimals unless more are real."""

from __future__ import annotations

from decimal import Decimal

_CENTS = Decimal("0.01")


def money_text(amount: Decimal) -> str:
    """``Decimal("25.0000")`` gives "25.00"; ``Decimal("1.2345")`` keeps all four decimals."""
    cents = amount.quantize(_CENTS)
    return str(cents if cents == amount else amount.normalize())
