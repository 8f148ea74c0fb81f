r"""The edits of a :class:`~brainlab.widgets.NetworkBuilder` as methods, for code and tests (the forms' buttons
end in the same :meth:`BuilderOps._commit`): add, edit, delete, undo, redo, build, run."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np

from ._builder_state import find, put, remove

__all__ = ["BuilderOps"]

_INPUT_MODULES = ("PoissonSpikes", "PoissonInput", "OUNoise", "SpikeTimes")


def _component(value: Any, who: str) -> dict[str, Any] | None:
    """A synapse, output or stp given as a name (``'Expon'``), a dict or a model object, as description data."""
    if value is None:
        return None
    if isinstance(value, str):
        return {"model": value, "params": {}}
    if isinstance(value, dict):
        if "model" not in value:
            raise ValueError(f"NetworkBuilder: {who} must name its model, e.g. {{'model': 'Expon', 'params': "
                             f"{{'tau': 5.0}}}}; got {value!r}.")
        return {"model": value["model"], "params": dict(value.get("params", {}))}
    if isinstance(value, type):
        return {"model": value.__name__, "params": {}}
    params = {}
    for p in getattr(type(value), "PARAMETERS", ()):
        state = getattr(value, p.name, None)
        raw = getattr(state, "value", state) if state is not None else getattr(value, "_spec", {}).get(p.name)
        if raw is not None:
            params[p.name] = float(np.asarray(raw))
    return {"model": type(value).__name__, "params": params}


def _conn(value: Any) -> dict[str, Any]:
    """A connectivity rule given as a dict (``{'rule': 'FixedProb', 'prob': 0.1, 'seed': 0}``) or a rule object."""
    if isinstance(value, dict):
        if "rule" not in value:
            raise ValueError(f"NetworkBuilder: conn must name its rule, e.g. {{'rule': 'FixedProb', 'prob': 0.1, "
                             f"'seed': 0}}; got {value!r}.")
        return dict(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"rule": type(value).__name__, **{f.name: getattr(value, f.name) for f in dataclasses.fields(value)}}
    raise TypeError(f"NetworkBuilder: conn must be a rule such as bl.conn.FixedProb(0.1, seed=0) or its dict "
                    f"{{'rule': 'FixedProb', 'prob': 0.1, 'seed': 0}}, got {type(value).__name__}.")


class BuilderOps:
    """Mixed into :class:`~brainlab.widgets.NetworkBuilder`; see there."""

    # -- committing ------------------------------------------------------------------------------------------
    def _commit(self, desc: dict[str, Any], what: str) -> None:
        """Build ``desc``; when that works, keep it (a new undo step) and show it; else raise (nothing changes)."""
        from .._network import Network

        net = Network.from_dict(desc)
        self.history.push(desc)
        self._show(net, what)

    def _show(self, net: Any, what: str) -> None:
        self.net = net
        if self.live is not None:  # a run of the old network: its record and slider log no longer apply
            self.live.close()
            self.live = None
            self.live_area.children = []
            self._keep_only_diagram()
        self._refresh(self.history.current)
        if self._selected is not None and self._selected not in self._names():
            self.select(None)
        self.set_status(what, "ok")

    def _keep_only_diagram(self) -> None:
        """Figures and sources: the diagram's only (a live run's go with it)."""
        self.figures.clear()
        self.figures["diagram"] = self.diagram.figure
        self.sources.clear()
        self.sources.update(self.diagram.sources)

    def _put(self, kind: str, entry: dict[str, Any], replaces: str | None, what: str, tab: str | None = None) -> None:
        try:
            self._commit(put(self.history.current, kind, entry, replaces), what)
        except Exception as exc:
            if tab is not None:
                import html

                self.form_errors[tab].value = f'<span style="color:#b00020">{html.escape(str(exc))}</span>'
            raise
        if tab is not None:
            self.form_errors[tab].value = ""
        self.select(entry["path"])

    # -- whole-network checks as a form changes --------------------------------------------------------------
    def _watch(self, tab: str) -> None:
        """Run :meth:`check_network` after every change of the form ``tab``: a field (each section's
        ``on_change``), a model list (a picker's dropdown), the connectivity rule."""
        import ipywidgets as W

        from ._builder_fields import Section
        from ._builder_parts import Picker

        form = self.forms[tab]
        for part in list(vars(form).values()):
            section = part.section if isinstance(part, Picker) else part
            if isinstance(section, Section):
                section.on_change = lambda old=section.on_change: (old(), self.check_network(tab))
            dropdown = part.dropdown if isinstance(part, Picker) else part
            if isinstance(dropdown, W.Dropdown):
                dropdown.observe(lambda _c: self.check_network(tab), names="value")

    def check_network(self, tab: str) -> str:
        r"""Check the network the form ``tab`` would make (the chosen part updated, or a new part added): build
        that description with ``bl.Network.from_dict`` in a ``try`` and show its error under the form (errors of
        the whole network, such as a ``OneToOne`` projection between populations of different sizes, which no
        field explains alone).  Nothing is kept.  Skipped while the form shows field errors.  Returns the
        message (``''``: none)."""
        import html

        from .._network import Network
        from ._builder_fields import error_text
        from ._builder_forms import InputForm

        if self._loading or self._closed:
            return ""
        form = self.forms[tab]
        message = ""
        if not form.messages:
            try:
                kind = form.item_kind if isinstance(form, InputForm) else tab
                replaces = self._selected if self._selected is not None and form.editing == self._selected else None
                Network.from_dict(put(self.history.peek, kind, form._entry(), replaces))
            except Exception as exc:
                message = f"the network: {error_text(exc)}"
        self.form_errors[tab].value = (f'<span style="color:#b00020">{html.escape(message)}</span>' if message
                                       else "")
        return message

    # -- edits -----------------------------------------------------------------------------------------------
    def add_population(self, name: str, model: str = "LIF", size: int | tuple[int, ...] = 100,
                       **params: Any) -> None:
        r"""Add a population of ``size`` neurons of ``model`` (a class name of ``bl.catalog('neuron')``) with
        these parameter values (the rest at the model's defaults); a ``ValueError`` or ``TypeError`` with the
        model's message when they are wrong, and nothing changes."""
        entry = {"path": name, "model": model, "module": "brainlab.neurons", "size": size, "params": params}
        self._put("population", entry, None, f"added population {name}")

    def add_input(self, name: str, kind: str = "PoissonInput", target: str | None = None, *,
                  seed: int | None = 0, **fields: Any) -> None:
        r"""Add an input: ``kind='PoissonSpikes'`` (``size``, ``rate_hz``: spike sources, a population to
        project from), ``'PoissonInput'`` (onto ``target``: ``n_inputs``, ``rate_hz`` in Hz, ``weight``, and
        optionally ``synapse``, ``output``) or ``'OUNoise'`` (onto ``target``: ``mean``, ``sigma``, ``tau`` in ms).
        """
        if kind not in ("PoissonSpikes", "PoissonInput", "OUNoise"):
            raise ValueError(f"NetworkBuilder.add_input: kind must be 'PoissonSpikes', 'PoissonInput' or 'OUNoise', "
                             f"got {kind!r}.")
        entry: dict[str, Any] = {"path": name, "model": kind, "module": "brainlab.inputs", "seed": seed}
        if kind == "PoissonSpikes":
            entry.update({"size": fields.pop("size", 100), "params": {"rate_hz": fields.pop("rate_hz", 10.0)}})
            item = "population"
        else:
            if target is None:
                raise ValueError(f"NetworkBuilder.add_input: a {kind} needs target= (the population it drives).")
            entry["post"] = target
            if kind == "PoissonInput":
                entry.update({"n_inputs": fields.pop("n_inputs", 100),
                              "params": {"rate_hz": fields.pop("rate_hz", 10.0), "weight": fields.pop("weight", 0.5)},
                              "synapse": _component(fields.pop("synapse", "Delta"), "synapse"),
                              "output": _component(fields.pop("output", "CUBA"), "output")})
            else:
                entry["params"] = {k: fields.pop(k) for k in ("mean", "sigma", "tau") if k in fields}
            item = "input"
        if fields:
            raise TypeError(f"NetworkBuilder.add_input: {kind} takes no {', '.join(map(repr, fields))}.")
        self._put(item, entry, None, f"added input {name}")

    def add_projection(self, name: str, pre: str, post: str, conn: Any = None, synapse: Any = "Expon",
                       output: Any = "COBA", weight: float = 1.0, delay: float | None = None, *,
                       stp: Any = None) -> None:
        r"""Add a projection from ``pre`` to ``post``: ``conn`` a rule (``bl.conn.FixedProb(0.1, seed=0)`` or
        ``{'rule': 'FixedProb', 'prob': 0.1, 'seed': 0}``; default that one), ``synapse``, ``output`` and ``stp``
        by name (``'Expon'``), as ``{'model': 'Expon', 'params': {'tau': 5.0}}`` or as model objects; ``weight``
        (nS for COBA), ``delay`` (ms, a multiple of the time step, or ``None``)."""
        entry = {"path": name, "pre": pre, "post": post,
                 "conn": _conn(conn if conn is not None else {"rule": "FixedProb", "prob": 0.1, "seed": 0}),
                 "synapse": _component(synapse, "synapse"), "output": _component(output, "output"),
                 "stp": _component(stp, "stp"), "weight": weight, "delay": delay}
        self._put("projection", entry, None, f"added projection {name}")

    def edit(self, name: str, /, **fields: Any) -> None:
        r"""Change the part ``name``: ``name=`` renames it (its users follow); a key of its entry (``size``,
        ``model``, ``weight``, ``delay``, ``pre``, ``post``, ``conn``, ``synapse``, ``output``, ``stp``,
        ``n_inputs``, ``seed``) replaces that; a parameter (``tau=10.``), a rule field (``prob=0.05``) or an input
        parameter (``rate_hz=20.``) changes that value only."""
        kind, entry = find(self.history.current, name)
        entry = copy.deepcopy(entry)
        for key, value in fields.items():
            conn = entry.get("conn")
            if key == "name":
                entry["path"] = value
            elif key in ("synapse", "output", "stp"):
                entry[key] = _component(value, key)
            elif key == "conn":
                entry[key] = _conn(value)
            elif key in entry and key not in ("path", "module", "params"):
                entry[key] = value
            elif isinstance(conn, dict) and (key in conn or _rule_field(conn["rule"], key)):
                conn[key] = value
            elif key in _declared(entry) or key in entry.get("params", {}):
                entry.setdefault("params", {})[key] = value
            elif key in ("delay", "stp", "seed", "weight"):
                entry[key] = value
            else:
                raise TypeError(f"NetworkBuilder.edit({name!r}): {key!r} is no field of this {kind}; fields: "
                                f"{', '.join(sorted(_fields(entry)))}.")
        self._put(kind, entry, name, f"edited {kind} {name}")

    def delete(self, name: str) -> None:
        """Remove the part ``name`` (a population goes with the projections and inputs that use it)."""
        if not name:
            raise ValueError("NetworkBuilder.delete: choose a part in the list first.")
        self._commit(remove(self.history.current, name), f"deleted {name}")

    def undo(self) -> None:
        """Go back to the network before the last change."""
        from .._network import Network

        desc = self.history.undo()
        self._show(Network.from_dict(desc), "undone")
        self.select(self._selected if self._selected in self._names() else None)

    def redo(self) -> None:
        """Make the last undone change again."""
        from .._network import Network

        desc = self.history.redo()
        self._show(Network.from_dict(desc), "redone")
        self.select(self._selected if self._selected in self._names() else None)

    def network_dict(self) -> dict[str, Any]:
        """The description of the network now (a copy: ``net.to_dict()`` format)."""
        return self.history.current

    def build(self) -> Any:
        """A new :class:`~brainlab.Network` built from the current description (its initial state, t = 0)."""
        from .._network import Network

        return Network.from_dict(self.history.current)

    # -- running ---------------------------------------------------------------------------------------------
    def _monitors(self) -> dict[str, tuple[str, list[int]]]:
        out = {}
        states = self.net.states()
        for path in self.controls["run.traces"].value:
            n = int(np.prod(states[path].shape)) if path in states and states[path].shape else 1
            out[path] = (path, list(range(min(3, n))))
        return out

    def run(self, duration: float | None = None, *, controls: Any = None, traces: Any = None,
            start: bool = True, **live_args: Any) -> Any:
        r"""Run a fresh copy of the network in a :class:`~brainlab.widgets.LiveRun` shown below the forms
        (raster, rates, the traces chosen in ``controls['run.traces']``, sliders for those in
        ``controls['run.controls']``), started at once when an event loop runs (a notebook); returns it.

        ``duration`` (ms), ``controls`` and ``traces`` override the page's choices; other keyword arguments go to
        ``LiveRun`` (``speed=500.``, ``every=50.`` ...)."""
        from ._live import LiveRun
        from ._live_args import running_loop
        from ._live_paths import resolve_control

        if duration is not None:
            self.controls["run.duration"].value = float(duration)
        if controls is not None:
            self.controls["run.controls"].value = tuple(controls)
        if traces is not None:
            self.controls["run.traces"].value = tuple(traces)
        if self.live is not None:
            self.live.close()
        net = self.build()
        self.net = net
        sliders: dict[str, Any] = {}
        for path in self.controls["run.controls"].value:
            target = resolve_control(net, path, "NetworkBuilder.run")
            if target.parameter is None:
                v = target.value
                sliders[path] = (min(0.0, 2 * v), max(0.0, 2 * v)) if v != 0 else (-1.0, 1.0)
            else:
                sliders[path] = None
        traces_arg = {p: idx for p, (_, idx) in self._monitors().items()} or None
        self.live = LiveRun(net, raster=True, rates=True, traces=traces_arg, controls=sliders,
                            duration=float(self.controls["run.duration"].value), title="network builder run",
                            **live_args)
        self.live_area.children = [self.live.widget]
        self._keep_only_diagram()
        self.figures.update(self.live.figures)
        self.sources.update(self.live.sources)
        if start and running_loop() is not None:
            self.live.start()
        self.set_status("running" if self.live.running else "ready to run: press start", "busy")
        return self.live


def _declared(entry: dict[str, Any]) -> set[str]:
    from ._builder_forms import neuron_classes

    cls = neuron_classes().get(entry.get("model", ""))
    return {p.name for p in getattr(cls, "PARAMETERS", ())}


def _rule_field(rule: str, key: str) -> bool:
    import brainlab as bl

    cls = getattr(bl.conn, rule, None)
    return cls is not None and dataclasses.is_dataclass(cls) and key in {f.name for f in dataclasses.fields(cls)}


def _fields(entry: dict[str, Any]) -> set[str]:
    out = {"name"} | {k for k in entry if k not in ("path", "module", "params")}
    out |= set(entry.get("params", {})) | _declared(entry)
    if isinstance(entry.get("conn"), dict):
        out |= {k for k in entry["conn"] if k != "rule"}
    return out
