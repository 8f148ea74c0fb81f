r"""Pseudo-arclength continuation of a curve :math:`H(y) = 0`, :math:`H: \mathbb R^{N+1} \to \mathbb R^N`.

Predictor: a step :math:`h` along the unit tangent :math:`t_k` (the null vector of :math:`DH(y_k)`).
Corrector: Newton's method on the bordered system

.. math:: H(y) = 0, \qquad t_k^\top (y - y_k - h t_k) = 0,

whose Jacobian :math:`\begin{pmatrix} DH \\ t_k^\top\end{pmatrix}` stays nonsingular at folds.  The new tangent
solves :math:`\begin{pmatrix} DH(y_{k+1}) \\ t_k^\top\end{pmatrix} t = e_{N+1}`, which keeps its orientation.
The step grows after quick convergence and halves after a failure, a large turn of the tangent or a
corrector that landed far from the predicted point (a jump to another part of the curve).  Zeros of test functions are located on the segment between two points by
the Illinois variant of regula falsi in the arclength :math:`s`, each trial point being corrected onto the
curve.  (H. B. Keller, 1977; E. Allgower & K. Georg, *Numerical Continuation Methods*, Springer 1990.)
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._newton import newton

__all__ = ["AbstractCurve", "Trace", "StepOptions", "trace_curve", "locate_zero"]


@dataclasses.dataclass(frozen=True)
class StepOptions:
    """Step-size control of pseudo-arclength continuation (arclength in the units of the unknowns)."""

    h0: float
    h_min: float
    h_max: float
    max_points: int = 2000
    cos_max_turn: float = 0.98


class AbstractCurve(abc.ABC):
    """A curve ``H(y) = 0`` given by its residual and Jacobian; ``state`` carries borders that may change."""

    @abc.abstractmethod
    def residual(self, y: np.ndarray, state: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(H(y), DH(y))`` with shapes ``(N,)`` and ``(N, N+1)``."""

    def refresh(self, y: np.ndarray, state: Any) -> Any:
        """New ``state`` (borders) adapted to the accepted point ``y``; by default unchanged."""
        return state

    def correct(self, y0: np.ndarray, row: np.ndarray, target: float, t_ref: np.ndarray, state: Any):
        """Newton on ``[H(y); row . y = target]`` from ``y0``; returns ``(y, ok, iterations, DH, tangent)``.

        The tangent solves ``[DH; t_ref] t = e`` (so it keeps the orientation of ``t_ref``), normalised.
        """

        def G(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            H, DH = self.residual(y, state)
            return np.append(H, row @ y - target), np.vstack([DH, row])

        res = newton(G, y0, max_iter=12, xtol=1e-12, ftol=1e-8)
        if not res.converged:
            return res.y, False, res.iterations, None, None
        DH = res.jacobian[:-1]
        A = np.vstack([DH, t_ref])
        e = np.zeros(A.shape[0])
        e[-1] = 1.0
        try:
            tn = np.linalg.solve(A, e)
        except np.linalg.LinAlgError:
            return res.y, False, res.iterations, DH, None
        tn = tn / np.linalg.norm(tn)
        return res.y, bool(np.all(np.isfinite(tn))), res.iterations, DH, tn

    def step(self, y: np.ndarray, t: np.ndarray, s: float, state: Any):
        """The point at arclength ``s`` along the tangent ``t`` from ``y``, corrected onto the curve."""
        y_pred = y + s * t
        return self.correct(y_pred, t, float(t @ y_pred), t, state)


@dataclasses.dataclass
class Trace:
    """Points of one continuation run (one direction), with the curve state (borders) used at each."""

    ys: list[np.ndarray]
    ts: list[np.ndarray]
    DHs: list[np.ndarray]
    states: list[Any]
    message: str
    closed: bool = False


def trace_curve(
    curve: AbstractCurve,
    y0: np.ndarray,
    t0: np.ndarray,
    DH0: np.ndarray,
    state: Any,
    opts: StepOptions,
    bounds: Sequence[tuple[int, float, float, str]],
) -> Trace:
    """Continue from ``(y0, t0)`` in the direction of ``t0`` until a bound, ``max_points`` or a failure.

    ``bounds`` lists ``(component, low, high, name)``: the run ends exactly on the bound that is crossed (the
    last point is corrected with that component fixed).  After each accepted point ``curve.refresh`` may renew
    the borders.
    """
    tr = Trace([y0], [t0], [DH0], [state], "reached max_points")
    h = opts.h0
    while len(tr.ys) < opts.max_points:
        y, t = tr.ys[-1], tr.ts[-1]
        yn, ok, it, DH, tn = curve.step(y, t, h, state)
        at_min = h <= opts.h_min * (1 + 1e-12)
        # A step is accepted when the tangent turned little and the corrector stayed close to the predictor: a
        # corrector that lands far off the predicted point (more than 0.3 h, a chord 17 degrees off the tangent,
        # while a smooth curve accepted by the turn test gives at most ~0.1 h) has jumped to another part of
        # the curve, e.g. across the hump of an S-shaped branch.
        good = (ok and (float(tn @ t) >= opts.cos_max_turn or at_min)
                and (np.linalg.norm(yn - y - h * t) <= 0.3 * h or at_min))
        if not good:
            if at_min:
                tr.message = (f"stopped: the corrector failed even at the minimum step {opts.h_min:.3g} near "
                              f"y = {np.array2string(y, precision=6)}")
                break
            h = max(0.5 * h, opts.h_min)
            continue
        crossed = [(c, lo, hi, nm) for c, lo, hi, nm in bounds if not lo <= yn[c] <= hi]
        if crossed:
            c, lo, hi, nm = crossed[0]
            val = lo if yn[c] < lo else hi
            frac = (val - y[c]) / (yn[c] - y[c])
            row = np.zeros_like(y)
            row[c] = 1.0
            ye, oke, _, DHe, te = curve.correct(y + frac * (yn - y), row, val, t, state)
            if oke and np.linalg.norm(ye - y) > 1e-12 * (1.0 + np.linalg.norm(y)):
                tr.ys.append(ye), tr.ts.append(te), tr.DHs.append(DHe), tr.states.append(state)
            tr.message = f"reached the bound {nm} = {val:g}"
            break
        tr.ys.append(yn), tr.ts.append(tn), tr.DHs.append(DH), tr.states.append(state)
        state = curve.refresh(yn, state)
        if it <= 3:
            h = min(1.4 * h, opts.h_max)
        elif it >= 7:
            h = max(0.6 * h, opts.h_min)
        if len(tr.ys) > 8 and np.linalg.norm(yn - tr.ys[0]) < h and float(tn @ tr.ts[0]) > 0.9:
            tr.closed = True
            tr.message = "the curve closed on itself"
            break
    return tr


def locate_zero(
    curve: AbstractCurve,
    y: np.ndarray,
    t: np.ndarray,
    s_end: float,
    f0: float,
    f1: float,
    test: Callable[[np.ndarray, np.ndarray, np.ndarray], float],
    state: Any,
    *,
    rtol: float = 1e-13,
    max_iter: int = 80,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    r"""The zero of ``test(y, t, DH)`` on the segment :math:`s \in [0, s_{end}]` from ``y`` along ``t``.

    Illinois regula falsi on the arclength; every trial point is corrected onto the curve.  Stops when the
    bracket is shorter than ``rtol * (1 + |y|)`` or the test value is exactly zero.  Returns the point, its
    tangent, ``DH`` and whether it converged.
    """
    a, fa, b, fb = 0.0, float(f0), float(s_end), float(f1)
    side = 0
    best = (y, t, None)
    scale = 1.0 + float(np.max(np.abs(y)))
    for _ in range(max_iter):
        s = (a * fb - b * fa) / (fb - fa) if fb != fa else 0.5 * (a + b)
        if not (min(a, b) < s < max(a, b)):
            s = 0.5 * (a + b)
        yc, ok, _, DH, tc = curve.step(y, t, s, state)
        if not ok:
            s = 0.5 * (a + b)
            yc, ok, _, DH, tc = curve.step(y, t, s, state)
            if not ok:
                return best[0], best[1], best[2], False
        f = float(test(yc, tc, DH))
        best = (yc, tc, DH)
        if f == 0.0:
            return yc, tc, DH, True
        if np.sign(f) == np.sign(fa):
            a, fa = s, f
            if side == -1:
                fb *= 0.5
            side = -1
        else:
            b, fb = s, f
            if side == 1:
                fa *= 0.5
            side = 1
        if abs(b - a) <= rtol * scale:
            return yc, tc, DH, True
    return best[0], best[1], best[2], False
