"""Workbooks: one per report and one of the headline numbers, their numbers equal results.json."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest

from lib import workbook
from tests.conftest import cells, no_formula, write_run


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
    parameters = {
        "01_sales_trajectory": [
            {"name": "n_paths", "value": "500", "default": "20000", "help": "paths"}
        ]
    }
    written = workbook.write_run(run.run_dir, run.content, parameters, data_dir, reports)
    assert [p.name for p in written] == [f"{n}.xlsx" for n in run.content["notebooks"]] + [
        "headlines.xlsx"
    ]
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


# Text that a spreadsheet program would run as a formula if it were written as one.
FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/x","open me")',
    "=1+1",
    "+1",
    "-1+2",
    "@SUM(A1)",
    "\t=1",
    "= china_margin_pct (sourced: 2025FY gross_margin_pct)",
]


def executed_with_table(path, rows: list[list[str]]):
    """An executed notebook whose output is one HTML table with these cells (text as shown)."""
    import nbformat

    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    cell = nbformat.v4.new_code_cell("show")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "text/html": f"<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody>{body}</tbody></table>"
            },
        )
    ]
    nbformat.write(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Facts"), cell]), path
    )
    return path


def test_text_that_starts_like_a_formula_is_written_as_text_shown_exactly(tmp_path, data_dir):
    """Every writer (report, headlines, universe), every place text comes from (results, the
    scenario and maker, parameters, the tables a report shows): no formula, the text unchanged,
    marked as text for someone who edits the cell; numbers stay numbers."""
    reports = tmp_path / "reports"
    write_run(reports, "20260901T000000-base")
    run = write_run(reports, "20261001T000000-base")
    content = run.content | {"scenario": FORMULAS[2], "maker": FORMULAS[3]}
    recorded = content["notebooks"]["01_sales_trajectory"]["results"]
    for result, text in zip(recorded, FORMULAS, strict=False):
        result["meaning"] = text
    parameters = {
        "01_sales_trajectory": [
            {"name": "peers", "value": FORMULAS[4], "default": "-1", "help": FORMULAS[5]}
        ]
    }
    executed_with_table(
        run.run_dir / "01_sales_trajectory.ipynb",
        [[FORMULAS[0], "1,234.5"], [FORMULAS[1], "-0.25"], [FORMULAS[7], "a\x07b\r\nc"]],
    )
    workbook.write_run(run.run_dir, content, parameters, data_dir, reports)
    universe = workbook.universe_workbook(tmp_path / "universe.xlsx", {FORMULAS[6]: content})
    books = [*run.run_dir.glob("*.xlsx"), universe]
    assert len(books) == 6 and not [f for book in books for f in no_formula(book)]
    shown = {c.value: c for book in books for c in cells(book) if isinstance(c.value, str)}
    for text in FORMULAS:
        assert text in shown and shown[text].data_type == "s" and shown[text].quotePrefix, text
    assert "a\ufffdb\nc" in shown and not shown["a\ufffdb\nc"].quotePrefix  # XML holds no BEL
    table = openpyxl.load_workbook(run.run_dir / "01_sales_trajectory.xlsx")["1 Facts"]
    assert [[c.value for c in row] for row in table.iter_rows(min_row=2)] == [
        [FORMULAS[0], 1234.5],
        [FORMULAS[1], -0.25],
        [FORMULAS[7], "a\ufffdb\nc"],
    ]
    results = openpyxl.load_workbook(run.run_dir / "01_sales_trajectory.xlsx")["results"]
    assert results["B2"].value == 0.3 and results["B2"].data_type == "n"


@pytest.mark.parametrize("text", ["nan", "inf", "1e9", "1_000", "+5", "12,34", ".5", "0x10"])
def test_a_table_cell_is_a_number_only_when_it_reads_as_one_as_shown(text):
    assert workbook._number(text) == text
    assert workbook._number("-1,234.50") == -1234.5 and workbook._number("7") == 7.0


def test_no_workbook_of_the_run_holds_a_formula(collection_run):
    """The clean run's workbooks: not one formula cell; report 04's derived origin
    ('= china_margin_pct (sourced: ...)') is a text cell."""
    books = sorted(collection_run.glob("*.xlsx"))
    assert len(books) >= 6
    assert {book.name: no_formula(book) for book in books} == {book.name: [] for book in books}
    derived = [
        c
        for c in cells(collection_run / "04_globalization_payback.xlsx")
        if isinstance(c.value, str) and c.value.startswith("= china_margin_pct")
    ]
    assert derived and all(c.data_type == "s" and c.quotePrefix for c in derived)


def test_a_sheet_title_is_one_excel_accepts():
    assert workbook._sheet_title(1, "What's known: [a/b]?") == "1 What's known   a b"
    assert (
        workbook._sheet_title(2, "x" * 27 + "'' y") == "2 " + "x" * 27
    )  # no apostrophe at the end
    assert len(workbook._sheet_title(3, "long " * 20)) <= 31


def test_sources_come_from_the_data_files_only_never_another_file_in_the_folder(data_dir):
    import os

    os.mkfifo(data_dir / "zz_not_data.csv")  # reading it would block the run forever
    (data_dir / "notes.csv").write_bytes(b"\xff\xfe not utf-8, source_url\n")
    assert [row[1] for row in workbook.data_sources(data_dir)] == ["deliveries_monthly.csv"] * 2


def test_a_failed_notebook_cut_short_still_gets_its_workbook_without_tables(
    tmp_path, data_dir, caplog
):
    reports = tmp_path / "reports"
    run = write_run(reports, "20261001T000000-base")
    executed = executed_with_table(run.run_dir / "01_sales_trajectory.ipynb", [["a", "1"]])
    executed.write_bytes(executed.read_bytes()[:100])  # a full disk cut it short
    content = run.content
    content["notebooks"]["01_sales_trajectory"]["status"] = "failed"
    workbook.write_run(run.run_dir, content, {}, data_dir, reports)
    sheets = openpyxl.load_workbook(run.run_dir / "01_sales_trajectory.xlsx").sheetnames
    assert sheets == ["results", "parameters", "sources", "about"]
    assert any(
        str(executed) in r.getMessage() and "cannot be read" in r.getMessage()
        for r in caplog.records
    )
