"""Charts of the margins analysis: each takes the Analysis (and an optional Axes) and returns the
Figure, built with `plots.axes` and finished with `plots.finish`, its title stating the finding
computed from the results."""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lib import plots
from lib.margins.analysis import HEADLINE_CUT, Analysis
from lib.margins.breakeven import breakeven_volume_increase, contribution_margin
from lib.margins.learning import slope_from_learning_rate
from lib.margins.panel import EXCLUDED_FLAGS
from lib.margins.units import frac_to_pct

SOURCE_FINANCIALS = (
    "data/financials_quarterly.csv (company reports via press and broker notes); events: see table"
)
EVENT_LABEL_DAYS = 60  # events closer than this share one number label ("8-10"): no overlap
BREAKEVEN_CAP_PCT = 300.0  # beyond quadrupling volume the curve only says "out of reach"
CELLS_REFERENCE = "margins_battery_learning_rate_cells_pct"  # the title's comparison
EVENT_COLOR = "#555555"
SOURCE_QUARTER = (
    "data/financials_quarterly.csv (company reports via press and broker notes), "
    "data/deliveries_monthly.csv, data/price_war_events.csv"
)


def _quarter_x(index: pd.PeriodIndex) -> pd.DatetimeIndex:
    """Plot quarters at their mid-point in time."""
    return index.start_time + (index.end_time - index.start_time) / 2


def mark_events(ax: plt.Axes, events: pd.DataFrame, since: pd.Timestamp | None = None) -> None:
    """Vertical lines at event dates (dashed: price cut, dotted: policy), labelled at the top by
    their `number` (as in the event table), only those from `since` on; events closer than
    EVENT_LABEL_DAYS share one label ("8-10")."""
    shown = events if since is None else events[events["date"] >= since]
    groups: list[list[tuple[int, pd.Timestamp]]] = []
    for number, date, kind in zip(shown["number"], shown["date"], shown["kind"], strict=True):
        ax.axvline(
            date, color=EVENT_COLOR, lw=0.8, ls="--" if kind == "price cut" else ":", zorder=0
        )
        if groups and (date - groups[-1][0][1]).days <= EVENT_LABEL_DAYS:
            groups[-1].append((number, date))
        else:
            groups.append([(number, date)])
    for group in groups:
        first, last = group[0][0], group[-1][0]
        label = str(first) if first == last else f"{first}-{last}"
        ax.annotate(
            label,
            (group[0][1], 1.0),
            xycoords=("data", "axes fraction"),
            ha="left",
            va="bottom",
            fontsize=8,
            color=EVENT_COLOR,
        )


