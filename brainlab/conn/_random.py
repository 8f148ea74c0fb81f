"""Random connectivity: independent pairs (FixedProb) and fixed degrees (FixedPostNum, FixedPreNum)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ._connectivity import Connectivity
from ._fixed_prob import fixed_prob_csr
from ._rule import ConnRule
from ._threads import threads_for
from ._validate import INT32_MAX, Size, check_nnz, count, flag, probability, resolve_seed, seed_value


def _candidates(n_pre: int, n_post: int, include_self: bool) -> tuple[int, bool]:
    """Number of candidate targets per row and whether the diagonal is skipped."""
    exclude = (not include_self) and n_pre == n_post
    return (n_post - 1 if exclude else n_post), exclude


@dataclass(frozen=True)
class FixedProb(ConnRule):
    r"""Each pair :math:`(i, j)` is connected independently with probability ``prob`` (Erdős–Rényi).

    .. math:: P(A_{ij} = 1) = p, \qquad k_i^{\mathrm{out}} \sim \mathrm{Binomial}(N_{\mathrm{post}}, p),
        \qquad \mathbb{E}[\mathrm{nnz}] = p\,N_{\mathrm{pre}}N_{\mathrm{post}}.

    Without multapses each row selects its targets by geometric skipping (the gap between selected targets is
    Geometric(p)), so a row costs one random number per synapse and the build is O(nnz + N_pre) in time and
    memory, never O(N_pre N_post). With ``allow_multapses=True`` each row keeps the Binomial count but draws its
    targets with replacement (so a pair can carry several synapses). The build is vectorised numpy (blocks of
    rows, one counter-based random stream per row, see ``brainlab/conn/_fixed_prob.py``); it needs no numba.

    Args:
        prob: connection probability, in [0, 1].
        allow_multapses: draw targets with replacement (see above).
        include_self: when False and ``n_pre == n_post`` (the same population), pairs ``i == j`` are never
            connected and each row has ``n_post - 1`` candidates. The rule only sees sizes: with different
            sizes there are no self pairs and the flag has no effect; with equal sizes it assumes pre and post
            are the same population.
        seed: int in [0, 2**64) for a reproducible build; None draws a fresh seed from OS entropy (through
            numpy) at each build and records it in ``Connectivity.seed``.

    Example:
        >>> conn = FixedProb(80 / 64_000, seed=0).build(64_000, 64_000)  # 5.1 M synapses in well under 1 s
        >>> abs(conn.nnz - 80 * 64_000) < 5 * (80 * 64_000) ** 0.5
        True

    Limits: the result depends on the seed and the sizes (row ``i`` has its own random stream), not on how the
    rows are blocked; it is not the same network another simulator would draw for the same seed.
    """

    prob: float
    allow_multapses: bool = False
    include_self: bool = True
    seed: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "prob", probability("FixedProb", "prob", self.prob))
        object.__setattr__(self, "allow_multapses", flag("FixedProb", "allow_multapses", self.allow_multapses))
        object.__setattr__(self, "include_self", flag("FixedProb", "include_self", self.include_self))
        object.__setattr__(self, "seed", seed_value("FixedProb", self.seed))

    def build(self, n_pre: Size, n_post: Size) -> Connectivity:
        """Draw the connectivity; see the class docstring."""
        pre_shape, post_shape = self._shapes(n_pre, n_post)
        npre, npost = math.prod(pre_shape), math.prod(post_shape)
        m, exclude = _candidates(npre, npost, self.include_self)
        seed = resolve_seed(self.seed)
        # Refuse before drawing when even 10 standard deviations below the mean the count cannot fit int32.
        mean = self.prob * npre * m
        if mean - 10.0 * math.sqrt(mean) > INT32_MAX:
            check_nnz("FixedProb.build", int(mean), "Lower prob or split the populations.")
        counts, indices = fixed_prob_csr(seed, npre, m, self.prob, exclude, self.allow_multapses, INT32_MAX)
        nnz = int(counts.sum())
        check_nnz("FixedProb.build", nnz, "Lower prob or split the populations.")
        assert indices is not None  # kept whenever nnz fits int32
        indptr = np.zeros(npre + 1, dtype=np.int32)
        np.cumsum(counts, out=indptr[1:])
        rule = repr(replace(self, seed=seed))
        return Connectivity(indptr, indices, pre_shape, post_shape, seed=seed, rule=rule)


def _fixed_num(
    owner: str, num: int, n_rows: int, n_cols: int, include_self: bool, multapses: bool, seed: int, stream: int
) -> tuple[np.ndarray, np.ndarray]:
    m, exclude = _candidates(n_rows, n_cols, include_self)
    self_note = " (self-connections excluded)" if exclude else ""
    if not multapses and num > m:
        raise ValueError(
            f"{owner}: num={num} distinct partners are asked for but only {m} candidates exist{self_note}. "
            f"Pass num <= {m}, or allow_multapses=True to draw partners with replacement."
        )
    if multapses and num > 0 and m == 0:
        raise ValueError(
            f"{owner}: num={num} partners are asked for but there are no candidates{self_note}. "
            f"Pass include_self=True or a larger population."
        )
    check_nnz(owner, n_rows * num, "Lower num or split the populations.")
    indptr = (np.arange(n_rows + 1, dtype=np.int64) * num).astype(np.int32)
    indices = np.empty(n_rows * num, dtype=np.int32)
    if num:
        from ._random_kernels import fixed_num_fill

        with threads_for(n_rows * max(num, 2 * num - m)):
            fixed_num_fill(np.uint64(seed), stream, n_rows, num, m, exclude, multapses, indices)
    return indptr, indices


@dataclass(frozen=True)
class FixedPostNum(ConnRule):
    r"""Each presynaptic neuron connects to exactly ``num`` postsynaptic neurons chosen at random.

    .. math:: k_i^{\mathrm{out}} = \mathrm{num}\ \forall i, \qquad
        k_j^{\mathrm{in}} \sim \mathrm{Binomial}(N_{\mathrm{pre}}, \mathrm{num}/N_{\mathrm{post}}).

    Without multapses the ``num`` targets of a row are distinct, uniform among the ``num``-subsets of the
    candidates; with ``allow_multapses=True`` they are ``num`` draws with replacement. O(nnz) time and memory
    (a row with ``2 num > n_post`` costs O(n_post)).

    Args:
        num: synapses per presynaptic neuron (out-degree), >= 0.
        include_self: when False and ``n_pre == n_post`` (same population), ``i`` never targets itself.
        allow_multapses: draw targets with replacement.
        seed: int in [0, 2**64), or None for a fresh recorded seed (see :class:`FixedProb`).

    Example:
        >>> conn = FixedPostNum(100, seed=1).build(1000, 5000)
        >>> sorted(set(conn.out_degree().tolist()))
        [100]

    Limits: num > n_post (n_post - 1 without self) is impossible without multapses and raises.
    """

    num: int
    include_self: bool = True
    allow_multapses: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "num", count("FixedPostNum", "num", self.num))
        object.__setattr__(self, "include_self", flag("FixedPostNum", "include_self", self.include_self))
        object.__setattr__(self, "allow_multapses", flag("FixedPostNum", "allow_multapses", self.allow_multapses))
        object.__setattr__(self, "seed", seed_value("FixedPostNum", self.seed))

    def build(self, n_pre: Size, n_post: Size) -> Connectivity:
        """Draw the connectivity; see the class docstring."""
        from ._random_kernels import STREAM_FIXED_POST

        pre_shape, post_shape = self._shapes(n_pre, n_post)
        seed = resolve_seed(self.seed)
        indptr, indices = _fixed_num(
            "FixedPostNum.build",
            self.num,
            math.prod(pre_shape),
            math.prod(post_shape),
            self.include_self,
            self.allow_multapses,
            seed,
            STREAM_FIXED_POST,
        )
        rule = repr(replace(self, seed=seed))
        return Connectivity(indptr, indices, pre_shape, post_shape, seed=seed, rule=rule)


@dataclass(frozen=True)
class FixedPreNum(ConnRule):
    r"""Each postsynaptic neuron receives exactly ``num`` synapses from presynaptic neurons chosen at random.

    .. math:: k_j^{\mathrm{in}} = \mathrm{num}\ \forall j, \qquad
        k_i^{\mathrm{out}} \sim \mathrm{Binomial}(N_{\mathrm{post}}, \mathrm{num}/N_{\mathrm{pre}}).

    The sources of each postsynaptic neuron are drawn as in :class:`FixedPostNum` (distinct unless
    ``allow_multapses``), then the post → pre lists are transposed to the pre → post CSR by a counting sort:
    O(nnz + n_pre + n_post).

    Args:
        num: synapses per postsynaptic neuron (in-degree), >= 0.
        include_self: when False and ``n_pre == n_post`` (same population), ``j`` never receives from itself.
        allow_multapses: draw sources with replacement.
        seed: int in [0, 2**64), or None for a fresh recorded seed (see :class:`FixedProb`).

    Example:
        >>> conn = FixedPreNum(50, seed=2).build(4000, 1000)
        >>> sorted(set(conn.in_degree().tolist()))
        [50]

    Limits: num > n_pre (n_pre - 1 without self) is impossible without multapses and raises.
    """

    num: int
    include_self: bool = True
    allow_multapses: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "num", count("FixedPreNum", "num", self.num))
        object.__setattr__(self, "include_self", flag("FixedPreNum", "include_self", self.include_self))
        object.__setattr__(self, "allow_multapses", flag("FixedPreNum", "allow_multapses", self.allow_multapses))
        object.__setattr__(self, "seed", seed_value("FixedPreNum", self.seed))

    def build(self, n_pre: Size, n_post: Size) -> Connectivity:
        """Draw the connectivity; see the class docstring."""
        from ._csr_kernels import transpose
        from ._random_kernels import STREAM_FIXED_PRE

        pre_shape, post_shape = self._shapes(n_pre, n_post)
        npre, npost = math.prod(pre_shape), math.prod(post_shape)
        seed = resolve_seed(self.seed)
        ip_t, ix_t = _fixed_num(
            "FixedPreNum.build", self.num, npost, npre, self.include_self, self.allow_multapses, seed, STREAM_FIXED_PRE
        )
        indptr, indices, _ = transpose(ip_t, ix_t, npre)
        rule = repr(replace(self, seed=seed))
        return Connectivity(indptr, indices, pre_shape, post_shape, seed=seed, rule=rule)
