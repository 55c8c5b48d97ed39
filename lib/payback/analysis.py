"""The whole analysis in one call: one car's economics on each route, the base case, the Monte
Carlo of every strategy the maker has a venture for (with and without the maker's factory
margin), the sensitivities and the evidence. `analyse(inputs)` returns the Analysis every chart,
table and sentence reads; `Analysis.record()` records its results."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib import results
from lib.finance import discounted_payback, irr, npv
from lib.payback import evidence, names, ventures
from lib.payback.inputs import Inputs
from lib.payback.models import (
    MARKET_NAMES,
    CashFlows,
    Strategy,
    Timeline,
    Values,
    break_even_units,
    cash_flows,
    china_car,
    unit_economics,
)
from lib.payback.simulation import (
    LONG_PAYBACK_YEARS,
    SHORT_PAYBACK_YEARS,
    PaybackSummary,
    Simulation,
    simulate,
    tornado,
)
from lib.payback.uncertain import Scenario, base_values

WATERFALL_STEPS = (
    ("list_price", "List price"),
    ("price_discount", "Discounts"),
    ("sales_tax", "VAT / sales tax"),
    ("dealer_margin", "Dealer margin"),
    ("factory_cost", "Factory cost"),
    ("maker_margin", "Maker's margin"),
    ("logistics", "Logistics"),
    ("duty", "Tariffs"),
    ("assembly", "Local assembly"),
    ("contribution", "Contribution"),
)
STEP_LABELS = dict(WATERFALL_STEPS)


@dataclass(frozen=True)
class UnitEconomics:
    """Base-case waterfall of one car, RMB per car: rows the steps from list price to contribution
    (deductions negative, each column sums to zero below its list price), columns the routes
    `china`, `exported` and `local` (their labels)."""

    table: pd.DataFrame
    china: str
    exported: str
    local: str

    def step(self, key: str, route: str) -> float:
        """One step (a WATERFALL_STEPS key) of one route (a column label), RMB per car."""
        return float(self.table.loc[STEP_LABELS[key], route])


def unit_economics_table(values: Values, market: str = "europe") -> UnitEconomics:
    """The waterfall of one car in China, exported to `market` and assembled there. The China
    car's contribution is the maker's gross profit; an overseas car earns the maker its margin on
    the sale to the venture ("Maker's margin") and the venture the contribution."""
    china = china_car(values)
    steps = {key: 0.0 for key, _ in WATERFALL_STEPS}
    routes = {
        "China": steps
        | {
            "list_price": china["list_price"],
            "price_discount": -china["dealer_discount"],
            "sales_tax": -china["sales_tax"],
            "factory_cost": -china["factory_cost"],
            "contribution": china["contribution"],
        }
    }
    labels = {
        False: f"{MARKET_NAMES[market]}, exported",
        True: f"{MARKET_NAMES[market]}, assembled locally",
    }
    for local, label in labels.items():
        car = unit_economics(values, market, local)
        routes[label] = {
            k: (car[k] if k in ("list_price", "contribution") else -car[k]) for k in steps
        }
    table = pd.DataFrame(
        {
            route: {k: float(np.mean(x)) for k, x in route_steps.items()}
            for route, route_steps in routes.items()
        }
    )
    table.index = [label for _, label in WATERFALL_STEPS]
    table.index.name = "RMB per car"
    return UnitEconomics(table, "China", labels[False], labels[True])


@dataclass(frozen=True)
class BaseCase:
    """Base-case (all inputs at their mode) NPV, IRR and discounted payback of each strategy."""

    flows: dict[str, CashFlows]

    @property
    def timeline(self) -> Timeline:
        return next(iter(self.flows.values())).timeline

    def payback_years(self, slug: str) -> float:
        flows = self.flows[slug]
        return float(discounted_payback(flows.maker[0], flows.rate[0]))

    def summary(self) -> pd.DataFrame:
        """Per strategy: label, npv_rmb_mn, irr_pct, payback_years (inf = never), discount_rate_pct."""
        rows = [
            {
                "strategy": slug,
                "label": flows.strategy.label,
                "npv_rmb_mn": float(npv(flows.maker[0], flows.rate[0])),
                "irr_pct": 100 * irr(flows.maker[0]),
                "payback_years": self.payback_years(slug),
                "discount_rate_pct": 100 * float(flows.rate[0]),
            }
            for slug, flows in self.flows.items()
        ]
        return pd.DataFrame(rows).set_index("strategy")


def base_case(
    scenario: Scenario,
    timeline: Timeline,
    strategies: Iterable[Strategy],
    include_factory_margin: bool = False,
) -> BaseCase:
    values = base_values(scenario)
    return BaseCase(
        {s.slug: cash_flows(values, s, timeline, include_factory_margin) for s in strategies}
    )


def best_strategy(summaries: Mapping[str, PaybackSummary]) -> str:
    """The strategy with the highest median NPV to the maker (ties: the shorter median payback)."""
    return max(summaries, key=lambda s: (summaries[s].median_npv, -summaries[s].median_payback))


def top_drivers(tornado_frame: pd.DataFrame, n: int = 2) -> list[str]:
    """Names of the inputs with the largest NPV swings, largest first."""
    return list(tornado_frame["input"].head(n))


def price_ratios(inputs: Inputs, rmb_per_eur: float) -> pd.Series:
    """European list price over Chinese list price of each of the maker's cars priced in both
    (ventures.csv), at `rmb_per_eur`."""
    ratios = {}
    for car in ventures.priced_cars(inputs.ventures):
        listed, china = ventures.price_rows(inputs.ventures, car)
        ratios[car] = listed["value"] * rmb_per_eur / china["value"]
    return pd.Series(ratios, name="Europe / China list price", dtype=float)


def _spread(low: float, high: float) -> dict:
    """An interval's ends for `results.record` (an end that is not finite: None), or none at all
    when the interval has no width: a range of zero width is never shown as an interval."""
    if low == high or (math.isfinite(low) and math.isfinite(high) and math.isclose(low, high)):
        return {}
    return {"low": _finite(low), "high": _finite(high)}


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class Analysis:
    """Every result the report shows. `simulation` counts the factory margin as the parameters
    say; `other` is the same draws counted the other way (the 'whose money' comparison);
    `calibration` is None when no broker figures on the maker's venture are in the data."""

    inputs: Inputs
    unit: UnitEconomics
    base: BaseCase
    simulation: Simulation
    other: Simulation
    summaries: dict[str, PaybackSummary]
    tornados: dict[str, pd.DataFrame]
    best: str
    calibration: evidence.Calibration
    facts: pd.DataFrame
    price_ratios: pd.Series
    break_even: dict[str, float]  # cars a year: europe_export, europe_local, sea_local

    @property
    def horizon(self) -> int:
        return self.inputs.timeline.horizon_years

    @property
    def with_margin(self) -> Simulation:
        return self.simulation if self.inputs.include_factory_margin else self.other

    @property
    def without_margin(self) -> Simulation:
        return self.other if self.inputs.include_factory_margin else self.simulation

    def strategy(self, slug: str) -> Strategy:
        return self.inputs.strategy(slug)

    def record(self) -> list[results.Result]:
        """Record the results (lib.results, names in lib.payback.names; roles for the summary)."""
        recorded, horizon, best = [], self.horizon, self.best
        never = f"n/a = never within the horizon ({horizon} years)"
        for slug, s in self.summaries.items():
            label, frame, name = (
                self.strategy(slug).phrase,
                self.tornados[slug],
                names.ROUTE_RESULTS[slug],
            )
            recorded += [
                results.record(
                    name["median_npv"],
                    s.median_npv,
                    "RMB_mn",
                    f"{label}: median NPV to the maker over the horizon [p10, p90]",
                    **_spread(s.npv_p10, s.npv_p90),
                ),
                results.record(
                    name["p_npv_negative"],
                    s.p_npv_negative,
                    "probability",
                    f"{label}: probability the NPV is below zero",
                ),
                results.record(
                    name["median_payback"],
                    _finite(s.median_payback),
                    "years",
                    f"{label}: median discounted payback [p10, p90]; {never}",
                    **_spread(s.payback_p10, s.payback_p90),
                    role="supporting" if slug in ("europe_assembly", "export") else None,
                ),
                results.record(
                    name["p_payback_short"],
                    s.p_payback_5y,
                    "probability",
                    f"{label}: probability of discounted payback within {SHORT_PAYBACK_YEARS} years",
                ),
                results.record(
                    name["p_payback_long"],
                    s.p_payback_8y,
                    "probability",
                    f"{label}: probability of discounted payback within {LONG_PAYBACK_YEARS} years",
                ),
                results.record(
                    name["top_driver"],
                    frame["input"].iloc[0] if len(frame) else "none",
                    "input",
                    f"{label}: the input whose p10-p90 range moves the NPV most",
                ),
            ]
        phrase = self.strategy(best).phrase
        recorded += [
            results.record(
                names.BEST_STRATEGY,
                best,
                "strategy",
                f"highest median NPV to the maker: {phrase}",
                role="supporting",
            ),
            results.record(
                names.BEST_ROUTE,
                self.strategy(best).label,
                "route",
                "the best route for readers (best_strategy is its slug)",
            ),
            results.record(
                names.BEST_P_PAYBACK_HORIZON,
                self.summaries[best].p_payback_horizon,
                "probability",
                f"{phrase}: probability of discounted payback within the {horizon}-year horizon",
                role="headline",
            ),
        ]
        return recorded


