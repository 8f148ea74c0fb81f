r"""Backpropagation through time (BPTT) with surrogate gradients: :class:`BPTT` and its :class:`History`.

A model steps with :math:`h_{t+1} = f_\theta(h_t, x_t)` and emits a readout :math:`y_t = g(h_{t+1})`; a loss
:math:`\mathcal{L}(y_{0..T-1})` is differentiated with respect to the trainable parameters :math:`\theta` by
reverse-mode automatic differentiation through the whole compiled loop in time,

.. math::

    \frac{d\mathcal{L}}{d\theta} = \sum_t \frac{\partial \mathcal{L}}{\partial h_{t+1}}\,
    \frac{\partial f_\theta(h_t, x_t)}{\partial \theta}, \qquad
    \frac{\partial \mathcal{L}}{\partial h_t} = \frac{\partial \mathcal{L}}{\partial y_{t-1}}
    \frac{\partial y_{t-1}}{\partial h_t} + \frac{\partial \mathcal{L}}{\partial h_{t+1}}
    \frac{\partial f_\theta}{\partial h_t},

where the derivative of each spike, zero almost everywhere, is replaced by a surrogate
(:mod:`brainlab.neurons` ``surrogate=``; Neftci, Mostafa & Zenke 2019, *IEEE Signal Process. Mag.* 36:51-63).
Memory is O(T) per sample; ``checkpoint`` trades it for recomputation, ``truncate`` cuts the gradient's reach.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import _model
from .._network import Network, is_population
from ..engine import Module, State, default_float
from ..engine._array import unwrap, wrap
from ..engine._tracing import trace_stateful
from . import _losses

__all__ = ["BPTT", "History"]

_LOSSES = {name: getattr(_losses, name) for name in ("cross_entropy_count", "cross_entropy_max",
                                                      "cross_entropy_mean", "mse")}


@dataclasses.dataclass
class History:
    """What :meth:`BPTT.fit` measured, one entry per epoch (``accuracy`` entries are ``nan`` for regression
    losses; ``val_*`` lists stay empty without validation data).

    Attributes:
        epoch: epoch numbers (1, 2, ...; continuing across ``fit`` calls).
        loss: mean training loss over the epoch's mini-batches.
        accuracy: training accuracy over the epoch's mini-batches (classification losses).
        val_loss, val_accuracy: on the validation data after each epoch.
        batch_loss: the loss of every mini-batch, in order.
        seconds: wall-clock time of each epoch (s).
        best_epoch: the epoch with the lowest validation loss (``None`` without validation).
        stopped_early: whether early stopping ended training.
    """

    epoch: list[int] = dataclasses.field(default_factory=list)
    loss: list[float] = dataclasses.field(default_factory=list)
    accuracy: list[float] = dataclasses.field(default_factory=list)
    val_loss: list[float] = dataclasses.field(default_factory=list)
    val_accuracy: list[float] = dataclasses.field(default_factory=list)
    batch_loss: list[float] = dataclasses.field(default_factory=list)
    seconds: list[float] = dataclasses.field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    def plot(self, **kwargs: Any) -> Any:
        """A bokeh figure of loss (and accuracy) per epoch: :func:`brainlab.plotting.training.history_figure`."""
        from ..plotting.training import history_figure

        return history_figure(self, **kwargs)

    def __repr__(self) -> str:
        if not self.epoch:
            return "History(no epochs)"
        last = f"loss={self.loss[-1]:.4g}"
        if self.accuracy and not math.isnan(self.accuracy[-1]):
            last += f", accuracy={self.accuracy[-1]:.3f}"
        if self.val_loss:
            last += f", val_loss={self.val_loss[-1]:.4g}"
        if self.val_accuracy and not math.isnan(self.val_accuracy[-1]):
            last += f", val_accuracy={self.val_accuracy[-1]:.3f}"
        return f"History({len(self.epoch)} epochs; last: {last})"


@dataclasses.dataclass(eq=False)
class _Program:
    """The model's step traced once into a pure function, and the pure loops built on it."""

    sj: Any
    param_pos: list[int]
    carry_pos: list[int]
    const_pos: list[int]
    out_shape: tuple
    jitted: dict = dataclasses.field(default_factory=dict)


