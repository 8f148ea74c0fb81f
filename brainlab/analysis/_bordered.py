r"""Minimally augmented defining systems of fold and Hopf points (bordered linear systems).

Fold (limit point): with borders :math:`b, c \in \mathbb R^n` that keep the bordered matrix nonsingular,

.. math::  \begin{pmatrix} J & b \\ c^\top & 0 \end{pmatrix} \begin{pmatrix} v \\ g \end{pmatrix}
           = \begin{pmatrix} 0 \\ 1 \end{pmatrix},\qquad
           \begin{pmatrix} J & b \\ c^\top & 0 \end{pmatrix}^{\!\top} \begin{pmatrix} w \\ \tilde g \end{pmatrix}
           = \begin{pmatrix} 0 \\ 1 \end{pmatrix},

and :math:`g = 0` exactly when :math:`J` is singular (:math:`v`, :math:`w`: right and left null vectors).
Differentiating the bordered system gives :math:`g_z = -w^\top J_z v`, a second derivative of :math:`F`.

Hopf: with :math:`M = J^2 + \kappa I` and borders :math:`B, C \in \mathbb R^{n\times2}`,

.. math::  \begin{pmatrix} M & B \\ C^\top & 0 \end{pmatrix} \begin{pmatrix} V \\ G \end{pmatrix}
           = \begin{pmatrix} 0 \\ I_2 \end{pmatrix},

and :math:`G = 0` (two of its four entries are imposed) exactly when :math:`M` has rank :math:`n-2`: :math:`J`
has eigenvalues :math:`\pm i\sqrt\kappa` (:math:`\kappa>0`, Hopf) or :math:`\pm\sqrt{-\kappa}`
(:math:`\kappa<0`, neutral saddle).  :math:`G_{ij,z} = -W_i^\top M_z V_j` with
:math:`M_z = J_z J + J J_z` and :math:`G_{ij,\kappa} = -W_i^\top V_j`.  Borders are refreshed from the
current null vectors; they change the functions but not their zero sets.

References: W. Govaerts, *Numerical Methods for Bifurcations of Dynamical Equilibria*, SIAM (2000);
A. Dhooge, W. Govaerts, Yu. A. Kuznetsov, ACM TOMS 29 (2003) 141-164 (MatCont).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["fold_system", "hopf_system", "fold_borders", "hopf_borders", "best_pair", "PAIRS"]

# the six ways to impose two of the four entries of G (row-major indices into G.ravel())
PAIRS = tuple(itertools.combinations(range(4), 2))


def fold_borders(J: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Borders ``(b, c)``: the left and right singular vectors of the smallest singular value of ``J``."""
    U, _, Vt = np.linalg.svd(np.asarray(J))
    return U[:, -1].copy(), Vt[-1, :].copy()


def hopf_borders(J: np.ndarray, kappa: float) -> tuple[np.ndarray, np.ndarray]:
    """Borders ``(B, C)``: singular vectors of the two smallest singular values of ``J^2 + kappa I``."""
    J = np.asarray(J)
    U, _, Vt = np.linalg.svd(J @ J + kappa * np.eye(J.shape[0]))
    return U[:, -2:].copy(), Vt[-2:, :].T.copy()


def _set_params(p: np.ndarray, ks: Sequence[int], values: np.ndarray) -> np.ndarray:
    pp = np.array(p, dtype=np.float64)
    pp[list(ks)] = values
    return pp


def fold_system(system: Any, p: np.ndarray, ks: Sequence[int], y: np.ndarray, borders: tuple) -> tuple:
    r"""Residual ``[F; g]`` and Jacobian in ``y = (x, p_ks)`` of the fold defining system.

    Returns ``(H, DH, info)`` with ``info = {'J', 'v', 'w', 'g', 'Fp'}``.
    """
    n = system.n
    x = y[:n]
    pp = _set_params(p, ks, y[n:])
    F, J, Fp = system.derivatives(x, pp)
    b, c = borders
    A = np.block([[J, b[:, None]], [c[None, :], np.zeros((1, 1))]])
    e = np.zeros(n + 1)
    e[n] = 1.0
    sol = np.linalg.solve(A, e)
    solT = np.linalg.solve(A.T, e)
    v, g, w = sol[:n], sol[n], solT[:n]
    gx, gp = system.bilinear_gradients(x, pp, w[None], v[None])
    H = np.append(F, g)
    DH = np.block([[J, Fp[:, list(ks)]], [-gx, -gp[:, list(ks)]]])
    return H, DH, {"J": J, "v": v, "w": w, "g": g, "Fp": Fp}


def hopf_system(
    system: Any, p: np.ndarray, ks: Sequence[int], y: np.ndarray, borders: tuple, entries: Sequence[int] | None,
) -> tuple:
    r"""Residual ``[F; G_e]`` and Jacobian in ``y = (x, p_ks, kappa)`` of the Hopf defining system.

    ``entries`` are two indices into ``G.ravel()`` (``None``: all four, to choose a pair).  Returns
    ``(H, DH, info)`` with ``info = {'J', 'G', 'V', 'W'}``.
    """
    n = system.n
    m = len(ks)
    x = y[:n]
    kappa = float(y[n + m])
    pp = _set_params(p, ks, y[n : n + m])
    F, J, Fp = system.derivatives(x, pp)
    B, C = borders
    M = J @ J + kappa * np.eye(n)
    A = np.block([[M, B], [C.T, np.zeros((2, 2))]])
    E = np.vstack([np.zeros((n, 2)), np.eye(2)])
    X = np.linalg.solve(A, E)
    Y = np.linalg.solve(A.T, E)
    V, G, W = X[:n], X[n:], Y[:n]
    entries = list(range(4)) if entries is None else list(entries)
    U_rows, V_rows = [], []
    for e in range(4):
        i, j = divmod(e, 2)
        U_rows += [W[:, i], J.T @ W[:, i]]
        V_rows += [J @ V[:, j], V[:, j]]
    gx, gp = system.bilinear_gradients(x, pp, np.asarray(U_rows), np.asarray(V_rows))
    rows = []
    for e in entries:
        i, j = divmod(e, 2)
        dz_x = -(gx[2 * e] + gx[2 * e + 1])
        dz_p = -(gp[2 * e] + gp[2 * e + 1])[list(ks)]
        dz_k = -float(W[:, i] @ V[:, j])
        rows.append(np.concatenate([dz_x, dz_p, [dz_k]]))
    H = np.concatenate([F, G.ravel()[entries]])
    DH = np.vstack([np.hstack([J, Fp[:, list(ks)], np.zeros((n, 1))]), np.asarray(rows)])
    return H, DH, {"J": J, "G": G, "V": V, "W": W}


def best_pair(DH_all: np.ndarray, n_f: int) -> tuple[int, int]:
    """The two entries of ``G`` (rows ``n_f..n_f+3`` of ``DH_all``) giving the best-conditioned system.

    ``DH_all`` stacks the rows of the other equations (``n_f`` of them) over the four gradients of ``G``;
    when it is square after the choice, the smallest relative singular value is maximised; otherwise (a
    curve, one more unknown than equations) the same is done for the rectangular matrix.
    """
    base = DH_all[:n_f]
    best, score = PAIRS[0], -1.0
    for i, j in PAIRS:
        A = np.vstack([base, DH_all[n_f + i], DH_all[n_f + j]])
        s = np.linalg.svd(A, compute_uv=False)
        smin = s[-1] / max(s[0], 1e-300)
        if np.isfinite(smin) and smin > score:
            best, score = (i, j), smin
    return best
