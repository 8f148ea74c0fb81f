r"""A bifurcation diagram linked to a phase plane: :func:`link` and :class:`DynamicsExplorer`.

The diagram's cursor and the phase plane's parameter slider stay equal.  A click or slider move on the
:class:`~brainlab.widgets.BifurcationPanel` sets the :class:`~brainlab.widgets.PhasePlanePanel`'s parameter
(``pp.set_params``), which redraws its plane (nullclines, fixed points); the linked plane also marks the
branch's equilibrium there and, where the parameter lies on a computed cycle branch, draws that limit cycle
(``pp.show_cycle``).  Moving the phase plane's slider moves the diagram's cursor.  Nothing is recomputed on the
diagram side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as W
import numpy as np

from ._bifurcation_panel import BifurcationPanel
from ._panel import AbstractPanel

__all__ = ["link", "Link", "DynamicsExplorer"]


class Link:
    """The tie made by :func:`link` between a bifurcation panel and a phase plane; ``unlink()`` ends it.

    Attributes: ``bifurcation``, ``phase_plane``, ``active`` (False after :meth:`unlink`), ``shown_cycle`` (the
    orbit last drawn on the plane, ``(k, n)`` over all variables, or ``None``).
    """

    def __init__(self, bif: BifurcationPanel, pp: Any):
        if not isinstance(bif, BifurcationPanel):
            raise TypeError(f"link: the first argument must be a bl.widgets.BifurcationPanel, got "
                            f"{type(bif).__name__}; call link(bif, pp).")
        missing = [a for a in ("params", "set_params", "on_params_change", "system") if not hasattr(pp, a)]
        if missing:
            raise TypeError(f"link: the second argument must be a bl.widgets.PhasePlanePanel (it has no "
                            f"{', '.join(missing)}), got {type(pp).__name__}; call link(bif, pp).")
        names = tuple(pp.system.param_names)
        for p in bif.params:
            if p not in names:
                raise ValueError(f"link: the diagram's parameter {p!r} is not a parameter of the phase plane's "
                                 f"system {pp.system.name} ({', '.join(names)}); link panels of the same system.")
        if tuple(pp.system.variable_names) != tuple(bif.system.variable_names):
            raise ValueError(f"link: the panels show different systems ({bif.system.name}: "
                             f"{bif.system.variable_names}; {pp.system.name}: {pp.system.variable_names}).")
        self.bifurcation, self.phase_plane = bif, pp
        self.active = True
        self.shown_cycle: np.ndarray | None = None
        self._busy = False
        # the callbacks are kept: each access to a method makes a new bound-method object, and the panels
        # remove a callback by comparing it with the one registered
        self._callbacks = (self._from_bifurcation, self._from_phase_plane)
        bif.on_value_change(self._callbacks[0])
        pp.on_params_change(self._callbacks[1])
        self._from_bifurcation(bif.value)

    def unlink(self) -> None:
        """Stop following each other: both panels drop the link's callbacks (the panels stay as they are)."""
        self.active = False
        self.bifurcation.remove_value_callback(self._callbacks[0])
        remove = getattr(self.phase_plane, "remove_params_callback", None)
        if remove is not None:
            remove(self._callbacks[1])

    def __repr__(self) -> str:
        state = "active" if self.active else "unlinked"
        return f"Link({self.bifurcation.title!r} <-> {self.phase_plane.title!r}: {state})"

    # -- the two directions ----------------------------------------------------------------------------------
    def _from_bifurcation(self, _value: Any) -> None:
        if not self.active or self._busy:
            return
        self._busy = True
        try:
            self.phase_plane.set_params(**self.bifurcation.params)
            self._show()
        finally:
            self._busy = False

    def _from_phase_plane(self, params: Mapping[str, float]) -> None:
        if not self.active or self._busy:
            return
        bif = self.bifurcation
        now = bif.params
        new = {k: float(params.get(k, now[k])) for k in now}
        if new == now:
            return
        self._busy = True
        try:
            if bif.param2 is None:
                bif.set_value(_clip(new[bif.param], bif.bounds))
            else:
                bif.set_value((_clip(new[bif.param], bif.bounds), _clip(new[bif.param2], bif.bounds2)))
            self._show()
        finally:
            self._busy = False

    def _show(self) -> None:
        """Mark the branch's equilibrium at the cursor on the plane, and draw the cycle there (if any)."""
        bif, pp = self.bifurcation, self.phase_plane
        names = tuple(getattr(pp, "names", bif.system.variable_names[:2]))
        idx = [bif.system.variable_names.index(n) for n in names]
        if hasattr(pp, "show_marker"):
            eq = bif.equilibria() if bif.param2 is None else []
            if eq:
                state, _ = next(((s, st) for s, st in eq if st), eq[0])
                pp.show_marker(state[names[0]], state[names[1]] if len(names) > 1 else None)
            else:
                pp.show_marker(None)
        if hasattr(pp, "show_cycle") and len(names) == 2:
            orbit = bif.cycle()
            self.shown_cycle = orbit
            pp.show_cycle(None if orbit is None else orbit[:, idx])


