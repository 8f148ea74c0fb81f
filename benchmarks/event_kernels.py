"""Cost per time step of spike propagation: numba typed-FFI kernels vs pure JAX vs a dense XLA matvec.

Each operator runs inside a jitted ``jax.lax.scan`` over a pre-drawn spike raster (5 % of the neurons spike at
every step) and feeds a leaky accumulator ``g <- 0.9 g + W^T s``, as a synapse model would.  The time of the same
scan with the propagation replaced by a cast of the spikes (``scan overhead``) is reported too, and subtracted in
the ``net`` columns.  Wall and process-CPU times are both given: on a shared machine the CPU time is steadier (the
numba kernels are single-threaded; XLA's dense matvec may use both cores, so its CPU time exceeds its wall time).
A COBA network at ~20 Hz has far fewer spikes per step (0.2 % at dt = 0.1 ms) than the 5 % used here; one row
(marked 0.2 %) uses that rate.  Sizes: N = 4000 with p = 0.02 (the COBA benchmark's ~80 synapses per neuron)
and N = 64000 with p = 80/N (COBA scaled as in Brian2's and BrainPy's benchmarks, still ~80 synapses per
neuron).  The dense matvec is skipped at 64000 (its matrix would take 16 GB).

Prints a table and writes ``benchmarks/results/event_kernels.json``.
Run: ``.venv/bin/python benchmarks/event_kernels.py`` (about a minute on 2 cores; ``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from brainlab.engine._event import event_csr_matvec, event_fixedprob_onthefly, numba_status

RATE = 0.05
COBA_RATE = 0.002  # 20 Hz at dt = 0.1 ms: the spikes per step of the COBA benchmark
REPEATS = 3


def fixed_prob_csr(n: int, p: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A FixedProb(p) connectivity: binomial out-degrees, uniform targets (sorted per row)."""
    rng = np.random.default_rng(seed)
    degrees = rng.binomial(n, p, size=n)
    indptr = np.concatenate([[0], np.cumsum(degrees)]).astype(np.int32)
    indices = rng.integers(0, n, size=int(indptr[-1]), dtype=np.int32)
    rows = np.repeat(np.arange(n), degrees)
    order = np.lexsort((indices, rows))
    weights = rng.uniform(0.5, 1.0, size=len(indices)).astype(np.float32)
    return indptr, indices[order], weights


def time_scan(op, raster: jax.Array, n_post: int) -> tuple[float, float, float]:
    """(compile seconds, best wall µs per step, best process-CPU µs per step) of a jitted scan of ``op``.

    On a shared machine the CPU time (all threads of this process) is the steadier number; wall time includes
    the time other processes hold the cores.
    """

    @jax.jit
    def run(raster):
        def step(g, s):
            return 0.9 * g + op(s), None

        return jax.lax.scan(step, jnp.zeros((n_post,), jnp.float32), raster)[0]

    t0 = time.perf_counter()
    jax.block_until_ready(run(raster))
    compile_s = time.perf_counter() - t0
    best, best_cpu = np.inf, np.inf
    for _ in range(REPEATS):
        t0, c0 = time.perf_counter(), time.process_time()
        jax.block_until_ready(run(raster))
        best, best_cpu = min(best, time.perf_counter() - t0), min(best_cpu, time.process_time() - c0)
    return compile_s, best / raster.shape[0] * 1e6, best_cpu / raster.shape[0] * 1e6


def cases(n: int, p: float, steps_fast: int, steps_slow: int):
    indptr, indices, w = fixed_prob_csr(n, p, seed=1)
    rng = np.random.default_rng(2)
    raster_fast = jnp.asarray(rng.random((steps_fast, n)) < RATE)
    raster_slow = raster_fast[:steps_slow]
    numba_ok = numba_status() is None
    raster_coba = jnp.asarray(rng.random((steps_fast, n)) < COBA_RATE)
    out = [("scan overhead (no propagation)", lambda s: s.astype(jnp.float32), raster_fast)]
    if numba_ok:
        out += [
            ("numba FFI, CSR per-synapse weights", lambda s: event_csr_matvec(s, indptr, indices, w, n,
                                                                             backend="numba"), raster_fast),
            ("numba FFI, CSR one weight", lambda s: event_csr_matvec(s, indptr, indices, 0.6, n, backend="numba"),
             raster_fast),
            ("numba FFI, CSR one weight, 0.2% spike", lambda s: event_csr_matvec(s, indptr, indices, 0.6, n,
                                                                                backend="numba"), raster_coba),
            ("numba FFI, on-the-fly FixedProb", lambda s: event_fixedprob_onthefly(s, p, 0.6, 7, n, backend="numba"),
             raster_fast),
        ]
    out += [
        ("pure JAX, CSR per-synapse weights", lambda s: event_csr_matvec(s, indptr, indices, w, n, backend="jax"),
         raster_slow),
        ("pure JAX, on-the-fly FixedProb", lambda s: event_fixedprob_onthefly(s, p, 0.6, 7, n, backend="jax"),
         raster_slow),
    ]
    if n * n * 4 <= 2**30:
        dense = np.zeros((n, n), np.float32)
        np.add.at(dense, (np.repeat(np.arange(n), np.diff(indptr)), indices), w)
        dense_j = jnp.asarray(dense)
        out.append(("XLA dense matvec (s @ W)", lambda s: s.astype(jnp.float32) @ dense_j, raster_slow))
    return out, int(indptr[-1])


def main(quick: bool = False) -> dict:
    sizes = [(4000, 0.02, 1000, 200)] if quick else [(4000, 0.02, 1000, 200), (64000, 80 / 64000, 1000, 20)]
    results = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count(),
                    "loadavg_at_start": list(os.getloadavg())},
        "versions": {"jax": jax.__version__, "numpy": np.__version__},
        "numba_status": numba_status() or "available",
        "rows": [],
    }
    try:
        import numba

        results["versions"]["numba"] = numba.__version__
    except ImportError:
        pass
    print(f"{'N':>6} {'case':<38} {'steps':>6} {'wall µs':>10} {'net µs':>10} {'CPU µs':>10} {'net CPU':>10} "
          f"{'compile s':>10}")
    for n, p, steps_fast, steps_slow in sizes:
        if quick:
            steps_fast, steps_slow = 100, 20
        entries, nnz = cases(n, p, steps_fast, steps_slow)
        base = base_cpu = None
        for name, op, raster in entries:
            compile_s, us, cpu = time_scan(op, raster, n)
            if base is None:
                base, base_cpu = us, cpu
            net, net_cpu = us - base, cpu - base_cpu
            print(f"{n:>6} {name:<38} {raster.shape[0]:>6} {us:>10.2f} {net:>10.2f} {cpu:>10.2f} {net_cpu:>10.2f} "
                  f"{compile_s:>10.2f}")
            rate = COBA_RATE if "0.2%" in name else RATE
            results["rows"].append({"n": n, "p": p, "nnz": nnz, "spike_rate": rate, "case": name,
                                    "steps": int(raster.shape[0]),
                                    "us_per_step": us, "net_us_per_step": net, "cpu_us_per_step": cpu,
                                    "net_cpu_us_per_step": net_cpu, "compile_s": compile_s})
        if n * n * 4 > 2**30:
            print(f"{n:>6} {'XLA dense matvec (s @ W)':<38} {'-':>6}   skipped: the matrix would need 16 GB")
    results["loadavg_at_end"] = list(os.getloadavg())
    if not quick:
        path = Path(__file__).parent / "results" / "event_kernels.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(results, indent=2))
        print(f"wrote {path}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps, N = 4000 only, no JSON")
    main(parser.parse_args().quick)
