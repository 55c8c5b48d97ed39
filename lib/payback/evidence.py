"""What is known: the sourced facts on going overseas, and the base case checked against the few
broker figures on the maker's overseas venture (a broker's profit per car, another's margins of
one car imported and assembled in Europe), as the sourced rows of assumptions.csv give them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lib.makers import Maker
from lib.payback.inputs import Setup, Tables
from lib.payback.models import fixed_costs_rmb_mn, unit_economics
from lib.payback.uncertain import base_values

OVERSEAS_METRICS = ("overseas_deliveries", "overseas_outlets", "export_share_pct")
# Topic -> prefixes of the assumptions.csv rows that belong to it.
FACT_TOPICS = {
    "the overseas venture: volumes, targets, outlets": ("overseas_", "export_share"),
    "prices Europe vs China": ("price_europe_", "price_china_"),
    "tariffs": ("eu_", "malaysia_cbu", "malaysia_ckd", "malaysia_sales"),
    "local assembly": ("spain_", "malaysia_assembly", "poland_", "italy_", "jinhua_"),
    "deal terms and broker views": ("stellantis_", "jv_", "t03_gm"),
}
# The European price Jefferies' T03 margins assume: the t03_gm_* rows say "at EUR20k" in their
# notes and carry no price of their own, so the check prices the car there too.
JEFFERIES_T03_PRICE_EUR = 20_000.0


def _text(value: object) -> str:
    return "" if pd.isna(value) else str(value)


def known_facts(maker: Maker, tables: Tables) -> pd.DataFrame:
    """The sourced facts on going overseas: the maker's reported overseas rows, then its overseas
    venture's volumes and outlets, prices in Europe against China, tariffs, assembly plans and
    deal terms. One row per fact (index topic, fact) with value, unit, as_of, source, note."""
    rows = []
    fin = tables.financials
    if maker.company:
        picked = fin[(fin["company"] == maker.company) & fin["metric"].isin(OVERSEAS_METRICS)]
        for _, r in picked.sort_values(["metric", "period_end"]).iterrows():
            rows.append(
                {
                    "topic": f"{maker.company}'s reported overseas figures",
                    "fact": f"{r['metric'].replace('_', ' ')}, {r['period']}",
                    "value": r["value"],
                    "unit": r["unit"],
                    "as_of": r["period"],
                    "source": r["source_url"],
                    "note": _text(r["note"]),
                }
            )
    assumptions = tables.assumptions
    for topic, prefixes in FACT_TOPICS.items():
        for name in assumptions.index:
            if name.startswith(prefixes):
                r = assumptions.loc[name]
                rows.append(
                    {
                        "topic": topic,
                        "fact": name.replace("_", " "),
                        "value": r["value"],
                        "unit": r["unit"],
                        "as_of": r["as_of"],
                        "source": r["source_url"],
                        "note": _text(r["note"]),
                    }
                )
    frame = pd.DataFrame(rows).drop_duplicates(["fact", "as_of"])
    # The same figure often sits in both files (a reported overseas volume, and the assumption
    # row that quotes it): show it once, as the maker reported it.
    figures = frame[frame["topic"].str.endswith("reported overseas figures")]
    quoted = frame.merge(
        figures[["value", "unit"]], on=["value", "unit"], how="left", indicator=True
    )
    repeated = (quoted["_merge"] == "both").to_numpy() & ~frame["topic"].str.endswith(
        "reported overseas figures"
    ).to_numpy()
    return frame[~repeated].set_index(["topic", "fact"])


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
    """The base case against the broker figures: CMBI's venture profit per car at its 2025 volume,
    and Jefferies' T03 margins imported, assembled in Europe, and the gain between them."""

    profit_per_car: Check
    t03_imported: Check
    t03_assembled: Check
    t03_gain: Check
    t03_price_eur: float

    @property
    def checks(self) -> tuple[Check, ...]:
        return (self.profit_per_car, self.t03_imported, self.t03_assembled, self.t03_gain)


def calibration(setup: Setup, tables: Tables) -> Calibration:
    """The base case next to the broker figures it can be checked against."""
    values = base_values(setup.scenario)
    share = tables.row("jv_profit_share_2025_cmbi_forecast_rmb_mn")
    units = tables.row("overseas_2025_cmbi_forecast_units")
    jv = tables.row(setup.maker.venture_share_row)
    cmbi_per_car = share.value / (jv.value / 100) / units.value * 1e6
    fixed = float(fixed_costs_rmb_mn(values, "europe"))
    model_per_car = float(unit_economics(values, "europe", local=False)["contribution"])
    model_per_car -= fixed * 1e6 / units.value
    t03 = dict(values)
    t03["price_china_rmb"] = tables.row("price_china_t03_rmb").value
    t03["europe_price_eur"] = JEFFERIES_T03_PRICE_EUR
    t03["europe_price_realization_pct"] = 0.0  # Jefferies' margin is at the list price
    margins = {}
    for local in (False, True):
        car = unit_economics(t03, "europe", local)
        margins[local] = 100 * float(car["contribution"] / car["revenue"])
    imported, assembled = tables.row("t03_gm_imported_pct"), tables.row("t03_gm_local_assembly_pct")
    price = f"T03 at EUR {JEFFERIES_T03_PRICE_EUR / 1e3:,.0f}k"
    cmbi_source = (
        f"CMBI FY25E: {setup.maker.display_name}'s share RMB {share.value:,.0f} mn / {jv.value:.0f}% / "
        f"{units.value:,.0f} cars [FORECAST]"
    )
    return Calibration(
        Check(
            f"venture profit per car at {units.value:,.0f} cars a year (RMB)",
            cmbi_per_car,
            model_per_car,
            cmbi_source,
            share.source_url,
        ),
        Check(
            f"{price}: margin imported (% of revenue)",
            imported.value,
            margins[False],
            "Jefferies, ~31% tariff [FORECAST]",
            imported.source_url,
        ),
        Check(
            f"{price}: margin assembled in Europe (% of revenue)",
            assembled.value,
            margins[True],
            "Jefferies [FORECAST]",
            assembled.source_url,
        ),
        Check(
            "T03: margin gain from local assembly (pp)",
            assembled.value - imported.value,
            margins[True] - margins[False],
            "Jefferies [FORECAST]",
            assembled.source_url,
        ),
        JEFFERIES_T03_PRICE_EUR,
    )
