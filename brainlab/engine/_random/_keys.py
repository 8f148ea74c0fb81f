"""Seeds and keys: turning what a user passes to ``seed()`` into the raw key a generator stores.

A generator stores its key as raw ``uint32`` key data of shape ``(2,)`` (the threefry2x32 layout of the legacy
``jax.random.PRNGKey``), so the key is an ordinary array State.  An integer seed ``s`` (``0 <= s < 2**64``)
becomes ``[s >> 32, s & 0xFFFFFFFF]``: identical to ``jax.random.PRNGKey(s)`` for ``s < 2**32`` and, unlike it,
free of silent truncation for larger seeds when 64-bit mode is off.
"""

from __future__ import annotations

import secrets
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _jax_internals as jxi
from .._array import unwrap
from .._state import State

__all__ = ["IMPL", "KEY_SHAPE", "key_data_from_seed", "key_data_from_key", "typed", "raw", "entropy_seed"]

IMPL = "threefry2x32"
KEY_SHAPE = (2,)
_SEED_HELP = (
    "`seed` must be a non-negative int below 2**64, None (fresh entropy from the operating system), or a JAX "
    "key (jax.random.key(...), jax.random.PRNGKey(...) or a generator's split_key())"
)


def entropy_seed() -> int:
    """A fresh 64-bit seed from the operating system."""
    return secrets.randbits(64)


def typed(key_data: Any) -> jax.Array:
    """The typed JAX key for stored raw key data."""
    return jax.random.wrap_key_data(key_data, impl=IMPL)


def raw(key: jax.Array) -> jax.Array:
    """Raw ``uint32`` key data of a typed key."""
    return jax.random.key_data(key)


def _is_typed_key(x: Any) -> bool:
    return hasattr(x, "dtype") and jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)


def key_data_from_key(where: str, key: Any) -> jax.Array | None:
    """Raw key data if ``key`` is a single JAX key (typed, or uint32 data of shape (2,)), else ``None``."""
    key = unwrap(key.value if isinstance(key, State) else key)
    if _is_typed_key(key):
        impl = str(jax.random.key_impl(key))
        if jnp.shape(key) != () or IMPL not in impl:
            raise ValueError(
                f"{where}: got a JAX key of shape {jnp.shape(key)} and implementation {impl}; brainlab generators "
                f"hold one {IMPL} key.\nFix: pass a single key, e.g. keys[0], made with "
                f"jax.random.key(seed, impl='{IMPL}')."
            )
        return raw(key)
    if hasattr(key, "dtype") and jnp.shape(key) == KEY_SHAPE and key.dtype == np.uint32:
        return key if isinstance(key, jxi.Tracer) else jnp.asarray(key)
    return None


def key_data_from_seed(where: str, seed: Any) -> jax.Array:
    """The raw key data (uint32, shape (2,)) for a seed, a JAX key, or ``None`` (OS entropy).

    Args:
        where: the calling function, for error messages.
        seed: ``None``, a non-negative int below ``2**64`` (Python or numpy, or a 0-d integer array, traced
            ones included), or a JAX key.
    """
    if seed is None:
        seed = entropy_seed()
    from_key = key_data_from_key(where, seed)
    if from_key is not None:
        return from_key
    seed = unwrap(seed.value if isinstance(seed, State) else seed)
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"{where}: got the bool {seed!r} as a seed; {_SEED_HELP}.\nFix: pass an int, e.g. seed(42).")
    if isinstance(seed, jxi.Tracer):
        if seed.ndim != 0 or not jnp.issubdtype(seed.dtype, jnp.integer):
            raise TypeError(
                f"{where}: a traced seed must be a 0-d integer array, got shape {seed.shape} and dtype "
                f"{seed.dtype}; {_SEED_HELP}."
            )
        lo = seed.astype(jnp.uint32)
        hi = (seed >> 32).astype(jnp.uint32) if seed.dtype.itemsize == 8 else jnp.zeros((), jnp.uint32)
        return jnp.stack([hi, lo])
    if hasattr(seed, "dtype") and np.ndim(seed) == 0 and np.issubdtype(np.asarray(seed).dtype, np.integer):
        seed = int(np.asarray(seed))
    if not isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"{where}: got a seed of type {type(seed).__name__} ({seed!r:.60}); {_SEED_HELP}.\nFix: pass an int, "
            "e.g. seed(42); to derive a seed from a float or a string, hash it yourself first."
        )
    seed = int(seed)
    if not 0 <= seed < 2**64:
        raise ValueError(
            f"{where}: the seed {seed} is out of range; {_SEED_HELP}.\nFix: pass a seed in [0, 2**64), e.g. "
            f"seed({seed % 2**32})."
        )
    return jnp.array([seed >> 32, seed & 0xFFFFFFFF], dtype=jnp.uint32)
