"""Globalization payback: yearly cash flows of an overseas venture, NPV / IRR / discounted payback,
vectorized Monte Carlo over uncertain inputs, one-at-a-time sensitivities.

Conventions (the tests hold the code to them):
- Time: flow index t = 0..H. t = 0 is the start of `start_year` and carries the upfront entry
  investment, undiscounted. Index t >= 1 is operating year t (calendar year start_year + t - 1),
  its flow discounted as if received at its end: factor (1 + r) ** -t. A plant's capex is paid at
  the start of the calendar year its assembly starts (index start_year_of_plant - start_year).
- Money: inputs keep their natural currency (EUR list prices, RMB China prices); the model works in
  RMB per car and RMB millions a year (`RMB_mn`). Rates are percent in inputs (`*_pct`) and
  decimal fractions in the finance primitives (`rate`).
- Discounted payback: years from t = 0 until the cumulative discounted cash flow turns
  non-negative for good (stays >= 0 to the horizon), interpolated linearly inside that year.
  Never paying back within the horizon is `inf` (label "never within the horizon"), never a number.
- Perspective: the venture's cash flow is everything from the retail price down to the price the
  venture pays the maker for its cars; the maker gets `maker_share_pct` of it and, if asked, its
  own margin on the cars it sells to the venture.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lib import data, plots

Value = float | np.ndarray
MARKETS = ("europe", "sea")
DISTRIBUTIONS = ("triangular", "uniform")
SOURCED = -1  # a numeric parameter at -1 takes its sourced default from data/assumptions.csv
NEVER = "never within the horizon"
PLANT_START_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

# Deliveries brand key -> company name in financials_quarterly.csv (None: no financials).
# Makers named in the EU countervailing-duty regulation; the rest are taken as "other cooperating".
EU_CVD_ROW = {"byd": "eu_cvd_byd_pct", "tesla_china": "eu_cvd_tesla_pct"}
# Makers with their own guide-to-transaction discount row; the rest use the NEV market average.
DISCOUNT_ROW = {
    "leapmotor": "transaction_discount_leapmotor_pct",
    "aito_hima": "transaction_discount_aito_pct",
    "tesla_china": "transaction_discount_tesla_pct",
    "li_auto": "transaction_discount_li_auto_pct",
}


# ---------------------------------------------------------------------------------------------
# Finance primitives


def _check_rate(rate: Value, name: str = "discount rate") -> np.ndarray:
    rate = np.asarray(rate, dtype=float)
    if np.any(~np.isfinite(rate)) or np.any(rate <= -1):
        worst = float(np.nanmin(rate)) if np.any(np.isfinite(rate)) else float("nan")
        raise ValueError(
            f"{name} must be above -100% (a decimal above -1), got {worst:g}; "
            "at -100% or below every future flow would be worth infinity"
        )
    return rate


def discount_factors(rate: Value, horizon: int) -> np.ndarray:
    """Factors (1 + rate) ** -t for t = 0..horizon; shape (..., horizon + 1). `rate` is a decimal."""
    rate = _check_rate(rate)
    t = np.arange(horizon + 1, dtype=float)
    return (1.0 + rate[..., None]) ** -t


def npv(flows: np.ndarray, rate: Value) -> Value:
    """Net present value of `flows[..., t]`, t = 0..H: the first flow (t = 0) is NOT discounted.

    `rate` is a decimal (0.09 = 9%), one per row of `flows` or one for all."""
    flows = np.asarray(flows, dtype=float)
    value = np.sum(flows * discount_factors(rate, flows.shape[-1] - 1), axis=-1)
    return float(value) if np.ndim(value) == 0 else value


def irr(flows: Iterable[float]) -> float:
    """Internal rate of return (decimal) of yearly flows with the first at t = 0.

    NaN when no rate above -100% sets the NPV to zero (e.g. all flows of one sign); with
    several such rates (flows changing sign more than once) the one closest to zero."""
    flows = np.asarray(list(flows), dtype=float)
    if flows.ndim != 1 or flows.size < 2:
        raise ValueError(f"irr needs a 1-D series of at least 2 flows, got shape {flows.shape}")
    nonzero = np.flatnonzero(flows)
    if nonzero.size == 0:
        return float("nan")
    # NPV is a polynomial in x = 1 / (1 + r): sum_t flow_t x**t; IRRs are its positive real roots.
    trimmed = flows[: nonzero[-1] + 1]
    roots = np.roots(trimmed[::-1])
    real = roots[(np.abs(roots.imag) < 1e-9) & (roots.real > 0)].real
    if real.size == 0:
        return float("nan")
    rates = 1.0 / real - 1.0
    return float(rates[np.argmin(np.abs(rates))])


def discounted_payback(flows: np.ndarray, rate: Value) -> Value:
    """Years from t = 0 until the cumulative discounted cash flow is non-negative for good.

    Interpolated linearly inside the year it turns: k + (-cumulative_k) / discounted_flow_(k+1),
    where k is the last index with a negative cumulative. 0 when it never goes negative;
    `inf` when it is still negative at the horizon (never pays back within the horizon)."""
    flows = np.asarray(flows, dtype=float)
    discounted = flows * discount_factors(rate, flows.shape[-1] - 1)
    cumulative = np.cumsum(discounted, axis=-1)
    negative = cumulative < 0
    horizon = flows.shape[-1] - 1
    last_negative = horizon - np.argmax(negative[..., ::-1], axis=-1)
    any_negative = negative.any(axis=-1)
    never = any_negative & (last_negative == horizon)
    k = np.where(any_negative & ~never, last_negative, 0)
    shortfall = -np.take_along_axis(cumulative, k[..., None], axis=-1)[..., 0]
    recovered = np.take_along_axis(discounted, np.minimum(k + 1, horizon)[..., None], axis=-1)[
        ..., 0
    ]
    with np.errstate(divide="ignore", invalid="ignore"):
        years = k + shortfall / recovered
    years = np.where(any_negative, years, 0.0)
    years = np.where(never, np.inf, years)
    return float(years) if np.ndim(years) == 0 else years


def probability_label(probability: float) -> str:
    """A probability for readers: '42%', or 'under 1%' rather than a misleading '0%'."""
    return f"{probability:.0%}" if probability >= 0.005 else "under 1%"


def payback_label(years: float, digits: int = 1) -> str:
    """A payback for readers: '4.3 years', or 'never within the horizon' (inf or NaN)."""
    if years is None or not math.isfinite(years):
        return NEVER
    return f"{years:.{digits}f} years"


# ---------------------------------------------------------------------------------------------
# Uncertain inputs


@dataclass(frozen=True)
class Uncertain:
    """An input drawn from a distribution on [low, high] with its most likely value `mode`.

    `kind` "triangular" (min, mode, max) or "uniform" (min, max; the mode is then only the base
    case). low == high is a fixed value."""

    name: str
    low: float
    mode: float
    high: float
    kind: str = "triangular"

    def __post_init__(self) -> None:
        if self.kind not in DISTRIBUTIONS:
            raise ValueError(
                f"{self.name}: unknown distribution {self.kind!r}; expected one of {', '.join(DISTRIBUTIONS)}"
            )
        values = (self.low, self.mode, self.high)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            raise ValueError(f"{self.name}: min, mode and max must be finite numbers, got {values}")
        if self.low > self.high:
            raise ValueError(
                f"{self.name}: min {self.low:g} is above max {self.high:g}; "
                "expected [min, mode, max] with min <= mode <= max"
            )
        if not self.low <= self.mode <= self.high:
            raise ValueError(
                f"{self.name}: mode {self.mode:g} is outside [min {self.low:g}, max {self.high:g}]; "
                "expected [min, mode, max] with min <= mode <= max"
            )

    @classmethod
    def fixed(cls, name: str, value: float) -> Uncertain:
        return cls(name, float(value), float(value), float(value))

    @classmethod
    def from_parameter(cls, name: str, value: float | list[float], kind: str) -> Uncertain:
        """A notebook parameter: a number (fixed) or [min, mode, max]."""
        if isinstance(value, list | tuple):
            if len(value) != 3:
                raise ValueError(
                    f"{name}: expected [min, mode, max] (3 numbers), got {len(value)}: {value!r}"
                )
            return cls(name, *(float(v) for v in value), kind=kind)
        return cls.fixed(name, value)

    @property
    def is_fixed(self) -> bool:
        return self.low == self.high

    def quantile(self, u: Value) -> Value:
        """Inverse CDF at probabilities `u` in [0, 1] (vectorized)."""
        u = np.asarray(u, dtype=float)
        a, c, b = self.low, self.mode, self.high
        if self.is_fixed:
            return np.full(u.shape, a) if u.ndim else a
        if self.kind == "uniform":
            return a + u * (b - a)
        split = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
        x = np.where(u < split, left, right)
        return float(x) if x.ndim == 0 else x


Scenario = Mapping[str, "Uncertain | str"]


def base_values(scenario: Scenario) -> dict[str, float | str]:
    """The base case: every uncertain input at its mode; text inputs as they are."""
    return {k: v.mode if isinstance(v, Uncertain) else v for k, v in scenario.items()}


def sample(scenario: Scenario, n: int, seed: int) -> dict[str, Value | str]:
    """`n` joint draws of the uncertain inputs (independent), seeded; fixed inputs stay scalars.

    Draw order is the sorted input names, so a scenario gives the same draws every time."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n_sims must be a whole number >= 1, got {n!r}")
    rng = np.random.default_rng(seed)
    names = sorted(k for k, v in scenario.items() if isinstance(v, Uncertain) and not v.is_fixed)
    uniforms = rng.random((n, len(names)))
    values = base_values(scenario)
    for column, name in enumerate(names):
        values[name] = scenario[name].quantile(uniforms[:, column])
    return values


