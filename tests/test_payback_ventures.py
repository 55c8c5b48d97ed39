"""data/ventures.csv (schema VENTURES, data.load_ventures) and lib.payback.ventures: a bad row is
refused by line and column, the routes a maker's ventures give, the first row of a fact."""

from __future__ import annotations

import pytest

from lib import data, makers
from lib.makers import MissingData
from lib.payback import ventures
from tests.conftest import FROZEN_DATA

URL = "https://example.com/page"


def append(folder, *rows: str) -> None:
    with (folder / "ventures.csv").open("a") as handle:
        handle.writelines(row.replace("{URL}", URL) + "\n" for row in rows)


def refused(folder) -> str:
    with pytest.raises(data.DataError) as error:
        data.load_ventures(folder)
    return str(error.value)


def test_the_frozen_and_live_tables_load():
    frozen = data.load_ventures(FROZEN_DATA)
    assert set(frozen["maker"]) == {"leapmotor"} and len(frozen) == 40
    live = data.load_ventures()
    assert set(live["maker"]) <= set(makers.registry())
    assert live["source_url"].str.startswith("http").all()


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (
            "leapmotor,x,Spain,local_assembly,start,,202613,yyyymm,,stated,{URL},",
            "column 'value': value 202613.0 is not valid; expected a month as YYYYMM",
        ),
        (
            "leapmotor,x,Spain,export,list_price,,20000,EUR,,stated,{URL},",
            "column 'fact': value 'list_price' is not valid; expected given with a car",
        ),
        (
            "leapmotor,x,Spain,local_assembly,capacity,,20000,EUR,,stated,{URL},",
            "column 'unit': value 'EUR' is not valid; expected a unit of the row's fact",
        ),
        (
            "leapmotor,x,Spain,by_boat,maker_share,,50,pct,2026,stated,{URL},",
            "column 'route': value 'by_boat' is not valid",
        ),
        (
            "leapmotor,x,Spain,export,maker_share,,120,pct,2026,stated,{URL},",
            "expected from 0 to 100 for a share or stake",
        ),
        (
            "leapmotor,x,Spain,export,maker_share,,50,pct,2026-13,stated,{URL},",
            "column 'period': value '2026-13' is not valid",
        ),
        ("tata,x,Spain,export,maker_share,,50,pct,2026,stated,{URL},", "a maker key of makers.csv"),
        (
            "leapmotor,x,<b>Spain</b>,export,maker_share,,50,pct,2026,stated,{URL},",
            "column 'country': value '<b>Spain</b>' is not valid; expected a country or region",
        ),
        (
            "leapmotor,leapmotor_international_spain,Italy,local_assembly,capacity,,1,"
            "units_per_year,2027,stated,{URL},",
            "column 'venture': value 'leapmotor_international_spain' is not valid; expected one "
            "country and one route",
        ),
    ],
)
def test_a_bad_row_is_refused_naming_its_line_and_column(data_copy, row, problem):
    append(data_copy, row)
    message = refused(data_copy)
    assert "line 42" in message and problem in message


def test_the_routes_of_a_makers_ventures():
    table = data.load_ventures(FROZEN_DATA)
    leapmotor = makers.get("leapmotor", FROZEN_DATA)
    found = ventures.of_maker(table, leapmotor)
    routes = ventures.routes(found, leapmotor)
    assert {slug: v.country for slug, v in routes.items()} == {
        "export": "Europe",
        "europe_assembly": "Spain",  # the Polish venture has no start: not a plant to model
        "sea": "Malaysia",
    }
    assert ventures.priced_cars(found)[0] == "b10"  # the first car priced in both markets
    spain = routes["europe_assembly"]
    assert spain.first("start")["value"] == 202608
    capex = routes["sea"].rows[routes["sea"].rows["fact"] == "start"]
    assert routes["sea"].first("start")["source_url"] == capex.iloc[0]["source_url"]  # the first


def test_markets_are_geography_not_makers():
    assert ventures.market("Hungary") == "europe" and ventures.market("Thailand") == "sea"
    assert ventures.market("Norway") is None  # outside the EU's duties: not the model's Europe
    assert ventures.market("Brazil") is None


def test_a_maker_without_rows_has_no_venture():
    with pytest.raises(MissingData, match=r"^NIO: no overseas venture in the data \("):
        ventures.of_maker(data.load_ventures(FROZEN_DATA), makers.get("nio", FROZEN_DATA))
