"""Redraw the stack screenshots: `python docs/screenshots/make_stack_screenshots.py`.

Builds a small demo store in a scratch folder, starts the window's own stack controller (Local
mode), and walks the loop a new user sees: ship orders, the updates wait on the stack, the demo
carts take them. Then it adds a generic cart whose shared secret was never stored, so its updates
go on hold, pauses the controller with a few updates queued, and saves stack-status.png (the
Ctrl+Shift+S window), main-window-stack.png (the status bar's warning) and
shopping-cart-matrix.png (Help ▸ Shopping Cart Matrix).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # this checkout's packages, not an installed copy
sys.path.insert(0, str(HERE))


def main() -> int:
    from make_screenshots import scratch_workstation, wait_until

    scratch = scratch_workstation()

    from datetime import UTC, datetime

    from PySide6.QtWidgets import QApplication
    from sqlalchemy import func, select

    from ordermanager.db import location
    from ordermanager.db.migrate import open_database
    from ordermanager.db.models import Cart, Order, StatusUpdate
    from ordermanager.demo import generate_demo_store
    from ordermanager.orders import actions
    from ui.app import application
    from ui.main_window import MainWindow
    from ui.tasks import TaskManager

    store = scratch / "demo.sqlite3"
    database = open_database(location.parse_url(str(store)))
    generate_demo_store(database, 400, seed=11)

    def on_stack() -> int:
        with database.session() as session:
            return session.execute(select(func.count()).select_from(StatusUpdate)).scalar_one()

    def ship_unshipped(count: int, cart_name: str | None = None) -> list[str]:
        with database.transaction() as session:
            query = select(Order).where(Order.shipping_state == "unshipped")
            if cart_name is not None:
                query = query.join(Cart).where(Cart.name == cart_name)
            orders = session.execute(query.order_by(Order.id.desc()).limit(count)).scalars().all()
            for order in orders:
                actions.ship(
                    session,
                    order.id,
                    tracking=[f"1Z999AA1{order.id:010d}"],
                    carrier="UPS",
                    changed_by="Dana Whitfield",
                )
            return [order.number for order in orders]

    app = application()
    QApplication.setStyle("Fusion")
    tasks = TaskManager()
    window = MainWindow(database, tasks, store_title="Demo store")
    window.resize(1400, 850)
    window.show()
    wait_until(lambda: window.model.is_row_loaded(0))
    window.start_stack_controller()
    wait_until(lambda: window.stack_runner.state.state == "running")

    # The loop: five orders shipped, five updates on the stack, delivered by the demo carts.
    shipped = ship_unshipped(5)
    print(f"shipped {', '.join(shipped)}; {on_stack()} updates on the stack")
    wait_until(lambda: on_stack() == 0, 60_000)
    print("the demo carts took every update")

    # A generic cart whose secret was never stored: its updates go on hold, saying why.
    with database.transaction() as session:
        cart = Cart(
            name="Wholesale Portal",
            kind="generic",
            demo=False,
            base_url="https://wholesale.example.com/ordermanager.php",
            created_at=datetime.now(UTC),
        )
        session.add(cart)
        session.flush()
        moved = (
            session.execute(
                select(Order).where(Order.shipping_state == "unshipped").order_by(Order.id).limit(3)
            )
            .scalars()
            .all()
        )
        for order in moved:
            order.cart_id = cart.id
    ship_unshipped(3, "Wholesale Portal")
    wait_until(lambda: _held(database) > 0 and _held(database) == on_stack())

    window.stack_runner.pause()
    ship_unshipped(4)
    window.show_stack_status()
    status = window._stack_window
    assert status is not None
    status.resize(1180, 620)
    waiting = on_stack()
    wait_until(lambda: status.model.rowCount() == waiting)
    print(f"{waiting} updates on the stack, {_held(database)} of them on hold")
    status.table.selectRow(0)
    app.processEvents()
    status.grab().save(str(HERE / "stack-status.png"))
    status.close()
    window.refresh()  # the orders were shipped behind the window's back
    wait_until(lambda: window.model.is_row_loaded(0) and not window._busy.isVisible())
    wait_until(lambda: f"{waiting - _held(database)} updates queued" in window.stack_status.text())
    app.processEvents()
    window.grab().save(str(HERE / "main-window-stack.png"))

    from ui.carts.matrix_dialog import ShoppingCartMatrixDialog

    matrix = ShoppingCartMatrixDialog(window)
    matrix.show()
    app.processEvents()
    matrix.grab().save(str(HERE / "shopping-cart-matrix.png"))
    matrix.close()

    window.close()
    tasks.shutdown()
    database.dispose()
    print(f"saved the stack screenshots in {HERE}")
    return 0


def _held(database: object) -> int:
    from sqlalchemy import func, select

    from ordermanager.db.models import StatusUpdate

    with database.session() as session:  # type: ignore[attr-defined]
        query = select(func.count()).select_from(StatusUpdate).where(StatusUpdate.state == "held")
        return int(session.execute(query).scalar_one())


if __name__ == "__main__":
    sys.exit(main())
