"""Tests of brainlab.conn: statistical truth of the random rules, exact structure of the others, CSR invariants,
reproducibility and the bad-input errors.

Statistical tests use fixed seeds, so they are deterministic; their thresholds (p-value > 1e-3, |z| < 5) are
those a correct sampler passes with overwhelming probability, while the tested bugs (off-by-one in the skipping,
non-uniform targets, wrong self-exclusion shift, a wrong distance) move the statistics by many sigmas.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special, stats

import brainlab.conn as bc
from brainlab.conn import (
    AllToAll,
    Connectivity,
    FixedPostNum,
    FixedPreNum,
    FixedProb,
    FromDense,
    FromIJ,
    GaussianProb,
    OneToOne,
)

P_MIN = 1e-3  # smallest accepted p-value of a goodness-of-fit test (deterministic: fixed seeds)


# ---------------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------------
def assert_csr(conn: Connectivity, *, strictly_sorted: bool = True) -> None:
    """CSR invariants: dtypes, indptr monotone from 0 to nnz, indices in range and sorted within rows."""
    ip, ix = conn.indptr, conn.indices
    assert ip.dtype == np.int32 and ix.dtype == np.int32
    assert ip.shape == (conn.n_pre + 1,)
    assert ip[0] == 0 and ip[-1] == ix.shape[0] == conn.nnz
    assert np.all(np.diff(ip) >= 0)
    if conn.nnz:
        assert ix.min() >= 0 and ix.max() < conn.n_post
    pre = conn.pre
    assert pre.dtype == np.int32 and np.array_equal(np.diff(ip), np.bincount(pre, minlength=conn.n_pre))
    same_row = pre[1:] == pre[:-1]
    step = np.diff(ix.astype(np.int64))[same_row]
    assert np.all(step > 0) if strictly_sorted else np.all(step >= 0)


def chi2_pvalue(observed: np.ndarray, expected: np.ndarray, min_expected: float = 5.0, ddof: int = 0) -> float:
    """Pearson chi-square goodness of fit after merging neighbouring bins until each expects >= min_expected."""
    expected = np.asarray(expected, float) * (np.sum(observed) / np.sum(expected))  # shape known, scale fitted
    obs_b, exp_b = [], []
    o_acc = e_acc = 0.0
    for o, e in zip(observed, expected, strict=True):
        o_acc += o
        e_acc += e
        if e_acc >= min_expected:
            obs_b.append(o_acc)
            exp_b.append(e_acc)
            o_acc = e_acc = 0.0
    if e_acc > 0 or o_acc > 0:  # fold the remainder into the last bin
        obs_b[-1] += o_acc
        exp_b[-1] += e_acc
    obs_a, exp_a = np.array(obs_b), np.array(exp_b)
    return float(stats.chisquare(obs_a, exp_a, ddof=ddof).pvalue)


def binomial_fit_pvalue(samples: np.ndarray, n: int, p: float) -> float:
    """Chi-square p-value of integer samples against Binomial(n, p)."""
    k = np.arange(n + 1)
    observed = np.bincount(samples, minlength=n + 1)[: n + 1]
    assert observed.sum() == samples.size, "a sample exceeds n"
    expected = samples.size * stats.binom.pmf(k, n, p)
    return chi2_pvalue(observed, expected)


# ---------------------------------------------------------------------------------------------------------------
# FixedProb
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("include_self", [True, False])
def test_fixed_prob_row_counts_are_binomial(include_self: bool) -> None:
    n, p = 3000, 0.01
    conn = FixedProb(p, include_self=include_self, seed=11).build(n, n)
    assert_csr(conn)
    m = n if include_self else n - 1
    assert binomial_fit_pvalue(conn.out_degree(), m, p) > P_MIN
    # each target is chosen with probability p independently of the source: in-degrees are Binomial too
    assert binomial_fit_pvalue(conn.in_degree(), m, p) > P_MIN
    if not include_self:
        assert not np.any(conn.pre == conn.post)


def test_fixed_prob_gaps_are_geometric() -> None:
    """The first target of a row and the gaps between targets follow Geometric(p) (checks the skipping)."""
    n_pre, n_post, p = 4000, 500, 0.05
    conn = FixedProb(p, seed=5).build(n_pre, n_post)
    ip, ix = conn.indptr, conn.indices.astype(np.int64)
    first = ix[ip[:-1][np.diff(ip) > 0]]
    same_row = conn.pre[1:] == conn.pre[:-1]
    gaps = (np.diff(ix) - 1)[same_row]
    g = np.arange(n_post)
    # P(first target = g) = p (1 - p)^g
    assert chi2_pvalue(np.bincount(first, minlength=n_post)[:n_post], p * (1 - p) ** g) > P_MIN
    # E[#gaps of g empty candidates] = (number of positions where such a gap fits) p^2 (1 - p)^g
    assert chi2_pvalue(np.bincount(gaps, minlength=n_post)[:n_post], (n_post - 1 - g) * (1 - p) ** g) > P_MIN


def test_fixed_prob_every_pair_has_probability_p() -> None:
    """Over many seeds each matrix entry (including the first/last column and around the skipped diagonal) is
    connected with frequency p, and different entries are uncorrelated."""
    n, p, runs = 7, 0.3, 3000
    acc = np.zeros((n, n))
    pair = 0.0
    for s in range(runs):
        d = FixedProb(p, include_self=False, seed=s).build(n, n).to_dense()
        acc += d
        pair += d[2, 3] & d[2, 4]
    assert np.all(np.diag(acc) == 0)
    off = ~np.eye(n, dtype=bool)
    z = (acc[off] - runs * p) / math.sqrt(runs * p * (1 - p))
    assert stats.chi2.sf(np.sum(z**2), df=z.size) > P_MIN
    assert abs(z).max() < 5
    # independence of two entries of a row: P(both) = p^2
    assert abs(pair - runs * p * p) < 5 * math.sqrt(runs * p * p * (1 - p * p))


def test_fixed_prob_total_nnz_within_few_sigma() -> None:
    for seed, (n_pre, n_post, p) in enumerate([(2000, 3000, 0.002), (500, 400, 0.5), (10_000, 10_000, 8e-4)]):
        conn = FixedProb(p, seed=seed).build(n_pre, n_post)
        mean = p * n_pre * n_post
        assert abs(conn.nnz - mean) < 5 * math.sqrt(mean * (1 - p))


def test_fixed_prob_extremes() -> None:
    assert FixedProb(0.0, seed=0).build(50, 60).nnz == 0
    full = FixedProb(1.0, seed=0).build(5, 6)
    assert full == AllToAll().build(5, 6)
    assert FixedProb(1.0, include_self=False, seed=0).build(6, 6) == AllToAll(include_self=False).build(6, 6)
    # different sizes: there are no self pairs, so include_self=False changes nothing
    assert FixedProb(1.0, include_self=False, seed=0).build(5, 6).nnz == 30


@pytest.mark.parametrize("include_self", [True, False])
def test_fixed_prob_multapses(include_self: bool) -> None:
    n, p = 2000, 0.02
    conn = FixedProb(p, allow_multapses=True, include_self=include_self, seed=3).build(n, n)
    assert_csr(conn, strictly_sorted=False)
    m = n if include_self else n - 1
    assert binomial_fit_pvalue(conn.out_degree(), m, p) > P_MIN
    # targets drawn uniformly with replacement: the in-degree histogram is uniform over the candidates
    targets = conn.post.astype(np.int64)
    if not include_self:
        assert not np.any(conn.pre == conn.post)
        targets = targets - (targets > conn.pre)  # back to candidate index 0..m-1
    observed = np.bincount(targets, minlength=m)
    assert stats.chisquare(observed).pvalue > P_MIN
    # duplicates do occur (expected repeated pairs ~ n * C(p m, 2) / m, about 780 here)
    key = conn.pre.astype(np.int64) * n + conn.post
    assert np.unique(key).size < conn.nnz


def test_fixed_prob_seed_reproducibility() -> None:
    rule = FixedProb(0.01, seed=123)
    a, b = rule.build(1000, 800), rule.build(1000, 800)
    assert a == b and np.array_equal(a.indices, b.indices) and a.seed == 123
    assert FixedProb(0.01, seed=124).build(1000, 800) != a
    fresh = FixedProb(0.01).build(1000, 800)
    assert isinstance(fresh.seed, int)
    assert FixedProb(0.01, seed=fresh.seed).build(1000, 800) == fresh
    assert FixedProb(0.01).build(1000, 800).seed != fresh.seed


_MASK64 = 2**64 - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _mix64(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def _reference_fixed_prob_row(seed: int, row: int, m: int, p: float, shift: float, multapses: bool) -> list[int]:
    """Row ``row`` of FixedProb, one scalar draw at a time with Python ints (the SplitMix64 stream of ._rng)."""
    stream = 1  # STREAM_FIXED_PROB
    base = _mix64(seed ^ _mix64((stream * _GOLDEN + _GOLDEN) & _MASK64))
    state = _mix64((base + (row + 1) * _GOLDEN) & _MASK64)

    def bits53() -> int:
        nonlocal state
        state = (state + _GOLDEN) & _MASK64
        return _mix64(state) >> 11

    logq = math.log1p(-p) if p < 1.0 else -math.inf
    targets = []
    pos = -1.0
    while True:
        u = (bits53() + 1) * 2.0**-53
        pos += 1.0 + math.floor(math.log(u) / logq)
        if pos >= m:
            break
        targets.append(int(pos))
    if multapses:
        targets = sorted(min(int(bits53() * 2.0**-53 * m), m - 1) for _ in targets)
    return [j + 1 if j >= shift else j for j in targets]


@pytest.mark.parametrize(
    ("n_pre", "n_post", "p", "include_self", "multapses", "rows"),
    [
        (1, 1, 0.5, True, False, None),
        (12, 12, 0.3, False, False, None),
        (12, 12, 0.3, False, True, None),
        (9, 40, 1.0, True, False, None),
        (30, 30, 1.0, False, True, None),
        (25, 300, 0.02, True, False, None),
        (17, 17, 0.999, False, False, None),
        (2000, 2000, 0.004, False, False, [0, 1, 1000, 1999]),
        (300, 5000, 0.97, True, False, [0, 299]),  # long rows: continued past the first block of draws
        (400, 3000, 0.05, True, True, [3, 399]),
    ],
)
def test_fixed_prob_matches_scalar_reference_stream(
    n_pre: int, n_post: int, p: float, include_self: bool, multapses: bool, rows: list[int] | None
) -> None:
    """The vectorised builder draws exactly the per-row streams of a plain scalar loop (same seeds, same
    numbers, same targets), for several seeds; this pins the network a seed gives."""
    exclude = not include_self and n_pre == n_post
    m = n_post - 1 if exclude else n_post
    for seed in (0, 1, 2**63 + 12345, 2**64 - 1):
        conn = FixedProb(p, allow_multapses=multapses, include_self=include_self, seed=seed).build(n_pre, n_post)
        for i in range(n_pre) if rows is None else rows:
            expected = _reference_fixed_prob_row(seed, i, m, p, i if exclude else math.inf, multapses)
            got = conn.indices[conn.indptr[i] : conn.indptr[i + 1]].tolist()
            assert got == expected, (seed, i)


def test_fixed_prob_streams_are_those_of_rng() -> None:
    """The numpy builder repeats the stream constants and row hash of ._rng (shared with the numba builders)."""
    from brainlab.conn import _fixed_prob, _rng

    assert _fixed_prob.GOLDEN == int(_rng.GOLDEN) and _fixed_prob.STREAM_FIXED_PROB == _rng.STREAM_FIXED_PROB
    rows = np.array([0, 1, 2, 1000, 2**31 - 2])
    for seed in (0, 7, 2**64 - 1):
        expected = [int(_rng.row_state(np.uint64(seed), _rng.STREAM_FIXED_PROB, int(r))) for r in rows]
        assert _fixed_prob.row_states(seed, _fixed_prob.STREAM_FIXED_PROB, rows).tolist() == expected


def test_fixed_prob_does_not_depend_on_blocking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows are drawn in blocks of bounded size and continued when their first draws do not reach n_post;
    any block size gives the same network (one random stream per row)."""
    from brainlab.conn import _fixed_prob

    cases = [
        (FixedProb(0.2, seed=9), (10, 12), (10, 12)),
        (FixedProb(0.2, allow_multapses=True, include_self=False, seed=9), (10, 12), (10, 12)),
        (FixedProb(0.9, include_self=False, seed=4), 100, 100),
        (FixedProb(0.999, allow_multapses=True, seed=4), 3, 2000),
        (FixedProb(1.0, include_self=False, seed=1), 30, 30),
        (FixedProb(0.01, seed=3), 1000, 1000),
    ]
    reference = [r.build(a, b) for r, a, b in cases]
    for work in (9, 64, 1000):
        monkeypatch.setattr(_fixed_prob, "WORK", work)
        assert [r.build(a, b) for r, a, b in cases] == reference, work


