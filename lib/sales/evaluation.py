"""How good the forecasts are: naive baselines, a rolling-origin backtest from December cutoffs
scored on the next calendar year's total, its summary against the project's goal, the best blend
chosen with hindsight (a bound, not a forecast) and residual diagnostics of the models.

Errors are in percent of the actual total; intervals are 80% (10th-90th percentile).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from statsmodels.stats.diagnostic import acorr_ljungbox

from lib import cache, paths
from lib.sales.inputs import annual_totals, series_at
from lib.sales.models import MODEL_LABELS, MODELS
from lib.sales.params import WEIGHTINGS
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

# Naive rules at a cutoff with k months of the target year reported (k = 0: a December cutoff):
# the reported months plus last year's remaining months (seasonal naive; at k = 0 last year's
# total), the same with the year-to-date growth carried forward (at k = 0 last year's growth),
# and the last three months' run-rate for the remaining months (at k = 0 the Q4 run-rate x 4).
BASELINES = ("last_year_total", "last_year_growth", "q4_run_rate")
BASELINE_LABELS = {
    "last_year_total": "Naive: last year's months",
    "last_year_growth": "Naive: last year's growth carried forward",
    "q4_run_rate": "Naive: last 3 months' run-rate",
}
LABELS = {
    **MODEL_LABELS,
    "combination": "Skill-weighted combination",
    **BASELINE_LABELS,
    "stacked": "Stacked: CRPS weights per horizon, calibrated",  # lib.sales.stacking
}
MIN_SCORED_FOR_BASELINE_INTERVAL = 4  # earlier errors of a naive rule before it gets an interval
ALPHA80 = 0.2  # an 80% interval misses 20% of outcomes: the interval score's penalty is 2 / 0.2
LJUNG_BOX_MAX_LAGS = 12  # a year of monthly residuals; fewer when the residuals are short


def cutoff_for(target_year: int, months_reported: int) -> pd.Period:
    """The month-end with `months_reported` months of `target_year` known (0: December before)."""
    return pd.Period(f"{target_year - 1}-12", freq="M") + int(months_reported)


def baseline_forecasts(
    series: pd.Series, target_year: int, months_reported: int = 0
) -> dict[str, float]:
    """Naive forecasts of `target_year`'s total (vehicles) from data up to month
    `months_reported` of that year (0: December of the year before); NaN when a month a rule
    needs is unknown."""
    k = int(months_reported)
    cutoff = cutoff_for(target_year, k)
    last = series.reindex(pd.period_range(f"{target_year - 1}-01", periods=12, freq="M"))
    known = series.reindex(pd.period_range(f"{target_year}-01", periods=12, freq="M")[:k])
    recent = series.reindex(pd.period_range(cutoff - 2, cutoff, freq="M"))
    if last.isna().any() or known.isna().any():
        return dict.fromkeys(BASELINES, np.nan)
    so_far, rest = float(known.sum()), float(last.iloc[k:].sum())
    if k:
        growth = so_far / float(last.iloc[:k].sum())
    else:
        before = series.reindex(pd.period_range(f"{target_year - 2}-01", periods=12, freq="M"))
        growth = float(last.sum() / before.sum()) if before.notna().all() else np.nan
    return {
        "last_year_total": so_far + rest,
        "last_year_growth": so_far + rest * growth,
        "q4_run_rate": so_far + (12 - k) * float(recent.mean()) if recent.notna().all() else np.nan,
    }


def crps(sample: np.ndarray, actual: float) -> float:
    """Continuous ranked probability score of a sample forecast (same unit as the sample):
    E|X - y| - E|X - X'| / 2, from the sorted sample (Gneiting & Raftery 2007)."""
    x = np.sort(np.asarray(sample, dtype=float))
    n = len(x)
    spread = np.sum((2 * np.arange(1, n + 1) - n - 1) * x) / n**2
    return float(np.mean(np.abs(x - actual)) - spread)


