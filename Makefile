# The README's two commands: `make lab` and `make test`.  Both set up the same environment first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: lab test bench setup test-tools clean

setup: $(STAMP)

# Re-installs only when the package metadata changes; otherwise this is a no-op.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[lab,test]'
	@touch $(STAMP)

lab: setup
	cd notebooks && ../$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) 00_index.ipynb

# Programs the tests compare against (AUTO-07p, the reference continuation code, compiles equations with gfortran).
# Installed from Debian's packages when missing and this user can; otherwise those tests say why they skip.
TEST_TOOLS := auto-07p gfortran
test-tools:
	@missing=""; for t in $(TEST_TOOLS); do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing (Debian packages)"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing >/dev/null; }; \
	  else echo "note:$$missing not installed (needs root and apt-get); the tests that use them will skip"; fi; \
	fi

test: setup test-tools
	$(PY) -m pytest

bench: setup
	$(PY) benchmarks/engine.py

clean:
	rm -rf $(VENV) build dist *.egg-info
