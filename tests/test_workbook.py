"""Workbooks: one per report and one of the headline numbers, their numbers equal results.json."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest

from lib import workbook
from tests.test_summary_note import write_run


@pytest.fixture
def data_dir(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "deliveries_monthly.csv").write_text(
        "brand,month,deliveries,quality,source_url,note\n"
        "a,2026-01,1,stated,https://example.com/one,\n"
        "a,2026-02,2,stated,https://example.com/one,\n"
        "b,2026-01,3,stated,https://example.com/two,\n"
    )
    return folder


def test_a_report_workbook_holds_its_results_parameters_and_sources(tmp_path, data_dir):
    reports = tmp_path / "reports"
    previous = write_run(reports, "20260901T000000-base", p=0.2)
    run = write_run(reports, "20261001T000000-base", p=0.3)
    parameters = {"01_sales_trajectory": [{"name": "n_paths", "value": "500", "default": "20000", "help": "paths"}]}  # fmt: skip
    written = workbook.write_run(run.run_dir, run.content, parameters, data_dir, reports)
    assert [p.name for p in written] == [f"{n}.xlsx" for n in run.content["notebooks"]] + ["headlines.xlsx"]  # fmt: skip
    sheets = pd.read_excel(run.run_dir / "01_sales_trajectory.xlsx", sheet_name=None)
    assert list(sheets) == ["results", "parameters", "sources", "about"]
    recorded = run.content["notebooks"]["01_sales_trajectory"]["results"]
    table = sheets["results"].set_index("result")
    for r in recorded:
        assert (
            table.loc[r["name"], "value"] == r["value"]
            and table.loc[r["name"], "unit"] == r["unit"]
        )
    assert table.loc["forecast_median_units", "low"] == 800_000
    assert sheets["parameters"].iloc[0].tolist() == ["n_paths", 500, 20000, "paths"]
    assert sheets["sources"].values.tolist() == [
        [1, "deliveries_monthly.csv", "https://example.com/one", 2],
        [2, "deliveries_monthly.csv", "https://example.com/two", 1],
    ]
    cell = openpyxl.load_workbook(run.run_dir / "01_sales_trajectory.xlsx")["results"]["B2"]
    assert cell.value == 0.3 and cell.number_format == "0.0%"  # shown as a share, stored as is
    headlines = pd.read_excel(run.run_dir / "headlines.xlsx", sheet_name=None)
    assert headlines["scenarios"]["run"].unique().tolist() == [run.run_id]
    assert headlines["runs"]["run"].unique().tolist() == [run.run_id, previous.run_id]
    sales = headlines["runs"].query("question == 'sales'")["value"].tolist()
    assert sales == [0.3, 0.2]
    assert not list(run.run_dir.glob("*.partial"))


def test_the_run_writes_a_workbook_per_report_equal_to_results_json(collection_run):
    recorded = json.loads((collection_run / "results.json").read_text())["notebooks"]
    for name, entry in recorded.items():
        table = pd.read_excel(collection_run / f"{name}.xlsx", sheet_name="results")
        assert table["result"].tolist() == [r["name"] for r in entry["results"]], name
        for row, r in zip(table.itertuples(), entry["results"], strict=True):
            if isinstance(r["value"], int | float) and not isinstance(r["value"], bool):
                assert float(row.value) == pytest.approx(r["value"], rel=1e-12), (name, r["name"])
            elif r["value"] is not None:
                assert str(row.value) == str(r["value"]), (name, r["name"])
        assert len(pd.read_excel(collection_run / f"{name}.xlsx", sheet_name="sources")) > 0
        assert f'href="{name}.xlsx"' in (collection_run / f"{name}.html").read_text()
    headlines = pd.read_excel(collection_run / "headlines.xlsx", sheet_name="scenarios")
    for row in headlines.itertuples():
        wanted = next(r for r in recorded[row.notebook]["results"] if r["name"] == row.result)
        assert row.value == pytest.approx(wanted["value"])
    index = (collection_run / "index.html").read_text()
    assert 'href="headlines.xlsx"' in index and 'href="02_brand_premium.xlsx"' in index


def test_the_tables_a_report_shows_are_sheets_with_sources_as_urls(collection_run):
    import openpyxl

    book = openpyxl.load_workbook(collection_run / "04_globalization_payback.xlsx")
    shown = [name for name in book.sheetnames if name[0].isdigit()]
    assert shown and shown[0] == "1 What is known"
    sheet = book["1 What is known"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["topic", "fact", "value", "unit"]
    sources = [row[header.index("source")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sources and all(str(url).startswith("http") for url in sources if url)
