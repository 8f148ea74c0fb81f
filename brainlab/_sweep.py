r"""``sweep``: run many parameter sets of one model in a single compiled call, across all devices.

One copy of the model per parameter set, stacked along a leading axis, one vmapped program, the sets spread over
``jax.devices()``: :class:`SweepRun` does it chunk by chunk (progress bars, panels), :func:`sweep` runs it to the
end.  Both share :func:`sweep_member` (one set's model) with anything that needs a single set again.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
from typing import Any, Callable, Iterator, Mapping, Sequence

import jax
import numpy as np

from . import engine as be
from ._network import Network
from ._results import RunResult
from ._runner import Runner
from ._runner_config import _number

__all__ = ["sweep", "sweep_chunks", "sweep_member", "param_grid", "SweepResult", "SweepRun"]

Monitors = Mapping[str, Any] | Callable[[Any], Mapping[str, Any]]


def param_grid(**axes: Sequence[float]) -> dict[str, np.ndarray]:
    """Every combination of the given values, as equal-length arrays for :func:`sweep`.

    Example:
        >>> import brainlab as bl
        >>> bl.param_grid(a=[1, 2], b=[10, 20, 30])['b']
        array([10, 20, 30, 10, 20, 30])
    """
    names = list(axes)
    combos = list(itertools.product(*(np.asarray(v).ravel() for v in axes.values())))
    return {n: np.array([c[i] for c in combos]) for i, n in enumerate(names)}


@dataclasses.dataclass
class SweepResult:
    """Results of :func:`sweep`: one :class:`RunResult` per parameter set.

    Attributes:
        params: the parameter values, ``{name: array of n_sets}``.
        runs: the results, in the order of the parameter sets.
        devices: over how many devices the sets were spread.
    """

    params: dict[str, np.ndarray]
    runs: list[RunResult]
    devices: int = 1

    def __len__(self) -> int:
        return len(self.runs)

    def __getitem__(self, i: int) -> RunResult:
        return self.runs[i]

    def stack(self, name: str) -> np.ndarray:
        """A monitored trace of every set, stacked: ``[n_sets, n_steps, ...]``."""
        return np.stack([r[name] for r in self.runs])

    def rates(self, duration_ms: float | None = None) -> np.ndarray:
        """Mean firing rate (Hz) of each set."""
        return np.array([r.spikes.rate(duration_ms or r.duration) for r in self.runs])


def _normalise_params(params: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], int]:
    if not isinstance(params, Mapping) or not params:
        raise TypeError("bl.sweep: params must be a non-empty dict {name: values}, e.g. {'tau': [5., 10., 20.]}.")
    arrays = {k: np.asarray(v, dtype=float).ravel() for k, v in params.items()}
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(
            f"bl.sweep: every parameter needs the same number of values (one per set), got {lengths}. For every "
            "combination use bl.param_grid(...)."
        )
    n = next(iter(lengths.values()))
    if n == 0:
        raise ValueError("bl.sweep: params has no values.")
    return arrays, n


def _set_param(target: Any, dotted: str, value: float) -> None:
    obj = target
    *path, name = dotted.split(".")
    for p in path:
        obj = getattr(obj, p)
    if not hasattr(obj, name):
        raise KeyError(f"bl.sweep: {type(obj).__name__} has no parameter {name!r} (from {dotted!r}).")
    setattr(obj, name, value)


def sweep_member(model: Any, params: Mapping[str, float], *, set_index: int | None = None) -> Any:
    """The model of one parameter set, as :func:`sweep` makes it: ``model(**params)`` for a build function, else
    a deep copy of the population or Network with each (dotted) parameter set (``{'E.tau': 20.0}``).

    ``set_index=i`` makes set ``i`` of a sweep with ``independent_noise=True``: its random generators start from
    the keys ``jax.random.fold_in(key, i)`` (so one point of such a sweep can be run again alone).

    Example:
        >>> import brainlab as bl
        >>> from brainlab._sweep import sweep_member
        >>> lif = bl.neurons.LIF(1)
        >>> float(sweep_member(lif, {'tau': 20.0}).tau.value), float(lif.tau.value)   # ms: the copy's, the model's
        (20.0, 10.0)
    """
    if isinstance(model, be.Module):
        m = copy.deepcopy(model)
        for k, v in params.items():
            _set_param(m, k, float(v))
    elif callable(model):
        m = model(**params)
    else:
        raise TypeError(f"bl.sweep: model must be a population, a Network or a build function, got "
                        f"{type(model).__name__}.")
    if set_index is not None:
        if isinstance(set_index, bool) or not isinstance(set_index, (int, np.integer)) or set_index < 0:
            raise ValueError(f"bl.sweep: set_index must be a whole number >= 0 (the set's place in the sweep), "
                             f"got {set_index!r}.")
        _independent_keys(m, int(set_index))
    return m


def _fold_key(data: Any, i: int) -> Any:
    """Raw threefry key data folded with the set number ``i``: a stream independent of the key's own."""
    from .engine._random import _keys

    return _keys.raw(jax.random.fold_in(_keys.typed(data), i))


