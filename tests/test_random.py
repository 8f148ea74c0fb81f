"""Tests of brainlab.engine.random: reproducibility in and out of transforms, distributions, errors.

Distribution tests draw a few thousand samples from fixed seeds and compare them with scipy.stats (the
independent truth): Kolmogorov-Smirnov for continuous laws, chi-square for discrete ones.  Each test asserts
p > 1e-3; the draws are deterministic, and negative controls check that the tests reject a wrong law.
"""

from __future__ import annotations

import doctest
import itertools
import zlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import brainlab.engine as be
import brainlab.engine.random as br
from brainlab.engine._random import _base, _continuous, _discrete, _generator, _multivariate, _positive

ALPHA = 1e-3
N = 4000


def np_(x):
    return np.asarray(x)


# ------------------------------------------------------------------------------------------------------------
# Reproducibility and key handling
# ------------------------------------------------------------------------------------------------------------


def test_same_seed_same_numbers_eagerly():
    br.seed(123)
    a = [np_(br.normal(size=5)), np_(br.randint(0, 10, size=5)), np_(br.uniform(size=3))]
    br.seed(123)
    b = [np_(br.normal(size=5)), np_(br.randint(0, 10, size=5)), np_(br.uniform(size=3))]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_consecutive_calls_differ():
    br.seed(0)
    a, b = np_(br.rand(100)), np_(br.rand(100))
    assert not np.any(a == b)


def test_same_seed_same_numbers_inside_jit():
    f = be.jit(lambda: br.normal(size=4))
    br.seed(7)
    first = [np_(f()) for _ in range(3)]
    br.seed(7)
    second = [np_(f()) for _ in range(3)]
    np.testing.assert_array_equal(first, second)
    assert f.trace_count == 1


def _mixed_draws():
    # every sampler advances the key by the same single split, which the final-key comparison checks; the
    # rejection samplers (gamma, poisson, vonmises) are left out only because they are slow to compile, and the
    # sizes are those of the distribution tests so that the eager calls reuse their compilations.
    return (
        br.normal(1.0, 2.0, size=N),
        br.uniform(-1.0, 1.0, size=N),
        br.randint(0, 50, size=N),
        br.choice(10, size=3, replace=False),
        br.permutation(6),
        br.bernoulli(0.3, size=N),
        br.truncated_normal(-1.0, 2.0, size=N),
        br.split_key(),
    )


def test_jit_advances_the_key_exactly_as_eager_calls():
    """The same sequence of draws eagerly and inside be.jit gives the same numbers (and the same final key)."""
    br.seed(2024)
    eager = [[np_(x) for x in _mixed_draws()] for _ in range(2)]
    key_eager = np_(br.get_state())
    f = be.jit(_mixed_draws)
    br.seed(2024)
    jitted = [[np_(x) for x in f()] for _ in range(2)]
    np.testing.assert_array_equal(np_(br.get_state()), key_eager)
    for e_call, j_call in zip(eager, jitted):
        for e, j in zip(e_call, j_call):
            if np.issubdtype(e.dtype, np.floating):
                np.testing.assert_allclose(e, j, rtol=1e-5, atol=1e-6)
            else:
                np.testing.assert_array_equal(e, j)
    assert f.trace_count == 1


def test_jitted_function_gives_new_numbers_each_call_and_compiles_once():
    class Noisy(be.Module):
        def __init__(self):
            self.v = be.State(jnp.zeros(3))

        def step(self):
            self.v.value = self.v.value + br.normal(0.0, 1.0, size=3)
            return self.v.value

    m = Noisy()
    step = be.jit(m.step)
    outs = [np_(step()) for _ in range(4)]
    increments = np.diff(np.stack([np.zeros(3)] + outs), axis=0)
    assert len({tuple(row) for row in increments}) == 4
    assert step.trace_count == 1


