"""lib.payback.report: labels, the answer and the other paragraphs built from the results, and the
recorded results with their roles."""

from __future__ import annotations

import re

import pytest

from lib import results
from lib.payback import analysis, inputs, report
from tests.test_payback_inputs import default_parameters, frozen_setup, frozen_tables, with_venture


@pytest.fixture(scope="module")
def result():
    return analysis.analyse(frozen_setup(n_sims=2000), frozen_tables())


def test_probability_label_never_rounds_a_small_risk_to_zero():
    assert report.probability_label(0.421) == "42%"
    assert report.probability_label(0.001) == "under 1%"


def test_money_reads_in_millions_or_billions():
    assert report.money(350.4) == "RMB 350 mn"
    assert report.money(-6512.0) == "RMB -6.5 bn"


def test_answer_states_the_best_route_and_its_numbers(result):
    text = report.answer_markdown(result)
    s = result.summaries[result.best]
    assert text.startswith("**Best of the three routes: assembling in Spain.**")
    assert "Leapmotor's 49% share of the venture" in text
    assert f"in {report.probability_label(s.p_payback_horizon)} of draws" in text
    assert report.describe_payback(s) in text


def test_answer_names_the_maker_by_its_display_name():
    tables = with_venture(frozen_tables(), "aito_hima")  # a venture given to another maker
    other = analysis.analyse(
        inputs.resolve(default_parameters(maker="aito_hima", n_sims=500), tables), tables
    )
    assert "AITO / HIMA's 49% share of the venture" in report.answer_markdown(other)
    every = " ".join(
        getattr(report, f"{n}_markdown")(other)
        for n in ("answer", "facts", "unit", "base", "calibration", "margin", "caveats")
    )
    assert "Leapmotor" not in every and "Stellantis" not in every


def test_caveats_read_the_sourced_figures(result):
    text = report.caveats_markdown(result)
    assert (
        "20.7% countervailing duty on Leapmotor's China-built cars, plus the 10% MFN duty" in text
    )
    assert "its 49% share of the venture" in text and "up to 40,000 a year from 2026-08" in text
    assert not [name for name in ("BYD", "Tesla", "Stellantis") if name in text]  # other makers


def test_every_paragraph_is_built(result):
    for name in (
        "facts",
        "unit",
        "base",
        "calibration",
        "uncertainty",
        "drivers",
        "routes",
        "margin",
    ):
        text = getattr(report, f"{name}_markdown")(result)
        assert "nan" not in text and re.search(r"\d", text), name


def test_record_keeps_names_and_declares_roles(result):
    results.clear()
    recorded = {r.name: r for r in report.record(result)}
    assert recorded["best_p_payback_horizon"].role == "headline"
    supporting = {n for n, r in recorded.items() if r.role == "supporting"}
    assert supporting == {
        "best_strategy",
        "spain_median_payback_years",
        "export_median_payback_years",
    }
    assert {f"{slug}_p_payback_5y" for slug in ("export", "spain", "sea")} <= set(recorded)
    assert recorded["best_strategy"].value == result.best
    results.clear()
