r"""The clickable diagram of a :class:`~brainlab.widgets.NetworkBuilder`: its network drawn with bokeh in the layout
of the static SVG (:mod:`brainlab._network_svg`), so both draw a network the same way.

- a node is a box with its name, model and size (``n=800``; an input module: its number of sources); inputs and
  spike sources are orange, populations grey;
- an edge is the SVG's Bézier curve (sampled at :data:`SAMPLES` points), red and ending in an arrowhead when
  excitatory, blue with a tee (a bar across its end) when inhibitory, purple with a dot when mixed; a recurrent
  projection is a loop above its node; an input module's edge is dashed; each is labelled as in the SVG;
- hovering shows the SVG's ``<title>`` texts (model, size, parameters; rule, synapses, models, weight, delay);
- a click (a bokeh ``Tap`` event, which reaches the kernel through ``jupyter_bokeh``) is mapped to the part under
  it (:meth:`Diagram.pick`): the node whose box holds the point, else the edge whose curve passes within
  :data:`PICK` pixels of it, else the edge whose label holds it.

The coordinates are the SVG's with ``y`` negated (bokeh's ``y`` points up); the frame is the SVG's size times a
scale that fits it into ``max_width`` pixels, the same scale on both axes, so arrowheads point along their curves.
Changing the network rewrites the sources' data (and the ranges); the figure stays the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._network_svg import (_H, _MARGIN, _W, COLOURS, edge_geometry, edge_title, layout, node_detail,
                            node_title)

__all__ = ["Diagram", "diagram_data", "SAMPLES", "PICK"]

SAMPLES = 32    # points per drawn curve
PICK = 10.0     # a click this near a curve (pixels) picks its edge
_HIGHLIGHT = "#f5b041"


def bezier(points: Any, n: int = SAMPLES) -> np.ndarray:
    r"""``n`` points ``(x, y)`` along the quadratic (3 control points) or cubic (4) Bézier curve ``points``:
    :math:`B(t) = \sum_k \binom{m}{k} (1-t)^{m-k} t^k P_k`, :math:`t \in [0, 1]`.

    Example:
        >>> from brainlab.widgets._builder_diagram import bezier
        >>> bezier([(0, 0), (1, 2), (2, 0)], 3).tolist()
        [[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]
    """
    P = np.asarray(points, dtype=float)
    m = len(P) - 1
    t = np.linspace(0.0, 1.0, n)[:, None]
    return sum(math.comb(m, k) * (1 - t) ** (m - k) * t ** k * P[k] for k in range(m + 1))


def _extent(pos: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """The SVG's width and height (see :func:`brainlab._network_svg.network_svg`)."""
    xs = [x for x, _ in pos.values()] or [_MARGIN + _W / 2]
    ys = [y for _, y in pos.values()] or [_MARGIN + _H / 2]
    return max(xs) + _W / 2 + _MARGIN + 40, max(ys) + _H / 2 + _MARGIN + 30


def _head(sign: str, curve: list[tuple[float, float]]) -> dict[str, Any]:
    """The head of an edge at its end, in bokeh coordinates: a triangle, a bar across or a dot."""
    (ax, ay), (ex, ey) = curve[-2], curve[-1]
    dx, dy = ex - ax, -(ey - ay)
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    theta = math.atan2(dy, dx)
    if sign == "excitatory":  # the triangle's tip on the end point (bokeh's triangle points up at angle 0)
        return {"x": ex - ux * 4.5, "y": -ey - uy * 4.5, "angle": theta - math.pi / 2, "marker": "triangle",
                "size": 11.0}
    if sign == "inhibitory":
        return {"x": ex, "y": -ey, "angle": theta + math.pi / 2, "marker": "dash", "size": 16.0}
    return {"x": ex, "y": -ey, "angle": 0.0, "marker": "circle", "size": 8.0}


def diagram_data(doc: dict[str, Any]) -> dict[str, Any]:
    r"""The columns of the diagram's sources for a network document (``brainlab._mime.network_document``):
    ``{'nodes': {...}, 'edges': {...}, 'heads': {...}, 'size': (width, height)}`` in bokeh coordinates (the SVG's
    with ``y`` negated).

    Example:
        >>> import brainlab as bl
        >>> from brainlab._mime import network_document
        >>> d = diagram_data(network_document(bl.networks.coba(100, seed=1)))
        >>> d["nodes"]["id"], d["edges"]["id"], d["heads"]["marker"]
        (['E', 'I'], ['EE', 'EI', 'IE', 'II'], ['triangle', 'triangle', 'dash', 'dash'])
    """
    pos = layout(doc)
    nodes: dict[str, list[Any]] = {k: [] for k in ("id", "x", "y", "name", "model", "detail", "kind", "fill",
                                                   "stroke", "tip", "y_name", "y_model", "y_detail")}
    for n in doc["nodes"]:
        x, y = pos[n["id"]]
        is_input = n.get("kind") == "input"
        fill, stroke = ("#fdf2e9", "#b9770e") if is_input else ("#f4f6f7", "#566573")
        row = {"id": n["id"], "x": x, "y": -y, "name": n["name"], "model": n["model"], "detail": node_detail(n),
               "kind": n.get("kind", "population"), "fill": fill, "stroke": stroke, "tip": node_title(n),
               "y_name": -(y - 12.0), "y_model": -(y + 4.0), "y_detail": -(y + 17.0)}
        for k, v in row.items():
            nodes[k].append(v)
    edges: dict[str, list[Any]] = {k: [] for k in ("id", "pre", "post", "sign", "kind", "xs", "ys", "colour",
                                                   "dash", "lx", "ly", "label", "tip")}
    heads: dict[str, list[Any]] = {k: [] for k in ("id", "x", "y", "angle", "marker", "size", "colour")}
    for g in edge_geometry(doc, pos):
        pts = bezier(g["curve"])
        colour = COLOURS[g["sign"]]
        row = {"id": g["id"], "pre": g["pre"], "post": g["post"], "sign": g["sign"], "kind": g["kind"],
               "xs": pts[:, 0], "ys": -pts[:, 1], "colour": colour,
               "dash": "dashed" if g["kind"] == "input" else "solid", "lx": g["label"][0], "ly": -g["label"][1],
               "label": "\n".join(g["lines"]), "tip": edge_title(g["edge"])}
        for k, v in row.items():
            edges[k].append(v)
        for k, v in {"id": g["id"], **_head(g["sign"], g["curve"]), "colour": colour}.items():
            heads[k].append(v)
    return {"nodes": nodes, "edges": edges, "heads": heads, "size": _extent(pos)}


def _segment_distance(px: float, py: float, xs: np.ndarray, ys: np.ndarray) -> float:
    """The distance from ``(px, py)`` to the polyline ``xs, ys``."""
    ax, ay, bx, by = xs[:-1], ys[:-1], xs[1:], ys[1:]
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
    return float(np.min(np.hypot(ax + t * dx - px, ay + t * dy - py)))


class Diagram:
    r"""The bokeh figure of a network's diagram, its sources and the mapping of a click to a part.

    ``figure`` (the bokeh figure), ``sources`` (``'diagram_nodes'``, ``'diagram_edges'``, ``'diagram_heads'``,
    ``'diagram_selection'``); :meth:`show` draws a network, :meth:`pick` finds the part at a point,
    :meth:`highlight` marks the chosen part; ``on_pick(path)`` is called for a click on a part (``guard(fn,
    where)`` wraps the click handler, e.g. a panel's ``guarded``: errors go to its status line).

    Example:
        >>> import brainlab as bl
        >>> from brainlab.widgets._builder_diagram import Diagram
        >>> d = Diagram(lambda path: None)
        >>> d.show(bl.networks.coba(100, seed=1))
        >>> x, y = d.sources["diagram_nodes"].data["x"][1], d.sources["diagram_nodes"].data["y"][1]
        >>> d.pick(x + 30.0, y - 10.0)
        'I'
    """

    def __init__(self, on_pick: Callable[[str], Any], max_width: float = 900.0,
                 guard: Callable[[Callable[..., Any], str], Callable[..., Any]] | None = None):
        from bokeh import events
        from bokeh.models import ColumnDataSource, HoverTool, Range1d
        from bokeh.plotting import figure

        self.on_pick = on_pick
        self.max_width = float(max_width)
        self.scale = 1.0
        empty = diagram_data({"nodes": [], "edges": []})
        self.sources = {f"diagram_{k}": ColumnDataSource(empty[k]) for k in ("nodes", "edges", "heads")}
        self.sources["diagram_selection"] = ColumnDataSource({"xs": [], "ys": []})
        s = {k.removeprefix("diagram_"): v for k, v in self.sources.items()}
        fig = figure(x_range=Range1d(0, 1), y_range=Range1d(-1, 0), frame_width=300, frame_height=120,
                     tools="", toolbar_location=None, min_border=4, outline_line_color=None,
                     title="click a population, an input or an arrow to open its form")
        fig.axis.visible = False
        fig.grid.visible = False
        fig.title.text_font_size = "9pt"
        fig.title.text_font_style = "normal"
        fig.multi_line("xs", "ys", source=s["selection"], line_color=_HIGHLIGHT, line_width=9, line_alpha=0.7)
        edges = fig.multi_line("xs", "ys", source=s["edges"], line_color="colour", line_width=2,
                               line_dash="dash", hover_line_width=4)
        fig.scatter("x", "y", source=s["heads"], marker={"field": "marker"}, angle="angle", size="size",
                    fill_color="colour", line_color="colour", line_width=2)
        self._texts = []  # (glyph, font size in pt at scale 1): fonts shrink with a diagram scaled down
        labels = fig.text("lx", "ly", text="label", source=s["edges"], text_align="center", text_baseline="middle",
                 text_font_size="8pt", text_color="colour", text_line_height=1.1,
                 background_fill_color="white", background_fill_alpha=0.75)
        self._texts.append((labels.glyph, 8.0))
        nodes = fig.rect("x", "y", width=_W, height=_H, source=s["nodes"], fill_color="fill", line_color="stroke",
                         line_width=1.5, border_radius=10, hover_line_width=3)
        t_name = fig.text("x", "y_name", text="name", source=s["nodes"], text_align="center",
                 text_baseline="middle", text_font_size="11pt", text_font_style="bold")
        t_model = fig.text("x", "y_model", text="model", source=s["nodes"], text_align="center",
                 text_baseline="middle", text_font_size="8pt", text_color="#333333")
        t_detail = fig.text("x", "y_detail", text="detail", source=s["nodes"], text_align="center",
                 text_baseline="middle", text_font_size="8pt", text_color="#555555")
        self._texts += [(t_name.glyph, 11.0), (t_model.glyph, 8.0), (t_detail.glyph, 8.0)]
        tip = '<div style="white-space:pre;font-size:11px;max-width:420px">@tip</div>'
        fig.add_tools(HoverTool(renderers=[nodes, edges], tooltips=tip))
        handler = self._on_tap if guard is None else guard(self._on_tap, "diagram click")
        fig.on_event(events.Tap, lambda event: handler(event))  # bokeh wants the signature func(event)
        self.figure = fig
        self._selected: str | None = None

    def _on_tap(self, event: Any) -> None:
        if event.x is None or event.y is None:
            return
        path = self.pick(float(event.x), float(event.y))
        if path is not None:
            self.on_pick(path)

    # -- drawing ---------------------------------------------------------------------------------------------
    def show(self, net: Any) -> None:
        """Draw ``net`` (a :class:`~brainlab.Network`): new data in the same sources, new ranges."""
        from .._mime import network_document

        data = diagram_data(network_document(net))
        for k in ("nodes", "edges", "heads"):
            self.sources[f"diagram_{k}"].data = data[k]
        width, height = data["size"]
        self.scale = min(1.0, self.max_width / width)
        fig = self.figure
        fig.x_range.start, fig.x_range.end = 0.0, width
        fig.y_range.start, fig.y_range.end = -height, 0.0
        fig.frame_width, fig.frame_height = int(round(width * self.scale)), int(round(height * self.scale))
        for glyph, size in self._texts:
            glyph.text_font_size = f"{size * self.scale:.3g}pt"
        n = len(data["nodes"]["id"])
        fig.title.text = ("click a population, an input or an arrow to open its form" if n else
                          "(no populations yet: add one with the population form)")
        self.highlight(self._selected)

    def highlight(self, path: str | None) -> None:
        """Mark the part ``path`` (its box or its curve) with a thick yellow outline; ``None``: none."""
        self._selected = path
        nodes, edges = self.sources["diagram_nodes"].data, self.sources["diagram_edges"].data
        xs: list[np.ndarray] = []
        ys: list[np.ndarray] = []
        if path is not None:
            for i, node in enumerate(nodes["id"]):
                if node == path:
                    x, y = nodes["x"][i], nodes["y"][i]
                    xs.append(np.array([x - _W / 2, x + _W / 2, x + _W / 2, x - _W / 2, x - _W / 2]))
                    ys.append(np.array([y - _H / 2, y - _H / 2, y + _H / 2, y + _H / 2, y - _H / 2]))
            for i, edge in enumerate(edges["id"]):
                if edge == path:
                    xs.append(np.asarray(edges["xs"][i]))
                    ys.append(np.asarray(edges["ys"][i]))
        self.sources["diagram_selection"].data = {"xs": xs, "ys": ys}

    # -- clicks ----------------------------------------------------------------------------------------------
    def pick(self, x: float, y: float) -> str | None:
        """The part at ``(x, y)`` (diagram coordinates): a node whose box holds it, else the nearest edge whose
        curve passes within :data:`PICK` pixels, else an edge whose label holds it; ``None`` for empty space."""
        nodes, edges = self.sources["diagram_nodes"].data, self.sources["diagram_edges"].data
        for i, node in enumerate(nodes["id"]):
            if abs(x - nodes["x"][i]) <= _W / 2 + 2 and abs(y - nodes["y"][i]) <= _H / 2 + 2:
                return node
        reach = PICK / self.scale
        best, best_d = None, math.inf
        for i, edge in enumerate(edges["id"]):
            d = _segment_distance(x, y, np.asarray(edges["xs"][i], float), np.asarray(edges["ys"][i], float))
            if d < best_d:
                best, best_d = edge, d
        if best is not None and best_d <= reach:
            return best
        for i, edge in enumerate(edges["id"]):
            half = 3.2 * max(len(line) for line in edges["label"][i].split("\n"))  # ~ half a label's width
            if abs(x - edges["lx"][i]) <= half and abs(y - edges["ly"][i]) <= 14:
                return edge
        return None
