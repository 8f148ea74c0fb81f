"""brainlab: a Jupyter-first environment for brain-dynamics modelling on a JAX engine.

>>> import brainlab as bl
>>> import brainlab.engine as be      # the engine: Array, State, Module, jit, grad, vmap, for_loop, random
>>> lif = bl.neurons.LIF(100)
>>> res = bl.Runner(lif, monitors={'V': 'LIF.V'}).run(100., inputs={lif: 300.})
"""

from __future__ import annotations

import importlib
from typing import Any

from . import engine
from ._model import catalog
from ._network import Network
from ._results import RunResult, SpikeRecord
from ._runner import NonFiniteError, Runner
from ._sweep import SweepResult, param_grid, sweep

__version__ = "0.1.0"

# Subpackages load on first use so that `import brainlab` stays fast.
_LAZY_MODULES = {
    "analysis": "brainlab.analysis",
    "plotting": "brainlab.plotting",
    "conn": "brainlab.conn",
    "neurons": "brainlab.neurons",
    "synapses": "brainlab.synapses",
    "outputs": "brainlab.outputs",
    "inputs": "brainlab.inputs",
    "networks": "brainlab.networks",
    "widgets": "brainlab.widgets",
    "train": "brainlab.train",
}
_LAZY_ATTRS = {"Projection": ("brainlab._projection", "Projection")}


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        module = importlib.import_module(_LAZY_MODULES[name])
        globals()[name] = module
        return module
    if name in _LAZY_ATTRS:
        mod, attr = _LAZY_ATTRS[name]
        value = getattr(importlib.import_module(mod), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'brainlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_MODULES) | set(_LAZY_ATTRS))


__all__ = [
    "engine", "catalog", "Network", "Runner", "RunResult", "SpikeRecord", "NonFiniteError", "sweep",
    "param_grid", "SweepResult", "__version__", *_LAZY_MODULES, *_LAZY_ATTRS,
]
