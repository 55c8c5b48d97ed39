"""The prose of notebook 03, built from the Analysis only: Markdown strings, text from the data
escaped. Numbers a reader sees here are the recorded ones (Analysis.record)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lib import tables
from lib.margins.analysis import (
    HEADLINE_CUT,
    TARGET_CASES,
    Analysis,
    fixed_floor_text,
    margin_basis,
    too_little_data,
)
from lib.margins.charts import same_currency
from lib.margins.names import GM_AT_TARGET_CUT5_PCT
from lib.margins.panel import USABLE_COLUMNS


def _pct(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}%"


def _range(case: pd.Series) -> str:
    """'13.7% (10.0% to 17.1%)'; just the margin when the range has zero width (no learning)."""
    if case.low_pct == case.high_pct:
        return f"{case.gross_margin_pct:.1f}%"
    return f"{case.gross_margin_pct:.1f}% ({case.low_pct:.1f}% to {case.high_pct:.1f}%)"


def _soft_flags(result: Analysis, quarters) -> list[str]:
    t = result.panel.table
    return sorted(
        {str(t.loc[q, f"{c}_flag"]) for q in quarters for c in USABLE_COLUMNS} - {"stated"}
    )


def _learning(result: Analysis) -> str:
    name, start, learning = tables.plain(result.name), result.start, result.learning
    hold = result.case(0.0)
    if not result.learning_applied:
        return (
            f"The data do not give {name}'s cumulative deliveries, so no learning is applied: at "
            f"{start}'s unit cost and revenue per vehicle gross margin stays at "
            f"**{hold.gross_margin_pct:.1f}%**, with no range around it (the range comes from "
            "the learning rate)."
        )
    rate, (low, high) = learning.rate, learning.rate_interval
    target = f"{result.inputs.target_volume_units:,}"
    return (
        f"If the next four quarters deliver {target} vehicles ({tables.plain(result.inputs.target_origin)}; "
        f"{result.target_change:+.0%} on the last four) at {start}'s revenue per vehicle, Wright's "
        f"law puts gross margin at **{_range(hold)}**, with a learning rate of {_pct(rate)} (unit "
        f"cost {'falls' if rate >= 0 else 'rises'} {_pct(abs(rate))} each time cumulative "
        f"deliveries double; {learning.source}; 95% interval {_pct(low)} to {_pct(high)})."
    )


def _volume(result: Analysis) -> str:
    cut = _pct(HEADLINE_CUT, 0)
    if not np.isfinite(result.need_for_cut):
        return (
            f"At a {_pct(result.margin_now)} margin no volume increase pays for a {cut} cut: the "
            "cut is larger than the margin."
        )
    if result.fixed_too_little_data:
        fixed = (
            "the data do not say how much of cost of sales is fixed: "
            f"{too_little_data(result.fixed_estimate.n)}, see below"
        )
    else:
        fixed = (
            f"{_pct(result.need_for_cut_fixed, 0)} if {_pct(result.fixed_share, 0)} of cost of "
            "sales is fixed"
        )
    return (
        f"To keep today's gross profit through a {cut} cut by volume alone it would need "
        f"{_pct(result.need_for_cut, 0)} more vehicles ({fixed})."
    )


def answer(result: Analysis) -> str:
    """The answer in one paragraph: margin today, at the target volume, and what a cut needs."""
    name, start = tables.plain(result.name), result.start
    _, cut5, cut10 = (result.case(c) for c in TARGET_CASES.values())
    soft = _soft_flags(result, [start])
    soft_text = (
        f" {start}'s figures include some that are not stated as such ({', '.join(soft)}); see "
        "the table below."
        if soft
        else ""
    )
    company = result.inputs.company
    whose = f" (financials of {tables.plain(company)})" if company != result.name else ""
    return (
        f"In {start} {name}{whose} earned a {result.basis_text} of **{_pct(result.margin_now)}**."
        f"{scope(result)} {_learning(result)} A "
        f"{_pct(TARGET_CASES[GM_AT_TARGET_CUT5_PCT], 0)} price cut would leave **{_range(cut5)}**, "
        f"a {_pct(HEADLINE_CUT, 0)} cut **{_range(cut10)}**. {_volume(result)}{soft_text}"
    )


def scope(result: Analysis) -> str:
    """When the company's financials count other vehicles than the maker's monthly series: the
    label that says so (empty otherwise), with both totals."""
    found = result.inputs.scope
    if found is None:
        return ""
    more = "more" if found.wider else "fewer"
    return (
        f" These are the financials of {tables.plain(result.inputs.company)}, which count {more} vehicles "
        f"than {tables.plain(result.name)}'s monthly series ({found.company_units:,.0f} against "
        f"{found.series_units:,.0f} in {found.year}): every margin, cost and volume here is "
        f"{tables.plain(result.inputs.company)}'s, and the target volume is in its scope."
    )


def _companies(count: int, verb: str = "") -> str:
    """'1 compared company reports' / '2 compared companies report'."""
    noun = "compared company" if count == 1 else "compared companies"
    if verb:
        noun += f" {verb}s" if count == 1 else f" {verb}"
    return f"{count} {noun}"


def basis(result: Analysis) -> str:
    """What the compared margins measure, read from the data: the maker's basis and how many
    compared companies report another basis or currency (the affordability table names each;
    the prose names no other maker)."""
    afford = result.affordability
    others = afford[afford["company"] != result.inputs.company]
    other_basis = int((others["margin_basis"] != result.basis_text).sum())
    other_currency = int((others["currency"] != result.currency).sum())
    differ = [
        f"{_companies(other_basis, 'report')} another margin than a {result.basis_text}"
        if other_basis
        else "",
        f"{_companies(other_currency, 'report')} in another currency than {result.currency}"
        if other_currency
        else "",
    ]
    listed = " and ".join(part for part in differ if part)
    return (
        f"The maker's margin is the {tables.plain(margin_basis(result))}. "
        + (
            f"The margins compared are not all the same measure: {listed} (the table of who can "
            "afford a price war gives each company's basis and currency). "
            if listed
            else "Every company compared reports the same measure in the same currency. "
        )
        + "A company gross margin includes every business of the company, a vehicle margin only "
        "its cars. Read the levels with that in mind; the turns around the events are what the "
        "chart is for."
    )


def other_currency(result: Analysis) -> str:
    """How many compared companies the revenue-per-vehicle chart leaves out (another currency);
    the affordability table names them."""
    left_out = len(set(result.inputs.compared) - set(same_currency(result)))
    if not left_out:
        return ""
    return (
        f"Not shown: {_companies(left_out)} reporting in another currency than {result.currency} "
        "(per-vehicle money is not mixed across currencies; the table of who can afford a price "
        "war gives each company's currency)."
    )


def industry(result: Analysis) -> str:
    """What the industry margin bars show, with the years and flags read from the data."""
    margins = result.inputs.industry_margins
    first, last = int(margins["year"].iloc[0]), int(margins["year"].iloc[-1])
    text = (
        f"The whole industry, not only EV makers, earned less on each yuan of sales from {first} "
        f"to {last}, and the slide steepened as the number of models cutting prices rose."
    )
    flagged = margins[margins["flag"] != "stated"]
    if len(flagged):
        years = ", ".join(str(y) for y in flagged["year"])
        flags = ", ".join(sorted(set(flagged["flag"])))
        text += (
            f" The figure for {years} is flagged {flags} (see its note below), so it is drawn "
            "hatched."
        )
    return text


def bridge(result: Analysis) -> str:
    base, start = result.inputs.base, result.start
    soft = _soft_flags(result, [base, start])
    if result.fixed_share > 0:
        fixed = (
            f"fixed-cost absorption the cost per vehicle saved by spreading "
            f"{_pct(result.fixed_share, 0)} of {base}'s cost of sales (taken as fixed) over more "
            "vehicles; other unit cost the rest of the change of cost per vehicle."
        )
    else:
        fixed = "unit cost the change of cost per vehicle (no share of it is taken as fixed)."
    return (
        "The bridge splits the change of quarterly gross profit (vehicles x (revenue per vehicle "
        f"- cost per vehicle)) between {base} and {start}. Volume is the extra vehicles at "
        f"{base}'s profit per vehicle; price/mix the change of revenue per vehicle on {start}'s "
        f"vehicles; {fixed} The steps add up exactly to the change."
        + (f" Figures used that are not stated as such: {', '.join(soft)}." if soft else "")
    )


def learning(result: Analysis) -> str:
    fit = result.fit
    low, high = fit.learning_rate_ci
    applied = (
        ""
        if result.learning_applied
        else (
            f" This fit is of the peers' quarters, not {tables.plain(result.name)}'s: the data do not give "
            f"{tables.plain(result.name)}'s cumulative deliveries, so the answer applies no learning."
        )
    )
    return (
        "Each point is a quarter: cost of sales per vehicle against cumulative deliveries "
        f"half-way through the quarter (counted from {result.panel.cumulative_from}; earlier "
        "deliveries are not in the data). The fit, ln(cost) = a + b ln(cumulative deliveries), "
        f"gives a learning rate 1 - 2^b of {_pct(fit.learning_rate)} (95% interval {_pct(low)} "
        f"to {_pct(high)}; {fit.scope}).{applied} Cost per vehicle is nominal and moves with "
        "model mix, so the rate mixes learning, scale, battery prices and mix; a Durbin-Watson "
        "statistic well below 2 says the residuals run in streaks and the interval is too "
        "narrow. The published rates below are for battery cells and storage, the largest single "
        "cost of an EV: they say how fast the part of the cost that follows the battery market "
        "can fall."
    )


def fixed_cost(result: Analysis) -> str:
    """How the fixed share was obtained, and the evidence floor when the estimate is below it."""
    estimate = result.fixed_estimate
    if estimate is None:
        return (
            f"The fixed share of cost of sales, {_pct(result.fixed_share)}, is set by the analyst "
            "(no source)."
        )
    if estimate.too_little_data:
        return (
            f"The fixed share of cost of sales is **{too_little_data(estimate.n)}**: the "
            f"estimate from {estimate.quarters} is below the evidence floor ({fixed_floor_text()}"
            "), so the break-even, the bridge and the map take all cost of sales as variable. "
            "Set `fixed_cost_share_pct` to assume a share."
        )
    kept = (
        ""
        if result.fixed_share == estimate.share
        else " (the estimate is outside the parameter's range and kept at its end)"
    )
    return (
        f"The fixed share of cost of sales, {_pct(result.fixed_share)}{kept}, is estimated here "
        f"by OLS of quarterly cost of sales on deliveries, {estimate.quarters} ({estimate.n} "
        f"quarters); 95% interval {_pct(estimate.low)} to {_pct(estimate.high)}. Falling unit "
        "costs push it up, so read it as an upper bound."
    )


def sources(result: Analysis) -> str:
    """Sources and caveats, with the maker's unusable quarters read from the data."""
    t = result.panel.table
    unusable = t.index[
        t[[f"{c}_flag" for c in USABLE_COLUMNS]]
        .isin(["uncertain", "unverified", "forecast"])
        .any(axis=1)
    ]
    unused = (
        f" {tables.plain(result.name)}'s {', '.join(map(str, unusable))} figures are flagged and unused."
        if len(unusable)
        else ""
    )
    refs = "; ".join(
        f"{tables.plain(label)} ({tables.plain(str(as_of)[:4])})"
        for label, as_of in zip(
            result.inputs.battery_rates["label"], result.inputs.battery_rates["as_of"], strict=True
        )
    )
    return "\n".join(
        [
            "- Financials: `data/financials_quarterly.csv`, each row with its source URL (mostly "
            "press reposts and broker notes, not the filings). Quarters missing there are derived "
            "from half-year, nine-month and full-year totals; figures flagged uncertain, "
            f"unverified or forecast never enter a calculation.{unused}",
            "- Events: `data/price_war_events.csv`, one source URL each (table above).",
            "- Industry margin and price-cut counts: official statistics and CPCA via "
            "`data/assumptions.csv`.",
            f"- Battery learning rates: {refs}, via `data/assumptions.csv`.",
            "- Cost per vehicle is revenue x (1 - gross margin) / deliveries: it includes non-car "
            "revenue and costs, dealer rebates booked against revenue, and mix. Cumulative "
            "deliveries start with the first year in the data, which understates experience (and "
            "the learning rate) for makers that sold cars before it. The projection holds revenue "
            "per vehicle at the start quarter's level and assumes the target year follows right "
            "after it; the learning curve already carries past scale effects, so no fixed-cost "
            "absorption is added to it (reaching the target needs new plants).",
            "- Next quarter: one regression pooled over every company's quarter-on-quarter "
            "changes (company and vehicle margins, RMB and USD alike: only changes are compared). "
            "A quarter with no price cut in `data/price_war_events.csv` counts as one without a "
            "price-cut round, which is only as complete as that list. Learning moves slowly "
            "between two quarters, so its coefficient is loosely measured; the drift carries most "
            "of the steady improvement. A quarter whose deliveries the data do not yet hold in "
            "the financials' scope is extrapolated, and its range widened by how far that rule "
            "missed before.",
        ]
    )


