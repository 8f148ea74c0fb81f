"""NetworkBuilder: forms driven like a learner (values typed, buttons clicked) add, edit and delete parts, undo and
redo; wrong values show the model's own message beside the field and build nothing; the exported code rebuilds
the same network (same to_dict) and, run in a fresh namespace, gives the same spikes as the builder's network,
live slider moves included."""

import json

import nbformat
import numpy as np
import pytest

import brainlab as bl
from brainlab._mime import CODE_MIME
from brainlab.widgets import NetworkBuilder
from brainlab.widgets._builder_export import TEMPLATES


def _spikes(res):
    return res.spikes.times, res.spikes.indices


def _same_spikes(a, b):
    (ta, ia), (tb, ib) = _spikes(a), _spikes(b)
    return np.array_equal(ta, tb) and np.array_equal(ia, ib)


def _add_population_by_form(b, name, size, **params):
    c = b.controls
    c["new"].click()
    c["pop.name"].value = name
    c["pop.model"].value = "LIF"
    c["pop.size"].value = size
    for k, v in params.items():
        c[f"pop.{k}"].value = v
    c["add_population"].click()


@pytest.fixture
def two_pops():
    b = NetworkBuilder()
    b.widget  # laid out, as in a notebook
    _add_population_by_form(b, "E", 80, V_rest=-49.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0)
    _add_population_by_form(b, "I", 20, V_rest=-49.0, V_th=-50.0, V_reset=-60.0, t_ref=5.0)
    yield b
    b.close()


def test_forms_add_populations_and_a_projection(two_pops):
    b, c = two_pops, two_pops.controls
    assert not b.errors, b.errors
    net = b.build()
    assert sorted(net.populations()) == ["E", "I"] and net.E.size == (80,) and net.I.size == (20,)
    assert float(net.E.V_rest.value) == -49.0 and float(net.E.t_ref.value) == 5.0
    assert float(net.E.tau.value) == bl.neurons.LIF._param_index["tau"].default  # untouched: the default
    c["new"].click()
    c["tabs"].selected_index = 2
    c["proj.pre"].value, c["proj.post"].value, c["proj.name"].value = "E", "I", "EI"
    c["proj.rule"].value = "FixedProb"
    c["proj.rule.prob"].value, c["proj.rule.seed"].value = 0.2, "3"
    c["proj.output"].value = "CUBA"
    c["proj.weight"].value = 1.6
    c["proj.delay"].value = "1.0"
    c["add_projection"].click()
    assert not b.errors, b.errors
    proj = b.build().EI
    direct = bl.Projection(bl.neurons.LIF(80), bl.neurons.LIF(20), bl.conn.FixedProb(0.2, seed=3),
                           bl.synapses.Expon(), bl.outputs.CUBA(), weight=1.6, delay=1.0)
    assert np.array_equal(proj.to_dense(), direct.to_dense()) and proj.delay == 1.0
    # the diagram, its static SVG and the parts list show them
    assert b.sources["diagram_nodes"].data["id"] == ["E", "I"] and b.sources["diagram_edges"].data["id"] == ["EI"]
    assert all(f'class="bl-node" data-id="{name}"' in b.svg() for name in ("E", "I"))
    assert 'data-id="EI" data-pre="E" data-post="I"' in b.svg()
    assert [v for _, v in c["select"].options] == ["", "E", "I", "EI"]


