r"""``Projection``: spikes of one population, through synapses, into currents onto another population."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .engine import HiddenState, Module, ParamState, State
from .engine._event import csr_matvec, delay_push, delayed, event_csr_matvec, event_fixedprob_onthefly
from .engine._event import fixedprob_onthefly_csr
from .engine._event._backend import resolve as _resolve_backend

__all__ = ["Projection"]

_BACKENDS = ("auto", "numba", "jax", "dense")


# ------------------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------------------


def _shape(pop: Any) -> tuple[int, ...]:
    size = pop.size
    return (int(size),) if isinstance(size, (int, np.integer)) else tuple(int(s) for s in size)


def _is_population(obj: Any, who: str) -> None:
    if not isinstance(obj, Module) or not hasattr(obj, "size") or not callable(getattr(obj, "update", None)):
        raise TypeError(
            f"Projection: {who} must be a population (e.g. bl.neurons.LIF(100) or bl.inputs.PoissonSpikes(100, "
            f"10.)), got {type(obj).__name__}."
        )


def _raw(x: Any) -> Any:
    from .engine._array import unwrap

    return x.value if isinstance(x, State) else unwrap(x)


def _fmt(x: float) -> str:
    return f"{x:.6g}"


# ------------------------------------------------------------------------------------------------------------
# Projection
# ------------------------------------------------------------------------------------------------------------


class Projection(Module):
    r"""Synaptic connections from a presynaptic population onto a postsynaptic one.

    Each time step the projection reads the spikes :math:`s_i` that ``pre`` emitted on the previous step (at
    time :math:`t`), delays them by ``delay``, optionally scales each by its short-term-plasticity efficacy, sends
    them through the synapse model and the output, and returns the current onto ``post``:

    .. math::

        x_j(t) = \sum_i w_{ij}\, s_i(t - d), \qquad g_j = \text{synapse}(x_j), \qquad
        I_j = \text{output}(g_j, V_j)

    for linear synapse models (state per postsynaptic neuron: Delta, Expon, DualExpon, Alpha), and
    :math:`g_j = \sum_i w_{ij}\, r_i` with :math:`r_i = \text{synapse}(s_i(t - d))` for saturating kinetics (state
    per presynaptic neuron: AMPA, GABAa, NMDA).  Spikes are delivered by event-driven kernels: only the synapses
    of neurons that spiked are visited.

    Args:
        pre: the presynaptic population; it must expose a ``spike`` State (neurons, ``bl.inputs.PoissonSpikes``).
        post: the postsynaptic population (receives the current through its ``update(t, dt, I)``).
        conn: a connectivity rule (``bl.conn.FixedProb(0.02, seed=1)``), built here for ``(pre.size,
            post.size)``, or a built :class:`~brainlab.conn.Connectivity` of matching sizes.
        synapse: a synapse model, unbound (``bl.synapses.Expon(tau=5.)``; the projection sizes it) or a class
            (``bl.synapses.Expon``, default parameters).  Available afterwards as ``proj.syn``.
        output: a synaptic output (``bl.outputs.CUBA()``, ``bl.outputs.COBA(E=0.)``, ``bl.outputs.MgBlock()``).
        weight: the synaptic weights, in the unit the synapse and output expect (nS for COBA, the post's current
            unit for CUBA): a number (one weight for all synapses); an array with one entry per synapse, in the
            order of the user's lists for ``bl.conn.FromIJ`` and in row-major order of the nonzeros for
            ``FromDense`` (CSR order otherwise); a ``(n_pre, n_post)`` matrix, read at each synapse; or a
            :class:`~brainlab.engine.ParamState` (scalar, or per synapse in CSR order) to train it.  ``None``
            takes the weights carried by the connectivity (``FromDense`` of a numeric matrix, ``FromIJ(...,
            weights=)``).  Stored as ``proj.weight``, a ``ParamState`` in CSR order (synapse ``k`` goes from
            ``proj.conn.pre[k]`` to ``proj.conn.post[k]``); ``proj.weight = 0.8`` changes it without recompiling.
        delay: axonal delay in ms: ``None``/0 (the spikes of the previous step act at once), a number (one delay:
            a ring buffer of past spike vectors), or one delay per synapse (same order as ``weight``; only with
            synapse models whose state is per postsynaptic neuron and no ``stp``).  Delays must be multiples of
            the time step.

    Other arguments:
        stp: short-term plasticity (``bl.synapses.STP(...)`` or ``bl.synapses.STD(...)``), applied to the
            spikes after the delay.
        backend: ``'auto'`` (numba kernels on CPU when available, pure JAX elsewhere), ``'numba'``, ``'jax'``, or
            ``'dense'`` (a dense ``(n_pre, n_post)`` matrix product: for small networks on accelerators).
        onthefly: with ``conn=bl.conn.FixedProb(p, seed=...)``: never store the connectivity; the targets of each
            spiking neuron are regenerated from the seed at every step (memory O(n_pre + n_post); one weight for
            all synapses; a different random graph than ``FixedProb.build`` draws for the same seed).
        dt: the time step (ms) the delay buffer is sized for (default: the smallest ``DEFAULT_DT`` of ``pre`` and
            ``post``); a run with a smaller step needs a projection built with that ``dt``.
        name: a readable name.

    Example:
        >>> import brainlab as bl
        >>> E = bl.neurons.LIF(3200); I = bl.neurons.LIF(800)
        >>> EE = bl.Projection(E, E, bl.conn.FixedProb(0.02, seed=1), bl.synapses.Expon(tau=5.),
        ...                    bl.outputs.COBA(E=0.), weight=0.6, delay=1.0)
        >>> EE.nnz > 0, EE.syn.g.shape
        (True, (3200,))

    Works under ``be.jit``, ``be.for_loop``, ``be.vmap`` (``bl.sweep`` over ``'EE.weight'`` or
    ``'EE.syn.tau'``) and ``be.grad`` (gradients with respect to ``proj.weight``; through spikes only for
    populations built with ``spike_dtype=float``).

    Limits: spike times are on the step grid; the current is held constant over a step (its value at the step's
    start); one projection has one synapse model and one output (combine several projections for several
    receptor types); per-synapse delays cost O(synapses) per step (not event-driven).
    """

    IS_PROJECTION = True

    def __init__(
        self,
        pre: Any,
        post: Any,
        conn: Any,
        synapse: Any,
        output: Any,
        weight: Any = None,
        delay: Any = None,
        *,
        stp: Any = None,
        backend: str = "auto",
        onthefly: bool = False,
        dt: float | None = None,
        name: str | None = None,
    ) -> None:
        _is_population(pre, "pre")
        _is_population(post, "post")
        spike = getattr(pre, "spike", None)
        if not isinstance(spike, State):
            raise TypeError(
                f"Projection: pre ({type(pre).__name__}) emits no spikes (it has no `spike` State); a projection "
                "delivers spikes. Use a spiking model (LIF, HH ...) or bl.inputs.PoissonSpikes as pre."
            )
        object.__setattr__(self, "_pre", pre)
        object.__setattr__(self, "_post", post)
        self.name = name if name is not None else "Projection"
        pre_shape, post_shape = _shape(pre), _shape(post)
        n_pre, n_post = math.prod(pre_shape), math.prod(post_shape)
        object.__setattr__(self, "_n_pre", n_pre)
        object.__setattr__(self, "_n_post", n_post)
        object.__setattr__(self, "_post_shape", post_shape)

        if backend not in _BACKENDS:
            raise ValueError(f"Projection: backend must be one of {_BACKENDS}; got {backend!r}. 'auto' picks the "
                             "numba kernels on CPU and pure JAX elsewhere.")
        object.__setattr__(self, "_backend", backend)
        if backend != "dense":
            _resolve_backend("Projection", backend)  # raises now if numba is asked for but unavailable

        self._setup_conn(conn, pre_shape, post_shape, onthefly)
        self._setup_models(synapse, output, stp, post)
        self._setup_weight(weight)
        self._setup_delay(delay, dt, pre, post)

    # -- construction -----------------------------------------------------------------------------------------
    def _setup_conn(self, conn: Any, pre_shape: tuple, post_shape: tuple, onthefly: bool) -> None:
        from .conn import ConnRule, Connectivity, FixedProb

        n_pre, n_post = self._n_pre, self._n_post
        object.__setattr__(self, "_onthefly", bool(onthefly))
        if onthefly:
            if not isinstance(conn, FixedProb):
                raise TypeError(
                    f"Projection: onthefly=True regenerates a fixed-probability connectivity from its seed, so conn "
                    f"must be bl.conn.FixedProb(p, seed=...); got {type(conn).__name__}."
                )
            if conn.allow_multapses:
                raise ValueError("Projection: onthefly=True draws each pair at most once; use "
                                 "FixedProb(..., allow_multapses=False) or store the connectivity (onthefly=False).")
            if not conn.include_self and n_pre == n_post:
                raise ValueError("Projection: onthefly=True draws self-pairs (i, i) like any other pair; use "
                                 "FixedProb(..., include_self=True) or store the connectivity (onthefly=False).")
            if self._backend == "dense":
                raise ValueError("Projection: onthefly=True stores nothing, so it cannot use backend='dense'; use "
                                 "'auto', 'numba' or 'jax'.")
            seed = conn.seed
            if seed is None:
                seed = int(np.random.SeedSequence().entropy % 2**32)
            if not 0 <= seed < 2**32:
                raise ValueError(f"Projection: onthefly=True needs a 32-bit seed (0 <= seed < 2**32); got "
                                 f"FixedProb(seed={seed}). Pass a smaller seed.")
            object.__setattr__(self, "_prob", float(conn.prob))
            object.__setattr__(self, "_seed", int(seed))
            object.__setattr__(self, "_conn", None)
            object.__setattr__(self, "_rule_text", f"FixedProb(prob={conn.prob:g}, seed={seed}, on the fly)")
            return
        if isinstance(conn, ConnRule):
            built = conn.build(pre_shape, post_shape)
        elif isinstance(conn, Connectivity):
            built = conn
        else:
            raise TypeError(
                f"Projection: conn must be a connectivity rule (e.g. bl.conn.FixedProb(0.1, seed=0)) or a "
                f"bl.conn.Connectivity, got {type(conn).__name__}."
            )
        if built.n_pre != n_pre or built.n_post != n_post:
            raise ValueError(
                f"Projection: the connectivity has shape (n_pre, n_post) = {built.shape} but pre has {n_pre} and "
                f"post has {n_post} neurons. Build it for these populations (pass the rule, not a Connectivity, "
                "and the projection builds it for the right sizes) or swap pre and post."
            )
        object.__setattr__(self, "_conn", built)
        # int32 on the host, then a plain transfer (jnp.asarray would compile a conversion per shape)
        object.__setattr__(self, "_indptr", jax.device_put(np.asarray(built.indptr, dtype=np.int32)))
        object.__setattr__(self, "_indices", jax.device_put(np.asarray(built.indices, dtype=np.int32)))
        object.__setattr__(self, "_rule_text", built.rule or "Connectivity")

    def _setup_models(self, synapse: Any, output: Any, stp: Any, post: Any) -> None:
        from .outputs import AbstractOutput
        from .synapses import AbstractShortTermPlasticity, AbstractSynapse

        synapse = synapse() if isinstance(synapse, type) and issubclass(synapse, AbstractSynapse) else synapse
        if isinstance(synapse, AbstractShortTermPlasticity):
            raise TypeError(
                f"Projection: {type(synapse).__name__} is short-term plasticity, not a synapse model; pass it as "
                f"stp=bl.synapses.{type(synapse).__name__}(...) and give a synapse such as bl.synapses.Expon()."
            )
        if not isinstance(synapse, AbstractSynapse):
            raise TypeError(
                f"Projection: synapse must be a synapse model such as bl.synapses.Expon(tau=5.), got "
                f"{type(synapse).__name__}."
            )
        n_units = self._n_post if synapse.STATE_ON == "post" else self._n_pre
        self.syn = synapse.bind((n_units,))
        if stp is not None:
            stp = stp() if isinstance(stp, type) and issubclass(stp, AbstractShortTermPlasticity) else stp
            if not isinstance(stp, AbstractShortTermPlasticity):
                raise TypeError(f"Projection: stp must be bl.synapses.STP(...) or bl.synapses.STD(...), got "
                                f"{type(stp).__name__}.")
            stp = stp.bind((self._n_pre,))
        self.stp = stp
        if isinstance(output, type) and issubclass(output, AbstractOutput):
            output = output()
        if not isinstance(output, AbstractOutput):
            raise TypeError(
                f"Projection: output must be a synaptic output such as bl.outputs.COBA(E=0.) or bl.outputs.CUBA(), "
                f"got {type(output).__name__}."
            )
        if output.NEEDS_VOLTAGE:
            v = getattr(post, output.voltage_name, None)
            if not isinstance(v, State):
                names = [k for k, s in vars(post).items() if isinstance(s, State) and not k.startswith("_")]
                raise ValueError(
                    f"Projection: {type(output).__name__} reads the postsynaptic potential "
                    f"{output.voltage_name!r}, but {type(post).__name__} has no such variable (its States: "
                    f"{names}). Pass {type(output).__name__}(..., V='name') or use bl.outputs.CUBA()."
                )
        for pname, value in output.param_arrays().items():
            shape = tuple(jnp.shape(value))
            if shape not in ((), (self._n_post,)):
                raise ValueError(
                    f"Projection: output parameter {pname!r} has shape {shape}; it must be a scalar or a flat array "
                    f"with one value per postsynaptic neuron, shape ({self._n_post},)."
                )
        self.output = output

    def _weight_values(self, weight: Any, who: str = "Projection") -> Any:
        """``weight`` (number, per-synapse array in user order, or dense matrix) as a CSR-ordered array."""
        w = np.asarray(_raw(weight))
        if w.dtype == np.bool_ or not (np.issubdtype(w.dtype, np.floating) or np.issubdtype(w.dtype, np.integer)):
            raise TypeError(f"{who}: weight must be a real number or an array of real numbers, got dtype {w.dtype}.")
        if not np.all(np.isfinite(w)):
            raise ValueError(f"{who}: weight has NaN or infinite entries; pass finite weights.")
        if w.ndim == 0:
            return w.astype(float)
        if self._onthefly:
            raise ValueError(
                f"{who}: with onthefly=True every synapse has the same weight, so weight must be a scalar; got shape "
                f"{w.shape}. Store the connectivity (onthefly=False) for per-synapse weights."
            )
        conn = self._conn
        if w.shape == (self._n_pre, self._n_post) and w.ndim == 2:
            return w[conn.pre, conn.indices].astype(float)
        if w.shape != (conn.nnz,):
            raise ValueError(
                f"{who}: weight has shape {w.shape}; expected a scalar, one value per synapse ({conn.nnz},), or a "
                f"(n_pre, n_post) = ({self._n_pre}, {self._n_post}) matrix."
            )
        if conn.perm is not None:
            w = conn.to_csr_order(w)
        return w.astype(float)

    def _setup_weight(self, weight: Any) -> None:
        if weight is None:
            if self._conn is None or self._conn.weights is None:
                raise TypeError(
                    "Projection: weight is missing. Pass weight= (a number such as 0.6 nS, or one value per synapse), "
                    "or a connectivity that carries weights (bl.conn.FromDense of a numeric matrix)."
                )
            value = np.asarray(self._conn.weights, dtype=float)
        elif isinstance(weight, State):
            shape = tuple(weight.shape)
            nnz = None if self._conn is None else self._conn.nnz
            if shape != () and (self._onthefly or shape != (nnz,)):
                raise ValueError(
                    f"Projection: a weight ParamState must be a scalar or hold one value per synapse in CSR order "
                    f"(shape ({nnz},)); got shape {shape}."
                )
            perm = None if self._conn is None else self._conn.perm
            if shape != () and perm is not None and not np.array_equal(perm, np.arange(len(perm))):
                raise ValueError(
                    "Projection: this FromIJ connectivity reorders the synapses, and a ParamState is used as it is. "
                    "Wrap the weights in CSR order: be.ParamState(conn.to_csr_order(w)) with conn built by the rule, "
                    "or pass the plain array (the projection reorders it)."
                )
            if not jnp.issubdtype(weight.dtype, jnp.floating):
                raise TypeError(f"Projection: the weight ParamState must hold floats, got dtype {weight.dtype}.")
            self.weight = weight
            return
        else:
            value = self._weight_values(weight)
        self.weight = ParamState(value, name=f"{self.name}.weight")

    def _setup_delay(self, delay: Any, dt: Any, pre: Any, post: Any) -> None:
        object.__setattr__(self, "_delay", None)
        object.__setattr__(self, "_delay_steps_cache", {})
        if dt is None:
            dt = min(float(getattr(pre, "DEFAULT_DT", 0.1)), float(getattr(post, "DEFAULT_DT", 0.1)))
        try:
            dt = float(dt)
        except (TypeError, ValueError):
            raise TypeError(f"Projection: dt must be a number of ms, got {type(dt).__name__}.") from None
        if not (math.isfinite(dt) and dt > 0):
            raise ValueError(f"Projection: dt must be a positive number of ms, got {dt}.")
        object.__setattr__(self, "_dt", dt)
        if delay is None:
            return
        d = np.asarray(_raw(delay))
        if d.dtype == np.bool_ or not (np.issubdtype(d.dtype, np.floating) or np.issubdtype(d.dtype, np.integer)):
            raise TypeError(f"Projection: delay must be a number of ms (or one per synapse), got dtype {d.dtype}.")
        d = d.astype(float)
        if not np.all(np.isfinite(d)):
            raise ValueError("Projection: delay has NaN or infinite entries; pass finite delays in ms.")
        if np.any(d < 0):
            raise ValueError(f"Projection: delay must be >= 0 ms (a spike cannot arrive before it is emitted); got "
                             f"{d.min():g} ms.")
        if d.ndim == 0:
            if float(d) == 0.0:
                return
            steps = self._steps_for(float(d), dt, "delay")
        else:
            if self._onthefly:
                raise ValueError("Projection: per-synapse delays need a stored connectivity; use onthefly=False or "
                                 "one delay for all synapses.")
            if self.syn.STATE_ON != "post" or self.stp is not None:
                raise ValueError(
                    f"Projection: per-synapse delays work with synapse models whose state is per postsynaptic "
                    f"neuron (Delta, Expon, DualExpon, Alpha) and without stp; {type(self.syn).__name__}"
                    f"{' with stp' if self.stp is not None else ''} needs one delay for all synapses."
                )
            d = self._weight_values(d, who="Projection (delay)")
            if d.ndim == 0:
                raise ValueError("Projection: internal error, per-synapse delays became a scalar.")
            steps = self._steps_for(d, dt, "delay")
            object.__setattr__(self, "_pre_ids", jnp.asarray(self._conn.pre))
        object.__setattr__(self, "_delay", d if d.ndim else float(d))
        n_slots = int(np.max(steps)) + 1
        buf_dtype = pre.spike.dtype
        self.delay_buffer = HiddenState(jnp.zeros((n_slots, self._n_pre), dtype=buf_dtype),
                                        name=f"{self.name}.delay_buffer")
        self.delay_step = HiddenState(jnp.zeros((), dtype=jnp.int32), name=f"{self.name}.delay_step")

    @staticmethod
    def _steps_for(delay: Any, dt: float, what: str) -> Any:
        ratio = np.asarray(delay, dtype=float) / dt
        steps = np.rint(ratio)
        if np.any(np.abs(ratio - steps) > 1e-4 * np.maximum(1.0, steps)):
            bad = float(np.asarray(delay).flat[int(np.argmax(np.abs(ratio - steps)))])
            raise ValueError(
                f"Projection: {what} {bad:g} ms is not a whole number of time steps (dt = {dt:g} ms). Spikes are "
                f"delivered on the step grid; use a multiple of dt (e.g. {max(1, round(bad / dt)) * dt:g} ms)."
            )
        return steps.astype(np.int64)

    # -- properties -------------------------------------------------------------------------------------------
    @property
    def pre(self) -> Any:
        """The presynaptic population."""
        return self._pre

    @property
    def post(self) -> Any:
        """The postsynaptic population."""
        return self._post

    @property
    def conn(self) -> Any:
        """The :class:`~brainlab.conn.Connectivity` (``None`` for an on-the-fly projection)."""
        return self._conn

    @property
    def nnz(self) -> int | None:
        """The number of synapses (``None`` on the fly: the connectivity is never counted)."""
        return None if self._conn is None else self._conn.nnz

    @property
    def delay(self) -> float | np.ndarray | None:
        """The delay (ms): a number, one per synapse in CSR order, or ``None``."""
        return self._delay

    @property
    def backend(self) -> str:
        """The backend asked for (``'auto'``, ``'numba'``, ``'jax'`` or ``'dense'``)."""
        return self._backend

    def __setattr__(self, key: str, value: Any) -> None:
        if key == "weight" and "weight" in self.__dict__ and not isinstance(value, State):
            state = self.__dict__["weight"]
            if isinstance(value, jax.core.Tracer):
                state.value = value
                return
            new = jnp.asarray(self._weight_values(value), dtype=state.dtype)
            if new.shape != state.shape:
                state.set_value(new, reshape=True)
            else:
                state.value = new
            return
        if key == "weight" and "weight" in self.__dict__ and isinstance(value, State) \
                and value is not self.__dict__["weight"]:
            raise TypeError("Projection.weight: assign values (proj.weight = 0.5), not a new State; compiled "
                            "functions would keep reading the old one.")
        super().__setattr__(key, value)

    # -- simulation -------------------------------------------------------------------------------------------
    def _delay_steps(self, dt: Any) -> Any:
        if isinstance(dt, jax.core.Tracer):
            raise TypeError("Projection.update: dt must be a Python number when the projection has a delay (it fixes "
                            "the number of steps of the delay); got a traced value.")
        key = float(dt)
        cached = self._delay_steps_cache.get(key)
        if cached is None:
            cached = self._steps_for(self._delay, key, "delay")
            n_slots = self.delay_buffer.shape[0]
            if int(np.max(cached)) >= n_slots:
                raise ValueError(
                    f"Projection: the delay buffer was sized for dt = {self._dt:g} ms ({n_slots} slots), but this "
                    f"run uses dt = {key:g} ms, which needs {int(np.max(cached)) + 1}. Build the projection with "
                    f"dt={key:g}."
                )
            if np.ndim(cached) == 0:
                cached = int(cached)
            self._delay_steps_cache[key] = cached
        return cached

    def _propagate(self, vector: Any, w: Any, events: bool) -> jax.Array:
        """:math:`y_j = \\sum_i w_{ij} v_i` through the stored or on-the-fly connectivity."""
        n_post = self._n_post
        if self._onthefly:
            return event_fixedprob_onthefly(vector, self._prob, w, self._seed, n_post, backend=self._backend)
        if self._backend == "dense":
            pre_ids = jnp.asarray(self._conn.pre)
            if jnp.ndim(w) == 0:
                dense = jnp.zeros((self._n_pre, n_post), w.dtype).at[pre_ids, self._indices].add(1.0) * w
            else:
                dense = jnp.zeros((self._n_pre, n_post), w.dtype).at[pre_ids, self._indices].add(w)
            return jnp.asarray(vector).astype(w.dtype) @ dense
        fn = event_csr_matvec if events else csr_matvec
        return fn(vector, self._indptr, self._indices, w, n_post, backend=self._backend)

    def _event_plan(self) -> tuple | None:
        """For :class:`~brainlab.Network`: ``(key, spikes, (indptr, indices, weights, n_post))`` when this step's
        event propagation can share one kernel call with other projections from the same population (stored
        connectivity, numba kernels, no delay or short-term plasticity, synapse state per postsynaptic neuron);
        else ``None``."""
        if (self._onthefly or self._backend == "dense" or self._delay is not None or self.stp is not None
                or self.syn.STATE_ON != "post"):
            return None
        if _resolve_backend("Projection", self._backend) != "numba":
            return None
        spikes = self._pre.spike.value.reshape(-1)
        return id(self._pre), spikes, (self._indptr, self._indices, self.weight.value, self._n_post)

    def update(self, t: Any, dt: Any, *, _propagated: Any = None) -> jax.Array:
        r"""The current onto ``post`` during the step from ``t`` to ``t + dt`` (ms), shape ``post.size``.

        Reads ``pre.spike`` (the spikes of the previous step), advances the delay buffer, the short-term
        plasticity and the synapse model by one step, and reads ``post``'s potential for conductance outputs.
        (``_propagated``: the summed weighted spikes of this step, already computed by a :class:`Network` that
        propagated several projections from the same population in one kernel call.)
        """
        t, dt = _raw(t), _raw(dt)
        spikes = self._pre.spike.value.reshape(-1)
        w = self.weight.value
        per_synapse = None
        if self._delay is not None:
            steps = self._delay_steps(dt)
            n = self.delay_step.value
            buf = delay_push(self.delay_buffer.value, n, spikes)
            self.delay_buffer.value = buf
            self.delay_step.value = n + 1
            if isinstance(steps, int):
                spikes = delayed(buf, n, steps)
            else:
                slots = jnp.mod(n - jnp.asarray(steps, jnp.int32), buf.shape[0])
                per_synapse = buf.reshape(-1)[slots * self._n_pre + self._pre_ids]
        events = spikes if self.stp is None else self.stp.update(t, dt, spikes)
        if per_synapse is not None:
            x = jax.ops.segment_sum(per_synapse.astype(w.dtype) * w, self._indices, num_segments=self._n_post)
            g = self.syn.update(t, dt, x)
        elif self.syn.STATE_ON == "post":
            x = self._propagate(events, w, events=True) if _propagated is None else _propagated
            g = self.syn.update(t, dt, x)
        else:
            r = self.syn.update(t, dt, events)
            g = self._propagate(r, w, events=False)
        V = None
        if self.output.NEEDS_VOLTAGE:
            V = getattr(self._post, self.output.voltage_name).value.reshape(-1)
        return self.output.current(g, V).reshape(self._post_shape)

    # -- inspection -------------------------------------------------------------------------------------------
    def to_dense(self) -> np.ndarray:
        r"""The weight matrix :math:`W_{ij}` (shape ``(n_pre, n_post)``; multapses add up), as numpy.

        For an on-the-fly projection the connectivity is materialised from the seed (memory O(n_pre n_post)).
        """
        w = np.asarray(self.weight.value, dtype=float)
        if self._onthefly:
            indptr, indices = fixedprob_onthefly_csr(self._prob, self._seed, self._n_pre, self._n_post)
            pre = np.repeat(np.arange(self._n_pre), np.diff(indptr))
        else:
            pre, indices = self._conn.pre, self._conn.indices
        dense = np.zeros((self._n_pre, self._n_post))
        np.add.at(dense, (pre, indices), np.broadcast_to(w, pre.shape))
        return dense

    def _weight_text(self) -> str:
        raw = self.weight._value
        if isinstance(raw, jax.core.Tracer):
            return "w=<traced>"
        w = np.asarray(raw, dtype=float)
        if w.ndim == 0:
            return f"w={_fmt(float(w))}"
        if w.size and np.all(w == w.flat[0]):
            return f"w={_fmt(float(w.flat[0]))} (per synapse)"
        if w.size == 0:
            return "w=<none>"
        return f"w=<{w.size} values in [{_fmt(w.min())}, {_fmt(w.max())}]>"

    def describe(self) -> str:
        """One line for ``Network.summary()``: synapse, output, weight, delay, connectivity, backend."""
        parts = [f"{self.syn.describe_short()} -> {self.output.describe()}", self._weight_text()]
        if self._delay is not None:
            d = self._delay
            parts.append(f"delay={_fmt(d)} ms" if isinstance(d, float) else
                         f"delay=<per synapse in [{_fmt(np.min(d))}, {_fmt(np.max(d))}] ms>")
        if self.stp is not None:
            parts.append(f"stp={self.stp.describe_short()}")
        parts.append(self._rule_text)
        return ", ".join(parts)

    def __repr__(self) -> str:
        pre = getattr(self._pre, "name", None) or type(self._pre).__name__
        post = getattr(self._post, "name", None) or type(self._post).__name__
        nnz = "on the fly" if self.nnz is None else f"nnz={self.nnz:,}"
        return (f"Projection({pre}({self._n_pre}) -> {post}({self._n_post}), {nnz}, {self.describe()}, "
                f"backend={self._backend!r})")

