"""The linear type of an equilibrium from the eigenvalues of its Jacobian."""

from __future__ import annotations

import numpy as np

__all__ = ["classify_equilibrium", "KINDS"]

KINDS = (
    "stable node",
    "unstable node",
    "stable focus",
    "unstable focus",
    "saddle",
    "centre",
    "non-hyperbolic",
)


def classify_equilibrium(eigenvalues: np.ndarray, *, rtol: float = 1e-7, atol: float = 1e-10) -> str:
    r"""Classify an equilibrium by the eigenvalues :math:`\lambda_i` of its Jacobian.

    A real part or an imaginary part counts as zero when its magnitude is at most
    :math:`\varepsilon = \mathrm{atol} + \mathrm{rtol}\,\max_i|\lambda_i|`.  The default ``rtol = 1e-7`` lies
    above the :math:`\sqrt{\epsilon_{mach}} \approx 1.5\times10^{-8}` splitting that rounding produces in a
    repeated (defective) eigenvalue, so a degenerate node is not mistaken for a focus.

    - ``'saddle'``: real parts of both signs (none zero).
    - ``'stable node'`` / ``'unstable node'``: all real parts negative / positive and the leading eigenvalue
      (the one with the real part closest to zero) is real.
    - ``'stable focus'`` / ``'unstable focus'``: as above with a complex leading pair.
    - ``'centre'``: every eigenvalue is purely imaginary (within :math:`\varepsilon`) and non-zero.
    - ``'non-hyperbolic'``: any other case with a zero real part (a zero eigenvalue, or a purely imaginary pair
      next to other eigenvalues).

    Example:
        >>> classify_equilibrium(np.array([-0.1 + 2j, -0.1 - 2j]))
        'stable focus'
        >>> classify_equilibrium(np.array([0.5, -1.0]))
        'saddle'

    Limits: this is the linearisation only.  A ``'centre'`` of the linearisation may be a weak nonlinear focus
    (as at a Hopf point); look at the first Lyapunov coefficient or at trajectories to decide.
    """
    lam = np.asarray(eigenvalues, dtype=np.complex128).ravel()
    scale = float(np.max(np.abs(lam))) if lam.size else 0.0
    eps = atol + rtol * scale
    re, im = lam.real, lam.imag
    zero_re = np.abs(re) <= eps
    complex_ = np.abs(im) > eps
    if np.any(zero_re):
        if np.all(zero_re) and np.all(complex_):
            return "centre"
        return "non-hyperbolic"
    if np.any(re > 0) and np.any(re < 0):
        return "saddle"
    if np.all(re < 0):
        lead = int(np.argmax(re))
        return "stable focus" if complex_[lead] else "stable node"
    lead = int(np.argmin(re))
    return "unstable focus" if complex_[lead] else "unstable node"
