"""Checking and building a network description (the other half of :mod:`brainlab._network_dict`).

:func:`check` validates the data and resolves every model and rule name without building anything; :func:`build`
constructs the populations, inputs and projections and assembles the (nested) :class:`~brainlab.Network`.  Every
error starts with ``Network.from_dict:``, names the field (``projections[2] ('EE').conn.rule``) and says the fix.
"""

from __future__ import annotations

import difflib
import importlib
from typing import Any

import numpy as np

from ._network_dict import _INPUT_MODULES, _INPUT_POPULATIONS, _RULES, DICT_VERSION, FORMAT, _array

__all__ = ["check", "build"]

_WHO = "Network.from_dict"


def _fail(where: str, message: str, exc: type = ValueError) -> None:
    raise exc(f"{_WHO}: {where}: {message}")


def _suggest(name: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(name, valid, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"{hint} Valid names: {', '.join(sorted(valid))}."


def _field(entry: dict, key: str, where: str, kind: type | tuple, example: str) -> Any:
    if key not in entry:
        _fail(where, f"the field {key!r} is missing; add it, e.g. {example}.")
    value = entry[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
        _fail(f"{where}.{key}", f"expected {example}, got {type(value).__name__} {value!r:.60}.", TypeError)
    return value


# ------------------------------------------------------------------------------------------------------------
# names to classes
# ------------------------------------------------------------------------------------------------------------


def _public_names(package: str, base: type) -> dict[str, type]:
    mod = importlib.import_module(package)
    out = {}
    for name in dir(mod):
        obj = getattr(mod, name)
        if isinstance(obj, type) and issubclass(obj, base) and not getattr(obj, "_abstract", False) \
                and not name.startswith("Abstract"):
            out[name] = obj
    return out


def _model_class(entry: dict, where: str, package: str, base: type, extra: dict[str, type] | None = None) -> type:
    model = _field(entry, "model", where, str, f'"model": "{"LIF" if package.endswith("neurons") else "Expon"}"')
    module = entry.get("module", package)
    if not isinstance(module, str):
        _fail(f"{where}.module", f"expected a module name such as {package!r}, got {module!r}.", TypeError)
    if module == package or (extra and module == "brainlab.inputs"):
        valid = dict(_public_names(package, base)) if module == package else {}
        valid.update(extra or {})
        if model not in valid:
            also = " (and brainlab.inputs)" if extra and module == package else ""
            _fail(f"{where}.model", f"unknown model {model!r} in {module}{also}.{_suggest(model, list(valid))}")
        return valid[model]
    if module.startswith("brainlab"):
        _fail(f"{where}.module", f"{module!r} holds no models of this kind; use {package!r}.")
    from ._model import _REGISTRY  # a user-defined model, registered when its class statement ran

    for (mod, qual), cls in _REGISTRY.items():
        if mod == module and qual == model and issubclass(cls, base):
            return cls
    _fail(f"{where}.model", f"the model {module}.{model} is not defined in this session; run the cell or import "
          f"the module that defines class {model} first.")
    raise AssertionError  # pragma: no cover


def _surrogate(entry: Any, where: str) -> Any:
    from .neurons import SURROGATES

    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        _fail(where, 'expected {"name": "arctan", ...parameters}, e.g. {"name": "fast_sigmoid", "alpha": 2.0}.',
              TypeError)
    fields = {k: v for k, v in entry.items() if k != "name"}
    if entry["name"] not in SURROGATES:
        _fail(f"{where}.name", f"unknown surrogate {entry['name']!r}.{_suggest(entry['name'], list(SURROGATES))}")
    try:
        return SURROGATES[entry["name"]](**fields)
    except TypeError as err:
        _fail(where, f"{err}; give only the surrogate's parameters (e.g. alpha).", TypeError)


def _params(entry: dict, where: str, cls: type) -> dict[str, Any]:
    params = entry.get("params", {})
    if not isinstance(params, dict):
        _fail(f"{where}.params", f"expected a dict of parameter values such as {{\"tau\": 20.0}}, got "
              f"{type(params).__name__}.", TypeError)
    declared = getattr(cls, "PARAMETERS", None)
    if declared is not None:
        names = [p.name for p in declared]
        for key in params:
            if key not in names:
                _fail(f"{where}.params.{key}", f"{cls.__name__} has no parameter {key!r}.{_suggest(key, names)}")
    for key, value in params.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, list, str)):
            _fail(f"{where}.params.{key}", f"expected a number or a list of numbers, got {value!r:.60}.", TypeError)
    return {k: _array(v) for k, v in params.items()}


def _component(entry: Any, where: str, package: str, base: type, stp: bool | None = None) -> Any:
    """An unbound synapse / STP model or an output from ``{"model", "params", "method"?, "V"?}``."""
    from .synapses import AbstractShortTermPlasticity

    if not isinstance(entry, dict):
        _fail(where, f"expected a dict such as {{\"model\": \"Expon\", \"params\": {{\"tau\": 5.0}}}}, got "
              f"{type(entry).__name__}.", TypeError)
    cls = _model_class(entry, where, package, base)
    if stp is not None and issubclass(cls, AbstractShortTermPlasticity) != stp:
        _fail(f"{where}.model", f"{cls.__name__} is {'not ' if stp else ''}short-term plasticity; "
              + ("use STP or STD here." if stp else "put it under \"stp\" and give a synapse such as Expon."))
    params = _params(entry, where, cls)
    kwargs: dict[str, Any] = {}
    if "method" in entry:
        kwargs["method"] = entry["method"]
    if "V" in entry:
        kwargs["V"] = entry["V"]
    return lambda: cls(**kwargs, **params)


def _conn(entry: Any, where: str) -> Any:
    import brainlab.conn as bconn

    if not isinstance(entry, dict):
        _fail(where, 'expected a dict such as {"rule": "FixedProb", "prob": 0.1, "seed": 0}, got '
              f"{type(entry).__name__}.", TypeError)
    rule = _field(entry, "rule", where, str, '"rule": "FixedProb"')
    fields = {k: v for k, v in entry.items() if k != "rule"}
    if rule == "FromIJ":
        for key in ("i", "j"):
            _field(entry, key, where, list, f'"{key}": [0, 1, 2]')
        extra = set(fields) - {"i", "j", "n_pre", "n_post"}
        if extra:
            _fail(f"{where}.{sorted(extra)[0]}", "FromIJ takes i, j, n_pre and n_post only.")
        size = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items() if k in ("n_pre", "n_post")}
        return lambda: bconn.FromIJ(np.asarray(entry["i"], dtype=np.int64), np.asarray(entry["j"], dtype=np.int64),
                                    **size)
    if rule not in _RULES:
        _fail(f"{where}.rule", f"unknown connectivity rule {rule!r}.{_suggest(rule, list(_RULES) + ['FromIJ'])}")
    cls = getattr(bconn, rule)
    names = list(cls.__dataclass_fields__)
    for key in fields:
        if key not in names:
            _fail(f"{where}.{key}", f"{rule} has no field {key!r}.{_suggest(key, names)}")
    return lambda: cls(**fields)


