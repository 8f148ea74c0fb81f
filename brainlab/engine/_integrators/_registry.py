"""The registry of fixed-step ODE methods, looked up by name in :func:`odeint`."""

from __future__ import annotations

import types
from collections.abc import Mapping

from ._base import AbstractODEMethod
from ._exp_euler import EXP_EULER
from ._explicit_rk import EXPLICIT_RK_METHODS

_ODE_METHODS: dict[str, AbstractODEMethod] = {m.name: m for m in (*EXPLICIT_RK_METHODS, EXP_EULER)}

#: Read-only view ``name -> method`` of the fixed-step ODE methods (``ODE_METHODS['rk4'].order == 4``).
ODE_METHODS: Mapping[str, AbstractODEMethod] = types.MappingProxyType(_ODE_METHODS)


def register_ode_method(method: AbstractODEMethod, *, overwrite: bool = False) -> AbstractODEMethod:
    """Add a fixed-step method to the registry so that ``odeint(f, method=method.name)`` finds it.

    Args:
        method: an instance of a subclass of :class:`AbstractODEMethod` (with ``name``, ``order`` and ``step``).
        overwrite: replace an existing method of the same name (otherwise that is an error).

    Returns:
        ``method``, so the call can be used as an expression.
    """
    if not isinstance(method, AbstractODEMethod):
        raise TypeError(
            f"register_ode_method: method must be an instance of an AbstractODEMethod subclass, got "
            f"{type(method).__name__}. Subclass AbstractODEMethod and implement step(f, x, t, dt, params)."
        )
    if not isinstance(getattr(method, "name", None), str) or not isinstance(getattr(method, "order", None), int):
        raise TypeError("register_ode_method: the method must define a str `name` and an int `order`.")
    if method.name in _ODE_METHODS and not overwrite:
        raise ValueError(
            f"register_ode_method: a method named {method.name!r} is already registered "
            f"({_ODE_METHODS[method.name]!r}); pass overwrite=True to replace it or choose another name."
        )
    _ODE_METHODS[method.name] = method
    return method


def lookup(method: str | AbstractODEMethod, *, who: str) -> AbstractODEMethod:
    """The method object for ``method`` (a registered name or a method instance), or a clear error."""
    if isinstance(method, AbstractODEMethod):
        return method
    if not isinstance(method, str):
        raise TypeError(
            f"{who}: method must be a method name (str) or an AbstractODEMethod, got {type(method).__name__}. "
            f"Valid names: {', '.join(repr(k) for k in _ODE_METHODS)}."
        )
    try:
        return _ODE_METHODS[method]
    except KeyError:
        raise ValueError(
            f"{who}: unknown method {method!r}. Valid methods are: {', '.join(repr(k) for k in _ODE_METHODS)}. "
            "For adaptive step-size integration use solve_adaptive(..., method='dopri5' or 'rkf45')."
        ) from None
