"""Executing one notebook (in a worker process when --jobs > 1) and what its report shows around it."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import platform
import shutil
import time
from pathlib import Path

import nbformat

from lib import cache, data, kernels, paths, render, results, workbook
from lib.pipeline.model import Job, Plan, RunOptions, iso, os_reason

log = logging.getLogger("lib.pipeline")


def environment(
    data_dir: Path, reports_dir: Path, build_dir: Path, scenario: str, cached: dict[str, str]
) -> dict[str, str]:
    """Variables the kernels inherit: where the data, reports, this run and the cache live."""
    return {
        **cached,
        paths.DATA_DIR_ENV: str(data_dir),
        paths.REPORTS_DIR_ENV: str(reports_dir),
        paths.RUN_DIR_ENV: str(build_dir),
        "EVR_SCENARIO": scenario,
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
    }


def final_save_engine() -> str:
    """Papermill's engine with one change: the executed notebook is written when it ends (also
    when a cell times out), not at the start and end of every cell, 111 writes of up to 1.6 MB
    that took half of notebook 01's time."""
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    class FinalSave(NotebookExecutionManager):
        def save(self, **kwargs):
            if self.end_time is not None:  # set by notebook_complete, which saves last
                super().save(**kwargs)

    class FinalSaveEngine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, log_output=False, **kwargs):
            progress = {
                k: kwargs.pop(k) for k in ("progress_bar", "autosave_cell_every") if k in kwargs
            }
            manager = FinalSave(nb, output_path=output_path, log_output=log_output, **progress)
            manager.notebook_start()
            try:
                cls.execute_managed_notebook(manager, kernel_name, log_output=log_output, **kwargs)
            finally:
                manager.cleanup_pbar()
                manager.notebook_complete()
            return manager.nb

    papermill_engines.register(FINAL_SAVE_ENGINE, FinalSaveEngine)
    return FINAL_SAVE_ENGINE


FINAL_SAVE_ENGINE = "evr-final-save"


def run_papermill(
    source: Path,
    executed: Path,
    parameters: dict,
    key: str,
    environment: dict[str, str],
    timeout: int | None = None,
    cwd: Path | None = None,
) -> None:
    """Execute `source` into `executed` with papermill, on this process's warm kernel for `key`
    (reset with `environment`), written once at its end. A cell's error leaves the kernel for the
    next notebook; any other failure (a timeout, a dead kernel) discards it. Raises as papermill."""
    import papermill  # imported here: planning and reuse do not need it

    folder = str(cwd or source.parent)
    try:
        papermill.execute_notebook(
            str(source),
            str(executed),
            parameters=parameters,
            kernel_name="python3",
            cwd=folder,
            progress_bar=False,
            execution_timeout=timeout,
            engine_name=final_save_engine(),
            km=kernels.warm_kernel.get(key, environment, folder),
        )
    except papermill.PapermillExecutionError:
        raise
    except BaseException:  # timed out (still running), dead, unreachable: the next gets a new one
        kernels.warm_kernel.discard()
        raise


def cache_environment(options: RunOptions, reports_dir: Path) -> dict[str, str]:
    """The variables that give a run's processes its cache folder (--cache-dir, else
    $EVR_CACHE_DIR, else .cache in the reports folder), or none (--no-cache, $EVR_NO_CACHE)."""
    return cache.environment(
        options.cache_dir or cache.folder(reports_dir), options.use_cache and cache.enabled()
    )


