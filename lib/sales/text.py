"""The prose of notebook 01, built from the `Analysis`: the answer, how good the forecast has
been (its backtest, this maker's own years in it, other forecasters, earlier runs), the complete
year scored, and the caveats. Text from data (names, notes) is escaped: the renderer shows HTML
as text. Only this maker is named, except in the tables that label other makers' rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lib import data, tables
from lib.sales import names
from lib.sales.analysis import Analysis
from lib.sales.evaluation import (
    LABELS,
    PEER_LABELS,
    RUN_RATE,
    SHOWN_HORIZONS,
    STATSFORECAST,
    PeerScores,
)
from lib.sales.models import MODEL_LABELS
from lib.sales.resolution import UNINFORMED_BRIER, UNINFORMED_LOG, Resolution
from lib.sales.track import coverage

# Misses that, when this many maker-years are scored, are worth naming as the largest.
MIN_SCORED_TO_NAME_MISSES = 4


def answer_markdown(analysis: Analysis) -> str:
    """The answer in two to six sentences; the outcome of a backtest (data after the cutoff) is
    compared last, never used before. A target year the data hold in full is answered by its
    resolution: the outcome and how the calls made during the year fared. Either way the last
    line says how good earlier answers were (`record_line`)."""
    resolution = analysis.resolution
    if resolution is not None and resolution.year == analysis.inputs.settings.target_year:
        return resolution_markdown(resolution)
    return _open_year_answer(analysis) + "\n\n" + record_line(analysis)


def _open_year_answer(analysis: Analysis) -> str:
    name = tables.plain(analysis.inputs.name)
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
    text += _target_source(analysis) + _definition_sentence(analysis)
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
            f"{headline.coverage80_chosen_pct:.0f}% of outcomes; {own_years_words(analysis)}."
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
            f" The data hold no {tables.plain(inputs.name)} target for {settings.target_year} "
            f"(data/makers.csv, {data.ASSUMPTIONS.filename}): the chance shown is that of "
            f"beating its {settings.target_year - 1} total, not of reaching a target."
        )
    return (
        f" The target of {settings.target_units:,.0f} is this report's parameter: "
        f"{data.ASSUMPTIONS.filename} holds no {tables.plain(inputs.name)} target of that size "
        f"for {settings.target_year}."
    )


def own_years_words(analysis: Analysis) -> str:
    """Whether the pooled backtest covers this maker, and its own error there: a pooled error is
    quoted for a maker only with what it says about that maker."""
    own, name = analysis.own_scored, tables.plain(analysis.inputs.name)
    if own.empty:
        return (
            f"not one of those years is {name}'s, so the method has no scored year for {name} "
            f"and its error on {name}'s series is unknown"
        )
    years = ", ".join(str(int(y)) for y in sorted(own["target_year"]))
    return (
        f"{len(own)} of those years {'is' if len(own) == 1 else 'are'} {name}'s ({years}), "
        f"missed by {own['abs_error_pct'].mean():.1f}% on average"
    )


def _definition_sentence(analysis: Analysis) -> str:
    """When the target may not count what the monthly series counts: say so (a target of
    another scope in the targets table, or a maker whose series and reported totals differ)."""
    inputs, arithmetic = analysis.inputs, analysis.arithmetic
    if not inputs.target_is_stated and inputs.target_basis != "last_year":
        return ""  # the analyst's number: no definition of the maker's to compare
    from_series = (  # last year's total summed from the series itself: the same definition
        inputs.target_basis == "last_year"
        and arithmetic.last_full_year == arithmetic.target_year - 1
        and abs(arithmetic.last_full_year_units - arithmetic.target_units) < 0.5
    )
    if from_series:
        return ""
    name, caveat = tables.plain(inputs.name), inputs.maker.series_caveat
    if inputs.target_scope not in ("", "series"):
        return (
            f" The target counts {name}'s {tables.plain(inputs.target_scope)} deliveries "
            f"(data/targets.csv), not the monthly series the models forecast: the chance is that "
            f"of the series reaching the same number, not a like-for-like test."
        )
    if caveat:
        return (
            f" The target and the monthly series may not count the same vehicles "
            f"({tables.plain(caveat)}): read the chance with that difference in mind."
        )
    return ""


def record_line(analysis: Analysis) -> str:
    """One line on how good earlier answers were: the method's calls on every resolved stated
    target (Brier score against the base rate and the naive run-rate), linking to the record."""
    record = analysis.target_record
    link = f"[the target record]({names.RECORD_SECTION})"
    if record is None or not int(record.scores["calls"].iloc[0]):
        return f"How good such calls have been: no resolved stated target to score yet; see {link}."
    table = record.scores
    return (
        f"How good such calls have been: on {int(table['calls'].iloc[0])} month-end calls on "
        f"{int(table['maker_years'].iloc[0])} resolved targets that makers stated, this method's "
        f"Brier score was {record.score('method'):.3f}, against {record.score('base_rate'):.3f} "
        f"for the base rate and {record.score('run_rate'):.3f} for a naive run-rate rule (lower "
        f"is better); see {link}."
    )


def target_record_markdown(analysis: Analysis) -> str:
    """The record in words: how often makers reach their initial targets, this maker's own
    years, and how the method's calls scored against its two rivals."""
    record = analysis.target_record
    if record is None or record.table.empty:
        return "No stated targets are in the data (data/targets.csv)."
    name, resolved = tables.plain(analysis.inputs.name), record.resolved
    if resolved.empty:
        return "No maker-year with a stated initial target is complete in the data yet."
    reached = int(resolved["reached"].astype(bool).sum())
    lines = [
        f"**Makers reached their initial target in {reached} of {len(resolved)} complete "
        f"maker-years ({record.base_rate_pct:.0f}%); the median outcome was "
        f"{record.median_vs_initial_pct:+.0f}% against the target.** {_own_record(record, name)}"
    ]
    table = record.scores
    calls = int(table["calls"].iloc[0])
    if not calls:
        lines.append(
            "No call on those targets can be scored yet (the method needs the year "
            "before complete, and the target's statement dated)."
        )
        return "\n\n".join(lines)
    lines.append(
        f"At the {calls} month-ends from each statement on ({int(table['maker_years'].iloc[0])} "
        f"maker-years), this method's chance of the target scored a Brier score of "
        f"{record.score('method'):.3f} and a log score of {record.score('method', 'log_score'):.3f}; "
        f"the base rate {record.score('base_rate'):.3f} and "
        f"{record.score('base_rate', 'log_score'):.3f}; the naive run-rate "
        f"{record.score('run_rate'):.3f} and {record.score('run_rate', 'log_score'):.3f} "
        f"(lower is better; a constant 50%: {UNINFORMED_BRIER:.3f} and {UNINFORMED_LOG:.3f}). "
        f"{_verdict(record)}"
    )
    return "\n\n".join(lines)


