"""Inputs: the data the model reads, the parameters checked against the maker's data, and each
sourced default filled in for the maker, with where it came from.

Only the maker's own ventures are modelled (data/ventures.csv, lib.payback.ventures): its share,
plants and car prices come from its rows; a maker without rows gets MissingData ("no overseas
venture in the data"), never another maker's venture. Market-wide facts (EU and Malaysian duties)
come from assumptions.csv. A maker-specific figure of assumptions.csv comes from the row the
registry (data/makers.csv) names; a maker without one gets the documented fallback, labelled as an
assumption: the NEV market's average discount, the EU duty of 'other cooperating' exporters, the
median of the peers' latest gross margins."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lib import data, makers
from lib.errors import BadParameter
from lib.makers import Maker, MissingData
from lib.payback import ventures as venture_data
from lib.payback.checks import check_scenario, parse_month
from lib.payback.models import Strategy, Timeline, route_strategy
from lib.payback.params import MODEL_INPUTS, Params
from lib.payback.uncertain import Uncertain
from lib.payback.ventures import Venture

MARGIN_METRICS = ("vehicle_margin_pct", "gross_margin_pct")
TRUSTED_FLAGS = ("stated", "derived")  # uncertain, unverified and forecast margins are never used
# Fallback rows when the registry names no maker-specific one (see the module docstring).
MARKET_DISCOUNT_ROW = "transaction_discount_nev_pct"
OTHER_COOPERATING_CVD_ROW = "eu_cvd_other_cooperating_pct"
# Parameters whose sourced default is one market-wide assumptions.csv row, the same for every maker.
MARKET_ROWS = {
    "europe_mfn_duty_pct": "eu_mfn_car_duty_pct",
    "sea_sales_tax_pct": "malaysia_sales_tax_pct",
    "sea_import_duty_pct": "malaysia_cbu_ev_import_duty_china_pct",
    "sea_excise_pct": "malaysia_cbu_ev_excise_duty_pct",
    "sea_kit_duty_pct": "malaysia_ckd_ev_import_duty_pct",
}
# Parameters read from the venture of one route: parameter -> (route, fact).
VENTURE_FACTS = {
    "maker_share_pct": ("export", "maker_share"),
    "europe_plant_capacity_units": ("europe_assembly", "capacity"),
    "europe_plant_start": ("europe_assembly", "start"),
    "europe_plant_capex_rmb_mn": ("europe_assembly", "capex"),
    "sea_plant_start": ("sea", "start"),
    "sea_plant_capex_rmb_mn": ("sea", "capex"),
}
# The inputs only a route with a plant uses: left out when the maker has no venture for it.
ROUTE_ONLY = {"europe_assembly": ("europe_plant_",), "sea": ("sea_",)}


@dataclass(frozen=True)
class Tables:
    """The data the payback model reads (through lib.data and lib.makers)."""

    assumptions: pd.DataFrame
    financials: pd.DataFrame
    makers: dict[str, Maker]
    ventures: pd.DataFrame

    @classmethod
    def load(cls, data_dir: Path | None = None) -> Tables:
        """From `data_dir` (default: the project's data, or EVR_DATA_DIR)."""
        return cls(
            data.load_assumptions(data_dir),
            data.load_financials(data_dir),
            makers.registry(data_dir),
            data.load_ventures(data_dir),
        )

    def row(self, name: str) -> data.Assumption:
        return data.assumption(name, self.assumptions)


@dataclass(frozen=True)
class Resolved:
    """A parameter's value once sourced defaults are filled in, with where it came from."""

    value: object
    origin: str  # "sourced", "scenario value", "assumption (no source)", ...
    source: str  # URL(s) or ""
    note: str = ""


@dataclass(frozen=True)
class Inputs:
    """Everything the analysis needs, validated: the parameters, the maker, its ventures and the
    routes they give, the timeline, the scenario of model inputs (Uncertain or text) and where
    each input came from."""

    params: Params
    maker: Maker
    car_model: str
    timeline: Timeline
    strategies: tuple[Strategy, ...]
    routes: dict[str, Venture]  # route slug -> the maker's venture it models
    ventures: list[Venture]  # every venture of the maker
    scenario: dict[str, Uncertain | str]
    resolved: dict[str, Resolved]
    tables: Tables

    @property
    def include_factory_margin(self) -> bool:
        return self.params.include_factory_margin

    @property
    def n_sims(self) -> int:
        return self.params.n_sims

    @property
    def seed(self) -> int:
        return self.params.seed

    def mode(self, name: str) -> float | str:
        """The base-case value of one input."""
        item = self.scenario[name]
        return item.mode if isinstance(item, Uncertain) else item

    def strategy(self, slug: str) -> Strategy:
        return next(s for s in self.strategies if s.slug == slug)


def check_maker(key: str, tables: Tables) -> Maker:
    """The registry's maker with this key; UnknownMaker (a ValueError) lists the known keys."""
    if key in tables.makers:
        return tables.makers[key]
    raise makers.UnknownMaker(makers.unknown_message(key, list(tables.makers)))


def check_car_model(params: Params, maker: Maker, ventures: list[Venture]) -> str:
    """The car the unit economics are for: the parameter, or the maker's first car priced in
    Europe and China; MissingData when it has none, BadParameter for a car it does not price."""
    known = venture_data.priced_cars(ventures)
    if not known:
        raise MissingData(
            f"{maker.display_name}: no car has both a list_price in Europe and a china_price in "
            "its ventures (data/ventures.csv); the unit economics of a car sold overseas cannot "
            "be computed without one"
        )
    car = params.car_model.lower()
    if params.is_sourced("car_model"):
        return known[0]
    if car not in known:
        raise BadParameter(
            f"unknown car_model {car!r}; {maker.display_name}'s cars with sourced Europe and "
            f"China prices: {', '.join(sorted(known))}"
        )
    return car


def latest_margin(financials: pd.DataFrame, company: str | None) -> tuple[float, str, str] | None:
    """(margin %, period and metric, source URL) of the company's latest usable gross margin.

    Vehicle margin before total gross margin and full years before quarters at the same period
    end; rows flagged uncertain, unverified or forecast are never used."""
    if company is None:
        return None
    rows = financials[
        (financials["company"] == company)
        & financials["metric"].isin(MARGIN_METRICS)
        & financials["flag"].isin(TRUSTED_FLAGS)
        & (financials["period_kind"] != "cumulative")
    ].copy()
    if rows.empty:
        return None
    rows["is_year"] = rows["period_kind"] == "year"
    rows["is_vehicle"] = rows["metric"] == "vehicle_margin_pct"
    row = rows.sort_values(["period_end", "is_year", "is_vehicle"]).iloc[-1]
    return float(row["value"]), f"{row['period']} {row['metric']}", str(row["source_url"])


def _sourced(tables: Tables, name: str, origin: str = "sourced") -> Resolved:
    row = tables.row(name)
    return Resolved(row.value, origin, row.source_url, row.note)


def _fact(row: pd.Series) -> Resolved:
    note = "" if pd.isna(row["note"]) else str(row["note"])
    return Resolved(float(row["value"]), "sourced", str(row["source_url"]), note)


def _maker_margin(maker: Maker, tables: Tables) -> Resolved:
    found = latest_margin(tables.financials, maker.company)
    if found is not None:
        value, what, url = found
        return Resolved(value, f"sourced: {what}", url)
    peers = [latest_margin(tables.financials, m.company) for m in tables.makers.values()]
    values = [p[0] for p in peers if p is not None]
    if not values:
        raise MissingData(
            f"{maker.display_name} has no usable gross margin in financials_quarterly.csv, and "
            "no other maker has one either; the factory cost of a car follows from that margin"
        )
    return Resolved(
        float(np.median(values)),
        "assumption: median of the peers' latest margins (no figure for this maker)",
        "financials_quarterly.csv",
    )


def _month(row: pd.Series) -> Resolved:
    value = int(row["value"])
    found = _fact(row)
    return Resolved(f"{value // 100}-{value % 100:02d}", "sourced", found.source, found.note)


def _capex_rmb(row: pd.Series, rates: dict[str, float]) -> Resolved:
    """A venture's capex in RMB mn, converted at the run's exchange rate where it is quoted in
    another currency."""
    found, currency = _fact(row), str(row["unit"]).removesuffix("_mn")
    if currency == "RMB":
        return found
    rate = rates[currency]
    what = f"sourced: {currency} {found.value:,.0f} mn at {rate:g} RMB/{currency}"
    return Resolved(found.value * rate, what, found.source, found.note)


def _share(routes: dict[str, Venture], maker: Maker) -> Resolved:
    """The maker's share: one for every route it is modelled on (the model takes one)."""
    shares = {slug: float(v.first("maker_share")["value"]) for slug, v in routes.items()}
    if len(set(shares.values())) > 1:
        listed = ", ".join(f"{routes[s].key} {v:g}%" for s, v in shares.items())
        raise MissingData(
            f"{maker.display_name}: its ventures' shares differ ({listed}); the model takes one "
            "share for every route: give maker_share_pct"
        )
    return _fact(routes["export"].first("maker_share"))


def sourced_default(name: str, inputs: dict) -> Resolved:
    """The sourced default of parameter `name`; `inputs`: maker, car, routes, tables, rates."""
    maker, tables, routes, car = inputs["maker"], inputs["tables"], inputs["routes"], inputs["car"]
    if name in ("price_china_rmb", "europe_price_eur"):
        listed, china = venture_data.price_rows(inputs["ventures"], car)
        return _fact(china if name == "price_china_rmb" else listed)
    if name == "china_discount_pct":
        if maker.discount_row:
            return _sourced(tables, maker.discount_row)
        origin = "sourced: NEV market average (no figure for this maker)"
        return _sourced(tables, MARKET_DISCOUNT_ROW, origin)
    if name in ("china_margin_pct", "factory_margin_pct"):
        return _maker_margin(maker, tables)
    if name == "maker_share_pct":
        return _share(routes, maker)
    if name == "europe_cvd_pct":
        if maker.eu_cvd_row:
            return _sourced(tables, maker.eu_cvd_row)
        origin = "sourced rate; the maker's group is an assumption (other cooperating)"
        return _sourced(tables, OTHER_COOPERATING_CVD_ROW, origin)
    if name in MARKET_ROWS:
        return _sourced(tables, MARKET_ROWS[name])
    route, fact = VENTURE_FACTS[name]
    row = routes[route].first(fact)
    if fact == "start":
        return _month(row)
    if fact == "capex":
        return _capex_rmb(row, inputs["rates"])
    return _fact(row)


def _anchor_rows(anchor: str, maker_rows: pd.DataFrame, tables: Tables) -> list[tuple[str, str]]:
    """(fact = value, source) of one anchor: a fact of the maker's ventures (`fact` or
    `fact:period`), else an assumptions.csv row; none when the maker has no such fact."""
    fact, _, period = anchor.partition(":")
    if fact in data.VENTURE_FACTS:
        rows = maker_rows[maker_rows["fact"] == fact]
        if period:
            rows = rows[rows["period"] == period]
        return [
            (
                f"{fact}{'' if pd.isna(r['car']) else ' ' + r['car']}"
                f"{'' if pd.isna(r['period']) else ' ' + r['period']} = {r['value']:,.7g}",
                r["source_url"],
            )
            for _, r in rows.iterrows()
        ]
    row = tables.row(anchor)
    return [(f"{anchor} = {row.value:,.7g}", row.source_url)]


def _resolve_one(name: str, params: Params, context: dict) -> Resolved:
    value, spec = getattr(params, name), Params.spec(name)
    if spec.sourced:
        if params.is_sourced(name):
            return sourced_default(name, context)
        try:
            default = sourced_default(name, context)
        except MissingData:
            return Resolved(value, "scenario value (no sourced default for this maker)", "")
        return Resolved(value, f"scenario value (sourced default: {default.value})", default.source)
    rows = venture_data.maker_rows(context["ventures"])
    found = [f for anchor in spec.anchors for f in _anchor_rows(anchor, rows, context["tables"])]
    if found:
        facts = ", ".join(fact for fact, _ in found)
        urls = " ; ".join(dict.fromkeys(url for _, url in found))
        return Resolved(value, f"assumption, anchored on {facts}", urls)
    return Resolved(value, "assumption (no source)", "")


def _modelled(name: str, routes: dict[str, Venture]) -> bool:
    """Whether input `name` is used: inputs of a plant route only when the maker has it."""
    return not any(
        name.startswith(prefixes) and route not in routes for route, prefixes in ROUTE_ONLY.items()
    )


def _scenario(resolved: dict[str, Resolved], kind: str) -> dict[str, Uncertain | str]:
    """The model inputs, checked: months parse, [min, mode, max] ordered, no impossible corner."""
    scenario: dict[str, Uncertain | str] = {}
    try:
        for name, found in resolved.items():
            if isinstance(found.value, str):
                parse_month(found.value, name)
                scenario[name] = found.value
            else:
                scenario[name] = Uncertain.from_parameter(name, found.value, kind)
        check_scenario(scenario)
    except ValueError as error:  # a parameter's value, or two parameters together
        raise BadParameter(str(error)) from error
    return scenario


def resolve(params: Params, tables: Tables) -> Inputs:
    """Check the parameters against the maker's data and fill sourced defaults, before any long
    work. MissingData when the maker has no overseas venture in the data, or its ventures lack
    what the analysis needs (an export venture to Europe, a car priced there and in China, the
    facts of each plant); BadParameter for values that cannot go together."""
    maker = check_maker(params.maker, tables)
    ventures = venture_data.of_maker(tables.ventures, maker)
    routes = venture_data.routes(ventures, maker)
    car = check_car_model(params, maker, ventures)
    try:
        timeline = Timeline(params.start_year, params.horizon_years)
        fx_eur = Uncertain.from_parameter("rmb_per_eur", params.rmb_per_eur, params.distribution)
    except ValueError as error:
        raise BadParameter(str(error)) from error
    context = {
        "maker": maker,
        "car": car,
        "routes": routes,
        "ventures": ventures,
        "tables": tables,
        "rates": {"EUR": fx_eur.mode, "USD": float(params.rmb_per_usd)},
    }
    resolved = {
        name: _resolve_one(name, params, context)
        for name in MODEL_INPUTS
        if _modelled(name, routes)
    }
    if params.is_sourced("factory_margin_pct"):
        china = resolved["china_margin_pct"]
        origin = f"= china_margin_pct ({china.origin})"
        resolved["factory_margin_pct"] = Resolved(china.value, origin, china.source)
    strategies = tuple(route_strategy(slug, v.country) for slug, v in routes.items())
    scenario = _scenario(resolved, params.distribution)
    return Inputs(
        params, maker, car, timeline, strategies, routes, ventures, scenario, resolved, tables
    )


def load(params: Params, data_dir: Path | None = None) -> Inputs:
    """The data and the checked parameters: what the notebook's first cell calls. Raises
    BadParameter on a bad parameter, and makers.MissingData when the data lack what the analysis
    needs for the maker."""
    return resolve(params, Tables.load(data_dir))
