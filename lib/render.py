"""Executed notebooks to self-contained HTML reports, and the index page of a run.

Reports are rendered in-process with nbconvert's Python API and a template (`templates/report`)
that extends JupyterLab's: code input hidden, set-up cells removed, no script or stylesheet from a
CDN, a table of contents from the headings, a parameters table and a provenance footer.

Text from data and parameters is never trusted as HTML: Markdown is rendered with raw HTML shown
as text, tables escape their cells (`lib.tables`), both templates escape what they print, and every
page carries a Content-Security-Policy that runs no script at all (the pages need none).
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import nbformat

from lib import paths, results

HEADING = re.compile(r'<h([23]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
TAG = re.compile(r"<[^>]+>")
# No script, no request: inline styles and embedded (data:) images are all a page uses.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
# Markdown links the reports write themselves: to another page of the run (`01_sales.html#top`)
# or to a section of the same page (`#The-target-record`).
RUN_PAGE = re.compile(r"[\w.-]+\.html(#[\w-]*)?|#[\w-]+")
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"  # papermill's "An Exception was encountered"
STATUS_LABELS = {
    "ok": "Finished",
    "reused": "Unchanged (reused)",
    "failed": "Failed",
    "skipped": "Not run",
    "partial": "Partial: not every notebook ran",
    "no_data": "No data for this maker",
    "running": "Running",
}


@dataclass
class ReportContext:
    """What a report shows around the notebook: run, scenario, parameters, provenance."""

    run_id: str
    scenario: str
    data_as_of: str
    status: str = "ok"
    freshness: str = ""  # the focus maker's latest month and the stale makers, in one line
    note: str | None = None  # status "no_data": what the maker lacks (lib.makers.MissingData)
    parameters: list[dict] = field(default_factory=list)
    provenance: dict[str, str] = field(default_factory=dict)


def _reader_outputs(
    notebook: nbformat.NotebookNode, no_data: bool = False
) -> nbformat.NotebookNode:
    """Drop what readers should not see: warnings on stderr and the machine-readable results.

    In a report without data for its maker (`no_data`) the banner says why, so the traceback
    and papermill's error cell go too, and so does every section after the point it stopped."""
    if no_data:
        stop = next(
            (
                i
                for i, c in enumerate(notebook.cells)
                if any(o.output_type == "error" for o in c.get("outputs", []))
            ),
            len(notebook.cells),
        )
        notebook.cells = [
            c
            for c in notebook.cells[:stop]
            if PAPERMILL_ERROR_TAG not in c.get("metadata", {}).get("tags", [])
        ]
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                output
                for output in cell.outputs
                if not (output.output_type == "stream" and output.get("name") == "stderr")
                and results.MIME_TYPE not in output.get("data", {})
            ]
    return notebook


def css() -> str:
    return (paths.TEMPLATES_DIR / "report.css").read_text()


@functools.lru_cache(maxsize=1)
def _exporter():
    # nbconvert is imported here: a re-run that reuses every report never renders.
    from nbconvert import HTMLExporter
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
    from nbconvert.preprocessors import TagRemovePreprocessor

    class TextRenderer(IPythonRenderer):
        """Raw HTML in Markdown shown exactly as typed (nbconvert would first re-parse it to
        embed images, which rewrites the markup before it is escaped)."""

        def block_html(self, html: str) -> str:
            return super(IPythonRenderer, self).block_html(html)

        def inline_html(self, html: str) -> str:
            return super(IPythonRenderer, self).inline_html(html)

        def link(self, text: str, url: str, title: str | None = None) -> str:
            """Only links to another page of the run or a section of this one are links (the
            reports write no other): a link or web address in text from data stays text."""
            return super().link(text, url, title) if RUN_PAGE.fullmatch(url) else text

        def image(self, text: str, url: str, title: str | None = None) -> str:
            """An image in Markdown from data would be fetched or read from disk: its alt text."""
            return text if not url.startswith("attachment:") else super().image(text, url, title)

    class ReportExporter(HTMLExporter):
        """HTMLExporter whose Markdown (cells and `display(Markdown(...))` outputs, often built
        from data) shows raw HTML as text and turns javascript: and similar links into '#'."""

        @jinja2.pass_context
        def markdown2html(self, context, source):
            renderer = TextRenderer(
                escape=True,
                allow_harmful_protocols=False,
                attachments=context.get("cell", {}).get("attachments", {}),
                embed_images=self.embed_images,
                path=context.get("resources", {}).get("metadata", {}).get("path", ""),
                anchor_link_text=self.anchor_link_text,
                exclude_anchor_links=self.exclude_anchor_links,
                **self.lexer_options,
            )
            return MarkdownWithMath(renderer=renderer).render(source)

    exporter = ReportExporter(
        extra_template_basedirs=[str(paths.TEMPLATES_DIR)],
        template_name="report",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    tags = TagRemovePreprocessor(
        remove_cell_tags={"remove-cell"},
        remove_input_tags={"remove-input"},
        remove_all_outputs_tags={"remove-output"},
    )
    exporter.register_preprocessor(tags, enabled=True)
    return exporter


def table_of_contents(body: str) -> str:
    """A nested list of links to the h2/h3 headings of a rendered report."""
    items = []
    for level, anchor, text in HEADING.findall(body):
        label = html.unescape(TAG.sub("", text)).replace("¶", "").strip()
        items.append(
            f'<li class="evr-toc-h{level}"><a href="#{anchor}">{html.escape(label)}</a></li>'
        )
    return "<ul>\n" + "\n".join(items) + "\n</ul>"


def notebook_html(notebook: nbformat.NotebookNode, context: ReportContext) -> str:
    """Render an executed notebook as a reader's report."""
    resources = {
        "evr": {
            "css": css(),
            "csp": CSP,
            "run_id": context.run_id,
            "scenario": context.scenario,
            "data_as_of": context.data_as_of,
            "freshness": context.freshness,
            "note": context.note,
            "status": context.status,
            "status_label": STATUS_LABELS.get(context.status, context.status),
            "parameters": context.parameters,
            "provenance": context.provenance,
        }
    }
    shown = _reader_outputs(notebook, no_data=context.status == "no_data")
    body, _ = _exporter().from_notebook_node(shown, resources=resources)
    return body.replace("<!--EVR-TOC-->", table_of_contents(body), 1)


def render_notebook(executed: Path, target: Path, context: ReportContext) -> Path:
    """Write the HTML report of an executed notebook file."""
    notebook = nbformat.read(str(executed), as_version=4)
    target.write_text(notebook_html(notebook, context), encoding="utf-8")
    return target


def first_paragraph(notebook_path: Path) -> str:
    """The question a notebook answers: the first paragraph under its title."""
    notebook = nbformat.read(str(notebook_path), as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        paragraphs = [p.strip() for p in cell.source.split("\n\n") if p.strip()]
        for paragraph in paragraphs:
            if not paragraph.startswith("#"):
                return " ".join(paragraph.split())
    return ""


@functools.lru_cache(maxsize=4)
def _page_template(name: str) -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(paths.TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    return environment.get_template(name)


def index_html(**page) -> str:
    """The index page of a run (see templates/index.html.j2 for the fields)."""
    return _page_template("index.html.j2").render(css=css(), csp=CSP, **page)


def universe_html(**page) -> str:
    """The universe page: the league table of the four answers across makers (sortable by any
    column without script: each header links to a copy sorted by it, shown by CSS :target)."""
    return _page_template("universe.html.j2").render(css=css(), csp=CSP, **page)
