"""Workbooks (.xlsx) for analysts: one per report, and one of every headline number of the run.

A report's workbook holds what the report recorded (`results` sheet: one row per number, with its
unit, interval and meaning), the parameters it ran with and a `sources` sheet (every source URL of
the data files the run read, numbered, with the rows that cite it). The index's `headlines.xlsx`
holds the four headline answers of the latest run of each scenario and of the earlier runs.
Values are written as numbers, exactly as in results.json; only their display format follows
their unit (a probability shows as a percentage). Every text is written as a text cell, never a
formula, whatever it starts with (see `_text`).
"""

from __future__ import annotations

import csv
import logging
import re
from collections import Counter
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from lib import data, summary

log = logging.getLogger("lib.workbook")
URL = re.compile(r"https?://[^\s\"'<>)\]]+")
RESULT_COLUMNS = ["result", "value", "low", "high", "unit", "role", "meaning"]
FORMATS = {
    "probability": "0.0%",
    "share": "0.0%",
    "pct": "0.00",
    "percent": "0.00",
    "pp": "0.00",
    "RMB": "#,##0",
    "units": "#,##0",
    "RMB_mn": "#,##0.0",
    "year": "0",
    "years": "0.0",
}


# What a spreadsheet program reads as the start of a formula when a cell is typed or imported.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _clean(value: object) -> object:
    """Text as the file will give it back: without the control characters XML cannot hold (each
    shown as U+FFFD), and a carriage return as the line feed XML reads it as."""
    if not isinstance(value, str):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value.replace("\r\n", "\n").replace("\r", "\n"))


def _text(cell) -> None:
    """Make a text cell a value, shown exactly: openpyxl writes any text starting with "=" as a
    formula, so its type is set back to text; `quotePrefix` keeps it text when someone edits the
    cell or saves the sheet as CSV."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if cell.value.startswith(FORMULA_START):
            cell.quotePrefix = True


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    """A sheet with a bold header row, frozen below it, columns sized to their text; every text
    cell a value (`_text`)."""
    from openpyxl.styles import Font

    sheet = book.create_sheet(title)
    for row in [header, *rows]:
        sheet.append([_clean(value) for value in row])
    for row in sheet.iter_rows():
        for cell in row:
            _text(cell)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header, start=1):
        width = max(
            [len(str(name))] + [len(str(r[index - 1])) for r in rows[:200] if index <= len(r)]
        )
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 80)


def _result_rows(results: list[dict]) -> list[list]:
    return [
        [
            r["name"],
            r["value"],
            r.get("low"),
            r.get("high"),
            r["unit"],
            r.get("role") or "",
            r["meaning"],
        ]
        for r in results
    ]


def _format_numbers(book: Workbook, title: str, unit_column: str, columns: list[str]) -> None:
    """Display each number in its unit's format (the stored value is unchanged)."""
    sheet = book[title]
    header = [c.value for c in sheet[1]]
    unit_at = header.index(unit_column)
    targets = [header.index(c) for c in columns]
    for row in sheet.iter_rows(min_row=2):
        number_format = FORMATS.get(row[unit_at].value)
        if number_format:
            for at in targets:
                if isinstance(row[at].value, int | float):
                    row[at].number_format = number_format


def data_sources(data_dir: Path) -> list[list]:
    """Every source URL of the data files the run read (lib.data's datasets, checked before the
    run; any other file in the folder is not read): [n, file, url, rows citing it], numbered in
    file order."""
    rows = []
    names = sorted(dataset.filename for dataset in data.DATASETS)
    for path in [Path(data_dir) / name for name in names if (Path(data_dir) / name).is_file()]:
        with path.open(newline="", encoding="utf-8") as handle:
            counts = Counter(
                row.get("source_url", "") for row in csv.DictReader(handle) if row.get("source_url")
            )
        rows += [[path.name, url, count] for url, count in counts.items()]
    return [[n, *row] for n, row in enumerate(rows, start=1)]


NUMBER = re.compile(r"-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")  # as tables show one: 1,234.5 or -0.25


def _number(text: str) -> object:
    """A table cell as shown ("1,234", "13.7", "n/a") back to a number when it reads as one;
    any other text ("+1", "nan", "1e9", "1_000") stays text."""
    return float(text.replace(",", "")) if NUMBER.fullmatch(text) else text


