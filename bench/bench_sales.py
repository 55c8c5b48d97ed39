"""Notebook 01 speed: the whole notebook with 10,000 paths (papermill, as the runner executes it),
then its model work outside Jupyter by phase (backtest, projection, comparison table) and split
into model fitting and path simulation."""

from __future__ import annotations

import cProfile
import pstats
import tempfile
import time
from pathlib import Path

import papermill

from lib import kernels, paths, sales

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
                kernel_manager_class=kernels.KERNEL_MANAGER,  # as the runner: no TCP port
            )
        )


FIT_FUNCTIONS = ("_fit_sarimax", "fit_logistic", "pooled_seasonal_profile")
SIMULATION_FUNCTIONS = (
    "_simulate_state_space",
    "_smoothed_gap_draws",
    "_ar1_noise",
    "multivariate_normal",
    "mix_paths",
    "calibrate_paths",
    "annual_path_totals",
)


def _phase_seconds(stats: pstats.Stats, names: tuple[str, ...], path_part: str) -> float:
    """Cumulative time of the outermost calls to the named functions (files matching path_part)."""
    total = 0.0
    for (filename, _, function), (_, _, _, cumulative, callers) in stats.stats.items():
        outer = not any(caller[2] in names for caller in callers)
        if function in names and path_part in filename and outer:
            total += cumulative
    return total


def _parts(n_paths: int) -> dict:
    """The notebook's work outside Jupyter, by phase, and inside it fitting vs simulation
    (profiled: time in the model-fitting functions vs the path-simulation functions)."""
    params = sales.Params(target_units=1_000_000, target_year=2026, n_paths=n_paths, seed=2026)
    inputs = sales.load(params)
    deliveries, holidays, settings = inputs.deliveries, inputs.holidays, inputs.settings
    profiler = cProfile.Profile()
    timings = {}
    started = time.perf_counter()
    profiler.enable()
    now = sales.snapshot(deliveries, settings.cutoff, holidays)
    backtest = sales.run_backtest(deliveries, settings.cutoff, holidays, 2000, 2026)
    timings["backtest_s"] = time.perf_counter() - started
    projection = sales.project(now, "leapmotor", 1e6, 2026, holidays, backtest, n_paths, 2026)
    timings["projection_s"] = time.perf_counter() - started - timings["backtest_s"]
    sales.comparison_table(
        now,
        2026,
        holidays,
        backtest,
        2000,
        2026,
        known={"leapmotor": projection},
        names={key: maker.display_name for key, maker in inputs.registry.items()},
    )
    profiler.disable()
    total = time.perf_counter() - started
    timings["comparison_s"] = total - timings["backtest_s"] - timings["projection_s"]
    stats = pstats.Stats(profiler)
    fitting = _phase_seconds(stats, FIT_FUNCTIONS, "lib/sales/") + _phase_seconds(
        stats, ("fit",), "exponential_smoothing"
    )
    simulation = _phase_seconds(stats, SIMULATION_FUNCTIONS, "lib/sales/") + _phase_seconds(
        stats, ("simulate",), "exponential_smoothing"
    )
    figures = {f"models_{name}": round(value, 3) for name, value in timings.items()}
    figures["models_total_s"] = round(total, 3)
    figures["models_fitting_s"] = round(fitting, 3)
    figures["models_simulation_s"] = round(simulation, 3)
    figures["models_other_s"] = round(total - fitting - simulation, 3)
    figures["backtest_maker_years"] = int(
        backtest.rows[["maker", "target_year"]].drop_duplicates().shape[0]
    )
    return figures


def run() -> dict:
    figures = {"n_paths": 10_000}
    runs = [_notebook_seconds({"n_paths": 10_000}) for _ in range(2)]
    figures["notebook_s_first"] = round(runs[0], 2)
    figures["notebook_s_best"] = round(min(runs), 2)
    figures["notebook_goal_s"] = GOAL_SECONDS
    figures["notebook_within_goal"] = bool(min(runs) < GOAL_SECONDS)
    figures.update(_parts(10_000))
    return figures
