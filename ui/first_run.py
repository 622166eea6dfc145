"""The first-run offer: with nothing configured, open a ready-made demo store or start empty.

The demo store is a file of its own (never the real store), so trying Order Manager out leaves
nothing behind in the store the operator will later use for real.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

TITLE = "Welcome to Order Manager"
DEMO_BUTTON = "Open demo store"
EMPTY_BUTTON = "Start an empty store"


class FirstRunChoice(Enum):
    DEMO = "demo"
    EMPTY = "empty"
    QUIT = "quit"


def first_run_dialog(parent: QWidget | None = None) -> QMessageBox:
    box = QMessageBox(parent)
    box.setObjectName("firstRunDialog")
    box.setWindowTitle(TITLE)
    icon = QGuiApplication.windowIcon()
    if icon.isNull():
        box.setIcon(QMessageBox.Icon.Question)
    else:
        box.setIconPixmap(icon.pixmap(64, 64))
    box.setText("<h3>Welcome to Order Manager</h3>")
    box.setInformativeText(
        "<p>No store is set up on this computer yet.</p>"
        "<p><b>Open demo store</b> to look around in a sample store with about 5,000 orders "
        "from several web stores. It is kept in a file of its own, so nothing you do there "
        "touches your real store.</p>"
        "<p><b>Start an empty store</b> to set up your own carts and import your orders.</p>"
    )
    # QMessageBox sizes itself to its buttons; give the explanation room to breathe.
    box.setStyleSheet("QLabel#qt_msgbox_informativelabel { min-width: 430px; }")
    demo = box.addButton(DEMO_BUTTON, QMessageBox.ButtonRole.AcceptRole)
    demo.setObjectName("demoButton")
    empty = box.addButton(EMPTY_BUTTON, QMessageBox.ButtonRole.ActionRole)
    empty.setObjectName("emptyButton")
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(demo)
    box.setEscapeButton(QMessageBox.StandardButton.Cancel)
    return box


def choice_of(box: QMessageBox) -> FirstRunChoice:
    clicked = box.clickedButton()
    if clicked is not None and clicked.objectName() == "demoButton":
        return FirstRunChoice.DEMO
    if clicked is not None and clicked.objectName() == "emptyButton":
        return FirstRunChoice.EMPTY
    return FirstRunChoice.QUIT


def ask_first_run_choice(parent: QWidget | None = None) -> FirstRunChoice:
    box = first_run_dialog(parent)
    box.exec()
    choice = choice_of(box)
    box.deleteLater()
    return choice
