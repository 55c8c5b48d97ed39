"""Tables for readers of the sales analysis: each function takes the `Analysis` and returns
escaped Styler tables (`lib.tables.reader_table`, with this package's number formats and column
labels). Functions named `..._tables` return a list (display them with `display(*tables)`): a
table with nothing to say is left out."""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from lib import tables
from lib.sales.analysis import Analysis
from lib.sales.evaluation import SHOWN_HORIZONS, year_scores
from lib.sales.inputs import is_complete, reported_annual_totals
from lib.sales.models import (
    CURVE_HALF_LIFE_MONTHS,
    MIN_OBSERVED_MONTHS,
    MODEL_LABELS,
    OUTLIER_SD,
    SARIMAX_ORDER,
    SARIMAX_SEASONAL_ORDER,
)
from lib.sales.seasonality import CNY_WINDOW_DAYS
from lib.sales.simulation import CALIBRATION_RANGE, MIN_SCORED_FOR_CALIBRATION

NO_SOURCE = "assumption (no source)"


def annual_totals_table(analysis: Analysis) -> Styler:
    """The sum of the monthly figures per year against the company's reported annual total."""
    inputs = analysis.inputs
    frame = reported_annual_totals(inputs.series, inputs.financials, inputs.maker)
    return _table(frame, hide_index=False)


def needs_table(analysis: Analysis) -> Styler:
    """The target's arithmetic as a two-column table."""
    arithmetic = analysis.arithmetic
    rate_months = ", ".join(arithmetic.latest_run_rate_months)
    if arithmetic.last_full_year is None:  # no complete year before the target year
        rows = [("last full year", "none in the data"), ("growth the target needs", "n/a")]
    else:
        rows = [
            (
                f"deliveries in {arithmetic.last_full_year}",
                f"{arithmetic.last_full_year_units:,.0f}",
            ),
            ("growth the target needs over it", f"{arithmetic.required_growth_pct:+.1f}%"),
        ]
    rows += [
        (
            f"reported so far in {arithmetic.target_year}",
            f"{arithmetic.reported_units:,.0f} ({len(arithmetic.reported_months)} months)",
        ),
        ("months not yet reported", ", ".join(arithmetic.missing_months) or "none"),
        ("needed per missing month", f"{arithmetic.required_monthly_run_rate_units:,.0f}"),
        ("latest run-rate", f"{arithmetic.latest_run_rate_units:,.0f} ({rate_months})"),
    ]
    return _table(pd.DataFrame(rows, columns=["quantity", "value"]))


def _cited(assumption) -> str:
    return f"{assumption.note}, {assumption.as_of}: {assumption.source_url}"


def assumptions_table(analysis: Analysis) -> Styler:
    """What the analysis assumes, with sources: the targets, the holiday dates and the model
    settings (labelled "assumption (no source)" when they are modelling choices)."""
    inputs, settings = analysis.inputs, analysis.inputs.settings
    target = f"{settings.target_units:,.0f}"
    if inputs.target_is_stated:
        rows = [("target_units", target, _cited(inputs.stated_target))]
    else:
        rows = [("target_units", target, "parameter set by the analyst (no source)")]
    if inputs.internal_target is not None:
        internal = inputs.internal_target
        rows.append(("internal target", f"{internal.value:,.0f}", _cited(internal)))
    holidays = inputs.holidays
    before, after = -CNY_WINDOW_DAYS[0], CNY_WINDOW_DAYS[1]
    low, high = CALIBRATION_RANGE
    least = ", ".join(
        f"{MODEL_LABELS[m].split(' (')[0]}: {n} months" for m, n in MIN_OBSERVED_MONTHS.items()
    )
    rows += [
        (
            "Chinese New Year dates",
            f"{holidays['year'].min()}-{holidays['year'].max()}",
            holidays["source_url"].iloc[0],
        ),
        ("holiday window", f"{before} days before to {after} days after New Year's Day", NO_SOURCE),
        (
            "SARIMAX",
            f"{SARIMAX_ORDER}x{SARIMAX_SEASONAL_ORDER} on log deliveries; months beyond {OUTLIER_SD} sd treated as missing",
            NO_SOURCE,
        ),
        ("ETS", "multiplicative error and season, damped additive trend", NO_SOURCE),
        (
            "growth curve",
            f"logistic, last {settings.curve_window_months} months, weights halve every {CURVE_HALF_LIFE_MONTHS:.0f} months",
            NO_SOURCE,
        ),
        ("least history", least, NO_SOURCE),
        (
            "interval calibration",
            f"needs {MIN_SCORED_FOR_CALIBRATION} scored maker-years; factor kept in [{low:g}, {high:g}]",
            NO_SOURCE,
        ),
    ]
    return _table(pd.DataFrame(rows, columns=["assumption", "value", "source"]))


