"""Comparing runs: the previous run of the same scenario and maker, what moved, and the answers across scenarios and runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lib import paths, results, runs

if TYPE_CHECKING:
    pass
from lib.summary.core import RunResults, answers

# ---------------------------------------------------------------------------------------------
# Comparing runs


def previous_run(current: RunResults, reports_dir: Path | None = None) -> RunResults | None:
    """The last finished good run of the same scenario before `current`."""
    scenario = current.content.get("scenario")
    candidates = [
        run
        for run in runs.finished(reports_dir or paths.reports_dir())
        if run.manifest.get("scenario") == scenario
        and run.results.get("maker") == current.content.get("maker")
        and run.run_id < current.run_id
        and run.folder.resolve() != current.run_dir.resolve()
    ]
    if not candidates:
        return None
    chosen = candidates[-1]
    return RunResults(chosen.folder, chosen.results)


def changes(current: RunResults, previous: RunResults | None) -> pd.DataFrame:
    """Headline numbers of the four answers, then and now."""
    before = {a.question.key: a for a in answers(previous)} if previous else {}
    rows = []
    for answer in answers(current):
        then = before.get(answer.question.key)
        now_value = answer.headline["value"] if answer.available else None
        then_value = then.headline["value"] if then and then.available else None
        change = "new" if then_value is None and now_value is not None else "unchanged"
        if isinstance(now_value, int | float) and isinstance(then_value, int | float):
            change = (
                "unchanged"
                if np.isclose(now_value, then_value)
                else f"{now_value - then_value:+.3g}"
            )
        elif now_value != then_value and then_value is not None:
            change = "changed"
        rows.append(
            {
                "question": answer.question.question,
                "result": answer.headline["name"] if answer.available else "",
                "previous run": results.format_value(then.headline)
                if then and then.available
                else "n/a",
                "this run": results.format_value(answer.headline) if answer.available else "n/a",
                "change": change,
            }
        )
    return pd.DataFrame(rows).set_index("question")


def history(notebook: str, result: str, reports_dir: Path | None = None) -> pd.DataFrame:
    """One headline number across finished runs (from reports/history.csv), oldest first."""
    columns = ["run_id", "scenario", "data_as_of", "finished", "value", "low", "high"]
    table = pd.DataFrame(
        runs.read_history(reports_dir or paths.reports_dir()), columns=runs.HISTORY_FIELDS
    )
    rows = table[(table["notebook"] == notebook) & (table["result"] == result)]
    rows = rows.assign(
        **{c: pd.to_numeric(rows[c], errors="coerce") for c in ("value", "low", "high")}
    )
    return rows[columns].sort_values("run_id", ignore_index=True)


# ---------------------------------------------------------------------------------------------
# Across runs and scenarios


def finished_runs(reports_dir: Path | None = None) -> list[RunResults]:
    """Every finished good run in the reports folder, oldest first (damaged ones skipped)."""
    return [
        RunResults(run.folder, run.results)
        for run in runs.finished(reports_dir or paths.reports_dir())
    ]


def _headlines(run: RunResults) -> dict[str, str]:
    return {
        answer.question.question: results.format_value(answer.headline)
        if answer.available
        else "n/a"
        for answer in answers(run)
    }


def scenario_comparison(
    current: RunResults | None, reports_dir: Path | None = None
) -> pd.DataFrame:
    """The four headline answers side by side: one column per scenario (its latest good run)."""
    latest = {run.content.get("scenario", "?"): run for run in finished_runs(reports_dir)}
    if current is not None:
        latest[current.content.get("scenario", "?")] = current
    columns = {
        f"{scenario} ({run.content.get('data_as_of', '?')})": _headlines(run)
        for scenario, run in sorted(latest.items())
    }
    table = pd.DataFrame(columns).rename_axis("question")
    return table[(table != "n/a").any(axis=1)]  # questions no run answered are left out


def headline_history(
    current: RunResults | None, reports_dir: Path | None = None, limit: int = 12
) -> pd.DataFrame:
    """The four headline answers of the latest runs, newest first."""
    runs = {run.run_id: run for run in finished_runs(reports_dir)}
    if current is not None:
        runs[current.run_id] = current
    rows = []
    for run_id in sorted(runs, reverse=True)[:limit]:
        run = runs[run_id]
        keys = {
            "run": run_id,
            "scenario": run.content.get("scenario", "?"),
            "data to": run.content.get("data_as_of", "?"),
        }
        rows.append(
            keys
            | {
                a.question.key: v
                for a, v in zip(answers(run), _headlines(run).values(), strict=True)
            }
        )
    table = pd.DataFrame(rows).set_index("run") if rows else pd.DataFrame()
    return table.loc[:, (table != "n/a").any(axis=0)] if rows else table
