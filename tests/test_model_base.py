"""The model declaration base: Parameter/Variable, construction checks, parameter States, catalog, surrogates."""

import json
import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import expit

import brainlab.engine as be
from brainlab import _model
from brainlab._model import Parameter, Variable, catalog, registered_models
from brainlab.neurons import (
    HH,
    LIF,
    AbstractNeuron,
    FastSigmoid,
    Izhikevich,
    MorrisLecar,
    Sigmoid,
    ThresholdLinear,
    Triangle,
    WilsonCowan,
    spike_fn,
)

LIBRARY = {
    "LIF", "ExpIF", "AdEx", "QIF", "Izhikevich", "HH", "WangBuzsaki", "MorrisLecar", "FHN", "HindmarshRose",
    "WilsonCowan", "ThresholdLinear",
}


# ---------------------------------------------------------------------------------------------------------------
# Declarations
# ---------------------------------------------------------------------------------------------------------------


def test_parameter_and_variable_declarations_are_checked():
    p = Parameter("tau", 10, "ms", (0.1, 100), "membrane time constant")
    assert p.default == 10.0 and isinstance(p.default, float) and p.range == (0.1, 100.0)
    assert p.to_json() == {"name": "tau", "default": 10.0, "unit": "ms", "range": [0.1, 100.0],
                           "doc": "membrane time constant"}
    assert Parameter("I_ext", 0.0, "pA").to_json()["range"] == [None, None]
    with pytest.raises(ValueError, match=r"Parameter 'tau': default 1000.0 lies outside its range \[0.1, 100.0\] ms"):
        Parameter("tau", 1000.0, "ms", (0.1, 100.0))
    with pytest.raises(ValueError, match=r"range \(5.0, 1.0\) is empty"):
        Parameter("x", 2.0, "", (5.0, 1.0))
    with pytest.raises(ValueError, match="public Python identifier"):
        Parameter("1tau", 1.0, "ms")
    with pytest.raises(TypeError, match="default must be a number"):
        Parameter("tau", "ten", "ms")
    with pytest.raises(TypeError, match="Variable 'V': init must be a number"):
        Variable("V", None, "mV")


def _toy_attrs(**over):
    attrs = dict(
        PARAMETERS=(Parameter("tau", 5.0, "ms", (0.1, 100.0), "decay"), Parameter("I_ext", 0.0, "pA")),
        VARIABLES=(Variable("x", 1.0, "", "activity"),),
        EQUATIONS=r"\tau \dot x = -x + I",
        REFERENCE="a test (2024)",
        SPIKING=False,
        METHOD="exp_euler",
        vector_field=lambda self, s, p, I=0.0: {"x": (-s["x"] + p["I_ext"] + I) / p["tau"]},
    )
    attrs.update(over)
    return attrs


def _toy_class(name="Toy", register=False, **over):
    return type(name, (AbstractNeuron,), _toy_attrs(**over), register=register)


def test_a_toy_model_built_from_declarations_integrates_exactly():
    Toy = _toy_class()
    toy = Toy(3, I_ext=np.array([0.0, 1.0, 2.0]))
    assert isinstance(toy.tau, be.ParamState) and isinstance(toy.x, be.HiddenState)
    assert toy.x.shape == (3,) and toy.update(0.0, 0.1) is None
    # exp_euler is exact for x' = (-x + I)/tau: x(t) = I + (x0 - I) exp(-t/tau)
    for i in range(1, 20):
        toy.update(i * 0.1, 0.1)
    expected = np.array([0.0, 1.0, 2.0]) + (1.0 - np.array([0.0, 1.0, 2.0])) * math.exp(-2.0 / 5.0)
    np.testing.assert_allclose(np.asarray(toy.x.value), expected, rtol=1e-5)
    assert Toy not in registered_models().values()


