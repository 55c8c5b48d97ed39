"""The brand-premium report's words, tables and recorded results, built from a `BrandPremium`.

Prose functions return Markdown; text from the data or the parameters (brand, series and trim
names) is escaped with `html.escape`. Tables go through `lib.tables.reader_table`. `record`
publishes the headline results under their stable names.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from lib import results, tables
from lib.premium.analysis import BrandPremium
from lib.premium.inputs import FALLBACK_DISCOUNT

FLAGSHIP_COLUMNS = [
    "brand",
    "series",
    "trim_name",
    "model_year",
    "powertrain",
    "body",
    "battery_kwh",
    "power_kw",
    "length_mm",
    "drive",
    "lidar",
    "msrp_rmb",
]
PREMIUM_COLUMNS = [
    "brand",
    "trims",
    "series",
    "premium_pct",
    "low_pct",
    "high_pct",
    "premium_naive_pct",
    "se_clustered",
    "se_classical",
    "note",
]
PRICE_COLUMNS = [
    "trim_name",
    "brand",
    "expected_rmb",
    "median_rmb",
    "low_rmb",
    "high_rmb",
    "p_below_band",
    "p_in_band",
    "p_above_band",
]


def escape(text: object) -> str:
    """Text from the data or the parameters, safe in Markdown rendered as HTML."""
    return html.escape(str(text), quote=False)


def round_yuan(value: float) -> str:
    """A yuan amount rounded to the nearest thousand, as text: 290,149 -> '290,000'."""
    return f"{round(float(value), -3):,.0f}"


likelihood_words = results.likelihood  # the project's one scale of words for a probability


def band_text(band: tuple[float, float]) -> str:
    return f"{band[0]:,.0f}-{band[1]:,.0f} yuan"


def result_name(badge: str) -> str:
    """The snake-case form of a badge in a result name: 'Li Auto' -> 'li_auto'."""
    return re.sub(r"[^a-z0-9]+", "_", badge.lower()).strip("_")


def readable(frame: pd.DataFrame, names: dict[str, str] | None = None) -> Styler:
    """A table for readers: yuan columns (*_rmb) with thousands separators, percent columns
    (*_pct) with one decimal, probabilities (p_*) as percent, other floats with two decimals,
    blanks empty, index hidden; `names` renames columns for display."""
    formats = {}
    for column in frame.columns:
        if column.endswith("_rmb"):
            formats[column] = "{:,.0f}"
        elif column.endswith("_pct"):
            formats[column] = "{:+.1f}%"
        elif column.startswith("p_"):
            formats[column] = "{:.0%}"
        elif pd.api.types.is_float_dtype(frame[column]):
            formats[column] = "{:,.2f}"
    names = names or {}
    shown = frame.rename(columns=names)
    return tables.reader_table(shown, {names.get(c, c): f for c, f in formats.items()})


# ---------------------------------------------------------------------------------------------
# The answer


def discount_sentence(discounts: pd.DataFrame, focus: str, comparisons: Sequence[str]) -> str:
    """One sentence saying that the figures are list prices and how the brands' sourced
    discounts off list would move the gaps on transaction prices."""
    table = discounts.set_index("brand")
    own = table[table["basis"] == "brand figure"]
    if focus not in table.index:
        return "These are list prices; transaction discounts differ by brand."
    rate = table.loc[focus, "discount_pct"]
    basis = "" if focus in own.index else " (NEV average; no brand figure)"
    known = [b for b in comparisons if b in own.index]
    name = escape(focus)
    if not known:
        return (
            f"These are list prices: {name} buyers get about {rate:.1f}% off list{basis}; "
            "no comparison brand has a sourced discount figure of its own."
        )
    listed = ", ".join(f"{escape(b)} {own.loc[b, 'discount_pct']:.1f}%" for b in known)
    smaller = [escape(b) for b in known if own.loc[b, "discount_pct"] < rate]
    larger = [escape(b) for b in known if own.loc[b, "discount_pct"] > rate]
    effects = []
    if smaller:
        effects.append(f"lower against {', '.join(smaller)}")
    if larger:
        effects.append(f"higher against {', '.join(larger)}")
    effect = f", so on transaction prices {name} stands {' and '.join(effects)}" if effects else ""
    return (
        f"These are list prices: {name} buyers get about {rate:.1f}% off list{basis} against "
        f"{listed}{effect}."
    )


def not_applicable(result: BrandPremium) -> str:
    """The flagship question for a maker whose flagship the data do not name."""
    return f"**The flagship question is not applicable:** {escape(result.study.no_flagship)}."


def answer(result: BrandPremium) -> str:
    """The answer section: the premium, the flagship's price under its badge and the band."""
    study, focus = result.study, result.focus
    brand, reference = escape(study.focus), escape(study.reference)
    thin = (
        f" (its estimate rests on {focus.trims} trims only)"
        if focus.trims < study.min_brand_trims
        else ""
    )
    side = "below" if focus.premium_pct < 0 else "above"
    premium = f"""
## The answer

Once specs are accounted for, a **{brand}** trim lists **{abs(focus.premium_pct):.0f}% {side}** the
same car under the {reference} badge ({study.confidence_level:.0%} interval {focus.low_pct:+.0f}% to
{focus.high_pct:+.0f}%, Kennedy-corrected, {focus.trims} trims in {focus.series} series, errors clustered
by series){thin}."""
    if not result.has_flagship:
        return f"{premium} {discount_sentence(study.discounts, study.focus, study.comparisons)}\n\n{not_applicable(result)}\n"
    return f"{premium} {_flagship_answer(result)}\n"


