"""notebooks/04_globalization_payback: parameters match the model, runs for several makers with few
draws, records consistent results, and fails fast with a clear message on a bad parameter."""

from __future__ import annotations

import math

import papermill
import pytest

from lib import paths, payback, scenarios

NAME = "04_globalization_payback"
SLUGS = ("export", "spain", "sea")
SMALL = {"n_sims": 3000, "seed": 7}


def test_parameters_cell_declares_exactly_the_model_parameters():
    spec = scenarios.inspect(paths.NOTEBOOKS_DIR / f"{NAME}.ipynb")
    assert set(spec.parameters) == set(payback.parameter_names())
    assert spec.parameters["n_sims"].default == 100_000
    assert spec.parameters["maker"].default == "leapmotor"


def check_results(found: dict, horizon: int = 10) -> None:
    for slug in SLUGS:
        npv = found[f"{slug}_median_npv_rmb_mn"]
        assert npv["unit"] == "RMB_mn" and npv["low"] <= npv["value"] <= npv["high"]
        assert found[f"{slug}_p_payback_5y"]["value"] <= found[f"{slug}_p_payback_8y"]["value"]
        payback_years = found[f"{slug}_median_payback_years"]
        if payback_years["value"] is None:  # the median draw never pays back: said so, no number
            assert found[f"{slug}_p_payback_8y"]["value"] < 0.5
            assert "n/a" in payback_years["meaning"]
        else:
            assert 0 <= payback_years["value"] <= horizon
            assert payback_years["low"] <= payback_years["value"]
        # NPV below zero in more than half the draws exactly when the median NPV is negative
        assert (found[f"{slug}_p_npv_negative"]["value"] > 0.5) == (npv["value"] < 0)
        assert found[f"{slug}_top_driver"]["value"] in payback.MODEL_PARAMETERS
    best = found["best_strategy"]["value"]
    assert best in SLUGS
    medians = {slug: found[f"{slug}_median_npv_rmb_mn"]["value"] for slug in SLUGS}
    assert medians[best] == max(medians.values())
    p_horizon = found["best_p_payback_horizon"]
    assert p_horizon["role"] == "headline" and found["best_strategy"]["role"] == "supporting"
    if horizon >= 8:  # paying back within 8 years is paying back within the horizon
        assert found[f"{best}_p_payback_8y"]["value"] <= p_horizon["value"]


def answer_text(executed) -> str:
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/markdown", "")
            if text.startswith("**Best of the three routes"):
                return text
    raise AssertionError("no answer paragraph in the executed notebook")


@pytest.mark.notebooks
def test_leapmotor_default_run(run_notebook):
    executed, found = run_notebook(NAME, **SMALL)
    check_results(found)
    # local assembly replaces 30.7% tariffs on up to 40,000 cars: it loses money less often
    assert found["spain_p_npv_negative"]["value"] < found["export_p_npv_negative"]["value"]
    assert found["spain_median_npv_rmb_mn"]["value"] > found["export_median_npv_rmb_mn"]["value"]
    text = answer_text(executed)
    assert "Leapmotor's 49% share of the venture" in text
    # the paragraph says what the recorded results say
    best = found["best_strategy"]["value"]
    p_horizon = found["best_p_payback_horizon"]["value"]
    assert f"within the 10-year horizon in {p_horizon:.0%} of draws" in text
    years = found[f"{best}_median_payback_years"]["value"]
    assert (
        f"a median of {years:.1f} years" in text
        if years is not None
        else "no median payback" in text
    )


@pytest.mark.notebooks
def test_a_maker_without_an_overseas_venture_stops_with_no_data(run_notebook):
    """Not another maker's venture: MissingData in the set-up cell, which the runner publishes as
    a 'No data for this maker' report."""
    with pytest.raises(papermill.PapermillExecutionError) as failure:
        run_notebook(NAME, maker="nio", **SMALL)
    assert failure.value.ename == "MissingData"
    assert "NIO: no overseas venture in the data" in str(failure.value)
    assert failure.value.exec_count <= 3  # the set-up cell, before any long work


@pytest.mark.notebooks
def test_lower_duty_scenario_raises_export_npv(run_notebook):
    _, duty = run_notebook(NAME, europe_cvd_pct=17.0, **SMALL)
    _, base = run_notebook(NAME, **SMALL)
    assert duty["export_median_npv_rmb_mn"]["value"] > base["export_median_npv_rmb_mn"]["value"]
    # the Malaysian route does not depend on EU duties: same draws, same numbers
    assert math.isclose(
        duty["sea_median_npv_rmb_mn"]["value"], base["sea_median_npv_rmb_mn"]["value"]
    )


@pytest.mark.notebooks
@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (
            {"europe_volume_growth_pct": [40.0, 20.0, 10.0]},
            "europe_volume_growth_pct: min 40 is above max 10",
        ),
        ({"maker": "tata"}, "unknown maker 'tata': known makers:"),
    ],
)
def test_bad_parameter_fails_fast_with_a_clear_message(run_notebook, parameters, message):
    with pytest.raises(papermill.PapermillExecutionError) as failure:
        run_notebook(NAME, **parameters)
    assert message in str(failure.value)
    assert failure.value.exec_count <= 3  # the set-up cell, before any long work