# ---------------------------------------------------------------------------------------------
# Strategies, timeline and validation


@dataclass(frozen=True)
class Strategy:
    """Where the cars are built and sold: a market and whether a local plant assembles kits."""

    slug: str
    label: str
    market: str  # "europe" or "sea"
    local_assembly: bool
    phrase: str  # the strategy inside a sentence


STRATEGIES = (
    Strategy("export", "Export from China, EU tariffs", "europe", False, "exporting from China over EU tariffs"),
    Strategy("spain", "Assemble in Spain", "europe", True, "assembling in Spain"),
    Strategy("sea", "Assemble in Malaysia for South-East Asia", "sea", True, "assembling in Malaysia for South-East Asia"),
)  # fmt: skip


def strategy(slug: str) -> Strategy:
    for candidate in STRATEGIES:
        if candidate.slug == slug:
            return candidate
    raise KeyError(
        f"unknown strategy {slug!r}; known strategies: {', '.join(s.slug for s in STRATEGIES)}"
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


def parse_month(text: str, name: str) -> tuple[int, int]:
    match = PLANT_START_PATTERN.match(str(text))
    if not match:
        raise ValueError(f"{name} must be a month as YYYY-MM (e.g. 2026-08), got {text!r}")
    return int(match.group(1)), int(match.group(2))


def plant_schedule(plant_start: str, timeline: Timeline, name: str = "plant_start") -> tuple:
    """(share of each operating year the plant runs, flow index of its capex or None).

    A plant starting in August runs 5/12 of that year. Capex is paid at the start of that
    calendar year (index 0 if it started before `start_year`); None if it starts after the horizon."""
    year, month = parse_month(plant_start, name)
    months_from_start = (timeline.calendar_years - year) * 12 + 12 - (month - 1)
    active = np.clip(months_from_start / 12.0, 0.0, 1.0)
    capex_index = max(0, year - timeline.start_year)
    return active, (capex_index if capex_index <= timeline.horizon_years - 1 else None)


# Lowest allowed value of each model input (inclusive unless noted): impossible inputs fail early.
NONNEGATIVE = (
    "price_china_rmb", "europe_price_eur", "sea_price_vs_china_pct",
    "europe_logistics_eur", "sea_logistics_eur", "europe_assembly_eur", "sea_assembly_eur",
    "europe_plant_capacity_units", "sea_plant_capacity_units",
    "europe_plant_capex_rmb_mn", "sea_plant_capex_rmb_mn",
    "europe_entry_investment_eur_mn", "sea_entry_investment_eur_mn",
    "europe_outlets", "sea_outlets", "europe_outlet_cost_eur_k", "sea_outlet_cost_eur_k",
    "europe_marketing_eur_mn", "sea_marketing_eur_mn",
    "europe_volume_start_units", "sea_volume_start_units",
    "europe_volume_ceiling_units", "sea_volume_ceiling_units",
    "europe_cvd_pct", "europe_mfn_duty_pct", "europe_kit_duty_pct", "sea_import_duty_pct",
    "sea_excise_pct", "sea_kit_duty_pct", "europe_kit_logistics_pct", "sea_kit_logistics_pct",
    "china_vat_pct", "europe_sales_tax_pct", "sea_sales_tax_pct", "china_discount_pct",
    "europe_dealer_margin_pct", "sea_dealer_margin_pct", "maker_share_pct",
)  # fmt: skip
BELOW_100 = (
    "china_discount_pct", "china_margin_pct", "factory_margin_pct",
    "europe_dealer_margin_pct", "sea_dealer_margin_pct",
)  # fmt: skip
ABOVE_MINUS_100 = (
    "discount_rate_pct", "unit_cost_change_pct", "europe_price_realization_pct", "sea_price_realization_pct",
    "europe_volume_growth_pct", "sea_volume_growth_pct", "china_margin_pct", "factory_margin_pct",
)  # fmt: skip
POSITIVE = ("rmb_per_eur", "rmb_per_usd")
VOLUME_PAIRS = {m: (f"{m}_volume_start_units", f"{m}_volume_ceiling_units") for m in MARKETS}


def _describe(value: Value) -> str:
    array = np.asarray(value, dtype=float)
    return (
        f"{float(array):g}"
        if array.ndim == 0
        else f"values from {array.min():g} to {array.max():g}"
    )


def validate_inputs(values: Mapping[str, Value | str]) -> None:
    """Raise ValueError naming the first impossible input: negative prices, volumes or costs,
    percentages out of range, a ceiling below the start, a discount rate at or below -100%."""
    for name, value in values.items():
        if isinstance(value, str):
            continue
        array = np.asarray(value, dtype=float)
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} must be a finite number, got {_describe(value)}")
        if name in NONNEGATIVE and np.any(array < 0):
            raise ValueError(
                f"{name} must be >= 0 (no negative volumes, prices or costs), got {_describe(value)}"
            )
        if name in BELOW_100 and np.any(array >= 100):
            raise ValueError(f"{name} must be below 100%, got {_describe(value)}")
        if name in ABOVE_MINUS_100 and np.any(array <= -100):
            raise ValueError(f"{name} must be above -100%, got {_describe(value)}")
        if name in POSITIVE and np.any(array <= 0):
            raise ValueError(f"{name} must be > 0, got {_describe(value)}")
    for start_name, ceiling_name in VOLUME_PAIRS.values():
        if start_name in values and ceiling_name in values:
            start, ceiling = np.asarray(values[start_name]), np.asarray(values[ceiling_name])
            if np.any(ceiling < start):
                raise ValueError(
                    f"{ceiling_name} ({_describe(ceiling)}) is below {start_name} ({_describe(start)}); "
                    "the volume ceiling must be at least the starting volume"
                )
    for market in MARKETS:
        key = f"{market}_risk_premium_pct"
        if "discount_rate_pct" in values and key in values:
            _check_rate(
                (np.asarray(values["discount_rate_pct"]) + np.asarray(values[key])) / 100,
                f"discount_rate_pct + {key}",
            )


def check_scenario(scenario: Scenario) -> None:
    """Validate a scenario before any work: each input's [min, mode, max] corners, and every
    ceiling range at or above its start range (so no draw has a ceiling below its start)."""
    for attribute in ("low", "mode", "high"):
        validate_inputs(
            {
                k: getattr(v, attribute) if isinstance(v, Uncertain) else v
                for k, v in scenario.items()
            }
        )
    for start_name, ceiling_name in VOLUME_PAIRS.values():
        if start_name in scenario and ceiling_name in scenario:
            start, ceiling = scenario[start_name], scenario[ceiling_name]
            if ceiling.low < start.high:
                raise ValueError(
                    f"{ceiling_name} min {ceiling.low:,.0f} is below {start_name} max {start.high:,.0f}; "
                    "every draw needs a ceiling at least its starting volume"
                )


# ---------------------------------------------------------------------------------------------
# Unit economics of one car


def _column(values: Mapping[str, Value | str], name: str) -> np.ndarray:
    if name not in values:
        raise KeyError(f"missing model input {name!r}")
    return np.asarray(values[name], dtype=float)


def china_car(values: Mapping[str, Value | str]) -> dict[str, Value]:
    """One car sold in China, RMB per car. Its factory cost follows from the maker's gross margin:
    cost = revenue x (1 - margin), revenue = guide price x (1 - discount) / (1 + VAT)."""
    v = lambda name: _column(values, name)  # noqa: E731
    price = v("price_china_rmb")
    after_discount = price * (1 - v("china_discount_pct") / 100)
    revenue = after_discount / (1 + v("china_vat_pct") / 100)
    cost = revenue * (1 - v("china_margin_pct") / 100)
    return {
        "list_price": price,
        "sales_tax": after_discount - revenue,
        "dealer_discount": price - after_discount,
        "revenue": revenue,
        "factory_cost": cost,
        "contribution": revenue - cost,
    }