def test_for_loop_draws_match_eager_calls():
    br.seed(99)
    looped = be.for_loop(lambda: br.normal(size=3), length=5)
    key_loop = np_(br.get_state())
    br.seed(99)
    eager = np.stack([np_(br.normal(size=3)) for _ in range(5)])
    np.testing.assert_allclose(np_(looped), eager, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(key_loop, np_(br.get_state()))


def test_for_loop_with_model_and_integer_draws():
    rng = br.RandomState(5)

    def body(x):
        return x + rng.randint(0, 100, size=2)

    looped = np_(be.for_loop(body, be.arange(6)))
    rng.seed(5)
    eager = np.stack([i + np_(rng.randint(0, 100, size=2)) for i in range(6)])
    np.testing.assert_array_equal(looped, eager)


def test_vmap_gives_each_member_its_own_stream_and_advances_once():
    draw = be.vmap(lambda: br.normal(size=2), axis_size=8)
    br.seed(3)
    out = np_(draw())
    assert out.shape == (8, 2)
    assert len({tuple(r) for r in out}) == 8
    after = np_(br.get_state())
    br.seed(3)
    np.testing.assert_array_equal(np_(draw()), out)
    np.testing.assert_array_equal(after, np_(br.get_state()))  # advanced identically both times
    br.seed(3)
    br.normal(size=2)
    np.testing.assert_array_equal(after, np_(br.get_state()))  # ... exactly as one eager call does


def test_stacked_models_with_own_generators_match_separate_models():
    """be.vmap over stacked Modules: each member's generator gives exactly what the separate model gives."""

    class Noisy(be.Module):
        def __init__(self, seed):
            self.rng = br.RandomState(seed)
            self.v = be.State(jnp.zeros(2))

        def step(self):
            self.v.value = self.v.value + self.rng.normal(size=2)
            return self.v.value

    batch = be.stack_modules([Noisy(i) for i in range(3)])
    out = np_(be.vmap(batch.step, in_states=batch)())
    separate = np.stack([np_(Noisy(i).step()) for i in range(3)])
    np.testing.assert_allclose(out, separate, rtol=1e-6)


def test_reparameterised_draws_are_differentiable():
    # d/dmu sum(mu + sigma z) = size, whatever z is
    assert float(be.grad(lambda mu: br.normal(mu, 1.0, size=3).sum())(0.5)) == 3.0


def test_random_state_objects_are_independent_of_the_default():
    br.seed(11)
    before = np_(br.get_state())
    rng = br.RandomState(11)
    first = np_(rng.normal(size=4))
    np.testing.assert_array_equal(np_(br.get_state()), before)  # the default did not move
    np.testing.assert_array_equal(np_(br.normal(size=4)), first)  # same seed, same algorithm, same numbers
    other = br.RandomState(12)
    assert not np.array_equal(np_(other.normal(size=4)), first)
    a, b = br.default_rng(5), br.default_rng(5)
    np.testing.assert_array_equal(np_(a.rand(3)), np_(b.rand(3)))


def test_generator_in_a_module_is_a_random_state_that_reset_keeps():
    class Model(be.Module):
        def __init__(self):
            self.rng = br.RandomState(0)
            self.v = be.HiddenState(jnp.zeros(2))

    m = Model()
    states = m.states("random")
    assert list(states) == ["rng.key"]
    m.rng.normal(size=2)
    advanced = np_(m.rng.key.value)
    m.reset()
    np.testing.assert_array_equal(np_(m.rng.key.value), advanced)


def test_seed_matches_jax_prngkey_and_handles_64_bit_seeds():
    for s in (0, 1, 2**31 + 5, 2**32 - 1):
        br.seed(s)
        np.testing.assert_array_equal(np_(br.get_state()), np_(jax.random.PRNGKey(s)))
    br.seed(2**32 + 1)
    big = np_(br.get_state())
    br.seed(1)
    assert not np.array_equal(big, np_(br.get_state()))
    np.testing.assert_array_equal(big, [1, 1])
    br.seed(np.int64(2**40))
    np.testing.assert_array_equal(np_(br.get_state()), [2**8, 0])


def test_seed_accepts_jax_keys_and_none():
    br.seed(jax.random.key(4))
    np.testing.assert_array_equal(np_(br.get_state()), np_(jax.random.PRNGKey(4)))
    br.seed(jax.random.PRNGKey(9))
    np.testing.assert_array_equal(np_(br.get_state()), [0, 9])
    br.seed(None)
    a = np_(br.get_state())
    br.seed()
    assert not np.array_equal(a, np_(br.get_state()))


def test_traced_seed_inside_jit_matches_eager_seed():
    f = be.jit(lambda s: (br.seed(s), br.normal(size=3))[1])
    for s in (0, 17):
        traced = np_(f(s))
        br.seed(s)
        np.testing.assert_allclose(traced, np_(br.normal(size=3)), rtol=1e-6)
    assert f.trace_count == 1


def test_get_state_set_state_round_trip():
    br.seed(1)
    saved = br.get_state()
    a = np_(br.uniform(size=5))
    br.set_state(saved)
    np.testing.assert_array_equal(np_(br.uniform(size=5)), a)
    with pytest.raises(TypeError, match=r"be\.random\.set_state: expected a key saved by get_state"):
        br.set_state(np.zeros(3))


def test_split_key_gives_fresh_keys_and_advances():
    br.seed(0)
    k1, k2 = br.split_key(), br.split_key()
    assert k1.shape == (2,) and k1.dtype == jnp.uint32
    assert not np.array_equal(np_(k1), np_(k2))
    keys = br.split_key(5)
    assert keys.shape == (5, 2)
    assert len({tuple(k) for k in np_(keys)}) == 5
    z = jax.random.normal(k1, (3,))  # usable by raw jax.random
    assert z.shape == (3,)
    f = be.jit(lambda: jax.random.normal(br.split_key(), (2,)))
    assert not np.array_equal(np_(f()), np_(f()))
    assert f.trace_count == 1
    assert br.split_key(0).shape == (0, 2)


def test_a_failed_call_does_not_advance_the_key():
    br.seed(8)
    before = np_(br.get_state())
    with pytest.raises(ValueError):
        br.normal(0.0, -1.0)
    np.testing.assert_array_equal(np_(br.get_state()), before)


def test_raw_jax_transform_raises_a_clear_error():
    with pytest.raises(be.StateError, match=r"be\.random: random numbers were drawn inside a raw JAX"):
        jax.jit(lambda: br.normal(size=2))()
    with pytest.raises(be.StateError, match=r"be\.jit, be\.vmap, be\.for_loop"):
        jax.jit(lambda: br.split_key())()


# ------------------------------------------------------------------------------------------------------------
# Shapes and dtypes
# ------------------------------------------------------------------------------------------------------------


def test_returns_brainlab_arrays_with_numpy_shapes():
    br.seed(0)
    x = br.normal()
    assert isinstance(x, be.Array) and x.shape == ()
    assert br.rand(2, 3).shape == (2, 3)
    assert br.rand((2, 3)).shape == (2, 3)
    assert br.randn(2, 3).shape == (2, 3)
    assert br.normal(jnp.zeros((2, 1)), jnp.ones(3)).shape == (2, 3)  # size=None: broadcast of the parameters
    assert br.normal(jnp.zeros(3), 1.0, size=(2, 3)).shape == (2, 3)
    assert br.choice(5).shape == ()
    assert br.choice(be.arange(12).reshape(4, 3), size=2).shape == (2, 3)
    assert br.multivariate_normal(jnp.zeros(3), jnp.eye(3), size=(2, 2)).shape == (2, 2, 3)
    assert br.categorical(jnp.zeros(3), size=(2, 2)).shape == (2, 2)


def test_default_dtypes_float32_and_float64_under_x64():
    assert br.normal(size=N).dtype == jnp.float32
    assert br.normal(np.zeros(N, np.float64)).dtype == jnp.float32
    assert br.randint(0, 3, size=N).dtype == jnp.int32
    assert br.binomial(5, 0.5, size=N).dtype == jnp.int32
    assert br.bernoulli(0.5, size=N).dtype == jnp.bool_
    assert br.randint(0, 3, size=N, dtype=jnp.uint8).dtype == jnp.uint8
    with jax.enable_x64(True):
        assert br.normal(size=N).dtype == jnp.float64
        x = br.randint(0, 2**40, size=N)
        assert x.dtype == jnp.int64 and int(x.max()) < 2**40


def test_shuffle_in_place_on_array_state_and_numpy():
    br.seed(0)
    x = be.arange(20)
    alias = x
    assert br.shuffle(x) is None
    assert sorted(x.tolist()) == list(range(20)) and x.tolist() != list(range(20))
    assert alias is x
    s = be.State(jnp.arange(10.0))
    be.jit(lambda: br.shuffle(s))()
    assert sorted(np_(s.value).tolist()) == list(range(10)) and np_(s.value).tolist() != list(range(10))
    a = np.arange(8)
    br.shuffle(a)
    assert sorted(a.tolist()) == list(range(8))
    m = be.arange(12).reshape(4, 3)
    br.shuffle(m)  # rows move together
    assert sorted(np_(m)[:, 0].tolist()) == [0, 3, 6, 9]
    np.testing.assert_array_equal(np_(m)[:, 1] - np_(m)[:, 0], 1)


# ------------------------------------------------------------------------------------------------------------
# Errors: name the function, the argument and the fix
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, exc, pattern",
    [
        (lambda: br.normal(0.0, -1.0), ValueError, r"be\.random\.normal: argument `scale` must be non-negative.*Fix"),
        (lambda: br.exponential(-2.0), ValueError, r"be\.random\.exponential: argument `scale`"),
        (lambda: br.gamma(-1.0), ValueError, r"be\.random\.gamma: argument `shape` must be non-negative"),
        (lambda: br.beta(0.0, 1.0), ValueError, r"be\.random\.beta: argument `a` must be positive"),
        (lambda: br.bernoulli(1.5), ValueError,
         r"be\.random\.bernoulli: argument `p` must be a probability in \[0, 1\]"),
        (lambda: br.bernoulli(jnp.array([0.5, jnp.nan])), ValueError, r"bernoulli: argument `p`"),
        (lambda: br.binomial(10, -0.1), ValueError, r"be\.random\.binomial: argument `p`"),
        (lambda: br.binomial(-1, 0.5), ValueError, r"be\.random\.binomial: argument `n` must be non-negative"),
        (lambda: br.geometric(0.0), ValueError, r"geometric: argument `p` must be a probability in \(0, 1\]"),
        (lambda: br.poisson(-3.0), ValueError, r"poisson: argument `lam`"),
        (lambda: br.choice(5, size=6, replace=False), ValueError,
         r"choice: cannot take 6 samples without replacement from a population of 5.*replace=True"),
        (lambda: br.choice(3, p=[0.5, 0.6, 0.1]), ValueError,
         r"choice: the probabilities `p` sum to 1\.2.*p = p / p\.sum\(\)"),
        (lambda: br.choice(3, p=[0.5, 0.5]), ValueError,
         r"choice: argument `p` must be 1-D with one probability per item \(3\)"),
        (lambda: br.choice(3, p=[1.5, -0.5, 0.0]), ValueError, r"choice: argument `p` must be non-negative"),
        (lambda: br.choice(3, size=3, replace=False, p=[1.0, 0.0, 0.0]), ValueError, r"only 1 items have p > 0"),
        (lambda: br.choice(0), ValueError, r"choice: argument `a` must be a positive int"),
        (lambda: br.choice(2.5), TypeError, r"choice: argument `a` must be an int"),
        (lambda: br.seed(1.5), TypeError, r"be\.random\.seed: got a seed of type float.*Fix: pass an int"),
        (lambda: br.seed("abc"), TypeError, r"seed: got a seed of type str"),
        (lambda: br.seed(True), TypeError, r"seed: got the bool True"),
        (lambda: br.seed(-1), ValueError, r"seed: the seed -1 is out of range.*\[0, 2\*\*64\)"),
        (lambda: br.RandomState(2.0), TypeError, r"RandomState\(seed=\.\.\.\): got a seed of type float"),
        (lambda: br.randint(5, 5), ValueError, r"randint: `low` must be smaller than `high`"),
        (lambda: br.randint(0, 2**40), ValueError, r"randint: the range .* does not fit dtype int32"),
        (lambda: br.triangular(0.0, 2.0, 1.0), ValueError, r"triangular: the arguments must satisfy mode <= right"),
        (lambda: br.truncated_normal(1.0, 0.0), ValueError,
         r"truncated_normal: arguments `lower` and `upper` must satisfy lower < upper"),
        (lambda: br.truncated_normal(0.0, 1.0, scale=0.0), ValueError,
         r"truncated_normal: argument `scale` must be positive"),
        (lambda: br.vonmises(0.0, -1.0), ValueError, r"vonmises: argument `kappa`"),
        (lambda: br.dirichlet([1.0, 0.0]), ValueError, r"dirichlet: argument `alpha` must be positive"),
        (lambda: br.multivariate_normal([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]]), ValueError,
         r"multivariate_normal: `cov` is not a valid covariance matrix: it has a negative eigenvalue"),
        (lambda: br.multivariate_normal([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]]), ValueError, r"it is not symmetric"),
        (lambda: br.multivariate_normal([0.0, 0.0], jnp.eye(3)), ValueError,
         r"`mean` must have shape \(\.\.\., n\) and `cov` shape \(\.\.\., n, n\)"),
        (lambda: br.normal(jnp.zeros(3), size=(2, 4)), ValueError,
         r"normal: the parameters broadcast to shape \(3,\), which does not fit size=\(2, 4\)"),
        (lambda: br.normal(jnp.zeros(3), jnp.ones(4)), ValueError,
         r"normal: the parameters have shapes \(3,\), \(4,\), which do not broadcast"),
        (lambda: br.normal(size=-1), ValueError, r"normal: argument `size` has a negative dimension"),
        (lambda: br.normal(size=2.5), TypeError, r"normal: argument `size` must be None, an int or a tuple of ints"),
        (lambda: br.shuffle(jnp.arange(3)), TypeError, r"shuffle: argument `x` must be a mutable array.*permutation"),
        (lambda: br.permutation(-2), ValueError, r"permutation: argument `x` must be >= 0"),
        (lambda: br.split_key(1.5), TypeError, r"split_key: argument `n` must be None or an int"),
        (lambda: br.RandomState(0).normal(0.0, -1.0), ValueError, r"^RandomState\.normal: argument `scale`"),
    ],
)
def test_errors_name_function_argument_and_fix(call, exc, pattern):
    with pytest.raises(exc, match="(?s)" + pattern):
        call()


