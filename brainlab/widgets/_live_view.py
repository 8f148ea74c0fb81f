r"""The figures of a :class:`~brainlab.widgets.LiveRun` and the bounded windows they draw.

Simulation chunks and display frames are decoupled: :meth:`LiveView.add` takes a chunk's data (cheap: it keeps
references and bins spikes), :meth:`LiveView.push` streams everything gathered since the last frame to the
bokeh sources in one ``ColumnDataSource.stream(..., rollover=)`` per source.  A source never holds more than
its rollover, so a long run draws in constant memory and time; the full record stays with the Runner.

Panels:

- ``raster``: one dot per spike of the shown neurons (a colour per population, stacked: the first population at
  the bottom), all populations in one source (columns ``t``, ``i``, and ``k``, the population's number);
- ``rates``: the population rate of each population, :math:`r = n_\text{spikes} / (N\,\Delta)` in Hz over bins of
  :math:`\Delta` = ``rate_bin`` ms (a bin :math:`(a, a + \Delta]` holds the spikes of the steps ending in it);
- ``traces``: the recorded values of chosen neurons (mV for ``'E.V'``), every ``stride``-th step so that a
  window holds at most ``MAX_TRACE_POINTS`` points per trace.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["LiveView", "MAX_TRACE_POINTS", "MAX_RATE_SHOWN_HZ"]

MAX_TRACE_POINTS = 5000  # points per trace and window
MAX_RATE_SHOWN_HZ = 100.0  # a raster window keeps every spike up to this mean rate of the shown neurons
_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def shown_neurons(sizes: dict[str, int], total: int | None) -> dict[str, int]:
    """How many neurons of each population the raster shows: all, or ``total`` shared in proportion."""
    n = sum(sizes.values())
    if total is None or n <= total:
        return dict(sizes)
    return {p: max(1, int(round(s * total / n))) for p, s in sizes.items()}


class LiveView:
    r"""Sources and figures of a live run, fed chunk by chunk.

    Args:
        dt: the time step (ms).
        sizes: neurons per spiking population (``{'E': 3200, 'I': 800}``).
        raster: the populations drawn in the raster (in order).
        raster_neurons: at most this many neurons drawn in all (shared in proportion; the first of each).
        rates: the populations whose rate is drawn.
        rate_bin: the rate's bin (ms).
        traces: ``[(monitor name, label, columns)]`` with the monitor's recorded columns to draw.
        window: the time shown (ms); the x axis follows the newest data: at each frame the shared x range is
            set to ``(t - window, t)``, ``t`` the end of the newest chunk (``(t0, t0 + window)`` until then).
        t0: the simulated time at the start (ms; the rate bins start there).
    """

    def __init__(self, dt: float, sizes: dict[str, int], *, raster: list[str], raster_neurons: int | None,
                 rates: list[str], rate_bin: float, traces: list[tuple[str, str, int]], window: float,
                 t0: float = 0.0, width: int = 760):
        from bokeh.models import ColumnDataSource, LinearColorMapper, Range1d
        from bokeh.plotting import figure

        self.dt = float(dt)
        self.window = float(window)
        self.sizes = dict(sizes)
        self.figures: dict[str, Any] = {}
        self.sources: dict[str, Any] = {}
        self.rollover: dict[str, int] = {}
        self.frames = 0
        self.streamed: list[tuple[str, float]] = []  # the last frame's (source id, newest t) per stream
        # An explicit range that push() moves: a DataRange1d with start and end given stays where they put it.
        self._t0 = self._t_new = float(t0)
        self.x_range = Range1d(float(t0), float(t0) + self.window)
        colour = {p: _PALETTE[k % len(_PALETTE)] for k, p in enumerate(sizes)}

        # raster: shown neurons stacked, one source per population
        self.raster = list(raster)
        self.shown = shown_neurons({p: sizes[p] for p in self.raster}, raster_neurons)
        self.offset: dict[str, int] = {}
        if self.raster:
            k = 0
            for p in self.raster:
                self.offset[p] = k
                k += self.shown[p]
            full = all(self.shown[p] == sizes[p] for p in self.raster)
            title = "Spikes" if full else "Spikes of " + ", ".join(f"{self.shown[p]} of {sizes[p]} {p}"
                                                                    for p in self.raster)
            f = figure(width=width, height=300, title=title, x_range=self.x_range, y_range=Range1d(-0.5, k - 0.5),
                       x_axis_label="t (ms)", y_axis_label="neuron", output_backend="webgl",
                       tools="pan,xwheel_zoom,reset")
            # one source for every population (one stream per frame); the colour comes from the column 'k'
            src = ColumnDataSource(data={"t": np.zeros(0), "i": np.zeros(0), "k": np.zeros(0)})
            palette = [colour[p] for p in self.raster]
            mapper = LinearColorMapper(palette=palette, low=-0.5, high=len(palette) - 0.5)
            f.scatter("t", "i", source=src, size=2, color={"field": "k", "transform": mapper})
            for p in self.raster:  # legend entries (empty glyphs, never streamed)
                f.scatter([], [], size=6, color=colour[p], legend_label=p)
            f.legend.location = "top_left"
            f.legend.orientation = "horizontal"
            self.sources["raster"] = src
            self.rollover["raster"] = sum(max(100, int(self.shown[p] * self.window / 1000 * MAX_RATE_SHOWN_HZ))
                                          for p in self.raster)
            self.figures["raster"] = f
        self._spikes: dict[str, list[np.ndarray]] = {p: [] for p in self.raster}
        self._spike_ix: dict[str, list[np.ndarray]] = {p: [] for p in self.raster}

        # population rates
        self.rates = list(rates)
        self.rate_bin = float(rate_bin)
        self._bin_start = float(t0)
        self._carry: dict[str, np.ndarray] = {p: np.zeros(0) for p in self.rates}
        self._rate_rows: list[dict[str, np.ndarray]] = []
        if self.rates:
            f = figure(width=width, height=200, title=f"Population rate ({self.rate_bin:g} ms bins)",
                       x_range=self.x_range, x_axis_label="t (ms)", y_axis_label="rate (Hz)", tools="pan,reset")
            src = ColumnDataSource(data={"t": np.zeros(0), **{p: np.zeros(0) for p in self.rates}})
            for p in self.rates:
                f.line("t", p, source=src, color=colour[p], legend_label=p, line_width=1.5)
            f.legend.location = "top_left"
            f.legend.orientation = "horizontal"
            self.sources["rates"] = src
            self.rollover["rates"] = int(math.ceil(self.window / self.rate_bin)) + 1
            self.figures["rates"] = f

        # traces
        self.traces = list(traces)
        window_steps = int(round(self.window / self.dt))
        self.stride = max(1, int(math.ceil(window_steps / MAX_TRACE_POINTS)))
        self._trace_rows: list[tuple[np.ndarray, list[np.ndarray]]] = []
        self.trace_columns: list[str] = []
        if self.traces:
            f = figure(width=width, height=250, title="Traces", x_range=self.x_range, x_axis_label="t (ms)",
                       tools="pan,ywheel_zoom,reset")
            cols: dict[str, np.ndarray] = {"t": np.zeros(0)}
            k = 0
            for name, label, n in self.traces:
                for j in range(n):
                    col = f"y{k}"
                    cols[col] = np.zeros(0)
                    self.trace_columns.append(col)
                    k += 1
            src = ColumnDataSource(data=cols)
            k = 0
            for name, label, n in self.traces:
                for j in range(n):
                    f.line("t", f"y{k}", source=src, color=_PALETTE[k % len(_PALETTE)],
                           legend_label=f"{label}[{j}]" if n > 1 else label)
                    k += 1
            f.legend.location = "top_left"
            f.legend.orientation = "horizontal"
            f.legend.label_text_font_size = "8pt"
            self.sources["traces"] = src
            self.rollover["traces"] = int(math.ceil(window_steps / self.stride)) + 1
            self.figures["traces"] = f

    # -- feeding -----------------------------------------------------------------------------------------
    def add(self, chunk: Any) -> None:
        """Take one chunk's :class:`~brainlab.RunResult` (its spikes, traces and times)."""
        ts = np.asarray(chunk.ts)
        if ts.size == 0:
            return
        self._t_new = max(self._t_new, float(ts[-1]))
        pops = chunk.spikes.populations
        for p in self.raster:
            t, i = pops[p]
            keep = i < self.shown[p]
            self._spikes[p].append(np.asarray(t[keep], dtype=np.float64))
            self._spike_ix[p].append(np.asarray(i[keep], dtype=np.float64) + self.offset[p])
        if self.rates:
            self._bin(pops, float(ts[-1]))
        if self.traces:
            steps = np.rint(ts / self.dt).astype(np.int64)
            rows = np.nonzero(steps % self.stride == 0)[0]
            if rows.size:
                cols = []
                for name, _label, n in self.traces:
                    data = np.asarray(chunk.data[name])[rows]
                    data = data.reshape(len(rows), -1)[:, :n]
                    cols.extend(np.asarray(data[:, j], dtype=np.float64) for j in range(n))
                self._trace_rows.append((np.asarray(ts[rows], dtype=np.float64), cols))

    def _bin(self, pops: dict, t_end: float) -> None:
        for p in self.rates:
            t = np.sort(np.asarray(pops[p][0], dtype=np.float64))
            self._carry[p] = np.concatenate([self._carry[p], t])
        n_bins = int(math.floor((t_end - self._bin_start) / self.rate_bin + 1e-6))
        if n_bins < 1:
            return
        edges = self._bin_start + self.rate_bin * np.arange(n_bins + 1)
        row = {"t": (edges[:-1] + edges[1:]) / 2}
        eps = self.dt * 1e-3  # spike times are step ends: a bin (a, b] holds the steps ending in it
        for p in self.rates:
            pos = np.searchsorted(self._carry[p], edges + eps, side="left")
            row[p] = np.diff(pos) / (self.sizes[p] * self.rate_bin / 1000.0)
            self._carry[p] = self._carry[p][pos[-1]:]
        self._rate_rows.append(row)
        self._bin_start = float(edges[-1])

    @property
    def pending(self) -> bool:
        """Whether data waits for the next frame."""
        return bool(self._trace_rows or self._rate_rows or any(self._spikes[p] for p in self.raster))

    def push(self) -> bool:
        """Stream what was gathered to the sources (one frame); ``False`` if there was nothing new."""
        if not self.pending:
            return False
        self.streamed = []
        self._follow()  # first: the page never holds data beyond the end of its range
        if any(self._spikes[p] for p in self.raster):
            ts, ix, ks = [], [], []
            for k, p in enumerate(self.raster):
                for t, i in zip(self._spikes[p], self._spike_ix[p]):
                    ts.append(t)
                    ix.append(i)
                    ks.append(np.full(t.shape, float(k)))
                self._spikes[p].clear()
                self._spike_ix[p].clear()
            t, i, k = np.concatenate(ts), np.concatenate(ix), np.concatenate(ks)
            if t.size:
                order = np.argsort(t, kind="stable")[-self.rollover["raster"]:]  # in time order: rollover drops
                self._stream("raster", {"t": t[order], "i": i[order], "k": k[order]})  # the oldest
        if self._rate_rows:
            rows, self._rate_rows = self._rate_rows, []
            data = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
            self._stream("rates", data)
        if self._trace_rows:
            rows, self._trace_rows = self._trace_rows, []
            data = {"t": np.concatenate([r[0] for r in rows])}
            for k, col in enumerate(self.trace_columns):
                data[col] = np.concatenate([r[1][k] for r in rows])
            n = self.rollover["traces"]
            self._stream("traces", {k: v[-n:] for k, v in data.items()})
        self.frames += 1
        return True

    def _stream(self, key: str, data: dict[str, np.ndarray]) -> None:
        src = self.sources[key]
        src.stream(data, rollover=self.rollover[key])
        self.streamed.append((src.id, float(data["t"][-1])))

    def clear(self, t0: float = 0.0) -> None:
        """Empty every window (after a reset; the rate bins start again at ``t0``)."""
        for src in self.sources.values():
            src.data = {k: np.zeros(0) for k in src.data}
        for p in self.raster:
            self._spikes[p].clear()
            self._spike_ix[p].clear()
        self._rate_rows.clear()
        self._trace_rows.clear()
        self._carry = {p: np.zeros(0) for p in self.rates}
        self._bin_start = float(t0)
        self._t0 = self._t_new = float(t0)
        self._follow()

    def _follow(self) -> None:
        """The x range to ``(t - window, t)``, ``t`` the newest time given (not before ``t0 + window``)."""
        end = max(self._t_new, self._t0 + self.window)
        if (self.x_range.start, self.x_range.end) != (end - self.window, end):
            self.x_range.update(start=end - self.window, end=end)