def transfer_price(values: Mapping[str, Value | str]) -> tuple[np.ndarray, np.ndarray]:
    """(factory cost of an export-spec car, price the venture pays the maker), RMB per car."""
    cost = china_car(values)["factory_cost"] * (1 + _column(values, "unit_cost_change_pct") / 100)
    return cost, cost / (1 - _column(values, "factory_margin_pct") / 100)


def list_price_rmb(values: Mapping[str, Value | str], market: str) -> np.ndarray:
    """List price incl. sales tax in the market, RMB per car."""
    if market == "europe":
        return _column(values, "europe_price_eur") * _column(values, "rmb_per_eur")
    if market == "sea":
        return _column(values, "price_china_rmb") * _column(values, "sea_price_vs_china_pct") / 100
    raise KeyError(f"unknown market {market!r}; known markets: {', '.join(MARKETS)}")


def duty_pct(values: Mapping[str, Value | str], market: str) -> np.ndarray:
    """Import duties on a China-built car, % of its customs value (CIF)."""
    names = {
        "europe": ("europe_cvd_pct", "europe_mfn_duty_pct"),
        "sea": ("sea_import_duty_pct", "sea_excise_pct"),
    }
    return sum(_column(values, name) for name in names[market])


def unit_economics(values: Mapping[str, Value | str], market: str, local: bool) -> dict[str, Value]:
    """One car sold in `market`, RMB per car: built in China and shipped whole (`local` False),
    or shipped as a kit and assembled in the market (`local` True).

    Duty is charged on the customs value: the price paid to the maker plus freight."""
    v = lambda name: _column(values, f"{market}_{name}")  # noqa: E731
    fx = _column(values, "rmb_per_eur")
    listed = list_price_rmb(values, market)
    retail = listed * (1 + v("price_realization_pct") / 100)
    net_of_tax = retail / (1 + v("sales_tax_pct") / 100)
    dealer = net_of_tax * v("dealer_margin_pct") / 100
    revenue = net_of_tax - dealer
    cost, paid_to_maker = transfer_price(values)
    logistics = v("logistics_eur") * fx * (v("kit_logistics_pct") / 100 if local else 1.0)
    duty = (
        (v("kit_duty_pct") if local else duty_pct(values, market))
        / 100
        * (paid_to_maker + logistics)
    )
    assembly = v("assembly_eur") * fx if local else np.zeros_like(revenue)
    contribution = revenue - paid_to_maker - logistics - duty - assembly
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
        "contribution": contribution,
    }


def break_even_units(values: Mapping[str, Value | str], market: str, local: bool = False) -> float:
    """Cars a year at which the venture's contribution covers its fixed costs in `market` (base
    values, all cars exported or all assembled locally); inf when a car contributes nothing."""
    car = unit_economics(values, market, local)
    v = lambda name: float(_column(values, f"{market}_{name}"))  # noqa: E731
    fixed_eur = v("outlets") * v("outlet_cost_eur_k") * 1e3 + v("marketing_eur_mn") * 1e6
    per_car = float(car["contribution"])
    return fixed_eur * float(_column(values, "rmb_per_eur")) / per_car if per_car > 0 else math.inf


def price_ratios(assumptions: pd.DataFrame, rmb_per_eur: float) -> pd.Series:
    """European list price over Chinese list price of each car with both prices sourced."""
    rows = assumptions["value"]
    return pd.Series(
        {
            car: rows[f"price_europe_{car}_eur"] * rmb_per_eur / rows[f"price_china_{car}_rmb"]
            for car in car_models(assumptions)
        },
        name="Europe / China list price",
    )


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


def unit_economics_table(values: Mapping[str, Value | str], market: str = "europe") -> pd.DataFrame:
    """Base-case waterfall of one car, RMB per car: China, export to `market`, local assembly.

    Rows are the steps from list price to contribution (deductions negative), so each column sums
    to zero below its list price. The contribution of the China car is the maker's gross profit;
    an overseas car earns the maker its margin on the sale to the venture ("Maker's margin") and
    the venture the contribution."""
    china = china_car(values)
    routes = {
        "China": {
            "list_price": china["list_price"],
            "price_discount": -china["dealer_discount"],
            "sales_tax": -china["sales_tax"],
            "dealer_margin": 0.0,
            "factory_cost": -china["factory_cost"],
            "maker_margin": 0.0,
            "logistics": 0.0,
            "duty": 0.0,
            "assembly": 0.0,
            "contribution": china["contribution"],
        }
    }
    for label, local in (
        (f"{_market_name(market)}, exported", False),
        (f"{_market_name(market)}, assembled locally", True),
    ):
        car = unit_economics(values, market, local)
        routes[label] = {
            key: (car[key] if key == "list_price" else -car[key])
            for key, _ in WATERFALL_STEPS
            if key != "contribution"
        }
        routes[label]["contribution"] = car["contribution"]
    table = pd.DataFrame(
        {route: {k: float(np.mean(x)) for k, x in steps.items()} for route, steps in routes.items()}
    )
    table.index = [label for _, label in WATERFALL_STEPS]
    table.index.name = "RMB per car"
    return table


def _market_name(market: str) -> str:
    return {"europe": "Europe", "sea": "South-East Asia"}[market]


# ---------------------------------------------------------------------------------------------
# Yearly cash flows


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

    def table(self, row: int = 0) -> pd.DataFrame:
        """One draw's yearly model as a table (RMB mn, cars), t = 0 first."""
        years = [f"start of {self.timeline.start_year}", *map(str, self.timeline.calendar_years)]
        factors = discount_factors(self.rate[row], self.timeline.horizon_years)
        frame = pd.DataFrame(
            {
                "t": np.arange(self.timeline.horizon_years + 1),
                "year": years,
                "cars sold": np.round(self.volume[row]),
                "of which assembled locally": np.round(self.local_units[row]),
                "contribution": self.contribution[row],
                "fixed costs": -self.fixed_costs[row],
                "investment": -self.investment[row],
                "venture cash flow": self.venture[row],
                "maker cash flow": self.maker[row],
                "discounted": self.maker[row] * factors,
            }
        )
        frame["cumulative discounted"] = frame["discounted"].cumsum()
        return frame.set_index("t")


def cash_flows(
    values: Mapping[str, Value | str],
    strategy: Strategy,
    timeline: Timeline,
    include_factory_margin: bool = False,
) -> CashFlows:
    """Yearly cash flows of `strategy` for every draw in `values` (vectorized over draws).

    Volume ramps from the market's start to its ceiling; with local assembly, cars up to the
    plant's capacity (pro rata in its first year) are assembled from kits and the rest exported.
    Fixed costs: outlets x cost per outlet + marketing, every year. Investment: market entry at
    t = 0, plant capex at the start of its first year."""
    validate_inputs(values)
    m, horizon = strategy.market, timeline.horizon_years
    v = lambda name: _column(values, f"{m}_{name}")  # noqa: E731
    fx = _column(values, "rmb_per_eur")
    draws = np.broadcast_shapes(*(np.shape(x) for x in values.values() if not isinstance(x, str)))
    size = int(np.prod(draws)) if draws else 1
    column = lambda x: np.broadcast_to(np.asarray(x, dtype=float), (size,))[:, None]  # noqa: E731

    volume = volume_ramp(
        column(v("volume_start_units"))[:, 0],
        column(v("volume_growth_pct"))[:, 0],
        column(v("volume_ceiling_units"))[:, 0],
        horizon,
        m,
    )
    local = np.zeros_like(volume)
    investment = np.zeros((size, horizon + 1))
    investment[:, 0] = column(v("entry_investment_eur_mn") * fx)[:, 0]
    if strategy.local_assembly:
        active, capex_index = plant_schedule(
            values[f"{m}_plant_start"], timeline, f"{m}_plant_start"
        )
        local = np.minimum(volume, column(v("plant_capacity_units")) * active)
        if capex_index is not None:
            investment[:, capex_index] += column(v("plant_capex_rmb_mn"))[:, 0]
    exported = volume - local
    whole, kit = unit_economics(values, m, local=False), unit_economics(values, m, local=True)
    contribution = (
        exported * column(whole["contribution"]) + local * column(kit["contribution"])
    ) / 1e6
    maker_margin = volume * column(whole["maker_margin"]) / 1e6
    fixed = column((v("outlets") * v("outlet_cost_eur_k") / 1e3 + v("marketing_eur_mn")) * fx)
    fixed = np.broadcast_to(fixed, volume.shape)

    pad = lambda x: np.concatenate([np.zeros((size, 1)), x], axis=1)  # noqa: E731
    venture = pad(contribution - fixed) - investment
    share = column(_column(values, "maker_share_pct") / 100)
    maker = share * venture + (pad(maker_margin) if include_factory_margin else 0.0)
    rate = column((_column(values, "discount_rate_pct") + v("risk_premium_pct")) / 100)[:, 0]
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


# ---------------------------------------------------------------------------------------------
# Base case, Monte Carlo and sensitivities


