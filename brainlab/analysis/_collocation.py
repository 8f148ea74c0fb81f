"""Orthogonal collocation of periodic orbits: the discretisation, its Newton solver and its Floquet blocks.

A periodic orbit of :math:`\\dot x = F(x, p)` with period :math:`T` is written on the unit interval,
:math:`u(\\tau) = x(T\\tau)`, so that

.. math::
    u'(\\tau) = T\\,F(u(\\tau), p),\\qquad u(0) = u(1),\\qquad
    \\int_0^1 \\langle u(\\tau), \\hat u'(\\tau)\\rangle\\,d\\tau = 0,

where :math:`\\hat u` is a reference orbit (the previous point of a branch; the integral phase condition picks the
time shift of :math:`u` closest to :math:`\\hat u`). The mesh :math:`0=\\tau_0<\\dots<\\tau_N=1` has ``ntst`` intervals;
on each, :math:`u` is the polynomial of degree ``ncol`` through ``ncol + 1`` equally spaced nodes (neighbouring
intervals share their end node), and the ODE is imposed at the ``ncol`` Gauss-Legendre points of the interval. The
unknowns are the ``ntst*ncol + 1`` node values, :math:`T` and :math:`p`, packed in one vector
``X = [u.ravel(), T, p]``; the equations are the collocation equations, periodicity, the phase condition and a
pseudo-arclength condition :math:`\\langle X - X_{\\rm prev}, t_{\\rm prev}\\rangle = \\Delta s` with

.. math:: \\langle X, Y\\rangle = \\int_0^1 \\langle u_X, u_Y\\rangle d\\tau + T_X T_Y + p_X p_Y .

The Jacobian is assembled from per-interval blocks built from :math:`D_xF` and :math:`D_pF` at the collocation points
(``jax.jacfwd``, the only compiled part); the same blocks, condensed interval by interval, give the transfer matrices
whose product is the monodromy matrix (the collocation discretisation of the variational equation
:math:`v' = T\\,D_xF(u(\\tau), p)\\,v`). Everything here runs inside ``jax.enable_x64(True)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import jax
import numpy as np
import scipy.sparse
import scipy.sparse.linalg


@dataclass(frozen=True)
class LagrangeBasis:
    """Lagrange polynomials on ``ncol + 1`` equally spaced nodes of [0, 1], sampled at the Gauss-Legendre points.

    ``L[c, j]`` is :math:`\\ell_j(z_c)`, ``D[c, j]`` is :math:`\\ell_j'(z_c)`, ``coeffs[j]`` are the monomial
    coefficients of :math:`\\ell_j` (lowest degree first) and ``top[j]`` is the constant ``ncol``-th derivative.
    """

    ncol: int
    nodes: np.ndarray
    gauss: np.ndarray
    weights: np.ndarray
    L: np.ndarray
    D: np.ndarray
    coeffs: np.ndarray
    top: np.ndarray

    def values(self, s: np.ndarray) -> np.ndarray:
        """:math:`\\ell_j(s)` for local coordinates ``s`` (any shape); returns ``s.shape + (ncol + 1,)``."""
        powers = np.asarray(s)[..., None] ** np.arange(self.ncol + 1)
        return powers @ self.coeffs.T


@lru_cache(maxsize=16)
def lagrange_basis(ncol: int) -> LagrangeBasis:
    """The basis for ``ncol`` Gauss points per interval (cached)."""
    nodes = np.linspace(0.0, 1.0, ncol + 1)
    g, w = np.polynomial.legendre.leggauss(ncol)
    gauss, weights = (g + 1.0) / 2.0, w / 2.0
    vander = nodes[:, None] ** np.arange(ncol + 1)  # V[k, m] = s_k^m
    coeffs = np.linalg.solve(vander, np.eye(ncol + 1)).T  # coeffs[j, m]: l_j(s) = sum_m coeffs[j, m] s^m
    m = np.arange(ncol + 1)
    L = (gauss[:, None] ** m) @ coeffs.T
    D = (gauss[:, None] ** np.maximum(m - 1, 0) * m) @ coeffs.T
    top = coeffs[:, ncol] * float(np.prod(np.arange(1, ncol + 1)))
    return LagrangeBasis(ncol, nodes, gauss, weights, L, D, coeffs, top)


def block_index(ntst: int, ncol: int) -> np.ndarray:
    """Node indices of each mesh interval, shape ``(ntst, ncol + 1)``."""
    return np.arange(ntst)[:, None] * ncol + np.arange(ncol + 1)[None, :]


def node_times(mesh: np.ndarray, ncol: int) -> np.ndarray:
    """The normalised times :math:`\\tau` of all ``ntst*ncol + 1`` nodes."""
    h = np.diff(mesh)
    inner = mesh[:-1, None] + h[:, None] * np.linspace(0.0, 1.0, ncol + 1)[None, :-1]
    return np.concatenate([inner.ravel(), mesh[-1:]])


def evaluate(mesh: np.ndarray, u: np.ndarray, ncol: int, tau: np.ndarray) -> np.ndarray:
    """The piecewise polynomial with node values ``u`` at normalised times ``tau`` (taken modulo 1)."""
    basis = lagrange_basis(ncol)
    ntst = mesh.size - 1
    tau = np.mod(np.asarray(tau, dtype=float), 1.0)
    k = np.clip(np.searchsorted(mesh, tau, side="right") - 1, 0, ntst - 1)
    s = (tau - mesh[k]) / (mesh[k + 1] - mesh[k])
    blocks = u[block_index(ntst, ncol)]  # (ntst, ncol+1, n)
    return np.einsum("mj,mjn->mn", basis.values(s), blocks[k])


def adapt_mesh(mesh: np.ndarray, u: np.ndarray, ncol: int) -> np.ndarray:
    """A new mesh that equidistributes the local collocation error estimate.

    On each interval the ``ncol``-th derivative of the polynomial is constant; differencing it between neighbours
    estimates :math:`u^{(m+1)}`, and the leading error of an interval of length :math:`h` is
    :math:`\\propto h^{m+1}|u^{(m+1)}|`. The new mesh puts equal shares of
    :math:`\\int |u^{(m+1)}|^{1/(m+1)} d\\tau` in every interval (with a floor so flat parts keep some points).
    """
    basis = lagrange_basis(ncol)
    ntst = mesh.size - 1
    h = np.diff(mesh)
    blocks = u[block_index(ntst, ncol)]
    dm = np.einsum("j,ijn->in", basis.top, blocks) / h[:, None] ** ncol
    h_next, h_prev = np.roll(h, -1), np.roll(h, 1)
    d_next = np.abs(np.roll(dm, -1, axis=0) - dm) / (0.5 * (h + h_next))[:, None]
    d_prev = np.abs(dm - np.roll(dm, 1, axis=0)) / (0.5 * (h + h_prev))[:, None]
    density = (0.5 * (d_next + d_prev)).max(axis=1) ** (1.0 / (ncol + 1))
    if not np.all(np.isfinite(density)) or density.max() <= 0.0:
        return mesh
    density = np.maximum(density, 0.1 * np.average(density, weights=h))
    cumulative = np.concatenate([[0.0], np.cumsum(density * h)])
    cumulative /= cumulative[-1]
    new = np.interp(np.linspace(0.0, 1.0, ntst + 1), cumulative, mesh)
    new[0], new[-1] = 0.0, 1.0
    return new


def remesh(mesh: np.ndarray, new_mesh: np.ndarray, u: np.ndarray, ncol: int) -> np.ndarray:
    """Node values on ``new_mesh`` of the orbit with node values ``u`` on ``mesh``."""
    return evaluate(mesh, u, ncol, node_times(new_mesh, ncol))


def extrema(mesh: np.ndarray, u: np.ndarray, ncol: int) -> tuple[np.ndarray, np.ndarray]:
    """Maximum and minimum over the orbit of every component, each ``(n,)``.

    The largest/smallest node value gives the interval; the local polynomial's critical points in that interval and
    its neighbours are then found exactly (roots of the derivative), so the result carries the collocation accuracy
    rather than the node spacing.
    """
    basis = lagrange_basis(ncol)
    ntst = mesh.size - 1
    blocks = u[block_index(ntst, ncol)]  # (ntst, ncol+1, n)
    n = u.shape[1]
    maxima, minima = np.empty(n), np.empty(n)
    for comp in range(n):
        for out, pick in ((maxima, np.argmax), (minima, np.argmin)):
            node = int(pick(u[:-1, comp]))
            centre = node // ncol
            candidates = [u[node, comp]]
            for k in {(centre - 1) % ntst, centre, (centre + 1) % ntst, (node - 1) // ncol % ntst}:
                poly = blocks[k, :, comp] @ basis.coeffs  # monomial coefficients, low first
                dpoly = poly[1:] * np.arange(1, ncol + 1)
                roots = np.roots(dpoly[::-1]) if np.any(dpoly[1:] != 0) else np.array([])
                roots = roots[np.abs(roots.imag) < 1e-12].real
                roots = roots[(roots >= 0.0) & (roots <= 1.0)]
                candidates.extend(np.polyval(poly[::-1], np.concatenate([roots, [0.0, 1.0]])))
            out[comp] = max(candidates) if pick is np.argmax else min(candidates)
    return maxima, minima


class CollocationKernels:
    """Residual/Jacobian of the collocation system, Newton corrector, tangent and Floquet blocks for one
    ``(F, n, ntst, ncol)``.

    Build with :func:`collocation_kernels` (cached) and call inside ``jax.enable_x64(True)``. Arguments are float64
    numpy arrays: ``X`` the packed unknowns, ``mesh`` ``(ntst+1,)``, ``uref`` the reference orbit's node values
    ``(ntst*ncol+1, n)``, ``xprev``/``tprev`` packed vectors, ``ds`` a scalar. Only the vector field and its
    derivatives at the ``ntst*ncol`` collocation points are compiled (``jax.vmap`` of ``F``, ``jax.jacfwd`` in
    ``x`` and ``p``); the sparse block structure is assembled in numpy and factorised by SuperLU, which keeps
    compilation short and the cost per Newton step close to linear in ``ntst``.
    """

    def __init__(self, F: Callable, n: int, ntst: int, ncol: int):
        self.n, self.ntst, self.ncol = n, ntst, ncol
        self.nnodes = ntst * ncol + 1
        self.size = self.nnodes * n + 2
        self._basis = lagrange_basis(ncol)
        self._idx = block_index(ntst, ncol)
        self._rows = np.arange(ntst)[:, None] * ncol * n + np.arange(ncol * n)[None, :]  # (ntst, ncol*n)
        self._cols = (self._idx[:, :, None] * n + np.arange(n)[None, None, :]).reshape(ntst, (ncol + 1) * n)
        # Sparsity pattern of the Jacobian, in the order residual_jacobian lists the values.
        nu, ncoll = self.nnodes * n, ntst * ncol * n
        coll = np.arange(ncoll)
        rows = [np.broadcast_to(self._rows[:, :, None], (ntst, ncol * n, (ncol + 1) * n)).ravel(), coll, coll,
                ncoll + np.arange(n), ncoll + np.arange(n), np.full(nu, ncoll + n), np.full(self.size, self.size - 1)]
        cols = [np.broadcast_to(self._cols[:, None, :], (ntst, ncol * n, (ncol + 1) * n)).ravel(),
                np.full(ncoll, nu), np.full(ncoll, nu + 1), np.arange(n), (self.nnodes - 1) * n + np.arange(n),
                np.arange(nu), np.arange(self.size)]
        self._pattern = (np.concatenate(rows), np.concatenate(cols))

        def point(x, p):
            fx, (Jx, Jp) = F(x, p), jax.jacfwd(F, argnums=(0, 1))(x, p)
            return fx, Jx, Jp

        self._points = jax.jit(jax.vmap(point, in_axes=(0, None)))

    def residual_jacobian(self, X, mesh, uref, xprev, tprev, ds):
        """Residual ``R``, sparse (CSC) Jacobian ``J``, interval blocks ``Ju`` (``(ntst, ncol*n, (ncol+1)*n)``) and
        :math:`\\int_0^T \\mathrm{tr}\\,D_xF\\,dt` (Liouville: the log-determinant of the monodromy matrix)."""
        n, ntst, ncol = self.n, self.ntst, self.ncol
        b = self._basis
        u, T, p = self.split(X)
        h = np.diff(mesh)
        blocks = u[self._idx]  # (ntst, ncol+1, n)
        xg = np.einsum("cj,ijn->icn", b.L, blocks)
        fg, Jg, Fp = (np.asarray(a) for a in self._points(xg.reshape(-1, n), np.float64(p)))
        fg, Jg, Fp = fg.reshape(ntst, ncol, n), Jg.reshape(ntst, ncol, n, n), Fp.reshape(ntst, ncol, n)
        coll = np.einsum("cj,ijn->icn", b.D, blocks) / h[:, None, None] - T * fg
        # d coll[i, c, a] / d u[i, j, b] = D[c, j] / h_i delta_ab - T L[c, j] J_F(x_ic)[a, b]
        Ju = (np.einsum("cj,i,ab->icajb", b.D, 1.0 / h, np.eye(n))
              - T * np.einsum("cj,icab->icajb", b.L, Jg)).reshape(ntst, ncol * n, (ncol + 1) * n)
        dref = np.einsum("cj,ijn->icn", b.D, uref[self._idx])  # h_i * uref'(tau_ic)
        phase_grad = np.zeros_like(u)
        np.add.at(phase_grad, self._idx, np.einsum("c,cj,icn->ijn", b.weights, b.L, dref))
        wt = self.weighted(np.asarray(tprev, dtype=float), mesh)
        R = np.concatenate([coll.ravel(), u[0] - u[-1], [np.sum(b.weights[None, :, None] * xg * dref)],
                            [np.dot(X - xprev, wt) - ds]])
        values = np.concatenate([Ju.ravel(), -fg.ravel(), -T * Fp.ravel(), np.ones(n), -np.ones(n),
                                 phase_grad.ravel(), wt])
        J = scipy.sparse.csc_matrix((values, self._pattern), shape=(self.size, self.size))
        logdet = T * np.sum(h[:, None] * b.weights[None, :] * np.trace(Jg, axis1=2, axis2=3))
        return R, J, Ju, float(logdet)

    # -- linear algebra on the host ------------------------------------------------------------------------------
    def weighted(self, Y: np.ndarray, mesh: np.ndarray) -> np.ndarray:
        """:math:`W Y` where :math:`\\langle X, Y\\rangle = X^\\top W Y` (the quadrature inner product)."""
        b = self._basis
        u = Y[:-2].reshape(self.nnodes, self.n)
        h = np.diff(mesh)
        g = np.einsum("cj,ijn->icn", b.L, u[self._idx]) * (h[:, None, None] * b.weights[None, :, None])
        wu = np.zeros_like(u)
        np.add.at(wu, self._idx, np.einsum("cj,icn->ijn", b.L, g))
        return np.concatenate([wu.ravel(), Y[-2:]])

    def inner(self, X: np.ndarray, Y: np.ndarray, mesh: np.ndarray) -> float:
        return float(np.dot(X, self.weighted(Y, mesh)))

    def solve(self, X, mesh, uref, xprev, tprev, ds):
        """Newton step, tangent direction (unnormalised), residual max-norm, interval blocks and
        :math:`\\int_0^T \\mathrm{tr}\\,D_xF\\,dt` at ``X`` (one sparse LU factorisation, SuperLU, for both
        right-hand sides)."""
        R, J, Ju, logdet = self.residual_jacobian(np.asarray(X, dtype=float), np.asarray(mesh, dtype=float),
                                                  np.asarray(uref, dtype=float), np.asarray(xprev, dtype=float),
                                                  tprev, ds)
        rhs = np.zeros((R.size, 2))
        rhs[:, 0], rhs[-1, 1] = -R, 1.0
        try:
            if not (np.all(np.isfinite(J.data)) and np.all(np.isfinite(R))):
                raise RuntimeError("non-finite Jacobian")
            # Minimum-degree ordering on the pattern of J + J^T: the block-banded collocation matrix with its few
            # dense rows and columns (periodicity, phase, arclength, T, p) fills in about 5x less than with COLAMD,
            # and factorises 3-4x faster (SuperLU still pivots for stability).
            sol = scipy.sparse.linalg.splu(J, permc_spec="MMD_AT_PLUS_A").solve(rhs)
        except RuntimeError:  # singular or non-finite: report failure as NaN, the caller shortens the step
            sol = np.full_like(rhs, np.nan)
        return sol[:, 0], sol[:, 1], float(np.abs(R).max()), Ju, logdet

    def newton(self, X0, mesh, uref, xprev, tprev, ds, tol, maxiter) -> tuple[np.ndarray, int, float, float]:
        """Newton's method on the collocation system; returns ``(X, iterations, last step, residual before it)``."""
        X = np.array(X0, dtype=float)
        dx, res = np.inf, np.inf
        k = 0
        for k in range(1, int(maxiter) + 1):
            dX, _, res, _, _ = self.solve(X, mesh, uref, xprev, tprev, ds)
            X = X + dX
            dx = float(np.abs(dX).max())
            if not np.isfinite(dx):
                return X, k, np.nan, np.nan
            if dx <= tol * (1.0 + np.abs(X).max()):
                break
        return X, k, dx, float(res)

    def analyse(self, X, mesh, uref, tprev) -> tuple[np.ndarray, np.ndarray, float]:
        """Unit tangent (oriented along ``tprev``), interval transfer matrices and :math:`\\log\\det M` at ``X``.

        Condensing each interval's collocation equations of the variational equation onto its end nodes gives
        :math:`v(\\tau_{i+1}) = T_i v(\\tau_i)`; the monodromy matrix is :math:`T_{N-1}\\cdots T_0`.
        """
        n, ncol = self.n, self.ncol
        _, t, _, Ju, logdet = self.solve(X, mesh, uref, X, tprev, 0.0)
        t = t / np.sqrt(self.inner(t, t, mesh))
        t = t * np.sign(self.inner(t, tprev, mesh))
        A = Ju.reshape(self.ntst, ncol * n, (ncol + 1) * n)
        transfers = -np.linalg.solve(A[:, :, n:], A[:, :, :n])[:, -n:, :]
        return t, transfers, float(logdet)

    def pack(self, u: np.ndarray, T: float, p: float) -> np.ndarray:
        return np.concatenate([np.asarray(u, dtype=float).ravel(), [float(T), float(p)]])

    def split(self, X) -> tuple[np.ndarray, float, float]:
        X = np.asarray(X)
        nu = self.nnodes * self.n
        return X[:nu].reshape(self.nnodes, self.n), float(X[nu]), float(X[nu + 1])


_KERNELS: dict = {}


def collocation_kernels(F: Callable, n: int, ntst: int, ncol: int) -> CollocationKernels:
    """The kernels for ``(F, n, ntst, ncol)``, built once and reused (keyed by the identity of ``F``)."""
    try:
        key = (F, n, ntst, ncol)
        hash(key)
    except TypeError:
        return CollocationKernels(F, n, ntst, ncol)
    if key not in _KERNELS:
        if len(_KERNELS) >= 32:
            _KERNELS.pop(next(iter(_KERNELS)))
        _KERNELS[key] = CollocationKernels(F, n, ntst, ncol)
    return _KERNELS[key]
