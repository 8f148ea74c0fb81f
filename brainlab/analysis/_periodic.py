"""Continuation of periodic orbits (limit cycles) in one parameter, from a Hopf point or from a simulated cycle.

See :mod:`brainlab.analysis._collocation` for the discretisation and :mod:`brainlab.analysis._floquet` for the
multipliers and bifurcation test functions.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Sequence

import jax
import numpy as np

from . import _collocation as col
from . import _floquet as flq

VectorField = Callable[[Any, Any], Any]
"""``F(x, p) -> dx/dt``: a JAX-traceable vector field, state ``x`` of shape ``(n,)``, one scalar parameter ``p``."""

_KINDS = ("fold_cycle", "period_doubling", "torus")


@dataclass(frozen=True)
class CycleSpecialPoint:
    """A located bifurcation of cycles on a :class:`CycleBranch`.

    ``kind`` is ``'fold_cycle'`` (fold/limit point of cycles, a second multiplier at +1), ``'period_doubling'``
    (a multiplier at -1) or ``'torus'`` (Neimark-Sacker: a complex pair on the unit circle). ``param`` and ``period``
    are in the units of the parameter and of time of ``F``; ``multipliers`` are sorted as in
    :attr:`CycleBranch.multipliers`; ``maxima``/``minima`` are the extremes of each variable over the cycle;
    ``orbit`` holds the node values on ``mesh`` (see :meth:`CycleBranch.orbit`); ``index`` is the branch index of
    the first computed point after it.
    """

    kind: str
    param: float
    period: float
    multipliers: np.ndarray
    maxima: np.ndarray
    minima: np.ndarray
    orbit: np.ndarray
    mesh: np.ndarray
    index: int

    @property
    def label(self) -> str:
        """Short plot label: ``LPC``, ``PD`` or ``TR`` (AUTO's names)."""
        return {"fold_cycle": "LPC", "period_doubling": "PD", "torus": "TR"}.get(self.kind, self.kind)

    def __repr__(self) -> str:
        mu = ", ".join(f"{m:.6g}" for m in self.multipliers)
        return f"CycleSpecialPoint({self.kind}: param={self.param:.10g}, period={self.period:.8g}; multipliers {mu})"


@dataclass(frozen=True, eq=False)
class CycleBranch:
    """A branch of periodic orbits, one row per continuation point (``m`` points, state dimension ``n``).

    Attributes:
        params: ``(m,)`` parameter values.
        periods: ``(m,)`` periods (time unit of ``F``, e.g. ms).
        maxima, minima: ``(m, n)`` largest and smallest value of each state variable over the orbit.
        multipliers: ``(m, n)`` complex Floquet multipliers; column 0 is the trivial multiplier (closest to 1),
            the others are sorted by decreasing modulus.
        stable: ``(m,)`` whether all non-trivial multipliers lie inside the unit circle.
        trivial_error: ``(m,)`` distance from 1 of the trivial multiplier of the discretised monodromy matrix. It is
            zero for the exact problem, so it measures how far the multipliers can be trusted: near a homoclinic
            orbit the monodromy matrix is ill-conditioned (entries grow like :math:`e^{\\lambda_u t}` of the saddle)
            and this error grows; add mesh intervals (``ntst``) when it exceeds ~1e-3. For planar systems
            (``n = 2``) the multipliers themselves come from Liouville's formula,
            :math:`\\mu = \\exp\\int_0^T \\mathrm{tr}\\,D_xF\\,dt`, which stays exact.
        orbits: ``(m, ntst*ncol + 1, n)`` collocation node values; ``meshes``: ``(m, ntst + 1)`` their meshes on
            the normalised time :math:`\\tau = t/T \\in [0, 1]`.
        ncol: collocation degree (needed to evaluate the orbits between nodes).
        special_points: located bifurcations of cycles, in the order met.
        stop_reason: why the continuation ended: ``'max_steps'``, ``'p_bounds'``, ``'max_period'``,
            ``'step_too_small'`` (Newton's method failed even for the smallest step), ``'homoclinic'`` (the period
            grows while the parameter no longer moves) or ``'equilibrium'`` (the cycle shrank onto an equilibrium,
            e.g. at a second Hopf point; the last point is then the smallest cycle computed).
        param: the parameter's name; ``variable_names``: the state variables' names (for plots).
    """

    params: np.ndarray
    periods: np.ndarray
    maxima: np.ndarray
    minima: np.ndarray
    multipliers: np.ndarray
    stable: np.ndarray
    trivial_error: np.ndarray
    orbits: np.ndarray
    meshes: np.ndarray
    ncol: int
    special_points: tuple[CycleSpecialPoint, ...] = field(default=())
    stop_reason: str = "max_steps"
    param: str = "p"
    variable_names: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return int(self.params.size)

    def special(self, kind: str) -> tuple[CycleSpecialPoint, ...]:
        """The special points of one kind (``'fold_cycle'``, ``'period_doubling'``, ``'torus'``)."""
        return tuple(sp for sp in self.special_points if sp.kind == kind)

    def orbit(self, index: int, num: int = 200) -> tuple[np.ndarray, np.ndarray]:
        """Times ``(num,)`` over one period and the orbit ``(num, n)`` of point ``index`` (uniform in time)."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"CycleBranch.orbit: index {index} is outside the branch of {len(self)} points.")
        tau = np.linspace(0.0, 1.0, int(num))
        x = col.evaluate(self.meshes[index], self.orbits[index], self.ncol, tau)
        return tau * self.periods[index], x

    def plot(self, variable: int | str | None = None, quantity: Literal["extrema", "period"] = "extrema",
             fig: Any = None) -> Any:
        """A bokeh figure of the branch: max/min of ``variable`` (index or name; default the first) against the
        parameter, or the period (``quantity='period'``). Stable cycles solid, unstable dashed, special points
        labelled; pass ``fig`` (e.g. an equilibrium diagram) to draw into it."""
        from ..plotting.cycles import plot_cycle_branch

        return plot_cycle_branch(self, variable=variable, quantity=quantity, fig=fig)

    def __repr__(self) -> str:
        sps = "".join(f"\n  {sp!r}" for sp in self.special_points)
        return (f"CycleBranch({self.param}: {len(self)} cycles in [{self.params.min():.6g}, {self.params.max():.6g}], "
                f"periods [{self.periods.min():.6g}, {self.periods.max():.6g}]; stopped: {self.stop_reason}{sps})")


@dataclass
class _Options:
    p_bounds: tuple[float, float]
    max_steps: int
    ds: float
    ds_min: float
    ds_max: float
    max_period: float
    adapt_mesh_every: int
    tol: float
    maxiter: int
    detect: bool
    min_amplitude: float
    param: str = "p"
    variable_names: tuple[str, ...] = ()


def _check_common(name: str, F, p_bounds, ntst, ncol, max_steps, ds, ds_min, ds_max, p0,
                  adapt_mesh_every) -> tuple[float, float]:
    if not callable(F):
        raise TypeError(f"{name}: F must be a callable F(x, p) -> dx/dt, got {type(F).__name__}.")
    try:
        lo, hi = (float(v) for v in p_bounds)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: p_bounds must be a pair (p_min, p_max), got {p_bounds!r}.") from None
    if not lo < hi:
        raise ValueError(f"{name}: p_bounds={p_bounds!r} needs p_min < p_max.")
    if not lo <= p0 <= hi:
        raise ValueError(f"{name}: the start parameter {p0} lies outside p_bounds={p_bounds!r}; widen p_bounds.")
    if int(ntst) != ntst or ntst < 4:
        raise ValueError(f"{name}: ntst={ntst} must be an integer >= 4 (mesh intervals; 20-100 is usual).")
    if int(ncol) != ncol or not 2 <= ncol <= 7:
        raise ValueError(f"{name}: ncol={ncol} must be an integer in 2..7 (collocation points per interval).")
    if int(max_steps) != max_steps or max_steps < 0:
        raise ValueError(f"{name}: max_steps={max_steps} must be a non-negative integer.")
    if not 0 < ds_min <= ds <= ds_max:
        raise ValueError(f"{name}: step sizes must satisfy 0 < ds_min <= ds <= ds_max, got "
                         f"ds_min={ds_min}, ds={ds}, ds_max={ds_max}.")
    if int(adapt_mesh_every) != adapt_mesh_every or adapt_mesh_every < 0:
        raise ValueError(f"{name}: adapt_mesh_every={adapt_mesh_every} must be a non-negative integer (0: fixed "
                         "uniform mesh).")
    return lo, hi


def _names(name: str, variable_names: Sequence[str] | None, n: int) -> tuple[str, ...]:
    if variable_names is None:
        return tuple(f"x{i}" for i in range(n))
    names = tuple(str(v) for v in variable_names)
    if len(names) != n:
        raise ValueError(f"{name}: variable_names has {len(names)} names for a {n}-variable state.")
    return names


def _eval_field(name: str, F, x, p) -> np.ndarray:
    try:
        fx = jax.jit(F)(np.asarray(x, dtype=np.float64), np.float64(p))
    except Exception as err:  # pragma: no cover - the message is what matters
        raise TypeError(f"{name}: calling F(x, p) with x of shape {np.shape(x)} and a scalar p failed: {err}") from err
    if fx.shape != np.shape(x):
        raise ValueError(f"{name}: F(x, p) must return an array of the state's shape {np.shape(x)}, "
                         f"got {fx.shape}.")
    return np.asarray(fx)


def continue_cycles_from_hopf(
    F: VectorField, p0: float, x0: Any, omega: float, q: Any, *, p_bounds: tuple[float, float],
    ntst: int = 40, ncol: int = 4, max_steps: int = 200, ds: float = 0.05, ds_min: float = 1e-7,
    ds_max: float = 0.5, amplitude0: float = 1e-3, max_period: float | None = None, adapt_mesh_every: int = 5,
    newton_tol: float = 1e-11, detect: bool = True, param_name: str = "p", variable_names: Sequence[str] | None = None,
) -> CycleBranch:
    """Continue the branch of limit cycles born at a Hopf point, by orthogonal collocation and pseudo-arclength.

    Near a Hopf point :math:`(x_0, p_0)` with :math:`D_xF\\,q = i\\omega q`, the cycles are
    :math:`x(t) \\approx x_0 + \\varepsilon\\,\\mathrm{Re}(q e^{i\\omega t})` with period
    :math:`T \\approx 2\\pi/\\omega`. The first cycle is found by Newton's method from that guess, with the
    arclength condition :math:`\\langle X - X_{\\rm Hopf}, t_0\\rangle = \\varepsilon` along
    :math:`t_0 = (\\mathrm{Re}(q e^{2\\pi i\\tau}), 0, 0)`;
    each later one by a predictor step along the unit tangent of the discretised branch and a Newton corrector
    (block Jacobian from ``jax.jacfwd`` of ``F``, sparse LU). The branch is one-sided (the side of
    :math:`p_0` is set by the first Lyapunov coefficient), so there is no direction to choose: it always starts with
    growing amplitude. Period, extrema, Floquet multipliers and stability are recorded at every point; folds of
    cycles, period doublings and tori are detected by sign changes of their test functions and located by an
    Illinois (regula falsi) iteration in arclength.

    Args:
        F: vector field ``F(x, p)``, JAX-traceable; ``x`` has shape ``(n,)``, ``p`` is the free parameter. Other
            parameters are closed over (use Python floats or float64 arrays: float32 constants limit accuracy).
        p0, x0: the Hopf parameter and equilibrium.
        omega: angular frequency at the Hopf point (rad per time unit of ``F``; ``2π/omega`` is the period).
        q: complex eigenvector for the eigenvalue :math:`+i\\omega` (its conjugate is accepted too).
        p_bounds: continuation stops when the parameter leaves ``(p_min, p_max)``.
        ntst, ncol: mesh intervals and Gauss points per interval (unknowns: ``(ntst*ncol + 1)*n + 2``).
        max_steps: the most continuation steps.
        ds, ds_min, ds_max: initial, smallest and largest arclength step (norm: RMS of the orbit, period, parameter).
        amplitude0: RMS distance from the equilibrium of the first cycle.
        max_period: stop above this period (default 100 times the Hopf period): the branch approaches a homoclinic.
        adapt_mesh_every: redistribute the mesh every this many steps (0: keep it uniform).
        newton_tol: relative step tolerance of Newton's method.
        detect: detect and locate bifurcations of cycles.
        param_name, variable_names: names used by the plots (default ``'p'`` and ``x0, x1, ...``).

    Returns:
        A :class:`CycleBranch`.

    Example:
        >>> import jax.numpy as jnp, numpy as np
        >>> def F(x, mu):  # Hopf normal form, supercritical: cycles of radius sqrt(mu), period 2 pi
        ...     r2 = x[0] ** 2 + x[1] ** 2
        ...     return jnp.stack([mu * x[0] - x[1] - r2 * x[0], x[0] + mu * x[1] - r2 * x[1]])
        >>> br = continue_cycles_from_hopf(F, 0.0, np.zeros(2), 1.0, np.array([1, -1j]) / np.sqrt(2),
        ...                                p_bounds=(-1, 1), max_steps=20)
        >>> bool(np.allclose(br.periods, 2 * np.pi))
        True

    Units: ``p`` in the model's parameter unit (e.g. µA/cm² for an applied current), time in the model's unit (ms
    for a neuron model), so periods come out in ms and ``omega`` is in rad/ms.

    Limits: the orbit is resolved by ``ntst`` polynomial pieces on an adaptive mesh; very stiff (relaxation) cycles
    need more intervals. Close to a homoclinic orbit the period diverges, the continuation stops
    (``stop_reason='homoclinic'``) and, for ``n > 2``, the Floquet multipliers lose accuracy (watch
    :attr:`CycleBranch.trivial_error`). Branch points of cycles are not detected.

    References: the collocation scheme and its condensation for Floquet multipliers follow AUTO (Doedel, Keller &
    Kernevez 1991, "Numerical analysis and control of bifurcation problems (II)", Int. J. Bifurcation Chaos 1:745);
    test functions as in Kuznetsov, "Elements of Applied Bifurcation Theory", 3rd ed. (2004), Sec. 10.3.
    """
    name = "continue_cycles_from_hopf"
    p0 = float(p0)
    lo, hi = _check_common(name, F, p_bounds, ntst, ncol, max_steps, ds, ds_min, ds_max, p0, adapt_mesh_every)
    if not (math.isfinite(float(omega)) and float(omega) > 0):
        raise ValueError(f"{name}: omega={omega} must be a positive angular frequency (rad per time unit).")
    if not amplitude0 > 0:
        raise ValueError(f"{name}: amplitude0={amplitude0} must be positive (1e-4..1e-2 of the state's scale).")
    with jax.enable_x64(True):
        x0 = np.asarray(x0, dtype=float)
        q = np.asarray(q, dtype=complex)
        if x0.ndim != 1 or q.shape != x0.shape:
            raise ValueError(f"{name}: x0 must be a vector (n,) and q a complex vector of the same shape; "
                             f"got x0 {x0.shape}, q {q.shape}.")
        if not np.all(np.isfinite(x0)) or not np.all(np.isfinite(q)) or np.linalg.norm(q) == 0:
            raise ValueError(f"{name}: x0 and q must be finite and q non-zero.")
        omega = float(omega)
        fx = _eval_field(name, F, x0, p0)
        J = np.asarray(_jacobian_of(F)(x0, np.float64(p0)))
        scale = np.linalg.norm(J) + omega
        if np.linalg.norm(fx) > 1e-6 * (1.0 + np.linalg.norm(J) * (1.0 + np.linalg.norm(x0))):
            raise ValueError(f"{name}: x0 is not an equilibrium of F at p0 (|F(x0, p0)| = {np.linalg.norm(fx):.3g});"
                             " pass the Hopf point's equilibrium.")
        q = q / np.linalg.norm(q)
        if np.linalg.norm(J @ q - 1j * omega * q) > 1e-5 * scale:
            if np.linalg.norm(J @ q + 1j * omega * q) <= 1e-5 * scale:
                q = np.conj(q)
            else:
                raise ValueError(f"{name}: q is not an eigenvector of the Jacobian for the eigenvalue i*omega "
                                 f"(|J q - i omega q| = {np.linalg.norm(J @ q - 1j * omega * q):.3g}); pass the "
                                 "critical eigenvector and omega of the Hopf point.")
        n = x0.size
        kern = col.collocation_kernels(F, n, int(ntst), int(ncol))
        mesh = np.linspace(0.0, 1.0, int(ntst) + 1)
        tau = col.node_times(mesh, int(ncol))
        phi = np.real(q[None, :] * np.exp(2j * np.pi * tau)[:, None])
        T0 = 2.0 * np.pi / omega
        Xh = kern.pack(np.tile(x0, (kern.nnodes, 1)), T0, p0)
        t0 = kern.pack(phi, 0.0, 0.0)
        t0 = t0 / math.sqrt(float(kern.inner(t0, t0, mesh)))
        X1, it, dx, res = kern.newton(Xh + amplitude0 * t0, mesh, phi, Xh, t0, amplitude0, newton_tol, 30)
        if not _converged(X1, dx, res, newton_tol):
            raise RuntimeError(f"{name}: Newton's method did not converge to the first cycle (step {float(dx):.2g}, "
                               f"residual {float(res):.2g}); check omega and q, or try a smaller amplitude0.")
        opts = _Options((lo, hi), int(max_steps), float(ds), float(ds_min), float(ds_max),
                        float(max_period) if max_period is not None else 100.0 * T0, int(adapt_mesh_every),
                        float(newton_tol), 12, bool(detect), 0.5 * amplitude0, str(param_name),
                        _names(name, variable_names, n))
        return _continue(kern, np.asarray(X1), t0, mesh, phi, opts)


def continue_cycles(
    F: VectorField, orbit0: Any, T0: float, p0: float, *, p_bounds: tuple[float, float], direction: int = +1,
    times: Any = None, ntst: int = 40, ncol: int = 4, max_steps: int = 200, ds: float = 0.05,
    ds_min: float = 1e-7, ds_max: float = 0.5, max_period: float | None = None, adapt_mesh_every: int = 5,
    newton_tol: float = 1e-11, detect: bool = True, param_name: str = "p", variable_names: Sequence[str] | None = None,
) -> CycleBranch:
    """Correct a simulated limit cycle by collocation, then continue it in the parameter.

    ``orbit0`` samples one period of an (approximate) cycle at parameter ``p0``; it is interpolated onto the
    collocation mesh and corrected by Newton's method with :math:`p = p_0` fixed and :math:`T` free. The first point
    of the returned branch is that corrected cycle (``max_steps=0`` returns only it), then the branch is followed in
    the parameter direction ``direction`` as in :func:`continue_cycles_from_hopf`.

    Args:
        F: vector field ``F(x, p)`` (see :func:`continue_cycles_from_hopf`).
        orbit0: ``(m, n)`` states over one period, e.g. from :func:`cycle_from_trajectory`.
        T0: the period estimate (time unit of ``F``).
        p0: the parameter value of the simulation.
        p_bounds: continuation stops when the parameter leaves ``(p_min, p_max)``.
        direction: ``+1`` to start towards larger ``p``, ``-1`` towards smaller.
        times: ``(m,)`` sample times in ``[0, T0)`` (default: uniform, ``k*T0/m``).
        Others: as in :func:`continue_cycles_from_hopf`.

    Example:
        >>> import jax.numpy as jnp, numpy as np
        >>> def vdp(x, mu):
        ...     return jnp.stack([x[1], mu * (1 - x[0] ** 2) * x[1] - x[0]])
        >>> t = np.linspace(0, 6.6, 200, endpoint=False)
        >>> guess = np.stack([2 * np.cos(2 * np.pi * t / 6.6), -2 * np.sin(2 * np.pi * t / 6.6)], axis=1)
        >>> br = continue_cycles(vdp, guess, 6.6, 1.0, p_bounds=(0.5, 2.0), max_steps=0)
        >>> round(float(br.periods[0]), 6)
        6.663287

    Limits: the guess must be close enough for Newton's method (a sampled cycle after transients is; a rough sketch
    may not be), and the samples must cover exactly one period.
    """
    name = "continue_cycles"
    p0 = float(p0)
    lo, hi = _check_common(name, F, p_bounds, ntst, ncol, max_steps, ds, ds_min, ds_max, p0, adapt_mesh_every)
    if direction not in (1, -1):
        raise ValueError(f"{name}: direction={direction!r} must be +1 (increasing p) or -1 (decreasing p).")
    if not (math.isfinite(float(T0)) and float(T0) > 0):
        raise ValueError(f"{name}: T0={T0} must be a positive period.")
    with jax.enable_x64(True):
        orbit0 = np.asarray(orbit0, dtype=float)
        if orbit0.ndim != 2 or orbit0.shape[0] < 8:
            raise ValueError(f"{name}: orbit0 must be an array (m, n) of at least 8 states over one period; got "
                             f"shape {orbit0.shape}.")
        if not np.all(np.isfinite(orbit0)):
            raise ValueError(f"{name}: orbit0 contains NaN or inf.")
        m, n = orbit0.shape
        T0 = float(T0)
        if times is None:
            s = np.arange(m) / m
        else:
            times = np.asarray(times, dtype=float)
            if times.shape != (m,):
                raise ValueError(f"{name}: times must have shape ({m},) like orbit0's first axis, got {times.shape}.")
            s = (times - times[0]) / T0
        _eval_field(name, F, orbit0[0], p0)
        kern = col.collocation_kernels(F, n, int(ntst), int(ncol))
        mesh = np.linspace(0.0, 1.0, int(ntst) + 1)

        def sampled(mesh):
            tau = col.node_times(mesh, int(ncol))
            return np.stack([np.interp(tau, s, orbit0[:, k], period=1.0) for k in range(n)], axis=1)

        u0 = sampled(mesh)
        for _ in range(3 if adapt_mesh_every > 0 else 0):  # fit the mesh to the samples before Newton
            mesh = col.adapt_mesh(mesh, u0, int(ncol))
            u0 = sampled(mesh)
        X0 = kern.pack(u0, T0, p0)
        ep = np.zeros_like(X0)
        ep[-1] = 1.0
        X1, it, dx, res = kern.newton(X0, mesh, u0, X0, ep, 0.0, newton_tol, 40)
        if not _converged(X1, dx, res, newton_tol):
            raise RuntimeError(f"{name}: Newton's method did not converge from orbit0 (step {float(dx):.2g}, "
                               f"residual {float(res):.2g}); pass one full period of a converged simulation "
                               "(after transients) and its period.")
        if adapt_mesh_every > 0:  # once more on the corrected cycle
            u1, T1, _ = kern.split(X1)
            new_mesh = col.adapt_mesh(mesh, u1, int(ncol))
            X2 = kern.pack(col.remesh(mesh, new_mesh, u1, int(ncol)), T1, p0)
            X2, it, dx, res = kern.newton(X2, new_mesh, kern.split(X2)[0], X2, ep, 0.0, newton_tol, 40)
            if _converged(X2, dx, res, newton_tol):
                X1, mesh = X2, new_mesh
        X1 = np.asarray(X1)
        amp = float(np.ptp(kern.split(X1)[0], axis=0).max())
        opts = _Options((lo, hi), int(max_steps), float(ds), float(ds_min), float(ds_max),
                        float(max_period) if max_period is not None else 100.0 * kern.split(X1)[1],
                        int(adapt_mesh_every), float(newton_tol), 12, bool(detect), 1e-3 * amp, str(param_name),
                        _names(name, variable_names, n))
        return _continue(kern, X1, direction * ep, mesh, kern.split(X1)[0], opts)


def cycle_from_trajectory(t: Any, x: Any, *, variable: int = 0, level: float | None = None,
                          num: int = 400) -> tuple[np.ndarray, float]:
    """One period of a simulated limit cycle, from the last two upward crossings of a level.

    Finds the last two times :math:`t_1 < t_2` where ``x[:, variable]`` crosses ``level`` upwards (default: the
    mid-range of the last half of the run), linearly interpolated, and resamples :math:`x` on
    ``num`` uniform times in :math:`[t_1, t_2)`. Returns ``(orbit (num, n), period)`` ready for
    :func:`continue_cycles`.

    Limits: needs a run that has settled on the cycle and a level crossed exactly once upwards per period (for
    bursting or multi-loop cycles choose ``variable``/``level`` accordingly); the accuracy of the period is that of
    the simulation and of linear interpolation, which is why :func:`continue_cycles` corrects it.
    """
    name = "cycle_from_trajectory"
    t = np.asarray(t, dtype=float)
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or t.shape != (x.shape[0],):
        raise ValueError(f"{name}: t must be (m,) and x (m, n); got {t.shape} and {x.shape}.")
    if not 0 <= variable < x.shape[1]:
        raise ValueError(f"{name}: variable={variable} is not a state index of x (0..{x.shape[1] - 1}).")
    v = x[:, variable]
    if level is None:
        tail = v[v.size // 2:]
        level = 0.5 * (tail.max() + tail.min())
    up = np.nonzero((v[:-1] < level) & (v[1:] >= level))[0]
    if up.size < 2:
        raise ValueError(f"{name}: x[:, {variable}] crosses level {level:.4g} upwards fewer than twice; simulate "
                         "longer or pass a level inside the oscillation.")
    times = [t[i] + (level - v[i]) * (t[i + 1] - t[i]) / (v[i + 1] - v[i]) for i in up[-2:]]
    period = times[1] - times[0]
    ts = times[0] + period * np.arange(num) / num
    orbit = np.stack([np.interp(ts, t, x[:, k]) for k in range(x.shape[1])], axis=1)
    return orbit, float(period)


_JACOBIANS: dict = {}


def _jacobian_of(F: VectorField) -> Callable:
    """``jax.jit(jax.jacfwd(F))``, built once per ``F`` (a fresh ``jacfwd`` wrapper would recompile every call)."""
    try:
        fn = _JACOBIANS.get(F)
    except TypeError:  # unhashable callable
        return jax.jit(jax.jacfwd(F))
    if fn is None:
        if len(_JACOBIANS) >= 32:
            _JACOBIANS.pop(next(iter(_JACOBIANS)))
        fn = _JACOBIANS[F] = jax.jit(jax.jacfwd(F))
    return fn


def _converged(X, dx, res, tol) -> bool:
    """Newton's last step met the tolerance (``res`` is the residual before it, a sanity check only)."""
    X = np.asarray(X)
    scale = 1.0 + np.abs(X).max()
    return bool(np.all(np.isfinite(X)) and float(dx) <= 10.0 * tol * scale and float(res) < 1e-5 * scale)


