"""The target record: every maker's stated annual targets against what it delivered, and the
method's chance of reaching each target at every month-end of the year, scored now that the
outcomes are known.

A maker-year enters the record with its first initial target for its own series
(data/targets.csv); it is resolved when the data hold all twelve months of the year. The record
answers two questions:

- How often do makers reach what they state? The base rate of reaching the initial target and
  the typical shortfall or overshoot, over every resolved maker-year.
- How good were the method's probabilities? At each month-end (k = 0..11 months of the year
  reported) from the one after the target was stated, the method's call is its forecast in the
  rolling-origin backtest at that month-end (data known then only, weights and calibration from
  earlier years only). It is scored with the Brier and log scores against two rivals given the
  same information: the base rate (the share of maker-years resolved BEFORE the year that reached
  their initial target, by the rule of succession: (reached + 1) / (resolved + 2)) and a naive
  run-rate probability (the last three months' run-rate with the spread of that rule's earlier
  errors). Calls on a target whose statement is not dated cannot be placed in time: they are not
  scored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib import results
from lib.sales import names
from lib.sales.evaluation import Backtest, cutoff_for
from lib.sales.inputs import is_complete, series_targets
from lib.sales.resolution import LOG_SCORE_FLOOR

RIVALS = {"method": "this method", "base_rate": "the base rate", "run_rate": "naive run-rate"}
RELIABILITY_BINS = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)
RECORD_COLUMNS = [
    "maker",
    "year",
    "initial_units",
    "stated_on",
    "revised_units",
    "outcome_units",
    "resolved",
    "reached",
    "vs_initial_pct",
    "quality",
    "source_url",
]
CALL_COLUMNS = ["maker", "year", "months_reported", "target_units", "reached", *RIVALS]


def target_record(
    targets: pd.DataFrame | None, series_by_maker: dict[str, pd.Series], cutoff: pd.Period
) -> pd.DataFrame:
    """One row per maker-year with an initial target for its own series: the target, when it
    was stated, the last revision, and (resolved: all twelve months in the data by `cutoff`)
    the outcome, whether it reached the initial target and by how much it missed or beat it."""
    if targets is None or targets.empty:
        return pd.DataFrame(columns=RECORD_COLUMNS)
    rows = []
    own = targets[(targets["scope"] == "series") & (targets["kind"] == "initial")]
    for maker, year in own[["maker", "year"]].drop_duplicates().itertuples(index=False):
        initial = series_targets(targets, maker, int(year), ("initial",)).iloc[0]
        revised = series_targets(targets, maker, int(year), ("revised",))
        outcome = year_total(series_by_maker.get(maker), int(year), cutoff)
        target = float(initial["target_units"])
        rows.append(
            {
                "maker": maker,
                "year": int(year),
                "initial_units": target,
                "stated_on": initial["stated_on"],
                "revised_units": float(revised["target_units"].iloc[-1])
                if len(revised)
                else np.nan,
                "outcome_units": outcome,
                "resolved": bool(np.isfinite(outcome)),
                "reached": bool(outcome >= target) if np.isfinite(outcome) else np.nan,
                "vs_initial_pct": 100 * (outcome / target - 1),
                "quality": initial["quality"],
                "source_url": initial["source_url"],
            }
        )
    record = pd.DataFrame(rows, columns=RECORD_COLUMNS)
    return record.sort_values(["maker", "year"], ignore_index=True)


def year_total(series: pd.Series | None, year: int, cutoff: pd.Period) -> float:
    """The year's deliveries when the data hold all twelve months by `cutoff`, else NaN."""
    if series is None or not is_complete(year, cutoff):
        return np.nan
    months = series.reindex(pd.period_range(f"{year}-01", periods=12, freq="M"))
    return float(months.sum()) if (months > 0).all() else np.nan


def base_rate(record: pd.DataFrame, before_year: int) -> float:
    """The chance of reaching an initial target known before `before_year` starts: the rule of
    succession over the maker-years resolved before it (0.5 with none)."""
    earlier = record[record["resolved"] & (record["year"] < before_year)]
    return (float(earlier["reached"].astype(bool).sum()) + 1) / (len(earlier) + 2)


