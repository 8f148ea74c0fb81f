"""Embedded Runge-Kutta pairs used by :func:`solve_adaptive`. Both propagate the fifth-order solution."""

from __future__ import annotations

import types
from collections.abc import Mapping

from ._tableau import ButcherTableau

# Dormand & Prince (1980), "A family of embedded Runge-Kutta formulae", J. Comput. Appl. Math. 6(1), 19-26:
# the 5(4) pair RK5(4)7M, seven stages with the last one reused (FSAL), so six evaluations per accepted step.
DOPRI5 = ButcherTableau(
    name="dopri5",
    c=(0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0),
    a=(
        (),
        (1 / 5,),
        (3 / 40, 9 / 40),
        (44 / 45, -56 / 15, 32 / 9),
        (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
        (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
        (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
    ),
    b=(35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0),
    order=5,
    b_hat=(5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40),
    error_order=4,
    fsal=True,
)

# Fehlberg (1969), "Low-order classical Runge-Kutta formulas with stepsize control", NASA TR R-315: the 4(5) pair,
# six stages.  Used here with local extrapolation (the fifth-order weights are propagated).
RKF45 = ButcherTableau(
    name="rkf45",
    c=(0.0, 1 / 4, 3 / 8, 12 / 13, 1.0, 1 / 2),
    a=(
        (),
        (1 / 4,),
        (3 / 32, 9 / 32),
        (1932 / 2197, -7200 / 2197, 7296 / 2197),
        (439 / 216, -8.0, 3680 / 513, -845 / 4104),
        (-8 / 27, 2.0, -3544 / 2565, 1859 / 4104, -11 / 40),
    ),
    b=(16 / 135, 0.0, 6656 / 12825, 28561 / 56430, -9 / 50, 2 / 55),
    order=5,
    b_hat=(25 / 216, 0.0, 1408 / 2565, 2197 / 4104, -1 / 5, 0.0),
    error_order=4,
)

#: Read-only view ``name -> tableau`` of the embedded pairs accepted by ``solve_adaptive(method=...)``.
ADAPTIVE_METHODS: Mapping[str, ButcherTableau] = types.MappingProxyType({"dopri5": DOPRI5, "rkf45": RKF45})
