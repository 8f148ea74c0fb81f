r"""The numpy-like function namespace of the engine (``be.zeros``, ``be.exp``, ``be.where`` ...).

Every function here is the ``jax.numpy`` function of the same name, with :class:`Array` arguments accepted and
array results returned as :class:`Array`, so ``b = be.arange(5); b[0] += 5`` works as in numpy.  Semantics
(broadcasting, dtype promotion, argument names) are ``jax.numpy``'s; see its documentation.

Floating-point order
--------------------
Reductions (``sum``, ``prod``, ``mean``, ``var``, ``std``, ``cumsum``, ... and the same ``Array`` methods) are
XLA's.  XLA combines the elements in an order of its own (vector lanes, trees) that is not numpy's and may change
with the shape, the device or the version, so the last digits can differ from numpy's.  What brainlab promises
is what holds for *every* order (``tests/test_array.py`` checks it against exact sums and products, not against
numpy's digits).  With :math:`n` elements and :math:`u` the unit roundoff (:math:`2^{-24}` for float32):

* ``max``, ``min``, ``argmax``, ``argmin`` are exact and equal numpy's (ties: the first position; a NaN wins,
  at its first position), except that the sign of a zero result may differ.
* ``sum``, ``cumsum`` (each prefix) and ``mean`` of finite values are within
  :math:`(n-1)\,u \sum_i |x_i|` of the exact sum (``mean``: divided by :math:`n`, plus one rounding): the bound
  for any summation order.  In a sum that cancels, this can be far more than the difference from numpy.
* ``prod`` is within a relative :math:`(n-1)\,u` of the exact product when no partial product can leave the
  normal range, i.e. :math:`\prod_i \max(|x_i|, 1) \le` ``finfo.max`` and :math:`\prod_{x_i \ne 0}
  \min(|x_i|, 1) \ge` ``finfo.tiny``.  Otherwise the result depends on the order: thirty-one 41s and one 0
  (float32) give numpy's 0 when the 0 is met before the product overflows, and NaN (inf * 0) when it is not.
* NaN and inf follow IEEE arithmetic, as in numpy: a NaN makes ``sum``, ``prod``, ``mean``, ``std``, ``max`` and
  ``min`` NaN (``cumsum`` from its position on; ``nansum``, ``nanmean``, ... skip NaNs), and inf + (-inf) is NaN
  in any order.  A sum whose partial sums may overflow is order-dependent (inf or finite).
* On CPU, XLA flushes subnormal numbers (below ``finfo.tiny``) to zero where numpy keeps them, so results within
  about :math:`n\,` ``finfo.tiny`` of zero may differ further.

Example:
    >>> import brainlab.engine as be
    >>> x = be.array([1., float('nan'), 2.])
    >>> x.sum(), be.nansum(x), x.argmax()
    (Array(nan, dtype=float32), Array(3., dtype=float32), Array(1, dtype=int32))
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

# Reductions whose result depends on the order the elements are combined in (see "Floating-point order" above).
_REDUCTIONS = frozenset({"sum", "prod", "mean", "std", "var", "cumsum", "cumprod", "nansum", "nanmean", "average",
                         "dot", "vdot", "matmul", "inner", "einsum", "tensordot", "trace", "trapezoid"})
_FLOAT_ORDER = ("The elements are combined in XLA's order, not numpy's: see \"Floating-point order\" in "
                ":mod:`brainlab.engine._numpy` for what is promised (bounds for every order; NaN and inf).\n\n")


def _wrap_function(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _wrap_tree(fn(*_unwrap_tree(args), **_unwrap_tree(kwargs)))

    wrapper.__doc__ = (
        f"``jax.numpy.{fn.__name__}`` returning :class:`brainlab.engine.Array`.\n\n"
        + (_FLOAT_ORDER if fn.__name__ in _REDUCTIONS else "")
        + f"See https://docs.jax.dev/en/latest/_autosummary/jax.numpy.{fn.__name__}.html"
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
