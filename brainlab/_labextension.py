r"""The Jupyter server side of brainlab's JupyterLab extension: ``GET /brainlab/catalog`` (the model gallery's
data) and ``GET /brainlab/model-notebook`` (the launcher's new-notebook template).

The gallery in JupyterLab's left sidebar lists the models of :func:`brainlab.catalog` (neurons, synapses, outputs)
plus the input modules and the ready-made networks.  The list is computed here, in the server's Python, from the
installed brainlab, so it always matches the library the kernels import (no file generated at build time that
could fall behind).  Each entry gets a ``snippet``: a ready-to-run code cell that the gallery's Insert puts into
the active notebook.

The endpoint answers only authenticated requests (Jupyter's token or cookie; ``403`` otherwise) and takes one
optional query argument, ``kind``, one of :data:`KINDS`; any other argument, or another value, is refused with
``400`` and a message naming the argument (JupyterLab's cache buster, ``?<digits>`` with no value, is ignored).
``GET /brainlab/model-notebook`` takes no argument and returns :func:`model_notebook`.  The response is
``{"version": 1, "brainlab_version": str, "entries": [...]}``.

The server extension is enabled by the ``etc/jupyter/jupyter_server_config.d/brainlab.json`` file the wheel
installs (``{"ServerApp": {"jpserver_extensions": {"brainlab._labextension": true}}}``).

Example:
    >>> from brainlab._labextension import catalog_payload
    >>> payload = catalog_payload()
    >>> sorted({e["kind"] for e in payload["entries"]})
    ['input', 'network', 'neuron', 'output', 'synapse']
    >>> print(next(e for e in payload["entries"] if e["name"] == "LIF")["snippet"].splitlines()[0])
    import brainlab as bl
"""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
from typing import Any

__all__ = ["KINDS", "catalog_payload", "snippet", "model_notebook"]

KINDS = ("neuron", "synapse", "output", "input", "network")
PAYLOAD_VERSION = 1

_INPUTS = ("PoissonSpikes", "PoissonInput", "OUNoise", "SpikeTimes")
_NETWORKS = ("coba", "cuba", "cobahh", "decision_making")


# ------------------------------------------------------------------------------------------------------------
# snippets: one ready-to-run cell per entry
# ------------------------------------------------------------------------------------------------------------


def _first_variable(entry: dict[str, Any]) -> dict[str, Any] | None:
    variables = entry.get("variables") or []
    return variables[0] if variables else None


def _neuron_snippet(entry: dict[str, Any]) -> str:
    name = entry["name"]
    var = _first_variable(entry)
    lines = ["import brainlab as bl", "", f"model = bl.neurons.{name}(1)                  # one neuron, default parameters"]
    if var is None:
        lines.append("res = bl.Runner(model).run(100.0)              # 100 ms")
        return "\n".join(lines) + "\n"
    unit = f" ({var['unit']})" if var.get("unit") else ""
    lines += [
        f"res = bl.Runner(model, monitors={{'{var['name']}': '{name}.{var['name']}'}}).run(100.0)   # 100 ms",
        f"res.data['{var['name']}'][:, 0]                 # {var['name']}{unit}, one value per time step",
    ]
    return "\n".join(lines) + "\n"


def _projection_snippet(synapse: str, output: str, stp: str | None, monitor: str | None) -> str:
    stp_arg = f", stp=bl.synapses.{stp}()" if stp else ""
    lines = [
        "import brainlab as bl",
        "",
        "pre = bl.inputs.PoissonSpikes(100, 20.0, seed=0)   # 100 sources at 20 Hz",
        "post = bl.neurons.LIF(10)",
        "proj = bl.Projection(pre, post, bl.conn.FixedProb(0.1, seed=1),",
        f"                     bl.synapses.{synapse}(), bl.outputs.{output}(), weight=1.0{stp_arg})",
        "net = bl.Network(pre=pre, post=post, proj=proj)",
    ]
    monitors = "{'V': 'post.V'" + (f", '{monitor}': 'proj.syn.{monitor}'" if monitor else "") + "}"
    lines += [f"res = bl.Runner(net, monitors={monitors}).run(100.0)   # 100 ms",
              "res.data['V'].mean(axis=1)                        # mean membrane potential (mV) per step"]
    return "\n".join(lines) + "\n"


