"""Compile-once caching for transforms called outside any trace.

``be.for_loop(net.step, ts)`` or ``be.vmap(f)(x)`` called directly in a notebook would otherwise re-trace the user's
function and recompile on every call.  At top level these transforms route through a cached :func:`jit`, keyed
by the function object (a bound method by its instance and function) and the transform's options, so they trace
once per argument shape.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Hashable

from . import _jax_internals as jxi
from ._state import _STACK

_BY_FUNC: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()
_BY_INSTANCE: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()
_UNWEAKABLE: dict[Any, Any] = {}


def at_top_level() -> bool:
    """True outside every brainlab and JAX transformation."""
    return not _STACK.levels and jxi.is_top_level()


def cached_jit(fn: Callable, options: Hashable, make: Callable[[], Callable]) -> Callable:
    """The jitted function ``make()`` cached for (``fn``, ``options``)."""
    owner = getattr(fn, "__self__", None)
    func = getattr(fn, "__func__", None)
    try:
        if owner is not None and func is not None:
            table = _BY_INSTANCE.setdefault(owner, {})
            key = (func, options)
        else:
            table = _BY_FUNC.setdefault(fn, {})
            key = options
    except TypeError:  # not weak-referenceable: keep a bounded strong cache
        if len(_UNWEAKABLE) > 256:
            _UNWEAKABLE.clear()
        table = _UNWEAKABLE
        key = (fn, options)
    jitted = table.get(key)
    if jitted is None:
        from ._jit import jit

        jitted = jit(make())
        table[key] = jitted
    return jitted
