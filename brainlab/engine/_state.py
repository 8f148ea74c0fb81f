"""States: mutable containers whose reads and writes inside transforms are discovered while tracing.

A :class:`State` holds one JAX array.  Outside transforms, ``state.value`` reads and writes it directly.  Inside a
brainlab transform (``jit``, ``grad``, ``vmap``, ``for_loop`` ...), the transform traces the user's function once;
the first time a State is touched during that trace it becomes an extra input of the traced program (its
current value is fed in on every call), and every State written becomes an extra output (written back after
the call).  The user's Python code therefore runs once per compilation, and a State changed between calls is
never baked in as a stale constant.

A State keeps one shape and dtype for its whole life: assigning a value of another shape or dtype raises,
because it would silently retrace compiled code.  Change it deliberately with :meth:`State.set_value` and
``reshape=True``.
"""

from __future__ import annotations

import threading
from typing import Any, Iterator

import jax
import jax.numpy as jnp
import numpy as np

from . import _jax_internals as jxi
from ._array import Array, unwrap

__all__ = [
    "State",
    "ParamState",
    "HiddenState",
    "RandomKeyState",
    "StateError",
    "TracerLeakError",
]


class StateError(ValueError):
    """A State was used in a way that would give wrong or stale results."""


class TracerLeakError(StateError):
    """A State holds a value from inside a transform that has finished."""


# ------------------------------------------------------------------------------------------------------------
# Trace levels
# ------------------------------------------------------------------------------------------------------------


class _Stack(threading.local):
    def __init__(self) -> None:
        self.levels: list[TraceLevel] = []


_STACK = _Stack()


def active_levels() -> list["TraceLevel"]:
    return _STACK.levels


class TraceLevel:
    """The States one transform's function touches while it is traced.

    ``batch_axes`` maps a State to the axis that a ``vmap`` removes from its value (the member's value is then
    traced with that axis dropped).
    """

    def __init__(self, jax_trace: Any, transform: str, batch_axes: dict[int, int] | None = None):
        self.jax_trace = jax_trace
        self.transform = transform
        self.batch_axes = batch_axes or {}
        self.states: list[State] = []
        self._position: dict[int, int] = {}
        self._saved: list[Any] = []
        self.written: list[bool] = []
        self.input_avals: list[Any] = []

    # discovery --------------------------------------------------------------------------------------------
    def discover(self, state: "State") -> None:
        if id(state) in self._position:
            return
        outer = state._value
        aval = jxi.abstract(outer)
        axis = self.batch_axes.get(id(state))
        if axis is not None:
            shape = list(aval.shape)
            del shape[axis]
            aval = jxi.shaped(tuple(shape), aval.dtype)
        else:
            aval = jxi.shaped(aval.shape, aval.dtype)
        tracer = jxi.new_input(self.jax_trace, aval)
        self._position[id(state)] = len(self.states)
        self.states.append(state)
        self._saved.append(outer)
        self.written.append(False)
        self.input_avals.append(aval)
        state._value = tracer

    def owns(self, state: "State") -> bool:
        return state._created_in is self

    def _discover_through_stack(self, state: "State") -> None:
        """Discover ``state`` in every enclosing level first, outermost first.

        A State first touched inside a nested transform (a ``for_loop`` inside a ``vmap``) must enter the outer
        traces too, so that its value inside the inner trace has the outer trace's (e.g. per-member) shape.
        """
        if id(state) in self._position:
            return
        levels = _STACK.levels
        mine = next(i for i, lvl in enumerate(levels) if lvl is self)
        start = 0
        if state._created_in is not None:
            start = next((i + 1 for i, lvl in enumerate(levels) if lvl is state._created_in), 0)
        for lvl in levels[start:mine + 1]:
            lvl.discover(state)

    def read(self, state: "State") -> Any:
        if not self.owns(state):
            self._discover_through_stack(state)
        return state._value

    def write(self, state: "State", value: Any) -> None:
        if not self.owns(state):
            self._discover_through_stack(state)
            self.written[self._position[id(state)]] = True
        state._value = value

    def finish(self) -> list[Any]:
        """Restore every discovered State to its value before the trace; return the values at the end."""
        final = []
        for state, saved in zip(self.states, self._saved):
            final.append(state._value)
            state._value = saved
        return final

    def written_states(self) -> list["State"]:
        return [s for s, w in zip(self.states, self.written) if w]


def _allowed_traces() -> set[int]:
    return {id(level.jax_trace) for level in _STACK.levels}


def _describe_where(state: "State") -> str:
    return f"State {state.name!r}" if state.name else f"a State of shape {state.shape} and dtype {state.dtype}"


# ------------------------------------------------------------------------------------------------------------
# State
# ------------------------------------------------------------------------------------------------------------


