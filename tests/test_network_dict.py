"""Network.to_dict / from_dict, JSON save/load and code export (brainlab/_network_dict.py, _network_build.py,
_network_code.py): a description rebuilds the same network, checked against the original object itself (every
State bit for bit, the stored connectivity, the spikes and voltages of a Runner run with the same seeds), and bad
descriptions are refused with messages that name the field and the fix."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import brainlab as bl
import brainlab.engine as be
from brainlab._network_code import network_code
from brainlab._network_dict import validate_dict

T, DT = 20.0, 0.1


# ------------------------------------------------------------------------------------------------------------
# networks
# ------------------------------------------------------------------------------------------------------------


def _inputs_delays_stp() -> bl.Network:
    """Spike sources, Poisson and OU drive, a scalar and per-synapse delays, STP, per-neuron parameters,
    per-synapse weights, explicit (FromIJ) and seedless random connectivity, a recurrent projection."""
    E = bl.neurons.LIF(30, name="E", I_ext=np.linspace(140.0, 220.0, 30), tau=np.linspace(12.0, 25.0, 30))
    I = bl.neurons.LIF(10, name="I", I_ext=120.0)  # noqa: E741
    src = bl.inputs.PoissonSpikes(20, rate_hz=80.0, seed=4, name="src")
    drive = bl.inputs.PoissonInput(E, n_inputs=50, rate_hz=20.0, weight=2.0, seed=5, name="drive",
                                   synapse=bl.synapses.Expon(tau=2.0), output=bl.outputs.CUBA())
    noise = bl.inputs.OUNoise(I, mean=5.0, sigma=np.linspace(1.0, 3.0, 10), tau=5.0, seed=6, name="noise")
    rng = np.random.default_rng(0)
    i, j = rng.integers(0, 30, 40), rng.integers(0, 10, 40)
    return bl.Network(
        E=E, I=I, src=src, drive=drive, noise=noise,
        SE=bl.Projection(src, E, bl.conn.FixedPostNum(3, seed=7), bl.synapses.Expon(tau=3.0),
                         bl.outputs.COBA(E=0.0), weight=np.linspace(0.5, 1.0, 60), delay=1.0,
                         stp=bl.synapses.STP(U=0.3), name="SE"),
        EI=bl.Projection(E, I, bl.conn.FromIJ(i, j, n_pre=30, n_post=10), bl.synapses.Expon(),
                         bl.outputs.CUBA(), weight=rng.uniform(5.0, 9.0, 40), delay=rng.integers(1, 8, 40) * DT,
                         name="EI"),
        IE=bl.Projection(I, E, bl.conn.FixedProb(0.5), bl.synapses.Alpha(tau=4.0), bl.outputs.CUBA(),
                         weight=-20.0, name="IE"),
        EE=bl.Projection(E, E, bl.conn.GaussianProb(2.0, seed=9), bl.synapses.Expon(), bl.outputs.CUBA(),
                         weight=3.0, name="EE"),
    )


def _nested() -> bl.Network:
    E = bl.neurons.LIF(12, name="E", I_ext=200.0)
    I = bl.neurons.LIF(6, name="I", I_ext=180.0)  # noqa: E741
    sub = bl.Network(E=E, EE=bl.Projection(E, E, bl.conn.FixedProb(0.3, seed=1), bl.synapses.Expon(),
                                           bl.outputs.CUBA(), weight=2.0, name="EE"))
    return bl.Network(sub=sub, I=I, EI=bl.Projection(E, I, bl.conn.AllToAll(), bl.synapses.Expon(),
                                                     bl.outputs.CUBA(), weight=1.0, name="EI"))


NETWORKS = {
    "coba": lambda: bl.networks.coba(200, seed=1),
    "cuba": lambda: bl.networks.cuba(200, seed=2),
    "cobahh": lambda: bl.networks.cobahh(100, seed=3),
    "inputs_delays_stp": _inputs_delays_stp,
    "nested": _nested,
    "empty": lambda: bl.Network(),
}


def _run(net: bl.Network) -> tuple[dict, dict]:
    """Spikes per population and the recorded voltages of a short run."""
    monitors = [p + ".V" for p in net.populations() if hasattr(net.populations()[p], "V")]
    res = bl.Runner(net, monitors=monitors, dt=DT, progress=False).run(T)
    spikes = {k: (np.asarray(t), np.asarray(i)) for k, (t, i) in res.spikes.populations.items()}
    return spikes, {m: np.asarray(res[m]) for m in monitors}


def _same_run(a: tuple[dict, dict], b: tuple[dict, dict]) -> None:
    assert a[0].keys() == b[0].keys() and a[1].keys() == b[1].keys()
    for k in a[0]:
        np.testing.assert_array_equal(a[0][k][0], b[0][k][0])
        np.testing.assert_array_equal(a[0][k][1], b[0][k][1])
    for k in a[1]:
        np.testing.assert_array_equal(a[1][k], b[1][k])


def _same_states(a: bl.Network, b: bl.Network) -> None:
    sa, sb = a.states(), b.states()
    assert list(sa) == list(sb)
    for path in sa:
        assert sa[path].dtype == sb[path].dtype, path
        np.testing.assert_array_equal(np.asarray(sa[path].value), np.asarray(sb[path].value), err_msg=path)
    for path, proj in a.projections().items():
        other = b.projections()[path]
        if getattr(proj, "conn", None) is not None:
            np.testing.assert_array_equal(proj.conn.indptr, other.conn.indptr)
            np.testing.assert_array_equal(proj.conn.indices, other.conn.indices)


# ------------------------------------------------------------------------------------------------------------
# round trips
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(NETWORKS))
def test_from_dict_rebuilds_the_same_network(name):
    net = NETWORKS[name]()
    d = net.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d  # plain strict JSON
    again = bl.Network.from_dict(d)
    assert again.to_dict() == d
    _same_states(net, again)
    first = _run(net)
    _same_run(first, _run(again))
    if name not in ("empty", "nested"):
        assert sum(len(t) for t, _ in first[0].values()) > 0  # the comparison is not of two silent runs


@pytest.mark.parametrize("name", list(NETWORKS))
def test_exported_code_builds_and_runs_the_same_network(name):
    net = NETWORKS[name]()
    d = net.to_dict()
    monitors = [p + ".V" for p in net.populations() if hasattr(net.populations()[p], "V")]
    code = network_code(d, run=T, dt=DT, monitors=monitors)
    compile(code, "<export>", "exec")
    ns: dict = {}
    exec(code, ns)  # a fresh namespace: the code imports what it uses
    assert ns["net"].to_dict() == d
    res = ns["res"]
    exported = ({k: (np.asarray(t), np.asarray(i)) for k, (t, i) in res.spikes.populations.items()},
                {m: np.asarray(res[m]) for m in monitors})
    _same_run(_run(net), exported)


def test_json_save_and_load(tmp_path):
    net = _inputs_delays_stp()
    path = tmp_path / "net.json"
    net.save(path)
    json.loads(path.read_text())  # strict JSON on disk
    again = bl.Network.load(str(path))
    assert again.to_dict() == net.to_dict()
    _same_run(_run(net), _run(again))


def test_per_neuron_and_per_synapse_values_are_lists_and_float32_numbers_are_short():
    net = _inputs_delays_stp()
    d = net.to_dict()
    pops = {p["path"]: p for p in d["populations"]}
    projs = {p["path"]: p for p in d["projections"]}
    assert pops["E"]["params"]["I_ext"] == [float(str(v)) for v in np.linspace(140.0, 220.0, 30, dtype=np.float32)]
    assert pops["I"]["params"]["I_ext"] == 120.0 and projs["SE"]["weight"][:2] == [0.5, 0.5084746]
    assert len(projs["EI"]["weight"]) == len(projs["EI"]["delay"]) == 40 and projs["EI"]["conn"]["rule"] == "FromIJ"
    assert projs["SE"]["stp"] == {"model": "STP", "module": "brainlab.synapses",
                                  "params": {"U": 0.3, "tau_f": 750.0, "tau_d": 50.0}}
    seed = projs["IE"]["conn"]["seed"]  # FixedProb(0.5) without a seed records the one it drew
    assert isinstance(seed, int) and projs["IE"]["conn"]["prob"] == 0.5
    assert {i["path"]: i["seed"] for i in d["inputs"]} == {"drive": 5, "noise": 6} and pops["src"]["seed"] == 4


def test_initial_values_drawn_by_bl_networks_travel_with_the_description():
    net = bl.networks.coba(50, seed=4)
    d = net.to_dict()
    assert set(d["initial"]) == {"E.V", "I.V"}
    again = bl.Network.from_dict(d)
    again.E.V = 0.0
    again.reset()
    np.testing.assert_array_equal(np.asarray(again.E.V.value), np.asarray(net.E.V.value))


def test_float64_network_round_trips():
    net = bl.networks.coba(50, seed=5, dtype="float64")
    d = net.to_dict()
    assert d["dtype"] == "float64"
    again = bl.Network.from_dict(d)
    assert again.E.V.dtype == np.float64 and again.to_dict() == d
    ns: dict = {}
    exec(network_code(d), ns)
    assert ns["net"].to_dict() == d


def test_on_the_fly_projection_round_trips():
    net = bl.networks.coba(100, seed=6, onthefly=True)
    d = net.to_dict()
    assert d["projections"][0]["onthefly"] and d["projections"][0]["conn"]["rule"] == "FixedProb"
    again = bl.Network.from_dict(d)
    assert again.to_dict() == d
    _same_run(_run(net), _run(again))


def test_a_hand_written_description_fills_in_defaults():
    d = {"version": 1,
         "populations": [{"path": "E", "model": "LIF", "size": 10, "params": {"I_ext": 200.0}}],
         "projections": [{"path": "EE", "pre": "E", "post": "E", "conn": {"rule": "FixedProb", "prob": 0.2, "seed": 0},
                          "synapse": {"model": "Expon"}, "output": {"model": "CUBA"}, "weight": 1.0}]}
    net = bl.Network.from_dict(d)
    E = bl.neurons.LIF(10, name="E", I_ext=200.0)
    direct = bl.Network(E=E, EE=bl.Projection(E, E, bl.conn.FixedProb(0.2, seed=0), bl.synapses.Expon(),
                                              bl.outputs.CUBA(), weight=1.0, name="EE"))
    assert net.to_dict() == direct.to_dict()
    _same_states(net, direct)


def test_code_writes_only_parameters_that_differ_from_the_defaults():
    code = network_code(bl.networks.cuba(50, seed=0))
    assert "bl.neurons.LIF(40, name='E', V_rest=-49.0, V_reset=-60.0, tau=20.0, R=1.0, t_ref=5.0)" in code
    assert "bl.conn.FixedProb(1.0, seed=" in code and "weight=-9.0" in code
    assert network_code(bl.Network()) == "import brainlab as bl\n\nnet = bl.Network()\n"


# ------------------------------------------------------------------------------------------------------------
# errors
# ------------------------------------------------------------------------------------------------------------


def _good() -> dict:
    return bl.networks.cuba(20, seed=0).to_dict()


def _broken(edit) -> dict:
    d = copy.deepcopy(_good())
    edit(d)
    return d


@pytest.mark.parametrize("edit, exc, message", [
    (lambda d: d["populations"][0].update(model="LIFF"), ValueError,
     r"populations\[0\] \('E'\)\.model: unknown model 'LIFF' in brainlab\.neurons \(and brainlab\.inputs\)\. "
     r"Did you mean 'LIF'\?"),
    (lambda d: d["projections"][1].pop("weight"), ValueError,
     r"projections\[1\] \('EI'\): the field \"weight\" is missing; add it"),
    (lambda d: d["populations"][1].pop("size"), ValueError,
     r"populations\[1\] \('I'\): the field 'size' is missing; add it, e\.g\. \"size\": 100"),
    (lambda d: d.update(version=2), ValueError, r"version 2 is not supported \(this brainlab reads version 1\)"),
    (lambda d: d.pop("version"), ValueError, r'the field "version" is missing; add "version": 1'),
    (lambda d: d.update(format="something"), ValueError, r"format: expected 'brainlab.network'"),
    (lambda d: d["populations"][0]["params"].update(tauu=3.0), ValueError,
     r"populations\[0\] \('E'\)\.params\.tauu: LIF has no parameter 'tauu'\. Did you mean 'tau'\?"),
    (lambda d: d["projections"][0]["conn"].update(rule="FixedProbability"), ValueError,
     r"projections\[0\] \('EE'\)\.conn\.rule: unknown connectivity rule 'FixedProbability'\. Did you mean"),
    (lambda d: d["projections"][0]["conn"].update(probability=0.1), ValueError,
     r"conn\.probability: FixedProb has no field 'probability'"),
    (lambda d: d["projections"][2].update(pre="X"), ValueError,
     r"projections\[2\] \('IE'\)\.pre: 'X' is not a population of this description; use one of \['E', 'I'\]"),
    (lambda d: d["projections"][0]["synapse"].update(model="Expo"), ValueError,
     r"\.synapse\.model: unknown model 'Expo' in brainlab\.synapses\. Did you mean 'Expon'\?"),
    (lambda d: d["projections"][0].update(stp={"model": "Expon"}), ValueError,
     r"\.stp\.model: Expon is not short-term plasticity; use STP or STD here"),
    (lambda d: d["projections"][0].update(weight="heavy"), TypeError, r"\.weight: expected a number or a list"),
    (lambda d: d["populations"][1].update(path="E"), ValueError, r"'E' is used twice"),
    (lambda d: d["initial"].update({"E.W": [0.0]}), ValueError, r"initial\.E\.W: the network has no State 'E\.W'"),
    (lambda d: d["populations"][0]["params"].update(tau=-1.0), ValueError,
     r"population 'E': LIF: parameter 'tau' = -1 ms is outside its admissible range"),
])
def test_bad_descriptions_are_refused_with_the_field_and_the_fix(edit, exc, message):
    d = _broken(edit)
    with pytest.raises(exc, match=r"^Network\.from_dict: .*" + message):
        bl.Network.from_dict(d)
    if "initial" not in message and "admissible" not in message:  # found without building anything
        with pytest.raises(exc, match=message):
            validate_dict(d)
        with pytest.raises(exc, match=message):
            network_code(d)


def test_not_a_description():
    with pytest.raises(TypeError, match=r"Network\.from_dict: expected a dict made by net\.to_dict\(\)"):
        bl.Network.from_dict([1, 2])


def test_load_refuses_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "net.json"
    path.write_text("not json")
    with pytest.raises(ValueError, match=r"Network\.load: .* is not valid JSON .* written by net\.save\(path\)"):
        bl.Network.load(path)


def test_to_dict_refuses_what_it_cannot_describe():
    class Custom(be.Module):
        IS_PROJECTION = True
        pre = None

        def __init__(self, post):
            self._post = post

        @property
        def post(self):
            return self._post

        def update(self, t, dt):
            return 0.0

    E = bl.neurons.LIF(3)
    net = bl.Network(E=E, custom=Custom(E))
    with pytest.raises(ValueError, match=r"Network\.to_dict: 'custom' is a Custom, a projection-like module that "
                                         r"to_dict cannot describe"):
        net.to_dict()


def test_surrogate_spike_dtype_and_dense_connectivity_round_trip():
    E = bl.neurons.LIF(6, name="E", surrogate=bl.neurons.Arctan(alpha=2.0), spike_dtype=float, I_ext=200.0)
    W = np.zeros((6, 6))
    W[0, 1], W[2, 5], W[4, 3] = 1.5, -2.0, 0.25
    net = bl.Network(E=E, EE=bl.Projection(E, E, bl.conn.FromDense(W), bl.synapses.Expon(), bl.outputs.CUBA(),
                                           name="EE"))
    d = net.to_dict()
    pop, proj = d["populations"][0], d["projections"][0]
    assert pop["surrogate"] == {"name": "arctan", "alpha": 2.0} and pop["spike_dtype"] == "float"
    assert proj["conn"] == {"rule": "FromIJ", "i": [0, 2, 4], "j": [1, 5, 3], "n_pre": 6, "n_post": 6}
    assert proj["weight"] == [1.5, -2.0, 0.25]
    again = bl.Network.from_dict(d)
    assert again.to_dict() == d and again.E._surrogate == bl.neurons.Arctan(alpha=2.0)
    np.testing.assert_array_equal(again.EE.to_dense(), W)
    ns: dict = {}
    exec(network_code(d), ns)
    assert ns["net"].to_dict() == d


def test_to_dict_refuses_a_population_it_cannot_describe():
    class Clock(be.Module):
        def __init__(self):
            self.size = (1,)
            self.t = be.State(0.0)

        def update(self, t, dt, I=0.0):  # noqa: E741
            self.t.value = t

    with pytest.raises(ValueError, match=r"Network\.to_dict: 'clock' is a Clock, a population that to_dict cannot "
                                         r"describe"):
        bl.Network(clock=Clock()).to_dict()


def test_float32_values_are_written_as_numpy_s_shortest_decimals():
    from brainlab._network_dict import plain

    rng = np.random.default_rng(7)
    x = (rng.standard_normal(20000) * 10.0 ** rng.integers(-44, 38, 20000)).astype(np.float32)
    x = np.concatenate([x[np.isfinite(x)], np.array([0.0, -0.0, 0.6, 1e-45, 3.4028235e38], np.float32)])
    out = plain(x)
    assert out == [float(str(v)) for v in x]  # numpy's shortest round-trip form of each float32
    assert np.array_equal(np.asarray(out, dtype=np.float32), x)
    assert plain(np.array([np.inf, -np.inf, 1.0], np.float32)) == ["inf", "-inf", 1.0]


def test_code_survives_awkward_names():
    A = bl.neurons.LIF(3, name="A")
    net = bl.Network()
    net.add("lambda", A)  # a keyword: not usable as a keyword argument
    net.add("bl", bl.neurons.LIF(2))  # would shadow the module
    sub = bl.Network()
    sub.add("net", bl.neurons.LIF(2, name="x"))  # would shadow the result variable
    net.add("sub", sub)
    net.add("P", bl.Projection(A, sub.net, bl.conn.AllToAll(), bl.synapses.Expon(), bl.outputs.CUBA(), weight=1.0))
    code = network_code(net)
    assert "net = bl.Network(**{'lambda': lambda_, 'bl': bl_, 'sub': sub, 'P': P})" in code
    ns: dict = {}
    exec(code, ns)
    assert ns["net"].to_dict() == net.to_dict() == bl.Network.from_dict(net.to_dict()).to_dict()
