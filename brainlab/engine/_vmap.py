"""``vmap``: vectorise a stateful function over a batch axis, including batched States of objects."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp

from . import _jax_internals as jxi
from ._array import wrap
from ._module import Module
from ._state import State, StateError, iter_states
from ._toplevel import at_top_level, cached_jit
from ._tracing import flatten_args, read_values, trace_stateful, write_values

__all__ = ["vmap", "VmappedFunction"]


def _normalise_in_states(in_states: Any) -> dict[int, tuple[State, int]]:
    if in_states is None:
        return {}
    if isinstance(in_states, Module):
        return {id(s): (s, 0) for s in in_states.states().values()}
    if isinstance(in_states, dict) and all(isinstance(k, State) for k in in_states):
        return {id(s): (s, int(a)) for s, a in in_states.items()}
    states = list(iter_states(in_states))
    if not states:
        raise TypeError(
            "be.vmap: in_states must be a State, a list/tuple of States, a dict {State: axis} or a Module; got "
            f"{type(in_states).__name__}."
        )
    return {id(s): (s, 0) for s in states}


class VmappedFunction:
    """A vectorised stateful function (returned by :func:`vmap`)."""

    def __init__(self, fn: Callable, in_axes: Any, out_axes: Any, in_states: Any, axis_size: int | None):
        self.fn = fn
        self.in_axes = in_axes
        self.out_axes = out_axes
        self.batched = _normalise_in_states(in_states)
        self.axis_size = axis_size

    def __call__(self, *args: Any) -> Any:
        if at_top_level():
            options = ("vmap", id(self))
            return cached_jit(self.fn, options, lambda: self._traced_call)(*args)
        return self._traced_call(*args)

    def _arg_axes(self, args: tuple) -> list[Any]:
        in_axes = self.in_axes
        if isinstance(in_axes, (int, type(None))):
            per_arg = [in_axes] * len(args)
        elif isinstance(in_axes, (tuple, list)) and len(in_axes) == len(args):
            per_arg = list(in_axes)
        else:
            raise ValueError(
                f"be.vmap({getattr(self.fn, '__qualname__', self.fn)}): in_axes={in_axes!r} must be an int, None, "
                f"or a tuple with one entry per positional argument ({len(args)} given)."
            )
        axes = []
        for a, ax in zip(args, per_arg):
            n_leaves = len(jax.tree.leaves(a))
            if not isinstance(ax, (int, type(None))):
                raise ValueError(f"be.vmap: each in_axes entry must be an int or None, got {ax!r}.")
            axes.extend([ax] * n_leaves)
        return axes

    def _traced_call(self, *args: Any) -> Any:
        name = getattr(self.fn, "__qualname__", repr(self.fn))
        leaves, tree = flatten_args(args)
        leaves = [x if isinstance(x, (jax.Array, jxi.Tracer)) else jnp.asarray(x) for x in leaves]
        axes = self._arg_axes(args)
        sizes = {x.shape[ax] for x, ax in zip(leaves, axes) if ax is not None}
        for _, (s, ax) in self.batched.items():
            sizes.add(s.shape[ax])
        if self.axis_size is not None:
            sizes.add(self.axis_size)
        if len(sizes) != 1:
            raise ValueError(
                f"be.vmap({name}): "
                + ("nothing is batched: give in_axes for an argument, in_states, or axis_size."
                   if not sizes else f"the batched arguments and States have different batch sizes {sorted(sizes)}.")
            )
        n = sizes.pop()
        member_avals = []
        for x, ax in zip(leaves, axes):
            shape = list(x.shape)
            if ax is not None:
                del shape[ax]
            member_avals.append(jax.ShapeDtypeStruct(tuple(shape), x.dtype))
        batch_axes = {k: ax for k, (s, ax) in self.batched.items()}
        sj = trace_stateful(
            lambda *l: self.fn(*jax.tree.unflatten(tree, [wrap(v) for v in l])),
            member_avals,
            transform="vmap",
            batch_axes=batch_axes,
        )
        values = read_values(sj.states)
        state_axes: list[int | None] = []
        after: list[tuple[State, Any]] = []
        for i, s in enumerate(sj.states):
            if id(s) in batch_axes:
                state_axes.append(batch_axes[id(s)])
            elif s.kind == "random":
                nxt, sub = jax.random.split(values[i])
                values[i] = jax.random.split(sub, n)
                state_axes.append(0)
                after.append((s, nxt))
            else:
                state_axes.append(None)
        out_axes = self.out_axes
        if not isinstance(out_axes, (int, type(None))):
            raise ValueError(f"be.vmap({name}): out_axes must be an int or None, got {out_axes!r}.")
        written = sj.written_states
        w_axes = []
        for s in written:
            if id(s) in batch_axes:
                w_axes.append(batch_axes[id(s)])
            elif s.kind == "random":
                w_axes.append(0)  # per-member keys; replaced below by the advanced outer key
            else:
                w_axes.append(None)

        def pure(arg_leaves, state_values):
            return sj.evaluate(arg_leaves, state_values)

        def run(waxes):
            return jax.vmap(pure, in_axes=(axes, state_axes), out_axes=([out_axes] * sj.n_out, waxes),
                            axis_size=n)(leaves, values)

        try:
            outs, new = run(w_axes)
        except ValueError as err:
            if "out_axes" not in str(err) and "mapped" not in str(err):
                raise
            culprits = []
            for i, s in enumerate(written):
                if w_axes[i] is None:
                    trial = [0 if j != i and a is None else a for j, a in enumerate(w_axes)]
                    try:
                        jax.eval_shape(lambda: run(trial))
                    except ValueError:
                        culprits.append(s)
            names = ", ".join(repr(s.name or s) for s in culprits) or "(one of the written States)"
            raise StateError(
                f"be.vmap({name}): State {names} is not batched, but the vectorised function writes a different "
                "value into it for each batch member.\nFix: batch it (pass it, or its Module, in in_states=, "
                "after giving it a leading batch axis, e.g. with be.stack_modules), or do not write it inside "
                "the vectorised function."
            ) from None
        keep = [(s, v) for s, v in zip(written, new) if s.kind != "random" or id(s) in batch_axes]
        write_values([s for s, _ in keep], [v for _, v in keep])
        for s, v in after:
            s.value = v
        return jax.tree.map(wrap, sj.unflatten(outs))


def vmap(
    fn: Callable[..., Any],
    in_axes: int | None | Sequence[int | None] = 0,
    out_axes: int | None = 0,
    *,
    in_states: Any = None,
    axis_size: int | None = None,
) -> VmappedFunction:
    """Vectorise ``fn`` over a batch axis of its arguments and of chosen States.

    States listed in ``in_states`` carry the batch on axis 0 (or the axis given in a ``{State: axis}`` dict):
    each batch member sees its own slice, and writes land in its slice.  Other States are shared: they may be
    read, but writing a per-member value into one is an error.  Random generators give each member its own
    independent stream and advance once per call.

    Args:
        fn: function or bound method to vectorise.
        in_axes: batch axis of each positional argument (``None``: not batched).
        out_axes: batch axis of the outputs.
        in_states: batched States: a State, a list of them, ``{State: axis}``, or a Module (all its States,
            e.g. one made by :func:`stack_modules`).
        axis_size: the batch size when no argument or State is batched (e.g. independent random trials).

    Example:
        >>> import brainlab.engine as be
        >>> class Leak(be.Module):
        ...     def __init__(self, keep):
        ...         self.keep = be.ParamState(keep)      # a State, so each copy's value is stacked too
        ...         self.x = be.State(be.ones(2))
        ...     def step(self, drive):
        ...         self.x.value = self.keep.value * self.x.value + drive
        ...         return self.x.value
        >>> copies = [Leak(k) for k in (0.5, 0.9, 1.0)]
        >>> batch = be.stack_modules(copies)
        >>> ys = be.vmap(batch.step, in_axes=None, in_states=batch)(1.)   # every copy at once
        >>> bool(be.allclose(ys, be.stack([m.step(1.) for m in copies])))  # the same as one by one
        True
    """
    if not callable(fn):
        raise TypeError(f"be.vmap: expected a function or bound method, got {type(fn).__name__}.")
    return VmappedFunction(fn, in_axes, out_axes, in_states, axis_size)
