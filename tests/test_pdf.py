"""The run printed to PDF with headless Chromium: one file per page, a header on every page
naming run, scenario and data month, the answers' text inside."""

from __future__ import annotations

import json
import subprocess
import sys

import pypdf
import pytest

from lib import paths, pdf
from tests.conftest import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed"),
]


@pytest.fixture(scope="module")
def printed(collection_run, tmp_path_factory):
    return collection_run, pdf.print_run(collection_run, tmp_path_factory.mktemp("pdf"))


def test_every_page_of_the_run_is_printed_with_its_header(printed):
    run_dir, files = printed
    assert [f.stem for f in files] == ["index"] + sorted(
        p.stem for p in run_dir.glob("[0-9][0-9]_*.html")
    )
    manifest = json.loads((run_dir / "manifest.json").read_text())
    for file in files:
        reader = pypdf.PdfReader(file)
        assert len(reader.pages) >= 1
        for number, page in enumerate(reader.pages, 1):
            text = page.extract_text()
            assert (
                f"Run {manifest['run_id']}" in text and f"data to {manifest['data_as_of']}" in text
            )
            assert f"page {number} of {len(reader.pages)}" in text


def test_the_printed_index_carries_the_answers(printed):
    run_dir, files = printed
    results = json.loads((run_dir / "results.json").read_text())
    sales = next(
        r
        for r in results["notebooks"]["01_sales_trajectory"]["results"]
        if r["name"] == "p_reach_target"
    )
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(files[0]).pages)
    assert f"{100 * sales['value']:.0f}%" in text and "The answers" in text


def test_charts_and_tables_are_kept_whole_when_printed():
    css = (paths.TEMPLATES_DIR / "report.css").read_text()
    print_rules = css[css.index("@media print") :]
    assert "break-inside: avoid" in print_rules and "img" in print_rules


def test_a_folder_that_is_not_a_run_is_refused(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "lib", "pdf", str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 2 and "not a run folder (no manifest.json)" in done.stderr
    assert "Traceback" not in done.stderr