def test_multivariate_normal_check_valid_warn_and_ignore():
    with pytest.warns(RuntimeWarning, match="negative eigenvalue"):
        br.multivariate_normal([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], check_valid="warn")
    br.multivariate_normal([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], check_valid="ignore")


def test_traced_parameters_skip_value_checks():
    f = be.jit(lambda scale: br.normal(0.0, scale, size=3))
    assert f(2.0).shape == (3,)
    assert f(-1.0).shape == (3,)  # unknown while tracing: not checked (documented limit)


# ------------------------------------------------------------------------------------------------------------
# Continuous distributions against scipy.stats (Kolmogorov-Smirnov)
# ------------------------------------------------------------------------------------------------------------


def _ks(sample, dist):
    return stats.kstest(np.asarray(sample, np.float64).ravel(), dist.cdf).pvalue


def _around(theta, loc):
    """Angles in [-pi, pi] re-expressed in [loc - pi, loc + pi), the support of scipy's vonmises(kappa, loc)."""
    x = np.asarray(theta, np.float64)
    return loc + np.mod(x - loc + np.pi, 2 * np.pi) - np.pi


CONTINUOUS = {
    "uniform": (lambda r: r.uniform(-2.0, 3.0, size=N), stats.uniform(-2.0, 5.0)),
    "random": (lambda r: r.random(N), stats.uniform()),
    "rand": (lambda r: r.rand(N), stats.uniform()),
    "normal": (lambda r: r.normal(-65.0, 4.0, size=N), stats.norm(-65.0, 4.0)),
    "randn": (lambda r: r.randn(N), stats.norm()),
    "standard_normal": (lambda r: r.standard_normal(N), stats.norm()),
    "lognormal": (lambda r: r.lognormal(0.5, 0.75, size=N), stats.lognorm(s=0.75, scale=np.exp(0.5))),
    "exponential": (lambda r: r.exponential(50.0, size=N), stats.expon(scale=50.0)),
    "standard_exponential": (lambda r: r.standard_exponential(N), stats.expon()),
    "gamma_small_shape": (lambda r: r.gamma(0.4, 2.0, size=N), stats.gamma(0.4, scale=2.0)),
    "gamma": (lambda r: r.gamma(3.0, 2.0, size=N), stats.gamma(3.0, scale=2.0)),
    "standard_gamma": (lambda r: r.standard_gamma(1.7, size=N), stats.gamma(1.7)),
    "beta": (lambda r: r.beta(0.5, 2.0, size=N), stats.beta(0.5, 2.0)),
    "chisquare": (lambda r: r.chisquare(3.0, size=N), stats.chi2(3.0)),
    "standard_t": (lambda r: r.standard_t(4.0, size=N), stats.t(4.0)),
    "f": (lambda r: r.f(5.0, 8.0, size=N), stats.f(5.0, 8.0)),
    "pareto": (lambda r: r.pareto(3.0, size=N), stats.lomax(3.0)),
    "weibull": (lambda r: r.weibull(1.5, size=N), stats.weibull_min(1.5)),
    "rayleigh": (lambda r: r.rayleigh(2.0, size=N), stats.rayleigh(scale=2.0)),
    "laplace": (lambda r: r.laplace(1.0, 2.0, size=N), stats.laplace(1.0, 2.0)),
    "logistic": (lambda r: r.logistic(1.0, 0.5, size=N), stats.logistic(1.0, 0.5)),
    "gumbel": (lambda r: r.gumbel(2.0, 3.0, size=N), stats.gumbel_r(2.0, 3.0)),
    "standard_cauchy": (lambda r: r.standard_cauchy(N), stats.cauchy()),
    "triangular": (lambda r: r.triangular(-1.0, 0.5, 2.0, size=N), stats.triang(0.5, loc=-1.0, scale=3.0)),
    "truncated_normal": (
        lambda r: r.truncated_normal(-1.0, 2.0, size=N), stats.truncnorm(-1.0, 2.0)),
    "truncated_normal_loc_scale": (
        lambda r: r.truncated_normal(0.0, 1.0, size=N, loc=0.8, scale=0.5),
        stats.truncnorm((0.0 - 0.8) / 0.5, (1.0 - 0.8) / 0.5, loc=0.8, scale=0.5)),
    "truncated_normal_upper_tail": (
        lambda r: r.truncated_normal(2.5, np.inf, size=N), stats.truncnorm(2.5, np.inf)),
    "truncated_normal_deep_tail": (lambda r: r.truncated_normal(5.0, 6.0, size=N), stats.truncnorm(5.0, 6.0)),
    "truncated_normal_lower_tail": (
        lambda r: r.truncated_normal(-np.inf, -4.0, size=N), stats.truncnorm(-np.inf, -4.0)),
    "vonmises_uniform": (lambda r: r.vonmises(0.0, 0.0, size=N), stats.uniform(-np.pi, 2 * np.pi)),
    "vonmises_weak": (lambda r: _around(r.vonmises(1.0, 0.5, size=N), 1.0), stats.vonmises(0.5, loc=1.0)),
    "vonmises": (lambda r: _around(r.vonmises(-2.0, 4.0, size=N), -2.0), stats.vonmises(4.0, loc=-2.0)),
    "vonmises_concentrated": (lambda r: _around(r.vonmises(0.3, 1e3, size=N), 0.3), stats.vonmises(1e3, loc=0.3)),
    "vonmises_wrapping_mean": (lambda r: _around(r.vonmises(3.0, 2.0, size=N), 3.0), stats.vonmises(2.0, loc=3.0)),
}


