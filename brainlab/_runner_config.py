"""The Runner's configuration: its numbers checked, monitors and inputs parsed into what the compiled chunks use."""

from __future__ import annotations

import difflib
import math
import numbers
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from . import engine as be
from ._network import Network
from .engine import State

__all__: list[str] = []


def _number(owner: str, arg: str, value: Any, positive: bool = True, unit: str = "ms") -> float:
    """``value`` as a float: a real number (int, float, a NumPy/JAX scalar), finite and, if ``positive``, > 0.

    Strings and booleans are refused although ``float()`` takes them (``'100'``, ``True``); ``unit`` names the unit
    in the messages."""
    is_scalar_array = (isinstance(value, (np.ndarray, jax.Array)) and value.shape == ()
                       and value.dtype.kind in "iuf")
    if isinstance(value, (bool, np.bool_)) or not (isinstance(value, numbers.Real) or is_scalar_array):
        raise TypeError(f"{owner}: {arg} must be a number ({unit}), got {type(value).__name__} {value!r}; pass e.g. "
                        f"{arg}=100.0.")
    v = float(value)
    if not math.isfinite(v) or (positive and v <= 0):
        raise ValueError(f"{owner}: {arg} must be a finite number > 0 ({unit}), got {value!r}.")
    return v


def _flag(owner: str, arg: str, value: Any, none: bool = False) -> Any:
    """``value`` if it is ``True`` or ``False`` (or ``None`` when ``none``), else a TypeError."""
    if value is True or value is False or (none and value is None) or isinstance(value, np.bool_):
        return None if value is None else bool(value)
    allowed = "True, False or None" if none else "True or False"
    raise TypeError(f"{owner}: {arg} must be {allowed}, got {type(value).__name__} {value!r}.")


def _state_path_error(states: Mapping[str, State], path: str) -> KeyError:
    close = difflib.get_close_matches(path, list(states), n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return KeyError(
        f"Runner: monitor {path!r} names no State of the network.{hint} Valid paths: "
        f"{', '.join(sorted(states)[:20])}{' ...' if len(states) > 20 else ''}."
    )


def _parse_monitors(states: Mapping[str, State], monitors: Any
                    ) -> tuple[list[tuple[str, Callable[[], Any]]], dict[str, int]]:
    """``[(name, getter)]`` for the compiled step, and the recorded bytes per step of each State monitor."""
    out: list[tuple[str, Callable[[], Any]]] = []
    nbytes: dict[str, int] = {}
    if monitors is None:
        return out, nbytes
    if isinstance(monitors, (list, tuple)):
        monitors = {m if isinstance(m, str) else f"m{i}": m for i, m in enumerate(monitors)}
    if not isinstance(monitors, Mapping):
        raise TypeError(
            f"Runner: monitors must be a dict {{name: what}} or a list of State paths, got "
            f"{type(monitors).__name__}."
        )
    for name, what in monitors.items():
        index = None
        if isinstance(what, tuple) and len(what) == 2:
            what, index = what
            index = np.asarray(index)
            if index.dtype == bool:
                index = np.nonzero(index)[0]
            if not np.issubdtype(index.dtype, np.integer):
                raise TypeError(f"Runner: monitor {name!r}: indices must be integers or a boolean mask.")
        if isinstance(what, str):
            if what not in states:
                raise _state_path_error(states, what)
            state = states[what]
        elif isinstance(what, State):
            state = what
        elif callable(what):
            out.append((name, what))
            continue
        else:
            raise TypeError(
                f"Runner: monitor {name!r} must be a State path like 'E.V', a (path, indices) pair, a State, "
                f"or a function; got {type(what).__name__}."
            )
        if index is not None:
            n = state.shape[0] if state.ndim else 0
            if index.size and (index.min() < -n or index.max() >= n):
                raise IndexError(
                    f"Runner: monitor {name!r}: indices must lie in [0, {n}) for a State of shape "
                    f"{state.shape}; got min {index.min()}, max {index.max()}."
                )
            out.append((name, lambda s=state, i=jnp.asarray(index): s.value[i]))
            nbytes[name] = int(index.size) * state.dtype.itemsize * (
                int(np.prod(state.shape[1:])) if state.ndim > 1 else 1)
        else:
            out.append((name, lambda s=state: s.value))
            nbytes[name] = int(np.prod(state.shape)) * state.dtype.itemsize
    return out, nbytes


def _resolve_target(net: Network, key: Any, owner: str) -> Any:
    pops = net.populations()
    if isinstance(key, str):
        if key not in pops:
            close = difflib.get_close_matches(key, list(pops), n=3)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise KeyError(f"{owner}: inputs names population {key!r}, which is not in the network.{hint} "
                           f"Populations: {sorted(pops)}.")
        return pops[key]
    for pop in pops.values():
        if pop is key:
            return pop
    raise KeyError(
        f"{owner}: an input targets a {type(key).__name__} that is not a population of this network; use a "
        "population object or its name."
    )


def _parse_inputs(net: Network, inputs: Any, n_steps: int | None, owner: str) -> tuple[list, list, list]:
    """Split ``inputs`` into constants ``[(id(pop), array)]``, time series ``[(id(pop), [n_steps, ...])]`` and
    functions of t ``[(id(pop), f)]``.  ``n_steps=None`` (an open-ended run) admits no time series."""
    consts: list = []
    series: list = []
    funcs: list = []
    if inputs is None:
        return consts, series, funcs
    if not isinstance(inputs, Mapping):
        raise TypeError(
            f"{owner}: inputs must be a dict {{population or name: current}}, where a current is a number, a "
            "per-neuron array, a time series of shape (n_steps,) or (n_steps, size), or a function of t (ms)."
        )
    for key, val in inputs.items():
        pop = _resolve_target(net, key, owner)
        name = net.path_of(pop)
        shape = tuple(pop.varshape) if hasattr(pop, "varshape") else (
            (pop.size,) if isinstance(pop.size, int) else tuple(pop.size))
        if callable(val) and not isinstance(val, (be.Array, State, jax.Array, np.ndarray)):
            funcs.append((id(pop), val))
            continue
        arr = jnp.asarray(val.value if isinstance(val, State) else getattr(val, "_value", val))
        if n_steps is not None and arr.ndim >= 1 and arr.shape[0] == n_steps and arr.shape != shape:
            if arr.shape[1:] not in ((), shape):
                raise ValueError(
                    f"{owner}: the time series for {name!r} has shape {arr.shape}; expected ({n_steps},) or "
                    f"({n_steps}, {', '.join(map(str, shape))}) for this run of {n_steps} steps."
                )
            series.append((id(pop), arr))
            continue
        try:
            fits = jnp.broadcast_shapes(arr.shape, shape) == shape
        except ValueError:
            fits = False
        if not fits:
            if n_steps is None:
                raise ValueError(
                    f"{owner}: the input for {name!r} has shape {arr.shape}, which does not fit the population "
                    f"(shape {shape}). An open-ended run (duration=None) takes only constants, per-neuron arrays "
                    "and functions f(t) of the time in ms; a time series needs a duration: give "
                    "chunks(duration=..., ...) with one value per step, or pass a function of t."
                )
            raise ValueError(
                f"{owner}: the input for {name!r} has shape {arr.shape}, which fits neither the population "
                f"(shape {shape}) nor a time series of this run ({n_steps} steps: ({n_steps},) or "
                f"({n_steps}, {', '.join(map(str, shape))}))."
            )
        consts.append((id(pop), arr))
    return consts, series, funcs
