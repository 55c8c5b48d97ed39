"""Charts of notebook 02: `<name>_chart(result, ax=None) -> Figure`, each titled with
the finding computed from the results (`lib.plots.finish` adds labels and the source line)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lib import plots
from lib.premium import launches
from lib.premium.analysis import BrandPremium
from lib.premium.inputs import PRICE_COLUMN, SOURCE

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PREMIUM_TICKS_PCT = (-75, -50, -25, 0, 25, 50, 100, 200, 300, 500, 1000)
BATTERY_TICKS_KWH = (5, 10, 20, 30, 50, 70, 100, 150, 200)
ZERO_LINE = {"color": "#555555", "linewidth": 0.8}


def _k(yuan: float) -> str:
    """Yuan in thousands for a title: 250000 -> '250k'."""
    return f"{yuan / 1000:,.0f}k"


def _premium_label(inputs) -> str:
    level = f"{inputs.params.confidence_level:.0%}"
    return f"{inputs.focus} premium vs {inputs.reference} (%, {level} interval)"


def _interval_height(rows: int) -> tuple[float, float]:
    return (9.0, max(2.6, 0.26 * rows + 1.2))


def intervals(
    ax: Axes,
    table: pd.DataFrame,
    label: str,
    value: str,
    low: str,
    high: str,
    colors: dict[str, str] | None = None,
    premium_scale: bool = False,
) -> Axes:
    """Horizontal point-and-interval chart on `ax`, first row on top (forest plots, robustness).

    With `premium_scale` the values are premiums in percent drawn on a log(1 + premium) axis,
    so +100% and -50% sit equally far from 0."""
    colors = colors or {}

    def place(v):
        return np.log1p(np.asarray(v, dtype=float) / 100) if premium_scale else v

    y = np.arange(len(table))[::-1]
    for position, (_, row) in zip(y, table.iterrows(), strict=True):
        color = colors.get(row[label], plots.NEUTRAL_COLOR)
        ax.plot(place([row[low], row[high]]), [position, position], color=color, lw=2, alpha=0.8)
        ax.plot(place(row[value]), position, "o", color=color, markersize=5.5)
    ax.set_yticks(y, table[label])
    ax.set_ylim(-0.7, len(table) - 0.3)
    ax.grid(axis="y", visible=False)
    if premium_scale:
        lowest, highest = table[low].min(), table[high].max()
        ticks = [t for t in PREMIUM_TICKS_PCT if lowest - 15 <= t <= highest * 1.3 + 15]
        if highest > 150:  # +25% would crowd +50% on a wide axis
            ticks = [t for t in ticks if t != 25]
        ax.set_xticks(place(ticks), [f"{t:+d}%" if t else "0%" for t in ticks])
    ax.figure.tight_layout()
    return ax


def market_map_chart(result: BrandPremium, ax: Axes | None = None) -> Figure:
    """Guide price against battery size for every priced trim: comparison brands in colour, the
    focus brand on top, the target band shaded, a dotted line at each flagship battery size."""
    inputs = result.inputs
    ax = plots.axes(ax)
    priced = inputs.trims.dropna(subset=[PRICE_COLUMN, "battery_kwh"])
    highlighted = list(dict.fromkeys([inputs.focus, *inputs.comparisons]))
    colors = plots.brand_colors(highlighted, inputs.focus)
    others = priced[~priced["brand"].isin(highlighted)]
    ax.scatter(
        others["battery_kwh"],
        others[PRICE_COLUMN],
        s=8,
        color=plots.NEUTRAL_COLOR,
        alpha=0.35,
        label="other brands",
        linewidths=0,
    )
    for brand in highlighted[1:] + [inputs.focus]:
        rows = priced[priced["brand"] == brand]
        size, z = (34, 4) if brand == inputs.focus else (16, 3)
        ax.scatter(
            rows["battery_kwh"],
            rows[PRICE_COLUMN],
            s=size,
            color=colors[brand],
            label=brand,
            zorder=z,
            edgecolor="white",
            linewidths=0.4,
        )
    if inputs.band is not None:
        ax.axhspan(*inputs.band, color=plots.FOCUS_COLOR, alpha=0.08, zorder=0)
    ax.set_yscale("log")
    ax.set_xscale("log")
    bottom = priced[PRICE_COLUMN].quantile(0.002) * 0.9
    ax.set_ylim(bottom, priced[PRICE_COLUMN].quantile(0.995))
    for text, kwh in zip(inputs.flagship["trim_name"], inputs.flagship["battery_kwh"], strict=True):
        ax.axvline(kwh, color=plots.FOCUS_COLOR, linestyle=":", linewidth=1)
        ax.text(kwh * 0.97, bottom * 1.08, text, rotation=90, ha="right", va="bottom", fontsize=8.5)
    ax.set_xticks([t for t in BATTERY_TICKS_KWH if t <= priced["battery_kwh"].max()])
    ax.minorticks_off()
    plots.thousands(ax, "y")
    plots.thousands(ax, "x")
    ax.legend(ncol=2, fontsize=8.5, loc="upper left", markerscale=1.2)
    plots.finish(
        ax,
        title=_market_title(result, priced),
        xlabel="battery capacity (kWh, log scale)",
        ylabel="guide price (yuan, log scale)",
        source=SOURCE,
    )
    return ax.figure


def _market_title(result: BrandPremium, priced: pd.DataFrame) -> str:
    """How many of the maker's priced trims reach the band (or, without a band, where they list)."""
    inputs, market = result.inputs, result.market
    if market is None:
        own = priced.loc[priced["brand"] == inputs.focus, PRICE_COLUMN]
        if own.min() == own.max():  # one price is no range
            every = (
                "only priced trim lists" if len(own) == 1 else f"{len(own)} priced trims all list"
            )
            return f"{inputs.focus}'s {every} at {_k(own.min())} yuan"
        return (
            f"{inputs.focus}'s {len(own)} priced trims list from {_k(own.min())} to "
            f"{_k(own.max())} yuan"
        )
    return (
        f"{market.focus_at_band or 'None'} of {inputs.focus}'s {market.focus_priced} priced "
        f"trims list at {_k(inputs.band[0])} yuan or more; "
        f"{market.comparisons_at_band_share:.0%} of the comparison brands' trims do"
    )


