"""Runner.chunks: a run taken one chunk per next() equals run(); parameters changed between chunks act from the
next chunk on without recompiling; stop, NaN and interrupts keep the data; bad arguments are refused."""

import numpy as np
import pytest

import brainlab as bl
from brainlab._runner import NonFiniteError, RunChunks, Runner

def _coba(seed=1):
    net = bl.networks.coba(400, seed=seed)
    return net, Runner(net, monitors={"V": ("E.V", [0, 3, 7]), "gi": ("IE.syn.g", [0, 1])}, progress=False)


def _lif(I_ext=300.0):
    lif = bl.neurons.LIF(5, I_ext=I_ext)
    return lif, Runner(lif, monitors={"V": "LIF.V"}, progress=False)


def _concat(chunks):
    ts = np.concatenate([c.ts for c in chunks])
    data = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0].data}
    spikes = {p: (np.concatenate([c.spikes.populations[p][0] for c in chunks]),
                  np.concatenate([c.spikes.populations[p][1] for c in chunks]))
              for p in chunks[0].spikes.populations}
    return ts, data, spikes


def _assert_same(ts, data, spikes, res):
    np.testing.assert_array_equal(ts, res.ts)
    assert set(data) == set(res.data)
    for k in data:
        np.testing.assert_array_equal(data[k], res[k])
    for p, (t, i) in spikes.items():
        np.testing.assert_array_equal(t, res.spikes.populations[p][0])
        np.testing.assert_array_equal(i, res.spikes.populations[p][1])


@pytest.mark.parametrize("make", [_coba, _lif], ids=["coba", "lif"])
def test_chunks_concatenated_equal_one_run(make):
    _, r1 = make()
    it = r1.chunks(55.0, every=10.0)
    assert isinstance(it, RunChunks)
    chunks = list(it)
    assert [len(c.ts) for c in chunks] == [100, 100, 100, 100, 100, 50]
    assert it.done and it.steps_done == 550 and it.t == pytest.approx(55.0) and r1.t == pytest.approx(55.0)
    _, r2 = make()
    ref = r2.run(55.0)
    assert len(ref.spikes) > 20
    _assert_same(*_concat(chunks), ref)
    whole = it.result()
    assert whole.stopped is None
    _assert_same(whole.ts, whole.data, whole.spikes.populations, ref)
    with pytest.raises(StopIteration):
        next(it)


def test_each_chunk_holds_only_its_own_steps_and_spikes():
    lif, r = _lif()
    it = r.chunks(30.0, every=10.0)
    for k, chunk in enumerate(it):
        np.testing.assert_allclose(chunk.ts, (np.arange(100) + 1 + 100 * k) * 0.1, rtol=1e-12)
        t = chunk.spikes.times
        assert len(t) > 0 and t.min() > 10.0 * k and t.max() <= 10.0 * (k + 1) + 1e-9


def test_time_series_input_is_sliced_per_chunk():
    lif, r1 = _lif(I_ext=0.0)
    drive = np.where(np.arange(400) % 170 < 90, 400.0, 0.0)
    chunks = list(r1.chunks(40.0, inputs={lif: drive}, every=7.0))
    lif2, r2 = _lif(I_ext=0.0)
    ref = r2.run(40.0, inputs={lif2: drive})
    _assert_same(*_concat(chunks), ref)


def test_a_parameter_changed_between_chunks_acts_from_the_next_chunk_without_recompiling():
    lif, r1 = _lif()
    it = r1.chunks(40.0, every=10.0)
    first = [next(it), next(it)]
    program = next(iter(r1._compiled.values()))
    lif.I_ext = 180.0
    rest = list(it)
    assert len(r1._compiled) == 1 and program.trace_count == 1  # the same program ran with the new value

    lif2, r2 = _lif()
    a = r2.run(20.0)
    lif2.I_ext = 180.0
    b = r2.run(20.0)
    ts, data, spikes = _concat(first + rest)
    np.testing.assert_array_equal(data["V"], np.concatenate([a["V"], b["V"]]))
    np.testing.assert_array_equal(spikes["LIF"][0], np.concatenate([a.spikes.times, b.spikes.times]))
    # and the change did something: fewer spikes after it than before
    assert len(rest[0].spikes) + len(rest[1].spikes) < len(first[0].spikes) + len(first[1].spikes)


