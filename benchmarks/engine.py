"""Per-step overhead of a jitted ``for_loop`` over a 4000-element state.

Compares brainlab's stateful ``for_loop`` (States discovered by tracing) with the same update written as a raw
``jax.lax.scan`` over explicit carries, and with a Python loop calling a jitted step (what a naive runner does).
Prints a table and writes ``benchmarks/results/engine.json``.

Run: ``make bench`` or ``.venv/bin/python benchmarks/engine.py``.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import brainlab.engine as be

N = 4000
STEPS = 10_000
REPEATS = 5


class LIFLike(be.Module):
    def __init__(self, n):
        self.v = be.HiddenState(jnp.full(n, -60.0))
        self.tau = be.ParamState(20.0)
        self.drive = be.ParamState(jnp.linspace(10.0, 20.0, n))

    def step(self, t):
        v = self.v.value + 0.1 * (-(self.v.value + 60.0) + self.drive.value) / self.tau.value
        spike = v > -50.0
        self.v.value = jnp.where(spike, -60.0, v)
        return spike.sum()


def best_of(fn, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> dict:
    model = LIFLike(N)
    ts = jnp.arange(STEPS) * 0.1
    run = be.jit(lambda: be.for_loop(model.step, ts))
    t0 = time.perf_counter()
    jax.block_until_ready(run())
    compile_bl = time.perf_counter() - t0
    t_bl = best_of(run)

    drive = jnp.linspace(10.0, 20.0, N)

    # The same loop by hand; parameters are arguments (as brainlab's ParamStates are), not baked-in constants.
    @jax.jit
    def raw(v0, drive, tau):
        def body(v, t):
            v = v + 0.1 * (-(v + 60.0) + drive) / tau
            spike = v > -50.0
            return jnp.where(spike, -60.0, v), spike.sum()

        return jax.lax.scan(body, v0, ts)

    v0, tau = jnp.full(N, -60.0), jnp.float32(20.0)
    jax.block_until_ready(raw(v0, drive, tau))
    t_raw = best_of(lambda: raw(v0, drive, tau))

    @jax.jit
    def raw_step(v, drive, tau, t):
        v = v + 0.1 * (-(v + 60.0) + drive) / tau
        spike = v > -50.0
        return jnp.where(spike, -60.0, v), spike.sum()

    step = be.jit(model.step)
    step(0.0)
    n_py = 1000

    def python_loop():
        out = None
        for i in range(n_py):
            out = step(i * 0.1)
        return out

    t_py = best_of(python_loop, repeats=3) * (STEPS / n_py)

    def raw_python_loop():
        v = v0
        for i in range(n_py):
            v, s = raw_step(v, drive, tau, i * 0.1)
        return v

    raw_python_loop()
    t_raw_py = best_of(raw_python_loop, repeats=3) * (STEPS / n_py)

    rows = [
        ("brainlab for_loop (jit)", t_bl),
        ("raw jax.lax.scan", t_raw),
        ("python loop over be.jit(step)", t_py),
        ("python loop over raw jax.jit(step)", t_raw_py),
    ]
    print(f"\nPer-step cost, {N}-element state, {STEPS} steps (best of {REPEATS}); "
          f"compile of the brainlab loop: {compile_bl:.3f} s")
    print(f"{'variant':34s} {'total (s)':>10s} {'µs/step':>10s} {'vs raw scan':>12s}")
    for name, t in rows:
        print(f"{name:34s} {t:10.4f} {t / STEPS * 1e6:10.2f} {t / t_raw:12.2f}x")
    result = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpus": os.cpu_count(), "jax": jax.__version__, "device": str(jax.devices()[0])},
        "n": N, "steps": STEPS,
        "compile_s": compile_bl,
        "us_per_step": {name: t / STEPS * 1e6 for name, t in rows},
    }
    out = Path(__file__).parent / "results" / "engine.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
