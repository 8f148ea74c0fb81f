"""``jit``: compile a stateful function or bound method once, with its States found automatically."""

from __future__ import annotations

import functools
from typing import Any, Callable, Hashable, Sequence

import jax
import numpy as np

from . import _jax_internals as jxi
from ._array import wrap
from ._state import _STACK
from ._tracing import StatefulJaxpr, aval_of, flatten_args, read_values, trace_stateful, write_values

__all__ = ["jit", "JittedFunction"]


def _leaf_key(x: Any) -> Hashable:
    if isinstance(x, jax.Array):
        return (x.shape, x.dtype, x.weak_type)
    if isinstance(x, (bool, int, float, complex)):
        return type(x)  # Python scalars are weakly typed: their value never retraces
    if isinstance(x, np.ndarray):
        return (x.shape, x.dtype, False)
    a = jxi.abstract(x)
    return (tuple(a.shape), a.dtype, getattr(a, "weak_type", False))


class _Compiled:
    __slots__ = ("sj", "call", "written_states", "state_keys")

    def __init__(self, sj: StatefulJaxpr, donate: bool):
        self.sj = sj
        self.written_states = sj.written_states
        self.state_keys = [(tuple(a.shape), a.dtype) for a in sj.state_avals]

        def run(arg_leaves, state_values):
            outs, new = sj.evaluate(arg_leaves, state_values)
            return outs, new

        self.call = jax.jit(run, donate_argnums=(1,) if donate else ())

    def states_unchanged(self) -> bool:
        for s, key in zip(self.sj.states, self.state_keys):
            v = s._value
            if (tuple(v.shape), v.dtype) != key:
                return False
        return True