class State:
    """A mutable value that brainlab transforms discover automatically.

    Args:
        value: the initial value (array-like; an :class:`Array`, a JAX or numpy array, or a Python number).
        name: a readable name used in error messages; :class:`~brainlab.engine.Module` names its States after the
            attribute they are assigned to.

    Example:
        >>> import brainlab.engine as be
        >>> count = be.State(0)
        >>> @be.jit
        ... def tick():
        ...     count.value += 1
        >>> tick(); tick(); int(count.value)
        2
    """

    __slots__ = ("_value", "_init", "_init_pinned", "name", "_created_in", "__weakref__")
    kind = "state"

    def __init__(self, value: Any, name: str | None = None):
        value = unwrap(value)
        if isinstance(value, State):
            value = value.value
        if not isinstance(value, jxi.Tracer):
            value = jnp.asarray(value)
            if value.dtype == jnp.float64 and not jxi.x64_enabled():
                value = value.astype(jnp.float32)
            # a Python number gives a weakly typed array; a State's dtype is fixed, so make it strong.  A host
            # round trip does that without compiling a conversion per shape and dtype (as convert_element_type
            # would, ~20-90 ms each when a network is built).
            if getattr(value, "weak_type", False):
                value = jax.device_put(np.asarray(value))
        elif not isinstance(value, jax.Array) and not hasattr(value, "shape"):
            raise TypeError(f"State: expected an array value, got {type(value).__name__}.")
        self._value = value
        self._init = value
        self._init_pinned = False
        self.name = name
        levels = _STACK.levels
        self._created_in = levels[-1] if levels else None

    # reading ---------------------------------------------------------------------------------------------
    @property
    def value(self) -> jax.Array:
        """The current value (a JAX array; a tracer while a transform traces)."""
        levels = _STACK.levels
        if levels:
            return levels[-1].read(self)
        v = self._value
        if isinstance(v, jxi.Tracer) and jxi.is_top_level():
            raise self._leak_error()
        return v

    @value.setter
    def value(self, new: Any) -> None:
        self.set_value(new)

    def set_value(self, new: Any, *, reshape: bool = False) -> None:
        """Assign a new value.

        Args:
            new: the new value; it must have this State's shape and dtype.  Python numbers and weakly typed
                values are cast to the State's dtype.
            reshape: allow a different shape or dtype (outside transforms only).  Compiled functions that use
                this State recompile on their next call.
        """
        new = unwrap(new)
        if isinstance(new, State):
            new = new.value
        if not isinstance(new, jxi.Tracer):
            new = jnp.asarray(new)
        levels = _STACK.levels
        if reshape:
            if levels or isinstance(new, jxi.Tracer):
                raise StateError(
                    f"{_describe_where(self)}: set_value(..., reshape=True) is only allowed outside transforms, "
                    "because a compiled function cannot change the shape of its inputs while it runs."
                )
            self._value = new
            return
        if levels and not levels[-1].owns(self):
            levels[-1]._discover_through_stack(self)  # compare against the traced (e.g. per-member) value
        new = self._checked(new)
        if isinstance(new, jxi.Tracer):
            trace = jxi.tracer_trace(new)
            if not levels:
                raise StateError(
                    f"{_describe_where(self)} was written inside a raw JAX transformation "
                    f"({type(trace).__name__}), e.g. jax.jit, jax.vmap, jax.grad or jax.lax.scan. The written "
                    "value would be a tracer that dies with that transformation, and later reads would fail or "
                    "be stale.\nFix: use brainlab's transforms (be.jit, be.vmap, be.grad, be.for_loop, be.cond, "
                    "be.while_loop), which thread States through the compiled code."
                )
            if id(trace) not in _allowed_traces():
                raise StateError(
                    f"{_describe_where(self)} was written inside a raw JAX transformation "
                    f"({type(trace).__name__}) nested in brainlab.{levels[-1].transform}. brainlab cannot carry "
                    "the written value out of it.\nFix: replace the raw JAX transformation (jax.lax.scan, "
                    "jax.lax.fori_loop, jax.lax.cond, jax.vmap ...) with its brainlab counterpart (be.for_loop, "
                    "be.cond, be.vmap ...), or return the value from it and assign the State outside."
                )
        if levels:
            levels[-1].write(self, new)
        else:
            self._value = new

    def _checked(self, new: Any) -> Any:
        old = self._value
        old_shape, old_dtype = tuple(jnp.shape(old)), jnp.result_type(old)
        new_shape = tuple(jnp.shape(new))
        new_dtype = jnp.result_type(new)
        if new_shape != old_shape:
            raise StateError(
                f"{_describe_where(self)} has shape {old_shape} (dtype {np.dtype(old_dtype).name}), but was "
                f"assigned a value of shape {new_shape} (dtype {np.dtype(new_dtype).name}). A State keeps one "
                "shape so that compiled code never silently retraces.\nFix: assign a value of shape "
                f"{old_shape}, or change it deliberately outside transforms with "
                "state.set_value(new, reshape=True)."
            )
        weak = bool(getattr(jxi.abstract(new), "weak_type", False))
        if new_dtype != old_dtype:
            both_float = jnp.issubdtype(new_dtype, jnp.floating) and jnp.issubdtype(old_dtype, jnp.floating)
            both_int = jnp.issubdtype(new_dtype, jnp.integer) and jnp.issubdtype(old_dtype, jnp.integer)
            if not (weak or both_float or both_int):
                raise StateError(
                    f"{_describe_where(self)} has dtype {np.dtype(old_dtype).name} (shape {old_shape}), but was "
                    f"assigned a value of dtype {np.dtype(new_dtype).name}. A State keeps one dtype so that "
                    f"compiled code never silently retraces.\nFix: cast the value, e.g. "
                    f"`value.astype({np.dtype(old_dtype).name})`, or change the State deliberately outside "
                    "transforms with state.set_value(new, reshape=True)."
                )
            return jax.lax.convert_element_type(new, old_dtype)
        if weak:
            return jax.lax.convert_element_type(new, old_dtype)
        return new

    def _leak_error(self) -> TracerLeakError:
        created = ""
        if self._created_in is not None:
            created = (
                f" It was created inside brainlab.{self._created_in.transform}, so its value only existed "
                "while that function was traced."
            )
        return TracerLeakError(
            f"{_describe_where(self)} holds a tracer from a transformation that has finished (a leaked "
            f"tracer).{created}\nFix: create States outside transformed functions (e.g. in a Module's "
            "__init__), and write States only inside brainlab transforms, never raw jax.jit/jax.lax loops."
        )

    # conveniences ----------------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the value (inside ``vmap``: a member's shape, without the batch axis)."""
        return tuple(jnp.shape(self.value if _STACK.levels else self._value))

    @property
    def dtype(self) -> np.dtype:
        return jnp.result_type(self.value if _STACK.levels else self._value)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __getitem__(self, idx: Any) -> Array:
        return Array(self.value[jax.tree.map(unwrap, idx)])

    def __setitem__(self, idx: Any, val: Any) -> None:
        cur = self.value
        self.value = cur.at[jax.tree.map(unwrap, idx)].set(jnp.asarray(unwrap(val)).astype(cur.dtype))

    def __jax_array__(self) -> jax.Array:
        return self.value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = np.asarray(self.value)
        return arr.astype(dtype) if dtype is not None else arr

    def numpy(self) -> np.ndarray:
        return np.asarray(self.value)

    def reset(self) -> None:
        """Restore the initial value: the one the State was created with, or the last :meth:`set_initial`."""
        self.value = self._init

    def set_initial(self, value: Any) -> None:
        """Set the value now *and* make it the one :meth:`reset` restores (e.g. random initial potentials).

        A model's ``reset()`` normally recomputes its variables from the current parameters (``V = V_rest``);
        a variable whose initial value was set here keeps it instead.

        Example:
            >>> import brainlab.engine as be
            >>> V = be.State(be.zeros(3)); V.set_initial(be.array([-60., -55., -52.]))
            >>> V.value = V.value + 1.; V.reset(); V.value
            Array([-60., -55., -52.], dtype=float32)
        """
        self.value = value
        self._init = self._value
        self._init_pinned = True

    def __repr__(self) -> str:
        v = self._value
        dtype = np.dtype(jnp.result_type(v)).name
        shape = ",".join(str(s) for s in jnp.shape(v))
        name = f"{self.name!r}, " if self.name else ""
        return f"{type(self).__name__}({name}{dtype}[{shape}])"

    # Binary arithmetic reads the value, so a State can be used directly in expressions.
    def _op(op):  # noqa: N805 - helper used at class creation
        def f(self, other):
            return op(self.value, unwrap(other.value if isinstance(other, State) else other))

        def r(self, other):
            return op(unwrap(other), self.value)

        return f, r

    import operator as _operator

    __add__, __radd__ = _op(_operator.add)
    __sub__, __rsub__ = _op(_operator.sub)
    __mul__, __rmul__ = _op(_operator.mul)
    __truediv__, __rtruediv__ = _op(_operator.truediv)
    __pow__, __rpow__ = _op(_operator.pow)
    __matmul__, __rmatmul__ = _op(_operator.matmul)
    __lt__ = _op(_operator.lt)[0]
    __le__ = _op(_operator.le)[0]
    __gt__ = _op(_operator.gt)[0]
    __ge__ = _op(_operator.ge)[0]
    del _op, _operator

    def __neg__(self):
        return -self.value

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


class ParamState(State):
    """A parameter: changes take effect on the next call without recompiling; :meth:`Module.reset` keeps it."""

    __slots__ = ()
    kind = "param"


class HiddenState(State):
    """A dynamical variable (a membrane potential, a gating variable ...); :meth:`Module.reset` restores it."""

    __slots__ = ()
    kind = "hidden"


class RandomKeyState(State):
    """The key of a random generator.  ``vmap`` gives each batch member its own key automatically."""

    __slots__ = ()
    kind = "random"


def iter_states(obj: Any) -> Iterator[State]:
    """Every State reachable inside a container (list, tuple, dict) or a single State."""
    if isinstance(obj, State):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from iter_states(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from iter_states(v)
