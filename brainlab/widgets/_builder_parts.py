r"""Parts the :class:`~brainlab.widgets.NetworkBuilder`'s forms share: the model classes they offer, a
:class:`Picker` (a dropdown of models with the fields of the chosen one) and the :class:`Form` base (sections,
their messages, the entry being edited)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from ._builder_fields import FieldSpec, Section, css_class, parameter_specs

__all__ = ["Picker", "Form", "neuron_classes", "synapse_classes", "stp_classes", "output_classes", "choices",
           "nothing", "identifier", "NONE"]

NONE = "none"


def _classes(kind: str) -> dict[str, type]:
    from .._model import registered_models

    return {cls.__name__: cls for cls in registered_models(kind).values()}


def neuron_classes() -> dict[str, type]:
    """Every neuron model of ``bl.catalog('neuron')``, by class name."""
    return _classes("neuron")


def synapse_classes(post_state_only: bool = False) -> dict[str, type]:
    from ..synapses import AbstractShortTermPlasticity

    return {n: c for n, c in _classes("synapse").items() if not issubclass(c, AbstractShortTermPlasticity)
            and (not post_state_only or c.STATE_ON == "post")}


def stp_classes() -> dict[str, type]:
    from ..synapses import AbstractShortTermPlasticity

    return {n: c for n, c in _classes("synapse").items() if issubclass(c, AbstractShortTermPlasticity)}


def output_classes() -> dict[str, type]:
    import brainlab.outputs as outputs

    return {n: getattr(outputs, n) for n in ("CUBA", "COBA", "MgBlock") if hasattr(outputs, n)}


def nothing(_values: dict[str, Any]) -> None:
    return None


def identifier(owner: str, name: Any, taken: set[str]) -> None:
    if not isinstance(name, str) or not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(f"{owner}: the name must be a Python identifier (letters, digits, _; e.g. 'E'; a part of a "
                         f"nested network: 'sub.E'), got {name!r}.")
    if name in taken:
        raise ValueError(f"{owner}: the name {name!r} is taken by another part of the network; choose another.")


class Picker:
    """A dropdown of models (a synapse, an output, short-term plasticity) and the fields of the chosen one."""

    def __init__(self, name: str, prefix: str, classes: dict[str, type], default: str, controls: dict[str, Any],
                 on_change: Callable[[], Any], label: str, optional: bool = False):
        self.classes, self.prefix, self.controls = classes, prefix, controls
        options = ([NONE] if optional else []) + list(classes)
        self.dropdown = W.Dropdown(options=options, value=default, description=label,
                                   style={"description_width": "150px"}, layout=W.Layout(width="330px"))
        controls[name] = self.dropdown
        self.dropdown.add_class(css_class(name))
        self.section = Section(prefix, *self._specs(default), controls=controls, on_change=on_change)
        self.dropdown.observe(lambda c: (self.section.replace(*self._specs(c["new"])), on_change()), names="value")
        self.box = W.VBox([self.dropdown, self.section.box])
        self._base: dict[str, Any] = {}

    def _specs(self, model: str) -> tuple[list[FieldSpec], Callable[[dict[str, Any]], Any]]:
        if model == NONE:
            return [], nothing
        cls = self.classes[model]
        return parameter_specs(cls.PARAMETERS), lambda v: cls(**v)

    def component(self) -> dict[str, Any] | None:
        """``{"model": name, "params": {...}}``, or ``None`` for ``'none'``."""
        model = self.dropdown.value
        if model == NONE:
            return None
        base = self._base if self._base.get("model") == model else {}  # keeps "module", "method", "V"
        return {**copy.deepcopy(base), "model": model, "params": {**base.get("params", {}), **self.section.values()}}

    def load(self, component: dict[str, Any] | None) -> None:
        self._base = copy.deepcopy(component) if component else {}
        model = NONE if component is None else component["model"]
        if model not in self.dropdown.options:
            self.dropdown.options = list(self.dropdown.options) + [model]
        self.dropdown.value = model
        self.section.show(*self._specs(model), values=None if component is None else component.get("params", {}))


class Form:
    """What the three forms share: sections, their messages, the item being edited, the buttons."""

    kind = ""
    prefix = ""

    def __init__(self, controls: dict[str, Any], taken: Callable[[], set[str]]):
        self.controls = controls
        self._taken = taken
        self.editing: str | None = None  # the item whose entry the form shows (None: a new one)
        self._base: dict[str, Any] = {}  # the entry being edited: keys the form does not show are kept
        self.sections: list[Section] = []
        self.pickers: list[Picker] = []

    def taken(self) -> set[str]:
        return self._taken() - ({self.editing} if self.editing else set())

    def changed(self) -> None:
        """A field changed (subclasses re-check what depends on it)."""

    @property
    def messages(self) -> list[str]:
        """Every error the form shows now (``'field: message'``)."""
        out: list[str] = []
        for s in self.sections + [p.section for p in self.pickers]:
            out += [f"{s.prefix}.{m}" if not m.startswith(("ValueError", "TypeError")) else m for m in s.messages]
        return out

    def check(self) -> list[str]:
        for s in self.sections + [p.section for p in self.pickers]:
            s.check()
        return self.messages

    def entry(self) -> dict[str, Any]:
        """The entry the fields describe (a ``ValueError`` listing the errors shown, if any)."""
        messages = self.check()
        if messages:
            raise ValueError(f"NetworkBuilder: the {self.kind} form has errors; fix them first: " + " | ".join(messages))
        return self._entry()

    def _entry(self) -> dict[str, Any]:
        raise NotImplementedError

    def load(self, entry: dict[str, Any] | None) -> None:
        """Show ``entry`` for editing (``None``: a new item with the defaults)."""
        self.editing = None if entry is None else entry["path"]
        self._base = {} if entry is None else copy.deepcopy(entry)
        self._load(entry)

    def _load(self, entry: dict[str, Any] | None) -> None:
        raise NotImplementedError

    def refresh(self, populations: list[str], spiking: list[str]) -> None:
        """The populations of the network changed: update the choices of pre, post, target."""


def choices(dropdown: W.Dropdown, options: list[str]) -> None:
    value = dropdown.value
    opts = list(options) if options else [""]
    if value not in opts and value:
        opts.append(value)  # keep what an entry names (shown with its error) until the user picks another
    if list(dropdown.options) != opts:
        dropdown.options = opts
        dropdown.value = value if value in opts else opts[0]
