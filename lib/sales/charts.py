"""Charts of the sales analysis. Each takes the `Analysis` (and an optional `ax`), returns the
Figure (outside pyplot: a notebook cell that returns it shows it once), and states its finding in
a title computed from the results it draws."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.dates as mdates
import numpy as np
import pandas as pd

from lib import plots
from lib.sales.analysis import Analysis
from lib.sales.evaluation import BASELINES, LABELS, PEER_LABELS
from lib.sales.inputs import annual_totals, observed_span, yoy_growth
from lib.sales.models import MODEL_LABELS, MODELS
from lib.sales.seasonality import seasonal_deviations
from lib.sales.simulation import probability_at_least

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

DATA_SOURCE = "company delivery announcements (data/deliveries_monthly.csv)"
MODEL_SOURCE = f"{DATA_SOURCE}; simulations by lib.sales"
MODEL_COLORS = {"sarimax": "#30638e", "ets": "#edae49", "growth_curve": "#66a182"}
YOY_CAP_PCT = 300.0  # growth bars are cut here (and labelled): a first year can be +1000%
RECENT_MONTHS = 24  # history shown before the simulated months
LJUNG_BOX_LEVEL = 0.05  # residuals with a Ljung-Box p-value below this keep autocorrelation


def _recent(series: pd.Series) -> pd.Series:
    """The reported months of the last two years before the cutoff: the history a forecast
    chart shows before its simulated months."""
    span = observed_span(series)
    return span[span.index > span.index[-1] - RECENT_MONTHS]


def _timestamps(months: pd.PeriodIndex) -> pd.DatetimeIndex:
    return months.to_timestamp(how="start") + pd.Timedelta(days=14)


def _date_axis(ax: plt.Axes) -> None:
    """Readable month ticks on a laptop-sized chart."""
    locator = mdates.AutoDateLocator(minticks=4, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _with_breaks(months: pd.PeriodIndex, values: np.ndarray) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Values on every month from the first to the last given one, NaN (a break) in between."""
    order = np.argsort(months)
    months, values = months[order], np.asarray(values)[..., order]
    full = pd.period_range(months[0], months[-1], freq="M")
    position = full.get_indexer(months)
    out = np.full(values.shape[:-1] + (len(full),), np.nan)
    out[..., position] = values
    return _timestamps(full), out


def history_chart(analysis: Analysis, ax: plt.Axes | None = None) -> plt.Figure:
    """Monthly deliveries; unknown months are gaps in the line (a marker per reported month)."""
    ax = plots.axes(ax)
    fig = ax.figure
    series, maker = analysis.inputs.series, analysis.inputs.name
    span = observed_span(series)
    ax.plot(_timestamps(span.index), span.to_numpy(), color=plots.FOCUS_COLOR, lw=2)
    ax.plot(_timestamps(span.index), span.to_numpy(), "o", ms=3, color=plots.FOCUS_COLOR)
    totals = annual_totals(span)
    full = totals[totals["complete"]]
    gaps = int(span.isna().sum())
    if len(full) >= 2:
        last, before = full.index[-1], full.index[-2]
        growth = full.loc[last, "sum_of_months"] / full.loc[before, "sum_of_months"] - 1
        title = (
            f"{maker} delivered {full.loc[last, 'sum_of_months']:,.0f} vehicles in {last}, "
            f"{growth:+.0%} on {before}"
        )
    else:
        title = f"{maker} reported {span.notna().sum()} months of deliveries up to {span.index[-1]}"
    plots.thousands(ax)
    _date_axis(ax)
    ax.set_ylim(bottom=0)
    plots.finish(
        ax,
        title=title,
        xlabel="month",
        ylabel="deliveries per month (vehicles)",
        source=f"{DATA_SOURCE}; {gaps} unknown month(s) shown as gaps",
    )
    return fig


