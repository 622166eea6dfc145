"""Reading single fields of a cart's order JSON, shared by the connectors' order parsers.

A field that cannot be read raises ``BadOrder`` whose message is the skip reason ("its total
'abc' is not an amount"): the parser turns it into a SkippedOrder and the rest of the page
imports (DESIGN.md section 3).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


class BadOrder(Exception):
    """One field of one order cannot be read; the message is the skip reason."""


def text(value: Any) -> str:
    """A string field, stripped; anything else (missing, null, a number) is empty."""
    return value.strip() if isinstance(value, str) else ""


def amount(value: Any, field: str, *, required: bool = True) -> Decimal:
    """A decimal amount given as a string ("12.50") or a JSON number, exactly.

    Missing or empty: 0 unless ``required``. Floats go through their shortest repr, which is
    what the cart wrote (parsers read JSON with ``parse_float=Decimal`` where they can)."""
    if value is None or value == "":
        if required:
            raise BadOrder(f"it has no {field}")
        return Decimal("0")
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise BadOrder(f"its {field} {value!r} is not an amount")
    try:
        parsed = Decimal(str(value).strip())
    except InvalidOperation:
        raise BadOrder(f"its {field} '{value}' is not an amount") from None
    if not parsed.is_finite():
        raise BadOrder(f"its {field} '{value}' is not an amount")
    return parsed
