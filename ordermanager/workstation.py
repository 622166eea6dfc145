"""This workstation's own settings (which database to open), kept apart from store-wide settings.

Store-wide settings live in the database so every workstation shares them; the database URL cannot,
because it is how we find the database. It lives in a small JSON file in the user config folder.
A password is never written here: it goes to the keyring (ordermanager.db.location).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import platformdirs

APP_NAME = "OrderManager"
APP_AUTHOR = "OrderManager"


def config_dir() -> Path:
    override = os.environ.get("ORDERMANAGER_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))


def data_dir() -> Path:
    override = os.environ.get("ORDERMANAGER_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


@dataclass
class WorkstationConfig:
    database_url: str = ""

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
        return cls(database_url=str(raw.get("database_url", "")))

    def save(self) -> None:
        path = self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        tmp.replace(path)
