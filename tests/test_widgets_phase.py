"""PhasePlanePanel: its sources hold what bl.analysis computes for the same settings, nullcline points lie on the
nullclines, a (simulated) click on the plane integrates what scipy integrates, slider changes redraw without
recompiling, HH slices follow their held variables, integrate-and-fire planes show threshold and reset, bad input
gets clear errors, and code() reproduces the view in a fresh namespace."""

import asyncio

import numpy as np
import pytest
from bokeh import events
from scipy.integrate import solve_ivp

import brainlab as bl
from brainlab.analysis import PhasePlane
from brainlab.widgets import PhasePlanePanel

FHN_WINDOW = {"v": (-2.5, 2.5), "w": (-1.0, 2.5)}
ML_WINDOW = {"V": (-70.0, 50.0), "w": (-0.05, 0.6)}


def fhn(v, w, I=0.5, a=0.7, b=0.8, tau=12.5):  # noqa: E741
    return v - v**3 / 3 - w + I, (v + a - b * w) / tau


def ml_numpy(I, g_Ca=4.0, V3=12.0, V4=17.4, phi=1 / 15):
    """Morris-Lecar (type I set), written independently of brainlab for scipy."""

    def f(t, x):
        V, w = x
        minf = 0.5 * (1 + np.tanh((V + 1.2) / 18))
        winf = 0.5 * (1 + np.tanh((V - V3) / V4))
        return [(I - g_Ca * minf * (V - 120) - 8 * w * (V + 84) - 2 * (V + 60)) / 20,
                phi * (winf - w) * np.cosh((V - V3) / (2 * V4))]

    return f


def tap(panel, x, y=None):
    """What bokeh does for a click on the plane: the figure's Tap callbacks get a Tap event."""
    fig = panel.figures["plane"]
    for callback in fig._event_callbacks["tap"]:
        callback(events.Tap(fig, x=x, y=y))


def split(x, y):
    """NaN-joined columns back into branches."""
    pts = np.stack([np.asarray(x, float), np.asarray(y, float)], axis=-1)
    breaks = np.nonzero(np.isnan(pts[:, 0]))[0]
    pieces = [b[~np.isnan(b[:, 0])] for b in np.split(pts, breaks)]
    return [b for b in pieces if len(b)]


@pytest.fixture(scope="module")
def ml():
    model = bl.neurons.MorrisLecar.from_preset("type_I", 1)
    panel = PhasePlanePanel(model, ML_WINDOW, values={"I_ext": 30.0})
    panel.widget  # built as in a notebook
    yield panel
    panel.close()


def test_fixed_points_and_eigenvalues_equal_the_analysis(ml):
    ref = PhasePlane(bl.neurons.MorrisLecar.from_preset("type_I", 1), ML_WINDOW, params={"I_ext": 30.0},
                     resolution=161).fixed_points()
    src = ml.sources["fixed_points"].data
    assert len(ref) == 3 == len(src["x"])
    assert [fp.kind for fp in ref] == list(src["kind"]) == ["stable node", "saddle", "unstable focus"]
    for k, fp in enumerate(ref):
        assert np.allclose([src["x"][k], src["y"][k]], fp.x, rtol=1e-9, atol=1e-12)
        assert np.allclose([src["lambda1_re"][k], src["lambda2_re"][k]], fp.eigenvalues.real, rtol=1e-8)
        assert np.allclose([src["lambda1_im"][k], src["lambda2_im"][k]], fp.eigenvalues.imag, atol=1e-12)
        assert src["stable"][k] == fp.stable
    assert list(src["fill"]) == ["#2ca02c", "#ff7f0e", "#d62728"]  # stable green, saddle orange, unstable red
    assert list(src["marker"]) == ["circle", "square", "circle"]
    # the eigenvalues of the saddle, by finite differences of an independent implementation
    V, w = ref[1].x
    f = ml_numpy(30.0)
    h = 1e-6
    J = np.array([[(f(0, [V + h, w])[i] - f(0, [V - h, w])[i]) / (2 * h),
                   (f(0, [V, w + h])[i] - f(0, [V, w - h])[i]) / (2 * h)] for i in range(2)])
    assert np.allclose(np.sort(np.linalg.eigvals(J).real), np.sort(ref[1].eigenvalues.real), rtol=1e-5)
    assert "saddle" in ml.readout.value
    # hover shows kind and eigenvalues
    hover = [t for t in ml.figures["plane"].tools if type(t).__name__ == "HoverTool"]
    assert hover and any("@eig" in v for _, v in hover[0].tooltips)


