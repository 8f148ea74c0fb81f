"""Bad input to the dynamics analysis: every message names the object, the argument and the fix.

Table-driven: each row is a call that must fail, the exception type, and a regular expression that the message
must match; the expression always contains the analysed object's name (``HH``, ``fhn`` ...), the offending argument
and the way out (the valid names, a corrected call, or what to pass instead).
"""

from __future__ import annotations

import numpy as np
import pytest

import brainlab as bl
from brainlab.analysis import Continuation, PhasePlane, fast_slow_analysis, find_slow_points


def fhn(v, w, I=0.5, a=0.7, b=0.8, tau=12.5):
    return v - v**3 / 3 - w + I, (v + a - b * w) / tau


HH = bl.neurons.HH(1)
LIF = bl.neurons.LIF(1)
FHN = bl.neurons.FHN(1)
HR = bl.neurons.HindmarshRose(1)
WINDOW = {"V": (-80.0, 40.0), "n": (0.0, 1.0)}


def _fhn_fold_hopf():
    cont = Continuation(fhn, "I", (0.0, 2.0))
    return cont, cont.equilibria(start={"v": -1.2, "w": -0.62}, params={"I": 0.0}).special("hopf")[0]


CASES = [
    # --- Continuation: the parameter and its bounds
    ("unknown parameter, with a suggestion", lambda: Continuation(HH, param="I", bounds=(0, 200)),
     ValueError, r"Continuation: HH has no parameter 'I' \(param='I'\)\. Did you mean 'I_ext'\? Valid parameters: "
                 r"'gNa', .*'I_ext'\."),
    ("a model without that parameter", lambda: Continuation(LIF, param="gNa", bounds=(0, 1)),
     ValueError, r"LIF has no parameter 'gNa' \(param='gNa'\)\. Valid parameters: 'V_rest', .*'I_ext'\."),
    ("a state variable as parameter", lambda: Continuation(HH, param="V", bounds=(0, 1)),
     ValueError, r"HH has no parameter 'V' \(param='V'\)\. 'V' is a state variable of HH, not a parameter\."),
    ("bounds reversed", lambda: Continuation(HH, param="I_ext", bounds=(200, 0)),
     ValueError, r"bounds=\(200, 0\) of HH's parameter 'I_ext' are reversed; pass them as \(low, high\): "
                 r"bounds=\(0, 200\)"),
    ("bounds not a pair", lambda: Continuation(HH, param="I_ext", bounds=(0,)),
     ValueError, r"bounds must be a pair \(low, high\) of HH's parameter 'I_ext', got bounds=\(0,\); e\.g\."),
    ("bounds empty", lambda: Continuation(fhn, param="I", bounds=(1, 1)),
     ValueError, r"bounds=\(1, 1\) of fhn's parameter 'I' are an empty interval; pass low < high"),
    ("parameter outside the vector field", lambda: Continuation(LIF, "V_th", (-60, -40)).equilibria(
        params={"V_th": -50.0}),
     ValueError, r"parameter 'V_th' does not enter the vector field of LIF.*integrate-and-fire.*Continue a "
                 r"parameter that enters it: 'V_rest', 'tau', 'R', 'I_ext'"),
    # --- Continuation.equilibria: start and params
    ("start missing a variable", lambda: Continuation(fhn, "I", (0, 2)).equilibria(start={"v": -1.2}),
     ValueError, r"Continuation\.equilibria: start is missing 'w'; give every variable of fhn, e\.g\. "
                 r"start=\{'v': -1\.2, 'w': \.\.\.\}"),
    ("start naming an unknown variable", lambda: Continuation(fhn, "I", (0, 2)).equilibria(
        start={"v": -1.2, "x": 0.0}),
     ValueError, r"fhn has no state variable 'x' \(in start\)\. Valid variables: 'v', 'w'\."),
    ("start given in the wrong shape", lambda: Continuation(HH, "I_ext", (0, 200)).equilibria(start=[-65.0, 0.1]),
     ValueError, r"start must give the 4 variables of HH \('V', 'm', 'h', 'n'\), as a dict or in that order"),
    ("unknown name in params", lambda: Continuation(HH, "I_ext", (0, 200)).equilibria(params={"gna": 100.0}),
     ValueError, r"HH has no parameter 'gna' \(in params\)\. Did you mean 'gNa'\?"),
    ("start value outside the bounds", lambda: Continuation(HH, "I_ext", (0, 200)).equilibria(
        params={"I_ext": 300.0}),
     ValueError, r"the starting value I_ext=300 lies outside bounds=\(0\.0, 200\.0\); pass params=\{'I_ext': "
                 r"value\} inside the bounds"),
    # --- PhasePlane
    ("variable missing from the model", lambda: PhasePlane(HH, variables={"V": (-80, 40), "x": (0, 1)}),
     ValueError, r"PhasePlane: HH has no state variable 'x' \(in variables\)\. Valid variables: 'V', 'm', 'h', 'n'"),
    ("variable in the wrong case", lambda: PhasePlane(bl.neurons.MorrisLecar(1), variables={"V": (-80, 40),
                                                                                           "W": (0, 1)}),
     ValueError, r"MorrisLecar has no state variable 'W' \(in variables\)\. Did you mean 'w'\?"),
    ("window reversed", lambda: PhasePlane(HH, variables={"V": (40, -80), "n": (0, 1)}),
     ValueError, r"the window of 'V' in variables must be \(low, high\) with low < high, got \(40, -80\); pass "
                 r"variables=\{\.\.\., 'V': \(-80, 40\)\}"),
    ("slice of a function without fixed values", lambda: PhasePlane(fhn, variables={"v": (-3, 3)}),
     ValueError, r"fhn has 2 variables; the ones not displayed need values for the slice: pass fixed=\{'w': \.\.\.\}"),
    ("fixed naming a displayed variable", lambda: PhasePlane(HH, variables=WINDOW, fixed={"V": -65.0}),
     ValueError, r"fixed=\{'V': -65\.0\} names 'V', which is displayed .* of HH; fixed takes the variables not "
                 r"displayed: 'm', 'h'"),
    ("unknown name in params", lambda: PhasePlane(HH, variables=WINDOW, params={"I": 5.0}),
     ValueError, r"PhasePlane: HH has no parameter 'I' \(in params\)\. Did you mean 'I_ext'\?"),
    ("set_params with an unknown name", lambda: PhasePlane(HH, variables=WINDOW).set_params(I=5.0),
     ValueError, r"PhasePlane\.set_params: HH has no parameter 'I' \(in set_params\(I=\.\.\.\)\)\. Did you mean "
                 r"'I_ext'\?"),
    ("trajectory start missing a displayed variable", lambda: PhasePlane(HH, variables=WINDOW).trajectory(
        {"V": -65.0}),
     ValueError, r"PhasePlane\.trajectory: start is missing 'n'; a start gives exactly the displayed variables of "
                 r"HH, e\.g\. start=\{'V': -65\.0, 'n': \.\.\.\}"),
    # --- two parameters and cycles
    ("param2 unknown", lambda: Continuation(fhn, "I", (0, 2)).hopf_curve(_fhn_fold_hopf()[1], "bb", (0.1, 5)),
     ValueError, r"Continuation\.hopf_curve: fhn has no parameter 'bb' \(param2='bb'\)\. Did you mean 'b'\?"),
    ("bounds2 reversed", lambda: Continuation(fhn, "I", (0, 2)).hopf_curve(_fhn_fold_hopf()[1], "b", (5, 0.1)),
     ValueError, r"bounds2=\(5, 0\.1\) of fhn's parameter 'b' must be \(low, high\) with low < high; pass "
                 r"bounds2=\(0\.1, 5\)"),
    ("limit cycles from a non-Hopf point", lambda: Continuation(fhn, "I", (0, 2)).limit_cycles("H1"),
     ValueError, r"Continuation\.limit_cycles: limit cycles are born at Hopf points; got a 'str' point\. Pass a "
                 r"Hopf point of a branch of fhn, e\.g\. branch\.special\('hopf'\)\[0\]"),
    # --- fast-slow and slow points with models
    ("fast-slow: unknown slow variable", lambda: fast_slow_analysis(HR, slow_index="q", z_bounds=(1, 3),
                                                                    t_final=10.0),
     ValueError, r"fast_slow_analysis: HindmarshRose has no state variable 'q' \(in slow_index\)\. Valid variables: "
                 r"'x', 'y', 'z'"),
    ("fast-slow: params with a plain function", lambda: fast_slow_analysis(lambda u: -u, np.zeros(2), slow_index=1,
                                                                           params={"I": 1.0}, z_bounds=(0, 1),
                                                                           t_final=1.0),
     TypeError, r"fast_slow_analysis: params= applies to a brainlab model or System; for a plain function F\(u\) "
                r"close over the parameter values"),
    ("slow points: unknown parameter of a model", lambda: find_slow_points(FHN, np.zeros((4, 2)),
                                                                           params={"I": 1.0}),
     ValueError, r"find_slow_points: FHN has no parameter 'I' \(in params\)\. Did you mean 'I_ext'\?"),
]


@pytest.mark.parametrize("call, exc, pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_names_the_object_the_argument_and_the_fix(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()
