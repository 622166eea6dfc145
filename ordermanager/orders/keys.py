"""Derived columns that make orders sortable and searchable with plain indexes.

Whatever writes an order (import, demo, hand entry) computes these here, so the list's sort order
and search results are the same whichever way an order arrived.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_DIGITS = re.compile(r"\d+")
_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
MAX_TERM_LENGTH = 254
NUMBER_KEY_LENGTH = 160


# Letters Unicode does not decompose into a base letter plus accent, spelled as people type them
# on a keyboard without them ("Soren" finds "Søren", "Lukasz" finds "Łukasz").
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "ŀ": "l", "æ": "ae", "œ": "oe", "þ": "th"}
)


def fold(text: str) -> str:
    """Case- and accent-insensitive form: "Élodie" and "elodie" match and sort together.

    casefold() already turns "ß" into "ss".
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_UNDECOMPOSED))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def number_key(number: str) -> str:
    """Natural sort key: every run of digits is zero-padded, so "#999" sorts before "#1000".

    A leading "#" (Shopify's style) is ignored, so "#1001" sits between "1000" and "1002".
    """
    bare = fold(number).strip().lstrip("#")
    key = _DIGITS.sub(lambda m: m.group().lstrip("0").rjust(20, "0"), bare)
    return key[:NUMBER_KEY_LENGTH]


def customer_sort_key(name: str) -> str:
    return fold(name).strip()[:200]


def search_terms(number: str, customer_name: str, emails: Iterable[str]) -> set[str]:
    """The words an order can be found by: its number, each word of the name, each e-mail."""
    terms = set()
    folded_number = fold(number).strip()
    if folded_number:
        terms.add(folded_number)
        stripped = folded_number.lstrip("#")
        if stripped:
            terms.add(stripped)
        # "WC-1001" is also found by "1001", and Magento's "000000123" by "123".
        for word in _WORDS.findall(folded_number):
            terms.add(word)
            if word.isdigit() and word.lstrip("0"):
                terms.add(word.lstrip("0"))
    terms.update(_WORDS.findall(fold(customer_name)))
    for email in emails:
        email = fold(email).strip()
        if email:
            terms.add(email)
    return {term[:MAX_TERM_LENGTH] for term in terms if term}


def query_words(text: str) -> list[str]:
    """Split what the operator typed into the words a search must all match (as prefixes)."""
    words: list[str] = []
    for raw in fold(text).split():
        word = raw.strip(",;")
        if not word:
            continue
        if "@" in word or any(c.isdigit() for c in word):
            # An e-mail or an order number is matched whole, as it was stored.
            words.append((word.lstrip("#") or word)[:MAX_TERM_LENGTH])
        else:
            # "Jean-Luc" was stored as "jean" and "luc"; split the query the same way.
            words.extend(w[:MAX_TERM_LENGTH] for w in _WORDS.findall(word))
    return words
