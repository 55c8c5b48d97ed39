"""BrandPremium.record(): the results keep their names (lib.premium.names), units and roles; the
maker's badge and each gap's badge are recorded as values, not left in a sentence; a maker without
a flagship or band records why, not a number."""

from __future__ import annotations

import pytest

from lib import results
from lib.premium import analysis, names
from tests.conftest import premium_inputs


def recorded(result: analysis.BrandPremium) -> dict[str, results.Result]:
    results.clear()
    result.record()
    found = {r.name: r for r in results.recorded()}
    results.clear()
    return found


@pytest.fixture(scope="module")
def result() -> analysis.BrandPremium:
    return analysis.analyse(premium_inputs(n_draws=500))


def test_gap_names_of_badges_are_stable():
    assert names.gap_to("Li Auto") == "gap_to_li_auto_rmb"
    assert names.gap_to("LYNK&CO") == "gap_to_lynk_co_rmb"
    assert names.gap_to("Tesla") == "gap_to_tesla_rmb"


def test_record_keeps_names_units_and_roles(result):
    found = recorded(result)
    gaps = {names.gap_to(b) for b in result.inputs.comparisons}
    assert len(gaps) == 6
    assert set(found) == gaps | {
        names.FOCUS_PREMIUM_PCT,
        names.FOCUS_PREMIUM_STATUS,
        names.FOCUS_TRIMS,
        names.FOCUS_SERIES,
        names.FOCUS_BRAND,
        names.FLAGSHIP_PRICE_RMB,
        names.P_FLAGSHIP_IN_BAND,
        names.FLAGSHIP_SERIES,
        names.PRICE_BAND,
        names.FOCUS_PREMIUM_BEV_ONLY_PCT,
        names.FOCUS_PREMIUM_TRANSACTION_PCT,
        names.FOCUS_PREMIUM_UPPER_TIER_PCT,
        names.REFERENCE_BRAND,
        names.N_TRIMS_USED,
        names.LAUNCH_RECORD_CARS,
        names.LAUNCH_RECORD_SERIES,
        names.LAUNCH_RECORD_MAE_PCT,
        names.LAUNCH_RECORD_COVERAGE80_PCT,
        names.LAUNCH_RECORD_OWN_CARS,
        names.LAUNCH_RECORD_OWN_MAE_PCT,
        names.LAUNCH_RECORD_OWN_COVERAGE80_PCT,
    }
    roles = {name: r.role for name, r in found.items() if r.role}
    assert roles == {
        names.FOCUS_PREMIUM_PCT: "headline",
        names.FLAGSHIP_PRICE_RMB: "supporting",
        names.P_FLAGSHIP_IN_BAND: "supporting",
    }
    assert found[names.FOCUS_PREMIUM_PCT].value == pytest.approx(result.focus.premium_pct)
    assert found[names.FOCUS_PREMIUM_STATUS].value == "ok"
    assert found[names.FLAGSHIP_PRICE_RMB].unit == "RMB"
    assert found[names.P_FLAGSHIP_IN_BAND].unit == "probability"
    assert found[names.REFERENCE_BRAND].value == "BYD"
    assert found[names.FOCUS_BRAND].value == "Leapmotor"
    assert found[names.PRICE_BAND].value == "250,000-300,000 yuan"


def test_each_gaps_badge_is_recorded_in_a_table(result, monkeypatch):
    tables = {}
    record_table = results.record_table

    def keep(name, frame, unit, meaning):
        tables[name] = record_table(name, frame, unit, meaning)
        return tables[name]

    monkeypatch.setattr(results, "record_table", keep)
    recorded(result)
    table = results.table_frame(tables[names.GAP_BRANDS])
    assert list(table["brand"]) == list(result.gaps["brand"])
    assert list(table["result"]) == [names.gap_to(b) for b in result.gaps["brand"]]


def test_a_maker_without_a_flagship_or_band_records_why_and_no_number():
    found = recorded(
        analysis.analyse(premium_inputs("nio", comparison_brands=["Tesla"], n_draws=200))
    )
    assert found[names.FLAGSHIP_SERIES].value is None
    assert found[names.FLAGSHIP_SERIES].meaning.startswith(
        "not applicable: no flagship named in the data for NIO"
    )
    assert not {names.FLAGSHIP_PRICE_RMB, names.P_FLAGSHIP_IN_BAND, names.PRICE_BAND} & set(found)
    assert names.FOCUS_PREMIUM_UPPER_TIER_PCT not in found  # no band, no band edge to split at
    compared = [n for n in found if not n.startswith(names.LAUNCH_RECORD)]
    assert not any(name.startswith((names.GAP_PREFIX, "launch_")) for name in compared)
    # the record of launches priced before launch is every maker's, flagship or not
    assert found[names.LAUNCH_RECORD_OWN_CARS].value > 0
    assert found[names.FOCUS_PREMIUM_PCT].role == "headline"
    assert found[names.FOCUS_BRAND].value == "NIO"