# Time steps per iteration of the compiled loop.  Two steps per iteration let XLA fuse across them and halve the
# loop's per-iteration work; on this 2-core CPU, value-and-gradient of Linear + 512 LIF (T = 500, batch 16) took
# 0.075 s with 1, 0.057 s with 2, 0.058 s with 4 and 0.062 s with 8 (spyx 0.062 s, alternated in the same run).
_UNROLL = 2


def _segments(step: Callable, carry: Any, xs: Any, length: int | None) -> tuple[Any, Any]:
    """``lax.scan(step, carry, xs)``; with ``length`` C, as T//C rematerialised segments of C steps (the first
    T mod C steps run plainly): the backward pass stores the carry at segment starts and recomputes inside."""
    T = jax.tree.leaves(xs)[0].shape[0]
    if length is None or length >= T:
        return jax.lax.scan(step, carry, xs, unroll=_UNROLL)
    r, n = T % length, T // length
    parts = []
    if r:
        carry, y0 = jax.lax.scan(step, carry, jax.tree.map(lambda a: a[:r], xs), unroll=_UNROLL)
        parts.append(y0)
    body = jax.tree.map(lambda a: a[r:].reshape((n, length) + a.shape[1:]), xs)
    carry, ys = jax.lax.scan(jax.checkpoint(lambda c, xseg: jax.lax.scan(step, c, xseg, unroll=_UNROLL)), carry,
                             body)
    parts.append(jax.tree.map(lambda a: a.reshape((n * length,) + a.shape[2:]), ys))
    return carry, jax.tree.map(lambda *a: jnp.concatenate(a), *parts) if len(parts) > 1 else parts[0]


