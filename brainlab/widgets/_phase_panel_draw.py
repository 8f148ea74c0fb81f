r"""Geometry and controls for :class:`~brainlab.widgets.PhasePlanePanel`: arrows, streamlines, NaN-joined
polylines, sliders for plain parameters and held variables, and the code export.

Everything drawn goes into flat columns (``x``, ``y``; ``x0, y0, x1, y1`` for arrow segments), so that a panel's
``data()`` exports plain arrays.  Separate branches of a curve are separated by a NaN row, which bokeh's
``line`` draws as a break.
"""

from __future__ import annotations

import inspect
import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["nan_join", "arrow_segments", "streamlines", "plain_slider", "held_slider", "system_code"]


def nan_join(lines: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Polylines ``(k_i, 2)`` as one ``(x, y)`` pair with a NaN row between branches (a break in bokeh's line).

    Example:
        >>> x, y = nan_join([np.zeros((2, 2)), np.ones((3, 2))])
        >>> x.tolist()[:4], len(x)
        ([0.0, 0.0, nan, 1.0], 6)
    """
    parts: list[np.ndarray] = []
    for ln in lines:
        ln = np.asarray(ln, np.float64).reshape(-1, 2)
        if len(ln) == 0:
            continue
        if parts:
            parts.append(np.full((1, 2), np.nan))
        parts.append(ln)
    if not parts:
        return np.zeros(0), np.zeros(0)
    xy = np.concatenate(parts)
    return xy[:, 0].copy(), xy[:, 1].copy()


def _unit(dx: np.ndarray, dy: np.ndarray, sx: float, sy: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Directions in axis-normalised units (``dx/sx, dy/sy``) scaled to length 1, and where they are non-zero."""
    ux, uy = np.asarray(dx, np.float64) / sx, np.asarray(dy, np.float64) / sy
    norm = np.hypot(ux, uy)
    good = np.isfinite(norm) & (norm > 0)
    safe = np.where(good, norm, 1.0)
    return np.where(good, ux / safe, 0.0), np.where(good, uy / safe, 0.0), good


def arrow_segments(x: np.ndarray, y: np.ndarray, dx: np.ndarray, dy: np.ndarray, sx: float, sy: float,
                   speed: np.ndarray | None = None) -> dict[str, Any]:
    r"""Arrows of equal length centred on ``(x, y)`` pointing along ``(dx, dy)``: three segments each (shaft and
    two barbs), as columns ``x0, y0, x1, y1, color`` for bokeh's ``segment`` glyph.

    ``sx, sy`` are the arrow length along each axis (in data units), so arrows look equally long on a plot whose
    axes have different units.  Colours follow :math:`\log_{10}` of ``speed`` (Viridis; default the length of
    ``(dx, dy)``).  Points where the field vanishes get no arrow.
    """
    from bokeh.palettes import Viridis256

    x, y = np.asarray(x, np.float64).ravel(), np.asarray(y, np.float64).ravel()
    ux, uy, good = _unit(np.ravel(dx), np.ravel(dy), sx, sy)
    speed = np.hypot(np.ravel(dx), np.ravel(dy)) if speed is None else np.ravel(speed)
    x, y, ux, uy, speed = x[good], y[good], ux[good], uy[good], speed[good]
    tx, ty = x + 0.5 * ux * sx, y + 0.5 * uy * sy  # tip
    bx, by = x - 0.5 * ux * sx, y - 0.5 * uy * sy  # tail
    b1x, b1y = tx + (-0.35 * ux + 0.2 * uy) * sx, ty + (-0.35 * uy - 0.2 * ux) * sy
    b2x, b2y = tx + (-0.35 * ux - 0.2 * uy) * sx, ty + (-0.35 * uy + 0.2 * ux) * sy
    logs = np.log10(speed + 1e-300)
    if logs.size:
        lo, hi = float(logs.min()), float(logs.max())
        idx = np.clip(((logs - lo) / (hi - lo + 1e-12) * 255).astype(int), 0, 255)
    else:
        idx = np.zeros(0, int)
    colour = [Viridis256[i] for i in idx]
    return {"x0": np.concatenate([bx, tx, tx]), "y0": np.concatenate([by, ty, ty]),
            "x1": np.concatenate([tx, b1x, b2x]), "y1": np.concatenate([ty, b1y, b2y]),
            "color": colour * 3}


def _bilinear(gx: np.ndarray, gy: np.ndarray, F: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """``F`` (``(ny, nx)``) at points, interpolated bilinearly in the unit square with grid ``gx, gy``."""
    nx, ny = len(gx), len(gy)
    fx = np.clip(px, 0.0, 1.0) * (nx - 1)
    fy = np.clip(py, 0.0, 1.0) * (ny - 1)
    i = np.clip(np.floor(fx).astype(int), 0, nx - 2)
    j = np.clip(np.floor(fy).astype(int), 0, ny - 2)
    a, b = fx - i, fy - j
    return ((1 - a) * (1 - b) * F[j, i] + a * (1 - b) * F[j, i + 1] + (1 - a) * b * F[j + 1, i]
            + a * b * F[j + 1, i + 1])


def streamlines(vf: Any, lo: Sequence[float], hi: Sequence[float], seeds: int = 14,
                length: float = 0.09, steps: int = 12) -> tuple[np.ndarray, np.ndarray]:
    r"""Short streamlines of the direction field of ``vf`` (a :class:`~brainlab.analysis.VectorField`), with an
    arrowhead at the downstream end, as NaN-joined ``(x, y)``.

    In window coordinates scaled to the unit square, the unit direction field (interpolated bilinearly from the
    grid of ``vf``) is followed by midpoint (RK2) steps from the centres of a ``seeds`` x ``seeds`` grid, for
    ``length/2`` upstream and downstream.  A line stops where it leaves the window or the field vanishes.
    """
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    span = hi - lo
    gx, gy = (vf.x - lo[0]) / span[0], (vf.y - lo[1]) / span[1]
    U, V = vf.u / span[0], vf.v / span[1]
    N = np.hypot(U, V)
    ok = np.isfinite(N) & (N > 0)
    U, V = np.where(ok, U / np.where(ok, N, 1), 0.0), np.where(ok, V / np.where(ok, N, 1), 0.0)
    c = (np.arange(seeds) + 0.5) / seeds
    sx, sy = (a.ravel() for a in np.meshgrid(c, c))
    h = 0.5 * length / steps

    def direction(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u, v = _bilinear(gx, gy, U, px, py), _bilinear(gx, gy, V, px, py)
        n = np.hypot(u, v)
        good = n > 1e-6
        n = np.where(good, n, 1.0)
        return np.where(good, u / n, 0.0), np.where(good, v / n, 0.0)

    def march(sign: float) -> np.ndarray:
        px, py = sx.copy(), sy.copy()
        out = np.empty((steps + 1, px.size, 2))
        out[0, :, 0], out[0, :, 1] = px, py
        alive = np.ones(px.size, bool)
        for k in range(1, steps + 1):
            u, v = direction(px, py)
            u2, v2 = direction(px + 0.5 * sign * h * u, py + 0.5 * sign * h * v)
            nx_, ny_ = px + sign * h * u2, py + sign * h * v2
            alive &= (nx_ >= 0) & (nx_ <= 1) & (ny_ >= 0) & (ny_ <= 1) & ((u2 != 0) | (v2 != 0))
            px, py = np.where(alive, nx_, px), np.where(alive, ny_, py)
            out[k, :, 0], out[k, :, 1] = px, py
        return out

    back, fwd = march(-1.0), march(1.0)
    lines = []
    for s in range(sx.size):
        pts = np.concatenate([back[::-1, s], fwd[1:, s]])
        keep = np.concatenate([[True], np.any(np.diff(pts, axis=0) != 0, axis=1)])
        pts = pts[keep]
        if len(pts) < 3:
            continue
        lines.append(pts)
        d = pts[-1] - pts[-2]
        d = d / (np.hypot(*d) + 1e-300)
        size = 0.25 * length
        tip = pts[-1]
        left = tip + size * (-0.8 * d + 0.45 * np.array([-d[1], d[0]]))
        right = tip + size * (-0.8 * d - 0.45 * np.array([-d[1], d[0]]))
        lines.append(np.stack([left, tip, right]))
    x, y = nan_join(lines)
    return lo[0] + x * span[0], lo[1] + y * span[1]


def _slider(name: str, label: str, value: float, lo: float, hi: float, tooltip: str = "") -> Any:
    import ipywidgets as W

    from ._controls import _nice_step, on_grid

    lo, hi = min(lo, value), max(hi, value)
    if not lo < hi:
        lo, hi = value - 1.0, value + 1.0
    lo, hi, step = on_grid(lo, hi, value, _nice_step(hi - lo))
    return W.FloatSlider(value=value, min=lo, max=hi, step=step, description=label, readout_format=".4g",
                         continuous_update=True, style={"description_width": "110px"},
                         layout=W.Layout(width="380px"), tooltip=tooltip)


def plain_bounds(value: float) -> tuple[float, float]:
    """Default slider bounds for an undeclared parameter: ``(0, 3v)`` for ``v > 0``, ``(3v, 0)`` for ``v < 0``,
    ``(-1, 1)`` for 0 (a sign-definite default stays sign-definite: time constants stay positive)."""
    if value > 0:
        return 0.0, 3.0 * value
    if value < 0:
        return 3.0 * value, 0.0
    return -1.0, 1.0


def plain_slider(name: str, value: float, bounds: tuple[float, float] | None = None) -> Any:
    """A slider for a parameter without a declaration (a plain function's keyword argument)."""
    lo, hi = plain_bounds(value) if bounds is None else _pair(name, bounds)
    return _slider(name, name, float(value), lo, hi, f"parameter {name} (default {value:g})")


def held_slider(name: str, value: float, unit: str | None = None,
                bounds: tuple[float, float] | None = None) -> Any:
    """A slider for a variable held fixed in a 2D slice: ``[0, 1]`` for a model's dimensionless variable with a
    value in it (a gating variable), else ``value ± 2 max(|value|, 1)`` (``unit=None``: undeclared)."""
    if bounds is not None:
        lo, hi = _pair(name, bounds)
    elif 0.0 <= value <= 1.0 and unit == "":
        lo, hi = 0.0, 1.0
    else:
        s = 2.0 * max(abs(value), 1.0)
        lo, hi = value - s, value + s
    label = f"{name} ({unit}) held" if unit else f"{name} held"
    return _slider(name, label, float(value), lo, hi, f"variable {name}, held fixed in this slice")


def _pair(name: str, bounds: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"PhasePlanePanel: bounds[{name!r}] must be a pair (lo, hi) of numbers, got "
                         f"{bounds!r}.") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"PhasePlanePanel: bounds[{name!r}] = {bounds!r} must be finite with lo < hi.")
    return lo, hi


def system_code(source: Any, system: Any) -> tuple[list[str], str, dict[str, float]]:
    """``(lines defining it, the expression to pass to PhasePlane, parameter defaults of that expression)`` for
    the object a panel was built from: a library model, a plain function (its source) or a System."""
    if _is_model(source):
        cls = type(source)
        from ._explorer import _class_ref

        ref = _class_ref(cls) if hasattr(cls, "PARAMETERS") else None
        if ref is None:
            return ([f"# {cls.__name__} is a model class of your own: define or import it first",
                     f"model = {cls.__name__}(1)"], "model", _class_defaults(cls))
        return [f"model = {ref}(1)"], "model", _class_defaults(cls)
    if callable(source) and not hasattr(source, "variable_names") and inspect.isfunction(source):
        try:
            src = textwrap.dedent(inspect.getsource(source))
        except (OSError, TypeError):
            src = None
        name = source.__name__
        if src is not None and name != "<lambda>" and src.lstrip().startswith(("def ", "@")):
            return src.rstrip("\n").splitlines(), name, dict(zip(system.param_names, system.default_params.tolist()))
        return ([f"# define {name}(...) as in your notebook first"], name,
                dict(zip(system.param_names, system.default_params.tolist())))
    return ([f"# {system.name} is a bl.analysis.System built in your notebook: build it (as `system`) first"],
            "system", dict(zip(system.param_names, system.default_params.tolist())))


def _class_defaults(cls: type) -> dict[str, float]:
    return {p.name: float(p.default) for p in getattr(cls, "PARAMETERS", ())}


def _is_model(obj: Any) -> bool:
    return all(hasattr(obj, a) for a in ("vector_field", "variable_names", "param_values", "initial_state"))


def declared(source: Any) -> Mapping[str, Any]:
    """``{name: Parameter}`` of a declared model (empty for functions and Systems)."""
    return dict(getattr(type(source), "_param_index", {}) or {}) if _is_model(source) else {}


def declared_units(source: Any) -> dict[str, str]:
    """``{variable: unit}`` of a declared model's variables (empty otherwise)."""
    if not _is_model(source):
        return {}
    return {v.name: v.unit for v in getattr(type(source), "VARIABLES", ())}
