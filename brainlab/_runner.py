"""``Runner``: simulate a network in compiled chunks, streaming recorded data to the host."""

from __future__ import annotations

import difflib
import math
import signal
import threading
from pathlib import Path
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from . import engine as be
from ._network import Network, is_population
from ._results import RunResult, SpikeRecord
from .engine import Module, State

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


class Runner:
    r"""Simulate a network (or a single population) and record what you ask for.

    Main arguments:
        net: a :class:`~brainlab.Network`, or one population (it is wrapped in a Network).
        monitors: what to record each step, ``{name: what}`` (or a list of paths), where *what* is a State path
            such as ``'E.V'``, a pair ``('E.V', indices)`` to record some neurons only, a State, or a function of
            no argument returning an array (called inside the compiled step).
        dt: the time step in ms (default: the smallest ``DEFAULT_DT`` of the populations).

    Other arguments:
        record_spikes: record the spikes of every spiking population, sparsely (default True).
        progress: show a progress bar (a widget in notebooks).
        chunk_ms: simulated time per compiled chunk; recorded data moves to the host after each chunk, so memory
            stays bounded for long runs.  Default: 100 ms (or ``every``).

    Running: ``res = runner.run(duration, inputs=...)``; calling ``run`` again continues from where the last
    run stopped; ``reset()`` restores the initial state.  ``res.ts`` holds the time of each recorded step, the
    time the recorded values hold (the end of the step, ms); spike times are the ends of the steps in which
    neurons crossed threshold.

    A NaN or infinite value in a State stops the run with :class:`NonFiniteError`, naming the variable, the
    population and the time; ``err.result`` has everything recorded until then.  An interrupt (Ctrl-C, or the
    notebook's stop button) keeps the data of the chunks already run and returns them with ``res.stopped`` set;
    ``run`` can continue afterwards.

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
        self._states = net.states()
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
            else:
                out.append((name, lambda s=state: s.value))
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
    def _chunk_function(self, const_keys: tuple, series_keys: tuple, funcs: tuple, checking: bool) -> Any:
        key = (const_keys, series_keys, tuple((k, id(f)) for k, f in funcs), checking, self._dt)
        fn = self._compiled.get(key)
        if fn is not None:
            return fn
        dt = self._dt
        net = self.net
        monitors = self.monitors
        spiking = list(self.spiking.values())
        checked = self._checked_states() if checking else []
        for _, s in checked:
            self._bad(s)  # fill the sentinel table outside the trace

        def chunk(step_ids, const_values, series_values):
            def body(i, *xs):
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
                spk = [pop.spike.value for pop in spiking]
                if checking:
                    bad = jnp.stack([self._bad(s) for _, s in checked])
                    code = jnp.where(bad.any(), jnp.argmax(bad), -1)
                else:
                    code = jnp.int32(-1)
                return rec, spk, code

            return be.for_loop(body, step_ids, *series_values)

        if self._batched is not None:
            fn = be.jit(be.vmap(chunk, in_axes=None, in_states=self._batched))
        else:
            fn = be.jit(chunk)
        self._compiled[key] = fn
        return fn

    def _checked_states(self) -> list[tuple[str, State]]:
        """Float States that can go bad.  States that start with infinities (e.g. "time of last spike = -inf")
        use them as sentinels, so only NaN is an error for those."""
        return [(p, s) for p, s in self._states.items()
                if s.kind != "param" and jnp.issubdtype(s.dtype, jnp.floating)]

    def _bad(self, s: State) -> Any:
        sentinel = self._sentinel.get(id(s))
        if sentinel is None:
            sentinel = self._sentinel[id(s)] = not bool(np.isfinite(np.asarray(s._init)).all())
        v = s.value
        return jnp.isnan(v).any() if sentinel else ~jnp.isfinite(v).all()

    def _first_nonfinite(self) -> str | None:
        for path, s in self._checked_states():
            if bool(self._bad(s)):
                return path
        return None

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
        chunk_steps = max(1, int(round((every or self.chunk_ms or 100.0) / self._dt)))
        chunk_steps = min(chunk_steps, n_steps)
        show = self.progress if progress is None else progress

        rec_parts: list[list[np.ndarray]] = [[] for _ in self.monitors]
        spike_parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {p: [] for p in self.spiking}
        ts_parts: list[np.ndarray] = []
        stopped: str | None = None
        bar = None
        if show:
            from tqdm.auto import tqdm

            bar = tqdm(total=round(n_steps * self._dt, 6), unit="ms", desc="simulating", leave=False)
        done = 0
        error: NonFiniteError | None = None
        try:
            while done < n_steps:
                n = min(chunk_steps, n_steps - done)
                first = self.step_count
                step_ids = jnp.arange(first, first + n, dtype=jnp.int32)
                sl = slice(done, done + n)
                fn = self._chunk_function(tuple(k for k, _ in consts), tuple(k for k, _ in series), tuple(funcs),
                                          checking=False)
                snapshot = {p: s._value for p, s in self._states.items()}
                with _DeferInterrupt():
                    rec, spk, _ = fn(step_ids, [v for _, v in consts], [v[sl] for _, v in series])
                    self.step_count += n
                bad_path = self._first_nonfinite()
                if bad_path is not None:
                    # replay the chunk with per-step checks to find the exact step and variable
                    for p, v in snapshot.items():
                        self._states[p]._value = v
                    self.step_count = first
                    fn = self._chunk_function(tuple(k for k, _ in consts), tuple(k for k, _ in series),
                                              tuple(funcs), checking=True)
                    rec, spk, codes = fn(step_ids, [v for _, v in consts], [v[sl] for _, v in series])
                    self.step_count = first + n
                    codes = np.asarray(codes)
                    k = int(np.argmax(codes >= 0)) if (codes >= 0).any() else n - 1
                    names = [p for p, _ in self._checked_states()]
                    path = names[int(codes[k])] if codes[k] >= 0 else bad_path
                    n_keep = k + 1
                    self._collect(rec, spk, first, n_keep, rec_parts, spike_parts, ts_parts)
                    t_bad = (first + k + 1) * self._dt
                    pop, _, var = path.rpartition(".")
                    stopped = f"non-finite value of {var!r} in {pop or 'the network'!r} at t = {t_bad:.4g} ms"
                    error = NonFiniteError(
                        f"Runner: the State {var!r} of population {pop!r} became NaN or infinite at t = {t_bad:.6g} "
                        f"ms (step {first + k}). The run stopped there; err.result holds everything recorded up to "
                        "and including that step. Usual causes: a time step too large for the model (try a smaller "
                        "dt), or parameters/inputs outside the model's range. Call runner.reset() before running "
                        "again.",
                        None,  # filled below
                    )
                    break
                self._collect(rec, spk, first, n, rec_parts, spike_parts, ts_parts)
                done += n
                if bar is not None:
                    bar.update(round(n * self._dt, 6))
                if callback is not None:
                    callback(self._assemble([[p[-1]] for p in rec_parts],
                                            {k: [v[-1]] for k, v in spike_parts.items()}, [ts_parts[-1]], None),
                             self)
        except KeyboardInterrupt:
            stopped = f"interrupted at t = {self.t:.6g} ms; run() again to continue"
            print(f"Runner: {stopped}. The data recorded so far is returned.")
        finally:
            if bar is not None:
                bar.close()
        result = self._assemble(rec_parts, spike_parts, ts_parts, stopped)
        if error is not None:
            error.result = result
            raise error
        return result

    def _collect(self, rec, spk, first, n, rec_parts, spike_parts, ts_parts) -> None:
        ts = (np.arange(first, first + n) + 1) * self._dt
        ts_parts.append(ts)
        batched = self._batched is not None
        for part, r in zip(rec_parts, rec):
            r = np.asarray(r)
            part.append(r[:, :n] if batched else r[:n])
        for (path, pop), s in zip(self.spiking.items(), spk):
            dense = np.asarray(s)
            members = [dense[b, :n] for b in range(dense.shape[0])] if batched else [dense[:n]]
            per_member = []
            for d in members:
                steps, idx = np.nonzero(d.reshape(n, -1))
                per_member.append((ts[steps], idx.astype(np.int32)))
            spike_parts[path].append(per_member if batched else per_member[0])

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
