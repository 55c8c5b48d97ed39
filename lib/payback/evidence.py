"""What is known: the sourced facts on going overseas, and the base case checked against the
broker figures on the maker's own venture that data/ventures.csv holds (a broker's profit
forecast at a volume; a broker's margins of one car imported and assembled in Europe). A maker
without such rows gets no check, never another maker's."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lib.payback.inputs import MARKET_ROWS, OTHER_COOPERATING_CVD_ROW, Inputs
from lib.payback.models import fixed_costs_rmb_mn, unit_economics
from lib.payback.uncertain import base_values
from lib.payback.ventures import maker_rows

OVERSEAS_METRICS = ("overseas_deliveries", "overseas_outlets", "export_share_pct")
FACT_COLUMNS = ["topic", "fact", "value", "unit", "as_of", "source", "note"]


def _text(value: object) -> str:
    return "" if pd.isna(value) else str(value)


def _reported(inputs: Inputs) -> list[dict]:
    """The maker's reported overseas figures in financials_quarterly.csv."""
    fin, company = inputs.tables.financials, inputs.maker.company
    if not company:
        return []
    picked = fin[(fin["company"] == company) & fin["metric"].isin(OVERSEAS_METRICS)]
    return [
        {
            "topic": f"{company}'s reported overseas figures",
            "fact": f"{r['metric'].replace('_', ' ')}, {r['period']}",
            "value": r["value"],
            "unit": r["unit"],
            "as_of": r["period"],
            "source": r["source_url"],
            "note": _text(r["note"]),
        }
        for _, r in picked.sort_values(["metric", "period_end"]).iterrows()
    ]


def _venture_fact(r: pd.Series) -> dict:
    """One row of ventures.csv for readers: a start month shows as its month, not a number."""
    where = ", ".join(x for x in (_text(r["country"]), r["route"].replace("_", " ")) if x)
    fact = r["fact"].replace("_", " ") + ("" if pd.isna(r["car"]) else f", {r['car'].upper()}")
    start = r["unit"] == "yyyymm"
    month = f"{int(r['value']) // 100}-{int(r['value']) % 100:02d}"
    return {
        "topic": f"{r['venture'].replace('_', ' ')} ({where})",
        "fact": f"{fact} ({r['quality']})" if r["quality"] != "stated" else fact,
        "value": float("nan") if start else r["value"],
        "unit": "month" if start else r["unit"],
        "as_of": month if start else _text(r["period"]),
        "source": r["source_url"],
        "note": _text(r["note"]),
    }


def _tariffs(inputs: Inputs) -> list[dict]:
    """The market-wide duty rows the model uses (the maker's EU duty group among them)."""
    cvd = inputs.maker.eu_cvd_row or OTHER_COOPERATING_CVD_ROW
    names = [cvd, *MARKET_ROWS.values()]
    table = inputs.tables.assumptions
    return [
        {
            "topic": "tariffs and taxes (market-wide)",
            "fact": name.replace("_", " "),
            "value": table.loc[name, "value"],
            "unit": table.loc[name, "unit"],
            "as_of": table.loc[name, "as_of"],
            "source": table.loc[name, "source_url"],
            "note": _text(table.loc[name, "note"]),
        }
        for name in dict.fromkeys(names)
        if name in table.index
    ]


def known_facts(inputs: Inputs) -> pd.DataFrame:
    """The sourced facts on going overseas: the maker's reported overseas rows, every fact of its
    ventures (data/ventures.csv), and the duties its cars pay. One row per fact (index topic,
    fact) with value, unit, as_of, source, note."""
    reported = pd.DataFrame(_reported(inputs), columns=FACT_COLUMNS)
    ventures = pd.DataFrame(
        [_venture_fact(r) for _, r in maker_rows(inputs.ventures).iterrows()], columns=FACT_COLUMNS
    )
    # The same figure often sits in both files (a reported overseas volume, and the venture row
    # that quotes it): show it once, as the maker reported it.
    figures = reported[["value", "unit"]].drop_duplicates()
    quoted = ventures.merge(figures, on=["value", "unit"], how="left", indicator=True)
    ventures = ventures[(quoted["_merge"] == "left_only").to_numpy()]
    tariffs = pd.DataFrame(_tariffs(inputs), columns=FACT_COLUMNS)
    frame = pd.concat([reported, ventures, tariffs], ignore_index=True)
    return frame.set_index(["topic", "fact"])


