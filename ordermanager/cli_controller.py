"""``ordermanager stack-controller``: the External stack controller, headless, for services.

It sends every record on the stack whatever the StackControllerMode setting says, until SIGTERM or
SIGINT (a graceful stop: sends in flight finish or go back to the stack). ``--once`` drains what is
due now and exits. Logs go to stderr and to the event_log table (docs/stack-controller.md).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from datetime import timedelta
from types import FrameType
from typing import Any

from ordermanager.errors import InvalidInputError

EXIT_OK = 0
LEASE_ENV = "ORDERMANAGER_STACK_LEASE"
STOP_TIMEOUT = 10.0

log = logging.getLogger("ordermanager.stack-controller")


def add_stack_controller_command(commands: Any) -> None:
    parser = commands.add_parser(
        "stack-controller",
        help="send the stack's status updates to the carts (the External controller)",
        description="Run the External stack controller: send every status update on the stack "
        "to its cart until SIGTERM or SIGINT, whatever the StackControllerMode setting says.",
    )
    parser.add_argument(
        "--once", action="store_true", help="send what is due now, print a summary and exit"
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, metavar="N", help="updates sent at once (default 4)"
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=10.0,
        metavar="PER_SECOND",
        help="at most this many requests per second to each cart (default 10; 0: no limit)",
    )
    parser.add_argument(
        "--lease",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"how long claims outlive a missed heartbeat (default 15, or ${LEASE_ENV})",
    )
    parser.add_argument(
        "--read-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for a cart's answer (default 30)",
    )
    parser.add_argument(
        "--stop-timeout",
        type=float,
        default=STOP_TIMEOUT,
        metavar="SECONDS",
        help="on SIGTERM, how long sends in flight may finish (default 10)",
    )
    parser.set_defaults(handler=_cmd_stack_controller)


def _lease(args: argparse.Namespace) -> timedelta:
    value = args.lease
    if value is None:
        text = os.environ.get(LEASE_ENV, "").strip()
        if text:
            try:
                value = float(text)
            except ValueError:
                raise InvalidInputError(
                    f"{LEASE_ENV} is a number of seconds, not '{text}'."
                ) from None
    if value is None:
        from ordermanager.stack.controller import DEFAULT_LEASE

        return DEFAULT_LEASE
    if value < 0.5:
        raise InvalidInputError("The lease is at least 0.5 seconds.")
    return timedelta(seconds=value)


def _cmd_stack_controller(args: argparse.Namespace) -> int:
    from ordermanager.cli import _open
    from ordermanager.settings import StackControllerMode
    from ordermanager.stack.controller import StackController
    from ordermanager.stack.delivery import DeliveryConfig

    if args.concurrency < 1 or args.concurrency > 64:
        raise InvalidInputError("--concurrency must be between 1 and 64.")
    if args.rate_limit < 0:
        raise InvalidInputError("--rate-limit must be 0 (no limit) or more.")
    if args.read_timeout <= 0 or args.stop_timeout < 0:
        raise InvalidInputError("--read-timeout must be positive and --stop-timeout 0 or more.")
    lease = _lease(args)
    _log_to_stderr()
    delivery = DeliveryConfig(read_timeout=args.read_timeout, rate_per_second=args.rate_limit)
    with _open(args) as database:
        controller = StackController(
            database,
            mode=StackControllerMode.EXTERNAL,
            concurrency=args.concurrency,
            lease=lease,
            delivery=delivery,
        )
        if args.once:
            result = controller.run_until_idle()
            print(f"Stack controller: {result.summary()}.")
            return EXIT_OK
        return _run_until_signalled(controller, args.stop_timeout)


def _run_until_signalled(controller: Any, stop_timeout: float) -> int:
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            # A second signal: the operator wants out now. Claims lapse with the heartbeat.
            os._exit(130)
        log.warning("received %s: stopping", signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        controller.start()
        log.warning(
            "stack controller %s running (External mode, concurrency %s)",
            controller.controller_id,
            controller.concurrency,
        )
        while not stop.wait(1.0):
            pass
        controller.stop(stop_timeout)
        snapshot = controller.snapshot()
        log.warning(
            "stack controller stopped: %s delivered, %s failed attempts",
            snapshot.sent_total,
            snapshot.failed_total,
        )
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return EXIT_OK


def _log_to_stderr() -> None:
    """The controller's own messages at INFO on stderr, whatever -v says: a service manager's
    journal is where an operator looks first."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("ordermanager.stack", log.name):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
