"""Price-war margins: quarterly history, gross-profit bridge, learning curve, price-cut break-even.

Money is in the company's reporting currency: RMB (all makers but Tesla) or USD (Tesla), never
mixed. Totals are in millions (`RMB_mn`, `USD_mn`), per-vehicle figures in currency units,
deliveries in vehicles, margins in percent unless a name ends in `_frac` (a 0-1 fraction).

Rows of `financials_quarterly.csv` carry a trust flag (see `lib.data.load_financials`). Where a
(company, period, metric) appears more than once, `pick_rows` keeps one, deterministically:
usable before uncertain/unverified/forecast; exact before rounded ("rounded", "approx", "about",
"nearly" in the note, or an estimate); stated before derived before estimate; more significant
digits first; then the source URL. Quarters missing from the file are filled from half-year,
nine-month and full-year totals (flag `derived`). Values flagged uncertain, unverified or
forecast are kept in tables but never drive a fit, a bridge or a headline number.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

FLAG_ORDER = {
    "stated": 0,
    "derived": 1,
    "estimate": 2,
    "uncertain": 3,
    "unverified": 4,
    "forecast": 5,
}
EXCLUDED_FLAGS = frozenset({"uncertain", "unverified", "forecast"})
FLAG_MARKS = {"derived": "d", "estimate": "e", "uncertain": "u", "unverified": "v", "forecast": "f"}
_ROUNDED = re.compile(r"^\s*~|\b(?:rounded|approx\w*|about|nearly)\b", re.IGNORECASE)
_QUARTER = re.compile(r"^\d{4}Q[1-4]$")
CURRENCY_OF_UNIT = {"RMB_mn": "RMB", "USD_mn": "USD", "RMB": "RMB", "USD": "USD"}
MIN_OWN_FIT_POINTS = 4  # fewer quarters than this: the learning curve borrows the peers' slope

# Which metrics make the "gross margin" of each basis: the whole company or the vehicle business.
BASIS_METRICS = {
    "total": {"revenue": "revenue", "margin": "gross_margin_pct"},
    "vehicle": {"revenue": "vehicle_revenue", "margin": "vehicle_margin_pct"},
}


# ---------------------------------------------------------------------------------------------
# Price-war events and policy changes (sourced in /shared/data/notes/facts_pricewar_global.md)


@dataclass(frozen=True)
class Event:
    """A dated price move or policy change marked on the time axis."""

    date: str  # YYYY-MM-DD (day 1 when the source gives only the month)
    kind: str  # "price cut" or "policy"
    label: str
    source_url: str


PRICE_WAR_EVENTS: tuple[Event, ...] = (
    Event("2023-01-06", "price cut", "Tesla cuts Model 3/Y in China by up to 13.5%",
          "https://insideevs.com/news/630106/tesla-model3-modely-prices-china-january2023/"),
    Event("2023-03-22", "policy", "Hubei subsidy wave; CAAM urges an end to the price-cut hype",
          "https://www.tellerreport.com/business/2023-03-22-china-association-of-automobile-manufacturers--rational-treatment-of-this-round-of-automobile-promotion-the-market-should-return-to-normal-order-as-soon-as-possible.rkgRsLXOe2.html"),
    Event("2023-08-14", "price cut", "Tesla cuts Model Y; 10+ brands follow within days",
          "https://cnevpost.com/2023/08/14/tesla-cuts-model-y-prices-in-china"),
    Event("2024-02-15", "price cut", "BYD 'Honor Edition' round: 15 models RMB20-30k cheaper",
          "https://dragonplusinsight.com/intense-price-war-china-car-prices-to-hit-3-year-high-in-2024"),
    Event("2024-04-22", "price cut", "Li Auto cuts all carry-over models",
          "https://www.laitimes.com/en/article/6mfi8_72rsv.html"),
    Event("2024-04-30", "policy", "Trade-in (scrappage) subsidy introduced",
          "https://rhomotion.com/news/china-extends-its-vehicle-trade-in-policy-scheme-in-a-boost-to-2025-ev-sales-industry-update/"),
    Event("2025-05-23", "price cut", "BYD cuts 22 models by up to 34%",
          "https://www.nbcnewyork.com/news/business/money-report/chinas-byd-sees-shares-plunge-8-as-ev-maker-cuts-prices/6277980/"),
    Event("2025-05-31", "policy", "MIIT pledges action on 'involution' price competition",
          "http://m.orobotics.cn/a/202505/31/WS683aac0aa310a04af22c2a0b.html"),
    Event("2025-06-11", "policy", "17 automakers pledge 60-day supplier payment",
          "https://www.globaltimes.cn/page/202506/1335887.shtml"),
    Event("2025-07-01", "policy", "Central commission orders action on low-price competition",
          "https://www.caixinglobal.com/2025-07-14/opinion-the-end-of-growth-at-all-costs-102341055.html"),
    Event("2026-01-01", "policy", "NEV purchase tax halved (5%, relief capped at RMB15k)",
          "https://www.steelorbis.com/steel-news/latest-news/purchase-of-nevs-to-implement-50-percent-reduction-in-taxation-since-jan-1-2026-1426630.htm"),
)  # fmt: skip


def events_table(first: pd.Period | None = None, last: pd.Period | None = None) -> pd.DataFrame:
    """Events as a table (date as Timestamp), optionally only those between two quarters."""
    table = pd.DataFrame([e.__dict__ for e in PRICE_WAR_EVENTS])
    table["date"] = pd.to_datetime(table["date"])
    if first is not None:
        table = table[table["date"] >= first.start_time]
    if last is not None:
        table = table[table["date"] <= last.end_time]
    return table.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Units


def currency_of(unit: str) -> str:
    """Currency of a money unit: RMB_mn -> RMB, USD_mn -> USD."""
    if unit not in CURRENCY_OF_UNIT:
        raise ValueError(
            f"unit {unit!r} is not money; expected one of {', '.join(CURRENCY_OF_UNIT)}"
        )
    return CURRENCY_OF_UNIT[unit]


def per_vehicle(amount_mn: float | pd.Series, vehicles: float | pd.Series) -> float | pd.Series:
    """Money per vehicle in currency units, from a total in millions and a vehicle count."""
    return amount_mn * 1e6 / vehicles


def pct_to_frac(pct: float | np.ndarray | pd.Series) -> float | np.ndarray | pd.Series:
    """Percent (15.0) to fraction (0.15)."""
    return pct / 100.0


def frac_to_pct(frac: float | np.ndarray | pd.Series) -> float | np.ndarray | pd.Series:
    """Fraction (0.15) to percent (15.0)."""
    return frac * 100.0


# ---------------------------------------------------------------------------------------------
# Choosing rows and checking names


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


def parse_peers(financials: pd.DataFrame, company: str, peers: str) -> list[str]:
    """Peers from a comma-separated string (empty = every other company), checked by name."""
    names = [p.strip() for p in peers.split(",") if p.strip()] or companies(financials)
    unknown = [p for p in names if p not in companies(financials)]
    if unknown:
        raise ValueError(
            f"peers: unknown company {', '.join(map(repr, unknown))}; known companies: {', '.join(companies(financials))}"
        )
    return [p for p in dict.fromkeys(names) if p != company]


def _significant_digits(value: float) -> int:
    digits = f"{abs(value):.6g}".replace(".", "").lstrip("0").rstrip("0")
    return len(digits)


def _choice_key(frame: pd.DataFrame) -> pd.DataFrame:
    note = frame["note"].fillna("").astype(str)
    return pd.DataFrame(
        {
            "excluded": frame["flag"].isin(EXCLUDED_FLAGS).astype(int),
            "rounded": (note.str.contains(_ROUNDED) | (frame["flag"] == "estimate")).astype(int),
            "flag_rank": frame["flag"].map(FLAG_ORDER),
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
    columns = [
        "company",
        "period",
        "metric",
        "value",
        "unit",
        "flag",
        "picked",
        "note",
        "source_url",
    ]
    return rows.sort_values(["company", "period_end", "metric", "picked"], ascending=[1, 1, 1, 0])[
        columns
    ].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Quarterly panel


def _quarters_of(period: str) -> tuple[int, tuple[int, ...]]:
    """The year and the quarters a period covers: 2025H1 -> (2025, (1, 2))."""
    year, rest = int(period[:4]), period[4:]
    if rest == "FY":
        return year, (1, 2, 3, 4)
    if rest in ("H1", "H2"):
        return year, (1, 2) if rest == "H1" else (3, 4)
    if "-" in rest:
        first, last = rest.replace("Q", "").split("-")
        return year, tuple(range(int(first), int(last) + 1))
    return year, (int(rest[1]),)


def _worse(*flags: str) -> str:
    return max(flags, key=FLAG_ORDER.__getitem__)


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
    """ "total" (company gross margin) when the data have it, else "vehicle" (e.g. Xiaomi EV)."""
    rows = financials[financials["company"] == check_company(financials, company)]
    return "total" if (rows["metric"] == "gross_margin_pct").any() else "vehicle"


def _totals(rows: pd.DataFrame, metric: str) -> dict[str, tuple[float, str]]:
    picked = rows[rows["metric"] == metric]
    return {
        p: (v, f) for p, v, f in zip(picked["period"], picked["value"], picked["flag"], strict=True)
    }


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
        ok = t[["revenue", "deliveries", "gross_margin_pct"]].notna().all(axis=1)
        for name in ("revenue", "deliveries", "gross_margin_pct"):
            ok &= ~t[f"{name}_flag"].isin(EXCLUDED_FLAGS)
        return t[ok]


def quarterly_panel(financials: pd.DataFrame, company: str) -> Panel:
    """Revenue, deliveries, gross and net margin, cash and per-vehicle figures by quarter.

    revenue, net_income, gross_profit, cash in currency millions; revenue_per_vehicle and
    cost_per_vehicle in currency units; margins in percent; cumulative deliveries in vehicles
    (`cum_deliveries` at quarter end, `cum_deliveries_mid` half-way through the quarter)."""
    check_company(financials, company)
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

    quarters = sorted(set(revenue) | set(deliveries) | set(net_income) | set(gross_profit))
    quarter_margins = {pd.Period(p, freq="Q"): e for p, e in margins.items() if _QUARTER.match(p)}
    quarters = sorted(set(quarters) | set(quarter_margins))
    index = pd.PeriodIndex(quarters, freq="Q", name="quarter")
    table = pd.DataFrame(index=index)

    def put(name: str, source: dict[pd.Period, tuple[float, str]]) -> None:
        table[name] = [source.get(q, (np.nan, None))[0] for q in index]
        table[f"{name}_flag"] = [source.get(q, (np.nan, None))[1] for q in index]

    put("revenue", revenue)
    put("deliveries", deliveries)
    put("net_income", net_income)
    put("gross_profit", gross_profit)
    gm = {}
    for q in index:
        if q in quarter_margins:
            gm[q] = quarter_margins[q]
        elif q in gross_profit and q in revenue and revenue[q][0]:
            gm[q] = (
                100 * gross_profit[q][0] / revenue[q][0],
                _worse("derived", gross_profit[q][1], revenue[q][1]),
            )
    put("gross_margin_pct", gm)
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


def _cumulative(
    rows: pd.DataFrame, deliveries: dict[pd.Period, tuple[float, str]]
) -> tuple[pd.Series, int | None]:
    """Cumulative deliveries at each quarter end, counted from the first year in the data.

    A year with all four quarters adds them one by one; a year with only a full-year total adds
    it at Q4. In a year with neither, the quarters known from Q1 on still count, and every later
    cumulative count is unknown. Values flagged
    uncertain or worse stop the count (they would taint every later point)."""
    annual = _totals(rows, "deliveries")
    annual = {int(p[:4]): e for p, e in annual.items() if p.endswith("FY")}
    years = sorted({q.year for q in deliveries} | set(annual))
    if not years:
        return pd.Series(dtype=float), None
    total, points = 0.0, {}
    for year in range(years[0], years[-1] + 1):
        quarters = [pd.Period(year=year, quarter=k, freq="Q") for k in (1, 2, 3, 4)]
        known = [deliveries.get(q) for q in quarters]
        usable = [e for e in known if e is not None and e[1] not in EXCLUDED_FLAGS]
        if len(usable) == 4:
            for q, (value, _) in zip(quarters, usable, strict=True):
                total += value
                points[q] = total
        elif year in annual and annual[year][1] not in EXCLUDED_FLAGS:
            running = total
            for q, entry in zip(quarters, known, strict=True):
                if entry is None or entry[1] in EXCLUDED_FLAGS:
                    break
                running += entry[0]
                points[q] = running
            total += annual[year][0]
            points[quarters[-1]] = total
        else:  # the known quarters from Q1 on still count; nothing after them does
            for q, entry in zip(quarters, known, strict=True):
                if entry is None or entry[1] in EXCLUDED_FLAGS:
                    break
                total += entry[0]
                points[q] = total
            break
    return pd.Series(points, dtype=float), years[0]


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
        raise ValueError(
            f"{name}: {quarter!r} is not a quarter; expected text like '2025Q4' (quarters with data for {panel.company}: {', '.join(usable)})"
        ) from None
    if str(period) not in usable:
        raise ValueError(
            f"{name}: no data for {panel.company} in {period} (revenue, deliveries and gross margin needed, none uncertain); quarters with data: {', '.join(usable)}"
        )
    return period


def base_quarter(panel: Panel, start: pd.Period) -> pd.Period:
    """Same quarter a year earlier if it has data, else the closest earlier quarter with data."""
    earlier = [q for q in panel.usable().index if q < start]
    if not earlier:
        raise ValueError(
            f"bridge_base_quarter: {panel.company} has no quarter with data before {start} to compare with"
        )
    year_ago = start - 4
    return (
        year_ago
        if year_ago in earlier
        else min(earlier, key=lambda q: (abs((q - year_ago).n), -q.ordinal))
    )


def annual_volume(panel: Panel, start: pd.Period) -> tuple[float, str]:
    """Deliveries in the four quarters up to `start` (vehicles), or 4x the quarter if unknown."""
    window = panel.table["deliveries"].reindex(pd.period_range(start - 3, start, freq="Q"))
    if window.notna().all():
        return float(window.sum()), f"deliveries {start - 3} to {start}"
    return float(4 * panel.table.loc[start, "deliveries"]), f"4 x deliveries in {start}"


# ---------------------------------------------------------------------------------------------
# Gross-profit bridge


@dataclass(frozen=True)
class Bridge:
    """Gross-profit change between two quarters, in currency millions; effects add up exactly."""

    base: pd.Period
    end: pd.Period
    base_gross_profit: float
    end_gross_profit: float
    effects: pd.Series  # name -> currency millions

    def table(self) -> pd.DataFrame:
        rows = [(f"Gross profit {self.base}", self.base_gross_profit)]
        rows += list(self.effects.items())
        rows.append((f"Gross profit {self.end}", self.end_gross_profit))
        return pd.DataFrame(rows, columns=["step", "value_mn"])


def gross_profit_bridge(
    volume: tuple[float, float],
    price: tuple[float, float],
    unit_cost: tuple[float, float],
    fixed_cost_share: float | None = None,
    periods: tuple[pd.Period, pd.Period] | None = None,
) -> Bridge:
    """Split GP1 - GP0 (GP = vehicles x (price - unit cost)) into effects, in currency millions.

    volume: vehicles; price and unit_cost: currency per vehicle, each as (base, end).
    volume = (N1 - N0)(p0 - c0); price/mix = N1 (p1 - p0); unit cost = -N1 (c1 - c0).
    With `fixed_cost_share` (0-1 fraction of base cost of sales that is fixed), the unit-cost
    effect splits into fixed-cost absorption -N1 (F/N1 - F/N0), F = share x N0 c0, and the rest."""
    (n0, n1), (p0, p1), (c0, c1) = volume, price, unit_cost
    effects = {
        "Volume": (n1 - n0) * (p0 - c0),
        "Price / mix": n1 * (p1 - p0),
    }
    unit_cost_effect = -n1 * (c1 - c0)
    if fixed_cost_share is None:
        effects["Unit cost"] = unit_cost_effect
    else:
        fixed = fixed_cost_share * n0 * c0
        absorption = -n1 * (fixed / n1 - fixed / n0)
        effects["Fixed-cost absorption"] = absorption
        effects["Other unit cost"] = unit_cost_effect - absorption
    base, end = periods if periods else (None, None)
    return Bridge(
        base,
        end,
        n0 * (p0 - c0) / 1e6,
        n1 * (p1 - c1) / 1e6,
        pd.Series(effects, dtype=float) / 1e6,
    )


def panel_bridge(
    panel: Panel, base: pd.Period, end: pd.Period, fixed_cost_share: float | None = None
) -> Bridge:
    """The gross-profit bridge between two quarters of a company's panel."""
    t = panel.table
    return gross_profit_bridge(
        (t.loc[base, "deliveries"], t.loc[end, "deliveries"]),
        (t.loc[base, "revenue_per_vehicle"], t.loc[end, "revenue_per_vehicle"]),
        (t.loc[base, "cost_per_vehicle"], t.loc[end, "cost_per_vehicle"]),
        fixed_cost_share,
        (base, end),
    )


