"""lib.sales.simulation: closed-form probabilities, calibration around an unchanged median,
skill weights, the mixture, reported months fixed, seeded runs and per-maker random streams."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lib.sales import models, simulation
from lib.sales.seasonality import snapshot
from tests.conftest import monthly


def test_probability_with_known_months_matches_the_lognormal_answer():
    """Eleven months known (110,000), the twelfth lognormal: P(total >= T) is closed form."""
    history = monthly("2025-01", [10_000] * 11 + [np.nan])
    rng = np.random.default_rng(5)
    mu, sigma = np.log(9_000), 0.3
    paths = np.exp(mu + sigma * rng.standard_normal((400_000, 1)))
    months = pd.PeriodIndex(["2025-12"], freq="M")
    totals = simulation.annual_path_totals(history, months, paths, 2025)
    for target in (115_000, 119_000, 125_000):
        expected = stats.norm.sf((np.log(target - 110_000) - mu) / sigma)
        assert simulation.probability_at_least(totals, target) == pytest.approx(expected, abs=0.003)


def test_calibration_scales_the_spread_around_an_unchanged_median():
    rng = np.random.default_rng(9)
    mu, sigma, factor = np.log(50_000), 0.2, 0.6
    paths = np.exp(mu + sigma * rng.standard_normal((300_000, 1)))
    calibrated = simulation.calibrate_paths(paths, factor)
    assert np.median(calibrated) == pytest.approx(np.median(paths))
    expected = stats.norm.sf(np.log(60_000 / 50_000) / (factor * sigma))
    assert simulation.probability_at_least(calibrated[:, 0], 60_000) == pytest.approx(
        expected, abs=0.003
    )


def test_calibration_stretches_totals_around_the_median_total_and_keeps_monthly_shape():
    rng = np.random.default_rng(12)
    level = rng.normal(0, 0.3, (20_001, 1))  # shared across months, like a level shock
    paths = np.exp(np.log(10_000) + level + rng.normal(0, 0.2, (20_001, 6)))
    counted = np.array([False, False, True, True, True, True])  # the first two: the year before
    calibrated = simulation.calibrate_paths(paths, 3.0, counted)
    before, after = paths[:, counted].sum(axis=1), calibrated[:, counted].sum(axis=1)
    assert np.median(after) == pytest.approx(np.median(before), rel=1e-9)
    assert np.std(np.log(after)) == pytest.approx(3 * np.std(np.log(before)), rel=1e-9)
    np.testing.assert_allclose(
        calibrated / calibrated.sum(1, keepdims=True), paths / paths.sum(1, keepdims=True)
    )
    # Stretching each month on its own would have raised the median total.
    center = np.median(np.log(paths), axis=0)
    monthwise = np.exp(center + 3 * (np.log(paths) - center))[:, counted].sum(axis=1)
    assert np.median(monthwise) > 1.05 * np.median(before)


def test_calibration_factor_from_earlier_errors_within_its_range():
    implied = np.full(10, 0.1)
    ratios = np.arange(1, 11) / 5  # |log error| / implied sd: 0.2 ... 2.0
    signs = np.tile([1, -1], 5)
    scored = pd.DataFrame({"log_error": ratios * implied * signs, "implied_sd": implied})
    factor = simulation.calibration_factor(scored)
    assert factor == pytest.approx(np.quantile(ratios, 0.8) / simulation.Z80)
    assert simulation.calibration_factor(scored.head(4)) == 1.0  # too few cases: no calibration
    low, high = simulation.CALIBRATION_RANGE
    tiny = scored.assign(log_error=scored["log_error"] / 1000)
    huge = scored.assign(log_error=scored["log_error"] * 1000)
    assert simulation.calibration_factor(tiny) == low
    assert simulation.calibration_factor(huge) == high


def test_skill_weights_follow_inverse_error():
    scores = pd.DataFrame(
        {"method": ["a"] * 3 + ["b"] * 3 + ["c"], "abs_error_pct": [8, 10, 12, 20, 20, 20, 5]}
    )
    weights = simulation.skill_weights(scores, ["a", "b", "c"])
    # c has one scored case only, so it gets the average skill of a and b.
    raw = {"a": 1 / 10, "b": 1 / 20, "c": (1 / 10 + 1 / 20) / 2}
    for name, value in raw.items():
        assert weights[name] == pytest.approx(value / sum(raw.values()))
    assert simulation.skill_weights(scores, ["a", "b"], "best") == {"a": 1.0, "b": 0.0}
    assert simulation.skill_weights(scores, ["a", "b"], "equal") == {"a": 0.5, "b": 0.5}
    with pytest.raises(ValueError, match="weighting must be one of inverse_error, equal, best"):
        simulation.skill_weights(scores, ["a"], "median")


def test_mixture_takes_paths_in_proportion_to_weights():
    months = pd.PeriodIndex(["2026-01"], freq="M")
    runs = {
        "a": models.ModelRun("a", months, np.ones((1000, 1)), {}, pd.Series(dtype=float)),
        "b": models.ModelRun("b", months, np.full((1000, 1), 2.0), {}, pd.Series(dtype=float)),
    }
    mixed = simulation.mix_paths(runs, {"a": 0.25, "b": 0.75}, 40_000, np.random.default_rng(0))
    assert mixed.shape == (40_000, 1)
    assert np.mean(mixed == 1.0) == pytest.approx(0.25, abs=0.01)
    with pytest.raises(ValueError, match="no model with a positive weight"):
        simulation.mix_paths(runs, {"a": 0.0}, 10, np.random.default_rng(0))


def test_reported_months_are_fixed_and_missing_ones_simulated(deliveries, holidays):
    now = snapshot(deliveries, pd.Period("2026-06", freq="M"), holidays)
    series = now.series["leapmotor"]
    forecast = simulation.forecast_maker(
        series, 2026, holidays, now.profile, 300, np.random.default_rng(1)
    )
    assert [str(m) for m in forecast.request.gaps] == ["2026-03", "2026-04"]
    assert set(forecast.runs) == set(models.MODELS)
    reported = 32_059 + 28_067 + 81_569 + 93_376
    for name, totals in forecast.annual.items():
        simulated = forecast.combined if name == "combination" else forecast.runs[name].paths
        np.testing.assert_allclose(totals, reported + simulated.sum(axis=1))
        assert totals.min() > reported


def test_a_short_history_leaves_no_forecast_and_says_why(holidays):
    series = monthly("2025-01", np.linspace(1_000, 5_000, 14))
    forecast = simulation.forecast_maker(
        series, 2026, holidays, None, 100, np.random.default_rng(0)
    )
    assert not forecast.available
    assert "needs at least 24 reported months" in forecast.skipped["ets"]
    assert "needs the pooled seasonal profile" in forecast.skipped["growth_curve"]


def test_a_fully_reported_year_is_known_exactly(deliveries, holidays):
    now = snapshot(deliveries, pd.Period("2025-12", freq="M"), holidays)
    forecast = simulation.forecast_maker(
        now.series["leapmotor"], 2025, holidays, now.profile, 200, np.random.default_rng(0)
    )
    assert not forecast.runs
    assert set(forecast.annual["combination"]) == {596_555.0}


def test_same_seed_same_paths_other_seed_other_paths(deliveries, holidays):
    now = snapshot(deliveries, pd.Period("2025-12", freq="M"), holidays)

    def run(seed):
        return simulation.forecast_maker(
            now.series["nio"], 2026, holidays, now.profile, 300, np.random.default_rng(seed)
        )

    first, again, other = run(1), run(1), run(2)
    for name in first.annual:
        np.testing.assert_array_equal(first.annual[name], again.annual[name])
    assert not np.array_equal(first.annual["combination"], other.annual["combination"])


def test_a_makers_stream_depends_on_its_key_not_on_other_makers():
    draw = simulation.maker_rng(7, "xpeng", 2026, simulation.ANSWER_STREAM).standard_normal(5)
    again = simulation.maker_rng(7, "xpeng", 2026, simulation.ANSWER_STREAM).standard_normal(5)
    np.testing.assert_array_equal(draw, again)
    for other in [
        simulation.maker_rng(7, "nio", 2026, simulation.ANSWER_STREAM),
        simulation.maker_rng(7, "xpeng", 2025, simulation.ANSWER_STREAM),
        simulation.maker_rng(7, "xpeng", 2026, simulation.BACKTEST_STREAM),
        simulation.maker_rng(8, "xpeng", 2026, simulation.ANSWER_STREAM),
    ]:
        assert not np.array_equal(draw, other.standard_normal(5))


def test_calibration_recovers_the_over_dispersion_of_uncalibrated_intervals():
    """Issue 14: intervals 1.6 times too wide. Each year's factor comes from the earlier years and
    is applied to the next year's uncalibrated spread, as in the backtest; measuring the factor on
    the calibrated spreads (the old defect) drifts away from 1 / 1.6, the raw spreads recover it."""
    rng = np.random.default_rng(14)
    true_sd, over = 0.15, 1.6
    rows = []
    for _year in range(2000, 2040):
        earlier = pd.DataFrame(rows, columns=["log_error", "implied_sd", "raw_implied_sd"])
        factor = simulation.calibration_factor(earlier)
        for _ in range(5):
            raw = over * true_sd * rng.uniform(0.8, 1.2)
            rows.append((rng.normal(0, raw / over), factor * raw, raw))
    scored = pd.DataFrame(rows, columns=["log_error", "implied_sd", "raw_implied_sd"])
    assert simulation.calibration_factor(scored) == pytest.approx(1 / over, rel=0.1)
    defective = simulation.calibration_factor(scored.drop(columns="raw_implied_sd"))
    assert defective == pytest.approx(1.0, abs=0.15)  # calibrated intervals look right: no fix
