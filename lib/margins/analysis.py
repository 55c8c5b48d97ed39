"""The whole margins analysis from checked inputs: one typed result the charts, tables and text
read, and that records its headline numbers (`Analysis.record`, names in `lib.margins.names`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib import results
from lib.margins import breakeven
from lib.margins import names as n
from lib.margins.affordability import affordability_table
from lib.margins.bridge import Bridge, panel_bridge
from lib.margins.inputs import Inputs
from lib.margins.learning import (
    LearningRate,
    WrightFit,
    chosen_learning_rate,
    fit_company_learning,
    learning_points,
    margin_at_target,
)
from lib.margins.outlook import Outlook, quarter_outlook
from lib.margins.panel import Panel, annual_volume
from lib.margins.params import Params
from lib.margins.units import pct_to_frac

HEADLINE_CUT = 0.10  # the cut the answer turns on (gm_at_target_cut10_pct)
TARGET_CASES = {  # result name -> price cut (0-1) of the target case
    n.GM_AT_TARGET_CURRENT_PCT: 0.0,
    n.GM_AT_TARGET_CUT5_PCT: 0.05,
    n.GM_AT_TARGET_CUT10_PCT: HEADLINE_CUT,
}
# Why a maker's margins at the target volume carry no range (the learning rate is not applied).
NO_LEARNING = "no learning is applied (the data do not give the maker's cumulative deliveries)"


@dataclass(frozen=True)
class Analysis:
    """Results of the margins analysis; margins are 0-1 fractions unless named `_pct`."""

    inputs: Inputs
    margin_now: float  # gross margin in the start quarter
    fit: WrightFit
    learning: LearningRate  # the rate the answer uses (fitted or set)
    own_learning_quarters: int  # the maker's quarters with cumulative deliveries, to the start
    fixed_estimate: breakeven.FixedCostEstimate | None  # None: the share was set
    fixed_share: float  # the share of cost of sales taken as fixed (0 below the evidence floor)
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
    outlook: Outlook  # the next quarter's expectation, its record and earlier calls scored

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

    @property
    def learning_applied(self) -> bool:
        return bool(self.cases.attrs["learning_applied"])

    @property
    def fixed_too_little_data(self) -> bool:
        """The estimate of the fixed share is below its evidence floor (breakeven)."""
        return self.fixed_estimate is not None and self.fixed_estimate.too_little_data

    def case(self, cut: float) -> pd.Series:
        """The target case with this price cut (0-1)."""
        return self.cases.set_index("price_cut_pct").loc[100 * cut]

    def record(self) -> None:
        """Record the notebook's headline numbers (lib.results, names in lib.margins.names)."""
        results.record(
            n.LATEST_PERIOD,
            str(self.start),
            "quarter",
            f"quarter the analysis starts from ({self.name}), that of the latest gross margin",
        )
        results.record(
            n.LATEST_GROSS_MARGIN_PCT,
            100 * self.margin_now,
            "pct",
            f"{self.name}'s gross margin in {self.start}: {margin_basis(self)}",
            role="supporting",
        )
        results.record(
            n.MARGIN_BASIS,
            margin_basis(self),
            "text",
            "what the latest gross margin measures and whose financials it comes from",
        )
        _record_learning(self)
        _record_fixed_share(self)
        results.record(
            n.VOLUME_INCREASE_FOR_10PCT_CUT_PCT,
            finite_pct(self.need_for_cut),
            "pct",
            "extra volume that keeps gross profit after a 10% price cut, all cost of sales "
            "variable (d/(m-d)); empty = impossible",
        )
        results.record(
            n.VOLUME_INCREASE_FOR_10PCT_CUT_FIXED_COST_PCT,
            too_little_data(self.fixed_estimate.n)
            if self.fixed_too_little_data
            else finite_pct(self.need_for_cut_fixed),
            "pct",
            "same with the fixed share of cost of sales absorbed by the extra volume",
        )
        results.record(
            n.TARGET_VOLUME_UNITS,
            self.inputs.target_volume_units,
            "units",
            f"annual deliveries of the target case: {self.inputs.target_origin} "
            f"({self.target_change:+.0%} on {self.volume_basis})",
        )
        for name, cut in TARGET_CASES.items():
            _record_case(self, name, cut)
        self.outlook.record()


