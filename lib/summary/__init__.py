"""The executive summary: the four answers of a run, read from its recorded results.

Nothing here recomputes an analysis. It reads `results.json` of a run (and `history.csv` of the
reports folder), words each answer from the recorded numbers and their meanings, compares them
with the previous run, and draws one small chart per answer.
"""

from lib.summary.charts import CHARTS, small_multiples, status_table
from lib.summary.compare import (
    changes,
    finished_runs,
    headline_history,
    history,
    previous_run,
    scenario_comparison,
)
from lib.summary.core import (
    QUESTIONS,
    Answer,
    Question,
    RunResults,
    answers,
    answers_markdown,
    find_run,
)
from lib.summary.note import (
    VERDICTS,
    Verdict,
    changed_inputs,
    changes_explained,
    maker_name,
    risks,
    verdicts,
    verdicts_markdown,
    watch_list,
)

__all__ = [
    "Answer",
    "CHARTS",
    "QUESTIONS",
    "Question",
    "RunResults",
    "VERDICTS",
    "Verdict",
    "answers",
    "answers_markdown",
    "changed_inputs",
    "changes",
    "changes_explained",
    "find_run",
    "finished_runs",
    "headline_history",
    "history",
    "maker_name",
    "previous_run",
    "risks",
    "scenario_comparison",
    "small_multiples",
    "status_table",
    "verdicts",
    "verdicts_markdown",
    "watch_list",
]
