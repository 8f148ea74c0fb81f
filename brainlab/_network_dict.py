r"""A :class:`~brainlab.Network` as plain data: ``to_dict`` / ``from_dict`` and JSON files, version 1.

The description is a JSON-ready ``dict`` (str, int, float, bool, None, lists, dicts) that rebuilds the network
with its parameters, connectivity rules and seeds, and the initial values drawn for it::

    {"format": "brainlab.network", "version": 1, "dtype": "float32",
     "populations": [{"path": "E", "model": "LIF", "module": "brainlab.neurons", "size": 3200, "name": "E",
                      "params": {"tau": 20.0, ...}}, ...],            # neurons and spike sources
     "inputs": [{"path": "drive", "model": "PoissonInput", "post": "E", "n_inputs": 100,
                 "params": {"rate_hz": 5.0, "weight": 0.5}, "synapse": {...}, "output": {...}, "seed": 7}],
     "projections": [{"path": "EE", "pre": "E", "post": "E",
                      "conn": {"rule": "FixedProb", "prob": 0.02, ..., "seed": 1},
                      "synapse": {"model": "Expon", "params": {"tau": 5.0}},
                      "output": {"model": "COBA", "params": {"E": 0.0}}, "stp": None,
                      "weight": 0.6, "delay": None, "backend": "auto", "onthefly": False, "dt": 0.1}],
     "initial": {"E.V": [...]},     # States whose initial value was set with State.set_initial
     "order": ["E", "I", "EE", ...]}

A value that differs between neurons or synapses is a (nested) list: one entry per neuron (shape ``size``) or
per synapse in CSR order (synapse ``k`` of ``proj.conn``).  Float32 numbers are written in their shortest
decimal form (``0.6``, not ``0.6000000238418579``), which reads back to the same bits.  Random rules and
inputs carry the seed they actually used, so a rule built with ``seed=None`` is rebuilt identically.  A
connectivity that is not one of the random or regular rules (``FromIJ``, ``FromDense``, a hand-made
:class:`~brainlab.conn.Connectivity`) is stored as ``{"rule": "FromIJ", "i": [...], "j": [...], "n_pre": ...,
"n_post": ...}`` in CSR order.  A population may carry ``"method"`` (integrator), ``"spike_dtype": "float"`` and
``"surrogate": {"name": "arctan", "alpha": 2.0}`` where they differ from the model's defaults.  ``to_dict`` describes the network as built (parameters as they are now, initial
values as ``reset()`` restores them), not the state of a run in progress.

Versioning: ``version`` is an integer; an optional field may be added within a version, anything else
increments it, and :func:`network_from_dict` refuses a version it does not know.

Example:
    >>> import brainlab as bl
    >>> net = bl.networks.cuba(50, seed=3)
    >>> d = net.to_dict()
    >>> d["version"], [p["path"] for p in d["populations"]], d["projections"][0]["conn"]["rule"]
    (1, ['E', 'I'], 'FixedProb')
    >>> bl.Network.from_dict(d).to_dict() == d
    True
"""

from __future__ import annotations

import ast
import json
import math
import os
from typing import Any

import numpy as np

__all__ = ["DICT_VERSION", "FORMAT", "network_to_dict", "network_from_dict", "validate_dict", "save", "load"]

DICT_VERSION = 1
FORMAT = "brainlab.network"

_RULES = ("FixedProb", "FixedPostNum", "FixedPreNum", "AllToAll", "OneToOne", "GaussianProb")
_INPUT_POPULATIONS = ("PoissonSpikes", "SpikeTimes")
_INPUT_MODULES = ("PoissonInput", "OUNoise")


# ------------------------------------------------------------------------------------------------------------
# numbers
# ------------------------------------------------------------------------------------------------------------