def _history(result: Analysis, column: str, ax, *, panels=None, scale: float = 1.0) -> plt.Axes:
    """One metric by quarter for the maker (red, thick) and peers, from the maker's first usable
    quarter; hollow markers = derived or estimated values; uncertain or worse left out."""
    panels = panels or result.inputs.compared
    company = result.inputs.company
    colors = plots.brand_colors(list(panels), focus=company)
    first = result.panel.usable().index.min()
    for name, panel in panels.items():
        t = panel.table[[column, f"{column}_flag"]].dropna(subset=[column])
        t = t[(t.index >= first) & ~t[f"{column}_flag"].isin(EXCLUDED_FLAGS)]
        if t.empty:
            continue
        x, y = _quarter_x(t.index), (t[column] * scale).to_numpy()
        soft = (t[f"{column}_flag"] != "stated").to_numpy()
        focus = name == company
        ax.plot(
            x, y, color=colors[name], lw=2.6 if focus else 1.3, label=name, zorder=3 if focus else 2
        )
        ax.scatter(x[~soft], y[~soft], color=colors[name], s=22 if focus else 12, zorder=4)
        ax.scatter(x[soft], y[soft], facecolors="white", edgecolors=colors[name], s=30, zorder=4)
    mark_events(ax, result.inputs.events, since=first.start_time)
    ax.yaxis.set_major_locator(mticker.MaxNLocator(steps=[1, 2, 5, 10], integer=True))
    ax.legend(fontsize=8.5, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return ax


def gross_margin_chart(result: Analysis, ax: plt.Axes | None = None) -> Figure:
    ax = plots.axes(ax)
    usable = result.panel.usable()
    first, start = usable.index[0], result.start
    title = (
        f"{result.name}'s gross margin moved from {usable.loc[first, 'gross_margin_pct']:.1f}% "
        f"in {first} to {usable.loc[start, 'gross_margin_pct']:.1f}% in {start}"
    )
    _history(result, "gross_margin_pct", ax)
    plots.percent(ax)
    plots.finish(ax, title=title, ylabel="Gross margin (%)", source=SOURCE_FINANCIALS)
    return ax.figure


def net_margin_chart(result: Analysis, ax: plt.Axes | None = None) -> Figure:
    ax = plots.axes(ax)
    net = result.panel.usable()["net_margin_pct"].dropna()
    title = (
        f"{result.name}'s net margin was {net.iloc[-1]:.1f}% in {net.index[-1]}, "
        f"against {net.iloc[0]:.1f}% in {net.index[0]}"
        if len(net)
        else f"The data have no quarterly net income for {result.name}: peers' net margins"
    )
    _history(result, "net_margin_pct", ax)
    plots.percent(ax)
    plots.finish(ax, title=title, ylabel="Net income / revenue (%)", source=SOURCE_FINANCIALS)
    return ax.figure


def same_currency(result: Analysis) -> dict:
    """Compared panels in the maker's currency (per-vehicle money is not mixed across them)."""
    return {n: p for n, p in result.inputs.compared.items() if p.currency == result.currency}


def revenue_per_vehicle_chart(result: Analysis, ax: plt.Axes | None = None) -> Figure:
    ax = plots.axes(ax)
    per_car = result.panel.usable()["revenue_per_vehicle"]
    change = per_car.loc[result.start] / per_car.iloc[0] - 1
    title = (
        f"{result.name}'s revenue per vehicle {'fell' if change < 0 else 'rose'} {abs(change):.0%} "
        f"from {per_car.index[0]} to {result.start}"
    )
    _history(result, "revenue_per_vehicle", ax, panels=same_currency(result), scale=1e-3)
    plots.thousands(ax)
    plots.finish(
        ax,
        title=title,
        ylabel=f"Revenue per vehicle ({result.currency} thousand)",
        source=SOURCE_FINANCIALS,
    )
    return ax.figure


def industry_margin_chart(result: Analysis, ax: plt.Axes | None = None) -> Figure:
    """Bars: industry sales profit margin by year (percent), hatched when flagged; the count of
    models with price cuts written inside the bars of the years that have one."""
    ax = plots.axes(ax)
    margins, cuts = result.inputs.industry_margins, result.inputs.price_cut_counts
    soft = (margins["flag"] != "stated").to_numpy()
    years, values = margins["year"].to_numpy(), margins["value"].to_numpy()
    ax.bar(years[~soft], values[~soft], color=plots.REFERENCE_COLOR)
    ax.bar(years[soft], values[soft], color="white", edgecolor=plots.REFERENCE_COLOR, hatch="//")
    for year, value in zip(years, values, strict=True):
        ax.annotate(f"{value:.1f}%", (year, value), ha="center", va="bottom", fontsize=9)
    for year, count in zip(cuts["year"], cuts["value"], strict=True):
        top = float(values[years == year].max()) if (years == year).any() else 0.0
        ax.annotate(
            f"{count:.0f}\nmodels\ncut",
            (year, top / 2),
            ha="center",
            va="center",
            fontsize=8,
            color="white",
        )
    ax.set_xticks(years)
    plots.percent(ax)
    title = (
        f"China's car industry profit margin fell from {values[0]:.1f}% in {years[0]} "
        f"to {values[-1]:.1f}% in {years[-1]}"
    )
    source = "official statistics via CPCA (sales profit margin); CPCA count of models with price cuts; hatched = flagged"
    plots.finish(ax, title=title, xlabel="Year", ylabel="Sales profit margin (%)", source=source)
    return ax.figure


def bridge_chart(result: Analysis, ax: plt.Axes | None = None) -> Figure:
    """Waterfall: base gross profit, each effect, end gross profit (currency millions)."""
    ax = plots.axes(ax)
    bridge, currency = result.bridge, result.currency
    table = bridge.table()
    running = 0.0
    for i, value in enumerate(table["value_mn"]):
        total = i in (0, len(table) - 1)
        bottom = 0.0 if total else running
        if total:
            color = plots.NEUTRAL_COLOR
        else:
            color = plots.REFERENCE_COLOR if value >= 0 else plots.FOCUS_COLOR
        ax.bar(i, value, bottom=bottom, color=color, width=0.6)
        text = f"{value:,.0f}" if total else f"{value:+,.0f}"
        ax.annotate(text, (i, max(bottom, bottom + value)), ha="center", va="bottom", fontsize=9)
        running = value if total else running + value
    ax.axhline(0, color="#333333", lw=0.8)
    labels = [
        step.replace("Gross profit ", "Gross profit\n").replace(" ", "\n", 1)
        if len(step) > 12
        else step
        for step in table["step"]
    ]
    ax.set_xticks(range(len(table)), labels, fontsize=9)
    plots.thousands(ax)
    biggest = bridge.largest_effect
    title = (
        f"Gross profit {'rose' if bridge.change >= 0 else 'fell'} {currency} {abs(bridge.change):,.0f} mn, "
        f"{bridge.base} to {bridge.end}; {biggest.lower()}: {bridge.effects[biggest]:+,.0f} mn"
    )
    plots.finish(
        ax,
        title=title,
        ylabel=f"Gross profit ({currency} mn per quarter)",
        source=SOURCE_FINANCIALS,
    )
    return ax.figure


def _learning_title(result: Analysis) -> str:
    rate, refs = result.fit.learning_rate, result.inputs.battery_rates
    moved = f"{'fell' if rate >= 0 else 'rose'} {abs(100 * rate):.0f}% per doubling of deliveries"
    cells = refs.loc[refs["name"] == CELLS_REFERENCE, "rate"]
    if cells.empty:
        return f"{result.name}'s cost per vehicle {moved}"
    cells_rate = float(cells.iloc[0])
    side = "below" if rate < cells_rate else "above"
    return (
        f"{result.name}'s cost per vehicle {moved}, {side} battery cells' {100 * cells_rate:.0f}%"
    )


def learning_chart(result: Analysis, ax: plt.Axes | None = None) -> Figure:
    """Unit cost vs cumulative deliveries (log-log) with the fitted line, its 95% band from the
    slope interval, and lines at published battery learning rates from the first quarter."""
    ax = plots.axes(ax)
    fit, company, currency = result.fit, result.inputs.company, result.currency
    source = "cost per vehicle = revenue x (1 - gross margin) / deliveries; financials_quarterly.csv; learning rates: see table"
    own = fit.points[fit.points["company"] == company]
    if own.empty:  # the slope was borrowed from the peers: nothing of the maker's to draw
        ax.set_axis_off()
        used = f"{fit.scope} slope used" if result.learning_applied else "no learning applied"
        title = f"{result.name} has no quarter with cumulative deliveries to draw ({used})"
        plots.finish(ax, title=title, source=source)
        return ax.figure
    x = own["cum_deliveries_mid"].to_numpy()
    ax.scatter(
        x,
        own["cost_per_vehicle"],
        color=plots.FOCUS_COLOR,
        zorder=3,
        label=f"{company}, by quarter",
    )
    grid = np.geomspace(x.min(), x.max(), 50)
    anchor_x = float(np.exp(np.mean(np.log(x))))
    anchor_y = float(np.exp(fit.intercepts[company] + fit.slope * np.log(anchor_x)))
    ax.plot(
        grid,
        anchor_y * (grid / anchor_x) ** fit.slope,
        color=plots.FOCUS_COLOR,
        label=f"Wright fit: {100 * fit.learning_rate:.0f}% per doubling",
    )
    ends = [anchor_y * (grid / anchor_x) ** b for b in fit.slope_ci]
    ax.fill_between(
        grid,
        np.minimum(*ends),
        np.maximum(*ends),
        color=plots.FOCUS_COLOR,
        alpha=plots.INTERVAL_ALPHA,
        label="95% interval of the slope",
    )
    first_y = float(own.sort_values("cum_deliveries_mid")["cost_per_vehicle"].iloc[0])
    refs = result.inputs.battery_rates
    for (name, rate), style in zip(
        refs[["label", "rate"]].itertuples(index=False), ["--", ":", "-."], strict=False
    ):
        b = float(slope_from_learning_rate(rate))
        ax.plot(
            grid,
            first_y * (grid / x.min()) ** b,
            ls=style,
            color=plots.REFERENCE_COLOR,
            lw=1.2,
            label=f"{name}: {100 * rate:.0f}%",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(mticker.LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0, 7.0)))
        axis.set_minor_formatter(mticker.NullFormatter())
    plots.thousands(ax, "x")
    plots.thousands(ax, "y")
    ax.legend(fontsize=8.5, loc="lower left")
    plots.finish(
        ax,
        title=_learning_title(result),
        xlabel="Cumulative deliveries (vehicles, log scale)",
        ylabel=f"Cost of sales per vehicle ({currency}, log scale)",
        source=source,
    )
    return ax.figure


