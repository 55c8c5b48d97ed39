"""Charts: each takes the analysis (and an optional `ax`), returns a Figure whose title states the
finding computed from the results, with labelled axes and a source line (plots.axes, then
plots.finish)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from lib import plots
from lib.payback.analysis import Analysis
from lib.payback.params import meaning
from lib.payback.simulation import LONG_PAYBACK_YEARS, SHORT_PAYBACK_YEARS
from lib.payback.text import payback_label

SOURCE = (
    "data/ventures.csv, assumptions.csv and financials_quarterly.csv (sources in the tables); "
    "model inputs marked 'assumption' have no source"
)
CHECKPOINTS = (SHORT_PAYBACK_YEARS, LONG_PAYBACK_YEARS)
TOTALS = ("List price", "Contribution")  # waterfall bars that stand on zero
MAKER_MARGIN_COLOR = "#e8a0a9"  # the maker's own profit on the car, lighter than the venture's
NPV_RANGE = (0.001, 0.999)  # histogram range: the extreme 0.1% draws on each side would squash it
GRID_POINTS_PER_YEAR = 24  # resolution of the payback curves
TORNADO_BARS = 10


def _label(analysis: Analysis) -> str:
    return analysis.strategy(analysis.best).label


def _waterfall(ax: plt.Axes, steps) -> None:
    """One route's waterfall: the totals stand on zero, every other step floats from the running
    level; each bar labelled with its amount."""
    steps = steps[(steps.abs() > 1e-6) | steps.index.isin(TOTALS)]
    level, bottoms, heights, colors = 0.0, [], [], []
    for label, amount in steps.items():
        if label in TOTALS:
            bottoms.append(0.0)
            heights.append(amount)
            colors.append(plots.FOCUS_COLOR if label == "Contribution" else plots.REFERENCE_COLOR)
            level = amount
        else:
            bottoms.append(level + min(amount, 0.0))
            heights.append(abs(amount))
            colors.append(MAKER_MARGIN_COLOR if label == "Maker's margin" else plots.NEUTRAL_COLOR)
            level += amount
    x = np.arange(len(steps))
    ax.bar(x, heights, bottom=bottoms, color=colors, width=0.7)
    for i, amount in enumerate(steps.to_numpy()):
        top = bottoms[i] + heights[i]
        ax.text(i, top, f"{amount / 1e3:,.0f}k", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, steps.index, rotation=60, ha="right", fontsize=9)
    plots.thousands(ax)


def waterfall_chart(analysis: Analysis, axes=None) -> plt.Figure:
    """One waterfall per route (China, exported, assembled locally) on a shared RMB axis. `axes`:
    one Axes per route, or None for a new figure."""
    unit = analysis.unit
    routes = [unit.china, unit.exported, unit.local]
    axes = np.atleast_1d(plots.axes(axes, figsize=(11, 5.2), panels=len(routes)))
    for ax in axes[1:]:
        ax.sharey(axes[0])
        ax.tick_params(labelleft=False)
    for ax, route in zip(axes, routes, strict=True):
        _waterfall(ax, unit.table[route])
        ax.set_title(route, fontsize=11, fontweight="normal")
    axes[0].set_ylabel("RMB per car")
    ratio = unit.step("list_price", unit.exported) / unit.step("list_price", unit.china)
    tariffs = -unit.step("duty", unit.exported)
    title = (
        f"A {analysis.inputs.car_model.upper()} lists at {ratio:.1f}x its China price in Europe; "
        f"tariffs take RMB {tariffs / 1e3:,.0f}k of it unless it is assembled there"
    )
    figure = axes[0].figure
    plots.finish(figure, title=title, source=SOURCE)
    figure.tight_layout()  # the rotated step names inside the figure, above the source line
    return figure


def cumulative_chart(analysis: Analysis, ax: plt.Axes | None = None) -> plt.Figure:
    """Base case: cumulative discounted cash flow to the maker of each strategy, payback marked."""
    ax = plots.axes(ax)
    base = analysis.base
    for (slug, flows), color in zip(base.flows.items(), plots.PALETTE, strict=False):
        discount = (1 + flows.rate[0]) ** -np.arange(flows.maker.shape[1])
        cumulative = np.cumsum(flows.maker[0] * discount)
        x = np.arange(cumulative.size)
        ax.plot(x, cumulative, marker="o", color=color, label=flows.strategy.label)
        years = base.payback_years(slug)
        if math.isfinite(years) and years > 0:
            ax.axvline(years, color=color, linestyle=":", linewidth=1)
            ax.annotate(
                f"{years:.1f} y",
                (years, 0),
                textcoords="offset points",
                xytext=(3, 6),
                color=color,
                fontsize=9,
            )
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.set_xticks(np.arange(analysis.horizon + 1))
    plots.thousands(ax)
    ax.legend(loc="upper left")
    table = base.summary()
    fastest = table["payback_years"].idxmin()
    first = table.loc[fastest, "payback_years"]
    title = (
        f"Base case: {analysis.strategy(fastest).phrase} pays back first, after "
        f"{payback_label(first)}"
        if math.isfinite(first)
        else f"Base case: no route pays back within {analysis.horizon} years"
    )
    plots.finish(
        ax,
        title=title,
        source=SOURCE,
        xlabel="years from the start (t = 0: upfront investment)",
        ylabel="cumulative discounted cash flow, RMB mn",
    )
    return ax.figure


def npv_chart(analysis: Analysis, ax: plt.Axes | None = None) -> plt.Figure:
    """Histogram of the best strategy's NPV draws, losses shaded."""
    ax = plots.axes(ax)
    draws, s = analysis.simulation.npv[analysis.best], analysis.summaries[analysis.best]
    bins = np.linspace(*np.quantile(draws, NPV_RANGE), 80)
    ax.hist(
        draws[draws < 0], bins=bins, color=plots.FOCUS_COLOR, alpha=0.85, label="NPV below zero"
    )
    ax.hist(
        draws[draws >= 0],
        bins=bins,
        color=plots.REFERENCE_COLOR,
        alpha=0.85,
        label="NPV at or above zero",
    )
    ax.axvline(np.median(draws), color="#333333", linestyle="--", linewidth=1, label="median")
    plots.thousands(ax, "x")
    plots.thousands(ax, "y")
    ax.legend(loc="upper right")
    title = f"{_label(analysis)}: the NPV is below zero in {s.p_npv_negative:.0%} of {s.n:,} draws"
    plots.finish(ax, title=title, source=SOURCE, xlabel="NPV to the maker, RMB mn", ylabel="draws")
    return ax.figure