def interval_score(low: float, high: float, actual: float, alpha: float = ALPHA80) -> float:
    """Interval score of a central (1 - alpha) interval: its width plus 2 / alpha times the
    distance by which it misses the outcome (Gneiting & Raftery 2007); lower is better."""
    return (high - low) + 2 / alpha * (max(low - actual, 0.0) + max(actual - high, 0.0))


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


PERCENTILES = np.arange(1, 100) / 100
PERCENTILE_COLUMNS = [f"q{i:02d}" for i in range(1, 100)]
QUANTILE_KEY = ["maker", "target_year", "method"]
# The combination's monthly forecasts in the backtest: each simulated month of the target year
# with its 10th, 50th and 90th percentiles (vehicles) and the month as reported.
MONTHLY_COLUMNS = ["maker", "target_year", "months_reported", "month", "p10", "p50", "p90"]
MONTHLY_COLUMNS += ["actual", "inside80"]


@dataclass
class Backtest:
    """Scored forecasts: one row per maker-year and method (models, combination, baselines)
    with median and 80% interval (vehicles), error (percent of actual) and coverage; and the
    percentiles of every method's annual totals (`quantiles`: maker, target_year, method, then
    PERCENTILE_COLUMNS), from which the chance of any target follows; and the combination's
    monthly 80% bands against the months as reported (`monthly`, MONTHLY_COLUMNS)."""

    rows: pd.DataFrame
    skipped: pd.DataFrame
    weights: pd.DataFrame
    calibration: pd.DataFrame
    weighting: str
    quantiles: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=[*QUANTILE_KEY, *PERCENTILE_COLUMNS])
    )
    monthly: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MONTHLY_COLUMNS))

    def chance(self, maker: str, target_year: int, method: str, target: float) -> float:
        """The chance a forecast in the backtest gave of at least `target` (NaN: none made)."""
        table = self.quantiles
        found = table[
            (table["maker"] == maker)
            & (table["target_year"] == target_year)
            & (table["method"] == method)
        ]
        if found.empty:
            return np.nan
        return chance_of_at_least(found[PERCENTILE_COLUMNS].iloc[0].to_numpy(float), target)


def percentile_row(where: dict, method: str, sample: np.ndarray) -> dict:
    """The 1st-99th percentiles of a forecast sample of annual totals, keyed by maker-year."""
    return {
        **where,
        "method": method,
        **dict(zip(PERCENTILE_COLUMNS, np.quantile(sample, PERCENTILES), strict=True)),
    }


def chance_of_at_least(percentiles, target: float) -> float:
    """P(total >= target) read off a forecast's 1st-99th percentiles: the share of the
    distribution above the target, interpolated linearly between percentiles (0.5% beyond the
    1st or 99th: the middle of the tail the target falls in)."""
    q = np.asarray(percentiles, dtype=float)
    if not np.isfinite(q).all():
        return np.nan
    if target <= q[0]:
        return 0.995
    if target > q[-1]:
        return 0.005
    return float(1 - np.interp(target, q, PERCENTILES))


SCORE_COLUMNS = ["target_year", "method", "abs_error_pct", "log_error", "implied_sd"]


def score_row(row: dict, sample: np.ndarray | None = None) -> dict:
    """Errors of a forecast row (percent of the actual), and with a sample its 80% interval,
    coverage, interval score and CRPS (percent of the actual)."""
    actual = row["actual"]
    if sample is not None and len(sample):
        p10, median, p90 = np.quantile(sample, [0.1, 0.5, 0.9])
        row.update(p10=p10, p90=p90, median=row.get("median", median))
        row["crps_pct"] = 100 * crps(sample, actual) / actual
        row["interval_score_pct"] = 100 * interval_score(row["p10"], row["p90"], actual) / actual
        row["covered"] = float(row["p10"] <= actual <= row["p90"])
        row["implied_sd"] = implied_sd(row["p10"], row["p90"])
    else:
        row.update(p10=np.nan, p90=np.nan, crps_pct=np.nan, interval_score_pct=np.nan)
        row.update(covered=np.nan, implied_sd=np.nan)
    row["raw_implied_sd"] = row["implied_sd"]
    median = row["median"]
    row["error_pct"] = 100 * (median / actual - 1)
    row["abs_error_pct"] = abs(row["error_pct"])
    row["log_error"] = float(np.log(actual / median))
    return row


