r"""A spike source that emits given spikes at given times."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..engine import HiddenState, Module
from ._params import no_current, size_shape

__all__ = ["SpikeTimes"]


class SpikeTimes(Module):
    r"""A population that emits prescribed spikes: neuron ``indices[k]`` spikes at ``times[k]`` (ms).

    A spike at time :math:`t_k` is emitted by the step that ends at :math:`t_k` (times are rounded to the step
    grid, :math:`t_k \to \mathrm{round}(t_k/\Delta t)\,\Delta t`), the same convention as a neuron that crosses
    threshold during a step; a projection from this population then delivers it at :math:`t_k` (plus its delay).

    Args:
        size: the number of neurons.
        times: spike times (ms, > 0).
        indices: the neuron of each spike (default: neuron 0 for every spike, for ``size == 1``).
        name: a readable name.

    Example:
        >>> import brainlab as bl
        >>> src = bl.inputs.SpikeTimes(2, times=[1.0, 2.5, 2.5], indices=[0, 0, 1])

    Limits: each step compares the step with every listed spike, O(number of spikes) per step: meant for
    stimulation protocols and tests, not for replaying long recordings; a time below one step raises.
    """

    def __init__(self, size: int | tuple[int, ...], times: Any, indices: Any = None, name: str | None = None) -> None:
        shape = size_shape("SpikeTimes", size)
        times = np.asarray(times, dtype=float).ravel()
        if indices is None:
            if int(np.prod(shape)) != 1 and times.size:
                raise ValueError("SpikeTimes: indices is required when size > 1 (the neuron of each spike).")
            indices = np.zeros(times.shape, dtype=np.int64)
        indices = np.asarray(indices).ravel()
        if indices.shape != times.shape:
            raise ValueError(f"SpikeTimes: times and indices must have the same length (one entry per spike); got "
                             f"{times.size} and {indices.size}.")
        if indices.size and (not np.issubdtype(indices.dtype, np.integer) or indices.min() < 0
                             or indices.max() >= np.prod(shape)):
            raise ValueError(f"SpikeTimes: indices must be integers in [0, {int(np.prod(shape))}).")
        if not np.all(np.isfinite(times)) or np.any(times <= 0):
            raise ValueError("SpikeTimes: times must be finite and > 0 ms (a spike is emitted by a step that ends at "
                             "its time).")
        self.size = shape
        self.num = int(np.prod(shape))
        self.name = name if name is not None else "SpikeTimes"
        object.__setattr__(self, "_times", times)
        object.__setattr__(self, "_indices", indices.astype(np.int32))
        object.__setattr__(self, "_steps_cache", {})
        self.spike = HiddenState(jnp.zeros(shape, dtype=bool), name=f"{self.name}.spike")
        self.step = HiddenState(jnp.zeros((), dtype=jnp.int32), name=f"{self.name}.step")

    @property
    def times(self) -> np.ndarray:
        """The spike times (ms)."""
        return self._times.copy()

    @property
    def indices(self) -> np.ndarray:
        """The neuron of each spike."""
        return self._indices.copy()

    def _steps(self, dt: Any) -> np.ndarray:
        if isinstance(dt, jax.core.Tracer):
            raise TypeError("SpikeTimes.update: dt must be a Python number (it places the spikes on the step grid).")
        key = float(dt)
        steps = self._steps_cache.get(key)
        if steps is None:
            steps = np.rint(self._times / key).astype(np.int64) - 1
            if steps.size and steps.min() < 0:
                raise ValueError(f"SpikeTimes: a spike at {self._times[np.argmin(steps)]:g} ms lies before the end of "
                                 f"the first step (dt = {key:g} ms); spike times must be >= dt.")
            self._steps_cache[key] = steps
        return steps

    def update(self, t: Any, dt: Any, I: Any = 0.0) -> jax.Array:  # noqa: E741
        """Emit the spikes of the step from ``t`` to ``t + dt`` (ms)."""
        no_current("SpikeTimes", I)
        steps = self._steps(dt)
        n = self.step.value
        hit = jnp.asarray(steps, jnp.int32) == n
        flat = jnp.zeros((self.num,), bool).at[jnp.asarray(self._indices)].max(hit)
        self.spike.value = flat.reshape(self.size)
        self.step.value = n + 1
        return self.spike.value

    def __repr__(self) -> str:
        return f"SpikeTimes(size={self.num}, n_spikes={self._times.size})"
