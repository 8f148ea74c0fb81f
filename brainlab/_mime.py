r"""The two brainlab MIME bundles that JupyterLab's brainlab extension renders, version 1.

``application/vnd.brainlab.network+json`` describes a :class:`~brainlab.Network` as a graph: one node per
population (neurons, spike sources) and per projection-like input module (``PoissonInput``, ``OUNoise``), one edge
per projection.  ``application/vnd.brainlab.code+json`` carries a piece of Python code (the "export code" of the
NetworkBuilder and the panels) with a title.  The JSON schemas of both documents are
``jupyter_extension/schema/network.v1.schema.json`` and ``code.v1.schema.json``; the TypeScript side parses
exactly these fields (``jupyter_extension/src/schema.ts``).

Versioning: ``version`` is an integer.  Adding an optional field keeps the version; removing or renaming a field,
or changing its meaning or unit, increments it.  The renderer refuses a version it does not know and says so.

Network document (``NETWORK_MIME``)::

    {"version": 1,
     "nodes": [{"id": "E", "name": "E", "kind": "population" | "input", "model": "LIF",
                "module": "brainlab.neurons", "size": 3200, "shape": [3200],
                "params": [{"name": "tau", "unit": "ms", "value": 20.0, "min": 20.0, "max": 20.0,
                            "uniform": true, "doc": "membrane time constant"}, ...]}, ...],
     "edges": [{"id": "EE", "name": "EE", "pre": "E", "post": "E", "kind": "projection" | "input",
                "rule": {"text": "FixedProb(prob=0.02, seed=1)", "n_pre": 3200, "n_post": 3200,
                         "synapses": 204800, "density": 0.02} | null,
                "synapse": {"model": "Expon", "params": [...]},
                "output": {"model": "COBA", "params": [...]},
                "stp": {"model": "STP", "params": [...]} | null,
                "weight": {"value": 0.6, "min": 0.6, "max": 0.6, "uniform": true, "unit": "nS"},
                "delay": {"value": 1.0, "min": 1.0, "max": 1.0, "uniform": true, "unit": "ms"} | null,
                "sign": "excitatory" | "inhibitory" | "mixed"}, ...]}

A parameter (or weight, delay) that differs between neurons or synapses has ``uniform: false``, ``value: null``
and its range in ``min``/``max``.  ``weight.unit`` is ``"nS"`` for conductance outputs (COBA, MgBlock) and ``""``
(the postsynaptic population's current unit) for current outputs.  Nodes are listed in the network's order,
then the input modules; an input module's edge has ``pre`` equal to its own node.

The sign of an edge: with a reversal potential :math:`E` (COBA, MgBlock) the edge is excitatory when
:math:`E` lies above the postsynaptic resting potential (the parameter ``V_rest``, ``E_L``, ``EL`` or ``V_L``
where the model declares one, else :math:`-60` mV) and inhibitory otherwise (shunting included); with a current
output it follows the weights: all :math:`w \ge 0` excitatory, all :math:`w \le 0` inhibitory, both signs
``"mixed"``.

Example:
    >>> import brainlab as bl
    >>> from brainlab._mime import network_bundle, code_bundle, NETWORK_MIME
    >>> net = bl.networks.coba(100, seed=1)
    >>> doc = network_bundle(net)[NETWORK_MIME]
    >>> [n["id"] for n in doc["nodes"]], [(e["pre"], e["post"], e["sign"]) for e in doc["edges"]][:3]
    (['E', 'I'], [('E', 'E', 'excitatory'), ('E', 'I', 'excitatory'), ('I', 'E', 'inhibitory')])
    >>> code_bundle("import brainlab as bl", "imports")["application/vnd.brainlab.code+json"]["title"]
    'imports'
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

__all__ = ["NETWORK_MIME", "CODE_MIME", "SCHEMA_VERSION", "network_bundle", "code_bundle", "network_document"]

NETWORK_MIME = "application/vnd.brainlab.network+json"
CODE_MIME = "application/vnd.brainlab.code+json"
SCHEMA_VERSION = 1

_REST_NAMES = ("V_rest", "E_L", "EL", "V_L")
_DEFAULT_REST = -60.0  # mV, where the postsynaptic model declares no resting potential


# ------------------------------------------------------------------------------------------------------------
# numbers
# ------------------------------------------------------------------------------------------------------------


def _finite(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _summary(raw: Any, unit: str) -> dict[str, Any]:
    """``{value, min, max, uniform, unit}`` of a number or an array (strict JSON: non-finite becomes None)."""
    if raw is None:
        return {"value": None, "min": None, "max": None, "uniform": True, "unit": unit}
    try:
        arr = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):  # a traced value inside a transformation: no number to show
        return {"value": None, "min": None, "max": None, "uniform": False, "unit": unit}
    if arr.size == 0:
        return {"value": None, "min": None, "max": None, "uniform": True, "unit": unit}
    lo, hi = float(np.min(arr)), float(np.max(arr))
    uniform = bool(lo == hi)
    return {"value": _finite(lo) if uniform else None, "min": _finite(lo), "max": _finite(hi), "uniform": uniform,
            "unit": unit}


def _value_of(obj: Any, name: str) -> Any:
    state = obj.__dict__.get(name, None) if hasattr(obj, "__dict__") else None
    state = getattr(obj, name, None) if state is None else state
    raw = getattr(state, "_value", state)
    try:
        import jax

        if isinstance(raw, jax.core.Tracer):
            return None
    except ImportError:  # pragma: no cover - jax is a dependency
        pass
    return raw


def _params(obj: Any) -> list[dict[str, Any]]:
    """The declared parameters of a model, synapse, output or input module with their current values."""
    out: list[dict[str, Any]] = []
    declared = getattr(type(obj), "PARAMETERS", None)
    if declared:
        for p in declared:
            entry = {"name": p.name, **_summary(_value_of(obj, p.name), p.unit), "doc": p.doc}
            out.append(entry)
        return out
    specs = getattr(obj, "__dict__", {}).get("_specs", {})  # input modules (ParamHolder)
    for name, (unit, _lo, _hi, _shape) in specs.items():
        out.append({"name": name, **_summary(_value_of(obj, name), unit), "doc": ""})
    return out


def _module_name(obj: Any) -> str:
    mod = type(obj).__module__
    parts = mod.split(".")
    public = [p for p in parts if not p.startswith("_")]
    return ".".join(public)


def _component(obj: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"model": type(obj).__name__, "module": _module_name(obj), "params": _params(obj)}


# ------------------------------------------------------------------------------------------------------------
# nodes and edges
# ------------------------------------------------------------------------------------------------------------


def _shape(pop: Any) -> list[int]:
    size = pop.size
    if isinstance(size, (int, np.integer)):
        return [int(size)]
    return [int(s) for s in size]


def _node(path: str, obj: Any, kind: str) -> dict[str, Any]:
    node: dict[str, Any] = {"id": path, "name": path, "kind": kind, "model": type(obj).__name__,
                            "module": _module_name(obj)}
    if getattr(obj, "IS_PROJECTION", False):  # an input module (PoissonInput, OUNoise): no neurons of its own
        node["size"] = None
        node["shape"] = None
        n_inputs = getattr(obj, "n_inputs", None)
        if n_inputs is not None:
            node["n_inputs"] = int(n_inputs)
    else:  # neurons or a spike source (PoissonSpikes, SpikeTimes)
        shape = _shape(obj)
        node["size"] = int(math.prod(shape))
        node["shape"] = shape
    node["params"] = _params(obj)
    return node


def _rest_potential(post: Any) -> float:
    for name in _REST_NAMES:
        if name in getattr(type(post), "_param_index", {}) or name in getattr(post, "__dict__", {}).get("_specs", {}):
            raw = _value_of(post, name)
            if raw is not None:
                return float(np.mean(np.asarray(raw, dtype=float)))
    return _DEFAULT_REST


def _sign(output: Any, post: Any, weight: dict[str, Any]) -> str:
    params = {p["name"]: p for p in _params(output)} if output is not None else {}
    reversal = params.get("E")
    if reversal is not None and reversal["min"] is not None:
        rest = _rest_potential(post)
        if reversal["min"] > rest:
            return "excitatory"
        if reversal["max"] is not None and reversal["max"] <= rest:
            return "inhibitory"
        return "mixed"
    lo, hi = weight["min"], weight["max"]
    if lo is None or hi is None:
        return "mixed"
    if lo >= 0:
        return "excitatory"
    if hi <= 0:
        return "inhibitory"
    return "mixed"


def _edge(path: str, proj: Any, pre_id: str, post_id: str, kind: str) -> dict[str, Any]:
    output = getattr(proj, "output", None)
    conductance = bool(getattr(output, "NEEDS_VOLTAGE", False))
    weight_state = getattr(proj, "weight", None)
    weight = _summary(_value_of(proj, "weight") if weight_state is not None else None, "nS" if conductance else "")
    conn = getattr(proj, "conn", None) if kind == "projection" else None
    rule = None
    if kind == "projection":
        n_pre, n_post = int(getattr(proj, "_n_pre", 0)), int(getattr(proj, "_n_post", 0))
        nnz = getattr(proj, "nnz", None)
        text = getattr(proj, "_rule_text", None) or (getattr(conn, "rule", None) if conn is not None else None)
        density = None if nnz is None or n_pre * n_post == 0 else float(nnz) / (n_pre * n_post)
        rule = {"text": str(text or "Connectivity"), "n_pre": n_pre, "n_post": n_post,
                "synapses": None if nnz is None else int(nnz), "density": density}
    delay = getattr(proj, "delay", None) if kind == "projection" else None
    return {
        "id": path, "name": path, "pre": pre_id, "post": post_id, "kind": kind, "rule": rule,
        "synapse": _component(getattr(proj, "syn", None)),
        "output": _component(output),
        "stp": _component(getattr(proj, "stp", None)),
        "weight": weight,
        "delay": None if delay is None else _summary(delay, "ms"),
        "sign": _sign(output, proj.post, weight),
    }


def network_document(net: Any) -> dict[str, Any]:
    """The ``application/vnd.brainlab.network+json`` document of ``net`` (see the module docstring).

    Args:
        net: a :class:`~brainlab.Network`.

    Raises:
        TypeError: ``net`` is not a Network.
        ValueError: a projection connects a population that is not part of ``net``.
    """
    from ._network import Network

    if not isinstance(net, Network):
        raise TypeError(f"network_bundle: net must be a bl.Network (e.g. bl.networks.coba(400)), got "
                        f"{type(net).__name__}.")
    pops = net.populations()
    ids = {id(pop): path for path, pop in pops.items()}
    nodes = [_node(path, pop, "input" if _module_name(pop).startswith("brainlab.inputs") else "population")
             for path, pop in pops.items()]
    edges = []
    for path, proj in net.projections().items():
        post_id = ids.get(id(proj.post))
        if post_id is None:
            raise ValueError(f"network_bundle: projection {path!r} targets a {type(proj.post).__name__} that is not "
                             "part of this network; add it to the Network.")
        pre = getattr(proj, "pre", None)
        if pre is None:  # an input module: drawn as its own node
            nodes.append(_node(path, proj, "input"))
            edges.append(_edge(path, proj, path, post_id, "input"))
            continue
        pre_id = ids.get(id(pre))
        if pre_id is None:
            raise ValueError(f"network_bundle: projection {path!r} comes from a {type(pre).__name__} that is not "
                             "part of this network; add it to the Network.")
        edges.append(_edge(path, proj, pre_id, post_id, "projection"))
    return {"version": SCHEMA_VERSION, "nodes": nodes, "edges": edges}


def _text_fallback(doc: dict[str, Any]) -> str:
    lines = ["populations:"]
    for n in doc["nodes"]:
        size = f" n={n['size']}" if n.get("size") is not None else ""
        lines.append(f"  {n['name']}: {n['model']}{size}")
    if doc["edges"]:
        lines.append("projections:")
    for e in doc["edges"]:
        lines.append(f"  {e['name']}: {e['pre']} -> {e['post']} ({e['sign']})")
    return "\n".join(lines)


def _svg_fallback(doc: dict[str, Any]) -> str:
    """A static SVG of the document for viewers without the extension (nbviewer, GitHub): a deterministic layered
    layout, arrowheads and tee heads, self-loops, labelled and hoverable edges, every text escaped (see
    :mod:`brainlab._network_svg`)."""
    from ._network_svg import network_svg

    return network_svg(doc)


def network_bundle(net: Any) -> dict[str, Any]:
    r"""A MIME bundle for ``net``: the network document, plus a static diagram and a text summary for viewers
    without the extension.

    Returns ``{NETWORK_MIME: document, "image/svg+xml": diagram, "text/plain": summary}``; suitable as the return
    value of ``_repr_mimebundle_`` or for ``IPython.display.display(bundle, raw=True)``.  JupyterLab with brainlab's
    extension shows the interactive diagram; nbviewer and GitHub show the SVG.

    Example:
        >>> import brainlab as bl
        >>> from brainlab._mime import network_bundle, NETWORK_MIME
        >>> E = bl.neurons.LIF(10, name="E")
        >>> drive = bl.inputs.PoissonInput(E, n_inputs=100, rate_hz=5.0, weight=0.5)
        >>> doc = network_bundle(bl.Network(E=E, drive=drive))[NETWORK_MIME]
        >>> [(n["id"], n["kind"]) for n in doc["nodes"]], doc["edges"][0]["pre"]
        ([('E', 'population'), ('drive', 'input')], 'drive')
    """
    doc = network_document(net)
    return {NETWORK_MIME: doc, "image/svg+xml": _svg_fallback(doc), "text/plain": _text_fallback(doc)}


def code_bundle(code: str, title: str = "", language: str = "python") -> dict[str, Any]:
    """A MIME bundle showing ``code`` with "Insert as a new cell below" and "Copy" in JupyterLab.

    The document is ``{"version": 1, "code": str, "title": str, "language": str}``; ``text/plain`` is the code
    itself and ``text/html`` an escaped ``<pre>`` block for other viewers.

    Args:
        code: the Python source.
        title: a short caption ("network builder export").
        language: the language of the code (``'python'``).

    Example:
        >>> from brainlab._mime import code_bundle, CODE_MIME
        >>> b = code_bundle("x = '<b>'", "demo")
        >>> b[CODE_MIME]["code"], b["text/html"]
        ("x = '<b>'", '<pre><code>x = &#x27;&lt;b&gt;&#x27;</code></pre>')
    """
    for arg, value in (("code", code), ("title", title), ("language", language)):
        if not isinstance(value, str):
            raise TypeError(f"code_bundle: {arg} must be a str, got {type(value).__name__}.")
    if not language.isidentifier():
        raise ValueError(f"code_bundle: language must be a language name such as 'python', got {language!r}.")
    doc = {"version": SCHEMA_VERSION, "code": code, "title": title, "language": language}
    return {CODE_MIME: doc, "text/plain": code, "text/html": f"<pre><code>{html.escape(code)}</code></pre>"}