@pytest.mark.parametrize("name", list(CONTINUOUS))
def test_continuous_distribution_matches_scipy(name):
    draw, dist = CONTINUOUS[name]
    sample = draw(br.RandomState(zlib.crc32(name.encode())))
    assert np.all(np.isfinite(np_(sample)))
    assert _ks(sample, dist) > ALPHA


def test_vonmises_very_concentrated_in_float32_matches_its_normal_limit():
    # for kappa = 1e6, von Mises(mu, kappa) is N(mu, 1/kappa) to O(1/kappa); the naive Best-Fisher formulas lose
    # all precision here in float32.
    x = br.RandomState(1).vonmises(0.0, 1e6, size=N)
    assert _ks(x, stats.norm(0.0, 1e-3)) > ALPHA


def test_ks_negative_controls_have_power():
    rng = br.RandomState(0)
    assert _ks(rng.normal(0.0, 1.2, size=N), stats.norm()) < ALPHA
    assert _ks(rng.gamma(3.3, size=N), stats.gamma(3.0)) < ALPHA
    assert _ks(_around(rng.vonmises(0.15, 4.0, size=N), 0.0), stats.vonmises(4.0)) < ALPHA


def test_distributions_in_float64():
    with jax.enable_x64(True):
        rng = br.RandomState(4)
        x = rng.normal(1.0, 2.0, size=N)
        assert x.dtype == jnp.float64 and _ks(x, stats.norm(1.0, 2.0)) > ALPHA
        y = rng.truncated_normal(8.0, 9.0, size=N)  # beyond float32's reach, fine in float64
        assert y.dtype == jnp.float64 and _ks(y, stats.truncnorm(8.0, 9.0)) > ALPHA


