r"""``NetworkBuilder``: build a network with forms, see its diagram, run it live, export its code."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import ipywidgets as W

from ._builder_diagram import Diagram
from ._builder_export import TEMPLATES, builder_code, template, template_code, write_notebook
from ._builder_fields import css_class
from ._builder_forms import InputForm, PopulationForm, ProjectionForm, neuron_classes
from ._builder_ops import BuilderOps
from ._builder_state import History, empty, find, items
from ._panel import AbstractPanel

__all__ = ["NetworkBuilder"]

_TABS = ("population", "input", "projection")


class NetworkBuilder(BuilderOps, AbstractPanel):
    r"""Build a :class:`~brainlab.Network` with forms: populations, inputs and projections; see its diagram;
    run it live; export the code that builds and runs it.

    The builder's state is a network description, the plain data of ``net.to_dict()`` (see
    :mod:`brainlab._network_dict`); every edit makes a new description, builds it with ``bl.Network.from_dict``
    and, when that succeeds, keeps it (undo and redo move between the kept descriptions).  An edit that fails
    changes nothing: its error is shown, beside the field it concerns when a form field is wrong (the model's own
    message, e.g. a negative size or a probability above 1), else in the status line.  As a form changes, the
    network it would make is built too (:meth:`check_network`), so an error of the whole network (a ``OneToOne``
    projection between populations of different sizes) shows under the form before *add* or *update*.

    What a learner sees:

    - a template list (empty, COBA, CUBA, COBAHH, an E/I network with Poisson sources, delays and short-term
      plasticity) with a size, and *load*; *undo*, *redo*;
    - a list of the network's parts (``controls['select']``): choosing one opens its form, filled in, where
      *update* changes it and *delete* removes it (a population goes with its projections and inputs);
    - three forms: a population (any neuron model of ``bl.catalog('neuron')``, its size and declared
      parameters), an input (Poisson spike sources, a Poisson input onto a population, an Ornstein-Uhlenbeck
      current) and a projection (pre, post, a connectivity rule and its fields, synapse, output, weight, delay,
      short-term plasticity);
    - the diagram of the network above the forms (``diagram``: a bokeh figure, ``figures['diagram']``, laid out
      as the static SVG of ``bl.Network`` outputs, :meth:`svg`; its sources are redrawn after each change):
      hovering a part shows its details, clicking one opens its form as choosing it in the list does; and the
      network's summary;
    - *run*: a :class:`~brainlab.widgets.LiveRun` of a fresh copy of the network (raster, rates, the chosen
      traces, sliders for the chosen parameters);
    - *export code*: the Python that builds the network and runs it as configured, including the live run's
      slider moves replayed at their times (:meth:`code`), shown in a text box and as a code output that
      JupyterLab's brainlab extension can insert as a new cell; *export notebook* writes it as a ``.ipynb``.

    Code drives it as the forms do: :meth:`add_population`, :meth:`add_input`, :meth:`add_projection`,
    :meth:`edit`, :meth:`delete`, :meth:`undo`, :meth:`redo`, :meth:`build`, :meth:`network_dict`, :meth:`run`.

    Args:
        net: a network to start from (``bl.networks.coba(1000)``), its description (a dict), a template name
            (``'COBA'``: ``bl.networks.coba(template_size, seed=seed)``; its exported code is that one call until
            the network is changed), or ``None`` (empty).
        duration: simulated ms per live run (and of the exported run).
        template_size: the number of neurons of a loaded template.
        seed: the seed of a loaded template.

    Example:
        >>> import brainlab as bl
        >>> b = bl.widgets.NetworkBuilder()
        >>> b.add_population("E", "LIF", 80, V_rest=-49.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0)
        >>> b.add_population("I", "LIF", 20, V_rest=-49.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0)
        >>> b.add_projection("EI", "E", "I", conn={"rule": "FixedProb", "prob": 0.2, "seed": 1},
        ...                  synapse={"model": "Expon", "params": {"tau": 5.0}}, output="CUBA", weight=1.6)
        >>> sorted(b.build().populations()), list(b.build().projections())
        (['E', 'I'], ['EI'])
        >>> b.edit("E", size=40); b.build().E.size
        (40,)
        >>> b.undo(); b.build().E.size
        (80,)
        >>> ns = {}; exec(b.code(), ns); ns["net"].to_dict() == b.build().to_dict()
        True
        >>> b.close()
    """

    def __init__(self, net: Any = None, *, duration: float = 1000.0, template_size: int = 1000, seed: int = 0):
        from .._network import Network

        super().__init__("network builder")
        self._known_code: list[tuple[dict[str, Any], str]] = []  # descriptions one library call builds
        if net is None:
            desc = empty()
        elif isinstance(net, str):
            desc = self._template_desc(net, template_size, seed)
        elif isinstance(net, dict):
            desc = net
        elif isinstance(net, Network):
            desc = net.to_dict()
        else:
            raise TypeError(f"NetworkBuilder: net must be a bl.Network (e.g. bl.networks.coba(1000)), its "
                            f"description (net.to_dict()), a template name ({', '.join(map(repr, TEMPLATES))}) or "
                            f"None, got {type(net).__name__}.")
        self.net = Network.from_dict(desc)  # the network of the current description (refuses a bad one)
        self.history = History(desc)
        self.live: Any = None
        self._selected: str | None = None
        self._busy = False
        c = self.controls

        # top bar: templates, undo, redo
        c["template"] = W.Dropdown(options=list(TEMPLATES), value=net if isinstance(net, str) else "empty",
                                   description="template",
                                   layout=W.Layout(width="330px"))
        c["template.n"] = W.IntText(value=int(template_size), description="neurons", layout=W.Layout(width="160px"),
                                    style={"description_width": "60px"})
        c["template.seed"] = W.IntText(value=int(seed), description="seed", layout=W.Layout(width="130px"),
                                       style={"description_width": "40px"})
        for name, icon in (("load_template", "folder-open"), ("undo", "undo"), ("redo", "repeat"),
                           ("delete", "trash"), ("new", "plus")):
            c[name] = W.Button(description=name.replace("_template", ""), icon=icon, layout=W.Layout(width="90px"))
        c["select"] = W.Dropdown(options=[("(new)", "")], value="", description="part",
                                 layout=W.Layout(width="330px"))

        # the forms
        self.forms = {
            "population": PopulationForm(c, self._names),
            "input": InputForm(c, self._names, self._populations),
            "projection": ProjectionForm(c, self._names, self._populations),
        }
        for kind in _TABS:
            c[f"add_{kind}"] = W.Button(description=f"add {kind}", icon="plus", button_style="success",
                                        layout=W.Layout(width="150px"))
            c[f"update_{kind}"] = W.Button(description=f"update {kind}", icon="check", layout=W.Layout(width="175px"))
            self.on_click(c[f"add_{kind}"], lambda k=kind: self._form_add(k), f"add {kind}")
            self.on_click(c[f"update_{kind}"], lambda k=kind: self._form_update(k), f"update {kind}")
        self.form_errors = {k: W.HTML() for k in _TABS}
        self._loading = False  # forms being filled in by the builder: no whole-network checks meanwhile
        for kind in _TABS:
            self._watch(kind)
        c["tabs"] = W.Tab(children=[W.VBox([self.forms[k].box, W.HBox([c[f"add_{k}"], c[f"update_{k}"]]),
                                            self.form_errors[k]]) for k in _TABS])
        for i, k in enumerate(_TABS):
            c["tabs"].set_title(i, k)

        # the diagram (bokeh: a click on a part opens its form) and summary
        self.diagram = Diagram(self._pick, guard=self.guarded)
        self.figures["diagram"] = self.diagram.figure
        self.sources.update(self.diagram.sources)
        self.summary = W.HTML()

        # run and export
        c["run.duration"] = W.FloatText(value=float(duration), description="duration (ms)",
                                        style={"description_width": "100px"}, layout=W.Layout(width="220px"))
        c["run.controls"] = W.SelectMultiple(options=[], description="sliders", rows=5,
                                             layout=W.Layout(width="330px"))
        c["run.traces"] = W.SelectMultiple(options=[], description="traces", rows=5, layout=W.Layout(width="330px"))
        c["run"] = W.Button(description="run", icon="play", button_style="primary", layout=W.Layout(width="120px"))
        c["export_code"] = W.Button(description="export code", icon="code", layout=W.Layout(width="140px"))
        c["notebook.path"] = W.Text(value="network_builder.ipynb", description="notebook",
                                    layout=W.Layout(width="300px"), style={"description_width": "70px"})
        c["export_notebook"] = W.Button(description="export notebook", icon="book", layout=W.Layout(width="160px"))
        c["code"] = W.Textarea(value="", layout=W.Layout(width="100%", height="220px", display="none"))
        self.live_area = W.VBox([])
        self.code_area = W.Output()

        self.on_click(c["load_template"], self._load_template, "load template")
        self.on_click(c["undo"], self.undo, "undo")
        self.on_click(c["redo"], self.redo, "redo")
        self.on_click(c["delete"], lambda: self.delete(self._selected or ""), "delete")
        self.on_click(c["new"], lambda: self.select(None), "new")
        self.on_change(c["select"], lambda v: self.select(v or None), "select")
        self.on_click(c["run"], lambda: self.run(), "run")
        self.on_click(c["export_code"], self.show_code, "export code")
        self.on_click(c["export_notebook"], lambda: self.export_notebook(c["notebook.path"].value), "export notebook")
        self._refresh(self.history.current)
        self.select(None)

    # -- the network the description gives -------------------------------------------------------------------
    def _names(self) -> set[str]:
        return {path for _, path in items(self.history.peek)}

    def _populations(self) -> dict[str, type]:
        """The populations of the current description: name -> class."""
        import brainlab as bl

        classes = neuron_classes()
        out = {}
        for e in self.history.peek.get("populations", []):
            cls = classes.get(e["model"]) or getattr(bl.inputs, e["model"], None)
            if cls is not None:
                out[e["path"]] = cls
        return out

    # -- selection -------------------------------------------------------------------------------------------
    def select(self, path: str | None) -> None:
        """Open the form of ``path`` filled in (``None``: empty forms for a new part)."""
        desc = self.history.current
        self._selected = path
        self._loading = True
        try:
            if path is None:
                for form in self.forms.values():
                    form.load(None)
            else:
                kind, entry = find(desc, path)
                tab = "input" if kind == "input" or entry.get("module") == "brainlab.inputs" else kind
                self.forms[tab].load(entry)
                self.controls["tabs"].selected_index = _TABS.index(tab)
        finally:
            self._loading = False
        for k in _TABS:
            self.controls[f"update_{k}"].disabled = path is None
            self.form_errors[k].value = ""
        self.controls["delete"].disabled = path is None
        self.diagram.highlight(path)
        sel = self.controls["select"]
        if sel.value != (path or ""):
            self._busy = True
            try:
                sel.value = path or ""
            finally:
                self._busy = False

    def _pick(self, path: str) -> None:
        """A click on the diagram picked ``path``: open its form, as choosing it in ``controls['select']`` does."""
        if path in self._names():
            self.select(path)
            self.set_status(f"opened {path} (clicked in the diagram)", "ok")

    def click_diagram(self, x: float, y: float) -> str | None:
        """Do what a click at ``(x, y)`` on the diagram does (diagram coordinates: the static SVG's, with ``y``
        negated); returns the part it opened, or ``None`` for empty space."""
        path = self.diagram.pick(float(x), float(y))
        if path is not None:
            self._pick(path)
        return path

    def svg(self) -> str:
        """The static SVG diagram of the network (the one notebook viewers without brainlab show)."""
        from .._mime import network_bundle

        return network_bundle(self.net)["image/svg+xml"]

    # -- form buttons ----------------------------------------------------------------------------------------
    def _form_entry(self, tab: str) -> tuple[str, dict[str, Any]]:
        form = self.forms[tab]
        kind = form.item_kind if isinstance(form, InputForm) else tab
        try:
            return kind, form.entry()
        except Exception as exc:
            self.form_errors[tab].value = f'<span style="color:#b00020">{html.escape(str(exc))}</span>'
            raise

    def _form_add(self, tab: str) -> None:
        kind, entry = self._form_entry(tab)
        self.forms[tab].editing = None
        self._put(kind, entry, None, f"added {kind} {entry['path']}", tab)

    def _form_update(self, tab: str) -> None:
        if self._selected is None:
            raise ValueError("NetworkBuilder: choose a part in the list first; update changes the chosen part.")
        kind, entry = self._form_entry(tab)
        self._put(kind, entry, self._selected, f"updated {kind} {entry['path']}", tab)

    def _template_desc(self, name: str, n: int, seed: int) -> dict[str, Any]:
        desc = template(name, n, seed)
        code = template_code(name, n, seed)
        if code is not None:
            self._known_code.append((desc, code))
        return desc

    def _load_template(self) -> None:
        name = self.controls["template"].value
        desc = self._template_desc(name, self.controls["template.n"].value, self.controls["template.seed"].value)
        self._commit(desc, f"loaded template {name}")

    # -- after a change --------------------------------------------------------------------------------------
    def _refresh(self, desc: dict[str, Any]) -> None:
        """Lists, choices, diagram and summary for the current network."""
        net = self.net
        labels = [("(new)", "")]
        for kind, path in items(desc):
            _, entry = find(desc, path)
            if kind == "projection":
                labels.append((f"{path}: {entry['pre']} → {entry['post']} (projection)", path))
            elif kind == "input":
                labels.append((f"{path}: {entry['model']} → {entry.get('post')} (input)", path))
            else:
                labels.append((f"{path}: {entry['model']} n={entry.get('size')} (population)", path))
        self._busy = True
        try:
            sel = self.controls["select"]
            keep = sel.value if sel.value in {v for _, v in labels} else ""
            sel.options = labels
            sel.value = keep
        finally:
            self._busy = False
        pops = list(self._populations())
        spiking = [p for p, cls in self._populations().items() if getattr(cls, "SPIKING", True)]
        self._loading = True
        try:
            for form in self.forms.values():
                form.refresh(pops, spiking)
        finally:
            self._loading = False
        self.diagram.show(net)
        self.summary.value = f"<pre style='font-size:85%'>{html.escape(net.summary())}</pre>"
        states = net.states()
        params = [p for p, s in states.items() if getattr(s, "kind", "") == "param"]
        traces = [p for p, s in states.items() if getattr(s, "kind", "") != "param" and p.split(".")[0] in pops
                  and len(p.split(".")) == 2 and p.split(".")[1] not in ("spike", "t_last_spike")]
        for name, options in (("run.controls", params), ("run.traces", traces)):
            w = self.controls[name]
            keep = tuple(v for v in w.value if v in options)
            w.options = options
            w.value = keep
        self.controls["undo"].disabled = not self.history.can_undo
        self.controls["redo"].disabled = not self.history.can_redo

    # -- export ----------------------------------------------------------------------------------------------
    def code(self) -> str:
        """Python that builds this network as ``net`` and runs it as configured, as ``res``: for the live run's
        time with its slider moves replayed at their times, else for ``controls['run.duration']`` ms."""
        live = self.live
        if live is not None and live.t > 0:
            duration, changes = live.t, list(live.changes)
        else:
            duration, changes = float(self.controls["run.duration"].value), []
        desc = self.history.current
        build = next((code for known, code in reversed(self._known_code) if known == desc), None)
        return builder_code(desc, duration, changes, self._monitors(), build)

    def show_code(self) -> str:
        """Show :meth:`code` in the code box and as a code output (*insert as a new cell* in JupyterLab)."""
        from .._mime import code_bundle

        code = self.code()
        box = self.controls["code"]
        box.value = code
        box.layout.display = "block"
        bundle = code_bundle(code, "NetworkBuilder: build and run the network")
        self.code_area.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)
        self.set_status("code exported: copy it from the box, or insert it as a new cell", "ok")
        return code

    def export_notebook(self, path: str | Path) -> Path:
        """Write a notebook with :meth:`code` and a raster of its run to ``path`` (``.ipynb``)."""
        target = write_notebook(path, self.code())
        self.set_status(f"wrote {target}", "ok")
        return target

    def data(self) -> dict[str, Any]:
        """The network description (``'network'``, JSON text) and, after a run, what the live run shows (every
        source column, ``'raster/t'`` ...)."""
        out: dict[str, Any] = {"network": json.dumps(self.history.current)}
        out.update(super().data())
        return out

    # -- layout ----------------------------------------------------------------------------------------------
    def _build_layout(self) -> W.Widget:
        c = self.controls
        for name, w in c.items():
            if isinstance(w, W.DOMWidget) and css_class(name) not in w._dom_classes:
                w.add_class(css_class(name))  # the page finds a control by its name: controls['run'] is .bl-run
        top = W.HBox([c["template"], c["template.n"], c["template.seed"], c["load_template"], c["undo"], c["redo"]])
        parts = W.HBox([c["select"], c["new"], c["delete"]])
        right = W.VBox([self.summary], layout=W.Layout(margin="0 0 0 12px"))
        view = self.bokeh_view(self.diagram.figure)
        view.add_class("bl-diagram")
        run = W.HBox([c["run.duration"], c["run.controls"], c["run.traces"], c["run"]])
        export = W.HBox([c["export_code"], c["notebook.path"], c["export_notebook"]])
        children = [top, view, parts, W.HBox([c["tabs"], right]), self.status, run, self.live_area, export, c["code"],
                    self.code_area]
        if hasattr(self, "export_bar"):
            children.append(self.export_bar("network_builder"))
        return W.VBox(children)

    def _close_extra(self) -> None:
        if self.live is not None:
            self.live.close()
            self.live = None
