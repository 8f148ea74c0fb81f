"""The Runner's recordings on the host: each chunk's buffers decoded (bit-packed spikes to times and indices) and
the chunks assembled into :class:`~brainlab.RunResult` objects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._results import RunResult, SpikeRecord
from .engine._event._spikes import decode_packed

if TYPE_CHECKING:
    from ._runner import Runner

__all__: list[str] = []


class _Parts:
    """The data of one run, chunk by chunk, on the host."""

    def __init__(self, runner: "Runner"):
        self.runner = runner
        self.rec: list[list[np.ndarray]] = [[] for _ in runner.monitors]
        self.spikes: dict[str, list[Any]] = {p: [] for p in runner.spiking}
        self.ts: list[np.ndarray] = []

    def collect(self, rec: Any, spk: Any, first: int, n: int) -> None:
        """Decode the first ``n`` steps of a chunk that started at step ``first``."""
        runner = self.runner
        ts = (np.arange(first, first + n) + 1) * runner.dt
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
        """Every chunk collected so far: a RunResult (a list of them, one per parameter set, when batched)."""
        return _assemble(self.runner, self.rec, self.spikes, self.ts, stopped)

    def assemble_last(self) -> Any:
        """The newest chunk only."""
        return _assemble(self.runner, [[p[-1]] for p in self.rec], {k: [v[-1]] for k, v in self.spikes.items()},
                         [self.ts[-1]], None)


def _assemble(runner: "Runner", rec_parts: list, spike_parts: dict, ts_parts: list, stopped: str | None,
              member: int | None = None) -> Any:
    if runner._batched is not None and member is None:
        n_sets = next(iter(runner._batched.states().values())).shape[0]
        return [_assemble(runner, rec_parts, spike_parts, ts_parts, stopped, b) for b in range(n_sets)]
    ts = np.concatenate(ts_parts) if ts_parts else np.zeros(0)
    data = {}
    for (name, _), parts in zip(runner.monitors, rec_parts):
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
        shape = runner.spiking[path].spike.shape
        sizes[path] = int(np.prod(shape[1:] if member is not None else shape))
    return RunResult(ts, data, SpikeRecord(pops, sizes), runner.dt, stopped)
