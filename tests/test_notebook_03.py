"""Notebook 03 (price-war margins) end to end on the frozen data: default maker, other makers,
a maker without financials, bad parameters."""

from __future__ import annotations

import nbformat
import pytest
from papermill.exceptions import PapermillExecutionError

from lib import makers, paths
from tests.conftest import FROZEN_DATA

NOTEBOOK = "03_price_war_margins"
pytestmark = pytest.mark.notebooks
CASES = ("gm_at_target_current_pct", "gm_at_target_cut5_pct", "gm_at_target_cut10_pct")


def _check_outlook(found: dict) -> None:
    """The next quarter: a number inside its range, or 'no data' and why, never a bare gap."""
    outlook = found["quarter_outlook_gm_pct"]
    if outlook["value"] == "no data":
        assert "no expectation" in outlook["meaning"] and "quarter_call" not in found
        return
    assert outlook["low"] < outlook["value"] < outlook["high"]
    assert found["quarter_outlook_low_pct"]["value"] == outlook["low"]
    assert found["quarter_call"]["table"]["rows"][0][1] == found["quarter_outlook_period"]["value"]


def _check_consistency(found: dict) -> None:
    _check_outlook(found)
    for name in (*CASES, "learning_rate_pct", "fixed_cost_share_pct"):
        r = found[name]
        if isinstance(r["value"], str):  # below an evidence floor: said, not a number
            assert r["value"].startswith("too little data (") and r["low"] is None, name
        elif r["low"] is None:  # no learning applied (or a share set): no interval, and why
            assert r["high"] is None, name
            assert "no interval" in r["meaning"] or "set by the analyst" in r["meaning"], name
        else:
            assert r["low"] <= r["value"] <= r["high"] and r["low"] < r["high"], name
    assert found["latest_period"]["value"] in found["latest_gross_margin_pct"]["meaning"]
    assert found["margin_basis"]["value"] in found["latest_gross_margin_pct"]["meaning"]
    cases = [found[n]["value"] for n in CASES]
    assert cases[0] > cases[1] > cases[2]
    # A 10% cut on the same unit cost: margin = 1 - (1 - m0) / 0.9.
    expected_cut10 = 100 * (1 - (1 - found["gm_at_target_current_pct"]["value"] / 100) / 0.9)
    assert found["gm_at_target_cut10_pct"]["value"] == pytest.approx(expected_cut10, abs=1e-6)
    assert found["gm_at_target_cut10_pct"]["role"] == "headline"
    supporting = {n for n, r in found.items() if r["role"] == "supporting"}
    assert supporting == {
        "gm_at_target_current_pct",
        "gm_at_target_cut5_pct",
        "latest_gross_margin_pct",
    }


def _outputs(executed) -> str:
    return "\n".join(str(o.get("data", {})) for c in executed.cells for o in c.get("outputs", []))


def test_default_maker(run_notebook):
    executed, found = run_notebook(NOTEBOOK)
    assert found["latest_period"]["value"] == "2025Q4"
    assert found["latest_gross_margin_pct"]["value"] == pytest.approx(15.0)
    assert found["target_volume_units"]["value"] == 1_000_000
    # The headline numbers of the frozen data (README): 13% learning, 22.3 / 18.2 / 13.7%.
    assert found["learning_rate_pct"]["value"] == pytest.approx(13.2, abs=0.05)
    assert [round(found[n]["value"], 1) for n in CASES] == [22.3, 18.2, 13.7]
    # d / (m - d) at m = 15%, d = 10%.
    assert found["volume_increase_for_10pct_cut_pct"]["value"] == pytest.approx(200.0)
    assert found["volume_increase_for_10pct_cut_fixed_cost_pct"]["value"] < 200.0
    _check_consistency(found)
    text = _outputs(executed)
    assert "insideevs.com" in text  # the events table lists its sources
    assert "In 2025Q4 Leapmotor earned a company gross margin of **15.0%**" in text
    assert found["margin_basis"]["value"] == "company gross margin of Leapmotor, RMB"
    # The next quarter (tests/test_margins_outlook.py pins how it is made).
    assert found["quarter_outlook_period"]["value"] == "2026Q1"
    outlook = found["quarter_outlook_gm_pct"]
    assert (outlook["value"], outlook["low"], outlook["high"]) == pytest.approx(
        (13.50, 10.26, 15.56), abs=0.005
    )
    assert found["quarter_call"]["table"]["rows"][0][:2] == ["leapmotor", "2026Q1"]
    assert found["quarter_record_pooled_quarters"]["value"] == 21
    assert "Next quarter (2026Q1): Leapmotor's gross margin expected **13.5%**" in text
    sources = [c.source for c in executed.cells if c.cell_type == "markdown"]
    assert "### Earlier runs' calls, scored" in sources


