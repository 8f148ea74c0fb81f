r"""Training dynamical models: surrogate-gradient BPTT, online (RLS/LMS/FORCE) and offline (ridge) readouts,
echo-state and NVAR reservoirs, and tasks generated in code.

Trained parameters are ordinary States, so a trained network runs in :class:`brainlab.Runner` and in the
widgets unchanged.  Submodules load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> the module that defines it
_LAZY: dict[str, str] = {}


def _register(module: str, names: list[str]) -> None:
    for n in names:
        _LAZY[n] = module


# bptt and surrogate-gradient training
_register("brainlab.train._bptt", ["BPTT", "History"])
_register("brainlab.train._losses",
          ["cross_entropy_count", "cross_entropy_max", "cross_entropy_mean", "mse", "accuracy"])
_register("brainlab.train._layers", ["SpikeInput", "Dense", "LeakyReadout"])
# readouts and reservoirs
_register("brainlab.train._ridge", ["Ridge", "RidgeAccumulator"])
_register("brainlab.train._online", ["RLS", "LMS", "FORCE"])
_register("brainlab.train._reservoir", ["ESN", "NVAR"])
# tasks
_register("brainlab.train._tasks", ["mackey_glass", "lorenz63", "narma", "spike_pattern_task"])
_register("brainlab.train._randman", ["randman"])


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'brainlab.train' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = list(_LAZY)
