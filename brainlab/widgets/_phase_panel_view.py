"""The figures of :class:`~brainlab.widgets.PhasePlanePanel` (plane, time courses, sources, hover, Tap), its code
export, and the text of its readout."""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from ._phase_panel_draw import declared_units, system_code

__all__ = ["build_figures", "panel_code", "NULL_COLOURS"]

NULL_COLOURS = ("#d62728", "#1f77b4")


def build_figures(panel: Any) -> None:
    """The plane (vector field, nullclines, manifolds, cycles, trajectories, fixed points with hover, IF lines,
    the Tap callback) and one time-course figure per displayed variable, with their sources, into the panel."""
    from bokeh import events
    from bokeh.models import ColumnDataSource, HoverTool, Range1d, Span
    from bokeh.plotting import figure

    empty = {"x": np.zeros(0), "y": np.zeros(0)}
    s = panel.sources
    x0, y0 = panel.names[0], panel.names[-1]
    (a, b) = panel._window[x0]
    tools = "pan,wheel_zoom,box_zoom,reset,save"
    if panel.dim == 2:
        plane = figure(width=520, height=460, x_range=Range1d(a, b), y_range=Range1d(*panel._window[y0]),
                       x_axis_label=x0, y_axis_label=y0, tools=tools, title="click to start a trajectory")
    else:
        plane = figure(width=520, height=400, x_range=Range1d(a, b), x_axis_label=x0,
                       y_axis_label=f"d{x0}/dt", tools=tools, title="click to start a trajectory")
        s["field"] = ColumnDataSource(empty)
        plane.line("x", "y", source=s["field"], color="#444444", line_width=2, legend_label=f"d{x0}/dt")
        plane.add_layout(Span(location=0.0, dimension="width", line_color="#999999"))
    s["arrows"] = ColumnDataSource({"x0": [], "y0": [], "x1": [], "y1": [], "color": []})
    panel._arrows = plane.segment("x0", "y0", "x1", "y1", source=s["arrows"], line_color="color",
                                  line_alpha=0.75)
    s["streamlines"] = ColumnDataSource(empty)
    panel._stream = plane.line("x", "y", source=s["streamlines"], color="#7f7f7f", line_alpha=0.8)
    for i, name in enumerate(panel.names if panel.dim == 2 else ()):
        s[f"nullcline_{name}"] = ColumnDataSource(empty)
        plane.line("x", "y", source=s[f"nullcline_{name}"], color=NULL_COLOURS[i], line_width=2.5,
                   legend_label=f"d{name}/dt = 0")
    s["stable_manifolds"] = ColumnDataSource(empty)
    s["unstable_manifolds"] = ColumnDataSource(empty)
    plane.line("x", "y", source=s["stable_manifolds"], color="#8c564b", line_width=2, line_dash="dashed")
    plane.line("x", "y", source=s["unstable_manifolds"], color="#17becf", line_width=2)
    s["limit_cycle"] = ColumnDataSource(empty)
    plane.line("x", "y", source=s["limit_cycle"], color="#9467bd", line_width=3)
    s["shown_cycle"] = ColumnDataSource(empty)
    plane.line("x", "y", source=s["shown_cycle"], color="#9467bd", line_width=2, line_dash="dotdash")
    s["trajectories"] = ColumnDataSource(empty)
    plane.line("x", "y", source=s["trajectories"], color="#111111", line_width=2, line_alpha=0.85)
    s["starts"] = ColumnDataSource(empty)
    plane.scatter("x", "y", source=s["starts"], size=6, color="#111111")
    s["fixed_points"] = ColumnDataSource({k: [] for k in ("x", "y", "kind", "eig", "fill", "marker")})
    fp = plane.scatter("x", "y", source=s["fixed_points"], marker={"field": "marker"}, size=13,
                       fill_color={"field": "fill"}, line_color="black", line_width=1.5)
    tips = [("", "@kind"), (x0, "@x{0.0000}")] + ([(y0, "@y{0.0000}")] if panel.dim == 2 else [])
    plane.add_tools(HoverTool(renderers=[fp], tooltips=tips + [("eigenvalues (1/ms)", "@eig")]))
    s["marker"] = ColumnDataSource(empty)
    plane.scatter("x", "y", source=s["marker"], marker="x", size=16, line_width=3, color="black")
    panel.threshold_span = panel.reset_span = None
    if panel.system.reset is not None and panel.system.reset[0] in panel.names:
        dim = "height" if panel.system.reset[0] == x0 else "width"
        panel.threshold_span = Span(location=np.nan, dimension=dim, line_color="#d62728", line_dash="dashed",
                                   line_width=2)
        panel.reset_span = Span(location=np.nan, dimension=dim, line_color="#1f77b4", line_dash="dotted",
                               line_width=2)
        plane.add_layout(panel.threshold_span)
        plane.add_layout(panel.reset_span)
        var, thr, _value = panel.system.reset
        reset = "V_reset" if "V_reset" in panel.system.param_names else "c"
        plane.title.text = (f"click to start a trajectory; dashed red: {thr} (spike), dotted blue: {reset} "
                            f"({var} after a spike)")
    plane.legend.location = "top_left"
    plane.legend.label_text_font_size = "8pt"
    plane.legend.background_fill_alpha = 0.6
    plane.on_event(events.Tap, panel._on_tap)
    s["trajectory"] = ColumnDataSource({"t": np.zeros(0), **{n: np.zeros(0) for n in panel.names}})
    panel.figures["plane"] = plane
    units = declared_units(panel._source)
    shared = None
    for i, name in enumerate(panel.names):
        label = f"{name} ({units[name]})" if units.get(name) else name
        fig = figure(width=420, height=220 if panel.dim == 2 else 300, x_axis_label="t (ms)",
                     y_axis_label=label, title="last trajectory" if i == 0 else "",
                     tools="pan,box_zoom,wheel_zoom,reset,save", **({"x_range": shared} if shared else {}))
        shared = fig.x_range
        fig.line("t", name, source=s["trajectory"], color=NULL_COLOURS[i], line_width=2)
        panel.figures[f"series_{name}"] = fig
