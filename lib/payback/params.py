"""Notebook 04's parameters: the one source of each one's type, default, range, unit and help
(the notebook's parameters cell is `contract.parameters_cell(Params)`).

A help text is "<meaning>; -1: <the sourced value>" for a sourced parameter: the tables and the
prose show the meaning (`meaning`). `anchors` name the sourced facts a literal default was chosen
from: an assumptions.csv row, or a fact of the maker's ventures (`fact` or `fact:period`, e.g.
`volume_target:2026`), so that each maker's report cites its own facts, or none."""

from __future__ import annotations

from dataclasses import dataclass

from lib import contract, makers
from lib.contract import param
from lib.payback.uncertain import DISTRIBUTIONS

PCT_RANGE = {"low": -99.0, "high": 100.0}
SHARE = {"unit": "%", "low": 0.0, "high": 100.0}
MONEY_MN = {"low": 0.0, "high": 10_000.0}
VOLUME = {"unit": "cars", "low": 0.0, "high": 5_000_000.0}


@dataclass(frozen=True)
class Params(contract.Params):
    """What notebook 04 can be asked: whose ventures, which car, the horizon, the draws, and every
    model input (a number, or [min, mode, max] for an uncertain one)."""

    maker: str = param(
        makers.DEFAULT, "maker key in data/makers.csv (python -m lib check lists them)"
    )
    car_model: str = param(
        "",
        "car whose European and Chinese list prices set the unit economics, a car key of the "
        "maker's ventures in data/ventures.csv; empty: its first car priced in both markets",
        sourced=True,
    )
    start_year: int = param(
        2026,
        "first operating year; the upfront investment is paid at its start (t 0)",
        unit="year",
        low=2020,
        high=2040,
    )
    horizon_years: int = param(
        10,
        "operating years counted; nothing after the horizon counts",
        unit="years",
        low=1,
        high=30,
    )
    include_factory_margin: bool = param(
        False, "also count the maker's own margin on the cars it sells to the venture"
    )
    n_sims: int = param(
        100_000,
        "Monte Carlo draws of the uncertain inputs",
        unit="draws",
        low=100,
        high=2_000_000,
    )
    seed: int = param(2026, "random seed of the draws", low=0, high=4_294_967_295)
    distribution: str = param(
        "triangular",
        "shape of every [min, mode, max] input: triangular, or uniform (min to max)",
        choices=DISTRIBUTIONS,
    )
    discount_rate_pct: float = param(
        9.0, "cost of capital before country risk", unit="%", **PCT_RANGE
    )
    price_china_rmb: float = param(
        -1,
        "China guide price of the car; -1: its sourced price",
        unit="RMB",
        low=0.0,
        high=2_000_000.0,
        sourced=True,
    )
    china_discount_pct: float = param(
        -1,
        "transaction discount off the China guide price; -1: the maker's sourced figure",
        unit="%",
        low=0.0,
        high=90.0,
        sourced=True,
    )
    china_vat_pct: float = param(
        13.0, "China VAT included in the guide price", unit="%", low=0.0, high=50.0
    )
    china_margin_pct: float = param(
        -1,
        "maker's gross margin on a China sale (sets the factory cost); -1: its latest reported",
        unit="%",
        low=-90.0,
        high=90.0,
        sourced=True,
    )
    factory_margin_pct: float = param(
        -1,
        "maker's margin in the price the venture pays for a car; -1: china_margin_pct",
        unit="%",
        low=-90.0,
        high=90.0,
        sourced=True,
    )
    unit_cost_change_pct: list[float] = param(
        [0.0, 10.0, 40.0],
        "cost of the export-spec car vs the China car [min, mode, max]",
        unit="%",
        low=-50.0,
        high=200.0,
        anchors=("broker_margin_imported",),
    )
    maker_share_pct: float = param(
        -1,
        "maker's share of the venture's profit and investment; -1: its sourced share",
        sourced=True,
        **SHARE,
    )
    rmb_per_eur: list[float] = param(
        [7.4, 7.9, 8.4], "exchange rate [min, mode, max]", unit="RMB/EUR", low=1.0, high=20.0
    )
    rmb_per_usd: float = param(
        7.2, "exchange rate for USD-quoted capex", unit="RMB/USD", low=1.0, high=20.0
    )
    europe_price_eur: float = param(
        -1,
        "list price in Europe incl. VAT; -1: the car's sourced price",
        unit="EUR",
        low=0.0,
        high=500_000.0,
        sourced=True,
    )
    europe_price_realization_pct: list[float] = param(
        [-20.0, -10.0, 0.0],
        "achieved price vs list in Europe [min, mode, max]",
        unit="%",
        low=-90.0,
        high=50.0,
    )
    europe_sales_tax_pct: float = param(
        20.0, "VAT in the European list price", unit="%", low=0.0, high=50.0
    )
    europe_dealer_margin_pct: list[float] = param(
        [8.0, 10.0, 14.0],
        "dealer margin in Europe, % of the price net of VAT [min, mode, max]",
        unit="%",
        low=0.0,
        high=60.0,
    )
    europe_logistics_eur: list[float] = param(
        [1000.0, 1500.0, 2500.0],
        "freight China to Europe, whole car [min, mode, max]",
        unit="EUR/car",
        low=0.0,
        high=20_000.0,
    )
    europe_cvd_pct: float = param(
        -1,
        "EU countervailing duty on the maker's China-built BEVs, % of customs value; -1: the "
        "maker's sourced rate",
        unit="%",
        low=0.0,
        high=100.0,
        sourced=True,
    )
    europe_mfn_duty_pct: float = param(
        -1,
        "EU MFN car import duty, % of customs value; -1: sourced",
        unit="%",
        low=0.0,
        high=100.0,
        sourced=True,
    )
    europe_kit_duty_pct: float = param(
        4.5,
        "EU duty on an assembly kit (parts), % of customs value",
        unit="%",
        low=0.0,
        high=100.0,
    )
    europe_kit_logistics_pct: float = param(
        70.0, "freight of a kit vs a whole car", unit="%", low=0.0, high=200.0
    )
    europe_assembly_eur: list[float] = param(
        [400.0, 700.0, 1000.0],
        "local assembly cost in Europe [min, mode, max]",
        unit="EUR/car",
        low=0.0,
        high=10_000.0,
        anchors=("assembly_cost", "italy_assembly_cost_eur_per_car"),
    )
    europe_plant_capacity_units: float = param(
        -1,
        "European assembly capacity; -1: the maker's European venture's sourced capacity",
        unit="cars/year",
        low=0.0,
        high=1_000_000.0,
        sourced=True,
    )
    europe_plant_start: str = param(
        "",
        "first month of European assembly, YYYY-MM; empty: the venture's sourced start",
        unit="YYYY-MM",
        sourced=True,
    )
    europe_plant_capex_rmb_mn: float = param(
        -1,
        "European assembly investment; -1: the venture's sourced capex",
        unit="RMB mn",
        low=0.0,
        high=100_000.0,
        sourced=True,
    )
    europe_entry_investment_eur_mn: list[float] = param(
        [100.0, 250.0, 400.0],
        "upfront investment to build the European business (network, launch) [min, mode, max]",
        unit="EUR mn",
        **MONEY_MN,
    )
    europe_outlets: int = param(
        1_600,
        "European sales and service outlets",
        unit="outlets",
        low=0,
        high=20_000,
        anchors=("outlets:2025-12",),
    )
    europe_outlet_cost_eur_k: list[float] = param(
        [15.0, 30.0, 45.0],
        "venture's yearly cost per outlet [min, mode, max]",
        unit="EUR k/outlet/year",
        low=0.0,
        high=1_000.0,
    )
    europe_marketing_eur_mn: list[float] = param(
        [40.0, 80.0, 120.0],
        "marketing and overhead in Europe [min, mode, max]",
        unit="EUR mn/year",
        low=0.0,
        high=5_000.0,
    )
    europe_volume_start_units: list[float] = param(
        [50_000.0, 80_000.0, 120_000.0],
        "first-year sales in Europe [min, mode, max]",
        anchors=("volume_target:2026",),
        **VOLUME,
    )
    europe_volume_growth_pct: list[float] = param(
        [5.0, 20.0, 40.0],
        "yearly growth of European sales [min, mode, max]",
        unit="%/year",
        low=-90.0,
        high=500.0,
    )
    europe_volume_ceiling_units: list[float] = param(
        [150_000.0, 250_000.0, 400_000.0],
        "ceiling of European sales [min, mode, max]",
        unit="cars/year",
        low=0.0,
        high=10_000_000.0,
        anchors=("volume_target:2030",),
    )
    europe_risk_premium_pct: float = param(
        1.0, "country-risk premium for Europe", unit="pp", low=0.0, high=50.0
    )
    sea_price_vs_china_pct: list[float] = param(
        [110.0, 130.0, 150.0],
        "list price in South-East Asia vs the China guide price [min, mode, max]",
        unit="%",
        low=0.0,
        high=500.0,
    )
    sea_price_realization_pct: list[float] = param(
        [-15.0, -5.0, 0.0],
        "achieved price vs list in South-East Asia [min, mode, max]",
        unit="%",
        low=-90.0,
        high=50.0,
    )
    sea_sales_tax_pct: float = param(
        -1,
        "Malaysian sales tax in the list price; -1: sourced",
        unit="%",
        low=0.0,
        high=50.0,
        sourced=True,
    )
    sea_dealer_margin_pct: list[float] = param(
        [6.0, 8.0, 12.0],
        "dealer margin in South-East Asia [min, mode, max]",
        unit="%",
        low=0.0,
        high=60.0,
    )
    sea_logistics_eur: list[float] = param(
        [400.0, 700.0, 1200.0],
        "freight China to Malaysia, whole car [min, mode, max]",
        unit="EUR/car",
        low=0.0,
        high=20_000.0,
    )
    sea_import_duty_pct: float = param(
        -1,
        "Malaysian import duty on China-built EVs (ACFTA); -1: sourced",
        unit="%",
        low=0.0,
        high=100.0,
        sourced=True,
    )
    sea_excise_pct: float = param(
        -1,
        "Malaysian excise duty on imported EVs; -1: sourced",
        unit="%",
        low=0.0,
        high=100.0,
        sourced=True,
    )
    sea_kit_duty_pct: float = param(
        -1,
        "Malaysian duty on a CKD kit; -1: sourced",
        unit="%",
        low=0.0,
        high=100.0,
        sourced=True,
    )
    sea_kit_logistics_pct: float = param(
        70.0, "freight of a kit vs a whole car", unit="%", low=0.0, high=200.0
    )
    sea_assembly_eur: list[float] = param(
        [200.0, 400.0, 700.0],
        "local assembly cost in South-East Asia [min, mode, max]",
        unit="EUR/car",
        low=0.0,
        high=10_000.0,
        anchors=("assembly_cost",),
    )
    sea_plant_capacity_units: float = param(
        20_000.0,
        "South-East Asian assembly capacity",
        unit="cars/year",
        low=0.0,
        high=1_000_000.0,
    )
    sea_plant_start: str = param(
        "",
        "first month of South-East Asian assembly, YYYY-MM; empty: the venture's sourced start",
        unit="YYYY-MM",
        sourced=True,
    )
    sea_plant_capex_rmb_mn: float = param(
        -1,
        "South-East Asian assembly investment; -1: the venture's sourced capex",
        unit="RMB mn",
        low=0.0,
        high=100_000.0,
        sourced=True,
    )
    sea_entry_investment_eur_mn: list[float] = param(
        [10.0, 25.0, 50.0],
        "upfront investment to build the South-East Asian business [min, mode, max]",
        unit="EUR mn",
        **MONEY_MN,
    )
    sea_outlets: int = param(
        100,
        "South-East Asian outlets",
        unit="outlets",
        low=0,
        high=20_000,
        anchors=("outlets:2025-03",),
    )
    sea_outlet_cost_eur_k: list[float] = param(
        [10.0, 20.0, 30.0],
        "venture's yearly cost per outlet [min, mode, max]",
        unit="EUR k/outlet/year",
        low=0.0,
        high=1_000.0,
    )
    sea_marketing_eur_mn: list[float] = param(
        [3.0, 6.0, 10.0],
        "marketing and overhead in South-East Asia [min, mode, max]",
        unit="EUR mn/year",
        low=0.0,
        high=5_000.0,
    )
    sea_volume_start_units: list[float] = param(
        [2_000.0, 5_000.0, 10_000.0],
        "first-year sales in South-East Asia [min, mode, max]",
        **VOLUME,
    )
    sea_volume_growth_pct: list[float] = param(
        [10.0, 30.0, 50.0],
        "yearly growth of South-East Asian sales [min, mode, max]",
        unit="%/year",
        low=-90.0,
        high=500.0,
    )
    sea_volume_ceiling_units: list[float] = param(
        [20_000.0, 40_000.0, 60_000.0],
        "ceiling of South-East Asian sales [min, mode, max]",
        unit="cars/year",
        low=0.0,
        high=10_000_000.0,
    )
    sea_risk_premium_pct: float = param(
        3.0, "country-risk premium for South-East Asia", unit="pp", low=0.0, high=50.0
    )


