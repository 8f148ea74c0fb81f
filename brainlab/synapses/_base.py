r"""``AbstractSynapse``: the base of every synapse and short-term-plasticity model in :mod:`brainlab.synapses`.

A synapse model turns presynaptic events into a conductance-like quantity :math:`g` that an *output*
(:mod:`brainlab.outputs`) turns into a current.  It is declared like a neuron (``PARAMETERS``, ``VARIABLES``,
``EQUATIONS``, ``REFERENCE``) and listed by :func:`brainlab.catalog` with kind ``'synapse'``.

One step of :meth:`AbstractSynapse.update` from :math:`t` to :math:`t + \Delta t` does three things, in order:

1. *arrival*: the events that reach the synapse at time :math:`t` (the spikes emitted at the end of the previous
   step) act instantly (a jump of :math:`g`, the start of a transmitter pulse ...);
2. *readout*: the value of :math:`g` at :math:`t` (after the jump) is returned; a projection holds it for the
   whole step (left-point rule, first order in :math:`\Delta t` for the coupled neuron);
3. *propagation*: the variables are advanced to :math:`t + \Delta t` -- exactly (``method='exact'``, the
   default: the dynamics between events are linear with constant coefficients) or with a numerical integrator
   (``method='rk4'`` ... , useful to check the exact solution).

Where the state lives (``STATE_ON``):

* ``'post'`` -- linear models (Delta, Expon, DualExpon, Alpha): the response to a sum of events is the sum of the
  responses, so one state per *postsynaptic* neuron driven by the summed weighted events
  :math:`x_j = \sum_i w_{ij} s_i` is exact, and costs O(n_post) per step whatever the number of synapses.
* ``'pre'`` -- saturating kinetics (AMPA, GABAa, NMDA) and short-term plasticity (STP, STD): the response is not
  linear in the events, but it depends only on the presynaptic spike train, so one state per *presynaptic*
  neuron, shared by all its synapses, is exact (all synapses of a projection share the kinetic parameters); the
  weights (maximal conductances) are applied after, :math:`g_j = \sum_i w_{ij} r_i`.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from .._model import AbstractModel, Parameter, _raw, _unknown_param_message

__all__ = ["AbstractSynapse", "AbstractShortTermPlasticity"]


class AbstractSynapse(AbstractModel, abstract=True):
    r"""Base of synapse models: events in, conductance :math:`g` out, with exact integration between events.

    Args:
        size: the number of units holding a state (postsynaptic neurons for ``STATE_ON == 'post'``, presynaptic
            neurons for ``'pre'``), or ``None`` for an *unbound* model: a description (class and parameter
            values) that :class:`~brainlab.Projection` binds to the right size.  ``bl.synapses.Expon(tau=5.)``
            is the usual way to pass a synapse to a projection.
        method: ``'exact'`` (default, the closed-form solution between events) or a fixed-step integrator name
            (``'euler'``, ``'rk4'`` ...) applied to :meth:`vector_field`.
        name: a readable name (default: the class name).
        **params: parameter values by name (numbers, or arrays broadcastable to ``size``).

    Class attributes: besides the declarations of :class:`~brainlab._model.AbstractModel`, ``STATE_ON``
    (``'post'`` or ``'pre'``, see the module documentation) and ``OUTPUT_UNIT`` (what :math:`g` measures).
    """

    KIND: ClassVar[str] = "synapse"
    METHOD: ClassVar[str] = "exact"
    STATE_ON: ClassVar[str] = "post"

    def __init__(self, size: int | tuple[int, ...] | None = None, *, method: str | None = None,
                 name: str | None = None, **params: Any) -> None:
        cls = type(self)
        if cls._abstract:
            super().__init__(1)  # raises the base class's "abstract" error
        exact = method is None and cls.METHOD == "exact" or method == "exact"
        if size is None:
            self._init_unbound(method, name, params)
            return
        super().__init__(size, method="euler" if exact else method, name=name, **params)
        if exact:
            object.__setattr__(self, "_method", "exact")
            object.__setattr__(self, "_integrator", None)
        self._check_params(self.param_arrays())

    # -- unbound descriptions --------------------------------------------------------------------------------
    def _init_unbound(self, method: str | None, name: str | None, params: dict[str, Any]) -> None:
        cls = type(self)
        object.__setattr__(self, "_ready", False)
        unknown = [k for k in params if k not in cls._param_index]
        if unknown:
            raise TypeError(_unknown_param_message(cls, unknown))
        checked = {}
        for k, value in params.items():
            p = cls._param_index[k]
            checked[k] = _checked_unbound(cls.__name__, p, value)
        values = {p.name: checked.get(p.name, p.default) for p in cls.PARAMETERS}
        self._check_params(values)
        if method not in (None, "exact"):
            from ..engine._integrators._registry import lookup

            lookup(method, who=f"{cls.__name__}(method=...)")
        object.__setattr__(self, "size", None)
        object.__setattr__(self, "num", None)
        object.__setattr__(self, "name", name if name is not None else cls.__name__)
        object.__setattr__(self, "_method", method if method is not None else cls.METHOD)
        object.__setattr__(self, "_spec", dict(checked))
        object.__setattr__(self, "_given_name", name)

    @property
    def bound(self) -> bool:
        """Whether this object holds States (``size`` given) or is only a description for a projection."""
        return self.size is not None

    def bind(self, size: int | tuple[int, ...]) -> "AbstractSynapse":
        """A new model of this class with this object's parameters and ``size`` units (used by projections).

        For a bound model, ``size`` must equal its own size and the model itself is returned.
        """
        if self.bound:
            n = int(np.prod(size if isinstance(size, tuple) else (size,)))
            if n != self.num:
                raise ValueError(
                    f"{type(self).__name__}: this synapse has size {self.size} but the projection needs "
                    f"{n} units (one per {'presynaptic' if self.STATE_ON == 'pre' else 'postsynaptic'} neuron). "
                    f"Pass an unbound synapse, e.g. bl.synapses.{type(self).__name__}(...) without a size, and "
                    "the projection sizes it."
                )
            return self
        method = None if self._method == type(self).METHOD else self._method
        return type(self)(size, method=method, name=self._given_name, **self._spec)

    def _require_bound(self, who: str) -> None:
        if not self.bound:
            raise RuntimeError(
                f"{type(self).__name__}.{who}: this synapse is unbound (built without a size), so it holds no "
                f"state. Pass it to bl.Projection(...), which sizes it, or build it with a size, e.g. "
                f"bl.synapses.{type(self).__name__}(100, ...)."
            )

    @property
    def method(self) -> str:
        """``'exact'`` or the name of the numerical integrator used by :meth:`update`."""
        return self._method if isinstance(self._method, str) else self._method.name

    @property
    def integrator(self) -> Any:
        """The pure step ``step(x, t, dt, params, I)``: :meth:`exact_step` or the numerical integrator."""
        return self.exact_step if self._integrator is None else self._integrator

    def _assign_param(self, p: Parameter, value: Any) -> None:
        proposed = dict(self.param_arrays())
        proposed[p.name] = self._checked_param(p, value)
        self._check_params(proposed)  # e.g. tau_rise < tau_decay, before anything is written
        super()._assign_param(p, value)

    # -- the model ------------------------------------------------------------------------------------------
    def _check_params(self, params: Mapping[str, Any]) -> None:
        """Checks that involve several parameters (e.g. ``tau_rise < tau_decay``); concrete values only."""

    @abc.abstractmethod
    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict[str, Any]:  # noqa: E741
        r"""The time derivatives of the variables between events (pure; ``I`` is unused by synapses)."""

    @abc.abstractmethod
    def exact_step(self, x: Mapping[str, Any], t: Any, dt: Any, params: Mapping[str, Any], I: Any = 0.0) -> dict:  # noqa: E741
        r"""The variables at :math:`t + \Delta t` from those at :math:`t`, with no event during the step (pure)."""

    @abc.abstractmethod
    def arrive(self, x: Mapping[str, Any], events: Any, t: Any, dt: Any, params: Mapping[str, Any]) -> dict:
        """The variables just after the events ``events`` arrive at time ``t`` (pure)."""

    def readout(self, x: Mapping[str, Any], params: Mapping[str, Any], dt: Any) -> jax.Array:
        """The quantity the synapse delivers during the step (default: the variable ``g``)."""
        return x["g"]

    # -- simulation -----------------------------------------------------------------------------------------
    def update(self, t: Any, dt: Any, x: Any = 0.0) -> jax.Array:
        r"""Advance one step from ``t`` to ``t + dt`` (ms) with the events ``x`` arriving at ``t``.

        Args:
            t: the time at the start of the step (ms).
            dt: the step (ms).
            x: for ``STATE_ON == 'post'`` models, the summed weighted events of each postsynaptic neuron
                (:math:`x_j = \sum_i w_{ij} s_i`, in the unit of the weights); for ``'pre'`` models, the event of
                each presynaptic neuron (bool spikes, or amplitudes in [0, 1] such as the release of a
                short-term-plasticity model).

        Returns:
            The value delivered during the step (the readout after the arrival, before propagation), shape
            ``size``.
        """
        self._require_bound("update")
        t, dt, x = _raw(t), _raw(dt), _raw(x)
        params = self.param_arrays()
        state = {n: self.__dict__[n].value for n in self.variable_names}
        dtype = state[self.variable_names[0]].dtype
        events = jnp.asarray(x)
        events = events.astype(dtype) if events.dtype == jnp.bool_ or not jnp.issubdtype(events.dtype, jnp.floating) \
            else events
        state = self.arrive(state, jnp.broadcast_to(events, self.size), t, dt, params)
        out = self.readout(state, params, dt)
        state = {n: state[n] for n in self.variable_names}  # arrive() may add auxiliary entries
        if self._integrator is None:
            new = self.exact_step(state, t, dt, params)
        else:
            new = self._integrator(state, t, dt, params, 0.0)
        for n in self.variable_names:
            s = self.__dict__[n]
            s.value = jnp.broadcast_to(jnp.asarray(new[n], s.dtype), s.shape)
        return out

    # -- description ----------------------------------------------------------------------------------------
    def describe_short(self) -> str:
        """A one-line description with the parameter values and units (for summaries)."""
        cls = type(self)
        parts = []
        for p in cls.PARAMETERS:
            if self.bound:
                raw = self.__dict__[p.name]._value
                if isinstance(raw, jax.core.Tracer):
                    continue
                arr = np.asarray(raw, dtype=float)
            else:
                arr = np.asarray(self._spec.get(p.name, p.default), dtype=float)
            unit = f" {p.unit}" if p.unit else ""
            if arr.size > 1 and not np.all(arr == arr.flat[0]):
                parts.append(f"{p.name}=<{arr.size} values in [{arr.min():.4g}, {arr.max():.4g}]{unit}>")
            elif arr.size:
                parts.append(f"{p.name}={arr.flat[0]:.6g}{unit}")
        return f"{cls.__name__}({', '.join(parts)})"

    def __repr__(self) -> str:
        if self.bound:
            return super().__repr__()
        cls = type(self)
        parts = [f"{k}={np.asarray(v, dtype=float).flat[0]:.6g}" if np.size(v) == 1 else f"{k}=<{np.size(v)} values>"
                 for k, v in self._spec.items()]
        if self._method != cls.METHOD:
            parts.append(f"method={self._method!r}")
        return f"{cls.__name__}({', '.join(parts + ['unbound'])})"


class AbstractShortTermPlasticity(AbstractSynapse, abstract=True):
    r"""Base of presynaptic short-term plasticity (STP, STD): spikes in, released fraction out.

    The state lives per presynaptic neuron (it depends only on that neuron's spike train); :meth:`update`
    returns the *efficacy* of each spike, the fraction of resources released, which a projection multiplies into
    the events it sends to its synapse model (``bl.Projection(..., stp=bl.synapses.STP(...))``).
    """

    STATE_ON: ClassVar[str] = "pre"

    def readout(self, x: Mapping[str, Any], params: Mapping[str, Any], dt: Any) -> jax.Array:
        return x["_release"]

    def update(self, t: Any, dt: Any, x: Any = 0.0) -> jax.Array:
        r"""Advance one step with the presynaptic spikes ``x`` arriving at ``t``; return the released fraction
        of each spike (0 where no spike arrived)."""
        return super().update(t, dt, x)


def _checked_unbound(owner: str, p: Parameter, value: Any) -> Any:
    """Check a parameter value given to an unbound model (range; the size is checked when it is bound)."""
    value = _raw(value)
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: parameter {p.name!r} must be a number ({p.unit or 'dimensionless'}), got the "
                        f"bool {value!r}.")
    if isinstance(value, jax.core.Tracer):
        return value
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: parameter {p.name!r} must be a number or an array of numbers "
                        f"({p.unit or 'dimensionless'}), got {type(value).__name__}.") from None
    lo, hi = p.range
    bad = ~((arr >= lo) & (arr <= hi))
    if bad.any():
        example = arr[bad].flat[0]
        unit = f" {p.unit}" if p.unit else ""
        raise ValueError(
            f"{owner}: parameter {p.name!r} = {example:g}{unit} is outside its admissible range "
            f"{p.describe_range()} ({p.doc}). Choose a value within the range."
        )
    return arr if arr.ndim else float(arr)


def concrete(x: Any) -> np.ndarray | None:
    """``x`` as a float numpy array when its value is known (not traced), else None."""
    x = _raw(x)
    if isinstance(x, jax.core.Tracer):
        return None
    return np.asarray(x, dtype=float)


def decay(dt: Any, tau: Any) -> jax.Array:
    r""":math:`e^{-\Delta t / \tau}`."""
    return jnp.exp(-dt / tau)


def positive_gap(owner: str, small: str, large: str, params: Mapping[str, Any]) -> None:
    """Raise when concrete ``params[small] >= params[large]`` (e.g. rise time not shorter than decay time)."""
    a, b = concrete(params[small]), concrete(params[large])
    if a is None or b is None:
        return
    if np.any(np.broadcast_to(a, np.broadcast_shapes(a.shape, b.shape)) >= b):
        raise ValueError(
            f"{owner}: {small} must be shorter than {large} (got {small}={np.max(a):g} ms, {large}={np.min(b):g} "
            f"ms). For equal time constants use bl.synapses.Alpha; for no rise use bl.synapses.Expon."
        )

