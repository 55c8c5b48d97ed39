"""Inputs of the margins analysis: the maker resolved, parameters checked, data loaded.

`load(params)` is the notebook's first call after its parameters: a parameter the data cannot
serve is `lib.errors.BadParameter` naming it (the ranges are checked by `Params` itself), and a
maker without the data this analysis needs is `lib.makers.MissingData` (the runner publishes that
sentence as the report), both before anything is computed. Each value taken from the data in
place of a parameter carries where it came from (`Inputs.target_origin`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lib import data, makers, paths, runs
from lib.errors import BadParameter
from lib.margins import breakeven
from lib.margins.panel import (
    Panel,
    annual_volume,
    base_quarter,
    check_quarter,
    companies,
    quarterly_panel,
)
from lib.margins.params import Params

# The price cuts of January 2023 opened the price war: charts mark events from then on.
PRICE_WAR_START = pd.Period("2023Q1", freq="Q")
FINANCIALS_FILE = data.FINANCIALS.filename
# Labels of the published learning rates in assumptions.csv, by row name.
BATTERY_REFERENCES = {
    "margins_battery_learning_rate_cells_pct": "Li-ion cells (Ziegler & Trancik)",
    "margins_battery_learning_rate_cylindrical_cells_pct": "cylindrical cells (Ziegler & Trancik)",
    "margins_battery_learning_rate_storage_pct": "battery storage (Kittner et al.)",
}
# The financials count the same vehicles as the maker's monthly series when their totals of a
# year agree within this share (a series of passenger cars against a group's all-NEV total
# differs by a few percent; a company's other plants or brands by far more).
SCOPE_TOLERANCE = 0.10
COUNTED = ("stated", "derived")  # qualities of a monthly delivery figure taken as reported


@dataclass(frozen=True)
class Scope:
    """A year in which the company's financials count other vehicles than the maker's series."""

    year: int
    company_units: float  # deliveries in the financials (the cost base of every margin here)
    series_units: float  # the maker's monthly series (deliveries_monthly.csv)

    @property
    def wider(self) -> bool:
        return self.company_units > self.series_units


@dataclass(frozen=True)
class Inputs:
    """Everything the analysis reads, checked: money in the company's currency (see units)."""

    params: Params
    maker: makers.Maker
    company: str  # in financials_quarterly.csv
    financials: pd.DataFrame
    panels: dict[str, Panel]  # every company in the data, by name
    peers: list[str]  # companies compared with, in the order given
    start: pd.Period  # the quarter the answer starts from
    base: pd.Period  # the quarter the gross-profit bridge starts from
    price_cuts: np.ndarray  # 0-1 fractions, the break-even curve and the margin map
    volume_changes: np.ndarray  # 0-1 fractions, the margin map
    fixed_cost_share_pct: float | None  # None: estimate from the data
    learning_rate_pct: float | None  # None: fit from the data
    target_volume_units: int
    target_origin: str  # where the target comes from, for readers
    scope: Scope | None  # None: the financials count the maker's series (or no year compares)
    events: pd.DataFrame  # price-war events within the charts' quarters
    industry_margins: pd.DataFrame  # assumptions rows with a `year` column
    price_cut_counts: pd.DataFrame
    battery_rates: pd.DataFrame  # assumptions rows with `rate` (0-1) and `label`
    all_events: pd.DataFrame  # every price-war event (the next quarter's price cuts)
    months: pd.Series  # the maker's monthly deliveries, counted months only (PeriodIndex M)
    data_to: pd.Period  # the latest month of the deliveries data
    earlier: tuple = ()  # finished runs in the reports folder (`lib.runs.finished`): their calls

    @property
    def name(self) -> str:
        return self.maker.display_name

    @property
    def panel(self) -> Panel:
        return self.panels[self.company]

    @property
    def compared(self) -> dict[str, Panel]:
        """The maker's panel first, then its peers'."""
        return {c: self.panels[c] for c in [self.company, *self.peers]}