def test_nullcline_points_satisfy_f_equals_zero_and_branches_stay_apart():
    panel = PhasePlanePanel(fhn, {"v": (-3.0, 3.0), "w": (-2.0, 3.0)}, params=["I", "a"])
    vx, vy = (panel.sources["nullcline_v"].data[k] for k in ("x", "y"))
    wx, wy = (panel.sources["nullcline_w"].data[k] for k in ("x", "y"))
    ok = ~np.isnan(vx)
    assert ok.sum() > 100
    # the v-nullcline is w = v - v^3/3 + I (linear interpolation on a 161-point grid: O(h^2))
    assert np.max(np.abs(vy[ok] - (vx[ok] - vx[ok] ** 3 / 3 + 0.5))) < 2e-3
    # the w-nullcline is the line w = (v + a)/b, which linear interpolation reproduces exactly
    okw = ~np.isnan(wx)
    assert np.max(np.abs(wy[okw] - (wx[okw] + 0.7) / 0.8)) < 1e-9
    # the same polylines as PhasePlane.nullclines, one NaN-separated branch each
    ref = PhasePlane(fhn, {"v": (-3.0, 3.0), "w": (-2.0, 3.0)}, resolution=161).nullclines()
    branches = split(vx, vy)
    assert len(branches) == len(ref["v"])
    for got, want in zip(branches, ref["v"]):
        assert np.allclose(got, want)
    panel.close()


def test_the_cubic_with_two_branches_in_the_window_keeps_them_apart():
    panel = PhasePlanePanel(fhn, {"v": (-3.0, 3.0), "w": (-0.4, 0.4)}, values={"I": 0.0})
    branches = split(panel.sources["nullcline_v"].data["x"], panel.sources["nullcline_v"].data["y"])
    assert len(branches) == 3  # the cubic leaves the thin window twice: three separate pieces, no joining line
    ref = PhasePlane(fhn, {"v": (-3.0, 3.0), "w": (-0.4, 0.4)}, params={"I": 0.0}, resolution=161).nullclines()
    assert len(ref["v"]) == 3
    panel.close()


def test_a_click_integrates_what_scipy_integrates(ml):
    ml.clear()
    ml.controls["direction"].value = "forward"
    ml.controls["duration"].value = 200.0
    tap(ml, -21.0, 0.0)
    src = ml.sources["trajectory"].data
    t, V, w = (np.asarray(src[k]) for k in ("t", "V", "w"))
    assert len(t) > 100 and t[0] == 0.0 and t[-1] == pytest.approx(200.0)
    sol = solve_ivp(ml_numpy(30.0), (0.0, 200.0), [-21.0, 0.0], rtol=1e-11, atol=1e-12, dense_output=True)
    ref = sol.sol(t)
    assert np.max(np.abs(V - ref[0])) < 1e-4 and np.max(np.abs(w - ref[1])) < 1e-7
    assert V.max() > 20.0  # above the saddle's stable manifold: a spike
    # the plane's line holds the same orbit, and the start is marked
    x = ml.sources["trajectories"].data["x"]
    assert np.allclose(x[:len(V)], V)
    assert list(ml.sources["starts"].data["x"]) == [-21.0]
    # a second click below threshold: two branches in the plane, the time course shows the last one
    tap(ml, -25.0, 0.0)
    assert len(split(ml.sources["trajectories"].data["x"], ml.sources["trajectories"].data["y"])) == 2
    assert np.asarray(ml.sources["trajectory"].data["V"]).max() < -20.0
    ml.clear()
    assert len(ml.sources["trajectories"].data["x"]) == 0 and len(ml.sources["trajectory"].data["t"]) == 0


