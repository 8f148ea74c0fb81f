r"""Python code that builds a :class:`~brainlab.Network` from its description (and optionally runs it).

:func:`network_code` turns ``net.to_dict()`` data (or a network) into plain brainlab calls: one constructor per
population, input and projection (parameters that differ from the model's defaults, rules with their seeds),
``bl.Network(...)`` with the same paths, ``State.set_initial`` for the drawn initial values, and optionally a
``bl.Runner`` run.  Executed in a fresh namespace, the code gives a network with the same ``to_dict()`` and, for
the same seeds, the same spikes.

Example:
    >>> import brainlab as bl
    >>> from brainlab._network_code import network_code
    >>> E = bl.neurons.LIF(10, name="E", I_ext=25.0)
    >>> net = bl.Network(E=E, EE=bl.Projection(E, E, bl.conn.FixedProb(0.2, seed=3), bl.synapses.Expon(tau=3.0),
    ...                                         bl.outputs.CUBA(), weight=0.5, name="EE"))
    >>> print(network_code(net, run=50.0, dt=0.1), end="")
    import brainlab as bl
    <BLANKLINE>
    E = bl.neurons.LIF(10, name='E', I_ext=25.0)
    EE = bl.Projection(E, E, bl.conn.FixedProb(0.2, seed=3), bl.synapses.Expon(tau=3.0), bl.outputs.CUBA(),
                       weight=0.5, name='EE')
    net = bl.Network(E=E, EE=EE)
    <BLANKLINE>
    runner = bl.Runner(net, dt=0.1, progress=False)
    res = runner.run(50.0)
    >>> ns = {}; exec(network_code(net), ns); ns["net"].to_dict() == net.to_dict()
    True
"""

from __future__ import annotations

import dataclasses
import keyword
import math
import textwrap
from typing import Any, Sequence

__all__ = ["network_code"]

_WIDTH = 110
_RESERVED = {"bl", "np", "be", "states", "runner", "res"}


# ------------------------------------------------------------------------------------------------------------
# literals and calls
# ------------------------------------------------------------------------------------------------------------


def _num(v: Any) -> str:
    if isinstance(v, str):  # "inf", "-inf", "nan" in the description
        return {"inf": "np.inf", "-inf": "-np.inf"}.get(v, "np.nan")
    if isinstance(v, float) and not math.isfinite(v):
        return "np.inf" if v > 0 else "-np.inf" if v < 0 else "np.nan"
    return repr(v)


def _nested(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_nested(x) for x in v) + "]"
    return _num(v)


