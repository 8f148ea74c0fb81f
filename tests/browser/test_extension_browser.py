"""brainlab's JupyterLab extension in a real JupyterLab and Chromium: the launcher section, the model gallery
(listing, search, typeset equations, Insert of a cell that runs), the network and code renderers, and escaping
(text with markup never becomes markup, no script runs).  Console errors fail every test (the lab_page fixture)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest

import brainlab as bl
from brainlab._labextension import catalog_payload, model_notebook

pytestmark = pytest.mark.browser

EVIL = "<img src=x onerror=alert(1)>"
# Records alert() calls: the payload above calls alert(1) if it ever becomes an element.
ALERT_TRAP = "window.__alerts = []; window.alert = (m) => { window.__alerts.push(String(m)); };"
KINDS_IN_ORDER = ["neuron", "synapse", "output", "input", "network"]
# BRAINLAB_SCREENSHOTS=/some/dir keeps screenshots of the gallery and the renderers, to look at.
SCREENSHOTS = os.environ.get("BRAINLAB_SCREENSHOTS")


def _screenshot(lab_page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        lab_page.page.screenshot(path=str(Path(SCREENSHOTS) / f"extension_{name}.png"))


def _write_notebook(root: Path, name: str, sources: list[str]) -> str:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(nb, root / name)
    return name


def _open_lab(lab_page) -> None:
    lab_page.page.goto(f"{lab_page.server.url}/lab?token={lab_page.server.token}")
    lab_page.page.locator(".jp-Launcher").wait_for()
    lab_page.page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand("
                                    "'brainlab:open-gallery')")


def _command(lab_page, command: str, args: dict | None = None) -> None:
    lab_page.page.evaluate("([c, a]) => window.jupyterapp.commands.execute(c, a)", [command, args or {}])


def _cell_sources(lab_page) -> list[str]:
    return lab_page.page.evaluate(
        """() => { const cells = window.jupyterapp.shell.currentWidget.content.model.cells, r = [];
                   for (let i = 0; i < cells.length; i++) r.push(cells.get(i).sharedModel.getSource());
                   return r; }""")


def _no_script_ran(lab_page) -> None:
    page = lab_page.page
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate("() => window.__alerts") == []


def test_launcher_section_menu_and_commands(lab_page):
    _open_lab(lab_page)
    page = lab_page.page
    section = page.locator(".jp-Launcher-section").filter(
        has=page.locator(".jp-Launcher-sectionTitle", has_text=re.compile(r"^brainlab$")))
    assert section.locator(".jp-LauncherCard-label").all_inner_texts() == ["New model notebook", "Open the Course"]
    for command in ("brainlab:open-gallery", "brainlab:insert-model", "brainlab:open-course",
                    "brainlab:new-model-notebook"):
        assert page.evaluate("(c) => window.jupyterapp.commands.hasCommand(c)", command), command
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^brainlab$")).click()
    labels = [t for t in page.locator(".lm-Menu-content .lm-Menu-itemLabel").all_inner_texts() if t]  # no separator
    assert labels == ["New Model Notebook", "Open the Course", "Open the Model Gallery", "Insert a Model\u2026"]
    page.keyboard.press("Escape")
    # "Open the Course" opens 00_index of the course (the server's root is a copy of notebooks/)
    section.locator(".jp-LauncherCard", has_text="Open the Course").click()
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.context?.path === '00_index.ipynb'")
    lab_page.assert_no_browser_errors()


def test_new_model_notebook_from_the_launcher(lab_page):
    _open_lab(lab_page)
    page = lab_page.page
    page.locator(".jp-LauncherCard", has_text="New model notebook").click()
    page.wait_for_function("() => /brainlab_model\\d*\\.ipynb$/.test(window.jupyterapp.shell.currentWidget"
                           ".context?.path || '') && window.jupyterapp.shell.currentWidget.content.model"
                           ".cells.length === 4")
    expected = [c["source"] for c in model_notebook()["cells"]]
    assert _cell_sources(lab_page) == expected
    lab_page.assert_no_browser_errors()


def test_gallery_lists_the_catalog_and_insert_adds_a_cell_that_runs(lab_page):
    name = _write_notebook(lab_page.server.root, "ext_gallery.ipynb", ["x = 1"])
    lab_page.open_notebook(name)
    page = lab_page.page
    _command(lab_page, "brainlab:open-gallery")
    entries = page.locator(".jp-brainlab-entry")
    entries.first.wait_for()
    listed = {(el.get_attribute("data-kind"), el.get_attribute("data-name")) for el in entries.all()}
    assert {(e["kind"], e["name"]) for e in bl.catalog()} <= listed
    assert listed == {(e["kind"], e["name"]) for e in catalog_payload()["entries"]}
    kinds = [el.get_attribute("data-kind") for el in page.locator(".jp-brainlab-group").all()]
    assert kinds == KINDS_IN_ORDER

    # search by description: every entry left mentions the words
    page.locator(".jp-brainlab-search").fill("hodgkin huxley")
    shown = page.locator(".jp-brainlab-entry").all()
    assert shown and "HH" in [el.get_attribute("data-name") for el in shown]
    for el in shown:
        text = el.inner_text().lower()
        assert "hodgkin" in text and "huxley" in text
    page.locator(".jp-brainlab-search").fill("")

    # one entry: typeset equations, parameter table, reference, Insert
    lif = next(e for e in bl.catalog("neuron") if e["name"] == "LIF")
    entry = page.locator('.jp-brainlab-entry[data-kind="neuron"][data-name="LIF"]')
    entry.locator("summary").click()
    entry.locator(".jp-brainlab-equations mjx-container").first.wait_for(timeout=30_000)  # MathJax output
    rows = entry.locator(".jp-brainlab-param-table tbody tr")
    assert rows.count() == len(lif["parameters"])
    assert rows.first.locator("td").all_inner_texts()[:3] == [
        lif["parameters"][0]["name"], f"{lif['parameters'][0]['default']:g}", lif["parameters"][0]["unit"]]
    assert lif["reference"] in entry.locator(".jp-brainlab-reference").inner_text()
    entry.get_by_role("button", name="Insert").click()
    snippet = next(e["snippet"] for e in catalog_payload("neuron")["entries"] if e["name"] == "LIF")
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.model.cells.length === 2")
    assert _cell_sources(lab_page) == ["x = 1", snippet]
    # the inserted cell is the active one: run it
    _command(lab_page, "notebook:run-cell")
    page.wait_for_function(
        """() => { const w = window.jupyterapp.shell.currentWidget, c = w.content.model.cells.get(1);
                   return c.executionCount != null && w.sessionContext.session.kernel.status === 'idle'; }""",
        timeout=180_000)
    assert lab_page.error_outputs() == []
    outputs = lab_page.code_cells()[1]["outputs"]
    assert any("text/plain" in o.get("data", {}) for o in outputs), outputs
    _screenshot(lab_page, "gallery")
    lab_page.assert_no_browser_errors()


def test_gallery_shows_markup_in_a_catalog_entry_as_text(lab_page):
    page = lab_page.page
    page.add_init_script(ALERT_TRAP)

    def add_hostile_entry(route):
        response = route.fetch()
        payload = response.json()
        payload["entries"].append({
            "name": EVIL, "module": EVIL, "kind": "neuron", "summary": f"summary {EVIL}",
            "equations": rf"\frac{{dV}}{{dt}} = 0 \quad {EVIL}", "reference": f"reference {EVIL}",
            "parameters": [{"name": EVIL, "default": 1.0, "unit": EVIL, "range": [0, None], "doc": EVIL}],
            "variables": [], "presets": {}, "snippet": f"# {EVIL}\n",
        })
        route.fulfill(response=response, body=json.dumps(payload))

    page.route(re.compile(r".*/brainlab/catalog(\?.*)?$"), add_hostile_entry)
    _open_lab(lab_page)
    _command(lab_page, "brainlab:open-gallery")
    page.locator(".jp-brainlab-search").fill("onerror")
    entry = page.locator(".jp-brainlab-entry")
    entry.first.wait_for()
    assert entry.count() == 1
    assert entry.get_attribute("data-name") == EVIL
    entry.locator("summary").click()
    entry.locator(".jp-brainlab-equations mjx-container").first.wait_for(timeout=30_000)
    assert entry.locator(".jp-brainlab-entry-name").inner_text() == EVIL
    assert entry.locator(".jp-brainlab-param-table tbody td").first.inner_text() == EVIL
    assert EVIL in entry.locator(".jp-brainlab-reference").inner_text()
    page.wait_for_timeout(500)  # an injected <img src=x> would have fired its onerror by now
    _no_script_ran(lab_page)
    lab_page.assert_no_browser_errors()


NETWORK_CELL = """\
import brainlab as bl
from IPython.display import display
from brainlab._mime import network_bundle
net = bl.networks.coba(100, seed=1)
display(network_bundle(net), raw=True)"""

EVIL_NETWORK_CELL = f"""\
from IPython.display import display
evil = {EVIL!r}
doc = {{"version": 1,
       "nodes": [{{"id": evil, "name": evil, "kind": "population", "model": evil, "size": 5, "params": []}},
                 {{"id": "I", "name": "I", "kind": "population", "model": "LIF", "size": 5, "params": []}}],
       "edges": [{{"id": "x", "name": evil, "pre": evil, "post": "I", "kind": "projection", "rule": None,
                  "synapse": None, "output": None, "stp": None, "weight": None, "delay": None,
                  "sign": "inhibitory"}}]}}
