r"""What a :class:`~brainlab.widgets.BifurcationPanel` computes, apart from its widgets.

- :func:`compute_diagram`: the equilibrium branch, the limit-cycle branches from its Hopf points and, in two
  parameters, the fold and Hopf curves, all with :class:`brainlab.analysis.Continuation`;
- :func:`equilibria_at` and :func:`cycle_at`: what the diagram holds at one parameter value (the cursor);
- :func:`diagram_code`: the Python that recomputes the diagram with ``bl.analysis`` (copy as code).

None of this imports ipywidgets or bokeh.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import textwrap
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["Diagram", "compute_diagram", "equilibria_at", "cycle_at", "diagram_code", "system_code"]


@dataclasses.dataclass
class Diagram:
    """The analysis behind a bifurcation panel.

    Attributes:
        continuation: the :class:`~brainlab.analysis.Continuation` in ``param`` over ``bounds``.
        branch: the equilibrium :class:`~brainlab.analysis.Branch`.
        cycles: limit-cycle branches (:class:`~brainlab.analysis.CycleBranch`), one per Hopf point that starts
            one (a Hopf point where an earlier cycle branch ended starts none).
        cycle_origins: for each cycle branch, the index in ``branch.special_points`` of its Hopf point.
        curves: two-parameter mode: the fold and Hopf curves (:class:`~brainlab.analysis.Codim2Branch`).
        curve_origins: for each curve, the index of the special point it was continued from.
        problems: messages of the parts that could not be computed (shown in the panel's status line).
        notes: the warnings the analysis gave (e.g. cycles poorly resolved by the mesh), shown there too.
    """

    continuation: Any
    branch: Any
    cycles: list[Any]
    cycle_origins: list[int]
    curves: list[Any]
    curve_origins: list[int]
    problems: list[str]
    notes: list[str] = dataclasses.field(default_factory=list)


def compute_diagram(system: Any, param: str, bounds: tuple[float, float], *, start: Any = None,
                    params: Mapping[str, float] | None = None, cycles: bool = True,
                    cycle_options: Mapping[str, Any] | None = None, param2: str | None = None,
                    bounds2: tuple[float, float] | None = None, max_step: float | None = None) -> Diagram:
    """Continue the equilibria, then the cycles from each Hopf point (``cycles``) or, with ``param2``, every fold
    and Hopf point in two parameters.  A cycle or curve that fails is reported in ``problems``; the equilibria
    must succeed (their error propagates)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        diagram = _compute(system, param, bounds, start, params, cycles, cycle_options, param2, bounds2, max_step)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)  # still seen by the caller
        diagram.notes.append(str(w.message))
    return diagram


def _compute(system: Any, param: str, bounds: tuple[float, float], start: Any, params: Any, cycles: bool,
             cycle_options: Any, param2: Any, bounds2: Any, max_step: Any) -> Diagram:
    from ..analysis import Continuation

    cont = Continuation(system, param, bounds, max_step=max_step)
    params = dict(params or {})
    if param not in params:  # the model's own value outside the window: start the branch at the nearer bound
        own = float(cont.system.default_params[cont.system.param_index(param)])
        lo, hi = float(bounds[0]), float(bounds[1])
        if not lo <= own <= hi:
            params[param] = min(max(own, lo), hi)
    branch = cont.equilibria(start=start, params=params)
    diagram = Diagram(cont, branch, [], [], [], [], [])
    sps = branch.special_points
    if param2 is not None:
        for i, sp in enumerate(sps):
            if sp.kind not in ("fold", "hopf") or _on_curves(sp, diagram.curves, param, param2, bounds, bounds2):
                continue
            try:
                method = cont.fold_curve if sp.kind == "fold" else cont.hopf_curve
                diagram.curves.append(method(sp, param2, bounds2, max_step=max_step))
                diagram.curve_origins.append(i)
            except Exception as exc:  # keep the rest of the diagram
                diagram.problems.append(f"{sp.label} at {param}={sp.params[param]:.6g}: {exc}")
        return diagram
    if cycles:
        for i, sp in enumerate(sps):
            if sp.kind != "hopf" or _ends_at(sp, diagram.cycles, param, bounds):
                continue
            try:
                diagram.cycles.append(cont.limit_cycles(sp, **dict(cycle_options or {})))
                diagram.cycle_origins.append(i)
            except Exception as exc:
                diagram.problems.append(f"cycles from H at {param}={sp.params[param]:.6g}: {exc}")
    return diagram