class BPTT:
    r"""Train a model's parameters by backpropagation through time with surrogate gradients.

    The model's step is traced once into a pure function; the loss over a mini-batch is the engine's gradient
    of a compiled ``lax.scan`` in time, vectorised over the batch (each sample starts from the model's reset
    state), and optax updates the parameters.  Trained parameters stay the model's ``ParamState`` s, so the
    trained network runs in :class:`~brainlab.Runner` as it is.

    Main arguments:
        model: a :class:`~brainlab.Network` (with ``input=`` and ``output=``), or any ``be.Module`` whose
            ``update(t, dt, x)`` takes one time step's input and returns the readout.
        loss: ``loss(y, target) -> scalar`` with ``y`` of shape ``(batch, T, n_out)``: a function from
            :mod:`brainlab.train` (``cross_entropy_max``, ``cross_entropy_count``, ``cross_entropy_mean``,
            ``mse``), its name, or your own.
        optimizer: an optax optimiser (default ``optax.adam(1e-3)``); schedules go inside it
            (``optax.adam(optax.cosine_decay_schedule(1e-2, 1000))``).
        input: the population that receives the data (its input current each step; a
            :class:`~brainlab.train.SpikeInput` for spike trains), or its path in the network.
        output: what the loss reads each step: a State path (``'out.V'``), a State, or a function of no
            argument returning an array.

    Other arguments:
        params: the States to train (a list, or a dict name -> State); default every ``ParamState`` of the model
            except the declared parameters of neuron and synapse models (``tau``, ``V_th`` ...), i.e. the weights.
        dt: the time step (ms); the data hold one input per step.
        clip: clip the gradient to this global norm (``optax.clip_by_global_norm``) before the optimiser.
        truncate: truncated BPTT: the state is cut from the gradient (``stop_gradient``) every ``truncate``
            steps, counted back from the last step, so each output's gradient reaches at most ``truncate`` steps
            into the past (the last window has exactly ``truncate`` steps).
        checkpoint: rematerialisation over time: ``True`` (segments of about :math:`\sqrt{T}` steps, a divisor
            of :math:`T` where one is close) or a segment length :math:`C`.  The backward pass keeps the state
            only at segment starts and recomputes each segment's steps, so memory is :math:`O(T/C + C)` states
            instead of :math:`O(T)`, for about one more forward pass; the gradients are the same (up to the
            order of floating-point sums over time: equal to 1e-12 in float64).
        progress: show a progress bar with the loss (tqdm).

    Example (a tiny spiking network learns to tell two input patterns apart):
        >>> import numpy as np, optax, brainlab as bl
        >>> inp = bl.train.SpikeInput(10)
        >>> hid = bl.neurons.LIF(20, spike_dtype=float, V_rest=0., V_reset=0., V_th=1., R=1., t_ref=0.)
        >>> out = bl.train.LeakyReadout(2, R=1.)
        >>> net = bl.Network(inp=inp, hid=hid, out=out, w1=bl.train.Dense(inp, hid, scale=20., seed=0),
        ...                  w2=bl.train.Dense(hid, out, scale=5., seed=1))
        >>> x = np.zeros((8, 20, 10), np.float32); y = np.arange(8) % 2
        >>> x[y == 0, 2:6, :5] = 1.0; x[y == 1, 2:6, 5:] = 1.0     # class 0: first five inputs; class 1: the others
        >>> trainer = bl.train.BPTT(net, 'cross_entropy_max', optax.adam(0.05), input=inp, output='out.V',
        ...                         progress=False)
        >>> history = trainer.fit((x, y), epochs=20, batch_size=8)
        >>> history.loss[-1] < history.loss[0], trainer.evaluate((x, y))['accuracy']
        (True, 1.0)

    Your own loop instead: ``be.grad`` differentiates any stateful function, loops included:

        >>> import brainlab.engine as be
        >>> w = be.ParamState(np.full((10, 20), 2.0, np.float32))
        >>> lif = bl.neurons.LIF(20, spike_dtype=float, V_rest=0., V_reset=0., V_th=1., R=1., t_ref=0.)
        >>> def loss(xs):                                   # xs: (T, 10) input spikes of one sample
        ...     lif.reset()
        ...     spikes = be.for_loop(lambda t, x: lif.update(t, 1.0, x @ w.value), be.arange(20.0), xs)
        ...     return (spikes.sum() - 5.0) ** 2          # want 5 spikes in total
        >>> g = be.grad(loss, states=w)(x[0])
        >>> g.shape
        (10, 20)

    Limits: one update per mini-batch of whole sequences (no online learning); memory grows with ``T x batch``
    without ``checkpoint``; the model's step must be deterministic (random States are refused) and must not write
    the trained parameters; a batch that does not fill ``batch_size`` at the end of an epoch is left out (the
    samples are reshuffled every epoch).
    """

    def __init__(self, model: Any, loss: Callable | str, optimizer: Any = None, *, input: Any = None,
                 output: Any = None, params: Any = None, dt: float = 1.0, clip: float | None = None,
                 truncate: int | None = None, checkpoint: bool | int | None = None, progress: bool = True) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"BPTT: model must be a bl.Network or a be.Module with update(t, dt, x), got "
                            f"{type(model).__name__}.")
        self.model = model
        if isinstance(loss, str):
            if loss not in _LOSSES:
                raise ValueError(f"BPTT: unknown loss {loss!r}; use one of {sorted(_LOSSES)} or a function "
                                 "loss(y, target) -> scalar.")
            loss = _LOSSES[loss]
        if not callable(loss):
            raise TypeError(f"BPTT: loss must be a function loss(y, target) -> scalar or a name, got {loss!r}.")
        self.loss = loss
        if not (isinstance(dt, (int, float)) and dt > 0):
            raise ValueError(f"BPTT: dt must be a positive time step in ms, got {dt!r}.")
        self.dt = float(dt)
        self._input, self._output = self._io(model, input, output)
        self.params = self._params(model, params)
        for name, n in (("truncate", truncate), ("clip", clip)):
            if n is not None and (isinstance(n, bool) or not isinstance(n, (int, float)) or n <= 0
                                  or (name == "truncate" and int(n) != n)):
                raise ValueError(f"BPTT: {name} must be a positive {'int (steps)' if name == 'truncate' else 'number'}"
                                 f" or None, got {n!r}.")
        if checkpoint is not None and not isinstance(checkpoint, bool) and not (
                isinstance(checkpoint, int) and checkpoint > 0):
            raise ValueError(f"BPTT: checkpoint must be True, False/None or a segment length in steps (int > 0), got "
                             f"{checkpoint!r}.")
        self.truncate = None if truncate is None else int(truncate)
        self.checkpoint = checkpoint or None
        self.clip = clip
        base = optimizer if optimizer is not None else optax.adam(1e-3)
        if not hasattr(base, "init") or not hasattr(base, "update"):
            raise TypeError(f"BPTT: optimizer must be an optax GradientTransformation (e.g. optax.adam(1e-3)), got "
                            f"{type(base).__name__}.")
        self.optimizer = optax.chain(optax.clip_by_global_norm(float(clip)), base) if clip is not None else base
        self.progress = bool(progress)
        self.history = History()
        self._opt_state: Any = None
        self._programs: dict[tuple, _Program] = {}

    # -- construction helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _io(model: Module, input: Any, output: Any) -> tuple[Any, Any]:
        if input is None and output is None:
            if isinstance(model, Network):
                raise TypeError("BPTT: a Network needs input= (the population that receives the data, e.g. a "
                                "bl.train.SpikeInput) and output= (the State the loss reads, e.g. 'out.V').")
            if not callable(getattr(model, "update", None)):
                raise TypeError(f"BPTT: {type(model).__name__} has no update(t, dt, x) method returning the readout.")
            return None, None
        if not isinstance(model, Network) or input is None or output is None:
            raise TypeError("BPTT: input= and output= go together, with a bl.Network as the model (for another "
                            "Module, make its update(t, dt, x) take the input and return the readout).")
        pops = model.populations()
        if isinstance(input, str):
            if input not in pops:
                raise ValueError(f"BPTT: input={input!r} is not a population of the network; it has {sorted(pops)}.")
            input = pops[input]
        if not is_population(input) or not any(p is input for p in pops.values()):
            raise ValueError("BPTT: input= must be a population of the network (the object or its path).")
        if isinstance(output, str):
            states = model.states()
            if output not in states:
                raise ValueError(f"BPTT: output={output!r} is not a State path of the network; choose one of "
                                 f"{sorted(p for p, s in states.items() if s.kind != 'param')}.")
            output = states[output]
        if not isinstance(output, State) and not callable(output):
            raise TypeError("BPTT: output= must be a State path such as 'out.V', a State, or a function of no "
                            "argument returning the readout.")
        return input, output

    @staticmethod
    def _params(model: Module, params: Any) -> dict[str, State]:
        if params is None:
            declared = set()
            for m in [model, *model.modules().values()]:
                if isinstance(m, _model.AbstractModel):
                    declared |= {id(m.__dict__[n]) for n in m.parameter_names}
            chosen = {p: s for p, s in model.states("param").items() if id(s) not in declared}
            if not chosen:
                raise ValueError(f"BPTT: {type(model).__name__} has no trainable ParamState besides the declared "
                                 "parameters of its neuron and synapse models. Add trainable weights (e.g. "
                                 "bl.train.Dense) or pass params=[...] explicitly.")
            return chosen
        if isinstance(params, State):
            params = [params]
        if isinstance(params, dict):
            items = list(params.items())
        elif isinstance(params, (list, tuple)):
            paths = {id(s): p for p, s in model.states().items()}
            items = [(paths.get(id(s), getattr(s, "name", None) or f"param{i}"), s) for i, s in enumerate(params)]
        else:
            raise TypeError(f"BPTT: params must be a list or dict of States, got {type(params).__name__}.")
        for name, s in items:
            if not isinstance(s, State) or not jnp.issubdtype(s.dtype, jnp.floating):
                raise TypeError(f"BPTT: params[{name!r}] must be a State holding floats, got {s!r}.")
        return dict(items)

    # -- the traced step --------------------------------------------------------------------------------------
    def _step(self, t: Any, x: Any) -> Any:
        if self._input is None:
            return self.model.update(wrap(t), self.dt, wrap(x))
        self.model.update(t, self.dt, {id(self._input): x})
        out = self._output
        return out.value if isinstance(out, State) else out()

    def _without_refractory(self) -> tuple[Any, ...]:
        """The LIF populations whose refractory period is 0 for every neuron (read now, on the values) and not
        trained: their step is traced without the refractory clock (``LIF._fire``), which then is never read or
        written.  Part of the program key, so a changed ``t_ref`` traces the step again."""
        from ..neurons._lif import LIF

        trained = {id(s) for s in self.params.values()}
        found = []
        for m in [self.model, *self.model.modules().values()]:
            t_ref = m.__dict__.get("t_ref") if isinstance(m, LIF) else None
            if (isinstance(t_ref, State) and id(t_ref) not in trained and "t_last_spike" in m.__dict__
                    and not np.any(np.asarray(t_ref.value))):
                found.append(m)
        return tuple(found)

    def _program(self, x_shape: tuple) -> _Program:
        lean = self._without_refractory()
        key = (tuple(x_shape), str(default_float()), tuple(id(m) for m in lean))
        prog = self._programs.get(key)
        if prog is not None:
            return prog
        f = default_float()
        for m in lean:
            object.__setattr__(m, "_trace_without_refractory", True)
        try:
            sj = trace_stateful(self._step, [jax.ShapeDtypeStruct((), f), jax.ShapeDtypeStruct(x_shape, f)],
                                transform="BPTT")
        finally:
            for m in lean:
                object.__delattr__(m, "_trace_without_refractory")
        if sj.n_out != 1:
            raise TypeError(f"BPTT: the model's step must return one array (the readout), got {sj.n_out} leaves.")
        pos = {id(s): i for i, s in enumerate(sj.states)}
        missing = [n for n, s in self.params.items() if id(s) not in pos]
        if missing:
            raise ValueError(f"BPTT: the parameters {missing} are not used by the model's step, so their gradient "
                             "would always be zero. Leave them out of params=.")
        param_pos = [pos[id(s)] for s in self.params.values()]
        written = [n for n, s in self.params.items() if sj.written[pos[id(s)]]]
        if written:
            raise ValueError(f"BPTT: the model's step writes the trained parameters {written}; a parameter must stay "
                             "constant during a sequence (keep changing quantities in HiddenStates).")
        carry_pos = [i for i, w in enumerate(sj.written) if w]
        random = [sj.states[i].name for i in carry_pos if sj.states[i].kind == "random"]
        if random:
            raise ValueError(f"BPTT: the model draws random numbers ({random}); BPTT needs a deterministic step. "
                             "Feed noise as part of the input data instead.")
        const_pos = [i for i in range(len(sj.states)) if i not in set(param_pos) | set(carry_pos)]
        out_aval = jax.eval_shape(lambda *a: sj.evaluate(a[:2], a[2:])[0][0],
                                  jax.ShapeDtypeStruct((), f), jax.ShapeDtypeStruct(x_shape, f), *sj.state_avals)
        out_shape = tuple(out_aval.shape)
        prog = _Program(sj, param_pos, carry_pos, const_pos, out_shape)
        self._programs[key] = prog
        return prog

    def _initial(self, prog: _Program) -> list[Any]:
        """The carried States' values after ``model.reset()`` (the model itself is left as it was)."""
        saved = {id(s): (s, s.value) for s in self.model.states().values() if s.kind != "param"}
        try:
            self.model.reset()
            return [jnp.asarray(prog.sj.states[i].value) for i in prog.carry_pos]
        finally:
            for s, v in saved.values():
                s.value = v

    def _consts(self, prog: _Program) -> list[Any]:
        return [prog.sj.states[i].value for i in prog.const_pos]

    def _forward(self, prog: _Program) -> Callable:
        """``outputs(pvals, cvals, init, xs)``: the readout of every step, time-major ``(T, batch) + out_shape``, for
        inputs ``xs`` given time-major, ``(T, batch, ...)`` (so that slicing and segmenting time copies nothing, and
        the outputs are not copied into another layout: the loss sees them through a transposed view)."""
        sj, n = prog.sj, len(prog.sj.states)
        dt, truncate, checkpoint = self.dt, self.truncate, self.checkpoint

        def run(pvals, cvals, init, xs):
            def one(t, carry, x):  # one sample, one step
                vals: list[Any] = [None] * n
                for i, v in zip(prog.param_pos, pvals):
                    vals[i] = v
                for i, v in zip(prog.const_pos, cvals):
                    vals[i] = v
                for i, v in zip(prog.carry_pos, carry):
                    vals[i] = v
                outs, new = sj.evaluate([t, x], vals)
                return new, outs[0]

            def step(carry, inp):
                t, x = inp
                return jax.vmap(one, in_axes=(None, 0, 0))(t, carry, x)

            T, B = xs.shape[0], xs.shape[1]
            carry = [jnp.broadcast_to(v, (B,) + v.shape) for v in init]
            ts = jnp.arange(T, dtype=xs.dtype) * dt
            seg = None
            if checkpoint is not None:
                seg = _segment_length(min(T, truncate or T)) if checkpoint is True else int(checkpoint)
            if truncate is None or truncate >= T:
                ys = _segments(step, carry, (ts, xs), seg)[1]
            else:
                K = truncate
                r, nw = T % K, T // K
                parts = []
                if r:
                    carry, y0 = _segments(step, carry, (ts[:r], xs[:r]), seg)
                    parts.append(y0)

                def window(c, xw):
                    return _segments(step, jax.lax.stop_gradient(c), xw, seg)

                body = (ts[r:].reshape(nw, K), xs[r:].reshape((nw, K) + xs.shape[1:]))
                carry, yw = jax.lax.scan(window, carry, body)
                parts.append(yw.reshape((nw * K,) + yw.shape[2:]))
                ys = jnp.concatenate(parts) if len(parts) > 1 else parts[0]
            return ys

        return run

    def _compiled(self, prog: _Program, kind: str) -> Callable:
        fn = prog.jitted.get(kind)
        if fn is not None:
            return fn
        batch = self._forward(prog)
        loss_fn, opt = self.loss, self.optimizer
        logits = getattr(loss_fn, "logits", None)

        order_free = getattr(loss_fn, "order_free", False)  # a loss that is a mean over every element (mse)

        def batch_loss(pvals, cvals, init, xb, yb):
            ys = batch(pvals, cvals, init, xb)  # time-major, (T, batch, ...)
            y = jnp.swapaxes(ys, 0, 1)  # (batch, T, ...) for the loss
            if order_free and yb.ndim == ys.ndim:  # the same value on both swapped, without a layout copy
                return loss_fn(ys, jnp.swapaxes(yb, 0, 1)), y
            return loss_fn(y, yb), y

        def correct(y, yb):
            return jnp.sum(jnp.argmax(logits(y), axis=-1) == yb) if logits is not None else jnp.nan

        # On CPU, the Runner's XLA options: region-based copy insertion updates the scan's carried states in place
        # instead of copying them at every step (forward of 512 LIF x batch 16 x 500 steps: 0.026 -> 0.014 s)
        jit = functools.partial(jax.jit, compiler_options=_cpu_options())
        if kind == "outputs":
            fn = jit(batch)
        elif kind == "grad":  # (loss, gradient): the outputs are not returned, so XLA never lays them out batch-major
            fn = jit(jax.value_and_grad(lambda p, c, i, xb, yb: batch_loss(p, c, i, xb, yb)[0]))
        else:
            def train_step(pvals, opt_state, cvals, init, xb, yb):
                (loss, y), g = jax.value_and_grad(batch_loss, has_aux=True)(pvals, cvals, init, xb, yb)
                updates, opt_state = opt.update(g, opt_state, pvals)
                return optax.apply_updates(pvals, updates), opt_state, loss, correct(y, yb)

            fn = jit(train_step)
        prog.jitted[kind] = fn
        return fn

    # -- data -----------------------------------------------------------------------------------------------------
    def _data(self, data: Any, who: str) -> tuple[jax.Array, jax.Array]:
        if not (isinstance(data, (tuple, list)) and len(data) == 2):
            raise TypeError(f"BPTT.{who}: data must be a pair (inputs, targets): inputs of shape (n_samples, T, "
                            "...) and targets with one entry per sample (class labels, or target outputs).")
        xs, ys = (np.asarray(unwrap(a)) for a in data)
        if xs.ndim < 2:
            raise ValueError(f"BPTT.{who}: inputs must have shape (n_samples, T, ...), got {xs.shape}.")
        if ys.shape[:1] != xs.shape[:1]:
            raise ValueError(f"BPTT.{who}: {xs.shape[0]} input samples but {ys.shape[:1] or 'no'} targets; give one "
                             "target per sample.")
        if getattr(self.loss, "logits", None) is not None and not np.issubdtype(ys.dtype, np.integer):
            raise TypeError(f"BPTT.{who}: the classification loss {self.loss.__name__} needs integer class labels, got "
                            f"dtype {ys.dtype}.")
        return jnp.asarray(xs, dtype=default_float()), jnp.asarray(ys)

    def _pvals(self) -> list[Any]:
        return [s.value for s in self.params.values()]

    def _write(self, pvals: list[Any]) -> None:
        for s, v in zip(self.params.values(), pvals):
            s.value = v

    # -- public API -------------------------------------------------------------------------------------------
    def predict(self, inputs: Any, batch_size: int = 256) -> np.ndarray:
        """The readout of every step for each sample: shape ``(n_samples, T) + output shape`` (numpy).

        ``inputs`` has shape ``(n_samples, T, ...)``; each sample starts from the model's reset state, with the
        current parameters.  Samples run ``batch_size`` at a time (the last batch is padded: no recompilation).
        """
        xs = jnp.asarray(np.asarray(unwrap(inputs)), dtype=default_float())
        if xs.ndim < 2:
            raise ValueError(f"BPTT.predict: inputs must have shape (n_samples, T, ...), got {xs.shape}.")
        prog = self._program(xs.shape[2:])
        fn = self._compiled(prog, "outputs")
        pvals, cvals, init = self._pvals(), self._consts(prog), self._initial(prog)
        n = xs.shape[0]
        bs = max(1, min(int(batch_size), n))
        out = []
        for start in range(0, n, bs):
            xb = xs[start:start + bs]
            pad = bs - xb.shape[0]
            if pad:
                xb = jnp.concatenate([xb, jnp.repeat(xb[-1:], pad, axis=0)])
            out.append(np.asarray(fn(pvals, cvals, init, _time_major(xb))).swapaxes(0, 1)[: bs - pad])
        return np.concatenate(out)

    def evaluate(self, data: Any, batch_size: int = 256) -> dict[str, float]:
        """The loss (and, for classification losses, the accuracy) on ``data = (inputs, targets)``."""
        xs, ys = self._data(data, "evaluate")
        y = jnp.asarray(self.predict(xs, batch_size))
        result = {"loss": float(self.loss(y, ys))}
        logits = getattr(self.loss, "logits", None)
        if logits is not None:
            result["accuracy"] = float(jnp.mean(jnp.argmax(logits(y), axis=-1) == ys))
        return result

    def gradient(self, data: Any) -> tuple[float, dict[str, np.ndarray]]:
        """The loss on ``data = (inputs, targets)`` (one batch) and its gradient for each trained parameter,
        at the current parameters (nothing is updated)."""
        xs, ys = self._data(data, "gradient")
        prog = self._program(xs.shape[2:])
        loss, g = self._compiled(prog, "grad")(self._pvals(), self._consts(prog), self._initial(prog),
                                               _time_major(xs), ys)
        return float(loss), {name: np.asarray(v) for name, v in zip(self.params, g)}

    def fit(self, data: Any, epochs: int = 10, batch_size: int = 32, *, validation: Any = None,
            patience: int | None = None, restore_best: bool = True, seed: int = 0) -> History:
        """Train on ``data = (inputs, targets)``; returns (and extends) :attr:`history`.

        Args:
            data: inputs ``(n_samples, T, ...)`` (one input per time step) and targets (class labels
                ``(n_samples,)``, or whatever the loss takes per sample).
            epochs: passes over the data.
            batch_size: samples per gradient step (clipped to ``n_samples``).
            validation: ``(inputs, targets)`` evaluated after each epoch (loss and accuracy in the history).
            patience: early stopping: stop when the validation loss has not improved for this many epochs.
            restore_best: with ``validation``: end with the parameters of the best validation epoch.
            seed: seed of the shuffling.
        """
        xs, ys = self._data(data, "fit")
        xs = _time_major(xs)  # (T, n_samples, ...): each mini-batch is gathered along axis 1
        if validation is not None:
            validation = self._data(validation, "fit(validation=)")
        if patience is not None and (validation is None or int(patience) < 1):
            raise ValueError("BPTT.fit: patience= (early stopping) needs validation data and an int >= 1.")
        n = xs.shape[1]
        bs = max(1, min(int(batch_size), n))
        n_batches = n // bs
        prog = self._program(xs.shape[2:])
        step = self._compiled(prog, "train")
        cvals, init = self._consts(prog), self._initial(prog)
        pvals = self._pvals()
        if self._opt_state is None:
            self._opt_state = self.optimizer.init(pvals)
        rng = np.random.default_rng(seed)
        h = self.history
        best = (min(h.val_loss), None) if h.val_loss else (math.inf, None)
        bar = _progress(self.progress, epochs * n_batches)
        since_best, first = 0, (h.epoch[-1] if h.epoch else 0)
        try:
            for e in range(epochs):
                t0 = time.perf_counter()
                perm = jnp.asarray(rng.permutation(n))
                losses, correct = [], []
                for b in range(n_batches):
                    idx = perm[b * bs:(b + 1) * bs]
                    pvals, self._opt_state, loss, c = step(pvals, self._opt_state, cvals, init, xs[:, idx], ys[idx])
                    losses.append(loss)
                    correct.append(c)
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(epoch=first + e + 1, loss=f"{float(loss):.4g}", refresh=False)
                self._write(pvals)
                batch_losses = [float(v) for v in losses]
                h.batch_loss.extend(batch_losses)
                h.epoch.append(first + e + 1)
                h.loss.append(float(np.mean(batch_losses)))
                h.accuracy.append(float(np.sum([float(c) for c in correct])) / (n_batches * bs))
                h.seconds.append(time.perf_counter() - t0)
                if validation is None:
                    continue
                ev = self.evaluate(validation)
                h.val_loss.append(ev["loss"])
                h.val_accuracy.append(ev.get("accuracy", math.nan))
                if bar is not None:
                    bar.set_postfix(epoch=h.epoch[-1], loss=f"{h.loss[-1]:.4g}", val_loss=f"{ev['loss']:.4g}")
                if ev["loss"] < best[0]:
                    best, since_best = (ev["loss"], [jnp.array(v) for v in pvals]), 0
                    h.best_epoch = h.epoch[-1]
                else:
                    since_best += 1
                    if patience is not None and since_best >= int(patience):
                        h.stopped_early = True
                        break
        finally:
            if bar is not None:
                bar.close()
        if validation is not None and restore_best and best[1] is not None:
            self._write(best[1])
        return h


def _cpu_options() -> dict | None:
    from brainlab._runner_compile import _CPU_COMPILER_OPTIONS

    return dict(_CPU_COMPILER_OPTIONS) if jax.default_backend() == "cpu" else None


def _segment_length(T: int) -> int:
    """About sqrt(T) steps per segment; a divisor of T when one lies within a factor 2 of sqrt(T) (no
    remainder: the input is then segmented by a reshape, which copies nothing)."""
    root = math.sqrt(T)
    divisors = [c for c in range(max(1, int(root / 2)), int(2 * root) + 1) if T % c == 0]
    return min(divisors, key=lambda c: abs(c - root)) if divisors else max(1, math.ceil(root))


def _time_major(x: jax.Array) -> jax.Array:
    return jnp.swapaxes(x, 0, 1)


def _progress(enabled: bool, total: int) -> Any:
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency, but the bar is optional
        return None
    return tqdm(total=total, desc="BPTT", unit="batch")