def execute_notebook(payload: dict) -> dict:
    """Execute one notebook with papermill and render its report. Returns status and timings."""
    import papermill  # imported here: planning and reuse do not need it

    os.environ.update(payload["environment"])
    source, build_dir, name = Path(payload["path"]), Path(payload["build_dir"]), payload["name"]
    log.info("%s started", name)
    executed = build_dir / f"{name}.ipynb"
    started = time.perf_counter()
    outcome = {"name": name, "status": "ok", "error": None, "note": None}
    try:
        run_papermill(
            source,
            executed,
            payload["overrides"],
            kernel_key(payload),
            payload["environment"],
            payload["cell_timeout"],
        )
    except papermill.PapermillExecutionError as error:
        if error.ename == "MissingData":  # the maker lacks this analysis' data: a report says so
            outcome["note"] = error.evalue
        where = f"{name} failed in cell In [{error.exec_count}]"
        outcome["error"] = failure(
            where, error.ename, error.evalue, error.exec_count, error.cell_index
        )
    except TimeoutError:  # nbclient's CellTimeoutError: an OSError, but nothing to do with disks
        outcome["error"] = _timed_out(executed, name, payload["cell_timeout"])
    except OSError as error:  # e.g. the disk filled up while papermill saved the notebook
        outcome["error"] = failure(f"{name} could not be written", "OSError", os_reason(error))
    except Exception as error:  # kernel death, unreadable notebook: still a report
        outcome["error"] = failure(f"{name} failed", type(error).__name__, str(error))
    outcome["duration_s"] = round(time.perf_counter() - started, 2)
    try:
        outcome["results"] = results.from_notebook(executed) if executed.exists() else []
    except Exception as error:  # a truncated file (full disk) or a damaged notebook
        outcome["results"] = []
        outcome["error"] = outcome["error"] or failure(
            f"{name}: the executed notebook {executed} cannot be read",
            type(error).__name__,
            _disk_hint(executed, str(error)),
        )
        outcome["status"] = "failed"
        return outcome
    if outcome["note"] is not None:
        outcome["error"] = None
    outcome["status"] = (
        "failed" if outcome["error"] else "no_data" if outcome["note"] is not None else "ok"
    )
    if payload.get("render", True):  # a Dask task leaves rendering to the submitting machine
        render_report(payload, outcome, build_dir)
    return outcome


def kernel_key(payload: dict) -> str:
    """Notebooks with the same key may share a warm kernel: the same run (a universe's makers
    too) and environment, but for the folder each notebook runs in."""
    environment = {k: v for k, v in payload["environment"].items() if k != paths.RUN_DIR_ENV}
    run = payload.get("context", {}).get("run_id", "").split("/")[0]
    return json.dumps([run, sorted(environment.items())])


def render_report(payload: dict, outcome: dict, build_dir: Path) -> None:
    """The HTML report of an executed notebook in `build_dir`; a rendering error fails it."""
    name = payload["name"]
    executed = build_dir / f"{name}.ipynb"
    if not executed.exists():
        return
    status = outcome["status"]
    context = render.ReportContext(**payload["context"], status=status, note=outcome["note"])
    context.provenance["Execution time"] = f"{outcome['duration_s']:.1f} s"
    try:
        render.render_notebook(executed, build_dir / f"{name}.html", context)
    except Exception as error:  # the notebook ran, its report did not: still a failure
        where = f"{name} ran but its report could not be rendered"
        outcome["error"] = outcome["error"] or failure(where, type(error).__name__, str(error))
        outcome["status"] = "failed"
        return
    with contextlib.suppress(Exception):  # the run's end writes a missing one, or says why not
        _report_workbook(payload, outcome, build_dir)


def _report_workbook(payload: dict, outcome: dict, build_dir: Path) -> None:
    """The report's workbook as soon as its report is rendered (not all at the run's end)."""
    entry = {k: outcome.get(k) for k in ("status", "note", "results")}
    workbook.write_report(
        build_dir,
        payload["name"],
        dict(entry, title=payload["title"]),
        payload["context"]["parameters"],
        workbook.data_sources(Path(payload["environment"][paths.DATA_DIR_ENV])),
    )


def _timed_out(executed: Path, name: str, limit: int) -> dict:
    """The failure of a cell stopped by --cell-timeout: the last cell that started executing."""
    cell = cell_index = None
    with contextlib.suppress(Exception):  # no executed notebook: the cell stays unnamed
        cells = nbformat.read(executed, as_version=4).cells
        cell_index = max(i for i, c in enumerate(cells) if c.get("execution_count") is not None)
        cell = cells[cell_index].execution_count
    where = f"{name} stopped in cell In [{cell}]" if cell else f"{name} stopped"
    message = f"the cell ran longer than the cell timeout of {limit:,} s (--cell-timeout)"
    return failure(where, "CellTimeout", message, cell, cell_index)


