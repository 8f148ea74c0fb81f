"""Pytree plumbing shared by every integrator.

A state ``x`` is an array or any pytree of arrays (a *joint system* such as ``(V, m, h)`` or a dict).  This module
turns a user's state into arrays, checks that a right-hand side returns derivatives with the state's structure,
and forms the linear combinations ``x + dt * sum_j c_j k_j`` that every explicit scheme is made of, always casting
back to the state's dtype so that a float32 state stays float32.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

PyTree = Any


def callable_name(f: Any) -> str:
    """A short human name for a user function, for error messages."""
    return getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)


def _leaf_name(path: tuple[Any, ...]) -> str:
    return "x" + jax.tree_util.keystr(path) if path else "x"


def as_state(x: PyTree, *, who: str, allow_complex: bool = True) -> PyTree:
    """Convert every leaf of ``x`` to a JAX array and check that it is floating point.

    ``who`` names the caller in error messages (for example ``"odeint('rk4') step"``).
    """
    flat, treedef = jax.tree_util.tree_flatten_with_path(x)
    if not flat:
        raise ValueError(
            f"{who}: the state x holds no arrays (got {x!r}). Pass an array, or a tuple/dict of arrays such as "
            "(V, m, h)."
        )
    leaves = []
    for path, leaf in flat:
        try:
            arr = jnp.asarray(leaf)
        except TypeError as err:
            raise TypeError(
                f"{who}: the state leaf {_leaf_name(path)} is a {type(leaf).__name__}, not an array. "
                "Every leaf of the state must be an array or a number."
            ) from err
        ok = jnp.issubdtype(arr.dtype, jnp.floating) or (
            allow_complex and jnp.issubdtype(arr.dtype, jnp.complexfloating)
        )
        if not ok:
            kind = "floating-point or complex" if allow_complex else "real floating-point"
            raise TypeError(
                f"{who}: the state leaf {_leaf_name(path)} has dtype {arr.dtype}; integrators need {kind} "
                f"states. Fix: pass floats (1.0 rather than 1) or convert with x.astype(jnp.float32)."
            )
        leaves.append(arr)
    return treedef.unflatten(leaves)


def check_like(out: PyTree, x: PyTree, *, who: str, fname: str, what: str = "derivatives") -> PyTree:
    """Check that ``out`` (returned by the user function ``fname``) has the structure and shapes of ``x``.

    A leaf whose shape broadcasts to the state's leaf shape without changing it (a scalar ``0.0`` for a vector
    variable) is broadcast; any other mismatch raises an error naming the function, the leaf and the fix.
    Returns ``out`` with every leaf an array of the state's leaf shape.
    """
    out_def = jax.tree.structure(out)
    x_def = jax.tree.structure(x)
    if out_def != x_def:
        raise TypeError(
            f"{who}: the function {fname} returned {what} with structure {out_def}, but the state x has structure "
            f"{x_def}. It must return {what} with exactly the structure of x: for a state (V, m, h) return a tuple "
            "(dV, dm, dh) in the same order; for a dict return a dict with the same keys."
        )
    flat_x = jax.tree_util.tree_flatten_with_path(x)[0]
    leaves = []
    for (path, xl), ol in zip(flat_x, jax.tree.leaves(out)):
        try:
            ol = jnp.asarray(ol)
        except TypeError as err:
            raise TypeError(
                f"{who}: the function {fname} returned a {type(ol).__name__} for the state leaf "
                f"{_leaf_name(path)}; {what} must be arrays."
            ) from err
        if ol.shape != xl.shape:
            try:
                ok = jnp.broadcast_shapes(ol.shape, xl.shape) == xl.shape
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(
                    f"{who}: the function {fname} returned {what} of shape {ol.shape} for the state leaf "
                    f"{_leaf_name(path)} of shape {xl.shape}. Each returned array must have its variable's "
                    "shape (check for an accidental broadcast such as (n, 1) against (n,))."
                )
            ol = jnp.broadcast_to(ol, xl.shape)
        leaves.append(ol)
    return x_def.unflatten(leaves)


def checked(f: Callable[..., PyTree], template: PyTree, *, who: str, what: str = "derivatives") -> Callable:
    """Wrap ``f(x, t, *params)`` so that each call is checked against the state ``template`` (at trace time)."""
    fname = callable_name(f)

    def wrapped(x: PyTree, t: Any, *params: Any) -> PyTree:
        return check_like(f(x, t, *params), template, who=who, fname=fname, what=what)

    return wrapped


def cast_like(y: PyTree, x: PyTree) -> PyTree:
    """Cast each leaf of ``y`` to the dtype of the matching leaf of ``x``."""
    return jax.tree.map(lambda yl, xl: yl.astype(xl.dtype), y, x)


def lincomb(x: PyTree, dt: Any, coeffs: Sequence[float], ks: Sequence[PyTree]) -> PyTree:
    """``x + dt * sum_j coeffs[j] * ks[j]``, leaf by leaf, cast to the dtype of ``x``.

    Zero coefficients are skipped (no work is traced for them).
    """
    pairs = [(c, k) for c, k in zip(coeffs, ks) if c != 0.0]
    if not pairs:
        return x

    def leaf(xl: jax.Array, *kl: jax.Array) -> jax.Array:
        acc = None
        for (c, _), k in zip(pairs, kl):
            term = k if c == 1.0 else c * k
            acc = term if acc is None else acc + term
        return (xl + dt * acc).astype(xl.dtype)

    return jax.tree.map(leaf, x, *[k for _, k in pairs])


def rms_norm(tree: PyTree, scale: PyTree) -> jax.Array:
    """Root-mean-square of ``tree / scale`` over every element of every leaf (a real scalar)."""
    total = 0.0
    count = 0
    for v, s in zip(jax.tree.leaves(tree), jax.tree.leaves(scale)):
        total = total + jnp.sum(jnp.abs(v / s) ** 2)
        count += v.size
    return jnp.sqrt(total / max(count, 1))


def value_and_diagonal(func: Callable[[PyTree], PyTree], x: PyTree) -> tuple[PyTree, PyTree]:
    r"""``func(x)`` and, for each variable (leaf) ``x_i``, :math:`a_i = \partial \mathrm{func}_i / \partial x_i`.

    One linearisation of ``func`` is evaluated with a tangent of ones on leaf ``i`` and zeros elsewhere, and
    leaf ``i`` of the result is kept.  For a system that is *elementwise in each variable* (element ``n`` of
    ``func_i`` depends on element ``n`` of ``x_i`` only, as in a population of independent neurons) this is
    exactly the diagonal of the Jacobian block; otherwise it is the row sum of that block, not its diagonal.
    ``func`` must return a pytree with the structure of ``x``.
    """
    out, lin = jax.linearize(func, x)
    leaves, treedef = jax.tree.flatten(x)
    diag = []
    for i in range(len(leaves)):
        tangent = treedef.unflatten(
            [jnp.ones_like(leaf) if j == i else jnp.zeros_like(leaf) for j, leaf in enumerate(leaves)]
        )
        diag.append(jax.tree.leaves(lin(tangent))[i])
    return out, treedef.unflatten(diag)