def stated_month(stated_on) -> pd.Period | None:
    """The month a target was stated ('2024-11-12' or '2024-11'); None when undated or only a
    year is known."""
    text = str(stated_on) if isinstance(stated_on, str) else ""
    return pd.Period(text[:7], freq="M") if len(text) >= 7 else None


def scored_calls(record: pd.DataFrame, backtests: dict[int, Backtest]) -> pd.DataFrame:
    """Every call on a resolved, dated initial target at a month-end from its statement on: the
    method's, the base rate's and the naive run-rate's chance of reaching it (NaN where that
    forecaster had no forecast then)."""
    rows = []
    for case in record[record["resolved"]].itertuples(index=False):
        stated = stated_month(case.stated_on)
        if stated is None:
            continue
        for k, backtest in sorted(backtests.items()):
            if cutoff_for(case.year, k) < stated:
                continue
            chances = {
                rival: backtest.chance(case.maker, case.year, method, case.initial_units)
                for rival, method in (("method", "combination"), ("run_rate", "q4_run_rate"))
            }
            if not np.isfinite(chances["method"]):
                continue
            rows.append(
                {
                    "maker": case.maker,
                    "year": case.year,
                    "months_reported": k,
                    "target_units": case.initial_units,
                    "reached": bool(case.reached),
                    "method": chances["method"],
                    "base_rate": base_rate(record, case.year),
                    "run_rate": chances["run_rate"],
                }
            )
    return pd.DataFrame(rows, columns=CALL_COLUMNS)


def scores(calls: pd.DataFrame) -> pd.DataFrame:
    """Brier and log score of each forecaster on the calls all of them made (lower is better),
    with how many calls and maker-years that is."""
    common = calls.dropna(subset=list(RIVALS))
    rows = []
    for rival, label in RIVALS.items():
        if common.empty:
            rows.append({"forecaster": label, "brier": np.nan, "log_score": np.nan})
            continue
        said, hit = common[rival].to_numpy(float), common["reached"].to_numpy(bool)
        given = np.clip(np.where(hit, said, 1 - said), LOG_SCORE_FLOOR, 1)
        rows.append(
            {
                "forecaster": label,
                "brier": float(np.mean((said - hit) ** 2)),
                "log_score": float(np.mean(-np.log(given))),
            }
        )
    frame = pd.DataFrame(rows, columns=["forecaster", "brier", "log_score"])
    return frame.assign(calls=len(common), maker_years=maker_years(common))


def maker_years(calls: pd.DataFrame) -> int:
    return len(calls[["maker", "year"]].drop_duplicates()) if len(calls) else 0


