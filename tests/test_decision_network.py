"""bl.networks.decision_making: Wang's (2002) two-choice spiking circuit at a reduced size.

Structure is checked against the numbers of Wang (2002) written out here; behaviour against the paper's
qualitative results (a low-rate spontaneous state, winner-take-all at high coherence) with fixed seeds.
"""

import numpy as np
import pytest

import brainlab as bl


def test_structure_follows_wang_2002_scaled_to_n():
    net = bl.networks.decision_making(500, coherence=25.6, mu0=40.0, seed=1)
    n_e, n_i, n_sel = 400, 100, 60  # 80 % E, pools of f = 15 % of E
    assert (net.A.num, net.B.num, net.N.num, net.I.num) == (n_sel, n_sel, n_e - 2 * n_sel, n_i)
    w_minus = 1 - 0.15 * 0.7 / 0.85
    ke, ki = 1600 / n_e, 400 / n_i
    expect = {"AA_NMDA": 0.165 * ke * 1.7, "AB_NMDA": 0.165 * ke * w_minus, "NA_AMPA": 0.05 * ke * w_minus,
              "AN_NMDA": 0.165 * ke, "AI_NMDA": 0.13 * ke, "NI_AMPA": 0.04 * ke, "IA": 1.3 * ki, "II": 1.0 * ki}
    for name, w in expect.items():
        assert float(np.max(getattr(net, name).weight.value)) == pytest.approx(w, rel=1e-6), name
    assert net.AA_AMPA.nnz == n_sel * (n_sel - 1) and net.AB_AMPA.nnz == n_sel * n_sel  # all-to-all, no autapses
    assert float(np.max(net.stim_A.rate_hz.value)) == pytest.approx(40 * 1.256, rel=1e-6)
    assert float(np.max(net.stim_B.rate_hz.value)) == pytest.approx(40 * 0.744, rel=1e-6)
    assert float(np.max(net.bg_I.weight.value)) == pytest.approx(1.62)
    assert float(net.A.tau.value) == 20.0 and float(net.A.R.value) == pytest.approx(0.04)  # 0.5 nF, 25 nS
    assert float(net.I.tau.value) == 10.0 and float(net.I.R.value) == pytest.approx(0.05)  # 0.2 nF, 20 nS


def test_spontaneous_state_then_the_favoured_pool_wins():
    """Wang (2002): without stimulus a low-rate spontaneous state; with a strong coherent stimulus the favoured
    selective pool ramps up and suppresses the other (winner-take-all)."""
    for c, win, lose in ((51.2, "A", "B"), (-51.2, "B", "A")):
        net = bl.networks.decision_making(500, coherence=c, mu0=0.0, seed=0)
        runner = bl.Runner(net, progress=False)
        spont = runner.run(500.0).spikes
        for pop in "ABN":
            assert 0.3 < spont[pop].rate(500.0) < 5.0, (pop, spont[pop].rate(500.0))
        assert 3.0 < spont["I"].rate(500.0) < 15.0
        net.stim_A.rate_hz = 40.0 * (1 + c / 100)
        net.stim_B.rate_hz = 40.0 * (1 - c / 100)
        spikes = runner.run(2000.0).spikes
        late = {p: np.sum(spikes[p].times >= 1500.0) / spikes[p].n_neurons for p in "AB"}  # spikes per neuron, last 1 s
        assert late[win] > 8.0 and late[win] > 3.0 * late[lose], (c, late)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="coherence must be a number in"):
        bl.networks.decision_making(500, coherence=150.0)
    with pytest.raises(ValueError, match="n must be at least 50"):
        bl.networks.decision_making(20)
