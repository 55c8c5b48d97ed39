"""lib.payback.evidence: the sourced facts and the broker checks come from the maker's own rows
(frozen data)."""

from __future__ import annotations

import pytest

from lib.payback import evidence
from tests.conftest import payback_inputs, payback_tables, with_ventures


@pytest.fixture(scope="module")
def leapmotor():
    return payback_inputs()


def test_known_facts_hold_the_ventures_tariffs_and_volumes(leapmotor):
    facts = evidence.known_facts(leapmotor)
    topics = set(facts.index.get_level_values("topic"))
    assert "tariffs and taxes (market-wide)" in topics
    assert {v.key.replace("_", " ") for v in leapmotor.ventures} == {
        topic.split(" (")[0] for topic in topics if topic.startswith("leapmotor")
    }
    assert facts["source"].str.startswith("http").all()
    start = facts.xs("start", level="fact").iloc[0]  # a month shows as a month, not 202608
    assert start["as_of"] == "2026-08" and start["unit"] == "month"


def test_another_makers_facts_are_its_own():
    tables = payback_tables()
    rows = tables.ventures[
        (tables.ventures["maker"] == "leapmotor") & (tables.ventures["country"] == "Europe")
    ]
    nio = payback_inputs(with_ventures(tables, "nio", rows), maker="nio")
    facts = evidence.known_facts(nio)
    topics = facts.index.get_level_values("topic")
    assert all(t.startswith("nio ") or "market-wide" in t or "NIO" in t for t in topics)


def test_calibration_checks_are_named_and_pinned(leapmotor):
    check = evidence.calibration(leapmotor)
    # the broker's forecast: RMB 110 mn / 49% / 70,000 cars
    assert check.profit_per_car.broker == pytest.approx(110 / 0.49 / 70_000 * 1e6)
    imported, assembled, gain = check.margins
    assert gain.broker == pytest.approx(16 - 5)  # 16% assembled locally, 5% imported
    assert gain.model == pytest.approx(assembled.model - imported.model)
    assert assembled.model > imported.model  # assembly avoids the tariff
    assert "T03 at EUR 20k" in imported.check
    assert check.margin_car == "t03" and check.margin_price_eur == 20_000


def test_a_maker_without_broker_rows_gets_no_check():
    tables = payback_tables()
    rows = tables.ventures[
        (tables.ventures["maker"] == "leapmotor")
        & ~tables.ventures["fact"].str.startswith("broker_")
    ]
    nio = payback_inputs(with_ventures(tables, "nio", rows), maker="nio")
    assert evidence.calibration(nio).checks == ()


def test_every_duty_the_model_uses_is_listed_and_a_reported_figure_once(leapmotor):
    """A 10% duty stays although a reported export share is 10% too; a venture row quoting a
    reported volume is left out."""
    facts = evidence.known_facts(leapmotor).reset_index()
    duties = facts[facts["topic"] == "tariffs and taxes (market-wide)"]
    assert len(duties) == 6  # the maker's EU duty, the EU car duty, four Malaysian rates
    assert "eu mfn car duty pct" in set(duties["fact"])
    reported = facts[facts["topic"].str.endswith("reported overseas figures")]
    ventures = facts[facts["topic"].str.startswith("leapmotor international")]
    quoted = ventures.merge(reported[["value", "unit"]], on=["value", "unit"])
    assert quoted.empty and 13_700 in set(reported["value"])
