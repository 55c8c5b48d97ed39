"""notebooks/04_globalization_payback: the parameters cell is Params' own, the notebook runs for
the maker with few draws and records consistent results under the names constants, a maker
without a venture in the data gets 'no data', and a bad parameter fails fast with a clear
message."""

from __future__ import annotations

import math

import papermill
import pytest

from lib import contract, paths, payback
from lib.payback import names

NAME = "04_globalization_payback"
NOTEBOOK = paths.NOTEBOOKS_DIR / f"{NAME}.ipynb"
SMALL = {"n_sims": 3000, "seed": 7}


def test_parameters_cell_is_rendered_from_params():
    assert contract.cell_problems(payback.Params, NOTEBOOK) == []
    assert payback.Params().n_sims == 100_000 and payback.Params().maker == "leapmotor"


def test_cells_follow_the_notebook_contract():
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert "params = payback.Params.from_values(globals())" in code[1]
    assert "inputs = payback.load(params)" in code[1]
    assert code[2] == "result = payback.analyse(inputs)\nresult.record()"
    charts = [s for s in code if "payback.charts." in s]
    assert len(charts) == 6
    assert all(s.startswith("payback.charts.") and "\n" not in s for s in charts)  # bare call
    assert not [s for s in code if s.rstrip().endswith(";") or "plt.show" in s]
    assert notebook.metadata["kernelspec"]["name"] == "python3"


def check_results(found: dict, routes: tuple[str, ...], horizon: int = 10) -> None:
    for slug in routes:
        name = names.ROUTE_RESULTS[slug]
        npv = found[name["median_npv"]]
        assert npv["unit"] == "RMB_mn" and npv["low"] <= npv["value"] <= npv["high"]
        assert found[name["p_payback_short"]]["value"] <= found[name["p_payback_long"]]["value"]
        payback_years = found[name["median_payback"]]
        if payback_years["value"] is None:  # the median draw never pays back: said so, no number
            assert found[name["p_payback_long"]]["value"] < 0.5
            assert "n/a" in payback_years["meaning"]
        else:
            assert 0 <= payback_years["value"] <= horizon
            assert payback_years["low"] <= payback_years["value"]
        # NPV below zero in more than half the draws exactly when the median NPV is negative
        assert (found[name["p_npv_negative"]]["value"] > 0.5) == (npv["value"] < 0)
        assert found[name["top_driver"]]["value"] in [f.name for f in payback.Params.fields()]
    best = found[names.BEST_STRATEGY]["value"]
    assert best in routes
    medians = {slug: found[names.ROUTE_RESULTS[slug]["median_npv"]]["value"] for slug in routes}
    assert medians[best] == max(medians.values())
    p_horizon = found[names.BEST_P_PAYBACK_HORIZON]
    assert p_horizon["role"] == "headline" and found[names.BEST_STRATEGY]["role"] == "supporting"
    if horizon >= 8:  # paying back within 8 years is paying back within the horizon
        assert found[names.ROUTE_RESULTS[best]["p_payback_long"]]["value"] <= p_horizon["value"]


def markdown(executed) -> list[str]:
    return [
        output.get("data", {}).get("text/markdown", "")
        for cell in executed.cells
        for output in cell.get("outputs", [])
        if output.get("data", {}).get("text/markdown")
    ]


@pytest.mark.notebooks
def test_leapmotor_default_run(run_notebook):
    executed, found = run_notebook(NAME, **SMALL)
    check_results(found, ("export", "europe_assembly", "sea"))
    # local assembly replaces 30.7% tariffs on up to 40,000 cars: it loses money less often
    assembly, export = names.ROUTE_RESULTS["europe_assembly"], names.ROUTE_RESULTS["export"]
    assert found[assembly["p_npv_negative"]]["value"] < found[export["p_npv_negative"]]["value"]
    assert found[assembly["median_npv"]]["value"] > found[export["median_npv"]]["value"]
    texts = markdown(executed)
    answer = next(t for t in texts if t.startswith("**Best of the three routes"))
    assert "Leapmotor's 49% share of the venture" in answer
    # the paragraph says what the recorded results say
    best = found[names.BEST_STRATEGY]["value"]
    p_horizon = found[names.BEST_P_PAYBACK_HORIZON]["value"]
    assert f"within the 10-year horizon in {p_horizon:.0%} of draws" in answer
    years = found[names.ROUTE_RESULTS[best]["median_payback"]]["value"]
    assert f"a median of {years:.1f} years" in answer if years is not None else True
    assert any(t.startswith("**How good are these answers? Not known yet.**") for t in texts)
    pictures = [
        o for c in executed.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    ]
    assert len(pictures) == 6  # each chart shows once


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
    export, sea = names.EXPORT_MEDIAN_NPV_RMB_MN, names.SEA_MEDIAN_NPV_RMB_MN
    assert duty[export]["value"] > base[export]["value"]
    # the South-East Asian route does not depend on EU duties: same draws, same numbers
    assert math.isclose(duty[sea]["value"], base[sea]["value"])


@pytest.mark.notebooks
@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (
            {"europe_volume_growth_pct": [40.0, 20.0, 10.0]},
            "europe_volume_growth_pct: min 40 is above max 10",
        ),
        ({"maker": "tata"}, "unknown maker 'tata': known makers:"),
        ({"n_sims": 5}, "n_sims: value 5 is out of range"),
    ],
)
def test_bad_parameter_fails_fast_with_a_clear_message(run_notebook, parameters, message):
    with pytest.raises(papermill.PapermillExecutionError) as failure:
        run_notebook(NAME, **{**SMALL, **parameters})
    assert message in str(failure.value)
    assert failure.value.exec_count <= 3  # the set-up cell, before any long work