def test_broadcast_parameters_give_per_element_laws():
    rng = br.RandomState(21)
    x = np_(rng.normal(jnp.array([-10.0, 10.0]), jnp.array([1.0, 3.0]), size=(N, 2)))
    assert _ks(x[:, 0], stats.norm(-10.0, 1.0)) > ALPHA
    assert _ks(x[:, 1], stats.norm(10.0, 3.0)) > ALPHA


def test_dirichlet_marginals_are_beta():
    alpha = np.array([0.5, 2.0, 3.5])
    x = np_(br.RandomState(6).dirichlet(alpha, size=N))
    np.testing.assert_allclose(x.sum(axis=1), 1.0, atol=1e-5)
    for i in range(3):
        assert _ks(x[:, i], stats.beta(alpha[i], alpha.sum() - alpha[i])) > ALPHA


def test_multivariate_normal_mean_and_covariance():
    n = N
    mean = np.array([1.0, -2.0, 0.5])
    cov = np.array([[2.0, 0.6, -0.4], [0.6, 1.0, 0.2], [-0.4, 0.2, 0.5]])
    for method in ("eigh", "cholesky"):
        x = np_(br.RandomState(9).multivariate_normal(mean, cov, size=n, method=method)).astype(np.float64)
        se_mean = np.sqrt(np.diag(cov) / n)
        assert np.all(np.abs(x.mean(0) - mean) < 5 * se_mean)
        s = np.cov(x.T)
        se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)  # sd of a sample covariance
        assert np.all(np.abs(s - cov) < 5 * se_cov), (method, s)
    # a singular (rank-1) covariance works with the default method: both coordinates are equal
    y = np_(br.RandomState(1).multivariate_normal([0.0, 0.0], [[1.0, 1.0], [1.0, 1.0]], size=1000))
    np.testing.assert_allclose(y[:, 0], y[:, 1], atol=1e-5)
    assert _ks(y[:, 0], stats.norm()) > ALPHA


