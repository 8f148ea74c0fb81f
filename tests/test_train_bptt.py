"""bl.train.BPTT: gradients against the engine's own be.grad, checkpointing and truncation against independent
computations, training on randman with and without surrogate gradients, Runner compatibility, and errors.

Fixed seeds everywhere; the accuracies asserted below were measured at commit time on this code (stated next to
each threshold, which leaves a margin for BLAS/XLA differences between machines)."""

import dataclasses

import jax.numpy as jnp
import numpy as np
import optax
import pytest

import brainlab as bl
import brainlab.engine as be
from brainlab.neurons import Surrogate
from brainlab.train._bptt import BPTT, History
from brainlab.train._layers import Dense, LeakyReadout, SpikeInput
from brainlab.train._losses import cross_entropy_count, cross_entropy_max, mse
from brainlab.train._randman import randman

LIF = dict(spike_dtype=float, V_rest=0.0, V_reset=0.0, V_th=1.0, R=1.0, t_ref=0.0, tau=10.0)


@dataclasses.dataclass(frozen=True)
class NoGradient(Surrogate):
    """The surrogate derivative set to zero: the spike passes no gradient at all."""

    alpha: float = 1.0
    name: str = dataclasses.field(default="zero", init=False)

    def derivative(self, x):
        return jnp.zeros_like(x)

    def function(self, x):
        return (x >= 0).astype(x.dtype)


def _net(n_in=20, n_hid=16, n_out=3, readout="max", surrogate="fast_sigmoid", scales=(30.0, 5.0), tau_syn=5.0):
    inp = SpikeInput(n_in)
    hid = bl.neurons.LIF(n_hid, surrogate=surrogate, **LIF)
    out = LeakyReadout(n_out, R=1.0) if readout == "max" else bl.neurons.LIF(n_out, surrogate=surrogate, **LIF)
    net = bl.Network(inp=inp, hid=hid, out=out, w1=Dense(inp, hid, scale=scales[0], seed=0, tau=tau_syn),
                     w2=Dense(hid, out, scale=scales[1], seed=1, tau=tau_syn))
    return net, inp


def _spikes(n, T, n_in, seed=0, p=0.08):
    return (np.random.default_rng(seed).uniform(size=(n, T, n_in)) < p).astype(np.float32)


# --- gradients ----------------------------------------------------------------------------------------------


def test_lif_with_zero_refractory_period_is_traced_without_its_clock_and_gives_the_same_gradient():
    """With t_ref = 0 (every neuron, read on the values) BPTT traces the LIF step without the refractory clock
    (one carried state less per layer); the loss and gradient equal those of the full step, which a t_ref of
    1e-3 ms (never refractory at dt = 1 ms, but traced with the clock) computes, to float32 rounding; a changed
    t_ref traces again, and t_ref = 2 ms changes the result."""
    net, inp = _net(readout="lif")
    x, y = _spikes(4, 60, 20, seed=3, p=0.15), np.arange(4) % 3
    trainer = BPTT(net, "cross_entropy_count", input=inp, output="out.spike", progress=False)
    loss0, g0 = trainer.gradient((x, y))
    lean = trainer._programs[next(iter(trainer._programs))]
    for lif in (net.hid, net.out):
        lif.t_ref.value = lif.t_ref.value + 1e-3
    loss1, g1 = trainer.gradient((x, y))
    assert len(trainer._programs) == 2
    full = [p for p in trainer._programs.values() if p is not lean][0]
    assert len(full.carry_pos) == len(lean.carry_pos) + 2  # the two t_last_spike clocks
    assert loss0 == pytest.approx(loss1, rel=1e-6)
    for k in g0:  # (the two programs fuse differently: equal to float32 rounding)
        np.testing.assert_allclose(g0[k], g1[k], rtol=1e-5, atol=1e-12)
    for lif in (net.hid, net.out):
        lif.t_ref.value = lif.t_ref.value * 0 + 2.0
    loss2, _ = trainer.gradient((x, y))
    assert loss2 != loss0