def reliability(calls: pd.DataFrame) -> pd.DataFrame:
    """The method's calls by how likely it said the target was: in each band of probability,
    how many calls and maker-years, the mean probability said and the share that reached."""
    labels = [
        f"{100 * low:.0f}-{100 * high:.0f}%"
        for low, high in zip(RELIABILITY_BINS[:-1], RELIABILITY_BINS[1:], strict=True)
    ]
    band = pd.cut(calls["method"], RELIABILITY_BINS, labels=labels, include_lowest=True)
    rows = []
    for label in labels:
        group = calls[band == label]
        rows.append(
            {
                "said": label,
                "calls": len(group),
                "maker_years": maker_years(group),
                "mean_said_pct": 100 * group["method"].mean() if len(group) else np.nan,
                "reached_pct": 100 * group["reached"].mean() if len(group) else np.nan,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class TargetRecord:
    """The record for one report: every maker-year (`table`), the calls scored (`calls`), the
    scores over every maker and over the report's maker alone, and the reliability table."""

    maker: str
    table: pd.DataFrame
    calls: pd.DataFrame

    @property
    def resolved(self) -> pd.DataFrame:
        return self.table[self.table["resolved"]]

    @property
    def own(self) -> pd.DataFrame:
        return self.table[self.table["maker"] == self.maker]

    @property
    def base_rate_pct(self) -> float:
        """The share of resolved maker-years that reached their initial target (plain, not
        smoothed: this is the record, not a forecast)."""
        resolved = self.resolved
        return 100 * resolved["reached"].astype(bool).mean() if len(resolved) else np.nan

    @property
    def median_vs_initial_pct(self) -> float:
        return float(self.resolved["vs_initial_pct"].median()) if len(self.resolved) else np.nan

    @property
    def scores(self) -> pd.DataFrame:
        return scores(self.calls)

    @property
    def own_scores(self) -> pd.DataFrame:
        return scores(self.calls[self.calls["maker"] == self.maker])

    @property
    def reliability(self) -> pd.DataFrame:
        return reliability(self.calls)

    def score(self, rival: str, which: str = "brier", own: bool = False) -> float:
        table = self.own_scores if own else self.scores
        found = table[table["forecaster"] == RIVALS[rival]]
        return float(found[which].iloc[0]) if len(found) else np.nan

    def record(self, name: str) -> None:
        """Record the record's size, base rate and scores, and its two tables."""
        resolved, own = self.resolved, self.own[self.own["resolved"]]
        results.record(
            names.TARGET_RECORD_MAKER_YEARS,
            len(resolved),
            "count",
            "complete maker-years with an initial target for the maker's own series "
            "(data/targets.csv)",
        )
        results.record_table(
            names.TARGET_RECORD_TABLE,
            self.table.drop(columns=["source_url"]),
            "units",
            "every maker-year's initial target, last revision and outcome",
        )
        if len(resolved):
            results.record(
                names.TARGET_RECORD_REACHED_PCT,
                self.base_rate_pct,
                "pct",
                f"share of the {len(resolved)} maker-years that reached their initial target",
            )
            results.record(
                names.TARGET_RECORD_MEDIAN_VS_TARGET_PCT,
                self.median_vs_initial_pct,
                "pct",
                "median outcome above (+) or below (-) the initial target",
            )
        results.record(
            names.TARGET_RECORD_OWN_MAKER_YEARS,
            len(own),
            "count",
            f"of them, {name}'s own years",
        )
        if len(own):
            results.record(
                names.TARGET_RECORD_OWN_REACHED,
                int(own["reached"].astype(bool).sum()),
                "count",
                f"{name}'s years that reached the initial target",
            )
        self._record_scores()

    def _record_scores(self) -> None:
        table = self.scores
        calls = int(table["calls"].iloc[0])
        results.record(
            names.TARGET_RECORD_CALLS,
            calls,
            "count",
            "month-end calls on those targets scored, each made with the data known then by "
            "this method, the base rate and the naive run-rate",
        )
        if not calls:
            return
        results.record(
            names.TARGET_RECORD_CALL_MAKER_YEARS,
            int(table["maker_years"].iloc[0]),
            "count",
            "maker-years those calls are on",
        )
        for rival, brier, log in (
            ("method", names.TARGET_RECORD_BRIER, names.TARGET_RECORD_LOG_SCORE),
            (
                "base_rate",
                names.TARGET_RECORD_BRIER_BASE_RATE,
                names.TARGET_RECORD_LOG_SCORE_BASE_RATE,
            ),
            (
                "run_rate",
                names.TARGET_RECORD_BRIER_RUN_RATE,
                names.TARGET_RECORD_LOG_SCORE_RUN_RATE,
            ),
        ):
            said = RIVALS[rival]
            results.record(brier, self.score(rival), "score", f"Brier score of {said}'s calls")
            results.record(
                log, self.score(rival, "log_score"), "score", f"log score of {said}'s calls"
            )
        results.record_table(
            names.TARGET_RECORD_RELIABILITY,
            self.reliability,
            "count",
            "this method's calls by the chance it said, and how many of them reached the target",
        )


def build(
    maker: str,
    targets: pd.DataFrame | None,
    series_by_maker: dict[str, pd.Series],
    cutoff: pd.Period,
    backtests: dict[int, Backtest],
) -> TargetRecord:
    """The target record as a report with data to `cutoff` sees it."""
    table = target_record(targets, series_by_maker, cutoff)
    return TargetRecord(maker, table, scored_calls(table, backtests))
