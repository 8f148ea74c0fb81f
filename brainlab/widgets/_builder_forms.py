r"""The three forms of the :class:`~brainlab.widgets.NetworkBuilder`: a population, an input, a projection.

Each form turns its fields into one entry of a network description (``net.to_dict()`` format, see
:mod:`brainlab.widgets._builder_state`) and shows an existing entry for editing.  Its fields are checked as they
change by building the piece they describe (a neuron model, a connectivity rule, a synapse ...) in a ``try``;
the piece's own error message appears beside the field (:mod:`brainlab.widgets._builder_fields`), and
:meth:`Form.entry` refuses to produce an entry while any message is shown.

Control names (``panel.controls[...]``): ``pop.name``, ``pop.model``, ``pop.size`` and ``pop.<parameter>``;
``input.name``, ``input.kind``, ``input.size``, ``input.target``, ``input.n_inputs``, ``input.rate_hz``,
``input.weight``, ``input.mean``, ``input.sigma``, ``input.tau``, ``input.seed``, ``input.synapse``
(``input.syn.<parameter>``), ``input.output`` (``input.out.<parameter>``); ``proj.name``, ``proj.pre``,
``proj.post``, ``proj.rule`` (``proj.rule.<field>``), ``proj.synapse`` (``proj.syn.<parameter>``),
``proj.output`` (``proj.out.<parameter>``), ``proj.weight``, ``proj.delay``, ``proj.stp``
(``proj.stp.<parameter>``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from ._builder_fields import FieldSpec, Section, css_class, parameter_specs
from ._builder_parts import (NONE, Form, Picker, choices, identifier, neuron_classes, nothing, output_classes,
                             stp_classes, synapse_classes)

__all__ = ["PopulationForm", "InputForm", "ProjectionForm", "neuron_classes", "RULES"]

# Connectivity rules offered in the form: their fields (kind, default); seeds default to a concrete number so that
# the same description always gives the same network.
RULES: dict[str, list[tuple[str, str, Any]]] = {
    "FixedProb": [("prob", "float", 0.1), ("allow_multapses", "bool", False), ("include_self", "bool", True),
                  ("seed", "optint", 0)],
    "FixedPostNum": [("num", "int", 10), ("include_self", "bool", True), ("allow_multapses", "bool", False),
                     ("seed", "optint", 0)],
    "FixedPreNum": [("num", "int", 10), ("include_self", "bool", True), ("allow_multapses", "bool", False),
                    ("seed", "optint", 0)],
    "AllToAll": [("include_self", "bool", True)],
    "OneToOne": [],
    "GaussianProb": [("sigma", "float", 2.0), ("max_prob", "float", 1.0), ("periodic", "bool", False),
                     ("include_self", "bool", True), ("seed", "optint", 0), ("truncate", "float", 4.0)],
}
class PopulationForm(Form):
    """A population of neurons: name, model (``bl.catalog('neuron')``), size, the model's parameters."""

    kind, prefix = "population", "pop"

    def __init__(self, controls: dict[str, Any], taken: Callable[[], set[str]]):
        super().__init__(controls, taken)
        self.classes = neuron_classes()
        models = list(self.classes)
        self.head = Section("pop", [FieldSpec("name", "text", "P1"), FieldSpec("model", "choice", "LIF",
                                                                               options=tuple(models)),
                                    FieldSpec("size", "int", 100, doc="the number of neurons")],
                            nothing, controls, on_change=self.changed,
                            checks={"name": lambda v: identifier("population", v, self.taken()),
                                    "size": self._check_size})
        self._model = "LIF"
        self.params = Section("pop", *self._param_specs("LIF"), controls=controls)
        self.sections = [self.head, self.params]
        self.box = W.VBox([self.head.box, W.HTML("<b>parameters</b>"), self.params.box])

    def _check_size(self, size: Any) -> None:
        from .._model import _normalise_size

        size = self._base.get("size") if isinstance(self._base.get("size"), list) and size == math.prod(
            self._base["size"]) else size  # a grid shape (shown as its number of neurons) is kept
        _normalise_size(self.head.fields["model"].widget.value, size)

    def _size(self) -> Any:
        try:
            size = self.head.values()["size"]
            return size if isinstance(size, int) and size > 0 else 1
        except Exception:
            return 1

    def _param_specs(self, model: str) -> tuple[list[FieldSpec], Callable[[dict[str, Any]], Any]]:
        cls = self.classes.get(model)
        if cls is None:  # a model outside the catalog: its parameters are kept as they are
            return [], nothing
        return parameter_specs(cls.PARAMETERS), lambda v: cls(self._size(), **v)

    def changed(self) -> None:
        model = self.head.fields["model"].widget.value
        if model != self._model:
            self._model = model
            self.params.replace(*self._param_specs(model))
        else:
            self.params.check()

    def _entry(self) -> dict[str, Any]:
        head = self.head.values()
        entry = copy.deepcopy(self._base) if self._base.get("model") == head["model"] else {}
        size = self._base.get("size")
        keep = isinstance(size, list) and head["size"] == math.prod(size)  # a grid shape, its count unchanged
        entry.update({"path": head["name"], "model": head["model"], "size": size if keep else head["size"]})
        if head["model"] in self.classes:
            entry.update({"module": "brainlab.neurons", "params": {**entry.get("params", {}), **self.params.values()}})
        return entry

    def _load(self, entry: dict[str, Any] | None) -> None:
        if entry is None:
            n = 1
            while f"P{n}" in self._taken():
                n += 1
            entry = {"path": f"P{n}", "model": self.head.fields["model"].widget.value, "size": 100}
        size = entry.get("size", 100)
        self.head.set_values({"name": entry["path"], "model": entry["model"],
                              "size": size if isinstance(size, int) else math.prod(size)})
        self._model = entry["model"]
        self.params.show(*self._param_specs(entry["model"]), values=entry.get("params", {}))


