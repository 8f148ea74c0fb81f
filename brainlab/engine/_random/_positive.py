r"""Samplers of continuous distributions on the positive half-line: waiting times, gamma and its relatives.

A ``scale`` parameter carries the unit of the sample (ms for an inter-spike interval drawn with
``exponential(scale=1000 / rate_hz)``); shape parameters and degrees of freedom are dimensionless.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._array import Array
from . import _checks as C
from ._base import KeyedGenerator, compiled
from ._continuous import _normal
from ._checks import ArrayLike, Size

__all__ = ["PositiveSamplers"]


# Pure samplers ``f(key, shape, dtype, *params)``, compiled once each by ``KeyedGenerator._draw_float``.  The
# standard forms and chisquare reuse the general ones with fixed parameters, so they share compilations.
def _exponential(k, s, d, scale):
    return scale * jax.random.exponential(k, s, d)


def _gamma(k, s, d, shape, scale):
    return scale * jax.random.gamma(k, shape, s, d)


def _loggamma(k, s, d, shape):
    return jax.random.loggamma(k, shape, s, d)


# Samplers assembled from the compiled gamma and normal programs (drawn with ``compile=False``): the gamma
# rejection loop is slow to compile, so beta, t and F reuse its compilation instead of each making their own.
def _beta(k, s, d, a, b):
    k1, k2 = jax.random.split(k)
    log_x, log_y = compiled(_loggamma)(k1, s, d, a), compiled(_loggamma)(k2, s, d, b)
    return jnp.exp(log_x - jnp.logaddexp(log_x, log_y))  # X / (X + Y) in log space: exact for tiny a, b


def _standard_t(k, s, d, df):
    k1, k2 = jax.random.split(k)
    z = compiled(_normal)(k1, s, d, jnp.zeros((), d), jnp.ones((), d))
    g = compiled(_gamma)(k2, s, d, df / 2, jnp.ones((), d))  # chi-square(df) / 2
    return z * jnp.sqrt(df / (2 * g))


def _f(k, s, d, d1, d2):
    k1, k2 = jax.random.split(k)
    one = jnp.ones((), d)
    g1 = compiled(_gamma)(k1, s, d, d1 / 2, one)
    g2 = compiled(_gamma)(k2, s, d, d2 / 2, one)
    return (g1 / d1) / (g2 / d2)


def _pareto(k, s, d, a):
    return jnp.expm1(jax.random.exponential(k, s, d) / a)


def _weibull(k, s, d, a):
    e = jax.random.exponential(k, s, d)
    safe = jnp.where(a == 0, jnp.ones((), d), a)
    return jnp.where(a == 0, jnp.zeros((), d), e ** (1 / safe))


def _rayleigh(k, s, d, scale):
    return scale * jnp.sqrt(2 * jax.random.exponential(k, s, d))


class PositiveSamplers(KeyedGenerator):
    """Exponential, gamma, beta, chi-square, Student t, F, Pareto (Lomax), Weibull, Rayleigh."""

    def exponential(self, scale: ArrayLike = 1.0, size: Size = None) -> Array:
        r"""Exponential samples, density :math:`\frac{1}{\beta} e^{-x/\beta}` for :math:`x \ge 0` (mean
        :math:`\beta`).

        Args:
            scale: :math:`\beta \ge 0`, the mean (the inverse of the rate).  In a unit of time, e.g. ms.
            size: output shape; ``None`` gives the shape of ``scale``.

        Example:
            >>> import brainlab.engine as be
            >>> isi = be.random.exponential(1000.0 / 20.0, size=4000)   # 20 Hz Poisson ISIs, in ms
            >>> isi.shape
            (4000,)
        """
        C.check_nonnegative(self._where("exponential"), "scale", C.param(scale))
        return self._draw_float("exponential", size, (scale,), _exponential)

    def standard_exponential(self, size: Size = None) -> Array:
        r"""Exponential samples with mean 1, density :math:`e^{-x}`.

        Example:
            >>> import brainlab.engine as be
            >>> bool((be.random.standard_exponential(4000) >= 0).all())
            True
        """
        return self._draw_float("standard_exponential", size, (1.0,), _exponential)

    def gamma(self, shape: ArrayLike, scale: ArrayLike = 1.0, size: Size = None) -> Array:
        r"""Gamma samples, density :math:`\frac{x^{k - 1} e^{-x/\theta}}{\Gamma(k)\,\theta^k}` (mean
        :math:`k\theta`).

        Args:
            shape: :math:`k \ge 0` (dimensionless; ``shape=0`` gives 0).
            scale: :math:`\theta \ge 0` (the unit of the sample).
            size: output shape; ``None`` gives the broadcast shape of ``shape`` and ``scale``.

        Example:
            >>> import brainlab.engine as be
            >>> isi = be.random.gamma(2.0, 10.0, size=4000)   # gamma-renewal ISIs, mean 20 ms
            >>> isi.shape
            (4000,)

        Limits: for :math:`k \ll 1` most of the mass is below the smallest float32 and many samples are 0.
        """
        where = self._where("gamma")
        C.check_nonnegative(where, "shape", C.param(shape))
        C.check_nonnegative(where, "scale", C.param(scale))
        return self._draw_float("gamma", size, (shape, scale), _gamma)

    def standard_gamma(self, shape: ArrayLike, size: Size = None) -> Array:
        r"""Gamma samples with scale 1, density :math:`x^{k - 1} e^{-x} / \Gamma(k)`, :math:`k \ge 0`.

        Example:
            >>> import brainlab.engine as be
            >>> be.random.standard_gamma(2.0, size=4000).shape
            (4000,)
        """
        C.check_nonnegative(self._where("standard_gamma"), "shape", C.param(shape))
        return self._draw_float("standard_gamma", size, (shape, 1.0), _gamma)

    def beta(self, a: ArrayLike, b: ArrayLike, size: Size = None) -> Array:
        r"""Beta samples on :math:`[0, 1]`, density :math:`\frac{x^{a - 1}(1 - x)^{b - 1}}{B(a, b)}`.

        Args:
            a, b: positive shape parameters.  size: output shape.

        Example:
            >>> import brainlab.engine as be
            >>> p = be.random.beta(2.0, 5.0, size=4000)   # release probabilities
            >>> bool((p >= 0).all() and (p <= 1).all())
            True
        """
        where = self._where("beta")
        C.check_positive(where, "a", C.param(a))
        C.check_positive(where, "b", C.param(b))
        return self._draw_float("beta", size, (a, b), _beta, compile=False)

    def chisquare(self, df: ArrayLike, size: Size = None) -> Array:
        r"""Chi-square samples with :math:`\nu > 0` degrees of freedom: :math:`2\,\mathrm{Gamma}(\nu/2, 1)`.

        Example:
            >>> import brainlab.engine as be
            >>> bool((be.random.chisquare(3.0, size=4000) >= 0).all())
            True
        """
        df = C.param(df)
        C.check_positive(self._where("chisquare"), "df", df)
        return self._draw_float("chisquare", size, (df / 2, 2.0), _gamma)

    def standard_t(self, df: ArrayLike, size: Size = None) -> Array:
        r"""Student's t samples, density :math:`\propto (1 + x^2/\nu)^{-(\nu + 1)/2}`, :math:`\nu > 0`.

        Example:
            >>> import brainlab.engine as be
            >>> be.random.standard_t(4.0, size=4000).shape
            (4000,)
        """
        C.check_positive(self._where("standard_t"), "df", C.param(df))
        return self._draw_float("standard_t", size, (df,), _standard_t, compile=False)

    def f(self, dfnum: ArrayLike, dfden: ArrayLike, size: Size = None) -> Array:
        r"""F (Fisher-Snedecor) samples :math:`\frac{X_1/d_1}{X_2/d_2}` with :math:`X_i \sim \chi^2_{d_i}`.

        Args:
            dfnum, dfden: positive degrees of freedom :math:`d_1, d_2`.  size: output shape.

        Example:
            >>> import brainlab.engine as be
            >>> bool((be.random.f(5.0, 8.0, size=4000) > 0).all())
            True
        """
        where = self._where("f")
        C.check_positive(where, "dfnum", C.param(dfnum))
        C.check_positive(where, "dfden", C.param(dfden))
        return self._draw_float("f", size, (dfnum, dfden), _f, compile=False)

    def pareto(self, a: ArrayLike, size: Size = None) -> Array:
        r"""Pareto II (Lomax) samples, numpy's ``pareto``: density :math:`a/(1 + x)^{a + 1}` for :math:`x \ge 0`.

        Add 1 and multiply by :math:`x_m` for the classical Pareto with minimum :math:`x_m`.  Drawn as
        :math:`\operatorname{expm1}(E/a)` with :math:`E \sim \mathrm{Exp}(1)`, exact near 0.

        Args:
            a: the shape :math:`a > 0`.  size: output shape.

        Example:
            >>> import brainlab.engine as be
            >>> bool((be.random.pareto(3.0, size=4000) >= 0).all())
            True
        """
        C.check_positive(self._where("pareto"), "a", C.param(a))
        return self._draw_float("pareto", size, (a,), _pareto)

    def weibull(self, a: ArrayLike, size: Size = None) -> Array:
        r"""Weibull samples with scale 1, density :math:`a x^{a - 1} e^{-x^a}`: :math:`x = E^{1/a}`.

        Args:
            a: the shape :math:`a \ge 0` (``a = 0`` gives 0, as in numpy).  size: output shape.

        Example:
            >>> import brainlab.engine as be
            >>> bool((be.random.weibull(1.5, size=4000) >= 0).all())
            True
        """
        C.check_nonnegative(self._where("weibull"), "a", C.param(a))
        return self._draw_float("weibull", size, (a,), _weibull)

    def rayleigh(self, scale: ArrayLike = 1.0, size: Size = None) -> Array:
        r"""Rayleigh samples, density :math:`\frac{x}{\sigma^2} e^{-x^2/(2\sigma^2)}`: :math:`x = \sigma\sqrt{2E}`.

        Args:
            scale: :math:`\sigma \ge 0`.  size: output shape.

        Example:
            >>> import brainlab.engine as be
            >>> bool((be.random.rayleigh(2.0, size=4000) >= 0).all())
            True
        """
        C.check_nonnegative(self._where("rayleigh"), "scale", C.param(scale))
        return self._draw_float("rayleigh", size, (scale,), _rayleigh)