def yoy_chart(
    analysis: Analysis, ax: plt.Axes | None = None, cap_pct: float = YOY_CAP_PCT
) -> plt.Figure:
    """Year-over-year growth per month, bars (cut at `cap_pct`, labelled); months without a
    comparison are left empty."""
    maker = analysis.inputs.name
    growth = yoy_growth(analysis.inputs.series).dropna()
    ax = plots.axes(ax)
    fig = ax.figure
    values = growth.to_numpy()
    colors = np.where(values >= 0, plots.FOCUS_COLOR, plots.NEUTRAL_COLOR)
    when = _timestamps(growth.index)
    ax.bar(when, np.minimum(values, cap_pct), width=25, color=colors)
    for x, value in zip(when[values > cap_pct], values[values > cap_pct], strict=True):
        ax.text(x, cap_pct, f"{value:+.0f}%", ha="center", va="bottom", fontsize=8)
    ax.axhline(0, color="#333333", lw=0.8)
    recent = growth[growth.index > growth.index[-1] - 6]
    median = recent.median()
    title = (
        f"{maker}'s deliveries {'grew' if median >= 0 else 'fell'} {abs(median):.0f}% year on "
        f"year (median of its last {len(recent)} comparable months)"
    )
    ax.set_ylim(top=cap_pct * 1.12 if (values > cap_pct).any() else None)
    plots.percent(ax)
    _date_axis(ax)
    plots.finish(
        ax,
        title=title,
        xlabel="month",
        ylabel="growth on the same month a year earlier (%)",
        source=f"{DATA_SOURCE}; bars above {cap_pct:.0f}% are cut and labelled",
    )
    return fig


def seasonality_chart(analysis: Analysis, ax: plt.Axes | None = None) -> plt.Figure:
    """Each month's deviation from the local trend (dots, the maker; diamonds when the month holds
    most of the Chinese New Year window) and the profile pooled over makers (line)."""
    inputs, profile = analysis.inputs, analysis.data_now.profile
    maker = inputs.name
    deviations = seasonal_deviations(observed_span(inputs.series), inputs.holidays)
    ax = plots.axes(ax)
    fig = ax.figure
    holiday = deviations["cny_share"] >= 0.5  # the month holds most of the holiday window
    jitter = np.linspace(-0.15, 0.15, len(deviations))
    ax.scatter(
        deviations["calendar_month"][~holiday] + jitter[~holiday],
        100 * np.expm1(deviations["log_deviation"][~holiday]),
        color=plots.FOCUS_COLOR,
        alpha=0.55,
        s=22,
        label=f"{maker}: a month vs its local trend",
    )
    ax.scatter(
        deviations["calendar_month"][holiday] + jitter[holiday],
        100 * np.expm1(deviations["log_deviation"][holiday]),
        color="#333333",
        marker="D",
        s=30,
        label="month holding Chinese New Year",
    )
    if profile is not None:
        ax.plot(
            profile.month_effect.index,
            100 * np.expm1(profile.month_effect.to_numpy()),
            color=plots.REFERENCE_COLOR,
            lw=2,
            label="pooled over makers (without the holiday)",
        )
        title = (
            f"Chinese New Year costs about {-100 * np.expm1(profile.cny_effect):.0f}% of a month's "
            f"deliveries; December runs {100 * np.expm1(profile.month_effect[12]):+.0f}% above trend"
        )
    else:
        title = f"{maker}'s months against their local trend"
    ax.axhline(0, color="#333333", lw=0.8)
    ax.set_xticks(
        range(1, 13),
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    )
    plots.percent(ax)
    ax.legend(loc="lower right", fontsize=9)
    plots.finish(
        ax,
        title=title,
        xlabel="calendar month",
        ylabel="deliveries vs centred 12-month average (%)",
        source=f"{DATA_SOURCE}; Chinese New Year dates (data/chinese_new_year.csv)",
    )
    return fig


