"""BifurcationPanel, link and DynamicsExplorer.

Independent truth:
- FitzHugh-Nagumo (v' = v - v^3/3 - w + I, w' = (v + a - b w)/tau): equilibria w = (v + a)/b, I(v) = w - v + v^3/3;
  Hopf where the trace 1 - v^2 - b/tau vanishes, v = +-sqrt(1 - b/tau); in (I, b) the fold curve has its cusp
  where v = 0 (1 - v^2 = 1/b gives b = 1) and the Bogdanov-Takens points where trace and determinant vanish
  together, b = sqrt(tau) = 3.5355...; stability from NumPy's eigenvalues of the analytic Jacobian.
- Hodgkin-Huxley (1952, 6.3 degC): Hopf points at I = 9.78 and 154.5 uA/cm^2 and a fold of cycles near
  I = 6.26 uA/cm^2 (Rinzel & Miller 1980, Math. Biosci. 49:27-59), the values and tolerances of
  tests/test_continuation_models.py (0.005 and 0.05) and tests/test_analysis_cycles.py (0.005); the resting state
  on the closed-form curve I(V) of tests/test_analysis_models.py (hh_curve); cycles checked by SciPy integration.
- The panel must hold exactly what bl.analysis.Continuation computes for the same settings.
"""

from __future__ import annotations

import numpy as np
import pytest
from bokeh import events
from scipy.integrate import solve_ivp
from scipy.optimize import brentq
from test_analysis_models import hh_curve, hh_field

import brainlab as bl
from brainlab.analysis import Continuation
from brainlab.widgets import BifurcationPanel, DynamicsExplorer, PhasePlanePanel, link
from brainlab.widgets._bifurcation_panel_compute import cycle_at

TAU = 12.5


def fhn(v, w, I=0.0, a=0.7, b=0.8, tau=12.5):  # literal: code() copies this source
    return v - v**3 / 3 - w + I, (v + a - b * w) / tau


def fhn_hopf_currents(a=0.7, b=0.8, tau=TAU):
    v = np.sqrt(1 - b / tau)
    return sorted(float((x + a) / b - x + x**3 / 3) for x in (-v, v))


def _tap(panel, x, y=0.0):
    """A click on the diagram, delivered as bokeh delivers it: through the figure's registered Tap callbacks."""
    fig = panel.figures["diagram"]
    fig._trigger_event(events.Tap(model=fig, x=x, y=y))


@pytest.fixture(scope="module")
def fhn_panel():
    bif = BifurcationPanel(fhn, param="I", bounds=(0.0, 2.0), start={"v": -1.2, "w": -0.62},
                           cycle_options={"max_steps": 60})
    bif.widget  # built as in a notebook
    yield bif
    bif.close()


@pytest.fixture(scope="module")
def hh_panel():
    bif = BifurcationPanel(bl.neurons.HH(1), param="I_ext", bounds=(0.0, 200.0), variable="V")
    yield bif
    bif.close()


# -- what is drawn ---------------------------------------------------------------------------------------------
def test_fhn_sources_hold_the_continuation_and_the_analytic_hopf_points(fhn_panel):
    branch = Continuation(fhn, "I", (0.0, 2.0)).equilibria(start={"v": -1.2, "w": -0.62})
    eq = fhn_panel.sources["equilibria"].data
    assert np.array_equal(eq["x"], branch.params) and np.array_equal(eq["y"], branch["v"])
    # stability from the analytic Jacobian [[1 - v^2, -1], [1/tau, -b/tau]]
    v = branch["v"]
    stable = np.array([np.all(np.linalg.eigvals([[1 - x**2, -1.0], [1 / TAU, -0.8 / TAU]]).real < 0) for x in v])
    off = np.abs(1 - v**2 - 0.8 / TAU) > 1e-9  # away from the Hopf points themselves
    assert np.array_equal(eq["stable"][off].astype(bool), stable[off])
    # solid where stable, dashed where unstable, and every point drawn by at least one of them
    assert np.all(np.isnan(eq["y_stable"]) | stable | ~off) and np.all(~np.isnan(eq["y_stable"])[stable])
    assert np.all(np.isfinite(eq["y_stable"]) | np.isfinite(eq["y_unstable"]))
    sp = fhn_panel.sources["special"].data
    assert sp["label"] == ["H", "H"]
    assert np.allclose(sp["x"], fhn_hopf_currents(), rtol=0, atol=1e-9)
    assert sp["x"] == [s.params["I"] for s in branch.special_points]
    crit = [s.criticality for s in branch.special_points]
    assert sp["text"] == [f"H ({c[:-8]})" for c in crit] and crit == ["subcritical", "subcritical"]


