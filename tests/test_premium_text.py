"""lib.premium.text and lib.premium.tables: the answer and notes say what the results hold (or that
there is too little data, or that a question does not apply), text from data is escaped, no
zero-width interval is shown as one, and the tables render."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from lib import results
from lib.premium import analysis, tables, text
from tests.conftest import premium_inputs


@pytest.fixture(scope="module")
def result() -> analysis.BrandPremium:
    return analysis.analyse(premium_inputs(n_draws=500))


def test_the_answer_states_the_premium_the_price_and_the_probability(result):
    answer = text.answer(result)
    focus, own = result.focus, result.own
    assert f"**Leapmotor** trim lists **{abs(focus.premium_pct):.0f}% below**" in answer
    assert f"95% interval {focus.low_pct:+.0f}% to {focus.high_pct:+.0f}%" in answer
    assert f"about **{text.round_yuan(own['expected_rmb'])} yuan**" in answer
    assert f"**{own['p_in_band']:.0%}**, {results.likelihood(own['p_in_band'])}" in answer
    assert "inside 250,000-300,000 yuan" in answer
    assert "Leapmotor buyers get about 11.4% off list" in answer


def test_text_from_the_data_is_escaped(result):
    hostile = "<img src=x onerror=alert(1)>"
    rename = {"trim_name": {result.headline_trim["trim_name"]: hostile}}
    flagship = result.inputs.flagship.replace(rename)
    changed = dataclasses.replace(
        result, inputs=dataclasses.replace(result.inputs, flagship=flagship)
    )
    changed = dataclasses.replace(changed, flagship_prices=result.flagship_prices.replace(rename))
    for shown in (text.answer(changed), text.gaps_text(changed), text.reach_text(changed)):
        assert hostile not in shown and "&lt;img src=x onerror=alert(1)&gt;" in shown


def test_notes_follow_the_results(result):
    assert f"{result.residuals.far_misses} trims" in text.tails_text(result)
    exact = result.exactly_fitted
    assert f"{len(exact)} trims are the only trim" in text.influence_text(result)
    loo = result.robustness.query("group == 'leave one series out'")
    moved = (loo["premium_pct"] - result.robustness.iloc[0]["premium_pct"]).abs().max()
    assert f"at most {moved:.1f} points" in text.robustness_text(result)
    assert "NEV average (12.2%)" in text.transaction_text(result)
    assert "set to 'awd'" in text.flagship_text(result)


def test_discount_sentence_says_which_way_transaction_prices_move():
    discounts = pd.DataFrame(
        {
            "brand": ["Focus", "Lean", "Deep", "Unknown"],
            "discount_pct": [11.4, 4.0, 20.0, 12.2],
            "basis": ["brand figure"] * 3 + ["NEV average (no brand figure)"],
        }
    )
    sentence = text.discount_sentence(discounts, "Focus", ["Lean", "Deep", "Unknown"])
    assert "Focus buyers get about 11.4% off list against Lean 4.0%, Deep 20.0%" in sentence
    assert "Focus stands lower against Lean and higher against Deep" in sentence
    assert "Unknown" not in sentence
    assert text.round_yuan(290_149) == "290,000"


def test_a_maker_without_a_flagship_gets_not_applicable_and_no_flagship_numbers():
    result = analysis.analyse(
        premium_inputs("nio", comparison_brands=["Tesla", "Leapmotor"], n_draws=200)
    )
    assert not result.has_flagship and result.gaps.empty and result.flagship_prices.empty
    answer = text.answer(result)
    assert "**NIO** trim lists" in answer
    assert (
        "The flagship question is not applicable:** no flagship named in the data for NIO" in answer
    )
    assert "D19" not in answer  # Leapmotor is named only as the comparison brand asked for
    for empty in (
        tables.flagship_table,
        tables.price_table,
        tables.gaps_table,
        tables.reach_table,
        tables.band_rows_table,
    ):
        assert empty(result) is None
    assert text.gaps_text(result) == text.reach_text(result) == text.flagship_text(result) == ""
    assert "not applicable" in text.band_intro(result) and "not applicable" in text.launch_text(
        result
    )

    assert "No price band applies" in text.tiers_text(result)


def test_too_little_data_is_said_instead_of_a_number():
    result = analysis.analyse(premium_inputs("li_auto", comparison_brands=["Tesla"], n_draws=200))
    answer = text.answer(result)
    assert "**Li Auto's brand premium: too little data (1 trim, 1 series).**" in answer
    assert "fewer than 10 trims; fewer than 2 series" in answer
    assert "trim lists" not in answer and f"{result.focus.premium_pct:.0f}%" not in answer


def test_a_zero_width_interval_is_no_interval(result):
    assert text.interval(1.0, 1.0, "+.0f", "95% interval ", "%") == ""
    assert text.interval(-24.3, -15.3, "+.0f", "", "%") == "-24% to -15%"
    focus = dataclasses.replace(result.focus, low_pct=-19.9, high_pct=-19.9)
    answer = text.answer(dataclasses.replace(result, focus=focus))
    assert "**20% below** the same car under the BYD badge (Kennedy-corrected" in answer
    assert "interval -20% to -20%" not in answer


def test_the_top_tier_is_compared_by_value_not_called_a_deeper_discount(result):
    upper = result.upper_tier.copy()
    upper["premium_pct"], upper["low_pct"], upper["high_pct"] = 0.4, -5.0, 6.0
    focus = dataclasses.replace(result.focus, premium_pct=1.0)
    said = text.tiers_text(dataclasses.replace(result, upper_tier=upper, focus=focus))
    assert "lists +0.4% against BYD (3 trims), below the +1.0% across all its trims" in said
    assert "inside the top tier's 95% interval, -5% to +6%: no clear difference" in said
    assert "deeper" not in said and "discount" not in said


def test_every_table_renders_and_names_its_columns(result):
    shown = {
        name: getattr(tables, name)(result)
        for name in dir(tables)
        if name.endswith("_table") and not name.startswith("_")
    }
    assert shown["launch_table"] is None  # no launch price in the frozen data
    html = {name: table.to_html() for name, table in shown.items() if table is not None}
    assert "P(in band)" in html["price_table"] and "41%" in html["price_table"]
    assert "gap (yuan)" in html["gaps_table"]
    assert (
        "premium (Kennedy)" in html["premium_table"]
        and "thin: fewer than 10" in html["premium_table"]
    )
    assert "guide price tier (yuan)" in html["tier_counts_table"]
    assert "[1]" in html["discount_rows_table"]  # sources as numbered links
