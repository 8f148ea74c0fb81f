r"""Random numbers with numpy.random's API, on JAX, from a generator whose key is a State.

``be.random.normal(0, 1, size=100)``, ``be.random.seed(42)``, ``be.random.choice(n, k, replace=False)`` ...
behave like their numpy.random namesakes (same names, ``size=`` for the output shape, numpy broadcasting of
array parameters, numpy-style errors) and return :class:`~brainlab.engine.Array`.  Floats are float32, or
float64 inside ``with jax.enable_x64(True):``.

How it works: the module-level functions are the methods of one default generator, :data:`DEFAULT`, a
:class:`RandomState`.  A generator stores a JAX key in a :class:`~brainlab.engine.RandomKeyState`; every call
splits the key, draws from one half and stores the other.  brainlab transforms thread States through compiled
code, so

* ``be.random.seed(s)`` makes everything after it reproducible, eagerly and inside ``be.jit``;
* a call inside a compiled function advances the key exactly like the same call made eagerly (a simulation
  gives the same numbers compiled or not);
* a compiled function that draws numbers compiles once and gives new numbers at each call.

For raw ``jax.random`` code, :func:`split_key` hands out fresh keys and advances the generator.  Independent
streams (one per model, say) are separate :class:`RandomState` objects.

Example:
    >>> import brainlab.engine as be
    >>> be.random.seed(0)
    >>> @be.jit
    ... def noisy_input():
    ...     return 5.0 + be.random.normal(0.0, 1.0, size=3)   # µA/cm², with Gaussian noise
    >>> a = noisy_input(); b = noisy_input()
    >>> bool((a != b).any()), noisy_input.trace_count
    (True, 1)

Limits: the numbers differ from numpy's for the same seed.  Argument checks run on values known while tracing;
a parameter passed as an argument of a compiled function is not checked (an invalid one gives meaningless
numbers, often NaN).  Inside a raw ``jax.jit`` or ``jax.lax`` loop the generator raises, because its new key
could not be carried out; use ``be.jit`` / ``be.for_loop``, or pass a key from :func:`split_key` to
``jax.random``.
"""

from __future__ import annotations

from ._random import DEFAULT, RandomState, default_rng

__all__ = [
    "RandomState", "DEFAULT", "default_rng",
    "seed", "get_state", "set_state", "split_key",
    "rand", "randn", "random", "random_sample", "uniform", "normal", "standard_normal", "lognormal",
    "truncated_normal", "laplace", "logistic", "gumbel", "standard_cauchy", "triangular", "vonmises",
    "exponential", "standard_exponential", "gamma", "standard_gamma", "beta", "chisquare", "standard_t", "f",
    "pareto", "weibull", "rayleigh",
    "randint", "choice", "permutation", "shuffle", "bernoulli", "binomial", "poisson", "geometric",
    "categorical",
    "multivariate_normal", "dirichlet",
]

# Bound methods of the default generator, as numpy.random does.
seed = DEFAULT.seed
get_state = DEFAULT.get_state
set_state = DEFAULT.set_state
split_key = DEFAULT.split_key

rand = DEFAULT.rand
randn = DEFAULT.randn
random = DEFAULT.random
random_sample = DEFAULT.random_sample
uniform = DEFAULT.uniform
normal = DEFAULT.normal
standard_normal = DEFAULT.standard_normal
lognormal = DEFAULT.lognormal
truncated_normal = DEFAULT.truncated_normal
laplace = DEFAULT.laplace
logistic = DEFAULT.logistic
gumbel = DEFAULT.gumbel
standard_cauchy = DEFAULT.standard_cauchy
triangular = DEFAULT.triangular
vonmises = DEFAULT.vonmises

exponential = DEFAULT.exponential
standard_exponential = DEFAULT.standard_exponential
gamma = DEFAULT.gamma
standard_gamma = DEFAULT.standard_gamma
beta = DEFAULT.beta
chisquare = DEFAULT.chisquare
standard_t = DEFAULT.standard_t
f = DEFAULT.f
pareto = DEFAULT.pareto
weibull = DEFAULT.weibull
rayleigh = DEFAULT.rayleigh

randint = DEFAULT.randint
choice = DEFAULT.choice
permutation = DEFAULT.permutation
shuffle = DEFAULT.shuffle
bernoulli = DEFAULT.bernoulli
binomial = DEFAULT.binomial
poisson = DEFAULT.poisson
geometric = DEFAULT.geometric
categorical = DEFAULT.categorical

multivariate_normal = DEFAULT.multivariate_normal
dirichlet = DEFAULT.dirichlet
