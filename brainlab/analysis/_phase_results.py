"""Result objects of phase-plane analysis: frozen dataclasses holding NumPy arrays, each with ``plot()``."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = [
    "VectorField",
    "Nullclines",
    "FixedPoint",
    "FixedPoints",
    "Trajectory",
    "LimitCycle",
    "Separatrix",
    "Separatrices",
    "PhasePortrait",
]


def _plotting() -> Any:
    from brainlab.plotting import phase_plane

    return phase_plane


@dataclasses.dataclass(frozen=True, eq=False)
class VectorField:
    r"""The vector field sampled on a grid (``dx/dt`` in units of the variable per ms).

    Attributes:
        names: the displayed variables (one or two).
        x: grid of the first variable, shape ``(nx,)``.
        y: grid of the second variable, shape ``(ny,)`` (empty in 1D).
        u: :math:`\dot x_1` on the grid, shape ``(ny, nx)`` (``(nx,)`` in 1D).
        v: :math:`\dot x_2` on the grid, shape ``(ny, nx)`` (empty in 1D).
    """

    names: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray

    @property
    def speed(self) -> np.ndarray:
        """The magnitude of the (unscaled) vector field on the grid."""
        return np.hypot(self.u, self.v) if self.v.size else np.abs(self.u)

    def plot(self, fig: Any = None) -> Any:
        """Draw the field as arrows (2D) or as the graph of dx/dt (1D); returns a bokeh figure."""
        return _plotting().plot_vector_field(self, fig=fig)


@dataclasses.dataclass(frozen=True, eq=False)
class Nullclines:
    """Nullclines of a planar system: for each variable, the polylines where its derivative vanishes.

    Attributes:
        names: the two displayed variables.
        lines: ``{name: (polyline, ...)}``, each polyline an array of shape ``(k, 2)`` in the displayed
            coordinates; separate branches are separate polylines.
        resolution: the contouring grid (points per axis).
    """

    names: tuple[str, ...]
    lines: dict[str, tuple[np.ndarray, ...]]
    resolution: int

    def __getitem__(self, name: str) -> tuple[np.ndarray, ...]:
        return self.lines[name]

    def plot(self, fig: Any = None) -> Any:
        """Draw the nullclines; returns a bokeh figure."""
        return _plotting().plot_nullclines(self, fig=fig)


@dataclasses.dataclass(frozen=True, eq=False)
class FixedPoint:
    """One equilibrium of the displayed (possibly reduced) system.

    Attributes:
        state: ``{name: value}`` of the displayed variables.
        x: the same as a vector.
        eigenvalues: eigenvalues of the Jacobian (complex, sorted by decreasing real part), in 1/ms.
        eigenvectors: the matching eigenvectors, as columns.
        jacobian: the Jacobian of the displayed system.
        kind: ``'stable node'``, ``'unstable node'``, ``'stable focus'``, ``'unstable focus'``, ``'saddle'``,
            ``'centre'`` or ``'non-hyperbolic'`` (see :func:`classify_equilibrium` for the tolerances).
        stable: all eigenvalues have negative real part.
        residual: :math:`\\max_i |F_i|` at the point.
    """

    state: dict[str, float]
    x: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    jacobian: np.ndarray
    kind: str
    stable: bool
    residual: float

    def __repr__(self) -> str:
        st = ", ".join(f"{k}={v:.6g}" for k, v in self.state.items())
        ev = ", ".join(f"{e:.4g}" for e in self.eigenvalues)
        return f"FixedPoint({st}; {self.kind}; eigenvalues=[{ev}])"


@dataclasses.dataclass(frozen=True, eq=False)
class FixedPoints:
    """All fixed points found in the phase-plane window (a sequence of :class:`FixedPoint`)."""

    names: tuple[str, ...]
    points: tuple[FixedPoint, ...]

    def __iter__(self) -> Iterator[FixedPoint]:
        return iter(self.points)

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, i: int) -> FixedPoint:
        return self.points[i]

    def __repr__(self) -> str:
        return "FixedPoints(\n" + "".join(f"  {p!r},\n" for p in self.points) + ")"

    def plot(self, fig: Any = None) -> Any:
        """Mark the fixed points (filled: stable, open: unstable); returns a bokeh figure."""
        return _plotting().plot_fixed_points(self, fig=fig)


@dataclasses.dataclass(frozen=True, eq=False)
class Trajectory:
    """A solution of the displayed system.

    Attributes:
        names: the displayed variables.
        t: times (ms), shape ``(k,)``; negative for a backward integration.
        states: shape ``(k, d)``; the trajectory is cut where it left the integration box.
        message: the integrator's stop reason (``'success: ...'`` when every output time was reached).
    """

    names: tuple[str, ...]
    t: np.ndarray
    states: np.ndarray
    message: str

    def __getitem__(self, name: str) -> np.ndarray:
        return self.states[:, self.names.index(name)]

    def plot(self, fig: Any = None) -> Any:
        """Draw the orbit in the phase plane (x(t) against t in 1D); returns a bokeh figure."""
        return _plotting().plot_trajectory(self, fig=fig)


@dataclasses.dataclass(frozen=True, eq=False)
class LimitCycle:
    """A periodic orbit found by simulation (see :meth:`PhasePlane.limit_cycle`).

    Attributes:
        found: whether a periodic orbit was detected; when ``False`` see ``message``.
        names: the displayed variables.
        period: the period (ms); NaN when not found.
        t: times over one period, shape ``(k,)``.
        states: the orbit over one period, shape ``(k, d)``, starting on the Poincaré section.
        stable: ``True`` for a cycle found forward in time (attracting), ``False`` backward (repelling, 2D).
        section: ``(variable, level)`` of the Poincaré section (upward crossings).
        return_error: distance between the last two returns to the section (state units).
        message: how the search ended.
    """

    found: bool
    names: tuple[str, ...]
    period: float
    t: np.ndarray
    states: np.ndarray
    stable: bool
    section: tuple[str, float]
    return_error: float
    message: str

    @property
    def amplitude(self) -> dict[str, float]:
        """Peak-to-peak amplitude of each variable over the cycle."""
        if not self.found:
            return {n: float("nan") for n in self.names}
        return {n: float(np.ptp(self.states[:, i])) for i, n in enumerate(self.names)}

    def plot(self, fig: Any = None) -> Any:
        """Draw the cycle (solid: stable, dashed: unstable); returns a bokeh figure."""
        return _plotting().plot_limit_cycle(self, fig=fig)


@dataclasses.dataclass(frozen=True, eq=False)
class Separatrix:
    """One branch of a saddle's stable or unstable manifold.

    Attributes:
        kind: ``'stable'`` (integrated backward in time) or ``'unstable'`` (forward).
        side: ``+1`` or ``-1``: which side of the saddle along the eigenvector.
        saddle: the saddle it belongs to.
        states: the curve, shape ``(k, 2)``, starting next to the saddle.
    """

    kind: str
    side: int
    saddle: FixedPoint
    states: np.ndarray


@dataclasses.dataclass(frozen=True, eq=False)
class Separatrices:
    """The stable and unstable manifolds of every saddle in the window."""

    names: tuple[str, ...]
    curves: tuple[Separatrix, ...]

    def __iter__(self) -> Iterator[Separatrix]:
        return iter(self.curves)

    def __len__(self) -> int:
        return len(self.curves)

    def plot(self, fig: Any = None) -> Any:
        """Draw the manifolds (stable: dashed, unstable: solid); returns a bokeh figure."""
        return _plotting().plot_separatrices(self, fig=fig)


@dataclasses.dataclass(frozen=True, eq=False)
class PhasePortrait:
    """Several phase-plane results drawn together (any of them may be ``None``)."""

    names: tuple[str, ...]
    bounds: dict[str, tuple[float, float]]
    params: dict[str, float]
    vector_field: VectorField | None = None
    nullclines: Nullclines | None = None
    fixed_points: FixedPoints | None = None
    separatrices: Separatrices | None = None
    trajectories: tuple[Trajectory, ...] = ()
    limit_cycles: tuple[LimitCycle, ...] = ()

    def plot(self, fig: Any = None) -> Any:
        """Draw everything present; returns a bokeh figure."""
        return _plotting().plot_phase_portrait(self, fig=fig)