def _flagship_answer(result: BrandPremium) -> str:
    """The flagship's price under the maker's badge and its chance of landing in the band."""
    study, trim, own = result.study, result.headline_trim, result.own
    headline, brand, reference = result.headline, escape(study.focus), escape(study.reference)
    actual = trim["msrp_rmb"]
    actual_text = (
        f"; actual guide price as a {escape(trim['brand'])}: {round_yuan(actual)}"
        if pd.notna(actual)
        else ""
    )
    richest = result.richest
    return f"""Priced as a model-year {int(own["priced_as_year"])} car, the
**{escape(trim["trim_name"])}** spec would list at about **{round_yuan(own["expected_rmb"])} yuan** under
the {brand} badge ({study.prediction_level:.0%} prediction interval {round_yuan(own["low_rmb"])} to
{round_yuan(own["high_rmb"])}{actual_text}), against {round_yuan(headline.loc[richest, "expected_rmb"])} under {escape(richest)} and
{round_yuan(headline.loc[study.reference, "expected_rmb"])} under {reference}.
The probability that its {brand} guide price falls inside {band_text(study.band)} is
**{own["p_in_band"]:.0%}**, {likelihood_words(own["p_in_band"])} ({own["p_below_band"]:.0%} below
the band, {own["p_above_band"]:.0%} above). {discount_sentence(study.discounts, study.focus, study.comparisons)}"""


# ---------------------------------------------------------------------------------------------
# The model and its diagnostics


def fit_text(result: BrandPremium) -> str:
    """What the model is fitted on, how well, and which spec carries the most price."""
    fit = result.fit
    size_terms = result.elasticities[result.elasticities["spec"] != "lidar fitted"]
    largest = size_terms.loc[size_terms["coef"].idxmax(), "spec"]
    widest = size_terms.loc[(size_terms["high"] - size_terms["low"]).idxmax(), "spec"]
    spread = (
        " but also the widest interval"
        if widest == largest
        else f" and {widest} the widest interval"
    )
    return f"""
The model is fitted on **{fit.n_trims:,} trims** of {fit.used["brand"].nunique()} brands in
{fit.n_clusters} series (adjusted R² {fit.result.rsquared_adj:.2f}; residual standard deviation
{fit.residual_sd:.3f} log points, so trims with the same spec and badge typically list within
about ±{np.exp(fit.residual_sd) - 1:.0%} of each other). {largest.capitalize()} carries the largest elasticity
({size_terms["coef"].max():.2f}){spread}, because length, battery and power move together (see the
variance inflation factors below). Trims left out:
"""


def elasticity_table(result: BrandPremium) -> Styler:
    level = f"{result.study.confidence_level:.0%}"
    columns = ["spec", "unit", "coef", "low", "high", "meaning"]
    names = {"coef": "estimate", "low": f"low ({level})", "high": f"high ({level})"}
    return readable(result.elasticities[columns], names)