class _Code:
    """Collects lines and the imports they need."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.numpy = False
        self.imports: list[str] = []
        self.indent = ""

    def value(self, v: Any) -> str:
        if isinstance(v, list):
            self.numpy = True
            flat = _nested(v)
            if len(flat) <= 60:
                return f"np.array({flat})"
            pad = self.indent + "    "
            if v and isinstance(v[0], list):  # one row per line
                inner = (",\n" + pad).join(_nested(row) for row in v)
            else:
                inner = textwrap.fill(", ".join(_num(x) for x in v), width=_WIDTH - len(pad),
                                      break_on_hyphens=False, break_long_words=False).replace("\n", "\n" + pad)
                inner = "\n".join(line.rstrip() for line in inner.split("\n"))
            return f"np.array([\n{pad}{inner}])"
        text = _num(v)
        self.numpy |= text.startswith(("np.", "-np."))
        return text

    def call(self, target: str | None, func: str, args: Sequence[str], indent: str = "") -> None:
        head = f"{indent}{target} = {func}(" if target else f"{indent}{func}("
        one = head + ", ".join(args) + ")"
        if len(one) <= _WIDTH or "\n" in one:
            self.lines.append(one)
            return
        pad = " " * len(head)
        line = head
        for k, arg in enumerate(args):
            piece = arg + (", " if k < len(args) - 1 else ")")
            if len(line) + len(piece.rstrip()) > _WIDTH and line.strip() != head.strip():
                self.lines.append(line.rstrip())
                line = pad
            line += piece
        self.lines.append(line)


def _kw(name: str, text: str) -> str:
    return f"{name}={text}"


# ------------------------------------------------------------------------------------------------------------
# classes and defaults
# ------------------------------------------------------------------------------------------------------------


def _class(entry: dict, package: str) -> type | None:
    import importlib

    module = entry.get("module", package)
    if module.startswith("brainlab"):
        return getattr(importlib.import_module(module), entry["model"], None)
    from ._model import _REGISTRY

    for (mod, qual), cls in _REGISTRY.items():
        if mod == module and qual == entry["model"]:
            return cls
    return None


def _class_expr(entry: dict, package: str, code: _Code) -> str:
    module = entry.get("module", package)
    if module.startswith("brainlab"):
        return f"bl.{module.split('.', 1)[1]}.{entry['model']}" if "." in module else f"bl.{entry['model']}"
    if module != "__main__":
        line = f"from {module} import {entry['model']}"
        if line not in code.imports:
            code.imports.append(line)
    return entry["model"]  # a model defined in the notebook: its class must exist where the code runs


def _param_args(entry: dict, cls: type | None, code: _Code, keep_all: bool = False) -> list[str]:
    defaults = {p.name: p.default for p in getattr(cls, "PARAMETERS", ())} if cls is not None else {}
    args = []
    for name, value in entry.get("params", {}).items():
        if not keep_all and name in defaults and not isinstance(value, (list, str)) and value == defaults[name]:
            continue
        args.append(_kw(name, code.value(value)))
    return args


def _component(entry: dict | None, package: str, code: _Code) -> str:
    cls = _class(entry, package)
    args = _param_args(entry, cls, code)
    if "method" in entry:
        args.insert(0, _kw("method", repr(entry["method"])))
    if "V" in entry:
        args.insert(0, _kw("V", repr(entry["V"])))
    return f"{_class_expr(entry, package, code)}({', '.join(args)})"


def _surrogate(entry: dict) -> str:
    from .neurons import SURROGATES

    fields = ", ".join(f"{k}={v!r}" for k, v in entry.items() if k != "name")
    return f"bl.neurons.{SURROGATES[entry['name']].__name__}({fields})"


def _rule(entry: dict, code: _Code) -> str:
    import brainlab.conn as bconn

    if entry["rule"] == "FromIJ":
        args = [code.value(entry["i"]), code.value(entry["j"])]
        args += [_kw(k, repr(tuple(entry[k]) if isinstance(entry[k], list) else entry[k]))
                 for k in ("n_pre", "n_post") if entry.get(k) is not None]
        return f"bl.conn.FromIJ({', '.join(args)})"
    cls = getattr(bconn, entry["rule"])
    args = []
    for f in dataclasses.fields(cls):
        if f.name not in entry:
            continue
        value = entry[f.name]
        if f.default is dataclasses.MISSING:
            args.append(repr(value))
        elif value != f.default:
            args.append(_kw(f.name, repr(value)))
    return f"bl.conn.{entry['rule']}({', '.join(args)})"


def _default_dt(d: dict, path: str) -> float:
    for entry in d.get("populations", []):
        if entry["path"] == path:
            cls = _class(entry, "brainlab.neurons")
            return float(getattr(cls, "DEFAULT_DT", 0.1))
    return 0.1


# ------------------------------------------------------------------------------------------------------------
# the generator
# ------------------------------------------------------------------------------------------------------------


def _names(paths: list[str], var: str) -> dict[str, str]:
    taken = set(_RESERVED) | {var}
    out = {}
    for path in paths:
        base = path.replace(".", "_")
        name = base + "_" if keyword.iskeyword(base) or base in taken else base
        k = 2
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        out[path] = name
    return out


def network_code(source: Any, *, run: float | None = None, dt: float | None = None,
                 monitors: Sequence[str] | None = None, var: str = "net") -> str:
    """Python code that builds the network described by ``source`` (and runs it when ``run`` is given).

    Args:
        source: a :class:`~brainlab.Network` or its ``to_dict()`` data.
        run: a duration in ms: append ``runner = bl.Runner(net, ...)`` and ``res = runner.run(run)``.
        dt: the Runner's time step (ms); ``None`` leaves the network's default.
        monitors: state paths to record (``['E.V']``), passed to the Runner.
        var: the name of the network variable in the code.

    Returns:
        The code, importing what it uses (``import brainlab as bl``, ``numpy as np`` for arrays).

    Raises:
        ValueError, TypeError: the description is invalid (the messages of ``bl.Network.from_dict``).
    """
    from ._network import Network
    from ._network_build import check

    d = source.to_dict() if isinstance(source, Network) else source
    check(d)
    if not isinstance(var, str) or not var.isidentifier() or keyword.iskeyword(var):
        raise ValueError(f"network_code: var must be a Python identifier such as 'net', got {var!r}.")
    if run is not None and (isinstance(run, bool) or not isinstance(run, (int, float)) or not run > 0):
        raise ValueError(f"network_code: run must be a positive duration in ms (e.g. run=100.0), got {run!r}.")
    order = d.get("order") or [e["path"] for key in ("populations", "inputs", "projections") for e in d.get(key, [])]
    subnets = sorted({".".join(p.split(".")[:k]) for p in order for k in range(1, p.count(".") + 1)})
    names = _names(order + subnets, var)
    code = _Code()
    float64 = d.get("dtype", "float32") == "float64"
    ind = "    " if float64 else ""
    code.indent = ind
    body = code.lines
    for entry in d.get("populations", []):
        cls = _class(entry, "brainlab.neurons")
        size = repr(tuple(entry["size"]) if isinstance(entry["size"], list) else entry["size"])
        args = [size]
        if entry["model"] == "SpikeTimes" and entry.get("module") == "brainlab.inputs":
            args += [code.value(entry["times"]) if entry["times"] else "[]"]
            if entry.get("indices") is not None:
                args.append(_kw("indices", code.value(entry["indices"]) if entry["indices"] else "[]"))
            args.append(_kw("name", repr(entry.get("name", entry["path"].rsplit(".", 1)[-1]))))
        else:
            args.append(_kw("name", repr(entry.get("name", entry["path"].rsplit(".", 1)[-1]))))
            if "method" in entry:
                args.append(_kw("method", repr(entry["method"])))
            if entry.get("spike_dtype") == "float":
                args.append("spike_dtype=float")
            if entry.get("surrogate") is not None:
                args.append(_kw("surrogate", _surrogate(entry["surrogate"])))
            keep = entry["model"] == "PoissonSpikes"
            args += _param_args(entry, cls, code, keep_all=keep)
            if entry.get("seed") is not None:
                args.append(_kw("seed", repr(entry["seed"])))
        code.call(names[entry["path"]], _class_expr(entry, "brainlab.neurons", code), args, ind)
    for entry in d.get("inputs", []):
        args = [names[entry["post"]]]
        if entry["model"] == "PoissonInput":
            args += [_kw("n_inputs", repr(entry["n_inputs"]))]
        args += _param_args(entry, None, code, keep_all=True)
        for key, package in (("synapse", "brainlab.synapses"), ("output", "brainlab.outputs")):
            if entry.get(key) is not None:
                args.append(_kw(key, _component(entry[key], package, code)))
        if entry.get("seed") is not None:
            args.append(_kw("seed", repr(entry["seed"])))
        args.append(_kw("name", repr(entry.get("name", entry["path"].rsplit(".", 1)[-1]))))
        code.call(names[entry["path"]], f"bl.inputs.{entry['model']}", args, ind)
    for entry in d.get("projections", []):
        args = [names[entry["pre"]], names[entry["post"]], _rule(entry["conn"], code),
                _component(entry["synapse"], "brainlab.synapses", code),
                _component(entry["output"], "brainlab.outputs", code), _kw("weight", code.value(entry["weight"]))]
        if entry.get("delay") is not None:
            args.append(_kw("delay", code.value(entry["delay"])))
        if entry.get("stp") is not None:
            args.append(_kw("stp", _component(entry["stp"], "brainlab.synapses", code)))
        if entry.get("backend", "auto") != "auto":
            args.append(_kw("backend", repr(entry["backend"])))
        if entry.get("onthefly"):
            args.append("onthefly=True")
        default_dt = min(_default_dt(d, entry["pre"]), _default_dt(d, entry["post"]))
        if entry.get("dt") is not None and float(entry["dt"]) != default_dt:
            args.append(_kw("dt", repr(float(entry["dt"]))))
        args.append(_kw("name", repr(entry.get("name", entry["path"].rsplit(".", 1)[-1]))))
        code.call(names[entry["path"]], "bl.Projection", args, ind)
    # the (nested) networks, innermost first, children in the description's order
    children: dict[str, list[str]] = {"": []}
    for path in order:  # direct children of each (sub)network, in the order they first appear
        parts = path.split(".")
        for k in range(1, len(parts) + 1):
            node, parent = ".".join(parts[:k]), ".".join(parts[:k - 1])
            if node not in children.setdefault(parent, []):
                children[parent].append(node)
    for sub in sorted(subnets, key=lambda s: -s.count(".")):
        code.call(names[sub], "bl.Network", _network_args(children.get(sub, []), names), ind)
    code.call(var, "bl.Network", _network_args(children[""], names), ind)
    if d.get("initial"):
        body.append(f"{ind}states = {var}.states()  # initial values drawn for this network (net.reset() restores "
                    "them)")
        for path, value in d["initial"].items():
            code.call(None, f"states[{path!r}].set_initial", [code.value(value)], ind)
    if run is not None:
        body.append("")
        args = [var]
        if monitors:
            args.append(_kw("monitors", repr(list(monitors))))
        if dt is not None:
            args.append(_kw("dt", repr(float(dt))))
        args.append("progress=False")
        code.call("runner", "bl.Runner", args, ind)
        body.append(f"{ind}res = runner.run({float(run)!r})")
    head = ["import brainlab as bl"]
    if float64:
        head.append("import brainlab.engine as be")
    if code.numpy:
        head.append("import numpy as np")
    head += code.imports
    head.append("")
    if float64:
        head.append("with be.precision('float64'):  # the network was built in float64 and runs in it")
    return "\n".join(head + body) + "\n"


def _network_args(paths: list[str], names: dict[str, str]) -> list[str]:
    leaves = [p.rsplit(".", 1)[-1] for p in paths]
    if any(keyword.iskeyword(leaf) for leaf in leaves):
        return ["**{" + ", ".join(f"{leaf!r}: {names[p]}" for leaf, p in zip(leaves, paths)) + "}"]
    return [f"{leaf}={names[p]}" for leaf, p in zip(leaves, paths)]
