"""Stateful control flow: ``for_loop``, ``scan``, ``cond``, ``while_loop``.

Each traces its function(s) once, finds the States they touch, and lowers to the matching ``jax.lax`` primitive
with the written States carried through the loop (or returned from both branches) and the read-only ones passed
in as loop constants.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp

from ._array import wrap
from ._state import State
from ._toplevel import at_top_level, cached_jit
from ._tracing import StatefulJaxpr, aval_of, flatten_args, read_values, trace_stateful, write_values

__all__ = ["for_loop", "scan", "cond", "while_loop"]


def _as_jax(leaves: Sequence[Any]) -> list[Any]:
    return [x if isinstance(x, (jax.Array, jax.core.Tracer)) else jnp.asarray(x) for x in leaves]


def _name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


def _merge(states: Sequence[State], written: Sequence[bool], carried: Sequence[Any], consts: Sequence[Any]):
    c, k = iter(carried), iter(consts)
    return [next(c) if w else next(k) for w in written]


def for_loop(
    body: Callable[..., Any],
    *xs: Any,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
) -> Any:
    r"""Run ``body(*x_t)`` for every slice ``x_t`` of ``xs`` along axis 0, carrying States; stack the outputs.

    Equivalent to ``[body(*[x[t] for x in xs]) for t in range(T)]`` with the results stacked, compiled as one
    ``lax.scan``: States written by ``body`` form the loop carry, States only read are loop constants.

    Args:
        body: a function or bound method called once per step.
        *xs: arrays (or pytrees) sliced along their leading axis; ``length`` gives the step count when empty.
        length: number of steps (required without ``xs``).
        reverse: iterate from the last slice to the first.
        unroll: steps unrolled per loop iteration (a speed knob).

    Example:
        >>> import brainlab.engine as be
        >>> total = be.State(0.)
        >>> def add(x):
        ...     total.value += x
        ...     return total.value
        >>> be.for_loop(add, be.arange(4.))
        Array([0., 1., 3., 6.], dtype=float32)
    """
    if at_top_level():
        jitted = cached_jit(body, ("for_loop", length, reverse, unroll),
                            lambda: lambda *a: for_loop(body, *a, length=length, reverse=reverse, unroll=unroll))
        return jitted(*xs)
    leaves, tree = flatten_args(xs)
    leaves = _as_jax(leaves)
    n = _loop_length("for_loop", body, leaves, length)
    slice_avals = [jax.ShapeDtypeStruct(x.shape[1:], x.dtype) for x in leaves]
    sj = trace_stateful(lambda *sl: body(*jax.tree.unflatten(tree, [wrap(s) for s in sl])), slice_avals,
                        transform="for_loop")
    values = read_values(sj.states)
    carried0 = [v for v, w in zip(values, sj.written) if w]
    consts = [v for v, w in zip(values, sj.written) if not w]

    def step(carried, x_slice):
        outs, new = sj.evaluate(x_slice, _merge(sj.states, sj.written, carried, consts))
        return new, outs

    final, ys = jax.lax.scan(step, carried0, leaves, length=n, reverse=reverse, unroll=unroll)
    write_values(sj.written_states, final)
    return jax.tree.map(wrap, sj.unflatten(ys))


def _loop_length(name: str, fn: Callable, leaves: Sequence[Any], length: int | None) -> int:
    sizes = {int(x.shape[0]) for x in leaves if x.ndim > 0}
    if any(x.ndim == 0 for x in leaves):
        raise ValueError(
            f"be.{name}({_name(fn)}): every sequence argument needs a leading axis to loop over, but one is a "
            "scalar. Pass scalars through a closure or as a State instead."
        )
    if len(sizes) > 1:
        raise ValueError(
            f"be.{name}({_name(fn)}): the sequence arguments have different lengths {sorted(sizes)}; they must all "
            "have the same leading dimension."
        )
    if sizes:
        n = sizes.pop()
        if length is not None and length != n:
            raise ValueError(f"be.{name}({_name(fn)}): length={length} but the sequences have length {n}.")
        return n
    if length is None:
        raise ValueError(f"be.{name}({_name(fn)}): no sequences to loop over; pass length=<number of steps>.")
    return int(length)


def scan(
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
) -> tuple[Any, Any]:
    """``jax.lax.scan`` with States: ``f(carry, x) -> (carry, y)``; States written by ``f`` are carried too.

    Example:
        >>> import brainlab.engine as be
        >>> be.scan(lambda c, x: (c + x, c + x), 0., be.arange(3.))
        (Array(3., dtype=float32), Array([0., 1., 3.], dtype=float32))
    """
    if at_top_level():
        jitted = cached_jit(f, ("scan", length, reverse, unroll),
                            lambda: lambda i, x: scan(f, i, x, length=length, reverse=reverse, unroll=unroll))
        return jitted(init, xs)
    c_leaves, c_tree = flatten_args(init)
    x_leaves, x_tree = flatten_args(xs)
    c_leaves, x_leaves = _as_jax(c_leaves), _as_jax(x_leaves)
    n = _loop_length("scan", f, x_leaves, length)
    nc = len(c_leaves)
    avals = [aval_of(c) for c in c_leaves] + [jax.ShapeDtypeStruct(x.shape[1:], x.dtype) for x in x_leaves]

    def flat(*leaves):
        carry = jax.tree.unflatten(c_tree, [wrap(v) for v in leaves[:nc]])
        x = jax.tree.unflatten(x_tree, [wrap(v) for v in leaves[nc:]])
        out = f(carry, x)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"be.scan({_name(f)}): the function must return a pair (carry, y).")
        return out

    sj = trace_stateful(flat, avals, transform="scan")
    new_c_tree = jax.tree.structure(jax.tree.unflatten(sj.out_tree, [0] * sj.n_out)[0])
    if new_c_tree != c_tree:
        raise TypeError(
            f"be.scan({_name(f)}): the carry returned has structure {new_c_tree}, but the initial carry has "
            f"{c_tree}; they must match."
        )
    values = read_values(sj.states)
    carried0 = [v for v, w in zip(values, sj.written) if w]
    consts = [v for v, w in zip(values, sj.written) if not w]

    def step(carry, x_slice):
        c, carried = carry
        outs, new = sj.evaluate(list(c) + list(x_slice), _merge(sj.states, sj.written, carried, consts))
        return (outs[:nc], new), outs[nc:]

    (c_final, s_final), ys = jax.lax.scan(step, (c_leaves, carried0), x_leaves, length=n, reverse=reverse,
                                          unroll=unroll)
    write_values(sj.written_states, s_final)
    out = sj.unflatten(list(c_final) + list(ys))
    return jax.tree.map(wrap, out)


def _union(sjs: Sequence[StatefulJaxpr]) -> tuple[list[State], list[bool]]:
    states: list[State] = []
    written: dict[int, bool] = {}
    for sj in sjs:
        for s, w in zip(sj.states, sj.written):
            if id(s) not in written:
                states.append(s)
                written[id(s)] = False
            written[id(s)] = written[id(s)] or w
    return states, [written[id(s)] for s in states]


def cond(pred: Any, true_fun: Callable[..., Any], false_fun: Callable[..., Any], *operands: Any) -> Any:
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``, compiled as ``lax.cond``.

    States written in either branch are written after the call (the other branch leaves them unchanged).

    Example:
        >>> import brainlab.engine as be
        >>> v = be.State(-70.)
        >>> be.cond(v.value < -60., lambda: v.__setattr__('value', -65.), lambda: None); float(v.value)
        -65.0
    """
    leaves, tree = flatten_args(operands)
    leaves = _as_jax(leaves)
    avals = [aval_of(x) for x in leaves]
    sjs = [
        trace_stateful(lambda *l, fn=fn: fn(*jax.tree.unflatten(tree, [wrap(v) for v in l])), avals,
                       transform="cond")
        for fn in (true_fun, false_fun)
    ]
    if sjs[0].out_tree != sjs[1].out_tree:
        raise TypeError(
            f"be.cond: the branches return different structures ({_name(true_fun)} returns {sjs[0].out_tree}, "
            f"{_name(false_fun)} returns {sjs[1].out_tree}); both must return the same structure of arrays."
        )
    states, written = _union(sjs)
    pos = {id(s): i for i, s in enumerate(states)}
    out_states = [s for s, w in zip(states, written) if w]

    def branch(sj: StatefulJaxpr):
        def run(ops, vals):
            outs, new = sj.evaluate(ops, [vals[pos[id(s)]] for s in sj.states])
            got = {id(s): v for s, v in zip(sj.written_states, new)}
            return outs, [got.get(id(s), vals[pos[id(s)]]) for s in out_states]

        return run

    pred = jnp.asarray(pred)
    if pred.shape != ():
        raise ValueError(f"be.cond: the predicate must be a scalar boolean, got shape {pred.shape}.")
    outs, new = jax.lax.cond(pred, branch(sjs[0]), branch(sjs[1]), leaves, read_values(states))
    write_values(out_states, new)
    return jax.tree.map(wrap, sjs[0].unflatten(outs))


