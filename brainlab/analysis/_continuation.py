"""Continuation of equilibria in one parameter, with detection and location of bifurcation points."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ._arclength import AbstractCurve, StepOptions, Trace, locate_zero, trace_curve
from ._bordered import best_pair, fold_borders, fold_system, hopf_borders, hopf_system
from ._branch import Branch, Codim2Branch, SpecialPoint
from ._codim2 import fold_curve, hopf_curve, hopf_vectors
from ._newton import newton, newton_batch
from ._normal_forms import first_lyapunov, fold_coefficient
from ._system import System, as_system

if TYPE_CHECKING:
    from ._periodic import CycleBranch

__all__ = ["Continuation"]


class EquilibriumCurve(AbstractCurve):
    """The curve :math:`F(x, p) = 0` in ``y = (x, p_k)`` (the other parameters fixed at ``p``)."""

    def __init__(self, system: System, p: np.ndarray, k: int) -> None:
        self.system, self.p, self.k = system, np.asarray(p, np.float64), int(k)

    def params_at(self, y: np.ndarray) -> np.ndarray:
        pp = self.p.copy()
        pp[self.k] = y[self.system.n]
        return pp

    def residual(self, y: np.ndarray, state: Any) -> tuple[np.ndarray, np.ndarray]:
        n = self.system.n
        F, Fx, Fp = self.system.derivatives(y[:n], self.params_at(y))
        return F, np.hstack([Fx, Fp[:, [self.k]]])


# ---------------------------------------------------------------------------------------------- test functions
def hopf_test_value(eig: np.ndarray) -> float:
    r"""The Hopf test function :math:`\prod_{i<j} (\lambda_i+\lambda_j)/(|\lambda_i|+|\lambda_j|)`.

    Up to a positive factor this is the determinant of the bialternate product :math:`2J \odot I`; it
    changes sign where a complex pair crosses the imaginary axis (Hopf) or two real eigenvalues sum to zero
    (neutral saddle).
    """
    lam = np.asarray(eig)
    if lam.size < 2:
        return 1.0
    i, j = np.triu_indices(lam.size, 1)
    w = np.abs(lam[i]) + np.abs(lam[j])
    return float(np.real(np.prod((lam[i] + lam[j]) / np.where(w > 0, w, 1.0))))


def critical_pair(eig: np.ndarray) -> tuple[int, int]:
    """The pair of eigenvalues whose sum is relatively closest to zero."""
    lam = np.asarray(eig)
    i, j = np.triu_indices(lam.size, 1)
    w = np.abs(lam[i]) + np.abs(lam[j])
    r = np.abs(lam[i] + lam[j]) / np.where(w > 0, w, 1.0)
    m = int(np.argmin(r))
    return int(i[m]), int(j[m])


def fold_vectors(J: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Right and left null vectors of a (nearly) singular ``J`` from the bordered system."""
    n = J.shape[0]
    b, c = fold_borders(J)
    A = np.block([[J, b[:, None]], [c[None, :], np.zeros((1, 1))]])
    e = np.zeros(n + 1)
    e[n] = 1.0
    return np.linalg.solve(A, e)[:n], np.linalg.solve(A.T, e)[:n]


def locate_fold_point(system: System, p: np.ndarray, ks: list[int], guess: np.ndarray) -> tuple[np.ndarray, bool]:
    """Newton on the minimally augmented fold system in ``(x, p_ks)`` (square when ``len(ks) == 1``)."""
    n = system.n
    pp = p.copy()
    pp[ks] = guess[n:]
    borders = fold_borders(system.jacobian(guess[:n], pp))
    res = newton(lambda z: fold_system(system, p, ks, z, borders)[:2], guess, max_iter=40, xtol=1e-14, ftol=1e-9)
    return res.y, res.converged


def locate_hopf_point(system: System, p: np.ndarray, ks: list[int], guess: np.ndarray) -> tuple[np.ndarray, bool]:
    """Newton on the minimally augmented Hopf system in ``(x, p_ks, kappa)`` from an equilibrium guess."""
    n = system.n
    pp = p.copy()
    pp[ks] = guess[n:]
    J = system.jacobian(guess[:n], pp)
    eig = np.linalg.eigvals(J)
    i, j = critical_pair(eig)
    kappa0 = float(np.real(eig[i] * eig[j]))
    borders = hopf_borders(J, kappa0)
    Z0 = np.append(guess, kappa0)
    _, DH_all, _ = hopf_system(system, p, ks, Z0, borders, None)
    pair = best_pair(DH_all, n)
    res = newton(lambda z: hopf_system(system, p, ks, z, borders, pair)[:2], Z0, max_iter=40, xtol=1e-14,
                 ftol=1e-9)
    return res.y, res.converged


