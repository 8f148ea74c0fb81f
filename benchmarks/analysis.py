"""Benchmark of brainlab.analysis: continuation of the Hodgkin-Huxley rest branch and phase-plane updates.

Run: ``.venv/bin/python benchmarks/analysis.py``.  Prints a table and writes ``benchmarks/results/analysis.json``.

1. HH (1952 squid axon, rest -65 mV) equilibria continued in I_ext over [0, 200] µA/cm² with every special point
   located (two Hopf points, each with its first Lyapunov coefficient).  Target after compilation: <= 2 s.  Both
   the built-in model ``bl.neurons.HH`` (from its resting state, no start given) and a plain JAX function.
2. Phase planes (FitzHugh-Nagumo function, Morris-Lecar model): after a parameter change, recompute the vector
   field (21x21), the nullclines (201x201 marching squares) and the fixed points with their eigenvalues.
   Target: <= 50 ms.
3. For information (no target): the HH branch of limit cycles from its first Hopf point to its second, with the
   folds of cycles and period doublings located.

Times are the minimum over repeats (the machine may be shared); compilation is measured separately.
"""

from __future__ import annotations

import json
import pathlib
import platform
import time

import jax
import jax.numpy as jnp
import numpy as np

import brainlab as bl
from brainlab.analysis import Continuation, PhasePlane


def _vtrap(x, k):
    u = x / k
    small = jnp.abs(u) < 1e-6
    us = jnp.where(small, 1.0, u)
    return jnp.where(small, k * (1.0 + u / 2.0), x / (-jnp.expm1(-us)))


def hh(V, m, h, n, I_ext=0.0, g_Na=120.0, g_K=36.0, g_L=0.3, E_Na=50.0, E_K=-77.0, E_L=-54.387, C=1.0):
    """Hodgkin & Huxley (1952), modern sign convention (rest -65 mV); mV, ms, mS/cm², µA/cm²."""
    am, bm = 0.1 * _vtrap(V + 40.0, 10.0), 4.0 * jnp.exp(-(V + 65.0) / 18.0)
    ah, bh = 0.07 * jnp.exp(-(V + 65.0) / 20.0), 1.0 / (1.0 + jnp.exp(-(V + 35.0) / 10.0))
    an, bn = 0.01 * _vtrap(V + 55.0, 10.0), 0.125 * jnp.exp(-(V + 65.0) / 80.0)
    I_ion = g_Na * m**3 * h * (V - E_Na) + g_K * n**4 * (V - E_K) + g_L * (V - E_L)
    return (I_ext - I_ion) / C, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n


def fhn(v, w, I=0.5, a=0.7, b=0.8, tau=12.5):
    return v - v**3 / 3 - w + I, (v + a - b * w) / tau


def _best(fn, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> dict:
    start = {"V": -65.0, "m": 0.05, "h": 0.6, "n": 0.32}
    cont = Continuation(hh, param="I_ext", bounds=(0.0, 200.0))
    t0 = time.perf_counter()
    branch = cont.equilibria(start=start, params={"I_ext": 0.0})
    first = time.perf_counter() - t0
    trace0 = cont.system.trace_count
    t_branch = _best(lambda: cont.equilibria(start=start, params={"I_ext": 0.0}), 5)
    assert cont.system.trace_count == trace0, "continuation recompiled on a repeated run"
    hopf = branch.special("hopf")

    model = Continuation(bl.neurons.HH(1), param="I_ext", bounds=(0.0, 200.0))
    t0 = time.perf_counter()
    model_branch = model.equilibria()
    model_first = time.perf_counter() - t0
    t_model = _best(model.equilibria, 5)
    assert [sp.kind for sp in model_branch.special_points] == ["hopf", "hopf"]

    t0 = time.perf_counter()
    cycles = model_branch.limit_cycles()
    cycles_first = time.perf_counter() - t0
    t_cycles = _best(model_branch.limit_cycles, 2)

    pp = PhasePlane(fhn, variables={"v": (-3, 3), "w": (-2, 3)}, params={"I": 0.5})
    t0 = time.perf_counter()
    pp.update(I=0.5)
    pp_first = time.perf_counter() - t0
    values = iter(np.linspace(0.0, 1.5, 10_000))
    trace1 = pp.system.trace_count
    t_update = _best(lambda: pp.update(I=float(next(values))), 30)
    assert pp.system.trace_count == trace1, "phase-plane update recompiled after a parameter change"

    ml = PhasePlane(bl.neurons.MorrisLecar(1), variables={"V": (-70.0, 50.0), "w": (-0.05, 0.6)})
    t0 = time.perf_counter()
    ml.update(I_ext=0.0)
    ml_first = time.perf_counter() - t0
    currents = iter(np.linspace(0.0, 150.0, 10_000))
    t_ml = _best(lambda: ml.update(I_ext=float(next(currents))), 30)

    rows = [
        ("HH branch I_ext in [0, 200], all special points", t_branch, 2.0, first),
        ("  same, built-in bl.neurons.HH from rest", t_model, 2.0, model_first),
        ("FHN phase-plane update after a parameter change", t_update, 0.050, pp_first),
        ("Morris-Lecar (model) phase-plane update", t_ml, 0.050, ml_first),
        ("HH limit cycles, Hopf to Hopf (information)", t_cycles, float("nan"), cycles_first),
    ]
    print(f"{'benchmark':52s} {'time (s)':>10s} {'target (s)':>11s} {'first call (s)':>15s}  ok")
    for name, t, target, f in rows:
        ok = "-" if np.isnan(target) else ("yes" if t <= target else "NO")
        print(f"{name:52s} {t:10.4f} {target:11.3f} {f:15.2f}  {ok}")
    print(f"HH branch: {len(branch)} points; Hopf at I_ext = "
          + ", ".join(f"{sp.params['I_ext']:.6f} (l1 = {sp.l1:.4g}, {sp.criticality})" for sp in hopf))
    folds = sorted(sp.param for sp in cycles.special("fold_cycle"))
    print(f"HH cycles: {len(cycles)} points, stopped: {cycles.stop_reason}; folds of cycles at I_ext = "
          + ", ".join(f"{f:.6f}" for f in folds))
    result = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "jax": jax.__version__,
                    "devices": [str(d) for d in jax.devices()]},
        "hh_branch": {"seconds": t_branch, "target_seconds": 2.0, "first_call_seconds": first,
                      "points": len(branch),
                      "hopf_I_ext": [sp.params["I_ext"] for sp in hopf], "hopf_l1": [sp.l1 for sp in hopf]},
        "hh_branch_model": {"seconds": t_model, "target_seconds": 2.0, "first_call_seconds": model_first},
        "phase_plane_update": {"seconds": t_update, "target_seconds": 0.050, "first_call_seconds": pp_first},
        "phase_plane_update_morris_lecar": {"seconds": t_ml, "target_seconds": 0.050, "first_call_seconds": ml_first},
        "hh_limit_cycles": {"seconds": t_cycles, "first_call_seconds": cycles_first, "points": len(cycles),
                            "fold_cycle_I_ext": folds},
    }
    out = pathlib.Path(__file__).parent / "results" / "analysis.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