@dataclass(frozen=True)
class BaseCase:
    """Base-case (all inputs at their mode) NPV, IRR and discounted payback of each strategy."""

    flows: dict[str, CashFlows]

    def summary(self) -> pd.DataFrame:
        rows = []
        for slug, flows in self.flows.items():
            payback = float(discounted_payback(flows.maker[0], flows.rate[0]))
            rows.append(
                {
                    "strategy": slug,
                    "label": flows.strategy.label,
                    "npv_rmb_mn": float(npv(flows.maker[0], flows.rate[0])),
                    "irr_pct": 100 * irr(flows.maker[0]),
                    "payback_years": payback,
                    "payback": payback_label(payback),
                    "discount_rate_pct": 100 * float(flows.rate[0]),
                }
            )
        return pd.DataFrame(rows).set_index("strategy")


def base_case(
    scenario: Scenario,
    timeline: Timeline,
    strategies: Iterable[Strategy] = STRATEGIES,
    include_factory_margin: bool = False,
) -> BaseCase:
    values = base_values(scenario)
    return BaseCase(
        {s.slug: cash_flows(values, s, timeline, include_factory_margin) for s in strategies}
    )


@dataclass(frozen=True)
class PaybackSummary:
    """Distribution of one strategy's NPV (RMB mn, to the maker) and discounted payback (years)."""

    median_npv: float
    npv_p10: float
    npv_p90: float
    p_npv_negative: float
    median_payback: float  # inf when more than half the draws never pay back
    payback_p10: float
    payback_p90: float
    p_payback_5y: float
    p_payback_8y: float
    p_payback_horizon: float
    n: int

    def standard_error(self, probability: float) -> float:
        """Monte Carlo standard error of an estimated probability."""
        return math.sqrt(probability * (1 - probability) / self.n)


def summarize(npv_draws: np.ndarray, payback_draws: np.ndarray) -> PaybackSummary:
    """Median and p10/p90 of NPV and payback; probabilities of loss and of payback by 5 and 8
    years and within the horizon. Quantiles of payback may be inf (never pays back)."""
    npv_draws, payback_draws = np.asarray(npv_draws), np.asarray(payback_draws)
    p10, p50, p90 = np.quantile(npv_draws, [0.1, 0.5, 0.9])
    # method "lower"/"higher" keep quantiles on actual draws, so inf stays inf, never NaN
    q = lambda p: float(np.quantile(payback_draws, p, method="higher"))  # noqa: E731
    return PaybackSummary(
        median_npv=float(p50),
        npv_p10=float(p10),
        npv_p90=float(p90),
        p_npv_negative=float(np.mean(npv_draws < 0)),
        median_payback=q(0.5),
        payback_p10=float(np.quantile(payback_draws, 0.1, method="lower")),
        payback_p90=q(0.9),
        p_payback_5y=float(np.mean(payback_draws <= 5)),
        p_payback_8y=float(np.mean(payback_draws <= 8)),
        p_payback_horizon=float(np.mean(np.isfinite(payback_draws))),
        n=int(npv_draws.size),
    )


@dataclass(frozen=True)
class Simulation:
    """Monte Carlo draws of each strategy: NPV to the maker (RMB mn) and payback (years, inf = never)."""

    npv: dict[str, np.ndarray]
    payback: dict[str, np.ndarray]
    n_sims: int
    seed: int

    def summaries(self) -> dict[str, PaybackSummary]:
        return {slug: summarize(self.npv[slug], self.payback[slug]) for slug in self.npv}

    def summary(self) -> pd.DataFrame:
        rows = {slug: vars(s) for slug, s in self.summaries().items()}
        return pd.DataFrame(rows).T.drop(columns="n")


def simulate(
    scenario: Scenario,
    timeline: Timeline,
    n_sims: int,
    seed: int,
    strategies: Iterable[Strategy] = STRATEGIES,
    include_factory_margin: bool = False,
) -> Simulation:
    """Vectorized Monte Carlo: the same `n_sims` draws (common random numbers) for every strategy."""
    check_scenario(scenario)
    values = sample(scenario, n_sims, seed)
    npvs, paybacks = {}, {}
    for s in strategies:
        flows = cash_flows(values, s, timeline, include_factory_margin)
        npvs[s.slug] = npv(flows.maker, flows.rate)
        paybacks[s.slug] = discounted_payback(flows.maker, flows.rate)
    return Simulation(npvs, paybacks, n_sims, seed)