def margin_basis(result: Analysis) -> str:
    """What the margin measures, whose financials and currency; when the financials count other
    vehicles than the maker's monthly series, both totals (a label, never a silent mix)."""
    text = f"{result.basis_text} of {result.inputs.company}, {result.currency}"
    scope = result.inputs.scope
    if scope is None:
        return text
    return (
        f"{text}; these financials count {scope.company_units:,.0f} deliveries in {scope.year}, "
        f"{result.name}'s monthly series {scope.series_units:,.0f}"
    )


def too_little_data(count: int) -> str:
    """An evidence floor's text: 'too little data (4 quarters)'."""
    return f"too little data ({count} quarter{'' if count == 1 else 's'})"


def _record_learning(result: Analysis) -> results.Result:
    learning = result.learning
    if not result.learning_applied:  # the pooled peers' rate is not the maker's: not shown as it
        return results.record(
            n.LEARNING_RATE_PCT,
            too_little_data(result.own_learning_quarters),
            "pct",
            f"unit-cost fall per doubling of cumulative deliveries: not estimated for {result.name}"
            f", {NO_LEARNING}",
        )
    low, high = learning.rate_interval
    return results.record(
        n.LEARNING_RATE_PCT,
        100 * learning.rate,
        "pct",
        f"unit-cost fall per doubling of cumulative deliveries, {learning.source}; 95% interval",
        low=100 * low,
        high=100 * high,
    )


def _record_fixed_share(result: Analysis) -> results.Result:
    estimate = result.fixed_estimate
    if estimate is None:
        return results.record(
            n.FIXED_COST_SHARE_PCT,
            100 * result.fixed_share,
            "pct",
            "share of cost of sales that is fixed, set by the analyst (no source)",
        )
    how = f"OLS of cost of sales on deliveries, {estimate.quarters}"
    if estimate.too_little_data:
        return results.record(
            n.FIXED_COST_SHARE_PCT,
            too_little_data(estimate.n),
            "pct",
            f"share of cost of sales that is fixed: the estimate ({how}) is below the evidence "
            f"floor ({fixed_floor_text()}); all cost of sales is taken as variable",
        )
    return results.record(
        n.FIXED_COST_SHARE_PCT,
        100 * result.fixed_share,
        "pct",
        f"share of cost of sales that is fixed, estimated ({how}), kept within the parameter's "
        "range; 95% interval",
        low=100 * estimate.low,
        high=100 * estimate.high,
    )


def fixed_floor_text() -> str:
    """The evidence floor of the fixed-share estimate, in words."""
    return (
        f"at least {breakeven.MIN_EVIDENCE_QUARTERS} quarters, and a 95% interval that excludes "
        f"zero or is narrower than {100 * breakeven.MAX_UNINFORMED_WIDTH:.0f} points"
    )


def _record_case(result: Analysis, name: str, cut: float) -> results.Result:
    case, learned = result.case(cut), result.learning_applied
    return results.record(
        name,
        float(case.gross_margin_pct),
        "pct",
        f"gross margin at the target volume, {case.case}; "
        + ("interval from the learning rate" if learned else f"no interval: {NO_LEARNING}"),
        low=float(case.low_pct) if learned else None,
        high=float(case.high_pct) if learned else None,
        role="headline" if cut == HEADLINE_CUT else "supporting",
    )


def fixed_share(inputs: Inputs) -> tuple[float, breakeven.FixedCostEstimate | None]:
    """The share set by the analyst, or the estimate kept within the parameter's range; 0 (all
    cost of sales variable) when the estimate is below its evidence floor."""
    if inputs.fixed_cost_share_pct is not None:
        return pct_to_frac(inputs.fixed_cost_share_pct), None
    estimate = breakeven.estimate_fixed_cost_share(inputs.panel, inputs.start)
    if estimate.too_little_data:
        return 0.0, estimate
    spec = Params.spec("fixed_cost_share_pct")
    return min(max(estimate.share, pct_to_frac(spec.low)), pct_to_frac(spec.high)), estimate


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
    """Margin today, learning curve, fixed costs, target cases, bridge, map, who can afford it,
    and the next quarter's expectation with its record."""
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
        own_learning_quarters=len(learning_points(inputs.panel, inputs.start)),
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
        outlook=quarter_outlook(inputs),
    )


def finite_pct(value: float) -> float | None:
    """A 0-1 fraction as percent, or None when it is infinite (no volume is enough)."""
    return float(100 * value) if np.isfinite(value) else None
