"""Elementwise fusion (brainlab.engine._fusion): fused kernels against XLA's evaluation of the same jaxpr.

The truth is the unfused program compiled by XLA (and, for multiply-add chains, a float64 NumPy evaluation):
IEEE operations without multiply-adds must agree bit for bit, including NaN, infinities and signed zeros;
multiply-add chains may differ only by the rounding of a fused multiply-add.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainlab as bl
from brainlab.engine import _fusion

pytestmark = pytest.mark.skipif(not _fusion.available() or jax.default_backend() != "cpu",
                                reason="fused kernels need llvmlite and the CPU backend")


def _fused(fn, *args, **kw):
    """(fused results, XLA results, number of fused calls in the compiled program)."""
    closed = jax.make_jaxpr(fn)(*args)
    ev = _fusion.fused_evaluator(closed, **kw)
    run = jax.jit(lambda *a: ev(*a))
    text = run.lower(*args).as_text()
    return run(*args), jax.jit(lambda *a: list(jax.tree.leaves(fn(*a))))(*args), text.count("brainlab_fused_")


def _special(n, seed, dtype=np.float32):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 10, n).astype(dtype)
    x[:8] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-38, -1e-45, 3.0]
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ieee_ops_bit_identical_to_xla(dtype):
    """No multiply-adds: every result equal to XLA's, bit for bit (NaN where XLA has NaN)."""
    with bl.engine.precision("float64" if dtype == np.float64 else "float32"):
        x, y = jnp.asarray(_special(1000, 1, dtype)), jnp.asarray(_special(1000, 2, dtype)[::-1].copy())
        s = jnp.asarray(dtype(2.5))

        def f(x, y, s):
            q = (x - y) / (jnp.abs(y) + s)
            m = jnp.maximum(x, y) - jnp.minimum(q, s)
            r = jnp.sqrt(jnp.abs(m)) - (-x)
            c = (x < y) | ((q >= s) & ~(x == y)) ^ (m != m)
            k = jnp.where(c, r, q * q)
            i = (x > 0).astype(jnp.int32) + 2 * (y <= 0).astype(jnp.int32) - jnp.int32(1)
            return k, c, i, i.astype(x.dtype) / s, (x != 0).astype(x.dtype), q ** 3

        fused, ref, calls = _fused(f, x, y, s)
    assert calls == 1
    for a, b in zip(fused, ref):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape
        if a.dtype.kind == "f":
            np.testing.assert_array_equal(np.signbit(a[~np.isnan(a)]), np.signbit(b[~np.isnan(b)]))
        np.testing.assert_array_equal(a, b)


def test_multiply_add_chain_within_one_rounding():
    """A leaky-integrator update (multiply-adds): fused and XLA within a few ulp of the float64 value."""
    rng = np.random.default_rng(3)
    v, g = (jnp.asarray(rng.uniform(-70, -40, 4000), jnp.float32), jnp.asarray(rng.uniform(0, 2, 4000), jnp.float32))

    def f(v, g):
        return v + 0.1 * (-(v + 60.0) + g * (0.0 - v)) / 20.0, g * 0.98

    fused, ref, calls = _fused(f, v, g)
    exact = [np.asarray(v, np.float64) + 0.1 * (-(np.asarray(v, np.float64) + 60.0)
                                                + np.asarray(g, np.float64) * (0.0 - np.asarray(v, np.float64))) / 20.0,
             np.asarray(g, np.float64) * np.float32(0.98)]
    assert calls == 1
    for a, b, e in zip(fused, ref, exact):
        np.testing.assert_allclose(np.asarray(a), e, rtol=4e-7, atol=0)
        np.testing.assert_allclose(np.asarray(b), e, rtol=4e-7, atol=0)


def test_groups_are_cut_by_unfusible_work_and_sized_separately():
    """Two sizes, and a cumulative sum between two elementwise stages: one call per size and stage."""
    a, b = jnp.linspace(-1, 1, 300), jnp.linspace(0, 3, 50)

    def f(a, b):
        a1 = jnp.where(a > 0, a * 2.0, -a) + 1.0
        b1 = (b - 1.0) / 3.0 + 0.5
        c = jnp.cumsum(a1)  # not elementwise: the first size-300 stage is emitted before it
        return (c - a1) / 2.0 + 1.0, b1 * b1 - b, c

    fused, ref, calls = _fused(f, a, b)
    assert calls == 3
    for x, y in zip(fused, ref):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-6)


