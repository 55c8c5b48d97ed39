"""The prose of notebook 02, built from the `BrandPremium`: the answer, the model and its
diagnostics, the premiums and their robustness, the flagship, the launches and the list-price
caveat. Each function returns Markdown; text from the data or the parameters (brand, series and
trim names) is escaped with `html.escape`, so the renderer shows HTML as text. Only this maker is
named, except where a badge is labelled as the reference or a comparison."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lib import results, tables
from lib.premium import launches
from lib.premium.analysis import BrandPremium, band_text, count, launch_band_answer, yuan_range
from lib.premium.inputs import FALLBACK_DISCOUNT


def round_yuan(value: float) -> str:
    """A yuan amount rounded to the nearest thousand, as text: 290,149 -> '290,000'."""
    return f"{round(float(value), -3):,.0f}"


def interval(low: float, high: float, form: str, label: str = "", unit: str = "") -> str:
    """'label low to high' in `form` (a format spec) with `unit` after each end, or '' for a
    range of zero width (a range from one value to itself is no interval)."""
    if low == high:
        return ""
    return f"{label}{low:{form}}{unit} to {high:{form}}{unit}"


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
    name = tables.plain(focus)
    if not known:
        return (
            f"These are list prices: {name} buyers get about {rate:.1f}% off list{basis}; "
            "no comparison brand has a sourced discount figure of its own."
        )
    listed = ", ".join(f"{tables.plain(b)} {own.loc[b, 'discount_pct']:.1f}%" for b in known)
    smaller = [tables.plain(b) for b in known if own.loc[b, "discount_pct"] < rate]
    larger = [tables.plain(b) for b in known if own.loc[b, "discount_pct"] > rate]
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
    return (
        f"**The flagship question is not applicable:** {tables.plain(result.inputs.no_flagship)}."
    )


def too_little_data(result: BrandPremium) -> str:
    """Why the maker's premium is no headline: how little of its own data it rests on."""
    evidence, brand = result.evidence, tables.plain(result.inputs.focus)
    reasons = []
    if evidence.trims < evidence.min_trims:
        reasons.append(f"fewer than {evidence.min_trims} trims")
    if evidence.series < evidence.min_series:
        reasons.append(f"fewer than {evidence.min_series} series")
    if evidence.loo_outside:
        reasons.append(
            f"leaving one series out moves it by up to {evidence.loo_shift_pct:.1f} points, "
            "outside its own interval"
        )
    return (
        f"**{brand}'s brand premium: {evidence.status}.** Its estimate ({'; '.join(reasons)}) "
        "is about those cars "
        "more than about the badge, so it is no headline; the tables below show it with that "
        "flag."
    )


def premium_sentence(result: BrandPremium) -> str:
    """The headline premium in one sentence, with its interval and what it rests on."""
    inputs, focus = result.inputs, result.focus
    brand, reference = tables.plain(inputs.focus), tables.plain(inputs.reference)
    side = "below" if focus.premium_pct < 0 else "above"
    level = f"{inputs.params.confidence_level:.0%}"
    ci = interval(focus.low_pct, focus.high_pct, "+.0f", f"{level} interval ", "%")
    ci = f"{ci}, " if ci else ""
    return (
        f"Once specs are accounted for, a **{brand}** trim lists **{abs(focus.premium_pct):.0f}% "
        f"{side}** the same car under the {reference} badge ({ci}Kennedy-corrected, "
        f"{focus.trims} trims in {focus.series} series, errors clustered by series)."
    )


def answer(result: BrandPremium) -> str:
    """The answer section: the premium (or too little data), the flagship's price under its
    badge and the band (or why that question does not apply)."""
    inputs = result.inputs
    premium = premium_sentence(result) if result.evidence.enough else too_little_data(result)
    text = f"\n## The answer\n\n{premium}"
    if not result.has_flagship:
        discounts = discount_sentence(inputs.discounts, inputs.focus, inputs.comparisons)
        return f"{text} {discounts}\n\n{not_applicable(result)}\n"
    return f"{text} {_flagship_answer(result)}\n"