def elasticity_chart(result: BrandPremium, ax: Axes | None = None) -> Figure:
    """The size elasticities of guide price with their intervals."""
    size_terms = result.elasticities[result.elasticities["spec"] != "lidar fitted"]
    ax = plots.axes(ax, (9, 3.4))
    colors = dict.fromkeys(size_terms["spec"], plots.REFERENCE_COLOR)
    intervals(ax, size_terms, "spec", "coef", "low", "high", colors)
    ax.axvline(0, **ZERO_LINE)
    gains = ", ".join(
        f"{100 * (1.1**r.coef - 1):+.1f}% ({r.spec})" for r in size_terms.itertuples()
    )
    level = result.inputs.params.confidence_level
    plots.finish(
        ax,
        title=f"10% more spec, more price: {gains}",
        xlabel=f"elasticity of guide price (% per 1% more spec, {level:.0%} interval)",
        source=SOURCE
        + f"; OLS on {result.fit.n_trims:,} trims, {result.fit.n_clusters} series clusters",
    )
    return ax.figure


def residuals_chart(result: BrandPremium, ax: Axes | None = None) -> Figure:
    """Residuals against fitted guide prices, the focus brand's trims marked."""
    used, spread, focus = result.fit.used, result.residuals, result.inputs.focus
    ax = plots.axes(ax)
    is_focus = used["brand"] == focus
    ax.scatter(
        np.exp(used["fitted_log"]),
        used["residual_log"],
        s=8,
        color=plots.NEUTRAL_COLOR,
        alpha=0.5,
        linewidths=0,
    )
    ax.scatter(
        np.exp(used.loc[is_focus, "fitted_log"]),
        used.loc[is_focus, "residual_log"],
        s=18,
        color=plots.FOCUS_COLOR,
        label=focus,
        zorder=3,
    )
    ax.axhline(0, **ZERO_LINE)
    ax.set_xscale("log")
    plots.thousands(ax, "x")
    ax.legend(loc="upper left")
    plots.finish(
        ax,
        title=f"Residuals centre on zero; their spread runs from {spread.spread_low:.2f} to "
        f"{spread.spread_high:.2f} log points across fitted-price quartiles",
        xlabel="fitted guide price (yuan, log scale)",
        ylabel="residual (log points)",
        source=SOURCE,
    )
    return ax.figure


def residual_tails_chart(result: BrandPremium, ax: Axes | None = None) -> Figure:
    """Standardised residuals against normal quantiles."""
    spread = result.residuals
    ax = plots.axes(ax)
    ax.plot(spread.normal_quantiles, spread.standardised, ".", color=plots.REFERENCE_COLOR, ms=3)
    ax.plot(spread.normal_quantiles, spread.normal_quantiles, **ZERO_LINE)
    tail = "heavier than normal" if spread.heavy_tails else "close to normal"
    plots.finish(
        ax,
        title=f"Residual tails are {tail} (excess kurtosis {spread.excess_kurtosis:.1f})",
        xlabel="normal quantile",
        ylabel="standardised residual",
        source=SOURCE,
    )
    return ax.figure


