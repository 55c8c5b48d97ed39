"""lib.premium.analysis: the analysis on the frozen data gives the published headline numbers, a
maker's random stream depends on its key, not on where it sits in a list, and a premium resting on
too little of the maker's own data is no headline."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from lib import results
from lib.premium import analysis, models, names, pricing
from tests.conftest import premium_inputs


@pytest.fixture(scope="module")
def result() -> analysis.BrandPremium:
    return analysis.analyse(premium_inputs(n_draws=500))


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
    assert list(result.headline.index) == result.inputs.badges
    others = result.headline.drop(index="Leapmotor")["expected_rmb"]
    assert others[result.richest] == others.max()
    gaps = result.gaps.set_index("brand")["gap_rmb"]
    expected = result.headline["expected_rmb"]
    assert gaps["NIO"] == pytest.approx(expected["NIO"] - expected["Leapmotor"])


def test_the_market_position_counts_the_focus_trims_at_the_band(result):
    trims = result.inputs.trims
    leap = trims.loc[trims["brand"] == "Leapmotor", "msrp_rmb"].dropna()
    assert result.market.focus_priced == len(leap)
    assert result.market.focus_at_band == int((leap >= 250_000).sum())


def test_the_random_stream_follows_the_maker_key_not_its_position(result):
    inputs = result.inputs
    renamed = dataclasses.replace(
        inputs, maker=dataclasses.replace(inputs.maker, key="leapmotor_2")
    )
    assert analysis.random_seed(inputs) == analysis.random_seed(dataclasses.replace(inputs))
    assert analysis.random_seed(renamed) != analysis.random_seed(inputs)

    def gaps(seed):
        trim = result.headline_trim
        return pricing.price_gaps(
            result.fit, trim, "Leapmotor", inputs.comparisons, 0.95, 500, seed
        )

    again, other = gaps(analysis.random_seed(inputs)), gaps(analysis.random_seed(renamed))
    pd.testing.assert_frame_equal(again, result.gaps)
    assert (other["gap_rmb"] == result.gaps["gap_rmb"]).all()  # the closed form does not draw
    assert not (other["low_rmb"] == result.gaps["low_rmb"]).all()  # the interval's draws do


def _evidence(trims=20, series=3, loo=(-20.0, -19.0), low=-25.0, high=-15.0):
    focus = models.Premium("Focus", "Ref", -20.0, low, high, trims, series)
    robust = pd.DataFrame(
        {"group": ["baseline"] + ["leave one series out"] * len(loo), "premium_pct": [-20.0, *loo]}
    )
    return analysis.evidence(focus, robust, 10, 2)


def test_the_evidence_floor_counts_trims_series_and_one_series_left_out():
    assert _evidence().enough and _evidence().status == "ok"
    assert _evidence(trims=9).status == "too little data (9 trims, 3 series)"
    assert _evidence(trims=1, series=1, loo=()).status == "too little data (1 trim, 1 series)"
    assert not _evidence(series=1).enough
    outside = _evidence(loo=(-20.0, -14.0))  # one series moves it past its interval's high end
    assert not outside.enough and outside.loo_outside and outside.loo_shift_pct == 6.0
    assert _evidence(loo=(-20.0, -15.0)).enough  # on the edge is inside


def test_the_frozen_makers_with_too_little_data_record_no_number(result):
    assert result.evidence.enough and (result.evidence.trims, result.evidence.series) == (70, 6)
    results.clear()
    xiaomi = analysis.analyse(premium_inputs("xiaomi", comparison_brands=["Tesla"], n_draws=200))
    xiaomi.record()
    found = {r.name: r for r in results.recorded()}
    results.clear()
    # 5 trims in 2 series, and leaving one out moves it 35.8 points, outside its interval
    assert xiaomi.evidence.loo_outside and xiaomi.evidence.loo_shift_pct > 30
    premium = found[names.FOCUS_PREMIUM_PCT]
    assert premium.value is None and premium.low is None and premium.role == "headline"
    assert premium.meaning.startswith("too little data (5 trims, 2 series): ")
    assert found[names.FOCUS_PREMIUM_STATUS].value == "too little data (5 trims, 2 series)"
    assert (found[names.FOCUS_TRIMS].value, found[names.FOCUS_SERIES].value) == (5, 2)
    # nor do its variants: they rest on the same few cars
    assert names.FOCUS_PREMIUM_BEV_ONLY_PCT not in found
    assert names.FOCUS_PREMIUM_TRANSACTION_PCT not in found
