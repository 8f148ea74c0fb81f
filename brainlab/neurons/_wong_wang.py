r"""The reduced two-variable decision model of Wong & Wang (2006)."""

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import engine as be
from .._model import Parameter, Variable
from ..engine._array import unwrap
from ._base import AbstractNeuron

__all__ = ["WongWang", "ww_transfer"]


def ww_transfer(x: Any, a: Any = 270.0, b: Any = 108.0, d: Any = 0.154) -> jax.Array:
    r"""The effective input-output function of a pool, :math:`H(x) = \frac{a x - b}{1 - e^{-d (a x - b)}}` (Hz).

    ``x`` is the total synaptic input current (nA), ``a`` in Hz/nA, ``b`` in Hz and ``d`` in s (Abbott & Chance
    2005, fitted to a leaky integrate-and-fire neuron by Wong & Wang 2006).  It grows linearly, :math:`H \approx
    a x - b`, far above threshold and decays to zero exponentially below; the removable singularity at
    :math:`a x = b` (where :math:`H = 1/d`) and the overflow far below threshold are handled, so the function and
    its derivative are finite everywhere.

    Example:
        >>> import brainlab.neurons._wong_wang as ww
        >>> round(float(ww.ww_transfer(0.4)), 3)      # a x = b: H = 1/d
        6.494
        >>> round(float(ww.ww_transfer(0.5)), 2)      # far above threshold, close to a x - b = 27 Hz
        27.43
    """
    z = d * (a * x - b)  # dimensionless: s x Hz
    small = jnp.abs(z) < 1e-4
    zs = jnp.clip(jnp.where(small, 1.0, z), -60.0, None)  # e^{60} stays finite in float32
    regular = zs / -jnp.expm1(-zs)
    series = 1.0 + z / 2.0 + z * z / 12.0  # z / (1 - e^{-z}) near z = 0
    return jnp.where(small, series, regular) / d


