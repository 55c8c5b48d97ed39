"""lib.sales.analysis: the projection is the share of its own paths, the analysis is consistent
with its parts, the comparison reuses the analysed maker and names makers from the registry, a
maker's answer does not depend on which other makers are in the data, and `record` publishes
every result under the names of lib.sales.names."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from lib import results, sales
from lib.sales import analysis as sales_analysis
from lib.sales import inputs, names
from lib.sales import projection as sales_projection
from lib.sales.seasonality import Snapshot
from lib.sales.simulation import probability_at_least
from tests.conftest import FROZEN_DATA

SMALL = {"n_paths": 300, "seed": 5, "backtest_paths": 100, "comparison_paths": 100}


@pytest.fixture(scope="module")
def result() -> sales_analysis.Analysis:
    params = sales.Params(target_units=1_000_000, target_year=2026, **SMALL)
    return sales_analysis.analyse(sales.load(params, FROZEN_DATA))


def test_the_answer_is_the_share_of_simulated_totals_at_the_target(result):
    totals = result.forecast.annual["combination"]
    assert result.projection.p_reach_target == np.mean(totals >= 1_000_000)
    assert result.projection.probability(1_050_000) == probability_at_least(totals, 1_050_000)
    assert (
        result.projection.p10,
        result.projection.median,
        result.projection.p90,
    ) == pytest.approx(tuple(np.quantile(totals, [0.1, 0.5, 0.9])))
    assert result.internal_units == 1_050_000
    assert result.actual_units is None  # the target year has not ended in the data


def test_the_analysis_holds_the_backtest_it_was_weighted_and_calibrated_by(result):
    assert result.headline.cases == 13
    assert set(result.diagnostics["model"]) == {
        "SARIMAX (log, CNY regressor)",
        "ETS (damped trend, multiplicative season)",
        "Logistic growth curve",
    }
    assert sum(result.forecast.weights.values()) == pytest.approx(1.0)
    combo = result.backtest.rows[result.backtest.rows["method"] == "combination"]
    assert result.summary.set_index("method").loc["combination", "cases"] == int(
        combo["headline"].astype(bool).sum()
    )


def test_the_comparison_reuses_the_answer_and_names_makers_from_the_registry(result):
    table = result.comparison
    assert list(table["maker"]) == [
        "AITO / HIMA",
        "BYD",
        "Leapmotor",
        "Li Auto",
        "NIO",
        "Tesla China",
        "Xiaomi",
        "XPeng",
    ]
    leapmotor = table.set_index("maker").loc["Leapmotor"]
    assert leapmotor["median_units"] == result.projection.median
    assert leapmotor["months_reported"] == 4


def test_a_makers_answer_does_not_depend_on_the_other_makers_in_the_list(result):
    """Before issue 13 the stream came from the maker's position in the sorted list, so a maker
    added before it changed its paths."""
    now = result.data_now
    fewer = Snapshot(now.cutoff, {k: v for k, v in now.series.items() if k != "byd"}, now.profile)
    holidays, backtest = result.inputs.holidays, result.backtest
    full = sales_projection.project(now, "nio", 1.0, 2026, holidays, backtest, 200, 5)
    short = sales_projection.project(fewer, "nio", 1.0, 2026, holidays, backtest, 200, 5)
    np.testing.assert_array_equal(
        full.forecast.annual["combination"], short.forecast.annual["combination"]
    )


def test_a_maker_missing_at_the_cutoff_is_refused(result):
    now = result.data_now
    with pytest.raises(
        inputs.InsufficientHistory, match="ghost has no reported month up to 2026-06"
    ):
        sales_projection.project(
            now, "ghost", 1.0, 2026, result.inputs.holidays, result.backtest, 100, 1
        )
    assert isinstance(now.cutoff, pd.Period)


def test_the_maker_s_own_backtest_years_are_the_combination_s_headline_rows(result):
    own = result.own_scored
    assert set(own["maker"]) == {"leapmotor"} and set(own["method"]) == {"combination"}
    assert own["headline"].astype(bool).all()
    assert set(own["target_year"]) == {2024, 2025}  # frozen data: Leapmotor's scored years


def test_record_publishes_every_result_under_the_names_constants(result):
    result.record()
    recorded = {r.name for r in results.recorded()}
    declared = {v for k, v in vars(names).items() if k.isupper()}
    assert recorded <= declared | {names.TARGET_CALL, names.MONTHLY_FORECAST_QUANTILES}
    assert {
        names.P_REACH_TARGET,
        names.FORECAST_MEDIAN_UNITS,
        names.REQUIRED_GROWTH_PCT,
        names.BACKTEST_CASES,
        names.BACKTEST_MAKER_CASES,
        names.BACKTEST_MAKER_MAPE_PCT,
        names.RESOLVED_BRIER,
        names.TRACK_INSIDE80_PCT,
    } <= recorded
    mine = {r.name: r for r in results.recorded()}
    assert mine[names.BACKTEST_MAKER_CASES].value == 2
    assert mine[names.BACKTEST_MAKER_MAPE_PCT].value == pytest.approx(
        result.own_scored["abs_error_pct"].mean()
    )


def test_without_a_complete_year_no_growth_is_recorded(result):
    """A maker with no complete year before the target year has no growth to state: nothing is
    recorded rather than 'growth over None deliveries'."""
    arithmetic = dataclasses.replace(result.arithmetic, last_full_year=None)
    projection = dataclasses.replace(result.projection, arithmetic=arithmetic)
    dataclasses.replace(result, projection=projection, resolution=None).record()
    recorded = {r.name: r for r in results.recorded()}
    assert names.REQUIRED_GROWTH_PCT not in recorded
    assert not any("None" in r.meaning for r in recorded.values())
