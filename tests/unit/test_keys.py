"""Sort and search keys: natural number order, case/accent folding, query splitting."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ordermanager.orders.keys import customer_sort_key, fold, number_key, query_words, search_terms


@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=0, max_value=10**15))
def test_number_key__numbers_sort_by_value(a: int, b: int) -> None:
    for fmt in ("{}", "#{}", "WEB-{}", "{:09d}"):
        assert (number_key(fmt.format(a)) < number_key(fmt.format(b))) == (a < b)


def test_number_key__mixed_prefixes_group_together() -> None:
    numbers = ["#1000", "#999", "#10", "#1"]
    assert sorted(numbers, key=number_key) == ["#1", "#10", "#999", "#1000"]


def test_fold__case_and_accents() -> None:
    assert fold("ÉLODIE Ångström") == "elodie angstrom"
    assert customer_sort_key("  Zoë ") == "zoe"
    assert fold("李小龙") == "李小龙"
    assert fold("Søren Łukasz Straße Æsir") == "soren lukasz strasse aesir"


def test_search_terms__number_name_words_and_emails() -> None:
    terms = search_terms("WC-1001", "Jean-Luc O'Brien", ["JL@Example.com", ""])
    assert {"wc-1001", "wc", "1001", "jean", "luc", "o'brien", "jl@example.com"} <= terms
    assert "" not in terms


def test_search_terms__shopify_hash_number() -> None:
    assert {"#1001", "1001"} <= search_terms("#1001", "", [])


def test_query_words__split_like_terms() -> None:
    assert query_words("  Jean-Luc  ") == ["jean", "luc"]
    assert query_words("#1001") == ["1001"]
    assert query_words("WC-1001") == ["wc-1001"]
    assert query_words("JL@Example.com") == ["jl@example.com"]
    assert query_words("Ångström,") == ["angstrom"]
    assert query_words("   ") == []


@given(st.text(min_size=1, max_size=40))
def test_every_name_word_is_found_by_its_own_query(name: str) -> None:
    terms = search_terms("1", name, [])
    for word in query_words(name):
        if any(c.isdigit() for c in word) or "@" in word:
            continue
        assert any(term.startswith(word) for term in terms), (name, word, terms)


def test_search_terms__zero_padded_number_found_without_zeros() -> None:
    assert {"000000123", "123"} <= search_terms("000000123", "", [])