@pytest.mark.parametrize(
    "over, exc, match",
    [
        ({"PARAMETERS": (Parameter("tau", 5.0, "ms"),)}, TypeError, "must declare the parameter 'I_ext'"),
        ({"VARIABLES": ()}, TypeError, "VARIABLES must be a non-empty tuple"),
        ({"VARIABLES": (Variable("tau", 0.0, "ms"),)}, ValueError, r"the names \['tau'\] are declared twice"),
        ({"VARIABLES": (Variable("spike", 0.0, ""),)}, ValueError, r"\['spike'\] are reserved"),
        ({"EQUATIONS": ""}, TypeError, "EQUATIONS must be a non-empty LaTeX string"),
        ({"REFERENCE": None}, TypeError, "REFERENCE must be a non-empty citation"),
        ({"DEFAULT_DT": 0.0}, ValueError, "DEFAULT_DT must be a positive number of ms"),
        ({"SPIKING": True}, TypeError, "a concrete neuron must define _fire"),
        ({"PRESETS": {"fast": {"tau": 500.0}}}, ValueError, r"PRESETS\['fast'\]: tau=500.0 lies outside"),
        ({"PRESETS": {"fast": {"taux": 1.0}}}, ValueError, r"PRESETS\['fast'\] sets unknown parameter 'taux'"),
    ],
)
def test_bad_declarations_fail_at_class_creation(over, exc, match):
    with pytest.raises(exc, match=match):
        _toy_class(**over)


def test_concrete_models_are_final_and_abstract_ones_not_instantiable():
    with pytest.raises(TypeError, match="LIF is a concrete model and is final.*subclass the abstract base "
                                        r"\(AbstractNeuron\)"):
        type("MyLIF", (LIF,), {})
    with pytest.raises(TypeError, match="AbstractNeuron is abstract and cannot be instantiated"):
        AbstractNeuron(3)


