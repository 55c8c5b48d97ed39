"""Writing a run's files (manifest, results, index, history) and publishing it atomically."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import platform
from collections.abc import Sequence
from pathlib import Path

from lib import render, results, runs, summary, workbook
from lib.pipeline.model import Job, Plan, iso, now, write_json
from lib.pipeline.notebook import parameter_rows, shown_path

log = logging.getLogger("lib.pipeline")


def results_json(plan_: Plan, jobs: list[Job]) -> dict:
    return {
        "run_id": plan_.run_id,
        "scenario": plan_.scenario.name,
        "maker": plan_.scenario.maker,  # None: each notebook's default maker
        "data_as_of": plan_.data_as_of,
        "notebooks": {
            job.name: {
                "title": job.spec.title,
                "status": job.status,
                "note": job.note,
                "results": job.results,
            }
            for job in jobs
            if job.status != "pending"
        },
    }


def manifest_for(
    plan_: Plan, jobs: list[Job], status: str, commit: str, finished: dt.datetime | None
) -> dict:
    return {
        "run_id": plan_.run_id,
        "status": status,
        "scenario": plan_.scenario.name,
        "scenario_file": str(plan_.scenario.path) if plan_.scenario.path else None,
        "scenario_description": plan_.scenario.description,
        "started": iso(plan_.started),
        "finished": iso(finished) if finished else None,
        "duration_s": round((finished - plan_.started).total_seconds(), 2) if finished else None,
        "git_commit": commit,
        "data_dir": str(plan_.data_dir),
        "data_as_of": plan_.data_as_of,
        "data_freshness": plan_.freshness,
        "data_hashes": plan_.data_hashes,
        "python": platform.python_version(),
        "notebooks": [
            {
                "name": job.name,
                "title": job.spec.title,
                "status": job.status,
                "duration_s": job.duration_s,
                "parameters": job.values,
                "overrides": job.overrides,
                "input_hash": job.input_hash,
                "reused_from": job.reused_from,
                "error": job.error,
                "note": job.note,
                "html": f"{job.name}.html"
                if job.status in ("ok", "failed", "reused", "no_data")
                else None,
                "ipynb": f"{job.name}.ipynb"
                if job.status in ("ok", "failed", "reused", "no_data")
                else None,
            }
            for job in jobs
        ],
    }


def past_runs(reports_dir: Path, limit: int = 30) -> list[dict]:
    """Published runs in the reports folder, newest first, for the index's run list."""
    return [
        {
            "run_id": run.run_id,
            "scenario": run.manifest.get("scenario", ""),
            "status": run.manifest["status"],
            "data_as_of": run.manifest.get("data_as_of", ""),
            "finished": run.manifest.get("finished") or "",
            "href": f"../{run.folder.name}/index.html",
        }
        for run in reversed(runs.scan(reports_dir))
    ][:limit]


def _headline(job: Job) -> dict | None:
    """The result a card shows: the notebook's `evr.headline` metadata, else its first result."""
    if not job.results:
        return None
    wanted = job.spec.headline
    chosen = next((r for r in job.results if r["name"] == wanted), job.results[0])
    return {
        "name": chosen["name"],
        "text": results.format_value(chosen),
        "meaning": chosen["meaning"],
    }


def _answers(current: summary.RunResults) -> list[dict]:
    """The four headline answers for the index, worded by lib.summary from the recorded results."""
    return [
        {
            "notebook": answer.question.notebook,
            "name": answer.headline["name"] if answer.available else "",
            "question": answer.question.question,
            "text": results.format_value(answer.headline) if answer.available else "not available",
            "meaning": answer.headline["meaning"] if answer.available else answer.sentence,
            "href": f"{answer.question.notebook}.html",
        }
        for answer in summary.answers(current)
        if answer.status != "missing"
    ]


def _table_html(table) -> str:
    return table.to_html(classes="evr-table", border=0, escape=True) if not table.empty else ""


