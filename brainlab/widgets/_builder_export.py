r"""What the :class:`~brainlab.widgets.NetworkBuilder` exports: templates to start from, the code that rebuilds
and runs its network, and a notebook holding that code.

The code has two parts.  The first builds the network from its description with plain brainlab calls
(:func:`brainlab._network_code.network_code`).  The second runs it as the builder ran it: for the run's duration,
recording the chosen traces, and replaying at their times the parameter changes made with the live run's sliders
(``LiveRun.changes``, through :meth:`LiveRun.replay <brainlab.widgets.LiveRun.replay>`), so that the same seed
gives the same spikes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["TEMPLATES", "template", "template_code", "run_code", "builder_code", "write_notebook"]


def _poisson_ei(n: int, seed: int) -> Any:
    """A small E/I network driven by Poisson spike sources, with delays and short-term plasticity."""
    import brainlab as bl

    n_e = max(1, int(n * 0.8))
    n_i = max(1, n - n_e)
    E = bl.neurons.LIF(n_e, name="E", V_rest=-60.0, V_reset=-60.0, V_th=-50.0, tau=20.0, t_ref=5.0)
    I = bl.neurons.LIF(n_i, name="I", V_rest=-60.0, V_reset=-60.0, V_th=-50.0, tau=10.0, t_ref=2.0)  # noqa: E741
    src = bl.inputs.PoissonSpikes(200, rate_hz=20.0, seed=seed + 1, name="src")
    p = min(1.0, 50.0 / n)
    return bl.Network(
        E=E, I=I, src=src,
        srcE=bl.Projection(src, E, bl.conn.FixedProb(0.1, seed=seed + 2), bl.synapses.Expon(tau=5.0),
                           bl.outputs.COBA(E=0.0), weight=1.0, delay=1.0, name="srcE"),
        EE=bl.Projection(E, E, bl.conn.FixedProb(p, seed=seed + 3), bl.synapses.Expon(tau=5.0),
                         bl.outputs.COBA(E=0.0), weight=0.5, delay=1.5, stp=bl.synapses.STD(U=0.2, tau_d=200.0),
                         name="EE"),
        EI=bl.Projection(E, I, bl.conn.FixedProb(p, seed=seed + 4), bl.synapses.Expon(tau=5.0),
                         bl.outputs.COBA(E=0.0), weight=1.0, delay=0.5, name="EI"),
        IE=bl.Projection(I, E, bl.conn.FixedProb(p, seed=seed + 5), bl.synapses.Expon(tau=10.0),
                         bl.outputs.COBA(E=-80.0), weight=4.0, delay=0.5,
                         stp=bl.synapses.STP(U=0.1, tau_f=300.0, tau_d=100.0), name="IE"),
        noise=bl.inputs.OUNoise(I, mean=5.0, sigma=2.0, tau=5.0, seed=seed + 6, name="noise"),
    )


def _benchmark(name: str) -> Callable[[int, int], Any]:
    def make(n: int, seed: int) -> Any:
        import brainlab as bl

        return getattr(bl.networks, name)(n, seed=seed)

    return make


TEMPLATES: dict[str, Callable[[int, int], Any] | None] = {
    "empty": None,
    "COBA": _benchmark("coba"),
    "CUBA": _benchmark("cuba"),
    "COBAHH": _benchmark("cobahh"),
    "E/I with Poisson sources, delays, STP": _poisson_ei,
}


_BENCHMARKS = {"COBA": "coba", "CUBA": "cuba", "COBAHH": "cobahh"}


def template(name: str, n: int = 1000, seed: int = 0) -> dict[str, Any]:
    """The description of template ``name`` (see :data:`TEMPLATES`) with ``n`` neurons."""
    from ._builder_state import empty

    if name not in TEMPLATES:
        raise ValueError(f"NetworkBuilder: unknown template {name!r}; templates: {', '.join(map(repr, TEMPLATES))}.")
    make = TEMPLATES[name]
    return empty() if make is None else make(n, seed).to_dict()


def template_code(name: str, n: int, seed: int) -> str | None:
    """The one call that builds template ``name`` (``bl.networks.coba(n, seed=seed)``), or ``None`` for a template
    that no library function builds."""
    fn = _BENCHMARKS.get(name)
    return None if fn is None else f"import brainlab as bl\n\nnet = bl.networks.{fn}({int(n)}, seed={int(seed)})\n"


def run_code(duration: float, changes: Sequence[tuple[float, str, float]] = (),
             monitors: dict[str, tuple[str, list[int]]] | None = None, var: str = "net") -> str:
    """The lines that run ``var`` for ``duration`` ms, replaying ``changes`` (``[(t, path, value), ...]``)."""
    mon = "" if not monitors else f", monitors={monitors!r}"
    if not changes:
        return (f"runner = bl.Runner({var}{mon}, progress=False)\n"
                f"res = runner.run({float(duration)!r})\n")
    rows = ",\n    ".join(f"({float(t)!r}, {p!r}, {float(v)!r})" for t, p, v in changes)
    return ("# the parameter changes of the live run, replayed at their times: (t in ms, State path, value)\n"
            f"changes = [\n    {rows},\n]\n"
            f"res = bl.widgets.LiveRun.replay({var}, changes, duration={float(duration)!r}{mon})\n")


def builder_code(desc: dict[str, Any], duration: float, changes: Sequence[tuple[float, str, float]] = (),
                 monitors: dict[str, tuple[str, list[int]]] | None = None, build: str | None = None) -> str:
    """Python that builds the network of ``desc`` as ``net`` and runs it as configured (the result is ``res``);
    ``build``: the code that builds it, when shorter than the description's (a template's one call)."""
    from .._network_code import network_code

    build = (build or network_code(desc)).rstrip("\n")
    return f"{build}\n\n{run_code(duration, changes, monitors)}"


_RASTER_CELL = """\
from bokeh.io import show
from brainlab.plotting.spikes import raster_figure

bl.plotting.setup_notebook()
print(f"{len(res.spikes)} spikes from {res.spikes.n_neurons} neurons in {res.duration:g} ms: "
      f"{res.spikes.rate(res.duration):.3g} Hz")
show(raster_figure(res.spikes.times, res.spikes.indices, res.spikes.n_neurons))
"""


def write_notebook(path: str | Path, code: str, title: str = "Network from the NetworkBuilder") -> Path:
    """Write a notebook with a title, ``code`` (build and run) and a raster of ``res``; returns its path.

    The file is nbformat 4.5 JSON written directly (a kernel need not have ``nbformat`` installed).
    """
    import json

    path = Path(path)
    if path.suffix != ".ipynb":
        raise ValueError(f"NetworkBuilder.export_notebook: the path must end in .ipynb, got {str(path)!r}.")

    def lines(text: str) -> list[str]:
        parts = text.split("\n")
        return [p + "\n" for p in parts[:-1]] + [parts[-1]]

    def cell(kind: str, text: str, n: int) -> dict:
        out = {"cell_type": kind, "id": f"builder-{n}", "metadata": {}, "source": lines(text)}
        return out | ({"execution_count": None, "outputs": []} if kind == "code" else {})

    nb = {"cells": [cell("markdown", f"# {title}\n\nBuilt with `bl.widgets.NetworkBuilder`: the first cell builds the "
                                     "network and runs it, the second draws its spikes.", 0),
                    cell("code", code.rstrip("\n"), 1), cell("code", _RASTER_CELL.rstrip("\n"), 2)],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                       "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
