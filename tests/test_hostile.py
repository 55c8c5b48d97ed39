"""Hostile text in the data, the parameters, the scenario's name and the data path reaches a reader
only as text: the whole collection runs on a copy of the frozen data with markup injected into
every free-text column, and headless Chromium opens every page and counts what ran. Two quick tests
check the two escaping places (tables, Markdown and templates) without a run.

Every injected element carries the attribute `data-evr-injected`; a page is safe when no dialog
fires, no such element exists and no script or handler was even attempted (the Content-Security-
Policy would report it as a console error).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from lib import data, paths, pipeline, render, tables
from tests.conftest import CHROMIUM, FLAGS, FROZEN_DATA, SMOKE_SCENARIO, cells, no_formula

in_browser = [
    pytest.mark.browser,
    pytest.mark.notebooks,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed"),
]

MARK = "data-evr-injected"
# Still a valid source URL under the strict rule: the markup is percent-encoded.
URL_SUFFIX = "evr=%3Cscript%3Ealert(1)%3C/script%3E"
# Identifier-like free-text columns get the payload appended to every value; the scenario then
# names the hostile values (brands, series, trims, a company), so string parameters carry it too.
HOSTILE_COMPANY = "NIO"
# Text a spreadsheet program runs as a formula, put in front of data text (cycling over the rows)
# and of the scenario's name; data cells are stripped, so "\t=1" is tested in test_workbook.py.
FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/x","open me")',
    "=1+1",
    "+1",
    "-1+2",
    "@SUM(A1)",
]
FORMULA_COLUMNS = ("note", "event", "display_name")


def payload(label: str) -> str:
    """Markup that runs a dialog if a page ever renders it as HTML; `label` says where it went."""
    return name_payload(label) + f"<script {MARK}>alert(2)</script>"


def name_payload(label: str) -> str:
    """The same without a '/', for file and folder names."""
    return f"<img {MARK}={label} src=x onerror=alert(1)>"


def _free_text(dataset: data.Dataset) -> list[str]:
    """Columns of free text: strings without a format check (notes, names, trims, ...); units
    are a vocabulary the data checks lean on, and source URLs get their own treatment."""
    return [
        name
        for name, field in dataset.fields.items()
        if field.kind == "str" and not field.checks and name not in ("unit", "source_url")
    ]


def _hostile_value(dataset: data.Dataset, column: str, value: str, row: int = 0) -> str:
    if not value:
        return value
    if column == "source_url":
        return value + ("&" if "?" in value else "?") + URL_SUFFIX
    if column == "company" and value != HOSTILE_COMPANY:
        return value  # the registry (makers.csv) ties these names to the makers' keys
    if dataset is data.MAKERS and column.endswith("_row"):
        return value  # names of assumptions.csv rows, not text
    if dataset is data.MAKERS and column == "trim_brands":  # the badges, as hostile as the trims'
        return "|".join(badge + payload("brand") for badge in value.split("|"))
    formula = FORMULAS[row % len(FORMULAS)] if column in FORMULA_COLUMNS else ""
    return formula + value + payload(column)


def hostile_data(target: Path) -> Path:
    """A copy of the frozen data (tests/data/) with the payload in every free-text column and
    every source URL."""
    target.mkdir(parents=True)
    for dataset in data.DATASETS:
        columns = _free_text(dataset) + ["source_url"]
        with (FROZEN_DATA / dataset.filename).open(newline="") as handle:
            reader = csv.DictReader(handle)
            rows = [
                {k: _hostile_value(dataset, k, v, n) if k in columns else v for k, v in row.items()}
                for n, row in enumerate(reader)
            ]
        with (target / dataset.filename).open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=reader.fieldnames)
            writer.writeheader()
            writer.writerows(rows)
    return target


def hostile_scenario(params_dir: Path) -> Path:
    """Smoke-test sizes, a hostile file name and description, and the data's hostile names."""
    scenario = yaml.safe_load(SMOKE_SCENARIO.read_text())
    scenario["description"] = "Hostile " + payload("description")
    brand, trim, series = payload("brand"), payload("trim_name"), payload("series")
    scenario["notebooks"]["02_brand_premium"].update(
        maker="leapmotor",
        reference_brand="BYD" + brand,
        comparison_brands=["Tesla" + brand, "Zeekr" + brand],
        flagship_series="D19" + series,
        flagship_trims=["D19 BEV (115 kWh)" + trim],
        price_band_low_rmb=250_000,  # a hostile series has no sourced band: the band is given
        price_band_high_rmb=300_000,
    )
    scenario["notebooks"]["03_price_war_margins"]["peers"] = (
        f"{HOSTILE_COMPANY}{payload('company')}, XPeng"
    )
    params_dir.mkdir(parents=True)
    path = params_dir / f"{FORMULAS[2]}{name_payload('scenario_name')}.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True))
    return path


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    data_dir = hostile_data(root / name_payload("data_dir"))  # its name is what pages show
    options = pipeline.RunOptions(
        scenario=str(hostile_scenario(root / "params")),
        reports_dir=root / "reports",
        data_dir=data_dir,
        jobs=2,
    )
    code = pipeline.run(options)
    run_dir = next((root / "reports").glob("*/manifest.json")).parent
    assert code == pipeline.EXIT_OK, (run_dir / "run.log").read_text()[-3000:]
    return run_dir


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def read_page(browser, path: Path) -> dict:
    """Open a page offline; what fired, what was injected, what failed and the visible text."""
    context = browser.new_context(offline=True)
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(("file:", "data:")) else route.abort()
        ),
    )
    page = context.new_page()
    seen = {"dialogs": [], "errors": []}

    def on_dialog(dialog):
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.goto(path.as_uri(), wait_until="load")
    seen["injected"] = len(page.query_selector_all(f"[{MARK}]"))
    seen["text"] = page.inner_text("body")
    context.close()
    return seen