# ------------------------------------------------------------------------------------------------------------
# Discrete distributions against scipy.stats (chi-square)
# ------------------------------------------------------------------------------------------------------------


def _chi2(sample, pmf, support):
    """Chi-square p-value of integer samples against pmf on ``support`` (the rest merged into one bin)."""
    sample = np.asarray(sample).ravel().astype(np.int64)
    n = sample.size
    expected = n * np.array([pmf(k) for k in support])
    observed = np.array([np.count_nonzero(sample == k) for k in support])
    rest_p = 1.0 - expected.sum() / n
    if rest_p > 1e-12:
        expected = np.append(expected, n * rest_p)
        observed = np.append(observed, n - observed.sum())
    else:
        assert observed.sum() == n, "samples outside the support"
    return stats.chisquare(observed, expected).pvalue


def test_randint_is_uniform():
    x = np_(br.RandomState(1).randint(-3, 7, size=N))
    assert x.min() >= -3 and x.max() <= 6
    assert _chi2(x, lambda k: 0.1, range(-3, 7)) > ALPHA
    y = np_(br.RandomState(2).randint(jnp.array([0, 10]), jnp.array([4, 12]), size=(N, 2)))
    assert _chi2(y[:, 0], lambda k: 0.25, range(4)) > ALPHA and _chi2(y[:, 1], lambda k: 0.5, range(10, 12)) > ALPHA