def breakeven_chart(result: Analysis, ax: plt.Axes | None = None) -> Figure:
    """Volume increase (percent) that keeps gross profit, against the price cut (percent), for
    all cost of sales variable and for the fixed share absorbed; the headline cut is marked."""
    ax = plots.axes(ax)
    margin, share, cuts = result.margin_now, result.fixed_share, result.inputs.price_cuts
    cut_pct, cap = frac_to_pct(HEADLINE_CUT), BREAKEVEN_CAP_PCT
    with_fixed = contribution_margin(margin, share)
    lines = [(margin, f"all cost of sales variable (m = {100 * margin:.1f}%)", plots.FOCUS_COLOR)]
    if share > 0:  # none fixed (or too little data to say): the second line is the first
        lines.append(
            (
                with_fixed,
                f"{100 * share:.0f}% of cost of sales fixed (m = {100 * with_fixed:.1f}%)",
                plots.REFERENCE_COLOR,
            )
        )
    for m, label, color in lines:
        needed = frac_to_pct(breakeven_volume_increase(m, cuts))
        ax.plot(
            frac_to_pct(cuts),
            np.where(needed <= cap, needed, np.nan),
            color=color,
            lw=2,
            label=label,
        )
        at_cut = frac_to_pct(breakeven_volume_increase(m, HEADLINE_CUT))
        if at_cut <= cap:
            ax.scatter([cut_pct], [at_cut], color=color, zorder=4)
            ax.annotate(
                f"{at_cut:.0f}%",
                (cut_pct, at_cut),
                xytext=(6, -4),
                textcoords="offset points",
                color=color,
                fontsize=9,
            )
    ax.axvline(cut_pct, color=EVENT_COLOR, lw=0.8, ls=":")
    ax.set_xlim(frac_to_pct(cuts.min()), frac_to_pct(cuts.max()))
    ax.set_ylim(0, cap)
    ax.xaxis.set_major_locator(mticker.MaxNLocator(steps=[1, 2, 5, 10], integer=True))
    plots.percent(ax)
    plots.percent(ax, "x")
    ax.legend(fontsize=9, loc="upper left")
    if np.isfinite(result.need_for_cut):
        title = (
            f"A {cut_pct:.0f}% cut needs {100 * result.need_for_cut:.0f}% more vehicles to keep gross "
            "profit"
        )
        if share > 0:
            title += f" ({100 * result.need_for_cut_fixed:.0f}% with fixed costs)"
    else:
        title = f"At a {100 * margin:.1f}% margin no volume pays for a {cut_pct:.0f}% price cut"
    plots.finish(
        ax,
        title=title,
        xlabel="Price cut (% of revenue per vehicle)",
        ylabel="Volume increase to keep gross profit (%)",
        source=f"{result.name} gross margin in {result.start}; break-even = d / (m - d)",
    )
    return ax.figure