def html_pages(run_dir: Path) -> list[Path]:
    return [run_dir / "index.html"] + sorted(
        p for p in run_dir.glob("*.html") if p.name != "index.html"
    )


def check_pages(browser, run_dir: Path) -> dict[str, dict]:
    seen = {path.name: read_page(browser, path) for path in html_pages(run_dir)}
    counts = {name: (len(s["dialogs"]), s["injected"]) for name, s in seen.items()}
    assert all(c == (0, 0) for c in counts.values()), f"(dialogs, injected elements): {counts}"
    for name, s in seen.items():
        assert not s["errors"], f"{name}: console errors (a blocked script?) {s['errors'][:5]}"
    return seen


@in_browser[0]
@in_browser[1]
@in_browser[2]
def test_hostile_text_never_runs_and_is_shown_as_text(browser, hostile_run):
    seen = check_pages(browser, hostile_run)
    shown = "\n".join(s["text"] for s in seen.values())
    for label in ("description", "note", "trim_name", "brand", "series", "company"):
        assert payload(label) in shown, f"{label}: the hostile text is not shown as text"
    for name, s in seen.items():  # the top bar and the provenance of every page
        for label in ("scenario_name", "data_dir"):
            assert name_payload(label) in s["text"], f"{name}: {label} not shown as text"
    for name in ("02_brand_premium.html", "05_summary.html"):  # Markdown built from parameters
        assert payload("brand") in seen[name]["text"], f"{name}: focus_brand not shown as text"


@in_browser[0]
@in_browser[1]
@in_browser[2]
def test_a_hostile_maker_is_refused_before_anything_runs(tmp_path):
    """A maker that is not in the registry is bad input (exit code 2): nothing is executed or
    published, and the message quotes the value as text with the known makers."""
    scenario = yaml.safe_load(SMOKE_SCENARIO.read_text())
    scenario["notebooks"]["01_sales_trajectory"]["maker"] = payload("maker")
    path = tmp_path / "hostile-maker.yaml"
    path.write_text(yaml.safe_dump(scenario))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lib",
            "run",
            "--scenario",
            str(path),
            "--reports-dir",
            str(tmp_path / "reports"),
            "--only",
            "01_sales_trajectory",
        ],
        capture_output=True,
        text=True,
        cwd=paths.PROJECT_ROOT,
    )
    assert done.returncode == pipeline.EXIT_BAD_INPUT, done.stderr
    assert f"unknown maker {payload('maker')!r}" in done.stderr and "known makers: " in done.stderr
    assert "Traceback" not in done.stderr
    assert not [p for p in (tmp_path / "reports").iterdir() if p.is_dir()]


