"""lib.margins.breakeven: closed forms of price cut against volume, the one fixed-cost model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.margins import breakeven
from lib.margins.panel import Panel


@pytest.mark.parametrize(("margin", "cut"), [(0.15, 0.10), (0.20, 0.05), (0.30, 0.29), (0.08, 0.0)])
def test_breakeven_volume_keeps_gross_profit(margin, cut):
    needed = breakeven.breakeven_volume_increase(margin, cut)
    assert needed == pytest.approx(cut / (margin - cut))
    # Price 1, unit cost 1 - m: profit per car m before, m - d after, on (1 + g) times the cars.
    assert (margin - cut) * (1 + needed) == pytest.approx(margin)


def test_breakeven_is_infinite_when_the_cut_eats_the_margin():
    needed = breakeven.breakeven_volume_increase(0.10, np.array([0.05, 0.10, 0.15]))
    assert needed[0] == pytest.approx(1.0)
    assert np.isinf(needed[1:]).all()


def test_breakeven_with_fixed_costs_keeps_gross_profit_in_money():
    margin, share, cut, vehicles = 0.15, 0.25, 0.10, 1000.0
    unit_cost = 1 - margin
    fixed = share * unit_cost * vehicles
    variable = (1 - share) * unit_cost
    needed = breakeven.breakeven_volume_increase(breakeven.contribution_margin(margin, share), cut)
    before = vehicles * 1.0 - fixed - variable * vehicles
    after = vehicles * (1 + needed) * (1 - cut - variable) - fixed
    assert after == pytest.approx(before)
    assert needed < breakeven.breakeven_volume_increase(margin, cut)


def test_unit_cost_factor_spreads_the_fixed_share():
    assert breakeven.unit_cost_factor(0.3, 0.0) == pytest.approx(1.0)
    # Twice the volume: the fixed 30% is spread over twice the cars.
    assert breakeven.unit_cost_factor(0.3, 1.0) == pytest.approx(0.7 + 0.15)
    assert breakeven.unit_cost_factor(0.0, 5.0) == pytest.approx(1.0)


def test_gross_margin_after_is_today_at_the_origin_and_moves_with_price_and_volume():
    assert breakeven.gross_margin_after(0.15, 0.3, 0.0, 0.0) == pytest.approx(0.15)
    # With no fixed costs volume does not change the margin, only the price does.
    assert breakeven.gross_margin_after(0.15, 0.0, 0.10, 0.5) == pytest.approx(1 - 0.85 / 0.9)
    assert breakeven.gross_margin_after(0.15, 0.3, 0.0, 0.5) == pytest.approx(
        1 - 0.85 * (0.7 + 0.3 / 1.5)
    )


def test_margin_grid_has_the_grid_shape_and_percent_units():
    grid = breakeven.margin_grid(0.15, 0.1, np.array([0.0, 0.1]), np.array([-0.2, 0.0, 1.0]))
    assert grid.shape == (3, 2)
    assert grid.loc[0.0, 0.0] == pytest.approx(15.0)
    assert list(grid.columns) == [0.0, 10.0]
    assert grid.loc[100.0, 10.0] == pytest.approx(
        100 * breakeven.gross_margin_after(0.15, 0.1, 0.1, 1.0)
    )


def test_grid_includes_both_ends():
    grid = breakeven.make_grid(0.0, 20.0, 0.5)
    assert len(grid) == 41
    assert grid[0] == 0.0 and grid[-1] == pytest.approx(0.2)
    assert breakeven.make_grid(0.0, 1.0, 0.3)[-1] == pytest.approx(0.009)  # stops inside
    assert breakeven.make_grid(5.0, 5.0, 1.0).tolist() == [0.05]


def _synthetic_panel(quarters: int, fixed_mn: float = 2000.0, variable: float = 90_000.0):
    index = pd.period_range("2023Q1", periods=quarters, freq="Q")
    vehicles = np.random.default_rng(11).uniform(5e4, 2e5, quarters)
    cost_mn = fixed_mn + variable * vehicles / 1e6
    table = pd.DataFrame(
        {
            "revenue": cost_mn / 0.85,
            "deliveries": vehicles,
            "gross_margin_pct": 15.0,
            "revenue_flag": "stated",
            "deliveries_flag": "stated",
            "gross_margin_pct_flag": "stated",
        },
        index=index,
    )
    return Panel("Synthetic", "RMB", "total", table, 2023), cost_mn


def test_fixed_cost_share_is_recovered_from_synthetic_quarters():
    panel, cost_mn = _synthetic_panel(8)
    estimate = breakeven.estimate_fixed_cost_share(panel, panel.table.index[-1])
    assert estimate.share == pytest.approx(2000.0 / cost_mn[-1])
    assert estimate.variable_cost_per_vehicle == pytest.approx(90_000.0)
    assert estimate.n == breakeven.FIXED_COST_QUARTERS


def test_a_thin_history_is_below_the_evidence_floor_not_an_error():
    panel, _ = _synthetic_panel(2)
    estimate = breakeven.estimate_fixed_cost_share(panel, panel.table.index[-1])
    assert estimate.n == 2 and np.isnan(estimate.share) and estimate.too_little_data
    exact, _ = _synthetic_panel(breakeven.MIN_EVIDENCE_QUARTERS - 1)  # a perfect fit, too few
    assert breakeven.estimate_fixed_cost_share(exact, exact.table.index[-1]).too_little_data
    enough, _ = _synthetic_panel(breakeven.MIN_EVIDENCE_QUARTERS)
    assert not breakeven.estimate_fixed_cost_share(enough, enough.table.index[-1]).too_little_data


@pytest.mark.parametrize(
    ("low", "high", "floored"),
    [
        (-0.187, 0.183, True),  # crosses zero, 37 points wide: says nothing
        (-0.005, 0.102, False),  # crosses zero but narrow: "small"
        (0.19, 0.43, False),  # wide but clear of zero: "some, and a lot"
        (-0.10, 0.10, False),  # exactly at the width rule: kept
    ],
)
def test_the_interval_rule_of_the_evidence_floor(low, high, floored):
    estimate = breakeven.FixedCostEstimate((low + high) / 2, low, high, "q", 8, 1.0)
    assert estimate.too_little_data is floored


def test_projected_margin_follows_wrights_law():
    # Doubling cumulative volume at b = log2(0.8) leaves 80% of the unit cost.
    assert breakeven.project_gross_margin(0.15, 1.0, 2.0, np.log2(0.8)) == pytest.approx(
        1 - 0.85 * 0.8
    )
    assert breakeven.project_gross_margin(0.15, 1.0, 1.0, -0.3, 0.1) == pytest.approx(
        1 - 0.85 / 0.9
    )
