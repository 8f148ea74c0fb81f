"""``Runner``: simulate a network in compiled chunks, streaming recorded data to the host."""

from __future__ import annotations

import difflib
import math
import os
import signal
import threading
import warnings
from pathlib import Path
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from . import engine as be
from ._network import Network, is_population
from ._results import RunResult, SpikeRecord
from .engine import Module, State
from .engine._disk_cache import cache_root, entry_key
from .engine._event._spikes import decode_packed, pack_spikes, packed_bytes

__all__ = ["Runner", "NonFiniteError"]


class NonFiniteError(FloatingPointError):
    """A State became NaN or infinite.  ``err.result`` holds everything recorded up to that step."""

    def __init__(self, message: str, result: RunResult):
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


def _number(owner: str, arg: str, value: Any, positive: bool = True) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: {arg} must be a number (ms), got {type(value).__name__}.") from None
    if not math.isfinite(v) or (positive and v <= 0):
        raise ValueError(f"{owner}: {arg} must be a finite number > 0 (ms), got {value!r}.")
    return v


# ------------------------------------------------------------------------------------------------------------
# Compiled chunks: a stepping loop with a dynamic step count and bit-packed spikes
# ------------------------------------------------------------------------------------------------------------

# Recorded data kept per chunk when the chunk length is not given (chunk_ms / every): longer default chunks of a
# large network are shortened so that a chunk's buffers stay under this many bytes.
_CHUNK_BYTES = 64 * 2**20
_HOIST_SIZE = 256  # constants with at least this many elements are passed to compiled chunks as arguments

# XLA CPU options for the chunk programs.  Region-based copy insertion lets the loop update its carried States in
# place instead of copying them at each step (about 10 % of a step of the 4000-neuron COBA network).
_CPU_COMPILER_OPTIONS = {"xla_cpu_copy_insertion_use_region_analysis": True}


def _pad_steps(x: Any, capacity: int) -> Any:
    """A chunk's slice of a time series, padded with zeros to the chunk capacity (one compiled shape)."""
    missing = capacity - x.shape[0]
    if missing <= 0:
        return x
    return jnp.concatenate([x, jnp.zeros((missing, *x.shape[1:]), x.dtype)])


def _stepping_loop(one_step: Callable, first: Any, n: Any, const_values: Any, series_values: Any, capacity: int,
                   before: Callable[[], list], fuse: bool = False) -> tuple[list, list]:
    """Run ``one_step(first + k, const_values, series[k])`` for ``k < n`` (``n <= capacity``, traced) as one
    ``lax.while_loop`` carrying the States it writes; its outputs fill ``[capacity, ...]`` buffers.

    ``before()`` is recorded from the States as they are when each step starts (row ``k`` of a
    ``[capacity + 1, ...]`` buffer), and once more from the final States (row ``n``): rows ``1 .. n`` then hold
    its value after each step.  Recording what a step left behind at the start of the next one reads the stored
    values instead of recomputing them alongside the step.

    ``fuse``: evaluate the step with its elementwise equations fused per array size
    (:func:`brainlab.engine._fusion.fused_evaluator`, CPU only).

    Returns the ``before`` buffers and the step-output buffers.
    """
    from .engine._array import unwrap
    from .engine._tracing import read_values, trace_stateful, write_values

    def step(i, *xs):
        pre = before()
        return pre, one_step(i, const_values, list(xs))

    i_aval = jax.ShapeDtypeStruct((), jnp.int32)
    x_avals = [jax.ShapeDtypeStruct(x.shape[1:], x.dtype) for x in series_values]
    sj = trace_stateful(step, [i_aval, *x_avals], transform="Runner")
    values = read_values(sj.states)
    carried0 = [v for v, w in zip(values, sj.written) if w]
    fixed = [v for v, w in zip(values, sj.written) if not w]
    out_avals = sj.closed.out_avals[: sj.n_out]
    n_pre = len(jax.tree.leaves(jax.tree.unflatten(sj.out_tree, list(range(sj.n_out)))[0]))
    bufs0 = [jnp.zeros((capacity + 1 if i < n_pre else capacity, *a.shape), a.dtype)
             for i, a in enumerate(out_avals)]
    first = jnp.asarray(unwrap(first), jnp.int32)
    n = jnp.asarray(unwrap(n), jnp.int32)

    if fuse:
        from .engine._fusion import fused_evaluator

        n_args = 1 + len(series_values)
        written_at = [j for j, w in enumerate(sj.written) if w]
        fused = fused_evaluator(sj.closed, donate=[(n_args + j, sj.n_out + k) for k, j in enumerate(written_at)])

        def evaluate(args, state_values):
            outs = fused(*args, *state_values)
            return outs[: sj.n_out], outs[sj.n_out:]
    else:
        evaluate = sj.evaluate

    def merged(carried):
        c, f = iter(carried), iter(fixed)
        return [next(c) if w else next(f) for w in sj.written]

    def body(carry):
        k, carried, bufs = carry
        xs = [jax.lax.dynamic_index_in_dim(x, k, 0, keepdims=False) for x in series_values]
        outs, new = evaluate([first + k, *xs], merged(carried))
        bufs = [jax.lax.dynamic_update_index_in_dim(b, jnp.asarray(o, b.dtype), k, 0) for b, o in zip(bufs, outs)]
        return k + 1, new, bufs

    _, final, bufs = jax.lax.while_loop(lambda c: c[0] < n, body, (jnp.int32(0), carried0, bufs0))
    write_values(sj.written_states, final)
    last = before()
    pre_bufs = [jax.lax.dynamic_update_index_in_dim(b, jnp.asarray(o, b.dtype), n, 0)
                for b, o in zip(bufs[:n_pre], last)]
    _, outs = sj.unflatten(pre_bufs + bufs[n_pre:])
    return pre_bufs, outs