def while_loop(cond_fun: Callable[[Any], Any], body_fun: Callable[[Any], Any], init_val: Any) -> Any:
    """``while cond_fun(val): val = body_fun(val)``, compiled as ``lax.while_loop``, with States carried.

    ``cond_fun`` may read States but must not write them.

    Example:
        >>> import brainlab.engine as be
        >>> n = be.State(0)
        >>> def body(x):
        ...     n.value += 1
        ...     return x * 2.
        >>> be.while_loop(lambda x: x < 100., body, 1.), int(n.value)
        (Array(128., dtype=float32), 7)
    """
    leaves, tree = flatten_args(init_val)
    leaves = _as_jax(leaves)
    avals = [aval_of(x) for x in leaves]
    unflat = lambda l: jax.tree.unflatten(tree, [wrap(v) for v in l])  # noqa: E731
    sj_body = trace_stateful(lambda *l: body_fun(unflat(l)), avals, transform="while_loop")
    sj_cond = trace_stateful(lambda *l: cond_fun(unflat(l)), avals, transform="while_loop")
    if any(sj_cond.written):
        names = ", ".join(repr(s.name) for s in sj_cond.written_states)
        raise ValueError(
            f"be.while_loop: cond_fun {_name(cond_fun)} writes the State(s) {names}. The condition must only read "
            "States; move the update into body_fun."
        )
    if sj_body.out_tree != tree:
        raise TypeError(
            f"be.while_loop: body_fun {_name(body_fun)} returns structure {sj_body.out_tree}, but the initial "
            f"value has structure {tree}; they must match."
        )
    states, written = _union([sj_body, sj_cond])
    pos = {id(s): i for i, s in enumerate(states)}
    values = read_values(states)
    carried0 = [v for v, w in zip(values, written) if w]
    consts = [v for v, w in zip(values, written) if not w]

    def full(carried):
        return _merge(states, written, carried, consts)

    def c(carry):
        l, carried = carry
        vals = full(carried)
        outs, _ = sj_cond.evaluate(l, [vals[pos[id(s)]] for s in sj_cond.states])
        return jnp.asarray(outs[0]).astype(bool).reshape(())

    def b(carry):
        l, carried = carry
        vals = full(carried)
        outs, new = sj_body.evaluate(l, [vals[pos[id(s)]] for s in sj_body.states])
        got = {id(s): v for s, v in zip(sj_body.written_states, new)}
        return outs, [got.get(id(s), vals[pos[id(s)]]) for s, w in zip(states, written) if w]

    final, carried = jax.lax.while_loop(c, b, (leaves, carried0))
    write_values([s for s, w in zip(states, written) if w], carried)
    return jax.tree.map(wrap, jax.tree.unflatten(tree, final))