def _ends_at(sp: Any, cycles: list[Any], param: str, bounds: tuple[float, float]) -> bool:
    """Whether a cycle branch already computed shrank onto the Hopf point ``sp`` (the same cycles, backwards)."""
    tol = 1e-3 * (bounds[1] - bounds[0])
    return any(cb.stop_reason == "equilibrium" and abs(cb.params[-1] - sp.params[param]) < tol for cb in cycles)


def _on_curves(sp: Any, curves: list[Any], param: str, param2: str, bounds: tuple[float, float],
               bounds2: tuple[float, float] | None) -> bool:
    """Whether ``sp`` lies on a curve of its kind already computed (e.g. two Hopf points of one Hopf curve)."""
    if bounds2 is None:
        return False
    scale = np.array([bounds[1] - bounds[0], bounds2[1] - bounds2[0]])
    point = np.array([sp.params[param], sp.params[param2]]) / scale
    for c in curves:
        if c.curve != sp.kind or len(c) < 2:
            continue
        P = np.asarray(c.params) / scale
        a, b = P[:-1], P[1:]
        d = b - a
        t = np.clip(np.einsum("ij,ij->i", point - a, d) / np.maximum(np.einsum("ij,ij->i", d, d), 1e-300), 0, 1)
        if np.min(np.linalg.norm(a + t[:, None] * d - point, axis=1)) < 1e-3:
            return True
    return False


# ---------------------------------------------------------------------------------------------- at the cursor
def equilibria_at(branch: Any, value: float) -> list[tuple[np.ndarray, bool]]:
    """The equilibria of ``branch`` at parameter ``value``: ``[(state, stable), ...]`` in branch order.

    Each is interpolated linearly on a segment of the branch that crosses ``value`` (a fold gives two); its
    stability is that of the nearer end of the segment.
    """
    x = np.asarray(branch.params)
    X = np.asarray(branch.states)
    stable = np.asarray(branch.stable, bool)
    out: list[tuple[np.ndarray, bool]] = []
    last = -2
    for i in np.nonzero((x[:-1] - value) * (x[1:] - value) <= 0)[0]:
        a, b = x[i], x[i + 1]
        t = 0.0 if a == b else (value - a) / (b - a)
        if t == 0.0 and last == i - 1 and out:  # the shared end point of the previous segment
            continue
        out.append((X[i] + t * (X[i + 1] - X[i]), bool(stable[i] if t <= 0.5 else stable[i + 1])))
        last = i
    return out


def cycle_at(cycles: list[Any], value: float) -> tuple[int, int] | None:
    """``(branch, index)`` of the computed cycle nearest to parameter ``value`` on a stretch of a cycle branch that
    spans ``value`` (stable cycles first, then the largest); ``None`` if no branch reaches ``value``."""
    best: tuple[tuple[float, ...], int, int] | None = None
    for b, cb in enumerate(cycles):
        p = np.asarray(cb.params)
        for i in np.nonzero((p[:-1] - value) * (p[1:] - value) <= 0)[0]:
            j = int(i if abs(p[i] - value) <= abs(p[i + 1] - value) else i + 1)
            size = float(np.max(np.asarray(cb.maxima)[j] - np.asarray(cb.minima)[j]))
            key = (0.0 if cb.stable[j] else 1.0, -size)
            if best is None or key < best[0]:
                best = (key, b, j)
    return None if best is None else (best[1], best[2])