_INPUT_KINDS = ("PoissonSpikes", "PoissonInput", "OUNoise")


class InputForm(Form):
    r"""An input: Poisson spike sources (a population to project from), a Poisson input onto a population (a
    summed Poisson drive through a synapse) or an Ornstein-Uhlenbeck current (``sigma = 0``: a constant one)."""

    kind, prefix = "input", "input"

    def __init__(self, controls: dict[str, Any], taken: Callable[[], set[str]], network: Callable[[], Any]):
        super().__init__(controls, taken)
        self._network = network  # the populations the target can be (name -> class)
        self.head = Section("input", [FieldSpec("name", "text", "drive"),
                                      FieldSpec("kind", "choice", "PoissonInput", options=_INPUT_KINDS)],
                            nothing, controls, on_change=self.changed,
                            checks={"name": lambda v: identifier("input", v, self.taken())})
        self._kind = "PoissonInput"
        self.body = Section("input", *self._body("PoissonInput"), controls=controls)
        self.synapse = Picker("input.synapse", "input.syn", synapse_classes(post_state_only=True), "Delta",
                              controls, self.body.check, "synapse")
        self.output = Picker("input.output", "input.out", output_classes(), "CUBA", controls, self.body.check,
                             "output")
        self.sections, self.pickers = [self.head, self.body], [self.synapse, self.output]
        self.box = W.VBox([self.head.box, self.body.box, self.synapse.box, self.output.box])
        self._show_pickers()

    def _target_class(self, name: Any) -> type:
        pops = self._network()
        if name not in pops:
            raise ValueError(f"input: target must be a population of the network ({', '.join(pops) or 'none yet'}); "
                             f"got {name!r}. Add a population first.")
        return pops[name]

    def _body(self, kind: str) -> tuple[list[FieldSpec], Callable[[dict[str, Any]], Any]]:
        import brainlab as bl

        targets = tuple(self._network()) or ("",)
        target = FieldSpec("target", "choice", targets[0], options=targets, doc="the population it drives")
        seed = FieldSpec("seed", "optint", 0, doc="seed of its random numbers (empty: fresh entropy)")
        if kind not in _INPUT_KINDS:  # SpikeTimes ...: kept as it is, only renamed
            return [], nothing
        if kind == "PoissonSpikes":
            specs = [FieldSpec("size", "int", 100, doc="the number of sources"),
                     FieldSpec("rate_hz", "float", 10.0, "Hz", "rate of each source"), seed]
            return specs, lambda v: bl.inputs.PoissonSpikes(v["size"], rate_hz=v["rate_hz"], seed=v["seed"])
        if kind == "PoissonInput":
            specs = [target, FieldSpec("n_inputs", "int", 100, doc="Poisson sources per neuron"),
                     FieldSpec("rate_hz", "float", 10.0, "Hz", "rate of each source"),
                     FieldSpec("weight", "float", 0.5, doc="weight of each source (the synapse's unit)"), seed]

            def make(v: dict[str, Any]) -> Any:
                comp = {p.section.prefix: p.component() for p in getattr(self, "pickers", [])}
                syn, out = comp.get("input.syn"), comp.get("input.out")
                return bl.inputs.PoissonInput(
                    self._target_class(v["target"])(1), v["n_inputs"], v["rate_hz"], v["weight"], seed=v["seed"],
                    synapse=None if syn is None else getattr(bl.synapses, syn["model"])(**syn["params"]),
                    output=None if out is None else getattr(bl.outputs, out["model"])(**out["params"]))
            return specs, make
        specs = [target, FieldSpec("mean", "float", 0.0, doc="mean current (the target's current unit)"),
                 FieldSpec("sigma", "float", 1.0, doc="stationary standard deviation (>= 0; 0: a constant current)"),
                 FieldSpec("tau", "float", 10.0, "ms", "correlation time (> 0)"), seed]
        return specs, lambda v: bl.inputs.OUNoise(self._target_class(v["target"])(1), v["mean"], v["sigma"],
                                                  v["tau"], seed=v["seed"])

    def _show_pickers(self) -> None:
        shown = "flex" if self._kind == "PoissonInput" else "none"
        self.synapse.box.layout.display = shown
        self.output.box.layout.display = shown
        self.pickers = [self.synapse, self.output] if self._kind == "PoissonInput" else []

    def changed(self) -> None:
        kind = self.head.fields["kind"].widget.value
        if kind != self._kind:
            self._kind = kind
            self.body.replace(*self._body(kind))
            self._show_pickers()

    def refresh(self, populations: list[str], spiking: list[str]) -> None:
        if "target" in self.body.fields:
            choices(self.body.fields["target"].widget, populations)
            self.body.check()

    @property
    def item_kind(self) -> str:
        """Where the entry goes: spike sources are populations, the others inputs."""
        return "input" if self.head.fields["kind"].widget.value in ("PoissonInput", "OUNoise") else "population"

    def _entry(self) -> dict[str, Any]:
        head, v = self.head.values(), self.body.values()
        kind = head["kind"]
        entry = copy.deepcopy(self._base) if self._base.get("model") == kind else {}
        if kind not in _INPUT_KINDS:
            return {**entry, "path": head["name"]}
        entry.update({"path": head["name"], "model": kind, "module": "brainlab.inputs", "seed": v["seed"]})
        if kind == "PoissonSpikes":
            entry.update({"size": v["size"], "params": {"rate_hz": v["rate_hz"]}})
        elif kind == "PoissonInput":
            entry.update({"post": v["target"], "n_inputs": v["n_inputs"],
                          "params": {"rate_hz": v["rate_hz"], "weight": v["weight"]},
                          "synapse": self.synapse.component(), "output": self.output.component()})
        else:
            entry.update({"post": v["target"], "params": {k: v[k] for k in ("mean", "sigma", "tau")}})
        return entry

    def _load(self, entry: dict[str, Any] | None) -> None:
        if entry is None:
            n = 1
            while f"drive{n}" in self._taken():
                n += 1
            entry = {"path": f"drive{n}", "model": self.head.fields["kind"].widget.value}
        self.head.set_values({"name": entry["path"], "kind": entry["model"]})
        self._kind = entry["model"]
        self._show_pickers()
        values = dict(entry.get("params", {}))
        for key in ("size", "n_inputs", "seed"):
            if key in entry:
                values[key] = entry[key]
        if "post" in entry:
            values["target"] = entry["post"]
        self.body.show(*self._body(entry["model"]), values=values)
        if entry["model"] == "PoissonInput":
            self.synapse.load(entry.get("synapse") or {"model": "Delta", "params": {}})
            self.output.load(entry.get("output") or {"model": "CUBA", "params": {}})


