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


SVG = "{http://www.w3.org/2000/svg}"


def _groups(root, cls: str) -> dict[str, ET.Element]:
    return {g.get("data-id"): g for g in root.iter(f"{SVG}g") if g.get("class") == cls}


def _rect_centre(group) -> tuple[float, float]:
    r = group.find(f"{SVG}rect")
    return float(r.get("x")) + float(r.get("width")) / 2, float(r.get("y")) + float(r.get("height")) / 2


def test_svg_fallback_draws_every_population_and_projection_with_escaped_text():
    net = bl.networks.coba(50, seed=3)
    svg = network_bundle(net)["image/svg+xml"]
    root = ET.fromstring(svg)  # well-formed XML
    nodes, edges = _groups(root, "bl-node"), _groups(root, "bl-edge")
    assert list(nodes) == list(net.populations()) and list(edges) == list(net.projections())
    for path, pop in net.populations().items():
        texts = [t.text for t in nodes[path].iter(f"{SVG}text")]
        assert texts == [path, "LIF", f"n={pop.num}"]
    heads = {k: g.find(f"{SVG}path").get("marker-end") for k, g in edges.items()}
    assert heads == {"EE": "url(#bl-excitatory)", "EI": "url(#bl-excitatory)", "IE": "url(#bl-inhibitory)",
                     "II": "url(#bl-inhibitory)"}
    # the inhibitory head is a tee (a bar), the excitatory one an arrowhead
    markers = {m.get("id"): m for m in root.iter(f"{SVG}marker")}
    assert markers["bl-inhibitory"].find(f"{SVG}rect") is not None
    assert markers["bl-excitatory"].find(f"{SVG}path") is not None
    # labels: rule with its numbers, weight with its unit; hover: synapse, output, synapse count
    label = "".join(edges["EE"].find(f"{SVG}text").itertext())
    assert "FixedProb p=1" in label and "w=0.6 nS" in label and "seed" not in label
    title = edges["IE"].find(f"{SVG}title").text
    assert "Expon(tau=10 ms)" in title and "COBA(E=-80 mV)" in title and f"{net.IE.nnz} synapses" in title
    # recurrent projections are loops: they start and end on the top side of their node
    x, y = _rect_centre(nodes["E"])
    d = edges["EE"].find(f"{SVG}path").get("d").split()
    assert d[0] == "M" and float(d[2]) < y and float(d[-1]) < y and d[3] == "C"


def test_svg_fallback_layout_is_deterministic_with_inputs_on_the_left():
    E = bl.neurons.LIF(10, name="E")
    I = bl.neurons.LIF(5, name="I")  # noqa: E741
    src = bl.inputs.PoissonSpikes(8, rate_hz=20.0, seed=1)
    net = bl.Network(E=E, I=I, src=src,
                     drive=bl.inputs.PoissonInput(I, n_inputs=10, rate_hz=5.0, weight=0.2, seed=2),
                     SE=bl.Projection(src, E, bl.conn.FixedProb(0.5, seed=3), bl.synapses.Expon(),
                                      bl.outputs.COBA(E=0.0), weight=0.5, delay=1.0, stp=bl.synapses.STD()),
                     EI=bl.Projection(E, I, bl.conn.FixedPostNum(2, seed=4),
                                      bl.synapses.Expon(), bl.outputs.CUBA(), weight=1.0),
                     IE=bl.Projection(I, E, bl.conn.AllToAll(), bl.synapses.Expon(), bl.outputs.CUBA(), weight=-2.0))
    svg = network_bundle(net)["image/svg+xml"]
    assert svg == network_bundle(net)["image/svg+xml"]  # same drawing every time
    root = ET.fromstring(svg)
    nodes, edges = _groups(root, "bl-node"), _groups(root, "bl-edge")
    assert set(nodes) == {"E", "I", "src", "drive"} and set(edges) == {"SE", "EI", "IE", "drive"}
    xs = {k: _rect_centre(g)[0] for k, g in nodes.items()}
    assert xs["src"] == xs["drive"] < xs["E"] < xs["I"]  # inputs, then E (fed by src only), then I
    se = "".join(edges["SE"].find(f"{SVG}text").itertext())
    assert "d=1 ms" in se and "STD" in se
    ie = "".join(edges["IE"].find(f"{SVG}text").itertext())
    assert "AllToAll" in ie and "w=-2" in ie and edges["IE"].get("data-sign") == "inhibitory"
    assert edges["drive"].get("data-pre") == "drive" and edges["drive"].get("data-post") == "I"


def test_svg_fallback_keeps_markup_as_text():
    from brainlab._mime import _svg_fallback

    evil = "<img src=x onerror=alert(1)>"
    doc = {"version": 1, "nodes": [{"id": evil, "name": evil, "model": evil, "size": 3}],
           "edges": [{"name": evil, "pre": evil, "post": evil, "sign": "mixed"}]}
    svg = _svg_fallback(doc)
    assert "<img" not in svg
    root = ET.fromstring(svg)
    assert evil in [t.text for t in root.iter(f"{SVG}text")]
    # a real network's document with a hostile population name and model: shown as text, attributes escaped
    doc = network_document(bl.networks.cuba(20, seed=0))
    for n in doc["nodes"]:
        if n["id"] == "E":
            n["name"] = n["model"] = evil
    for e in doc["edges"]:
        e["name"] = evil + e["name"]
    svg = _svg_fallback(doc)
    assert "<img" not in svg
    root = ET.fromstring(svg)
    assert not any(el.tag.endswith("img") or "onerror" in el.attrib for el in root.iter())
    assert evil in [t.text for t in root.iter(f"{SVG}text")]
    assert all(t.text.startswith(evil) for t in root.iter(f"{SVG}title") if "\u2192" in t.text)


def test_network_displays_through_ipython_formatters():
    from IPython.core.formatters import DisplayFormatter

    net = bl.networks.coba(50, seed=1)
    data, _metadata = DisplayFormatter().format(net)
    assert {NETWORK_MIME, "image/svg+xml", "text/plain"} <= set(data)
    NETWORK_SCHEMA.validate(data[NETWORK_MIME])
    ET.fromstring(data["image/svg+xml"])
    assert "E: LIF n=40" in data["text/plain"]
    assert set(net._repr_mimebundle_()) == {NETWORK_MIME, "image/svg+xml", "text/plain"}


def test_empty_network_draws():
    bundle = network_bundle(bl.Network())
    root = ET.fromstring(bundle["image/svg+xml"])
    assert not _groups(root, "bl-node") and "empty network" in "".join(root.itertext())
    assert bundle[NETWORK_MIME]["nodes"] == [] and bundle[NETWORK_MIME]["edges"] == []