# The settings of a run; every other parameter is a model input (a number, a range or a month).
RUN_SETTINGS = (
    "maker",
    "car_model",
    "start_year",
    "horizon_years",
    "include_factory_margin",
    "n_sims",
    "seed",
    "distribution",
)
MODEL_INPUTS = tuple(f.name for f in Params.fields() if f.name not in RUN_SETTINGS)


def meaning(name: str) -> str:
    """What model input `name` is, for tables and prose: its help up to "; -1: ..."."""
    return Params.spec(name).help.split("; ")[0].removesuffix(" [min, mode, max]")


def unit(name: str) -> str:
    return Params.spec(name).unit


# Which inputs each section of the notebook uses (its assumptions table shows these).
ASSUMPTION_GROUPS = {
    "unit economics": (
        "price_china_rmb",
        "china_discount_pct",
        "china_vat_pct",
        "china_margin_pct",
        "factory_margin_pct",
        "unit_cost_change_pct",
        "rmb_per_eur",
        "europe_price_eur",
        "europe_price_realization_pct",
        "europe_sales_tax_pct",
        "europe_dealer_margin_pct",
        "europe_logistics_eur",
        "europe_cvd_pct",
        "europe_mfn_duty_pct",
        "europe_kit_duty_pct",
        "europe_kit_logistics_pct",
        "europe_assembly_eur",
    ),
    "venture": (
        "discount_rate_pct",
        "europe_risk_premium_pct",
        "maker_share_pct",
        "europe_volume_start_units",
        "europe_volume_growth_pct",
        "europe_volume_ceiling_units",
        "europe_entry_investment_eur_mn",
        "europe_outlets",
        "europe_outlet_cost_eur_k",
        "europe_marketing_eur_mn",
        "europe_plant_capacity_units",
        "europe_plant_start",
        "europe_plant_capex_rmb_mn",
        "rmb_per_usd",
    ),
    "south-east asia": tuple(name for name in MODEL_INPUTS if name.startswith("sea_")),
}
