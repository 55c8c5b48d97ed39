"""The coverage universe: the four answers for every maker side by side, read from results only.

Each maker's run records its own results (results.json); this module reads them and lays out the
league table of the universe page (one row per maker, one column per answer, each cell linking
to the report it comes from) and its chart. Nothing here recomputes an analysis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from lib import plots, results
from lib.margins import names as margins_names
from lib.payback import names as payback_names
from lib.premium import names as premium_names
from lib.sales import names as sales_names
from lib.summary import note
from lib.summary.core import QUESTIONS


@dataclass(frozen=True)
class Column:
    """One answer across makers: the notebook and the result it is read from."""

    key: str
    title: str
    notebook: str
    result: str
    unit_note: str  # what the number is, for the header's tooltip and the chart
    status: str | None = None  # the result saying why there is no number (an evidence floor)


COLUMNS = (
    Column(
        "p_target",
        "P(own target)",
        "01_sales_trajectory",
        sales_names.P_REACH_TARGET,
        "chance of reaching the maker's own stated target for the year",
    ),
    Column(
        "forecast",
        "Forecast, median [80%]",
        "01_sales_trajectory",
        sales_names.FORECAST_MEDIAN_UNITS,
        "median forecast of the year's deliveries and its 80% range, vehicles",
    ),
    Column(
        "premium",
        "Brand premium [95%]",
        "02_brand_premium",
        premium_names.FOCUS_PREMIUM_PCT,
        "list price of the maker's badge against the reference brand, same specs, %",
        premium_names.FOCUS_PREMIUM_STATUS,
    ),
    Column(
        "gm_latest",
        "Gross margin, latest",
        "03_price_war_margins",
        margins_names.LATEST_GROSS_MARGIN_PCT,
        "latest reported gross margin, %",
    ),
    Column(
        "gm_cut10",
        "GM at target, 10% cut",
        "03_price_war_margins",
        margins_names.GM_AT_TARGET_CUT10_PCT,
        "gross margin at the target volume after a 10% price cut, %",
    ),
    Column(
        "payback",
        "Overseas payback P",
        "04_globalization_payback",
        payback_names.BEST_P_PAYBACK_HORIZON,
        "chance the best overseas route pays back within the horizon",
    ),
)


@dataclass(frozen=True)
class Cell:
    text: str  # what the reader sees
    value: float | None  # what the column sorts by (None: no number, sorted last)
    href: str | None  # the report it comes from
    note: str = ""  # why there is no number


@dataclass(frozen=True)
class Row:
    maker: str
    display_name: str
    cells: dict[str, Cell] = field(default_factory=dict)


def _number(result: dict | None) -> float | None:
    value = result.get("value") if result else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _find(content: dict, column: Column) -> tuple[dict | None, dict]:
    entry = content.get("notebooks", {}).get(column.notebook, {})
    return results.lookup(content, column.notebook, column.result), entry


def _cell(maker: str, content: dict, column: Column, target_stated: bool) -> Cell:
    href = f"{maker}/{column.notebook}.html"
    found, entry = _find(content, column)
    status = entry.get("status", "missing")
    if status == "no_data":
        return Cell("no data", None, href, entry.get("note") or "the maker lacks the data")
    if status not in ("ok", "reused"):
        word = {"failed": "failed", "missing": "not run", "skipped": "not run"}.get(status, status)
        return Cell(word, None, href if status == "failed" else None, f"the notebook {word}")
    if column.key == "p_target" and not target_stated:
        return Cell(_no_target_text(content, found), None, href, "no stated target in the data")
    if found is not None and _number(found) is None and column.key != "p_target":
        return Cell(_too_little(content, column, found), None, href, found.get("meaning", ""))
    if column.key == "gm_latest" and _number(found) is not None:
        # quarters and bases differ between makers (a company's gross margin, a segment's): label
        # the basis up to its first ";" in the cell (what is measured, whose, currency); the
        # rest (e.g. a volume mismatch) in the note, so the table stays readable
        labels = [
            str(label["value"])
            for name in (margins_names.LATEST_PERIOD, margins_names.MARGIN_BASIS)
            if (label := results.lookup(content, column.notebook, name)) and label.get("value")
        ]
        when = f" ({'; '.join(label.split(';')[0] for label in labels)})" if labels else ""
        note = labels[-1] if len(labels) == 2 else found.get("meaning", "")
        return Cell(results.format_value(found) + when, _number(found), href, note)
    if column.key == "payback" and found is not None:
        strategy = results.lookup(content, column.notebook, payback_names.BEST_ROUTE) or (
            results.lookup(content, column.notebook, payback_names.BEST_STRATEGY)
        )  # the readable route ("Assemble in Spain"); runs before it recorded only the slug
        route = f" ({strategy['value']})" if strategy and strategy.get("value") else ""
        return Cell(results.format_value(found) + route, _number(found), href)
    if found is None or _number(found) is None:
        return Cell("n/a", None, href, f"{column.result} not recorded")
    return Cell(results.format_value(found), _number(found), href)


def _too_little(content: dict, column: Column, found: dict) -> str:
    """The evidence floor's verdict for a result recorded without a number: its own text, or the
    status its notebook recorded beside it ("too little data (4 trims, 1 series)")."""
    if isinstance(found.get("value"), str):
        return found["value"]
    status = results.lookup(content, column.notebook, column.status) if column.status else None
    return str(status["value"]) if status and status.get("value") else "too little data"


def _no_target_text(content: dict, found: dict | None) -> str:
    """'no target stated', with the chance the maker's report gives instead (of beating the year
    before's total) when it recorded one, so the page says what the report says."""
    year = _number(results.lookup(content, "01_sales_trajectory", sales_names.TARGET_YEAR))
    if _number(found) is None or year is None:
        return "no target stated"
    return f"no target stated; {results.format_value(found)} to beat its {year - 1:.0f} total"