def test_a_window_that_excludes_the_models_own_value_starts_at_the_nearer_bound():
    # Morris-Lecar's default I_ext is 0; a window around its Hopf current starts the branch at 60 and finds the
    # same Hopf point as a continuation started there by hand.
    model = bl.neurons.MorrisLecar.from_preset("type_II", 1)
    bif = BifurcationPanel(model, param="I_ext", bounds=(60.0, 130.0), variable="V", cycles=False)
    want = Continuation(model, "I_ext", (60.0, 130.0)).equilibria(params={"I_ext": 60.0})
    assert bif.value == 60.0 and not bif.errors
    assert [s.params["I_ext"] for s in bif.diagram.branch.special_points] == \
        [s.params["I_ext"] for s in want.special_points]
    bif.close()


def test_hh_diagram_holds_the_published_hopf_points_and_the_cycles(hh_panel):
    sp = hh_panel.sources["special"].data
    assert sp["label"] == ["H", "H"]
    for x, pub, tol in zip(sp["x"], (9.78, 154.5), (0.005, 0.05)):  # as tests/test_continuation_models.py
        assert abs(x - pub) < tol
    assert sp["text"] == ["H (sub)", "H (super)"]  # l1 > 0 at the first, < 0 at the second
    d = hh_panel.diagram
    assert len(d.cycles) == 1 and d.cycle_origins == [0]  # the second Hopf point ends the same branch
    cyc = hh_panel.sources["cycles"].data
    assert np.array_equal(cyc["x"], d.cycles[0].params)
    assert np.array_equal(cyc["ymax"], d.cycles[0].maxima[:, 0])
    assert np.array_equal(cyc["ymin"], d.cycles[0].minima[:, 0])
    lpc = [x for x, lab in zip(hh_panel.sources["cycle_special"].data["x"],
                               hh_panel.sources["cycle_special"].data["label"]) if lab == "LPC" and x < 7.0]
    assert len(lpc) == 1 and abs(lpc[0] - 6.26) < 0.005  # as tests/test_analysis_cycles.py
    # the stable spiking cycles (between the fold of cycles and the second Hopf point) are drawn solid
    mid = (cyc["x"] > 20.0) & (cyc["x"] < 150.0)
    assert np.all(np.isfinite(cyc["ymax_stable"][mid])) and np.all(np.isnan(cyc["ymax_unstable"][mid]))


def test_the_cursor_marks_the_resting_state_at_the_clicked_current(hh_panel):
    _tap(hh_panel, 5.03)
    assert hh_panel.value == pytest.approx(5.03, abs=hh_panel.step / 2)
    assert hh_panel.controls["value"].value == hh_panel.value
    assert hh_panel._span_x.location == hh_panel.value
    V_rest = brentq(lambda V: hh_curve(V)[0] - hh_panel.value, -70.0, -55.0, xtol=1e-12)
    cur = hh_panel.sources["current"].data
    assert cur["x"] == [hh_panel.value] and cur["stable"] == [1]
    assert cur["y"][0] == pytest.approx(V_rest, abs=0.05)  # linear interpolation between continuation points
    assert hh_panel.cycle() is None  # no cycle below the fold of cycles (6.26)