class JittedFunction:
    """A compiled stateful function (returned by :func:`jit`).

    Attributes:
        trace_count: how many times the Python function was traced (once per distinct argument
            shape/dtype/static value; parameter *values* never retrace).
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        static_argnums: Sequence[int] = (),
        static_argnames: Sequence[str] = (),
        donate_states: bool = False,
        precision: str | None = None,
    ):
        if not callable(fn):
            raise TypeError(f"be.jit: expected a function or bound method, got {type(fn).__name__}.")
        self.fn = fn
        self.static_argnums = tuple(sorted(static_argnums))
        self.static_argnames = tuple(static_argnames)
        self.donate_states = donate_states
        self.precision = precision
        self.trace_count = 0
        self._cache: dict[Hashable, _Compiled] = {}
        functools.update_wrapper(self, fn, updated=())

    def __repr__(self) -> str:
        return f"be.jit({getattr(self.fn, '__qualname__', self.fn)!r}, traced {self.trace_count}x)"

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        # `@be.jit` on a method: one compiled function per instance, kept with the instance.
        if obj is None:
            return self
        cache = obj.__dict__.setdefault("_brainlab_jit_methods", {})
        bound = cache.get(id(self))
        if bound is None:
            bound = JittedFunction(
                self.fn.__get__(obj, objtype), self.static_argnums, self.static_argnames, self.donate_states,
                self.precision,
            )
            cache[id(self)] = bound
        return bound

    def _split(self, args: tuple, kwargs: dict) -> tuple[list, Any, tuple, tuple]:
        static_pos = tuple((i, args[i]) for i in self.static_argnums if i < len(args))
        dyn_args = tuple(a for i, a in enumerate(args) if i not in self.static_argnums)
        static_kw = tuple(sorted((k, v) for k, v in kwargs.items() if k in self.static_argnames))
        dyn_kw = {k: v for k, v in kwargs.items() if k not in self.static_argnames}
        leaves, tree = flatten_args((dyn_args, dyn_kw))
        return leaves, tree, static_pos, static_kw

    def _rebuild(self, tree, static_pos, static_kw, leaves):
        dyn_args, dyn_kw = jax.tree.unflatten(tree, leaves)
        args = list(dyn_args)
        for i, v in static_pos:
            args.insert(i, v)
        kw = dict(dyn_kw)
        kw.update(dict(static_kw))
        return args, kw

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.precision is not None:
            from ._precision import precision

            with precision(self.precision):
                return self._call(*args, **kwargs)
        return self._call(*args, **kwargs)

    def _call(self, *args: Any, **kwargs: Any) -> Any:
        leaves, tree, static_pos, static_kw = self._split(args, kwargs)
        leaves = [x if isinstance(x, (jax.Array, jxi.Tracer, bool, int, float, complex, np.ndarray))
                  else jax.numpy.asarray(x) for x in leaves]
        try:
            key = (tree, tuple(_leaf_key(x) for x in leaves), static_pos, static_kw, jxi.x64_enabled())
            hash(key)
        except TypeError as err:
            raise TypeError(
                f"be.jit({getattr(self.fn, '__qualname__', self.fn)}): a static argument is not hashable "
                f"({err}). Static arguments must be hashable (use tuples instead of lists)."
            ) from None
        compiled = self._cache.get(key)
        if compiled is None or not compiled.states_unchanged():
            avals = [aval_of(x) for x in leaves]

            def flat_fn(*flat):
                a, kw = self._rebuild(tree, static_pos, static_kw, [wrap(x) for x in flat])
                return self.fn(*a, **kw)

            sj = trace_stateful(flat_fn, avals, transform="jit")
            self.trace_count += 1
            compiled = _Compiled(sj, self.donate_states and not _STACK.levels)
            self._cache[key] = compiled
        if _STACK.levels:
            outs, new = compiled.call(leaves, read_values(compiled.sj.states))
            write_values(compiled.written_states, new)
        else:
            # top level: the compiled program returns exactly the States' shapes and dtypes (checked while
            # tracing), so values are exchanged directly.
            outs, new = compiled.call(leaves, [s._value for s in compiled.sj.states])
            for s, v in zip(compiled.written_states, new):
                s._value = v
        return jax.tree.map(wrap, compiled.sj.unflatten(outs))


def jit(
    fn: Callable[..., Any] | None = None,
    *,
    static_argnums: int | Sequence[int] = (),
    static_argnames: str | Sequence[str] = (),
    donate_states: bool = False,
    precision: str | None = None,
) -> Any:
    """Compile ``fn`` with XLA; States it reads or writes are found automatically in one trace.

    ``fn`` may be a function, a bound method (``be.jit(model.step)``) or, as a decorator, a method definition.
    The Python function runs once per distinct combination of argument shapes/dtypes, static argument values and
    State shapes/dtypes; changing a State's *value* (a parameter, say) never retraces and never goes stale.

    Args:
        fn: the function to compile.
        static_argnums, static_argnames: arguments treated as compile-time constants (must be hashable).
        donate_states: let XLA reuse the memory of written States (faster for large States; their old
            buffers become invalid).
        precision: ``'float64'`` to trace and run this function with 64-bit floats (thread-local, see
            :func:`precision`); ``None`` uses the caller's context.

    Example:
        >>> import brainlab.engine as be
        >>> class Counter(be.Module):
        ...     def __init__(self):
        ...         self.n = be.State(0); self.x = be.State(be.zeros(3))
        ...     def step(self, inc):
        ...         self.n.value += 1
        ...         self.x.value = self.x.value + inc * be.random.rand(3)
        ...         return self.x.value.sum()
        >>> c = Counter(); f = be.jit(c.step); _ = f(1.0); _ = f(2.0)
        >>> int(c.n.value), f.trace_count
        (2, 1)
    """
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    if isinstance(static_argnames, str):
        static_argnames = (static_argnames,)
    if fn is None:
        return lambda f: JittedFunction(f, static_argnums, static_argnames, donate_states, precision)
    if isinstance(fn, JittedFunction) and precision is None:
        return fn
    return JittedFunction(fn, static_argnums, static_argnames, donate_states, precision)
