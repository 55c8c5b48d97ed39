"""A year that has ended: what the maker delivered against its target, and how the method's call
evolved over the year, scored now that the outcome is known.

The call at each month-end of the year (k = 0..11 months reported, from the December before to
November) is the answer notebook 01 gives with the data up to that month: the chance of reaching
the target and the 80% range of the year's total. Calls come from earlier runs' records (the
`target_call` table every run records) where a run was made at that month-end, otherwise they are
reconstructed: the method's forecast in the rolling-origin backtest at that month-end, which uses
the data up to that month only (the months as the data now hold them, later revisions included)
and weights and calibration learned on earlier years only. Scores: the Brier score (mean squared
difference between the probability and the outcome, 0 to 1, lower is better; 0.25 for a constant
50%) and the log score (mean of -ln of the probability given to what happened; 0.693 for 50%).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib import makers, results
from lib.sales import names
from lib.sales.evaluation import HORIZONS, Backtest, cutoff_for, run_backtest
from lib.sales.inputs import (
    Inputs,
    annual_totals,
    is_complete,
    last_complete_year,
    series_targets,
    stated_target,
)
from lib.sales.params import NOTEBOOK

CALL_COLUMNS = [
    "maker",
    "target_year",
    "target_units",
    "data_to",
    "p_target",
    "p10",
    "median",
    "p90",
]
LOG_SCORE_FLOOR = 0.001  # a call of 0% or 100% that turns out wrong scores as 0.1% (-ln = 6.9)
UNINFORMED_BRIER, UNINFORMED_LOG = 0.25, float(np.log(2))  # a constant 50% call


@dataclass(frozen=True)
class Resolution:
    """A complete year: the outcome against the target and the calls made during the year.

    `calls` has one row per month-end (cutoff, months_reported, source: "earlier run" or
    "reconstructed", p_target, p10, median, p90 in vehicles, inside80); `reason` says why there is
    no outcome or no call (then the scores are NaN)."""

    maker: str
    name: str
    year: int
    target_units: float
    target_basis: str  # stated | initial (targets.csv) | last_year | parameter
    outcome_units: float | None
    missing_months: list[str]
    calls: pd.DataFrame
    reason: str = ""

    @property
    def resolved(self) -> bool:
        return self.outcome_units is not None

    @property
    def reached(self) -> bool:
        return self.resolved and self.outcome_units >= self.target_units

    @property
    def margin_pct(self) -> float:
        """How far the outcome was above (+) or below (-) the target, percent of the target."""
        return 100 * (self.outcome_units / self.target_units - 1) if self.resolved else np.nan

    @property
    def target_words(self) -> str:
        """What the year is judged against, for readers: a target, or last year's total."""
        if self.target_basis == "last_year":
            return f"its {self.year - 1} total of {self.target_units:,.0f}"
        return f"its {self.year} target of {self.target_units:,.0f}"

    @property
    def scored(self) -> pd.DataFrame:
        return self.calls.dropna(subset=["p_target"]) if self.resolved else self.calls.iloc[:0]

    @property
    def brier(self) -> float:
        return brier_score(self.scored["p_target"], self.reached) if len(self.scored) else np.nan

    @property
    def log_score(self) -> float:
        return log_score(self.scored["p_target"], self.reached) if len(self.scored) else np.nan

    def record(self) -> None:
        """Record the complete year's outcome and the scores of the calls made during it."""
        name, year = self.name, self.year
        results.record(
            names.RESOLVED_YEAR, year, "year", f"the complete year {name}'s calls are scored on"
        )
        if not self.resolved:
            return
        results.record(
            names.RESOLVED_OUTCOME_UNITS,
            self.outcome_units,
            "units",
            f"{name}'s deliveries in {year}, against a target of {self.target_units:,.0f} "
            f"({self.target_basis})",
        )
        results.record(names.RESOLVED_TARGET_UNITS, self.target_units, "units", self.target_words)
        results.record(
            names.RESOLVED_VS_TARGET_PCT,
            self.margin_pct,
            "pct",
            f"{name}'s {year} deliveries above (+) or below (-) the target",
        )
        calls = self.scored
        if calls.empty:
            return
        results.record(
            names.RESOLVED_BRIER,
            self.brier,
            "score",
            f"Brier score of the {len(calls)} month-end calls on {name}'s {year} target "
            f"(0.25: a constant 50%)",
        )
        results.record(
            names.RESOLVED_LOG_SCORE,
            self.log_score,
            "score",
            f"log score of the same calls ({UNINFORMED_LOG:.3f}: a constant 50%)",
        )
        reconstructed = int((calls["source"] == "reconstructed").sum())
        results.record(
            names.RESOLVED_CALLS,
            len(calls),
            "count",
            f"month-end calls on {name}'s {year} target scored ({reconstructed} reconstructed)",
        )


