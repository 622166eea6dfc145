"""Cart secrets in the system keyring, and a redactor for any text that might have seen one.

Secrets never go to the database, settings, logs or exception text (DESIGN.md section 3): a cart's
shared secret is stored under the service "OrderManager cart" with the user "<cart name>:<field>".
"""

from __future__ import annotations

import contextlib
import re

import keyring
from keyring.errors import KeyringError

from ordermanager.errors import OrderManagerError

CART_SERVICE = "OrderManager cart"
STATUS_SECRET = "status_secret"
_REDACTED = "[redacted]"

# Header and query-string shapes that carry credentials, whatever the cart calls them.
# Order matters: "Authorization: Bearer X" must lose X (second rule) before the first value.
_PATTERNS = (
    re.compile(r"(?i)\b(bearer|basic)(\s+)()([A-Za-z0-9._~+/=-]+)"),
    re.compile(
        r"(?i)\b(authorization|x-api-key|api[-_]?key|secret|token|password|signature)"
        r"(\"?\s*[:=]\s*)(\"?)([^\s\"&,;]+)"
    ),
    re.compile(r"(?i)(sha256=)()()([0-9a-f]{16,})"),
)


class SecretStoreError(OrderManagerError):
    """The keyring could not be read or written."""


def keyring_user(cart_name: str, field: str) -> str:
    return f"{cart_name}:{field}"


def cart_secret(cart_name: str, field: str = STATUS_SECRET) -> str | None:
    """The secret stored for this cart, or None when there is none (or no usable keyring)."""
    try:
        return keyring.get_password(CART_SERVICE, keyring_user(cart_name, field))
    except KeyringError:
        return None


def set_cart_secret(cart_name: str, value: str, field: str = STATUS_SECRET) -> None:
    try:
        keyring.set_password(CART_SERVICE, keyring_user(cart_name, field), value)
    except KeyringError as exc:
        raise SecretStoreError(
            f"The system keyring refused to store the secret for cart '{cart_name}' "
            f"({type(exc).__name__})."
        ) from None


def delete_cart_secret(cart_name: str, field: str = STATUS_SECRET) -> None:
    # Nothing stored is what the caller wanted.
    with contextlib.suppress(KeyringError):
        keyring.delete_password(CART_SERVICE, keyring_user(cart_name, field))


def missing_secret_message(cart_name: str, field: str = STATUS_SECRET) -> str:
    return (
        f"No shared secret is stored for cart '{cart_name}': store the cart's shared secret in "
        f"the keyring (service '{CART_SERVICE}', user '{keyring_user(cart_name, field)}')."
    )


def redact(text: str, secrets: tuple[str, ...] | list[str] = ()) -> str:
    """``text`` with known secret values and credential-looking fields replaced by [redacted].

    Used on anything a cart sends back before it is stored or logged: a misconfigured cart may
    echo our headers into its error page.
    """
    cleaned = text
    for secret in secrets:
        if secret:
            cleaned = cleaned.replace(secret, _REDACTED)
    for pattern in _PATTERNS:
        cleaned = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}{_REDACTED}", cleaned)
    return cleaned