def test_choice_with_probabilities():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    x = np_(br.RandomState(3).choice(4, size=N, p=p))
    assert _chi2(x, lambda k: p[k], range(4)) > ALPHA
    items = np_(br.RandomState(3).choice(jnp.array([10, 20, 30, 40]), size=N, p=p))
    np.testing.assert_array_equal(items, (x + 1) * 10)


def test_choice_without_replacement_distinct_and_sequential():
    rng = br.RandomState(4)
    big = np_(rng.choice(1000, size=500, replace=False))
    assert len(set(big.tolist())) == 500
    # numpy's rule with p: the first item ~ p, the second ~ p_j / (1 - p_i) given the first i
    p = np.array([0.5, 0.3, 0.2])
    draw = be.jit(lambda: rng.choice(3, size=2, replace=False, p=p))
    pairs = np.stack([np_(draw()) for _ in range(3000)])
    assert draw.trace_count == 1
    assert np.all(pairs[:, 0] != pairs[:, 1])
    assert _chi2(pairs[:, 0], lambda k: p[k], range(3)) > ALPHA
    second = lambda j: sum(p[i] * p[j] / (1 - p[i]) for i in range(3) if i != j)  # noqa: E731
    assert _chi2(pairs[:, 1], second, range(3)) > ALPHA
    # uniform without replacement: each item is included with probability k / n
    uni = be.jit(lambda: rng.choice(10, size=3, replace=False))
    subsets = np.stack([np_(uni()) for _ in range(2000)])
    assert all(len(set(r)) == 3 for r in subsets.tolist())
    assert _chi2(subsets.ravel(), lambda k: 0.1, range(10)) > ALPHA


