"""The COBA, CUBA and COBAHH network benchmarks (Brette et al. 2007): brainlab against Brian2 and BrainPy.

Run: ``make bench`` (with the other benchmarks), or ``.venv/bin/python benchmarks/coba.py`` (about 15-20 minutes
on 2 cores with the peers; ``--quick`` for a smoke run of a minute or two).  Prints the tables, writes
``benchmarks/RESULTS.md`` and ``benchmarks/results/coba.json``.

The networks (``bl.networks.coba`` / ``cuba`` / ``cobahh``, and the same equations in ``benchmarks/peers/``):
N neurons, 80 % excitatory; every pair connected with probability p = 80/N (80 inputs per neuron at every size,
weights not rescaled); dt = 0.1 ms; 1 s of simulated time.

* COBA: LIF, tau 20 ms, V_rest = V_reset = -60 mV, V_th -50 mV, refractory 5 ms, drive 20 mV; exponential
  conductances (5 ms, 10 ms; in units of the leak) onto reversal potentials 0 and -80 mV; we 0.6, wi 6.7.
* CUBA: the same LIF with V_rest -49 mV and no drive; exponential currents, we 1.62 mV, wi -9 mV.
* COBAHH: Traub-Miles HH (Cm 200 pF, gL 10 nS, gNa 20 uS, gKd 6 uS, VT -63 mV), exponential Euler, we 6 nS,
  wi 67 nS, a spike is an upward crossing of -20 mV; initial V, g_e, g_i drawn as in Brian2's example, gates
  at their steady state.

What is measured, per configuration, in a fresh process (so that compile time and peak memory are its own):

* build: constructing the network, connectivity included, until every array is ready.
* compile: the first ``Runner.run(1000 ms)`` minus the fastest later one (tracing + XLA compilation).
* sim: the fastest of ``--repeats`` further ``Runner.run(1000 ms)`` calls (the network continues; spikes are
  recorded: ``Runner`` keeps every spike's time and index), i.e. the pure simulation time of 1 s.  The default
  Runner, which fuses each population's elementwise work into one compiled loop on CPU; the 4k runs also time
  ``Runner(fuse=False)`` (every operation an XLA kernel) and the bare step loop, for reference.
* rate: the mean firing rate during the first simulated second; peak RSS: the process's peak resident memory.
* import to first result: a fresh process doing ``import brainlab``, ``bl.networks.coba(4000)``,
  ``bl.Runner(net).run(1000.)`` and reading the rate (min over fresh processes; on-disk caches warm).
* a 1M-neuron COBA with on-the-fly connectivity (``onthefly=True``: nothing stored, regenerated from the seed).

The peers run in their own virtual environments (``make peers``; ``PEERS_DIR`` selects where, default
``benchmarks/.peers``) with the scripts in ``benchmarks/peers/``; each prints one ``RESULT {json}`` line with
the same quantities.  Brian2 cpp_standalone's sim is Brian2's own timer of the simulation loop inside the binary;
Brian2's Cython runtime and BrainPy's are the wall time of a cached run.  The peers are skipped, with a note,
when their environment is missing.  The machine may be shared: every time is a minimum over repeats, and
ratios are only computed between numbers of the same invocation.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEER_SCRIPTS = {"brian2-cpp": ("venv-brian2", "brian2_nets.py", ["--mode", "cpp"]),
                "brian2-cython": ("venv-brian2", "brian2_nets.py", ["--mode", "cython"]),
                "brainpy": ("venv-brainpy", "brainpy_nets.py", [])}
PEER_NAMES = {"brian2-cpp": "Brian2 cpp_standalone", "brian2-cython": "Brian2 Cython runtime",
              "brainpy": "BrainPy 2.9"}
SIZES = [4000, 16000, 64000, 256000]
# Peers at the sizes where they finish in reasonable time on 2 cores (BrainPy's 64k build alone takes ~75 s).
PEER_SIZES = {"brian2-cpp": [4000, 16000, 64000], "brian2-cython": [4000, 16000, 64000], "brainpy": [4000, 16000]}
TARGETS = ("COBA-4k sim <= 1/2 of Brian2 cpp_standalone", "COBA-4k sim >= 10x faster than BrainPy 2.9",
           "COBA-64k build <= 1 s", "import brainlab -> first COBA-4k result <= 3 s")


# ------------------------------------------------------------------------------------------------------------
# workers: one configuration in this (fresh) process, one RESULT line on stdout
# ------------------------------------------------------------------------------------------------------------


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return ru.ru_utime + ru.ru_stime


def _build(bl, model: str, n: int, seed: int, onthefly: bool):
    return getattr(bl.networks, model)(n, seed=seed, onthefly=onthefly)


def worker_brainlab(args) -> dict:
    t0 = time.perf_counter()
    import jax

    import brainlab as bl

    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    net = _build(bl, args.model, args.n, args.seed, args.onthefly)
    jax.block_until_ready([s.value for s in net.states().values()])
    t_build = time.perf_counter() - t0
    n_syn = None
    if not args.onthefly:
        n_syn = int(sum(p.nnz for p in net.projections().values()))
    runner = bl.Runner(net, dt=0.1, progress=False)
    runs, rates = [], []
    for k in range(args.repeats + 1):
        if k == 1:
            c0 = _cpu_s()
        t0 = time.perf_counter()
        res = runner.run(args.duration)
        runs.append(time.perf_counter() - t0)
        rates.append(res.spikes.rate(args.duration))
    sims = runs[1:]
    cores = (_cpu_s() - c0) / sum(sims)
    out = dict(framework="brainlab", model=args.model, n=args.n, onthefly=args.onthefly,
               duration_ms=args.duration, repeats=args.repeats, t_import=round(t_import, 3),
               build_s=round(t_build, 4), compile_s=round(max(runs[0] - min(sims), 0.0), 3),
               first_run_s=round(runs[0], 3), sim_s=round(min(sims), 4), sims_s=[round(s, 4) for s in sims],
               n_syn=n_syn, rate_hz=round(rates[0], 3), rates_hz=[round(r, 3) for r in rates],
               cpu_per_wall=round(cores, 2))
    if args.loop:
        # the bare compiled step loop (no Runner, no spike recording: per-step spike counts only), for reference
        import brainlab.engine as be

        def step(t):
            net.update(t, 0.1)
            return sum(pop.spike.value.sum() for pop in net.populations().values())

        f = be.jit(lambda ts: be.for_loop(step, ts))
        nstep = int(round(args.duration / 0.1))
        loops = []
        for k in range(args.repeats + 1):
            ts = be.arange(k * nstep, (k + 1) * nstep) * 0.1
            t0 = time.perf_counter()
            jax.block_until_ready(f(ts))
            loops.append(time.perf_counter() - t0)
        out.update(loop_sim_s=round(min(loops[1:]), 4), loop_compile_s=round(max(loops[0] - min(loops[1:]), 0), 3))
        # the Runner without elementwise fusion (every operation an XLA kernel), for reference
        plain = bl.Runner(net, dt=0.1, progress=False, fuse=False)
        unfused = []
        for k in range(args.repeats + 1):
            t0 = time.perf_counter()
            plain.run(args.duration)
            unfused.append(time.perf_counter() - t0)
        out.update(unfused_sim_s=round(min(unfused[1:]), 4))
    out["peak_rss_mb"] = round(_rss_mb(), 1)
    # a second build, same model and size (another seed), in this process: without the one-time costs of the first
    # (loading the event kernels' machine code, first use of JAX); after the peak RSS above
    t0 = time.perf_counter()
    net2 = _build(bl, args.model, args.n, args.seed + 1, args.onthefly)
    jax.block_until_ready([s.value for s in net2.states().values()])
    out["rebuild_s"] = round(time.perf_counter() - t0, 4)
    return out


def worker_first(args) -> dict:
    t0 = time.perf_counter()
    import brainlab as bl

    t1 = time.perf_counter()
    net = bl.networks.coba(4000, seed=args.seed)
    t2 = time.perf_counter()
    res = bl.Runner(net, dt=0.1, progress=False).run(1000.0)
    rate = res.spikes.rate(1000.0)
    t3 = time.perf_counter()
    return dict(framework="brainlab", what="import brainlab -> first COBA-4k result", import_s=round(t1 - t0, 3),
                build_s=round(t2 - t1, 3), first_run_s=round(t3 - t2, 3), total_s=round(t3 - t0, 3),
                rate_hz=round(rate, 3), peak_rss_mb=round(_rss_mb(), 1))


# ------------------------------------------------------------------------------------------------------------
# the driver
# ------------------------------------------------------------------------------------------------------------


def _run_json(cmd: list[str], timeout: float, cwd: Path = ROOT) -> dict:
    """Run ``cmd``; return its ``RESULT`` JSON (plus wall_s), or an ``error`` entry."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s", "wall_s": round(time.perf_counter() - t0, 1)}
    wall = round(time.perf_counter() - t0, 2)
    for line in reversed(p.stdout.splitlines()):
        if line.startswith("RESULT "):
            out = json.loads(line[len("RESULT "):])
            out["wall_s"] = wall
            return out
    tail = (p.stderr or p.stdout).strip().splitlines()[-3:]
    return {"error": f"exit {p.returncode}: " + " | ".join(tail), "wall_s": wall}


