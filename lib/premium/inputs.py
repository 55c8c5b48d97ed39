"""The inputs of a brand-premium study, checked before anything is computed.

`load_study` resolves the maker (its badge in `vehicle_trims.csv` is the focus brand), reads the
trims and assumptions, checks every parameter against them and returns a `Study`. A maker with no
trim under its badge raises `lib.makers.MissingData`; a bad parameter raises KeyError (unknown
names, listing the closest) or ValueError naming the parameter and what was expected.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lib import data, makers
from lib.errors import BadParameter

POWERTRAINS = ("bev", "erev", "phev")
DRIVES = ("fwd", "rwd", "awd")
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
    if drive_if_missing and drive_if_missing not in DRIVES:
        raise BadParameter(
            f"flagship_drive_if_missing={drive_if_missing!r}; expected one of "
            f"{', '.join(DRIVES)} or '' (no fill)"
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


def check_settings(
    prediction_level: float, confidence_level: float, n_draws: int, seed: int
) -> None:
    """ValueError naming the first setting outside its allowed range."""
    for name, value in [
        ("prediction_level", prediction_level),
        ("confidence_level", confidence_level),
    ]:
        if not 0.5 <= value < 1:
            raise BadParameter(
                f"{name}={value!r}; expected a coverage in [0.5, 1), e.g. 0.8 or 0.95"
            )
    if n_draws < 100:
        raise BadParameter(f"n_draws={n_draws!r}; expected at least 100 Monte Carlo draws")
    if seed < 0:
        raise BadParameter(f"seed={seed!r}; expected a non-negative integer")


def check_tier_edges(edges: Sequence[float]) -> tuple[float, ...]:
    """Tier lower edges as floats; ValueError unless they start at >= 0 and strictly increase."""
    values = tuple(float(e) for e in edges)
    if (
        len(values) < 2
        or values[0] < 0
        or any(b <= a for a, b in zip(values[:-1], values[1:], strict=True))
    ):
        raise BadParameter(
            f"price_tier_edges_rmb={list(edges)!r}; expected at least two increasing lower edges >= 0"
        )
    return values


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
# The study


@dataclass(frozen=True)
class Study:
    """Validated inputs of a brand-premium study: the sample, the brands, the flagship and the
    settings of the estimates."""

    maker: makers.Maker
    focus: str  # the maker's badge
    reference: str
    comparisons: tuple[str, ...]
    trims: pd.DataFrame  # every trim, with the model columns
    sample: pd.DataFrame  # trims the model is fitted on
    excluded: pd.DataFrame  # trims left out, counted by reason
    flagship: pd.DataFrame  # trims priced under each badge (specs as used); empty: none
    flagship_notes: tuple[str, ...]
    drive_if_missing: str
    band: tuple[float, float]  # target guide-price band, yuan
    min_brand_trims: int
    tier_edges: tuple[float, ...]  # lower edges of the guide-price tiers, yuan
    prediction_level: float
    confidence_level: float
    n_draws: int
    seed: int
    discounts: pd.DataFrame  # guide-to-transaction discount of every brand in the sample
    discount_rows: pd.DataFrame  # the sourced transaction_discount_* rows of assumptions.csv
    band_rows: pd.DataFrame  # the sourced premium_* rows of assumptions.csv (the band's default)
    launches: pd.DataFrame = field(
        default_factory=pd.DataFrame
    )  # launch_prices(): sourced launch guide prices
    no_flagship: str = ""  # why no flagship is priced (the flagship question does not apply)

    @property
    def has_flagship(self) -> bool:
        return not self.flagship.empty

    @property
    def badges(self) -> list[str]:
        """Focus, reference and comparison badges, each once, in that order."""
        return list(dict.fromkeys([self.focus, self.reference, *self.comparisons]))


def prepare_study(
    trims: pd.DataFrame,
    maker: makers.Maker,
    *,
    reference_brand: str,
    comparison_brands: Sequence[str],
    powertrains: Sequence[str],
    model_years: Sequence[int],
    price_band_rmb: tuple[float, float],
    flagship_series: str,
    flagship_trim_names: Sequence[str],
    flagship_drive_if_missing: str,
    min_brand_trims: int,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str], tuple[str, ...]]:
    """Check the brands, sample and flagship parameters against the trims.

    Returns (sample, excluded, flagship, notes, comparisons). Raises MissingData for a maker
    without trims, KeyError for unknown brands, series or trims (listing the closest names) and
    ValueError for other bad values, for a named brand with no trim the model can use, and for
    a flagship trim missing a spec."""
    frame = add_model_columns(trims)
    focus = focus_badge(frame, maker)
    check_brand(frame, reference_brand, "reference_brand")
    if focus == reference_brand:  # a report that says so (a run over every maker meets it)
        raise makers.MissingData(
            f"{maker.display_name}'s badge {focus} is the reference brand of this analysis, so its "
            "premium over itself is zero by construction; set reference_brand to another badge "
            "to measure it"
        )
    for brand in comparison_brands:
        check_brand(frame, brand, "comparison_brands")
    comparisons = tuple(b for b in dict.fromkeys(comparison_brands) if b != focus)
    bad = [p for p in powertrains if p not in POWERTRAINS]
    if not powertrains or bad:
        raise BadParameter(
            f"powertrains={list(powertrains)!r}; expected a non-empty list from {', '.join(POWERTRAINS)}"
        )
    years = sorted(frame["model_year"].unique())
    if not model_years or any(y not in years for y in model_years):
        raise BadParameter(
            f"model_years={list(model_years)!r}; expected a non-empty list from {', '.join(map(str, years))}"
        )
    low, high = price_band_rmb
    if not 0 < low < high:
        raise BadParameter(
            f"price band [{low:,.0f}, {high:,.0f}] yuan; expected 0 < price_band_low_rmb < price_band_high_rmb"
        )
    if min_brand_trims < 1:
        raise BadParameter(f"min_brand_trims={min_brand_trims}; expected at least 1")
    sample, excluded = model_sample(frame, powertrains, model_years)
    counts = brand_counts(sample)["trims"]
    named = [("maker", focus), ("reference_brand", reference_brand)]
    for parameter, brand in named + [("comparison_brands", b) for b in comparisons]:
        if counts.get(brand, 0) == 0:
            in_data = int((frame["brand"] == brand).sum())
            raise BadParameter(
                f"{parameter}={brand!r}: too few trims for an estimate: none of its {in_data} trims "
                f"has a guide price and every spec the model needs within powertrains="
                f"{list(powertrains)} and model_years={list(model_years)}"
            )
    if not flagship_series:  # no flagship named: nothing to price
        return sample, excluded, frame.iloc[0:0], [], comparisons
    flagship, notes = flagship_trims(
        frame, flagship_series, flagship_trim_names, flagship_drive_if_missing
    )
    for column, values in [("powertrain", powertrains), ("body", sample["body"].unique())]:
        outside = flagship[~flagship[column].isin(list(values))]
        if len(outside):
            raise BadParameter(
                f"flagship trim {outside['trim_name'].iloc[0]!r} has {column} "
                f"{outside[column].iloc[0]!r}, which the model is not fitted on "
                f"(fitted: {', '.join(map(str, sorted(values)))})"
            )
    for _, trim in flagship.iterrows():
        year = int(trim["model_year"])
        priced = min(max(year, min(model_years)), max(model_years))
        if priced != year:
            notes.append(
                f"{trim['trim_name']}: model year {year} priced as {priced} (nearest year in the model)"
            )
    return sample, excluded, flagship, notes, comparisons


def load_study(
    maker: str,
    *,
    reference_brand: str,
    comparison_brands: Sequence[str],
    powertrains: Sequence[str],
    model_years: Sequence[int],
    price_band_low_rmb: float,
    price_band_high_rmb: float,
    flagship_series: str,
    flagship_trims: Sequence[str],
    flagship_drive_if_missing: str,
    min_brand_trims: int,
    price_tier_edges_rmb: Sequence[float],
    prediction_level: float,
    confidence_level: float,
    n_draws: int,
    seed: int,
    data_dir: Path | None = None,
) -> Study:
    """Every input of notebook 02, checked (fast): the notebook's parameters by name."""
    check_settings(prediction_level, confidence_level, n_draws, seed)
    tier_edges = check_tier_edges(price_tier_edges_rmb)
    registry = makers.registry(data_dir)
    if maker not in registry:
        raise makers.UnknownMaker(makers.unknown_message(maker, list(registry)))
    found = registry[maker]
    trims = add_model_columns(data.load_trims(data_dir))
    assumptions = data.load_assumptions(data_dir)
    band = (float(price_band_low_rmb), float(price_band_high_rmb))
    # empty: the maker's own flagship as the data name it, or none (never another maker's car)
    series = flagship_series or makers.flagship(found, assumptions, trims) or ""
    sample, excluded, flagship, notes, comparisons = prepare_study(
        trims,
        found,
        reference_brand=reference_brand,
        comparison_brands=comparison_brands,
        powertrains=powertrains,
        model_years=model_years,
        price_band_rmb=band,
        flagship_series=series,
        flagship_trim_names=flagship_trims,
        flagship_drive_if_missing=flagship_drive_if_missing,
        min_brand_trims=min_brand_trims,
    )
    own_rows = {m.badge: m.discount_row for m in registry.values() if m.badge and m.discount_row}
    brands = sorted(sample["brand"].unique())
    return Study(
        maker=found,
        focus=found.badge,
        reference=reference_brand,
        comparisons=comparisons,
        trims=trims,
        sample=sample,
        excluded=excluded,
        flagship=flagship,
        flagship_notes=tuple(notes),
        drive_if_missing=flagship_drive_if_missing,
        band=band,
        min_brand_trims=int(min_brand_trims),
        tier_edges=tier_edges,
        prediction_level=float(prediction_level),
        confidence_level=float(confidence_level),
        n_draws=int(n_draws),
        seed=int(seed),
        discounts=transaction_discounts(assumptions, brands, own_rows),
        discount_rows=_rows(assumptions, "transaction_discount_"),
        band_rows=_band_rows(assumptions, series),
        launches=launch_prices(assumptions, found),
        no_flagship="" if series else makers.no_flagship(found),
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
