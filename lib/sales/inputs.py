"""Inputs of the sales analysis: the notebook's parameters checked, the data loaded, the maker's
series cut at the data cutoff, and the arithmetic a target implies before any model runs.

Units: deliveries are vehicles per month, annual totals vehicles per calendar year, growth in
percent. Months are `pd.Period` with monthly frequency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lib import data, makers, paths, runs
from lib.errors import BadParameter
from lib.sales.params import Params

MAX_HORIZON_MONTHS = 36  # the models are tested on 12-month-ahead totals; three years is the limit


class InsufficientHistory(ValueError):
    """A model cannot run on this maker's history; the message says how much it needs."""


@dataclass(frozen=True)
class Settings:
    """The parameters as the analysis uses them, the sourced ones resolved: maker key, target
    (vehicles), target year, data cutoff, simulated paths and the model choices."""

    maker: str
    target_units: float
    target_year: int
    cutoff: pd.Period
    n_paths: int
    seed: int
    backtest_paths: int = 1000
    comparison_paths: int = 1000
    curve_window_months: int = 24
    weighting: str = "inverse_error"


def resolve_data_through(deliveries: pd.DataFrame, data_through: str) -> pd.Period:
    """The cutoff month: `data_through` as YYYY-MM, or the latest month in the data when empty."""
    latest = deliveries["month"].max()
    earliest = deliveries["month"].min()
    text = str(data_through).strip()
    if text == "":
        return latest
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise BadParameter(
            f"data_through must be a month as YYYY-MM, or empty for the latest month in the data "
            f"({latest}); got {data_through!r}"
        )
    month = pd.Period(text, freq="M")
    if month > latest:
        raise BadParameter(
            f"data_through {month} is after the latest month in the data ({latest}); "
            f"use an earlier month or leave it empty"
        )
    if month < earliest:
        raise BadParameter(
            f"data_through {month} is before the first month in the data ({earliest}); "
            f"expected a month from {earliest} to {latest}"
        )
    return month


def default_target_year(cutoff: pd.Period) -> int:
    """The first calendar year that the data up to `cutoff` do not hold in full."""
    return cutoff.year + 1 if cutoff.month == 12 else cutoff.year


def last_complete_year(cutoff: pd.Period) -> int:
    """The latest calendar year whose December is at or before `cutoff`."""
    return cutoff.year if cutoff.month == 12 else cutoff.year - 1


def is_complete(year: int, cutoff: pd.Period) -> bool:
    """True when the data up to `cutoff` reach the end of `year`."""
    return year <= last_complete_year(cutoff)


def check_target_year(target_year: int, maker: str, first: pd.Period, cutoff: pd.Period) -> None:
    """A target year from the maker's first month of data to MAX_HORIZON_MONTHS after the cutoff."""
    if target_year < first.year:
        raise BadParameter(
            f"target_year {target_year} is before the data: {maker} deliveries start in {first}"
        )
    horizon = (pd.Period(f"{target_year}-12", freq="M") - cutoff).n
    if horizon > MAX_HORIZON_MONTHS:
        last_year = (cutoff + MAX_HORIZON_MONTHS - 11).year
        raise BadParameter(
            f"target_year {target_year} is {horizon} months after the data cutoff {cutoff}; "
            f"the models are meant for at most {MAX_HORIZON_MONTHS} months (target_year up to {last_year})"
        )


# ---------------------------------------------------------------------------------------------
# The analysis' inputs


@dataclass(frozen=True)
class Inputs:
    """Everything the analysis reads, checked: the maker (registry entry), the parameters, the
    data files and the maker's monthly series up to the cutoff (NaN for unknown months)."""

    maker: makers.Maker
    settings: Settings
    deliveries: pd.DataFrame
    holidays: pd.DataFrame
    financials: pd.DataFrame
    assumptions: pd.DataFrame
    series: pd.Series
    registry: dict[str, makers.Maker]
    stated_target: data.Assumption | None  # the maker's sourced target for the year, if any
    internal_target: data.Assumption | None
    # parameter | stated (the registry's row) | last_year (none stated)
    target_basis: str = "parameter"
    targets: pd.DataFrame | None = None  # targets.csv: every stated target on record
    target_scope: str = ""  # what the target counts (`target_scope`); "" when not on record
    earlier: tuple = ()  # finished runs in the reports folder (`lib.runs.finished`): their calls

    @property
    def name(self) -> str:
        """The maker's name for readers."""
        return self.maker.display_name

    @property
    def target_is_stated(self) -> bool:
        """True when `target_units` is the maker's own sourced target for the year."""
        target = self.stated_target
        return target is not None and target.value == self.settings.target_units

    def display_name(self, key: str) -> str:
        """Any maker's name for readers (its key when the registry does not know it)."""
        return self.registry[key].display_name if key in self.registry else key


