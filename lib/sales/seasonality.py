"""Seasonality pooled across makers, the Chinese New Year regressor, and the data as known at a
cutoff (every maker's series and the profile pooled over them).

Effects are on log deliveries: add them to a seasonally adjusted log level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from lib.sales.inputs import InsufficientHistory, observed_span, series_at

CNY_WINDOW_DAYS = (-3, 11)  # holiday window: 3 days before New Year's Day to 11 days after
# The pooled profile needs, for every calendar month, this many maker-months with a full year of
# data either side (13 months make the centred average): fewer and a month's effect is one maker's.
MIN_PER_CALENDAR_MONTH = 2
MIN_SPAN_FOR_PROFILE = 13
TREND_MIN_KNOWN_MONTHS = 11  # of the 13 in the centred average; fewer leave the trend unknown


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
    day = np.array([np.datetime64(dates[year], "D") for year in months.year], dtype="datetime64[D]")
    first = months.start_time.to_numpy().astype("datetime64[D]")
    last = months.end_time.to_numpy().astype("datetime64[D]")
    overlap = np.minimum(day + high, last) - np.maximum(day + low, first)  # days, less one
    return np.clip(overlap.astype(int) + 1, 0, None) / (high - low + 1)


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


def centred_trend(log_level: pd.Series, min_months: int = TREND_MIN_KNOWN_MONTHS) -> pd.Series:
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
    series_by_maker: dict[str, pd.Series],
    holidays: pd.DataFrame,
    min_per_month: int = MIN_PER_CALENDAR_MONTH,
) -> SeasonalProfile:
    """Seasonal profile pooled over makers: robust (Huber) regression of the deviations from the
    local trend on calendar-month dummies and the Chinese New Year share."""
    frames = []
    for brand, series in series_by_maker.items():
        span = observed_span(series)
        if len(span) >= MIN_SPAN_FOR_PROFILE:
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