def _independent_keys(member: Any, i: int) -> None:
    """Give the random generators of set ``i`` the keys ``fold_in(key, i)`` (value and reset value)."""
    for s in member.states().values():
        if s.kind == "random":
            s._value = _fold_key(s._value, i)
            s._init = _fold_key(s._init, i)


def _shard(batch: Any, n_sets: int, shard: bool) -> int:
    """Place the stacked States' sets across ``jax.devices()`` when there are several and their number divides
    ``n_sets``; returns the number of devices used."""
    devices = jax.devices()
    if not shard or len(devices) < 2 or n_sets % len(devices):
        return 1
    mesh = jax.sharding.Mesh(np.array(devices), ("sets",))
    spec = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("sets"))
    for s in batch.states().values():
        s._value = jax.device_put(s._value, spec)
        s._init = jax.device_put(s._init, spec)
    return len(devices)


class SweepRun:
    r"""A sweep taken one chunk at a time: every parameter set advances ``every`` ms per ``next()``, in one
    vmapped call.  Made by :func:`sweep_chunks`; :func:`sweep` runs one to the end.

    The sets are built as :func:`sweep_member` says, stacked (each State gets a leading axis of ``n_sets``),
    spread over ``jax.devices()`` when their number divides ``n_sets`` (``devices``), and run by one
    :class:`~brainlab.Runner` whose compiled step is vmapped over that axis.  Chunks are the Runner's
    (:class:`~brainlab.RunChunks`): the chunks of a run, concatenated, equal one whole run, bit for bit.

    Attributes and methods:
        next(run): run one chunk of every set; returns that chunk's data, one :class:`~brainlab.RunResult` per
            set; ``StopIteration`` once the duration is done.
        run(progress=False, callback=None): run what is left (the next chunk dispatched while the last one is
            decoded) and return :meth:`result`; ``callback(chunk_results, sweep_run)`` after each chunk.
        result(): a :class:`SweepResult` of every chunk run so far (each run's ``stopped`` says where a run that
            did not finish stopped).
        stop(): end early (idempotent) and return :meth:`result`.
        t: simulated ms at the end of the last chunk; ``done``, ``steps_done``, ``n_steps``, ``fraction``
            (``steps_done / n_steps``), ``n_sets``, ``devices``, ``dt``, ``duration``, ``params``, ``network``
            (the stacked Network).

    Example:
        >>> import brainlab as bl
        >>> from brainlab._sweep import sweep_chunks
        >>> run = sweep_chunks(bl.neurons.LIF(1), {'tau': [5., 10., 20.]}, 200., every=50., inputs={'LIF': 300.})
        >>> [round(run.fraction, 2) for _ in run]          # four chunks of 50 ms
        [0.25, 0.5, 0.75, 1.0]
        >>> run.done, run.result().rates()                 # Hz, as bl.sweep gives them
        (True, array([180., 110.,  60.]))
    """

    def __init__(self, model: Any, params: Mapping[str, Sequence[float]], duration: float, *,
                 monitors: Monitors | None = None, inputs: Mapping[Any, Any] | None = None, dt: float | None = None,
                 every: float | None = None, shard: bool = True, independent_noise: bool = False):
        if not isinstance(independent_noise, bool):
            raise TypeError(f"bl.sweep: independent_noise must be True or False, got {independent_noise!r}.")
        if every is not None:
            every = _number("bl.sweep", "every", every)
        values, n_sets = _normalise_params(params)
        if not isinstance(model, be.Module) and not callable(model):
            raise TypeError(f"bl.sweep: model must be a population, a Network or a build function, got "
                            f"{type(model).__name__}.")
        members = [sweep_member(model, {k: float(v[i]) for k, v in values.items()},
                                set_index=i if independent_noise else None) for i in range(n_sets)]
        nets = [m if isinstance(m, Network) else Network(**{getattr(m, "name", None) or type(m).__name__: m})
                for m in members]
        batch = be.stack_modules(nets)
        self.devices = _shard(batch, n_sets, shard)
        if callable(monitors):
            monitors = monitors(batch)
        self.params = values
        self.n_sets = n_sets
        self.network = batch
        self.runner = Runner(batch, monitors=monitors, dt=dt, progress=False)
        self.runner._batched = batch
        self.n_steps = self.runner._steps_of("bl.sweep", duration)
        self._it = self.runner.chunks(duration, inputs=inputs,
                                      every=self.runner._chunk_steps(every) * self.runner.dt)

    # -- running ---------------------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[list[RunResult]]:
        return self

    def __next__(self) -> list[RunResult]:
        return next(self._it)

    def run(self, progress: bool = False,
            callback: Callable[[list[RunResult], "SweepRun"], Any] | None = None) -> SweepResult:
        """Run the chunks that are left and return :meth:`result` (with ``progress``, a bar in simulated ms)."""
        if callback is not None and not callable(callback):
            raise TypeError("bl.sweep: callback must be a function callback(chunk_results, sweep_run).")
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=round((self.n_steps - self.steps_done) * self.dt, 6), unit="ms", desc="sweeping",
                       leave=False)
        hook = None if callback is None else (lambda res, _runner: callback(res, self))
        if not self.done:
            self._it._run_all(hook, bar)
        elif bar is not None:
            bar.close()
        return self.result()

    def result(self) -> SweepResult:
        """Every chunk run so far, one :class:`~brainlab.RunResult` per set, in the order of the sets."""
        runs = self._it.result()
        spread = {d for s in self.network.states().values() for d in s.value.sharding.device_set}
        return SweepResult(self.params, runs, devices=len(spread) if self.devices > 1 else 1)

    def stop(self) -> SweepResult:
        """End the sweep here (idempotent) and return :meth:`result`."""
        self._it.stop()
        return self.result()

    # -- where it is -------------------------------------------------------------------------------------------
    @property
    def t(self) -> float:
        """Simulated ms at the end of the last chunk run."""
        return self._it.t

    @property
    def done(self) -> bool:
        """Whether the sweep has ended (duration reached, stopped, interrupted or a non-finite value)."""
        return self._it.done

    @property
    def steps_done(self) -> int:
        """Steps run so far (of every set)."""
        return self._it.steps_done

    @property
    def fraction(self) -> float:
        """How far the sweep is, ``steps_done / n_steps`` (0 to 1)."""
        return self.steps_done / self.n_steps

    @property
    def dt(self) -> float:
        """The time step (ms)."""
        return self.runner.dt

    @property
    def duration(self) -> float:
        """Simulated ms per set (whole steps)."""
        return self.n_steps * self.dt

    def __repr__(self) -> str:
        state = "done" if self.done else "running"
        return (f"SweepRun({self.n_sets} sets on {self.devices} device(s), t={self.t:.6g} of "
                f"{self.duration:.6g} ms, {state})")


