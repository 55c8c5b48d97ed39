"""Plan, validate, execute (papermill), render, index and publish a run of the collection.

A run builds in `reports/<run-id>.partial/`; only when every notebook finished (or was reused, or
reported that its maker lacks the data) is the folder renamed to `reports/<run-id>/` and
`reports/latest` repointed (atomically). A failed run keeps its folder with status "failed",
says which notebook and cell failed, exits non-zero and leaves `latest` alone; a run killed by a
signal or unable to write its files publishes nothing. A lock keeps two runs from writing at once.

The modules, in the order a run uses them: `model` (options, jobs, plan, exit codes), `planning`
(checks before any kernel starts), `locking` (the lock and the reports folder), `reuse` (what can
be copied from the last good run), `notebook` (executing one notebook and its report context),
`publishing` (manifest, results, index, history, `latest`) and `running` (the run itself).
"""

from lib.pipeline.locking import LOCK_NAME, check_reports_dir, run_lock
from lib.pipeline.model import (
    EXIT_BAD_INPUT,
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_LOCKED,
    EXIT_OK,
    BadInput,
    ClusterOptions,
    Interrupted,
    Job,
    Plan,
    RunOptions,
)
from lib.pipeline.notebook import execute_notebook, focus_maker, freshness_note, shown_path
from lib.pipeline.planning import git_commit, load_scenario, new_run_id, plan, run_label
from lib.pipeline.publishing import past_runs, publish
from lib.pipeline.reuse import library_hash
from lib.pipeline.running import all_scenarios, execute, run
from lib.pipeline.universe import run_universe

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CODES",
    "EXIT_FAILED",
    "EXIT_LOCKED",
    "EXIT_OK",
    "LOCK_NAME",
    "BadInput",
    "ClusterOptions",
    "Interrupted",
    "Job",
    "Plan",
    "RunOptions",
    "all_scenarios",
    "check_reports_dir",
    "execute",
    "execute_notebook",
    "focus_maker",
    "freshness_note",
    "git_commit",
    "library_hash",
    "load_scenario",
    "new_run_id",
    "past_runs",
    "plan",
    "publish",
    "run",
    "run_label",
    "run_lock",
    "run_universe",
    "shown_path",
]
