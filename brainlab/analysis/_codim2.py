r"""Two-parameter continuation of fold and Hopf curves, with codimension-two points.

Fold curve: :math:`y = (x, p_1, p_2)`, :math:`H = (F, g)` with the bordered fold function :math:`g`.
Along it, with the bordered null vectors :math:`v` (right) and :math:`w` (left), normalised:

- cusp (CP): :math:`\psi_{CP} = w^\top B(v, v)` vanishes (the quadratic normal-form coefficient of the fold);
- Bogdanov-Takens (BT): :math:`\psi_{BT} = w^\top v` vanishes (the zero eigenvalue becomes double, with a
  Jordan block, so the left and right null vectors become orthogonal).

Hopf curve: :math:`y = (x, p_1, p_2, \kappa)`, :math:`H = (F, G_{e_1}, G_{e_2})` with the bordered Hopf matrix
:math:`G` of :math:`J^2 + \kappa I`:

- Bogdanov-Takens: :math:`\kappa = \omega^2 \to 0`; past it the curve continues as a neutral-saddle curve
  (:math:`\kappa<0`);
- generalized Hopf / Bautin (GH): the first Lyapunov coefficient :math:`l_1` vanishes (:math:`\kappa>0`);
- zero-Hopf (ZH): :math:`\det J` changes sign while :math:`\kappa>0` (a real eigenvalue crosses zero).

Each zero is located by regula falsi on the arclength, every trial point corrected onto the curve, to about
:math:`10^{-12}` relative.  References: Kuznetsov (2004), ch. 8; Govaerts (2000); MatCont (Dhooge et al. 2003).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._arclength import AbstractCurve, StepOptions, Trace, locate_zero, trace_curve
from ._bordered import best_pair, fold_borders, fold_system, hopf_borders, hopf_system
from ._branch import Codim2Branch, SpecialPoint
from ._normal_forms import first_lyapunov

__all__ = ["fold_curve", "hopf_curve", "FoldCurve", "HopfCurve", "hopf_vectors"]


def hopf_vectors(J: np.ndarray, omega: float) -> tuple[np.ndarray, np.ndarray]:
    r"""``(q, p)``: :math:`Jq = i\omega q`, :math:`J^\top p = -i\omega p`, :math:`\|q\|=1`, :math:`\bar p^\top q=1`."""
    w, V = np.linalg.eig(J)
    q = V[:, int(np.argmin(np.abs(w - 1j * omega)))]
    q = q / np.linalg.norm(q)
    wT, VT = np.linalg.eig(J.T)
    pv = VT[:, int(np.argmin(np.abs(wT + 1j * omega)))]
    pv = pv / np.conj(np.vdot(pv, q))
    return q, pv


class FoldCurve(AbstractCurve):
    """The fold curve in ``(x, p_k1, p_k2)``; the state holds the borders ``(b, c)``."""

    def __init__(self, system: Any, p: np.ndarray, ks: list[int]) -> None:
        self.system, self.p, self.ks = system, np.asarray(p, np.float64), list(ks)

    def residual(self, y: np.ndarray, state: Any) -> tuple[np.ndarray, np.ndarray]:
        return fold_system(self.system, self.p, self.ks, y, state)[:2]

    def vectors(self, y: np.ndarray, DH: np.ndarray, state: Any) -> tuple[np.ndarray, np.ndarray]:
        """Bordered right and left null vectors at ``y`` (unit length, orientation kept by the borders)."""
        n = self.system.n
        J = DH[:n, :n]
        b, c = state
        A = np.block([[J, b[:, None]], [c[None, :], np.zeros((1, 1))]])
        e = np.zeros(n + 1)
        e[n] = 1.0
        v = np.linalg.solve(A, e)[:n]
        w = np.linalg.solve(A.T, e)[:n]
        return v / np.linalg.norm(v), w / np.linalg.norm(w)

    def refresh(self, y: np.ndarray, state: Any) -> Any:
        _, DH = self.residual(y, state)
        v, w = self.vectors(y, DH, state)
        return (w, v)

    def params_at(self, y: np.ndarray) -> np.ndarray:
        pp = self.p.copy()
        pp[self.ks] = y[self.system.n : self.system.n + 2]
        return pp


class HopfCurve(AbstractCurve):
    """The Hopf curve in ``(x, p_k1, p_k2, kappa)``; the state holds ``(B, C, pair)``."""

    def __init__(self, system: Any, p: np.ndarray, ks: list[int]) -> None:
        self.system, self.p, self.ks = system, np.asarray(p, np.float64), list(ks)

    def residual(self, y: np.ndarray, state: Any) -> tuple[np.ndarray, np.ndarray]:
        B, C, pair = state
        return hopf_system(self.system, self.p, self.ks, y, (B, C), pair)[:2]

    def refresh(self, y: np.ndarray, state: Any) -> Any:
        B, C, _ = state
        _, DH_all, info = hopf_system(self.system, self.p, self.ks, y, (B, C), None)
        B_new = np.linalg.qr(info["W"])[0]
        C_new = np.linalg.qr(info["V"])[0]
        _, DH_all, _ = hopf_system(self.system, self.p, self.ks, y, (B_new, C_new), None)
        return (B_new, C_new, best_pair(DH_all, self.system.n))

    def params_at(self, y: np.ndarray) -> np.ndarray:
        pp = self.p.copy()
        pp[self.ks] = y[self.system.n : self.system.n + 2]
        return pp


def _setup(cont: Any, point: SpecialPoint, param2: str, bounds2: tuple[float, float], kinds: tuple[str, ...],
           who: str) -> tuple[list[int], np.ndarray, tuple[float, float]]:
    sys_ = cont.system
    if not isinstance(point, SpecialPoint) or point.kind not in kinds:
        got = point.kind if isinstance(point, SpecialPoint) else type(point).__name__
        raise ValueError(
            f"{who}: point must be a special point of kind {' or '.join(repr(k) for k in kinds)} from "
            f"Continuation.equilibria(...).special_points, got {got!r}."
        )
    k2 = sys_.param_index(param2, who=who, arg="param2")
    if k2 == cont._k:
        raise ValueError(f"{who}: param2 must differ from the continued parameter {cont.param!r}.")
    try:
        lo2, hi2 = (float(b) for b in bounds2)
    except (TypeError, ValueError):
        raise ValueError(f"{who}: bounds2 must be a pair (low, high) of {param2!r}, got {bounds2!r}.") from None
    p = np.asarray(point.p, np.float64).copy()
    if lo2 >= hi2:
        raise ValueError(f"{who}: bounds2=({lo2:g}, {hi2:g}) of {sys_.name}'s parameter {param2!r} must be (low, high) "
                         f"with low < high" + (f"; pass bounds2=({hi2:g}, {lo2:g})." if lo2 > hi2 else "."))
    if not lo2 <= p[k2] <= hi2:
        raise ValueError(f"{who}: {param2}={p[k2]:g} at the starting point must lie within bounds2=({lo2:g}, {hi2:g}); "
                         f"widen bounds2 to include {p[k2]:g}.")
    return [cont._k, k2], p, (lo2, hi2)


def _initial(curve: AbstractCurve, y0: np.ndarray, state: Any, n_fix: int) -> tuple:
    """Correct ``y0`` with component ``n_fix`` held fixed and orient the tangent along that component."""
    row = np.zeros_like(y0)
    row[n_fix] = 1.0
    y, ok, _, DH, t = curve.correct(y0, row, float(y0[n_fix]), row, state)
    if not ok:
        raise ValueError("could not correct the starting point onto the curve; is it a genuine special point?")
    return y, DH, t


def _trace_both(curve, y0, t0, DH0, state, opts, bounds, direction) -> list[tuple[int, Trace]]:
    traces: list[tuple[int, Trace]] = []
    if direction in ("both", "backward"):
        traces.append((-1, trace_curve(curve, y0, -t0, DH0, state, opts, bounds)))
    if direction in ("both", "forward") and not (traces and traces[0][1].closed):
        traces.append((1, trace_curve(curve, y0, t0, DH0, state, opts, bounds)))
    return traces


def _options(cont: Any, lo2: float, hi2: float, max_step: float | None, max_points: int) -> StepOptions:
    width = min(cont.bounds[1] - cont.bounds[0], hi2 - lo2)
    h_max = float(max_step) if max_step else width / 50
    return StepOptions(h0=min(h_max, width / 500), h_min=1e-9 * width, h_max=h_max, max_points=int(max_points))


def _assemble(
    cont: Any, curve: Any, kind: str, traces: list[tuple[int, Trace]],
    observe: Callable[[np.ndarray, np.ndarray, np.ndarray, Any], dict],
    locate: Callable[[Trace, list[dict], int], list],
    p: np.ndarray, ks: list[int],
) -> Codim2Branch:
    sys_ = cont.system
    n = sys_.n
    ordered: list[tuple] = []
    messages = []
    for sign, tr in traces:
        messages.append(("forward: " if sign > 0 else "backward: ") + tr.message)
        obs = [observe(y, t, DH, st) for y, t, DH, st in zip(tr.ys, tr.ts, tr.DHs, tr.states)]
        rows = []
        for i in range(len(tr.ys)):
            rows.append((tr.ys[i], obs[i], None))
            if i + 1 < len(tr.ys):
                rows.extend(locate(tr, obs, i))
        if sign < 0:
            ordered.extend(rows[::-1])
        else:
            ordered.extend(rows[1:] if ordered else rows)
    ys = np.asarray([r[0] for r in ordered])
    specials = []
    for idx, (y, ob, info) in enumerate(ordered):
        if info is None:
            continue
        pp = curve.params_at(y)
        specials.append(
            SpecialPoint(
                kind=info["kind"], index=idx, params=sys_.params_dict(pp), state=sys_.state_dict(y[:n]),
                x=y[:n].copy(), p=pp, eigenvalues=ob["eig"], omega=info.get("omega"), l1=info.get("l1"),
                eigenvector=info.get("q"), adjoint_eigenvector=info.get("pv"), kappa=info.get("kappa"),
            )
        )
    kappa = np.asarray([r[1].get("kappa", np.nan) for r in ordered])
    l1 = np.asarray([r[1].get("l1", np.nan) for r in ordered])
    return Codim2Branch(
        system=sys_,
        curve=kind,
        param_names=(sys_.param_names[ks[0]], sys_.param_names[ks[1]]),
        params=ys[:, n : n + 2].copy(),
        states=ys[:, :n].copy(),
        eigenvalues=np.asarray([r[1]["eig"] for r in ordered]),
        kappa=kappa,
        l1=l1,
        special_points=tuple(specials),
        fixed_params=sys_.params_dict(p),
        message="; ".join(messages),
    )


def _zero_on_segment(curve, tr: Trace, i: int, f0: float, f1: float, test, kind: str, extra=None):
    y0, y1, t0 = tr.ys[i], tr.ys[i + 1], tr.ts[i]
    s_end = float(t0 @ (y1 - y0))
    y, t, DH, ok = locate_zero(curve, y0, t0, s_end, f0, f1, test, tr.states[i])
    if not ok:
        return None
    info = {"kind": kind}
    if extra is not None:
        info.update(extra(y, t, DH))
    return (float(t0 @ (y - y0)), y, DH, tr.states[i], info)


# ------------------------------------------------------------------------------------------------- fold
def fold_curve(
    cont: Any,
    point: SpecialPoint,
    param2: str,
    bounds2: tuple[float, float],
    *,
    direction: str = "both",
    max_step: float | None = None,
    max_points: int = 2000,
) -> Codim2Branch:
    r"""Continue the fold ``point`` in the parameters (``cont.param``, ``param2``).

    Args:
        cont: the :class:`Continuation` whose branch contains the fold; its ``bounds`` bound the first
            parameter.
        point: a ``'fold'`` special point.
        param2: the second free parameter; ``bounds2``: its range ``(low, high)``.
        direction: ``'both'``, ``'forward'`` (``param2`` increasing at the start) or ``'backward'``.
        max_step: largest arclength step (default 1/50 of the narrower parameter range).

    Returns:
        A :class:`Codim2Branch` with cusp (``'cusp'``) and Bogdanov-Takens (``'bogdanov_takens'``) points.

    Limits: the curve is followed through cusps and BT points; zero-Hopf points on fold curves are not
    detected.
    """
    who = "Continuation.fold_curve"
    ks, p, (lo2, hi2) = _setup(cont, point, param2, bounds2, ("fold",), who)
    sys_ = cont.system
    n = sys_.n
    curve = FoldCurve(sys_, p, ks)
    y0 = np.concatenate([point.x, p[ks]])
    state = fold_borders(sys_.jacobian(point.x, p))
    y0, DH0, t0 = _initial(curve, y0, state, n + 1)
    state = curve.refresh(y0, state)
    opts = _options(cont, lo2, hi2, max_step, max_points)
    bounds = [(n, *cont.bounds, cont.param), (n + 1, lo2, hi2, param2)]
    traces = _trace_both(curve, y0, t0, DH0, state, opts, bounds, direction)

    def tests(y, DH, st):
        v, w = curve.vectors(y, DH, st)
        bvv = sys_.bilinear(y[:n], curve.params_at(y), v[None], v[None])[0]
        return float(w @ v), float(w @ bvv)

    def observe(y, t, DH, st):
        bt, cp = tests(y, DH, st)
        return {"eig": np.linalg.eigvals(DH[:n, :n]), "bt": bt, "cp": cp}

    def locate(tr: Trace, obs: list[dict], i: int) -> list:
        found = []
        for key, kind, idx in (("cp", "cusp", 1), ("bt", "bogdanov_takens", 0)):
            f0, f1 = obs[i][key], obs[i + 1][key]
            if f0 * f1 < 0:
                st = tr.states[i]
                res = _zero_on_segment(curve, tr, i, f0, f1, lambda y, t, DH, st=st, idx=idx: tests(y, DH, st)[idx],
                                       kind)
                if res is not None:
                    found.append(res)
        found.sort(key=lambda r: r[0])
        return [(y, {"eig": np.linalg.eigvals(DH[:n, :n])}, info) for _, y, DH, _, info in found]

    return _assemble(cont, curve, "fold", traces, observe, locate, p, ks)


# ------------------------------------------------------------------------------------------------- Hopf
def hopf_curve(
    cont: Any,
    point: SpecialPoint,
    param2: str,
    bounds2: tuple[float, float],
    *,
    direction: str = "both",
    max_step: float | None = None,
    max_points: int = 2000,
) -> Codim2Branch:
    r"""Continue the Hopf ``point`` in the parameters (``cont.param``, ``param2``).

    Args:
        cont: the :class:`Continuation` whose branch contains the point; its ``bounds`` bound the first
            parameter.
        point: a ``'hopf'`` (or ``'neutral_saddle'``) special point.
        param2: the second free parameter; ``bounds2``: its range ``(low, high)``.
        direction: ``'both'``, ``'forward'`` (``param2`` increasing at the start) or ``'backward'``.
        max_step: largest arclength step (default 1/50 of the narrower parameter range).

    Returns:
        A :class:`Codim2Branch` with ``kappa`` (:math:`\omega^2`) and ``l1`` along the curve and the
        ``'bogdanov_takens'``, ``'generalized_hopf'`` and ``'zero_hopf'`` points.

    Limits: double-Hopf points are not detected; past a Bogdanov-Takens point the curve is a neutral-saddle
    curve (``kappa < 0``), where ``l1`` is undefined (NaN).
    """
    who = "Continuation.hopf_curve"
    ks, p, (lo2, hi2) = _setup(cont, point, param2, bounds2, ("hopf", "neutral_saddle"), who)
    sys_ = cont.system
    n = sys_.n
    if n < 2:
        raise ValueError(f"{who}: a Hopf point needs at least two state variables.")
    curve = HopfCurve(sys_, p, ks)
    kappa0 = float(point.kappa)
    J0 = sys_.jacobian(point.x, p)
    B, C = hopf_borders(J0, kappa0)
    y0 = np.concatenate([point.x, p[ks], [kappa0]])
    _, DH_all, _ = hopf_system(sys_, p, ks, y0, (B, C), None)
    state = (B, C, best_pair(DH_all, n))
    y0, DH0, t0 = _initial(curve, y0, state, n + 1)
    state = curve.refresh(y0, state)
    opts = _options(cont, lo2, hi2, max_step, max_points)
    bounds = [(n, *cont.bounds, cont.param), (n + 1, lo2, hi2, param2)]
    traces = _trace_both(curve, y0, t0, DH0, state, opts, bounds, direction)

    def lyap(y, J):
        kappa = float(y[n + 2])
        if kappa <= 0:
            return np.nan
        omega = np.sqrt(kappa)
        q, pv = hopf_vectors(J, omega)
        return first_lyapunov(sys_, y[:n], curve.params_at(y), J, omega, q, pv)

    def observe(y, t, DH, st):
        J = DH[:n, :n]
        return {"eig": np.linalg.eigvals(J), "kappa": float(y[n + 2]), "l1": lyap(y, J),
                "det": float(np.linalg.det(J))}

    def hopf_extra(y, t, DH):
        J = DH[:n, :n]
        kappa = float(y[n + 2])
        if kappa <= 0:
            return {"kappa": kappa}
        omega = float(np.sqrt(kappa))
        q, pv = hopf_vectors(J, omega)
        return {"kappa": kappa, "omega": omega, "q": q, "pv": pv,
                "l1": first_lyapunov(sys_, y[:n], curve.params_at(y), J, omega, q, pv)}

    def locate(tr: Trace, obs: list[dict], i: int) -> list:
        o0, o1 = obs[i], obs[i + 1]
        found = []
        if o0["kappa"] * o1["kappa"] < 0:
            res = _zero_on_segment(curve, tr, i, o0["kappa"], o1["kappa"], lambda y, t, DH: y[n + 2],
                                   "bogdanov_takens", lambda y, t, DH: {"kappa": float(y[n + 2])})
            if res is not None:
                found.append(res)
        both_hopf = o0["kappa"] > 0 and o1["kappa"] > 0
        if both_hopf and np.isfinite(o0["l1"] * o1["l1"]) and o0["l1"] * o1["l1"] < 0:
            res = _zero_on_segment(curve, tr, i, o0["l1"], o1["l1"], lambda y, t, DH: lyap(y, DH[:n, :n]),
                                   "generalized_hopf", hopf_extra)
            if res is not None:
                found.append(res)
        if both_hopf and o0["det"] * o1["det"] < 0:
            res = _zero_on_segment(curve, tr, i, o0["det"], o1["det"], lambda y, t, DH: np.linalg.det(DH[:n, :n]),
                                   "zero_hopf", hopf_extra)
            if res is not None:
                found.append(res)
        found.sort(key=lambda r: r[0])
        return [(y, {"eig": np.linalg.eigvals(DH[:n, :n]), "kappa": float(y[n + 2]),
                     "l1": info.get("l1", np.nan)}, info) for _, y, DH, _, info in found]

    return _assemble(cont, curve, "hopf", traces, observe, locate, p, ks)