def test_other_maker_with_explicit_periods_and_grid(run_notebook):
    executed, found = run_notebook(
        NOTEBOOK,
        maker="xpeng",
        peers="NIO, Li Auto",
        start_quarter="2025Q4",
        bridge_base_quarter="2025Q2",
        price_cut_max_pct=15.0,
        volume_change_max_pct=200.0,
        fixed_cost_share_pct=10.0,
        learning_rate_pct=12.0,
        target_volume_units=600_000,
    )
    assert found["latest_period"]["value"] == "2025Q4"
    assert found["latest_gross_margin_pct"]["value"] == pytest.approx(21.3)
    assert found["learning_rate_pct"]["value"] == pytest.approx(12.0)
    assert found["fixed_cost_share_pct"]["value"] == pytest.approx(10.0)
    assert found["volume_increase_for_10pct_cut_pct"]["value"] == pytest.approx(
        100 * 0.1 / (0.213 - 0.1)
    )
    assert "XPeng" in found["latest_gross_margin_pct"]["meaning"]
    _check_consistency(found)
    outputs = [str(o.get("data", {})) for c in executed.cells for o in c.get("outputs", [])]
    afford = next(o for o in outputs if "price cut to zero gross profit" in o)
    assert "NIO" in afford and "Li Auto" in afford and "Tesla" not in afford
    assert any("Gross profit 2025Q2" in o for o in outputs)
    # The prose names only the maker and the peers asked for; other makers not at all.
    prose = "\n".join(
        [c.source for c in executed.cells if c.cell_type == "markdown"]
        + [
            str(o.get("data", {}).get("text/markdown", ""))
            for c in executed.cells
            for o in c.get("outputs", [])
        ]
    )
    others = {"XPeng", "NIO", "Li Auto"}
    for entry in makers.registry(FROZEN_DATA).values():
        for name in {entry.display_name, entry.company} - {None} - others:
            assert name not in prose, name


@pytest.mark.parametrize("maker", ["byd", "xiaomi", "tesla_china"])
def test_makers_with_thin_or_different_data(run_notebook, maker):
    _, found = run_notebook(NOTEBOOK, maker=maker)
    assert isinstance(found["latest_gross_margin_pct"]["value"], float)
    _check_consistency(found)
    assert found["margin_basis"]["value"].startswith(("company gross margin", "vehicle margin"))


def test_charts_are_shown_one_way():
    """Each chart cell ends with the bare chart call: no pyplot, no trailing semicolon."""
    notebook = nbformat.read(paths.NOTEBOOKS_DIR / f"{NOTEBOOK}.ipynb", as_version=4)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert not any("plt." in source or "matplotlib" in source for source in code)
    assert not any(line.rstrip().endswith(";") for source in code for line in source.splitlines())
    charts = [s for s in code if "_chart(" in s]
    assert len(charts) == 9
    assert all(s.splitlines()[-1].startswith("margins.charts.") for s in charts)


def test_a_maker_without_financials_says_so(run_notebook):
    with pytest.raises(PapermillExecutionError) as failure:
        run_notebook(NOTEBOOK, maker="aito_hima")
    assert failure.value.ename == "MissingData"
    assert "AITO / HIMA has no financials in financials_quarterly.csv" in failure.value.evalue


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"maker": "leap"}, "unknown maker 'leap': did you mean leapmotor"),
        ({"start_quarter": "2019Q2"}, "start_quarter: no data for Leapmotor in 2019Q2"),
        (
            {"price_cut_min_pct": 10.0, "price_cut_max_pct": 5.0},
            "price_cut_max_pct: 5.0 is below price_cut_min_pct 10.0: the grid is empty",
        ),
        ({"target_volume_units": 0}, "target_volume_units: value 0 is out of range"),
    ],
)
def test_bad_parameters_fail_with_a_clear_message(run_notebook, parameters, message):
    with pytest.raises(PapermillExecutionError, match=message):
        run_notebook(NOTEBOOK, **parameters)
