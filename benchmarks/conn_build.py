"""Build time and memory of brainlab.conn's random connectivity (FixedProb, about 80 synapses per neuron).

For N = 4k, 16k, 64k, 256k neurons with p = 80 / N, it measures in fresh subprocesses:

* ``build``: the best of 3 builds in a process whose kernels are loaded (the steady cost, wall time), and the
  CPU time of that build summed over threads (a figure that other processes' load does not inflate);
* ``build + compile``: that plus the numba compile time, measured once (it does not depend on N) as the first
  build in a process with an empty numba cache directory minus its steady build (what a user pays once per
  installation: the kernels are cached on disk with ``cache=True``);
* ``1st call, cached``: the first build in a new process, loading the kernels from the on-disk cache;
* ``peak MB``: the peak of memory traced by ``tracemalloc`` during one build (numpy arrays: the CSR output and the
  per-row counts; the numba kernels allocate nothing large) and the increase of the process's peak RSS.

The target (BrainPy needs about 75 s for a 64k-neuron, 5M-synapse network) is 64k neurons in at most 1 s.
A second table gives the steady build time of the other rules at 64k neurons. Results go to
``benchmarks/results/conn_build.json``.

Run: ``.venv/bin/python benchmarks/conn_build.py`` (about a minute on 2 cores).
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

SIZES = [4_000, 16_000, 64_000, 256_000]
SYN_PER_NEURON = 80
TARGET_N, TARGET_S = 64_000, 1.0
ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "conn_build.json"


def _status_kb(field: str) -> int | None:
    try:
        for line in pathlib.Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> int | None:
    """Reset the kernel's peak-RSS mark (Linux: write 5 to /proc/self/clear_refs); return the current RSS in kB."""
    try:
        pathlib.Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return None
    return _status_kb("VmRSS")


def _peak_rss() -> int | None:
    return _status_kb("VmHWM")


def _worker(n: int) -> dict:
    """Runs in a subprocess: first build (cold or warm cache, as the environment says), then steady builds."""
    import tracemalloc

    import numba

    import brainlab.conn as bc

    rule = bc.FixedProb(SYN_PER_NEURON / n, seed=1)
    t0 = time.perf_counter()
    conn = rule.build(n, n)
    first = time.perf_counter() - t0
    del conn
    rss0 = _reset_peak_rss()
    tracemalloc.start()
    conn = rule.build(n, n)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss1 = _peak_rss()
    nnz = conn.nnz
    del conn
    times, cpu = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        rule.build(n, n)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {
        "n": n,
        "prob": SYN_PER_NEURON / n,
        "nnz": nnz,
        "first_call_s": first,
        "build_s": min(times),
        "build_times_s": times,
        "build_cpu_s": min(cpu),  # CPU time of all threads: insensitive to other processes' load
        "peak_traced_mb": peak / 1e6,
        "peak_rss_increase_mb": None if rss0 is None or rss1 is None else (rss1 - rss0) / 1e3,
        "numba_threads": numba.get_num_threads(),
    }


def _others_worker(n: int) -> list[dict]:
    """Steady build time of the other rules at n neurons (about 80 synapses per neuron)."""
    import math

    import brainlab.conn as bc

    side = int(round(math.sqrt(n)))
    sigma = math.sqrt(SYN_PER_NEURON / (0.5 * 2 * math.pi))  # 0.5 * 2 pi sigma^2 = 80 per neuron
    cases = [
        ("FixedProb(allow_multapses=True)", bc.FixedProb(SYN_PER_NEURON / n, allow_multapses=True, seed=1), n, n),
        ("FixedPostNum(80)", bc.FixedPostNum(SYN_PER_NEURON, seed=1), n, n),
        ("FixedPreNum(80)", bc.FixedPreNum(SYN_PER_NEURON, seed=1), n, n),
        (f"GaussianProb(sigma={sigma:.2f}, max_prob=0.5, periodic) {side}x{side}",
         bc.GaussianProb(sigma, 0.5, periodic=True, seed=1), (side, side), (side, side)),
    ]
    rows = []
    for name, rule, a, b in cases:
        rule.build(a, b)  # load or compile the kernels
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            conn = rule.build(a, b)
            times.append(time.perf_counter() - t0)
        rows.append({"rule": name, "n_pre": conn.n_pre, "nnz": conn.nnz, "build_s": min(times)})
    return rows