def test_backward_and_both_directions():
    panel = PhasePlanePanel(fhn, {"v": (-3.0, 3.0), "w": (-2.0, 3.0)}, duration=20.0)
    panel.controls["direction"].value = "backward"
    tap(panel, 0.5, 0.2)
    tr = panel.trajectories[-1]
    assert tr.t[0] == 0.0 and np.all(np.diff(tr.t) < 0)
    f = lambda t, x: fhn(*x)  # noqa: E731
    sol = solve_ivp(f, (0.0, tr.t[-1]), [0.5, 0.2], rtol=1e-11, atol=1e-12, dense_output=True)
    assert np.allclose(sol.sol(tr.t).T, tr.states, atol=1e-6)
    panel.controls["direction"].value = "both"
    tap(panel, 0.5, 0.2)
    tr = panel.trajectories[-1]
    assert np.all(np.diff(tr.t) > 0) and tr.t[0] < 0 < tr.t[-1]
    i0 = int(np.nonzero(tr.t == 0.0)[0][0])
    assert np.allclose(tr.states[i0], [0.5, 0.2])
    panel.close()


def test_a_slider_move_redraws_nullclines_and_fixed_points_without_recompiling(ml):
    ml.clear()
    tap(ml, -21.0, 0.0)  # a trajectory is re-integrated at the new parameters
    before = np.asarray(ml.sources["nullcline_V"].data["y"]).copy()
    traces = ml.system.trace_count
    for I in (35.0, 38.0, 45.0):
        ml.controls["I_ext"].value = I
    assert ml.system.trace_count == traces  # parameters are arguments: nothing traced again
    after = ml.sources["nullcline_V"].data
    assert not np.array_equal(before, np.asarray(after["y"]))
    ok = ~np.isnan(np.asarray(after["x"], float))
    V, w = np.asarray(after["x"])[ok], np.asarray(after["y"])[ok]
    dV = np.array([ml_numpy(45.0)(0, [a, b])[0] for a, b in zip(V, w)])
    assert np.max(np.abs(dV)) < 0.05  # |dV/dt| in mV/ms on the V-nullcline, against O(1) elsewhere
    # past the saddle-node only the unstable focus is left
    assert list(ml.sources["fixed_points"].data["kind"]) == ["unstable focus"]
    sol = solve_ivp(ml_numpy(45.0), (0.0, 200.0), [-21.0, 0.0], rtol=1e-11, atol=1e-12, dense_output=True)
    tr = ml.trajectories[-1]
    assert np.allclose(sol.sol(tr.t)[0], tr.states[:, 0], atol=1e-4)
    ml.set_params(I_ext=30.0)
    ml.clear()


def test_slider_bursts_coalesce_to_one_redraw_with_the_last_value():
    panel = PhasePlanePanel(bl.neurons.FHN(1), FHN_WINDOW)
    runs = panel._job.runs

    async def burst():
        for I in np.linspace(0.0, 0.5, 40):
            panel.controls["I_ext"].value = float(I)
        await panel._job.settled()

    asyncio.run(burst())
    assert 1 <= panel._job.runs - runs <= 3
    assert panel.fixed_points[0].kind == "unstable focus"  # I = 0.5
    ref = PhasePlane(bl.neurons.FHN(1), FHN_WINDOW, params={"I_ext": 0.5}).fixed_points()
    assert np.allclose(panel.fixed_points[0].x, ref[0].x)
    panel.close()


def test_remove_params_callback_stops_the_calls():
    panel = PhasePlanePanel(bl.neurons.FHN(1), FHN_WINDOW)
    try:
        seen, other = [], []
        assert panel.on_params_change(seen.append) == seen.append
        panel.on_params_change(other.append)
        panel.set_params(I_ext=0.3)
        assert seen == other == [{"I_ext": 0.3}]
        panel.remove_params_callback(seen.append)  # another access to the same bound method matches
        panel.set_params(I_ext=0.4)
        assert seen == [{"I_ext": 0.3}] and other == [{"I_ext": 0.3}, {"I_ext": 0.4}]
        panel.remove_params_callback(seen.append)  # not registered any more: no error
        panel.remove_params_callback(other.append)
        panel.controls["I_ext"].value = 0.5  # a user's move calls nobody now
        assert len(other) == 2 and panel.params["I_ext"] == 0.5
    finally:
        panel.close()


