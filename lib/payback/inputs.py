"""Inputs and validation: the data the model reads, the notebook's parameters checked, and each
sourced default filled in for the maker, with where it came from.

Only a maker with an overseas venture in the data is modelled (`makers.has_overseas_venture`):
the venture, plant, overseas price and volume rows of assumptions.csv are that venture's, so any
other maker gets MissingData ("no overseas venture in the data"), never another maker's venture.
A maker-specific figure comes from the row the maker registry (data/makers.csv) names; a maker
without one gets the documented fallback, labelled as an assumption: the NEV market's average
discount, the EU duty of 'other cooperating' exporters, the median of the peers' latest gross
margins."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lib import data, makers
from lib.errors import BadParameter
from lib.makers import Maker, MissingData
from lib.payback.checks import check_scenario, parse_month
from lib.payback.models import Timeline
from lib.payback.parameters import MODEL_PARAMETERS, SOURCED, parameter_names
from lib.payback.uncertain import DISTRIBUTIONS, Uncertain

MARGIN_METRICS = ("vehicle_margin_pct", "gross_margin_pct")
TRUSTED_FLAGS = ("stated", "derived")  # uncertain, unverified and forecast margins are never used
# Fallback rows when the registry names no maker-specific one (see the module docstring).
MARKET_DISCOUNT_ROW = "transaction_discount_nev_pct"
OTHER_COOPERATING_CVD_ROW = "eu_cvd_other_cooperating_pct"
# Parameters whose sourced default is one assumptions.csv row, the same for every maker.
SIMPLE_ROWS = {
    "europe_mfn_duty_pct": "eu_mfn_car_duty_pct",
    "europe_plant_capacity_units": "spain_assembly_capacity_units_per_year",
    "sea_sales_tax_pct": "malaysia_sales_tax_pct",
    "sea_import_duty_pct": "malaysia_cbu_ev_import_duty_china_pct",
    "sea_excise_pct": "malaysia_cbu_ev_excise_duty_pct",
    "sea_kit_duty_pct": "malaysia_ckd_ev_import_duty_pct",
}
PLANT_START_ROWS = {"europe_plant_start": "spain_assembly", "sea_plant_start": "malaysia_assembly"}


@dataclass(frozen=True)
class Tables:
    """The data the payback model reads (through lib.data and lib.makers)."""

    assumptions: pd.DataFrame
    financials: pd.DataFrame
    makers: dict[str, Maker]

    @classmethod
    def load(cls, data_dir: Path | None = None) -> Tables:
        """From `data_dir` (default: the project's data, or EVR_DATA_DIR)."""
        return cls(
            data.load_assumptions(data_dir),
            data.load_financials(data_dir),
            makers.registry(data_dir),
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
class Setup:
    """Everything a notebook run needs, validated: maker, timeline, the scenario of model inputs
    (Uncertain or text), run settings and where each input came from."""

    maker: Maker
    car_model: str
    timeline: Timeline
    scenario: dict[str, Uncertain | str]
    include_factory_margin: bool
    n_sims: int
    seed: int
    resolved: dict[str, Resolved]

    def mode(self, name: str) -> float | str:
        """The base-case value of one input."""
        item = self.scenario[name]
        return item.mode if isinstance(item, Uncertain) else item


def check_maker(key: str, tables: Tables) -> Maker:
    """The registry's maker with this key; UnknownMaker (a ValueError) lists the known keys."""
    if key in tables.makers:
        return tables.makers[key]
    raise makers.UnknownMaker(makers.unknown_message(key, list(tables.makers)))


def check_venture(maker: Maker) -> str:
    """The row of the maker's share in its overseas venture; MissingData ("no overseas venture in
    the data") for a maker without one: the venture rows are another maker's."""
    if not makers.has_overseas_venture(maker):
        raise MissingData(makers.no_overseas_venture(maker))
    return maker.venture_share_row


def car_models(assumptions: pd.DataFrame) -> list[str]:
    """Cars with both a sourced European and a sourced Chinese list price."""
    names = set(assumptions.index)
    return sorted(
        n.removeprefix("price_europe_").removesuffix("_eur")
        for n in names
        if n.startswith("price_europe_")
        and n.endswith("_eur")
        and f"price_china_{n.removeprefix('price_europe_').removesuffix('_eur')}_rmb" in names
    )


def check_car_model(car_model: str, maker: Maker, assumptions: pd.DataFrame) -> str:
    known = car_models(assumptions)
    if not known:
        raise MissingData(
            f"{maker.display_name}: no car has both a sourced European and a sourced Chinese list "
            "price in assumptions.csv (rows price_europe_<car>_eur and price_china_<car>_rmb); "
            "the unit economics of a car sold overseas cannot be computed without one"
        )
    if car_model not in known:
        raise BadParameter(
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


def _sourced(tables: Tables, *names: str, origin: str = "sourced") -> Resolved:
    rows = [tables.row(n) for n in names]
    urls = " ; ".join(dict.fromkeys(r.source_url for r in rows))
    return Resolved(rows[0].value, origin, urls, rows[0].note)


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


def _plant_start(prefix: str, tables: Tables) -> Resolved:
    year, month = tables.row(f"{prefix}_start_year"), tables.row(f"{prefix}_start_month")
    urls = _sourced(tables, f"{prefix}_start_year", f"{prefix}_start_month").source
    return Resolved(f"{year.value:.0f}-{month.value:02.0f}", "sourced", urls, month.note)


def _converted(row: data.Assumption, currency: str, rate: float) -> Resolved:
    what = f"sourced: {currency} {row.value:,.0f} mn at {rate:g} RMB/{currency}"
    return Resolved(row.value * rate, what, row.source_url, row.note)


def sourced_default(
    name: str, maker: Maker, car_model: str, tables: Tables, rmb_per_eur: float, rmb_per_usd: float
) -> Resolved:
    """The sourced default of parameter `name` for `maker` and `car_model`."""
    if name == "price_china_rmb":  # the venture's cars: its maker's (check_venture)
        return _sourced(tables, f"price_china_{car_model}_rmb")
    if name == "europe_price_eur":
        return _sourced(tables, f"price_europe_{car_model}_eur")
    if name == "china_discount_pct":
        if maker.discount_row:
            return _sourced(tables, maker.discount_row)
        origin = "sourced: NEV market average (no figure for this maker)"
        return _sourced(tables, MARKET_DISCOUNT_ROW, origin=origin)
    if name in ("china_margin_pct", "factory_margin_pct"):
        return _maker_margin(maker, tables)
    if name == "maker_share_pct":
        return _sourced(tables, check_venture(maker))
    if name == "europe_cvd_pct":
        if maker.eu_cvd_row:
            return _sourced(tables, maker.eu_cvd_row)
        origin = "sourced rate; the maker's group is an assumption (other cooperating)"
        return _sourced(tables, OTHER_COOPERATING_CVD_ROW, origin=origin)
    if name in SIMPLE_ROWS:
        return _sourced(tables, SIMPLE_ROWS[name])
    if name in PLANT_START_ROWS:
        return _plant_start(PLANT_START_ROWS[name], tables)
    if name == "europe_plant_capex_rmb_mn":
        return _converted(tables.row("spain_assembly_investment_usd_mn"), "USD", rmb_per_usd)
    if name == "sea_plant_capex_rmb_mn":
        return _converted(tables.row("malaysia_assembly_investment_eur_mn"), "EUR", rmb_per_eur)
    raise KeyError(f"parameter {name!r} has no sourced default")


def _is_default(value: object) -> bool:
    return value == "" or (
        isinstance(value, int | float) and not isinstance(value, bool) and value == SOURCED
    )


def _check_run_parameters(parameters: Mapping[str, object]) -> None:
    missing = [n for n in parameter_names() if n not in parameters]
    if missing:
        raise KeyError(f"missing parameter(s): {', '.join(missing)}")
    unknown = [n for n in parameters if n not in parameter_names()]
    if unknown:
        raise KeyError(
            f"unknown parameter(s): {', '.join(unknown)}; known: {', '.join(parameter_names())}"
        )
    if parameters["distribution"] not in DISTRIBUTIONS:
        raise BadParameter(
            f"distribution must be one of {', '.join(DISTRIBUTIONS)}, got {parameters['distribution']!r}"
        )
    n_sims, seed = parameters["n_sims"], parameters["seed"]
    if not isinstance(n_sims, int) or isinstance(n_sims, bool) or n_sims < 1:
        raise BadParameter(f"n_sims must be a whole number >= 1, got {n_sims!r}")
    if not isinstance(seed, int) or seed < 0:
        raise BadParameter(f"seed must be a whole number >= 0, got {seed!r}")


def _resolve_one(name, value, maker, car_model, tables, fx_eur, fx_usd) -> Resolved:
    spec = MODEL_PARAMETERS[name]
    if _is_default(value) and not spec.sourced:
        raise BadParameter(f"{name} has no sourced default; give a value instead of {value!r}")
    if spec.sourced:
        default = sourced_default(name, maker, car_model, tables, fx_eur, fx_usd)
        if _is_default(value):
            return default
        origin = f"scenario value (sourced default: {default.value})"
        return Resolved(value, origin, default.source)
    if spec.anchors:
        rows = [tables.row(a) for a in spec.anchors]
        facts = ", ".join(f"{a} = {r.value:,.4g}" for a, r in zip(spec.anchors, rows, strict=True))
        urls = " ; ".join(dict.fromkeys(r.source_url for r in rows))
        return Resolved(value, f"assumption, anchored on {facts}", urls)
    return Resolved(value, "assumption (no source)", "")


def resolve(parameters: Mapping[str, object], tables: Tables) -> Setup:
    """Check the notebook's parameters and fill sourced defaults; raise before any long work.

    Numeric parameters at -1 and text parameters at "" take their sourced default (for the maker);
    other values are used as given (origin "scenario value"). Lists are [min, mode, max].
    MissingData when the maker has no overseas venture in the data, or the data lack what the
    analysis needs (a car priced in both markets, a margin)."""
    _check_run_parameters(parameters)
    maker = check_maker(str(parameters["maker"]), tables)
    check_venture(maker)
    car_model = check_car_model(str(parameters["car_model"]).lower(), maker, tables.assumptions)
    kind = parameters["distribution"]
    timeline = Timeline(parameters["start_year"], parameters["horizon_years"])
    fx_eur = Uncertain.from_parameter("rmb_per_eur", parameters["rmb_per_eur"], kind).mode
    fx_usd = float(parameters["rmb_per_usd"])
    resolved = {
        name: _resolve_one(name, parameters[name], maker, car_model, tables, fx_eur, fx_usd)
        for name in MODEL_PARAMETERS
    }
    if _is_default(parameters["factory_margin_pct"]):
        china = resolved["china_margin_pct"]
        origin = f"= china_margin_pct ({china.origin})"
        resolved["factory_margin_pct"] = Resolved(china.value, origin, china.source)
    scenario: dict[str, Uncertain | str] = {}
    for name, found in resolved.items():
        if isinstance(found.value, str):
            parse_month(found.value, name)
            scenario[name] = found.value
        else:
            scenario[name] = Uncertain.from_parameter(name, found.value, kind)
    check_scenario(scenario)
    include_margin = bool(parameters["include_factory_margin"])
    n_sims, seed = parameters["n_sims"], parameters["seed"]
    return Setup(maker, car_model, timeline, scenario, include_margin, n_sims, seed, resolved)
