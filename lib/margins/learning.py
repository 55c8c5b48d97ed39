"""Wright's law: unit cost against cumulative deliveries, and the gross margin at a target volume."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from lib.margins.breakeven import project_gross_margin
from lib.margins.panel import Panel
from lib.margins.units import frac_to_pct, pct_to_frac

MIN_OWN_FIT_POINTS = 4  # fewer quarters than this: the learning curve borrows the peers' slope
MIN_POOLED_POINTS = 2  # a peer adds to the pooled slope only with two quarters (one within-step)
# The answer's cases: prices held, and the two cuts the summary reports (gm_at_target_cut5_pct,
# gm_at_target_cut10_pct).
TARGET_PRICE_CUTS = (0.0, 0.05, 0.10)


def learning_rate_from_slope(slope: float | np.ndarray) -> float | np.ndarray:
    """Unit-cost fall per doubling of cumulative volume (0-1) from the log-log slope b: 1 - 2^b."""
    return 1 - np.power(2.0, slope)


def slope_from_learning_rate(rate: float | np.ndarray) -> float | np.ndarray:
    """Log-log slope b from a learning rate (0-1 fraction): log2(1 - rate)."""
    return np.log2(1 - np.asarray(rate, dtype=float))


@dataclass(frozen=True)
class WrightFit:
    """ln(unit cost) = a + b ln(cumulative deliveries); learning rate = 1 - 2^b (0-1)."""

    slope: float
    slope_se: float
    slope_ci: tuple[float, float]
    learning_rate: float
    learning_rate_ci: tuple[float, float]  # (low, high) at the 95% level
    n_points: int
    r_squared: float
    residual_sd: float  # in log points
    durbin_watson: float
    scope: str  # "own data" or "pooled peers (company fixed effects)"
    points: pd.DataFrame  # company, quarter, cum_deliveries_mid, cost_per_vehicle, fitted, residual
    intercepts: pd.Series  # company -> a


def fit_wright(points: pd.DataFrame, level: float = 0.95) -> WrightFit:
    """Fit Wright's law by OLS in logs; several companies get their own intercept, one slope.

    points: columns company, cum_deliveries_mid (vehicles), cost_per_vehicle (currency units);
    optional quarter. Needs positive values and at least one residual degree of freedom."""
    frame = points.dropna(subset=["cum_deliveries_mid", "cost_per_vehicle"]).copy()
    frame = frame[(frame["cum_deliveries_mid"] > 0) & (frame["cost_per_vehicle"] > 0)]
    groups = sorted(frame["company"].unique())
    if len(frame) < len(groups) + 2:
        raise ValueError(
            f"too few quarters to fit a learning curve: {len(frame)} with unit cost and cumulative deliveries, need at least {len(groups) + 2}"
        )
    x = np.log(frame["cum_deliveries_mid"].to_numpy())
    dummies = pd.get_dummies(frame["company"]).reindex(columns=groups).astype(float).to_numpy()
    model = sm.OLS(np.log(frame["cost_per_vehicle"].to_numpy()), np.column_stack([x, dummies]))
    model = model.fit()
    slope, se = float(model.params[0]), float(model.bse[0])
    t_crit = stats.t.ppf(0.5 + level / 2, model.df_resid)
    slope_ci = (slope - t_crit * se, slope + t_crit * se)
    frame["fitted"] = np.exp(model.fittedvalues)
    frame["residual"] = model.resid
    residual_order = frame.sort_values(["company", "cum_deliveries_mid"])["residual"].to_numpy()
    return WrightFit(
        slope=slope,
        slope_se=se,
        slope_ci=slope_ci,
        learning_rate=float(learning_rate_from_slope(slope)),
        learning_rate_ci=(
            float(learning_rate_from_slope(slope_ci[1])),
            float(learning_rate_from_slope(slope_ci[0])),
        ),
        n_points=len(frame),
        r_squared=float(model.rsquared) if len(groups) == 1 else _within_r2(frame, model),
        residual_sd=float(np.sqrt(model.scale)),
        durbin_watson=float(sm.stats.durbin_watson(residual_order)),
        scope="own data" if len(groups) == 1 else "pooled peers (company fixed effects)",
        points=frame.reset_index(drop=True),
        intercepts=pd.Series(model.params[1:], index=groups),
    )


def _within_r2(frame: pd.DataFrame, model) -> float:
    """R squared of the slope within companies (the fixed effects explain levels, not learning)."""
    y = np.log(frame["cost_per_vehicle"])
    demeaned = y - y.groupby(frame["company"]).transform("mean")
    return float(1 - np.sum(model.resid**2) / np.sum(demeaned**2))


def learning_points(panel: Panel, through: pd.Period) -> pd.DataFrame:
    """Usable quarters up to `through` with unit cost and cumulative deliveries (for the fit)."""
    usable = panel.usable()
    usable = usable[(usable.index <= through) & usable["cum_deliveries_mid"].notna()]
    return pd.DataFrame(
        {
            "company": panel.company,
            "quarter": usable.index,
            "cum_deliveries_mid": usable["cum_deliveries_mid"].to_numpy(),
            "cost_per_vehicle": usable["cost_per_vehicle"].to_numpy(),
        }
    )


def fit_company_learning(panels: dict[str, Panel], company: str, through: pd.Period) -> WrightFit:
    """Wright's law on the company's own quarters; with too few, the pooled slope of all makers."""
    own = learning_points(panels[company], through)
    if len(own) >= MIN_OWN_FIT_POINTS:
        return fit_wright(own)
    pooled = pd.concat(
        [
            learning_points(p, p.usable().index.max())
            for p in panels.values()
            if not p.usable().empty
        ]
    )
    counts = pooled.groupby("company")["quarter"].transform("size")
    return fit_wright(pooled[counts >= MIN_POOLED_POINTS])


@dataclass(frozen=True)
class LearningRate:
    """The slope the answer uses: fitted, or set by the analyst with the fit's interval width."""

    slope: float
    slope_interval: tuple[float, float]
    source: str  # how it was obtained, for readers

    @property
    def rate(self) -> float:
        return float(learning_rate_from_slope(self.slope))

    @property
    def rate_interval(self) -> tuple[float, float]:
        low, high = sorted(float(learning_rate_from_slope(b)) for b in self.slope_interval)
        return low, high


