r"""Offline linear readouts: ridge regression solved in float64, from data or from streamed sums.

The readout maps features :math:`x_t \in \mathbb R^F` (reservoir states, NVAR monomials ...) to outputs
:math:`y_t \in \mathbb R^M`:

.. math:: \hat y_t = W^\top x_t + b, \qquad
          (W, b) = \arg\min \sum_t \lVert y_t - W^\top x_t - b \rVert^2 + \lambda \lVert W \rVert_F^2 ,

with the bias :math:`b` not penalised.  Centring removes it from the penalty exactly:

.. math:: W = (X_c^\top X_c + \lambda I)^{-1} X_c^\top Y_c, \qquad b = \bar y - W^\top \bar x ,

where :math:`X_c^\top X_c = X^\top X - n\,\bar x \bar x^\top` and :math:`X_c^\top Y_c = X^\top Y - n\,\bar x
\bar y^\top` are formed from sums that :class:`RidgeAccumulator` streams over trials and chunks, so the data
never need to be in memory at once.

Precision: the sums and the solve are always float64, whatever the precision of the features.  The normal
matrix squares the condition number of :math:`X` (reservoir states are strongly correlated, so
:math:`\kappa(X^\top X)` of :math:`10^6`-:math:`10^{10}` is common); float32 keeps about 7 digits, so a float32 solve
loses most of them (``tests/test_train_readouts.py`` shows the error growing by more than 10x).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import glob
import os
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

import brainlab.engine as be
from brainlab.engine._array import unwrap

__all__ = ["Ridge", "RidgeAccumulator"]


def as_trials(name: str, arg: str, data: Any, n_features: int | None = None) -> list[np.ndarray | jax.Array]:
    """A list of 2-D ``(time, features)`` trials from a 1-D/2-D array, a 3-D ``(trial, time, features)`` array or a list."""
    if isinstance(data, (list, tuple)):
        trials = [_as_2d(name, arg, d) for d in data]
    else:
        a = _keep(data)
        if a.ndim == 3:
            trials = [a[i] for i in range(a.shape[0])]
        else:
            trials = [_as_2d(name, arg, a)]
    if not trials:
        raise ValueError(f"{name}: {arg} is empty; pass at least one trial.")
    if n_features is not None:
        for i, t in enumerate(trials):
            if t.shape[1] != n_features:
                raise ValueError(f"{name}: trial {i} of {arg} has {t.shape[1]} features, expected {n_features}.")
    return trials


def _keep(d: Any) -> Any:
    """A JAX or numpy array without changing its dtype (jnp.asarray would make float64 data float32)."""
    d = unwrap(d)
    return d if isinstance(d, (jax.Array, np.ndarray)) else np.asarray(d)


def _as_2d(name: str, arg: str, d: Any) -> Any:
    a = _keep(d)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(
            f"{name}: each trial of {arg} must be 2-D (time, features); got shape {a.shape}. Pass a 3-D array "
            "(trial, time, features) or a list of 2-D arrays for several trials."
        )
    return a


class RidgeAccumulator:
    r"""Streaming sums for ridge regression: add trials or chunks, then :meth:`solve`.

    Keeps :math:`n`, :math:`\sum x`, :math:`\sum y`, :math:`X^\top X` and :math:`X^\top Y` in float64 (memory
    :math:`O(F^2 + FM)`, independent of the number of samples).  Sums are taken about a shift (the mean of the
    first chunk) to limit cancellation when the features have a large mean.

    Args:
        ridge: default penalty :math:`\lambda` (units of :math:`x^2`).
        fit_bias: fit an unpenalised bias :math:`b` (else :math:`b = 0` and nothing is centred).

    Example:
        >>> import numpy as np
        >>> import brainlab as bl
        >>> rng = np.random.default_rng(0); W = rng.normal(size=(3, 2))
        >>> acc = bl.train.RidgeAccumulator(ridge=1e-9)
        >>> for _ in range(4):                       # four chunks of 100 samples
        ...     X = rng.normal(size=(100, 3)); _ = acc.add(X, X @ W + 0.5)
        >>> W_fit, b = acc.solve()
        >>> bool(np.allclose(W_fit, W)), np.round(b, 6).tolist()
        (True, [0.5, 0.5])
    """

    def __init__(self, ridge: float = 0.0, fit_bias: bool = True):
        if not np.isfinite(ridge) or ridge < 0:
            raise ValueError(f"RidgeAccumulator: ridge={ridge!r} must be >= 0.")
        self.ridge = float(ridge)
        self.fit_bias = bool(fit_bias)
        self.n = 0
        self.shift_x: jax.Array | None = None
        self.shift_y: jax.Array | None = None
        self.sx = self.sy = self.xtx = self.xty = None

    @property
    def n_features(self) -> int | None:
        return None if self.xtx is None else int(self.xtx.shape[0])

    def add(self, X: Any, Y: Any, warmup: int = 0, mask: Any = None) -> "RidgeAccumulator":
        """Add samples: ``X`` ``(T, F)``, ``(B, T, F)`` or a list of ``(T_i, F)`` trials; ``Y`` alike with ``M`` outputs.

        Args:
            warmup: time steps dropped at the start of every trial (the reservoir's transient).
            mask: optional ``(T,)`` / ``(B, T)`` weights (1 keeps a sample, 0 drops it), e.g. for padded trials.
        """
        name = "RidgeAccumulator.add"
        xs = as_trials(name, "X", X, self.n_features)
        ys = as_trials(name, "Y", Y)
        if len(xs) != len(ys):
            raise ValueError(f"{name}: X has {len(xs)} trials but Y has {len(ys)}; pass one target per trial.")
        if mask is None:
            masks = [None] * len(xs)
        elif isinstance(mask, (list, tuple)):
            masks = [jnp.asarray(unwrap(m)).reshape(-1) for m in mask]
        else:
            m = jnp.asarray(unwrap(mask))
            masks = [m] if m.ndim == 1 else list(m)
        if len(masks) != len(xs):
            raise ValueError(f"{name}: mask has {len(masks)} trials but X has {len(xs)}.")
        with be.precision("float64"):
            for i, (x, y, m) in enumerate(zip(xs, ys, masks)):
                if x.shape[0] != y.shape[0]:
                    raise ValueError(
                        f"{name}: trial {i} has {x.shape[0]} time steps in X but {y.shape[0]} in Y; they must match."
                    )
                if warmup >= x.shape[0]:
                    raise ValueError(
                        f"{name}: warmup={warmup} drops all {x.shape[0]} steps of trial {i}; use a smaller warmup."
                    )
                x = jnp.asarray(x[warmup:], jnp.float64)
                y = jnp.asarray(y[warmup:], jnp.float64)
                w = None if m is None else jnp.asarray(m[warmup:], jnp.float64).reshape(-1)
                self._add(x, y, w)
        return self

    def _add(self, x: jax.Array, y: jax.Array, w: jax.Array | None) -> None:
        if self.xtx is None:
            F, M = x.shape[1], y.shape[1]
            if self.fit_bias:
                self.shift_x, self.shift_y = jnp.mean(x, 0), jnp.mean(y, 0)
            else:
                self.shift_x, self.shift_y = jnp.zeros(F), jnp.zeros(M)
            self.sx, self.sy = jnp.zeros(F), jnp.zeros(M)
            self.xtx, self.xty = jnp.zeros((F, F)), jnp.zeros((F, M))
        elif y.shape[1] != self.xty.shape[1]:
            raise ValueError(f"RidgeAccumulator.add: Y has {y.shape[1]} outputs, expected {self.xty.shape[1]}.")
        n, sx, sy, xtx, xty = _sums(x, y, w, self.shift_x, self.shift_y)
        self.n += float(n)
        self.sx, self.sy = self.sx + sx, self.sy + sy
        self.xtx, self.xty = self.xtx + xtx, self.xty + xty

    def add_states(self, xs: Any, ys: np.ndarray, valid: np.ndarray) -> "RidgeAccumulator":
        """Add a chunk of samples with the host's float64 BLAS, on one thread: ``xs`` ``(B, C, F)`` (e.g. a compiled
        program's result still being computed: this waits for it, so a program dispatched after it, such as the
        next chunk of a reservoir, runs meanwhile on another core), ``ys`` ``(B, C, M)`` float64 targets and
        ``valid`` ``(B, C)`` booleans (the samples kept).  The sums are :meth:`add`'s, about the same shift;
        ``x.T @ x`` of one buffer is a symmetric rank-k update in numpy (BLAS ``syrk``: half the products)."""
        x = np.asarray(xs)
        F, M = x.shape[-1], ys.shape[-1]
        if valid.all():
            x, y = x.reshape(-1, F), ys.reshape(-1, M)
        else:
            x, y = x[valid], ys[valid]
        if x.shape[0] == 0:
            return self
        x = x.astype(np.float64)
        if self.xtx is None:
            if self.fit_bias:
                self.shift_x, self.shift_y = x.mean(0), y.mean(0)
            else:
                self.shift_x, self.shift_y = np.zeros(F), np.zeros(M)
            self.sx, self.sy = np.zeros(F), np.zeros(M)
            self.xtx, self.xty = np.zeros((F, F)), np.zeros((F, M))
        elif F != self.xtx.shape[0] or M != self.xty.shape[1]:
            raise ValueError(f"RidgeAccumulator.add_states: {F} features and {M} outputs, expected "
                             f"{self.xtx.shape[0]} and {self.xty.shape[1]}.")
        x -= np.asarray(self.shift_x)
        y = y - np.asarray(self.shift_y)
        with _one_blas_thread():
            xtx, xty = x.T @ x, x.T @ y
        self.n += float(x.shape[0])
        self.sx, self.sy = self.sx + x.sum(0), self.sy + y.sum(0)
        self.xtx, self.xty = self.xtx + xtx, self.xty + xty
        return self

    def load_sums(self, n: Any, sx: jax.Array, sy: jax.Array, xtx: jax.Array, xty: jax.Array, shift_x: jax.Array,
                  shift_y: jax.Array) -> "RidgeAccumulator":
        """Start from float64 sums formed elsewhere (``n``, the shifted sums of ``x`` and ``y``, ``X^T X``, ``X^T Y``
        and the two shifts), e.g. by another accumulator or inside a compiled program."""
        if self.xtx is not None:
            raise ValueError("RidgeAccumulator.load_sums: the accumulator already holds data; use a new one.")
        self.n = float(n)
        self.sx, self.sy, self.xtx, self.xty, self.shift_x, self.shift_y = sx, sy, xtx, xty, shift_x, shift_y
        return self

    def solve(self, ridge: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        r"""``(W, b)`` in float64 numpy: ``W`` ``(F, M)``, ``b`` ``(M,)`` (zeros without ``fit_bias``)."""
        if self.xtx is None:
            raise ValueError("RidgeAccumulator.solve: no data; call add(X, Y) first.")
        lam = self.ridge if ridge is None else float(ridge)
        with be.precision("float64"):
            W, b = _solve(self.n, self.sx, self.sy, self.xtx, self.xty, self.shift_x, self.shift_y,
                          jnp.float64(lam), self.fit_bias)
        W, b = np.asarray(W), np.asarray(b)
        if not np.all(np.isfinite(W)):
            raise FloatingPointError(
                f"RidgeAccumulator.solve: the normal equations are singular (ridge={lam}); use ridge > 0."
            )
        return W, b


@functools.cache
def _blas_threads_setter() -> Any:
    """numpy's OpenBLAS ``openblas_set_num_threads_local`` (per calling thread), or ``None`` (another BLAS)."""
    try:
        libs = glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*"))
        fn = ctypes.CDLL(libs[0]).openblas_set_num_threads_local if libs else None
    except (OSError, AttributeError):
        return None
    if fn is not None:
        fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
    return fn


