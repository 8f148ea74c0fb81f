"""``Array``: a mutable, numpy-like wrapper over a JAX array.

JAX arrays are immutable; models written in the numpy style want ``x[i] += y`` and ``v[spiking] = v_reset``.
An :class:`Array` holds a JAX array and rebinds it on every in-place operation, so the numpy idiom works both
eagerly and inside brainlab transforms (where the held value is a tracer).  ``Array`` is a pytree with one leaf,
so ``jax.numpy`` functions and ``jax.jit`` accept it, and ``np.asarray`` converts it.

Assignment semantics follow numpy: ``a += 1`` mutates ``a`` (and every other name bound to the same object),
in-place arithmetic keeps ``a``'s dtype (a float result written into an integer array raises, as in numpy), and
``a[idx] = v`` casts ``v`` to ``a``'s dtype.

Reductions (``a.sum()``, ``a.prod()``, ``a.mean()``, ``a.std()``, ``a.cumsum()``, ...) are XLA's, whose order of
combining elements is not numpy's: the error bounds that hold for every order, and the NaN and inf rules, are
stated under "Floating-point order" in :mod:`brainlab.engine._numpy`.
"""

from __future__ import annotations

import operator
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["Array", "unwrap", "wrap"]


def unwrap(x: Any) -> Any:
    """The JAX value inside an :class:`Array` (other objects are returned unchanged)."""
    return x._value if isinstance(x, Array) else x


def _unwrap_tree(tree: Any) -> Any:
    return jax.tree.map(unwrap, tree, is_leaf=lambda x: isinstance(x, Array))


def wrap(x: Any) -> Any:
    """Wrap JAX arrays (and tracers) into :class:`Array`; leave everything else alone."""
    if isinstance(x, (jax.Array, jax.core.Tracer)):
        return Array(x)
    return x


def _wrap_tree(tree: Any) -> Any:
    return jax.tree.map(wrap, tree)


@jax.tree_util.register_pytree_node_class
class Array:
    """A mutable numpy-like array backed by a JAX array.

    Example:
        >>> import brainlab.engine as be
        >>> b = be.arange(5)
        >>> b[0] += 5
        >>> b
        Array([5, 1, 2, 3, 4], dtype=int32)
        >>> b[b > 3] = 0
        >>> b
        Array([0, 1, 2, 3, 0], dtype=int32)
    """

    __slots__ = ("_value",)
    __array_priority__ = 100

    def __init__(self, value: Any, dtype: Any = None):
        value = unwrap(value)
        if isinstance(value, jax.Array) and dtype is None:
            pass
        elif not isinstance(value, jax.core.Tracer):
            value = jnp.asarray(value, dtype=dtype)
        elif dtype is not None:
            value = value.astype(dtype)
        object.__setattr__(self, "_value", value)

    # -- pytree -------------------------------------------------------------------------------------------
    def tree_flatten(self):
        return (self._value,), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        obj = object.__new__(cls)
        object.__setattr__(obj, "_value", children[0])
        return obj

    # -- value access -------------------------------------------------------------------------------------
    @property
    def value(self) -> jax.Array:
        """The JAX array this object currently holds."""
        return self._value

    @value.setter
    def value(self, new: Any) -> None:
        new = jnp.asarray(unwrap(new))
        if new.shape != self._value.shape:
            raise ValueError(
                f"Array.value: cannot assign a value of shape {new.shape} to an Array of shape "
                f"{self._value.shape}. Create a new Array instead (be.asarray(new)), or assign into a slice."
            )
        object.__setattr__(self, "_value", new.astype(self._value.dtype))

    def __jax_array__(self) -> jax.Array:
        return self._value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = np.asarray(self._value)
        if dtype is not None:
            arr = arr.astype(dtype)
        return arr

    # -- basic attributes ---------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._value.shape)

    @property
    def dtype(self) -> np.dtype:
        return self._value.dtype

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def size(self) -> int:
        return int(self._value.size)

    @property
    def T(self) -> "Array":
        return Array(self._value.T)

    @property
    def real(self) -> "Array":
        return Array(self._value.real)

    @property
    def imag(self) -> "Array":
        return Array(self._value.imag)

    @property
    def at(self):
        """JAX's functional update helper (``x.at[i].set(v)`` returns a new JAX array)."""
        return self._value.at

    def __len__(self) -> int:
        if self._value.ndim == 0:
            raise TypeError("len() of unsized object (a 0-d Array)")
        return self._value.shape[0]

    def __iter__(self):
        if self._value.ndim == 0:
            raise TypeError("iteration over a 0-d Array")
        for i in range(self._value.shape[0]):
            yield Array(self._value[i])

    def __bool__(self) -> bool:
        return bool(self._value)

    def __float__(self) -> float:
        return float(self._value)

    def __int__(self) -> int:
        return int(self._value)

    def __index__(self) -> int:
        return operator.index(self._value)

    def __complex__(self) -> complex:
        return complex(self._value)

    def __hash__(self):  # numpy arrays are unhashable; so are we
        raise TypeError("unhashable type: 'Array'")

    def __repr__(self) -> str:
        v = self._value
        if isinstance(v, jax.core.Tracer):
            return f"Array({v})"
        text = np.array_repr(np.asarray(v))
        body = text[len("array"):]
        if "dtype=" not in text:
            body = body[:-1] + f", dtype={np.dtype(v.dtype).name})"
        return "Array" + body.replace("\n      ", "\n      ")

    def __str__(self) -> str:
        return str(np.asarray(self._value)) if not isinstance(self._value, jax.core.Tracer) else repr(self)

    def __format__(self, spec: str) -> str:
        if self._value.ndim == 0 and not isinstance(self._value, jax.core.Tracer):
            return format(np.asarray(self._value).item(), spec)
        return format(str(self), spec)

    # -- indexing -----------------------------------------------------------------------------------------
    def __getitem__(self, idx: Any) -> "Array":
        return Array(self._value[_unwrap_tree(idx)])

    def __setitem__(self, idx: Any, val: Any) -> None:
        idx = _unwrap_tree(idx)
        val = jnp.asarray(unwrap(val))
        new = self._value.at[idx].set(val.astype(self._value.dtype))
        object.__setattr__(self, "_value", new)

    # -- methods forwarded to the JAX array ---------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(self._value, name)
        if callable(attr):
            def method(*args, **kwargs):
                return _wrap_tree(attr(*_unwrap_tree(args), **_unwrap_tree(kwargs)))

            method.__name__ = name
            method.__doc__ = getattr(attr, "__doc__", None)
            return method
        return _wrap_tree(attr)

    def __dir__(self):
        return sorted(set(object.__dir__(self)) | set(dir(self._value)))

    def numpy(self) -> np.ndarray:
        """A numpy copy of the data."""
        return np.asarray(self._value)

    def tolist(self) -> Any:
        return np.asarray(self._value).tolist()

    def item(self) -> Any:
        return np.asarray(self._value).item()

    def copy(self) -> "Array":
        return Array(jnp.array(self._value, copy=True))

    def fill(self, value: Any) -> None:
        object.__setattr__(self, "_value", jnp.full_like(self._value, unwrap(value)))

    def __copy__(self) -> "Array":
        return Array(self._value)

    def __deepcopy__(self, memo) -> "Array":
        return Array(self._value)


