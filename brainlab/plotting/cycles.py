"""Bokeh figures of periodic-orbit branches, fast-slow diagrams of bursters and slow-point spectra.

Every function takes a result object (duck-typed: the attributes documented on ``brainlab.analysis``'s
``CycleBranch``, ``FastSlowResult`` and ``SlowPoints``) and an optional ``fig`` to draw into (for instance the
equilibrium diagram of ``brainlab.plotting.bifurcation.plot_branch``), and returns the figure.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from bokeh.models import ColumnDataSource, HoverTool, LabelSet, Span
from bokeh.plotting import figure

__all__ = ["plot_cycle_branch", "plot_fast_slow", "plot_slow_points"]

CYCLE_LABELS = {"fold_cycle": "LPC", "period_doubling": "PD", "torus": "TR", "fold": "LP", "hopf": "H"}
_COLORS = {"LPC": "#d62728", "PD": "#9467bd", "TR": "#2ca02c", "LP": "#d62728", "H": "#1f77b4"}
_CYCLE_COLOR = "#ff7f0e"
_TOOLS = "pan,wheel_zoom,box_zoom,reset,save"


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges of constant ``mask``, each extended by one point so consecutive runs touch."""
    out, start = [], 0
    n = len(mask)
    for i in range(1, n + 1):
        if i == n or mask[i] != mask[start]:
            out.append((start, min(i + 1, n)))
            start = i
    return out


def _stability_lines(fig: Any, x: np.ndarray, y: np.ndarray, stable: np.ndarray, color: str, what: str,
                     width: float = 2.0) -> None:
    for a, b in _runs(stable):
        s = bool(stable[a])
        fig.line(x[a:b], y[a:b], line_color=color, line_width=width, line_dash="solid" if s else "dashed",
                 legend_label=f"stable {what}" if s else f"unstable {what}")


def _labelled_points(fig: Any, xs: list[float], ys: list[float], labels: list[str], info: list[str]) -> None:
    if not xs:
        return
    src = ColumnDataSource({"x": xs, "y": ys, "label": labels, "info": info,
                            "color": [_COLORS.get(lb, "black") for lb in labels]})
    r = fig.scatter("x", "y", source=src, size=9, fill_color="color", line_color="black")
    fig.add_layout(LabelSet(x="x", y="y", text="label", source=src, x_offset=5, y_offset=5, text_font_size="9pt"))
    fig.add_tools(HoverTool(renderers=[r], tooltips=[("", "@label"), ("", "@info")]))


def _variable_index(names: tuple[str, ...], variable: int | str | None, who: str) -> int:
    if variable is None:
        return 0
    if isinstance(variable, str):
        if variable not in names:
            raise ValueError(f"{who}: no variable {variable!r}; choose one of {names}.")
        return names.index(variable)
    if not 0 <= int(variable) < len(names):
        raise ValueError(f"{who}: variable={variable} is not an index of the {len(names)} variables {names}.")
    return int(variable)


def plot_cycle_branch(branch: Any, variable: int | str | None = None, quantity: str = "extrema",
                      fig: Any = None) -> Any:
    """A branch of limit cycles against its parameter.

    ``quantity='extrema'`` draws the maximum and minimum of ``variable`` over each cycle (the usual way cycles are
    added to an equilibrium bifurcation diagram); ``quantity='period'`` draws the period. Stable cycles are solid,
    unstable ones dashed; folds of cycles (LPC), period doublings (PD) and tori (TR) are labelled.
    """
    if quantity not in ("extrema", "period"):
        raise ValueError(f"plot_cycle_branch: quantity={quantity!r} must be 'extrema' or 'period'.")
    names = tuple(branch.variable_names)
    j = _variable_index(names, variable, "plot_cycle_branch")
    p = np.asarray(branch.params)
    stable = np.asarray(branch.stable, bool)
    if fig is None:
        fig = figure(width=560, height=400, title="limit cycles", tools=_TOOLS)
        fig.xaxis.axis_label = branch.param
        fig.yaxis.axis_label = f"max/min {names[j]}" if quantity == "extrema" else "period"
    if quantity == "extrema":
        _stability_lines(fig, p, np.asarray(branch.maxima)[:, j], stable, _CYCLE_COLOR, "cycles (max/min)")
        _stability_lines(fig, p, np.asarray(branch.minima)[:, j], stable, _CYCLE_COLOR, "cycles (max/min)")
    else:
        _stability_lines(fig, p, np.asarray(branch.periods), stable, _CYCLE_COLOR, "cycles")
    sps = list(branch.special_points)
    ys = [float(sp.maxima[j]) if quantity == "extrema" else float(sp.period) for sp in sps]
    info = [f"{branch.param} = {sp.param:.8g}, period = {sp.period:.6g}, multipliers = "
            + ", ".join(f"{m:.4g}" for m in np.asarray(sp.multipliers)) for sp in sps]
    _labelled_points(fig, [float(sp.param) for sp in sps], ys, [CYCLE_LABELS.get(sp.kind, sp.kind) for sp in sps],
                     info)
    fig.legend.click_policy = "hide"
    return fig


