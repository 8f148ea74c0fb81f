"""The Runner's run loop: chunks dispatched and collected one at a time (``Runner.chunks``) or pipelined
(``Runner.run``), NaN stops, interrupts."""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterator

import jax
import numpy as np

from ._results import RunResult
from ._runner_compile import _pad_steps
from ._runner_record import _Parts

if TYPE_CHECKING:
    from ._runner import Runner

__all__ = ["RunChunks", "NonFiniteError"]


class NonFiniteError(FloatingPointError):
    """A State became NaN or infinite.  ``err.result`` holds everything recorded up to that step."""

    def __init__(self, message: str, result: RunResult | None):
        super().__init__(message)
        self.result = result


class _DeferInterrupt:
    """Hold Ctrl-C / a kernel interrupt until a compiled chunk and its State write-back are complete."""

    def __enter__(self) -> "_DeferInterrupt":
        self.hit = False
        self.active = threading.current_thread() is threading.main_thread()
        if self.active:
            self.previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum: int, frame: Any) -> None:
        self.hit = True

    def __exit__(self, *exc: Any) -> None:
        if self.active:
            signal.signal(signal.SIGINT, self.previous)
        if self.hit and exc[0] is None:
            raise KeyboardInterrupt


class RunChunks:
    r"""A run of a :class:`~brainlab.Runner` taken one chunk at a time: each ``next()`` simulates ``every`` ms
    and returns that chunk's data.  Made by :meth:`Runner.chunks <brainlab.Runner.chunks>`.

    A chunk is one call of the compiled stepping loop: it runs :math:`n = \mathrm{round}(\text{every}/dt)` steps
    (fewer for the last chunk of a run of given ``duration``), from the runner's current time :math:`t_0` to
    :math:`t_0 + n\,dt`, and its result holds the recorded steps :math:`t_0 + dt, \dots, t_0 + n\,dt` (ms).
    Chunks are collected before ``next()`` returns (nothing runs ahead), so a parameter changed between two
    ``next()`` calls (``lif.I_ext = 300.0``, ``proj.weight = 0.8``) acts from the following chunk on, without
    recompiling: the run equals two ``run()`` calls with the same change in between.

    Attributes and methods:
        next(it): run one chunk and return a :class:`~brainlab.RunResult` of its data only (``ts``, monitors,
            spikes); ``StopIteration`` once the duration is done (never for an open-ended run: ``stop()`` it).
        result(): a :class:`~brainlab.RunResult` of every chunk this iterator has run; its ``stopped`` is
            ``None`` when the whole duration ran, else says where the run stopped.
        stop(): end the run early (idempotent; waits for a chunk running in another thread) and return
            ``result()``.
        t: the simulated time (ms) at the end of the last recorded step.
        done: whether the run has ended (duration reached, stopped, interrupted or non-finite).
        steps_done: the number of steps recorded by this iterator.

    A NaN or infinite State makes ``next()`` raise :class:`~brainlab.NonFiniteError` (naming the variable, the
    population and the time) whose ``result`` holds everything this iterator recorded up to and including the
    bad step; the iterator is then done.  An interrupt (Ctrl-C, the notebook's stop button) during ``next()``
    lets the chunk complete, returns its data and ends the iterator (``result().stopped`` says so); the runner
    can continue with a new ``chunks()`` or ``run()``.

    Example:
        >>> import brainlab as bl
        >>> lif = bl.neurons.LIF(10, I_ext=300.0)
        >>> runner = bl.Runner(lif, monitors={'V': 'LIF.V'}, progress=False)
        >>> it = runner.chunks(50.0, every=10.0)          # 5 chunks of 10 ms (dt = 0.1 ms)
        >>> next(it)['V'].shape
        (100, 10)
        >>> lif.I_ext = 0.0                               # the next chunks run without drive
        >>> [len(chunk.ts) for chunk in it]
        [100, 100, 100, 100]
        >>> it.done, round(it.t, 6), it.result()['V'].shape
        (True, 50.0, (500, 10))
    """

    def __init__(self, runner: "Runner", n_steps: int | None, inputs: Any, capacity: int, owner: str):
        self._runner = runner
        self._n_steps = n_steps
        consts, series, funcs = runner._parse_inputs(inputs, n_steps, owner)
        self._series = series
        self._keys = (tuple(k for k, _ in consts), tuple(k for k, _ in series), tuple(funcs))
        self._const_values = [v for _, v in consts]
        self._capacity = capacity
        self._parts = _Parts(runner)
        self._in_flight: list[dict[str, Any]] = []  # dispatched, not yet collected; oldest first
        self._dispatched = 0  # steps dispatched by this iterator
        self._t0 = runner.t
        self._stopped: str | None = None
        self._done = False
        self._lock = threading.RLock()  # next(), stop() and result() from different threads take turns

    # -- public --------------------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[RunResult]:
        return self

    def __next__(self) -> RunResult:
        with self._lock:
            if self._done:
                raise StopIteration
            collected = len(self._parts.ts)
            error = None
            try:
                self._dispatch()
                error = self._collect()
            except KeyboardInterrupt:
                error = self._drain()
                if error is None:
                    self._end(f"interrupted at t = {self.t:.6g} ms; call runner.chunks() or runner.run() to "
                              "continue")
                    print(f"Runner: {self._stopped}. it.result() holds the data recorded so far.")
            if error is not None:
                raise error
            if self._n_steps is not None and self._dispatched >= self._n_steps:
                self._done = True
            if len(self._parts.ts) == collected:  # (interrupted before the chunk was dispatched)
                raise StopIteration
            return self._parts.assemble_last()

    def result(self) -> RunResult:
        """Everything this iterator has recorded, with ``stopped`` set unless the whole duration ran."""
        with self._lock:
            stopped = self._stopped
            if stopped is None and (self._n_steps is None or self.steps_done < self._n_steps):
                stopped = self._stop_message()
            return self._parts.assemble(stopped)

    def stop(self) -> RunResult:
        """End the run here (idempotent) and return :meth:`result`."""
        with self._lock:
            if not self._done:
                self._end(None if self._n_steps is not None and self.steps_done >= self._n_steps
                          else self._stop_message())
            return self.result()

    @property
    def t(self) -> float:
        """The simulated time (ms) at the end of the last step this iterator recorded."""
        ts = self._parts.ts
        return float(ts[-1][-1]) if ts and len(ts[-1]) else self._t0

    @property
    def done(self) -> bool:
        """Whether the run has ended (duration reached, stopped, interrupted or a non-finite value)."""
        return self._done

    @property
    def steps_done(self) -> int:
        """The number of steps this iterator has recorded."""
        return int(sum(len(t) for t in self._parts.ts))

    @property
    def duration(self) -> float | None:
        """The run's duration in ms (whole steps), or ``None`` for an open-ended run."""
        return None if self._n_steps is None else self._n_steps * self._runner.dt

    def __repr__(self) -> str:
        total = "open-ended" if self._n_steps is None else f"of {self.duration:.6g} ms"
        state = "done" if self._done else "running"
        return (f"RunChunks(t={self.t:.6g} ms, {self.steps_done} steps {total}, "
                f"{self._capacity * self._runner.dt:.6g} ms per chunk, {state})")

    # -- the loop, shared with Runner.run ------------------------------------------------------------------
    def _stop_message(self) -> str:
        if self._n_steps is None:
            return f"stopped at t = {self.t:.6g} ms (an open-ended run, {self.steps_done} steps)"
        dt = self._runner.dt
        return (f"stopped at t = {self.t:.6g} ms, after {self.steps_done * dt:.6g} of "
                f"{self._n_steps * dt:.6g} ms")

    def _end(self, stopped: str | None) -> None:
        self._done = True
        self._stopped = stopped

    def _dispatch(self) -> None:
        """Start the next chunk on the device (asynchronously) and queue it for collection."""
        runner = self._runner
        capacity = self._capacity
        n = capacity if self._n_steps is None else min(capacity, self._n_steps - self._dispatched)
        start = self._dispatched
        fn = runner._chunk_function(*self._keys, checking=False, capacity=capacity)
        chunk = {"first": runner.step_count, "n": n,
                 "series": [_pad_steps(v[start:start + n], capacity) for _, v in self._series],
                 "snapshot": {p: s._value for p, s in runner._states.items()}}
        with _DeferInterrupt():
            chunk["out"] = fn(np.int32(chunk["first"]), np.int32(n), self._const_values, chunk["series"])
            chunk["final"] = [s._value for _, s in runner._checked_states()]
            runner.step_count += n
            self._in_flight.append(chunk)
            self._dispatched += n

    def _collect(self) -> NonFiniteError | None:
        """Collect the oldest dispatched chunk; on a non-finite value, end the run and return the error."""
        bad = self._finish(self._in_flight[0])
        self._in_flight.pop(0)
        if bad is None:
            return None
        message, stopped = bad
        self._end(stopped)
        return NonFiniteError(message, self._parts.assemble(stopped))

    def _drain(self) -> NonFiniteError | None:
        """After an interrupt: the chunks already dispatched complete anyway, so keep their data (it then
        matches the States)."""
        with _DeferInterrupt():
            while self._in_flight:
                error = self._collect()
                if error is not None:
                    return error
        return None

    def _run_all(self, callback: Callable[[RunResult, Any], Any] | None, bar: Any) -> RunResult:
        """``Runner.run``: all chunks, the next dispatched before the last is collected (host work overlaps the
        simulation), except with a callback, which sees (and may change) the state after each chunk."""
        pipeline = callback is None
        n_steps = self._n_steps
        error = None
        try:
            while True:
                if self._dispatched < n_steps and (pipeline or not self._in_flight):
                    self._dispatch()
                    if pipeline and len(self._in_flight) < 2 and self._dispatched < n_steps:
                        continue  # keep one chunk queued behind the one being collected
                if not self._in_flight:
                    break
                n = self._in_flight[0]["n"]
                error = self._collect()
                if error is not None:
                    break
                if bar is not None:
                    bar.update(round(n * self._runner.dt, 6))
                if callback is not None:
                    callback(self._parts.assemble_last(), self._runner)
        except KeyboardInterrupt:
            error = self._drain()
            if error is None:
                self._end(f"interrupted at t = {self._runner.t:.6g} ms; run() again to continue")
                print(f"Runner: {self._stopped}. The data recorded so far is returned.")
        finally:
            if bar is not None:
                bar.close()
        if error is not None:
            raise error
        self._done = True
        return self.result()

    def _finish(self, chunk: dict) -> tuple[str, str] | None:
        """Check a dispatched chunk for NaNs and collect its data.  On a NaN, discard the chunks dispatched after
        it, replay it with per-step checks from its saved start, keep its data up to the bad step and return
        ``(message, stopped)`` for the error; else return ``None``."""
        if chunk.get("finished"):  # (an interrupt came after it was collected, before it left the queue)
            return None
        runner, parts, in_flight = self._runner, self._parts, self._in_flight
        rec, spk, _ = chunk["out"]
        bad = runner._host_bad(chunk["final"])  # waits for the chunk
        first, n = chunk["first"], chunk["n"]
        if not bad.any():
            parts.collect(rec, spk, first, n)
            chunk["finished"] = True
            return None
        for later in in_flight[1:]:
            jax.block_until_ready(later["out"])
        del in_flight[1:]
        names = [p for p, _ in runner._checked_states()]
        bad_path = names[int(np.argmax(bad))]
        # replay the chunk with per-step checks to find the exact step and variable
        for p, v in chunk["snapshot"].items():
            runner._states[p]._value = v
        runner.step_count = first
        capacity = self._capacity
        fn = runner._chunk_function(*self._keys, checking=True, capacity=capacity)
        rec, spk, (codes,) = fn(np.int32(first), np.int32(n), self._const_values, chunk["series"])
        runner.step_count = first + n
        codes = np.asarray(codes).reshape(-1, capacity)[:, :n]  # [members, steps]
        hit = (codes >= 0).any(axis=0)
        k = int(np.argmax(hit)) if hit.any() else n - 1
        member = int(np.argmax(codes[:, k] >= 0))
        path = names[int(codes[member, k])] if codes[member, k] >= 0 else bad_path
        parts.collect(rec, spk, first, k + 1)
        chunk["finished"] = True
        t_bad = (first + k + 1) * runner.dt
        pop, _, var = path.rpartition(".")
        stopped = f"non-finite value of {var!r} in {pop or 'the network'!r} at t = {t_bad:.4g} ms"
        message = (
            f"Runner: the State {var!r} of population {pop!r} became NaN or infinite at t = {t_bad:.6g} "
            f"ms (step {first + k}). The run stopped there; err.result holds everything recorded up to "
            "and including that step. Usual causes: a time step too large for the model (try a smaller "
            "dt), or parameters/inputs outside the model's range. Call runner.reset() before running "
            "again."
        )
        return message, stopped