def _own_record(record, name: str) -> str:
    own = record.own[record.own["resolved"]]
    if own.empty:
        return f"No year of {name}'s with a stated target is complete in the data."
    years = ", ".join(f"{r.year} {r.vs_initial_pct:+.0f}%" for r in own.itertuples(index=False))
    reached = int(own["reached"].astype(bool).sum())
    return f"{name} reached {reached} of {len(own)} ({years} against the initial target)."


def _verdict(record) -> str:
    """Which forecaster did best on the Brier score, in plain words, with the sample's size."""
    briers = {rival: record.score(rival) for rival in ("method", "base_rate", "run_rate")}
    best = min(briers, key=briers.get)
    few = (
        " Few maker-years: read the ranking as tentative."
        if int(record.scores["maker_years"].iloc[0]) < 10
        else ""
    )
    said = {"method": "This method", "base_rate": "The base rate", "run_rate": "The naive run-rate"}
    return f"{said[best]} scored best.{few}"


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
            f"{_whose(analysis, r.maker)} {r.target_year} ({r.error_pct:+.0f}%)"
            for r in worst.itertuples()
        )
        text += (
            f" The two largest misses, {misses}, make up {share:.0%} of the total error; the "
            f"other {len(scored) - 2} maker-years average {rest:.1f}% (each maker-year is a row "
            f"of the backtest table above)."
        )
    own = own_years_words(analysis)
    text += f" {own[0].upper()}{own[1:]}."
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


def _whose(analysis: Analysis, maker: str) -> str:
    """This maker by name; any other as "another maker's" (named only in the labelled table)."""
    if maker == analysis.inputs.maker.key:
        return tables.plain(analysis.inputs.name) + "'s"
    return "another maker's"


def calibration_markdown(analysis: Analysis) -> str:
    """The interval factor applied to the answer."""
    return f"Interval factor applied to the answer: **{analysis.forecast.calibration:.2f}**."


