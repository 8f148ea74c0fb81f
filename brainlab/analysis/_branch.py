"""Result objects of continuation: special points, equilibrium branches and codimension-two curves.

This module holds data only and imports none of the algorithms (``_continuation``, ``_codim2``, ``_periodic``):
they import it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["SpecialPoint", "Branch", "Codim2Branch", "LABELS"]

LABELS = {
    "fold": "LP",
    "hopf": "H",
    "neutral_saddle": "NS",
    "branch_point": "BP",
    "cusp": "CP",
    "bogdanov_takens": "BT",
    "generalized_hopf": "GH",
    "zero_hopf": "ZH",
}


def _plotting() -> Any:
    from brainlab.plotting import bifurcation

    return bifurcation


@dataclasses.dataclass(frozen=True, eq=False)
class SpecialPoint:
    r"""A located bifurcation (or other special) point on a continuation curve.

    Attributes:
        kind: ``'fold'`` (limit point), ``'hopf'``, ``'neutral_saddle'`` (real eigenvalues :math:`\pm\lambda`,
            not a bifurcation), ``'branch_point'``; on codimension-two curves ``'cusp'``,
            ``'bogdanov_takens'``, ``'generalized_hopf'`` (Bautin), ``'zero_hopf'``.
        index: the point's position in the arrays of its branch.
        params: all parameter values at the point (``point.params['I']``).
        state: the equilibrium, ``{variable: value}``.
        x: the equilibrium as a vector (``system.variable_names`` order).
        p: all parameters as a vector (``system.param_names`` order), to call ``system.F(x, p)``.
        eigenvalues: eigenvalues of the Jacobian there (1/ms).
        omega: Hopf: the angular frequency :math:`\omega` (rad/ms) of the critical pair :math:`\pm i\omega`;
            the emerging cycle has period :math:`\approx 2\pi/\omega` ms.
        l1: Hopf (and points on a Hopf curve): the first Lyapunov coefficient (Kuznetsov's normalisation,
            :math:`\langle q,q\rangle = 1`); negative: supercritical, positive: subcritical.
        eigenvector: Hopf: the complex :math:`q` with :math:`Jq = i\omega q`, :math:`\|q\| = 1`; fold: the real
            null vector :math:`q` of :math:`J`.
        adjoint_eigenvector: Hopf: :math:`p` with :math:`J^\top p = -i\omega p`, :math:`\bar p^\top q = 1`;
            fold: :math:`J^\top p = 0`, :math:`p^\top q = 1`.
        a: fold: the normal-form coefficient :math:`a = \tfrac12 p^\top B(q,q)` (sign tied to the orientation
            of :math:`q`, chosen along the direction of the branch).
        kappa: Hopf and neutral saddle: :math:`\kappa = \lambda_1\lambda_2` of the critical pair
            (:math:`\omega^2` at a Hopf point, :math:`-\lambda^2` at a neutral saddle).
        tangent: branch point: the unit tangent of the branch it was found on, in ``(x, p)`` (used to switch
            to the other branch: ``Continuation.equilibria(start=point)``).
    """

    kind: str
    index: int
    params: dict[str, float]
    state: dict[str, float]
    x: np.ndarray
    p: np.ndarray
    eigenvalues: np.ndarray
    omega: float | None = None
    l1: float | None = None
    eigenvector: np.ndarray | None = None
    adjoint_eigenvector: np.ndarray | None = None
    a: float | None = None
    kappa: float | None = None
    tangent: np.ndarray | None = None

    @property
    def label(self) -> str:
        """The short label used in plots (``LP``, ``H``, ``NS``, ``BP``, ``CP``, ``BT``, ``GH``, ``ZH``)."""
        return LABELS.get(self.kind, self.kind)

    @property
    def criticality(self) -> str | None:
        """Hopf: ``'supercritical'`` (l1 < 0), ``'subcritical'`` (l1 > 0) or ``'degenerate'``; else ``None``."""
        if self.kind != "hopf" or self.l1 is None:
            return None
        if self.l1 < 0:
            return "supercritical"
        return "subcritical" if self.l1 > 0 else "degenerate"

    @property
    def period(self) -> float | None:
        """Hopf: :math:`2\\pi/\\omega`, the period (ms) of the cycle born there."""
        return None if not self.omega else 2 * np.pi / self.omega

    def __repr__(self) -> str:
        extra = ""
        if self.kind == "hopf":
            extra = f", omega={self.omega:.6g}, l1={self.l1:.6g}"
        elif self.kind == "fold" and self.a is not None:
            extra = f", a={self.a:.6g}"
        st = ", ".join(f"{k}={v:.8g}" for k, v in self.state.items())
        return f"SpecialPoint({self.kind}: {self._param_text()}; {st}{extra})"

    def _param_text(self) -> str:
        return ", ".join(f"{k}={v:.10g}" for k, v in self.params.items())


@dataclasses.dataclass(frozen=True, eq=False)
class Branch:
    """A branch of equilibria continued in one parameter.

    Attributes:
        system: the analysed :class:`System` (``system.F(x, p)`` is the pure JAX vector field).
        param: the continued parameter.
        variable_names: names of the state variables (columns of ``states``).
        params: the continued parameter along the branch, shape ``(N,)``, in branch order.
        states: the equilibria, shape ``(N, n)``.
        eigenvalues: eigenvalues of the Jacobian at every point, shape ``(N, n)``, complex.
        stable: whether every eigenvalue has negative real part, shape ``(N,)``.
        special_points: located special points, in branch order (also present in the arrays at ``index``).
        fixed_params: the other parameter values.
        message: why each direction of the continuation ended (and, for an integrate-and-fire model, a note when
            part of the branch lies above its threshold).
        bounds: the parameter interval of the continuation (``None`` if unknown); limit-cycle branches started
            with :meth:`limit_cycles` stay within it.
        continuation: the :class:`~brainlab.analysis.Continuation` that computed the branch (``None`` for a branch
            built by hand); :meth:`limit_cycles` continues cycles with it.
    """

    system: Any
    param: str
    variable_names: tuple[str, ...]
    params: np.ndarray
    states: np.ndarray
    eigenvalues: np.ndarray
    stable: np.ndarray
    special_points: tuple[SpecialPoint, ...]
    fixed_params: dict[str, float]
    message: str
    bounds: tuple[float, float] | None = None
    continuation: Any = dataclasses.field(default=None, repr=False)

    def __getitem__(self, name: str) -> np.ndarray:
        """``branch['v']``: a variable along the branch; ``branch['I']``: the continued parameter."""
        if name == self.param:
            return self.params
        if name not in self.variable_names:
            raise KeyError(f"Branch: no variable {name!r}; valid names: {self.variable_names + (self.param,)}.")
        return self.states[:, self.variable_names.index(name)]

    def __len__(self) -> int:
        return len(self.params)

    def special(self, kind: str) -> tuple[SpecialPoint, ...]:
        """The special points of one kind (``'fold'``, ``'hopf'``, ...)."""
        return tuple(sp for sp in self.special_points if sp.kind == kind)

    def vector_field(self, x: Any, value: Any) -> Any:
        """``F(x, p)`` with the continued parameter set to ``value`` and the others at ``fixed_params``.

        Pure JAX (call it in float64, inside ``jax.enable_x64(True)``): the one-parameter form that periodic-orbit
        continuation from a Hopf point takes, e.g. with ``sp = branch.special('hopf')[0]``:
        ``continue_cycles_from_hopf(branch.vector_field, sp.params[branch.param], sp.x, sp.omega, sp.eigenvector,
        p_bounds=...)``.
        """
        import jax.numpy as jnp

        names = tuple(self.system.param_names)
        p = jnp.asarray([self.fixed_params[nm] for nm in names])
        return self.system.F(x, p.at[names.index(self.param)].set(value))

    def limit_cycles(self, point: SpecialPoint | None = None, **options: Any) -> Any:
        """The branch of limit cycles born at Hopf point ``point`` (default: this branch's first Hopf point).

        Shorthand for ``branch.continuation.limit_cycles(point, **options)`` (the :class:`Continuation` that
        computed this branch); see :meth:`Continuation.limit_cycles` for the options.  Returns a
        :class:`~brainlab.analysis.CycleBranch`.
        """
        if self.continuation is None:
            raise ValueError(
                "Branch.limit_cycles: this branch was not computed by a Continuation (branch.continuation is None); "
                "compute it with Continuation(system, param, bounds).equilibria(...), or call "
                "Continuation(...).limit_cycles(point) directly."
            )
        if point is None:
            hopfs = self.special("hopf")
            if not hopfs:
                found = ", ".join(sorted({sp.kind for sp in self.special_points})) or "none"
                raise ValueError(
                    f"Branch.limit_cycles: this branch of {getattr(self.system, 'name', 'the system')} has no Hopf "
                    f"point (special points found: {found}), so no cycles are born on it. Widen the bounds of the "
                    "continuation, or start cycles from a simulation with continue_cycles(...)."
                )
            point = hopfs[0]
        return self.continuation.limit_cycles(point, **options)

    def plot(self, variable: str | None = None, fig: Any = None, *, cycles: Any = ()) -> Any:
        """Bifurcation diagram: ``variable`` (default the first) against the parameter; returns a bokeh figure.

        Stable equilibria are solid, unstable ones dashed; special points are labelled.  ``cycles``: limit-cycle
        branches (:class:`~brainlab.analysis.CycleBranch`, e.g. from :meth:`limit_cycles`) drawn on top as the
        maximum and minimum of ``variable`` over each cycle (stable solid, unstable dashed, in orange).
        """
        fig = _plotting().plot_branch(self, variable=variable, fig=fig)
        if not isinstance(cycles, (list, tuple)):
            cycles = (cycles,)
        for cb in cycles:
            cb.plot(variable=variable if variable is not None else self.variable_names[0], fig=fig)
        return fig

    def __repr__(self) -> str:
        sps = "".join(f"\n  {sp!r}" for sp in self.special_points)
        return f"Branch({self.param}: {len(self)} points in [{self.params.min():.6g}, {self.params.max():.6g}]{sps})"


@dataclasses.dataclass(frozen=True, eq=False)
class Codim2Branch:
    """A curve of fold or Hopf points continued in two parameters.

    Attributes:
        system: the analysed :class:`System`.
        curve: ``'fold'`` or ``'hopf'``.
        param_names: the two continued parameters.
        params: their values along the curve, shape ``(N, 2)``.
        states: the equilibria, shape ``(N, n)``.
        eigenvalues: shape ``(N, n)``, complex.
        kappa: Hopf curve: :math:`\\kappa` (``omega**2`` where positive; negative on neutral-saddle stretches).
        l1: Hopf curve: the first Lyapunov coefficient where :math:`\\kappa > 0` (NaN elsewhere).
        special_points: cusp and Bogdanov-Takens points (fold curve); Bogdanov-Takens, generalized Hopf and
            zero-Hopf points (Hopf curve).
        fixed_params: the other parameter values.
        message: why each direction ended.
    """

    system: Any
    curve: str
    param_names: tuple[str, str]
    params: np.ndarray
    states: np.ndarray
    eigenvalues: np.ndarray
    kappa: np.ndarray
    l1: np.ndarray
    special_points: tuple[SpecialPoint, ...]
    fixed_params: dict[str, float]
    message: str

    @property
    def omega(self) -> np.ndarray:
        """Hopf curve: the frequency :math:`\\sqrt\\kappa` (rad/ms), NaN on neutral-saddle stretches."""
        with np.errstate(invalid="ignore"):
            return np.where(self.kappa > 0, np.sqrt(np.abs(self.kappa)), np.nan)

    def __getitem__(self, name: str) -> np.ndarray:
        if name in self.param_names:
            return self.params[:, self.param_names.index(name)]
        names = tuple(self.system.variable_names)
        if name not in names:
            raise KeyError(f"Codim2Branch: no variable or parameter {name!r}; valid: {self.param_names + names}.")
        return self.states[:, names.index(name)]

    def __len__(self) -> int:
        return len(self.params)

    def special(self, kind: str) -> tuple[SpecialPoint, ...]:
        """The special points of one kind."""
        return tuple(sp for sp in self.special_points if sp.kind == kind)

    def plot(self, fig: Any = None) -> Any:
        """The curve in the plane of its two parameters, with labelled special points (bokeh figure)."""
        return _plotting().plot_codim2(self, fig=fig)

    def __repr__(self) -> str:
        sps = "".join(f"\n  {sp!r}" for sp in self.special_points)
        return f"Codim2Branch({self.curve} curve in {self.param_names}: {len(self)} points{sps})"
