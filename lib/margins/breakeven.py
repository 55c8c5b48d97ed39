"""Price cuts against volume: break-even volume, margin after a cut, fixed costs and learning.

Fractions (0-1) throughout, percent only where a name ends in `_pct`. One cost model serves the
bridge, the break-even curve and the margin map: a share s of today's cost of sales is fixed, so
when volume changes by g the cost per vehicle becomes (1 - s) + s / (1 + g) of today's
(`unit_cost_factor`); an extra vehicle costs only its variable part, (1 - s) of today's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from lib.margins.panel import Panel
from lib.margins.units import frac_to_pct, pct_to_frac

FIXED_COST_QUARTERS = 8  # two years of quarters: enough spread in volume, little drift in costs
MIN_FIXED_COST_QUARTERS = 3  # an intercept and a slope need one residual degree of freedom
# Evidence floor of the estimate: below it the share is "too little data (N quarters)", not a
# number. Fewer quarters than this and one quarter's mix or one-off moves the intercept.
MIN_EVIDENCE_QUARTERS = 6
# A 95% interval that includes zero and is wider than this (0-1 of cost of sales) cannot tell
# "no fixed cost" from a fifth of cost of sales fixed: the data do not say which.
MAX_UNINFORMED_WIDTH = 0.20


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


def make_grid(low_pct: float, high_pct: float, step_pct: float) -> np.ndarray:
    """An evenly spaced grid of fractions from `low_pct` to `high_pct` (both included when the
    step fits); the bounds and the step are checked by the parameters (lib.margins.Params)."""
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

    @property
    def too_little_data(self) -> bool:
        """Below the evidence floor: too few quarters, or an interval that says nothing."""
        if self.n < MIN_EVIDENCE_QUARTERS:
            return True
        return self.low < 0 < self.high and self.high - self.low > MAX_UNINFORMED_WIDTH


def estimate_fixed_cost_share(
    panel: Panel, through: pd.Period, quarters: int = FIXED_COST_QUARTERS
) -> FixedCostEstimate:
    """Fixed share (0-1) of cost of sales from OLS of quarterly cost of sales on deliveries.

    Uses up to `quarters` usable quarters up to `through`: cost = F + v N; the share is F over the
    cost of sales of `through`, with a 95% interval. Falling unit costs (learning) push F up, so
    read it as an upper bound. With fewer than MIN_FIXED_COST_QUARTERS the estimate is NaN (and
    `too_little_data`)."""
    usable = panel.usable()
    usable = usable[usable.index <= through].tail(quarters)
    span = f"{usable.index.min()} to {usable.index.max()}"
    if len(usable) < MIN_FIXED_COST_QUARTERS:  # no regression at all: below the floor
        return FixedCostEstimate(np.nan, np.nan, np.nan, span, len(usable), np.nan)
    cost_mn = usable["revenue"] * (1 - usable["gross_margin_pct"] / 100)
    model = sm.OLS(cost_mn.to_numpy(), sm.add_constant(usable["deliveries"].to_numpy())).fit()
    low, high = model.conf_int(0.05)[0]
    latest_cost = float(cost_mn.loc[through])
    return FixedCostEstimate(
        share=float(model.params[0] / latest_cost),
        low=float(low / latest_cost),
        high=float(high / latest_cost),
        quarters=span,
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
