"""lib.margins.analysis: the whole analysis on the frozen data; the README's headline numbers."""

from __future__ import annotations

import numpy as np
import pytest

from lib import margins
from lib.margins import breakeven
from tests.conftest import FROZEN_DATA


@pytest.fixture(scope="module")
def leapmotor() -> margins.Analysis:
    return margins.analyse(margins.load_inputs("leapmotor", data_dir=FROZEN_DATA))


def test_headline_numbers_on_the_frozen_data(leapmotor):
    assert leapmotor.margin_now == pytest.approx(0.15)
    assert leapmotor.learning.rate == pytest.approx(0.132, abs=0.0005)
    assert [round(v, 1) for v in leapmotor.cases["gross_margin_pct"]] == [22.3, 18.2, 13.7]
    cut10 = leapmotor.case(0.10)
    assert (round(cut10.low_pct, 1), round(cut10.high_pct, 1)) == (10.0, 17.1)
    assert leapmotor.need_for_cut == pytest.approx(2.0)


def test_fixed_share_feeds_the_bridge_the_breakeven_and_the_map(leapmotor):
    share, margin = leapmotor.fixed_share, leapmotor.margin_now
    assert leapmotor.fixed_estimate is not None and share == pytest.approx(
        leapmotor.fixed_estimate.share
    )
    assert leapmotor.need_for_cut_fixed == pytest.approx(
        breakeven.breakeven_volume_increase(breakeven.contribution_margin(margin, share), 0.10)
    )
    row = leapmotor.grid.loc[0.0, 10.0]
    assert row == pytest.approx(100 * breakeven.gross_margin_after(margin, share, 0.10, 0.0))
    assert leapmotor.margin_after_cut_at_target == pytest.approx(
        breakeven.gross_margin_after(margin, share, 0.10, leapmotor.target_change)
    )


def test_an_estimate_outside_the_parameter_range_is_kept_at_its_end():
    xiaomi = margins.analyse(margins.load_inputs("xiaomi", data_dir=FROZEN_DATA))
    assert xiaomi.fixed_estimate.share < 0  # the OLS intercept is negative on these quarters
    assert xiaomi.fixed_share == 0.0


def test_an_analyst_share_is_used_as_given():
    set_share = margins.analyse(
        margins.load_inputs("leapmotor", fixed_cost_share_pct=20.0, data_dir=FROZEN_DATA)
    )
    assert set_share.fixed_estimate is None and set_share.fixed_share == pytest.approx(0.20)
    assert "Fixed-cost absorption" in set_share.bridge.effects.index


def test_affordability_covers_the_maker_and_its_peers_at_their_latest_quarters(leapmotor):
    afford = leapmotor.affordability.set_index("company")
    assert list(afford.index) == list(leapmotor.inputs.compared)
    assert afford.loc["Leapmotor", "quarter"] == "2025Q4"
    assert afford.loc["BYD", "quarter"] == "2025Q3"
    assert np.isfinite(afford.loc["Leapmotor", "cash_to_revenue_pct"])


def test_a_maker_without_cumulative_deliveries_keeps_todays_unit_cost():
    byd = margins.analyse(margins.load_inputs("byd", data_dir=FROZEN_DATA))
    assert not byd.cases.attrs["learning_applied"]
    assert byd.case(0.0).gross_margin_pct == pytest.approx(100 * byd.margin_now)