def _target_stated(content: dict, maker) -> bool:
    """Whether the maker's sales answer is about its own stated target: as notebook 01 recorded
    it (the target year moves with the data), else whether the registry names a target row."""
    recorded = _number(results.lookup(content, "01_sales_trajectory", sales_names.TARGET_STATED))
    return bool(recorded) if recorded is not None else bool(maker and maker.target_row)


def league_table(makers_results: dict[str, dict], registry: dict) -> list[Row]:
    """One row per maker (registry order by key), a Cell per column; `makers_results` maps a maker
    key to its results.json content, `registry` is lib.makers.registry()."""
    rows = []
    for key in sorted(makers_results):
        maker = registry.get(key)
        content = makers_results[key]
        stated = _target_stated(content, maker)
        cells = {c.key: _cell(key, content, c, stated) for c in COLUMNS}
        rows.append(Row(key, maker.display_name if maker else key, cells))
    return rows


def sorted_rows(rows: list[Row], column: str, descending: bool = True) -> list[Row]:
    """Rows by one column's number (makers without a number last, then by name)."""
    if column == "maker":
        return sorted(rows, key=lambda r: r.display_name.lower())

    def key(row: Row):
        value = row.cells[column].value
        return (value is None, -(value or 0.0) if descending else (value or 0.0), row.display_name)

    return sorted(rows, key=key)


def league_chart(rows: list[Row], makers_results: dict[str, dict]):
    """Four panels, one per question, each maker's number with its interval where recorded."""
    panels = [c for c in COLUMNS if c.key in ("p_target", "premium", "gm_cut10", "payback")]
    axes = plots.axes(figsize=(13, 0.45 * max(len(rows), 3) + 1.6), panels=len(panels))
    names = [r.display_name for r in rows]
    for ax, column in zip(axes, panels, strict=True):
        for y, row in enumerate(rows):
            cell = row.cells[column.key]
            if cell.value is None:
                ax.text(
                    0.02,
                    y,
                    cell.text,
                    va="center",
                    fontsize=8,
                    color=plots.NEUTRAL_COLOR,
                    transform=ax.get_yaxis_transform(),
                )
                continue
            found, _ = _find(makers_results[row.maker], column)
            low, high = (found or {}).get("low"), (found or {}).get("high")
            if low is not None and high is not None:
                ax.plot([low, high], [y, y], color=plots.REFERENCE_COLOR, lw=3, alpha=0.4)
            ax.plot([cell.value], [y], "o", color=plots.FOCUS_COLOR)
        ax.set_yticks(range(len(rows)), names if ax is axes[0] else [""] * len(rows))
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_title(column.title, fontsize=10)
        if column.key in ("p_target", "payback"):  # probabilities: the whole 0-100% scale
            ax.set_xlim(0, 1)
            plots.percent(ax, axis="x", scale=100)
        else:
            ax.set_xlabel("%", fontsize=8)
    figure = axes[0].figure
    plots.finish(figure, title=_chart_title(rows), source="each maker's results.json (its reports)")
    figure.tight_layout()
    return figure


def _chart_title(rows: list[Row]) -> str:
    """The finding: who is most likely to reach its own target, and whose badge is worth most."""
    parts = []
    stated = [r for r in rows if r.cells["p_target"].value is not None]
    if stated:
        best = max(stated, key=lambda r: r.cells["p_target"].value)
        parts.append(
            f"{best.display_name} is the likeliest to reach its own target ({best.cells['p_target'].text})"
        )
    priced = [r for r in rows if r.cells["premium"].value is not None]
    if priced:
        top = max(priced, key=lambda r: r.cells["premium"].value)
        parts.append(
            f"{top.display_name}'s badge carries the highest premium ({top.cells['premium'].text})"
        )
    return "; ".join(parts) or "The four answers across makers"


@dataclass(frozen=True)
class RecordLine:
    """How good earlier answers to one question were, across the universe, in one line."""

    question: str
    text: str
    href: str | None  # the section of a maker's report that shows the record


def record_lines(makers_results: dict[str, dict]) -> list[RecordLine]:
    """One line per question from the first maker whose run recorded the question's record (the
    records pool every maker, so any maker's run states the same pooled numbers), linking to
    the section of that maker's report that shows it."""
    lines = []
    for question in QUESTIONS:
        found_line = RecordLine(question.question, "no record in this run", None)
        for maker, content in makers_results.items():
            entry = content.get("notebooks", {}).get(question.notebook, {})
            if entry.get("status") not in ("ok", "reused"):  # no report section to link to
                continue
            found = {r["name"]: r for r in entry.get("results", [])}
            text = note.record_line(question.key, found, own=False)
            if text:
                href = f"{maker}/{question.notebook}.html{note.record_section(question.key)}"
                found_line = RecordLine(question.question, text, href)
                break
        lines.append(found_line)
    return lines
