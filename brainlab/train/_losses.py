r"""Losses for training dynamical models on sequences: cross-entropy on a readout reduced over time, and MSE.

Every loss takes the model's outputs ``y`` of shape ``(batch, T, n_out)`` (one readout vector per sample and time
step, as :class:`~brainlab.train.BPTT` collects them) and targets, and returns a scalar averaged over the batch.
The classification losses reduce time first to one logit per class and sample,

.. math::

    z_{bc} = \operatorname{red}_t\, y_{btc}, \qquad
    \mathcal{L} = -\frac1B \sum_b \log \frac{e^{z_{b,c_b}}}{\sum_c e^{z_{bc}}},

with :math:`\operatorname{red}` the sum (spike counts), the maximum or the mean over time; the predicted class is
:math:`\arg\max_c z_{bc}`, available as ``loss.logits(y)``.  The max-over-time readout of a leaky,
non-spiking output layer is the one Zenke & Vogels (2021, *Neural Comput.* 33:899-925) use on randman; the
spike-count loss trains a spiking output layer, whose gradient then passes only through surrogate derivatives.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp

from ..engine._array import unwrap

__all__ = ["cross_entropy_count", "cross_entropy_max", "cross_entropy_mean", "mse", "accuracy"]


def _outputs(y: Any, who: str) -> jax.Array:
    y = jnp.asarray(unwrap(y))
    if y.ndim < 2:
        raise ValueError(f"{who}: the outputs must have a time axis and a class axis, shape (batch, T, n_out) or "
                         f"(T, n_out); got shape {y.shape}.")
    return y


def _labels(labels: Any, n_classes: int, batch: tuple, who: str) -> jax.Array:
    labels = jnp.asarray(unwrap(labels))
    if not jnp.issubdtype(labels.dtype, jnp.integer):
        raise TypeError(f"{who}: labels must be integer class indices in [0, {n_classes}), got dtype {labels.dtype}.")
    if labels.shape != batch:
        raise ValueError(f"{who}: labels have shape {labels.shape}, but the outputs hold {batch} samples "
                         f"(outputs (batch, T, n_out) need labels (batch,)).")
    return labels


def _cross_entropy(reduce: Callable[[jax.Array], jax.Array], who: str, doc: str) -> Callable[..., jax.Array]:
    def logits(y: Any) -> jax.Array:
        """The per-class logits :math:`z` (time reduced): shape ``y.shape[:-2] + (n_out,)``."""
        return reduce(_outputs(y, who))

    def loss(y: Any, labels: Any) -> jax.Array:
        z = logits(y)
        labels = _labels(labels, z.shape[-1], z.shape[:-1], who)
        logp = jax.nn.log_softmax(z, axis=-1)
        return -jnp.mean(jnp.take_along_axis(logp, labels[..., None], axis=-1))

    loss.__name__ = loss.__qualname__ = who
    loss.__doc__ = doc
    loss.logits = logits  # type: ignore[attr-defined]
    return loss


cross_entropy_count = _cross_entropy(
    lambda y: jnp.sum(y, axis=-2), "cross_entropy_count",
    r"""Cross-entropy of the spike counts: logits :math:`z_{bc} = \sum_t y_{btc}` (a spiking output layer).

    Args:
        y: outputs, shape ``(batch, T, n_out)`` (spikes 0/1 as floats, carrying surrogate gradients).
        labels: class indices, shape ``(batch,)`` (ints in ``[0, n_out)``).

    Example:
        >>> import jax.numpy as jnp, brainlab as bl
        >>> y = jnp.zeros((1, 5, 2)).at[0, :3, 1].set(1.0)          # class 1 spiked 3 times, class 0 never
        >>> round(float(bl.train.cross_entropy_count(y, jnp.array([1]))), 4)   # log(1 + e^-3)
        0.0486
    """)

cross_entropy_max = _cross_entropy(
    lambda y: jnp.max(y, axis=-2), "cross_entropy_max",
    r"""Cross-entropy of the maximum over time: :math:`z_{bc} = \max_t y_{btc}` (Zenke & Vogels 2021: the peak
    membrane potential of leaky non-spiking readout units, mV).

    Args:
        y: outputs, shape ``(batch, T, n_out)``.
        labels: class indices, shape ``(batch,)``.

    Example:
        >>> import jax.numpy as jnp, brainlab as bl
        >>> y = jnp.array([[[0.0, 2.0], [1.0, 0.0]]])                 # maxima 1 and 2
        >>> round(float(bl.train.cross_entropy_max(y, jnp.array([1]))), 4)    # log(1 + e^-1)
        0.3133
    """)

cross_entropy_mean = _cross_entropy(
    lambda y: jnp.mean(y, axis=-2), "cross_entropy_mean",
    r"""Cross-entropy of the mean over time: :math:`z_{bc} = \frac1T \sum_t y_{btc}` (a rate or mean-potential
    readout).

    Args:
        y: outputs, shape ``(batch, T, n_out)``.
        labels: class indices, shape ``(batch,)``.

    Example:
        >>> import jax.numpy as jnp, brainlab as bl
        >>> y = jnp.array([[[0.0, 2.0], [0.0, 0.0]]])                 # means 0 and 1
        >>> round(float(bl.train.cross_entropy_mean(y, jnp.array([0]))), 4)   # log(1 + e^1)
        1.3133
    """)


def mse(y: Any, target: Any) -> jax.Array:
    r"""Mean squared error :math:`\frac{1}{N}\sum (y - y^*)^2` over every sample, time step and output.

    Args:
        y: outputs, shape ``(batch, T, n_out)``.
        target: the wanted outputs, the same shape (or one that broadcasts to it, e.g. ``(batch, 1, n_out)`` for
            a constant target per sample).

    Example:
        >>> import jax.numpy as jnp, brainlab as bl
        >>> float(bl.train.mse(jnp.ones((2, 3, 1)), jnp.zeros((2, 3, 1))))
        1.0
    """
    y = jnp.asarray(unwrap(y))
    target = jnp.asarray(unwrap(target))
    try:
        shape = jnp.broadcast_shapes(y.shape, target.shape)
    except ValueError:
        shape = None
    if shape != y.shape:
        raise ValueError(f"mse: the target has shape {target.shape}, which does not broadcast to the outputs' shape "
                         f"{y.shape} (batch, T, n_out). Give one target per output and step, or (batch, 1, n_out).")
    return jnp.mean((y - target) ** 2)


# a mean over every element: the same for time-major (T, batch, ...) outputs and targets, which BPTT then passes
# (XLA then computes the error and its gradient in the scan's own layout instead of copying both across layouts)
mse.order_free = True  # type: ignore[attr-defined]


def accuracy(logits: Any, labels: Any) -> float:
    """The fraction of samples whose largest logit is the label's (``logits``: ``(batch, n_classes)``).

    Example:
        >>> import numpy as np
        >>> from brainlab.train._losses import accuracy
        >>> accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1]))
        0.5
    """
    z = jnp.asarray(unwrap(logits))
    return float(jnp.mean(jnp.argmax(z, axis=-1) == jnp.asarray(labels)))