def model_tables(analysis: Analysis) -> list[Styler]:
    """Per model that ran: weight, range and residual checks; then the models that did not run
    and why (when any)."""
    shown = [_table(analysis.diagnostics)]
    skipped = analysis.forecast.skipped
    if skipped:
        reasons = pd.DataFrame(
            {
                "model": [MODEL_LABELS[m] for m in skipped],
                "why it did not run": list(skipped.values()),
            }
        )
        shown.append(_table(reasons))
    return shown


def backtest_tables(analysis: Analysis) -> list[Styler]:
    """The backtest per method, then per scored maker-year."""
    return [
        _table(analysis.summary.drop(columns=["method"])),
        _table(backtest_detail(analysis)),
    ]


def backtest_detail(analysis: Analysis) -> pd.DataFrame:
    """One row per scored maker-year: actual total, the combination's median and 80% interval
    (vehicles), its error and the errors of the Q4 run-rate and last-year rules (percent)."""
    rows = analysis.backtest.rows
    key = ["maker", "target_year"]
    combination = rows[rows["method"] == "combination"].set_index(key)
    q4 = rows[rows["method"] == "q4_run_rate"].set_index(key)["error_pct"]
    last = rows[rows["method"] == "last_year_total"].set_index(key)["error_pct"]
    q4, last = q4.reindex(combination.index), last.reindex(combination.index)
    table = pd.DataFrame(
        {
            "actual": combination["actual"],
            "median": combination["median"],
            "interval": [
                f"{a:,.0f} - {b:,.0f}"
                for a, b in zip(combination["p10"], combination["p90"], strict=True)
            ],
            "error_pct": combination["error_pct"],
            "covered": combination["covered"].map({1.0: "yes", 0.0: "no"}),
            "q4_run_rate_error_pct": q4,
            "last_year_total_error_pct": last,
            "headline": combination["headline"].map({True: "yes", False: "no"}),
        }
    ).reset_index()
    table["maker"] = table["maker"].map(analysis.inputs.display_name)
    return table.sort_values(["target_year", "maker"], ignore_index=True)


def weights_tables(analysis: Analysis) -> list[Styler]:
    """The combination's weight for each model that ran, and the interval factor per backtest year."""
    weights = analysis.forecast.weights
    frame = pd.DataFrame(
        {"model": [MODEL_LABELS[m] for m in weights], "weight": list(weights.values())}
    )
    return [_table(frame), _table(analysis.backtest.calibration)]


def horizon_tables(analysis: Analysis) -> list[Styler]:
    """Scores of the combination, its models, the statsforecast peers and the naive rules at
    December cutoffs and with 3, 6 and 9 months of the year reported, best CRPS first (none
    when the comparison has not been computed)."""
    scores = analysis.peer_scores
    if scores is None:
        return []
    shown = [year_table(scores)] if scores.year is not None else []
    summary = scores.summary[scores.summary["months_reported"].isin(SHOWN_HORIZONS)]
    frame = summary.sort_values(["months_reported", "crps_pct"])[
        [
            "months_reported",
            "label",
            "cases",
            "mape_pct",
            "median_ape_pct",
            "bias_pct",
            "coverage80_pct",
            "interval_score_pct",
            "crps_pct",
        ]
    ]
    return [*shown, _table(frame.reset_index(drop=True))]


