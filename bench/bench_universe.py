"""The coverage universe: every shipped maker, five notebooks each, default parameters.

(a) wall time of `python -m lib run --universe` on a local Dask cluster of 1 and of 2 workers,
    each with a cold cache (a reports folder of its own), and the scaling efficiency from 1 to 2
    (1.0 = linear: twice the workers, half the time);
(b) a second scenario on the same data right after the 2-worker run, in its reports folder: its
    cache is warm and the notebooks whose inputs did not change are reused (issue 24);
(c) the same scenario again with nothing changed: every notebook reused, no kernel started;
(d) where a notebook's time goes: the per-notebook overhead (a warm kernel's reset, papermill,
    rendering: the run of a notebook that does nothing, after the first in its kernel, which also
    starts the kernel and imports) against the model work (the rest of the notebooks' execution
    time, from the runs' manifests).
Goals (issue 24): cold on 2 workers under 90 s, the second scenario under 45 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from lib import makers, paths


def universe(reports: Path, workers: int, scenario: str = "base") -> tuple[float, dict]:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "lib",
            "run",
            "--universe",
            "--jobs",
            str(workers),
            "--reports-dir",
            str(reports),
            "--scenario",
            scenario,
            "--quiet",
        ],
        check=True,
        capture_output=True,
        cwd=paths.PROJECT_ROOT,
    )
    wall = time.perf_counter() - started
    return wall, json.loads((reports / "latest" / "manifest.json").read_text())


def notebook_seconds(run_dir: Path) -> list[float]:
    return [
        n["duration_s"]
        for maker in json.loads((run_dir / "manifest.json").read_text())["makers"]
        for n in json.loads((run_dir / maker / "manifest.json").read_text())["notebooks"]
    ]


def empty_notebook_seconds(folder: Path, repeats: int = 3) -> tuple[float, float]:
    """A notebook that only imports lib, run and rendered by the runner's own path: the first in
    a process (its kernel starts: what every notebook paid before warm kernels), and the best of
    the next `repeats` (the warm kernel reset, as a run's later notebooks find it)."""
    from lib import kernels
    from lib.pipeline import notebook

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Empty\n\nNothing."),
        nbformat.v4.new_code_cell("from lib import results"),
    ]
    source = folder / "empty.ipynb"
    nbformat.write(nb, source)
    times = []
    for _ in range(repeats + 1):
        payload = {
            "name": "empty",
            "path": str(source),
            "build_dir": str(folder),
            "overrides": {},
            "cell_timeout": 600,
            "environment": {},
            "context": {
                "run_id": "bench",
                "scenario": "base",
                "data_as_of": "",
                "parameters": [],
                "provenance": {},
            },
        }
        started = time.perf_counter()
        notebook.execute_notebook(payload)
        times.append(time.perf_counter() - started)
    kernels.warm_kernel.discard()
    return times[0], min(times[1:])


def run() -> dict:
    keys = sorted(makers.registry())
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        one, _ = universe(root / "one", 1)
        two, manifest = universe(root / "two", 2)
        executions = notebook_seconds((root / "two" / "latest").resolve())
        warm, _ = universe(root / "two", 2, scenario="bear")
        again, rerun = universe(root / "two", 2, scenario="bear")
        reused = [
            n["status"]
            for maker in rerun["makers"]
            for n in json.loads(
                ((root / "two" / "latest").resolve() / maker / "manifest.json").read_text()
            )["notebooks"]
        ]
        first, overhead = empty_notebook_seconds(root)
    model_work = sum(executions) - overhead * len(executions)
    return {
        "makers": len(keys),
        "notebooks": len(executions),
        "status": manifest["status"],
        "universe_1_worker_s": round(one, 1),
        "universe_2_workers_s": round(two, 1),
        "speedup_1_to_2": round(one / two, 2),
        "scaling_efficiency": round(one / two / 2, 2),
        "universe_second_scenario_warm_2_workers_s": round(warm, 1),
        "universe_rerun_unchanged_2_workers_s": round(again, 1),
        "universe_rerun_reused_notebooks": sum(s in ("reused", "no_data") for s in reused),
        "goal_cold_2_workers_under_90_s": two < 90,
        "goal_second_scenario_under_45_s": warm < 45,
        "per_notebook_overhead_s": round(overhead, 2),
        "first_notebook_of_a_kernel_s": round(first, 2),
        "overhead_share_of_notebook_time": round(overhead * len(executions) / sum(executions), 2),
        "model_work_s": round(model_work, 1),
    }
