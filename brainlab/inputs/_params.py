"""Checked parameters for input modules: ``ParamState`` attributes that plain assignment writes into."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..engine import Module, ParamState, State
from ..engine._array import unwrap


def population_shape(owner: str, pop: Any) -> tuple[int, ...]:
    """The shape of a target population, or a clear error when ``pop`` is not one."""
    if not isinstance(pop, Module) or not hasattr(pop, "size") or not callable(getattr(pop, "update", None)):
        raise TypeError(f"{owner}: post must be a population (e.g. bl.neurons.LIF(100)), got {type(pop).__name__}.")
    size = pop.size
    return (int(size),) if isinstance(size, (int, np.integer)) else tuple(int(s) for s in size)


def size_shape(owner: str, size: Any) -> tuple[int, ...]:
    """A population size (positive int or tuple of them) as a shape."""
    sizes = size if isinstance(size, (tuple, list)) else (size,)
    if not sizes or any(isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)) or s <= 0
                        for s in sizes):
        raise ValueError(f"{owner}: size must be a positive int or a tuple of positive ints (e.g. 100), got {size!r}.")
    return tuple(int(s) for s in sizes)


class ParamHolder(Module):
    """A Module whose declared parameters are ``ParamState``s, range-checked, written into on assignment."""

    def _declare(self, name: str, value: Any, unit: str, lo: float, hi: float, shape: tuple[int, ...]) -> None:
        specs = self.__dict__.setdefault("_specs", {})
        specs[name] = (unit, lo, hi, shape)
        object.__setattr__(self, name, ParamState(self._check(name, value), name=f"{type(self).__name__}.{name}"))

    def _check(self, name: str, value: Any) -> Any:
        unit, lo, hi, shape = self._specs[name]
        owner = type(self).__name__
        value = value.value if isinstance(value, State) else unwrap(value)
        if isinstance(value, jax.core.Tracer):
            return value
        arr = np.asarray(value)
        if arr.dtype == np.bool_ or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
            raise TypeError(f"{owner}: {name} must be a number ({unit}) or an array of numbers, got dtype {arr.dtype}.")
        arr = arr.astype(float)
        if arr.shape not in ((), shape, (math.prod(shape),)):
            raise ValueError(f"{owner}: {name} has shape {arr.shape}; pass a number or one value per neuron, shape "
                             f"{shape}.")
        bad = ~((arr >= lo) & (arr <= hi))
        if bad.any():
            u = f" {unit}" if unit else ""
            raise ValueError(f"{owner}: {name} = {arr[bad].flat[0]:g}{u} is outside its admissible range "
                             f"[{lo:g}, {hi:g}]{u}.")
        return arr.reshape(shape) if arr.ndim else arr

    def __setattr__(self, key: str, value: Any) -> None:
        specs = self.__dict__.get("_specs", {})
        if key in specs and key in self.__dict__:
            if isinstance(value, State):
                if value is self.__dict__[key]:
                    return
                raise TypeError(f"{type(self).__name__}.{key}: assign a value, not a State.")
            state = self.__dict__[key]
            value = self._check(key, value)
            if not isinstance(value, jax.core.Tracer) and tuple(np.shape(value)) != state.shape:
                state.set_value(jnp.asarray(value, dtype=state.dtype), reshape=True)
            else:
                state.value = value
            return
        super().__setattr__(key, value)

    def _text(self, name: str) -> str:
        raw = self.__dict__[name]._value
        unit = self._specs[name][0]
        if isinstance(raw, jax.core.Tracer):
            return f"{name}=<traced>"
        arr = np.asarray(raw, dtype=float)
        if arr.size == 1 or np.all(arr == arr.flat[0]):
            return f"{name}={arr.flat[0]:.6g} {unit}".rstrip()
        return f"{name}=<{arr.size} values in [{arr.min():.4g}, {arr.max():.4g}] {unit}>"


def no_current(owner: str, I: Any) -> None:  # noqa: E741
    """Spike sources have no membrane: refuse a current other than the literal 0 of an unconnected source."""
    if isinstance(I, (int, float)) and not isinstance(I, bool) and I == 0:
        return
    raise TypeError(
        f"{owner}.update: a spike source has no membrane, so it cannot receive a current (got "
        f"{type(I).__name__}). Remove the projection or Runner input that targets it."
    )
