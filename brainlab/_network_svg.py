r"""A static SVG diagram of a network document (``application/vnd.brainlab.network+json``, see
:mod:`brainlab._mime`), for notebook viewers without brainlab's JupyterLab extension (nbviewer, GitHub, VS Code).

The layout is computed here and depends only on the document, so a network always draws the same way:

* input modules and spike sources (``bl.inputs``) form the left column;
* populations are placed in layers: those that receive nothing from another population first, then each
  population one layer to the right of the first population (in network order) that projects onto it, found
  breadth-first over the projections in network order; within a layer, rows follow the network's order;
* a projection is an arrow from pre to post, bent when the reverse projection exists (or several connect the
  same pair), a loop above the node for a recurrent one; excitatory arrows end in an arrowhead, inhibitory ones
  in a tee (a bar), mixed ones in a dot;
* each arrow is labelled with its connectivity rule and its numbers, the weight and the delay; hovering a node or
  an arrow shows everything (model, size, parameters; rule, synapses, synapse and output models with their
  parameters, short-term plasticity, weight, delay) through SVG ``<title>`` elements.

Every string from the network (names, model names, rule text) is escaped, so a population named
``<img src=x onerror=alert(1)>`` shows as that text.

Example:
    >>> import brainlab as bl, xml.etree.ElementTree as ET
    >>> from brainlab._mime import network_document
    >>> from brainlab._network_svg import network_svg
    >>> root = ET.fromstring(network_svg(network_document(bl.networks.coba(100, seed=1))))
    >>> ns = {"s": "http://www.w3.org/2000/svg"}
    >>> [g.get("data-id") for g in root.iterfind(".//s:g[@class='bl-edge']", ns)]
    ['EE', 'EI', 'IE', 'II']
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

__all__ = ["network_svg", "layout", "edge_geometry", "node_title", "edge_title", "node_detail"]

COLOURS = {"excitatory": "#c0392b", "inhibitory": "#2471a3", "mixed": "#7d3c98"}
_W, _H = 132.0, 58.0          # node box
_COL, _ROW = 270.0, 130.0     # layer and row spacing
_MARGIN = 40.0
_LOOP = 46.0                  # height of a self-loop above its node


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _fmt(x: Any) -> str:
    return "?" if x is None else f"{float(x):.4g}"


def _amount(q: dict | None) -> str:
    """``0.6 nS`` or ``[0.5, 1] nS`` for a ``{value, min, max, uniform, unit}`` summary."""
    if q is None:
        return ""
    unit = f" {q['unit']}" if q.get("unit") else ""
    if q.get("uniform"):
        return f"{_fmt(q.get('value'))}{unit}"
    return f"[{_fmt(q.get('min'))}, {_fmt(q.get('max'))}]{unit}"


def _rule_label(rule: dict | None) -> str:
    """``'FixedProb p=0.02'`` from ``'FixedProb(prob=0.02, allow_multapses=False, include_self=True, seed=1)'``."""
    if rule is None:
        return ""
    text = str(rule.get("text") or "")
    m = re.fullmatch(r"\s*(\w+)\((.*)\)\s*", text, flags=re.S)
    if not m:
        return text[:40]
    keep = []
    for part in m.group(2).split(","):
        part = part.strip()
        key, _, value = part.partition("=")
        if not value:
            if part == "on the fly":
                keep.append("on the fly")
            continue
        if key in ("seed", "n_pre", "n_post") or (key, value) in (("allow_multapses", "False"),
                                                                  ("include_self", "True"), ("periodic", "False")):
            continue
        keep.append(f"{'p' if key == 'prob' else key}={value}")
    return " ".join([m.group(1)] + keep)


def _component_text(c: dict | None) -> str:
    if c is None:
        return ""
    params = ", ".join(f"{p['name']}={_amount(p)}" for p in c.get("params", []))
    return f"{c['model']}({params})"


# ------------------------------------------------------------------------------------------------------------
# layout
# ------------------------------------------------------------------------------------------------------------


def layout(doc: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Node centres ``{id: (x, y)}`` (see the module docstring); deterministic for a given document."""
    nodes, edges = doc["nodes"], doc["edges"]
    inputs = [n["id"] for n in nodes if n.get("kind") == "input"]
    pops = [n["id"] for n in nodes if n.get("kind") != "input"]
    pop_set = set(pops)
    succ: dict[str, list[str]] = {p: [] for p in pops}
    has_pred = set()
    for e in edges:
        if e["pre"] in pop_set and e["post"] in pop_set and e["pre"] != e["post"]:
            succ[e["pre"]].append(e["post"])
            has_pred.add(e["post"])
    base = 1 if inputs else 0
    layer: dict[str, int] = {i: 0 for i in inputs}
    pending = [p for p in pops if p not in has_pred] or pops[:1]
    while len(layer) < len(inputs) + len(pops):
        queue = [p for p in pending if p not in layer]
        for p in queue:
            layer[p] = base
        while queue:
            nxt = []
            for p in queue:
                for q in succ[p]:
                    if q not in layer:
                        layer[q] = layer[p] + 1
                        nxt.append(q)
            queue = nxt
        pending = [next(p for p in pops if p not in layer)] if len(layer) < len(inputs) + len(pops) else []
    columns: dict[int, list[str]] = {}
    for n in nodes:
        columns.setdefault(layer[n["id"]], []).append(n["id"])
    tallest = max((len(c) for c in columns.values()), default=1)
    pos = {}
    for col, ids in columns.items():
        top = _MARGIN + _LOOP + 30 + (tallest - len(ids)) * _ROW / 2
        for row, node_id in enumerate(ids):
            pos[node_id] = (_MARGIN + _W / 2 + col * _COL, top + _H / 2 + row * _ROW)
    return pos