def _fmt(x, digits: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, str):
        return x
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits}g}" if x < 1 else f"{x:.{digits - 1}f}"


def _ratio(ours, theirs) -> str:
    if not ours or not theirs:
        return "–"
    r = ours / theirs
    return f"{r:.2f} ({1 / r:.1f}× faster)" if r < 1 else f"{r:.2f} ({r:.1f}× slower)"


def _machine() -> dict:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    osname = platform.platform()
    try:
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                osname = f"{line.split('=', 1)[1].strip().strip(chr(34))} (Linux {platform.release()})"
    except OSError:
        pass
    mem = None
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return dict(cpu=cpu, cores=os.cpu_count(), os=osname, memory_gib=mem)


def _versions() -> dict:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("brainlab", "jax", "jaxlib", "numba", "numpy"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "brainlab"], cwd=ROOT, capture_output=True,
                               text=True)
        out["brainlab_commit"] = rev.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")
    except OSError:
        pass
    return out


def _peer_versions(py: Path, peer: str) -> dict:
    code = ("import sys, importlib.metadata as m\n"
            "out = {'python': sys.version.split()[0]}\n"
            "for p in %r:\n"
            "    try: out[p] = m.version(p)\n"
            "    except m.PackageNotFoundError: pass\n"
            "print('RESULT', __import__('json').dumps(out))\n")
    pkgs = ("brian2", "numpy", "cython") if peer.startswith("brian2") else ("brainpy", "jax", "jaxlib", "numba",
                                                                            "numpy")
    out = _run_json([str(py), "-c", code % (pkgs,)], timeout=60)
    out.pop("wall_s", None)
    return out