def load(params: Params, data_dir: Path | None = None) -> Inputs:
    """The maker from the registry, the data, and the parameters resolved against them: the
    cutoff (`data_through` "" is the latest month), the target year (-1: the first year the data
    do not hold in full) and the target (-1: the maker's stated target, else last year's total).

    Raises `makers.UnknownMaker` for a key not in the registry, `makers.MissingData` when the
    maker has no monthly deliveries or no target can be found, and `BadParameter` for a value
    the data rule out (a cutoff outside the data, a year before them or too far after)."""
    entry = makers.get(params.maker, data_dir)
    deliveries = data.load_deliveries(data_dir)
    if entry.key not in data.brands(deliveries):
        raise makers.MissingData(
            f"{entry.display_name} has no monthly deliveries in {data.DELIVERIES.filename}; "
            f"without a delivery history there is nothing to forecast"
        )
    assumptions, financials = data.load_assumptions(data_dir), data.load_financials(data_dir)
    cutoff = resolve_data_through(deliveries, params.data_through)
    first = deliveries.loc[deliveries["brand"] == entry.key, "month"].min()
    if first > cutoff:
        raise BadParameter(
            f"maker {entry.key!r} has no deliveries up to data_through {cutoff}: its data start "
            f"in {first}"
        )
    year = default_target_year(cutoff) if params.is_sourced("target_year") else params.target_year
    check_target_year(year, entry.key, first, cutoff)  # before its target is looked up
    targets = data.load_targets(data_dir)
    stated = stated_target(entry, assumptions, year, targets, cutoff)
    asked = 0 if params.is_sourced("target_units") else params.target_units  # 0: resolve it
    target_units, basis = makers.resolve_target(asked, stated, deliveries, entry, year, financials)
    settings = Settings(
        entry.key,
        float(target_units),
        int(year),
        cutoff,
        params.n_paths,
        params.seed,
        params.backtest_paths,
        params.comparison_paths,
        params.curve_window_months,
        params.weighting,
    )
    series = data.monthly_series(deliveries, entry.key)
    return Inputs(
        maker=entry,
        settings=settings,
        deliveries=deliveries,
        holidays=data.load_holidays(data_dir),
        financials=financials,
        assumptions=assumptions,
        series=series[series.index <= cutoff],
        registry=makers.registry(data_dir),
        stated_target=stated,
        internal_target=sourced_target(assumptions, entry.key, year, "internal"),
        target_basis=basis,
        targets=targets,
        target_scope=target_scope(targets, entry.key, year, target_units),
        earlier=tuple(runs.finished(paths.reports_dir())),
    )


def target_scope(targets: pd.DataFrame | None, maker: str, year: int, units: float) -> str:
    """What the target counts, from the targets table: "series" (the maker's own monthly series),
    "group", "brand" or "overseas"; "" when the table has no target of that size for the year."""
    if targets is None:
        return ""
    rows = targets[(targets["maker"] == maker) & (targets["year"] == year)]
    same = rows[(rows["target_units"] == units) | (rows["target_low_units"] == units)]
    return str(same["scope"].iloc[0]) if len(same) else ""


def stated_target(
    entry: makers.Maker,
    assumptions: pd.DataFrame,
    year: int,
    targets: pd.DataFrame | None = None,
    cutoff: pd.Period | None = None,
) -> data.Assumption | None:
    """The maker's sourced target for `year`: the registry's row, else `sourced_target`'s, else
    (given the targets table) the latest it stated for its own series by `cutoff`."""
    return (
        makers.stated_target(entry, assumptions, year)
        or sourced_target(assumptions, entry.key, year)
        or latest_stated(targets, entry.key, year, cutoff)
    )


