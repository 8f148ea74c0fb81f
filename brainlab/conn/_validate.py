"""Argument checks shared by the connectivity builders.

Every check raises an error that names the builder, the argument and the fix, so that a mistake in a notebook
cell is understood from the message alone.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

Size = int | tuple[int, ...]
"""A population size: a neuron count, or a grid shape such as ``(32, 32)`` (the count is the product)."""

INT32_MAX = 2**31 - 1


def shape_of(owner: str, name: str, size: Any) -> tuple[int, ...]:
    """Normalise a population size (int or tuple of ints) to a shape tuple of positive ints."""
    if isinstance(size, (bool, np.bool_)):
        raise TypeError(
            f"{owner}: {name} must be a positive int or a tuple of positive ints (a grid shape); got the bool "
            f"{size!r}. Pass the number of neurons, e.g. {name}=1000."
        )
    if isinstance(size, numbers.Integral):
        dims: tuple[Any, ...] = (size,)
    elif isinstance(size, (tuple, list)):
        dims = tuple(size)
        if len(dims) == 0:
            raise ValueError(
                f"{owner}: {name} is an empty shape (). Pass a neuron count such as {name}=1000 or a grid shape "
                f"such as {name}=(32, 32)."
            )
    else:
        raise TypeError(
            f"{owner}: {name} must be a positive int or a tuple of positive ints (a grid shape); got "
            f"{type(size).__name__} {size!r}. Pass e.g. {name}=1000 or {name}=(32, 32)."
        )
    out = []
    for d in dims:
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, numbers.Integral):
            raise TypeError(
                f"{owner}: every entry of {name} must be an int; got {type(d).__name__} {d!r} in {size!r}. "
                f"Pass integer sizes, e.g. {name}=(32, 32)."
            )
        if int(d) <= 0:
            raise ValueError(
                f"{owner}: {name} must be positive; got {size!r}. A population needs at least one neuron: "
                f"pass e.g. {name}=1000."
            )
        out.append(int(d))
    n = math.prod(out)
    if n > INT32_MAX:
        raise ValueError(
            f"{owner}: {name}={size!r} has {n} neurons, more than int32 indices can address (2**31 - 1). "
            f"Split the population into smaller ones."
        )
    return tuple(out)


def probability(owner: str, name: str, value: Any, *, allow_zero: bool = True) -> float:
    """Check that ``value`` is a real number in [0, 1] (or (0, 1] without ``allow_zero``) and return it."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner}: {name} must be a real number in [0, 1]; got {type(value).__name__} {value!r}. "
            f"Pass a probability such as {name}=0.1."
        )
    v = float(value)
    lo_ok = v > 0.0 if not allow_zero else v >= 0.0
    if not (lo_ok and v <= 1.0):
        interval = "[0, 1]" if allow_zero else "(0, 1]"
        hint = " (a fraction, not a percentage)" if v > 1.0 else ""
        raise ValueError(
            f"{owner}: {name} must be a probability in {interval}; got {value!r}. Pass e.g. {name}=0.1{hint}."
        )
    return v


def positive_real(owner: str, name: str, value: Any, unit: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner}: {name} must be a positive real number ({unit}); got {type(value).__name__} {value!r}."
        )
    v = float(value)
    if not (math.isfinite(v) and v > 0.0):
        raise ValueError(f"{owner}: {name} must be a positive finite number ({unit}); got {value!r}.")
    return v


def count(owner: str, name: str, value: Any) -> int:
    """Check that ``value`` is a non-negative integer and return it as an int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        fix = f" Pass {name}={int(value)}." if isinstance(value, float) and float(value).is_integer() else ""
        raise TypeError(
            f"{owner}: {name} must be a non-negative int; got {type(value).__name__} {value!r}.{fix}"
        )
    if int(value) < 0:
        raise ValueError(f"{owner}: {name} must be >= 0; got {value!r}.")
    return int(value)


def flag(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False; got {type(value).__name__} {value!r}.")
    return bool(value)


def seed_value(owner: str, value: Any) -> int | None:
    """Check a seed: None (fresh entropy at each build) or an int in [0, 2**64)."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{owner}: seed must be None or a non-negative int; got {type(value).__name__} {value!r}. "
            f"Pass e.g. seed=42 (numpy Generators are not accepted: the builders use their own per-row streams)."
        )
    if not 0 <= int(value) < 2**64:
        raise ValueError(f"{owner}: seed must be in [0, 2**64); got {value!r}. Pass e.g. seed=42.")
    return int(value)


def resolve_seed(seed: int | None) -> int:
    """The seed to use: ``seed`` itself, or 63 bits of fresh OS entropy drawn through numpy when it is None."""
    if seed is not None:
        return seed
    state = np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0]
    return int(state) >> 1


def check_nnz(owner: str, nnz: int, hint: str) -> None:
    if nnz > INT32_MAX:
        raise ValueError(
            f"{owner}: the network would have {nnz} synapses, more than int32 CSR indices can address "
            f"(2**31 - 1 = {INT32_MAX}). {hint}"
        )