def tails_text(result: BrandPremium) -> str:
    """How many trims the model misses by far, and what the tails mean for the intervals."""
    spread = result.residuals
    caveat = (
        "with tails this heavy they are too narrow in the extremes but fine in the middle of the "
        "distribution, where the flagship is priced. "
        if spread.heavy_tails
        else "that holds well here. "
    )
    return (
        f"{spread.far_misses} trims ({spread.far_misses / spread.n_trims:.1%}) miss by more than "
        "three residual standard deviations (super-luxury and performance models above all). The "
        f"prediction intervals below assume normal errors on the log scale: {caveat}Variance "
        "inflation factors of the spec terms (given all other columns, brand dummies included):"
    )


def influence_text(result: BrandPremium) -> str:
    exact = result.exactly_fitted
    return (
        f"The ten trims with the largest Cook's distance. {len(exact)} trims are the only trim of "
        f"their brand in the model ({escape(', '.join(exact['brand']))}): their brand effect fits "
        "them exactly, so they carry no information on the specs and are left out of this list."
    )


# ---------------------------------------------------------------------------------------------
# Premiums and robustness


def premium_table(result: BrandPremium) -> Styler:
    """The focus, reference and comparison badges' premiums, thin estimates noted."""
    study = result.study
    table = result.premiums.set_index("brand").loc[study.badges].reset_index()
    thin = f"thin: fewer than {study.min_brand_trims} trims"
    table["note"] = np.where(table["trims"] < study.min_brand_trims, thin, "")
    names = {
        "premium_pct": "premium (Kennedy)",
        "low_pct": "low",
        "high_pct": "high",
        "premium_naive_pct": "exp(b) - 1",
    }
    return readable(table[PREMIUM_COLUMNS], names)


def premium_note(result: BrandPremium) -> str:
    return (
        f"Premiums in percent against {escape(result.study.reference)}; exp(b) - 1 is the premium "
        "without the correction, which matters only where the interval is wide; the standard "
        "errors (log points) are clustered by series and classical, the larger of the two is "
        "used. Brands marked thin rest on a few trims (often one series), so their premium is as "
        "much about those cars as about the badge."
    )


def robustness_text(result: BrandPremium) -> str:
    """How far the premium moves when one series is left out, on BEVs alone, and where the
    widest interval comes from."""
    robust, brand = result.robustness, escape(result.study.focus)
    baseline = robust.iloc[0]["premium_pct"]
    loo = robust[robust["group"] == "leave one series out"]
    thinnest = robust.loc[robust["focus_trims"].idxmin()]
    bev = result.specification("BEV only")
    text = (
        f"Leaving out one {brand} series at a time moves the premium by at most "
        f"{(loo['premium_pct'] - baseline).abs().max():.1f} points from the baseline "
        f"({baseline:+.1f}%). "
        if len(loo)
        else f"{brand} has a single series in the model. "
    )
    if bev is not None:
        text += f"On battery-electric trims alone the premium is {bev['premium_pct']:+.1f}%. "
    return text + (
        f"The widest interval belongs to '{escape(thinnest['specification'])}', which rests on "
        f"{thinnest['focus_trims']} {brand} trims."
    )


# ---------------------------------------------------------------------------------------------
# The flagship


def band_text_intro(result: BrandPremium) -> str:
    """Where the band comes from (the flagship's sourced expected price band, when the data give
    one), or why there is no flagship to price."""
    study = result.study
    if not result.has_flagship:
        return not_applicable(result)
    series = escape(study.flagship["series"].iloc[0])
    if study.band_rows.empty:
        return f"The target band is a parameter ({band_text(study.band)}); the data give no expected price band for the {series}."
    return (
        f"The target band is a parameter ({band_text(study.band)}); the sourced price band "
        f"expected for the {series} before its launch:"
    )


def band_rows_table(result: BrandPremium) -> Styler | None:
    """The sourced rows of the flagship's expected price band (None when there are none)."""
    rows = result.study.band_rows
    return readable(rows) if result.has_flagship and not rows.empty else None


def flagship_text(result: BrandPremium) -> str:
    """Which flagship specs were filled or adjusted, and why."""
    study = result.study
    if not result.has_flagship:
        return ""
    filled = any(note.startswith("drive layout blank") for note in study.flagship_notes)
    text = "Flagship specs used. "
    if filled:
        text += (
            f"Blank drive layouts were set to {study.drive_if_missing!r} by the parameter "
            "`flagship_drive_if_missing`, an assumption without a source (its comment says why). "
        )
    if study.flagship_notes:
        text += "Adjustments: " + "; ".join(escape(n) for n in study.flagship_notes) + "."
    return text


