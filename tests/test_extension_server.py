"""The brainlab server extension (brainlab._labextension) in a real Jupyter server: authentication, input
validation, and the data the gallery and the launcher receive; every gallery snippet and the new-notebook template
run."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import brainlab as bl
from brainlab._labextension import KINDS, catalog_payload, model_notebook, snippet


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def get(self, path: str, token: str | None = "default", method: str = "GET") -> tuple[int, bytes]:
        headers = {}
        if token == "default":
            token = self.token
        if token is not None:
            headers["Authorization"] = f"token {token}"
        req = urllib.request.Request(f"{self.url}/{path}", headers=headers, method=method,
                                     data=b"{}" if method == "POST" else None)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        pytest.skip(f"no {jupyter}: these tests need jupyter_server in this environment (`make setup`)")
    base = tmp_path_factory.mktemp("server")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_RUNTIME_DIR=str(base / "runtime"))
    cmd = [str(jupyter), "server", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={base}",
           # enabled here explicitly, so that the test does not depend on the installed config file
           "--ServerApp.jpserver_extensions={'brainlab._labextension': True}"]
    if os.getuid() == 0:
        cmd.append("--allow-root")
    log = base / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    srv = Server(f"http://127.0.0.1:{port}", token)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if srv.get("api/status")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter server did not start in 90 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        assert "brainlab: registered /brainlab/catalog" in log.read_text()
        yield srv
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if proc.poll() is not None:
                break
            os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass


def test_endpoints_refuse_requests_without_the_token(server):
    for path in ("brainlab/catalog", "brainlab/catalog?kind=neuron", "brainlab/model-notebook"):
        status, body = server.get(path, token=None)
        assert status == 403, (path, status)
        assert b"AdEx" not in body and b"cells" not in body
        assert server.get(path, token="wrong-" + server.token)[0] == 403


def test_catalog_lists_every_catalog_entry_with_a_snippet(server):
    status, body = server.get("brainlab/catalog")
    assert status == 200
    payload = json.loads(body)
    assert payload["version"] == 1 and payload["brainlab_version"] == bl.__version__
    entries = payload["entries"]
    listed = [(e["kind"], e["name"]) for e in entries]
    for e in bl.catalog():  # independent of the endpoint: the library's own list
        assert (e["kind"], e["name"]) in listed
    assert {("network", n) for n in ("coba", "cuba", "cobahh")} <= set(listed)
    assert {("input", n) for n in ("PoissonSpikes", "PoissonInput", "OUNoise", "SpikeTimes")} <= set(listed)
    by_name = {(e["kind"], e["name"]): e for e in entries}
    lif = by_name[("neuron", "LIF")]
    reference = next(e for e in bl.catalog("neuron") if e["name"] == "LIF")
    assert lif["parameters"] == reference["parameters"] and lif["equations"] == reference["equations"]
    assert lif["snippet"] == snippet(reference)
    assert by_name[("synapse", "STP")]["short_term_plasticity"] is True
    assert by_name[("synapse", "Expon")]["short_term_plasticity"] is False


def test_catalog_kind_filter_and_input_validation(server):
    status, body = server.get("brainlab/catalog?kind=neuron")
    assert status == 200
    assert [e["name"] for e in json.loads(body)["entries"]] == [e["name"] for e in bl.catalog("neuron")]
    # JupyterLab's cache buster (?<milliseconds>) is accepted
    assert server.get("brainlab/catalog?1712345678901")[0] == 200
    for query, words in [("kind=bogus", "kind must be one of"), ("kind=neuron&kind=synapse", "kind must be one of"),
                         ("other=1", "takes only the query argument 'kind'"),
                         ("kind=%3Cscript%3E", "kind must be one of")]:
        status, body = server.get(f"brainlab/catalog?{query}")
        assert status == 400, query
        assert words in json.loads(body)["message"], (query, body)
    assert server.get("brainlab/model-notebook?x=1")[0] == 400
    assert server.get("brainlab/catalog", method="POST")[0] == 405


def test_model_notebook_endpoint_returns_the_template(server):
    status, body = server.get("brainlab/model-notebook")
    assert status == 200
    nb = json.loads(body)
    assert nb == model_notebook()
    import nbformat

    nbformat.validate(nbformat.from_dict(nb))
    sources = [c["source"] for c in nb["cells"] if c["cell_type"] == "code"]
    assert sources[0].startswith("import brainlab as bl")
    assert sources[-1] == "bl.widgets.NeuronExplorer(bl.neurons.HH)"


def test_catalog_payload_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match=r"catalog_payload: kind must be one of neuron, synapse"):
        catalog_payload("neurons")
    assert [e["name"] for e in catalog_payload("output")["entries"]] == [e["name"] for e in bl.catalog("output")]
    assert set(KINDS) == {e["kind"] for e in catalog_payload()["entries"]}


@pytest.mark.slow
def test_every_gallery_snippet_runs():
    failures = []
    for entry in catalog_payload()["entries"]:
        namespace: dict = {}
        try:
            exec(compile(entry["snippet"], f"<snippet {entry['name']}>", "exec"), namespace)
        except Exception as exc:  # noqa: BLE001 - every failure is collected and reported
            failures.append(f"{entry['kind']} {entry['name']}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_model_notebook_runs_top_to_bottom():
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    nb = nbformat.from_dict(model_notebook())
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    peak = float(nb.cells[2].outputs[-1]["data"]["text/plain"])
    assert peak > 0.0  # a 10 uA/cm^2 step makes the HH neuron spike: the action potentials overshoot 0 mV
    assert "application/vnd.jupyter.widget-view+json" in nb.cells[3].outputs[-1]["data"]


def test_loading_the_server_extension_does_not_import_jax():
    # The Jupyter server imports brainlab._labextension at start-up; the engine (JAX) must wait for a kernel or
    # for the first gallery request, else every JupyterLab start pays for it.
    code = "import sys, brainlab._labextension; print(sorted(m for m in ('jax', 'numba', 'bokeh') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
