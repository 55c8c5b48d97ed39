"""The data files' columns, types, ranges and rules (pandera), and the errors they raise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from lib import clock

if TYPE_CHECKING:
    import pandera.pandas as pa

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
DATE_PATTERN = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
DAY_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
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
# Earliest month a delivery row may have: every series here starts in 2015 or later (the new-energy
# era); an earlier month is a typo. The latest is the current month.
FIRST_MONTH = "2015-01"
# Deliveries of one maker in one month must be below this: the best month in the data is ~510k.
DELIVERIES_CEILING = 2_000_000
# Every date, month, period and year in the data lies in these years (the data start in 2015,
# targets and plans reach 2030): anything else is a typo.
FIRST_YEAR, LAST_YEAR = 1990, 2100
# Money in millions (RMB_mn, USD_mn, EUR_mn): at most ten trillion either way, over ten times the
# largest maker's yearly revenue (777,102 RMB mn in 2025). Money per car or per item (RMB, USD, EUR): at most ten
# million either way, the trims' guide price ceiling.
MONEY_MN_BOUND = 10_000_000
MONEY_BOUND = 10_000_000
# The allowed range of a `value` in each unit of financials_quarterly.csv and assumptions.csv:
# (low, high, what it is). A unit outside this table is refused, so every value has a range.
UNIT_RANGES = {
    "RMB_mn": (-MONEY_MN_BOUND, MONEY_MN_BOUND, "million yuan"),
    "USD_mn": (-MONEY_MN_BOUND, MONEY_MN_BOUND, "million US dollars"),
    "EUR_mn": (-MONEY_MN_BOUND, MONEY_MN_BOUND, "million euros"),
    "RMB": (-MONEY_BOUND, MONEY_BOUND, "yuan per car or item"),
    "USD": (-MONEY_BOUND, MONEY_BOUND, "US dollars per car or item"),
    "EUR": (-MONEY_BOUND, MONEY_BOUND, "euros per car or item"),
    "RMB_per_Wh": (0, 10, "yuan per watt-hour of battery (cells cost 0.3-0.9)"),
    "pct": (-100, 1_000, "a percentage: a share, rate, margin or change"),
    "units": (0, 12 * DELIVERIES_CEILING, "vehicles (a year at the delivery ceiling)"),
    "units_per_year": (0, 12 * DELIVERIES_CEILING, "vehicles a year"),
    "units_per_month": (0, DELIVERIES_CEILING, "vehicles a month"),
    "count": (0, 12 * DELIVERIES_CEILING, "a count (stores, models, countries)"),
    "month": (1, 12, "a calendar month"),
    "year": (FIRST_YEAR, LAST_YEAR, "a calendar year"),
}


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
class Check:
    """A check of a column's values (or of the rows, in `Dataset.row_checks`): a function of them
    returning True where they are valid, or one of pandera's built-in checks by name; `error` says
    what is expected. Built as a pandera Check only when a file is validated (`pandera`):
    importing pandera is a sixth of the command line's start-up, and a re-run validates nothing."""

    function: Callable | None = None
    error: str = ""
    builtin: str = ""  # a pandera.Check constructor: isin, in_range, str_matches
    arguments: tuple = ()
    options: tuple = ()  # its keyword arguments, as (name, value) pairs

    @classmethod
    def isin(cls, values: list, error: str) -> Check:
        return cls(error=error, builtin="isin", arguments=(list(values),))

    @classmethod
    def in_range(cls, low: float, high: float, error: str, include_max: bool = True) -> Check:
        options = (("include_max", include_max),)
        return cls(error=error, builtin="in_range", arguments=(low, high), options=options)

    @classmethod
    def str_matches(cls, pattern: str, error: str) -> Check:
        return cls(error=error, builtin="str_matches", arguments=(pattern,))

    def pandera(self) -> Check:
        import pandera.pandas as pa

        if self.function is not None:
            return pa.Check(self.function, error=self.error)
        build = getattr(pa.Check, self.builtin)
        return build(*self.arguments, **dict(self.options), error=self.error)


