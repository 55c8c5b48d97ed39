"""One company's quarterly history from the long financials file: rows chosen, quarters filled.

Rows of `financials_quarterly.csv` carry a trust flag (`lib.data.FLAG_ORDER`, most trusted
first). Where a (company, period, metric) appears more than once, `pick_rows` keeps one,
deterministically: usable before uncertain/unverified/forecast; exact before rounded ("rounded",
"approx", "about", "nearly" in the note, or an estimate); stated before derived before estimate;
more significant digits first; then the source URL. Quarters missing from the file are filled
from half-year, nine-month and full-year totals (flag `derived`). Values flagged uncertain,
unverified or forecast are kept in tables but never drive a fit, a bridge or a headline number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib import data
from lib.errors import BadParameter
from lib.margins.units import currency_of, per_vehicle

FLAG_RANK = {flag: rank for rank, flag in enumerate(data.FLAG_ORDER)}
EXCLUDED_FLAGS = data.UNUSABLE_FLAGS
_ROUNDED = re.compile(r"^\s*~|\b(?:rounded|approx\w*|about|nearly)\b", re.IGNORECASE)
USABLE_COLUMNS = ("revenue", "deliveries", "gross_margin_pct")  # what a usable quarter has

# Which metrics make the "gross margin" of each basis: the whole company or the vehicle business.
BASIS_METRICS = {
    "total": {"revenue": "revenue", "margin": "gross_margin_pct"},
    "vehicle": {"revenue": "vehicle_revenue", "margin": "vehicle_margin_pct"},
}


# ---------------------------------------------------------------------------------------------
# Choosing one row per figure


def companies(financials: pd.DataFrame) -> list[str]:
    return sorted(financials["company"].unique())


def check_company(financials: pd.DataFrame, company: str) -> str:
    """Return `company` if it is in the data; otherwise raise listing the known companies."""
    known = companies(financials)
    if company not in known:
        raise ValueError(
            f"company: unknown company {company!r}; known companies: {', '.join(known)}"
        )
    return company


def _significant_digits(value: float) -> int:
    digits = f"{abs(value):.6g}".replace(".", "").lstrip("0").rstrip("0")
    return len(digits)


def _choice_key(frame: pd.DataFrame) -> pd.DataFrame:
    note = frame["note"].fillna("").astype(str)
    return pd.DataFrame(
        {
            "excluded": frame["flag"].isin(EXCLUDED_FLAGS).astype(int),
            "rounded": (note.str.contains(_ROUNDED) | (frame["flag"] == "estimate")).astype(int),
            "flag_rank": frame["flag"].map(FLAG_RANK),
            "precision": -frame["value"].map(_significant_digits),
            "source_url": frame["source_url"],
        },
        index=frame.index,
    )


def pick_rows(financials: pd.DataFrame) -> pd.DataFrame:
    """All rows with `picked` (one True per company, period, metric) and `candidates` (count).

    The order is in the module docstring; it never depends on the file's row order."""
    key = _choice_key(financials)
    order = key.sort_values(list(key.columns), kind="mergesort").index
    ranked = financials.loc[order]
    ids = ["company", "period", "metric"]
    marked = financials.copy()
    marked["picked"] = False
    marked.loc[ranked.drop_duplicates(ids).index, "picked"] = True
    marked["candidates"] = marked.groupby(ids)["value"].transform("size")
    return marked


def duplicate_choices(financials: pd.DataFrame, company: str | None = None) -> pd.DataFrame:
    """Rows whose (company, period, metric) has several sources, with the one kept marked."""
    marked = pick_rows(financials)
    rows = marked[marked["candidates"] > 1]
    if company is not None:
        rows = rows[rows["company"] == company]
    columns = ["company", "period", "metric", "value", "unit", "flag", "picked", "note"]
    order = rows.sort_values(["company", "period_end", "metric", "picked"], ascending=[1, 1, 1, 0])
    return order[[*columns, "source_url"]].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Quarters from totals over any period


