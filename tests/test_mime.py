"""brainlab._mime: the network and code MIME documents agree with the objects they describe and with their JSON
schemas (jupyter_extension/schema/*.v1.schema.json), and are strict JSON."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import numpy as np
import pytest

import brainlab as bl
from brainlab._mime import CODE_MIME, NETWORK_MIME, code_bundle, network_bundle, network_document

SCHEMAS = Path(__file__).resolve().parents[1] / "jupyter_extension" / "schema"


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


NETWORK_SCHEMA = _validator("network.v1.schema.json")
CODE_SCHEMA = _validator("code.v1.schema.json")


def _doc(net) -> dict:
    doc = network_bundle(net)[NETWORK_MIME]
    NETWORK_SCHEMA.validate(doc)
    json.dumps(doc, allow_nan=False)  # strict JSON: no NaN or Infinity
    return doc


def _by_id(items: list[dict]) -> dict[str, dict]:
    return {item["id"]: item for item in items}


def test_coba_network_nodes_edges_and_numbers_match_the_network():
    net = bl.networks.coba(100, seed=1)
    doc = _doc(net)
    pops, projs = net.populations(), net.projections()
    assert [n["id"] for n in doc["nodes"]] == list(pops)
    for node in doc["nodes"]:
        pop = pops[node["id"]]
        assert (node["kind"], node["model"], node["module"]) == ("population", "LIF", "brainlab.neurons")
        assert node["size"] == pop.num and node["shape"] == list(pop.size)
        params = {p["name"]: p for p in node["params"]}
        assert set(params) == {p.name for p in type(pop).PARAMETERS}
        assert params["tau"]["value"] == pytest.approx(float(pop.tau.value)) and params["tau"]["unit"] == "ms"
        assert params["tau"]["uniform"] is True
    edges = _by_id(doc["edges"])
    assert list(edges) == list(projs)
    for path, proj in projs.items():
        edge = edges[path]
        assert (edge["pre"], edge["post"]) == (net.path_of(proj.pre), net.path_of(proj.post))
        assert edge["rule"]["synapses"] == proj.nnz
        assert edge["rule"]["density"] == pytest.approx(proj.nnz / (proj.pre.num * proj.post.num))
        assert edge["rule"]["text"].startswith("FixedProb(prob=0.8")
        w = np.asarray(proj.weight.value, dtype=float)
        assert edge["weight"]["min"] == pytest.approx(w.min()) and edge["weight"]["max"] == pytest.approx(w.max())
        assert edge["weight"]["unit"] == "nS"  # conductance output
        assert edge["synapse"]["model"] == "Expon" and edge["output"]["model"] == "COBA"
        tau = {p["name"]: p["value"] for p in edge["synapse"]["params"]}["tau"]
        assert tau == pytest.approx(float(proj.syn.tau.value))
        E = {p["name"]: p["value"] for p in edge["output"]["params"]}["E"]
        # reversal 0 mV is above LIF's resting potential: excitatory; -80 mV is below it: inhibitory
        assert edge["sign"] == ("excitatory" if E > float(proj.post.V_rest.value) else "inhibitory")
    assert [edges[k]["sign"] for k in ("EE", "EI", "IE", "II")] == ["excitatory", "excitatory", "inhibitory",
                                                                     "inhibitory"]


def test_current_based_signs_follow_the_weights():
    doc = _doc(bl.networks.cuba(100, seed=2))
    signs = {e["id"]: (e["sign"], e["weight"]["value"], e["weight"]["unit"]) for e in doc["edges"]}
    assert signs["EE"][0] == "excitatory" and signs["EE"][1] > 0 and signs["EE"][2] == ""
    assert signs["IE"][0] == "inhibitory" and signs["IE"][1] < 0


def test_heterogeneous_weights_delay_stp_and_mixed_signs():
    pre, post = bl.neurons.LIF(20), bl.neurons.LIF(15)
    rng = np.random.default_rng(0)
    dense = rng.normal(0.0, 1.0, size=(20, 15))
    mixed = bl.Projection(pre, post, bl.conn.FromDense(dense != 0), bl.synapses.Expon(), bl.outputs.CUBA(),
                          weight=dense)
    delayed = bl.Projection(pre, post, bl.conn.FixedProb(0.3, seed=1), bl.synapses.Expon(), bl.outputs.COBA(E=0.0),
                            weight=0.5, delay=1.0, stp=bl.synapses.STD())
    doc = _doc(bl.Network(pre=pre, post=post, mixed=mixed, delayed=delayed))
    edges = _by_id(doc["edges"])
    w = edges["mixed"]["weight"]
    assert w["uniform"] is False and w["value"] is None
    assert (w["min"], w["max"]) == (pytest.approx(dense.min()), pytest.approx(dense.max()))
    assert edges["mixed"]["sign"] == "mixed"
    assert edges["mixed"]["delay"] is None and edges["mixed"]["stp"] is None
    d = edges["delayed"]
    assert d["delay"] == {"value": 1.0, "min": 1.0, "max": 1.0, "uniform": True, "unit": "ms"}
    assert d["stp"]["model"] == "STD" and {p["name"] for p in d["stp"]["params"]} == {"U", "tau_d"}
    assert d["sign"] == "excitatory"


def test_heterogeneous_parameter_is_a_range():
    pop = bl.neurons.LIF(4)
    pop.V_th = np.array([-50.0, -52.0, -54.0, -56.0])
    doc = _doc(bl.Network(pop=pop))
    v_th = {p["name"]: p for p in doc["nodes"][0]["params"]}["V_th"]
    assert (v_th["uniform"], v_th["value"], v_th["min"], v_th["max"]) == (False, None, -56.0, -50.0)


def test_inputs_are_nodes_and_nested_networks_use_paths():
    E = bl.neurons.LIF(10)
    drive = bl.inputs.PoissonInput(E, n_inputs=100, rate_hz=5.0, weight=0.5)
    src = bl.inputs.PoissonSpikes(30, 10.0, seed=0)
    proj = bl.Projection(src, E, bl.conn.FixedProb(0.2, seed=3), bl.synapses.Expon(), bl.outputs.CUBA(), weight=1.0)
    net = bl.Network(sub=bl.Network(E=E, drive=drive), src=src, proj=proj)
    doc = _doc(net)
    nodes = _by_id(doc["nodes"])
    assert set(nodes) == {"sub.E", "src", "sub.drive"}
    assert nodes["src"]["kind"] == "input" and nodes["src"]["size"] == 30
    assert nodes["sub.drive"]["kind"] == "input" and nodes["sub.drive"]["n_inputs"] == 100
    assert {p["name"] for p in nodes["sub.drive"]["params"]} == {"rate_hz", "weight"}
    edges = _by_id(doc["edges"])
    assert (edges["sub.drive"]["pre"], edges["sub.drive"]["post"], edges["sub.drive"]["kind"]) == (
        "sub.drive", "sub.E", "input")
    assert edges["sub.drive"]["rule"] is None
    assert (edges["proj"]["pre"], edges["proj"]["post"]) == ("src", "sub.E")


def test_text_fallback_lists_every_population_and_projection():
    net = bl.networks.coba(50, seed=3)
    text = network_bundle(net)["text/plain"]
    for path in [*net.populations(), *net.projections()]:
        assert f"  {path}:" in text


def test_network_errors_name_the_argument():
    with pytest.raises(TypeError, match=r"network_bundle: net must be a bl.Network.*got LIF"):
        network_document(bl.neurons.LIF(3))
    E, outside = bl.neurons.LIF(3), bl.neurons.LIF(3)
    proj = bl.Projection(outside, E, bl.conn.FixedProb(0.5, seed=0), bl.synapses.Expon(), bl.outputs.CUBA(),
                         weight=1.0)
    with pytest.raises(ValueError, match=r"projection 'proj' comes from a LIF that is not part of this network"):
        network_document(bl.Network(E=E, proj=proj))


def test_code_bundle_document_and_escaped_fallbacks():
    code = "x = '<img src=x onerror=alert(1)>'\nprint(x)"
    bundle = code_bundle(code, "export <b>")
    doc = bundle[CODE_MIME]
    CODE_SCHEMA.validate(doc)
    assert doc == {"version": 1, "code": code, "title": "export <b>", "language": "python"}
    assert bundle["text/plain"] == code
    assert "<img" not in bundle["text/html"] and "&lt;img src=x onerror=alert(1)&gt;" in bundle["text/html"]
    with pytest.raises(TypeError, match=r"code_bundle: code must be a str, got int"):
        code_bundle(3)
    with pytest.raises(ValueError, match=r"code_bundle: language must be a language name"):
        code_bundle("x", language="py thon")


def test_svg_fallback_draws_every_population_and_projection_with_escaped_text():
    net = bl.networks.coba(50, seed=3)
    svg = network_bundle(net)["image/svg+xml"]
    root = ET.fromstring(svg)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in root.iter(f"{ns}text")]
    for path, pop in net.populations().items():
        assert path in texts and f"LIF n={pop.num}" in texts
    paths = [p for p in root.iter(f"{ns}path") if p.find(f"{ns}title") is not None]
    assert len(paths) == len(net.projections())
    heads = {p.find(f"{ns}title").text.split(":")[0]: p.get("marker-end") for p in paths}
    assert heads["EE"] == "url(#bl-excitatory)" and heads["IE"] == "url(#bl-inhibitory)"


def test_svg_fallback_keeps_markup_as_text():
    from brainlab._mime import _svg_fallback

    evil = "<img src=x onerror=alert(1)>"
    doc = {"version": 1, "nodes": [{"id": evil, "name": evil, "model": evil, "size": 3}],
           "edges": [{"name": evil, "pre": evil, "post": evil, "sign": "mixed"}]}
    svg = _svg_fallback(doc)
    assert "<img" not in svg
    root = ET.fromstring(svg)
    assert evil in [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
