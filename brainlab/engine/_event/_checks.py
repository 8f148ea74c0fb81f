"""Argument checks and dtype rules shared by the event operators.

Every error names the operator, the argument and the fix, so a mistake in a notebook cell is understood from the
message alone.
"""

from __future__ import annotations

import operator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

INDEX_LIMIT = 2**31 - 1


def static_size(owner: str, name: str, value: Any) -> int:
    """A non-negative Python int that fixes an output shape (it cannot be a traced value)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be a non-negative int (a neuron count); got the bool {value!r}.")
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{owner}: {name} must be a Python int, because it fixes the shape of the result; got "
            f"{type(value).__name__} {value!r}. Pass the population size, e.g. {name}=4000 (not a traced array)."
        ) from None
    if n < 0 or n > INDEX_LIMIT:
        raise ValueError(f"{owner}: {name} must be in [0, 2**31 - 1]; got {n}.")
    return n


def float_dtypes(owner: str, spikes: Any, weights: Any, weights_name: str = "weights") -> tuple[Any, Any, Any, Any]:
    """Promote ``spikes`` and ``weights`` to one float dtype.

    Returns ``(spikes, weights, result_dtype, compute_dtype)``: bool spikes stay bool, integer spikes are converted
    to the weights' dtype, float spikes and weights are promoted together; the kernels compute in float32 or
    float64 (float16/bfloat16 are computed in float32 and the result is cast back).
    """
    w = jnp.asarray(weights)
    if jnp.issubdtype(w.dtype, jnp.complexfloating):
        raise TypeError(f"{owner}: {weights_name} must be real; got dtype {w.dtype}.")
    if not jnp.issubdtype(w.dtype, jnp.floating):
        w = w.astype(jnp.result_type(float))
    s = jnp.asarray(spikes)
    if s.dtype == jnp.bool_:
        dtype = w.dtype
    elif jnp.issubdtype(s.dtype, jnp.floating):
        dtype = jnp.promote_types(s.dtype, w.dtype)
    elif jnp.issubdtype(s.dtype, jnp.integer):
        dtype = w.dtype
        s = s.astype(dtype)
    else:
        raise TypeError(
            f"{owner}: spikes must be bool (spike events) or real (e.g. a surrogate-gradient spike value); got "
            f"dtype {s.dtype}."
        )
    compute = dtype if dtype in (jnp.float32, jnp.float64) else jnp.dtype(jnp.float32)
    if s.dtype != jnp.bool_:
        s = s.astype(compute)
    return s, w.astype(compute), jnp.dtype(dtype), jnp.dtype(compute)


def vector(owner: str, name: str, x: Any, what: str) -> None:
    if jnp.ndim(x) != 1:
        raise ValueError(
            f"{owner}: {name} must be a 1-D vector over {what}; got shape {jnp.shape(x)}. For a batch of vectors, "
            f"map the call with jax.vmap (the kernels then process the whole batch in one call)."
        )


def index_array(owner: str, name: str, x: Any) -> Any:
    """A 1-D int32 index array: a NumPy array when ``x`` is concrete (so derived quantities can be precomputed on
    the host), a traced int32 array otherwise."""
    if isinstance(x, jax.core.Tracer):
        a: Any = x
    else:
        a = np.asarray(x)
    if a.ndim != 1:
        raise ValueError(f"{owner}: {name} must be a 1-D integer array; got shape {a.shape}.")
    if not jnp.issubdtype(a.dtype, jnp.integer):
        raise TypeError(
            f"{owner}: {name} must hold integers (CSR {name}); got dtype {a.dtype}. Convert it with "
            f"np.asarray({name}, dtype=np.int32)."
        )
    if a.shape[0] > INDEX_LIMIT:
        raise ValueError(f"{owner}: {name} has {a.shape[0]} entries, more than int32 indices can address.")
    if isinstance(a, np.ndarray):
        if a.dtype.itemsize > 4 and a.size and (a.max() > INDEX_LIMIT or a.min() < -INDEX_LIMIT - 1):
            raise ValueError(f"{owner}: {name} holds values outside the int32 range; the kernels index with int32.")
        return a.astype(np.int32, copy=False)
    return a.astype(jnp.int32)
