r"""What a :class:`~brainlab.widgets.SweepPanel` sweeps and measures: the target (a neuron model, a network or a
build function), its parameters, the grid axes, the batched run over the grid, the built-in measures and the
code text that reproduces a sweep with :func:`brainlab.sweep`."""

from __future__ import annotations

import inspect
import math
import textwrap
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["SweepTarget", "axis", "MEASURES", "measure_function", "grid_run"]

OWNER = "SweepPanel"

# name -> (label for the colour bar and hover, the code of one value of a run ``r`` of ``duration`` ms)
MEASURES: dict[str, tuple[str, str]] = {
    "rate": ("firing rate (Hz)", "r.spikes.rate(duration)"),
    "cv": ("CV of ISI", "bl.analysis.cv_isi(r.spikes.times, r.spikes.indices, r.spikes.n_neurons).mean"),
    "mean_V": ("mean V (mV)", "float(np.mean(np.hstack([r[k] for k in sorted(r) if k.startswith('V')])))"),
}


class SweepTarget:
    r"""The model a panel sweeps: ``kind`` is ``'neuron'`` (a neuron class or instance), ``'network'`` (a
    :class:`~brainlab.Network` or other Module, copied per set) or ``'build'`` (a function ``build(**params)``
    returning one); ``parameters`` lists what ``x`` and ``y`` may name (``None``: any keyword)."""

    def __init__(self, model: Any):
        from .. import engine as be
        from .._model import AbstractModel

        self.source = model
        self.neuron_class: type | None = None
        if isinstance(model, type) and issubclass(model, AbstractModel):
            if model._abstract or getattr(model, "KIND", None) != "neuron":
                raise TypeError(f"{OWNER}: model must be a concrete neuron class (bl.neurons.LIF), a neuron, a "
                                f"bl.Network or a build function; got the class {model.__name__}.")
            model = model(1)
        if isinstance(model, AbstractModel) and getattr(model, "KIND", None) == "neuron":
            self.kind, self.model, self.neuron_class = "neuron", model, type(model)
            self.name = getattr(model, "name", None) or type(model).__name__
            self.parameters: list[str] | None = [p.name for p in type(model).PARAMETERS]
            self.what = f"the neuron model {type(model).__name__}"
        elif isinstance(model, be.Module):
            self.kind, self.model = "network", model
            self.name = type(model).__name__
            self.parameters = [k for k, s in model.states().items() if isinstance(s, be.ParamState)]
            self.what = f"the {type(model).__name__}"
        elif callable(model) and not isinstance(model, type):
            self.kind, self.model = "build", model
            self.name = getattr(model, "__name__", type(model).__name__)
            self.what = f"the build function {self.name}()"
            self.parameters = _keywords(model)
        else:
            raise TypeError(f"{OWNER}: model must be a neuron class or instance (bl.neurons.LIF), a bl.Network or a "
                            f"build function build(**params) returning one; got {type(model).__name__}.")

    def check_names(self, names: Mapping[str, str]) -> None:
        """Each ``{argument: parameter name}`` names a parameter of the target (and a build function gets every
        argument it needs)."""
        for arg, name in names.items():
            if self.parameters is not None and name not in self.parameters:
                raise ValueError(f"{OWNER}: {arg}=({name!r}, ...) is not a parameter of {self.what}; its parameters: "
                                 f"{', '.join(self.parameters)}.")
        if self.kind == "build":
            sig = inspect.signature(self.model)
            needed = [p.name for p in sig.parameters.values() if p.default is p.empty
                      and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
            missing = [n for n in needed if n not in names.values()]
            if missing:
                raise ValueError(f"{OWNER}: {self.what} also needs {', '.join(map(repr, missing))}, which neither x "
                                 f"nor y gives; give {'it' if len(missing) == 1 else 'them'} a default value.")

    def unit(self, name: str) -> str:
        """The declared unit of a parameter, or ``''``."""
        owner, pname = (self.model, name) if self.kind == "neuron" else _owner_of(self.model, name)
        index = getattr(type(owner), "_param_index", {}) if owner is not None else {}
        return index[pname].unit if pname in index else ""

    def member(self, params: Mapping[str, float], set_index: int | None = None) -> Any:
        """One model with ``params`` set (a build function's result, or a copy of the model); ``set_index``: set
        that many of a sweep with independent noise (:func:`brainlab._sweep.sweep_member`)."""
        from .._sweep import sweep_member

        return sweep_member(self.model, params, set_index=set_index)

    def code(self) -> list[str]:
        """Lines that define ``model`` as the panel's target (see :meth:`SweepPanel.code`)."""
        if self.kind == "neuron":
            from ._explorer import _class_ref

            cls = self.neuron_class
            ref = _class_ref(cls)
            lines = [] if ref else [f"# {cls.__name__} is a class of your own: define it (or import it) first"]
            args = [str(int(self.model.num))]
            if self.model.method != cls.METHOD:
                args.append(f"method={self.model.method!r}")
            try:
                values = self.model.param_values()
            except ValueError:
                values = {}
                lines.append("# (per-neuron parameter values of the panel's model are not written here)")
            args += [f"{k}={float(v)!r}" for k, v in values.items() if float(v) != cls._param_index[k].default]
            return lines + [f"model = {ref or cls.__name__}({', '.join(args)})"]
        if self.kind == "build":
            src = None
            if self.name != "<lambda>":
                try:
                    src = textwrap.dedent(inspect.getsource(self.model)).rstrip()
                except (OSError, TypeError):
                    src = None
            if src is None:
                return [f"# {self.name}: the build function given to the panel; define it first",
                        f"model = {self.name}"]
            return [src, "", f"model = {self.name}"]
        return ["# the bl.Network given to the panel, as `net` (a build function gives code that runs by itself)",
                "model = net"]


def _keywords(fn: Callable[..., Any]) -> list[str] | None:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()):
        return None
    return [p.name for p in sig.parameters.values() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _owner_of(net: Any, dotted: str) -> tuple[Any, str]:
    obj = net
    *path, name = dotted.split(".")
    for p in path:
        obj = getattr(obj, p, None)
        if obj is None:
            return None, name
    return obj, name


def axis(arg: str, spec: Any) -> tuple[str, np.ndarray]:
    """``(name, sorted values)`` from ``x=('tau', [5., 10., 20.])``, with clear errors."""
    example = f"{arg}=('tau', [5.0, 10.0, 20.0])"
    if not (isinstance(spec, (tuple, list)) and len(spec) == 2 and isinstance(spec[0], str)):
        raise TypeError(f"{OWNER}: {arg} must be a pair (parameter name, values), e.g. {example}; got {spec!r}.")
    name, values = spec
    try:
        v = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise TypeError(f"{OWNER}: the values of {arg}=({name!r}, ...) must be numbers, got {values!r}.") from None
    if v.size == 0:
        raise ValueError(f"{OWNER}: {arg}=({name!r}, ...) has no values; give at least one, e.g. {example}.")
    if not np.isfinite(v).all():
        raise ValueError(f"{OWNER}: the values of {arg}=({name!r}, ...) must be finite, got {values!r}.")
    v = np.sort(v)
    if np.any(np.diff(v) == 0):
        raise ValueError(f"{OWNER}: the values of {arg}=({name!r}, ...) repeat; give each value once.")
    return name, v


def is_geometric(v: np.ndarray) -> bool:
    """Whether ``v`` (sorted) is evenly spaced on a log scale over more than a decade (drawn on a log axis)."""
    if v.size < 3 or v[0] <= 0:
        return False
    r = np.diff(np.log(v))
    return bool(np.ptp(r) <= 1e-6 * abs(r.mean()) and v[-1] / v[0] > 10 and np.ptp(np.diff(v)) > 1e-6 * v[-1])


def edges(v: np.ndarray, log: bool) -> tuple[np.ndarray, np.ndarray]:
    """The cell edges ``(left, right)`` around each value: midpoints (geometric on a log axis)."""
    if v.size == 1:
        half = 0.5 * (abs(v[0]) or 1.0)
        return (np.array([v[0] / 2]), np.array([v[0] * 2])) if log else (v - half, v + half)
    if log:
        mid = np.sqrt(v[1:] * v[:-1])
        left = np.concatenate([[v[0] ** 2 / mid[0]], mid])
        right = np.concatenate([mid, [v[-1] ** 2 / mid[-1]]])
    else:
        mid = (v[1:] + v[:-1]) / 2
        left = np.concatenate([[2 * v[0] - mid[0]], mid])
        right = np.concatenate([mid, [2 * v[-1] - mid[-1]]])
    return left, right


def measure_function(measure: Any, duration: float) -> Callable[[Any], float]:
    """``f(run_result) -> float`` for a built-in measure name or a user function."""
    from .. import analysis

    if measure == "rate":
        return lambda r: float(r.spikes.rate(duration))
    if measure == "cv":
        return lambda r: float(analysis.cv_isi(r.spikes.times, r.spikes.indices, r.spikes.n_neurons).mean)
    if measure == "mean_V":
        def mean_v(r: Any) -> float:
            means = {k[len("Vmean_"):]: float(np.mean(r[k])) for k in r if k.startswith("Vmean_")}
            if means:  # population means per step: weighted by the population sizes
                sizes = r.spikes.sizes
                return sum(sizes[p] * m for p, m in means.items()) / sum(sizes[p] for p in means)
            keys = [k for k in sorted(r) if k.startswith("V")]
            if not keys:
                raise ValueError(f"{OWNER}: mean_V needs a recorded membrane potential; the model has no State "
                                 "named V (choose another measure or pass your own function).")
            return float(np.mean(np.hstack([r[k] for k in keys])))
        return mean_v
    if callable(measure):
        name = getattr(measure, "__name__", "measure")

        def user(r: Any) -> float:
            value = measure(r)
            try:
                return float(value)
            except (TypeError, ValueError):
                raise TypeError(f"{OWNER}: measure {name}() must return one number for a run, got "
                                f"{type(value).__name__} {value!r}.") from None
        return user
    raise ValueError(f"{OWNER}: measure must be one of {', '.join(map(repr, MEASURES))} or a function of a run "
                     f"result returning a number (e.g. lambda r: r.spikes['E'].rate(200.0)); got {measure!r}.")


def check_measure(measure: Any) -> None:
    if not (callable(measure) or (isinstance(measure, str) and measure in MEASURES)):
        measure_function(measure, 1.0)  # raises the message


def v_monitors(member: Any, name: str, kind: str) -> tuple[dict[str, Any], list[str]]:
    """What ``mean_V`` records: ``({'V': '<name>.V'}, [])`` for a neuron model (every neuron), else
    ``({}, populations)``: the spiking populations with a State ``V``, whose mean over the neurons
    :func:`grid_run` records at each step (``'Vmean_<population>'``; :meth:`SweepPanel.code` records the whole
    States instead, as ``'V_<population>'``: the same mean, more memory)."""
    if kind == "neuron":
        return ({"V": f"{name}.V"} if "V" in {v.name for v in type(member).VARIABLES} else {}), []
    states = member.states() if hasattr(member, "states") else {}
    pops = getattr(member, "populations", None)
    names = list(pops()) if callable(pops) else []
    return {}, [p for p in names if f"{p}.V" in states]


def grid_run(target: SweepTarget, sets: list[dict[str, float]], duration: float, *, inputs: Any,
             dt: float | None, monitors: Mapping[str, Any], every: float | None, v_means: list[str] = (),
             independent_noise: bool = False) -> Any:
    r"""The batched run of every parameter set of a grid, chunk by chunk: a :class:`brainlab._sweep.SweepRun`
    (the same copies, stacking, vmapped program and device sharding as :func:`brainlab.sweep`), in chunks of
    ``every`` ms (default a tenth of ``duration``).  ``v_means`` names populations whose mean ``V`` over the
    neurons is recorded per set and step, as ``'Vmean_<population>'``."""
    from .._sweep import SweepRun

    params = {k: np.array([p[k] for p in sets]) for k in sets[0]}

    def grid_monitors(net: Any) -> dict[str, Any]:
        out = dict(monitors)
        states = net.states()
        for pop in v_means:  # per-step means, inside the vmapped step: one number per set and step
            out.setdefault(f"Vmean_{pop}", lambda s=states[f"{pop}.V"]: s.value.mean())
        return out

    return SweepRun(target.model, params, duration, monitors=grid_monitors, inputs=inputs, dt=dt,
                    every=every if every is not None else duration / 10, independent_noise=independent_noise)


def fmt(v: float) -> str:
    """A number for labels: 4 significant digits."""
    return f"{v:.4g}" if math.isfinite(v) else "nan"
