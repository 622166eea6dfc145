"""Redraw the Sync Status screenshot: `python docs/screenshots/make_sync_screenshots.py`.

Builds a scratch store with three carts and two fake WooCommerce stores on 127.0.0.1 (the test
suite's, tests/cart_support/fake_woocommerce.py): Juniper & Co syncs first in Wait-For-Invoice
mode, so some of its orders are skipped with reasons; Wholesale Portal, a generic cart, last
synced three hours ago and cannot be reached now, so it is stale; then Sync Now starts the first
download of Harbor Outfitters (12,403 orders), which is held before its ninth page while
sync-status.png is saved, so the progress bar and its words are visible.
"""

from __future__ import annotations

import socket
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # this checkout's packages, not an installed copy
sys.path.insert(0, str(HERE))

HARBOR_ORDERS = 12_403
HOLD_BEFORE_PAGE = 9


def main() -> int:
    from make_screenshots import scratch_workstation, wait_until

    scratch = scratch_workstation()

    import httpx
    from PySide6.QtWidgets import QApplication

    from ordermanager.carts.generic import GenericConnector
    from ordermanager.carts.protocol import CartConfig, Connector, OrderPage
    from ordermanager.carts.woocommerce import WooCommerceConnector
    from ordermanager.db import location
    from ordermanager.db.migrate import open_database
    from ordermanager.db.models import Cart, SyncRun
    from tests.cart_support.fake_woocommerce import FakeWooCommerce, make_order
    from ui.app import application
    from ui.sync.monitor import SyncStatusMonitor
    from ui.sync.runner import SyncRunner
    from ui.sync.status_window import SyncStatusWindow
    from ui.tasks import TaskManager

    database = open_database(location.parse_url(str(scratch / "sync.sqlite3")))
    now = datetime.now(UTC)
    t0 = now - timedelta(days=40)
    harbor_store, juniper_store = FakeWooCommerce(), FakeWooCommerce()
    harbor_store.add(
        *(
            make_order(n, modified=t0 + timedelta(minutes=4 * n), number=f"HO-{10_000 + n}")
            for n in range(1, HARBOR_ORDERS + 1)
        )
    )
    juniper = [
        make_order(
            500 + n,
            modified=now - timedelta(hours=5, minutes=3 * n),
            paid=n % 7 != 0,
            status="processing" if n % 7 else "pending",
            first_name="Élodie",
            last_name="Dubois",
        )
        for n in range(1, 61)
    ]
    juniper[4]["total"] = "see invoice"  # a cart bug: logged and skipped, the rest import
    juniper_store.add(*juniper)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        unreachable = f"http://127.0.0.1:{probe.getsockname()[1]}/ordermanager.php"

    with database.transaction() as session:
        three_hours_ago = now - timedelta(hours=3)
        for name, kind, url, mode, added in (
            # Added a moment ago: its first download is the one in the picture.
            ("Harbor Outfitters", "woocommerce", harbor_store.base_url, "auto-invoice", now),
            ("Juniper & Co", "woocommerce", juniper_store.base_url, "wait-for-invoice", t0),
            ("Wholesale Portal", "generic", unreachable, "auto-invoice", t0),
        ):
            cart = Cart(
                name=name,
                kind=kind,
                base_url=url,
                download_mode=mode,
                sync_interval_minutes=15,
                created_at=added,
            )
            session.add(cart)
            session.flush()
            if name == "Wholesale Portal":  # its last good cycle, three hours ago
                cart.last_sync_at = three_hours_ago
                session.add(
                    SyncRun(
                        cart_id=cart.id,
                        started_at=three_hours_ago - timedelta(seconds=4),
                        finished_at=three_hours_ago,
                        downloaded=17,
                        created=12,
                        updated=5,
                        skipped=0,
                        error="",
                    )
                )
    held = threading.Event()
    release = threading.Event()
    timeout = httpx.Timeout(connect=2.0, read=10.0, write=2.0, pool=2.0)

    class HeldConnector(WooCommerceConnector):
        pages = 0

        def list_orders(self, since: datetime, page: str | None) -> OrderPage:
            HeldConnector.pages += 1
            if HeldConnector.pages == HOLD_BEFORE_PAGE:
                held.set()
                release.wait(60)
            return super().list_orders(since, page)

    def opener(config: CartConfig) -> Connector:
        if config.kind == "generic":
            return GenericConnector(config, {"status_secret": "x" * 32}, timeout=timeout)
        fake = harbor_store if config.name == "Harbor Outfitters" else juniper_store
        keys = {"consumer_key": fake.consumer_key, "consumer_secret": fake.consumer_secret}
        cls = HeldConnector if fake is harbor_store else WooCommerceConnector
        return cls(config, keys, timeout=timeout)

    app = application()
    QApplication.setStyle("Fusion")
    tasks = TaskManager()
    runner = SyncRunner(database, opener=opener)
    monitor = SyncStatusMonitor(database, tasks)
    window = SyncStatusWindow(runner, monitor)
    with harbor_store, juniper_store:
        window.resize(1500, 360)
        window.show()
        wait_until(lambda: window.model.rowCount() == 3)
        finished: list[str] = []
        runner.sync_did_finish.connect(lambda outcome: finished.append(outcome.text()))
        by_name = {s.name: s.cart_id for s in window.model.statuses()}
        runner.sync(by_name["Juniper & Co"], "Juniper & Co")
        runner.sync(by_name["Wholesale Portal"], "Wholesale Portal")
        wait_until(lambda: len(finished) == 2, 60_000)
        print("\n".join(finished))

        window.table.selectRow(0)  # Harbor Outfitters: its first download
        window.sync_selected()
        wait_until(held.is_set, 120_000)
        wait_until(lambda: "Downloading order" in window.progress_text.text())
        wait_until(lambda: "Syncing now" in window.model.text(0, 6))
        app.processEvents()
        window.grab().save(str(HERE / "sync-status.png"))
        print(f"during the sync: {window.progress_text.text()}")
        runner.cancel()
        release.set()
        wait_until(lambda: not runner.is_busy, 60_000)
        runner.stop()
    window.close()
    tasks.shutdown()
    database.dispose()
    print(f"saved sync-status.png in {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