# ---------------------------------------------------------------------------------------------
# Wright's law


def learning_rate_from_slope(slope: float | np.ndarray) -> float | np.ndarray:
    """Unit-cost fall per doubling of cumulative volume (0-1) from the log-log slope b: 1 - 2^b."""
    return 1 - np.power(2.0, slope)


def slope_from_learning_rate(rate: float | np.ndarray) -> float | np.ndarray:
    """Log-log slope b from a learning rate (0-1 fraction): log2(1 - rate)."""
    return np.log2(1 - np.asarray(rate, dtype=float))


@dataclass(frozen=True)
class WrightFit:
    """ln(unit cost) = a + b ln(cumulative deliveries); learning rate = 1 - 2^b (0-1)."""

    slope: float
    slope_se: float
    slope_ci: tuple[float, float]
    learning_rate: float
    learning_rate_ci: tuple[float, float]  # (low, high) at the 95% level
    n_points: int
    r_squared: float
    residual_sd: float  # in log points
    durbin_watson: float
    scope: str  # "own data" or "pooled peers (company fixed effects)"
    points: pd.DataFrame  # company, quarter, cum_deliveries_mid, cost_per_vehicle, fitted, residual
    intercepts: pd.Series  # company -> a

    def summary(self) -> pd.DataFrame:
        low, high = self.learning_rate_ci
        return pd.DataFrame(
            {
                "quantity": [
                    "learning rate (cost fall per doubling)",
                    "95% interval",
                    "log-log slope b (s.e.)",
                    "quarters in the fit",
                    "R squared",
                    "residual s.d. (log points)",
                    "Durbin-Watson (2 = no autocorrelation)",
                    "data used",
                ],
                "value": [
                    f"{100 * self.learning_rate:.1f}%",
                    f"{100 * low:.1f}% to {100 * high:.1f}%",
                    f"{self.slope:.3f} ({self.slope_se:.3f})",
                    f"{self.n_points}",
                    f"{self.r_squared:.2f}",
                    f"{self.residual_sd:.3f}",
                    f"{self.durbin_watson:.2f}",
                    self.scope,
                ],
            }
        )