def year_table(scores) -> Styler:
    """Every method's scores averaged over k = 0..11, best CRPS first, with the answer's method's
    mean CRPS and interval score against each as a ratio and its paired 95% interval."""
    table = year_scores(scores)
    for stem in ("crps", "interval_score"):
        table[f"answer_vs_{stem}"] = [
            "" if ratio != ratio else f"{ratio:+.0%} [{low:+.0%}, {high:+.0%}]"
            for ratio, low, high in zip(
                *(table[f"answer_vs_{stem}_{part}"] for part in ("ratio", "low", "high")),
                strict=True,
            )
        ]
    columns = ["label", "maker_years", "cases", "crps_pct", "interval_score_pct"]
    columns += ["coverage80_pct", "mape_pct", "answer_vs_crps", "answer_vs_interval_score"]
    return _table(table[columns])


def comparison_tables(analysis: Analysis) -> list[Styler]:
    """The projection for every maker (a labelled comparison: the one table of this report that
    names other makers with their numbers); then why some makers have none (when any)."""
    comparison = analysis.comparison
    shown = [_table(comparison.drop(columns="why_not"))]
    unforecast = comparison[comparison["why_not"] != ""]
    if len(unforecast):
        shown.append(_table(unforecast[["maker", "why_not"]]))
    return shown


TABLE_FORMATS = {
    "sum_of_months": "{:,.0f}",
    "reported_total": "{:,.0f}",
    "difference_pct": "{:+.2f}%",
    "weight": "{:.2f}",
    "p10_units": "{:,.0f}",
    "median_units": "{:,.0f}",
    "p90_units": "{:,.0f}",
    "ljung_box_p": "{:.2f}",
    "mape_pct": "{:.1f}%",
    "median_ape_pct": "{:.1f}%",
    "bias_pct": "{:+.1f}%",
    "coverage80_pct": "{:.0f}%",
    "interval_score_pct": "{:.1f}%",
    "crps_pct": "{:.1f}%",
    "actual": "{:,.0f}",
    "median": "{:,.0f}",
    "p10": "{:,.0f}",
    "p90": "{:,.0f}",
    "error_pct": "{:+.1f}%",
    "q4_run_rate_error_pct": "{:+.1f}%",
    "last_year_total_error_pct": "{:+.1f}%",
    "factor": "{:.2f}",
    "last_full_year": "{:.0f}",
    "last_full_year_units": "{:,.0f}",
    "reported_units": "{:,.0f}",
    "median_growth_pct": "{:+.0f}%",
    "q10": "{:,.0f}",
    "q50": "{:,.0f}",
    "q90": "{:,.0f}",
    "pit": "{:.2f}",
    "p_target": "{:.0%}",
    "initial_units": "{:,.0f}",
    "revised_units": "{:,.0f}",
    "outcome_units": "{:,.0f}",
    "vs_initial_pct": "{:+.0f}%",
    "brier": "{:.3f}",
    "log_score": "{:.3f}",
    "mean_said_pct": "{:.0f}%",
    "reached_pct": "{:.0f}%",
}