def target_chart(analysis: Analysis, ax: plt.Axes | None = None) -> plt.Figure:
    """Target year month by month: reported months (bars), the run-rate the missing months need
    and the latest run-rate (lines), with last year's months for reference."""
    series, maker, arithmetic = analysis.inputs.series, analysis.inputs.name, analysis.arithmetic
    year = arithmetic.target_year
    months = pd.period_range(f"{year}-01", f"{year}-12", freq="M")
    reported = series.reindex(months)
    last_year = series.reindex(months - 12)
    ax = plots.axes(ax)
    fig = ax.figure
    x = np.arange(12)
    ax.bar(x - 0.2, last_year.to_numpy(), width=0.4, color=plots.NEUTRAL_COLOR, label=f"{year - 1}")
    ax.bar(
        x + 0.2, reported.to_numpy(), width=0.4, color=plots.FOCUS_COLOR, label=f"{year} reported"
    )
    missing = np.flatnonzero(reported.isna().to_numpy())
    needed = arithmetic.required_monthly_run_rate_units
    if len(missing):
        ax.scatter(
            missing + 0.2,
            np.full(len(missing), needed),
            marker="_",
            s=260,
            lw=3,
            color="#333333",
            label=f"needed in each missing month: {needed:,.0f}",
        )
    ax.axhline(
        arithmetic.latest_run_rate_units,
        color=plots.REFERENCE_COLOR,
        ls="--",
        label=f"latest run-rate: {arithmetic.latest_run_rate_units:,.0f}",
    )
    gap = needed / arithmetic.latest_run_rate_units - 1
    title = (
        f"{maker} needs {needed:,.0f} a month for its {len(missing)} missing months, "
        f"{gap:+.0%} on its latest run-rate"
        if len(missing)
        else f"All of {year} is reported: {arithmetic.reported_units:,.0f} vehicles"
    )
    ax.set_xticks(x, [m.strftime("%b") for m in months])
    plots.thousands(ax)
    heights = np.r_[
        last_year.to_numpy(), reported.to_numpy(), needed, arithmetic.latest_run_rate_units
    ]
    tallest = np.nanmax(heights)
    ax.set_ylim(0, 1.35 * tallest)
    ax.legend(loc="upper left", fontsize=9, ncol=2)
    plots.finish(
        ax,
        title=title,
        xlabel=f"month of {year}",
        ylabel="deliveries per month (vehicles)",
        source=DATA_SOURCE,
    )
    return fig


def _plot_reported(ax: plt.Axes, series: pd.Series) -> None:
    """The recent reported months as dots on a line, under the simulated ones."""
    recent = _recent(series)
    ax.plot(
        _timestamps(recent.index),
        recent.to_numpy(),
        "o-",
        color="#333333",
        ms=3,
        lw=1.5,
        label="reported",
    )


def models_chart(analysis: Analysis, ax: plt.Axes | None = None) -> plt.Figure:
    """Each model's median path and 80% band for the simulated months, after the recent history."""
    forecast, maker = analysis.forecast, analysis.inputs.name
    ax = plots.axes(ax)
    fig = ax.figure
    _plot_reported(ax, analysis.inputs.series)
    for name, run in forecast.runs.items():
        when, (low, mid, high) = _with_breaks(
            run.months, np.quantile(run.paths, [0.1, 0.5, 0.9], axis=0)
        )
        ax.fill_between(when, low, high, color=MODEL_COLORS[name], alpha=plots.INTERVAL_ALPHA)
        ax.plot(
            when,
            mid,
            "o-",
            ms=3,
            color=MODEL_COLORS[name],
            lw=2,
            label=f"{MODEL_LABELS[name]}: median and 80% band",
        )
    medians = {name: forecast.quantiles(name)[1] for name in forecast.runs}
    title = (
        f"The models' medians for {forecast.target_year} range from {min(medians.values()):,.0f} "
        f"to {max(medians.values()):,.0f} vehicles"
        if medians
        else f"No model can run on {maker}'s history"
    )
    plots.thousands(ax)
    _date_axis(ax)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize=9)
    plots.finish(
        ax,
        title=title,
        xlabel="month",
        ylabel="deliveries per month (vehicles)",
        source=MODEL_SOURCE,
    )
    return fig


