"""lib.payback.inputs: sourced defaults per maker from the registry's rows (fallbacks labelled),
clear errors on bad parameters, MissingData for a maker without an overseas venture in the data
and when the data lack what the analysis needs."""

from __future__ import annotations

import dataclasses

import pytest

from lib.makers import MissingData
from lib.payback import inputs
from tests.conftest import FROZEN_DATA


def frozen_tables() -> inputs.Tables:
    """The model's inputs from the frozen test data, so that sourced defaults stay pinned."""
    return inputs.Tables.load(FROZEN_DATA)


def frozen_setup(**changes) -> inputs.Setup:
    return inputs.resolve(default_parameters(**changes), frozen_tables())


@pytest.fixture(scope="module")
def setup():
    return frozen_setup()


def default_parameters(**changes) -> dict:
    parameters = {
        "maker": "leapmotor",
        "car_model": "b10",
        "start_year": 2026,
        "horizon_years": 10,
        "include_factory_margin": False,
        "n_sims": 1000,
        "seed": 11,
        "distribution": "triangular",
        "discount_rate_pct": 9.0,
        "price_china_rmb": -1,
        "china_discount_pct": -1,
        "china_vat_pct": 13.0,
        "china_margin_pct": -1,
        "factory_margin_pct": -1,
        "unit_cost_change_pct": [0.0, 10.0, 40.0],
        "maker_share_pct": -1,
        "rmb_per_eur": [7.4, 7.9, 8.4],
        "rmb_per_usd": 7.2,
        "europe_price_eur": -1,
        "europe_price_realization_pct": [-20.0, -10.0, 0.0],
        "europe_sales_tax_pct": 20.0,
        "europe_dealer_margin_pct": [8.0, 10.0, 14.0],
        "europe_logistics_eur": [1000.0, 1500.0, 2500.0],
        "europe_cvd_pct": -1,
        "europe_mfn_duty_pct": -1,
        "europe_kit_duty_pct": 4.5,
        "europe_kit_logistics_pct": 70.0,
        "europe_assembly_eur": [400.0, 700.0, 1000.0],
        "europe_plant_capacity_units": -1,
        "europe_plant_start": "",
        "europe_plant_capex_rmb_mn": -1,
        "europe_entry_investment_eur_mn": [100.0, 250.0, 400.0],
        "europe_outlets": 1600,
        "europe_outlet_cost_eur_k": [15.0, 30.0, 45.0],
        "europe_marketing_eur_mn": [40.0, 80.0, 120.0],
        "europe_volume_start_units": [50_000.0, 80_000.0, 120_000.0],
        "europe_volume_growth_pct": [5.0, 20.0, 40.0],
        "europe_volume_ceiling_units": [150_000.0, 250_000.0, 400_000.0],
        "europe_risk_premium_pct": 1.0,
        "sea_price_vs_china_pct": [110.0, 130.0, 150.0],
        "sea_price_realization_pct": [-15.0, -5.0, 0.0],
        "sea_sales_tax_pct": -1,
        "sea_dealer_margin_pct": [6.0, 8.0, 12.0],
        "sea_logistics_eur": [400.0, 700.0, 1200.0],
        "sea_import_duty_pct": -1,
        "sea_excise_pct": -1,
        "sea_kit_duty_pct": -1,
        "sea_kit_logistics_pct": 70.0,
        "sea_assembly_eur": [200.0, 400.0, 700.0],
        "sea_plant_capacity_units": 20_000.0,
        "sea_plant_start": "",
        "sea_plant_capex_rmb_mn": -1,
        "sea_entry_investment_eur_mn": [10.0, 25.0, 50.0],
        "sea_outlets": 100,
        "sea_outlet_cost_eur_k": [10.0, 20.0, 30.0],
        "sea_marketing_eur_mn": [3.0, 6.0, 10.0],
        "sea_volume_start_units": [2000.0, 5000.0, 10_000.0],
        "sea_volume_growth_pct": [10.0, 30.0, 50.0],
        "sea_volume_ceiling_units": [20_000.0, 40_000.0, 60_000.0],
        "sea_risk_premium_pct": 3.0,
    }
    parameters.update(changes)
    return parameters


