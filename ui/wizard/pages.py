"""The wizard pages that show one field group each: store details, the Order Status System
account, the stack controller mode. The groups themselves live in ui.wizard.field_groups, shared
with the Settings dialog.

Nothing is written when the operator presses Next: the wizard saves everything on Finish, so
Cancel leaves the store as it was.
"""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget, QWizardPage

from ui.wizard.field_groups import OrderStatusGroup, StackModeGroup, StoreDetailsGroup


class SetupPage(QWizardPage):
    """A page that stays incomplete (Next disabled) until the store's settings are in."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loaded = False

    def set_loaded(self) -> None:
        self._loaded = True
        self.completeChanged.emit()

    @property
    def loaded(self) -> bool:
        return self._loaded


class StoreDetailsPage(SetupPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("storeDetailsPage")
        self.setTitle("Store details")
        self.setSubTitle("Tell Order Manager which store this is and how to reach you.")
        self.group = StoreDetailsGroup(self)
        self.group.changed.connect(self.completeChanged)
        layout = QVBoxLayout(self)
        layout.addWidget(self.group)
        layout.addStretch(1)

    def isComplete(self) -> bool:
        return self.loaded and self.group.is_valid()

    def validatePage(self) -> bool:
        self.group.show_problems()
        return self.isComplete()


class OrderStatusAccountPage(SetupPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("orderStatusAccountPage")
        self.setTitle("Order Status System (1 of 2)")
        self.setSubTitle(
            "Whether status events are used, and where status updates go for carts that "
            "cannot take them."
        )
        self.group = OrderStatusGroup(self)
        self.group.changed.connect(self.completeChanged)
        layout = QVBoxLayout(self)
        layout.addWidget(self.group)
        layout.addStretch(1)

    def isComplete(self) -> bool:
        return self.loaded and self.group.is_valid()

    def validatePage(self) -> bool:
        self.group.show_problems()
        return self.isComplete()


class StackControllerPage(SetupPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stackControllerPage")
        self.setTitle("Stack controller")
        self.setSubTitle(
            "Status updates wait on the stack until they are sent to the carts. Choose who "
            "sends them."
        )
        self.group = StackModeGroup(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.group)
        layout.addStretch(1)

    def isComplete(self) -> bool:
        return self.loaded
