"""One maker's projection: its target-year forecast from the data at the cutoff, with the
backtest's weights and interval calibration, and the chance of reaching a target; the same
projection for every maker (`comparison_table`). The answer, the resolution of a complete year and
the track record all project through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib import cache
from lib.sales.evaluation import Backtest, final_calibration
from lib.sales.inputs import InsufficientHistory, TargetArithmetic, observed_span, target_arithmetic
from lib.sales.models import MODELS, SHORT_LABELS
from lib.sales.seasonality import Snapshot
from lib.sales.simulation import (
    ANSWER_STREAM,
    MakerForecast,
    forecast_maker,
    maker_rng,
    probability_at_least,
    single_threaded_blas,
)


@dataclass
class Projection:
    """The answer for one maker: forecast, target arithmetic and the target-year distribution
    (10th/50th/90th percentiles, vehicles) with the chance of reaching the target."""

    forecast: MakerForecast
    arithmetic: TargetArithmetic
    p_reach_target: float
    p10: float
    median: float
    p90: float

    def probability(self, units: float) -> float:
        """Chance (0-1) that target-year deliveries reach `units`."""
        if not self.forecast.available:
            return np.nan
        return probability_at_least(self.forecast.annual["combination"], units)


@cache.memoize(on_disk=False)  # every maker's report projects every maker: once per kernel
@single_threaded_blas()
def project(
    data_now: Snapshot,
    maker: str,
    target_units: float,
    target_year: int,
    holidays: pd.DataFrame,
    backtest: Backtest,
    n_paths: int,
    seed: int,
    curve_window_months: int = 24,
) -> Projection:
    """Forecast `maker`'s `target_year` deliveries from the data at the cutoff, with weights and
    interval calibration from the backtest, and the chance of reaching `target_units`."""
    if maker not in data_now.series:
        raise InsufficientHistory(f"{maker} has no reported month up to {data_now.cutoff}")
    series = data_now.series[maker]
    rng = maker_rng(seed, maker, target_year, ANSWER_STREAM)
    forecast = forecast_maker(
        series,
        target_year,
        holidays,
        data_now.profile,
        n_paths,
        rng,
        weights_from=backtest.rows[backtest.rows["method"].isin(MODELS)],
        calibration=final_calibration(backtest),
        weighting=backtest.weighting,
        curve_window_months=curve_window_months,
    )
    arithmetic = target_arithmetic(series, target_units, target_year)
    if not forecast.available:
        return Projection(forecast, arithmetic, np.nan, np.nan, np.nan, np.nan)
    p10, median, p90 = forecast.quantiles()
    probability = probability_at_least(forecast.annual["combination"], target_units)
    return Projection(forecast, arithmetic, probability, p10, median, p90)


@single_threaded_blas()
def comparison_table(
    data_now: Snapshot,
    target_year: int,
    holidays: pd.DataFrame,
    backtest: Backtest,
    n_paths: int,
    seed: int,
    curve_window_months: int = 24,
    known: dict[str, Projection] | None = None,
    names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The same projection for every maker in the data: target-year forecast (p10/p50/p90,
    vehicles), growth of the median over the last full year (percent), the models used and, for
    makers no model can forecast, why.

    `known` holds projections already made (e.g. the focus maker's), reused as they are; `names`
    maps maker keys to the names readers see (the key when absent)."""
    rows = []
    for maker in data_now.series:
        projection = (known or {}).get(maker) or project(
            data_now,
            maker,
            1.0,
            target_year,
            holidays,
            backtest,
            n_paths,
            seed,
            curve_window_months,
        )
        arithmetic, forecast = projection.arithmetic, projection.forecast
        growth = (
            100 * (projection.median / arithmetic.last_full_year_units - 1)
            if arithmetic.last_full_year
            else np.nan
        )
        rows.append(
            {
                "maker": (names or {}).get(maker, maker),
                "last_full_year": arithmetic.last_full_year,
                "last_full_year_units": arithmetic.last_full_year_units,
                "months_reported": len(arithmetic.reported_months),
                "reported_units": arithmetic.reported_units,
                "p10_units": projection.p10,
                "median_units": projection.median,
                "p90_units": projection.p90,
                "median_growth_pct": growth,
                "models": ", ".join(SHORT_LABELS[name] for name in forecast.runs) or "none",
                "why_not": "; ".join(forecast.skipped.values()) if not forecast.available else "",
            }
        )
    return pd.DataFrame(rows)


def months_reported(series: pd.Series, target_year: int) -> int:
    """Months of `target_year` up to the maker's last reported month (0 when it ends before the
    year; at most 11): the horizon whose backtest weighs and calibrates this forecast."""
    span = observed_span(series)
    if span.empty or span.index[-1].year < target_year:
        return 0
    if span.index[-1].year > target_year:  # the year is over: the latest horizon is the nearest
        return 11
    return min(int(span.index[-1].month), 11)
