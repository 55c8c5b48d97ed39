"""Finance primitives on yearly flows: discount factors, NPV, IRR and discounted payback.

Flow index t = 0..H; the flow at t = 0 is not discounted, flow t is discounted as received at the
end of year t: factor (1 + rate) ** -t. Rates are decimal fractions (0.09 = 9%). Discounted payback
never reached within the horizon is `inf`, never a number."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

Value = float | np.ndarray
ROOT_TOLERANCE = 1e-9  # imaginary part below which a polynomial root counts as real (IRR)


def check_rate(rate: Value, name: str = "discount rate") -> np.ndarray:
    """`rate` as an array; ValueError naming `name` at or below -100% (or not finite)."""
    rate = np.asarray(rate, dtype=float)
    if np.any(~np.isfinite(rate)) or np.any(rate <= -1):
        worst = float(np.nanmin(rate)) if np.any(np.isfinite(rate)) else float("nan")
        raise ValueError(
            f"{name} must be above -100% (a decimal above -1), got {worst:g}; "
            "at -100% or below every future flow would be worth infinity"
        )
    return rate


def discount_factors(rate: Value, horizon: int) -> np.ndarray:
    """Factors (1 + rate) ** -t for t = 0..horizon; shape (..., horizon + 1). `rate` is a decimal."""
    rate = check_rate(rate)
    t = np.arange(horizon + 1, dtype=float)
    return (1.0 + rate[..., None]) ** -t


def npv(flows: np.ndarray, rate: Value) -> Value:
    """Net present value of `flows[..., t]`, t = 0..H: the first flow (t = 0) is NOT discounted.

    `rate` is a decimal (0.09 = 9%), one per row of `flows` or one for all."""
    flows = np.asarray(flows, dtype=float)
    value = np.sum(flows * discount_factors(rate, flows.shape[-1] - 1), axis=-1)
    return float(value) if np.ndim(value) == 0 else value


def irr(flows: Iterable[float]) -> float:
    """Internal rate of return (decimal) of yearly flows with the first at t = 0.

    NaN when no rate above -100% sets the NPV to zero (e.g. all flows of one sign); with
    several such rates (flows changing sign more than once) the one closest to zero."""
    flows = np.asarray(list(flows), dtype=float)
    if flows.ndim != 1 or flows.size < 2:
        raise ValueError(f"irr needs a 1-D series of at least 2 flows, got shape {flows.shape}")
    nonzero = np.flatnonzero(flows)
    if nonzero.size == 0:
        return float("nan")
    # NPV is a polynomial in x = 1 / (1 + r): sum_t flow_t x**t; IRRs are its positive real roots.
    trimmed = flows[: nonzero[-1] + 1]
    roots = np.roots(trimmed[::-1])
    real = roots[(np.abs(roots.imag) < ROOT_TOLERANCE) & (roots.real > 0)].real
    if real.size == 0:
        return float("nan")
    rates = 1.0 / real - 1.0
    return float(rates[np.argmin(np.abs(rates))])


def discounted_payback(flows: np.ndarray, rate: Value) -> Value:
    """Years from t = 0 until the cumulative discounted cash flow is non-negative for good.

    Interpolated linearly inside the year it turns: k + (-cumulative_k) / discounted_flow_(k+1),
    where k is the last index with a negative cumulative. 0 when it never goes negative;
    `inf` when it is still negative at the horizon (never pays back within the horizon)."""
    flows = np.asarray(flows, dtype=float)
    horizon = flows.shape[-1] - 1
    discounted = flows * discount_factors(rate, horizon)
    cumulative = np.cumsum(discounted, axis=-1)
    negative = cumulative < 0
    last_negative = horizon - np.argmax(negative[..., ::-1], axis=-1)
    any_negative = negative.any(axis=-1)
    never = any_negative & (last_negative == horizon)
    k = np.where(any_negative & ~never, last_negative, 0)
    shortfall = -np.take_along_axis(cumulative, k[..., None], axis=-1)[..., 0]
    next_year = np.minimum(k + 1, horizon)[..., None]
    recovered = np.take_along_axis(discounted, next_year, axis=-1)[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        years = k + shortfall / recovered
    years = np.where(any_negative, years, 0.0)
    years = np.where(never, np.inf, years)
    return float(years) if np.ndim(years) == 0 else years
