"""The whole margins analysis from checked inputs: one typed result the charts and text read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.margins import breakeven
from lib.margins.affordability import affordability_table
from lib.margins.bridge import Bridge, panel_bridge
from lib.margins.inputs import FIXED_SHARE_RANGE_PCT, Inputs
from lib.margins.learning import (
    LearningRate,
    WrightFit,
    chosen_learning_rate,
    fit_company_learning,
    margin_at_target,
)
from lib.margins.panel import Panel, annual_volume
from lib.margins.units import pct_to_frac

HEADLINE_CUT = 0.10  # the cut the answer turns on (gm_at_target_cut10_pct)


@dataclass(frozen=True)
class Analysis:
    """Results of the margins analysis; margins are 0-1 fractions unless named `_pct`."""

    inputs: Inputs
    margin_now: float  # gross margin in the start quarter
    fit: WrightFit
    learning: LearningRate  # the rate the answer uses (fitted or set)
    fixed_estimate: breakeven.FixedCostEstimate | None  # None: the share was set
    fixed_share: float  # the share of cost of sales taken as fixed
    volume_now: float  # vehicles in the four quarters to the start quarter
    volume_basis: str  # how volume_now was obtained
    target_change: float  # target volume against volume_now, 0-1
    cases: pd.DataFrame  # margin_at_target: prices held, 5% and 10% cut
    need_for_cut: float  # volume increase that keeps gross profit after HEADLINE_CUT; inf: none
    need_for_cut_fixed: float  # the same with the fixed share absorbed
    margin_after_cut_at_target: float  # HEADLINE_CUT at the target volume, before learning
    bridge: Bridge
    grid: pd.DataFrame  # gross margin (%) by volume change (rows) and price cut (columns)
    affordability: pd.DataFrame

    @property
    def name(self) -> str:
        return self.inputs.name

    @property
    def start(self) -> pd.Period:
        return self.inputs.start

    @property
    def panel(self) -> Panel:
        return self.inputs.panel

    @property
    def currency(self) -> str:
        return self.panel.currency

    @property
    def basis_text(self) -> str:
        return "vehicle margin" if self.panel.basis == "vehicle" else "company gross margin"

    def case(self, cut: float) -> pd.Series:
        """The target case with this price cut (0-1)."""
        return self.cases.set_index("price_cut_pct").loc[100 * cut]


def fixed_share(inputs: Inputs) -> tuple[float, breakeven.FixedCostEstimate | None]:
    """The share set by the analyst, or the estimate kept within the parameter's range."""
    if inputs.fixed_cost_share_pct is not None:
        return pct_to_frac(inputs.fixed_cost_share_pct), None
    estimate = breakeven.estimate_fixed_cost_share(inputs.panel, inputs.start)
    low, high = (pct_to_frac(b) for b in FIXED_SHARE_RANGE_PCT)
    return min(max(estimate.share, low), high), estimate


def latest_quarters(inputs: Inputs) -> dict[str, pd.Period]:
    """Each compared company's latest usable quarter (the maker's: the start quarter)."""
    out = {}
    for name, panel in inputs.compared.items():
        if name == inputs.company:
            out[name] = inputs.start
        elif not panel.usable().empty:
            out[name] = panel.usable().index.max()
    return out


def analyse(inputs: Inputs) -> Analysis:
    """Margin today, learning curve, fixed costs, target cases, bridge, map and who can afford it."""
    margin = pct_to_frac(float(inputs.panel.table.loc[inputs.start, "gross_margin_pct"]))
    fit = fit_company_learning(inputs.panels, inputs.company, inputs.start)
    learning = chosen_learning_rate(fit, inputs.learning_rate_pct)
    share, estimate = fixed_share(inputs)
    volume_now, volume_basis = annual_volume(inputs.panel, inputs.start)
    target_change = inputs.target_volume_units / volume_now - 1
    cases = margin_at_target(
        inputs.panel,
        inputs.start,
        learning.slope,
        learning.slope_interval,
        inputs.target_volume_units,
    )
    contribution = breakeven.contribution_margin(margin, share)
    return Analysis(
        inputs=inputs,
        margin_now=margin,
        fit=fit,
        learning=learning,
        fixed_estimate=estimate,
        fixed_share=share,
        volume_now=volume_now,
        volume_basis=volume_basis,
        target_change=target_change,
        cases=cases,
        need_for_cut=breakeven.breakeven_volume_increase(margin, HEADLINE_CUT),
        need_for_cut_fixed=breakeven.breakeven_volume_increase(contribution, HEADLINE_CUT),
        margin_after_cut_at_target=float(
            breakeven.gross_margin_after(margin, share, HEADLINE_CUT, target_change)
        ),
        bridge=panel_bridge(inputs.panel, inputs.base, inputs.start, share),
        grid=breakeven.margin_grid(margin, share, inputs.price_cuts, inputs.volume_changes),
        affordability=affordability_table(inputs.compared, latest_quarters(inputs)),
    )


def finite_pct(value: float) -> float | None:
    """A 0-1 fraction as percent, or None when it is infinite (no volume is enough)."""
    return float(100 * value) if np.isfinite(value) else None
