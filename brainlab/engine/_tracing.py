"""Tracing a stateful function once into a jaxpr whose extra inputs and outputs are its States.

This is the mechanism under every brainlab transform.  ``trace_stateful`` runs the user's function under
``jax.make_jaxpr`` with a :class:`TraceLevel` active; each State first touched becomes a new jaxpr input, each
State written becomes an output.  The result, a :class:`StatefulJaxpr`, is then evaluated by ``jax.jit``,
``jax.vmap``, ``jax.lax.scan`` ... as a pure function of (arguments, State values), and the transforms write the
returned State values back.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

import jax

from . import _jax_internals as jxi
from ._array import Array, unwrap
from ._state import State, TraceLevel, _STACK

__all__ = ["StatefulJaxpr", "trace_stateful", "read_values", "write_values", "flatten_args"]


@dataclasses.dataclass(eq=False)
class StatefulJaxpr:
    """A traced function: ``outs, new_written = evaluate(args, state_values)``.

    Attributes:
        closed: the jaxpr; its inputs are the flat arguments then one value per State in ``states``.
        states: the States the function touched, in discovery order.
        written: for each State, whether the function assigned it.
        out_tree: the tree structure of the function's return value.
        n_out: number of flat return leaves (the written State values follow them in the jaxpr outputs).
    """

    closed: Any
    states: list[State]
    written: list[bool]
    out_tree: Any
    n_out: int
    state_avals: list[Any]

    def evaluate(self, arg_leaves: Sequence[Any], state_values: Sequence[Any]) -> tuple[list[Any], list[Any]]:
        outs = jxi.eval_jaxpr(self.closed, *arg_leaves, *state_values)
        return list(outs[: self.n_out]), list(outs[self.n_out:])

    @property
    def written_states(self) -> list[State]:
        return [s for s, w in zip(self.states, self.written) if w]

    def unflatten(self, leaves: Sequence[Any]) -> Any:
        return jax.tree.unflatten(self.out_tree, leaves)


def _is_array_leaf(x: Any) -> bool:
    return isinstance(x, Array)


def flatten_args(args: Any) -> tuple[list[Any], Any]:
    """Flatten arguments to JAX leaves (Arrays become their values; States are refused)."""
    leaves, tree = jax.tree.flatten(args, is_leaf=_is_array_leaf)
    leaves = [unwrap(x) for x in leaves]
    for leaf in leaves:
        if isinstance(leaf, State):
            raise TypeError(
                f"{leaf!r} was passed as an argument to a transformed function. States are found automatically "
                "when the function reads them, so they must not be passed as arguments.\nFix: pass the value "
                "(state.value) if you mean a copy of it, or read the State inside the function."
            )
    return leaves, tree


def trace_stateful(
    fn: Callable[..., Any],
    arg_avals: Sequence[Any],
    *,
    transform: str,
    batch_axes: dict[int, int] | None = None,
) -> StatefulJaxpr:
    """Trace ``fn(*flat_args)`` once, discovering the States it reads and writes.

    Args:
        fn: a function of flat JAX leaves returning any pytree of arrays.
        arg_avals: ``jax.ShapeDtypeStruct`` (or arrays) describing the flat arguments.
        transform: the transform's name, for error messages.
        batch_axes: for ``vmap``: ``id(state) -> axis`` removed from the State's value for the traced member.
    """
    info: dict[str, Any] = {}

    def traced(*leaves):
        level = TraceLevel(jxi.current_trace(), transform, batch_axes)
        _STACK.levels.append(level)
        try:
            out = fn(*leaves)
        finally:
            _STACK.levels.pop()
            final = level.finish()
        out_leaves, out_tree = jax.tree.flatten(out, is_leaf=_is_array_leaf)
        out_leaves = [unwrap(x) for x in out_leaves]
        for x in out_leaves:
            if isinstance(x, State):
                raise TypeError(
                    f"brainlab.{transform}: the function returned {x!r} itself. Return its value "
                    "(state.value) instead."
                )
        info["level"] = level
        info["out_tree"] = out_tree
        info["n_out"] = len(out_leaves)
        written_values = [v for v, w in zip(final, level.written) if w]
        return out_leaves, written_values

    closed = jax.make_jaxpr(traced)(*arg_avals)
    level: TraceLevel = info["level"]
    n_args = len(arg_avals)
    n_states = len(level.states)
    if len(closed.jaxpr.invars) != n_args + n_states:  # pragma: no cover - guards a JAX internals change
        raise RuntimeError(
            f"brainlab.{transform}: internal error, the traced program has {len(closed.jaxpr.invars)} inputs "
            f"but {n_args} arguments and {n_states} States were expected. Please report this with your JAX "
            "version."
        )
    return StatefulJaxpr(
        closed=closed,
        states=list(level.states),
        written=list(level.written),
        out_tree=info["out_tree"],
        n_out=info["n_out"],
        state_avals=list(level.input_avals),
    )


def aval_of(x: Any) -> jax.ShapeDtypeStruct:
    a = jxi.abstract(x)
    return jax.ShapeDtypeStruct(a.shape, a.dtype, weak_type=getattr(a, "weak_type", False))


def read_values(states: Sequence[State]) -> list[Any]:
    """Read States in the current context (discovering them in an enclosing transform)."""
    return [s.value for s in states]


def write_values(states: Sequence[State], values: Sequence[Any]) -> None:
    for s, v in zip(states, values):
        s.value = v