def parse_peers(financials: pd.DataFrame, company: str, peers: str) -> list[str]:
    """Peers from a comma-separated string (empty = every other company), checked by name."""
    known = companies(financials)
    names = [p.strip() for p in peers.split(",") if p.strip()] or known
    unknown = [p for p in names if p not in known]
    if unknown:
        raise BadParameter(
            f"peers: unknown company {', '.join(map(repr, unknown))}; known companies: {', '.join(known)}"
        )
    return [p for p in dict.fromkeys(names) if p != company]


def _company(maker: makers.Maker, financials: pd.DataFrame) -> str:
    """The maker's company in the financials, or MissingData saying what is missing."""
    if maker.company is None or maker.company not in set(financials["company"]):
        raise makers.MissingData(
            f"{maker.display_name} has no financials in {FINANCIALS_FILE} "
            f"({maker.note or 'no company of its own in makers.csv'}); the margin analysis needs "
            "its quarterly revenue, deliveries and gross margin."
        )
    return maker.company


def _check_history(maker: makers.Maker, panel: Panel) -> None:
    """MissingData unless the maker has the two usable quarters a bridge needs (a thinner
    history leaves the fixed-cost estimate below its evidence floor, said as such)."""
    usable = len(panel.usable())
    if usable < 2:
        raise makers.MissingData(
            f"{maker.display_name} has {usable} quarter(s) with revenue, deliveries and gross "
            f"margin in {FINANCIALS_FILE} (company {panel.company}); the margin analysis needs "
            "at least 2."
        )


def _quarters(panel: Panel, params: Params) -> tuple[pd.Period, pd.Period]:
    if params.is_sourced("start_quarter"):
        start = panel.usable().index.max()
    else:
        start = check_quarter(panel, params.start_quarter, "start_quarter")
    if params.is_sourced("bridge_base_quarter"):
        base = base_quarter(panel, start)
    else:
        base = check_quarter(panel, params.bridge_base_quarter, "bridge_base_quarter")
    if base >= start:
        raise BadParameter(
            f"bridge_base_quarter: {base} must come before the start quarter {start}"
        )
    return start, base


def _percent_or_estimate(params: Params, name: str) -> float | None:
    """A percent parameter, or None when it asks for the estimate from the data (-1)."""
    return None if params.is_sourced(name) else float(getattr(params, name))


def load(params: Params, data_dir: Path | None = None) -> Inputs:
    """The notebook's parameters checked against the data, and the data loaded."""
    entry = makers.get(params.maker, data_dir)
    financials = data.load_financials(data_dir)
    company = _company(entry, financials)
    peer_names = parse_peers(financials, company, params.peers)
    assumptions = data.load_assumptions(data_dir)
    deliveries = data.load_deliveries(data_dir)
    events = data.load_price_war_events(data_dir)
    panels = {name: quarterly_panel(financials, name) for name in companies(financials)}
    _check_history(entry, panels[company])
    start, base = _quarters(panels[company], params)
    scope = financials_scope(entry, deliveries, panels[company])
    if params.is_sourced("target_volume_units"):
        target, origin = _default_target(
            entry, assumptions, financials, deliveries, panels[company], start, scope
        )
    else:
        target, origin = params.target_volume_units, "set by the analyst"
    shown = [panels[c] for c in [company, *peer_names]]
    first = max(min(p.table.index.min() for p in shown), PRICE_WAR_START)
    last = max(p.table.index.max() for p in shown)
    return Inputs(
        params=params,
        maker=entry,
        company=company,
        financials=financials,
        panels=panels,
        peers=peer_names,
        start=start,
        base=base,
        price_cuts=breakeven.make_grid(
            params.price_cut_min_pct, params.price_cut_max_pct, params.price_cut_step_pct
        ),
        volume_changes=breakeven.make_grid(
            params.volume_change_min_pct,
            params.volume_change_max_pct,
            params.volume_change_step_pct,
        ),
        fixed_cost_share_pct=_percent_or_estimate(params, "fixed_cost_share_pct"),
        learning_rate_pct=_percent_or_estimate(params, "learning_rate_pct"),
        target_volume_units=int(target),
        target_origin=origin,
        scope=scope,
        events=events_between(events, first, last),
        industry_margins=_by_year(assumptions, r"^industry_profit_margin_(\d{4})_pct$"),
        price_cut_counts=_by_year(assumptions, r"^price_cut_models_(\d{4})_count$"),
        battery_rates=battery_rates(assumptions),
        all_events=events,
        months=counted_months(deliveries, entry.key),
        data_to=deliveries["month"].max(),
        earlier=tuple(runs.finished(paths.reports_dir())),
    )