def test_fixed_prob_build_imports_no_numba() -> None:
    """FixedProb builds with numpy only: no numba import, whose first load costs about a second per process."""
    import subprocess

    code = (
        "import sys, brainlab.conn as bc\n"
        "a = bc.FixedProb(0.01, include_self=False, seed=0).build(2000, 2000)\n"
        "b = bc.FixedProb(0.01, allow_multapses=True, seed=0).build(2000, 3000)\n"
        "print(a.nnz > 0 and b.nnz > 0, 'numba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False"]


def test_results_do_not_depend_on_thread_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """Single-threaded and parallel (prange) kernels give identical networks (one random stream per row).

    FixedProb runs no numba kernel (see test_fixed_prob_does_not_depend_on_blocking)."""
    from brainlab.conn import _threads

    grid = (30, 40)
    cases = [
        (FixedPostNum(200, seed=9), grid, grid),
        (FixedPostNum(1000, include_self=False, seed=9), grid, grid),  # complement path
        (FixedPreNum(200, seed=9), grid, grid),
        (GaussianProb(2.0, 0.7, periodic=True, seed=9), grid, grid),  # same shapes: shell tables
        (GaussianProb(2.0, 0.7, periodic=True, seed=9), (15, 20), grid),  # different shapes: line windows
    ]
    monkeypatch.setattr(_threads, "PARALLEL_MIN_WORK", math.inf)
    single = [r.build(a, b) for r, a, b in cases]
    monkeypatch.setattr(_threads, "PARALLEL_MIN_WORK", 0)
    multi = [r.build(a, b) for r, a, b in cases]
    assert single == multi


