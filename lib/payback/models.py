"""The cash-flow model: the economics of one car on each route, and a venture's yearly flows.

Time: flow index t = 0..H. t = 0 is the start of `start_year` and carries the upfront entry
investment, undiscounted; index t >= 1 is operating year t (calendar year start_year + t - 1). A
plant's capex is paid at the start of the calendar year its assembly starts. Money: inputs keep
their natural currency (EUR list prices, RMB China prices); the model works in RMB per car and RMB
millions a year. Perspective: the venture's cash flow is everything from the retail price down to
the price it pays the maker for its cars; the maker gets `maker_share_pct` of it and, if asked,
its own margin on the cars it sells to the venture. Every function is vectorized over draws.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from lib.finance import Value
from lib.payback.checks import MARKETS, parse_month, validate_inputs

Values = Mapping[str, "Value | str"]
MARKET_NAMES = {"europe": "Europe", "sea": "South-East Asia"}


@dataclass(frozen=True)
class Strategy:
    """Where the cars are built and sold: a market and whether a local plant assembles kits."""

    slug: str  # the route: export, europe_assembly or sea (result names carry it)
    label: str
    market: str  # "europe" or "sea"
    local_assembly: bool
    phrase: str  # the strategy inside a sentence


# The routes the model knows: (market, local assembly). Which a maker has, and where its plants
# are, come from its ventures (lib.payback.ventures).
ROUTES = {"export": ("europe", False), "europe_assembly": ("europe", True), "sea": ("sea", True)}


def route_strategy(slug: str, country: str = "") -> Strategy:
    """The strategy of route `slug`, its plant in `country` (the venture's, from the data)."""
    if slug not in ROUTES:
        raise KeyError(f"unknown strategy {slug!r}; known strategies: {', '.join(ROUTES)}")
    market, local = ROUTES[slug]
    if not local:
        return Strategy(
            slug,
            "Export from China, EU tariffs",
            market,
            local,
            "exporting from China over EU tariffs",
        )
    where = country or MARKET_NAMES[market]
    suffix = " for South-East Asia" if market == "sea" else ""
    return Strategy(
        slug, f"Assemble in {where}{suffix}", market, local, f"assembling in {where}{suffix}"
    )


@dataclass(frozen=True)
class Timeline:
    """Flow index t = 0..horizon_years; operating year t is calendar year start_year + t - 1."""

    start_year: int
    horizon_years: int

    def __post_init__(self) -> None:
        if not isinstance(self.horizon_years, int) or self.horizon_years < 1:
            raise ValueError(
                f"horizon_years must be a whole number >= 1, got {self.horizon_years!r}"
            )
        if not isinstance(self.start_year, int) or not 1900 <= self.start_year <= 2200:
            raise ValueError(f"start_year must be a year like 2026, got {self.start_year!r}")

    @property
    def calendar_years(self) -> np.ndarray:
        """Calendar year of each operating year (t = 1..H)."""
        return self.start_year + np.arange(self.horizon_years)


def plant_schedule(plant_start: str, timeline: Timeline, name: str = "plant_start") -> tuple:
    """(share of each operating year the plant runs, flow index of its capex or None).

    A plant starting in August runs 5/12 of that year. Capex is paid at the start of that
    calendar year (index 0 if it started before `start_year`); None if it starts after the horizon."""
    year, month = parse_month(plant_start, name)
    months_from_start = (timeline.calendar_years - year) * 12 + 12 - (month - 1)
    active = np.clip(months_from_start / 12.0, 0.0, 1.0)
    capex_index = max(0, year - timeline.start_year)
    return active, (capex_index if capex_index <= timeline.horizon_years - 1 else None)


def column(values: Values, name: str) -> np.ndarray:
    if name not in values:
        raise KeyError(f"missing model input {name!r}")
    return np.asarray(values[name], dtype=float)


def china_car(values: Values) -> dict[str, Value]:
    """One car sold in China, RMB per car. Its factory cost follows from the maker's gross margin:
    cost = revenue x (1 - margin), revenue = guide price x (1 - discount) / (1 + VAT)."""
    price = column(values, "price_china_rmb")
    after_discount = price * (1 - column(values, "china_discount_pct") / 100)
    revenue = after_discount / (1 + column(values, "china_vat_pct") / 100)
    cost = revenue * (1 - column(values, "china_margin_pct") / 100)
    return {
        "list_price": price,
        "sales_tax": after_discount - revenue,
        "dealer_discount": price - after_discount,
        "revenue": revenue,
        "factory_cost": cost,
        "contribution": revenue - cost,
    }


def transfer_price(values: Values) -> tuple[np.ndarray, np.ndarray]:
    """(factory cost of an export-spec car, price the venture pays the maker), RMB per car."""
    cost = china_car(values)["factory_cost"] * (1 + column(values, "unit_cost_change_pct") / 100)
    return cost, cost / (1 - column(values, "factory_margin_pct") / 100)


def list_price_rmb(values: Values, market: str) -> np.ndarray:
    """List price incl. sales tax in the market, RMB per car."""
    if market == "europe":
        return column(values, "europe_price_eur") * column(values, "rmb_per_eur")
    if market == "sea":
        return column(values, "price_china_rmb") * column(values, "sea_price_vs_china_pct") / 100
    raise KeyError(f"unknown market {market!r}; known markets: {', '.join(MARKETS)}")


DUTIES = {
    "europe": ("europe_cvd_pct", "europe_mfn_duty_pct"),
    "sea": ("sea_import_duty_pct", "sea_excise_pct"),
}


def duty_pct(values: Values, market: str) -> np.ndarray:
    """Import duties on a China-built car, % of its customs value (CIF)."""
    return sum(column(values, name) for name in DUTIES[market])


def unit_economics(values: Values, market: str, local: bool) -> dict[str, Value]:
    """One car sold in `market`, RMB per car: built in China and shipped whole (`local` False),
    or shipped as a kit and assembled in the market (`local` True).

    Duty is charged on the customs value: the price paid to the maker plus freight."""
    v = lambda name: column(values, f"{market}_{name}")  # noqa: E731
    fx = column(values, "rmb_per_eur")
    listed = list_price_rmb(values, market)
    retail = listed * (1 + v("price_realization_pct") / 100)
    net_of_tax = retail / (1 + v("sales_tax_pct") / 100)
    dealer = net_of_tax * v("dealer_margin_pct") / 100
    revenue = net_of_tax - dealer
    cost, paid_to_maker = transfer_price(values)
    logistics = v("logistics_eur") * fx * (v("kit_logistics_pct") / 100 if local else 1.0)
    duty_rate = v("kit_duty_pct") if local else duty_pct(values, market)
    duty = duty_rate / 100 * (paid_to_maker + logistics)
    assembly = v("assembly_eur") * fx if local else np.zeros_like(revenue)
    return {
        "list_price": listed,
        "price_discount": listed - retail,
        "sales_tax": retail - net_of_tax,
        "dealer_margin": dealer,
        "revenue": revenue,
        "factory_cost": cost,
        "maker_margin": paid_to_maker - cost,
        "logistics": logistics,
        "duty": duty,
        "assembly": assembly,
        "contribution": revenue - paid_to_maker - logistics - duty - assembly,
    }


def fixed_costs_rmb_mn(values: Values, market: str) -> np.ndarray:
    """The venture's fixed costs in `market`, RMB mn a year: outlets x cost per outlet + marketing."""
    v = lambda name: column(values, f"{market}_{name}")  # noqa: E731
    eur_mn = v("outlets") * v("outlet_cost_eur_k") / 1e3 + v("marketing_eur_mn")
    return eur_mn * column(values, "rmb_per_eur")


def break_even_units(values: Values, market: str, local: bool = False) -> float:
    """Cars a year at which the venture's contribution covers its fixed costs in `market` (base
    values, all cars exported or all assembled locally); inf when a car contributes nothing."""
    per_car = float(unit_economics(values, market, local)["contribution"])
    fixed = float(fixed_costs_rmb_mn(values, market)) * 1e6
    return fixed / per_car if per_car > 0 else math.inf


def volume_ramp(
    start: Value, growth_pct: Value, ceiling: Value, years: int, market: str = "europe"
) -> np.ndarray:
    """Cars sold in operating years 1..years: start x (1 + growth) ** (t - 1), capped at ceiling.

    Shape (..., years). Raises on negative volumes or a ceiling below the start, naming the
    market's parameters."""
    start, growth, ceiling = (np.asarray(x, dtype=float) for x in (start, growth_pct, ceiling))
    validate_inputs(
        {
            f"{market}_volume_start_units": start,
            f"{market}_volume_growth_pct": growth,
            f"{market}_volume_ceiling_units": ceiling,
        }
    )
    t = np.arange(years, dtype=float)
    return np.minimum(ceiling[..., None], start[..., None] * (1 + growth[..., None] / 100) ** t)


@dataclass(frozen=True)
class CashFlows:
    """A strategy's yearly cash flows; arrays (draws, H + 1) with t = 0 the upfront investment.

    Money in RMB millions; volumes in cars; `rate` the decimal discount rate per draw."""

    strategy: Strategy
    timeline: Timeline
    volume: np.ndarray
    local_units: np.ndarray
    contribution: np.ndarray
    fixed_costs: np.ndarray
    investment: np.ndarray
    maker_margin: np.ndarray
    venture: np.ndarray
    maker: np.ndarray
    rate: np.ndarray


def cash_flows(
    values: Values, strategy: Strategy, timeline: Timeline, include_factory_margin: bool = False
) -> CashFlows:
    """Yearly cash flows of `strategy` for every draw in `values` (vectorized over draws).

    Volume ramps from the market's start to its ceiling; with local assembly, cars up to the
    plant's capacity (pro rata in its first year) are assembled from kits and the rest exported.
    Investment: market entry at t = 0, plant capex at the start of its first year."""
    validate_inputs(values)
    m, horizon = strategy.market, timeline.horizon_years
    v = lambda name: column(values, f"{m}_{name}")  # noqa: E731
    draws = np.broadcast_shapes(*(np.shape(x) for x in values.values() if not isinstance(x, str)))
    size = int(np.prod(draws)) if draws else 1
    per_draw = lambda x: np.broadcast_to(np.asarray(x, dtype=float), (size,))[:, None]  # noqa: E731

    volume = volume_ramp(
        *(per_draw(v(f"volume_{x}"))[:, 0] for x in ("start_units", "growth_pct", "ceiling_units")),
        horizon,
        m,
    )
    local = np.zeros_like(volume)
    investment = np.zeros((size, horizon + 1))
    investment[:, 0] = per_draw(v("entry_investment_eur_mn") * column(values, "rmb_per_eur"))[:, 0]
    if strategy.local_assembly:
        active, capex_index = plant_schedule(
            values[f"{m}_plant_start"], timeline, f"{m}_plant_start"
        )
        local = np.minimum(volume, per_draw(v("plant_capacity_units")) * active)
        if capex_index is not None:
            investment[:, capex_index] += per_draw(v("plant_capex_rmb_mn"))[:, 0]
    whole, kit = unit_economics(values, m, local=False), unit_economics(values, m, local=True)
    contribution = (
        (volume - local) * per_draw(whole["contribution"]) + local * per_draw(kit["contribution"])
    ) / 1e6
    maker_margin = volume * per_draw(whole["maker_margin"]) / 1e6
    fixed = np.broadcast_to(per_draw(fixed_costs_rmb_mn(values, m)), volume.shape)

    pad = lambda x: np.concatenate([np.zeros((size, 1)), x], axis=1)  # noqa: E731
    venture = pad(contribution - fixed) - investment
    share = per_draw(column(values, "maker_share_pct") / 100)
    maker = share * venture + (pad(maker_margin) if include_factory_margin else 0.0)
    rate = per_draw((column(values, "discount_rate_pct") + v("risk_premium_pct")) / 100)[:, 0]
    return CashFlows(
        strategy,
        timeline,
        pad(volume),
        pad(local),
        pad(contribution),
        pad(fixed),
        investment,
        pad(maker_margin),
        venture,
        maker,
        rate,
    )