def test_projection_weight_and_drive_changed_between_chunks_of_a_coba_network():
    net, r1 = _coba()
    it = r1.chunks(None, every=10.0)
    before = [next(it) for _ in range(2)]
    program = next(iter(r1._compiled.values()))
    net.EE.weight = 1.5
    net.E.I_ext = 25.0
    after = [next(it) for _ in range(2)]
    res = it.stop()
    assert len(r1._compiled) == 1 and program.trace_count == 1

    net2, r2 = _coba()
    a = r2.run(20.0)
    net2.EE.weight = 1.5
    net2.E.I_ext = 25.0
    b = r2.run(20.0)
    _assert_same(*_concat(before + after), _join(a, b))
    _assert_same(res.ts, res.data, res.spikes.populations, _join(a, b))
    assert len(b.spikes) > len(a.spikes)  # stronger excitation and drive: more spikes


def _join(a, b):
    ts, data, spikes = _concat([a, b])
    return bl.RunResult(ts, data, bl.SpikeRecord(spikes, a.spikes.sizes), a.dt)


def test_stop_keeps_everything_is_idempotent_and_the_runner_continues():
    lif, r = _lif()
    it = r.chunks(100.0, every=10.0)
    got = [next(it) for _ in range(3)]
    res = it.stop()
    assert it.done and it.steps_done == 300 and it.t == pytest.approx(30.0)
    assert res.stopped == "stopped at t = 30 ms, after 30 of 100 ms"
    _assert_same(*_concat(got), res)
    again = it.stop()
    np.testing.assert_array_equal(again["V"], res["V"])
    assert again.stopped == res.stopped
    with pytest.raises(StopIteration):
        next(it)
    more = r.run(5.0)  # the runner carries on from where the iterator stopped
    assert more.ts[0] == pytest.approx(30.1)

    lif2, r2 = _lif()
    ref = r2.run(35.0)
    np.testing.assert_array_equal(np.concatenate([res["V"], more["V"]]), ref["V"])


def test_result_while_running_says_where_it_is_and_stop_at_the_end_is_not_an_early_stop():
    lif, r = _lif()
    it = r.chunks(20.0, every=10.0)
    next(it)
    assert it.result().stopped == "stopped at t = 10 ms, after 10 of 20 ms" and not it.done
    next(it)
    assert it.done and it.result().stopped is None and it.stop().stopped is None


def test_nan_mid_run_keeps_the_data_up_to_the_bad_step():
    lif = bl.neurons.LIF(3)
    r = Runner(lif, monitors={"V": "LIF.V"}, progress=False)
    series = np.full(100, 200.0, dtype=np.float32)
    series[73] = np.nan
    it = r.chunks(10.0, inputs={lif: series}, every=2.0)
    good = [next(it) for _ in range(3)]  # steps 0 .. 59
    with pytest.raises(NonFiniteError, match=r"'V' of population 'LIF' became NaN or infinite at t = 7\.4 ms") as info:
        next(it)
    res = info.value.result
    assert len(res.ts) == 74 and res.ts[-1] == pytest.approx(7.4)
    assert np.isnan(res["V"][-1]).all() and np.isfinite(res["V"][:-1]).all()
    assert "non-finite" in res.stopped
    np.testing.assert_array_equal(res["V"][:60], np.concatenate([c["V"] for c in good]))
    assert it.done and it.steps_done == 74
    kept = it.result()
    np.testing.assert_array_equal(kept["V"], res["V"])
    assert kept.stopped == res.stopped
    with pytest.raises(StopIteration):
        next(it)


