"""Announcing "a record was queued": wakes the stack controllers now, not at their next poll.

``announce_queued(session)`` is called by code that queued a record, inside its write transaction:
- on PostgreSQL it executes ``NOTIFY ordermanager_stack``, which the server delivers to every
  listening controller (any workstation) only if and when the transaction commits;
- on every database it arranges that this process's local listeners are called after the commit
  (an in-process controller, the status window). A rolled-back transaction announces nothing.

Listeners run on the committing thread: they must only set a flag or post an event, never block.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import event, text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHANNEL = "ordermanager_stack"
_PENDING = "ordermanager_stack_announced"

Listener = Callable[[], None]
_listeners: list[Listener] = []
_lock = threading.Lock()


def add_local_listener(callback: Listener) -> None:
    with _lock:
        if callback not in _listeners:
            _listeners.append(callback)


def remove_local_listener(callback: Listener) -> None:
    with _lock:
        if callback in _listeners:
            _listeners.remove(callback)


def announce_queued(session: Session) -> None:
    """Say, at commit, that records were queued. Cheap to call often: once per transaction."""
    if session.info.get(_PENDING):
        return
    session.info[_PENDING] = True
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))


def _call_listeners() -> None:
    with _lock:
        listeners = list(_listeners)
    for callback in listeners:
        try:
            callback()
        except Exception:  # one broken listener must not stop the others, nor the commit
            log.exception("a stack listener failed")


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_PENDING, False):
        _call_listeners()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


# The names ordermanager.stack.wakeup looks for.
add_listener = add_local_listener
remove_listener = remove_local_listener
