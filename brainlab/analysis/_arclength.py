r"""Pseudo-arclength continuation of a curve :math:`H(y) = 0`, :math:`H: \mathbb R^{N+1} \to \mathbb R^N`.

Predictor: a step :math:`h` along the unit tangent :math:`t_k` (the null vector of :math:`DH(y_k)`).
Corrector: Newton's method on the bordered system

.. math:: H(y) = 0, \qquad t_k^\top (y - y_k - h t_k) = 0,

whose Jacobian :math:`\begin{pmatrix} DH \\ t_k^\top\end{pmatrix}` stays nonsingular at folds.  The new tangent
solves :math:`\begin{pmatrix} DH(y_{k+1}) \\ t_k^\top\end{pmatrix} t = e_{N+1}`, which keeps its orientation.
The step grows after quick convergence and halves after a failure, a large turn of the tangent or a
corrector that landed far from the predicted point (a jump to another part of the curve).  Zeros of test functions are located on the segment between two points by
the Illinois variant of regula falsi in the arclength :math:`s`, each trial point being corrected onto the
curve; near a branch point, where the corrector's matrix turns singular, by interpolation through the corrected
points around the zero.  (H. B. Keller, 1977; E. Allgower & K. Georg, *Numerical Continuation Methods*, Springer 1990.)
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
    ftol_singular: float = 1e-3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    r"""The zero of ``test(y, t, DH)`` on the segment :math:`s \in [0, s_{end}]` from ``y`` along ``t``.

    Illinois regula falsi on the arclength :math:`s`; every trial point is corrected onto the curve within the
    hyperplane :math:`t^\top(Y - y) = s`, starting from the chord between the two corrected ends of the bracket
    (from :math:`y + s t` until both ends are known).  Returns the point, its tangent, ``DH`` and whether it
    converged, which is when

    * the bracket is shorter than ``rtol * (1 + |y|)``, or the test value is exactly zero; or
    * the corrector fails inside the bracket (at the regula-falsi point and at the midpoint) while the test
      function at both corrected ends of the bracket has fallen below ``ftol_singular`` times its larger value
      at the ends of the segment, :math:`\max(|f_0|, |f_1|)`.  This is the case at a branch point: there the
      corrector's matrix :math:`\begin{pmatrix} DH \\ t^\top\end{pmatrix}` is singular (a second branch
      crosses), so Newton's method cannot correct points close to it to its tolerance (its conditioning worsens
      as the inverse distance), although the regula falsi has already closed in on the zero.  The answer is then the zero of the
      quadratic through the test values at the two ends and the latest other corrected point (inverse quadratic
      interpolation in :math:`s`; the chord's linear zero if that falls outside the bracket), the point and
      tangent interpolated through the same corrected points, and ``DH`` evaluated there.  The same answer is
      given if ``max_iter`` runs out with the ends that close to the zero.
    """
    scale = 1.0 + float(np.max(np.abs(y)))
    f_scale = max(abs(float(f0)), abs(float(f1)))
    # the bracket [a, b] with its test values (Illinois-scaled fa, fb for the trial points, the true values
    # fa0, fb0) and its corrected ends (point, tangent); the end at s_end is not corrected yet
    a, fa, fa0, b, fb, fb0 = 0.0, float(f0), float(f0), float(s_end), float(f1), float(f1)
    end_a: tuple[np.ndarray, np.ndarray] | None = (y, t)
    end_b: tuple[np.ndarray, np.ndarray] | None = None
    side = 0
    best = (y, t, None)

    def trial(s: float):
        if end_a is not None and end_b is not None and b != a:
            w = (s - a) / (b - a)
            y_pred = (1.0 - w) * end_a[0] + w * end_b[0]
        else:
            y_pred = y + s * t
        return curve.correct(y_pred, t, float(t @ y) + s, t, state)

    history: list[tuple[float, float, np.ndarray, np.ndarray]] = [(0.0, float(f0), y, t)]  # corrected points

    def near_zero() -> tuple[np.ndarray, np.ndarray, np.ndarray, bool] | None:
        """The interpolated zero that the corrector cannot reach (see the docstring), if it applies."""
        if end_a is None or end_b is None or not max(abs(fa0), abs(fb0)) <= ftol_singular * f_scale:
            return None
        nodes = [(a, fa0, *end_a), (b, fb0, *end_b)]
        third = [h for h in history[::-1] if h[0] not in (a, b) and h[1] not in (fa0, fb0)]
        s_star = a + fa0 / (fa0 - fb0) * (b - a) if fa0 != fb0 else 0.5 * (a + b)
        if third:
            q = nodes + [third[0]]
            sq = sum(q[i][0] * np.prod([q[j][1] / (q[j][1] - q[i][1]) for j in range(3) if j != i])
                     for i in range(3))
            if min(a, b) < sq < max(a, b):
                nodes, s_star = q, float(sq)
        weights = [np.prod([(s_star - nodes[j][0]) / (nodes[i][0] - nodes[j][0])
                            for j in range(len(nodes)) if j != i]) for i in range(len(nodes))]
        ys = sum(w * nd[2] for w, nd in zip(weights, nodes))
        ts = sum(w * nd[3] for w, nd in zip(weights, nodes))
        _, DH = curve.residual(ys, state)
        return ys, ts / np.linalg.norm(ts), DH, True

    for _ in range(max_iter):
        s = (a * fb - b * fa) / (fb - fa) if fb != fa else 0.5 * (a + b)
        if not (min(a, b) < s < max(a, b)):
            s = 0.5 * (a + b)
        yc, ok, _, DH, tc = trial(s)
        if not ok:
            s = 0.5 * (a + b)
            yc, ok, _, DH, tc = trial(s)
            if not ok:
                est = near_zero()
                return est if est is not None else (best[0], best[1], best[2], False)
        f = float(test(yc, tc, DH))
        best = (yc, tc, DH)
        history.append((s, f, yc, tc))
        if f == 0.0:
            return yc, tc, DH, True
        if np.sign(f) == np.sign(fa):
            a, fa, fa0, end_a = s, f, f, (yc, tc)
            if side == -1:
                fb *= 0.5
            side = -1
        else:
            b, fb, fb0, end_b = s, f, f, (yc, tc)
            if side == 1:
                fa *= 0.5
            side = 1
        if abs(b - a) <= rtol * scale:
            return yc, tc, DH, True
    est = near_zero()
    return est if est is not None else (best[0], best[1], best[2], False)
