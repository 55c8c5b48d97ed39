"""lib.payback.text: labels, the answer and the other paragraphs built from the results, each
about the maker's own ventures; Analysis.record: the recorded results with their roles."""

from __future__ import annotations

import dataclasses
import re

import pytest

from lib import results
from lib.payback import Params, analysis, names, text
from tests.conftest import payback_inputs, payback_tables, with_ventures

PARAGRAPHS = (
    "answer",
    "outcome",
    "facts",
    "unit",
    "base",
    "calibration",
    "uncertainty",
    "drivers",
    "routes",
    "margin",
    "caveats",
)


@pytest.fixture(scope="module")
def result():
    return analysis.analyse(payback_inputs(n_sims=2000))


def every_paragraph(result) -> str:
    return " ".join(getattr(text, f"{n}_markdown")(result) for n in PARAGRAPHS)


def test_probability_label_never_rounds_a_small_risk_to_zero():
    assert text.probability_label(0.421) == "42%"
    assert text.probability_label(0.001) == "under 1%"


def test_money_reads_in_millions_or_billions():
    assert text.money(350.4) == "RMB 350 mn"
    assert text.money(-6512.0) == "RMB -6.5 bn"


def test_answer_states_the_best_route_and_its_numbers(result):
    answer = text.answer_markdown(result)
    s = result.summaries[result.best]
    assert answer.startswith("**Best of the three routes: assembling in Spain.**")
    assert "Leapmotor's 49% share of the venture" in answer
    assert f"in {text.probability_label(s.p_payback_horizon)} of draws" in answer
    assert text.describe_payback(s) in answer
    assert f"(p10 {text.money(s.npv_p10)}, p90 {text.money(s.npv_p90)})" in answer


def test_a_range_of_zero_width_is_never_shown_as_an_interval(result):
    s = result.summaries[result.best]
    flat = type(s)(**{**vars(s), "payback_p10": 4.0, "payback_p90": 4.0, "median_payback": 4.0})
    assert text.describe_payback(flat) == "a median of 4.0 years"
    assert text.describe_payback(s).startswith(f"a median of {s.median_payback:.1f} years (10-90%")
    one = analysis.analyse(payback_inputs(n_sims=100, **fixed_inputs()))
    answer = text.answer_markdown(one)
    assert "p10" not in answer and "10-90% range" not in answer
    recorded = {r.name: r for r in one.record()}
    npv = recorded[names.ROUTE_RESULTS[one.best]["median_npv"]]
    assert npv.low is None and npv.high is None


def fixed_inputs() -> dict:
    """Every uncertain input at its mode: all draws alike, every range of zero width."""
    return {
        f.name: [f.default_factory()[1]] * 3
        for f in Params.fields()
        if f.default is dataclasses.MISSING  # the [min, mode, max] inputs
    }


def test_the_outcome_paragraph_says_no_venture_has_one_yet(result):
    assert "No overseas venture of Leapmotor has an outcome" in text.outcome_markdown(result)


def test_another_maker_is_named_and_never_leapmotor():
    tables = with_ventures(payback_tables(), "aito_hima")  # Leapmotor's rows given to another
    other = analysis.analyse(payback_inputs(tables, maker="aito_hima", n_sims=500))
    assert "AITO / HIMA's 49% share of the venture" in text.answer_markdown(other)
    assert "Leapmotor" not in every_paragraph(other)


def test_a_maker_without_a_south_east_asian_venture_is_not_told_about_one():
    tables = payback_tables()
    rows = tables.ventures[
        (tables.ventures["maker"] == "leapmotor") & (tables.ventures["country"] != "Malaysia")
    ]
    nio = analysis.analyse(payback_inputs(with_ventures(tables, "nio", rows), maker="nio"))
    assert text.answer_markdown(nio).startswith("**Best of the two routes")
    assert "Malaysia" not in every_paragraph(nio).replace("Malaysian", "")
    assert "South-East Asia needs" not in text.routes_markdown(nio)


def test_caveats_read_the_sourced_figures(result):
    caveats = text.caveats_markdown(result)
    assert (
        "20.7% countervailing duty on Leapmotor's China-built cars, plus the 10% MFN duty"
        in caveats
    )
    assert "its 49% share of the venture" in caveats
    assert "Spain (up to 40,000 a year, from 2026-08, USD 200 mn at 7.2 RMB/USD)" in caveats
    assert not [name for name in ("BYD", "Tesla") if name in caveats]  # other makers


def test_calibration_without_broker_rows_says_so():
    tables = payback_tables()
    rows = tables.ventures[
        (tables.ventures["maker"] == "leapmotor")
        & ~tables.ventures["fact"].str.startswith("broker_")
    ]
    nio = analysis.analyse(payback_inputs(with_ventures(tables, "nio", rows), maker="nio"))
    assert text.calibration_markdown(nio).startswith("No broker figures on NIO's")


def test_every_paragraph_is_built(result):
    for name in PARAGRAPHS:
        paragraph = getattr(text, f"{name}_markdown")(result)
        assert "nan" not in paragraph and "None" not in paragraph, name
        assert re.search(r"\d", paragraph) or name == "outcome", name


def test_record_uses_the_names_and_declares_roles(result):
    recorded = {r.name: r for r in result.record()}
    assert recorded[names.BEST_P_PAYBACK_HORIZON].role == "headline"
    supporting = {n for n, r in recorded.items() if r.role == "supporting"}
    assert supporting == {
        names.BEST_STRATEGY,
        names.EUROPE_ASSEMBLY_MEDIAN_PAYBACK_YEARS,
        names.EXPORT_MEDIAN_PAYBACK_YEARS,
    }
    every = {name for route in names.ROUTE_RESULTS.values() for name in route.values()}
    assert set(recorded) == every | {
        names.BEST_STRATEGY,
        names.BEST_P_PAYBACK_HORIZON,
        names.BEST_ROUTE,
    }
    assert recorded[names.BEST_ROUTE].value == "Assemble in Spain"  # the place from the data
    assert recorded[names.BEST_STRATEGY].value == result.best
    assert {r.name for r in results.recorded()} >= set(recorded)