def test_large_sparse_build_is_linear_in_synapses() -> None:
    """A million-neuron network with 2 synapses per neuron: a dense O(N^2) step would need ~10^12 operations."""
    n = 1_000_000
    conn = FixedProb(2.0 / n, seed=1).build(n, n)
    assert abs(conn.nnz - 2 * n) < 5 * math.sqrt(2 * n)
    assert_csr(conn)


# ---------------------------------------------------------------------------------------------------------------
# FixedPostNum / FixedPreNum
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("num", [3, 150, 380, 399])  # 380 and 399 take the complement path (2 num > candidates)
def test_fixed_post_num_exact_distinct(num: int) -> None:
    n = 400
    conn = FixedPostNum(num, include_self=False, seed=num).build(n, n)
    assert_csr(conn)  # strictly sorted within rows means distinct targets
    assert np.all(conn.out_degree() == num)
    assert not np.any(conn.pre == conn.post)
    # each row picks each of its n - 1 candidates with probability num / (n - 1), independently across rows
    if num < n - 1:
        assert binomial_fit_pvalue(conn.in_degree(), n - 1, num / (n - 1)) > P_MIN


@pytest.mark.parametrize(("m", "k"), [(6, 2), (6, 4)])  # sort-and-dedupe path, and complement path
def test_fixed_post_num_subsets_are_uniform(m: int, k: int) -> None:
    """All C(m, k) target sets are equally likely."""
    rows = 30_000
    conn = FixedPostNum(k, seed=7).build(rows, m)
    codes = (np.left_shift(1, conn.indices.astype(np.int64)).reshape(rows, k)).sum(axis=1)
    _, counts = np.unique(codes, return_counts=True)
    assert counts.size == math.comb(m, k)
    assert stats.chisquare(counts).pvalue > P_MIN