class _Program:
    """A stateful function compiled once per argument and State signature, with the Runner's XLA options.

    Like ``be.jit`` (States found by tracing, written back after each call) but compiled ahead of time, so that
    compiler options can be given.
    """

    def __init__(self, fn: Callable):
        self.fn = fn
        self.trace_count = 0
        self._cache: dict[Any, Any] = {}

    def __call__(self, *args: Any) -> Any:
        from .engine._tracing import aval_of, flatten_args, trace_stateful

        leaves, tree = flatten_args(args)
        leaves = [x if isinstance(x, (jax.Array, np.ndarray)) else np.asarray(x) for x in leaves]
        key = (tree, tuple((tuple(x.shape), x.dtype) for x in leaves))
        entry = self._cache.get(key)
        if entry is not None:
            sj, exe, state_keys = entry
            if [(tuple(s._value.shape), s._value.dtype) for s in sj.states] != state_keys:
                entry = None
        if entry is None:
            avals = [aval_of(x) for x in leaves]
            sj = trace_stateful(lambda *flat: self.fn(*jax.tree.unflatten(tree, list(flat))), avals,
                                transform="Runner")
            self.trace_count += 1
            exe, consts = _compile_stateful(sj, leaves)
            state_keys = [(tuple(s._value.shape), s._value.dtype) for s in sj.states]
            self._cache[key] = entry = (sj, (exe, consts), state_keys)
        sj, (exe, consts), _ = entry
        outs, new = exe(leaves, [s._value for s in sj.states], consts)
        for s, v in zip(sj.written_states, new):
            s._value = v
        return sj.unflatten(outs)


def _compile_stateful(sj: Any, leaves: list) -> tuple[Any, list]:
    """Compile a traced stateful function; its large constants (a connectivity's index arrays) become arguments,
    kept on the device, instead of literals in the program: compiling and caching stay fast for large networks."""
    from jax.extend.core import ClosedJaxpr

    from .engine import _jax_internals as jxi

    closed = sj.closed
    hoisted = [i for i, c in enumerate(closed.consts) if np.size(c) >= _HOIST_SIZE and hasattr(c, "dtype")]
    consts = [jax.device_put(closed.consts[i]) for i in hoisted]

    def run(args, states, hoisted_values):
        values = list(closed.consts)
        for i, v in zip(hoisted, hoisted_values):
            values[i] = v
        outs = jxi.eval_jaxpr(ClosedJaxpr(closed.jaxpr, values), *args, *states)
        return list(outs[: sj.n_out]), list(outs[sj.n_out:])

    lowered = jax.jit(run).lower(leaves, [s._value for s in sj.states], consts)
    return _compile(lowered), consts


