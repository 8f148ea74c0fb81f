"""The few JAX internals the engine relies on, gathered in one place.

State discovery in a single trace needs to add inputs to a jaxpr while the user's function is being traced
(``DynamicJaxprTrace.new_arg``), and compiled calls evaluate the traced jaxpr.  These live in private JAX
modules, so every such import goes through this file: when JAX moves them, only this file changes.
"""

from __future__ import annotations

from typing import Any

import jax
from jax._src import config as _config
from jax._src import core as _core
from jax._src import source_info_util as _source_info_util

Tracer = _core.Tracer
ClosedJaxpr = _core.ClosedJaxpr


def current_trace() -> Any:
    """The JAX trace that operations bind to right now."""
    return _core.trace_ctx.trace


def is_top_level() -> bool:
    """True outside every JAX transformation (operations execute eagerly)."""
    return _core.trace_ctx.is_top_level()


def new_input(trace: Any, aval: Any) -> Any:
    """Add a fresh input variable to a jaxpr being traced and return its tracer."""
    if not hasattr(trace, "new_arg"):
        raise RuntimeError(
            "brainlab could not add a State as an input of the trace: the current JAX trace "
            f"({type(trace).__name__}) is not a jaxpr trace. This happens when a brainlab transform's "
            "function is traced by a raw JAX transform directly; wrap it with brainlab.engine.jit instead."
        )
    return trace.new_arg(aval, _source_info_util.current())


def abstract(x: Any) -> Any:
    """The abstract value (shape, dtype, weak type) of an array or tracer."""
    return _core.typeof(x)


def shaped(shape: tuple[int, ...], dtype: Any, weak_type: bool = False) -> Any:
    return _core.ShapedArray(shape, dtype, weak_type=weak_type)


def eval_jaxpr(closed: Any, *args: Any) -> list[Any]:
    return _core.eval_jaxpr(closed.jaxpr, closed.consts, *args)


def x64_enabled() -> bool:
    """Whether float64 is on in the current (thread-local) context."""
    return bool(_config.enable_x64.value)


def tracer_trace(t: Any) -> Any:
    return getattr(t, "_trace", None)


__all__ = [
    "Tracer",
    "ClosedJaxpr",
    "current_trace",
    "is_top_level",
    "new_input",
    "abstract",
    "shaped",
    "eval_jaxpr",
    "x64_enabled",
    "tracer_trace",
    "jax",
]