display({{"application/vnd.brainlab.network+json": doc, "text/plain": "network"}}, raw=True)"""


def test_network_output_renders_as_an_interactive_diagram(lab_page):
    lab_page.page.add_init_script(ALERT_TRAP)
    name = _write_notebook(lab_page.server.root, "ext_network.ipynb", [NETWORK_CELL, EVIL_NETWORK_CELL])
    lab_page.open_notebook(name)
    lab_page.run_all_cells()
    lab_page.wait_until_done()
    assert lab_page.error_outputs() == []
    page = lab_page.page
    diagrams = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-brainlab-network")
    diagrams.nth(1).wait_for()
    assert diagrams.count() == 2
    coba = diagrams.nth(0)
    net = bl.networks.coba(100, seed=1)
    nodes = {el.get_attribute("data-node") for el in coba.locator("[data-node]").all()}
    assert nodes == set(net.populations())
    heads = {el.get_attribute("data-edge"): el.locator(".jp-brainlab-edge-line").get_attribute("marker-end")
             for el in coba.locator("[data-edge]").all()}
    assert set(heads) == set(net.projections())
    assert heads["EE"].endswith("-excitatory)") and heads["IE"].endswith("-inhibitory)")
    # hover: the details of a population
    coba.locator('[data-node="E"]').hover()
    details = coba.locator(".jp-brainlab-details").inner_text()
    assert "LIF" in details and str(net.E.num) in details
    coba.scroll_into_view_if_needed()
    _screenshot(lab_page, "network_layered")
    # layout switch moves the nodes; zoom changes the view box
    before = coba.locator('[data-node="I"] circle').get_attribute("cx")
    coba.get_by_role("button", name="Circular").click()
    assert coba.locator('[data-node="I"] circle').get_attribute("cx") != before
    width = float(coba.locator("svg").get_attribute("viewBox").split()[2])
    coba.get_by_role("button", name="Zoom in").click()
    assert float(coba.locator("svg").get_attribute("viewBox").split()[2]) == pytest.approx(width / 1.25)

    evil = diagrams.nth(1)
    # labels are shortened in the drawing; the tooltip and the details hold the whole name, as text
    assert evil.locator(".jp-brainlab-node-label").all_text_contents() == ["<img src=\u2026", "I"]  # SVG: no innerText
    assert evil.locator("[data-node] > title").first.text_content() == f"{EVIL}: {EVIL}, 5 neurons"
    evil.locator("[data-edge]").hover()
    assert f"{EVIL}: {EVIL} \u2192 I" in evil.locator(".jp-brainlab-details").inner_text()
    page.wait_for_timeout(500)
    _no_script_ran(lab_page)
    lab_page.assert_no_browser_errors()


def test_code_output_inserts_a_cell_below_that_runs(lab_page):
    lab_page.page.add_init_script(ALERT_TRAP)
    code = f"y = 6 * 7  # {EVIL}\ny"
    cells = ["from IPython.display import display\nfrom brainlab._mime import code_bundle\n"
             f"display(code_bundle({code!r}, 'export'), raw=True)", "print('last')"]
    name = _write_notebook(lab_page.server.root, "ext_code.ipynb", cells)
    lab_page.open_notebook(name)
    lab_page.run_all_cells()
    lab_page.wait_until_done()
    page = lab_page.page
    view = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-brainlab-code")
    view.wait_for()
    block = view.locator("pre code")
    assert block.inner_text() == code
    assert block.locator("span").count() > 0  # highlighted by CodeMirror's Python grammar
    view.get_by_role("button", name="Copy").click()
    assert view.locator(".jp-brainlab-status").inner_text() == "Copied."
    view.get_by_role("button", name="Insert as a new cell below").click()
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.model.cells.length === 3")
    assert _cell_sources(lab_page) == [cells[0], code, cells[1]]
    _command(lab_page, "notebook:run-cell")
    page.wait_for_function(
        """() => { const c = window.jupyterapp.shell.currentWidget.content.model.cells.get(1);
                   return c.executionCount != null && c.outputs.length > 0; }""", timeout=60_000)
    assert lab_page.code_cells()[1]["outputs"][0]["data"]["text/plain"] == "42"
    _screenshot(lab_page, "code")
    _no_script_ran(lab_page)
    lab_page.assert_no_browser_errors()