def residuals_chart(analysis: Analysis, ax: plt.Axes | None = None) -> plt.Figure:
    """Standardized in-sample residuals of each model over time, with the +-2 sd band."""
    forecast, diagnostics = analysis.forecast, analysis.diagnostics
    ax = plots.axes(ax)
    fig = ax.figure
    for name, run in forecast.runs.items():
        residuals = run.residuals.dropna()
        ax.plot(
            _timestamps(residuals.index),
            residuals.to_numpy(),
            "o-",
            ms=3,
            lw=1,
            color=MODEL_COLORS[name],
            label=MODEL_LABELS[name],
        )
    ax.axhspan(-2, 2, color=plots.NEUTRAL_COLOR, alpha=0.15)
    ax.axhline(0, color="#333333", lw=0.8)
    passed = diagnostics[diagnostics["ljung_box_p"] >= LJUNG_BOX_LEVEL]
    title = (
        f"{len(passed)} of {len(diagnostics)} models leave no significant autocorrelation "
        f"in their residuals (Ljung-Box p >= {LJUNG_BOX_LEVEL})"
        if len(diagnostics)
        else "No model ran, so there are no residuals to check"
    )
    ax.legend(loc="lower left", fontsize=9)
    _date_axis(ax)
    plots.finish(
        ax,
        title=title,
        xlabel="month",
        ylabel="standardized one-step residual (sd)",
        source=MODEL_SOURCE,
    )
    return fig


def backtest_chart(analysis: Analysis, ax: plt.Axes | None = None) -> plt.Figure:
    """Mean absolute error of the target-year total per method (bars) and each method's 80%
    interval coverage (labels), from the backtest at the answer's number of months reported."""
    summary = analysis.summary
    ax = plots.axes(ax)
    fig = ax.figure
    if summary.empty:
        ax.set_axis_off()
        plots.finish(
            ax,
            title=(
                f"No maker-year had ended with enough history by {analysis.inputs.settings.cutoff}: "
                "the models are weighted equally and their spread is not calibrated"
            ),
            source=MODEL_SOURCE,
        )
        return fig
    ordered = summary.sort_values("mape_pct", ascending=True)
    y = np.arange(len(ordered))
    colors = [
        plots.FOCUS_COLOR
        if m == "combination"
        else (plots.REFERENCE_COLOR if m in MODELS else plots.NEUTRAL_COLOR)
        for m in ordered["method"]
    ]
    ax.barh(y, ordered["mape_pct"], color=colors)
    for i, row in enumerate(ordered.itertuples()):
        coverage = "n/a" if np.isnan(row.coverage80_pct) else f"{row.coverage80_pct:.0f}%"
        ax.text(
            row.mape_pct + 0.4,
            i,
            f"{row.mape_pct:.1f}%  (80% interval covered {coverage})",
            va="center",
            fontsize=8.5,
        )
    ax.set_yticks(y, ordered["label"])
    ax.invert_yaxis()
    ax.set_xlim(0, ordered["mape_pct"].max() * 1.55)
    plots.percent(ax, axis="x")
    combination = summary.set_index("method")["mape_pct"].get("combination", np.nan)
    naive = summary[summary["method"].isin(BASELINES)]["mape_pct"].min()
    plots.finish(
        ax,
        title=(
            f"Year totals: the combination missed by {combination:.1f}% on average, "
            f"the best naive rule by {naive:.1f}%"
        ),
        xlabel="mean absolute error of the target-year total (% of the actual)",
        source=f"{MODEL_SOURCE}; {int(summary['cases'].max())} maker-years, {_cutoffs_text(analysis)}",
    )
    return fig


def _cutoffs_text(analysis: Analysis) -> str:
    k = analysis.months_reported
    return "December cutoffs" if k == 0 else f"cutoffs with {k} months of the year reported"


