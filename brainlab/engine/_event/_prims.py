"""Shared machinery for the event primitives: lowering to a numba FFI kernel or to pure JAX, eager execution, and the
``vmap`` rule for operands that carry a leading batch dimension.

Every event primitive takes some *batchable* operands whose leading dimension is 1 (shared by the whole batch) or
``L`` (one slice per batch member), and returns ``[L, n]``.  ``vmap`` folds its axis into that leading dimension, so
a batch of spike vectors (or of weights, or of seeds) runs as one kernel call that loops over the batch inside
compiled code, and operands that are not batched are not copied.

Lowering: with ``backend='numba'`` on CPU the primitive becomes an XLA typed-FFI custom call to a numba handler
(:mod:`._ffi`); on any other platform, or with ``backend='jax'``, it is lowered through its pure-JAX definition, so
a program traced for CPU also runs on GPU with the same numbers.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
from jax.extend.core import Primitive
from jax.interpreters import ad, batching, mlir

# How a batching rule is told that an operand is not batched (``None`` in current JAX).
NOT_MAPPED = getattr(batching, "not_mapped", None)

_KERNEL_MODULES = {
    "csr": "brainlab.engine._event._csr_kernels",
    "fixedprob": "brainlab.engine._event._onthefly_kernels",
}


def ensure_registered(family: str, target: str) -> None:
    """Register the FFI handler ``target`` of a kernel family: its machine code loaded from brainlab's kernel cache
    without numba when present (:mod:`._native`), else compiled by numba (or loaded from numba's cache)."""
    import importlib

    from . import _ffi, _native

    if target in _ffi._REGISTERED:
        return
    loaded = _native.load(target)
    if loaded is not None:
        _ffi.register(target, *loaded)
        return
    handler = importlib.import_module(_KERNEL_MODULES[family]).handler(target)
    _ffi.register(target, handler.address, handler)


@functools.lru_cache(maxsize=None)
def _jitted_bind(prim: Primitive, items: tuple[tuple[str, Any], ...]) -> Callable[..., Any]:
    params = dict(items)
    return jax.jit(lambda *args: prim.bind(*args, **params))


def make_primitive(
    name: str,
    *,
    family: str,
    target: str,
    abstract_eval: Callable[..., Any],
    pure: Callable[..., Any],
    multiple_results: bool = False,
) -> Primitive:
    """A primitive lowered to the FFI ``target`` on CPU with ``backend='numba'``, else to ``pure(*args, **params)``.

    ``pure`` receives the primitive's parameters without ``backend``.
    """
    prim = Primitive(name)
    prim.multiple_results = multiple_results
    prim.def_abstract_eval(abstract_eval)
    prim.def_impl(lambda *args, **params: _jitted_bind(prim, tuple(sorted(params.items())))(*args))

    def pure_rule(ctx: Any, *args: Any, backend: str, **params: Any) -> Any:
        return mlir.lower_fun(functools.partial(pure, **params), multiple_results=multiple_results)(ctx, *args)

    def cpu_rule(ctx: Any, *args: Any, backend: str, **params: Any) -> Any:
        if backend != "numba":
            return pure_rule(ctx, *args, backend=backend, **params)
        ensure_registered(family, target)
        return jax.ffi.ffi_lowering(target)(ctx, *args)

    mlir.register_lowering(prim, pure_rule)
    mlir.register_lowering(prim, cpu_rule, platform="cpu")
    return prim


def reduce_leading(x: jax.Array, size: int) -> jax.Array:
    """Sum a ``[L, ...]`` cotangent down to an operand's leading size (1 when it was shared by the batch)."""
    if size == x.shape[0]:
        return x
    if size != 1:  # pragma: no cover - guarded by the abstract evaluation rules
        raise ValueError(f"internal: cannot reduce a leading dimension of {x.shape[0]} to {size}")
    return jnp.sum(x, axis=0, keepdims=True)


def batch_size(args: Sequence[Any], dims: Sequence[Any]) -> int:
    for a, d in zip(args, dims):
        if d is not NOT_MAPPED:
            return int(a.shape[d])
    raise ValueError("internal: batching rule called with no batched operand")  # pragma: no cover


def fold_batch(
    args: Sequence[Any], dims: Sequence[Any], batchable: Sequence[int]
) -> tuple[list[Any], int, int]:
    """Fold ``vmap``'s axis into the leading dimension of the batchable operands.

    Each batchable operand becomes ``[B * L, ...]``, or stays ``[1, ...]`` when it is neither batched by this
    ``vmap`` nor by an outer level (leading size 1): one kernel call then serves all ``B * L`` problems.
    Returns the new operand list, ``B`` and ``L``.
    """
    size = batch_size(args, dims)
    moved: dict[int, Any] = {}
    for i in batchable:
        a, d = args[i], dims[i]
        moved[i] = a[None] if d is NOT_MAPPED else jnp.moveaxis(a, d, 0)
    lead = max(moved[i].shape[1] for i in batchable)
    out = list(args)
    for i in batchable:
        a = moved[i]
        if a.shape[0] == 1 and a.shape[1] == 1:
            out[i] = a[0]
        else:
            full = jnp.broadcast_to(a, (size, lead) + a.shape[2:])
            out[i] = full.reshape((size * lead,) + a.shape[2:])
    return out, size, lead


def unfold(out: jax.Array, size: int, lead: int) -> tuple[jax.Array, int]:
    """``[B * L, n] -> [B, L, n]`` with the ``vmap`` axis first."""
    return out.reshape((size, lead) + out.shape[1:]), 0


def leading_size(*sizes: int) -> int:
    """The result's leading size; every operand's must be 1 or this."""
    lead = max(sizes)
    if any(s not in (1, lead) for s in sizes):  # pragma: no cover - only reachable by binding by hand
        raise ValueError(f"internal: leading sizes {sizes} are neither 1 nor a common batch size")
    return lead


def is_zero(t: Any) -> bool:
    """Whether a tangent or cotangent is JAX's symbolic zero."""
    return type(t) is ad.Zero


def zero_cotangents(args: Sequence[Any]) -> list[Any]:
    """Cotangents for a zero output cotangent: symbolic zeros for the linear inputs, ``None`` for the others."""
    return [ad.Zero(a.aval) if ad.is_undefined_primal(a) else None for a in args]


def zero_tangent(primal: Any) -> Any:
    """JAX's symbolic zero tangent for a primal value."""
    aval = jax.typeof(primal)
    return ad.Zero(aval.to_tangent_aval() if hasattr(aval, "to_tangent_aval") else aval)


def bilinear_jvp(prim: Primitive, linear: tuple[int, ...]) -> Callable[..., Any]:
    """The JVP rule of a primitive that is linear in each operand of ``linear`` separately (the others fixed):
    :math:`\\dot y = \\sum_{i \\in \\text{linear}} f(\\dots, \\dot x_i, \\dots)`."""

    def jvp(primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> tuple[Any, Any]:
        out = prim.bind(*primals, **params)
        total = None
        for i in linear:
            if not is_zero(tangents[i]):
                args = list(primals)
                args[i] = tangents[i]
                term = prim.bind(*args, **params)
                total = term if total is None else total + term
        return out, (zero_tangent(out) if total is None else total)

    return jvp
