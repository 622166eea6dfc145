"""Redaction of cart answers before they are stored or logged (ordermanager.secrets.redact)."""

from __future__ import annotations

import pytest

from ordermanager.secrets import missing_secret_message, redact


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("Authorization: Bearer abc.def-123", ["abc.def-123"]),
        ("GET /x?api_key=KEY123&page=2", ["KEY123"]),
        ('{"secret": "hunter2", "order": 5}', ["hunter2"]),
        ("password=pa55word;", ["pa55word"]),
        ("X-OrderManager-Signature: sha256=0123456789abcdef0123", ["0123456789abcdef0123"]),
    ],
)
def test_redact__credential_shapes(text: str, gone: list[str]) -> None:
    cleaned = redact(text)
    for value in gone:
        assert value not in cleaned
    assert "[redacted]" in cleaned


def test_redact__known_secret_anywhere_and_plain_text_untouched() -> None:
    assert redact("echo: my-shared-s3cret!", ["my-shared-s3cret"]) == "echo: [redacted]!"
    assert redact("Unknown order 100077", ["s3cret"]) == "Unknown order 100077"


def test_missing_secret_message__says_where_to_store_it() -> None:
    assert missing_secret_message("Main Store") == (
        "No shared secret is stored for cart 'Main Store': store the cart's shared secret in "
        "the keyring (service 'OrderManager cart', user 'Main Store:status_secret')."
    )