def test_params_set_params_and_callbacks():
    panel = PhasePlanePanel(bl.neurons.FHN(1), FHN_WINDOW, params=["I_ext", "b"])
    seen = []
    panel.on_params_change(seen.append)
    assert panel.params == {"I_ext": 0.0, "b": 0.8}
    runs = panel._job.runs
    panel.set_params(I_ext=0.5, b=0.7, a=0.6)  # a has no slider: it is set on the plane
    assert seen == [{"I_ext": 0.5, "b": 0.7}] and panel._job.runs == runs + 1
    assert panel.plane.params["a"] == 0.6
    ref = PhasePlane(bl.neurons.FHN(1), FHN_WINDOW, params={"I_ext": 0.5, "b": 0.7, "a": 0.6}).fixed_points()
    assert np.allclose(panel.fixed_points[0].x, ref[0].x)
    panel.controls["b"].value = 0.75  # a user's move calls back too
    assert seen[-1] == {"I_ext": 0.5, "b": 0.75}
    panel.set_params(I_ext=40.0)  # beyond the slider: it widens instead of clamping
    assert panel.params["I_ext"] == 40.0 and panel.controls["I_ext"].max >= 40.0
    with pytest.raises(ValueError, match=r"PhasePlanePanel.set_params: FHN has no parameter 'I'.*Did you mean 'I_ext'"):
        panel.set_params(I=1.0)
    with pytest.raises(ValueError, match="finite"):
        panel.set_params(I_ext=float("nan"))
    panel.show_marker(0.1, 0.2)
    assert list(panel.sources["marker"].data["x"]) == [0.1]
    panel.show_marker(None)
    assert len(panel.sources["marker"].data["x"]) == 0
    ring = np.stack([np.cos(np.linspace(0, 6, 50)), np.sin(np.linspace(0, 6, 50))], axis=-1)
    panel.show_cycle(ring)
    assert len(panel.sources["shown_cycle"].data["x"]) == 51  # closed
    panel.show_cycle(None)
    assert len(panel.sources["shown_cycle"].data["x"]) == 0
    # an error in a linked callback lands in the status line, the panel keeps working
    panel.on_params_change(lambda p: 1 / 0)
    panel.controls["b"].value = 0.8
    assert "ZeroDivisionError" in panel.status_text and panel.params["b"] == 0.8
    panel.close()


def test_separatrices_and_limit_cycle_equal_the_analysis(ml):
    ml.set_params(I_ext=30.0)
    ml.controls["separatrices"].value = True
    ref = PhasePlane(bl.neurons.MorrisLecar.from_preset("type_I", 1), ML_WINDOW, params={"I_ext": 30.0},
                     resolution=161).separatrices()  # the duration from the saddle's eigenvalues, not the clicks'
    stable = [c.states for c in ref if c.kind == "stable"]
    got = split(ml.sources["stable_manifolds"].data["x"], ml.sources["stable_manifolds"].data["y"])
    assert len(got) == len(stable) == 2
    for g, s in zip(got, stable):
        assert np.allclose(g, s, rtol=1e-6, atol=1e-8)
    ml.controls["separatrices"].value = False
    assert len(ml.sources["stable_manifolds"].data["x"]) == 0
    ml.set_params(I_ext=45.0)
    ml.controls["limit_cycle"].value = True
    assert ml.cycle.found
    T = PhasePlane(bl.neurons.MorrisLecar.from_preset("type_I", 1), ML_WINDOW,
                   params={"I_ext": 45.0}).limit_cycle().period
    assert ml.cycle.period == pytest.approx(T, rel=1e-6)
    x = np.asarray(ml.sources["limit_cycle"].data["x"])
    assert len(x) == len(ml.cycle.states) + 1 and x[0] == x[-1]
    ml.controls["limit_cycle"].value = False
    ml.set_params(I_ext=30.0)


def test_streamlines_follow_the_field():
    panel = PhasePlanePanel(fhn, {"v": (-3.0, 3.0), "w": (-2.0, 3.0)}, field="streamlines")
    x, y = (np.asarray(panel.sources["streamlines"].data[k], float) for k in ("x", "y"))
    assert len(panel.sources["arrows"].data["x0"]) == 0
    lines = [b for b in split(x, y) if len(b) > 3]  # (the 3-point pieces are arrowheads)
    assert len(lines) > 50
    # each streamline's steps point along the field at their midpoints (scaled to the window)
    span = np.array([6.0, 5.0])
    cosines = []
    for ln in lines:
        mid = 0.5 * (ln[1:] + ln[:-1])
        step = np.diff(ln, axis=0) / span
        fv = np.array([fhn(a, b) for a, b in mid]) / span
        num = np.sum(step * fv, axis=1)
        den = np.linalg.norm(step, axis=1) * np.linalg.norm(fv, axis=1)
        cosines.append(num[den > 0] / den[den > 0])
    assert np.median(np.concatenate(cosines)) > 0.999
    panel.controls["field"].value = "arrows"
    assert len(panel.sources["arrows"].data["x0"]) > 0 and len(panel.sources["streamlines"].data["x"]) == 0
    panel.close()


