"""The one error a connector raises on purpose, and how an HTTP failure maps onto it."""

from __future__ import annotations

from ordermanager.errors import OrderManagerError


class ConnectorError(OrderManagerError):
    """A cart could not be talked to, or answered something unusable.

    ``transient``: trying again later may work (rate limit, 5xx, timeout, connection refused);
    False for refused credentials, other 4xx and answers we cannot read. ``retry_after``: the
    seconds the cart asked us to wait (its Retry-After), when it said. The message is written for
    the operator and never contains a secret (connectors redact what a cart echoes back).
    """

    def __init__(
        self, message: str, *, transient: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after
