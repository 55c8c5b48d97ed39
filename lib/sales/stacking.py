"""Stacking: the annual forecasts of the combination, the three models and the naive rules
averaged quantile by quantile, with weights per horizon that minimise the CRPS of earlier target
years only, then the spread calibrated on the stacked forecasts' own earlier errors.

The rule is fixed before any score is seen: members are every method of the rolling-origin
backtest with a predictive distribution; the weights (non-negative, summing to one) minimise the
mean quantile loss over the 1st-99th percentiles (twice it approximates the CRPS), in percent of
the actual so that large makers do not dominate, over every maker-year of an earlier target year
at the same number of months reported; with fewer than `MIN_CASES_TO_STACK` such cases the
stacked forecast is the combination alone. The calibration is `calibration_factor` (as the
combination's), measured on the stacked forecasts made before the year, each itself out of sample.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, hstack, identity, vstack

from lib.sales.evaluation import (
    BASELINES,
    LABELS,
    PERCENTILE_COLUMNS,
    PERCENTILES,
    Backtest,
    percentile_row,
    score_row,
)
from lib.sales.models import MODELS
from lib.sales.simulation import calibration_factor, implied_sd

METHOD = "stacked"
LABEL = LABELS[METHOD]
MEMBERS = ("combination", *MODELS, *BASELINES)
MIN_CASES_TO_STACK = 5  # earlier maker-years at the horizon before the weights are fitted
WINDOW = 0  # horizons pooled for the weights (0: each horizon on its own; 2 and 11 did worse)


def quantile_loss(quantiles: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Twice the mean pinball loss over the 1st-99th percentiles of each row (the same unit as
    the quantiles): a discrete approximation of the CRPS of the quantile forecast."""
    diff = np.asarray(actual, dtype=float)[:, None] - np.asarray(quantiles, dtype=float)
    return 2 * np.mean(np.maximum(PERCENTILES * diff, (PERCENTILES - 1) * diff), axis=1)