def _quarters_of(period: str) -> tuple[int, tuple[int, ...]]:
    """The year and the quarters a period covers: 2025H1 -> (2025, (1, 2)); parsed by lib.data."""
    end, kind = data._period_end(period), data._period_kind(period)
    last = end.quarter
    count = {"quarter": 1, "half": 2, "year": 4}.get(kind, last)  # cumulative: from Q1
    return end.year, tuple(range(last - count + 1, last + 1))


def _worse(*flags: str) -> str:
    return max(flags, key=FLAG_RANK.__getitem__)


def fill_quarters(totals: dict[str, tuple[float, str]]) -> dict[pd.Period, tuple[float, str]]:
    """Quarterly values of a flow (revenue, deliveries, ...) from totals over any periods.

    `totals` maps a period ("2025Q2", "2025H1", "2025FY", "2025Q1-Q3") to (value, flag). A
    missing quarter is solved when some total covers it and every other quarter of that total is
    known: Q2 = H1 - Q1, Q4 = FY - (Q1-Q3), ... The solved value is flagged `derived` or worse."""
    by_year: dict[int, list[tuple[tuple[int, ...], float, str]]] = {}
    for period, (value, flag) in totals.items():
        year, quarters = _quarters_of(period)
        by_year.setdefault(year, []).append((quarters, value, flag))
    solved: dict[pd.Period, tuple[float, str]] = {}
    for year, constraints in by_year.items():
        known = {q[0]: (v, f) for q, v, f in constraints if len(q) == 1}
        progress = True
        while progress:
            progress = False
            for quarters, value, flag in constraints:
                missing = [q for q in quarters if q not in known]
                if len(missing) != 1:
                    continue
                others = [known[q] for q in quarters if q in known]
                rest = value - sum(v for v, _ in others)
                known[missing[0]] = (rest, _worse("derived", flag, *[f for _, f in others]))
                progress = True
        for quarter, entry in known.items():
            solved[pd.Period(year=year, quarter=quarter, freq="Q")] = entry
    return dict(sorted(solved.items()))


def margin_basis(financials: pd.DataFrame, company: str) -> str:
    """ "total" (company gross margin) when the data have it, else "vehicle" (a company that
    reports only the margin of its vehicle business)."""
    rows = financials[financials["company"] == check_company(financials, company)]
    return "total" if (rows["metric"] == "gross_margin_pct").any() else "vehicle"


def _totals(rows: pd.DataFrame, metric: str) -> dict[str, tuple[float, str]]:
    picked = rows[rows["metric"] == metric]
    return {
        p: (v, f) for p, v, f in zip(picked["period"], picked["value"], picked["flag"], strict=True)
    }


# ---------------------------------------------------------------------------------------------
# The panel


@dataclass(frozen=True)
class Panel:
    """One company's quarterly history; `table` has a value and a `<name>_flag` per metric."""

    company: str
    currency: str  # RMB or USD
    basis: str  # total or vehicle
    table: pd.DataFrame  # index: quarter (Period[Q-DEC])
    cumulative_from: int | None  # first year counted in cumulative deliveries

    def usable(self) -> pd.DataFrame:
        """Quarters with revenue, deliveries and gross margin, none flagged uncertain or worse."""
        t = self.table
        ok = t[list(USABLE_COLUMNS)].notna().all(axis=1)
        for name in USABLE_COLUMNS:
            ok &= ~t[f"{name}_flag"].isin(EXCLUDED_FLAGS)
        return t[ok]


