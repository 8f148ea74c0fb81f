"""``Runner``: simulate a network in compiled chunks, streaming recorded data to the host.

The Runner lives in small modules: :mod:`._runner_config` (numbers, monitors, inputs), :mod:`._runner_compile`
(the compiled stepping loop and the on-disk executable cache), :mod:`._runner_loop` (the run loop: chunks one at
a time or pipelined, NaN stops, interrupts) and :mod:`._runner_record` (decoding and assembling recordings).  The
names other modules and tests use are importable from here.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from . import engine as be
from ._network import Network, is_population
from ._results import RunResult
from ._runner_compile import (  # noqa: F401  (re-exported: tests and benchmarks use them from here)
    _CACHE,
    _CACHE_MAX_BYTES,
    _CACHE_MAX_ENTRY_BYTES,
    _CHUNK_BYTES,
    _CPU_COMPILER_OPTIONS,
    _HOIST_SIZE,
    _compile,
    _compile_stateful,
    _executable_cache,
    _ExecutableCache,
    _make_cache,
    _pad_steps,
    _Program,
    _stepping_loop,
)
from ._runner_config import _flag, _number, _parse_inputs, _parse_monitors
from ._runner_loop import NonFiniteError, RunChunks, _DeferInterrupt  # noqa: F401
from ._runner_record import _Parts  # noqa: F401
from .engine import Module, State
from .engine._event._spikes import pack_spikes, packed_bytes

__all__ = ["Runner", "NonFiniteError", "RunChunks"]

_OPTIONS_WARNED: set[tuple] = set()  # option sets XLA refused, said once per process



def _warn_options_dropped(options: dict, err: Exception) -> None:
    """Say, once per option set and process, that XLA refused the Runner's compile options."""
    key = tuple(sorted(options))
    if key in _OPTIONS_WARNED:
        return
    _OPTIONS_WARNED.add(key)
    warnings.warn(
        f"Runner: XLA refused the compile options {sorted(options)} ({str(err).splitlines()[0][:200]}); the chunk "
        "program is compiled without them. Results are the same, but each step may be slower; a jaxlib that "
        "accepts them brings the speed back.", RuntimeWarning, stacklevel=4)


