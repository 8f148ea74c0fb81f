# The README's two commands: `make lab` and `make test`.  Both set up the same environment first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The JupyterLab extension (jupyter_extension/): node packages from the committed yarn.lock, built with jlpm (from
# the venv) when its sources change; the venv's labextensions folder then links to the build (what `jupyter
# labextension develop` does), so `make lab` and the browser tests use the current build.  The wheel ships the same
# build, prebuilt.  $(STAMP) is a prerequisite because `pip install -e` puts a copy back in the venv.
EXT        := jupyter_extension
EXT_SRC    := $(wildcard $(EXT)/src/*.ts $(EXT)/style/*.css $(EXT)/style/*.js) \
              $(EXT)/package.json $(EXT)/yarn.lock $(EXT)/tsconfig.json
EXT_STAMP  := $(EXT)/.build-stamp
JEST_STAMP := $(EXT)/.jest-stamp
LABEXT     := $(VENV)/share/jupyter/labextensions/brainlab-jupyterlab
JLPM        = cd $(EXT) && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" jlpm
# The browser tests drive Debian's Chromium (installed below); playwright's own browser download is never used.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: lab test bench setup test-tools clean

setup: $(STAMP) $(EXT_STAMP)

# Re-installs only when the package metadata changes; otherwise this is a no-op.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[lab,test]'
	@touch $(STAMP)

# The extension is rebuilt, and linked into the venv, when its sources or the venv change.
$(EXT_STAMP): $(EXT_SRC) $(STAMP)
	$(JLPM) install --immutable
	$(JLPM) build
	@mkdir -p $(dir $(LABEXT)) && rm -rf $(LABEXT) && ln -s $(CURDIR)/$(EXT)/labextension $(LABEXT)
	@touch $@

# Jest unit tests of the extension's TypeScript (schema parsing, layouts, escaping): rerun when they or it change.
$(JEST_STAMP): $(EXT_STAMP) $(wildcard $(EXT)/src/__tests__/*.ts) $(EXT)/jest.config.js $(EXT)/jest.setup.js
	$(JLPM) test
	@touch $@

lab: setup
	cd notebooks && ../$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) 00_index.ipynb

# Programs the tests compare against (AUTO-07p, the reference continuation code, compiles equations with gfortran)
# and the browser the notebook tests run JupyterLab in (tests/browser: Debian's chromium, driven by playwright).
# Installed from Debian's packages when missing and this user can; otherwise those tests say why they skip.
TEST_TOOLS := auto-07p gfortran chromium
test-tools:
	@missing=""; for t in $(TEST_TOOLS); do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing (Debian packages)"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing >/dev/null; }; \
	  else echo "note:$$missing not installed (needs root and apt-get); the tests that use them will skip"; fi; \
	fi

test: setup test-tools $(JEST_STAMP)
	$(PY) -m pytest

# The performance scripts, then the network benchmark (brainlab against Brian2 and BrainPy when `make peers` has
# made their environments; skipped with a note otherwise).  About half an hour on 2 cores.
BENCH_SCRIPTS := engine conn_build event_kernels analysis spike_stats widgets training training_reservoir
bench: setup
	@set -e; for s in $(BENCH_SCRIPTS); do echo "== benchmarks/$$s.py"; $(PY) benchmarks/$$s.py; done
	@echo "== benchmarks/coba.py"
	PEERS_DIR=$(PEERS_DIR) $(PY) benchmarks/coba.py

# The peer simulators, each in its own virtual environment outside brainlab's dependencies (never needed by
# `make test`): Brian2 2.9.0 (Python 3.11, numpy < 2.4, Cython) and BrainPy 2.9.0 (Python >= 3.12) for the network
# benchmark; snnTorch (CPU torch), spyx (JAX) and reservoirpy (Python 3.11) for the training benchmarks.
# PEERS_DIR=/somewhere reuses environments made elsewhere; PEERS_PY311 / PEERS_PY312 choose the interpreters
# (default: pyenv's newest 3.11.x / 3.12.x, else python3.11 / python3.12 on PATH).
PEERS_DIR  ?= benchmarks/.peers
_pyenv      = $(lastword $(sort $(wildcard $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions/$(1).*/bin/python$(1))))
PEERS_PY311 ?= $(or $(call _pyenv,3.11),$(shell command -v python3.11 2>/dev/null),python3.11)
PEERS_PY312 ?= $(or $(call _pyenv,3.12),$(shell command -v python3.12 2>/dev/null),python3.12)

.PHONY: peers
peers: $(foreach p,brian2 brainpy snntorch spyx reservoirpy,$(PEERS_DIR)/venv-$(p)/.installed)
	@echo "peers ready in $(PEERS_DIR)"

$(PEERS_DIR)/venv-brian2/.installed: benchmarks/peers/requirements-brian2.txt
	@test -x $(@D)/bin/python || { \
	  $(PEERS_PY311) -c 'import sys; assert sys.version_info[:2] >= (3, 10)' || { echo "make peers: Brian2 needs Python 3.11 (set PEERS_PY311)"; exit 1; }; \
	  echo "creating $(@D) with $(PEERS_PY311)"; $(PEERS_PY311) -m venv $(@D) && $(@D)/bin/python -m pip install --quiet --upgrade pip; }
	$(@D)/bin/python -m pip install --quiet -r $<
	@touch $@

$(PEERS_DIR)/venv-brainpy/.installed: benchmarks/peers/requirements-brainpy.txt
	@test -x $(@D)/bin/python || { \
	  $(PEERS_PY312) -c 'import sys; assert sys.version_info[:2] >= (3, 12)' || { echo "make peers: BrainPy 2.9 needs Python >= 3.12 (set PEERS_PY312)"; exit 1; }; \
	  echo "creating $(@D) with $(PEERS_PY312)"; $(PEERS_PY312) -m venv $(@D) && $(@D)/bin/python -m pip install --quiet --upgrade pip; }
	$(@D)/bin/python -m pip install --quiet -r $<
	@touch $@

# Peers that need only Python 3.11 and their requirements file (the two above have rules of their own).
$(PEERS_DIR)/venv-%/.installed: benchmarks/peers/requirements-%.txt
	@test -x $(@D)/bin/python || { echo "creating $(@D) with $(PEERS_PY311)"; \
	  $(PEERS_PY311) -m venv $(@D) && $(@D)/bin/python -m pip install --quiet --upgrade pip; }
	$(@D)/bin/python -m pip install --quiet -r $<
	@touch $@

clean:
	rm -rf $(VENV) build dist *.egg-info
	rm -rf $(EXT)/node_modules $(EXT)/lib $(EXT)/labextension $(EXT)/tsconfig.tsbuildinfo $(EXT_STAMP) $(JEST_STAMP)
