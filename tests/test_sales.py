"""lib.sales: known truths recovered, closed forms, no look-ahead, seeded runs and clear errors.

Figures from the data (cutoff 2026-06, gaps, case counts) are those of the frozen test data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lib import data, sales
from tests.conftest import FROZEN_DATA


@pytest.fixture(scope="module")
def deliveries():
    return data.load_deliveries(FROZEN_DATA)


@pytest.fixture(scope="module")
def holidays():
    return data.load_holidays(FROZEN_DATA)


def make_deliveries(series_by_brand: dict[str, pd.Series]) -> pd.DataFrame:
    """A deliveries table shaped like `data.load_deliveries()` from monthly series (NaN = absent)."""
    frames = []
    for brand, series in series_by_brand.items():
        known = series.dropna()
        frames.append(
            pd.DataFrame(
                {
                    "brand": brand,
                    "month": known.index,
                    "deliveries": np.round(known.to_numpy()).astype("int64"),
                    "quality": "stated",
                    "source_url": "https://example.org",
                    "note": None,
                }
            )
        )
    return pd.concat(frames, ignore_index=True).sort_values(["brand", "month"], ignore_index=True)


def monthly(start: str, values) -> pd.Series:
    index = pd.period_range(start, periods=len(values), freq="M")
    return pd.Series(np.asarray(values, dtype=float), index=index, name="synthetic")


# ---------------------------------------------------------------------------------------------
# Chinese New Year regressor


def test_cny_exposure_splits_the_holiday_window_between_january_and_february(holidays):
    months = pd.PeriodIndex(
        ["2025-01", "2025-02", "2026-01", "2026-02", "2020-01", "2020-03"], freq="M"
    )
    share = sales.cny_exposure(months, holidays)
    # 2025-01-29: window 26 Jan - 9 Feb; 2026-02-17: 14-28 Feb; 2020-01-25: 22 Jan - 5 Feb.
    np.testing.assert_allclose(share, [6 / 15, 9 / 15, 0, 1, 10 / 15, 0])


def test_cny_exposure_without_a_date_for_the_year_says_which(holidays):
    with pytest.raises(ValueError, match="no Chinese New Year date for 2031.*covers 2015-2030"):
        sales.cny_exposure(pd.PeriodIndex(["2031-05"], freq="M"), holidays)


# ---------------------------------------------------------------------------------------------
# Parameters


def validate(deliveries, **overrides):
    arguments = dict(
        maker="leapmotor",
        target_units=1_000_000,
        target_year=2026,
        data_through="",
        n_paths=1000,
        seed=1,
    )
    arguments.update(overrides)
    return sales.validate_parameters(deliveries, **arguments)


def test_defaults_resolve_to_the_latest_month(deliveries):
    settings = validate(deliveries)
    assert settings.cutoff == pd.Period("2026-06", freq="M")
    assert validate(deliveries, data_through="2024-12").cutoff == pd.Period("2024-12", freq="M")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"maker": "tesla"}, r"unknown maker 'tesla'; known makers: aito_hima, byd, leapmotor"),
        ({"target_units": 0}, r"target_units must be a positive number of vehicles per year; got 0"),
        ({"target_units": -5}, r"target_units must be a positive .* got -5"),
        ({"data_through": "2025-13"}, r"data_through must be a month as YYYY-MM.*got '2025-13'"),
        ({"data_through": "June 2025"}, r"data_through must be a month as YYYY-MM"),
        ({"data_through": "2030-01"}, r"data_through 2030-01 is after the latest month in the data \(2026-06\)"),
        ({"data_through": "2010-01"}, r"data_through 2010-01 is before the first month in the data"),
        ({"target_year": 2019}, r"target_year 2019 is before the data: leapmotor deliveries start in 2020-09"),
        ({"target_year": 2024}, r"target_year 2024 is before the data cutoff 2026-06.*data_through to 2023-12"),
        ({"target_year": 2030}, r"target_year 2030 is 54 months after the data cutoff 2026-06.*at most 36"),
        ({"maker": "xiaomi", "data_through": "2023-06"}, r"maker 'xiaomi' has no deliveries up to data_through 2023-06"),
        ({"n_paths": 10}, r"n_paths must be between 100 and 1,000,000; got 10"),
    ],
)  # fmt: skip
def test_bad_parameters_fail_with_a_message_naming_them(deliveries, overrides, message):
    with pytest.raises(ValueError, match=message):
        validate(deliveries, **overrides)


# ---------------------------------------------------------------------------------------------
# Target arithmetic and naive baselines (closed forms)


def test_target_arithmetic_closed_form():
    series = monthly("2024-01", [10_000] * 12 + [12_000, np.nan, 15_000])
    arithmetic = sales.target_arithmetic(series, 180_000, 2025)
    assert arithmetic.last_full_year == 2024
    assert arithmetic.last_full_year_units == 120_000
    assert arithmetic.required_growth_pct == pytest.approx(50.0)
    assert arithmetic.reported_units == 27_000
    assert arithmetic.missing_months[:2] == ["2025-02", "2025-04"]
    assert len(arithmetic.missing_months) == 10
    assert arithmetic.required_monthly_run_rate_units == pytest.approx(15_300)
    # Latest run-rate: reported months among Jan-Mar 2025 (Feb unknown).
    assert arithmetic.latest_run_rate_units == pytest.approx(13_500)
    assert arithmetic.latest_run_rate_months == ["2025-01", "2025-03"]


def test_naive_baselines_closed_form():
    values = [1_000] * 12 + [2_000] * 9 + [3_000, 3_000, 3_000]
    forecasts = sales.baseline_forecasts(monthly("2023-01", values), 2025)
    last = 2_000 * 9 + 9_000
    assert forecasts["last_year_total"] == last
    assert forecasts["last_year_growth"] == pytest.approx(last * last / 12_000)
    assert forecasts["seasonal_naive"] == last
    assert forecasts["q4_run_rate"] == 36_000


def test_backtest_cases_on_the_shipped_data(deliveries):
    cases = sales.backtest_cases(sales.series_at(deliveries, pd.Period("2026-06", freq="M")))
    assert len(cases) == 18
    assert int(cases["headline"].sum()) == 13
    headline = cases[cases["headline"]]
    assert set(headline["maker"]) == {"leapmotor", "li_auto", "nio", "tesla_china", "xpeng"}
    assert headline["target_year"].min() == 2023


def test_monthly_sums_match_leapmotor_reported_annual_totals(deliveries):
    series = data.monthly_series(deliveries, "leapmotor")
    table = sales.reported_annual_totals(series, data.load_financials(FROZEN_DATA), "leapmotor")
    for year in (2022, 2023, 2024, 2025):
        assert table.loc[year, "difference_pct"] == pytest.approx(0.0, abs=1e-9)
    assert not table.loc[2021, "complete"]


# ---------------------------------------------------------------------------------------------
# Parameter recovery on synthetic data with a known truth


def test_growth_curve_recovers_a_known_logistic():
    rng = np.random.default_rng(7)
    truth = np.array([10.0, 0.04, 1.0])  # log level now, growth per month now, log headroom
    t = np.arange(-47, 1, dtype=float)
    log_level = sales.logistic_log_level(truth, t)[0] + rng.normal(0, 0.02, len(t))
    index = pd.period_range(end="2025-12", periods=len(t), freq="M")
    fit = sales.fit_logistic(pd.Series(log_level, index=index))
    assert fit.params[0] == pytest.approx(10.0, abs=0.03)
    assert fit.params[1] == pytest.approx(0.04, abs=0.006)
    assert fit.params[2] == pytest.approx(1.0, abs=0.25)
    assert fit.residual_sd == pytest.approx(0.02, rel=0.35)


def test_pooled_seasonal_profile_recovers_known_month_and_holiday_effects(holidays):
    rng = np.random.default_rng(3)
    months = pd.period_range("2016-01", "2025-12", freq="M")
    month_effect = np.array([0.0, -0.1, 0.05, -0.05, 0.0, 0.05, 0.0, 0.05, 0.1, -0.1, 0.05, 0.2])
    month_effect -= month_effect.mean()
    cny = sales.cny_exposure(months, holidays)
    makers = {}
    for i, growth in enumerate([0.01, 0.02, 0.03, 0.0]):
        trend = 9 + i + growth * np.arange(len(months))
        log_level = trend + month_effect[months.month - 1] - 0.4 * cny
        makers[f"maker_{i}"] = pd.Series(
            np.exp(log_level + rng.normal(0, 0.02, len(months))), index=months
        )
    profile = sales.pooled_seasonal_profile(makers, holidays)
    assert profile.cny_effect == pytest.approx(-0.4, abs=0.04)
    np.testing.assert_allclose(profile.month_effect.to_numpy(), month_effect, atol=0.03)


def test_sarimax_recovers_a_known_holiday_effect(holidays):
    rng = np.random.default_rng(11)
    months = pd.period_range("2017-01", "2025-12", freq="M")
    growth = np.zeros(len(months))
    for t in range(1, len(months)):  # AR(1) growth around zero: an ARIMA(1,1,0) level
        growth[t] = 0.5 * growth[t - 1] + rng.normal(0, 0.05)
    log_level = 10 + np.cumsum(growth) - 0.5 * sales.cny_exposure(months, holidays)
    series = pd.Series(np.exp(log_level), index=months, name="synthetic")
    request = sales.simulation_request(series, 2026)
    run = sales.sarimax_paths(request, holidays, 200, np.random.default_rng(0))
    assert run.parameters["x1"] == pytest.approx(-0.5, abs=0.12)
    assert run.parameters["ar.L1"] == pytest.approx(0.5, abs=0.2)
    assert run.paths.shape == (200, 12)


# ---------------------------------------------------------------------------------------------
# Probability, calibration, combination


def test_probability_with_known_months_matches_the_lognormal_answer():
    """Eleven months known (110,000), the twelfth lognormal: P(total >= T) is closed form."""
    history = monthly("2025-01", [10_000] * 11 + [np.nan])
    rng = np.random.default_rng(5)
    mu, sigma = np.log(9_000), 0.3
    paths = np.exp(mu + sigma * rng.standard_normal((400_000, 1)))
    totals = sales.annual_path_totals(history, pd.PeriodIndex(["2025-12"], freq="M"), paths, 2025)
    for target in (115_000, 119_000, 125_000):
        expected = stats.norm.sf((np.log(target - 110_000) - mu) / sigma)
        assert sales.probability_at_least(totals, target) == pytest.approx(expected, abs=0.003)


def test_calibration_scales_the_spread_around_an_unchanged_median():
    rng = np.random.default_rng(9)
    mu, sigma, factor = np.log(50_000), 0.2, 0.6
    paths = np.exp(mu + sigma * rng.standard_normal((300_000, 1)))
    calibrated = sales.calibrate_paths(paths, factor)
    assert np.median(calibrated) == pytest.approx(np.median(paths))
    expected = stats.norm.sf(np.log(60_000 / 50_000) / (factor * sigma))
    assert sales.probability_at_least(calibrated[:, 0], 60_000) == pytest.approx(
        expected, abs=0.003
    )


def test_calibration_factor_from_earlier_errors():
    implied = np.full(10, 0.1)
    ratios = np.arange(1, 11) / 5  # |log error| / implied sd: 0.2 ... 2.0
    scored = pd.DataFrame(
        {"log_error": ratios * implied * np.tile([1, -1], 5), "implied_sd": implied}
    )
    assert sales.calibration_factor(scored) == pytest.approx(np.quantile(ratios, 0.8) / sales.Z80)
    assert sales.calibration_factor(scored.head(4)) == 1.0  # too few cases: no calibration


def test_skill_weights_follow_inverse_error():
    scores = pd.DataFrame(
        {
            "method": ["a"] * 3 + ["b"] * 3 + ["c"],
            "abs_error_pct": [8, 10, 12, 20, 20, 20, 5],
        }
    )
    weights = sales.skill_weights(scores, ["a", "b", "c"])
    # c has one scored case only, so it gets the average skill of a and b.
    raw = {"a": 1 / 10, "b": 1 / 20, "c": (1 / 10 + 1 / 20) / 2}
    for name, value in raw.items():
        assert weights[name] == pytest.approx(value / sum(raw.values()))
    assert sales.skill_weights(scores, ["a", "b"], "best") == {"a": 1.0, "b": 0.0}
    assert sales.skill_weights(scores, ["a", "b"], "equal") == {"a": 0.5, "b": 0.5}
    with pytest.raises(ValueError, match="weighting must be one of inverse_error, equal, best"):
        sales.skill_weights(scores, ["a"], "median")


def test_mixture_takes_paths_in_proportion_to_weights():
    months = pd.PeriodIndex(["2026-01"], freq="M")
    runs = {
        "a": sales.ModelRun("a", months, np.ones((1000, 1)), {}, pd.Series(dtype=float)),
        "b": sales.ModelRun("b", months, np.full((1000, 1), 2.0), {}, pd.Series(dtype=float)),
    }
    mixed = sales.mix_paths(runs, {"a": 0.25, "b": 0.75}, 40_000, np.random.default_rng(0))
    assert mixed.shape == (40_000, 1)
    assert np.mean(mixed == 1.0) == pytest.approx(0.25, abs=0.01)


# ---------------------------------------------------------------------------------------------
# Forecasts: known months fixed, gaps simulated, short histories, seeds, no look-ahead


def test_reported_months_are_fixed_and_missing_ones_simulated(deliveries, holidays):
    now = sales.snapshot(deliveries, pd.Period("2026-06", freq="M"), holidays)
    series = now.series["leapmotor"]
    request = sales.simulation_request(series, 2026)
    assert [str(m) for m in request.gaps] == ["2026-03", "2026-04"]
    assert [str(m) for m in request.future] == [f"2026-{m:02d}" for m in range(7, 13)]
    forecast = sales.forecast_maker(
        series, 2026, holidays, now.profile, 300, np.random.default_rng(1)
    )
    assert set(forecast.runs) == set(sales.MODELS)
    reported = 32_059 + 28_067 + 81_569 + 93_376
    for name, totals in forecast.annual.items():
        simulated = forecast.combined if name == "combination" else forecast.runs[name].paths
        np.testing.assert_allclose(totals, reported + simulated.sum(axis=1))
        assert totals.min() > reported


def test_a_short_history_names_what_each_model_needs(holidays):
    series = monthly("2025-01", np.linspace(1_000, 5_000, 14))
    request = sales.simulation_request(series, 2026)
    with pytest.raises(
        sales.InsufficientHistory, match="needs at least 24 reported months; synthetic .* has 14"
    ):
        sales.sarimax_paths(request, holidays, 100, np.random.default_rng(0))
    forecast = sales.forecast_maker(series, 2026, holidays, None, 100, np.random.default_rng(0))
    assert not forecast.available
    assert "needs at least 24 reported months" in forecast.skipped["ets"]
    assert "needs the pooled seasonal profile" in forecast.skipped["growth_curve"]


def test_a_fully_reported_year_is_known_exactly(deliveries, holidays):
    now = sales.snapshot(deliveries, pd.Period("2025-12", freq="M"), holidays)
    forecast = sales.forecast_maker(
        now.series["leapmotor"], 2025, holidays, now.profile, 200, np.random.default_rng(0)
    )
    assert not forecast.runs
    assert set(forecast.annual["combination"]) == {596_555.0}


def test_same_seed_same_paths_other_seed_other_paths(deliveries, holidays):
    now = sales.snapshot(deliveries, pd.Period("2025-12", freq="M"), holidays)
    series = now.series["nio"]

    def run(seed):
        return sales.forecast_maker(
            series, 2026, holidays, now.profile, 300, np.random.default_rng(seed)
        )

    first, again, other = run(1), run(1), run(2)
    for name in first.annual:
        np.testing.assert_array_equal(first.annual[name], again.annual[name])
    assert not np.array_equal(first.annual["combination"], other.annual["combination"])


def test_changing_data_after_the_cutoff_changes_nothing(deliveries, holidays):
    cutoff = pd.Period("2024-12", freq="M")
    later = deliveries["month"] > cutoff
    changed = deliveries.copy()
    changed.loc[later, "deliveries"] = changed.loc[later, "deliveries"] * 3 + 17
    changed = changed.drop(changed.index[later & (changed["brand"] == "nio")][:5])

    def everything(table):
        backtest = sales.run_backtest(table, cutoff, holidays, n_paths=150, seed=4)
        now = sales.snapshot(table, cutoff, holidays)
        projection = sales.project(now, "leapmotor", 500_000, 2025, holidays, backtest, 300, 4)
        return backtest, projection

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
    backtest = sales.run_backtest(
        deliveries, pd.Period("2025-12", freq="M"), holidays, n_paths=150, seed=2
    )
    first_year = backtest.rows["target_year"].min()
    assert backtest.calibration.set_index("target_year").loc[first_year, "cases_used"] == 0
    # Weights for 2024 forecasts equal weights recomputed from cases that ended by 2023 only.
    earlier = backtest.rows[
        (backtest.rows["target_year"] < 2024) & backtest.rows["method"].isin(sales.MODELS)
    ]
    used = backtest.weights[
        (backtest.weights["target_year"] == 2024) & (backtest.weights["maker"] == "nio")
    ]
    expected = sales.skill_weights(earlier, list(used["method"]))
    for row in used.itertuples():
        assert row.weight == pytest.approx(expected[row.method])


# ---------------------------------------------------------------------------------------------
# Interval calibration of annual totals, and the hindsight bound on reweighting


def test_calibration_stretches_totals_around_the_median_total_and_keeps_monthly_shape():
    rng = np.random.default_rng(12)
    level = rng.normal(0, 0.3, (20_001, 1))  # shared across months, like a level shock
    paths = np.exp(np.log(10_000) + level + rng.normal(0, 0.2, (20_001, 6)))
    counted = np.array([False, False, True, True, True, True])  # the first two: the year before
    calibrated = sales.calibrate_paths(paths, 3.0, counted)
    before, after = paths[:, counted].sum(axis=1), calibrated[:, counted].sum(axis=1)
    assert np.median(after) == pytest.approx(np.median(before), rel=1e-9)
    assert np.std(np.log(after)) == pytest.approx(3 * np.std(np.log(before)), rel=1e-9)
    np.testing.assert_allclose(calibrated / calibrated.sum(1, keepdims=True), paths / paths.sum(1, keepdims=True))  # fmt: skip
    # Stretching each month on its own would have raised the median total.
    center = np.median(np.log(paths), axis=0)
    monthwise = np.exp(center + 3 * (np.log(paths) - center))[:, counted].sum(axis=1)
    assert np.median(monthwise) > 1.05 * np.median(before)


def backtest_of(medians: dict[str, list[float]], actual: list[float]) -> sales.Backtest:
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
    empty = pd.DataFrame()
    return sales.Backtest(frame, empty, empty, empty, "inverse_error")


def test_hindsight_blend_finds_the_weights_that_cancel_opposite_errors():
    actual = [100.0, 200.0, 300.0, 400.0]
    high, low = np.exp(0.2), np.exp(-0.2)  # one method always 22% high, the other 18% low
    blend = sales.hindsight_blend(
        backtest_of(
            {"sarimax": [a * high for a in actual], "ets": [a * low for a in actual]}, actual
        )
    )
    assert blend.cases == 4
    assert blend.weights["sarimax"] == pytest.approx(0.5, abs=0.01)
    assert blend.weights["ets"] == pytest.approx(0.5, abs=0.01)
    assert blend.mape_pct < 0.5
    # A single exact method takes all the weight; too few maker-years give no blend.
    exact = sales.hindsight_blend(
        backtest_of({"ets": actual, "sarimax": [2 * a for a in actual]}, actual)
    )
    assert exact.weights == {"ets": pytest.approx(1.0)} and exact.mape_pct == pytest.approx(
        0, abs=1e-6
    )
    assert sales.hindsight_blend(backtest_of({"ets": actual[:2]}, actual[:2])) is None


def test_the_goal_verdict_names_the_largest_misses():
    actual = [100.0, 100.0, 100.0, 100.0, 100.0]
    backtest = backtest_of(
        {"combination": [150.0, 60.0, 105.0, 95.0, 110.0], "q4_run_rate": [160.0, 50.0, 90.0, 120.0, 100.0]},
        actual,
    )  # fmt: skip
    backtest.rows["maker"] = ["nio", "li_auto", "xpeng", "tesla_china", "leapmotor"] * 2
    headline = sales.Headline(19.0, 80.0, 22.0, "Naive: Q4 run-rate x 4", 5)
    text = sales.goal_markdown(
        backtest, headline, sales.hindsight_blend(backtest), 15.0, (70.0, 90.0)
    )
    assert text.startswith("**The combination does not meet the goal.**")
    assert "it beats the best naive rule (Naive: Q4 run-rate x 4, 22.0%)" in text
    assert "NIO 2024 (+50%) and Li Auto 2024 (-40%), make up 82% of the total error" in text
    assert "other 3 maker-years average 6.7%" in text
    assert "No reweighting of these methods could have met the goal" in text
