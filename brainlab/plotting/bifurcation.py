"""Bokeh bifurcation diagrams: equilibrium branches (one parameter) and curves of fold/Hopf points (two).

The functions read the attributes of ``brainlab.analysis``'s ``Branch`` and ``Codim2Branch`` (duck-typed) and
return a figure; pass ``fig`` to overlay several branches.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from bokeh.models import ColumnDataSource, HoverTool, LabelSet
from bokeh.plotting import figure

__all__ = ["plot_branch", "plot_codim2"]

_POINT_COLORS = {
    "LP": "#d62728",
    "H": "#1f77b4",
    "NS": "#7f7f7f",
    "BP": "#2ca02c",
    "CP": "#9467bd",
    "BT": "#8c564b",
    "GH": "#e377c2",
    "ZH": "#bcbd22",
}


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs ``[start, stop)`` where ``mask`` is constant, overlapping by one point so lines join."""
    runs, start = [], 0
    for i in range(1, len(mask) + 1):
        if i == len(mask) or mask[i] != mask[start]:
            runs.append((start, min(i + 1, len(mask))))
            start = i
    return runs


def _special_points(fig: Any, xs: list[float], ys: list[float], sps: list[Any], extra: list[str]) -> None:
    if not sps:
        return
    labels = [sp.label for sp in sps]
    src = ColumnDataSource(
        {"x": xs, "y": ys, "label": labels, "color": [_POINT_COLORS.get(lb, "black") for lb in labels],
         "info": extra}
    )
    r = fig.scatter("x", "y", source=src, size=9, fill_color="color", line_color="black", marker="circle")
    fig.add_layout(LabelSet(x="x", y="y", text="label", source=src, x_offset=5, y_offset=5, text_font_size="9pt"))
    fig.add_tools(HoverTool(renderers=[r], tooltips=[("", "@label"), ("", "@info")]))


def plot_branch(branch: Any, variable: str | None = None, fig: Any = None) -> Any:
    """A branch of equilibria: stable parts solid, unstable parts dashed, special points labelled."""
    names = tuple(branch.variable_names)
    variable = names[0] if variable is None else variable
    if variable not in names:
        raise ValueError(f"plot_branch: no variable {variable!r}; choose one of {names}.")
    j = names.index(variable)
    x, y = np.asarray(branch.params), np.asarray(branch.states[:, j])
    if fig is None:
        fig = figure(width=560, height=400, title=f"equilibria of {getattr(branch.system, 'name', '')}",
                     tools="pan,wheel_zoom,box_zoom,reset,save")
        fig.xaxis.axis_label = branch.param
        fig.yaxis.axis_label = variable
    stable = np.asarray(branch.stable, bool)
    for a, b in _runs(stable):
        s = bool(stable[a])
        fig.line(x[a:b], y[a:b], line_color="black", line_width=2, line_dash="solid" if s else "dashed",
                 legend_label="stable equilibria" if s else "unstable equilibria")
    sps = list(branch.special_points)
    info = []
    for sp in sps:
        text = f"{branch.param} = {sp.params[branch.param]:.8g}"
        if sp.kind == "hopf":
            text += f", omega = {sp.omega:.4g} rad/ms, l1 = {sp.l1:.4g} ({sp.criticality})"
        elif sp.kind == "fold" and sp.a is not None:
            text += f", a = {sp.a:.4g}"
        info.append(text)
    _special_points(fig, [sp.params[branch.param] for sp in sps], [sp.state[variable] for sp in sps], sps, info)
    fig.legend.click_policy = "hide"
    return fig


def plot_codim2(curve: Any, fig: Any = None) -> Any:
    """A fold or Hopf curve in the plane of its two parameters, with labelled codimension-two points."""
    p1, p2 = curve.param_names
    if fig is None:
        fig = figure(width=560, height=400, title=f"{curve.curve} curve", tools="pan,wheel_zoom,box_zoom,reset,save")
        fig.xaxis.axis_label = p1
        fig.yaxis.axis_label = p2
    color = "#d62728" if curve.curve == "fold" else "#1f77b4"
    P = np.asarray(curve.params)
    if curve.curve == "hopf":
        hopf = np.asarray(curve.kappa) > 0
        for a, b in _runs(hopf):
            h = bool(hopf[a])
            fig.line(P[a:b, 0], P[a:b, 1], line_color=color if h else "#7f7f7f", line_width=2,
                     line_dash="solid" if h else "dotted", legend_label="Hopf" if h else "neutral saddle")
    else:
        fig.line(P[:, 0], P[:, 1], line_color=color, line_width=2, legend_label="fold")
    sps = list(curve.special_points)
    info = [f"{p1} = {sp.params[p1]:.8g}, {p2} = {sp.params[p2]:.8g}" for sp in sps]
    _special_points(fig, [sp.params[p1] for sp in sps], [sp.params[p2] for sp in sps], sps, info)
    fig.legend.click_policy = "hide"
    return fig
