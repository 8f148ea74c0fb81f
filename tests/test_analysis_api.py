"""The public dynamics-analysis API of ``brainlab.analysis``: exports, a light import, the issue's example verbatim,
models in fast-slow analysis, slow points and two-parameter continuation, and a bokeh ``plot()`` on every result.

Independent truth: the FitzHugh-Nagumo equilibria are roots of a cubic (``numpy.roots``) and its Hopf points sit
where :math:`1 - v^2 = b/\\tau`; the Hindmarsh-Rose fast subsystem (``I = 2``) has its folds at ``z = 3`` and
``z = 49/27`` (``z = 3 - x^3 - 2x^2``, folds at ``x = 0`` and ``x = -4/3``); FitzHugh-Nagumo's Bogdanov-Takens
point on its Hopf curve in ``(I, b)`` has zero trace, ``1 - v^2 = b/tau``, and zero determinant,
``(1 - (1 - v^2) b) / tau = 0``, so ``b^2 = tau`` and ``b = sqrt(12.5) = 3.5355``.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from bokeh.embed import file_html
from bokeh.resources import CDN

import brainlab as bl

PUBLIC = [
    "PhasePlane", "VectorField", "Nullclines", "FixedPoint", "FixedPoints", "Trajectory", "LimitCycle", "Separatrix",
    "Separatrices", "PhasePortrait", "Continuation", "Branch", "SpecialPoint", "Codim2Branch", "System", "as_system",
    "classify_equilibrium", "CycleBranch", "CycleSpecialPoint", "continue_cycles", "continue_cycles_from_hopf",
    "cycle_from_trajectory", "FastSlowResult", "FastSubsystemPoint", "fast_slow_analysis", "SlowPoints",
    "find_slow_points",
]


def test_every_public_name_is_exported():
    missing = [n for n in PUBLIC if n not in bl.analysis.__all__ or not hasattr(bl.analysis, n)]
    assert not missing, missing
    assert all(hasattr(bl.analysis, n) for n in bl.analysis.__all__)
    assert set(PUBLIC) <= set(dir(bl.analysis))


def test_import_is_light():
    code = ("import sys, brainlab.analysis as a; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'bokeh', 'ipywidgets', 'matplotlib'}), "
            "'scipy.sparse' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["[]", "False"], out  # no plotting or widgets, and the cycle machinery loads on first use


def fhn(v, w, I=0.5, a=0.7, b=0.8, tau=12.5):
    return v - v**3 / 3 - w + I, (v + a - b * w) / tau


def test_the_example_of_the_issue():
    pp = bl.analysis.PhasePlane(fhn, variables={"v": (-3, 3), "w": (-2, 3)}, params={"I": 0.5})
    fps = pp.fixed_points()  # each: state, eigenvalues, kind
    roots = np.roots([-1 / 3, 0.0, 1 - 1 / 0.8, 0.5 - 0.7 / 0.8])  # v - v^3/3 - (v + a)/b + I = 0
    (v_ref,) = roots[np.abs(roots.imag) < 1e-12].real
    (fp,) = fps
    assert abs(fp.state["v"] - v_ref) < 1e-12 and fp.kind == "unstable focus" and fp.eigenvalues.shape == (2,)
    cont = bl.analysis.Continuation(fhn, param="I", bounds=(0.0, 2.0))
    branch = cont.equilibria(start={"v": -1.2, "w": -0.62}, params={"I": 0.0})
    assert [sp.kind for sp in branch.special_points] == ["hopf", "hopf"]
    v_h = np.sqrt(1 - 0.8 / 12.5)
    for sp, v in zip(branch.special_points, (-v_h, v_h)):
        w = (v + 0.7) / 0.8
        assert abs(sp.state["v"] - v) < 1e-10 and abs(sp.params["I"] - (v**3 / 3 - v + w)) < 1e-10
        assert sp.l1 is not None and sp.l1 > 0  # the first Lyapunov coefficient of each Hopf point


def test_fast_slow_analysis_of_the_hindmarsh_rose_model():
    hr = bl.neurons.HindmarshRose(1)
    res = bl.analysis.fast_slow_analysis(hr, {"x": -1.6, "y": -12.0, "z": 2.0}, slow_index="z",
                                         params={"I_ext": 2.0}, z_bounds=(1.0, 3.5), t_final=1500.0, transient=300.0)
    assert isinstance(res, bl.analysis.FastSlowResult)
    assert res.names == ("x", "y", "z") and res.slow_index == 2 and res.fast_indices == (0, 1)
    np.testing.assert_allclose(sorted(p.z for p in res.folds), [49 / 27, 3.0], rtol=1e-9)
    # the burst: the simulated z turns back where the spiking cycles of the fast subsystem end (homoclinic)
    ends = [c.params.max() for c in res.cycles if c.stop_reason == "homoclinic" and c.params.max() < 2.5]
    assert len(ends) == 1 and abs(res.trajectory[:, 2].max() - ends[0]) < 0.05, (ends, res.trajectory[:, 2].max())
    assert res.trajectory[:, 2].min() < 49 / 27 + 0.05  # the silent phase ends at the lower fold
    assert "<html" in file_html(res.plot("x"), CDN, "fast-slow").lower()


def test_slow_points_of_a_model_match_its_equilibria():
    wc = bl.neurons.WilsonCowan(1)
    cont = bl.analysis.Continuation(wc, "I_ext", (-2.0, 6.0))
    branch = cont.equilibria()
    rng = np.random.default_rng(0)
    res = bl.analysis.find_slow_points(wc, rng.uniform(0.0, 0.4, (64, 2)), params={"I_ext": 1.0})
    fixed = res.fixed_points
    # three equilibria at I = 1 (between the two folds of the S-shaped branch)
    on_branch = branch.states[np.argsort(np.abs(branch.params - 1.0))[:12]]
    assert len(fixed) == 3
    for x in fixed:
        sys_ = bl.analysis.as_system(wc)
        p = sys_.params_vector({"I_ext": 1.0})
        assert np.max(np.abs(sys_.evaluate(x, p))) < 1e-10
    assert min(np.min(np.linalg.norm(on_branch - x, axis=1)) for x in fixed) < 0.05


def test_two_parameter_curves_of_a_model():
    cont = bl.analysis.Continuation(bl.neurons.FHN(1), "I_ext", (-1.0, 3.0))
    hopf = cont.equilibria().special("hopf")[0]
    curve = cont.hopf_curve(hopf, "b", (0.1, 5.0))
    assert isinstance(curve, bl.analysis.Codim2Branch) and curve.param_names == ("I_ext", "b")
    bt = curve.special("bogdanov_takens")
    assert len(bt) == 1 and abs(bt[0].params["b"] - np.sqrt(12.5)) < 1e-8
    assert "<html" in file_html(curve.plot(), CDN, "codim2").lower()


def test_every_result_plots_a_bokeh_figure():
    from bokeh.models import Plot

    pp = bl.analysis.PhasePlane(bl.neurons.MorrisLecar(1), variables={"V": (-80.0, 60.0), "w": (-0.1, 0.8)})
    portrait = pp.portrait(trajectories=[{"V": -10.0, "w": 0.015}], duration=200.0)
    branch = bl.analysis.Continuation(fhn, "I", (0.0, 2.0)).equilibria(start={"v": -1.2, "w": -0.62},
                                                                      params={"I": 0.0})
    cycles = branch.limit_cycles(max_steps=10)
    slow = bl.analysis.find_slow_points(lambda x: -x + 0.5, np.zeros((2, 3)))
    results = [pp.vector_field(), pp.nullclines(), pp.fixed_points(), portrait.trajectories[0], portrait,
               branch, cycles, slow]
    for r in results:
        assert isinstance(r.plot(), Plot), type(r).__name__
    assert isinstance(pp.plot(), Plot)


@pytest.mark.parametrize("name", ["LIF", "ExpIF", "AdEx", "QIF", "Izhikevich"])
def test_reset_models_say_the_analysis_is_subthreshold(name):
    sys_ = bl.analysis.as_system(getattr(bl.neurons, name)(1))
    assert sys_.reset is not None and "subthreshold" in sys_.note and "reset" in repr(sys_)


@pytest.mark.parametrize("module", ["_system", "_classify", "_continuation", "_phase_plane", "_periodic",
                                    "_fast_slow", "_slow_points", "_contour"])
def test_docstring_examples_exist(module):
    import doctest
    import importlib

    # The examples run once, under `--doctest-modules` (pyproject.toml); here: every module has some.
    mod = importlib.import_module(f"brainlab.analysis.{module}")
    assert sum(len(t.examples) for t in doctest.DocTestFinder().find(mod)) > 0
