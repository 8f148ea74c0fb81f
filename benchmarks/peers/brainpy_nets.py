"""COBA, CUBA and COBAHH networks in BrainPy 2.9, timed the way ``benchmarks/coba.py`` reports them.

Runs in the BrainPy virtual environment made by ``make peers`` (never in brainlab's own), for example::

    benchmarks/.peers/venv-brainpy/bin/python benchmarks/peers/brainpy_nets.py --model coba --n 4000

Idiomatic BrainPy 2.x: ``bp.dyn.LifRef`` (COBA, CUBA) or ``bp.dyn.HH`` with Traub-Miles rates (COBAHH),
``bp.dyn.ProjAlignPostMg2`` with ``bp.dnn.EventCSRLinear`` over ``bp.conn.FixedProb`` (stored CSR connectivity),
``bp.dyn.Expon`` synapses and ``bp.dyn.COBA``/``bp.dyn.CUBA`` outputs, float32 on the CPU.  The simulation is
``bm.jit(lambda idx: bm.for_loop(net.step_run, idx))`` (compiled once, then called again with the same shapes;
``bp.DSRunner`` re-traces and re-compiles on every ``run``, so it would count compilation as simulation).

Prints one line ``RESULT {json}`` with (seconds):

    build_s      model construction, connectivity included, until every array is ready
    compile_s    first call of the compiled loop minus the fastest later call
    sim_s        the fastest of --repeats calls of --duration ms (the simulation continues from call to call)
    rate_hz      mean firing rate during the first call
    peak_rss_mb  this process's peak resident memory
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

t_start = time.perf_counter()
import brainpy as bp  # noqa: E402
import brainpy.math as bm  # noqa: E402
import jax  # noqa: E402
import numpy as np  # noqa: E402

t_import = time.perf_counter() - t_start


class TraubHH(bp.dyn.HH):
    """``bp.dyn.HH`` with the Traub-Miles rate functions of the COBAHH benchmark (VT = -63 mV)."""

    VT = -63.0
    m_alpha = lambda self, V: 0.32 * 4.0 / bm.exprel((13.0 - V + self.VT) / 4.0)  # noqa: E731
    m_beta = lambda self, V: 0.28 * 5.0 / bm.exprel((V - self.VT - 40.0) / 5.0)  # noqa: E731
    h_alpha = lambda self, V: 0.128 * bm.exp((17.0 - V + self.VT) / 18.0)  # noqa: E731
    h_beta = lambda self, V: 4.0 / (1.0 + bm.exp((40.0 - V + self.VT) / 5.0))  # noqa: E731
    n_alpha = lambda self, V: 0.032 * 5.0 / bm.exprel((15.0 - V + self.VT) / 5.0)  # noqa: E731
    n_beta = lambda self, V: 0.5 * bm.exp((10.0 - V + self.VT) / 40.0)  # noqa: E731


class EINet(bp.DynSysGroup):
    def __init__(self, model: str, n: int):
        super().__init__()
        ne = int(0.8 * n)
        ni = n - ne
        prob = 80.0 / n
        self.model = model
        if model in ("coba", "cuba"):
            pars = dict(V_rest=-60.0 if model == "coba" else -49.0, V_th=-50.0, V_reset=-60.0, tau=20.0,
                        tau_ref=5.0, V_initializer=bp.init.Uniform(-60.0, -50.0))
            self.E = bp.dyn.LifRef(ne, **pars)
            self.I = bp.dyn.LifRef(ni, **pars)
            self.I_ext = 20.0 if model == "coba" else 0.0
            if model == "coba":
                we, wi = 0.6, 6.7
                out_e, out_i = (lambda: bp.dyn.COBA.desc(E=0.0)), (lambda: bp.dyn.COBA.desc(E=-80.0))
            else:
                we, wi = 1.62, -9.0
                out_e = out_i = (lambda: bp.dyn.CUBA.desc())
        else:
            # Cm 200 pF, gL 10 nS, gNa 20 uS, gKd 6 uS (in nS); V in mV, t in ms: nS * mV / pF = mV / ms
            pars = dict(C=200.0, gL=10.0, EL=-60.0, gNa=20000.0, ENa=50.0, gK=6000.0, EK=-90.0, V_th=-20.0,
                        V_initializer=lambda shape, dtype=None: -65.0 + 5.0 * bm.random.randn(*shape))
            # (the gates start at their steady state for the drawn V, as in bl.networks.cobahh)
            self.E = TraubHH(ne, **pars)
            self.I = TraubHH(ni, **pars)
            self.I_ext = 0.0
            we, wi = 6.0, 67.0
            out_e, out_i = (lambda: bp.dyn.COBA.desc(E=0.0)), (lambda: bp.dyn.COBA.desc(E=-80.0))

        def proj(pre, post, npre, npost, w, tau, out):
            conn = bp.conn.FixedProb(prob, pre=npre, post=npost, seed=np.random.randint(1 << 30))
            return bp.dyn.ProjAlignPostMg2(pre=pre, delay=None, comm=bp.dnn.EventCSRLinear(conn, w),
                                           syn=bp.dyn.Expon.desc(npost, tau=tau), out=out(), post=post)

        self.E2E = proj(self.E, self.E, ne, ne, we, 5.0, out_e)
        self.E2I = proj(self.E, self.I, ne, ni, we, 5.0, out_e)
        self.I2E = proj(self.I, self.E, ni, ne, wi, 10.0, out_i)
        self.I2I = proj(self.I, self.I, ni, ni, wi, 10.0, out_i)
        if model == "cobahh":  # Brette et al. 2007 initial conductances (nS)
            for p_, mean, sd in ((self.E2E, 40.0, 15.0), (self.E2I, 40.0, 15.0), (self.I2E, 200.0, 120.0),
                                 (self.I2I, 200.0, 120.0)):
                syn = p_.syn
                syn.g.value = mean + sd * bm.random.randn(*syn.g.shape)
            # E2E and E2I (I2E and I2I) write into different targets, so no double counting

    def update(self):
        self.E2E()
        self.E2I()
        self.I2E()
        self.I2I()
        self.E(self.I_ext)
        self.I(self.I_ext)
        return bm.sum(self.E.spike.value) + bm.sum(self.I.spike.value)  # spikes per step (a cheap monitor)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["coba", "cuba", "cobahh"], default="coba")
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--duration", type=float, default=1000.0, help="simulated ms per repeat")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    bm.set_platform("cpu")
    bm.set_dt(0.1)
    bm.random.seed(args.seed)
    np.random.seed(args.seed)

    t0 = time.perf_counter()
    net = EINet(args.model, args.n)
    jax.block_until_ready(jax.tree_util.tree_leaves([v.value for v in net.vars().unique().values()]))
    t_build = time.perf_counter() - t0
    n_syn = int(sum(int(p_.comm.indices.shape[0]) for p_ in (net.E2E, net.E2I, net.I2E, net.I2I)))

    nstep = int(round(args.duration / bm.get_dt()))
    sim = bm.jit(lambda idx: bm.for_loop(net.step_run, idx))
    runs, counts = [], []
    for k in range(args.repeats + 1):
        if k == 1:
            ru = resource.getrusage(resource.RUSAGE_SELF)
            c0 = ru.ru_utime + ru.ru_stime
        idx = np.arange(k * nstep, (k + 1) * nstep)
        t0 = time.perf_counter()
        out = jax.block_until_ready(sim(idx))
        runs.append(time.perf_counter() - t0)
        counts.append(int(np.asarray(out).sum()))
    ru = resource.getrusage(resource.RUSAGE_SELF)
    secs = args.duration / 1000.0
    sims = runs[1:]
    cores = (ru.ru_utime + ru.ru_stime - c0) / sum(sims)
    res = dict(framework="brainpy", version=bp.__version__, jax=jax.__version__, python=sys.version.split()[0],
               model=args.model, n=args.n, duration_ms=args.duration, repeats=args.repeats,
               t_import=round(t_import, 3), build_s=round(t_build, 4),
               compile_s=round(max(runs[0] - min(sims), 0.0), 3), first_run_s=round(runs[0], 3),
               sim_s=round(min(sims), 4), sims_s=[round(s, 4) for s in sims], n_syn=n_syn, spikes=counts[0],
               rate_hz=round(counts[0] / args.n / secs, 3), rates_hz=[round(c / args.n / secs, 3) for c in counts],
               cpu_per_wall=round(cores, 2),
               peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
    print("RESULT " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
