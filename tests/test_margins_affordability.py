"""lib.margins.affordability: cushion, cash and loss per vehicle over the same four quarters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.margins.affordability import affordability_table
from lib.margins.panel import Panel

QUARTERS = pd.period_range("2025Q1", periods=4, freq="Q")


def _panel(cash_flag: str = "stated", deliveries=(10_000, 10_000, 10_000, 10_000)) -> Panel:
    table = pd.DataFrame(
        {
            "revenue": [1_000.0] * 4,
            "revenue_flag": "stated",
            "net_income": [-50.0] * 4,
            "net_income_flag": "stated",
            "deliveries": list(deliveries),
            "deliveries_flag": "stated",
            "gross_margin_pct": [10.0, 11.0, 12.0, 13.0],
            "gross_margin_pct_flag": ["stated", "stated", "stated", "derived"],
            "cash": [np.nan, 2_000.0, np.nan, 3_000.0],
            "cash_flag": [None, "stated", None, cash_flag],
        },
        index=QUARTERS,
    )
    return Panel("Synthetic", "RMB", "total", table, 2025)


def test_a_full_year_gives_cash_to_revenue_and_loss_per_vehicle():
    row = affordability_table({"S": _panel()}, {"S": QUARTERS[-1]}).iloc[0]
    assert row["cushion_pp"] == pytest.approx(13.0)
    assert row["cash_mn"] == pytest.approx(3_000.0) and row["cash_as_of"] == "2025Q4"
    assert row["cash_to_revenue_pct"] == pytest.approx(100 * 3_000 / 4_000)
    assert row["net_income_per_vehicle"] == pytest.approx(-200e6 / 40_000)
    assert row["flags"] == "derived"


def test_an_unusable_cash_figure_falls_back_to_the_last_usable_one():
    row = affordability_table({"S": _panel("uncertain")}, {"S": QUARTERS[-1]}).iloc[0]
    assert row["cash_mn"] == pytest.approx(2_000.0) and row["cash_as_of"] == "2025Q2"


def test_a_missing_quarter_leaves_the_yearly_figures_empty():
    row = affordability_table({"S": _panel(deliveries=(np.nan, 1, 1, 1))}, {"S": QUARTERS[-1]})
    assert np.isnan(row["cash_to_revenue_pct"].iloc[0])
    assert np.isnan(row["net_income_per_vehicle"].iloc[0])
