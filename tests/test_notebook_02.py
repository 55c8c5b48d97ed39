"""Notebook 02 (brand premium) run end to end: the default maker, other makers, a maker without
trims, bad parameters."""

from __future__ import annotations

import shutil

import nbformat
import pandas as pd
import papermill
import pytest

from lib import contract, paths, premium, results
from lib.premium import names
from tests.conftest import FROZEN_DATA

pytestmark = pytest.mark.notebooks

NOTEBOOK = "02_brand_premium"
COMPARISONS = ["AITO", "Li Auto", "NIO", "Tesla", "Xiaomi", "XPeng"]  # the frozen registry's


def value(found: dict, name: str):
    assert name in found, f"result {name!r} not recorded; recorded: {sorted(found)}"
    return found[name]["value"]


def test_default_run_answers_the_question(run_notebook):
    executed, found = run_notebook(NOTEBOOK, n_draws=500)
    premium = found["focus_premium_pct"]
    assert premium["low"] < premium["value"] < premium["high"]
    assert premium["high"] < 0, "Leapmotor lists below BYD for the same specs"
    assert value(found, "reference_brand") == "BYD"
    assert 1500 < value(found, "n_trims_used") < 2643
    assert -40 < value(found, "focus_premium_bev_only_pct") < 0
    gaps = {brand: value(found, names.gap_to(brand)) for brand in COMPARISONS}
    assert not any(
        n.startswith(names.GAP_PREFIX) and n not in map(names.gap_to, COMPARISONS) for n in found
    )
    assert gaps["Tesla"] > 0 and gaps["NIO"] > 0 and gaps["AITO"] > 0
    assert found["gap_to_tesla_rmb"]["low"] > 0
    price = found["flagship_price_rmb"]
    assert price["low"] < price["value"] < price["high"]
    assert 150_000 < price["value"] < 500_000
    assert "80% prediction interval" in price["meaning"]
    p = value(found, "p_flagship_in_band")
    assert p == pytest.approx(0.4135, abs=1e-3)  # the frozen data's answer (README)
    assert found["focus_premium_pct"]["role"] == "headline"
    assert value(found, "flagship_series") == "D19"  # Leapmotor's own, as the data name it
    assert value(found, "price_band") == "250,000-300,000 yuan"  # its sourced expected band
    assert value(found, names.FOCUS_PREMIUM_STATUS) == "ok"
    assert value(found, names.FOCUS_BRAND) == "Leapmotor"
    # A gap is the same car's expected price under another badge minus under the maker's: priced
    # for Tesla China instead (asked for: the D19 is not Tesla's), the car lists at Leapmotor's
    # price plus that gap.
    _, tesla = run_notebook(
        NOTEBOOK,
        maker="tesla_china",
        comparison_brands=["Leapmotor"],
        n_draws=300,
        flagship_series="D19",
        price_band_low_rmb=250_000,  # the D19's sourced band is Leapmotor's, not Tesla China's
        price_band_high_rmb=300_000,
    )
    assert value(tesla, "flagship_price_rmb") == pytest.approx(price["value"] + gaps["Tesla"])
    assert value(tesla, "gap_to_leapmotor_rmb") == pytest.approx(-gaps["Tesla"])
    text = "".join(
        str(output.get("data", {}).get("text/markdown", ""))
        for cell in executed.cells
        for output in cell.get("outputs", [])
    )
    assert "## The answer" in text and "list prices" in text
    # priced before launch: the record's size and scores, its own cars among them
    cars = value(found, names.LAUNCH_RECORD_CARS)
    assert (cars, value(found, names.LAUNCH_RECORD_OWN_CARS)) == (1314, 41)  # the frozen data's
    assert 0 < value(found, names.LAUNCH_RECORD_SERIES) < cars
    for name in (
        names.LAUNCH_RECORD_MAE_PCT,
        names.LAUNCH_RECORD_COVERAGE80_PCT,
        names.LAUNCH_RECORD_OWN_MAE_PCT,
        names.LAUNCH_RECORD_OWN_COVERAGE80_PCT,
    ):
        assert 0 <= found[name]["low"] <= value(found, name) <= found[name]["high"] <= 100, name
    record = results.table_frame(found[names.LAUNCH_RECORD])
    assert len(record) == cars and record["inside"].mean() * 100 == pytest.approx(
        value(found, names.LAUNCH_RECORD_COVERAGE80_PCT)
    )
    assert "**Priced before launch:**" in text and "Leapmotor's own:" in text


