"""Fixed-step SDE integration: :func:`sdeint` builds a step function that draws or takes Wiener increments."""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp

from ._base import AbstractSDEMethod
from ._sde_methods import SDE_METHOD_LIST
from ._tree import PyTree, as_state, callable_name, check_like, checked

#: Read-only view ``name -> method`` of the SDE schemes accepted by ``sdeint(method=...)``.
SDE_METHODS: Mapping[str, AbstractSDEMethod] = types.MappingProxyType({m.name: m for m in SDE_METHOD_LIST})

_NOISE_TYPES = ("diagonal",)


def _default_key(who: str) -> jax.Array:
    try:
        from brainlab.engine import random as _random
    except ImportError as err:  # pragma: no cover - only while the random module is missing
        raise RuntimeError(
            f"{who}: no key was given and brainlab's default random generator could not be imported ({err}). "
            "Pass key=jax.random.key(seed) explicitly."
        ) from err
    return _random.split_key()


def wiener_increments(key: jax.Array, x: PyTree, dt: Any) -> PyTree:
    r"""Independent :math:`\Delta W \sim \mathcal N(0, \Delta t)` for every element of every leaf of ``x``."""
    leaves, treedef = jax.tree.flatten(x)
    keys = jax.random.split(key, len(leaves))
    out = []
    for k, leaf in zip(keys, leaves):
        z = jax.random.normal(k, leaf.shape, leaf.dtype)
        out.append((jnp.sqrt(jnp.asarray(dt)) * z).astype(leaf.dtype))
    return treedef.unflatten(out)


class SDEIntegrator:
    r"""A step function ``step(x, t, dt, *params, key=None, dW=None) -> x_next`` for :math:`dx = f\,dt + g\,dW`.

    Built by :func:`sdeint`; see there.  Attributes: ``f``, ``g``, ``method`` (the scheme object), ``name``,
    ``calculus`` (``'ito'`` or ``'stratonovich'``), ``strong_order``, ``weak_order``, ``noise``.
    """

    __slots__ = ("f", "g", "method", "noise", "__weakref__")

    def __init__(self, f: Callable, g: Callable, method: AbstractSDEMethod, noise: str) -> None:
        self.f = f
        self.g = g
        self.method = method
        self.noise = noise

    @property
    def name(self) -> str:
        """The scheme's registry name."""
        return self.method.name

    @property
    def calculus(self) -> str:
        """``'ito'`` or ``'stratonovich'``: the stochastic integral the scheme converges to."""
        return self.method.calculus

    @property
    def strong_order(self) -> float:
        """Pathwise (strong) order of convergence for diagonal, elementwise noise."""
        return self.method.strong_order

    @property
    def weak_order(self) -> float:
        """Order of convergence of expectations (weak order)."""
        return self.method.weak_order

    def __call__(
        self, x: PyTree, t: Any, dt: Any, *params: Any, key: jax.Array | None = None, dW: PyTree | None = None
    ) -> PyTree:
        r"""Advance ``x`` from ``t`` to ``t + dt`` (ms).

        Args:
            x: the state (array or pytree of real floating arrays).
            t, dt: time and step in ms.
            params: passed on to ``f`` and ``g``.
            key: a ``jax.random`` key for the increments; ``None`` draws one from brainlab's default generator
                (``brainlab.engine.random.split_key()``).  Under a raw ``jax.jit`` a default key is drawn once,
                at trace time, and then reused on every call: pass ``key`` explicitly there.
            dW: Wiener increments to use instead of drawing them (same structure as ``x``, each
                :math:`\sim\mathcal N(0, \Delta t)`), for example to drive several schemes with one Brownian path.
        """
        who = f"sdeint({self.method.name!r}) step for f={callable_name(self.f)}, g={callable_name(self.g)}"
        x = as_state(x, who=who, allow_complex=False)
        if dW is not None and key is not None:
            raise ValueError(f"{who}: pass either key= (to draw the increments) or dW= (to supply them), not both.")
        if dW is None:
            dW = wiener_increments(_default_key(who) if key is None else key, x, dt)
        else:
            dW = check_like(dW, x, who=who, fname="dW", what="Wiener increments")
        f = checked(self.f, x, who=who, what="drift values")
        g = checked(self.g, x, who=who, what="diffusion values")
        return self.method.step(f, g, x, t, dt, dW, params)

    def __repr__(self) -> str:
        return (
            f"SDEIntegrator(f={callable_name(self.f)}, g={callable_name(self.g)}, method={self.method.name!r}, "
            f"calculus={self.calculus!r}, noise={self.noise!r})"
        )


