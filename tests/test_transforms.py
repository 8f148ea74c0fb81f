"""Object-oriented transforms: side effects, trace counts, gradients, vmap, control flow, misuse errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import brainlab.engine as be


class Counter(be.Module):
    def __init__(self):
        self.n = be.State(0)
        self.x = be.State(be.zeros(3))

    def step(self, inc):
        self.n.value += 1
        self.x.value = self.x.value + inc * be.arange(3.0)
        return self.x.value.sum()


class Leaky(be.Module):
    """x' = -a x + input, one Euler step of 0.1; a is a parameter."""

    def __init__(self, a=1.0, n=4):
        self.a = be.ParamState(jnp.full(n, a))
        self.x = be.HiddenState(jnp.zeros(n))

    def step(self, inp):
        self.x.value = self.x.value + 0.1 * (-self.a.value * self.x.value + inp)
        return self.x.value


# --- jit ---------------------------------------------------------------------------------------------------


def test_jit_side_effects_land_and_compile_once():
    c = Counter()
    f = be.jit(c.step)
    out1 = f(1.0)
    out2 = f(2.0)
    assert int(c.n.value) == 2
    np.testing.assert_allclose(np.asarray(c.x.value), 3.0 * np.arange(3.0))
    assert float(out1) == pytest.approx(3.0) and float(out2) == pytest.approx(9.0)
    assert f.trace_count == 1


def test_jit_traces_user_code_once_per_compile():
    calls = []
    s = be.State(0.0)

    def fn(x):
        calls.append(1)
        s.value = s.value + x
        return s.value

    f = be.jit(fn)
    for i in range(5):
        f(float(i))
    assert len(calls) == 1  # a single trace discovers the State; no second execution
    assert float(s.value) == 10.0


def test_jit_recompiles_on_shape_change_only():
    f = be.jit(lambda x: x * 2)
    f(jnp.ones(3))
    f(jnp.zeros(3))
    assert f.trace_count == 1
    f(jnp.ones(4))
    assert f.trace_count == 2
    f(jnp.ones(3, dtype=jnp.int32))
    assert f.trace_count == 3


def test_jit_static_argument_recompiles():
    f = be.jit(lambda x, n: x * n, static_argnums=1)
    assert float(f(2.0, 3)) == 6.0
    assert float(f(2.0, 3)) == 6.0 and f.trace_count == 1
    assert float(f(2.0, 4)) == 8.0 and f.trace_count == 2


def test_parameter_change_is_never_stale_and_never_recompiles():
    m = Leaky(a=1.0)
    f = be.jit(m.step)
    x1 = np.asarray(f(1.0))
    m.reset()
    m.a.value = jnp.full(4, 5.0)
    x2 = np.asarray(f(1.0))
    assert f.trace_count == 1
    np.testing.assert_allclose(x1, 0.1)  # first step from 0 does not depend on a
    x3 = np.asarray(f(1.0))
    np.testing.assert_allclose(x3, 0.1 + 0.1 * (-5.0 * 0.1 + 1.0), rtol=1e-6)
    assert f.trace_count == 1


def test_state_reshape_deliberately_retraces():
    s = be.State(jnp.zeros(3))
    f = be.jit(lambda: s.value.sum())
    f()
    s.set_value(jnp.ones(5), reshape=True)
    assert float(f()) == 5.0 and f.trace_count == 2


def test_jit_method_decorator_is_per_instance():
    class A(be.Module):
        def __init__(self, k):
            self.k = be.ParamState(k)

        @be.jit
        def get(self, x):
            return self.k.value * x

    a, b = A(2.0), A(3.0)
    assert float(a.get(1.0)) == 2.0 and float(b.get(1.0)) == 3.0


def test_nested_jit_and_loops():
    c = Counter()

    @be.jit
    def run():
        return be.for_loop(lambda i: be.jit(c.step)(1.0), be.arange(4))

    out = run()
    assert int(c.n.value) == 4
    np.testing.assert_allclose(np.asarray(out), [3.0, 6.0, 9.0, 12.0])


# --- errors -------------------------------------------------------------------------------------------------


def test_state_shape_and_dtype_errors_name_the_state():
    c = Counter()
    with pytest.raises(be.StateError, match=r"State 'Counter.x' has shape \(3,\).*shape \(4,\)"):
        c.x.value = jnp.zeros(4)
    with pytest.raises(be.StateError, match=r"'Counter.n' has dtype int32.*dtype bool"):
        c.n.value = jnp.array(True)
    with pytest.raises(be.StateError, match="Counter.x"):
        be.jit(lambda: c.x.__setattr__("value", jnp.zeros(2)))()