def _boundary(cx: float, cy: float, tx: float, ty: float, gap: float = 0.0) -> tuple[float, float]:
    """The point where the ray from the box centre ``(cx, cy)`` towards ``(tx, ty)`` leaves the box (+ gap)."""
    dx, dy = tx - cx, ty - cy
    length = math.hypot(dx, dy) or 1.0
    t = min(_W / 2 / abs(dx) if dx else math.inf, _H / 2 / abs(dy) if dy else math.inf)
    return cx + dx * t + dx / length * gap, cy + dy * t + dy / length * gap


# ------------------------------------------------------------------------------------------------------------
# drawing
# ------------------------------------------------------------------------------------------------------------


def _marker_defs() -> list[str]:
    out = ["<defs>"]
    for sign, colour in COLOURS.items():
        if sign == "excitatory":
            head, box, ref, size = ('<path d="M0,0 L10,5 L0,10 z"/>', "0 0 10 10", 'refX="9" refY="5"',
                                    'markerWidth="11" markerHeight="11"')
        elif sign == "inhibitory":  # a tee: a bar across the line
            head, box, ref, size = ('<rect x="0" y="0" width="4" height="16"/>', "0 0 4 16", 'refX="2" refY="8"',
                                    'markerWidth="4" markerHeight="16"')
        else:
            head, box, ref, size = ('<circle cx="5" cy="5" r="4"/>', "0 0 10 10", 'refX="5" refY="5"',
                                    'markerWidth="10" markerHeight="10"')
        out.append(f'<marker id="bl-{sign}" viewBox="{box}" {ref} {size} markerUnits="userSpaceOnUse" '
                   f'orient="auto" fill="{colour}">{head}</marker>')
    out.append("</defs>")
    return out


def edge_title(e: dict) -> str:
    """The hover text of an edge (its SVG ``<title>``)."""
    lines = [f"{e['name']}: {e['pre']} \u2192 {e['post']} ({e['sign']})"]
    rule = e.get("rule")
    if rule:
        syn = f", {rule['synapses']} synapses" if rule.get("synapses") is not None else ""
        dens = f" (density {rule['density']:.3g})" if rule.get("density") is not None else ""
        lines.append(f"connectivity: {rule['text']}{syn}{dens}")
    for key in ("synapse", "output", "stp"):
        if e.get(key):
            lines.append(f"{key}: {_component_text(e[key])}")
    weight = e.get("weight") or {}
    if weight.get("value") is not None or weight.get("min") is not None:
        lines.append(f"weight: {_amount(weight)}")
    if e.get("delay"):
        lines.append(f"delay: {_amount(e['delay'])}")
    return "\n".join(lines)