def _flagship_answer(result: BrandPremium) -> str:
    """The flagship's price under the maker's badge and its chance of landing in the band."""
    inputs, trim, own = result.inputs, result.headline_trim, result.own
    headline, brand, reference = (
        result.headline,
        tables.plain(inputs.focus),
        tables.plain(inputs.reference),
    )
    actual = trim["msrp_rmb"]
    actual_text = (
        f"; actual guide price as a {tables.plain(trim['brand'])}: {round_yuan(actual)}"
        if pd.notna(actual)
        else ""
    )
    level = f"{inputs.params.prediction_level:.0%}"
    pi = interval(own["low_rmb"], own["high_rmb"], ",.0f", f"{level} prediction interval ")
    pi = (
        f"{level} prediction interval {round_yuan(own['low_rmb'])} to {round_yuan(own['high_rmb'])}"
        if pi
        else "no interval"
    )
    richest = result.richest
    p = own["p_in_band"]
    return (
        f"Priced as a model-year {int(own['priced_as_year'])} car, the "
        f"**{tables.plain(trim['trim_name'])}** spec would list at about "
        f"**{round_yuan(own['expected_rmb'])} yuan** under the {brand} badge ({pi}{actual_text}), "
        f"against {round_yuan(headline.loc[richest, 'expected_rmb'])} under {tables.plain(richest)} and "
        f"{round_yuan(headline.loc[inputs.reference, 'expected_rmb'])} under {reference}. "
        f"The probability that its {brand} guide price falls inside {band_text(inputs.band)} is "
        f"**{p:.0%}**, {results.likelihood(p)} ({own['p_below_band']:.0%} below the band, "
        f"{own['p_above_band']:.0%} above). "
        + discount_sentence(inputs.discounts, inputs.focus, inputs.comparisons)
    )


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
        f"their brand in the model ({tables.plain(', '.join(exact['brand']))}): their brand effect fits "
        "them exactly, so they carry no information on the specs and are left out of this list."
    )


# ---------------------------------------------------------------------------------------------
# Premiums and robustness


def premium_note(result: BrandPremium) -> str:
    return (
        f"Premiums in percent against {tables.plain(result.inputs.reference)}; exp(b) - 1 is the premium "
        "without the correction, which matters only where the interval is wide; the standard "
        "errors (log points) are clustered by series and classical, the larger of the two is "
        "used. Brands marked thin rest on a few trims (often one series), so their premium is as "
        "much about those cars as about the badge."
    )


def robustness_text(result: BrandPremium) -> str:
    """How far the premium moves when one series is left out, on BEVs alone, and where the
    widest interval comes from."""
    robust, brand = result.robustness, tables.plain(result.inputs.focus)
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
        f"The widest interval belongs to '{tables.plain(thinnest['specification'])}', which rests on "
        f"{count(int(thinnest['focus_trims']), brand + ' trim')}."
    )


def tiers_text(result: BrandPremium) -> str:
    """The premium on specs worth the band's lower edge or more against the one across all
    trims, compared by sign and size (a premium is never called a deeper discount)."""
    inputs, upper, overall = result.inputs, result.upper_tier, result.focus.premium_pct
    brand, reference = tables.plain(inputs.focus), tables.plain(inputs.reference)
    if inputs.band is None:
        return (
            "No price band applies to this maker, so the premium is not split at a band's edge; "
            "the tiers above are those of the parameter `price_tier_edges_rmb`."
        )
    if upper is None:
        return f"No {brand} trim has specs worth {inputs.band[0]:,.0f} yuan or more at a {reference} badge."
    top = upper["premium_pct"]
    overlap = upper["low_pct"] <= overall <= upper["high_pct"]
    compared = "below" if top < overall else "above" if top > overall else "equal to"
    caveat = (
        f" (which lies inside the top tier's {inputs.params.confidence_level:.0%} interval, "
        f"{upper['low_pct']:+.0f}% to {upper['high_pct']:+.0f}%: no clear difference)"
        if overlap
        else ""
    )
    return (
        f"On specs worth {inputs.band[0]:,.0f} yuan or more at a {reference} badge, {brand} "
        f"lists {top:+.1f}% against {reference} ({count(int(upper['focus_trims']), 'trim')}), "
        f"{compared} the {overall:+.1f}% across all its trims{caveat}."
    )


# ---------------------------------------------------------------------------------------------
# The flagship


def band_intro(result: BrandPremium) -> str:
    """Where the band comes from (a parameter, or the flagship's sourced expected price band),
    or why there is no flagship to price."""
    inputs = result.inputs
    if not result.has_flagship:
        return not_applicable(result)
    series = tables.plain(inputs.flagship["series"].iloc[0])
    if inputs.band_origin == "sourced":
        return (
            f"The target band ({band_text(inputs.band)}) is the price band expected for the "
            f"{series} before its launch, from the sourced rows:"
        )
    return (
        f"The target band is a parameter ({band_text(inputs.band)}); the data give no expected "
        f"price band for the {series} as this maker's series."
    )


