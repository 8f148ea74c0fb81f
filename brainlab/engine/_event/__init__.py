"""Event-driven spike propagation.

A spiking network spends its time delivering spikes: each step, the few neurons that fire add their synaptic
weights to their targets.  These operators visit only the rows of the neurons that spike, in compiled numba
kernels called by XLA through its typed FFI on CPU (no Python in the loop), and in pure JAX on other platforms.
numba compiles the kernels once per installation; their machine code is cached under ``~/.cache/brainlab/kernels``
and later processes load it without importing numba (see ``_native``).

* :func:`event_csr_matvec`, :func:`csr_matvec`: a stored CSR connectivity (scalar or per-synapse weights);
  ``_csr.event_csr_matvec_multi``: several connectivities from the same neurons in one call.
* :func:`event_fixedprob_onthefly`: a fixed-probability connectivity regenerated from a seed at every step
  (O(N) memory); :func:`fixedprob_onthefly_csr` materialises it for inspection.
* :func:`delay_push`, :func:`delayed`: a ring buffer of past spike vectors for transmission delays.
* :func:`numba_status`: why the numba backend is (un)available.
"""

from ._backend import numba_status
from ._csr import csr_matvec, event_csr_matvec
from ._delay import delay_push, delayed
from ._onthefly import event_fixedprob_onthefly, fixedprob_onthefly_csr

__all__ = [
    "event_csr_matvec",
    "csr_matvec",
    "event_fixedprob_onthefly",
    "fixedprob_onthefly_csr",
    "delay_push",
    "delayed",
    "numba_status",
]
