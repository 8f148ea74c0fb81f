"""Event-driven propagation through a stored (CSR) connectivity: ``event_csr_matvec`` and ``csr_matvec``.

Three primitives (``scatter``, ``gather``, ``wgrad``; see :mod:`._csr_kernels` for the maths) are closed under
transposition, so forward- and reverse-mode derivatives of any order are again calls to the compiled kernels; their
``vmap`` rule folds the batch into the kernels' leading dimension, and a batch of *connectivities* is handled as
one block-diagonal connectivity.  The pure-JAX path (``backend='jax'``) is plain ``jax.numpy`` (a gather of the
presynaptic value of every synapse and a ``segment_sum`` over targets) and is differentiated by JAX itself.

:func:`event_csr_matvec_multi` propagates the same spikes through several connectivities in one kernel call (the
spikes are scanned once); a :class:`~brainlab.Network` uses it for projections that share a presynaptic
population.  Its derivatives and batches go through the single-connectivity primitive, with the same numbers.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.core import ShapedArray
from jax.interpreters import ad, batching

from . import _checks as C
from ._backend import resolve
from ._prims import (
    NOT_MAPPED,
    batch_size,
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


# ---------------------------------------------------------------------------------------------------------------
# Pure JAX definitions (batched layout: leading dimension 1 or L on the batchable operands)
# ---------------------------------------------------------------------------------------------------------------
def row_ids(indptr: Any, nnz: int) -> jax.Array:
    """Row of every synapse slot ``k`` (``n_pre`` for a slot outside ``[indptr[0], indptr[-1])``).

    A concrete ``indptr`` (a NumPy array, or a JAX array closed over by a jitted function) is expanded on the host,
    so XLA receives a constant instead of constant-folding a cumulative sum over all synapses (which its
    interpreter does slowly: tens of seconds for 10**5 synapses).  A traced ``indptr`` is expanded in the graph.
    """
    n_pre = int(jnp.shape(indptr)[0]) - 1
    if not isinstance(indptr, jax.core.Tracer):
        ptr = np.asarray(indptr, dtype=np.int64)
        counts = np.clip(np.diff(ptr), 0, None)
        rows = np.full(nnz, n_pre, np.int32)
        inner = np.repeat(np.arange(n_pre, dtype=np.int32), counts)
        lo = int(np.clip(ptr[0], 0, nnz))
        hi = min(nnz, lo + len(inner))
        rows[lo:hi] = inner[: hi - lo]
        return jnp.asarray(rows)
    ptr = lax.optimization_barrier(indptr)  # never constant-fold the cumulative sum below
    marks = jnp.zeros(nnz, jnp.int32).at[ptr[1:-1]].add(1, mode="drop")
    k = jnp.arange(nnz, dtype=jnp.int32)
    return jnp.where((k >= ptr[0]) & (k < ptr[-1]), jnp.cumsum(marks), n_pre)


def _take(x: jax.Array, idx: jax.Array) -> jax.Array:
    return jnp.take(x, idx, axis=1, mode="fill", fill_value=0)


def _scatter_rows(s, rows, indices, w, n_post):
    vals = _take(s, rows).astype(w.dtype) * w
    return jax.ops.segment_sum(vals.T, indices, num_segments=n_post).T


def scatter_pure(s: jax.Array, indptr: jax.Array, indices: jax.Array, w: jax.Array, *, n_post: int) -> jax.Array:
    """:math:`y_j = \\sum_{k: j(k) = j} s_{r(k)} w_k` in plain JAX (batched layout)."""
    return _scatter_rows(s, row_ids(indptr, indices.shape[0]), indices, w, n_post)


def gather_pure(x: jax.Array, indptr: jax.Array, indices: jax.Array, w: jax.Array) -> jax.Array:
    """:math:`g_i = \\sum_{k \\in i} w_k x_{j(k)}` in plain JAX (batched layout)."""
    rows = row_ids(indptr, indices.shape[0])
    vals = _take(x, indices) * w
    return jax.ops.segment_sum(vals.T, rows, num_segments=indptr.shape[0] - 1).T


def wgrad_pure(s: jax.Array, indptr: jax.Array, indices: jax.Array, x: jax.Array) -> jax.Array:
    """:math:`d_k = s_{r(k)} x_{j(k)}` in plain JAX (batched layout)."""
    rows = row_ids(indptr, indices.shape[0])
    return _take(s, rows).astype(x.dtype) * _take(x, indices)


_scatter_rows_jit = jax.jit(_scatter_rows, static_argnames=("n_post",))


# ---------------------------------------------------------------------------------------------------------------
# Primitives
# ---------------------------------------------------------------------------------------------------------------
def _scatter_abstract(s, indptr, indices, w, *, n_post, backend):
    return ShapedArray((leading_size(s.shape[0], w.shape[0]), n_post), w.dtype)


def _gather_abstract(x, indptr, indices, w, *, backend):
    return ShapedArray((leading_size(x.shape[0], w.shape[0]), indptr.shape[0] - 1), w.dtype)


def _wgrad_abstract(s, indptr, indices, x, *, backend):
    return ShapedArray((leading_size(s.shape[0], x.shape[0]), indices.shape[0]), x.dtype)


scatter_p = make_primitive("event_csr_scatter", family="csr", target="brainlab_event_csr_scatter_v1",
                           abstract_eval=_scatter_abstract, pure=scatter_pure)
gather_p = make_primitive("event_csr_gather", family="csr", target="brainlab_event_csr_gather_v1",
                          abstract_eval=_gather_abstract, pure=gather_pure)
wgrad_p = make_primitive("event_csr_wgrad", family="csr", target="brainlab_event_csr_wgrad_v1",
                         abstract_eval=_wgrad_abstract, pure=wgrad_pure)


# Several connectivities from the same presynaptic neurons in one call: operands ``s, (indptr, indices, w) * P``,
# one result per connectivity.  Only the forward pass of an unbatched call uses the combined kernel; derivatives
# and batches go through ``scatter_p`` (the same numbers).
def scatter_multi_pure(s, *conns, n_posts):
    return [scatter_pure(s, conns[3 * p], conns[3 * p + 1], conns[3 * p + 2], n_post=n)
            for p, n in enumerate(n_posts)]


def _scatter_multi_abstract(s, *conns, n_posts, backend):
    return [ShapedArray((leading_size(s.shape[0], conns[3 * p + 2].shape[0]), n), conns[3 * p + 2].dtype)
            for p, n in enumerate(n_posts)]


scatter_multi_p = make_primitive("event_csr_scatter_multi", family="csr",
                                 target="brainlab_event_csr_scatter_multi_v1",
                                 abstract_eval=_scatter_multi_abstract, pure=scatter_multi_pure,
                                 multiple_results=True)


def _homo(w_shape: tuple[int, ...], nnz: int) -> bool:
    return w_shape[-1] != nnz  # [W, 1] with nnz != 1; when nnz == 1 both layouts are the same numbers


def _homo_wgrad(a: jax.Array, indptr: jax.Array, indices: jax.Array, b: jax.Array, backend: str) -> jax.Array:
    """:math:`\\partial F / \\partial w` for one shared weight: :math:`\\sum_i a_i \\sum_{k \\in i} b_{j(k)}`."""
    ones = jnp.ones((1, 1), b.dtype)
    g = gather_p.bind(b, indptr, indices, ones, backend=backend)
    return jnp.sum(a.astype(b.dtype) * g, axis=1, keepdims=True)


def _weight_cotangent(pre, indptr, indices, post, w_shape, backend):
    """d/dw of sum(post * scatter(pre, w)): per synapse pre[i] * post[j], summed to one value for shared weights."""
    if _homo(w_shape, indices.shape[0]):
        d = _homo_wgrad(pre, indptr, indices, post, backend)
    else:
        d = wgrad_p.bind(pre, indptr, indices, post, backend=backend)
    return reduce_leading(d, w_shape[0])


def _scatter_transpose(ct, s, indptr, indices, w, *, n_post, backend):
    if is_zero(ct):
        return zero_cotangents((s, indptr, indices, w))
    cts = [None, None, None, None]
    if ad.is_undefined_primal(s):
        g = gather_p.bind(ct, indptr, indices, w, backend=backend)
        cts[0] = reduce_leading(g, s.aval.shape[0]).astype(s.aval.dtype)
    if ad.is_undefined_primal(w):
        cts[3] = _weight_cotangent(s, indptr, indices, ct, w.aval.shape, backend)
    return cts


def _gather_transpose(ct, x, indptr, indices, w, *, backend):
    if is_zero(ct):
        return zero_cotangents((x, indptr, indices, w))
    cts = [None, None, None, None]
    if ad.is_undefined_primal(x):
        y = scatter_p.bind(ct, indptr, indices, w, n_post=x.aval.shape[1], backend=backend)
        cts[0] = reduce_leading(y, x.aval.shape[0])
    if ad.is_undefined_primal(w):
        cts[3] = _weight_cotangent(ct, indptr, indices, x, w.aval.shape, backend)
    return cts


def _wgrad_transpose(ct, s, indptr, indices, x, *, backend):
    if is_zero(ct):
        return zero_cotangents((s, indptr, indices, x))
    cts = [None, None, None, None]
    if ad.is_undefined_primal(s):
        g = gather_p.bind(x, indptr, indices, ct, backend=backend)
        cts[0] = reduce_leading(g, s.aval.shape[0]).astype(s.aval.dtype)
    if ad.is_undefined_primal(x):
        y = scatter_p.bind(s, indptr, indices, ct, n_post=x.aval.shape[1], backend=backend)
        cts[3] = reduce_leading(y, x.aval.shape[0])
    return cts


# Which space (presynaptic, synapse, postsynaptic) operands 0 and 3 and the result live in, for the
# block-diagonal batching of connectivities.
_SPACES = {scatter_p: ("pre", "syn", "post"), gather_p: ("post", "syn", "pre"), wgrad_p: ("pre", "post", "syn")}


def _block_diagonal(prim, args, dims, params):
    """``vmap`` over connectivities: stack the B problems as one block-diagonal CSR matrix."""
    size = batch_size(args, dims)
    s, indptr, indices, w = args

    def with_batch(a, d):
        return jnp.broadcast_to(a, (size,) + a.shape) if d is NOT_MAPPED else jnp.moveaxis(a, d, 0)

    indptr, indices = with_batch(indptr, dims[1]), with_batch(indices, dims[2])
    n_pre, nnz = indptr.shape[1] - 1, indices.shape[1]
    space_op0, space_op3, space_out = _SPACES[prim]
    n_post = params["n_post"] if "n_post" in params else (s.shape[-1] if space_op0 == "post" else w.shape[-1])
    sizes = {"pre": n_pre, "syn": nnz, "post": n_post}
    if size * max(sizes.values()) > C.INDEX_LIMIT:
        raise ValueError(
            f"event_csr_matvec under jax.vmap over connectivities: {size} stacked connectivities of {sizes} exceed "
            f"int32 indexing. Map over fewer connectivities at a time (e.g. jax.lax.map with batch_size)."
        )
    syn_off = (jnp.arange(size, dtype=jnp.int32) * nnz)[:, None]
    new_indptr = jnp.concatenate([(indptr[:, :-1] + syn_off).ravel(), indptr[-1, -1:] + (size - 1) * nnz])
    new_indices = (indices + (jnp.arange(size, dtype=jnp.int32) * n_post)[:, None]).ravel()

    def stack(a, d, space):
        n = sizes[space]
        if d is NOT_MAPPED:
            if space == "syn" and a.shape[-1] != n:
                return a  # one shared weight for every block
            a = jnp.broadcast_to(a, (size,) + a.shape)
        else:
            a = jnp.moveaxis(a, d, 0)
            if a.shape[-1] != n:  # a per-block shared weight becomes per-synapse
                a = jnp.broadcast_to(a, a.shape[:-1] + (n,))
        return jnp.swapaxes(a, 0, 1).reshape(a.shape[1], size * n)

    new_args = [stack(s, dims[0], space_op0), new_indptr, new_indices, stack(w, dims[3], space_op3)]
    new_params = dict(params)
    if "n_post" in new_params:
        new_params["n_post"] = size * n_post
    out = prim.bind(*new_args, **new_params)
    return out.reshape(out.shape[0], size, sizes[space_out]), 1


def _batch_rule(prim):
    def rule(args, dims, **params):
        if dims[1] is NOT_MAPPED and dims[2] is NOT_MAPPED:
            new, size, lead = fold_batch(args, dims, (0, 3))
            return unfold(prim.bind(*new, **params), size, lead)
        return _block_diagonal(prim, args, dims, params)

    return rule


for _p, _tr in ((scatter_p, _scatter_transpose), (gather_p, _gather_transpose), (wgrad_p, _wgrad_transpose)):
    ad.primitive_jvps[_p] = bilinear_jvp(_p, (0, 3))
    ad.primitive_transposes[_p] = _tr
    batching.primitive_batchers[_p] = _batch_rule(_p)


def _scatter_multi_separate(args, n_posts, backend):
    s, conns = args[0], args[1:]
    return [scatter_p.bind(s, conns[3 * p], conns[3 * p + 1], conns[3 * p + 2], n_post=n, backend=backend)
            for p, n in enumerate(n_posts)]


def _scatter_multi_jvp(primals, tangents, *, n_posts, backend):
    outs = scatter_multi_p.bind(*primals, n_posts=n_posts, backend=backend)
    rules = [ad.primitive_jvps[scatter_p] for _ in n_posts]
    s, ts = primals[0], tangents[0]
    tangent_outs = []
    for p, n in enumerate(n_posts):
        args = [s, *primals[1 + 3 * p: 4 + 3 * p]]
        tans = [ts, *tangents[1 + 3 * p: 4 + 3 * p]]
        _, t_out = rules[p](args, tans, n_post=n, backend=backend)
        tangent_outs.append(t_out)
    return outs, tangent_outs


def _scatter_multi_batch(args, dims, *, n_posts, backend):
    fn = lambda *a: _scatter_multi_separate(a, n_posts, backend)  # noqa: E731
    in_axes = [None if d is NOT_MAPPED else d for d in dims]
    return jax.vmap(fn, in_axes=in_axes)(*args), [0] * len(n_posts)


ad.primitive_jvps[scatter_multi_p] = _scatter_multi_jvp
batching.primitive_batchers[scatter_multi_p] = _scatter_multi_batch


# ---------------------------------------------------------------------------------------------------------------
# Public operators
# ---------------------------------------------------------------------------------------------------------------
def _prepare(owner: str, spikes, indptr, indices, weights, n_post, backend):
    n_post = C.static_size(owner, "n_post", n_post)
    C.vector(owner, "spikes", spikes, "the presynaptic neurons")
    indptr = C.index_array(owner, "indptr", indptr)
    indices = C.index_array(owner, "indices", indices)
    n_pre, nnz = jnp.shape(spikes)[0], indices.shape[0]
    if indptr.shape[0] != n_pre + 1:
        raise ValueError(
            f"{owner}: indptr has {indptr.shape[0]} entries but spikes has n_pre = {n_pre} neurons; a CSR "
            f"connectivity over n_pre rows needs n_pre + 1 = {n_pre + 1} row pointers. Check that the spikes come "
            f"from this connectivity's presynaptic population."
        )
    w_shape = jnp.shape(weights)
    if w_shape not in ((), (nnz,)):
        raise ValueError(
            f"{owner}: weights must be a scalar (one weight for every synapse) or have one entry per synapse, "
            f"shape ({nnz},) like indices; got shape {w_shape}."
        )
    spikes, weights, dtype, compute = C.float_dtypes(owner, spikes, weights)
    return spikes, indptr, indices, weights.reshape(1, -1), n_post, dtype, resolve(owner, backend)


def _propagate(owner, spikes, indptr, indices, weights, n_post, backend):
    s, indptr, indices, w, n_post, dtype, backend = _prepare(owner, spikes, indptr, indices, weights, n_post, backend)
    if n_post == 0 or s.shape[0] == 0 or indices.shape[0] == 0:
        return jnp.zeros((n_post,), dtype)
    if backend == "jax":
        out = _scatter_rows_jit(s[None], row_ids(indptr, indices.shape[0]), indices, w, n_post=n_post)
    else:
        out = scatter_p.bind(s[None], indptr, indices, w, n_post=n_post, backend=backend)
    return out[0].astype(dtype)


def event_csr_matvec(
    spikes: ArrayLike,
    indptr: ArrayLike,
    indices: ArrayLike,
    weights: ArrayLike,
    n_post: int,
    *,
    backend: str = "auto",
) -> jax.Array:
    """Propagate one time step of presynaptic spikes through a CSR connectivity.

    .. math::

        y_j = \\sum_{i:\\, s_i \\ne 0} \\; \\sum_{k = \\mathrm{indptr}_i}^{\\mathrm{indptr}_{i+1} - 1}
              [\\mathrm{indices}_k = j] \\; s_i \\, w_k ,

    i.e. :math:`y = A^\\top s` for the matrix :math:`A_{ij}` (pre ``i``, post ``j``) stored row by row.  Only rows of
    spiking neurons are visited, so the cost is proportional to the number of synapses of the neurons that spike.

    Args:
        spikes: ``[n_pre]`` bool spike events, or real values (a surrogate-gradient spike; the contribution is then
            ``spikes[i] * w``).
        indptr: ``[n_pre + 1]`` int row pointers (row ``i`` owns synapses ``indptr[i]:indptr[i+1]``).
        indices: ``[nnz]`` int postsynaptic target of each synapse.
        weights: a scalar (one weight for all synapses) or ``[nnz]`` per-synapse weights, in the unit of the
            quantity the spikes increment (e.g. nS for a conductance jump, mV for a voltage jump).
        n_post: number of postsynaptic neurons (a Python int: it fixes the result's shape).
        backend: ``'auto'`` (numba kernel on CPU when available, pure JAX otherwise), ``'numba'`` or ``'jax'``.

    Returns:
        ``[n_post]`` summed input, dtype of the weights (promoted with float spikes).

    Works under ``jax.jit``, ``jax.vmap`` (batched spikes, weights and even connectivities) and ``jax.grad`` /
    ``jax.jvp`` with respect to float spikes and weights.  Delays: keep a ring buffer of past spike vectors and
    pass the delayed one (see :func:`delayed`).

    Example:
        >>> import numpy as np, jax.numpy as jnp
        >>> indptr, indices = np.array([0, 2, 3]), np.array([0, 1, 1])
        >>> event_csr_matvec(jnp.array([True, True]), indptr, indices, jnp.array([1., 2., 4.]), 2)
        Array([1., 6.], dtype=float32)

    Limits: the numba kernel is single-threaded and checks indices as it reads them (a bad one raises); the
    pure-JAX path does not check and drops out-of-range targets.  A zero spike skips its row, so a zero times an
    infinite weight contributes 0, not NaN.
    """
    return _propagate("event_csr_matvec", spikes, indptr, indices, weights, n_post, backend)


def csr_matvec(
    vector: ArrayLike,
    indptr: ArrayLike,
    indices: ArrayLike,
    weights: ArrayLike,
    n_post: int,
    *,
    backend: str = "auto",
) -> jax.Array:
    """Propagate a dense real vector (e.g. firing rates in Hz) through a CSR connectivity: :math:`y = A^\\top x`.

    .. math::

        y_j = \\sum_i \\sum_{k = \\mathrm{indptr}_i}^{\\mathrm{indptr}_{i+1} - 1}
              [\\mathrm{indices}_k = j] \\, x_i w_k .

    The same kernel as :func:`event_csr_matvec` (rows with :math:`x_i = 0` are skipped), for callers whose input is
    not a spike vector; the arguments and transformations are the same, with ``vector`` real.

    Example:
        >>> import numpy as np, jax.numpy as jnp
        >>> csr_matvec(jnp.array([0.5, 2.0]), np.array([0, 2, 3]), np.array([0, 1, 1]), 1.0, 2)
        Array([0.5, 2.5], dtype=float32)

    Limits: cost is proportional to the synapses of the non-zero entries, so a fully dense vector costs a full
    pass over the connectivity (use a dense matmul when the connectivity is dense).
    """
    if not jnp.issubdtype(jnp.result_type(vector), jnp.floating):
        raise TypeError(
            f"csr_matvec: vector must be real (float); got dtype {jnp.result_type(vector)}. For spike events use "
            f"event_csr_matvec."
        )
    return _propagate("csr_matvec", vector, indptr, indices, weights, n_post, backend)


def event_csr_matvec_multi(
    spikes: ArrayLike,
    connectivities: Any,
    *,
    backend: str = "auto",
) -> list[jax.Array]:
    """:func:`event_csr_matvec` for several connectivities from the same presynaptic neurons, in one kernel call.

    The spikes are scanned once and each spiking neuron's rows are added into every output; the results equal
    (number for number) separate :func:`event_csr_matvec` calls, which is what ``backend='jax'``, derivatives and
    ``vmap`` compute.

    Args:
        spikes: ``[n_pre]`` bool or real spikes.
        connectivities: a sequence of ``(indptr, indices, weights, n_post)``, as the arguments of
            :func:`event_csr_matvec`.
        backend: ``'auto'``, ``'numba'`` or ``'jax'``.

    Returns:
        The ``[n_post]`` input of each connectivity, in order.
    """
    owner = "event_csr_matvec_multi"
    prepared = [_prepare(owner, spikes, indptr, indices, weights, n_post, backend)
                for indptr, indices, weights, n_post in connectivities]
    if not prepared:
        return []
    backend = prepared[0][6]
    same = len({(p[0].dtype, p[3].dtype) for p in prepared}) == 1
    empty = any(p[4] == 0 or p[0].shape[0] == 0 or p[2].shape[0] == 0 for p in prepared)
    if backend == "jax" or len(prepared) == 1 or not same or empty:
        return [_propagate(owner, spikes, indptr, indices, weights, n_post, backend)
                for indptr, indices, weights, n_post in connectivities]
    s = prepared[0][0]
    operands = [s[None]]
    for _, indptr, indices, w, _, _, _ in prepared:
        operands += [indptr, indices, w]
    outs = scatter_multi_p.bind(*operands, n_posts=tuple(p[4] for p in prepared), backend=backend)
    return [o[0].astype(p[5]) for o, p in zip(outs, prepared)]
