r"""Ready-made networks: the excitatory-inhibitory benchmarks of Brette et al. (2007), and Wang's (2002) decision
circuit.

Each builder returns a :class:`~brainlab.Network` with two populations, ``E`` (80 % of the neurons) and ``I``
(20 %), and four projections named *pre* then *post*: ``EE`` (E → E), ``EI`` (E → I), ``IE`` (I → E) and ``II``
(I → I).  Every pair of neurons is connected independently with probability ``p`` (80 inputs per neuron on
average by default, whatever ``n``); the weights are not rescaled with ``n``.

============== =================================================================================================
:func:`coba`   LIF neurons, conductance-based exponential synapses (benchmark 1 of Brette et al. 2007)
:func:`cuba`   LIF neurons, current-based exponential synapses (benchmark 2)
:func:`cobahh` Traub-Miles Hodgkin-Huxley neurons, conductance-based exponential synapses (benchmark 3)
============== =================================================================================================

:func:`decision_making` builds a different kind of network: the two-choice attractor circuit of Wang (2002), with
selective, nonselective and inhibitory populations and AMPA, NMDA and GABA_A synapses.

The same ``seed`` gives the same network: the connectivity and the initial state are drawn from it, and
``net.reset()`` (or ``Runner.reset()``) restores that drawn initial state.  Every parameter is a State, so
``net.E.I_ext = 25.`` or ``net.EE.weight = 0.5`` changes a compiled simulation without recompiling it.

Reference: Brette R, Rudolph M, Carnevale T, Hines M, Beeman D, Bower JM, Diesmann M, Morrison A, Goodman PH,
Harris FC, Zirpe M, Natschläger T, Pecevski D, Ermentrout B, Djurfeldt M, Lansner A, Rochel O, Vieville T,
Muller E, Davison AP, El Boustani S, Destexhe A (2007) Simulation of networks of spiking neurons: a review of
tools and strategies. J Comput Neurosci 23:349-398.  The parameters follow the benchmark scripts of Brian2 and
BrainPy (which use one connection probability for all four projections and no delay beyond one step).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from . import engine as be
from ._network import Network

__all__ = ["coba", "cuba", "cobahh", "decision_making"]

_BACKENDS = (None, "auto", "numba", "jax", "dense")
_DTYPES = {None: None, "float32": "float32", "float64": "float64", 32: "float32", 64: "float64"}


# ------------------------------------------------------------------------------------------------------------
# argument checks
# ------------------------------------------------------------------------------------------------------------


def _check_n(who: str, n: Any) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"bl.networks.{who}: n must be an int (the total number of neurons, e.g. n=4000), got "
                        f"{type(n).__name__}.")
    if n < 5:
        raise ValueError(f"bl.networks.{who}: n must be at least 5 (80 % excitatory and 20 % inhibitory neurons need "
                         f"at least one inhibitory neuron), got n={n}. Pass e.g. n=4000.")
    return int(n)


def _check_p(who: str, p: Any, n: int) -> float:
    if p is None:
        return min(1.0, 80.0 / n)
    if isinstance(p, (bool, np.bool_)):
        raise TypeError(f"bl.networks.{who}: p must be a number in (0, 1], got the bool {p!r}.")
    try:
        value = float(p)
    except (TypeError, ValueError):
        raise TypeError(f"bl.networks.{who}: p must be a number in (0, 1] (the connection probability), got "
                        f"{type(p).__name__}.") from None
    if not (math.isfinite(value) and 0.0 < value <= 1.0):
        raise ValueError(f"bl.networks.{who}: p must lie in (0, 1] (the probability that a pair is connected), got "
                         f"p={p}. Leave p=None for the benchmark's 80 inputs per neuron (p = 80/n = "
                         f"{min(1.0, 80.0 / n):.4g} for n={n}).")
    return value


def _check_seed(who: str, seed: Any) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"bl.networks.{who}: seed must be a non-negative int (the same seed gives the same network), "
                        f"got {seed!r}.")
    return int(seed)


def _check_backend(who: str, backend: Any, onthefly: Any) -> str:
    if backend not in _BACKENDS:
        raise ValueError(f"bl.networks.{who}: backend must be one of 'numba', 'jax', 'dense' or None (automatic: "
                         f"numba kernels on CPU, pure JAX elsewhere), got {backend!r}.")
    if not isinstance(onthefly, (bool, np.bool_)):
        raise TypeError(f"bl.networks.{who}: onthefly must be True or False, got {onthefly!r}.")
    if onthefly and backend == "dense":
        raise ValueError(f"bl.networks.{who}: onthefly=True stores no connectivity, so it cannot use backend='dense'; "
                         "pass backend=None, 'numba' or 'jax'.")
    return "auto" if backend is None else backend


def _check_dtype(who: str, dtype: Any) -> str | None:
    key = dtype
    if dtype is not None and not isinstance(dtype, (str, int)):
        try:
            key = np.dtype(dtype).name
        except TypeError:
            key = dtype
    try:
        return _DTYPES[key]
    except (KeyError, TypeError):
        raise ValueError(f"bl.networks.{who}: dtype must be None (the current precision, float32 by default), "
                         f"'float32' or 'float64', got {dtype!r}.") from None


# ------------------------------------------------------------------------------------------------------------
# the common construction
# ------------------------------------------------------------------------------------------------------------


def _build(who: str, n: Any, p: Any, seed: Any, backend: Any, onthefly: Any, dtype: Any,
           population: Callable[[int, str], Any], synapse: dict[str, Any], output: dict[str, Callable[[], Any]],
           weight: dict[str, float],
           initial: Callable[[np.random.Generator, int, int], dict[str, np.ndarray]]) -> Network:
    """The E/I network shared by the builders: populations, four projections, drawn initial state."""
    import brainlab as bl

    n = _check_n(who, n)
    prob = _check_p(who, p, n)
    seed = _check_seed(who, seed)
    backend = _check_backend(who, backend, onthefly)
    precision = _check_dtype(who, dtype)
    n_e = int(n * 0.8)
    n_i = n - n_e
    # one 32-bit seed per projection (on-the-fly connectivity needs 32 bits) and one for the initial state
    seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(5, dtype=np.uint32)]

    def make() -> Network:
        E, I = population(n_e, "E"), population(n_i, "I")  # noqa: E741
        pops = {"E": E, "I": I}
        projections = {}
        for k, name in enumerate(("EE", "EI", "IE", "II")):
            pre, post = pops[name[0]], pops[name[1]]
            projections[name] = bl.Projection(
                pre, post, bl.conn.FixedProb(prob, seed=seeds[k]), synapse[name[0]], output[name[0]](),
                weight=weight[name[0]], backend=backend, onthefly=bool(onthefly), name=name)
        net = Network(E=E, I=I, **projections)
        rng = np.random.default_rng(seeds[4])
        states = net.states()
        for path, value in initial(rng, n_e, n_i).items():  # what reset() restores, not the model's defaults
            states[path].set_initial(np.asarray(value, dtype=states[path].dtype))
        return net

    if precision is None:
        return make()
    with be.precision(precision):
        return make()


def _exc_inh(value_e: Any, value_i: Any) -> dict[str, Any]:
    return {"E": value_e, "I": value_i}


def _uniform_potentials(low: float, high: float) -> Callable[[np.random.Generator, int, int], dict[str, np.ndarray]]:
    def initial(rng: np.random.Generator, n_e: int, n_i: int) -> dict[str, np.ndarray]:
        V = rng.uniform(low, high, n_e + n_i)
        return {"E.V": V[:n_e], "I.V": V[n_e:]}

    return initial


# ------------------------------------------------------------------------------------------------------------
# the builders
# ------------------------------------------------------------------------------------------------------------


def coba(n: int = 4000, *, p: float | None = None, seed: int = 0, backend: str | None = None,
         onthefly: bool = False, dtype: Any = None) -> Network:
    r"""The COBA benchmark: LIF neurons with conductance-based exponential synapses (Brette et al. 2007).

    Each neuron obeys

    .. math::

        \tau \frac{dV}{dt} = -(V - V_\text{rest}) + g_e (E_e - V) + g_i (E_i - V) + R\,I_\text{ext},
        \qquad \frac{dg_e}{dt} = -\frac{g_e}{\tau_e}, \qquad \frac{dg_i}{dt} = -\frac{g_i}{\tau_i},

    with :math:`V \ge V_\text{th}` ⇒ spike, :math:`V \leftarrow V_\text{reset}`, held for :math:`t_\text{ref}`;
    a spike of an excitatory (inhibitory) neuron increments :math:`g_e` (:math:`g_i`) of each of its targets by
    :math:`w_e` (:math:`w_i`) at the next step.

    ================================ ============== ==================================================
    :math:`\tau`                     20 ms          membrane time constant (``LIF.tau``)
    :math:`V_\text{rest}`, reset     -60 mV         (``V_rest``, ``V_reset``)
    :math:`V_\text{th}`              -50 mV         threshold
    :math:`t_\text{ref}`             5 ms           refractory period
    :math:`R`, :math:`I_\text{ext}`  1 GΩ, 20 pA    a constant drive of 20 mV (``net.E.I_ext``)
    :math:`\tau_e`, :math:`\tau_i`   5 ms, 10 ms    synaptic decay (``net.EE.syn.tau`` ...)
    :math:`E_e`, :math:`E_i`         0 mV, -80 mV   reversal potentials (``net.EE.output.E`` ...)
    :math:`w_e`, :math:`w_i`         0.6, 6.7 nS    weights (``net.EE.weight`` ...)
    ================================ ============== ==================================================

    Conductances are in nS; with :math:`R` = 1 GΩ the leak conductance is 1 nS, so :math:`g_e`, :math:`g_i` are
    in units of the leak, as in the benchmark.  Initial potentials are drawn uniformly in [-60, -50] mV.

    Args:
        n: the number of neurons: ``int(0.8 n)`` excitatory (``net.E``) and the rest inhibitory (``net.I``).
        p: the connection probability of every pair (E → E, E → I, I → E, I → I); default ``80 / n`` (80 inputs
            per neuron on average, capped at 1).
        seed: draws the connectivity and the initial potentials (same seed, same network).

    Other arguments:
        backend: how spikes are delivered: ``None`` (numba kernels on CPU, pure JAX elsewhere), ``'numba'``,
            ``'jax'`` or ``'dense'`` (a dense matrix product; small networks on accelerators only).
        onthefly: never store the connectivity; regenerate each spiking neuron's targets from the seed at every
            step (memory O(n) instead of O(n² p); a different random graph than the stored one for the same seed).
        dtype: ``None`` (the current precision, float32 by default) or ``'float64'``; a float64 network must also
            run inside ``with be.precision('float64'):``.

    Returns:
        A :class:`~brainlab.Network` with populations ``E``, ``I`` (``bl.neurons.LIF``) and
        projections ``EE``, ``EI``, ``IE``, ``II`` (pre then post: ``EI`` is E → I).

    Example:
        >>> import brainlab as bl
        >>> net = bl.networks.coba(1000, seed=1)
        >>> res = bl.Runner(net, progress=False).run(100.0)        # dt = 0.1 ms
        >>> 5.0 < res.spikes.rate(100.0) < 60.0                     # about 20 Hz at n = 4000
        True

    Limits: spike times lie on the step grid (0.1 ms) and the synaptic current is held over a step (its value
    at the step's start).  At n = 4000 the rate and the irregularity (CV of ISIs) fall within Brian2's spread
    over seeds (``tests/test_ei_networks.py``); the activity is asynchronous and irregular with occasional
    population bursts, not a stationary Poisson state.

    Reference: Brette R et al. (2007) J Comput Neurosci 23:349-398 (benchmark 1, after Vogels TP, Abbott LF
    (2005) J Neurosci 25:10786-10795).
    """
    import brainlab as bl

    def population(size: int, name: str) -> Any:
        return bl.neurons.LIF(size, name=name, V_rest=-60.0, V_reset=-60.0, V_th=-50.0, tau=20.0, R=1.0, t_ref=5.0,
                              I_ext=20.0)

    return _build("coba", n, p, seed, backend, onthefly, dtype, population,
                  synapse=_exc_inh(bl.synapses.Expon(tau=5.0), bl.synapses.Expon(tau=10.0)),
                  output=_exc_inh(lambda: bl.outputs.COBA(E=0.0), lambda: bl.outputs.COBA(E=-80.0)),
                  weight=_exc_inh(0.6, 6.7), initial=_uniform_potentials(-60.0, -50.0))


def cuba(n: int = 4000, *, p: float | None = None, seed: int = 0, backend: str | None = None,
         onthefly: bool = False, dtype: Any = None) -> Network:
    r"""The CUBA benchmark: LIF neurons with current-based exponential synapses (Brette et al. 2007).

    Each neuron obeys

    .. math::

        \tau \frac{dV}{dt} = -(V - V_\text{rest}) + R\,(g_e + g_i),
        \qquad \frac{dg_e}{dt} = -\frac{g_e}{\tau_e}, \qquad \frac{dg_i}{dt} = -\frac{g_i}{\tau_i},

    with :math:`V \ge V_\text{th}` ⇒ spike, :math:`V \leftarrow V_\text{reset}`, held for :math:`t_\text{ref}`; a
    spike increments :math:`g_e` (:math:`g_i`) of each target by :math:`w_e` (:math:`w_i`) at the next step.
    The resting potential lies *above* threshold, so every neuron fires on its own; inhibition keeps the rates
    low.

    ================================ ============== ==================================================
    :math:`\tau`                     20 ms          membrane time constant
    :math:`V_\text{rest}`            -49 mV         resting potential (the drive: 1 mV above threshold)
    :math:`V_\text{reset}`           -60 mV         reset
    :math:`V_\text{th}`              -50 mV         threshold
    :math:`t_\text{ref}`             5 ms           refractory period
    :math:`R`                        1 GΩ           so that 1 pA of synaptic current is 1 mV of drive
    :math:`\tau_e`, :math:`\tau_i`   5 ms, 10 ms    synaptic decay
    :math:`w_e`, :math:`w_i`         1.62, -9 pA    weights (1.62 mV and -9 mV jumps of :math:`R g`)
    ================================ ============== ==================================================

    Initial potentials are drawn uniformly in [-60, -50] mV.

    Args:
        n, p, seed: as for :func:`coba` (``p`` defaults to ``80 / n``).

    Other arguments:
        backend, onthefly, dtype: as for :func:`coba`.

    Returns:
        A :class:`~brainlab.Network` with populations ``E``, ``I`` (``bl.neurons.LIF``) and projections ``EE``, ``EI``,
        ``IE``, ``II`` (``bl.outputs.CUBA``).

    Example:
        >>> import brainlab as bl
        >>> net = bl.networks.cuba(1000, seed=1)
        >>> float(net.E.V_rest.value), float(net.IE.weight.value), net.I.size   # run it as bl.networks.coba
        (-49.0, -9.0, (200,))

    Limits: as for :func:`coba`; current-based synapses ignore the distance to a reversal potential, so the
    inhibitory current does not shrink near -80 mV.

    Reference: Brette R et al. (2007) J Comput Neurosci 23:349-398 (benchmark 2, after Vogels TP, Abbott LF
    (2005) J Neurosci 25:10786-10795).
    """
    import brainlab as bl

    def population(size: int, name: str) -> Any:
        return bl.neurons.LIF(size, name=name, V_rest=-49.0, V_reset=-60.0, V_th=-50.0, tau=20.0, R=1.0, t_ref=5.0)

    return _build("cuba", n, p, seed, backend, onthefly, dtype, population,
                  synapse=_exc_inh(bl.synapses.Expon(tau=5.0), bl.synapses.Expon(tau=10.0)),
                  output=_exc_inh(bl.outputs.CUBA, bl.outputs.CUBA),
                  weight=_exc_inh(1.62, -9.0), initial=_uniform_potentials(-60.0, -50.0))


def _cobahh_initial(rng: np.random.Generator, n_e: int, n_i: int) -> dict[str, np.ndarray]:
    from .neurons._traub_miles import traub_miles_rates

    n = n_e + n_i
    # the initial state of Brian2's COBAHH example: V ~ N(-65, 5) mV, g_e ~ N(40, 15) nS, g_i ~ N(200, 120) nS
    V = -60.0 + (rng.standard_normal(n) * 5.0 - 5.0)
    g_e = (rng.standard_normal(n) * 1.5 + 4.0) * 10.0
    g_i = (rng.standard_normal(n) * 12.0 + 20.0) * 10.0
    # one compiled call (evaluated op by op, the rate functions would compile some twenty XLA programs)
    r = {k: np.asarray(v, dtype=np.float64) for k, v in jax.jit(traub_miles_rates)(V, -63.0).items()}
    out = {}
    for x in "mhn":
        gate = r[f"alpha_{x}"] / (r[f"alpha_{x}"] + r[f"beta_{x}"])   # the gates start at their steady state
        out[f"E.{x}"], out[f"I.{x}"] = gate[:n_e], gate[n_e:]
    out.update({"E.V": V[:n_e], "I.V": V[n_e:], "EE.syn.g": g_e[:n_e], "EI.syn.g": g_e[n_e:],
                "IE.syn.g": g_i[:n_e], "II.syn.g": g_i[n_e:]})
    return out


def cobahh(n: int = 4000, *, p: float | None = None, seed: int = 0, backend: str | None = None,
           onthefly: bool = False, dtype: Any = None) -> Network:
    r"""The COBAHH benchmark: Traub-Miles Hodgkin-Huxley neurons with conductance-based synapses (Brette et al. 2007).

    Each neuron is a :class:`~brainlab.neurons.TraubMiles` cell receiving

    .. math::

        C \frac{dV}{dt} = -I_\text{Na} - I_\text{Kd} - g_L (V - E_L) + g_e (E_e - V) + g_i (E_i - V),
        \qquad \frac{dg_e}{dt} = -\frac{g_e}{\tau_e}, \qquad \frac{dg_i}{dt} = -\frac{g_i}{\tau_i},

    (the sodium and potassium currents are those of ``TraubMiles``); a spike (an upward crossing of -20 mV, not
    counted within 3 ms of the previous one, as in Brian2's example) increments :math:`g_e` (:math:`g_i`) of each
    target by :math:`w_e` (:math:`w_i`) at the next step.  There is no external drive: with these parameters a
    lone cell fires on its own (about 14 Hz), and the network's activity is shaped by its recurrent synapses.

    ========================================= =============== ========================================
    :math:`C`                                 200 pF          capacitance (a 20 000 µm² compartment)
    :math:`g_L`, :math:`E_L`                  10 nS, -60 mV   leak
    :math:`g_\text{Na}`, :math:`E_\text{Na}`  20 µS, 50 mV    sodium
    :math:`g_\text{Kd}`, :math:`E_K`          6 µS, -90 mV    delayed-rectifier potassium
    :math:`V_T`                               -63 mV          offset of the rate functions
    :math:`\tau_e`, :math:`\tau_i`            5 ms, 10 ms     synaptic decay
    :math:`E_e`, :math:`E_i`                  0 mV, -80 mV    reversal potentials
    :math:`w_e`, :math:`w_i`                  6 nS, 67 nS     weights
    ========================================= =============== ========================================

    The initial state is drawn as in Brian2's COBAHH example: :math:`V \sim \mathcal N(-65, 5^2)` mV,
    :math:`g_e \sim \mathcal N(40, 15^2)` nS, :math:`g_i \sim \mathcal N(200, 120^2)` nS, with the gates at their
    steady state for each :math:`V`.

    Args:
        n, p, seed: as for :func:`coba` (``p`` defaults to ``80 / n``).

    Other arguments:
        backend, onthefly, dtype: as for :func:`coba`.

    Returns:
        A :class:`~brainlab.Network` with populations ``E``, ``I`` (``bl.neurons.TraubMiles``) and projections ``EE``,
        ``EI``, ``IE``, ``II``.

    Example:
        >>> import brainlab as bl
        >>> net = bl.networks.cobahh(1000, seed=1)
        >>> runner = bl.Runner(net, dt=0.1, progress=False)   # the benchmark's step; runner.run(1000.0) for 1 s
        >>> net.E, float(net.IE.weight.value)                 # about 37 Hz at n = 4000
        (TraubMiles(size=800, name='E', t_ref=3), 67.0)

    Limits: the benchmark integrates with exponential Euler at ``dt = 0.1`` ms, which lengthens a lone cell's
    firing period by about 6 % (Brian2 makes the same error, spike for spike); ``bl.Runner(net)`` uses the
    neuron's default 0.01 ms (ten times the cost, under 1 %).  The synaptic current is held over each step at its
    value at the step's start, where Brian2 integrates it with the membrane potential; Brian2 made to hold it too
    fires about 1.2 Hz (3 %) faster on the same seeds (see ``tests/test_ei_networks.py``).

    Reference: Brette R et al. (2007) J Comput Neurosci 23:349-398 (benchmark 3); Traub RD, Miles R (1991)
    Neuronal Networks of the Hippocampus, Cambridge University Press.
    """
    import brainlab as bl

    def population(size: int, name: str) -> Any:
        return bl.neurons.TraubMiles(size, name=name, t_ref=3.0)

    return _build("cobahh", n, p, seed, backend, onthefly, dtype, population,
                  synapse=_exc_inh(bl.synapses.Expon(tau=5.0), bl.synapses.Expon(tau=10.0)),
                  output=_exc_inh(lambda: bl.outputs.COBA(E=0.0), lambda: bl.outputs.COBA(E=-80.0)),
                  weight=_exc_inh(6.0, 67.0), initial=_cobahh_initial)


def decision_making(n: int = 500, *, coherence: float = 0.0, mu0: float = 40.0, w_plus: float = 1.7,
                    f: float = 0.15, seed: int = 0) -> Network:
    r"""Wang's (2002) spiking attractor network for a two-choice task, at a reduced size.

    ``n`` LIF neurons, 80 % excitatory and 20 % inhibitory (``I``); the excitatory ones form two selective pools
    ``A`` and ``B`` (a fraction ``f`` of them each), which receive the stimulus, and a nonselective pool ``N``.
    Every pair of neurons is connected (all-to-all, no self-connections).  Each neuron obeys

    .. math::

        C_m \frac{dV}{dt} = -g_L (V - V_L) - I_\text{AMPA,ext} - I_\text{AMPA} - I_\text{NMDA} - I_\text{GABA},

    with threshold -50 mV, reset -55 mV, refractory 2 ms (E) or 1 ms (I), :math:`V_L = -70` mV.  AMPA and GABA_A
    conductances jump by the weight at each spike and decay with 2 ms and 5 ms (``bl.synapses.Expon``); the NMDA
    gating of each presynaptic neuron saturates,
    :math:`ds/dt = -s/\tau_\text{NMDA} + \alpha T(t) (1 - s)` with a transmitter pulse :math:`T` of 2 ms per
    spike (``bl.synapses.NMDA`` with :math:`\alpha = 0.5` /ms, :math:`\beta = 1/100` /ms), and its current is
    blocked by magnesium (``bl.outputs.MgBlock``, 1 mM).  Every neuron receives 800 external Poisson inputs at
    3 Hz (2.4 kHz) through AMPA synapses; pool ``A`` (``B``) receives, in addition, one Poisson stimulus train at
    :math:`\mu_0 (1 + c'/100)` (:math:`\mu_0 (1 - c'/100)`) Hz.  Synapses between neurons of the same selective
    pool are scaled by :math:`w_+`, those from the other selective pool and from ``N`` onto a selective pool by
    :math:`w_- = 1 - f (w_+ - 1)/(1 - f)`; all others by 1.

    ====================================== ============================== =============================
    :math:`C_m`, :math:`g_L`               0.5 nF, 25 nS (E)              0.2 nF, 20 nS (I)
    external AMPA (per input spike)        2.1 nS (E)                     1.62 nS (I)
    recurrent AMPA, NMDA                   0.05, 0.165 nS (onto E)        0.04, 0.13 nS (onto I)
    GABA_A                                 1.3 nS (onto E)                1.0 nS (onto I)
    reversal potentials                    0 mV (AMPA, NMDA)              -70 mV (GABA_A)
    ====================================== ============================== =============================

    These are Wang's values for his 2000-neuron network; here the recurrent conductances are multiplied by
    :math:`1600/N_E` (from E) and :math:`400/N_I` (from I), so that each neuron gets the same mean recurrent input
    from fewer, stronger synapses.  The LIF neurons take :math:`\tau = C_m/g_L` and :math:`R = 1/g_L` (GΩ), so
    conductances are in nS and currents in pA.

    Args:
        n: the number of neurons (at least 50; the default 500 has 60 neurons in each selective pool).
        coherence: :math:`c'` in % (-100 to 100; positive favours pool ``A``).
        mu0: the stimulus rate :math:`\mu_0` (Hz; 0 for no stimulus).  The stimulus rates are the parameters
            ``net.stim_A.rate_hz`` and ``net.stim_B.rate_hz``: set them between runs to switch the stimulus.
        w_plus: :math:`w_+`, the potentiation within a selective pool (1.7 in Wang 2002).
        f: the fraction of excitatory neurons in each selective pool (0.15).
        seed: draws the initial potentials (uniform in [-60, -50] mV) and seeds the Poisson inputs.

    Returns:
        A :class:`~brainlab.Network` with populations ``A``, ``B``, ``N``, ``I`` (``bl.neurons.LIF``), the
        projections ``{pre}{post}_AMPA`` and ``{pre}{post}_NMDA`` from each excitatory pool and ``I{post}`` from
        the inhibitory one (``AB_NMDA`` is A → B), and the Poisson inputs ``bg_{pool}``, ``stim_A``, ``stim_B``.

    Example:
        >>> import brainlab as bl
        >>> net = bl.networks.decision_making(100, coherence=51.2)
        >>> net.A.num, net.B.num, net.N.num, net.I.num
        (12, 12, 56, 20)
        >>> float(net.stim_A.rate_hz.value.max()), float(net.stim_B.rate_hz.value.max())   # Hz: 40 (1 ± 0.512)
        (60.48, 19.52)
        >>> round(float(net.AA_NMDA.weight.value.max()), 3)    # nS: 0.165 x 1600/80 x w+ (1.7)
        5.61

    Limits: the NMDA rise is a 2 ms square pulse instead of Wang's 2 ms exponential (the same saturation per
    spike, :math:`1 - e^{-1}`), and the external input of a neuron is one binomial draw per step.  Fewer neurons
    mean larger fluctuations: at n = 500 the spontaneous state (E about 2 Hz, I about 8 Hz) and a winner-take-all
    choice at high coherence appear as in the full network, but at low coherence the choice comes later (often
    after more than 2 s) than in Wang's 2000 neurons.  Each run costs about :math:`n^2` synaptic operations per
    spike step (all-to-all).

    Reference: Wang XJ (2002) Probabilistic decision making by slow reverberation in cortical circuits. Neuron
    36:955-968; Brunel N, Wang XJ (2001) J Comput Neurosci 11:63-85 (the neuron and synapse models).
    """
    import brainlab as bl

    who = "decision_making"
    n = _check_n(who, n)
    if n < 50:
        raise ValueError(f"{who}: n must be at least 50 (pools of at least 6 neurons), got {n}.")
    for name, value, lo, hi in (("coherence", coherence, -100.0, 100.0), ("mu0", mu0, 0.0, 1000.0),
                                ("w_plus", w_plus, 1.0, 10.0), ("f", f, 0.01, 0.45)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not lo <= value <= hi:
            raise ValueError(f"{who}: {name} must be a number in [{lo:g}, {hi:g}], got {value!r}.")
    seed = _check_seed(who, seed)
    n_e = int(round(0.8 * n))
    n_i = n - n_e
    n_sel = int(round(f * n_e))
    seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(7, dtype=np.uint32)]

    def lif(size: int, name: str, excitatory: bool) -> Any:
        return bl.neurons.LIF(size, name=name, tau=20.0 if excitatory else 10.0, R=0.04 if excitatory else 0.05,
                              V_rest=-70.0, V_th=-50.0, V_reset=-55.0, t_ref=2.0 if excitatory else 1.0)

    pops = {"A": lif(n_sel, "A", True), "B": lif(n_sel, "B", True), "N": lif(n_e - 2 * n_sel, "N", True),
            "I": lif(n_i, "I", False)}
    from_e, from_i = 1600.0 / n_e, 400.0 / n_i
    g = {"AMPA": {"E": 0.05 * from_e, "I": 0.04 * from_e}, "NMDA": {"E": 0.165 * from_e, "I": 0.13 * from_e},
         "GABA": {"E": 1.3 * from_i, "I": 1.0 * from_i}, "ext": {"E": 2.1, "I": 1.62}}
    w_minus = 1.0 - f * (w_plus - 1.0) / (1.0 - f)

    def structure(pre: str, post: str) -> float:
        if post in ("N", "I"):
            return 1.0
        return w_plus if pre == post else w_minus  # onto a selective pool: itself, the other pool, N

    parts: dict[str, Any] = dict(pops)
    for pre in "ABN":
        for post in "ABNI":
            kind = "I" if post == "I" else "E"
            conn = bl.conn.AllToAll(include_self=pre != post)
            w = structure(pre, post)
            parts[f"{pre}{post}_AMPA"] = bl.Projection(
                pops[pre], pops[post], conn, bl.synapses.Expon(tau=2.0), bl.outputs.COBA(E=0.0),
                weight=g["AMPA"][kind] * w, name=f"{pre}{post}_AMPA")
            parts[f"{pre}{post}_NMDA"] = bl.Projection(
                pops[pre], pops[post], conn, bl.synapses.NMDA(alpha=0.5, beta=0.01, T_max=1.0, T_dur=2.0),
                bl.outputs.MgBlock(E=0.0, cc_Mg=1.0), weight=g["NMDA"][kind] * w, name=f"{pre}{post}_NMDA")
    for post in "ABNI":
        kind = "I" if post == "I" else "E"
        parts[f"I{post}"] = bl.Projection(
            pops["I"], pops[post], bl.conn.AllToAll(include_self=post != "I"), bl.synapses.Expon(tau=5.0),
            bl.outputs.COBA(E=-70.0), weight=g["GABA"][kind], name=f"I{post}")
    for k, post in enumerate("ABNI"):
        kind = "I" if post == "I" else "E"
        parts[f"bg_{post}"] = bl.inputs.PoissonInput(
            pops[post], 800, 3.0, g["ext"][kind], synapse=bl.synapses.Expon(tau=2.0), output=bl.outputs.COBA(E=0.0),
            seed=seeds[k], name=f"bg_{post}")
    for k, (post, sign) in enumerate((("A", 1.0), ("B", -1.0))):
        parts[f"stim_{post}"] = bl.inputs.PoissonInput(
            pops[post], 1, mu0 * (1.0 + sign * coherence / 100.0), g["ext"]["E"], synapse=bl.synapses.Expon(tau=2.0),
            output=bl.outputs.COBA(E=0.0), seed=seeds[4 + k], name=f"stim_{post}")
    net = Network(**parts)
    rng = np.random.default_rng(seeds[6])
    states = net.states()
    for name, pop in pops.items():  # what reset() restores
        states[f"{name}.V"].set_initial(rng.uniform(-60.0, -50.0, pop.num).astype(states[f"{name}.V"].dtype))
    return net