def _cell(cell) -> object:
    """A shown cell's value: a footnoted source ([1]) as its URL, a number as a number."""
    link = cell.find("a")
    text = cell.get_text(" ", strip=True)
    if link is not None and link.get("href", "").startswith("http") and text.startswith("["):
        return link["href"]
    return _number(text)


def shown_tables(executed: Path) -> list[tuple[str, list[str], list[list]]]:
    """The tables a report shows (HTML outputs of its executed notebook), each titled by the
    heading above it: (title, header, rows), cells back to numbers where they are numbers."""
    import nbformat
    from bs4 import BeautifulSoup

    found, title = [], "table"
    for cell in nbformat.read(str(executed), as_version=4).cells:
        if cell.cell_type == "markdown":
            headings = [
                line.lstrip("#").strip()
                for line in cell.source.splitlines()
                if line.startswith("#")
            ]
            title = headings[-1] if headings else title
            continue
        for output in cell.get("outputs", []):
            page = output.get("data", {}).get("text/html", "")
            for table in (
                BeautifulSoup(page, "html.parser").find_all("table") if "<table" in page else []
            ):
                heads = table.select("thead tr")
                header = (
                    [th.get_text(" ", strip=True) for th in heads[-1].find_all(["th", "td"])]
                    if heads
                    else []
                )
                body = table.select("tbody tr") or table.find_all("tr")[len(heads) :]
                rows = [[_cell(c) for c in tr.find_all(["th", "td"])] for tr in body]
                found.append((title, header, rows))
    return found


def _tables_of(executed: Path) -> list[tuple[str, list[str], list[list]]]:
    """`shown_tables`, or none (with a warning) when the executed notebook cannot be read: a
    notebook that failed may have been cut short (a full disk); its workbook still gets written."""
    try:
        return shown_tables(executed)
    except Exception as error:  # damaged JSON fails nbformat in many ways (NotJSONError, ...)
        log.warning(
            "%s: no tables in its workbook, the notebook cannot be read (%s: %s)",
            executed,
            type(error).__name__,
            str(error)[:200],
        )
        return []


SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet name


def _sheet_title(number: int, title: str) -> str:
    """Excel sheet names: 31 characters at most, none of SHEET_FORBIDDEN, no apostrophe at the
    end (Excel would call the file damaged)."""
    return f"{number} {SHEET_FORBIDDEN.sub(' ', title)}"[:31].rstrip(" '")


def report_workbook(
    target: Path,
    name: str,
    entry: dict,
    parameters: list[dict],
    sources: list[list],
    executed: Path | None = None,
) -> Path:
    """`<notebook>.xlsx`: sheets results, one per table the report shows (its headers carry the
    units), parameters, sources (see the module docstring)."""
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "results", RESULT_COLUMNS, _result_rows(entry.get("results", [])))
    if executed is not None and executed.is_file():
        for number, (title, header, rows) in enumerate(_tables_of(executed), 1):
            width = max([len(header), *(len(r) for r in rows)], default=0)
            _sheet(book, _sheet_title(number, title), header + [""] * (width - len(header)), rows)
    _format_numbers(book, "results", "unit", ["value", "low", "high"])
    _sheet(
        book,
        "parameters",
        ["parameter", "value", "default", "meaning"],
        [[p["name"], p["value"], p["default"], p["help"]] for p in parameters],
    )
    cited = sorted({url for r in entry.get("results", []) for url in URL.findall(r["meaning"])})
    extra = [[len(sources) + i, "results of this report", url, 1] for i, url in enumerate(cited, 1)]
    _sheet(book, "sources", ["n", "file", "source_url", "rows citing it"], sources + extra)
    _sheet(
        book,
        "about",
        ["field", "value"],
        [["report", name], ["title", entry.get("title", "")], ["status", entry.get("status", "")]]
        + ([["note", entry["note"]]] if entry.get("note") else []),
    )
    book.save(target)
    return target


def _headline_rows(run: summary.RunResults) -> list[list]:
    content = run.content
    keys = [
        content.get("scenario", ""),
        content.get("maker") or "",
        run.run_id,
        content.get("data_as_of", ""),
    ]
    rows = []
    for answer in summary.answers(run):
        if answer.available:
            r = answer.headline
            rows.append(
                keys + [answer.question.key, answer.question.notebook, *_result_rows([r])[0]]
            )
    return rows


