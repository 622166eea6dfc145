"""Warnings for event settings that silently swallow status updates.

An update is queued only when a label changes. If two enabled events set the same label, whichever
runs second finds the label already current, so an event with Notify Cart sends nothing when the
other one ran first (for example "Tracking Number Entered" and "Order Shipped" both setting
"Shipped"). The status events editor and ``events list`` show these so the store can decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ordermanager.status.events import Assignment


@dataclass(frozen=True)
class SuppressedUpdate:
    event: str  # the event with Notify Cart whose update can be swallowed
    other: str  # the event that, run first, leaves it nothing to change
    labels: tuple[str, ...]  # "order status 'Shipped'", ...

    @property
    def message(self) -> str:
        return (
            f"{self.event} sends no update to the cart when {self.other} ran first: "
            f"{self.other} already sets {' and '.join(self.labels)}."
        )

    def as_json(self) -> dict[str, object]:
        return {"event": self.event, "other": self.other, "message": self.message}


def _sets(a: Assignment) -> frozenset[tuple[str, str]]:
    pairs = set()
    if a.order_label:
        pairs.add(("order", a.order_label))
    if a.item_label:
        pairs.add(("item", a.item_label))
    return frozenset(pairs)


def suppressed_updates(assignments: Sequence[Assignment]) -> list[SuppressedUpdate]:
    """A warning for each event with Notify Cart and each other enabled event that sets every
    label it sets: run after that event, it changes nothing, so it queues nothing."""
    enabled = [(a, _sets(a)) for a in assignments if a.enabled]
    warnings: list[SuppressedUpdate] = []
    for event, labels in enabled:
        if not event.notify_cart or not labels:
            continue
        for other, other_labels in enabled:
            if other.event.key != event.event.key and labels <= other_labels:
                described = tuple(f"the {level} status '{name}'" for level, name in sorted(labels))
                warnings.append(SuppressedUpdate(event.event.name, other.event.name, described))
    return warnings