# The naive rules in a sentence.
NAIVE_WORDS = {
    "last_quarter_pct": "naive last-quarter rule",
    "year_ago_pct": "naive same-quarter-last-year rule",
}


def _whose(result: Analysis) -> str:
    company = result.inputs.company
    return f" (financials of {tables.plain(company)})" if company != result.name else ""


def quarter_outlook(result: Analysis) -> str:
    """The next quarter's expectation and how good earlier ones were, in one sentence (or why
    there is none)."""
    found, name = result.outlook, tables.plain(result.name)
    pooled, naive = found.pooled_record["expected_pct"], found.best_naive
    record = (
        f"on {pooled.quarters} past quarters of {found.scored['company'].nunique()} companies, "
        f"each predicted from the data before it, the error was {pooled.mae_pp:.1f} pp on average "
        f"and the range held {pooled.coverage80_pct:.0f}% of them ({NAIVE_WORDS[naive.key]}: "
        f"{naive.mae_pp:.1f} pp)"
        if pooled.quarters
        else "no past quarter could be scored yet"
    )
    call = found.call
    if call is None:
        return (
            f"No expectation for {name}'s next quarter{_whose(result)}: "
            f"{tables.plain(found.reason)}. For the companies that have one, {record}."
        )
    return (
        f"Next quarter ({call.quarter}): {name}'s gross margin{_whose(result)} expected "
        f"**{call.expected_pct:.1f}%** (80% range {call.low_pct:.1f}-{call.high_pct:.1f}%); "
        f"{record}."
    )


