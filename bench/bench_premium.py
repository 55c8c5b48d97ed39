"""Notebook 02 (brand premium) end to end, as the runner executes it: papermill with the default
parameters, kernel start included. The goal is under 15 s on a 2-core machine.

Also timed: the model work alone (`premium.analyse`, every fit of the notebook) in a fresh process, with OpenBLAS
on one thread (as the notebook sets it) and on its default thread count, to show why the notebook
pins it. The 1-minute load average is reported because the machine may be shared while measuring.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

from lib import data, paths, premium

NOTEBOOK = paths.NOTEBOOKS_DIR / "02_brand_premium.ipynb"
REPEATS = 3
GOAL_S = 15.0


def notebook_seconds(output: Path) -> tuple[float, list[tuple[float, str]]]:
    """Wall time of one papermill run, and its three slowest cells (seconds, first line)."""
    started = time.perf_counter()
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(output),
        kernel_name="python3",
        cwd=str(paths.NOTEBOOKS_DIR),
        progress_bar=False,
    )
    wall = time.perf_counter() - started
    cells = nbformat.read(str(output), as_version=4).cells
    timed = [
        (round(c.metadata.get("papermill", {}).get("duration") or 0.0, 2), c.source.split("\n")[0])
        for c in cells
        if c.cell_type == "code"
    ]
    return wall, sorted(timed, reverse=True)[:3]


def model_seconds() -> float:
    """The notebook's model work in this process: the study's checks and every fit of
    `premium.analyse` (main fit, robustness, tiers, transaction refit, gaps)."""
    data.load_trims(), data.load_assumptions()  # read and validated before the clock starts
    started = time.perf_counter()
    premium.analyse(premium.load(premium.Params()))  # the notebook's defaults, from Params
    return time.perf_counter() - started


def model_seconds_in_fresh_process(blas_threads: str | None) -> float:
    """`model_seconds` in a new Python process, OPENBLAS_NUM_THREADS set to `blas_threads`
    (None: the library's default)."""
    environment = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if blas_threads is not None:
        environment["OPENBLAS_NUM_THREADS"] = blas_threads
    code = "from bench.bench_premium import model_seconds; print(model_seconds())"
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
        cwd=paths.PROJECT_ROOT,
    )
    return float(output.stdout.strip().splitlines()[-1])


def run() -> dict:
    walls, slowest = [], []
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(REPEATS):
            wall, cells = notebook_seconds(Path(folder) / f"run{repeat}.ipynb")
            walls.append(wall)
            slowest = cells
    median = statistics.median(walls)
    return {
        "notebook_wall_s": [round(w, 2) for w in walls],
        "notebook_median_s": round(median, 2),
        "goal_s": GOAL_S,
        "meets_goal": median < GOAL_S,
        "slowest_cells_last_run": [f"{s:.2f} s: {line}" for s, line in slowest],
        "model_work_one_blas_thread_s": round(model_seconds_in_fresh_process("1"), 2),
        "model_work_default_blas_threads_s": round(model_seconds_in_fresh_process(None), 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