def index_page(
    plan_: Plan, jobs: list[Job], manifest: dict, runs: list[dict], build_dir: Path
) -> str:
    cards = []
    for job in jobs:
        has_report = job.status in ("ok", "failed", "reused", "no_data")
        cards.append(
            {
                "name": job.name,
                "title": job.spec.title,
                "status": job.status,
                "status_label": render.STATUS_LABELS.get(job.status, job.status),
                "duration": f"{job.duration_s:.1f} s"
                if job.status == "ok"
                else (f"from run {job.reused_from}" if job.reused_from else ""),
                "question": render.first_paragraph(job.spec.path),
                "headline": _headline(job) if job.status in ("ok", "reused") else None,
                "error": job.error["message"] if job.error else None,
                "note": job.note,
                "html": f"{job.name}.html" if has_report else None,
                "ipynb": f"{job.name}.ipynb" if has_report else None,
            }
        )
    current = summary.RunResults(build_dir, results_json(plan_, jobs))
    answers = _answers(current)
    failed = [job for job in jobs if job.status == "failed"]
    return render.index_html(
        title="Chinese EV makers: research notebooks",
        subtitle="Sales trajectory, brand premium, price-war margins and overseas payback, "
        "answered with data as probabilities and ranges.",
        run={
            "run_id": plan_.run_id,
            "status": manifest["status"],
            "status_label": render.STATUS_LABELS.get(manifest["status"], manifest["status"]),
            "scenario": plan_.scenario.name,
            "scenario_description": plan_.scenario.description,
            "data_as_of": plan_.data_as_of,
            "failure_summary": " ".join(job.error["message"] + "." for job in failed),
        },
        answers=answers,
        cards=cards,
        scenario_table=_table_html(summary.scenario_comparison(current, plan_.reports_dir)),
        history_table=_table_html(summary.headline_history(current, plan_.reports_dir)),
        parameters=[row for job in jobs for row in parameter_rows(job)],
        runs=runs,
        provenance={
            "Run": plan_.run_id,
            "Status": manifest["status"],
            "Started": manifest["started"],
            "Finished": manifest["finished"] or "",
            "Git commit": manifest["git_commit"],
            "Data": f"{shown_path(plan_.data_dir)} (deliveries to {plan_.data_as_of})",
        },
        freshness=plan_.freshness,
    )


def history_rows(plan_: Plan, jobs: list[Job], finished: str) -> list[dict]:
    """The run's rows for history.csv: one per recorded result."""
    return [
        {
            "run_id": plan_.run_id,
            "scenario": plan_.scenario.name,
            "data_as_of": plan_.data_as_of,
            "finished": finished,
            "notebook": job.name,
            "result": result["name"],
            "value": result["value"],
            "low": result.get("low"),
            "high": result.get("high"),
            "unit": result["unit"],
        }
        for job in jobs
        for result in job.results
    ]


def publish(
    build_dir: Path, reports_dir: Path, run_id: str, success: bool, history: Sequence[dict] = ()
) -> Path:
    """Move the finished build into place; for a successful run also append `history` (its rows,
    `history_rows`) to history.csv and repoint `latest`. All or nothing: when a step fails (a
    full disk) the steps before it are undone, so the error raised means nothing was published."""
    final = reports_dir / run_id
    with runs.history_appended(reports_dir, list(history) if success else []):
        os.replace(build_dir, final)
        if success:
            try:
                _repoint_latest(reports_dir, run_id)
            except BaseException:
                os.replace(final, build_dir)
                raise
    return final


def _repoint_latest(reports_dir: Path, run_id: str) -> None:
    temporary = reports_dir / f".latest-{run_id}"
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    temporary.symlink_to(run_id, target_is_directory=True)
    try:
        os.replace(temporary, reports_dir / "latest")  # atomic on POSIX
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


def run_status(jobs: list[Job]) -> str:
    """ok: every notebook finished or was reused; partial: some were not run; failed."""
    if any(job.status == "failed" for job in jobs):
        return "failed"
    return "partial" if any(job.status == "skipped" for job in jobs) else "ok"


def write_run_files(
    plan_: Plan, build_dir: Path, status: str, commit: str, earlier: bool = True
) -> dict:
    """manifest.json, results.json and index.html of a run whose notebooks are done (`earlier`:
    list the earlier runs in the index; a maker's part of a universe run does not)."""
    manifest = manifest_for(plan_, plan_.jobs, status, commit, now())
    write_json(build_dir / "manifest.json", manifest)
    write_json(build_dir / "results.json", results_json(plan_, plan_.jobs))
    workbook.write_run(
        build_dir,
        results_json(plan_, plan_.jobs),
        {job.name: parameter_rows(job) for job in plan_.jobs},
        plan_.data_dir,
        plan_.reports_dir,
    )
    runs_list = [
        {
            "run_id": plan_.run_id,
            "scenario": plan_.scenario.name,
            "status": status,
            "data_as_of": plan_.data_as_of,
            "finished": manifest["finished"],
            "href": "index.html",
        }
    ] + (past_runs(plan_.reports_dir) if earlier else [])
    (build_dir / "index.html").write_text(
        index_page(plan_, plan_.jobs, manifest, runs_list, build_dir), encoding="utf-8"
    )
    return manifest
