"""Shared fixtures: run a notebook the way the runner does, and copies of the data.

Tests that pin a number, a month or a count read the frozen copy of the data in `tests/data/`
(FROZEN_DATA), so that a new month in `data/` leaves them green; tests on the live data check only
what holds for any valid data (tests/test_new_month.py proves that)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import papermill
import pytest

from lib import cache, data, kernels, paths, pipeline, results

TESTS_DIR = Path(__file__).resolve().parent
FIXTURE_NOTEBOOKS = TESTS_DIR / "notebooks"
FROZEN_DATA = TESTS_DIR / "data"  # data/ frozen at 2026-06: see tests/data/README.md


def execute(notebook: Path, output: Path, parameters: dict | None = None, cwd: Path | None = None):
    """Execute `notebook` with papermill into `output`; return (executed notebook, results by name)."""
    papermill.execute_notebook(
        str(notebook),
        str(output),
        parameters=parameters or {},
        kernel_name="python3",
        cwd=str(cwd or notebook.parent),
        progress_bar=False,
        kernel_manager_class=kernels.KERNEL_MANAGER,  # as the runner: no TCP port to collide on
    )
    executed = nbformat.read(str(output), as_version=4)
    return executed, {r["name"]: r for r in results.from_notebook(executed)}


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Each test's computations cached in a folder of its own (lib/cache.py): nothing written to
    the project's reports/.cache, reports folders made by tests hold only runs, no test served
    another's results."""
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path_factory.mktemp("cache", numbered=True)))


@pytest.fixture
def run_notebook(tmp_path, monkeypatch):
    """Run a project notebook on the frozen data with small parameters:
    run_notebook("01_sales_trajectory", n_paths=200). The kernel inherits EVR_DATA_DIR."""
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(FROZEN_DATA))

    def run(name: str, **parameters):
        source = paths.NOTEBOOKS_DIR / f"{name}.ipynb"
        return execute(source, tmp_path / f"{name}.ipynb", parameters, cwd=paths.NOTEBOOKS_DIR)

    return run


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A private copy of the frozen data, safe to break (its lines never move)."""
    target = tmp_path / "data"
    shutil.copytree(FROZEN_DATA, target)
    return target


SMOKE_SCENARIO = TESTS_DIR / "smoke.yaml"


@pytest.fixture(scope="session")
def collection_run(tmp_path_factory) -> Path:
    """The whole collection run once through the runner on the frozen data with small parameters
    (tests/smoke.yaml), so that its reports are reproducible.

    `EVR_TEST_RUN=reports/latest` makes the report and browser tests check an existing run instead
    (that is what `make screenshots` does)."""
    existing = os.environ.get("EVR_TEST_RUN")
    if existing:
        return Path(existing).resolve()
    reports = tmp_path_factory.mktemp("reports")
    options = pipeline.RunOptions(
        scenario=str(SMOKE_SCENARIO), data_dir=FROZEN_DATA, reports_dir=reports, jobs=2
    )
    assert pipeline.run(options) == pipeline.EXIT_OK, (reports / "latest").exists()
    return (reports / "latest").resolve()


# Shared by the sales tests: the frozen data's deliveries and holidays, and a synthetic series.


@pytest.fixture(scope="session")
def deliveries():
    return data.load_deliveries(FROZEN_DATA)


@pytest.fixture(scope="session")
def holidays():
    return data.load_holidays(FROZEN_DATA)


def monthly(start: str, values) -> pd.Series:
    """A monthly series with known values, starting at `start` (YYYY-MM)."""
    index = pd.period_range(start, periods=len(values), freq="M")
    return pd.Series(np.asarray(values, dtype=float), index=index, name="synthetic")