def plot_fast_slow(result: Any, variable: int | str | None = None, fig: Any = None) -> Any:
    """The fast subsystem's bifurcation diagram in the (slow variable, fast variable) plane, with the burst.

    Equilibria of the fast subsystem are black (solid stable, dashed unstable), its cycles orange (max and min),
    folds (LP) and Hopf points (H) are labelled, and the full system's trajectory is overlaid in grey.
    """
    names = tuple(result.names) or tuple(f"u[{i}]" for i in range(np.asarray(result.trajectory).shape[1]))
    fast_names = tuple(names[i] for i in result.fast_indices)
    j = _variable_index(fast_names, variable, "plot_fast_slow")
    traj = np.asarray(result.trajectory)
    if fig is None:
        fig = figure(width=600, height=420, title="fast-slow analysis", tools=_TOOLS)
        fig.xaxis.axis_label = names[result.slow_index]
        fig.yaxis.axis_label = fast_names[j]
    fig.line(traj[:, result.slow_index], traj[:, result.fast_indices[j]], line_color="#7f7f7f", line_alpha=0.6,
             line_width=1, legend_label="trajectory")
    _stability_lines(fig, np.asarray(result.z), np.asarray(result.x)[:, j], np.asarray(result.stable, bool),
                     "black", "equilibria")
    for br in result.cycles:
        st = np.asarray(br.stable, bool)
        _stability_lines(fig, np.asarray(br.params), np.asarray(br.maxima)[:, j], st, _CYCLE_COLOR, "cycles")
        _stability_lines(fig, np.asarray(br.params), np.asarray(br.minima)[:, j], st, _CYCLE_COLOR, "cycles")
    sps = list(result.special_points)
    info = [f"{names[result.slow_index]} = {sp.z:.10g}" + (f", omega = {sp.omega:.4g}" if sp.kind == "hopf" else "")
            for sp in sps]
    _labelled_points(fig, [float(sp.z) for sp in sps], [float(sp.x[j]) for sp in sps],
                     [CYCLE_LABELS.get(sp.kind, sp.kind) for sp in sps], info)
    fig.legend.click_policy = "hide"
    return fig


def plot_slow_points(result: Any, fig: Any = None) -> Any:
    """Jacobian eigenvalues of every fixed point (blue) and slow point (orange) in the complex plane.

    The imaginary axis (dashed) separates decaying from growing modes; hovering shows which point a dot belongs to.
    """
    eig = np.asarray(result.eigenvalues)
    if fig is None:
        fig = figure(width=520, height=420, title="Jacobian spectra at fixed and slow points", tools=_TOOLS)
        fig.xaxis.axis_label = "Re λ"
        fig.yaxis.axis_label = "Im λ"
    fig.add_layout(Span(location=0.0, dimension="height", line_dash="dashed", line_color="black"))
    fixed = np.asarray(result.is_fixed, bool)
    q = np.asarray(result.q)
    for mask, color, label in ((fixed, "#1f77b4", "fixed points"), (~fixed, _CYCLE_COLOR, "slow points")):
        idx = np.nonzero(mask)[0]
        if idx.size == 0:
            continue
        src = ColumnDataSource({"re": eig[idx].real.ravel(), "im": eig[idx].imag.ravel(),
                                "point": np.repeat(idx, eig.shape[1]), "q": np.repeat(q[idx], eig.shape[1])})
        r = fig.scatter("re", "im", source=src, size=5, color=color, alpha=0.7, legend_label=label)
        fig.add_tools(HoverTool(renderers=[r], tooltips=[("point", "@point"), ("q", "@q"), ("λ", "@re + @im i")]))
    if fig.legend:
        fig.legend.click_policy = "hide"
    return fig