COLUMN_LABELS = {
    "months_reported": "months reported",
    "sum_of_months": "sum of months",
    "reported_total": "reported total",
    "reported_flag": "reported figure",
    "difference_pct": "difference",
    "p10_units": "10th percentile",
    "median_units": "median",
    "p90_units": "90th percentile",
    "residual_months": "residual months",
    "ljung_box_lags": "Ljung-Box lags",
    "ljung_box_p": "Ljung-Box p",
    "label": "method",
    "mape_pct": "mean abs. error",
    "median_ape_pct": "median abs. error",
    "bias_pct": "bias (forecast vs actual)",
    "coverage80_pct": "80% interval coverage",
    "cases_with_interval": "cases with an interval",
    "interval_score_pct": "interval score",
    "crps_pct": "CRPS",
    "answer_vs_crps": "answer's CRPS vs it [95%]",
    "answer_vs_interval_score": "answer's interval score vs it [95%]",
    "target_year": "year",
    "median": "forecast (median)",
    "interval": "80% interval",
    "error_pct": "error",
    "covered": "inside 80% interval",
    "q4_run_rate_error_pct": "Q4 run-rate x 4 error",
    "last_year_total_error_pct": "last year's total error",
    "factor": "interval factor",
    "cases_used": "earlier maker-years used",
    "last_full_year": "last full year",
    "last_full_year_units": "deliveries that year",
    "reported_units": "reported in target year",
    "median_growth_pct": "median growth",
    "why_not": "why no forecast",
    "run_id": "run",
    "data_to": "data to",
    "q10": "10th percentile",
    "q50": "median",
    "q90": "90th percentile",
    "inside80": "inside 80% band",
    "pit": "PIT",
    "cutoff": "month-end",
    "p_target": "chance of the target",
    "source": "call from",
    "initial_units": "initial target",
    "stated_on": "stated",
    "revised_units": "last revision",
    "outcome_units": "delivered",
    "reached": "reached",
    "vs_initial_pct": "vs initial target",
    "brier": "Brier score",
    "log_score": "log score",
    "calls": "calls",
    "maker_years": "maker-years",
    "said": "chance said",
    "mean_said_pct": "mean chance said",
    "reached_pct": "reached",
}


def _table(frame: pd.DataFrame, hide_index: bool = True) -> Styler:
    """`frame` through `lib.tables.reader_table` with this package's formats and labels."""
    formats = {column: fmt for column, fmt in TABLE_FORMATS.items() if column in frame.columns}
    labels = [COLUMN_LABELS.get(c, c.replace("_", " ")) for c in frame.columns]
    return tables.reader_table(frame, formats, "n/a", hide_index, labels)


def track_tables(analysis: Analysis) -> list[Styler]:
    """Earlier runs' monthly forecasts against the months since (when there are any), and the
    year's total forecast at each of the last month-ends against the outcome."""
    scored, month_ends = analysis.track_scored, analysis.track_month_ends
    shown = []
    if len(scored):
        frame = scored[
            [
                "run_id",
                "maker",
                "data_to",
                "month",
                "q10",
                "q50",
                "q90",
                "actual",
                "error_pct",
                "inside80",
                "pit",
            ]
        ]
        shown.append(
            _table(frame.assign(inside80=frame["inside80"].map({True: "yes", False: "no"})))
        )
    if len(month_ends):
        frame = month_ends.assign(inside80=month_ends["inside80"].map({True: "yes", False: "no"}))
        shown.append(_table(frame))
    return shown


def resolution_tables(analysis: Analysis) -> list[Styler]:
    """The call at each month-end of a complete year (chance of the target, 80% range, whether
    the outcome fell inside it, and where the call comes from)."""
    resolution = analysis.resolution
    if resolution is None or resolution.calls.empty:
        return []
    frame = resolution.calls[
        ["cutoff", "months_reported", "p_target", "p10", "median", "p90", "inside80", "source"]
    ]
    return [_table(frame.assign(inside80=frame["inside80"].map({True: "yes", False: "no"})))]


def target_record_tables(analysis: Analysis) -> list[Styler]:
    """Every maker-year with a stated initial target and its outcome; the three forecasters'
    scores; and the method's calls by the chance it said (the reliability table)."""
    record = analysis.target_record
    if record is None or record.table.empty:
        return []
    table, cutoff = record.table, analysis.inputs.settings.cutoff
    unresolved = table["year"].map(  # a past year with unknown months is not open, it is unknown
        lambda year: "months missing" if is_complete(year, cutoff) else "open"
    )
    frame = table.assign(
        reached=table["reached"].map({True: "yes", False: "no"}).fillna(unresolved)
    ).drop(columns=["resolved", "source_url"])
    shown = [_table(frame)]
    if int(record.scores["calls"].iloc[0]):
        shown += [_table(record.scores), _table(record.reliability)]
    return shown
