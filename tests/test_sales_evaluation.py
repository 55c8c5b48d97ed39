"""lib.sales.evaluation: naive baselines in closed form, backtest cases, no look-ahead, weights
from ended years only, the hindsight bound, and backtest streams that ignore other makers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.sales import evaluation, models
from lib.sales.inputs import series_at
from lib.sales.simulation import calibration_factor, skill_weights
from tests.conftest import monthly


def test_naive_baselines_closed_form():
    values = [1_000] * 12 + [2_000] * 9 + [3_000, 3_000, 3_000]
    forecasts = evaluation.baseline_forecasts(monthly("2023-01", values), 2025)
    last = 2_000 * 9 + 9_000
    assert forecasts == {
        "last_year_total": last,
        "last_year_growth": pytest.approx(last * last / 12_000),
        "q4_run_rate": 36_000,
    }
    # Three months of 2025 reported (6,000 each, twice 2024's pace): the rules add them to last
    # year's other nine months, to those months grown by the year-to-date growth, or to nine
    # months at the latest three months' run-rate.
    series = monthly("2023-01", values + [6_000, 6_000, 6_000])
    rest = 2_000 * 6 + 9_000
    assert evaluation.baseline_forecasts(series, 2025, 3) == {
        "last_year_total": 18_000 + rest,
        "last_year_growth": pytest.approx(18_000 + rest * 3),
        "q4_run_rate": 18_000 + 9 * 6_000,
    }
    gap = series.copy()
    gap[pd.Period("2025-02", freq="M")] = np.nan
    assert all(np.isnan(v) for v in evaluation.baseline_forecasts(gap, 2025, 3).values())


def test_crps_and_interval_score_in_closed_form():
    # A point forecast's CRPS is its absolute error; a normal's CRPS has a closed form.
    assert evaluation.crps(np.array([7.0]), 10.0) == pytest.approx(3.0)
    sample = np.random.default_rng(1).normal(0, 1, 200_000)
    from scipy import stats

    closed = 1.0 * (
        2 * stats.norm.pdf(0.5) + 0.5 * (2 * stats.norm.cdf(0.5) - 1) - 1 / np.sqrt(np.pi)
    )
    assert evaluation.crps(sample, 0.5) == pytest.approx(closed, abs=0.005)
    assert evaluation.interval_score(10, 20, 15) == 10
    assert evaluation.interval_score(10, 20, 22) == pytest.approx(10 + 10 * 2)
    assert evaluation.interval_score(10, 20, 9) == pytest.approx(10 + 10 * 1)


def test_paired_bootstrap_of_a_known_ratio():
    key = {"maker": list("abcdefgh"), "target_year": 2024, "months_reported": 0}
    rows = pd.concat(
        [
            pd.DataFrame({**key, "method": "x", "crps_pct": np.arange(1.0, 9.0)}),
            pd.DataFrame({**key, "method": "y", "crps_pct": 2 * np.arange(1.0, 9.0)}),
        ]
    )
    paired = evaluation.paired_bootstrap(rows, "x", "y")
    assert paired["cases"] == 8
    assert paired["ratio"] == pytest.approx(-0.5)
    assert paired["low"] == pytest.approx(-0.5) and paired["high"] == pytest.approx(-0.5)


def test_backtest_cases_on_the_frozen_data(deliveries):
    cases = evaluation.backtest_cases(series_at(deliveries, pd.Period("2026-06", freq="M")))
    assert len(cases) == 18
    assert int(cases["headline"].sum()) == 13
    headline = cases[cases["headline"]]
    assert set(headline["maker"]) == {"leapmotor", "li_auto", "nio", "tesla_china", "xpeng"}
    assert headline["target_year"].min() == 2023


def test_changing_data_after_the_cutoff_changes_nothing(deliveries, holidays):
    from lib.sales.projection import project
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
    # Calibration is measured on the spread before calibration (issue 14): at a December cutoff
    # every month of the year is simulated, so the calibrated spread is the factor times the raw.
    combo = backtest.rows[backtest.rows["method"] == "combination"]
    factors = backtest.calibration.set_index("target_year")["factor"]
    stretched = combo["raw_implied_sd"] * combo["target_year"].map(factors)
    np.testing.assert_allclose(combo["implied_sd"], stretched, rtol=0.02)
    assert evaluation.final_calibration(backtest) == calibration_factor(
        combo[["log_error", "raw_implied_sd"]]
    )


def test_a_makers_backtest_paths_do_not_depend_on_other_makers(deliveries, holidays):
    """SARIMAX ignores the pooled profile, so its paths for XPeng depend only on XPeng's data and
    random stream: removing Li Auto (sorted before XPeng) must leave them unchanged."""
    cutoff = pd.Period("2025-12", freq="M")
    without = deliveries[deliveries["brand"] != "li_auto"]

    def sarimax_rows(table):
        rows = evaluation.run_backtest(table, cutoff, holidays, n_paths=120, seed=3).rows
        return rows[(rows["maker"] == "xpeng") & (rows["method"] == "sarimax")].reset_index(
            drop=True
        )

    both, alone = sarimax_rows(deliveries), sarimax_rows(without)
    assert len(both) >= 2
    pd.testing.assert_frame_equal(
        both[["target_year", "median", "p10", "p90"]],
        alone[["target_year", "median", "p10", "p90"]],
    )


def backtest_of(medians: dict[str, list[float]], actual: list[float]) -> evaluation.Backtest:
    """A backtest whose headline maker-years have the given medians per method."""
    rows = [
        {
            "maker": f"m{i}",
            "target_year": 2024,
            "method": method,
            "headline": True,
            "actual": actual[i],
            "median": value,
        }
        for method, values in medians.items()
        for i, value in enumerate(values)
    ]
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
    assert headline.best_naive_label == "Naive: last 3 months' run-rate" and headline.cases == 3
    assert np.isnan(headline.coverage80_chosen_pct)  # no intervals: coverage unknown


def test_backtest_scores_the_monthly_bands_of_the_months_after_each_cutoff(deliveries, holidays):
    cutoff = pd.Period("2025-12", freq="M")
    backtest = evaluation.run_backtest(deliveries, cutoff, holidays, 150, 3, months_reported=6)
    monthly = backtest.monthly
    assert len(monthly) and (monthly["months_reported"] == 6).all()
    # Only months of the target year after its cutoff (July to December), with their actuals.
    months = monthly["month"].map(lambda m: pd.Period(m, freq="M"))
    assert (months.dt.year == monthly["target_year"]).all() and (months.dt.month > 6).all()
    series = series_at(deliveries, cutoff)
    for row in monthly.sample(10, random_state=1).itertuples():
        assert row.actual == series[row.maker][pd.Period(row.month, freq="M")]
    assert ((monthly["p10"] <= monthly["p50"]) & (monthly["p50"] <= monthly["p90"])).all()
    inside = (monthly["p10"] <= monthly["actual"]) & (monthly["actual"] <= monthly["p90"])
    assert (monthly["inside80"] == inside.astype(float)).all()
    # Every maker-year the combination forecast has its months, and every method percentiles.
    combination = backtest.rows[backtest.rows["method"] == "combination"]
    assert set(zip(monthly["maker"], monthly["target_year"], strict=True)) == set(
        zip(combination["maker"], combination["target_year"], strict=True)
    )
    assert {"sarimax", "ets", "combination", "q4_run_rate"} <= set(backtest.quantiles["method"])
