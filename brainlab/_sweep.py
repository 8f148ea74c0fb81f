"""``sweep``: run many parameter sets of one model in a single compiled call, across all devices."""

from __future__ import annotations

import copy
import dataclasses
import itertools
from typing import Any, Mapping, Sequence

import jax
import numpy as np

from . import engine as be
from ._network import Network
from ._results import RunResult
from ._runner import Runner

__all__ = ["sweep", "param_grid", "SweepResult"]


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


def sweep(
    model: Any,
    params: Mapping[str, Sequence[float]],
    duration: float,
    *,
    monitors: Mapping[str, Any] | None = None,
    inputs: Mapping[Any, Any] | None = None,
    dt: float | None = None,
    shard: bool = True,
    progress: bool = False,
) -> SweepResult:
    r"""Simulate many parameter sets of one model at once (``vmap``), sharded over every available device.

    Args:
        model: a population or Network (copied once per set, then the named parameters are set on each copy;
            dotted names reach into networks: ``'E.tau'``), or a function ``build(**params)`` returning one.
        params: ``{name: values}`` with one value per set (see :func:`param_grid` for all combinations).
        duration: simulated time in ms.
        monitors, inputs, dt: as for :class:`Runner` (inputs address populations by name).
        shard: place the parameter sets across ``jax.devices()`` (several GPUs, or CPU devices made with
            ``XLA_FLAGS=--xla_force_host_platform_device_count=N``) when their number divides the set count.

    Example:
        >>> import brainlab as bl
        >>> res = bl.sweep(bl.neurons.LIF(1), {'tau': [5., 10., 20.]}, 200., inputs={'LIF': 300.})
        >>> res.rates()                      # Hz, one per tau: a longer membrane time constant fires slower
        array([180., 110.,  60.])
    """
    values, n_sets = _normalise_params(params)
    sets = [{k: float(v[i]) for k, v in values.items()} for i in range(n_sets)]
    if callable(model) and not isinstance(model, be.Module):
        members = [model(**p) for p in sets]
    elif isinstance(model, be.Module):
        members = []
        for p in sets:
            m = copy.deepcopy(model)
            for k, v in p.items():
                _set_param(m, k, v)
            members.append(m)
    else:
        raise TypeError(f"bl.sweep: model must be a population, a Network or a build function, got "
                        f"{type(model).__name__}.")
    nets = [m if isinstance(m, Network) else Network(**{getattr(m, "name", None) or type(m).__name__: m})
            for m in members]
    batch = be.stack_modules(nets)
    devices = jax.devices()
    used = 1
    if shard and len(devices) > 1 and n_sets % len(devices) == 0:
        used = len(devices)
        mesh = jax.sharding.Mesh(np.array(devices), ("sets",))
        spec = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("sets"))
        for s in batch.states().values():
            s._value = jax.device_put(s._value, spec)
            s._init = jax.device_put(s._init, spec)
    runner = Runner(batch, monitors=monitors, dt=dt, progress=progress)
    runner._batched = batch
    res = runner.run_batched(duration, inputs=inputs, n_sets=n_sets)
    spread = {d for s in batch.states().values() for d in s.value.sharding.device_set}
    return SweepResult(values, res, devices=len(spread) if used > 1 else 1)