_OPTIONS_WARNED: set[tuple] = set()


def _warn_options_dropped(options: dict, err: Exception) -> None:
    key = tuple(sorted(options))
    if key in _OPTIONS_WARNED:
        return
    _OPTIONS_WARNED.add(key)
    warnings.warn(
        f"Runner: XLA refused the compile options {sorted(options)} ({str(err).splitlines()[0][:200]}); the chunk "
        "program is compiled without them. Results are the same, but each step may be slower; a jaxlib that "
        "accepts them brings the speed back.", RuntimeWarning, stacklevel=4)


def _compile(lowered: Any) -> Any:
    """Compile a lowered chunk program, or load it from brainlab's on-disk executable cache.

    With the Runner's CPU options first; where XLA refuses them, without (said once per process).  A program is
    cached under the options it was really compiled with, so each new process tries the options again."""
    options = dict(_CPU_COMPILER_OPTIONS) if jax.default_backend() == "cpu" else {}
    cache = _executable_cache()
    for opts in ([options, {}] if options else [{}]):
        key = cache.key(lowered, opts) if cache is not None else None
        exe = cache.load(key) if key is not None else None
        if exe is not None:
            return exe
        try:
            exe = lowered.compile(compiler_options=opts) if opts else lowered.compile()
        except Exception as err:
            if not opts:
                raise
            _warn_options_dropped(opts, err)  # an XLA without these options: compile with the defaults
            continue
        if key is not None:
            cache.store(key, exe)
        return exe
    raise AssertionError("unreachable: the last attempt compiles without options or raises")