def flagship_text(result: BrandPremium) -> str:
    """Which flagship specs were filled or adjusted, and why."""
    inputs = result.inputs
    if not result.has_flagship:
        return ""
    filled = any(note.startswith("drive layout blank") for note in inputs.flagship_notes)
    text = "Flagship specs used. "
    if filled:
        text += (
            f"Blank drive layouts were set to {inputs.params.flagship_drive_if_missing!r} by the "
            "parameter `flagship_drive_if_missing`, an assumption without a source (its comment says why). "
        )
    if inputs.flagship_notes:
        text += "Adjustments: " + "; ".join(tables.plain(n) for n in inputs.flagship_notes) + "."
    return text


def gaps_text(result: BrandPremium) -> str:
    if not result.has_flagship:
        return ""
    brand, level = tables.plain(result.inputs.focus), result.inputs.params.confidence_level
    return (
        f"Gap between each comparison badge and {brand} for the "
        f"{tables.plain(result.headline_trim['trim_name'])} (yuan, expected guide prices; positive = "
        f"{brand} lists lower; {level:.0%} interval of coefficient uncertainty, since it is the "
        "same car under two badges):"
    )


def reach_text(result: BrandPremium) -> str:
    if not result.has_flagship:
        return ""
    return (
        f"What would put the {tables.plain(result.headline_trim['trim_name'])}'s expected "
        f"{tables.plain(result.inputs.focus)} guide price at each edge of the band, one lever at a time "
        "(multipliers below 1 mean the spec could shrink; compare with the largest value among "
        "the fitted trims):"
    )


def transaction_text(result: BrandPremium) -> str:
    rows = result.inputs.discount_rows.set_index("name")
    return (
        "Premiums re-estimated on price x (1 - brand discount). Brands without their own figure "
        f"get the NEV average ({rows.loc[FALLBACK_DISCOUNT, 'value']:.1f}%), including "
        f"{tables.plain(result.inputs.reference)} if it has none, so only the brands with a figure of "
        "their own move:"
    )


# ---------------------------------------------------------------------------------------------
# Launch prices against the model


def launch_text(result: BrandPremium) -> str:
    """How the earlier answer did once the launch prices were known: the model's prices for each
    launched series' specs against its launch range, the premium the launch implies against the
    estimated one, and the band question answered with the real prices."""
    launches = result.launches
    if not result.has_flagship:
        return not_applicable(result)
    if launches.empty:
        return (
            "No launch price of this maker's new series is in `data/assumptions.csv` "
            "(`premium_<series>_launch_price_low_rmb` / `_high_rmb`): the prediction above "
            "stands unchecked."
        )
    parts = [_launch_paragraph(result, row) for row in launches.itertuples()]
    band_answer = tables.plain(launch_band_answer(launches, result.inputs.band))
    return "\n\n".join(parts) + "\n\n" + band_answer + "."


def _launch_paragraph(result: BrandPremium, row) -> str:
    inputs, focus = result.inputs, result.focus
    brand, reference, series = (
        tables.plain(inputs.focus),
        tables.plain(inputs.reference),
        tables.plain(row.series),
    )
    text = f"**{series}** launched at {yuan_range(row.launch_low_rmb, row.launch_high_rmb)}"
    if not row.priced:
        return (
            f"{text}. Its specs are not in `data/vehicle_trims.csv`, so the model has not "
            "priced it: its launch range is reported, not compared."
        )
    level = f"{inputs.params.prediction_level:.0%}"
    where = (
        f"its low end lies below the model's {level} prediction interval"
        if row.launch_low_rmb < row.pi_low_rmb
        else f"its high end lies above the model's {level} prediction interval"
        if row.launch_high_rmb > row.pi_high_rmb
        else f"it lies inside the model's {level} prediction intervals"
    )
    implied = sorted([row.implied_premium_low_pct, row.implied_premium_high_pct])
    text += (
        f"; the model priced its specs ({tables.plain(row.trims)}) at "
        f"{yuan_range(row.model_low_rmb, row.model_high_rmb)} under the {brand} badge "
        f"(expected prices; launch {row.launch_vs_model_low_pct:+.0f}% and "
        f"{row.launch_vs_model_high_pct:+.0f}% against them), and {where} "
        f"({yuan_range(row.pi_low_rmb, row.pi_high_rmb)}). Against the same specs under "
        f"{reference}, the launch prices imply a premium of {row.implied_premium_low_pct:+.0f}% "
        f"to {row.implied_premium_high_pct:+.0f}%, against the estimated "
        f"{focus.premium_pct:+.0f}% ({focus.low_pct:+.0f}% to {focus.high_pct:+.0f}%): "
    )
    if implied[1] < focus.low_pct:
        return text + (
            f"{brand} priced **below** its estimated brand premium (cheaper than its badge alone "
            "would explain)."
        )
    if focus.low_pct <= implied[0] and implied[1] <= focus.high_pct:
        return text + f"{brand} priced **at** its estimated brand premium."
    if implied[0] > focus.high_pct:
        return text + (
            f"{brand} priced **above** its estimated brand premium (dearer than its badge alone "
            "would explain)."
        )
    return text + (
        f"{brand} priced **around** its estimated brand premium (partly outside its interval)."
    )


