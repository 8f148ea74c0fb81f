"""The Runner's compiled chunks: a stepping loop over a dynamic number of steps with bit-packed spikes, compiled
ahead of time with the Runner's XLA options, and kept in an on-disk executable cache across processes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from .engine._disk_cache import cache_root, entry_key

__all__: list[str] = []

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
            from ._runner import _warn_options_dropped  # (the Runner's warning, and its said-once set)

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
