"""lib.sales.tables: tables for readers carry the computed numbers, cite sources only where the
data have one, escape text from the data, and leave out tables with nothing to say."""

from __future__ import annotations

import dataclasses

import pytest

from lib import sales
from lib.sales import tables
from tests.conftest import FROZEN_DATA


def analysis_for(maker: str, target: int, data_dir=FROZEN_DATA):
    params = sales.Params(
        maker=maker, target_units=target, target_year=2026, n_paths=300, seed=5, backtest_paths=100
    )
    return sales.analyse(sales.load(params, data_dir))


@pytest.fixture(scope="module")
def result():
    return analysis_for("leapmotor", 1_000_000)


def test_the_needs_table_carries_the_arithmetic(result):
    html = tables.needs_table(result).to_html()
    assert "deliveries in 2025" in html and "596,555" in html
    assert "+67.6%" in html  # 1,000,000 / 596,555 - 1
    assert "2026-07, 2026-08" in html


def test_the_assumptions_table_cites_a_stated_target_and_calls_another_a_parameter(result):
    html = tables.assumptions_table(result).to_html()
    assert "Zhu Jiangming" in html and "internal target" in html
    assert "3 days before to 11 days after" in html and "[0.5, 5]" in html
    other = dataclasses.replace(
        result,
        inputs=dataclasses.replace(
            result.inputs,
            settings=dataclasses.replace(result.inputs.settings, target_units=900_000),
        ),
    )
    assert "parameter set by the analyst (no source)" in tables.assumptions_table(other).to_html()


def test_tables_with_nothing_to_say_are_left_out(result):
    assert len(tables.model_tables(result)) == 1  # every model ran
    assert len(tables.backtest_tables(result)) == 2
    comparison = result.comparison
    shown = tables.comparison_tables(result)
    assert len(shown) == 1 + bool((comparison["why_not"] != "").any())


def test_the_backtest_detail_names_makers_from_the_registry(result):
    detail = tables.backtest_detail(result)
    assert {"Leapmotor", "Tesla China", "Li Auto"} <= set(detail["maker"])
    # Leapmotor's last month is June 2026, so the backtest forecasts from June cutoffs: all 18
    # maker-years are scored (from December cutoffs four are too short for any model).
    assert result.months_reported == 6
    assert len(detail) == 18 and (detail["headline"] == "yes").sum() == 13


def test_text_from_the_data_is_escaped(result):
    hostile = dataclasses.replace(result.inputs.maker, display_name="<b>Leap</b>")
    loaded = dataclasses.replace(
        result.inputs, registry={**result.inputs.registry, "leapmotor": hostile}
    )
    html = tables.backtest_tables(dataclasses.replace(result, inputs=loaded))[1].to_html()
    assert "&lt;b&gt;Leap&lt;/b&gt;" in html and "<b>Leap</b>" not in html


def test_without_a_complete_year_the_needs_table_says_so(result):
    arithmetic = dataclasses.replace(result.arithmetic, last_full_year=None)
    projection = dataclasses.replace(result.projection, arithmetic=arithmetic)
    html = tables.needs_table(dataclasses.replace(result, projection=projection)).to_html()
    assert "none in the data" in html and "None" not in html


def test_the_result_tables_are_left_out_without_their_data(result):
    assert len(tables.resolution_tables(result)) == 1
    # The whole-year table (k = 0..11) first, then the four horizons; an older peer_scores.json
    # without the whole-year averages gives the horizons only.
    shown = tables.horizon_tables(result)
    assert len(shown) == 2 and "CRPS vs it [95%]" in shown[0].to_html()
    older = dataclasses.replace(result.peer_scores, year=None)
    assert len(tables.horizon_tables(dataclasses.replace(result, peer_scores=older))) == 1
    bare = dataclasses.replace(result, resolution=None, peer_scores=None)
    assert tables.resolution_tables(bare) == [] and tables.horizon_tables(bare) == []