def test_state_written_under_raw_jax_jit_is_refused():
    s = be.State(0.0, name="v")

    def bad():
        s.value = s.value + 1.0

    with pytest.raises(be.StateError, match="'v' was written inside a raw JAX transformation"):
        jax.jit(bad)()
    assert float(s.value) == 0.0


def test_state_written_under_raw_lax_loop_inside_jit_is_refused():
    s = be.State(0.0, name="acc")

    def bad():
        def body(i, c):
            s.value = s.value + 1.0
            return c

        jax.lax.fori_loop(0, 3, body, 0)

    with pytest.raises(be.StateError, match="(?s)nested in brainlab.jit.*be.for_loop"):
        be.jit(bad)()


def test_tracer_escaping_into_a_state_created_inside_is_reported():
    holder = []

    @be.jit
    def make(x):
        s = be.State(x * 2)
        holder.append(s)
        return s.value

    make(1.0)
    with pytest.raises(be.TracerLeakError, match="created inside brainlab.jit"):
        holder[0].value


def test_state_passed_as_argument_is_refused():
    s = be.State(1.0, name="w")
    with pytest.raises(TypeError, match="'w'.*passed as an argument"):
        be.jit(lambda x: x)(s)


# --- grad ---------------------------------------------------------------------------------------------------


