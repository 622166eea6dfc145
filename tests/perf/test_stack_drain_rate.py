"""Benchmark: drain 10,000 stack records to a no-op OK cart on 127.0.0.1 at concurrency 1, 4, 8.

Run with ``pytest tests/perf/test_stack_drain_rate.py -s -p no:cacheprovider``. The number of
records is ORDERMANAGER_PERF_STACK_RECORDS (default 10,000); ORDERMANAGER_PERF_STACK_DB=postgresql
runs it on the local PostgreSQL instead of a SQLite file; ORDERMANAGER_PERF_STACK_LATENCY_MS makes
the cart take that long to answer (default 0). The cart runs in a process of its own.

Printed per concurrency: records per second of the stack controller, and of the baseline measured
in the same run: a raw keep-alive ``httpx.Client`` loop (same number of threads) posting the same
payloads to the same cart; the ratio (target >= 0.9); and the queue's own cost per record (claim +
fenced delete with no HTTP; target <= 1 ms median on SQLite). Only correctness is asserted.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from ordermanager.db.engine import Database
from ordermanager.db.location import DatabaseLocation, parse_url
from ordermanager.db.migrate import open_database
from ordermanager.stack import queue as stack_queue
from ordermanager.stack.controller import StackController
from tests.stack_support import seed
from tests.stack_support.harness import REPO, SECRET, delivery, wait_stack_empty, wait_until

pytestmark = pytest.mark.perf

RECORDS = int(os.environ.get("ORDERMANAGER_PERF_STACK_RECORDS", "10000"))
ORDERS = max(RECORDS // 10, 1)
OVERHEAD_SAMPLES = 2000
LATENCY_MS = float(os.environ.get("ORDERMANAGER_PERF_STACK_LATENCY_MS", "0"))


@pytest.fixture
def cart_url() -> str:  # type: ignore[misc]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.stack_support.cart_server", SECRET, str(LATENCY_MS)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(REPO),
    )
    assert process.stdout is not None
    port = int(process.stdout.readline())
    try:
        yield f"http://127.0.0.1:{port}/status"
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()


@pytest.fixture
def perf_location(tmp_path: Path, request: pytest.FixtureRequest) -> DatabaseLocation:
    if os.environ.get("ORDERMANAGER_PERF_STACK_DB") == "postgresql":
        return request.getfixturevalue("pg_location")  # type: ignore[no-any-return]
    return parse_url(f"sqlite:///{tmp_path / 'stack.sqlite3'}")


def raw_loop(url: str, bodies: list[bytes], threads: int) -> float:
    """The baseline: ``threads`` threads, one keep-alive client, POSTing the bodies. Seconds."""
    client = httpx.Client(timeout=httpx.Timeout(5.0), limits=httpx.Limits(max_connections=16))
    lock = threading.Lock()
    todo = iter(bodies)

    def work() -> None:
        while True:
            with lock:
                body = next(todo, None)
            if body is None:
                return
            response = client.post(url, content=body, headers={"Idempotency-Key": "x"})
            assert response.text == "OK"

    workers = [threading.Thread(target=work) for _ in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.perf_counter() - started
    client.close()
    return seconds


def drain(database: Database, concurrency: int) -> float:
    controller = StackController(
        database,
        mode="external",
        concurrency=concurrency,
        delivery=delivery(),
        workstation="bench",
        lease=timedelta(seconds=30),
    )
    started = time.perf_counter()
    controller.start()
    try:
        # Watch the controller's own counter, not the table: polling COUNT(*) would take a share
        # of the GIL the raw loop does not pay for.
        wait_until(lambda: controller.snapshot().sent_total >= RECORDS, 600, "the drain", 0.05)
        wait_stack_empty(database, timeout=60)
        seconds = time.perf_counter() - started
    finally:
        controller.stop()
    assert controller.snapshot().sent_total == RECORDS
    return seconds


def queue_overhead(database: Database, order_ids: list[int]) -> list[float]:
    """Seconds per record for claim + fenced delete alone (no HTTP)."""
    seed.records(database, order_ids, OVERHEAD_SAMPLES)
    samples = []
    for _ in range(OVERHEAD_SAMPLES):
        started = time.perf_counter()
        (record,) = stack_queue.claim(database, "bench", limit=1, lease=timedelta(seconds=30))
        assert stack_queue.delete_delivered(database, record.id, record.claim_token)
        samples.append(time.perf_counter() - started)
    return samples


def test_stack_drain_rate(perf_location: DatabaseLocation, cart_url: str) -> None:
    database = open_database(perf_location)
    try:
        seed.generic_cart(database, "Bench Store", cart_url)
        order_ids = seed.orders(database, "Bench Store", ORDERS)
        print(
            f"\n{RECORDS:,} records over {ORDERS:,} orders, {database.dialect}, "
            f"OK cart answering after {LATENCY_MS:g} ms"
        )
        for concurrency in (1, 4, 8):
            seeded = seed.records(database, order_ids, RECORDS)
            bodies = [
                json.dumps(row_payload, separators=(",", ":")).encode()
                for row_payload in (json.loads(r.payload) for r in seed.stack_rows(database))
            ]
            assert len(bodies) == len(seeded.keys)
            raw = raw_loop(cart_url, bodies, concurrency)
            ours = drain(database, concurrency)
            print(
                f"concurrency {concurrency}: controller {RECORDS / ours:,.0f} rec/s, "
                f"raw httpx loop {RECORDS / raw:,.0f} req/s, ratio {raw / ours:.2f} (target >= 0.9)"
            )
        samples = queue_overhead(database, order_ids)
        samples.sort()
        print(
            f"queue overhead (claim + fenced delete, no HTTP): median "
            f"{statistics.median(samples) * 1000:.2f} ms, p99 "
            f"{samples[int(len(samples) * 0.99)] * 1000:.2f} ms per record (target <= 1 ms median)"
        )
    finally:
        database.dispose()
