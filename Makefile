# The README's two commands: `make lab` and `make test`.  Both set up the same environment first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: lab test bench setup clean

setup: $(STAMP)

# Re-installs only when the package metadata changes; otherwise this is a no-op.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[lab,test]'
	@touch $(STAMP)

lab: setup
	cd notebooks && ../$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) 00_index.ipynb

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) benchmarks/engine.py

clean:
	rm -rf $(VENV) build dist *.egg-info
