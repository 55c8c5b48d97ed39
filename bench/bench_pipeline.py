"""The runner against the plain baseline, and a re-run with nothing changed.

(a) cold full run of the collection (`python -m lib run --force`, parallel, in-process rendering)
    against running `papermill` then `jupyter nbconvert --to html` for each notebook in turn;
(b) a second run with nothing changed (every notebook reused).
Both use the real notebooks and data, with their default parameters, in temporary folders.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lib import cache, paths, scenarios

BIN = Path(sys.executable).parent


def _timed(command: list[str], **kwargs) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, **kwargs)
    return time.perf_counter() - started


def baseline(workdir: Path) -> float:
    """papermill then nbconvert, one notebook after another, as a user would script it."""
    environment = {
        **os.environ,
        paths.RUN_DIR_ENV: str(workdir),
        paths.REPORTS_DIR_ENV: str(workdir / "reports"),
        cache.CACHE_DIR_ENV: str(workdir / "baseline-cache"),  # cold, as the runner's first run
    }
    total = 0.0
    for spec in scenarios.discover():
        executed = workdir / f"{spec.name}.ipynb"
        total += _timed(
            [
                str(BIN / "papermill"),
                str(spec.path),
                str(executed),
                "--cwd",
                str(paths.NOTEBOOKS_DIR),
            ],
            env=environment,
        )
        total += _timed(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            env=environment,
        )
    return total


def run() -> dict:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        command = [
            sys.executable,
            "-m",
            "lib",
            "run",
            "--quiet",
            "--reports-dir",
            str(workdir / "reports"),
        ]
        cold = _timed(command + ["--force"])
        unchanged = _timed(command)
        plain = baseline(workdir)
    return {
        "cold_full_run_s": round(cold, 2),
        "baseline_papermill_nbconvert_s": round(plain, 2),
        "ratio_cold_to_baseline": round(cold / plain, 3),
        "goal_ratio": 0.35,
        "rerun_unchanged_s": round(unchanged, 2),
        "goal_rerun_s": 1.0,
        "jobs": os.cpu_count(),
    }