def test_forms_edit_delete_undo_redo(two_pops):
    b, c = two_pops, two_pops.controls
    c["select"].value = "E"  # opens its form, filled in
    assert c["tabs"].selected_index == 0 and c["pop.name"].value == "E" and c["pop.size"].value == 80
    assert c["pop.V_rest"].value == -49.0
    c["pop.size"].value = 60
    c["pop.tau"].value = 12.0
    c["update_population"].click()
    assert b.build().E.size == (60,) and float(b.build().E.tau.value) == 12.0
    c["pop.name"].value = "Exc"  # a rename
    c["update_population"].click()
    assert sorted(b.build().populations()) == ["Exc", "I"]
    c["select"].value = "I"
    c["delete"].click()
    assert sorted(b.build().populations()) == ["Exc"]
    c["undo"].click()
    assert sorted(b.build().populations()) == ["Exc", "I"]
    c["undo"].click()
    assert sorted(b.build().populations()) == ["E", "I"] and b.build().E.size == (60,)
    c["undo"].click()
    assert b.build().E.size == (80,) and float(b.build().E.tau.value) != 12.0
    c["redo"].click()
    c["redo"].click()
    assert sorted(b.build().populations()) == ["Exc", "I"]
    assert not b.errors, b.errors


def test_deleting_a_population_deletes_its_projections_and_inputs():
    b = NetworkBuilder(bl.networks.coba(100, seed=1))
    b.add_input("drive", "PoissonInput", "I", n_inputs=20, rate_hz=5.0, weight=0.5)
    b.delete("I")
    d = b.network_dict()
    assert [e["path"] for e in d["populations"]] == ["E"]
    assert [e["path"] for e in d["projections"]] == ["EE"] and d["inputs"] == []
    b.undo()
    assert sorted(b.build().projections()) == ["EE", "EI", "IE", "II", "drive"]
    b.close()


def test_invalid_values_are_shown_beside_the_field_and_build_nothing(two_pops):
    b, c = two_pops, two_pops.controls
    before = b.network_dict()
    c["new"].click()
    c["pop.name"].value = "X"
    c["pop.size"].value = -5
    error = b.forms["population"].head.fields["size"].error.value  # the HTML beside the field
    assert "LIF: size must be positive, got -5" in error
    c["add_population"].click()
    assert b.network_dict() == before and "size must be positive" in b.form_errors["population"].value
    c["pop.size"].value = 10
    assert b.forms["population"].head.fields["size"].message == ""
    c["pop.tau"].value = -1.0
    assert "'tau' = -1 ms is outside its admissible range" in b.forms["population"].params.fields["tau"].message
    c["add_population"].click()
    assert b.network_dict() == before
    # a probability above 1
    c["tabs"].selected_index = 2
    c["proj.pre"].value, c["proj.post"].value = "E", "I"
    c["proj.rule.prob"].value = 1.5
    rule_fields = b.forms["projection"].rule_fields.fields
    assert "FixedProb: prob must be a probability in [0, 1]; got 1.5" in rule_fields["prob"].message
    c["add_projection"].click()
    assert b.network_dict() == before
    # a delay off the time grid, then text that is no number
    c["proj.rule.prob"].value = 0.1
    c["proj.delay"].value = "0.15"
    assert "not a whole number of time steps" in b.forms["projection"].amounts.fields["delay"].message
    c["proj.delay"].value = "abc"
    assert "is not a number" in b.forms["projection"].amounts.fields["delay"].message
    c["add_projection"].click()
    assert b.network_dict() == before
    c["proj.delay"].value = ""
    c["add_projection"].click()
    assert "EI" in b.build().projections()
    # code-driven edits are refused the same way, with the model's message
    with pytest.raises(ValueError, match="size must be positive"):
        b.edit("E", size=-3)
    with pytest.raises(ValueError, match="prob must be a probability"):
        b.edit("EI", prob=2.0)
    assert b.build().E.size == (80,)