def test_runs_for_nio_with_its_own_flagship_and_a_wide_band(run_notebook):
    _, found = run_notebook(
        NOTEBOOK,
        maker="nio",
        comparison_brands=["Tesla", "Leapmotor", "BYD"],
        flagship_series="ET9",
        flagship_trims=[],
        price_band_low_rmb=10_000,
        price_band_high_rmb=9_000_000,
        n_draws=300,
    )
    premium = found["focus_premium_pct"]
    assert premium["low"] > 0, "NIO lists above BYD for the same specs"
    assert value(found, "p_flagship_in_band") > 0.99  # a band covering every price
    assert value(found, "gap_to_leapmotor_rmb") < 0  # the Leapmotor badge lists lower than NIO's
    assert "gap_to_byd_rmb" in found and "gap_to_tesla_rmb" in found
    assert 500_000 < value(found, "flagship_price_rmb") < 1_500_000  # the ET9 lists at 788-818k


def test_runs_for_xpeng_against_tesla_on_bev_only(run_notebook):
    _, found = run_notebook(
        NOTEBOOK,
        maker="xpeng",
        reference_brand="Tesla",
        comparison_brands=["NIO", "Zeekr"],
        powertrains=["bev"],
        model_years=[2024, 2025],
        flagship_series="G9",
        flagship_trims=[],
        price_band_low_rmb=300_000,
        price_band_high_rmb=400_000,
        n_draws=300,
    )
    assert value(found, "reference_brand") == "Tesla"
    assert found["focus_premium_pct"]["high"] < 0  # XPeng lists below Tesla
    bev = found["focus_premium_bev_only_pct"]
    assert bev["value"] == pytest.approx(found["focus_premium_pct"]["value"])  # BEV-only sample
    assert set(found) >= {"gap_to_nio_rmb", "gap_to_zeekr_rmb", "p_flagship_in_band"}


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"maker": "leap_motor"}, "unknown maker 'leap_motor': did you mean leapmotor"),
        ({"flagship_drive_if_missing": ""}, "has no value for drive"),
    ],
)
def test_bad_parameters_fail_fast_with_a_clear_message(run_notebook, parameters, message):
    with pytest.raises(papermill.PapermillExecutionError) as failure:
        run_notebook(NOTEBOOK, **parameters)
    assert message in str(failure.value)


def test_a_maker_without_trims_stops_at_the_first_cell_with_what_is_missing(
    run_notebook, monkeypatch, tmp_path
):
    copy = tmp_path / "data"
    shutil.copytree(FROZEN_DATA, copy)
    trims = pd.read_csv(copy / "vehicle_trims.csv", dtype=str, keep_default_na=False)
    trims[trims["brand"] != "Xiaomi"].to_csv(copy / "vehicle_trims.csv", index=False)
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(copy))
    with pytest.raises(papermill.PapermillExecutionError) as failure:
        run_notebook(NOTEBOOK, maker="xiaomi")
    assert failure.value.ename == "MissingData"
    assert "Xiaomi has no trims under its badge 'Xiaomi' in vehicle_trims.csv" in str(failure.value)
    # the first code cell after the parameters (and the cell papermill injects)
    assert failure.value.cell_index == 3


def test_a_maker_with_too_little_data_gets_no_number_and_no_none(run_notebook):
    executed, found = run_notebook(NOTEBOOK, maker="li_auto", n_draws=200)
    premium_ = found[names.FOCUS_PREMIUM_PCT]
    assert premium_["value"] is None and premium_["low"] is None
    assert value(found, names.FOCUS_PREMIUM_STATUS) == "too little data (1 trim, 1 series)"
    assert value(found, "flagship_series") is None and "price_band" not in found
    text = "".join(
        str(output.get("data", {}).get("text/markdown", ""))
        for cell in executed.cells
        for output in cell.get("outputs", [])
    )
    assert "too little data (1 trim, 1 series)" in text
    assert "None" not in text and "D19" not in text  # no other maker's car, no blank


def test_the_notebook_follows_the_contract():
    notebook = nbformat.read(paths.NOTEBOOKS_DIR / f"{NOTEBOOK}.ipynb", as_version=4)
    assert contract.cell_problems(premium.Params, paths.NOTEBOOKS_DIR / f"{NOTEBOOK}.ipynb") == []
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata["tags"]
    assert "params = premium.Params.from_values(globals())" in code[1].source
    assert "inputs = premium.load(params)" in code[1].source
    assert code[2].source == "result = premium.analyse(inputs)\nresult.record()"
    for cell in code:
        last = cell.source.splitlines()[-1]
        assert "plt." not in cell.source and not last.endswith(";"), cell.source
        if ".charts." in cell.source:
            assert last.startswith("premium.charts."), cell.source
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    # the record's section is where names.RECORD_SECTION links (the report's heading anchor)
    headings = [
        line[3:]
        for c in notebook.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith("## ")
    ]
    assert names.RECORD_SECTION[1:] in [h.replace(" ", "-") for h in headings]
