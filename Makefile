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

# `make lab PORT=9999` picks the port; LAB_ARGS passes anything else to JupyterLab, for example
# `make lab LAB_ARGS="--no-browser --ip=0.0.0.0"`. As root (a container) it adds --allow-root.
PORT     ?= 8888
LAB_ARGS ?=
ROOT_ARG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --port=$(PORT) $(ROOT_ARG) $(LAB_ARGS)

test: setup
	bash tools/ensure-chromium.sh
	bash tools/ensure-postgres.sh
	NBDL_REQUIRE_POSTGRES=1 $(PY) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache
