"""Gross-profit bridge: what moved gross profit between two quarters (volume, price, unit cost)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lib.margins.breakeven import unit_cost_factor
from lib.margins.panel import Panel


@dataclass(frozen=True)
class Bridge:
    """Gross-profit change between two quarters, in currency millions; effects add up exactly."""

    base: pd.Period | None
    end: pd.Period | None
    base_gross_profit: float
    end_gross_profit: float
    effects: pd.Series  # name -> currency millions

    @property
    def change(self) -> float:
        return self.end_gross_profit - self.base_gross_profit

    @property
    def largest_effect(self) -> str:
        return str(self.effects.abs().idxmax())

    def table(self) -> pd.DataFrame:
        rows = [(f"Gross profit {self.base}", self.base_gross_profit)]
        rows += list(self.effects.items())
        rows.append((f"Gross profit {self.end}", self.end_gross_profit))
        return pd.DataFrame(rows, columns=["step", "value_mn"])


def gross_profit_bridge(
    volume: tuple[float, float],
    price: tuple[float, float],
    unit_cost: tuple[float, float],
    fixed_cost_share: float | None = None,
    periods: tuple[pd.Period, pd.Period] | None = None,
) -> Bridge:
    """Split GP1 - GP0 (GP = vehicles x (price - unit cost)) into effects, in currency millions.

    volume: vehicles; price and unit_cost: currency per vehicle, each as (base, end).
    volume = (N1 - N0)(p0 - c0); price/mix = N1 (p1 - p0); unit cost = -N1 (c1 - c0).
    With `fixed_cost_share` (0-1 fraction of base cost of sales that is fixed), the unit-cost
    effect splits into fixed-cost absorption (the base unit cost spread over N1 vehicles, by
    `unit_cost_factor`) and the rest."""
    (n0, n1), (p0, p1), (c0, c1) = volume, price, unit_cost
    effects = {"Volume": (n1 - n0) * (p0 - c0), "Price / mix": n1 * (p1 - p0)}
    unit_cost_effect = -n1 * (c1 - c0)
    if fixed_cost_share is None:
        effects["Unit cost"] = unit_cost_effect
    else:
        absorbed = c0 * unit_cost_factor(fixed_cost_share, n1 / n0 - 1)
        effects["Fixed-cost absorption"] = -n1 * (absorbed - c0)
        effects["Other unit cost"] = unit_cost_effect - effects["Fixed-cost absorption"]
    base, end = periods if periods else (None, None)
    return Bridge(
        base,
        end,
        n0 * (p0 - c0) / 1e6,
        n1 * (p1 - c1) / 1e6,
        pd.Series(effects, dtype=float) / 1e6,
    )


def panel_bridge(
    panel: Panel, base: pd.Period, end: pd.Period, fixed_cost_share: float | None = None
) -> Bridge:
    """The gross-profit bridge between two quarters of a company's panel."""
    t = panel.table
    return gross_profit_bridge(
        (t.loc[base, "deliveries"], t.loc[end, "deliveries"]),
        (t.loc[base, "revenue_per_vehicle"], t.loc[end, "revenue_per_vehicle"]),
        (t.loc[base, "cost_per_vehicle"], t.loc[end, "cost_per_vehicle"]),
        fixed_cost_share,
        (base, end),
    )
