"""Running stack controllers in tests: in-process controllers, `ordermanager stack-controller`
subprocesses, and waiting on conditions with deadlines (never sleeping as synchronisation)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from ordermanager.db.engine import Database
from ordermanager.stack.controller import StackController
from ordermanager.stack.delivery import DeliveryConfig
from tests.stack_support import seed
from tests.stack_support.cart_server import Hit

SECRET = "crash-harness-secret-0123456789"
REPO = Path(__file__).resolve().parents[2]


def wait_until(
    condition: Callable[[], Any],
    timeout: float = 20.0,
    what: str = "condition",
    every: float = 0.02,
) -> Any:
    """Poll ``condition`` until it returns something truthy; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        pause.wait(every)


def wait_stack_empty(database: Database, timeout: float = 30.0) -> None:
    wait_until(lambda: seed.stack_count(database) == 0, timeout, "an empty stack")


def delivery(**changes: Any) -> DeliveryConfig:
    """Test delivery settings: the test secret, no rate limit, short timeouts."""
    values: dict[str, Any] = {
        "secret_override": SECRET,
        "rate_per_second": 0.0,
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
    }
    values.update(changes)
    return DeliveryConfig(**values)


@contextmanager
def running(database: Database, **kwargs: Any) -> Iterator[StackController]:
    """A started in-process controller, stopped (and checked stopped) afterwards."""
    kwargs.setdefault("mode", "external")
    kwargs.setdefault("delivery", delivery())
    kwargs.setdefault("lease", timedelta(seconds=5))
    kwargs.setdefault("poll_interval", 0.2)
    kwargs.setdefault("workstation", "test-workstation")
    controller = StackController(database, **kwargs)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop(5.0)


def assert_order_fifo(hits: list[Hit], key_order: dict[str, tuple[int, int]]) -> None:
    """Per order, the first arrival of each record comes in queue order (seq 0, 1, 2, ...)."""
    seen: dict[int, list[int]] = {}
    for hit in sorted(hits, key=lambda h: h.at):
        order_id, seq = key_order[hit.idempotency_key]
        got = seen.setdefault(order_id, [])
        if seq not in got:
            got.append(seq)
    for order_id, seqs in seen.items():
        assert seqs == sorted(seqs), f"order {order_id} was sent out of order: {seqs}"


# -- subprocesses -----------------------------------------------------------------------------


def controller_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.SecretService.Keyring"
    env.pop("ORDERMANAGER_DATABASE_URL", None)
    if extra:
        env.update(extra)
    return env


def start_controller_process(
    database_url: str, *args: str, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``python -m ordermanager --database-url URL stack-controller ARGS``; stderr to ``log``."""
    with log.open("ab") as stream:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ordermanager",
                "--database-url",
                database_url,
                "stack-controller",
                *args,
            ],
            stdout=stream,
            stderr=stream,
            env=env or controller_env(),
            cwd=str(REPO),
        )


def database_url(database: Database) -> str:
    return database.location.url.render_as_string(hide_password=False)