def fit_wright(points: pd.DataFrame, level: float = 0.95) -> WrightFit:
    """Fit Wright's law by OLS in logs; several companies get their own intercept, one slope.

    points: columns company, cum_deliveries_mid (vehicles), cost_per_vehicle (currency units);
    optional quarter. Needs positive values and at least one residual degree of freedom."""
    frame = points.dropna(subset=["cum_deliveries_mid", "cost_per_vehicle"]).copy()
    frame = frame[(frame["cum_deliveries_mid"] > 0) & (frame["cost_per_vehicle"] > 0)]
    groups = sorted(frame["company"].unique())
    if len(frame) < len(groups) + 2:
        raise ValueError(
            f"too few quarters to fit a learning curve: {len(frame)} with unit cost and cumulative deliveries, need at least {len(groups) + 2}"
        )
    x = np.log(frame["cum_deliveries_mid"].to_numpy())
    dummies = pd.get_dummies(frame["company"]).reindex(columns=groups).astype(float).to_numpy()
    design = np.column_stack([x, dummies])
    model = sm.OLS(np.log(frame["cost_per_vehicle"].to_numpy()), design).fit()
    slope, se = float(model.params[0]), float(model.bse[0])
    t_crit = stats.t.ppf(0.5 + level / 2, model.df_resid)
    slope_ci = (slope - t_crit * se, slope + t_crit * se)
    frame["fitted"] = np.exp(model.fittedvalues)
    frame["residual"] = model.resid
    residual_order = frame.sort_values(["company", "cum_deliveries_mid"])["residual"].to_numpy()
    return WrightFit(
        slope=slope,
        slope_se=se,
        slope_ci=slope_ci,
        learning_rate=float(learning_rate_from_slope(slope)),
        learning_rate_ci=(
            float(learning_rate_from_slope(slope_ci[1])),
            float(learning_rate_from_slope(slope_ci[0])),
        ),
        n_points=len(frame),
        r_squared=float(model.rsquared) if len(groups) == 1 else _within_r2(frame, model),
        residual_sd=float(np.sqrt(model.scale)),
        durbin_watson=float(sm.stats.durbin_watson(residual_order)),
        scope="own data" if len(groups) == 1 else "pooled peers (company fixed effects)",
        points=frame.reset_index(drop=True),
        intercepts=pd.Series(model.params[1:], index=groups),
    )


