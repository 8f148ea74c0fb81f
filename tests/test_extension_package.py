"""Packaging: brainlab's wheel carries the prebuilt JupyterLab extension and the server extension's switch, and a
fresh virtual environment with that wheel (and no Node.js anywhere on PATH) reports both enabled and OK.

The fresh environment holds brainlab only from the wheel; the third-party packages (jax, jupyterlab ...) are made
importable from the project's environment by a ``.pth`` line, so the test needs no network and no compiler (the
project's editable brainlab is not visible there: ``.pth`` files inside that directory are not processed).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXT_NAME = "brainlab-jupyterlab"
ANSI = re.compile(r"\x1b\[[0-9;]*m")

pytestmark = pytest.mark.slow


def _run(cmd: list[str], env: dict | None = None, timeout: float = 600, cwd: Path | None = None) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=cwd)
    out = ANSI.sub("", proc.stdout + proc.stderr)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{out[-4000:]}"
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if not (REPO / "jupyter_extension" / "labextension" / "package.json").exists() and shutil.which("node") is None:
        pytest.skip("the extension is not built and Node.js is missing: run `make setup` on a machine with Node")
    out = tmp_path_factory.mktemp("wheel")
    # With the build backend installed here, build without network; otherwise pip fetches it (build isolation).
    have_backend = all(importlib.util.find_spec(m) for m in ("hatchling", "hatch_jupyter_builder", "jupyter_builder"))
    isolation = ["--no-build-isolation"] if have_backend else []
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", *isolation, "-w", str(out), str(REPO)],
         timeout=900)
    (whl,) = out.glob("brainlab-*.whl")
    return whl


def test_wheel_contains_the_prebuilt_extension_and_the_server_switch(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        data = next(n.split("/data/")[0] for n in names if "/data/" in n) + "/data/"
        ext = f"{data}share/jupyter/labextensions/{EXT_NAME}/"
        package = json.loads(z.read(ext + "package.json"))
        assert package["name"] == EXT_NAME
        # the federated entry point the package.json names is in the wheel
        assert ext + package["jupyterlab"]["_build"]["load"] in names
        assert ext + "static/style.js" in names
        install = json.loads(z.read(ext + "install.json"))
        assert (install["packageManager"], install["packageName"]) == ("python", "brainlab")
        switch = json.loads(z.read(f"{data}etc/jupyter/jupyter_server_config.d/brainlab.json"))
        assert switch == {"ServerApp": {"jpserver_extensions": {"brainlab._labextension": True}}}
        assert "brainlab/_labextension.py" in names and "brainlab/_mime.py" in names


def test_fresh_environment_without_node_reports_both_extensions_enabled(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])  # its own pip (ensurepip, offline)
    py = venv / "bin" / "python"
    target_site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip())
    # The fresh venv's own pip: it sees only the fresh site-packages (the project's pip would uninstall the
    # project's editable brainlab before installing elsewhere).  The .pth line comes after the install.
    _run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)])
    (target_site / "_third_party.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    bin_only = str(venv / "bin")
    assert shutil.which("node", path=bin_only) is None and shutil.which("npm", path=bin_only) is None
    env = {"PATH": bin_only, "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}
    home = tmp_path / "home"
    home.mkdir()  # the working directory too: the repository's brainlab/ must not be importable from '.'

    where = _run([str(py), "-c", "import brainlab, sys; print(brainlab.__file__); print(sys.prefix)"], env=env,
                 cwd=home)
    module_file, prefix = where.split()
    assert Path(module_file).is_relative_to(venv) and Path(prefix) == venv  # the wheel's brainlab, not the repo's

    labext = _run([str(py), "-m", "jupyterlab.labextensions", "list"], env=env, cwd=home)
    line = next((ln for ln in labext.splitlines() if EXT_NAME in ln), None)
    assert line is not None, labext
    assert re.search(rf"{EXT_NAME} v0\.1\.0 enabled\s+OK \(python, brainlab\)", line), line
    assert str(venv / "share" / "jupyter" / "labextensions") in labext

    server = _run([str(py), "-m", "jupyter_server.extension.serverextension", "list"], env=env, cwd=home)
    assert re.search(r"brainlab\._labextension\s+enabled", server), server
    assert re.search(r"brainlab\._labextension\s+OK", server), server