def caveats_markdown(analysis: Analysis) -> str:
    """The caveats that depend on the maker, its target and the data: a Markdown list."""
    inputs, headline = analysis.inputs, analysis.headline
    name = tables.plain(inputs.name)
    lines = []
    if inputs.maker.note:
        lines.append(f"- {name} in the data: {tables.plain(inputs.maker.note)}.")
    sourced = [t for t in (inputs.stated_target, inputs.internal_target) if t is not None]
    if sourced:
        cited = "; ".join(f"{t.value:,.0f} ({tables.plain(t.note)}, {t.as_of})" for t in sourced)
        lines.append(f"- {name}'s sourced targets for {inputs.settings.target_year}: {cited}.")
    lines.append(
        f"- The backtest scores {headline.cases} maker-years in its headline set, so the weights "
        "and the interval calibration are noisy and the scores move with the seed."
    )
    return "\n".join(lines)


def peers_markdown(analysis: Analysis) -> str:
    """The method's skill against the peers and naive rules, at each horizon shown, in words."""
    scores = analysis.peer_scores
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
        year_markdown(scores)
        + f"\n\nScored on data to {scores.data_through} (CRPS: the average distance between the "
        "forecast distribution and the outcome; lower is better, and skill is how much lower "
        "than the best other forecaster):\n\n" + "\n".join(lines)
    )


def _against(scores: PeerScores, other: str, score: str) -> str:
    """'9.7% against 10.9% for the run-rate rule on the 132 forecasts both made (-11%, paired
    95% interval -33% to +13%: no clear difference)' and the like."""
    paired = scores.versus(other, score)
    unit = "%" if score == "crps_pct" else ""
    if paired is None:
        own = scores.year_score(scores.answer_method, score)
        return f"{own:.1f}{unit} against {scores.year_score(other, score):.1f}{unit}"
    low, high = paired["low"], paired["high"]
    verdict = "lower" if high < 0 else "higher" if low > 0 else "no clear difference"
    return (
        f"{paired['mean']:.1f}{unit} against {paired['other_mean']:.1f}{unit} for "
        f"{_RIVALS[other]} on the {int(paired['cases'])} forecasts both made "
        f"({paired['ratio']:+.0%}, paired 95% interval {low:+.0%} to {high:+.0%}: {verdict})"
    )


_RIVALS = {RUN_RATE: "the last 3 months' run-rate", STATSFORECAST: "statsforecast's mean"}


def year_markdown(scores: PeerScores | None) -> str:
    """One sentence on the whole year (k = 0..11): the answer's method's mean CRPS and interval
    score against the run-rate rule's and statsforecast's, with the paired intervals, then which
    method answers and why, and the monthly bands' coverage."""
    if scores is None or scores.year is None:
        return "The whole-year comparison has not been computed (`make peers`)."
    answer = scores.answer_method
    counts = scores.maker_years or {}
    text = (
        f"**Over the whole year (the twelve month-ends from the December before to November, "
        f"{counts.get('headline', 0)} maker-years; {counts.get('all', 0)} with those whose "
        f"two previous years are not both complete), {LABELS.get(answer, answer).lower()} "
        f"scored a mean CRPS (percent of the outcome) of "
        f"{_against(scores, RUN_RATE, 'crps_pct')}, and of "
        f"{_against(scores, STATSFORECAST, 'crps_pct')}; its mean interval score was "
        f"{_against(scores, RUN_RATE, 'interval_score_pct')}, and "
        f"{_against(scores, STATSFORECAST, 'interval_score_pct')}.**"
    )
    return text + " " + _which_answers(scores) + _bands_sentence(scores)


def _which_answers(scores: PeerScores) -> str:
    """Which method answers, and why: the lowest mean CRPS of the methods the notebook runs."""
    answer, stacked = scores.answer_method, "stacked"
    own, other = scores.year_score(answer, "crps_pct"), scores.year_score(stacked, "crps_pct")
    name = LABELS.get(answer, answer).lower()
    if np.isnan(other):  # the stacked method was not evaluated
        return f"The answer is {name}'s."
    if own <= other:
        return (
            f"The answer is {name}'s: of the methods this notebook runs it has the lowest mean "
            f"CRPS; stacking the models and naive rules with weights fitted per month-end on "
            f"earlier years scored {other:.1f}%."
        )
    return (
        f"Stacking the models and naive rules scored {other:.1f}%, lower than {name}'s, but "
        f"the answer is still {name}'s: the notebook does not answer with the stacked method yet."
    )