def _synapse_snippet(entry: dict[str, Any], is_stp: bool) -> str:
    if is_stp:
        return _projection_snippet("Expon", "COBA", entry["name"], None)
    var = _first_variable(entry)
    return _projection_snippet(entry["name"], "COBA", None, var["name"] if var else None)


def _output_snippet(entry: dict[str, Any]) -> str:
    return _projection_snippet("Expon", entry["name"], None, "g")


_INPUT_SNIPPETS = {
    "PoissonSpikes": (
        "import brainlab as bl\n\n"
        "src = bl.inputs.PoissonSpikes(100, 20.0, seed=0)   # 100 independent sources at 20 Hz\n"
        "res = bl.Runner(src, monitors={'spike': 'PoissonSpikes.spike'}).run(100.0)   # 100 ms\n"
        "res.data['spike'].sum() / (100 * 0.1)             # spikes per second per source (Hz)\n"
    ),
    "PoissonInput": (
        "import brainlab as bl\n\n"
        "E = bl.neurons.LIF(100)\n"
        "drive = bl.inputs.PoissonInput(E, n_inputs=1000, rate_hz=5.0, weight=0.2,\n"
        "                               synapse=bl.synapses.Expon(tau=5.0), output=bl.outputs.COBA(E=0.0))\n"
        "net = bl.Network(E=E, drive=drive)\n"
        "res = bl.Runner(net, monitors={'V': 'E.V'}).run(100.0)   # 100 ms\n"
        "res.data['V'].mean(axis=1)                           # mean membrane potential (mV) per step\n"
    ),
    "OUNoise": (
        "import brainlab as bl\n\n"
        "E = bl.neurons.LIF(100)\n"
        "noise = bl.inputs.OUNoise(E, mean=0.0, sigma=1.0, tau=10.0, seed=0)\n"
        "net = bl.Network(E=E, noise=noise)\n"
        "res = bl.Runner(net, monitors={'V': 'E.V'}).run(100.0)   # 100 ms\n"
        "res.data['V'].std(axis=1)                            # spread of the membrane potential (mV) per step\n"
    ),
    "SpikeTimes": (
        "import brainlab as bl\n\n"
        "src = bl.inputs.SpikeTimes(3, times=[10.0, 20.0, 30.0], indices=[0, 1, 2])   # one spike per source (ms)\n"
        "res = bl.Runner(src, monitors={'spike': 'SpikeTimes.spike'}).run(50.0)\n"
        "res.data['spike'].nonzero()                          # (step, source) of every spike\n"
    ),
}


def _network_snippet(name: str) -> str:
    if name == "decision_making":
        return (
            "import brainlab as bl\n\n"
            "net = bl.networks.decision_making(500, coherence=51.2, seed=0)   # Wang (2002), pools A, B, N and I\n"
            "print(net.summary())\n"
            "res = bl.Runner(net, monitors={'A': 'A.spike', 'B': 'B.spike'}).run(300.0)   # 300 ms\n"
            "res.data['A'].mean() * 1e4, res.data['B'].mean() * 1e4   # mean rates of the two choice pools (Hz)\n"
        )
    return (
        "import brainlab as bl\n\n"
        f"net = bl.networks.{name}(400, seed=0)          # 320 excitatory + 80 inhibitory neurons\n"
        "print(net.summary())\n"
        "res = bl.Runner(net, monitors={'spikes': 'E.spike'}).run(100.0)   # 100 ms\n"
        "res.data['spikes'].sum() / (320 * 0.1)           # mean rate of E (Hz)\n"
    )


def snippet(entry: dict[str, Any]) -> str:
    """A ready-to-run code cell for one gallery entry (a :func:`brainlab.catalog` entry or an input/network).

    Example:
        >>> import brainlab as bl
        >>> from brainlab._labextension import snippet
        >>> print(snippet(bl.catalog("neuron")[0]).splitlines()[2])
        model = bl.neurons.AdEx(1)                  # one neuron, default parameters
    """
    kind, name = entry.get("kind"), entry.get("name")
    if kind == "neuron":
        return _neuron_snippet(entry)
    if kind == "synapse":
        return _synapse_snippet(entry, bool(entry.get("short_term_plasticity")))
    if kind == "output":
        return _output_snippet(entry)
    if kind == "input" and name in _INPUT_SNIPPETS:
        return _INPUT_SNIPPETS[name]
    if kind == "network" and name in _NETWORKS:
        return _network_snippet(name)
    return f"import brainlab as bl\n\nhelp({entry.get('module', 'bl')}.{name})\n"