def test_the_cycle_at_the_cursor_is_a_periodic_orbit(hh_panel):
    hh_panel.set_value(50.0)
    b, j = cycle_at(hh_panel.diagram.cycles, 50.0)
    cb = hh_panel.diagram.cycles[b]
    assert cb.stable[j] and abs(cb.params[j] - 50.0) < 5.0
    orbit = hh_panel.cycle()
    assert orbit.shape == (200, 4) and orbit[:, 0].max() > 0.0  # a spike
    x0 = orbit[0]
    sol = solve_ivp(lambda t, x: hh_field(x, cb.params[j]), (0.0, cb.periods[j]), x0, method="DOP853",
                    rtol=1e-10, atol=1e-12)
    assert np.max(np.abs(sol.y[:, -1] - x0) / np.array([100.0, 1.0, 1.0, 1.0])) < 1e-4


# -- interaction -----------------------------------------------------------------------------------------------
def test_click_and_slider_set_the_value_and_call_back(fhn_panel):
    seen = []
    cb = fhn_panel.on_value_change(seen.append)
    _tap(fhn_panel, 0.7771)
    assert fhn_panel.value == pytest.approx(0.7771, abs=fhn_panel.step / 2) and seen == [fhn_panel.value]
    fhn_panel.controls["value"].value = 1.25
    assert fhn_panel.value == 1.25 and fhn_panel._span_x.location == 1.25 and seen[-1] == 1.25
    _tap(fhn_panel, 7.0)  # outside the diagram: clipped to the bounds
    assert fhn_panel.value == 2.0
    n = len(seen)
    fhn_panel.set_value(2.0)  # no change, no call
    fhn_panel.remove_value_callback(cb)
    fhn_panel.set_value(0.5)
    assert len(seen) == n

    class Listener:
        def __init__(self) -> None:
            self.values: list[float] = []

        def take(self, v: float) -> None:
            self.values.append(v)

    listener = Listener()
    fhn_panel.on_value_change(listener.take)
    fhn_panel.set_value(0.6)
    fhn_panel.remove_value_callback(listener.take)  # a bound method is a new object at each access
    fhn_panel.set_value(0.5)
    assert listener.values == [0.6]
    # the equilibria at the cursor are those of the branch: on it, w = (v + a)/b and I = w - v + v^3/3
    for state, _ in fhn_panel.equilibria():
        v = state["v"]
        assert abs((v + 0.7) / 0.8 - v + v**3 / 3 - 0.5) < 1e-3


def test_callback_errors_go_to_the_status_line(fhn_panel):
    def boom(_v):
        raise RuntimeError("linked view failed")

    fhn_panel.on_value_change(boom)
    fhn_panel.set_value(0.25)
    assert fhn_panel.value == 0.25 and "linked view failed" in fhn_panel.status_text
    assert isinstance(fhn_panel.errors[-1], RuntimeError)
    fhn_panel.remove_value_callback(boom)


def test_code_recomputes_the_diagram_in_a_fresh_namespace(fhn_panel, hh_panel):
    for panel in (fhn_panel, hh_panel):
        ns: dict = {}
        exec(panel.code(), ns)
        assert [s.params[panel.param] for s in ns["branch"].special_points] == \
            [s.params[panel.param] for s in panel.diagram.branch.special_points]
        assert len(ns["cycles"]) == len(panel.diagram.cycles)
        assert np.array_equal(ns["cycles"][0].params, panel.diagram.cycles[0].params)
        assert ns[panel.param] == panel.value
    data = fhn_panel.data()
    assert data["value/I"] == fhn_panel.value and np.array_equal(data["special/x"], fhn_panel.sources["special"].data["x"])


