"""Notebook 01 speed: the whole notebook with 10,000 paths (papermill, as the runner executes it),
and inside it the backtest, the model fitting and the path simulation timed separately."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import papermill

from lib import data, paths, sales

NOTEBOOK = paths.NOTEBOOKS_DIR / "01_sales_trajectory.ipynb"
GOAL_SECONDS = 20.0


def _seconds(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _notebook_seconds(parameters: dict) -> float:
    with tempfile.TemporaryDirectory() as folder:
        return _seconds(
            lambda: papermill.execute_notebook(
                str(NOTEBOOK),
                str(Path(folder) / NOTEBOOK.name),
                parameters=parameters,
                kernel_name="python3",
                cwd=str(paths.NOTEBOOKS_DIR),
                progress_bar=False,
            )
        )


def _parts(n_paths: int) -> dict:
    """Fitting vs simulation for the default maker: the same forecast with 1 path per model
    (almost only fitting) and with `n_paths`; the difference is the simulation."""
    deliveries, holidays = data.load_deliveries(), data.load_holidays()
    settings = sales.validate_parameters(
        deliveries, "leapmotor", 1_000_000, 2026, "", n_paths, 2026
    )
    now = sales.snapshot(deliveries, settings.cutoff, holidays)
    series = now.series["leapmotor"]

    def forecast(paths_per_model: int):
        with sales.single_threaded_blas():
            sales.forecast_maker(
                series, 2026, holidays, now.profile, paths_per_model, np.random.default_rng(0)
            )

    forecast(100)  # warm-up: imports and first-call costs
    fit_only = min(_seconds(lambda: forecast(1)) for _ in range(3))
    with_paths = min(_seconds(lambda: forecast(n_paths)) for _ in range(3))
    backtest = {}
    backtest_s = _seconds(
        lambda: backtest.setdefault(
            "result", sales.run_backtest(deliveries, settings.cutoff, holidays, 2000, 2026)
        )
    )
    return {
        "leapmotor_fit_s": round(fit_only, 3),
        "leapmotor_fit_and_simulate_s": round(with_paths, 3),
        "leapmotor_simulate_s": round(with_paths - fit_only, 3),
        "backtest_2000_paths_s": round(backtest_s, 3),
        "backtest_forecasts": int(backtest["result"].rows["maker"].nunique()),
    }


def run() -> dict:
    figures = {"n_paths": 10_000}
    runs = [_notebook_seconds({"n_paths": 10_000}) for _ in range(2)]
    figures["notebook_s_first"] = round(runs[0], 2)
    figures["notebook_s_best"] = round(min(runs), 2)
    figures["notebook_goal_s"] = GOAL_SECONDS
    figures["notebook_within_goal"] = bool(min(runs) < GOAL_SECONDS)
    figures.update(_parts(10_000))
    return figures
