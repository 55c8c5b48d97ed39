"""Notebook 01 runs for the default maker, for other makers and as a backtest; bad input stops it
early with a message that names the parameter."""

from __future__ import annotations

import pytest
from papermill.exceptions import PapermillExecutionError

NOTEBOOK = "01_sales_trajectory"
SMALL = {"n_paths": 600, "backtest_paths": 200, "comparison_paths": 200}

pytestmark = pytest.mark.notebooks


def answer_text(executed) -> str:
    return "\n".join(
        output.get("data", {}).get("text/markdown", "")
        for cell in executed.cells
        for output in cell.get("outputs", [])
    )


def test_default_maker_answers_with_consistent_numbers(run_notebook):
    executed, found = run_notebook(NOTEBOOK, **SMALL)
    value = {name: result["value"] for name, result in found.items()}
    assert 0.0 <= value["p_reach_target"] <= 1.0
    # The internal target (1,050,000) is higher, so it cannot be more likely.
    assert value["p_reach_internal_target"] <= value["p_reach_target"]
    median = found["forecast_median_units"]
    assert median["low"] < median["value"] < median["high"]
    # Four months of 2026 are reported (235,071 vehicles): no path can total less.
    assert median["low"] > 235_071
    assert value["required_growth_pct"] == pytest.approx(100 * (1_000_000 / 596_555 - 1))
    assert value["required_monthly_run_rate_units"] == pytest.approx((1_000_000 - 235_071) / 8)
    assert value["latest_run_rate_units"] == pytest.approx((81_569 + 93_376) / 2)
    assert value["backtest_cases"] == 13
    # The Q4 run-rate x 4 rule is deterministic: 21.3% on the 13 maker-years.
    assert value["backtest_mape_best_naive_pct"] == pytest.approx(21.3, abs=0.05)
    assert 5 < value["backtest_mape_chosen_pct"] < 30
    assert 0 <= value["backtest_coverage80_chosen_pct"] <= 100
    # No fixed blend, even chosen knowing the outcomes, reaches the 15% goal on the shipped data;
    # the combination itself is one of the blends searched.
    hindsight = value["backtest_mape_hindsight_blend_pct"]
    assert 15 < hindsight <= value["backtest_mape_chosen_pct"] + 1e-9
    assert "The combination does not meet the goal." in answer_text(executed)
    assert value["target_units"] == 1_000_000 and value["target_year"] == 2026
    assert "Leapmotor reaches 1,000,000 deliveries in 2026" in answer_text(executed)


def test_other_makers_and_a_backtest_cutoff(run_notebook):
    _, nio = run_notebook(NOTEBOOK, maker="nio", target_units=500_000, **SMALL)
    assert 0.0 <= nio["p_reach_target"]["value"] <= 1.0
    assert "p_reach_internal_target" not in nio
    assert nio["required_growth_pct"]["value"] == pytest.approx(100 * (500_000 / 326_028 - 1))

    # As of December 2024 only years up to 2024 can be scored, and 2025 is entirely forecast.
    executed, tesla = run_notebook(
        NOTEBOOK,
        maker="tesla_china",
        target_units=900_000,
        target_year=2025,
        data_through="2024-12",
        **SMALL,
    )
    assert tesla["required_growth_pct"]["value"] == pytest.approx(100 * (900_000 / 916_660 - 1))
    assert tesla["required_monthly_run_rate_units"]["value"] == pytest.approx(75_000)
    assert tesla["backtest_cases"]["value"] == 8
    low, high = tesla["forecast_median_units"]["low"], tesla["forecast_median_units"]["high"]
    assert 300_000 < low < high < 2_000_000
    # The outcome is compared only after the forecast, and said to be unused by it.
    assert "In hindsight (data after the cutoff, unused above): Tesla China delivered 851,732" in (
        answer_text(executed)
    )


def test_a_maker_with_a_short_history_gets_the_models_that_can_run(run_notebook):
    executed, xiaomi = run_notebook(NOTEBOOK, maker="xiaomi", target_units=500_000, **SMALL)
    assert 0.0 <= xiaomi["p_reach_target"]["value"] <= 1.0
    assert xiaomi["required_growth_pct"]["value"] is None  # no complete year in the data
    text = answer_text(executed)
    assert "Only Logistic growth curve could run on this history" in text
    tables = "\n".join(
        output.get("data", {}).get("text/html", "")
        for cell in executed.cells
        for output in cell.get("outputs", [])
    )
    assert "needs at least 24 reported months; xiaomi (up to 2026-02) has 19" in tables


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"maker": "tesla"}, "unknown maker 'tesla'; known makers: aito_hima, byd, leapmotor"),
        ({"target_units": 0}, "target_units must be a positive number of vehicles per year; got 0"),
    ],
)
def test_bad_parameters_stop_before_the_models(run_notebook, parameters, message):
    with pytest.raises(PapermillExecutionError) as failure:
        run_notebook(NOTEBOOK, **parameters)
    assert message in str(failure.value)
    assert failure.value.exec_count <= 3  # the set-up cell, before any model runs