# ------------------------------------------------------------------------------------------------------------
# check
# ------------------------------------------------------------------------------------------------------------


def _path(entry: dict, where: str, seen: set) -> str:
    path = _field(entry, "path", where, str, '"path": "E"')
    if not path or not all(part.isidentifier() for part in path.split(".")):
        _fail(f"{where}.path", f"{path!r} is not a dotted path of Python identifiers (e.g. 'E' or 'sub.E').")
    if path in seen:
        _fail(f"{where}.path", f"{path!r} is used twice; every population, input and projection needs its own path.")
    seen.add(path)
    return path


def _list(d: dict, key: str, required: bool = False) -> list:
    if key not in d:
        if required:
            _fail(key, f'the field {key!r} is missing; add it (a list, e.g. "{key}": []).')
        return []
    value = d[key]
    if not isinstance(value, list):
        _fail(key, f"expected a list, got {type(value).__name__}.", TypeError)
    for k, entry in enumerate(value):
        if not isinstance(entry, dict):
            _fail(f"{key}[{k}]", f"expected a dict, got {type(entry).__name__}.", TypeError)
    return value


def _header(d: Any) -> None:
    if not isinstance(d, dict):
        raise TypeError(f"{_WHO}: expected a dict made by net.to_dict() (or json.load of net.save()), got "
                        f"{type(d).__name__}.")
    if "format" in d and d["format"] != FORMAT:
        _fail("format", f"expected {FORMAT!r}, got {d['format']!r}; this is not a brainlab network description.")
    if "version" not in d:
        _fail("version", f'the field "version" is missing; add "version": {DICT_VERSION} (the format of '
              "net.to_dict()).")
    if d["version"] != DICT_VERSION or isinstance(d["version"], bool):
        raise ValueError(f"{_WHO}: version {d['version']!r} is not supported (this brainlab reads version "
                         f"{DICT_VERSION}); write the description with a matching brainlab, or upgrade brainlab.")
    if d.get("dtype", "float32") not in ("float32", "float64"):
        _fail("dtype", f"expected 'float32' or 'float64', got {d['dtype']!r}.")


