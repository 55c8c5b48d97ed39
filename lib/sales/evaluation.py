"""How good the forecasts are: naive baselines, a rolling-origin backtest from December cutoffs
scored on the next calendar year's total, its summary against the project's goal, the best blend
chosen with hindsight (a bound, not a forecast) and residual diagnostics of the models.

Errors are in percent of the actual total; intervals are 80% (10th-90th percentile).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from statsmodels.stats.diagnostic import acorr_ljungbox

from lib.sales.inputs import WEIGHTINGS, annual_totals, series_at
from lib.sales.models import MODEL_LABELS, MODELS
from lib.sales.seasonality import snapshot
from lib.sales.simulation import (
    BACKTEST_STREAM,
    MakerForecast,
    calibration_factor,
    forecast_maker,
    implied_sd,
    maker_rng,
    single_threaded_blas,
)

BASELINES = ("last_year_total", "last_year_growth", "seasonal_naive", "q4_run_rate")
BASELINE_LABELS = {
    "last_year_total": "Naive: last year's total",
    "last_year_growth": "Naive: last year's growth carried forward",
    "seasonal_naive": "Naive: seasonal (same month last year)",
    "q4_run_rate": "Naive: Q4 run-rate x 4",
}
LABELS = {**MODEL_LABELS, "combination": "Skill-weighted combination", **BASELINE_LABELS}
MIN_SCORED_FOR_BASELINE_INTERVAL = 4  # earlier errors of a naive rule before it gets an interval
# The project's forecast-quality goal: next-year totals missed by at most 15% on average, with
# 80% intervals that hold 70-90% of outcomes (README, "The answers so far").
GOAL_MAPE_PCT = 15.0
GOAL_COVERAGE_PCT = (70.0, 90.0)
LJUNG_BOX_MAX_LAGS = 12  # a year of monthly residuals; fewer when the residuals are short


def baseline_forecasts(series: pd.Series, target_year: int) -> dict[str, float]:
    """Naive forecasts of `target_year`'s total from data up to December of the year before
    (vehicles); NaN when the needed year is incomplete."""
    totals = annual_totals(series)

    def full(year: int) -> float:
        if year in totals.index and totals.loc[year, "complete"]:
            return float(totals.loc[year, "sum_of_months"])
        return np.nan

    last, before = full(target_year - 1), full(target_year - 2)
    q4 = series.reindex(pd.period_range(f"{target_year - 1}-10", f"{target_year - 1}-12", freq="M"))
    same_month = series.reindex(
        pd.period_range(f"{target_year - 1}-01", f"{target_year - 1}-12", freq="M")
    )
    return {
        "last_year_total": last,
        "last_year_growth": last * last / before if before > 0 else np.nan,
        "seasonal_naive": float(same_month.sum()) if same_month.notna().all() else np.nan,
        "q4_run_rate": float(4 * q4.sum()) if q4.notna().all() else np.nan,
    }


def backtest_cases(series_by_maker: dict[str, pd.Series]) -> pd.DataFrame:
    """Maker-years that can be scored: the year and the year before are complete in the data.

    `headline` marks the cases where the two years before are complete too (every baseline,
    including last year's growth, can be computed): the set the forecast-quality goal uses."""
    rows = []
    for maker, series in series_by_maker.items():
        totals = annual_totals(series)
        complete = set(totals.index[totals["complete"]])
        for year in sorted(complete):
            if year - 1 in complete:
                rows.append(
                    {
                        "maker": maker,
                        "target_year": int(year),
                        "cutoff": pd.Period(f"{year - 1}-12", freq="M"),
                        "actual": float(totals.loc[year, "sum_of_months"]),
                        "headline": (year - 2) in complete,
                    }
                )
    return pd.DataFrame(rows, columns=["maker", "target_year", "cutoff", "actual", "headline"])


@dataclass
class Backtest:
    """Scored forecasts: one row per maker-year and method (models, combination, baselines)
    with median and 80% interval (vehicles), error (percent of actual) and coverage."""

    rows: pd.DataFrame
    skipped: pd.DataFrame
    weights: pd.DataFrame
    calibration: pd.DataFrame
    weighting: str


SCORE_COLUMNS = ["target_year", "method", "abs_error_pct", "log_error", "implied_sd"]


def _score(row: dict) -> dict:
    actual, median = row["actual"], row["median"]
    row["error_pct"] = 100 * (median / actual - 1)
    row["abs_error_pct"] = abs(row["error_pct"])
    row["log_error"] = float(np.log(actual / median))
    if np.isfinite(row.get("p10", np.nan)) and np.isfinite(row.get("p90", np.nan)):
        row["covered"] = float(row["p10"] <= actual <= row["p90"])
        row["implied_sd"] = implied_sd(row["p10"], row["p90"])
    else:
        row["covered"] = np.nan
        row["implied_sd"] = np.nan
    return row


BACKTEST_COLUMNS = [
    "maker", "target_year", "method", "kind", "headline", "actual", "median", "p10", "p90",
    "error_pct", "abs_error_pct", "log_error", "covered", "implied_sd", "raw_implied_sd",
]  # fmt: skip


@single_threaded_blas()
def run_backtest(
    deliveries: pd.DataFrame,
    cutoff: pd.Period,
    holidays: pd.DataFrame,
    n_paths: int = 1000,
    seed: int = 0,
    weighting: str = "inverse_error",
    curve_window_months: int = 24,
) -> Backtest:
    """Rolling-origin backtest over every maker-year that ended by `cutoff`.

    For target year Y every forecast uses only data up to December of Y-1 (all makers' series are
    cut there, including the pooled seasonal profile). The combination's weights use only cases
    with target years before Y, and so do its interval calibration and the baselines' intervals."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}; got {weighting!r}")
    cases = backtest_cases(series_at(deliveries, cutoff))
    rows, skipped, weight_rows, calibration_rows = [], [], [], []
    for year in sorted(cases["target_year"].unique()):
        then = snapshot(deliveries, pd.Period(f"{year - 1}-12", freq="M"), holidays)
        earlier = pd.DataFrame(rows, columns=BACKTEST_COLUMNS)
        combo_scores = earlier[earlier["method"] == "combination"]
        factor = calibration_factor(combo_scores)
        calibration_rows.append(
            {"target_year": int(year), "factor": factor, "cases_used": len(combo_scores)}
        )
        for case in cases[cases["target_year"] == year].itertuples():
            series = then.series[case.maker]
            forecast = forecast_maker(
                series,
                int(year),
                holidays,
                then.profile,
                n_paths,
                maker_rng(seed, case.maker, int(year), BACKTEST_STREAM),
                weights_from=earlier[earlier["method"].isin(MODELS)],
                calibration=factor,
                weighting=weighting,
                curve_window_months=curve_window_months,
            )
            where = {"maker": case.maker, "target_year": int(year)}
            skipped += [{**where, "method": m, "reason": r} for m, r in forecast.skipped.items()]
            weight_rows += [
                {**where, "method": m, "weight": w} for m, w in forecast.weights.items()
            ]
            base = {**where, "actual": case.actual, "headline": bool(case.headline)}
            for method, totals in forecast.annual.items():
                p10, median, p90 = np.quantile(totals, [0.1, 0.5, 0.9])
                kind = "combination" if method == "combination" else "model"
                row = _score({**base, "method": method, "kind": kind, "median": median, "p10": p10, "p90": p90})  # fmt: skip
                row["raw_implied_sd"] = row["implied_sd"]
                if method == "combination" and forecast.uncalibrated is not None:
                    row["raw_implied_sd"] = implied_sd(*np.quantile(forecast.uncalibrated, [0.1, 0.9]))
                rows.append(row)
            for method, point in baseline_forecasts(series, int(year)).items():
                if np.isfinite(point):
                    low, high = _baseline_interval(earlier, method, point)
                    rows.append(_score({**base, "method": method, "kind": "baseline", "median": point, "p10": low, "p90": high}))  # fmt: skip
    return Backtest(
        pd.DataFrame(rows, columns=BACKTEST_COLUMNS),
        pd.DataFrame(skipped, columns=["maker", "target_year", "method", "reason"]),
        pd.DataFrame(weight_rows, columns=["maker", "target_year", "method", "weight"]),
        pd.DataFrame(calibration_rows, columns=["target_year", "factor", "cases_used"]),
        weighting,
    )


def _baseline_interval(earlier: pd.DataFrame, method: str, point: float) -> tuple[float, float]:
    """80% interval of a naive forecast from the 10th/90th percentiles of its own earlier log
    errors (NaN with fewer than 4 earlier cases)."""
    errors = earlier.loc[earlier["method"] == method, "log_error"].dropna()
    if len(errors) < MIN_SCORED_FOR_BASELINE_INTERVAL:
        return np.nan, np.nan
    low, high = np.quantile(errors, [0.1, 0.9])
    return point * float(np.exp(low)), point * float(np.exp(high))


def backtest_summary(backtest: Backtest, headline_only: bool = True) -> pd.DataFrame:
    """Per method: cases scored, mean absolute percentage error, median bias and 80% coverage."""
    rows = backtest.rows
    if headline_only:
        rows = rows.loc[rows["headline"].astype(bool)]
    order = ["combination", *MODELS, *BASELINES]
    summary = []
    for method in order:
        scored = rows[rows["method"] == method]
        if scored.empty:
            continue
        covered = scored["covered"].dropna()
        summary.append(
            {
                "method": method,
                "label": LABELS[method],
                "cases": len(scored),
                "mape_pct": float(scored["abs_error_pct"].mean()),
                "median_ape_pct": float(scored["abs_error_pct"].median()),
                "bias_pct": float(100 * (np.exp(-scored["log_error"].mean()) - 1)),
                "coverage80_pct": float(100 * covered.mean()) if len(covered) else np.nan,
                "cases_with_interval": len(covered),
            }
        )
    columns = [
        "method", "label", "cases", "mape_pct", "median_ape_pct", "bias_pct", "coverage80_pct",
        "cases_with_interval",
    ]  # fmt: skip
    return pd.DataFrame(summary, columns=columns)


def final_calibration(backtest: Backtest) -> float:
    """Interval calibration for a forecast made after every backtest year ended."""
    return calibration_factor(backtest.rows[backtest.rows["method"] == "combination"])


@dataclass(frozen=True)
class HindsightBlend:
    """The fixed blend of the backtest's forecasts (weighted geometric mean of their medians) with
    the lowest mean absolute percentage error over the headline maker-years, chosen KNOWING the
    outcomes. Not a forecast: a bound on what reweighting these methods could have achieved."""

    weights: dict[str, float]
    mape_pct: float
    cases: int


def hindsight_blend(backtest: Backtest) -> HindsightBlend | None:
    """Search, with hindsight, the weights (non-negative, summing to one) on the combination, the
    models and the naive rules scored on every headline maker-year that minimise the mean absolute
    percentage error of the weighted geometric mean of their medians; None with fewer than 3 cases.

    Nelder-Mead on softmax weights from every single method and from equal weights; the single
    methods themselves are candidates, so the result is never worse than the best of them."""
    rows = backtest.rows[backtest.rows["headline"].astype(bool)]
    table = rows.pivot_table(index=["maker", "target_year"], columns="method", values="median")
    table = table.dropna(axis=1)
    if len(table) < 3 or table.shape[1] == 0:
        return None
    actual = rows.groupby(["maker", "target_year"])["actual"].first().reindex(table.index)
    log_median, log_actual = np.log(table.to_numpy()), np.log(actual.to_numpy())

    def error(weights: np.ndarray) -> float:
        return float(100 * np.mean(np.abs(np.expm1(log_median @ weights - log_actual))))

    def softmax(theta: np.ndarray) -> np.ndarray:
        shifted = np.exp(theta - theta.max())
        return shifted / shifted.sum()

    methods = list(table.columns)
    candidates = [np.eye(len(methods))[i] for i in range(len(methods))]
    for start in [np.zeros(len(methods)), *(4.0 * w for w in candidates)]:
        solution = minimize(
            lambda theta: error(softmax(theta)), start, method="Nelder-Mead",
            options={"maxiter": 4000, "xatol": 1e-4, "fatol": 1e-6},
        )  # fmt: skip
        candidates.append(softmax(solution.x))
    best = min(candidates, key=error)
    return HindsightBlend(
        {m: float(w) for m, w in zip(methods, best, strict=True) if w >= 0.005},
        error(best),
        len(table),
    )


def model_diagnostics(forecast: MakerForecast) -> pd.DataFrame:
    """Per model that ran: weight, residual sd and Ljung-Box p-value (lag 12, or fewer when the
    residuals are short) of its standardized in-sample residuals, and its target-year range."""
    rows = []
    for name, run in forecast.runs.items():
        residuals = run.residuals.dropna()
        lags = int(min(LJUNG_BOX_MAX_LAGS, max(1, len(residuals) // 4)))
        p_value = (
            float(acorr_ljungbox(residuals.to_numpy(), lags=[lags])["lb_pvalue"].iloc[0])
            if len(residuals) > lags + 2
            else np.nan
        )
        p10, median, p90 = forecast.quantiles(name)
        rows.append(
            {
                "model": MODEL_LABELS[name],
                "weight": forecast.weights.get(name, 0.0),
                "p10_units": p10,
                "median_units": median,
                "p90_units": p90,
                "residual_months": len(residuals),
                "ljung_box_lags": lags,
                "ljung_box_p": p_value,
                "note": run.note,
            }
        )
    columns = [
        "model", "weight", "p10_units", "median_units", "p90_units", "residual_months",
        "ljung_box_lags", "ljung_box_p", "note",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class Headline:
    """Backtest figures the answer quotes: the combination's and the best naive rule's mean
    absolute error (percent), the combination's 80% coverage (percent) and the cases scored."""

    mape_chosen_pct: float
    coverage80_chosen_pct: float
    mape_best_naive_pct: float
    best_naive_label: str
    cases: int

    @classmethod
    def from_summary(cls, summary: pd.DataFrame) -> Headline:
        rows = summary.set_index("method")
        naive = rows[rows.index.isin(BASELINES)].sort_values("mape_pct")
        chosen = rows.loc["combination"] if "combination" in rows.index else None
        return cls(
            float(chosen["mape_pct"]) if chosen is not None else np.nan,
            float(chosen["coverage80_pct"]) if chosen is not None else np.nan,
            float(naive["mape_pct"].iloc[0]) if len(naive) else np.nan,
            str(naive["label"].iloc[0]) if len(naive) else "none",
            int(chosen["cases"]) if chosen is not None else 0,
        )

    def meets_goal(self, goal_mape_pct: float, coverage_range: tuple[float, float]) -> bool:
        low, high = coverage_range
        return bool(
            self.mape_chosen_pct <= goal_mape_pct and low <= self.coverage80_chosen_pct <= high
        )
