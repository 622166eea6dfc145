"""Warnings for event settings under which an event with Notify Cart can never send an update."""

from __future__ import annotations

from ordermanager.status.conflicts import suppressed_updates
from ordermanager.status.defaults import DEFAULT_EVENTS
from ordermanager.status.events import CATALOGUE, Assignment, Event


def _assignments(settings: dict[Event, tuple[str | None, str | None, bool]]) -> list[Assignment]:
    return [
        Assignment(info, *settings.get(key, (None, None, False)), enabled=True)
        for key, info in CATALOGUE.items()
    ]


def test_default_events_have_no_suppressed_updates() -> None:
    defaults = {
        key: (d.item_label, d.order_label, d.notify_cart) for key, d in DEFAULT_EVENTS.items()
    }
    assert suppressed_updates(_assignments(defaults)) == []


def test_same_order_label_twice_warns_about_the_notifying_event() -> None:
    warnings = suppressed_updates(
        _assignments(
            {
                Event.TRACKING_NUMBER_ENTERED: (None, "Shipped", False),
                Event.ORDER_SHIPPED: (None, "Shipped", True),
            }
        )
    )
    assert [(w.event, w.other) for w in warnings] == [("Order Shipped", "Tracking Number Entered")]
    assert "already sets the order status 'Shipped'" in warnings[0].message


def test_an_event_that_also_changes_another_label_is_not_suppressed() -> None:
    warnings = suppressed_updates(
        _assignments(
            {
                Event.ITEM_CANCEL: ("Cancelled", None, False),
                Event.ORDER_CANCEL: ("Cancelled", "Order Cancelled", True),
            }
        )
    )
    assert warnings == []


def test_disabled_events_do_not_count() -> None:
    settings = {
        Event.TRACKING_NUMBER_ENTERED: (None, "Shipped", True),
        Event.ORDER_SHIPPED: (None, "Shipped", True),
    }
    assignments = [
        Assignment(a.event, a.item_label, a.order_label, a.notify_cart, enabled=False)
        if a.event.key == Event.ORDER_SHIPPED
        else a
        for a in _assignments(settings)
    ]
    assert suppressed_updates(assignments) == []