class ProjectionForm(Form):
    """A projection: pre, post, a connectivity rule, a synapse, an output, weight, delay, short-term plasticity."""

    kind, prefix = "projection", "proj"

    def __init__(self, controls: dict[str, Any], taken: Callable[[], set[str]], network: Callable[[], Any]):
        super().__init__(controls, taken)
        self._network = network
        self.head = Section("proj", [FieldSpec("name", "text", "proj1"), FieldSpec("pre", "choice", "", options=("",)),
                                     FieldSpec("post", "choice", "", options=("",))],
                            nothing, controls, on_change=self.changed,
                            checks={"name": lambda v: identifier("projection", v, self.taken()),
                                    "pre": lambda v: self._end("pre", v, spiking=True),
                                    "post": lambda v: self._end("post", v)})
        self.rule = W.Dropdown(options=list(RULES), value="FixedProb", description="connectivity",
                               style={"description_width": "150px"}, layout=W.Layout(width="330px"))
        controls["proj.rule"] = self.rule
        self.rule.add_class(css_class("proj.rule"))
        self.rule_fields = Section("proj.rule", *self._rule_specs("FixedProb"), controls=controls)
        self.rule.observe(lambda c: self.rule_fields.replace(*self._rule_specs(c["new"])), names="value")
        self.synapse = Picker("proj.synapse", "proj.syn", synapse_classes(), "Expon", controls, self.changed,
                              "synapse")
        self.output = Picker("proj.output", "proj.out", output_classes(), "COBA", controls, self.changed, "output")
        self.amounts = Section("proj", [FieldSpec("weight", "float", 1.0, doc="weight (nS for COBA, the post's "
                                                 "current unit for CUBA)"),
                                       FieldSpec("delay", "optfloat", None, "ms", "axonal delay (empty: none); a "
                                                 "multiple of the time step")],
                              nothing, controls, checks={"weight": self._check_weight, "delay": self._check_delay})
        self.stp = Picker("proj.stp", "proj.stp", stp_classes(), NONE, controls, self.changed,
                          "short-term plast.", optional=True)
        self.sections, self.pickers = [self.head, self.rule_fields, self.amounts], [self.synapse, self.output, self.stp]
        self.box = W.VBox([self.head.box, self.rule, self.rule_fields.box, self.synapse.box, self.output.box,
                           self.amounts.box, self.stp.box])

    def _end(self, which: str, name: Any, spiking: bool = False) -> None:
        pops = self._network()
        if name not in pops:
            known = ", ".join(pops) or "none yet"
            raise ValueError(f"projection: {which} must be a population of the network ({known}); got {name!r}. "
                             "Add a population first.")
        if spiking and not getattr(pops[name], "SPIKING", True):
            raise ValueError(f"projection: pre ({pops[name].__name__}) emits no spikes; a projection delivers spikes. "
                             "Use a spiking model or Poisson spike sources as pre.")

    def _rule_specs(self, rule: str) -> tuple[list[FieldSpec], Callable[[dict[str, Any]], Any]]:
        import brainlab as bl

        if rule not in RULES:  # a rule the form cannot edit (FromIJ ...): kept as it is
            return [], nothing
        cls = getattr(bl.conn, rule)
        return [FieldSpec(n, k, d) for n, k, d in RULES[rule]], lambda v: cls(**v)

    def _dt(self) -> float:
        pops = self._network()
        head = {n: f.widget.value for n, f in self.head.fields.items()}
        dts = [float(getattr(pops[head[e]], "DEFAULT_DT", 0.1)) for e in ("pre", "post") if head[e] in pops]
        return min(dts) if dts else 0.1

    def _check_weight(self, w: Any) -> None:
        if not (isinstance(w, float) and math.isfinite(w)) and not isinstance(w, (list, tuple)):
            raise ValueError(f"Projection: weight must be a finite number, got {w!r}.")

    def _check_delay(self, d: Any) -> None:
        from .._projection import Projection

        if d is None or isinstance(d, (list, tuple)):
            return
        if d < 0:
            raise ValueError(f"Projection: delay must be >= 0 ms (a spike cannot arrive before it is emitted); got "
                             f"{d:g} ms.")
        Projection._steps_for(d, self._dt(), "delay")

    def _auto_name(self, pre: str, post: str) -> str:
        base = f"{pre}{post}" if f"{pre}{post}".isidentifier() else "proj"
        name, n = base, 1
        while name in self._taken() or name == "proj":
            n += 1
            name = f"{base}{n}"
        return name

    def changed(self) -> None:
        name = self.head.fields["name"].widget
        if self.editing is None and name.value == getattr(self, "_auto", None):  # follow pre and post
            self._auto = self._auto_name(self.head.fields["pre"].widget.value, self.head.fields["post"].widget.value)
            if name.value != self._auto:
                name.value = self._auto
        self.amounts.check()

    def refresh(self, populations: list[str], spiking: list[str]) -> None:
        choices(self.head.fields["pre"].widget, spiking)
        choices(self.head.fields["post"].widget, populations)
        self.head.check()

    def _entry(self) -> dict[str, Any]:
        head, v = self.head.values(), self.amounts.values()
        entry = copy.deepcopy(self._base)
        rule = self.rule.value
        conn = dict(self.rule_fields.values(), rule=rule) if rule in RULES else copy.deepcopy(self._base["conn"])
        entry.update({"path": head["name"], "pre": head["pre"], "post": head["post"], "conn": conn,
                      "synapse": self.synapse.component(), "output": self.output.component(),
                      "stp": self.stp.component(), "weight": v["weight"], "delay": v["delay"]})
        return entry

    def _load(self, entry: dict[str, Any] | None) -> None:
        if entry is None:
            pre, post = self.head.fields["pre"].widget.value, self.head.fields["post"].widget.value
            self._auto = name = self._auto_name(pre, post)
            entry = {"path": name, "pre": pre, "post": post,
                     "conn": {"rule": "FixedProb", "prob": 0.1, "seed": len(self._taken())},
                     "synapse": {"model": "Expon", "params": {"tau": 5.0}},
                     "output": {"model": "COBA", "params": {"E": 0.0}}, "stp": None, "weight": 1.0, "delay": None}
        self.head.set_values({"name": entry["path"], "pre": entry["pre"], "post": entry["post"]})
        conn = entry["conn"]
        if conn["rule"] not in self.rule.options:
            self.rule.options = list(self.rule.options) + [conn["rule"]]
        self.rule.value = conn["rule"]
        self.rule_fields.show(*self._rule_specs(conn["rule"]), values={k: v for k, v in conn.items() if k != "rule"})
        self.synapse.load(entry["synapse"])
        self.output.load(entry["output"])
        self.stp.load(entry.get("stp"))
        self.amounts.set_values({"weight": entry.get("weight", 1.0), "delay": entry.get("delay")})
