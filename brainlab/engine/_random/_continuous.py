r"""Samplers of continuous distributions on the real line or an interval (uniform, normal and their relatives).

Location-scale samplers return :math:`\mathrm{loc} + \mathrm{scale}\cdot Z` with :math:`Z` standard; the
sample has the unit of ``loc`` and ``scale`` (mV for a voltage, nS for a conductance ...).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._array import Array
from . import _checks as C
from ._base import KeyedGenerator
from ._checks import ArrayLike, Size
from ._truncnorm import truncated_standard_normal
from ._vonmises import vonmises_centered

__all__ = ["ContinuousSamplers"]


def _shape_from_dims(where: str, dims: tuple[Any, ...]) -> tuple[int, ...]:
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return C.normalize_size(where, dims) or ()


# Pure samplers ``f(key, shape, dtype, *params)``, compiled once each by ``KeyedGenerator._draw_float``.  The
# standard forms (rand, randn ...) reuse the general ones with fixed parameters, so they share compilations.
def _uniform(k, s, d, lo, hi):
    return lo + (hi - lo) * jax.random.uniform(k, s, d)


def _normal(k, s, d, mu, sd):
    return mu + sd * jax.random.normal(k, s, d)


def _lognormal(k, s, d, mu, sd):
    return jnp.exp(mu + sd * jax.random.normal(k, s, d))


def _truncated_normal(k, s, d, lower, upper, mu, sd):
    return mu + sd * truncated_standard_normal(k, (lower - mu) / sd, (upper - mu) / sd, s, d)


def _laplace(k, s, d, mu, b):
    return mu + b * jax.random.laplace(k, s, d)


def _logistic(k, s, d, mu, b):
    return mu + b * jax.random.logistic(k, s, d)


def _gumbel(k, s, d, mu, b):
    return mu + b * jax.random.gumbel(k, s, d)


def _standard_cauchy(k, s, d):
    return jax.random.cauchy(k, s, d)


def _triangular(k, s, d, lo, m, hi):
    u = jax.random.uniform(k, s, d)
    width = hi - lo
    rising = lo + jnp.sqrt(u * width * (m - lo))
    falling = hi - jnp.sqrt((1 - u) * width * (hi - m))
    return jnp.where(u < (m - lo) / width, rising, falling)


def _vonmises(k, s, d, mu, kappa):
    two_pi = jnp.asarray(2 * np.pi, d)
    mu = jnp.mod(mu + np.pi, two_pi) - np.pi  # mean direction in [-pi, pi)
    theta = mu + vonmises_centered(k, kappa, s, d)  # in [-2 pi, 2 pi]; wrap without touching small angles
    return jnp.where(theta > np.pi, theta - two_pi, jnp.where(theta < -np.pi, theta + two_pi, theta))


class ContinuousSamplers(KeyedGenerator):
    """Uniform, normal, truncated normal, lognormal, Laplace, logistic, Gumbel, Cauchy, triangular, von Mises."""

    # uniform ---------------------------------------------------------------------------------------------
    def rand(self, *shape: int) -> Array:
        r"""Uniform samples on :math:`[0, 1)` of the given shape (``rand(2, 3)``; ``rand()`` is a 0-d Array).

        Example:
            >>> import brainlab.engine as be
            >>> be.random.rand(2, 3).shape
            (2, 3)
        """
        shape = _shape_from_dims(self._where("rand"), shape)
        return self._draw_float("rand", shape, (0.0, 1.0), _uniform)

    def random(self, size: Size = None) -> Array:
        r"""Uniform samples on :math:`[0, 1)`; ``size`` is the output shape (``None``: one 0-d sample).

        Example:
            >>> import brainlab.engine as be
            >>> x = be.random.random(4000)
            >>> bool((x >= 0).all() and (x < 1).all())
            True
        """
        return self._draw_float("random", size, (0.0, 1.0), _uniform)

    def random_sample(self, size: Size = None) -> Array:
        """The same as :meth:`random` (numpy's older name).

        Example:
            >>> import brainlab.engine as be
            >>> be.random.random_sample((2, 3)).shape
            (2, 3)
        """
        return self._draw_float("random_sample", size, (0.0, 1.0), _uniform)

    def uniform(self, low: ArrayLike = 0.0, high: ArrayLike = 1.0, size: Size = None) -> Array:
        r"""Uniform samples on :math:`[\mathrm{low}, \mathrm{high})`: :math:`x = \mathrm{low} + (\mathrm{high} -
        \mathrm{low})\,u`, :math:`u \sim U[0, 1)`.

        Args:
            low, high: the interval (any unit; arrays broadcast).  As in numpy, ``high < low`` is accepted and
                gives samples in :math:`(\mathrm{high}, \mathrm{low}]`.
            size: output shape; ``None`` gives the broadcast shape of ``low`` and ``high``.

        Example:
            >>> import brainlab.engine as be
            >>> v0 = be.random.uniform(-70.0, -50.0, size=4000)   # initial voltages of 4000 neurons, mV
            >>> bool((v0 >= -70).all() and (v0 < -50).all())
            True

        Limits: in float32 the result can round up to ``high`` when ``|low|`` is much larger than the width.
        """
        return self._draw_float("uniform", size, (low, high), _uniform)

    # normal family ---------------------------------------------------------------------------------------
    def randn(self, *shape: int) -> Array:
        r"""Standard normal samples :math:`N(0, 1)` of the given shape (``randn(2, 3)``).

        Example:
            >>> import brainlab.engine as be
            >>> be.random.randn(4).dtype
            dtype('float32')
        """
        shape = _shape_from_dims(self._where("randn"), shape)
        return self._draw_float("randn", shape, (0.0, 1.0), _normal)

    def standard_normal(self, size: Size = None) -> Array:
        r"""Standard normal samples, density :math:`e^{-x^2/2}/\sqrt{2\pi}`; ``size`` is the output shape.

        Example:
            >>> import brainlab.engine as be
            >>> be.random.seed(0)                    # a statistical check: the same draws on every run
            >>> z = be.random.standard_normal(4000)
            >>> bool(abs(float(z.mean())) < 0.1)     # the mean's standard error is 1/sqrt(4000) = 0.016
            True
        """
        return self._draw_float("standard_normal", size, (0.0, 1.0), _normal)

    def normal(self, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0, size: Size = None) -> Array:
        r"""Normal samples with density :math:`\frac{1}{\sigma\sqrt{2\pi}} e^{-(x - \mu)^2 / (2\sigma^2)}`.

        Args:
            loc: the mean :math:`\mu` (any unit, e.g. mV).
            scale: the standard deviation :math:`\sigma \ge 0` (same unit as ``loc``).
            size: output shape; ``None`` gives the broadcast shape of ``loc`` and ``scale``.

        Example:
            >>> import brainlab.engine as be
            >>> w = be.random.normal(0.5, 0.1, size=(100, 100))   # synaptic weights, nS
            >>> w.shape
            (100, 100)

        Limits: raises on a negative ``scale`` only when its value is known (not while a transform traces it).
        """
        C.check_nonnegative(self._where("normal"), "scale", C.param(scale))
        return self._draw_float("normal", size, (loc, scale), _normal)

    def lognormal(self, mean: ArrayLike = 0.0, sigma: ArrayLike = 1.0, size: Size = None) -> Array:
        r"""Log-normal samples :math:`x = e^{\mu + \sigma Z}`, :math:`Z \sim N(0, 1)`.

        Density :math:`\frac{1}{x\sigma\sqrt{2\pi}}\exp\!\big(-(\ln x - \mu)^2/(2\sigma^2)\big)`, :math:`x > 0`.

        Args:
            mean: :math:`\mu`, the mean of :math:`\ln x` (not of :math:`x`).
            sigma: :math:`\sigma \ge 0`, the standard deviation of :math:`\ln x`.
            size: output shape; ``None`` gives the broadcast shape of the parameters.

        Example:
            >>> import brainlab.engine as be
            >>> bool((be.random.lognormal(0.0, 0.5, size=10) > 0).all())
            True
        """
        C.check_nonnegative(self._where("lognormal"), "sigma", C.param(sigma))
        return self._draw_float("lognormal", size, (mean, sigma), _lognormal)

    def truncated_normal(
        self,
        lower: ArrayLike,
        upper: ArrayLike,
        size: Size = None,
        loc: ArrayLike = 0.0,
        scale: ArrayLike = 1.0,
    ) -> Array:
        r"""Normal samples :math:`N(\mathrm{loc}, \mathrm{scale}^2)` conditioned on
        :math:`\mathrm{lower} \le x \le \mathrm{upper}`.

        Density :math:`\phi\big(\tfrac{x - \mu}{\sigma}\big) / \big(\sigma\,[\Phi(\beta) - \Phi(\alpha)]\big)` on
        the interval, with :math:`\alpha = (\mathrm{lower} - \mu)/\sigma`, :math:`\beta = (\mathrm{upper} -
        \mu)/\sigma` (scipy's ``truncnorm(alpha, beta, loc, scale)``).

        Args:
            lower, upper: the bounds, in the unit of the samples (not standardised); ``-inf``/``inf`` allowed.
            size: output shape; ``None`` gives the broadcast shape of the parameters.
            loc, scale: mean and standard deviation (``scale > 0``) of the normal before truncation.

        Example:
            >>> import brainlab.engine as be
            >>> w = be.random.truncated_normal(0.0, 1.0, size=4000, loc=0.5, scale=0.5)   # weights in [0, 1]
            >>> bool((w >= 0).all() and (w <= 1).all())
            True

        Limits: accurate in either tail (the CDF is inverted on the side where it has full precision), but an
        interval lying entirely beyond about 13 standard deviations (float32; 38 in float64) returns its bound
        nearest the mean.
        """
        where = self._where("truncated_normal")
        lower, upper, scale = C.param(lower), C.param(upper), C.param(scale)
        C.check_positive(where, "scale", scale)
        lo, up = C.concrete(lower), C.concrete(upper)
        if lo is not None and up is not None:
            if not np.all(np.asarray(lo, np.float64) < np.asarray(up, np.float64)):
                raise ValueError(
                    f"{where}: arguments `lower` and `upper` must satisfy lower < upper everywhere, got lower="
                    f"{lo!r:.80}, upper={up!r:.80}.\nFix: swap them or widen the interval."
                )
        return self._draw_float("truncated_normal", size, (lower, upper, loc, scale), _truncated_normal)

    # other location-scale families -----------------------------------------------------------------------
    def laplace(self, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0, size: Size = None) -> Array:
        r"""Laplace (double exponential) samples, density :math:`\frac{1}{2b} e^{-|x - \mu|/b}`.

        Args:
            loc: :math:`\mu`.  scale: :math:`b \ge 0`.  size: output shape.

        Example:
            >>> import brainlab.engine as be
            >>> be.random.laplace(0.0, 2.0, size=4000).shape
            (4000,)
        """
        C.check_nonnegative(self._where("laplace"), "scale", C.param(scale))
        return self._draw_float("laplace", size, (loc, scale), _laplace)

    def logistic(self, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0, size: Size = None) -> Array:
        r"""Logistic samples, density :math:`\frac{e^{-(x - \mu)/s}}{s\,(1 + e^{-(x - \mu)/s})^2}`.

        Args:
            loc: :math:`\mu`.  scale: :math:`s \ge 0`.  size: output shape.

        Example:
            >>> import brainlab.engine as be
            >>> be.random.logistic(0.0, 1.0, size=4000).shape
            (4000,)
        """
        C.check_nonnegative(self._where("logistic"), "scale", C.param(scale))
        return self._draw_float("logistic", size, (loc, scale), _logistic)

    def gumbel(self, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0, size: Size = None) -> Array:
        r"""Gumbel (maximum extreme value) samples, CDF :math:`\exp(-e^{-(x - \mu)/\beta})`.

        Args:
            loc: :math:`\mu`.  scale: :math:`\beta \ge 0`.  size: output shape.

        Example:
            >>> import brainlab.engine as be
            >>> be.random.gumbel(0.0, 1.0, size=4000).shape
            (4000,)
        """
        C.check_nonnegative(self._where("gumbel"), "scale", C.param(scale))
        return self._draw_float("gumbel", size, (loc, scale), _gumbel)

    def standard_cauchy(self, size: Size = None) -> Array:
        r"""Standard Cauchy samples, density :math:`1/(\pi(1 + x^2))` (no mean, no variance).

        Example:
            >>> import brainlab.engine as be
            >>> be.random.standard_cauchy(4000).shape
            (4000,)
        """
        return self._draw_float("standard_cauchy", size, (), _standard_cauchy)

    def triangular(self, left: ArrayLike, mode: ArrayLike, right: ArrayLike, size: Size = None) -> Array:
        r"""Triangular samples on :math:`[l, r]` with peak at :math:`m`, by inverting the CDF:

        .. math::
            x = l + \sqrt{u (r - l)(m - l)} \ \text{if}\ u < \tfrac{m - l}{r - l},\quad
            x = r - \sqrt{(1 - u)(r - l)(r - m)}\ \text{otherwise}.

        Args:
            left, mode, right: :math:`l \le m \le r` with :math:`l < r`.  size: output shape.

        Example:
            >>> import brainlab.engine as be
            >>> x = be.random.triangular(-1.0, 0.5, 2.0, size=4000)
            >>> bool((x >= -1).all() and (x <= 2).all())
            True
        """
        where = self._where("triangular")
        left, mode, right = C.param(left), C.param(mode), C.param(right)
        lv, mv, rv = C.concrete(left), C.concrete(mode), C.concrete(right)
        if lv is not None and mv is not None and rv is not None:
            for ok, text in (
                ((lv <= mv).all(), "left <= mode"),
                ((mv <= rv).all(), "mode <= right"),
                ((lv < rv).all(), "left < right"),
            ):
                if not ok:
                    raise ValueError(
                        f"{where}: the arguments must satisfy {text} (got left={lv!r:.60}, mode={mv!r:.60}, "
                        f"right={rv!r:.60}).\nFix: order them as left <= mode <= right with left < right."
                    )
        return self._draw_float("triangular", size, (left, mode, right), _triangular)

    def vonmises(self, mu: ArrayLike, kappa: ArrayLike, size: Size = None) -> Array:
        r"""Von Mises (circular normal) angles, density :math:`\frac{e^{\kappa\cos(x - \mu)}}{2\pi I_0(\kappa)}`
        on :math:`[-\pi, \pi]`.

        Args:
            mu: the mean direction (radians).
            kappa: the concentration :math:`\kappa \ge 0` (0: uniform; large: about :math:`N(\mu, 1/\kappa)`).
            size: output shape.

        Example:
            >>> import brainlab.engine as be
            >>> theta = be.random.vonmises(0.0, 4.0, size=4000)   # preferred orientations, rad
            >>> bool((abs(theta) <= 3.1416).all())
            True

        Limits: Best & Fisher's rejection method, rewritten to avoid cancellation (see
        ``brainlab.engine._random._vonmises``); accurate in float32 for :math:`10^{-8} \le \kappa \lesssim
        10^{30}`.  Rejected draws are redone in a loop until all are accepted, so each call's cost varies a
        little.
        """
        C.check_nonnegative(self._where("vonmises"), "kappa", C.param(kappa))
        return self._draw_float("vonmises", size, (mu, kappa), _vonmises)
