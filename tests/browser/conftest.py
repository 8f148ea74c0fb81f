"""What a learner sees: notebooks opened and run in a real JupyterLab, in Debian's Chromium, driven by Playwright.

One JupyterLab server and one headless Chromium serve the whole session.  The server's root is a temporary copy
of ``notebooks/`` (tests never write into the repository) and its only kernel, ``python3``, is this Python (the
project's virtual environment under ``make test``).  Every test gets a fresh browser page whose console errors
and uncaught page errors fail the test, except the few allow-listed messages below that are JupyterLab's own
noise.

The browser is Debian's ``chromium`` at /usr/bin/chromium (``make test`` installs it when root); Playwright's
own browser download is never used (``PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
CHROMIUM = Path(os.environ.get("BRAINLAB_CHROMIUM", "/usr/bin/chromium"))  # Debian's; another build may be named
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
BOKEH_EXEC_MIME = "application/vnd.bokehjs_exec.v0+json"
OFFSITE = re.compile(r"^(?!(https?|wss?)://127\.0\.0\.1[:/])[a-z]+://")  # every URL not on the local server
ROOTS = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output [data-root-id]"  # rendered bokeh roots

# Console messages that are JupyterLab's own and say nothing about our notebooks.  Each entry: (pattern, why).
# Keep this short; a message is only added after checking where it comes from.
CONSOLE_ALLOW: list[tuple[re.Pattern[str], str]] = []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LabServer:
    """A running JupyterLab: its base URL, token, root directory (a copy of notebooks/) and log file."""

    url: str
    token: str
    root: Path
    log: Path
    process: subprocess.Popen = field(repr=False)

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}"

    def api(self, path: str, method: str = "GET", timeout: float = 5.0) -> Any:
        """A REST call with the token; ``path`` is relative to the server root (``api/status``)."""
        req = urllib.request.Request(
            f"{self.url}/{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def write_notebook(self, name: str, cells: list[str]) -> str:
        """Write a notebook of code ``cells`` into the server's (temporary) root; returns its name."""
        import nbformat

        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
        nbformat.write(nb, self.root / name)
        return name

    def reset(self) -> None:
        """End every kernel session (each opened notebook starts one; JAX kernels are large) and forget the
        workspace, so the next page does not reopen this page's notebooks (and start their kernels again)."""
        for session in self.api("api/sessions"):
            try:
                self.api(f"api/sessions/{session['id']}", method="DELETE", timeout=30)
            except urllib.error.HTTPError:
                pass
        for workspace in self.api("lab/api/workspaces")["workspaces"]["ids"]:
            self.api(f"lab/api/workspaces/{workspace}", method="DELETE")

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


def _write_kernelspec(share: Path) -> None:
    """A ``python3`` kernel that is exactly this interpreter, first on JUPYTER_PATH."""
    spec = share / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }))