def tornado(
    scenario: Scenario,
    strategy: Strategy,
    timeline: Timeline,
    include_factory_margin: bool = False,
    quantiles: tuple[float, float] = (0.1, 0.9),
) -> pd.DataFrame:
    """One-at-a-time sensitivity of the base-case NPV (RMB mn): each uncertain input moved to its
    p10 and p90 with all others at their mode. Inputs that do not move the NPV are left out;
    sorted by swing, largest first. One vectorized model run for all inputs."""
    uncertain = sorted(
        k for k, v in scenario.items() if isinstance(v, Uncertain) and not v.is_fixed
    )
    base = base_values(scenario)
    rows = 1 + 2 * len(uncertain)
    values: dict[str, Value | str] = {
        k: (np.full(rows, v) if k in uncertain else v) for k, v in base.items()
    }
    for i, name in enumerate(uncertain):
        low, high = (float(scenario[name].quantile(q)) for q in quantiles)
        values[name][1 + 2 * i] = low
        values[name][2 + 2 * i] = high
    flows = cash_flows(values, strategy, timeline, include_factory_margin)
    result = npv(flows.maker, flows.rate)
    frame = pd.DataFrame(
        {
            "input": uncertain,
            "low_value": [values[n][1 + 2 * i] for i, n in enumerate(uncertain)],
            "high_value": [values[n][2 + 2 * i] for i, n in enumerate(uncertain)],
            "npv_at_low": result[1::2],
            "npv_at_high": result[2::2],
        }
    )
    frame["swing"] = (frame["npv_at_high"] - frame["npv_at_low"]).abs()
    frame.attrs["base_npv"] = float(result[0])
    moving = frame[frame["swing"] > 1e-9 * max(1.0, abs(float(result[0])))]
    return moving.sort_values("swing", ascending=False, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# Notebook parameters: sourced defaults, labels and the scenario they make


@dataclass(frozen=True)
class ParameterSpec:
    """A notebook parameter that is a model input: unit, meaning and where its default comes from.

    `sourced`: the assumptions.csv row(s) a value of -1 (or "") resolves to; `anchors`: sourced
    rows a literal default was chosen from; neither: an assumption with no source."""

    unit: str
    meaning: str
    sourced: bool = False
    anchors: tuple[str, ...] = ()


def _spec(unit: str, meaning: str, *anchors: str, sourced: bool = False) -> ParameterSpec:
    return ParameterSpec(unit, meaning, sourced, anchors)


MODEL_PARAMETERS: dict[str, ParameterSpec] = {
    "discount_rate_pct": _spec("%", "cost of capital before country risk"),
    "price_china_rmb": _spec("RMB", "China guide price of the car", sourced=True),
    "china_discount_pct": _spec("%", "transaction discount off the China guide price", sourced=True),
    "china_vat_pct": _spec("%", "China VAT included in the guide price"),
    "china_margin_pct": _spec("%", "maker's gross margin on a China sale (sets the factory cost)", sourced=True),
    "factory_margin_pct": _spec("%", "maker's margin in the price the venture pays for a car", sourced=True),
    "unit_cost_change_pct": _spec("%", "cost of the export-spec car vs the China car", "t03_gm_imported_pct"),
    "maker_share_pct": _spec("%", "maker's share of the venture's profit and investment", sourced=True),
    "rmb_per_eur": _spec("RMB/EUR", "exchange rate"),
    "rmb_per_usd": _spec("RMB/USD", "exchange rate for USD-quoted capex"),
    "europe_price_eur": _spec("EUR", "list price in Europe incl. VAT", sourced=True),
    "europe_price_realization_pct": _spec("%", "achieved price vs list in Europe"),
    "europe_sales_tax_pct": _spec("%", "VAT in the European list price"),
    "europe_dealer_margin_pct": _spec("%", "dealer margin in Europe, % of the price net of VAT"),
    "europe_logistics_eur": _spec("EUR/car", "freight China to Europe, whole car"),
    "europe_cvd_pct": _spec("%", "EU countervailing duty on the maker's China-built BEVs", sourced=True),
    "europe_mfn_duty_pct": _spec("%", "EU MFN car import duty", sourced=True),
    "europe_kit_duty_pct": _spec("%", "EU duty on an assembly kit (parts)"),
    "europe_kit_logistics_pct": _spec("%", "freight of a kit vs a whole car"),
    "europe_assembly_eur": _spec("EUR/car", "local assembly cost in Europe", "poland_assembly_cost_low_eur_per_car", "poland_assembly_cost_high_eur_per_car", "italy_assembly_cost_eur_per_car"),
    "europe_plant_capacity_units": _spec("cars/year", "Spanish assembly capacity", sourced=True),
    "europe_plant_start": _spec("YYYY-MM", "first month of Spanish assembly", sourced=True),
    "europe_plant_capex_rmb_mn": _spec("RMB mn", "Spanish assembly investment", sourced=True),
    "europe_entry_investment_eur_mn": _spec("EUR mn", "upfront investment to build the European business (network, launch)"),
    "europe_outlets": _spec("outlets", "European sales and service outlets", "overseas_outlets_2025_end"),
    "europe_outlet_cost_eur_k": _spec("EUR k/outlet/year", "venture's yearly cost per outlet"),
    "europe_marketing_eur_mn": _spec("EUR mn/year", "marketing and overhead in Europe"),
    "europe_volume_start_units": _spec("cars", "first-year sales in Europe", "overseas_target_2026_low_units", "overseas_target_2026_high_units"),
    "europe_volume_growth_pct": _spec("%/year", "yearly growth of European sales"),
    "europe_volume_ceiling_units": _spec("cars/year", "ceiling of European sales", "overseas_target_2030_units"),
    "europe_risk_premium_pct": _spec("pp", "country-risk premium for Europe"),
    "sea_price_vs_china_pct": _spec("%", "list price in South-East Asia vs the China guide price"),
    "sea_price_realization_pct": _spec("%", "achieved price vs list in South-East Asia"),
    "sea_sales_tax_pct": _spec("%", "Malaysian sales tax", sourced=True),
    "sea_dealer_margin_pct": _spec("%", "dealer margin in South-East Asia"),
    "sea_logistics_eur": _spec("EUR/car", "freight China to Malaysia, whole car"),
    "sea_import_duty_pct": _spec("%", "Malaysian import duty on China-built EVs (ACFTA)", sourced=True),
    "sea_excise_pct": _spec("%", "Malaysian excise duty on imported EVs", sourced=True),
    "sea_kit_duty_pct": _spec("%", "Malaysian duty on a CKD kit", sourced=True),
    "sea_kit_logistics_pct": _spec("%", "freight of a kit vs a whole car"),
    "sea_assembly_eur": _spec("EUR/car", "local assembly cost in Malaysia", "poland_assembly_cost_low_eur_per_car"),
    "sea_plant_capacity_units": _spec("cars/year", "Malaysian assembly capacity"),
    "sea_plant_start": _spec("YYYY-MM", "first month of Malaysian assembly", sourced=True),
    "sea_plant_capex_rmb_mn": _spec("RMB mn", "Malaysian assembly investment", sourced=True),
    "sea_entry_investment_eur_mn": _spec("EUR mn", "upfront investment to build the South-East Asian business"),
    "sea_outlets": _spec("outlets", "South-East Asian outlets", "overseas_outlets_2025_q1"),
    "sea_outlet_cost_eur_k": _spec("EUR k/outlet/year", "venture's yearly cost per outlet"),
    "sea_marketing_eur_mn": _spec("EUR mn/year", "marketing and overhead in South-East Asia"),
    "sea_volume_start_units": _spec("cars", "first-year sales in South-East Asia"),
    "sea_volume_growth_pct": _spec("%/year", "yearly growth of South-East Asian sales"),
    "sea_volume_ceiling_units": _spec("cars/year", "ceiling of South-East Asian sales"),
    "sea_risk_premium_pct": _spec("pp", "country-risk premium for South-East Asia"),
}  # fmt: skip
RUN_PARAMETERS = (
    "maker", "car_model", "start_year", "horizon_years", "include_factory_margin",
    "n_sims", "seed", "distribution",
)  # fmt: skip


def parameter_names() -> tuple[str, ...]:
    """Every parameter the notebook's parameters cell must declare."""
    return RUN_PARAMETERS + tuple(MODEL_PARAMETERS)


# Which inputs each section of the notebook uses (its assumptions table shows these).
ASSUMPTION_GROUPS = {
    "unit economics": (
        "price_china_rmb", "china_discount_pct", "china_vat_pct", "china_margin_pct",
        "factory_margin_pct", "unit_cost_change_pct", "rmb_per_eur", "europe_price_eur",
        "europe_price_realization_pct", "europe_sales_tax_pct", "europe_dealer_margin_pct",
        "europe_logistics_eur", "europe_cvd_pct", "europe_mfn_duty_pct", "europe_kit_duty_pct",
        "europe_kit_logistics_pct", "europe_assembly_eur",
    ),
    "venture": (
        "discount_rate_pct", "europe_risk_premium_pct", "maker_share_pct",
        "europe_volume_start_units", "europe_volume_growth_pct", "europe_volume_ceiling_units",
        "europe_entry_investment_eur_mn", "europe_outlets", "europe_outlet_cost_eur_k",
        "europe_marketing_eur_mn", "europe_plant_capacity_units", "europe_plant_start",
        "europe_plant_capex_rmb_mn", "rmb_per_usd",
    ),
    "south-east asia": tuple(name for name in MODEL_PARAMETERS if name.startswith("sea_")),
}  # fmt: skip


@dataclass(frozen=True)
class Resolved:
    """A parameter's value once sourced defaults are filled in, with where it came from."""

    value: object
    origin: str  # "sourced", "scenario value", "assumption (no source)", ...
    source: str  # URL(s) or ""
    note: str = ""


@dataclass(frozen=True)
class Tables:
    """The data the payback model reads (through lib.data loaders)."""

    assumptions: pd.DataFrame
    financials: pd.DataFrame
    deliveries: pd.DataFrame

    @classmethod
    def load(cls) -> Tables:
        return cls(data.load_assumptions(), data.load_financials(), data.load_deliveries())


def check_maker(maker: str, deliveries: pd.DataFrame) -> str:
    """The brand key of `maker` (key or company name, any case); unknown makers list the known."""
    key = str(maker).strip().lower().replace(" ", "_")
    by_company = {c.lower().replace(" ", "_"): k for k, c in data.MAKER_COMPANY.items() if c}
    return data.check_brand(deliveries, by_company.get(key, key))


def car_models(assumptions: pd.DataFrame) -> list[str]:
    """Cars with both a sourced European and a sourced Chinese list price."""
    europe = {
        n[len("price_europe_") : -len("_eur")]
        for n in assumptions.index
        if n.startswith("price_europe_") and n.endswith("_eur")
    }
    china = {
        n[len("price_china_") : -len("_rmb")]
        for n in assumptions.index
        if n.startswith("price_china_") and n.endswith("_rmb")
    }
    return sorted(europe & china)


def check_car_model(car_model: str, assumptions: pd.DataFrame) -> str:
    known = car_models(assumptions)
    if car_model not in known:
        raise ValueError(
            f"unknown car_model {car_model!r}; cars with sourced Europe and China prices: {', '.join(known)}"
        )
    return car_model


def latest_margin(financials: pd.DataFrame, company: str | None) -> tuple[float, str, str] | None:
    """(margin %, period and metric, source URL) of the company's latest usable gross margin.

    Vehicle margin before total gross margin and full years before quarters at the same period
    end; rows flagged uncertain, unverified or forecast are never used."""
    if company is None:
        return None
    rows = financials[
        (financials["company"] == company)
        & financials["metric"].isin(["vehicle_margin_pct", "gross_margin_pct"])
        & financials["flag"].isin(["stated", "derived"])
        & (financials["period_kind"] != "cumulative")
    ].copy()
    if rows.empty:
        return None
    rows["is_year"] = rows["period_kind"] == "year"
    rows["is_vehicle"] = rows["metric"] == "vehicle_margin_pct"
    row = rows.sort_values(["period_end", "is_year", "is_vehicle"]).iloc[-1]
    return float(row["value"]), f"{row['period']} {row['metric']}", str(row["source_url"])


def _row(tables: Tables, name: str) -> data.Assumption:
    return data.assumption(name, tables.assumptions)


def _sourced(tables: Tables, *names: str, note: str = "") -> Resolved:
    rows = [_row(tables, n) for n in names]
    urls = " ; ".join(dict.fromkeys(r.source_url for r in rows))
    return Resolved(rows[0].value, "sourced", urls, note or rows[0].note)


def sourced_default(
    name: str, maker: str, car_model: str, tables: Tables, rmb_per_eur: float, rmb_per_usd: float
) -> Resolved:
    """The sourced default of parameter `name` for `maker` and `car_model`."""
    if name == "price_china_rmb":
        return _note_maker(
            _sourced(tables, f"price_china_{car_model}_rmb"),
            maker,
            f"Leapmotor {car_model.upper()} price",
        )
    if name == "europe_price_eur":
        return _note_maker(
            _sourced(tables, f"price_europe_{car_model}_eur"),
            maker,
            f"Leapmotor {car_model.upper()} price",
        )
    if name == "china_discount_pct":
        if maker in DISCOUNT_ROW:
            return _sourced(tables, DISCOUNT_ROW[maker])
        found = _sourced(tables, "transaction_discount_nev_pct")
        return Resolved(
            found.value, "sourced: NEV market average (no figure for this maker)", found.source
        )
    if name in ("china_margin_pct", "factory_margin_pct"):
        return _maker_margin(maker, tables)
    if name == "maker_share_pct":
        if maker == "leapmotor":
            return _sourced(tables, "jv_leapmotor_share_pct")
        return Resolved(100.0, "assumption (no source): a wholly owned overseas business", "")
    if name == "europe_cvd_pct":
        if maker in EU_CVD_ROW:
            return _sourced(tables, EU_CVD_ROW[maker])
        found = _sourced(tables, "eu_cvd_other_cooperating_pct")
        if maker == "leapmotor":
            return found
        return Resolved(
            found.value,
            "sourced rate; the maker's group is an assumption (other cooperating)",
            found.source,
        )
    simple = {
        "europe_mfn_duty_pct": "eu_mfn_car_duty_pct",
        "europe_plant_capacity_units": "spain_assembly_capacity_units_per_year",
        "sea_sales_tax_pct": "malaysia_sales_tax_pct",
        "sea_import_duty_pct": "malaysia_cbu_ev_import_duty_china_pct",
        "sea_excise_pct": "malaysia_cbu_ev_excise_duty_pct",
        "sea_kit_duty_pct": "malaysia_ckd_ev_import_duty_pct",
    }
    if name in simple:
        return _sourced(tables, simple[name])
    if name == "europe_plant_start":
        year, month = (
            _row(tables, "spain_assembly_start_year"),
            _row(tables, "spain_assembly_start_month"),
        )
        return Resolved(
            f"{year.value:.0f}-{month.value:02.0f}",
            "sourced",
            _sourced(tables, "spain_assembly_start_year", "spain_assembly_start_month").source,
        )
    if name == "sea_plant_start":
        year, month = (
            _row(tables, "malaysia_assembly_start_year"),
            _row(tables, "malaysia_assembly_start_month"),
        )
        return Resolved(
            f"{year.value:.0f}-{month.value:02.0f}", "sourced", year.source_url, month.note
        )
    if name == "europe_plant_capex_rmb_mn":
        usd = _row(tables, "spain_assembly_investment_usd_mn")
        return Resolved(
            usd.value * rmb_per_usd,
            f"sourced: USD {usd.value:,.0f} mn at {rmb_per_usd:g} RMB/USD",
            usd.source_url,
            usd.note,
        )
    if name == "sea_plant_capex_rmb_mn":
        eur = _row(tables, "malaysia_assembly_investment_eur_mn")
        return Resolved(
            eur.value * rmb_per_eur,
            f"sourced: EUR {eur.value:,.0f} mn at {rmb_per_eur:g} RMB/EUR",
            eur.source_url,
            eur.note,
        )
    raise KeyError(f"parameter {name!r} has no sourced default")


def _note_maker(found: Resolved, maker: str, what: str) -> Resolved:
    if maker == "leapmotor":
        return found
    return Resolved(
        found.value,
        f"sourced {what}, used for {maker} (assumption: no price for this maker)",
        found.source,
    )


def _maker_margin(maker: str, tables: Tables) -> Resolved:
    found = latest_margin(tables.financials, data.MAKER_COMPANY.get(maker))
    if found is not None:
        value, what, url = found
        return Resolved(value, f"sourced: {what}", url)
    peers = [latest_margin(tables.financials, c) for c in data.MAKER_COMPANY.values() if c]
    values = [p[0] for p in peers if p is not None]
    return Resolved(
        float(np.median(values)),
        "assumption: median of the peers' latest margins (no figure for this maker)",
        "financials_quarterly.csv",
    )


def _is_default(value: object) -> bool:
    return value == "" or (
        isinstance(value, int | float) and not isinstance(value, bool) and value == SOURCED
    )


@dataclass(frozen=True)
class Setup:
    """Everything a notebook run needs, validated: maker, timeline, the scenario of model inputs
    (Uncertain or text), run settings and the table of assumptions with their sources."""

    maker: str
    company: str | None
    car_model: str
    timeline: Timeline
    scenario: dict[str, Uncertain | str]
    include_factory_margin: bool
    n_sims: int
    seed: int
    resolved: dict[str, Resolved]

    def assumptions_table(self, names: Iterable[str] | None = None) -> pd.DataFrame:
        """Parameter, value used (min / mode / max for uncertain ones), unit, origin and source."""
        rows = []
        for name in names or MODEL_PARAMETERS:
            item, spec = self.scenario[name], MODEL_PARAMETERS[name]
            found = self.resolved[name]
            rows.append(
                {
                    "parameter": name,
                    "meaning": spec.meaning,
                    "value": _format_input(item),
                    "unit": spec.unit,
                    "origin": found.origin,
                    "source": found.source,
                }
            )
        return pd.DataFrame(rows).set_index("parameter")


def _format_input(item: Uncertain | str) -> str:
    if isinstance(item, str):
        return item
    fmt = format_number
    if item.is_fixed:
        return fmt(item.mode)
    if item.kind == "uniform":
        return f"{fmt(item.low)} to {fmt(item.high)} (uniform)"
    return f"{fmt(item.low)} / {fmt(item.mode)} / {fmt(item.high)}"


def resolve(parameters: Mapping[str, object], tables: Tables) -> Setup:
    """Check the notebook's parameters and fill sourced defaults; raise before any long work.

    Numeric parameters at -1 and text parameters at "" take their sourced default (for the maker);
    other values are used as given (origin "scenario value"). Lists are [min, mode, max]."""
    missing = [n for n in parameter_names() if n not in parameters]
    if missing:
        raise KeyError(f"missing parameter(s): {', '.join(missing)}")
    unknown = [n for n in parameters if n not in parameter_names()]
    if unknown:
        raise KeyError(
            f"unknown parameter(s): {', '.join(unknown)}; known: {', '.join(parameter_names())}"
        )
    maker = check_maker(parameters["maker"], tables.deliveries)
    car_model = check_car_model(str(parameters["car_model"]).lower(), tables.assumptions)
    kind = parameters["distribution"]
    if kind not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}, got {kind!r}")
    timeline = Timeline(parameters["start_year"], parameters["horizon_years"])
    n_sims, seed = parameters["n_sims"], parameters["seed"]
    if not isinstance(n_sims, int) or isinstance(n_sims, bool) or n_sims < 1:
        raise ValueError(f"n_sims must be a whole number >= 1, got {n_sims!r}")
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")

    fx_eur = Uncertain.from_parameter("rmb_per_eur", parameters["rmb_per_eur"], kind)
    rmb_per_usd = float(parameters["rmb_per_usd"])
    resolved: dict[str, Resolved] = {}
    for name, spec in MODEL_PARAMETERS.items():
        value = parameters[name]
        if spec.sourced and _is_default(value):
            resolved[name] = sourced_default(
                name, maker, car_model, tables, fx_eur.mode, rmb_per_usd
            )
        elif _is_default(value):
            raise ValueError(f"{name} has no sourced default; give a value instead of {value!r}")
        elif spec.sourced:
            default = sourced_default(name, maker, car_model, tables, fx_eur.mode, rmb_per_usd)
            resolved[name] = Resolved(
                value, f"scenario value (sourced default: {default.value})", default.source
            )
        elif spec.anchors:
            rows = [_row(tables, a) for a in spec.anchors]
            facts = ", ".join(
                f"{a} = {r.value:,.4g}" for a, r in zip(spec.anchors, rows, strict=True)
            )
            urls = " ; ".join(dict.fromkeys(r.source_url for r in rows))
            resolved[name] = Resolved(value, f"assumption, anchored on {facts}", urls)
        else:
            resolved[name] = Resolved(value, "assumption (no source)", "")
    if _is_default(parameters["factory_margin_pct"]):
        china = resolved["china_margin_pct"]
        resolved["factory_margin_pct"] = Resolved(
            china.value, f"= china_margin_pct ({china.origin})", china.source
        )
    scenario: dict[str, Uncertain | str] = {}
    for name, found in resolved.items():
        if isinstance(found.value, str):
            parse_month(found.value, name)
            scenario[name] = found.value
        else:
            scenario[name] = Uncertain.from_parameter(name, found.value, kind)
    check_scenario(scenario)
    return Setup(
        maker,
        data.MAKER_COMPANY.get(maker),
        car_model,
        timeline,
        scenario,
        bool(parameters["include_factory_margin"]),
        n_sims,
        seed,
        resolved,
    )


