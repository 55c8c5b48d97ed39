"""Quarters as outcomes: the expected gross margin of the maker's next quarter not yet reported,
with an 80% range, its record on past quarters, and earlier runs' calls scored.

The model is one pooled regression over every company's consecutive reported quarters dated
before the quarter predicted (1 - m is cost of sales over revenue, m the gross margin):

    ln(1 - m_q) - ln(1 - m_q-1) = a + b_learning dln X_q + b_scale dln N_q + b_cuts P_q + e

X is cumulative deliveries half-way through the quarter (Wright's law: cost falls with
experience), N the quarter's deliveries (fixed costs spread over more or fewer vehicles), P the
price-cut rounds dated in the quarter (price_war_events.csv) and a the drift of everything else
(prices, mix). Pooled, because one company has a dozen quarters: four numbers from them would be
noise. The expectation starts from the last reported margin, so a wrong level never carries over.

The 80% range is the point plus the 10th and 90th percentiles of the errors made on earlier
quarters, each predicted from the data before it (quarters of companies with MIN_HISTORY quarters
behind them, as those scored). The regression's own prediction interval was tried first: on the
data to 2026-09 it held 22 of the 23 quarters scored, with ranges 8 points wide, as its residuals
carry the first, turbulent quarters of young makers; these ranges held 17, 5 points wide.

The next quarter's deliveries come from the financials when they give them, else from the maker's
monthly series when it counts the same vehicles (months not yet reported at the average of those
that are), else the last quarter's are held; an estimated volume widens the range by how far that
rule missed on past quarters.

Backtest: every reported quarter with MIN_HISTORY quarters of its company before it, fitted on the
steps dated before it, with the quarter's deliveries as known when its financials came out (the
whole quarter) and the figures as the data now hold them (later revisions included). Scores:
absolute error (pp), whether the 80% range held the outcome, and the interval score (width plus
10 times any miss, pp; lower is better); the same for two naive rules, last quarter's margin and
the same quarter a year earlier, whose ranges come from their own earlier errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from lib import results
from lib.margins import names
from lib.margins.panel import EXCLUDED_FLAGS, Panel
from lib.margins.params import NOTEBOOK

MIN_HISTORY = 6  # reported quarters of a company before one of its quarters is scored or called
MIN_FIT_STEPS = 12  # earlier quarter-on-quarter steps the pooled regression needs (4 numbers)
MIN_EARLIER_ERRORS = 8  # earlier errors whose 10th and 90th percentiles make a range
MIN_VOLUME_QUARTERS = 4  # past quarters that set the spread of an extrapolated quarter's volume
LEVEL = 0.80
QUANTILES = (0.10, 0.90)
PENALTY = 2 / (1 - LEVEL)  # interval score: points per point outside the range (10 at 80%)
TERMS = ("learning", "scale", "price_cuts")  # the regressors, after the constant
TERM_LABELS = {
    "const": "drift (prices, mix, all else)",
    "learning": "learning: change of ln cumulative deliveries",
    "scale": "scale: change of ln the quarter's deliveries",
    "price_cuts": "price-cut rounds dated in the quarter",
}
RULES = {  # column of the prediction -> what the rule is, for readers
    "expected_pct": "model (learning, scale, price cuts)",
    "last_quarter_pct": "naive: last quarter's margin",
    "year_ago_pct": "naive: same quarter a year earlier",
}
NAIVE_RULES = ("last_quarter_pct", "year_ago_pct")
CALL_COLUMNS = ["maker", "quarter", "expected", "low", "high", "data_to"]
# Why a past quarter is not scored, in the order they are checked.
NO_STEP = "no reported quarter (with cumulative deliveries) just before it"
SHORT_HISTORY = f"fewer than {MIN_HISTORY} reported quarters before it"
FEW_STEPS = f"fewer than {MIN_FIT_STEPS} earlier steps of all companies to fit"
FEW_ERRORS = f"fewer than {MIN_EARLIER_ERRORS} earlier errors to set its range"


# ---------------------------------------------------------------------------------------------
# Steps: a reported quarter and the one before it


def price_cut_rounds(events: pd.DataFrame, quarters: pd.PeriodIndex) -> np.ndarray:
    """Price-cut events dated within each quarter."""
    dates = events.loc[events["kind"] == "price cut", "date"]
    periods = dates.dt.to_period("Q").value_counts()
    return periods.reindex(quarters, fill_value=0).to_numpy(dtype=float)


def company_steps(panel: Panel, events: pd.DataFrame) -> pd.DataFrame:
    """Every reported quarter of one company: its margin, the rules' predictions and, where the
    quarter before it is reported too, the step's outcome and drivers (else NaN)."""
    usable = panel.usable()
    quarters = usable.index
    before = usable.reindex(quarters - 1)
    cum = panel.table["cum_deliveries_mid"]
    margin = usable["gross_margin_pct"].to_numpy()
    previous = before["gross_margin_pct"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        frame = pd.DataFrame(
            {
                "company": panel.company,
                "quarter": quarters,
                "margin_pct": margin,
                "history": np.arange(len(usable)),
                "last_quarter_pct": previous,
                "year_ago_pct": usable["gross_margin_pct"].reindex(quarters - 4).to_numpy(),
                "cost_ratio_change": np.log1p(-margin / 100) - np.log1p(-previous / 100),
                "learning": np.log(cum.reindex(quarters).to_numpy() / cum.reindex(quarters - 1)),
                "scale": np.log(usable["deliveries"].to_numpy() / before["deliveries"].to_numpy()),
                "price_cuts": price_cut_rounds(events, quarters),
            }
        )
    frame[["learning", "scale"]] = frame[["learning", "scale"]].replace([np.inf, -np.inf], np.nan)
    return frame


def all_steps(panels: dict[str, Panel], events: pd.DataFrame) -> pd.DataFrame:
    """company_steps of every company, by quarter then company; `has_step` marks the rows with a
    step's outcome and every driver."""
    frames = [company_steps(p, events) for p in panels.values() if not p.usable().empty]
    steps = pd.concat(frames, ignore_index=True).sort_values(["quarter", "company"])
    steps["has_step"] = steps[["cost_ratio_change", "learning", "scale"]].notna().all(axis=1)
    return steps.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# The pooled regression


@dataclass(frozen=True)
class StepFit:
    """OLS of the change of ln(1 - m) on the drivers: coefficients and standard errors by term."""

    coefficients: pd.Series
    standard_errors: pd.Series
    steps: int
    through: pd.Period  # the latest quarter of the steps fitted

    def interval(self, level: float = 0.95) -> tuple[pd.Series, pd.Series]:
        """Each coefficient's interval (t with the fit's residual degrees of freedom); NaN for
        a driver left out."""
        freedom = self.steps - int(self.standard_errors.notna().sum())
        half = stats.t.ppf(0.5 + level / 2, freedom) * self.standard_errors
        return self.coefficients - half, self.coefficients + half

    def change(self, drivers: pd.DataFrame) -> np.ndarray:
        """Predicted change of ln(1 - m) for rows with the TERMS columns."""
        design = drivers[list(TERMS)].to_numpy(dtype=float)
        return self.coefficients["const"] + design @ self.coefficients[list(TERMS)].to_numpy()


def fit_steps(steps: pd.DataFrame) -> StepFit:
    """The pooled regression on `steps` (rows with has_step). A driver that does not vary in
    them (no price-cut round yet) is left out: its coefficient 0, its standard error NaN."""
    drivers = steps[list(TERMS)].astype(float)
    varying = [term for term in TERMS if np.ptp(drivers[term].to_numpy()) > 0]
    design = sm.add_constant(drivers[varying].to_numpy(), has_constant="add")
    model = sm.OLS(steps["cost_ratio_change"].to_numpy(dtype=float), design).fit()
    index = ["const", *varying]
    full = ["const", *TERMS]
    return StepFit(
        pd.Series(model.params, index=index).reindex(full, fill_value=0.0),
        pd.Series(model.bse, index=index).reindex(full),
        len(steps),
        steps["quarter"].max(),
    )


def margin_after(previous_pct, change) -> np.ndarray:
    """Gross margin (%) after a change of ln(1 - m) from `previous_pct`."""
    return 100 * (1 - (1 - np.asarray(previous_pct, dtype=float) / 100) * np.exp(change))


# ---------------------------------------------------------------------------------------------
# Backtest


def predict_past(steps: pd.DataFrame) -> pd.DataFrame:
    """Every row of `steps` with the model's prediction, fitted on the steps dated before its
    quarter (NaN where no step or too few earlier steps), and each rule's error (actual -
    predicted, pp)."""
    rows = steps.copy()
    rows["expected_pct"] = np.nan
    usable = steps[steps["has_step"]]
    for quarter in rows.loc[rows["has_step"], "quarter"].unique():
        earlier = usable[usable["quarter"] < quarter]
        if len(earlier) < MIN_FIT_STEPS:
            continue
        these = rows["has_step"] & (rows["quarter"] == quarter)
        change = fit_steps(earlier).change(rows[these])
        rows.loc[these, "expected_pct"] = margin_after(rows.loc[these, "last_quarter_pct"], change)
    for rule in RULES:
        rows[error_column(rule)] = rows["margin_pct"] - rows[rule]
    return rows


def error_column(rule: str) -> str:
    return rule.replace("_pct", "_error_pp")


def error_quantiles(rows: pd.DataFrame, rule: str, before: pd.Period) -> tuple[float, float]:
    """The 10th and 90th percentiles of a rule's errors on quarters before `before` with enough
    history (NaN when fewer than MIN_EARLIER_ERRORS)."""
    errors = rows.loc[
        (rows["quarter"] < before) & (rows["history"] >= MIN_HISTORY), error_column(rule)
    ].dropna()
    if len(errors) < MIN_EARLIER_ERRORS:
        return np.nan, np.nan
    low, high = np.quantile(errors.to_numpy(), QUANTILES)
    return float(low), float(high)


def interval_score(actual, low, high) -> np.ndarray:
    """The interval score of an 80% range (pp): width plus PENALTY times the miss."""
    actual, low, high = (np.asarray(v, dtype=float) for v in (actual, low, high))
    return (high - low) + PENALTY * (np.maximum(low - actual, 0) + np.maximum(actual - high, 0))


def add_ranges(rows: pd.DataFrame) -> pd.DataFrame:
    """Each rule's 80% range (from its earlier errors), whether it held, its interval score."""
    rows = rows.copy()
    for rule in RULES:
        bounds = [error_quantiles(rows, rule, q) for q in rows["quarter"]]
        low, high = (np.array(b, dtype=float) for b in zip(*bounds, strict=True))
        stem = rule.removesuffix("_pct")
        rows[f"{stem}_low_pct"] = rows[rule] + low
        rows[f"{stem}_high_pct"] = rows[rule] + high
        inside = (rows[f"{stem}_low_pct"] <= rows["margin_pct"]) & (
            rows["margin_pct"] <= rows[f"{stem}_high_pct"]
        )
        rows[f"{stem}_inside80"] = inside.where(rows[f"{stem}_low_pct"].notna())
        rows[f"{stem}_interval_score"] = interval_score(
            rows["margin_pct"], rows[f"{stem}_low_pct"], rows[f"{stem}_high_pct"]
        )
    return rows


def skip_reasons(rows: pd.DataFrame) -> pd.Series:
    """Why each quarter is not scored ('' when it is), the first reason that applies."""
    reasons = np.select(
        [
            ~rows["has_step"],
            rows["history"] < MIN_HISTORY,
            rows["expected_pct"].isna(),
            rows["expected_low_pct"].isna(),
        ],
        [NO_STEP, SHORT_HISTORY, FEW_STEPS, FEW_ERRORS],
        default="",
    )
    return pd.Series(reasons, index=rows.index)


def backtest(steps: pd.DataFrame) -> pd.DataFrame:
    """Every reported quarter of every company predicted from the data before it, with each
    rule's range and scores, and `skipped` ('' when scored, else why not)."""
    rows = add_ranges(predict_past(steps))
    rows["skipped"] = skip_reasons(rows)
    return rows


@dataclass(frozen=True)
class Record:
    """How one rule did on the scored quarters (errors in pp, coverage in %)."""

    key: str  # a key of RULES
    rule: str
    quarters: int
    mae_pp: float
    coverage80_pct: float
    interval_score_pp: float


def score(scored: pd.DataFrame, rule: str) -> Record:
    """A rule's record on the scored quarters where it has a prediction and a range."""
    stem = rule.removesuffix("_pct")
    rows = scored[scored[f"{stem}_low_pct"].notna()]
    if rows.empty:
        return Record(rule, RULES[rule], 0, np.nan, np.nan, np.nan)
    return Record(
        rule,
        RULES[rule],
        len(rows),
        float(rows[error_column(rule)].abs().mean()),
        float(100 * rows[f"{stem}_inside80"].astype(float).mean()),
        float(rows[f"{stem}_interval_score"].mean()),
    )


# ---------------------------------------------------------------------------------------------
# The quarter's deliveries


@dataclass(frozen=True)
class QuarterVolume:
    """The next quarter's deliveries in the scope of the financials (vehicles), how they were
    obtained, and the spread of ln(actual / estimate) of that rule in the past (10th, 90th
    percentile; zero when the quarter is known)."""

    units: float
    months_reported: int  # of the maker's monthly series in the quarter (3 when all known)
    rule: str
    spread: tuple[float, float] = (0.0, 0.0)


def _spread(log_ratios: pd.Series) -> tuple[float, float] | None:
    values = log_ratios.replace([np.inf, -np.inf], np.nan).dropna()
    if len(values) < MIN_VOLUME_QUARTERS:
        return None
    low, high = np.quantile(values.to_numpy(), QUANTILES)
    return float(low), float(high)


def held_volume(steps: pd.DataFrame, last: pd.Period, last_units: float) -> QuarterVolume:
    """No month known in the scope of the financials: the last quarter's deliveries, with the
    spread of the company's past quarter-on-quarter changes."""
    spread = _spread(steps["scale"]) or (np.nan, np.nan)
    rule = f"not in the data yet: {last}'s held, with the spread of past quarterly changes"
    return QuarterVolume(last_units, 0, rule, spread)


def extrapolated_volume(months: pd.Series, quarter: pd.Period) -> QuarterVolume | None:
    """The quarter's deliveries from the maker's monthly series (counted months only): the sum
    when all three months are reported; with the first one or two, three times their average,
    with the spread that rule had on the series' complete past quarters. None otherwise."""
    first = quarter.asfreq("M", "start")
    in_quarter = months.reindex(pd.period_range(first, periods=3, freq="M")).dropna()
    known = len(in_quarter)
    if known == 3:
        return QuarterVolume(float(in_quarter.sum()), 3, "the three months reported")
    if known == 0 or not in_quarter.index.equals(pd.period_range(first, periods=known, freq="M")):
        return None
    past = [
        np.log(series.sum() / (3 * series.iloc[:known].mean()))
        for q, series in months.groupby(months.index.asfreq("Q"))
        if q < quarter and len(series) == 3
    ]
    spread = _spread(pd.Series(past, dtype=float))
    if spread is None:
        return None
    plural = "s" if known > 1 else ""
    return QuarterVolume(
        float(3 * in_quarter.mean()),
        known,
        f"{known} month{plural} reported, the rest at their average",
        spread,
    )


def quarter_volume(
    panel: Panel, months: pd.Series | None, steps: pd.DataFrame, quarter: pd.Period
) -> QuarterVolume:
    """The quarter's deliveries: from the financials when they give them, else from the maker's
    monthly series (`months`; None when it counts other vehicles than the financials), else the
    last quarter's held."""
    table = panel.table
    known = quarter in table.index and pd.notna(table.loc[quarter, "deliveries"])
    if known and table.loc[quarter, "deliveries_flag"] not in EXCLUDED_FLAGS:
        return QuarterVolume(float(table.loc[quarter, "deliveries"]), 3, "in the financials")
    found = extrapolated_volume(months, quarter) if months is not None else None
    last = quarter - 1
    return found or held_volume(steps, last, float(table.loc[last, "deliveries"]))


# ---------------------------------------------------------------------------------------------
# The next quarter


@dataclass(frozen=True)
class QuarterCall:
    """The expectation for the next quarter not yet reported: gross margin (%) and its range."""

    quarter: pd.Period
    expected_pct: float
    low_pct: float
    high_pct: float
    last_quarter: pd.Period
    last_margin_pct: float
    year_ago_pct: float  # NaN when that quarter is not reported
    volume: QuarterVolume
    drivers: pd.Series  # learning, scale, price_cuts of the quarter
    fit: StepFit
    effects_pp: pd.Series  # by term: the point with the term less the point without it


def _drivers(panel: Panel, events, last: pd.Period, quarter: pd.Period, units: float) -> pd.Series:
    row = panel.table.loc[last]
    cum_mid = row["cum_deliveries"] + units / 2
    return pd.Series(
        {
            "learning": np.log(cum_mid / row["cum_deliveries_mid"]),
            "scale": np.log(units / row["deliveries"]),
            "price_cuts": float(price_cut_rounds(events, pd.PeriodIndex([quarter]))[0]),
        }
    )


def _effects(fit: StepFit, last_pct: float, drivers: pd.Series) -> pd.Series:
    """What each term adds to the point (pp): the point less the point without that term."""
    change = float(fit.change(drivers.to_frame().T)[0])
    parts = {"const": fit.coefficients["const"]}
    parts.update({term: fit.coefficients[term] * drivers[term] for term in TERMS})
    point = float(margin_after(last_pct, change))
    return pd.Series(
        {term: point - float(margin_after(last_pct, change - part)) for term, part in parts.items()}
    )


def _widen(point: float, error_offset: float, volume_offset: float) -> float:
    """One end of the range: the error's offset, and the volume's in quadrature when both move
    the same way (a known quarter has none)."""
    if np.sign(error_offset) != np.sign(volume_offset) or volume_offset == 0:
        return point + error_offset
    return point + np.sign(error_offset) * float(np.hypot(error_offset, volume_offset))


def why_no_call(panel: Panel, steps: pd.DataFrame, past: pd.DataFrame) -> str:
    """Why the company's next quarter gets no expectation ('' when it gets one)."""
    usable = panel.usable()
    last = usable.index.max()
    if len(usable) < MIN_HISTORY:
        count = len(usable)
        return f"{panel.company} has {count} reported quarters, an expectation needs {MIN_HISTORY}"
    if not np.isfinite(panel.table.loc[last, "cum_deliveries_mid"]):
        return f"the data do not give {panel.company}'s cumulative deliveries to {last}"
    fitted = int(steps["has_step"].sum())
    if fitted < MIN_FIT_STEPS:
        return f"{fitted} quarter-on-quarter steps in the data, the model needs {MIN_FIT_STEPS}"
    if not np.isfinite(error_quantiles(past, "expected_pct", last + 1)[0]):
        return f"fewer than {MIN_EARLIER_ERRORS} past quarters scored to set a range"
    return ""


def next_quarter(
    panel: Panel,
    months: pd.Series | None,
    steps: pd.DataFrame,
    past: pd.DataFrame,
    events: pd.DataFrame,
) -> QuarterCall | str:
    """The expectation for the quarter after the company's latest reported margin, or why there
    is none (text). Its range: the earlier errors' percentiles, widened in quadrature by the
    spread of the quarter's volume when that is extrapolated."""
    if reason := why_no_call(panel, steps, past):
        return reason
    usable = panel.usable()
    last = usable.index.max()
    quarter = last + 1
    volume = quarter_volume(panel, months, steps[steps["company"] == panel.company], quarter)
    if not np.isfinite(volume.spread[0]):
        return (
            f"{quarter}'s deliveries are not in the data, and too few past quarters say how far "
            "they move"
        )
    fit = fit_steps(steps[steps["has_step"]])
    last_pct = float(usable.loc[last, "gross_margin_pct"])

    def point_at(units: float) -> float:
        drivers = _drivers(panel, events, last, quarter, units)
        return float(margin_after(last_pct, fit.change(drivers.to_frame().T))[0])

    point = point_at(volume.units)
    ends = [point_at(volume.units * np.exp(s)) - point for s in volume.spread]
    low_error, high_error = error_quantiles(past, "expected_pct", quarter)
    drivers = _drivers(panel, events, last, quarter, volume.units)
    year_ago = usable["gross_margin_pct"].get(quarter - 4, np.nan)
    return QuarterCall(
        quarter=quarter,
        expected_pct=point,
        low_pct=float(_widen(point, low_error, min(ends))),
        high_pct=float(_widen(point, high_error, max(ends))),
        last_quarter=last,
        last_margin_pct=last_pct,
        year_ago_pct=float(year_ago),
        volume=volume,
        drivers=drivers,
        fit=fit,
        effects_pp=_effects(fit, last_pct, drivers),
    )


# ---------------------------------------------------------------------------------------------
# Earlier runs' calls, scored


def call_table(maker: str, call: QuarterCall, data_to: pd.Period) -> pd.DataFrame:
    """This run's call as the one-row `quarter_call` table, for the runs after it."""
    row = [maker, str(call.quarter), call.expected_pct, call.low_pct, call.high_pct, str(data_to)]
    return pd.DataFrame([row], columns=CALL_COLUMNS)


def _quarter(text) -> pd.Period | None:
    try:
        return pd.Period(str(text), freq="Q")
    except (ValueError, TypeError):
        return None


def _sane_calls(table: pd.DataFrame, maker: str) -> pd.DataFrame:
    """The rows of an earlier run's call table that make sense for this maker (a damaged row is
    skipped, never trusted): a quarter, a data month, numbers with low <= expected <= high."""
    numbers = {c: pd.to_numeric(table[c], errors="coerce") for c in ("expected", "low", "high")}
    table = table.assign(**numbers, quarter=table["quarter"].map(_quarter))
    month = pd.to_datetime(table["data_to"].astype(str), format="%Y-%m", errors="coerce")
    sane = (
        (table["maker"] == maker)
        & table["quarter"].notna()
        & month.notna()
        & table[["expected", "low", "high"]].apply(np.isfinite).all(axis=1)
        & (table["low"] <= table["expected"])
        & (table["expected"] <= table["high"])
        & table[["low", "high"]].abs().le(100).all(axis=1)
    )
    return table[sane]


def earlier_calls(earlier: Iterable, maker: str, panel: Panel) -> pd.DataFrame:
    """Calls earlier finished runs (`lib.runs.finished`) recorded on this maker's quarters that
    are now reported, one per quarter and data month (the latest run wins), scored: error
    (actual - expected, pp) and whether the 80% range held."""
    frames = []
    for run in earlier:
        found = results.lookup(run.results or {}, NOTEBOOK, names.QUARTER_CALL)
        table = results.table_frame(found)
        if table is None or not set(CALL_COLUMNS) <= set(table.columns):
            continue
        frames.append(_sane_calls(table[CALL_COLUMNS], maker).assign(run_id=run.run_id))
    columns = [*CALL_COLUMNS, "run_id", "actual", "error_pp", "inside80"]
    if not frames:
        return pd.DataFrame(columns=columns)
    calls = pd.concat(frames, ignore_index=True).sort_values("run_id", kind="mergesort")
    calls = calls.drop_duplicates(["quarter", "data_to"], keep="last")
    actual = panel.usable()["gross_margin_pct"]
    calls = calls[calls["quarter"].isin(actual.index)]
    calls = calls.assign(actual=calls["quarter"].map(actual).astype(float))
    calls["error_pp"] = calls["actual"] - calls["expected"]
    calls["inside80"] = (calls["low"] <= calls["actual"]) & (calls["actual"] <= calls["high"])
    calls["quarter"] = calls["quarter"].astype(str)
    return calls.sort_values(["quarter", "data_to"]).reset_index(drop=True)[columns]


# ---------------------------------------------------------------------------------------------
# The whole outlook


@dataclass(frozen=True)
class Outlook:
    """The next quarter's call (or why there is none), the backtest and earlier calls scored."""

    maker: str  # registry key
    name: str  # display name
    company: str
    data_to: pd.Period  # the latest month of the deliveries data
    call: QuarterCall | None
    reason: str  # why there is no call ('' when there is one)
    past: pd.DataFrame  # backtest: every company's reported quarters (`skipped` '' when scored)
    earlier: pd.DataFrame  # earlier runs' calls on quarters now reported, scored

    @property
    def scored(self) -> pd.DataFrame:
        return self.past[self.past["skipped"] == ""]

    @property
    def own(self) -> pd.DataFrame:
        """The company's reported quarters, scored or not."""
        return self.past[self.past["company"] == self.company]

    def record_of(self, rows: pd.DataFrame) -> dict[str, Record]:
        return {rule: score(rows, rule) for rule in RULES}

    @property
    def own_record(self) -> dict[str, Record]:
        return self.record_of(self.scored[self.scored["company"] == self.company])

    @property
    def pooled_record(self) -> dict[str, Record]:
        return self.record_of(self.scored)

    @property
    def best_naive(self) -> Record:
        """The naive rule with the lower pooled mean absolute error."""
        pooled = self.pooled_record
        found = [pooled[r] for r in NAIVE_RULES if pooled[r].quarters]
        return min(found, key=lambda r: r.mae_pp) if found else pooled[NAIVE_RULES[0]]

    @property
    def skipped(self) -> pd.Series:
        """The company's quarters not scored, counted by reason."""
        reasons = self.own["skipped"]
        return reasons[reasons != ""].value_counts()

    def record(self) -> None:
        """Record the call, the record of past quarters and earlier calls scored (lib.results)."""
        _record_call(self)
        _record_own(self)
        _record_pooled(self)
        results.record(
            names.QUARTER_CALLS_SCORED,
            len(self.earlier),
            "count",
            f"earlier runs' calls on {self.company}'s quarters now reported, scored",
        )


def quarter_outlook(inputs) -> Outlook:
    """The outlook from the margins inputs (lib.margins.inputs.Inputs)."""
    steps = all_steps(inputs.panels, inputs.all_events)
    past = backtest(steps)
    months = inputs.months if inputs.scope is None else None
    found = next_quarter(inputs.panel, months, steps, past, inputs.all_events)
    call, reason = (found, "") if isinstance(found, QuarterCall) else (None, found)
    return Outlook(
        inputs.maker.key,
        inputs.name,
        inputs.company,
        inputs.data_to,
        call,
        reason,
        past,
        earlier_calls(inputs.earlier, inputs.maker.key, inputs.panel),
    )


NO_DATA = "no data"


def _record_call(found: Outlook) -> None:
    call, name = found.call, found.name
    if call is None:
        last = found.own["quarter"].max()
        results.record(
            names.QUARTER_OUTLOOK_PERIOD,
            str(last + 1) if pd.notna(last) else NO_DATA,
            "quarter",
            f"the quarter after {name}'s latest reported gross margin",
        )
        why = f"no expectation for {name}'s next quarter: {found.reason}"
        for key in (
            names.QUARTER_OUTLOOK_GM_PCT,
            names.QUARTER_OUTLOOK_LOW_PCT,
            names.QUARTER_OUTLOOK_HIGH_PCT,
        ):
            results.record(key, NO_DATA, "pct", why)
        return
    quarter = call.quarter
    results.record(
        names.QUARTER_OUTLOOK_PERIOD,
        str(quarter),
        "quarter",
        f"the quarter after {name}'s latest reported gross margin ({call.last_quarter})",
    )
    results.record(
        names.QUARTER_OUTLOOK_GM_PCT,
        call.expected_pct,
        "pct",
        f"{name}'s expected gross margin in {quarter} (learning, scale and price cuts from "
        f"{call.last_quarter}'s {call.last_margin_pct:.1f}%); 80% range from earlier errors",
        low=call.low_pct,
        high=call.high_pct,
    )
    results.record(
        names.QUARTER_OUTLOOK_LOW_PCT, call.low_pct, "pct", f"low end of the 80% range, {quarter}"
    )
    results.record(
        names.QUARTER_OUTLOOK_HIGH_PCT,
        call.high_pct,
        "pct",
        f"high end of the 80% range, {quarter}",
    )
    results.record_table(
        names.QUARTER_CALL,
        call_table(found.maker, call, found.data_to),
        "pct",
        f"this run's call on {name}'s {quarter} gross margin, scored once it is reported",
    )


def _record_own(found: Outlook) -> None:
    own, company = found.own_record["expected_pct"], found.company
    results.record(
        names.QUARTER_RECORD_QUARTERS,
        own.quarters,
        "count",
        f"{found.company}'s past quarters scored, each predicted from the data before it "
        f"({int(found.skipped.sum())} of its reported quarters too early to score)",
    )
    why = f"{NO_DATA}: none of {company}'s quarters is scored (too little history before them)"
    results.record(
        names.QUARTER_RECORD_MAE_PP,
        own.mae_pp if own.quarters else NO_DATA,
        "pp",
        f"mean absolute error of the expectation on {company}'s own past quarters"
        if own.quarters
        else why,
    )
    results.record(
        names.QUARTER_RECORD_COVERAGE80_PCT,
        own.coverage80_pct if own.quarters else NO_DATA,
        "pct",
        f"share of {company}'s past quarters inside their 80% range" if own.quarters else why,
    )


def _record_pooled(found: Outlook) -> None:
    pooled, naive = found.pooled_record["expected_pct"], found.best_naive
    companies = found.scored["company"].nunique()
    results.record(
        names.QUARTER_RECORD_POOLED_QUARTERS,
        pooled.quarters,
        "count",
        f"past quarters of {companies} companies scored, each predicted from the data before it",
    )
    results.record(
        names.QUARTER_RECORD_POOLED_MAE_PP,
        pooled.mae_pp if pooled.quarters else NO_DATA,
        "pp",
        "mean absolute error of the expectation on those quarters",
    )
    results.record(
        names.QUARTER_RECORD_POOLED_COVERAGE80_PCT,
        pooled.coverage80_pct if pooled.quarters else NO_DATA,
        "pct",
        "share of those quarters inside their 80% range",
    )
    results.record(
        names.QUARTER_RECORD_NAIVE_MAE_PP,
        naive.mae_pp if naive.quarters else NO_DATA,
        "pp",
        f"mean absolute error of the best naive rule on those quarters ({naive.rule}, "
        f"{naive.quarters} quarters)",
    )
