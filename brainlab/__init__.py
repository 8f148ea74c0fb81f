"""brainlab: a Jupyter-first environment for brain-dynamics modelling on a JAX engine.

>>> import brainlab as bl
>>> import brainlab.engine as be      # the engine: Array, State, Module, jit, grad, vmap, for_loop, random
>>> lif = bl.neurons.LIF(100)
>>> res = bl.Runner(lif, monitors={'V': 'LIF.V'}).run(100., inputs={lif: 300.})
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Everything loads on first use, so that `import brainlab` stays fast and does not import JAX: the Jupyter server
# imports `brainlab._labextension` (and with it this package) at start-up, long before a kernel needs the engine.
_LAZY_MODULES = {
    "engine": "brainlab.engine",
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
_LAZY_ATTRS = {
    "Projection": ("brainlab._projection", "Projection"),
    "catalog": ("brainlab._model", "catalog"),
    "Network": ("brainlab._network", "Network"),
    "RunResult": ("brainlab._results", "RunResult"),
    "SpikeRecord": ("brainlab._results", "SpikeRecord"),
    "NonFiniteError": ("brainlab._runner", "NonFiniteError"),
    "Runner": ("brainlab._runner", "Runner"),
    "SweepResult": ("brainlab._sweep", "SweepResult"),
    "param_grid": ("brainlab._sweep", "param_grid"),
    "sweep": ("brainlab._sweep", "sweep"),
    "SweepRun": ("brainlab._sweep", "SweepRun"),
    "sweep_chunks": ("brainlab._sweep", "sweep_chunks"),
    "sweep_member": ("brainlab._sweep", "sweep_member"),
}


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


__all__ = ["__version__", *_LAZY_MODULES, *_LAZY_ATTRS]