def test_an_interrupt_inside_next_keeps_the_chunk_and_ends_the_iterator(capsys):
    lif, r = _lif()
    it = r.chunks(50.0, every=10.0)
    next(it)
    collect = it._parts.collect
    calls = []

    def interrupted_collect(*args):
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt  # as a Ctrl-C arriving while the chunk is being collected
        return collect(*args)

    it._parts.collect = interrupted_collect
    chunk = next(it)
    assert len(chunk.ts) == 100 and chunk.ts[0] == pytest.approx(10.1)
    assert it.done and it.steps_done == 200
    res = it.result()
    assert "interrupted at t = 20 ms" in res.stopped and len(res.ts) == 200
    assert "interrupted" in capsys.readouterr().out
    with pytest.raises(StopIteration):
        next(it)
    lif2, r2 = _lif()
    np.testing.assert_array_equal(res["V"], r2.run(20.0)["V"])


def test_open_ended_run_takes_functions_and_constants_but_refuses_a_time_series():
    lif, r = _lif(I_ext=0.0)
    it = r.chunks(None, inputs={lif: lambda t: 300.0 + 0.0 * t}, every=5.0)
    for _ in range(4):
        next(it)
    assert not it.done and it.t == pytest.approx(20.0) and it.duration is None
    res = it.stop()
    assert "open-ended" in res.stopped and len(res.ts) == 200
    lif2, r2 = _lif(I_ext=0.0)
    np.testing.assert_array_equal(res["V"], r2.run(20.0, inputs={lif2: 300.0})["V"])

    with pytest.raises(ValueError, match=r"open-ended run \(duration=None\).*time series needs a duration"):
        r.chunks(inputs={lif: np.ones(100)})
    with pytest.raises(ValueError, match="time series needs a duration"):
        r.chunks(None, inputs={lif: np.ones((100, 5))})
    with pytest.raises(ValueError, match="time series needs a duration"):
        bl.Runner(bl.neurons.LIF(1), progress=False).chunks(inputs={"LIF": np.ones(100)})
    it = r.chunks(10.0, inputs={lif: np.ones(100)})  # with a duration, the same series is accepted
    assert len(next(it).ts) == 100


BAD_CHUNKS = [
    (dict(every=0), ValueError, "every must be a finite number > 0"),
    (dict(every=-5.0), ValueError, "every must be a finite number > 0"),
    (dict(every=float("nan")), ValueError, "every must be a finite number > 0"),
    (dict(every="10"), TypeError, "every must be a number"),
    (dict(every=True), TypeError, "every must be a number"),
    (dict(every=None), TypeError, "every must be a number"),
    (dict(every=0.01), ValueError, r"every=0.01 ms is shorter than one step \(dt=0.1 ms\)"),
    (dict(duration="100"), TypeError, "Runner.chunks: duration must be a number"),
    (dict(duration=-1.0), ValueError, "duration must be a finite number > 0"),
    (dict(duration=0.01), ValueError, "shorter than one step"),
    (dict(duration=10.0, inputs={"E": 1.0}), KeyError, "Runner.chunks: inputs names population 'E'"),
]


@pytest.mark.parametrize("kwargs, error, message", BAD_CHUNKS, ids=[f"bad{i}" for i in range(len(BAD_CHUNKS))])
def test_bad_chunks_arguments_are_refused(kwargs, error, message):
    lif, r = _lif()
    with pytest.raises(error, match=message):
        r.chunks(**kwargs)


def test_stop_from_another_thread_waits_for_the_running_chunk_and_keeps_it():
    import threading

    lif, r = _lif()
    it = r.chunks(None, every=10.0)
    next(it)
    collect = it._parts.collect
    entered, go = threading.Event(), threading.Event()

    def slow_collect(*args):
        entered.set()
        go.wait(60)
        return collect(*args)

    it._parts.collect = slow_collect
    got = {}
    runner_thread = threading.Thread(target=lambda: got.setdefault("chunk", next(it)))
    runner_thread.start()
    assert entered.wait(60)
    stopper = threading.Thread(target=lambda: got.setdefault("stopped", it.stop()))
    stopper.start()
    go.set()
    runner_thread.join(60)
    stopper.join(60)
    res = got["stopped"]
    assert it.done and len(got["chunk"].ts) == 100 and len(res.ts) == 200  # the chunk running at stop() is kept
    np.testing.assert_array_equal(res["V"][100:], got["chunk"]["V"])