# ------------------------------------------------------------------------------------------------------------
# entries beyond bl.catalog(): inputs and networks
# ------------------------------------------------------------------------------------------------------------


def _doc_parts(obj: Any) -> tuple[str, str]:
    doc = inspect.getdoc(obj) or ""
    paras = doc.split("\n\n")
    summary = " ".join(paras[0].split()) if paras else ""
    reference = ""
    for line in doc.splitlines():
        if line.strip().startswith("Reference"):
            reference = line.split(":", 1)[-1].strip()
    return summary, reference


def _signature_parameters(obj: Any) -> list[dict[str, Any]]:
    out = []
    for p in inspect.signature(obj).parameters.values():
        if p.name in ("self", "name", "post") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = p.default if isinstance(p.default, (int, float)) and not isinstance(p.default, bool) else None
        out.append({"name": p.name, "default": default, "unit": "", "range": [None, None], "doc": ""})
    return out


def _extra_entries() -> list[dict[str, Any]]:
    import brainlab as bl

    entries = []
    for name in _INPUTS:
        cls = getattr(bl.inputs, name)
        summary, reference = _doc_parts(cls)
        entries.append({"name": name, "module": "brainlab.inputs", "kind": "input", "summary": summary,
                        "parameters": _signature_parameters(cls), "variables": [], "equations": "",
                        "reference": reference, "presets": {}})
    net_ref = _doc_parts(bl.networks)[1] or "Brette R et al. (2007) J Comput Neurosci 23:349-398"
    for name in _NETWORKS:
        fn = getattr(bl.networks, name)
        summary, _ = _doc_parts(fn)
        entries.append({"name": name, "module": "brainlab.networks", "kind": "network", "summary": summary,
                        "parameters": _signature_parameters(fn), "variables": [], "equations": "",
                        "reference": net_ref, "presets": {}})
    return entries


def catalog_payload(kind: str | None = None) -> dict[str, Any]:
    """The gallery's data: every catalog entry (plus inputs and networks), each with its ``snippet``.

    Args:
        kind: keep only this kind (one of :data:`KINDS`); ``None`` keeps all.

    Raises:
        ValueError: ``kind`` is not one of :data:`KINDS`.
    """
    import brainlab as bl

    from ._model import registered_models
    from .synapses import AbstractShortTermPlasticity

    if kind is not None and kind not in KINDS:
        raise ValueError(f"catalog_payload: kind must be one of {', '.join(KINDS)}; got {kind!r}.")
    stp_names = {cls.__name__ for cls in registered_models("synapse").values()
                 if issubclass(cls, AbstractShortTermPlasticity)}
    entries = []
    for entry in [*bl.catalog(), *_extra_entries()]:
        entry = dict(entry)
        if entry["kind"] == "synapse":
            entry["short_term_plasticity"] = entry["name"] in stp_names
        entry["snippet"] = snippet(entry)
        if kind is None or entry["kind"] == kind:
            entries.append(entry)
    return {"version": PAYLOAD_VERSION, "brainlab_version": bl.__version__, "entries": entries}


# ------------------------------------------------------------------------------------------------------------
# the "New model notebook" template
# ------------------------------------------------------------------------------------------------------------

_MODEL_NOTEBOOK_CELLS = (
    ("markdown",
     "# A new brainlab model\n\n"
     "Run the cells from top to bottom: the imports, a first model (a Hodgkin-Huxley neuron driven by a current "
     "step), then an explorer whose sliders change the model's parameters and rerun it.  The **Model gallery** in "
     "the left sidebar inserts other models."),
    ("code", "import brainlab as bl\n\nbl.plotting.setup_notebook()      # BokehJS for the figures, no internet needed"),
    ("code",
     "hh = bl.neurons.HH(1)\n"
     "I = bl.inputs.section([0.0, 10.0, 0.0], [20.0, 100.0, 30.0], dt=0.05)   # \u00b5A/cm\u00b2: off, on, off (ms)\n"
     "res = bl.Runner(hh, dt=0.05, monitors={'V': 'HH.V'}).run(150.0, inputs={hh: I})\n"
     "float(res.data['V'].max())         # peak membrane potential (mV): the spikes overshoot 0 mV"),
    ("code", "bl.widgets.NeuronExplorer(bl.neurons.HH)"),
)


