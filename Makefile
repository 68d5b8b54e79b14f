# Two commands for a new user: `make lab` and `make test`. Both create .venv when it is missing.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.nbdl-installed

.PHONY: setup lab test clean

setup: $(STAMP)

# Torch goes in first, pinned to the CPU wheel, so that nothing later pulls a CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

test: setup
	bash tools/ensure-chromium.sh
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
