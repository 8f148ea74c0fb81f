"""Bokeh figures of phase-plane results: vector fields, nullclines, fixed points, trajectories, cycles.

Every function takes a result object (duck-typed: the attributes documented in
``brainlab.analysis``'s result classes) and an optional ``fig`` to draw into, and returns the figure.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from bokeh.models import ColumnDataSource, HoverTool
from bokeh.palettes import Category10, Viridis256
from bokeh.plotting import figure

__all__ = [
    "plot_vector_field",
    "plot_nullclines",
    "plot_fixed_points",
    "plot_trajectory",
    "plot_limit_cycle",
    "plot_separatrices",
    "plot_phase_portrait",
    "fixed_point_columns",
    "STABILITY_COLOURS",
]

_NULLCLINE_COLORS = ("#d62728", "#1f77b4")
_KIND_STYLE = {
    "stable node": ("circle", "black"),
    "stable focus": ("circle", "black"),
    "unstable node": ("circle", "white"),
    "unstable focus": ("circle", "white"),
    "saddle": ("square", "white"),
    "centre": ("diamond", "white"),
    "non-hyperbolic": ("triangle", "white"),
}


# Fill colours by stability (used by the widgets' fixed-point sources): stable green, unstable red, saddle orange.
STABILITY_COLOURS = {"stable": "#2ca02c", "unstable": "#d62728", "saddle": "#ff7f0e", "other": "#7f7f7f"}
_KIND_MARKER = {"saddle": "square", "centre": "diamond", "non-hyperbolic": "triangle"}


def fixed_point_columns(fps: Any) -> dict[str, Any]:
    r"""Columns for a ``ColumnDataSource`` of fixed points: ``x``, ``y`` (0 in 1D), ``kind``, ``stable``,
    ``eig`` (the eigenvalues as text, 1/ms), ``lambda1_re``, ``lambda1_im`` (and ``lambda2_*`` in 2D), ``fill``
    (by stability, :data:`STABILITY_COLOURS`) and ``marker`` (square: saddle, circle: node or focus).

    Example:
        >>> import brainlab as bl
        >>> def f(x, r=1.0):
        ...     return r * x - x**3
        >>> cols = fixed_point_columns(bl.analysis.PhasePlane(f, {'x': (-2, 2)}).fixed_points())
        >>> cols['x'].round(6).tolist(), cols['kind']
        ([-1.0, 0.0, 1.0], ['stable node', 'unstable node', 'stable node'])
    """
    pts = list(fps.points)
    d = len(tuple(fps.names))
    cols: dict[str, Any] = {
        "x": np.array([p.x[0] for p in pts], np.float64),
        "y": np.array([p.x[1] if d == 2 else 0.0 for p in pts], np.float64),
        "kind": [p.kind for p in pts],
        "stable": np.array([bool(p.stable) for p in pts], bool),
        "eig": [", ".join(f"{e.real:.4g}{e.imag:+.4g}j" if abs(e.imag) > 0 else f"{e.real:.4g}"
                          for e in p.eigenvalues) for p in pts],
    }
    for k in range(d):
        cols[f"lambda{k + 1}_re"] = np.array([float(np.real(p.eigenvalues[k])) for p in pts], np.float64)
        cols[f"lambda{k + 1}_im"] = np.array([float(np.imag(p.eigenvalues[k])) for p in pts], np.float64)
    cols["fill"] = [STABILITY_COLOURS["saddle" if p.kind == "saddle" else "stable" if p.stable
                                      else "unstable" if "unstable" in p.kind else "other"] for p in pts]
    cols["marker"] = [_KIND_MARKER.get(p.kind, "circle") for p in pts]
    return cols


def _new_figure(names: tuple[str, ...], title: str = "", bounds: dict | None = None, **kw: Any) -> Any:
    opts: dict[str, Any] = {"width": 520, "height": 440, "title": title, "tools": "pan,wheel_zoom,box_zoom,reset,save"}
    if bounds is not None and len(names) == 2:
        opts["x_range"] = bounds[names[0]]
        opts["y_range"] = bounds[names[1]]
    elif bounds is not None and len(names) == 1:
        opts["x_range"] = bounds[names[0]]
    opts.update(kw)
    fig = figure(**opts)
    fig.xaxis.axis_label = names[0]
    fig.yaxis.axis_label = names[1] if len(names) == 2 else f"d{names[0]}/dt"
    return fig


def _arrows(x0: np.ndarray, y0: np.ndarray, dx: np.ndarray, dy: np.ndarray, sx: float, sy: float) -> tuple:
    """Shaft-plus-barbs polylines for arrows whose length and direction are set in axis-normalised units."""
    ux, uy = dx / sx, dy / sy
    norm = np.hypot(ux, uy)
    good = norm > 0
    ux, uy = np.where(good, ux / np.where(good, norm, 1), 0), np.where(good, uy / np.where(good, norm, 1), 0)
    xs, ys = [], []
    for k in np.nonzero(good)[0]:
        tx, ty = x0[k] + ux[k] * sx, y0[k] + uy[k] * sy
        bx1 = tx + (-0.35 * ux[k] + 0.2 * uy[k]) * sx
        by1 = ty + (-0.35 * uy[k] - 0.2 * ux[k]) * sy
        bx2 = tx + (-0.35 * ux[k] - 0.2 * uy[k]) * sx
        by2 = ty + (-0.35 * uy[k] + 0.2 * ux[k]) * sy
        xs.append([x0[k] - 0.5 * ux[k] * sx, tx, bx1, tx, bx2])
        ys.append([y0[k] - 0.5 * uy[k] * sy, ty, by1, ty, by2])
    return xs, ys, np.nonzero(good)[0]


def plot_vector_field(vf: Any, fig: Any = None) -> Any:
    """Arrows of unit length (coloured by log-speed) on the grid; in 1D the graph of dx/dt with arrows."""
    names = tuple(vf.names)
    if len(names) == 1:
        fig = fig or _new_figure(names, "phase line")
        fig.line(vf.x, vf.u, line_color="#444444", line_width=2, legend_label=f"d{names[0]}/dt")
        fig.line([vf.x[0], vf.x[-1]], [0, 0], line_color="#999999")
        step = max(1, len(vf.x) // 15)
        xs = vf.x[::step]
        du = np.sign(vf.u[::step])
        sx = 0.3 * (vf.x[-1] - vf.x[0]) / 15
        mxs, mys, _ = _arrows(xs, np.zeros_like(xs), du, np.zeros_like(xs), sx, 1.0)
        fig.multi_line(mxs, mys, line_color="#2ca02c", line_width=2)
        return fig
    X, Y = np.meshgrid(vf.x, vf.y)
    sx = 0.4 * (vf.x[-1] - vf.x[0]) / max(len(vf.x) - 1, 1)
    sy = 0.4 * (vf.y[-1] - vf.y[0]) / max(len(vf.y) - 1, 1)
    xs, ys, keep = _arrows(X.ravel(), Y.ravel(), vf.u.ravel(), vf.v.ravel(), sx, sy)
    speed = np.log10(np.hypot(vf.u.ravel(), vf.v.ravel())[keep] + 1e-300)
    lo, hi = (float(speed.min()), float(speed.max())) if speed.size else (0.0, 1.0)
    idx = ((speed - lo) / (hi - lo + 1e-12) * 255).astype(int) if speed.size else np.zeros(0, int)
    colors = [Viridis256[i] for i in idx]
    fig = fig or _new_figure(names, "vector field", {names[0]: (vf.x[0], vf.x[-1]), names[1]: (vf.y[0], vf.y[-1])})
    fig.multi_line(xs, ys, line_color=colors, line_alpha=0.7)
    return fig


def plot_nullclines(nc: Any, fig: Any = None) -> Any:
    """Each variable's nullcline (all its branches) in its own colour."""
    names = tuple(nc.names)
    fig = fig or _new_figure(names, "nullclines")
    for i, name in enumerate(names):
        lines = nc.lines[name]
        if not lines:
            continue
        fig.multi_line([ln[:, 0] for ln in lines], [ln[:, 1] for ln in lines], line_color=_NULLCLINE_COLORS[i % 2],
                       line_width=2, legend_label=f"d{name}/dt = 0")
    return fig


