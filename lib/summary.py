"""The executive summary: the four answers of a run, read from its recorded results.

Nothing here recomputes an analysis. It reads `results.json` of a run (and `history.csv` of the
reports folder), words each answer from the recorded numbers and their meanings, compares them
with the previous run, and draws one small chart per answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lib import paths, plots, results, runs

if TYPE_CHECKING:
    import matplotlib.pyplot as plt


@dataclass(frozen=True)
class Question:
    """One of the four questions: the notebook that answers it and the results that word it."""

    key: str
    notebook: str
    question: str
    headline: str
    supporting: tuple[str, ...]


QUESTIONS = (
    Question(
        "sales", "01_sales_trajectory",
        "Will the maker reach its volume target, and with what probability?",
        "p_reach_target", ("forecast_median_units", "required_growth_pct", "p_reach_internal_target"),
    ),
    Question(
        "premium", "02_brand_premium",
        "What is the badge worth, and can the maker sell at 250,000-300,000 yuan?",
        "focus_premium_pct", ("flagship_price_rmb", "p_flagship_in_band"),
    ),
    Question(
        "margins", "03_price_war_margins",
        "How do price cuts, scale and learning move gross margin?",
        "gm_at_target_cut10_pct", ("gm_at_target_current_pct", "gm_at_target_cut5_pct", "latest_gross_margin_pct"),
    ),
    Question(
        "payback", "04_globalization_payback",
        "When does the overseas expansion pay back, and how likely is it?",
        "best_p_payback_horizon", ("best_strategy", "spain_median_payback_years", "export_median_payback_years"),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Answer:
    question: Question
    status: str  # ok | reused | failed | skipped | missing
    headline: dict | None
    sentence: str

    @property
    def available(self) -> bool:
        return self.headline is not None


@dataclass(frozen=True)
class RunResults:
    """A run's results.json and where it was found."""

    run_dir: Path
    content: dict

    @property
    def run_id(self) -> str:
        return self.content.get("run_id", self.run_dir.name)


def find_run(run_dir: str = "") -> RunResults | None:
    """The run to summarise: an explicit folder, else the run in progress, else reports/latest."""
    candidates = [Path(run_dir)] if run_dir else [paths.run_dir(), paths.reports_dir() / "latest"]
    for candidate in candidates:
        if candidate is not None and (candidate / "results.json").exists():
            return RunResults(candidate.resolve(), results.load(candidate))
    if run_dir:
        raise FileNotFoundError(
            f"run_dir={run_dir!r}: no results.json there; expected a folder under reports/"
        )
    return None


def _sentence(shown: list[dict]) -> str:
    """The headline's meaning, then each supporting number with its own."""
    parts = [f"{r['meaning']}: **{results.format_value(r)}**" for r in shown]
    return "; ".join(parts) + "." if parts else ""


def _by_role(found: dict[str, dict], question: Question) -> tuple[dict | None, list[dict]]:
    """The headline and supporting results a notebook declared (`role`); runs recorded before
    roles existed fall back to the names in QUESTIONS."""
    declared = [r for r in found.values() if r.get("role") == "headline"]
    if declared:
        return declared[0], [r for r in found.values() if r.get("role") == "supporting"]
    headline = found.get(question.headline) or next(iter(found.values()), None)
    return headline, [found[n] for n in question.supporting if n in found]


def answers(run: RunResults | None) -> list[Answer]:
    """The four answers, each with its status; a failed or absent notebook says so in its place."""
    notebooks = run.content.get("notebooks", {}) if run else {}
    out = []
    for question in QUESTIONS:
        entry = notebooks.get(question.notebook)
        if entry is None:
            out.append(Answer(question, "missing", None, "Not in this run."))
            continue
        found = {r["name"]: r for r in entry.get("results", [])}
        status = entry.get("status", "missing")
        if status == "no_data":
            note = entry.get("note") or "the maker lacks the data this question needs"
            out.append(Answer(question, status, None, f"No answer for this maker: {note}"))
            continue
        if status not in ("ok", "reused"):
            word = "failed" if status == "failed" else "was not run"
            out.append(
                Answer(question, status, None, f"The notebook {word} in this run; see its report.")
            )
            continue
        headline, supporting = _by_role(found, question)
        shown = [headline, *supporting] if headline else []
        out.append(Answer(question, status, headline, _sentence(shown)))
    return out


def answers_markdown(items: list[Answer]) -> str:
    """The four answers as short Markdown paragraphs, each linking to its full report."""
    blocks = []
    for answer in items:
        text = answer.sentence if answer.available else f"**Not available.** {answer.sentence}"
        blocks.append(
            f"**{answer.question.question}** {text} ([full report]({answer.question.notebook}.html))"
        )
    return "\n\n".join(blocks)


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
# Charts: one small multiple per answer, drawn only from recorded numbers


def _found(answer: Answer, run: RunResults | None) -> dict[str, dict]:
    if run is None:
        return {}
    entry = run.content.get("notebooks", {}).get(answer.question.notebook, {})
    return {r["name"]: r for r in entry.get("results", [])}


