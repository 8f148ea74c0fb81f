r"""Butcher tableaus of explicit Runge-Kutta methods, and how to evaluate their stages on pytrees.

An explicit :math:`s`-stage Runge-Kutta method advances :math:`\dot x = f(x, t)` by

.. math::

    k_i = f\Big(x_n + \Delta t \sum_{j<i} a_{ij} k_j,\; t_n + c_i \Delta t\Big), \qquad
    x_{n+1} = x_n + \Delta t \sum_i b_i k_i .

An *embedded* pair also carries a second weight vector :math:`\hat b` of lower order; the difference
:math:`\Delta t \sum_i (b_i - \hat b_i) k_i` estimates the local error for step-size control.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from ._tree import PyTree, lincomb

_TOL = 1e-13


@dataclasses.dataclass(frozen=True)
class ButcherTableau:
    r"""The coefficients of an explicit Runge-Kutta method.

    Attributes:
        name: short name used in messages.
        c: nodes :math:`c_i` (length :math:`s`, ``c[0] == 0``).
        a: strictly lower-triangular coefficients, row ``i`` holding :math:`a_{i0}, \dots, a_{i,i-1}`
            (``a[0]`` is empty).
        b: weights :math:`b_i` of the propagated solution.
        order: classical order of ``b``.
        b_hat: weights of the embedded lower-order solution, or ``None`` for a plain method.
        error_order: order of ``b_hat`` (the error estimate is :math:`O(\Delta t^{\text{error\_order}+1})`).
        fsal: "first same as last": the last stage is evaluated at :math:`(x_{n+1}, t_{n+1})` and can be reused as
            the first stage of the next step.

    The constructor checks the consistency conditions :math:`\sum_j a_{ij} = c_i` and :math:`\sum_i b_i = 1`.
    """

    name: str
    c: tuple[float, ...]
    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    order: int
    b_hat: tuple[float, ...] | None = None
    error_order: int | None = None
    fsal: bool = False

    def __post_init__(self) -> None:
        s = len(self.c)
        if len(self.a) != s or len(self.b) != s or any(len(row) != i for i, row in enumerate(self.a)):
            raise ValueError(f"ButcherTableau {self.name!r}: a must have rows of length 0, 1, ..., s-1 and b length s.")
        if self.c[0] != 0.0:
            raise ValueError(f"ButcherTableau {self.name!r}: an explicit method needs c[0] == 0.")
        for i, row in enumerate(self.a):
            if abs(sum(row) - self.c[i]) > _TOL:
                raise ValueError(f"ButcherTableau {self.name!r}: row {i} of a does not sum to c[{i}].")
        weights = [self.b] if self.b_hat is None else [self.b, self.b_hat]
        for w in weights:
            if abs(sum(w) - 1.0) > _TOL:
                raise ValueError(f"ButcherTableau {self.name!r}: weights must sum to 1.")
        if (self.b_hat is None) != (self.error_order is None):
            raise ValueError(f"ButcherTableau {self.name!r}: give both b_hat and error_order, or neither.")
        if self.b_hat is not None and len(self.b_hat) != s:
            raise ValueError(f"ButcherTableau {self.name!r}: b_hat must have length s.")
        if self.fsal and (self.c[-1] != 1.0 or any(abs(u - v) > _TOL for u, v in zip(self.a[-1], self.b))):
            raise ValueError(f"ButcherTableau {self.name!r}: fsal needs the last row of a equal to b and c[-1] == 1.")

    @property
    def stages(self) -> int:
        """Number of right-hand-side evaluations per step (:math:`s`)."""
        return len(self.c)


def rk_stages(
    tableau: ButcherTableau,
    f: Callable[[PyTree, Any], PyTree],
    x: PyTree,
    t: Any,
    dt: Any,
    k1: PyTree | None = None,
) -> list[PyTree]:
    """Evaluate the stages :math:`k_1, \\dots, k_s` of ``tableau`` for ``f(x, t)``.

    ``k1`` may be supplied when :math:`f(x_n, t_n)` is already known (FSAL reuse).  Each stage state is cast to
    the dtype of ``x``.
    """
    ks = [f(x, t) if k1 is None else k1]
    for i in range(1, tableau.stages):
        xi = lincomb(x, dt, tableau.a[i], ks)
        ks.append(f(xi, t + tableau.c[i] * dt))
    return ks
