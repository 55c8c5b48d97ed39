"""Simulation of the answer: the models' paths mixed with weights from backtest skill, their
spread calibrated on earlier intervals, and each path's total for the target year.

Every weight and calibration factor passed in uses only maker-years that had ended by the cutoff
it is applied at, so neither the backtest nor the answer looks ahead. Random streams are seeded
per maker from a stable hash of its key (`maker_rng`), never from its position in a list.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from lib.sales.inputs import InsufficientHistory
from lib.sales.models import (
    MODEL_LABELS,
    MODELS,
    ModelRun,
    SimulationRequest,
    run_model,
    simulation_request,
)
from lib.sales.params import WEIGHTINGS
from lib.sales.seasonality import SeasonalProfile

Z80 = 1.2815515655446004  # standard-normal 90th percentile: half-width of a central 80% interval
MIN_SCORED_FOR_WEIGHT = 3  # scored cases before a model's own error sets its weight
MIN_SCORED_FOR_CALIBRATION = 5  # scored cases before the spread is calibrated at all
# The calibration factor's range: a handful of cases can look over- or under-covered by luck, so
# the spread is at most halved, or stretched at most five-fold.
CALIBRATION_RANGE = (0.5, 5.0)
# Random streams of one maker and year: a backtest forecast and the answer draw different paths.
BACKTEST_STREAM, ANSWER_STREAM = 0, 1
SCORE_COLUMNS = ["target_year", "method", "abs_error_pct", "log_error", "implied_sd"]


def single_threaded_blas():
    """Decorator or context: run the enclosed code with one BLAS thread, then restore.

    Fitting state-space models solves many 14x14 systems; on a busy 2-core machine BLAS threads
    spinning on those made the backtest about 5x slower."""
    return threadpool_limits.wrap(limits=1, user_api="blas")


def maker_rng(seed: int, maker: str, *stream: int) -> np.random.Generator:
    """The random stream of one maker: from the seed, a stable hash of its key and the stream's
    own numbers (year, purpose), so adding or removing a maker changes no other maker's paths."""
    return np.random.default_rng([seed, zlib.crc32(maker.encode()), *stream])


def annual_path_totals(
    history: pd.Series, months: pd.PeriodIndex, paths: np.ndarray, year: int
) -> np.ndarray:
    """Each path's total for `year` (vehicles): reported months fixed, simulated months added."""
    reported = history[(history.index.year == year)].sum()
    in_year = np.asarray(months.year) == year
    return reported + paths[:, in_year].sum(axis=1)


