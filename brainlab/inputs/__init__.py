r"""Inputs: time series for ``Runner.run(inputs=...)``, spike sources, and noise/drive modules.

================================= =================================================================================
time series (numpy, ``(n_steps,)``) :func:`constant`, :func:`section`, :func:`ramp`, :func:`sinusoid`, :func:`square`,
                                  :func:`step_pulses`
spike sources (populations)       :class:`PoissonSpikes` (independent Poisson sources), :class:`SpikeTimes` (given
                                  spikes); use them as ``pre`` of a :class:`~brainlab.Projection`
projection-like modules           :class:`PoissonInput` (summed Poisson drive, binomial per step), :class:`OUNoise`
                                  (Ornstein-Uhlenbeck current, exact)
================================= =================================================================================

Example:
    >>> import brainlab as bl
    >>> lif = bl.neurons.LIF(10)
    >>> I = bl.inputs.section([0.0, 300.0, 0.0], [20.0, 60.0, 20.0], dt=0.1)     # pA
    >>> res = bl.Runner(lif, dt=0.1).run(100.0, inputs={lif: I})
"""

from ._currents import constant, n_steps, ramp, section, sinusoid, square, step_pulses
from ._ou import OUNoise
from ._poisson import PoissonInput, PoissonSpikes
from ._spike_times import SpikeTimes

__all__ = [
    "constant",
    "section",
    "ramp",
    "sinusoid",
    "square",
    "step_pulses",
    "n_steps",
    "PoissonSpikes",
    "PoissonInput",
    "OUNoise",
    "SpikeTimes",
]