# ---------------------------------------------------------------------------------------------------------------
# Construction errors
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda: HH(3, gna=100.0), TypeError,
         r"HH: unknown parameter 'gna' \(did you mean 'gNa' for 'gna'\?\)\. Valid parameters: gNa \[mS/cm²\], "),
        (lambda: LIF(3, taum=3.0, Vth=1.0), TypeError, r"unknown parameters 'taum', 'Vth'.*Valid parameters: V_rest"),
        (lambda: LIF(3, tau=-3.0), ValueError,
         r"LIF: parameter 'tau' = -3 ms is outside its admissible range \[0.01, 10000\] ms \(membrane time "
         r"constant\)"),
        (lambda: HH(2, gK=np.array([36.0, -1.0])), ValueError, r"'gK' = -1 mS/cm² is outside its admissible range"),
        (lambda: LIF(3, tau=np.ones(4)), ValueError,
         r"'tau' has shape \(4,\), which does not broadcast to the population size \(3,\)"),
        (lambda: LIF((2, 3), V_th=np.ones((3, 2))), ValueError, r"shape \(3, 2\).*size \(2, 3\)"),
        (lambda: LIF(3, tau=True), TypeError, "must be a number"),
        (lambda: LIF(3, tau=float("nan")), ValueError, "'tau' = nan ms is outside"),
        (lambda: LIF(0), ValueError, "size must be positive, got 0"),
        (lambda: LIF(-3), ValueError, "size must be positive, got -3"),
        (lambda: LIF((2, 0)), ValueError, r"size must be positive, got \(2, 0\)"),
        (lambda: LIF(2.5), TypeError, "size must be a positive int or a tuple of positive ints"),
        (lambda: LIF(3, method="rk7"), ValueError, "unknown method 'rk7'"),
        (lambda: LIF(3, surrogate="step"), ValueError, r"unknown surrogate 'step'. Use one of \['fast_sigmoid'"),
        (lambda: ThresholdLinear(3, surrogate="sigmoid"), TypeError, "rate model and emits no spikes"),
        (lambda: LIF(3, spike_dtype=int), TypeError, "spike_dtype must be bool or float"),
        (lambda: Izhikevich.from_preset("XX", 3), ValueError, r"unknown preset 'XX'. Valid presets: 'RS', 'IB'"),
    ],
)
def test_construction_errors_name_the_argument_and_the_fix(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_per_neuron_parameters_and_population_shapes():
    lif = LIF((2, 3), tau=np.arange(1.0, 7.0).reshape(2, 3), V_th=np.array([-50.0, -52.0, -54.0]))
    assert lif.size == (2, 3) and lif.num == 6 and lif.V.shape == (2, 3) and lif.spike.shape == (2, 3)
    assert lif.tau.shape == (2, 3) and lif.V_th.shape == (3,) and lif.R.shape == ()
    assert lif.update(0.0, 0.1).dtype == jnp.bool_
    assert lif.update(0.1, 0.1, np.ones(3)).shape == (2, 3)  # an input broadcast along the last axis
    with pytest.raises(ValueError, match=r"LIF.update: the input current I has shape \(4,\), which does not "
                                         r"broadcast to the population shape \(2, 3\)"):
        lif.update(0.2, 0.1, np.ones(4))


# ---------------------------------------------------------------------------------------------------------------
# Parameters are States: assignment, no recompilation, never stale
# ---------------------------------------------------------------------------------------------------------------


def test_parameter_assignment_changes_compiled_runs_without_retracing():
    hh = HH(1, I_ext=10.0, method="euler")  # euler: the cheapest graph to compile; dt = 0.01 ms is stable
    state = hh.gNa
    run = be.jit(lambda ts: be.for_loop(lambda t: hh.update(t, 0.01), ts))
    ts = be.arange(0.0, 30.0, 0.01)
    v1 = np.asarray(be.for_loop(lambda t: (hh.update(t, 0.01), hh.V.value)[1], ts))  # warm a second function
    hh.reset()
    a = np.asarray(run(ts))
    hh.reset()
    hh.gNa = 60.0  # plain assignment writes into the very same ParamState
    assert hh.gNa is state and float(hh.gNa.value) == 60.0
    b = np.asarray(run(ts))
    assert run.trace_count == 1
    assert a.sum() >= 2 and b.sum() != a.sum()  # the new value is used, not a stale constant
    hh.reset()
    hh.gNa = 120.0
    np.testing.assert_array_equal(np.asarray(run(ts)), a)
    assert run.trace_count == 1
    # the top-level be.for_loop cache is not stale either
    hh.reset()
    hh.gNa = 60.0
    v2 = np.asarray(be.for_loop(lambda t: (hh.update(t, 0.01), hh.V.value)[1], ts))
    assert not np.allclose(v1, v2)


def test_assignment_is_checked_and_shape_changes_recompile_correctly():
    lif = LIF(3, I_ext=300.0)
    with pytest.raises(ValueError, match=r"LIF: parameter 't_ref' = -1 ms is outside its admissible range"):
        lif.t_ref = -1.0
    with pytest.raises(ValueError, match=r"'tau' has shape \(2,\), which does not broadcast"):
        lif.tau = np.ones(2)
    with pytest.raises(TypeError, match=r"LIF.tau: cannot replace the State object.*Assign a value instead"):
        lif.tau = be.ParamState(3.0)
    run = be.jit(lambda: be.for_loop(lambda t: lif.update(t, 0.1), be.arange(0.0, 50.0, 0.1)))
    base = np.asarray(run()).sum(0)
    lif.reset()
    lif.I_ext = np.array([0.0, 300.0, 600.0])  # scalar -> per-neuron: the State is reshaped, run retraces
    per = np.asarray(run()).sum(0)
    assert per[0] == 0 and per[1] == base[1] and per[2] > base[2]
    assert run.trace_count == 2
    # variables: assignment broadcasts into the HiddenState
    lif.V = -70.0
    np.testing.assert_array_equal(np.asarray(lif.V.value), [-70.0] * 3)
    with pytest.raises(ValueError, match=r"LIF.V: a value of shape \(2,\) does not broadcast"):
        lif.V = np.zeros(2)


def test_assignment_inside_a_transform_and_gradient_through_parameters():
    lif = LIF(1, spike_dtype=float)

    def loss(current):
        lif.reset()
        lif.I_ext = current  # a tracer: written into the ParamState inside the trace
        return be.for_loop(lambda t: lif.update(t, 0.1), be.arange(0.0, 100.0, 0.1)).sum()

    count, g = be.value_and_grad(loss)(jnp.float32(300.0))
    # first spike after 10 ln 2 = 6.93 ms (70 steps), then every 2 + 6.93 -> 9.0 ms: 11 spikes in 100 ms
    assert float(count) == 11.0
    assert np.isfinite(float(g)) and float(g) > 0.0  # more current, more (surrogate) spikes


def test_analysis_protocol_and_reset():
    hh = HH(4)
    assert hh.variable_names == ("V", "m", "h", "n")
    pv = hh.param_values()
    assert pv["EL"] == -54.387 and pv["gNa"] == 120.0 and all(type(v) is float for v in pv.values())
    init = hh.initial_state()
    assert init["V"] == -65.0 and set(init) == {"V", "m", "h", "n"}
    dx = hh.vector_field(init, pv)
    assert set(dx) == {"V", "m", "h", "n"} and abs(float(dx["V"])) < 0.01  # -65 mV is (nearly) the rest state
    with pytest.raises(KeyError, match=r"HH.vector_field: params is missing \['C'\]"):
        hh.vector_field(init, {k: v for k, v in pv.items() if k != "C"})
    lif = LIF(2, tau=np.array([10.0, 20.0]))
    with pytest.raises(ValueError, match="parameter 'tau' differs between neurons.*Use param_arrays"):
        lif.param_values()
    np.testing.assert_allclose(np.asarray(lif.param_arrays()["tau"]), [10.0, 20.0])
    # reset() restores variables from the *current* parameters (u = b V for Izhikevich)
    izh = Izhikevich(2, I_ext=10.0)
    for i in range(100):
        izh.update(i * 0.1, 0.1)
    izh.b = 0.25
    izh.reset()
    np.testing.assert_allclose(np.asarray(izh.u.value), [-16.25, -16.25])
    assert not np.asarray(izh.spike.value).any() and float(izh.b.value) == 0.25


def test_repr_shows_size_name_and_changed_parameters():
    assert repr(HH(10)) == "HH(size=10)"
    lif = LIF(5, tau=20.0, V_th=np.linspace(-55, -45, 5), name="exc", method="rk4")
    assert repr(lif) == "LIF(size=5, name='exc', method='rk4', V_th=<5 values in [-55, -45]>, tau=20)"
    assert repr(MorrisLecar.from_preset("type_I", (2, 2))) == (
        "MorrisLecar(size=(2, 2), g_Ca=4, V3=12, V4=17.4, phi=0.0666667)"
    )


# ---------------------------------------------------------------------------------------------------------------
# catalog()
# ---------------------------------------------------------------------------------------------------------------


def test_catalog_is_strict_json_and_complete():
    entries = catalog()
    text = json.dumps(entries, allow_nan=False)  # strict JSON: no NaN/Infinity
    assert json.loads(text) == entries
    by_name = {e["name"]: e for e in entries if e["module"] == "brainlab.neurons"}
    assert LIBRARY <= set(by_name)
    import brainlab.neurons as neurons

    for name in LIBRARY:
        e, cls = by_name[name], getattr(neurons, name)
        assert e["kind"] == "neuron" and e["summary"] and e["default_dt"] > 0
        assert e["spiking"] is cls.SPIKING and e["method"] == cls.METHOD
        assert [p["name"] for p in e["parameters"]] == [p.name for p in cls.PARAMETERS]
        assert "I_ext" in {p["name"] for p in e["parameters"]}
        for p in e["parameters"]:
            assert set(p) == {"name", "default", "unit", "range", "doc"} and p["doc"]
            lo, hi = p["range"]
            assert (lo is None or lo <= p["default"]) and (hi is None or p["default"] <= hi)
        assert [v["name"] for v in e["variables"]] == list(cls(1).variable_names)
        assert "\\" in e["equations"] and re.search(r"\(\d{4}\)|\d{4}\)", e["reference"])
    assert set(by_name["Izhikevich"]["presets"]) == {"RS", "IB", "CH", "FS", "LTS", "RZ", "TC"}
    assert {"type_I", "type_II"} <= set(by_name["MorrisLecar"]["presets"])
    assert catalog("synapse") == [] or all(e["kind"] == "synapse" for e in catalog("synapse"))
    assert {e["name"] for e in catalog("neuron")} >= LIBRARY
    outputs = {e["name"]: e for e in catalog("output")}
    assert set(outputs) == {"CUBA", "COBA", "MgBlock"}
    assert [p["name"] for p in outputs["COBA"]["parameters"]] == ["E"] and "E - V" in outputs["COBA"]["equations"]
    assert {p["name"] for p in outputs["MgBlock"]["parameters"]} == {"E", "cc_Mg", "alpha", "beta"}


def test_user_models_are_registered_unless_opted_out():
    Mine = _toy_class("MyTestNeuron", register=True)
    try:
        entry = next(e for e in catalog() if e["name"] == "MyTestNeuron")
        assert entry["module"] == Mine.__module__ and entry["parameters"][0]["name"] == "tau"
    finally:
        _model._REGISTRY.pop((Mine.__module__, Mine.__qualname__))
    assert "MyTestNeuron" not in {e["name"] for e in catalog()}


# ---------------------------------------------------------------------------------------------------------------
# Surrogate gradients
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sur, deriv",
    [
        (Sigmoid(alpha=2.0), lambda x: 2.0 * expit(2 * x) * (1 - expit(2 * x))),
        (FastSigmoid(alpha=1.0), lambda x: 0.5 / (1 + np.abs(x)) ** 2),
        (Triangle(alpha=0.5), lambda x: 0.5 * np.maximum(0.0, 1 - 0.5 * np.abs(x))),
    ],
)
def test_spike_fn_is_heaviside_forward_and_surrogate_backward(sur, deriv):
    x = jnp.linspace(-3.0, 3.0, 13)
    np.testing.assert_array_equal(np.asarray(spike_fn(x, sur)), (np.asarray(x) >= 0).astype(np.float32))
    g = jax.vmap(jax.grad(lambda v: spike_fn(v, sur)))(x)
    np.testing.assert_allclose(np.asarray(g), deriv(np.asarray(x, dtype=np.float64)), rtol=1e-5, atol=1e-7)
    assert np.all(np.isfinite(np.asarray(g))) and float(jax.grad(lambda v: spike_fn(v, sur))(0.1)) > 0.0
    # unit area, like the Dirac delta it replaces (trapezoid on a wide fine grid; the fast sigmoid's tails are slow)
    grid = np.linspace(-2000.0, 2000.0, 400001)
    area = np.trapezoid(deriv(grid), grid)
    assert area == pytest.approx(1.0, abs=2e-3)


def test_surrogate_gradient_through_a_neuron_step_is_finite_and_nonzero_near_threshold():
    lif = LIF(1, surrogate="sigmoid", spike_dtype=float)

    def spikes_after_one_step(v0):
        lif.V = v0
        return lif.update(10.0, 0.1).sum()

    near = be.grad(spikes_after_one_step)(jnp.float32(-50.05))  # just below V_th = -50 mV
    far = be.grad(spikes_after_one_step)(jnp.float32(-64.0))
    assert np.isfinite(float(near)) and float(near) > 0.1
    assert 0.0 <= float(far) < 1e-3 * float(near)
    assert bool(jnp.asarray(spike_fn(jnp.float32(0.0))) == 1.0)