def test_fixed_post_num_multapses_and_sizes() -> None:
    conn = FixedPostNum(30, allow_multapses=True, seed=2).build(2000, 20)
    assert_csr(conn, strictly_sorted=False)
    assert np.all(conn.out_degree() == 30)
    assert stats.chisquare(conn.in_degree()).pvalue > P_MIN
    grid = FixedPostNum(5, seed=0).build((10, 10), (4, 5))
    assert grid.pre_shape == (10, 10) and grid.post_shape == (4, 5) and grid.nnz == 500
    assert FixedPostNum(0, seed=0).build(10, 10).nnz == 0


@pytest.mark.parametrize("include_self", [True, False])
def test_fixed_pre_num_exact_in_degree(include_self: bool) -> None:
    n_pre, n_post, num = 500, 300, 25
    if not include_self:
        n_post = n_pre
    conn = FixedPreNum(num, include_self=include_self, seed=4).build(n_pre, n_post)
    assert_csr(conn)
    assert np.all(conn.in_degree() == num)
    ip, ix, _ = conn.csc()
    # distinct sources per post: pre ids strictly increasing within each post column
    col = np.repeat(np.arange(conn.n_post), np.diff(ip))
    assert np.all(np.diff(ix.astype(np.int64))[col[1:] == col[:-1]] > 0)
    if not include_self:
        assert not np.any(conn.pre == conn.post)
    m = n_pre if include_self else n_pre - 1
    # out-degree of a pre neuron: Binomial(n_post, num / m)
    assert binomial_fit_pvalue(conn.out_degree(), n_post if include_self else n_post - 1, num / m) > P_MIN


# ---------------------------------------------------------------------------------------------------------------
# AllToAll / OneToOne
# ---------------------------------------------------------------------------------------------------------------
def test_all_to_all_and_one_to_one() -> None:
    assert np.array_equal(AllToAll().build(4, 6).to_dense(), np.ones((4, 6), bool))
    assert np.array_equal(AllToAll(include_self=False).build(5, 5).to_dense(), ~np.eye(5, dtype=bool))
    c = OneToOne().build((3, 4), 12)
    assert_csr(c)
    assert np.array_equal(c.to_dense(), np.eye(12, dtype=bool))
    assert c.pre_shape == (3, 4) and c.post_shape == (12,)


# ---------------------------------------------------------------------------------------------------------------
# GaussianProb
# ---------------------------------------------------------------------------------------------------------------
def _min_image(d: np.ndarray, size: int) -> np.ndarray:
    return d - size * np.round(d / size)


def test_gaussian_periodic_profile_matches_binned_distance() -> None:
    """On a torus every pre neuron sees the same offsets; binned by distance, the number of synapses matches
    n_pre * sum over offsets of max_prob * exp(-d^2 / 2 sigma^2), within binomial error."""
    side, sigma, pmax = 48, 2.5, 0.8
    conn = GaussianProb(sigma, pmax, periodic=True, seed=21).build((side, side), (side, side))
    assert_csr(conn)
    pre_xy = np.stack(np.unravel_index(conn.pre, (side, side)), axis=1)
    post_xy = np.stack(np.unravel_index(conn.post, (side, side)), axis=1)
    d = np.hypot(*_min_image((post_xy - pre_xy).astype(float), side).T)
    assert d.max() <= 4 * sigma
    # all offsets of the torus (independent enumeration), with their connection probability
    off = np.arange(side) - side // 2
    ox, oy = np.meshgrid(off, off, indexing="ij")
    d_off = np.hypot(ox, oy).ravel()
    p_off = np.where(d_off <= 4 * sigma, pmax * np.exp(-(d_off**2) / (2 * sigma**2)), 0.0)
    edges = np.arange(0.0, 4 * sigma + 0.5, 0.5)
    obs, _ = np.histogram(d, bins=edges)
    n_pre = side * side
    exp_ = n_pre * np.histogram(d_off, bins=edges, weights=p_off)[0]
    var = n_pre * np.histogram(d_off, bins=edges, weights=p_off * (1 - p_off))[0]
    filled = var > 0  # some distance bins hold no lattice offset
    assert np.all(obs[~filled] == 0)
    z = (obs[filled] - exp_[filled]) / np.sqrt(var[filled])
    assert abs(z).max() < 5
    assert stats.chi2.sf(np.sum(z**2), df=z.size) > P_MIN
    # a neuron at a corner connects across the boundary on a torus
    corner = conn.indices[conn.indptr[0] : conn.indptr[1]]
    assert np.any(corner >= side * (side - 3))