def quarterly_panel(financials: pd.DataFrame, company: str) -> Panel:
    """Revenue, deliveries, gross and net margin, cash and per-vehicle figures by quarter.

    revenue, net_income, gross_profit, cash in currency millions; revenue_per_vehicle and
    cost_per_vehicle in currency units; margins in percent; cumulative deliveries in vehicles
    (`cum_deliveries` at quarter end, `cum_deliveries_mid` half-way through the quarter)."""
    basis = margin_basis(financials, company)
    marked = pick_rows(financials)
    rows = marked[(marked["company"] == company) & marked["picked"]]
    revenue_metric, margin_metric = BASIS_METRICS[basis].values()
    money_units = rows.loc[rows["metric"] == revenue_metric, "unit"].unique()
    currency = currency_of(money_units[0]) if len(money_units) else "RMB"

    revenue = fill_quarters(_totals(rows, revenue_metric))
    deliveries = fill_quarters(_totals(rows, "deliveries"))
    net_income = fill_quarters(_totals(rows, "net_income"))

    # Gross profit of every period with a margin and a revenue, then quarters by differencing.
    margins = _totals(rows, margin_metric)
    revenues = _totals(rows, revenue_metric)
    profit_totals = _totals(rows, "gross_profit") if basis == "total" else {}
    for period, (pct, flag) in margins.items():
        if period in revenues:
            value, rev_flag = revenues[period]
            profit_totals[period] = (pct / 100 * value, _worse(flag, rev_flag))
    gross_profit = fill_quarters(profit_totals)

    quarter_margins = {
        pd.Period(p, freq="Q"): e for p, e in margins.items() if data._period_kind(p) == "quarter"
    }
    flows = (revenue, deliveries, net_income, gross_profit, quarter_margins)
    index = pd.PeriodIndex(sorted(set().union(*flows)), freq="Q", name="quarter")
    table = pd.DataFrame(index=index)

    def put(name: str, source: dict[pd.Period, tuple[float, str]]) -> None:
        table[name] = [source.get(q, (np.nan, None))[0] for q in index]
        table[f"{name}_flag"] = [source.get(q, (np.nan, None))[1] for q in index]

    put("revenue", revenue)
    put("deliveries", deliveries)
    put("net_income", net_income)
    put("gross_profit", gross_profit)
    put("gross_margin_pct", _quarter_margins(index, quarter_margins, gross_profit, revenue))
    table["net_margin_pct"] = 100 * table["net_income"] / table["revenue"]
    table["net_margin_pct_flag"] = _row_worse(table, ["net_income_flag", "revenue_flag"])
    table["revenue_per_vehicle"] = per_vehicle(table["revenue"], table["deliveries"])
    table["revenue_per_vehicle_flag"] = _row_worse(table, ["revenue_flag", "deliveries_flag"])
    table["cost_per_vehicle"] = table["revenue_per_vehicle"] * (1 - table["gross_margin_pct"] / 100)
    table["cost_per_vehicle_flag"] = _row_worse(
        table, ["revenue_flag", "deliveries_flag", "gross_margin_pct_flag"]
    )
    table["net_income_per_vehicle"] = per_vehicle(table["net_income"], table["deliveries"])
    table["net_income_per_vehicle_flag"] = _row_worse(table, ["net_income_flag", "deliveries_flag"])
    put("cash", _stock_by_quarter(rows, "cash"))
    cum_end, start_year = _cumulative(rows, deliveries)
    table["cum_deliveries"] = cum_end.reindex(index)
    table["cum_deliveries_mid"] = table["cum_deliveries"] - table["deliveries"] / 2
    return Panel(company, currency, basis, table, start_year)


def _quarter_margins(index, stated, gross_profit, revenue) -> dict[pd.Period, tuple[float, str]]:
    """A quarter's stated margin, else gross profit / revenue (flagged derived or worse)."""
    out = {}
    for q in index:
        if q in stated:
            out[q] = stated[q]
        elif q in gross_profit and q in revenue and revenue[q][0]:
            flag = _worse("derived", gross_profit[q][1], revenue[q][1])
            out[q] = (100 * gross_profit[q][0] / revenue[q][0], flag)
    return out


def _row_worse(table: pd.DataFrame, columns: list[str]) -> list[str | None]:
    flags = table[columns]
    return [
        None if any(f is None or f != f for f in row) else _worse(*row)
        for row in flags.itertuples(index=False)
    ]


