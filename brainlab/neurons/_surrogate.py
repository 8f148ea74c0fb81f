r"""Spike functions with surrogate gradients, for training spiking models by gradient descent.

A spike is the Heaviside step :math:`H(x)` of the distance to threshold :math:`x = V - V_\text{th}`; its
derivative is zero almost everywhere, so gradients cannot pass through it.  A *surrogate gradient* keeps the exact
step in the forward pass and replaces :math:`H'(x) = \delta(x)` by a smooth bump :math:`\sigma'(x)` in the
backward pass (Neftci, Mostafa & Zenke 2019, *IEEE Signal Process. Mag.* 36:51-63; Zenke & Ganguli 2018,
*Neural Comput.* 30:1514-1541).  Every bump here has unit area, like the Dirac delta it stands for, and width
:math:`\sim 1/\alpha` (``alpha`` in 1/mV when :math:`x` is in mV).
"""

import abc
import dataclasses
import functools

import jax
import jax.numpy as jnp

from ..engine._array import unwrap

__all__ = ["Surrogate", "Sigmoid", "FastSigmoid", "Triangle", "spike_fn", "SURROGATES", "get_surrogate"]


class Surrogate(abc.ABC):
    """A smooth stand-in for the derivative of the Heaviside step (unit area); subclasses define ``derivative``."""

    name: str
    alpha: float

    @abc.abstractmethod
    def derivative(self, x: jax.Array) -> jax.Array:
        """The surrogate :math:`\\sigma'(x)` used in place of :math:`\\delta(x)` in the backward pass."""

    def __call__(self, x: jax.Array) -> jax.Array:
        """The spike :math:`H(x)` (1.0 where ``x >= 0``) with this surrogate derivative."""
        return spike_fn(x, self)


@dataclasses.dataclass(frozen=True)
class Sigmoid(Surrogate):
    r"""Derivative of a logistic sigmoid: :math:`\sigma'(x) = \alpha\, s(\alpha x)\,(1 - s(\alpha x))`,
    :math:`s(z) = 1/(1 + e^{-z})`; peak :math:`\alpha/4` at threshold, unit area."""

    alpha: float = 2.0
    name: str = dataclasses.field(default="sigmoid", init=False)

    def derivative(self, x: jax.Array) -> jax.Array:
        s = jax.nn.sigmoid(self.alpha * x)
        return self.alpha * s * (1.0 - s)


@dataclasses.dataclass(frozen=True)
class FastSigmoid(Surrogate):
    r"""SuperSpike's fast sigmoid (Zenke & Ganguli 2018), normalised to unit area:
    :math:`\sigma'(x) = \frac{\alpha}{2\,(1 + \alpha |x|)^2}`; heavy tails keep far-from-threshold gradients alive."""

    alpha: float = 1.0
    name: str = dataclasses.field(default="fast_sigmoid", init=False)

    def derivative(self, x: jax.Array) -> jax.Array:
        return 0.5 * self.alpha / (1.0 + self.alpha * jnp.abs(x)) ** 2


@dataclasses.dataclass(frozen=True)
class Triangle(Surrogate):
    r"""Piecewise-linear (triangle) bump of half-width :math:`1/\alpha`:
    :math:`\sigma'(x) = \alpha \max(0, 1 - \alpha |x|)`; exactly zero away from threshold."""

    alpha: float = 1.0
    name: str = dataclasses.field(default="triangle", init=False)

    def derivative(self, x: jax.Array) -> jax.Array:
        return self.alpha * jnp.maximum(0.0, 1.0 - self.alpha * jnp.abs(x))


#: The surrogates available by name (``surrogate='fast_sigmoid'``), with their default widths.
SURROGATES: dict[str, type[Surrogate]] = {"sigmoid": Sigmoid, "fast_sigmoid": FastSigmoid, "triangle": Triangle}


def get_surrogate(surrogate: "str | Surrogate", who: str = "spike_fn") -> Surrogate:
    """The :class:`Surrogate` for a name in :data:`SURROGATES` or an instance (returned unchanged)."""
    if isinstance(surrogate, Surrogate):
        return surrogate
    if isinstance(surrogate, str) and surrogate in SURROGATES:
        return SURROGATES[surrogate]()
    raise ValueError(
        f"{who}: unknown surrogate {surrogate!r}. Use one of {sorted(SURROGATES)} or an instance such as "
        "bl.neurons.FastSigmoid(alpha=2.0) (alpha in 1/mV sets the width)."
    )


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _heaviside(x: jax.Array, surrogate: Surrogate) -> jax.Array:
    return (x >= 0).astype(x.dtype)


@_heaviside.defjvp
def _heaviside_jvp(surrogate: Surrogate, primals: tuple, tangents: tuple) -> tuple:
    (x,), (tx,) = primals, tangents
    return _heaviside(x, surrogate), surrogate.derivative(x) * tx


def spike_fn(x: jax.Array, surrogate: "str | Surrogate" = "fast_sigmoid") -> jax.Array:
    r"""Heaviside spike :math:`H(x)` (``1.0`` where :math:`x \ge 0`, else ``0.0``) with a surrogate gradient.

    Forward it is the exact step; under ``jax.grad``/``be.grad`` its derivative is ``surrogate.derivative(x)``.

    Args:
        x: distance to threshold, e.g. :math:`V - V_\text{th}` in mV (any float array).
        surrogate: a name from :data:`SURROGATES` (``'fast_sigmoid'``, ``'sigmoid'``, ``'triangle'``) or a
            :class:`Surrogate` instance with a chosen ``alpha`` (1/mV).

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
