r"""Spike functions with surrogate gradients, for training spiking models by gradient descent.

A spike is the Heaviside step :math:`H(x)` of the distance to threshold :math:`x = V - V_\text{th}`; its
derivative is zero almost everywhere, so gradients cannot pass through it.  A *surrogate gradient* keeps the exact
step in the forward pass and replaces :math:`H'(x) = \delta(x)` by a smooth bump :math:`\sigma'(x)` in the
backward pass (Neftci, Mostafa & Zenke 2019, *IEEE Signal Process. Mag.* 36:51-63; Zenke & Ganguli 2018,
*Neural Comput.* 30:1514-1541).  Every bump here has unit area, like the Dirac delta it stands for, and width
:math:`\sim 1/\alpha` (``alpha`` in 1/mV when :math:`x` is in mV); each is the derivative of a smooth step
:math:`\sigma(x)` from 0 to 1 (:meth:`Surrogate.function`), so it can be checked by finite differences.

=================  ========================================================  ======================================
name               :math:`\sigma'(x)`, with :math:`z = \alpha x`              peak :math:`\sigma'(0)`
=================  ========================================================  ======================================
``sigmoid``        :math:`\alpha\, s(z)(1 - s(z))`, :math:`s` the logistic    :math:`\alpha/4`
``fast_sigmoid``   :math:`\alpha / (2 (1 + |z|)^2)` (SuperSpike)              :math:`\alpha/2`
``arctan``         :math:`\alpha / (\pi (1 + z^2))`                           :math:`\alpha/\pi`
``triangle``       :math:`\alpha \max(0, 1 - |z|)`                            :math:`\alpha`
``gaussian``       :math:`\alpha\, e^{-z^2/2} / \sqrt{2\pi}`                  :math:`\alpha/\sqrt{2\pi}`
``multi_gaussian`` three Gaussians, a positive centre and two negative flanks  :math:`\approx 0.5166\,\alpha` (h=0.15,
                   (Yin et al. 2021), scaled to unit area                                           s=6)
=================  ========================================================  ======================================

All are safe for any finite or infinite input in float32: they return finite values (0 far from threshold),
never NaN from an overflow of :math:`z` or :math:`z^2`.
"""

import abc
import dataclasses
import functools
import math

import jax
import jax.numpy as jnp

from ..engine._array import unwrap

__all__ = ["Surrogate", "Sigmoid", "FastSigmoid", "Arctan", "Triangle", "Gaussian", "MultiGaussian", "spike_fn",
           "SURROGATES", "get_surrogate"]

_SQRT2PI = math.sqrt(2.0 * math.pi)


class Surrogate(abc.ABC):
    """A smooth stand-in for the derivative of the Heaviside step (unit area); subclasses define ``derivative``
    (the bump :math:`\\sigma'(x)`) and ``function`` (the smooth step :math:`\\sigma(x)` it is the derivative of)."""

    name: str
    alpha: float

    @abc.abstractmethod
    def derivative(self, x: jax.Array) -> jax.Array:
        """The surrogate :math:`\\sigma'(x)` used in place of :math:`\\delta(x)` in the backward pass (same shape
        as ``x``)."""

    @abc.abstractmethod
    def function(self, x: jax.Array) -> jax.Array:
        """The smooth step :math:`\\sigma(x)` (0 at :math:`-\\infty`, 1 at :math:`+\\infty`) whose derivative is
        :meth:`derivative`; never used in the forward pass, it documents and tests the bump."""

    @property
    def peak(self) -> float:
        """The bump's height at threshold, :math:`\\sigma'(0)` (1/mV)."""
        return float(self.derivative(jnp.zeros(())))

    def __call__(self, x: jax.Array) -> jax.Array:
        """The spike :math:`H(x)` (1.0 where ``x >= 0``) with this surrogate derivative."""
        return spike_fn(x, self)

    def __post_init__(self) -> None:
        a = self.alpha
        if isinstance(a, bool) or not isinstance(a, (int, float)) or not math.isfinite(a) or a <= 0:
            raise ValueError(f"{type(self).__name__}: alpha must be a positive finite number (1/mV: the bump's width "
                             f"is about 1/alpha), got {a!r}.")


@dataclasses.dataclass(frozen=True)
class Sigmoid(Surrogate):
    r"""Derivative of a logistic sigmoid: :math:`\sigma'(x) = \alpha\, s(\alpha x)\,(1 - s(\alpha x))`,
    :math:`s(z) = 1/(1 + e^{-z})`; peak :math:`\alpha/4` at threshold, unit area, tails :math:`\propto e^{-\alpha|x|}`.

    Example:
        >>> import brainlab as bl
        >>> bl.neurons.Sigmoid(alpha=4.0).peak
        1.0
    """

    alpha: float = 2.0
    name: str = dataclasses.field(default="sigmoid", init=False)

    def derivative(self, x: jax.Array) -> jax.Array:
        s = jax.nn.sigmoid(self.alpha * x)
        return self.alpha * s * (1.0 - s)

    def function(self, x: jax.Array) -> jax.Array:
        return jax.nn.sigmoid(self.alpha * x)


