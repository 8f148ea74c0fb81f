"""Fast-slow (geometric singular perturbation) analysis of bursting: the fast subsystem's bifurcation diagram with
the slow variable as its parameter, overlaid with the full system's trajectory.

For :math:`\\dot x = f(x, z)`, :math:`\\dot z = \\varepsilon g(x, z)` with :math:`\\varepsilon \\ll 1`, the slow
variable :math:`z` is frozen and treated as a parameter of the fast subsystem :math:`\\dot x = f(x, z)`. Its equilibria
:math:`f(x, z) = 0` (the critical manifold) and its limit cycles, drawn against :math:`z`, explain a burst: the
trajectory drifts along a stable branch until it falls off at a bifurcation (a fold, a Hopf point, a homoclinic end
of the cycle branch), switching between rest and spiking (Rinzel 1987; Izhikevich 2000, "Neural excitability,
spiking and bursting", Int. J. Bifurcation Chaos 10:1171).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ._periodic import CycleBranch, continue_cycles, continue_cycles_from_hopf, cycle_from_trajectory


@dataclass(frozen=True)
class FastSubsystemPoint:
    """A fold (``kind='fold'``) or Hopf point (``kind='hopf'``) of the fast subsystem's equilibria.

    ``z`` is the slow variable's value, ``x`` the fast equilibrium; for a Hopf point ``omega`` is the angular
    frequency (rad per time unit) and ``eigenvector`` the complex eigenvector of :math:`+i\\omega`.
    """

    kind: str
    z: float
    x: np.ndarray
    omega: float = float("nan")
    eigenvector: np.ndarray | None = None


@dataclass(frozen=True)
class FastSlowResult:
    """Bifurcation diagram of the fast subsystem against the slow variable, with the full trajectory.

    Attributes:
        slow_index: index of the slow variable in the full state; ``fast_indices`` the others, in order.
        z: ``(m,)`` slow-variable values along the equilibrium curve; ``x``: ``(m, n_fast)`` the equilibria.
        stable: ``(m,)`` whether each equilibrium of the fast subsystem is stable.
        eigenvalues: ``(m, n_fast)`` complex eigenvalues of the fast Jacobian (by decreasing real part).
        special_points: folds and Hopf points of the equilibrium curve.
        cycles: cycle branches of the fast subsystem, one per Hopf point.
        t: ``(k,)`` sample times and ``trajectory``: ``(k, n)`` states of the simulated full system.
        names: the state variables' names.
    """

    slow_index: int
    fast_indices: tuple[int, ...]
    z: np.ndarray
    x: np.ndarray
    stable: np.ndarray
    eigenvalues: np.ndarray
    special_points: tuple[FastSubsystemPoint, ...]
    cycles: tuple[CycleBranch, ...]
    t: np.ndarray
    trajectory: np.ndarray
    names: tuple[str, ...] = field(default=())

    @property
    def folds(self) -> tuple[FastSubsystemPoint, ...]:
        return tuple(p for p in self.special_points if p.kind == "fold")

    @property
    def hopfs(self) -> tuple[FastSubsystemPoint, ...]:
        return tuple(p for p in self.special_points if p.kind == "hopf")

    def plot(self, variable: int | str | None = None, fig: Any = None) -> Any:
        """Bokeh figure in the (z, x) plane: fast equilibria (solid stable, dashed unstable), cycle extrema, folds,
        Hopf points and the trajectory. ``variable`` is a fast variable's name or its index among the fast ones."""
        from ..plotting.cycles import plot_fast_slow

        return plot_fast_slow(self, variable=variable, fig=fig)


@lru_cache(maxsize=32)
def _rk4_runner(F: Callable, n_rec: int, record_every: int) -> Callable:
    def step(carry, _):
        u, h = carry
        k1 = F(u)
        k2 = F(u + 0.5 * h * k1)
        k3 = F(u + 0.5 * h * k2)
        k4 = F(u + h * k3)
        return (u + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4), h), None

    def chunk(carry, _):
        carry, _ = jax.lax.scan(step, carry, None, length=record_every)
        return carry, carry[0]

    return jax.jit(lambda u0, h: jax.lax.scan(chunk, (u0, h), None, length=n_rec)[1])