class _ExecutableCache:
    """Compiled chunk programs on disk, so that a new process skips XLA compilation of a network it has run before.

    Scope and safety: only the Runner's own chunk programs are cached (JAX's global compilation cache and the
    user's other compilations are left alone).  An entry is keyed by the program's full text, the compiler options
    and ``XLA_FLAGS``, the jax/jaxlib versions, the backend and device, and the host CPU's model and instruction-set
    flags, so an entry is only ever loaded where it was compiled for.  A connectivity's index arrays are arguments,
    not literals, so entries stay small (their sizes are part of the program).  Entries are written atomically,
    evicted oldest-first beyond ``_CACHE_MAX_BYTES``, and any error (unwritable directory, corrupt or foreign entry)
    falls back to compiling.  Only single-device CPU programs are cached.  Location: ``xla`` under brainlab's cache
    root (``$BRAINLAB_CACHE_DIR``, else ``~/.cache/brainlab``; ``BRAINLAB_CACHE_DIR=0`` disables it, see
    :mod:`brainlab.engine._disk_cache`).
    """

    VERSION = "brainlab-chunk-cache-2"  # 2: programs compiled without refused options were stored under them in 1

    def __init__(self, directory: Path):
        self.dir = directory

    def key(self, lowered: Any, options: dict) -> str | None:
        try:
            import jaxlib

            dev = jax.devices()[0]
            return entry_key(self.VERSION, jax.__version__, jaxlib.__version__, dev.platform, dev.device_kind,
                             dev.client.platform_version, repr(sorted(options.items())),
                             os.environ.get("XLA_FLAGS", ""), lowered.as_text())
        except Exception:
            return None

    def load(self, key: str) -> Any:
        import pickle

        from jax.experimental import serialize_executable

        path = self.dir / f"{key}.bin"
        try:
            with open(path, "rb") as fh:
                payload = pickle.load(fh)
            exe = serialize_executable.deserialize_and_load(*payload)
        except FileNotFoundError:
            return None
        except Exception:
            try:
                path.unlink()  # unreadable: drop it, compile again
            except OSError:
                pass
            return None
        try:
            os.utime(path)  # recently used: evicted last
        except OSError:
            pass
        return exe

    def store(self, key: str, exe: Any) -> None:
        import pickle
        import tempfile

        from jax.experimental import serialize_executable

        try:
            blob = pickle.dumps(serialize_executable.serialize(exe))
            if len(blob) > _CACHE_MAX_ENTRY_BYTES:
                return
            self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.dir, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, self.dir / f"{key}.bin")
            self._evict()
        except Exception:
            return

    def _evict(self) -> None:
        entries = []
        for path in self.dir.glob("*.bin"):
            try:
                st = path.stat()
            except OSError:
                continue
            entries.append((st.st_mtime, st.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= _CACHE_MAX_BYTES:
                break
            try:
                path.unlink()
                total -= size
            except OSError:
                pass


_CACHE_MAX_BYTES = 256 * 2**20
_CACHE_MAX_ENTRY_BYTES = 32 * 2**20
_CACHE: list = []  # [the process's _ExecutableCache or None], filled on first use


def _executable_cache() -> "_ExecutableCache | None":
    if not _CACHE:
        _CACHE.append(_make_cache())
    cache = _CACHE[0]
    if cache is None or jax.default_backend() != "cpu" or jax.device_count() != 1:
        return None
    return cache


def _make_cache() -> "_ExecutableCache | None":
    root = cache_root()
    return None if root is None else _ExecutableCache(root / "xla")


class _Parts:
    """The data of one ``run``, chunk by chunk, on the host."""

    def __init__(self, runner: "Runner"):
        self.runner = runner
        self.rec: list[list[np.ndarray]] = [[] for _ in runner.monitors]
        self.spikes: dict[str, list[Any]] = {p: [] for p in runner.spiking}
        self.ts: list[np.ndarray] = []

    def collect(self, rec: Any, spk: Any, first: int, n: int) -> None:
        runner = self.runner
        ts = (np.arange(first, first + n) + 1) * runner._dt
        batched = runner._batched is not None
        new_rec = []
        for r in rec:
            r = np.asarray(r)
            new_rec.append(r[:, :n] if batched else r[:n])
        new_spikes = []
        # one raster per spiking population, [capacity + 1, bytes]: row k + 1 holds the spikes of step k
        for raster in spk:
            packed = np.asarray(raster)
            per_member = []
            for d in (packed if batched else [packed]):
                steps, idx = decode_packed(d[1:], n)
                per_member.append((ts[steps], idx))
            new_spikes.append(per_member if batched else per_member[0])
        # appended together at the end, so that an interrupt never leaves a chunk half recorded
        self.ts.append(ts)
        for part, r in zip(self.rec, new_rec):
            part.append(r)
        for part, s in zip(self.spikes.values(), new_spikes):
            part.append(s)

    def assemble(self, stopped: str | None) -> Any:
        return self.runner._assemble(self.rec, self.spikes, self.ts, stopped)

    def assemble_last(self) -> Any:
        return self.runner._assemble([[p[-1]] for p in self.rec], {k: [v[-1]] for k, v in self.spikes.items()},
                                     [self.ts[-1]], None)


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

    Example:
        >>> lif = bl.neurons.LIF(100)
        >>> runner = bl.Runner(lif, monitors={'V': 'LIF.V'}, dt=0.1)
        >>> res = runner.run(100., inputs={lif: 20.})
        >>> res['V'].shape, res.spikes.rate(100.)
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
        self.progress = progress
        self.chunk_ms = _number("Runner", "chunk_ms", chunk_ms) if chunk_ms is not None else None
        self.fuse = fuse
        self._states = net.states()
        self._monitor_bytes: dict[str, int] = {}  # recorded bytes per step of each State monitor
        self.monitors = self._parse_monitors(monitors)
        self.spiking: dict[str, Any] = {}
        if record_spikes:
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

    def _state_path_error(self, path: str) -> KeyError:
        close = difflib.get_close_matches(path, list(self._states), n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return KeyError(
            f"Runner: monitor {path!r} names no State of the network.{hint} Valid paths: "
            f"{', '.join(sorted(self._states)[:20])}{' ...' if len(self._states) > 20 else ''}."
        )

    def _parse_monitors(self, monitors: Any) -> list[tuple[str, Callable[[], Any]]]:
        if monitors is None:
            return []
        if isinstance(monitors, (list, tuple)):
            monitors = {m if isinstance(m, str) else f"m{i}": m for i, m in enumerate(monitors)}
        if not isinstance(monitors, Mapping):
            raise TypeError(
                f"Runner: monitors must be a dict {{name: what}} or a list of State paths, got "
                f"{type(monitors).__name__}."
            )
        out = []
        for name, what in monitors.items():
            index = None
            if isinstance(what, tuple) and len(what) == 2:
                what, index = what
                index = np.asarray(index)
                if index.dtype == bool:
                    index = np.nonzero(index)[0]
                if not np.issubdtype(index.dtype, np.integer):
                    raise TypeError(f"Runner: monitor {name!r}: indices must be integers or a boolean mask.")
            if isinstance(what, str):
                if what not in self._states:
                    raise self._state_path_error(what)
                state = self._states[what]
            elif isinstance(what, State):
                state = what
            elif callable(what):
                out.append((name, what))
                continue
            else:
                raise TypeError(
                    f"Runner: monitor {name!r} must be a State path like 'E.V', a (path, indices) pair, a State, "
                    f"or a function; got {type(what).__name__}."
                )
            if index is not None:
                n = state.shape[0] if state.ndim else 0
                if index.size and (index.min() < -n or index.max() >= n):
                    raise IndexError(
                        f"Runner: monitor {name!r}: indices must lie in [0, {n}) for a State of shape "
                        f"{state.shape}; got min {index.min()}, max {index.max()}."
                    )
                out.append((name, lambda s=state, i=jnp.asarray(index): s.value[i]))
                self._monitor_bytes[name] = int(index.size) * state.dtype.itemsize * (
                    int(np.prod(state.shape[1:])) if state.ndim > 1 else 1)
            else:
                out.append((name, lambda s=state: s.value))
                self._monitor_bytes[name] = int(np.prod(state.shape)) * state.dtype.itemsize
        return out

    # -- inputs ------------------------------------------------------------------------------------------
    def _resolve_target(self, key: Any) -> Any:
        pops = self.net.populations()
        if isinstance(key, str):
            if key not in pops:
                close = difflib.get_close_matches(key, list(pops), n=3)
                hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
                raise KeyError(f"Runner.run: inputs names population {key!r}, which is not in the network.{hint} "
                               f"Populations: {sorted(pops)}.")
            return pops[key]
        for pop in pops.values():
            if pop is key:
                return pop
        raise KeyError(
            f"Runner.run: an input targets a {type(key).__name__} that is not a population of this network; use a "
            "population object or its name."
        )

    def _parse_inputs(self, inputs: Any, n_steps: int) -> tuple[list, list, list]:
        consts, series, funcs = [], [], []
        if inputs is None:
            return consts, series, funcs
        if not isinstance(inputs, Mapping):
            raise TypeError(
                "Runner.run: inputs must be a dict {population or name: current}, where a current is a number, a "
                "per-neuron array, a time series of shape (n_steps,) or (n_steps, size), or a function of t (ms)."
            )
        for key, val in inputs.items():
            pop = self._resolve_target(key)
            name = self.net.path_of(pop)
            shape = tuple(pop.varshape) if hasattr(pop, "varshape") else (
                (pop.size,) if isinstance(pop.size, int) else tuple(pop.size))
            if callable(val) and not isinstance(val, (be.Array, State, jax.Array, np.ndarray)):
                funcs.append((id(pop), val))
                continue
            arr = jnp.asarray(val.value if isinstance(val, State) else getattr(val, "_value", val))
            if arr.ndim >= 1 and arr.shape[0] == n_steps and arr.shape != shape:
                if arr.shape[1:] not in ((), shape):
                    raise ValueError(
                        f"Runner.run: the time series for {name!r} has shape {arr.shape}; expected ({n_steps},) or "
                        f"({n_steps}, {', '.join(map(str, shape))}) for this run of {n_steps} steps."
                    )
                series.append((id(pop), arr))
            else:
                try:
                    jnp.broadcast_shapes(arr.shape, shape)
                except ValueError:
                    raise ValueError(
                        f"Runner.run: the input for {name!r} has shape {arr.shape}, which fits neither the population "
                        f"(shape {shape}) nor a time series of this run ({n_steps} steps: ({n_steps},) or "
                        f"({n_steps}, {', '.join(map(str, shape))}))."
                    ) from None
                consts.append((id(pop), arr))
        return consts, series, funcs

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
            duration: simulated time in ms (rounded to whole steps).
            inputs: external currents ``{population or name: current}``; a current is a number, a per-neuron
                array, a time series ``(n_steps,)`` / ``(n_steps, size)`` for this run, or a function ``f(t)`` of
                the time in ms (traced once).
            every: call ``callback`` after every ``every`` ms of simulated time (sets the chunk length).
            callback: ``callback(chunk_result, runner)`` receives the data of the newest chunk (live plots).
            progress: override the runner's progress-bar setting for this run.
        """
        duration = _number("Runner.run", "duration", duration)
        n_steps = int(round(duration / self._dt))
        if n_steps < 1:
            raise ValueError(f"Runner.run: duration={duration} ms is shorter than one step (dt={self._dt} ms).")
        if every is not None:
            every = _number("Runner.run", "every", every)
        if callback is not None and not callable(callback):
            raise TypeError("Runner.run: callback must be a function callback(chunk_result, runner).")
        consts, series, funcs = self._parse_inputs(inputs, n_steps)
        capacity = self._chunk_steps(every)
        show = self.progress if progress is None else progress
        keys = (tuple(k for k, _ in consts), tuple(k for k, _ in series), tuple(funcs))
        const_values = [v for _, v in consts]

        parts = _Parts(self)
        stopped: str | None = None
        bar = None
        if show:
            from tqdm.auto import tqdm

            bar = tqdm(total=round(n_steps * self._dt, 6), unit="ms", desc="simulating", leave=False)
        fn = self._chunk_function(*keys, checking=False, capacity=capacity)
        checked = self._checked_states()
        # Chunks run asynchronously: the next chunk is dispatched before the data of the previous one is moved to
        # the host and decoded, so host work overlaps the simulation.  With a callback, each chunk is collected
        # (and the callback called) before the next starts, so the callback sees, and may change, the current state.
        pipeline = callback is None
        in_flight: list[dict[str, Any]] = []  # dispatched, not yet collected; oldest first
        done = 0
        error: NonFiniteError | None = None
        try:
            while True:
                if done < n_steps and (pipeline or not in_flight):
                    n = min(capacity, n_steps - done)
                    chunk = {"first": self.step_count, "n": n,
                             "series": [_pad_steps(v[done:done + n], capacity) for _, v in series],
                             "snapshot": {p: s._value for p, s in self._states.items()}}
                    with _DeferInterrupt():
                        chunk["out"] = fn(np.int32(chunk["first"]), np.int32(n), const_values, chunk["series"])
                        chunk["final"] = [s._value for _, s in checked]
                        self.step_count += n
                        in_flight.append(chunk)
                    done += n
                    if pipeline and len(in_flight) < 2 and done < n_steps:
                        continue  # keep one chunk queued behind the one being collected
                if not in_flight:
                    break
                chunk = in_flight[0]
                bad = self._finish_chunk(chunk, in_flight, keys, const_values, capacity, parts)
                in_flight.pop(0)
                if bad is not None:
                    message, stopped = bad
                    error = NonFiniteError(message, None)
                    break
                if bar is not None:
                    bar.update(round(chunk["n"] * self._dt, 6))
                if callback is not None:
                    callback(parts.assemble_last(), self)
        except KeyboardInterrupt:
            # the chunks already dispatched complete anyway: keep their data, so that it matches the States
            bad = None
            with _DeferInterrupt():
                while in_flight and bad is None:
                    bad = self._finish_chunk(in_flight[0], in_flight, keys, const_values, capacity, parts)
                    in_flight.pop(0)
            if bad is not None:
                message, stopped = bad
                error = NonFiniteError(message, None)
            else:
                stopped = f"interrupted at t = {self.t:.6g} ms; run() again to continue"
                print(f"Runner: {stopped}. The data recorded so far is returned.")
        finally:
            if bar is not None:
                bar.close()
        result = parts.assemble(stopped)
        if error is not None:
            error.result = result
            raise error
        return result

    def _finish_chunk(self, chunk: dict, in_flight: list, keys: tuple, const_values: list, capacity: int,
                      parts: "_Parts") -> Any:
        """Check a dispatched chunk for NaNs and collect its data.  On a NaN, discard the chunks dispatched after
        it, replay it with per-step checks from its saved start, keep its data up to the bad step and return
        ``(message, stopped)`` for the error; else return ``None``."""
        if chunk.get("finished"):  # (an interrupt came after it was collected, before it left the queue)
            return None
        rec, spk, _ = chunk["out"]
        bad = self._host_bad(chunk["final"])  # waits for the chunk
        first, n = chunk["first"], chunk["n"]
        if not bad.any():
            parts.collect(rec, spk, first, n)
            chunk["finished"] = True
            return None
        for later in in_flight[1:]:
            jax.block_until_ready(later["out"])
        del in_flight[1:]
        names = [p for p, _ in self._checked_states()]
        bad_path = names[int(np.argmax(bad))]
        # replay the chunk with per-step checks to find the exact step and variable
        for p, v in chunk["snapshot"].items():
            self._states[p]._value = v
        self.step_count = first
        fn = self._chunk_function(*keys, checking=True, capacity=capacity)
        rec, spk, (codes,) = fn(np.int32(first), np.int32(n), const_values, chunk["series"])
        self.step_count = first + n
        codes = np.asarray(codes).reshape(-1, capacity)[:, :n]  # [members, steps]
        hit = (codes >= 0).any(axis=0)
        k = int(np.argmax(hit)) if hit.any() else n - 1
        member = int(np.argmax(codes[:, k] >= 0))
        path = names[int(codes[member, k])] if codes[member, k] >= 0 else bad_path
        parts.collect(rec, spk, first, k + 1)
        chunk["finished"] = True
        t_bad = (first + k + 1) * self._dt
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

    def _assemble(self, rec_parts, spike_parts, ts_parts, stopped, member: int | None = None) -> RunResult:
        if self._batched is not None and member is None:
            n_sets = next(iter(self._batched.states().values())).shape[0]
            return [self._assemble(rec_parts, spike_parts, ts_parts, stopped, b) for b in range(n_sets)]
        ts = np.concatenate(ts_parts) if ts_parts else np.zeros(0)
        data = {}
        for (name, _), parts in zip(self.monitors, rec_parts):
            if member is not None:
                parts = [p[member] for p in parts]
            data[name] = np.concatenate(parts) if parts else np.zeros((0,))
        pops = {}
        sizes = {}
        for path, parts in spike_parts.items():
            if member is not None:
                parts = [p[member] for p in parts]
            t = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0)
            i = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int32)
            pops[path] = (t, i)
            shape = self.spiking[path].spike.shape
            sizes[path] = int(np.prod(shape[1:] if member is not None else shape))
        return RunResult(ts, data, SpikeRecord(pops, sizes), self._dt, stopped)

    def run_batched(self, duration: float, inputs: Mapping[Any, Any] | None = None, *, n_sets: int) -> list[RunResult]:
        """Run a network whose States carry a leading axis of ``n_sets`` parameter sets (used by ``bl.sweep``)."""
        if self._batched is None:
            raise RuntimeError("Runner.run_batched: this runner was not made by bl.sweep; use run().")
        return self.run(duration, inputs=inputs)

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