def _within_r2(frame: pd.DataFrame, model) -> float:
    """R squared of the slope within companies (the fixed effects explain levels, not learning)."""
    y = np.log(frame["cost_per_vehicle"])
    demeaned = y - y.groupby(frame["company"]).transform("mean")
    return float(1 - np.sum(model.resid**2) / np.sum(demeaned**2))


def learning_points(panel: Panel, through: pd.Period) -> pd.DataFrame:
    """Usable quarters up to `through` with unit cost and cumulative deliveries (for the fit)."""
    usable = panel.usable()
    usable = usable[(usable.index <= through) & usable["cum_deliveries_mid"].notna()]
    return pd.DataFrame(
        {
            "company": panel.company,
            "quarter": usable.index,
            "cum_deliveries_mid": usable["cum_deliveries_mid"].to_numpy(),
            "cost_per_vehicle": usable["cost_per_vehicle"].to_numpy(),
        }
    )


def fit_company_learning(panels: dict[str, Panel], company: str, through: pd.Period) -> WrightFit:
    """Wright's law on the company's own quarters; with too few, the pooled slope of all makers."""
    own = learning_points(panels[company], through)
    if len(own) >= MIN_OWN_FIT_POINTS:
        return fit_wright(own)
    pooled = pd.concat(
        [
            learning_points(p, p.usable().index.max())
            for p in panels.values()
            if not p.usable().empty
        ]
    )
    counts = pooled.groupby("company")["quarter"].transform("size")
    return fit_wright(pooled[counts >= 2])


# ---------------------------------------------------------------------------------------------
# Break-even and scenarios


