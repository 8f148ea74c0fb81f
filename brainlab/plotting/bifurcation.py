"""Bokeh bifurcation diagrams: equilibrium branches (one parameter) and curves of fold/Hopf points (two).

The functions read the attributes of ``brainlab.analysis``'s ``Branch`` and ``Codim2Branch`` (duck-typed) and
return a figure; pass ``fig`` to overlay several branches.

The ``*_columns`` functions give the same drawings as data for a ``ColumnDataSource`` (what the interactive
``bl.widgets.BifurcationPanel`` updates): a curve split by stability is one source whose ``y_stable`` and
``y_unstable`` columns hold NaN where the other applies (bokeh breaks a line at NaN), the two sharing the point
where the stability changes so that the drawn line is unbroken.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from bokeh.models import ColumnDataSource, HoverTool, LabelSet
from bokeh.plotting import figure

__all__ = ["plot_branch", "plot_codim2", "stability_columns", "branch_columns", "special_point_columns",
           "cycle_columns", "codim2_columns", "POINT_COLORS"]

POINT_COLORS = {
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
        {"x": xs, "y": ys, "label": labels, "color": [POINT_COLORS.get(lb, "black") for lb in labels],
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


# ---------------------------------------------------------------------------------------------- columns for sources
def stability_columns(y: np.ndarray, stable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(y_stable, y_unstable)``: ``y`` with NaN where the point belongs to the other kind of line.

    A point where the stability changes belongs to both, so the solid and the dashed line meet.

    Example:
        >>> ys, yu = stability_columns(np.array([0., 1., 2., 3.]), np.array([True, True, False, False]))
        >>> ys.tolist(), yu.tolist()
        ([0.0, 1.0, 2.0, nan], [nan, nan, 2.0, 3.0])
    """
    y = np.asarray(y, np.float64)
    s = np.asarray(stable, bool)
    prev = np.concatenate([s[:1], s[:-1]])
    in_stable = s | prev
    in_unstable = ~s | ~prev
    return np.where(in_stable, y, np.nan), np.where(in_unstable, y, np.nan)


def branch_columns(branch: Any, variable: str) -> dict[str, np.ndarray]:
    """Columns ``x`` (the parameter), ``y`` (``variable``), ``y_stable``, ``y_unstable``, ``stable`` of a branch
    of equilibria, in branch order."""
    names = tuple(branch.variable_names)
    if variable not in names:
        raise ValueError(f"branch_columns: no variable {variable!r}; choose one of {names}.")
    y = np.asarray(branch.states)[:, names.index(variable)]
    stable = np.asarray(branch.stable, bool)
    ys, yu = stability_columns(y, stable)
    return {"x": np.asarray(branch.params, np.float64), "y": y, "y_stable": ys, "y_unstable": yu,
            "stable": stable.astype(np.int8)}


def special_point_columns(branch: Any, variable: str) -> dict[str, list]:
    """One row per special point of a branch: ``x``, ``y``, ``kind``, ``label`` (``LP``, ``H``, ``BP``, ...),
    ``text`` (the label drawn: a Hopf point says ``sub``/``super``-critical from the sign of its first Lyapunov
    coefficient), ``color`` and ``info`` (the hover text with the exact values)."""
    rows: dict[str, list] = {k: [] for k in ("x", "y", "kind", "label", "text", "color", "info")}
    for sp in branch.special_points:
        x = float(sp.params[branch.param])
        text = sp.label
        info = f"{branch.param} = {x:.8g}"
        if sp.kind == "hopf":
            crit = sp.criticality or ""
            text = f"H ({crit[:-8] if crit.endswith('critical') else crit})" if crit else "H"
            info += f", omega = {sp.omega:.4g} rad/ms, l1 = {sp.l1:.4g} ({crit})"
        elif sp.kind == "fold" and sp.a is not None:
            info += f", a = {sp.a:.4g}"
        for k, v in (("x", x), ("y", float(sp.state[variable])), ("kind", sp.kind), ("label", sp.label),
                     ("text", text), ("color", POINT_COLORS.get(sp.label, "black")), ("info", info)):
            rows[k].append(v)
    return rows