def _bands_sentence(scores: PeerScores) -> str:
    bands = scores.monthly_bands or {}
    rolling, later = bands.get("rolling") or {}, bands.get("out_of_sample") or {}
    if not rolling.get("months"):
        return ""
    text = (
        f" Month by month, its 80% bands held {rolling['inside80_pct']:.0f}% of "
        f"{rolling['months']:,} months in the rolling-origin evaluation"
    )
    if later.get("months"):
        text += (
            f" and {later['inside80_pct']:.0f}% of the {later['months']} maker-months published "
            f"after {later['data_through']}, forecast from the data frozen then"
        )
    return text + " (about 80% is right)."


# ---------------------------------------------------------------------------------------------
# A complete year: the outcome and the calls made during it (`lib.sales.resolution`)


def resolution_markdown(resolution: Resolution) -> str:
    """A complete year in words: the outcome against the target, how the call moved over the
    year, how often its range held the outcome, and the Brier and log scores of the calls."""
    name, year = tables.plain(resolution.name), resolution.year
    if not resolution.resolved:
        return f"**{year} cannot be scored for {name}:** {tables.plain(resolution.reason)}."
    verb = "above" if resolution.reached else "below"
    text = (
        f"**{year} is complete: {name} delivered {resolution.outcome_units:,.0f} vehicles, "
        f"{abs(resolution.margin_pct):.1f}% {verb} {tables.plain(resolution.target_words)}.** "
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
    name, year = tables.plain(resolution.name), resolution.year
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


# ---------------------------------------------------------------------------------------------
# The track record: earlier runs' forecasts against the months since (`lib.sales.track`)


def track_markdown(analysis: Analysis) -> str:
    """The track record in words: earlier runs' forecasts against the months since (or that
    there is none), then the method's record at the last month-ends."""
    scored, month_ends = analysis.track_scored, analysis.track_month_ends
    name = tables.plain(analysis.inputs.name)
    if scored.empty:
        lines = [
            "No earlier finished run recorded monthly forecasts for months reported since "
            "(a fresh clone, or runs older than this record): the rolling-origin record below "
            "stands in for it."
        ]
    else:
        total = coverage(scored).iloc[0]
        lines = [
            track_sentence(scored, analysis.inputs.maker.key, name),
            f"Over every earlier run and maker, {total['inside80_pct']:.0f}% of "
            f"{int(total['months'])} months reported since fell inside the 80% bands (about 80% "
            f"is right) and the mean PIT is {total['mean_pit']:.2f} (0.5 is unbiased; below, "
            f"the forecasts were too high).",
        ]
    if len(month_ends):
        inside = int(month_ends["inside80"].sum())
        lines.append(
            f"At the last {len(month_ends)} month-ends whose year has ended "
            f"({month_ends['cutoff'].iloc[0]} to {month_ends['cutoff'].iloc[-1]}), this "
            f"method's 80% range for {name}'s total of the year held the outcome {inside} times "
            f"({100 * inside / len(month_ends):.0f}%); its median was off by "
            f"{month_ends['error_pct'].abs().mean():.1f}% on average."
        )
    else:
        lines.append(f"The rolling-origin evaluation has no ended year for {name} (`make peers`).")
    return "\n\n".join(line for line in lines if line)


def track_sentence(scored: pd.DataFrame, maker: str, name: str) -> str:
    """'The forecast made from data to 2026-06 expected ... and the months came in at ...' for the
    latest earlier forecast of `maker` with months reported since; empty when there is none."""
    own = scored[scored["maker"] == maker]
    if own.empty:
        return ""
    latest = own[own["run_id"] == own["run_id"].max()]
    latest = latest[latest["data_to"] == latest["data_to"].max()].sort_values("month")
    expected = " / ".join(f"{v:,.0f}" for v in latest["q50"])
    came = " / ".join(f"{v:,.0f}" for v in latest["actual"])
    months = ", ".join(latest["month"])
    inside = int(latest["inside80"].sum())
    return (
        f"The forecast of {name} made from data to {latest['data_to'].iloc[0]} (run "
        f"{latest['run_id'].iloc[0]}) expected a median of {expected} for {months}, and the "
        f"months came in at {came}: {inside} of {len(latest)} inside its 80% bands."
    )