@dataclass(frozen=True)
class Field:
    """One CSV column: its parsed type, whether it may be blank, its checks and their meaning."""

    kind: str  # "str", "int", "float"
    expected: str
    checks: tuple[Check, ...] = ()
    nullable: bool = False


def _text(expected: str, *checks: Check, nullable: bool = False) -> Field:
    return Field("str", expected, checks, nullable)


def _int(expected: str, *checks: Check, nullable: bool = False) -> Field:
    return Field("int", expected, checks, nullable)


def _float(expected: str, *checks: Check, nullable: bool = False) -> Field:
    return Field("float", expected, checks, nullable)


def _one_of(values: list[str] | set[str], what: str) -> Check:
    allowed = sorted(values)
    return Check.isin(allowed, error=f"{what}: one of {', '.join(allowed)}")


def _between(low: float, high: float, what: str) -> Check:
    return Check.in_range(low, high, error=f"{what} between {low:,g} and {high:,g}")


def _matches(pattern: str, what: str) -> Check:
    return Check.str_matches(pattern, error=what)


def _real_date(what: str) -> Check:
    """A date (YYYY, YYYY-MM or YYYY-MM-DD at its start, as in a period like 2025Q2) that exists
    on the calendar, from FIRST_YEAR to LAST_YEAR; a malformed one is left to the pattern check."""

    def ok(values: pd.Series) -> pd.Series:
        parts = values.astype(str).str.extract(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?!\d)")
        numbers = parts.apply(pd.to_numeric).fillna(1).astype("int64")
        numbers.columns = ["year", "month", "day"]
        shaped = parts[0].notna() & numbers["month"].between(1, 12) & numbers["day"].between(1, 31)
        real = pd.to_datetime(numbers.where(shaped, 2000), errors="coerce").notna()
        return ~shaped | (real & numbers["year"].between(FIRST_YEAR, LAST_YEAR))

    return Check(ok, error=f"{what} that exists on the calendar, from {FIRST_YEAR} to {LAST_YEAR}")


def current_month() -> str:
    """This month as YYYY-MM: the latest month a delivery can have (read at each check; the
    clock is `lib.clock`, which tests set)."""
    return clock.today().strftime("%Y-%m")


def _month_in_range(what: str) -> Check:
    """FIRST_MONTH to the current month; a malformed month is left to the pattern check."""

    def ok(months: pd.Series) -> pd.Series:
        text = months.astype(str)
        malformed = ~text.str.match(MONTH_PATTERN)
        return malformed | ((text >= FIRST_MONTH) & (text <= current_month()))

    return Check(ok, error=f"{what} from {FIRST_MONTH} to the current month")


@dataclass(frozen=True)
class Rule:
    """A check of one column that needs other columns of the row: `ok(frame)` is False on the
    rows whose `column` value is wrong; blanks are the schema's business and must pass."""

    column: str
    expected: str
    ok: Callable[[pd.DataFrame], pd.Series]


def _unit_rules(units: set[str] | dict) -> tuple[Rule, ...]:
    """One rule per unit: the row's `value` within UNIT_RANGES for its `unit`."""
    return tuple(
        Rule(
            "value",
            f"from {low:,} to {high:,} for unit {unit} ({meaning})",
            lambda df, unit=unit, low=low, high=high: (
                (df["unit"] != unit) | df["value"].between(low, high)
            ),
        )
        for unit, (low, high, meaning) in UNIT_RANGES.items()
        if unit in units
    )


SOURCE = _text("a source URL (http:// or https://)", _matches(URL_PATTERN, "a source URL"))
NOTE = _text("free text", nullable=True)