def check_margin(margin: float, name: str = "margin") -> float:
    if not -1 < margin < 1:
        raise ValueError(f"{name}: {margin!r} is not a 0-1 fraction; expected a value in (-1, 1)")
    return margin


def contribution_margin(gross_margin: float, fixed_cost_share: float) -> float:
    """Contribution margin (0-1) when a share (0-1) of cost of sales is fixed: m + s (1 - m)."""
    return gross_margin + fixed_cost_share * (1 - gross_margin)


def breakeven_volume_increase(margin: float, price_cut: float | np.ndarray) -> float | np.ndarray:
    """Volume increase (0-1 fraction) that keeps gross profit after a price cut: d / (m - d).

    margin: contribution margin m (0-1); price_cut: d (0-1). Where d >= m no volume is enough:
    the result is +inf."""
    cut = np.asarray(price_cut, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        needed = np.where(cut < margin, cut / (margin - cut), np.inf)
    return float(needed) if np.ndim(needed) == 0 else needed


def gross_margin_after(
    gross_margin: float,
    fixed_cost_share: float,
    price_cut: float | np.ndarray,
    volume_change: float | np.ndarray,
) -> np.ndarray:
    """Gross margin (0-1) after a price cut d and a volume change g, with fixed costs absorbed.

    Per vehicle, cost = (1 - m)[(1 - s) + s / (1 + g)] and price = 1 - d (today's price = 1)."""
    cost = (1 - gross_margin) * ((1 - fixed_cost_share) + fixed_cost_share / (1 + volume_change))
    return 1 - cost / (1 - price_cut)


def margin_grid(
    gross_margin: float, fixed_cost_share: float, price_cuts: np.ndarray, volume_changes: np.ndarray
) -> pd.DataFrame:
    """Gross margin (percent) on a grid: rows = volume change (%), columns = price cut (%)."""
    cuts, changes = np.meshgrid(price_cuts, volume_changes)
    values = frac_to_pct(gross_margin_after(gross_margin, fixed_cost_share, cuts, changes))
    return pd.DataFrame(
        values,
        index=pd.Index(np.round(frac_to_pct(volume_changes), 6), name="volume_change_pct"),
        columns=pd.Index(np.round(frac_to_pct(price_cuts), 6), name="price_cut_pct"),
    )


def make_grid(
    low_pct: float, high_pct: float, step_pct: float, name: str, bounds: tuple[float, float]
) -> np.ndarray:
    """An evenly spaced grid of fractions from percent bounds; clear errors when empty or out of range."""
    lower, upper = bounds
    if not (math.isfinite(low_pct) and math.isfinite(high_pct) and math.isfinite(step_pct)):
        raise ValueError(
            f"{name}: grid bounds must be finite numbers, got {low_pct}, {high_pct}, {step_pct}"
        )
    if step_pct <= 0:
        raise ValueError(f"{name}: step {step_pct!r}% must be positive")
    if high_pct < low_pct:
        raise ValueError(
            f"{name}: the grid is empty: from {low_pct}% to {high_pct}% (the upper end must not be below the lower end)"
        )
    if low_pct < lower or high_pct > upper:
        raise ValueError(
            f"{name}: grid {low_pct}% to {high_pct}% is out of range; expected values within [{lower}%, {upper}%]"
        )
    count = int(np.floor((high_pct - low_pct) / step_pct + 1e-9)) + 1
    return pct_to_frac(low_pct + step_pct * np.arange(count))


def estimate_fixed_cost_share(panel: Panel, through: pd.Period, quarters: int = 8) -> dict:
    """Fixed share (0-1) of cost of sales from OLS of quarterly cost of sales on deliveries.

    Uses up to `quarters` usable quarters up to `through`: cost = F + v N; the share is F over the
    cost of sales of `through`, with a 95% interval. Falling unit costs (learning) push F up, so
    read it as an upper bound."""
    usable = panel.usable()
    usable = usable[usable.index <= through].tail(quarters)
    cost_mn = usable["revenue"] * (1 - usable["gross_margin_pct"] / 100)
    if len(usable) < 3:
        raise ValueError(
            f"fixed_cost_share_pct: {panel.company} has {len(usable)} usable quarters up to {through}; at least 3 are needed to estimate it (set fixed_cost_share_pct instead)"
        )
    model = sm.OLS(cost_mn.to_numpy(), sm.add_constant(usable["deliveries"].to_numpy())).fit()
    low, high = model.conf_int(0.05)[0]
    latest_cost = float(cost_mn.loc[through])
    return {
        "share": float(model.params[0] / latest_cost),
        "low": float(low / latest_cost),
        "high": float(high / latest_cost),
        "quarters": f"{usable.index.min()} to {usable.index.max()}",
        "n": len(usable),
        "variable_cost_per_vehicle": float(model.params[1] * 1e6),
    }


def project_gross_margin(
    gross_margin: float,
    cum_mid_now: float,
    cum_mid_target: float,
    slope: float | np.ndarray,
    price_cut: float = 0.0,
) -> float | np.ndarray:
    """Gross margin (0-1) once cumulative deliveries reach `cum_mid_target`, by Wright's law.

    Unit cost scales by (X1 / X0)^b from today's (1 - m); price is today's times (1 - cut)."""
    factor = np.power(cum_mid_target / cum_mid_now, slope)
    return 1 - (1 - gross_margin) * factor / (1 - price_cut)


# ---------------------------------------------------------------------------------------------
# Who can afford a price war


def affordability_table(
    panels: dict[str, Panel], quarter_by_company: dict[str, pd.Period]
) -> pd.DataFrame:
    """One row per company at its latest quarter: margin cushion, cash, loss per vehicle.

    cushion_pp = gross margin in points: the price cut (at constant volume and unit cost) that
    takes gross profit to zero. cash_to_revenue_pct = latest cash / trailing-year revenue: the
    average price cut cash alone could fund for a year. Net income per vehicle is over the same
    four quarters. Each in the company's own currency and margin basis."""
    rows = []
    for company, quarter in quarter_by_company.items():
        panel = panels[company]
        t = panel.table
        window = pd.period_range(quarter - 3, quarter, freq="Q")
        year = t.reindex(window)
        full_year = year[["revenue", "net_income", "deliveries"]].notna().all().all()
        cash_rows = t.loc[t.index <= quarter, ["cash", "cash_flag"]].dropna()
        cash_rows = cash_rows[~cash_rows["cash_flag"].isin(EXCLUDED_FLAGS)]
        cash = float(cash_rows["cash"].iloc[-1]) if len(cash_rows) else np.nan
        revenue_year = float(year["revenue"].sum()) if full_year else np.nan
        flags = (
            set(year[["revenue_flag", "net_income_flag", "deliveries_flag"]].stack())
            if full_year
            else set()
        )
        flags.add(t.loc[quarter, "gross_margin_pct_flag"])
        rows.append(
            {
                "company": company,
                "quarter": str(quarter),
                "margin_basis": "vehicle margin"
                if panel.basis == "vehicle"
                else "gross margin (company)",
                "currency": panel.currency,
                "gross_margin_pct": float(t.loc[quarter, "gross_margin_pct"]),
                "cushion_pp": float(t.loc[quarter, "gross_margin_pct"]),
                "cash_mn": cash,
                "cash_as_of": str(cash_rows.index[-1]) if len(cash_rows) else "",
                "cash_to_revenue_pct": 100 * cash / revenue_year if revenue_year else np.nan,
                "net_income_per_vehicle": per_vehicle(
                    float(year["net_income"].sum()), float(year["deliveries"].sum())
                )
                if full_year
                else np.nan,
                "flags": ", ".join(sorted(f for f in flags if f and f != "stated")),
            }
        )
    return pd.DataFrame(rows)


def flagged(values: pd.Series, flags: pd.Series, fmt: str = "{:,.1f}") -> pd.Series:
    """Values formatted for a table with the flag letter of non-stated ones: 13.6 (d)."""
    out = []
    for value, flag in zip(values, flags, strict=True):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            out.append("")
            continue
        mark = FLAG_MARKS.get(flag or "", "")
        out.append(fmt.format(value) + (f" ({mark})" if mark else ""))
    return pd.Series(out, index=values.index)


# ---------------------------------------------------------------------------------------------
# The answer: gross margin at the target volume


def margin_at_target(
    panel: Panel,
    start: pd.Period,
    slope: float,
    slope_interval: tuple[float, float],
    target_volume: float,
    price_cuts: tuple[float, ...] = (0.0, 0.05, 0.10),
) -> pd.DataFrame:
    """Gross margin (percent) once a year is delivered at `target_volume` (vehicles a year).

    Unit cost follows Wright's law from the start quarter's mid-point of cumulative deliveries
    to the mid-point of the target year (cumulative at the start quarter's end + target / 2);
    price is the start quarter's revenue per vehicle less each cut (0-1). low/high use the ends
    of `slope_interval`. Without a cumulative count the unit cost stays where it is
    (`learning_applied` False in `attrs`)."""
    row = panel.table.loc[start]
    margin = pct_to_frac(float(row["gross_margin_pct"]))
    now, end = float(row["cum_deliveries_mid"]), float(row["cum_deliveries"])
    learning = math.isfinite(now) and math.isfinite(end) and now > 0
    target_mid = end + target_volume / 2 if learning else 1.0
    now = now if learning else 1.0
    slopes = (slope, *slope_interval) if learning else (0.0, 0.0, 0.0)
    rows = []
    for cut in price_cuts:
        point, *ends = (project_gross_margin(margin, now, target_mid, b, cut) for b in slopes)
        rows.append(
            {
                "case": "current price" if cut == 0 else f"{frac_to_pct(cut):g}% price cut",
                "price_cut_pct": frac_to_pct(cut),
                "gross_margin_pct": frac_to_pct(point),
                "low_pct": frac_to_pct(min(ends)),
                "high_pct": frac_to_pct(max(ends)),
                "unit_cost_change_pct": frac_to_pct(np.power(target_mid / now, slope) - 1),
            }
        )
    table = pd.DataFrame(rows)
    table.attrs.update(learning_applied=learning, cum_target_mid=target_mid if learning else np.nan)
    return table


# ---------------------------------------------------------------------------------------------
# Charts (each draws one figure and returns its Axes; the notebook shows them)


def _quarter_x(index: pd.PeriodIndex) -> pd.DatetimeIndex:
    """Plot quarters at their mid-point in time."""
    return index.start_time + (index.end_time - index.start_time) / 2


def mark_events(
    ax, events: pd.DataFrame, since: pd.Timestamp | None = None, within_days: int = 60
) -> None:
    """Vertical lines at event dates (dashed: price cut, dotted: policy), numbered at the top by
    their row in `events` (as in the event table), only those from `since` on; events closer
    than `within_days` share one label ("8-10")."""
    numbered = events.assign(number=range(1, len(events) + 1))
    if since is not None:
        numbered = numbered[numbered["date"] >= since]
    groups: list[list[tuple[int, pd.Timestamp]]] = []
    for number, date, kind in zip(
        numbered["number"], numbered["date"], numbered["kind"], strict=True
    ):
        ax.axvline(date, color="#555555", lw=0.8, ls="--" if kind == "price cut" else ":", zorder=0)
        if groups and (date - groups[-1][0][1]).days <= within_days:
            groups[-1].append((number, date))
        else:
            groups.append([(number, date)])
    for group in groups:
        first, last = group[0][0], group[-1][0]
        label = str(first) if first == last else f"{first}-{last}"
        ax.annotate(label, (group[0][1], 1.0), xycoords=("data", "axes fraction"), ha="left",
                    va="bottom", fontsize=8, color="#555555")  # fmt: skip


def plot_history(
    panels: dict[str, Panel],
    company: str,
    column: str,
    events: pd.DataFrame,
    *,
    title: str,
    ylabel: str,
    source: str,
    scale: float = 1.0,
):
    """One metric by quarter for the company (red, thick) and peers, from the company's first
    usable quarter; hollow markers = derived or estimated values; uncertain or worse left out."""
    import matplotlib.pyplot as plt
    import matplotlib.ticker as mticker

    from lib import plots

    fig, ax = plt.subplots()
    colors = plots.brand_colors(list(panels), focus=company)
    first = panels[company].usable().index.min()
    for name, panel in panels.items():
        t = panel.table[[column, f"{column}_flag"]].dropna(subset=[column])
        t = t[(t.index >= first) & ~t[f"{column}_flag"].isin(EXCLUDED_FLAGS)]
        if t.empty:
            continue
        x, y = _quarter_x(t.index), (t[column] * scale).to_numpy()
        soft = (t[f"{column}_flag"] != "stated").to_numpy()
        focus = name == company
        ax.plot(
            x, y, color=colors[name], lw=2.6 if focus else 1.3, label=name, zorder=3 if focus else 2
        )
        ax.scatter(x[~soft], y[~soft], color=colors[name], s=22 if focus else 12, zorder=4)
        ax.scatter(x[soft], y[soft], facecolors="white", edgecolors=colors[name], s=30, zorder=4)
    mark_events(ax, events, since=first.start_time)
    ax.yaxis.set_major_locator(mticker.MaxNLocator(steps=[1, 2, 5, 10], integer=True))
    ax.legend(fontsize=8.5, loc="center left", bbox_to_anchor=(1.0, 0.5))
    plots.finish(ax, title=title, ylabel=ylabel, source=source)
    return ax


def plot_industry_margin(margins: pd.DataFrame, cuts: pd.DataFrame, *, title: str, source: str):
    """Bars: industry sales profit margin by year (percent), hatched when flagged; the count of
    models with price cuts written inside the bars of the years that have one."""
    import matplotlib.pyplot as plt

    from lib import plots

    fig, ax = plt.subplots()
    soft = (margins["flag"] != "stated").to_numpy()
    years, values = margins["year"].to_numpy(), margins["value"].to_numpy()
    ax.bar(years[~soft], values[~soft], color=plots.REFERENCE_COLOR)
    ax.bar(years[soft], values[soft], color="white", edgecolor=plots.REFERENCE_COLOR, hatch="//")
    for year, value in zip(years, values, strict=True):
        ax.annotate(f"{value:.1f}%", (year, value), ha="center", va="bottom", fontsize=9)
    for year, count in zip(cuts["year"], cuts["value"], strict=True):
        top = float(values[years == year].max()) if (years == year).any() else 0.0
        ax.annotate(f"{count:.0f}\nmodels\ncut", (year, top / 2), ha="center", va="center",
                    fontsize=8, color="white")  # fmt: skip
    ax.set_xticks(years)
    plots.percent(ax)
    plots.finish(ax, title=title, xlabel="Year", ylabel="Sales profit margin (%)", source=source)
    return ax


def plot_bridge(bridge: Bridge, currency: str, *, title: str, source: str):
    """Waterfall: base gross profit, each effect, end gross profit (currency millions)."""
    import matplotlib.pyplot as plt

    from lib import plots

    table = bridge.table()
    fig, ax = plt.subplots()
    running = 0.0
    for i, value in enumerate(table["value_mn"]):
        total = i in (0, len(table) - 1)
        bottom = 0.0 if total else running
        if total:
            color = plots.NEUTRAL_COLOR
        else:
            color = plots.REFERENCE_COLOR if value >= 0 else plots.FOCUS_COLOR
        ax.bar(i, value, bottom=bottom, color=color, width=0.6)
        text = f"{value:,.0f}" if total else f"{value:+,.0f}"
        ax.annotate(text, (i, max(bottom, bottom + value)), ha="center", va="bottom", fontsize=9)
        running = value if total else running + value
    ax.axhline(0, color="#333333", lw=0.8)
    labels = [
        step.replace("Gross profit ", "Gross profit\n").replace(" ", "\n", 1)
        if len(step) > 12
        else step
        for step in table["step"]
    ]
    ax.set_xticks(range(len(table)), labels, fontsize=9)
    plots.thousands(ax)
    plots.finish(ax, title=title, ylabel=f"Gross profit ({currency} mn per quarter)", source=source)
    return ax


def plot_learning(
    fit: WrightFit,
    company: str,
    references: pd.DataFrame,
    currency: str,
    *,
    title: str,
    source: str,
):
    """Unit cost vs cumulative deliveries (log-log) with the fitted line, its 95% band from the
    slope interval, and lines at published battery learning rates from the first quarter."""
    import matplotlib.pyplot as plt
    import matplotlib.ticker as mticker

    from lib import plots

    own = fit.points[fit.points["company"] == company]
    if own.empty:
        raise ValueError(f"company: {company} has no quarter with cumulative deliveries to draw")
    fig, ax = plt.subplots()
    x = own["cum_deliveries_mid"].to_numpy()
    ax.scatter(
        x,
        own["cost_per_vehicle"],
        color=plots.FOCUS_COLOR,
        zorder=3,
        label=f"{company}, by quarter",
    )
    grid = np.geomspace(x.min(), x.max(), 50)
    anchor_x = float(np.exp(np.mean(np.log(x))))
    anchor_y = float(np.exp(fit.intercepts[company] + fit.slope * np.log(anchor_x)))
    ax.plot(grid, anchor_y * (grid / anchor_x) ** fit.slope, color=plots.FOCUS_COLOR,
            label=f"Wright fit: {100 * fit.learning_rate:.0f}% per doubling")  # fmt: skip
    ends = [anchor_y * (grid / anchor_x) ** b for b in fit.slope_ci]
    ax.fill_between(grid, np.minimum(*ends), np.maximum(*ends), color=plots.FOCUS_COLOR,
                    alpha=plots.INTERVAL_ALPHA, label="95% interval of the slope")  # fmt: skip
    first_y = float(own.sort_values("cum_deliveries_mid")["cost_per_vehicle"].iloc[0])
    for (name, rate), style in zip(
        references[["label", "rate"]].itertuples(index=False), ["--", ":", "-."], strict=False
    ):
        b = float(slope_from_learning_rate(rate))
        ax.plot(grid, first_y * (grid / x.min()) ** b, ls=style, color=plots.REFERENCE_COLOR, lw=1.2,
                label=f"{name}: {100 * rate:.0f}%")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(mticker.LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0, 7.0)))
        axis.set_minor_formatter(mticker.NullFormatter())
    plots.thousands(ax, "x")
    plots.thousands(ax, "y")
    ax.legend(fontsize=8.5, loc="lower left")
    plots.finish(ax, title=title, xlabel="Cumulative deliveries (vehicles, log scale)",
                 ylabel=f"Cost of sales per vehicle ({currency}, log scale)", source=source)  # fmt: skip
    return ax


