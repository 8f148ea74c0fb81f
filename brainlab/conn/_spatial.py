"""Distance-dependent connectivity between populations laid out on grids."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ._connectivity import Connectivity
from ._rule import ConnRule
from ._threads import threads_for
from ._validate import Size, check_nnz, flag, positive_real, probability, resolve_seed, seed_value


def _shell_table(
    shape: np.ndarray, sigma: float, radius: float, max_prob: float, periodic: bool, exclude_self: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Offsets within ``radius`` (3-D, sorted by decreasing probability) grouped into factor-2 shells.

    Returns ``(offsets [K, 3] int64, ratio [K], shell_start [S + 1], shell_logq [S])`` for
    :func:`._spatial_kernels.shell_row`. A periodic axis that the window covers entirely contributes each of
    its cells once, at its minimum-image offset.
    """
    axes = []
    for size in (int(b) for b in shape):
        if periodic and 2.0 * radius >= size:
            axes.append(np.arange(-((size - 1) // 2), size // 2 + 1))
        else:
            r = int(math.floor(radius))
            if not periodic:
                r = min(r, size - 1)  # larger offsets leave the grid from every cell
            axes.append(np.arange(-r, r + 1))
    grids = np.meshgrid(*axes, indexing="ij")
    offsets = np.stack([g.ravel() for g in grids], axis=1).astype(np.int64)
    d2 = np.sum(offsets.astype(np.float64) ** 2, axis=1)
    keep = d2 <= radius * radius
    if exclude_self:
        keep &= d2 > 0
    offsets, d2 = offsets[keep], d2[keep]
    p = max_prob * np.exp(-d2 / (2.0 * sigma * sigma))
    offsets, p = offsets[p > 0.0], p[p > 0.0]  # underflowed far offsets never connect
    order = np.argsort(-p, kind="stable")
    offsets, p = np.ascontiguousarray(offsets[order]), p[order]
    # shell b holds the probabilities in (max_prob / 2**(b+1), max_prob / 2**b]
    band = np.floor(np.log2(max_prob) - np.log2(p)).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, band[1:] != band[:-1]]) if p.size else np.zeros(0, np.int64)
    shell_start = np.r_[starts, p.size].astype(np.int64)
    top = p[starts]
    ratio = p / np.repeat(top, np.diff(shell_start))
    with np.errstate(divide="ignore"):
        shell_logq = np.where(top >= 1.0, -np.inf, np.log1p(-np.minimum(top, 1.0)))
    return offsets, ratio, shell_start, shell_logq


@dataclass(frozen=True)
class GaussianProb(ConnRule):
    r"""Pairs connect independently with a probability that falls off as a Gaussian of their grid distance.

    .. math:: P(A_{ij} = 1) = p_{\max}\, \exp\!\left(-\frac{d_{ij}^2}{2\sigma^2}\right)
        \quad\text{for } d_{ij} \le r_{\max} = \mathrm{truncate}\cdot\sigma,\qquad 0 \text{ beyond,}

    with :math:`d_{ij}` the Euclidean distance between pre neuron :math:`i` and post neuron :math:`j`
    measured in post-grid spacings. Populations are 1-, 2- or 3-D grids (``n_pre=(32, 32)``; an int is a 1-D
    grid), with row-major neuron ids. When the two grids differ in shape both cover the same sheet: pre cell
    :math:`a` sits at post coordinate :math:`(a + \tfrac12) N^{\mathrm{post}}_d / N^{\mathrm{pre}}_d -
    \tfrac12` along axis :math:`d` (the identity for equal shapes). With ``periodic=True`` every axis wraps
    (a torus) and distances use the nearest image.

    Cost: when both grids have the same shape (one population, or two aligned ones), the offsets within
    :math:`r_{\max}` are tabulated once, sorted by probability and grouped into shells where it varies by at most
    a factor 2; every neuron then draws one to two random numbers per synapse plus one per shell (about a
    dozen), so the build is O(N_pre + synapses). For grids of different shapes the candidates are visited line
    by line along the last axis inside the box of half-width :math:`r_{\max}`:
    O(N_pre (2 r_max)^(dim-1) + synapses). Never O(N_pre N_post).

    Truncation error: pairs beyond :math:`r_{\max}` are never connected. With the default ``truncate=4`` a
    single cut pair lost probability at most :math:`p_{\max} e^{-8} \approx 3.4\times10^{-4}\,p_{\max}`; the
    expected fraction of an interior neuron's synapses lost is the tail :math:`P(\chi_{\dim} > 4)`:
    :math:`6.3\times10^{-5}` (1-D), :math:`3.4\times10^{-4}` (2-D), :math:`1.1\times10^{-3}` (3-D), see
    :meth:`truncation_loss`. Raise ``truncate`` to shrink it (the visited window grows as ``truncate**dim``).

    Args:
        sigma: width of the Gaussian, in post-grid spacings (> 0).
        max_prob: connection probability at distance 0, in [0, 1].
        periodic: wrap every axis (torus) instead of open boundaries.
        include_self: when False and the two grids have the same shape (the same population), ``i`` never
            connects to itself. The rule only sees shapes, so equal shapes are taken as the same population.
        seed: int in [0, 2**64), or None for a fresh seed recorded in ``Connectivity.seed``.
        truncate: cut-off radius in units of ``sigma`` (default 4).

    Example:
        >>> conn = GaussianProb(sigma=2.0, max_prob=0.5, periodic=True, seed=0).build((64, 64), (64, 64))
        >>> round(conn.nnz / 64**2)  # about 0.5 * 2 pi * 2**2 = 12.6 per neuron
        13

    Limits: grids have at most 3 axes and the same number of axes on both sides; distances are in grid
    units, not in physical units (scale ``sigma`` yourself).
    """

    sigma: float
    max_prob: float = 1.0
    periodic: bool = False
    include_self: bool = True
    seed: int | None = None
    truncate: float = 4.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "sigma", positive_real("GaussianProb", "sigma", self.sigma, "post-grid spacings"))
        object.__setattr__(self, "max_prob", probability("GaussianProb", "max_prob", self.max_prob))
        object.__setattr__(self, "periodic", flag("GaussianProb", "periodic", self.periodic))
        object.__setattr__(self, "include_self", flag("GaussianProb", "include_self", self.include_self))
        object.__setattr__(self, "seed", seed_value("GaussianProb", self.seed))
        object.__setattr__(
            self, "truncate", positive_real("GaussianProb", "truncate", self.truncate, "units of sigma")
        )

    @staticmethod
    def truncation_loss(ndim: int, truncate: float = 4.0) -> float:
        r"""Expected fraction of an interior neuron's synapses lost by the cut-off, on an infinite fine grid.

        :math:`P(\chi_k > t) = Q(k/2, t^2/2)` (regularised upper incomplete gamma) for ``k = ndim`` axes.
        """
        from scipy.special import gammaincc

        return float(gammaincc(ndim / 2.0, truncate**2 / 2.0))

    def build(self, n_pre: Size, n_post: Size) -> Connectivity:
        """Draw the connectivity; see the class docstring."""
        pre_shape, post_shape = self._shapes(n_pre, n_post)
        if len(pre_shape) != len(post_shape):
            raise ValueError(
                f"GaussianProb.build: the pre grid {pre_shape} and the post grid {post_shape} have different "
                f"numbers of axes; distances need both populations on grids of the same dimension, e.g. "
                f"n_pre=(32, 32) and n_post=(64, 64)."
            )
        if len(pre_shape) > 3:
            raise ValueError(
                f"GaussianProb.build: grids have at most 3 axes; got {pre_shape}. Flatten extra axes into "
                f"the population size."
            )
        pad = (1,) * (3 - len(pre_shape))
        pre3 = np.array(pad + pre_shape, dtype=np.int64)
        post3 = np.array(pad + post_shape, dtype=np.int64)
        npre = math.prod(pre_shape)
        exclude = (not self.include_self) and pre_shape == post_shape
        radius = self.truncate * self.sigma
        seed = resolve_seed(self.seed)
        counts = np.zeros(npre, dtype=np.int64)
        same = pre_shape == post_shape
        work = 0.0
        if same and self.max_prob > 0.0:
            table = _shell_table(post3, self.sigma, radius, self.max_prob, self.periodic, exclude)
            work = npre * (table[2].shape[0] + 2.0 * self.max_prob * table[0].shape[0])
        elif not same:
            lmax = int(min(int(post3.max()), math.floor(2.0 * radius) + 1))
            work = npre * float(lmax) ** (len(pre_shape) - 1) * (1.0 + self.max_prob * lmax)  # draws, roughly
        if self.max_prob > 0.0:
            from ._spatial_kernels import gaussian_counts, shell_counts

            with threads_for(work):
                if same:
                    shell_counts(np.uint64(seed), npre, post3, *table, self.periodic, counts)
                else:
                    gaussian_counts(
                        np.uint64(seed), npre, pre3, post3, self.sigma, radius, self.max_prob, self.periodic,
                        exclude, lmax, counts,
                    )
        nnz = int(counts.sum())
        check_nnz("GaussianProb.build", nnz, "Lower max_prob or sigma, or split the populations.")
        indptr = np.zeros(npre + 1, dtype=np.int32)
        np.cumsum(counts, out=indptr[1:])
        indices = np.empty(nnz, dtype=np.int32)
        if nnz:
            from ._spatial_kernels import gaussian_fill, shell_fill

            with threads_for(work):
                if same:
                    bad = shell_fill(np.uint64(seed), npre, post3, *table, self.periodic, indptr, indices)
                else:
                    bad = gaussian_fill(
                        np.uint64(seed), npre, pre3, post3, self.sigma, radius, self.max_prob, self.periodic,
                        exclude, lmax, indptr, indices,
                    )
            if bad:
                raise RuntimeError(f"GaussianProb.build: internal error, {bad} rows regenerated differently.")
        rule = repr(replace(self, seed=seed))
        return Connectivity(indptr, indices, pre_shape, post_shape, seed=seed, rule=rule)