def plot_fixed_points(fps: Any, fig: Any = None) -> Any:
    """Fixed points: filled (stable) or open (unstable) markers, squares for saddles; hover shows details."""
    names = tuple(fps.names)
    fig = fig or _new_figure(names, "fixed points")
    for kind, (marker, fill) in _KIND_STYLE.items():
        pts = [p for p in fps.points if p.kind == kind]
        if not pts:
            continue
        xs = [p.x[0] for p in pts]
        ys = [p.x[1] if len(names) == 2 else 0.0 for p in pts]
        src = ColumnDataSource(
            {
                "x": xs,
                "y": ys,
                "kind": [kind] * len(pts),
                "eig": [", ".join(f"{e:.4g}" for e in p.eigenvalues) for p in pts],
            }
        )
        r = fig.scatter("x", "y", source=src, marker=marker, size=11, fill_color=fill, line_color="black",
                        line_width=2, legend_label=kind)
        fig.add_tools(HoverTool(renderers=[r], tooltips=[("", "@kind"), ("x", "@x{0.0000}"), ("y", "@y{0.0000}"),
                                                        ("eigenvalues", "@eig")]))
    return fig


def plot_trajectory(tr: Any, fig: Any = None, color: str = "#ff7f0e") -> Any:
    """The orbit in the phase plane (x(t) against t for one variable)."""
    names = tuple(tr.names)
    if len(names) == 1:
        fig = fig or figure(width=520, height=300, title="trajectory")
        fig.xaxis.axis_label = "t (ms)"
        fig.yaxis.axis_label = names[0]
        fig.line(tr.t, tr.states[:, 0], line_color=color, line_width=2)
        return fig
    fig = fig or _new_figure(names, "trajectory")
    fig.line(tr.states[:, 0], tr.states[:, 1], line_color=color, line_width=2)
    if len(tr.t):
        fig.scatter([tr.states[0, 0]], [tr.states[0, 1]], marker="circle", size=6, fill_color=color, line_color=color)
    return fig


