"""A text field that checks itself: the line edit, a red message under it, and a verdict.

The check is the core's own (ordermanager.settings.check_*), so the wizard, the Settings dialog
and ``settings set`` refuse exactly the same values with the same words. A required field left
empty keeps Next/OK disabled at once, but its message waits until the operator has been in the
field, so a fresh form is not a wall of red.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from ordermanager.errors import InvalidInputError

ERROR_COLOR = "#c42b1c"
ERROR_STYLE = f"color: {ERROR_COLOR};"
FIELD_ERROR_STYLE = (
    f"QLineEdit {{ border: 1px solid {ERROR_COLOR}; border-radius: 3px; padding: 2px; }}"
)

Check = Callable[[str], str]


def _no_check(text: str) -> str:
    return text.strip()


def hint_label(text: str, parent: QWidget) -> QLabel:
    """A short grey explanation under a field or option."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setStyleSheet("color: #5f6368;")
    return label


class CheckedField(QWidget):
    """A QLineEdit with its check and its message. ``changed`` fires on every edit."""

    changed = Signal()

    def __init__(
        self,
        name: str,
        check: Check | None = None,
        *,
        required: str = "",
        placeholder: str = "",
        password: bool = False,
        max_length: int = 0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}Field")
        self._check = check or _no_check
        self._required = required  # the message for an empty field; "" when optional
        self._touched = False
        self._showing_stored = False

        self.edit = QLineEdit(self)
        self.edit.setObjectName(name)
        self._example = placeholder
        if password:
            self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        if max_length:
            # Room past the limit so the check can say "at most N" instead of text vanishing.
            self.edit.setMaxLength(max_length + 50)
        self.error_label = QLabel(self)
        self.error_label.setObjectName(f"{name}Error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.error_label)

        self.edit.textChanged.connect(self._text_changed)
        self.edit.installEventFilter(self)
        self._show_placeholder()

    def _show_placeholder(self) -> None:
        # "Required" in the empty field explains a disabled Next before any red is shown.
        if self._required:
            text = f"Required, e.g. {self._example}" if self._example else "Required"
        else:
            text = f"e.g. {self._example}" if self._example else ""
        self.edit.setPlaceholderText(text)

    # -- the verdict -------------------------------------------------------------------------

    def problem(self) -> str:
        """What is wrong with the text, or "" when it can be saved. Disabled fields are fine."""
        if not self.isEnabled():
            return ""
        text = self.edit.text()
        if not text.strip():
            return self._required
        try:
            self._check(text)
        except InvalidInputError as exc:
            return str(exc)
        return ""

    def is_valid(self) -> bool:
        return not self.problem()

    def value(self) -> str:
        """The cleaned text (as the check returns it); the raw text when it does not pass."""
        try:
            return self._check(self.edit.text()) if self.edit.text().strip() else ""
        except InvalidInputError:
            return self.edit.text().strip()

    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str) -> None:
        """Show a stored value; not an edit, so no message until the operator changes it."""
        self._touched = False
        self._showing_stored = True
        try:
            self.edit.setText(text)
        finally:
            self._showing_stored = False
        self.refresh()

    def set_required(self, message: str) -> None:
        self._required = message
        self._show_placeholder()
        self.refresh()

    def show_problem(self) -> None:
        """Show the message now (before Finish/OK), even if the field was never visited."""
        self._touched = True
        self.refresh()

    # -- showing it --------------------------------------------------------------------------

    def refresh(self) -> None:
        message = self.problem()
        if message and not self.edit.text().strip() and not self._touched:
            message = ""  # an untouched empty field: Next stays disabled, but no red yet
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))
        self.edit.setStyleSheet(FIELD_ERROR_STYLE if message else "")

    def _text_changed(self, _text: str) -> None:
        if not self._showing_stored:
            self._touched = True
        self.refresh()
        self.changed.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.FocusOut and not self._touched:
            self._touched = True
            self.refresh()
        return super().eventFilter(watched, event)

    def changeEvent(self, event: QEvent) -> None:
        # Enabling or disabling changes the verdict (a disabled field is never a problem).
        super().changeEvent(event)
        if event.type() == QEvent.Type.EnabledChange:
            self.refresh()
            self.changed.emit()