def test_hh_slice_with_held_variables():
    hh = bl.neurons.HH(1)
    panel = PhasePlanePanel(hh, {"V": (-80.0, 40.0), "n": (0.0, 1.0)})
    init = hh.initial_state()
    assert set(panel.controls) >= {"m", "h", "I_ext"}
    assert panel.controls["m"].value == pytest.approx(float(np.ravel(init["m"])[0]))
    assert 0.0 <= panel.controls["h"].min < 0.01 and 0.99 < panel.controls["h"].max <= 1.0  # a gate: [0, 1]
    traces = panel.system.trace_count
    panel.controls["h"].value = 0.3
    assert panel.system.trace_count == traces  # a new slice of the same system: the compiled code is shared
    ref = PhasePlane(bl.neurons.HH(1), {"V": (-80.0, 40.0), "n": (0.0, 1.0)},
                     fixed={"m": panel.controls["m"].value, "h": 0.3}, resolution=161).fixed_points()
    assert len(panel.fixed_points) == len(ref) >= 1
    for got, want in zip(panel.fixed_points, ref):
        assert np.allclose(got.x, want.x)
    # each fixed point zeroes dV/dt and dn/dt of the full HH field with m and h held
    m = panel.controls["m"].value
    for fp in panel.fixed_points:
        x = panel.system.state_vector({"V": fp.state["V"], "m": m, "h": 0.3, "n": fp.state["n"]})
        F = panel.system.evaluate(x, panel.plane._p)
        assert abs(F[0]) < 1e-8 and abs(F[3]) < 1e-10
    assert "m held" in panel.controls["m"].description
    panel.close()


def test_integrate_and_fire_planes_show_threshold_and_reset():
    lif = PhasePlanePanel(bl.neurons.LIF(1), {"V": (-80.0, -40.0)}, params=["I_ext", "V_th"])
    assert lif.threshold_span.location == -50.0 and lif.reset_span.location == -65.0
    assert lif.threshold_span in lif.figures["plane"].center and lif.threshold_span.dimension == "height"
    lif.controls["V_th"].value = -45.0
    assert lif.threshold_span.location == -45.0
    assert "subthreshold" in lif.widget.children[0].value
    # 1D: the field is dV/dt = (V_rest - V + R I)/tau; its zero is rest
    lif.set_params(I_ext=100.0)
    assert lif.fixed_points[0].x[0] == pytest.approx(-65.0 + 0.1 * 100.0)
    xs, f = (np.asarray(lif.sources["field"].data[k]) for k in ("x", "y"))
    assert np.allclose(f, (-65.0 - xs + 0.1 * 100.0) / 10.0)
    tap(lif, -70.0, 0.0)
    tr = lif.trajectories[-1]
    assert np.allclose(tr.states[:, 0], -55.0 + (-70.0 + 55.0) * np.exp(-tr.t / 10.0), atol=1e-8)
    lif.close()
    iz = PhasePlanePanel(bl.neurons.Izhikevich(1), {"V": (-80.0, 40.0), "u": (-20.0, 10.0)})
    assert iz.threshold_span.location == 30.0 and iz.reset_span.location == -65.0
    assert "dashed red: V_peak (spike), dotted blue: c" in iz.figures["plane"].title.text
    adex = PhasePlanePanel(bl.neurons.AdEx(1), {"V": (-80.0, 0.0), "w": (-100.0, 400.0)})
    assert adex.threshold_span.location == 20.0 and adex.reset_span.location == -70.6
    iz.close(), adex.close()
    fhn_panel = PhasePlanePanel(bl.neurons.FHN(1), FHN_WINDOW)
    assert fhn_panel.threshold_span is None  # not an integrate-and-fire model
    fhn_panel.close()


