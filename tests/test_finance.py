"""lib.payback.finance: NPV, IRR and discounted payback against hand-computed cases; the first flow
is at t = 0 and is not discounted."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lib import finance
from lib.payback import text


def test_npv_first_flow_is_at_t0_undiscounted():
    assert finance.npv(np.array([-100.0]), 0.10) == pytest.approx(-100.0)
    assert finance.npv(np.array([0.0, 110.0]), 0.10) == pytest.approx(100.0)
    # -100 + 60/1.1 + 60/1.21 = 4.1322...
    assert finance.npv(np.array([-100.0, 60.0, 60.0]), 0.10) == pytest.approx(
        -100 + 60 / 1.1 + 60 / 1.21
    )


def test_npv_vectorized_rows_with_their_own_rates():
    flows = np.array([[-100.0, 60.0, 60.0], [-50.0, 0.0, 121.0]])
    result = finance.npv(flows, np.array([0.10, 0.10]))
    assert result == pytest.approx([-100 + 60 / 1.1 + 60 / 1.21, -50 + 100.0])


def test_irr_hand_computed():
    # -100 + 60x + 60x^2 = 0 with x = 1/(1+r): x = (-60 + sqrt(60^2 + 4*60*100)) / 120
    x = (-60 + math.sqrt(3600 + 24000)) / 120
    assert finance.irr([-100, 60, 60]) == pytest.approx(1 / x - 1, rel=1e-9)
    assert finance.irr([-100, 110]) == pytest.approx(0.10)
    rate = finance.irr([-100, 30, 40, 50])
    assert finance.npv(np.array([-100.0, 30, 40, 50]), rate) == pytest.approx(0, abs=1e-8)


def test_irr_without_sign_change_is_nan():
    assert math.isnan(finance.irr([100, 10, 10]))
    assert math.isnan(finance.irr([-100, -10]))
    with pytest.raises(ValueError, match="at least 2 flows"):
        finance.irr([5])


def test_discounted_payback_interpolates_inside_the_year():
    assert finance.discounted_payback(np.array([-100.0, 40, 40, 40]), 0.0) == pytest.approx(2.5)
    assert finance.discounted_payback(np.array([-100.0, 50, 50, 50]), 0.0) == pytest.approx(2.0)
    # at 10%: cumulative -45.45 after year 1; year 2 brings 49.59 -> 1 + 45.45/49.59
    expected = 1 + (100 - 60 / 1.1) / (60 / 1.21)
    assert finance.discounted_payback(np.array([-100.0, 60, 60]), 0.10) == pytest.approx(expected)


def test_discounted_payback_never_is_inf_and_labelled():
    # undiscounted it pays back at 2.5 years; at 10% the cumulative is still -0.53 after 3
    years = finance.discounted_payback(np.array([-100.0, 40, 40, 40]), 0.10)
    assert years == math.inf
    assert text.payback_label(years) == "never within the horizon"
    assert text.payback_label(float("nan")) == "never within the horizon"
    assert text.payback_label(2.345) == "2.3 years"


def test_discounted_payback_counts_the_last_time_it_turns_positive():
    # cumulative -100, 50, -30, 70: recovered for good during year 3
    assert finance.discounted_payback(np.array([-100.0, 150, -80, 100]), 0.0) == pytest.approx(2.3)
    # ends negative: never, even though it was positive for a while
    assert finance.discounted_payback(np.array([-100.0, 150, -100, 10]), 0.0) == math.inf
    assert finance.discounted_payback(np.array([10.0, 10.0]), 0.05) == 0.0


def test_discounted_payback_vectorized_equals_row_by_row():
    rng = np.random.default_rng(3)
    flows = np.concatenate([-rng.uniform(50, 150, (200, 1)), rng.normal(20, 25, (200, 8))], axis=1)
    rates = rng.uniform(0, 0.2, 200)
    vectorized = finance.discounted_payback(flows, rates)
    one_by_one = [finance.discounted_payback(f, r) for f, r in zip(flows, rates, strict=True)]
    np.testing.assert_array_equal(vectorized, one_by_one)
    assert np.isinf(vectorized).any() and np.isfinite(vectorized).any()


@pytest.mark.parametrize("rate", [-1.0, -1.5])
def test_discount_rate_at_or_below_minus_100_pct_is_refused(rate):
    with pytest.raises(ValueError, match="above -100%"):
        finance.npv(np.array([-1.0, 2.0]), rate)