def premiums_chart(result: BrandPremium, ax: Axes | None = None) -> Figure:
    """Every brand with enough trims (and the focus brand): premium against the reference."""
    inputs, focus = result.inputs, result.focus
    table = result.premiums
    enough = result.evidence.enough  # a thin own estimate is no point on the chart
    shown = table[
        (table["trims"] >= inputs.params.min_brand_trims)
        | ((table["brand"] == inputs.focus) & enough)
    ]
    ax = plots.axes(ax, _interval_height(len(shown)))
    colors = dict.fromkeys(inputs.comparisons, plots.REFERENCE_COLOR)
    intervals(
        ax,
        shown,
        "brand",
        "premium_pct",
        "low_pct",
        "high_pct",
        colors | {inputs.focus: plots.FOCUS_COLOR},
        premium_scale=True,
    )
    ax.axvline(0, **ZERO_LINE)
    rank = int((shown["premium_pct"] > focus.premium_pct).sum()) + 1
    title = (
        f"{inputs.focus} ranks {rank} of {len(shown)} brands: {focus.premium_pct:+.0f}% "
        f"against {inputs.reference}"
        if enough
        else f"{inputs.focus}: {result.evidence.status} for a premium; {len(shown)} brands "
        f"against {inputs.reference}"
    )
    plots.finish(
        ax,
        title=title,
        xlabel=f"brand premium vs {inputs.reference} for the same specs (%, log scale, "
        f"{inputs.params.confidence_level:.0%} interval)",
        source=SOURCE
        + f"; brands with at least {inputs.params.min_brand_trims} trims; comparison brands in teal",
    )
    return ax.figure


def robustness_chart(result: BrandPremium, ax: Axes | None = None) -> Figure:
    """The focus premium under each alternative specification, the baseline dashed."""
    inputs, robust = result.inputs, result.robustness
    ax = plots.axes(ax, _interval_height(len(robust)))
    colors = {"Baseline": plots.FOCUS_COLOR}
    intervals(ax, robust, "specification", "premium_pct", "low_pct", "high_pct", colors)
    baseline = robust.iloc[0]["premium_pct"]
    ax.axvline(baseline, color=plots.FOCUS_COLOR, linewidth=0.8, linestyle="--")
    ax.axvline(0, **ZERO_LINE)
    plots.percent(ax, "x")
    plots.finish(
        ax,
        title=f"{inputs.focus}'s premium stays between {robust['premium_pct'].min():+.0f}% and "
        f"{robust['premium_pct'].max():+.0f}% across {len(robust)} specifications",
        xlabel=_premium_label(inputs),
        source=SOURCE,
    )
    return ax.figure


def tier_chart(result: BrandPremium, ax: Axes | None = None) -> Figure:
    """The focus premium per price tier of its specs, the overall premium dashed."""
    inputs, focus = result.inputs, result.focus
    tiers = result.tiers.assign(
        label=result.tiers["tier"] + " (" + result.tiers["focus_trims"].astype(str) + " trims)"
    )
    ax = plots.axes(ax, (9, 3.4))
    colors = dict.fromkeys(tiers["label"], plots.FOCUS_COLOR)
    intervals(ax, tiers, "label", "premium_pct", "low_pct", "high_pct", colors)
    ax.axvline(focus.premium_pct, color=plots.FOCUS_COLOR, linewidth=0.8, linestyle="--")
    plots.percent(ax, "x")
    plots.finish(
        ax,
        title=_tier_title(result),
        xlabel=_premium_label(inputs),
        ylabel=f"specs' price at a {inputs.reference} badge",
        source=SOURCE,
    )
    return ax.figure


