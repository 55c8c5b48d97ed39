"""The answer: the chosen maker's projection with backtest weights and calibration, the same
projection for every other maker, and `analyse`, which runs the whole analysis from its inputs.

`analyse(inputs)` returns an `Analysis`: the typed results the charts, tables and report text
read (numbers, frames and dataclasses; no formatted strings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.sales.evaluation import (
    Backtest,
    Headline,
    HindsightBlend,
    backtest_summary,
    final_calibration,
    hindsight_blend,
    model_diagnostics,
    run_backtest,
)
from lib.sales.inputs import (
    Inputs,
    InsufficientHistory,
    TargetArithmetic,
    hindsight_total,
    observed_span,
    target_arithmetic,
)
from lib.sales.models import MODELS, SHORT_LABELS
from lib.sales.seasonality import Snapshot, snapshot
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


@dataclass
class Analysis:
    """Every result of the sales analysis for one maker, target and cutoff."""

    inputs: Inputs
    data_now: Snapshot
    backtest: Backtest
    summary: pd.DataFrame  # per method over the headline maker-years (`backtest_summary`)
    headline: Headline
    hindsight: HindsightBlend | None
    projection: Projection
    diagnostics: pd.DataFrame  # per model that ran (`model_diagnostics`)
    actual_units: float | None  # the outcome, when the cutoff makes this a backtest
    months_reported: int = 0  # months of the target year known: the backtest's horizon

    @property
    def forecast(self) -> MakerForecast:
        return self.projection.forecast

    @property
    def arithmetic(self) -> TargetArithmetic:
        return self.projection.arithmetic

    @property
    def internal_units(self) -> float | None:
        """The maker's sourced internal target for the year, if any (vehicles)."""
        internal = self.inputs.internal_target
        return internal.value if internal is not None else None


def months_reported(series: pd.Series, target_year: int) -> int:
    """Months of `target_year` up to the maker's last reported month (0 when it ends before the
    year; at most 11): the horizon whose backtest weighs and calibrates this forecast."""
    span = observed_span(series)
    if span.empty or span.index[-1].year < target_year:
        return 0
    if span.index[-1].year > target_year:  # the year is over: the latest horizon is the nearest
        return 11
    return min(int(span.index[-1].month), 11)


def analyse(inputs: Inputs) -> Analysis:
    """The backtest at the answer's horizon (weights, calibration, scores: from cutoffs with as
    many months of the target year reported as the maker has now), then the projection."""
    settings = inputs.settings
    data_now = snapshot(inputs.deliveries, settings.cutoff, inputs.holidays)
    k = months_reported(inputs.series, settings.target_year)
    backtest = run_backtest(
        inputs.deliveries,
        settings.cutoff,
        inputs.holidays,
        settings.backtest_paths,
        settings.seed,
        settings.weighting,
        settings.curve_window_months,
        k,
    )
    summary = backtest_summary(backtest)
    projection = project(
        data_now,
        settings.maker,
        settings.target_units,
        settings.target_year,
        inputs.holidays,
        backtest,
        settings.n_paths,
        settings.seed,
        settings.curve_window_months,
    )
    return Analysis(
        inputs=inputs,
        data_now=data_now,
        backtest=backtest,
        summary=summary,
        headline=Headline.from_summary(summary),
        hindsight=hindsight_blend(backtest),
        projection=projection,
        diagnostics=model_diagnostics(projection.forecast),
        actual_units=hindsight_total(
            inputs.deliveries, settings.maker, settings.target_year, settings.cutoff
        ),
        months_reported=k,
    )


def projections(analysis: Analysis) -> dict[str, Projection]:
    """The same projection for every maker in the data (comparison paths; the analysed maker's
    own projection reused): the comparison table and the recorded monthly quantiles use them."""
    settings = analysis.inputs.settings
    known = {settings.maker: analysis.projection}
    for maker in analysis.data_now.series:
        if maker not in known:
            known[maker] = project(
                analysis.data_now,
                maker,
                1.0,
                settings.target_year,
                analysis.inputs.holidays,
                analysis.backtest,
                settings.comparison_paths,
                settings.seed,
                settings.curve_window_months,
            )
    return known


def compare(analysis: Analysis, known: dict[str, Projection] | None = None) -> pd.DataFrame:
    """`comparison_table` for every maker in the data, the projections in `known` reused (the
    analysed maker's always)."""
    inputs, settings = analysis.inputs, analysis.inputs.settings
    return comparison_table(
        analysis.data_now,
        settings.target_year,
        inputs.holidays,
        analysis.backtest,
        settings.comparison_paths,
        settings.seed,
        settings.curve_window_months,
        known={**(known or {}), settings.maker: analysis.projection},
        names={key: maker.display_name for key, maker in inputs.registry.items()},
    )
