"""``grad`` and ``value_and_grad`` with respect to arguments and States."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp

from ._array import wrap
from ._module import Module
from ._state import State
from ._toplevel import at_top_level, cached_jit
from ._tracing import flatten_args, read_values, trace_stateful, write_values

__all__ = ["grad", "value_and_grad", "GradFunction"]


def _target_states(states: Any) -> tuple[list[State], Callable[[list[Any]], Any]]:
    """The States to differentiate and a function that arranges their gradients like ``states``."""
    if states is None:
        return [], lambda g: None
    if isinstance(states, State):
        return [states], lambda g: g[0]
    if isinstance(states, Module):
        params = states.states("param")
        if not params:
            raise ValueError(
                f"be.grad: {type(states).__name__} has no ParamState to differentiate. Declare trainable "
                "values as be.ParamState, or pass the States explicitly (a State, a list, or a dict)."
            )
        keys = list(params)
        return list(params.values()), lambda g: dict(zip(keys, g))
    if isinstance(states, dict):
        keys = list(states)
        vals = list(states.values())
        if not all(isinstance(v, State) for v in vals):
            raise TypeError("be.grad: states= as a dict must map names to States.")
        return vals, lambda g: dict(zip(keys, g))
    if isinstance(states, (list, tuple)):
        if not all(isinstance(v, State) for v in states):
            raise TypeError("be.grad: states= as a list must contain only States.")
        kind = type(states)
        return list(states), lambda g: kind(g)
    raise TypeError(
        f"be.grad: states= must be a State, a list/tuple/dict of States or a Module, got {type(states).__name__}."
    )


class GradFunction:
    """The gradient of a stateful scalar function (returned by :func:`grad` and :func:`value_and_grad`)."""

    def __init__(self, fn: Callable, argnums: int | Sequence[int] | None, states: Any, has_aux: bool,
                 return_value: bool):
        self.fn = fn
        self.states = states
        if argnums is None:
            argnums = () if states is not None else 0
        self.argnums = argnums
        self.has_aux = has_aux
        self.return_value = return_value

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if at_top_level():
            return cached_jit(self.fn, ("grad", id(self)), lambda: self._traced_call)(*args, **kwargs)
        return self._traced_call(*args, **kwargs)

    def _traced_call(self, *args: Any, **kwargs: Any) -> Any:
        name = getattr(self.fn, "__qualname__", repr(self.fn))
        argnums = (self.argnums,) if isinstance(self.argnums, int) else tuple(self.argnums)
        for i in argnums:
            if i >= len(args):
                raise ValueError(f"be.grad({name}): argnums={self.argnums} but only {len(args)} positional "
                                 "arguments were given.")
        targets, arrange = _target_states(self.states)
        args_leaves = [flatten_args(a) for a in args]
        kw_leaves, kw_tree = flatten_args(kwargs)
        flat = [jnp.asarray(x) for l, _ in args_leaves for x in l] + [jnp.asarray(x) for x in kw_leaves]
        counts = [len(l) for l, _ in args_leaves]

        def rebuild(leaves):
            out, k = [], 0
            for (l, tree), c in zip(args_leaves, counts):
                out.append(jax.tree.unflatten(tree, [wrap(v) for v in leaves[k:k + c]]))
                k += c
            kw = jax.tree.unflatten(kw_tree, [wrap(v) for v in leaves[k:]])
            return out, kw

        def call(*leaves):
            a, kw = rebuild(leaves)
            return self.fn(*a, **kw)

        avals = [jax.ShapeDtypeStruct(x.shape, x.dtype) for x in flat]
        sj = trace_stateful(call, avals, transform="grad")
        values = read_values(sj.states)
        pos = {id(s): i for i, s in enumerate(sj.states)}
        offsets = [sum(counts[:i]) for i in range(len(counts))]
        diff_leaf_idx = [offsets[i] + j for i in argnums for j in range(counts[i])]

        def pure(diff_args, diff_states):
            leaves = list(flat)
            for k, v in zip(diff_leaf_idx, diff_args):
                leaves[k] = v
            vals = list(values)
            for s, v in zip(targets, diff_states):
                if id(s) in pos:
                    vals[pos[id(s)]] = v
            outs, new = sj.evaluate(leaves, vals)
            out = sj.unflatten(outs)
            if self.has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise TypeError(f"be.grad({name}): has_aux=True needs the function to return (loss, aux).")
                loss, aux = out
            else:
                loss, aux = out, None
            loss = jnp.asarray(loss)
            if loss.shape != ():
                raise TypeError(
                    f"be.grad({name}): the function must return a scalar loss, got shape {loss.shape}.\nFix: "
                    "reduce it (e.g. .sum() or .mean()), or return (loss, extras) with has_aux=True."
                )
            return loss, (aux, new)

        diff_args = [flat[k] for k in diff_leaf_idx]
        diff_states = [values[pos[id(s)]] if id(s) in pos else s.value for s in targets]
        (loss, (aux, new)), (g_args, g_states) = jax.value_and_grad(pure, argnums=(0, 1), has_aux=True)(
            diff_args, diff_states
        )
        write_values(sj.written_states, new)
        grads_per_arg, k = [], 0
        for i in argnums:
            _, tree = args_leaves[i]
            grads_per_arg.append(jax.tree.unflatten(tree, g_args[k:k + counts[i]]))
            k += counts[i]
        arg_grads = grads_per_arg[0] if isinstance(self.argnums, int) else tuple(grads_per_arg)
        state_grads = arrange(list(g_states))
        if self.states is None:
            grads = arg_grads
        elif argnums:
            grads = (arg_grads, state_grads)
        else:
            grads = state_grads
        grads = jax.tree.map(wrap, grads)
        if self.return_value:
            value = (wrap(loss), jax.tree.map(wrap, aux)) if self.has_aux else wrap(loss)
            return value, grads
        return (grads, jax.tree.map(wrap, aux)) if self.has_aux else grads


def grad(
    fn: Callable[..., Any],
    argnums: int | Sequence[int] | None = None,
    *,
    states: Any = None,
    has_aux: bool = False,
) -> GradFunction:
    r"""Gradient of a scalar stateful function with respect to arguments and/or States.

    Args:
        fn: returns a scalar loss (or ``(loss, aux)`` with ``has_aux=True``).
        argnums: positional argument(s) to differentiate; defaults to 0 when ``states`` is not given.
        states: States to differentiate: a State, a list/tuple or dict of States, or a Module (its
            ``ParamState`` s, gradients keyed by path).
        has_aux: ``fn`` returns ``(loss, aux)``; the result is then ``(grads, aux)``.

    Returns a function giving the gradients (``(arg_grads, state_grads)`` when both are asked for).  States the
    function writes are updated, as in a normal call.

    Example:
        >>> import brainlab.engine as be
        >>> w = be.ParamState(be.ones(3))
        >>> g = be.grad(lambda x: ((w.value * x) ** 2).sum(), states=w)(be.arange(3.))
        >>> g   # d/dw sum (w x)^2 = 2 w x^2
        Array([0., 2., 8.], dtype=float32)
    """
    return GradFunction(fn, argnums, states, has_aux, return_value=False)


def value_and_grad(
    fn: Callable[..., Any],
    argnums: int | Sequence[int] | None = None,
    *,
    states: Any = None,
    has_aux: bool = False,
) -> GradFunction:
    """Like :func:`grad` but returns ``(value, grads)`` (``((value, aux), grads)`` with ``has_aux``)."""
    return GradFunction(fn, argnums, states, has_aux, return_value=True)
