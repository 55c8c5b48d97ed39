"""lib.premium.analysis: the study on the frozen data gives the published headline numbers, and a
maker's random stream depends on its key, not on where it sits in a list."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from lib.premium import analysis, pricing
from tests.test_premium_inputs import study


@pytest.fixture(scope="module")
def result() -> analysis.BrandPremium:
    return analysis.analyse(study(n_draws=500))


def test_headline_numbers_on_the_frozen_data(result):
    # The numbers of the README's answer (data to 2026-06); they move only with the frozen data.
    focus = result.focus
    assert (focus.premium_pct, focus.low_pct, focus.high_pct) == pytest.approx(
        (-19.944, -24.264, -15.309), abs=1e-3
    )
    own = result.own
    assert (own["expected_rmb"], own["low_rmb"], own["high_rmb"]) == pytest.approx(
        (290_149, 233_232, 352_372), abs=1
    )
    assert own["p_in_band"] == pytest.approx(0.4135, abs=1e-4)
    assert result.fit.n_trims == 1973
    assert result.specification("BEV only")["premium_pct"] == pytest.approx(-17.302, abs=1e-3)
    assert result.specification("Transaction prices")["premium_pct"] == pytest.approx(
        -19.215, abs=1e-3
    )
    assert result.upper_tier["premium_pct"] == pytest.approx(-30.777, abs=1e-3)


def test_the_answer_is_about_the_first_flagship_trim_under_the_focus_badge(result):
    assert result.headline_trim["trim_name"] == "D19 BEV (115 kWh)"
    assert list(result.headline.index) == result.study.badges
    others = result.headline.drop(index="Leapmotor")["expected_rmb"]
    assert others[result.richest] == others.max()
    gaps = result.gaps.set_index("brand")["gap_rmb"]
    expected = result.headline["expected_rmb"]
    assert gaps["NIO"] == pytest.approx(expected["NIO"] - expected["Leapmotor"])


def test_the_market_position_counts_the_focus_trims_at_the_band(result):
    trims = result.study.trims
    leap = trims.loc[trims["brand"] == "Leapmotor", "msrp_rmb"].dropna()
    assert result.market.focus_priced == len(leap)
    assert result.market.focus_at_band == int((leap >= 250_000).sum())


def test_the_random_stream_follows_the_maker_key_not_its_position(result):
    study = result.study
    renamed = dataclasses.replace(study, maker=dataclasses.replace(study.maker, key="leapmotor_2"))
    assert analysis.random_seed(study) == analysis.random_seed(dataclasses.replace(study))
    assert analysis.random_seed(renamed) != analysis.random_seed(study)

    def gaps(seed):
        trim = result.headline_trim
        return pricing.price_gaps(result.fit, trim, "Leapmotor", study.comparisons, 0.95, 500, seed)

    again, other = gaps(analysis.random_seed(study)), gaps(analysis.random_seed(renamed))
    pd.testing.assert_frame_equal(again, result.gaps)
    assert (other["gap_rmb"] == result.gaps["gap_rmb"]).all()  # the closed form does not draw
    assert not (other["low_rmb"] == result.gaps["low_rmb"]).all()  # the interval's draws do