def _short32(values: np.ndarray) -> np.ndarray:
    """Float32 values as the float64 numbers nearest to their shortest decimals (``0.6``, not
    ``0.6000000238418579``), vectorised: the fewest significant digits (at most 9) that read back to the same
    float32."""
    x32 = np.asarray(values, dtype=np.float32)
    x = x32.astype(np.float64)
    out = x.copy()
    todo = np.isfinite(x) & (x != 0)
    if not todo.any():
        return out
    xs, ref = x[todo], x32[todo]
    mag = np.floor(np.log10(np.abs(xs)))
    best = xs.copy()
    done = np.zeros(xs.shape, dtype=bool)
    with np.errstate(over="ignore", invalid="ignore"):
        for digits in range(1, 10):
            e = digits - 1 - mag
            scale = 10.0 ** np.abs(e)
            cand = np.where(e >= 0, np.round(xs * scale) / scale, np.round(xs / scale) * scale)
            ok = ~done & (cand.astype(np.float32) == ref)
            best[ok] = cand[ok]
            done |= ok
            if done.all():
                break
    # powers of ten beyond 1e22 are inexact in float64, so the quotient above may miss the nearest double
    far = np.abs(mag) > 13
    best[far] = [float(str(v)) for v in ref[far]]
    out[todo] = best
    return out


def _scalar(x: Any, dtype: Any) -> Any:
    if np.issubdtype(dtype, np.bool_):
        return bool(x)
    if np.issubdtype(dtype, np.integer):
        return int(x)
    value = float(_short32(np.asarray([x]))[0]) if dtype == np.float32 else float(x)
    if not math.isfinite(value):
        return "inf" if value > 0 else "-inf" if value < 0 else "nan"
    return value


def plain(value: Any, *, collapse: bool = True) -> Any:
    """A number or array as JSON data: a number when every entry is equal (``collapse``), else a nested list.

    Float32 entries are written in their shortest decimal form; infinities become ``"inf"``/``"-inf"``.

    Example:
        >>> import numpy as np
        >>> plain(np.float32(0.6)), plain(np.array([1., 1.])), plain(np.array([1., 2.], dtype=np.float32))
        (0.6, 1.0, [1.0, 2.0])
    """
    from .engine import State

    raw = value.value if isinstance(value, State) else value
    arr = np.asarray(raw)
    if arr.ndim == 0 or (collapse and arr.size and np.all(arr == arr.flat[0])):
        return _scalar(arr.flat[0] if arr.size else arr, arr.dtype)
    if arr.dtype == np.float32:
        arr = _short32(arr)
    out = arr.tolist()
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        out = np.vectorize(lambda v: _scalar(v, arr.dtype), otypes=[object])(arr).tolist()
    return out


def _array(value: Any) -> Any:
    """JSON data (number, list, 'inf') back to a number or a float numpy array."""
    if isinstance(value, str):
        return float(value)
    if isinstance(value, list):
        return np.asarray(np.vectorize(lambda v: float(v) if isinstance(v, str) else v, otypes=[float])(
            np.asarray(value, dtype=object)) if value else np.asarray(value, dtype=float))
    return value


# ------------------------------------------------------------------------------------------------------------
# to_dict
# ------------------------------------------------------------------------------------------------------------


def _public_module(obj: Any) -> str:
    module = type(obj).__module__
    if not module.startswith("brainlab."):
        return module  # a user-defined model ('__main__', 'mymodels')
    return ".".join(p for p in module.split(".") if not p.startswith("_"))


def _size(shape: Any) -> Any:
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    return shape[0] if len(shape) == 1 else list(shape)


def _declared(obj: Any) -> dict[str, Any]:
    """``{parameter: value}`` of a declared model (neuron, synapse, output) or an input module."""
    declared = getattr(type(obj), "PARAMETERS", None)
    names = [p.name for p in declared] if declared else list(obj.__dict__.get("_specs", {}))
    return {name: plain(obj.__dict__[name]) for name in names}


