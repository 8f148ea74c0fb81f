"""COBA, CUBA and COBAHH networks in Brian2 2.9, timed the way ``benchmarks/coba.py`` reports them.

Runs in the Brian2 virtual environment made by ``make peers`` (never in brainlab's own), for example::

    benchmarks/.peers/venv-brian2/bin/python benchmarks/peers/brian2_nets.py --model coba --n 4000 --mode cpp

and prints one line ``RESULT {json}`` with (seconds unless named otherwise):

    build_s    Python objects and ``connect()`` (runtime mode); in cpp_standalone mode the synapses are created
               inside the binary, so build_s is the Python definition plus code generation (device.build minus
               make minus running the binary)
    compile_s  runtime mode: first ``net.run`` minus the fastest later one (Cython code generation and
               compilation, cached in --workdir across invocations); cpp_standalone: ``make`` (incremental: the
               build directory is kept per model and size, so only the first invocation compiles everything)
    sim_s      the fastest of --repeats simulations of --duration ms: Brian2's own timer of the network loop
               inside the binary (cpp_standalone, ``device._last_run_time``, the binary is run again for each
               repeat) or the wall time of a cached ``net.run`` (runtime mode; the simulation continues)
    rate_hz    mean firing rate of the first simulated period
    peak_rss_mb  the larger of this process's peak resident memory and, in cpp_standalone mode, the binary's

The models (Brette et al. 2007, as in Brian2's and BrainPy's benchmark scripts) are documented in
``benchmarks/coba.py``; dt = 0.1 ms, p = 80/N, 80 % excitatory neurons.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

t_start = time.perf_counter()
import brian2 as b2  # noqa: E402
from brian2 import mV, ms, nS, pF  # noqa: E402

t_import = time.perf_counter() - t_start

# Runs the binary and writes its peak RSS (KiB), CPU seconds and wall seconds to the file named first (Brian2
# calls `run_cmd_unix + args`).
_RSS_WRAPPER = (
    "import os,subprocess,sys,time\n"
    "t=time.perf_counter();p=subprocess.Popen(sys.argv[2:]);_,st,ru=os.wait4(p.pid,0)\n"
    "open(sys.argv[1],'w').write(f'{ru.ru_maxrss} {ru.ru_utime+ru.ru_stime} {time.perf_counter()-t}')\n"
    "sys.exit(os.waitstatus_to_exitcode(st))\n"
)


def build(model: str, size: int, seed: int):
    """Define the network (Brian2 objects only); returns (net, spike monitor, groups to count synapses in)."""
    b2.seed(seed)
    b2.defaultclock.dt = 0.1 * ms
    ne = int(0.8 * size)  # (no local called `n`: Brian2 would see it beside the gate variable n)
    prob = 80.0 / size
    if model in ("coba", "cuba"):
        taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
        Vt, Vr = -50 * mV, -60 * mV
        if model == "coba":
            ns = dict(taum=taum, taue=taue, taui=taui, Vt=Vt, Vr=Vr, El=-60 * mV, Ee=0 * mV, Ei=-80 * mV,
                      I=20 * mV)
            eqs = """
            dv/dt  = (ge*(Ee-v) + gi*(Ei-v) - (v-El) + I) / taum : volt (unless refractory)
            dge/dt = -ge/taue : 1
            dgi/dt = -gi/taui : 1
            """
            we, wi, method = "ge += 0.6", "gi += 6.7", "euler"
        else:
            ns = dict(taum=taum, taue=taue, taui=taui, Vt=Vt, Vr=Vr, El=-49 * mV)
            eqs = """
            dv/dt  = (ge + gi - (v-El)) / taum : volt (unless refractory)
            dge/dt = -ge/taue : volt
            dgi/dt = -gi/taui : volt
            """
            we, wi, method = "ge += 1.62*mV", "gi += -9*mV", "exact"
        P = b2.NeuronGroup(size, eqs, threshold="v > Vt", reset="v = Vr", refractory=5 * ms, method=method,
                           namespace=ns)
        P.v = "Vr + rand() * (Vt - Vr)"
        P.ge = 0
        P.gi = 0
    elif model == "cobahh":
        ns = dict(Cm=200 * pF, gl=10 * nS, El=-60 * mV, EK=-90 * mV, ENa=50 * mV, g_na=20000 * nS,
                  g_kd=6000 * nS, VT=-63 * mV, taue=5 * ms, taui=10 * ms, Ee=0 * mV, Ei=-80 * mV)
        eqs = """
        dv/dt = (gl*(El-v) + ge*(Ee-v) + gi*(Ei-v) - g_na*(m*m*m)*h*(v-ENa) - g_kd*(n*n*n*n)*(v-EK))/Cm : volt
        dm/dt = alpha_m*(1-m) - beta_m*m : 1
        dn/dt = alpha_n*(1-n) - beta_n*n : 1
        dh/dt = alpha_h*(1-h) - beta_h*h : 1
        dge/dt = -ge/taue : siemens
        dgi/dt = -gi/taui : siemens
        alpha_m = 0.32*(mV**-1)*4*mV/exprel((13*mV-v+VT)/(4*mV))/ms : Hz
        beta_m = 0.28*(mV**-1)*5*mV/exprel((v-VT-40*mV)/(5*mV))/ms : Hz
        alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
        beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
        alpha_n = 0.032*(mV**-1)*5*mV/exprel((15*mV-v+VT)/(5*mV))/ms : Hz
        beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
        """
        we, wi = "ge += 6*nS", "gi += 67*nS"
        P = b2.NeuronGroup(size, eqs, threshold="v > -20*mV", refractory=3 * ms, method="exponential_euler",
                           namespace=ns)
        # Brian2's COBAHH example (Brette et al. 2007), with the gates at their steady state (as brainlab's
        # bl.networks.cobahh and BrainPy's HH start them) instead of 0
        P.v = "El + (randn() * 5 - 5)*mV"
        P.m = "alpha_m / (alpha_m + beta_m)"
        P.h = "alpha_h / (alpha_h + beta_h)"
        P.n = "alpha_n / (alpha_n + beta_n)"
        P.ge = "(randn() * 1.5 + 4) * 10.*nS"
        P.gi = "(randn() * 12 + 20) * 10.*nS"
    else:
        raise SystemExit(f"unknown model {model!r}")
    Ce = b2.Synapses(P[:ne], P, on_pre=we)
    Ci = b2.Synapses(P[ne:], P, on_pre=wi)
    Ce.connect(p=prob)
    Ci.connect(p=prob)
    mon = b2.SpikeMonitor(P, record=False)  # counts spikes only, like the other frameworks' runs here
    return b2.Network(P, Ce, Ci, mon), mon, (Ce, Ci)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["coba", "cuba", "cobahh"], default="coba")
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--mode", choices=["cpp", "cython"], default="cpp")
    ap.add_argument("--duration", type=float, default=1000.0, help="simulated ms per repeat")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workdir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".peers",
                                                      "work"),
                    help="where the cpp build directories and the Cython cache live (kept between runs)")
    args = ap.parse_args()
    workdir = os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)
    secs = args.duration / 1000.0
    res = dict(framework="brian2", version=b2.__version__, mode=args.mode, model=args.model, n=args.n,
               duration_ms=args.duration, repeats=args.repeats, t_import=round(t_import, 3),
               python=sys.version.split()[0])

    if args.mode == "cpp":
        build_dir = os.path.join(workdir, f"brian2_cpp_{args.model}_{args.n}")
        rss_file = os.path.join(workdir, f"brian2_cpp_{args.model}_{args.n}.rss")
        cached = os.path.exists(os.path.join(build_dir, "main"))  # a binary from an earlier invocation
        b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
        b2.prefs.devices.cpp_standalone.run_cmd_unix = [sys.executable, "-c", _RSS_WRAPPER, rss_file, "./main"]
        t0 = time.perf_counter()
        net, mon, syns = build(args.model, args.n, args.seed)
        net.run(args.duration * ms)
        t_define = time.perf_counter() - t0
        t0 = time.perf_counter()
        b2.device.build(directory=build_dir, compile=True, run=True, clean=False)
        t_build_total = time.perf_counter() - t0
        t_make = b2.device.timers["compile"]["make"] or 0.0
        t_binary = b2.device.timers["run_binary"]
        sims = [b2.device._last_run_time]
        spikes = int(mon.num_spikes)
        usage = [[float(x) for x in open(rss_file).read().split()]]
        for _ in range(args.repeats - 1):
            b2.device.run()  # the same binary again: same network, same seed
            sims.append(b2.device._last_run_time)
            usage.append([float(x) for x in open(rss_file).read().split()])
        rss_bin = [u[0] for u in usage]
        n_syn = int(len(syns[0])) + int(len(syns[1]))
        res.update(build_s=round(t_define + t_build_total - t_make - t_binary, 4), compile_s=round(t_make, 3),
                   compile_cache="warm" if cached else "cold",
                   binary_s=round(t_binary, 3), binary_peak_rss_mb=round(max(rss_bin) / 1024, 1),
                   # of the whole binary (synapse creation included): threads in use
                   cpu_per_wall=round(sum(u[1] for u in usage) / sum(u[2] for u in usage), 2))
    else:
        b2.prefs.codegen.target = "cython"
        b2.prefs.codegen.runtime.cython.cache_dir = os.path.join(workdir, "brian2_cython_cache")
        t0 = time.perf_counter()
        net, mon, syns = build(args.model, args.n, args.seed)
        n_syn = int(len(syns[0])) + int(len(syns[1]))  # forces connect() now
        t_build = time.perf_counter() - t0
        runs, counts = [], []
        for k in range(args.repeats + 1):
            if k == 1:
                ru = resource.getrusage(resource.RUSAGE_SELF)
                cpu0 = ru.ru_utime + ru.ru_stime
            c0 = int(mon.num_spikes)
            t0 = time.perf_counter()
            net.run(args.duration * ms)
            runs.append(time.perf_counter() - t0)
            counts.append(int(mon.num_spikes) - c0)
        spikes = counts[0]
        sims = runs[1:]
        ru = resource.getrusage(resource.RUSAGE_SELF)
        res["cpu_per_wall"] = round((ru.ru_utime + ru.ru_stime - cpu0) / sum(sims), 2)
        res.update(build_s=round(t_build, 4), compile_s=round(max(runs[0] - min(sims), 0.0), 3),
                   first_run_s=round(runs[0], 3), rates_hz=[round(c / args.n / secs, 3) for c in counts])
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res.update(sim_s=round(min(sims), 4), sims_s=[round(s, 4) for s in sims], n_syn=n_syn, spikes=spikes,
               rate_hz=round(spikes / args.n / secs, 3),
               peak_rss_mb=round(max(rss_self, res.get("binary_peak_rss_mb", 0.0)), 1))
    print("RESULT " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