def sweep_chunks(model: Any, params: Mapping[str, Sequence[float]], duration: float, *, every: float | None = None,
                 monitors: Monitors | None = None, inputs: Mapping[Any, Any] | None = None, dt: float | None = None,
                 shard: bool = True, independent_noise: bool = False) -> SweepRun:
    """A :class:`SweepRun`: :func:`sweep`'s run, one ``next()`` per ``every`` ms of simulated time (default
    100 ms, shorter for large networks; rounded to whole steps, at least one).  Other arguments as for
    :func:`sweep`.

    Example:
        >>> import brainlab as bl
        >>> from brainlab._sweep import sweep_chunks
        >>> run = sweep_chunks(bl.neurons.LIF(1), {'tau': [5., 20.]}, 100., every=40.)
        >>> [len(chunk[0].ts) for chunk in run]            # 400 + 400 + 200 steps of 0.1 ms
        [400, 400, 200]
    """
    return SweepRun(model, params, duration, monitors=monitors, inputs=inputs, dt=dt, every=every, shard=shard,
                    independent_noise=independent_noise)


def sweep(
    model: Any,
    params: Mapping[str, Sequence[float]],
    duration: float,
    *,
    monitors: Monitors | None = None,
    inputs: Mapping[Any, Any] | None = None,
    dt: float | None = None,
    shard: bool = True,
    progress: bool = False,
    every: float | None = None,
    callback: Callable[[list[RunResult], SweepRun], Any] | None = None,
    independent_noise: bool = False,
) -> SweepResult:
    r"""Simulate many parameter sets of one model at once (``vmap``), sharded over every available device.

    Args:
        model: a population or Network (copied once per set, then the named parameters are set on each copy;
            dotted names reach into networks: ``'E.tau'``), or a function ``build(**params)`` returning one.
        params: ``{name: values}`` with one value per set (see :func:`param_grid` for all combinations).
        duration: simulated time in ms.
        monitors: as for :class:`Runner`, or a function ``monitors(net)`` of the stacked Network returning
            them, for function monitors that read its States (inside the vmapped step a State holds one set's
            value: ``lambda net: {'Vmean': lambda s=net.states()['LIF.V']: s.value.mean()}`` records one mean
            per set and step).
        inputs, dt: as for :class:`Runner` (inputs address populations by name).
        shard: place the parameter sets across ``jax.devices()`` (several GPUs, or CPU devices made with
            ``XLA_FLAGS=--xla_force_host_platform_device_count=N``) when their number divides the set count.
        every, callback: run in chunks of ``every`` ms and call ``callback(chunk_results, sweep_run)`` after each
            (``sweep_run.fraction`` says how far); :func:`sweep_chunks` gives the chunks one by one.
        independent_noise: give each set its own random streams (see below).

    Noise: by default every set draws the *same* random numbers (common random numbers).  A copied model's
    generators keep their key, so set :math:`i` runs :math:`f(\theta_i, \omega)` with one noise realisation
    :math:`\omega` for all sets.  The difference of a measure between two sets then has variance

    .. math::

        \mathrm{Var}[f(\theta_1,\omega_1) - f(\theta_2,\omega_2)] = \mathrm{Var} f_1 + \mathrm{Var} f_2
        - 2\,\mathrm{Cov}(f_1, f_2),

    with :math:`\mathrm{Cov} > 0` when :math:`\omega_1 = \omega_2` and :math:`f` responds to the noise alike at
    nearby parameters: a map over the parameters is smooth and its differences are precise (at equal
    parameters two sets give identical results).  The spread *across* sets then says nothing about the noise.
    With ``independent_noise=True`` the generators of set :math:`i` start from ``jax.random.fold_in(key, i)``
    (independent streams, still fixed by the model's seeds), so :math:`\mathrm{Cov} = 0` and sets at equal
    parameters are independent trials: their spread estimates the trial-to-trial variance.  A build function
    that takes a ``seed`` and a sweep over seeds does the same by hand.

    Example:
        >>> import brainlab as bl
        >>> res = bl.sweep(bl.neurons.LIF(1), {'tau': [5., 10., 20.]}, 200., inputs={'LIF': 300.})
        >>> res.rates()                      # Hz, one per tau: a longer membrane time constant fires slower
        array([180., 110.,  60.])
    """
    if callback is not None and not callable(callback):
        raise TypeError("bl.sweep: callback must be a function callback(chunk_results, sweep_run).")
    run = SweepRun(model, params, duration, monitors=monitors, inputs=inputs, dt=dt, every=every, shard=shard,
                   independent_noise=independent_noise)
    return run.run(progress=progress, callback=callback)