def _checkpoints(ax: plt.Axes, horizon: int) -> None:
    for year in CHECKPOINTS:
        if year <= horizon:
            ax.axvline(year, color="#777777", linestyle=":", linewidth=1)


def payback_histogram_chart(analysis: Analysis, ax: plt.Axes | None = None) -> plt.Figure:
    """Histogram of the best strategy's payback years, the draws that never pay back a bar apart."""
    ax = plots.axes(ax)
    horizon, s = analysis.horizon, analysis.summaries[analysis.best]
    draws = analysis.simulation.payback[analysis.best]
    finite = draws[np.isfinite(draws)]
    bins = np.linspace(0, horizon, 4 * horizon + 1)  # quarter-year bins
    ax.hist(
        finite, bins=bins, weights=np.full(finite.size, 1 / draws.size), color=plots.REFERENCE_COLOR
    )
    never = 1 - finite.size / draws.size
    never_x = horizon + 0.75  # the 'never' bar, clear of the last year
    ax.bar(
        never_x,
        never,
        width=0.5,
        color=plots.FOCUS_COLOR,
        label=f"never within {horizon} years: {never:.0%}",
    )
    _checkpoints(ax, horizon)
    plots.percent(ax, scale=100)
    ticks = list(range(0, horizon + 1, 2))
    ax.set_xticks([*ticks, never_x], [*map(str, ticks), "never"])
    ax.legend(loc="upper center")
    title = (
        f"{_label(analysis)}: {s.p_payback_5y:.0%} pay back within {SHORT_PAYBACK_YEARS} years, "
        f"{s.p_payback_8y:.0%} within {LONG_PAYBACK_YEARS}"
    )
    plots.finish(
        ax,
        title=title,
        source=SOURCE,
        xlabel="discounted payback, years from the start",
        ylabel="share of draws",
    )
    return ax.figure


def payback_curves_chart(analysis: Analysis, ax: plt.Axes | None = None) -> plt.Figure:
    """Share of draws paid back by each year, one curve per strategy; the gap below 100% at the
    horizon is the share that never pays back."""
    ax = plots.axes(ax)
    horizon = analysis.horizon
    grid = np.linspace(0, horizon, GRID_POINTS_PER_YEAR * horizon + 1)
    paybacks = analysis.simulation.payback.items()
    for (slug, draws), color in zip(paybacks, plots.PALETTE, strict=False):
        share = np.searchsorted(np.sort(draws), grid, side="right") / draws.size
        never = float(np.mean(~np.isfinite(draws)))
        label = f"{analysis.strategy(slug).label} (never: {never:.0%})"
        ax.plot(grid, share, color=color, linewidth=2, label=label)
    _checkpoints(ax, horizon)
    ax.set_ylim(0, 1.02)
    plots.percent(ax, scale=100)
    ax.legend(loc="upper left", fontsize=9)
    p = analysis.summaries[analysis.best].p_payback_horizon
    title = f"{_label(analysis)} pays back most often: {p:.0%} of draws within {horizon} years"
    plots.finish(
        ax,
        title=title,
        source=SOURCE,
        xlabel="years from the start",
        ylabel="share of draws paid back",
    )
    return ax.figure


def tornado_chart(analysis: Analysis, ax: plt.Axes | None = None) -> plt.Figure:
    """The best strategy's NPV at each input's p10 and p90 around the base case, largest on top."""
    ax = plots.axes(ax)
    frame = analysis.tornados[analysis.best]
    shown = frame.head(TORNADO_BARS).iloc[::-1]
    base = frame.attrs.get("base_npv", 0.0)
    y = np.arange(len(shown))
    for values, color, label in (
        (shown["npv_at_low"], plots.NEUTRAL_COLOR, "input at its p10"),
        (shown["npv_at_high"], plots.REFERENCE_COLOR, "input at its p90"),
    ):
        ax.barh(y, values - base, left=base, color=color, label=label, height=0.6)
    ax.axvline(base, color="#333333", linewidth=1)
    ax.set_yticks(y, shown["input"])
    plots.thousands(ax, "x")
    ax.legend(loc="lower right", fontsize=9)
    top = meaning(frame["input"].iloc[0]) if len(frame) else "no input"
    title = f"{_label(analysis)}: the {top} moves the NPV most"
    plots.finish(
        ax, title=title, source=SOURCE, xlabel="NPV to the maker, RMB mn (base case at the line)"
    )
    return ax.figure
