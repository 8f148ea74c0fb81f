"""Array semantics against numpy on random cases."""

import operator

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import brainlab.engine as be

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)
floats = hnp.arrays(np.float32, shapes, elements=st.floats(-100, 100, width=32, allow_subnormal=False))
# XLA on CPU flushes subnormals to zero (numpy does not), so they are excluded from the comparison.


def as_np(x):
    return np.asarray(x)


@settings(max_examples=40, deadline=None)
@given(floats, st.sampled_from([operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]))
def test_binary_ops_match_numpy(a, op):
    b = np.abs(a) + 1.0  # keep division and powers finite
    x, y = be.asarray(a), be.asarray(b)
    with np.errstate(all="ignore"):
        expected = op(np.abs(a) if op is operator.pow else a, b if op is not operator.pow else np.float32(2))
    got = op(be.abs(x) if op is operator.pow else x, y if op is not operator.pow else 2)
    assert isinstance(got, be.Array)
    np.testing.assert_allclose(as_np(got), expected, rtol=2e-6, atol=1e-5)


@settings(max_examples=40, deadline=None)
@given(floats, st.data())
def test_setitem_and_inplace_match_numpy(a, data):
    ref = a.copy()
    x = be.asarray(a)
    i = data.draw(st.integers(0, a.shape[0] - 1))
    v = data.draw(st.floats(-10, 10, width=32))
    ref[i] += np.float32(v)
    x[i] += v
    np.testing.assert_allclose(as_np(x), ref, rtol=1e-6, atol=1e-6)
    mask = ref > 0
    ref[mask] = 0
    x[x > 0] = 0
    np.testing.assert_array_equal(as_np(x), ref)
    ref *= np.float32(2)
    x *= 2
    np.testing.assert_allclose(as_np(x), ref, rtol=1e-6)


@settings(max_examples=30, deadline=None)
@given(floats, st.sampled_from(["sum", "mean", "max", "min", "std", "prod", "argmax", "cumsum"]))
def test_reductions_match_numpy(a, name):
    x = be.asarray(a)
    got = getattr(x, name)()
    with np.errstate(all="ignore"):
        expected = getattr(a, name)()
    np.testing.assert_allclose(as_np(got), expected, rtol=1e-4, atol=1e-3)


@settings(max_examples=30, deadline=None)
@given(floats)
def test_comparisons_and_shape_methods(a):
    x = be.asarray(a)
    np.testing.assert_array_equal(as_np(x > 0), a > 0)
    np.testing.assert_array_equal(as_np(x == x), a == a)
    assert x.shape == a.shape and x.ndim == a.ndim and x.size == a.size and x.dtype == a.dtype
    np.testing.assert_array_equal(as_np(x.T), a.T)
    np.testing.assert_array_equal(as_np(x.reshape(-1)), a.reshape(-1))
    np.testing.assert_array_equal(as_np(x[::-1]), a[::-1])


def test_issue_example_and_repr():
    b = be.arange(5)
    b[0] += 5
    assert repr(b) == "Array([5, 1, 2, 3, 4], dtype=int32)"
    assert repr(be.zeros(2)) == "Array([0., 0.], dtype=float32)"


def test_inplace_aliases_like_numpy():
    a = be.zeros(3)
    alias = a
    a += 1
    np.testing.assert_array_equal(as_np(alias), [1, 1, 1])


def test_inplace_int_with_float_refuses_like_numpy():
    a = be.arange(3)
    with pytest.raises(TypeError, match="cannot cast the result from float32 to the Array's dtype int32"):
        a += 1.5
    ref = np.arange(3)
    with pytest.raises(TypeError):
        ref += 1.5


def test_setitem_casts_like_numpy():
    a = be.arange(3)
    a[1] = 7.9
    ref = np.arange(3)
    ref[1] = 7.9
    np.testing.assert_array_equal(as_np(a), ref)


def test_interop_with_numpy_and_jax():
    x = be.linspace(0.0, 1.0, 5)
    assert isinstance(np.asarray(x), np.ndarray)
    np.testing.assert_allclose(np.asarray(jnp.sum(x)), 2.5)
    np.testing.assert_allclose(np.asarray(jnp.exp(x)), np.exp(np.linspace(0, 1, 5)), rtol=1e-6)
    np.testing.assert_allclose(as_np(be.where(x > 0.5, x, 0.0)), np.where(np.linspace(0, 1, 5) > 0.5,
                                                                           np.linspace(0, 1, 5), 0.0))
    y = jnp.ones(5) + x  # a JAX array on the left works too
    np.testing.assert_allclose(np.asarray(y), 1 + np.linspace(0, 1, 5))
    assert float(be.asarray(2.5)) == 2.5 and int(be.asarray(3)) == 3


def test_namespace_returns_arrays():
    for out in (be.zeros(3), be.ones((2, 2)), be.exp(be.zeros(2)), be.concatenate([be.zeros(1), be.ones(1)])):
        assert isinstance(out, be.Array)


def test_array_passes_through_jit_and_mutates_inside():
    @be.jit
    def f(x):
        x[0] = 10.0
        x += 1
        return x

    out = f(be.zeros(3))
    assert isinstance(out, be.Array)
    np.testing.assert_array_equal(as_np(out), [11, 1, 1])


def test_shape_changing_inplace_is_refused():
    a = be.zeros(3)
    with pytest.raises(ValueError, match="in-place operation would change the shape"):
        a += be.zeros((2, 3))