@dataclass(frozen=True)
class Check:
    """One broker figure next to the model's, same unit."""

    check: str
    broker: float
    model: float
    broker_source: str
    url: str


@dataclass(frozen=True)
class Calibration:
    """The base case against the broker figures on the maker's venture: a profit forecast per
    car at the broker's volume (`profit_per_car`), and one car's margins imported, assembled in
    Europe and the gain between them (`margins`: three checks). Either may be absent."""

    profit_per_car: Check | None
    margins: tuple[Check, ...]
    margin_car: str = ""
    margin_price_eur: float = 0.0

    @property
    def checks(self) -> tuple[Check, ...]:
        return ((self.profit_per_car,) if self.profit_per_car else ()) + self.margins


def _first(rows: pd.DataFrame, fact: str) -> pd.Series | None:
    found = rows[rows["fact"] == fact]
    return found.iloc[0] if len(found) else None


def _forecast(row: pd.Series) -> str:
    return f"{_text(row['note'])} [{row['quality']}]"


def _profit_check(inputs: Inputs, rows: pd.DataFrame, values: dict) -> Check | None:
    """The broker's forecast of the maker's venture profit, per car at its volume, against the
    base case's contribution less fixed costs at that volume (exported cars)."""
    profit, units = _first(rows, "broker_profit"), _first(rows, "broker_volume")
    share = _first(rows, "maker_share")
    if profit is None or units is None or share is None or profit["unit"] != "RMB_mn":
        return None
    broker = profit["value"] / (share["value"] / 100) / units["value"] * 1e6
    fixed = float(fixed_costs_rmb_mn(values, "europe"))
    model = float(unit_economics(values, "europe", local=False)["contribution"])
    model -= fixed * 1e6 / units["value"]
    return Check(
        f"venture profit per car at {units['value']:,.0f} cars a year (RMB)",
        broker,
        model,
        _forecast(profit),
        str(profit["source_url"]),
    )


def _margin_checks(rows: pd.DataFrame, values: dict) -> tuple[tuple[Check, ...], str, float]:
    """A broker's margins of one car imported and assembled in Europe, at the broker's price,
    against the model's for that car (its China price from the data)."""
    imported, assembled = (
        _first(rows, "broker_margin_imported"),
        _first(rows, "broker_margin_assembled"),
    )
    price = _first(rows, "broker_price")
    if imported is None or assembled is None or price is None or price["unit"] != "EUR":
        return (), "", 0.0
    car = imported["car"]
    china = rows[(rows["fact"] == "china_price") & (rows["car"] == car)]
    if china.empty:
        return (), "", 0.0
    priced = dict(values)
    priced["price_china_rmb"] = float(china.iloc[0]["value"])
    priced["europe_price_eur"] = float(price["value"])
    priced["europe_price_realization_pct"] = 0.0  # the broker's margin is at the list price
    margins = {}
    for local in (False, True):
        one = unit_economics(priced, "europe", local)
        margins[local] = 100 * float(one["contribution"] / one["revenue"])
    label = f"{car.upper()} at EUR {price['value'] / 1e3:,.0f}k"
    checks = (
        Check(
            f"{label}: margin imported (% of revenue)",
            float(imported["value"]),
            margins[False],
            _forecast(imported),
            str(imported["source_url"]),
        ),
        Check(
            f"{label}: margin assembled in Europe (% of revenue)",
            float(assembled["value"]),
            margins[True],
            _forecast(assembled),
            str(assembled["source_url"]),
        ),
        Check(
            f"{car.upper()}: margin gain from local assembly (pp)",
            float(assembled["value"] - imported["value"]),
            margins[True] - margins[False],
            _forecast(assembled),
            str(assembled["source_url"]),
        ),
    )
    return checks, car, float(price["value"])


def calibration(inputs: Inputs) -> Calibration:
    """The base case next to the broker figures on the maker's ventures it can be checked
    against (none: a Calibration without checks)."""
    values, rows = base_values(inputs.scenario), maker_rows(inputs.ventures)
    margins, car, price = _margin_checks(rows, values)
    return Calibration(_profit_check(inputs, rows, values), margins, car, price)