def test_input_forms_add_sources_poisson_input_and_noise(two_pops):
    b, c = two_pops, two_pops.controls
    c["new"].click()
    c["tabs"].selected_index = 1
    c["input.kind"].value = "PoissonSpikes"
    c["input.name"].value = "src"
    c["input.size"].value, c["input.rate_hz"].value, c["input.seed"].value = 50, 15.0, "4"
    c["add_input"].click()
    c["new"].click()
    c["input.kind"].value = "PoissonInput"
    c["input.name"].value = "drive"
    c["input.target"].value = "E"
    c["input.n_inputs"].value, c["input.rate_hz"].value, c["input.weight"].value = 40, 8.0, 0.7
    c["input.synapse"].value = "Expon"
    c["input.syn.tau"].value = 3.0
    c["add_input"].click()
    c["new"].click()
    c["input.kind"].value = "OUNoise"
    c["input.name"].value = "noise"
    c["input.target"].value = "I"
    c["input.sigma"].value = -1.0
    assert "sigma = -1 is outside its admissible range" in b.forms["input"].body.fields["sigma"].message
    c["input.sigma"].value = 2.0
    c["add_input"].click()
    assert not b.errors, b.errors
    net = b.build()
    assert net.src.size == (50,) and float(np.mean(net.src.rate_hz.value)) == 15.0
    assert net.drive.n_inputs == 40 and float(net.drive.syn.tau.value) == 3.0
    assert float(net.noise.sigma.value) == 2.0 and net.noise.post is net.I
    c["select"].value = "src"  # a spike source opens the input form
    assert c["tabs"].selected_index == 1 and c["input.kind"].value == "PoissonSpikes" and c["input.size"].value == 50


ROUND_TRIPS = {"COBA": 200, "CUBA": 200, "COBAHH": 60, "E/I with Poisson sources, delays, STP": 100}


@pytest.mark.parametrize("name", list(ROUND_TRIPS))
def test_exported_code_rebuilds_the_network_and_its_spikes(name):
    assert name in TEMPLATES
    b = NetworkBuilder()
    c = b.controls
    c["template"].value, c["template.n"].value, c["template.seed"].value = name, ROUND_TRIPS[name], 3
    c["load_template"].click()
    assert not b.errors, b.errors
    c["run.duration"].value = 30.0
    for edited in (False, True):
        if edited:  # the description's own code, initial values included (before: the template's one call)
            b.edit("EE", weight=float(b.network_dict()["projections"][0]["weight"]) * 1.1)
        code = b.code()
        assert ("bl.networks." in code) == (name in ("COBA", "CUBA", "COBAHH") and not edited)
        ns: dict = {}
        exec(code, ns)
        net = b.build()
        assert ns["net"].to_dict() == net.to_dict()
        res = bl.Runner(net, progress=False).run(30.0)
        assert len(res.spikes) > 0 and _same_spikes(ns["res"], res)
    b.close()


def test_round_trip_from_a_given_network_and_from_an_empty_one(two_pops):
    b = two_pops
    b.add_projection("EI", "E", "I", bl.conn.FixedProb(0.3, seed=2), "Expon", "CUBA", weight=2.0)
    b.add_projection("II", "I", "I", {"rule": "FixedPostNum", "num": 5, "seed": 4},
                     {"model": "Expon", "params": {"tau": 10.0}}, "CUBA", weight=-3.0, delay=0.5)
    b.controls["run.duration"].value = 40.0
    ns: dict = {}
    exec(b.code(), ns)
    assert ns["net"].to_dict() == b.build().to_dict()
    assert _same_spikes(ns["res"], bl.Runner(b.build(), progress=False).run(40.0))
    # starting from a network
    net = bl.networks.coba(150, seed=5)
    b2 = NetworkBuilder(net)
    assert b2.build().to_dict() == net.to_dict()
    b2.close()


