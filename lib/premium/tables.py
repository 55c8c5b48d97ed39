"""The reader tables of notebook 02, each a `lib.tables.reader_table` of one frame of the
`BrandPremium` with its formats and headers (None where the table does not apply)."""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from lib import tables
from lib.premium.analysis import BrandPremium

YUAN, PCT, PROBABILITY, DECIMAL = "{:,.0f}", "{:+.1f}%", "{:.0%}", "{:,.2f}"
YES_NO = {True: "yes", False: "no"}

FLAGSHIP_COLUMNS = [
    "brand",
    "series",
    "trim_name",
    "model_year",
    "powertrain",
    "body",
    "battery_kwh",
    "power_kw",
    "length_mm",
    "drive",
    "lidar",
    "msrp_rmb",
]
PREMIUM_COLUMNS = [
    "brand",
    "trims",
    "series",
    "premium_pct",
    "low_pct",
    "high_pct",
    "premium_naive_pct",
    "se_clustered",
    "se_classical",
    "note",
]
PRICE_COLUMNS = [
    "trim_name",
    "brand",
    "expected_rmb",
    "median_rmb",
    "low_rmb",
    "high_rmb",
    "p_below_band",
    "p_in_band",
    "p_above_band",
]


def _table(frame: pd.DataFrame, formats: dict, names: dict | None = None) -> Styler:
    """`frame` through lib.tables, headers renamed by `names` (others kept)."""
    names = names or {}
    return tables.reader_table(frame, formats, labels=[names.get(c, c) for c in frame.columns])


def _sourced_rows(rows: pd.DataFrame) -> Styler:
    return _table(rows, {"value": DECIMAL})


def elasticity_table(result: BrandPremium) -> Styler:
    level = f"{result.inputs.params.confidence_level:.0%}"
    columns = ["spec", "unit", "coef", "low", "high", "meaning"]
    names = {"coef": "estimate", "low": f"low ({level})", "high": f"high ({level})"}
    return _table(result.elasticities[columns], dict.fromkeys(columns[2:5], DECIMAL), names)


def excluded_table(result: BrandPremium) -> Styler:
    """Trims left out of the model, by reason."""
    return _table(result.inputs.excluded, {})


def vif_table(result: BrandPremium) -> Styler:
    return _table(result.vif, {"vif": DECIMAL}, {"vif": "variance inflation factor"})


def influential_table(result: BrandPremium) -> Styler:
    formats = dict.fromkeys(["guide_price_rmb", "fitted_price_rmb"], YUAN)
    formats |= dict.fromkeys(["residual_log", "leverage", "cooks_distance"], DECIMAL)
    return _table(result.influential, formats)


def tier_counts_table(result: BrandPremium) -> Styler:
    """Priced trims per guide-price tier and badge (the badge is the index)."""
    return tables.reader_table(result.tier_counts, hide_index=False)


def premium_table(result: BrandPremium) -> Styler:
    """The focus, reference and comparison badges' premiums, thin estimates noted."""
    inputs = result.inputs
    table = result.premiums.set_index("brand").loc[inputs.badges].reset_index()
    thin = f"thin: fewer than {inputs.params.min_brand_trims} trims"
    table["note"] = table["trims"].lt(inputs.params.min_brand_trims).map({True: thin, False: ""})
    names = {
        "premium_pct": "premium (Kennedy)",
        "low_pct": "low",
        "high_pct": "high",
        "premium_naive_pct": "exp(b) - 1",
    }
    formats = dict.fromkeys(["premium_pct", "low_pct", "high_pct", "premium_naive_pct"], PCT)
    formats |= dict.fromkeys(["se_clustered", "se_classical"], DECIMAL)
    return _table(table[PREMIUM_COLUMNS], formats, names)


def band_rows_table(result: BrandPremium) -> Styler | None:
    """The sourced rows of the flagship's expected price band (None when there are none)."""
    rows = result.inputs.band_rows
    return _sourced_rows(rows) if result.has_flagship and not rows.empty else None


def flagship_table(result: BrandPremium) -> Styler | None:
    if not result.has_flagship:
        return None
    formats = dict.fromkeys(["battery_kwh", "power_kw", "length_mm", "lidar"], DECIMAL)
    return _table(result.inputs.flagship[FLAGSHIP_COLUMNS], formats | {"msrp_rmb": YUAN})


