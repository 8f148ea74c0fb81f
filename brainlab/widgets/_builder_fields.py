r"""Form machinery of the :class:`~brainlab.widgets.NetworkBuilder`: fields with their error beside them.

A :class:`Field` is one labelled input (a number, a name, a choice) with an HTML line beside it that shows what
is wrong with its value.  A :class:`Section` is a group of fields that together make one piece of a network (a
connectivity rule, a synapse model, the parameters of a neuron model) through a ``make(values)`` function: the
piece's own constructor.  Checking a field builds the piece with that field's value and every other field at its
default, inside a ``try``; the exception's text (the model's own message: "LIF: size must be positive, got -3 ...")
goes beside the field.  Checking the section builds it with all its values; an error there (two fields that are
fine alone but not together) goes on the section's own line.

Numbers are typed into text boxes (``FloatText``/``IntText`` with ``continuous_update``), so a check runs on
every keystroke in the page.  An optional number (a delay, a seed) is a ``Text`` box where an empty text means
``None``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as W

__all__ = ["FieldSpec", "Field", "Section", "css_class", "error_text", "parameter_specs"]

_ERROR_STYLE = "color:#b00020;font-size:90%"
_LABEL_WIDTH = "150px"


def css_class(control_name: str) -> str:
    """The CSS class of a control on the page: ``'pop.size'`` -> ``'bl-pop-size'``."""
    return "bl-" + "".join(ch if ch.isalnum() else "-" for ch in control_name)


def error_text(exc: BaseException) -> str:
    """The message of ``exc`` as shown beside a field (its type, then its text)."""
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, KeyError) and len(exc.args) == 1 and isinstance(exc.args[0], str):
        text = exc.args[0]
    return f"{type(exc).__name__}: {text}"


@dataclass(frozen=True)
class FieldSpec:
    r"""What one field holds.

    Args:
        name: the key of the value in the piece's arguments (``'tau'``, ``'prob'``).
        kind: ``'float'``, ``'int'``, ``'optfloat'`` (empty means ``None``), ``'optint'``, ``'text'``,
            ``'choice'`` or ``'bool'``.
        default: the value a new field starts with (and the value other fields take while one is checked).
        unit: shown in the label (``'ms'``).
        doc: the tooltip (meaning and admissible range).
        options: the choices of a ``'choice'`` field.
        label: the label (default: ``name``).
    """

    name: str
    kind: str
    default: Any
    unit: str = ""
    doc: str = ""
    options: tuple[Any, ...] = ()
    label: str = ""


def parameter_specs(declared: Sequence[Any]) -> list[FieldSpec]:
    """Float fields for declared :class:`~brainlab._model.Parameter` s (unit in the label, range in the tooltip)."""
    out = []
    for p in declared:
        doc = f"{p.doc}; admissible {p.describe_range()}".strip("; ")
        out.append(FieldSpec(p.name, "float", float(p.default), p.unit, doc))
    return out


def _arrays(values: dict[str, Any]) -> dict[str, Any]:
    """Lists (one value per neuron or synapse, as descriptions hold them) as numpy arrays, for a constructor."""
    import numpy as np

    return {k: np.asarray(v, dtype=float) if isinstance(v, (list, tuple)) else v for k, v in values.items()}


def _parse(kind: str, raw: Any) -> Any:
    """The value of a widget as the piece takes it (``optfloat``/``optint``: text to number or ``None``)."""
    if kind in ("optfloat", "optint"):
        text = str(raw).strip()
        if text == "" or text.lower() == "none":
            return None
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number; type a number or leave the box empty.") from None
        if kind == "optint":
            if not number.is_integer():
                raise ValueError(f"{text!r} is not a whole number; type e.g. {int(number)} or leave the box empty.")
            return int(number)
        return number
    if kind == "float":
        return float(raw)
    if kind == "int":
        return int(raw)
    return raw


def _shown(kind: str, value: Any) -> Any:
    """A value as its widget holds it."""
    if kind in ("optfloat", "optint"):
        if value is None:
            return ""
        return f"{value:g}" if isinstance(value, float) else str(value)
    if kind == "float":
        return float(value)
    if kind == "int":
        return int(value)
    return value


class Field:
    """One input widget and the error line beside it."""

    def __init__(self, spec: FieldSpec, control_name: str):
        self.spec = spec
        self.control_name = control_name
        label = spec.label or spec.name
        desc = f"{label} ({spec.unit})" if spec.unit else label
        common: dict[str, Any] = dict(description=desc, style={"description_width": _LABEL_WIDTH},
                                      layout=W.Layout(width="330px"), tooltip=spec.doc)
        kind = spec.kind
        if kind == "float":
            self.widget = W.FloatText(value=float(spec.default), continuous_update=True, **common)
        elif kind == "int":
            self.widget = W.IntText(value=int(spec.default), continuous_update=True, **common)
        elif kind in ("optfloat", "optint", "text"):
            self.widget = W.Text(value=_shown(kind, spec.default) if kind != "text" else str(spec.default),
                                 continuous_update=True, **common)
        elif kind == "choice":
            self.widget = W.Dropdown(options=list(spec.options), value=spec.default, **common)
        elif kind == "bool":
            common.pop("style")
            self.widget = W.Checkbox(value=bool(spec.default), indent=False, **common)
        else:
            raise ValueError(f"Field: unknown kind {kind!r} for {spec.name!r}.")
        self.widget.add_class(css_class(control_name))  # pages (and browser tests) find a field by its name
        self.error = W.HTML(layout=W.Layout(min_width="10px"))
        self.error.add_class(f"{css_class(control_name)}-error")
        self.box = W.HBox([self.widget, self.error])
        self.message = ""

    @property
    def value(self) -> Any:
        """The value as the piece takes it (raises ``ValueError`` for text that is no number)."""
        return _parse(self.spec.kind, self.widget.value)

    def set(self, value: Any) -> None:
        """Show ``value`` (a number, a name, ``None`` for an optional number)."""
        if self.spec.kind == "choice" and value not in self.widget.options:
            self.widget.options = list(self.widget.options) + [value]
        self.widget.value = _shown(self.spec.kind, value)

    def show(self, message: str) -> None:
        """Show ``message`` beside the field (``''`` clears it)."""
        self.message = message
        self.error.value = f'<span style="{_ERROR_STYLE}">{html.escape(message)}</span>' if message else ""


@dataclass
class Section:
    r"""Fields that together make one piece (``make(values)`` builds it; a failure is shown as an error).

    Args:
        prefix: the control-name prefix (``'proj.rule'``): a field ``prob`` is ``controls['proj.rule.prob']``.
        specs: the fields.
        make: builds the piece from ``{name: value}`` (raises the piece's own errors).
        controls: the panel's control dict, kept up to date when the fields are replaced.
        on_change: called after a field's value changed and was checked.
        checks: ``{name: check(value)}`` for fields checked on their own (a name, a size) rather than through
            ``make`` with the other fields at their defaults.
    """

    prefix: str
    specs: list[FieldSpec]
    make: Callable[[dict[str, Any]], Any]
    controls: dict[str, W.Widget]
    on_change: Callable[[], Any] = lambda: None
    checks: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    fields: dict[str, Field] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.error = W.HTML()
        self.box = W.VBox([])
        self.replace(self.specs, self.make)

    def replace(self, specs: list[FieldSpec], make: Callable[[dict[str, Any]], Any]) -> None:
        """New fields (another model chosen): the old ones leave ``controls``, the new ones enter it."""
        for f in self.fields.values():
            self.controls.pop(f.control_name, None)
            f.widget.close()
            f.error.close()
            f.box.close()
        self.specs, self.make = list(specs), make
        self.fields = {}
        self._kept: dict[str, tuple[Any, Any]] = {}
        for spec in self.specs:
            f = Field(spec, f"{self.prefix}.{spec.name}")
            self.fields[spec.name] = f
            self.controls[f.control_name] = f.widget
            f.widget.observe(lambda _c, name=spec.name: self._changed(name), names="value")
        self.box.children = [f.box for f in self.fields.values()] + [self.error]
        self.check()

    def show(self, specs: list[FieldSpec], make: Callable[[dict[str, Any]], Any],
             values: dict[str, Any] | None = None) -> None:
        """Fields ``specs`` showing their defaults updated by ``values``; the widgets are kept when the fields are
        the same (names and kinds) as now, so that a page typing into them never loses them."""
        if [(s.name, s.kind, s.options) for s in specs] != [(s.name, s.kind, s.options) for s in self.specs]:
            self.replace(specs, make)
        else:
            self.specs, self.make = list(specs), make
        self.set_values({**{s.name: s.default for s in self.specs}, **(values or {})})

    def _changed(self, name: str) -> None:
        self.check_field(name)
        self.check_whole()
        self.on_change()

    def defaults(self) -> dict[str, Any]:
        return {s.name: s.default for s in self.specs}

    def _value(self, name: str) -> Any:
        """A field's value; a list or array loaded by :meth:`set_values` (shown by its mean) while untouched."""
        f = self.fields[name]
        kept = self._kept.get(name)
        if kept is not None and f.widget.value == kept[0]:
            return kept[1]
        return f.value

    def values(self) -> dict[str, Any]:
        """``{name: value}`` of every field (raises ``ValueError`` for a text that is no number)."""
        return {name: self._value(name) for name in self.fields}

    def set_values(self, values: dict[str, Any]) -> None:
        """Show these values (missing names keep theirs); then check.  A list (one value per neuron or synapse)
        is shown by its mean and kept as it is unless the field is changed."""
        for name, value in values.items():
            if name not in self.fields:
                continue
            f = self.fields[name]
            f.widget.unobserve_all("value")
            self._kept.pop(name, None)
            if isinstance(value, (list, tuple)) or hasattr(value, "shape") and getattr(value, "ndim", 0):
                import numpy as np

                mean = float(np.mean(np.asarray(value, dtype=float)))
                f.set(mean)
                self._kept[name] = (f.widget.value, value)
                f.widget.tooltip = f"{f.spec.doc} (one value per element, mean shown; type to replace)".strip()
            else:
                f.set(value)
            f.widget.observe(lambda _c, n=name: self._changed(n), names="value")
        self.check()

    def check_field(self, name: str) -> str:
        """Build the piece with this field's value and the others' defaults; show the error beside the field."""
        f = self.fields[name]
        try:
            value = self._value(name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}.")
            if name in self.checks:
                self.checks[name](value)
            else:
                values = self.defaults()
                values[name] = value
                self.make(_arrays(values))
        except Exception as exc:  # the piece's own message, beside the field
            f.show(error_text(exc))
        else:
            f.show("")
        return f.message

    def check_whole(self) -> str:
        """Build the piece with every value; an error no single field explains goes on the section's line."""
        message = ""
        if not any(f.message for f in self.fields.values()):
            try:
                self.make(_arrays(self.values()))
            except Exception as exc:
                message = error_text(exc)
        self.error.value = f'<span style="{_ERROR_STYLE}">{html.escape(message)}</span>' if message else ""
        self.error_message = message
        return message

    def check(self) -> list[str]:
        """Check every field and the whole; the messages (empty when all is well)."""
        messages = [m for m in (self.check_field(n) for n in self.fields) if m]
        whole = self.check_whole()
        return messages + ([whole] if whole else [])

    @property
    def messages(self) -> list[str]:
        """The errors shown now, ``'field: message'``."""
        out = [f"{n}: {f.message}" for n, f in self.fields.items() if f.message]
        if getattr(self, "error_message", ""):
            out.append(self.error_message)
        return out

    def close(self) -> None:
        for f in self.fields.values():
            self.controls.pop(f.control_name, None)
            f.widget.close()
            f.error.close()
            f.box.close()
        self.error.close()
        self.box.close()
