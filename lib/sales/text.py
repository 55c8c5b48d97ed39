"""Report text of the sales analysis, built from the results: the answer, how good the forecast
has been against naive rules, the interval factor, the caveats, and the headline numbers recorded
for the summary (`record`). Text from data (names, notes) is escaped: the renderer shows HTML as text."""

from __future__ import annotations

import html

import pandas as pd

from lib import data, results
from lib.sales.analysis import Analysis
from lib.sales.evaluation import LABELS, PEER_LABELS, SHOWN_HORIZONS, PeerScores
from lib.sales.models import MODEL_LABELS
from lib.sales.resolution import (
    CALL_TABLE,
    UNINFORMED_BRIER,
    UNINFORMED_LOG,
    Resolution,
    call_row,
)

# Misses that, when this many maker-years are scored, are worth naming as the largest.
MIN_SCORED_TO_NAME_MISSES = 4


def answer_markdown(analysis: Analysis, resolution: Resolution | None = None) -> str:
    """The answer in two to six sentences; the outcome of a backtest (data after the cutoff) is
    compared last, never used before. A target year the data hold in full is answered by its
    `resolution`: the outcome and how the calls made during the year fared."""
    if resolution is not None and resolution.year == analysis.inputs.settings.target_year:
        return resolution_markdown(resolution)
    name = html.escape(analysis.inputs.name)
    projection, headline = analysis.projection, analysis.headline
    arithmetic, forecast = analysis.arithmetic, analysis.forecast
    target, year = arithmetic.target_units, arithmetic.target_year
    if not forecast.available:
        return (
            f"**No model can forecast {name}'s {year} deliveries from the data.** "
            f"{'; '.join(forecast.skipped.values())}. The target of {target:,.0f} needs "
            f"{arithmetic.required_monthly_run_rate_units:,.0f} a month against a latest run-rate "
            f"of {arithmetic.latest_run_rate_units:,.0f}." + _target_source(analysis)
        )
    if not forecast.runs:
        verb = "reaching" if arithmetic.reported_units >= target else "missing"
        return (
            f"**All of {year} is reported: {name} delivered {arithmetic.reported_units:,.0f} "
            f"vehicles, {verb} the target of {target:,.0f}.**"
        )
    internal_units = analysis.internal_units
    internal = (
        f" (internal target {internal_units:,.0f}: {projection.probability(internal_units):.0%})"
        if internal_units is not None
        else ""
    )
    reported = ", ".join(pd.Period(m).strftime("%b") for m in arithmetic.reported_months)
    gap = arithmetic.required_monthly_run_rate_units / arithmetic.latest_run_rate_units - 1
    if analysis.inputs.target_basis == "last_year":
        text = (
            f"**No target stated yet for {year}: {name}'s median forecast is "
            f"{projection.median:,.0f} vehicles (80% range {projection.p10:,.0f} to "
            f"{projection.p90:,.0f}); it beats its {year - 1} total of {target:,.0f} in "
            f"{projection.p_reach_target:.0%} of simulated paths.** With "
        )
    else:
        text = (
            f"**{name} reaches {target:,.0f} deliveries in {year} in "
            f"{projection.p_reach_target:.0%} of simulated paths**{internal}. The median forecast "
            f"is {projection.median:,.0f} vehicles, with an 80% range of {projection.p10:,.0f} to "
            f"{projection.p90:,.0f}. With "
        )
    text += (
        f"{reported or 'no month'} reported "
        f"({arithmetic.reported_units:,.0f} vehicles), the {len(arithmetic.missing_months)} "
        f"missing months need {arithmetic.required_monthly_run_rate_units:,.0f} a month, "
        f"{gap:+.0%} on the latest run-rate of {arithmetic.latest_run_rate_units:,.0f}."
    )
    text += _target_source(analysis)
    if forecast.skipped:
        ran = ", ".join(MODEL_LABELS[m] for m in forecast.runs)
        text += (
            f" Only {ran} could run on this history; the models section says what the others need."
        )
    if headline.cases:
        text += (
            f" Read the range, not just the median: on {headline.cases} past maker-years, "
            f"forecast {_horizon_text(analysis)}, the same method missed the year's deliveries by "
            f"{headline.mape_chosen_pct:.1f}% on average (best naive rule: "
            f"{headline.mape_best_naive_pct:.1f}%) and its 80% ranges held "
            f"{headline.coverage80_chosen_pct:.0f}% of outcomes."
        )
    if analysis.actual_units is not None:
        actual = analysis.actual_units
        inside = "inside" if projection.p10 <= actual <= projection.p90 else "outside"
        reached = "reaching" if actual >= target else "missing"
        text += (
            f" In hindsight (data after the cutoff, unused above): {name} delivered "
            f"{actual:,.0f} in {year}, {inside} the 80% range and {reached} the target."
        )
    return text


