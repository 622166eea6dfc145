"""The task bridge: results come back on the GUI thread, and only to receivers still alive."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QThread
from pytestqt.qtbot import QtBot

from ui.tasks import ProgressRelay, TaskManager


class Receiver(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.results: list[object] = []
        self.threads: list[QThread] = []

    def take(self, result: object) -> None:
        self.results.append(result)
        self.threads.append(QThread.currentThread())


def test_run__delivers_the_result_on_the_gui_thread(qtbot: QtBot, tasks: TaskManager) -> None:
    receiver = Receiver()
    worker_threads: list[str] = []

    def work() -> int:
        worker_threads.append(threading.current_thread().name)
        return 42

    tasks.run(work, receiver.take)
    qtbot.waitUntil(lambda: receiver.results == [42])
    assert receiver.threads == [QThread.currentThread()]
    assert worker_threads[0].startswith("ordermanager-read")


def test_run__hands_an_exception_to_on_error(qtbot: QtBot, tasks: TaskManager) -> None:
    errors: list[BaseException] = []

    def fail() -> None:
        raise ValueError("the cart said no")

    tasks.run(fail, lambda _: None, errors.append)
    qtbot.waitUntil(lambda: len(errors) == 1)
    assert str(errors[0]) == "the cart said no"


def test_run__without_on_error_reports_task_did_fail(qtbot: QtBot, tasks: TaskManager) -> None:
    def fail() -> None:
        raise RuntimeError("disk full")

    with qtbot.waitSignal(tasks.task_did_fail) as signal:
        tasks.run(fail, lambda _: None)
    assert signal.args == ["disk full"]


def test_run__drops_the_result_when_the_receiver_was_deleted(
    qtbot: QtBot, tasks: TaskManager
) -> None:
    receiver = Receiver()
    take = receiver.take
    gate = threading.Event()
    tasks.run(lambda: gate.wait(5) and "late", take)
    receiver.deleteLater()
    qtbot.waitUntil(lambda: not _alive(receiver))
    gate.set()
    qtbot.waitUntil(lambda: tasks.pending_count == 0)
    assert receiver.results == []


def test_writes__run_one_at_a_time_in_order(qtbot: QtBot, tasks: TaskManager) -> None:
    done: list[int] = []
    running = 0
    overlap = False
    lock = threading.Lock()

    def write(n: int) -> int:
        nonlocal running, overlap
        with lock:
            running += 1
            overlap = overlap or running > 1
        threading.Event().wait(0.005)
        with lock:
            running -= 1
        return n

    for n in range(10):
        tasks.run(lambda n=n: write(n), done.append, write=True)
    qtbot.waitUntil(lambda: len(done) == 10)
    assert done == list(range(10))
    assert not overlap


def test_shutdown__drops_results_not_yet_delivered(qtbot: QtBot) -> None:
    tasks = TaskManager()
    results: list[object] = []
    tasks.run(lambda: 1, results.append)
    tasks.shutdown(wait=True)
    assert tasks.run(lambda: 2, results.append) is None
    qtbot.wait(20)  # give a wrongly queued delivery its chance to show up
    assert results == []
    tasks.deleteLater()


def test_progress_relay__passes_progress_and_cancel(qtbot: QtBot, tasks: TaskManager) -> None:
    relay = ProgressRelay(interval=0)
    seen: list[tuple[int, int]] = []
    relay.progress_changed.connect(lambda done, total: seen.append((done, total)))

    def work() -> bool:
        for n in range(1, 4):
            relay.report(n, 3)
        return relay.is_cancelled()

    results: list[bool] = []
    tasks.run(work, results.append)
    qtbot.waitUntil(lambda: results == [False] and seen[-1:] == [(3, 3)])
    relay.cancel()
    assert relay.is_cancelled()


def _alive(obj: QObject) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)