def _test_values(t: np.ndarray, mu: np.ndarray) -> np.ndarray:
    return np.array([t[-1], flq.psi_period_doubling(mu), flq.psi_torus(mu)])


def _analyse(kern: col.CollocationKernels, X, mesh, uref, tprev) -> tuple[np.ndarray, np.ndarray, float]:
    """Tangent, multipliers and the trivial multiplier's distance from 1 (a check on the discretisation)."""
    t, transfers, logdet = kern.analyse(X, mesh, uref, tprev)
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(transfers))):
        return t, np.full(kern.n, np.nan, dtype=complex), np.nan
    mu = flq.multipliers_from_transfers(transfers)
    error = float(abs(mu[0] - 1.0))
    if kern.n == 2:
        mu = flq.planar_multipliers(logdet)
    return t, mu, error


def _continue(kern: col.CollocationKernels, X: np.ndarray, tprev: np.ndarray, mesh: np.ndarray,
              uref: np.ndarray, o: _Options) -> CycleBranch:
    ncol = kern.ncol
    t, mu, err = _analyse(kern, X, mesh, uref, tprev)
    rows: list[tuple] = []
    specials: list[CycleSpecialPoint] = []

    def record(X, mu, err, mesh):
        u, T, p = kern.split(X)
        mx, mn = col.extrema(mesh, u, ncol)
        rows.append((p, T, mx, mn, mu, flq.is_stable(mu), err, u, mesh.copy()))

    record(X, mu, err, mesh)
    psi = _test_values(t, mu)
    ds = o.ds
    stop = "max_steps"
    steps = 0
    while steps < o.max_steps:
        u_prev = kern.split(X)[0]
        Xn, _, dx, res = kern.newton(X + ds * t, mesh, u_prev, X, t, ds, o.tol, o.maxiter)
        ok = _converged(Xn, dx, res, o.tol)
        if ok:
            tn, mun, errn = _analyse(kern, Xn, mesh, u_prev, t)
            ok = bool(np.all(np.isfinite(mun))) and kern.inner(tn, t, mesh) > 0.9
        if not ok:
            ds *= 0.5
            if ds < o.ds_min:
                stop = "step_too_small"
                break
            continue
        steps += 1
        psin = _test_values(tn, mun)
        if o.detect:
            for k, kind in enumerate(_KINDS):
                if np.sign(psi[k]) * np.sign(psin[k]) < 0:
                    sp = _locate(kern, kind, k, X, t, mesh, u_prev, ds, psi[k], psin[k], len(rows), o)
                    if sp is not None and o.p_bounds[0] <= sp.param <= o.p_bounds[1]:
                        specials.append(sp)
        _, Tn, pn = kern.split(Xn)
        if not o.p_bounds[0] <= pn <= o.p_bounds[1]:
            stop = "p_bounds"
            break
        X, t, psi = Xn, tn, psin
        record(X, mun, errn, mesh)
        if Tn > o.max_period:
            stop = "max_period"
            break
        if len(rows) > 10:  # the period keeps growing while the parameter has stopped moving
            params = np.array([r[0] for r in rows])
            growth = (Tn - rows[-10][1]) / Tn
            # (a canard explosion also grows the period at an almost fixed parameter, but there the amplitude grows
            # with it, while next to a homoclinic orbit the cycle has settled onto the loop: its amplitude stays)
            amp_now, amp_before = (float(np.max(r[2] - r[3])) for r in (rows[-1], rows[-10]))
            settled = abs(amp_now - amp_before) < 0.02 * amp_now
            if settled and growth > 0.02 and np.ptp(params[-10:]) < 1e-3 * growth * np.ptp(params):
                stop = "homoclinic"
                break
        if steps >= 3 and float(np.max(rows[-1][2] - rows[-1][3])) < o.min_amplitude:
            stop = "equilibrium"
            break
        if steps >= 3 and _passed_hopf(rows):  # a large step went through a Hopf point and came back out
            last = len(rows) - 1
            rows.pop()
            specials = [sp for sp in specials if sp.index < last]
            stop = "equilibrium"
            break
        ds = min(ds * 1.3, o.ds_max)
        if o.adapt_mesh_every > 0 and steps % o.adapt_mesh_every == 0:
            u, T, p = kern.split(X)
            new_mesh = col.adapt_mesh(mesh, u, ncol)
            tu = col.remesh(mesh, new_mesh, kern.split(t)[0], ncol)
            X = kern.pack(col.remesh(mesh, new_mesh, u, ncol), T, p)
            t = kern.pack(tu, t[-2], t[-1])
            mesh = new_mesh
            t = t / math.sqrt(kern.inner(t, t, mesh))
    p, T, mx, mn, mu, st, err, u, meshes = (np.asarray(v) for v in zip(*rows))
    # The trivial multiplier of the discretised monodromy matrix should be 1.  Next to a homoclinic orbit (long
    # periods) its error grows because that matrix becomes ill-conditioned, which is expected and documented; on
    # shorter cycles a large error means the mesh does not resolve them.
    bad = (np.nan_to_num(err, nan=np.inf) > 0.05) & (T < 3.0 * T.min())
    if bad.any():
        k = int(np.argmax(np.where(bad, np.nan_to_num(err, nan=np.inf), -1.0)))
        warnings.warn(
            f"limit cycles: {int(bad.sum())} of {len(rows)} cycles are poorly resolved by the mesh (the trivial "
            f"Floquet multiplier is off by up to {err[k]:.2g}, at {o.param} = {p[k]:.8g}, period {T[k]:.6g}); their "
            f"multipliers, stability and bifurcations of cycles may be wrong there. Pass more mesh intervals, e.g. "
            f"ntst={2 * kern.ntst} (stiff relaxation and canard cycles need them).", RuntimeWarning, stacklevel=3)
    return CycleBranch(p, T, mx, mn, mu, st.astype(bool), err, u, meshes, ncol, tuple(specials), stop, o.param,
                       o.variable_names or tuple(f"x{i}" for i in range(kern.n)))