def test_live_run_changes_are_replayed_by_the_exported_code():
    b = NetworkBuilder(bl.networks.coba(200, seed=2))
    live = b.run(60.0, controls=["E.I_ext", "IE.weight"], traces=["E.V"], start=False)
    assert sorted(live.figures) == ["raster", "rates", "traces"] and sorted(b.figures) == ["diagram", "raster",
                                                                                          "rates", "traces"]
    assert b.sources["raster"] is live.sources["raster"]
    live.run_for(20.0)
    live.controls["E.I_ext"].value = 26.0
    live.run_for(20.0)
    live.controls["IE.weight"].value = 3.0
    live.run_for(20.0)
    code = b.code()
    assert "E.I_ext" in code and "IE.weight" in code
    ns: dict = {}
    exec(code, ns)
    assert _same_spikes(ns["res"], live.result())
    assert np.array_equal(ns["res"]["E.V"], live.result()["E.V"])
    data = b.data()
    assert np.array_equal(data["raster/t"], live.sources["raster"].data["t"]) and len(data["raster/t"]) > 0
    # the plain run differs: the changes matter
    plain = bl.Runner(b.build(), progress=False).run(60.0)
    assert not _same_spikes(plain, live.result())
    b.close()


def test_export_shows_a_code_bundle_and_writes_a_notebook(tmp_path):
    b = NetworkBuilder(bl.networks.cuba(100, seed=0))
    b.controls["run.duration"].value = 20.0
    b.controls["export_code"].click()
    out = b.code_area.outputs[0]["data"]
    assert out[CODE_MIME]["code"] == b.code() == out["text/plain"] == b.controls["code"].value
    path = b.export_notebook(tmp_path / "built.ipynb")
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)  # written as JSON by brainlab itself: it must still be a valid nbformat 4 notebook
    assert nb.cells[1].source == b.code().rstrip("\n") and "raster_figure" in nb.cells[2].source
    ns: dict = {}
    exec(nb.cells[1].source, ns)
    assert ns["net"].to_dict() == b.build().to_dict()
    assert json.loads(b.data()["network"]) == b.network_dict()
    with pytest.raises(ValueError, match=r"\.ipynb"):
        b.export_notebook(tmp_path / "x.txt")
    b.close()


def test_code_driven_edits_and_errors():
    b = NetworkBuilder()
    with pytest.raises(KeyError, match="no population, input or projection named 'E'"):
        b.edit("E", size=3)
    b.add_population("E", "HH", 10, gNa=100.0)
    with pytest.raises(ValueError, match="name 'E' is taken"):
        b.add_population("E", "LIF", 5)
    with pytest.raises(TypeError, match="'nonsense' is no field"):
        b.edit("E", nonsense=1)
    b.edit("E", gNa=90.0, size=12)
    assert float(b.build().E.gNa.value) == 90.0 and b.build().E.size == (12,)
    with pytest.raises(RuntimeError, match="nothing to redo"):
        b.redo()
    b.undo()
    b.undo()
    with pytest.raises(RuntimeError, match="nothing to undo"):
        b.undo()
    assert b.network_dict()["populations"] == []
    with pytest.raises(TypeError, match="must be a bl.Network"):
        NetworkBuilder(42)
    with pytest.raises(ValueError, match="unknown template 'coba'"):
        NetworkBuilder("coba")
    b.close()
    b = NetworkBuilder("CUBA", template_size=100, seed=4)
    assert b.build().to_dict() == bl.networks.cuba(100, seed=4).to_dict()
    assert "net = bl.networks.cuba(100, seed=4)" in b.code()
    b.close()


def _odd_network():
    """Parts the forms cannot edit field by field: per-neuron values, a grid shape, given spike times, a FromIJ
    connectivity with per-synapse weights, saturating synapses."""
    E = bl.neurons.LIF(6, name="E", tau=np.linspace(10.0, 20.0, 6))
    G = bl.neurons.Izhikevich((2, 3), name="G")
    st = bl.inputs.SpikeTimes(3, [1.0, 2.0], [0, 2], name="st")
    return bl.Network(
        E=E, G=G, st=st,
        stE=bl.Projection(st, E, bl.conn.FromIJ([0, 1, 2], [5, 3, 0]), bl.synapses.Expon(), bl.outputs.CUBA(),
                          weight=np.array([1.0, 2.0, 3.0]), name="stE"),
        EG=bl.Projection(E, G, bl.conn.AllToAll(), bl.synapses.AMPA(), bl.outputs.COBA(), weight=0.1, name="EG"))


