"""A run's pages printed to PDF for distribution (`make pdf`, `python -m lib pdf`).

Headless Chromium (Debian's, offline) prints the index and each report of a run, with a header
naming the run, the scenario and the data month on every page and page numbers below; the
reports' print style keeps charts and tables whole on a page. The PDFs land in `<run>/pdf/`.
"""

from __future__ import annotations

import html
import os
import shutil
from pathlib import Path

from lib import runs

# Offline, sandbox-free flags for the Debian build (root in CI); no request leaves the machine.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
MARGIN = {"top": "18mm", "bottom": "16mm", "left": "12mm", "right": "12mm"}


class PdfError(RuntimeError):
    """The run cannot be printed: no Chromium, or not a run folder. The message says which."""


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise PdfError("Chromium is not installed (Debian: apt-get install chromium)")
    return path


def pages(run_dir: Path) -> list[Path]:
    """The pages of a run in reading order: the index, then the reports by notebook number;
    PdfError naming a page that is not a regular file (a FIFO would hang the browser)."""
    reports = sorted(p for p in run_dir.glob("[0-9][0-9]_*.html"))
    found = (
        [run_dir / "index.html", *reports] if os.path.lexists(run_dir / "index.html") else reports
    )
    for page in found:
        if page.is_symlink() or not page.is_file():
            raise PdfError(f"{page}: not a regular file; expected a page the runner wrote")
    return found


def header(run_dir: Path) -> str:
    """The line printed at the top of every page: run, scenario, data month (escaped)."""
    try:
        manifest = runs.read_manifest(run_dir / "manifest.json")
    except runs.DamagedFile as error:
        raise PdfError(f"not a run folder: {error}") from None
    text = (
        f"Run {manifest['run_id']} · scenario {manifest.get('scenario', '?')} · "
        f"data to {manifest.get('data_as_of') or '?'}"
    )
    return f'<div style="font-size:8px; width:100%; text-align:center; color:#52606d;">{html.escape(text)}</div>'


FOOTER = (
    '<div style="font-size:8px; width:100%; text-align:center; color:#52606d;">'
    'page <span class="pageNumber"></span> of <span class="totalPages"></span></div>'
)


def print_run(run_dir: Path, out_dir: Path | None = None) -> list[Path]:
    """Print every page of the run in `run_dir` to `out_dir` (default `<run>/pdf/`)."""
    from playwright.sync_api import sync_playwright

    run_dir = Path(run_dir).resolve()
    if not os.path.lexists(run_dir / "manifest.json"):
        raise PdfError(f"{run_dir}: not a run folder (no manifest.json)")
    top, sources = header(run_dir), pages(run_dir)
    out_dir = Path(out_dir or run_dir / "pdf")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PdfError(
            f"{out_dir}: cannot be made a folder for the PDFs ({error.strerror})"
        ) from None
    printed = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            for source in sources:
                page.goto(source.as_uri(), wait_until="load")
                target = out_dir / f"{source.stem}.pdf"
                page.pdf(
                    path=str(target),
                    format="A4",
                    print_background=True,
                    margin=MARGIN,
                    display_header_footer=True,
                    header_template=top,
                    footer_template=FOOTER,
                )
                printed.append(target)
        finally:
            browser.close()
    return printed
