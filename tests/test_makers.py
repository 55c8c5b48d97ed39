"""The maker registry and the one `maker` switch: a scenario or --maker sets it for every notebook,
an unknown maker is refused before any kernel starts, a maker without the data a notebook needs
gets a report that says so instead of a failed run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lib import data, makers, pipeline
from tests.conftest import FROZEN_DATA, make_project

# The registry


def test_every_maker_with_deliveries_is_in_the_registry_and_names_resolve():
    registry = makers.registry()
    assert set(data.brands(data.load_deliveries())) <= set(registry)
    for maker in registry.values():
        assert makers.find(maker.display_name) == maker
        assert all(makers.find(badge) == maker for badge in maker.trim_brands)
        if maker.company:
            assert makers.find(maker.company) == maker


def test_registry_rows_point_at_rows_that_exist():
    registry = makers.registry()
    assumptions = data.load_assumptions()
    companies = set(data.load_financials()["company"])
    badges = set(data.load_trims()["brand"])
    for maker in registry.values():
        rows = [maker.discount_row, maker.eu_cvd_row, maker.target_row]
        assert {r for r in rows if r} <= set(assumptions.index), maker.key
        assert maker.company is None or maker.company in companies, maker.key
        assert set(maker.trim_brands) <= badges, maker.key


def test_an_unknown_maker_lists_the_close_matches():
    with pytest.raises(makers.UnknownMaker, match="'leapmotr': did you mean leapmotor\\?"):
        makers.get("leapmotr", FROZEN_DATA)
    assert makers.find("nobody") is None


def test_a_makers_target_is_the_parameter_its_stated_target_or_last_years_deliveries():
    assumptions = data.load_assumptions(FROZEN_DATA)
    deliveries = data.load_deliveries(FROZEN_DATA)
    financials = data.load_financials(FROZEN_DATA)
    leap = makers.get("leapmotor", FROZEN_DATA)
    stated = makers.stated_target(leap, assumptions, 2026)
    assert stated.value == 1_000_000 and makers.stated_target(leap, assumptions, 2027) is None

    def target(key: str, units: float = 0):
        entry = makers.get(key, FROZEN_DATA)
        found = makers.stated_target(entry, assumptions, 2026)
        return makers.resolve_target(units, found, deliveries, entry, 2026, financials)

    assert target("leapmotor") == (1_000_000, "stated")
    assert target("leapmotor", 1_050_000) == (1_050_000, "parameter")
    leap_2025 = deliveries[(deliveries["brand"] == "xpeng") & (deliveries["month"].dt.year == 2025)]
    assert len(leap_2025) == 12 and target("xpeng") == (leap_2025["deliveries"].sum(), "last_year")
    reported = financials.query(
        "company == 'BYD' and period == '2025FY' and metric == 'deliveries'"
    )
    assert target("byd") == (reported["value"].iloc[0], "last_year")  # monthly rows incomplete
    with pytest.raises(makers.MissingData, match="Xiaomi states no 2026 target"):
        target("xiaomi")  # neither twelve months nor a reported 2025 total


# ---------------------------------------------------------------------------------------------
# The switch


def manifest(options: pipeline.RunOptions) -> dict:
    return json.loads((options.reports_dir / "latest" / "manifest.json").read_text())


def parameters(run: dict, notebook: str) -> dict:
    return next(n["parameters"] for n in run["notebooks"] if n["name"] == notebook)


def test_a_scenario_sets_the_maker_of_every_notebook_once(tmp_path):
    options = make_project(tmp_path)
    (Path(options.params_dir) / "small.yaml").write_text(
        "description: all about xpeng\nmaker: xpeng\nnotebooks:\n  10_typed:\n    n_paths: 50\n"
    )
    assert pipeline.run(options) == pipeline.EXIT_OK
    run = manifest(options)
    assert parameters(run, "10_typed")["maker"] == "xpeng"
    assert run["run_id"].endswith("-small-xpeng")
    page = (options.reports_dir / "latest" / "10_typed.html").read_text()
    assert "Data freshness: xpeng deliveries to 2026-" in page


def test_the_command_line_maker_wins_over_the_scenario(tmp_path):
    options = make_project(tmp_path)  # small.yaml sets 10_typed's maker to nio
    options.maker = "li_auto"
    assert pipeline.run(options) == pipeline.EXIT_OK
    assert parameters(manifest(options), "10_typed")["maker"] == "li_auto"


def test_an_unknown_maker_is_refused_before_any_kernel_starts(tmp_path):
    options = make_project(tmp_path)
    options.maker = "leapmotr"
    with pytest.raises(
        pipeline.BadInput,
        match="10_typed: parameter maker: unknown maker 'leapmotr': did you mean leapmotor",
    ):
        pipeline.plan(options)
    done = subprocess.run(
        [sys.executable, "-m", "lib", "check", "--maker", "nio0"], capture_output=True, text=True
    )
    assert done.returncode == pipeline.EXIT_BAD_INPUT and "did you mean nio" in done.stderr
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------------------------------------
# A maker without the data: a report that says so


NO_DATA = """
from lib import makers
if maker == "aito_hima":
    raise makers.MissingData("AITO / HIMA reports no gross margin in financials_quarterly.csv")
from lib import results
results.record("answer", 1.0, "pct", "an answer", role="headline")
"""


def no_data_project(root: Path) -> pipeline.RunOptions:
    options = make_project(root)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Margins\n\nWhat margin survives."),
        nbformat.v4.new_code_cell(
            'maker: str = "leapmotor"  # maker key', metadata={"tags": ["parameters"]}
        ),
        nbformat.v4.new_code_cell(NO_DATA),
        nbformat.v4.new_markdown_cell("## A section after the answer"),
    ]
    nbformat.write(nb, Path(options.notebooks_dir) / "30_margins.ipynb")
    return options


def test_a_maker_without_the_data_gets_a_report_saying_so(tmp_path):
    options = no_data_project(tmp_path)
    options.maker = "aito_hima"
    assert pipeline.run(options) == pipeline.EXIT_OK  # a complete run: latest moves
    run = manifest(options)
    entry = next(n for n in run["notebooks"] if n["name"] == "30_margins")
    assert entry["status"] == "no_data" and entry["error"] is None
    assert entry["note"] == "AITO / HIMA reports no gross margin in financials_quarterly.csv"
    latest = options.reports_dir / "latest"
    report = (latest / "30_margins.html").read_text()
    assert 'id="no-data"' in report and "AITO / HIMA reports no gross margin" in report
    assert "Traceback" not in report and "A section after the answer" not in report
    index = (latest / "index.html").read_text()
    assert "No data for this maker" in index and "reports no gross margin" in index
    # an unchanged re-run reuses it, and still says why there is no answer
    assert pipeline.run(options) == pipeline.EXIT_OK
    entry = next(n for n in manifest(options)["notebooks"] if n["name"] == "30_margins")
    assert entry["status"] == "no_data" and entry["note"].startswith("AITO / HIMA")