# ---------------------------------------------------------------------------------------------- copy as code
def system_code(system: Any) -> tuple[list[str], str]:
    """``(lines that define it, expression)`` for the analysed system in generated code."""
    from .._model import AbstractModel
    from ._explorer import _class_ref

    if isinstance(system, type) and issubclass(system, AbstractModel):
        ref = _class_ref(system) or system.__name__
        return ([] if _class_ref(system) else [f"# {system.__name__} is a class of your own: import it first"],
                f"{ref}(1)")
    if isinstance(system, AbstractModel):
        cls = type(system)
        ref = _class_ref(cls)
        defaults = {p.name: p.default for p in cls.PARAMETERS}
        changed = []
        for k, v in system.param_values().items():
            v = float(np.mean(np.asarray(v, np.float64)))
            if k in defaults and not math.isclose(v, float(defaults[k]), rel_tol=0, abs_tol=0):
                changed.append(f"{k}={v!r}")
        pre = [] if ref else [f"# {cls.__name__} is a class of your own: import it first"]
        return pre, f"{ref or cls.__name__}({', '.join(['1', *changed])})"
    if callable(system) and hasattr(system, "__code__"):
        try:
            src = textwrap.dedent(inspect.getsource(system)).rstrip()
        except (OSError, TypeError):
            src = f"# define {system.__name__}(...) first (its source could not be read)"
        return [src, ""], system.__name__
    name = getattr(system, "name", type(system).__name__)
    return [f"# {name}: define the system (a function or a model) first"], name


def diagram_code(system: Any, diagram: Diagram, *, param: str, bounds: tuple[float, float], variable: str,
                 start: Any, params: Mapping[str, float] | None, cycle_options: Mapping[str, Any] | None,
                 param2: str | None, bounds2: tuple[float, float] | None, max_step: float | None,
                 value: Any) -> str:
    """Python that recomputes ``diagram`` with ``bl.analysis`` and draws it with the branches' ``plot``."""
    pre, expr = system_code(system)
    lines = ["import brainlab as bl", "", *pre, f"system = {expr}"]
    extra = f", max_step={max_step!r}" if max_step is not None else ""
    lines.append(f"cont = bl.analysis.Continuation(system, {param!r}, {tuple(float(b) for b in bounds)!r}{extra})")
    args = []
    if start is not None and not hasattr(start, "kind"):
        st = {k: float(v) for k, v in dict(start).items()} if isinstance(start, Mapping) else \
            [float(v) for v in np.asarray(start).ravel()]
        args.append(f"start={st!r}")
    if params:
        args.append(f"params={ {k: float(v) for k, v in params.items()}!r}")
    lines.append(f"branch = cont.equilibria({', '.join(args)})")
    lines.append("print(branch)")
    if param2 is not None:
        lines.append("curves = []")
        for i, c in zip(diagram.curve_origins, diagram.curves):
            method = "fold_curve" if c.curve == "fold" else "hopf_curve"
            ms = f", max_step={max_step!r}" if max_step is not None else ""
            lines.append(f"curves.append(cont.{method}(branch.special_points[{i}], {param2!r}, "
                         f"{tuple(float(b) for b in bounds2)!r}{ms}))")
        lines += ["fig = None", "for curve in curves:", "    fig = curve.plot(fig=fig)",
                  f"{param}, {param2} = {float(value[0])!r}, {float(value[1])!r}  # the cursor"]
    else:
        opts = "".join(f", {k}={v!r}" for k, v in dict(cycle_options or {}).items())
        lines.append(f"cycles = [cont.limit_cycles(branch.special_points[i]{opts}) "
                     f"for i in {tuple(diagram.cycle_origins)!r}]")
        lines.append(f"fig = branch.plot({variable!r}, cycles=cycles)")
        lines.append(f"{param} = {float(value)!r}  # the cursor")
    return "\n".join(lines) + "\n"
