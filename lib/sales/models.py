"""The three model families. Each fits on a maker's history up to the cutoff and simulates the
months asked for (months missing inside the target year, then the months after the cutoff):

- SARIMAX on log deliveries with a Chinese New Year regressor (missing months skipped by the
  Kalman filter);
- exponential smoothing (ETS: damped additive trend, multiplicative season and errors);
- a logistic growth curve on seasonally adjusted deliveries (uncertainty from the parameter
  covariance, AR(1) noise).

Paths are vehicles per month: `paths[i, j]` is path i's deliveries in `months[j]`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.statespace.sarimax import SARIMAX

from lib.sales.inputs import InsufficientHistory, observed_span
from lib.sales.seasonality import SeasonalProfile, cny_exposure, fill_gaps

MODELS = ("sarimax", "ets", "growth_curve")
MODEL_LABELS = {
    "sarimax": "SARIMAX (log, CNY regressor)",
    "ets": "ETS (damped trend, multiplicative season)",
    "growth_curve": "Logistic growth curve",
}
SHORT_LABELS = {"sarimax": "SARIMAX", "ets": "ETS", "growth_curve": "growth curve"}

MIN_OBSERVED_MONTHS = {"sarimax": 24, "ets": 24, "growth_curve": 18}
LONG_GAP_MONTHS = 3  # ETS cannot skip months: it starts after the last gap this long
SARIMAX_ORDER = (1, 1, 0)
SARIMAX_SEASONAL_ORDER = (1, 0, 0, 12)
OUTLIER_SD = 3.5  # one-step errors beyond this many sd are treated as missing months
GAP_DRAWS = 200  # simulation-smoother draws for months missing inside the target year

# The logistic curve, in log points. Its bounds keep the optimiser on curves a maker can follow;
# a fit on the headroom bound means "no levelling-off visible yet" (the model's note says so).
CURVE_HALF_LIFE_MONTHS = 12.0  # the growth curve weighs a month half as much a year earlier
CURVE_LEVEL_BELOW_RECENT = 2.0  # level now at most e^2 (7.4x) below the last 3 months' mean...
CURVE_LEVEL_ABOVE_RECENT = 1.0  # ...and at most e (2.7x) above it
# Growth a month now: the curve rises or levels off, it never declines; 0.30 (+35% a month) is
# beyond any ramp sustained in the data.
CURVE_GROWTH_RANGE = (0.0, 0.30)
# log(capacity / level now): from 2% (at capacity already) to e^4 (55x, no ceiling in sight).
CURVE_HEADROOM_RANGE = (0.02, 4.0)
CURVE_AT_BOUND = 0.01  # a headroom this close to its upper bound counts as "on the bound"
CURVE_START_HEADROOMS = (0.1, 0.5, 1.5, 3.0)  # starts across the range: the cost has local minima
CURVE_LOSS_SCALE = 0.15  # soft-L1: residuals beyond ~15% (log) weigh linearly, not squared
# Residual autocorrelation carried into the paths: a negative estimate on 18-24 months is noise
# (taken as 0); above 0.9 the noise would behave like a random walk and swamp the curve.
CURVE_AR1_RANGE = (0.0, 0.9)


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
    (growth_low, growth_high), (headroom_low, headroom_high) = (
        CURVE_GROWTH_RANGE,
        CURVE_HEADROOM_RANGE,
    )
    lower = np.array([recent - CURVE_LEVEL_BELOW_RECENT, growth_low, headroom_low])
    upper = np.array([recent + CURVE_LEVEL_ABOVE_RECENT, growth_high, headroom_high])
    slope = float(np.polyfit(t, y, 1)[0]) if len(y) > 2 else 0.0
    best = None
    for headroom in CURVE_START_HEADROOMS:
        start = np.clip([recent, slope, headroom], lower + 1e-6, upper - 1e-6)
        solution = least_squares(
            lambda p: root_weight * (logistic_log_level(p, t)[0] - y),
            start,
            bounds=(lower, upper),
            loss="soft_l1",
            f_scale=CURVE_LOSS_SCALE,
        )
        if best is None or solution.cost < best.cost:
            best = solution
    residual = logistic_log_level(best.x, t)[0] - y
    weighted = best.fun
    sd = float(np.sqrt(np.sum(weighted**2) / max(np.sum(root_weight**2) - 3, 1)))
    covariance = np.linalg.pinv(best.jac.T @ best.jac) * sd**2
    ar1 = float(np.clip(np.corrcoef(residual[:-1], residual[1:])[0, 1], *CURVE_AR1_RANGE))
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
        if fit.params[2] >= fit.upper[2] - CURVE_AT_BOUND
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
