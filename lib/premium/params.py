"""Notebook 02's parameters: the one source of each one's type, default, range, unit and help
(the notebook's parameters cell is `contract.parameters_cell(Params)`).

The brands are data: the reference badge and the comparison badges default to what the trims
and the registry hold (empty), never to names written here."""

from __future__ import annotations

from dataclasses import dataclass

from lib import contract, makers
from lib.contract import param

NOTEBOOK = "02_brand_premium"  # the notebook whose parameters cell this is
POWERTRAINS = ("bev", "erev", "phev")
DRIVES = ("fwd", "rwd", "awd")
BAND_LIMITS = (10_000, 10_000_000)  # yuan: a guide-price band outside these is a typo


@dataclass(frozen=True)
class Params(contract.Params):
    """What notebook 02 can be asked: whose badge, against which badges, on which trims, and which
    flagship in which price band."""

    maker: str = param(
        makers.DEFAULT, "maker key in data/makers.csv (python -m lib check lists them)"
    )
    reference_brand: str = param(
        "",
        "brand the premiums are measured against (its own premium is 0); empty: the badge with "
        "the most trims in the model",
        sourced=True,
    )
    comparison_brands: list[str] = param(
        [],
        "badges the flagship is also priced under; empty list: every other maker's own badge "
        "in data/makers.csv that the model can use",
    )
    powertrains: list[str] = param(list(POWERTRAINS), "powertrains in the model (bev, erev, phev)")
    model_years: list[int] = param(
        [2023, 2024, 2025],
        "model years in the model; later trims are priced as the latest",
        unit="year",
        low=2010,
        high=2035,
    )
    price_band_low_rmb: int = param(
        -1,
        "lower edge of the target guide-price band, yuan; -1: the flagship's sourced expected "
        "band (none: the flagship question does not apply)",
        unit="yuan",
        low=BAND_LIMITS[0],
        high=BAND_LIMITS[1],
        sourced=True,
    )
    price_band_high_rmb: int = param(
        -1,
        "upper edge of the target guide-price band, yuan; -1: as the lower edge",
        unit="yuan",
        low=BAND_LIMITS[0],
        high=BAND_LIMITS[1],
        sourced=True,
    )
    flagship_series: str = param(
        "",
        "series whose trims are priced under each badge (they need specs, not a price); "
        "empty: the maker's flagship as the data name it, or none",
        sourced=True,
    )
    flagship_trims: list[str] = param(
        [],
        "trims of that series to price, the first drives the headline (empty list: all, in the "
        "data's order)",
    )
    flagship_drive_if_missing: str = param(
        "awd",
        "drive layout (fwd, rwd or awd) for flagship trims whose drive is blank (an assumption; "
        "empty: fail)",
        choices=(*DRIVES, ""),
    )
    min_brand_trims: int = param(
        10,
        "brands with fewer trims in the model are flagged thin and left out of the forest plot; "
        "the maker's own premium then reads 'too little data'",
        unit="trims",
        low=1,
        high=1000,
    )
    min_brand_series: int = param(
        2,
        "the maker's own premium reads 'too little data' when its trims come from fewer series",
        unit="series",
        low=1,
        high=100,
    )
    price_tier_edges_rmb: list[int] = param(
        [0, 100_000, 150_000, 200_000, 250_000, 300_000, 400_000],
        "lower edges of the guide-price tiers, yuan; the last is open-ended",
        unit="yuan",
        low=0,
        high=100_000_000,
    )
    prediction_level: float = param(
        0.8, "coverage of the flagship's price prediction interval", low=0.5, high=0.99
    )
    confidence_level: float = param(
        0.95, "coverage of the premium and gap intervals", low=0.5, high=0.99
    )
    n_draws: int = param(
        4000, "Monte Carlo draws for the price-gap intervals", unit="draws", low=100, high=1_000_000
    )
    seed: int = param(2026, "random seed of the Monte Carlo draws", low=0, high=4_294_967_295)
