"""Price cuts against volume: break-even volume, margin after a cut, fixed costs and learning.

Fractions (0-1) throughout, percent only where a name ends in `_pct`. One cost model serves the
bridge, the break-even curve and the margin map: a share s of today's cost of sales is fixed, so
when volume changes by g the cost per vehicle becomes (1 - s) + s / (1 + g) of today's
(`unit_cost_factor`); an extra vehicle costs only its variable part, (1 - s) of today's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from lib.margins.panel import Panel
from lib.margins.units import frac_to_pct, pct_to_frac

FIXED_COST_QUARTERS = 8  # two years of quarters: enough spread in volume, little drift in costs
MIN_FIXED_COST_QUARTERS = 3  # an intercept and a slope need one residual degree of freedom


def unit_cost_factor(
    fixed_cost_share: float, volume_change: float | np.ndarray
) -> float | np.ndarray:
    """Cost per vehicle as a multiple of today's when volume changes by g (0-1) and a share s
    (0-1) of cost of sales is fixed: (1 - s) + s / (1 + g)."""
    return (1 - fixed_cost_share) + fixed_cost_share / (1 + volume_change)


def contribution_margin(gross_margin: float, fixed_cost_share: float) -> float:
    """Margin (0-1) on an extra vehicle, which costs only the variable part: 1 - (1 - m)(1 - s)."""
    return 1 - (1 - gross_margin) * (1 - fixed_cost_share)


def breakeven_volume_increase(margin: float, price_cut: float | np.ndarray) -> float | np.ndarray:
    """Volume increase (0-1 fraction) that keeps gross profit after a price cut: d / (m - d).

    margin: contribution margin m (0-1); price_cut: d (0-1). Where d >= m no volume is enough:
    the result is +inf."""
    cut = np.asarray(price_cut, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        needed = np.where(cut < margin, cut / (margin - cut), np.inf)
    return float(needed) if np.ndim(needed) == 0 else needed


def gross_margin_after(
    gross_margin: float,
    fixed_cost_share: float,
    price_cut: float | np.ndarray,
    volume_change: float | np.ndarray,
) -> np.ndarray:
    """Gross margin (0-1) after a price cut d and a volume change g, with fixed costs absorbed:
    1 - (1 - m) x unit_cost_factor(s, g) / (1 - d) (today's price = 1)."""
    cost = (1 - gross_margin) * unit_cost_factor(fixed_cost_share, volume_change)
    return 1 - cost / (1 - price_cut)


def margin_grid(
    gross_margin: float, fixed_cost_share: float, price_cuts: np.ndarray, volume_changes: np.ndarray
) -> pd.DataFrame:
    """Gross margin (percent) on a grid: rows = volume change (%), columns = price cut (%)."""
    cuts, changes = np.meshgrid(price_cuts, volume_changes)
    values = frac_to_pct(gross_margin_after(gross_margin, fixed_cost_share, cuts, changes))
    return pd.DataFrame(
        values,
        index=pd.Index(np.round(frac_to_pct(volume_changes), 6), name="volume_change_pct"),
        columns=pd.Index(np.round(frac_to_pct(price_cuts), 6), name="price_cut_pct"),
    )


def make_grid(
    low_pct: float, high_pct: float, step_pct: float, name: str, bounds: tuple[float, float]
) -> np.ndarray:
    """An evenly spaced grid of fractions from percent bounds; clear errors when empty or out of range."""
    lower, upper = bounds
    if not (math.isfinite(low_pct) and math.isfinite(high_pct) and math.isfinite(step_pct)):
        raise ValueError(
            f"{name}: grid bounds must be finite numbers, got {low_pct}, {high_pct}, {step_pct}"
        )
    if step_pct <= 0:
        raise ValueError(f"{name}: step {step_pct!r}% must be positive")
    if high_pct < low_pct:
        raise ValueError(
            f"{name}: the grid is empty: from {low_pct}% to {high_pct}% (the upper end must not be below the lower end)"
        )
    if low_pct < lower or high_pct > upper:
        raise ValueError(
            f"{name}: grid {low_pct}% to {high_pct}% is out of range; expected values within [{lower}%, {upper}%]"
        )
    count = int(np.floor((high_pct - low_pct) / step_pct + 1e-9)) + 1  # 1e-9: float steps
    return pct_to_frac(low_pct + step_pct * np.arange(count))


@dataclass(frozen=True)
class FixedCostEstimate:
    """Fixed share (0-1) of cost of sales with its 95% interval, from OLS on `n` quarters."""

    share: float
    low: float
    high: float
    quarters: str  # "2024Q1 to 2025Q4"
    n: int
    variable_cost_per_vehicle: float  # currency units


def estimate_fixed_cost_share(
    panel: Panel, through: pd.Period, quarters: int = FIXED_COST_QUARTERS
) -> FixedCostEstimate:
    """Fixed share (0-1) of cost of sales from OLS of quarterly cost of sales on deliveries.

    Uses up to `quarters` usable quarters up to `through`: cost = F + v N; the share is F over the
    cost of sales of `through`, with a 95% interval. Falling unit costs (learning) push F up, so
    read it as an upper bound."""
    usable = panel.usable()
    usable = usable[usable.index <= through].tail(quarters)
    if len(usable) < MIN_FIXED_COST_QUARTERS:
        raise ValueError(
            f"fixed_cost_share_pct: {panel.company} has {len(usable)} usable quarters up to {through}; at least {MIN_FIXED_COST_QUARTERS} are needed to estimate it (set fixed_cost_share_pct instead)"
        )
    cost_mn = usable["revenue"] * (1 - usable["gross_margin_pct"] / 100)
    model = sm.OLS(cost_mn.to_numpy(), sm.add_constant(usable["deliveries"].to_numpy())).fit()
    low, high = model.conf_int(0.05)[0]
    latest_cost = float(cost_mn.loc[through])
    return FixedCostEstimate(
        share=float(model.params[0] / latest_cost),
        low=float(low / latest_cost),
        high=float(high / latest_cost),
        quarters=f"{usable.index.min()} to {usable.index.max()}",
        n=len(usable),
        variable_cost_per_vehicle=float(model.params[1] * 1e6),
    )


def project_gross_margin(
    gross_margin: float,
    cum_mid_now: float,
    cum_mid_target: float,
    slope: float | np.ndarray,
    price_cut: float = 0.0,
) -> float | np.ndarray:
    """Gross margin (0-1) once cumulative deliveries reach `cum_mid_target`, by Wright's law.

    Unit cost scales by (X1 / X0)^b from today's (1 - m); price is today's times (1 - cut)."""
    factor = np.power(cum_mid_target / cum_mid_now, slope)
    return 1 - (1 - gross_margin) * factor / (1 - price_cut)