def cycle_columns(branches: Any, variable: str) -> dict[str, np.ndarray]:
    """Columns of one or more limit-cycle branches (``CycleBranch``) for a bifurcation diagram.

    ``x`` (parameter), ``ymax``/``ymin`` (the largest and smallest value of ``variable`` over each cycle), their
    stability splits ``ymax_stable``, ``ymax_unstable``, ``ymin_stable``, ``ymin_unstable``, ``stable``,
    ``period`` (ms) and ``branch`` (which branch; branches are separated by a row of NaN so lines do not join).
    """
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("x", "ymax", "ymin", "ymax_stable", "ymax_unstable",
                                                          "ymin_stable", "ymin_unstable", "stable", "period",
                                                          "branch")}
    for b, br in enumerate(branches):
        names = tuple(br.variable_names)
        if variable not in names:
            raise ValueError(f"cycle_columns: no variable {variable!r}; choose one of {names}.")
        j = names.index(variable)
        stable = np.asarray(br.stable, bool)
        hi, lo = np.asarray(br.maxima)[:, j], np.asarray(br.minima)[:, j]
        his, hiu = stability_columns(hi, stable)
        los, lou = stability_columns(lo, stable)
        parts = (np.asarray(br.params, np.float64), hi, lo, his, hiu, los, lou, stable.astype(np.float64),
                 np.asarray(br.periods, np.float64), np.full(len(stable), float(b)))
        for key, arr in zip(cols, parts):
            if b:
                cols[key].append(np.array([np.nan]))
            cols[key].append(np.asarray(arr, np.float64))
    return {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in cols.items()}


def codim2_columns(curves: Any) -> dict[str, dict[str, Any]]:
    r"""Columns of fold and Hopf curves (``Codim2Branch``) in the plane of their two parameters.

    Returns ``{"fold": {x, y}, "hopf": {x, y_hopf, y_neutral}, "points": {x, y, label, color, info}}``: curves
    of one kind separated by NaN rows; on a Hopf curve ``y_neutral`` holds the neutral-saddle stretches
    (:math:`\kappa < 0`, not a bifurcation); ``points`` the codimension-two points (CP, BT, GH, ZH).
    """
    fold_x: list[np.ndarray] = []
    fold_y: list[np.ndarray] = []
    hopf: dict[str, list[np.ndarray]] = {"x": [], "y_hopf": [], "y_neutral": []}
    pts: dict[str, list] = {k: [] for k in ("x", "y", "label", "color", "info")}
    gap = np.array([np.nan])
    for c in curves:
        p1, p2 = c.param_names
        P = np.asarray(c.params, np.float64)
        if c.curve == "fold":
            fold_x += [gap, P[:, 0]] if fold_x else [P[:, 0]]
            fold_y += [gap, P[:, 1]] if fold_y else [P[:, 1]]
        else:
            yh, yn = stability_columns(P[:, 1], np.asarray(c.kappa) > 0)
            for key, arr in (("x", P[:, 0]), ("y_hopf", yh), ("y_neutral", yn)):
                hopf[key] += [gap, arr] if hopf[key] else [arr]
        for sp in c.special_points:
            pts["x"].append(float(sp.params[p1]))
            pts["y"].append(float(sp.params[p2]))
            pts["label"].append(sp.label)
            pts["color"].append(POINT_COLORS.get(sp.label, "black"))
            pts["info"].append(f"{p1} = {sp.params[p1]:.8g}, {p2} = {sp.params[p2]:.8g}")

    def cat(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros(0)

    return {"fold": {"x": cat(fold_x), "y": cat(fold_y)}, "hopf": {k: cat(v) for k, v in hopf.items()},
            "points": pts}
