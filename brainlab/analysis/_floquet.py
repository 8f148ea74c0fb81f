"""Floquet multipliers of a periodic orbit and the test functions for its bifurcations.

The monodromy matrix :math:`M` maps a perturbation at :math:`t = 0` to its image one period later (the solution of
:math:`\\dot v = D_xF(x(t), p)\\,v`, :math:`v(0) = I`, at :math:`t = T`). Its eigenvalues are the Floquet multipliers.
One is always :math:`1` (the *trivial* multiplier: a shift along the orbit). The orbit is stable when all others lie
inside the unit circle. Along a branch of cycles:

* fold of cycles (LPC): a second multiplier reaches :math:`+1`; the branch turns back in :math:`p`, which the
  parameter component of the unit tangent, :math:`\\dot p`, detects by a sign change;
* period doubling (PD): a real multiplier crosses :math:`-1`, detected by
  :math:`\\psi_{PD} = \\det(I + M) = \\prod_i (1 + \\mu_i)`;
* Neimark-Sacker (torus, NS): a complex pair crosses the unit circle, detected by
  :math:`\\psi_{NS} = \\prod_{i<j}(\\mu_i\\mu_j - 1)` over the non-trivial multipliers (which also vanishes at a
  "neutral saddle" :math:`\\mu_i\\mu_j = 1` with real :math:`\\mu`; such zeros are rejected after location).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg


def multipliers_from_transfers(transfers: np.ndarray) -> np.ndarray:
    """Floquet multipliers from the interval transfer matrices :math:`T_i` (:math:`v_{i+1} = T_i v_i`).

    Rather than forming the product :math:`M = T_{N-1}\\cdots T_0` (whose rounding error scales with
    :math:`\\|M\\|`, large near homoclinic orbits), the block-bidiagonal system :math:`v_{i+1} - T_i v_i = 0` is
    condensed by orthogonal (QR) elimination of :math:`v_1, \\dots, v_{N-1}` into :math:`P_0 v_0 + P_1 v_N = 0`, and
    the multipliers are the generalised eigenvalues of :math:`P_0 + \\mu P_1` (:math:`v_N = \\mu v_0`), found by QZ.
    Orthogonal condensation in the spirit of Fairgrieve & Jepson (1991), "O.K. Floquet multipliers", SIAM J. Numer.
    Anal. 28:1446, whose method AUTO uses.
    """
    transfers = np.asarray(transfers)
    n = transfers.shape[-1]
    Pa, Pb = -transfers[0], np.eye(n)  # Pa v_0 + Pb v_1 = 0
    for Ti in transfers[1:]:
        # Rows [Pa, Pb, 0; 0, -Ti, I] acting on (v_0, v_k, v_{k+1}); rotate so v_k vanishes from the last n rows.
        Q, _ = np.linalg.qr(np.concatenate([Pb, -Ti], axis=0), mode="complete")
        Qb = Q[:, n:].T  # (n, 2n): orthogonal to the v_k column block
        Pa, Pb = Qb[:, :n] @ Pa, Qb[:, n:].copy()
    mu = scipy.linalg.eigvals(Pa, -Pb)
    return sorted_multipliers(mu)


def planar_multipliers(log_det: float) -> np.ndarray:
    """Multipliers of a cycle of a planar system: :math:`(1, \\exp\\int_0^T \\mathrm{tr}\\,D_xF\\,dt)`.

    Liouville's formula gives :math:`\\det M = \\exp\\int_0^T \\mathrm{tr}\\,D_xF(x(t))\\,dt`, and with the trivial
    multiplier 1 the other one follows; unlike the eigenvalues of a computed :math:`M` this stays accurate near a
    homoclinic orbit (Perko, "Differential Equations and Dynamical Systems", 3rd ed., Sec. 3.4).
    """
    return np.array([1.0, np.exp(log_det)], dtype=complex)


def sorted_multipliers(mu: np.ndarray) -> np.ndarray:
    """Multipliers with the trivial one (closest to 1) first, the rest by decreasing modulus."""
    mu = np.asarray(mu, dtype=complex)
    trivial = int(np.argmin(np.abs(mu - 1.0)))
    rest = np.delete(mu, trivial)
    rest = rest[np.lexsort((-rest.imag, -np.abs(rest)))]
    return np.concatenate([mu[trivial:trivial + 1], rest])


def is_stable(multipliers: np.ndarray, tol: float = 1e-9) -> bool:
    """Stable when every non-trivial multiplier (``multipliers[1:]``) has modulus below one."""
    return bool(np.all(np.abs(multipliers[1:]) < 1.0 - tol))


def psi_period_doubling(multipliers: np.ndarray) -> float:
    """:math:`\\det(I + M) = \\prod_i (1 + \\mu_i)`: changes sign when a real multiplier crosses :math:`-1`."""
    return float(np.prod(1.0 + np.asarray(multipliers)).real)


def psi_torus(multipliers: np.ndarray) -> float:
    """:math:`\\prod_{i<j}(\\mu_i\\mu_j - 1)` over the non-trivial multipliers (1 when there are fewer than two)."""
    mu = multipliers[1:]
    if mu.size < 2:
        return 1.0
    i, j = np.triu_indices(mu.size, k=1)
    value = np.prod(mu[i] * mu[j] - 1.0)
    return float(value.real)


def confirms(kind: str, multipliers: np.ndarray, tol: float = 1e-3) -> bool:
    """Whether the multipliers at a located zero really show bifurcation ``kind`` (not a neutral saddle)."""
    mu = multipliers[1:]
    if kind == "period_doubling":
        return bool(np.any((np.abs(mu.imag) < tol) & (np.abs(mu + 1.0) < tol)))
    if kind == "torus":
        return bool(np.any((np.abs(mu.imag) > tol) & (np.abs(np.abs(mu) - 1.0) < tol)))
    return True
