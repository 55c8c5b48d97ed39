"""The flagship's specs priced under each badge: predicted prices, gaps and what reaches the band."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from lib.premium.models import SPEC_TERMS, HedonicFit


def _prediction_rows(
    fit: HedonicFit, flagship: pd.DataFrame, brands: Sequence[str]
) -> pd.DataFrame:
    """One row per (flagship trim, brand): the trim's specs under that badge, with the model
    year clipped to the fitted years (a 2026 trim is priced as the latest fitted year)."""
    years = sorted(fit.used["model_year"].unique())
    rows = []
    for _, trim in flagship.iterrows():
        for brand in brands:
            row = trim.copy()
            row[fit.brand_column] = brand
            row["model_year"] = min(max(int(trim["model_year"]), years[0]), years[-1])
            rows.append(row)
    return pd.DataFrame(rows).reset_index(drop=True).infer_objects()


def price_under_brands(
    fit: HedonicFit,
    flagship: pd.DataFrame,
    brands: Sequence[str],
    band: tuple[float, float],
    level: float = 0.8,
) -> pd.DataFrame:
    """Predicted guide price of each flagship trim under each badge, in yuan.

    log price ~ Normal(m, se_fit^2 + s^2): m from the coefficients, se_fit from their covariance,
    s the residual standard deviation. Columns: trim_name, brand, median_rmb = exp(m),
    expected_rmb = exp(m + s^2/2) (lognormal retransformation), low_rmb and high_rmb (the `level`
    prediction interval), p_below_band, p_in_band, p_above_band (probability that the price falls
    below, inside or above `band`),
    log_median, se_fit, se_pred, priced_as_year."""
    rows = _prediction_rows(fit, flagship, brands)
    predicted = fit.predict_log(rows)
    m, se_fit, se_pred = (predicted[c].to_numpy() for c in ["log_median", "se_fit", "se_pred"])
    s = fit.residual_sd
    z = stats.norm.ppf(0.5 + level / 2.0)
    low, high = np.log(band[0]), np.log(band[1])
    return pd.DataFrame(
        {
            "trim_name": rows["trim_name"],
            "brand": rows[fit.brand_column],
            "median_rmb": np.exp(m),
            "expected_rmb": np.exp(m + s**2 / 2.0),
            "low_rmb": np.exp(m - z * se_pred),
            "high_rmb": np.exp(m + z * se_pred),
            "p_below_band": stats.norm.cdf((low - m) / se_pred),
            "p_in_band": stats.norm.cdf((high - m) / se_pred) - stats.norm.cdf((low - m) / se_pred),
            "p_above_band": stats.norm.sf((high - m) / se_pred),
            "log_median": m,
            "se_fit": se_fit,
            "se_pred": se_pred,
            "priced_as_year": rows["model_year"].astype(int),
        }
    )


def price_gaps(
    fit: HedonicFit,
    flagship_trim: pd.Series,
    focus: str,
    comparisons: Sequence[str],
    level: float = 0.95,
    n_draws: int = 4000,
    seed: int | Sequence[int] = 0,
) -> pd.DataFrame:
    """Expected guide price of one flagship trim under each comparison badge minus under the
    focus badge, in yuan (positive = the focus badge lists lower for the same spec).

    The interval covers coefficient uncertainty only (the same car under two badges): the
    predicted log prices are drawn jointly from their normal approximation (seeded).
    Columns: brand, gap_rmb, low_rmb, high_rmb, gap_pct (of the comparison price)."""
    brands = [focus, *comparisons]
    rows = _prediction_rows(fit, flagship_trim.to_frame().T, brands)
    x = fit.design(rows).to_numpy()
    m = x @ fit.result.params.to_numpy()
    cov = x @ fit.covariance.to_numpy() @ x.T
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(m, cov, size=n_draws, method="cholesky")
    scale = np.exp(fit.residual_sd**2 / 2.0)
    expected = scale * np.exp(m)
    gaps = scale * (np.exp(draws[:, 1:]) - np.exp(draws[:, [0]]))
    tail = 50 * (1 - level)
    return pd.DataFrame(
        {
            "brand": list(comparisons),
            "gap_rmb": expected[1:] - expected[0],
            "low_rmb": np.percentile(gaps, tail, axis=0),
            "high_rmb": np.percentile(gaps, 100 - tail, axis=0),
            "gap_pct": 100 * (1 - expected[0] / expected[1:]),
        }
    )


def spec_to_reach_band(
    fit: HedonicFit, flagship_trim: pd.Series, focus: str, band: tuple[float, float]
) -> pd.DataFrame:
    """What would move the flagship's expected guide price under the focus badge to each band edge.

    One lever at a time: battery size, motor power, length, all three scaled together (by the
    same factor), or the brand premium. Columns: lever, unit, flagship (current value),
    for_band_low, for_band_high (value the lever needs), largest_in_data (largest value in the
    fitted trims, to judge plausibility), multiplier_low, multiplier_high."""
    priced = price_under_brands(fit, flagship_trim.to_frame().T, [focus], band).iloc[0]
    shift = np.log(np.array(band)) - np.log(priced["expected_rmb"])
    params = fit.result.params
    rows = []
    for term, (name, unit) in SPEC_TERMS.items():
        if term not in params:
            continue
        column = term[len("np.log(") : -1]
        factor = np.exp(shift / params[term])
        rows.append(
            {
                "lever": name,
                "unit": unit,
                "flagship": float(flagship_trim[column]),
                "for_band_low": float(flagship_trim[column] * factor[0]),
                "for_band_high": float(flagship_trim[column] * factor[1]),
                "largest_in_data": float(fit.used[column].max()),
                "multiplier_low": float(factor[0]),
                "multiplier_high": float(factor[1]),
            }
        )
    together = sum(params[t] for t in SPEC_TERMS if t in params)
    factor = np.exp(shift / together)
    rows.append(
        {
            "lever": "battery, power and length together",
            "unit": "x",
            "flagship": 1.0,
            "for_band_low": float(factor[0]),
            "for_band_high": float(factor[1]),
            "largest_in_data": np.nan,
            "multiplier_low": float(factor[0]),
            "multiplier_high": float(factor[1]),
        }
    )
    current = fit.brand_effect(focus)
    needed = current + shift
    rows.append(
        {
            "lever": f"{focus} brand premium",
            "unit": f"% vs {fit.reference_brand}",
            "flagship": 100 * (np.exp(current) - 1),
            "for_band_low": float(100 * (np.exp(needed[0]) - 1)),
            "for_band_high": float(100 * (np.exp(needed[1]) - 1)),
            "largest_in_data": np.nan,
            "multiplier_low": float(np.exp(shift[0])),
            "multiplier_high": float(np.exp(shift[1])),
        }
    )
    return pd.DataFrame(rows)


def launch_comparison(
    prices: pd.DataFrame,
    flagship: pd.DataFrame,
    launches: pd.DataFrame,
    focus: str,
    reference: str,
    band: tuple[float, float],
) -> pd.DataFrame:
    """Each launched series' guide-price range against the model's prices for its specs, yuan.

    One row per series in `launches` (inputs.launch_prices). For a series whose trims were priced
    (`flagship`): model_low_rmb / model_high_rmb, the expected focus-badge price of its cheapest
    and dearest spec, with pi_low_rmb / pi_high_rmb the lower and upper ends of their prediction
    intervals; launch_vs_model_low_pct / _high_pct, the launch range's edges against those two
    prices (the cheapest launch trim is taken to be the cheapest spec); implied_premium_low_pct /
    _high_pct, the edges against the same specs under the reference badge, the premium the
    launch prices imply, comparable with the estimated brand premium. A series without priced
    specs keeps only its launch range (priced False). in_band: how the launch range sits against
    `band` ('inside', 'partly inside', 'below', 'above')."""
    rows = []
    for launch in launches.itertuples():
        names = flagship.loc[flagship["series"].str.upper() == launch.series, "trim_name"]
        own = prices[prices["trim_name"].isin(names) & (prices["brand"] == focus)]
        row = {
            "series": launch.series,
            "launch_low_rmb": launch.low_rmb,
            "launch_high_rmb": launch.high_rmb,
            "in_band": _band_position(launch, band),
            "priced": len(own) > 0,
            "trims": ", ".join(names),
        }
        if len(own):
            cheap, dear = (
                own.loc[own["expected_rmb"].idxmin()],
                own.loc[own["expected_rmb"].idxmax()],
            )
            ref = prices[prices["brand"] == reference].set_index("trim_name")["expected_rmb"]
            row |= {
                "model_low_rmb": cheap["expected_rmb"],
                "model_high_rmb": dear["expected_rmb"],
                "pi_low_rmb": cheap["low_rmb"],
                "pi_high_rmb": dear["high_rmb"],
                "launch_vs_model_low_pct": 100 * (launch.low_rmb / cheap["expected_rmb"] - 1),
                "launch_vs_model_high_pct": 100 * (launch.high_rmb / dear["expected_rmb"] - 1),
                "implied_premium_low_pct": 100 * (launch.low_rmb / ref[cheap["trim_name"]] - 1),
                "implied_premium_high_pct": 100 * (launch.high_rmb / ref[dear["trim_name"]] - 1),
            }
        rows.append(row)
    return pd.DataFrame(rows)


def _band_position(launch, band: tuple[float, float]) -> str:
    if launch.high_rmb < band[0]:
        return "below"
    if launch.low_rmb > band[1]:
        return "above"
    return "inside" if band[0] <= launch.low_rmb and launch.high_rmb <= band[1] else "partly inside"
