"""The abstract interfaces every fixed-step ODE method and SDE method implements."""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any

from ._tree import PyTree


class AbstractODEMethod(abc.ABC):
    r"""A one-step method for :math:`\dot x = f(x, t, \theta)`.

    Subclasses set ``name`` (registry key), ``order`` (global order of accuracy: the error after a fixed time
    falls as :math:`\Delta t^{\text{order}}`) and ``description``, and implement :meth:`step`.
    """

    name: str
    order: int
    description: str

    @abc.abstractmethod
    def step(self, f: Callable[..., PyTree], x: PyTree, t: Any, dt: Any, params: tuple[Any, ...]) -> PyTree:
        """Advance the state ``x`` (a pytree of arrays) from ``t`` to ``t + dt``.

        ``f(x, t, *params)`` has already been wrapped to check its output against ``x``.
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, order={self.order})"


class AbstractSDEMethod(abc.ABC):
    r"""A one-step method for :math:`dx = f(x, t)\,dt + g(x, t)\,dW` with diagonal noise.

    Subclasses set ``name``, ``calculus`` (``'ito'`` or ``'stratonovich'``: which stochastic integral the
    scheme converges to), ``strong_order`` and ``weak_order`` (for diagonal noise whose component :math:`i` depends
    on :math:`x_i` only), and implement :meth:`step`.
    """

    name: str
    calculus: str
    strong_order: float
    weak_order: float
    description: str

    @abc.abstractmethod
    def step(
        self,
        f: Callable[..., PyTree],
        g: Callable[..., PyTree],
        x: PyTree,
        t: Any,
        dt: Any,
        dW: PyTree,
        params: tuple[Any, ...],
    ) -> PyTree:
        """Advance ``x`` from ``t`` to ``t + dt`` given the Wiener increments ``dW`` (each ~ N(0, dt))."""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, calculus={self.calculus!r}, "
            f"strong_order={self.strong_order}, weak_order={self.weak_order})"
        )
