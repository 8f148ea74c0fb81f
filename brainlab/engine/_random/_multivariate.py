r"""Samplers of vector-valued distributions: multivariate normal and Dirichlet.

Each sample is a vector along the last axis, so the output shape is ``size + (n,)`` as in numpy; ``size`` may
also be ``None`` (one vector per batch entry of the parameters).
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import jax.scipy.special
import numpy as np

from .._array import Array
from . import _checks as C
from ._base import KeyedGenerator, compiled
from ._checks import ArrayLike, Size

__all__ = ["MultivariateSamplers"]

_METHODS = ("eigh", "cholesky", "svd")


def _multivariate_normal(k, s, d, mean, cov, method):
    return jax.random.multivariate_normal(k, mean, cov, s, d, method)


def _dirichlet(k, s, d, alpha):
    # normalised independent Gamma(alpha_i) draws, in log space so that tiny alphas do not give 0 / 0
    log_g = jax.random.loggamma(k, alpha, s + alpha.shape[-1:], d)
    return jnp.exp(log_g - jax.scipy.special.logsumexp(log_g, axis=-1, keepdims=True))


class MultivariateSamplers(KeyedGenerator):
    """multivariate_normal, dirichlet."""

    def multivariate_normal(
        self,
        mean: ArrayLike,
        cov: ArrayLike,
        size: Size = None,
        method: str = "eigh",
        check_valid: str = "raise",
        tol: float = 1e-6,
    ) -> Array:
        r"""Multivariate normal vectors :math:`x = \mu + A z`, :math:`z \sim N(0, I_n)`, :math:`AA^\top = \Sigma`.

        Density :math:`(2\pi)^{-n/2}\det(\Sigma)^{-1/2}\exp\!\big(-\tfrac12 (x - \mu)^\top\Sigma^{-1}(x -
        \mu)\big)`.

        Args:
            mean: :math:`\mu`, shape ``(..., n)``.
            cov: :math:`\Sigma`, symmetric positive semi-definite, shape ``(..., n, n)``.
            size: batch shape of the output (the output is ``size + (n,)``); ``None`` gives the broadcast batch
                shape of ``mean`` and ``cov``.
            method: how :math:`A` is found: ``'eigh'`` (default; works for singular :math:`\Sigma`),
                ``'cholesky'`` (fastest; NaN if :math:`\Sigma` is singular) or ``'svd'``.
            check_valid: what to do when a concrete :math:`\Sigma` is not symmetric positive semi-definite:
                ``'raise'``, ``'warn'`` or ``'ignore'``.
            tol: relative tolerance of that check (on asymmetry and on negative eigenvalues).

        Example:
            >>> import brainlab.engine as be
            >>> cov = be.array([[1.0, 0.8], [0.8, 1.0]])   # correlated inputs to two neurons
            >>> be.random.multivariate_normal(be.zeros(2), cov, size=1000).shape
            (1000, 2)

        Limits: the decomposition of :math:`\Sigma` is recomputed at every call (cheap for small ``n``; for
        large ``n`` factor it once and use ``mean + normal(size=...) @ A.T``).
        """
        where = self._where("multivariate_normal")
        if method not in _METHODS:
            raise ValueError(f"{where}: argument `method` must be one of {_METHODS}, got {method!r}.")
        if check_valid not in ("raise", "warn", "ignore"):
            raise ValueError(
                f"{where}: argument `check_valid` must be 'raise', 'warn' or 'ignore', got {check_valid!r}."
            )
        mean, cov = C.param(mean), C.param(cov)
        mshape, cshape = tuple(jnp.shape(mean)), tuple(jnp.shape(cov))
        if len(mshape) < 1 or len(cshape) < 2 or cshape[-2:] != (mshape[-1], mshape[-1]):
            raise ValueError(
                f"{where}: `mean` must have shape (..., n) and `cov` shape (..., n, n), got {mshape} and "
                f"{cshape}.\nFix: for n variables pass mean of shape (n,) and cov of shape (n, n)."
            )
        cv = C.concrete(cov)
        if cv is not None and check_valid != "ignore":
            problem = _covariance_problem(np.asarray(cv, np.float64), tol)
            if problem:
                text = (
                    f"{where}: `cov` is not a valid covariance matrix: {problem}.\nFix: pass a symmetric positive "
                    "semi-definite matrix (e.g. A @ A.T, or (S + S.T) / 2 to remove rounding asymmetry); "
                    "check_valid='ignore' skips this check."
                )
                if check_valid == "raise":
                    raise ValueError(text)
                warnings.warn(text, RuntimeWarning, stacklevel=2)
        n = mshape[-1]
        batch = C.output_shape(where, size, mshape[:-1], cshape[:-2])
        dtype = C.float_dtype(mean, cov)
        mean_v, cov_v = jnp.asarray(mean, dtype), jnp.asarray(cov, dtype)
        out = compiled(_multivariate_normal, (1, 2, 5))(self._next_key(), batch, dtype, mean_v, cov_v, method)
        return Array(jnp.reshape(out, batch + (n,)))

    def dirichlet(self, alpha: ArrayLike, size: Size = None) -> Array:
        r"""Dirichlet vectors on the simplex :math:`\{x_i \ge 0, \sum_i x_i = 1\}`, density
        :math:`\propto \prod_i x_i^{\alpha_i - 1}`.

        Args:
            alpha: concentrations :math:`\alpha_i > 0`, shape ``(..., k)``.
            size: batch shape (the output is ``size + (k,)``); ``None`` gives ``alpha``'s batch shape.

        Example:
            >>> import brainlab.engine as be
            >>> w = be.random.dirichlet(be.ones(3), size=4000)   # 4000 random mixtures of 3 inputs
            >>> bool(be.allclose(w.sum(axis=-1), 1.0, atol=1e-5))
            True

        Limits: drawn in log space, so tiny :math:`\alpha_i` are fine, but components below the smallest float
        (about :math:`10^{-38}` in float32, common when some :math:`\alpha_i \ll 1`) come out as exactly 0.
        """
        where = self._where("dirichlet")
        alpha = C.param(alpha)
        if np.ndim(alpha) < 1 or jnp.shape(alpha)[-1] < 1:
            raise ValueError(f"{where}: argument `alpha` must have shape (..., k) with k >= 1, got {jnp.shape(alpha)}.")
        C.check_positive(where, "alpha", alpha)
        ashape = tuple(jnp.shape(alpha))
        batch = C.output_shape(where, size, ashape[:-1])
        dtype = C.float_dtype(alpha)
        return Array(compiled(_dirichlet)(self._next_key(), batch, dtype, jnp.asarray(alpha, dtype)))


def _covariance_problem(cov: np.ndarray, tol: float) -> str:
    """A description of why ``cov`` is not symmetric PSD (empty string if it is)."""
    if not np.all(np.isfinite(cov)):
        return "it contains NaN or infinite values"
    scale = max(float(np.max(np.abs(cov))), np.finfo(np.float64).tiny)
    asym = float(np.max(np.abs(cov - np.swapaxes(cov, -1, -2))))
    if asym > tol * scale:
        return f"it is not symmetric (largest |cov - cov.T| = {asym:.3g})"
    eig = np.linalg.eigvalsh((cov + np.swapaxes(cov, -1, -2)) / 2)
    low = float(np.min(eig))
    if low < -tol * max(float(np.max(np.abs(eig))), np.finfo(np.float64).tiny):
        return f"it has a negative eigenvalue ({low:.3g}), so it is not positive semi-definite"
    return ""