def _own_record(result: Analysis) -> str:
    found, company = result.outlook, tables.plain(result.inputs.company)
    own = found.own_record
    model, last = own["expected_pct"], own["last_quarter_pct"]
    skipped = int(found.skipped.sum())
    if not model.quarters:
        return (
            f"Not one of {company}'s {skipped} reported quarters has enough history to be scored."
        )
    return (
        f"On {company}'s own {model.quarters} scored quarters the error was {model.mae_pp:.1f} pp "
        f"(last quarter's margin: {last.mae_pp:.1f} pp) and the range held "
        f"{model.coverage80_pct:.0f}%; its {skipped} other reported quarters came too early "
        "(the table says why)."
    )


def _volume_words(call) -> str:
    """The quarter's deliveries and how they compare with the last quarter's."""
    volume = call.volume
    if not volume.months_reported:
        return f"deliveries {tables.plain(volume.rule)}"
    change = np.expm1(call.drivers["scale"])
    return (
        f"{volume.units:,.0f} deliveries ({tables.plain(volume.rule)}), {change:+.0%} on "
        f"{call.last_quarter}"
    )


def quarter_model(result: Analysis) -> str:
    """How the expectation is made, what moves this one, and how far the record goes."""
    found = result.outlook
    call = found.call
    how = (
        "The expectation starts from the last reported margin and moves cost of sales over "
        "revenue by what the quarter-on-quarter changes of every company in the data, dated "
        "before the quarter, say about three drivers: learning (the change of cumulative "
        "deliveries), scale (the change of the quarter's deliveries, over which fixed costs "
        "spread) and price-cut rounds dated in the quarter, plus a drift for all else. The 80% "
        "range is the expectation plus the 10th and 90th percentiles of the errors made on "
        "earlier quarters. Every past quarter is scored as it would have been called: fitted on "
        "the data before it, with its deliveries as reported with its results."
    )
    if call is None:
        return f"{how} {_own_record(result)}"
    effects = call.effects_pp
    moved = (
        f" For {call.quarter}: {_volume_words(call)}; scale moves the margin "
        f"{effects['scale']:+.1f} pp, learning {effects['learning']:+.1f} pp, price cuts "
        f"{effects['price_cuts']:+.1f} pp ({call.drivers['price_cuts']:.0f} dated in the quarter) "
        f"and the drift {effects['const']:+.1f} pp from {call.last_quarter}'s "
        f"{call.last_margin_pct:.1f}%."
    )
    return f"{how}{moved} {_own_record(result)}"


def earlier_calls(result: Analysis) -> str:
    """What the earlier runs' calls table holds."""
    calls = result.outlook.earlier
    if calls.empty:
        return (
            "No earlier run in the reports folder called a quarter that is now reported: each run "
            "records its call (`quarter_call` in results.json), and the runs after the results "
            "score it here."
        )
    held = int(calls["inside80"].sum())
    return (
        f"{len(calls)} call(s) of earlier runs on quarters now reported: mean absolute error "
        f"{calls['error_pp'].abs().mean():.1f} pp, the 80% range held {held} of them."
    )