def test_empty_arrays_are_left_to_xla():
    fused, ref, calls = _fused(lambda x: (x * 2.0 + 1.0, x > 0), jnp.zeros(0))
    assert calls == 0 and [a.shape for a in fused] == [(0,), (0,)]


def test_sizes_with_transcendentals_stay_with_xla():
    """exp is XLA's own approximation: a size that needs it per element is not fused (results bit-identical)."""
    x = jnp.linspace(-3, 3, 256)

    def f(x):
        return jnp.exp(x * 0.5) + x * 2.0 - 1.0, (x > 0) & (x < 2)

    fused, ref, calls = _fused(f, x)
    assert calls == 0
    for a, b in zip(fused, ref):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # nothing fuses, so the program XLA is given is the program as written: not flattened (the jit call stays a
    # call) nor rewritten (the product of broadcast scalars stays a product of arrays)
    def g(x, tau):
        rate = jnp.broadcast_to(tau, x.shape) * 2.0
        return jax.jit(lambda y: jnp.exp(y) * rate)(x)

    closed = jax.make_jaxpr(g)(x, jnp.float32(0.5))
    again = jax.make_jaxpr(_fusion.fused_evaluator(closed))(x, jnp.float32(0.5))
    assert str(again.jaxpr) == str(closed.jaxpr)


def test_broadcast_scalars_are_computed_once():
    """expm1 of a broadcast rate (as exponential Euler writes a linear decay) is a scalar, so the size fuses."""
    g = jnp.linspace(0, 1, 500)
    tau = jnp.float32(5.0)

    def f(g, tau):
        a = jnp.broadcast_to(-1.0 / tau, g.shape)
        return g + 0.1 * (jnp.expm1(a * 0.1) / (a * 0.1)) * (-g / tau), g > 0.5

    fused, ref, calls = _fused(f, g, tau)
    assert calls == 1
    np.testing.assert_allclose(np.asarray(fused[0]), np.asarray(ref[0]), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(fused[1]), np.asarray(ref[1]))


def test_carried_state_updated_in_place_gives_the_loop_result():
    """A while loop whose carried arrays are overwritten by the fused call (donation): the same trajectory."""
    x0 = jnp.linspace(0.0, 6.0, 1000)
    k0 = jnp.zeros(1000, jnp.int32)

    def step(x, k):
        wrapped = x > 3.0
        return jnp.where(wrapped, x - 3.0, x + 0.25), k + wrapped.astype(jnp.int32)

    closed = jax.make_jaxpr(step)(x0, k0)
    ev = _fusion.fused_evaluator(closed, donate=[(0, 0), (1, 1)])

    def loop(body):
        return jax.jit(lambda x, k: jax.lax.fori_loop(0, 200, lambda i, c: tuple(body(*c)), (x, k)))

    def copies_in_loop(body):  # copies of loop-carried values (get-tuple-element), made at every iteration
        text = loop(body).lower(x0, k0).compile().as_text()
        return sum(" copy(%get-tuple-element" in line for line in text.splitlines())

    fused = loop(ev)(x0, k0)
    ref = loop(step)(x0, k0)
    for a, b in zip(fused, ref):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert copies_in_loop(ev) == 0
    assert copies_in_loop(_fusion.fused_evaluator(closed)) == 2  # without donation XLA copies both arrays back


_CACHED_KERNEL_PROGRAM = """
import hashlib, jax, jax.numpy as jnp, numpy as np
from brainlab.engine import _fusion
x = jnp.linspace(-3.0, 3.0, 1001, dtype=jnp.float32)
closed = jax.make_jaxpr(lambda v, g: (v + 0.1 * (g * (0.5 - v)), jnp.maximum(g * 0.9, v) / 3.0))(x, x * x)
out = jax.jit(_fusion.fused_evaluator(closed))(x, x * x)
c = _fusion._COMPILER[0]
digest = hashlib.sha256(np.concatenate([np.asarray(o) for o in out]).tobytes()).hexdigest()
print("KERNELS", c.compiled, c.loaded, digest)
"""


