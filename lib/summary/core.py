"""The four questions and their answers, worded from the recorded results by the role each
notebook declares (headline, supporting)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lib import paths, results
from lib.margins import names as margins_names
from lib.payback import names as payback_names
from lib.premium import names as premium_names
from lib.sales import names as sales_names

if TYPE_CHECKING:
    pass


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
        "sales",
        "01_sales_trajectory",
        "Will the maker reach its volume target, and with what probability?",
        sales_names.P_REACH_TARGET,
        (
            sales_names.FORECAST_MEDIAN_UNITS,
            sales_names.REQUIRED_GROWTH_PCT,
            sales_names.P_REACH_INTERNAL_TARGET,
        ),
    ),
    Question(
        "premium",
        "02_brand_premium",
        "What is the badge worth, and can the maker's flagship sell in its target price band?",
        premium_names.FOCUS_PREMIUM_PCT,
        (premium_names.FLAGSHIP_PRICE_RMB, premium_names.P_FLAGSHIP_IN_BAND),
    ),
    Question(
        "margins",
        "03_price_war_margins",
        "How do price cuts, scale and learning move gross margin?",
        margins_names.GM_AT_TARGET_CUT10_PCT,
        (
            margins_names.GM_AT_TARGET_CURRENT_PCT,
            margins_names.GM_AT_TARGET_CUT5_PCT,
            margins_names.LATEST_GROSS_MARGIN_PCT,
        ),
    ),
    Question(
        "payback",
        "04_globalization_payback",
        "When does the overseas expansion pay back, and how likely is it?",
        payback_names.BEST_P_PAYBACK_HORIZON,
        (
            payback_names.BEST_STRATEGY,
            payback_names.EUROPE_ASSEMBLY_MEDIAN_PAYBACK_YEARS,
            payback_names.EXPORT_MEDIAN_PAYBACK_YEARS,
        ),
    ),
)


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
    """The headline's meaning, then each supporting number with its own; a supporting result
    with no value (e.g. growth with no complete year before) is left out, not shown as n/a."""
    kept = shown[:1] + [r for r in shown[1:] if r.get("value") is not None]
    parts = [f"{r['meaning']}: **{results.format_value(r)}**" for r in kept]
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


def found_results(answer: Answer, run: RunResults | None) -> dict[str, dict]:
    """The results recorded by the notebook that answers `answer`'s question, by name."""
    if run is None:
        return {}
    entry = run.content.get("notebooks", {}).get(answer.question.notebook, {})
    return {r["name"]: r for r in entry.get("results", [])}
