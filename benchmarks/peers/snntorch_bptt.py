"""snnTorch peer for ``benchmarks/training.py``: a Linear + leaky integrate-and-fire layer trained by BPTT.

The same workload as brainlab's ``bptt_times``: n inputs (Bernoulli spikes, p = 0.05 per step) -> ``nn.Linear(n, n,
bias=False)`` -> ``snn.Leaky`` (beta = exp(-dt/tau) with dt = 1 ms, tau = 10 ms, threshold 1, reset to zero,
fast-sigmoid surrogate), T steps, batch 16, MSE of the spikes against zero.  The time loop is the usual Python
loop over ``snn.Leaky`` calls (snnTorch's idiom); the gradient is ``loss.backward()``.  CPU, torch's default
threads.

Run in its own environment (``benchmarks/.peers/venv-snntorch``, see ``requirements-snntorch.txt``):
``python snntorch_bptt.py --n 512 --T 500``.  Prints one line ``RESULT {json}`` with ``forward_s`` and
``value_and_grad_s`` (the fastest of ``--repeats``, after one warm-up call) and the versions.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import snntorch as snn
import torch
from snntorch import surrogate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--T", type=int, default=500)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    torch.manual_seed(0)
    lin = torch.nn.Linear(a.n, a.n, bias=False)
    torch.nn.init.normal_(lin.weight, 0.0, 20.0 / math.sqrt(a.n))
    lif = snn.Leaky(beta=math.exp(-0.1), threshold=1.0, reset_mechanism="zero",
                    spike_grad=surrogate.fast_sigmoid(slope=1.0))
    x = (torch.rand(a.T, a.batch, a.n) < 0.05).float()

    def run() -> torch.Tensor:
        mem = lif.init_leaky()
        out = []
        for t in range(a.T):
            spk, mem = lif(lin(x[t]), mem)
            out.append(spk)
        return torch.stack(out)

    def forward() -> None:
        with torch.no_grad():
            run()

    def value_and_grad() -> None:
        lin.zero_grad()
        loss = (run() ** 2).mean()
        loss.backward()

    result = {"n": a.n, "T": a.T, "batch": a.batch, "torch": torch.__version__, "snntorch": snn.__version__,
              "threads": torch.get_num_threads()}
    for name, fn in (("forward_s", forward), ("value_and_grad_s", value_and_grad)):
        fn()
        best = math.inf
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        result[name] = best
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
