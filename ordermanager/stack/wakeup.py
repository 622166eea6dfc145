"""Wake-ups for the stack controller: look at the stack at once when a record is queued.

Three sources, any of which sets one event the claim loop waits on:
- PostgreSQL ``LISTEN ordermanager_stack`` on a connection of its own (another workstation or
  process queued a record and its transaction sent NOTIFY);
- the in-process signal from ``ordermanager.stack.notify`` (this process queued a record);
- a polling floor: the loop never waits longer than ``poll_interval`` (at most 1 s), so a lost
  notification (a reconnect, SQLite, a NOTIFY sent while we were busy) costs at most that.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

from ordermanager.db.engine import Database
from ordermanager.stack import notify
from ordermanager.stack.notify import CHANNEL

log = logging.getLogger(__name__)

MAX_POLL_INTERVAL = 1.0


class Wakeup:
    def __init__(self, database: Database, *, poll_interval: float = MAX_POLL_INTERVAL) -> None:
        self.database = database
        self.poll_interval = min(max(poll_interval, 0.01), MAX_POLL_INTERVAL)
        self._event = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._subscribed = False
        self._connection: Any = None
        self._connection_lock = threading.Lock()
        self.listening = threading.Event()  # set while LISTEN is active (tests wait on it)

    def start(self) -> None:
        notify.add_local_listener(self.set)
        self._subscribed = True
        if self.database.dialect == "postgresql":
            self._thread = threading.Thread(
                target=self._listen_loop, name="stack-controller-listen", daemon=True
            )
            self._thread.start()

    def set(self) -> None:
        self._event.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a wake-up, at most ``timeout`` and never longer than the polling floor.
        True when woken (not by the floor); the event is consumed."""
        limit = self.poll_interval if timeout is None else min(timeout, self.poll_interval)
        woken = self._event.wait(max(limit, 0.0))
        self._event.clear()
        return woken

    def close(self) -> None:
        self._closing.set()
        self._event.set()
        if self._subscribed:
            notify.remove_local_listener(self.set)
            self._subscribed = False
        with self._connection_lock:
            connection = self._connection
        if connection is not None:
            # Interrupts a blocking notifies() wait; the listener thread reports its own errors.
            with contextlib.suppress(Exception):
                connection.cancel_safe(timeout=2.0)
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    # -- PostgreSQL LISTEN ------------------------------------------------------------------

    def _listen_loop(self) -> None:
        delay = 0.5
        while not self._closing.is_set():
            try:
                self._listen_once()
                delay = 0.5
            except Exception as exc:
                if self._closing.is_set():
                    break
                # Polling keeps the controller working meanwhile; say why once per attempt.
                log.warning("Stack wake-ups: LISTEN connection lost (%r); reconnecting", exc)
                self._closing.wait(delay)
                delay = min(delay * 2, 10.0)
            finally:
                self.listening.clear()

    def _listen_once(self) -> None:
        # A connection of our own, detached from the pool: it stays in LISTEN for good.
        pooled = self.database.engine.raw_connection()
        # Read the driver connection before detaching: a detached fairy forgets it.
        connection: Any = pooled.dbapi_connection
        pooled.detach()
        try:
            connection.autocommit = True
            with self._connection_lock:
                self._connection = connection
            connection.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            # Something may have been queued while we were (re)connecting.
            self._event.set()
            while not self._closing.is_set():
                for _notice in connection.notifies(timeout=1.0):
                    self._event.set()
                    if self._closing.is_set():
                        break
        finally:
            with self._connection_lock:
                self._connection = None
            with contextlib.suppress(Exception):
                connection.close()