def price_table(result: BrandPremium) -> Styler | None:
    if not result.has_flagship:
        return None
    level = f"{result.inputs.params.prediction_level:.0%}"
    names = {
        "expected_rmb": "expected (yuan)",
        "median_rmb": "median",
        "low_rmb": f"low ({level})",
        "high_rmb": f"high ({level})",
        "p_below_band": "P(below band)",
        "p_in_band": "P(in band)",
        "p_above_band": "P(above band)",
    }
    formats = dict.fromkeys(PRICE_COLUMNS[2:6], YUAN) | dict.fromkeys(
        PRICE_COLUMNS[6:], PROBABILITY
    )
    return _table(result.flagship_prices[PRICE_COLUMNS], formats, names)


def gaps_table(result: BrandPremium) -> Styler | None:
    if not result.has_flagship:
        return None
    names = {
        "gap_rmb": "gap (yuan)",
        "low_rmb": "low",
        "high_rmb": "high",
        "gap_pct": "gap, % of that badge's price",
    }
    formats = dict.fromkeys(["gap_rmb", "low_rmb", "high_rmb"], YUAN) | {"gap_pct": PCT}
    return _table(result.gaps, formats, names)


def reach_table(result: BrandPremium) -> Styler | None:
    if not result.has_flagship:
        return None
    columns = [c for c in result.reach.columns if c not in ("lever", "unit")]
    return _table(result.reach, dict.fromkeys(columns, DECIMAL))


def launch_table(result: BrandPremium) -> Styler | None:
    """The launched series against the model (None when no launch is sourced)."""
    launches = result.launches
    if launches.empty:
        return None
    reference = result.inputs.reference
    names = {
        "launch_low_rmb": "launch low (yuan)",
        "launch_high_rmb": "launch high (yuan)",
        "model_low_rmb": "model, cheapest spec (yuan)",
        "model_high_rmb": "model, dearest spec (yuan)",
        "implied_premium_low_pct": f"implied premium vs {reference}, low (%)",
        "implied_premium_high_pct": f"implied premium vs {reference}, high (%)",
        "in_band": "against the band",
    }
    frame = launches[[c for c in names if c in launches] + ["series"]]
    formats = {c: YUAN for c in frame if c.endswith("_rmb")}
    formats |= {c: PCT for c in frame if c.endswith("_pct")}
    return _table(frame, formats, names)


def discount_rows_table(result: BrandPremium) -> Styler:
    """The sourced guide-to-transaction discount rows of assumptions.csv."""
    return _sourced_rows(result.inputs.discount_rows)


def transaction_table(result: BrandPremium) -> Styler:
    """Premiums on list and on transaction prices, by badge."""
    frame = result.transaction
    return _table(frame, {c: PCT for c in frame if c.endswith("_pct")})


def own_launches_table(result: BrandPremium) -> Styler | None:
    """The report maker's cars in the launch record (None when it has none)."""
    record = result.launch_record
    if record is None or record.own_cars.empty:
        return None
    columns = ["series", "trim_name", "launch_month", "guide_rmb", "predicted_rmb", "low_rmb"]
    columns += ["high_rmb", "error_pct", "inside", "price_source"]
    names = {
        "guide_rmb": "guide price (yuan)",
        "predicted_rmb": "predicted (median)",
        "low_rmb": "low (80%)",
        "high_rmb": "high (80%)",
        "error_pct": "error, % of guide",
        "inside": "inside the interval",
        "price_source": "guide price from",
    }
    frame = record.own_cars[columns].assign(inside=record.own_cars["inside"].map(YES_NO))
    formats = dict.fromkeys(columns[3:7], YUAN) | {"error_pct": PCT}
    return _table(frame, formats, names)


def launch_record_table(result: BrandPremium) -> Styler | None:
    """The record's scores overall, by maker, for the other brands and for new badges."""
    record = result.launch_record
    if record is None or record.by_maker.empty:
        return None
    level = f"{record.confidence_level:.0%}"
    names = {
        "group": "cars of",
        "mae_pct": "median abs. error (%)",
        "mae_low": f"low ({level})",
        "mae_high": f"high ({level})",
        "coverage_pct": "inside 80% interval (%)",
        "coverage_low": f"low ({level})",
        "coverage_high": f"high ({level})",
        "bias_pct": "median error (%)",
    }
    columns = ["group", "cars", "series", *list(names)[1:], "note"]
    frame = record.by_maker[columns]
    formats = {c: "{:.1f}" for c in columns[3:9]} | {"bias_pct": PCT, "series": "{:.0f}"}
    return _table(frame, formats, names)