def _plan_population(entry: dict, where: str, path: str) -> Any:
    import brainlab.inputs as binputs

    from .neurons import AbstractNeuron

    extra = {name: getattr(binputs, name) for name in _INPUT_POPULATIONS}
    cls = _model_class(entry, where, "brainlab.neurons", AbstractNeuron, extra)
    size = _field(entry, "size", where, (int, list), '"size": 100')
    size = tuple(size) if isinstance(size, list) else size
    name = entry.get("name", path.rsplit(".", 1)[-1])
    source = cls.__module__.startswith("brainlab.inputs")
    if source and cls.__name__ == "SpikeTimes":
        times = _field(entry, "times", where, list, '"times": [1.0, 2.5]')
        indices = entry.get("indices")
        return lambda objs: cls(size, np.asarray(times, dtype=float),
                                None if indices is None else np.asarray(indices, dtype=np.int64), name=name)
    params = _params(entry, where, cls)
    kwargs: dict[str, Any] = {"name": name}
    if source:  # PoissonSpikes
        kwargs["seed"] = entry.get("seed")
    else:
        if "method" in entry:
            kwargs["method"] = entry["method"]
        if entry.get("spike_dtype", "bool") not in ("bool", "float"):
            _fail(f"{where}.spike_dtype", f"expected 'bool' or 'float', got {entry['spike_dtype']!r}.")
        if entry.get("spike_dtype") == "float":
            kwargs["spike_dtype"] = float
        if entry.get("surrogate") is not None:
            kwargs["surrogate"] = _surrogate(entry["surrogate"], f"{where}.surrogate")
    return lambda objs: cls(size, **kwargs, **params)


def _population_ref(entry: dict, where: str, role: str, pops: set) -> str:
    ref = _field(entry, role, where, str, f'"{role}": "E"')
    if ref not in pops:
        _fail(f"{where}.{role}", f"{ref!r} is not a population of this description; use one of {sorted(pops)}.")
    return ref


def _plan_input(entry: dict, where: str, path: str, pops: set) -> Any:
    import brainlab.inputs as binputs

    from .outputs import AbstractOutput
    from .synapses import AbstractSynapse

    model = _field(entry, "model", where, str, '"model": "PoissonInput"')
    if model not in _INPUT_MODULES:
        _fail(f"{where}.model", f"unknown input module {model!r}.{_suggest(model, list(_INPUT_MODULES))}")
    post = _population_ref(entry, where, "post", pops)
    cls = getattr(binputs, model)
    params = _params(entry, where, cls)
    kwargs: dict[str, Any] = {"seed": entry.get("seed"), "name": entry.get("name", path.rsplit(".", 1)[-1])}
    parts = {}
    if model == "PoissonInput":
        kwargs["n_inputs"] = _field(entry, "n_inputs", where, int, '"n_inputs": 100')
        for key in ("rate_hz", "weight"):
            if key not in params:
                _fail(f"{where}.params", f"the parameter {key!r} is missing; add it, e.g. \"{key}\": 1.0.")
        for key, package, base in (("synapse", "brainlab.synapses", AbstractSynapse),
                                   ("output", "brainlab.outputs", AbstractOutput)):
            if entry.get(key) is not None:
                parts[key] = _component(entry[key], f"{where}.{key}", package, base,
                                        stp=False if key == "synapse" else None)
    return lambda objs: cls(objs[post], **kwargs, **{k: make() for k, make in parts.items()}, **params)