def test_two_parameters_fold_and_hopf_curves_and_a_click_sets_both():
    bif = BifurcationPanel(fhn, param="I", bounds=(-1.0, 3.0), start={"v": -1.5, "w": -0.4},
                           params={"I": 0.0, "b": 2.0}, param2="b", bounds2=(0.1, 5.0))
    try:
        cont = Continuation(fhn, "I", (-1.0, 3.0))
        branch = cont.equilibria(start={"v": -1.5, "w": -0.4}, params={"I": 0.0, "b": 2.0})
        fold = cont.fold_curve(branch.special("fold")[0], "b", (0.1, 5.0))
        assert np.array_equal(bif.sources["fold"].data["x"], fold.params[:, 0])  # the second fold: same curve
        pts = bif.sources["codim2"].data
        got = {lab: [y for y, lb in zip(pts["y"], pts["label"]) if lb == lab] for lab in set(pts["label"])}
        assert got["CP"] == [pytest.approx(1.0, abs=1e-8)]  # analytic cusp
        assert all(y == pytest.approx(np.sqrt(TAU), abs=1e-6) for y in got["BT"])  # analytic BT
        assert len(got["GH"]) == 2
        assert bif.value == (0.0, 2.0)
        _tap(bif, 0.52, 1.5)
        assert bif.value == (pytest.approx(0.52, abs=bif.step / 2), pytest.approx(1.5, abs=bif.step2 / 2))
        assert bif.controls["value"].value == bif.value[0] and bif.controls["value2"].value == bif.value[1]
        assert bif.sources["current"].data == {"x": [bif.value[0]], "y": [bif.value[1]]}
        bif.controls["value2"].value = 3.0
        assert bif.value[1] == 3.0 and bif.params == {"I": bif.value[0], "b": 3.0}
        ns: dict = {}
        exec(bif.code(), ns)
        assert [c.curve for c in ns["curves"]] == [c.curve for c in bif.diagram.curves]
        with pytest.raises(TypeError, match=r"BifurcationPanel.set_value: a two-parameter diagram takes"):
            bif.set_value(1.0)
        with pytest.raises(ValueError, match=r"value\[1\]=9 of 'b' lies outside bounds2"):
            bif.set_value((0.0, 9.0))
    finally:
        bif.close()


# -- the link ------------------------------------------------------------------------------------------------
def test_link_moves_the_phase_plane_both_ways():
    model = bl.neurons.FHN(1)
    bif = BifurcationPanel(model, param="I_ext", bounds=(0.0, 1.5))
    pp = PhasePlanePanel(model, {"v": (-2.5, 2.5), "w": (-1.0, 2.5)})
    try:
        ln = link(bif, pp)
        _tap(bif, 0.2)
        assert pp.params["I_ext"] == bif.value == 0.2
        # the plane's fixed point is the branch's equilibrium there (analytic: one equilibrium for b < 1)
        v = brentq(lambda x: (x + 0.7) / 0.8 - x + x**3 / 3 - 0.2, -3.0, 3.0)
        assert pp.fixed_points[0].state["v"] == pytest.approx(v, abs=1e-6)
        assert pp.sources["marker"].data["x"][0] == pytest.approx(v, abs=1e-3)
        assert len(pp.sources["shown_cycle"].data["x"]) == 0  # I = 0.2: below every cycle
        _tap(bif, 0.8)  # between the Hopf points: on the cycle branch
        orbit = bif.cycle()
        assert orbit is not None and np.array_equal(pp.sources["shown_cycle"].data["x"][:-1], orbit[:, 0])
        pp.controls["I_ext"].value = 0.4  # the plane's slider moves the cursor
        assert bif.value == 0.4 and bif._span_x.location == 0.4
        pp.set_params(I_ext=9.0)  # beyond the diagram: the cursor stops at its bound
        assert bif.value == 1.5
        ln.unlink()
        bif.set_value(0.3)
        pp.set_params(I_ext=0.6)
        assert pp.params["I_ext"] == 0.6 and bif.value == 0.3 and not ln.active
    finally:
        bif.close()
        pp.close()