def test_sourced_defaults_for_leapmotor(setup):
    scenario = setup.scenario
    assert scenario["europe_cvd_pct"].mode == pytest.approx(20.7)
    assert scenario["europe_mfn_duty_pct"].mode == pytest.approx(10.0)
    assert scenario["maker_share_pct"].mode == pytest.approx(49.0)
    assert scenario["europe_plant_capacity_units"].mode == pytest.approx(40_000)
    assert scenario["europe_plant_start"] == "2026-08"
    assert scenario["price_china_rmb"].mode == pytest.approx(99_800)
    assert scenario["europe_price_eur"].mode == pytest.approx(26_900)
    assert setup.resolved["europe_cvd_pct"].source.startswith("https://")
    assert setup.resolved["europe_logistics_eur"].origin == "assumption (no source)"
    assert setup.resolved["maker_share_pct"].origin == "sourced"  # the registry's venture row


def with_venture(tables: inputs.Tables, *keys: str) -> inputs.Tables:
    """The tables with `keys` given an overseas venture (the venture share row of the frozen data),
    to test how the model fills their own inputs."""
    changed = {
        k: dataclasses.replace(tables.makers[k], venture_share_row="jv_leapmotor_share_pct")
        for k in keys
    }
    return inputs.Tables(tables.assumptions, tables.financials, tables.makers | changed)


@pytest.mark.parametrize(
    "maker", ["byd", "nio", "xiaomi", "xpeng", "tesla_china", "li_auto", "aito_hima"]
)
def test_a_maker_without_an_overseas_venture_in_the_data_is_missing_data(maker):
    tables = frozen_tables()
    name = tables.makers[maker].display_name
    with pytest.raises(MissingData) as missing:
        inputs.resolve(default_parameters(maker=maker), tables)
    assert str(missing.value).startswith(f"{name}: no overseas venture in the data (")
    others = {m.display_name for m in tables.makers.values()} - {name}
    assert not [other for other in others if other in str(missing.value)]  # never another maker


def test_a_maker_with_a_venture_gets_its_own_registry_rows():
    tables = with_venture(frozen_tables(), "byd", "tesla_china", "aito_hima", "nio")
    byd = inputs.resolve(default_parameters(maker="byd"), tables)
    assert byd.maker.display_name == "BYD"
    assert byd.scenario["europe_cvd_pct"].mode == pytest.approx(17.0)  # eu_cvd_byd_pct
    assert byd.resolved["europe_cvd_pct"].origin == "sourced"
    assert byd.resolved["maker_share_pct"].origin == "sourced"  # its venture row
    assert "NEV market average" in byd.resolved["china_discount_pct"].origin  # no discount_row
    assert byd.resolved["price_china_rmb"].origin == "sourced"  # the venture's own cars
    tesla = inputs.resolve(default_parameters(maker="tesla_china"), tables)
    assert tesla.scenario["europe_cvd_pct"].mode == pytest.approx(7.8)
    assert tesla.resolved["china_discount_pct"].origin == "sourced"  # its own discount row
    aito = inputs.resolve(default_parameters(maker="aito_hima"), tables)  # no financials: peers
    assert "median of the peers" in aito.resolved["china_margin_pct"].origin
    nio = inputs.resolve(default_parameters(maker="nio"), tables)  # no EU duty row
    assert nio.scenario["europe_cvd_pct"].mode == pytest.approx(20.7)
    assert "assumption (other cooperating)" in nio.resolved["europe_cvd_pct"].origin
    scenario_duty = inputs.resolve(default_parameters(europe_cvd_pct=17.0), tables)
    assert scenario_duty.scenario["europe_cvd_pct"].mode == pytest.approx(17.0)
    assert scenario_duty.resolved["europe_cvd_pct"].origin.startswith("scenario value")


