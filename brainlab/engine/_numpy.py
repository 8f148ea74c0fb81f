"""The numpy-like function namespace of the engine (``be.zeros``, ``be.exp``, ``be.where`` ...).

Every function here is the ``jax.numpy`` function of the same name, with :class:`Array` arguments accepted and
array results returned as :class:`Array`, so ``b = be.arange(5); b[0] += 5`` works as in numpy.  Semantics
(broadcasting, dtype promotion, argument names) are ``jax.numpy``'s; see its documentation.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import jax.numpy as jnp

from ._array import Array, _unwrap_tree, _wrap_tree

# Creation, elementwise maths, reductions, shape manipulation, linear algebra and logic: the subset of
# jax.numpy that models and analysis code use.  Anything else is reachable as jax.numpy.<name>.
NAMES: tuple[str, ...] = (
    # creation
    "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like", "arange",
    "linspace", "logspace", "geomspace", "eye", "identity", "diag", "tri", "tril", "triu", "meshgrid",
    "array", "asarray", "copy", "indices",
    # elementwise
    "abs", "absolute", "sign", "sqrt", "cbrt", "square", "exp", "exp2", "expm1", "log", "log2", "log10",
    "log1p", "power", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh",
    "arcsinh", "arccosh", "arctanh", "floor", "ceil", "round", "rint", "trunc", "clip", "maximum", "minimum",
    "fmax", "fmin", "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod",
    "remainder", "reciprocal", "negative", "hypot", "heaviside", "sinc", "deg2rad", "rad2deg", "isnan",
    "isinf", "isfinite", "nan_to_num", "real", "imag", "conj", "angle", "logaddexp",
    # logic and comparison
    "where", "logical_and", "logical_or", "logical_not", "logical_xor", "greater", "greater_equal", "less",
    "less_equal", "equal", "not_equal", "allclose", "isclose", "array_equal", "select", "piecewise",
    # reductions and statistics
    "sum", "prod", "mean", "median", "std", "var", "max", "min", "amax", "amin", "argmax", "argmin", "any",
    "all", "cumsum", "cumprod", "nansum", "nanmean", "nanmax", "nanmin", "average", "percentile",
    "quantile", "histogram", "bincount", "count_nonzero", "ptp", "diff", "gradient", "trapezoid",
    "convolve", "correlate", "interp",
    # shape
    "reshape", "ravel", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze", "concatenate",
    "stack", "hstack", "vstack", "dstack", "column_stack", "split", "array_split", "tile", "repeat",
    "broadcast_to", "flip", "roll", "atleast_1d", "atleast_2d", "atleast_3d", "pad", "take",
    "take_along_axis", "sort", "argsort", "unique", "searchsorted", "nonzero", "flatnonzero", "argwhere",
    # linear algebra
    "dot", "vdot", "matmul", "inner", "outer", "einsum", "tensordot", "kron", "cross", "trace",
)

_this = globals()


def _wrap_function(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _wrap_tree(fn(*_unwrap_tree(args), **_unwrap_tree(kwargs)))

    wrapper.__doc__ = (
        f"``jax.numpy.{fn.__name__}`` returning :class:`brainlab.engine.Array`.\n\n"
        f"See https://docs.jax.dev/en/latest/_autosummary/jax.numpy.{fn.__name__}.html"
    )
    return wrapper


for _name in NAMES:
    _this[_name] = _wrap_function(getattr(jnp, _name))

# dtypes and constants, re-exported as plain objects
pi, e, inf, nan, newaxis = jnp.pi, jnp.e, jnp.inf, jnp.nan, jnp.newaxis
float16, float32, float64, bfloat16 = jnp.float16, jnp.float32, jnp.float64, jnp.bfloat16
int8, int16, int32, int64 = jnp.int8, jnp.int16, jnp.int32, jnp.int64
uint8, uint32, bool_, complex64, complex128 = jnp.uint8, jnp.uint32, jnp.bool_, jnp.complex64, jnp.complex128

__all__ = list(NAMES) + [
    "pi", "e", "inf", "nan", "newaxis", "float16", "float32", "float64", "bfloat16", "int8", "int16",
    "int32", "int64", "uint8", "uint32", "bool_", "complex64", "complex128", "Array",
]
