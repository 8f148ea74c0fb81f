r"""Reservoirs: echo-state networks (ESN) and nonlinear vector autoregression (NVAR, "next-generation RC").

Both turn an input series into features for a linear readout fitted by ridge regression in float64
(:class:`~brainlab.train.Ridge`).  ESN states are computed by a scan over time inside a vmap over trials, compiled
once per shape for all ESNs (weights are arguments); fitting streams them, chunk by chunk, into the readout's
float64 sums.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import brainlab.engine as be
from brainlab.engine._array import unwrap

from ._ridge import Ridge, RidgeAccumulator, as_trials

__all__ = ["ESN", "NVAR"]


def _batch(name: str, arg: str, data: Any, n_features: int) -> tuple[jax.Array, np.ndarray, bool]:
    """Pad a list of trials to ``(B, T_max, F)``; returns the batch, the lengths and whether the input was one trial."""
    single = not isinstance(data, (list, tuple)) and jnp.ndim(unwrap(data)) <= 2
    trials = as_trials(name, arg, data, n_features)
    lengths = np.array([t.shape[0] for t in trials])
    T = int(lengths.max())
    dt = be.default_float()
    batch = jnp.stack([jnp.pad(jnp.asarray(t, dt), ((0, T - t.shape[0]), (0, 0))) for t in trials])
    return batch, lengths, single


def _mask(lengths: np.ndarray, T: int) -> np.ndarray:
    return (np.arange(T)[None, :] < lengths[:, None]).astype(np.float64)


# --- the ESN's compiled programs --------------------------------------------------------------------------------
# Module-level functions of (parameters, data): jax.jit keys them by shapes and dtypes only, so every ESN of the
# same size shares one compiled program (a new reservoir, or a changed parameter value, never recompiles).
# ``p`` is (W, W_in, bias, W_fb, coef) with coef = [1 - leak, leak]; W_fb has 0 columns without feedback.

def _cell(p: tuple, x: jax.Array, u: jax.Array, fb: jax.Array) -> jax.Array:
    W, W_in, b, W_fb, coef = p
    pre = W @ x + W_in @ u + b
    if W_fb.shape[1]:
        pre = pre + W_fb @ fb
    return coef[0] * x + coef[1] * jnp.tanh(pre)


def _trajectory(p: tuple, u: jax.Array, fb: jax.Array, x0: jax.Array) -> jax.Array:
    # fb[t] is the output fed back at step t (teacher forcing: the target at t-1)
    def step(x, inp):
        x = _cell(p, x, inp[0], inp[1])
        return x, x

    return jax.lax.scan(step, x0, (u, fb))[1]


def _states(p: tuple, u: jax.Array, fb: jax.Array, x0: jax.Array) -> jax.Array:
    return jax.vmap(_trajectory, (None, 0, 0, 0))(p, u, fb, x0)  # (B, T, N)


@jax.jit
def _harvest_program(p, u, fb, x0):
    xs = _states(p, u, fb, x0)
    return xs, xs[:, -1]


@jax.jit
def _run_open_program(p, W_out, b_out, u, fb, x0):
    xs = _states(p, u, fb, x0)
    return xs @ W_out + b_out, xs[:, -1]


_CHUNK = 1500  # about this many steps per chunk of ESN.fit


def _chunks(T: int) -> list[tuple[int, int]]:
    """``ESN.fit``'s chunks of time: about ``_CHUNK`` steps each, of equal lengths (at most two compiled shapes)."""
    C = -(-T // max(1, round(T / _CHUNK)))
    return [(lo, min(lo + C, T)) for lo in range(0, T, C)]


@jax.jit
def _run_closed_program(p, W_out, b_out, u, y0, x0):
    def trajectory(u, y0, x0):
        def step(carry, u_t):
            x, y = carry
            x = _cell(p, x, u_t, y)
            y = x @ W_out + b_out
            return (x, y), (x, y)

        return jax.lax.scan(step, (x0, y0), u)[1]

    return jax.vmap(trajectory)(u, y0, x0)


@functools.partial(jax.jit, static_argnums=4)
def _generate_program(p, W_out, b_out, x0, n_steps):
    fb0 = jnp.zeros(p[3].shape[1], x0.dtype)

    def step(x, _):
        u = x @ W_out + b_out
        x = _cell(p, x, u, fb0)
        return x, x @ W_out + b_out

    return jax.lax.scan(step, x0, jnp.arange(n_steps))[1]


class ESN(be.Module):
    r"""An echo-state network: a random leaky tanh reservoir with a trained linear readout.

    .. math:: x_{t} = (1 - a)\,x_{t-1} + a \tanh\!\big(W x_{t-1} + W_{in} u_t + W_{fb}\,y_{t-1} + b\big),
              \qquad \hat y_t = W_{out}^\top x_t + b_{out}

    (the update of reservoirpy's ``Reservoir``; Jaeger 2001, Lukoševičius 2012).  Time is in steps (no unit).
    :math:`W` has a fraction ``density`` of nonzero :math:`\mathcal N(0,1)` entries, rescaled so that its
    spectral radius (largest :math:`|\lambda|`) is ``spectral_radius``; :math:`W_{in}` has a fraction
    ``input_density`` of nonzero entries :math:`\pm` ``input_scaling``; :math:`b` is :math:`\pm` ``bias_scaling``;
    :math:`W_{fb}` is uniform in :math:`\pm` ``feedback_scaling`` (no feedback when 0).  The same ``seed``
    gives the same reservoir.

    Speed: the reservoir runs as one compiled program per input shape, shared by every ESN of the same sizes (the
    weights are arguments, not constants); :meth:`fit` runs it in chunks of about 1,500 steps and forms the
    readout's float64 sums :math:`X^\top X, X^\top Y` of each chunk with numpy's BLAS while the next chunk runs
    (on a second core where there is one), and the states are never all in memory.

    Args:
        n_inputs: input dimension.
        n_units: reservoir size :math:`N`.
        leak: leak rate :math:`a \in (0, 1]`.
        spectral_radius: of :math:`W`.
        input_scaling, density, input_density, bias_scaling: see above.
        n_feedback: outputs fed back (0: none); ``fit`` then uses teacher forcing (the target), ``run`` the
            network's own output.
        feedback_scaling: scale of :math:`W_{fb}`.
        ridge: readout penalty :math:`\lambda`.
        warmup: steps dropped at the start of each trial when fitting.
        seed: reservoir seed.

    Example:
        >>> import numpy as np
        >>> import brainlab as bl
        >>> x = bl.train.mackey_glass(1200); x = 2 * (x - x.min()) / (x.max() - x.min()) - 1
        >>> esn = bl.train.ESN(1, n_units=100, leak=0.3, spectral_radius=1.25, ridge=1e-6, seed=1)
        >>> _ = esn.fit(x[:999], x[1:1000])                  # one step ahead
        >>> y = np.asarray(esn.run(x[999:-1]))              # continues from the last training state
        >>> bool(np.sqrt(np.mean((y - x[1000:]) ** 2)) < 0.01)
        True
    """

    def __init__(self, n_inputs: int, n_units: int = 500, *, leak: float = 0.3, spectral_radius: float = 1.25,
                 input_scaling: float = 1.0, density: float = 0.1, input_density: float = 0.1,
                 bias_scaling: float = 0.0, n_feedback: int = 0, feedback_scaling: float = 1.0,
                 ridge: float = 1e-6, warmup: int = 100, seed: int = 0):
        name = "ESN"
        if int(n_inputs) != n_inputs or n_inputs < 1 or int(n_units) != n_units or n_units < 1:
            raise ValueError(f"{name}: n_inputs={n_inputs!r} and n_units={n_units!r} must be positive integers.")
        if not 0 < leak <= 1:
            raise ValueError(f"{name}: leak={leak!r} must be in (0, 1] (1: no leak integration).")
        for arg, v in (("density", density), ("input_density", input_density)):
            if not 0 < v <= 1:
                raise ValueError(f"{name}: {arg}={v!r} must be in (0, 1].")
        if spectral_radius < 0:
            raise ValueError(f"{name}: spectral_radius={spectral_radius!r} must be >= 0.")
        self.n_inputs, self.n_units, self.n_feedback = int(n_inputs), int(n_units), int(n_feedback)
        self.leak, self.spectral_radius = float(leak), float(spectral_radius)
        self.warmup = int(warmup)
        rng = np.random.default_rng(seed)
        N = self.n_units
        W = rng.standard_normal((N, N)) * (rng.random((N, N)) < density)
        rho = np.max(np.abs(np.linalg.eigvals(W))) if W.any() else 0.0
        if rho > 0:
            W *= spectral_radius / rho
        W_in = input_scaling * rng.choice([-1.0, 1.0], (N, self.n_inputs)) * (rng.random((N, self.n_inputs)) < input_density)
        b = bias_scaling * rng.choice([-1.0, 1.0], N)
        W_fb = feedback_scaling * rng.uniform(-1.0, 1.0, (N, max(self.n_feedback, 1)))
        dt = be.default_float()
        self.W = be.ParamState(jnp.asarray(W, dt))
        self.W_in = be.ParamState(jnp.asarray(W_in, dt))
        self.bias = be.ParamState(jnp.asarray(b, dt))
        self.W_fb = be.ParamState(jnp.asarray(W_fb[:, : self.n_feedback], dt))
        self.x = be.HiddenState(jnp.zeros(N, dt))
        self.readout = Ridge(ridge)

    # --- dynamics ----------------------------------------------------------------------------------------
    def _params(self) -> tuple:
        dt = self.W.value.dtype
        coef = jnp.asarray([1.0 - self.leak, self.leak], dt)
        return self.W.value, self.W_in.value, self.bias.value, self.W_fb.value, coef

    def harvest(self, u: Any, x0: Any = None) -> jax.Array:
        """Reservoir states for inputs ``u`` (``(T, D)``, ``(B, T, D)``) without feedback; shape ``(..., T, N)``.

        Starts from ``x0`` (default: the current state ``self.x`` for one trial, zeros for a batch); after a
        single trial ``self.x`` holds the last state.
        """
        batch, lengths, single = _batch("ESN", "u", u, self.n_inputs)
        x0 = self._x0(x0, batch.shape[0], single)
        xs = _harvest_program(self._params(), batch, self._no_feedback(batch), x0)[0]
        if single:
            self.x.value = xs[0, lengths[0] - 1]
            return xs[0]
        return xs

    def _no_feedback(self, batch: jax.Array) -> jax.Array:
        return jnp.zeros((batch.shape[0], batch.shape[1], self.n_feedback), batch.dtype)

    def _x0(self, x0: Any, B: int, single: bool) -> jax.Array:
        dt = self.x.value.dtype
        if x0 is None:
            return (self.x.value if single else jnp.zeros(self.n_units, dt))[None].repeat(B, 0)
        x0 = jnp.asarray(unwrap(x0), dt)
        return jnp.broadcast_to(x0, (B, self.n_units))

    # --- training and prediction ---------------------------------------------------------------------------
    def fit(self, u: Any, y: Any, warmup: int | None = None, x0: Any = None) -> "ESN":
        """Run the reservoir on ``u`` and fit the readout to ``y`` (both ``(T, ·)``, ``(B, T, ·)`` or lists of trials
        of different lengths); the first ``warmup`` steps of each trial are not fitted.  With feedback, the
        reservoir is driven by the target (teacher forcing)."""
        warmup = self.warmup if warmup is None else int(warmup)
        batch, lengths, single = _batch("ESN", "u", u, self.n_inputs)
        ys, y_lengths, _ = _batch("ESN.fit", "y", y, as_trials("ESN.fit", "y", y)[0].shape[1])
        if self.n_feedback and ys.shape[2] != self.n_feedback:
            raise ValueError(f"ESN.fit: y has {ys.shape[2]} outputs but n_feedback={self.n_feedback}.")
        if batch.shape[:2] != ys.shape[:2] or not np.array_equal(lengths, y_lengths):
            raise ValueError(f"ESN.fit: u and y must have the same trials and lengths; got {batch.shape[:2]} and "
                             f"{ys.shape[:2]}.")
        B, T = batch.shape[0], batch.shape[1]
        if warmup >= T:
            raise ValueError(f"ESN.fit: warmup={warmup} drops all {T} steps of the trials; use a smaller warmup.")
        x0 = self._x0(x0, B, single)
        if self.n_feedback:  # teacher forcing: y_{t-1} is fed back at step t
            fb = jnp.concatenate([jnp.zeros_like(ys[:, :1]), ys[:, :-1]], axis=1).astype(batch.dtype)
        else:
            fb = self._no_feedback(batch)
        # The reservoir runs chunk by chunk (one compiled program, the state carried over); each chunk's float64
        # sums are formed on the host (numpy BLAS on one thread) while the next chunk runs (a compiled call
        # returns before its result is ready): the sums then add little beyond the reservoir's own loop, and
        # the states are never all in memory.
        valid = _mask(lengths, T) > 0
        valid[:, :warmup] = False
        y64 = np.asarray(ys, np.float64)
        acc = RidgeAccumulator(self.readout.ridge)
        p, x, pending = self._params(), x0, None
        for lo, hi in _chunks(T):
            xs, x = _harvest_program(p, batch[:, lo:hi], fb[:, lo:hi], x)
            if pending is not None:
                acc.add_states(*pending)
            pending = (xs, y64[:, lo:hi], valid[:, lo:hi])
        acc.add_states(*pending)
        self.readout.fit_accumulator(acc)
        if single:  # one trial fills the whole time axis: its last state is the final carry
            self.x.value = x[0]
        return self

    def run(self, u: Any, x0: Any = None) -> jax.Array:
        """Predictions :math:`\\hat y_t` for inputs ``u``; with feedback, the network's own output is fed back."""
        if self.readout.W is None:
            raise ValueError("ESN.run: the readout is not trained; call fit(u, y) first.")
        batch, lengths, single = _batch("ESN.run", "u", u, self.n_inputs)
        B = batch.shape[0]
        x0b = self._x0(x0, B, single)
        W_out, b_out = self.readout.W.value.astype(batch.dtype), self.readout.b.value.astype(batch.dtype)
        if not self.n_feedback:
            ys, x_end = _run_open_program(self._params(), W_out, b_out, batch, self._no_feedback(batch), x0b)
            if single:
                # (lengths[0] == T for one trial: the last state is the program's)
                self.x.value = x_end[0]
                return ys[0]
            return ys
        y0 = jnp.broadcast_to(x0b[0] @ self.readout.W.value + self.readout.b.value, (B, self.n_feedback))
        xs, ys = _run_closed_program(self._params(), self.readout.W.value, self.readout.b.value, batch, y0, x0b)
        if single:
            self.x.value = xs[0, lengths[0] - 1]
            return ys[0]
        return ys

    def generate(self, n_steps: int) -> jax.Array:
        """Run autonomously from the current state: the prediction becomes the next input (``n_inputs`` must
        equal the number of outputs, i.e. the readout was fitted one step ahead).  Returns ``(n_steps, D)``:
        the first row continues the series after the last input seen."""
        if self.readout.W is None or self.readout.W.value.shape[1] != self.n_inputs:
            raise ValueError("ESN.generate: needs a readout fitted to predict the next input (D outputs for D inputs).")
        return _generate_program(self._params(), self.readout.W.value, self.readout.b.value, self.x.value,
                                 int(n_steps))


class NVAR(be.Module):
    r"""Nonlinear vector autoregression features (Gauthier et al. 2021, Nat Commun 12:5564) with a ridge readout.

    For inputs :math:`u_t \in \mathbb R^D`, the linear part stacks ``delay`` :math:`= k` past values ``stride``
    :math:`= s` steps apart, and the nonlinear part holds every unique monomial of degree ``order`` :math:`= p` of
    the linear part:

    .. math:: \mathbb O_{lin,t} = [u_t, u_{t-s}, \dots, u_{t-(k-1)s}], \qquad
              \mathbb O_{nonlin,t} = \lceil \mathbb O_{lin,t} \otimes \dots \otimes \mathbb O_{lin,t} \rceil_p,

    :math:`\mathbb O_t = [\mathbb O_{lin,t}, \mathbb O_{nonlin,t}]` (the constant is the readout's unpenalised
    bias when ``constant=True``).  Features exist from :math:`t = (k-1)s` on.  For :math:`D = 3, k = 2, p = 2`:
    6 linear + 21 quadratic features.

    Forecasting (:meth:`forecast`) iterates the fitted map :math:`u_{t+1} = u_t + W^\top \mathbb O_t`.  With
    :math:`k = 2` this is a two-step scheme, and how well it iterates depends on the data: on Gauthier et al.'s
    Lorenz63 data (SciPy RK23 at default tolerance, ``bl.train.lorenz63(method='RK23')``) the paper's settings
    (:math:`k=2, s=1, p=2`, ridge :math:`2.5\times10^{-6}`, 400 training points) forecast one Lyapunov time
    with an NRMSE near :math:`10^{-3}`; on an accurately integrated series the same fit approaches a high-order
    explicit two-step scheme, whose parasitic root lies outside the unit circle, and the forecast diverges
    within a few steps unless the ridge penalty is raised (or more data are used).

    Args:
        n_inputs: :math:`D`.
        delay, stride, order: :math:`k, s, p`.
        constant: fit a constant term.
        ridge: readout penalty.
        precision: of the features, the readout and the forecast (default ``'float64'``: the monomials of
            Lorenz63 reach :math:`10^3`, and in float32 the readout's sum of large, cancelling terms loses
            about a decade of accuracy, which autonomous forecasting then amplifies).

    Example:
        >>> import numpy as np
        >>> import brainlab as bl
        >>> nvar = bl.train.NVAR(3, delay=2, stride=1, order=2)
        >>> nvar.n_features, nvar.features(np.ones((5, 3))).shape
        (27, (4, 27))
    """

    def __init__(self, n_inputs: int, delay: int = 2, stride: int = 1, order: int = 2, constant: bool = True,
                 ridge: float = 2.5e-6, precision: str = "float64"):
        for arg, v in (("n_inputs", n_inputs), ("delay", delay), ("stride", stride), ("order", order)):
            if int(v) != v or v < 1:
                raise ValueError(f"NVAR: {arg}={v!r} must be a positive integer.")
        self.n_inputs, self.delay, self.stride, self.order = int(n_inputs), int(delay), int(stride), int(order)
        n_lin = self.n_inputs * self.delay
        self._monomials = [np.array(c) for p in range(2, self.order + 1)
                           for c in itertools.combinations_with_replacement(range(n_lin), p)]
        self.n_linear = n_lin
        self.n_features = n_lin + len(self._monomials)
        self.span = (self.delay - 1) * self.stride  # steps of history a feature needs
        self.readout = Ridge(ridge, fit_bias=constant)
        self.precision = precision
        self._forecast = be.jit(self._forecast_loop, static_argnums=1, precision=precision)

    def _feature_row(self, lin: jax.Array) -> jax.Array:
        nonlin = [jnp.prod(lin[..., c], axis=-1) for c in self._monomials]
        return jnp.concatenate([lin] + [n[..., None] for n in nonlin], axis=-1) if nonlin else lin

    def _linear(self, u: jax.Array) -> jax.Array:
        T = u.shape[0]
        parts = [u[self.span - i * self.stride: T - i * self.stride] for i in range(self.delay)]
        return jnp.concatenate(parts, axis=-1)

    def features(self, u: Any) -> jax.Array:
        """Features for ``u`` ``(T, D)`` (or ``(B, T, D)``): ``(T - (k-1)s, F)``, row ``i`` belonging to time ``i + (k-1)s``."""
        with be.precision(self.precision):
            return self._features(u)

    def _features(self, u: Any) -> jax.Array:
        a = jnp.asarray(unwrap(u), be.default_float())
        if a.ndim == 3:
            return jnp.stack([self._features(x) for x in a])
        a = a[:, None] if a.ndim == 1 else a
        if a.ndim != 2 or a.shape[1] != self.n_inputs:
            raise ValueError(f"NVAR.features: u must be (time, {self.n_inputs}); got shape {a.shape}.")
        if a.shape[0] <= self.span:
            raise ValueError(f"NVAR.features: u has {a.shape[0]} steps; the delays need more than {self.span}.")
        return self._feature_row(self._linear(a))

    def fit(self, u: Any, y: Any, warmup: int = 0) -> "NVAR":
        """Fit the readout: ``y`` ``(T, M)`` is aligned with ``u`` (row ``t`` is the target at time ``t``); the first
        ``(k-1)s`` rows (no features yet) and ``warmup`` more are skipped.  Lists of trials are accepted."""
        us = as_trials("NVAR.fit", "u", u, self.n_inputs)
        ys = as_trials("NVAR.fit", "y", y)
        if len(us) != len(ys) or any(a.shape[0] != b.shape[0] for a, b in zip(us, ys)):
            raise ValueError("NVAR.fit: u and y must have the same trials and time steps.")
        acc = RidgeAccumulator(self.readout.ridge, self.readout.fit_bias)
        for a, b in zip(us, ys):
            acc.add(self.features(a), b[self.span:], warmup=warmup)
        with be.precision(self.precision):
            self.readout.fit_accumulator(acc)
        return self

    def predict(self, u: Any) -> jax.Array:
        """Readout output for ``u``: ``(T - (k-1)s, M)``, aligned with :meth:`features`."""
        if self.readout.W is None:
            raise ValueError("NVAR.predict: the readout is not trained; call fit(u, y) first.")
        with be.precision(self.precision):
            return self.readout.predict(self._features(u))

    def _forecast_loop(self, history: jax.Array, n_steps: int) -> jax.Array:
        W, b = self.readout.W.value, self.readout.b.value

        def step(hist, _):
            lin = jnp.concatenate([hist[-1 - i * self.stride] for i in range(self.delay)])
            nxt = hist[-1] + self._feature_row(lin) @ W + b
            hist = jnp.concatenate([hist[1:], nxt[None]])
            return hist, nxt

        return be.scan(step, history, jnp.arange(n_steps))[1]

    def forecast(self, history: Any, n_steps: int) -> jax.Array:
        """Autonomous forecast with a readout fitted to the increments :math:`u_{t+1} - u_t`:
        :math:`u_{t+1} = u_t + W_{out}^\\top \\mathbb O_t + c`.  ``history`` holds at least the last ``(k-1)s + 1``
        inputs (last row = now); returns the next ``n_steps`` values ``(n_steps, D)``."""
        if self.readout.W is None or self.readout.W.value.shape[1] != self.n_inputs:
            raise ValueError("NVAR.forecast: fit the readout to the increments u[t+1] - u[t] first (D outputs).")
        with be.precision(self.precision):
            h = jnp.asarray(unwrap(history), be.default_float())
        if h.ndim != 2 or h.shape[1] != self.n_inputs or h.shape[0] <= self.span:
            raise ValueError(f"NVAR.forecast: history must be (>= {self.span + 1}, {self.n_inputs}); got {h.shape}.")
        return self._forecast(h[h.shape[0] - self.span - 1:], int(n_steps))