def flagship_table(result: BrandPremium) -> Styler | None:
    if not result.has_flagship:
        return None
    return readable(result.study.flagship[FLAGSHIP_COLUMNS])


def price_table(result: BrandPremium) -> Styler | None:
    if not result.has_flagship:
        return None
    level = f"{result.study.prediction_level:.0%}"
    names = {
        "expected_rmb": "expected (yuan)",
        "median_rmb": "median",
        "low_rmb": f"low ({level})",
        "high_rmb": f"high ({level})",
        "p_below_band": "P(below band)",
        "p_in_band": "P(in band)",
        "p_above_band": "P(above band)",
    }
    return readable(result.flagship_prices[PRICE_COLUMNS], names)


def gaps_text(result: BrandPremium) -> str:
    if not result.has_flagship:
        return ""
    brand, level = escape(result.study.focus), result.study.confidence_level
    return (
        f"Gap between each comparison badge and {brand} for the "
        f"{escape(result.headline_trim['trim_name'])} (yuan, expected guide prices; positive = "
        f"{brand} lists lower; {level:.0%} interval of coefficient uncertainty, since it is the "
        "same car under two badges):"
    )


def gaps_table(result: BrandPremium) -> Styler | None:
    if not result.has_flagship:
        return None
    names = {
        "gap_rmb": "gap (yuan)",
        "low_rmb": "low",
        "high_rmb": "high",
        "gap_pct": "gap, % of that badge's price",
    }
    return readable(result.gaps, names)


def reach_text(result: BrandPremium) -> str:
    if not result.has_flagship:
        return ""
    return (
        f"What would put the {escape(result.headline_trim['trim_name'])}'s expected "
        f"{escape(result.study.focus)} guide price at each edge of the band, one lever at a time "
        "(multipliers below 1 mean the spec could shrink; compare with the largest value among "
        "the fitted trims):"
    )


def reach_table(result: BrandPremium) -> Styler | None:
    return readable(result.reach) if result.has_flagship else None


def transaction_text(result: BrandPremium) -> str:
    rows = result.study.discount_rows.set_index("name")
    return (
        "Premiums re-estimated on price x (1 - brand discount). Brands without their own figure "
        f"get the NEV average ({rows.loc[FALLBACK_DISCOUNT, 'value']:.1f}%), including {escape(result.study.reference)} if it has "
        "none, so only the brands with a figure of their own move:"
    )


# ---------------------------------------------------------------------------------------------
# Launch prices against the model


def _yuan_range(low: float, high: float) -> str:
    return f"{low:,.0f}-{high:,.0f} yuan"


def launch_text(result: BrandPremium) -> str:
    """How the earlier answer did once the launch prices were known: the model's prices for each
    launched series' specs against its launch range, the premium the launch implies against the
    estimated one, and the band question answered with the real prices."""
    launches, study = result.launches, result.study
    if not result.has_flagship:
        return not_applicable(result)
    if launches.empty:
        return (
            "No launch price of this maker's new series is in `data/assumptions.csv` "
            "(`premium_<series>_launch_price_low_rmb` / `_high_rmb`): the prediction above "
            "stands unchecked."
        )
    brand, reference, focus = escape(study.focus), escape(study.reference), result.focus
    parts = []
    for row in launches.itertuples():
        series = escape(row.series)
        text = f"**{series}** launched at {_yuan_range(row.launch_low_rmb, row.launch_high_rmb)}"
        if not row.priced:
            parts.append(
                f"{text}. Its specs are not in `data/vehicle_trims.csv`, so the model has not "
                f"priced it: its launch range is reported, not compared."
            )
            continue
        level = f"{study.prediction_level:.0%}"
        where = (
            f"its low end lies below the model's {level} prediction interval"
            if row.launch_low_rmb < row.pi_low_rmb
            else f"its high end lies above the model's {level} prediction interval"
            if row.launch_high_rmb > row.pi_high_rmb
            else f"it lies inside the model's {level} prediction intervals"
        )
        text += (
            f"; the model priced its specs ({escape(row.trims)}) at "
            f"{_yuan_range(row.model_low_rmb, row.model_high_rmb)} under the {brand} badge "
            f"(expected prices; launch {row.launch_vs_model_low_pct:+.0f}% and "
            f"{row.launch_vs_model_high_pct:+.0f}% against them), and {where} "
            f"({_yuan_range(row.pi_low_rmb, row.pi_high_rmb)}). Against the same specs under "
            f"{reference}, the launch prices imply a premium of {row.implied_premium_low_pct:+.0f}% "
            f"to {row.implied_premium_high_pct:+.0f}%, against the estimated "
            f"{focus.premium_pct:+.0f}% ({focus.low_pct:+.0f}% to {focus.high_pct:+.0f}%): "
        )
        deeper = max(row.implied_premium_low_pct, row.implied_premium_high_pct) < focus.low_pct
        within = (
            focus.low_pct <= min(row.implied_premium_low_pct, row.implied_premium_high_pct)
            and max(row.implied_premium_low_pct, row.implied_premium_high_pct) <= focus.high_pct
        )
        text += (
            f"{brand} priced **below** its estimated brand discount (cheaper than its badge "
            "alone would explain)."
            if deeper
            else f"{brand} priced **at** its estimated brand discount."
            if within
            else f"{brand} priced **around** its estimated brand discount (partly outside its interval)."
        )
        parts.append(text)
    return "\n\n".join(parts) + "\n\n" + launch_band_answer(result) + "."