BACKTEST_COLUMNS = [
    "maker",
    "target_year",
    "method",
    "kind",
    "headline",
    "actual",
    "median",
    "p10",
    "p90",
    "error_pct",
    "abs_error_pct",
    "log_error",
    "covered",
    "implied_sd",
    "raw_implied_sd",
    "crps_pct",
    "interval_score_pct",
    "months_reported",
]


@cache.memoize(Backtest)  # the same for every maker: computed once per data, code, parameters
@single_threaded_blas()
def run_backtest(
    deliveries: pd.DataFrame,
    cutoff: pd.Period,
    holidays: pd.DataFrame,
    n_paths: int = 1000,
    seed: int = 0,
    weighting: str = "inverse_error",
    curve_window_months: int = 24,
    months_reported: int = 0,
) -> Backtest:
    """Rolling-origin backtest over every maker-year that ended by `cutoff`, from the month-end
    with `months_reported` months of the target year known (0: December cutoffs).

    For target year Y every forecast uses only data up to that month-end (all makers' series are
    cut there, including the pooled seasonal profile). The combination's weights use only cases
    with target years before Y, and so do its interval calibration and the baselines' intervals,
    all at the same horizon: the calibration learned here is the one for that many months known."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}; got {weighting!r}")
    k = int(months_reported)
    reported = series_at(deliveries, cutoff)
    cases = backtest_cases(reported)
    rows, skipped, weight_rows, calibration_rows, percentiles, monthly = [], [], [], [], [], []
    for year in sorted(cases["target_year"].unique()):
        then = snapshot(deliveries, cutoff_for(int(year), k), holidays)
        earlier = pd.DataFrame(rows, columns=BACKTEST_COLUMNS)
        combo_scores = earlier[earlier["method"] == "combination"]
        factor = calibration_factor(combo_scores)
        calibration_rows.append(
            {"target_year": int(year), "factor": factor, "cases_used": len(combo_scores)}
        )
        for case in cases[cases["target_year"] == year].itertuples():
            if case.maker not in then.series:
                continue
            series = then.series[case.maker]
            forecast = forecast_maker(
                series,
                int(year),
                holidays,
                then.profile,
                n_paths,
                maker_rng(seed, case.maker, int(year), BACKTEST_STREAM, *([k] if k else [])),
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
            base = {
                **where,
                "actual": case.actual,
                "headline": bool(case.headline),
                "months_reported": k,
            }
            for method, totals in forecast.annual.items():
                kind = "combination" if method == "combination" else "model"
                row = score_row({**base, "method": method, "kind": kind}, totals)
                if method == "combination" and forecast.uncalibrated is not None:
                    raw = np.quantile(forecast.uncalibrated, [0.1, 0.9])
                    row["raw_implied_sd"] = implied_sd(*raw)
                rows.append(row)
                if len(totals):
                    percentiles.append(percentile_row(where, method, totals))
            monthly += monthly_bands(forecast, reported[case.maker], k)
            for method, point in baseline_forecasts(series, int(year), k).items():
                if np.isfinite(point):
                    sample = _baseline_sample(earlier, method, point)
                    rows.append(
                        score_row(
                            {**base, "method": method, "kind": "baseline", "median": point}, sample
                        )
                    )
                    if sample is not None and len(sample):
                        percentiles.append(percentile_row(where, method, sample))
    return Backtest(
        pd.DataFrame(rows, columns=BACKTEST_COLUMNS),
        pd.DataFrame(skipped, columns=["maker", "target_year", "method", "reason"]),
        pd.DataFrame(weight_rows, columns=["maker", "target_year", "method", "weight"]),
        pd.DataFrame(calibration_rows, columns=["target_year", "factor", "cases_used"]),
        weighting,
        pd.DataFrame(percentiles, columns=[*QUANTILE_KEY, *PERCENTILE_COLUMNS]),
        pd.DataFrame(monthly, columns=MONTHLY_COLUMNS),
    )


def monthly_bands(forecast: MakerForecast, reported: pd.Series, months_reported: int) -> list:
    """The combination's 10th/50th/90th percentiles of each simulated month of the target year
    against that month as reported (months still unknown in the data are left out)."""
    if forecast.combined.size == 0:
        return []
    months = forecast.request.months
    bands = np.quantile(forecast.combined, [0.1, 0.5, 0.9], axis=0)
    out = []
    for i, month in enumerate(months):
        actual = reported.get(month, np.nan)
        if month.year != forecast.target_year or not np.isfinite(actual) or actual <= 0:
            continue
        p10, p50, p90 = (float(b) for b in bands[:, i])
        out.append(
            {
                "maker": forecast.maker,
                "target_year": forecast.target_year,
                "months_reported": months_reported,
                "month": str(month),
                "p10": p10,
                "p50": p50,
                "p90": p90,
                "actual": float(actual),
                "inside80": float(p10 <= actual <= p90),
            }
        )
    return out


def _baseline_sample(earlier: pd.DataFrame, method: str, point: float) -> np.ndarray | None:
    """A naive rule's predictive sample: its point forecast times each of its own earlier errors
    (exp of log errors) at the same horizon; None with fewer than 4 earlier cases. The point
    forecast itself is scored for the error; the sample for the interval and the CRPS."""
    errors = earlier.loc[earlier["method"] == method, "log_error"].dropna().to_numpy()
    if len(errors) < MIN_SCORED_FOR_BASELINE_INTERVAL:
        return None
    return point * np.exp(errors)


SUMMARY_COLUMNS = [
    "method",
    "label",
    "cases",
    "mape_pct",
    "median_ape_pct",
    "bias_pct",
    "coverage80_pct",
    "interval_score_pct",
    "crps_pct",
    "cases_with_interval",
]


def summarise(scored: pd.DataFrame, method: str, label: str | None = None) -> dict:
    """One method's scores over its cases: mean and median absolute error, median bias (percent),
    80% coverage, mean interval score and CRPS (percent of the actual), over the cases that have
    an interval for the last three."""
    covered = scored["covered"].dropna()
    with_interval = scored.dropna(subset=["covered"])
    return {
        "method": method,
        "label": label or LABELS.get(method, method),
        "cases": len(scored),
        "mape_pct": float(scored["abs_error_pct"].mean()),
        "median_ape_pct": float(scored["abs_error_pct"].median()),
        "bias_pct": float(100 * (np.exp(-scored["log_error"].mean()) - 1)),
        "coverage80_pct": float(100 * covered.mean()) if len(covered) else np.nan,
        "interval_score_pct": _mean(with_interval, "interval_score_pct"),
        "crps_pct": _mean(with_interval, "crps_pct"),
        "cases_with_interval": len(covered),
    }


def _mean(frame: pd.DataFrame, column: str) -> float:
    return float(frame[column].mean()) if column in frame.columns and len(frame) else np.nan


def backtest_summary(backtest: Backtest, headline_only: bool = True) -> pd.DataFrame:
    """Per method: cases scored, errors, bias, 80% coverage, interval score and CRPS."""
    rows = backtest.rows
    if headline_only:
        rows = rows.loc[rows["headline"].astype(bool)]
    order = ["combination", *MODELS, *BASELINES]
    summary = [
        summarise(rows[rows["method"] == m], m) for m in order if (rows["method"] == m).any()
    ]
    return pd.DataFrame(summary, columns=SUMMARY_COLUMNS)


HORIZONS = tuple(range(12))  # months of the target year reported at the cutoff


def horizon_backtests(
    deliveries: pd.DataFrame,
    cutoff: pd.Period,
    holidays: pd.DataFrame,
    horizons=HORIZONS,
    n_paths: int = 1000,
    seed: int = 0,
    weighting: str = "inverse_error",
    curve_window_months: int = 24,
) -> dict[int, Backtest]:
    """The rolling-origin backtest at every month-end: one backtest per number of months of the
    target year reported (each with its own weights and calibration), by that number."""
    return {
        k: run_backtest(
            deliveries, cutoff, holidays, n_paths, seed, weighting, curve_window_months, k
        )
        for k in horizons
    }


def horizon_summary(rows: pd.DataFrame, headline_only: bool = True) -> pd.DataFrame:
    """`summarise` per method and months reported (column `months_reported`)."""
    if headline_only:
        rows = rows.loc[rows["headline"].astype(bool)]
    out = [
        {"months_reported": int(k), **summarise(group, method)}
        for (k, method), group in rows.groupby(["months_reported", "method"], sort=True)
    ]
    return pd.DataFrame(out, columns=["months_reported", *SUMMARY_COLUMNS])


def paired_bootstrap(
    rows: pd.DataFrame,
    method: str,
    other: str,
    score: str = "crps_pct",
    n_boot: int = 2000,
    seed: int = 0,
    cluster: tuple[str, ...] | None = None,
) -> dict:
    """How much lower `method`'s mean `score` is than `other`'s on the cases both scored, as a
    ratio (mean / other's mean - 1) with a 95% interval from resampling the paired cases; with
    `cluster` (e.g. maker and target year) whole groups of cases are resampled, because the
    forecasts of one maker-year at its twelve month-ends miss together."""
    key = ["maker", "target_year", "months_reported"]
    pair = (
        rows[rows["method"] == method]
        .set_index(key)[score]
        .rename("a")
        .to_frame()
        .join(rows[rows["method"] == other].set_index(key)[score].rename("b"), how="inner")
        .dropna()
    )
    if len(pair) < 2:
        return {"cases": len(pair), "ratio": np.nan, "low": np.nan, "high": np.nan}
    groups = pair.groupby(list(cluster)) if cluster else pair.groupby(level=key)
    sums = groups[["a", "b"]].sum().to_numpy()
    draws = np.random.default_rng(seed).integers(0, len(sums), size=(n_boot, len(sums)))
    ratios = sums[draws, 0].sum(axis=1) / sums[draws, 1].sum(axis=1) - 1
    low, high = np.quantile(ratios, [0.025, 0.975])
    return {
        "cases": len(pair),
        "clusters": len(sums),
        "ratio": float(pair["a"].mean() / pair["b"].mean() - 1),
        "mean": float(pair["a"].mean()),  # on the paired cases only
        "other_mean": float(pair["b"].mean()),
        "low": float(low),
        "high": float(high),
    }


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
            lambda theta: error(softmax(theta)),
            start,
            method="Nelder-Mead",
            options={"maxiter": 4000, "xatol": 1e-4, "fatol": 1e-6},
        )
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
        "model",
        "weight",
        "p10_units",
        "median_units",
        "p90_units",
        "residual_months",
        "ljung_box_lags",
        "ljung_box_p",
        "note",
    ]
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


# ---------------------------------------------------------------------------------------------
# The peer comparison at every horizon (`python -m bench.peers` writes it; notebook 01 reads it)

PEER_LABELS = {
    "sf_autoets": "statsforecast AutoETS",
    "sf_autoarima": "statsforecast AutoARIMA",
    "sf_autotheta": "statsforecast AutoTheta",
    "sf_mean": "statsforecast mean of the three",
}
SHOWN_HORIZONS = (0, 3, 6, 9)  # months reported the readers' table shows


@dataclass(frozen=True)
class PeerScores:
    """Scores per method and months reported (`horizon_summary` columns), the paired bootstrap
    comparisons of the combination with each peer, and the data they were computed on."""

    summary: pd.DataFrame
    comparisons: pd.DataFrame
    data_through: str
    seconds: float
    cases: pd.DataFrame | None = None  # every scored forecast (maker, year, horizon, method)
    year: pd.DataFrame | None = None  # per method, scores averaged over k = 0..11 (headline)
    year_all: pd.DataFrame | None = None  # the same over every maker-year scored
    year_comparisons: pd.DataFrame | None = None  # answer's method vs each other, k = 0..11
    maker_years: dict | None = None  # maker-years scored: {"headline": n, "all": n}
    monthly_bands: dict | None = None  # monthly 80% bands: "rolling" and "out_of_sample"
    answer_method: str = "combination"

    def best_peer(self, months_reported: int, score: str = "crps_pct") -> str | None:
        """The peer (statsforecast or naive rule) with the lowest `score` at this horizon."""
        at = self.summary[
            (self.summary["months_reported"] == months_reported)
            & self.summary["method"].isin([*PEER_LABELS, *BASELINES])
        ].dropna(subset=[score])
        return None if at.empty else str(at.sort_values(score)["method"].iloc[0])

    def year_score(self, method: str, score: str) -> float:
        """`method`'s `score` averaged over k = 0..11 on the headline maker-years (NaN: none)."""
        if self.year is None:
            return np.nan
        found = self.year[self.year["method"] == method]
        return float(found[score].iloc[0]) if len(found) else np.nan

    def versus(self, other: str, score: str, cases_set: str = "headline") -> dict | None:
        """The answer's method against `other` over k = 0..11: ratio of mean scores - 1 with
        its paired bootstrap 95% interval (maker-years resampled), or None."""
        table = self.year_comparisons
        if table is None or table.empty:
            return None
        found = table[
            (table["other"] == other)
            & (table["score"] == score)
            & (table["cases_set"] == cases_set)
        ]
        return found.iloc[0].to_dict() if len(found) else None

    def score(self, method: str, months_reported: int, score: str) -> float:
        at = self.summary[
            (self.summary["method"] == method)
            & (self.summary["months_reported"] == months_reported)
        ]
        return float(at[score].iloc[0]) if len(at) else np.nan


def load_peer_scores(path: Path = paths.PEER_SCORES) -> PeerScores | None:
    """The committed peer comparison, or None when it has not been computed."""
    if not Path(path).exists():
        return None
    payload = json.loads(Path(path).read_text())
    return PeerScores(
        pd.DataFrame(payload["summary"]),
        pd.DataFrame(payload["comparisons"]),
        payload["data_through"],
        float(payload["seconds"]["total"]),
        pd.DataFrame(payload["cases"]) if payload.get("cases") else None,
        *(
            pd.DataFrame(payload[key]) if payload.get(key) else None
            for key in ("year", "year_all", "year_comparisons")
        ),
        payload.get("maker_years"),
        payload.get("monthly_bands"),
        payload.get("answer_method", "combination"),
    )


RUN_RATE, STATSFORECAST = "q4_run_rate", "sf_mean"  # the rivals the answer is said against


def year_scores(scores: PeerScores) -> pd.DataFrame:
    """Every method's scores over k = 0..11 (headline maker-years), best mean CRPS first, with
    the answer's method's ratio to each (mean CRPS and interval score / the method's - 1) and
    their paired bootstrap 95% intervals (maker-years resampled)."""
    columns = ["method", "label", "maker_years", "cases", "crps_pct", "interval_score_pct"]
    columns += ["coverage80_pct", "mape_pct"]
    if scores.year is None:
        return pd.DataFrame(columns=columns)
    table = scores.year[columns].sort_values("crps_pct").reset_index(drop=True)
    for score, stem in (("crps_pct", "crps"), ("interval_score_pct", "interval_score")):
        for part in ("ratio", "low", "high"):
            table[f"answer_vs_{stem}_{part}"] = [
                (scores.versus(m, score) or {}).get(part, np.nan) for m in table["method"]
            ]
    return table