def _stock_by_quarter(rows: pd.DataFrame, metric: str) -> dict[pd.Period, tuple[float, str]]:
    """A balance (cash) at each quarter end: FY and H1 figures are the Q4 and Q2 balances."""
    picked = rows[(rows["metric"] == metric) & (rows["period_kind"] != "cumulative")]
    picked = picked.sort_values("period_kind", key=lambda s: s != "quarter")  # quarter rows first
    out: dict[pd.Period, tuple[float, str]] = {}
    for end, value, flag in zip(picked["period_end"], picked["value"], picked["flag"], strict=True):
        out.setdefault(end.asfreq("Q"), (value, flag))
    return out


def _usable_entry(entry: tuple[float, str] | None) -> bool:
    return entry is not None and entry[1] not in EXCLUDED_FLAGS


def _cumulative(
    rows: pd.DataFrame, deliveries: dict[pd.Period, tuple[float, str]]
) -> tuple[pd.Series, int | None]:
    """Cumulative deliveries at each quarter end, counted from the first year in the data.

    A year with all four quarters adds them one by one; a year with only a full-year total adds
    it at Q4. In a year with neither, the quarters known from Q1 on still count, and every later
    cumulative count is unknown. Values flagged uncertain or worse stop the count (they would
    taint every later point)."""
    annual = _totals(rows, "deliveries")
    annual = {int(p[:4]): e for p, e in annual.items() if p.endswith("FY")}
    years = sorted({q.year for q in deliveries} | set(annual))
    if not years:
        return pd.Series(dtype=float), None
    total, points = 0.0, {}
    for year in range(years[0], years[-1] + 1):
        quarters = [pd.Period(year=year, quarter=k, freq="Q") for k in (1, 2, 3, 4)]
        known = [deliveries.get(q) for q in quarters]
        running = total
        for q, entry in zip(quarters, known, strict=True):  # the known quarters from Q1 on
            if not _usable_entry(entry):
                break
            running += entry[0]
            points[q] = running
        if all(_usable_entry(e) for e in known):
            total = running
        elif _usable_entry(annual.get(year)):
            total += annual[year][0]
            points[quarters[-1]] = total
        else:  # nothing after this year's known quarters counts
            break
    return pd.Series(points, dtype=float), years[0]


# ---------------------------------------------------------------------------------------------
# Quarters to start from


def latest_quarter(panel: Panel) -> pd.Period:
    """The latest quarter with usable revenue, deliveries and gross margin."""
    usable = panel.usable()
    if usable.empty:
        raise ValueError(
            f"company: {panel.company} has no quarter with revenue, deliveries and gross margin in the data"
        )
    return usable.index.max()


def check_quarter(panel: Panel, quarter: str, name: str) -> pd.Period:
    """A quarter given as text ("2025Q4") that has usable data; else a clear error."""
    usable = [str(q) for q in panel.usable().index]
    try:
        period = pd.Period(quarter, freq="Q")
    except (ValueError, TypeError):
        raise BadParameter(
            f"{name}: {quarter!r} is not a quarter; expected text like '2025Q4' (quarters with data for {panel.company}: {', '.join(usable)})"
        ) from None
    if str(period) not in usable:
        raise BadParameter(
            f"{name}: no data for {panel.company} in {period} (revenue, deliveries and gross margin needed, none uncertain); quarters with data: {', '.join(usable)}"
        )
    return period


def base_quarter(panel: Panel, start: pd.Period) -> pd.Period:
    """Same quarter a year earlier if it has data, else the closest earlier quarter with data."""
    earlier = [q for q in panel.usable().index if q < start]
    if not earlier:
        raise BadParameter(
            f"bridge_base_quarter: {panel.company} has no quarter with data before {start} to compare with"
        )
    year_ago = start - 4
    if year_ago in earlier:
        return year_ago
    return min(earlier, key=lambda q: (abs((q - year_ago).n), -q.ordinal))


def annual_volume(panel: Panel, start: pd.Period) -> tuple[float, str]:
    """Deliveries in the four quarters up to `start` (vehicles), or 4x the quarter if unknown."""
    window = panel.table["deliveries"].reindex(pd.period_range(start - 3, start, freq="Q"))
    if window.notna().all():
        return float(window.sum()), f"deliveries {start - 3} to {start}"
    return float(4 * panel.table.loc[start, "deliveries"]), f"4 x deliveries in {start}"