def _component(obj: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    out: dict[str, Any] = {"model": type(obj).__name__, "module": _public_module(obj), "params": _declared(obj)}
    method = getattr(obj, "_method", None)
    if isinstance(method, str) and method != getattr(type(obj), "METHOD", method):
        out["method"] = method
    if getattr(obj, "voltage_name", "V") != "V":
        out["V"] = obj.voltage_name
    return out


def _seed_of(module: Any) -> int:
    """The seed that recreates the initial key of ``module.rng`` (key = [seed >> 32, seed & 0xFFFFFFFF])."""
    hi, lo = (int(v) for v in np.asarray(module.rng.key._init, dtype=np.uint32))
    return (hi << 32) | lo


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def _population(path: str, pop: Any) -> dict[str, Any]:
    from ._model import AbstractModel

    known = type(pop).__name__ in _INPUT_POPULATIONS and _public_module(pop) == "brainlab.inputs"
    if not known and not isinstance(pop, AbstractModel):
        raise ValueError(f"Network.to_dict: {path!r} is a {type(pop).__name__}, a population that to_dict cannot "
                         "describe (it knows declared models such as bl.neurons.LIF and bl.inputs.PoissonSpikes, "
                         "SpikeTimes); build it from a declared model.")
    out: dict[str, Any] = {"path": path, "model": type(pop).__name__, "module": _public_module(pop),
                           "size": _size(pop.size), "name": getattr(pop, "name", None) or _leaf(path)}
    model = type(pop).__name__
    if model == "SpikeTimes" and out["module"] == "brainlab.inputs":
        out["times"] = plain(pop._times, collapse=False)
        out["indices"] = plain(pop._indices, collapse=False)
        return out
    out["params"] = _declared(pop)
    if model == "PoissonSpikes" and out["module"] == "brainlab.inputs":
        out["seed"] = _seed_of(pop)
        return out
    if pop.method != type(pop).METHOD:
        out["method"] = pop.method
    if getattr(pop, "_spike_dtype", bool) is not bool:
        out["spike_dtype"] = "float"
    surrogate = _surrogate(pop)
    if surrogate is not None:
        out["surrogate"] = surrogate
    return out


def _surrogate(pop: Any) -> dict[str, Any] | None:
    """``{"name": "arctan", "alpha": 2.0}`` for a surrogate gradient other than the default ``FastSigmoid()``."""
    import dataclasses

    from .neurons import SURROGATES, FastSigmoid

    sg = getattr(pop, "_surrogate", None)
    if sg is None or sg == FastSigmoid():
        return None
    if not dataclasses.is_dataclass(sg) or SURROGATES.get(getattr(sg, "name", None)) is not type(sg):
        raise ValueError(f"Network.to_dict: population {pop.name!r} uses the surrogate {type(sg).__name__}, which is "
                         f"not one of bl.neurons.SURROGATES ({', '.join(SURROGATES)}); a description can only name "
                         "those. Use one of them (with its parameters) or leave the default.")
    return {"name": sg.name, **{f.name: getattr(sg, f.name) for f in dataclasses.fields(sg) if f.init}}


def _input(path: str, module: Any, paths: dict[int, str]) -> dict[str, Any]:
    model = type(module).__name__
    if model not in _INPUT_MODULES or _public_module(module) != "brainlab.inputs":
        raise ValueError(f"Network.to_dict: {path!r} is a {model}, a projection-like module that to_dict cannot "
                         f"describe (it knows bl.Projection, {', '.join(_INPUT_MODULES)}).")
    out: dict[str, Any] = {"path": path, "model": model, "module": "brainlab.inputs",
                           "post": paths[id(module.post)], "name": module.name}
    if model == "PoissonInput":
        out["n_inputs"] = int(module.n_inputs)
    out["params"] = _declared(module)
    if model == "PoissonInput":
        out["synapse"] = _component(module.syn)
        out["output"] = _component(module.output)
    out["seed"] = _seed_of(module)
    return out


def _parse_rule(text: Any) -> dict[str, Any] | None:
    """``'FixedProb(prob=0.02, ..., seed=1)'`` (the dataclass repr a rule records) as ``{"rule": ..., fields}``."""
    if not isinstance(text, str):
        return None
    try:
        call = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in _RULES
            and not call.args):
        return None
    out: dict[str, Any] = {"rule": call.func.id}
    for kw in call.keywords:
        try:
            out[kw.arg] = ast.literal_eval(kw.value)
        except ValueError:
            return None
    return out


def _conn(proj: Any) -> dict[str, Any]:
    if getattr(proj, "_onthefly", False):
        return {"rule": "FixedProb", "prob": float(proj._prob), "allow_multapses": False, "include_self": True,
                "seed": int(proj._seed)}
    conn = proj.conn
    parsed = _parse_rule(conn.rule)
    if parsed is not None:
        return parsed
    return {"rule": "FromIJ", "i": conn.pre.astype(int).tolist(), "j": conn.indices.astype(int).tolist(),
            "n_pre": _size(conn.pre_shape), "n_post": _size(conn.post_shape)}