def _gaussian_dense_prob(pre: tuple[int, ...], post: tuple[int, ...], sigma: float, pmax: float,
                         periodic: bool, truncate: float = 4.0) -> np.ndarray:
    """Independent dense reference of the connection probability matrix (numpy, O(n_pre * n_post))."""
    pre_idx = np.stack(np.unravel_index(np.arange(math.prod(pre)), pre), axis=1).astype(float)
    post_idx = np.stack(np.unravel_index(np.arange(math.prod(post)), post), axis=1).astype(float)
    scale = np.array(post, float) / np.array(pre, float)
    pre_pos = (pre_idx + 0.5) * scale - 0.5
    diff = post_idx[None, :, :] - pre_pos[:, None, :]
    if periodic:
        diff = diff - np.array(post, float) * np.round(diff / np.array(post, float))
    d2 = np.sum(diff**2, axis=-1)
    return np.where(d2 <= (truncate * sigma) ** 2, pmax * np.exp(-d2 / (2 * sigma**2)), 0.0)


@pytest.mark.parametrize(
    ("pre", "post", "sigma", "pmax", "periodic"),
    [
        ((12, 12), (12, 12), 1.5, 0.9, False),  # open boundaries: windows clipped at the edges
        ((6, 6), (12, 12), 1.2, 1.0, False),  # different grid shapes: pre cells map onto the post sheet
        ((8, 8), (12, 12), 1.0, 0.8, True),  # different shapes on a torus, window smaller than the grid
        ((5,), (10,), 3.0, 0.6, True),  # different shapes, window covering the whole ring
        ((9,), (9,), 3.0, 0.7, True),  # 1-D ring whose window covers the whole ring (minimum image)
        ((10, 10), (10, 10), 1.0, 0.5, True),  # torus, window smaller than the grid
        ((4, 4, 4), (4, 4, 4), 0.8, 1.0, False),  # 3-D
    ],
)
def test_gaussian_pair_frequencies_match_dense_reference(
    pre: tuple[int, ...], post: tuple[int, ...], sigma: float, pmax: float, periodic: bool
) -> None:
    runs = 300
    prob = _gaussian_dense_prob(pre, post, sigma, pmax, periodic)
    acc = np.zeros_like(prob)
    for s in range(runs):
        c = GaussianProb(sigma, pmax, periodic=periodic, seed=s).build(pre, post)
        acc += c.to_dense()
    assert np.all(acc[prob == 0] == 0)
    # compare per distance class (pairs with equal probability pooled): binomial z-scores
    keys, inv = np.unique(np.round(prob, 12), return_inverse=True)
    obs = np.bincount(inv.ravel(), weights=acc.ravel())
    n_pairs = np.bincount(inv.ravel())
    exp_ = runs * n_pairs * keys
    var = runs * n_pairs * keys * (1 - keys)
    ok = var > 0
    z = (obs[ok] - exp_[ok]) / np.sqrt(var[ok])
    assert abs(z).max() < 5
    assert stats.chi2.sf(np.sum(z**2), df=z.size) > P_MIN
    assert np.all(obs[keys == 1.0] == runs * n_pairs[keys == 1.0])


def test_gaussian_self_open_boundary_and_truncation() -> None:
    c = GaussianProb(1.0, 1.0, include_self=False, seed=0).build((20, 20), (20, 20))
    assert not np.any(c.pre == c.post)
    with_self = GaussianProb(1.0, 1.0, seed=0).build((20, 20), (20, 20))
    assert np.all(with_self.to_dense().diagonal())  # probability 1 at distance 0
    # open boundaries: nothing crosses from one edge to the opposite one
    xy_pre = np.stack(np.unravel_index(c.pre, (20, 20)), 1)
    xy_post = np.stack(np.unravel_index(c.post, (20, 20)), 1)
    assert np.abs(xy_post - xy_pre).max() <= 4
    # truncation loss: 2-D tail of the chi distribution is exp(-t^2/2); 1-D is erfc(t/sqrt 2)
    assert GaussianProb.truncation_loss(2, 4.0) == pytest.approx(math.exp(-8.0), rel=1e-12)
    assert GaussianProb.truncation_loss(1, 4.0) == pytest.approx(special.erfc(4 / math.sqrt(2)), rel=1e-12)
    # expected out-degree of an interior neuron on a large torus ~ pmax * 2 pi sigma^2 * (1 - loss)
    sigma, pmax = 3.0, 0.25
    big = GaussianProb(sigma, pmax, periodic=True, seed=3).build((100, 100), (100, 100))
    mean = pmax * 2 * math.pi * sigma**2 * (1 - GaussianProb.truncation_loss(2))
    assert abs(big.nnz / 1e4 - mean) < 5 * math.sqrt(mean / 1e4)


