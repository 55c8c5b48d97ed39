"""lib.premium.report: the answer and notes say what the results hold, text from data is escaped,
and the recorded results keep their names, units and roles."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from lib import results
from lib.premium import analysis, report
from tests.test_premium_inputs import study


@pytest.fixture(scope="module")
def result() -> analysis.BrandPremium:
    return analysis.analyse(study(n_draws=500))


def test_the_answer_states_the_premium_the_price_and_the_probability(result):
    text = report.answer(result)
    focus, own = result.focus, result.own
    assert f"**Leapmotor** trim lists **{abs(focus.premium_pct):.0f}% below**" in text
    assert f"about **{report.round_yuan(own['expected_rmb'])} yuan**" in text
    assert f"**{own['p_in_band']:.0%}**, {report.likelihood_words(own['p_in_band'])}" in text
    assert "inside 250,000-300,000 yuan" in text
    assert "Leapmotor buyers get about 11.4% off list" in text


def test_text_from_the_data_is_escaped(result):
    hostile = "<img src=x onerror=alert(1)>"
    rename = {"trim_name": {result.headline_trim["trim_name"]: hostile}}
    flagship = result.study.flagship.replace(rename)
    changed = dataclasses.replace(
        result, study=dataclasses.replace(result.study, flagship=flagship)
    )
    changed = dataclasses.replace(changed, flagship_prices=result.flagship_prices.replace(rename))
    for text in (report.answer(changed), report.gaps_text(changed), report.reach_text(changed)):
        assert hostile not in text and "&lt;img src=x onerror=alert(1)&gt;" in text


def test_notes_follow_the_results(result):
    assert f"{result.residuals.far_misses} trims" in report.tails_text(result)
    exact = result.exactly_fitted
    assert f"{len(exact)} trims are the only trim" in report.influence_text(result)
    loo = result.robustness.query("group == 'leave one series out'")
    moved = (loo["premium_pct"] - result.robustness.iloc[0]["premium_pct"]).abs().max()
    assert f"at most {moved:.1f} points" in report.robustness_text(result)
    assert "NEV average (12.2%)" in report.transaction_text(result)
    assert "set to 'awd'" in report.flagship_text(result)


def test_discount_sentence_says_which_way_transaction_prices_move():
    discounts = pd.DataFrame(
        {
            "brand": ["Focus", "Lean", "Deep", "Unknown"],
            "discount_pct": [11.4, 4.0, 20.0, 12.2],
            "basis": ["brand figure"] * 3 + ["NEV average (no brand figure)"],
        }
    )
    sentence = report.discount_sentence(discounts, "Focus", ["Lean", "Deep", "Unknown"])
    assert "Focus buyers get about 11.4% off list against Lean 4.0%, Deep 20.0%" in sentence
    assert "Focus stands lower against Lean and higher against Deep" in sentence
    assert "Unknown" not in sentence
    assert report.round_yuan(290_149) == "290,000"


def test_result_names_of_badges_are_stable():
    assert report.result_name("Li Auto") == "li_auto"
    assert report.result_name("LYNK&CO") == "lynk_co"
    assert report.result_name("Tesla") == "tesla"


def test_record_keeps_names_units_and_roles(result):
    results.clear()
    recorded = {r.name: r for r in report.record(result)}
    gaps = {
        f"gap_to_{b}_rmb" for b in ("tesla", "li_auto", "nio", "aito", "xiaomi", "xpeng", "zeekr")
    }
    assert set(recorded) == gaps | {
        "focus_premium_pct",
        "flagship_price_rmb",
        "p_flagship_in_band",
        "flagship_series",
        "price_band",
        "focus_premium_bev_only_pct",
        "focus_premium_transaction_pct",
        "focus_premium_upper_tier_pct",
        "reference_brand",
        "n_trims_used",
    }
    roles = {name: r.role for name, r in recorded.items() if r.role}
    assert roles == {
        "focus_premium_pct": "headline",
        "flagship_price_rmb": "supporting",
        "p_flagship_in_band": "supporting",
    }
    assert recorded["focus_premium_pct"].value == pytest.approx(result.focus.premium_pct)
    assert recorded["flagship_price_rmb"].unit == "RMB"
    assert recorded["p_flagship_in_band"].unit == "probability"
    assert recorded["reference_brand"].value == "BYD"
    results.clear()


def test_a_maker_without_a_flagship_gets_not_applicable_and_no_flagship_numbers():
    result = analysis.analyse(study("nio", comparison_brands=["Tesla", "Leapmotor"], n_draws=200))
    assert not result.has_flagship and result.gaps.empty and result.flagship_prices.empty
    text = report.answer(result)
    assert "**NIO** trim lists" in text
    assert (
        "The flagship question is not applicable:** no flagship named in the data for NIO" in text
    )
    assert "D19" not in text  # Leapmotor is named only as the comparison brand asked for
    for empty in (
        report.flagship_table,
        report.price_table,
        report.gaps_table,
        report.reach_table,
        report.band_rows_table,
    ):
        assert empty(result) is None
    assert (
        report.gaps_text(result) == report.reach_text(result) == report.flagship_text(result) == ""
    )
    assert "not applicable" in report.band_text_intro(
        result
    ) and "not applicable" in report.launch_text(result)
    results.clear()
    recorded = {r.name: r for r in report.record(result)}
    results.clear()
    assert recorded["flagship_series"].value is None
    assert recorded["flagship_series"].meaning.startswith(
        "not applicable: no flagship named in the data for NIO"
    )
    assert not {"flagship_price_rmb", "p_flagship_in_band"} & set(recorded)
    assert not any(name.startswith(("gap_to_", "launch_")) for name in recorded)
    assert recorded["focus_premium_pct"].role == "headline"
