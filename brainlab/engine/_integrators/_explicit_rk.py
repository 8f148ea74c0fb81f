"""Fixed-step explicit Runge-Kutta methods, each defined by its Butcher tableau."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._base import AbstractODEMethod
from ._tableau import ButcherTableau, rk_stages
from ._tree import PyTree, lincomb


class ExplicitRungeKutta(AbstractODEMethod):
    r"""An explicit Runge-Kutta method given by a :class:`ButcherTableau`.

    One step costs ``tableau.stages`` evaluations of :math:`f`.  Stable only for
    :math:`\Delta t\,|\lambda| \lesssim 2\text{-}2.8` on the fastest decaying mode :math:`\lambda` of the system
    (stiff gating kinetics need a small step or the exponential Euler method).
    """

    def __init__(self, name: str, tableau: ButcherTableau, description: str) -> None:
        if tableau.b_hat is not None:
            raise ValueError(
                f"ExplicitRungeKutta {name!r}: tableau {tableau.name!r} is an embedded pair; "
                "use it with solve_adaptive, not as a fixed-step method."
            )
        self.name = name
        self.tableau = tableau
        self.order = tableau.order
        self.description = description

    def step(self, f: Callable[..., PyTree], x: PyTree, t: Any, dt: Any, params: tuple[Any, ...]) -> PyTree:
        ks = rk_stages(self.tableau, lambda y, s: f(y, s, *params), x, t, dt)
        return lincomb(x, dt, self.tableau.b, ks)


# ---- the classical tableaus (Hairer, Nørsett & Wanner, *Solving ODEs I*, 2nd ed., 1993, Sec. II.1) -------------

EULER = ButcherTableau(name="euler", c=(0.0,), a=((),), b=(1.0,), order=1)

MIDPOINT = ButcherTableau(name="midpoint", c=(0.0, 0.5), a=((), (0.5,)), b=(0.0, 1.0), order=2)

HEUN = ButcherTableau(name="heun", c=(0.0, 1.0), a=((), (1.0,)), b=(0.5, 0.5), order=2)

# Ralston (1962): the second-order two-stage method with the smallest error bound.
RALSTON = ButcherTableau(name="rk2", c=(0.0, 2 / 3), a=((), (2 / 3,)), b=(0.25, 0.75), order=2)

# Kutta (1901): the classical third-order method.
KUTTA3 = ButcherTableau(
    name="rk3",
    c=(0.0, 0.5, 1.0),
    a=((), (0.5,), (-1.0, 2.0)),
    b=(1 / 6, 2 / 3, 1 / 6),
    order=3,
)

RK4 = ButcherTableau(
    name="rk4",
    c=(0.0, 0.5, 0.5, 1.0),
    a=((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0)),
    b=(1 / 6, 1 / 3, 1 / 3, 1 / 6),
    order=4,
)

EXPLICIT_RK_METHODS: tuple[ExplicitRungeKutta, ...] = (
    ExplicitRungeKutta("euler", EULER, "forward Euler, x + dt f(x, t)"),
    ExplicitRungeKutta("midpoint", MIDPOINT, "explicit midpoint rule"),
    ExplicitRungeKutta("heun", HEUN, "Heun's method (explicit trapezoidal rule)"),
    ExplicitRungeKutta("rk2", RALSTON, "Ralston's second-order method (c2 = 2/3)"),
    ExplicitRungeKutta("rk3", KUTTA3, "Kutta's third-order method"),
    ExplicitRungeKutta("rk4", RK4, "the classical fourth-order Runge-Kutta method"),
)
