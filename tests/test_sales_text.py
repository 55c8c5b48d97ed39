"""lib.sales.text: the answer, the skill against naive rules and the caveats are built from the
results, name the maker from the registry (and no other maker outside the labelled tables), say
when the target is only a parameter or counts another series, quote the backtest for this maker
only with its own years, say how good earlier answers were, and escape text from the data;
`Analysis.record` keeps the result names and declares the headline and its supporting numbers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from lib import results, sales
from lib.sales import evaluation, names
from lib.sales import text as report
from tests.conftest import FROZEN_DATA

SMALL = {"n_paths": 300, "seed": 5, "backtest_paths": 100, "comparison_paths": 100}


@pytest.fixture(scope="module")
def result():
    params = sales.Params(target_units=1_000_000, target_year=2026, **SMALL)
    return sales.analyse(sales.load(params, FROZEN_DATA))


def with_inputs(result, **changes):
    return dataclasses.replace(result, inputs=dataclasses.replace(result.inputs, **changes))


def test_the_answer_states_the_computed_numbers(result):
    text = report.answer_markdown(result)
    p, projection = result.projection.p_reach_target, result.projection
    assert text.startswith(
        f"**Leapmotor reaches 1,000,000 deliveries in 2026 in {p:.0%} of simulated paths**"
    )
    assert f"(internal target 1,050,000: {projection.probability(1_050_000):.0%})" in text
    assert f"The median forecast is {projection.median:,.0f} vehicles" in text
    assert "With Jan, Feb, May, Jun reported (235,071 vehicles), the 8 missing months" in text
    assert f"on {result.headline.cases} past maker-years" in text
    assert "this report's parameter" not in text
    own = result.own_scored["abs_error_pct"].mean()
    assert f"2 of those years are Leapmotor's (2024, 2025), missed by {own:.1f}% on average" in text
    record = result.target_record
    assert f"this method's Brier score was {record.score('method'):.3f}" in text
    assert f"{record.score('base_rate'):.3f} for the base rate" in text
    assert "](#The-target-record)" in text
    assert "None" not in text


def test_a_maker_without_scored_years_is_told_so_not_quoted_the_pooled_error(result):
    rows = result.backtest.rows.assign(
        maker=result.backtest.rows["maker"].replace("leapmotor", "x")
    )
    backtest = dataclasses.replace(result.backtest, rows=rows)
    text = report.answer_markdown(dataclasses.replace(result, backtest=backtest))
    assert "not one of those years is Leapmotor's, so the method has no scored year" in text
    assert "of those years are Leapmotor's" not in text


def test_a_target_of_another_scope_says_it_is_not_like_for_like(result):
    group = with_inputs(result, target_scope="group")
    assert "counts Leapmotor's group deliveries (data/targets.csv)" in report.answer_markdown(group)
    caveat = dataclasses.replace(result.inputs.maker, series_caveat="Leap's series is <b>")
    text = report.answer_markdown(with_inputs(result, maker=caveat))
    assert "may not count the same vehicles (Leap's series is &lt;b&gt;)" in text  # no &#x27;
    assert "may not count" not in report.answer_markdown(result)
    # Last year's total summed from the series itself counts what the series counts.
    settings = dataclasses.replace(result.inputs.settings, target_units=596_555.0)
    own_total = with_inputs(result, maker=caveat, target_basis="last_year", settings=settings)
    arithmetic = dataclasses.replace(own_total.arithmetic, target_units=596_555.0)
    own_total = dataclasses.replace(
        own_total, projection=dataclasses.replace(own_total.projection, arithmetic=arithmetic)
    )
    assert "may not count" not in report.answer_markdown(own_total)


def test_another_makers_answer_names_it_and_says_whose_target_it_is(result):
    settings = dataclasses.replace(result.inputs.settings, target_units=900_000.0)
    text = report.answer_markdown(with_inputs(result, settings=settings))
    assert (
        "The target of 900,000 is this report's parameter: assumptions.csv holds no Leapmotor target of that size for 2026."
        in text
    )
    hostile = dataclasses.replace(result.inputs.maker, display_name="<i>Leap</i>")
    escaped = report.answer_markdown(with_inputs(result, maker=hostile))
    assert escaped.startswith("**&lt;i&gt;Leap&lt;/i&gt; reaches") and "<i>" not in escaped


def test_a_maker_no_model_can_forecast_gets_the_reasons(result):
    forecast = dataclasses.replace(
        result.forecast, runs={}, annual={}, skipped={"ets": "ETS needs at least 24 months"}
    )
    projection = dataclasses.replace(result.projection, forecast=forecast)
    text = report.answer_markdown(dataclasses.replace(result, projection=projection))
    assert text.startswith(
        "**No model can forecast Leapmotor's 2026 deliveries from the data.** ETS needs at least 24 months."
    )


def backtest_of(makers: list[str], combination: list[float], q4: list[float]):
    rows = [
        {
            "maker": maker,
            "target_year": 2024,
            "method": method,
            "headline": True,
            "actual": 100.0,
            "median": value,
        }
        for method, values in (("combination", combination), ("q4_run_rate", q4))
        for maker, value in zip(makers, values, strict=True)
    ]
    frame = pd.DataFrame(rows)
    frame["error_pct"] = frame["median"] - 100.0
    frame["abs_error_pct"] = frame["error_pct"].abs()
    frame["log_error"] = np.log(100.0 / frame["median"])
    empty = pd.DataFrame()
    return evaluation.Backtest(frame, empty, empty, empty, "inverse_error")


def test_the_skill_text_names_the_largest_misses(result):
    backtest = backtest_of(
        ["nio", "li_auto", "xpeng", "tesla_china", "leapmotor"],
        [150.0, 60.0, 105.0, 95.0, 110.0],
        [160.0, 50.0, 90.0, 120.0, 100.0],
    )
    headline = evaluation.Headline(19.0, 80.0, 22.0, "Naive: last 3 months' run-rate", 5)
    text = report.skill_markdown(
        dataclasses.replace(
            result,
            backtest=backtest,
            headline=headline,
            hindsight=evaluation.hindsight_blend(backtest),
        )
    )
    assert text.startswith(
        f"**Over 5 maker-years, forecast with {result.months_reported} months of the year "
        "reported, the method missed the year's deliveries by 19.0% on average**"
    )
    assert (
        "an error 14% smaller than the best naive rule's (Naive: last 3 months' run-rate, 22.0%)"
        in text
    )
    assert "goal" not in text
    assert (
        "another maker's 2024 (+50%) and another maker's 2024 (-40%), make up 82% of the total "
        "error" in text
    )
    assert "NIO" not in text and "Li Auto" not in text  # other makers: in the table only
    assert "other 3 maker-years average 6.7%" in text
    assert "1 of those years is Leapmotor's (2024), missed by 10.0% on average" in text
    assert "broke with the trend that every method reads from past deliveries" in text


def test_caveats_come_from_the_registry_and_the_backtest(result):
    text = report.caveats_markdown(result)
    assert "- Leapmotor in the data: overseas sales through Leapmotor International" in text
    assert "Leapmotor's sourced targets for 2026: 1,000,000 (Zhu Jiangming" in text
    assert f"scores {result.headline.cases} maker-years" in text


def test_record_keeps_the_names_and_declares_the_roles(result):
    results.clear()
    result.record()
    recorded = {r.name: r for r in results.recorded()}
    assert recorded[names.P_REACH_TARGET].value == result.projection.p_reach_target
    assert recorded[names.P_REACH_TARGET].unit == "probability"
    roles = {name: r.role for name, r in recorded.items() if r.role}
    assert roles == {  # the recorded names the summary, league and workbook read
        "p_reach_target": "headline",
        "p_reach_internal_target": "supporting",
        "forecast_median_units": "supporting",
        "required_growth_pct": "supporting",
    }
    assert set(recorded) >= {
        "required_monthly_run_rate_units",
        "latest_run_rate_units",
        "backtest_mape_chosen_pct",
        "backtest_mape_best_naive_pct",
        "backtest_coverage80_chosen_pct",
        "backtest_cases",
        "target_units",
        "target_year",
        "backtest_mape_hindsight_blend_pct",
    }
    results.clear()
