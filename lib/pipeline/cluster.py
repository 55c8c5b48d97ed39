"""Notebook executions as tasks of a Dask graph, on a local cluster or an existing scheduler.

A task executes one notebook with papermill on a worker, in a private folder, and sends back the
executed notebook and its outcome; the submitting machine alone writes files, renders reports,
holds the lock and repoints `latest`. A notebook that reads other notebooks' results (the summary)
is a task that depends on theirs, so each maker's order is kept while makers run side by side.
Workers must run the same checkout and data as the submitter: `check_workers` refuses any that
differ in project commit, library or data.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

from lib import data, paths
from lib.pipeline.model import BadInput
from lib.pipeline.notebook import execute_notebook
from lib.pipeline.planning import git_commit

log = logging.getLogger("lib.pipeline")

TASK_RETRIES = 1  # a task whose kernel died is tried once more (a lost worker: by the scheduler)


def identity(data_dir: str) -> dict[str, str]:
    """What a machine runs: project commit, a digest of lib/ and of the data files."""
    lib_files = sorted(
        p for p in (paths.PROJECT_ROOT / "lib").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )  # fmt: skip
    digest = hashlib.sha256()
    for path in lib_files:
        digest.update(
            str(path.relative_to(paths.PROJECT_ROOT)).encode() + b"\0" + path.read_bytes()
        )
    data_digest = hashlib.sha256(
        json.dumps(data.file_hashes(Path(data_dir)), sort_keys=True).encode()
    ).hexdigest()
    return {"commit": git_commit(), "lib": digest.hexdigest()[:16], "data": data_digest[:16]}


def check_workers(client, data_dir: Path, mine: dict[str, str] | None = None) -> int:
    """Refuse workers whose checkout or data differ from this machine's (`mine`, by default
    computed here); return their number."""
    mine = mine or identity(str(data_dir))
    theirs = client.run(identity, str(data_dir))
    if not theirs:
        raise BadInput(f"the Dask cluster at {client.scheduler.address} has no worker")
    wrong = [
        f"worker {address}: " + ", ".join(f"{k} {v} (here {mine[k]})" for k, v in seen.items() if v != mine[k])
        for address, seen in sorted(theirs.items())
        if seen != mine
    ]  # fmt: skip
    if wrong:
        raise BadInput(
            "the Dask workers do not run the same checkout and data as this machine "
            "(start them from the same commit, with the same data folder):\n  " + "\n  ".join(wrong)
        )
    return len(theirs)


def run_task(payload: dict, *needed: dict) -> dict:
    """On a worker: execute one notebook in a private folder (with the results of the notebooks it
    reads as results.json); return its outcome and the executed notebook's text."""
    with tempfile.TemporaryDirectory(prefix="evr-task-") as folder:
        if needed:
            context = payload["context"]
            content = {
                "run_id": context["run_id"], "scenario": context["scenario"],
                "data_as_of": context["data_as_of"],
                "notebooks": {o["name"]: {k: o.get(k) for k in ("title", "status", "note", "results")} for o in needed},
            }  # fmt: skip
            Path(folder, "results.json").write_text(json.dumps(content, default=str))
        environment = dict(payload["environment"], **{paths.RUN_DIR_ENV: folder})
        task = dict(payload, build_dir=folder, environment=environment, render=False)
        saved = dict(os.environ)
        try:
            outcome = execute_notebook(task)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        executed = Path(folder, f"{payload['name']}.ipynb")
        outcome["notebook"] = executed.read_text(encoding="utf-8") if executed.exists() else None
    outcome["title"] = payload.get("title")
    return outcome


def start_client(address: str | None, workers: int):
    """A client of the scheduler at `address`, or of a new local cluster of `workers` processes
    (one thread each: a notebook task is a kernel, not Python threads)."""
    # Dask's own INFO lines (workers starting, connections) drown the run's progress lines; set
    # before distributed is imported, so that its logging config and the workers inherit it.
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    from dask.distributed import Client, LocalCluster

    if address:
        try:
            return Client(address, timeout=20), None
        except OSError as error:
            raise BadInput(
                f"--cluster {address}: no Dask scheduler answers there ({error})"
            ) from None
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
        silence_logs=logging.ERROR,
    )  # fmt: skip
    return Client(cluster), cluster