class WongWang(AbstractNeuron):
    r"""The reduced two-pool decision model of Wong & Wang (2006): two NMDA gating variables and their noise.

    Each unit of the population is one whole decision circuit: two excitatory pools, selective for choice 1 and
    choice 2, that excite themselves and inhibit each other through shared inhibition (the reduction of Wang's
    2002 spiking network to the slow NMDA variables):

    .. math::

        \frac{dS_i}{dt} &= -\frac{S_i}{\tau_S} + (1 - S_i)\,\gamma\, H(x_i), \qquad
        H(x) = \frac{a x - b}{1 - e^{-d (a x - b)}} \\
        x_1 &= J_{N11} S_1 - J_{N12} S_2 + I_0 + I_1 + I_\text{noise,1} + I_\text{ext} + I \\
        x_2 &= J_{N11} S_2 - J_{N12} S_1 + I_0 + I_2 + I_\text{noise,2} + I_\text{ext} + I \\
        I_{1,2} &= J_\text{ext}\, \mu_0 \left(1 \pm \frac{c'}{100}\right), \qquad
        \tau_\text{AMPA} \frac{dI_{\text{noise},i}}{dt} = -I_{\text{noise},i} + \eta_i(t)
        \sqrt{\tau_\text{AMPA}}\, \sigma_\text{noise}

    :math:`S_i` is dimensionless (in [0, 1]); currents are in nA, :math:`H` and :math:`\mu_0` in Hz (a rate
    :math:`H` multiplies :math:`\gamma` in 1/s: the model converts to the simulator's ms), :math:`c'` is the
    motion coherence in %, :math:`\eta_i` independent Gaussian white noise.  The noise currents are Ornstein-
    Uhlenbeck processes with stationary s.d. :math:`\sigma_\text{noise}/\sqrt 2` (0.014 nA by default); they are
    advanced with the process's exact transition after each step, and their drift is part of the vector field,
    so the analysis tools see the deterministic model (PhasePlane slices at zero noise by default).  The firing
    rate of pool :math:`i` is :math:`r_i = H(x_i)` (:meth:`rates`).

    Defaults (the values Wong & Wang 2006 give for the two-variable model): :math:`a = 270` Hz/nA,
    :math:`b = 108` Hz, :math:`d = 0.154` s, :math:`\gamma = 0.641`, :math:`\tau_S = 100` ms,
    :math:`J_{N11} = J_{N22} = 0.2609` nA, :math:`J_{N12} = J_{N21} = 0.0497` nA, :math:`I_0 = 0.3255` nA,
    :math:`J_\text{ext} = J_{A,\text{ext}} = 5.2 \times 10^{-4}` nA/Hz, :math:`\tau_\text{AMPA} = 2` ms,
    :math:`\sigma_\text{noise} = 0.02` nA.  The stimulus is off by default (:math:`\mu_0 = 0`): the circuit is
    then multistable, a symmetric spontaneous state (about 1.8 Hz) beside two persistent "memory" states (about
    20 Hz in the chosen pool).  Preset ``'decision'`` turns on the paper's stimulus :math:`\mu_0 = 30` Hz, for
    which the symmetric state is a saddle and the circuit must choose.

    Other arguments:
        seed: the seed of the generator of the noise (``None``: fresh entropy); every unit draws its own noise.

    Example:
        >>> import brainlab as bl
        >>> ww = bl.neurons.WongWang.from_preset('decision', 200, coherence=12.8, seed=0)   # 200 trials
        >>> res = bl.Runner(ww, monitors=['WongWang.S1', 'WongWang.S2'], dt=0.5, progress=False).run(1500.0)
        >>> r1, r2 = ww.rates(res['WongWang.S1'][-1], res['WongWang.S2'][-1])
        >>> bool((r1 > r2).mean() > 0.7)      # most trials choose pool 1, which gets the stronger input
        True

    Limits: a mean-field reduction (no spikes, no fast AMPA or GABA dynamics); the stimulus is constant in
    time (switch it with ``ww.mu0 = ...`` between runs); both pools share ``J_N11`` and ``J_N12`` (the paper's
    symmetric circuit).

    Reference: Wong KF, Wang XJ (2006) A recurrent network mechanism of time integration in perceptual
    decisions. J Neurosci 26:1314-1328; Wang XJ (2002) Neuron 36:955-968.
    """

    PARAMETERS = (
        Parameter("a", 270.0, "Hz/nA", (1.0, 1e4), "gain of the input-output function H"),
        Parameter("b", 108.0, "Hz", (-1e4, 1e4), "threshold offset of H"),
        Parameter("d", 0.154, "s", (1e-3, 10.0), "curvature of H near threshold"),
        Parameter("gamma", 0.641, "", (0.0, 10.0), "kinetic factor of NMDA saturation"),
        Parameter("tau_S", 100.0, "ms", (1.0, 1e4), "NMDA gating time constant"),
        Parameter("J_N11", 0.2609, "nA", (0.0, 2.0), "recurrent self-excitation of each pool"),
        Parameter("J_N12", 0.0497, "nA", (-2.0, 2.0), "effective cross-inhibition between the pools"),
        Parameter("I_0", 0.3255, "nA", (-2.0, 2.0), "background input current"),
        Parameter("J_ext", 5.2e-4, "nA/Hz", (0.0, 0.01), "coupling of the stimulus rate to the input current"),
        Parameter("mu0", 0.0, "Hz", (0.0, 200.0), "stimulus strength (0: no stimulus)"),
        Parameter("coherence", 0.0, "%", (-100.0, 100.0), "motion coherence c' (> 0 favours pool 1)"),
        Parameter("tau_AMPA", 2.0, "ms", (0.01, 1e3), "noise correlation time (AMPA)"),
        Parameter("sigma_noise", 0.02, "nA", (0.0, 1.0), "noise amplitude"),
        Parameter("I_ext", 0.0, "nA", (-2.0, 2.0), "constant extra current onto both pools"),
    )
    VARIABLES = (
        Variable("S1", 0.1, "", "NMDA gating variable of pool 1"),
        Variable("S2", 0.1, "", "NMDA gating variable of pool 2"),
        Variable("I_noise1", 0.0, "nA", "noise current onto pool 1"),
        Variable("I_noise2", 0.0, "nA", "noise current onto pool 2"),
    )
    EQUATIONS = (
        r"\begin{aligned}"
        r"\frac{dS_i}{dt} &= -\frac{S_i}{\tau_S} + (1 - S_i)\,\gamma H(x_i), \quad "
        r"H(x) = \frac{a x - b}{1 - e^{-d(a x - b)}} \\"
        r"x_1 &= J_{N11} S_1 - J_{N12} S_2 + I_0 + J_\text{ext}\mu_0(1 + c'/100) + I_\text{noise,1} "
        r"+ I_\text{ext} + I \\"
        r"x_2 &= J_{N11} S_2 - J_{N12} S_1 + I_0 + J_\text{ext}\mu_0(1 - c'/100) + I_\text{noise,2} "
        r"+ I_\text{ext} + I \\"
        r"\tau_\text{AMPA}\frac{dI_{\text{noise},i}}{dt} &= -I_{\text{noise},i} "
        r"+ \eta_i(t)\sqrt{\tau_\text{AMPA}}\,\sigma_\text{noise}"
        r"\end{aligned}"
    )
    REFERENCE = "Wong KF, Wang XJ (2006) J Neurosci 26:1314-1328; Wang XJ (2002) Neuron 36:955-968"
    DEFAULT_DT = 0.1
    METHOD = "rk4"
    SPIKING = False
    PRESETS = {"decision": {"mu0": 30.0}}

    def __init__(self, size: int | tuple[int, ...], *, seed: int | None = None, method: str | None = None,
                 name: str | None = None, **params: Any) -> None:
        super().__init__(size, method=method, name=name, **params)
        self.rng = be.random.RandomState(seed)

    # -- the model ------------------------------------------------------------------------------------------
    @staticmethod
    def _inputs(state: Mapping[str, Any], p: Mapping[str, Any], I: Any) -> tuple[Any, Any]:  # noqa: E741
        S1, S2 = state["S1"], state["S2"]
        stim = p["J_ext"] * p["mu0"]
        common = p["I_0"] + p["I_ext"] + I
        x1 = p["J_N11"] * S1 - p["J_N12"] * S2 + common + stim * (1.0 + p["coherence"] / 100.0) + state["I_noise1"]
        x2 = p["J_N11"] * S2 - p["J_N12"] * S1 + common + stim * (1.0 - p["coherence"] / 100.0) + state["I_noise2"]
        return x1, x2

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict[str, jax.Array]:  # noqa: E741
        p = self._params_for("vector_field", params)
        x1, x2 = self._inputs(state, p, I)
        rate = 1e-3 * p["gamma"]  # gamma H is in 1/s; the simulator counts ms
        S1, S2 = state["S1"], state["S2"]
        return {
            "S1": -S1 / p["tau_S"] + (1.0 - S1) * rate * ww_transfer(x1, p["a"], p["b"], p["d"]),
            "S2": -S2 / p["tau_S"] + (1.0 - S2) * rate * ww_transfer(x2, p["a"], p["b"], p["d"]),
            "I_noise1": -state["I_noise1"] / p["tau_AMPA"],
            "I_noise2": -state["I_noise2"] / p["tau_AMPA"],
        }

    def _step(self, t: Any, dt: Any, I: Any = 0.0) -> None:  # noqa: E741
        # integrate the deterministic field, then give the noise currents the OU process's exact transition
        n1, n2 = self.I_noise1.value, self.I_noise2.value
        super()._step(t, dt, I)
        p = self.param_arrays()
        decay = jnp.exp(-unwrap(dt) / p["tau_AMPA"])
        spread = p["sigma_noise"] / np.sqrt(2.0) * jnp.sqrt(-jnp.expm1(-2.0 * unwrap(dt) / p["tau_AMPA"]))
        eta = unwrap(self.rng.standard_normal((2,) + tuple(n1.shape))).astype(n1.dtype)
        self.I_noise1.value = (n1 * decay + spread * eta[0]).astype(n1.dtype)
        self.I_noise2.value = (n2 * decay + spread * eta[1]).astype(n2.dtype)
        return None

    # -- read-outs ------------------------------------------------------------------------------------------
    def rates(self, S1: Any, S2: Any, I_noise1: Any = 0.0, I_noise2: Any = 0.0,
              I: Any = 0.0) -> tuple[np.ndarray, np.ndarray]:  # noqa: E741
        r"""The firing rates :math:`r_i = H(x_i)` (Hz) of the two pools at gating values ``S1``, ``S2``.

        Takes numbers or arrays (a recorded ``[steps, units]`` trace works: parameters broadcast along the last
        axis) and uses the model's current parameters; pass the recorded noise currents for the exact
        instantaneous rates, or leave them at 0 for the rates of the noise-free input.
        """
        p = {k: np.asarray(v, np.float64) for k, v in self.param_arrays().items()}
        state = {"S1": np.asarray(S1, np.float64), "S2": np.asarray(S2, np.float64),
                 "I_noise1": np.asarray(I_noise1, np.float64), "I_noise2": np.asarray(I_noise2, np.float64)}
        x1, x2 = self._inputs(state, p, np.asarray(I, np.float64))
        with jax.enable_x64(True):
            r1 = np.asarray(ww_transfer(jnp.asarray(x1), p["a"], p["b"], p["d"]))
            r2 = np.asarray(ww_transfer(jnp.asarray(x2), p["a"], p["b"], p["d"]))
        return r1, r2