def test_maker_must_be_a_registry_key():
    with pytest.raises(ValueError, match="unknown maker 'Tesla': did you mean"):
        inputs.resolve(default_parameters(maker="Tesla"), frozen_tables())


def test_no_car_priced_in_both_markets_is_missing_data():
    tables = frozen_tables()
    prices = tables.assumptions.index.str.startswith("price_europe_")
    bare = inputs.Tables(tables.assumptions[~prices], tables.financials, tables.makers)
    with pytest.raises(MissingData, match="Leapmotor: no car has both a sourced European"):
        inputs.resolve(default_parameters(), bare)


def test_no_margin_for_anyone_is_missing_data():
    tables = frozen_tables()
    no_margins = tables.financials[~tables.financials["metric"].str.contains("margin")]
    bare = with_venture(inputs.Tables(tables.assumptions, no_margins, tables.makers), "aito_hima")
    with pytest.raises(
        MissingData, match="AITO / HIMA has no usable gross margin in financials_quarterly.csv"
    ):
        inputs.resolve(default_parameters(maker="aito_hima"), bare)


def test_tables_load_reads_the_given_data_dir(data_copy):
    row = data_copy / "assumptions.csv"
    row.write_text(
        row.read_text().replace("jv_leapmotor_share_pct,49,", "jv_leapmotor_share_pct,48,")
    )
    setup = inputs.resolve(default_parameters(), inputs.Tables.load(data_copy))
    assert setup.scenario["maker_share_pct"].mode == pytest.approx(48.0)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"maker": "tata"}, ValueError, "unknown maker 'tata': known makers: aito_hima, byd"),
        (
            {"car_model": "x9"},
            ValueError,
            "unknown car_model 'x9'; cars with sourced Europe and China prices: b05, b10, c10, t03",
        ),
        ({"europe_volume_growth_pct": [40.0, 20.0, 10.0]}, ValueError, "min 40 is above max 10"),
        (
            {"europe_volume_start_units": [-10.0, 5.0, 10.0]},
            ValueError,
            "europe_volume_start_units must be >= 0",
        ),
        ({"europe_price_eur": -500.0}, ValueError, "europe_price_eur must be >= 0"),
        ({"discount_rate_pct": -101.0}, ValueError, "above -100%"),
        (
            {"sea_volume_ceiling_units": [5000.0, 40_000.0, 60_000.0]},
            ValueError,
            "sea_volume_ceiling_units min 5,000 is below sea_volume_start_units max 10,000",
        ),
        (
            {"europe_plant_start": "next year"},
            ValueError,
            "europe_plant_start must be a month as YYYY-MM",
        ),
        (
            {"distribution": "normal"},
            ValueError,
            "distribution must be one of triangular, uniform",
        ),
        ({"china_vat_pct": -1}, ValueError, "china_vat_pct has no sourced default"),
        ({"horizon_years": 0}, ValueError, "horizon_years must be a whole number >= 1"),
        (
            {"europe_dealer_margin_pct": [8.0, 10.0, 120.0]},
            ValueError,
            "europe_dealer_margin_pct must be below 100%",
        ),
    ],
)
def test_bad_parameters_fail_with_a_clear_message(changes, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        inputs.resolve(default_parameters(**changes), frozen_tables())


def test_missing_or_unknown_parameters_are_named():
    parameters = default_parameters()
    del parameters["seed"]
    with pytest.raises(KeyError, match="missing parameter"):
        inputs.resolve(parameters, frozen_tables())
    with pytest.raises(KeyError, match="unknown parameter.*tariff_pct"):
        inputs.resolve(default_parameters(tariff_pct=3.0), frozen_tables())


def test_discount_rate_itself_at_minus_100_pct_is_refused():
    with pytest.raises(ValueError, match="discount_rate_pct must be above -100%"):
        inputs.resolve(default_parameters(discount_rate_pct=-100.0), frozen_tables())