def model_notebook() -> dict[str, Any]:
    """The nbformat-4 notebook that the launcher's "New model notebook" creates (imports, an HH neuron driven by a
    current step, a NeuronExplorer).

    Example:
        >>> from brainlab._labextension import model_notebook
        >>> nb = model_notebook()
        >>> nb["nbformat"], [c["cell_type"] for c in nb["cells"]]
        (4, ['markdown', 'code', 'code', 'code'])
    """
    cells = []
    for i, (kind, source) in enumerate(_MODEL_NOTEBOOK_CELLS):
        cell: dict[str, Any] = {"id": f"brainlab-{i}", "cell_type": kind, "metadata": {}, "source": source}
        if kind == "code":
            cell.update(outputs=[], execution_count=None)
        cells.append(cell)
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


# ------------------------------------------------------------------------------------------------------------
# the Jupyter server extension
# ------------------------------------------------------------------------------------------------------------

_cache: dict[str, Any] = {}
_lock = threading.Lock()


def _cached_payload() -> dict[str, Any]:
    with _lock:
        if "all" not in _cache:
            payload = catalog_payload()
            json.dumps(payload, allow_nan=False)  # strict JSON, checked once
            _cache["all"] = payload
        return _cache["all"]


def _query(args: dict[str, list[bytes]]) -> dict[str, list[bytes]]:
    """The query arguments less JupyterLab's cache buster (``?1712345678901``: digits, no value)."""
    return {k: v for k, v in args.items() if not (k.isdigit() and all(x == b"" for x in v))}


def _make_handlers() -> tuple[type, type]:
    import tornado.web
    from jupyter_server.auth.decorator import authorized
    from jupyter_server.base.handlers import APIHandler

    class CatalogHandler(APIHandler):
        """``GET /brainlab/catalog[?kind=neuron]``: the gallery's entries as JSON (authenticated only)."""

        auth_resource = "brainlab"

        @tornado.web.authenticated
        @authorized
        async def get(self) -> None:
            args = _query(self.request.query_arguments)
            unknown = sorted(k for k in args if k != "kind")
            if unknown:
                raise tornado.web.HTTPError(400, f"/brainlab/catalog takes only the query argument 'kind'; got "
                                                 f"{', '.join(map(repr, unknown))}.")
            kinds = [v.decode("utf-8", "replace") for v in args.get("kind", [])]
            if len(kinds) > 1 or (kinds and kinds[0] not in KINDS):
                raise tornado.web.HTTPError(400, f"/brainlab/catalog: kind must be one of {', '.join(KINDS)}; got "
                                                 f"{kinds!r}.")
            payload = await asyncio.get_running_loop().run_in_executor(None, _cached_payload)
            if kinds:
                payload = {**payload, "entries": [e for e in payload["entries"] if e["kind"] == kinds[0]]}
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.finish(json.dumps(payload, allow_nan=False))

    class NotebookTemplateHandler(APIHandler):
        """``GET /brainlab/model-notebook``: the new model notebook (nbformat 4 JSON; authenticated only)."""

        auth_resource = "brainlab"

        @tornado.web.authenticated
        @authorized
        def get(self) -> None:
            if _query(self.request.query_arguments):
                raise tornado.web.HTTPError(400, "/brainlab/model-notebook takes no query arguments.")
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.finish(json.dumps(model_notebook()))

    return CatalogHandler, NotebookTemplateHandler


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "brainlab._labextension"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Register ``/brainlab/catalog`` and ``/brainlab/model-notebook`` (called by the Jupyter server at start-up)."""
    from jupyter_server.utils import url_path_join

    web_app = server_app.web_app
    base = web_app.settings["base_url"]
    catalog, template = _make_handlers()
    web_app.add_handlers(".*$", [(url_path_join(base, "brainlab", "catalog"), catalog),
                                 (url_path_join(base, "brainlab", "model-notebook"), template)])
    server_app.log.info("brainlab: registered /brainlab/catalog and /brainlab/model-notebook")
