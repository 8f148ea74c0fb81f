"""The result of :func:`solve_adaptive` and its stop reasons (failures are reported as values, not raised)."""

from __future__ import annotations

import dataclasses
import enum

import jax
import numpy as np

from ._tree import PyTree


class AdaptiveStatus(enum.IntEnum):
    """Why :func:`solve_adaptive` stopped (the ``status`` field of :class:`AdaptiveSolution`)."""

    SUCCESS = 0
    MAX_STEPS = 1
    STEP_TOO_SMALL = 2


_MESSAGES = {
    AdaptiveStatus.SUCCESS: "success: every requested output time was reached.",
    AdaptiveStatus.MAX_STEPS: (
        "max_steps was reached before the last output time; xs is NaN after t_last, the last time reached. "
        "Fix: raise max_steps, loosen rtol/atol, or shorten t_span."
    ),
    AdaptiveStatus.STEP_TOO_SMALL: (
        "the step size fell below the floating-point resolution of t at t_last: the system may be stiff or "
        "singular there, or f returns NaN/inf. Fix: check f at (x_last, t_last), loosen rtol/atol, or use "
        "float64 (with jax.enable_x64(True): ...)."
    ),
}


@dataclasses.dataclass(frozen=True)
class AdaptiveSolution:
    """The result of :func:`solve_adaptive` (a pytree, so it can be returned from ``jax.jit`` or ``jax.vmap``).

    Attributes:
        ts: the output times (ms), shape ``(n_out,)``.
        xs: the state at each output time, a pytree like ``x0`` whose leaves gain a leading axis ``n_out``;
            outputs not reached (see ``status``) are NaN.
        status: an :class:`AdaptiveStatus` code (0 on success).
        n_steps: steps attempted (accepted plus rejected).
        n_accepted, n_rejected: accepted and rejected steps.
        n_saved: how many output times were reached.
        t_last, x_last: the last time reached and the state there (``ts[-1]`` and ``xs[-1]`` on success).
    """

    ts: jax.Array
    xs: PyTree
    status: jax.Array
    n_steps: jax.Array
    n_accepted: jax.Array
    n_rejected: jax.Array
    n_saved: jax.Array
    t_last: jax.Array
    x_last: PyTree

    @property
    def success(self) -> jax.Array:
        """``True`` where every output time was reached."""
        return self.status == AdaptiveStatus.SUCCESS

    @property
    def message(self) -> str | tuple[str, ...]:
        """The stop reason in words (a tuple of them for a batched solution)."""
        codes = np.asarray(self.status)
        if codes.ndim == 0:
            return _MESSAGES[AdaptiveStatus(int(codes))]
        return tuple(_MESSAGES[AdaptiveStatus(int(c))] for c in codes.ravel())


jax.tree_util.register_dataclass(
    AdaptiveSolution,
    data_fields=[f.name for f in dataclasses.fields(AdaptiveSolution)],
    meta_fields=[],
)
