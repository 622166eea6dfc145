"""How money, times and counts read in the window: one place, so the list and the detail agree.

Plain Python, safe to call from worker threads (the order list formats pages off the GUI thread).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

# Symbols an operator recognises at a glance; any other currency shows its ISO code.
_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "CHF": "CHF ",
    "SEK": "SEK ",
    "NOK": "NOK ",
    "DKK": "DKK ",
    "PLN": "PLN ",
}
_NO_DECIMALS = {"JPY", "KRW", "ISK", "HUF", "CLP", "VND"}


def money(amount: Decimal, currency: str) -> str:
    """``$1,234.50``, ``€12.00``, ``-£3.10``; unknown currencies as ``XYZ 1,234.50``."""
    places = 0 if currency.upper() in _NO_DECIMALS else 2
    quantum = Decimal(1).scaleb(-places)
    rounded = amount.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    digits = f"{abs(rounded):,.{places}f}"
    symbol = _SYMBOLS.get(currency.upper(), f"{currency.upper()} ")
    return f"{sign}{symbol}{digits}"


def local_time(moment: datetime) -> str:
    """A stored UTC time as this workstation's local time: ``2026-11-23 14:05``."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def local_date(moment: datetime | date) -> str:
    if isinstance(moment, datetime):
        moment = moment.astimezone().date()
    return moment.strftime("%Y-%m-%d")


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``1 order``, ``1,000,000 orders``."""
    word = noun if number == 1 else (plural or f"{noun}s")
    return f"{number:,} {word}"