@pytest.mark.parametrize("start", ["odd", "nested", "E/I with Poisson sources, delays, STP"])
def test_opening_each_part_and_updating_it_unchanged_keeps_the_network(start):
    if start == "odd":
        b = NetworkBuilder(_odd_network())
    elif start == "nested":  # paths such as 'sub.E'
        b = NetworkBuilder(bl.Network(sub=bl.networks.coba(50, seed=1), E=bl.neurons.LIF(5, name="E")))
    else:
        b = NetworkBuilder(start, template_size=50)
    before = b.network_dict()
    tabs = ("population", "input", "projection")
    for path in [v for _, v in b.controls["select"].options if v]:
        b.controls["select"].value = path
        tab = tabs[b.controls["tabs"].selected_index]
        assert b.forms[tab].messages == [], (path, b.forms[tab].messages)
        b.controls[f"update_{tab}"].click()
        assert not b.errors and b.network_dict() == before, path
    # a rename through the form: the module's name, its users and its initial values follow
    old, new = ("sub.E", "sub.Exc") if start == "nested" else ("E", "Exc")
    b.controls["select"].value = old
    b.controls["pop.name"].value = new
    b.controls["update_population"].click()
    net = b.build()
    assert not b.errors and net.populations()[new].name == "Exc" and old not in net.populations()
    ends = {net.path_of(x) for p in net.projections().values() for x in (getattr(p, "pre", None), p.post)
            if x is not None}
    assert new in ends and old not in ends
    b.close()


# -- the clickable diagram ----------------------------------------------------------------------------------------
# Where to click comes from the static SVG's text (its boxes and its Bézier paths), not from the bokeh diagram's
# own geometry: the bokeh y axis points up, so a point (x, y) of the SVG is (x, -y) on the diagram.

SVG = {"s": "http://www.w3.org/2000/svg"}


def _svg_parts(svg):
    """``({node: centre}, {edge: midpoint of its curve}, {edge: its hover title})`` read from the SVG text."""
    import re
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)
    nodes = {}
    for g in root.iterfind(".//s:g[@class='bl-node']", SVG):
        r = g.find("s:rect", SVG)
        nodes[g.get("data-id")] = (float(r.get("x")) + float(r.get("width")) / 2,
                                   float(r.get("y")) + float(r.get("height")) / 2, float(r.get("width")),
                                   float(r.get("height")))
    mids, titles = {}, {}
    for g in root.iterfind(".//s:g[@class='bl-edge']", SVG):
        d = g.find("s:path", SVG).get("d")
        pts = np.array([float(v) for v in re.findall(r"-?\d+\.?\d*", d)]).reshape(-1, 2)
        w = np.array([1, 2, 1]) / 4 if len(pts) == 3 else np.array([1, 3, 3, 1]) / 8  # B(1/2)
        mids[g.get("data-id")] = tuple(w @ pts)
        titles[g.get("data-id")] = g.find("s:title", SVG).text
    return nodes, mids, titles


def tap(b, x, y):
    """What bokeh does for a click on the diagram: the figure's Tap callbacks get a Tap event."""
    from bokeh import events

    fig = b.figures["diagram"]
    for callback in fig._event_callbacks["tap"]:
        callback(events.Tap(fig, x=x, y=y))


