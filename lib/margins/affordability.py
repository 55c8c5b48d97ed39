"""Who can afford a price war: margin cushion, cash against revenue, loss per vehicle."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lib.margins.panel import EXCLUDED_FLAGS, Panel
from lib.margins.units import per_vehicle

YEAR_COLUMNS = ["revenue", "net_income", "deliveries"]


def _latest_cash(table: pd.DataFrame, quarter: pd.Period) -> tuple[float, str]:
    """The latest usable cash balance up to `quarter` (currency millions) and its quarter."""
    rows = table.loc[table.index <= quarter, ["cash", "cash_flag"]].dropna()
    rows = rows[~rows["cash_flag"].isin(EXCLUDED_FLAGS)]
    return (float(rows["cash"].iloc[-1]), str(rows.index[-1])) if len(rows) else (np.nan, "")


def affordability_row(panel: Panel, quarter: pd.Period) -> dict:
    """One company at `quarter`; figures over the four quarters to it, NaN when one is missing."""
    t = panel.table
    year = t.reindex(pd.period_range(quarter - 3, quarter, freq="Q"))
    full_year = bool(year[YEAR_COLUMNS].notna().all().all())
    cash, cash_as_of = _latest_cash(t, quarter)
    revenue_year = float(year["revenue"].sum()) if full_year else np.nan
    flags = set(year[[f"{c}_flag" for c in YEAR_COLUMNS]].stack()) if full_year else set()
    flags.add(t.loc[quarter, "gross_margin_pct_flag"])
    margin = float(t.loc[quarter, "gross_margin_pct"])
    per_car = (
        per_vehicle(float(year["net_income"].sum()), float(year["deliveries"].sum()))
        if full_year
        else np.nan
    )
    return {
        "company": panel.company,
        "quarter": str(quarter),
        "margin_basis": "vehicle margin" if panel.basis == "vehicle" else "company gross margin",
        "currency": panel.currency,
        "gross_margin_pct": margin,
        "cushion_pp": margin,
        "cash_mn": cash,
        "cash_as_of": cash_as_of,
        "cash_to_revenue_pct": 100 * cash / revenue_year if revenue_year else np.nan,
        "net_income_per_vehicle": per_car,
        "flags": ", ".join(sorted(f for f in flags if f and f != "stated")),
    }


def affordability_table(
    panels: dict[str, Panel], quarter_by_company: dict[str, pd.Period]
) -> pd.DataFrame:
    """One row per company at its latest quarter: margin cushion, cash, loss per vehicle.

    cushion_pp = gross margin in points: the price cut (at constant volume and unit cost) that
    takes gross profit to zero. cash_to_revenue_pct = latest cash / trailing-year revenue: the
    average price cut cash alone could fund for a year. Net income per vehicle is over the same
    four quarters. Each in the company's own currency and margin basis."""
    return pd.DataFrame([affordability_row(panels[c], q) for c, q in quarter_by_company.items()])