# ---------------------------------------------------------------------------------------------
# Priced before launch: the model's record


def _scores(score, level: str, goal: str = "") -> str:
    """'median error 11.4% (95% interval 10.4% to 12.7%) and the 80% interval held 80% (77% to
    83%)', the intervals left out for too few series; `goal` added to the last one."""
    mae, held, few = "", "", ""
    if score.mae_low is not None:
        mae = interval(score.mae_low, score.mae_high, ".1f", f"{level} interval ", "%")
        held = interval(score.coverage_low, score.coverage_high, ".0f", "", "%")
    else:
        few = " (too few series for an interval)"
    held = "; ".join(filter(None, [held, goal]))
    return (
        f"median error {score.mae_pct:.1f}%{f' ({mae})' if mae else ''} and the 80% interval "
        f"held {score.coverage_pct:.0f}%{f' ({held})' if held else ''}{few}"
    )


def launch_record_text(result: BrandPremium) -> str:
    """How good the model's earlier answers were: the record in one sentence with the maker's
    own launches, then whether the intervals held, the bias, the new badges and what was left
    out."""
    record = result.launch_record
    if record is None or record.overall is None:
        return (
            f"No car launched since {launches.RECORD_START} has a guide price and every spec the "
            "model needs: there is no record to score."
        )
    overall, own, level = record.overall, record.own, f"{record.confidence_level:.0%}"
    maker = tables.plain(record.maker)
    own_text = (
        f"{maker}'s own: {count(own.cars, 'car')} ({count(own.series, 'series')}), "
        f"{_scores(own, level)}"
        if own
        else f"{maker} has none in the record ({tables.plain(record.own_reason)})"
    )
    sentence = (
        f"**Priced before launch:** {overall.cars:,} cars ({count(overall.series, 'series')}) "
        f"launched since {launches.RECORD_START}, each priced from its specs by the model fitted "
        f"on the trims known before its launch month: {_scores(overall, level, 'goal 80%')}; "
        f"{own_text}."
    )
    details = [_held(overall), _bias(overall), _new_badges(record), _left_out(record)]
    return sentence + "\n\n" + " ".join(filter(None, details))


def _held(score) -> str:
    if score.held == "consistent with":
        return (
            "Coverage is consistent with its goal, so the model's prediction intervals stand as "
            "they are (no recalibration)."
        )
    if score.held == "untested":
        return "Too few series to test the intervals' coverage."
    return f"Coverage lies {score.held} its goal of 80%: the intervals are off."


def _bias(score) -> str:
    direction = "above" if score.bias_pct > 0 else "below"
    return (
        f"At the median the model priced a launch {abs(score.bias_pct):.1f}% {direction} its "
        "guide price: new cars listed "
        f"{'below' if score.bias_pct > 0 else 'above'} what earlier cars' prices for the same "
        "specs implied."
    )


def _new_badges(record) -> str:
    groups = record.by_maker.set_index("group")
    if launches.NEW_BADGES not in groups.index or groups.loc[launches.NEW_BADGES, "cars"] == 0:
        return ""
    row = groups.loc[launches.NEW_BADGES]
    return (
        f"{count(int(row['cars']), 'car')} came under a badge no earlier trim carried: priced as "
        f"the average badge, with the spread of brand effects in the interval, they missed by "
        f"{row['mae_pct']:.0f}% at the median and the interval held {row['coverage_pct']:.0f}%."
    )


def _left_out(record) -> str:
    if record.skipped.empty:
        return ""
    reasons = "; ".join(f"{tables.plain(r.reason)}: {r.cars}" for r in record.skipped.itertuples())
    return f"Left out, by reason (cars): {reasons}."
