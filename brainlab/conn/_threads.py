"""Choice of the numba thread count for one kernel call.

Starting numba's worker threads costs from tens of microseconds on an idle machine to several milliseconds on a
busy one, more than a small build takes on one thread. Kernels are therefore run on a single thread below
``PARALLEL_MIN_WORK`` random draws, on numba's configured thread count above. The result is the same either
way (one random stream per row).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

PARALLEL_MIN_WORK = 200_000


@contextlib.contextmanager
def threads_for(work: float) -> Iterator[None]:
    """Run the enclosed numba calls single-threaded when ``work`` (about the number of draws) is small."""
    if work >= PARALLEL_MIN_WORK:
        yield
        return
    import numba

    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(previous)
