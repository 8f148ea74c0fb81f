"""Results of a simulation run: recorded traces and sparse spikes, saved and loaded as ``.npz``."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Iterator

import numpy as np

__all__ = ["SpikeRecord", "RunResult"]


@dataclasses.dataclass
class SpikeRecord:
    """The spikes of one run as sparse (time, index) pairs, for all populations together and for each one.

    Pass ``record.times, record.indices, record.n_neurons`` to the spike statistics of ``bl.analysis``.

    Attributes:
        times: spike times in ms, sorted.
        indices: neuron indices; with several populations, populations are numbered one after another in the
            order of ``populations`` (see ``offsets``).
        populations: per-population ``(times, local indices)``.
        sizes: the number of neurons of each population.
    """

    populations: dict[str, tuple[np.ndarray, np.ndarray]]
    sizes: dict[str, int]

    @property
    def offsets(self) -> dict[str, int]:
        out, k = {}, 0
        for name, n in self.sizes.items():
            out[name] = k
            k += n
        return out

    @property
    def n_neurons(self) -> int:
        return int(sum(self.sizes.values()))

    def _all(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.populations:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        offsets = self.offsets
        ts = np.concatenate([t for t, _ in self.populations.values()])
        ix = np.concatenate([i + offsets[n] for n, (_, i) in self.populations.items()])
        order = np.argsort(ts, kind="stable")
        return ts[order], ix[order]

    @property
    def times(self) -> np.ndarray:
        return self._all()[0]

    @property
    def indices(self) -> np.ndarray:
        return self._all()[1]

    def __getitem__(self, population: str) -> "SpikeRecord":
        if population not in self.populations:
            raise KeyError(f"no spikes recorded for {population!r}; recorded: {sorted(self.populations)}.")
        return SpikeRecord({population: self.populations[population]}, {population: self.sizes[population]})

    def __len__(self) -> int:
        return int(sum(len(t) for t, _ in self.populations.values()))

    def rate(self, duration_ms: float) -> float:
        """Mean firing rate (Hz) over all neurons and the given duration."""
        if self.n_neurons == 0 or duration_ms <= 0:
            return 0.0
        return len(self) / self.n_neurons / (duration_ms / 1000.0)

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}: {len(t)} spikes/{self.sizes[n]} neurons" for n, (t, _) in self.populations.items())
        return f"SpikeRecord({parts})"


@dataclasses.dataclass
class RunResult:
    """What one ``Runner.run`` recorded.

    Attributes:
        ts: the time of each recorded step (ms; the time at the end of the step).
        data: monitored traces by name, each ``[n_steps, ...]``.
        spikes: sparse spikes of the recorded spiking populations.
        dt: the time step (ms).
        stopped: ``None`` if the run completed, else why and when it stopped (interrupt, non-finite value).
    """

    ts: np.ndarray
    data: dict[str, np.ndarray]
    spikes: SpikeRecord
    dt: float
    stopped: str | None = None

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.data:
            raise KeyError(f"RunResult: nothing recorded as {name!r}; recorded: {sorted(self.data)}.")
        return self.data[name]

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    @property
    def duration(self) -> float:
        return float(len(self.ts) * self.dt)

    def to_dict(self) -> dict[str, Any]:
        """Plain numpy arrays: ``ts``, every trace, and ``spikes/<population>/times|indices``."""
        out: dict[str, Any] = {"ts": self.ts, "dt": np.asarray(self.dt)}
        out.update({f"data/{k}": v for k, v in self.data.items()})
        for name, (t, i) in self.spikes.populations.items():
            out[f"spikes/{name}/times"] = t
            out[f"spikes/{name}/indices"] = i
            out[f"spikes/{name}/size"] = np.asarray(self.spikes.sizes[name])
        if self.stopped:
            out["stopped"] = np.asarray(self.stopped)
        return out

    def save(self, path: str | Path) -> Path:
        """Save to a compressed ``.npz`` file; read back with :meth:`RunResult.load`."""
        path = Path(path)
        np.savez_compressed(path, **self.to_dict())
        return path if path.suffix == ".npz" else path.with_suffix(path.suffix + ".npz")

    @classmethod
    def load(cls, path: str | Path) -> "RunResult":
        with np.load(Path(path), allow_pickle=False) as f:
            d = {k: f[k] for k in f.files}
        data = {k[5:]: v for k, v in d.items() if k.startswith("data/")}
        pops: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        sizes: dict[str, int] = {}
        for k in d:
            if k.startswith("spikes/") and k.endswith("/times"):
                name = k[len("spikes/"):-len("/times")]
                pops[name] = (d[k], d[f"spikes/{name}/indices"])
                sizes[name] = int(d[f"spikes/{name}/size"])
        stopped = str(d["stopped"]) if "stopped" in d else None
        return cls(d["ts"], data, SpikeRecord(pops, sizes), float(d["dt"]), stopped)

    def __repr__(self) -> str:
        traces = ", ".join(f"{k}{tuple(v.shape)}" for k, v in self.data.items())
        end = f", stopped={self.stopped!r}" if self.stopped else ""
        return f"RunResult({len(self.ts)} steps of {self.dt} ms; {traces}; {self.spikes!r}{end})"
