"""lib.margins.text: the prose, written from the results, text from the data escaped."""

from __future__ import annotations

import pytest

from lib import makers, margins
from tests.conftest import FROZEN_DATA


def _analyse(maker: str = "leapmotor", data_dir=FROZEN_DATA, **values) -> margins.Analysis:
    return margins.analyse(margins.load(margins.Params(maker=maker, **values), data_dir))


@pytest.fixture(scope="module")
def leapmotor() -> margins.Analysis:
    return _analyse()


def test_the_answer_is_written_from_the_results(leapmotor):
    text = margins.text.answer(leapmotor)
    assert text.startswith("In 2025Q4 Leapmotor earned a company gross margin of **15.0%**")
    assert "**13.7% (10.0% to 17.1%)**" in text
    assert "it would need 200% more vehicles (110% if 5% of cost of sales is fixed)" in text
    assert "(Leapmotor's stated 2026 target, row leapmotor_target_2026_units; +68%" in text
    assert "These are the financials of" not in text  # its series and financials agree


def test_text_from_the_data_is_escaped(data_copy):
    path = data_copy / "makers.csv"
    path.write_text(
        path.read_text().replace(",Leapmotor,Leapmotor,", ",Leap<b>motor</b>,Leapmotor,", 1)
    )
    text = margins.text.answer(_analyse(data_dir=data_copy))
    assert "Leap&lt;b&gt;motor&lt;/b&gt;" in text and "<b>" not in text
    assert "(financials of Leapmotor)" in text  # the company differs from the shown name


def test_industry_text_names_the_years_and_the_flagged_figure(leapmotor):
    text = margins.text.industry(leapmotor)
    assert "from 2017 to 2025" in text
    assert "The figure for 2025 is flagged uncertain" in text


def test_sources_name_the_events_file_and_the_unused_quarters(leapmotor):
    text = margins.text.sources(leapmotor)
    assert "`data/price_war_events.csv`" in text
    assert "Leapmotor's 2026Q1 figures are flagged and unused" in text


def test_other_currency_note_counts_the_companies_left_out(leapmotor):
    note = margins.text.other_currency(leapmotor)
    assert note.startswith("Not shown: 1 compared company reporting in another currency than RMB")
    xpeng = _analyse("xpeng", peers="NIO, Li Auto")  # all in RMB: nothing left out
    assert margins.text.other_currency(xpeng) == ""


def test_the_bases_are_read_from_the_data_and_name_no_other_maker(leapmotor):
    text = margins.text.basis(leapmotor)
    assert text.startswith("The maker's margin is the company gross margin of Leapmotor, RMB.")
    assert "1 compared company reports another margin than a company gross margin" in text
    assert "1 compared company reports in another currency than RMB" in text
    for entry in makers.registry(FROZEN_DATA).values():
        if entry.key != "leapmotor" and entry.company:
            assert entry.company not in text
    xpeng = _analyse("xpeng", peers="NIO, Li Auto")
    assert "Every company compared reports the same measure" in margins.text.basis(xpeng)


def test_a_maker_without_learning_shows_no_range_and_says_why():
    text = margins.text.answer(_analyse("byd"))
    byd = _analyse("byd")
    cut10 = byd.case(0.10).gross_margin_pct
    assert f"**{cut10:.1f}%**" in text and f"{cut10:.1f}% to {cut10:.1f}%" not in text
    assert "no range around it" in text and "interval from the learning rate" not in text
    assert "the answer applies no learning" in margins.text.learning(byd)


def test_a_fixed_share_below_the_evidence_floor_is_said_not_shown():
    xiaomi = _analyse("xiaomi")
    assert xiaomi.fixed_too_little_data and xiaomi.fixed_share == 0.0
    answer = margins.text.answer(xiaomi)
    assert "too little data (4 quarters)" in answer and "of cost of sales is fixed)" not in answer
    fixed = margins.text.fixed_cost(xiaomi)
    assert fixed.startswith("The fixed share of cost of sales is **too little data (4 quarters)**")
    assert "at least 6 quarters" in fixed and "-0.2%" not in fixed
    assert "no share of it is taken as fixed" in margins.text.bridge(xiaomi)
    assert margins.text.fixed_cost(leapmotor := _analyse()).startswith(
        "The fixed share of cost of sales, 4.8%, is estimated"
    )
    assert "spreading 5% of 2024Q4" in margins.text.bridge(leapmotor)


def test_a_company_wider_than_the_makers_series_is_labelled():
    answer = margins.text.answer(_analyse("tesla_china"))
    assert "These are the financials of Tesla, which count more vehicles than Tesla China's" in (
        answer
    )
    assert "1,636,129 against 851,732 in 2025" in answer
