"""Phase-plane analysis of one- and two-dimensional systems (and 2D slices of larger ones)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._classify import classify_equilibrium
from ._contour import zero_contours
from ._flow import build_flow, find_limit_cycle
from ._phase_results import (
    FixedPoint,
    FixedPoints,
    LimitCycle,
    Nullclines,
    PhasePortrait,
    Separatrices,
    Separatrix,
    Trajectory,
    VectorField,
)
from ._system import System, as_system

__all__ = ["PhasePlane"]

_FLOW_OUTPUTS = 2001  # output times per compiled flow; fewer are padded, more compile a larger flow
_GRID_SEEDS = {1: 64, 2: 100}
_N_SEEDS = {1: 128, 2: 160}


_SEPARATRIX_MS = (200.0, 1e5)  # the range of the automatic separatrix duration (ms)


def _separatrix_duration(lam: float, offset: float) -> float:
    r"""Integration time (ms) of a manifold leaving a saddle along an eigenvalue ``lam`` (1/ms) from a start
    ``offset`` window sizes away: :math:`\ln(10^2/\mathrm{offset})/|\lambda|`, clipped to ``_SEPARATRIX_MS``."""
    rate = abs(float(lam))
    T = np.log(1e2 / offset) / rate if rate > 0 and offset > 0 else np.inf
    return float(np.clip(T, *_SEPARATRIX_MS))


class PhasePlane:
    r"""Phase-plane analysis of :math:`\dot x = F(x, p)` in one or two displayed variables.

    Main arguments:
        system: a function ``f(v, w, I=0.5, ...)`` returning the derivatives (positional arguments are the
            variables, keyword arguments the parameters), a brainlab model (``bl.neurons.MorrisLecar(1)``), or a
            :class:`System`.
        variables: ``{name: (low, high)}`` for one or two variables: the window.
        params: parameter values overriding the defaults (``{'I': 0.5}``, or a model's ``{'I_ext': 40.0}``).

    Other arguments:
        fixed: values of the variables not displayed, for a slice of a higher-dimensional system (defaults to
            the model's ``initial_state()``; required for a plain function).  All analyses then concern the
            *reduced* system in which those variables are frozen: its fixed points need not be equilibria of
            the full system.
        resolution: grid points per axis for nullclines and fixed-point seeds.
        stop_margin: trajectories stop once they leave the window enlarged by this fraction of its size on
            every side.

    Every analysis runs in float64 through functions compiled once per system and window dimension; the
    parameters are arguments of those functions, so :meth:`set_params` followed by a new analysis does not
    recompile.

    Example:
        >>> def fhn(v, w, I=0.5, a=0.7, b=0.8, tau=12.5):
        ...     return v - v**3 / 3 - w + I, (v + a - b * w) / tau
        >>> pp = PhasePlane(fhn, variables={'v': (-3, 3), 'w': (-2, 3)}, params={'I': 0.5})
        >>> [fp.kind for fp in pp.fixed_points()]
        ['unstable focus']

    A model of more than two variables is shown as a slice: ``PhasePlane(bl.neurons.HH(1), variables={'V': (-80,
    40), 'n': (0, 1)}, fixed={'m': 0.05, 'h': 0.6})``.  For an integrate-and-fire model the plane shows the
    subthreshold vector field (no threshold or reset), which decides rest, rheobase and the approach to threshold.

    Limits: fixed points are found by Newton's method from a grid of seeds and from cells where both
    nullclines pass; points closer together than the seed spacing along a nearly tangent pair of nullclines
    may be missed.  Limit cycles are found by simulation, so only attracting cycles (forward) or, in 2D,
    repelling ones (``backward=True``) are found.
    """

    def __init__(
        self,
        system: Any,
        variables: Mapping[str, tuple[float, float]],
        params: Mapping[str, float] | None = None,
        fixed: Mapping[str, float] | None = None,
        *,
        resolution: int = 201,
        stop_margin: float = 1.0,
    ) -> None:
        self.system: System = as_system(system)
        sys_ = self.system
        who = "PhasePlane"
        if not isinstance(variables, Mapping) or not 1 <= len(variables) <= 2:
            raise ValueError(
                f"{who}: variables must be a dict of one or two {{name: (low, high)}} windows, e.g. "
                f"{{{sys_.variable_names[0]!r}: (-3, 3)}}; got {variables!r}. Valid variables of {sys_.name}: "
                f"{', '.join(repr(v) for v in sys_.variable_names)}."
            )
        self.names: tuple[str, ...] = tuple(variables)
        self._idx = tuple(sys_.variable_index(nm, who=who, arg="variables") for nm in self.names)
        lo, hi = [], []
        for nm, win in variables.items():
            try:
                a, b = (float(v) for v in win)
            except (TypeError, ValueError):
                raise ValueError(f"{who}: the window of {nm!r} must be a pair (low, high), got {win!r}.") from None
            if not (np.isfinite(a) and np.isfinite(b)):
                raise ValueError(f"{who}: the window of {nm!r} in variables must be finite, got ({a}, {b}).")
            if not a < b:
                raise ValueError(
                    f"{who}: the window of {nm!r} in variables must be (low, high) with low < high, got ({a:g}, {b:g})"
                    + (f"; pass variables={{..., {nm!r}: ({b:g}, {a:g})}}." if a > b else ".")
                )
            lo.append(a)
            hi.append(b)
        self._lo, self._hi = np.array(lo), np.array(hi)
        if not isinstance(resolution, (int, np.integer)) or resolution < 8:
            raise ValueError(f"{who}: resolution must be an int >= 8, got {resolution!r}.")
        self.resolution = int(resolution)
        self._stop_margin = float(stop_margin)
        others = [nm for nm in sys_.variable_names if nm not in self.names]
        fixed = dict(fixed or {})
        bad = [k for k in fixed if k not in others]
        if bad:
            raise ValueError(
                f"{who}: fixed={fixed!r} names {', '.join(repr(b) for b in bad)}, which is displayed or not a "
                f"variable of {sys_.name}; fixed takes the variables not displayed: "
                f"{', '.join(repr(o) for o in others) or '(none)'}."
            )
        base = sys_.initial_state or {}
        missing = [nm for nm in others if nm not in fixed and nm not in base]
        if missing:
            raise ValueError(
                f"{who}: {sys_.name} has {len(sys_.variable_names)} variables; the ones not displayed need values "
                f"for the slice: pass fixed={{{', '.join(f'{m!r}: ...' for m in missing)}}}."
            )
        full = {nm: 0.0 for nm in self.names}
        full.update({nm: base[nm] for nm in others if nm in base})
        full.update(fixed)
        self._x_full = sys_.state_vector(full, who=who, arg="fixed")
        self._p = sys_.params_vector(params, who=who)
        self._last_fixed: np.ndarray = np.zeros((0, len(self.names)))

    # ------------------------------------------------------------------ parameters
    @property
    def dim(self) -> int:
        """The number of displayed variables (1 or 2)."""
        return len(self.names)

    @property
    def params(self) -> dict[str, float]:
        """The current parameter values."""
        return self.system.params_dict(self._p)

    @property
    def bounds(self) -> dict[str, tuple[float, float]]:
        """The window ``{name: (low, high)}``."""
        return {nm: (float(a), float(b)) for nm, a, b in zip(self.names, self._lo, self._hi)}

    def set_params(self, **params: float) -> PhasePlane:
        """Change parameter values (no recompilation); returns ``self`` so calls can be chained."""
        p = self._p.copy()
        for key, value in params.items():
            j = self.system.param_index(key, who="PhasePlane.set_params", arg=f"in set_params({key}=...)")
            v = float(value)
            if not np.isfinite(v):
                raise ValueError(f"PhasePlane.set_params: {key}={value!r} must be a finite number.")
            p[j] = v
        self._p = p
        return self

    # ------------------------------------------------------------------ compiled pieces
    def _rhs(self) -> Any:
        idx = np.asarray(self._idx)
        F = self.system.F

        def rhs(z: jax.Array, args: tuple[jax.Array, jax.Array]) -> jax.Array:
            p, xf = args
            return F(xf.at[idx].set(z), p)[idx]

        return rhs

    def _compiled(self, name: str, build: Any, *extra: Any) -> Any:
        return self.system.compiled(("PhasePlane", name, self._idx, *extra), build)

    def _args(self) -> tuple[np.ndarray, np.ndarray]:
        return self._p, self._x_full

    def _field(self, pts: np.ndarray) -> np.ndarray:
        """The displayed field at a batch of points, evaluated in blocks of 256 or 4096 (two compiled shapes)."""
        rhs = self._rhs()
        fn = self._compiled("field", lambda: jax.jit(jax.vmap(rhs, in_axes=(0, None))))
        pts = np.asarray(pts, np.float64)
        k = pts.shape[0]
        block = 256 if k <= 256 else 4096
        n_blocks = -(-k // block)
        padded = np.concatenate([pts, np.repeat(pts[:1], n_blocks * block - k, axis=0)])
        with jax.enable_x64(True):
            out = [np.asarray(fn(padded[b * block:(b + 1) * block], self._args())) for b in range(n_blocks)]
        return np.concatenate(out)[:k]

    def _newton(self, z0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Newton from every seed: compiled chunks of 8 iterations, repeated until all have settled.

        The displayed system has one or two variables, so each linear solve is explicit (Cramer's rule).  Each
        step is shortened to at most a quarter of the window along every axis (a simple trust region), which
        keeps far seeds from jumping away.  Returns ``(z, converged, max|f|, jacobian)``.
        """
        rhs = self._rhs()
        span = self._hi - self._lo

        def solve(J, f):
            if self.dim == 1:
                return -f / J[0]
            det = J[0, 0] * J[1, 1] - J[0, 1] * J[1, 0]
            return -jnp.stack([J[1, 1] * f[0] - J[0, 1] * f[1], J[0, 0] * f[1] - J[1, 0] * f[0]]) / det

        def iterate(_, c):
            z, done, args = c
            dz = solve(jax.jacfwd(rhs)(z, args), rhs(z, args))
            bad = ~jnp.all(jnp.isfinite(dz))
            dz = jnp.where(bad, jnp.zeros_like(dz), dz)
            scale = jnp.minimum(1.0, 0.25 / (jnp.max(jnp.abs(dz) / span) + 1e-300))
            small = jnp.max(jnp.abs(dz)) <= 1e-12 * (1.0 + jnp.max(jnp.abs(z)))
            return jnp.where(done, z, z + scale * dz), done | small | bad, args

        def chunk(z, done, args):
            z, done, _ = jax.lax.fori_loop(0, 8, iterate, (z, done, args))
            return z, done, rhs(z, args), jax.jacfwd(rhs)(z, args)

        fn = self._compiled("newton", lambda: jax.jit(jax.vmap(chunk, in_axes=(0, 0, None))))
        z = np.asarray(z0, np.float64)
        done = np.zeros(z.shape[0], bool)
        with jax.enable_x64(True):
            for _ in range(8):
                z, done, f, jac = (np.asarray(a) for a in fn(z, done, self._args()))
                if done.all():
                    break
        res = np.max(np.abs(f), axis=1)
        ok = done & np.all(np.isfinite(z), axis=1) & (res <= 1e-9)
        return z, ok, res, jac

    def _grid(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Grid axes and field values: ``(xs, ys, values (ny, nx, d))`` (1D: ``ys`` empty, values (nx, 1))."""
        xs = np.linspace(self._lo[0], self._hi[0], n)
        if self.dim == 1:
            return xs, np.zeros(0), self._field(xs[:, None])
        ys = np.linspace(self._lo[1], self._hi[1], n)
        X, Y = np.meshgrid(xs, ys)
        vals = self._field(np.stack([X.ravel(), Y.ravel()], axis=-1)).reshape(n, n, 2)
        return xs, ys, vals

    # ------------------------------------------------------------------ analyses
    def vector_field(self, density: int = 21) -> VectorField:
        """The vector field on a ``density`` x ``density`` grid (``density`` points in 1D)."""
        xs, ys, vals = self._grid(int(density))
        if self.dim == 1:
            return VectorField(self.names, xs, ys, vals[:, 0], np.zeros(0))
        return VectorField(self.names, xs, ys, vals[..., 0], vals[..., 1])

    def nullclines(self, resolution: int | None = None) -> Nullclines:
        r"""The nullclines :math:`\dot x_i = 0` by marching squares on a ``resolution``:sup:`2` grid.

        Each branch is a separate polyline; accuracy is :math:`O(h^2)` in the grid spacing :math:`h`.
        """
        if self.dim != 2:
            raise ValueError(
                "PhasePlane.nullclines: nullclines need two displayed variables; in 1D the nullcline of "
                f"{self.names[0]!r} is its set of fixed points: use fixed_points()."
            )
        n = self.resolution if resolution is None else int(resolution)
        xs, ys, vals = self._grid(n)
        lines = {nm: tuple(zero_contours(xs, ys, vals[..., i])) for i, nm in enumerate(self.names)}
        return Nullclines(self.names, lines, n)

    def _seeds(self, extra: np.ndarray | None) -> np.ndarray:
        d = self.dim
        total = _N_SEEDS[d]
        span = self._hi - self._lo
        if d == 1:
            g = np.linspace(0, 1, _GRID_SEEDS[1] + 2)[1:-1][:, None]
        else:
            k = int(round(np.sqrt(_GRID_SEEDS[2])))
            u = np.linspace(0, 1, k + 2)[1:-1]
            U, V = np.meshgrid(u, u)
            g = np.stack([U.ravel(), V.ravel()], axis=-1)
        grid = self._lo + g * span
        # cells of a finer grid through which every nullcline passes (sign changes of each component)
        n = 401 if d == 1 else 61
        xs, ys, vals = self._grid(n)
        if d == 1:
            s = np.sign(vals[:, 0])
            i = np.nonzero(s[:-1] * s[1:] <= 0)[0]
            smart = (0.5 * (xs[i] + xs[i + 1]))[:, None]
        else:
            change = []
            for c in range(2):
                s = np.sign(vals[..., c])
                cell = np.stack([s[:-1, :-1], s[:-1, 1:], s[1:, 1:], s[1:, :-1]])
                change.append((cell.max(axis=0) >= 0) & (cell.min(axis=0) <= 0))
            jj, ii = np.nonzero(change[0] & change[1])
            smart = np.stack([0.5 * (xs[ii] + xs[ii + 1]), 0.5 * (ys[jj] + ys[jj + 1])], axis=-1)
        pieces = [np.asarray(extra, np.float64).reshape(-1, d)] if extra is not None else []
        pieces += [self._last_fixed, smart]
        front = np.concatenate(pieces, axis=0) if pieces else np.zeros((0, d))
        room = total - grid.shape[0]
        if front.shape[0] > room:
            front = front[np.linspace(0, front.shape[0] - 1, room).astype(int)]
        seeds = np.concatenate([front, grid], axis=0)
        if seeds.shape[0] < total:
            rng = np.random.default_rng(0)
            pad = self._lo + rng.random((total - seeds.shape[0], d)) * span
            seeds = np.concatenate([seeds, pad], axis=0)
        return seeds

    def fixed_points(self, seeds: Sequence[Mapping[str, float]] | np.ndarray | None = None) -> FixedPoints:
        r"""All fixed points in the window, with eigenvalues and their type.

        Newton's method (vmapped over seeds, steps capped at a quarter of the window) starts from a grid, from
        the cells where both nullclines pass, from the previously found points and from ``seeds``; converged
        points inside the window are merged when closer than :math:`10^{-7}` of the window size.  Each point is
        classified by :func:`classify_equilibrium` (zero tolerance :math:`10^{-10} + 10^{-7}\max|\lambda|`).
        """
        extra = None
        if seeds is not None:
            rows = []
            for s in seeds if not isinstance(seeds, np.ndarray) else seeds.reshape(-1, self.dim):
                if isinstance(s, Mapping):
                    rows.append([float(s[nm]) for nm in self.names])
                else:
                    rows.append(np.asarray(s, np.float64).reshape(self.dim))
            extra = np.asarray(rows, np.float64).reshape(-1, self.dim)
        z0 = self._seeds(extra)
        z, ok, res, jac = self._newton(z0)
        span = self._hi - self._lo
        inside = np.all((z >= self._lo - 1e-9 * span) & (z <= self._hi + 1e-9 * span), axis=1)
        cand = np.nonzero(ok & inside)[0]
        cand = cand[np.argsort(res[cand], kind="stable")]
        # merge duplicates: first by rounding (keeps the smallest residual), then pairwise across cell borders
        _, first = np.unique(np.round((z[cand] - self._lo) / span * 1e7), axis=0, return_index=True)
        kept: list[int] = []
        for c in cand[np.sort(first)]:
            if all(np.max(np.abs(z[c] - z[k]) / span) > 1e-7 for k in kept):
                kept.append(int(c))
        kept.sort(key=lambda k: tuple(z[k]))
        points = []
        for k in kept:
            w, vec = np.linalg.eig(jac[k])
            order = np.lexsort((-w.imag, -w.real))
            w, vec = w[order], vec[:, order]
            points.append(
                FixedPoint(
                    state={nm: float(v) for nm, v in zip(self.names, z[k])},
                    x=z[k].copy(),
                    eigenvalues=w,
                    eigenvectors=vec,
                    jacobian=jac[k].copy(),
                    kind=classify_equilibrium(w),
                    stable=bool(np.all(w.real < 0)),
                    residual=float(res[k]),
                )
            )
        self._last_fixed = np.asarray([p.x for p in points]).reshape(-1, self.dim)
        return FixedPoints(self.names, tuple(points))

    # ------------------------------------------------------------------ trajectories
    def _integrate(self, starts: np.ndarray, duration: float, n_points: int, backward: bool,
                   rtol: float, atol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not (np.isfinite(duration) and duration > 0):
            raise ValueError(f"PhasePlane: duration must be a positive number of ms, got {duration!r}.")
        if not isinstance(n_points, (int, np.integer)) or n_points < 2:
            raise ValueError(f"PhasePlane: n_points must be an int >= 2, got {n_points!r}.")
        n_points = int(n_points)
        bucket = max(_FLOW_OUTPUTS, n_points)
        rhs = self._rhs()
        fn = self._compiled("flow", lambda: build_flow(rhs, bucket), bucket)
        span = self._hi - self._lo
        lo = self._lo - self._stop_margin * span
        hi = self._hi + self._stop_margin * span
        sign = -1.0 if backward else 1.0
        t = np.linspace(0.0, 1.0, n_points) * float(duration)
        ts = np.concatenate([t, np.full(bucket - n_points, t[-1])])
        outs, codes = [], []
        with jax.enable_x64(True):
            for z0 in np.asarray(starts, np.float64):
                x, status = fn(z0, ts, sign, self._args(), lo, hi, float(rtol), float(atol))
                outs.append(np.asarray(x)[:n_points])
                codes.append(int(status))
        xs = np.array(outs)
        outside = np.any((xs < lo) | (xs > hi) | ~np.isfinite(xs), axis=-1)
        for k in range(xs.shape[0]):
            bad = np.nonzero(outside[k])[0]
            if bad.size:
                xs[k, bad[0] + 1:] = np.nan
        return (-t if backward else t), xs, np.asarray(codes)

    def _start_vector(self, start: Mapping[str, float] | Sequence[float], who: str) -> np.ndarray:
        if isinstance(start, Mapping):
            unknown = [k for k in start if k not in self.names]
            missing = [nm for nm in self.names if nm not in start]
            if unknown or missing:
                what = []
                if missing:
                    what.append(f"is missing {', '.join(repr(m) for m in missing)}")
                if unknown:
                    what.append(f"names {', '.join(repr(u) for u in unknown)}, not displayed (the variables not "
                                "displayed are held at their fixed= values)")
                example = ", ".join(f"{nm!r}: {start.get(nm, '...')}" for nm in self.names)
                raise ValueError(
                    f"{who}: start {' and '.join(what)}; a start gives exactly the displayed variables of "
                    f"{self.system.name}, e.g. start={{{example}}}."
                )
            return np.array([float(start[nm]) for nm in self.names])
        z = np.asarray(start, np.float64).reshape(-1)
        if z.shape != (self.dim,):
            raise ValueError(f"{who}: start must have {self.dim} entries, one per displayed variable {self.names}, "
                             f"got {start!r}.")
        return z

    def trajectory(
        self,
        start: Mapping[str, float] | Sequence[float],
        duration: float = 100.0,
        *,
        backward: bool = False,
        n_points: int = 2001,
        rtol: float = 1e-10,
        atol: float = 1e-12,
    ) -> Trajectory:
        """Integrate the displayed system from ``start`` for ``duration`` ms (adaptive Dormand-Prince, float64).

        ``backward=True`` integrates backward in time.  The orbit is sampled at ``n_points`` equally spaced
        times and cut where it leaves the enlarged window.
        """
        return self.trajectories([start], duration, backward=backward, n_points=n_points, rtol=rtol, atol=atol)[0]

    def trajectories(
        self,
        starts: Sequence[Mapping[str, float] | Sequence[float]],
        duration: float = 100.0,
        *,
        backward: bool = False,
        n_points: int = 2001,
        rtol: float = 1e-10,
        atol: float = 1e-12,
    ) -> tuple[Trajectory, ...]:
        """Several trajectories at once (one vmapped integration); see :meth:`trajectory`."""
        z0 = np.stack([self._start_vector(s, "PhasePlane.trajectory") for s in starts])
        t, xs, status = self._integrate(z0, duration, n_points, backward, rtol, atol)
        out = []
        for k in range(z0.shape[0]):
            good = np.all(np.isfinite(xs[k]), axis=-1)
            m = int(np.argmin(good)) if not good.all() else len(good)
            msg = "success" if int(status[k]) == 0 else f"integrator status {int(status[k])}"
            if m < len(good):
                msg = f"left the window at t = {t[m - 1]:.6g} ms"
            out.append(Trajectory(self.names, t[:m].copy(), xs[k, :m].copy(), msg))
        return tuple(out)

    # ------------------------------------------------------------------ limit cycles
    def limit_cycle(
        self,
        start: Mapping[str, float] | Sequence[float] | None = None,
        *,
        transient: float = 1000.0,
        duration: float = 1000.0,
        backward: bool = False,
        n_points: int = 2001,
    ) -> LimitCycle:
        r"""A periodic orbit found by simulation, its period measured on a Poincaré section.

        The system is integrated for ``transient`` ms from ``start`` (by default: next to an unstable fixed
        point, or a stable one when ``backward``), then for ``duration`` ms.  The section is the level
        halfway between the extremes of the variable that oscillates most, crossed upwards; once three
        returns are seen, the return time is refined by Newton's method on
        :math:`x_j(\tau) = \text{level}`, starting from a sample of the converged trajectory, over successive
        returns until the return point repeats to :math:`10^{-10}` of the window size.  The orbit is then
        sampled at ``n_points`` times over one period.  ``backward=True`` finds repelling cycles of planar systems.

        Returns a :class:`LimitCycle`; ``found=False`` with a ``message`` when no cycle was detected.
        """
        if self.dim != 2:
            raise ValueError("PhasePlane.limit_cycle: a one-dimensional flow has no periodic orbits; display two "
                             "variables.")
        span = self._hi - self._lo
        if start is None:
            fps = self.fixed_points()
            want = [fp for fp in fps if (fp.stable if backward else np.all(fp.eigenvalues.real > 0))]
            if not want:
                raise ValueError(
                    "PhasePlane.limit_cycle: no start given and no "
                    + ("stable" if backward else "unstable")
                    + " fixed point in the window to start next to; pass start={...}."
                )
            z_start = want[0].x + 1e-3 * span
        else:
            z_start = self._start_vector(start, "PhasePlane.limit_cycle")

        def integrate(z0: np.ndarray, dur: float, n: int, rtol: float) -> tuple[np.ndarray, np.ndarray]:
            t, xs, _ = self._integrate(np.asarray(z0)[None], float(dur), n, backward, rtol, 1e-2 * rtol)
            return np.abs(t), xs[0]

        sign = -1.0 if backward else 1.0

        def rhs(z: np.ndarray) -> np.ndarray:
            return sign * self._field(np.atleast_2d(z))

        res = find_limit_cycle(integrate, rhs, z_start, transient=transient, duration=duration,
                               n_points=n_points, scale=span)
        if not res["found"]:
            return LimitCycle(False, self.names, float("nan"), np.zeros(0), np.zeros((0, 2)), not backward,
                              (self.names[0], float("nan")), float("nan"), res["message"])
        states = res["states"][::-1].copy() if backward else res["states"]
        return LimitCycle(
            True, self.names, res["period"], res["t"], states, not backward,
            (self.names[res["section"]], res["level"]), res["return_error"], res["message"],
        )

    # ------------------------------------------------------------------ separatrices
    def separatrices(self, duration: float | None = None, *, n_points: int = 2001,
                     offset: float = 1e-6) -> Separatrices:
        r"""Stable and unstable manifolds of every saddle in the window.

        From each saddle :math:`x^*` with eigenvectors :math:`v_s` (:math:`\lambda_s<0`) and :math:`v_u`
        (:math:`\lambda_u>0`), the system is integrated from :math:`x^* \pm \delta v`, forward along
        :math:`v_u` and backward along :math:`v_s`, with :math:`\delta` equal to ``offset`` times the window
        size.  The error from starting on the linear approximation is :math:`O(\delta^2)`.  A curve stops where
        it leaves the window (enlarged by ``stop_margin``).

        ``duration`` (ms) is the integration time of every manifold.  By default (``None``) each manifold gets
        its own, from its eigenvalue: :math:`T = \ln(10^2/\mathrm{offset}) / |\lambda|`, the time in which the
        linearised flow carries the start a hundred window sizes away (:math:`18.4/|\lambda|` for the default
        offset), never less than 200 ms nor more than :math:`10^5` ms.  A slow system (WongWang's saddles,
        :math:`\lambda_u \approx 0.002`/ms) thus gets seconds, and its manifolds leave the saddle.

        Example:
            >>> import brainlab as bl
            >>> pp = bl.analysis.PhasePlane(bl.neurons.WongWang(1), {'S1': (0, 0.9), 'S2': (0, 0.9)})
            >>> first = next(iter(pp.separatrices()))   # an unstable manifold, about 8 s long
            >>> first.kind, [round(float(v), 2) for v in first.states[-1]]   # it runs into the rest state
            ('unstable', [0.1, 0.1])
        """
        if self.dim != 2:
            raise ValueError("PhasePlane.separatrices: separatrices need two displayed variables.")
        if duration is not None and not (isinstance(duration, (int, float, np.number))
                                         and np.isfinite(duration) and duration > 0):
            raise ValueError(f"PhasePlane.separatrices: duration must be a positive number of ms or None (chosen "
                             f"from the saddle's eigenvalues), got {duration!r}.")
        span = self._hi - self._lo
        saddles = [fp for fp in self.fixed_points() if fp.kind == "saddle"]
        starts, meta = [], []
        for fp in saddles:
            for col in range(2):
                v = np.real(fp.eigenvectors[:, col])
                lam = float(np.real(fp.eigenvalues[col]))
                delta = offset / np.linalg.norm(v / span)
                T = float(duration) if duration is not None else _separatrix_duration(lam, offset)
                for side in (1, -1):
                    starts.append(fp.x + side * delta * v)
                    meta.append(("unstable" if lam > 0 else "stable", side, fp, T))
        if not starts:
            return Separatrices(self.names, ())
        z0 = np.asarray(starts)
        curves = []
        for kind in ("unstable", "stable"):
            for T in sorted({m[3] for m in meta if m[0] == kind}):
                sel = [i for i, m in enumerate(meta) if m[0] == kind and m[3] == T]
                _, xs, _ = self._integrate(z0[sel], T, n_points, kind == "stable", 1e-10, 1e-12)
                for row, i in enumerate(sel):
                    good = np.all(np.isfinite(xs[row]), axis=-1)
                    m = int(np.argmin(good)) if not good.all() else len(good)
                    curves.append((i, Separatrix(kind, meta[i][1], meta[i][2], xs[row, :m].copy())))
        # in the order of the starts within each kind: saddle by saddle, side +1 then -1
        order = {"unstable": 0, "stable": 1}
        curves.sort(key=lambda c: (order[c[1].kind], c[0]))
        return Separatrices(self.names, tuple(c for _, c in curves))

    # ------------------------------------------------------------------ together
    def portrait(
        self,
        *,
        vector_field: bool = True,
        nullclines: bool = True,
        fixed_points: bool = True,
        separatrices: bool = False,
        limit_cycle: bool = False,
        trajectories: Sequence[Mapping[str, float] | Sequence[float]] = (),
        duration: float = 100.0,
        separatrix_duration: float | None = None,
    ) -> PhasePortrait:
        """Several analyses at the current parameters, gathered for plotting.

        ``limit_cycle=True`` adds :meth:`limit_cycle` with its defaults (kept only if a cycle was found);
        ``trajectories`` are integrated for ``duration`` ms; ``separatrices=True`` adds :meth:`separatrices`,
        integrated for ``separatrix_duration`` ms (default ``None``: from each saddle's eigenvalues, long enough
        for slow systems).
        """
        vf = self.vector_field() if vector_field else None
        nc = self.nullclines() if nullclines and self.dim == 2 else None
        fps = self.fixed_points() if fixed_points else None
        sep = self.separatrices(separatrix_duration) if separatrices and self.dim == 2 else None
        trs = self.trajectories(list(trajectories), duration) if len(trajectories) else ()
        cycles: tuple[LimitCycle, ...] = ()
        if limit_cycle and self.dim == 2:
            try:
                lc = self.limit_cycle()
            except ValueError:  # no unstable fixed point to start from
                lc = None
            cycles = (lc,) if lc is not None and lc.found else ()
        return PhasePortrait(self.names, self.bounds, self.params, vf, nc, fps, sep, trs, cycles)

    def update(self, **params: float) -> PhasePortrait:
        """Set parameters and recompute the vector field, nullclines and fixed points (the interactive path).

        Nothing recompiles; this takes a few ms for a planar system (see ``benchmarks/analysis.py``).
        """
        self.set_params(**params)
        return self.portrait()

    def plot(self, **kwargs: Any) -> Any:
        """A bokeh figure of :meth:`portrait` (keyword arguments are passed on to it)."""
        return self.portrait(**kwargs).plot()

    def __repr__(self) -> str:
        return f"PhasePlane({self.system.name}, window={self.bounds}, params={self.params})"
