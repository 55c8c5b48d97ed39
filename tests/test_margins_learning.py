"""lib.margins.learning: Wright's law recovers known rates; the margin at the target volume."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib import data
from lib.margins import learning, panel
from tests.conftest import FROZEN_DATA


@pytest.fixture(scope="module")
def panels():
    financials = data.load_financials(FROZEN_DATA)
    return {c: panel.quarterly_panel(financials, c) for c in panel.companies(financials)}


def _synthetic_learning(rate: float, n: int, seed: int, company: str = "A", level: float = 2e5):
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(rng.uniform(2e4, 8e4, n))
    slope = learning.slope_from_learning_rate(rate)
    cost = level * (cumulative / cumulative[0]) ** slope * np.exp(rng.normal(0, 0.03, n))
    return pd.DataFrame(
        {"company": company, "cum_deliveries_mid": cumulative, "cost_per_vehicle": cost}
    )


def test_wright_fit_recovers_a_known_learning_rate():
    fit = learning.fit_wright(_synthetic_learning(0.15, 40, seed=1))
    assert fit.learning_rate == pytest.approx(0.15, abs=0.02)
    low, high = fit.learning_rate_ci
    assert low < 0.15 < high
    assert fit.scope == "own data"


def test_wright_interval_covers_the_truth_about_95_percent_of_the_time():
    covered = [
        fit.learning_rate_ci[0] < 0.2 < fit.learning_rate_ci[1]
        for fit in (learning.fit_wright(_synthetic_learning(0.2, 12, seed=s)) for s in range(200))
    ]
    assert 0.90 <= np.mean(covered) <= 0.99


def test_pooled_wright_fit_keeps_one_slope_and_separate_levels():
    points = pd.concat(
        [
            _synthetic_learning(0.1, 15, seed=2, company="A", level=3e5),
            _synthetic_learning(0.1, 15, seed=3, company="B", level=1e5),
        ]
    )
    fit = learning.fit_wright(points)
    assert fit.learning_rate == pytest.approx(0.1, abs=0.03)
    assert fit.intercepts["A"] > fit.intercepts["B"]
    assert fit.scope.startswith("pooled")


def test_learning_rate_and_slope_are_inverse():
    rates = np.array([-0.05, 0.0, 0.13, 0.2])
    back = learning.learning_rate_from_slope(learning.slope_from_learning_rate(rates))
    assert back == pytest.approx(rates)
    assert learning.learning_rate_from_slope(-1.0) == pytest.approx(0.5)


def test_wright_fit_needs_enough_points():
    with pytest.raises(ValueError, match="too few quarters"):
        learning.fit_wright(_synthetic_learning(0.1, 2, seed=0))


def test_company_with_too_few_quarters_borrows_the_pooled_slope(panels):
    fit = learning.fit_company_learning(panels, "BYD", pd.Period("2025Q3", "Q"))
    assert fit.scope.startswith("pooled")
    assert "BYD" not in set(fit.points["company"])


def test_an_analyst_rate_keeps_the_fits_interval_width(panels):
    fit = learning.fit_company_learning(panels, "Leapmotor", pd.Period("2025Q4", "Q"))
    fitted = learning.chosen_learning_rate(fit, None)
    assert fitted.slope == fit.slope and fitted.source.startswith("fitted")
    set_rate = learning.chosen_learning_rate(fit, 12.0)
    assert set_rate.rate == pytest.approx(0.12)
    width = set_rate.slope_interval[1] - set_rate.slope_interval[0]
    assert width == pytest.approx(fit.slope_ci[1] - fit.slope_ci[0])
    low, high = set_rate.rate_interval
    assert low < 0.12 < high


def test_margin_at_target_applies_the_learning_curve(panels):
    leapmotor, start = panels["Leapmotor"], pd.Period("2025Q4", "Q")
    flat = learning.margin_at_target(leapmotor, start, 0.0, (0.0, 0.0), 1_000_000)
    assert flat["gross_margin_pct"].iloc[0] == pytest.approx(15.0)
    assert flat["gross_margin_pct"].iloc[2] == pytest.approx(100 * (1 - 0.85 / 0.9))
    curve = learning.margin_at_target(leapmotor, start, -0.2, (-0.3, -0.1), 1_000_000)
    row = leapmotor.table.loc[start]
    ratio = (row["cum_deliveries"] + 500_000) / row["cum_deliveries_mid"]
    assert curve["gross_margin_pct"].iloc[0] == pytest.approx(100 * (1 - 0.85 * ratio**-0.2))
    # A steeper slope (-0.3) lowers cost more: the high end; the flatter one the low end.
    assert curve["high_pct"].iloc[0] == pytest.approx(100 * (1 - 0.85 * ratio**-0.3))
    assert curve["low_pct"].iloc[0] == pytest.approx(100 * (1 - 0.85 * ratio**-0.1))
    assert list(curve["price_cut_pct"]) == [0.0, 5.0, 10.0]
    assert curve.attrs["learning_applied"]
