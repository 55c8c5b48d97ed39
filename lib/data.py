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

import csv
import datetime as dt
import difflib
import hashlib
import io
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from lib import paths

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
DATE_PATTERN = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
PERIOD_PATTERN = r"^\d{4}(Q[1-4]|H[12]|FY|Q1-Q[234])$"
# A web address: scheme http(s), a host name, an optional port, then a path with no whitespace,
# quotes, backticks, backslashes or angle brackets (a source cell is never markup).
URL_PATTERN = (
    r"^https?://[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"(?::\d{1,5})?(?:[/?#][^\s\"'<>`\\]*)?$"
)
MAX_PROBLEMS_SHOWN = 20
# Larger files are refused before they are read: the largest file shipped (vehicle_trims.csv) is
# under 1 MB, so 50 MB is decades of growth, and a check stays within seconds and ~1 GB of memory.
MAX_FILE_BYTES = 50 * 1024 * 1024
# Earliest month a delivery row may have: every maker here is younger (founded 2014 or later), except
# BYD, whose series starts in 2022; an earlier month is a typo. The latest is the current month.
FIRST_MONTH = "2015-01"
# Deliveries of one maker in one month must be below this: BYD's best month in the data is ~510k.
DELIVERIES_CEILING = 2_000_000


class DataError(ValueError):
    """A data file is missing, unreadable or fails its schema. The message says where and why."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = Path(path)
        self.problems = problems
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        lines = [f"{self.path}: {len(problems)} problem(s)"] + [f"  - {p}" for p in shown]
        if more:
            lines.append(f"  ... and {more} more")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Field:
    """One CSV column: its parsed type, whether it may be blank, its checks and their meaning."""

    kind: str  # "str", "int", "float"
    expected: str
    checks: tuple[pa.Check, ...] = ()
    nullable: bool = False


def _text(expected: str, *checks: pa.Check, nullable: bool = False) -> Field:
    return Field("str", expected, checks, nullable)


def _int(expected: str, *checks: pa.Check, nullable: bool = False) -> Field:
    return Field("int", expected, checks, nullable)


def _float(expected: str, *checks: pa.Check, nullable: bool = False) -> Field:
    return Field("float", expected, checks, nullable)


def _one_of(values: list[str] | set[str], what: str) -> pa.Check:
    allowed = sorted(values)
    return pa.Check.isin(allowed, error=f"{what}: one of {', '.join(allowed)}")


def _between(low: float, high: float, what: str) -> pa.Check:
    return pa.Check.in_range(low, high, error=f"{what} between {low:,g} and {high:,g}")


def _matches(pattern: str, what: str) -> pa.Check:
    return pa.Check.str_matches(pattern, error=what)


def current_month() -> str:
    """This month as YYYY-MM: the latest month a delivery can have (read at each check)."""
    return dt.date.today().strftime("%Y-%m")


def _month_in_range(what: str) -> pa.Check:
    """FIRST_MONTH to the current month; a malformed month is left to the pattern check."""

    def ok(months: pd.Series) -> pd.Series:
        text = months.astype(str)
        malformed = ~text.str.match(MONTH_PATTERN)
        return malformed | ((text >= FIRST_MONTH) & (text <= current_month()))

    return pa.Check(ok, error=f"{what} from {FIRST_MONTH} to the current month")


@dataclass(frozen=True)
class Rule:
    """A check of one column that needs other columns of the row: `ok(frame)` is False on the
    rows whose `column` value is wrong; blanks are the schema's business and must pass."""

    column: str
    expected: str
    ok: Callable[[pd.DataFrame], pd.Series]


SOURCE = _text("a source URL (http:// or https://)", _matches(URL_PATTERN, "a source URL"))
NOTE = _text("free text", nullable=True)

# The same maker under its key in deliveries_monthly.csv and its name in financials_quarterly.csv
# (AITO/HIMA reports no financials of its own: Seres does, and it is not in the data).
MAKER_COMPANY = {
    "leapmotor": "Leapmotor",
    "nio": "NIO",
    "xpeng": "XPeng",
    "li_auto": "Li Auto",
    "byd": "BYD",
    "tesla_china": "Tesla",
    "xiaomi": "Xiaomi EV",
    "aito_hima": None,
}
DELIVERY_QUALITY = {"stated", "derived", "uncertain", "lower_bound"}
FINANCIAL_UNITS = {"RMB_mn", "USD_mn", "RMB", "USD", "pct", "units", "count"}
FINANCIAL_METRICS = {
    "revenue", "deliveries", "gross_margin_pct", "vehicle_margin_pct", "net_income",
    "rd_expense", "vehicle_asp", "cash", "overseas_deliveries", "vehicle_revenue",
    "gross_profit", "operating_profit", "operating_cash_flow", "selling_expense",
    "regulatory_credit_revenue", "adjusted_net_income", "vehicle_margin_ex_credits_pct",
    "capex", "admin_expense", "operating_margin_pct", "free_cash_flow", "revenue_per_vehicle",
    "domestic_sales_stores", "overseas_outlets", "sga_expense", "net_income_per_vehicle",
    "depreciation_amortization", "gross_margin_adj_rebates_pct", "accounts_payable",
    "gross_margin_ex_partnership_pct", "partnership_service_revenue", "b01_share_of_mix_pct",
    "carbon_credit_revenue", "cogs_growth_yoy_pct", "export_share_pct", "opex_ratio_sga_rd_pct",
    "adjusted_operating_profit", "vehicle_gross_profit", "segment_revenue",
}  # fmt: skip
TRIM_BODIES = {"suv", "sedan", "hatchback", "mpv", "wagon", "other"}
TRIM_POWERTRAINS = {"bev", "phev", "erev"}
TRIM_DRIVES = {"fwd", "rwd", "awd"}
TRIM_ORIGINS = {"trim_table", "news"}


@dataclass(frozen=True)
class Dataset:
    """A CSV file in `data/`: its columns in order, and checks that span several columns."""

    filename: str
    fields: dict[str, Field]
    unique: tuple[str, ...] = ()
    row_checks: tuple[pa.Check, ...] = ()
    rules: tuple[Rule, ...] = ()
    distinct_rows: bool = False  # refuse a row equal to an earlier one in every column

    def schema(self) -> pa.DataFrameSchema:
        columns = {
            name: pa.Column(nullable=f.nullable, checks=list(f.checks), required=True)
            for name, f in self.fields.items()
        }
        return pa.DataFrameSchema(
            columns,
            checks=list(self.row_checks),
            unique=list(self.unique) or None,
            strict=True,
            ordered=False,
        )


DELIVERIES = Dataset(
    "deliveries_monthly.csv",
    {
        "brand": _text(
            "a brand key in snake_case", _matches(r"^[a-z0-9_]+$", "a brand key in snake_case")
        ),
        "month": _text(
            "a month as YYYY-MM",
            _matches(MONTH_PATTERN, "a month as YYYY-MM (month 01-12)"),
            _month_in_range("a month"),
        ),
        "deliveries": _int(
            f"a non-negative whole number of vehicles below {DELIVERIES_CEILING:,}",
            pa.Check.in_range(
                0,
                DELIVERIES_CEILING,
                include_max=False,
                error=f"a non-negative whole number of vehicles below {DELIVERIES_CEILING:,} "
                "(DELIVERIES_CEILING: one maker, one month)",
            ),
        ),
        "quality": _text("a quality flag", _one_of(DELIVERY_QUALITY, "a quality flag")),
        "source_url": SOURCE,
        "note": NOTE,
    },
    unique=("brand", "month"),
)

FINANCIALS = Dataset(
    "financials_quarterly.csv",
    {
        "company": _text("a company name"),
        "period": _text(
            "a period",
            _matches(PERIOD_PATTERN, "a period like 2025Q2, 2025H1, 2025FY or 2025Q1-Q3"),
        ),
        "metric": _text("a known metric", _one_of(FINANCIAL_METRICS, "a known metric")),
        "value": _float("a finite number"),
        "unit": _text("a known unit", _one_of(FINANCIAL_UNITS, "a known unit")),
        "source_url": SOURCE,
        "note": NOTE,
    },
    unique=("company", "period", "metric", "source_url"),
    row_checks=(
        pa.Check(
            lambda df: ~df["metric"].str.endswith("_pct") | (df["unit"] == "pct"),
            error="unit 'pct' for a metric ending in _pct",
        ),
    ),
    rules=(
        Rule(
            "value",
            "a percentage from -100 to 100 for a metric ending in _pct (a margin, share or ratio)",
            lambda df: ~_percent_metric(df, growth=False) | df["value"].between(-100, 100),
        ),
        Rule(
            "value",
            "a growth rate from -100 to 1,000 for a metric ending in _growth_yoy_pct",
            lambda df: ~_percent_metric(df, growth=True) | df["value"].between(-100, 1_000),
        ),
        Rule(
            "value",
            f"from 0 to {12 * DELIVERIES_CEILING:,} (a year at the delivery ceiling) for units or count",
            lambda df: (
                ~df["unit"].isin(["units", "count"])
                | df["value"].between(0, 12 * DELIVERIES_CEILING)
            ),
        ),
    ),
)

TRIMS = Dataset(
    "vehicle_trims.csv",
    {
        "brand": _text("a brand name"),
        "manufacturer": _text("a manufacturer name", nullable=True),
        "series": _text("a series (model) name"),
        "trim_name": _text("a trim name"),
        "model_year": _int("a model year", _between(2010, 2035, "a model year")),
        "launch_month": _text(
            "a month as YYYY-MM", _matches(MONTH_PATTERN, "a month as YYYY-MM"), nullable=True
        ),
        "segment": _text("a segment label", nullable=True),
        "body": _text("a body type", _one_of(TRIM_BODIES, "a body type")),
        "seats": _float("a seat count", _between(1, 12, "a seat count"), nullable=True),
        "powertrain": _text("a powertrain", _one_of(TRIM_POWERTRAINS, "a powertrain")),
        "msrp_rmb": _float(
            "a guide price in yuan",
            _between(10_000, 10_000_000, "a guide price in yuan"),
            nullable=True,
        ),
        "battery_kwh": _float(
            "a battery size in kWh", _between(1, 300, "a battery size in kWh"), nullable=True
        ),
        "range_cltc_km": _float(
            "a CLTC range in km", _between(10, 2_000, "a CLTC range in km"), nullable=True
        ),
        "power_kw": _float(
            "a motor power in kW", _between(5, 2_000, "a motor power in kW"), nullable=True
        ),
        "length_mm": _float(
            "a length in mm", _between(2_000, 7_000, "a length in mm"), nullable=True
        ),
        "width_mm": _float("a width in mm", _between(1_000, 2_500, "a width in mm"), nullable=True),
        "height_mm": _float(
            "a height in mm", _between(1_000, 2_500, "a height in mm"), nullable=True
        ),
        "wheelbase_mm": _float(
            "a wheelbase in mm", _between(1_500, 4_500, "a wheelbase in mm"), nullable=True
        ),
        "curb_weight_kg": _float(
            "a curb weight in kg", _between(400, 5_000, "a curb weight in kg"), nullable=True
        ),
        "drive": _text("a drive layout", _one_of(TRIM_DRIVES, "a drive layout"), nullable=True),
        "lidar_count": _float("a lidar count", _between(0, 10, "a lidar count"), nullable=True),
        "v800": _float("0 or 1", pa.Check.isin([0.0, 1.0], error="0 or 1"), nullable=True),
        "adas_chip": _text("a chip name", nullable=True),
        "price_as_of": _text(
            "a date as YYYY or YYYY-MM",
            _matches(DATE_PATTERN, "a date as YYYY, YYYY-MM or YYYY-MM-DD"),
        ),
        "origin": _text("an origin", _one_of(TRIM_ORIGINS, "an origin")),
        "source_url": SOURCE,
        "note": NOTE,
    },
    distinct_rows=True,
)

ASSUMPTIONS = Dataset(
    "assumptions.csv",
    {
        "name": _text("a snake_case name", _matches(r"^[a-z0-9_]+$", "a snake_case name")),
        "value": _float("a finite number"),
        "unit": _text("a unit"),
        "source_url": SOURCE,
        "as_of": _text("a date", _matches(DATE_PATTERN, "a date as YYYY, YYYY-MM or YYYY-MM-DD")),
        "note": NOTE,
    },
    unique=("name",),
    rules=(
        Rule(
            "value",
            "a positive number for a volume (unit units, units_per_month or units_per_year, or a "
            "name ending _units) or a target (a name with 'target', unless it is a pct change)",
            lambda df: (
                ~(
                    df["unit"].isin(["units", "units_per_month", "units_per_year"])
                    | df["name"].astype(str).str.endswith("_units")
                    | (df["name"].astype(str).str.contains("target") & (df["unit"] != "pct"))
                )
                | (df["value"] > 0)
            ),
        ),
    ),
)

HOLIDAYS = Dataset(
    "chinese_new_year.csv",
    {
        "year": _int("a year", _between(1990, 2100, "a year")),
        "date": _text(
            "a date as YYYY-MM-DD", _matches(r"^\d{4}-\d{2}-\d{2}$", "a date as YYYY-MM-DD")
        ),
        "source_url": SOURCE,
    },
    unique=("year",),
)

DATASETS = (DELIVERIES, FINANCIALS, TRIMS, ASSUMPTIONS, HOLIDAYS)


def _percent_metric(frame: pd.DataFrame, growth: bool) -> pd.Series:
    """Rows whose metric is a percentage: growth rates (unbounded above) or levels."""
    metric = frame["metric"].astype(str)
    return metric.str.endswith("_pct") & (metric.str.contains("growth") == growth)


# ---------------------------------------------------------------------------------------------
# Reading and validating


def _path(dataset: Dataset, data_dir: Path | None) -> Path:
    return (Path(data_dir) if data_dir else paths.data_dir()) / dataset.filename


def _read_rows(
    path: Path, dataset: Dataset, raw: bytes | None = None
) -> tuple[pd.DataFrame, list[int]]:
    """Read a CSV (or its bytes `raw`) as text cells, with the line where each record starts."""
    raw = _read_bytes(path) if raw is None else raw
    if not raw.strip():
        raise DataError(path, ["file is empty: expected a CSV header and at least one row"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(
            path, [f"not a CSV text file (undecodable byte at position {error.start})"]
        ) from None
    if "\x00" in text:
        raise DataError(path, ["not a CSV text file (contains NUL bytes)"])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as error:
        raise DataError(path, [f"line {reader.line_num}: not valid CSV ({error})"]) from None
    header = rows[0]
    records = [row for row in rows[1:] if row]
    if sum(1 for _ in io.StringIO(text, newline="")) == len(rows):  # one line per record
        lines = [number for number, row in enumerate(rows[1:], start=2) if row]
    else:  # a quoted cell spans lines: count them record by record
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        next(reader)
        lines, line = [], reader.line_num + 1
        for record in reader:
            if record:
                lines.append(line)
            line = reader.line_num + 1
    del rows
    header = [name.strip() for name in header]
    expected = list(dataset.fields)
    problems = []
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    if missing:
        problems.append(
            f"line 1 (header): missing column(s) {', '.join(missing)}; expected columns: {', '.join(expected)}"
        )
    if extra:
        problems.append(
            f"line 1 (header): unexpected column(s) {', '.join(extra)}; expected columns: {', '.join(expected)}"
        )
    if len(set(header)) != len(header):
        problems.append("line 1 (header): duplicate column names")
    if problems:
        raise DataError(path, problems)
    for record, number in zip(records, lines, strict=True):
        if len(record) != len(header):
            problems.append(
                f"line {number}: {len(record)} fields, expected {len(header)} (check quoting of commas)"
            )
    if problems:
        raise DataError(path, problems)
    if not records:
        raise DataError(path, ["file has a header but no data rows"])
    frame = pd.DataFrame(records, columns=header)[expected]
    frame = frame.apply(lambda col: col.str.strip()).replace("", pd.NA)
    return frame, lines


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, or a DataError if it is missing, not a file, too large or unreadable."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise DataError(
            path, ["file not found (set --data-dir or EVR_DATA_DIR to use another data folder)"]
        ) from None
    except OSError as error:
        raise DataError(path, [f"cannot be read ({error.strerror})"]) from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError(path, ["is a directory; expected a CSV file"])
    if not stat.S_ISREG(info.st_mode):
        raise DataError(path, ["is not a regular file; expected a CSV file"])
    if info.st_size > MAX_FILE_BYTES:
        raise DataError(
            path,
            [
                f"file is {info.st_size / 2**20:,.1f} MB; the limit is "
                f"{MAX_FILE_BYTES / 2**20:,.0f} MB (MAX_FILE_BYTES in lib/data.py, see data/README.md)"
            ],
        )
    try:
        return path.read_bytes()
    except OSError as error:
        raise DataError(path, [f"cannot be read ({error.strerror})"]) from None


def _parse_types(
    frame: pd.DataFrame, dataset: Dataset, lines: list[int]
) -> tuple[pd.DataFrame, list[str]]:
    """Turn text cells into typed columns; every cell that does not parse is a problem."""
    problems = []
    typed = {}
    for name, field in dataset.fields.items():
        column = frame[name]
        if field.kind == "str":
            typed[name] = column.astype("str").where(column.notna(), None).astype(object)
            continue
        numbers = pd.to_numeric(column, errors="coerce")
        bad = column.notna() & numbers.isna()
        infinite = numbers.notna() & ~np.isfinite(numbers)
        if field.kind == "int":  # beyond 2**53 a float no longer holds every whole number
            bad |= numbers.notna() & ((numbers != np.round(numbers)) | (numbers.abs() >= 2**53))
        bad |= infinite
        for position in np.flatnonzero(bad.to_numpy()):
            what = "not a finite number" if infinite.iloc[position] else "not valid"
            problems.append(
                f"line {lines[position]}, column '{name}': value {column.iloc[position]!r} is {what}; expected {field.expected}"
            )
        numbers = numbers.where(~bad)
        typed[name] = numbers.astype("Int64") if field.kind == "int" else numbers.astype("float64")
    return pd.DataFrame(typed), problems


def _describe_failure(
    case: pd.Series, dataset: Dataset, frame: pd.DataFrame, lines: list[int]
) -> str:
    index = case["index"]
    line = f"line {lines[int(index)]}" if pd.notna(index) else "file"
    column = case["column"]
    check = str(case["check"])
    if check == "not_nullable":
        return (
            f"{line}, column '{column}': value is blank; expected {dataset.fields[column].expected}"
        )
    if check == "multiple_fields_uniqueness":
        key = ", ".join(f"{c}={frame.loc[index, c]}" for c in dataset.unique)
        return (
            f"{line}: duplicate row for ({key}); expected one row per ({', '.join(dataset.unique)})"
        )
    if case["schema_context"] == "DataFrameSchema":
        return f"{line}: expected {check}"
    if column in dataset.fields:
        return f"{line}, column '{column}': value {case['failure_case']!r} is not valid; expected {check}"
    return f"{line}: {check}"


def _plain(value: object) -> object:
    """A numpy scalar as the Python number it holds, so that messages show 500.0, not np.float64."""
    return value.item() if isinstance(value, np.generic) else value


def _rule_problems(frame: pd.DataFrame, dataset: Dataset, lines: list[int]) -> list[str]:
    """Rules across columns and exact duplicate rows, each named by line, column and value."""
    problems = []
    for rule in dataset.rules:
        values = frame[rule.column]
        ok = rule.ok(frame).fillna(True).astype(bool) | values.isna()
        for position in np.flatnonzero(~ok.to_numpy()):
            problems.append(
                f"line {lines[position]}, column '{rule.column}': value {_plain(values.iloc[position])!r} "
                f"is not valid; expected {rule.expected}"
            )
    if dataset.distinct_rows:
        repeated = frame.duplicated(keep="first").to_numpy()
        if repeated.any():  # the first line of each group of equal rows, by group number
            group = frame.groupby(list(frame.columns), dropna=False, sort=False).ngroup().to_numpy()
            first = pd.Series(range(len(frame))).groupby(group).min()
            for position in np.flatnonzero(repeated):
                problems.append(
                    f"line {lines[position]}: same as line {lines[first[group[position]]]} in every "
                    "column; expected each row once"
                )
    return problems


def _validate(frame: pd.DataFrame, dataset: Dataset, lines: list[int], path: Path) -> None:
    problems = _rule_problems(frame, dataset, lines)
    try:
        dataset.schema().validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        # Checks across columns are listed once per column by pandera; keep one message per row.
        row_level = cases["schema_context"].astype(str) == "DataFrameSchema"
        cases = pd.concat([cases[~row_level], cases[row_level].drop_duplicates(["check", "index"])])
        problems += [_describe_failure(case, dataset, frame, lines) for _, case in cases.iterrows()]
    if problems:
        raise DataError(path, sorted(set(problems), key=_line_order))


def _line_order(problem: str) -> tuple[int, str]:
    head = problem.split(",")[0].split(":")[0]
    return (
        int(head.split()[1]) if head.startswith("line ") and head.split()[1].isdigit() else 0,
        problem,
    )


_VALID: dict[tuple, pd.DataFrame] = {}  # validated frames by (dataset, path, content, month)
_VALID_KEPT = 10


def read_dataset(dataset: Dataset, data_dir: Path | None = None) -> pd.DataFrame:
    """Read and validate one file; raise DataError listing every problem found.

    A file whose bytes were validated before in this process is not parsed again (`check` and
    the run's plan load the same files several times); the key is a hash of its content."""
    path = _path(dataset, data_dir)
    raw = _read_bytes(path)
    key = (id(dataset), str(path), hashlib.sha256(raw).digest(), current_month())
    if key not in _VALID:
        text_frame, lines = _read_rows(path, dataset, raw)
        frame, problems = _parse_types(text_frame, dataset, lines)
        if problems:
            raise DataError(path, problems)
        _validate(frame, dataset, lines, path)
        frame.attrs["source_file"] = str(path)
        while len(_VALID) >= _VALID_KEPT:
            del _VALID[next(iter(_VALID))]  # the oldest
        _VALID[key] = frame
    return _VALID[key].copy(deep=False)  # copy-on-write: the caller's changes stay its own


# ---------------------------------------------------------------------------------------------
# Typed loaders


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


LOADERS = {
    DELIVERIES.filename: load_deliveries,
    FINANCIALS.filename: load_financials,
    TRIMS.filename: load_trims,
    ASSUMPTIONS.filename: load_assumptions,
    HOLIDAYS.filename: load_holidays,
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
    """Load every data file; raise one DataError naming every file with problems.

    Returns the number of rows per file."""
    counts, failures = {}, []
    for filename, loader in LOADERS.items():
        try:
            counts[filename] = len(loader(data_dir))
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


def read_file(path: Path | str, dataset: Dataset) -> tuple[pd.DataFrame, list[int]]:
    """Read and validate a CSV at any path with `dataset`'s schema (new rows before `lib data add`
    merges them); return the typed rows and the line where each starts."""
    path = Path(path)
    text_frame, lines = _read_rows(path, dataset)
    frame, problems = _parse_types(text_frame, dataset, lines)
    if problems:
        raise DataError(path, problems)
    _validate(frame, dataset, lines, path)
    return frame, lines


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
