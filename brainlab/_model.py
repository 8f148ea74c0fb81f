r"""The declaration base of every brainlab model: :class:`Parameter`, :class:`Variable`, :class:`AbstractModel`.

A model declares itself once, as class attributes: its parameters (name, default, unit, admissible range, one-line
meaning), its dynamical variables (name, initial value, unit), its equations in LaTeX, a citation, its default
time step and integrator.  Everything else reads these declarations: the constructor turns each parameter into a
:class:`~brainlab.engine.ParamState` and each variable into a :class:`~brainlab.engine.HiddenState`; the runner,
the analysis package and the widgets read ``PARAMETERS`` and call the pure ``vector_field``; :func:`catalog` lists
every declared model as JSON-ready data for the notebook gallery.

A model class is either abstract (named ``Abstract...``, created with ``abstract=True``) or concrete; concrete
classes are final (subclassing one is an error), so a class's declarations always describe exactly the equations
it integrates.
"""

import dataclasses
import difflib
import importlib
import importlib.util
import math
from collections.abc import Mapping
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from .engine import HiddenState, Module, ParamState, State
from .engine._array import unwrap

__all__ = ["Parameter", "Variable", "AbstractModel", "catalog", "registered_models"]


# ------------------------------------------------------------------------------------------------------------
# Declarations
# ------------------------------------------------------------------------------------------------------------


def _check_name(owner: str, name: Any) -> None:
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        raise ValueError(f"{owner}: name must be a public Python identifier (e.g. 'tau'), got {name!r}.")


