"""Sales trajectory: will a maker reach its annual delivery target, and how likely is it?

Three model families simulate monthly delivery paths: SARIMAX on log deliveries with a Chinese
New Year regressor (missing months handled by the Kalman filter), exponential smoothing (ETS,
damped additive trend, multiplicative season and errors), and a logistic growth curve on
seasonally adjusted deliveries (uncertainty from the parameter covariance). Naive baselines
(last year's total, last year's growth carried forward, seasonal naive, Q4 run-rate x 4) are the
yardstick. A rolling-origin backtest from December cutoffs scores every method on the next
calendar year's total; the forecast that answers the question mixes the models' paths with
weights from that backtest and widens or narrows the spread of their annual totals so that
earlier 80% intervals would have covered 80% of outcomes. Every weight and calibration factor uses only maker-years that had
ended by the cutoff it is applied at, so neither the backtest nor the answer looks ahead.

Units: deliveries are vehicles per month, annual totals vehicles per calendar year, growth and
errors in percent unless a name says otherwise. Months are `pd.Period` with monthly frequency.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.optimize import least_squares, minimize
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.statespace.sarimax import SARIMAX
from threadpoolctl import threadpool_limits

from lib import data, plots, results, tables

MODELS = ("sarimax", "ets", "growth_curve")
MODEL_LABELS = {
    "sarimax": "SARIMAX (log, CNY regressor)",
    "ets": "ETS (damped trend, multiplicative season)",
    "growth_curve": "Logistic growth curve",
    "combination": "Skill-weighted combination",
}
BASELINES = ("last_year_total", "last_year_growth", "seasonal_naive", "q4_run_rate")
BASELINE_LABELS = {
    "last_year_total": "Naive: last year's total",
    "last_year_growth": "Naive: last year's growth carried forward",
    "seasonal_naive": "Naive: seasonal (same month last year)",
    "q4_run_rate": "Naive: Q4 run-rate x 4",
}
LABELS = {**MODEL_LABELS, **BASELINE_LABELS}
SHORT_LABELS = {"sarimax": "SARIMAX", "ets": "ETS", "growth_curve": "growth curve"}
WEIGHTINGS = ("inverse_error", "equal", "best")

MIN_OBSERVED_MONTHS = {"sarimax": 24, "ets": 24, "growth_curve": 18}
LONG_GAP_MONTHS = 3  # ETS cannot skip months: it starts after the last gap this long
MAX_HORIZON_MONTHS = 36
SARIMAX_ORDER = (1, 1, 0)
SARIMAX_SEASONAL_ORDER = (1, 0, 0, 12)
OUTLIER_SD = 3.5  # one-step errors beyond this many sd are treated as missing months
CNY_WINDOW_DAYS = (-3, 11)  # holiday window: 3 days before New Year's Day to 11 days after
CURVE_HALF_LIFE_MONTHS = 12.0  # the growth curve weighs a month half as much a year earlier
GAP_DRAWS = 200  # simulation-smoother draws for months missing inside the target year
MIN_SCORED_FOR_WEIGHT = 3
MIN_SCORED_FOR_CALIBRATION = 5
MIN_SCORED_FOR_BASELINE_INTERVAL = 4
Z80 = 1.2815515655446004  # standard-normal 90th percentile: half-width of a central 80% interval

BRAND_COMPANY = {
    "leapmotor": "Leapmotor",
    "nio": "NIO",
    "xpeng": "XPeng",
    "li_auto": "Li Auto",
    "xiaomi": "Xiaomi EV",
    "byd": "BYD",
    "tesla_china": "Tesla",
}
REPORTED_TOTAL_CAVEATS = {
    "tesla_china": "Tesla reports global deliveries; the monthly series is Shanghai wholesale",
    "byd": "BYD's annual figure is all NEVs incl. commercial; the monthly series is mostly passenger NEVs",
    "xiaomi": "monthly rows are lower bounds ('over X')",
    "aito_hima": "no company annual total in the financials file",
}


class InsufficientHistory(ValueError):
    """A model cannot run on this maker's history; the message says how much it needs."""


# ---------------------------------------------------------------------------------------------
# Speed: fitting state-space models solves many 14x14 systems; on a busy 2-core machine BLAS
# threads spinning on those made the backtest about 5x slower, so the fits run on one thread.


def single_threaded_blas():
    """Decorator or context: run the enclosed code with one BLAS thread, then restore."""
    return threadpool_limits.wrap(limits=1, user_api="blas")


# ---------------------------------------------------------------------------------------------
# Parameters


@dataclass(frozen=True)
class Settings:
    """Validated notebook parameters: maker, target (vehicles), target year and the data cutoff."""

    maker: str
    target_units: float
    target_year: int
    cutoff: pd.Period
    n_paths: int
    seed: int


def resolve_data_through(deliveries: pd.DataFrame, data_through: str) -> pd.Period:
    """The cutoff month: `data_through` as YYYY-MM, or the latest month in the data when empty."""
    latest = deliveries["month"].max()
    earliest = deliveries["month"].min()
    text = str(data_through).strip()
    if text == "":
        return latest
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise ValueError(
            f"data_through must be a month as YYYY-MM, or empty for the latest month in the data "
            f"({latest}); got {data_through!r}"
        )
    month = pd.Period(text, freq="M")
    if month > latest:
        raise ValueError(
            f"data_through {month} is after the latest month in the data ({latest}); "
            f"use an earlier month or leave it empty"
        )
    if month < earliest:
        raise ValueError(
            f"data_through {month} is before the first month in the data ({earliest}); "
            f"expected a month from {earliest} to {latest}"
        )
    return month


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:,} and {high:,}; got {value!r}")


