"""Event propagation through a fixed-probability connectivity that is never stored: ``event_fixedprob_onthefly``.

The targets of each spiking presynaptic neuron are regenerated at every call from ``(seed, i)`` by the
counter-based generator of :mod:`._rng`, walking the row with geometric gaps, so memory is O(N) and the cost is
proportional to the synapses of the neurons that spike.  The numba kernel (CPU) and the pure-JAX path (any
platform) implement the same integer generator, so both see the same connectivity, bit for bit.

Two primitives, ``scatter`` (:math:`y_j = w \\sum_{i \\to j} s_i`) and ``gather``
(:math:`g_i = w \\sum_{j \\in \\mathcal T(i)} x_j`), are each other's transpose, which gives reverse- and
forward-mode derivatives with respect to real spikes and the weight; ``vmap`` over spikes, weights or seeds is
folded into the kernels' leading batch dimension.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.core import ShapedArray
from jax.interpreters import ad, batching

from . import _checks as C
from . import _rng as R
from ._backend import resolve
from ._prims import (
    NOT_MAPPED,
    bilinear_jvp,
    fold_batch,
    is_zero,
    leading_size,
    make_primitive,
    reduce_leading,
    unfold,
    zero_cotangents,
)

ArrayLike = Any
_BLOCK_ELEMENTS = 1 << 16  # rows x draws processed at once by the pure-JAX walk


def _chunk_sizes(prob: float, n_post: int, n_rows: int) -> tuple[int, int]:
    """Draws per chunk ``K`` (most rows finish in one chunk) and rows per block ``B`` for the pure-JAX walk."""
    draws = R.expected_draws(prob, n_post)
    k = int(min(max(n_post, 1), math.ceil(draws + 4.0 * math.sqrt(draws) + 4.0)))
    b = int(max(1, min(n_rows, _BLOCK_ELEMENTS // k)))
    return k, b


def _gap(table: jax.Array, guide: jax.Array, prob: float, u: jax.Array) -> jax.Array:
    """The gap :math:`G = \\#\\{g : c_g \\le u\\}` of non-tail draws, by the guide-table search of
    :func:`._rng.guide_table` (a fixed, small number of vectorised steps)."""
    _, shift, steps = R.guide_table(prob)
    g = guide[u >> shift].astype(jnp.int32)
    for _ in range(steps):
        g = jnp.where(table[g] <= u, g + 1, g)
    return g


def _walk(rows, count, k0, table, guide, prob, n_post, n_rows, init, visit):
    """Visit the targets of ``rows[:count]``: ``visit(acc, block_rows, valid[B, K], pos[B, K]) -> acc``."""
    size = table.shape[0]
    k, b = _chunk_sizes(prob, n_post, n_rows)
    padded = jnp.concatenate([rows, jnp.zeros((b,), rows.dtype)])
    threshold = table[size - 1]
    offsets = jnp.arange(k, dtype=jnp.uint32)

    def block(carry):
        start, acc = carry
        blk = lax.dynamic_slice(padded, (start,), (b,))
        live = start + jnp.arange(b, dtype=jnp.int32) < count
        k1, k2 = R.row_keys(k0, blk, jnp)

        def more(c):
            return jnp.any(live & (c[1] < n_post - 1))

        def chunk(c):
            t0, cursor, acc = c
            u = R.draw(k1[:, None], k2[:, None], (t0 + offsets)[None, :], jnp)
            tail = u >= threshold
            gap = _gap(table, guide, prob, jnp.where(tail, 0, u))
            pos = cursor[:, None] + jnp.cumsum(jnp.where(tail, size, gap + 1), axis=1)
            valid = live[:, None] & ~tail & (pos < n_post)
            acc = visit(acc, blk, valid, pos)
            return t0 + jnp.uint32(k), jnp.minimum(pos[:, -1], n_post), acc

        _, _, acc = lax.while_loop(more, chunk, (jnp.uint32(0), jnp.full((b,), -1, jnp.int32), acc))
        return start + b, acc

    _, acc = lax.while_loop(lambda c: c[0] < count, block, (jnp.int32(0), init))
    return acc


def _scatter_one(s, w, seed, table, guide, n_post, prob):
    c = s.astype(w.dtype) * w
    if table.shape[0] == 0:
        return jnp.full((n_post,), jnp.sum(c), w.dtype)
    n_pre = s.shape[0]
    nz = c != 0
    rows = jnp.nonzero(nz, size=n_pre, fill_value=0)[0].astype(jnp.int32)
    count = jnp.sum(nz, dtype=jnp.int32)

    def visit(acc, blk, valid, pos):
        vals = jnp.where(valid, c[blk][:, None], 0)
        return acc.at[jnp.where(valid, pos, n_post)].add(vals, mode="drop")

    return _walk(rows, count, R.seed_key(seed, jnp), table, guide, prob, n_post, n_pre,
                 jnp.zeros((n_post,), w.dtype), visit)


def _gather_one(x, w, seed, table, guide, n_pre, prob):
    n_post = x.shape[0]
    if table.shape[0] == 0:
        return jnp.full((n_pre,), w * jnp.sum(x), x.dtype)

    def visit(acc, blk, valid, pos):
        sums = jnp.sum(jnp.where(valid, x[jnp.clip(pos, 0, n_post - 1)], 0), axis=1)
        return acc.at[blk].add(sums)

    rows = jnp.arange(n_pre, dtype=jnp.int32)
    acc = _walk(rows, jnp.int32(n_pre), R.seed_key(seed, jnp), table, guide, prob, n_post, n_pre,
                jnp.zeros((n_pre,), x.dtype), visit)
    return w * acc


def _batched(fn, lead_args, table, guide, size, prob):
    n = leading_size(*(a.shape[0] for a in lead_args))
    if n == 1:
        return fn(*(a[0] for a in lead_args), table, guide, size, prob)[None]
    full = [jnp.broadcast_to(a, (n,) + a.shape[1:]) for a in lead_args]
    return jax.vmap(lambda a, w, r: fn(a, w, r, table, guide, size, prob))(*full)


def scatter_pure(s, w, seed, table, guide, *, n_post, prob):
    """:math:`y_j = w \\sum_{i \\to j} s_i` in plain JAX (batched layout)."""
    return _batched(_scatter_one, (s, w, seed), table, guide, n_post, prob)


def gather_pure(x, w, seed, table, guide, *, n_pre, prob):
    """:math:`g_i = w \\sum_{j \\in \\mathcal T(i)} x_j` in plain JAX (batched layout)."""
    return _batched(_gather_one, (x, w, seed), table, guide, n_pre, prob)


def _scatter_abstract(s, w, seed, table, guide, *, n_post, prob, backend):
    return ShapedArray((leading_size(s.shape[0], w.shape[0], seed.shape[0]), n_post), w.dtype)


def _gather_abstract(x, w, seed, table, guide, *, n_pre, prob, backend):
    return ShapedArray((leading_size(x.shape[0], w.shape[0], seed.shape[0]), n_pre), w.dtype)


scatter_p = make_primitive("event_fixedprob_scatter", family="fixedprob", target="brainlab_event_fixedprob_scatter_v1",
                           abstract_eval=_scatter_abstract, pure=scatter_pure)
gather_p = make_primitive("event_fixedprob_gather", family="fixedprob", target="brainlab_event_fixedprob_gather_v1",
                          abstract_eval=_gather_abstract, pure=gather_pure)


def _weight_grad(a, b, seed, table, guide, prob, backend):
    """:math:`\\partial/\\partial w` of :math:`w \\sum_i a_i \\sum_{j \\in \\mathcal T(i)} b_j`, per batch member."""
    g = gather_p.bind(b, jnp.ones((1,), b.dtype), seed, table, guide, n_pre=a.shape[1], prob=prob, backend=backend)
    return jnp.sum(a.astype(b.dtype) * g, axis=1)


def _scatter_transpose(ct, s, w, seed, table, guide, *, n_post, prob, backend):
    if is_zero(ct):
        return zero_cotangents((s, w, seed, table, guide))
    cts = [None] * 5
    if ad.is_undefined_primal(s):
        g = gather_p.bind(ct, w, seed, table, guide, n_pre=s.aval.shape[1], prob=prob, backend=backend)
        cts[0] = reduce_leading(g, s.aval.shape[0]).astype(s.aval.dtype)
    if ad.is_undefined_primal(w):
        cts[1] = reduce_leading(_weight_grad(s, ct, seed, table, guide, prob, backend), w.aval.shape[0])
    return cts


def _gather_transpose(ct, x, w, seed, table, guide, *, n_pre, prob, backend):
    if is_zero(ct):
        return zero_cotangents((x, w, seed, table, guide))
    cts = [None] * 5
    if ad.is_undefined_primal(x):
        y = scatter_p.bind(ct, w, seed, table, guide, n_post=x.aval.shape[1], prob=prob, backend=backend)
        cts[0] = reduce_leading(y, x.aval.shape[0])
    if ad.is_undefined_primal(w):
        cts[1] = reduce_leading(_weight_grad(ct, x, seed, table, guide, prob, backend), w.aval.shape[0])
    return cts


def _batch_rule(prim):
    def rule(args, dims, **params):
        if dims[3] is not NOT_MAPPED or dims[4] is not NOT_MAPPED:
            raise ValueError(
                "event_fixedprob_onthefly cannot be vmapped over the connection probability: it is a static "
                "Python float. Call it once per probability instead."
            )
        new, size, lead = fold_batch(args, dims, (0, 1, 2))
        return unfold(prim.bind(*new, **params), size, lead)

    return rule


for _p, _tr in ((scatter_p, _scatter_transpose), (gather_p, _gather_transpose)):
    ad.primitive_jvps[_p] = bilinear_jvp(_p, (0, 1))
    ad.primitive_transposes[_p] = _tr
    batching.primitive_batchers[_p] = _batch_rule(_p)


# ---------------------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------------------
def _check_prob(owner: str, prob: Any) -> float:
    try:
        if isinstance(prob, jax.core.Tracer) or np.ndim(prob) != 0:
            raise TypeError
        p = float(prob)
    except TypeError:
        raise TypeError(
            f"{owner}: prob must be a Python float in [0, 1] (it shapes the generator's tables); got "
            f"{type(prob).__name__}. Pass a constant such as prob=0.02, not a traced or non-scalar array."
        ) from None
    if not 0.0 <= p <= 1.0 or math.isnan(p):
        raise ValueError(f"{owner}: prob must lie in [0, 1]; got {p}. It is the connection probability of each pair.")
    return p


def _check_seed(owner: str, seed: Any) -> jax.Array:
    if isinstance(seed, numbers.Integral) and not isinstance(seed, (bool, np.bool_)):
        if not 0 <= int(seed) < 2**32:
            raise ValueError(f"{owner}: seed must lie in [0, 2**32); got {seed}. Seeds are 32-bit.")
        return jnp.asarray(np.uint32(seed))
    a = jnp.asarray(seed)
    if a.ndim != 0 or not jnp.issubdtype(a.dtype, jnp.integer):
        raise TypeError(
            f"{owner}: seed must be an int or an integer scalar array; got {a.dtype} of shape {a.shape}. "
            f"Pass e.g. seed=42 (use jax.vmap to draw several networks)."
        )
    return a.astype(jnp.uint32)


def event_fixedprob_onthefly(
    spikes: ArrayLike,
    prob: float,
    weight: ArrayLike,
    seed: ArrayLike,
    n_post: int,
    *,
    backend: str = "auto",
) -> jax.Array:
    """Propagate spikes through a random fixed-probability connectivity regenerated on the fly.

    Every pair (pre ``i``, post ``j``) is connected independently with probability ``prob`` — the
    connectivity of Brian2's ``connect(p=prob)`` / BrainPy's ``FixedProb`` — but the synapses are never stored:
    the targets :math:`\\mathcal T(i)` of a spiking neuron are regenerated from ``(seed, i)`` at each call,

    .. math::

        y_j = w \\sum_{i:\\, s_i \\ne 0,\\; j \\in \\mathcal T(i)} s_i ,

    so memory is O(``n_pre`` + ``n_post``) (a million-neuron network fits) and the cost is proportional to the
    synapses of the spiking neurons.  The same ``seed`` gives the same connectivity at every call and on every
    backend (numba on CPU, pure JAX on GPU); self-pairs ``i = j`` are drawn like any other pair.

    Args:
        spikes: ``[n_pre]`` bool spikes, or real values (surrogate gradients; contribution ``spikes[i] * w``).
        prob: connection probability in [0, 1] (a Python float).
        weight: one weight for every synapse (e.g. nS or mV; may be traced and differentiated).
        seed: the connectivity's identity, an int in [0, 2**32) or an integer scalar array (may be vmapped).
        n_post: number of postsynaptic neurons (a Python int).
        backend: ``'auto'``, ``'numba'`` or ``'jax'`` (see :func:`event_csr_matvec`).

    Returns:
        ``[n_post]`` summed input.

    Example:
        >>> import jax.numpy as jnp
        >>> spikes = jnp.zeros(1000, bool).at[:50].set(True)
        >>> y = event_fixedprob_onthefly(spikes, 0.02, 0.6, seed=7, n_post=1000)
        >>> y.shape
        (1000,)

    Limits: one homogeneous weight (store the connectivity with :func:`event_csr_matvec` for per-synapse
    weights); derivatives w.r.t. real spikes and the weight, not w.r.t. ``prob``.  The pure-JAX path walks
    rows in fixed-size chunks and is much slower than the numba kernel on CPU.  Seeds are 32-bit, and the gap
    distribution is exact up to :math:`2^{-32}` in its CDF (see :mod:`brainlab.engine._event._rng`).
    """
    owner = "event_fixedprob_onthefly"
    p = _check_prob(owner, prob)
    n_post = C.static_size(owner, "n_post", n_post)
    C.vector(owner, "spikes", spikes, "the presynaptic neurons")
    if jnp.ndim(weight) != 0:
        raise ValueError(
            f"{owner}: weight must be a scalar (one weight for every synapse); got shape {jnp.shape(weight)}. "
            f"Per-synapse weights need a stored connectivity: use event_csr_matvec."
        )
    seed = _check_seed(owner, seed)
    if jnp.shape(spikes)[0] >= 2**30 or n_post >= 2**30:
        raise ValueError(f"{owner}: populations must have fewer than 2**30 neurons; got n_pre = "
                         f"{jnp.shape(spikes)[0]}, n_post = {n_post}.")
    s, w, dtype, compute = C.float_dtypes(owner, spikes, weight, "weight")
    backend = resolve(owner, backend)
    if p == 0.0 or n_post == 0 or s.shape[0] == 0:
        return jnp.zeros((n_post,), dtype)
    table, guide = R.gap_table(p), R.guide_table(p)[0]
    out = scatter_p.bind(s[None], w.reshape(1), seed.reshape(1), table, guide, n_post=n_post, prob=p,
                         backend=backend)
    return out[0].astype(dtype)


def fixedprob_onthefly_csr(prob: float, seed: int, n_pre: int, n_post: int) -> tuple[np.ndarray, np.ndarray]:
    """The connectivity that :func:`event_fixedprob_onthefly` implies, materialised as CSR (for inspection/tests).

    Returns ``(indptr [n_pre + 1], indices [nnz])`` (int64) with row ``i`` listing the targets of pre neuron ``i``
    in increasing order.  Computed in plain numpy from the generator's definition, independently of the kernels.

    Example:
        >>> indptr, indices = fixedprob_onthefly_csr(0.1, seed=3, n_pre=100, n_post=200)
        >>> int(indptr[-1]) > 0
        True

    Limits: this *stores* the synapses, so it is meant for networks that fit in memory.
    """
    owner = "fixedprob_onthefly_csr"
    p = _check_prob(owner, prob)
    n_pre = C.static_size(owner, "n_pre", n_pre)
    n_post = C.static_size(owner, "n_post", n_post)
    seed_arr = np.asarray(_check_seed(owner, seed)).reshape(1)
    if p == 0.0 or n_post == 0:
        return np.zeros(n_pre + 1, np.int64), np.zeros(0, np.int64)
    if p == 1.0:
        return np.arange(n_pre + 1, dtype=np.int64) * n_post, np.tile(np.arange(n_post, dtype=np.int64), n_pre)
    table = R.gap_table(p)
    size = len(table)
    k, b = _chunk_sizes(p, n_post, n_pre)
    rows_out: list[np.ndarray] = []
    with np.errstate(over="ignore"):
        k0 = R.seed_key(seed_arr)
        for start in range(0, n_pre, b):
            rows = np.arange(start, min(n_pre, start + b))
            k1, k2 = R.row_keys(k0, rows)
            cursor = np.full(len(rows), -1, np.int64)
            t0 = 0
            hits: list[tuple[np.ndarray, np.ndarray]] = []
            while np.any(cursor < n_post - 1):
                u = R.draw(k1[:, None], k2[:, None], np.arange(t0, t0 + k, dtype=np.uint32)[None, :])
                tail = u >= table[-1]
                gap = np.searchsorted(table, u, side="right")
                pos = cursor[:, None] + np.cumsum(np.where(tail, size, gap + 1), axis=1)
                valid = ~tail & (pos < n_post)
                r, c = np.nonzero(valid)
                hits.append((rows[r], pos[r, c]))
                cursor = np.minimum(pos[:, -1], n_post)
                t0 += k
            rr = np.concatenate([h[0] for h in hits])
            cc = np.concatenate([h[1] for h in hits])
            order = np.lexsort((cc, rr))
            rows_out.append(np.stack([rr[order], cc[order]]))
    pairs = np.concatenate(rows_out, axis=1) if rows_out else np.zeros((2, 0), np.int64)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(pairs[0], minlength=n_pre))]).astype(np.int64)
    return indptr, pairs[1].astype(np.int64)