def _projection(path: str, proj: Any, paths: dict[int, str]) -> dict[str, Any]:
    if type(proj).__name__ != "Projection":
        return _input(path, proj, paths)
    delay = proj.delay
    return {
        "path": path, "pre": paths[id(proj.pre)], "post": paths[id(proj.post)], "name": proj.name,
        "conn": _conn(proj), "synapse": _component(proj.syn), "output": _component(proj.output),
        "stp": _component(proj.stp), "weight": plain(proj.weight, collapse=False),
        "delay": None if delay is None else plain(delay, collapse=False),
        "backend": proj.backend, "onthefly": bool(proj._onthefly), "dt": float(proj._dt),
    }


def _dtype_of(net: Any) -> str:
    import jax.numpy as jnp

    for state in net.states("param").values():
        if jnp.issubdtype(state.dtype, jnp.floating):
            return np.dtype(state.dtype).name
    from .engine import default_float

    return np.dtype(default_float()).name


def network_to_dict(net: Any) -> dict[str, Any]:
    """The plain-data description of ``net`` (see the module docstring); ``net.to_dict()`` calls this.

    Raises:
        TypeError: ``net`` is not a Network.
        ValueError: a part cannot be described (a projection-like module other than the brainlab inputs, a
            population or projection outside ``net``, a traced value).
    """
    from ._network import Network, is_population

    if not isinstance(net, Network):
        raise TypeError(f"network_to_dict: net must be a bl.Network, got {type(net).__name__}.")
    items = list(net._iter())
    paths = {id(obj): path for path, obj in items}
    populations, inputs, projections = [], [], []
    for path, obj in items:
        if is_population(obj):
            populations.append(_population(path, obj))
            continue
        for role in ("pre", "post"):
            other = getattr(obj, role, None)
            if other is not None and id(other) not in paths:
                raise ValueError(f"Network.to_dict: projection {path!r} has a {role} population "
                                 f"({type(other).__name__}) that is not part of this network; add it to the Network.")
        entry = _projection(path, obj, paths)
        (projections if "pre" in entry else inputs).append(entry)
    initial = {p: plain(s._init) for p, s in net.states().items() if getattr(s, "_init_pinned", False)}
    return {"format": FORMAT, "version": DICT_VERSION, "dtype": _dtype_of(net), "populations": populations,
            "inputs": inputs, "projections": projections, "initial": initial, "order": [p for p, _ in items]}


# ------------------------------------------------------------------------------------------------------------
# save / load
# ------------------------------------------------------------------------------------------------------------


def save(net: Any, path: str | os.PathLike) -> None:
    """Write ``net.to_dict()`` to ``path`` as strict JSON (UTF-8).

    Example:
        >>> import brainlab as bl, tempfile, os
        >>> net = bl.networks.coba(20, seed=0)
        >>> f = os.path.join(tempfile.mkdtemp(), "net.json")
        >>> net.save(f); bl.Network.load(f).to_dict() == net.to_dict()
        True
    """
    d = net.to_dict() if not isinstance(net, dict) else net
    with open(os.fspath(path), "w", encoding="utf-8") as fh:
        json.dump(d, fh, allow_nan=False, separators=(",", ":"))


def load(path: str | os.PathLike) -> Any:
    """Read a network written by :func:`save` (``bl.Network.load(path)``)."""
    with open(os.fspath(path), encoding="utf-8") as fh:
        try:
            d = json.load(fh)
        except json.JSONDecodeError as err:
            raise ValueError(f"Network.load: {os.fspath(path)!r} is not valid JSON ({err}); it must be a file "
                             "written by net.save(path).") from None
    return network_from_dict(d)


def network_from_dict(d: Any) -> Any:
    """Rebuild a :class:`~brainlab.Network` from :func:`network_to_dict` data (``bl.Network.from_dict(d)``).

    Raises:
        ValueError, TypeError: the data is not a valid description; the message names the field and the fix.
    """
    from ._network_build import build

    return build(d)


def validate_dict(d: Any) -> None:
    """Check a description without building anything; raises the errors :func:`network_from_dict` would.

    Example:
        >>> import brainlab as bl
        >>> validate_dict({"format": "brainlab.network", "version": 2, "populations": []})
        Traceback (most recent call last):
        ...
        ValueError: Network.from_dict: version 2 is not supported (this brainlab reads version 1); ...
    """
    from ._network_build import check

    check(d)
