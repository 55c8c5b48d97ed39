"""The maker registry (`data/makers.csv`): the one place that maps a maker's names.

A maker has one key (`leapmotor`, `li_auto`, ...), the key of its delivery series and the value of
every notebook's `maker` parameter. The registry says what that maker is called elsewhere: its
display name, its company in the financials, its badges in the trims, which sourced rows of
`assumptions.csv` hold its transaction discount, EU duty and stated target, and why its reported
annual total may differ from its monthly series. Facts the registry does not list are found here
too, from sourced rows that name the maker's own cars: its flagship (`flagship`); its overseas
ventures are rows of `data/ventures.csv`. Nothing else in `lib/` spells out a maker's names or
facts.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lib import data

MAKERS = data.MAKERS
DEFAULT = (
    "leapmotor"  # the maker every notebook opens on: the seed article's; a default, not a constant
)


class UnknownMaker(ValueError):
    """A maker key that is not in the registry; the message lists the closest known keys."""


class MissingData(Exception):  # noqa: N818 - an outcome a report states, not a failure
    """The maker lacks data this analysis needs. Raised by an analysis before it computes
    anything; the runner publishes the report saying so (what is missing, which file) instead of
    failing the run. The message is that sentence, e.g. "AITO / HIMA reports no gross margin in
    financials_quarterly.csv (Seres reports them and is not in the data)"."""


@dataclass(frozen=True)
class Maker:
    key: str
    display_name: str
    company: str | None  # in financials_quarterly.csv; None when the maker reports no financials
    trim_brands: tuple[str, ...]  # badges in vehicle_trims.csv, the maker's own badge first
    discount_row: str | None  # assumptions.csv rows; None: no maker-specific sourced figure
    eu_cvd_row: str | None
    target_row: str | None
    source_url: str
    note: str
    series_caveat: str | None = None  # why its reported annual total may differ from the series

    @property
    def badge(self) -> str | None:
        """The maker's own badge in the trims (the brand whose premium notebook 02 estimates)."""
        return self.trim_brands[0] if self.trim_brands else None


def _blank(value) -> str | None:
    return None if value is None or value != value or str(value).strip() == "" else str(value)


def registry(data_dir: Path | None = None) -> dict[str, Maker]:
    """Every maker in the registry, by key."""
    frame = data.read_dataset(MAKERS, data_dir)
    return {
        row.key: Maker(
            key=row.key,
            display_name=row.display_name,
            company=_blank(row.company),
            trim_brands=tuple(
                b.strip() for b in (_blank(row.trim_brands) or "").split("|") if b.strip()
            ),
            discount_row=_blank(row.discount_row),
            eu_cvd_row=_blank(row.eu_cvd_row),
            target_row=_blank(row.target_row),
            source_url=row.source_url,
            note=_blank(row.note) or "",
            series_caveat=_blank(row.series_caveat),
        )
        for row in frame.itertuples(index=False)
    }


def get(key: str, data_dir: Path | None = None) -> Maker:
    """The maker with this key; UnknownMaker lists the close matches and every known key."""
    known = registry(data_dir)
    if key in known:
        return known[key]
    raise UnknownMaker(unknown_message(key, list(known)))