def launch_band_answer(result: BrandPremium) -> str:
    """The band question answered with the launch prices, in one sentence."""
    band, launches = result.study.band, result.launches
    inside = launches[launches["in_band"] != "below"]
    inside = inside[inside["in_band"] != "above"]
    if inside.empty:
        return f"No launched series lists inside {band_text(band)}"
    parts = [
        f"the {escape(r.series)} ({_yuan_range(r.launch_low_rmb, r.launch_high_rmb)}, {r.in_band})"
        for r in launches.itertuples()
    ]
    which = " and ".join(escape(series) for series in inside["series"])
    return (
        f"With the real prices, the band question has its answer: the {which} "
        f"{'lists' if len(inside) == 1 else 'list'} inside {band_text(band)}, at least in part: "
        + "; ".join(parts)
    )


def launch_table(result: BrandPremium) -> Styler:
    names = {
        "launch_low_rmb": "launch low (yuan)",
        "launch_high_rmb": "launch high (yuan)",
        "model_low_rmb": "model, cheapest spec (yuan)",
        "model_high_rmb": "model, dearest spec (yuan)",
        "implied_premium_low_pct": f"implied premium vs {result.study.reference}, low (%)",
        "implied_premium_high_pct": f"implied premium vs {result.study.reference}, high (%)",
        "in_band": "against the band",
    }
    return readable(result.launches[[c for c in names if c in result.launches] + ["series"]], names)


# ---------------------------------------------------------------------------------------------
# Recorded results


def record(result: BrandPremium) -> list[results.Result]:
    """Record the study's headline results (names and units are read by the summary, the
    history and the tests: keep them stable)."""
    study, focus = result.study, result.focus
    brand, reference, ci = study.focus, study.reference, f"{study.confidence_level:.0%}"
    recorded = [
        results.record(
            "focus_premium_pct",
            focus.premium_pct,
            "pct",
            f"{brand} guide-price premium vs {reference} for the same specs (Kennedy-corrected; "
            f"low/high = {ci} CI, clustered by series)",
            low=focus.low_pct,
            high=focus.high_pct,
            role="headline",
        ),
        results.record(
            "price_band",
            band_text(study.band),
            "text",
            "the target guide-price band of the flagship question",
        ),
    ]
    if result.has_flagship:
        recorded += record_flagship(result)
    else:
        recorded.append(
            results.record(
                "flagship_series", None, "series", f"not applicable: {study.no_flagship}"
            )
        )
    return recorded + _record_others(result)