@dataclasses.dataclass(frozen=True)
class FastSigmoid(Surrogate):
    r"""SuperSpike's fast sigmoid (Zenke & Ganguli 2018), normalised to unit area:
    :math:`\sigma'(x) = \frac{\alpha}{2\,(1 + \alpha |x|)^2}`, peak :math:`\alpha/2`; heavy tails
    (:math:`\propto x^{-2}`) keep far-from-threshold gradients alive.  Smooth step:
    :math:`\sigma(x) = \tfrac12 + \tfrac12\,\mathrm{sign}(x)\,\big(1 - 1/(1 + \alpha|x|)\big)`.

    Example:
        >>> import brainlab as bl
        >>> bl.neurons.FastSigmoid(alpha=2.0).peak
        1.0
    """

    alpha: float = 1.0
    name: str = dataclasses.field(default="fast_sigmoid", init=False)

    def derivative(self, x: jax.Array) -> jax.Array:
        return 0.5 * self.alpha / (1.0 + self.alpha * jnp.abs(x)) ** 2

    def function(self, x: jax.Array) -> jax.Array:
        # written with 1/(1 + z) so that z = inf gives 1, not inf/inf
        return 0.5 + 0.5 * jnp.sign(x) * (1.0 - 1.0 / (1.0 + self.alpha * jnp.abs(x)))


@dataclasses.dataclass(frozen=True)
class Arctan(Surrogate):
    r"""Derivative of an arctangent step, a Cauchy (Lorentzian) bump:
    :math:`\sigma'(x) = \frac{\alpha}{\pi\,(1 + \alpha^2 x^2)}`, :math:`\sigma(x) = \tfrac12 + \arctan(\alpha x)/\pi`;
    peak :math:`\alpha/\pi`, tails :math:`\propto x^{-2}` like the fast sigmoid (Fang et al. 2021, *ICCV*,
    2661-2671, use this shape with a different scaling of :math:`\alpha`).

    Example:
        >>> import brainlab as bl, math
        >>> round(bl.neurons.Arctan(alpha=math.pi).peak, 6)
        1.0
    """

    alpha: float = 1.0
    name: str = dataclasses.field(default="arctan", init=False)

    def derivative(self, x: jax.Array) -> jax.Array:
        z = self.alpha * x
        return (self.alpha / math.pi) / (1.0 + z * z)

    def function(self, x: jax.Array) -> jax.Array:
        return 0.5 + jnp.arctan(self.alpha * x) / math.pi


@dataclasses.dataclass(frozen=True)
class Triangle(Surrogate):
    r"""Piecewise-linear (triangle) bump of half-width :math:`1/\alpha`:
    :math:`\sigma'(x) = \alpha \max(0, 1 - \alpha |x|)`, peak :math:`\alpha`; exactly zero away from threshold
    (Esser et al. 2016, *PNAS* 113:11441; Bellec et al. 2018, *NeurIPS*).  Smooth step: piecewise quadratic,
    :math:`\sigma(x) = \tfrac12 + \mathrm{sign}(x)\,(u - u^2/2)` with :math:`u = \min(\alpha|x|, 1)`.

    Example:
        >>> import brainlab as bl
        >>> bl.neurons.Triangle(alpha=0.5).peak
        0.5
    """

    alpha: float = 1.0
    name: str = dataclasses.field(default="triangle", init=False)

    def derivative(self, x: jax.Array) -> jax.Array:
        return self.alpha * jnp.maximum(0.0, 1.0 - self.alpha * jnp.abs(x))

    def function(self, x: jax.Array) -> jax.Array:
        u = jnp.minimum(self.alpha * jnp.abs(x), 1.0)
        return 0.5 + jnp.sign(x) * (u - 0.5 * u * u)


def _gauss(x: jax.Array, mu: float, sigma: float) -> jax.Array:
    z = (x - mu) / sigma
    return jnp.exp(-0.5 * z * z) / (sigma * _SQRT2PI)


def _phi(x: jax.Array, mu: float, sigma: float) -> jax.Array:
    return 0.5 * (1.0 + jax.scipy.special.erf((x - mu) / (sigma * math.sqrt(2.0))))


@dataclasses.dataclass(frozen=True)
class Gaussian(Surrogate):
    r"""A Gaussian bump of standard deviation :math:`1/\alpha`:
    :math:`\sigma'(x) = \frac{\alpha}{\sqrt{2\pi}} e^{-\alpha^2 x^2/2}`, peak :math:`\alpha/\sqrt{2\pi}`;
    the smooth step is the normal CDF :math:`\Phi(\alpha x)`.

    Example:
        >>> import brainlab as bl, math
        >>> round(bl.neurons.Gaussian(alpha=math.sqrt(2 * math.pi)).peak, 6)
        1.0
    """

    alpha: float = 1.0
    name: str = dataclasses.field(default="gaussian", init=False)

    def derivative(self, x: jax.Array) -> jax.Array:
        return _gauss(x, 0.0, 1.0 / self.alpha)

    def function(self, x: jax.Array) -> jax.Array:
        return _phi(x, 0.0, 1.0 / self.alpha)