def margin_map_chart(result: Analysis, ax: plt.Axes | None = None) -> Figure:
    """Gross margin (percent) over price cut x volume change, the current margin's contour, the
    zero line, and the target volume's line (a note instead when it is off the grid)."""
    ax = plots.axes(ax)
    grid, today_pct = result.grid, 100 * result.margin_now
    target_pct = 100 * result.target_change
    cuts, changes, values = (
        grid.columns.to_numpy(float),
        grid.index.to_numpy(float),
        grid.to_numpy(),
    )
    limit = float(np.nanmax(np.abs(values)))
    mesh = ax.pcolormesh(
        cuts, changes, values, cmap="RdBu", vmin=-limit, vmax=limit, shading="nearest"
    )
    ax.figure.colorbar(mesh, ax=ax, label="Gross margin (%)")
    two_d = len(cuts) > 1 and len(changes) > 1
    if two_d and values.min() < today_pct < values.max():
        today = ax.contour(
            cuts, changes, values, levels=[today_pct], colors="black", linewidths=1.8
        )
        ax.clabel(today, fmt=lambda v: f"today {v:.1f}%", fontsize=8.5)
    if two_d and values.min() < 0 < values.max():
        zero = ax.contour(
            cuts, changes, values, levels=[0.0], colors=EVENT_COLOR, linestyles="--", linewidths=1
        )
        ax.clabel(zero, fmt=lambda v: "0%", fontsize=8)
    if changes.min() <= target_pct <= changes.max():
        ax.axhline(target_pct, color=plots.FOCUS_COLOR, lw=2)
        ax.annotate(
            "target volume",
            (cuts.max(), target_pct),
            ha="right",
            va="bottom",
            color=plots.FOCUS_COLOR,
            fontsize=9,
        )
    else:
        ax.annotate(
            f"target volume ({target_pct:+.0f}%) is off the grid",
            (0.99, 0.02),
            xycoords="axes fraction",
            ha="right",
            fontsize=9,
            color=plots.FOCUS_COLOR,
        )
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(mticker.MaxNLocator(steps=[1, 2, 5, 10], integer=True))
    plots.percent(ax)
    plots.percent(ax, "x")
    title = (
        f"At the target volume a {100 * HEADLINE_CUT:.0f}% cut leaves {100 * result.margin_after_cut_at_target:.1f}% "
        f"gross margin before learning (today {today_pct:.1f}%)"
    )
    source = (
        f"{result.name} gross margin in {result.start}; "
        + (
            f"fixed share {100 * result.fixed_share:.0f}% of cost of sales"
            if not result.fixed_too_little_data
            else "all cost of sales variable (too little data for a fixed share)"
        )
        + f"; volume vs {result.volume_basis}"
    )
    plots.finish(
        ax,
        title=title,
        xlabel="Price cut (% of revenue per vehicle)",
        ylabel="Volume change vs last four quarters (%)",
        source=source,
    )
    return ax.figure