def chosen_learning_rate(fit: WrightFit, learning_rate_pct: float | None) -> LearningRate:
    """The fit's slope, or the analyst's rate (percent) with an interval as wide as the fit's."""
    if learning_rate_pct is None:
        return LearningRate(fit.slope, fit.slope_ci, f"fitted ({fit.scope})")
    slope = float(slope_from_learning_rate(pct_to_frac(learning_rate_pct)))
    half = (fit.slope_ci[1] - fit.slope_ci[0]) / 2
    return LearningRate(
        slope, (slope - half, slope + half), "set by the analyst (interval: the fit's width)"
    )


def margin_at_target(
    panel: Panel,
    start: pd.Period,
    slope: float,
    slope_interval: tuple[float, float],
    target_volume: float,
    price_cuts: tuple[float, ...] = TARGET_PRICE_CUTS,
) -> pd.DataFrame:
    """Gross margin (percent) once a year is delivered at `target_volume` (vehicles a year).

    Unit cost follows Wright's law from the start quarter's mid-point of cumulative deliveries
    to the mid-point of the target year (cumulative at the start quarter's end + target / 2);
    price is the start quarter's revenue per vehicle less each cut (0-1). low/high use the ends
    of `slope_interval`. Without a cumulative count the unit cost stays where it is
    (`learning_applied` False in `attrs`)."""
    row = panel.table.loc[start]
    margin = pct_to_frac(float(row["gross_margin_pct"]))
    now, end = float(row["cum_deliveries_mid"]), float(row["cum_deliveries"])
    learning = math.isfinite(now) and math.isfinite(end) and now > 0
    target_mid = end + target_volume / 2 if learning else 1.0
    now = now if learning else 1.0
    slopes = (slope, *slope_interval) if learning else (0.0, 0.0, 0.0)
    rows = []
    for cut in price_cuts:
        point, *ends = (project_gross_margin(margin, now, target_mid, b, cut) for b in slopes)
        rows.append(
            {
                "case": "current price" if cut == 0 else f"{frac_to_pct(cut):g}% price cut",
                "price_cut_pct": frac_to_pct(cut),
                "gross_margin_pct": frac_to_pct(point),
                "low_pct": frac_to_pct(min(ends)),
                "high_pct": frac_to_pct(max(ends)),
                "unit_cost_change_pct": frac_to_pct(np.power(target_mid / now, slope) - 1),
            }
        )
    table = pd.DataFrame(rows)
    table.attrs.update(learning_applied=learning, cum_target_mid=target_mid if learning else np.nan)
    return table