def _edge_label(e: dict) -> tuple[str, str]:
    rule = _rule_label(e.get("rule"))
    first = f"{e['name']}: {rule}" if rule else e["name"]
    weight = e.get("weight") or {}
    models = "\u2192".join(e[k]["model"] for k in ("synapse", "output") if e.get(k))
    parts = [] if weight.get("value") is None and weight.get("min") is None else [f"w={_amount(weight)}"]
    if models:
        parts.insert(0, models)
    if e.get("delay"):
        parts.append(f"d={_amount(e['delay'])}")
    if e.get("stp"):
        parts.append(e["stp"]["model"])
    return first, " ".join(parts[:2]) + "".join(", " + x for x in parts[2:])


def _label(x: float, y: float, lines: tuple[str, str], colour: str) -> str:
    a, b = (_esc(t) for t in lines)
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" font-size="10" fill="{colour}" '
            f'stroke="#ffffff" stroke-width="3" paint-order="stroke">'
            f'<tspan x="{x:.1f}" dy="-0.2em">{a}</tspan><tspan x="{x:.1f}" dy="1.2em">{b}</tspan></text>')


def edge_geometry(doc: dict[str, Any], pos: dict[str, tuple[float, float]] | None = None) -> list[dict[str, Any]]:
    r"""The drawn shape of each edge of a network document, in the SVG's coordinates (x right, y down).

    One dict per edge, in document order: ``id``, ``pre``, ``post``, ``sign``, ``kind``; ``curve``, the control
    points of a quadratic (3 points: start, control, end) or, for a self-loop, a cubic Bézier curve (4 points);
    ``label``, the centre ``(x, y)`` of its two-line label and ``lines``, that label's text.  ``pos``: the node
    centres (default :func:`layout`).

    Example:
        >>> import brainlab as bl
        >>> from brainlab._mime import network_document
        >>> g = edge_geometry(network_document(bl.networks.coba(100, seed=1)))
        >>> [(e["id"], len(e["curve"])) for e in g]
        [('EE', 4), ('EI', 3), ('IE', 3), ('II', 4)]
    """
    pos = layout(doc) if pos is None else pos
    edges = doc["edges"]
    out = []
    loops: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
    for e in edges:
        sign = e["sign"]
        (x0, y0), (x1, y1) = pos[e["pre"]], pos[e["post"]]
        gap = 2.0 if sign == "excitatory" else 3.0
        if e["pre"] == e["post"]:
            k = loops.get(e["pre"], 0)
            loops[e["pre"]] = k + 1
            h, spread = _LOOP + 14 * k, 26 + 8 * k
            sx, sy = x0 - spread, y0 - _H / 2
            ex, ey = x0 + spread, y0 - _H / 2 - gap
            curve = [(sx, sy), (x0 - spread - 24, sy - h), (x0 + spread + 24, sy - h), (ex, ey)]
            lx, ly = x0, sy - 0.75 * h - 12
        else:
            key = (min(e["pre"], e["post"]), max(e["pre"], e["post"]))
            k = pairs.get(key, 0)
            pairs[key] = k + 1
            reverse = any(o["pre"] == e["post"] and o["post"] == e["pre"] for o in edges)
            bend = (22.0 if reverse else 0.0) + 18.0 * k
            length = math.hypot(x1 - x0, y1 - y0) or 1.0
            ux, uy = (x1 - x0) / length, (y1 - y0) / length
            cx, cy = (x0 + x1) / 2 - uy * bend * 2, (y0 + y1) / 2 + ux * bend * 2
            sx, sy = _boundary(x0, y0, cx, cy)
            ex, ey = _boundary(x1, y1, cx, cy, gap)
            curve = [(sx, sy), (cx, cy), (ex, ey)]
            lx, ly = 0.25 * sx + 0.5 * cx + 0.25 * ex, 0.25 * sy + 0.5 * cy + 0.25 * ey
            nx, ny = -uy, ux  # the side the curve bends to; a straight arrow gets its label above it
            if bend == 0.0 and ny > 0 or bend == 0.0 and ny == 0 and nx > 0:
                nx, ny = -nx, -ny
            lx, ly = lx + nx * 14, ly + ny * 14
        out.append({"id": e.get("id", e["name"]), "pre": e["pre"], "post": e["post"], "sign": sign,
                    "kind": e.get("kind", "projection"), "curve": curve, "label": (lx, ly),
                    "lines": _edge_label(e), "edge": e})
    return out


