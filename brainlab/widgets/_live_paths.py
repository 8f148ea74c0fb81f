r"""What a :class:`~brainlab.widgets.LiveRun` slider acts on, and how a logged run is replayed in code.

A control is named by the path of a State of the network, as ``net.states()`` lists them: ``'E.I_ext'`` (a
neuron parameter), ``'EE.weight'`` (a projection's weight), ``'EE.syn.tau'``, ``'drive.rate_hz'`` (a
``PoissonInput``'s rate).  :func:`resolve_control` finds the module that owns the State and, where the model
declares the parameter, its :class:`~brainlab._model.Parameter` (name, unit, admissible range), so the slider
carries the declaration; a value is written by plain attribute assignment (``net.E.I_ext = 25.``), so the
model's own range checks apply.

:func:`replay` runs a change log ``[(t, path, value), ...]`` against a network with plain ``Runner.run`` calls:
run until the next change, assign, go on.  Parameters are States, so nothing recompiles, and with the same
network (same seed) the spikes are those of the live run.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .._model import Parameter
from .._results import RunResult, SpikeRecord

__all__ = ["ControlTarget", "resolve_control", "replay", "concat_results"]


@dataclasses.dataclass
class ControlTarget:
    """A State of a network that a slider writes into.

    Attributes:
        path: the State's path (``'E.I_ext'``).
        owner: the module holding it (``net.E``); ``attr``: its attribute name there (``'I_ext'``).
        state: the State itself.
        parameter: the model's declaration (unit, admissible range, meaning), or ``None`` when undeclared
            (a projection's weight): the slider then needs bounds from the user.
    """

    path: str
    owner: Any
    attr: str
    state: Any
    parameter: Parameter | None

    @property
    def value(self) -> float:
        """The current value (the mean, for one value per neuron or synapse)."""
        return float(np.mean(np.asarray(self.state.value, dtype=float)))

    def set(self, value: float) -> None:
        """Assign ``value`` as ``owner.attr = value`` (the owner's checks apply)."""
        setattr(self.owner, self.attr, float(value))


def _declaration(owner: Any, attr: str) -> Parameter | None:
    index = getattr(type(owner), "_param_index", None)
    if isinstance(index, Mapping) and attr in index:
        return index[attr]
    specs = getattr(owner, "__dict__", {}).get("_specs")  # input modules: (unit, lo, hi, shape)
    if isinstance(specs, Mapping) and attr in specs:
        unit, lo, hi, _shape = specs[attr]
        value = float(np.mean(np.asarray(getattr(owner, attr).value, dtype=float)))
        return Parameter(attr, value, unit, (lo, hi), f"{type(owner).__name__} {attr}")
    return None


def resolve_control(net: Any, path: str, who: str = "LiveRun") -> ControlTarget:
    r"""The State at ``path`` in ``net`` and what declares it.

    Example:
        >>> import brainlab as bl
        >>> net = bl.networks.coba(100, seed=0)
        >>> c = resolve_control(net, 'E.I_ext')
        >>> c.attr, c.parameter.unit, c.value
        ('I_ext', 'pA', 20.0)
        >>> resolve_control(net, 'EE.weight').parameter is None        # undeclared: give bounds
        True
    """
    if not isinstance(path, str):
        raise TypeError(f"{who}: a control is named by a State path such as 'E.I_ext', got {type(path).__name__}.")
    states = net.states()
    if path not in states:
        close = difflib.get_close_matches(path, list(states), n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        params = sorted(p for p, s in states.items() if getattr(s, "kind", "") == "param")
        raise KeyError(f"{who}: control {path!r} names no State of the network.{hint} Parameters: "
                       f"{', '.join(params[:24])}{' ...' if len(params) > 24 else ''}.")
    owner = net
    *parents, attr = path.split(".")
    for name in parents:
        owner = getattr(owner, name)
    if getattr(owner, "__dict__", {}).get(attr) is not states[path]:
        raise KeyError(f"{who}: the State {path!r} is not an attribute {attr!r} of {type(owner).__name__}; name a "
                       "parameter by its attribute path, e.g. 'E.I_ext' or 'EE.weight'.")
    return ControlTarget(path, owner, attr, states[path], _declaration(owner, attr))


def concat_results(parts: list[RunResult], stopped: str | None = None) -> RunResult:
    """One :class:`RunResult` from consecutive ones (same runner and monitors), in order."""
    if not parts:
        raise ValueError("concat_results: nothing to join; pass at least one RunResult.")
    if len(parts) == 1 and stopped is None:
        return parts[0]
    first = parts[0]
    data = {k: np.concatenate([p.data[k] for p in parts]) for k in first.data}
    pops = {}
    for name in first.spikes.populations:
        pops[name] = (np.concatenate([p.spikes.populations[name][0] for p in parts]),
                      np.concatenate([p.spikes.populations[name][1] for p in parts]))
    last_stop = stopped if stopped is not None else parts[-1].stopped
    return RunResult(np.concatenate([p.ts for p in parts]), data, SpikeRecord(pops, dict(first.spikes.sizes)),
                     first.dt, last_stop)


def replay(net_or_runner: Any, changes: Iterable[tuple[float, str, float]], duration: float,
           inputs: Mapping[Any, Any] | None = None, *, monitors: Any = None) -> RunResult:
    r"""Re-run a :class:`~brainlab.widgets.LiveRun`'s change log with plain ``Runner.run`` calls.

    From the network's current state (a fresh network: t = 0), run up to each logged time, assign the logged
    values (``net.E.I_ext = 25.`` ...) and go on, until ``duration`` ms in all.

    Args:
        net_or_runner: a network built like the live one (same builder, same seed), or a Runner of it.
        changes: ``[(t in ms, path, value), ...]``, as ``live.changes``.
        duration: the total simulated time (ms), e.g. ``live.t``.
        inputs: the Runner inputs of the live run, if any.
        monitors: when a network is given, the monitors of the Runner made here.

    Returns:
        Everything recorded, as one :class:`RunResult` (spike times are absolute, from the runner's start).

    Example:
        >>> import brainlab as bl
        >>> res = replay(bl.networks.coba(100, seed=0), [(20.0, 'E.I_ext', 25.0)], 50.0)
        >>> len(res.ts)
        500
    """
    from .._runner import Runner

    runner = net_or_runner if isinstance(net_or_runner, Runner) else Runner(net_or_runner, monitors,
                                                                          progress=False)
    changes = sorted(((float(t), p, float(v)) for t, p, v in changes), key=lambda c: c[0])
    total = float(duration)
    if not math.isfinite(total) or total <= 0:
        raise ValueError(f"replay: duration must be a finite number of ms > 0, got {duration!r}.")
    targets = {p: resolve_control(runner.net, p, "replay") for _, p, _ in changes}
    parts: list[RunResult] = []
    half = runner.dt / 2
    for t, path, value in changes:
        if t > total + half:
            raise ValueError(f"replay: a change of {path!r} at t = {t:g} ms lies beyond duration = {total:g} ms.")
        if t - runner.t > half:
            parts.append(runner.run(t - runner.t, inputs=inputs, progress=False))
        targets[path].set(value)
    if total - runner.t > half:
        parts.append(runner.run(total - runner.t, inputs=inputs, progress=False))
    if not parts:
        raise ValueError(f"replay: duration = {total:g} ms is not beyond the runner's time t = {runner.t:g} ms.")
    return concat_results(parts)