def link(bif: BifurcationPanel, pp: Any) -> Link:
    r"""Tie a :class:`~brainlab.widgets.BifurcationPanel` to a :class:`~brainlab.widgets.PhasePlanePanel` of the
    same system: the diagram's cursor sets the plane's parameter, and the plane's slider moves the cursor.

    On each change of the diagram's value the plane gets ``pp.set_params(**{param: value})`` (it redraws its
    nullclines and fixed points), a mark on the branch's equilibrium there (the stable one if several), and
    where the value lies on a computed branch of limit cycles, that cycle (``pp.show_cycle``; stable cycles
    first).  A change of the plane's parameter moves the cursor (clipped to the diagram's bounds).  The plane is
    set to the diagram's value at once.  Returns a :class:`Link`; ``link.unlink()`` ends it.

    Example:
        >>> import brainlab as bl
        >>> fhn = bl.neurons.FHN(1)
        >>> bif = bl.widgets.BifurcationPanel(fhn, param='I_ext', bounds=(0.0, 1.5), cycle_options={'max_steps': 30})
        >>> pp = bl.widgets.PhasePlanePanel(fhn, {'v': (-2.5, 2.5), 'w': (-1, 2.5)})
        >>> ln = bl.widgets.link(bif, pp)
        >>> bif.set_value(0.5); pp.params['I_ext']
        0.5
        >>> pp.set_params(I_ext=0.25); bif.value
        0.25
        >>> ln.unlink()
    """
    return Link(bif, pp)


def _clip(v: float, bounds: tuple[float, float]) -> float:
    return min(max(float(v), bounds[0]), bounds[1])


