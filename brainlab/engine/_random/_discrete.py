r"""Samplers of discrete distributions, random choices and permutations.

Counts and indices come out in the default integer dtype (int32; int64 under ``jax.enable_x64(True)``);
:meth:`~DiscreteSamplers.bernoulli` gives booleans (spike / no spike).
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _jax_internals as jxi
from .._array import Array
from .._state import State
from . import _checks as C
from ._base import KeyedGenerator, compiled
from ._checks import ArrayLike, Size

__all__ = ["DiscreteSamplers"]


# Pure samplers, compiled once each (shapes, dtypes and other static arguments as compile-time constants).
def _randint(k, s, d, low, high):
    return jax.random.randint(k, s, low, high, d)


def _choice_range(k, n, s, replace, p, axis):
    return jax.random.choice(k, n, s, replace, p, axis)


def _choice_items(k, a, s, replace, p, axis):
    return jax.random.choice(k, a, s, replace, p, axis)


def _permute_range(k, n):
    return jax.random.permutation(k, n)


def _permute(k, x, axis):
    return jax.random.permutation(k, x, axis=axis)


def _bernoulli(k, s, d, p):
    return jax.random.bernoulli(k, p, s)


def _binomial(k, s, d, n, p):
    return jax.random.binomial(k, jnp.floor(n), p, s, n.dtype).astype(d)


def _poisson(k, s, d, lam):
    return jax.random.poisson(k, lam, s, d)


def _geometric(k, s, d, p):
    return jax.random.geometric(k, p, s, d)


def _categorical(k, s, d, logits, axis):
    return jax.random.categorical(k, logits, axis, s).astype(d)


class DiscreteSamplers(KeyedGenerator):
    """randint, choice, permutation, shuffle, bernoulli, binomial, poisson, geometric, categorical."""

    def _draw_int(self, name: str, size: Size, params: tuple, sample, dtype: Any = None) -> Array:
        where = self._where(name)
        params = [C.param(p) for p in params]
        shape = C.output_shape(where, size, *[jnp.shape(p) for p in params])
        fdtype = C.float_dtype(*params)
        values = [jnp.asarray(p, dtype=fdtype) for p in params]
        return Array(compiled(sample)(self._next_key(), shape, np.dtype(dtype or C.int_dtype()), *values))

    def randint(self, low: ArrayLike, high: ArrayLike | None = None, size: Size = None, dtype: Any = int) -> Array:
        r"""Integers drawn uniformly from :math:`\{\mathrm{low}, \dots, \mathrm{high} - 1\}`.

        Args:
            low: the lowest value; if ``high`` is None, values come from ``[0, low)`` instead (numpy's rule).
            high: one above the largest value.
            size: output shape; ``None`` gives the broadcast shape of ``low`` and ``high``.
            dtype: an integer dtype; ``int`` means int32 (int64 under ``jax.enable_x64(True)``).

        Example:
            >>> import brainlab.engine as be
            >>> pre = be.random.randint(0, 100, size=20)   # 20 presynaptic indices out of 100
            >>> bool(((pre >= 0) & (pre < 100)).all())
            True
        """
        where = self._where("randint")
        if high is None:
            low, high = 0, low
        low, high = C.param(low), C.param(high)
        dtype = C.int_dtype() if dtype is int else np.dtype(jax.dtypes.canonicalize_dtype(dtype))
        if not np.issubdtype(dtype, np.integer):
            raise TypeError(f"{where}: argument `dtype` must be an integer dtype, got {dtype}.\nFix: dtype=int.")
        lo, hi = C.concrete(low), C.concrete(high)
        if lo is not None and hi is not None:
            if np.any(np.asarray(lo, np.float64) >= np.asarray(hi, np.float64)):
                raise ValueError(
                    f"{where}: `low` must be smaller than `high` everywhere (low={lo!r:.60}, high={hi!r:.60}); the "
                    "values are drawn from [low, high).\nFix: pass high > low (randint(n) draws from [0, n))."
                )
            info = np.iinfo(dtype)
            if np.any(lo < info.min) or np.any(hi - 1 > info.max):
                raise ValueError(
                    f"{where}: the range [{lo!r:.40}, {hi!r:.40}) does not fit dtype {dtype.name}.\nFix: use a wider "
                    "dtype (dtype=be.int64 inside `with jax.enable_x64(True):`) or a smaller range."
                )
        shape = C.output_shape(where, size, jnp.shape(low), jnp.shape(high))
        lo_v = jnp.asarray(low).astype(dtype)
        hi_v = jnp.asarray(high).astype(dtype)
        return Array(compiled(_randint)(self._next_key(), shape, dtype, lo_v, hi_v))

    def choice(
        self,
        a: int | ArrayLike,
        size: Size = None,
        replace: bool = True,
        p: ArrayLike | None = None,
        axis: int = 0,
    ) -> Array:
        r"""Random elements of ``a`` (or of ``range(a)`` when ``a`` is an int), optionally weighted by ``p``.

        Without replacement and with ``p``, items are drawn one after another with probability proportional to
        ``p`` among those not yet drawn (numpy's rule).

        Args:
            a: a positive int ``n`` (choose from ``0 .. n-1``) or an array (choose along ``axis``).
            size: output shape (``None``: one element).
            replace: draw with replacement (default) or without (then ``size`` may not exceed the population).
            p: probabilities of each item, non-negative and summing to 1; ``None`` for uniform.
            axis: the axis of ``a`` to choose along.

        Example:
            >>> import brainlab.engine as be
            >>> targets = be.random.choice(1000, size=80, replace=False)   # 80 distinct targets
            >>> len(set(targets.tolist()))
            80
        """
        where = self._where("choice")
        a = C.param(a)
        if not isinstance(replace, (bool, np.bool_)):
            raise TypeError(f"{where}: argument `replace` must be True or False, got {replace!r}.")
        if np.ndim(a) == 0:
            av = C.concrete(a)
            if av is None or not np.issubdtype(av.dtype, np.integer):
                raise TypeError(
                    f"{where}: argument `a` must be an int (a concrete population size) or an array, got "
                    f"{'a traced value' if av is None else repr(av)}.\nFix: pass the size as a Python int (mark it "
                    "static in be.jit), or pass be.arange(n)."
                )
            population = int(av)
            if population <= 0:
                raise ValueError(f"{where}: argument `a` must be a positive int, got {population}.\nFix: pass a >= 1.")
            a = population
        else:
            axis = int(axis)
            if not -np.ndim(a) <= axis < np.ndim(a):
                raise ValueError(f"{where}: `axis={axis}` is out of range for `a` of shape {jnp.shape(a)}.")
            population = jnp.shape(a)[axis]
            if population == 0:
                raise ValueError(f"{where}: argument `a` is empty (shape {jnp.shape(a)}); there is nothing to choose.")
        shape = C.normalize_size(where, size) or ()
        n_draws = math.prod(shape)
        if not replace and n_draws > population:
            raise ValueError(
                f"{where}: cannot take {n_draws} samples without replacement from a population of {population}.\n"
                "Fix: pass replace=True, or a size of at most the population."
            )
        if p is not None:
            p = C.param(p)
            if jnp.shape(p) != (population,):
                raise ValueError(
                    f"{where}: argument `p` must be 1-D with one probability per item ({population}), got shape "
                    f"{jnp.shape(p)}.\nFix: pass p with len(p) == {population}."
                )
            pv = C.concrete(p)
            if pv is not None:
                C.check_values(where, "p", pv, lambda v: v >= 0, "non-negative", "probabilities must be >= 0.")
                dt = pv.dtype if np.issubdtype(pv.dtype, np.floating) else np.dtype(np.float64)
                atol = max(np.sqrt(np.finfo(np.float64).eps), np.sqrt(np.finfo(dt).eps))
                total = float(np.sum(pv, dtype=np.float64))
                if abs(total - 1) > atol:
                    raise ValueError(
                        f"{where}: the probabilities `p` sum to {total!r}, not 1 (tolerance {atol:.1e}).\nFix: "
                        "normalise them, p = p / p.sum()."
                    )
                if not replace and np.count_nonzero(pv) < n_draws:
                    raise ValueError(
                        f"{where}: only {np.count_nonzero(pv)} items have p > 0, fewer than the {n_draws} samples "
                        "requested without replacement.\nFix: give more items a non-zero probability, or pass "
                        "replace=True."
                    )
            p = jnp.asarray(p, C.float_dtype(p))
        if isinstance(a, int):
            return Array(compiled(_choice_range, (1, 2, 3, 5))(self._next_key(), a, shape, bool(replace), p, 0))
        a = jnp.asarray(a)
        return Array(compiled(_choice_items, (2, 3, 5))(self._next_key(), a, shape, bool(replace), p, axis))

    def permutation(self, x: int | ArrayLike, axis: int = 0) -> Array:
        r"""A random permutation of ``range(x)`` (int ``x``) or a shuffled copy of ``x`` along ``axis``.

        All :math:`n!` orders are equally likely.

        Example:
            >>> import brainlab.engine as be
            >>> sorted(be.random.permutation(5).tolist())
            [0, 1, 2, 3, 4]
        """
        where = self._where("permutation")
        x = C.param(x)
        if np.ndim(x) == 0:
            xv = C.concrete(x)
            if xv is None or not np.issubdtype(xv.dtype, np.integer):
                raise TypeError(
                    f"{where}: argument `x` must be an int or an array with at least one dimension, got "
                    f"{'a traced scalar' if xv is None else repr(xv)}.\nFix: pass a Python int or a 1-D array."
                )
            if int(xv) < 0:
                raise ValueError(f"{where}: argument `x` must be >= 0, got {int(xv)}.")
            x = int(xv)
        elif not -np.ndim(x) <= int(axis) < np.ndim(x):
            raise ValueError(f"{where}: `axis={axis}` is out of range for `x` of shape {jnp.shape(x)}.")
        if isinstance(x, int):
            return Array(compiled(_permute_range, (1,))(self._next_key(), x))
        return Array(compiled(_permute, (2,))(self._next_key(), jnp.asarray(x), int(axis)))

    def shuffle(self, x: Array | State | np.ndarray) -> None:
        r"""Shuffle ``x`` in place along its first axis (all orders equally likely); returns None, as numpy.

        Args:
            x: a brainlab :class:`~brainlab.engine.Array`, a :class:`~brainlab.engine.State` or a numpy array
                (numpy arrays only outside transforms).  JAX arrays are immutable: use :meth:`permutation`.

        Example:
            >>> import brainlab.engine as be
            >>> deck = be.arange(10); be.random.shuffle(deck)
            >>> sorted(deck.tolist()) == list(range(10))
            True
        """
        where = self._where("shuffle")
        if isinstance(x, (Array, State)):
            current = x.value
        elif isinstance(x, np.ndarray):
            current = x
        else:
            raise TypeError(
                f"{where}: argument `x` must be a mutable array (a brainlab Array, a State or a numpy array), got "
                f"{type(x).__name__}. JAX arrays cannot be changed in place.\nFix: x = be.random.permutation(x)."
            )
        if np.ndim(current) == 0:
            raise ValueError(f"{where}: cannot shuffle a 0-d array; `x` needs at least one dimension.")
        shuffled = compiled(_permute, (2,))(self._next_key(), jnp.asarray(current), 0)
        if isinstance(x, np.ndarray):
            if isinstance(shuffled, jxi.Tracer):
                raise TypeError(
                    f"{where}: cannot shuffle a numpy array in place inside a transform.\nFix: use a brainlab "
                    "Array (be.asarray(x)) or x = be.random.permutation(x)."
                )
            x[...] = np.asarray(shuffled)
        else:
            x.value = shuffled

    def bernoulli(self, p: ArrayLike = 0.5, size: Size = None) -> Array:
        r"""Boolean samples, True with probability :math:`p`: :math:`P(x = 1) = p`, :math:`P(x = 0) = 1 - p`.

        Args:
            p: probabilities in :math:`[0, 1]`.  size: output shape; ``None`` gives the shape of ``p``.

        Example:
            >>> import brainlab.engine as be
            >>> spikes = be.random.bernoulli(20.0 * 0.1e-3, size=4000)   # 20 Hz Poisson spikes, dt = 0.1 ms
            >>> spikes.dtype
            dtype('bool')
        """
        p = C.param(p)
        C.check_probability(self._where("bernoulli"), "p", p)
        return self._draw_int("bernoulli", size, (p,), _bernoulli, dtype=np.bool_)

    def binomial(self, n: ArrayLike, p: ArrayLike, size: Size = None) -> Array:
        r"""Binomial counts, :math:`P(x = k) = \binom{n}{k} p^k (1 - p)^{n - k}`.

        Args:
            n: the number of trials, an integer :math:`\ge 0` (floats are truncated, as in numpy).
            p: the success probability in :math:`[0, 1]`.
            size: output shape; ``None`` gives the broadcast shape of ``n`` and ``p``.

        Example:
            >>> import brainlab.engine as be
            >>> released = be.random.binomial(10, 0.3, size=4000)   # vesicles released out of 10
            >>> bool(((released >= 0) & (released <= 10)).all())
            True
        """
        where = self._where("binomial")
        n, p = C.param(n), C.param(p)
        C.check_nonnegative(where, "n", n)
        C.check_probability(where, "p", p)
        return self._draw_int("binomial", size, (n, p), _binomial)

    def poisson(self, lam: ArrayLike = 1.0, size: Size = None) -> Array:
        r"""Poisson counts, :math:`P(x = k) = \lambda^k e^{-\lambda} / k!`.

        Args:
            lam: the mean :math:`\lambda \ge 0` (e.g. rate × dt for spike counts).  size: output shape.

        Example:
            >>> import brainlab.engine as be
            >>> counts = be.random.poisson(5.0 * 0.1, size=4000)   # 5 Hz for 100 ms bins
            >>> counts.dtype
            dtype('int32')
        """
        C.check_nonnegative(self._where("poisson"), "lam", C.param(lam))
        return self._draw_int("poisson", size, (lam,), _poisson)

    def geometric(self, p: ArrayLike, size: Size = None) -> Array:
        r"""The number of Bernoulli trials up to and including the first success:
        :math:`P(x = k) = (1 - p)^{k - 1} p`, :math:`k \ge 1`.

        Args:
            p: the success probability in :math:`(0, 1]`.  size: output shape.

        Example:
            >>> import brainlab.engine as be
            >>> trials = be.random.geometric(0.25, size=4000)   # attempts until the first success
            >>> bool((trials >= 1).all())
            True
        """
        C.check_probability(self._where("geometric"), "p", C.param(p), allow_zero=False)
        return self._draw_int("geometric", size, (p,), _geometric)

    def categorical(self, logits: ArrayLike, axis: int = -1, size: Size = None) -> Array:
        r"""Category indices drawn with probabilities :math:`\mathrm{softmax}(\mathrm{logits})` along ``axis``:
        :math:`P(x = i) = e^{\ell_i} / \sum_j e^{\ell_j}`.

        Args:
            logits: unnormalised log-probabilities (``-inf`` excludes a category).
            axis: the category axis of ``logits``.
            size: output shape; its trailing dimensions must match ``logits``'s shape without ``axis``
                (``None``: that shape).

        Example:
            >>> import brainlab.engine as be
            >>> be.random.categorical(be.log(be.array([0.2, 0.3, 0.5])), size=4).shape
            (4,)
        """
        where = self._where("categorical")
        logits = C.param(logits)
        if np.ndim(logits) == 0:
            raise ValueError(f"{where}: argument `logits` needs at least one dimension (the categories).")
        axis = int(axis)
        if not -np.ndim(logits) <= axis < np.ndim(logits):
            raise ValueError(f"{where}: `axis={axis}` is out of range for `logits` of shape {jnp.shape(logits)}.")
        batch = tuple(np.delete(np.array(jnp.shape(logits)), axis))
        shape = C.output_shape(where, size, batch)
        logits = jnp.asarray(logits, C.float_dtype(logits))
        return Array(compiled(_categorical, (1, 2, 4))(self._next_key(), shape, C.int_dtype(), logits, axis))
