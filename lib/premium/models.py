"""The hedonic price regression and the brand premiums it implies.

The model (statsmodels formula API) explains the log guide price of a trim by its specs and its
brand: log battery kWh, log motor power kW, log length mm, body, drive, powertrain, model year,
lidar, and brand fixed effects measured against a reference brand. A brand's premium is the
price of the same spec under its badge relative to the reference badge, exp(b) - 1, with the
small-sample correction of Kennedy (1981), exp(b - var(b)/2) - 1.

Trims of one series share most of their design and price list, so standard errors are clustered
by series (brand + series). Clusters are taken from the rows the formula keeps, so dropping trims
with missing specs can never misalign them. A brand sold as one series (or one trim) gives a
cluster-robust variance that cannot see its own noise, so every variance is floored at its
classical OLS value (a diagonal top-up that keeps the covariance positive semi-definite).

All prices are official guide prices (MSRP) in yuan, not transaction prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import patsy
import scipy.linalg
import statsmodels.formula.api as smf
from scipy import stats

from lib.premium.inputs import PRICE_COLUMN, add_model_columns, brand_counts

SPEC_TERMS = {
    "np.log(battery_kwh)": ("battery size", "kWh"),
    "np.log(power_kw)": ("motor power", "kW"),
    "np.log(length_mm)": ("length", "mm"),
}
LIDAR_TERM = "lidar"


def hedonic_formula(
    data: pd.DataFrame,
    reference_brand: str,
    *,
    size: bool = True,
    segment: bool = False,
    price_column: str = PRICE_COLUMN,
    brand_column: str = "brand",
) -> str:
    """The model as a formula; categorical controls with a single level in `data` are left out."""
    terms = ["np.log(battery_kwh)", "np.log(power_kw)"]
    if size:
        terms.append("np.log(length_mm)")
    # Segment labels already name the body type (SUV, MPV, ...), so they replace body.
    categorical = ["segment" if segment else "body", "drive", "powertrain", "model_year"]
    for column in categorical:
        if data[column].nunique() > 1:
            terms.append(f"C({column})")
    terms.append(LIDAR_TERM)
    terms.append(f"C({brand_column}, Treatment({reference_brand!r}))")
    return f"np.log({price_column}) ~ " + " + ".join(terms)


@dataclass(frozen=True)
class HedonicFit:
    """A fitted hedonic model with series-clustered covariance (floored at classical)."""

    formula: str
    reference_brand: str
    brand_column: str
    result: Any  # statsmodels OLS results, covariance clustered by series
    classical: pd.DataFrame  # classical (non-robust) covariance of the same fit
    covariance: pd.DataFrame  # clustered covariance with each variance floored at classical
    used: pd.DataFrame  # the trims the formula kept, with fitted and residual log price
    residual_sd: float  # standard deviation of the residual, log points
    n_clusters: int

    @property
    def n_trims(self) -> int:
        return len(self.used)

    def brand_term(self, brand: str) -> str:
        return f"C({self.brand_column}, Treatment({self.reference_brand!r}))[T.{brand}]"

    def brand_effect(self, brand: str) -> float:
        """Log-price effect of `brand` against the reference (0 for the reference itself)."""
        if brand == self.reference_brand:
            return 0.0
        return float(self.result.params[self.brand_term(brand)])

    def design(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Design-matrix rows of the model for new trims (same columns as the fit)."""
        info = self.result.model.data.model_spec
        return patsy.build_design_matrices([info], rows, return_type="dataframe")[0]

    @property
    def brand_terms(self) -> list[str]:
        """The design columns of the brand effects (every fitted brand but the reference)."""
        prefix = self.brand_term("")
        return [term for term in self.result.params.index if term.startswith(prefix[:-1])]

    def brand_spread(self) -> float:
        """Variance of the brand effects across badges (log points squared): the spread of the
        estimated effects (the reference's 0 among them) less their mean sampling variance, the
        method-of-moments estimate of how far an unseen badge's effect can lie, floored at 0."""
        terms = self.brand_terms
        if not terms:
            return 0.0
        effects = np.append(self.result.params[terms].to_numpy(), 0.0)
        noise = float(np.diag(self.covariance.loc[terms, terms]).mean())
        return max(float(np.var(effects, ddof=1)) - noise, 0.0)

    def predict_log(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The predictive distribution of new trims' log guide price, Normal(log_median,
        se_pred^2): se_fit from the coefficients' covariance, plus the residual variance (a
        prediction interval, not a confidence interval of the mean). A badge the fit has never
        seen is priced as the average badge (every fitted brand's effect weighted equally) with
        the spread of brand effects added to its variance. `rows` hold every model column, model
        years among the fitted ones. Columns: log_median, se_fit, se_pred, badge_known."""
        brands = rows[self.brand_column]
        known = brands.isin(set(self.used[self.brand_column])).to_numpy()
        as_reference = rows.assign(**{self.brand_column: brands.where(known, self.reference_brand)})
        x = self.design(as_reference)
        if len(x) != len(rows):
            raise ValueError("every row to price needs every column of the model")
        terms = self.brand_terms
        x.loc[~known, terms] = 1.0 / (len(terms) + 1)
        x = x.to_numpy()
        se_fit = np.sqrt(np.einsum("ij,jk,ik->i", x, self.covariance.to_numpy(), x))
        spread = np.where(known, 0.0, self.brand_spread())
        return pd.DataFrame(
            {
                "log_median": x @ self.result.params.to_numpy(),
                "se_fit": se_fit,
                "se_pred": np.sqrt(se_fit**2 + self.residual_sd**2 + spread),
                "badge_known": known,
            },
            index=rows.index,
        )


def fit_hedonic(
    data: pd.DataFrame,
    reference_brand: str,
    *,
    size: bool = True,
    segment: bool = False,
    price_column: str = PRICE_COLUMN,
    brand_column: str = "brand",
) -> HedonicFit:
    """Fit the hedonic model by OLS with standard errors clustered by series.

    Rows with a missing value in any model column are dropped by the formula; the cluster of each
    kept row is read from the rows the formula reports as kept (`model.data.row_labels`), so the
    groups stay aligned whatever was dropped."""
    frame = data if "cluster" in data else add_model_columns(data)
    if reference_brand not in set(frame[brand_column]):
        raise ValueError(f"reference brand {reference_brand!r} has no trim in the data to fit")
    formula = hedonic_formula(
        frame,
        reference_brand,
        size=size,
        segment=segment,
        price_column=price_column,
        brand_column=brand_column,
    )
    needed = [price_column, brand_column, "segment" if segment else "body", "powertrain"]
    needed += ["model_year", "lidar", "battery_kwh", "power_kw", "drive"]
    needed += ["length_mm"] if size else []
    # Drop incomplete rows first so no brand level is left with an all-zero dummy column.
    complete = frame.dropna(subset=needed)
    model = smf.ols(formula, complete)
    used = complete.loc[model.data.row_labels].copy()
    groups = pd.factorize(used["cluster"])[0]
    clustered = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    if model.rank < model.exog.shape[1]:
        raise ValueError(f"the model is not identified on this sample: {_collinear_columns(model)}")
    cov = clustered.cov_params()
    classical = clustered.normalized_cov_params * clustered.scale
    top_up = np.clip(np.diag(classical) - np.diag(cov), 0.0, None)
    covariance = cov + np.diag(top_up)
    used["fitted_log"] = clustered.fittedvalues.to_numpy()
    used["residual_log"] = clustered.resid.to_numpy()
    return HedonicFit(
        formula,
        reference_brand,
        brand_column,
        clustered,
        classical,
        covariance,
        used,
        float(np.sqrt(clustered.scale)),
        int(len(np.unique(groups))),
    )


def _collinear_columns(model) -> str:
    """Name the design columns that are linear combinations of the others (pivoted QR)."""
    _, r, order = scipy.linalg.qr(model.exog, mode="economic", pivoting=True)
    names = np.array(model.exog_names)[order[model.rank :]]
    return f"{', '.join(names)} are collinear with other columns (too few trims to separate them)"


def kennedy_premium(coefficient: float | np.ndarray, variance: float | np.ndarray):
    """Kennedy (1981) premium of a log-price dummy: exp(b - var(b)/2) - 1 (a fraction)."""
    return np.exp(np.asarray(coefficient) - np.asarray(variance) / 2.0) - 1.0


def premium_interval(coefficient, standard_error, level: float = 0.95):
    """Confidence interval of exp(b) - 1 from the normal interval of b: (low, high) fractions."""
    z = stats.norm.ppf(0.5 + level / 2.0)
    b, se = np.asarray(coefficient), np.asarray(standard_error)
    return np.exp(b - z * se) - 1.0, np.exp(b + z * se) - 1.0


def brand_premiums(fit: HedonicFit, level: float = 0.95) -> pd.DataFrame:
    """Every brand's premium against the reference, in percent.

    Columns: brand, trims, series, coef (log points), se (clustered, floored at classical),
    se_clustered, se_classical, premium_naive_pct (exp(b) - 1), premium_pct (Kennedy),
    low_pct, high_pct (`level` interval); the reference brand is a row of zeros."""
    counts = brand_counts(fit.used.assign(brand=fit.used[fit.brand_column]))
    rows = []
    for brand, count in counts.iterrows():
        if brand == fit.reference_brand:
            coef = se = se_cl = se_ols = 0.0
        else:
            term = fit.brand_term(brand)
            coef = float(fit.result.params[term])
            se = float(np.sqrt(fit.covariance.loc[term, term]))
            se_cl = float(fit.result.bse[term])
            se_ols = float(np.sqrt(fit.classical.loc[term, term]))
        low, high = premium_interval(coef, se, level)
        rows.append(
            {
                "brand": brand,
                "trims": int(count["trims"]),
                "series": int(count["series"]),
                "coef": coef,
                "se": se,
                "se_clustered": se_cl,
                "se_classical": se_ols,
                "premium_naive_pct": 100 * (np.exp(coef) - 1),
                "premium_pct": 100 * float(kennedy_premium(coef, se**2)),
                "low_pct": 100 * float(low),
                "high_pct": 100 * float(high),
            }
        )
    return pd.DataFrame(rows).sort_values("premium_pct", ascending=False, ignore_index=True)


@dataclass(frozen=True)
class Premium:
    """One brand's premium against the reference brand, percent (Kennedy-corrected)."""

    brand: str
    reference: str
    premium_pct: float
    low_pct: float
    high_pct: float
    trims: int
    series: int


def premium_of(fit: HedonicFit, brand: str, level: float = 0.95) -> Premium:
    """The premium of one brand in a fit; ValueError if the fit has no trim of that brand."""
    table = brand_premiums(fit, level).set_index("brand")
    if brand not in table.index:
        raise ValueError(f"brand {brand!r} has no trim in this fit: too few trims for an estimate")
    row = table.loc[brand]
    return Premium(
        brand,
        fit.reference_brand,
        float(row["premium_pct"]),
        float(row["low_pct"]),
        float(row["high_pct"]),
        int(row["trims"]),
        int(row["series"]),
    )


def spec_elasticities(fit: HedonicFit, level: float = 0.95) -> pd.DataFrame:
    """Price response to each spec: elasticity (% price per 1% spec) and the lidar effect.

    Columns: spec, unit, coef, se, low, high (`level` interval, same units as coef), meaning."""
    z = stats.norm.ppf(0.5 + level / 2.0)
    rows = []
    for term, (name, unit) in SPEC_TERMS.items():
        if term not in fit.result.params:
            continue
        coef, se = float(fit.result.params[term]), float(np.sqrt(fit.covariance.loc[term, term]))
        rows.append(
            {
                "spec": name,
                "unit": f"elasticity (log {unit})",
                "coef": coef,
                "se": se,
                "low": coef - z * se,
                "high": coef + z * se,
                "meaning": f"+10% {name} → {100 * (1.1**coef - 1):+.1f}% guide price",
            }
        )
    coef = float(fit.result.params[LIDAR_TERM])
    se = float(np.sqrt(fit.covariance.loc[LIDAR_TERM, LIDAR_TERM]))
    rows.append(
        {
            "spec": "lidar fitted",
            "unit": "log points (0/1)",
            "coef": coef,
            "se": se,
            "low": coef - z * se,
            "high": coef + z * se,
            "meaning": f"lidar → {100 * float(kennedy_premium(coef, se**2)):+.1f}% guide price",
        }
    )
    return pd.DataFrame(rows)


def spec_price(fit: HedonicFit) -> pd.Series:
    """Each fitted trim's price for its specs under the reference badge (yuan): the fitted log
    price minus its brand effect, retransformed as a median."""
    brand_effect = fit.used[fit.brand_column].map(
        {b: fit.brand_effect(b) for b in fit.used[fit.brand_column].unique()}
    )
    return np.exp(fit.used["fitted_log"] - brand_effect)
