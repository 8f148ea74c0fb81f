"""Parameter sweeps: one compiled vmapped run equals separate runs; sharding over several devices."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import brainlab as bl
from brainlab._runner import Runner
from brainlab._sweep import param_grid, sweep


def separate_runs(taus, duration):
    out = []
    for tau in taus:
        lif = bl.neurons.LIF(3, tau=tau)
        out.append(Runner(lif, monitors={"V": "LIF.V"}, progress=False).run(duration, inputs={lif: 300.0}))
    return out


def test_sweep_equals_separate_runs():
    taus = [5.0, 10.0, 20.0]
    res = sweep(bl.neurons.LIF(3), {"tau": taus}, 100.0, inputs={"LIF": 300.0}, monitors={"V": "LIF.V"})
    ref = separate_runs(taus, 100.0)
    np.testing.assert_allclose(res.stack("V"), np.stack([r["V"] for r in ref]), atol=1e-5)
    np.testing.assert_allclose(res.rates(), [r.spikes.rate(100.0) for r in ref])
    assert res.rates()[0] > res.rates()[1] > res.rates()[2]  # faster membranes fire more


def test_sweep_with_build_function_and_grid():
    grid = param_grid(tau=[5.0, 20.0], t_ref=[1.0, 5.0])
    assert list(grid["tau"]) == [5.0, 5.0, 20.0, 20.0] and list(grid["t_ref"]) == [1.0, 5.0, 1.0, 5.0]
    res = sweep(lambda tau, t_ref: bl.neurons.LIF(1, tau=tau, t_ref=t_ref), grid, 100.0, inputs={"LIF": 400.0})
    rates = res.rates()
    assert rates[0] > rates[1] and rates[2] > rates[3] and rates[0] > rates[2]


def test_sweep_errors():
    with pytest.raises(ValueError, match="same number of values"):
        sweep(bl.neurons.LIF(1), {"tau": [1.0, 2.0], "t_ref": [1.0]}, 10.0)
    with pytest.raises(TypeError, match="non-empty dict"):
        sweep(bl.neurons.LIF(1), {}, 10.0)
    with pytest.raises(KeyError, match="no parameter 'taum'"):
        sweep(bl.neurons.LIF(1), {"taum": [1.0]}, 10.0)


def test_sweep_is_sharded_across_devices():
    code = textwrap.dedent(
        """
        import jax, numpy as np, brainlab as bl
        from brainlab._sweep import sweep
        assert len(jax.devices()) == 4, jax.devices()
        res = sweep(bl.neurons.LIF(2), {'tau': [4., 8., 12., 16., 20., 24., 28., 32.]}, 50.,
                    inputs={'LIF': 300.}, monitors={'V': 'LIF.V'})
        assert res.devices == 4, res.devices  # the States stayed spread over the 4 devices
        print('RATES', list(res.rates()))
        """
    )
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    rates = eval(out.stdout.split("RATES", 1)[1])
    single = sweep(bl.neurons.LIF(2), {"tau": [4.0, 8.0, 12.0, 16.0, 20.0, 24.0, 28.0, 32.0]}, 50.0,
                   inputs={"LIF": 300.0}).rates()
    np.testing.assert_allclose(rates, single)
