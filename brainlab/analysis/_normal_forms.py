r"""Normal-form coefficients of fold and Hopf points from multilinear forms computed by automatic differentiation.

With :math:`F(x_0 + u) = J u + \tfrac12 B(u,u) + \tfrac16 C(u,u,u) + O(|u|^4)`, the forms are directional
derivatives, :math:`B(u,v) = \partial_s\partial_t F(x_0+su+tv)|_0` and likewise :math:`C`, evaluated by nested
``jax.jvp`` (exact up to rounding; no finite differences).  Complex arguments are handled by
multilinearity: :math:`B(a+ib, c+id) = B(a,c) - B(b,d) + i\,(B(a,d) + B(b,c))`.

Conventions follow Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer (2004),
sections 3.5 and 5.4, as implemented in MatCont:

- fold: :math:`Jq = 0`, :math:`J^\top p = 0`, :math:`\langle q,q\rangle = \langle p,q\rangle = 1`,
  :math:`a = \tfrac12 \langle p, B(q,q)\rangle` (the sign of :math:`a` depends on the orientation of
  :math:`q`).
- Hopf: :math:`Jq = i\omega q`, :math:`J^\top p = -i\omega p`, :math:`\langle q,q\rangle = \langle p,q\rangle = 1`
  with :math:`\langle p,q\rangle = \bar p^\top q`, and the first Lyapunov coefficient

  .. math:: l_1 = \frac{1}{2\omega}\,\mathrm{Re}\Big[\langle p, C(q,q,\bar q)\rangle
            - 2\langle p, B(q, J^{-1}B(q,\bar q))\rangle
            + \langle p, B(\bar q, (2i\omega I - J)^{-1} B(q,q))\rangle\Big].

  :math:`l_1 < 0`: supercritical (a stable cycle is born); :math:`l_1 > 0`: subcritical.  For the planar
  normal form :math:`\dot z = (\mu + i\omega) z + a z|z|^2` written in :math:`x, y`, :math:`q = (1,-i)/\sqrt2`
  and :math:`z' = \langle p, x\rangle = (x+iy)/\sqrt2` obeys :math:`\dot z' = i\omega z' + 2a\, z'|z'|^2`, so
  :math:`l_1 = 2a/\omega`.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

__all__ = ["complex_bilinear", "complex_trilinear", "first_lyapunov", "fold_coefficient"]


def _expand(args: list[np.ndarray]) -> tuple[list[list[np.ndarray]], list[complex]]:
    rows, coefs = [], []
    for picks in itertools.product((0, 1), repeat=len(args)):
        rows.append([np.real(a) if k == 0 else np.imag(a) for a, k in zip(args, picks)])
        coefs.append(1j ** sum(picks))
    return rows, coefs


def complex_bilinear(system: Any, x: np.ndarray, p: np.ndarray, pairs: list[tuple[np.ndarray, np.ndarray]]) -> list:
    """:math:`B(u, v)` for complex pairs, from one batched call of the real form."""
    U, V, coefs = [], [], []
    for u, v in pairs:
        rows, c = _expand([np.asarray(u, complex), np.asarray(v, complex)])
        U += [r[0] for r in rows]
        V += [r[1] for r in rows]
        coefs.append(c)
    out = system.bilinear(x, p, np.asarray(U), np.asarray(V))
    return [sum(c * out[4 * k + r] for r, c in enumerate(cs)) for k, cs in enumerate(coefs)]


def complex_trilinear(system: Any, x: np.ndarray, p: np.ndarray, triples: list[tuple]) -> list:
    """:math:`C(u, v, w)` for complex triples, from one batched call of the real form."""
    U, V, W, coefs = [], [], [], []
    for u, v, w in triples:
        rows, c = _expand([np.asarray(a, complex) for a in (u, v, w)])
        U += [r[0] for r in rows]
        V += [r[1] for r in rows]
        W += [r[2] for r in rows]
        coefs.append(c)
    out = system.trilinear(x, p, np.asarray(U), np.asarray(V), np.asarray(W))
    return [sum(c * out[8 * k + r] for r, c in enumerate(cs)) for k, cs in enumerate(coefs)]


def first_lyapunov(
    system: Any, x: np.ndarray, p: np.ndarray, J: np.ndarray, omega: float, q: np.ndarray, pv: np.ndarray
) -> float:
    """The first Lyapunov coefficient :math:`l_1` at a Hopf point (see the module docstring)."""
    qb = np.conj(q)
    b_qqb, b_qq = complex_bilinear(system, x, p, [(q, qb), (q, q)])
    (c_qqqb,) = complex_trilinear(system, x, p, [(q, q, qb)])
    n = J.shape[0]
    h11 = np.linalg.solve(J.astype(complex), b_qqb)
    h20 = np.linalg.solve(2j * omega * np.eye(n) - J, b_qq)
    b1, b2 = complex_bilinear(system, x, p, [(q, h11), (qb, h20)])
    c = np.vdot(pv, c_qqqb) - 2 * np.vdot(pv, b1) + np.vdot(pv, b2)
    return float(np.real(c) / (2 * omega))


def fold_coefficient(system: Any, x: np.ndarray, p: np.ndarray, q: np.ndarray, pv: np.ndarray) -> float:
    r"""The quadratic coefficient :math:`a = \tfrac12\langle p, B(q,q)\rangle` of the fold normal form."""
    return 0.5 * float(pv @ system.bilinear(x, p, q[None], q[None])[0])