# ---------------------------------------------------------------------------------------------
# Headline results and the answer in words


def best_strategy(summaries: Mapping[str, PaybackSummary]) -> str:
    """The strategy with the highest median NPV to the maker (ties: the shorter median payback)."""
    return max(summaries, key=lambda s: (summaries[s].median_npv, -summaries[s].median_payback))


def top_drivers(tornado_frame: pd.DataFrame, n: int = 2) -> list[str]:
    """Names of the inputs with the largest NPV swings, largest first."""
    return list(tornado_frame["input"].head(n))


def headline_results(
    summaries: Mapping[str, PaybackSummary], tornados: Mapping[str, pd.DataFrame], horizon: int
) -> list[dict]:
    """Keyword arguments for `results.record`, per strategy and for the best one.

    A median payback of inf (more than half the draws never pay back) is recorded as None."""
    finite = lambda x: x if math.isfinite(x) else None  # noqa: E731
    records = []
    for slug, s in summaries.items():
        label = strategy(slug).phrase
        records += [
            dict(name=f"{slug}_median_npv_rmb_mn", value=s.median_npv, unit="RMB_mn", low=s.npv_p10, high=s.npv_p90, meaning=f"{label}: median NPV to the maker over the horizon [p10, p90]"),
            dict(name=f"{slug}_p_npv_negative", value=s.p_npv_negative, unit="probability", meaning=f"{label}: probability the NPV is below zero"),
            dict(name=f"{slug}_median_payback_years", value=finite(s.median_payback), unit="years", low=finite(s.payback_p10), high=finite(s.payback_p90), meaning=f"{label}: median discounted payback [p10, p90]; n/a = {NEVER} ({horizon} years)"),
            dict(name=f"{slug}_p_payback_5y", value=s.p_payback_5y, unit="probability", meaning=f"{label}: probability of discounted payback within 5 years"),
            dict(name=f"{slug}_p_payback_8y", value=s.p_payback_8y, unit="probability", meaning=f"{label}: probability of discounted payback within 8 years"),
            dict(name=f"{slug}_top_driver", value=top_drivers(tornados[slug], 1)[0] if len(tornados[slug]) else "none", unit="input", meaning=f"{label}: the input whose p10-p90 range moves the NPV most"),
        ]  # fmt: skip
    best = best_strategy(summaries)
    records += [
        dict(name="best_strategy", value=best, unit="strategy", meaning=f"highest median NPV to the maker: {strategy(best).phrase}"),
        dict(name="best_p_payback_horizon", value=summaries[best].p_payback_horizon, unit="probability", meaning=f"{strategy(best).phrase}: probability of discounted payback within the {horizon}-year horizon"),
    ]  # fmt: skip
    return records