def series_targets(
    targets: pd.DataFrame | None, maker: str, year: int, kinds: tuple[str, ...]
) -> pd.DataFrame:
    """The rows of the targets table in which the maker states `year`'s target for its own
    series, of these kinds, in the table's order (none without a table)."""
    if targets is None:
        return pd.DataFrame(columns=list(data.TARGETS.fields))
    return targets[
        (targets["maker"] == maker)
        & (targets["year"] == year)
        & (targets["scope"] == "series")
        & targets["kind"].isin(kinds)
    ]


def latest_stated(
    targets: pd.DataFrame | None, maker: str, year: int, cutoff: pd.Period | None
) -> data.Assumption | None:
    """The last initial or revised target the maker stated for its own series in `year`, among
    those dated by `cutoff` (no look-ahead; an undated one cannot be placed, so it is left out);
    a range counts at its low end, as the table's `target_units` holds it."""
    rows = series_targets(targets, maker, year, ("initial", "revised"))
    stated = pd.PeriodIndex(rows["stated_on"].str[:7], freq="M")  # a date or a month; NaT: blank
    rows = rows[~stated.isna() & ((stated <= cutoff) if cutoff is not None else True)]
    if rows.empty:
        return None
    last = rows.iloc[-1]
    return data.Assumption(
        name=f"{maker} {year} {last['kind']} target (targets.csv)",
        value=float(last["target_units"]),
        unit="units",
        source_url=str(last["source_url"]),
        as_of=str(last["stated_on"]),
        note=str(last["note"]) if pd.notna(last["note"]) else "",
    )


def sourced_target(
    assumptions: pd.DataFrame, maker: str, year: int, kind: str = ""
) -> data.Assumption | None:
    """The sourced target `{maker}_target_{year}[_{kind}]_units` in assumptions.csv, if any."""
    name = f"{maker}_target_{year}_{kind + '_' if kind else ''}units"
    return data.assumption(name, assumptions) if name in assumptions.index else None


# ---------------------------------------------------------------------------------------------
# Series helpers


def series_at(deliveries: pd.DataFrame, cutoff: pd.Period) -> dict[str, pd.Series]:
    """Every maker's monthly series up to `cutoff` (nothing later), NaN for unknown months."""
    out = {}
    for brand in data.brands(deliveries):
        series = data.monthly_series(deliveries, brand)
        series = series[series.index <= cutoff]
        if series.notna().any():
            out[brand] = series
    return out


def observed_span(series: pd.Series) -> pd.Series:
    """The series from its first to its last reported month; zero months count as unknown."""
    series = series.where(series > 0)
    if series.notna().sum() == 0:
        return series.iloc[:0]
    return series.loc[series.first_valid_index() : series.last_valid_index()]


def annual_totals(series: pd.Series) -> pd.DataFrame:
    """Per calendar year: months reported, their sum (vehicles) and growth over the prior year
    (percent, only when both years have all 12 months)."""
    frame = pd.DataFrame({"deliveries": series, "year": series.index.year})
    table = frame.groupby("year")["deliveries"].agg(["sum", "count"])
    table.columns = ["sum_of_months", "months_reported"]
    table["complete"] = table["months_reported"] == 12
    complete_total = table["sum_of_months"].where(table["complete"])
    table["yoy_growth_pct"] = 100 * (complete_total / complete_total.shift(1) - 1)
    table.loc[table.index.to_series().diff() != 1, "yoy_growth_pct"] = np.nan
    return table