def plot_breakeven(
    gross_margin: float, fixed_cost_share: float, price_cuts: np.ndarray, *, title: str, source: str
):
    """Volume increase (percent) that keeps gross profit, against the price cut (percent), for
    all cost of sales variable and for the fixed share absorbed; the 10% cut is marked."""
    import matplotlib.pyplot as plt
    import matplotlib.ticker as mticker

    from lib import plots

    fig, ax = plt.subplots()
    cap = 300.0
    with_fixed = contribution_margin(gross_margin, fixed_cost_share)
    lines = (
        (gross_margin, f"all cost of sales variable (m = {100 * gross_margin:.1f}%)", plots.FOCUS_COLOR),
        (with_fixed, f"{100 * fixed_cost_share:.0f}% of cost of sales fixed (m = {100 * with_fixed:.1f}%)",
         plots.REFERENCE_COLOR),
    )  # fmt: skip
    for margin, label, color in lines:
        needed = frac_to_pct(breakeven_volume_increase(margin, price_cuts))
        ax.plot(
            frac_to_pct(price_cuts),
            np.where(needed <= cap, needed, np.nan),
            color=color,
            lw=2,
            label=label,
        )
        at_ten = frac_to_pct(breakeven_volume_increase(margin, 0.10))
        if at_ten <= cap:
            ax.scatter([10.0], [at_ten], color=color, zorder=4)
            ax.annotate(
                f"{at_ten:.0f}%",
                (10.0, at_ten),
                xytext=(6, -4),
                textcoords="offset points",
                color=color,
                fontsize=9,
            )
    ax.axvline(10.0, color="#555555", lw=0.8, ls=":")
    ax.set_xlim(frac_to_pct(price_cuts.min()), frac_to_pct(price_cuts.max()))
    ax.set_ylim(0, cap)
    ax.xaxis.set_major_locator(mticker.MaxNLocator(steps=[1, 2, 5, 10], integer=True))
    plots.percent(ax)
    plots.percent(ax, "x")
    ax.legend(fontsize=9, loc="upper left")
    plots.finish(ax, title=title, xlabel="Price cut (% of revenue per vehicle)",
                 ylabel="Volume increase to keep gross profit (%)", source=source)  # fmt: skip
    return ax