def brier_score(probabilities, outcome: bool) -> float:
    """Mean squared difference between the probabilities (0-1) and the outcome (1 or 0)."""
    p = np.asarray(probabilities, dtype=float)
    return float(np.mean((p - float(outcome)) ** 2))


def log_score(probabilities, outcome: bool) -> float:
    """Mean of -ln(probability given to what happened), probabilities kept within
    [LOG_SCORE_FLOOR, 1 - LOG_SCORE_FLOOR] so that one certain call stays finite."""
    p = np.clip(np.asarray(probabilities, dtype=float), LOG_SCORE_FLOOR, 1 - LOG_SCORE_FLOOR)
    return float(np.mean(-np.log(p if outcome else 1 - p)))


def year_target(inputs: Inputs, year: int) -> tuple[float, str]:
    """The target a complete year is judged against: the report's parameter when it is about that
    year and set, else the maker's stated target (the registry's row, else its first initial
    target for its own series in targets.csv: "initial"), else its deliveries of the year before
    (raises `makers.MissingData` when none is known)."""
    settings = inputs.settings
    if year == settings.target_year and inputs.target_basis == "parameter":
        return settings.target_units, "parameter"
    stated = stated_target(inputs.maker, inputs.assumptions, year)
    initial = initial_target(inputs.targets, inputs.maker.key, year)
    if stated is None and initial is not None:
        return initial, "initial"
    return makers.resolve_target(
        0, stated, inputs.deliveries, inputs.maker, year, inputs.financials
    )


def initial_target(targets: pd.DataFrame | None, maker: str, year: int) -> float | None:
    """The first initial target the maker stated for its own series in `year` (a range's low
    end), from the targets table; None when the table has none."""
    rows = series_targets(targets, maker, year, ("initial",))
    return float(rows["target_units"].iloc[0]) if len(rows) else None


def earlier_calls(earlier: Iterable, maker: str, year: int, target: float) -> pd.DataFrame:
    """Calls that earlier finished runs (`lib.runs.finished`) recorded on this maker, year and
    target, one per data month (the latest run wins)."""
    frames = []
    for run in earlier:
        table = results.table_frame(results.lookup(run.results or {}, NOTEBOOK, names.TARGET_CALL))
        if table is None or not set(CALL_COLUMNS) <= set(table.columns):
            continue
        numbers = {
            c: pd.to_numeric(table[c], errors="coerce")
            for c in CALL_COLUMNS[1:3] + CALL_COLUMNS[4:]
        }
        table = table.assign(**numbers)
        sane = (  # a damaged earlier run's rows are skipped, never trusted
            table["p_target"].between(0, 1)
            & (table["p10"] <= table["median"])
            & (table["median"] <= table["p90"])
        )
        mine = table[
            sane
            & (table["maker"] == maker)
            & (table["target_year"] == year)
            & ((table["target_units"] - target).abs() < 0.5)
        ]
        frames.append(mine[CALL_COLUMNS].assign(run_id=run.run_id))
    if not frames:
        return pd.DataFrame(columns=[*CALL_COLUMNS, "run_id"])
    calls = pd.concat(frames, ignore_index=True).sort_values("run_id")
    return calls.drop_duplicates("data_to", keep="last")


def backtest_calls(inputs: Inputs, horizons=HORIZONS) -> dict[int, functools.partial]:
    """The rolling-origin backtest at each month-end of `horizons` (months reported), at the
    inputs' cutoff and settings, as cached calls: the same for every maker (a universe computes
    them once)."""
    settings = inputs.settings
    # keyed on what it reads: the monthly figures, not their sources and notes
    figures = inputs.deliveries[["brand", "month", "deliveries"]]
    return {
        k: functools.partial(
            run_backtest,
            figures,
            settings.cutoff,
            inputs.holidays,
            settings.backtest_paths,
            settings.seed,
            settings.weighting,
            settings.curve_window_months,
            k,
        )
        for k in horizons
    }