def test_gaussian_large_grid_is_sparse() -> None:
    conn = GaussianProb(1.0, 0.2, seed=0).build((1000, 1000), (1000, 1000))
    mean = 0.2 * 2 * math.pi
    assert abs(conn.nnz / 1e6 - mean) < 0.01


# ---------------------------------------------------------------------------------------------------------------
# FromIJ / FromDense
# ---------------------------------------------------------------------------------------------------------------
def test_from_ij_round_trip_and_weight_order() -> None:
    rng = np.random.default_rng(0)
    dense = rng.random((30, 40)) < 0.2
    i, j = np.nonzero(dense)
    order = rng.permutation(i.size)
    i, j = i[order], j[order]
    w_user = rng.normal(size=i.size)
    conn = FromIJ(i, j, weights=w_user).build(30, 40)
    assert_csr(conn)
    assert np.array_equal(conn.to_dense(), dense)
    # weights land on the right synapse: scatter into a dense matrix both ways
    ref = np.zeros((30, 40))
    ref[i, j] = w_user
    got = np.zeros((30, 40))
    got[conn.pre, conn.post] = conn.to_csr_order(w_user)
    assert np.array_equal(got, ref)
    assert np.array_equal(conn.weights, w_user[conn.perm])
    assert np.array_equal(i[conn.perm], conn.pre) and np.array_equal(j[conn.perm], conn.post)


def test_from_ij_multapses_inferred_sizes_and_stability() -> None:
    conn = FromIJ([2, 0, 2, 2], [1, 3, 1, 0]).build()
    assert conn.shape == (3, 4)
    assert conn.to_dense(int)[2, 1] == 2
    assert np.array_equal(conn.perm, [1, 3, 0, 2])  # repeated pair (2, 1) keeps the input order 0 then 2
    assert FromIJ([0], [0], n_pre=5, n_post=(2, 3)).build().post_shape == (2, 3)
    empty = FromIJ([], [], n_pre=3, n_post=3).build()
    assert empty.nnz == 0 and empty.shape == (3, 3)


@given(
    n_pre=st.integers(1, 12),
    n_post=st.integers(1, 12),
    pairs=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=60),
)
def test_from_ij_matches_reference_for_any_pairs(n_pre: int, n_post: int, pairs: list[tuple[int, int]]) -> None:
    pairs = [(a % n_pre, b % n_post) for a, b in pairs]
    i = np.array([a for a, _ in pairs], dtype=np.int64)
    j = np.array([b for _, b in pairs], dtype=np.int64)
    w = np.arange(len(pairs), dtype=float)
    conn = FromIJ(i, j, weights=w).build(n_pre, n_post)
    assert_csr(conn, strictly_sorted=False)
    counts = np.zeros((n_pre, n_post), dtype=np.int64)
    np.add.at(counts, (i, j), 1)
    assert np.array_equal(conn.to_dense(np.int64), counts)
    assert np.array_equal(i[conn.perm], conn.pre) and np.array_equal(j[conn.perm], conn.post)
    assert np.array_equal(conn.weights, conn.perm.astype(float))  # weight k was tagged with its input position
    # stable: repeated pairs keep their input order
    key = conn.pre.astype(np.int64) * n_post + conn.post
    same = key[1:] == key[:-1]
    assert np.all(np.diff(conn.perm)[same] > 0)
    assert conn.transpose().transpose() == conn


@given(
    n_pre=st.integers(1, 40),
    n_post=st.integers(1, 40),
    prob=st.floats(0.0, 1.0),
    multapses=st.booleans(),
    include_self=st.booleans(),
    seed=st.integers(0, 2**64 - 1),
)
def test_fixed_prob_invariants_for_any_arguments(
    n_pre: int, n_post: int, prob: float, multapses: bool, include_self: bool, seed: int
) -> None:
    conn = FixedProb(prob, allow_multapses=multapses, include_self=include_self, seed=seed).build(n_pre, n_post)
    assert_csr(conn, strictly_sorted=not multapses)
    if not include_self and n_pre == n_post:
        assert not np.any(conn.pre == conn.post)
    assert conn.seed == seed


def test_from_dense_round_trip() -> None:
    rng = np.random.default_rng(1)
    w = np.where(rng.random((25, 17)) < 0.3, rng.normal(size=(25, 17)), 0.0)
    conn = FromDense(w).build()
    assert_csr(conn)
    assert np.array_equal(conn.to_dense(), w != 0)
    back = np.zeros_like(w)
    back[conn.pre, conn.post] = conn.weights
    assert np.array_equal(back, w)
    b = FromDense(w != 0).build(25, 17)
    assert b.weights is None and np.array_equal(b.to_dense(), w != 0)