def _money(x: float) -> str:
    return f"RMB {x / 1e3:,.1f} bn" if abs(x) >= 1e3 else f"RMB {x:,.0f} mn"


def describe_payback(s: PaybackSummary) -> str:
    """'a median of 6.6 years (10-90% range 2.3 years to never within the horizon)'."""
    if not math.isfinite(s.median_payback):
        return f"no median payback: {1 - s.p_payback_horizon:.0%} of draws never pay back within the horizon"  # fmt: skip
    return f"a median of {payback_label(s.median_payback)} (10-90% range {payback_label(s.payback_p10)} to {payback_label(s.payback_p90)})"  # fmt: skip


def answer_markdown(
    setup: Setup, summaries: Mapping[str, PaybackSummary], tornados: Mapping[str, pd.DataFrame]
) -> str:
    """The answer in one paragraph, every number computed."""
    best = best_strategy(summaries)
    s, horizon = summaries[best], setup.timeline.horizon_years
    maker = setup.company or setup.maker
    drivers = [MODEL_PARAMETERS[d].meaning for d in top_drivers(tornados[best], 2)]
    others = [
        f"{strategy(slug).phrase} {_brief_payback(o)} and loses money in {probability_label(o.p_npv_negative)} of draws"
        for slug, o in summaries.items()
        if slug != best
    ]  # fmt: skip
    share = setup.scenario["maker_share_pct"].mode
    whose = f"{maker}'s {share:.0f}% share of the venture" if share < 100 else f"{maker}'s overseas business"  # fmt: skip
    paid = f"pays back in {describe_payback(s)}" if math.isfinite(s.median_payback) else f"has {describe_payback(s)}"  # fmt: skip
    return (
        f"**Best of the three routes: {strategy(best).phrase}.** Over {s.n:,} draws of the uncertain "
        f"inputs, {whose} {paid}, and pays back within the {horizon}-year horizon in "
        f"{probability_label(s.p_payback_horizon)} of draws (within 5 years: {probability_label(s.p_payback_5y)}, "
        f"within 8: {probability_label(s.p_payback_8y)}). Its median NPV is {_money(s.median_npv)} "
        f"(p10 {_money(s.npv_p10)}, p90 {_money(s.npv_p90)}) and it loses money in "
        f"{probability_label(s.p_npv_negative)} of draws. By comparison, {' while '.join(others)}. "
        f"The two inputs that move the answer most are the {drivers[0]} and the {drivers[1]}."
    )


def _brief_payback(s: PaybackSummary) -> str:
    if math.isfinite(s.median_payback):
        return f"pays back in a median of {payback_label(s.median_payback)}"
    return f"has no median payback ({probability_label(1 - s.p_payback_horizon)} never pay back)"