def fit_weights(member_quantiles: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Weights on the simplex minimising the mean `quantile_loss` (relative to the actual) of
    the weighted average of the members' quantiles: a linear programme.

    `member_quantiles` has shape (cases, members, levels); `actual` (cases,)."""
    cases, members, levels = member_quantiles.shape
    scaled = member_quantiles / np.asarray(actual, dtype=float)[:, None, None]
    # One row per (case, level): sum_m w_m q_m - 1 = over - under; loss (1-tau) over + tau under.
    design = csr_matrix(scaled.transpose(0, 2, 1).reshape(cases * levels, members))
    n = cases * levels
    eye = identity(n, format="csr")
    simplex = hstack([csr_matrix(np.ones((1, members))), csr_matrix((1, 2 * n))])
    taus = np.tile(PERCENTILES, cases)
    solution = linprog(
        np.concatenate([np.zeros(members), 2 * (1 - taus) / n, 2 * taus / n]),
        A_eq=vstack([hstack([design, -eye, eye]), simplex], format="csr"),
        b_eq=np.concatenate([np.ones(n), [1.0]]),
        bounds=(0, None),
        method="highs",
    )
    if not solution.success:  # feasible and bounded by construction; equal weights if not
        return np.full(members, 1 / members)
    weights = np.clip(solution.x[:members], 0, None)
    return weights / weights.sum()


@dataclass
class Stacked:
    """The stacked forecasts of a backtest: scored rows (the backtest's columns, method
    "stacked"), their percentiles, and per target year the weights and calibration factor used
    (fitted on earlier target years only)."""

    rows: pd.DataFrame
    quantiles: pd.DataFrame
    weights: pd.DataFrame  # target_year, method, weight, cases_used
    calibration: pd.DataFrame  # target_year, factor, cases_used


def member_quantiles(backtest: Backtest) -> dict[tuple[str, int], dict[str, np.ndarray]]:
    """Every member's 1st-99th percentiles of each maker-year's total, by (maker, target_year)."""
    table = backtest.quantiles[backtest.quantiles["method"].isin(MEMBERS)]
    out: dict[tuple[str, int], dict[str, np.ndarray]] = {}
    for row in table.itertuples(index=False):
        values = np.array([getattr(row, c) for c in PERCENTILE_COLUMNS], dtype=float)
        if np.isfinite(values).all() and values[0] > 0:
            out.setdefault((row.maker, int(row.target_year)), {})[row.method] = values
    return out


def stack_weights(
    members: dict[tuple[str, int], dict[str, np.ndarray]], actual: dict[tuple[str, int], float]
) -> tuple[dict[str, float], int]:
    """The weights fitted on the maker-years given (all of an earlier target year than the one
    forecast) and how many were used: over the members present in at least `MIN_CASES_TO_STACK`
    of them, on the maker-years where all those are present; else over the members present in
    every maker-year; with fewer cases the combination alone."""
    present = pd.Series([m for found in members.values() for m in found]).value_counts()
    frequent = [m for m in MEMBERS if present.get(m, 0) >= MIN_CASES_TO_STACK]
    always = [m for m in MEMBERS if present.get(m, 0) == len(members)]
    for chosen in (frequent, always):
        cases = [key for key, found in members.items() if all(m in found for m in chosen)]
        if chosen and len(cases) >= MIN_CASES_TO_STACK:
            stacked = np.array([[members[key][m] for m in chosen] for key in cases])
            weights = fit_weights(stacked, np.array([actual[key] for key in cases]))
            return dict(zip(chosen, weights.tolist(), strict=True)), len(cases)
    return {"combination": 1.0}, 0


def combine(found: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray | None:
    """The weighted average of the members' percentiles, over the weighted members present
    (weights renormalised); the combination's when none is; None without it either."""
    used = {m: w for m, w in weights.items() if m in found and w > 0}
    if not used:
        return found.get("combination")
    total = sum(used.values())
    return sum(w / total * found[m] for m, w in used.items())


def stretch(percentiles: np.ndarray, factor: float) -> np.ndarray:
    """The percentiles moved `factor` times further from the median in logs (median kept)."""
    logs = np.log(np.maximum(percentiles, 1e-9))
    center = logs[len(logs) // 2]
    return np.exp(center + factor * (logs - center))


def sample_of(percentiles: np.ndarray, size: int = 1000) -> np.ndarray:
    """A sample of `size` evenly spaced quantiles, interpolated between the 1st-99th
    percentiles (flat beyond them): what the scores are computed on."""
    return np.interp((np.arange(size) + 0.5) / size, PERCENTILES, percentiles)


def stack(backtests: Mapping[int, Backtest], k: int, window: int = WINDOW) -> Stacked:
    """The stacked forecast of every maker-year in the backtest with `k` months reported, each
    target year from weights fitted on earlier target years only (at the horizons within
    `window` months of k) and a calibration from its own earlier stacked forecasts at k."""
    backtest = backtests[k]
    members = member_quantiles(backtest)
    pool = {
        (*key, other): found
        for other, earlier_backtest in backtests.items()
        if abs(other - k) <= window
        for key, found in member_quantiles(earlier_backtest).items()
    }
    facts = pd.concat([b.rows for b in backtests.values()]).drop_duplicates(
        ["maker", "target_year"]
    )
    facts = facts.set_index(["maker", "target_year"])
    actual = {key: float(facts.loc[key[:2], "actual"]) for key in pool}
    rows, percentiles, weight_rows, calibration_rows = [], [], [], []
    for year in sorted({year for _, year in members}):
        earlier = {key: found for key, found in pool.items() if key[1] < year}
        weights, used = stack_weights(earlier, actual)
        factor = calibration_factor(pd.DataFrame(rows, columns=backtest.rows.columns))
        weight_rows += [
            {"target_year": year, "method": m, "weight": w, "cases_used": used}
            for m, w in weights.items()
        ]
        calibration_rows.append({"target_year": year, "factor": factor, "cases_used": len(rows)})
        for key in sorted(key for key in members if key[1] == year):
            raw = combine(members[key], weights)
            if raw is None:
                continue
            final = stretch(raw, factor)
            where = {"maker": key[0], "target_year": year}
            row = score_row(
                {
                    **where,
                    "method": METHOD,
                    "kind": "stacked",
                    "headline": bool(facts.loc[key, "headline"]),
                    "actual": float(facts.loc[key, "actual"]),
                    "months_reported": k,
                },
                sample_of(final),
            )
            row["raw_implied_sd"] = implied_sd(*np.interp([0.1, 0.9], PERCENTILES, raw))
            rows.append(row)
            percentiles.append(percentile_row(where, METHOD, sample_of(final)))
    return Stacked(
        pd.DataFrame(rows, columns=backtest.rows.columns),
        pd.DataFrame(percentiles, columns=backtest.quantiles.columns),
        pd.DataFrame(weight_rows, columns=["target_year", "method", "weight", "cases_used"]),
        pd.DataFrame(calibration_rows, columns=["target_year", "factor", "cases_used"]),
    )
