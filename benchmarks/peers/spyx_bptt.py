"""spyx peer for ``benchmarks/training.py``: a Linear + leaky integrate-and-fire layer trained by BPTT, in JAX.

The same workload as brainlab's ``bptt_times`` and ``snntorch_bptt.py``: n inputs (Bernoulli spikes, p = 0.05 per
step) -> ``flax.nnx.Linear(n, n, use_bias=False)`` (weights N(0, (20/sqrt(n))^2)) -> ``spyx.nn.LIF`` (beta =
exp(-dt/tau), dt = 1 ms, tau = 10 ms, threshold 1, SuperSpike surrogate, spyx's default), T steps, batch 16, MSE
of the spikes against zero.  spyx's LIF resets by subtracting the threshold (its only reset), brainlab's and
snnTorch's to zero: one multiply-add per neuron and step either way.  The model is spyx's ``nn.Sequential`` run
by ``spyx.nn.run`` (a ``lax.scan`` over time, time-major input); forward and value-and-gradient are
``jax.jit`` of pure functions of the parameters (``nnx.split``/``nnx.merge``, as ``spyx.optimize.compile_fit``
does), so no Python runs per call beyond JAX's dispatch.  CPU, float32.

Run in its own environment (``benchmarks/.peers/venv-spyx``, see ``requirements-spyx.txt``):
``python spyx_bptt.py --n 512 --T 500``.  Prints one line ``RESULT {json}`` with ``forward_s`` and
``value_and_grad_s`` (the fastest of ``--repeats``, after one compiling call), the compile times and the versions.
With ``--serve`` it then times one call per request read from stdin, so that ``training.py`` can alternate
spyx's calls with brainlab's one by one.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--T", type=int, default=500)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--serve", action="store_true",
                    help="after the RESULT line, time one call per line read from stdin ('forward' or "
                         "'value_and_grad') and answer 'TIME <seconds>' (lets a caller alternate with its own calls)")
    a = ap.parse_args()

    import flax
    import spyx
    from flax import nnx

    rngs = nnx.Rngs(0)
    lin = nnx.Linear(a.n, a.n, use_bias=False, kernel_init=nnx.initializers.normal(20.0 / math.sqrt(a.n)),
                     rngs=rngs)
    lif = spyx.nn.LIF((a.n,), beta=math.exp(-0.1), threshold=1.0, rngs=rngs)
    model = spyx.nn.Sequential(lin, lif)
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    x = jnp.asarray((np.random.default_rng(0).uniform(size=(a.T, a.batch, a.n)) < 0.05).astype(np.float32))

    def spikes(params, x):
        out, _ = spyx.nn.run(nnx.merge(graphdef, params, rest), x)  # time-major (T, batch, n)
        return out

    def loss(params, x):
        return jnp.mean(spikes(params, x) ** 2)

    forward = jax.jit(spikes)
    value_and_grad = jax.jit(jax.value_and_grad(loss))

    result = {"n": a.n, "T": a.T, "batch": a.batch, "spyx": spyx.__version__, "jax": jax.__version__,
              "flax": flax.__version__, "backend": jax.default_backend()}
    for name, fn in (("forward", forward), ("value_and_grad", value_and_grad)):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(params, x))
        result[f"first_{name}_s"] = time.perf_counter() - t0
        best = math.inf
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            jax.block_until_ready(fn(params, x))
            best = min(best, time.perf_counter() - t0)
        result[f"{name}_s"] = best
    result["spike_rate"] = float(jnp.mean(forward(params, x)))
    print("RESULT " + json.dumps(result), flush=True)
    if a.serve:
        fns = {"forward": forward, "value_and_grad": value_and_grad}
        for line in sys.stdin:
            fn = fns[line.strip()]
            t0 = time.perf_counter()
            jax.block_until_ready(fn(params, x))
            print(f"TIME {time.perf_counter() - t0}", flush=True)


if __name__ == "__main__":
    main()
