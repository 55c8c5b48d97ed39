"""lib.sales.seasonality: the Chinese New Year regressor and the pooled seasonal profile recover
known effects; the snapshot says why it has no profile when the data are too short."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib import data
from lib.sales import seasonality
from tests.conftest import FROZEN_DATA


@pytest.fixture(scope="module")
def holidays():
    return data.load_holidays(FROZEN_DATA)


def test_cny_exposure_splits_the_holiday_window_between_january_and_february(holidays):
    months = pd.PeriodIndex(
        ["2025-01", "2025-02", "2026-01", "2026-02", "2020-01", "2020-03"], freq="M"
    )
    share = seasonality.cny_exposure(months, holidays)
    # 2025-01-29: window 26 Jan - 9 Feb; 2026-02-17: 14-28 Feb; 2020-01-25: 22 Jan - 5 Feb.
    np.testing.assert_allclose(share, [6 / 15, 9 / 15, 0, 1, 10 / 15, 0])


def test_cny_exposure_without_a_date_for_the_year_says_which(holidays):
    with pytest.raises(ValueError, match="no Chinese New Year date for 2031.*covers 2015-2030"):
        seasonality.cny_exposure(pd.PeriodIndex(["2031-05"], freq="M"), holidays)


def test_pooled_seasonal_profile_recovers_known_month_and_holiday_effects(holidays):
    rng = np.random.default_rng(3)
    months = pd.period_range("2016-01", "2025-12", freq="M")
    month_effect = np.array([0.0, -0.1, 0.05, -0.05, 0.0, 0.05, 0.0, 0.05, 0.1, -0.1, 0.05, 0.2])
    month_effect -= month_effect.mean()
    cny = seasonality.cny_exposure(months, holidays)
    makers = {}
    for i, growth in enumerate([0.01, 0.02, 0.03, 0.0]):
        trend = 9 + i + growth * np.arange(len(months))
        log_level = trend + month_effect[months.month - 1] - 0.4 * cny
        makers[f"maker_{i}"] = pd.Series(
            np.exp(log_level + rng.normal(0, 0.02, len(months))), index=months
        )
    profile = seasonality.pooled_seasonal_profile(makers, holidays)
    assert profile.cny_effect == pytest.approx(-0.4, abs=0.04)
    np.testing.assert_allclose(profile.month_effect.to_numpy(), month_effect, atol=0.03)
    assert profile.makers == ("maker_0", "maker_1", "maker_2", "maker_3")


def test_centred_trend_removes_a_pure_seasonal_pattern():
    months = pd.period_range("2020-01", "2023-12", freq="M")
    season = np.tile(np.linspace(-0.2, 0.2, 12), 4)
    trend = seasonality.centred_trend(pd.Series(5.0 + 0.01 * np.arange(48) + season, index=months))
    # 11 of the 13 months known: the first and last four months have no trend.
    assert trend.isna().tolist() == [True] * 4 + [False] * 40 + [True] * 4
    inner = trend.iloc[6:42]  # all 13 months known: the seasonal pattern cancels exactly
    expected = 5.0 + 0.01 * np.arange(6, 42) + season.mean()
    np.testing.assert_allclose(inner.to_numpy(), expected, atol=1e-12)


def test_a_snapshot_too_short_for_a_profile_says_why(holidays):
    months = pd.period_range("2024-01", "2025-06", freq="M")
    deliveries = pd.DataFrame({"brand": "solo", "month": months, "deliveries": np.arange(100, 118)})
    now = seasonality.snapshot(deliveries, months[-1], holidays)
    assert now.profile is None
    assert "needs at least 2 months of each calendar month" in now.profile_problem


def test_fill_gaps_interpolates_seasonally_adjusted_log_deliveries(holidays):
    series = pd.Series(
        [100.0, np.nan, 400.0], index=pd.period_range("2025-05", periods=3, freq="M")
    )
    assert seasonality.fill_gaps(series, None, holidays).iloc[1] == pytest.approx(200.0)
