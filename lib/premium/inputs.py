"""The inputs of notebook 02, checked before anything is computed.

`load(params)` resolves the maker (its badge in `vehicle_trims.csv` is the focus brand), reads the
trims and assumptions, checks the parameters against them and against each other (their ranges
are checked by `Params`) and returns `Inputs`, with the origin of each sourced default (reference
badge, comparison badges, flagship, price band). A maker with no trim under its badge raises
`lib.makers.MissingData`; a parameter the data contradict raises BadParameter (KeyError for an
unknown name, listing the closest).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lib import data, makers
from lib.errors import BadParameter
from lib.premium.params import POWERTRAINS, Params

PRICE_COLUMN = "msrp_rmb"
TRANSACTION_PRICE_COLUMN = "transaction_price_rmb"
# Spec columns the hedonic model needs, in the order a dropped trim is attributed to a reason.
SPEC_COLUMNS = {
    "battery_kwh": "battery size unknown",
    "power_kw": "motor power unknown",
    "length_mm": "length unknown",
    "drive": "drive layout unknown",
    "lidar": "lidar fitment unknown",
}
FALLBACK_DISCOUNT = "transaction_discount_nev_pct"  # for a badge without a sourced figure
TRIMS_FILE = "vehicle_trims.csv"
SOURCE = (
    "data/vehicle_trims.csv (autocango.com trim pages via Helveston 2025, news pages); guide prices"
)


def _closest(name: str, known: Sequence[str], n: int = 5) -> list[str]:
    """Known names closest to `name`, case-insensitive (difflib)."""
    lowered = {k.lower(): k for k in known}
    matches = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)
    return [lowered[m] for m in matches]


def check_brand(trims: pd.DataFrame, brand: str, parameter: str) -> str:
    """Return `brand` if it is a brand of the trim table; otherwise KeyError naming the closest."""
    known = sorted(trims["brand"].unique())
    if brand in known:
        return brand
    close = _closest(brand, known)
    hint = f"closest: {', '.join(close)}" if close else f"known brands: {', '.join(known)}"
    raise KeyError(
        f"{parameter}={brand!r} is not a brand in {TRIMS_FILE} (names must match exactly); {hint}"
    )


def focus_badge(trims: pd.DataFrame, maker: makers.Maker) -> str:
    """The maker's own badge in the trims; MissingData when it has no trim under it."""
    badge = maker.badge
    if badge is None or not (trims["brand"] == badge).any():
        under = f"under its badge {badge!r}" if badge else "(no badge in makers.csv)"
        raise makers.MissingData(
            f"{maker.display_name} has no trims {under} in {TRIMS_FILE}; without guide prices "
            "and specs of its cars there is no brand premium to estimate"
        )
    return badge


# ---------------------------------------------------------------------------------------------
# The sample the model is fitted on


def add_model_columns(trims: pd.DataFrame) -> pd.DataFrame:
    """Trims with `lidar` (1 = at least one lidar, 0 = none, NaN = unknown) and `cluster`
    (brand + series, the unit whose trims are not independent); index reset to 0..n-1."""
    frame = trims.reset_index(drop=True).copy()
    frame["lidar"] = (
        (frame["lidar_count"] > 0).astype("float64").where(frame["lidar_count"].notna())
    )
    frame["cluster"] = frame["brand"].astype(str) + " " + frame["series"].astype(str)
    return frame