def _tier_title(result: BrandPremium) -> str:
    """The top tier's premium against the overall one, worded by their values (a positive premium
    is no 'discount', and a smaller one is not 'deeper' unless both are discounts)."""
    inputs, overall, upper = result.inputs, result.focus.premium_pct, result.upper_tier
    if inputs.band is None:
        tiers = result.tiers
        if len(tiers) == 1:
            only = tiers["premium_pct"].iloc[0]
            return f"{inputs.focus}'s trims sit in one spec-price tier: {only:+.0f}%"
        return (
            f"{inputs.focus}'s premium runs from {tiers['premium_pct'].min():+.0f}% to "
            f"{tiers['premium_pct'].max():+.0f}% across {len(tiers)} spec-price tiers"
        )
    if upper is None:
        return (
            f"No {inputs.focus} trim has specs worth {_k(inputs.band[0])}+ at a "
            f"{inputs.reference} badge"
        )
    top = upper["premium_pct"]
    compared = "lower than" if top < overall else "higher than" if top > overall else "equal to"
    return (
        f"For specs worth {_k(inputs.band[0])}+ the {inputs.focus} badge lists {top:+.0f}% "
        f"({upper['focus_trims']} trims), {compared} its {overall:+.0f}% overall"
    )


def flagship_chart(result: BrandPremium, ax: Axes | None = None) -> Figure:
    """The headline flagship trim's predicted guide price under each badge, the band shaded and
    its actual guide price marked where it has one."""
    inputs, trim, own = result.inputs, result.headline_trim, result.own
    order = result.headline.sort_values("expected_rmb", ascending=False).reset_index()
    ax = plots.axes(ax, (9, 0.32 * len(order) + 1.6))
    colors = dict.fromkeys(order["brand"], plots.NEUTRAL_COLOR) | {inputs.focus: plots.FOCUS_COLOR}
    intervals(ax, order, "brand", "expected_rmb", "low_rmb", "high_rmb", colors)
    ax.axvspan(*inputs.band, color=plots.FOCUS_COLOR, alpha=0.1)
    if pd.notna(trim[PRICE_COLUMN]) and trim["brand"] in set(order["brand"]):
        row = len(order) - 1 - int(order.index[order["brand"] == trim["brand"]][0])
        ax.plot(trim[PRICE_COLUMN], row, "x", color="#222222", ms=9, label="actual guide price")
        ax.legend(loc="lower right")
    plots.thousands(ax, "x")
    richest = result.headline.loc[result.richest, "expected_rmb"]
    plots.finish(
        ax,
        title=f"The {trim['trim_name']} would list at ~{_k(own['expected_rmb'])} yuan as a "
        f"{inputs.focus}, ~{_k(richest)} as a {result.richest}",
        xlabel=f"predicted guide price (yuan; {inputs.params.prediction_level:.0%} prediction interval; "
        "band shaded)",
        source=SOURCE,
    )
    return ax.figure


def launch_record_chart(result: BrandPremium, ax: Axes | None = None) -> Figure | None:
    """Every launch since the record's start: predicted median against guide price (both axes
    logarithmic), misses marked, the maker's own cars with their 80% intervals; the diagonal is
    a perfect price. None without a record."""
    record = result.launch_record
    if record is None or record.overall is None:
        return None
    ax = plots.axes(ax, (9, 6))
    cars, own = record.cars, record.own_cars
    for inside, marker, label in [(True, "o", "inside its 80% interval"), (False, "x", "outside")]:
        shown = cars[cars["inside"] == inside]
        ax.scatter(
            shown["guide_rmb"],
            shown["predicted_rmb"],
            s=12,
            marker=marker,
            alpha=0.5,
            color=plots.NEUTRAL_COLOR if inside else plots.REFERENCE_COLOR,
            label=label,
        )
    if len(own):
        below, above = own["predicted_rmb"] - own["low_rmb"], own["high_rmb"] - own["predicted_rmb"]
        ax.errorbar(
            own["guide_rmb"],
            own["predicted_rmb"],
            yerr=[below, above],
            fmt="o",
            ms=4,
            color=plots.FOCUS_COLOR,
            alpha=0.8,
            label=f"{record.maker}: with its 80% interval",
        )
    ends = [cars[["guide_rmb", "low_rmb"]].min().min(), cars[["guide_rmb", "high_rmb"]].max().max()]
    ax.plot(ends, ends, **ZERO_LINE, label="predicted = guide price")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plots.thousands(ax, "x")
    plots.thousands(ax, "y")
    ax.legend(loc="upper left")
    overall = record.overall
    plots.finish(
        ax,
        title=f"Priced before launch, the model's 80% interval held {overall.coverage_pct:.0f}% "
        f"of {overall.cars:,} cars launched since {launches.RECORD_START} (goal 80%); median "
        f"error {overall.mae_pct:.0f}%",
        xlabel="guide price (yuan, log scale)",
        ylabel="predicted before launch (median, yuan)",
        source=f"{SOURCE}; launch prices from data/assumptions.csv",
    )
    return ax.figure
