"""Impossible model inputs fail early, naming the input and what was expected."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from lib.finance import Value, check_rate
from lib.payback.uncertain import Scenario, Uncertain

MARKETS = ("europe", "sea")
MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

# Lowest allowed value of each model input (inclusive unless noted): impossible inputs fail early.
NONNEGATIVE = (
    "price_china_rmb",
    "europe_price_eur",
    "sea_price_vs_china_pct",
    "europe_logistics_eur",
    "sea_logistics_eur",
    "europe_assembly_eur",
    "sea_assembly_eur",
    "europe_plant_capacity_units",
    "sea_plant_capacity_units",
    "europe_plant_capex_rmb_mn",
    "sea_plant_capex_rmb_mn",
    "europe_entry_investment_eur_mn",
    "sea_entry_investment_eur_mn",
    "europe_outlets",
    "sea_outlets",
    "europe_outlet_cost_eur_k",
    "sea_outlet_cost_eur_k",
    "europe_marketing_eur_mn",
    "sea_marketing_eur_mn",
    "europe_volume_start_units",
    "sea_volume_start_units",
    "europe_volume_ceiling_units",
    "sea_volume_ceiling_units",
    "europe_cvd_pct",
    "europe_mfn_duty_pct",
    "europe_kit_duty_pct",
    "sea_import_duty_pct",
    "sea_excise_pct",
    "sea_kit_duty_pct",
    "europe_kit_logistics_pct",
    "sea_kit_logistics_pct",
    "china_vat_pct",
    "europe_sales_tax_pct",
    "sea_sales_tax_pct",
    "china_discount_pct",
    "europe_dealer_margin_pct",
    "sea_dealer_margin_pct",
    "maker_share_pct",
)
BELOW_100 = (
    "china_discount_pct",
    "china_margin_pct",
    "factory_margin_pct",
    "europe_dealer_margin_pct",
    "sea_dealer_margin_pct",
)
ABOVE_MINUS_100 = (
    "discount_rate_pct",
    "unit_cost_change_pct",
    "europe_price_realization_pct",
    "sea_price_realization_pct",
    "europe_volume_growth_pct",
    "sea_volume_growth_pct",
    "china_margin_pct",
    "factory_margin_pct",
)
POSITIVE = ("rmb_per_eur", "rmb_per_usd")
VOLUME_PAIRS = {m: (f"{m}_volume_start_units", f"{m}_volume_ceiling_units") for m in MARKETS}


def parse_month(text: str, name: str) -> tuple[int, int]:
    """(year, month) of a YYYY-MM parameter; ValueError naming it otherwise."""
    match = MONTH_PATTERN.match(str(text))
    if not match:
        raise ValueError(f"{name} must be a month as YYYY-MM (e.g. 2026-08), got {text!r}")
    return int(match.group(1)), int(match.group(2))


def _describe(value: Value) -> str:
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return f"{float(array):g}"
    return f"values from {array.min():g} to {array.max():g}"


def _check_one(name: str, value: Value) -> None:
    array = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be a finite number, got {_describe(value)}")
    if name in NONNEGATIVE and np.any(array < 0):
        raise ValueError(
            f"{name} must be >= 0 (no negative volumes, prices or costs), got {_describe(value)}"
        )
    if name in BELOW_100 and np.any(array >= 100):
        raise ValueError(f"{name} must be below 100%, got {_describe(value)}")
    if name in ABOVE_MINUS_100 and np.any(array <= -100):
        raise ValueError(f"{name} must be above -100%, got {_describe(value)}")
    if name in POSITIVE and np.any(array <= 0):
        raise ValueError(f"{name} must be > 0, got {_describe(value)}")


def validate_inputs(values: Mapping[str, Value | str]) -> None:
    """Raise ValueError naming the first impossible input: negative prices, volumes or costs,
    percentages out of range, a ceiling below the start, a discount rate at or below -100%."""
    for name, value in values.items():
        if not isinstance(value, str):
            _check_one(name, value)
    for start_name, ceiling_name in VOLUME_PAIRS.values():
        if start_name in values and ceiling_name in values:
            start, ceiling = np.asarray(values[start_name]), np.asarray(values[ceiling_name])
            if np.any(ceiling < start):
                raise ValueError(
                    f"{ceiling_name} ({_describe(ceiling)}) is below {start_name} "
                    f"({_describe(start)}); the volume ceiling must be at least the starting volume"
                )
    for market in MARKETS:
        key = f"{market}_risk_premium_pct"
        if "discount_rate_pct" in values and key in values:
            check_rate(
                (np.asarray(values["discount_rate_pct"]) + np.asarray(values[key])) / 100,
                f"discount_rate_pct + {key}",
            )


def check_scenario(scenario: Scenario) -> None:
    """Validate a scenario before any work: each input's [min, mode, max] corners, and every
    ceiling range at or above its start range (so no draw has a ceiling below its start)."""
    for attribute in ("low", "mode", "high"):
        corner = {
            k: getattr(v, attribute) if isinstance(v, Uncertain) else v for k, v in scenario.items()
        }
        validate_inputs(corner)
    for start_name, ceiling_name in VOLUME_PAIRS.values():
        if start_name in scenario and ceiling_name in scenario:
            start, ceiling = scenario[start_name], scenario[ceiling_name]
            if ceiling.low < start.high:
                raise ValueError(
                    f"{ceiling_name} min {ceiling.low:,.0f} is below {start_name} max "
                    f"{start.high:,.0f}; every draw needs a ceiling at least its starting volume"
                )
