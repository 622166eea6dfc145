"""HTTP for connectors: one ``httpx.Client`` per cart, and one mapping from what a cart or the
network can do to ``ConnectorError`` (the contract in DESIGN.md section 7).

429 (with Retry-After), 408, 5xx, timeouts and connection failures are transient; other 4xx and
bodies that are not the JSON we asked for are not. Error text never carries a secret: whatever the
cart sends back is redacted before it goes into a message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import httpx

from ordermanager import secrets as secret_store
from ordermanager.carts.errors import ConnectorError
from ordermanager.stack import backoff
from ordermanager.stack.delivery import trim_error

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=5.0)
USER_AGENT = "OrderManager order download"
_BODY_SHOWN = 200

_NETWORK_WORDS: dict[type[Exception], str] = {
    httpx.ConnectTimeout: "could not connect in time",
    httpx.ReadTimeout: "did not answer in time",
    httpx.WriteTimeout: "sending the request took too long",
    httpx.PoolTimeout: "too many requests waiting for a connection",
    httpx.ConnectError: "could not be reached",
    httpx.RemoteProtocolError: "closed the connection without a proper answer",
}


def new_client(
    timeout: httpx.Timeout | None, transport: httpx.BaseTransport | None
) -> httpx.Client:
    return httpx.Client(
        timeout=timeout or DEFAULT_TIMEOUT,
        transport=transport,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


def get_json(
    client: httpx.Client,
    url: str,
    *,
    cart_name: str,
    hide: tuple[str, ...] = (),
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> tuple[Any, httpx.Response]:
    """GET ``url`` and return its JSON (numbers with a fraction as ``Decimal``) and the response.

    ``hide``: secret values that must never appear in an error message.
    """
    try:
        response = client.get(url, headers=headers, params=params)
    except httpx.HTTPError as exc:
        raise network_error(exc, cart_name, hide) from None
    check_status(response, cart_name, hide)
    try:
        return json.loads(response.content, parse_float=Decimal), response
    except (ValueError, UnicodeDecodeError):
        raise ConnectorError(
            f"Cart '{cart_name}' answered with something that is not JSON: "
            f"{_shown(response, hide)}",
            transient=False,
        ) from None


def network_error(exc: httpx.HTTPError, cart_name: str, hide: tuple[str, ...]) -> ConnectorError:
    what = _NETWORK_WORDS.get(type(exc), type(exc).__name__)
    detail = secret_store.redact(str(exc), list(hide)) if str(exc) else ""
    message = f"Cart '{cart_name}' {what}" + (f" ({detail})" if detail else "") + "."
    return ConnectorError(trim_error(message), transient=backoff.is_transient_exception(exc))


def check_status(response: httpx.Response, cart_name: str, hide: tuple[str, ...]) -> None:
    """Raise ConnectorError for anything but a 2xx answer."""
    status = response.status_code
    if 200 <= status < 300:
        return
    shown = _shown(response, hide)
    if status in (401, 403):
        raise ConnectorError(
            f"Cart '{cart_name}' refused the credentials (HTTP {status}): {shown}. Check the "
            "cart's secrets in the keyring and its URL.",
            transient=False,
        )
    if 300 <= status < 400:
        where = response.headers.get("Location", "")
        raise ConnectorError(
            f"Cart '{cart_name}' answered with a redirect (HTTP {status}"
            + (f" to {secret_store.redact(where, list(hide))}" if where else "")
            + "): set the cart's URL to the final address.",
            transient=False,
        )
    if backoff.is_transient_status(status):
        retry_after = backoff.parse_retry_after(response.headers.get("Retry-After"))
        wait = f"; it asked us to wait {retry_after:.0f} s" if retry_after is not None else ""
        raise ConnectorError(
            trim_error(f"Cart '{cart_name}' is busy or failing (HTTP {status}{wait}): {shown}"),
            transient=True,
            retry_after=retry_after,
        )
    raise ConnectorError(
        trim_error(f"Cart '{cart_name}' answered HTTP {status}: {shown}"), transient=False
    )


def _shown(response: httpx.Response, hide: tuple[str, ...]) -> str:
    try:
        text = response.text
    except (UnicodeDecodeError, LookupError):
        text = repr(response.content[:_BODY_SHOWN])
    flat = " ".join(secret_store.redact(text, list(hide)).split())
    if not flat:
        return "(empty body)"
    return flat if len(flat) <= _BODY_SHOWN else flat[: _BODY_SHOWN - 1] + "…"


def request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    where: str,
    address: str,
    clean: Callable[[str], str],
    doing: str = "",
    **kwargs: Any,
) -> httpx.Response:
    """One request through a connector's client; a network failure becomes ConnectorError
    (transient when trying again may work), never a traceback. ``where`` names the cart
    ("WooCommerce cart 'Main'"), ``address`` the server, ``clean`` redacts the cart's secrets."""
    during = f" while {doing}" if doing else ""
    try:
        return client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ConnectorError(
            clean(f"{where}: no answer from {address} in time{during} ({type(exc).__name__})"),
            transient=True,
        ) from None
    except httpx.HTTPError as exc:
        raise ConnectorError(
            clean(f"{where}: could not reach {address}{during} ({exc or type(exc).__name__})"),
            transient=backoff.is_transient_exception(exc),
        ) from None
