"""The real collection's rendered reports, checked like pages: what must and must not be there."""

from __future__ import annotations

import json
import re

import pytest

from lib import results

pytestmark = pytest.mark.notebooks


def pages(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    return manifest, [run_dir / n["html"] for n in manifest["notebooks"] if n["html"]]


def test_every_notebook_finished(collection_run):
    manifest, _ = pages(collection_run)
    assert manifest["status"] == "ok"
    assert {n["status"] for n in manifest["notebooks"]} <= {"ok", "reused"}


def test_reports_are_for_readers(collection_run):
    _, reports = pages(collection_run)
    assert len(reports) >= 5
    for report in reports:
        page = report.read_text()
        name = report.name
        assert "Traceback" not in page, name
        assert 'class="jp-CodeMirrorEditor' not in page and 'class="highlight' not in page, name
        assert not re.search(r"<script[^>]+src=", page), name
        assert not re.search(r"<link[^>]+href=[\"']https?:", page), name
        assert not re.search(r"<img[^>]+src=[\"']https?:", page), name
        assert page.count('class="evr-toc-h2"') >= 3, f"{name}: table of contents"
        assert "Parameters of this run" in page and "Git commit" in page and "Data as of" in page, (
            name
        )
        assert "The answer" in page or "The answers" in page, f"{name}: the answer comes first"


def test_reports_show_their_headline_numbers(collection_run):
    recorded = json.loads((collection_run / "results.json").read_text())["notebooks"]
    for name, entry in recorded.items():
        page = (collection_run / f"{name}.html").read_text()
        for result in entry["results"]:
            text = results.format_value(result).replace("&", "&amp;")
            assert text in page, f"{name}: {result['name']} = {text} not shown"


def test_analysis_reports_have_charts(collection_run):
    _, reports = pages(collection_run)
    for report in reports:
        if report.name.startswith("05_"):
            continue
        assert report.read_text().count("data:image/png;base64,") >= 3, f"{report.name}: charts"


def test_the_records_each_answer_links_to_are_links_to_real_sections(collection_run):
    """The summary's line per question on how good earlier answers were ends in a link to the
    section of the report that shows the record: a link that renders (an anchor with ':' or '?'
    is dropped by the Markdown renderer) and whose target id exists."""
    import html

    page = (collection_run / "05_summary.html").read_text()
    links = re.findall(r'<a href="(0[1-4]_[a-z_]+\.html)#([^"]+)">the record</a>', page)
    assert len(links) == 4, links
    for target, anchor in links:
        assert f'id="{html.unescape(anchor)}"' in (collection_run / target).read_text(), anchor
    answer = (collection_run / "01_sales_trajectory.html").read_text()
    assert '<a href="#The-target-record">the target record</a>' in answer