@dataclasses.dataclass(frozen=True)
class Parameter:
    r"""One declared model parameter.

    Args:
        name: the attribute name (``'tau'``, ``'gNa'``); a public Python identifier.
        default: the default value (a number, in ``unit``).
        unit: the unit as written in the docs (``'ms'``, ``'mV'``, ``'mS/cm^2'``, ``'pA'``; ``''`` for
            dimensionless).
        range: the admissible closed interval ``(lo, hi)``; use ``-math.inf``/``math.inf`` for no bound.  The
            constructor and attribute assignment reject values outside it; widgets use it for sliders.
        doc: a one-line meaning ("membrane time constant").

    Example:
        >>> Parameter("tau", 10.0, "ms", range=(0.1, 1000.0), doc="membrane time constant")
        Parameter(name='tau', default=10.0, unit='ms', range=(0.1, 1000.0), doc='membrane time constant')
    """

    name: str
    default: float
    unit: str
    range: tuple[float, float] = (-math.inf, math.inf)
    doc: str = ""

    def __post_init__(self) -> None:
        _check_name("Parameter", self.name)
        try:
            default = float(self.default)
            lo, hi = (float(v) for v in self.range)
        except (TypeError, ValueError):
            raise TypeError(
                f"Parameter {self.name!r}: default must be a number and range a pair (lo, hi) of numbers, got "
                f"default={self.default!r}, range={self.range!r}."
            ) from None
        if not lo <= hi:
            raise ValueError(f"Parameter {self.name!r}: range {self.range!r} is empty; it must satisfy lo <= hi.")
        if not lo <= default <= hi:
            raise ValueError(
                f"Parameter {self.name!r}: default {default} lies outside its range [{lo}, {hi}] {self.unit}."
            )
        object.__setattr__(self, "default", default)
        object.__setattr__(self, "range", (lo, hi))

    def describe_range(self) -> str:
        """The range as readable text, e.g. ``'[0.1, 1000] ms'``."""
        lo, hi = self.range
        unit = f" {self.unit}" if self.unit else ""
        return f"[{lo:g}, {hi:g}]{unit}"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready description (an infinite bound becomes ``None``)."""
        return {
            "name": self.name,
            "default": self.default,
            "unit": self.unit,
            "range": [_finite_or_none(self.range[0]), _finite_or_none(self.range[1])],
            "doc": self.doc,
        }


@dataclasses.dataclass(frozen=True)
class Variable:
    r"""One declared dynamical variable (a membrane potential, a gating variable, a rate ...).

    Args:
        name: the attribute name (``'V'``, ``'m'``); a public Python identifier.
        init: the default initial value (a number, in ``unit``).  A model may compute better initial values
            from its parameters (the steady state of a gate at the initial voltage, say) by overriding
            ``initial_values``.
        unit: the unit (``'mV'``, ``''`` for dimensionless).
        doc: a one-line meaning.

    Example:
        >>> Variable("V", -65.0, "mV", doc="membrane potential")
        Variable(name='V', init=-65.0, unit='mV', doc='membrane potential')
    """

    name: str
    init: float
    unit: str
    doc: str = ""

    def __post_init__(self) -> None:
        _check_name("Variable", self.name)
        try:
            object.__setattr__(self, "init", float(self.init))
        except (TypeError, ValueError):
            raise TypeError(f"Variable {self.name!r}: init must be a number, got {self.init!r}.") from None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {"name": self.name, "init": self.init, "unit": self.unit, "doc": self.doc}


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


# ------------------------------------------------------------------------------------------------------------
# The registry behind catalog()
# ------------------------------------------------------------------------------------------------------------

_REGISTRY: dict[tuple[str, str], type] = {}

# Library packages whose models catalog() imports first (so their classes are registered).
_LIBRARY_PACKAGES = ("brainlab.neurons", "brainlab.synapses", "brainlab.outputs")

# Attribute names a model may not use for a parameter or variable (they are taken by the base classes).
_RESERVED = frozenset(
    {
        "size", "num", "name", "method", "spike", "t_last_spike", "update", "reset", "states", "modules",
        "vector_field", "param_values", "param_arrays", "initial_state", "initial_values", "variable_names",
        "parameter_names", "surrogate", "spike_dtype", "integrator", "from_preset", "state_dict",
        "load_state_dict", "reset_state", "describe",
    }
)


def register_model(cls: type) -> type:
    """List a class in :func:`catalog` (it must provide ``catalog_entry()`` or ``describe()`` and ``KIND``)."""
    _REGISTRY[(cls.__module__, cls.__qualname__)] = cls
    return cls


def _entry(cls: type) -> dict[str, Any]:
    entry = getattr(cls, "catalog_entry", None)
    return entry() if entry is not None else cls.describe()


def _kind(cls: type) -> str:
    return getattr(cls, "KIND", None) or _entry(cls)["kind"]


def registered_models(kind: str | None = None) -> dict[str, type]:
    """Every registered concrete model class, keyed by ``'module.ClassName'`` (optionally only one ``kind``)."""
    _import_library()
    return {
        f"{mod}.{qual}": cls
        for (mod, qual), cls in sorted(_REGISTRY.items())
        if kind is None or _kind(cls) == kind
    }


def _import_library() -> None:
    for pkg in _LIBRARY_PACKAGES:
        if importlib.util.find_spec(pkg) is not None:
            importlib.import_module(pkg)


def catalog(kind: str | None = None) -> list[dict[str, Any]]:
    r"""Every declared model class with its metadata, as JSON-ready data (lists, dicts, str, float, bool, None).

    Each entry has: ``name`` (the class name), ``module``, ``kind`` (``'neuron'``, ``'synapse'``, ``'output'``),
    ``summary`` (first docstring line), ``spiking``, ``method`` (default integrator), ``default_dt`` (ms),
    ``parameters`` (list of ``{name, default, unit, range: [lo, hi], doc}``; an unbounded side is ``None``),
    ``variables`` (list of ``{name, init, unit, doc}``), ``equations`` (LaTeX), ``reference`` (citation) and
    ``presets`` (``{preset name: {parameter: value}}``).

    Args:
        kind: keep only models of this kind (``'neuron'``, ...); ``None`` lists all.

    Example:
        >>> import json, brainlab as bl
        >>> entries = bl.catalog("neuron")
        >>> [e["name"] for e in entries][:3]
        ['AdEx', 'ExpIF', 'FHN']
        >>> text = json.dumps(entries)      # strict JSON: no NaN or Infinity

    The library packages (``brainlab.neurons`` ...) are imported first; models a user defines in a notebook are
    listed once their class statement has run.
    """
    out = []
    for cls in registered_models(kind).values():
        out.append(_entry(cls))
    out.sort(key=lambda e: (e["kind"], e["name"], e["module"]))
    return out


# ------------------------------------------------------------------------------------------------------------
# Helpers for values
# ------------------------------------------------------------------------------------------------------------


def _raw(x: Any) -> Any:
    """A JAX/numpy value from an Array, a State or a number."""
    if isinstance(x, State):
        return x.value
    return unwrap(x)


def _is_concrete(x: Any) -> bool:
    return not isinstance(x, jax.core.Tracer)


def _normalise_size(owner: str, size: Any) -> tuple[int, ...]:
    sizes = size if isinstance(size, (tuple, list)) else (size,)
    out = []
    for s in sizes:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)):
            raise TypeError(
                f"{owner}: size must be a positive int or a tuple of positive ints (e.g. 100 or (10, 10)), got "
                f"{size!r}."
            )
        if s <= 0:
            raise ValueError(
                f"{owner}: size must be positive, got {size!r}. Pass the number of neurons, e.g. size=100."
            )
        out.append(int(s))
    if not out:
        raise ValueError(f"{owner}: size must not be empty; pass e.g. size=1 for a single neuron.")
    return tuple(out)


# ------------------------------------------------------------------------------------------------------------
# AbstractModel
# ------------------------------------------------------------------------------------------------------------


class AbstractModel(Module):
    r"""The base of every declared model (neurons now; synapses through the same base).

    A concrete subclass sets the class attributes below and implements the model's behaviour; the base turns
    the declarations into States, checks every value the user passes, and lists the class in :func:`catalog`.

    Class attributes (declarations):
        KIND: ``'neuron'``, ``'synapse'`` ... (set by the kind's abstract base).
        PARAMETERS: tuple of :class:`Parameter`.
        VARIABLES: tuple of :class:`Variable` (the integrated state, in order).
        EQUATIONS: the equations in LaTeX.
        REFERENCE: the citation of the model (and of the default parameter values).
        DEFAULT_DT: the recommended time step in ms.
        METHOD: the default integrator name (see ``brainlab.engine._integrators.odeint``).
        PRESETS: ``{name: {parameter: value}}``: published parameter sets (see :meth:`from_preset`).

    Instances: each declared parameter ``p`` is the attribute ``self.p``, a :class:`~brainlab.engine.ParamState`
    (reading ``model.tau`` returns the State; its number is ``model.tau.value``).  Plain assignment
    ``model.tau = 20.`` is checked (range, shape) and written *into* that State, so compiled functions that use
    the model see the new value on their next call, without recompiling.  Variables behave the same way with
    :class:`~brainlab.engine.HiddenState` (``model.V = -70.`` sets every neuron's potential).

    Subclass creation: ``class MyModel(AbstractNeuron): ...`` registers ``MyModel`` for :func:`catalog`; pass
    ``register=False`` to keep a throw-away class out of it, and ``abstract=True`` for an intermediate base.
    """

    KIND: ClassVar[str] = "model"
    PARAMETERS: ClassVar[tuple[Parameter, ...]] = ()
    VARIABLES: ClassVar[tuple[Variable, ...]] = ()
    EQUATIONS: ClassVar[str] = ""
    REFERENCE: ClassVar[str] = ""
    DEFAULT_DT: ClassVar[float] = 0.1
    METHOD: ClassVar[str] = "euler"
    PRESETS: ClassVar[Mapping[str, Mapping[str, float]]] = {}

    _abstract: ClassVar[bool] = True
    _param_index: ClassVar[dict[str, Parameter]] = {}
    _var_index: ClassVar[dict[str, Variable]] = {}

    def __init_subclass__(cls, abstract: bool = False, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__mro__[1:]:
            if issubclass(base, AbstractModel) and not base.__dict__.get("_abstract", True):
                raise TypeError(
                    f"{cls.__name__}: {base.__name__} is a concrete model and is final; it cannot be subclassed. "
                    f"To build a variant, subclass the abstract base ({_abstract_base_name(base)}) and declare "
                    "the variant's own PARAMETERS, VARIABLES and EQUATIONS, or wrap a "
                    f"{base.__name__} in a new Module."
                )
        cls._abstract = bool(abstract)
        if abstract:
            return
        _validate_declarations(cls)
        cls._param_index = {p.name: p for p in cls.PARAMETERS}
        cls._var_index = {v.name: v for v in cls.VARIABLES}
        if register:
            _REGISTRY[(cls.__module__, cls.__qualname__)] = cls

    # -- construction -----------------------------------------------------------------------------------------
    def __init__(self, size: int | tuple[int, ...], *, method: str | None = None, name: str | None = None,
                 **params: Any) -> None:
        cls = type(self)
        if cls._abstract:
            raise TypeError(
                f"{cls.__name__} is abstract and cannot be instantiated; use a concrete model such as "
                "bl.neurons.LIF, or subclass it and declare PARAMETERS, VARIABLES and EQUATIONS."
            )
        object.__setattr__(self, "_ready", False)
        self.size = _normalise_size(cls.__name__, size)
        self.num = int(np.prod(self.size))
        self.name = name if name is not None else cls.__name__
        unknown = [k for k in params if k not in cls._param_index]
        if unknown:
            raise TypeError(_unknown_param_message(cls, unknown))
        for p in cls.PARAMETERS:
            value = params.get(p.name, p.default)
            setattr(self, p.name, ParamState(self._checked_param(p, value), name=f"{self.name}.{p.name}"))
        method = cls.METHOD if method is None else method
        from .engine._integrators import odeint  # the integrators import the engine; import lazily

        self._method = method
        self._integrator = odeint(self._rhs, method)
        init = self.initial_values(self.param_arrays())
        real = jax.dtypes.canonicalize_dtype(float)  # the current precision's float
        for v in cls.VARIABLES:
            # broadcast on the host: a jnp broadcast would compile one XLA program per population size
            value = np.array(np.broadcast_to(np.asarray(init[v.name], dtype=real), self.size))
            setattr(self, v.name, HiddenState(value, name=f"{self.name}.{v.name}"))
        object.__setattr__(self, "_ready", True)

    def _rhs(self, x: dict, t: Any, params: dict, I: Any) -> dict:  # noqa: E741 - I is the current
        return self.vector_field(x, params, I)

    @property
    def method(self) -> str:
        """The integrator used by :meth:`update` (a name from ``ODE_METHODS``)."""
        return self._method if isinstance(self._method, str) else self._method.name

    @property
    def integrator(self) -> Any:
        """The pure step function ``step(x, t, dt, params, I)`` of this model (an ``ODEIntegrator``)."""
        return self._integrator

    @classmethod
    def from_preset(cls, preset: str, size: int | tuple[int, ...], **kwargs: Any) -> "AbstractModel":
        """A model with a published parameter set from ``PRESETS``; ``kwargs`` override single values.

        Example:
            >>> import brainlab as bl
            >>> fs = bl.neurons.Izhikevich.from_preset("FS", 10)
            >>> fs.param_values()["a"], fs.param_values()["d"]
            (0.1, 2.0)
        """
        if preset not in cls.PRESETS:
            names = ", ".join(repr(k) for k in cls.PRESETS) or "(none)"
            raise ValueError(f"{cls.__name__}.from_preset: unknown preset {preset!r}. Valid presets: {names}.")
        merged = dict(cls.PRESETS[preset])
        merged.update(kwargs)
        return cls(size, **merged)

    # -- checking parameter values ------------------------------------------------------------------------
    def _checked_param(self, p: Parameter, value: Any) -> Any:
        owner = f"{type(self).__name__}"
        value = _raw(value)
        if isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{owner}: parameter {p.name!r} must be a number ({p.unit or 'dimensionless'}), "
                            f"got the bool {value!r}.")
        try:
            shape = tuple(jnp.shape(value))
        except TypeError:
            raise TypeError(
                f"{owner}: parameter {p.name!r} must be a number or an array of numbers in {p.unit or '(dimensionless)'}, "
                f"got {type(value).__name__}."
            ) from None
        try:
            bshape = np.broadcast_shapes(shape, self.size)
        except ValueError:
            bshape = None
        if bshape != self.size:
            raise ValueError(
                f"{owner}: parameter {p.name!r} has shape {shape}, which does not broadcast to the population "
                f"size {self.size}. Pass a scalar (the same value for every neuron) or an array of shape "
                f"{self.size}."
            )
        if _is_concrete(value):
            arr = np.asarray(value)
            if not (np.issubdtype(arr.dtype, np.number)):
                raise TypeError(f"{owner}: parameter {p.name!r} must be numeric, got dtype {arr.dtype}.")
            arr = arr.astype(float)
            lo, hi = p.range
            bad = ~((arr >= lo) & (arr <= hi))
            if bad.any():
                example = arr[bad].flat[0] if arr.ndim else float(arr)
                unit = f" {p.unit}" if p.unit else ""
                raise ValueError(
                    f"{owner}: parameter {p.name!r} = {example:g}{unit} is outside its admissible range "
                    f"{p.describe_range()} ({p.doc}). Choose a value within the range."
                )
            return arr
        return value

    # -- attribute assignment writes into States ----------------------------------------------------------
    def __setattr__(self, key: str, value: Any) -> None:
        cls = type(self)
        if self.__dict__.get("_ready", False) and (key in cls._param_index or key in cls._var_index):
            if isinstance(value, State):
                if value is self.__dict__.get(key):
                    return  # `model.tau = model.tau` (e.g. from `model.tau += ...` on the State): nothing to do
                raise TypeError(
                    f"{cls.__name__}.{key}: cannot replace the State object of a declared "
                    f"{'parameter' if key in cls._param_index else 'variable'}; compiled functions would keep "
                    f"reading the old one. Assign a value instead: `model.{key} = 1.5` or "
                    f"`model.{key} = other.{key}.value`."
                )
            if key in cls._param_index:
                self._assign_param(cls._param_index[key], value)
            else:
                self._assign_variable(cls._var_index[key], value)
            return
        super().__setattr__(key, value)

    def _assign_param(self, p: Parameter, value: Any) -> None:
        state: ParamState = self.__dict__[p.name]
        value = self._checked_param(p, value)
        self._write(state, value)

    def _assign_variable(self, v: Variable, value: Any) -> None:
        state: HiddenState = self.__dict__[v.name]
        value = _raw(value)
        shape = tuple(jnp.shape(value))
        try:
            ok = np.broadcast_shapes(shape, state.shape) == state.shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                f"{type(self).__name__}.{v.name}: a value of shape {shape} does not broadcast to the variable's "
                f"shape {state.shape}. Assign a scalar or an array of shape {state.shape}."
            )
        state.value = jnp.broadcast_to(jnp.asarray(value, dtype=state.dtype), state.shape)

    @staticmethod
    def _write(state: State, value: Any) -> None:
        if _is_concrete(value):
            value = jnp.asarray(value, dtype=state.dtype)
        shape = tuple(jnp.shape(value))
        if shape != state.shape:
            if _is_concrete(value) and not _in_transform():
                # scalar -> per-neuron array (or back): compiled functions that use it retrace on their next call
                state.set_value(value, reshape=True)
                return
            if _broadcasts(shape, state.shape):
                value = jnp.broadcast_to(value, state.shape)
        state.value = value

    # -- the analysis protocol ----------------------------------------------------------------------------
    @property
    def variable_names(self) -> tuple[str, ...]:
        """The names of the integrated variables, in declaration order (``('V', 'm', 'h', 'n')``)."""
        return tuple(v.name for v in type(self).VARIABLES)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """The names of the declared parameters, in declaration order."""
        return tuple(p.name for p in type(self).PARAMETERS)

    def param_arrays(self) -> dict[str, jax.Array]:
        """The current value of every parameter (JAX arrays; scalars or per-neuron arrays; works inside transforms)."""
        return {p.name: self.__dict__[p.name].value for p in type(self).PARAMETERS}

    def param_values(self) -> dict[str, float]:
        """The current value of every parameter as a Python float (outside transforms).

        Raises ``ValueError`` for a heterogeneous parameter (different values per neuron); use
        :meth:`param_arrays` then.
        """
        out = {}
        for p in type(self).PARAMETERS:
            raw = np.asarray(self.__dict__[p.name].value)
            arr = raw.astype(float)
            if arr.size > 1 and not np.all(arr == arr.flat[0]):
                raise ValueError(
                    f"{type(self).__name__}.param_values: parameter {p.name!r} differs between neurons "
                    f"(shape {arr.shape}), so it has no single value. Use param_arrays() for per-neuron values, "
                    "or analyse a model built with scalar parameters."
                )
            out[p.name] = _shortest_float(raw.flat[0])
        return out

    def initial_values(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Initial value of each variable given parameter values (pure; default: the declared ``init``).

        Models whose initial state depends on parameters (a gate at steady state, ``u = b v`` ...) override it.
        """
        return {v.name: v.init for v in type(self).VARIABLES}

    def initial_state(self) -> dict[str, float]:
        """The initial value of every variable as a Python float, for the current (scalar) parameters."""
        vals = self.initial_values(self.param_values())
        return {k: float(np.asarray(vals[k])) for k in self.variable_names}

    def _params_for(self, who: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        missing = [n for n in self.parameter_names if n not in params]
        if missing:
            raise KeyError(
                f"{type(self).__name__}.{who}: params is missing {missing}. Pass every parameter, e.g. "
                "model.param_values() with the values you want changed."
            )
        return params

    # -- reset ----------------------------------------------------------------------------------------------
    def reset_state(self) -> None:
        """Set every variable to its initial value for the *current* parameters (called by ``reset()``), except
        variables whose initial value was chosen with ``State.set_initial``."""
        init = self.initial_values(self.param_arrays())
        for v in type(self).VARIABLES:
            state = self.__dict__[v.name]
            if state._init_pinned:  # the user chose this variable's initial value: State.set_initial
                continue
            value = jnp.asarray(init[v.name], dtype=state.dtype)
            if _broadcasts(value.shape, state.shape):  # (a stacked copy keeps the values Module.reset restored)
                state.value = jnp.broadcast_to(value, state.shape)

    # -- description ----------------------------------------------------------------------------------------
    @classmethod
    def describe(cls) -> dict[str, Any]:
        """This class's declarations as JSON-ready data (one :func:`catalog` entry)."""
        doc = (cls.__doc__ or "").strip().splitlines()
        return {
            "name": cls.__name__,
            "module": _public_module(cls.__module__),
            "kind": cls.KIND,
            "summary": doc[0].strip() if doc else "",
            "spiking": bool(getattr(cls, "SPIKING", False)),
            "method": cls.METHOD,
            "default_dt": float(cls.DEFAULT_DT),
            "parameters": [p.to_json() for p in cls.PARAMETERS],
            "variables": [v.to_json() for v in cls.VARIABLES],
            "equations": cls.EQUATIONS,
            "reference": cls.REFERENCE,
            "presets": {k: {n: float(x) for n, x in v.items()} for k, v in cls.PRESETS.items()},
        }

    def __repr__(self) -> str:
        cls = type(self)
        parts = [f"size={self.size[0] if len(self.size) == 1 else self.size}"]
        if self.name != cls.__name__:
            parts.append(f"name={self.name!r}")
        if self.method != cls.METHOD:
            parts.append(f"method={self.method!r}")
        for p in cls.PARAMETERS:
            raw = self.__dict__[p.name]._value
            if not _is_concrete(raw):
                continue
            arr = np.asarray(raw, dtype=float)
            if arr.size > 1 and not np.all(arr == arr.flat[0]):
                parts.append(f"{p.name}=<{'x'.join(map(str, arr.shape))} values in "
                             f"[{arr.min():.4g}, {arr.max():.4g}]>")
            elif not np.isclose(arr.flat[0], p.default, rtol=1e-6, atol=0.0):
                parts.append(f"{p.name}={arr.flat[0]:.6g}")
        return f"{cls.__name__}({', '.join(parts)})"


# ------------------------------------------------------------------------------------------------------------
# Validation helpers
# ------------------------------------------------------------------------------------------------------------


def _shortest_float(x: Any) -> float:
    """A float32 value as the shortest decimal that rounds back to it (-70.6, not -70.5999984741211)."""
    if np.asarray(x).dtype == np.float32:
        return float(np.format_float_positional(np.float32(x), unique=True))
    return float(x)


def _public_module(module: str) -> str:
    """``'brainlab.neurons._lif'`` -> ``'brainlab.neurons'`` (where users import the class from)."""
    parts = module.split(".")
    while len(parts) > 1 and parts[-1].startswith("_"):
        parts.pop()
    return ".".join(parts)


def _in_transform() -> bool:
    from .engine._state import _STACK

    return bool(_STACK.levels)


def _broadcasts(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(tuple(shape), tuple(target)) == tuple(target)
    except ValueError:
        return False


def _abstract_base_name(cls: type) -> str:
    for base in cls.__mro__[1:]:
        if issubclass(base, AbstractModel) and base.__dict__.get("_abstract", False) and base.__name__.startswith(
            "Abstract"
        ):
            return base.__name__
    return "AbstractModel"


def _unknown_param_message(cls: type, unknown: list[str]) -> str:
    valid = [p.name for p in cls.PARAMETERS]
    hints = []
    for k in unknown:
        close = difflib.get_close_matches(k, valid, n=1)
        if close:
            hints.append(f" (did you mean {close[0]!r} for {k!r}?)")
    listing = ", ".join(f"{p.name} [{p.unit}]" if p.unit else p.name for p in cls.PARAMETERS)
    return (
        f"{cls.__name__}: unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}"
        f"{''.join(hints)}. Valid parameters: {listing}."
    )


def _validate_declarations(cls: type) -> None:
    who = cls.__name__
    params, variables = cls.PARAMETERS, cls.VARIABLES
    if not isinstance(params, tuple) or not all(isinstance(p, Parameter) for p in params):
        raise TypeError(f"{who}.PARAMETERS must be a tuple of brainlab Parameter objects.")
    if not isinstance(variables, tuple) or not variables or not all(isinstance(v, Variable) for v in variables):
        raise TypeError(f"{who}.VARIABLES must be a non-empty tuple of brainlab Variable objects.")
    names = [p.name for p in params] + [v.name for v in variables]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"{who}: the names {dup} are declared twice among PARAMETERS and VARIABLES.")
    taken = sorted(set(names) & _RESERVED)
    if taken:
        raise ValueError(f"{who}: the names {taken} are reserved by the model base; rename them.")
    if not isinstance(cls.EQUATIONS, str) or not cls.EQUATIONS.strip():
        raise TypeError(f"{who}.EQUATIONS must be a non-empty LaTeX string.")
    if not isinstance(cls.REFERENCE, str) or not cls.REFERENCE.strip():
        raise TypeError(f"{who}.REFERENCE must be a non-empty citation string.")
    if not (isinstance(cls.DEFAULT_DT, (int, float)) and cls.DEFAULT_DT > 0):
        raise ValueError(f"{who}.DEFAULT_DT must be a positive number of ms, got {cls.DEFAULT_DT!r}.")
    pindex = {p.name: p for p in params}
    for preset, values in cls.PRESETS.items():
        for k, x in values.items():
            if k not in pindex:
                raise ValueError(f"{who}.PRESETS[{preset!r}] sets unknown parameter {k!r}.")
            lo, hi = pindex[k].range
            if not lo <= float(x) <= hi:
                raise ValueError(f"{who}.PRESETS[{preset!r}]: {k}={x} lies outside {pindex[k].describe_range()}.")