def _run(args: list[str], env: dict[str, str]) -> object:
    out = subprocess.run(
        [sys.executable, __file__, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise RuntimeError(f"worker {args} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    import numba
    import numpy as np

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    # Compilation is the same whatever N: measure it once, with an empty numba cache directory.
    with tempfile.TemporaryDirectory() as cache:
        cold = _run(["--worker", str(SIZES[0])], {**env, "NUMBA_CACHE_DIR": cache})
    compile_s = cold["first_call_s"] - cold["build_s"]
    print(f"  numba compile of the FixedProb kernels: {compile_s:.1f} s", flush=True)
    rows = []
    for n in SIZES:
        row = _run(["--worker", str(n)], env)  # kernels cached on disk (by the run above at the latest)
        row["first_call_warm_cache_s"] = row.pop("first_call_s")
        row["build_plus_compile_s"] = row["build_s"] + compile_s
        rows.append(row)
        print(f"  measured N = {n:,}", flush=True)
    others = _run(["--others", str(TARGET_N)], env)

    print(f"\nFixedProb(p = {SYN_PER_NEURON}/N), pre = post = N, numba threads = {rows[0]['numba_threads']}, "
          f"{os.cpu_count()} CPUs")
    head = (f"{'N':>8} {'nnz':>12} {'build s':>9} {'CPU s':>7} {'build + compile s':>18} {'1st call, cached s':>19} "
            f"{'peak traced MB':>15} {'peak RSS +MB':>13}")
    print(head)
    print("-" * len(head))
    for r in rows:
        rss = "n/a" if r["peak_rss_increase_mb"] is None else f"{r['peak_rss_increase_mb']:.1f}"
        print(f"{r['n']:>8,} {r['nnz']:>12,} {r['build_s']:>9.3f} {r['build_cpu_s']:>7.3f} "
              f"{r['build_plus_compile_s']:>18.2f} "
              f"{r['first_call_warm_cache_s']:>19.3f} {r['peak_traced_mb']:>15.1f} {rss:>13}")
    print(f"(build: wall time, best of 3; CPU: CPU time of all threads; compile, measured once with an empty numba "
          f"cache: {compile_s:.1f} s; '1st call, cached': first build in a new process, kernels loaded from the "
          f"on-disk cache)")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average while measuring: {load:.1f} on {os.cpu_count()} CPUs")
    target = next(r for r in rows if r["n"] == TARGET_N)
    ok = target["build_s"] <= TARGET_S
    print(f"\ntarget: N = {TARGET_N:,} ({target['nnz']:,} synapses) in <= {TARGET_S} s: "
          f"{target['build_s']:.3f} s -> {'met' if ok else 'NOT met'}")
    print(f"\nother rules at N = {TARGET_N:,} (steady build, best of 3)")
    for r in others:
        print(f"  {r['rule']:<55} nnz {r['nnz']:>10,}  {r['build_s']:.3f} s")

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "benchmark": "brainlab.conn FixedProb build, p = 80 / N",
        "machine": {"cpus": os.cpu_count(), "load_average_1min": os.getloadavg()[0],
                    "platform": platform.platform(), "python": platform.python_version(),
                    "numpy": np.__version__, "numba": numba.__version__},
        "target": {"n": TARGET_N, "max_build_s": TARGET_S, "met": ok},
        "numba_compile_s": compile_s,
        "fixed_prob": rows,
        "other_rules": others,
    }, indent=2))
    print(f"\nwrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        print(json.dumps(_worker(int(sys.argv[2]))))
    elif len(sys.argv) == 3 and sys.argv[1] == "--others":
        print(json.dumps(_others_worker(int(sys.argv[2]))))
    else:
        main()