def _target_source(analysis: Analysis) -> str:
    """Whose target this is: said only when it is not the maker's own sourced figure."""
    inputs = analysis.inputs
    if inputs.target_is_stated:
        return ""
    settings = inputs.settings
    if inputs.target_basis == "last_year":
        return (
            f" The data hold no {html.escape(inputs.name)} target for {settings.target_year} "
            f"(data/makers.csv, {data.ASSUMPTIONS.filename}): the chance shown is that of "
            f"beating its {settings.target_year - 1} total, not of reaching a target."
        )
    return (
        f" The target of {settings.target_units:,.0f} is this report's parameter: "
        f"{data.ASSUMPTIONS.filename} holds no {html.escape(inputs.name)} target of that size "
        f"for {settings.target_year}."
    )


def _horizon_text(analysis: Analysis) -> str:
    k = analysis.months_reported
    return "from the December before" if k == 0 else f"with {k} months of the year reported"


def skill_markdown(analysis: Analysis) -> str:
    """How good the method has been on the headline maker-years, against the naive rules, which
    misses weigh most, and what the best blend chosen with hindsight would have achieved."""
    headline, hindsight = analysis.headline, analysis.hindsight
    if not headline.cases:
        return "No maker-year can be scored yet, so the forecast's track record is unknown."
    rows = analysis.backtest.rows
    scored = rows[rows["headline"].astype(bool) & (rows["method"] == "combination")]
    skill = 1 - headline.mape_chosen_pct / headline.mape_best_naive_pct
    versus = f"{skill:.0%} smaller than" if skill > 0 else f"{-skill:.0%} larger than"
    text = (
        f"**Over {headline.cases} maker-years, forecast {_horizon_text(analysis)}, the method "
        f"missed the year's deliveries by {headline.mape_chosen_pct:.1f}% on average**, an error "
        f"{versus} the best naive rule's ({headline.best_naive_label}, "
        f"{headline.mape_best_naive_pct:.1f}%); {headline.coverage80_chosen_pct:.0f}% of outcomes "
        f"fell inside its 80% ranges (a well-calibrated range holds about 80%)."
    )
    if len(scored) >= MIN_SCORED_TO_NAME_MISSES:
        worst = scored.sort_values("abs_error_pct", ascending=False).head(2)
        share = worst["abs_error_pct"].sum() / scored["abs_error_pct"].sum()
        rest = scored.drop(index=worst.index)["abs_error_pct"].mean()
        misses = " and ".join(
            f"{html.escape(analysis.inputs.display_name(r.maker))} {r.target_year} "
            f"({r.error_pct:+.0f}%)"
            for r in worst.itertuples()
        )
        text += (
            f" The two largest misses, {misses}, make up {share:.0%} of the total error; the "
            f"other {len(scored) - 2} maker-years average {rest:.1f}%."
        )
    if hindsight is not None:
        ranked = sorted(hindsight.weights.items(), key=lambda kv: -kv[1])
        blend = (
            f"{LABELS[ranked[0][0]]} alone"
            if ranked[0][1] >= 0.995
            else "weights: " + ", ".join(f"{LABELS[m]} {w:.0%}" for m, w in ranked)
        )
        text += (
            f" Even the best fixed blend of these forecasts, chosen knowing the outcomes, misses "
            f"by {hindsight.mape_pct:.1f}% ({blend}): the years that miss most broke with the "
            f"trend that every method reads from past deliveries."
        )
    return text


def calibration_markdown(analysis: Analysis) -> str:
    """The interval factor applied to the answer."""
    return f"Interval factor applied to the answer: **{analysis.forecast.calibration:.2f}**."


def caveats_markdown(analysis: Analysis) -> str:
    """The caveats that depend on the maker, its target and the data: a Markdown list."""
    inputs, headline = analysis.inputs, analysis.headline
    name = html.escape(inputs.name)
    lines = []
    if inputs.maker.note:
        lines.append(f"- {name} in the data: {html.escape(inputs.maker.note)}.")
    sourced = [t for t in (inputs.stated_target, inputs.internal_target) if t is not None]
    if sourced:
        cited = "; ".join(f"{t.value:,.0f} ({html.escape(t.note)}, {t.as_of})" for t in sourced)
        lines.append(f"- {name}'s sourced targets for {inputs.settings.target_year}: {cited}.")
    lines.append(
        f"- The backtest scores {headline.cases} maker-years in its headline set, so the weights "
        "and the interval calibration are noisy and the scores move with the seed."
    )
    return "\n".join(lines)