def test_permutation_is_a_uniform_permutation():
    rng = br.RandomState(5)
    assert sorted(np_(rng.permutation(50)).tolist()) == list(range(50))
    arr = jnp.arange(20.0) * 3
    perm = np_(rng.permutation(arr))
    assert sorted(perm.tolist()) == sorted(np_(arr).tolist())
    orders = list(itertools.permutations(range(4)))
    draw = be.jit(lambda: rng.permutation(4))
    seen = [orders.index(tuple(np_(draw()).tolist())) for _ in range(2400)]
    assert _chi2(seen, lambda k: 1 / 24, range(24)) > ALPHA
    cols = np_(rng.permutation(be.arange(12).reshape(3, 4), axis=1))
    np.testing.assert_array_equal(np.sort(cols, axis=1), np.arange(12).reshape(3, 4))


def test_bernoulli_binomial_poisson_geometric_categorical():
    rng = br.RandomState(6)
    b = np_(rng.bernoulli(0.3, size=N))
    assert _chi2(b, stats.bernoulli(0.3).pmf, range(2)) > ALPHA
    x = np_(rng.binomial(12, 0.35, size=N))
    assert _chi2(x, stats.binom(12, 0.35).pmf, range(13)) > ALPHA
    big = np_(rng.binomial(400, 0.6, size=N))
    assert _chi2(big, stats.binom(400, 0.6).pmf, range(215, 265)) > ALPHA
    for lam in (0.7, 4.0, 60.0):
        y = np_(rng.poisson(lam, size=N))
        lo, hi = stats.poisson(lam).ppf([0.001, 0.999]).astype(int)
        assert _chi2(y, stats.poisson(lam).pmf, range(lo, hi + 1)) > ALPHA, lam
    g = np_(rng.geometric(0.25, size=N))
    assert g.min() >= 1 and _chi2(g, stats.geom(0.25).pmf, range(1, 25)) > ALPHA
    logits = np.log(np.array([0.2, 0.5, 0.3]))
    c = np_(rng.categorical(logits, size=N))
    assert _chi2(c, lambda k: np.exp(logits)[k], range(3)) > ALPHA


def test_chi2_negative_control_has_power():
    x = np_(br.RandomState(0).poisson(4.4, size=N))
    assert _chi2(x, stats.poisson(4.0).pmf, range(0, 15)) < ALPHA


# ------------------------------------------------------------------------------------------------------------
# Docstring examples exist (they run once, under --doctest-modules)
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [br, _base, _continuous, _positive, _discrete, _multivariate, _generator],
    ids=lambda m: m.__name__.rsplit(".", 1)[-1],
)
def test_docstring_examples_exist(module):
    # The examples run once, under `--doctest-modules` (pyproject.toml); here: every module has some.
    assert sum(len(t.examples) for t in doctest.DocTestFinder().find(module)) > 0


def test_public_names_are_bound_to_the_default_generator():
    for name in br.__all__:
        obj = getattr(br, name)
        if name in ("RandomState", "DEFAULT", "default_rng"):
            continue
        assert getattr(obj, "__self__", None) is br.DEFAULT, name
        assert obj.__doc__, name
    assert isinstance(br.DEFAULT, br.RandomState) and isinstance(br.DEFAULT, be.Module)
    assert be.random is br