def fan_chart(analysis: Analysis, ax: plt.Axes | None = None) -> plt.Figure:
    """Fan chart: reported months, then the combined paths' 10-90% and 25-75% bands and median."""
    projection, forecast, maker = analysis.projection, analysis.forecast, analysis.inputs.name
    target_units = analysis.arithmetic.target_units
    ax = plots.axes(ax)
    fig = ax.figure
    _plot_reported(ax, analysis.inputs.series)
    if forecast.runs:
        bands = forecast.monthly_quantiles()
        when, (p10, p25, p50, p75, p90) = _with_breaks(bands.index, bands.to_numpy().T)
        ax.fill_between(when, p10, p90, color=plots.FOCUS_COLOR, alpha=0.18, label="80% of paths")
        ax.fill_between(when, p25, p75, color=plots.FOCUS_COLOR, alpha=0.32, label="50% of paths")
        ax.plot(when, p50, "o-", color=plots.FOCUS_COLOR, ms=4, label="median path")
    needed = projection.arithmetic.required_monthly_run_rate_units
    if np.isfinite(needed):
        ax.axhline(
            needed,
            color="#333333",
            ls="--",
            lw=1,
            label=f"needed for {target_units:,.0f}: {needed:,.0f} a month",
        )
    plots.thousands(ax)
    _date_axis(ax)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize=9)
    plots.finish(
        ax,
        title=(
            f"{maker} {forecast.target_year}: median {projection.median:,.0f} vehicles "
            f"(80% range {projection.p10:,.0f}-{projection.p90:,.0f})"
            if forecast.available
            else f"No model can forecast {maker}'s {forecast.target_year} deliveries"
        ),
        xlabel="month",
        ylabel="deliveries per month (vehicles)",
        source=MODEL_SOURCE,
    )
    return fig


def totals_chart(analysis: Analysis, ax: plt.Axes | None = None) -> plt.Figure:
    """Histogram of the simulated target-year totals with the target (and the maker's internal
    target, when sourced) marked."""
    projection, maker = analysis.projection, analysis.inputs.name
    targets = {"target": analysis.arithmetic.target_units}
    if analysis.internal_units is not None:
        targets["internal target"] = analysis.internal_units
    ax = plots.axes(ax)
    fig = ax.figure
    if not projection.forecast.available:
        ax.set_axis_off()
        plots.finish(
            ax,
            title=f"No model can forecast {maker}'s {projection.forecast.target_year} deliveries",
            source=MODEL_SOURCE,
        )
        return fig
    totals = projection.forecast.annual["combination"]
    upper = np.quantile(totals, 0.995)
    ax.hist(totals[totals <= upper], bins=60, color=plots.NEUTRAL_COLOR)
    styles = iter(["-", "--", ":"])
    for label, units in targets.items():
        share = probability_at_least(totals, units)
        ax.axvline(
            units,
            color=plots.FOCUS_COLOR,
            ls=next(styles),
            lw=2,
            label=f"{label} {units:,.0f}: reached in {share:.0%} of paths",
        )
    first_label, first_units = next(iter(targets.items()))
    plots.thousands(ax, axis="x")
    ax.legend(loc="upper right", fontsize=9)
    plots.finish(
        ax,
        title=(
            f"{probability_at_least(totals, first_units):.0%} of simulated paths take {maker} to "
            f"{first_units:,.0f} in {projection.forecast.target_year}"
        ),
        xlabel=f"deliveries in {projection.forecast.target_year} (vehicles)",
        ylabel="simulated paths",
        source=f"{MODEL_SOURCE}; the top 0.5% of paths are not drawn",
    )
    return fig