DELIVERY_QUALITY = {"stated", "derived", "uncertain", "lower_bound"}
FINANCIAL_UNITS = {"RMB_mn", "USD_mn", "RMB", "USD", "pct", "units", "count"}
FINANCIAL_METRICS = {
    "revenue",
    "deliveries",
    "gross_margin_pct",
    "vehicle_margin_pct",
    "net_income",
    "rd_expense",
    "vehicle_asp",
    "cash",
    "overseas_deliveries",
    "vehicle_revenue",
    "gross_profit",
    "operating_profit",
    "operating_cash_flow",
    "selling_expense",
    "regulatory_credit_revenue",
    "adjusted_net_income",
    "vehicle_margin_ex_credits_pct",
    "capex",
    "admin_expense",
    "operating_margin_pct",
    "free_cash_flow",
    "revenue_per_vehicle",
    "domestic_sales_stores",
    "overseas_outlets",
    "sga_expense",
    "net_income_per_vehicle",
    "depreciation_amortization",
    "gross_margin_adj_rebates_pct",
    "accounts_payable",
    "gross_margin_ex_partnership_pct",
    "partnership_service_revenue",
    "b01_share_of_mix_pct",
    "carbon_credit_revenue",
    "cogs_growth_yoy_pct",
    "export_share_pct",
    "opex_ratio_sga_rd_pct",
    "adjusted_operating_profit",
    "vehicle_gross_profit",
    "segment_revenue",
}
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
    row_checks: tuple[Check, ...] = ()
    rules: tuple[Rule, ...] = ()
    distinct_rows: bool = False  # refuse a row equal to an earlier one in every column

    def schema(self) -> pa.DataFrameSchema:
        import pandera.pandas as pa

        columns = {
            name: pa.Column(
                nullable=f.nullable, checks=[c.pandera() for c in f.checks], required=True
            )
            for name, f in self.fields.items()
        }
        return pa.DataFrameSchema(
            columns,
            checks=[c.pandera() for c in self.row_checks],
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
            _real_date("a month"),
        ),
        "deliveries": _int(
            f"a non-negative whole number of vehicles below {DELIVERIES_CEILING:,}",
            Check.in_range(
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
            _real_date("a period of a year"),
        ),
        "metric": _text("a known metric", _one_of(FINANCIAL_METRICS, "a known metric")),
        "value": _float("a finite number"),
        "unit": _text("a known unit", _one_of(FINANCIAL_UNITS, "a known unit")),
        "source_url": SOURCE,
        "note": NOTE,
    },
    unique=("company", "period", "metric", "source_url"),
    row_checks=(
        Check(
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
        *_unit_rules(FINANCIAL_UNITS),
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
            "a month as YYYY-MM",
            _matches(MONTH_PATTERN, "a month as YYYY-MM"),
            _real_date("a month"),
            nullable=True,
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
        "v800": _float("0 or 1", Check.isin([0.0, 1.0], error="0 or 1"), nullable=True),
        "adas_chip": _text("a chip name", nullable=True),
        "price_as_of": _text(
            "a date as YYYY or YYYY-MM",
            _matches(DATE_PATTERN, "a date as YYYY, YYYY-MM or YYYY-MM-DD"),
            _real_date("a date"),
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
        "unit": _text("a known unit", _one_of(set(UNIT_RANGES), "a known unit")),
        "source_url": SOURCE,
        "as_of": _text(
            "a date",
            _matches(DATE_PATTERN, "a date as YYYY, YYYY-MM or YYYY-MM-DD"),
            _real_date("a date"),
        ),
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
        Rule(
            "value",
            "a percentage from -100 to 100 for a margin (unit pct, 'margin' or '_gm_' in the name)",
            lambda df: (
                (df["unit"] != "pct")
                | ~df["name"].astype(str).str.contains("margin|_gm_")
                | df["value"].between(-100, 100)
            ),
        ),
        *_unit_rules(UNIT_RANGES),
    ),
)


def _new_year_ok(frame: pd.DataFrame) -> pd.Series:
    """Chinese New Year falls between 21 January and 20 February; a date that does not parse is
    the column checks' business."""
    dates = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    return dates.isna() | ((dates.dt.year == frame["year"]) & dates.dt.month.isin([1, 2]))


HOLIDAYS = Dataset(
    "chinese_new_year.csv",
    {
        "year": _int("a year", _between(FIRST_YEAR, LAST_YEAR, "a year")),
        "date": _text(
            "a date as YYYY-MM-DD",
            _matches(DAY_PATTERN, "a date as YYYY-MM-DD"),
            _real_date("a date"),
        ),
        "source_url": SOURCE,
    },
    unique=("year",),
    rules=(
        Rule(
            "date",
            "a date in January or February of the row's year (Chinese New Year)",
            _new_year_ok,
        ),
    ),
)


# The maker registry: the one place a maker's names are mapped (read through lib/makers.py).
MAKERS = Dataset(
    "makers.csv",
    {
        "key": _text(
            "a maker key in snake_case", _matches(r"^[a-z0-9_]+$", "a maker key in snake_case")
        ),
        "display_name": _text("the name readers see"),
        "company": _text("a company in financials_quarterly.csv", nullable=True),
        "trim_brands": _text("badges in vehicle_trims.csv, separated by |", nullable=True),
        "discount_row": _text("an assumption name", nullable=True),
        "eu_cvd_row": _text("an assumption name", nullable=True),
        "target_row": _text("an assumption name", nullable=True),
        "quality": _text("a quality flag", _one_of(DELIVERY_QUALITY, "a quality flag")),
        "source_url": SOURCE,
        "note": NOTE,
        "series_caveat": _text(
            "why the company's reported annual total may differ from the monthly series",
            nullable=True,
        ),
    },
    unique=("key",),
)


def _percent_metric(frame: pd.DataFrame, growth: bool) -> pd.Series:
    """Rows whose metric is a percentage: growth rates (unbounded above) or levels."""
    metric = frame["metric"].astype(str)
    return metric.str.endswith("_pct") & (metric.str.contains("growth") == growth)


# Price cuts and policy steps of the price war, marked on notebook 03's charts.
PRICE_WAR_EVENTS = Dataset(
    "price_war_events.csv",
    {
        "date": _text(
            "a date as YYYY-MM-DD",
            _matches(DAY_PATTERN, "a date as YYYY-MM-DD"),
            _real_date("a date"),
        ),
        "maker": _text(
            "a maker key", _matches(r"^[a-z0-9_]+$", "a maker key in snake_case"), nullable=True
        ),
        "kind": _text("an event kind", _one_of({"price cut", "policy"}, "an event kind")),
        "event": _text("what happened, in one line"),
        "max_cut_pct": _float(
            "the largest cut stated, %", _between(0, 100, "a price cut in %"), nullable=True
        ),
        "quality": _text("a quality flag", _one_of({"stated", "approximate"}, "a quality flag")),
        "source_url": SOURCE,
        "note": NOTE,
    },
    unique=("date", "event"),
)


# How a stated target came about: the first one for the year, a later change, one reported from
# inside the company, or a goal set more than a year ahead in a multi-year plan.
TARGET_KINDS = {"initial", "revised", "internal", "long_range"}
# What a target counts, against the maker's delivery series: the same volume, a wider total (the
# group, or all vehicles where the series counts cars), one of its brands, or its sales abroad.
TARGET_SCOPES = {"series", "group", "brand", "overseas"}
TARGET_UNITS_LOW, TARGET_UNITS_HIGH = 1, UNIT_RANGES["units"][1]


def _target_units(what: str, nullable: bool = False) -> Field:
    expected = (
        f"{what}: a whole number of vehicles from {TARGET_UNITS_LOW:,} to {TARGET_UNITS_HIGH:,}"
    )
    return _int(expected, _between(TARGET_UNITS_LOW, TARGET_UNITS_HIGH, what), nullable=nullable)


# Makers' stated annual delivery targets: a record of what each said and when (data/README.md).
TARGETS = Dataset(
    "targets.csv",
    {
        "maker": _text(
            "a maker key of makers.csv", _matches(r"^[a-z0-9_]+$", "a maker key in snake_case")
        ),
        "year": _int("the target's year", _between(2015, LAST_YEAR, "a year")),
        "scope": _text("what the target counts", _one_of(TARGET_SCOPES, "a scope")),
        "kind": _text("a target kind", _one_of(TARGET_KINDS, "a target kind")),
        "target_units": _target_units("the headline target (a range's low end)"),
        "target_low_units": _target_units("a range's low end", nullable=True),
        "target_high_units": _target_units("a range's high end", nullable=True),
        "stated_on": _text(
            "the date it was stated, YYYY-MM-DD or YYYY-MM (blank: the source gives none)",
            _matches(DATE_PATTERN, "a date as YYYY-MM-DD, YYYY-MM or YYYY"),
            _real_date("a date"),
            nullable=True,
        ),
        "quality": _text("a quality flag", _one_of(DELIVERY_QUALITY, "a quality flag")),
        "source_url": SOURCE,
        "note": NOTE,
    },
    unique=("maker", "year", "scope", "kind", "stated_on"),
    rules=(
        Rule(
            "target_low_units",
            "at most target_high_units and at most target_units (a range's low end)",
            lambda df: (
                (df["target_low_units"] <= df["target_high_units"])
                & (df["target_low_units"] <= df["target_units"])
            ),
        ),
        Rule(
            "target_high_units",
            "at least target_units (a range's high end)",
            lambda df: df["target_high_units"] >= df["target_units"],
        ),
        Rule(
            "target_low_units",
            "blank, or given with target_high_units (a range has both ends)",
            lambda df: df["target_high_units"].notna(),
        ),
        Rule(
            "target_high_units",
            "blank, or given with target_low_units (a range has both ends)",
            lambda df: df["target_low_units"].notna(),
        ),
    ),
)


# ventures.csv: one row per sourced fact of a maker's overseas venture (data/README.md, ventures).
VENTURE_ROUTES = {"export", "local_assembly", "joint_venture", "own_plant"}
VENTURE_QUALITY = DELIVERY_QUALITY | {"forecast"}  # forecast: a target or a broker's projection
MONEY_MN_UNITS = ("RMB_mn", "USD_mn", "EUR_mn")
MONEY_PER_CAR_UNITS = ("RMB", "USD", "EUR")
# Each fact: (its allowed units, whether it is about one car, so `car` is required).
VENTURE_FACTS = {
    "maker_share": (("pct",), False),  # the maker's share of the venture's profit and investment
    "partner_share": (("pct",), False),  # the partner's share of the venture
    "partner_investment": (MONEY_MN_UNITS, False),  # what the partner paid in (stake or venture)
    "partner_stake": (("pct",), False),  # the partner's stake in the maker itself
    "capacity": (("units_per_year",), False),  # a plant's capacity for the venture's cars
    "start": (("yyyymm",), False),  # first month of assembly, production or sales
    "capex": (MONEY_MN_UNITS, False),  # investment in the venture's plant
    "assembly_cost": (MONEY_PER_CAR_UNITS, False),  # assembly cost per car at its plant
    "outlets": (("count",), False),  # sales and service outlets
    "countries": (("count",), False),  # countries the venture sells in
    "volume": (("units",), False),  # cars delivered or exported in `period`
    "volume_target": (("units",), False),  # a stated or forecast volume for `period`
    "list_price": (MONEY_PER_CAR_UNITS, True),  # the car's list price in the market, incl. VAT
    "china_price": (("RMB",), True),  # the same car's guide price in China
    "broker_profit": (MONEY_MN_UNITS, False),  # a broker's forecast of the maker's venture profit
    "broker_volume": (("units",), False),  # the volume that profit forecast is at
    "broker_price": (MONEY_PER_CAR_UNITS, True),  # the price a broker's car margins are at
    "broker_margin_imported": (("pct",), True),  # a broker's margin of the car imported, %
    "broker_margin_assembled": (("pct",), True),  # ... and assembled in the market, %
}
VENTURE_UNITS = {unit for units, _ in VENTURE_FACTS.values() for unit in units}
YYYYMM_RANGE = (FIRST_YEAR * 100 + 1, LAST_YEAR * 100 + 12)


def _venture_fact_rules() -> tuple[Rule, ...]:
    """A fact in one of its units, with a car when it is about one car, shares and margins
    from 0 (margins -100) to 100, a start month a real YYYYMM."""
    units = Rule(
        "unit",
        "a unit of the row's fact ("
        + "; ".join(f"{f}: {', '.join(u)}" for f, (u, _) in VENTURE_FACTS.items())
        + ")",
        lambda df: pd.Series(
            [
                u in VENTURE_FACTS.get(f, ((),))[0]
                for f, u in zip(df["fact"], df["unit"], strict=True)
            ],
            index=df.index,
        ),
    )
    car = Rule(  # on `fact`: a rule passes rows where its own column is blank
        "fact",
        "given with a car (column car) for a fact about one car ("
        + ", ".join(f for f, (_, per_car) in VENTURE_FACTS.items() if per_car)
        + ")",
        lambda df: (
            df["car"].notna()
            | ~df["fact"].map(lambda f: VENTURE_FACTS.get(f, ((), False))[1]).astype(bool)
        ),
    )
    share = Rule(
        "value",
        "from 0 to 100 for a share or stake, from -100 to 100 for a margin",
        lambda df: (
            (
                ~df["fact"].isin(["maker_share", "partner_share", "partner_stake"])
                | df["value"].between(0, 100)
            )
            & (
                ~df["fact"].astype(str).str.startswith("broker_margin")
                | df["value"].between(-100, 100)
            )
        ),
    )
    month = Rule(
        "value",
        f"a month as YYYYMM from {YYYYMM_RANGE[0]} to {YYYYMM_RANGE[1]} for unit yyyymm",
        lambda df: (
            (df["unit"] != "yyyymm")
            | (
                df["value"].between(*YYYYMM_RANGE)
                & (df["value"] % 1 == 0)
                & (df["value"] % 100).between(1, 12)
            )
        ),
    )
    same = Rule(
        "venture",
        "one country and one route for all rows of a venture id (another place or route is "
        "another venture)",
        lambda df: (
            (
                df.groupby(["maker", "venture"], dropna=False)["country"].transform(
                    lambda c: c.fillna("").nunique()
                )
                == 1
            )
            & (df.groupby(["maker", "venture"], dropna=False)["route"].transform("nunique") == 1)
        ),
    )
    return (units, car, share, month, same)


VENTURES = Dataset(
    "ventures.csv",
    {
        "maker": _text(
            "a maker key of makers.csv", _matches(r"^[a-z0-9_]+$", "a maker key in snake_case")
        ),
        "venture": _text(
            "a venture id in snake_case", _matches(r"^[a-z0-9_]+$", "a venture id in snake_case")
        ),
        "country": _text(
            "the country of the plant, or the market the cars are sold in (blank: several)",
            _matches(r"^[A-Z][A-Za-z .'-]*$", "a country or region name in English, e.g. Spain"),
            nullable=True,
        ),
        "route": _text("how the cars reach the market", _one_of(VENTURE_ROUTES, "a route")),
        "fact": _text("a venture fact", _one_of(set(VENTURE_FACTS), "a venture fact")),
        "car": _text(
            "a car key in lower case (blank: the fact is not about one car)",
            _matches(r"^[a-z0-9_]+$", "a car key in lower case, e.g. b10"),
            nullable=True,
        ),
        "value": _float("a finite number"),
        "unit": _text("a known unit", _one_of(VENTURE_UNITS, "a known unit")),
        "period": _text(
            "the year or month the fact refers to, YYYY or YYYY-MM (blank: none)",
            _matches(r"^\d{4}(-(0[1-9]|1[0-2]))?$", "a year or month as YYYY or YYYY-MM"),
            _real_date("a year or month"),
            nullable=True,
        ),
        "quality": _text("a quality flag", _one_of(VENTURE_QUALITY, "a quality flag")),
        "source_url": SOURCE,
        "note": NOTE,
    },
    unique=("maker", "venture", "fact", "car", "period", "value", "source_url"),
    rules=(*_unit_rules(VENTURE_UNITS), *_venture_fact_rules()),
)


def registry_rule(column: str, keys) -> Rule:
    """`column` holds a key of the maker registry: a check across files, built when a loader has
    read makers.csv (`data add` checks new rows against the registry itself)."""
    known = sorted(keys)
    return Rule(
        column,
        f"a maker key of makers.csv, one of {', '.join(known)} (add the maker to the registry first)",
        lambda df: df[column].isin(known),
    )


DATASETS = (
    DELIVERIES,
    FINANCIALS,
    TRIMS,
    ASSUMPTIONS,
    HOLIDAYS,
    MAKERS,
    PRICE_WAR_EVENTS,
    TARGETS,
    VENTURES,
)