def analyse(inputs: Inputs) -> Analysis:
    """Run the analysis for checked `inputs` (see inputs.load)."""
    scenario, timeline = inputs.scenario, inputs.timeline
    margin, strategies = inputs.include_factory_margin, inputs.strategies
    simulation = simulate(
        scenario, timeline, inputs.n_sims, inputs.seed, strategies, include_factory_margin=margin
    )
    other = simulate(
        scenario,
        timeline,
        inputs.n_sims,
        inputs.seed,
        strategies,
        include_factory_margin=not margin,
    )
    summaries = simulation.summaries()
    values = base_values(scenario)
    break_even = {
        "europe_export": break_even_units(values, "europe", local=False),
        "europe_local": break_even_units(values, "europe", local=True),
    }
    if any(s.market == "sea" for s in strategies):
        break_even["sea_local"] = break_even_units(values, "sea", local=True)
    return Analysis(
        inputs=inputs,
        unit=unit_economics_table(values),
        base=base_case(scenario, timeline, strategies, include_factory_margin=margin),
        simulation=simulation,
        other=other,
        summaries=summaries,
        tornados={s.slug: tornado(scenario, s, timeline, margin) for s in strategies},
        best=best_strategy(summaries),
        calibration=evidence.calibration(inputs),
        facts=evidence.known_facts(inputs),
        price_ratios=price_ratios(inputs, values["rmb_per_eur"]),
        break_even=break_even,
    )