def unknown_message(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(str(key).lower(), known, n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    return f"unknown maker {key!r}: {hint}known makers: {', '.join(sorted(known))}"


def find(name: str, data_dir: Path | None = None) -> Maker | None:
    """The maker called `name` anywhere (key, display name, company or badge), any case."""
    wanted = str(name).strip().lower()
    for maker in registry(data_dir).values():
        names = {maker.key, maker.display_name, maker.company or "", *maker.trim_brands}
        if wanted in {n.lower() for n in names if n}:
            return maker
    return None


# ---------------------------------------------------------------------------------------------
# A maker's target


def stated_target(entry: Maker, assumptions: pd.DataFrame, year: int) -> data.Assumption | None:
    """The maker's stated target for `year`: the registry's `target_row`, if it is that year's."""
    row = entry.target_row
    if not row or row not in assumptions.index or f"_{year}_" not in row:
        return None
    return data.assumption(row, assumptions)


def resolve_target(
    target_units: float,
    stated: data.Assumption | None,
    deliveries: pd.DataFrame,
    entry: Maker,
    year: int,
    financials: pd.DataFrame,
) -> tuple[float, str]:
    """The target tested and its basis: the parameter when set (not 0); else the maker's stated
    target; else, none being stated, its deliveries of the year before (does it grow at all?):
    the twelve months when all are known, else the company's reported annual total."""
    if target_units:
        return float(target_units), "parameter"
    if stated is not None:
        return stated.value, "stated"
    rows = deliveries[
        (deliveries["brand"] == entry.key) & (deliveries["month"].dt.year == year - 1)
    ]
    if len(rows) == 12:
        return float(rows["deliveries"].sum()), "last_year"
    reported = financials[
        (financials["company"] == entry.company)
        & (financials["metric"] == "deliveries")
        & ~financials["flag"].isin(data.UNUSABLE_FLAGS)
    ].drop_duplicates("period")
    by_period = reported.set_index("period")["value"]
    if f"{year - 1}FY" in by_period:
        return float(by_period[f"{year - 1}FY"]), "last_year"
    quarters = [f"{year - 1}Q{q}" for q in range(1, 5)]
    if all(q in by_period for q in quarters):
        return float(by_period[quarters].sum()), "last_year"
    raise MissingData(
        f"{entry.display_name} states no {year} target (data/makers.csv target_row), and its "
        f"{year - 1} deliveries are neither complete in {data.DELIVERIES.filename} nor reported in "
        f"{data.FINANCIALS.filename}; set target_units"
    )


# ---------------------------------------------------------------------------------------------
# Facts of one maker found in the sourced data

# The price band the press expected a series at before launch: a maker's flagship question.
FLAGSHIP_BAND_ROW = re.compile(
    r"^premium_(?P<series>[a-z0-9]+)_rumoured_price_(?P<edge>low|high)_rmb$"
)


def _slug(series: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", str(series).lower())


def flagship(entry: Maker, assumptions: pd.DataFrame, trims: pd.DataFrame) -> str | None:
    """The maker's flagship series, as vehicle_trims.csv names it: a series under one of its
    badges for which assumptions.csv holds a sourced expected price band
    (`premium_<series>_rumoured_price_low_rmb` and `_high_rmb`). None when the data name none:
    the flagship question is then not applicable to this maker (never another maker's car)."""
    own = trims.loc[trims["brand"].isin(entry.trim_brands), "series"].dropna().unique()
    by_slug = {_slug(series): str(series) for series in own}
    edges: dict[str, set[str]] = {}
    for name in assumptions.index:
        found = FLAGSHIP_BAND_ROW.match(str(name))
        if found:
            edges.setdefault(found["series"], set()).add(found["edge"])
    named = [by_slug[s] for s, e in edges.items() if s in by_slug and e == {"low", "high"}]
    return named[0] if named else None


def flagship_band_rows(series: str) -> tuple[str, str]:
    """The assumptions.csv rows of a flagship's expected price band (low, high)."""
    return (
        f"premium_{_slug(series)}_rumoured_price_low_rmb",
        f"premium_{_slug(series)}_rumoured_price_high_rmb",
    )


def no_flagship(entry: Maker) -> str:
    """Why the flagship question does not apply to a maker, in one phrase."""
    return (
        f"no flagship named in the data for {entry.display_name} (no series of its badges has a "
        "sourced expected price band, rows premium_<series>_rumoured_price_low_rmb / _high_rmb "
        "of assumptions.csv)"
    )


def names_maker(entry: Maker, text: pd.Series) -> pd.Series:
    """Whether each text (e.g. a source's note) names the maker: its display name or one of its
    badges as a whole word, any case."""
    names = sorted({entry.display_name, *entry.trim_brands}, key=len, reverse=True)
    pattern = r"(?<![A-Za-z0-9])(?:" + "|".join(re.escape(n) for n in names) + r")(?![A-Za-z0-9])"
    return text.fillna("").astype(str).str.contains(pattern, case=False, regex=True)
