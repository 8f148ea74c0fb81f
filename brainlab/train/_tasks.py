r"""Benchmark tasks generated in code (no download): chaotic series, NARMA and a spike-pattern task.

Every generator is deterministic for a given ``seed`` and returns numpy float64 arrays (time on axis 0), so
the data do not depend on the simulation precision chosen later.

* :func:`mackey_glass` - the delay equation of Mackey & Glass (1977), integrated with RK4 and a history
  buffer (Hermite interpolation at the half steps keeps the scheme 4th order).
* :func:`lorenz63` - Lorenz (1963), RK4.
* :func:`narma` - the NARMA-10 system identification task (Atiya & Parlos 2000).
* :func:`spike_pattern_task` - classify frozen spike patterns that differ only in spike *timing*.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["mackey_glass", "lorenz63", "narma", "spike_pattern_task"]


def _positive(name: str, arg: str, value: float) -> None:
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"bl.train.{name}: {arg}={value!r} must be a positive number.")


def _count(name: str, arg: str, value: int, minimum: int = 1) -> int:
    if int(value) != value or value < minimum:
        raise ValueError(f"bl.train.{name}: {arg}={value!r} must be an integer >= {minimum}.")
    return int(value)


def _dde_rk4(f: Callable[[float, float], float], history: float, tau: float, dt: float, n_steps: int) -> np.ndarray:
    r"""Integrate the scalar delay equation :math:`\dot x = f(x(t), x(t-\tau))` with classical RK4.

    The solution is kept on the grid :math:`t_i = i\,\Delta t` with :math:`\tau = m\,\Delta t` (``tau/dt`` must
    be an integer).  The delayed values RK4 needs at the half steps, :math:`x(t_i - \tau + \Delta t/2)`, come
    from cubic Hermite interpolation between the two neighbouring grid values and their derivatives (the
    derivatives are known from ``f``), whose error :math:`O(\Delta t^4)` keeps the scheme 4th order.  For
    :math:`t \le 0`, :math:`x = ` ``history`` (constant).  Returns ``x`` at :math:`t_0..t_{n}` (``n_steps + 1``
    values).
    """
    m = int(round(tau / dt))
    if abs(m * dt - tau) > 1e-9 * max(tau, 1.0):
        raise ValueError(f"tau/dt must be an integer (tau={tau}, dt={dt}); choose dt = tau / integer.")
    x = np.empty(n_steps + 1)
    dx = np.empty(n_steps + 1)  # derivative at each grid point (needed for the Hermite midpoint)
    x[0] = history
    h0 = history
    hd = 0.0  # constant history: zero derivative

    def delayed(i: int) -> tuple[float, float]:
        j = i - m
        return (x[j], dx[j]) if j >= 0 else (h0, hd)

    dx[0] = f(x[0], delayed(0)[0])
    for i in range(n_steps):
        xa, da = delayed(i)
        xb, db = delayed(i + 1)
        if i + 1 == m:
            db = hd  # the interval before t = 0 lies in the history: its slope there, not the solution's
        xm = 0.5 * (xa + xb) + dt / 8.0 * (da - db)  # Hermite cubic at the half step
        xi = x[i]
        k1 = dx[i]
        k2 = f(xi + 0.5 * dt * k1, xm)
        k3 = f(xi + 0.5 * dt * k2, xm)
        k4 = f(xi + dt * k3, xb)
        x[i + 1] = xi + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        dx[i + 1] = f(x[i + 1], delayed(i + 1)[0])
    return x


def mackey_glass(
    n_steps: int,
    tau: float = 17.0,
    a: float = 0.2,
    b: float = 0.1,
    n: float = 10.0,
    x0: float = 1.2,
    sample_every: float = 1.0,
    dt: float = 0.1,
    discard: int = 0,
) -> np.ndarray:
    r"""The Mackey-Glass series, sampled every ``sample_every`` time units.

    .. math:: \frac{dx}{dt} = a\,\frac{x(t-\tau)}{1 + x(t-\tau)^n} - b\,x(t), \qquad x(t) = x_0 \ (t \le 0)

    Time is in the equation's own unit (Mackey & Glass 1977 used days); with :math:`\tau = 17` the series is
    chaotic (the classic benchmark of Jaeger & Haas 2004).  Integrated with RK4 at step ``dt`` (``tau`` and
    ``sample_every`` must be multiples of ``dt``); the delayed value at the half steps is interpolated with a
    cubic Hermite polynomial, so the error falls as :math:`dt^4`.

    Args:
        n_steps: number of samples returned.
        tau: delay (time units).
        a, b, n: production rate, decay rate (1/time unit), Hill exponent.
        x0: constant history for :math:`t \le 0`.
        sample_every: time between returned samples.
        dt: integration step.
        discard: samples dropped at the start (the transient from the constant history).

    Returns:
        ``(n_steps, 1)`` float64 array.

    Example:
        >>> import brainlab as bl
        >>> x = bl.train.mackey_glass(500)
        >>> x.shape, round(float(x.min()), 2) > 0.2, round(float(x.max()), 2) < 1.5
        ((500, 1), True, True)

    Reference: M. C. Mackey & L. Glass (1977), Science 197:287.
    """
    n_steps = _count("mackey_glass", "n_steps", n_steps)
    for arg, v in (("tau", tau), ("dt", dt), ("sample_every", sample_every)):
        _positive("mackey_glass", arg, v)
    sub = int(round(sample_every / dt))
    if abs(sub * dt - sample_every) > 1e-9 * sample_every:
        raise ValueError(
            f"bl.train.mackey_glass: sample_every={sample_every} must be a multiple of dt={dt}; "
            "choose dt = sample_every / integer."
        )
    try:
        x = _dde_rk4(lambda x, xd: a * xd / (1.0 + xd**n) - b * x, x0, tau, dt, (n_steps + discard - 1) * sub)
    except ValueError as err:
        raise ValueError(f"bl.train.mackey_glass: {err}") from None
    return x[::sub][discard:, None]


def _lorenz_rk4(x0: np.ndarray, dt: float, n_steps: int, substeps: int, sigma: float, rho: float,
                beta: float) -> np.ndarray:
    out = np.empty((n_steps, 3))
    x, y, z = (float(v) for v in x0)
    h = dt / substeps

    def f(x: float, y: float, z: float) -> tuple[float, float, float]:
        return sigma * (y - x), x * (rho - z) - y, x * y - beta * z

    for i in range(n_steps):
        out[i] = x, y, z
        for _ in range(substeps):
            a = f(x, y, z)
            b = f(x + 0.5 * h * a[0], y + 0.5 * h * a[1], z + 0.5 * h * a[2])
            c = f(x + 0.5 * h * b[0], y + 0.5 * h * b[1], z + 0.5 * h * b[2])
            d = f(x + h * c[0], y + h * c[1], z + h * c[2])
            x += h / 6.0 * (a[0] + 2 * b[0] + 2 * c[0] + d[0])
            y += h / 6.0 * (a[1] + 2 * b[1] + 2 * c[1] + d[1])
            z += h / 6.0 * (a[2] + 2 * b[2] + 2 * c[2] + d[2])
    return out


def lorenz63(
    n_steps: int,
    dt: float = 0.025,
    x0: tuple[float, float, float] = (1.0, 1.0, 1.0),
    sigma: float = 10.0,
    rho: float = 28.0,
    beta: float = 8.0 / 3.0,
    substeps: int = 10,
    discard: int = 400,
    method: str = "rk4",
) -> np.ndarray:
    r"""The Lorenz (1963) system sampled every ``dt`` time units.

    .. math:: \dot x = \sigma (y - x), \quad \dot y = x(\rho - z) - y, \quad \dot z = xy - \beta z

    ``method='rk4'`` integrates with classical RK4 at step ``dt / substeps`` in float64 (error far below
    1e-8 at the defaults).  ``method='RK23'`` reproduces the data of Gauthier et al. (2021): SciPy's adaptive
    ``solve_ivp(method='RK23')`` at its default tolerances (rtol 1e-3), evaluated every ``dt`` - a solution
    accurate to only a few digits, whose one-step map NVAR learns (see :class:`~brainlab.train.NVAR`).  With the classic :math:`\sigma=10, \rho=28,
    \beta=8/3` the largest Lyapunov exponent is :math:`\lambda_1 \approx 0.9056` per time unit, so one
    Lyapunov time is :math:`1/\lambda_1 \approx 1.104` time units (44 samples at ``dt = 0.025``, the sampling
    of Gauthier et al. 2021).  The first ``discard`` samples (10 time units by default) are dropped so that
    the series starts on the attractor.

    Returns:
        ``(n_steps, 3)`` float64 array of ``(x, y, z)``.

    Example:
        >>> import brainlab as bl
        >>> bl.train.lorenz63(400).shape
        (400, 3)

    Reference: E. N. Lorenz (1963), J. Atmos. Sci. 20:130.
    """
    n_steps = _count("lorenz63", "n_steps", n_steps)
    _positive("lorenz63", "dt", dt)
    substeps = _count("lorenz63", "substeps", substeps)
    discard = _count("lorenz63", "discard", discard, 0)
    x0 = np.asarray(x0, dtype=float)
    if x0.shape != (3,):
        raise ValueError(f"bl.train.lorenz63: x0 must hold 3 numbers (x, y, z), got shape {x0.shape}.")
    if method == "rk4":
        return _lorenz_rk4(x0, dt, n_steps + discard, substeps, sigma, rho, beta)[discard:]
    if method == "RK23":
        from scipy.integrate import solve_ivp

        n = n_steps + discard
        t = np.linspace(0.0, (n - 1) * dt, n)
        sol = solve_ivp(lambda _, s: [sigma * (s[1] - s[0]), s[0] * (rho - s[2]) - s[1], s[0] * s[1] - beta * s[2]],
                        (0.0, t[-1]), x0, t_eval=t, method="RK23")
        return sol.y.T[discard:]
    raise ValueError(f"bl.train.lorenz63: method={method!r} is not known; use 'rk4' or 'RK23'.")


def narma(n_steps: int, order: int = 10, seed: int = 0, u: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""The NARMA system identification task: input ``u`` and target ``y``, each ``(n_steps, 1)``.

    .. math:: y_{t+1} = 0.3\,y_t + 0.05\,y_t \sum_{i=0}^{o-1} y_{t-i} + 1.5\,u_{t-o+1}\,u_t + 0.1,
              \qquad u_t \sim \mathcal U[0, 0.5]

    with order :math:`o` (10 is the classic NARMA-10; Atiya & Parlos 2000, IEEE TNN 11:697).  ``y`` starts at
    zero; values before the start are zero.

    Example:
        >>> import brainlab as bl
        >>> u, y = bl.train.narma(1000)
        >>> u.shape, y.shape, bool(0.0 <= u.min() and u.max() <= 0.5)
        ((1000, 1), (1000, 1), True)
    """
    n_steps = _count("narma", "n_steps", n_steps)
    order = _count("narma", "order", order)
    if u is None:
        u = np.random.default_rng(seed).uniform(0.0, 0.5, n_steps)
    else:
        u = np.asarray(u, dtype=float).reshape(-1)
        if u.size != n_steps:
            raise ValueError(f"bl.train.narma: u has {u.size} values but n_steps={n_steps}; pass one per step.")
    y = np.zeros(n_steps)
    for t in range(order - 1, n_steps - 1):
        y[t + 1] = 0.3 * y[t] + 0.05 * y[t] * y[t - order + 1:t + 1].sum() + 1.5 * u[t - order + 1] * u[t] + 0.1
    return u[:, None], y[:, None]