def test_one_dimensional_plane_matches_the_analysis_and_scipy():
    def pitchfork(x, r=1.0):
        return r * x - x**3

    panel = PhasePlanePanel(pitchfork, {"x": (-2.0, 2.0)}, duration=5.0)
    assert np.allclose(panel.sources["fixed_points"].data["x"], [-1.0, 0.0, 1.0], atol=1e-10)
    assert list(panel.sources["fixed_points"].data["kind"]) == ["stable node", "unstable node", "stable node"]
    panel.controls["r"].value = 2.0
    assert np.allclose(panel.sources["fixed_points"].data["x"], [-np.sqrt(2), 0.0, np.sqrt(2)], atol=1e-10)
    tap(panel, 0.1, 0.5)
    tr = panel.trajectories[-1]
    sol = solve_ivp(lambda t, x: pitchfork(x, 2.0), (0, 5.0), [0.1], rtol=1e-11, atol=1e-12, dense_output=True)
    assert np.allclose(sol.sol(tr.t)[0], tr.states[:, 0], atol=1e-7)
    assert np.allclose(panel.sources["trajectories"].data["y"], pitchfork(tr.states[:, 0], 2.0))
    assert panel.controls["separatrices"].disabled
    panel.close()


def test_code_reproduces_the_view_in_a_fresh_namespace(ml):
    ml.set_params(I_ext=35.0)
    tap(ml, -21.0, 0.0)
    ns: dict = {}
    exec(ml.code(), ns)
    got = ns["fixed_points"]
    assert len(got) == len(ml.fixed_points) == 3
    for a, b in zip(got, ml.fixed_points):
        assert np.allclose(a.x, b.x) and a.kind == b.kind
        assert np.allclose(a.eigenvalues, b.eigenvalues)
    ml.clear()
    ml.set_params(I_ext=30.0)
    panel = PhasePlanePanel(fhn, {"v": (-3.0, 3.0), "w": (-2.0, 3.0)}, params=["I", "a"])
    panel.set_params(I=0.9, a=0.6)
    ns = {}
    exec(panel.code(), ns)
    assert np.allclose(ns["fixed_points"][0].x, panel.fixed_points[0].x)
    hh = PhasePlanePanel(bl.neurons.HH(1), {"V": (-80.0, 40.0), "n": (0.0, 1.0)}, values={"I_ext": 5.0})
    hh.controls["h"].value = 0.4
    ns = {}
    exec(hh.code(), ns)
    assert "fixed={'m'" in hh.code()
    assert [fp.kind for fp in ns["fixed_points"]] == [fp.kind for fp in hh.fixed_points]
    assert np.allclose([fp.x for fp in ns["fixed_points"]], [fp.x for fp in hh.fixed_points])
    panel.close(), hh.close()


def test_data_export_holds_sources_and_parameters(ml, tmp_path):
    data = ml.data()
    assert data["params/I_ext"] == 30.0
    assert np.array_equal(np.asarray(data["fixed_points/x"]), np.asarray(ml.sources["fixed_points"].data["x"]))
    if hasattr(ml, "export"):
        path = ml.export(str(tmp_path / "plane.npz"))
        with np.load(path, allow_pickle=False) as z:
            assert np.allclose(z["nullcline_V/x"], np.asarray(ml.sources["nullcline_V"].data["x"]), equal_nan=True)
            assert list(z["fixed_points/kind"]) == ["stable node", "saddle", "unstable focus"]
        import json

        doc = json.loads((tmp_path / "plane.json").read_text() if ml.export(str(tmp_path / "plane.json")) else "")
        flat = json.dumps(doc)
        assert "unstable focus" in flat and "NaN" not in flat  # strict JSON (breaks are null)


@pytest.mark.parametrize("kwargs, message", [
    ({"variables": {"u": (0, 1), "w": (0, 1)}},
     r"PhasePlanePanel: FHN has no state variable 'u' \(in variables\).*Valid variables: 'v', 'w'"),
    ({"params": ["I"]}, r"PhasePlanePanel: FHN has no parameter 'I' \(in params=\[\.\.\., 'I'\]\)\. Did you mean 'I_ext'"),
    ({"values": {"Iext": 1.0}}, r"no parameter 'Iext' \(in values\)\. Did you mean 'I_ext'"),
    ({"bounds": {"tau": (1, 2)}}, r"bounds names 'tau', which has no slider.*add 'tau' to params=\[\.\.\.\]"),
    ({"field": "quiver"}, r"field must be 'arrows' or 'streamlines', got 'quiver'"),
    ({"duration": -1.0}, r"duration must be a positive number of ms"),
    ({"variables": {"v": (1, -1), "w": (0, 1)}}, r"PhasePlanePanel: the window of 'v'.*low < high"),
])
def test_bad_input_names_the_object_the_argument_and_the_fix(kwargs, message):
    args = {"variables": FHN_WINDOW, **kwargs}
    variables = args.pop("variables")
    with pytest.raises(ValueError, match=message):
        PhasePlanePanel(bl.neurons.FHN(1), variables, **args)