# ---------------------------------------------------------------------------------------------------------------
# Connectivity
# ---------------------------------------------------------------------------------------------------------------
def test_connectivity_transpose_degrees_and_views() -> None:
    rng = np.random.default_rng(2)
    w = np.where(rng.random((30, 20)) < 0.25, rng.random((30, 20)), 0.0)
    conn = FromDense(w).build()
    ip, ix, syn = conn.csc()
    t = conn.transpose()
    assert_csr(t)
    assert np.array_equal(t.to_dense(), (w != 0).T)
    assert np.array_equal(ip, t.indptr) and np.array_equal(ix, t.indices)
    assert np.array_equal(conn.pre[syn], t.post) and np.array_equal(conn.post[syn], t.pre)
    back = np.zeros_like(w.T)
    back[t.pre, t.post] = t.weights
    assert np.array_equal(back, w.T)
    assert t.T == conn
    assert np.array_equal(conn.out_degree(), (w != 0).sum(1))
    assert np.array_equal(conn.in_degree(), (w != 0).sum(0))
    assert conn.in_degree().dtype == np.int32
    with pytest.raises(ValueError, match="read-only"):
        conn.indices[0] = 0


def test_connectivity_repr_and_dense_limit() -> None:
    conn = FixedProb(80 / 64_000, seed=1).build(64_000, 64_000)
    text = repr(conn)
    assert "pre=64000" in text and "post=64000" in text and f"nnz={conn.nnz:,}" in text and "seed=1" in text
    with pytest.raises(MemoryError, match=r"to_dense.*64000 x 64000.*conn.indptr"):
        conn.to_dense()
    assert "pre=4x5" in repr(OneToOne().build((4, 5), 20))


def test_connectivity_from_raw_csr_is_validated() -> None:
    ok = Connectivity([0, 2, 3], [0, 2, 1], pre_shape=2, post_shape=3)
    assert np.array_equal(ok.pre, [0, 0, 1])
    with pytest.raises(ValueError, match="not sorted"):
        Connectivity([0, 2, 3], [2, 0, 1], 2, 3)
    with pytest.raises(ValueError, match="outside"):
        Connectivity([0, 2, 3], [0, 3, 1], 2, 3)
    with pytest.raises(ValueError, match="n_pre \\+ 1"):
        Connectivity([0, 3], [0, 1, 2], 2, 3)
    with pytest.raises(ValueError, match="non-decreasing"):
        Connectivity([0, 2, 1, 3], [0, 1, 2], 3, 3)
    with pytest.raises(ValueError, match="to_csr_order"):
        ok.to_csr_order([1.0, 2.0, 3.0])


def test_import_is_light() -> None:
    """brainlab.conn imports no JAX anywhere, and numba only in its kernel modules, loaded on the first build."""
    import ast
    import pathlib
    import subprocess

    kernel_modules = {"_rng.py", "_csr_kernels.py", "_random_kernels.py", "_spatial_kernels.py", "_threads.py"}
    for path in pathlib.Path(bc.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0}
        top = {name.split(".")[0] for name in names}
        assert "jax" not in top and "jaxlib" not in top, path.name
        assert ("numba" in top) == (path.name in kernel_modules), path.name
    code = "import sys, brainlab.conn; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False"]
    assert set(bc.__all__) >= {"Connectivity", "FixedProb", "GaussianProb", "FromIJ"}


def test_docstring_examples_exist() -> None:
    import doctest
    import importlib

    # The examples run once, under `--doctest-modules` (pyproject.toml); here: every module has some.
    for name in ["_connectivity", "_random", "_regular", "_spatial", "_user"]:
        module = importlib.import_module(f"brainlab.conn.{name}")
        assert sum(len(t.examples) for t in doctest.DocTestFinder().find(module)) > 0, name