def _binary(op: Callable) -> tuple[Callable, Callable]:
    def forward(self, other):
        return Array(op(self._value, unwrap(other)))

    def backward(self, other):
        return Array(op(unwrap(other), self._value))

    return forward, backward


def _inplace(op: Callable, name: str) -> Callable:
    def method(self, other):
        result = jnp.asarray(op(self._value, unwrap(other)))
        if result.shape != self._value.shape:
            raise ValueError(
                f"Array {name}: in-place operation would change the shape from {self._value.shape} to "
                f"{result.shape} (numpy refuses this too). Use the out-of-place form `x = x {name[:-1]} y`."
            )
        if result.dtype != self._value.dtype:
            if not np.can_cast(result.dtype, self._value.dtype, casting="same_kind"):
                raise TypeError(
                    f"Array {name}: cannot cast the result from {result.dtype} to the Array's dtype "
                    f"{self._value.dtype} in place (numpy's same_kind rule). Convert first: "
                    f"`x = x.astype({result.dtype.name})`."
                )
            result = result.astype(self._value.dtype)
        object.__setattr__(self, "_value", result)
        return self

    return method


_BINARY = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
    "floordiv": operator.floordiv, "mod": operator.mod, "pow": operator.pow, "matmul": operator.matmul,
    "and": operator.and_, "or": operator.or_, "xor": operator.xor, "lshift": operator.lshift,
    "rshift": operator.rshift,
}
for _name, _op in _BINARY.items():
    _f, _b = _binary(_op)
    setattr(Array, f"__{_name}__", _f)
    setattr(Array, f"__r{_name}__", _b)
    setattr(Array, f"__i{_name}__", _inplace(_op, f"__i{_name}__"))

for _name, _op in {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
                   "eq": operator.eq, "ne": operator.ne}.items():
    setattr(Array, f"__{_name}__", _binary(_op)[0])


def _divmod(self, other):
    q, r = divmod(self._value, unwrap(other))
    return Array(q), Array(r)


Array.__divmod__ = _divmod
Array.__neg__ = lambda self: Array(-self._value)
Array.__pos__ = lambda self: Array(+self._value)
Array.__abs__ = lambda self: Array(abs(self._value))
Array.__invert__ = lambda self: Array(~self._value)
Array.__round__ = lambda self, ndigits=0: Array(jnp.round(self._value, ndigits))
