"""Remembering a database for this workstation: the URL in the settings file, the password only in
the real system keyring (DESIGN.md section 3: secrets live in the keyring)."""

from __future__ import annotations

import json

import keyring
import pytest

from ordermanager.cli import main
from ordermanager.db import location
from ordermanager.db.location import DatabaseLocation
from ordermanager.workstation import WorkstationConfig

PASSWORD = "pw-Ünïcode-'quoted'-42"


def _with_password(pg_location: DatabaseLocation) -> str:
    # The test server trusts loopback connections, so any password connects; what matters here
    # is where the password ends up.
    return pg_location.url.set(password=PASSWORD).render_as_string(hide_password=False)


def test_password_goes_to_the_keyring_not_the_settings_file(
    real_keyring: keyring.backend.KeyringBackend,
    pg_location: DatabaseLocation,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["db", "use", _with_password(pg_location)]) == 0
    _, err = capsys.readouterr()
    assert PASSWORD not in err and "***" in err

    settings_text = WorkstationConfig.path().read_text(encoding="utf-8")
    assert PASSWORD not in settings_text
    saved_url = json.loads(settings_text)["database_url"]
    assert pg_location.url.database in saved_url

    user = f"postgres@127.0.0.1:5432/{pg_location.url.database}"
    assert keyring.get_password(location.KEYRING_SERVICE, user) == PASSWORD

    resolved = location.resolve()
    assert resolved.source == "saved setting"
    assert resolved.url.password == PASSWORD
    assert PASSWORD not in resolved.display()


def test_without_a_keyring_the_password_is_refused_and_nothing_saved(
    pg_location: DatabaseLocation, capsys: pytest.CaptureFixture[str]
) -> None:
    # The autouse fixture gives every test a keyring that always fails.
    assert main(["db", "use", _with_password(pg_location)]) == 1
    _, err = capsys.readouterr()
    assert "could not be stored in the system keyring" in err
    assert PASSWORD not in err
    assert not WorkstationConfig.path().exists()