# ---------------------------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------------------------
BAD_INPUTS = [
    (lambda: FixedProb(1.5), ValueError, r"FixedProb: prob must be a probability in \[0, 1\].*not a percentage"),
    (lambda: FixedProb(-0.1), ValueError, r"FixedProb: prob must be a probability"),
    (lambda: FixedProb("0.1"), TypeError, r"FixedProb: prob must be a real number"),
    (lambda: FixedProb(0.1, seed=-1), ValueError, r"FixedProb: seed must be in \[0, 2\*\*64\)"),
    (lambda: FixedProb(0.1, seed=1.5), TypeError, r"FixedProb: seed must be None or a non-negative int"),
    (lambda: FixedProb(0.1, include_self="no"), TypeError, r"FixedProb: include_self must be True or False"),
    (lambda: FixedProb(0.1).build(0, 10), ValueError, r"FixedProb.build: n_pre must be positive"),
    (lambda: FixedProb(0.1).build(10, -3), ValueError, r"FixedProb.build: n_post must be positive"),
    (lambda: FixedProb(0.1).build(10.0, 10), TypeError, r"FixedProb.build: n_pre must be a positive int"),
    (lambda: FixedProb(0.1).build((4, 0), 10), ValueError, r"n_pre must be positive"),
    (lambda: FixedProb(0.1).build(10, (4, 2.0)), TypeError, r"every entry of n_post must be an int"),
    (lambda: FixedProb(0.9).build(100_000, 100_000), ValueError, r"FixedProb.build: .*more than int32"),
    (lambda: FixedPostNum(11).build(5, 10), ValueError, r"FixedPostNum.build: num=11 .*only 10 candidates.*"
     r"allow_multapses=True"),
    (lambda: FixedPostNum(10, include_self=False).build(10, 10), ValueError,
     r"only 9 candidates exist \(self-connections excluded\)"),
    (lambda: FixedPostNum(3.0), TypeError, r"FixedPostNum: num must be a non-negative int.*Pass num=3"),
    (lambda: FixedPostNum(-2), ValueError, r"FixedPostNum: num must be >= 0"),
    (lambda: FixedPreNum(6).build(5, 10), ValueError, r"FixedPreNum.build: num=6 .*only 5 candidates"),
    (lambda: FixedPreNum(1, allow_multapses=True, include_self=False).build(1, 1), ValueError,
     r"FixedPreNum.build: .*no candidates"),
    (lambda: OneToOne().build(5, 6), ValueError, r"OneToOne.build: n_pre and n_post must be equal"),
    (lambda: GaussianProb(0.0), ValueError, r"GaussianProb: sigma must be a positive finite number"),
    (lambda: GaussianProb(1.0, max_prob=2.0), ValueError, r"GaussianProb: max_prob must be a probability"),
    (lambda: GaussianProb(1.0).build((4, 4), 16), ValueError, r"GaussianProb.build: .*different numbers of axes"),
    (lambda: GaussianProb(1.0).build((2, 2, 2, 2), (2, 2, 2, 2)), ValueError, r"at most 3 axes"),
    (lambda: FromIJ([0, 1], [0]), ValueError, r"FromIJ: i and j must have the same length"),
    (lambda: FromIJ([0, -1], [0, 1]), ValueError, r"FromIJ: i has a negative neuron id"),
    (lambda: FromIJ([0.0, 1.0], [0, 1]), TypeError, r"FromIJ: i must hold integer neuron ids.*astype"),
    (lambda: FromIJ([[0, 1]], [[0, 1]]), ValueError, r"FromIJ: i must be a 1-D array"),
    (lambda: FromIJ([0, 5], [0, 1]).build(3, 3), ValueError, r"FromIJ: i has the neuron id 5 .*n_pre >= 6"),
    (lambda: FromIJ([0, 1], [0, 9], n_post=4).build(), ValueError, r"FromIJ: j has the neuron id 9"),
    (lambda: FromIJ([0], [0], n_pre=3).build(4, 1), ValueError, r"FromIJ.build: n_pre=4 disagrees"),
    (lambda: FromIJ([0], [0], weights=[1.0, 2.0]), ValueError, r"FromIJ: weights must have one entry per synapse"),
    (lambda: FromIJ([], []).build(), ValueError, r"FromIJ: there are no synapses to infer n_pre"),
    (lambda: FromDense(np.ones(4)), ValueError, r"FromDense: matrix must be 2-D"),
    (lambda: FromDense(np.array([[1.0, np.nan]])), ValueError, r"FromDense: matrix has NaN"),
    (lambda: FromDense(np.array([["a"]])), TypeError, r"FromDense: matrix must hold bools, integers or floats"),
    (lambda: FromDense(np.ones((2, 3))).build(3, 2), ValueError, r"FromDense.build: the matrix has shape \(2, 3\)"),
]


@pytest.mark.parametrize(("make", "exc", "match"), BAD_INPUTS, ids=[m[2][:40] for m in BAD_INPUTS])
def test_bad_input_errors(make, exc, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc, match=match):
        make()


def _csr_violation_reference(indptr, indices, n_post):
    """The CSR invariants checked one entry at a time (plain Python), in CSR order."""
    n_pre = len(indptr) - 1
    if indptr[0] != 0:
        return 1, 0
    for r in range(n_pre):
        if indptr[r + 1] < indptr[r]:
            return 2, r
    if indptr[n_pre] != len(indices):
        return 3, n_pre
    for r in range(n_pre):
        prev = -1
        for k in range(indptr[r], indptr[r + 1]):
            if not 0 <= indices[k] < n_post:
                return 4, r
            if indices[k] < prev:
                return 5, r
            prev = indices[k]
    return 0, -1


def test_csr_validation_reports_the_first_broken_invariant() -> None:
    """The vectorised check names the same invariant and row as an entry-by-entry scan, on thousands of small
    random (often broken) CSR structures."""
    from brainlab.conn._connectivity import csr_violation

    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(4000):
        n_pre, n_post = int(rng.integers(0, 6)), int(rng.integers(1, 6))
        indptr = np.r_[0, np.cumsum(rng.integers(0, 4, n_pre))].astype(np.int32)
        indices = rng.integers(-1, n_post + 1, indptr[-1]).astype(np.int32)
        if rng.random() < 0.6:
            for r in range(n_pre):
                indices[indptr[r]:indptr[r + 1]].sort()
        if rng.random() < 0.15 and n_pre:
            indptr[rng.integers(0, n_pre + 1)] += rng.integers(-2, 3)
        if (indptr < 0).any() or (indptr > len(indices)).any():
            continue
        expected = _csr_violation_reference(indptr.tolist(), indices.tolist(), n_post)
        assert csr_violation(indptr, indices, n_post) == expected, (indptr, indices, n_post)
        seen.add(expected[0])
    assert seen == {0, 1, 2, 3, 4, 5}  # every outcome was exercised
