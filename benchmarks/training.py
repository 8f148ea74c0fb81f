"""Benchmark of brainlab.train: surrogate-gradient BPTT.

Run: ``.venv/bin/python benchmarks/training.py [--quick]``.  Prints one table and writes
``benchmarks/results/training.json``.

BPTT section (a Linear (``bl.train.Dense``) + LIF layer, spike-count MSE loss, dt = 1 ms):

1. ``bptt_times``: T = 500 steps, batch 16, n in {512, 1024} (n inputs -> n LIF): the forward pass and the loss's
   value-and-gradient, each after compilation (minimum over repeats: the machine may be shared), and the
   compilation time.
2. ``bptt_memory``: peak memory of value-and-gradient over T = 1,000 and 10,000 steps (n = 512 LIF, batch 16,
   with a Dense readout onto 10 leaky units and the max-over-time cross-entropy), plain and with
   ``checkpoint=True`` (segments of ceil(sqrt(T)) steps).  Measured as XLA's buffer assignment of the compiled
   program (``compiled.memory_analysis()``): the temporaries are BPTT's working memory; the arguments (the
   input spikes, ``batch x T x n`` floats, O(T) in any method) are listed apart.  The same on any backend; with
   ``--run`` the 10,000-step checkpointed program is also run once.

3. ``peer_snntorch``: the same workload as 1. in snnTorch 1.0 on torch 2.13 (CPU), from its own environment
   ``$PEERS_DIR/venv-snntorch`` (default ``benchmarks/.peers``; ``benchmarks/peers/requirements-snntorch.txt``;
   never a dependency of brainlab), skipped with a note when that environment is missing.
4. ``peer_spyx``: the same workload in spyx 1.0 (JAX, flax.nnx; ``spyx.nn.LIF``, which resets by subtraction)
   from ``$PEERS_DIR/venv-spyx`` (``benchmarks/peers/requirements-spyx.txt``), through
   ``benchmarks/peers/spyx_bptt.py --serve``: spyx's calls and brainlab's alternate one by one, ``SPYX_ROUNDS``
   of each, each the best of its calls, so that the brainlab / spyx ratio compares the same moments of a shared
   machine (brainlab's times in 1. are separate calls, not used in the ratio).  Target (issue 14): brainlab at
   least as fast as spyx.
"""

from __future__ import annotations

import json
import os
import pathlib
import platform
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import brainlab as bl
from brainlab.train._bptt import BPTT
from brainlab.train._layers import Dense, LeakyReadout, SpikeInput
from brainlab.train._losses import cross_entropy_max, mse

HERE = pathlib.Path(__file__).parent
RESULTS = HERE / "results" / "training.json"
PEERS_DIR = pathlib.Path(os.environ.get("PEERS_DIR", HERE / ".peers"))
SPYX_ROUNDS = 20


def _layer(n: int, checkpoint=None, readout: bool = False) -> tuple[BPTT, object]:
    """n inputs -> Dense -> n LIF; the loss reads the LIF spikes (MSE to zero), or with ``readout`` a Dense layer
    onto 10 leaky readout units (cross-entropy of their maximum), so that the outputs kept per step are small."""
    inp = SpikeInput(n)
    lif = bl.neurons.LIF(n, spike_dtype=float, V_rest=0.0, V_reset=0.0, V_th=1.0, R=1.0, t_ref=0.0, tau=10.0)
    parts = dict(inp=inp, lif=lif, w=Dense(inp, lif, scale=20.0, seed=0))
    if readout:
        out = LeakyReadout(10, R=1.0)
        parts.update(out=out, w_out=Dense(lif, out, scale=5.0, seed=1))
    net = bl.Network(**parts)
    return BPTT(net, cross_entropy_max if readout else mse, optax.adam(1e-3), input=inp,
                output="out.V" if readout else "lif.spike", checkpoint=checkpoint, progress=False), net


def _data(n: int, T: int, batch: int, labels: bool = False) -> tuple[jax.Array, jax.Array]:
    x = (np.random.default_rng(0).uniform(size=(batch, T, n)) < 0.05).astype(np.float32)
    y = jnp.arange(batch) % 10 if labels else jnp.zeros((batch, T, n), jnp.float32)
    return jnp.asarray(x), y


def _programs(trainer: BPTT, x: jax.Array):
    prog = trainer._program(x.shape[2:])
    args = (trainer._pvals(), trainer._consts(prog), trainer._initial(prog))
    x = jnp.swapaxes(x, 0, 1)  # the compiled programs take time-major inputs, (T, batch, ...)
    return trainer._compiled(prog, "outputs"), trainer._compiled(prog, "grad"), args, x