def record_flagship(result: BrandPremium) -> list[results.Result]:
    """The flagship series, its price under the maker's badge, its chance in the band and the
    gap to each comparison badge."""
    study, trim, own = result.study, result.headline_trim, result.own
    brand, name = study.focus, trim["trim_name"]
    ci, pi = f"{study.confidence_level:.0%}", f"{study.prediction_level:.0%}"
    recorded = [
        results.record(
            "flagship_series",
            str(trim["series"]),
            "series",
            "the flagship series priced under each badge",
        ),
    ]
    for row in result.gaps.itertuples():
        recorded.append(
            results.record(
                f"gap_to_{result_name(row.brand)}_rmb",
                row.gap_rmb,
                "RMB",
                f"expected guide price of the {name} spec under {row.brand} minus under {brand} "
                f"(positive = {brand} lists lower; low/high = {ci} interval)",
                low=row.low_rmb,
                high=row.high_rmb,
            )
        )
    return recorded + [
        results.record(
            "flagship_price_rmb",
            own["expected_rmb"],
            "RMB",
            f"{name} spec under the {brand} badge: expected guide price (lognormal mean); "
            f"low/high = {pi} prediction interval",
            low=own["low_rmb"],
            high=own["high_rmb"],
            role="supporting",
        ),
        results.record(
            "p_flagship_in_band",
            own["p_in_band"],
            "probability",
            f"probability that the {name} spec's {brand} guide price is in {band_text(study.band)}",
            role="supporting",
        ),
    ]


def _record_others(result: BrandPremium) -> list[results.Result]:
    study, brand, reference = result.study, result.study.focus, result.study.reference
    ci, recorded = f"{study.confidence_level:.0%}", []
    for spec, result_name_, meaning in [
        ("BEV only", "focus_premium_bev_only_pct", ", battery-electric trims only"),
        (
            "Transaction prices",
            "focus_premium_transaction_pct",
            " on guide price x (1 - brand discount)",
        ),
    ]:
        row = result.specification(spec)
        if row is not None:
            recorded.append(
                results.record(
                    result_name_,
                    row["premium_pct"],
                    "pct",
                    f"{brand} premium vs {reference}{meaning} (low/high = {ci} CI)",
                    low=row["low_pct"],
                    high=row["high_pct"],
                )
            )
    upper = result.upper_tier
    if upper is not None:
        recorded.append(
            results.record(
                "focus_premium_upper_tier_pct",
                upper["premium_pct"],
                "pct",
                f"{brand} premium vs {reference} on trims whose specs are worth "
                f"{study.band[0]:,.0f}+ yuan at a {reference} badge ({int(upper['focus_trims'])} "
                f"trims; low/high = {ci} CI)",
                low=upper["low_pct"],
                high=upper["high_pct"],
            )
        )
    recorded += record_launch(result)
    recorded += [
        results.record(
            "reference_brand", reference, "brand", "brand the premiums are measured against"
        ),
        results.record(
            "n_trims_used",
            result.fit.n_trims,
            "trims",
            "trims in the hedonic model (price and every spec known)",
        ),
    ]
    return recorded


def record_launch(result: BrandPremium) -> list[results.Result]:
    """The flagship series' launch range against the model (only when its launch is sourced)."""
    launches = result.launches
    if launches.empty:
        return []
    row = launches.iloc[0] if not launches["priced"].any() else launches[launches["priced"]].iloc[0]
    series = row["series"]
    recorded = [
        results.record(
            "launch_series", series, "series", "the launched series compared with the model"
        ),
        results.record(
            "launch_price_low_rmb",
            row["launch_low_rmb"],
            "RMB",
            f"{series} launch guide price, low end (data/assumptions.csv)",
        ),
        results.record(
            "launch_price_high_rmb",
            row["launch_high_rmb"],
            "RMB",
            f"{series} launch guide price, high end",
        ),
        results.record(
            "launch_in_band_answer",
            launch_band_answer(result).split(": ", 1)[-1],
            "text",
            "the band question answered with the launch prices",
        ),
    ]
    if row["priced"]:
        recorded += [
            results.record(
                "launch_implied_premium_pct",
                (row["implied_premium_low_pct"] + row["implied_premium_high_pct"]) / 2,
                "pct",
                f"premium vs {result.study.reference} implied by the {series} launch prices for its specs (low/high: the range's two edges)",
                low=min(row["implied_premium_low_pct"], row["implied_premium_high_pct"]),
                high=max(row["implied_premium_low_pct"], row["implied_premium_high_pct"]),
            ),
            results.record(
                "launch_vs_model_high_pct",
                row["launch_vs_model_high_pct"],
                "pct",
                f"{series} top launch price against the model's expected price for its dearest spec",
            ),
        ]
    return recorded