def test_unlink_detaches_both_callbacks():
    model = bl.neurons.FHN(1)
    bif = BifurcationPanel(model, param="I_ext", bounds=(0.0, 1.5))
    pp = PhasePlanePanel(model, {"v": (-2.5, 2.5), "w": (-1.0, 2.5)})
    try:
        n_bif, n_pp = len(bif._callbacks), len(pp._callbacks)
        ln = link(bif, pp)
        assert (len(bif._callbacks), len(pp._callbacks)) == (n_bif + 1, n_pp + 1)
        ln.unlink()
        assert (len(bif._callbacks), len(pp._callbacks)) == (n_bif, n_pp)  # gone, not just muted
        again = link(bif, pp)  # a new link works as the first did and unlinks as cleanly
        bif.set_value(0.7)
        assert pp.params["I_ext"] == 0.7
        pp.set_params(I_ext=0.2)
        assert bif.value == 0.2
        again.unlink()
        assert (len(bif._callbacks), len(pp._callbacks)) == (n_bif, n_pp)
    finally:
        bif.close()
        pp.close()


def test_dynamics_explorer_links_its_panels():
    ex = DynamicsExplorer(bl.neurons.FHN(1), param="I_ext", bounds=(0.0, 1.5),
                          variables={"v": (-2.5, 2.5), "w": (-1.0, 2.5)},
                          bifurcation={"cycle_options": {"max_steps": 60}})
    try:
        ex.widget
        _tap(ex.bifurcation, 1.0)
        assert ex.phase_plane.params["I_ext"] == 1.0
        assert "phase_plane.fixed_points" in ex.sources and "bifurcation.diagram" in ex.figures
        ex.phase_plane.set_params(I_ext=0.1)
        assert ex.bifurcation.value == 0.1
        ns: dict = {}
        exec(ex.code(), ns)
        assert len(ns["fixed_points"]) == len(ex.phase_plane.fixed_points)
    finally:
        ex.close()
    assert not ex.link.active


# -- bad input -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(param="J", bounds=(0, 1)), ValueError, r"BifurcationPanel: param='J' is not a parameter of fhn"),
    (dict(param="I", bounds=(1, 0)), ValueError, r"bounds=\(1, 0\) for 'I' must be finite with lo < hi"),
    (dict(param="I", bounds=5), ValueError, r"bounds must be a pair \(lo, hi\)"),
    (dict(param="I", bounds=(0, 1), variable="u"), ValueError, r"variable='u' is not a state variable of fhn"),
    (dict(param="I", bounds=(0, 1), param2="b"), ValueError, r"param2='b' needs bounds2"),
    (dict(param="I", bounds=(0, 1), bounds2=(0, 1)), ValueError, r"bounds2 is given without param2"),
    (dict(param="I", bounds=(0, 1), param2="I", bounds2=(0, 1)), ValueError, r"param2='I' must differ"),
    (dict(param="I", bounds=(0, 1), value=3.0, cycles=False), ValueError, r"value=3 of 'I' lies outside bounds"),
])
def test_bad_arguments_are_named(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        BifurcationPanel(fhn, start={"v": -1.2, "w": -0.62}, **kwargs)


def test_bad_values_and_links_are_named(fhn_panel):
    with pytest.raises(ValueError, match=r"BifurcationPanel.set_value: value=5 of 'I' lies outside bounds"):
        fhn_panel.set_value(5)
    with pytest.raises(TypeError, match=r"set_value: value must be a number"):
        fhn_panel.set_value("high")
    with pytest.raises(ValueError, match=r"must be finite"):
        fhn_panel.set_value(float("nan"))
    with pytest.raises(TypeError, match=r"on_value_change: callback must be callable"):
        fhn_panel.on_value_change(3)
    with pytest.raises(TypeError, match=r"link: the first argument must be a bl.widgets.BifurcationPanel"):
        link(object(), fhn_panel)
    with pytest.raises(TypeError, match=r"link: the second argument must be a bl.widgets.PhasePlanePanel"):
        link(fhn_panel, object())
    other = PhasePlanePanel(bl.neurons.FHN(1), {"v": (-2.5, 2.5), "w": (-1.0, 2.5)})
    try:
        with pytest.raises(ValueError, match=r"link: the diagram's parameter 'I' is not a parameter"):
            link(fhn_panel, other)
    finally:
        other.close()
    with pytest.raises(ValueError, match=r"DynamicsExplorer: variables must be the phase plane's window"):
        DynamicsExplorer(fhn, param="I", bounds=(0, 1), variables=None)