class DynamicsExplorer(AbstractPanel):
    r"""A bifurcation diagram and a phase plane of one system side by side, linked (:func:`link`).

    Click the diagram (or drag its slider) to choose the parameter: the phase plane shows the nullclines and
    fixed points there, the branch's equilibrium marked and, on a branch of limit cycles, the cycle.  Move the
    plane's slider and the diagram's cursor follows.  Click the plane to start trajectories.

    Args:
        system: a model instance or class, a function, or a :class:`~brainlab.analysis.System`.
        param: the parameter (e.g. ``'I_ext'``, µA/cm² for HH); bounds: its interval ``(lo, hi)``.
        variables: the phase plane's window ``{name: (low, high)}`` (one or two variables); the first is the
            diagram's variable unless ``variable=`` says otherwise.
        variable: the variable drawn in the diagram.
        value: the first parameter value (default: where the branch starts).
        bifurcation: more arguments of :class:`~brainlab.widgets.BifurcationPanel` (``start``, ``params``,
            ``cycle_options``, ``param2``/``bounds2`` ...).
        phase_plane: more arguments of :class:`~brainlab.widgets.PhasePlanePanel` (``fixed``, ``field``,
            ``resolution`` ...).

    Attributes: ``bifurcation``, ``phase_plane``, ``link``; ``controls``, ``figures`` and ``sources`` hold the
    two panels' own, named ``bifurcation.<name>`` and ``phase_plane.<name>``.

    Example:
        >>> import brainlab as bl
        >>> ex = bl.widgets.DynamicsExplorer(bl.neurons.FHN(1), param='I_ext', bounds=(0.0, 1.5),
        ...                                  variables={'v': (-2.5, 2.5), 'w': (-1, 2.5)},
        ...                                  bifurcation={'cycle_options': {'max_steps': 30}})
        >>> ex.bifurcation.set_value(0.75); ex.phase_plane.params['I_ext']
        0.75
    """

    def __init__(self, system: Any, *, param: str, bounds: tuple[float, float],
                 variables: Mapping[str, tuple[float, float]], variable: str | None = None, value: Any = None,
                 bifurcation: Mapping[str, Any] | None = None, phase_plane: Mapping[str, Any] | None = None):
        from ._phase_panel import PhasePlanePanel

        if not isinstance(variables, Mapping) or not variables:
            raise ValueError(f"DynamicsExplorer: variables must be the phase plane's window {{name: (low, high)}} "
                             f"for one or two variables, e.g. variables={{'V': (-80, 40), 'n': (0, 1)}}; got "
                             f"{variables!r}.")
        if isinstance(system, type):
            system = system(1)
        bif_kw = dict(bifurcation or {})
        pp_kw = dict(phase_plane or {})
        for key in ("param", "bounds", "variable", "value"):
            if key in bif_kw:
                raise ValueError(f"DynamicsExplorer: give {key}= directly, not inside bifurcation={{...}}.")
        self.bifurcation = BifurcationPanel(system, param=param, bounds=bounds, value=value,
                                            variable=variable or next(iter(variables)), **bif_kw)
        super().__init__(f"{self.bifurcation.system.name} dynamics explorer")
        params: Sequence[str] = list(self.bifurcation.params)
        extra = pp_kw.pop("params", None)
        if extra:
            params += [p for p in ([extra] if isinstance(extra, str) else extra) if p not in params]
        values = dict(pp_kw.pop("values", None) or {})
        values.update(bif_kw.get("params") or {})  # the diagram's fixed parameters hold on the plane too
        values.update(self.bifurcation.params)
        self.phase_plane = PhasePlanePanel(system, variables, params, values=values, **pp_kw)
        self.link = link(self.bifurcation, self.phase_plane)
        for prefix, panel in (("bifurcation", self.bifurcation), ("phase_plane", self.phase_plane)):
            self.controls.update({f"{prefix}.{k}": w for k, w in panel.controls.items()})
            self.figures.update({f"{prefix}.{k}": f for k, f in panel.figures.items()})
            self.sources.update({f"{prefix}.{k}": s for k, s in panel.sources.items()})
        self.set_status("click the diagram to set the parameter; click the plane to start a trajectory", "ok")

    def code(self) -> str:
        """The diagram's code, then the phase plane's at the same parameter value."""
        return (self.bifurcation.code() + "\n# the phase plane at the cursor\n" + self.phase_plane.code())

    def _build_layout(self) -> W.Widget:
        box = W.Box([self.bifurcation.widget, self.phase_plane.widget],
                    layout=W.Layout(display="flex", flex_flow="row wrap", align_items="flex-start"))
        parts = [box, self.status]
        if hasattr(self, "export_bar"):
            parts.append(self.export_bar("dynamics"))
        return W.VBox(parts)

    def _close_extra(self) -> None:
        self.link.unlink()
        self.bifurcation.close()
        self.phase_plane.close()