def hopf_info(system: System, x: np.ndarray, pp: np.ndarray, kappa: float) -> dict[str, Any]:
    """Frequency, eigenvectors and first Lyapunov coefficient at a Hopf point (or a neutral-saddle record)."""
    J = system.jacobian(x, pp)
    eig = np.linalg.eigvals(J)
    i, j = critical_pair(eig)
    if kappa > 0 and abs(eig[i].imag) > 0:
        omega = float(np.sqrt(kappa))
        q, pv = hopf_vectors(J, omega)
        l1 = first_lyapunov(system, x, pp, J, omega, q, pv)
        return {"kind": "hopf", "omega": omega, "l1": l1, "q": q, "pv": pv, "kappa": kappa}
    return {"kind": "neutral_saddle", "kappa": kappa}


# ---------------------------------------------------------------------------------------------- the API
class Continuation:
    r"""Pseudo-arclength continuation of equilibria :math:`F(x, p) = 0` in one parameter.

    Main arguments:
        system: a function ``f(v, w, I=0.5, ...)`` (positional arguments: variables; keyword arguments:
            parameters), a brainlab model (``bl.neurons.HH(1)``: its variables and every declared parameter,
            ``I_ext`` included), or a :class:`System`.
        param: the parameter to vary, e.g. ``'I'`` or a model's ``'I_ext'`` (µA/cm² for conductance-based models).
        bounds: ``(low, high)``: the continuation stops exactly on these parameter values.

    Other arguments:
        step, max_step, min_step: first, largest and smallest arclength step (in the units of the unknowns
            :math:`(x, p)` together).  Defaults: 1/500, 1/50 and :math:`10^{-9}` of the parameter range.
        max_points: the most points per direction.

    Along the branch, eigenvalues give the stability, and three test functions are watched:
    fold :math:`\psi_{LP} = t_p` (the parameter component of the tangent), Hopf
    :math:`\psi_H = \prod_{i<j}(\lambda_i+\lambda_j)` (the bialternate-product determinant, rescaled), branch
    point :math:`\psi_{BP} = \det\begin{pmatrix}F_x & F_p\\ t^\top\end{pmatrix}`.  A sign change is located
    precisely, to about :math:`10^{-12}` (relative), by regula falsi (Illinois) in the arclength with every trial
    point corrected onto the branch; should that fail, folds and Hopf points fall back to Newton's method on
    minimally augmented defining systems (see :mod:`brainlab.analysis._bordered`, also used for two-parameter
    curves).  A zero of :math:`\psi_H` with real eigenvalues :math:`\pm\lambda` is reported
    as ``'neutral_saddle'``, never as a Hopf point.  At each Hopf point the first Lyapunov coefficient
    :math:`l_1` is computed from exact derivatives (automatic differentiation).

    From a branch, :meth:`limit_cycles` continues the cycles born at a Hopf point, and :meth:`fold_curve` /
    :meth:`hopf_curve` follow a fold or Hopf point in two parameters.

    Example:
        >>> def fhn(v, w, I=0.5, a=0.7, b=0.8, tau=12.5):
        ...     return v - v**3 / 3 - w + I, (v + a - b * w) / tau
        >>> cont = Continuation(fhn, param='I', bounds=(0., 2.))
        >>> branch = cont.equilibria(start={'v': -1.2, 'w': -0.62}, params={'I': 0.})
        >>> [(sp.kind, round(sp.params['I'], 6)) for sp in branch.special_points]
        [('hopf', 0.331281), ('hopf', 1.418719)]

    With a model no start is needed (its resting state), e.g. ``Continuation(bl.neurons.HH(1), 'I_ext',
    (0, 200)).equilibria()`` finds the Hopf points at 9.78 and 154.5 µA/cm².

    Limits: two special points closer than one continuation step can cancel (test functions change sign
    twice) and be missed; lower ``max_step`` to resolve them.  The vector field must be smooth (twice
    differentiable for folds, three times for Lyapunov coefficients).  For integrate-and-fire models (LIF, ExpIF,
    AdEx, QIF, Izhikevich) it is the subthreshold field: threshold and reset are not part of it, and a branch that
    runs past the threshold says so in :attr:`Branch.message`.
    """

    def __init__(
        self,
        system: Any,
        param: str,
        bounds: tuple[float, float],
        *,
        step: float | None = None,
        max_step: float | None = None,
        min_step: float | None = None,
        max_points: int = 2000,
    ) -> None:
        self.system: System = as_system(system)
        self.param = param
        self._k = self.system.param_index(param, who="Continuation", arg="param")
        name = self.system.name
        try:
            lo, hi = (float(b) for b in bounds)
        except (TypeError, ValueError):
            raise ValueError(
                f"Continuation: bounds must be a pair (low, high) of {name}'s parameter {param!r}, got "
                f"bounds={bounds!r}; e.g. bounds=(0.0, 10.0)."
            ) from None
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError(f"Continuation: bounds=({lo}, {hi}) of {name}'s parameter {param!r} must be finite.")
        if lo > hi:
            raise ValueError(
                f"Continuation: bounds=({lo:g}, {hi:g}) of {name}'s parameter {param!r} are reversed; pass them "
                f"as (low, high): bounds=({hi:g}, {lo:g}). (Use direction='backward' in equilibria() to start "
                "towards lower values.)"
            )
        if lo == hi:
            raise ValueError(
                f"Continuation: bounds=({lo:g}, {hi:g}) of {name}'s parameter {param!r} are an empty interval; "
                "pass low < high."
            )
        self.bounds = (lo, hi)
        width = hi - lo
        self._opts = StepOptions(
            h0=float(step) if step else width / 500,
            h_min=float(min_step) if min_step else 1e-9 * width,
            h_max=float(max_step) if max_step else width / 50,
            max_points=int(max_points),
        )

    # ---------------------------------------------------------------- starting point
    def _equilibria_from(self, seeds: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sys_ = self.system
        return newton_batch(lambda X: sys_.derivatives_batch(X, p), lambda X: sys_.evaluate(X, p), seeds)[:2]

    def _start_state(self, start: Any, p: np.ndarray, search: Mapping[str, tuple[float, float]] | None) -> np.ndarray:
        sys_ = self.system
        who = "Continuation.equilibria"
        if start is None and sys_.initial_state is not None:
            x0 = sys_.state_vector(sys_.initial_state, who=who, arg="the initial state")
        elif start is None:
            return self._search(p, search)
        elif isinstance(start, SpecialPoint):
            x0 = np.asarray(start.x, np.float64)
        else:
            x0 = sys_.state_vector(start, fill=sys_.initial_state, who=who)
        res = newton(lambda x: sys_.derivatives(x, p)[:2], x0, max_iter=40, ftol=1e-9)
        if res.converged:
            return self._resting(res.y, x0, p) if start is None else res.y
        xs, ok = self._equilibria_from(x0[None], p)  # damped Newton, for starts further away
        if ok[0] and start is None:
            return self._resting(xs[0], x0, p)
        if not ok[0]:
            if start is None:
                state = ", ".join(f"{k}={v:.6g}" for k, v in sys_.state_dict(x0).items())
                raise ValueError(
                    f"{who}: Newton's method found no resting state of {sys_.name} near its initial state ({state}) "
                    f"at {self.param}={p[self._k]:g}: the model may have no equilibrium there (it may fire on its "
                    f"own). Start where it rests, e.g. params={{{self.param!r}: ...}} with another value inside "
                    "bounds, or pass start={...} near an equilibrium (from PhasePlane.fixed_points() or the end of a "
                    "long simulation)."
                )
            raise ValueError(
                f"{who}: Newton's method found no equilibrium of {sys_.name} near start="
                f"{sys_.state_dict(x0)} at {self.param}={p[self._k]:g}; give a start closer to an equilibrium "
                "(e.g. from PhasePlane.fixed_points() or the end of a long simulation)."
            )
        return xs[0]

    def _resting(self, x: np.ndarray, x0: np.ndarray, p: np.ndarray) -> np.ndarray:
        """The resting state: ``x`` (Newton's answer from the initial state ``x0``) if it is stable, else the stable
        equilibrium nearest to ``x0`` found by damped Newton from 64 seeds around ``x0`` (``x`` if there is none)."""
        sys_ = self.system
        if np.all(np.linalg.eigvals(sys_.jacobian(x, p)).real < 0):
            return x
        scale = 0.3 * np.abs(x0) + 0.1
        seeds = x0 + np.random.default_rng(0).uniform(-1.0, 1.0, (64, sys_.n)) * scale
        xs, ok = self._equilibria_from(seeds, p)
        stable = [y for y in xs[ok] if np.all(np.linalg.eigvals(sys_.jacobian(y, p)).real < 0)]
        if not stable:
            return x
        return min(stable, key=lambda y: float(np.max(np.abs(y - x0) / scale)))

    def _search(self, p: np.ndarray, search: Mapping[str, tuple[float, float]] | None) -> np.ndarray:
        sys_ = self.system
        box = {nm: (-10.0, 10.0) for nm in sys_.variable_names}
        for key, win in (search or {}).items():
            sys_.variable_index(key, who="Continuation.equilibria(search=...)")
            box[key] = (float(win[0]), float(win[1]))
        lo = np.array([box[nm][0] for nm in sys_.variable_names])
        hi = np.array([box[nm][1] for nm in sys_.variable_names])
        seeds = lo + np.random.default_rng(0).random((256, sys_.n)) * (hi - lo)
        xs, ok = self._equilibria_from(seeds, p)
        inside = np.all((xs >= lo) & (xs <= hi), axis=1)
        found = xs[ok & inside]
        if found.size == 0:
            raise ValueError(
                f"Continuation.equilibria: no equilibrium of {sys_.name} found in the search box {box} at "
                f"{self.param}={p[self._k]:g}; pass start={{...}} or a search={{variable: (low, high)}} box."
            )
        stable = [x for x in found if np.all(np.linalg.eigvals(sys_.jacobian(x, p)).real < 0)]
        pool = np.asarray(stable) if stable else found
        return pool[np.lexsort(pool.T[::-1])][0]

    # ---------------------------------------------------------------- equilibria
    def equilibria(
        self,
        start: Mapping[str, float] | np.ndarray | SpecialPoint | None = None,
        params: Mapping[str, float] | None = None,
        *,
        direction: str = "both",
        search: Mapping[str, tuple[float, float]] | None = None,
    ) -> Branch:
        """Continue a branch of equilibria through ``start``.

        Args:
            start: an approximate equilibrium ``{variable: value}`` (missing variables come from the model's
                initial state), or a special point of another branch; a ``'branch_point'`` starts the *other*
                branch through it (branch switching).  ``None``: the model's resting state (Newton from
                ``initial_state()``; should that equilibrium be unstable, the stable one nearest to the initial
                state), or for a plain function the stable equilibrium with the smallest first variable found from
                256 seeds in ``search``.
            params: parameter values; the continued parameter's value is where the branch starts (default:
                its default value).  It must lie within ``bounds``.
            direction: ``'both'``, ``'forward'`` (increasing parameter at the start) or ``'backward'``.
            search: the box ``{variable: (low, high)}`` searched when ``start`` is ``None`` for a plain function
                (default ``(-10, 10)`` for each variable).

        Returns:
            A :class:`Branch` with stability and located special points.
        """
        sys_ = self.system
        who = "Continuation.equilibria"
        if direction not in ("both", "forward", "backward"):
            raise ValueError(f"{who}: direction must be 'both', 'forward' or 'backward', got {direction!r}.")
        if isinstance(start, SpecialPoint) and params is None:
            params = start.params
        p = sys_.params_vector(params, who=who)
        p0 = float(p[self._k])
        lo, hi = self.bounds
        if not lo <= p0 <= hi:
            raise ValueError(
                f"{who}: the starting value {self.param}={p0:g} lies outside bounds={self.bounds}; pass "
                f"params={{{self.param!r}: value}} inside the bounds."
            )
        n = sys_.n
        if isinstance(start, SpecialPoint) and start.kind == "branch_point":
            return self._switch_branch(start, p, direction)
        x0 = self._start_state(start, p, search)
        self._check_enters(x0, p, who)
        curve = EquilibriumCurve(sys_, p, self._k)
        e_p = np.zeros(n + 1)
        e_p[n] = 1.0
        y0, ok, _, DH0, t0 = curve.correct(np.append(x0, p0), e_p, p0, e_p, None)
        if not ok:
            raise ValueError(f"{who}: could not correct the start onto an equilibrium at {self.param}={p0:g}.")
        traces: list[tuple[int, Trace]] = []
        bounds = [(n, lo, hi, self.param)]
        if direction in ("both", "backward"):
            traces.append((-1, trace_curve(curve, y0, -t0, DH0, None, self._opts, bounds)))
        if direction in ("both", "forward") and not (traces and traces[0][1].closed):
            traces.append((1, trace_curve(curve, y0, t0, DH0, None, self._opts, bounds)))
        return self._assemble(traces, p, curve)

    def _check_enters(self, x0: np.ndarray, p: np.ndarray, who: str) -> None:
        sys_ = self.system
        mask = sys_.entering(x0, p)
        if mask[self._k]:
            return
        useful = [nm for nm, m in zip(sys_.param_names, mask) if m]
        why = ""
        if sys_.reset is not None:
            why = (f" {sys_.name} is an integrate-and-fire model: threshold, reset and refractory parameters act "
                   "only at a spike, outside the (subthreshold) vector field that continuation follows.")
        raise ValueError(
            f"{who}: parameter {self.param!r} does not enter the vector field of {sys_.name} "
            f"(dF/d{self.param} = 0), so no equilibrium depends on it and the branch would be flat.{why} "
            f"Continue a parameter that enters it: {', '.join(repr(u) for u in useful) or '(none)'}."
        )

    def _switch_branch(self, bp: SpecialPoint, p: np.ndarray, direction: str) -> Branch:
        r"""The other branch through a branch point.

        At a simple branch point :math:`DH` has a two-dimensional null space spanned by the tangent
        :math:`\phi_1` of the known branch and :math:`\phi_2 \perp \phi_1`.  With the left null vector :math:`w`,
        the algebraic branching equation :math:`w^\top H''(\alpha\phi_1+\beta\phi_2)^2 = 0` has the root
        :math:`\beta = 0` (the known branch) and :math:`2b\alpha + c\beta = 0` with
        :math:`b = w^\top H''(\phi_1,\phi_2)`, :math:`c = w^\top H''(\phi_2,\phi_2)`: the other branch's tangent
        is :math:`t_2 \propto -c\phi_1 + 2b\phi_2` (Keller 1977).  :math:`H''` comes from central differences of
        :math:`DH` (it only sets the predictor).  A small step :math:`h` along :math:`\pm t_2` is corrected onto
        the curve and each side is continued away from the branch point.
        """
        sys_ = self.system
        n = sys_.n
        who = "Continuation.equilibria"
        if bp.tangent is None:
            raise ValueError(f"{who}: this branch point carries no tangent; take it from Branch.special_points.")
        curve = EquilibriumCurve(sys_, p, self._k)
        y_bp = np.append(bp.x, bp.p[self._k])
        _, DH = curve.residual(y_bp, None)
        U, _, Vt = np.linalg.svd(DH)
        null = Vt[-2:].T  # (n+1, 2): the two smallest right singular vectors span the null space
        w = U[:, -1]
        phi1 = null @ (null.T @ bp.tangent)
        phi1 /= np.linalg.norm(phi1)
        phi2 = null[:, 0] - (null[:, 0] @ phi1) * phi1
        if np.linalg.norm(phi2) < 0.5:
            phi2 = null[:, 1] - (null[:, 1] @ phi1) * phi1
        phi2 /= np.linalg.norm(phi2)
        eps = 1e-5 * (1.0 + np.max(np.abs(y_bp)))

        def second(u: np.ndarray, v: np.ndarray) -> float:
            plus = curve.residual(y_bp + eps * u, None)[1]
            minus = curve.residual(y_bp - eps * u, None)[1]
            return float(w @ ((plus - minus) @ v) / (2 * eps))

        b, c = second(phi1, phi2), second(phi2, phi2)
        d = -c * phi1 + 2 * b * phi2 if abs(b) > 1e-12 * (1 + abs(c)) else phi2
        d /= np.linalg.norm(d)
        if d[n] < 0 or (abs(d[n]) < 1e-12 and d[0] < 0):
            d = -d
        lo, hi = self.bounds
        bounds = [(n, lo, hi, self.param)]
        h = max(1e-4 * (hi - lo), 1e3 * self._opts.h_min)
        traces: list[tuple[int, Trace]] = []
        for sign in (-1, 1):
            if (direction == "forward" and sign < 0) or (direction == "backward" and sign > 0):
                continue
            t = sign * d
            # the first step halves until the corrected point stays near the predictor: the other branch may bend
            # sharply in the arclength of the unknowns (a pitchfork mu - mu_bp ~ -760 (S1 - S2)^2 in WongWang)
            for hk in h * 0.5 ** np.arange(12):
                y1, ok, _, DH1, t1_new = curve.step(y_bp, t, hk, None)
                if ok and np.linalg.norm(y1 - y_bp - hk * t) <= 0.5 * hk:
                    break
            else:
                raise ValueError(f"{who}: could not step off the branch point onto the other branch "
                                 f"({'forward' if sign > 0 else 'backward'} side).")
            tr = trace_curve(curve, y1, t1_new, DH1, None, self._opts, bounds)
            tr.ys.insert(0, y_bp), tr.ts.insert(0, t), tr.DHs.insert(0, DH), tr.states.insert(0, None)
            traces.append((sign, tr))
        return self._assemble(traces, p, curve)

    # ---------------------------------------------------------------- assembling a branch
    def _observe(self, y: np.ndarray, t: np.ndarray, DH: np.ndarray) -> dict[str, Any]:
        n = self.system.n
        eig = np.linalg.eigvals(DH[:, :n])
        return {
            "eig": eig,
            "fold": float(t[n]),
            "hopf": hopf_test_value(eig),
            "bp": float(np.linalg.det(np.vstack([DH, t]))),
        }

    def _assemble(self, traces: list[tuple[int, Trace]], p: np.ndarray, curve: EquilibriumCurve) -> Branch:
        sys_ = self.system
        n = sys_.n
        pieces = []
        messages = []
        for sign, tr in traces:
            messages.append(("forward: " if sign > 0 else "backward: ") + tr.message)
            obs = [self._observe(y, t, DH) for y, t, DH in zip(tr.ys, tr.ts, tr.DHs)]
            rows: list[tuple[np.ndarray, np.ndarray, dict | None]] = []
            for i in range(len(tr.ys)):
                rows.append((tr.ys[i], obs[i]["eig"], None))
                if i + 1 < len(tr.ys):
                    rows.extend(self._locate_segment(tr, obs, i, sign, curve))
            pieces.append((sign, rows))
        ordered: list[tuple[np.ndarray, np.ndarray, dict | None]] = []
        for sign, rows in pieces:
            if sign < 0:
                ordered.extend(rows[::-1])
            else:
                ordered.extend(rows[1:] if ordered else rows)
        ys = np.asarray([r[0] for r in ordered])
        eigs = np.asarray([r[1] for r in ordered])
        specials = [
            self._special_point(info, idx, y, eig, p) for idx, (y, eig, info) in enumerate(ordered) if info is not None
        ]
        if sys_.reset is not None:
            var, thr, value = sys_.reset
            if np.any(ys[:, sys_.variable_index(var)] >= value):
                messages.append(f"note: part of the branch lies at {var} >= {thr} = {value:g}, where "
                                f"{sys_.name} spikes and resets; those equilibria are never reached in a simulation "
                                "(the analysis follows the subthreshold vector field)")
        return Branch(
            system=sys_,
            param=self.param,
            variable_names=sys_.variable_names,
            params=ys[:, n].copy(),
            states=ys[:, :n].copy(),
            eigenvalues=eigs,
            stable=np.all(eigs.real < 0, axis=1),
            special_points=tuple(specials),
            fixed_params=sys_.params_dict(p),
            message="; ".join(messages),
            bounds=self.bounds,
            continuation=self,
        )

    def _special_point(self, info: dict, idx: int, y: np.ndarray, eig: np.ndarray, p: np.ndarray) -> SpecialPoint:
        sys_ = self.system
        n = sys_.n
        pp = p.copy()
        pp[self._k] = y[n]
        return SpecialPoint(
            kind=info["kind"], index=idx, params=sys_.params_dict(pp), state=sys_.state_dict(y[:n]),
            x=y[:n].copy(), p=pp, eigenvalues=eig, omega=info.get("omega"), l1=info.get("l1"),
            eigenvector=info.get("q"), adjoint_eigenvector=info.get("pv"), a=info.get("a"),
            kappa=info.get("kappa"), tangent=info.get("tangent"),
        )

    def _locate_segment(self, tr: Trace, obs: list[dict], i: int, sign: int, curve: EquilibriumCurve) -> list:
        """Special points between points i and i+1 of a trace: ``[(y, eig, info), ...]`` in arclength order."""
        y0, y1, t0 = tr.ys[i], tr.ys[i + 1], tr.ts[i]
        o0, o1 = obs[i], obs[i + 1]
        s_end = float(t0 @ (y1 - y0))
        n = self.system.n
        found: list[tuple[float, np.ndarray, np.ndarray, dict]] = []
        if o0["bp"] * o1["bp"] < 0:
            y, t, DH, ok = locate_zero(curve, y0, t0, s_end, o0["bp"], o1["bp"],
                                       lambda y_, t_, DH_: np.linalg.det(np.vstack([DH_, t_])), None)
            if ok:
                info = {"kind": "branch_point", "tangent": sign * t}
                found.append((float(t0 @ (y - y0)), y, np.linalg.eigvals(DH[:, :n]), info))
        elif o0["fold"] * o1["fold"] < 0:
            res = self._locate_fold(curve, y0, y1, t0, s_end, o0["fold"], o1["fold"], sign)
            if res is not None:
                found.append(res)
        if n >= 2 and o0["hopf"] * o1["hopf"] < 0:
            res = self._locate_hopf(curve, y0, y1, t0, s_end, o0["hopf"], o1["hopf"])
            if res is not None:
                found.append(res)
        found.sort(key=lambda r: r[0])
        return [(y, eig, info) for _, y, eig, info in found]

    @staticmethod
    def _in_segment(y: np.ndarray, y0: np.ndarray, t0: np.ndarray, s_end: float, y1: np.ndarray) -> bool:
        s = float(t0 @ (y - y0))
        tol = 1e-6 * max(abs(s_end), 1e-12)
        return -tol <= s <= s_end + tol and np.linalg.norm(y - y0) <= 1.5 * np.linalg.norm(y1 - y0) + 1e-12

    def _locate_fold(self, curve, y0, y1, t0, s_end, f0, f1, sign):
        sys_ = self.system
        n, k, p = sys_.n, self._k, curve.p
        # The zero of the fold test function t_p on the segment, by regula falsi in the arclength with every trial
        # point corrected onto the branch: p(s) is extremal there, so the fold's parameter comes out to rounding
        # error.  Newton's method on the minimally augmented fold system is the fallback.
        Z, _, _, ok = locate_zero(curve, y0, t0, s_end, f0, f1, lambda y_, t_, DH_: t_[n], None)
        if not (ok and self._in_segment(Z, y0, t0, s_end, y1)):
            guess = y0 + f0 / (f0 - f1) * (y1 - y0)
            Z, ok = locate_fold_point(sys_, p, [k], guess)
            ok = ok and self._in_segment(Z, y0, t0, s_end, y1)
        if not ok:
            return None
        pp = curve.params_at(Z)
        J = sys_.jacobian(Z[:n], pp)
        v, w = fold_vectors(J)
        q = v / np.linalg.norm(v)
        if float(q @ (sign * t0[:n])) < 0:
            q = -q
        pv = w / float(w @ q)
        info = {"kind": "fold", "q": q, "pv": pv, "a": fold_coefficient(sys_, Z[:n], pp, q, pv)}
        return (float(t0 @ (Z - y0)), Z, np.linalg.eigvals(J), info)

    def _locate_hopf(self, curve, y0, y1, t0, s_end, f0, f1):
        sys_ = self.system
        n, k, p = sys_.n, self._k, curve.p

        def genuine(Z: np.ndarray) -> np.ndarray | None:
            """The eigenvalues at ``Z`` if a pair there sums to zero (a Hopf point or a neutral saddle)."""
            eig = np.linalg.eigvals(sys_.jacobian(Z[:n], curve.params_at(Z[: n + 1])))
            i, j = critical_pair(eig)
            return eig if abs(eig[i] + eig[j]) <= 1e-6 * max(float(np.max(np.abs(eig))), 1e-300) else None

        # First the zero of the Hopf test function on the segment (regula falsi in the arclength, every trial point
        # corrected onto the branch), then kappa = omega^2 from the critical pair there; Newton's method on the
        # minimally augmented Hopf system is the fallback.
        test = lambda y_, t_, DH_: hopf_test_value(np.linalg.eigvals(DH_[:, :n]))  # noqa: E731
        yz, _, DHz, okz = locate_zero(curve, y0, t0, s_end, f0, f1, test, None)
        eig = genuine(yz) if okz and DHz is not None else None
        if eig is not None:
            i, j = critical_pair(eig)
            Z = np.append(yz, float(np.real(eig[i] * eig[j])))
        else:
            guess = y0 + f0 / (f0 - f1) * (y1 - y0)
            Z, ok = locate_hopf_point(sys_, p, [k], guess)
            eig = genuine(Z) if ok and self._in_segment(Z[: n + 1], y0, t0, s_end, y1) else None
            if eig is None:
                return None
        y = Z[: n + 1]
        info = hopf_info(sys_, y[:n], curve.params_at(y), float(Z[n + 1]))
        return (float(t0 @ (y - y0)), y, eig, info)

    # ---------------------------------------------------------------- limit cycles
    def cycle_field(self, p: Any) -> Any:
        """``F(x, value)``: the vector field as a function of the state and the continued parameter alone, the
        other parameters fixed at ``p`` (a vector in ``system.param_names`` order).  Pure JAX; one function object
        per set of fixed values, so the compiled collocation kernels built on it are reused."""
        sys_, k = self.system, self._k
        p = np.asarray(p, np.float64)
        rest = tuple(float(v) for v in np.delete(p, k))

        def build() -> Any:
            import jax.numpy as jnp

            base = np.asarray(p, np.float64)

            def F(x: Any, value: Any) -> Any:
                return sys_.F(x, jnp.asarray(base).at[k].set(value))

            return F

        return sys_.compiled(("cycle_field", k, rest), build)

    def limit_cycles(
        self,
        point: SpecialPoint,
        *,
        max_steps: int = 300,
        ntst: int = 40,
        ncol: int = 4,
        ds: float = 0.05,
        ds_max: float | None = None,
        amplitude0: float = 1e-3,
        max_period: float | None = None,
        detect: bool = True,
    ) -> CycleBranch:
        r"""The branch of limit cycles born at a Hopf point, continued in ``self.param`` within ``bounds``.

        Main arguments:
            point: a Hopf point, e.g. ``branch.special('hopf')[0]`` of a branch computed by :meth:`equilibria`.
            max_steps: the most continuation steps (each one a periodic orbit).

        Other arguments (see :func:`~brainlab.analysis.continue_cycles_from_hopf`):
            ntst, ncol: mesh intervals and collocation points per interval (more for stiff, relaxation cycles).
            ds, ds_max: first and largest arclength step, in the norm that adds the RMS of the orbit (state
                units), the period (ms) and the parameter; ``ds_max`` defaults to the larger of 0.5 and 1/50 of
                the width of ``bounds``.
            amplitude0: RMS size of the first, small cycle next to the Hopf point.
            max_period: stop above this period (default: 100 Hopf periods, the approach to a homoclinic orbit).
            detect: locate folds of cycles (``'fold_cycle'``), period doublings and tori (Neimark-Sacker).

        Returns:
            A :class:`~brainlab.analysis.CycleBranch`: for every cycle the parameter, period (ms), maximum and
            minimum of every variable, Floquet multipliers and stability, and the located bifurcations of cycles.
            Overlay it on the equilibria with ``branch.plot(cycles=[cycles])``.

        Example:
            >>> def fhn(v, w, I=0.5, a=0.7, b=0.8, tau=12.5):
            ...     return v - v**3 / 3 - w + I, (v + a - b * w) / tau
            >>> cont = Continuation(fhn, param='I', bounds=(0., 2.))
            >>> hopf = cont.equilibria(start={'v': -1.2, 'w': -0.62}, params={'I': 0.}).special('hopf')[0]
            >>> cycles = cont.limit_cycles(hopf, max_steps=40)
            >>> round(float(cycles.periods[0] * hopf.omega / (2 * np.pi)), 3)   # born with the Hopf period 2 pi/omega
            1.0

        Limits: the branch grows from the Hopf point on the side set by the first Lyapunov coefficient, and ends at
        ``bounds``, after ``max_steps``, at a second Hopf point (``stop_reason='equilibrium'``) or near a
        homoclinic orbit (the period diverges).  Cycles of an integrate-and-fire model's subthreshold field are not
        its spiking (reset) cycles.
        """
        from ._periodic import continue_cycles_from_hopf

        sys_ = self.system
        who = "Continuation.limit_cycles"
        if not isinstance(point, SpecialPoint) or point.kind != "hopf":
            kind = getattr(point, "kind", type(point).__name__)
            raise ValueError(
                f"{who}: limit cycles are born at Hopf points; got a {kind!r} point. Pass a Hopf point of a branch of "
                f"{sys_.name}, e.g. branch.special('hopf')[0]."
            )
        if np.shape(point.x) != (sys_.n,) or np.shape(point.p) != (len(sys_.param_names),):
            raise ValueError(
                f"{who}: this Hopf point does not belong to {sys_.name} (its state has {np.size(point.x)} entries, "
                f"{sys_.name} has {sys_.n}: {sys_.variable_names}); pass a point from Continuation({sys_.name}, ...)."
            )
        value = float(point.p[self._k])
        lo, hi = self.bounds
        if not lo <= value <= hi:
            raise ValueError(
                f"{who}: the Hopf point lies at {self.param}={value:g}, outside bounds={self.bounds}; widen the bounds "
                "of this Continuation."
            )
        if ds_max is None:
            ds_max = max(0.5, (hi - lo) / 50.0, float(ds))
        return continue_cycles_from_hopf(
            self.cycle_field(point.p), value, point.x, point.omega, point.eigenvector, p_bounds=self.bounds,
            ntst=ntst, ncol=ncol, max_steps=max_steps, ds=ds, ds_max=ds_max, amplitude0=amplitude0,
            max_period=max_period, detect=detect, param_name=self.param, variable_names=sys_.variable_names,
        )

    # ---------------------------------------------------------------- two-parameter curves
    def fold_curve(
        self,
        point: SpecialPoint,
        param2: str,
        bounds2: tuple[float, float],
        *,
        direction: str = "both",
        max_step: float | None = None,
        max_points: int = 2000,
    ) -> Codim2Branch:
        """Continue a fold point in (``self.param``, ``param2``), detecting cusp and Bogdanov-Takens points.

        See :func:`brainlab.analysis._codim2.fold_curve` for the defining system and test functions.

        Example:
            >>> def fhn(v, w, I=0.5, a=0.7, b=0.8, tau=12.5):
            ...     return v - v**3 / 3 - w + I, (v + a - b * w) / tau
            >>> cont = Continuation(fhn, 'I', (-1., 3.))
            >>> branch = cont.equilibria(start={'v': -1.5, 'w': -0.4}, params={'I': 0., 'b': 2.})
            >>> curve = cont.fold_curve(branch.special('fold')[0], 'b', (0.5, 5.))
            >>> [(sp.label, round(sp.params['b'], 6)) for sp in curve.special_points]
            [('BT', 3.535534), ('CP', 1.0), ('BT', 3.535534)]
        """
        return fold_curve(self, point, param2, bounds2, direction=direction, max_step=max_step,
                          max_points=max_points)

    def hopf_curve(
        self,
        point: SpecialPoint,
        param2: str,
        bounds2: tuple[float, float],
        *,
        direction: str = "both",
        max_step: float | None = None,
        max_points: int = 2000,
    ) -> Codim2Branch:
        """Continue a Hopf point in (``self.param``, ``param2``), detecting BT, generalized Hopf and zero-Hopf.

        See :func:`brainlab.analysis._codim2.hopf_curve` for the defining system and test functions.

        Example:
            >>> def fhn(v, w, I=0.5, a=0.7, b=0.8, tau=12.5):
            ...     return v - v**3 / 3 - w + I, (v + a - b * w) / tau
            >>> cont = Continuation(fhn, 'I', (-1., 3.))
            >>> hopf = cont.equilibria(start={'v': -1.2, 'w': -0.62}, params={'I': 0.}).special('hopf')[0]
            >>> curve = cont.hopf_curve(hopf, 'b', (0.1, 5.))
            >>> [(sp.label, round(sp.params['b'], 6)) for sp in curve.special_points]
            [('GH', 0.510421), ('BT', 3.535534)]
        """
        return hopf_curve(self, point, param2, bounds2, direction=direction, max_step=max_step,
                          max_points=max_points)

    def __repr__(self) -> str:
        return f"Continuation({self.system.name}, param={self.param!r}, bounds={self.bounds})"
