"""lib.margins.bridge: the gross-profit bridge adds up exactly and isolates each effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib import data
from lib.margins import bridge, panel
from tests.conftest import FROZEN_DATA


@pytest.mark.parametrize("share", [None, 0.0, 0.2])
def test_bridge_adds_up_exactly(share):
    rng = np.random.default_rng(7)
    for _ in range(50):
        n0, n1 = rng.uniform(1e4, 3e5, 2)
        p0, p1 = rng.uniform(8e4, 3e5, 2)
        c0, c1 = rng.uniform(7e4, 3e5, 2)
        result = bridge.gross_profit_bridge((n0, n1), (p0, p1), (c0, c1), share)
        assert result.effects.sum() == pytest.approx(result.change, rel=1e-12, abs=1e-9)
        assert result.base_gross_profit == pytest.approx(n0 * (p0 - c0) / 1e6)


def test_bridge_isolates_each_effect():
    only_volume = bridge.gross_profit_bridge((100, 150), (10.0, 10.0), (8.0, 8.0))
    assert only_volume.effects["Volume"] == pytest.approx(50 * 2 / 1e6)
    assert only_volume.effects[["Price / mix", "Unit cost"]].abs().sum() == 0
    only_price = bridge.gross_profit_bridge((100, 100), (10.0, 9.0), (8.0, 8.0))
    assert only_price.effects["Price / mix"] == pytest.approx(-100 / 1e6)
    assert only_price.largest_effect == "Price / mix"


def test_fixed_cost_absorption_is_the_fixed_cost_spread_over_more_cars():
    # 100 -> 200 cars at unit cost 8, 25% of it fixed (F = 200): spreading F over twice the cars
    # saves s c0 (N1 - N0) = 0.25 * 8 * 100 = 200; the rest of the 1-a-car fall is other cost.
    result = bridge.gross_profit_bridge((100, 200), (10.0, 10.0), (8.0, 7.0), 0.25)
    assert result.effects["Fixed-cost absorption"] == pytest.approx(200 / 1e6)
    assert result.effects["Other unit cost"] == pytest.approx((200 * 1.0 - 200) / 1e6)


def test_bridge_on_the_data_matches_reported_gross_profit():
    leapmotor = panel.quarterly_panel(data.load_financials(FROZEN_DATA), "Leapmotor")
    base, end = pd.Period("2024Q4", "Q"), pd.Period("2025Q4", "Q")
    result = bridge.panel_bridge(leapmotor, base, end, 0.05)
    t = leapmotor.table
    for quarter, value in ((base, result.base_gross_profit), (end, result.end_gross_profit)):
        expected = t.loc[quarter, "revenue"] * t.loc[quarter, "gross_margin_pct"] / 100
        assert value == pytest.approx(expected)
    assert result.table()["value_mn"].iloc[1:-1].sum() == pytest.approx(result.change)
    assert result.table()["step"].iloc[0] == "Gross profit 2024Q4"