def backtests_for(inputs: Inputs) -> dict[int, Backtest]:
    """The backtests a complete year's calls and the target record are reconstructed from."""
    return {k: call() for k, call in backtest_calls(inputs).items()}


def reconstructed_call(
    backtests: Mapping[int, Backtest], maker: str, year: int, target: float, k: int
) -> dict:
    """Notebook 01's answer at the month-end with `k` months of `year` reported, as the
    rolling-origin backtest at that month-end gave it (the data known then only; weights and
    calibration from earlier years only): the chance of the target and the 80% range (NaN when
    the backtest made no forecast for the maker-year)."""
    backtest = backtests.get(k)
    empty = {"p_target": np.nan, "p10": np.nan, "median": np.nan, "p90": np.nan}
    if backtest is None:
        return empty
    rows = backtest.rows
    found = rows[
        (rows["maker"] == maker) & (rows["target_year"] == year) & (rows["method"] == "combination")
    ]
    if found.empty:
        return empty
    row = found.iloc[0]
    return {
        "p_target": backtest.chance(maker, year, "combination", target),
        "p10": float(row["p10"]),
        "median": float(row["median"]),
        "p90": float(row["p90"]),
    }


def calls_over_year(
    maker: str,
    year: int,
    target: float,
    backtests: Mapping[int, Backtest],
    earlier: Iterable = (),
) -> pd.DataFrame:
    """The call at each month-end of `year` (k = 0..11): an earlier run's where one exists,
    otherwise reconstructed from the backtest at that month-end."""
    recorded = earlier_calls(earlier, maker, year, target).set_index("data_to")
    rows = []
    for k in range(12):
        cutoff = cutoff_for(year, k)
        if str(cutoff) in recorded.index:
            found = recorded.loc[str(cutoff)]
            call = {c: float(found[c]) for c in ("p_target", "p10", "median", "p90")}
            source = f"earlier run {found['run_id']}"
        else:
            call, source = reconstructed_call(backtests, maker, year, target, k), "reconstructed"
        rows.append({"cutoff": str(cutoff), "months_reported": k, "source": source, **call})
    return pd.DataFrame(rows)


def resolve(
    inputs: Inputs, year: int, backtests: Mapping[int, Backtest], earlier: Iterable = ()
) -> Resolution:
    """The outcome of a complete `year` for the inputs' maker against its target, and the calls
    made during the year (`backtests`: `backtests_for` the report's inputs), scored."""
    maker, name = inputs.maker.key, inputs.name
    empty = pd.DataFrame(
        columns=[
            "cutoff",
            "months_reported",
            "source",
            "p_target",
            "p10",
            "median",
            "p90",
            "inside80",
        ]
    )
    try:
        target, basis = year_target(inputs, year)
    except makers.MissingData as missing:
        return Resolution(maker, name, year, np.nan, "", None, [], empty, str(missing))
    months = pd.period_range(f"{year}-01", f"{year}-12", freq="M")
    in_year = inputs.series.reindex(months)
    missing = [str(m) for m in months if not in_year.get(m, np.nan) > 0]
    outcome = None if missing else float(annual_totals(inputs.series).loc[year, "sum_of_months"])
    reason = (
        f"{len(missing)} month(s) of {year} are unknown in the data ({', '.join(missing)}), so "
        "the outcome is not known"
        if missing
        else ""
    )
    calls = calls_over_year(maker, year, target, backtests, earlier)
    if outcome is not None:
        calls["inside80"] = (calls["p10"] <= outcome) & (outcome <= calls["p90"])
    else:
        calls["inside80"] = np.nan
    return Resolution(maker, name, year, target, basis, outcome, missing, calls, reason)


def call_row(
    maker: str, target_year: int, target: float, cutoff: pd.Period, projection
) -> pd.DataFrame:
    """This run's call as a one-row `target_call` table, for the runs after it."""
    return pd.DataFrame(
        [
            [
                maker,
                int(target_year),
                float(target),
                str(cutoff),
                projection.p_reach_target,
                projection.p10,
                projection.median,
                projection.p90,
            ]
        ],
        columns=CALL_COLUMNS,
    )


def year_to_resolve(inputs: Inputs) -> int:
    """The year a report looks back on: the target year when the data hold all of it, else the
    last year they do."""
    settings = inputs.settings
    if is_complete(settings.target_year, settings.cutoff):
        return settings.target_year
    return last_complete_year(settings.cutoff)