def test_a_click_on_a_node_opens_its_form():
    b = NetworkBuilder("E/I with Poisson sources, delays, STP", template_size=100)
    b.widget
    c = b.controls
    nodes, _, _ = _svg_parts(b.svg())
    assert sorted(nodes) == ["E", "I", "noise", "src"]
    x, y, w, h = nodes["I"]
    tap(b, x + 0.4 * w, -(y - 0.4 * h))  # near the box's corner, still inside
    assert c["select"].value == "I" and c["tabs"].selected_index == 0 and "opened I" in b.status_text
    assert c["pop.name"].value == "I" and c["pop.size"].value == 20 and c["pop.tau"].value == 10.0
    assert c["update_population"].disabled is False and not c["delete"].disabled
    x, y, *_ = nodes["noise"]  # an input module opens the input form
    tap(b, x, -y)
    assert c["select"].value == "noise" and c["tabs"].selected_index == 1
    assert c["input.kind"].value == "OUNoise" and c["input.target"].value == "I" and c["input.sigma"].value == 2.0
    x, y, *_ = nodes["src"]  # spike sources too
    tap(b, x, -y)
    assert c["select"].value == "src" and c["input.kind"].value == "PoissonSpikes" and c["input.size"].value == 200
    # the chosen part is outlined: its box
    sel = b.sources["diagram_selection"].data
    assert len(sel["xs"]) == 1 and min(sel["xs"][0]) == pytest.approx(x - nodes["src"][2] / 2)
    # empty space: nothing changes; choosing in the list outlines the part as well
    tap(b, x, -y + 3 * nodes["src"][3])
    assert c["select"].value == "src" and not b.errors, b.errors
    c["select"].value = "E"
    assert len(b.sources["diagram_selection"].data["xs"]) == 1
    c["new"].click()
    assert b.sources["diagram_selection"].data["xs"] == []
    b.close()


@pytest.mark.parametrize("start", ["COBA", "E/I with Poisson sources, delays, STP"])
def test_a_click_on_an_arrow_opens_its_projection(start):
    b = NetworkBuilder(start, template_size=100)
    b.widget
    c = b.controls
    nodes, mids, _ = _svg_parts(b.svg())
    desc = b.network_dict()
    inside = {e for e, (mx, my) in mids.items()
              if any(abs(mx - x) <= w / 2 and abs(my - y) <= h / 2 for x, y, w, h in nodes.values())}
    clicked = [e for e in mids if e not in inside]  # a midpoint inside a box picks the box (drawn on top)
    assert len(clicked) >= 4, (sorted(mids), inside)
    for edge in clicked:
        c["new"].click()
        mx, my = mids[edge]
        tap(b, mx + 2.0, -my - 2.0)  # a little off the curve
        assert c["select"].value == edge, edge
        kind, entry = next((k, e) for k in ("projections", "inputs") for e in desc[k] if e["path"] == edge)
        if kind == "projections":
            assert c["tabs"].selected_index == 2
            assert (c["proj.name"].value, c["proj.pre"].value, c["proj.post"].value) == (edge, entry["pre"],
                                                                                        entry["post"])
            assert c["proj.weight"].value == pytest.approx(float(np.mean(entry["weight"])), rel=1e-6)
        else:
            assert c["tabs"].selected_index == 1 and c["input.name"].value == edge
        sel = b.sources["diagram_selection"].data  # outlined: its curve (an input module: its box too)
        assert len(sel["xs"]) == (1 if kind == "projections" else 2) and len(sel["xs"][-1]) > 10
    assert not b.errors, b.errors
    b.close()


def _expected_ids(desc):
    nodes = [e["path"] for e in desc["populations"]] + [e["path"] for e in desc["inputs"]]
    edges = [e["path"] for e in desc["projections"]] + [e["path"] for e in desc["inputs"]]
    return sorted(nodes), sorted(edges)