def reported_annual_totals(
    series: pd.Series, financials: pd.DataFrame, maker: makers.Maker
) -> pd.DataFrame:
    """Sum of the monthly series per year against the company's reported annual deliveries.

    Reported totals come from the financials file (rows flagged stated or derived first, then
    estimates); `difference_pct` is (sum of months / reported - 1) in percent for complete years."""
    table = annual_totals(series)[["months_reported", "sum_of_months", "complete"]].copy()
    reported = pd.Series(np.nan, index=table.index)
    basis = pd.Series("", index=table.index, dtype=object)
    if maker.company is not None:
        rows = financials[
            (financials["company"] == maker.company)
            & (financials["metric"] == "deliveries")
            & (financials["period_kind"] == "year")
            & ~financials["flag"].isin(data.UNUSABLE_FLAGS)
        ].copy()
        rows["year"] = rows["period"].str[:4].astype(int)
        rows["rank"] = rows["flag"].map(data.FLAG_ORDER.index)  # the most trusted row wins
        for year, group in rows.sort_values("rank").groupby("year"):
            if year in reported.index:
                reported[year] = group["value"].iloc[0]
                basis[year] = group["flag"].iloc[0]
    table["reported_total"] = reported
    table["reported_flag"] = basis
    table["difference_pct"] = 100 * (table["sum_of_months"] / table["reported_total"] - 1)
    table.loc[~table["complete"], "difference_pct"] = np.nan
    table["caveat"] = maker.series_caveat or ""
    return table


def latest_run_rate(series: pd.Series) -> tuple[float, list[str]]:
    """Average monthly deliveries over the reported months among the three calendar months that
    end with the latest reported month (vehicles per month), and which months those were."""
    span = observed_span(series)
    last = span.index[-1]
    window = span[span.index > last - 3].dropna()
    return float(window.mean()), [str(m) for m in window.index]


def yoy_growth(series: pd.Series) -> pd.Series:
    """Growth of each month over the same month a year earlier (percent; NaN if either unknown)."""
    span = observed_span(series)
    return 100 * (span / span.shift(12) - 1)


def hindsight_total(
    deliveries: pd.DataFrame, maker: str, target_year: int, cutoff: pd.Period
) -> float | None:
    """What the maker delivered in `target_year` when the data hold the whole year and the cutoff
    came before its end (a backtest); None otherwise. Only for comparing after the forecast."""
    if cutoff >= pd.Period(f"{target_year}-12", freq="M"):
        return None
    totals = annual_totals(data.monthly_series(deliveries, maker))
    if target_year in totals.index and totals.loc[target_year, "complete"]:
        return float(totals.loc[target_year, "sum_of_months"])
    return None


# ---------------------------------------------------------------------------------------------
# Target arithmetic


@dataclass(frozen=True)
class TargetArithmetic:
    """What the target requires: growth over the last full year and the monthly run-rate the
    missing months of the target year need, against the latest run-rate (vehicles)."""

    target_units: float
    target_year: int
    last_full_year: int | None
    last_full_year_units: float
    required_growth_pct: float
    reported_units: float
    reported_months: list[str]
    missing_months: list[str]
    required_monthly_run_rate_units: float
    latest_run_rate_units: float
    latest_run_rate_months: list[str]


def target_arithmetic(series: pd.Series, target_units: float, target_year: int) -> TargetArithmetic:
    """The arithmetic of a target from a series that ends at the data cutoff."""
    totals = annual_totals(series)
    full_years = totals.index[totals["complete"] & (totals.index < target_year)]
    last_full = int(full_years.max()) if len(full_years) else None
    last_units = float(totals.loc[last_full, "sum_of_months"]) if last_full else np.nan
    year_months = pd.period_range(f"{target_year}-01", f"{target_year}-12", freq="M")
    in_year = series.reindex(year_months)
    reported = in_year.dropna()
    missing = [str(m) for m in year_months if pd.isna(in_year[m])]
    needed = (target_units - reported.sum()) / len(missing) if missing else np.nan
    rate, rate_months = latest_run_rate(series)
    return TargetArithmetic(
        target_units=float(target_units),
        target_year=int(target_year),
        last_full_year=last_full,
        last_full_year_units=last_units,
        required_growth_pct=100 * (target_units / last_units - 1) if last_full else np.nan,
        reported_units=float(reported.sum()),
        reported_months=[str(m) for m in reported.index],
        missing_months=missing,
        required_monthly_run_rate_units=float(needed),
        latest_run_rate_units=rate,
        latest_run_rate_months=rate_months,
    )