def _stop(proc: subprocess.Popen, server: LabServer | None) -> None:
    if proc.poll() is None and server is not None:
        try:
            server.api("api/shutdown", method="POST")
            proc.wait(timeout=20)
        except (OSError, urllib.error.URLError, subprocess.TimeoutExpired):
            pass
    # The server was started in its own process group (start_new_session), so this reaches it and its kernels only.
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab on a free local port with a random token, serving a temporary copy of notebooks/."""
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        pytest.skip(f"no {jupyter}: the browser tests need JupyterLab in this environment (`make setup` installs it)")
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    _write_kernelspec(base / "share" / "jupyter")
    # No "get notified about official Jupyter news?" pop-up over the notebook (it would cover screenshots).
    notification = base / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = dict(
        os.environ,
        JUPYTER_PATH=str(base / "share" / "jupyter"),
        JUPYTER_CONFIG_DIR=str(base / "config"),          # no user config (e.g. a password) from ~/.jupyter
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),   # JupyterLab's default settings, as a new learner has
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        # The kernels import this checkout's brainlab (as the other tests do), installed or not.
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    )
    port, token = _free_port(), secrets.token_hex(24)
    cmd = [
        str(jupyter), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",            # window.jupyterapp: read cell models, not the DOM
        "--LabApp.news_url=None",                         # no news fetched from the internet
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.getuid() == 0:
        cmd.append("--allow-root")
    log = base / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root, start_new_session=True)
    server = LabServer(url=f"http://127.0.0.1:{port}", token=token, root=root, log=log, process=proc)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {proc.returncode}:\n{server.log_tail()}")
            try:
                if "started" in server.api("api/status", timeout=2):
                    break
            except (OSError, urllib.error.URLError, ValueError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer /api/status within 90 s:\n{server.log_tail()}")
            time.sleep(0.3)
        yield server
    finally:
        _stop(proc, server)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium under Playwright (skipped, with the reason, when either is missing)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (`make setup`)")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's chromium package (`apt-get install chromium`; `make test` "
            "does it when run as root)"
        )
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    pw = sync_api.sync_playwright().start()
    try:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        pw.stop()


class LabPage:
    """A browser page on the lab server, with helpers to open, run and inspect a notebook.

    ``problems`` collects every console error and uncaught page error (less the allow-list) as they happen.
    """

    def __init__(self, page: Any, server: LabServer):
        self.page = page
        self.server = server
        self.problems: list[str] = []
        self.reported = 0  # problems[:reported] already failed a test through assert_no_browser_errors
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))

    def _on_console(self, msg: Any) -> None:
        if msg.type != "error":
            return
        text = msg.text
        if any(pattern.search(text) for pattern, _why in CONSOLE_ALLOW):
            return
        loc = msg.location or {}
        where = f" ({loc.get('url', '')}:{loc.get('lineNumber', '')})" if loc.get("url") else ""
        self.problems.append(f"console error: {text}{where}")

    def assert_no_browser_errors(self) -> None:
        new, self.reported = self.problems[self.reported:], len(self.problems)
        assert not new, "browser reported errors:\n" + "\n".join(new)

    # -- notebooks -------------------------------------------------------------------------------------------

    def open_notebook(self, name: str, timeout_s: float = 90) -> None:
        """Open ``name`` (relative to the server root) and wait until its kernel is connected and idle."""
        self.page.goto(self.server.notebook_url(name))
        self.page.wait_for_function(
            """(name) => {
                const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                const k = w && w.context && w.context.path === name && w.sessionContext.session
                          && w.sessionContext.session.kernel;
                return !!k && k.connectionStatus === 'connected' && k.status === 'idle'
                       && w.content.model && w.content.model.cells.length > 0;
            }""",
            arg=name, timeout=timeout_s * 1000, polling=250,
        )

    def run_all_cells(self) -> None:
        """Run > Run All Cells, from the menu bar, as a learner would."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()

    @staticmethod
    def wait_until(condition: Any, timeout_s: float, what: Any, every_s: float = 0.25) -> Any:
        """Poll ``condition()`` until it returns something truthy (returned); fail with ``what`` (or what it
        returns, for a message that shows the last values seen) if it never does within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                pytest.fail(f"waited {timeout_s:g} s for {what() if callable(what) else what}; last value {value!r}")
            time.sleep(every_s)

    def figure_pixel(self, figure_id: str, x: float, y: float) -> list[float] | None:
        """The page position of the data point ``(x, y)`` of bokeh figure ``figure_id``, from BokehJS's own
        scales (``None`` until the figure's view is drawn): where a mouse click lands on that point."""
        return self.page.evaluate(
            """([id, x, y]) => {
                if (!window.Bokeh || !window.Bokeh.index) return null;
                const view = [...window.Bokeh.index.find_by_id(id)][0];
                if (view == null || view.frame == null) return null;
                const box = view.canvas_view.el.getBoundingClientRect();
                if (!box.width) return null;
                return [box.left + view.frame.x_scale.compute(x), box.top + view.frame.y_scale.compute(y)];
            }""",
            [figure_id, x, y],
        )

    def run_notebook(self, name: str, cells: list[str]) -> None:
        """Write ``cells`` as notebook ``name``, open it, run all cells and fail on any error output."""
        self.open_notebook(self.server.write_notebook(name, cells))
        self.run_all_cells()
        self.wait_until_done()
        errors = self.error_outputs()
        assert not errors, f"{name}: error output:\n" + "\n".join(errors)

    def wait_until_done(self, timeout_s: float = 240) -> None:
        """Wait until every code cell has an execution count and the kernel is idle, or a cell raised (Run All
        stops there: the cells after it are aborted and never get a count)."""
        self.page.wait_for_function(
            """() => {
                const w = window.jupyterapp.shell.currentWidget;
                const cells = w.content.model.cells;
                let counted = true, failed = false, running = false;
                for (let i = 0; i < cells.length; i++) {
                    const c = cells.get(i);
                    if (c.type !== 'code') continue;
                    if (c.executionCount == null) counted = false;
                    if (c.executionState === 'running') running = true;
                    for (const o of c.outputs.toJSON()) if (o.output_type === 'error') failed = true;
                }
                const k = w.sessionContext.session && w.sessionContext.session.kernel;
                return !!k && k.status === 'idle' && !running && (counted || failed);
            }""",
            timeout=timeout_s * 1000, polling=500,
        )

    def code_cells(self) -> list[dict[str, Any]]:
        """Each code cell's execution count and outputs (nbformat JSON), read from JupyterLab's cell models."""
        return self.page.evaluate(
            """() => {
                const cells = window.jupyterapp.shell.currentWidget.content.model.cells, r = [];
                for (let i = 0; i < cells.length; i++) {
                    const c = cells.get(i);
                    if (c.type === 'code') r.push({count: c.executionCount, outputs: c.outputs.toJSON()});
                }
                return r;
            }"""
        )

    def error_outputs(self) -> list[str]:
        return [
            f"cell [{cell['count']}]: {out.get('ename')}: {out.get('evalue')}"
            for cell in self.code_cells()
            for out in cell["outputs"]
            if out.get("output_type") == "error"
        ]

    def kernel_eval(self, code: str, timeout_s: float = 60) -> str:
        """Run ``code`` in the open notebook's kernel (not as a cell: nothing is added to the notebook) and
        return what it printed; an exception in it fails the test with its name and message."""
        out = self.page.evaluate(
            """async ([code, ms]) => {
                const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
                const future = kernel.requestExecute({code, silent: false, store_history: false});
                let text = '', error = null;
                future.onIOPub = (msg) => {
                    const t = msg.header.msg_type;
                    if (t === 'stream') text += msg.content.text;
                    if (t === 'error') error = msg.content.ename + ': ' + msg.content.evalue;
                };
                const late = new Promise((resolve) => setTimeout(() => resolve('late'), ms));
                if (await Promise.race([future.done, late]) === 'late') error = `no reply within ${ms} ms`;
                return {text, error};
            }""",
            [code, int(timeout_s * 1000)],
        )
        if out["error"]:
            pytest.fail(f"kernel raised {out['error']} running:\n{code}")
        return out["text"]

    def bokeh_columns(self, model_id: str) -> dict[str, list[float]] | None:
        """The columns of the ColumnDataSource ``model_id`` as BokehJS holds them in the page (``None`` while no
        document in the page has it)."""
        return self.page.evaluate(
            """(id) => {
                const docs = (window.Bokeh && window.Bokeh.documents) || [];
                for (const doc of docs) {
                    const m = doc.get_model_by_id(id);
                    if (m == null) continue;
                    const data = m.data instanceof Map ? Object.fromEntries(m.data) : m.data;
                    const out = {};
                    for (const [k, v] of Object.entries(data)) out[k] = Array.from(v, Number);
                    return out;
                }
                return null;
            }""",
            model_id,
        )

    def bokeh_attrs(self, model_id: str, names: list[str]) -> dict[str, Any] | None:
        """Properties ``names`` of the bokeh model ``model_id`` as BokehJS holds them (a range's computed
        ``start``/``end``, ...); ``None`` while no document in the page has the model."""
        return self.page.evaluate(
            """([id, names]) => {
                for (const doc of (window.Bokeh && window.Bokeh.documents) || []) {
                    const m = doc.get_model_by_id(id);
                    if (m != null) return Object.fromEntries(names.map((n) => [n, m[n]]));
                }
                return null;
            }""",
            [model_id, names],
        )

    def count_bokeh_outputs(self) -> int:
        """How many bokeh documents the kernel sent (``show`` outputs), from the cell models."""
        return sum(
            BOKEH_EXEC_MIME in out.get("data", {}) for cell in self.code_cells() for out in cell["outputs"]
        )

    def bokeh_roots(self) -> Any:
        """Rendered bokeh roots in the notebook's outputs, in page order: those of ``show`` outputs and those
        inside ipywidgets (``jupyter_bokeh.BokehModel``).  Bokeh 3 puts each view in an open shadow root;
        Playwright's CSS locators pierce those, so ``root.locator('canvas')`` finds the canvases."""
        return self.page.locator(ROOTS)

    def bokeh_roots_in_widgets(self) -> list[bool]:
        """For each of :meth:`bokeh_roots`, whether it is part of a widget (not a ``show`` output)."""
        return self.page.evaluate(
            "(sel) => Array.from(document.querySelectorAll(sel), (e) => e.closest('.jupyter-widgets') !== null)",
            ROOTS,
        )

    def wait_for_shown_roots(self, n: int, timeout_s: float = 30) -> None:
        """Wait (at most ``timeout_s``) until ``n`` roots of ``show`` outputs are in the page; the caller
        asserts the count, so that a shortfall fails with the numbers rather than a timeout."""
        try:
            self.page.wait_for_function(
                "([sel, n]) => Array.from(document.querySelectorAll(sel))"
                ".filter((e) => e.closest('.jupyter-widgets') === null).length >= n",
                arg=[ROOTS, n], timeout=timeout_s * 1000,
            )
        except Exception as exc:  # playwright's TimeoutError
            if "Timeout" not in type(exc).__name__:
                raise

    def figure_stats(self, root: Any) -> list[dict[str, float]]:
        """For each bokeh plot under ``root`` (scrolled into view first): its canvas size and how much is drawn.

        A plot's ``.bk-Canvas`` holds its canvas layers (the primary layer with glyphs, axes and grid, and an
        overlay layer for tools) in its own shadow root; legend swatches and toolbar icons are separate small
        canvases and are not counted.  ``drawn`` is, over the plot's layers, the largest fraction of pixels that
        differ from the layer's most common colour: 0 for a blank plot.  ``visible`` is False for a plot that
        takes no room on the page (a figure with ``visible=False``, e.g. a panel's optional view).
        """
        root.scroll_into_view_if_needed()
        return [
            plot.evaluate(
                """(el) => {
                    const layers = Array.from(el.shadowRoot ? el.shadowRoot.querySelectorAll('canvas.bk-layer') : []);
                    const box = el.getBoundingClientRect();  // 0 x 0 for a figure with visible=False
                    const out = {layers: layers.length, visible: box.width > 0 && box.height > 0,
                                 width: 0, height: 0, drawn: 0};
                    for (const c of layers) {
                        out.width = Math.max(out.width, c.width);
                        out.height = Math.max(out.height, c.height);
                        if (!c.width || !c.height) continue;
                        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                        const counts = new Map();
                        for (let i = 0; i < data.length; i += 4) {
                            const key = (data[i] << 24 | data[i+1] << 16 | data[i+2] << 8 | data[i+3]) >>> 0;
                            counts.set(key, (counts.get(key) || 0) + 1);
                        }
                        out.drawn = Math.max(out.drawn, 1 - Math.max(...counts.values()) / (c.width * c.height));
                    }
                    return out;
                }"""
            )
            for plot in root.locator(".bk-Canvas").all()
        ]


@pytest.fixture
def lab_page(browser: Any, lab_server: LabServer) -> Iterator[LabPage]:
    """A fresh page (its own browser context); console and page errors fail the test.  Afterwards the kernels
    it started are shut down and JupyterLab's workspace (its open tabs) is forgotten."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    # Offline, as on a machine without internet, even where CI has a network: any request that leaves the local
    # server fails (and its console error fails the test), so a figure that needs a CDN shows up here.
    context.route(OFFSITE, lambda route: route.abort("internetdisconnected"))
    page = context.new_page()
    page.set_default_timeout(30_000)
    lab = LabPage(page, lab_server)
    try:
        yield lab
        late = lab.problems[lab.reported:]  # anything the test did not already report itself
    finally:
        context.close()
        lab_server.reset()
    if late:
        pytest.fail("browser reported errors:\n" + "\n".join(late))