def _disk_hint(path: Path, message: str) -> str:
    """Say so when a file could not be read back because its disk is (nearly) full."""
    with contextlib.suppress(OSError):
        if shutil.disk_usage(path.parent).free < 1_000_000:
            return f"{os_reason(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))} ({message})"
    return message


def failure(
    where: str, ename: str, evalue: str, cell: int | None = None, cell_index: int | None = None
) -> dict:
    """What the manifest, the index and the log say about a failed notebook."""
    return {
        "cell": cell,
        "cell_index": cell_index,
        "ename": ename,
        "evalue": evalue,
        "message": f"{where}: {ename}: {evalue}",
    }


def parameter_rows(job: Job) -> list[dict]:
    return [
        {
            "notebook": job.name,
            "name": name,
            "value": repr(job.values[name]),
            "default": repr(parameter.default),
            "help": parameter.help,
            "changed": name in job.overrides and job.overrides[name] != parameter.default,
        }
        for name, parameter in job.spec.parameters.items()
    ]


def shown_path(path: Path) -> str:
    """A path as readers see it: relative to the project, never a machine's own folders."""
    path = Path(path).resolve()
    if path.is_relative_to(paths.PROJECT_ROOT):
        return str(path.relative_to(paths.PROJECT_ROOT)) or "."
    return f"{path.name} (outside the project)"


def focus_maker(values: dict, known: list[str]) -> str | None:
    """The maker a notebook is about (its `maker` parameter), if it has deliveries data."""
    maker = values.get("maker")
    return maker if maker in known else None


def freshness_note(plan_: Plan, focus: str | None = None) -> str:
    """One line for readers: the focus maker's latest month, and every maker that is stale."""
    rows = {row["brand"]: row for row in plan_.freshness}
    parts = [f"newest month in the deliveries data {plan_.data_as_of}"]
    if focus in rows:
        parts.insert(0, f"{focus} deliveries to {rows[focus]['latest']}")
    stale = [
        f"{row['brand']} to {row['latest']} (missing {', '.join(row['missing'])})"
        for row in plan_.freshness
        if row["stale"]
    ]
    if stale:
        parts.append(f"stale ({data.STALE_AFTER_MONTHS}+ months behind): " + "; ".join(stale))
    return "; ".join(parts)


def payload_for(job: Job, plan_: Plan, build_dir: Path, options: RunOptions, commit: str) -> dict:
    focus = focus_maker(job.values, [row["brand"] for row in plan_.freshness])
    provenance = {
        "Run": plan_.run_id,
        "Scenario": plan_.scenario.name
        + (f" ({shown_path(plan_.scenario.path)})" if plan_.scenario.path else ""),
        "Data as of": f"deliveries to {plan_.data_as_of}, from {shown_path(plan_.data_dir)}",
        "Data freshness": freshness_note(plan_, focus),
        "Git commit": commit,
        "Run started": iso(plan_.started),
        "Notebook": f"notebooks/{job.spec.path.name}",
        "Python": platform.python_version(),
    }
    return {
        "name": job.name,
        "title": job.spec.title,
        "path": str(job.spec.path),
        "build_dir": str(build_dir),
        "overrides": job.overrides,
        "cell_timeout": options.cell_timeout,
        "environment": environment(
            plan_.data_dir,
            plan_.reports_dir,
            build_dir,
            plan_.scenario.name,
            cache_environment(options, plan_.reports_dir),
        ),
        "context": {
            "run_id": plan_.run_id,
            "scenario": plan_.scenario.name,
            "data_as_of": plan_.data_as_of,
            "freshness": freshness_note(plan_, focus),
            "parameters": parameter_rows(job),
            "provenance": provenance,
        },
    }
