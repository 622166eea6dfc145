"""Window state remembered between runs: geometry, splitter, column widths and sort.

Kept in ``ui-state.ini`` in the workstation's config folder, apart from real settings (which
live in the database or workstation.json). Only layout goes here: never a URL, never a secret.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

from ordermanager.workstation import config_dir

FILENAME = "ui-state.ini"
# Bump when a saved layout would no longer fit the widgets (say, columns were added).
LAYOUT_VERSION = 1


class UiState:
    def __init__(self) -> None:
        path = config_dir() / FILENAME
        path.parent.mkdir(parents=True, exist_ok=True)
        self._settings = QSettings(str(path), QSettings.Format.IniFormat)
        if self._settings.value("layout_version", 0, type=int) != LAYOUT_VERSION:
            self._settings.clear()
            self._settings.setValue("layout_version", LAYOUT_VERSION)

    @property
    def path(self) -> str:
        return self._settings.fileName()

    def load(self, key: str) -> QByteArray:
        value = self._settings.value(key)
        return value if isinstance(value, QByteArray) else QByteArray()

    def save(self, key: str, value: QByteArray) -> None:
        self._settings.setValue(key, value)

    def sync(self) -> None:
        self._settings.sync()
