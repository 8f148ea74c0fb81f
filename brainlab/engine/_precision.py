"""Floating-point precision: float32 by default, float64 per call or per context.

JAX decides at trace time whether 64-bit types exist.  brainlab never flips the global flag: ``precision``
switches it for the current thread only, inside a ``with`` block or around one function.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import jax
import jax.numpy as jnp

from . import _jax_internals as jxi

__all__ = ["precision", "default_float"]

_VALID = {"float32": False, "float64": True, 32: False, 64: True}


@contextlib.contextmanager
def _context(x64: bool) -> Iterator[None]:
    with jax.enable_x64(x64):
        yield


def precision(dtype: str | int | Any) -> Any:
    """Run code in float32 or float64, for this thread only.

    Use as a context manager or a decorator.  Arrays and States created inside a float64 block are float64;
    States keep the dtype they were created with.

    Args:
        dtype: ``'float32'`` / ``32`` or ``'float64'`` / ``64`` (or the numpy dtype).

    Example:
        >>> import brainlab.engine as be
        >>> with be.precision('float64'):
        ...     x = be.linspace(0., 1., 3)
        >>> x.dtype
        dtype('float64')
    """
    key = dtype
    if not isinstance(dtype, (str, int)):
        try:
            key = jnp.dtype(dtype).name
        except TypeError:
            key = dtype
    if key not in _VALID:
        raise ValueError(f"be.precision: unknown precision {dtype!r}; use 'float32' or 'float64'.")
    x64 = _VALID[key]

    class _Precision(contextlib.ContextDecorator):
        def __enter__(self):
            self._cm = _context(x64)
            return self._cm.__enter__()

        def __exit__(self, *exc):
            return self._cm.__exit__(*exc)

    return _Precision()


def default_float() -> Any:
    """The float dtype new arrays get in the current context (float32 unless inside ``precision('float64')``)."""
    return jnp.float64 if jxi.x64_enabled() else jnp.float32