def validate_parameters(
    deliveries: pd.DataFrame,
    maker: str,
    target_units: float,
    target_year: int,
    data_through: str,
    n_paths: int,
    seed: int,
    *,
    backtest_paths: int = 1000,
    comparison_paths: int = 1000,
    curve_window_months: int = 24,
    weighting: str = "inverse_error",
) -> Settings:
    """Check every notebook parameter before any model runs; raise ValueError saying which and why."""
    data.check_brand(deliveries, maker)
    if not np.isfinite(target_units) or target_units <= 0:
        raise ValueError(
            f"target_units must be a positive number of vehicles per year; got {target_units!r}"
        )
    cutoff = resolve_data_through(deliveries, data_through)
    first = deliveries.loc[deliveries["brand"] == maker, "month"].min()
    if first > cutoff:
        raise ValueError(
            f"maker {maker!r} has no deliveries up to data_through {cutoff}: its data start in {first}"
        )
    if target_year < first.year:
        raise ValueError(
            f"target_year {target_year} is before the data: {maker} deliveries start in {first}"
        )
    if target_year < cutoff.year:
        raise ValueError(
            f"target_year {target_year} is before the data cutoff {cutoff}: that year is history, "
            f"not a forecast; set data_through to {target_year - 1}-12 to backtest it"
        )
    horizon = (pd.Period(f"{target_year}-12", freq="M") - cutoff).n
    if horizon > MAX_HORIZON_MONTHS:
        last_year = (cutoff + MAX_HORIZON_MONTHS - 11).year
        raise ValueError(
            f"target_year {target_year} is {horizon} months after the data cutoff {cutoff}; "
            f"the models are meant for at most {MAX_HORIZON_MONTHS} months (target_year up to {last_year})"
        )
    _check_range("n_paths", n_paths, 100, 1_000_000)
    _check_range("backtest_paths", backtest_paths, 100, 100_000)
    _check_range("comparison_paths", comparison_paths, 100, 100_000)
    _check_range("curve_window_months", curve_window_months, 12, 120)
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}; got {weighting!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    return Settings(maker, float(target_units), int(target_year), cutoff, int(n_paths), int(seed))


# ---------------------------------------------------------------------------------------------
# Series helpers


def series_at(deliveries: pd.DataFrame, cutoff: pd.Period) -> dict[str, pd.Series]:
    """Every maker's monthly series up to `cutoff` (nothing later), NaN for unknown months."""
    out = {}
    for brand in data.brands(deliveries):
        series = data.monthly_series(deliveries, brand)
        series = series[series.index <= cutoff]
        if series.notna().any():
            out[brand] = series
    return out


def observed_span(series: pd.Series) -> pd.Series:
    """The series from its first to its last reported month; zero months count as unknown."""
    series = series.where(series > 0)
    if series.notna().sum() == 0:
        return series.iloc[:0]
    return series.loc[series.first_valid_index() : series.last_valid_index()]


def cny_exposure(months: pd.PeriodIndex, holidays: pd.DataFrame) -> np.ndarray:
    """Share (0-1) of the Chinese New Year holiday window that falls in each month.

    The window runs from 3 days before New Year's Day to 11 days after (15 days): the factory
    shutdown and the slow weeks around it, which move between January and February."""
    dates = dict(zip(holidays["year"], holidays["date"], strict=True))
    needed = sorted({p.year for p in months} | {p.year + 1 for p in months if p.month == 12})
    missing = [year for year in needed if year not in dates]
    if missing:
        known = f"{min(dates)}-{max(dates)}" if dates else "none"
        raise ValueError(
            f"no Chinese New Year date for {', '.join(map(str, missing))} in the holiday data "
            f"(covers {known})"
        )
    low, high = CNY_WINDOW_DAYS
    share = np.zeros(len(months))
    for i, month in enumerate(months):
        day = dates[month.year]
        window = pd.date_range(day + pd.Timedelta(days=low), day + pd.Timedelta(days=high))
        share[i] = np.mean((window.year == month.year) & (window.month == month.month))
    return share


def annual_totals(series: pd.Series) -> pd.DataFrame:
    """Per calendar year: months reported, their sum (vehicles) and growth over the prior year
    (percent, only when both years have all 12 months)."""
    frame = pd.DataFrame({"deliveries": series, "year": series.index.year})
    table = frame.groupby("year")["deliveries"].agg(["sum", "count"])
    table.columns = ["sum_of_months", "months_reported"]
    table["complete"] = table["months_reported"] == 12
    complete_total = table["sum_of_months"].where(table["complete"])
    table["yoy_growth_pct"] = 100 * (complete_total / complete_total.shift(1) - 1)
    table.loc[table.index.to_series().diff() != 1, "yoy_growth_pct"] = np.nan
    return table


def reported_annual_totals(series: pd.Series, financials: pd.DataFrame, brand: str) -> pd.DataFrame:
    """Sum of the monthly series per year against the company's reported annual deliveries.

    Reported totals come from the financials file (rows flagged stated or derived first, then
    estimates); `difference_pct` is (sum of months / reported - 1) in percent for complete years."""
    table = annual_totals(series)[["months_reported", "sum_of_months", "complete"]].copy()
    company = BRAND_COMPANY.get(brand)
    reported = pd.Series(np.nan, index=table.index)
    basis = pd.Series("", index=table.index, dtype=object)
    if company is not None:
        rows = financials[
            (financials["company"] == company)
            & (financials["metric"] == "deliveries")
            & (financials["period_kind"] == "year")
            & financials["flag"].isin(["stated", "derived", "estimate"])
        ].copy()
        rows["year"] = rows["period"].str[:4].astype(int)
        rows["rank"] = rows["flag"].map({"stated": 0, "derived": 1, "estimate": 2})
        for year, group in rows.sort_values("rank").groupby("year"):
            if year in reported.index:
                reported[year] = group["value"].iloc[0]
                basis[year] = group["flag"].iloc[0]
    table["reported_total"] = reported
    table["reported_flag"] = basis
    table["difference_pct"] = 100 * (table["sum_of_months"] / table["reported_total"] - 1)
    table.loc[~table["complete"], "difference_pct"] = np.nan
    table["caveat"] = REPORTED_TOTAL_CAVEATS.get(brand, "")
    return table


def latest_run_rate(series: pd.Series) -> tuple[float, list[str]]:
    """Average monthly deliveries over the reported months among the three calendar months that
    end with the latest reported month (vehicles per month), and which months those were."""
    span = observed_span(series)
    last = span.index[-1]
    window = span[span.index > last - 3].dropna()
    return float(window.mean()), [str(m) for m in window.index]


# ---------------------------------------------------------------------------------------------
# Seasonality, pooled across makers


@dataclass(frozen=True)
class SeasonalProfile:
    """Log seasonal effects shared by all makers: one per calendar month (mean zero) and one for a
    month holding the whole Chinese New Year window (multiply by the month's window share)."""

    month_effect: pd.Series
    cny_effect: float
    n_observations: int
    makers: tuple[str, ...]

    def log_effect(self, months: pd.PeriodIndex, holidays: pd.DataFrame) -> np.ndarray:
        """Seasonal log effect of each month (add to a seasonally adjusted log level)."""
        calendar = np.asarray(months.month) - 1
        return self.month_effect.to_numpy()[calendar] + self.cny_effect * cny_exposure(
            months, holidays
        )


def centred_trend(log_level: pd.Series, min_months: int = 11) -> pd.Series:
    """Centred 2x12 moving average (weights 1/24, 1/12 x 11, 1/24): each calendar month counts
    once, so the average carries no seasonal effect. Missing months are left out and the weights
    renormalised; NaN where fewer than `min_months` of the 13 are known."""
    weights = np.r_[0.5, np.ones(11), 0.5] / 12
    values = log_level.to_numpy(dtype=float)
    known = ~np.isnan(values)
    padded = np.pad(np.where(known, values, 0.0), 6)
    present = np.pad(known.astype(float), 6)
    total = np.convolve(padded, weights, mode="valid")
    weight = np.convolve(present, weights, mode="valid")
    count = np.convolve(present, np.ones(13), mode="valid")
    trend = np.where(count >= min_months, total / np.where(weight > 0, weight, 1), np.nan)
    return pd.Series(trend, index=log_level.index)


def seasonal_deviations(series: pd.Series, holidays: pd.DataFrame) -> pd.DataFrame:
    """Log deliveries minus their centred 2x12-month moving average (the local trend), per month:
    what each calendar month adds or takes away, with the month's Chinese New Year share."""
    log_level = np.log(series.where(series > 0))
    trend = centred_trend(log_level)
    frame = pd.DataFrame(
        {
            "log_deviation": log_level - trend,
            "calendar_month": np.asarray(series.index.month),
            "cny_share": cny_exposure(series.index, holidays),
        },
        index=series.index,
    )
    return frame.dropna()


def pooled_seasonal_profile(
    series_by_maker: dict[str, pd.Series], holidays: pd.DataFrame, min_per_month: int = 2
) -> SeasonalProfile:
    """Seasonal profile pooled over makers: robust (Huber) regression of the deviations from the
    local trend on calendar-month dummies and the Chinese New Year share."""
    frames = []
    for brand, series in series_by_maker.items():
        span = observed_span(series)
        if len(span) >= 13:
            frames.append(seasonal_deviations(span, holidays).assign(maker=brand))
    pooled = pd.concat(frames) if frames else pd.DataFrame()
    counts = pooled["calendar_month"].value_counts() if len(pooled) else pd.Series(dtype=int)
    short = [m for m in range(1, 13) if counts.get(m, 0) < min_per_month]
    if short:
        raise InsufficientHistory(
            f"the pooled seasonal profile needs at least {min_per_month} months of each calendar "
            f"month with a full year either side; too few for month(s) {', '.join(map(str, short))}"
        )
    design = pd.get_dummies(pooled["calendar_month"], prefix="m", dtype=float)
    design["cny"] = pooled["cny_share"].to_numpy()
    fit = sm.RLM(pooled["log_deviation"].to_numpy(), design, M=sm.robust.norms.HuberT()).fit()
    effects = fit.params[[f"m_{m}" for m in range(1, 13)]].to_numpy()
    month_effect = pd.Series(effects - effects.mean(), index=pd.RangeIndex(1, 13, name="month"))
    return SeasonalProfile(
        month_effect, float(fit.params["cny"]), len(pooled), tuple(sorted(set(pooled["maker"])))
    )


def fill_gaps(
    series: pd.Series, profile: SeasonalProfile | None, holidays: pd.DataFrame
) -> pd.Series:
    """Fill missing months by straight-line interpolation of seasonally adjusted log deliveries
    (plain log-linear when no profile is available); vehicles per month."""
    effect = profile.log_effect(series.index, holidays) if profile else np.zeros(len(series))
    adjusted = np.log(series.where(series > 0)) - effect
    adjusted = adjusted.interpolate(limit_direction="both")
    return np.exp(adjusted + effect)


# ---------------------------------------------------------------------------------------------
# Target arithmetic


@dataclass(frozen=True)
class TargetArithmetic:
    """What the target requires: growth over the last full year and the monthly run-rate the
    missing months of the target year need, against the latest run-rate (vehicles)."""

    target_units: float
    target_year: int
    last_full_year: int | None
    last_full_year_units: float
    required_growth_pct: float
    reported_units: float
    reported_months: list[str]
    missing_months: list[str]
    required_monthly_run_rate_units: float
    latest_run_rate_units: float
    latest_run_rate_months: list[str]


def target_arithmetic(series: pd.Series, target_units: float, target_year: int) -> TargetArithmetic:
    """The arithmetic of a target from a series that ends at the data cutoff."""
    totals = annual_totals(series)
    full_years = totals.index[totals["complete"] & (totals.index < target_year)]
    last_full = int(full_years.max()) if len(full_years) else None
    last_units = float(totals.loc[last_full, "sum_of_months"]) if last_full else np.nan
    year_months = pd.period_range(f"{target_year}-01", f"{target_year}-12", freq="M")
    in_year = series.reindex(year_months)
    reported = in_year.dropna()
    missing = [str(m) for m in year_months if pd.isna(in_year[m])]
    needed = (target_units - reported.sum()) / len(missing) if missing else np.nan
    rate, rate_months = latest_run_rate(series)
    return TargetArithmetic(
        target_units=float(target_units),
        target_year=int(target_year),
        last_full_year=last_full,
        last_full_year_units=last_units,
        required_growth_pct=100 * (target_units / last_units - 1) if last_full else np.nan,
        reported_units=float(reported.sum()),
        reported_months=[str(m) for m in reported.index],
        missing_months=missing,
        required_monthly_run_rate_units=float(needed),
        latest_run_rate_units=rate,
        latest_run_rate_months=rate_months,
    )


# ---------------------------------------------------------------------------------------------
# Models: each fits on a history that ends at the cutoff and simulates the months asked for


@dataclass
class ModelRun:
    """One model's simulated paths: `paths[i, j]` is path i's deliveries in `months[j]`
    (vehicles), plus its fitted parameters and in-sample residuals for diagnostics."""

    model: str
    months: pd.PeriodIndex
    paths: np.ndarray
    parameters: dict[str, float]
    residuals: pd.Series
    note: str = ""


@dataclass(frozen=True)
class SimulationRequest:
    """Months a model must simulate for one maker: the future after the last reported month and
    the months missing inside the target year before it."""

    history: pd.Series
    future: pd.PeriodIndex
    gaps: pd.PeriodIndex

    @property
    def months(self) -> pd.PeriodIndex:
        return self.gaps.append(self.future)


def simulation_request(series: pd.Series, target_year: int) -> SimulationRequest:
    """Which months to simulate for `target_year` from a series that ends at the cutoff."""
    history = observed_span(series)
    if history.empty:
        raise InsufficientHistory("no reported month up to the cutoff")
    last = history.index[-1]
    end = pd.Period(f"{target_year}-12", freq="M")
    future = (
        pd.period_range(last + 1, end, freq="M") if end > last else pd.PeriodIndex([], freq="M")
    )
    in_year = history[history.index.year == target_year]
    gaps = pd.PeriodIndex(in_year.index[in_year.isna()], freq="M")
    return SimulationRequest(history, future, gaps)


def _require(model: str, observed: int, maker_text: str, extra: str = "") -> None:
    needed = MIN_OBSERVED_MONTHS[model]
    if observed < needed:
        raise InsufficientHistory(
            f"{MODEL_LABELS[model]} needs at least {needed} reported months{extra}; "
            f"{maker_text} has {observed}"
        )


def _maker_text(history: pd.Series) -> str:
    name = history.name or "this maker"
    return f"{name} (up to {history.index[-1]})"


def sarimax_paths(
    request: SimulationRequest,
    holidays: pd.DataFrame,
    n_paths: int,
    rng: np.random.Generator,
) -> ModelRun:
    """SARIMAX(1,1,0)(1,0,0)12 on log deliveries with the Chinese New Year share as regressor.

    Missing months stay missing (the Kalman filter skips them). Months whose one-step error
    exceeds 3.5 standard deviations (e.g. the April 2022 Shanghai lockdown) are set to missing
    and the model refitted, so one shock does not inflate every future month's variance. Future
    months are simulated from the state at the cutoff (drawn from its filtered distribution);
    months missing inside the target year are drawn by the simulation smoother, i.e. given the
    months reported after them too."""
    history = request.history
    _require("sarimax", int(history.notna().sum()), _maker_text(history))
    endog = np.log(history.to_numpy(dtype=float))
    exog = cny_exposure(history.index, holidays)[:, None]
    model, fit = _fit_sarimax(endog, exog)
    errors = fit.filter_results.standardized_forecasts_error[0].copy()
    errors[: fit.loglikelihood_burn] = 0.0
    outliers = np.abs(np.nan_to_num(errors)) > OUTLIER_SD
    if outliers.any():
        endog = np.where(outliers, np.nan, endog)
        model, fit = _fit_sarimax(endog, exog, start_params=fit.params)
    columns = []
    if len(request.gaps):
        columns.append(_smoothed_gap_draws(endog, exog, fit, history, request.gaps, n_paths, rng))
    if len(request.future):
        future_exog = cny_exposure(request.future, holidays)[:, None]
        columns.append(np.exp(_simulate_state_space(model, fit, future_exog, n_paths, rng)))
    burn = fit.loglikelihood_burn
    residuals = (
        pd.Series(fit.filter_results.standardized_forecasts_error[0], index=history.index)
        .where(~np.isnan(endog))
        .iloc[burn:]
    )
    parameters = {
        name: float(value) for name, value in zip(fit.model.param_names, fit.params, strict=True)
    }
    parameters["outlier_months_dropped"] = float(outliers.sum())
    parameters["converged"] = float(bool(fit.mle_retvals.get("converged", True)))
    dropped = [str(m) for m in history.index[outliers]]
    note = f"outlier month(s) treated as missing: {', '.join(dropped)}" if dropped else ""
    return ModelRun(
        "sarimax", request.months, np.hstack(columns), parameters, residuals.dropna(), note
    )


def _fit_sarimax(endog: np.ndarray, exog: np.ndarray, start_params=None):
    """Fit with the scale concentrated out of the likelihood (same estimates, ~6x faster)."""
    model = SARIMAX(
        endog,
        exog=exog,
        order=SARIMAX_ORDER,
        seasonal_order=SARIMAX_SEASONAL_ORDER,
        concentrate_scale=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model, model.fit(disp=False, start_params=start_params)


def _simulate_state_space(
    model: SARIMAX, fit, future_exog: np.ndarray, n_paths: int, rng: np.random.Generator
) -> np.ndarray:
    """Vectorised simulation of the fitted state-space model after the last month (log scale):
    the state one month ahead is drawn from its predicted distribution, then shocks are added."""
    ssm = model.ssm
    transition, selection = ssm["transition"], ssm["selection"]
    state_cov, design = ssm["state_cov"], ssm["design"]
    transition = transition[:, :, 0] if transition.ndim == 3 else transition
    selection = selection[:, :, 0] if selection.ndim == 3 else selection
    state_cov = state_cov[:, :, 0] if state_cov.ndim == 3 else state_cov
    design = design[:, :, 0] if design.ndim == 3 else design
    beta = np.asarray(fit.params[: future_exog.shape[1]])
    state = rng.multivariate_normal(
        fit.predicted_state[:, -1], fit.predicted_state_cov[:, :, -1], size=n_paths, method="eigh"
    ).T
    shock_scale = np.linalg.cholesky(state_cov * fit.scale)
    out = np.empty((n_paths, len(future_exog)))
    for step in range(len(future_exog)):
        out[:, step] = design[0] @ state + future_exog[step] @ beta
        shocks = shock_scale @ rng.standard_normal((state_cov.shape[0], n_paths))
        state = transition @ state + selection @ shocks
    return out


def _smoothed_gap_draws(
    endog: np.ndarray,
    exog: np.ndarray,
    fit,
    history: pd.Series,
    gaps: pd.PeriodIndex,
    n_paths: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draws of the missing months given every reported month, before and after (vehicles):
    `GAP_DRAWS` simulation-smoother draws, resampled to `n_paths`."""
    model = SARIMAX(endog, exog=exog, order=SARIMAX_ORDER, seasonal_order=SARIMAX_SEASONAL_ORDER)
    model.update(np.r_[fit.params, fit.scale])
    smoother = model.ssm.simulation_smoother()
    positions = history.index.get_indexer(gaps)
    design = model.ssm["design"]
    design = design[0, :, 0] if design.ndim == 3 else design[0]
    intercept = np.broadcast_to(model.ssm["obs_intercept"][0], (len(history),))
    draws = np.empty((GAP_DRAWS, len(gaps)))
    for i in range(GAP_DRAWS):
        smoother.simulate(rng=rng)
        draws[i] = design @ smoother.simulated_state[:, positions] + intercept[positions]
    return np.exp(draws[rng.integers(0, GAP_DRAWS, size=n_paths)])


def ets_paths(
    request: SimulationRequest,
    holidays: pd.DataFrame,
    profile: SeasonalProfile | None,
    n_paths: int,
    rng: np.random.Generator,
) -> ModelRun:
    """ETS with multiplicative errors, damped additive trend and multiplicative season.

    ETS cannot skip months: it uses the history after the last gap of 3+ months, with shorter
    gaps filled by interpolating seasonally adjusted log deliveries. Months missing inside the
    target year are that interpolation times the model's relative error (median unchanged)."""
    history = request.history
    missing = history.isna().to_numpy()
    run_id = np.cumsum(np.r_[True, missing[1:] != missing[:-1]])
    start = 0
    for run in np.unique(run_id[missing]):
        where = np.flatnonzero(run_id == run)
        if len(where) >= LONG_GAP_MONTHS:
            start = where[-1] + 1
    span = history.iloc[start:]
    extra = f" after the last gap of {LONG_GAP_MONTHS} or more months" if start else ""
    _require("ets", int(span.notna().sum()), _maker_text(history), extra)
    filled = fill_gaps(span, profile, holidays)
    model = ETSModel(
        filled.to_numpy(dtype=float),
        error="mul",
        trend="add",
        damped_trend=True,
        seasonal="mul",
        seasonal_periods=12,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(disp=False)
    relative_sd = float(np.std(fit.resid))
    columns = []
    if len(request.gaps):
        center = fill_gaps(history, profile, holidays)[request.gaps].to_numpy()
        noise = rng.standard_normal((n_paths, len(request.gaps))) * relative_sd
        columns.append(center * np.exp(noise))
    if len(request.future):
        simulated = fit.simulate(len(request.future), anchor="end", repetitions=n_paths, rng=rng)
        columns.append(
            np.clip(np.asarray(simulated).reshape(len(request.future), n_paths).T, 0, None)
        )
    parameters = {name: float(v) for name, v in zip(fit.param_names, fit.params, strict=True)}
    parameters["relative_error_sd"] = relative_sd
    residuals = pd.Series(np.asarray(fit.resid) / relative_sd, index=filled.index)
    note = f"fitted from {span.index[0]}" + (
        f"; {int(span.isna().sum())} missing month(s) interpolated" if span.isna().any() else ""
    )
    return ModelRun("ets", request.months, np.hstack(columns), parameters, residuals, note)


def logistic_log_level(params: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Log of a logistic curve in months `t` from the last reported month, parameterised by what
    the data identify best: params = (l0, g0, headroom) with l0 the log level at t = 0, g0 its
    growth per month (log points, >= 0: the curve rises or levels off, it does not decline) and
    headroom = log(capacity / level at t = 0) > 0.

    log y(t) = l0 + h - log(1 + (e^h - 1) e^(-r t)), r = g0 / (1 - e^-h).
    Vectorised over rows of `params` (n, 3): returns (n, len(t))."""
    params = np.atleast_2d(params)
    level, growth, headroom = params[:, :1], params[:, 1:2], params[:, 2:3]
    rate = growth / -np.expm1(-headroom)
    return level + headroom - np.logaddexp(0.0, np.log(np.expm1(headroom)) - rate * t[None, :])


@dataclass(frozen=True)
class CurveFit:
    """A logistic fit to seasonally adjusted log deliveries: parameters (l0, g0, headroom; see
    `logistic_log_level`), their covariance, bounds, residual sd and lag-1 autocorrelation."""

    params: np.ndarray
    covariance: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    residual_sd: float
    residual_ar1: float
    residuals: pd.Series

    @property
    def capacity(self) -> float:
        """Seasonally adjusted monthly deliveries the curve levels off at (vehicles per month)."""
        return float(np.exp(self.params[0] + self.params[2]))


def fit_logistic(
    adjusted_log: pd.Series, half_life_months: float = CURVE_HALF_LIFE_MONTHS
) -> CurveFit:
    """Robust (soft-L1) least-squares logistic fit to a seasonally adjusted log series whose last
    index is t = 0, with weights halving every `half_life_months` into the past so the curve
    follows the latest trend; several starting headrooms; covariance from the weighted Jacobian."""
    observed = adjusted_log.dropna()
    last = adjusted_log.index[-1]
    t = np.array([(m - last).n for m in observed.index], dtype=float)
    y = observed.to_numpy()
    root_weight = np.sqrt(0.5 ** (-t / half_life_months))
    recent = float(np.mean(y[-3:]))
    lower = np.array([recent - 2.0, 0.0, 0.02])
    upper = np.array([recent + 1.0, 0.30, 4.0])
    slope = float(np.polyfit(t, y, 1)[0]) if len(y) > 2 else 0.0
    best = None
    for headroom in (0.1, 0.5, 1.5, 3.0):
        start = np.clip([recent, slope, headroom], lower + 1e-6, upper - 1e-6)
        solution = least_squares(
            lambda p: root_weight * (logistic_log_level(p, t)[0] - y),
            start,
            bounds=(lower, upper),
            loss="soft_l1",
            f_scale=0.15,
        )
        if best is None or solution.cost < best.cost:
            best = solution
    residual = logistic_log_level(best.x, t)[0] - y
    weighted = best.fun
    sd = float(np.sqrt(np.sum(weighted**2) / max(np.sum(root_weight**2) - 3, 1)))
    covariance = np.linalg.pinv(best.jac.T @ best.jac) * sd**2
    ar1 = float(np.clip(np.corrcoef(residual[:-1], residual[1:])[0, 1], 0.0, 0.9))
    return CurveFit(
        best.x, covariance, lower, upper, sd, ar1, pd.Series(residual / sd, index=observed.index)
    )


def growth_curve_paths(
    request: SimulationRequest,
    holidays: pd.DataFrame,
    profile: SeasonalProfile | None,
    n_paths: int,
    rng: np.random.Generator,
    window_months: int = 24,
) -> ModelRun:
    """Logistic growth curve on seasonally adjusted log deliveries of the last `window_months`.

    The seasonal profile is the one pooled over makers. Paths draw the curve's parameters from
    their estimated covariance (clipped to the fit's bounds) and add AR(1) noise with the
    residuals' sd and autocorrelation, starting from the last residual."""
    history = request.history
    if profile is None:
        raise InsufficientHistory(
            f"{MODEL_LABELS['growth_curve']} needs the pooled seasonal profile, which needs every "
            f"calendar month observed with a full year either side for some makers"
        )
    recent = history.iloc[-window_months:]
    _require(
        "growth_curve",
        int(recent.notna().sum()),
        _maker_text(history),
        f" in the last {window_months} months",
    )
    adjusted = np.log(recent) - profile.log_effect(recent.index, holidays)
    fit = fit_logistic(adjusted)
    last = history.index[-1]
    months = request.months
    t = np.array([(m - last).n for m in months], dtype=float)
    draws = rng.multivariate_normal(fit.params, fit.covariance, size=n_paths, method="svd")
    level = logistic_log_level(np.clip(draws, fit.lower, fit.upper), t)
    ahead = np.maximum(t, 1).astype(int)
    noise = _ar1_noise(rng, n_paths, int(ahead.max()), fit.residual_sd, fit.residual_ar1)
    carried = fit.residuals.iloc[-1] * fit.residual_sd * fit.residual_ar1**ahead
    log_paths = level + noise[:, ahead - 1] + np.where(t > 0, carried, 0.0)[None, :]
    paths = np.exp(log_paths + profile.log_effect(months, holidays)[None, :])
    parameters = {
        "level_log_adjusted": float(fit.params[0]),
        "growth_per_month_log": float(fit.params[1]),
        "headroom_log": float(fit.params[2]),
        "capacity_units_per_month_adjusted": fit.capacity,
        "residual_sd_log": fit.residual_sd,
        "residual_ar1": fit.residual_ar1,
    }
    levelling = (
        "no levelling-off visible yet"
        if fit.params[2] >= fit.upper[2] - 0.01
        else f"levels off at {fit.capacity:,.0f} a month (seasonally adjusted)"
    )
    note = f"fitted on {int(recent.notna().sum())} months from {recent.index[0]}; {levelling}"
    return ModelRun("growth_curve", months, paths, parameters, fit.residuals, note)


def _ar1_noise(
    rng: np.random.Generator, n_paths: int, steps: int, sd: float, ar1: float
) -> np.ndarray:
    """Stationary AR(1) noise paths (n_paths, steps) with marginal sd `sd`."""
    shocks = rng.standard_normal((n_paths, steps)) * sd * np.sqrt(1 - ar1**2)
    noise = np.empty_like(shocks)
    noise[:, 0] = shocks[:, 0]
    for step in range(1, steps):
        noise[:, step] = ar1 * noise[:, step - 1] + shocks[:, step]
    return noise


def run_model(
    name: str,
    request: SimulationRequest,
    holidays: pd.DataFrame,
    profile: SeasonalProfile | None,
    n_paths: int,
    rng: np.random.Generator,
    curve_window_months: int = 24,
) -> ModelRun:
    """Fit model `name` on the request's history and simulate its months."""
    if name == "sarimax":
        return sarimax_paths(request, holidays, n_paths, rng)
    if name == "ets":
        return ets_paths(request, holidays, profile, n_paths, rng)
    if name == "growth_curve":
        return growth_curve_paths(request, holidays, profile, n_paths, rng, curve_window_months)
    raise KeyError(f"unknown model {name!r}; known models: {', '.join(MODELS)}")


# ---------------------------------------------------------------------------------------------
# Annual totals of paths, combination, calibration, probability


def annual_path_totals(
    history: pd.Series, months: pd.PeriodIndex, paths: np.ndarray, year: int
) -> np.ndarray:
    """Each path's total for `year` (vehicles): reported months fixed, simulated months added."""
    reported = history[(history.index.year == year)].sum()
    in_year = np.asarray(months.year) == year
    return reported + paths[:, in_year].sum(axis=1)


def skill_weights(
    scores: pd.DataFrame, available: list[str], weighting: str = "inverse_error"
) -> dict[str, float]:
    """Combination weights from backtest skill.

    `scores` has one row per scored case (columns `method`, `abs_error_pct`); only cases that had
    ended by the cutoff the weights are used at may be passed. inverse_error: weight proportional
    to 1 / mean absolute percentage error (models with fewer than 3 scored cases get the average
    weight); best: all weight on the lowest error; equal: the same weight for each."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}; got {weighting!r}")
    if not available:
        return {}
    mape = {}
    for model in available:
        errors = scores.loc[scores["method"] == model, "abs_error_pct"].dropna()
        if len(errors) >= MIN_SCORED_FOR_WEIGHT:
            mape[model] = float(errors.mean())
    if weighting == "equal" or not mape:
        return {model: 1 / len(available) for model in available}
    if weighting == "best":
        best = min(mape, key=mape.get)
        return {model: float(model == best) for model in available}
    skill = {model: 1 / max(value, 1e-6) for model, value in mape.items()}
    average = float(np.mean(list(skill.values())))
    raw = {model: skill.get(model, average) for model in available}
    total = sum(raw.values())
    return {model: value / total for model, value in raw.items()}


def calibration_factor(scored: pd.DataFrame) -> float:
    """How much to stretch the combination's spread so earlier 80% intervals would have covered
    80% of outcomes: 80th percentile of |log(actual / median)| / implied sd, divided by 1.2816.

    `scored` has columns log_error and implied_sd (cases that had ended by the cutoff); with fewer
    than 5 cases the factor is 1 (no calibration). Bounded to [0.5, 5]."""
    rows = scored.dropna(subset=["log_error", "implied_sd"])
    rows = rows[rows["implied_sd"] > 0]
    if len(rows) < MIN_SCORED_FOR_CALIBRATION:
        return 1.0
    ratio = np.abs(rows["log_error"]) / rows["implied_sd"]
    return float(np.clip(np.quantile(ratio, 0.8) / Z80, 0.5, 5.0))


def calibrate_paths(
    paths: np.ndarray, factor: float, counted: np.ndarray | None = None
) -> np.ndarray:
    """Stretch the spread of the paths' totals by `factor` in logs, around an unchanged median.

    The total of each path over the `counted` months (boolean mask over columns; all months when
    None) moves `factor` times further from the median total in log terms, and every month of the
    path is scaled by the same ratio, so the monthly shape is kept. The factor is estimated on
    annual totals (`calibration_factor`), so it is applied to totals: stretching each month
    separately would also move the median total (a sum of lognormals grows with their spread)."""
    if factor == 1.0 or paths.size == 0:
        return paths
    counted = np.ones(paths.shape[1], dtype=bool) if counted is None else np.asarray(counted)
    totals = np.maximum(paths[:, counted].sum(axis=1), 1e-9)
    log_totals = np.log(totals)
    center = np.median(log_totals)
    stretched = np.exp(center + factor * (log_totals - center))
    return paths * (stretched / totals)[:, None]


def mix_paths(
    runs: dict[str, ModelRun], weights: dict[str, float], n_paths: int, rng: np.random.Generator
) -> np.ndarray:
    """A mixture of the models' paths: each model contributes a share of paths equal to its
    weight (drawn multinomially), in random order."""
    names = [name for name in runs if weights.get(name, 0) > 0]
    if not names:
        raise ValueError("no model with a positive weight to combine")
    shares = np.array([weights[name] for name in names])
    counts = rng.multinomial(n_paths, shares / shares.sum())
    pieces = []
    for name, count in zip(names, counts, strict=True):
        paths = runs[name].paths
        pieces.append(paths[rng.integers(0, len(paths), size=count)])
    mixed = np.vstack(pieces)
    return mixed[rng.permutation(len(mixed))]


def probability_at_least(totals: np.ndarray, target: float) -> float:
    """Share of simulated totals at or above `target` (0-1)."""
    return float(np.mean(np.asarray(totals) >= target))


def implied_sd(p10: float, p90: float) -> float:
    """Log-scale sd implied by an 80% interval [p10, p90] of a lognormal."""
    return float((np.log(p90) - np.log(p10)) / (2 * Z80))


# ---------------------------------------------------------------------------------------------
# One maker's forecast for a target year


@dataclass
class MakerForecast:
    """Forecast of one maker's deliveries in `target_year` from data up to `cutoff`.

    `annual[name]` holds each path's target-year total (vehicles) for every model that ran and for
    "combination"; `skipped` says why a model did not run."""

    maker: str
    target_year: int
    cutoff: pd.Period
    request: SimulationRequest
    runs: dict[str, ModelRun]
    skipped: dict[str, str]
    weights: dict[str, float]
    calibration: float
    combined: np.ndarray
    annual: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def available(self) -> bool:
        """True when the target-year total has a distribution (models ran or all months known)."""
        return "combination" in self.annual

    def quantiles(self, method: str = "combination") -> tuple[float, float, float]:
        """10th, 50th and 90th percentiles of the target-year total (vehicles)."""
        values = np.quantile(self.annual[method], [0.1, 0.5, 0.9])
        return float(values[0]), float(values[1]), float(values[2])

    def monthly_quantiles(self, quantiles=(0.1, 0.25, 0.5, 0.75, 0.9)) -> pd.DataFrame:
        """Quantiles of the combined monthly paths, one row per simulated month (vehicles)."""
        values = np.quantile(self.combined, quantiles, axis=0).T
        return pd.DataFrame(
            values, index=self.request.months, columns=[f"p{round(100 * q)}" for q in quantiles]
        )


def forecast_maker(
    series: pd.Series,
    target_year: int,
    holidays: pd.DataFrame,
    profile: SeasonalProfile | None,
    n_paths: int,
    rng: np.random.Generator,
    weights_from: pd.DataFrame | None = None,
    calibration: float = 1.0,
    weighting: str = "inverse_error",
    curve_window_months: int = 24,
    models: tuple[str, ...] = MODELS,
) -> MakerForecast:
    """Run every model on a series that ends at the cutoff, combine them and total the year.

    `weights_from` are the scored backtest cases (target years ended by the cutoff) used for the
    combination weights; `calibration` stretches the combined spread (see `calibration_factor`).
    When every month of the target year is reported, the total is known and no model runs."""
    request = simulation_request(series, target_year)
    cutoff = series.index[-1]
    if len(request.months) == 0:
        known = float(request.history[request.history.index.year == target_year].sum())
        forecast = MakerForecast(
            str(series.name), target_year, cutoff, request, {}, {}, {}, 1.0,
            np.empty((n_paths, 0)),
        )  # fmt: skip
        forecast.annual["combination"] = np.full(n_paths, known)
        return forecast
    runs, skipped = {}, {}
    for name in models:
        try:
            runs[name] = run_model(
                name, request, holidays, profile, n_paths, rng, curve_window_months
            )
        except InsufficientHistory as reason:
            skipped[name] = str(reason)
        except (np.linalg.LinAlgError, ValueError) as failure:
            skipped[name] = f"{MODEL_LABELS[name]} could not be fitted: {failure}"
    scores = weights_from if weights_from is not None else pd.DataFrame(columns=SCORE_COLUMNS)
    weights = skill_weights(scores, list(runs), weighting)
    combined = (
        calibrate_paths(
            mix_paths(runs, weights, n_paths, rng),
            calibration,
            np.asarray(request.months.year) == target_year,
        )
        if runs
        else np.empty((0, len(request.months)))
    )
    forecast = MakerForecast(
        str(series.name),
        target_year,
        cutoff,
        request,
        runs,
        skipped,
        weights,
        calibration,
        combined,
    )
    for name, run in runs.items():
        forecast.annual[name] = annual_path_totals(
            request.history, run.months, run.paths, target_year
        )
    if runs:
        forecast.annual["combination"] = annual_path_totals(
            request.history, request.months, combined, target_year
        )
    return forecast


# ---------------------------------------------------------------------------------------------
# Naive baselines (point forecasts of a calendar year's total from a December cutoff)


def baseline_forecasts(series: pd.Series, target_year: int) -> dict[str, float]:
    """Naive forecasts of `target_year`'s total from data up to December of the year before
    (vehicles); NaN when the needed year is incomplete."""
    totals = annual_totals(series)

    def full(year: int) -> float:
        if year in totals.index and totals.loc[year, "complete"]:
            return float(totals.loc[year, "sum_of_months"])
        return np.nan

    last, before = full(target_year - 1), full(target_year - 2)
    q4 = series.reindex(pd.period_range(f"{target_year - 1}-10", f"{target_year - 1}-12", freq="M"))
    same_month = series.reindex(
        pd.period_range(f"{target_year - 1}-01", f"{target_year - 1}-12", freq="M")
    )
    return {
        "last_year_total": last,
        "last_year_growth": last * last / before if before > 0 else np.nan,
        "seasonal_naive": float(same_month.sum()) if same_month.notna().all() else np.nan,
        "q4_run_rate": float(4 * q4.sum()) if q4.notna().all() else np.nan,
    }


# ---------------------------------------------------------------------------------------------
# Rolling-origin backtest


def backtest_cases(series_by_maker: dict[str, pd.Series]) -> pd.DataFrame:
    """Maker-years that can be scored: the year and the year before are complete in the data.

    `headline` marks the cases where the two years before are complete too (every baseline,
    including last year's growth, can be computed): the set the forecast-quality goal uses."""
    rows = []
    for maker, series in series_by_maker.items():
        totals = annual_totals(series)
        complete = set(totals.index[totals["complete"]])
        for year in sorted(complete):
            if year - 1 in complete:
                rows.append(
                    {
                        "maker": maker,
                        "target_year": int(year),
                        "cutoff": pd.Period(f"{year - 1}-12", freq="M"),
                        "actual": float(totals.loc[year, "sum_of_months"]),
                        "headline": (year - 2) in complete,
                    }
                )
    return pd.DataFrame(rows, columns=["maker", "target_year", "cutoff", "actual", "headline"])


@dataclass
class Backtest:
    """Scored forecasts: one row per maker-year and method (models, combination, baselines)
    with median and 80% interval (vehicles), error (percent of actual) and coverage."""

    rows: pd.DataFrame
    skipped: pd.DataFrame
    weights: pd.DataFrame
    calibration: pd.DataFrame
    weighting: str


SCORE_COLUMNS = ["target_year", "method", "abs_error_pct", "log_error", "implied_sd"]


def _seeded(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))


def _score(row: dict) -> dict:
    actual, median = row["actual"], row["median"]
    row["error_pct"] = 100 * (median / actual - 1)
    row["abs_error_pct"] = abs(row["error_pct"])
    row["log_error"] = float(np.log(actual / median))
    if np.isfinite(row.get("p10", np.nan)) and np.isfinite(row.get("p90", np.nan)):
        row["covered"] = float(row["p10"] <= actual <= row["p90"])
        row["implied_sd"] = implied_sd(row["p10"], row["p90"])
    else:
        row["covered"] = np.nan
        row["implied_sd"] = np.nan
    return row


BACKTEST_COLUMNS = [
    "maker", "target_year", "method", "kind", "headline", "actual", "median", "p10", "p90",
    "error_pct", "abs_error_pct", "log_error", "covered", "implied_sd",
]  # fmt: skip


@single_threaded_blas()
def run_backtest(
    deliveries: pd.DataFrame,
    cutoff: pd.Period,
    holidays: pd.DataFrame,
    n_paths: int = 1000,
    seed: int = 0,
    weighting: str = "inverse_error",
    curve_window_months: int = 24,
) -> Backtest:
    """Rolling-origin backtest over every maker-year that ended by `cutoff`.

    For target year Y every forecast uses only data up to December of Y-1 (all makers' series are
    cut there, including the pooled seasonal profile). The combination's weights use only cases
    with target years before Y, and so do its interval calibration and the baselines' intervals."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}; got {weighting!r}")
    cases = backtest_cases(series_at(deliveries, cutoff))
    order = {maker: i for i, maker in enumerate(sorted(set(cases["maker"])))}
    rows, skipped, weight_rows, calibration_rows = [], [], [], []
    for year in sorted(cases["target_year"].unique()):
        then = snapshot(deliveries, pd.Period(f"{year - 1}-12", freq="M"), holidays)
        earlier = pd.DataFrame(rows, columns=BACKTEST_COLUMNS)
        combo_scores = earlier[earlier["method"] == "combination"]
        factor = calibration_factor(combo_scores)
        calibration_rows.append(
            {"target_year": int(year), "factor": factor, "cases_used": len(combo_scores)}
        )
        for case in cases[cases["target_year"] == year].itertuples():
            series = then.series[case.maker]
            forecast = forecast_maker(
                series,
                int(year),
                holidays,
                then.profile,
                n_paths,
                _seeded(seed, int(year), order[case.maker]),
                weights_from=earlier[earlier["method"].isin(MODELS)],
                calibration=factor,
                weighting=weighting,
                curve_window_months=curve_window_months,
            )
            where = {"maker": case.maker, "target_year": int(year)}
            skipped += [{**where, "method": m, "reason": r} for m, r in forecast.skipped.items()]
            weight_rows += [
                {**where, "method": m, "weight": w} for m, w in forecast.weights.items()
            ]
            base = {**where, "actual": case.actual, "headline": bool(case.headline)}
            for method, totals in forecast.annual.items():
                p10, median, p90 = np.quantile(totals, [0.1, 0.5, 0.9])
                kind = "combination" if method == "combination" else "model"
                rows.append(_score({**base, "method": method, "kind": kind, "median": median, "p10": p10, "p90": p90}))  # fmt: skip
            for method, point in baseline_forecasts(series, int(year)).items():
                if np.isfinite(point):
                    low, high = _baseline_interval(earlier, method, point)
                    rows.append(_score({**base, "method": method, "kind": "baseline", "median": point, "p10": low, "p90": high}))  # fmt: skip
    return Backtest(
        pd.DataFrame(rows, columns=BACKTEST_COLUMNS),
        pd.DataFrame(skipped, columns=["maker", "target_year", "method", "reason"]),
        pd.DataFrame(weight_rows, columns=["maker", "target_year", "method", "weight"]),
        pd.DataFrame(calibration_rows, columns=["target_year", "factor", "cases_used"]),
        weighting,
    )


def _baseline_interval(earlier: pd.DataFrame, method: str, point: float) -> tuple[float, float]:
    """80% interval of a naive forecast from the 10th/90th percentiles of its own earlier log
    errors (NaN with fewer than 4 earlier cases)."""
    errors = earlier.loc[earlier["method"] == method, "log_error"].dropna()
    if len(errors) < MIN_SCORED_FOR_BASELINE_INTERVAL:
        return np.nan, np.nan
    low, high = np.quantile(errors, [0.1, 0.9])
    return point * float(np.exp(low)), point * float(np.exp(high))


def backtest_summary(backtest: Backtest, headline_only: bool = True) -> pd.DataFrame:
    """Per method: cases scored, mean absolute percentage error, median bias and 80% coverage."""
    rows = backtest.rows
    if headline_only:
        rows = rows.loc[rows["headline"].astype(bool)]
    order = ["combination", *MODELS, *BASELINES]
    summary = []
    for method in order:
        scored = rows[rows["method"] == method]
        if scored.empty:
            continue
        covered = scored["covered"].dropna()
        summary.append(
            {
                "method": method,
                "label": LABELS[method],
                "cases": len(scored),
                "mape_pct": float(scored["abs_error_pct"].mean()),
                "median_ape_pct": float(scored["abs_error_pct"].median()),
                "bias_pct": float(100 * (np.exp(-scored["log_error"].mean()) - 1)),
                "coverage80_pct": float(100 * covered.mean()) if len(covered) else np.nan,
                "cases_with_interval": len(covered),
            }
        )
    columns = [
        "method", "label", "cases", "mape_pct", "median_ape_pct", "bias_pct", "coverage80_pct",
        "cases_with_interval",
    ]  # fmt: skip
    return pd.DataFrame(summary, columns=columns)


def final_calibration(backtest: Backtest) -> float:
    """Interval calibration for a forecast made after every backtest year ended."""
    return calibration_factor(backtest.rows[backtest.rows["method"] == "combination"])


@dataclass(frozen=True)
class HindsightBlend:
    """The fixed blend of the backtest's forecasts (weighted geometric mean of their medians) with
    the lowest mean absolute percentage error over the headline maker-years, chosen KNOWING the
    outcomes. Not a forecast: a bound on what reweighting these methods could have achieved."""

    weights: dict[str, float]
    mape_pct: float
    cases: int


def hindsight_blend(backtest: Backtest) -> HindsightBlend | None:
    """Search, with hindsight, the weights (non-negative, summing to one) on the combination, the
    models and the naive rules scored on every headline maker-year that minimise the mean absolute
    percentage error of the weighted geometric mean of their medians; None with fewer than 3 cases.

    Nelder-Mead on softmax weights from every single method and from equal weights; the single
    methods themselves are candidates, so the result is never worse than the best of them."""
    rows = backtest.rows[backtest.rows["headline"].astype(bool)]
    table = rows.pivot_table(index=["maker", "target_year"], columns="method", values="median")
    table = table.dropna(axis=1)
    if len(table) < 3 or table.shape[1] == 0:
        return None
    actual = rows.groupby(["maker", "target_year"])["actual"].first().reindex(table.index)
    log_median, log_actual = np.log(table.to_numpy()), np.log(actual.to_numpy())

    def error(weights: np.ndarray) -> float:
        return float(100 * np.mean(np.abs(np.expm1(log_median @ weights - log_actual))))

    def softmax(theta: np.ndarray) -> np.ndarray:
        shifted = np.exp(theta - theta.max())
        return shifted / shifted.sum()

    methods = list(table.columns)
    candidates = [np.eye(len(methods))[i] for i in range(len(methods))]
    for start in [np.zeros(len(methods)), *(4.0 * w for w in candidates)]:
        solution = minimize(
            lambda theta: error(softmax(theta)), start, method="Nelder-Mead",
            options={"maxiter": 4000, "xatol": 1e-4, "fatol": 1e-6},
        )  # fmt: skip
        candidates.append(softmax(solution.x))
    best = min(candidates, key=error)
    return HindsightBlend(
        {m: float(w) for m, w in zip(methods, best, strict=True) if w >= 0.005},
        error(best),
        len(table),
    )


# ---------------------------------------------------------------------------------------------
# The answer and the comparison across makers


@dataclass(frozen=True)
class Snapshot:
    """The data as known at the cutoff: every maker's series (nothing later) and the seasonal
    profile pooled over them (None, with the reason, when the data are too short for it)."""

    cutoff: pd.Period
    series: dict[str, pd.Series]
    profile: SeasonalProfile | None
    profile_problem: str = ""


def snapshot(deliveries: pd.DataFrame, cutoff: pd.Period, holidays: pd.DataFrame) -> Snapshot:
    """Cut every maker's data at `cutoff` and pool their seasonality."""
    series = series_at(deliveries, cutoff)
    try:
        return Snapshot(cutoff, series, pooled_seasonal_profile(series, holidays))
    except InsufficientHistory as problem:
        return Snapshot(cutoff, series, None, str(problem))


@dataclass
class Projection:
    """The answer for one maker: forecast, target arithmetic and the target-year distribution
    (10th/50th/90th percentiles, vehicles) with the chance of reaching the target."""

    forecast: MakerForecast
    arithmetic: TargetArithmetic
    p_reach_target: float
    p10: float
    median: float
    p90: float

    def probability(self, units: float) -> float:
        """Chance (0-1) that target-year deliveries reach `units`."""
        if not self.forecast.available:
            return np.nan
        return probability_at_least(self.forecast.annual["combination"], units)


@single_threaded_blas()
def project(
    data_now: Snapshot,
    maker: str,
    target_units: float,
    target_year: int,
    holidays: pd.DataFrame,
    backtest: Backtest,
    n_paths: int,
    seed: int,
    curve_window_months: int = 24,
) -> Projection:
    """Forecast `maker`'s `target_year` deliveries from the data at the cutoff, with weights and
    interval calibration from the backtest, and the chance of reaching `target_units`."""
    if maker not in data_now.series:
        raise InsufficientHistory(f"{maker} has no reported month up to {data_now.cutoff}")
    series = data_now.series[maker]
    rng = _seeded(seed, target_year, 1000 + sorted(data_now.series).index(maker))
    forecast = forecast_maker(
        series,
        target_year,
        holidays,
        data_now.profile,
        n_paths,
        rng,
        weights_from=backtest.rows[backtest.rows["method"].isin(MODELS)],
        calibration=final_calibration(backtest),
        weighting=backtest.weighting,
        curve_window_months=curve_window_months,
    )
    arithmetic = target_arithmetic(series, target_units, target_year)
    if not forecast.available:
        return Projection(forecast, arithmetic, np.nan, np.nan, np.nan, np.nan)
    p10, median, p90 = forecast.quantiles()
    probability = probability_at_least(forecast.annual["combination"], target_units)
    return Projection(forecast, arithmetic, probability, p10, median, p90)


@single_threaded_blas()
def comparison_table(
    data_now: Snapshot,
    target_year: int,
    holidays: pd.DataFrame,
    backtest: Backtest,
    n_paths: int,
    seed: int,
    curve_window_months: int = 24,
    known: dict[str, Projection] | None = None,
) -> pd.DataFrame:
    """The same projection for every maker in the data: target-year forecast (p10/p50/p90,
    vehicles), growth of the median over the last full year (percent), the models used and, for
    makers no model can forecast, why.

    `known` holds projections already made (e.g. the focus maker's), reused as they are."""
    rows = []
    for maker in data_now.series:
        projection = (known or {}).get(maker) or project(
            data_now, maker, 1.0, target_year, holidays, backtest, n_paths, seed,
            curve_window_months,
        )  # fmt: skip
        arithmetic, forecast = projection.arithmetic, projection.forecast
        growth = (
            100 * (projection.median / arithmetic.last_full_year_units - 1)
            if arithmetic.last_full_year
            else np.nan
        )
        rows.append(
            {
                "maker": display_name(maker),
                "last_full_year": arithmetic.last_full_year,
                "last_full_year_units": arithmetic.last_full_year_units,
                "months_reported": len(arithmetic.reported_months),
                "reported_units": arithmetic.reported_units,
                "p10_units": projection.p10,
                "median_units": projection.median,
                "p90_units": projection.p90,
                "median_growth_pct": growth,
                "models": ", ".join(SHORT_LABELS[name] for name in forecast.runs) or "none",
                "why_not": "; ".join(forecast.skipped.values()) if not forecast.available else "",
            }
        )
    return pd.DataFrame(rows)


def model_diagnostics(forecast: MakerForecast) -> pd.DataFrame:
    """Per model that ran: weight, residual sd and Ljung-Box p-value (lag 12, or fewer when the
    residuals are short) of its standardized in-sample residuals, and its target-year range."""
    rows = []
    for name, run in forecast.runs.items():
        residuals = run.residuals.dropna()
        lags = int(min(12, max(1, len(residuals) // 4)))
        p_value = (
            float(acorr_ljungbox(residuals.to_numpy(), lags=[lags])["lb_pvalue"].iloc[0])
            if len(residuals) > lags + 2
            else np.nan
        )
        p10, median, p90 = forecast.quantiles(name)
        rows.append(
            {
                "model": MODEL_LABELS[name],
                "weight": forecast.weights.get(name, 0.0),
                "p10_units": p10,
                "median_units": median,
                "p90_units": p90,
                "residual_months": len(residuals),
                "ljung_box_lags": lags,
                "ljung_box_p": p_value,
                "note": run.note,
            }
        )
    columns = [
        "model", "weight", "p10_units", "median_units", "p90_units", "residual_months",
        "ljung_box_lags", "ljung_box_p", "note",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------------------------
# Charts (one figure each; titles state the finding, computed from the numbers shown)

DATA_SOURCE = "company delivery announcements (data/deliveries_monthly.csv)"
MODEL_SOURCE = f"{DATA_SOURCE}; simulations by lib.sales"
MODEL_COLORS = {"sarimax": "#30638e", "ets": "#edae49", "growth_curve": "#66a182"}


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


def chart_history(series: pd.Series, maker: str) -> plt.Figure:
    """Monthly deliveries; unknown months are gaps in the line (a hollow marker per reported month)."""
    fig, ax = plt.subplots()
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


def yoy_growth(series: pd.Series) -> pd.Series:
    """Growth of each month over the same month a year earlier (percent; NaN if either unknown)."""
    span = observed_span(series)
    return 100 * (span / span.shift(12) - 1)


def chart_yoy(series: pd.Series, maker: str, cap_pct: float = 300.0) -> plt.Figure:
    """Year-over-year growth per month, bars (cut at `cap_pct`, labelled); months without a
    comparison are left empty."""
    growth = yoy_growth(series).dropna()
    fig, ax = plt.subplots()
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


def chart_seasonality(
    series: pd.Series, maker: str, profile: SeasonalProfile | None, holidays: pd.DataFrame
) -> plt.Figure:
    """Each month's deviation from the local trend (dots, the maker; filled when the month holds
    most of the Chinese New Year window) and the profile pooled over makers (line)."""
    deviations = seasonal_deviations(observed_span(series), holidays)
    fig, ax = plt.subplots()
    holiday = deviations["cny_share"] >= 0.5
    jitter = np.linspace(-0.15, 0.15, len(deviations))
    ax.scatter(
        deviations["calendar_month"][~holiday] + jitter[~holiday],
        100 * np.expm1(deviations["log_deviation"][~holiday]),
        color=plots.FOCUS_COLOR, alpha=0.55, s=22, label=f"{maker}: a month vs its local trend",
    )  # fmt: skip
    ax.scatter(
        deviations["calendar_month"][holiday] + jitter[holiday],
        100 * np.expm1(deviations["log_deviation"][holiday]),
        color="#333333", marker="D", s=30, label="month holding Chinese New Year",
    )  # fmt: skip
    if profile is not None:
        ax.plot(
            profile.month_effect.index,
            100 * np.expm1(profile.month_effect.to_numpy()),
            color=plots.REFERENCE_COLOR, lw=2, label="pooled over makers (without the holiday)",
        )  # fmt: skip
        title = (
            f"Chinese New Year costs about {-100 * np.expm1(profile.cny_effect):.0f}% of a month's "
            f"deliveries; December runs {100 * np.expm1(profile.month_effect[12]):+.0f}% above trend"
        )
    else:
        title = f"{maker}'s months against their local trend"
    ax.axhline(0, color="#333333", lw=0.8)
    ax.set_xticks(range(1, 13), ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])  # fmt: skip
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


def chart_target(series: pd.Series, arithmetic: TargetArithmetic, maker: str) -> plt.Figure:
    """Target year month by month: reported months (bars), the run-rate the missing months need
    and the latest run-rate (lines), with last year's months for reference."""
    year = arithmetic.target_year
    months = pd.period_range(f"{year}-01", f"{year}-12", freq="M")
    reported = series.reindex(months)
    last_year = series.reindex(months - 12)
    fig, ax = plt.subplots()
    x = np.arange(12)
    ax.bar(x - 0.2, last_year.to_numpy(), width=0.4, color=plots.NEUTRAL_COLOR, label=f"{year - 1}")
    ax.bar(
        x + 0.2, reported.to_numpy(), width=0.4, color=plots.FOCUS_COLOR, label=f"{year} reported"
    )
    missing = np.flatnonzero(reported.isna().to_numpy())
    needed = arithmetic.required_monthly_run_rate_units
    if len(missing):
        ax.scatter(
            missing + 0.2, np.full(len(missing), needed), marker="_", s=260, lw=3,
            color="#333333", label=f"needed in each missing month: {needed:,.0f}",
        )  # fmt: skip
    ax.axhline(
        arithmetic.latest_run_rate_units, color=plots.REFERENCE_COLOR, ls="--",
        label=f"latest run-rate: {arithmetic.latest_run_rate_units:,.0f}",
    )  # fmt: skip
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


def chart_models(series: pd.Series, forecast: MakerForecast, maker: str) -> plt.Figure:
    """Each model's median path and 80% band for the simulated months, after the recent history."""
    fig, ax = plt.subplots()
    recent = observed_span(series)
    recent = recent[recent.index > recent.index[-1] - 24]
    ax.plot(_timestamps(recent.index), recent.to_numpy(), "o-", color="#333333", ms=3, lw=1.5, label="reported")  # fmt: skip
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


def chart_residuals(forecast: MakerForecast, diagnostics: pd.DataFrame) -> plt.Figure:
    """Standardized in-sample residuals of each model over time, with the +-2 sd band."""
    fig, ax = plt.subplots()
    for name, run in forecast.runs.items():
        residuals = run.residuals.dropna()
        ax.plot(_timestamps(residuals.index), residuals.to_numpy(), "o-", ms=3, lw=1, color=MODEL_COLORS[name], label=MODEL_LABELS[name])  # fmt: skip
    ax.axhspan(-2, 2, color=plots.NEUTRAL_COLOR, alpha=0.15)
    ax.axhline(0, color="#333333", lw=0.8)
    passed = diagnostics[diagnostics["ljung_box_p"] >= 0.05]
    title = (
        f"{len(passed)} of {len(diagnostics)} models leave no significant autocorrelation "
        f"in their residuals (Ljung-Box p >= 0.05)"
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


def chart_backtest(summary: pd.DataFrame, goal_pct: float) -> plt.Figure:
    """Mean absolute error of next-year totals per method (bars), the goal (line) and each
    method's 80% interval coverage (labels)."""
    fig, ax = plt.subplots()
    ordered = summary.sort_values("mape_pct", ascending=True)
    y = np.arange(len(ordered))
    colors = [
        plots.FOCUS_COLOR if m == "combination" else (plots.REFERENCE_COLOR if m in MODELS else plots.NEUTRAL_COLOR)
        for m in ordered["method"]
    ]  # fmt: skip
    ax.barh(y, ordered["mape_pct"], color=colors)
    for i, row in enumerate(ordered.itertuples()):
        coverage = "n/a" if np.isnan(row.coverage80_pct) else f"{row.coverage80_pct:.0f}%"
        ax.text(row.mape_pct + 0.4, i, f"{row.mape_pct:.1f}%  (80% interval covered {coverage})", va="center", fontsize=8.5)  # fmt: skip
    ax.axvline(goal_pct, color="#333333", ls="--", lw=1)
    ax.set_yticks(y, ordered["label"])
    ax.invert_yaxis()
    ax.set_xlim(0, ordered["mape_pct"].max() * 1.55)
    plots.percent(ax, axis="x")
    combination = summary.set_index("method")["mape_pct"].get("combination", np.nan)
    naive = summary[summary["method"].isin(BASELINES)]["mape_pct"].min()
    plots.finish(
        ax,
        title=(
            f"Next-year totals: the combination missed by {combination:.1f}% on average, "
            f"the best naive rule by {naive:.1f}%"
        ),
        xlabel=f"mean absolute error of the 12-month-ahead total (%; dashed: goal {goal_pct:.0f}%)",
        source=f"{MODEL_SOURCE}; {int(summary['cases'].max())} maker-years, December cutoffs",
    )
    return fig


def chart_fan(
    series: pd.Series, projection: Projection, maker: str, target_units: float
) -> plt.Figure:
    """Fan chart: reported months, then the combined paths' 10-90% and 25-75% bands and median."""
    forecast = projection.forecast
    fig, ax = plt.subplots()
    recent = observed_span(series)
    recent = recent[recent.index > recent.index[-1] - 24]
    ax.plot(_timestamps(recent.index), recent.to_numpy(), "o-", color="#333333", ms=3, lw=1.5, label="reported")  # fmt: skip
    if forecast.runs:
        bands = forecast.monthly_quantiles()
        when, (p10, p25, p50, p75, p90) = _with_breaks(bands.index, bands.to_numpy().T)
        ax.fill_between(when, p10, p90, color=plots.FOCUS_COLOR, alpha=0.18, label="80% of paths")
        ax.fill_between(when, p25, p75, color=plots.FOCUS_COLOR, alpha=0.32, label="50% of paths")
        ax.plot(when, p50, "o-", color=plots.FOCUS_COLOR, ms=4, label="median path")
    needed = projection.arithmetic.required_monthly_run_rate_units
    if np.isfinite(needed):
        ax.axhline(needed, color="#333333", ls="--", lw=1, label=f"needed for {target_units:,.0f}: {needed:,.0f} a month")  # fmt: skip
    plots.thousands(ax)
    _date_axis(ax)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize=9)
    plots.finish(
        ax,
        title=(
            f"{maker} {forecast.target_year}: median {projection.median:,.0f} vehicles "
            f"(80% range {projection.p10:,.0f}-{projection.p90:,.0f})"
        ),
        xlabel="month",
        ylabel="deliveries per month (vehicles)",
        source=MODEL_SOURCE,
    )
    return fig


def chart_total_distribution(
    projection: Projection, targets: dict[str, float], maker: str
) -> plt.Figure:
    """Histogram of the simulated target-year totals with the targets marked."""
    totals = projection.forecast.annual["combination"]
    fig, ax = plt.subplots()
    upper = np.quantile(totals, 0.995)
    ax.hist(totals[totals <= upper], bins=60, color=plots.NEUTRAL_COLOR)
    styles = iter(["-", "--", ":"])
    for label, units in targets.items():
        share = probability_at_least(totals, units)
        ax.axvline(units, color=plots.FOCUS_COLOR, ls=next(styles), lw=2, label=f"{label} {units:,.0f}: reached in {share:.0%} of paths")  # fmt: skip
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


# ---------------------------------------------------------------------------------------------
# Tables for readers

DISPLAY_NAMES = {
    "leapmotor": "Leapmotor",
    "nio": "NIO",
    "xpeng": "XPeng",
    "li_auto": "Li Auto",
    "tesla_china": "Tesla China",
    "byd": "BYD",
    "xiaomi": "Xiaomi",
    "aito_hima": "AITO/HIMA",
}


def display_name(brand: str) -> str:
    """A maker's name for readers (the brand key when no name is known)."""
    return DISPLAY_NAMES.get(brand, brand)


def sourced_target(
    assumptions: pd.DataFrame, maker: str, year: int, kind: str = ""
) -> data.Assumption | None:
    """The sourced target `{maker}_target_{year}[_{kind}]_units` in assumptions.csv, if any."""
    name = f"{maker}_target_{year}_{kind + '_' if kind else ''}units"
    return data.assumption(name, assumptions) if name in assumptions.index else None


def assumptions_table(
    assumptions: pd.DataFrame,
    holidays: pd.DataFrame,
    maker: str,
    target_units: float,
    target_year: int,
    curve_window_months: int,
) -> pd.DataFrame:
    """What the analysis assumes, with sources: the targets, the holiday dates and the model
    settings (labelled "assumption (no source)" when they are modelling choices)."""
    rows = []
    public = sourced_target(assumptions, maker, target_year)
    if public is not None and public.value == target_units:
        rows.append(("target_units", f"{target_units:,.0f}", f"{public.note}, {public.as_of}: {public.source_url}"))  # fmt: skip
    else:
        rows.append(("target_units", f"{target_units:,.0f}", "parameter set by the analyst (no source)"))  # fmt: skip
    internal = sourced_target(assumptions, maker, target_year, "internal")
    if internal is not None:
        rows.append(("internal target", f"{internal.value:,.0f}", f"{internal.note}, {internal.as_of}: {internal.source_url}"))  # fmt: skip
    years = f"{holidays['year'].min()}-{holidays['year'].max()}"
    rows += [
        ("Chinese New Year dates", years, holidays["source_url"].iloc[0]),
        ("holiday window", "3 days before to 11 days after New Year's Day", "assumption (no source)"),
        ("SARIMAX", f"{SARIMAX_ORDER}x{SARIMAX_SEASONAL_ORDER} on log deliveries; months beyond {OUTLIER_SD} sd treated as missing", "assumption (no source)"),
        ("ETS", "multiplicative error and season, damped additive trend", "assumption (no source)"),
        ("growth curve", f"logistic, last {curve_window_months} months, weights halve every {CURVE_HALF_LIFE_MONTHS:.0f} months", "assumption (no source)"),
        ("least history", ", ".join(f"{MODEL_LABELS[m].split(' (')[0]}: {n} months" for m, n in MIN_OBSERVED_MONTHS.items()), "assumption (no source)"),
        ("interval calibration", f"needs {MIN_SCORED_FOR_CALIBRATION} scored maker-years; factor kept in [0.5, 5]", "assumption (no source)"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["assumption", "value", "source"])


def backtest_detail(backtest: Backtest) -> pd.DataFrame:
    """One row per scored maker-year: actual total, the combination's median and 80% interval
    (vehicles), its error and the errors of the Q4 run-rate and last-year rules (percent)."""
    rows = backtest.rows
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
    table["maker"] = table["maker"].map(display_name)
    return table.sort_values(["target_year", "maker"], ignore_index=True)


def needs_table(arithmetic: TargetArithmetic) -> pd.DataFrame:
    """The target's arithmetic as a two-column table for readers."""
    rate_months = ", ".join(arithmetic.latest_run_rate_months)
    rows = [
        (f"deliveries in {arithmetic.last_full_year}", f"{arithmetic.last_full_year_units:,.0f}"),
        ("growth the target needs over it", f"{arithmetic.required_growth_pct:+.1f}%"),
        (
            f"reported so far in {arithmetic.target_year}",
            f"{arithmetic.reported_units:,.0f} ({len(arithmetic.reported_months)} months)",
        ),
        ("months not yet reported", ", ".join(arithmetic.missing_months) or "none"),
        ("needed per missing month", f"{arithmetic.required_monthly_run_rate_units:,.0f}"),
        ("latest run-rate", f"{arithmetic.latest_run_rate_units:,.0f} ({rate_months})"),
    ]
    return pd.DataFrame(rows, columns=["quantity", "value"])


@dataclass(frozen=True)
class Headline:
    """Backtest figures the answer quotes: the combination's and the best naive rule's mean
    absolute error (percent), the combination's 80% coverage (percent) and the cases scored."""

    mape_chosen_pct: float
    coverage80_chosen_pct: float
    mape_best_naive_pct: float
    best_naive_label: str
    cases: int

    @classmethod
    def from_summary(cls, summary: pd.DataFrame) -> Headline:
        rows = summary.set_index("method")
        naive = rows[rows.index.isin(BASELINES)].sort_values("mape_pct")
        chosen = rows.loc["combination"] if "combination" in rows.index else None
        return cls(
            float(chosen["mape_pct"]) if chosen is not None else np.nan,
            float(chosen["coverage80_pct"]) if chosen is not None else np.nan,
            float(naive["mape_pct"].iloc[0]) if len(naive) else np.nan,
            str(naive["label"].iloc[0]) if len(naive) else "none",
            int(chosen["cases"]) if chosen is not None else 0,
        )

    def meets_goal(self, goal_mape_pct: float, coverage_range: tuple[float, float]) -> bool:
        low, high = coverage_range
        return bool(
            self.mape_chosen_pct <= goal_mape_pct and low <= self.coverage80_chosen_pct <= high
        )


def hindsight_total(
    deliveries: pd.DataFrame, maker: str, target_year: int, cutoff: pd.Period
) -> float | None:
    """What the maker delivered in `target_year` when the data hold the whole year and the cutoff
    came before its end (a backtest); None otherwise. Only for comparing after the forecast."""
    if cutoff >= pd.Period(f"{target_year}-12", freq="M"):
        return None
    totals = annual_totals(data.monthly_series(deliveries, maker))
    if target_year in totals.index and totals.loc[target_year, "complete"]:
        return float(totals.loc[target_year, "sum_of_months"])
    return None


def answer_markdown(
    name: str,
    projection: Projection,
    headline: Headline,
    internal_units: float | None,
    goal_mape_pct: float,
    coverage_range: tuple[float, float],
    actual_units: float | None = None,
) -> str:
    """The answer in two to five sentences, built from the computed numbers; `actual_units` (a
    backtest's outcome, from data after the cutoff) is compared last, never used before."""
    arithmetic, forecast = projection.arithmetic, projection.forecast
    target, year = arithmetic.target_units, arithmetic.target_year
    if not forecast.available:
        return (
            f"**No model can forecast {name}'s {year} deliveries from the data.** "
            f"{'; '.join(forecast.skipped.values())}. The target of {target:,.0f} needs "
            f"{arithmetic.required_monthly_run_rate_units:,.0f} a month against a latest run-rate "
            f"of {arithmetic.latest_run_rate_units:,.0f}."
        )
    if not forecast.runs:
        verb = "reaching" if arithmetic.reported_units >= target else "missing"
        return (
            f"**All of {year} is reported: {name} delivered {arithmetic.reported_units:,.0f} "
            f"vehicles, {verb} the target of {target:,.0f}.**"
        )
    internal = (
        f" (internal target {internal_units:,.0f}: {projection.probability(internal_units):.0%})"
        if internal_units is not None
        else ""
    )
    reported = ", ".join(pd.Period(m).strftime("%b") for m in arithmetic.reported_months)
    gap = arithmetic.required_monthly_run_rate_units / arithmetic.latest_run_rate_units - 1
    text = (
        f"**{name} reaches {target:,.0f} deliveries in {year} in "
        f"{projection.p_reach_target:.0%} of simulated paths**{internal}. The median forecast is "
        f"{projection.median:,.0f} vehicles, with an 80% range of {projection.p10:,.0f} to "
        f"{projection.p90:,.0f}. With {reported or 'no month'} reported "
        f"({arithmetic.reported_units:,.0f} vehicles), the {len(arithmetic.missing_months)} "
        f"missing months need {arithmetic.required_monthly_run_rate_units:,.0f} a month, "
        f"{gap:+.0%} on the latest run-rate of {arithmetic.latest_run_rate_units:,.0f}."
    )
    if forecast.skipped:
        ran = ", ".join(MODEL_LABELS[m] for m in forecast.runs)
        text += (
            f" Only {ran} could run on this history; the models section says what the others need."
        )
    if headline.cases:
        verdict = (
            "meets" if headline.meets_goal(goal_mape_pct, coverage_range) else "falls short of"
        )
        text += (
            f" Read the range, not just the median: on {headline.cases} past maker-years the same "
            f"method missed next-year deliveries by {headline.mape_chosen_pct:.1f}% on average "
            f"(best naive rule: {headline.mape_best_naive_pct:.1f}%) and its 80% intervals held "
            f"{headline.coverage80_chosen_pct:.0f}% of outcomes, so it {verdict} the project's goal "
            f"of at most {goal_mape_pct:.0f}% error with {coverage_range[0]:.0f}-"
            f"{coverage_range[1]:.0f}% coverage."
        )
    if actual_units is not None:
        inside = "inside" if projection.p10 <= actual_units <= projection.p90 else "outside"
        reached = "reaching" if actual_units >= target else "missing"
        text += (
            f" In hindsight (data after the cutoff, unused above): {name} delivered "
            f"{actual_units:,.0f} in {year}, {inside} the 80% range and {reached} the target."
        )
    return text


def goal_markdown(
    backtest: Backtest,
    headline: Headline,
    hindsight: HindsightBlend | None,
    goal_mape_pct: float,
    coverage_range: tuple[float, float],
) -> str:
    """Whether the combination meets the forecast-quality goal on the headline maker-years, which
    misses weigh most, and what the best blend chosen with hindsight would have achieved."""
    if not headline.cases:
        return "No maker-year can be scored yet, so the forecast-quality goal cannot be checked."
    rows = backtest.rows
    scored = rows[rows["headline"].astype(bool) & (rows["method"] == "combination")]
    verdict = "meets" if headline.meets_goal(goal_mape_pct, coverage_range) else "does not meet"
    beats = "beats" if headline.mape_chosen_pct < headline.mape_best_naive_pct else "does not beat"
    text = (
        f"**The combination {verdict} the goal.** Over {headline.cases} maker-years it missed "
        f"next-year deliveries by {headline.mape_chosen_pct:.1f}% on average with "
        f"{headline.coverage80_chosen_pct:.0f}% of outcomes inside its 80% intervals (goal: at most "
        f"{goal_mape_pct:.0f}%, with {coverage_range[0]:.0f}-{coverage_range[1]:.0f}% coverage); "
        f"it {beats} the best naive rule ({headline.best_naive_label}, "
        f"{headline.mape_best_naive_pct:.1f}%)."
    )
    if len(scored) >= 4:
        worst = scored.sort_values("abs_error_pct", ascending=False).head(2)
        share = worst["abs_error_pct"].sum() / scored["abs_error_pct"].sum()
        rest = scored.drop(index=worst.index)["abs_error_pct"].mean()
        misses = " and ".join(
            f"{display_name(r.maker)} {r.target_year} ({r.error_pct:+.0f}%)"
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
        reach = (
            "No reweighting of these methods could have met the goal: the years that miss most "
            "broke with the trend that every method reads from past deliveries."
            if hindsight.mape_pct > goal_mape_pct
            else "A different weighting would have met the goal, but only with hindsight."
        )
        text += (
            f" Even the best fixed blend of these forecasts, chosen knowing the outcomes, misses "
            f"by {hindsight.mape_pct:.1f}% ({blend}). {reach}"
        )
    return text


def record_headlines(
    name: str, cutoff: pd.Period, projection: Projection, headline: Headline,
    internal_units: float | None, hindsight: HindsightBlend | None = None,
) -> None:  # fmt: skip
    """Record the notebook's headline numbers with `lib.results`."""
    arithmetic = projection.arithmetic
    target, year = arithmetic.target_units, arithmetic.target_year
    results.record(
        "p_reach_target", projection.p_reach_target, "probability",
        f"chance {name} delivers at least {target:,.0f} vehicles in {year} (data to {cutoff})",
    )  # fmt: skip
    if internal_units is not None:
        results.record(
            "p_reach_internal_target", projection.probability(internal_units), "probability",
            f"chance {name} delivers at least the internal target of {internal_units:,.0f} in {year}",
        )  # fmt: skip
    results.record(
        "forecast_median_units", projection.median, "units",
        f"median forecast of {name}'s {year} deliveries; 10th-90th percentile",
        low=projection.p10, high=projection.p90,
    )  # fmt: skip
    results.record(
        "required_growth_pct", arithmetic.required_growth_pct, "pct",
        f"growth over {arithmetic.last_full_year} deliveries that the target needs",
    )  # fmt: skip
    results.record(
        "required_monthly_run_rate_units", arithmetic.required_monthly_run_rate_units, "units",
        f"average deliveries a month the {len(arithmetic.missing_months)} unreported months of {year} need",
    )  # fmt: skip
    results.record(
        "latest_run_rate_units", arithmetic.latest_run_rate_units, "units",
        f"average monthly deliveries in {', '.join(arithmetic.latest_run_rate_months)}",
    )  # fmt: skip
    results.record(
        "backtest_mape_chosen_pct", headline.mape_chosen_pct, "pct",
        "mean absolute error of the combination's next-year totals in the backtest",
    )  # fmt: skip
    results.record(
        "backtest_mape_best_naive_pct", headline.mape_best_naive_pct, "pct",
        f"the same for the best naive rule ({headline.best_naive_label})",
    )  # fmt: skip
    results.record(
        "backtest_coverage80_chosen_pct", headline.coverage80_chosen_pct, "pct",
        "share of backtest outcomes inside the combination's 80% interval",
    )  # fmt: skip
    if hindsight is not None:
        results.record(
            "backtest_mape_hindsight_blend_pct", hindsight.mape_pct, "pct",
            "mean absolute error of the best fixed blend of the backtest's forecasts, chosen "
            "knowing the outcomes (a bound, not a forecast)",
        )  # fmt: skip
    results.record(
        "backtest_cases", headline.cases, "count",
        "maker-years scored (the year and the two before it complete)",
    )  # fmt: skip
    results.record("target_units", target, "units", f"{name}'s delivery target for {year}")
    results.record("target_year", year, "year", "calendar year of the target")


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
}


def styled(frame: pd.DataFrame, hide_index: bool = True):
    """A table for readers: readable headers, thousands separators, percent signs, n/a for
    unknown values, numbers kept on one line and text left-aligned."""
    formats = {column: fmt for column, fmt in TABLE_FORMATS.items() if column in frame.columns}
    text = [c for c in frame.columns if frame[c].dtype == object or str(frame[c].dtype) == "str"]
    numbers = [c for c in frame.columns if c not in text]
    labels = [COLUMN_LABELS.get(c, c.replace("_", " ")) for c in frame.columns]
    return (
        tables.reader_table(frame, formats, "n/a", hide_index, labels)
        .set_properties(subset=numbers, **{"white-space": "nowrap"})
        .set_properties(subset=text, **{"text-align": "left"})
        .set_properties(subset=text[:1], **{"white-space": "nowrap"})
    )


def skipped_table(skipped: dict[str, str]) -> pd.DataFrame:
    """Models that did not run and why."""
    return pd.DataFrame(
        {"model": [MODEL_LABELS[m] for m in skipped], "why it did not run": list(skipped.values())}
    )


def weights_table(forecast: MakerForecast) -> pd.DataFrame:
    """The combination's weight for each model that ran."""
    return pd.DataFrame(
        {
            "model": [MODEL_LABELS[m] for m in forecast.weights],
            "weight": list(forecast.weights.values()),
        }
    )
