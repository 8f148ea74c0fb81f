"""Which implementation an event operator runs: the numba FFI kernels on CPU, or pure JAX elsewhere."""

from __future__ import annotations

import functools

import jax

BACKENDS = ("auto", "numba", "jax")


@functools.lru_cache(maxsize=1)
def numba_status() -> str | None:
    """``None`` when the numba FFI kernels can run in this process, else the reason they cannot.

    The check verifies the FFI struct layout against jaxlib's header (see :mod:`brainlab.engine._event._ffi`) and,
    unless numba's machine code for the kernels is already in brainlab's kernel cache (:mod:`._native`, loaded
    without numba), imports numba; it compiles nothing.
    """
    from . import _ffi, _native

    if _ffi.LAYOUT_PROBLEM is not None:
        return _ffi.LAYOUT_PROBLEM
    if _native.any_cached():
        return None
    try:
        import numba  # noqa: F401
    except ImportError as err:
        return f"numba is not installed ({err}); install it with `pip install numba`"
    except Exception as err:  # a broken installation (e.g. a numpy it does not support)
        return f"numba failed to import ({type(err).__name__}: {err})"
    return None


def resolve(owner: str, backend: str) -> str:
    """Turn ``backend`` into ``'numba'`` or ``'jax'``, or raise an error that names ``owner`` and the fix."""
    if backend not in BACKENDS:
        raise ValueError(f"{owner}: backend must be one of {BACKENDS}; got {backend!r}. Use backend='auto' to let "
                         "brainlab pick the numba kernels on CPU and pure JAX elsewhere.")
    if backend == "jax":
        return "jax"
    if backend == "auto":
        if jax.default_backend() != "cpu":
            return "jax"
        return "numba" if numba_status() is None else "jax"
    reason = numba_status()
    if reason is not None:
        raise RuntimeError(f"{owner}: backend='numba' is unavailable: {reason}. Use backend='jax' or 'auto'.")
    return "numba"
