"""This workstation's own settings (which database to open), kept apart from store-wide settings.

Store-wide settings live in the database so every workstation shares them; the database URL cannot,
because it is how we find the database. It lives in a small JSON file in the user config folder.
A password is never written here: it goes to the keyring (ordermanager.db.location).
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import platformdirs

APP_NAME = "OrderManager"
APP_AUTHOR = "OrderManager"
WORKSTATION_ID_ENV = "ORDERMANAGER_WORKSTATION_ID"


def config_dir() -> Path:
    override = os.environ.get("ORDERMANAGER_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))


def data_dir() -> Path:
    override = os.environ.get("ORDERMANAGER_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


@dataclass
class WorkstationConfig:
    database_url: str = ""
    # Created once by workstation_id(); names this workstation's stack records (Local mode).
    workstation_id: str = ""

    @classmethod
    def path(cls) -> Path:
        return config_dir() / "workstation.json"

    @classmethod
    def load(cls) -> WorkstationConfig:
        try:
            raw = json.loads(cls.path().read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            # A missing or damaged file means "nothing configured": the embedded default applies.
            return cls()
        if not isinstance(raw, dict):
            return cls()
        return cls(
            database_url=str(raw.get("database_url", "")),
            workstation_id=str(raw.get("workstation_id", "")),
        )

    def save(self) -> None:
        path = self.path()
        if not self.workstation_id:
            # Callers that only change the database URL must not forget who we are: a new id
            # would orphan the records this workstation queued in Local mode.
            self.workstation_id = WorkstationConfig.load().workstation_id
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        tmp.replace(path)


# Keyed by the config-folder override (None: the platform's folder), which is what decides the
# file; cheaper to look up than building the path, and bulk actions ask once per queued record.
_ids: dict[str | None, str] = {}
_ids_lock = threading.Lock()


def workstation_id() -> str:
    """This workstation's stable id (uuid hex), created on first use and kept in workstation.json.

    ``ORDERMANAGER_WORKSTATION_ID`` overrides it (tests, the crash harness). Cached per config
    file: bulk actions ask once per queued record.
    """
    override = os.environ.get(WORKSTATION_ID_ENV, "").strip()
    if override:
        return override
    key = os.environ.get("ORDERMANAGER_CONFIG_DIR")
    with _ids_lock:
        known = _ids.get(key)
        if known is None:
            config = WorkstationConfig.load()
            if not config.workstation_id:
                config.workstation_id = uuid.uuid4().hex
                config.save()
            known = _ids[key] = config.workstation_id
        return known