def test_fused_kernels_are_cached_on_disk_and_a_damaged_entry_is_compiled_again(tmp_path):
    """A second process loads the kernel's machine code instead of compiling it, with the same results; a damaged
    file is never loaded (compiled again, and rewritten); ``BRAINLAB_CACHE_DIR=0`` writes nothing."""
    import os
    import subprocess
    import sys

    def process(cache: str, cwd: str | None = None) -> tuple[int, int, str]:
        env = dict(os.environ, BRAINLAB_CACHE_DIR=cache)
        out = subprocess.run([sys.executable, "-c", _CACHED_KERNEL_PROGRAM], env=env, capture_output=True,
                             text=True, timeout=300, cwd=cwd)
        assert out.returncode == 0, out.stderr[-2000:]
        compiled, loaded, digest = out.stdout.split("KERNELS", 1)[1].split()
        return int(compiled), int(loaded), digest

    first = process(str(tmp_path))
    assert first[:2] == (1, 0)
    (entry,) = (tmp_path / "fused").glob("*/brainlab_fused_*.o")
    assert process(str(tmp_path)) == (0, 1, first[2])
    damaged = bytearray(entry.read_bytes())
    damaged[-1] ^= 0xFF
    entry.write_bytes(bytes(damaged))
    assert process(str(tmp_path)) == (1, 0, first[2])
    assert process(str(tmp_path)) == (0, 1, first[2])  # the damaged file was replaced by a good one
    off = tmp_path / "off"
    off.mkdir()
    assert process("0", cwd=str(off)) == (1, 0, first[2])  # a relative cache path would land in ``off``
    assert not any(off.iterdir())


@pytest.fixture
def fusion_stats(monkeypatch):
    """The ``stats`` of every fused evaluation a Runner makes (``groups``, ``fused``) while the test runs."""
    stats: dict = {}
    plain = _fusion.fused_evaluator
    monkeypatch.setattr(_fusion, "fused_evaluator", lambda closed, **kw: plain(closed, stats=stats, **kw))
    return stats


def test_runner_fused_matches_unfused_coba_and_is_the_default_on_cpu(fusion_stats):
    """The COBA network: the fused step gives the same spike trains and potentials as XLA's kernels."""
    stats = fusion_stats
    results = {}
    for fuse in (None, False):
        net = bl.networks.coba(1000, seed=4)
        runner = bl.Runner(net, monitors={"V": "E.V"}, progress=False, fuse=fuse)
        results[fuse] = runner.run(200.0)
        if fuse is None:  # one fused call per population size (800 and 200 neurons) holds the step's arithmetic
            assert stats["groups"] == 2 and stats["fused"] > 40
    a, b = results[None], results[False]
    assert len(a.spikes) > 100
    np.testing.assert_array_equal(a.spikes.times, b.spikes.times)
    np.testing.assert_array_equal(a.spikes.indices, b.spikes.indices)
    np.testing.assert_allclose(a["V"], b["V"], rtol=0, atol=1e-4)


def test_runner_fuse_setting_can_change_between_runs(fusion_stats):
    """Setting ``runner.fuse`` after a run compiles the other program (the setting is part of the cache key)."""
    stats = fusion_stats
    runner = bl.Runner(bl.networks.coba(500, seed=1), progress=False, fuse=False)
    runner.run(5.0)
    assert stats == {}
    runner.fuse = None
    runner.run(5.0)
    assert stats["groups"] == 2


def test_runner_rejects_a_bad_fuse_argument():
    with pytest.raises(TypeError, match="fuse must be True, False or None"):
        bl.Runner(bl.neurons.LIF(3), fuse="yes")
    runner = bl.Runner(bl.neurons.LIF(3))
    with pytest.raises(TypeError, match="fuse must be True, False or None"):
        runner.fuse = 1.0


def test_runner_without_fused_kernels_refuses_fuse_true_when_built_and_runs_unfused_by_default(monkeypatch,
                                                                                                fusion_stats):
    """Where the kernels cannot be built (no llvmlite), ``fuse=True`` is refused at once, not at the first run,
    and the automatic setting runs the unfused step."""
    monkeypatch.setattr(_fusion, "available", lambda: False)
    with pytest.raises(RuntimeError, match="fuse=True needs llvmlite"):
        bl.Runner(bl.neurons.LIF(3), fuse=True)
    runner = bl.Runner(bl.neurons.LIF(3, I_ext=300.0), progress=False)
    with pytest.raises(RuntimeError, match="fuse=True needs llvmlite"):
        runner.fuse = True
    assert runner.fuse is None
    assert len(runner.run(20.0).spikes) > 0
    assert fusion_stats == {}