def test_the_diagram_sources_follow_every_change():
    b = NetworkBuilder()
    b.widget
    fig, sources = b.figures["diagram"], dict(b.sources)
    steps = [
        lambda: b.add_population("E", "LIF", 40, V_rest=-45.0),
        lambda: b.add_population("I", "LIF", 10),
        lambda: b.add_projection("EI", "E", "I", weight=1.0),
        lambda: b.add_projection("II", "I", "I", output="CUBA", weight=-2.0),
        lambda: b.add_input("drive", "PoissonInput", "E", n_inputs=10),
        lambda: b.add_input("src", "PoissonSpikes", size=30),
        lambda: b.add_projection("srcI", "src", "I"),
        lambda: b.edit("E", name="Exc", size=30),
        lambda: b.delete("I"),
        b.undo, b.undo, b.redo, lambda: b.delete("drive"), b.undo,
    ]
    for step in steps:
        step()
        nodes, edges = _expected_ids(b.network_dict())
        d = {k: b.sources[f"diagram_{k}"].data for k in ("nodes", "edges", "heads")}
        assert sorted(d["nodes"]["id"]) == nodes and sorted(d["edges"]["id"]) == edges
        assert d["heads"]["id"] == d["edges"]["id"]
        # the same nodes and edges as the static SVG, with its hover texts
        svg_nodes, svg_mids, titles = _svg_parts(b.svg())
        assert sorted(svg_nodes) == nodes and sorted(svg_mids) == edges
        assert dict(zip(d["edges"]["id"], d["edges"]["tip"])) == titles
        for node, x, y in zip(d["nodes"]["id"], d["nodes"]["x"], d["nodes"]["y"]):
            assert (x, -y) == pytest.approx(svg_nodes[node][:2], abs=0.05)
        assert b.figures["diagram"] is fig and all(b.sources[k] is v for k, v in sources.items())  # redrawn
    d = b.sources["diagram_heads"].data
    signs = dict(zip(b.sources["diagram_edges"].data["id"], b.sources["diagram_edges"].data["sign"]))
    assert signs["II"] == "inhibitory" and signs["srcI"] == "excitatory"
    assert {m for m, e in zip(d["marker"], d["id"]) if signs[e] == "inhibitory"} == {"dash"}  # a tee
    assert {m for m, e in zip(d["marker"], d["id"]) if signs[e] == "excitatory"} == {"triangle"}
    tips = dict(zip(b.sources["diagram_nodes"].data["id"], b.sources["diagram_nodes"].data["tip"]))
    assert tips["Exc"].startswith("Exc: brainlab.neurons.LIF, 30 neurons") and "V_rest = -45 mV" in tips["Exc"]
    b.close()


def test_whole_network_errors_show_as_the_form_changes(two_pops):
    b, c = two_pops, two_pops.controls
    # a new projection: OneToOne between E (80) and I (20) cannot be built; shown before any button is pressed
    c["new"].click()
    c["tabs"].selected_index = 2
    c["proj.pre"].value, c["proj.post"].value = "E", "I"
    assert b.form_errors["projection"].value == ""
    c["proj.rule"].value = "OneToOne"
    shown = b.form_errors["projection"].value
    assert "the network" in shown and "n_pre and n_post must be equal" in shown and "n_pre=80 and n_post=20" in shown
    c["proj.post"].value = "E"  # E -> E: one to one works
    assert b.form_errors["projection"].value == ""
    c["proj.name"].value = "EE1"
    c["add_projection"].click()
    assert "EE1" in b.build().projections() and not b.errors, b.errors
    # changing a population's size in its form: the projection that uses it no longer fits
    b.add_population("X", "LIF", 80)
    b.add_projection("EX", "E", "X", {"rule": "OneToOne"}, "Expon", "CUBA", weight=1.0)
    c["select"].value = "X"
    assert b.form_errors["population"].value == ""  # opening a part checks nothing new
    c["pop.size"].value = 50
    assert "n_pre=80 and n_post=50" in b.form_errors["population"].value
    before = b.network_dict()
    c["update_population"].click()  # refused, with the same message
    assert b.network_dict() == before and "n_pre=80 and n_post=50" in b.form_errors["population"].value
    c["pop.size"].value = 80
    assert b.form_errors["population"].value == ""
    # a field error is shown beside its field; the whole network is not checked meanwhile
    c["pop.size"].value = -1
    assert b.form_errors["population"].value == "" and b.forms["population"].messages
    assert b.check_network("population") == ""
