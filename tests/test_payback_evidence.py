"""lib.payback.evidence: the sourced facts and the broker checks, on the frozen data."""

from __future__ import annotations

import pytest

from lib.payback import evidence
from tests.test_payback_inputs import frozen_setup, frozen_tables


def test_known_facts_hold_tariffs_deal_and_volumes():
    tables = frozen_tables()
    facts = evidence.known_facts(tables.makers["leapmotor"], tables)
    topics = set(facts.index.get_level_values("topic"))
    assert {
        "tariffs",
        "deal terms and broker views",
        "prices Europe vs China",
        "local assembly",
    } <= topics
    assert facts["source"].str.startswith("http").all()
    assert any("overseas deliveries" in fact for fact in facts.index.get_level_values("fact"))


def test_a_maker_without_financials_gets_no_reported_rows():
    tables = frozen_tables()
    facts = evidence.known_facts(tables.makers["aito_hima"], tables)
    assert not any("reported overseas" in topic for topic in facts.index.get_level_values("topic"))


def test_calibration_checks_are_named_and_pinned():
    check = evidence.calibration(frozen_setup(), frozen_tables())
    # CMBI: RMB 110 mn / 49% / 70,000 cars
    assert check.profit_per_car.broker == pytest.approx(110 / 0.49 / 70_000 * 1e6)
    assert check.t03_gain.broker == pytest.approx(16 - 5)  # Jefferies: 16% local, 5% imported
    assert check.t03_gain.model == pytest.approx(
        check.t03_assembled.model - check.t03_imported.model
    )
    assert check.t03_assembled.model > check.t03_imported.model  # assembly avoids the tariff
    assert "EUR 20k" in check.t03_imported.check
