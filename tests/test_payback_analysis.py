"""lib.payback.analysis: the waterfall closes, the base case is consistent, and the whole analysis
holds together (the best strategy is the one with the highest median NPV)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lib.payback import analysis, uncertain
from tests.conftest import payback_inputs


@pytest.fixture(scope="module")
def setup():
    return payback_inputs()


@pytest.fixture(scope="module")
def result():
    return analysis.analyse(payback_inputs(n_sims=2000))


def test_unit_economics_waterfall_closes(setup):
    unit = analysis.unit_economics_table(uncertain.base_values(setup.scenario))
    table = unit.table
    # the list price less every deduction is the contribution, in each column
    deductions = table.drop(index=["List price", "Contribution"]).sum()
    np.testing.assert_allclose(table.loc["List price"] + deductions, table.loc["Contribution"])
    assert unit.step("duty", unit.exported) < unit.step("duty", unit.local) < 0
    assert unit.step("maker_margin", unit.china) == 0  # a China sale pays no transfer margin


def test_base_case_npv_irr_payback_are_consistent(setup):
    table = analysis.base_case(setup.scenario, setup.timeline, setup.strategies).summary()
    checked = 0
    for slug, row in table.iterrows():
        if math.isfinite(row["irr_pct"]):
            # NPV is positive exactly when the IRR beats the discount rate (one sign change)
            assert (row["npv_rmb_mn"] > 0) == (row["irr_pct"] > row["discount_rate_pct"]), slug
            checked += 1
    assert checked >= 1
    assert table.loc["sea", "discount_rate_pct"] == pytest.approx(12.0)  # 9% + 3 pp country risk


def test_best_strategy_has_the_highest_median_npv(result):
    medians = {slug: s.median_npv for slug, s in result.summaries.items()}
    assert result.best == max(medians, key=medians.get)


def test_factory_margin_lowers_the_chance_of_a_loss(result):
    with_margin, without = result.with_margin.summaries(), result.without_margin.summaries()
    assert result.without_margin is result.simulation  # the default counts the venture share only
    for slug in with_margin:
        assert with_margin[slug].p_npv_negative <= without[slug].p_npv_negative


def test_break_even_volume_covers_fixed_costs(result):
    values = uncertain.base_values(result.inputs.scenario)
    from lib.payback import models

    for market, local, key in (("europe", False, "europe_export"), ("sea", True, "sea_local")):
        per_car = float(models.unit_economics(values, market, local)["contribution"])
        fixed = float(models.fixed_costs_rmb_mn(values, market)) * 1e6
        assert result.break_even[key] * per_car == pytest.approx(fixed)
