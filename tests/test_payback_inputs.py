"""lib.payback.inputs: sourced defaults from the maker's own ventures (data/ventures.csv) and the
registry's rows (fallbacks labelled), clear errors on bad parameters, MissingData for a maker
without an overseas venture in the data and naming the facts a venture lacks."""

from __future__ import annotations

import dataclasses
import re

import pytest

from lib.errors import BadParameter
from lib.makers import MissingData
from lib.payback import Params, load
from tests.conftest import PAYBACK_DRAWS, payback_inputs, payback_tables, with_ventures


@pytest.fixture(scope="module")
def leapmotor():
    return payback_inputs()


def test_sourced_defaults_for_leapmotor(leapmotor):
    scenario = leapmotor.scenario
    assert scenario["europe_cvd_pct"].mode == pytest.approx(20.7)
    assert scenario["europe_mfn_duty_pct"].mode == pytest.approx(10.0)
    assert scenario["maker_share_pct"].mode == pytest.approx(49.0)
    assert scenario["europe_plant_capacity_units"].mode == pytest.approx(40_000)
    assert scenario["europe_plant_start"] == "2026-08"
    assert scenario["sea_plant_start"] == "2026-06"
    assert scenario["europe_plant_capex_rmb_mn"].mode == pytest.approx(200 * 7.2)  # USD 200 mn
    assert scenario["sea_plant_capex_rmb_mn"].mode == pytest.approx(5 * 7.9)  # EUR 5 mn
    assert leapmotor.car_model == "b10"  # its first car priced in both markets
    assert scenario["price_china_rmb"].mode == pytest.approx(99_800)
    assert scenario["europe_price_eur"].mode == pytest.approx(26_900)
    assert leapmotor.resolved["europe_cvd_pct"].source.startswith("https://")
    assert leapmotor.resolved["europe_logistics_eur"].origin == "assumption (no source)"
    assert leapmotor.resolved["maker_share_pct"].origin == "sourced"  # its venture's row
    assert [s.label for s in leapmotor.strategies] == [
        "Export from China, EU tariffs",
        "Assemble in Spain",  # the countries come from its ventures' rows
        "Assemble in Malaysia for South-East Asia",
    ]


def test_anchors_cite_the_makers_own_venture_facts(leapmotor):
    start = leapmotor.resolved["europe_volume_start_units"]
    assert start.origin == (
        "assumption, anchored on volume_target 2026 = 100,000, volume_target 2026 = 150,000"
    )
    assert leapmotor.resolved["europe_outlets"].origin.endswith("outlets 2025-12 = 1,800")


@pytest.mark.parametrize("maker", ["byd", "nio", "xiaomi", "xpeng", "tesla_china", "aito_hima"])
def test_a_maker_without_an_overseas_venture_in_the_data_is_missing_data(maker):
    tables = payback_tables()
    name = tables.makers[maker].display_name
    with pytest.raises(MissingData) as missing:
        payback_inputs(maker=maker)
    assert str(missing.value).startswith(f"{name}: no overseas venture in the data (")
    others = {m.display_name for m in tables.makers.values()} - {name}
    assert not [other for other in others if other in str(missing.value)]  # never another maker


def test_a_maker_with_ventures_gets_its_own_facts_and_registry_rows():
    tables = with_ventures(payback_tables(), "byd")
    byd = payback_inputs(tables, maker="byd")
    assert byd.maker.display_name == "BYD"
    assert byd.scenario["europe_cvd_pct"].mode == pytest.approx(17.0)  # eu_cvd_byd_pct
    assert byd.resolved["maker_share_pct"].origin == "sourced"  # its venture row
    assert "NEV market average" in byd.resolved["china_discount_pct"].origin  # no discount_row
    assert set(byd.routes) == {"export", "europe_assembly", "sea"}
    assert all(v.key.startswith("byd_") for v in byd.ventures)
    nio = payback_inputs(with_ventures(payback_tables(), "nio"), maker="nio")  # no EU duty row
    assert nio.scenario["europe_cvd_pct"].mode == pytest.approx(20.7)
    assert "assumption (other cooperating)" in nio.resolved["europe_cvd_pct"].origin
    aito = payback_inputs(with_ventures(payback_tables(), "aito_hima"), maker="aito_hima")
    assert "median of the peers" in aito.resolved["china_margin_pct"].origin  # no financials


def test_only_the_routes_a_maker_has_a_venture_for_are_modelled():
    tables = payback_tables()
    rows = tables.ventures[
        (tables.ventures["maker"] == "leapmotor")
        & ~tables.ventures["country"].isin(["Malaysia"])  # no venture in South-East Asia
    ]
    found = payback_inputs(with_ventures(tables, "nio", rows), maker="nio")
    assert [s.slug for s in found.strategies] == ["export", "europe_assembly"]
    assert not [name for name in found.scenario if name.startswith("sea_")]


