"""Tracking numbers from a CSV file: good rows import, each bad row is reported by line number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from ordermanager.cli import main
from ordermanager.db.engine import Database
from ordermanager.db.location import DatabaseLocation
from ordermanager.db.models import LabelChange, Shipment, StatusUpdate, TrackingNumber
from ordermanager.errors import InvalidInputError
from ordermanager.orders.tracking_import import import_tracking, read_tracking_csv
from ordermanager.settings import set_setting
from ordermanager.status.defaults import load_defaults
from tests import factories
from tests.factories import Spec

MESSY = (
    "\ufeffOrder Number,Tracking Number,Carrier\n"  # line 1, with a byte order mark
    "1001,1Z001,UPS\n"  # 2 good
    "1001,1Z002,UPS\n"  # 3 good: same order and carrier, same shipment
    "1002,,UPS\n"  # 4 no tracking number
    "9999,1Z003,UPS\n"  # 5 unknown order
    "1002,1Z001,UPS\n"  # 6 duplicate of line 2
    "1002,1Z004,UPS,extra\n"  # 7 too many values
    "\n"  # 8 blank: skipped
    "1003,OLD-1,FedEx\n"  # 9 already on order 1003
    '"1002","9400 1000",USPS\n'  # 10 good, quoted
)


@pytest.fixture
def store(any_db: Database) -> Database:
    with any_db.transaction() as session:
        load_defaults(session)
        set_setting(session, "UseStatusUpdates", True)
        factories.order(session, Spec(number="1001"))
        factories.order(session, Spec(number="1002"))
        factories.order(session, Spec(number="1003", tracking=["OLD-1"]))
    return any_db


def test_import__good_rows_in_bad_rows_by_line(store: Database, tmp_path: Path) -> None:
    path = tmp_path / "tracking.csv"
    path.write_text(MESSY, encoding="utf-8")
    result = import_tracking(store, path, changed_by="dana")
    assert [r.line for r in result.imported] == [2, 3, 10]
    assert [e.line for e in result.errors] == [4, 5, 6, 7, 9]
    messages = {e.line: e.message for e in result.errors}
    assert "no tracking number" in messages[4]
    assert "No order has the number 9999" in messages[5]
    assert "already on line 2" in messages[6]
    assert "already on order 1003" in messages[9]
    with store.session() as session:
        numbers = session.execute(
            select(TrackingNumber.number, Shipment.carrier)
            .join(Shipment)
            .order_by(TrackingNumber.id)
        ).all()
        assert [tuple(n) for n in numbers][1:] == [
            ("1Z001", "UPS"),
            ("1Z002", "UPS"),
            ("9400 1000", "USPS"),
        ]
        events = session.execute(
            select(LabelChange.event).where(LabelChange.event == "Tracking Number Imported")
        ).all()
        assert len(events) == 2  # one per order, not one per row
        assert len(session.execute(select(StatusUpdate)).all()) == 2


def test_read__semicolons_and_missing_header() -> None:
    rows, errors = read_tracking_csv("Order;Tracking\n1001;1Z9\n")
    assert [(r.order, r.tracking, r.carrier) for r in rows] == [("1001", "1Z9", "")] and not errors
    with pytest.raises(InvalidInputError, match="Line 1 must name the columns"):
        read_tracking_csv("1001,1Z9\n")


def test_cli_import_tracking(
    capsys: pytest.CaptureFixture[str], sqlite_location: DatabaseLocation, tmp_path: Path
) -> None:
    from ordermanager.db.migrate import open_database

    database = open_database(sqlite_location)
    with database.transaction() as session:
        factories.order(session, Spec(number="1001"))
        factories.order(session, Spec(number="1002"))
        factories.order(session, Spec(number="1003", tracking=["OLD-1"]))
    database.dispose()
    url = sqlite_location.url.render_as_string(hide_password=False)
    path = tmp_path / "t.csv"
    path.write_text(MESSY, encoding="utf-8")

    code = main(["--database-url", url, "orders", "import-tracking", str(path), "--dry-run"])
    out, err = capsys.readouterr()
    assert code == 1 and "would import 3 tracking numbers, 5 rows with errors" in err
    code = main(["--database-url", url, "orders", "import-tracking", str(path), "--json"])
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert [r["line"] for r in document["imported"]] == [2, 3, 10]
    assert [e["line"] for e in document["errors"]] == [4, 5, 6, 7, 9]
    assert "t.csv: line 5: No order has the number 9999" in err