def format_number(value: float) -> str:
    """12,345 for large numbers, 20.7 for small ones: how tables show values to readers."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


# ---------------------------------------------------------------------------------------------
# What is known, and how the base case compares with the few broker figures


def known_facts(maker: str, tables: Tables) -> pd.DataFrame:
    """The sourced facts on going overseas: volumes, outlets and markets (the maker's reported rows
    and Leapmotor International's), prices in Europe against China, tariffs, assembly plans and
    the deal terms. One row per fact with its unit, date and source."""
    rows = []
    company = data.MAKER_COMPANY.get(maker)
    fin = tables.financials
    if company:
        picked = fin[
            (fin["company"] == company)
            & fin["metric"].isin(["overseas_deliveries", "overseas_outlets", "export_share_pct"])
        ]
        for _, r in picked.sort_values(["metric", "period_end"]).iterrows():
            rows.append(
                {
                    "topic": f"{company}'s reported overseas figures",
                    "fact": f"{r['metric'].replace('_', ' ')}, {r['period']}",
                    "value": r["value"],
                    "unit": r["unit"],
                    "as_of": r["period"],
                    "source": r["source_url"],
                    "note": _text(r["note"]),
                }
            )
    topics = {
        "Leapmotor International: volumes, targets, outlets": ("overseas_", "export_share"),
        "prices Europe vs China": ("price_europe_", "price_china_"),
        "tariffs": ("eu_", "malaysia_cbu", "malaysia_ckd", "malaysia_sales"),
        "local assembly": ("spain_", "malaysia_assembly", "poland_", "italy_", "jinhua_"),
        "deal terms and broker views": ("stellantis_", "jv_", "t03_gm"),
    }
    assumptions = tables.assumptions
    for topic, prefixes in topics.items():
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
    return pd.DataFrame(rows).drop_duplicates(["fact", "as_of"]).set_index(["topic", "fact"])


def _text(value: object) -> str:
    return "" if pd.isna(value) else str(value)


def calibration(setup: Setup, tables: Tables) -> pd.DataFrame:
    """The base case next to the broker figures it can be checked against (Leapmotor International):
    the venture's profit per car at CMBI's 2025 volume, and the T03 margin gap between imported
    and locally assembled cars that Jefferies estimated."""
    values = base_values(setup.scenario)
    share = _row(tables, "jv_profit_share_2025_cmbi_forecast_rmb_mn")
    units = _row(tables, "overseas_2025_cmbi_forecast_units")
    jv = _row(tables, "jv_leapmotor_share_pct")
    cmbi_per_car = share.value / (jv.value / 100) / units.value * 1e6
    car = unit_economics(values, "europe", local=False)
    fixed = (
        values["europe_outlets"] * values["europe_outlet_cost_eur_k"] / 1e3
        + values["europe_marketing_eur_mn"]
    ) * values["rmb_per_eur"]
    model_per_car = float(car["contribution"]) - fixed * 1e6 / units.value
    t03 = dict(values)
    t03["price_china_rmb"] = _row(tables, "price_china_t03_rmb").value
    t03["europe_price_eur"] = 20_000.0  # the price Jefferies assumed for the T03
    t03["europe_price_realization_pct"] = 0.0
    margins = {}
    for local in (False, True):
        car = unit_economics(t03, "europe", local)
        margins[local] = 100 * float(car["contribution"] / car["revenue"])
    imported, assembled = (
        _row(tables, "t03_gm_imported_pct"),
        _row(tables, "t03_gm_local_assembly_pct"),
    )
    return pd.DataFrame(
        [
            {
                "check": f"venture profit per car at {units.value:,.0f} cars a year (RMB)",
                "broker": cmbi_per_car,
                "model": model_per_car,
                "broker source": f"CMBI FY25E: Leapmotor's share RMB {share.value:,.0f} mn / {jv.value:.0f}% / {units.value:,.0f} cars [FORECAST]",
                "url": share.source_url,
            },
            {
                "check": "T03 at EUR 20k: margin imported (% of revenue)",
                "broker": imported.value,
                "model": margins[False],
                "broker source": "Jefferies, ~31% tariff [FORECAST]",
                "url": imported.source_url,
            },
            {
                "check": "T03 at EUR 20k: margin assembled in Europe (% of revenue)",
                "broker": assembled.value,
                "model": margins[True],
                "broker source": "Jefferies [FORECAST]",
                "url": assembled.source_url,
            },
            {
                "check": "T03: margin gain from local assembly (pp)",
                "broker": assembled.value - imported.value,
                "model": margins[True] - margins[False],
                "broker source": "Jefferies [FORECAST]",
                "url": assembled.source_url,
            },
        ]
    ).set_index("check")


# ---------------------------------------------------------------------------------------------
# Charts (one figure each; titles state the finding)


def plot_waterfalls(table: pd.DataFrame, *, title: str, source: str) -> plt.Figure:
    """One waterfall per route (columns of `unit_economics_table`), shared RMB axis."""
    routes = list(table.columns)
    fig, axes = plt.subplots(1, len(routes), figsize=(11, 5.2), sharey=True)
    for ax, route in zip(np.atleast_1d(axes), routes, strict=True):
        steps = table[route]
        steps = steps[(steps.abs() > 1e-6) | steps.index.isin(["List price", "Contribution"])]
        level, bottoms, heights, colors = 0.0, [], [], []
        for label, amount in steps.items():
            if label in ("List price", "Contribution"):
                bottoms.append(0.0)
                heights.append(amount)
                colors.append(
                    plots.FOCUS_COLOR if label == "Contribution" else plots.REFERENCE_COLOR
                )
                level = amount
            else:
                bottoms.append(level + min(amount, 0.0))
                heights.append(abs(amount))
                # the maker's own profit on the car, lighter than the venture's contribution
                colors.append("#e8a0a9" if label == "Maker's margin" else plots.NEUTRAL_COLOR)
                level += amount
        y = np.arange(len(steps))
        ax.bar(y, heights, bottom=bottoms, color=colors, width=0.7)
        for x, amount in zip(y, steps.to_numpy(), strict=True):
            top = bottoms[x] + heights[x]
            ax.text(x, top, f"{amount / 1e3:,.0f}k", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(y, steps.index, rotation=60, ha="right", fontsize=9)
        plots.thousands(ax)
    axes[0].set_ylabel("RMB per car")
    plots.finish(axes[0], title=routes[0], source=source)
    for ax, route in zip(np.atleast_1d(axes), routes, strict=True):
        ax.set_title(route, fontsize=11, fontweight="normal")
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=13)
    fig.tight_layout()
    return fig


def plot_cumulative(base: BaseCase, *, title: str, source: str) -> plt.Figure:
    """Cumulative discounted cash flow to the maker of each strategy, with its payback marked."""
    fig, ax = plt.subplots()
    colors = dict(zip(base.flows, plots.PALETTE, strict=False))
    for slug, flows in base.flows.items():
        table = flows.table()
        x = np.arange(len(table))
        ax.plot(
            x,
            table["cumulative discounted"],
            marker="o",
            color=colors[slug],
            label=flows.strategy.label,
        )
        years = float(discounted_payback(flows.maker[0], flows.rate[0]))
        if math.isfinite(years) and years > 0:
            ax.axvline(years, color=colors[slug], linestyle=":", linewidth=1)
            ax.annotate(
                f"{years:.1f} y",
                (years, 0),
                textcoords="offset points",
                xytext=(3, 6),
                color=colors[slug],
                fontsize=9,
            )
    ax.axhline(0, color="#333333", linewidth=0.8)
    ticks = np.arange(base.flows[next(iter(base.flows))].timeline.horizon_years + 1)
    ax.set_xticks(ticks)
    plots.thousands(ax)
    ax.legend(loc="upper left")
    plots.finish(
        ax,
        title=title,
        source=source,
        xlabel="years from the start (t = 0: upfront investment)",
        ylabel="cumulative discounted cash flow, RMB mn",
    )
    return fig


def plot_npv_distribution(
    simulation: Simulation, slug: str, *, title: str, source: str
) -> plt.Figure:
    """Histogram of NPV draws, losses shaded."""
    fig, ax = plt.subplots()
    draws = simulation.npv[slug]
    low, high = np.quantile(draws, [0.001, 0.999])
    bins = np.linspace(low, high, 80)
    ax.hist(
        draws[draws < 0], bins=bins, color=plots.FOCUS_COLOR, alpha=0.85, label="NPV below zero"
    )
    ax.hist(
        draws[draws >= 0],
        bins=bins,
        color=plots.REFERENCE_COLOR,
        alpha=0.85,
        label="NPV at or above zero",
    )
    ax.axvline(np.median(draws), color="#333333", linestyle="--", linewidth=1, label="median")
    plots.thousands(ax, "x")
    plots.thousands(ax, "y")
    ax.legend(loc="upper right")
    plots.finish(ax, title=title, source=source, xlabel="NPV to the maker, RMB mn", ylabel="draws")
    return fig


def plot_payback_distributions(
    simulation: Simulation, labels: Mapping[str, str], horizon: int, *, title: str, source: str
) -> plt.Figure:
    """Share of draws paid back by each year, one curve per strategy (the payback distribution);
    the gap below 100% at the horizon is the share that never pays back."""
    fig, ax = plt.subplots()
    grid = np.linspace(0, horizon, 241)
    for (slug, draws), color in zip(simulation.payback.items(), plots.PALETTE, strict=False):
        share = _ecdf(draws, grid)
        never = float(np.mean(~np.isfinite(draws)))
        ax.plot(grid, share, color=color, linewidth=2, label=f"{labels[slug]} (never: {never:.0%})")
    for year in (5, 8):
        if year <= horizon:
            ax.axvline(year, color="#777777", linestyle=":", linewidth=1)
    ax.set_ylim(0, 1.02)
    plots.percent(ax, scale=100)
    ax.legend(loc="upper left", fontsize=9)
    plots.finish(
        ax,
        title=title,
        source=source,
        xlabel="years from the start",
        ylabel="share of draws paid back",
    )
    return fig


def _ecdf(draws: np.ndarray, grid: np.ndarray) -> np.ndarray:
    ordered = np.sort(draws)
    return np.searchsorted(ordered, grid, side="right") / ordered.size


def plot_payback_histogram(
    simulation: Simulation, slug: str, horizon: int, *, title: str, source: str
) -> plt.Figure:
    """Histogram of payback years, with the draws that never pay back as a separate bar."""
    fig, ax = plt.subplots()
    draws = simulation.payback[slug]
    finite = draws[np.isfinite(draws)]
    bins = np.linspace(0, horizon, 4 * horizon + 1)
    ax.hist(
        finite, bins=bins, weights=np.full(finite.size, 1 / draws.size), color=plots.REFERENCE_COLOR
    )
    never = 1 - finite.size / draws.size
    ax.bar(
        horizon + 0.75,
        never,
        width=0.5,
        color=plots.FOCUS_COLOR,
        label=f"never within {horizon} years: {never:.0%}",
    )
    for year in (5, 8):
        if year <= horizon:
            ax.axvline(year, color="#777777", linestyle=":", linewidth=1)
    plots.percent(ax, scale=100)
    ticks = list(range(0, horizon + 1, 2))
    ax.set_xticks([*ticks, horizon + 0.75], [*map(str, ticks), "never"])
    ax.legend(loc="upper center")
    plots.finish(
        ax,
        title=title,
        source=source,
        xlabel="discounted payback, years from the start",
        ylabel="share of draws",
    )
    return fig


def plot_tornado(frame: pd.DataFrame, *, title: str, source: str, top: int = 10) -> plt.Figure:
    """NPV at each input's p10 and p90 around the base case, largest swing on top."""
    fig, ax = plt.subplots()
    shown = frame.head(top).iloc[::-1]
    base = frame.attrs.get("base_npv", 0.0)
    y = np.arange(len(shown))
    for values, color, label in (
        (shown["npv_at_low"], plots.NEUTRAL_COLOR, "input at its p10"),
        (shown["npv_at_high"], plots.REFERENCE_COLOR, "input at its p90"),
    ):
        ax.barh(y, values - base, left=base, color=color, label=label, height=0.6)
    ax.axvline(base, color="#333333", linewidth=1)
    ax.set_yticks(y, shown["input"])
    plots.thousands(ax, "x")
    ax.legend(loc="lower right", fontsize=9)
    plots.finish(
        ax,
        title=title,
        source=source,
        xlabel="NPV to the maker, RMB mn (base case at the line)",
        ylabel=None,
    )
    return fig
