"""``ordermanager stack list|status|retry|hold|discard`` as scripts and operators use them."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from ordermanager.cli import main
from ordermanager.db.engine import Database
from ordermanager.db.location import DatabaseLocation
from ordermanager.db.migrate import open_database
from ordermanager.eventlog import recent_events
from ordermanager.stack import queue
from tests.integration.test_stack_queue import LEASE, enqueue, make_orders, stack_rows


@pytest.fixture
def store(sqlite_location: DatabaseLocation) -> Iterator[tuple[str, Database]]:
    """A store with three records: one held, two waiting (one behind the held one)."""
    database = open_database(sqlite_location)
    a, b = make_orders(database, 2)
    enqueue(database, a, count=2)
    enqueue(database, b)
    (first,) = queue.claim(database, "ctl", lease=LEASE)
    assert queue.hold(database, first.id, first.claim_token, error="HTTP 404: no such order")
    yield sqlite_location.url.render_as_string(hide_password=False), database
    database.dispose()


def run(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> tuple[int, str, str]:
    code = main(["--database-url", url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json_has_every_record_and_field(
    capsys: pytest.CaptureFixture[str], store: tuple[str, Database]
) -> None:
    url, _ = store
    code, out, _ = run(capsys, url, "stack", "list", "--json")
    assert code == 0
    docs = json.loads(out)["records"]
    assert [(d["id"], d["state"]) for d in docs] == [(1, "held"), (2, "queued"), (3, "queued")]
    first = docs[0]
    assert first["order_number"] == "1000" and first["cart"] == "Main Store"
    assert first["label"] == "Shipped" and first["attempts"] == 1
    assert first["last_error"] == "HTTP 404: no such order"
    assert len(first["idempotency_key"]) == 32 and first["next_attempt_at"]


def test_list_as_a_table(capsys: pytest.CaptureFixture[str], store: tuple[str, Database]) -> None:
    url, database = store
    code, out, err = run(capsys, url, "stack", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["ID", "State", "Order"] and len(lines) == 4
    assert "held" in lines[1] and "HTTP 404: no such order" in lines[1]
    assert stack_rows(database)[1].idempotency_key in lines[1]
    assert err == "3 records on the stack, 1 on hold.\n"


def test_status_json(capsys: pytest.CaptureFixture[str], store: tuple[str, Database]) -> None:
    url, _ = store
    code, out, _ = run(capsys, url, "stack", "status", "--json")
    doc = json.loads(out)
    assert code == 0
    assert (doc["queued"], doc["in_flight"], doc["held"], doc["total"]) == (2, 0, 1, 3)
    assert doc["mode"] == "local" and doc["controllers"] == [] and doc["shared_lease"] is None
    assert doc["oldest_queued_at"] and "sends_per_minute" in doc
    code, out, _ = run(capsys, url, "stack", "status")
    assert code == 0 and "On hold        1" in out and "Controllers    none" in out


def test_retry_and_hold_act_and_log(
    capsys: pytest.CaptureFixture[str], store: tuple[str, Database]
) -> None:
    url, database = store
    code, _, err = run(capsys, url, "stack", "retry", "1", "--by", "alice")
    assert code == 0 and "Record 1 will be sent again" in err
    assert stack_rows(database)[1].state == "queued"
    code, _, err = run(capsys, url, "stack", "hold", "3", "--by", "bob")
    assert code == 0 and "Record 3 is on hold" in err
    assert stack_rows(database)[3].state == "held"
    with database.session() as session:
        entries = recent_events(session, source="operator")
    assert [(e.actor, e.record_id) for e in entries] == [("bob", 3), ("alice", 1)]


def test_discard_with_yes(capsys: pytest.CaptureFixture[str], store: tuple[str, Database]) -> None:
    url, database = store
    code, _, err = run(capsys, url, "stack", "discard", "1", "--yes", "--by", "carol")
    assert code == 0 and "Discarded record 1" in err
    assert set(stack_rows(database)) == {2, 3}
    with database.session() as session:
        (entry,) = recent_events(session)
    assert entry.actor == "carol" and "Discarded" in entry.message


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "discarded"), [("y\n", True), ("\n", False), ("no\n", False)])
def test_discard_asks_on_a_terminal(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    store: tuple[str, Database],
    answer: str,
    discarded: bool,
) -> None:
    url, database = store
    monkeypatch.setattr("sys.stdin", _Terminal(answer))
    code, out, err = run(capsys, url, "stack", "discard", "2")
    assert "Discard record 2?" in out
    assert (1 not in stack_rows(database)) is False
    assert (2 not in stack_rows(database)) is discarded
    assert code == (0 if discarded else 1)
    if not discarded:
        assert err == "Nothing was discarded.\n"


def test_discard_without_a_terminal_needs_yes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, store: tuple[str, Database]
) -> None:
    url, database = store
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    code, out, err = run(capsys, url, "stack", "discard", "2")
    assert code == 1 and out == ""
    assert err.startswith("ordermanager: error: ") and "--yes" in err and err.count("\n") == 1
    assert 2 in stack_rows(database)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["stack", "retry", "999"], "There is no status update 999 on the stack"),
        (["stack", "hold", "999"], "There is no status update 999 on the stack"),
        (["stack", "discard", "999", "--yes"], "There is no status update 999 on the stack"),
        (["stack", "retry", "abc"], "A record id is a whole number like 42, not 'abc'"),
        (["stack", "hold", "-3"], "not '-3'"),
    ],
)
def test_bad_ids_are_one_line_on_stderr(
    capsys: pytest.CaptureFixture[str],
    store: tuple[str, Database],
    argv: list[str],
    message: str,
) -> None:
    url, database = store
    code, out, err = run(capsys, url, *argv)
    assert code == 1 and out == ""
    assert err.startswith("ordermanager: error: ") and message in err and err.count("\n") == 1
    assert set(stack_rows(database)) == {1, 2, 3}