def _best(fn, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        best = min(best, time.perf_counter() - t0)
    return best


def bptt_times(n: int, T: int = 500, batch: int = 16, repeats: int = 5) -> dict:
    """Forward and value-and-gradient times (s) after compilation, and the compilation times."""
    trainer, _ = _layer(n)
    x, y = _data(n, T, batch)
    fwd, grad, args, x = _programs(trainer, x)
    t0 = time.perf_counter()
    jax.block_until_ready(fwd(*args, x))
    c_fwd = time.perf_counter() - t0
    t0 = time.perf_counter()
    jax.block_until_ready(grad(*args, x, y))
    c_grad = time.perf_counter() - t0
    return {"n": n, "T": T, "batch": batch,
            "forward_s": _best(lambda: fwd(*args, x), repeats),
            "value_and_grad_s": _best(lambda: grad(*args, x, y), repeats),
            "first_forward_s": c_fwd, "first_value_and_grad_s": c_grad}


def bptt_memory(checkpoint, n: int = 512, T: int = 10_000, batch: int = 16, run: bool = False) -> dict:
    """Peak memory (bytes) of value-and-gradient over ``T`` steps from XLA's buffer assignment."""
    trainer, _ = _layer(n, checkpoint=checkpoint, readout=True)
    x, y = _data(n, T, batch, labels=True)
    _, grad, args, x = _programs(trainer, x)
    t0 = time.perf_counter()
    compiled = grad.lower(*args, x, y).compile()
    c = time.perf_counter() - t0
    m = compiled.memory_analysis()
    out = {"checkpoint": checkpoint, "n": n, "T": T, "batch": batch, "compile_s": c,
           "argument_bytes": int(m.argument_size_in_bytes), "output_bytes": int(m.output_size_in_bytes),
           "temp_bytes": int(m.temp_size_in_bytes)}
    out["peak_bytes"] = out["argument_bytes"] + out["output_bytes"] + out["temp_bytes"]
    if run:
        t0 = time.perf_counter()
        jax.block_until_ready(compiled(*args, x, y))
        out["run_s"] = time.perf_counter() - t0
    return out


def _peer(name: str, script: str, n: int, T: int, batch: int) -> dict | None:
    python = PEERS_DIR / f"venv-{name}" / "bin" / "python"
    if not python.exists():
        return None
    out = subprocess.run([str(python), str(HERE / "peers" / script), "--n", str(n), "--T", str(T),
                          "--batch", str(batch), "--repeats", "5"], capture_output=True, text=True, timeout=1800)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if out.returncode or not line:
        print(f"{name} peer failed: {out.stderr[-500:]}")
        return None
    return json.loads(line[-1][len("RESULT "):])


def peer_snntorch(n: int, T: int = 500, batch: int = 16) -> dict | None:
    """snnTorch's forward and value-and-gradient times for the workload of :func:`bptt_times`, or ``None``."""
    return _peer("snntorch", "snntorch_bptt.py", n, T, batch)


def spyx_alternating(n: int, T: int = 500, batch: int = 16, rounds: int = SPYX_ROUNDS) -> dict | None:
    """spyx and brainlab calls alternated one by one (a spyx process serving calls on request), ``rounds`` of
    each kind, best of each: on a shared machine whose load moves by 2x within seconds, the two then see the
    same moments.  Returns spyx's RESULT with its best times and brainlab's (``brainlab_*_s``), or ``None``."""
    python = PEERS_DIR / "venv-spyx" / "bin" / "python"
    if not python.exists():
        return None
    trainer, _ = _layer(n)
    x, y = _data(n, T, batch)
    fwd, grad, args, xt = _programs(trainer, x)
    calls = {"forward": lambda: fwd(*args, xt), "value_and_grad": lambda: grad(*args, xt, y)}
    for f in calls.values():
        jax.block_until_ready(f())
    proc = subprocess.Popen([str(python), str(HERE / "peers" / "spyx_bptt.py"), "--n", str(n), "--T", str(T),
                             "--batch", str(batch), "--repeats", "1", "--serve"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if not line.startswith("RESULT "):
            print(f"spyx peer failed: {line[-500:]}")
            return None
        result = json.loads(line[len("RESULT "):])
        for kind, fn in calls.items():
            best_peer = best_own = np.inf
            for _ in range(rounds):
                proc.stdin.write(kind + "\n")
                proc.stdin.flush()
                best_peer = min(best_peer, float(proc.stdout.readline().split()[1]))
                best_own = min(best_own, _best(fn, 1))
            result[f"{kind}_s"] = best_peer
            result[f"brainlab_{kind}_s"] = best_own
        return result
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)


def peer_spyx(n: int, T: int = 500, batch: int = 16) -> dict | None:
    """spyx's forward and value-and-gradient times for the workload of :func:`bptt_times`, or ``None``."""
    return _peer("spyx", "spyx_bptt.py", n, T, batch)


def main() -> None:
    quick = "--quick" in sys.argv
    sizes = [512] if quick else [512, 1024]
    rows = [bptt_times(n) for n in sizes]
    lengths = [500, 2_000] if quick else [1_000, 10_000]
    mem = [bptt_memory(c, T=T, run=("--run" in sys.argv and c is True and T == lengths[-1]))
           for T in lengths for c in (None, True)]
    print(f"BPTT, Linear + LIF, batch 16, dt = 1 ms  ({jax.default_backend()}, {platform.processor() or 'cpu'})")
    print(f"{'n':>6} {'T':>6} {'forward (s)':>12} {'value+grad (s)':>15} {'grad/fwd':>9} {'compile fwd/grad (s)':>21}")
    for r in rows:
        print(f"{r['n']:>6} {r['T']:>6} {r['forward_s']:>12.4f} {r['value_and_grad_s']:>15.4f} "
              f"{r['value_and_grad_s'] / r['forward_s']:>9.2f} "
              f"{r['first_forward_s']:>10.1f}/{r['first_value_and_grad_s']:.1f}")
    print(f"\nMemory of value-and-gradient, n = {mem[0]['n']} LIF + 10 readouts, batch 16 (XLA buffer assignment)")
    print(f"{'T':>7} {'method':<16} {'temporaries (MiB)':>18} {'arguments (MiB)':>16} {'compile (s)':>12}")
    for m in mem:
        label = "plain BPTT" if m["checkpoint"] is None else "checkpoint=True"
        extra = f"  ran in {m['run_s']:.1f} s" if "run_s" in m else ""
        print(f"{m['T']:>7} {label:<16} {m['temp_bytes'] / 2**20:>18.1f} {m['argument_bytes'] / 2**20:>16.1f} "
              f"{m['compile_s']:>12.1f}{extra}")
    t = {(m["T"], m["checkpoint"]): m["temp_bytes"] for m in mem}
    a, b = lengths
    print(f"  T x{b // a}: plain temporaries x{t[b, None] / t[a, None]:.1f}, checkpointed x{t[b, True] / t[a, True]:.1f}"
          f"; at T = {b}: plain / checkpointed = {t[b, None] / t[b, True]:.1f}")
    peers = [p for p in (peer_snntorch(n) for n in sizes) if p is not None]
    if peers:
        print(f"\nsnnTorch {peers[0]['snntorch']} (torch {peers[0]['torch']}, {peers[0]['threads']} threads), same "
              "workload; brainlab / snnTorch time ratio (below 1: brainlab faster)")
        for p, r in zip(peers, rows):
            print(f"{p['n']:>6} {p['T']:>6} {p['forward_s']:>12.4f} {p['value_and_grad_s']:>15.4f}   "
                  f"ratio fwd {r['forward_s'] / p['forward_s']:.2f}, value+grad "
                  f"{r['value_and_grad_s'] / p['value_and_grad_s']:.2f}")
    else:
        print(f"\nsnnTorch: not measured (no {PEERS_DIR / 'venv-snntorch'}; create it with Python 3.11 and "
              "pip install -r benchmarks/peers/requirements-snntorch.txt).")
    spyx_rows = []
    for i, n in enumerate(sizes):
        p = spyx_alternating(n)
        if p is None:
            break
        # the ratios use only the brainlab calls alternated with spyx's (the same moments of the machine)
        rows[i]["forward_alternated_s"] = p.pop("brainlab_forward_s")
        rows[i]["value_and_grad_alternated_s"] = p.pop("brainlab_value_and_grad_s")
        spyx_rows.append(p)
    if spyx_rows:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"\nspyx {spyx_rows[0]['spyx']} (jax {spyx_rows[0]['jax']}, flax {spyx_rows[0]['flax']}), same workload, "
              f"its calls and brainlab's alternated ({SPYX_ROUNDS} each, best of each; load {load:.1f} at the end); "
              "brainlab / spyx time ratio (target: at most 1)")
        print(f"{'n':>6} {'T':>6} {'forward (s)':>12} {'value+grad (s)':>15}   brainlab fwd, value+grad (s)")
        for p, r in zip(spyx_rows, rows):
            r["spyx_ratio_forward"] = r["forward_alternated_s"] / p["forward_s"]
            r["spyx_ratio_value_and_grad"] = r["value_and_grad_alternated_s"] / p["value_and_grad_s"]
            print(f"{p['n']:>6} {p['T']:>6} {p['forward_s']:>12.4f} {p['value_and_grad_s']:>15.4f}   "
                  f"{r['forward_alternated_s']:.4f}, {r['value_and_grad_alternated_s']:.4f}   ratio fwd "
                  f"{r['spyx_ratio_forward']:.2f}, value+grad {r['spyx_ratio_value_and_grad']:.2f}")
    else:
        print(f"\nspyx: not measured (no {PEERS_DIR / 'venv-spyx'}; create it with Python 3.11 and "
              "pip install -r benchmarks/peers/requirements-spyx.txt).")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"backend": jax.default_backend(), "machine": platform.platform(),
                                   "bptt_times": rows, "bptt_memory": mem,
                                   "peers": {"snntorch": peers or "not measured",
                                             "spyx": spyx_rows or "not measured"}}, indent=1))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
