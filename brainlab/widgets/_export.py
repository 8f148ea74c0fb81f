r"""Export what a panel shows: its data (``.npz``, ``.json``), its figures (``.html``, ``.png``, ``.svg``) and
the code that reproduces it.

- Data: ``panel.data()`` is a flat ``{name: array | number | str}`` dict (by default every column of every
  source, as ``"source/column"``).  ``.npz`` keeps the arrays exactly (``numpy.load`` gives them back);
  ``.json`` writes lists, with NaN and infinities as ``null`` (strict JSON).
- Figures: ``.html`` is a standalone page with BokehJS inline (opens offline, stays interactive).  ``.png`` and
  ``.svg`` are drawn by a headless Chromium through Playwright (``pip install playwright`` and a Chromium: the
  system one at ``/usr/bin/chromium`` is used when present, else ``playwright install chromium``); in JupyterLab
  the figure toolbar's save button gives a PNG without either.
- Code: ``panel.code()``, shown in a text box and sent as ``application/vnd.brainlab.code+json`` so that
  JupyterLab's brainlab extension offers *insert as a new cell*.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FORMATS", "panel_data", "export_panel", "figures_layout", "render_figures"]

FORMATS = (".npz", ".json", ".html", ".png", ".svg")
_CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def panel_data(panel: Any) -> dict[str, Any]:
    """Every column of every source of ``panel`` as ``{"source/column": numpy array}``."""
    out: dict[str, Any] = {}
    for name, source in panel.sources.items():
        for column, values in source.data.items():
            try:
                out[f"{name}/{column}"] = np.asarray(values)
            except (TypeError, ValueError):  # ragged columns (multi_line): an object array
                out[f"{name}/{column}"] = np.asarray(list(values), dtype=object)
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def figures_layout(panel: Any) -> Any:
    """Copies of the panel's figures in one bokeh column (a copy of the figure itself when there is one).

    Copies, because a displayed figure belongs to its view's document and a bokeh model belongs to one
    document only; the copies share nothing with what the page shows, so exporting never disturbs it.
    """
    from bokeh.layouts import column

    figures = [f for f in panel.figures.values() if f is not None]
    if not figures:
        raise ValueError(f"{type(panel).__name__}.export: this panel has no figure to export; export its data "
                         "with a '.npz' or '.json' path instead.")
    copies = [_copy_layout(f) for f in figures]
    return copies[0] if len(copies) == 1 else column(*copies)


def _standalone_html(layout: Any, title: str) -> str:
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    return file_html(layout, INLINE, title=title, suppress_callback_warning=True)  # a static page: no kernel


def _chromium() -> str | None:
    for path in _CHROMIUM:
        if os.path.exists(path):
            return path
    return shutil.which("chromium")


# Waits until every root view of the page's documents has drawn, then returns one export per root.
_RENDER_SCRIPT = """async ([kind, root]) => {
  const until = Date.now() + 20000;
  while (!(window.Bokeh && Bokeh.documents && Bokeh.documents.length && Bokeh.documents.every(d => d.is_idle))) {
    if (Date.now() > until) throw new Error("BokehJS did not finish drawing within 20 s");
    await new Promise(r => setTimeout(r, 50));
  }
  const out = [];
  for (const view of Bokeh.index) {
    if (view.model.id !== root) continue;
    if (kind === "svg") {
      out.push(view.export("svg").ctx.get_serialized_svg(true));
    } else {
      const blob = await view.export("png").to_blob();
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let text = "";
      for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
      out.push(btoa(text));
    }
  }
  return out;
}"""


def render_figures(layout: Any, kind: str, *, title: str = "brainlab") -> list[bytes]:
    """Draw ``layout`` in a headless Chromium and return it as a PNG or SVG file (``kind``: 'png' or 'svg').

    For SVG the figures are drawn with bokeh's SVG backend (``output_backend='svg'``) on a copy of the layout.
    """
    import base64

    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise RuntimeError(
            f"export to .{kind} draws the figures in a headless Chromium through Playwright, which is not "
            "installed: `pip install playwright` (and a Chromium: Debian's `chromium` package, or "
            "`playwright install chromium`), or export '.html' (standalone, offline) and use the figure "
            "toolbar's save button in the page.") from exc
    if kind == "svg":
        from bokeh.models import Plot

        layout = _copy_layout(layout)  # the caller's layout keeps its canvas backend
        for plot in layout.select({"type": Plot}):
            plot.output_backend = "svg"
    html = _standalone_html(layout, title)
    executable = _chromium()
    launch: dict[str, Any] = {"args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]}
    if executable:
        launch["executable_path"] = executable
    import asyncio

    try:
        asyncio.get_running_loop()
        in_loop = True
    except RuntimeError:
        in_loop = False
    if in_loop:  # Playwright's sync API refuses to run on a thread with a running loop (a notebook kernel)
        import concurrent.futures

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(render_figures, layout, kind, title=title).result()
    with sync_playwright() as p:
        browser = p.chromium.launch(**launch)
        try:
            page = browser.new_page()
            page.set_content(html, wait_until="load")
            results = page.evaluate(_RENDER_SCRIPT, [kind, layout.id])
        finally:
            browser.close()
    if kind == "svg":
        return [s.encode("utf-8") for s in results]
    return [base64.b64decode(s) for s in results]


def _copy_layout(layout: Any) -> Any:
    """A deep copy of a bokeh model and everything it references, in no document (so it can join a new one)."""
    from bokeh.document import Document

    if layout.document is not None:
        copy = Document.from_json(layout.document.to_json())
    else:
        doc = Document()
        doc.add_root(layout)
        try:
            copy = Document.from_json(doc.to_json())
        finally:
            doc.remove_root(layout)
    model = copy.get_model_by_id(layout.id)
    for root in list(copy.roots):  # detached from the throwaway document, like a model never added to one
        copy.remove_root(root)
    return model


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "panel"


def export_panel(panel: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``panel``'s data or figures to ``path`` (format from its suffix, one of :data:`FORMATS`)."""
    owner = type(panel).__name__
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{owner}.export(path): path must be a file name such as 'view.npz', got "
                        f"{type(path).__name__}.")
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{owner}.export(path={str(path)!r}): unknown format {suffix or '(no suffix)'!r}; use one "
                         f"of {', '.join(FORMATS)} (data: .npz/.json; figures: .html/.png/.svg).")
    if suffix in (".npz", ".json"):
        data = panel.data()
        if suffix == ".npz":
            arrays = {name: np.asarray(v) for name, v in data.items()}
            with open(target, "wb") as f:
                np.savez_compressed(f, **arrays)
        else:
            target.write_text(json.dumps(_jsonable(data), allow_nan=False))
        return target
    layout = figures_layout(panel)
    if suffix == ".html":
        target.write_text(_standalone_html(layout, getattr(panel, "title", owner)), encoding="utf-8")
        return target
    files = render_figures(layout, suffix[1:], title=getattr(panel, "title", owner))
    if len(files) != 1:
        raise RuntimeError(f"{owner}.export: the page drew {len(files)} views of the figures instead of one.")
    target.write_bytes(files[0])
    return target
