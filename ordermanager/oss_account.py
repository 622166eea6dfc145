"""The Order Status System account's password, kept in the system keyring and nowhere else.

The server address and account name are ordinary store settings (ordermanager.settings); the
password is looked up by account name under its own keyring service. Keyring calls may wait on
the desktop's secret service: call these off the GUI thread.
"""

from __future__ import annotations

import keyring
import keyring.errors

from ordermanager.errors import OrderManagerError

KEYRING_SERVICE = "OrderManager order status system"


class KeyringUnavailableError(OrderManagerError):
    """The system keyring could not store or read a password."""


def save_oss_password(account: str, password: str) -> None:
    if not account.strip():
        raise OrderManagerError("Enter the account name before its password.")
    try:
        keyring.set_password(KEYRING_SERVICE, account.strip(), password)
    except keyring.errors.KeyringError as exc:
        # The exception text of some backends repeats what was passed in: name only the kind.
        raise KeyringUnavailableError(
            "The Order Status System password could not be stored in the system keyring "
            f"({type(exc).__name__}). Set up a keyring and try again."
        ) from None


def has_oss_password(account: str) -> bool:
    """Whether a password is saved for ``account``; False when no keyring answers."""
    if not account.strip():
        return False
    try:
        return keyring.get_password(KEYRING_SERVICE, account.strip()) is not None
    except keyring.errors.KeyringError:
        return False


def oss_password(account: str) -> str | None:
    """The saved password, for the code that talks to the Order Status System."""
    try:
        return keyring.get_password(KEYRING_SERVICE, account.strip())
    except keyring.errors.KeyringError:
        return None
