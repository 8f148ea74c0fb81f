"""Benchmark of brainlab.train's reservoirs: an ESN of N = 500 units over 10,000 steps, fit and run, vs reservoirpy.

The task: Mackey-Glass (tau = 17, ``bl.train.mackey_glass``, scaled to [-1, 1]) predicted 10 steps ahead;
10,000 input steps, the first 9,000 for fitting (warm-up 100), the last 1,000 run for the test NRMSE
(RMSE / s.d. of the target).  Settings: leak 0.3, spectral radius 1.25, density 0.1, input density 0.1,
ridge 1e-6, seed 0 (the reservoirs differ between libraries: same distribution, different draws).

brainlab (float32 states, float64 readout solve) is timed
* ``first``: a fresh ESN's fit and run, compilation included (what a notebook user waits for once);
* ``warm``: the same ESN fitted and run again (compiled programs reused), best of ``REPEATS``.
reservoirpy 0.4.2 (numpy, float64, scipy sparse W) runs in its own venv, ``benchmarks/.peers/venv-reservoirpy``
(``benchmarks/peers/requirements-reservoirpy.txt``), through ``benchmarks/peers/reservoirpy_esn.py`` on the same
series; best of ``REPEATS``.  Without that venv the peer row says so.

Run: ``.venv/bin/python benchmarks/training_reservoir.py``.  Prints a table and writes
``benchmarks/results/training_reservoir.json``.
"""

from __future__ import annotations

import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

import jax
import numpy as np

import brainlab as bl

HERE = pathlib.Path(__file__).parent
RESULTS = HERE / "results" / "training_reservoir.json"
PEERS_DIR = pathlib.Path(os.environ.get("PEERS_DIR", HERE / ".peers"))
N_UNITS, N_STEPS, N_TRAIN, HORIZON, REPEATS = 500, 10_000, 9_000, 10, 3
SETTINGS = dict(leak=0.3, spectral_radius=1.25, density=0.1, input_density=0.1, ridge=1e-6, warmup=100)


def series() -> np.ndarray:
    x = bl.train.mackey_glass(N_STEPS + HORIZON)
    return 2 * (x - x.min()) / (x.max() - x.min()) - 1


def _nrmse(y, t) -> float:
    return float(np.sqrt(np.mean((np.asarray(y, np.float64) - t) ** 2)) / t.std())


def brainlab_esn(x: np.ndarray) -> dict:
    X, Y = x[:-HORIZON], x[HORIZON:]
    t0 = time.perf_counter()
    esn = bl.train.ESN(1, n_units=N_UNITS, seed=0, **SETTINGS)
    t1 = time.perf_counter()
    esn.fit(X[:N_TRAIN], Y[:N_TRAIN])
    t2 = time.perf_counter()
    y = jax.block_until_ready(esn.run(X[N_TRAIN:]))
    t3 = time.perf_counter()
    out = {"build_s": t1 - t0, "first_fit_s": t2 - t1, "first_run_s": t3 - t2, "nrmse": _nrmse(y, Y[N_TRAIN:])}
    fit, run = np.inf, np.inf
    for _ in range(REPEATS):
        esn.reset()
        t0 = time.perf_counter()
        esn.fit(X[:N_TRAIN], Y[:N_TRAIN])
        t1 = time.perf_counter()
        jax.block_until_ready(esn.run(X[N_TRAIN:]))
        t2 = time.perf_counter()
        fit, run = min(fit, t1 - t0), min(run, t2 - t1)
    out.update(warm_fit_s=fit, warm_run_s=run)
    return out


def reservoirpy_esn(x: np.ndarray) -> dict:
    py = PEERS_DIR / "venv-reservoirpy" / "bin" / "python"
    if not py.exists():
        return {"skipped": f"no {py} (create it: python3.11 -m venv {py.parent.parent} && "
                           f"{py.parent}/pip install -r benchmarks/peers/requirements-reservoirpy.txt)"}
    with tempfile.TemporaryDirectory() as d:
        path = pathlib.Path(d) / "series.npy"
        np.save(path, x)
        cmd = [str(py), str(HERE / "peers" / "reservoirpy_esn.py"), "--data", str(path), "--units", str(N_UNITS),
               "--n-train", str(N_TRAIN), "--horizon", str(HORIZON), "--repeats", str(REPEATS),
               "--lr", str(SETTINGS["leak"]), "--sr", str(SETTINGS["spectral_radius"]),
               "--ridge", str(SETTINGS["ridge"]), "--density", str(SETTINGS["density"]),
               "--input-density", str(SETTINGS["input_density"]), "--warmup", str(SETTINGS["warmup"])]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])


def main() -> dict:
    x = series()
    b = brainlab_esn(x)
    r = reservoirpy_esn(x)
    print(f"ESN N = {N_UNITS}, {N_STEPS} steps (fit {N_TRAIN}, run {N_STEPS - N_TRAIN}), Mackey-Glass {HORIZON} steps "
          f"ahead  ({jax.default_backend()}, {platform.processor() or platform.machine()}, {os.cpu_count()} cpus)")
    print(f"{'':<28} {'fit (s)':>9} {'run (s)':>9} {'fit+run (s)':>12} {'test NRMSE':>11}")
    print(f"{'brainlab, first (compiles)':<28} {b['first_fit_s']:>9.3f} {b['first_run_s']:>9.3f} "
          f"{b['first_fit_s'] + b['first_run_s']:>12.3f} {b['nrmse']:>11.4f}")
    print(f"{'brainlab, warm':<28} {b['warm_fit_s']:>9.3f} {b['warm_run_s']:>9.3f} "
          f"{b['warm_fit_s'] + b['warm_run_s']:>12.3f} {b['nrmse']:>11.4f}")
    if "skipped" in r:
        print(f"reservoirpy: skipped, {r['skipped']}")
    else:
        tot = r["fit_s"] + r["run_s"]
        print(f"{'reservoirpy ' + r['reservoirpy']:<28} {r['fit_s']:>9.3f} {r['run_s']:>9.3f} {tot:>12.3f} "
              f"{r['nrmse']:>11.4f}")
        print(f"brainlab / reservoirpy (fit+run): first {(b['first_fit_s'] + b['first_run_s']) / tot:.2f}, "
              f"warm {(b['warm_fit_s'] + b['warm_run_s']) / tot:.2f}")
    res = {"backend": jax.default_backend(), "machine": platform.platform(), "cpus": os.cpu_count(),
           "settings": dict(SETTINGS, n_units=N_UNITS, n_steps=N_STEPS, n_train=N_TRAIN, horizon=HORIZON),
           "brainlab": b, "reservoirpy": r}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(res, indent=1))
    print(f"wrote {RESULTS}")
    return res


if __name__ == "__main__":
    main()
