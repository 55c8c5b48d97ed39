"""The one place that knows where things live. Everything else asks here.

`EVR_DATA_DIR` and `EVR_REPORTS_DIR` point the collection at another copy of the data or another
reports folder; the runner sets them for the kernels it starts.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
PARAMS_DIR = PROJECT_ROOT / "params"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

DATA_DIR_ENV = "EVR_DATA_DIR"
REPORTS_DIR_ENV = "EVR_REPORTS_DIR"
RUN_DIR_ENV = "EVR_RUN_DIR"
# The peer comparison at every horizon (`python -m bench.peers` writes it; notebook 01 reads it).
PEER_SCORES = PROJECT_ROOT / "bench" / "peer_scores.json"


def data_dir() -> Path:
    """Folder holding the sourced CSV files (default: the project's `data/`)."""
    return Path(os.environ.get(DATA_DIR_ENV) or PROJECT_ROOT / "data").resolve()


def reports_dir() -> Path:
    """Folder holding one sub-folder per run and the `latest` link (default: `reports/`)."""
    return Path(os.environ.get(REPORTS_DIR_ENV) or PROJECT_ROOT / "reports").resolve()


def run_dir() -> Path | None:
    """Folder of the run in progress, set by the runner for the notebooks it executes."""
    value = os.environ.get(RUN_DIR_ENV)
    return Path(value) if value else None


def git_commit() -> str:
    """Short commit of the project, with '+changes' when the work tree differs from it."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return commit + ("+changes" if dirty else "")