def model_sample(
    trims: pd.DataFrame,
    powertrains: Sequence[str],
    model_years: Sequence[int],
    price_column: str = PRICE_COLUMN,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trims the hedonic model can use, and why the others are left out.

    Returns (sample, excluded): `sample` holds the trims of the chosen powertrains and model years
    with a price and every spec; `excluded` counts the others by their first reason."""
    frame = trims if "cluster" in trims else add_model_columns(trims)
    reasons = pd.Series(pd.NA, index=frame.index, dtype=object)
    checks = [
        (~frame["powertrain"].isin(list(powertrains)), "powertrain not selected"),
        (~frame["model_year"].isin(list(model_years)), "model year not selected"),
        (frame[price_column].isna(), "no guide price"),
    ] + [(frame[column].isna(), reason) for column, reason in SPEC_COLUMNS.items()]
    for failed, reason in checks:
        reasons = reasons.where(reasons.notna() | ~failed, reason)
    order = [reason for _, reason in checks]
    excluded = (
        reasons.dropna()
        .value_counts()
        .reindex(order)
        .dropna()
        .astype("int64")
        .rename_axis("reason")
        .reset_index(name="trims")
    )
    return frame[reasons.isna()].reset_index(drop=True), excluded


def brand_counts(sample: pd.DataFrame) -> pd.DataFrame:
    """Trims and series per brand in a sample, most trims first."""
    return (
        sample.groupby("brand")
        .agg(trims=("cluster", "size"), series=("cluster", "nunique"))
        .sort_values("trims", ascending=False)
    )


def flagship_trims(
    trims: pd.DataFrame, series: str, trim_names: Sequence[str], drive_if_missing: str
) -> tuple[pd.DataFrame, list[str]]:
    """The trims to price, with blank drive layouts filled by `drive_if_missing` ("" = no fill).

    Returns (flagship, notes). Raises KeyError for an unknown series or trim name and ValueError
    for a trim missing a spec the model needs."""
    frame = trims if "cluster" in trims else add_model_columns(trims)
    known = sorted(frame["series"].unique())
    if series not in known:
        close = _closest(series, known)
        hint = f"closest: {', '.join(close)}" if close else "see the series column"
        raise KeyError(f"flagship_series={series!r} is not a series in {TRIMS_FILE}; {hint}")
    rows = frame[frame["series"] == series]
    if trim_names:
        names = list(rows["trim_name"])
        unknown = [t for t in trim_names if t not in names]
        if unknown:
            raise KeyError(
                f"flagship_trims: {', '.join(map(repr, unknown))} not in series {series!r}; "
                f"its trims: {', '.join(map(repr, names))}"
            )
        rows = rows.set_index("trim_name").loc[list(trim_names)].reset_index()[rows.columns]
    rows = rows.reset_index(drop=True).copy()
    # Some series list several trims under one name: number them so each priced row is distinct.
    repeat = rows.groupby("trim_name").cumcount()
    duplicated = rows["trim_name"].duplicated(keep=False)
    rows.loc[duplicated, "trim_name"] = (
        rows.loc[duplicated, "trim_name"] + " #" + (repeat[duplicated] + 1).astype(str)
    )
    notes = []
    blank_drive = rows["drive"].isna()
    if drive_if_missing and blank_drive.any():
        rows.loc[blank_drive, "drive"] = drive_if_missing
        filled = ", ".join(rows.loc[blank_drive, "trim_name"])
        notes.append(f"drive layout blank in the data for {filled}: set to {drive_if_missing!r}")
    for _, row in rows.iterrows():
        missing = [c for c in list(SPEC_COLUMNS) + ["body", "powertrain"] if pd.isna(row[c])]
        if missing:
            hint = " (set flagship_drive_if_missing to fill a blank drive layout)"
            raise BadParameter(
                f"flagship trim {row['trim_name']!r} ({row['brand']} {series}) has no value for "
                f"{', '.join(missing)}, which the model needs{hint if 'drive' in missing else ''}"
            )
    return rows, notes


def transaction_discounts(
    assumptions: pd.DataFrame, brands: Sequence[str], discount_rows: dict[str, str]
) -> pd.DataFrame:
    """Guide-to-transaction discount per brand from data/assumptions.csv, in percent.

    `discount_rows` maps a badge to its sourced row (from the maker registry); any other badge
    gets the NEV average (`transaction_discount_nev_pct`). Column `basis` says which was used."""
    rows = []
    for brand in brands:
        name = discount_rows.get(brand)
        own = name is not None and name in assumptions.index
        row = assumptions.loc[name if own else FALLBACK_DISCOUNT]
        rows.append(
            {
                "brand": brand,
                "discount_pct": float(row["value"]),
                "basis": "brand figure" if own else "NEV average (no brand figure)",
                "as_of": row["as_of"],
                "source_url": row["source_url"],
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# The inputs


@dataclass(frozen=True)
class Inputs:
    """Validated inputs of notebook 02: the sample, the brands, the flagship and its band, the
    settings of the estimates, and where each sourced default came from."""

    params: Params
    maker: makers.Maker
    focus: str  # the maker's badge
    reference: str
    reference_origin: str  # "parameter" or why this badge (the sourced default)
    comparisons: tuple[str, ...]
    trims: pd.DataFrame  # every trim, with the model columns
    sample: pd.DataFrame  # trims the model is fitted on
    excluded: pd.DataFrame  # trims left out, counted by reason
    flagship: pd.DataFrame  # trims priced under each badge (specs as used); empty: none
    flagship_notes: tuple[str, ...]
    band: tuple[float, float] | None  # target guide-price band, yuan; None: none applies
    band_origin: str  # "parameter", "sourced" (the flagship's expected band rows) or ""
    tier_edges: tuple[float, ...]  # lower edges of the guide-price tiers, yuan
    discounts: pd.DataFrame  # guide-to-transaction discount of every brand in the sample
    discount_rows: pd.DataFrame  # the sourced transaction_discount_* rows of assumptions.csv
    band_rows: pd.DataFrame  # the sourced rows of the flagship's expected band (maker's own)
    launches: pd.DataFrame = field(default_factory=pd.DataFrame)  # launch_prices()
    no_flagship: str = ""  # why no flagship is priced (the flagship question does not apply)
    brand_makers: dict[str, str] = field(default_factory=dict)  # registry badge -> maker's name

    @property
    def has_flagship(self) -> bool:
        return not self.flagship.empty

    @property
    def badges(self) -> list[str]:
        """Focus, reference and comparison badges, each once, in that order."""
        return list(dict.fromkeys([self.focus, self.reference, *self.comparisons]))


def check_lists(params: Params, trims: pd.DataFrame) -> tuple[float, ...]:
    """The list parameters against each other and the data (BadParameter naming the first that
    fails); returns the tier edges as floats."""
    bad = [p for p in params.powertrains if p not in POWERTRAINS]
    if not params.powertrains or bad:
        raise BadParameter(
            f"powertrains={list(params.powertrains)!r}; expected a non-empty list from "
            f"{', '.join(POWERTRAINS)}"
        )
    years = sorted(trims["model_year"].unique())
    if not params.model_years or any(y not in years for y in params.model_years):
        raise BadParameter(
            f"model_years={list(params.model_years)!r}; expected a non-empty list from "
            f"{', '.join(map(str, years))}"
        )
    edges = tuple(float(e) for e in params.price_tier_edges_rmb)
    if len(edges) < 2 or any(b <= a for a, b in zip(edges[:-1], edges[1:], strict=True)):
        raise BadParameter(
            f"price_tier_edges_rmb={list(params.price_tier_edges_rmb)!r}; expected at least two "
            "increasing lower edges"
        )
    return edges


def reference_badge(params: Params, sample: pd.DataFrame, trims: pd.DataFrame) -> tuple[str, str]:
    """The reference badge and its origin: the parameter, or the badge with the most trims in the
    model (the best-measured one; ties by name)."""
    if not params.is_sourced("reference_brand"):
        return check_brand(trims, params.reference_brand, "reference_brand"), "parameter"
    counts = (
        brand_counts(sample).reset_index().sort_values(["trims", "brand"], ascending=[False, True])
    )
    top = counts.iloc[0]
    return str(top["brand"]), f"the badge with the most trims in the model: {top['trims']}"


def comparison_badges(
    params: Params,
    registry: dict[str, makers.Maker],
    trims: pd.DataFrame,
    focus: str,
    reference: str,
) -> tuple[str, ...]:
    """The badges the flagship is also priced under, each once and never the maker's own: the
    parameter's (each must be a brand of the trims; the reference too if named), or every other
    registry maker's own badge present in the trims but the reference, in the registry's order."""
    if params.comparison_brands:
        for brand in params.comparison_brands:
            check_brand(trims, brand, "comparison_brands")
        named = params.comparison_brands
    else:
        present = set(trims["brand"]) - {reference}
        named = [m.badge for m in registry.values() if m.badge in present]
    return tuple(b for b in dict.fromkeys(named) if b != focus)


def check_trims_in_model(
    params: Params, trims: pd.DataFrame, sample: pd.DataFrame, named: Sequence[tuple[str, str]]
) -> None:
    """BadParameter for a brand named by the parameters that has no trim the model can use."""
    counts = brand_counts(sample)["trims"]
    for parameter, brand in named:
        if counts.get(brand, 0) == 0:
            in_data = int((trims["brand"] == brand).sum())
            raise BadParameter(
                f"{parameter}={brand!r}: too few trims for an estimate: none of its {in_data} trims "
                f"has a guide price and every spec the model needs within powertrains="
                f"{list(params.powertrains)} and model_years={list(params.model_years)}"
            )


def price_band(
    params: Params, sourced: pd.DataFrame, series: str
) -> tuple[tuple[float, float] | None, str]:
    """The target band and its origin: the parameters when both are set, else the sourced
    expected band of the flagship `series` (`sourced`: its rows), else None (no band applies)."""
    low, high = params.price_band_low_rmb, params.price_band_high_rmb
    set_low, set_high = (
        not params.is_sourced("price_band_low_rmb"),
        not params.is_sourced("price_band_high_rmb"),
    )
    if set_low != set_high:
        raise BadParameter(
            f"price band [{low}, {high}]: set both price_band_low_rmb and price_band_high_rmb, "
            "or neither (-1: the flagship's sourced band)"
        )
    if set_low:
        if not low < high:
            raise BadParameter(
                f"price band [{low:,.0f}, {high:,.0f}] yuan; expected price_band_low_rmb < "
                "price_band_high_rmb"
            )
        return (float(low), float(high)), "parameter"
    values = sourced.set_index("name")["value"]
    low_row, high_row = makers.flagship_band_rows(series) if series else ("", "")
    if low_row in values and high_row in values:
        return (float(values[low_row]), float(values[high_row])), "sourced"
    return None, ""


def check_flagship_fits(flagship: pd.DataFrame, sample: pd.DataFrame, params: Params) -> list[str]:
    """BadParameter for a flagship trim of a powertrain or body the model is not fitted on; the
    notes of trims priced as another model year."""
    for column, values in [("powertrain", params.powertrains), ("body", sample["body"].unique())]:
        outside = flagship[~flagship[column].isin(list(values))]
        if len(outside):
            raise BadParameter(
                f"flagship trim {outside['trim_name'].iloc[0]!r} has {column} "
                f"{outside[column].iloc[0]!r}, which the model is not fitted on "
                f"(fitted: {', '.join(map(str, sorted(values)))})"
            )
    notes = []
    years = params.model_years
    for _, trim in flagship.iterrows():
        year = int(trim["model_year"])
        priced = min(max(year, min(years)), max(years))
        if priced != year:
            notes.append(
                f"{trim['trim_name']}: model year {year} priced as {priced} (nearest year in the "
                "model)"
            )
    return notes


def own_series(maker: makers.Maker, trims: pd.DataFrame, series: str) -> bool:
    """Whether `series` is one of the maker's own (a series under one of its badges)."""
    return bool(((trims["series"] == series) & trims["brand"].isin(maker.trim_brands)).any())


def load(params: Params, data_dir: Path | None = None) -> Inputs:
    """Every input of notebook 02, read and checked (fast): MissingData for a maker without
    trims under its badge or whose badge is the reference; BadParameter (KeyError for unknown
    names, listing the closest) for a parameter the data contradict."""
    registry = makers.registry(data_dir)
    if params.maker not in registry:
        raise makers.UnknownMaker(makers.unknown_message(params.maker, list(registry)))
    maker = registry[params.maker]
    trims = add_model_columns(data.load_trims(data_dir))
    assumptions = data.load_assumptions(data_dir)
    focus = focus_badge(trims, maker)
    tier_edges = check_lists(params, trims)
    sample, excluded = model_sample(trims, params.powertrains, params.model_years)
    reference, reference_origin = reference_badge(params, sample, trims)
    if focus == reference:  # a report that says so (a run over every maker meets it)
        raise makers.MissingData(
            f"{maker.display_name}'s badge {focus} is the reference brand of this analysis "
            f"({reference_origin}), so its premium over itself is zero by construction; set "
            "reference_brand to another badge to measure it"
        )
    comparisons = comparison_badges(params, registry, trims, focus, reference)
    if focus not in set(sample["brand"]):  # the maker lacks the data, no parameter is wrong
        raise makers.MissingData(
            f"{maker.display_name} has {int((trims['brand'] == focus).sum())} trims under its "
            f"badge {focus!r} in {TRIMS_FILE}, none with a guide price and every spec the model "
            f"needs within powertrains={list(params.powertrains)} and model_years="
            f"{list(params.model_years)}; without them there is no brand premium to estimate"
        )
    named = [("reference_brand", reference)]
    if params.comparison_brands:
        named += [("comparison_brands", b) for b in comparisons]
    else:  # a registry badge the model cannot use is left out, not an error
        usable = set(sample["brand"])
        comparisons = tuple(b for b in comparisons if b in usable)
    check_trims_in_model(params, trims, sample, named)
    # empty: the maker's own flagship as the data name it, or none (never another maker's car)
    series = params.flagship_series or makers.flagship(maker, assumptions, trims) or ""
    # a band is sourced for the maker's own series only (never another maker's expected price)
    band_rows = _band_rows(assumptions, series if own_series(maker, trims, series) else "")
    band, band_origin = price_band(params, band_rows, series)
    flagship, notes = trims.iloc[0:0], []
    if series:
        flagship, notes = flagship_trims(
            trims, series, params.flagship_trims, params.flagship_drive_if_missing
        )
        if band is None:
            raise BadParameter(
                f"flagship_series={series!r}: the data give no expected price band for it as a "
                f"{maker.display_name} series (rows {' / '.join(makers.flagship_band_rows(series))}"
                " of assumptions.csv); set price_band_low_rmb and price_band_high_rmb"
            )
        notes += check_flagship_fits(flagship, sample, params)
    own_rows = {m.badge: m.discount_row for m in registry.values() if m.badge and m.discount_row}
    return Inputs(
        params=params,
        maker=maker,
        focus=focus,
        reference=reference,
        reference_origin=reference_origin,
        comparisons=comparisons,
        trims=trims,
        sample=sample,
        excluded=excluded,
        flagship=flagship,
        flagship_notes=tuple(notes),
        band=band,
        band_origin=band_origin,
        tier_edges=tier_edges,
        discounts=transaction_discounts(assumptions, sorted(sample["brand"].unique()), own_rows),
        discount_rows=_rows(assumptions, "transaction_discount_"),
        band_rows=band_rows if band_origin == "sourced" else band_rows.iloc[0:0],
        launches=launch_prices(assumptions, maker),
        no_flagship="" if series else makers.no_flagship(maker),
        brand_makers={b: m.display_name for m in registry.values() for b in m.trim_brands},
    )


LAUNCH_ROW = r"premium_(?P<series>[a-z0-9]+)_launch_price_(?P<edge>low|high)_rmb"


def launch_prices(assumptions: pd.DataFrame, maker: makers.Maker) -> pd.DataFrame:
    """Launch guide-price ranges of the maker's new series from the sourced
    `premium_<series>_launch_price_low_rmb` / `_high_rmb` rows of assumptions.csv whose note names
    the maker (makers.names_maker): one row per series (upper-cased, as the trims name it), with
    low_rmb, high_rmb, as_of, source_url."""
    columns = ["series", "low_rmb", "high_rmb", "as_of", "source_url"]
    own = makers.names_maker(maker, assumptions["note"])
    found = assumptions[own].index.to_series().str.extract(f"^{LAUNCH_ROW}$").dropna()
    rows = []
    for series, edges in found.groupby("series", sort=True):
        by_edge = {edge: name for name, edge in edges["edge"].items()}
        if set(by_edge) != {"low", "high"}:
            continue  # half a range is not a range
        low, high = assumptions.loc[by_edge["low"]], assumptions.loc[by_edge["high"]]
        rows.append(
            [
                series.upper(),
                float(low["value"]),
                float(high["value"]),
                str(high["as_of"]),
                str(high["source_url"]),
            ]
        )
    return pd.DataFrame(rows, columns=columns)


def _band_rows(assumptions: pd.DataFrame, series: str) -> pd.DataFrame:
    """The sourced expected price band of the flagship series (none without a flagship, or for a
    series the data give no band)."""
    names = list(makers.flagship_band_rows(series)) if series else []
    rows = assumptions[assumptions.index.isin(names)]
    return rows[["value", "unit", "as_of", "note", "source_url"]].reset_index()


def _rows(assumptions: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Sourced assumption rows whose name starts with `prefix`, for readers."""
    rows = assumptions[assumptions.index.str.startswith(prefix)]
    return rows[["value", "unit", "as_of", "note", "source_url"]].reset_index()