def simulate_rk4(F: Callable, u0: Any, t_final: float, dt: float, record_every: int = 1
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Classical fourth-order Runge-Kutta in float64 for the autonomous system :math:`\\dot u = F(u)`.

    Returns the times ``(k,)`` and states ``(k, n)`` every ``record_every`` steps, starting with ``u0``. The global
    error is :math:`O(\\Delta t^4)`; ``dt`` must resolve the fastest time scale (the spikes of a burster). Compiled
    once per ``(F, number of records, record_every)``.
    """
    n_rec = int(round(t_final / (dt * record_every)))
    if n_rec < 1:
        raise ValueError(f"simulate_rk4: t_final={t_final} is shorter than one recorded step (dt*record_every).")
    with jax.enable_x64(True):
        u0 = np.asarray(u0, dtype=np.float64)
        try:
            run = _rk4_runner(F, n_rec, int(record_every))
        except TypeError:  # an unhashable callable: no caching
            run = _rk4_runner.__wrapped__(F, n_rec, int(record_every))
        us = np.asarray(run(u0, np.float64(dt)))
    return dt * record_every * np.arange(n_rec + 1), np.concatenate([u0[None], us], axis=0)


def _equilibrium_kernel(f: Callable, n: int):
    """Jitted Newton step and tangent for :math:`f(x, z) = 0` with arclength in :math:`(x, z)`."""

    def solve(y, yprev, tprev, ds):
        x, z = y[:n], y[n]
        G = f(x, z)
        Jx, Jz = jax.jacfwd(f, argnums=(0, 1))(x, z)
        A = jnp.concatenate([jnp.concatenate([Jx, Jz[:, None]], axis=1), tprev[None, :]], axis=0)
        r = jnp.concatenate([G, (jnp.dot(y - yprev, tprev) - ds)[None]])
        rhs = jnp.stack([-r, jnp.zeros(n + 1).at[n].set(1.0)], axis=1)
        sol = jnp.linalg.solve(A, rhs)
        return sol[:, 0], sol[:, 1], jnp.max(jnp.abs(r)), Jx

    return jax.jit(solve)


def _hopf_test(eig: np.ndarray) -> float:
    if eig.size < 2:
        return 1.0
    i, j = np.triu_indices(eig.size, k=1)
    return float(np.prod(eig[i] + eig[j]).real)


def continue_equilibria(f: Callable, x0: Any, z0: float, *, z_bounds: tuple[float, float], ds: float = 0.02,
                        ds_max: float = 0.1, max_steps: int = 500, tol: float = 1e-12) -> dict:
    """Pseudo-arclength continuation of :math:`f(x, z) = 0` in both directions from a guess ``(x0, z0)``.

    A compact, self-contained routine for the fast subsystem (the richer equilibrium continuation of
    ``brainlab.analysis`` can replace it). Folds are zeros of the tangent's :math:`z`-component; Hopf points zeros of
    :math:`\\prod_{i<j}(\\lambda_i + \\lambda_j)` with a purely imaginary pair; both are located by the Illinois method
    in arclength. Returns a dict of arrays ``z, x, stable, eigenvalues`` and a list ``special_points``.
    """
    with jax.enable_x64(True):
        x0 = np.asarray(x0, dtype=float)
        n = x0.size
        solve = _equilibrium_kernel(f, n)

        def newton(y, yprev, tprev, s):
            for _ in range(25):
                dy, _, _, _ = (np.asarray(a) for a in solve(y, yprev, tprev, np.float64(s)))
                y = y + dy
                if not np.all(np.isfinite(y)):
                    return None
                if np.abs(dy).max() <= tol * (1.0 + np.abs(y).max()):
                    return y
            return None

        def tangent_eigs(y, tprev):
            _, t, _, Jx = (np.asarray(a) for a in solve(y, y, tprev, np.float64(0.0)))
            t = t / np.linalg.norm(t)
            t = t * np.sign(np.dot(t, tprev))
            eig = np.linalg.eigvals(Jx)
            return t, eig[np.lexsort((-eig.imag, -eig.real))], Jx

        ez = np.zeros(n + 1)
        ez[n] = 1.0
        y0 = newton(np.concatenate([x0, [z0]]), np.concatenate([x0, [z0]]), ez, 0.0)
        if y0 is None:
            raise RuntimeError(f"continue_equilibria: Newton's method found no equilibrium of the fast subsystem "
                               f"near x={x0} at z={z0}; pass a better x_start/z_start.")
        lo, hi = z_bounds
        halves, specials = [], []
        for direction in (+1.0, -1.0):
            y, (t, eig, _) = y0, tangent_eigs(y0, direction * ez)
            ys, eigs = [y], [eig]
            psi = np.array([t[n], _hopf_test(eig)])
            step = ds
            for _ in range(max_steps):
                yn = newton(y + step * t, y, t, step)
                tn = None
                if yn is not None:
                    tn, eign, _ = tangent_eigs(yn, t)
                    if np.dot(tn, t) < 0.95:
                        yn = None
                if yn is None:
                    step *= 0.5
                    if step < 1e-9:
                        break
                    continue
                psin = np.array([tn[n], _hopf_test(eign)])
                for k, kind in enumerate(("fold", "hopf")):
                    if psi[k] * psin[k] < 0:
                        sp = _locate(kind, k, y, t, step, psi[k], psin[k], newton, tangent_eigs, n)
                        if sp is not None and lo <= sp.z <= hi:
                            specials.append(sp)
                y, t, psi = yn, tn, psin
                ys.append(y)
                eigs.append(eign)
                if not lo <= y[n] <= hi:
                    break
                step = min(step * 1.3, ds_max)
            halves.append((ys, eigs))
        (yf, ef), (yb, eb) = halves
        ys = yb[::-1] + yf[1:]
        eigs = eb[::-1] + ef[1:]
        Y = np.array(ys)
        E = np.array(eigs)
        # Drop duplicates of special points met from both sides of the start (none in practice, but cheap).
        unique: list[FastSubsystemPoint] = []
        for sp in specials:
            if not any(u.kind == sp.kind and abs(u.z - sp.z) < 1e-9 for u in unique):
                unique.append(sp)
        return dict(z=Y[:, n], x=Y[:, :n], stable=np.all(E.real < 0, axis=1), eigenvalues=E,
                    special_points=sorted(unique, key=lambda p: p.z))


def _locate(kind, k, ya, ta, sb, fa, fb, newton, tangent_eigs, n) -> FastSubsystemPoint | None:
    a, b = 0.0, float(sb)
    best = None
    for _ in range(60):
        c = b - fb * (b - a) / (fb - fa)
        yc = newton(ya + c * ta, ya, ta, c)
        if yc is None:
            return None
        tc, eig, Jx = tangent_eigs(yc, ta)
        fc = tc[n] if kind == "fold" else _hopf_test(eig)
        best = (yc, eig, Jx)
        if fc == 0.0:
            break
        if np.sign(fc) != np.sign(fb):
            a, fa = b, fb
        else:
            fa *= 0.5
        b, fb = c, fc
        if abs(b - a) <= 1e-13 * (1.0 + abs(sb)):
            break
    if best is None:
        return None
    yc, eig, Jx = best
    if kind == "fold":
        return FastSubsystemPoint("fold", float(yc[n]), yc[:n].copy())
    scale = 1.0 + np.abs(eig).max()
    pair = np.nonzero((np.abs(eig.real) < 1e-6 * scale) & (eig.imag > 1e-6 * scale))[0]
    if pair.size == 0:
        return None  # a neutral saddle (real pair lambda, -lambda), not a Hopf point
    lam = eig[pair[0]]
    w, V = np.linalg.eig(Jx)
    q = V[:, int(np.argmin(np.abs(w - lam)))]
    return FastSubsystemPoint("hopf", float(yc[n]), yc[:n].copy(), float(lam.imag), q)


def _spiking_cycles(f, traj, slow, fast_idx, dt, probe_time, bounds, opts, known) -> list[CycleBranch]:
    """Cycle branches through the fast subsystem's cycle at the trajectory's highest spike (see fast_slow_analysis)."""
    spread = np.ptp(traj[:, fast_idx], axis=0)
    var = int(np.argmax(spread))
    k = int(np.argmax(traj[:, fast_idx[var]]))
    z = float(traj[k, slow])
    if not bounds[0] <= z <= bounds[1]:
        return []
    t, xs = simulate_rk4(lambda x: f(x, z), traj[k, fast_idx], probe_time, dt, 1)
    half = xs[xs.shape[0] // 2:]
    if not np.all(np.isfinite(half)) or np.ptp(half[:, var]) < 1e-3 * spread[var]:
        return []  # the frozen fast subsystem rests: no spiking cycle at this z
    try:
        orbit, period = cycle_from_trajectory(t[xs.shape[0] // 2:], half, variable=var)
    except ValueError:
        return []
    for br in known:  # already on a branch from a Hopf point: nothing new
        if br.params.min() <= z <= br.params.max():
            i = int(np.argmin(np.abs(br.params - z)))
            if abs(br.maxima[i, var] - orbit[:, var].max()) < 1e-2 * spread[var]:
                return []
    out = []
    for direction in (+1, -1):
        try:
            out.append(continue_cycles(f, orbit, period, z, direction=direction, **opts))
        except RuntimeError:
            break
    return out


@lru_cache(maxsize=32)
def _fast_subsystem(F: Callable, n: int, slow: int) -> Callable:
    """``f(x, z)``: the fast components of ``F`` with the slow variable frozen at ``z`` (one object per ``F``, so
    compiled kernels are reused across calls)."""
    fast_idx = np.array([i for i in range(n) if i != slow])

    def f(x, z):
        u = jnp.zeros(n, dtype=jnp.result_type(x, z)).at[fast_idx].set(x).at[slow].set(z)
        return F(u)[fast_idx]

    return f


def state_field(system: Any, params: dict | None, who: str) -> Callable:
    """``F(u)``: a System's vector field with its parameters fixed (defaults overridden by ``params``); one function
    object per parameter set, cached on the System, so compiled kernels keyed by it are reused."""
    p = system.params_vector(params, who=who)

    def build() -> Callable:
        base = np.asarray(p, np.float64)
        return lambda u: system.F(u, jnp.asarray(base))

    return system.compiled(("state_field", tuple(p.tolist())), build)


def _resolve_model(name: str, F: Any, u0: Any, slow_index: Any, params: dict | None, names: Any) -> tuple:
    """Turn a model or System into ``(F(u), u0, slow_index, names)``; plain callables pass through."""
    from ._system import System, _is_model, as_system

    if isinstance(F, System) or _is_model(F):
        system = as_system(F)
        field = state_field(system, params, name)
        names = tuple(system.variable_names) if names is None else names
        if u0 is None:
            if system.initial_state is None:
                raise ValueError(f"{name}: {system.name} has no initial state; pass u0={{...}} with every variable "
                                 f"({', '.join(system.variable_names)}).")
            u0 = system.initial_state
        if isinstance(u0, dict):
            u0 = system.state_vector(u0, fill=system.initial_state, who=name, arg="u0")
        if isinstance(slow_index, str):
            slow_index = system.variable_index(slow_index, who=name, arg="slow_index")
        return field, u0, slow_index, names
    if params is not None:
        raise TypeError(f"{name}: params= applies to a brainlab model or System; for a plain function F(u) close "
                        "over the parameter values instead (e.g. functools.partial).")
    if not callable(F):
        raise TypeError(f"{name}: F must be a callable F(u) -> du/dt or a brainlab model, got {type(F).__name__}.")
    if u0 is None:
        raise TypeError(f"{name}: pass the initial state u0 of the simulation (a vector).")
    if isinstance(slow_index, str):
        if names is None or slow_index not in tuple(names):
            raise ValueError(f"{name}: slow_index={slow_index!r} is a name; pass names=[...] that contains it, or the "
                             "index of the slow variable.")
        slow_index = list(names).index(slow_index)
    return F, u0, slow_index, names


def fast_slow_analysis(
    F: Any, u0: Any = None, *, slow_index: int | str, z_bounds: tuple[float, float], t_final: float,
    params: dict | None = None, dt: float = 0.01,
    record_every: int = 10, transient: float = 0.0, z_start: float | None = None, x_start: Any = None,
    ds: float = 0.02, max_steps: int = 1000, cycles: bool = True, spiking_cycles: bool = True,
    probe_time: float | None = None, cycle_options: dict | None = None, names: Sequence[str] | None = None,
) -> FastSlowResult:
    """Fast-slow analysis of a burster with one slow variable.

    The full system :math:`\\dot u = F(u)` is split into fast variables :math:`x` (all but ``slow_index``) and the
    slow variable :math:`z = u_{\\rm slow}`. The fast subsystem :math:`\\dot x = f(x, z)` is continued in :math:`z`
    (equilibria, folds, Hopf points; :func:`continue_equilibria`), cycles are continued from every Hopf point
    (:func:`~brainlab.analysis.continue_cycles_from_hopf`), and the full system is simulated from ``u0`` with RK4
    (float64) for the overlay in the :math:`(z, x)` plane.

    Args:
        F: the full vector field ``F(u) -> du/dt``, JAX-traceable, parameters closed over (time unit: the model's,
            e.g. ms for a conductance model); or a brainlab model (``bl.neurons.HindmarshRose(1)``) or a
            :class:`~brainlab.analysis.System`, whose variable names then name the plot's axes.
        u0: initial state of the simulation (a vector, or for a model a ``{variable: value}`` dict; default for a
            model: its initial state).
        slow_index: index of the slow variable in ``u``, or its name (``'z'``) for a model or with ``names``.
        params: for a model: parameter values overriding its own (``{'I_ext': 2.0}``).
        z_bounds: range of the slow variable for the diagram.
        t_final, dt, record_every, transient: simulation length, RK4 step, recording stride, and the initial time
            dropped from the overlay.
        z_start, x_start: where to start the equilibrium continuation (default: the trajectory sample closest to
            an equilibrium of the fast subsystem).
        ds, max_steps: arclength step and step budget of the equilibrium continuation.
        cycles: continue the fast subsystem's cycles (from every Hopf point, and see ``spiking_cycles``);
            ``cycle_options`` are passed to ``continue_cycles_from_hopf`` and ``continue_cycles``. A branch whose
            start fails is skipped with a warning.
        spiking_cycles: also continue the cycle the trajectory spikes on, which is often born at a Hopf point
            outside ``z_bounds`` (or at a homoclinic orbit): the fast subsystem is frozen at the slow value of the
            trajectory's highest spike and simulated for ``probe_time`` (default a tenth of the run); if it settles
            on a cycle, :func:`~brainlab.analysis.continue_cycles` follows it both ways in :math:`z`.
        names: variable names for the plot.

    Example (a brainlab model: ``fast_slow_analysis(bl.neurons.HindmarshRose(1), slow_index='z',
    params={'I_ext': 2.}, z_bounds=(1.5, 3.5), t_final=1000.)``; or a plain function):
        >>> import jax.numpy as jnp
        >>> def hr(u, a=1., b=3., c=1., d=5., s=4., xr=-1.6, r=0.001, I=2.):  # Hindmarsh-Rose
        ...     x, y, z = u
        ...     return jnp.stack([y - a * x**3 + b * x**2 - z + I, c - d * x**2 - y, r * (s * (x - xr) - z)])
        >>> res = fast_slow_analysis(hr, [-1.6, -12., 2.], slow_index=2, z_bounds=(1.5, 3.5), t_final=1000.,
        ...                          cycles=False)
        >>> sorted(round(p.z, 6) for p in res.folds)
        [1.814815, 3.0]

    Limits: one slow variable only; the equilibrium curve is followed from one start point, so branches not
    connected to it are missed (pass another ``x_start``); cycle branches end near homoclinic orbits when the
    period exceeds ``max_period`` or the mesh can no longer resolve them.
    """
    name = "fast_slow_analysis"
    F, u0, slow_index, names = _resolve_model(name, F, u0, slow_index, params, names)
    u0 = np.asarray(u0, dtype=float)
    if u0.ndim != 1 or u0.size < 2:
        raise ValueError(f"{name}: u0 must be a state vector with at least two variables, got shape {u0.shape}.")
    n = u0.size
    if int(slow_index) != slow_index or not -n <= slow_index < n:
        raise ValueError(f"{name}: slow_index={slow_index} is not an index of the {n}-variable state.")
    slow = int(slow_index) % n
    try:
        lo, hi = (float(v) for v in z_bounds)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: z_bounds must be a pair (z_min, z_max), got {z_bounds!r}.") from None
    if not lo < hi:
        raise ValueError(f"{name}: z_bounds={z_bounds!r} needs z_min < z_max.")
    if not (dt > 0 and t_final > transient >= 0):
        raise ValueError(f"{name}: need dt > 0 and t_final > transient >= 0; got dt={dt}, t_final={t_final}, "
                         f"transient={transient}.")
    if names is not None and len(names) != n:
        raise ValueError(f"{name}: names has {len(names)} entries for a {n}-variable state.")
    fast = tuple(i for i in range(n) if i != slow)
    fast_idx = np.array(fast)
    labels = tuple(str(v) for v in names) if names is not None else tuple(f"u{i}" for i in range(n))
    try:
        f = _fast_subsystem(F, n, slow)
    except TypeError:  # an unhashable callable: no caching
        f = _fast_subsystem.__wrapped__(F, n, slow)

    t, traj = simulate_rk4(F, u0, t_final, dt, record_every)
    if not np.all(np.isfinite(traj)):
        raise FloatingPointError(f"{name}: the RK4 simulation diverged (NaN/inf); reduce dt={dt}.")
    keep = t >= transient
    t, traj = t[keep], traj[keep]
    with jax.enable_x64(True):
        if z_start is None or x_start is None:
            inside = (traj[:, slow] >= lo) & (traj[:, slow] <= hi)
            cand = traj[inside] if np.any(inside) else traj
            resid = np.asarray(jax.jit(jax.vmap(lambda u: jnp.linalg.norm(f(u[fast_idx], u[slow]))))(cand))
            best = cand[int(np.argmin(resid))]
            z_start = float(best[slow]) if z_start is None else float(z_start)
            x_start = best[fast_idx] if x_start is None else x_start
        x_start = np.asarray(x_start, dtype=float)
        if x_start.shape != (n - 1,):
            raise ValueError(f"{name}: x_start must hold the {n - 1} fast variables, got shape {x_start.shape}.")
        eq = continue_equilibria(f, x_start, float(z_start), z_bounds=(lo, hi), ds=ds, max_steps=max_steps)
        branches = []
        if cycles:
            opts = dict(cycle_options or {})
            opts.setdefault("p_bounds", (lo, hi))
            opts.setdefault("param_name", labels[slow])
            opts.setdefault("variable_names", [labels[i] for i in fast])
            for sp in eq["special_points"]:
                if sp.kind == "hopf":
                    try:
                        branches.append(continue_cycles_from_hopf(f, sp.z, sp.x, sp.omega, sp.eigenvector, **opts))
                    except RuntimeError as err:
                        warnings.warn(f"{name}: no cycle branch from the Hopf point at z={sp.z:.6g}: {err}",
                                      RuntimeWarning, stacklevel=2)
            if spiking_cycles:
                branches.extend(_spiking_cycles(f, traj, slow, fast_idx, dt, probe_time or 0.1 * (t_final - transient),
                                                (lo, hi), opts, branches))
    return FastSlowResult(slow, fast, eq["z"], eq["x"], eq["stable"], eq["eigenvalues"],
                          tuple(eq["special_points"]), tuple(branches), t, traj, labels)