def test_a_slice_of_a_function_needs_the_held_values():
    def three(x, y, z, k=1.0):
        return -x + y, -y + z, -k * z

    with pytest.raises(ValueError, match=r"PhasePlanePanel: three has 3 variables.*fixed=\{'z': \.\.\.\}"):
        PhasePlanePanel(three, {"x": (-1, 1), "y": (-1, 1)})
    panel = PhasePlanePanel(three, {"x": (-1, 1), "y": (-1, 1)}, fixed={"z": 0.5})
    assert panel.controls["z"].min < -1 and panel.controls["z"].max > 2  # 0.5 ± 2: an undeclared variable
    panel.close()
    panel = PhasePlanePanel(three, {"x": (-1, 1), "y": (-1, 1)}, fixed={"z": 0.5}, bounds={"z": (-0.5, 0.5)})
    assert (panel.controls["z"].min, panel.controls["z"].max) == (-0.5, 0.5)
    assert np.allclose(panel.fixed_points[0].x, [0.5, 0.5])  # z held at 0.5: x = y = z
    panel.controls["z"].value = -0.25
    assert np.allclose(panel.fixed_points[0].x, [-0.25, -0.25])
    panel.close()


def test_a_model_class_is_taken_as_one_neuron_and_other_objects_are_refused():
    panel = PhasePlanePanel(bl.neurons.FHN, FHN_WINDOW)
    ref = PhasePlane(bl.neurons.FHN(1), FHN_WINDOW).fixed_points()
    assert np.allclose(panel.fixed_points[0].x, ref[0].x)
    panel.close()
    with pytest.raises(TypeError, match=r"PhasePlanePanel: system expected a function .* got int"):
        PhasePlanePanel(42, FHN_WINDOW)


def test_duration_change_reintegrates_and_the_readout_gives_the_cycle_period():
    panel = PhasePlanePanel(bl.neurons.FHN(1), FHN_WINDOW, values={"I_ext": 0.5}, duration=50.0)
    panel.click(1.0, 0.0)
    assert panel.trajectories[-1].t[-1] == pytest.approx(50.0)
    panel.controls["duration"].value = 80.0
    assert panel.trajectories[-1].t[-1] == pytest.approx(80.0)
    assert len(panel.sources["trajectory"].data["t"]) == len(panel.trajectories[-1].t)
    panel.controls["limit_cycle"].value = True
    assert f"period {panel.cycle.period:.4g} ms" in panel.readout.value
    panel.set_params(I_ext=0.0)  # a stable focus only: no unstable point to start the search from
    assert "limit cycle: " in panel.readout.value and "no start given" in panel.readout.value
    assert len(panel.sources["limit_cycle"].data["x"]) == 0 and not panel.errors
    panel.close()


def test_a_system_and_plain_keyword_sliders():
    system = bl.analysis.as_system(fhn)
    panel = PhasePlanePanel(system, {"v": (-3.0, 3.0), "w": (-2.0, 3.0)}, params=["I", "tau"],
                            bounds={"I": (-1.0, 2.0)})
    ref = PhasePlane(fhn, {"v": (-3.0, 3.0), "w": (-2.0, 3.0)}).fixed_points()
    assert np.allclose(panel.fixed_points[0].x, ref[0].x)
    assert (panel.controls["I"].min, panel.controls["I"].max) == (-1.0, 2.0)  # bounds= override
    tau = panel.controls["tau"]
    assert tau.value == 12.5 and 0.0 <= tau.min and tau.max >= 37.5  # from its default: (0, 3 x 12.5)
    assert "# fhn is a bl.analysis.System" in panel.code()
    panel.close()
    with pytest.raises(ValueError, match=r"bounds\['I'\] = \(2.0, 1.0\) must be finite with lo < hi"):
        PhasePlanePanel(fhn, {"v": (-3.0, 3.0), "w": (-2.0, 3.0)}, bounds={"I": (2.0, 1.0)})