HEADLINE_COLUMNS = [
    "scenario",
    "maker",
    "run",
    "data_as_of",
    "question",
    "notebook",
    *RESULT_COLUMNS,
]


def headlines_workbook(
    target: Path, current: summary.RunResults, reports_dir: Path | None = None
) -> Path:
    """`headlines.xlsx`: the headline answers of the latest run of each scenario (`scenarios`)
    and of every finished run (`runs`, newest first)."""
    finished = {run.run_id: run for run in summary.finished_runs(reports_dir)}
    finished[current.run_id] = current
    latest = {}
    for run_id in sorted(finished):
        run = finished[run_id]
        latest[(run.content.get("scenario"), run.content.get("maker"))] = run
    latest[(current.content.get("scenario"), current.content.get("maker"))] = current
    book = Workbook()
    book.remove(book.active)
    by_scenario = [row for run in latest.values() for row in _headline_rows(run)]
    every = [
        row for run_id in sorted(finished, reverse=True) for row in _headline_rows(finished[run_id])
    ]
    for title, rows in [("scenarios", by_scenario), ("runs", every)]:
        _sheet(book, title, HEADLINE_COLUMNS, rows)
        _format_numbers(book, title, "unit", ["value", "low", "high"])
    book.save(target)
    return target


def write_run(
    build_dir: Path,
    content: dict,
    parameters: dict[str, list[dict]],
    data_dir: Path,
    reports_dir: Path | None = None,
) -> list[Path]:
    """Every workbook of a run: `<notebook>.xlsx` for each notebook with a report, and
    `headlines.xlsx` (written atomically: a crash leaves no half file)."""
    sources = data_sources(data_dir)
    written = []
    current = summary.RunResults(Path(build_dir), content)
    jobs = [(name, entry) for name, entry in content.get("notebooks", {}).items()]
    for name, entry in jobs:
        if (Path(build_dir) / f"{name}.xlsx").exists():
            continue  # written with its report, or copied with it from the run it reused
        if entry.get("status") in ("ok", "reused", "failed", "no_data"):
            written.append(write_report(build_dir, name, entry, parameters.get(name, []), sources))
    written.append(
        _atomic(Path(build_dir) / "headlines.xlsx", headlines_workbook, current, reports_dir)
    )
    return written


def universe_workbook(target: Path, makers_results: dict[str, dict]) -> Path:
    """`universe.xlsx`: every maker's headline answers (sheet `headlines`) and every number its
    notebooks recorded (sheet `results`), as in each maker's results.json."""
    book = Workbook()
    book.remove(book.active)
    headlines, every = [], []
    for maker, content in sorted(makers_results.items()):
        headlines += [
            [row[0], maker, *row[2:]]
            for row in _headline_rows(summary.RunResults(Path(maker), content))
        ]
        for notebook, entry in content.get("notebooks", {}).items():
            every += [[maker, notebook, *row] for row in _result_rows(entry.get("results", []))]
    _sheet(book, "headlines", HEADLINE_COLUMNS, headlines)
    _sheet(book, "results", ["maker", "notebook", *RESULT_COLUMNS], every)
    for title in ("headlines", "results"):
        _format_numbers(book, title, "unit", ["value", "low", "high"])
    book.save(target)
    return target


def write_universe(build_dir: Path, makers_results: dict[str, dict]) -> Path:
    return _atomic(Path(build_dir) / "universe.xlsx", universe_workbook, makers_results)


def write_report(
    build_dir: Path, name: str, entry: dict, parameters: list[dict], sources: list[list]
) -> Path:
    """`<name>.xlsx` of a report in `build_dir`, written atomically, from its executed notebook."""
    executed = Path(build_dir) / f"{name}.ipynb"
    target = Path(build_dir) / f"{name}.xlsx"
    return _atomic(target, report_workbook, name, entry, parameters, sources, executed)


def _atomic(target: Path, writer, *args) -> Path:
    partial = target.with_suffix(".xlsx.partial")
    writer(partial, *args)
    partial.replace(target)
    return target