def record(analysis: Analysis) -> None:
    """Record the notebook's headline numbers with `lib.results` (names and units are read by the
    summary, history.csv and the tests: keep them)."""
    name, cutoff = analysis.inputs.name, analysis.inputs.settings.cutoff
    projection, headline, hindsight = analysis.projection, analysis.headline, analysis.hindsight
    arithmetic, internal_units = analysis.arithmetic, analysis.internal_units
    target, year = arithmetic.target_units, arithmetic.target_year
    results.record(
        "p_reach_target",
        projection.p_reach_target,
        "probability",
        f"chance {name} delivers at least {target:,.0f} vehicles in {year} (data to {cutoff})",
        role="headline",
    )
    if internal_units is not None:
        results.record(
            "p_reach_internal_target",
            projection.probability(internal_units),
            "probability",
            f"chance {name} delivers at least the internal target of {internal_units:,.0f} in {year}",
            role="supporting",
        )
    results.record(
        "forecast_median_units",
        projection.median,
        "units",
        f"median forecast of {name}'s {year} deliveries; 10th-90th percentile",
        low=projection.p10,
        high=projection.p90,
        role="supporting",
    )
    results.record(
        "required_growth_pct",
        arithmetic.required_growth_pct,
        "pct",
        f"growth over {arithmetic.last_full_year} deliveries that the target needs",
        role="supporting",
    )
    results.record(
        "required_monthly_run_rate_units",
        arithmetic.required_monthly_run_rate_units,
        "units",
        f"average deliveries a month the {len(arithmetic.missing_months)} unreported months of {year} need",
    )
    results.record(
        "latest_run_rate_units",
        arithmetic.latest_run_rate_units,
        "units",
        f"average monthly deliveries in {', '.join(arithmetic.latest_run_rate_months)}",
    )
    results.record(
        "backtest_mape_chosen_pct",
        headline.mape_chosen_pct,
        "pct",
        "mean absolute error of the combination's next-year totals in the backtest",
    )
    results.record(
        "backtest_mape_best_naive_pct",
        headline.mape_best_naive_pct,
        "pct",
        f"the same for the best naive rule ({headline.best_naive_label})",
    )
    results.record(
        "backtest_coverage80_chosen_pct",
        headline.coverage80_chosen_pct,
        "pct",
        "share of backtest outcomes inside the combination's 80% interval",
    )
    if hindsight is not None:
        results.record(
            "backtest_mape_hindsight_blend_pct",
            hindsight.mape_pct,
            "pct",
            "mean absolute error of the best fixed blend of the backtest's forecasts, chosen "
            "knowing the outcomes (a bound, not a forecast)",
        )
    results.record(
        "backtest_cases",
        headline.cases,
        "count",
        "maker-years scored (the year and the two before it complete)",
    )
    results.record("target_units", target, "units", f"delivery target tested for {name} in {year}")
    results.record("target_year", year, "year", "calendar year of the target")
    results.record(
        "target_stated",
        float(analysis.inputs.target_is_stated),
        "yes/no",
        f"1 when the target is {name}'s own stated target for {year}, 0 when it is not "
        f"({analysis.inputs.target_basis.replace('_', ' ')})",
    )
    if analysis.forecast.runs:  # a call on a year still open, for the runs that score it later
        results.record_table(
            CALL_TABLE,
            call_row(analysis.inputs.maker.key, year, target, cutoff, projection),
            "units",
            f"this run's call on {name}'s {year} target, scored once the year is complete",
        )


def _suffix(k: int) -> str:
    return "dec" if k == 0 else f"k{k}"


def peers_markdown(scores: PeerScores | None) -> str:
    """The method's skill against the peers and naive rules, at each horizon shown, in words."""
    if scores is None:
        return "The comparison with other forecasters has not been computed (`make peers`)."
    lines = []
    for k in SHOWN_HORIZONS:
        best = scores.best_peer(k)
        own, peer = scores.score("combination", k, "crps_pct"), scores.score(best, k, "crps_pct")
        coverage = scores.score("combination", k, "coverage80_pct")
        when = "December before" if k == 0 else f"{k} months reported"
        lines.append(
            f"- {when}: CRPS {own:.1f}% of the actual against {peer:.1f}% for the best other "
            f"forecaster ({PEER_LABELS.get(best, LABELS.get(best, best))}), "
            f"{1 - own / peer:+.0%} skill; {coverage:.0f}% of outcomes inside its 80% ranges."
        )
    return (
        f"Scored on data to {scores.data_through} (CRPS: the average distance between the "
        "forecast distribution and the outcome; lower is better, and skill is how much lower "
        "than the best other forecaster):\n\n" + "\n".join(lines)
    )