def counted_months(deliveries: pd.DataFrame, maker: str) -> pd.Series:
    """The maker's monthly deliveries whose quality is counted (stated or derived): a month
    flagged uncertain or a lower bound is not taken as reported."""
    rows = deliveries[(deliveries["brand"] == maker) & deliveries["quality"].isin(COUNTED)]
    return rows.set_index("month")["deliveries"].astype(float).sort_index()


def events_between(events: pd.DataFrame, first: pd.Period, last: pd.Period) -> pd.DataFrame:
    """Events dated within the quarters `first` to `last`, numbered 1.. in date order."""
    within = events[(events["date"] >= first.start_time) & (events["date"] <= last.end_time)]
    within = within.sort_values("date", kind="mergesort").reset_index(drop=True)
    return within.assign(number=range(1, len(within) + 1))


def _by_year(assumptions: pd.DataFrame, pattern: str) -> pd.DataFrame:
    """Assumption rows whose name matches `pattern` (one group: the year), with `year`."""
    rows = assumptions[assumptions.index.str.match(pattern)].reset_index()
    rows["year"] = rows["name"].str.extract(pattern, expand=False).astype(int)
    return rows.sort_values("year", ignore_index=True)


def battery_rates(assumptions: pd.DataFrame) -> pd.DataFrame:
    """Published battery learning rates: assumption rows with `rate` (0-1) and a `label`."""
    rows = assumptions[assumptions.index.str.startswith("margins_battery_learning_rate")]
    rows = rows.reset_index()
    rows["rate"] = rows["value"] / 100
    rows["label"] = rows["name"].map(lambda n: BATTERY_REFERENCES.get(n, n))
    return rows


def financials_scope(entry: makers.Maker, deliveries: pd.DataFrame, panel: Panel) -> Scope | None:
    """The latest year in which both the maker's series (twelve months) and its company's
    financials (four quarters) give deliveries, when they differ by more than SCOPE_TOLERANCE:
    the financials then count other vehicles (e.g. a company's other plants) than the series.
    None when they agree or no year has both."""
    series = deliveries[deliveries["brand"] == entry.key]
    months = series.groupby(series["month"].dt.year)["deliveries"].agg(["sum", "size"])
    quarters = panel.table["deliveries"].dropna()
    by_year = quarters.groupby(quarters.index.year).agg(["sum", "size"])
    years = sorted(
        set(months.index[months["size"] == 12]) & set(by_year.index[by_year["size"] == 4]),
        reverse=True,
    )
    if not years:
        return None
    year = years[0]
    company, own = float(by_year.loc[year, "sum"]), float(months.loc[year, "sum"])
    if abs(company / own - 1) <= SCOPE_TOLERANCE:
        return None
    return Scope(int(year), company, own)


def _default_target(
    entry, assumptions, financials, deliveries, panel, start, scope
) -> tuple[float, str]:
    """target_volume_units -1: the maker's stated target for the data's latest year, else its
    deliveries the year before; with neither, or when its series counts other vehicles than its
    financials (the cost base), the company's deliveries of the four quarters to the start."""
    year = int(deliveries["month"].max().year)
    volume, volume_basis = annual_volume(panel, start)
    if scope is not None:
        return volume, (
            f"{panel.company}'s {volume_basis}, in the scope of its financials, not of "
            f"{entry.display_name}'s monthly series"
        )
    stated = makers.stated_target(entry, assumptions, year)
    try:
        target, basis = makers.resolve_target(0, stated, deliveries, entry, year, financials)
    except makers.MissingData:
        return volume, (
            f"{panel.company}'s {volume_basis}, as the data have no stated {year} target and "
            f"no complete {year - 1}"
        )
    if basis == "stated":
        return target, f"{entry.display_name}'s stated {year} target, row {stated.name}"
    return target, f"{entry.display_name}'s deliveries in {year - 1}, as no {year} target is stated"