def sdeint(
    f: Callable[..., PyTree],
    g: Callable[..., PyTree],
    method: str | AbstractSDEMethod = "euler",
    noise: str = "diagonal",
) -> SDEIntegrator:
    r"""Make a fixed-step integrator for the SDE :math:`dx = f(x, t, \theta)\,dt + g(x, t, \theta)\,dW`.

    Args:
        f: the drift ``f(x, t, *params)``, in [x]/ms, returning the structure of ``x``.
        g: the diffusion ``g(x, t, *params)``, in [x]/ms\ :sup:`1/2`, returning the structure of ``x``.
            Noise is diagonal: element :math:`i` of the state gets its own independent Wiener process
            :math:`W_i`, scaled by :math:`g_i`.
        method: ``'euler'`` (Euler-Maruyama, Itô; strong order 0.5, weak 1), ``'heun'`` (stochastic Heun,
            **Stratonovich**; strong order 1), ``'milstein'`` (Itô; strong order 1, with
            :math:`\partial g_i/\partial x_i` by automatic differentiation).
        noise: the noise structure; only ``'diagonal'`` is implemented.

    Returns:
        An :class:`SDEIntegrator` ``step(x, t, dt, *params, key=None, dW=None)``.  Each call draws
        :math:`\Delta W_i \sim \mathcal N(0, \Delta t)` per element (or uses ``dW``); it is pure given the key,
        works under ``jax.jit``/``jax.vmap``/``jax.grad`` and keeps the state's dtype.

    Example: an Ornstein-Uhlenbeck membrane potential, :math:`dV = -(V - V_0)/\tau\,dt + \sigma\,dW`.

        >>> import jax, jax.numpy as jnp
        >>> from brainlab.engine._integrators import sdeint
        >>> step = sdeint(lambda v, t, tau: -(v + 65.0) / tau, lambda v, t, tau: 0.5 * jnp.ones_like(v))
        >>> @jax.jit
        ... def simulate(v, key):  # 20 ms at dt = 0.1 ms, one key per step
        ...     def body(v, i_key):
        ...         i, k = i_key
        ...         return step(v, 0.1 * i, 0.1, 10.0, key=k), None
        ...     return jax.lax.scan(body, v, (jnp.arange(200), jax.random.split(key, 200)))[0]
        >>> v = simulate(jnp.full(10_000, -65.0), jax.random.key(0))
        >>> sd = 0.5 * (10.0 / 2 * (1 - jnp.exp(-2 * 20.0 / 10.0))) ** 0.5  # closed form, 1.108 mV
        >>> bool(abs(v.mean() + 65.0) < 0.05), bool(abs(v.std() - sd) < 0.05)
        (True, True)

    Limits: only diagonal noise; Milstein's strong order 1 and Heun's need :math:`g_i` to depend on :math:`x_i`
    only.  For Itô equations with multiplicative noise use ``'euler'`` or ``'milstein'``; ``'heun'`` solves the
    Stratonovich interpretation.
    """
    for name, fn in (("f", f), ("g", g)):
        if not callable(fn):
            raise TypeError(f"sdeint: {name} must be a function {name}(x, t, *params), got {type(fn).__name__}.")
    if noise not in _NOISE_TYPES:
        raise ValueError(
            f"sdeint: unknown noise {noise!r}. Valid noise types are: {', '.join(map(repr, _NOISE_TYPES))} "
            "(one independent Wiener process per state element)."
        )
    if isinstance(method, AbstractSDEMethod):
        return SDEIntegrator(f, g, method, noise)
    if method not in SDE_METHODS:
        raise ValueError(
            f"sdeint: unknown method {method!r}. Valid methods are: {', '.join(map(repr, SDE_METHODS))}."
        )
    return SDEIntegrator(f, g, SDE_METHODS[method], noise)