def _parse_peer_sizes(specs: list[str]) -> dict[str, list[int]]:
    out = {k: list(v) for k, v in PEER_SIZES.items()}
    for spec in specs:
        name, _, sizes = spec.partition("=")
        if name not in PEER_SCRIPTS:
            raise SystemExit(f"--peer-sizes: unknown peer {name!r}; choose from {', '.join(PEER_SCRIPTS)}")
        out[name] = [int(s) for s in sizes.split(",") if s.strip()]
    return out


def _print(s: str = "") -> None:
    print(s, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="COBA sizes for brainlab (default %(default)s)")
    ap.add_argument("--models", default="cuba,cobahh", help="other models, run at --model-sizes (default %(default)s)")
    ap.add_argument("--model-sizes", default="4000", help="sizes for --models (default %(default)s)")
    ap.add_argument("--peers", default="brian2-cpp,brian2-cython,brainpy",
                    help="peers to run, or 'none' (default %(default)s)")
    ap.add_argument("--peer-sizes", action="append", default=[], metavar="PEER=N,N",
                    help="COBA sizes for one peer, e.g. brainpy=4000,16000,64000 (defaults: "
                         + "; ".join(f"{k}={','.join(map(str, v))}" for k, v in PEER_SIZES.items()) + ")")
    ap.add_argument("--peer-timeout", type=float, default=420.0, help="seconds per peer run (default %(default)s)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per brainlab run (default %(default)s)")
    ap.add_argument("--repeats", type=int, default=3, help="timed simulations per configuration (default 3)")
    ap.add_argument("--repeats-large", type=int, default=2,
                    help="timed simulations for N > 100k (each takes tens of seconds; default 2)")
    ap.add_argument("--onthefly-n", type=int, default=1_000_000, help="0 skips the on-the-fly run")
    ap.add_argument("--onthefly-duration", type=float, default=100.0,
                    help="simulated ms of the on-the-fly run (default %(default)s)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 4k only, 1 repeat, no 1M run; writes results/coba_quick.json, not RESULTS.md")
    ap.add_argument("--peers-dir", default=os.environ.get("PEERS_DIR", str(HERE / ".peers")),
                    help="where `make peers` put venv-brian2/ and venv-brainpy/ (env PEERS_DIR; default %(default)s)")
    ap.add_argument("--json", default=None, help="output JSON (default benchmarks/results/coba.json)")
    ap.add_argument("--md", default=None, help="output Markdown (default benchmarks/RESULTS.md; none with --quick)")
    # worker modes (used by the driver: one configuration per fresh process)
    ap.add_argument("--worker", choices=["brainlab", "first"], help=argparse.SUPPRESS)
    ap.add_argument("--model", default="coba", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=4000, help=argparse.SUPPRESS)
    ap.add_argument("--duration", type=float, default=1000.0, help=argparse.SUPPRESS)
    ap.add_argument("--onthefly", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--loop", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        res = worker_brainlab(args) if args.worker == "brainlab" else worker_first(args)
        print("RESULT " + json.dumps(res), flush=True)
        return

    t_start = time.perf_counter()
    started = datetime.datetime.now().astimezone()
    command = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.executable, ROOT), "benchmarks/coba.py",
                                                 *sys.argv[1:]])
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    models = [m for m in args.models.split(",") if m.strip()]
    model_sizes = [int(s) for s in args.model_sizes.split(",") if s.strip()]
    peer_sizes = _parse_peer_sizes(args.peer_sizes)
    peers = [] if args.peers in ("", "none") else [p.strip() for p in args.peers.split(",") if p.strip()]
    for p in peers:
        if p not in PEER_SCRIPTS:
            raise SystemExit(f"--peers: unknown peer {p!r}; choose from {', '.join(PEER_SCRIPTS)} or 'none'")
    repeats = args.repeats
    onthefly_n = args.onthefly_n
    if args.quick:
        sizes, model_sizes, repeats, onthefly_n = [4000], [4000], 1, 0
        peer_sizes = {k: [4000] for k in peer_sizes}
    json_path = Path(args.json) if args.json else HERE / "results" / ("coba_quick.json" if args.quick else "coba.json")
    md_path = Path(args.md) if args.md else (None if args.quick else HERE / "RESULTS.md")

    peers_dir = Path(args.peers_dir).resolve()
    available, notes = {}, []
    for p in peers:
        venv, script, extra = PEER_SCRIPTS[p]
        py = peers_dir / venv / "bin" / "python"
        if py.exists():
            available[p] = py
        else:
            notes.append(f"{PEER_NAMES[p]} skipped: no {py} (run `make peers`, or set PEERS_DIR).")
    for note in notes:
        _print("note: " + note)

    machine = _machine()
    versions = _versions()
    peer_versions = {p: _peer_versions(py, p) for p, py in available.items()}
    load_start = os.getloadavg()
    _print(f"COBA benchmark on {machine['cpu']} ({machine['cores']} cores), load average {load_start[0]:.2f}")

    me = [sys.executable, str(Path(__file__).resolve())]
    records: list[dict] = []

    def run_brainlab(model: str, n: int, duration: float = 1000.0, onthefly: bool = False, loop: bool = False,
                     reps: int = repeats) -> dict:
        cmd = [*me, "--worker", "brainlab", "--model", model, "--n", str(n), "--duration", str(duration),
               "--repeats", str(reps)] + (["--onthefly"] if onthefly else []) + (["--loop"] if loop else [])
        r = _run_json(cmd, timeout=args.timeout)
        r.update(framework="brainlab", model=model, n=n, onthefly=onthefly, duration_ms=duration, repeats=reps)
        records.append(r)
        _line(r)
        return r

    def run_peer(peer: str, model: str, n: int) -> dict:
        venv, script, extra = PEER_SCRIPTS[peer]
        cmd = [str(available[peer]), str(HERE / "peers" / script), "--model", model, "--n", str(n),
               "--repeats", str(repeats), *extra]
        if peer.startswith("brian2"):
            cmd += ["--workdir", str(peers_dir / "work")]
        r = _run_json(cmd, timeout=args.peer_timeout)
        r.update(framework=peer, model=model, n=n, onthefly=False, duration_ms=1000.0)
        records.append(r)
        _line(r)
        return r

    def _line(r: dict) -> None:
        what = f"{r['framework']:14s} {r['model']:7s} {r['n']:>8d}{' on-the-fly' if r.get('onthefly') else ''}"
        if "error" in r:
            _print(f"  {what}  ERROR {r['error']}")
        else:
            _print(f"  {what}  build {_fmt(r.get('build_s'))} s  compile {_fmt(r.get('compile_s'))} s  "
                   f"sim {_fmt(r.get('sim_s'))} s  rate {r.get('rate_hz', 0):.1f} Hz  "
                   f"RSS {_fmt(r.get('peak_rss_mb'))} MB  ({r.get('wall_s')} s wall)")

    # 1. import -> first result, in fresh processes (first, while nothing else of ours runs)
    _print("import brainlab -> first COBA-4k result (fresh processes):")
    firsts = []
    for _ in range(repeats):
        r = _run_json([*me, "--worker", "first"], timeout=args.timeout)
        firsts.append(r)
        _print(f"  {r.get('total_s', r.get('error'))} s (import {r.get('import_s')}, build {r.get('build_s')}, "
               f"first run {r.get('first_run_s')}; process wall {r.get('wall_s')} s)")
    ok = [r for r in firsts if "error" not in r]
    first = min(ok, key=lambda r: r["total_s"]) if ok else firsts[0]

    # 2. the configurations: brainlab and the peers side by side, size by size
    _print("configurations (each in a fresh process):")
    todo = [("coba", n) for n in sizes] + [(m, n) for m in models for n in model_sizes]
    for model, n in todo:
        run_brainlab(model, n, loop=(n == 4000), reps=repeats if n <= 100_000 else min(repeats, args.repeats_large))
        for peer in available:
            if model == "coba" and n not in peer_sizes[peer]:
                continue
            if model != "coba" and n not in model_sizes:
                continue
            run_peer(peer, model, n)
    if onthefly_n:
        run_brainlab("coba", onthefly_n, duration=args.onthefly_duration, onthefly=True,
                     reps=min(repeats, args.repeats_large))

    total = time.perf_counter() - t_start
    load_end = os.getloadavg()
    out = dict(date=started.isoformat(timespec="seconds"), command=command, total_runtime_s=round(total, 1),
               machine=machine, load_average_start=load_start, load_average_end=load_end, versions=versions,
               peer_versions=peer_versions, notes=notes, repeats=repeats, first_result=first,
               first_result_runs=firsts, records=records)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(out, indent=1))
    md = _markdown(out, list(available))
    _print()
    _print(md)
    if md_path is not None:
        md_path.write_text(md)
        _print(f"wrote {os.path.relpath(md_path, ROOT)} and {os.path.relpath(json_path, ROOT)}")
    else:
        _print(f"wrote {os.path.relpath(json_path, ROOT)}")


