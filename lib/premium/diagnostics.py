"""How far to trust the hedonic fit: residuals, collinearity and influential trims."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.outliers_influence import variance_inflation_factor

from lib import cache
from lib.premium.inputs import PRICE_COLUMN
from lib.premium.models import LIDAR_TERM, SPEC_TERMS, HedonicFit

HEAVY_TAIL_KURTOSIS = 1.0  # excess kurtosis above which the tails are called heavier than normal
FAR_MISS_SDS = 3  # residual standard deviations beyond which a trim counts as a far miss


def vif_table(fit: HedonicFit) -> pd.DataFrame:
    """Variance inflation factor of each spec term given every other column (brand and
    categorical dummies included). Above about 10 a coefficient is poorly separated."""
    return variance_inflation(fit.result.model.exog, list(fit.result.model.exog_names))


@cache.memoize()  # the same model in every maker's report
def variance_inflation(exog: np.ndarray, names: list[str]) -> pd.DataFrame:
    rows = []
    for term in list(SPEC_TERMS) + [LIDAR_TERM]:
        if term in names:
            label = SPEC_TERMS.get(term, ("lidar fitted", ""))[0]
            rows.append(
                {"spec": label, "vif": float(variance_inflation_factor(exog, names.index(term)))}
            )
    return pd.DataFrame(rows)


def leverage(fit: HedonicFit) -> pd.Series:
    """Diagonal of the hat matrix: 1 for a trim fitted exactly (the only trim of its brand)."""
    return pd.Series(fit.result.get_influence().hat_matrix_diag, index=fit.used.index)


def exactly_fitted_trims(fit: HedonicFit) -> pd.DataFrame:
    """Trims with leverage 1: their brand effect absorbs them, so they say nothing about specs."""
    exact = leverage(fit) > 1 - 1e-8
    return fit.used.loc[exact, ["brand", "series", "trim_name", PRICE_COLUMN]].reset_index(
        drop=True
    )


def influential_trims(fit: HedonicFit, n: int = 10) -> pd.DataFrame:
    """The `n` trims with the largest Cook's distance (classical OLS), leaving out trims fitted
    exactly, for which the distance is undefined (see `exactly_fitted_trims`)."""
    h = leverage(fit)
    inside = h < 1 - 1e-8
    p = fit.result.model.rank
    residual = fit.result.resid
    cooks = residual[inside] ** 2 / (p * fit.result.scale) * h[inside] / (1 - h[inside]) ** 2
    used = fit.used[inside].assign(cooks_distance=cooks.to_numpy(), leverage=h[inside])
    used["guide_price_rmb"] = used[PRICE_COLUMN]
    used["fitted_price_rmb"] = np.exp(used["fitted_log"])
    columns = [
        "brand",
        "series",
        "trim_name",
        "model_year",
        "guide_price_rmb",
        "fitted_price_rmb",
        "residual_log",
        "leverage",
        "cooks_distance",
    ]
    return used.nlargest(n, "cooks_distance")[columns].reset_index(drop=True)


@dataclass(frozen=True)
class Residuals:
    """The fit's residuals in brief (log points): their spread across fitted-price quartiles,
    their tails against the normal, and the trims missed by far."""

    spread_low: float  # smallest residual standard deviation among the fitted-price quartiles
    spread_high: float  # largest
    excess_kurtosis: float
    far_misses: int  # trims missed by more than FAR_MISS_SDS residual standard deviations
    n_trims: int
    standardised: np.ndarray  # sorted residual / residual standard deviation
    normal_quantiles: np.ndarray  # the normal quantiles they are plotted against

    @property
    def heavy_tails(self) -> bool:
        return self.excess_kurtosis > HEAVY_TAIL_KURTOSIS


def residuals(fit: HedonicFit) -> Residuals:
    used = fit.used
    spread = used.groupby(pd.qcut(used["fitted_log"], 4), observed=True)["residual_log"].std()
    standardised = np.sort(used["residual_log"] / fit.residual_sd)
    n = len(standardised)
    return Residuals(
        spread_low=float(spread.min()),
        spread_high=float(spread.max()),
        excess_kurtosis=float(stats.kurtosis(standardised)),
        far_misses=int((np.abs(used["residual_log"]) > FAR_MISS_SDS * fit.residual_sd).sum()),
        n_trims=n,
        standardised=standardised,
        normal_quantiles=stats.norm.ppf((np.arange(1, n + 1) - 0.5) / n),
    )
