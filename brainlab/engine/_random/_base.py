"""The key-holding core of a generator: seeding, advancing the key, handing out raw JAX keys.

Every sampler call advances the stored key exactly once: ``key -> (key', sub)`` with ``jax.random.split``; the
sample is drawn from ``sub`` and ``key'`` is stored.  Because the key is a :class:`RandomKeyState`, brainlab
transforms (``be.jit``, ``be.for_loop`` ...) thread it through compiled code, so a call inside a compiled
function advances the key exactly as the same call made eagerly.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp

from .._array import Array
from .._module import Module
from .._state import RandomKeyState, StateError
from . import _checks as C
from . import _keys

__all__ = ["KeyedGenerator", "compiled"]


@functools.lru_cache(maxsize=None)
def compiled(fn: Callable[..., Any], static_argnums: tuple[int, ...] = (1, 2)) -> Callable[..., Any]:
    """``fn`` under ``jax.jit`` (by default its shape and dtype arguments static), cached per function.

    Eager sampler calls then run as one cached XLA program instead of many small dispatches, and give the
    numbers the same call gives inside ``be.jit`` (where this jit is inlined; XLA's fusion there may change
    the last bit of a float).
    """
    return jax.jit(fn, static_argnums=static_argnums)


def _split_once(data: jax.Array) -> tuple[jax.Array, jax.Array]:
    new, sub = jax.random.split(_keys.typed(data))
    return _keys.raw(new), sub


def _split_many(data: jax.Array, n: int) -> tuple[jax.Array, jax.Array]:
    keys = jax.random.split(_keys.typed(data), n + 1)
    return _keys.raw(keys[0]), _keys.raw(keys[1:])


class KeyedGenerator(Module):
    """Seeding and key management shared by :class:`RandomState` (which adds the samplers)."""

    key: RandomKeyState
    _prefix: str = "RandomState"

    def __init__(self, seed: int | jax.Array | None = None):
        self.key = RandomKeyState(_keys.key_data_from_seed(f"{self._prefix}(seed=...)", seed))

    def _where(self, name: str) -> str:
        return f"{self._prefix}.{name}"

    # seeding ---------------------------------------------------------------------------------------------
    def seed(self, seed: int | jax.Array | None = None) -> None:
        """Reset the generator: every draw after ``seed(s)`` is reproducible.

        Args:
            seed: a non-negative int below ``2**64``; ``None`` for fresh entropy from the operating system; or
                a JAX key (``jax.random.key(0)``, ``jax.random.PRNGKey(0)``, a key from :meth:`split_key`).

        Inside a compiled function the seed may be a traced integer.  ``seed(None)`` inside a compiled function
        draws the entropy once, while tracing, so every call of that function re-seeds with the same value.

        Example:
            >>> import brainlab.engine as be
            >>> be.random.seed(42); a = be.random.rand(3)
            >>> be.random.seed(42); b = be.random.rand(3)
            >>> bool((a == b).all())
            True
        """
        self.key.value = _keys.key_data_from_seed(self._where("seed"), seed)

    def get_state(self) -> jax.Array:
        """The current key (raw ``uint32`` data of shape ``(2,)``); :meth:`set_state` restores it exactly.

        Example:
            >>> import brainlab.engine as be
            >>> saved = be.random.get_state(); a = be.random.normal(size=2)
            >>> be.random.set_state(saved); b = be.random.normal(size=2)
            >>> bool((a == b).all())
            True
        """
        return self.key.value

    def set_state(self, key: jax.Array) -> None:
        """Restore a key saved by :meth:`get_state` (or any single threefry JAX key).

        Example:
            >>> import brainlab.engine as be
            >>> saved = be.random.get_state(); a = be.random.rand(3)
            >>> be.random.set_state(saved); bool((be.random.rand(3) == a).all())
            True
        """
        data = _keys.key_data_from_key(self._where("set_state"), key)
        if data is None:
            raise TypeError(
                f"{self._where('set_state')}: expected a key saved by get_state() (uint32 data of shape (2,)) or "
                f"a JAX key, got {type(key).__name__} of shape {jnp.shape(key)}.\nFix: use seed(...) to start "
                "from an integer seed."
            )
        self.key.value = data

    # keys ------------------------------------------------------------------------------------------------
    def _store_key(self, new_data: jax.Array) -> None:
        try:
            self.key.value = new_data
        except StateError as err:
            raise StateError(
                f"{self._prefix}: random numbers were drawn inside a raw JAX transformation (jax.jit, jax.vmap, "
                "jax.lax.scan/fori_loop/cond ...). The generator's key is a State, and the advanced key would be a "
                "tracer that cannot leave that transformation.\nFix: use brainlab's transforms instead (be.jit, "
                "be.vmap, be.for_loop, be.cond, be.while_loop), or draw a key outside with "
                "be.random.split_key() and pass it in to jax.random."
            ) from err

    def _next_key(self) -> jax.Array:
        """Advance the stored key once and return a fresh typed key for one sampler call."""
        new, sub = compiled(_split_once, ())(self.key.value)
        self._store_key(new)
        return sub

    def split_key(self, n: int | None = None) -> jax.Array:
        """Fresh JAX key(s) for code that calls ``jax.random`` directly; advances this generator once.

        Args:
            n: ``None`` for one key (shape ``(2,)``), or an int for ``n`` independent keys (shape ``(n, 2)``).

        Returns:
            Raw ``uint32`` key data (the legacy ``jax.random.PRNGKey`` form), accepted by every ``jax.random``
            function.  It is interpreted with JAX's default PRNG implementation (threefry2x32); if you changed
            ``jax_default_prng_impl``, wrap it: ``jax.random.wrap_key_data(k, impl='threefry2x32')``.

        Example:
            >>> import jax, brainlab.engine as be
            >>> be.random.seed(0)
            >>> noise = jax.random.normal(be.random.split_key(), (4,))
            >>> be.random.split_key(3).shape
            (3, 2)
        """
        if n is None:
            return _keys.raw(self._next_key())
        try:
            count = int(n)
            if count != n or isinstance(n, bool):
                raise TypeError
        except (TypeError, ValueError):
            raise TypeError(
                f"{self._where('split_key')}: argument `n` must be None or an int, got {n!r}.\nFix: "
                "split_key() for one key, split_key(10) for ten."
            ) from None
        if count < 0:
            raise ValueError(f"{self._where('split_key')}: argument `n` must be >= 0, got {count}.")
        new, keys = compiled(_split_many, (1,))(self.key.value, count)
        self._store_key(new)
        return keys

    # sampling helper -------------------------------------------------------------------------------------
    def _draw_float(
        self,
        name: str,
        size: Any,
        params: Sequence[Any],
        sample: Callable[..., jax.Array],
        compile: bool = True,
    ) -> Array:
        """Draw a floating sample: ``sample(key, shape, dtype, *params)`` with params cast to the sample dtype.

        ``sample`` must be a module-level function; it is compiled once and cached, unless ``compile=False``
        (for samplers assembled from other compiled samplers, so that they share those compilations).  The
        output shape is ``size``, or the broadcast shape of the parameters when ``size`` is None.
        """
        where = self._where(name)
        params = [C.param(p) for p in params]
        shape = C.output_shape(where, size, *[jnp.shape(p) for p in params])
        dtype = C.float_dtype(*params)
        values = [jnp.asarray(p, dtype=dtype) for p in params]
        return Array((compiled(sample) if compile else sample)(self._next_key(), shape, dtype, *values))
