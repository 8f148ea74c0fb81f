"""JupyterLab and headless Chromium for the benchmarks, from the browser tests' own helpers.

The server, the browser and the page helpers (``LabPage``: open a notebook, ``kernel_eval``, ``bokeh_columns``,
console-error capture) are those of ``tests/browser/conftest.py``, loaded from its file: its fixtures are used as
plain context managers here, so a benchmark sees the page exactly as the browser tests do (a temporary copy of
notebooks/, this Python as the only kernel, offline, Debian's Chromium).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

REPO = Path(__file__).resolve().parents[1]
CONFTEST = REPO / "tests" / "browser" / "conftest.py"


class BrowserMissing(RuntimeError):
    """Chromium, Playwright or JupyterLab is not installed here; the message says which and how to get it."""


def helpers() -> ModuleType:
    """``tests/browser/conftest.py`` as a module of its own (not ``conftest``, which pytest may hold)."""
    name = "brainlab_browser_helpers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, CONFTEST)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    return sys.modules[name]


def missing() -> str | None:
    """Why the browser benchmarks cannot run here (``None`` when they can)."""
    h = helpers()
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (`make setup`)"
    if not os.access(h.CHROMIUM, os.X_OK):
        return f"{h.CHROMIUM} is missing: install Debian's chromium package (`apt-get install chromium`)"
    if not Path(sys.executable).with_name("jupyter").exists() and shutil.which("jupyter") is None:
        return "JupyterLab is not installed in this environment (`make setup`)"
    return None


class _TmpDirs:
    """What the ``lab_server`` fixture uses of pytest's ``tmp_path_factory``."""

    def __init__(self, base: Path):
        self.base = base

    def mktemp(self, name: str) -> Path:
        path = self.base / name
        path.mkdir()
        return path


@contextlib.contextmanager
def lab_page(viewport: tuple[int, int] = (1400, 1000)) -> Iterator[Any]:
    """A ``LabPage`` on a fresh JupyterLab server in a fresh headless Chromium; everything is stopped after.

    Raises ``BrowserMissing`` (before starting anything) when the browser or the server is not installed.
    """
    reason = missing()
    if reason:
        raise BrowserMissing(reason)
    h = helpers()
    server_cm = contextlib.contextmanager(h.lab_server.__wrapped__)  # the fixtures' own generators
    browser_cm = contextlib.contextmanager(h.browser.__wrapped__)
    with tempfile.TemporaryDirectory(prefix="brainlab-bench-lab-") as tmp, \
            server_cm(_TmpDirs(Path(tmp))) as server, browser_cm() as browser:
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        context.route(h.OFFSITE, lambda route: route.abort("internetdisconnected"))  # offline, as in the tests
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            yield h.LabPage(page, server)
        finally:
            context.close()
            server.reset()