def _random_program(rng, n_nodes):
    """A random elementwise program whose products never feed a sum (so a multiply-add cannot be contracted)."""
    plan = []  # (op, operand indices, comparison)
    kinds = ["x", "x", "x", "s"]  # operands 0-2 arrays, 3 a scalar; "m": a product (or the negation of one)
    for _ in range(n_nodes):
        k = len(kinds)
        op = rng.choice(["add", "sub", "mul", "div", "max", "min", "neg", "abs", "sqrt", "where", "pow2", "cast"])
        free = [i for i in range(k) if kinds[i] != "m"]
        if op in ("add", "sub"):
            args = list(rng.choice(free, 2))
        elif op == "where":
            args = list(rng.integers(0, k, 4))
        else:
            args = list(rng.integers(0, k, 2))
        plan.append((op, args, rng.choice(["lt", "ge", "ne"])))
        product = op in ("mul", "pow2") or (op in ("neg", "abs") and kinds[args[0]] == "m") \
            or (op == "where" and "m" in (kinds[args[2]], kinds[args[3]]))
        kinds.append("m" if product else "x")
    return plan


def _ieee_maximum(a, b, xp):
    """IEEE 754-2019 maximum (NaN propagates, +0 > -0): what XLA's and the fused kernels' max compute."""
    nan = xp.isnan(a) | xp.isnan(b)
    tie = (a == b) & xp.signbit(a)
    return xp.where(nan, a + b, xp.where(tie, b, xp.maximum(a, b)))


def _ieee_minimum(a, b, xp):
    nan = xp.isnan(a) | xp.isnan(b)
    tie = (a == b) & ~xp.signbit(a)
    return xp.where(nan, a + b, xp.where(tie, b, xp.minimum(a, b)))


def _run_program(plan, x, y, z, s, xp=jnp):
    """``plan`` evaluated with ``xp`` (``jnp`` to trace it, ``np`` for the float32 reference)."""
    vals = [x, y, z, s]
    for op, a, cmp in plan:
        u, v = vals[a[0]], vals[a[1]]
        if op == "add":
            r = u + v
        elif op == "sub":
            r = u - v
        elif op == "mul":
            r = u * v
        elif op == "div":
            r = u / v
        elif op == "max":
            r = _ieee_maximum(u, v, xp) if xp is np else xp.maximum(u, v)
        elif op == "min":
            r = _ieee_minimum(u, v, xp) if xp is np else xp.minimum(u, v)
        elif op == "neg":
            r = -u
        elif op == "abs":
            r = xp.abs(u)
        elif op == "sqrt":
            r = xp.sqrt(xp.abs(u))
        elif op == "pow2":
            r = u * u
        elif op == "cast":  # through int32 and bool: conversions both define exactly
            r = (u > v).astype(xp.int32).astype(x.dtype) - (u != u).astype(x.dtype)
        else:
            c = {"lt": u < v, "ge": u >= v, "ne": u != v}[cmp]
            r = xp.where(c, vals[a[2]], vals[a[3]])
        vals.append(xp.broadcast_to(r, x.shape).astype(x.dtype))
    return vals[-4:]


@pytest.mark.parametrize("seed", range(12))
def test_random_programs_bit_identical_to_ieee_float32(seed):
    """Random elementwise programs (257 elements: a vector remainder too; NaN, infinities and zeros among the
    inputs) against NumPy's float32 evaluation of the same operations in the same order: bit for bit.

    (XLA itself is not the reference here: its simplifier rewrites, e.g., ``a / b / c`` into ``a / (b * c)`` and
    ``abs(x * x)`` into ``x * x``, which changes the last bit; the fused kernels compute the program as written.)
    """
    rng = np.random.default_rng(seed)
    plan = _random_program(rng, 30)
    inputs = []
    for k in range(3):
        v = np.random.default_rng(seed * 3 + k).normal(0, 10, 257).astype(np.float32)
        v[:4] = [np.nan, np.inf, -np.inf, 0.0]
        inputs.append(v)
    s = np.float32(rng.normal())
    fused, _, calls = _fused(lambda x, y, z, s: _run_program(plan, x, y, z, s), *map(jnp.asarray, inputs), s)
    with np.errstate(all="ignore"):
        exact = _run_program(plan, *inputs, s, xp=np)
    assert calls == 1
    for a, b in zip(fused, exact):
        np.testing.assert_array_equal(np.asarray(a), b)
