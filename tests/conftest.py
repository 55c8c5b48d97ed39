"""Shared fixtures: run a notebook the way the runner does, and copies of the data.

Tests that pin a number, a month or a count read the frozen copy of the data in `tests/data/`
(FROZEN_DATA), so that a new month in `data/` leaves them green; tests on the live data check only
what holds for any valid data (tests/test_new_month.py proves that)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import openpyxl
import pandas as pd
import pytest

from lib import cache, data, paths, pipeline, results, summary
from lib.pipeline import notebook as notebook_runner

TESTS_DIR = Path(__file__).resolve().parent
FIXTURE_NOTEBOOKS = TESTS_DIR / "notebooks"
FROZEN_DATA = TESTS_DIR / "data"  # data/ frozen at 2026-06: see tests/data/README.md


def execute(notebook: Path, output: Path, parameters: dict | None = None, cwd: Path | None = None):
    """Execute `notebook` with papermill into `output` as the runner does (its engine, its warm
    kernel reset to a fresh one's state, kept while the environment stays the same); return
    (executed notebook, results by name)."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    key = json.dumps(sorted(environment.items()))  # the kernel started with this environment
    notebook_runner.run_papermill(notebook, output, parameters or {}, key, {}, cwd=cwd)
    executed = nbformat.read(str(output), as_version=4)
    return executed, {r["name"]: r for r in results.from_notebook(executed)}


@pytest.fixture(scope="session", autouse=True)
def shared_cache(tmp_path_factory):
    """One cache for the whole session, shared by both xdist workers, as every run, kernel and
    Dask worker shares it (lib/cache.py: a key covers data, code and parameters, concurrent
    writers are safe, and tests/test_cache.py proves it never changes a number): the frozen
    data's backtests are computed once, not once per test. Nothing is written to the project's
    reports/.cache; the cache's own tests use folders of their own."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the session's root
    folder = root / "shared-cache"
    folder.mkdir(exist_ok=True)
    previous = os.environ.get(cache.CACHE_DIR_ENV)
    os.environ[cache.CACHE_DIR_ENV] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop(cache.CACHE_DIR_ENV, None)
    else:
        os.environ[cache.CACHE_DIR_ENV] = previous


@pytest.fixture(autouse=True)
def no_recorded_results():
    """Results recorded in this process (lib.results keeps them per process, as a kernel does)
    start empty for every test and are dropped after it."""
    results.clear()
    yield
    results.clear()


# `make test` runs on both cores (pytest-xdist): one scope per test file, so that a module's
# fixtures (a notebook run read by many tests) are built once, and one scope for every file that
# reads the session's collection run, so that it is built once too.
SHARED_RUN_FILES = {
    path.name for path in TESTS_DIR.glob("test_*.py") if "collection_run" in path.read_text()
}


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0]
            return "collection_run" if Path(file).name in SHARED_RUN_FILES else file

    return ByFile(config, log)


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


# Shared helpers: the sample project, Chromium, faults, workbooks, runs and Dask clusters.


def result(name, value, unit, meaning="", low=None, high=None, role=None):
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "meaning": meaning,
        "low": low,
        "high": high,
        "role": role,
    }


NOTEBOOKS = {
    "01_sales_trajectory": [
        result("p_reach_target", 0.3, "probability", "chance", role="headline"),
        result("forecast_median_units", 900_000.0, "units", "median", 800_000.0, 1_100_000.0),
        result("target_units", 1_000_000.0, "units", "target"),
        result("target_year", 2026, "year", "year"),
        result("required_monthly_run_rate_units", 110_000.0, "units", "need"),
        result(
            "latest_run_rate_units", 100_000.0, "units", "average monthly deliveries in 2026-09"
        ),
    ],
    "02_brand_premium": [
        result("focus_premium_pct", -20.0, "pct", "premium", -25.0, -15.0, role="headline"),
        result("reference_brand", "BYD", "brand"),
        result("flagship_series", "D19", "series", "the maker's flagship series"),
        result("price_band", "250,000-300,000 yuan", "text", "band"),
        result("flagship_price_rmb", 290_000.0, "RMB", "price", 230_000.0, 350_000.0),
        result("p_flagship_in_band", 0.41, "probability", "band"),
        result("focus_premium_upper_tier_pct", -31.0, "pct", "upper", -42.0, -17.0),
    ],
    "03_price_war_margins": [
        result("gm_at_target_cut10_pct", 13.7, "pct", "gm", 10.0, 17.1, role="headline"),
        result("latest_gross_margin_pct", 15.0, "pct", "latest"),
        result("latest_period", "2025Q4", "quarter"),
        result("volume_increase_for_10pct_cut_pct", 200.0, "pct", "volume"),
    ],
    "04_globalization_payback": [
        result(
            "best_strategy",
            "spain",
            "strategy",
            "highest median NPV to the maker: assembling in Spain",
        ),
        result(
            "best_p_payback_horizon",
            0.57,
            "probability",
            "within the 10-year horizon",
            role="headline",
        ),
        result("spain_median_payback_years", 6.7, "years", "median"),
        result("spain_p_npv_negative", 0.43, "probability", "negative"),
        result("spain_top_driver", "unit_cost_change_pct", "input", "driver"),
    ],
}


DASK = str(Path(sys.executable).with_name("dask"))


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def make_project(root: Path, *, failing: bool = False) -> pipeline.RunOptions:
    """A sample project: two notebooks (one reads the other's results), a scenario, the frozen data."""
    notebooks = root / "notebooks"
    notebooks.mkdir(parents=True)
    shutil.copy(FIXTURE_NOTEBOOKS / "typed_parameters.ipynb", notebooks / "10_typed.ipynb")
    shutil.copy(FIXTURE_NOTEBOOKS / "reads_results.ipynb", notebooks / "20_reads.ipynb")
    if failing:
        shutil.copy(FIXTURE_NOTEBOOKS / "fails_in_cell_3.ipynb", notebooks / "15_fails.ipynb")
    params = root / "params"
    params.mkdir()
    (params / "small.yaml").write_text(
        "description: tiny\nnotebooks:\n  10_typed:\n    n_paths: 50\n    maker: nio\n"
    )
    if not (root / "data").exists():
        shutil.copytree(FROZEN_DATA, root / "data")
    return pipeline.RunOptions(
        scenario="small",
        notebooks_dir=notebooks,
        params_dir=params,
        data_dir=root / "data",
        reports_dir=root / "reports",
    )


def good_run(root: Path) -> pipeline.RunOptions:
    options = make_project(root)
    assert pipeline.run(options) == pipeline.EXIT_OK
    return options


def latest_target(options: pipeline.RunOptions) -> str:
    return os.readlink(options.reports_dir / "latest")


def errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname in ("ERROR", "WARNING")]


def tmpfs(path: Path, options: str) -> None:
    """Mount a small tmpfs (root only); skip the test where mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")


@pytest.fixture
def mounts():
    mounted: list[Path] = []
    yield mounted
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def cells(path):
    """Every cell of every sheet of a workbook, as openpyxl reads it."""
    for sheet in openpyxl.load_workbook(path):
        for row in sheet.iter_rows():
            yield from row


def no_formula(path) -> list:
    """The cells of `path` that are formulas (the project writes none)."""
    return [(c.parent.title, c.coordinate, c.value) for c in cells(path) if c.data_type == "f"]


# Notebook 01's target record as a run records it (the note's and the universe page's line).
SALES_RECORD = [
    result("target_record_maker_years", 9, "count"),
    result("target_record_reached_pct", 44.4, "pct"),
    result("target_record_calls", 46, "count"),
    result("target_record_call_maker_years", 5, "count"),
    result("target_record_brier", 0.055, "score"),
    result("target_record_brier_base_rate", 0.258, "score"),
    result("target_record_brier_run_rate", 0.063, "score"),
]


def write_run(reports, run_id, *, data="a", parameters=None, reused=(), p=0.3, as_of="2026-09"):
    """A finished run with its manifest (data hashes, parameters, commit) and results."""
    folder = reports / run_id
    folder.mkdir(parents=True)
    notebooks = {name: [dict(r) for r in rows] for name, rows in NOTEBOOKS.items()}
    notebooks["01_sales_trajectory"][0]["value"] = p
    status = {name: "reused" if name in reused else "ok" for name in notebooks}
    content = {
        "run_id": run_id,
        "scenario": "base",
        "maker": "leapmotor",
        "data_as_of": as_of,
        "notebooks": {n: {"status": status[n], "results": rows} for n, rows in notebooks.items()},
    }
    manifest = {
        "run_id": run_id,
        "status": "ok",
        "scenario": "base",
        "git_commit": "abc1234",
        "data_hashes": {"deliveries_monthly.csv": data, "vehicle_trims.csv": "t"},
        "notebooks": [
            {"name": n, "status": status[n], "parameters": (parameters or {}).get(n, {"seed": 1})}
            for n in notebooks
        ],
    }
    (folder / "results.json").write_text(json.dumps(content))
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return summary.RunResults(folder, content)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """`dask scheduler` and `dask worker` processes on 127.0.0.1, each in its own process group;
    with `tls` ({"ca": ..., "cert": ..., "key": ...}: PEM files) they speak only TLS."""

    def __init__(self, workers: int = 2, tls: dict[str, Path] | None = None):
        port = free_port()
        self.tls = tls
        self.address = f"{'tls' if tls else 'tcp'}://127.0.0.1:{port}"
        protocol = ["--protocol", "tls"] if tls else []
        self.scheduler = self._start(
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
                *protocol,
                *self._tls_options(),
            ]
        )
        self.workers: list[subprocess.Popen] = []
        for i in range(workers):
            self.add_worker(f"w{i}")
        self.wait_for(workers)

    def _tls_options(self) -> list[str]:
        if not self.tls:
            return []
        return [
            "--tls-ca-file",
            str(self.tls["ca"]),
            "--tls-cert",
            str(self.tls["cert"]),
            "--tls-key",
            str(self.tls["key"]),
        ]

    def add_worker(
        self, name: str, cwd: Path = paths.PROJECT_ROOT, env: dict | None = None
    ) -> subprocess.Popen:
        """A worker started in `cwd` (another checkout, with `env` pointing Python at it)."""
        worker = self._start(
            [
                "worker",
                self.address,
                "--nthreads",
                "1",
                "--no-dashboard",
                "--name",
                name,
                "--death-timeout",
                "60",
                *self._tls_options(),
            ],
            cwd,
            env,
        )
        self.workers.append(worker)
        return worker

    @staticmethod
    def _start(
        arguments: list[str], cwd: Path = paths.PROJECT_ROOT, env: dict | None = None
    ) -> subprocess.Popen:
        return subprocess.Popen(
            [DASK, *arguments],
            cwd=cwd,
            start_new_session=True,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def client(self, timeout: float = 5):
        from dask.distributed import Client
        from distributed.security import Security

        if not self.tls:
            return Client(self.address, timeout=timeout)
        security = Security(
            tls_ca_file=str(self.tls["ca"]),
            tls_client_cert=str(self.tls["cert"]),
            tls_client_key=str(self.tls["key"]),
            require_encryption=True,
        )
        return Client(self.address, timeout=timeout, security=security)

    def names(self) -> list[str]:
        """The names of the workers the scheduler knows now."""
        with self.client() as client:
            return sorted(str(w["name"]) for w in client.scheduler_info()["workers"].values())

    def wait_for(self, workers: int) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if len(self.names()) >= workers:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"the Dask cluster at {self.address} did not get {workers} workers")

    def kill(self, process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                self.kill(process)


# Notebook 02's inputs on the frozen data, and synthetic trims with a known truth (lib.premium).


def premium_inputs(maker: str = "leapmotor", data_dir=FROZEN_DATA, **overrides):
    """The inputs of notebook 02 on the frozen data, parameters at their defaults but these."""
    from lib.premium import Params, inputs

    return inputs.load(Params(maker=maker, **overrides), data_dir)


TRUE_BRANDS = {"Ref": 0.0, "Alpha": -0.25, "Beta": 0.30, "Gamma": 0.10, "Delta": -0.10}
TRUE_ELASTICITIES = {"battery_kwh": 0.45, "power_kw": 0.20, "length_mm": 1.20}
TRUE_LIDAR = 0.08


def synthetic_trims(
    seed: int = 7,
    series_per_brand: int = 16,
    trims_per_series: int = 6,
    brands: dict[str, float] | None = None,
    tier_effect: float = 0.0,
) -> pd.DataFrame:
    """A trim table with a known truth: log price = specs x elasticities + brand effect +
    series effect + noise. `tier_effect` is added to brand Alpha's trims whose specs alone
    would price above 250,000 yuan (to test the tier interaction)."""
    rng = np.random.default_rng(seed)
    bodies = {"suv": 0.05, "sedan": 0.0, "mpv": 0.15}
    drives = {"fwd": -0.05, "rwd": 0.0, "awd": 0.06}
    powertrains = {"bev": 0.0, "erev": 0.10}
    years = {2023: 0.0, 2024: -0.04, 2025: -0.08}
    rows = []
    for brand, effect in (brands or TRUE_BRANDS).items():
        for s in range(series_per_brand):
            battery = np.exp(rng.normal(np.log(65), 0.35))
            length = rng.normal(4750, 250)
            body = rng.choice(list(bodies))
            powertrain = rng.choice(list(powertrains), p=[0.8, 0.2])
            series_effect = rng.normal(0, 0.05)
            for k in range(trims_per_series):
                trim_battery = battery * np.exp(rng.normal(0, 0.12))
                power = np.exp(rng.normal(np.log(200), 0.4))
                drive = rng.choice(list(drives))
                lidar = int(rng.random() < 0.4)
                year = int(rng.choice(list(years)))
                spec = (
                    11.9
                    + TRUE_ELASTICITIES["battery_kwh"] * np.log(trim_battery / 65)
                    + TRUE_ELASTICITIES["power_kw"] * np.log(power / 200)
                    + TRUE_ELASTICITIES["length_mm"] * np.log(length / 4750)
                    + bodies[body]
                    + drives[drive]
                    + powertrains[powertrain]
                    + years[year]
                    + TRUE_LIDAR * lidar
                )
                extra = tier_effect if brand == "Alpha" and np.exp(spec) >= 250_000 else 0.0
                log_price = spec + effect + extra + series_effect + rng.normal(0, 0.08)
                rows.append(
                    {
                        "brand": brand,
                        "series": f"{brand[:2].upper()}{s}",
                        "trim_name": f"{brand} S{s} trim {k}",
                        "model_year": year,
                        "segment": f"{body} class",
                        "body": body,
                        "powertrain": powertrain,
                        "msrp_rmb": float(np.exp(log_price)),
                        "battery_kwh": float(trim_battery),
                        "power_kw": float(power),
                        "length_mm": float(length),
                        "drive": drive,
                        "lidar_count": float(lidar),
                    }
                )
    return pd.DataFrame(rows)


# Notebook 04's inputs on the frozen data (lib.payback), with few draws.
PAYBACK_DRAWS = {"n_sims": 1000, "seed": 11}


def payback_tables():
    """The model's inputs from the frozen test data, so that sourced defaults stay pinned."""
    from lib.payback import inputs

    return inputs.Tables.load(FROZEN_DATA)


def payback_inputs(tables=None, **changes):
    """Leapmotor (or `maker=`) on the frozen data, few draws; `changes` override parameters."""
    from lib.payback import Params, inputs

    return inputs.resolve(Params(**(PAYBACK_DRAWS | changes)), tables or payback_tables())


def with_ventures(tables, maker: str, rows: pd.DataFrame | None = None):
    """The tables with Leapmotor's venture rows (or `rows`) given to `maker` as well, to test
    how the model frames another maker's own ventures."""
    ventures = tables.ventures
    given = (ventures[ventures["maker"] == "leapmotor"] if rows is None else rows).copy()
    given["maker"] = maker
    given["venture"] = maker + "_" + given["venture"]
    return dataclasses.replace(tables, ventures=pd.concat([ventures, given], ignore_index=True))