@contextlib.contextmanager
def _one_blas_thread() -> Any:
    """numpy's BLAS on one thread in this thread (others unchanged).  Where its products overlap a compiled
    program running on another core, a second BLAS thread would only contend with it (and OpenBLAS's idle
    threads spin for a while after each call, taking that core)."""
    fn = _blas_threads_setter()
    previous = fn(1) if fn is not None else None
    try:
        yield
    finally:
        if fn is not None:
            fn(previous)


@jax.jit
def _sums(x, y, w, cx, cy):
    xs, ys = x - cx, y - cy
    if w is None:
        return x.shape[0], xs.sum(0), ys.sum(0), _gram(xs, xs), (ys.T @ xs).T
    xw = xs * w[:, None]
    return w.sum(), xw.sum(0), (ys * w[:, None]).sum(0), _gram(xw, xs), (ys.T @ xw).T


def _gram(a: jax.Array, b: jax.Array) -> jax.Array:
    """``a.T @ b`` for a symmetric result (``a = diag(w) b``): for many features, the upper blocks only, mirrored
    (3/4 of the products; 25 % faster for 8,900 x 500), which also makes it exactly symmetric.  ``Y^T X`` above,
    transposed, spares XLA a transposed copy of ``X``."""
    F = a.shape[1]
    if F < 256:
        return a.T @ b
    h = F // 2
    a1, a2, b1, b2 = a[:, :h], a[:, h:], b[:, :h], b[:, h:]
    upper = a1.T @ b2
    return jnp.block([[a1.T @ b1, upper], [upper.T, a2.T @ b2]])


