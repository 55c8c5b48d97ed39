"""Reports opened in a real browser (headless Chromium, networking off) from file://.

Checks what a reader would notice: console errors, images that do not load, requests that leave
the machine, headline numbers that differ from results.json, links that go nowhere. With
EVR_SCREENSHOTS=1 (`make screenshots`) a screenshot of each page is kept in <run>/screenshots/.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from lib import results
from tests.conftest import CHROMIUM, FLAGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.notebooks,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium not installed (apt-get install chromium; .ci/run does it)",
    ),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def visit(browser, path: Path, screenshots: Path | None):
    """Open a page offline; return the page, its console errors and any non-file request."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    outside = []

    def guard(route):
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri(), wait_until="load")
    if screenshots:
        screenshots.mkdir(exist_ok=True)
        page.screenshot(path=str(screenshots / f"{path.stem}.png"), full_page=True)
    return page, errors, outside


@pytest.fixture(scope="module")
def screenshots(collection_run):
    return collection_run / "screenshots" if os.environ.get("EVR_SCREENSHOTS") else None


def all_pages(run_dir: Path) -> list[Path]:
    return [run_dir / "index.html"] + sorted(
        p for p in run_dir.glob("*.html") if p.name != "index.html"
    )


def test_pages_load_offline_without_errors(browser, collection_run, screenshots):
    for path in all_pages(collection_run):
        page, errors, outside = visit(browser, path, screenshots)
        images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        page.context.close()
        assert not errors, f"{path.name}: console errors {errors}"
        assert not outside, f"{path.name}: requests leaving the machine {outside}"
        assert all(complete and width > 0 for complete, width in images), (
            f"{path.name}: broken images"
        )
        if path.name != "index.html" and not path.name.startswith("05_"):
            assert len(images) >= 3, f"{path.name}: expected charts"


def test_index_numbers_match_results_json(browser, collection_run):
    recorded = json.loads((collection_run / "results.json").read_text())["notebooks"]
    page, _, _ = visit(browser, collection_run / "index.html", None)
    shown = page.evaluate(
        "Array.from(document.querySelectorAll('[data-result]')).map(e => [e.dataset.result, e.textContent.trim()])"
    )
    page.context.close()
    assert len(shown) >= 8  # four answers and a card per notebook
    for key, text in shown:
        notebook, name = key.split(".", 1)
        result = next(r for r in recorded[notebook]["results"] if r["name"] == name)
        assert text == results.format_value(result), key


def test_every_link_from_the_index_resolves(browser, collection_run):
    page, _, _ = visit(browser, collection_run / "index.html", None)
    links = page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    page.context.close()
    assert links
    for link in links:
        parsed = urlparse(link)
        assert parsed.scheme == "file", f"index links outside the reports: {link}"
        target = Path(unquote(parsed.path))
        assert target.exists(), f"broken link {link}"
        if parsed.fragment and target.suffix == ".html":
            assert f'id="{parsed.fragment}"' in target.read_text(), f"missing anchor {link}"


def test_report_contents_links_reach_their_sections(browser, collection_run):
    for path in all_pages(collection_run)[1:]:
        page, _, _ = visit(browser, path, None)
        missing = page.evaluate(
            "Array.from(document.querySelectorAll('nav.evr-toc a')).map(a => a.getAttribute('href'))"
            ".filter(h => !document.getElementById(decodeURIComponent(h.slice(1))))"
        )
        page.context.close()
        assert not missing, f"{path.name}: contents links without a target {missing}"