def test_a_venture_missing_facts_is_missing_data_naming_them():
    tables = payback_tables()
    rows = tables.ventures[tables.ventures["maker"] == "leapmotor"]
    rows = rows[~((rows["country"] == "Spain") & rows["fact"].isin(["capex", "capacity"]))]
    with pytest.raises(MissingData, match=r"NIO: ventures.csv lacks facts the model needs: "):
        payback_inputs(with_ventures(tables, "nio", rows), maker="nio")
    with pytest.raises(MissingData, match=r"spain \(europe_assembly\): capacity, capex$"):
        payback_inputs(with_ventures(tables, "nio", rows), maker="nio")


def test_no_export_venture_to_europe_is_missing_data():
    tables = payback_tables()
    rows = tables.ventures[
        (tables.ventures["maker"] == "leapmotor") & (tables.ventures["country"] == "Malaysia")
    ]
    with pytest.raises(MissingData, match="NIO: no export venture to Europe .*Malaysia"):
        payback_inputs(with_ventures(tables, "nio", rows), maker="nio")


def test_no_car_priced_in_both_markets_is_missing_data():
    tables = payback_tables()
    bare = dataclasses.replace(
        tables, ventures=tables.ventures[tables.ventures["fact"] != "list_price"]
    )
    with pytest.raises(MissingData, match="a car with both a list_price in Europe"):
        payback_inputs(bare)


def test_no_margin_for_anyone_is_missing_data():
    tables = with_ventures(payback_tables(), "aito_hima")
    no_margins = tables.financials[~tables.financials["metric"].str.contains("margin")]
    bare = dataclasses.replace(tables, financials=no_margins)
    with pytest.raises(
        MissingData, match="AITO / HIMA has no usable gross margin in financials_quarterly.csv"
    ):
        payback_inputs(bare, maker="aito_hima")


def test_load_reads_the_given_data_dir(data_copy):
    ventures = data_copy / "ventures.csv"
    ventures.write_text(ventures.read_text().replace(",maker_share,,49,", ",maker_share,,48,"))
    found = load(Params(**PAYBACK_DRAWS), data_copy)
    assert found.scenario["maker_share_pct"].mode == pytest.approx(48.0)


def test_ventures_with_different_shares_need_a_share_given():
    tables = payback_tables()
    rows = tables.ventures[tables.ventures["maker"] == "leapmotor"].copy()
    rows.loc[(rows["country"] == "Spain") & (rows["fact"] == "maker_share"), "value"] = 100.0
    with pytest.raises(MissingData, match="its ventures' shares differ"):
        payback_inputs(with_ventures(tables, "nio", rows), maker="nio")
    given = payback_inputs(with_ventures(tables, "nio", rows), maker="nio", maker_share_pct=60.0)
    assert given.resolved["maker_share_pct"].origin.startswith("scenario value")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"maker": "tata"}, "unknown maker 'tata': known makers: aito_hima, byd"),
        (
            {"car_model": "x9"},
            "unknown car_model 'x9'; Leapmotor's cars with sourced Europe and China prices: "
            "b05, b10, c10, t03",
        ),
        ({"europe_volume_growth_pct": [40.0, 20.0, 10.0]}, "min 40 is above max 10"),
        ({"europe_volume_start_units": [-10.0, 5.0, 10.0]}, "europe_volume_start_units: value"),
        ({"europe_price_eur": -500.0}, "europe_price_eur: value -500.0 is out of range"),
        ({"discount_rate_pct": -101.0}, "discount_rate_pct: value -101.0 is out of range"),
        (
            {"sea_volume_ceiling_units": [5000.0, 40_000.0, 60_000.0]},
            "sea_volume_ceiling_units min 5,000 is below sea_volume_start_units max 10,000",
        ),
        ({"europe_plant_start": "next year"}, "europe_plant_start must be a month as YYYY-MM"),
        ({"distribution": "normal"}, "distribution: expected one of triangular, uniform"),
        ({"china_vat_pct": -1}, "china_vat_pct: value -1 is out of range"),
        ({"horizon_years": 0}, "horizon_years: value 0 is out of range"),
        ({"europe_dealer_margin_pct": [8.0, 10.0, 120.0]}, "europe_dealer_margin_pct: value"),
        ({"unit_cost_change_pct": [1.0, 2.0]}, "expected [min, mode, max] (3 numbers), got 2"),
    ],
)
def test_bad_parameters_fail_with_a_clear_message(changes, message):
    error = ValueError if "maker" in changes else BadParameter
    with pytest.raises(error, match=re.escape(message)):
        payback_inputs(**changes)


def test_unknown_parameters_are_refused():
    with pytest.raises(TypeError, match="tariff_pct"):
        Params(tariff_pct=3.0)
