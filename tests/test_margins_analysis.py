"""lib.margins.analysis: the whole analysis on the frozen data; the README's headline numbers."""

from __future__ import annotations

import numpy as np
import pytest

from lib import contract, margins, results
from lib.margins import breakeven, names
from lib.margins.analysis import TARGET_CASES
from tests.conftest import FROZEN_DATA

TARGET_NAMES = tuple(TARGET_CASES)


@pytest.fixture(scope="module")
def leapmotor() -> margins.Analysis:
    return margins.analyse(margins.load(margins.Params(maker="leapmotor"), FROZEN_DATA))


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


def test_an_estimate_below_the_evidence_floor_leaves_all_cost_variable():
    xiaomi = margins.analyse(margins.load(margins.Params(maker="xiaomi"), FROZEN_DATA))
    assert xiaomi.fixed_estimate.n == 4 and xiaomi.fixed_too_little_data
    assert xiaomi.fixed_share == 0.0
    assert xiaomi.need_for_cut_fixed == pytest.approx(xiaomi.need_for_cut)


def test_an_estimate_outside_the_parameter_range_is_kept_at_its_end(monkeypatch):
    """A negative intercept above the evidence floor is a share of 0, the parameter's low end."""
    estimate = breakeven.FixedCostEstimate(-0.02, -0.05, 0.01, "2024Q1 to 2025Q4", 8, 1.0)
    monkeypatch.setattr(breakeven, "estimate_fixed_cost_share", lambda *_: estimate)
    leapmotor = margins.analyse(margins.load(margins.Params(), FROZEN_DATA))
    assert not leapmotor.fixed_too_little_data and leapmotor.fixed_share == 0.0


def test_an_analyst_share_is_used_as_given():
    set_share = margins.analyse(
        margins.load(margins.Params(maker="leapmotor", fixed_cost_share_pct=20.0), FROZEN_DATA)
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
    byd = margins.analyse(margins.load(margins.Params(maker="byd"), FROZEN_DATA))
    assert not byd.cases.attrs["learning_applied"]
    assert byd.case(0.0).gross_margin_pct == pytest.approx(100 * byd.margin_now)


def _recorded(result: margins.Analysis) -> dict[str, results.Result]:
    result.record()
    return {r.name: r for r in results.recorded()}


def test_record_keeps_the_names_units_and_roles_the_summary_reads(leapmotor):
    recorded = _recorded(leapmotor)
    tables = results.recorded_tables()
    assert set(recorded) | set(tables) == set(contract.result_names(margins).values())
    assert set(tables) == {names.QUARTER_CALL}
    assert recorded[names.GM_AT_TARGET_CUT10_PCT].role == "headline"
    supporting = {n for n, r in recorded.items() if r.role == "supporting"}
    assert supporting == {
        names.GM_AT_TARGET_CURRENT_PCT,
        names.GM_AT_TARGET_CUT5_PCT,
        names.LATEST_GROSS_MARGIN_PCT,
    }
    assert recorded[names.LATEST_PERIOD].value == "2025Q4"
    assert recorded[names.MARGIN_BASIS].value == "company gross margin of Leapmotor, RMB"
    assert recorded[names.GM_AT_TARGET_CUT10_PCT].value == pytest.approx(13.66, abs=0.005)
    assert recorded[names.VOLUME_INCREASE_FOR_10PCT_CUT_PCT].value == pytest.approx(200.0)
    assert recorded[names.LEARNING_RATE_PCT].low < recorded[names.LEARNING_RATE_PCT].value
    fixed = recorded[names.FIXED_COST_SHARE_PCT]
    assert fixed.low < fixed.value < fixed.high  # above the evidence floor: a number
    assert all(
        r.unit in ("pct", "pp", "count", "quarter", "units", "text") for r in recorded.values()
    )


def test_a_maker_without_learning_records_no_range_and_not_the_peers_rate():
    byd = margins.analyse(margins.load(margins.Params(maker="byd"), FROZEN_DATA))
    recorded = _recorded(byd)
    for name in TARGET_NAMES:
        assert recorded[name].low is None and recorded[name].high is None
        assert "no interval: no learning is applied" in recorded[name].meaning
    rate = recorded[names.LEARNING_RATE_PCT]
    assert rate.value == "too little data (1 quarter)" and rate.low is None
    assert "not estimated for BYD" in rate.meaning
    assert "interval from the learning rate" not in " ".join(r.meaning for r in recorded.values())


def test_a_fixed_share_below_the_evidence_floor_is_recorded_as_too_little_data():
    xiaomi = margins.analyse(margins.load(margins.Params(maker="xiaomi"), FROZEN_DATA))
    recorded = _recorded(xiaomi)
    for name in (names.FIXED_COST_SHARE_PCT, names.VOLUME_INCREASE_FOR_10PCT_CUT_FIXED_COST_PCT):
        assert recorded[name].value == "too little data (4 quarters)", name
        assert recorded[name].low is None and recorded[name].high is None
    assert "below the evidence floor" in recorded[names.FIXED_COST_SHARE_PCT].meaning
    assert recorded[names.MARGIN_BASIS].value == "vehicle margin of Xiaomi EV, RMB"


def test_an_analyst_share_is_a_number_whatever_the_data():
    set_share = margins.analyse(
        margins.load(margins.Params(maker="xiaomi", fixed_cost_share_pct=15.0), FROZEN_DATA)
    )
    recorded = _recorded(set_share)
    assert recorded[names.FIXED_COST_SHARE_PCT].value == pytest.approx(15.0)
    assert isinstance(recorded[names.VOLUME_INCREASE_FOR_10PCT_CUT_FIXED_COST_PCT].value, float)


def test_a_company_wider_than_the_makers_series_is_labelled_in_the_basis():
    tesla = margins.analyse(margins.load(margins.Params(maker="tesla_china"), FROZEN_DATA))
    recorded = _recorded(tesla)
    basis = recorded[names.MARGIN_BASIS].value
    assert basis.startswith("company gross margin of Tesla, USD; these financials count")
    assert "Tesla China's monthly series 851,732" in basis
    assert basis in recorded[names.LATEST_GROSS_MARGIN_PCT].meaning
    assert tesla.target_change == pytest.approx(0.0)  # the company's own volume, not the series'
