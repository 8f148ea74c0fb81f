r"""``AbstractNeuron``: the base of every neuron and rate model in :mod:`brainlab.neurons`."""

import abc
from collections.abc import Mapping
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from .._model import _REGISTRY, AbstractModel, _broadcasts, _raw
from ..engine import HiddenState, default_float
from ..engine._toplevel import at_top_level, cached_jit
from ._surrogate import Surrogate, get_surrogate, spike_fn

__all__ = ["AbstractNeuron"]


class AbstractNeuron(AbstractModel, abstract=True):
    r"""Base of neuron models: a population of ``size`` identical-equation units, integrated step by step.

    A concrete neuron declares ``PARAMETERS`` (always including ``I_ext``, a constant external current in the
    model's current unit, default 0), ``VARIABLES``, ``EQUATIONS`` (LaTeX), ``REFERENCE``, ``DEFAULT_DT`` (ms),
    ``METHOD`` (default integrator) and ``SPIKING``, and implements the pure :meth:`vector_field`.  Spiking models
    also implement ``_fire`` (threshold, reset, refractoriness).

    Args:
        size: the number of neurons (int) or the population's shape (tuple of ints).
        method: the integrator (``'euler'``, ``'rk2'``, ``'rk4'``, ``'exp_euler'`` ...; default the class's
            ``METHOD``).
        name: a readable name used in reprs and State names (default: the class name).
        surrogate: spiking models only: the surrogate gradient of the spike, a name (``'fast_sigmoid'``,
            ``'sigmoid'``, ``'triangle'``) or a :class:`~brainlab.neurons.Surrogate` instance.
        spike_dtype: spiking models only: ``bool`` (default) stores and returns boolean spikes; ``float`` stores
            0.0/1.0 spikes that carry the surrogate gradient (for training with ``be.grad``).
        **params: parameter values by name: a number, or an array broadcastable to ``size`` (per-neuron values).

    Attributes (besides one ``ParamState`` per parameter and one ``HiddenState`` per variable):
        spike: spiking models: ``HiddenState`` of shape ``size``, the spikes emitted in the last step.
        t_last_spike: models with a refractory period ``t_ref``: time (ms) of each neuron's last spike.

    Example (a model of your own; ``register=False`` keeps it out of :func:`~brainlab.catalog`):
        >>> import brainlab.neurons as nr
        >>> from brainlab._model import Parameter, Variable
        >>> class Leak(nr.AbstractNeuron, register=False):
        ...     '''A leaky rate unit.'''
        ...     PARAMETERS = (Parameter("tau", 10.0, "ms", (0.1, 1e3), "time constant"),
        ...                   Parameter("I_ext", 0.0, "pA", doc="constant input"))
        ...     VARIABLES = (Variable("x", 0.0, "pA", "filtered input"),)
        ...     EQUATIONS = r"\tau \dot x = -x + I_\text{ext} + I"
        ...     REFERENCE = "textbook (2001)"
        ...     SPIKING = False
        ...     def vector_field(self, state, params, I=0.0):
        ...         return {"x": (-state["x"] + params["I_ext"] + I) / params["tau"]}
        >>> leak = Leak(3, I_ext=5.0)
        >>> leak.update(0.0, 0.1) is None, leak
        (True, Leak(size=3, I_ext=5))

    Limits: the input ``I`` is held constant over a step (the integrator sees no intra-step change), and a
    spike is registered at the end of the step in which the threshold is reached (times are quantised to ``dt``).
    """

    KIND: ClassVar[str] = "neuron"
    SPIKING: ClassVar[bool] = True

    def __init__(
        self,
        size: int | tuple[int, ...],
        *,
        method: str | None = None,
        name: str | None = None,
        surrogate: "str | Surrogate | None" = None,
        spike_dtype: type = bool,
        **params: Any,
    ) -> None:
        cls = type(self)
        if not cls.SPIKING and (surrogate is not None or spike_dtype is not bool):
            raise TypeError(
                f"{cls.__name__} is a rate model and emits no spikes; remove the surrogate=/spike_dtype= arguments."
            )
        if spike_dtype not in (bool, float):
            raise TypeError(f"{cls.__name__}: spike_dtype must be bool or float, got {spike_dtype!r}.")
        super().__init__(size, method=method, name=name, **params)
        if cls.SPIKING:
            self._surrogate = get_surrogate("fast_sigmoid" if surrogate is None else surrogate, cls.__name__)
            self._spike_dtype = spike_dtype
            # initial values made on the host and transferred (jnp.zeros/jnp.full would compile a fill per shape)
            self.spike = HiddenState(
                jax.device_put(np.zeros(self.size, dtype=np.bool_ if spike_dtype is bool else default_float())),
                name=f"{self.name}.spike")
            if "t_ref" in cls._param_index:
                self.t_last_spike = HiddenState(jax.device_put(np.full(self.size, -np.inf, dtype=default_float())),
                                                name=f"{self.name}.t_last_spike")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls._abstract and "I_ext" not in cls._param_index:
            _REGISTRY.pop((cls.__module__, cls.__qualname__), None)
            raise TypeError(
                f"{cls.__name__}: every neuron model must declare the parameter 'I_ext' (constant external current "
                "in the model's current unit, default 0)."
            )
        if not cls._abstract:
            missing = [m for m in ("vector_field",) + (("_fire",) if cls.SPIKING else ())
                       if getattr(cls, m) is getattr(AbstractNeuron, m)]
            if missing:
                _REGISTRY.pop((cls.__module__, cls.__qualname__), None)
                raise TypeError(
                    f"{cls.__name__}: a concrete neuron must define {' and '.join(missing)} "
                    "(vector_field(state, params, I) -> dict of derivatives; spiking models also "
                    "_fire(x, x_new, params, t, dt) -> (x_new, float spikes)), or set SPIKING = False for a rate model."
                )

    @property
    def surrogate(self) -> Surrogate | None:
        """The surrogate gradient of the spike (``None`` for rate models)."""
        return getattr(self, "_surrogate", None)

    # -- the model ------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def vector_field(
        self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0  # noqa: E741
    ) -> dict[str, jax.Array]:
        r"""The time derivatives :math:`\dot x` (units of [x]/ms) at ``state`` for parameter values ``params``.

        Pure: reads nothing from the object, so it can be differentiated, vmapped and evaluated at any point.
        ``state`` maps every variable name to a value; ``params`` maps every parameter name to a value (e.g.
        :meth:`param_values`); ``I`` is an input current added to ``params['I_ext']``.  Threshold, reset and
        refractoriness are *not* part of the vector field (they live in :meth:`update`).
        """

    # -- simulation -----------------------------------------------------------------------------------------
    def update(self, t: Any, dt: Any, I: Any = 0.0) -> jax.Array | None:  # noqa: E741
        r"""Advance every neuron by one step, from time ``t`` to ``t + dt`` (ms), with input current ``I``.

        ``I`` (a scalar or an array broadcastable to ``size``, in the model's current unit) is added to
        ``I_ext`` and held constant during the step.  The variables are integrated with the model's ``method``;
        spiking models then apply threshold, reset and refractoriness, store the spikes in ``self.spike`` and
        return them (bool, or float when built with ``spike_dtype=float``).  Rate models return ``None``.

        Called outside any transform (a Python loop in a notebook), the step runs as a compiled function cached
        on this object (compiled once per shape of ``I``); inside ``be.for_loop``/``be.jit`` it is traced inline.
        """
        if at_top_level():
            return cached_jit(self._step, ("update",), lambda: self._step)(t, dt, I)
        return self._step(t, dt, I)

    def _step(self, t: Any, dt: Any, I: Any = 0.0) -> jax.Array | None:  # noqa: E741
        t, dt, I = _raw(t), _raw(dt), _raw(I)
        params = self.param_arrays()
        x = {n: self.__dict__[n].value for n in self.variable_names}
        target = tuple(jnp.shape(x[self.variable_names[0]]))
        if not _broadcasts(tuple(jnp.shape(I)), target):
            raise ValueError(
                f"{type(self).__name__}.update: the input current I has shape {tuple(jnp.shape(I))}, which does not "
                f"broadcast to the population shape {target}. Pass a scalar or an array of shape {target}."
            )
        x_new = self._integrator(x, t, dt, params, I)
        spikes = None
        if type(self).SPIKING:
            x_new, s = self._fire(x, x_new, params, t, dt)
            spikes = s if self._spike_dtype is float else s > 0.5
            self.spike.value = spikes
        for n in self.variable_names:
            self.__dict__[n].value = x_new[n]
        return spikes

    def _fire(self, x: dict, x_new: dict, params: dict, t: Any, dt: Any) -> tuple[dict, jax.Array]:
        """Spiking models: apply threshold/reset to ``x_new``; return it and the float spikes (surrogate grad)."""
        raise NotImplementedError(f"{type(self).__name__} is spiking but defines no _fire.")

    # -- helpers for _fire ----------------------------------------------------------------------------------
    def _spike(self, distance: jax.Array) -> jax.Array:
        """Float spikes :math:`H(\\text{distance})` with this model's surrogate gradient."""
        return spike_fn(distance, self._surrogate)

    def _refractory(self, t: Any, dt: Any, t_ref: Any) -> jax.Array:
        """True for neurons still refractory during the step that starts at ``t``.

        A neuron that spiked at the end of a step ending at :math:`t_s` is refractory in the steps starting at
        :math:`t_s \\le t < t_s + t_\\text{ref}` (half a step of tolerance absorbs rounding of ``t``), so it is
        held for :math:`t_\\text{ref}` exactly when :math:`t_\\text{ref}` is a multiple of ``dt``.
        """
        return (t - self.t_last_spike.value) < (t_ref - 0.5 * dt)

    def _record_spike_time(self, spiking: jax.Array, t: Any, dt: Any) -> None:
        self.t_last_spike.value = jnp.where(spiking, t + dt, self.t_last_spike.value)

    def reset_state(self) -> None:
        super().reset_state()
        if type(self).SPIKING:
            self.spike.value = jax.device_put(np.zeros(self.spike.shape, dtype=self.spike.dtype))
            if "t_last_spike" in self.__dict__:
                self.t_last_spike.value = jax.device_put(np.full(self.t_last_spike.shape, -np.inf,
                                                                 self.t_last_spike.dtype))


