r"""``AbstractOutput``: how a synaptic conductance :math:`g` becomes a current onto the postsynaptic neurons."""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from .._model import Parameter, _public_module, _raw, register_model
from ..engine import Module, ParamState, State

__all__ = ["AbstractOutput"]


class AbstractOutput(Module):
    r"""Base of synaptic outputs: ``current(g, V) -> I``.

    A subclass declares ``PARAMETERS`` (a tuple of :class:`~brainlab._model.Parameter`; each becomes a
    :class:`~brainlab.engine.ParamState` attribute, changed by plain assignment ``out.E = -75.`` without
    recompiling) and ``NEEDS_VOLTAGE`` (whether :meth:`current` reads the postsynaptic membrane potential).

    Args:
        V: the name of the postsynaptic variable read as the membrane potential (default ``'V'``; only for
            outputs that need it).
        **params: parameter values (numbers, or arrays broadcastable to the postsynaptic population).
    """

    PARAMETERS: ClassVar[tuple[Parameter, ...]] = ()
    NEEDS_VOLTAGE: ClassVar[bool] = False
    EQUATIONS: ClassVar[str] = ""
    REFERENCE: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not getattr(cls, "__abstractmethods__", None):
            register_model(cls)

    @classmethod
    def catalog_entry(cls) -> dict[str, Any]:
        """This output's declarations as JSON-ready data (one :func:`brainlab.catalog` entry, kind ``'output'``)."""
        doc = (cls.__doc__ or "").strip().splitlines()
        return {
            "name": cls.__name__, "module": _public_module(cls.__module__), "kind": "output",
            "summary": doc[0].strip() if doc else "", "spiking": False, "method": None, "default_dt": None,
            "parameters": [p.to_json() for p in cls.PARAMETERS], "variables": [],
            "equations": cls.EQUATIONS, "reference": cls.REFERENCE, "presets": {},
        }

    def __init__(self, *, V: str = "V", **params: Any) -> None:
        cls = type(self)
        index = {p.name: p for p in cls.PARAMETERS}
        unknown = [k for k in params if k not in index]
        if unknown:
            valid = ", ".join(f"{p.name} [{p.unit}]" if p.unit else p.name for p in cls.PARAMETERS) or "(none)"
            raise TypeError(f"{cls.__name__}: unknown parameter(s) {', '.join(map(repr, unknown))}. Valid "
                            f"parameters: {valid}.")
        if not isinstance(V, str) or not V.isidentifier():
            raise TypeError(f"{cls.__name__}: V must name the postsynaptic voltage variable (e.g. 'V'), got {V!r}.")
        object.__setattr__(self, "_index", index)
        self.voltage_name = V
        for p in cls.PARAMETERS:
            object.__setattr__(self, p.name, ParamState(self._checked(p, params.get(p.name, p.default)),
                                                        name=f"{cls.__name__}.{p.name}"))

    def _checked(self, p: Parameter, value: Any) -> Any:
        owner = type(self).__name__
        value = _raw(value)
        if isinstance(value, jax.core.Tracer):
            return value
        if isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{owner}: parameter {p.name!r} must be a number in {p.unit}, got the bool {value!r}.")
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"{owner}: parameter {p.name!r} must be a number or an array of numbers in {p.unit}, "
                            f"got {type(value).__name__}.") from None
        lo, hi = p.range
        bad = ~((arr >= lo) & (arr <= hi))
        if bad.any():
            raise ValueError(f"{owner}: parameter {p.name!r} = {arr[bad].flat[0]:g} {p.unit} is outside its "
                             f"admissible range {p.describe_range()} ({p.doc}).")
        return arr

    def __setattr__(self, key: str, value: Any) -> None:
        index = self.__dict__.get("_index", {})
        if key in index and key in self.__dict__:
            if isinstance(value, State):
                if value is self.__dict__[key]:
                    return
                raise TypeError(f"{type(self).__name__}.{key}: assign a value (out.{key} = -70.), not a State.")
            state = self.__dict__[key]
            value = self._checked(index[key], value)
            if not isinstance(value, jax.core.Tracer) and tuple(np.shape(value)) != state.shape:
                state.set_value(jnp.asarray(value, dtype=state.dtype), reshape=True)
            else:
                state.value = value
            return
        super().__setattr__(key, value)

    def param_arrays(self) -> dict[str, jax.Array]:
        """The current value of every parameter (JAX arrays)."""
        return {p.name: self.__dict__[p.name].value for p in type(self).PARAMETERS}

    @abc.abstractmethod
    def current(self, g: Any, V: Any = None) -> jax.Array:
        """The current onto each postsynaptic neuron for the conductance ``g`` and membrane potential ``V``."""

    def describe(self) -> str:
        """A one-line description (for ``Network.summary()``)."""
        parts = []
        for p in type(self).PARAMETERS:
            raw = self.__dict__[p.name]._value
            if isinstance(raw, jax.core.Tracer):
                continue
            arr = np.asarray(raw, dtype=float)
            value = f"{arr.flat[0]:.6g}" if arr.size == 1 or np.all(arr == arr.flat[0]) else f"<{arr.size} values>"
            parts.append(f"{p.name}={value}{' ' + p.unit if p.unit else ''}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __repr__(self) -> str:
        return self.describe()