def _unavailable(ax: plt.Axes, answer: Answer) -> None:
    ax.text(
        0.5, 0.5, "not available in this run", ha="center", va="center", color=plots.NEUTRAL_COLOR
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(answer.question.key.capitalize())


def _intervals(ax: plt.Axes, rows: list[tuple[str, dict]], scale: float = 1.0) -> None:
    """Each result as a point with its recorded interval, first row in the focus colour."""
    for position, (_, result) in enumerate(rows):
        color = plots.FOCUS_COLOR if position == 0 else "#1f2933"
        if result.get("low") is not None and result.get("high") is not None:
            ax.plot(
                [result["low"] * scale, result["high"] * scale],
                [position, position],
                color=color,
                lw=2.5,
                alpha=0.6,
            )
        ax.plot(result["value"] * scale, position, "o", color=color, ms=8)
    ax.set_yticks(range(len(rows)), [label for label, _ in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)


def _chart_sales(ax: plt.Axes, found: dict) -> str:
    forecast, target = found.get("forecast_median_units"), found.get("target_units")
    if forecast is None:
        return ""
    _intervals(ax, [("target-year\ndeliveries", forecast)], scale=1e-3)
    if target and target.get("value"):
        ax.axvline(target["value"] / 1e3, color="#1f2933", ls="--", lw=1.2)
        ax.annotate(
            "target",
            (target["value"] / 1e3, -0.4),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=9,
        )
    ax.set_xlabel("Median forecast and 10-90% range (thousand vehicles)")
    probability = found.get("p_reach_target")
    return (
        f"Sales: {results.format_value(probability)} chance of reaching the target"
        if probability
        else "Sales"
    )


def _brand_label(result: dict) -> str:
    """'Tesla' from a gap's meaning ('... under Tesla minus under ...'), else from its name."""
    match = re.search(r"under (.+?) minus", result["meaning"])
    return match.group(1) if match else result["name"].removeprefix("gap_to_").removesuffix("_rmb")


def _chart_premium(ax: plt.Axes, found: dict) -> str:
    gaps = sorted(
        (r for name, r in found.items() if name.startswith("gap_to_")), key=lambda r: -r["value"]
    )
    if not gaps:
        return ""
    _intervals(ax, [(_brand_label(r), r) for r in gaps], scale=1e-3)
    ax.axvline(0, color="#1f2933", lw=0.8)
    ax.set_xlabel("Extra list price of the flagship spec under each badge (thousand yuan)")
    premium = found.get("focus_premium_pct")
    return (
        f"Brand premium vs reference: {results.format_value(premium)}"
        if premium
        else "Brand premium"
    )


def _chart_margins(ax: plt.Axes, found: dict) -> str:
    cases = [
        ("10% cut", "gm_at_target_cut10_pct"),
        ("5% cut", "gm_at_target_cut5_pct"),
        ("prices held", "gm_at_target_current_pct"),
    ]
    rows = [
        (label, found[name])
        for label, name in cases
        if name in found and found[name]["value"] is not None
    ]
    if not rows:
        return ""
    _intervals(ax, rows)
    latest = found.get("latest_gross_margin_pct")
    if latest and latest["value"] is not None:
        ax.axvline(latest["value"], color="#1f2933", ls="--", lw=1.2)
    ax.set_xlabel("Gross margin at the target volume (%); dashed: latest quarter")
    return "Margins at the target volume"


def _chart_payback(ax: plt.Axes, found: dict) -> str:
    strategies = sorted(
        {name.removesuffix("_p_payback_5y") for name in found if name.endswith("_p_payback_5y")}
    )
    if not strategies:
        return ""
    for offset, (years, color) in enumerate([(5, plots.FOCUS_COLOR), (8, plots.NEUTRAL_COLOR)]):
        values = [
            100 * (found.get(f"{slug}_p_payback_{years}y") or {}).get("value", 0)
            for slug in strategies
        ]
        ax.barh(
            [i + 0.2 * (2 * offset - 1) for i in range(len(strategies))],
            values,
            height=0.38,
            color=color,
            label=f"within {years} years",
        )
    ax.set_yticks(range(len(strategies)), strategies)
    ax.set_xlim(0, 100)
    ax.legend(loc="lower right", fontsize=9)
    ax.set_xlabel("Probability of discounted payback (%)")
    best = found.get("best_strategy")
    return f"Payback: best route {best['value']}" if best else "Payback"


CHARTS = {
    "sales": _chart_sales,
    "premium": _chart_premium,
    "margins": _chart_margins,
    "payback": _chart_payback,
}


def small_multiples(items: list[Answer], run: RunResults | None) -> plt.Figure:
    """A 2x2 figure, one panel per answer, each titled with its finding."""
    import matplotlib.pyplot as plt  # here: the runner reads answers without drawing

    figure, axes = plt.subplots(2, 2, figsize=(11, 6.4))
    for ax, answer in zip(axes.flat, items, strict=True):
        title = CHARTS[answer.question.key](ax, _found(answer, run)) if answer.available else ""
        if title:
            ax.set_title(title, fontsize=11)
        else:
            _unavailable(ax, answer)
    figure.tight_layout()
    return figure


def status_table(run: RunResults | None) -> pd.DataFrame:
    """Each notebook of the run: title, status and how many results it recorded."""
    notebooks = run.content.get("notebooks", {}) if run else {}
    rows = [
        {
            "notebook": name,
            "title": entry.get("title", ""),
            "status": entry.get("status", ""),
            "results": len(entry.get("results", [])),
        }
        for name, entry in notebooks.items()
    ]
    return pd.DataFrame(rows, columns=["notebook", "title", "status", "results"]).set_index(
        "notebook"
    )


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
