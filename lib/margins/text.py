"""Report text and reader tables of the margins analysis, built from the Analysis only.

Prose functions return Markdown strings (text from data escaped); table functions return
`lib.tables.reader_table` Stylers. `record` publishes the headline numbers (lib.results).
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from lib import results
from lib.margins.analysis import HEADLINE_CUT, Analysis, finite_pct
from lib.margins.charts import same_currency
from lib.margins.panel import USABLE_COLUMNS, duplicate_choices
from lib.tables import reader_table

FLAG_MARKS = {"derived": "d", "estimate": "e", "uncertain": "u", "unverified": "v", "forecast": "f"}
TARGET_CASES = {  # result name -> price cut (0-1) of the target case
    "gm_at_target_current_pct": 0.0,
    "gm_at_target_cut5_pct": 0.05,
    "gm_at_target_cut10_pct": 0.10,
}
ROLES = {"gm_at_target_cut10_pct": "headline"}  # the others of TARGET_CASES are supporting
esc = html.escape


def _pct(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}%"


def _range(case: pd.Series) -> str:
    """'13.7% (10.0% to 17.1%)'; just the margin when the range has zero width (no learning)."""
    if case.low_pct == case.high_pct:
        return f"{case.gross_margin_pct:.1f}%"
    return f"{case.gross_margin_pct:.1f}% ({case.low_pct:.1f}% to {case.high_pct:.1f}%)"


# ---------------------------------------------------------------------------------------------
# Headline numbers


# Why a maker's margins at the target volume carry no range (the learning rate is not applied).
NO_LEARNING = "no learning is applied (the data do not give the maker's cumulative deliveries)"


def record(result: Analysis) -> list[results.Result]:
    """Record the notebook's headline numbers (names and units read by the summary and tests)."""
    name, start, learning, estimate = (
        result.name,
        result.start,
        result.learning,
        result.fixed_estimate,
    )
    low, high = learning.rate_interval
    how = (
        "estimated (OLS of cost of sales on deliveries), kept within the parameter's range"
        if estimate
        else "set by the analyst (no source)"
    )
    out = [
        results.record(
            "latest_period", str(start), "quarter", f"quarter the analysis starts from ({name})"
        ),
        results.record(
            "latest_gross_margin_pct",
            100 * result.margin_now,
            "pct",
            f"{name} {result.basis_text} in {start}",
            role="supporting",
        ),
        results.record(
            "learning_rate_pct",
            100 * learning.rate,
            "pct",
            f"unit-cost fall per doubling of cumulative deliveries, {learning.source}; 95% interval"
            + ("" if result.cases.attrs["learning_applied"] else f" (not applied: {NO_LEARNING})"),
            low=100 * low,
            high=100 * high,
        ),
        results.record(
            "fixed_cost_share_pct",
            100 * result.fixed_share,
            "pct",
            f"share of cost of sales that is fixed, {how}",
            low=100 * estimate.low if estimate else None,
            high=100 * estimate.high if estimate else None,
        ),
        results.record(
            "volume_increase_for_10pct_cut_pct",
            finite_pct(result.need_for_cut),
            "pct",
            "extra volume that keeps gross profit after a 10% price cut, all cost of sales variable (d/(m-d)); empty = impossible",
        ),
        results.record(
            "volume_increase_for_10pct_cut_fixed_cost_pct",
            finite_pct(result.need_for_cut_fixed),
            "pct",
            "same with the fixed share of cost of sales absorbed by the extra volume",
        ),
        results.record(
            "target_volume_units",
            result.inputs.target_volume_units,
            "units",
            f"annual deliveries of the target case ({result.target_change:+.0%} on {result.volume_basis})",
        ),
    ]
    learned = bool(result.cases.attrs["learning_applied"])
    for result_name, cut in TARGET_CASES.items():
        case = result.case(cut)
        out.append(
            results.record(
                result_name,
                float(case.gross_margin_pct),
                "pct",
                f"gross margin at the target volume, {case.case}; "
                + ("interval from the learning rate" if learned else f"no interval: {NO_LEARNING}"),
                low=float(case.low_pct) if learned else None,
                high=float(case.high_pct) if learned else None,
                role=ROLES.get(result_name, "supporting"),
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# Prose


def _soft_flags(result: Analysis, quarters) -> list[str]:
    t = result.panel.table
    return sorted(
        {str(t.loc[q, f"{c}_flag"]) for q in quarters for c in USABLE_COLUMNS} - {"stated"}
    )


def answer_markdown(result: Analysis) -> str:
    """The answer in one paragraph: margin today, at the target volume, and what a cut needs."""
    name, start, learning = esc(result.name), result.start, result.learning
    hold, cut5, cut10 = (result.case(c) for c in TARGET_CASES.values())
    target = f"{result.inputs.target_volume_units:,}"
    if result.cases.attrs["learning_applied"]:
        rate, (low, high) = learning.rate, learning.rate_interval
        learning_text = (
            f"If the next four quarters deliver {target} vehicles ({result.target_change:+.0%} on the last four) at "
            f"{start}'s revenue per vehicle, Wright's law puts gross margin at **{_range(hold)}**, with a learning rate of "
            f"{_pct(rate)} (unit cost {'falls' if rate >= 0 else 'rises'} {_pct(abs(rate))} each time cumulative "
            f"deliveries double; {learning.source}; 95% interval {_pct(low)} to {_pct(high)})."
        )
    else:
        learning_text = (
            f"The data do not give {name}'s cumulative deliveries, so no learning is applied: at {start}'s unit cost and "
            f"revenue per vehicle gross margin stays at **{hold.gross_margin_pct:.1f}%**, with no range around it "
            "(the range comes from the learning rate)."
        )
    cut = _pct(HEADLINE_CUT, 0)
    if np.isfinite(result.need_for_cut):
        volume_text = (
            f"To keep today's gross profit through a {cut} cut by volume alone it would need {_pct(result.need_for_cut, 0)} more vehicles "
            f"({_pct(result.need_for_cut_fixed, 0)} if {_pct(result.fixed_share, 0)} of cost of sales is fixed)."
        )
    else:
        volume_text = f"At a {_pct(result.margin_now)} margin no volume increase pays for a {cut} cut: the cut is larger than the margin."
    soft = _soft_flags(result, [start])
    soft_text = (
        f" {start}'s figures include some that are not stated as such ({', '.join(soft)}); see the table below."
        if soft
        else ""
    )
    company = result.inputs.company
    whose = f" (financials of {esc(company)})" if company != result.name else ""
    return (
        f"In {start} {name}{whose} earned a {result.basis_text} of **{_pct(result.margin_now)}**. {learning_text} "
        f"A {_pct(TARGET_CASES['gm_at_target_cut5_pct'], 0)} price cut would leave **{_range(cut5)}**, a {cut} cut **{_range(cut10)}**. "
        f"{volume_text}{soft_text}"
    )


def other_currency_note(result: Analysis) -> str:
    """Which compared companies the revenue-per-vehicle chart leaves out (another currency)."""
    left_out = sorted(set(result.inputs.compared) - set(same_currency(result)))
    if not left_out:
        return ""
    return f"Not shown, because they report in another currency than {result.currency}: {esc(', '.join(left_out))}."


def industry_markdown(result: Analysis) -> str:
    """What the industry margin bars show, with the years and flags read from the data."""
    margins = result.inputs.industry_margins
    first, last = int(margins["year"].iloc[0]), int(margins["year"].iloc[-1])
    text = (
        f"The whole industry, not only EV makers, earned less on each yuan of sales from {first} to {last}, "
        "and the slide steepened as the number of models cutting prices rose."
    )
    flagged = margins[margins["flag"] != "stated"]
    if len(flagged):
        years = ", ".join(str(y) for y in flagged["year"])
        flags = ", ".join(sorted(set(flagged["flag"])))
        text += f" The figure for {years} is flagged {flags} (see its note below), so it is drawn hatched."
    return text


def bridge_markdown(result: Analysis) -> str:
    base, start = result.inputs.base, result.start
    soft = _soft_flags(result, [base, start])
    return (
        f"The bridge splits the change of quarterly gross profit (vehicles x (revenue per vehicle - cost per vehicle)) between {base} and {start}. "
        f"Volume is the extra vehicles at {base}'s profit per vehicle; price/mix the change of revenue per vehicle on {start}'s vehicles; "
        f"fixed-cost absorption the cost per vehicle saved by spreading {_pct(result.fixed_share, 0)} of {base}'s cost of sales (taken as fixed) over more vehicles; "
        "other unit cost the rest of the change of cost per vehicle. The steps add up exactly to the change."
        + (f" Figures used that are not stated as such: {', '.join(soft)}." if soft else "")
    )


def learning_markdown(result: Analysis) -> str:
    fit = result.fit
    low, high = fit.learning_rate_ci
    return (
        "Each point is a quarter: cost of sales per vehicle against cumulative deliveries half-way through the quarter "
        f"(counted from {result.panel.cumulative_from}; earlier deliveries are not in the data). The fit, "
        f"ln(cost) = a + b ln(cumulative deliveries), gives a learning rate 1 - 2^b of {_pct(fit.learning_rate)} "
        f"(95% interval {_pct(low)} to {_pct(high)}; {fit.scope}). "
        "Cost per vehicle is nominal and moves with model mix, so the rate mixes learning, scale, battery prices and mix; "
        "a Durbin-Watson statistic well below 2 says the residuals run in streaks and the interval is too narrow. "
        "The published rates below are for battery cells and storage, the largest single cost of an EV: they say how fast "
        "the part of the cost that follows the battery market can fall."
    )


def sources_markdown(result: Analysis) -> str:
    """Sources and caveats, with the maker's unusable quarters read from the data."""
    t = result.panel.table
    unusable = t.index[
        t[[f"{c}_flag" for c in USABLE_COLUMNS]]
        .isin(["uncertain", "unverified", "forecast"])
        .any(axis=1)
    ]
    unused = (
        f" {esc(result.name)}'s {', '.join(map(str, unusable))} figures are flagged and unused."
        if len(unusable)
        else ""
    )
    refs = "; ".join(
        f"{esc(label)} ({esc(str(as_of)[:4])})"
        for label, as_of in zip(
            result.inputs.battery_rates["label"], result.inputs.battery_rates["as_of"], strict=True
        )
    )
    return "\n".join(
        [
            "- Financials: `data/financials_quarterly.csv`, each row with its source URL (mostly press reposts and broker "
            "notes, not the filings). Quarters missing there are derived from half-year, nine-month and full-year totals; "
            f"figures flagged uncertain, unverified or forecast never enter a calculation.{unused}",
            "- Events: `data/price_war_events.csv`, one source URL each (table above).",
            "- Industry margin and price-cut counts: official statistics and CPCA via `data/assumptions.csv`.",
            f"- Battery learning rates: {refs}, via `data/assumptions.csv`.",
            "- Cost per vehicle is revenue x (1 - gross margin) / deliveries: it includes non-car revenue and costs, dealer "
            "rebates booked against revenue, and mix. Cumulative deliveries start with the first year in the data, which "
            "understates experience (and the learning rate) for makers that sold cars before it. The projection holds "
            "revenue per vehicle at the start quarter's level and assumes the target year follows right after it; the "
            "learning curve already carries past scale effects, so no fixed-cost absorption is added to it (reaching the "
            "target needs new plants).",
        ]
    )


# ---------------------------------------------------------------------------------------------
# Tables for readers


def flagged(values: pd.Series, flags: pd.Series, fmt: str = "{:,.1f}") -> pd.Series:
    """Values formatted for a table with the flag letter of non-stated ones: 13.6 (d)."""
    out = []
    for value, flag in zip(values, flags, strict=True):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            out.append("")
            continue
        mark = FLAG_MARKS.get(flag or "", "")
        out.append(fmt.format(value) + (f" ({mark})" if mark else ""))
    return pd.Series(out, index=values.index)


def events_table(result: Analysis) -> Styler:
    events = result.inputs.events
    shown = events.assign(date=events["date"].dt.strftime("%Y-%m-%d"))
    return reader_table(shown[["number", "date", "kind", "event", "quality", "source_url"]])


def history_table(result: Analysis) -> Styler:
    t, currency = result.panel.table, result.currency
    table = pd.DataFrame(
        {
            f"revenue ({currency} mn)": flagged(t["revenue"], t["revenue_flag"], "{:,.0f}"),
            "deliveries": flagged(t["deliveries"], t["deliveries_flag"], "{:,.0f}"),
            f"revenue per vehicle ({currency})": flagged(
                t["revenue_per_vehicle"], t["revenue_per_vehicle_flag"], "{:,.0f}"
            ),
            "gross margin (%)": flagged(t["gross_margin_pct"], t["gross_margin_pct_flag"]),
            "net margin (%)": flagged(t["net_margin_pct"], t["net_margin_pct_flag"]),
            "cumulative deliveries": t["cum_deliveries"].map(
                lambda v: "" if pd.isna(v) else f"{v:,.0f}"
            ),
        },
        index=t.index.astype(str),
    )
    return reader_table(table, hide_index=False)


def duplicates_table(result: Analysis) -> Styler:
    """The figures the maker's table uses and the ones set aside (a one-line note when none)."""
    choices = duplicate_choices(result.inputs.financials, result.inputs.company)
    if choices.empty:
        return reader_table(pd.DataFrame({"note": ["No figure of this maker has two sources."]}))
    shown = choices[["period", "metric", "value", "unit", "flag", "picked", "note"]].fillna(
        {"note": ""}
    )
    return reader_table(shown, {"value": "{:,.1f}"})


def industry_table(result: Analysis) -> Styler:
    rows = pd.concat([result.inputs.industry_margins, result.inputs.price_cut_counts])
    return reader_table(rows[["name", "value", "unit", "as_of", "note", "source_url"]])


def bridge_table(result: Analysis) -> Styler:
    table = result.bridge.table().rename(columns={"value_mn": f"{result.currency} mn"})
    return reader_table(table, {f"{result.currency} mn": "{:,.1f}"})


def fit_table(result: Analysis) -> Styler:
    fit = result.fit
    low, high = fit.learning_rate_ci
    rows = {
        "learning rate (cost fall per doubling)": _pct(fit.learning_rate),
        "95% interval": f"{_pct(low)} to {_pct(high)}",
        "log-log slope b (s.e.)": f"{fit.slope:.3f} ({fit.slope_se:.3f})",
        "quarters in the fit": f"{fit.n_points}",
        "R squared": f"{fit.r_squared:.2f}",
        "residual s.d. (log points)": f"{fit.residual_sd:.3f}",
        "Durbin-Watson (2 = no autocorrelation)": f"{fit.durbin_watson:.2f}",
        "data used": fit.scope,
    }
    return reader_table(pd.DataFrame({"quantity": list(rows), "value": list(rows.values())}))


def battery_table(result: Analysis) -> Styler:
    refs = result.inputs.battery_rates
    return reader_table(refs[["name", "value", "unit", "as_of", "note", "source_url"]])


def fixed_cost_table(result: Analysis) -> Styler:
    estimate, share = result.fixed_estimate, result.fixed_share
    if estimate is None:
        value, how = _pct(share), "assumption (no source), set by the analyst"
    else:
        kept = (
            ""
            if share == estimate.share
            else " (estimate outside the parameter's range, kept at its end)"
        )
        value = _pct(share) + kept
        how = (
            f"estimated here: OLS of quarterly cost of sales on deliveries, {estimate.quarters} ({estimate.n} quarters); "
            f"95% interval {_pct(estimate.low)} to {_pct(estimate.high)}; falling unit costs push it up"
        )
    return reader_table(
        pd.DataFrame([{"quantity": "fixed share of cost of sales", "value": value, "how": how}])
    )


def affordability_table(result: Analysis) -> Styler:
    afford = result.affordability

    def number(fmt: str, missing: str = ""):
        return lambda v: missing if pd.isna(v) else fmt.format(v)

    shown = afford.drop(columns="gross_margin_pct").assign(
        cushion_pp=afford["cushion_pp"].map("{:.1f}".format),
        cash_mn=afford["cash_mn"].map(number("{:,.0f}", "not in data")),
        cash_to_revenue_pct=afford["cash_to_revenue_pct"].map(number("{:.0f}")),
        net_income_per_vehicle=afford["net_income_per_vehicle"].map(number("{:,.0f}")),
    )
    labels = {
        "margin_basis": "margin basis",
        "cushion_pp": "gross margin, % (price cut to zero gross profit, pp)",
        "cash_mn": "cash (mn)",
        "cash_as_of": "cash at",
        "cash_to_revenue_pct": "cash / last-year revenue (%)",
        "net_income_per_vehicle": "net income per vehicle, last 4 quarters",
        "flags": "figures not stated",
    }
    return reader_table(shown.rename(columns=labels))