def _edges(doc: dict, pos: dict) -> list[str]:
    out = []
    for g in edge_geometry(doc, pos):
        e, sign = g["edge"], g["sign"]
        colour = COLOURS[sign]
        pts = g["curve"]
        if len(pts) == 4:
            (sx, sy), (ax, ay), (bx, by), (ex, ey) = pts
            d = f"M {sx:.1f} {sy:.1f} C {ax:.1f} {ay:.1f} {bx:.1f} {by:.1f} {ex:.1f} {ey:.1f}"
        else:
            (sx, sy), (cx, cy), (ex, ey) = pts
            d = f"M {sx:.1f} {sy:.1f} Q {cx:.1f} {cy:.1f} {ex:.1f} {ey:.1f}"
        lx, ly = g["label"]
        dash = ' stroke-dasharray="5 3"' if e.get("kind") == "input" else ""
        out.append(f'<g class="bl-edge" data-id="{_esc(e.get("id", e["name"]))}" data-pre="{_esc(e["pre"])}" '
                   f'data-post="{_esc(e["post"])}" data-sign="{sign}"><title>{_esc(edge_title(e))}</title>'
                   f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2"{dash} '
                   f'marker-end="url(#bl-{sign})"/>{_label(lx, ly, g["lines"], colour)}</g>')
    return out


def node_title(n: dict) -> str:
    """The hover text of a node (its SVG ``<title>``)."""
    lines = [f"{n['name']}: {n.get('module', '')}.{n['model']}".replace(': .', ': ') + (f", {n['size']} neurons" if n.get("size") else "")]
    if n.get("n_inputs") is not None:
        lines.append(f"{n['n_inputs']} Poisson sources per neuron")
    lines += [f"{p['name']} = {_amount(p)}" for p in n.get("params", [])]
    return "\n".join(lines)


def node_detail(n: dict) -> str:
    """The third line of a node's box: ``'n=800'``, ``'100 sources'`` or ``'input'``."""
    return f"n={n['size']}" if n.get("size") is not None else (
        f"{n['n_inputs']} sources" if n.get("n_inputs") is not None else "input")


def _nodes(doc: dict, pos: dict) -> list[str]:
    out = []
    for n in doc["nodes"]:
        x, y = pos[n["id"]]
        is_input = n.get("kind") == "input"
        fill, stroke = ("#fdf2e9", "#b9770e") if is_input else ("#f4f6f7", "#566573")
        dash = ' stroke-dasharray="4 2"' if is_input and n.get("size") is None else ""
        detail = node_detail(n)
        out.append(f'<g class="bl-node" data-id="{_esc(n["id"])}" data-kind="{_esc(n.get("kind", "population"))}">'
                   f"<title>{_esc(node_title(n))}</title>"
                   f'<rect x="{x - _W / 2:.1f}" y="{y - _H / 2:.1f}" width="{_W:g}" height="{_H:g}" rx="10" '
                   f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash}/>'
                   f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" font-size="13" font-weight="bold">'
                   f'{_esc(n["name"])}</text>'
                   f'<text x="{x:.1f}" y="{y + 8:.1f}" text-anchor="middle" font-size="10" fill="#333333">'
                   f'{_esc(n["model"])}</text>'
                   f'<text x="{x:.1f}" y="{y + 21:.1f}" text-anchor="middle" font-size="10" fill="#555555">'
                   f'{_esc(detail)}</text></g>')
    return out


def network_svg(doc: dict[str, Any]) -> str:
    """The SVG text of a network document (see the module docstring); well-formed XML."""
    pos = layout(doc)
    xs = [x for x, _ in pos.values()] or [_MARGIN + _W / 2]
    ys = [y for _, y in pos.values()] or [_MARGIN + _H / 2]
    width = max(xs) + _W / 2 + _MARGIN + 40
    height = max(ys) + _H / 2 + _MARGIN + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
             f'height="{height:.0f}" font-family="sans-serif" class="bl-network">']
    parts += _marker_defs()
    if not doc["nodes"]:
        parts.append(f'<text x="{_MARGIN}" y="{_MARGIN + 20}" font-size="12" fill="#555555">empty network</text>')
    parts += _edges(doc, pos)
    parts += _nodes(doc, pos)
    parts.append("</svg>")
    return "".join(parts)
