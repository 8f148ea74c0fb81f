"""Numerical integrators: fixed-step ODE methods, adaptive embedded Runge-Kutta, and SDE schemes.

- :func:`odeint` ``(f, method) -> step(x, t, dt, *params)``: euler, midpoint, heun, rk2, rk3, rk4, exp_euler.
- :func:`solve_adaptive`: Dormand-Prince 5(4) or Fehlberg 4(5) with error control, for analysis.
- :func:`sdeint` ``(f, g, method) -> step(x, t, dt, *params, key=None)``: Euler-Maruyama, Heun, Milstein.

States are arrays or pytrees of arrays (joint systems such as ``(V, m, h)``); time is in ms.
"""

from ._adaptive import solve_adaptive
from ._solution import AdaptiveSolution, AdaptiveStatus
from ._base import AbstractODEMethod, AbstractSDEMethod
from ._embedded_tableaus import ADAPTIVE_METHODS, DOPRI5, RKF45
from ._exp_euler import ExponentialEuler, phi1
from ._explicit_rk import EULER, HEUN, KUTTA3, MIDPOINT, RALSTON, RK4, ExplicitRungeKutta
from ._ode import ODEIntegrator, odeint
from ._registry import ODE_METHODS, register_ode_method
from ._sde import SDE_METHODS, SDEIntegrator, sdeint, wiener_increments
from ._sde_methods import EulerMaruyama, Milstein, StochasticHeun
from ._tableau import ButcherTableau

__all__ = [
    "odeint",
    "ODEIntegrator",
    "ODE_METHODS",
    "register_ode_method",
    "AbstractODEMethod",
    "ExplicitRungeKutta",
    "ExponentialEuler",
    "ButcherTableau",
    "EULER",
    "MIDPOINT",
    "HEUN",
    "RALSTON",
    "KUTTA3",
    "RK4",
    "phi1",
    "solve_adaptive",
    "AdaptiveSolution",
    "AdaptiveStatus",
    "ADAPTIVE_METHODS",
    "DOPRI5",
    "RKF45",
    "sdeint",
    "SDEIntegrator",
    "SDE_METHODS",
    "AbstractSDEMethod",
    "EulerMaruyama",
    "StochasticHeun",
    "Milstein",
    "wiener_increments",
]
