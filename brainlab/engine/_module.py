"""``Module``: the base of objects that hold States and other Modules.

Modules have reference semantics (like Python objects, unlike JAX pytrees): a transform of a bound method
``be.jit(model.step)`` reads and writes the very States of ``model``.  A Module needs no ``super().__init__()``
call; assigning a State to an attribute names it after the attribute, so error messages say which variable of
which object went wrong.
"""

from __future__ import annotations

import copy
from typing import Any, Iterator

import jax.numpy as jnp

from ._state import State

__all__ = ["Module", "stack_modules", "unstack_module"]


def _children(obj: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield f"{prefix}.{i}", v
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield f"{prefix}.{k}", v


class Module:
    """Base class for stateful objects.

    Subclasses assign :class:`State` objects and other Modules as attributes (directly, or inside lists, tuples
    and dicts).  ``states()`` lists them by path, ``reset()`` restores the dynamical ones.

    Example:
        >>> import brainlab.engine as be
        >>> class Counter(be.Module):
        ...     def __init__(self):
        ...         self.n = be.State(0)
        ...     def step(self):
        ...         self.n.value += 1
        >>> c = Counter(); f = be.jit(c.step); f(); f()
        >>> int(c.n.value), list(c.states())
        (2, ['n'])
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, State) and value.name is None:
            value.name = f"{type(self).__name__}.{name}"
        object.__setattr__(self, name, value)

    # traversal -------------------------------------------------------------------------------------------
    def _walk(self, prefix: str, seen: set[int]) -> Iterator[tuple[str, Any]]:
        if id(self) in seen:
            return
        seen.add(id(self))
        for name, value in vars(self).items():
            if name.startswith("_"):
                continue
            path = f"{prefix}{name}"
            stack = [(path, value)]
            while stack:
                p, v = stack.pop(0)
                if isinstance(v, State):
                    if id(v) not in seen:
                        seen.add(id(v))
                        yield p, v
                elif isinstance(v, Module):
                    yield p, v
                    yield from v._walk(p + ".", seen)
                elif isinstance(v, (list, tuple, dict)):
                    stack[0:0] = list(_children(v, p))

    def states(self, kind: str | type | None = None) -> dict[str, State]:
        """Every State of this Module and its sub-Modules, keyed by attribute path.

        Args:
            kind: keep only one kind: a State subclass (``be.ParamState``) or its ``kind`` string
                (``'param'``, ``'hidden'``, ``'random'``, ``'state'``).
        """
        out = {}
        for path, v in self._walk("", set()):
            if not isinstance(v, State):
                continue
            if kind is None or (isinstance(kind, str) and v.kind == kind) or (
                isinstance(kind, type) and isinstance(v, kind)
            ):
                out[path] = v
        return out

    def modules(self) -> dict[str, "Module"]:
        """Every sub-Module, keyed by attribute path."""
        return {p: v for p, v in self._walk("", set()) if isinstance(v, Module)}

    def reset(self) -> None:
        """Restore every State to its initial value, except parameters (``ParamState``) and random keys.

        Sub-Modules that define ``reset_state()`` have it called after their States are restored.
        """
        for state in self.states().values():
            if state.kind in ("param", "random"):
                continue
            state.reset()
        for module in [self, *self.modules().values()]:
            hook = getattr(module, "reset_state", None)
            if callable(hook):
                hook()

    def state_dict(self) -> dict[str, Any]:
        """The current values of all States, by path (numpy arrays; safe to save)."""
        import numpy as np

        return {p: np.asarray(s.value) for p, s in self.states().items()}

    def load_state_dict(self, values: dict[str, Any], strict: bool = True) -> None:
        """Assign State values saved by :meth:`state_dict` (shapes and dtypes must match)."""
        states = self.states()
        missing = sorted(set(states) - set(values))
        unknown = sorted(set(values) - set(states))
        if strict and (missing or unknown):
            raise KeyError(
                f"{type(self).__name__}.load_state_dict: the saved values do not match this object's States "
                f"(missing: {missing}, unknown: {unknown}). Pass strict=False to load the common ones."
            )
        for p, v in values.items():
            if p in states:
                states[p].value = v

    def __repr__(self) -> str:
        parts = []
        for name, value in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(value, (State, Module)):
                text = repr(value)
            elif isinstance(value, (int, float, str, bool)) or value is None:
                text = repr(value)
            else:
                continue
            parts.append(f"  {name}={text.replace(chr(10), chr(10) + '  ')},")
        if not parts:
            return f"{type(self).__name__}()"
        return f"{type(self).__name__}(\n" + "\n".join(parts) + "\n)"


def stack_modules(modules: list[Module]) -> Module:
    """One Module whose every State stacks the values of ``modules`` along a new leading axis.

    All modules must have the same structure (same State paths, shapes and dtypes).  Use the result with
    ``be.vmap(stacked.method, in_states=stacked)`` to run every copy at once.

    Example:
        >>> import brainlab.engine as be
        >>> class Leak(be.Module):
        ...     def __init__(self, keep):
        ...         self.keep = be.ParamState(keep)      # a State, so each copy's value is stacked too
        ...         self.x = be.State(be.ones(2))
        ...     def step(self, drive):
        ...         self.x.value = self.keep.value * self.x.value + drive
        ...         return self.x.value
        >>> batch = be.stack_modules([Leak(k) for k in (0.5, 0.9, 1.0)])
        >>> batch.x.value.shape, batch.keep.value.shape
        ((3, 2), (3,))
        >>> be.vmap(batch.step, in_axes=None, in_states=batch)(1.)
        Array([[1.5, 1.5],
               [1.9, 1.9],
               [2. , 2. ]], dtype=float32)
    """
    if not modules:
        raise ValueError("stack_modules: got an empty list; pass at least one Module.")
    first = modules[0]
    per = [m.states() for m in modules]
    paths = list(per[0])
    for i, s in enumerate(per[1:], 1):
        if list(s) != paths:
            raise ValueError(
                f"stack_modules: module {i} has States {list(s)} but module 0 has {paths}; all modules must "
                "have the same structure."
            )
    stacked = copy.deepcopy(first)
    for path, state in stacked.states().items():
        values = [p[path].value for p in per]
        shapes = {tuple(v.shape) for v in values}
        if len(shapes) != 1:
            raise ValueError(f"stack_modules: State {path!r} has different shapes across modules: {shapes}.")
        state.set_value(jnp.stack(values), reshape=True)
        state._init = jnp.stack([p[path]._init for p in per])
        state._init_pinned = any(p[path]._init_pinned for p in per)
    return stacked


def unstack_module(stacked: Module, index: int) -> Module:
    """A copy of member ``index`` of a stacked Module (see :func:`stack_modules`)."""
    out = copy.deepcopy(stacked)
    for path, state in out.states().items():
        state.set_value(state.value[index], reshape=True)
        state._init = state._init[index]
    return out
