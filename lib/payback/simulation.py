"""Monte Carlo over the uncertain inputs, and one-at-a-time sensitivities (the tornado).

Every strategy is run on the same draws (common random numbers), so their differences are the
strategies', not the sampling's."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.finance import discounted_payback, npv
from lib.payback.checks import check_scenario
from lib.payback.models import Strategy, Timeline, cash_flows
from lib.payback.uncertain import Scenario, Value, base_values, sample, uncertain_names

# Payback checkpoints, years (the result names carry them: p_payback_5y, p_payback_8y).
SHORT_PAYBACK_YEARS = 5  # one model generation: the cycle a car programme is planned to repay in
LONG_PAYBACK_YEARS = 8  # a second model cycle on the same network and plant
TORNADO_QUANTILES = (0.1, 0.9)  # each input moved to its p10 and p90, the range the summary uses


@dataclass(frozen=True)
class PaybackSummary:
    """Distribution of one strategy's NPV (RMB mn, to the maker) and discounted payback (years)."""

    median_npv: float
    npv_p10: float
    npv_p90: float
    p_npv_negative: float
    median_payback: float  # inf when more than half the draws never pay back
    payback_p10: float
    payback_p90: float
    p_payback_5y: float
    p_payback_8y: float
    p_payback_horizon: float
    n: int

    def standard_error(self, probability: float) -> float:
        """Monte Carlo standard error of an estimated probability."""
        return math.sqrt(probability * (1 - probability) / self.n)


def summarize(npv_draws: np.ndarray, payback_draws: np.ndarray) -> PaybackSummary:
    """Median and p10/p90 of NPV and payback; probabilities of loss, of payback by the short and
    long checkpoints and within the horizon. Quantiles of payback may be inf (never pays back)."""
    npv_draws, payback_draws = np.asarray(npv_draws), np.asarray(payback_draws)
    p10, p50, p90 = np.quantile(npv_draws, [0.1, 0.5, 0.9])
    # method "lower"/"higher" keep quantiles on actual draws, so inf stays inf, never NaN
    q = lambda p: float(np.quantile(payback_draws, p, method="higher"))  # noqa: E731
    return PaybackSummary(
        median_npv=float(p50),
        npv_p10=float(p10),
        npv_p90=float(p90),
        p_npv_negative=float(np.mean(npv_draws < 0)),
        median_payback=q(0.5),
        payback_p10=float(np.quantile(payback_draws, 0.1, method="lower")),
        payback_p90=q(0.9),
        p_payback_5y=float(np.mean(payback_draws <= SHORT_PAYBACK_YEARS)),
        p_payback_8y=float(np.mean(payback_draws <= LONG_PAYBACK_YEARS)),
        p_payback_horizon=float(np.mean(np.isfinite(payback_draws))),
        n=int(npv_draws.size),
    )


@dataclass(frozen=True)
class Simulation:
    """Monte Carlo draws of each strategy: NPV to the maker (RMB mn) and payback (years, inf = never)."""

    npv: dict[str, np.ndarray]
    payback: dict[str, np.ndarray]
    n_sims: int
    seed: int
    include_factory_margin: bool = False

    def summaries(self) -> dict[str, PaybackSummary]:
        return {slug: summarize(self.npv[slug], self.payback[slug]) for slug in self.npv}

    def summary(self) -> pd.DataFrame:
        rows = {slug: vars(s) for slug, s in self.summaries().items()}
        return pd.DataFrame(rows).T.drop(columns="n")


def simulate(
    scenario: Scenario,
    timeline: Timeline,
    n_sims: int,
    seed: int,
    strategies: Iterable[Strategy],
    include_factory_margin: bool = False,
) -> Simulation:
    """Vectorized Monte Carlo: the same `n_sims` draws (common random numbers) for every strategy."""
    check_scenario(scenario)
    values = sample(scenario, n_sims, seed)
    npvs, paybacks = {}, {}
    for s in strategies:
        flows = cash_flows(values, s, timeline, include_factory_margin)
        npvs[s.slug] = npv(flows.maker, flows.rate)
        paybacks[s.slug] = discounted_payback(flows.maker, flows.rate)
    return Simulation(npvs, paybacks, n_sims, seed, include_factory_margin)


def tornado(
    scenario: Scenario,
    strategy: Strategy,
    timeline: Timeline,
    include_factory_margin: bool = False,
    quantiles: tuple[float, float] = TORNADO_QUANTILES,
) -> pd.DataFrame:
    """One-at-a-time sensitivity of the base-case NPV (RMB mn): each uncertain input moved to its
    p10 and p90 with all others at their mode. Inputs that do not move the NPV are left out;
    sorted by swing, largest first; `attrs["base_npv"]` the base case. One vectorized model run."""
    uncertain = uncertain_names(scenario)
    rows = 1 + 2 * len(uncertain)
    values: dict[str, Value | str] = {
        k: (np.full(rows, v) if k in uncertain else v) for k, v in base_values(scenario).items()
    }
    for i, name in enumerate(uncertain):
        low, high = (float(scenario[name].quantile(q)) for q in quantiles)
        values[name][1 + 2 * i] = low
        values[name][2 + 2 * i] = high
    flows = cash_flows(values, strategy, timeline, include_factory_margin)
    result = npv(flows.maker, flows.rate)
    frame = pd.DataFrame(
        {
            "input": uncertain,
            "low_value": [values[n][1 + 2 * i] for i, n in enumerate(uncertain)],
            "high_value": [values[n][2 + 2 * i] for i, n in enumerate(uncertain)],
            "npv_at_low": result[1::2],
            "npv_at_high": result[2::2],
        }
    )
    frame["swing"] = (frame["npv_at_high"] - frame["npv_at_low"]).abs()
    base = float(result[0])
    moving = frame[frame["swing"] > 1e-9 * max(1.0, abs(base))]  # relative: float noise is no swing
    moving = moving.sort_values("swing", ascending=False, ignore_index=True)
    moving.attrs["base_npv"] = base
    return moving
