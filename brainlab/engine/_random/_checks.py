"""Argument handling shared by every sampler: parameters, output shapes, dtypes and numpy-style value errors.

Value checks (``scale >= 0``, ``0 <= p <= 1`` ...) run on concrete values only.  Inside a transform a parameter
that is an argument of the compiled function is a tracer whose value is unknown while tracing, so its check is
skipped; an invalid traced value then gives meaningless numbers (NaN, clipped or sign-flipped samples), as in
``jax.random``.
"""

from __future__ import annotations

import operator
from typing import Any, Callable, Sequence, Union

import jax
import jax.numpy as jnp
import numpy as np

from .. import _jax_internals as jxi
from .._array import Array, unwrap
from .._state import State

__all__ = [
    "ArrayLike",
    "Size",
    "param",
    "concrete",
    "normalize_size",
    "output_shape",
    "float_dtype",
    "int_dtype",
    "check_values",
    "check_nonnegative",
    "check_positive",
    "check_probability",
]

#: Anything a sampler accepts as a parameter: a brainlab Array, a JAX or numpy array, a Python number or list.
ArrayLike = Union[Array, jax.typing.ArrayLike, Sequence[Any]]
#: An output shape in numpy's convention: ``None`` (the parameters' broadcast shape), an int or a tuple of ints.
Size = Union[int, Sequence[int], None]


def param(x: Any) -> Any:
    """A sampler parameter as a JAX/numpy value (Arrays and States unwrapped, lists made arrays)."""
    if isinstance(x, State):
        x = x.value
    x = unwrap(x)
    if isinstance(x, (list, tuple)):
        items = jax.tree.map(unwrap, list(x), is_leaf=lambda v: isinstance(v, Array))
        traced = any(isinstance(v, jxi.Tracer) for v in jax.tree.leaves(items))
        x = jnp.asarray(items) if traced else np.asarray(items)
    return x


def concrete(x: Any) -> np.ndarray | None:
    """The value of ``x`` as numpy, or ``None`` when it is a tracer (unknown while a transform traces)."""
    if isinstance(x, jxi.Tracer):
        return None
    return np.asarray(x)


def normalize_size(where: str, size: Any) -> tuple[int, ...] | None:
    """``size`` as a tuple of non-negative ints (``None`` stays ``None``)."""
    if size is None:
        return None
    try:
        dims = (operator.index(size),)
    except TypeError:
        try:
            dims = tuple(operator.index(unwrap(d)) for d in size)
        except TypeError:
            raise TypeError(
                f"{where}: argument `size` must be None, an int or a tuple of ints (the output shape), got "
                f"{size!r}.\nFix: pass e.g. size=100 or size=(10, 3)."
            ) from None
    if any(d < 0 for d in dims):
        raise ValueError(
            f"{where}: argument `size` has a negative dimension: {dims}.\nFix: every dimension must be >= 0."
        )
    return dims


def output_shape(where: str, size: Any, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The output shape: ``size``, or the broadcast of the parameter shapes when ``size`` is None.

    Raises when the parameters do not broadcast together, or their broadcast shape does not fit ``size``
    (numpy's rule: the parameters must broadcast to exactly ``size``).
    """
    size = normalize_size(where, size)
    try:
        bshape = tuple(np.broadcast_shapes(*shapes)) if shapes else ()
    except ValueError:
        raise ValueError(
            f"{where}: the parameters have shapes {', '.join(map(str, shapes))}, which do not broadcast "
            "together.\nFix: give parameters whose shapes broadcast (numpy rules: trailing dimensions equal "
            "or 1)."
        ) from None
    if size is None:
        return bshape
    try:
        fits = tuple(np.broadcast_shapes(size, bshape)) == size
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{where}: the parameters broadcast to shape {bshape}, which does not fit size={size}.\nFix: choose a "
            f"size whose trailing dimensions match {bshape} (e.g. size={(2,) + bshape}), or pass size=None to "
            "get one sample per parameter value."
        )
    return size


def float_dtype(*params: Any) -> np.dtype:
    """The floating dtype of a sample: float32 by default, float64 under ``jax.enable_x64(True)``.

    Floating parameters of lower precision (float16, bfloat16) are kept, following JAX's promotion rules.
    """
    dtype = jnp.result_type(*[p for p in params if hasattr(p, "dtype")], float)
    if not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.result_type(float)
    return np.dtype(dtype)


def int_dtype() -> np.dtype:
    """The default integer dtype: int32, or int64 under ``jax.enable_x64(True)``."""
    return np.dtype(jax.dtypes.canonicalize_dtype(np.int64))


def check_values(
    where: str,
    name: str,
    x: Any,
    ok: Callable[[np.ndarray], np.ndarray],
    requirement: str,
    fix: str,
) -> None:
    """Raise a ValueError naming ``where``, the argument ``name`` and the ``fix`` if ``ok`` fails anywhere."""
    v = concrete(x)
    if v is None:
        return
    if v.dtype == object or not (np.issubdtype(v.dtype, np.number) or v.dtype == np.bool_):
        raise TypeError(
            f"{where}: argument `{name}` must be numeric, got {v.dtype} values.\nFix: pass numbers or an "
            "array of numbers."
        )
    with np.errstate(invalid="ignore"):
        bad = ~np.asarray(ok(v.astype(np.float64)), dtype=bool)
    if np.any(bad):
        first = v[bad].flat[0] if v.ndim else v.item()
        count = int(np.count_nonzero(bad))
        more = f" (and {count - 1} more bad values)" if count > 1 else ""
        raise ValueError(
            f"{where}: argument `{name}` must be {requirement}, but got {first!r}{more}.\nFix: {fix}"
        )


def check_nonnegative(where: str, name: str, x: Any) -> None:
    """``x >= 0`` everywhere (NaN passes and gives NaN samples, as in numpy)."""
    check_values(where, name, x, lambda v: ~(v < 0), "non-negative (>= 0)", f"pass {name} >= 0.")


def check_positive(where: str, name: str, x: Any) -> None:
    """``x > 0`` everywhere (NaN passes and gives NaN samples, as in numpy)."""
    check_values(where, name, x, lambda v: ~(v <= 0), "positive (> 0)", f"pass {name} > 0.")


def check_probability(where: str, name: str, x: Any, *, allow_zero: bool = True) -> None:
    """``0 <= x <= 1`` (or ``0 < x <= 1``) everywhere; NaN is refused."""
    if allow_zero:
        check_values(
            where, name, x, lambda v: (v >= 0) & (v <= 1), "a probability in [0, 1]",
            f"pass 0 <= {name} <= 1 (clip it with be.clip({name}, 0, 1) if it comes from a computation).",
        )
    else:
        check_values(
            where, name, x, lambda v: (v > 0) & (v <= 1), "a probability in (0, 1]",
            f"pass 0 < {name} <= 1 (with {name} = 0 the first success never happens).",
        )
