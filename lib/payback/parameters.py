"""The notebook's parameters that are model inputs: unit, meaning and where each default comes from,
and which of them each section of the report shows."""

from __future__ import annotations

from dataclasses import dataclass

SOURCED = -1  # a numeric parameter at -1 (or a text one at "") takes its sourced default


@dataclass(frozen=True)
class ParameterSpec:
    """A notebook parameter that is a model input: unit, meaning and where its default comes from.

    `sourced`: a value of -1 (or "") resolves to sourced rows of assumptions.csv or the
    financials; `anchors`: sourced rows a literal default was chosen from; neither: an assumption
    with no source."""

    unit: str
    meaning: str
    sourced: bool = False
    anchors: tuple[str, ...] = ()


def _spec(unit: str, meaning: str, *anchors: str, sourced: bool = False) -> ParameterSpec:
    return ParameterSpec(unit, meaning, sourced, anchors)


MODEL_PARAMETERS: dict[str, ParameterSpec] = {
    "discount_rate_pct": _spec("%", "cost of capital before country risk"),
    "price_china_rmb": _spec("RMB", "China guide price of the car", sourced=True),
    "china_discount_pct": _spec(
        "%", "transaction discount off the China guide price", sourced=True
    ),
    "china_vat_pct": _spec("%", "China VAT included in the guide price"),
    "china_margin_pct": _spec(
        "%", "maker's gross margin on a China sale (sets the factory cost)", sourced=True
    ),
    "factory_margin_pct": _spec(
        "%", "maker's margin in the price the venture pays for a car", sourced=True
    ),
    "unit_cost_change_pct": _spec(
        "%", "cost of the export-spec car vs the China car", "t03_gm_imported_pct"
    ),
    "maker_share_pct": _spec(
        "%", "maker's share of the venture's profit and investment", sourced=True
    ),
    "rmb_per_eur": _spec("RMB/EUR", "exchange rate"),
    "rmb_per_usd": _spec("RMB/USD", "exchange rate for USD-quoted capex"),
    "europe_price_eur": _spec("EUR", "list price in Europe incl. VAT", sourced=True),
    "europe_price_realization_pct": _spec("%", "achieved price vs list in Europe"),
    "europe_sales_tax_pct": _spec("%", "VAT in the European list price"),
    "europe_dealer_margin_pct": _spec("%", "dealer margin in Europe, % of the price net of VAT"),
    "europe_logistics_eur": _spec("EUR/car", "freight China to Europe, whole car"),
    "europe_cvd_pct": _spec(
        "%", "EU countervailing duty on the maker's China-built BEVs", sourced=True
    ),
    "europe_mfn_duty_pct": _spec("%", "EU MFN car import duty", sourced=True),
    "europe_kit_duty_pct": _spec("%", "EU duty on an assembly kit (parts)"),
    "europe_kit_logistics_pct": _spec("%", "freight of a kit vs a whole car"),
    "europe_assembly_eur": _spec(
        "EUR/car",
        "local assembly cost in Europe",
        "poland_assembly_cost_low_eur_per_car",
        "poland_assembly_cost_high_eur_per_car",
        "italy_assembly_cost_eur_per_car",
    ),
    "europe_plant_capacity_units": _spec("cars/year", "Spanish assembly capacity", sourced=True),
    "europe_plant_start": _spec("YYYY-MM", "first month of Spanish assembly", sourced=True),
    "europe_plant_capex_rmb_mn": _spec("RMB mn", "Spanish assembly investment", sourced=True),
    "europe_entry_investment_eur_mn": _spec(
        "EUR mn", "upfront investment to build the European business (network, launch)"
    ),
    "europe_outlets": _spec(
        "outlets", "European sales and service outlets", "overseas_outlets_2025_end"
    ),
    "europe_outlet_cost_eur_k": _spec("EUR k/outlet/year", "venture's yearly cost per outlet"),
    "europe_marketing_eur_mn": _spec("EUR mn/year", "marketing and overhead in Europe"),
    "europe_volume_start_units": _spec(
        "cars",
        "first-year sales in Europe",
        "overseas_target_2026_low_units",
        "overseas_target_2026_high_units",
    ),
    "europe_volume_growth_pct": _spec("%/year", "yearly growth of European sales"),
    "europe_volume_ceiling_units": _spec(
        "cars/year", "ceiling of European sales", "overseas_target_2030_units"
    ),
    "europe_risk_premium_pct": _spec("pp", "country-risk premium for Europe"),
    "sea_price_vs_china_pct": _spec("%", "list price in South-East Asia vs the China guide price"),
    "sea_price_realization_pct": _spec("%", "achieved price vs list in South-East Asia"),
    "sea_sales_tax_pct": _spec("%", "Malaysian sales tax", sourced=True),
    "sea_dealer_margin_pct": _spec("%", "dealer margin in South-East Asia"),
    "sea_logistics_eur": _spec("EUR/car", "freight China to Malaysia, whole car"),
    "sea_import_duty_pct": _spec(
        "%", "Malaysian import duty on China-built EVs (ACFTA)", sourced=True
    ),
    "sea_excise_pct": _spec("%", "Malaysian excise duty on imported EVs", sourced=True),
    "sea_kit_duty_pct": _spec("%", "Malaysian duty on a CKD kit", sourced=True),
    "sea_kit_logistics_pct": _spec("%", "freight of a kit vs a whole car"),
    "sea_assembly_eur": _spec(
        "EUR/car", "local assembly cost in Malaysia", "poland_assembly_cost_low_eur_per_car"
    ),
    "sea_plant_capacity_units": _spec("cars/year", "Malaysian assembly capacity"),
    "sea_plant_start": _spec("YYYY-MM", "first month of Malaysian assembly", sourced=True),
    "sea_plant_capex_rmb_mn": _spec("RMB mn", "Malaysian assembly investment", sourced=True),
    "sea_entry_investment_eur_mn": _spec(
        "EUR mn", "upfront investment to build the South-East Asian business"
    ),
    "sea_outlets": _spec("outlets", "South-East Asian outlets", "overseas_outlets_2025_q1"),
    "sea_outlet_cost_eur_k": _spec("EUR k/outlet/year", "venture's yearly cost per outlet"),
    "sea_marketing_eur_mn": _spec("EUR mn/year", "marketing and overhead in South-East Asia"),
    "sea_volume_start_units": _spec("cars", "first-year sales in South-East Asia"),
    "sea_volume_growth_pct": _spec("%/year", "yearly growth of South-East Asian sales"),
    "sea_volume_ceiling_units": _spec("cars/year", "ceiling of South-East Asian sales"),
    "sea_risk_premium_pct": _spec("pp", "country-risk premium for South-East Asia"),
}
RUN_PARAMETERS = (
    "maker",
    "car_model",
    "start_year",
    "horizon_years",
    "include_factory_margin",
    "n_sims",
    "seed",
    "distribution",
)


def parameter_names() -> tuple[str, ...]:
    """Every parameter the notebook's parameters cell must declare."""
    return RUN_PARAMETERS + tuple(MODEL_PARAMETERS)


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
    "south-east asia": tuple(name for name in MODEL_PARAMETERS if name.startswith("sea_")),
}
