"""lib.sales.models: each model recovers a known truth on synthetic data, names what a short
history lacks, and reports when the growth curve sits on its headroom bound."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.sales import models, seasonality
from lib.sales.inputs import InsufficientHistory
from tests.conftest import monthly


def test_growth_curve_recovers_a_known_logistic():
    rng = np.random.default_rng(7)
    truth = np.array([10.0, 0.04, 1.0])  # log level now, growth per month now, log headroom
    t = np.arange(-47, 1, dtype=float)
    log_level = models.logistic_log_level(truth, t)[0] + rng.normal(0, 0.02, len(t))
    index = pd.period_range(end="2025-12", periods=len(t), freq="M")
    fit = models.fit_logistic(pd.Series(log_level, index=index))
    assert fit.params[0] == pytest.approx(10.0, abs=0.03)
    assert fit.params[1] == pytest.approx(0.04, abs=0.006)
    assert fit.params[2] == pytest.approx(1.0, abs=0.25)
    assert fit.residual_sd == pytest.approx(0.02, rel=0.35)
    assert fit.capacity == pytest.approx(np.exp(fit.params[0] + fit.params[2]))


def test_growth_curve_bounds_come_from_the_named_ranges():
    t = np.arange(-23, 1, dtype=float)
    index = pd.period_range(end="2025-12", periods=len(t), freq="M")
    fit = models.fit_logistic(pd.Series(8.0 + 0.05 * t, index=index))  # straight growth
    assert fit.lower[1:].tolist() == [models.CURVE_GROWTH_RANGE[0], models.CURVE_HEADROOM_RANGE[0]]
    assert fit.upper[1:].tolist() == [models.CURVE_GROWTH_RANGE[1], models.CURVE_HEADROOM_RANGE[1]]
    # A straight line never levels off: the headroom runs to its upper bound.
    assert fit.params[2] >= models.CURVE_HEADROOM_RANGE[1] - models.CURVE_AT_BOUND
    low, high = models.CURVE_AR1_RANGE
    assert low <= fit.residual_ar1 <= high


def test_sarimax_recovers_a_known_holiday_effect(holidays):
    rng = np.random.default_rng(11)
    months = pd.period_range("2017-01", "2025-12", freq="M")
    growth = np.zeros(len(months))
    for t in range(1, len(months)):  # AR(1) growth around zero: an ARIMA(1,1,0) level
        growth[t] = 0.5 * growth[t - 1] + rng.normal(0, 0.05)
    log_level = 10 + np.cumsum(growth) - 0.5 * seasonality.cny_exposure(months, holidays)
    series = pd.Series(np.exp(log_level), index=months, name="synthetic")
    request = models.simulation_request(series, 2026)
    run = models.sarimax_paths(request, holidays, 200, np.random.default_rng(0))
    assert run.parameters["x1"] == pytest.approx(-0.5, abs=0.12)
    assert run.parameters["ar.L1"] == pytest.approx(0.5, abs=0.2)
    assert run.paths.shape == (200, 12)


def test_a_short_history_names_what_each_model_needs(holidays):
    series = monthly("2025-01", np.linspace(1_000, 5_000, 14))
    request = models.simulation_request(series, 2026)
    with pytest.raises(
        InsufficientHistory, match="needs at least 24 reported months; synthetic .* has 14"
    ):
        models.sarimax_paths(request, holidays, 100, np.random.default_rng(0))
    with pytest.raises(InsufficientHistory, match="needs the pooled seasonal profile"):
        models.growth_curve_paths(request, holidays, None, 100, np.random.default_rng(0))
    with pytest.raises(KeyError, match="unknown model 'arima'"):
        models.run_model("arima", request, holidays, None, 100, np.random.default_rng(0))


def test_the_request_simulates_gaps_in_the_target_year_and_the_months_after_the_data():
    series = monthly("2024-01", [1.0] * 12 + [1.0, np.nan, 1.0, 1.0])
    request = models.simulation_request(series, 2025)
    assert [str(m) for m in request.gaps] == ["2025-02"]
    assert [str(m) for m in request.future] == [f"2025-{m:02d}" for m in range(5, 13)]
    assert request.months[0] == pd.Period("2025-02", "M")


def test_ar1_noise_has_the_asked_sd_and_autocorrelation():
    noise = models._ar1_noise(np.random.default_rng(0), 20_000, 6, 0.1, 0.6)
    assert np.std(noise[:, -1]) == pytest.approx(0.1, rel=0.03)
    assert np.corrcoef(noise[:, 4], noise[:, 5])[0, 1] == pytest.approx(0.6, abs=0.02)
