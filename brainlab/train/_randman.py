r"""Random-manifold spike-timing classification (randman; Zenke & Vogels 2021, *Neural Comput.* 33:899-925).

Each class is a smooth random :math:`D`-dimensional manifold embedded in :math:`[0, 1]^{n}`, one coordinate per
input neuron.  A sample picks a point :math:`u \in [0, 1]^D` uniformly; input neuron :math:`i` of a sample of
class :math:`c` fires exactly one spike, at the step :math:`\mathrm{round}\big(f_{ci}(u)\,(T - 1)\big)`, with

.. math::

    f_{ci}(u) = \operatorname{norm}\Big(\sum_{d=1}^{D} \sum_{k=1}^{K} k^{-\alpha} a_{cidk}
    \sin\big(2\pi (k\, b_{cidk}\, u_d + \phi_{cidk})\big)\Big),

random :math:`a, b, \phi \sim U(0, 1)`, :math:`K` the largest :math:`k` with :math:`k^{-\alpha} \ge 10^{-3}`, and
"norm" an affine map of each :math:`f_{ci}` onto :math:`[0, 1]` over a reference sample of the manifold.  Larger
:math:`\alpha` gives smoother manifolds, larger :math:`D` harder tasks; the classes share no structure, so only
the precise timing of the spikes tells them apart (every input fires once per sample in every class).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["randman"]


def randman(n_classes: int = 10, n_inputs: int = 100, n_steps: int = 100, n_per_class: int = 100, *,
            dim: int = 1, alpha: float = 2.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    r"""Spike trains of the randman task: inputs ``(n_classes * n_per_class, n_steps, n_inputs)`` (0/1, float32)
    and labels ``(n_classes * n_per_class,)`` (int32), in random order.

    Args:
        n_classes: the number of manifolds (classes).
        n_inputs: input neurons (the embedding dimension).
        n_steps: time steps per sample (each input spikes once, somewhere in them).
        n_per_class: samples per class.
        dim: the manifolds' intrinsic dimension :math:`D`.
        alpha: smoothness exponent :math:`\alpha` (Fourier amplitudes fall as :math:`k^{-\alpha}`).
        seed: the manifolds and the samples both follow from it; the same seed always gives the same task.

    Example:
        >>> import brainlab as bl
        >>> x, y = bl.train.randman(n_classes=3, n_inputs=20, n_steps=50, n_per_class=4, seed=1)
        >>> x.shape, y.shape
        ((12, 50, 20), (12,))
        >>> bool((x.sum(axis=1) == 1).all())          # every input spikes exactly once per sample
        True

    Limits: a new manifold draw for each seed; split one draw into training and test samples (the manifolds
    must be the same), e.g. ``x[:800], x[800:]``.
    """
    for name, v in (("n_classes", n_classes), ("n_inputs", n_inputs), ("n_steps", n_steps),
                    ("n_per_class", n_per_class), ("dim", dim)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"randman: {name} must be a positive int, got {v!r}.")
    if not (isinstance(alpha, (int, float)) and alpha > 0):
        raise ValueError(f"randman: alpha must be a positive smoothness exponent, got {alpha!r}.")
    rng = np.random.default_rng(seed)
    K = max(1, int(math.floor(1e-3 ** (-1.0 / alpha))))
    k = np.arange(1, K + 1)
    shape = (n_classes, n_inputs, dim, K)
    amp = rng.uniform(size=shape) * k ** (-float(alpha))
    freq = rng.uniform(size=shape) * k
    phase = rng.uniform(size=shape)

    def embed(c: int, u: np.ndarray) -> np.ndarray:  # u: (m, dim) -> (m, n_inputs)
        arg = 2 * np.pi * (u[:, None, :, None] * freq[c][None] + phase[c][None])
        return np.sum(amp[c][None] * np.sin(arg), axis=(2, 3))

    # reference points for the normalisation: a fine grid of the line for D = 1, a random sample otherwise
    ref = np.linspace(0.0, 1.0, 500)[:, None] if dim == 1 else rng.uniform(size=(1000 * dim, dim))
    n = n_classes * n_per_class
    x = np.zeros((n, n_steps, n_inputs), np.float32)
    labels = np.repeat(np.arange(n_classes, dtype=np.int32), n_per_class)
    rows = np.arange(n_inputs)
    for c in range(n_classes):
        r = embed(c, ref)
        lo, hi = r.min(axis=0), r.max(axis=0)
        f = (embed(c, rng.uniform(size=(n_per_class, dim))) - lo) / np.maximum(hi - lo, 1e-12)
        steps = np.rint(np.clip(f, 0.0, 1.0) * (n_steps - 1)).astype(np.int64)
        for j in range(n_per_class):
            x[c * n_per_class + j, steps[j], rows] = 1.0
    order = rng.permutation(n)
    return x[order], labels[order]