def _passed_hopf(rows: list) -> bool:
    """Whether the last step went through a Hopf point: the amplitude had a local minimum at the previous point,
    small (under 10% of the branch's largest) and the parameter turned back there too.  Past a Hopf point the
    continuation would retrace the same cycles (phase-shifted), which a fold of cycles does not do."""
    amps = [float(np.max(r[2] - r[3])) for r in rows[-3:]]
    ps = [float(r[0]) for r in rows[-3:]]
    biggest = max(float(np.max(r[2] - r[3])) for r in rows)
    turned = (ps[1] - ps[0]) * (ps[2] - ps[1]) < 0
    return turned and amps[1] < min(amps[0], amps[2]) and amps[1] < 0.1 * biggest


def _locate(kern, kind, k, Xa, ta, mesh, ua, sb, fa, fb, index, o) -> CycleSpecialPoint | None:
    """Zero of test function ``k`` between arclength 0 (``Xa``) and ``sb``, by the Illinois method."""

    last = [0.0, np.asarray(Xa)]  # the latest corrected point: a closer predictor than Xa for the next trial

    def at(s):
        s0, X0 = last
        Xs, _, dx, res = kern.newton(X0 + (s - s0) * ta, mesh, ua, Xa, ta, s, o.tol, o.maxiter)
        if not _converged(Xs, dx, res, o.tol):
            if s0 == 0.0:
                return None
            Xs, _, dx, res = kern.newton(Xa + s * ta, mesh, ua, Xa, ta, s, o.tol, o.maxiter)
            if not _converged(Xs, dx, res, o.tol):
                return None
        last[:] = [s, Xs]
        ts, mus, _ = _analyse(kern, Xs, mesh, ua, ta)
        return _test_values(ts, mus)[k], Xs, mus

    a, b = 0.0, float(sb)
    best = None
    for _ in range(60):
        c = b - fb * (b - a) / (fb - fa)
        got = at(c)
        if got is None:
            return None
        fc, Xc, muc = got
        best = (Xc, muc)
        if fc == 0.0:
            break
        if np.sign(fc) != np.sign(fb):
            a, fa = b, fb
        else:
            fa *= 0.5
        b, fb = c, fc
        if abs(b - a) <= 1e-12 * (1.0 + abs(sb)):
            break
    if best is None:
        return None
    Xc, muc = best
    if not flq.confirms(kind, muc):
        return None
    u, T, p = kern.split(Xc)
    mx, mn = col.extrema(mesh, u, kern.ncol)
    return CycleSpecialPoint(kind, p, T, muc, mx, mn, u, mesh.copy(), index)