def _plan_projection(entry: dict, where: str, path: str, pops: set) -> Any:
    from ._projection import Projection
    from .outputs import AbstractOutput
    from .synapses import AbstractSynapse

    pre, post = (_population_ref(entry, where, role, pops) for role in ("pre", "post"))
    for key, example in (("conn", '{"rule": "FixedProb", "prob": 0.1, "seed": 0}'),
                         ("synapse", '{"model": "Expon", "params": {}}'), ("output", '{"model": "CUBA", "params": {}}'),
                         ("weight", "0.5 (or one value per synapse)")):
        if key not in entry:
            _fail(where, f'the field "{key}" is missing; add it, e.g. "{key}": {example}.')
    conn = _conn(entry["conn"], f"{where}.conn")
    syn = _component(entry["synapse"], f"{where}.synapse", "brainlab.synapses", AbstractSynapse, stp=False)
    out = _component(entry["output"], f"{where}.output", "brainlab.outputs", AbstractOutput)
    stp = None if entry.get("stp") is None else _component(entry["stp"], f"{where}.stp", "brainlab.synapses",
                                                            AbstractSynapse, stp=True)
    for key in ("weight", "delay"):
        value = entry.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float, list))):
            _fail(f"{where}.{key}", f"expected a number or a list of numbers, got {value!r:.60}.", TypeError)
    kwargs = {"weight": _array(entry["weight"]), "delay": _array(entry.get("delay")),
              "backend": entry.get("backend", "auto"), "onthefly": bool(entry.get("onthefly", False)),
              "name": entry.get("name", path.rsplit(".", 1)[-1])}
    if entry.get("dt") is not None:
        kwargs["dt"] = entry["dt"]
    return lambda objs: Projection(objs[pre], objs[post], conn(), syn(), out(), stp=None if stp is None else stp(),
                                   **kwargs)


def _plan(d: Any) -> dict[str, Any]:
    """Check ``d`` and return the constructors ``{path: (kind, make(objs))}`` in build order."""
    _header(d)
    seen: set = set()
    plan: dict[str, Any] = {}
    for kind, key in (("population", "populations"), ("input", "inputs"), ("projection", "projections")):
        pops = {p for p, (k, _) in plan.items() if k == "population"}
        for k, entry in enumerate(_list(d, key, required=key == "populations")):
            path = _path(entry, f"{key}[{k}]", seen)
            where = f"{key}[{k}] ({path!r})"
            make = (_plan_population(entry, where, path) if kind == "population" else
                    _plan_input(entry, where, path, pops) if kind == "input" else
                    _plan_projection(entry, where, path, pops))
            plan[path] = (kind, make)
    initial = d.get("initial", {})
    if not isinstance(initial, dict):
        _fail("initial", 'expected a dict {state path: value} such as {"E.V": [-60.0, -55.0]}, got '
              f"{type(initial).__name__}.", TypeError)
    order = d.get("order")
    if order is not None and (not isinstance(order, list) or sorted(map(str, order)) != sorted(plan)):
        _fail("order", "must list every population, input and projection path exactly once (or be left out).")
    return plan


def check(d: Any) -> None:
    """Validate a description (see :func:`brainlab._network_dict.validate_dict`)."""
    _plan(d)


# ------------------------------------------------------------------------------------------------------------
# build
# ------------------------------------------------------------------------------------------------------------


def _wrap(where: str, fn: Any) -> Any:
    try:
        return fn()
    except (ValueError, TypeError) as err:
        if str(err).startswith(_WHO):
            raise
        raise type(err)(f"{_WHO}: {where}: {err}") from err


def build(d: Any) -> Any:
    """A :class:`~brainlab.Network` from a checked description."""
    import brainlab as bl

    from . import engine as be

    plan = _plan(d)
    with be.precision(d.get("dtype", "float32")):
        objs: dict[str, Any] = {}
        for path, (kind, make) in plan.items():
            objs[path] = _wrap(f"{kind} {path!r}", lambda: make(objs))
        net = bl.Network()
        for path in d.get("order") or list(plan):
            owner = net
            *parents, leaf = path.split(".")
            for part in parents:
                if part not in vars(owner):
                    owner.add(part, bl.Network())
                owner = getattr(owner, part)
            _wrap(f"path {path!r}", lambda: owner.add(leaf, objs[path]))
        states = net.states()
        for path, value in d.get("initial", {}).items():
            if path not in states:
                _fail(f"initial.{path}", f"the network has no State {path!r}; valid paths look like "
                      f"{list(states)[:3]}.")
            state = states[path]
            _wrap(f"initial.{path}", lambda: state.set_initial(np.asarray(_array(value), dtype=state.dtype)))
    return net
