"""brainlab: a Jupyter-first environment for brain-dynamics modelling on a JAX engine.

>>> import brainlab as bl
>>> import brainlab.engine as be      # the engine: Array, State, Module, jit, grad, vmap, for_loop, random
"""

from __future__ import annotations

import importlib
from typing import Any

from . import engine

__version__ = "0.1.0"

# Subpackages load on first use so that `import brainlab` stays fast.
_LAZY = {"analysis": "brainlab.analysis", "plotting": "brainlab.plotting", "conn": "brainlab.conn",
         "neurons": "brainlab.neurons", "widgets": "brainlab.widgets"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        globals()[name] = module
        return module
    raise AttributeError(f"module 'brainlab' has no attribute {name!r}")


__all__ = ["engine", "__version__", *_LAZY]
