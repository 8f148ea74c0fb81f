r"""Coalescing of rapid changes: a burst of slider moves runs the work once, with the last values.

A slider dragged across its range sends dozens of changes a second, and each recomputation of a panel takes
tens of milliseconds.  Running the work once per change would queue stale work behind the pointer.  A
:class:`LatestWins` instead marks the work as *wanted* and, on the kernel's event loop, runs it once after the
burst has landed; a change that arrives while the work runs makes it run once more, with the newest values.

Without a running event loop (a plain Python script or a test), :meth:`LatestWins.request` runs the work at once,
so code that sets a control and then reads a panel's sources sees the new data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["LatestWins"]


class LatestWins:
    r"""Run ``work()`` once per burst of requests, on the running asyncio loop, with the latest state.

    Args:
        work: the recomputation; it reads the current control values itself, so only the last matters.
        on_error: called with the exception when ``work`` raises (a panel shows it in its status line); the
            scheduler stays usable.
        delay: seconds to wait after the first request of a burst before running, so that the messages
            already queued (the rest of the burst) are applied first.

    ``runs`` counts the times ``work`` ran.

    Example:
        >>> calls = []
        >>> box = {'x': 0}
        >>> job = LatestWins(lambda: calls.append(box['x']), on_error=print)
        >>> box['x'] = 3; job.request()          # no event loop running: runs at once
        >>> calls
        [3]
        >>> import asyncio
        >>> async def burst():
        ...     for x in range(100):
        ...         box['x'] = x
        ...         job.request()                # a loop is running: scheduled, coalesced
        ...     await job.settled()
        >>> asyncio.run(burst())
        >>> calls, job.runs
        ([3, 99], 2)
    """

    def __init__(self, work: Callable[[], object], on_error: Callable[[BaseException], object],
                 delay: float = 0.01):
        if not callable(work):
            raise TypeError(f"LatestWins: work must be a function of no argument, got {type(work).__name__}.")
        self.work = work
        self.on_error = on_error
        self.delay = float(delay)
        self.runs = 0
        self._wanted = False
        self._task: asyncio.Task | None = None

    @property
    def pending(self) -> bool:
        """Whether a run has been requested and has not happened yet."""
        return self._wanted

    def request(self) -> None:
        """Ask for the work to run soon (or now, when no event loop is running)."""
        self._wanted = True
        if self._task is not None and not self._task.done():
            return  # the running drain loop will see the flag
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._task = loop.create_task(self._drain())

    def flush(self) -> None:
        """Run the work now if it is wanted (e.g. from code that must read the result in the same cell)."""
        if self._wanted:
            self._wanted = False
            self._run()

    async def settled(self) -> None:
        """Wait until no run is wanted or in progress."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    def cancel(self) -> None:
        """Forget a wanted run (used when a panel closes)."""
        self._wanted = False
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def _drain(self) -> None:
        while self._wanted:
            await asyncio.sleep(self.delay)
            if not self._wanted:  # flushed meanwhile (panel.settle()): nothing left to do
                break
            self._wanted = False
            self._run()

    def _run(self) -> None:
        self.runs += 1
        try:
            self.work()
        except Exception as exc:  # shown by the owner, never lost
            self.on_error(exc)