def plot_margin_heatmap(
    grid: pd.DataFrame,
    current_margin_pct: float,
    target_change_pct: float,
    *,
    title: str,
    source: str,
):
    """Gross margin (percent) over price cut x volume change, the current margin's contour, the
    zero line, and the target volume's line (a note instead when it is off the grid)."""
    import matplotlib.pyplot as plt
    import matplotlib.ticker as mticker

    from lib import plots

    fig, ax = plt.subplots()
    cuts, changes, values = (
        grid.columns.to_numpy(float),
        grid.index.to_numpy(float),
        grid.to_numpy(),
    )
    limit = float(np.nanmax(np.abs(values)))
    mesh = ax.pcolormesh(
        cuts, changes, values, cmap="RdBu", vmin=-limit, vmax=limit, shading="nearest"
    )
    fig.colorbar(mesh, ax=ax, label="Gross margin (%)")
    if values.min() < current_margin_pct < values.max() and len(cuts) > 1 and len(changes) > 1:
        today = ax.contour(
            cuts, changes, values, levels=[current_margin_pct], colors="black", linewidths=1.8
        )
        ax.clabel(today, fmt=lambda v: f"today {v:.1f}%", fontsize=8.5)
    if values.min() < 0 < values.max() and len(cuts) > 1 and len(changes) > 1:
        zero = ax.contour(
            cuts, changes, values, levels=[0.0], colors="#555555", linestyles="--", linewidths=1
        )
        ax.clabel(zero, fmt=lambda v: "0%", fontsize=8)
    if changes.min() <= target_change_pct <= changes.max():
        ax.axhline(target_change_pct, color=plots.FOCUS_COLOR, lw=2)
        ax.annotate("target volume", (cuts.max(), target_change_pct), ha="right", va="bottom",
                    color=plots.FOCUS_COLOR, fontsize=9)  # fmt: skip
    else:
        ax.annotate(f"target volume ({target_change_pct:+.0f}%) is off the grid", (0.99, 0.02),
                    xycoords="axes fraction", ha="right", fontsize=9, color=plots.FOCUS_COLOR)  # fmt: skip
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(mticker.MaxNLocator(steps=[1, 2, 5, 10], integer=True))
    plots.percent(ax)
    plots.percent(ax, "x")
    plots.finish(ax, title=title, xlabel="Price cut (% of revenue per vehicle)",
                 ylabel="Volume change vs last four quarters (%)", source=source)  # fmt: skip
    return ax