def horizon_chart(analysis: Analysis) -> plt.Figure | None:
    """CRPS (left) and 80% coverage (right) by months of the year reported, per method: the
    combination, its own models, the statsforecast peers and the best naive rule (None when the
    comparison has not been computed)."""
    scores = analysis.peer_scores
    if scores is None:
        return None
    summary = scores.summary
    naive = summary[summary["method"].isin(BASELINES)].groupby("method")["crps_pct"].mean()
    shown = ["combination", *MODELS, *PEER_LABELS, naive.idxmin()]
    # Two panels stacked on the one Figure `plots.axes` made (side by side, the two findings'
    # titles ran into each other): CRPS on top, coverage below, one source line.
    left = plots.axes(figsize=(9, 8))
    fig = left.figure
    grid = fig.add_gridspec(2, 1)
    left.set_subplotspec(grid[0])
    right = fig.add_subplot(grid[1])
    fig.set_layout_engine("constrained")
    for method in shown:
        line = summary[summary["method"] == method].sort_values("months_reported")
        if line.empty:
            continue
        focus = method == "combination"
        style = {
            "color": plots.FOCUS_COLOR
            if focus
            else (
                MODEL_COLORS.get(method)
                or (plots.REFERENCE_COLOR if method in PEER_LABELS else plots.NEUTRAL_COLOR)
            ),
            "lw": 2.4 if focus else 1.2,
            "ls": "-" if focus or method in MODELS else ("--" if method in PEER_LABELS else ":"),
            "label": PEER_LABELS.get(method, LABELS.get(method, method)),
        }
        if method in PEER_LABELS:
            style["alpha"] = 0.5 + 0.5 * (method == "sf_mean")
        left.plot(line["months_reported"], line["crps_pct"], **style)
        right.plot(line["months_reported"], line["coverage80_pct"], **style)
    right.axhspan(70, 90, color="#dddddd", zorder=0)
    right.axhline(80, color="#333333", lw=0.8, ls="--")
    for ax in (left, right):
        ax.set_xticks(range(0, 12))
    plots.percent(left)
    plots.percent(right)
    left.legend(fontsize=7.5, frameon=False)
    k0 = scores.summary.query("months_reported == 0").set_index("method")
    best = scores.best_peer(0)
    plots.finish(
        left,
        title=(
            f"December cutoffs: CRPS {k0.loc['combination', 'crps_pct']:.1f}% of the actual "
            f"against {k0.loc[best, 'crps_pct']:.1f}% for the best peer"
        ),
        xlabel="months of the target year reported at the cutoff",
        ylabel="mean CRPS (% of the actual; lower is better)",
        source=(
            f"{DATA_SOURCE} to {scores.data_through}; bench/peer_scores.json; "
            "statsforecast 2.1.1 peers"
        ),
    )
    right.set_title("Share of outcomes inside the 80% range (grey: 70-90%)")  # source: above
    right.set_xlabel("months of the target year reported at the cutoff")
    right.set_ylabel("80% range coverage (%)")
    return fig


def month_ends_chart(analysis: Analysis) -> plt.Figure | None:
    """The combination's median and 80% range for the year's total at each of the last
    month-ends whose year has ended (rolling origin, `lib.sales.track.month_ends`), against
    the total the year came to (None when there is no such month-end)."""
    month_ends, scores = analysis.track_month_ends, analysis.peer_scores
    if month_ends is None or month_ends.empty or scores is None:
        return None
    name, data_through = analysis.inputs.name, scores.data_through
    ax = plots.axes(figsize=(9, 4))
    fig = ax.figure
    x = np.arange(len(month_ends))
    ax.vlines(
        x,
        month_ends["p10"] / 1e3,
        month_ends["p90"] / 1e3,
        color=plots.FOCUS_COLOR,
        lw=6,
        alpha=0.35,
        label="80% range",
    )
    ax.plot(x, month_ends["median"] / 1e3, "o", color=plots.FOCUS_COLOR, label="median forecast")
    ax.plot(x, month_ends["actual"] / 1e3, "x", color="#1f2933", ms=9, mew=2, label="outcome")
    ax.set_xticks(x, month_ends["cutoff"], rotation=45, ha="right")
    ax.legend(fontsize=8, frameon=False)
    inside = int(month_ends["inside80"].sum())
    plots.finish(
        ax,
        title=(
            f"{name}: the year's total forecast at each month-end; {inside} of "
            f"{len(month_ends)} outcomes inside the 80% range"
        ),
        xlabel="month-end of the forecast (data up to it)",
        ylabel="deliveries in the year (thousands)",
        source=f"{DATA_SOURCE} to {data_through}; rolling origin, bench/peer_scores.json",
    )
    return fig