def spike_pattern_task(
    n_samples: int,
    n_classes: int = 2,
    n_inputs: int = 20,
    duration: float = 100.0,
    dt: float = 1.0,
    jitter: float = 2.0,
    noise_rate: float = 2.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    r"""A temporal spike-pattern classification task that spike counts cannot solve.

    Each class is a frozen pattern in which every input neuron fires exactly one spike, at a time drawn
    uniformly in ``[0, duration)`` (a latency code; Gütig & Sompolinsky 2006 used such patterns for the
    tempotron).  A sample copies its class's pattern, moves each spike by Gaussian jitter (s.d. ``jitter``
    ms, clipped to the window) and adds background Poisson spikes at ``noise_rate`` Hz per input.  All classes
    have the same spike count per input on average, so only spike *timing* tells them apart.

    Args:
        n_samples: number of samples (classes are balanced and interleaved: label ``i % n_classes``).
        n_classes: number of patterns.
        n_inputs: input neurons.
        duration: length of a sample (ms).
        dt: time bin (ms).
        jitter: s.d. of each spike's displacement (ms).
        noise_rate: background rate per input (Hz).
        seed: the same seed gives the same patterns and samples.

    Returns:
        ``spikes``, float32 ``(n_samples, n_steps, n_inputs)`` of 0/1 with ``n_steps = duration / dt``, and
        ``labels``, int32 ``(n_samples,)``.

    Example:
        >>> import brainlab as bl
        >>> x, y = bl.train.spike_pattern_task(8, n_classes=2, n_inputs=5)
        >>> x.shape, y.tolist()
        ((8, 100, 5), [0, 1, 0, 1, 0, 1, 0, 1])
    """
    name = "spike_pattern_task"
    n_samples = _count(name, "n_samples", n_samples)
    n_classes = _count(name, "n_classes", n_classes, 2)
    n_inputs = _count(name, "n_inputs", n_inputs)
    _positive(name, "duration", duration)
    _positive(name, "dt", dt)
    if jitter < 0 or noise_rate < 0:
        raise ValueError(f"bl.train.{name}: jitter={jitter} and noise_rate={noise_rate} must be >= 0.")
    n_steps = int(round(duration / dt))
    if n_steps < 1:
        raise ValueError(f"bl.train.{name}: duration={duration} ms is shorter than one bin (dt={dt} ms).")
    rng = np.random.default_rng(seed)
    templates = rng.uniform(0.0, duration, size=(n_classes, n_inputs))  # spike time of each input (ms)
    labels = np.arange(n_samples, dtype=np.int32) % n_classes
    times = templates[labels] + jitter * rng.standard_normal((n_samples, n_inputs))
    bins = np.clip(np.floor(np.clip(times, 0.0, duration - 1e-9) / dt).astype(int), 0, n_steps - 1)
    spikes = np.zeros((n_samples, n_steps, n_inputs), dtype=np.float32)
    spikes[np.arange(n_samples)[:, None], bins, np.arange(n_inputs)[None, :]] = 1.0
    if noise_rate > 0:
        p = min(noise_rate * dt * 1e-3, 1.0)
        spikes = np.maximum(spikes, (rng.random(spikes.shape) < p).astype(np.float32))
    return spikes, labels
