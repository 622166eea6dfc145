"""The label list: add, rename and delete status labels.

History rows, orders, items and event assignments refer to labels by id, so a rename reads
everywhere at once, and a label still referred to cannot be deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ordermanager.db.models import (
    LABEL_MAX_LENGTH,
    LabelChange,
    LineItem,
    Order,
    StatusEvent,
    StatusLabel,
)
from ordermanager.errors import InvalidInputError, NotFoundError


@dataclass(frozen=True)
class LabelInfo:
    id: int
    name: str
    position: int

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "position": self.position}


def clean_label_name(name: str) -> str:
    """The name as stored: trimmed, non-empty, at most 50 characters."""
    cleaned = name.strip()
    if not cleaned:
        raise InvalidInputError("A status label needs a name.")
    if len(cleaned) > LABEL_MAX_LENGTH:
        raise InvalidInputError(
            f"A status label has at most {LABEL_MAX_LENGTH} characters; "
            f"'{cleaned[:20]}…' has {len(cleaned)}."
        )
    return cleaned


def list_labels(session: Session) -> list[LabelInfo]:
    rows = session.execute(
        select(StatusLabel).order_by(StatusLabel.position, StatusLabel.name)
    ).scalars()
    return [LabelInfo(r.id, r.name, r.position) for r in rows]


def find_label(session: Session, name: str) -> StatusLabel | None:
    return session.execute(
        select(StatusLabel).where(StatusLabel.name == name.strip())
    ).scalar_one_or_none()


def label_by_name(session: Session, name: str) -> StatusLabel:
    found = find_label(session, name)
    if found is None:
        raise NotFoundError(
            f"There is no status label '{name.strip()}'. Add it first (ordermanager labels add)."
        )
    return found


def add_label(session: Session, name: str) -> LabelInfo:
    cleaned = clean_label_name(name)
    if find_label(session, cleaned) is not None:
        raise InvalidInputError(f"There is already a status label '{cleaned}'.")
    position = session.execute(select(func.coalesce(func.max(StatusLabel.position), 0))).scalar()
    label = StatusLabel(name=cleaned, position=int(position or 0) + 1, created_at=datetime.now(UTC))
    session.add(label)
    session.flush()
    return LabelInfo(label.id, label.name, label.position)


def ensure_label(session: Session, name: str) -> StatusLabel:
    """The label ``name``, added when missing (default sets use this)."""
    found = find_label(session, clean_label_name(name))
    if found is not None:
        return found
    info = add_label(session, name)
    return session.get_one(StatusLabel, info.id)


def rename_label(session: Session, old: str, new: str) -> LabelInfo:
    label = label_by_name(session, old)
    cleaned = clean_label_name(new)
    if cleaned != label.name:
        clash = find_label(session, cleaned)
        if clash is not None and clash.id != label.id:
            raise InvalidInputError(f"There is already a status label '{cleaned}'.")
        label.name = cleaned
        session.flush()
    return LabelInfo(label.id, label.name, label.position)


@dataclass(frozen=True)
class LabelUsage:
    orders: int
    items: int
    events: int
    history: int

    @property
    def in_use(self) -> bool:
        return any((self.orders, self.items, self.events, self.history))

    def describe(self) -> str:
        parts = [
            _count(self.orders, "order"),
            _count(self.items, "line item"),
            _count(self.events, "status event"),
            _count(self.history, "history row"),
        ]
        used = [text for text, n in zip(parts, self.astuple(), strict=True) if n]
        if len(used) > 1:
            return ", ".join(used[:-1]) + " and " + used[-1]
        return used[0] if used else "nothing"

    def astuple(self) -> tuple[int, int, int, int]:
        return self.orders, self.items, self.events, self.history


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def label_usage(session: Session, label_id: int) -> LabelUsage:
    def count(statement: object) -> int:
        return int(session.execute(statement).scalar() or 0)  # type: ignore[call-overload]

    return LabelUsage(
        orders=count(select(func.count()).where(Order.status_label_id == label_id)),
        items=count(select(func.count()).where(LineItem.status_label_id == label_id)),
        events=count(
            select(func.count()).where(
                or_(StatusEvent.item_label_id == label_id, StatusEvent.order_label_id == label_id)
            )
        ),
        history=count(
            select(func.count()).where(
                or_(LabelChange.from_label_id == label_id, LabelChange.to_label_id == label_id)
            )
        ),
    )


def delete_label(session: Session, name: str) -> None:
    """Delete an unused label; a label in use is refused with where it is used."""
    label = label_by_name(session, name)
    usage = label_usage(session, label.id)
    if usage.in_use:
        raise InvalidInputError(
            f"The status label '{label.name}' cannot be deleted: it is used by "
            f"{usage.describe()}. Rename it instead, or move those to another label first."
        )
    session.delete(label)
    session.flush()
