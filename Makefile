# One entry point for people and schedulers. Every target sets up .venv from the project's own files.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup reports test lint lab bench screenshots pdf clean-venv

setup: $(STAMP)

# Rebuilt when requirements.txt or pyproject.toml change (a stale venv is replaced, not patched).
$(STAMP): requirements.txt pyproject.toml
	@if [ -d $(VENV) ] && [ -f $(STAMP) ]; then echo "requirements changed: rebuilding $(VENV)"; rm -rf $(VENV); fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ev-research)" >/dev/null
	@# Kernels fit many small models: one BLAS thread each beats threads fighting over 2 cores.
	$(PY) -c "import json, sys; p = sys.prefix + '/share/jupyter/kernels/python3/kernel.json'; k = json.load(open(p)); k['env'] = {'OPENBLAS_NUM_THREADS': '1', 'OMP_NUM_THREADS': '1'}; json.dump(k, open(p, 'w'), indent=1)"
	@touch $(STAMP)

reports: $(STAMP)
	$(PY) -m lib run $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check lib tests bench

test: lint
	$(VENV)/bin/pytest -n 2 --dist loadscope $(PYTEST_ARGS)

# JupyterLab on this machine only; it prints the URL with its token. In a container (as root)
# it needs --allow-root; ARGS="--ip=0.0.0.0 --no-browser" serves it to the host.
lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root) $(ARGS)

# Browser and page checks of the last published run, keeping a screenshot of every page in it.
screenshots: $(STAMP)
	EVR_TEST_RUN=reports/latest EVR_SCREENSHOTS=1 $(VENV)/bin/pytest tests/test_browser.py tests/test_reports.py
	@echo "screenshots in reports/latest/screenshots/"

# The index and every report of the last run printed to PDF (reports/latest/pdf/), for distribution.
pdf: $(STAMP)
	$(PY) -m lib pdf $(ARGS)

bench: $(STAMP)
	$(PY) -m bench $(ARGS)

# Notebook 01's rolling-origin comparison with statsforecast peers (their own venv: pandas < 3).
peers: $(STAMP)
	$(PY) -m bench.peers $(ARGS)

clean-venv:
	rm -rf $(VENV)