def resolution_chart(analysis: Analysis) -> plt.Figure | None:
    """A complete year's calls: at each month-end, the 80% range and median of the year's total,
    the chance given to the target above it, against the target and the outcome (None when no
    year was scored)."""
    resolution = analysis.resolution
    if resolution is None:
        return None
    calls = resolution.calls.dropna(subset=["median"])
    if calls.empty or not resolution.resolved:
        return None
    ax = plots.axes(figsize=(9, 4.2))
    x = np.arange(len(calls))
    ax.vlines(
        x,
        calls["p10"] / 1e3,
        calls["p90"] / 1e3,
        color=plots.FOCUS_COLOR,
        lw=6,
        alpha=0.35,
        label="80% range",
    )
    ax.plot(x, calls["median"] / 1e3, "o", color=plots.FOCUS_COLOR, label="median forecast")
    ax.axhline(resolution.outcome_units / 1e3, color="#1f2933", lw=1.5, label="outcome")
    target_label = (
        f"{resolution.year - 1} total" if resolution.target_basis == "last_year" else "target"
    )
    ax.axhline(
        resolution.target_units / 1e3,
        color=plots.REFERENCE_COLOR,
        lw=1.2,
        ls="--",
        label=target_label,
    )
    for xi, row in zip(x, calls.itertuples(), strict=True):
        ax.annotate(
            f"{row.p_target:.0%}",
            (xi, row.p90 / 1e3),
            textcoords="offset points",
            xytext=(0, 5),
            ha="center",
            fontsize=8,
        )
    months = [pd.Period(c, freq="M") for c in calls["cutoff"]]
    ax.set_xticks(x, [m.strftime("%b") for m in months])
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.08 * (high - low))  # room for the labels above the ranges
    plots.thousands(ax)
    ax.legend(fontsize=8, frameon=False)
    verb = "above" if resolution.reached else "below"
    plots.finish(
        ax,
        title=(
            f"{resolution.name} ended {resolution.year} {abs(resolution.margin_pct):.1f}% {verb} "
            f"{resolution.target_words}; the chance given to it at each month-end (above each "
            f"range) scores a Brier score of {resolution.brier:.3f} (a constant 50%: 0.250)"
        ),
        xlabel=f"month-end of the call, {months[0]:%b %Y} to {months[-1]:%b %Y} (data up to it)",
        ylabel=f"deliveries in {resolution.year} (thousands)",
        source=f"{MODEL_SOURCE}; calls from earlier runs or reconstructed from the data known then",
    )
    return ax.figure


def reliability_chart(analysis: Analysis) -> plt.Figure | None:
    """The method's calls on stated targets: in each band of chance said, the share of calls whose
    target was reached, against the diagonal a calibrated forecaster follows; the numbers are the
    calls in each band (None when no call is scored)."""
    record = analysis.target_record
    if record is None:
        return None
    table = record.reliability.dropna(subset=["reached_pct"])
    if table.empty:
        return None
    ax = plots.axes(figsize=(5.5, 4.5))
    ax.plot([0, 100], [0, 100], color=plots.REFERENCE_COLOR, lw=1, ls="--", label="calibrated")
    ax.plot(
        table["mean_said_pct"],
        table["reached_pct"],
        "o-",
        color=plots.FOCUS_COLOR,
        label="this method",
    )
    for row in table.itertuples(index=False):
        ax.annotate(
            f"{row.calls}",
            (row.mean_said_pct, row.reached_pct),
            textcoords="offset points",
            xytext=(6, -10),
            fontsize=8,
        )
    ax.set_xlim(-3, 103)
    ax.set_ylim(-3, 103)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    calls, years = int(table["calls"].sum()), int(record.scores["maker_years"].iloc[0])
    plots.finish(
        ax,
        title=(
            f"On {calls} month-end calls on {years} makers' stated targets, the method's chance "
            f"against how often the target was reached (on the diagonal: calibrated)"
        ),
        xlabel="chance of the target the method said (%, mean in each band)",
        ylabel="calls whose target was reached (%)",
        source="data/targets.csv (initial targets), deliveries_monthly.csv; rolling-origin backtest",
    )
    return ax.figure
