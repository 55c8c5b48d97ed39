"""The maker's own overseas ventures, from data/ventures.csv: which of the model's routes it has,
and the facts each route needs (the first row of a fact is the one used; see data/README.md).

The model knows two markets by their duty regimes, Europe (EU duties) and South-East Asia
(Malaysia's duties, the sourced ones), and three routes: exporting whole cars from China to
Europe, assembling kits in Europe, assembling kits in South-East Asia. A maker is modelled on the
routes it has a venture for; a route's venture that lacks a fact the route needs is MissingData
naming the facts; a maker with no venture at all gets "no overseas venture in the data"."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lib.makers import Maker, MissingData

# Countries (and region names an export venture may give as its market) of each market: geography,
# not any maker's facts. A venture elsewhere is listed in the report but not modelled.
EUROPE = frozenset(
    [
        "Europe",
        "EU",
        "Austria",
        "Belgium",
        "Bulgaria",
        "Croatia",
        "Cyprus",
        "Czechia",
        "Denmark",
        "Estonia",
        "Finland",
        "France",
        "Germany",
        "Greece",
        "Hungary",
        "Ireland",
        "Italy",
        "Latvia",
        "Lithuania",
        "Luxembourg",
        "Malta",
        "Netherlands",
        "Poland",
        "Portugal",
        "Romania",
        "Slovakia",
        "Slovenia",
        "Spain",
        "Sweden",
    ]
)
SOUTH_EAST_ASIA = frozenset(
    [
        "South-East Asia",
        "Brunei",
        "Cambodia",
        "Indonesia",
        "Laos",
        "Malaysia",
        "Myanmar",
        "Philippines",
        "Singapore",
        "Thailand",
        "Vietnam",
    ]
)
MARKETS = {"europe": EUROPE, "sea": SOUTH_EAST_ASIA}
LOCAL_ROUTES = ("local_assembly", "own_plant", "joint_venture")  # cars made in the market
# The facts each route needs of its venture (a car's prices are checked with the car).
NEEDS = {
    "export": ("maker_share",),
    "europe_assembly": ("maker_share", "capacity", "start", "capex"),
    "sea": ("maker_share", "start", "capex"),
}


def market(country: object) -> str | None:
    """The model's market a country (or region) belongs to, or None."""
    return next((key for key, places in MARKETS.items() if country in places), None)


@dataclass(frozen=True)
class Venture:
    """One venture of the maker: its id, country, route and its rows of ventures.csv."""

    key: str
    country: str
    route: str
    rows: pd.DataFrame

    def first(self, fact: str, car: str | None = None) -> pd.Series | None:
        """The row a model uses for `fact` (of `car`): the first in file order, or None."""
        rows = self.rows[self.rows["fact"] == fact]
        if car is not None:
            rows = rows[rows["car"] == car]
        return rows.iloc[0] if len(rows) else None

    def missing(self, facts: tuple[str, ...]) -> list[str]:
        return [fact for fact in facts if self.first(fact) is None]


def _text(value: object) -> str:
    return "" if pd.isna(value) else str(value)


def of_maker(ventures: pd.DataFrame, maker: Maker) -> list[Venture]:
    """The maker's ventures, in file order; MissingData when it has none."""
    rows = ventures[ventures["maker"] == maker.key]
    if rows.empty:
        raise MissingData(
            f"{maker.display_name}: no overseas venture in the data (data/ventures.csv has no "
            "rows for it); no other maker's venture stands in for it"
        )
    return [
        Venture(key, _text(group["country"].iloc[0]), str(group["route"].iloc[0]), group)
        for key, group in rows.groupby("venture", sort=False)
    ]


def _pick(ventures: list[Venture], route: str) -> Venture | None:
    """The venture a route models: the first export venture to Europe, or the first venture
    making cars in the route's market that has a start (a plant that ran or will run)."""
    if route == "export":
        found = [v for v in ventures if v.route == "export" and market(v.country) == "europe"]
        return found[0] if found else None
    where = "europe" if route == "europe_assembly" else "sea"
    found = [
        v
        for v in ventures
        if v.route in LOCAL_ROUTES and market(v.country) == where and v.first("start") is not None
    ]
    return found[0] if found else None


def routes(ventures: list[Venture], maker: Maker) -> dict[str, Venture]:
    """The model's routes the maker has a venture for (route slug -> venture), each with the
    facts it needs; MissingData naming what is missing. Exporting to Europe is required: the unit
    economics of every route start from a car priced in Europe and in China."""
    found = {route: v for route in NEEDS if (v := _pick(ventures, route)) is not None}
    if "export" not in found:
        places = ", ".join(sorted({v.country or "several markets" for v in ventures}))
        raise MissingData(
            f"{maker.display_name}: no export venture to Europe in data/ventures.csv (its "
            f"ventures: {places}); the model starts from a car exported to Europe (route export, "
            "country Europe or a European country, with maker_share and the car's list_price and "
            "china_price)"
        )
    missing = [
        f"{v.key} ({route}): {', '.join(gaps)}"
        for route, v in found.items()
        if (gaps := v.missing(NEEDS[route]))
    ]
    if not priced_cars(ventures):
        missing.append("a car with both a list_price in Europe and a china_price (fact car)")
    if missing:
        raise MissingData(
            f"{maker.display_name}: ventures.csv lacks facts the model needs: " + "; ".join(missing)
        )
    return found


def priced_cars(ventures: list[Venture]) -> list[str]:
    """The maker's cars with both a list price in Europe and a China price, in file order."""
    frames = [v.rows for v in ventures if market(v.country) == "europe"]
    if not frames:
        return []
    rows = pd.concat(frames)
    europe = rows.loc[rows["fact"] == "list_price", "car"].dropna().tolist()
    china = set(rows.loc[rows["fact"] == "china_price", "car"].dropna())
    return list(dict.fromkeys(car for car in europe if car in china))


def price_rows(ventures: list[Venture], car: str) -> tuple[pd.Series, pd.Series]:
    """(European list price row, China price row) of `car`: the first of each."""
    europe = [v for v in ventures if market(v.country) == "europe"]
    listed = next(r for v in europe if (r := v.first("list_price", car)) is not None)
    china = next(r for v in europe if (r := v.first("china_price", car)) is not None)
    return listed, china


def maker_rows(ventures: list[Venture]) -> pd.DataFrame:
    """Every row of the maker's ventures, in file order."""
    return pd.concat([v.rows for v in ventures])
