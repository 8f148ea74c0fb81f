r"""The exponential Euler method, with the linear part of each variable found by automatic differentiation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from ._base import AbstractODEMethod
from ._tree import PyTree, value_and_diagonal

# Below this |z| the Taylor series of phi1 is used: its truncation error z^6/7! is < 2e-16 relative there, and it
# avoids both the 0/0 at z = 0 and the cancellation in the derivative of expm1(z)/z near 0.
_SERIES_BELOW = 1e-2


def phi1(z: jax.Array) -> jax.Array:
    r""":math:`\varphi_1(z) = (e^z - 1)/z`, with :math:`\varphi_1(0) = 1`, accurate and differentiable near 0."""
    small = jnp.abs(z) < _SERIES_BELOW
    z_safe = jnp.where(small, jnp.ones_like(z), z)
    direct = jnp.expm1(z_safe) / z_safe
    series = 1 + z * (1 / 2 + z * (1 / 6 + z * (1 / 24 + z * (1 / 120 + z / 720))))
    return jnp.where(small, series, direct)


class ExponentialEuler(AbstractODEMethod):
    r"""Exponential Euler: each variable's own linear part is integrated exactly.

    For each variable (pytree leaf) :math:`x_i` with :math:`\dot x_i = f_i(x, t)`, the coefficient
    :math:`a_i = \partial f_i / \partial x_i` is computed by automatic differentiation at :math:`(x_n, t_n)` and

    .. math::

        x_{i,n+1} = x_{i,n} + \frac{e^{a_i \Delta t} - 1}{a_i}\, f_i(x_n, t_n),

    which tends to forward Euler as :math:`a_i \to 0`.  It is exact for :math:`\dot x = a x + b` with constant
    :math:`a, b`, and hence for a gating variable :math:`\dot m = \alpha(V)(1 - m) - \beta(V) m` at fixed
    :math:`V`, and stays stable for stiff linear parts at any :math:`\Delta t`; its global order is 1.  Its
    gain is stability, not always accuracy: on a spiking Hodgkin-Huxley neuron its error constant for :math:`V` can
    be larger than forward Euler's at the same step.

    Assumption: the system is *elementwise in each variable*: element :math:`n` of :math:`f_i` depends on element
    :math:`n` of :math:`x_i` only (other variables may enter freely), as for a population of neurons.  Coupling
    within a variable (for example a matrix :math:`W x` inside :math:`f_i`) makes :math:`a_i` a row sum of the
    Jacobian block instead of its diagonal: the step is then still first-order consistent but no longer exact on
    the linear part.
    """

    name = "exp_euler"
    order = 1
    description = "exponential Euler on each variable's diagonal linear part (autodiff)"

    def step(self, f: Callable[..., PyTree], x: PyTree, t: Any, dt: Any, params: tuple[Any, ...]) -> PyTree:
        fx, a = value_and_diagonal(lambda y: f(y, t, *params), x)

        def leaf(xl: jax.Array, fl: jax.Array, al: jax.Array) -> jax.Array:
            return (xl + dt * phi1(al * dt) * fl).astype(xl.dtype)

        return jax.tree.map(leaf, x, fx, a)


EXP_EULER = ExponentialEuler()
