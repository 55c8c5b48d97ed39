"""The only code that reads `data/`: typed loaders, schemas and clear errors.

Each file is read in three steps, so that a bad file fails before any analysis starts and the
message points at the exact place: (1) is it a readable CSV with the expected header, (2) does
every cell parse as its type, (3) does every value pass the pandera schema (ranges, allowed
values, uniqueness). Problems name the file, the line (as a text editor counts it, header = 1),
the column, the bad value and what was expected.

Missing months in the delivery series are not errors: they are unknown, not zero, and are
reported by `delivery_gaps` so models can treat them as missing.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lib import paths
from lib.data.reading import checked_rows, forget_validated, read_bytes, read_dataset, read_file
from lib.data.schemas import (
    ASSUMPTIONS,
    DATASETS,
    DELIVERIES,
    DELIVERY_QUALITY,
    FINANCIAL_METRICS,
    FINANCIAL_UNITS,
    FINANCIALS,
    FIRST_MONTH,
    HOLIDAYS,
    MAKERS,
    MAX_FILE_BYTES,
    NOTE,
    PRICE_WAR_EVENTS,
    SOURCE,
    TARGET_KINDS,
    TARGET_SCOPES,
    TARGETS,
    TRIMS,
    UNIT_RANGES,
    URL_PATTERN,
    VENTURE_FACTS,
    VENTURE_ROUTES,
    VENTURES,
    DataError,
    Dataset,
    Field,
    registry_rule,
)

# Names other modules read from `lib.data` (the schemas and the reader live in its submodules).
__all__ = [
    "ASSUMPTIONS",
    "DATASETS",
    "DELIVERIES",
    "DELIVERY_QUALITY",
    "FINANCIAL_METRICS",
    "FINANCIAL_UNITS",
    "FINANCIALS",
    "FIRST_MONTH",
    "HOLIDAYS",
    "MAKERS",
    "MAX_FILE_BYTES",
    "NOTE",
    "PRICE_WAR_EVENTS",
    "SOURCE",
    "TARGET_KINDS",
    "TARGET_SCOPES",
    "TARGETS",
    "TRIMS",
    "UNIT_RANGES",
    "URL_PATTERN",
    "VENTURE_FACTS",
    "VENTURE_ROUTES",
    "VENTURES",
    "DataError",
    "Dataset",
    "Field",
    "read_bytes",
    "forget_validated",
    "read_dataset",
    "read_file",
    "registry_rule",
]


def load_deliveries(data_dir: Path | None = None) -> pd.DataFrame:
    """Monthly deliveries: brand, month (Period[M]), deliveries (vehicles), quality, source_url, note."""
    frame = read_dataset(DELIVERIES, data_dir)
    # Through datetime: PeriodIndex parses each string on its own, 40 times slower.
    frame["month"] = pd.to_datetime(frame["month"], format="%Y-%m").dt.to_period("M")
    frame["deliveries"] = frame["deliveries"].astype("int64")
    return frame.sort_values(["brand", "month"], ignore_index=True)


def _financial_flag(note: object) -> str:
    """How far a financial row can be trusted, from its note (see data/README.md)."""
    text = str(note or "")
    upper = text.upper()
    if "UNVERIFIED" in upper:
        return "unverified"
    if "UNCERTAIN" in upper:
        return "uncertain"
    if "FORECAST" in upper:
        return "forecast"
    if "DERIVED" in upper or text.lower().startswith("derived"):
        return "derived"
    if "estimate" in text.lower() or "approx" in text.lower() or "broker" in text.lower():
        return "estimate"
    return "stated"


# The flags above from most to least trusted; the last three never drive a number.
FLAG_ORDER = ("stated", "derived", "estimate", "uncertain", "unverified", "forecast")
UNUSABLE_FLAGS = frozenset(FLAG_ORDER[3:])


def _period_end(period: str) -> pd.Period:
    year, rest = int(period[:4]), period[4:]
    month = {"Q1": 3, "Q2": 6, "Q3": 9, "Q4": 12, "H1": 6, "H2": 12, "FY": 12}.get(rest)
    if month is None:  # cumulative like Q1-Q3
        month = 3 * int(rest[-1])
    return pd.Period(year=year, month=month, freq="M")


def _period_kind(period: str) -> str:
    rest = period[4:]
    if "-" in rest:
        return "cumulative"
    return {"Q": "quarter", "H": "half", "F": "year"}[rest[0]]


def load_financials(data_dir: Path | None = None) -> pd.DataFrame:
    """Financial facts, long format, plus `flag` (stated / derived / estimate / uncertain /
    unverified / forecast), `period_kind` (quarter / half / year / cumulative) and `period_end`."""
    frame = read_dataset(FINANCIALS, data_dir)
    frame["flag"] = frame["note"].map(_financial_flag)
    frame["period_kind"] = frame["period"].map(_period_kind)
    frame["period_end"] = pd.PeriodIndex(frame["period"].map(_period_end), freq="M")
    return frame


def load_trims(data_dir: Path | None = None) -> pd.DataFrame:
    """One row per vehicle trim with guide price and specs (units in the column names)."""
    frame = read_dataset(TRIMS, data_dir)
    frame["model_year"] = frame["model_year"].astype("int64")
    return frame


def load_assumptions(data_dir: Path | None = None) -> pd.DataFrame:
    """Sourced scalar facts used as parameter defaults, indexed by name."""
    frame = read_dataset(ASSUMPTIONS, data_dir)
    frame["flag"] = frame["note"].map(_financial_flag)
    return frame.set_index("name")


@dataclass(frozen=True)
class Assumption:
    name: str
    value: float
    unit: str
    source_url: str
    as_of: str
    note: str


def assumption(name: str, table: pd.DataFrame | None = None) -> Assumption:
    """One sourced assumption by name; an unknown name lists the closest known ones."""
    table = load_assumptions() if table is None else table
    if name not in table.index:
        close = difflib.get_close_matches(name, list(table.index), n=5, cutoff=0.4)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise KeyError(f"no assumption named {name!r} in {ASSUMPTIONS.filename}{hint}")
    row = table.loc[name]
    return Assumption(
        name, float(row["value"]), row["unit"], row["source_url"], row["as_of"], row["note"] or ""
    )


def load_holidays(data_dir: Path | None = None) -> pd.DataFrame:
    """Chinese New Year dates: year, date (Timestamp), source_url."""
    frame = read_dataset(HOLIDAYS, data_dir)
    frame["year"] = frame["year"].astype("int64")
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    return frame


def load_price_war_events(data_dir: Path | None = None) -> pd.DataFrame:
    """Price-war events by date (Timestamp): maker key (blank: industry), kind, event,
    max_cut_pct, quality (stated, or approximate when the source gives only the month)."""
    frame = read_dataset(PRICE_WAR_EVENTS, data_dir)
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    return frame.sort_values("date", kind="mergesort", ignore_index=True)


REGISTRY_CHECKED = (TARGETS, VENTURES)  # files whose `maker` must be a key of makers.csv


def _with_registry(dataset: Dataset, data_dir: Path | None) -> Dataset:
    """`dataset` with its `maker` column checked against the maker registry (makers.csv)."""
    keys = read_dataset(MAKERS, data_dir)["key"]
    return dataclasses.replace(dataset, rules=dataset.rules + (registry_rule("maker", keys),))


def load_targets(data_dir: Path | None = None) -> pd.DataFrame:
    """Makers' stated annual delivery targets (data/README.md, targets.csv): maker (a registry
    key), year, scope, kind, target_units (a range's low end), target_low_units and
    target_high_units (a range's ends, else <NA>), stated_on (text: YYYY-MM-DD, YYYY-MM or blank),
    quality, source_url, note; sorted by maker, year and date stated (blank last)."""
    frame = read_dataset(_with_registry(TARGETS, data_dir), data_dir)
    frame["year"] = frame["year"].astype("int64")
    frame["target_units"] = frame["target_units"].astype("int64")
    return frame.sort_values(
        ["maker", "year", "stated_on"], na_position="last", kind="mergesort", ignore_index=True
    )


def load_ventures(data_dir: Path | None = None) -> pd.DataFrame:
    """Sourced facts of makers' overseas ventures (data/README.md, ventures.csv), long format:
    maker (a registry key), venture, country, route, fact, car (<NA>: not about one car), value,
    unit, period (YYYY or YYYY-MM, <NA>: none), quality, source_url, note; in file order (the
    first row of a fact is the one a model uses, later rows are other reports of it)."""
    frame = read_dataset(_with_registry(VENTURES, data_dir), data_dir)
    return frame.reset_index(drop=True)


LOADERS = {
    DELIVERIES.filename: load_deliveries,
    FINANCIALS.filename: load_financials,
    TRIMS.filename: load_trims,
    ASSUMPTIONS.filename: load_assumptions,
    HOLIDAYS.filename: load_holidays,
    PRICE_WAR_EVENTS.filename: load_price_war_events,
    MAKERS.filename: lambda data_dir=None: read_dataset(MAKERS, data_dir),
    TARGETS.filename: load_targets,
    VENTURES.filename: load_ventures,
}


# ---------------------------------------------------------------------------------------------
# Helpers over the loaded data


def brands(deliveries: pd.DataFrame) -> list[str]:
    return sorted(deliveries["brand"].unique())


def check_brand(deliveries: pd.DataFrame, brand: str) -> str:
    """Return `brand` if it is in the data; otherwise raise listing the known brands."""
    known = brands(deliveries)
    if brand not in known:
        raise ValueError(f"unknown maker {brand!r}; known makers: {', '.join(known)}")
    return brand


def monthly_series(deliveries: pd.DataFrame, brand: str) -> pd.Series:
    """Deliveries of one brand on a complete monthly PeriodIndex; unknown months are NaN."""
    rows = deliveries[deliveries["brand"] == check_brand(deliveries, brand)]
    series = rows.set_index("month")["deliveries"].astype("float64").sort_index()
    full = pd.period_range(series.index.min(), series.index.max(), freq="M")
    return series.reindex(full).rename(brand).rename_axis("month")


def delivery_gaps(deliveries: pd.DataFrame) -> pd.DataFrame:
    """Runs of missing months inside each brand's series: brand, first, last, months.

    One sort and one pass over all rows (no per-brand scan), so it stays linear in the rows."""
    rows = deliveries[["brand", "month"]].sort_values(["brand", "month"], ignore_index=True)
    ordinal = rows["month"].dt.year.to_numpy() * 12 + rows["month"].dt.month.to_numpy()
    brand = rows["brand"].to_numpy()
    same_brand = brand[1:] == brand[:-1]
    step = ordinal[1:] - ordinal[:-1]
    after = np.flatnonzero(same_brand & (step > 1))  # a gap between row i and row i + 1
    first = rows["month"].iloc[after] + 1
    return pd.DataFrame(
        {
            "brand": brand[after],
            "first": first.to_numpy(),
            "last": (rows["month"].iloc[after + 1] - 1).to_numpy(),
            "months": (step[after] - 1).astype("int64"),
        },
        columns=["brand", "first", "last", "months"],
    )


def data_as_of(deliveries: pd.DataFrame) -> str:
    """Latest month with a delivery figure, as YYYY-MM."""
    return str(deliveries["month"].max())


def validate_all(data_dir: Path | None = None) -> dict[str, int]:
    """Check every data file (`LOADERS`); raise one DataError naming every file with problems.

    Returns the number of rows per file. A file whose bytes passed the same checks before, in
    any process using the cache, is not read again (`checked_rows`)."""
    counts, failures = {}, []
    by_file = {dataset.filename: dataset for dataset in DATASETS}
    for filename in LOADERS:
        try:
            dataset = by_file[filename]
            if dataset in REGISTRY_CHECKED:
                dataset = _with_registry(dataset, data_dir)
            counts[filename] = checked_rows(dataset, data_dir)
        except DataError as error:
            failures.append(error)
    if failures:
        directory = Path(data_dir) if data_dir else paths.data_dir()
        raise DataError(directory, [str(error) for error in failures])
    return counts


def file_hashes(data_dir: Path | None = None) -> dict[str, str]:
    """SHA-256 of each data file the loaders read (for the run manifest and re-run checks)."""
    directory = Path(data_dir) if data_dir else paths.data_dir()
    return {
        name: hashlib.sha256((directory / name).read_bytes()).hexdigest()
        for name in LOADERS
        if (directory / name).exists()
    }


STALE_AFTER_MONTHS = 2  # a maker this many months behind the newest month in the file is stale


def freshness(deliveries: pd.DataFrame) -> pd.DataFrame:
    """Each maker's latest month against the newest month in the file: brand, latest,
    months_behind, missing (the months after its latest, up to the newest, as YYYY-MM) and
    stale (months_behind >= STALE_AFTER_MONTHS)."""
    latest = deliveries.groupby("brand")["month"].max()
    newest = latest.max()
    behind = [(newest - month).n for month in latest]
    return pd.DataFrame(
        {
            "brand": latest.index,
            "latest": latest.astype(str).to_numpy(),
            "months_behind": behind,
            "missing": [
                [str(m) for m in pd.period_range(month + 1, newest, freq="M")] for month in latest
            ],
            "stale": [n >= STALE_AFTER_MONTHS for n in behind],
        }
    ).reset_index(drop=True)