def _quarter_title(result: Analysis) -> str:
    found, company = result.outlook, result.inputs.company
    scored = found.own[found.own["skipped"] == ""]
    held = int(scored["expected_inside80"].astype(bool).sum())
    record = (
        f"; the range held {held} of its {len(scored)} past quarters scored" if len(scored) else ""
    )
    if found.call is None:
        return f"No expectation for {result.name}'s next quarter ({found.reason}){record}"
    call = found.call
    return (
        f"{company}'s gross margin in {call.quarter}: expected {call.expected_pct:.1f}% "
        f"(80% range {call.low_pct:.1f}-{call.high_pct:.1f}%){record}"
    )


def quarter_outlook_chart(result: Analysis, ax: plt.Axes | None = None) -> Figure:
    """The company's reported gross margins (the line breaks where a quarter is missing), what
    was expected of each scored quarter from the data before it (dots, 80% ranges as bars) and
    the next quarter's expectation (red)."""
    ax = plots.axes(ax)
    found = result.outlook
    own = found.own.set_index("quarter")
    every = pd.period_range(own.index.min(), own.index.max(), freq="Q")
    ax.plot(_quarter_x(every), own["margin_pct"].reindex(every), color=plots.NEUTRAL_COLOR, lw=1.5)
    x = _quarter_x(own.index)
    ax.scatter(x, own["margin_pct"], color="black", s=18, zorder=4, label="reported")
    scored = (own["skipped"] == "").to_numpy()
    if scored.any():
        expected, low, high = (
            own[c].to_numpy()[scored]
            for c in ("expected_pct", "expected_low_pct", "expected_high_pct")
        )
        ax.errorbar(
            x[scored],
            expected,
            yerr=[expected - low, high - expected],
            fmt="o",
            color=plots.REFERENCE_COLOR,
            capsize=3,
            ms=5,
            zorder=3,
            label="expected from the data before it, 80% range",
        )
    call = found.call
    if call is not None:
        ax.errorbar(
            _quarter_x(pd.PeriodIndex([call.quarter])),
            [call.expected_pct],
            yerr=[[call.expected_pct - call.low_pct], [call.high_pct - call.expected_pct]],
            fmt="D",
            color=plots.FOCUS_COLOR,
            capsize=4,
            ms=7,
            zorder=5,
            label=f"{call.quarter}: expected, 80% range",
        )
    plots.percent(ax)
    ax.legend(fontsize=8.5, loc="upper left")
    plots.finish(ax, title=_quarter_title(result), ylabel="Gross margin (%)", source=SOURCE_QUARTER)
    return ax.figure
