"""Fixed-step ODE integration: :func:`odeint` builds a pure step function from a right-hand side."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._base import AbstractODEMethod
from ._registry import lookup
from ._tree import PyTree, as_state, callable_name, checked


class ODEIntegrator:
    r"""A pure step function ``step(x, t, dt, *params) -> x_next`` for :math:`\dot x = f(x, t, \theta)`.

    Built by :func:`odeint`; see there.  Attributes: ``f`` (the right-hand side), ``method`` (the method object),
    ``name`` and ``order`` (the method's global order of accuracy).
    """

    __slots__ = ("f", "method", "__weakref__")

    def __init__(self, f: Callable[..., PyTree], method: AbstractODEMethod) -> None:
        self.f = f
        self.method = method

    @property
    def name(self) -> str:
        """The method's registry name."""
        return self.method.name

    @property
    def order(self) -> int:
        """Global order of accuracy of the method."""
        return self.method.order

    def __call__(self, x: PyTree, t: Any, dt: Any, *params: Any) -> PyTree:
        """Advance the state ``x`` from time ``t`` to ``t + dt`` (ms); ``params`` are passed on to ``f``."""
        who = f"odeint({self.method.name!r}) step for {callable_name(self.f)}"
        x = as_state(x, who=who)
        return self.method.step(checked(self.f, x, who=who), x, t, dt, params)

    def __repr__(self) -> str:
        return f"ODEIntegrator(f={callable_name(self.f)}, method={self.method.name!r}, order={self.order})"


def odeint(f: Callable[..., PyTree], method: str | AbstractODEMethod = "rk4") -> ODEIntegrator:
    r"""Make a fixed-step integrator for :math:`\dot x = f(x, t, \theta)`.

    Args:
        f: the right-hand side ``f(x, t, *params)``.  ``x`` is an array or a pytree of arrays (a joint system
            such as ``(V, m, h)`` or a dict); ``f`` returns the time derivatives with the same structure, in units
            of [x]/ms (for a membrane potential, mV/ms).  ``t`` is the time in ms.
        method: a name from :data:`ODE_METHODS` or an :class:`AbstractODEMethod` instance:

            ============= ===== ==============================================================================
            name          order scheme
            ============= ===== ==============================================================================
            ``euler``     1     :math:`x + \Delta t\, f(x, t)`
            ``midpoint``  2     explicit midpoint rule
            ``heun``      2     explicit trapezoid (Heun)
            ``rk2``       2     Ralston's method (:math:`c_2 = 2/3`)
            ``rk3``       3     Kutta's third-order method
            ``rk4``       4     classical Runge-Kutta
            ``exp_euler`` 1     exponential Euler on each variable's diagonal linear part, found by autodiff;
                                exact for :math:`\dot x = a x + b`; assumes elementwise variables
            ============= ===== ==============================================================================

    Returns:
        An :class:`ODEIntegrator` ``step`` with ``step(x, t, dt, *params) -> x_next``.  It is pure, so it can be
        used inside ``jax.jit``, ``jax.vmap``, ``jax.grad`` and ``jax.lax.scan``; every leaf of ``x_next`` has
        the dtype of the corresponding leaf of ``x`` (a float32 state stays float32).

    Example:
        >>> import jax.numpy as jnp
        >>> from brainlab.engine._integrators import odeint
        >>> def leaky(v, t, tau, v_rest):  # dv/dt = -(v - v_rest) / tau, in mV/ms
        ...     return -(v - v_rest) / tau
        >>> step = odeint(leaky, method="rk4")
        >>> step.order
        4
        >>> v = jnp.array([-50.0, -70.0])
        >>> for i in range(100):  # 10 ms at dt = 0.1 ms
        ...     v = step(v, i * 0.1, 0.1, 10.0, -65.0)
        >>> [round(float(u), 3) for u in v]  # exact: -65 + (v0 + 65) e^{-1} = -59.482, -66.839
        [-59.482, -66.839]

    Limits: explicit methods are unstable when :math:`\Delta t` exceeds about 2-2.8 times the fastest time
    constant of the system; for stiff gating use ``exp_euler`` or a smaller step.  No error control is done; use
    :func:`solve_adaptive` for an accuracy-controlled reference solution.
    """
    if not callable(f):
        raise TypeError(
            f"odeint: f must be a function f(x, t, *params) returning the derivatives, got {type(f).__name__}."
        )
    return ODEIntegrator(f, lookup(method, who="odeint"))