def test_bptt_gradient_equals_engine_grad_through_a_stateful_loop():
    net, inp = _net()
    x = _spikes(1, 40, 20)
    trainer = BPTT(net, "cross_entropy_max", input=inp, output="out.V", progress=False)
    loss, g = trainer.gradient((x, np.array([2])))
    assert set(g) == {"w1.weight", "w2.weight"}  # the declared neuron parameters (tau, V_th ...) are not trained

    # independent: the engine's be.grad over a be.for_loop of the network's own update, from its reset state
    def ref_loss(xs):
        net.reset()
        ys = be.for_loop(lambda t, xt: (net.update(t, 1.0, {id(inp): xt}), net.out.V.value)[1],
                         be.arange(40.0), xs)
        return cross_entropy_max(ys[None], jnp.array([2]))

    ref = be.grad(ref_loss, states={"w1.weight": net.w1.weight, "w2.weight": net.w2.weight})(x[0])
    for k in g:
        assert np.abs(g[k]).max() > 0
        np.testing.assert_allclose(g[k], np.asarray(ref[k]), rtol=1e-5, atol=1e-7)


def test_checkpoint_gives_the_plain_gradients():
    # In float64 the two agree to rounding (1e-12): the only difference is the order in which the weight gradient
    # is summed over time (per segment, then over segments); in float32 that order shows at the 1e-6 level.
    with be.precision("float64"):
        net, inp = _net()
        data = (_spikes(4, 40, 20, seed=1), np.array([0, 1, 2, 1]))  # T = 40: 8 segments of 5 steps
        loss, plain = BPTT(net, "cross_entropy_max", input=inp, output="out.V", progress=False).gradient(data)
        loss_r, remat = BPTT(net, "cross_entropy_max", input=inp, output="out.V", checkpoint=True,
                             progress=False).gradient(data)
    assert plain["w1.weight"].dtype == np.float64
    assert loss_r == loss  # the forward pass is the same computation
    for k in plain:
        np.testing.assert_allclose(remat[k], plain[k], rtol=1e-12, atol=1e-15)