def plot_limit_cycle(lc: Any, fig: Any = None) -> Any:
    """A periodic orbit: thick solid line if stable, dashed if unstable; the legend gives the period."""
    names = tuple(lc.names)
    fig = fig or _new_figure(names, "limit cycle")
    if not lc.found:
        fig.title.text = f"no limit cycle: {lc.message}"
        return fig
    dash = "solid" if lc.stable else "dashed"
    label = f"{'stable' if lc.stable else 'unstable'} cycle, T = {lc.period:.4g} ms"
    fig.line(np.append(lc.states[:, 0], lc.states[0, 0]), np.append(lc.states[:, 1], lc.states[0, 1]),
             line_color="#9467bd", line_width=3, line_dash=dash, legend_label=label)
    return fig


def plot_separatrices(seps: Any, fig: Any = None) -> Any:
    """Stable manifolds dashed, unstable manifolds solid."""
    names = tuple(seps.names)
    fig = fig or _new_figure(names, "separatrices")
    for kind, color, dash in (("stable", "#8c564b", "dashed"), ("unstable", "#17becf", "solid")):
        curves = [c.states for c in seps.curves if c.kind == kind and len(c.states) > 1]
        if curves:
            fig.multi_line([c[:, 0] for c in curves], [c[:, 1] for c in curves], line_color=color, line_width=2,
                           line_dash=dash, legend_label=f"{kind} manifold")
    return fig


def plot_phase_portrait(portrait: Any, fig: Any = None) -> Any:
    """Everything a :class:`PhasePortrait` holds, in one figure."""
    names = tuple(portrait.names)
    title = ", ".join(f"{k}={v:.4g}" for k, v in list(portrait.params.items())[:4])
    fig = fig or _new_figure(names, title, portrait.bounds)
    if portrait.vector_field is not None:
        plot_vector_field(portrait.vector_field, fig)
    if portrait.nullclines is not None:
        plot_nullclines(portrait.nullclines, fig)
    if portrait.separatrices is not None:
        plot_separatrices(portrait.separatrices, fig)
    palette = Category10[10]
    for i, tr in enumerate(portrait.trajectories):
        if len(names) == 2:
            plot_trajectory(tr, fig, color=palette[(i + 1) % 10])
    for lc in portrait.limit_cycles:
        plot_limit_cycle(lc, fig)
    if portrait.fixed_points is not None:
        plot_fixed_points(portrait.fixed_points, fig)
    if fig.legend:
        fig.legend.click_policy = "hide"
        fig.legend.label_text_font_size = "8pt"
    return fig