@dataclasses.dataclass(frozen=True)
class MultiGaussian(Surrogate):
    r"""The multi-Gaussian of Yin, Corradi & Bohté (2021, *Nat. Mach. Intell.* 3:905-913): a central Gaussian
    with two negative side lobes, :math:`\sigma = 1/\alpha`,

    .. math::

        \sigma'(x) = \frac{(1 + h)\,G(x; 0, \sigma) - h\,G(x; \sigma, s\sigma) - h\,G(x; -\sigma, s\sigma)}{1 - h},

    with :math:`G(x; \mu, \sigma)` the normal density; divided by :math:`1 - h` (their form has area
    :math:`1 - h`) so that, like the others, it has unit area.  Defaults :math:`h = 0.15`, :math:`s = 6` (theirs);
    peak about :math:`0.5166\,\alpha`.  It is negative in the flanks (:math:`|x| \gtrsim 2/\alpha`).

    Example:
        >>> import brainlab as bl
        >>> round(bl.neurons.MultiGaussian().peak, 4)
        0.5166
    """

    alpha: float = 1.0
    h: float = 0.15
    s: float = 6.0
    name: str = dataclasses.field(default="multi_gaussian", init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (0.0 <= self.h < 1.0) or not self.s > 0:
            raise ValueError(f"MultiGaussian: need 0 <= h < 1 and s > 0 (h weighs the negative lobes, s their width "
                             f"relative to the centre), got h={self.h!r}, s={self.s!r}.")

    def derivative(self, x: jax.Array) -> jax.Array:
        sd, h, s = 1.0 / self.alpha, self.h, self.s
        bump = (1.0 + h) * _gauss(x, 0.0, sd) - h * _gauss(x, sd, s * sd) - h * _gauss(x, -sd, s * sd)
        return bump / (1.0 - h)

    def function(self, x: jax.Array) -> jax.Array:
        sd, h, s = 1.0 / self.alpha, self.h, self.s
        step = (1.0 + h) * _phi(x, 0.0, sd) - h * _phi(x, sd, s * sd) - h * _phi(x, -sd, s * sd)
        return step / (1.0 - h)


#: The surrogates available by name (``surrogate='fast_sigmoid'``), with their default widths.
SURROGATES: dict[str, type[Surrogate]] = {
    "fast_sigmoid": FastSigmoid, "sigmoid": Sigmoid, "arctan": Arctan, "triangle": Triangle,
    "gaussian": Gaussian, "multi_gaussian": MultiGaussian,
}


def get_surrogate(surrogate: "str | Surrogate", who: str = "spike_fn") -> Surrogate:
    """The :class:`Surrogate` for a name in :data:`SURROGATES` or an instance (returned unchanged)."""
    if isinstance(surrogate, Surrogate):
        return surrogate
    if isinstance(surrogate, str) and surrogate in SURROGATES:
        return SURROGATES[surrogate]()
    raise ValueError(
        f"{who}: unknown surrogate {surrogate!r}. Use one of {list(SURROGATES)} or an instance such as "
        "bl.neurons.FastSigmoid(alpha=2.0) (alpha in 1/mV sets the width)."
    )


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _heaviside(x: jax.Array, surrogate: Surrogate) -> jax.Array:
    return (x >= 0).astype(x.dtype)


@_heaviside.defjvp
def _heaviside_jvp(surrogate: Surrogate, primals: tuple, tangents: tuple) -> tuple:
    (x,), (tx,) = primals, tangents
    return _heaviside(x, surrogate), surrogate.derivative(x).astype(x.dtype) * tx


def spike_fn(x: jax.Array, surrogate: "str | Surrogate" = "fast_sigmoid") -> jax.Array:
    r"""Heaviside spike :math:`H(x)` (``1.0`` where :math:`x \ge 0`, else ``0.0``) with a surrogate gradient.

    Forward it is the exact step; under ``jax.grad``/``be.grad`` its derivative is ``surrogate.derivative(x)``.

    Args:
        x: distance to threshold, e.g. :math:`V - V_\text{th}` in mV (any float array; the result has its shape).
        surrogate: a name from :data:`SURROGATES` (``'fast_sigmoid'``, ``'sigmoid'``, ``'arctan'``,
            ``'triangle'``, ``'gaussian'``, ``'multi_gaussian'``) or a :class:`Surrogate` instance with a chosen
            ``alpha`` (1/mV).

    Example:
        >>> import jax, brainlab as bl
        >>> bl.neurons.spike_fn(jax.numpy.array([-1.0, 0.0, 2.0]))
        Array([0., 1., 1.], dtype=float32)
        >>> float(jax.grad(lambda v: bl.neurons.spike_fn(v - 1.0).sum())(1.0))  # alpha / 2 at threshold
        0.5

    Limits: the surrogate is a heuristic; gradients are not those of any smooth model, and their scale depends on
    ``alpha`` (too narrow a bump vanishes far from threshold, too wide a one blurs credit assignment).
    """
    sur = get_surrogate(surrogate)
    x = jnp.asarray(unwrap(x))
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.float32)
    return _heaviside(x, sur)
