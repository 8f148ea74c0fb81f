r"""One-step schemes for SDEs with diagonal noise, :math:`dx_i = f_i(x, t)\,dt + g_i(x, t)\,dW_i`.

References: P. E. Kloeden & E. Platen, *Numerical Solution of Stochastic Differential Equations*, Springer 1992
(Ch. 10-11); D. J. Higham, "An algorithmic introduction to numerical simulation of stochastic differential
equations", SIAM Review 43(3), 525-546 (2001).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

from ._base import AbstractSDEMethod
from ._tree import PyTree, value_and_diagonal


class EulerMaruyama(AbstractSDEMethod):
    r"""Euler-Maruyama (Itô): :math:`x_{n+1} = x_n + f(x_n, t_n)\,\Delta t + g(x_n, t_n)\,\Delta W_n`.

    Strong order 0.5 and weak order 1 in general; strong order 1 when the noise is additive (:math:`g`
    independent of :math:`x`), since it then coincides with Milstein.
    """

    name = "euler"
    calculus = "ito"
    strong_order = 0.5
    weak_order = 1.0
    description = "Euler-Maruyama (Ito)"

    def step(self, f: Callable, g: Callable, x: PyTree, t: Any, dt: Any, dW: PyTree, params: tuple) -> PyTree:
        fx = f(x, t, *params)
        gx = g(x, t, *params)
        return jax.tree.map(lambda xl, fl, gl, wl: (xl + fl * dt + gl * wl).astype(xl.dtype), x, fx, gx, dW)


class StochasticHeun(AbstractSDEMethod):
    r"""Stochastic Heun (predictor-corrector trapezoid); converges to the **Stratonovich** solution.

    .. math::

        \tilde x = x_n + f(x_n, t_n)\Delta t + g(x_n, t_n)\Delta W_n, \qquad
        x_{n+1} = x_n + \tfrac12\big[f(x_n, t_n) + f(\tilde x, t_{n+1})\big]\Delta t
                      + \tfrac12\big[g(x_n, t_n) + g(\tilde x, t_{n+1})\big]\Delta W_n .

    It solves :math:`dx = f\,dt + g \circ dW`, which differs from the Itô equation with the same :math:`f, g`
    by the drift :math:`\tfrac12 g\,\partial g/\partial x` whenever the noise is multiplicative.  Strong order 1
    for diagonal noise with :math:`g_i` depending on :math:`x_i` only; weak order 1 (as used here, with Gaussian
    increments).
    """

    name = "heun"
    calculus = "stratonovich"
    strong_order = 1.0
    weak_order = 1.0
    description = "stochastic Heun (Stratonovich)"

    def step(self, f: Callable, g: Callable, x: PyTree, t: Any, dt: Any, dW: PyTree, params: tuple) -> PyTree:
        fx = f(x, t, *params)
        gx = g(x, t, *params)
        pred = jax.tree.map(lambda xl, fl, gl, wl: (xl + fl * dt + gl * wl).astype(xl.dtype), x, fx, gx, dW)
        t1 = t + dt
        fp = f(pred, t1, *params)
        gp = g(pred, t1, *params)

        def leaf(xl, fl, gl, fpl, gpl, wl):  # type: ignore[no-untyped-def]
            return (xl + 0.5 * (fl + fpl) * dt + 0.5 * (gl + gpl) * wl).astype(xl.dtype)

        return jax.tree.map(leaf, x, fx, gx, fp, gp, dW)


class Milstein(AbstractSDEMethod):
    r"""Milstein (Itô) for diagonal noise, with :math:`\partial g_i/\partial x_i` found by automatic differentiation.

    .. math::

        x_{n+1} = x_n + f\,\Delta t + g\,\Delta W_n
                  + \tfrac12\, g\, \frac{\partial g}{\partial x}\,\big(\Delta W_n^2 - \Delta t\big),

    everything evaluated at :math:`(x_n, t_n)`.  Strong order 1 and weak order 1 when :math:`g_i` depends on
    :math:`x_i` only (elementwise, as for independent neurons).  If :math:`g_i` depends on other components the
    exact scheme needs iterated Itô integrals (Lévy areas) that are not simulated here, and the strong order drops
    to 0.5.
    """

    name = "milstein"
    calculus = "ito"
    strong_order = 1.0
    weak_order = 1.0
    description = "Milstein (Ito), diagonal noise, dg/dx by autodiff"

    def step(self, f: Callable, g: Callable, x: PyTree, t: Any, dt: Any, dW: PyTree, params: tuple) -> PyTree:
        fx = f(x, t, *params)
        gx, dg = value_and_diagonal(lambda y: g(y, t, *params), x)

        def leaf(xl, fl, gl, dgl, wl):  # type: ignore[no-untyped-def]
            return (xl + fl * dt + gl * wl + 0.5 * gl * dgl * (wl * wl - dt)).astype(xl.dtype)

        return jax.tree.map(leaf, x, fx, gx, dg, dW)


SDE_METHOD_LIST: tuple[AbstractSDEMethod, ...] = (EulerMaruyama(), StochasticHeun(), Milstein())
