"""Newton's method on the host (NumPy), driven by compiled residual-and-Jacobian functions.

The analysis tools compile only straight-line functions (the vector field and its derivatives) and run the
iterations here: compiling a loop with a linear solve inside is slow on CPU, while these systems are small.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

__all__ = ["NewtonResult", "newton", "newton_batch", "solve_batch"]

_ALPHAS = 0.5 ** np.arange(8)


class NewtonResult(NamedTuple):
    """The outcome of :func:`newton`: the last iterate, whether it converged, ``max|G|`` there, iterations,
    and ``DG`` at the last iterate (``None`` if it was not evaluated there)."""

    y: np.ndarray
    converged: bool
    residual: float
    iterations: int
    jacobian: np.ndarray | None = None


def newton(
    fun: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    y0: np.ndarray,
    *,
    max_iter: int = 30,
    xtol: float = 1e-12,
    ftol: float = 1e-8,
) -> NewtonResult:
    r"""Solve :math:`G(y) = 0` for square :math:`G` by Newton's method, ``fun(y) -> (G(y), DG(y))``.

    Stops when :math:`\|\Delta y\|_\infty \le \mathrm{xtol}\,(1 + \|y\|_\infty)`; converged means that and
    :math:`\|G\|_\infty \le` ``ftol`` at the final iterate.  A singular Jacobian or a non-finite iterate stops
    with ``converged=False``.
    """
    y = np.array(y0, dtype=np.float64)
    res = np.inf
    for it in range(1, max_iter + 1):
        g, dg = fun(y)
        res = float(np.max(np.abs(g)))
        if not np.isfinite(res):
            return NewtonResult(y, False, res, it)
        try:
            dy = np.linalg.solve(dg, -g)
        except np.linalg.LinAlgError:
            return NewtonResult(y, False, res, it)
        y = y + dy
        if not np.all(np.isfinite(y)):
            return NewtonResult(y, False, np.inf, it)
        if np.max(np.abs(dy)) <= xtol * (1.0 + np.max(np.abs(y))):
            g, dg = fun(y)
            res = float(np.max(np.abs(g)))
            return NewtonResult(y, bool(res <= ftol), res, it, dg)
    return NewtonResult(y, False, res, max_iter)


def solve_batch(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve a stack of small systems ``A[k] x[k] = b[k]``; singular ones give NaN instead of raising."""
    d = A.shape[-1]
    if d == 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            return b / A[..., 0]
    if d == 2:
        det = A[:, 0, 0] * A[:, 1, 1] - A[:, 0, 1] * A[:, 1, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            x0 = (A[:, 1, 1] * b[:, 0] - A[:, 0, 1] * b[:, 1]) / det
            x1 = (A[:, 0, 0] * b[:, 1] - A[:, 1, 0] * b[:, 0]) / det
        return np.stack([x0, x1], axis=-1)
    try:
        return np.linalg.solve(A, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.full(b.shape, np.nan)
        for k in range(A.shape[0]):
            try:
                out[k] = np.linalg.solve(A[k], b[k])
            except np.linalg.LinAlgError:
                pass
        return out


def newton_batch(
    fun: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    values: Callable[[np.ndarray], np.ndarray],
    Y0: np.ndarray,
    *,
    max_iter: int = 60,
    xtol: float = 1e-12,
    ftol: float = 1e-9,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Damped Newton from many seeds at once: ``fun(Y) -> (G, DG)`` and ``values(Y) -> G`` act on batches.

    The step :math:`-\alpha\, DG^{-1}G` takes the largest :math:`\alpha \in \{1, 1/2, \dots, 1/128\}` that
    reduces :math:`\|G\|_2` (Armijo-like backtracking; all trial points are evaluated in one batched call),
    which widens the basins of attraction.  Returns ``(Y, converged, max|G|)``.
    """
    Y = np.array(Y0, dtype=np.float64)
    k, d = Y.shape
    done = np.zeros(k, bool)
    for _ in range(max_iter):
        G, DG = fun(Y)
        dY = solve_batch(DG, -G)
        dY = np.where(np.isfinite(dY), dY, 0.0)
        norm0 = np.sum(G * G, axis=1)
        trials = Y[None] + _ALPHAS[:, None, None] * dY[None]
        vals = values(trials.reshape(-1, d)).reshape(len(_ALPHAS), k, d)
        norms = np.sum(vals * vals, axis=2)
        ok = (norms <= (1.0 - 0.25 * _ALPHAS)[:, None] * norm0[None]) & np.isfinite(norms)
        pick = np.where(ok.any(axis=0), np.argmax(ok, axis=0), len(_ALPHAS) - 1)
        step = _ALPHAS[pick][:, None] * dY
        step[done] = 0.0
        Y = Y + step
        small = np.max(np.abs(dY), axis=1) <= xtol * (1.0 + np.max(np.abs(Y), axis=1))
        done |= small | ~np.all(np.isfinite(Y), axis=1)
        if done.all():
            break
    G = values(Y)
    res = np.max(np.abs(G), axis=1)
    conv = done & np.all(np.isfinite(Y), axis=1) & (res <= ftol)
    return Y, conv, res