def test_truncate_equals_the_gradient_through_the_last_K_steps():
    T, K = 40, 15  # windows of 10, 15 and 15 steps (counted back from the end)
    net, inp = _net()
    x = _spikes(1, T, 20, seed=2)
    w = np.random.default_rng(5).normal(size=3).astype(np.float32)

    def last_step_loss(y, target):  # reads the output of the last step only
        return jnp.sum(y[:, -1, :] * target)

    data = (x, np.asarray(w)[None])
    got = BPTT(net, last_step_loss, input=inp, output="out.V", truncate=K, progress=False).gradient(data)[1]
    full = BPTT(net, last_step_loss, input=inp, output="out.V", progress=False).gradient(data)[1]
    both = BPTT(net, last_step_loss, input=inp, output="out.V", truncate=K, checkpoint=4,
                progress=False).gradient(data)[1]

    # independent: run the first T - K steps (no gradient), then differentiate the last K steps from that state
    net.reset()
    be.for_loop(lambda t, xt: net.update(t, 1.0, {id(inp): xt}), be.arange(0.0, T - K), x[0, : T - K])

    def last_k(xs):
        ys = be.for_loop(lambda t, xt: (net.update(t, 1.0, {id(inp): xt}), net.out.V.value)[1],
                         be.arange(float(T - K), float(T)), xs)
        return jnp.sum(ys[-1] * w)

    ref = be.grad(last_k, states={"w1.weight": net.w1.weight, "w2.weight": net.w2.weight})(x[0, T - K:])
    net.reset()
    for k in got:
        assert np.abs(got[k]).max() > 0
        np.testing.assert_allclose(got[k], np.asarray(ref[k]), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(both[k], got[k], rtol=1e-5, atol=1e-8)  # checkpointing inside the windows
    # and it is a truncation: the full gradient reaches further back and differs
    assert np.abs(full["w1.weight"] - got["w1.weight"]).max() > 1e-3 * np.abs(full["w1.weight"]).max()


# --- training on randman ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def randman_data():
    # Zenke & Vogels (2021) randman: 10 classes, 100 input neurons, 100 steps; 100 samples per class (800 train,
    # 200 test), seed 0
    x, y = randman(n_classes=10, n_inputs=100, n_steps=100, n_per_class=100, seed=0)
    return (x[:800], y[:800]), (x[800:], y[800:])


def _randman_trainer(surrogate):
    # all-spiking: 100 inputs -> 64 LIF -> 10 LIF, exponential synaptic currents (5 ms), dt = 1 ms; the loss is the
    # cross-entropy of the output spike counts, so every gradient passes through surrogate derivatives
    net, inp = _net(100, 64, 10, readout="count", surrogate=surrogate, scales=(30.0, 10.0))
    return net, BPTT(net, cross_entropy_count, optax.adam(0.02), input=inp, output="out.spike", progress=False)


def test_bptt_learns_randman_and_fails_without_the_surrogate(randman_data):
    train, test = randman_data
    net, trainer = _randman_trainer("fast_sigmoid")
    before = trainer.evaluate(test)["accuracy"]
    history = trainer.fit(train, epochs=15, batch_size=32, validation=test, seed=0)
    after = trainer.evaluate(test)["accuracy"]
    # measured on this code (seed 0): test accuracy 0.08 before, 0.83 after 15 epochs (chance 0.1); the loss falls
    # from 12.7 to 0.14.  Asserted with a margin:
    assert before < 0.25
    assert after >= 0.7
    assert history.loss[-1] < 0.5 * history.loss[0]

    net0, flat = _randman_trainer(NoGradient())
    w_before = {k: np.asarray(s.value) for k, s in flat.params.items()}
    acc0 = flat.evaluate(test)["accuracy"]
    flat.fit(train, epochs=3, batch_size=32, seed=0)
    # a zero surrogate derivative leaves no path for the gradient: Adam's steps are exactly zero
    for k, s in flat.params.items():
        np.testing.assert_array_equal(np.asarray(s.value), w_before[k])
    assert flat.evaluate(test)["accuracy"] == acc0 < 0.25  # stays at its (near chance) initial accuracy


def test_trained_network_runs_in_the_runner_unchanged():
    net, inp = _net()
    x = _spikes(6, 30, 20, seed=4)
    y = np.array([0, 1, 2, 0, 1, 2])
    trainer = BPTT(net, "cross_entropy_max", optax.adam(0.05), input=inp, output="out.V", progress=False)
    trainer.fit((x, y), epochs=3, batch_size=3)
    assert isinstance(net.w1.weight, be.ParamState) and net.w1.weight.shape == (20, 16)
    expected = trainer.predict(x[:1])[0]  # (T, 3)
    net.reset()
    res = bl.Runner(net, monitors={"V": "out.V"}, dt=1.0, progress=False).run(30.0, inputs={inp: x[0]})
    np.testing.assert_allclose(np.asarray(res["V"]), expected, rtol=1e-5, atol=1e-5)


# --- the options --------------------------------------------------------------------------------------------


def test_clip_bounds_the_step_and_schedules_work():
    net, inp = _net()
    data = (_spikes(4, 20, 20, seed=6), np.array([0, 1, 2, 0]))
    before = np.concatenate([np.asarray(s.value).ravel() for s in (net.w1.weight, net.w2.weight)])
    trainer = BPTT(net, "cross_entropy_max", optax.sgd(1.0), input=inp, output="out.V", clip=1e-3, progress=False)
    trainer.fit(data, epochs=1, batch_size=4)
    after = np.concatenate([np.asarray(s.value).ravel() for s in (net.w1.weight, net.w2.weight)])
    assert np.linalg.norm(after - before) == pytest.approx(1e-3, rel=1e-3)  # sgd(1) of a gradient clipped to 1e-3
    sched = BPTT(net, "cross_entropy_max", optax.adam(optax.exponential_decay(1e-2, 1, 0.5)), input=inp,
                 output="out.V", progress=False)
    assert len(sched.fit(data, epochs=2, batch_size=2).batch_loss) == 4


def test_early_stopping_history_and_plot():
    net, inp = _net()
    data = (_spikes(4, 20, 20, seed=7), np.array([0, 1, 2, 0]))
    trainer = BPTT(net, "cross_entropy_max", optax.sgd(0.0), input=inp, output="out.V", progress=False)
    h = trainer.fit(data, epochs=10, batch_size=4, validation=data, patience=2)
    # nothing changes (learning rate 0), so the validation loss never improves after epoch 1: stop after epoch 3
    assert isinstance(h, History) and h is trainer.history
    assert h.stopped_early and h.epoch == [1, 2, 3] and h.best_epoch == 1
    assert len(h.val_accuracy) == 3 and "3 epochs" in repr(h)
    fig = h.plot()
    assert {r.name for r in fig.renderers} >= {"loss", "val_loss", "accuracy", "val_accuracy"}


def test_module_model_and_mse():
    class Leaky(be.Module):
        """A linear leaky unit y_{t+1} = 0.9 y_t + w x_t; gradient descent fits w."""

        def __init__(self):
            self.w = be.ParamState(jnp.zeros(2))
            self.y = be.HiddenState(jnp.zeros(()))

        def update(self, t, dt, x):
            self.y.value = 0.9 * self.y.value + x @ self.w.value
            return self.y.value[None]

    model = Leaky()
    x = np.random.default_rng(0).normal(size=(16, 10, 2)).astype(np.float32)
    true_w = np.array([0.5, -1.0])
    y = np.zeros((16, 10, 1), np.float32)
    state = np.zeros(16)
    for t in range(10):
        state = 0.9 * state + x[:, t] @ true_w
        y[:, t, 0] = state
    trainer = BPTT(model, mse, optax.adam(0.05), progress=False)
    # mse is a mean over every element, so BPTT evaluates it on the time-major outputs and targets: the same
    # loss and gradient as the same error written as an ordinary (batch-major) loss
    plain = BPTT(model, lambda out, target: jnp.mean((out - target) ** 2), progress=False)
    model.w.value = jnp.array([0.3, 0.2])
    (l1, g1), (l2, g2) = trainer.gradient((x, y)), plain.gradient((x, y))
    assert l1 == pytest.approx(l2, rel=1e-6)
    np.testing.assert_allclose(g1["w"], g2["w"], rtol=1e-5)
    model.w.value = jnp.zeros(2)
    trainer.fit((x, y), epochs=150, batch_size=16)
    np.testing.assert_allclose(np.asarray(model.w.value), true_w, atol=1e-2)
    assert float(model.y.value) == 0.0  # training never writes the model's own hidden state


def test_errors_name_the_argument_and_the_fix():
    net, inp = _net()
    with pytest.raises(TypeError, match="needs input= .* and output="):
        BPTT(net, "mse")
    with pytest.raises(ValueError, match="output='out.X' is not a State path"):
        BPTT(net, "mse", input=inp, output="out.X")
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        BPTT(net, "hinge", input=inp, output="out.V")
    with pytest.raises(ValueError, match="truncate must be a positive int"):
        BPTT(net, "mse", input=inp, output="out.V", truncate=0)
    with pytest.raises(TypeError, match="optimizer must be an optax"):
        BPTT(net, "mse", "adam", input=inp, output="out.V")
    trainer = BPTT(net, "cross_entropy_max", input=inp, output="out.V", progress=False)
    with pytest.raises(TypeError, match="needs integer class labels"):
        trainer.fit((_spikes(2, 5, 20), np.array([0.0, 1.0])))
    with pytest.raises(ValueError, match="2 input samples but"):
        trainer.fit((_spikes(2, 5, 20), np.array([0, 1, 2])))
    with pytest.raises(ValueError, match="patience= .* needs validation"):
        trainer.fit((_spikes(2, 5, 20), np.array([0, 1])), patience=2)
    lone = bl.neurons.LIF(3)
    with pytest.raises(ValueError, match="no trainable ParamState besides the declared parameters"):
        BPTT(bl.Network(lone=lone, inp=SpikeInput(3)), "mse", input="inp", output="lone.V")
    with pytest.raises(ValueError, match="not used by the model's step"):
        BPTT(net, "mse", input=inp, output="out.V", params=[net.w1.weight, be.ParamState(jnp.ones(2))],
             progress=False).gradient((_spikes(1, 5, 20), np.zeros((1, 5, 3), np.float32)))
