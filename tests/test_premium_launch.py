"""Launch prices against the model: the comparison, the implied premium and the band answer."""

from __future__ import annotations

import pandas as pd
import pytest

from lib import makers
from lib.premium import inputs, pricing
from tests.conftest import FROZEN_DATA


def test_launch_prices_pair_low_and_high_rows_of_the_maker():
    assumptions = pd.DataFrame(
        {
            "value": [219_800, 269_800, 249_800, 1.0],
            "as_of": ["2026-04"] * 4,
            "source_url": ["https://example.com/a"] * 4,
            "note": ["Leapmotor D19 low", "Leapmotor D19 high", "Leapmotor D99 low only", "x"],
        },
        index=[
            "premium_d19_launch_price_low_rmb",
            "premium_d19_launch_price_high_rmb",
            "premium_d99_launch_price_low_rmb",
            "other",
        ],
    )
    registry = makers.registry(FROZEN_DATA)
    found = inputs.launch_prices(assumptions, registry["leapmotor"])
    assert found[["series", "low_rmb", "high_rmb"]].values.tolist() == [["D19", 219_800, 269_800]]
    assert inputs.launch_prices(assumptions, registry["nio"]).empty
    # a maker is named as a word: 'NIO' inside 'uNIOn' or 'seNIOr' is not NIO
    worded = assumptions.assign(note=["union D19 low", "senior D19 high", "", ""])
    assert inputs.launch_prices(worded, registry["nio"]).empty
    assert not inputs.launch_prices(
        worded.assign(note=["NIO's D19", "by nio", "", ""]), registry["nio"]
    ).empty


def test_the_launch_is_compared_with_the_model_prices_of_its_specs():
    flagship = pd.DataFrame({"series": ["D19", "D19"], "trim_name": ["BEV", "EREV"]})
    prices = pd.DataFrame(
        {
            "trim_name": ["BEV", "EREV", "BEV", "EREV"],
            "brand": ["Leapmotor", "Leapmotor", "BYD", "BYD"],
            "expected_rmb": [250_000.0, 300_000.0, 400_000.0, 500_000.0],
            "low_rmb": [200_000.0, 240_000.0, 0, 0],
            "high_rmb": [310_000.0, 380_000.0, 0, 0],
        }
    )
    launches = pd.DataFrame(
        {
            "series": ["D19", "D99"],
            "low_rmb": [200_000.0, 249_800.0],
            "high_rmb": [270_000.0, 319_800.0],
        }
    )
    table = pricing.launch_comparison(
        prices, flagship, launches, "Leapmotor", "BYD", (250_000, 300_000)
    ).set_index("series")
    d19 = table.loc["D19"]
    assert (d19["model_low_rmb"], d19["model_high_rmb"]) == (250_000, 300_000)
    assert d19["launch_vs_model_low_pct"] == pytest.approx(-20.0)
    assert d19["launch_vs_model_high_pct"] == pytest.approx(-10.0)
    assert d19["implied_premium_low_pct"] == pytest.approx(-50.0)
    assert d19["implied_premium_high_pct"] == pytest.approx(-46.0)
    assert d19["in_band"] == "partly inside" and bool(d19["priced"])
    assert not table.loc["D99", "priced"] and pd.isna(table.loc["D99", "model_low_rmb"])
    below = pd.DataFrame({"series": ["D19"], "low_rmb": [100_000.0], "high_rmb": [200_000.0]})
    assert (
        pricing.launch_comparison(prices, flagship, below, "Leapmotor", "BYD", (250_000, 300_000))[
            "in_band"
        ].item()
        == "below"
    )
