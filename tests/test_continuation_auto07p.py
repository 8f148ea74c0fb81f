"""Cross-check against AUTO-07p (Doedel et al.), run on the same systems from C sources written here.

Needs the Debian packages ``auto-07p`` and ``gfortran`` (AUTO compiles and links the equations file); skipped
otherwise.  AUTO locates special points to its tolerance EPSS (set to 1e-10 here) and prints 11 significant
digits, so we compare at 1e-7 relative.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from brainlab.analysis._continuation import Continuation

pytestmark = pytest.mark.skipif(
    not (shutil.which("auto-07p") and shutil.which("gfortran") and shutil.which("gcc")),
    reason="AUTO-07p (apt-get install auto-07p gfortran) is not installed",
)

_TEMPLATE = r"""
#include "auto_f2c.h"
#include <math.h>
static double vtrap(double x, double k) {
  double u = x / k; return fabs(u) < 1e-6 ? k * (1.0 + u / 2.0) : x / (-expm1(-u)); }
int func (integer ndim, const doublereal *u, const integer *icp, const doublereal *par, integer ijac,
          doublereal *f, doublereal *dfdu, doublereal *dfdp) {
%(body)s
  return 0; }
int stpnt (integer ndim, doublereal t, doublereal *u, doublereal *par) {
%(start)s
  return 0; }
int bcnd (integer ndim, const doublereal *par, const integer *icp, integer nbc, const doublereal *u0,
          const doublereal *u1, integer ijac, doublereal *fb, doublereal *dbc) { return 0; }
int icnd (integer ndim, const doublereal *par, const integer *icp, integer nint, const doublereal *u,
          const doublereal *uold, const doublereal *udot, const doublereal *upold, integer ijac,
          doublereal *fi, doublereal *dint) { return 0; }
int fopt (integer ndim, const doublereal *u, const integer *icp, const doublereal *par, integer ijac,
          doublereal *fs, doublereal *dfdu, doublereal *dfdp) { return 0; }
int pvls (integer ndim, const doublereal *u, doublereal *par) { return 0; }
"""

_CONSTANTS = """NDIM={ndim}, IPS=1, IRS=0, ILP=1
ICP=[1]
NTST=50, NCOL=4, IAD=3, ISP=1, ISW=1, IPLT=0, NBC=0, NINT=0
NMX=5000, NPR=5000, MXBF=0, IID=2, ITMX=12, ITNW=7, NWTN=3, JAC=0
EPSL=1e-12, EPSU=1e-12, EPSS=1e-10
DS=0.01, DSMIN=1e-8, DSMAX={dsmax}, IADS=1
UZSTOP={{1: [{lo}, {hi}]}}
"""


def _run_auto(tmp_path, name: str, ndim: int, body: str, start: str, lo: float, hi: float, dsmax: float) -> dict:
    (tmp_path / f"{name}.c").write_text(_TEMPLATE % {"body": body, "start": start})
    (tmp_path / f"c.{name}").write_text(_CONSTANTS.format(ndim=ndim, lo=lo, hi=hi, dsmax=dsmax))
    (tmp_path / "run.auto").write_text(f"r = run(e='{name}', c='{name}')\nsave(r, '{name}')\n")
    proc = subprocess.run(["auto-07p", "run.auto"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    out = tmp_path / f"b.{name}"
    assert out.exists(), f"AUTO-07p failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    found: dict[str, list[float]] = {"LP": [], "HB": []}
    for line in out.read_text().splitlines():
        tok = line.split()
        if len(tok) > 4 and tok[0] != "0" and tok[2] in ("2", "3"):
            found["LP" if tok[2] == "2" else "HB"].append(float(tok[4]))
    return found


def test_hodgkin_huxley_hopf_points_agree_with_auto07p(tmp_path):
    from test_continuation_models import _np_hh_rest, hh  # the same equations, and an exact equilibrium

    I0, x0, _ = _np_hh_rest(-65.0)
    body = """
  double V = u[0], m = u[1], h = u[2], n = u[3], I = par[0];
  double am = 0.1 * vtrap(V + 40.0, 10.0), bm = 4.0 * exp(-(V + 65.0) / 18.0);
  double ah = 0.07 * exp(-(V + 65.0) / 20.0), bh = 1.0 / (1.0 + exp(-(V + 35.0) / 10.0));
  double an = 0.01 * vtrap(V + 55.0, 10.0), bn = 0.125 * exp(-(V + 65.0) / 80.0);
  f[0] = I - 120.0 * m*m*m * h * (V - 50.0) - 36.0 * n*n*n*n * (V + 77.0) - 0.3 * (V + 54.387);
  f[1] = am * (1 - m) - bm * m; f[2] = ah * (1 - h) - bh * h; f[3] = an * (1 - n) - bn * n;"""
    start = f"  par[0] = {float(I0)!r};" + "".join(f" u[{i}] = {float(v)!r};" for i, v in enumerate(x0))
    auto = _run_auto(tmp_path, "hh", 4, body, start, -1.0, 201.0, 1.0)
    assert len(auto["HB"]) == 2 and auto["LP"] == []
    ours = Continuation(hh, "I_ext", (-1.0, 200.0)).equilibria(start=dict(zip("Vmhn", x0)), params={"I_ext": I0})
    mine = [sp.params["I_ext"] for sp in ours.special("hopf")]
    np.testing.assert_allclose(mine, sorted(auto["HB"]), rtol=1e-7)


def test_morris_lecar_folds_and_hopf_agree_with_auto07p(tmp_path):
    from test_continuation_models import TYPE_I, _np_ml_rest, ml

    P = TYPE_I
    I0 = float(_np_ml_rest(-60.0, P)[0])
    w0 = 0.5 * (1 + np.tanh((-60.0 - P["V3"]) / P["V4"]))
    body = """
  double V = u[0], w = u[1], I = par[0];
  double minf = 0.5 * (1 + tanh((V + 1.2) / 18.0)), winf = 0.5 * (1 + tanh((V - 12.0) / 17.4));
  f[0] = (I - 2.0 * (V + 60.0) - 4.0 * minf * (V - 120.0) - 8.0 * w * (V + 84.0)) / 20.0;
  f[1] = (1.0 / 15.0) * (winf - w) * cosh((V - 12.0) / (2 * 17.4));"""
    start = f"  par[0] = {I0!r}; u[0] = -60.0; u[1] = {float(w0)!r};"
    # AUTO needs DSMAX <= 0.5 here: with DSMAX = 2 it steps over the lower fold without reporting it.
    auto = _run_auto(tmp_path, "ml", 2, body, start, -50.0, 300.0, 0.5)
    ours = Continuation(ml, "I", (-50.0, 300.0)).equilibria(start={"V": -60.0, "w": w0}, params=dict(P, I=I0))
    assert len(auto["LP"]) == 2 and len(auto["HB"]) == 1
    np.testing.assert_allclose(sorted(sp.params["I"] for sp in ours.special("fold")), sorted(auto["LP"]), rtol=1e-7)
    np.testing.assert_allclose([sp.params["I"] for sp in ours.special("hopf")], auto["HB"], rtol=1e-7)
