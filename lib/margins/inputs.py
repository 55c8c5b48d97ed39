"""Inputs of the margins analysis: the maker resolved, parameters checked, data loaded.

`load_inputs` is the notebook's first call after its parameters: a bad parameter is a ValueError
naming it, and a maker without the data this analysis needs is `lib.makers.MissingData` (the
runner publishes that sentence as the report), both before anything is computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lib import data, makers
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

ESTIMATE = -1.0  # a parameter set to this is estimated from the data
PRICE_CUT_RANGE_PCT = (0.0, 90.0)  # a cut of the whole price is no longer a price
VOLUME_CHANGE_RANGE_PCT = (-90.0, 1000.0)  # from near-collapse to an eleven-fold year
FIXED_SHARE_RANGE_PCT = (0.0, 90.0)  # some cost of sales (materials) always varies with volume
LEARNING_RATE_RANGE_PCT = (0.0, 60.0)  # published experience curves stay well below 60%
TARGET_VOLUME_RANGE = (1, 100_000_000)
# Tesla's China cuts of January 2023 opened the price war: charts mark events from then on.
PRICE_WAR_START = pd.Period("2023Q1", freq="Q")
FINANCIALS_FILE = data.FINANCIALS.filename
# Labels of the published learning rates in assumptions.csv, by row name.
BATTERY_REFERENCES = {
    "margins_battery_learning_rate_cells_pct": "Li-ion cells (Ziegler & Trancik)",
    "margins_battery_learning_rate_cylindrical_cells_pct": "cylindrical cells (Ziegler & Trancik)",
    "margins_battery_learning_rate_storage_pct": "battery storage (Kittner et al.)",
}


@dataclass(frozen=True)
class Inputs:
    """Everything the analysis reads, checked: money in the company's currency (see units)."""

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
    events: pd.DataFrame  # price-war events within the charts' quarters
    industry_margins: pd.DataFrame  # assumptions rows with a `year` column
    price_cut_counts: pd.DataFrame
    battery_rates: pd.DataFrame  # assumptions rows with `rate` (0-1) and `label`

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


def optional_pct(value: float, name: str, bounds: tuple[float, float]) -> float | None:
    """A percent parameter that may be ESTIMATE (-1, returned as None) or a value in `bounds`."""
    if value == ESTIMATE:
        return None
    low, high = bounds
    if not low <= value <= high:
        raise BadParameter(
            f"{name}: {value!r}; expected {ESTIMATE:g} (estimate) or a value in [{low:g}, {high:g}]"
        )
    return float(value)


def _company(maker: makers.Maker, financials: pd.DataFrame) -> str:
    """The maker's company in the financials, or MissingData saying what is missing."""
    if maker.company is None or maker.company not in set(financials["company"]):
        raise makers.MissingData(
            f"{maker.display_name} has no financials in {FINANCIALS_FILE} ({maker.note or 'no company of its own in makers.csv'}); "
            "the margin analysis needs its quarterly revenue, deliveries and gross margin."
        )
    return maker.company


def _check_history(maker: makers.Maker, panel: Panel, estimate_fixed: bool) -> None:
    """MissingData unless the maker has the usable quarters the analysis needs."""
    usable = len(panel.usable())
    needed = breakeven.MIN_FIXED_COST_QUARTERS if estimate_fixed else 2  # 2: a bridge
    if usable < needed:
        why = "to estimate its fixed costs (or set fixed_cost_share_pct)" if estimate_fixed else ""
        raise makers.MissingData(
            f"{maker.display_name} has {usable} quarter(s) with revenue, deliveries and gross margin in "
            f"{FINANCIALS_FILE} (company {panel.company}); the margin analysis needs at least {needed} {why}".rstrip()
            + "."
        )


def _quarters(panel: Panel, start_quarter: str, bridge_base_quarter: str):
    if start_quarter:
        start = check_quarter(panel, start_quarter, "start_quarter")
    else:
        start = panel.usable().index.max()
    if bridge_base_quarter:
        base = check_quarter(panel, bridge_base_quarter, "bridge_base_quarter")
    else:
        base = base_quarter(panel, start)
    if base >= start:
        raise BadParameter(
            f"bridge_base_quarter: {base} must come before the start quarter {start}"
        )
    return start, base


def load_inputs(
    maker: str,
    peers: str = "",
    start_quarter: str = "",
    bridge_base_quarter: str = "",
    price_cut_pct: tuple[float, float, float] = (0.0, 20.0, 0.5),
    volume_change_pct: tuple[float, float, float] = (-20.0, 100.0, 2.0),
    fixed_cost_share_pct: float = ESTIMATE,
    learning_rate_pct: float = ESTIMATE,
    target_volume_units: int = 0,
    data_dir: Path | None = None,
) -> Inputs:
    """The notebook's parameters checked and its data loaded; grids are (low, high, step) in %."""
    entry = makers.get(maker, data_dir)
    financials = data.load_financials(data_dir)
    company = _company(entry, financials)
    peer_names = parse_peers(financials, company, peers)
    price_cuts = breakeven.make_grid(*price_cut_pct, "price_cut", PRICE_CUT_RANGE_PCT)
    volume_changes = breakeven.make_grid(
        *volume_change_pct, "volume_change", VOLUME_CHANGE_RANGE_PCT
    )
    fixed = optional_pct(fixed_cost_share_pct, "fixed_cost_share_pct", FIXED_SHARE_RANGE_PCT)
    rate = optional_pct(learning_rate_pct, "learning_rate_pct", LEARNING_RATE_RANGE_PCT)
    assumptions = data.load_assumptions(data_dir)
    panels = {name: quarterly_panel(financials, name) for name in companies(financials)}
    _check_history(entry, panels[company], estimate_fixed=fixed is None)
    start, base = _quarters(panels[company], start_quarter, bridge_base_quarter)
    if not target_volume_units:
        target_volume_units = _default_target(
            entry, assumptions, financials, panels[company], start, data_dir
        )
    low, high = TARGET_VOLUME_RANGE
    if not low <= target_volume_units <= high:
        raise BadParameter(
            f"target_volume_units: {target_volume_units!r}; expected a whole number of vehicles in [{low}, {high}]"
        )
    shown = [panels[c] for c in [company, *peer_names]]
    first = max(min(p.table.index.min() for p in shown), PRICE_WAR_START)
    last = max(p.table.index.max() for p in shown)
    return Inputs(
        maker=entry,
        company=company,
        financials=financials,
        panels=panels,
        peers=peer_names,
        start=start,
        base=base,
        price_cuts=price_cuts,
        volume_changes=volume_changes,
        fixed_cost_share_pct=fixed,
        learning_rate_pct=rate,
        target_volume_units=int(target_volume_units),
        events=events_between(data.load_price_war_events(data_dir), first, last),
        industry_margins=_by_year(assumptions, r"^industry_profit_margin_(\d{4})_pct$"),
        price_cut_counts=_by_year(assumptions, r"^price_cut_models_(\d{4})_count$"),
        battery_rates=battery_rates(assumptions),
    )


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


def _default_target(entry, assumptions, financials, panel, start, data_dir) -> int:
    """target_volume_units 0: the maker's stated target for the data's latest year, else its
    deliveries the year before; with neither, its annual volume now (the margin at today's scale)."""
    deliveries = data.load_deliveries(data_dir)
    year = int(deliveries["month"].max().year)
    stated = makers.stated_target(entry, assumptions, year)
    try:
        target, _ = makers.resolve_target(0, stated, deliveries, entry, year, financials)
    except makers.MissingData:
        target, _ = annual_volume(panel, start)
    return int(round(target))
