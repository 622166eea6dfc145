"""The root of every error the core raises on purpose, with messages written for the operator."""

from __future__ import annotations


class OrderManagerError(Exception):
    """Something the operator can act on. ``str(error)`` is the message to show them."""


class InvalidInputError(OrderManagerError):
    """A value given by the operator (a number, a URL, an option) is not acceptable."""


class NotFoundError(OrderManagerError):
    """The thing the operator asked for does not exist."""
