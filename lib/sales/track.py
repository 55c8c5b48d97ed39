"""The forecasts' track record: every run records its monthly forecast quantiles, later runs score
them against the months reported since, and the rolling-origin evaluation shows what the method
would have said at each of the last month-ends.

Scores per forecast month: error of the median (percent of the actual), whether the actual fell
inside the 80% band (10th-90th percentile) and its PIT, the share of the forecast distribution
below the actual, interpolated linearly between the recorded quantiles (0.05 below the 10th
percentile and 0.95 above the 90th: the middle of the tail the actual fell in). Well calibrated
forecasts put about 80% of actuals inside the band and spread the PITs evenly over 0-1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from lib import results
from lib.sales import names
from lib.sales.evaluation import cutoff_for, run_backtest
from lib.sales.inputs import series_at
from lib.sales.params import NOTEBOOK
from lib.sales.projection import months_reported, project
from lib.sales.seasonality import snapshot
from lib.sales.simulation import MakerForecast

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
QUANTILE_COLUMNS = [f"q{round(100 * q)}" for q in QUANTILES]
SCORE_COLUMNS = [
    "maker",
    "data_to",
    "month",
    *QUANTILE_COLUMNS,
    "actual",
    "error_pct",
    "inside80",
    "pit",
]


def quantile_table(forecasts: Mapping[str, MakerForecast]) -> pd.DataFrame:
    """Monthly quantiles of each maker's combined paths (vehicles), one row per simulated month:
    maker, data_to (the maker's last month in the data), month, q10 ... q90."""
    frames = []
    for maker, forecast in forecasts.items():
        if not forecast.available or forecast.combined.size == 0:
            continue
        frame = forecast.monthly_quantiles(QUANTILES)
        frame.columns = QUANTILE_COLUMNS
        frame.insert(0, "month", frame.index.astype(str))
        frame.insert(0, "data_to", str(forecast.cutoff))
        frame.insert(0, "maker", maker)
        frames.append(frame.reset_index(drop=True))
    columns = ["maker", "data_to", "month", *QUANTILE_COLUMNS]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def record_quantiles(forecasts: Mapping[str, MakerForecast]) -> pd.DataFrame:
    """Record `quantile_table` as the run's result `monthly_forecast_quantiles`, for later runs."""
    table = quantile_table(forecasts)
    results.record_table(
        names.MONTHLY_FORECAST_QUANTILES,
        table,
        "units",
        "monthly forecast quantiles (10/25/50/75/90%) of every maker forecast, per simulated month",
    )
    return table


def pit(quantiles: np.ndarray, actual: float) -> float:
    """The actual's position in the forecast distribution (0-1), linear between `QUANTILES`."""
    if actual < quantiles[0]:
        return 0.05
    if actual > quantiles[-1]:
        return 0.95
    return float(np.interp(actual, quantiles, QUANTILES))


def score(table: pd.DataFrame, series_by_maker: Mapping[str, pd.Series]) -> pd.DataFrame:
    """The rows of a quantile table whose month is now reported, scored against the actual;
    rows whose quantiles are not numbers (a damaged earlier run) are skipped."""
    table = table.assign(**{c: pd.to_numeric(table[c], errors="coerce") for c in QUANTILE_COLUMNS})
    rows = []
    for row in table.itertuples(index=False):
        series = series_by_maker.get(row.maker)
        try:
            actual = series.get(pd.Period(row.month, freq="M")) if series is not None else None
        except ValueError:  # a month that is not a month: skip the row, not the run
            continue
        quantiles = np.array([getattr(row, c) for c in QUANTILE_COLUMNS], dtype=float)
        if actual is None or not np.isfinite(actual) or actual <= 0 or np.isnan(quantiles).any():
            continue
        median = quantiles[QUANTILES.index(0.5)]
        rows.append(
            {
                **{c: getattr(row, c) for c in ["maker", "data_to", "month", *QUANTILE_COLUMNS]},
                "actual": float(actual),
                "error_pct": 100 * (median / actual - 1),
                "inside80": bool(quantiles[0] <= actual <= quantiles[-1]),
                "pit": pit(quantiles, float(actual)),
            }
        )
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def score_earlier_runs(
    earlier: Iterable, series_by_maker: Mapping[str, pd.Series], notebook: str = NOTEBOOK
) -> pd.DataFrame:
    """`score` for every earlier run (`lib.runs.finished`) that recorded its quantile table, with
    its run_id; runs without the table (older, or another notebook set) are skipped."""
    frames = []
    for run in earlier:
        found = results.lookup(run.results or {}, notebook, names.MONTHLY_FORECAST_QUANTILES)
        table = results.table_frame(found)
        if table is None or not set(SCORE_COLUMNS[:8]) <= set(table.columns):
            continue
        scored = score(table, series_by_maker)
        if len(scored):
            frames.append(scored.assign(run_id=run.run_id))
    if not frames:
        return pd.DataFrame(columns=["run_id", *SCORE_COLUMNS])
    out = pd.concat(frames, ignore_index=True)
    return out[["run_id", *SCORE_COLUMNS]]


def coverage(scored: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Months scored, share inside the 80% bands (percent), mean PIT and mean absolute error
    (percent), over all rows or per value of `by` (e.g. "maker")."""

    def one(group: pd.DataFrame) -> dict:
        return {
            "months": len(group),
            "inside80_pct": 100 * float(group["inside80"].astype(float).mean()),
            "mean_pit": float(group["pit"].mean()),
            "mean_abs_error_pct": float(group["error_pct"].abs().mean()),
        }

    if by is None:
        return pd.DataFrame([{"who": "all", **one(scored)}]) if len(scored) else pd.DataFrame()
    return pd.DataFrame([{by: key, **one(group)} for key, group in scored.groupby(by, sort=True)])


# ---------------------------------------------------------------------------------------------
# What the method would have said at each of the last month-ends (rolling-origin evaluation)


def month_ends(cases: pd.DataFrame | None, maker: str, last: int = 12) -> pd.DataFrame:
    """The combination's forecast of the year's total at each of the last `last` month-ends
    whose year has ended (from the rolling-origin cases of `make peers`), against the outcome."""
    columns = [
        "cutoff",
        "target_year",
        "months_reported",
        "p10",
        "median",
        "p90",
        "actual",
        "error_pct",
        "inside80",
    ]
    if cases is None or cases.empty:
        return pd.DataFrame(columns=columns)
    own = cases[(cases["method"] == "combination") & (cases["maker"] == maker)].copy()
    if own.empty:
        return pd.DataFrame(columns=columns)
    own["cutoff"] = [
        str(cutoff_for(int(y), int(k)))
        for y, k in zip(own["target_year"], own["months_reported"], strict=True)
    ]
    own["error_pct"] = 100 * (own["median"] / own["actual"] - 1)
    own["inside80"] = (own["p10"] <= own["actual"]) & (own["actual"] <= own["p90"])
    return own.sort_values("cutoff").tail(last)[columns].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Out of sample: forecasts from frozen data scored on the months published since


def out_of_sample(
    frozen: pd.DataFrame,
    live: pd.DataFrame,
    holidays: pd.DataFrame,
    data_through: str,
    target_year: int | None = None,
    n_paths: int = 2000,
    backtest_paths: int = 1000,
    seed: int = 2026,
    curve_window_months: int = 24,
) -> pd.DataFrame:
    """Forecast every maker from the `frozen` deliveries up to `data_through` with notebook 01's
    method (each maker weighed and calibrated by the backtest at its own months reported), and
    `score` each forecast month against the `live` deliveries where they report it."""
    cutoff = pd.Period(data_through, freq="M")
    year = int(target_year or cutoff.year)
    data_now = snapshot(frozen, cutoff, holidays)
    backtests, forecasts = {}, {}
    for maker, series in data_now.series.items():
        k = months_reported(series, year)
        if k not in backtests:
            backtests[k] = run_backtest(
                frozen,
                cutoff,
                holidays,
                backtest_paths,
                seed,
                "inverse_error",
                curve_window_months,
                k,
            )
        projection = project(
            data_now, maker, 1.0, year, holidays, backtests[k], n_paths, seed, curve_window_months
        )
        forecasts[maker] = projection.forecast
    table = quantile_table(forecasts)
    return score(table, series_at(live, pd.Period("2100-12", freq="M")))


def record_track(scored: pd.DataFrame, month_ends_: pd.DataFrame, name: str) -> None:
    """The track record as results, for the summary: the share of months reported since that fell
    inside earlier runs' 80% bands, else the share of the last month-ends' ranges that held."""
    if len(scored):
        total = coverage(scored).iloc[0]
        results.record(
            names.TRACK_INSIDE80_PCT,
            total["inside80_pct"],
            "pct",
            f"months reported since that fell inside earlier runs' 80% bands ({int(total['months'])} months, all makers)",
        )
    elif len(month_ends_):
        share = 100 * float(month_ends_["inside80"].astype(float).mean())
        results.record(
            names.TRACK_INSIDE80_PCT,
            share,
            "pct",
            f"last {len(month_ends_)} month-ends at which this method's 80% range for {name}'s year held the outcome",
        )


def series_now(inputs) -> dict[str, pd.Series]:
    """Every maker's months as this run knows them (up to its cutoff): what earlier forecasts
    are scored against."""
    return series_at(inputs.deliveries, inputs.settings.cutoff)