# ------------------------------------------------------------------------------------------------------------
# the report
# ------------------------------------------------------------------------------------------------------------


def _find(records, framework, model, n, onthefly=False):
    for r in records:
        if r["framework"] == framework and r["model"] == model and r["n"] == n and bool(r.get("onthefly")) == onthefly:
            return r
    return None


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else (f"{n // 1000}k" if n % 1000 == 0 else str(n))


def _markdown(out: dict, peers: list[str]) -> str:
    recs = out["records"]
    m, v, pv = out["machine"], out["versions"], out["peer_versions"]
    L = ["# Network benchmarks: COBA, CUBA, COBAHH", "",
         "Generated by `benchmarks/coba.py` (see its docstring for what each number means); do not edit by hand.", "",
         f"- Date: {out['date']}; whole benchmark: {out['total_runtime_s'] / 60:.1f} min",
         f"- Command: `{out['command']}`",
         f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}; load average "
         f"{out['load_average_start'][0]:.2f} at the start, {out['load_average_end'][0]:.2f} at the end "
         "(a shared machine: times are minima over repeats)",
         f"- brainlab {v.get('brainlab')} ({v.get('brainlab_commit', '?')}): Python {v['python']}, jax {v['jax']}, "
         f"jaxlib {v['jaxlib']}, numba {v['numba']}, numpy {v['numpy']}"]
    shown = set()
    for p, pvv in pv.items():
        venv = PEER_SCRIPTS[p][0]
        if venv in shown:
            continue
        shown.add(venv)
        names = " and ".join(PEER_NAMES[q] for q in pv if PEER_SCRIPTS[q][0] == venv)
        L.append(f"- {names}: " + ", ".join(f"{k} {val}" for k, val in pvv.items() if k != "error"))
    for note in out["notes"]:
        L.append(f"- Note: {note}")
    large = sorted({r["repeats"] for r in recs if r["framework"] == "brainlab" and r.get("repeats") != out["repeats"]})
    L += ["", "Every network: 80 % excitatory, p = 80/N, dt = 0.1 ms, 1 s simulated (unless stated), float32 in "
          "brainlab and BrainPy, float64 in Brian2.  *sim* is the pure simulation time of 1 s, the minimum of "
          f"{out['repeats']} runs after the first"
          + (f" ({'/'.join(map(str, large))} for brainlab above 100k neurons)" if large else "")
          + "; *compile* is the first run minus *sim*; *build* includes the connectivity.  Brian2 cpp_standalone "
          "builds its synapses inside the compiled binary (so not in *build*) and keeps its compiled project between "
          "invocations: *(cached)* marks an incremental `make`.  Brian2's Cython runtime compiles the code of "
          "`connect()` during *build* unless its cache (kept between invocations) has it.", ""]

    # the comparison table
    L += ["## Pure simulation time and brainlab's ratio to each peer", "",
          "Ratio = brainlab's sim ÷ the peer's sim, measured in this same run (below 1: brainlab is faster).", ""]
    head = ["model", "N", "brainlab sim (s)"]
    for p in peers:
        head += [f"{PEER_NAMES[p]} (s)", "ratio"]
    L += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    keys = []
    for r in recs:
        k = (r["model"], r["n"], bool(r.get("onthefly")))
        if r["framework"] == "brainlab" and k not in keys:
            keys.append(k)
    for model, n, otf in keys:
        ours = _find(recs, "brainlab", model, n, otf)
        s_ours = ours.get("sim_s")
        label = model.upper() + (" on the fly" if otf else "")
        dur = ours.get("duration_ms", 1000.0)
        row = [label, _size(n), (_fmt(s_ours) if s_ours else ours.get("error", "–"))
               + (f" for {dur:g} ms" if dur != 1000.0 else "")]
        for p in peers:
            theirs = _find(recs, p, model, n)
            if theirs is None or otf:
                row += ["not run", "–"]
            elif "error" in theirs:
                row += [theirs["error"], "–"]
            else:
                row += [_fmt(theirs["sim_s"]), _ratio(s_ours, theirs["sim_s"])]
        L.append("| " + " | ".join(row) + " |")

    # every run in detail
    L += ["", "## Every run", "",
          "*build* is in a fresh process; brainlab's second build of the same network (another seed) in that process, "
          "without the one-time loading of its kernels, is given in brackets.", "",
          "*cores* is CPU time ÷ wall time during the timed simulations (for Brian2 cpp_standalone: of the whole "
          "binary), i.e. how many cores the simulation kept busy.", "",
          "| framework | model | N | synapses | build (s) | compile (s) | sim (s) | cores | rate (Hz) | "
          "peak RSS (MB) | process wall (s) |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in recs:
        name = "brainlab" if r["framework"] == "brainlab" else PEER_NAMES[r["framework"]]
        label = r["model"].upper() + (" on the fly" if r.get("onthefly") else "")
        if r.get("duration_ms", 1000.0) != 1000.0:
            label += f" ({r['duration_ms']:g} ms)"
        if "error" in r:
            L.append(f"| {name} | {label} | {_size(r['n'])} | | | | {r['error']} | | | | {r.get('wall_s')} |")
            continue
        syn = f"{r['n_syn'] / 1e6:.2f} M" if r.get("n_syn") else ("none stored" if r.get("onthefly") else "–")
        comp = _fmt(r.get("compile_s")) + (" (cached)" if r.get("compile_cache") == "warm" else "")
        build = _fmt(r.get("build_s")) + (f" ({_fmt(r['rebuild_s'])})" if r.get("rebuild_s") is not None else "")
        L.append(f"| {name} | {label} | {_size(r['n'])} | {syn} | {build} | "
                 f"{comp} | {_fmt(r.get('sim_s'))} | {_fmt(r.get('cpu_per_wall'), 2)} | {r.get('rate_hz', 0):.1f} | "
                 f"{_fmt(r.get('peak_rss_mb'))} | {r.get('wall_s')} |")
    loops = [r for r in recs if r.get("loop_sim_s")]
    if loops:
        L += ["", "brainlab's bare compiled step loop (`be.for_loop(net.update)`, no Runner, spike counts only), for "
              "reference: " + "; ".join(f"{r['model'].upper()} {_size(r['n'])} {_fmt(r['loop_sim_s'])} s"
                                       for r in loops) + "."]
    unfused = [r for r in recs if r.get("unfused_sim_s")]
    if unfused:
        L += ["", "brainlab's Runner without elementwise fusion (`Runner(fuse=False)`: one XLA kernel per State "
              "written), for reference: " + "; ".join(f"{r['model'].upper()} {_size(r['n'])} "
                                                      f"{_fmt(r['unfused_sim_s'])} s" for r in unfused) + "."]

    # import -> first result
    f = out["first_result"]
    L += ["", "## From `import brainlab` to the first COBA-4k result", ""]
    if "error" in f:
        L.append(f"Failed: {f['error']}")
    else:
        L.append(f"{_fmt(f['total_s'])} s in a fresh process (import {_fmt(f['import_s'])} s, build "
                 f"{_fmt(f['build_s'])} s, first `Runner.run(1000.)` with compilation {_fmt(f['first_run_s'])} s; "
                 f"rate {f['rate_hz']:.1f} Hz; the process's wall time, interpreter start included, "
                 f"{f['wall_s']} s).  Minimum over {len(out['first_result_runs'])} fresh processes: "
                 + ", ".join(str(r.get("total_s", "error")) for r in out["first_result_runs"])
                 + " s; brainlab's caches (event kernels' machine code, compiled chunk programs) and the OS file "
                 "cache are warm, as after a first run on the machine.")

    # targets
    L += ["", "## Targets", "", "| target | measured | met |", "|---|---|---|"]
    coba4 = _find(recs, "brainlab", "coba", 4000) or {}
    cpp4 = _find(recs, "brian2-cpp", "coba", 4000) or {}
    bp4 = _find(recs, "brainpy", "coba", 4000) or {}
    b64 = _find(recs, "brainlab", "coba", 64000) or {}

    def row(target, measured, met):
        L.append(f"| {target} | {measured} | {'–' if met is None else ('yes' if met else 'no')} |")

    s4, loop4 = coba4.get("sim_s"), coba4.get("loop_sim_s")
    if s4 and cpp4.get("sim_s"):
        extra = f" (bare step loop {_fmt(loop4)} s: {loop4 / cpp4['sim_s']:.2f})" if loop4 else ""
        row(TARGETS[0], f"{_fmt(s4)} s vs {_fmt(cpp4['sim_s'])} s: ratio {s4 / cpp4['sim_s']:.2f}{extra}",
            s4 <= 0.5 * cpp4["sim_s"])
    else:
        row(TARGETS[0], "not measured (no Brian2)", None)
    if s4 and bp4.get("sim_s"):
        extra = f" (bare step loop {_fmt(loop4)} s: {bp4['sim_s'] / loop4:.1f}×)" if loop4 else ""
        row(TARGETS[1], f"{_fmt(s4)} s vs {_fmt(bp4['sim_s'])} s: {bp4['sim_s'] / s4:.1f}× faster{extra}",
            bp4["sim_s"] >= 10 * s4)
    else:
        row(TARGETS[1], "not measured (no BrainPy)", None)
    if b64.get("build_s") is not None:
        row(TARGETS[2], f"{_fmt(b64['build_s'])} s in a fresh process ({_fmt(b64.get('rebuild_s'))} s for a second "
            "build in the same process)", b64["build_s"] <= 1.0)
    else:
        row(TARGETS[2], "not measured", None)
    if "total_s" in f:
        row(TARGETS[3], f"{_fmt(f['total_s'])} s", f["total_s"] <= 3.0)
    else:
        row(TARGETS[3], "not measured", None)
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
