"""Connectivity builders: rules that say which neuron connects to which, built into CSR arrays.

A rule (a small frozen dataclass such as ``FixedProb(0.02, seed=0)``) is applied to population sizes with
``rule.build(n_pre, n_post)`` and returns a :class:`Connectivity` (CSR pre → post, int32). Random rules are
O(number of synapses) in time and memory, with one random stream per row so that a seed gives the same network
on any number of threads: FixedProb in vectorised numpy, the others in numba kernels (numba is imported on their
first build). Callers convert the arrays to JAX (``jnp.asarray(conn.indices)``).

Example:
    >>> import brainlab.conn as conn
    >>> c = conn.FixedProb(0.1, seed=0).build(1000, 1000)
    >>> c.indptr.shape, c.indices.dtype
    ((1001,), dtype('int32'))
"""

from ._connectivity import Connectivity
from ._random import FixedPostNum, FixedPreNum, FixedProb
from ._regular import AllToAll, OneToOne
from ._rule import ConnRule
from ._spatial import GaussianProb
from ._user import FromDense, FromIJ

__all__ = [
    "AllToAll",
    "ConnRule",
    "Connectivity",
    "FixedPostNum",
    "FixedPreNum",
    "FixedProb",
    "FromDense",
    "FromIJ",
    "GaussianProb",
    "OneToOne",
]