@functools.partial(jax.jit, static_argnums=8)  # one compiled call (traced with 64-bit types on, in solve)
def _solve(n, sx, sy, xtx, xty, cx, cy, lam, fit_bias):
    F = xtx.shape[0]
    if fit_bias:
        mx, my = sx / n, sy / n  # means of the shifted data
        A = xtx - n * jnp.outer(mx, mx)
        B = xty - n * jnp.outer(mx, my)
    else:
        A, B = xtx, xty
    A = A + lam * jnp.eye(F)
    W = jax.scipy.linalg.solve(A, B, assume_a="pos")
    if fit_bias:
        b = (my + cy) - (mx + cx) @ W
    else:
        b = jnp.zeros(W.shape[1])
    return W, b


class Ridge(be.Module):
    r"""A ridge-regression readout :math:`\hat y = W^\top x + b` (unpenalised bias), fitted in float64.

    Args:
        ridge: penalty :math:`\lambda` on :math:`\lVert W \rVert^2` (units of :math:`x^2`).
        fit_bias: fit the bias :math:`b`.

    After :meth:`fit`, ``W`` ``(F, M)`` and ``b`` ``(M,)`` are ``ParamState`` s in the default float precision
    (float64 copies stay in ``W64``/``b64``).

    Example:
        >>> import numpy as np
        >>> import brainlab as bl
        >>> X = np.random.default_rng(1).normal(size=(200, 4)); Y = X @ np.arange(4.)[:, None] - 1.0
        >>> r = bl.train.Ridge(ridge=1e-8).fit(X, Y)
        >>> np.round(r.W64.ravel(), 5).tolist(), round(float(r.b64[0]), 5)
        ([0.0, 1.0, 2.0, 3.0], -1.0)
        >>> r.predict(X[:2]).shape
        (2, 1)
    """

    def __init__(self, ridge: float = 1e-6, fit_bias: bool = True):
        if not np.isfinite(ridge) or ridge < 0:
            raise ValueError(f"Ridge: ridge={ridge!r} must be >= 0.")
        self.ridge = float(ridge)
        self.fit_bias = bool(fit_bias)
        self.W: be.ParamState | None = None
        self.b: be.ParamState | None = None
        self.W64: np.ndarray | None = None
        self.b64: np.ndarray | None = None

    def fit(self, X: Any, Y: Any, warmup: int = 0, mask: Any = None) -> "Ridge":
        """Fit on ``X`` ``(T, F)`` / ``(B, T, F)`` / list of trials and matching ``Y``; see :meth:`RidgeAccumulator.add`."""
        acc = RidgeAccumulator(self.ridge, self.fit_bias).add(X, Y, warmup=warmup, mask=mask)
        return self.set_solution(*acc.solve())

    def fit_accumulator(self, acc: RidgeAccumulator, ridge: float | None = None) -> "Ridge":
        """Solve from streamed sums (``ridge`` defaults to this readout's)."""
        return self.set_solution(*acc.solve(self.ridge if ridge is None else ridge))

    def set_solution(self, W: np.ndarray, b: np.ndarray) -> "Ridge":
        self.W64, self.b64 = np.asarray(W, np.float64), np.asarray(b, np.float64)
        dt = be.default_float()
        if self.W is None or self.W.value.shape != self.W64.shape or self.W.value.dtype != dt:
            self.W = be.ParamState(jnp.asarray(self.W64, dt))
            self.b = be.ParamState(jnp.asarray(self.b64, dt))
        else:
            self.W.value = jnp.asarray(self.W64, dt)
            self.b.value = jnp.asarray(self.b64, dt)
        return self

    def predict(self, X: Any) -> jax.Array:
        """:math:`W^\\top x + b` for ``X`` of shape ``(..., F)``."""
        if self.W is None:
            raise ValueError("Ridge.predict: the readout is not fitted; call fit(X, Y) first.")
        x = jnp.asarray(unwrap(X))
        if x.shape[-1] != self.W.value.shape[0]:
            raise ValueError(f"Ridge.predict: X has {x.shape[-1]} features, the readout expects {self.W.value.shape[0]}.")
        return x @ self.W.value.astype(x.dtype) + self.b.value.astype(x.dtype)