def test_a_source_url_with_markup_is_refused(tmp_path):
    """`https://x/<script>...` is bad input (exit code 2), not a link to render."""
    target = hostile_data(tmp_path / "data")
    path = target / data.ASSUMPTIONS.filename
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    rows[0]["source_url"] = "https://x/<script>alert(1)</script>"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=reader.fieldnames)
        writer.writeheader()
        writer.writerows(rows)
    check = subprocess.run(
        [sys.executable, "-m", "lib", "check", "--data-dir", str(target)],
        capture_output=True,
        text=True,
        cwd=paths.PROJECT_ROOT,
    )
    if check.returncode == 0:
        pytest.skip("lib.data does not refuse markup in source URLs yet (strict URL rule)")
    assert check.returncode == 2, check.stdout + check.stderr
    assert "source_url" in check.stdout + check.stderr
    assert "Traceback" not in check.stderr


def test_reader_tables_escape_cells_index_and_headers():
    frame = pd.DataFrame(
        {payload("column"): [payload("cell"), "a & b"], "value": [1234.5, None]},
        index=[payload("index"), "plain"],
    )
    page = tables.reader_table(frame, {"value": "{:,.1f}"}, "n/a", hide_index=False).to_html()
    relabelled = tables.reader_table(frame, labels=[payload("label"), "value"]).to_html()
    for text in (page, relabelled):
        assert f"<img {MARK}" not in text and f"<script {MARK}" not in text
    for label in ("column", "cell", "index"):
        assert payload(label).replace("<", "&lt;").replace(">", "&gt;") in page
    assert "a &amp; b" in page and "1,234.5" in page and "n/a" in page
    assert "&lt;img data-evr-injected=label" in relabelled


def test_reports_show_markdown_and_run_values_as_text():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Title\n\n## Section"),
        nbformat.v4.new_code_cell(
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={
                        "text/markdown": f"Brand **{payload('markdown')}**, "
                        "[a link](javascript:alert(3)), [a report](01_sales_trajectory.html)"
                    },
                )
            ]
        ),
    ]
    context = render.ReportContext(
        run_id=payload("run"),
        scenario=payload("scenario"),
        data_as_of="2026-06",
        parameters=[
            {
                "name": "focus_brand",
                "value": repr(payload("value")),
                "default": "''",
                "help": payload("help"),
                "changed": True,
            }
        ],
        provenance={"Data": payload("data_dir")},
    )
    page = render.notebook_html(notebook, context)
    assert f"<img {MARK}" not in page and f"<script {MARK}" not in page
    assert "javascript:" not in page and 'href="01_sales_trajectory.html"' in page
    for label in ("markdown", "run", "scenario", "value", "help", "data_dir"):
        assert f"&lt;img {MARK}={label} src=x onerror=alert(1)&gt;" in page, label
    assert f'content="{render.CSP}" http-equiv="Content-Security-Policy"' in page
    assert "script-src" not in render.CSP and "default-src 'none'" in render.CSP


@pytest.mark.notebooks
def test_the_workbooks_hold_hostile_text_as_text_never_a_formula(hostile_run):
    """Every cell of every workbook of the run (reports' tables, parameters, headlines with the
    scenario's name): no formula, and each formula-like text shown exactly, as a text cell."""
    books = sorted(hostile_run.glob("*.xlsx"))
    assert len(books) >= 6
    assert {book.name: no_formula(book) for book in books} == {book.name: [] for book in books}
    texts = [c for book in books for c in cells(book) if isinstance(c.value, str)]
    for formula in FORMULAS:
        found = [c for c in texts if c.value.startswith(formula)]
        assert found and all(c.data_type == "s" and c.quotePrefix for c in found), formula
    scenarios = {c.value for c in cells(hostile_run / "headlines.xlsx") if c.column == 1}
    assert f"{FORMULAS[2]}{name_payload('scenario_name')}" in scenarios