class Runner:
    r"""Simulate a network (or a single population) and record what you ask for.

    Main arguments:
        net: a :class:`~brainlab.Network`, or one population (it is wrapped in a Network).
        monitors: what to record each step, ``{name: what}`` (or a list of paths), where *what* is a State path
            such as ``'E.V'``, a pair ``('E.V', indices)`` to record some neurons only, a State, or a function of
            no argument returning an array (called inside the compiled step).
        dt: the time step in ms (default: the smallest ``DEFAULT_DT`` of the populations).

    Other arguments:
        record_spikes: record the spikes of every spiking population, sparsely (default True; bit-packed while
            the chunk runs, one bit per neuron and step, and returned as spike times and indices).
        progress: show a progress bar (a widget in notebooks).
        chunk_ms: simulated time per compiled chunk; recorded data moves to the host after each chunk, so memory
            stays bounded for long runs.  Default: 100 ms (or ``every``), shortened for large networks so that a
            chunk records at most 64 MB.  One compiled program serves chunks of every length up to this one.
        fuse: run the elementwise work of a step (the neuron and synapse updates, threshold, reset) as one
            compiled loop per population size instead of one XLA kernel per State it writes
            (:mod:`brainlab.engine._fusion`; the 4000-neuron COBA network steps about 1.3x faster).  Default
            ``None``: on when running on CPU (a sweep's batched runner never fuses).  A fused step performs
            the same IEEE operations, but may round a multiply-add once where XLA rounds twice (or the
            reverse), so a long chaotic run can drift from an unfused one in its spike times; ``fuse=False``
            runs every operation through XLA.

    Running: ``res = runner.run(duration, inputs=...)``; calling ``run`` again continues from where the last
    run stopped; ``reset()`` restores the initial state.  ``res.ts`` holds the time of each recorded step, the
    time the recorded values hold (the end of the step, ms); spike times are the ends of the steps in which
    neurons crossed threshold.

    A NaN or infinite value in a State stops the run with :class:`NonFiniteError`, naming the variable, the
    population and the time; ``err.result`` has everything recorded until then.  An interrupt (Ctrl-C, or the
    notebook's stop button) keeps the data of the chunks already run and returns them with ``res.stopped`` set;
    ``run`` can continue afterwards.

    Performance: the next chunk is dispatched before the data of the last one is decoded on the host, the NaN check
    runs on the host once per chunk (a replay with per-step checks finds the exact step), and compiled chunk
    programs are kept on disk (``~/.cache/brainlab/xla``; ``BRAINLAB_CACHE_DIR`` moves the cache root,
    ``BRAINLAB_CACHE_DIR=0`` turns it off), so a new process does not compile a network it has run before.

    Live runs: ``it = runner.chunks(duration, inputs=..., every=10.0)`` runs one chunk per ``next(it)`` and
    returns its data (:class:`RunChunks`); parameters changed between chunks act from the next chunk on.

    Example:
        >>> import brainlab as bl
        >>> lif = bl.neurons.LIF(100, I_ext=300.0)     # R I = 0.1 GΩ x 300 pA = 30 mV of drive
        >>> runner = bl.Runner(lif, monitors={'V': 'LIF.V'}, dt=0.1, progress=False)
        >>> res = runner.run(100.0)
        >>> res['V'].shape                             # [steps, neurons], mV
        (1000, 100)
        >>> res.spikes.rate(100.0)                     # Hz; theory 1 / (2 ms + 10 ms ln 2) = 112 Hz
        110.0
    """

    def __init__(
        self,
        net: Any,
        monitors: Mapping[str, Any] | list[Any] | None = None,
        dt: float | None = None,
        *,
        record_spikes: bool = True,
        progress: bool = True,
        chunk_ms: float | None = None,
        fuse: bool | None = None,
    ):
        if is_population(net):
            name = getattr(net, "name", None) or type(net).__name__
            net = Network(**{name: net})
        if not isinstance(net, Network):
            raise TypeError(
                f"Runner: net must be a bl.Network or a population (e.g. bl.neurons.LIF(10)), got "
                f"{type(net).__name__}."
            )
        self.net = net
        self._dt = _number("Runner", "dt", dt) if dt is not None else net.default_dt()
        self.progress = _flag("Runner", "progress", progress)
        self.chunk_ms = _number("Runner", "chunk_ms", chunk_ms) if chunk_ms is not None else None
        self.fuse = fuse
        self._states = net.states()
        # what to record, and the recorded bytes per step of each State monitor
        self.monitors, self._monitor_bytes = _parse_monitors(self._states, monitors)
        self.spiking: dict[str, Any] = {}
        if _flag("Runner", "record_spikes", record_spikes):
            for path, pop in net.populations().items():
                spike = getattr(pop, "spike", None)
                if isinstance(spike, State) and spike.dtype == jnp.bool_:
                    self.spiking[path] = pop
        self.step_count = 0
        self._compiled: dict[Any, Any] = {}
        self._sentinel: dict[int, bool] = {}
        self._checked: list[tuple[str, State]] | None = None
        self._batched: Module | None = None  # set by bl.sweep: States carry a leading axis of parameter sets

    # -- configuration -----------------------------------------------------------------------------------
    @property
    def dt(self) -> float:
        """The time step (ms)."""
        return self._dt

    @property
    def t(self) -> float:
        """The current simulation time (ms)."""
        return self.step_count * self._dt

    def _parse_inputs(self, inputs: Any, n_steps: int | None, owner: str = "Runner.run") -> tuple[list, list, list]:
        return _parse_inputs(self.net, inputs, n_steps, owner)

    # -- compiled chunks ---------------------------------------------------------------------------------
    def _chunk_function(self, const_keys: tuple, series_keys: tuple, funcs: tuple, checking: bool,
                        capacity: int) -> "_Program":
        """The compiled program that runs up to ``capacity`` steps (the count is an argument: one compilation
        serves chunks of every length) and returns the recorded buffers."""
        fuse = self._fusing()
        key = (const_keys, series_keys, tuple((k, id(f)) for k, f in funcs), checking, self._dt, capacity, fuse)
        fn = self._compiled.get(key)
        if fn is not None:
            return fn
        dt = self._dt
        net = self.net
        monitors = self.monitors
        spiking = list(self.spiking.values())
        checked = self._checked_states()
        for _, s in checked:
            self._uses_sentinels(s)  # fill the sentinel table outside the trace

        def one_step(i, const_values, xs):
            t = i.astype(be.default_float()) * dt
            inputs: dict[int, Any] = {}
            for k, v in zip(const_keys, const_values):
                inputs[k] = v if k not in inputs else inputs[k] + v
            for k, v in zip(series_keys, xs):
                inputs[k] = v if k not in inputs else inputs[k] + v
            for k, f in funcs:
                v = jnp.asarray(f(t))
                inputs[k] = v if k not in inputs else inputs[k] + v
            net.update(t, dt, inputs)
            rec = [jnp.asarray(getter()) for _, getter in monitors]
            if checking:
                bad = jnp.stack([self._bad(s) for _, s in checked])
                code = jnp.where(bad.any(), jnp.argmax(bad), -1).astype(jnp.int32)
                return rec, [code]
            return rec, []

        def chunk(first, n, const_values, series_values):
            # the spikes of each population, bit-packed into one raster row per step, packed from the stored spike
            # vectors at the start of the next step (see _stepping_loop).  One raster per population: XLA packs
            # and writes each in a few hundred ns, where the row of a concatenation took over a microsecond.
            spk, (rec, codes) = _stepping_loop(
                one_step, first, n, const_values, series_values, capacity,
                lambda: [pack_spikes(pop.spike.value) for pop in spiking], fuse=fuse)
            return rec, spk, codes

        if self._batched is not None:
            fn = _Program(be.vmap(chunk, in_axes=None, in_states=self._batched))
        else:
            fn = _Program(chunk)
        self._compiled[key] = fn
        return fn

    @property
    def fuse(self) -> bool | None:
        """The ``fuse`` setting (see the class docstring); it can be changed between runs."""
        return self._fuse

    @fuse.setter
    def fuse(self, value: bool | None) -> None:
        if not (value is None or value is True or value is False):
            raise TypeError(f"Runner: fuse must be True, False or None (automatic), got {value!r}.")
        if value is True and jax.default_backend() == "cpu":
            from .engine._fusion import available

            if not available():
                raise RuntimeError("Runner: fuse=True needs llvmlite and a jaxlib whose FFI layout brainlab "
                                   "understands; use fuse=None (automatic) or fuse=False.")
        self._fuse = value

    def _fusing(self) -> bool:
        """Whether the stepping loop fuses elementwise work (see ``fuse``): never for a batched runner (the
        fused kernels have no batching rule) nor off CPU."""
        if self._fuse is False or self._batched is not None or jax.default_backend() != "cpu":
            return False
        from .engine._fusion import available

        return available()

    def _checked_states(self) -> list[tuple[str, State]]:
        """Float States that can go bad.  States that start with infinities (e.g. "time of last spike = -inf")
        use them as sentinels, so only NaN is an error for those."""
        if self._checked is None:
            self._checked = [(p, s) for p, s in self._states.items()
                             if s.kind != "param" and jnp.issubdtype(s.dtype, jnp.floating)]
        return self._checked

    def _uses_sentinels(self, s: State) -> bool:
        sentinel = self._sentinel.get(id(s))
        if sentinel is None:
            sentinel = self._sentinel[id(s)] = not bool(np.isfinite(np.asarray(s._init)).all())
        return sentinel

    def _host_bad(self, values: list) -> np.ndarray:
        """Which checked States hold a non-finite value (NaN only for those using infinities as sentinels), from
        their values at the end of a chunk; checked on the host, so the compiled chunk carries no check."""
        out = np.zeros(len(values), dtype=bool)
        for i, ((_, s), v) in enumerate(zip(self._checked_states(), values)):
            v = np.asarray(v)
            out[i] = np.isnan(v).any() if self._uses_sentinels(s) else not np.isfinite(v).all()
        return out

    def _bad(self, s: State) -> Any:
        sentinel = self._uses_sentinels(s)
        v = s.value
        return jnp.isnan(v).any() if sentinel else ~jnp.isfinite(v).all()

    # -- running -----------------------------------------------------------------------------------------
    def run(
        self,
        duration: float,
        inputs: Mapping[Any, Any] | None = None,
        *,
        every: float | None = None,
        callback: Callable[[RunResult, "Runner"], Any] | None = None,
        progress: bool | None = None,
    ) -> RunResult:
        """Simulate ``duration`` ms from the current time and return what was recorded.

        Args:
            duration: simulated time in ms (a number, rounded to whole steps; at least one step).
            inputs: external currents ``{population or name: current}``; a current is a number, a per-neuron
                array, a time series ``(n_steps,)`` / ``(n_steps, size)`` for this run, or a function ``f(t)`` of
                the time in ms (traced once).
            every: call ``callback`` after every ``every`` ms of simulated time (sets the chunk length).
            callback: ``callback(chunk_result, runner)`` receives the data of the newest chunk (live plots).
            progress: override the runner's progress-bar setting for this run.
        """
        n_steps = self._steps_of("Runner.run", duration)
        if every is not None:
            every = _number("Runner.run", "every", every)
        if callback is not None and not callable(callback):
            raise TypeError("Runner.run: callback must be a function callback(chunk_result, runner).")
        show = self.progress if progress is None else _flag("Runner.run", "progress", progress, none=True)
        it = RunChunks(self, n_steps, inputs, self._chunk_steps(every), "Runner.run")
        bar = None
        if show:
            from tqdm.auto import tqdm

            bar = tqdm(total=round(n_steps * self._dt, 6), unit="ms", desc="simulating", leave=False)
        # Chunks run asynchronously: the next chunk is dispatched before the data of the previous one is moved to
        # the host and decoded, so host work overlaps the simulation.  With a callback, each chunk is collected
        # (and the callback called) before the next starts, so the callback sees, and may change, the current state.
        return it._run_all(callback, bar)

    def chunks(
        self,
        duration: float | None = None,
        inputs: Mapping[Any, Any] | None = None,
        *,
        every: float = 10.0,
    ) -> RunChunks:
        r"""Run chunk by chunk: each ``next()`` of the returned :class:`RunChunks` simulates ``every`` ms from the
        current time and returns that chunk's data (live plots, sliders, pause and resume).

        Nothing runs ahead: a parameter changed between two ``next()`` calls (``lif.I_ext = 300.0``,
        ``proj.weight = 0.8``, an input population's rate) acts from the next chunk on, with the same compiled
        program.  The chunks of a run, concatenated, equal one ``run(duration)`` with the same inputs.

        Args:
            duration: simulated time in ms (rounded to whole steps), or ``None`` for an open-ended run that goes
                on until ``stop()`` (then ``inputs`` may hold numbers, per-neuron arrays and functions ``f(t)``,
                not time series).
            inputs: as for :meth:`run`; a time series has one row per step of ``duration``.
            every: simulated ms per chunk (rounded to whole steps, at least one); the last chunk of a run of
                given ``duration`` may be shorter.

        Example:
            >>> import brainlab as bl
            >>> lif = bl.neurons.LIF(1)
            >>> runner = bl.Runner(lif, progress=False)
            >>> it = runner.chunks(every=20.0, inputs={lif: 300.0})   # open-ended
            >>> n_spikes = [len(next(it).spikes) for _ in range(3)]
            >>> res = it.stop()
            >>> res.duration, len(res.spikes) == sum(n_spikes), res.stopped
            (60.0, True, 'stopped at t = 60 ms (an open-ended run, 600 steps)')
        """
        n_steps = None if duration is None else self._steps_of("Runner.chunks", duration)
        every = _number("Runner.chunks", "every", every)
        capacity = int(round(every / self._dt))
        if capacity < 1:
            raise ValueError(f"Runner.chunks: every={every} ms is shorter than one step (dt={self._dt} ms); give "
                             f"every >= {self._dt}.")
        return RunChunks(self, n_steps, inputs, capacity, "Runner.chunks")

    def _steps_of(self, owner: str, duration: Any) -> int:
        """A duration in ms as a whole number of steps (at least one)."""
        duration = _number(owner, "duration", duration)
        n_steps = int(round(duration / self._dt))
        if n_steps < 1:
            raise ValueError(f"{owner}: duration={duration} ms is shorter than one step (dt={self._dt} ms).")
        return n_steps

    def _chunk_steps(self, every: float | None) -> int:
        """Steps per compiled chunk: ``every`` or ``chunk_ms`` if given, else 100 ms, shortened for large
        networks so that a chunk's recorded data stays under ``_CHUNK_BYTES``."""
        given = every or self.chunk_ms
        steps = max(1, int(round((given or 100.0) / self._dt)))
        if given is None:
            per_step = self._bytes_per_step()
            if per_step:
                steps = max(1, min(steps, _CHUNK_BYTES // per_step))
        return steps

    def _bytes_per_step(self) -> int:
        total = 0
        members = 1
        if self._batched is not None:
            members = int(next(iter(self._batched.states().values())).shape[0])
        total += members * sum(packed_bytes(n) for n in self._spike_sizes().values())
        total += sum(self._monitor_bytes.values())
        return total

    def _spike_sizes(self) -> dict[str, int]:
        """Neurons per recorded population (one parameter set's worth when the States are batched)."""
        batched = self._batched is not None
        return {path: int(np.prod(pop.spike.shape[1:] if batched else pop.spike.shape))
                for path, pop in self.spiking.items()}

    def reset(self) -> None:
        """Restore the network's initial state (parameters are kept) and set the time back to 0."""
        self.net.reset()
        self.step_count = 0

    # -- saving ------------------------------------------------------------------------------------------
    def save_state(self, path: str | Path) -> Path:
        """Save every State of the network and the current time to an ``.npz`` file."""
        path = Path(path)
        values = {f"state/{k}": v for k, v in self.net.state_dict().items()}
        np.savez(path, step_count=np.asarray(self.step_count), dt=np.asarray(self._dt), **values)
        return path if path.suffix == ".npz" else path.with_suffix(path.suffix + ".npz")

    def load_state(self, path: str | Path) -> None:
        """Load States and time saved by :meth:`save_state` (into a network of the same structure)."""
        with np.load(Path(path)) as f:
            values = {k[len("state/"):]: f[k] for k in f.files if k.startswith("state/")}
            step_count = int(f["step_count"])
            dt = float(f["dt"])
        if dt != self._dt:
            raise ValueError(f"Runner.load_state: the file was saved with dt={dt} ms but this runner uses "
                             f"dt={self._dt} ms.")
        self.net.load_state_dict(values)
        self.step_count = step_count

    def __repr__(self) -> str:
        return (f"Runner(dt={self._dt} ms, t={self.t:.6g} ms, monitors={[n for n, _ in self.monitors]}, "
                f"spikes={list(self.spiking)})")
