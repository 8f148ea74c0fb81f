"""Surrogate spike functions: documented peaks, unit area, width scaling with alpha, finite differences of the
smooth stand-in, numerical safety for huge and infinite inputs in float32, and selection per neuron model."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainlab as bl
import brainlab.engine as be
from brainlab.neurons import SURROGATES, Arctan, FastSigmoid, Gaussian, MultiGaussian, Sigmoid, Triangle, spike_fn

ALL = [Sigmoid, FastSigmoid, Arctan, Triangle, Gaussian, MultiGaussian]


def _multi_gaussian_peak(alpha, h=0.15, s=6.0):
    # (1 + h) G(0; 0, sd) - 2 h G(0; sd, s sd), over 1 - h (module docstring), with sd = 1/alpha
    sd = 1.0 / alpha
    g0 = 1.0 / (sd * math.sqrt(2 * math.pi))
    g1 = math.exp(-0.5 / s**2) / (s * sd * math.sqrt(2 * math.pi))
    return ((1 + h) * g0 - 2 * h * g1) / (1 - h)


# the peaks stated in the module docstring's table, as functions of alpha
PEAKS = {
    Sigmoid: lambda a: a / 4, FastSigmoid: lambda a: a / 2, Arctan: lambda a: a / math.pi, Triangle: lambda a: a,
    Gaussian: lambda a: a / math.sqrt(2 * math.pi), MultiGaussian: _multi_gaussian_peak,
}


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("alpha", [0.5, 1.0, 3.0])
def test_peak_is_the_documented_value_and_alpha_is_honoured(cls, alpha):
    sur = cls(alpha=alpha)
    assert sur.peak == pytest.approx(PEAKS[cls](alpha), rel=1e-6)
    # width ~ 1/alpha: sigma'_alpha(x) = alpha sigma'_1(alpha x) for every shape
    x = np.linspace(-4, 4, 81)
    np.testing.assert_allclose(np.asarray(sur.derivative(jnp.asarray(x))),
                               alpha * np.asarray(cls(alpha=1.0).derivative(jnp.asarray(alpha * x))), rtol=2e-5,
                               atol=1e-7)


@pytest.mark.parametrize("cls", ALL)
def test_unit_area_and_smooth_step_limits(cls):
    sur = cls(alpha=2.0)
    with be.precision("float64"):
        # the smooth step goes from 0 to 1, so the bump's area is 1: check both by quadrature and by the limits
        grid = jnp.linspace(-4000.0, 4000.0, 800001)
        area = float(jnp.trapezoid(sur.derivative(grid), grid))
        lo, hi = (float(v) for v in sur.function(jnp.asarray([-1e12, 1e12])))
    assert area == pytest.approx(1.0, abs=1e-3)  # heavy-tailed shapes miss ~2/(pi alpha 4000) beyond the grid
    assert lo == pytest.approx(0.0, abs=1e-9) and hi == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("cls", ALL)
def test_surrogate_gradient_equals_finite_differences_of_the_smooth_step(cls):
    sur = cls(alpha=1.5)
    x = np.random.default_rng(3).uniform(-3, 3, 25)
    eps = 1e-6
    with be.precision("float64"):
        xj = jnp.asarray(x)
        g = jax.vmap(jax.grad(lambda v: spike_fn(v, sur)))(xj)
        fd = (sur.function(xj + eps) - sur.function(xj - eps)) / (2 * eps)
        forward = spike_fn(xj, sur)
    np.testing.assert_allclose(np.asarray(g), np.asarray(fd), rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(np.asarray(forward), (x >= 0).astype(float))  # the forward pass is the exact step


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("alpha", [1.0, 1e3])
def test_numerically_safe_in_float32_for_huge_and_infinite_inputs(cls, alpha):
    sur = cls(alpha=alpha)
    big = np.float32(3.0e38)
    x = jnp.asarray([-np.inf, -big, -1e20, -1e5, 0.0, 1e5, 1e20, big, np.inf], dtype=jnp.float32)
    d = np.asarray(sur.derivative(x))
    f = np.asarray(sur.function(x))
    g = np.asarray(jax.vmap(jax.grad(lambda v: spike_fn(v, sur)))(x))
    assert d.dtype == np.float32 and np.all(np.isfinite(d)) and np.all(np.isfinite(f)) and np.all(np.isfinite(g))
    np.testing.assert_allclose(d[[0, 1, 2, 6, 7, 8]], 0.0, atol=1e-12)
    np.testing.assert_allclose(f[[0, 1, 2]], 0.0, atol=1e-6)
    np.testing.assert_allclose(f[[6, 7, 8]], 1.0, atol=1e-6)
    np.testing.assert_array_equal(g, d)


def test_surrogate_is_selectable_per_neuron_model_by_name_and_instance():
    assert set(SURROGATES) == {"sigmoid", "fast_sigmoid", "arctan", "triangle", "gaussian", "multi_gaussian"}
    for name, cls in SURROGATES.items():
        lif = bl.neurons.LIF(1, surrogate=name, spike_dtype=float)
        assert isinstance(lif.surrogate, cls)
    # the derivative of one LIF step's spike w.r.t. the starting potential is the chosen bump at V - V_th
    for sur in [Arctan(alpha=0.7), Gaussian(alpha=2.0), MultiGaussian(alpha=0.5)]:
        lif = bl.neurons.LIF(1, surrogate=sur, spike_dtype=float, t_ref=0.0)

        def spike_after_step(v0):
            lif.V.value = jnp.full((1,), v0)
            return lif.update(0.0, 0.1).sum()

        v0 = -50.3  # just below threshold (-50 mV); one exp-Euler step with no input relaxes towards -65 mV
        v1 = -65.0 + (v0 + 65.0) * math.exp(-0.1 / 10.0)
        g = float(be.grad(spike_after_step)(v0))
        assert g == pytest.approx(float(sur.derivative(jnp.asarray(v1 + 50.0))) * math.exp(-0.01), rel=1e-4)


def test_bad_alpha_and_parameters_are_refused_with_the_fix():
    with pytest.raises(ValueError, match="Gaussian: alpha must be a positive finite number"):
        Gaussian(alpha=0.0)
    with pytest.raises(ValueError, match="Arctan: alpha must be a positive"):
        Arctan(alpha=float("inf"))
    with pytest.raises(ValueError, match="MultiGaussian: need 0 <= h < 1"):
        MultiGaussian(h=1.0)
    with pytest.raises(ValueError, match="unknown surrogate 'erf'"):
        bl.neurons.LIF(2, surrogate="erf")
