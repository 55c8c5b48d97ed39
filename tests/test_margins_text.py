"""lib.margins.report: recorded results, prose from the results, tables escaped."""

from __future__ import annotations

import pytest

from lib import margins, results
from tests.conftest import FROZEN_DATA


@pytest.fixture(scope="module")
def leapmotor() -> margins.Analysis:
    return margins.analyse(margins.load_inputs("leapmotor", data_dir=FROZEN_DATA))


def test_record_keeps_the_names_units_and_roles_the_summary_reads(leapmotor):
    results.clear()
    recorded = {r.name: r for r in margins.record(leapmotor)}
    results.clear()
    assert recorded["gm_at_target_cut10_pct"].role == "headline"
    supporting = {n for n, r in recorded.items() if r.role == "supporting"}
    assert supporting == {
        "gm_at_target_current_pct",
        "gm_at_target_cut5_pct",
        "latest_gross_margin_pct",
    }
    assert (
        recorded["latest_period"].value == "2025Q4" and recorded["latest_period"].unit == "quarter"
    )
    assert recorded["gm_at_target_cut10_pct"].value == pytest.approx(13.66, abs=0.005)
    assert recorded["volume_increase_for_10pct_cut_pct"].value == pytest.approx(200.0)
    assert recorded["learning_rate_pct"].low < recorded["learning_rate_pct"].value
    assert all(r.unit in ("pct", "quarter", "units") for r in recorded.values())


def test_the_answer_is_written_from_the_results(leapmotor):
    text = margins.answer_markdown(leapmotor)
    assert text.startswith("In 2025Q4 Leapmotor earned a company gross margin of **15.0%**")
    assert "**13.7% (10.0% to 17.1%)**" in text
    assert "it would need 200% more vehicles" in text


def test_text_from_the_data_is_escaped(data_copy):
    path = data_copy / "makers.csv"
    path.write_text(
        path.read_text().replace(",Leapmotor,Leapmotor,", ",Leap<b>motor</b>,Leapmotor,", 1)
    )
    hostile = margins.analyse(margins.load_inputs("leapmotor", data_dir=data_copy))
    text = margins.answer_markdown(hostile)
    assert "Leap&lt;b&gt;motor&lt;/b&gt;" in text and "<b>" not in text
    assert "(financials of Leapmotor)" in text  # the company differs from the shown name


def test_industry_text_names_the_years_and_the_flagged_figure(leapmotor):
    text = margins.industry_markdown(leapmotor)
    assert "from 2017 to 2025" in text
    assert "The figure for 2025 is flagged uncertain" in text


def test_sources_name_the_events_file_and_the_unused_quarters(leapmotor):
    text = margins.sources_markdown(leapmotor)
    assert "`data/price_war_events.csv`" in text
    assert "Leapmotor's 2026Q1 figures are flagged and unused" in text


def test_other_currency_note_lists_only_companies_left_out(leapmotor):
    assert margins.other_currency_note(leapmotor).endswith("than RMB: Tesla.")


def test_reader_tables_escape_and_show_sources(leapmotor):
    events = margins.events_table(leapmotor).to_html()
    assert "insideevs.com" in events and "Honor Edition" in events
    afford = margins.affordability_table(leapmotor).to_html()
    assert "price cut to zero gross profit" in afford
    history = margins.history_table(leapmotor).to_html()
    assert "(d)" in history  # a derived figure carries its letter
    assert "No figure" not in margins.duplicates_table(leapmotor).to_html()


def test_a_maker_without_learning_shows_no_range_and_says_why():
    byd = margins.analyse(margins.load_inputs("byd", data_dir=FROZEN_DATA))
    assert not byd.cases.attrs["learning_applied"]  # no cumulative deliveries in the data
    results.clear()
    recorded = {r.name: r for r in margins.record(byd)}
    results.clear()
    for name in ("gm_at_target_cut10_pct", "gm_at_target_cut5_pct", "gm_at_target_current_pct"):
        assert recorded[name].low is None and recorded[name].high is None
        assert "no interval: no learning is applied" in recorded[name].meaning
    assert "(not applied: no learning is applied" in recorded["learning_rate_pct"].meaning
    text = margins.answer_markdown(byd)
    cut10 = recorded["gm_at_target_cut10_pct"].value
    assert f"**{cut10:.1f}%**" in text and f"{cut10:.1f}% to {cut10:.1f}%" not in text
    assert "no range around it" in text
