"""What the stack's health reads as, in words an operator understands: one summary for the status
bar, and the figures of the status window. Plain Python over plain data, so it is easy to test.

The app's own controller (Local, Shared) knows its state first-hand; an external controller, or
another workstation's Shared controller, is known only by its heartbeat row in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ordermanager.stack.records import StackOverview
from ui.formatting import count, local_time
from ui.stack.runner import RunnerState

# A controller whose heartbeat is older than this is reported as not running.
SILENT_AFTER = timedelta(seconds=30)

MODE_TITLES = {
    "local": "Local — this workstation sends the updates it queued",
    "shared": "Shared — one workstation sends every update of the store",
    "external": "External — a stack controller service sends every update",
}


@dataclass(frozen=True)
class Health:
    state: str  # running | paused | stopped | waiting
    summary: str  # the status bar's words
    warning: bool  # records on hold, or nothing is sending
    figures: list[tuple[str, str]]  # the status window's grid


def age(since: datetime | None, now: datetime) -> str:
    """``12 s``, ``4 min``, ``3 h``, ``2 days`` ago; ``—`` for never."""
    if since is None:
        return "—"
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{seconds // 60} min"
    if seconds < 36 * 3600:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _alive(heartbeat_at: datetime | None, now: datetime) -> bool:
    return heartbeat_at is not None and now - heartbeat_at <= SILENT_AFTER


def describe(
    runner: RunnerState, overview: StackOverview | None, now: datetime | None = None
) -> Health:
    now = now or datetime.now(UTC)
    mode = overview.mode if overview is not None else runner.mode
    controllers = overview.controllers if overview is not None else []
    mine = runner.snapshot.controller_id if runner.snapshot is not None else None
    own_row = next((c for c in controllers if c.id == mine), None)
    # Who sends for this store when this app does not: a live external controller, or the
    # workstation holding the shared lease.
    others = [c for c in controllers if c.id != mine and _alive(c.heartbeat_at, now)]
    if mode == "external":
        senders = [c for c in others if c.mode == "external"]
    elif mode == "shared":
        senders = [c for c in others if c.mode == "shared"]
    else:
        senders = []

    if runner.state in ("running", "paused"):
        state = runner.state
    elif runner.state.startswith("waiting"):
        state = "waiting" if not senders else "running elsewhere"
    elif senders:
        state = "running elsewhere"
    else:
        state = "stopped"

    queued = overview.queued if overview is not None else 0
    in_flight = overview.in_flight if overview is not None else 0
    held = overview.held if overview is not None else 0
    # Nothing sends for this store: updates pile up until someone notices, so say it loudly.
    down = state in ("stopped", "waiting")
    warning = held > 0 or down or bool(runner.problem)

    words = {
        "running": "Stack controller running",
        "paused": "Stack controller paused",
        "stopped": "Stack controller stopped",
        "waiting": "Stack controller waiting for the shared lease",
        "running elsewhere": "Stack controller running"
        + (f" on {senders[0].workstation}" if senders and senders[0].workstation else ""),
    }
    summary = f"{words[state]} · {count(queued, 'update')} queued"
    if held:
        summary += f" · {held:,} on hold"

    heartbeat_source = own_row or (senders[0] if senders else None)
    lease = overview.shared_lease if overview is not None else None
    snapshot = runner.snapshot
    last_ok = overview.last_ok_at if overview is not None else None
    last_error = overview.last_error if overview is not None else ""
    last_error_at = overview.last_error_at if overview is not None else None
    if snapshot is not None:
        last_ok = max(filter(None, (last_ok, snapshot.last_ok_at)), default=None)
        if snapshot.last_error and (
            last_error_at is None or (snapshot.last_error_at or now) >= last_error_at
        ):
            last_error, last_error_at = snapshot.last_error, snapshot.last_error_at
    oldest = overview.oldest_queued_at if overview is not None else None
    per_minute = overview.sends_per_minute if overview is not None else 0

    figures = [
        ("Controller", state.capitalize() + (f" — {runner.problem}" if runner.problem else "")),
        ("Mode", MODE_TITLES.get(mode, mode)),
        (
            "Shared lease",
            f"held by {lease.workstation}" if lease is not None else "not held",
        ),
        (
            "Heartbeat",
            f"{age(heartbeat_source.heartbeat_at, now)} ago"
            if heartbeat_source is not None
            else "no controller is reporting",
        ),
        ("Queued", f"{queued:,}"),
        ("In flight", f"{in_flight:,}"),
        ("On hold", f"{held:,}"),
        ("Oldest record", f"{age(oldest, now)} old" if oldest is not None else "—"),
        ("Last OK", local_time(last_ok) if last_ok is not None else "never"),
        (
            "Last error",
            f"{local_time(last_error_at)}: {last_error}"
            if last_error and last_error_at
            else (last_error or "none"),
        ),
        ("Sends per minute", f"{per_minute:,}"),
    ]
    return Health(state, summary, warning, figures)
