"""One normalised view of a dynamical system for the analysis tools: ``F(x, p) -> dx/dt`` in float64.

Phase planes and continuation accept either a plain Python function or a brainlab model.  Both become a
:class:`System`, whose vector field takes a state vector ``x`` (one entry per variable, in
``variable_names`` order) and a parameter vector ``p`` (one entry per parameter, in ``param_names`` order).
Compiled functions are cached on the System and take the parameters as arguments, so changing a parameter
value never recompiles.
"""

from __future__ import annotations

import difflib
import inspect
import numbers
import weakref
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["System", "as_system", "ModelLike"]


@runtime_checkable
class ModelLike(Protocol):
    """The protocol a brainlab model follows to be analysed (a single neuron or a small circuit).

    ``vector_field`` must be pure JAX: it is traced and differentiated.  Time is in ms.
    """

    variable_names: tuple[str, ...]

    def vector_field(self, state: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]: ...

    def param_values(self) -> dict[str, float]: ...

    def initial_state(self) -> dict[str, float]: ...


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Real):
        return True
    return isinstance(value, (np.ndarray, jax.Array)) and np.ndim(value) == 0 and np.isrealobj(value)


def _names(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names) if names else "(none)"


class System:
    r"""A dynamical system :math:`\dot x = F(x, p)` with named variables and parameters, evaluated in float64.

    Build it with :func:`as_system` (or pass a function or model straight to ``PhasePlane``/``Continuation``).

    Attributes:
        name: a readable name for messages (the function's or the model class's name).
        variable_names: the state variables, in the order of ``x``.
        param_names: the parameters, in the order of ``p``.
        default_params: the default parameter vector (NaN where a parameter has no default).
        trace_count: how many times the user's function has been traced.  Every evaluation goes through a
            compiled function cached on the System, so this stops growing once each analysis has run once;
            parameter changes do not increase it.
        reset: for a spiking model with a reset (LIF, ExpIF, AdEx, QIF, Izhikevich): ``(variable, threshold
            parameter, threshold value)``, e.g. ``('V', 'V_th', -50.0)``; ``None`` otherwise.  See :attr:`note`.

    Limits: the vector field must be smooth where it is analysed (Newton, Jacobians and normal forms use
    forward-mode automatic differentiation).  Threshold, reset and refractory period of integrate-and-fire models
    are not part of a model's ``vector_field``: for those models every analysis concerns the *subthreshold* vector
    field, which is what decides rest, rheobase and the approach to threshold; the spiking (reset) cycle itself is
    not a periodic orbit of that field and is never found.
    """

    def __init__(
        self,
        fn: Callable[[jax.Array, jax.Array], jax.Array],
        variable_names: Sequence[str],
        param_names: Sequence[str],
        default_params: Sequence[float],
        *,
        name: str = "system",
        initial_state: Mapping[str, float] | None = None,
        reset: tuple[str, str, float] | None = None,
    ) -> None:
        self.name = name
        self.reset = reset
        self.variable_names = tuple(variable_names)
        self.param_names = tuple(param_names)
        self.default_params = np.asarray(default_params, dtype=np.float64).reshape(len(self.param_names))
        self._fn = fn
        self._initial_state = None if initial_state is None else dict(initial_state)
        self._compiled: dict[Hashable, Callable] = {}
        self.trace_count = 0
        if len(set(self.variable_names)) != len(self.variable_names):
            raise ValueError(f"System {name!r}: variable names must be distinct, got {self.variable_names}.")
        if len(self.variable_names) == 0:
            raise ValueError(f"System {name!r}: a system needs at least one state variable.")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_function(cls, fn: Callable[..., Any]) -> System:
        """A System from ``fn(x1, x2, ..., *, p1=default, ...)`` returning the derivatives in order.

        Positional parameters without defaults are the state variables; parameters with numeric defaults or
        keyword-only parameters are the system's parameters (keyword-only ones without default must be given
        later through ``params``).  Keyword parameters with non-numeric defaults (strings, callables) are
        passed through unchanged.
        """
        fname = getattr(fn, "__name__", type(fn).__name__)
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"System: cannot read the signature of {fname!r} ({exc}).") from None
        variables: list[str] = []
        params: list[str] = []
        defaults: list[float] = []
        static: dict[str, Any] = {}
        for pname, prm in sig.parameters.items():
            if prm.kind in (prm.VAR_POSITIONAL, prm.VAR_KEYWORD):
                raise TypeError(
                    f"System: {fname}() takes *{pname}; write one positional argument per state variable "
                    "and one keyword argument per parameter, e.g. def f(v, w, I=0.5): ..."
                )
            if prm.kind == prm.KEYWORD_ONLY or prm.default is not prm.empty:
                if prm.default is prm.empty:
                    params.append(pname)
                    defaults.append(np.nan)
                elif _is_number(prm.default):
                    params.append(pname)
                    defaults.append(float(prm.default))
                else:
                    static[pname] = prm.default
            else:
                variables.append(pname)
        if not variables:
            raise TypeError(
                f"System: {fname}() has no positional arguments without defaults, so it has no state "
                "variables. Write it as def f(v, w, I=0.5): return dv_dt, dw_dt."
            )
        n = len(variables)

        def F(x: jax.Array, p: jax.Array) -> jax.Array:
            kwargs = {name: p[j] for j, name in enumerate(params)}
            out = fn(*[x[i] for i in range(n)], **kwargs, **static)
            return _stack_output(out, variables, fname, x.dtype)

        return cls(F, variables, params, defaults, name=fname)

    @classmethod
    def from_model(cls, model: Any) -> System:
        """A System from a model following :class:`ModelLike` (``variable_names``, ``vector_field``, ...)."""
        mname = type(model).__name__
        names = tuple(model.variable_names)
        values = dict(model.param_values())
        pnames, defaults = [], []
        for key, value in values.items():
            arr = np.asarray(value, dtype=np.float64)
            if arr.size != 1:
                raise ValueError(
                    f"System: parameter {key!r} of {mname} has shape {arr.shape}; phase-plane and continuation "
                    "analysis need one value per parameter (a single neuron). Build the model with size 1."
                )
            pnames.append(key)
            defaults.append(float(arr.reshape(())))

        def F(x: jax.Array, p: jax.Array) -> jax.Array:
            state = {name: x[i] for i, name in enumerate(names)}
            prm = {name: p[j] for j, name in enumerate(pnames)}
            out = model.vector_field(state, prm)
            if not isinstance(out, Mapping):
                raise TypeError(f"System: {mname}.vector_field must return a dict of derivatives, got {type(out)}.")
            missing = [nm for nm in names if nm not in out]
            if missing:
                raise ValueError(
                    f"System: {mname}.vector_field returned no derivative for {_names(missing)}; it must return "
                    f"one entry per variable in variable_names ({_names(names)})."
                )
            return _stack_output([out[nm] for nm in names], names, mname, x.dtype)

        init = dict(model.initial_state())
        system = cls(F, names, pnames, defaults, name=mname, initial_state=init, reset=_reset_of(model, values))
        if _declared_model(model):
            # A brainlab model's vector_field is a pure function of (state, params) that reads nothing from the
            # object, so every instance of the class shares one set of compiled functions.
            system._compiled = _CLASS_COMPILED.setdefault((type(model), names, tuple(pnames)), {})
        return system

    # ------------------------------------------------------------------ evaluation
    def F(self, x: jax.Array, p: jax.Array) -> jax.Array:
        r"""The vector field :math:`F(x, p)` (pure JAX; shape ``(n,)``).  Call it inside ``jax.jit``."""
        x = jnp.asarray(x)
        self.trace_count += 1
        return self._fn(x, p)

    def compiled(self, key: Hashable, build: Callable[[], Callable]) -> Callable:
        """A compiled function cached on this System under ``key`` (built once by ``build()``)."""
        fn = self._compiled.get(key)
        if fn is None:
            fn = build()
            self._compiled[key] = fn
        return fn

    def _jit(self, key: Hashable, fn: Callable) -> Callable:
        return self.compiled(key, lambda: jax.jit(fn))

    def evaluate(self, x: Any, p: Any) -> np.ndarray:
        """``F(x, p)`` as a float64 NumPy array (``x`` may carry leading batch axes)."""
        fn = self._jit("evaluate", jnp.vectorize(self.F, signature="(n),(m)->(n)"))
        with jax.enable_x64(True):
            return np.asarray(fn(np.asarray(x, np.float64), np.asarray(p, np.float64)))

    def jacobian(self, x: Any, p: Any) -> np.ndarray:
        r"""The Jacobian :math:`\partial F/\partial x` at ``(x, p)`` as a float64 array, shape ``(n, n)``."""
        return self.derivatives(x, p)[1]

    def derivatives(self, x: Any, p: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""``(F, F_x, F_p)`` at ``(x, p)``: the field and its Jacobians in x (``(n, n)``) and p (``(n, m)``)."""

        def fj(x, p):
            return self.F(x, p), jax.jacfwd(self.F, argnums=(0, 1))(x, p)

        fn = self._jit("derivatives", fj)
        with jax.enable_x64(True):
            f, (fx, fp) = fn(np.asarray(x, np.float64), np.asarray(p, np.float64))
            return np.asarray(f), np.asarray(fx), np.asarray(fp)

    def derivatives_batch(self, X: Any, p: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(F, F_x)`` for a batch of states ``X`` (``(k, n)``) at one parameter vector."""

        def fj(x, p):
            return self.F(x, p), jax.jacfwd(self.F)(x, p)

        fn = self._jit("derivatives_batch", jax.vmap(fj, in_axes=(0, None)))
        with jax.enable_x64(True):
            f, fx = fn(np.asarray(X, np.float64), np.asarray(p, np.float64))
            return np.asarray(f), np.asarray(fx)

    def bilinear(self, x: Any, p: Any, U: Any, V: Any) -> np.ndarray:
        r"""Rows :math:`B(u_r, v_r) = \partial_s\partial_t F(x + s u_r + t v_r, p)|_0` for real ``U, V`` (k, n)."""

        def B(x, p, U, V):
            f = lambda y: self.F(y, p)  # noqa: E731
            one = lambda u, v: jax.jvp(lambda y: jax.jvp(f, (y,), (v,))[1], (x,), (u,))[1]  # noqa: E731
            return jax.vmap(one)(U, V)

        fn = self._jit("bilinear", B)
        k, (U, V) = _pad_rows(U, V)
        with jax.enable_x64(True):
            return np.asarray(fn(np.asarray(x, np.float64), np.asarray(p, np.float64), U, V))[:k]

    def trilinear(self, x: Any, p: Any, U: Any, V: Any, W: Any) -> np.ndarray:
        """Rows :math:`C(u_r, v_r, w_r)` (third directional derivatives of ``F``) for real arguments."""

        def C(x, p, U, V, W):
            f = lambda y: self.F(y, p)  # noqa: E731

            def one(u, v, w):
                g = lambda y: jax.jvp(lambda z: jax.jvp(f, (z,), (w,))[1], (y,), (v,))[1]  # noqa: E731
                return jax.jvp(g, (x,), (u,))[1]

            return jax.vmap(one)(U, V, W)

        fn = self._jit("trilinear", C)
        k, (U, V, W) = _pad_rows(U, V, W)
        with jax.enable_x64(True):
            return np.asarray(fn(np.asarray(x, np.float64), np.asarray(p, np.float64), U, V, W))[:k]

    def bilinear_gradients(self, x: Any, p: Any, U: Any, V: Any) -> tuple[np.ndarray, np.ndarray]:
        r"""Gradients in ``x`` and ``p`` of :math:`s_r(x, p) = u_r^\top F_x(x, p)\, v_r` for fixed rows ``U, V``.

        These are the derivatives of bordered test functions (:math:`g_z = -w^\top J_z v`); returns arrays of
        shape ``(k, n)`` and ``(k, m)``.
        """

        def s(x, p, U, V):
            def one(u, v):
                return jnp.dot(u, jax.jvp(lambda y: self.F(y, p), (x,), (v,))[1])

            return jax.vmap(one)(U, V)

        fn = self._jit("bilinear_gradients", jax.jacfwd(s, argnums=(0, 1)))
        k, (U, V) = _pad_rows(U, V)
        with jax.enable_x64(True):
            gx, gp = fn(np.asarray(x, np.float64), np.asarray(p, np.float64), U, V)
            return np.asarray(gx)[:k], np.asarray(gp)[:k]

    # ------------------------------------------------------------------ names <-> vectors
    @property
    def n(self) -> int:
        """The number of state variables."""
        return len(self.variable_names)

    def param_index(self, name: str, *, who: str = "System", arg: str | None = None) -> int:
        """The position of parameter ``name`` in ``p``; a clear error names ``arg`` and lists the valid names."""
        if name not in self.param_names:
            where = "" if not arg else f" ({arg})" if arg.startswith("in ") else f" ({arg}={name!r})"
            hint = "" if name not in self.variable_names else (
                f" {name!r} is a state variable of {self.name}, not a parameter."
            )
            raise ValueError(
                f"{who}: {self.name} has no parameter {name!r}{where}.{hint}{_did_you_mean(name, self.param_names)}"
                f" Valid parameters: {_names(self.param_names)}."
            )
        return self.param_names.index(name)

    def variable_index(self, name: str, *, who: str = "System", arg: str | None = None) -> int:
        """The position of variable ``name`` in ``x``; a clear error names ``arg`` and lists the valid names."""
        if name not in self.variable_names:
            where = f" (in {arg})" if arg else ""
            hint = "" if name not in self.param_names else (
                f" {name!r} is a parameter of {self.name}; set it with params={{{name!r}: ...}}."
            )
            raise ValueError(
                f"{who}: {self.name} has no state variable {name!r}{where}.{hint}"
                f"{_did_you_mean(name, self.variable_names)} Valid variables: {_names(self.variable_names)}."
            )
        return self.variable_names.index(name)

    def entering(self, x: Any, p: Any) -> np.ndarray:
        """Which parameters enter the vector field: a boolean mask, True where :math:`\\partial F/\\partial p_k
        \\ne 0` at ``(x, p)`` or at one of 15 points scattered around it (every state variable and parameter moved
        by up to half its magnitude, plus one).  Threshold, reset and refractory parameters of integrate-and-fire
        models come out False."""
        x, p = np.asarray(x, np.float64), np.asarray(p, np.float64)
        rng = np.random.default_rng(0)
        xs = np.concatenate([x[None], x + rng.uniform(-0.5, 0.5, (15, self.n)) * (np.abs(x) + 1.0)])
        ps = np.concatenate([p[None], p + rng.uniform(-0.5, 0.5, (15, p.size)) * (np.abs(p) + 1.0)])
        mask = np.zeros(len(self.param_names), bool)
        for y, q in zip(xs, ps):
            fp = self.derivatives(y, q)[2]
            mask |= np.any((fp != 0.0) & np.isfinite(fp), axis=0)
            if mask.all():
                break
        return mask

    @property
    def note(self) -> str | None:
        """For a model with a reset: what its analysis means (the subthreshold vector field); else ``None``."""
        if self.reset is None:
            return None
        var, thr, value = self.reset
        return (
            f"{self.name} is an integrate-and-fire model: it resets {var} when {var} reaches {thr} = {value:g}. "
            "Threshold, reset and refractory period are not part of its vector field, so this analysis concerns "
            f"the subthreshold dynamics; states with {var} >= {value:g} are never reached in a simulation, and "
            "the spiking (reset) cycle is not a periodic orbit of this vector field."
        )

    def params_vector(self, params: Mapping[str, float] | None = None, *, who: str = "System") -> np.ndarray:
        """The parameter vector: defaults overridden by ``params`` (names checked, every value required)."""
        p = self.default_params.copy()
        if params is not None and not isinstance(params, Mapping):
            raise TypeError(f"{who}: params must be a dict {{name: value}} of parameters of {self.name}, e.g. "
                            f"params={{{self.param_names[0]!r}: 1.0}}; got {type(params).__name__}."
                            if self.param_names else f"{who}: {self.name} has no parameters; drop params=.")
        for key, value in (params or {}).items():
            j = self.param_index(key, who=who, arg="in params")
            arr = np.asarray(value, dtype=np.float64)
            if arr.size != 1 or not np.isfinite(arr):
                raise ValueError(f"{who}: parameter {key!r} must be one finite number, got {value!r}.")
            p[j] = float(arr.reshape(()))
        missing = [nm for nm, v in zip(self.param_names, p) if not np.isfinite(v)]
        if missing:
            raise ValueError(
                f"{who}: parameter(s) {_names(missing)} of {self.name} have no default value; pass them in "
                f"params, e.g. params={{{missing[0]!r}: 1.0}}."
            )
        return p

    def params_dict(self, p: Any) -> dict[str, float]:
        """The parameter vector ``p`` as ``{name: value}``."""
        return {nm: float(v) for nm, v in zip(self.param_names, np.asarray(p, np.float64))}

    def state_vector(
        self, state: Mapping[str, float] | Sequence[float] | np.ndarray, *, fill: Mapping[str, float] | None = None,
        who: str = "System", arg: str = "start",
    ) -> np.ndarray:
        """A state dict (or a sequence in variable order) as a vector; missing names come from ``fill``.

        ``arg`` names the argument in error messages (``'start'``, ``'u0'``).
        """
        if isinstance(state, Mapping):
            unknown = [k for k in state if k not in self.variable_names]
            if unknown:
                raise ValueError(
                    f"{who}: {self.name} has no state variable {_names(unknown)} (in {arg})."
                    f"{_did_you_mean(unknown[0], self.variable_names)} Valid variables: {_names(self.variable_names)}."
                )
            merged = dict(fill or {})
            merged.update(state)
            missing = [nm for nm in self.variable_names if nm not in merged]
            if missing:
                example = ", ".join(f"{nm!r}: {merged.get(nm, '...')}" for nm in self.variable_names)
                raise ValueError(
                    f"{who}: {arg} is missing {_names(missing)}; give every variable of {self.name}, e.g. "
                    f"{arg}={{{example}}}."
                )
            x = np.array([float(merged[nm]) for nm in self.variable_names], dtype=np.float64)
        else:
            x = np.asarray(state, dtype=np.float64).reshape(-1)
            if x.shape != (self.n,):
                raise ValueError(
                    f"{who}: {arg} must give the {self.n} variables of {self.name} ({_names(self.variable_names)}), "
                    f"as a dict or in that order; got shape {np.shape(state)}."
                )
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{who}: {arg} must be finite, got {dict(zip(self.variable_names, x))}.")
        return x

    def state_dict(self, x: Any) -> dict[str, float]:
        """The state vector ``x`` as ``{name: value}``."""
        return {nm: float(v) for nm, v in zip(self.variable_names, np.asarray(x, np.float64))}

    @property
    def initial_state(self) -> dict[str, float] | None:
        """The model's initial state (``None`` for a plain function)."""
        return None if self._initial_state is None else dict(self._initial_state)

    def __repr__(self) -> str:
        sub = "; subthreshold vector field (no reset)" if self.reset is not None else ""
        return (
            f"System({self.name}: variables={self.variable_names}, params="
            f"{dict(zip(self.param_names, self.default_params.tolist()))}{sub})"
        )


def _did_you_mean(name: str, valid: Sequence[str]) -> str:
    close = [v for v in valid if v.lower() == str(name).lower()]
    close = close or difflib.get_close_matches(str(name), list(valid), n=1, cutoff=0.5)
    if not close and str(name).lower() in {"i", "i_app", "iapp", "i_ext", "current"}:
        close = [v for v in valid if v.lower() in {"i_ext", "i"}][:1]
    return f" Did you mean {close[0]!r}?" if close else ""


def _reset_of(model: Any, values: Mapping[str, Any]) -> tuple[str, str, float] | None:
    """``(variable, threshold parameter, value)`` for an integrate-and-fire model (a spiking model declaring
    ``V_reset`` or ``V_peak``: LIF, ExpIF, AdEx, QIF, Izhikevich); ``None`` for models without a reset."""
    if not getattr(type(model), "SPIKING", False):
        return None
    if "V_reset" not in values and "V_peak" not in values:
        return None
    thr = "V_peak" if "V_peak" in values else "V_th" if "V_th" in values else None
    names = tuple(model.variable_names)
    if thr is None or "V" not in names:
        return None
    return "V", thr, float(np.asarray(values[thr], np.float64).reshape(-1)[0])


def _pad_rows(*arrays: Any) -> tuple[int, list[np.ndarray]]:
    """Pad row-batches to a multiple of 8 rows so that compiled forms see few distinct shapes."""
    arrs = [np.atleast_2d(np.asarray(a, np.float64)) for a in arrays]
    k = arrs[0].shape[0]
    kp = max(8, -(-k // 8) * 8)
    return k, [np.concatenate([a, np.zeros((kp - k, a.shape[1]))]) if kp > k else a for a in arrs]


def _stack_output(out: Any, variables: Sequence[str], fname: str, dtype: Any) -> jax.Array:
    n = len(variables)
    if isinstance(out, Mapping):
        missing = [nm for nm in variables if nm not in out]
        if missing:
            raise ValueError(f"System: {fname} returned a dict without {_names(missing)}.")
        out = [out[nm] for nm in variables]
    if isinstance(out, (tuple, list)):
        items = list(out)
    else:
        arr = jnp.asarray(out)
        items = [arr] if arr.ndim == 0 else list(arr.reshape(-1)) if arr.size == n else None
        if items is None:
            raise ValueError(
                f"System: {fname} returned an array of shape {arr.shape} for {n} variable(s) "
                f"({_names(variables)}); return one scalar derivative per variable."
            )
    if len(items) != n:
        raise ValueError(
            f"System: {fname} returned {len(items)} derivative(s) for {n} variable(s) ({_names(variables)}); "
            "return one derivative per state variable, in the order of the positional arguments."
        )
    vals = [jnp.asarray(v, dtype=dtype) for v in items]
    for nm, v in zip(variables, vals):
        if v.shape != ():
            raise ValueError(
                f"System: the derivative of {nm!r} returned by {fname} has shape {v.shape}; each derivative must "
                "be a scalar (analyse a single neuron)."
            )
    return jnp.stack(vals)


_SYSTEMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CLASS_COMPILED: dict[tuple, dict] = {}


def _declared_model(model: Any) -> bool:
    """A model declared with brainlab's ``AbstractModel`` (whose ``vector_field`` is documented as pure)."""
    from .._model import AbstractModel

    return isinstance(model, AbstractModel)


def _is_model(obj: Any) -> bool:
    return all(hasattr(obj, a) for a in ("vector_field", "variable_names", "param_values", "initial_state"))


def as_system(obj: Any) -> System:
    """Normalise a plain function, a brainlab model, or a System into a :class:`System`.

    The System is remembered per function or model object (while it lives, and as long as its defaults, or
    the model's parameter values and initial state, are unchanged), so analyses of the same object share
    their compiled code.  After a model's parameters change (``hh.gNa = 100.``) a new System carries the new
    values as defaults and shares the old one's compiled code: nothing recompiles.

    Example:
        >>> def fhn(v, w, I=0.5, a=0.7, b=0.8, tau=12.5):
        ...     return v - v**3 / 3 - w + I, (v + a - b * w) / tau
        >>> sys = as_system(fhn)
        >>> sys.variable_names, sys.param_names
        (('v', 'w'), ('I', 'a', 'b', 'tau'))
        >>> as_system(fhn) is sys
        True
    """
    if isinstance(obj, System):
        return obj
    if _is_model(obj):
        key = ("model", tuple(obj.variable_names), repr(obj.param_values()), repr(obj.initial_state()))
        build = System.from_model
    elif callable(obj):
        key = ("function", getattr(obj, "__defaults__", None), repr(getattr(obj, "__kwdefaults__", None)))
        build = System.from_function
    else:
        raise TypeError(
            f"as_system: expected a function f(x1, x2, ..., p1=..., ...) or a model with variable_names, "
            f"vector_field, param_values and initial_state; got {type(obj).__name__}."
        )
    try:
        cached = _SYSTEMS.get(obj)
    except TypeError:  # not weak-referenceable
        cached = None
    if cached is not None and cached[0] == key:
        return cached[1]
    system = build(obj)
    if cached is not None and key[0] == "model" and _same_structure(cached[1], system):
        # The model's parameter values (or initial state) changed: its vector field is the same pure function of
        # (x, p), so the new System shares the compiled code of the old one (no recompilation).
        system._compiled = cached[1]._compiled
    elif not system._compiled:
        _check_callable_shape(system)
    try:
        _SYSTEMS[obj] = (key, system)
    except TypeError:
        pass
    return system


def _same_structure(a: System, b: System) -> bool:
    return a.variable_names == b.variable_names and a.param_names == b.param_names


def _check_callable_shape(system: System) -> None:
    """Trace the vector field once abstractly so shape errors surface at construction, in the user's terms."""
    x = jax.ShapeDtypeStruct((system.n,), jnp.float64)
    p = jax.ShapeDtypeStruct((len(system.param_names),), jnp.float64)
    with jax.enable_x64(True):
        out = jax.eval_shape(system.F, x, p)
    if out.shape != (system.n,):
        raise ValueError(f"System: {system.name} returned shape {out.shape}, expected ({system.n},).")