def skill_weights(
    scores: pd.DataFrame, available: list[str], weighting: str = "inverse_error"
) -> dict[str, float]:
    """Combination weights from backtest skill.

    `scores` has one row per scored case (columns `method`, `abs_error_pct`); only cases that had
    ended by the cutoff the weights are used at may be passed. inverse_error: weight proportional
    to 1 / mean absolute percentage error (models with fewer than 3 scored cases get the average
    weight); best: all weight on the lowest error; equal: the same weight for each."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}; got {weighting!r}")
    if not available:
        return {}
    mape = {}
    for model in available:
        errors = scores.loc[scores["method"] == model, "abs_error_pct"].dropna()
        if len(errors) >= MIN_SCORED_FOR_WEIGHT:
            mape[model] = float(errors.mean())
    if weighting == "equal" or not mape:
        return {model: 1 / len(available) for model in available}
    if weighting == "best":
        best = min(mape, key=mape.get)
        return {model: float(model == best) for model in available}
    skill = {model: 1 / max(value, 1e-6) for model, value in mape.items()}
    average = float(np.mean(list(skill.values())))
    raw = {model: skill.get(model, average) for model in available}
    total = sum(raw.values())
    return {model: value / total for model, value in raw.items()}


def calibration_factor(scored: pd.DataFrame) -> float:
    """How much to stretch the combination's spread so earlier 80% intervals would have covered
    80% of outcomes: 80th percentile of |log(actual / median)| / implied sd, divided by 1.2816.

    `scored` has columns log_error and implied_sd (cases that had ended by the cutoff); with fewer
    than 5 cases the factor is 1 (no calibration). Kept within `CALIBRATION_RANGE`. The factor is
    applied to uncalibrated paths, so it must be measured on uncalibrated spreads: when `scored`
    has a `raw_implied_sd` column (the spread before that case's own calibration), that is used
    (issue 14: measuring on already calibrated intervals gave 0.745 where 0.500 was due)."""
    sd = "raw_implied_sd" if "raw_implied_sd" in scored.columns else "implied_sd"
    rows = scored.dropna(subset=["log_error", sd])
    rows = rows[rows[sd] > 0]
    if len(rows) < MIN_SCORED_FOR_CALIBRATION:
        return 1.0
    ratio = np.abs(rows["log_error"]) / rows[sd]
    return float(np.clip(np.quantile(ratio, 0.8) / Z80, *CALIBRATION_RANGE))


def calibrate_paths(
    paths: np.ndarray, factor: float, counted: np.ndarray | None = None
) -> np.ndarray:
    """Stretch the spread of the paths' totals by `factor` in logs, around an unchanged median.

    The total of each path over the `counted` months (boolean mask over columns; all months when
    None) moves `factor` times further from the median total in log terms, and every month of the
    path is scaled by the same ratio, so the monthly shape is kept. The factor is estimated on
    annual totals (`calibration_factor`), so it is applied to totals: stretching each month
    separately would also move the median total (a sum of lognormals grows with their spread)."""
    if factor == 1.0 or paths.size == 0:
        return paths
    counted = np.ones(paths.shape[1], dtype=bool) if counted is None else np.asarray(counted)
    totals = np.maximum(paths[:, counted].sum(axis=1), 1e-9)
    log_totals = np.log(totals)
    center = np.median(log_totals)
    stretched = np.exp(center + factor * (log_totals - center))
    return paths * (stretched / totals)[:, None]


def mix_paths(
    runs: dict[str, ModelRun], weights: dict[str, float], n_paths: int, rng: np.random.Generator
) -> np.ndarray:
    """A mixture of the models' paths: each model contributes a share of paths equal to its
    weight (drawn multinomially), in random order."""
    names = [name for name in runs if weights.get(name, 0) > 0]
    if not names:
        raise ValueError("no model with a positive weight to combine")
    shares = np.array([weights[name] for name in names])
    counts = rng.multinomial(n_paths, shares / shares.sum())
    pieces = []
    for name, count in zip(names, counts, strict=True):
        paths = runs[name].paths
        pieces.append(paths[rng.integers(0, len(paths), size=count)])
    mixed = np.vstack(pieces)
    return mixed[rng.permutation(len(mixed))]


def probability_at_least(totals: np.ndarray, target: float) -> float:
    """Share of simulated totals at or above `target` (0-1)."""
    return float(np.mean(np.asarray(totals) >= target))


def implied_sd(p10: float, p90: float) -> float:
    """Log-scale sd implied by an 80% interval [p10, p90] of a lognormal."""
    return float((np.log(p90) - np.log(p10)) / (2 * Z80))


@dataclass
class MakerForecast:
    """Forecast of one maker's deliveries in `target_year` from data up to `cutoff`.

    `annual[name]` holds each path's target-year total (vehicles) for every model that ran and for
    "combination"; `uncalibrated` the combination's totals before its calibration; `skipped` says
    why a model did not run."""

    maker: str
    target_year: int
    cutoff: pd.Period
    request: SimulationRequest
    runs: dict[str, ModelRun]
    skipped: dict[str, str]
    weights: dict[str, float]
    calibration: float
    combined: np.ndarray
    annual: dict[str, np.ndarray] = field(default_factory=dict)
    uncalibrated: np.ndarray | None = None  # the combination's totals before calibration

    @property
    def available(self) -> bool:
        """True when the target-year total has a distribution (models ran or all months known)."""
        return "combination" in self.annual

    def quantiles(self, method: str = "combination") -> tuple[float, float, float]:
        """10th, 50th and 90th percentiles of the target-year total (vehicles)."""
        values = np.quantile(self.annual[method], [0.1, 0.5, 0.9])
        return float(values[0]), float(values[1]), float(values[2])

    def monthly_quantiles(self, quantiles=(0.1, 0.25, 0.5, 0.75, 0.9)) -> pd.DataFrame:
        """Quantiles of the combined monthly paths, one row per simulated month (vehicles)."""
        values = np.quantile(self.combined, quantiles, axis=0).T
        return pd.DataFrame(
            values, index=self.request.months, columns=[f"p{round(100 * q)}" for q in quantiles]
        )


def forecast_maker(
    series: pd.Series,
    target_year: int,
    holidays: pd.DataFrame,
    profile: SeasonalProfile | None,
    n_paths: int,
    rng: np.random.Generator,
    weights_from: pd.DataFrame | None = None,
    calibration: float = 1.0,
    weighting: str = "inverse_error",
    curve_window_months: int = 24,
    models: tuple[str, ...] = MODELS,
) -> MakerForecast:
    """Run every model on a series that ends at the cutoff, combine them and total the year.

    `weights_from` are the scored backtest cases (target years ended by the cutoff) used for the
    combination weights; `calibration` stretches the combined spread (see `calibration_factor`).
    When every month of the target year is reported, the total is known and no model runs."""
    request = simulation_request(series, target_year)
    cutoff = series.index[-1]
    if len(request.months) == 0:
        known = float(request.history[request.history.index.year == target_year].sum())
        forecast = MakerForecast(
            str(series.name),
            target_year,
            cutoff,
            request,
            {},
            {},
            {},
            1.0,
            np.empty((n_paths, 0)),
        )
        forecast.annual["combination"] = np.full(n_paths, known)
        return forecast
    runs, skipped = {}, {}
    for name in models:
        try:
            runs[name] = run_model(
                name, request, holidays, profile, n_paths, rng, curve_window_months
            )
        except InsufficientHistory as reason:
            skipped[name] = str(reason)
        except (np.linalg.LinAlgError, ValueError) as failure:
            skipped[name] = f"{MODEL_LABELS[name]} could not be fitted: {failure}"
    scores = weights_from if weights_from is not None else pd.DataFrame(columns=SCORE_COLUMNS)
    weights = skill_weights(scores, list(runs), weighting)
    mixed = mix_paths(runs, weights, n_paths, rng) if runs else np.empty((0, len(request.months)))
    in_year = np.asarray(request.months.year) == target_year
    combined = calibrate_paths(mixed, calibration, in_year) if runs else mixed
    forecast = MakerForecast(
        str(series.name),
        target_year,
        cutoff,
        request,
        runs,
        skipped,
        weights,
        calibration,
        combined,
    )
    for name, run in runs.items():
        forecast.annual[name] = annual_path_totals(
            request.history, run.months, run.paths, target_year
        )
    if runs:
        forecast.annual["combination"] = annual_path_totals(
            request.history, request.months, combined, target_year
        )
        forecast.uncalibrated = annual_path_totals(
            request.history, request.months, mixed, target_year
        )
    return forecast
