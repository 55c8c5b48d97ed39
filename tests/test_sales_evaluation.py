"""lib.sales.evaluation: naive baselines in closed form, backtest cases, no look-ahead, weights
from ended years only, the hindsight bound, and backtest streams that ignore other makers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib import data
from lib.sales import evaluation, models
from lib.sales.inputs import series_at
from lib.sales.simulation import skill_weights
from tests.conftest import FROZEN_DATA


@pytest.fixture(scope="module")
def deliveries():
    return data.load_deliveries(FROZEN_DATA)


@pytest.fixture(scope="module")
def holidays():
    return data.load_holidays(FROZEN_DATA)


def monthly(start: str, values) -> pd.Series:
    index = pd.period_range(start, periods=len(values), freq="M")
    return pd.Series(np.asarray(values, dtype=float), index=index, name="synthetic")


def test_naive_baselines_closed_form():
    values = [1_000] * 12 + [2_000] * 9 + [3_000, 3_000, 3_000]
    forecasts = evaluation.baseline_forecasts(monthly("2023-01", values), 2025)
    last = 2_000 * 9 + 9_000
    assert forecasts["last_year_total"] == last
    assert forecasts["last_year_growth"] == pytest.approx(last * last / 12_000)
    assert forecasts["seasonal_naive"] == last
    assert forecasts["q4_run_rate"] == 36_000


def test_backtest_cases_on_the_frozen_data(deliveries):
    cases = evaluation.backtest_cases(series_at(deliveries, pd.Period("2026-06", freq="M")))
    assert len(cases) == 18
    assert int(cases["headline"].sum()) == 13
    headline = cases[cases["headline"]]
    assert set(headline["maker"]) == {"leapmotor", "li_auto", "nio", "tesla_china", "xpeng"}
    assert headline["target_year"].min() == 2023


def test_changing_data_after_the_cutoff_changes_nothing(deliveries, holidays):
    from lib.sales.analysis import project
    from lib.sales.seasonality import snapshot

    cutoff = pd.Period("2024-12", freq="M")
    later = deliveries["month"] > cutoff
    changed = deliveries.copy()
    changed.loc[later, "deliveries"] = changed.loc[later, "deliveries"] * 3 + 17
    changed = changed.drop(changed.index[later & (changed["brand"] == "nio")][:5])

    def everything(table):
        backtest = evaluation.run_backtest(table, cutoff, holidays, n_paths=150, seed=4)
        now = snapshot(table, cutoff, holidays)
        return backtest, project(now, "leapmotor", 500_000, 2025, holidays, backtest, 300, 4)

    (backtest, projection), (backtest_changed, projection_changed) = (
        everything(deliveries),
        everything(changed),
    )
    pd.testing.assert_frame_equal(backtest.rows, backtest_changed.rows)
    np.testing.assert_array_equal(
        projection.forecast.annual["combination"], projection_changed.forecast.annual["combination"]
    )
    assert projection.p_reach_target == projection_changed.p_reach_target
    assert backtest.rows["target_year"].max() == 2024


def test_backtest_weights_use_only_years_that_had_ended(deliveries, holidays):
    backtest = evaluation.run_backtest(
        deliveries, pd.Period("2025-12", freq="M"), holidays, n_paths=150, seed=2
    )
    first_year = backtest.rows["target_year"].min()
    assert backtest.calibration.set_index("target_year").loc[first_year, "cases_used"] == 0
    # Weights for 2024 forecasts equal weights recomputed from cases that ended by 2023 only.
    earlier = backtest.rows[
        (backtest.rows["target_year"] < 2024) & backtest.rows["method"].isin(models.MODELS)
    ]
    used = backtest.weights[
        (backtest.weights["target_year"] == 2024) & (backtest.weights["maker"] == "nio")
    ]
    expected = skill_weights(earlier, list(used["method"]))
    for row in used.itertuples():
        assert row.weight == pytest.approx(expected[row.method])


def test_a_makers_backtest_paths_do_not_depend_on_other_makers(deliveries, holidays):
    """SARIMAX ignores the pooled profile, so its paths for XPeng depend only on XPeng's data and
    random stream: removing Li Auto (sorted before XPeng) must leave them unchanged."""
    cutoff = pd.Period("2025-12", freq="M")
    without = deliveries[deliveries["brand"] != "li_auto"]

    def sarimax_rows(table):
        rows = evaluation.run_backtest(table, cutoff, holidays, n_paths=120, seed=3).rows
        return rows[(rows["maker"] == "xpeng") & (rows["method"] == "sarimax")].reset_index(drop=True)  # fmt: skip

    both, alone = sarimax_rows(deliveries), sarimax_rows(without)
    assert len(both) >= 2
    pd.testing.assert_frame_equal(both[["target_year", "median", "p10", "p90"]], alone[["target_year", "median", "p10", "p90"]])  # fmt: skip


def backtest_of(medians: dict[str, list[float]], actual: list[float]) -> evaluation.Backtest:
    """A backtest whose headline maker-years have the given medians per method."""
    rows = [
        {"maker": f"m{i}", "target_year": 2024, "method": method, "headline": True,
         "actual": actual[i], "median": value}
        for method, values in medians.items()
        for i, value in enumerate(values)
    ]  # fmt: skip
    frame = pd.DataFrame(rows)
    frame["error_pct"] = 100 * (frame["median"] / frame["actual"] - 1)
    frame["abs_error_pct"] = frame["error_pct"].abs()
    frame["log_error"] = np.log(frame["actual"] / frame["median"])
    frame["covered"] = np.nan
    empty = pd.DataFrame()
    return evaluation.Backtest(frame, empty, empty, empty, "inverse_error")


def test_hindsight_blend_finds_the_weights_that_cancel_opposite_errors():
    actual = [100.0, 200.0, 300.0, 400.0]
    high, low = np.exp(0.2), np.exp(-0.2)  # one method always 22% high, the other 18% low
    blend = evaluation.hindsight_blend(
        backtest_of(
            {"sarimax": [a * high for a in actual], "ets": [a * low for a in actual]}, actual
        )
    )
    assert blend.cases == 4
    assert blend.weights["sarimax"] == pytest.approx(0.5, abs=0.01)
    assert blend.weights["ets"] == pytest.approx(0.5, abs=0.01)
    assert blend.mape_pct < 0.5
    # A single exact method takes all the weight; too few maker-years give no blend.
    exact = evaluation.hindsight_blend(
        backtest_of({"ets": actual, "sarimax": [2 * a for a in actual]}, actual)
    )
    assert exact.weights == {"ets": pytest.approx(1.0)}
    assert exact.mape_pct == pytest.approx(0, abs=1e-6)
    assert evaluation.hindsight_blend(backtest_of({"ets": actual[:2]}, actual[:2])) is None


def test_summary_and_headline_from_known_errors():
    backtest = backtest_of(
        {"combination": [110.0, 80.0, 100.0], "q4_run_rate": [150.0, 100.0, 100.0]},
        [100.0, 100.0, 100.0],
    )
    summary = evaluation.backtest_summary(backtest)
    assert summary["method"].tolist() == ["combination", "q4_run_rate"]
    assert summary.set_index("method").loc["combination", "mape_pct"] == pytest.approx(10.0)
    headline = evaluation.Headline.from_summary(summary)
    assert headline.mape_best_naive_pct == pytest.approx(50 / 3)
    assert headline.best_naive_label == "Naive: Q4 run-rate x 4" and headline.cases == 3
    assert np.isnan(headline.coverage80_chosen_pct)  # no intervals: coverage unknown
    assert not headline.meets_goal(evaluation.GOAL_MAPE_PCT, evaluation.GOAL_COVERAGE_PCT)
    met = evaluation.Headline(10.0, 80.0, 20.0, "x", 13)
    assert met.meets_goal(evaluation.GOAL_MAPE_PCT, evaluation.GOAL_COVERAGE_PCT)
    assert not evaluation.Headline(10.0, 95.0, 20.0, "x", 13).meets_goal(15.0, (70.0, 90.0))