def _finite_difference(f, x, eps=1e-3):
    x = np.asarray(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in range(x.size):
        d = np.zeros_like(x)
        d.flat[i] = eps
        g.flat[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return g


def test_grad_wrt_arguments_matches_finite_differences():
    def loss(x):
        return jnp.sum(jnp.sin(x) * x**2)

    x = np.array([0.3, -1.2, 2.0])
    with be.precision("float64"):
        g = be.grad(loss)(jnp.asarray(x))
    fd = _finite_difference(lambda v: float(np.sum(np.sin(v) * v**2)), x, 1e-6)
    np.testing.assert_allclose(np.asarray(g), fd, rtol=1e-6)


def test_grad_wrt_states_and_args_and_side_effects():
    m = Leaky(a=2.0, n=3)

    def loss(inp):
        return jnp.sum(m.step(inp) ** 2)

    with be.precision("float64"):
        m.x.value = jnp.asarray([0.5, -0.2, 1.0], dtype=jnp.float32)
        g_inp, g_state = be.grad(loss, argnums=0, states=m)(jnp.asarray(1.0))

    def numeric(a, inp):
        x0 = np.array([0.5, -0.2, 1.0])
        return np.sum((x0 + 0.1 * (-a * x0 + inp)) ** 2)

    fd_a = _finite_difference(lambda a: numeric(a, 1.0), np.full(3, 2.0))
    fd_i = _finite_difference(lambda i: numeric(np.full(3, 2.0), i[0]), np.array([1.0]))
    np.testing.assert_allclose(np.asarray(g_state["a"]), fd_a, rtol=1e-4)
    np.testing.assert_allclose(float(g_inp), fd_i[0], rtol=1e-4)
    # the step's write happened
    np.testing.assert_allclose(np.asarray(m.x.value), [0.5, -0.2, 1.0] + 0.1 * (-2 * np.array([0.5, -0.2, 1.0]) + 1),
                               rtol=1e-6)


def test_value_and_grad_and_aux():
    w = be.ParamState(jnp.array([1.0, 2.0]))
    (val, aux), g = be.value_and_grad(lambda x: ((w.value * x).sum() ** 2, x * 3), states=[w], has_aux=True)(
        jnp.array([1.0, 1.0])
    )
    assert float(val) == 9.0
    np.testing.assert_allclose(np.asarray(aux), [3.0, 3.0])
    np.testing.assert_allclose(np.asarray(g[0]), [6.0, 6.0])


def test_grad_needs_scalar_loss():
    with pytest.raises(TypeError, match="must return a scalar loss, got shape \\(2,\\)"):
        be.grad(lambda x: x * 2)(jnp.ones(2))


# --- vmap ---------------------------------------------------------------------------------------------------


def test_vmap_of_stateful_object_equals_loop_over_copies():
    params = [0.5, 1.0, 2.0, 4.0]
    copies = [Leaky(a) for a in params]
    reference = [Leaky(a) for a in params]
    batch = be.stack_modules(copies)
    f = be.vmap(batch.step, in_axes=0, in_states=batch)
    inputs = jnp.asarray(np.random.default_rng(0).normal(size=(5, 4, 4)), dtype=jnp.float32)
    for t in range(5):
        out = f(inputs[t])
        expected = [ref.step(inputs[t, k]) for k, ref in enumerate(reference)]
        np.testing.assert_allclose(np.asarray(out), np.stack([np.asarray(e) for e in expected]), rtol=1e-6)
    for k, ref in enumerate(reference):
        np.testing.assert_allclose(np.asarray(be.unstack_module(batch, k).x.value), np.asarray(ref.x.value),
                                   rtol=1e-6)


def test_vmap_unbatched_state_written_per_member_is_an_error():
    m = Leaky(1.0)
    with pytest.raises(be.StateError, match="'Leaky.x' is not batched"):
        be.vmap(m.step)(jnp.ones((3, 4)))


def test_vmap_shared_state_read_is_broadcast():
    k = be.ParamState(2.0)
    out = be.vmap(lambda x: x * k.value)(jnp.arange(3.0))
    np.testing.assert_allclose(np.asarray(out), [0.0, 2.0, 4.0])


# --- loops and branches -------------------------------------------------------------------------------------


def test_for_loop_equals_python_loop():
    a, b = Leaky(1.5), Leaky(1.5)
    xs = jnp.linspace(0, 1, 20)
    out = be.for_loop(a.step, xs)
    ref = np.stack([np.asarray(b.step(x)) for x in xs])
    np.testing.assert_allclose(np.asarray(out), ref, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(a.x.value), np.asarray(b.x.value), rtol=1e-5)


def test_for_loop_at_top_level_compiles_once():
    m = Leaky(1.0)
    calls = []

    def body(x):
        calls.append(1)
        return m.step(x)

    for _ in range(3):
        be.for_loop(body, jnp.ones(10))
    assert len(calls) == 1


def test_scan_cond_while_loop():
    total = be.State(0.0)

    def f(c, x):
        total.value += x
        return c * 2, c + x

    c, ys = be.scan(f, 1.0, jnp.arange(4.0))
    assert float(c) == 16.0 and float(total.value) == 6.0
    np.testing.assert_allclose(np.asarray(ys), [1.0, 3.0, 6.0, 11.0])

    v = be.State(-70.0)

    def spike():
        v.value = -65.0
        return jnp.array(1)

    assert int(be.cond(v.value < -60.0, spike, lambda: jnp.array(0))) == 1 and float(v.value) == -65.0
    assert int(be.cond(v.value < -66.0, spike, lambda: jnp.array(0))) == 0

    n = be.State(0)

    def body(x):
        n.value += 1
        return x * 2.0

    out = be.while_loop(lambda x: x < 100.0, body, 1.0)
    assert float(out) == 128.0 and int(n.value) == 7


def test_while_loop_condition_may_not_write():
    s = be.State(0)

    def cond(x):
        s.value += 1
        return x < 3

    with pytest.raises(ValueError, match="cond_fun .* writes the State"):
        be.while_loop(cond, lambda x: x + 1, 0)


def test_precision_context_is_thread_local_and_not_global():
    with be.precision("float64"):
        assert be.zeros(1).dtype == jnp.float64
        f64 = be.jit(lambda x: x + 1)(1.0)
    assert f64.dtype == jnp.float64
    assert be.zeros(1).dtype == jnp.float32
    assert be.jit(lambda x: x * 1.0, precision="float64")(jnp.ones(2, jnp.float32)).dtype == jnp.float32
    assert be.jit(lambda x: x * 1.0, precision="float64")(1.0).dtype == jnp.float64
    with pytest.raises(ValueError, match="unknown precision"):
        be.precision("float16")


def test_module_states_reset_and_repr():
    m = Leaky(2.0)
    m.step(1.0)
    m.a.value = jnp.full(4, 9.0)
    assert set(m.states()) == {"a", "x"} and set(m.states("param")) == {"a"}
    m.reset()
    np.testing.assert_array_equal(np.asarray(m.x.value), 0.0)
    np.testing.assert_array_equal(np.asarray(m.a.value), 9.0)  # parameters survive reset
    assert "ParamState('Leaky.a', float32[4])" in repr(m)


def test_set_initial_survives_reset_and_model_reset_keeps_it():
    import brainlab as bl

    s = be.State(be.zeros(3))
    s.set_initial(be.array([1.0, 2.0, 3.0]))
    s.value = s.value + 10.0
    s.reset()
    np.testing.assert_array_equal(np.asarray(s.value), [1.0, 2.0, 3.0])
    lif = bl.neurons.LIF(3, V_rest=-60.0)
    lif.V.set_initial(be.array([-55.0, -52.0, -51.0]))
    lif.V.value = be.zeros(3)
    lif.reset()  # a model's reset recomputes V from V_rest, except where the user chose the initial value
    np.testing.assert_array_equal(np.asarray(lif.V.value), [-55.0, -52.0, -51.0])
    other = bl.neurons.LIF(3, V_rest=-60.0)
    other.V.value = be.zeros(3)
    other.reset()
    np.testing.assert_array_equal(np.asarray(other.V.value), [-60.0, -60.0, -60.0])
