"""The core never imports Qt (DESIGN.md section 4): every module under ordermanager/ is imported in
a fresh interpreter, and PySide6 must not be among the loaded modules afterwards."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import ordermanager


def _all_core_modules() -> list[str]:
    names = ["ordermanager"]
    for info in pkgutil.walk_packages(ordermanager.__path__, "ordermanager."):
        if ".migrations" in info.name:
            continue  # Alembic scripts run only inside Alembic (the grep test covers them)
        names.append(info.name)
    return names


def test_importing_every_core_module_loads_no_qt() -> None:
    modules = _all_core_modules()
    assert "ordermanager.cli" in modules and "ordermanager.db.models" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'ui'))\n"
        "print(','.join(qt))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"the core loaded Qt modules: {result.stdout}"


def test_no_core_source_mentions_pyside() -> None:
    offenders = []
    for path in __import__("pathlib").Path(ordermanager.__file__).parent.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "PySide6" in text or "from ui" in text or "import ui" in text:
            offenders.append(str(path))
    assert offenders == []
