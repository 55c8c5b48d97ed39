"""The summary's charts and status table: one small multiple per answer, drawn only from recorded numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from lib import plots, results

if TYPE_CHECKING:
    import matplotlib.pyplot as plt
from lib.margins import names as margins_names
from lib.payback import names as payback_names
from lib.premium import names as premium_names
from lib.sales import names as sales_names
from lib.summary.core import Answer, RunResults, found_results

# ---------------------------------------------------------------------------------------------
# Charts: one small multiple per answer, drawn only from recorded numbers


def _unavailable(ax: plt.Axes, answer: Answer) -> None:
    ax.text(
        0.5, 0.5, "not available in this run", ha="center", va="center", color=plots.NEUTRAL_COLOR
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(answer.question.key.capitalize())


def _intervals(ax: plt.Axes, rows: list[tuple[str, dict]], scale: float = 1.0) -> None:
    """Each result as a point with its recorded interval, first row in the focus colour."""
    for position, (_, result) in enumerate(rows):
        color = plots.FOCUS_COLOR if position == 0 else "#1f2933"
        if result.get("low") is not None and result.get("high") is not None:
            ax.plot(
                [result["low"] * scale, result["high"] * scale],
                [position, position],
                color=color,
                lw=2.5,
                alpha=0.6,
            )
        ax.plot(result["value"] * scale, position, "o", color=color, ms=8)
    ax.set_yticks(range(len(rows)), [label for label, _ in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)


def _chart_sales(ax: plt.Axes, found: dict) -> str:
    forecast, target = (
        found.get(sales_names.FORECAST_MEDIAN_UNITS),
        found.get(sales_names.TARGET_UNITS),
    )
    if forecast is None:
        return ""
    _intervals(ax, [("target-year\ndeliveries", forecast)], scale=1e-3)
    if target and target.get("value"):
        ax.axvline(target["value"] / 1e3, color="#1f2933", ls="--", lw=1.2)
        ax.annotate(
            "target",
            (target["value"] / 1e3, -0.4),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=9,
        )
    ax.set_xlabel("Median forecast and 10-90% range (thousand vehicles)")
    probability = found.get(sales_names.P_REACH_TARGET)
    return (
        f"Sales: {results.format_value(probability)} chance of reaching the target"
        if probability
        else "Sales"
    )


def _gaps(found: dict) -> list[tuple[str, dict]]:
    """Each comparison badge and its recorded price gap, from the table notebook 02 records
    beside them (badge -> result name), largest gap first."""
    table = results.table_frame(found.get(premium_names.GAP_BRANDS))
    if table is None:
        return []
    gaps = [
        (str(brand), found[name])
        for brand, name in zip(table["brand"], table["result"], strict=True)
        if name in found and isinstance(found[name].get("value"), int | float)
    ]
    return sorted(gaps, key=lambda item: -item[1]["value"])


def _chart_premium(ax: plt.Axes, found: dict) -> str:
    gaps = _gaps(found)
    if not gaps:
        return ""
    _intervals(ax, gaps, scale=1e-3)
    ax.axvline(0, color="#1f2933", lw=0.8)
    ax.set_xlabel("Extra list price of the flagship spec under each badge (thousand yuan)")
    premium = found.get(premium_names.FOCUS_PREMIUM_PCT)
    return (
        f"Brand premium vs reference: {results.format_value(premium)}"
        if premium and premium.get("value") is not None
        else "Brand premium"
    )


def _chart_margins(ax: plt.Axes, found: dict) -> str:
    cases = [
        ("10% cut", margins_names.GM_AT_TARGET_CUT10_PCT),
        ("5% cut", margins_names.GM_AT_TARGET_CUT5_PCT),
        ("prices held", margins_names.GM_AT_TARGET_CURRENT_PCT),
    ]
    rows = [
        (label, found[name])
        for label, name in cases
        if name in found and found[name]["value"] is not None
    ]
    if not rows:
        return ""
    _intervals(ax, rows)
    latest = found.get(margins_names.LATEST_GROSS_MARGIN_PCT)
    if latest and latest["value"] is not None:
        ax.axvline(latest["value"], color="#1f2933", ls="--", lw=1.2)
    ax.set_xlabel("Gross margin at the target volume (%); dashed: latest quarter")
    return "Margins at the target volume"


def _chart_payback(ax: plt.Axes, found: dict) -> str:
    strategies = sorted(
        {name.removesuffix("_p_payback_5y") for name in found if name.endswith("_p_payback_5y")}
    )
    if not strategies:
        return ""
    for offset, (years, color) in enumerate([(5, plots.FOCUS_COLOR), (8, plots.NEUTRAL_COLOR)]):
        values = [
            100 * (found.get(f"{slug}_p_payback_{years}y") or {}).get("value", 0)
            for slug in strategies
        ]
        ax.barh(
            [i + 0.2 * (2 * offset - 1) for i in range(len(strategies))],
            values,
            height=0.38,
            color=color,
            label=f"within {years} years",
        )
    ax.set_yticks(range(len(strategies)), strategies)
    ax.set_xlim(0, 100)
    ax.legend(loc="lower right", fontsize=9)
    ax.set_xlabel("Probability of discounted payback (%)")
    best = found.get(payback_names.BEST_STRATEGY)
    return f"Payback: best route {best['value']}" if best else "Payback"


CHARTS = {
    "sales": _chart_sales,
    "premium": _chart_premium,
    "margins": _chart_margins,
    "payback": _chart_payback,
}


def small_multiples(items: list[Answer], run: RunResults | None) -> plt.Figure:
    """A 2x2 figure, one panel per answer, each titled with its finding."""
    axes = plots.axes(figsize=(11, 6.4), panels=(2, 2))
    figure = axes.flat[0].figure
    for ax, answer in zip(axes.flat, items, strict=True):
        title = (
            CHARTS[answer.question.key](ax, found_results(answer, run)) if answer.available else ""
        )
        if title:
            ax.set_title(title, fontsize=11)
        else:
            _unavailable(ax, answer)
    shown = sum(answer.available for answer in items)
    plots.finish(
        figure,
        title=f"The four answers at a glance: {shown} of {len(items)} answered for this maker",
        source="this run's results.json (each panel's report gives its sources)",
    )
    figure.tight_layout()
    return figure


def status_table(run: RunResults | None) -> pd.DataFrame:
    """Each notebook of the run: title, status and how many results it recorded."""
    notebooks = run.content.get("notebooks", {}) if run else {}
    rows = [
        {
            "notebook": name,
            "title": entry.get("title", ""),
            "status": entry.get("status", ""),
            "results": len(entry.get("results", [])),
        }
        for name, entry in notebooks.items()
    ]
    return pd.DataFrame(rows, columns=["notebook", "title", "status", "results"]).set_index(
        "notebook"
    )