def crossing_fire(model: AbstractNeuron, V_old: jax.Array, V_new: jax.Array, V_th: Any) -> tuple[jax.Array, jax.Array]:
    """Spike detection by upward crossing of ``V_th`` during the step (no reset): float spikes and bool mask."""
    below = V_old < V_th
    s = model._spike(V_new - V_th) * below.astype(V_new.dtype)
    return s, below & (V_new >= V_th)


def reset_fire(
    model: AbstractNeuron, V_new: jax.Array, params: Mapping[str, Any], t: Any, dt: Any, *, threshold: str,
    reset: str = "V_reset",
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Integrate-and-fire spike handling with a refractory period ``t_ref``.

    Refractory neurons are held at ``params[reset]``; the others spike where ``V_new >= params[threshold]`` and
    are reset.  Returns the new potential, the float spikes (surrogate gradient) and the bool spike mask, and
    records the spike times.  The reset uses ``jnp.where`` (the reset is detached from the gradient, as is usual
    for surrogate-gradient training).
    """
    V_th, V_reset = params[threshold], params[reset]
    refractory = model._refractory(t, dt, params["t_ref"])
    V = jnp.where(refractory, V_reset, V_new)
    active = (~refractory).astype(V.dtype)
    s = model._spike(V - V_th) * active
    spiking = (V >= V_th) & ~refractory
    V = jnp.where(spiking, V_reset, V)
    model._record_spike_time(spiking, t, dt)
    return V, s, spiking
