"""A real Secret Service keyring for tests: gnome-keyring on a private D-Bus session bus.

Nothing touches the keyring of the person running the tests: the bus, the keyring's files and its
unlock password all belong to this test run and vanish with it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

UNLOCK_PASSWORD = "order-manager-tests"


def missing_tools() -> list[str]:
    return [tool for tool in ("dbus-daemon", "gnome-keyring-daemon") if not shutil.which(tool)]


@contextmanager
def private_keyring(home: Path) -> Iterator[dict[str, str]]:
    """Start a bus and an unlocked gnome-keyring; yield the environment that reaches them."""
    runtime = home / "run"
    runtime.mkdir(mode=0o700, parents=True)
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert bus.stdout is not None
        address = bus.stdout.readline().strip()
        env = {
            "DBUS_SESSION_BUS_ADDRESS": address,
            "XDG_RUNTIME_DIR": str(runtime),
            "XDG_DATA_HOME": str(home / "data"),
            "HOME": str(home),
        }
        # --daemonize returns once the keyring is on the bus and unlocked: no polling needed.
        subprocess.run(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--daemonize"],
            input=UNLOCK_PASSWORD,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        yield env
    finally:
        # The keyring daemon leaves when its bus goes away.
        bus.terminate()
        bus.wait(timeout=10)
        if bus.stdout is not None:
            bus.stdout.close()