def panel_code(panel: Any) -> str:
    """The Python that recomputes this view with ``bl.analysis.PhasePlane`` and its plotting functions;
    ``fixed_points`` holds the fixed points shown, ``fig`` the figure."""
    lines, ref, base = system_code(panel._source, panel.system)
    now = panel.plane.params
    changed = {k: v for k, v in now.items() if k not in base or v != base[k]}
    held = {n: float(panel.controls[n].value) for n in panel._held_names}
    out = ["import numpy as np", "import jax.numpy as jnp", "import brainlab as bl", "", *lines, ""]
    args = [ref, f"variables={panel._window!r}"]
    if changed:
        args.append(f"params={changed!r}")
    if held:
        args.append(f"fixed={held!r}")
    args.append(f"resolution={panel._resolution}")
    out.append(f"pp = bl.analysis.PhasePlane({', '.join(args)})")
    fwd = [p.tolist() for p, d in panel._starts if d in ("forward", "both")]
    back = [p.tolist() for p, d in panel._starts if d in ("backward", "both")]
    duration = float(panel.controls["duration"].value)
    sep = panel.dim == 2 and bool(panel.controls["separatrices"].value)
    lc = panel.dim == 2 and bool(panel.controls["limit_cycle"].value)
    out.append(f"portrait = pp.portrait(separatrices={sep}, limit_cycle={lc}, trajectories={fwd!r}, "
               f"duration={duration!r})")
    out.append("fixed_points = portrait.fixed_points")
    out.append("fig = portrait.plot()")
    if back:
        out.append(f"for tr in pp.trajectories({back!r}, {duration!r}, backward=True):")
        out.append("    bl.plotting.phase_plane.plot_trajectory(tr, fig)")
    if panel.system.reset is not None and panel.threshold_span is not None:
        out.append(f"# {panel.system.note}")
    out.append("print(fixed_points)")
    return "\n".join(out) + "\n"



def _current_bounds(cls: type, p: Any, value: float) -> tuple[float, float] | None:
    """Slider bounds for a model's ``I_ext``: from -a to 2a around the explorer's default current ``a`` (the
    current that makes the library's model fire), within the admissible range."""
    try:
        from ._explorer_inputs import model_defaults

        amp = abs(float(model_defaults(cls)[0]))
    except Exception:
        return None
    lo, hi = max(p.range[0], min(-amp, value)), min(p.range[1], max(2 * amp, value))
    return (lo, hi) if amp > 0 and lo < hi else None


def _describe(fps: Any, names: tuple[str, ...]) -> str:
    if not len(fps):
        return "no fixed point in the window"
    rows = []
    for fp in fps:
        where = ", ".join(f"{n} = {v:.4g}" for n, v in fp.state.items())
        eig = ", ".join(f"{e.real:.3g}{e.imag:+.3g}j" if abs(e.imag) > 0 else f"{e.real:.3g}"
                        for e in fp.eigenvalues)
        rows.append(f"<b>{html.escape(fp.kind)}</b> at {html.escape(where)} (eigenvalues {eig} /ms)")
    return f"{len(fps)} fixed point{'s' * (len(fps) != 1)}: " + "; ".join(rows)


def _describe_cycle(cycle: Any, message: str) -> str:
    if message:
        return f"<br>limit cycle: {html.escape(message)}"
    if cycle is None:
        return ""
    if not cycle.found:
        return f"<br>no limit cycle found: {html.escape(cycle.message)}"
    return (f"<br><b>{'stable' if cycle.stable else 'unstable'} limit cycle</b>: period {cycle.period:.4g} ms "
            f"({1000 / cycle.period:.4g} Hz)")