def record_peers(scores: PeerScores | None) -> None:
    """Record the combination's and the best peer's scores at December cutoffs and with 3, 6
    and 9 months reported (percent of the actual; coverage in percent)."""
    if scores is None:
        return
    names = {
        "crps_pct": "CRPS",
        "interval_score_pct": "interval score",
        "mape_pct": "mean abs. error",
        "coverage80_pct": "80% coverage",
    }
    for k in SHOWN_HORIZONS:
        best = scores.best_peer(k)
        for score, words in names.items():
            for who, method in (("", "combination"), ("best_peer_", best)):
                results.record(
                    f"{who}{score}_{_suffix(k)}",
                    scores.score(method, k, score),
                    "pct",
                    f"{words} of {PEER_LABELS.get(method, LABELS.get(method, method))} with {k} "
                    f"months of the year reported (rolling origin, data to {scores.data_through})",
                )


# ---------------------------------------------------------------------------------------------
# A complete year: the outcome and the calls made during it (`lib.sales.resolution`)


def resolution_markdown(resolution: Resolution) -> str:
    """A complete year in words: the outcome against the target, how the call moved over the
    year, how often its range held the outcome, and the Brier and log scores of the calls."""
    name, year = html.escape(resolution.name), resolution.year
    if not resolution.resolved:
        return f"**{year} cannot be scored for {name}:** {html.escape(resolution.reason)}."
    verb = "above" if resolution.reached else "below"
    text = (
        f"**{year} is complete: {name} delivered {resolution.outcome_units:,.0f} vehicles, "
        f"{abs(resolution.margin_pct):.1f}% {verb} {html.escape(resolution.target_words)}.** "
        f"{_basis_sentence(resolution)}"
    )
    calls = resolution.scored
    if calls.empty:
        return text + " No call on the year could be made or reconstructed from the data then."
    said = "; ".join(
        f"{_month_end_words(int(row.months_reported))} {row.p_target:.0%} "
        f"(80% range {row.p10:,.0f}-{row.p90:,.0f})"
        for row in calls.itertuples()
        if row.months_reported in (0, 3, 6, 9, 11)
    )
    inside = int(calls["inside80"].astype(bool).sum())
    reconstructed = int((calls["source"] == "reconstructed").sum())
    text += (
        f" The chance this method gave it: {said}. Its 80% range held the outcome at "
        f"{inside} of {len(calls)} month-ends. Over the {len(calls)} calls the Brier score is "
        f"{resolution.brier:.3f} and the log score {resolution.log_score:.3f} (lower is better; "
        f"a constant 50% call scores {UNINFORMED_BRIER:.3f} and {UNINFORMED_LOG:.3f}). "
        f"{len(calls) - reconstructed} of the calls come from earlier runs, {reconstructed} are "
        f"reconstructed from the data known at each month-end."
    )
    return text


def _basis_sentence(resolution: Resolution) -> str:
    name, year = html.escape(resolution.name), resolution.year
    if resolution.target_basis == "stated":
        return f"The target is {name}'s own, as stated for {year} (data/assumptions.csv)."
    if resolution.target_basis == "initial":
        return (
            f"The target is the first one {name} stated for {year} for its own series "
            f"(data/targets.csv; later revisions are not what the year is judged against)."
        )
    if resolution.target_basis == "last_year":
        return (
            f"{name} stated no target for {year} in the data (data/assumptions.csv, "
            f"data/targets.csv): the question scored is whether it beat its {year - 1} total."
        )
    return "The target is this report's parameter."


def _month_end_words(k: int) -> str:
    return "the December before" if k == 0 else f"{k} months in"


def record_resolution(resolution: Resolution) -> None:
    """Record the complete year's outcome and the scores of the calls made during it."""
    name, year = resolution.name, resolution.year
    results.record("resolved_year", year, "year", f"the complete year {name}'s calls are scored on")
    if not resolution.resolved:
        return
    results.record(
        "resolved_outcome_units",
        resolution.outcome_units,
        "units",
        f"{name}'s deliveries in {year}, against a target of {resolution.target_units:,.0f} ({resolution.target_basis})",
    )
    results.record(
        "resolved_target_units", resolution.target_units, "units", resolution.target_words
    )
    results.record(
        "resolved_vs_target_pct",
        resolution.margin_pct,
        "pct",
        f"{name}'s {year} deliveries above (+) or below (-) the target",
    )
    calls = resolution.scored
    if calls.empty:
        return
    results.record(
        "resolved_brier",
        resolution.brier,
        "score",
        f"Brier score of the {len(calls)} month-end calls on {name}'s {year} target (0.25: a constant 50%)",
    )
    results.record(
        "resolved_log_score",
        resolution.log_score,
        "score",
        f"log score of the same calls ({UNINFORMED_LOG:.3f}: a constant 50%)",
    )
    results.record(
        "resolved_calls",
        len(calls),
        "count",
        f"month-end calls on {name}'s {year} target scored ({int((calls['source'] == 'reconstructed').sum())} reconstructed)",
    )
