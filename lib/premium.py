"""Hedonic price regression and brand premiums for new-energy passenger cars sold in China.

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

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import patsy
import scipy.linalg
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.outliers_influence import variance_inflation_factor

from lib import plots, tables

POWERTRAINS = ("bev", "erev", "phev")
DRIVES = ("fwd", "rwd", "awd")
PRICE_COLUMN = "msrp_rmb"
TRANSACTION_PRICE_COLUMN = "transaction_price_rmb"
# Spec columns the hedonic model needs, in the order a dropped trim is attributed to a reason.
SPEC_COLUMNS = {
    "battery_kwh": "battery size unknown",
    "power_kw": "motor power unknown",
    "length_mm": "length unknown",
    "drive": "drive layout unknown",
    "lidar": "lidar fitment unknown",
}
SPEC_TERMS = {
    "np.log(battery_kwh)": ("battery size", "kWh"),
    "np.log(power_kw)": ("motor power", "kW"),
    "np.log(length_mm)": ("length", "mm"),
}
LIDAR_TERM = "lidar"
FALLBACK_DISCOUNT = "transaction_discount_nev_pct"
MIN_SEGMENT_TRIMS = 3  # segments with fewer trims are left out of the segment-control variant


def brand_slug(brand: str) -> str:
    """Snake-case key of a brand name: 'Li Auto' -> 'li_auto' (used in result names)."""
    return re.sub(r"[^a-z0-9]+", "_", brand.lower()).strip("_")


def _closest(name: str, known: Sequence[str], n: int = 5) -> list[str]:
    """Known names closest to `name`, case-insensitive (difflib)."""
    lowered = {k.lower(): k for k in known}
    matches = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)
    return [lowered[m] for m in matches]


def check_brand(trims: pd.DataFrame, brand: str, parameter: str) -> str:
    """Return `brand` if it is a brand of the trim table; otherwise KeyError naming the closest."""
    known = sorted(trims["brand"].unique())
    if brand in known:
        return brand
    close = _closest(brand, known)
    hint = f"closest: {', '.join(close)}" if close else f"known brands: {', '.join(known)}"
    raise KeyError(
        f"{parameter}={brand!r} is not a brand in vehicle_trims.csv (names must match exactly); {hint}"
    )


# ---------------------------------------------------------------------------------------------
# The sample the model is fitted on


def add_model_columns(trims: pd.DataFrame) -> pd.DataFrame:
    """Trims with `lidar` (1 = at least one lidar, 0 = none, NaN = unknown) and `cluster`
    (brand + series, the unit whose trims are not independent); index reset to 0..n-1."""
    frame = trims.reset_index(drop=True).copy()
    frame["lidar"] = (
        (frame["lidar_count"] > 0).astype("float64").where(frame["lidar_count"].notna())
    )
    frame["cluster"] = frame["brand"].astype(str) + " " + frame["series"].astype(str)
    return frame


def model_sample(
    trims: pd.DataFrame,
    powertrains: Sequence[str],
    model_years: Sequence[int],
    price_column: str = PRICE_COLUMN,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trims the hedonic model can use, and why the others are left out.

    Returns (sample, excluded): `sample` holds the trims of the chosen powertrains and model years
    with a price and every spec; `excluded` counts the others by their first reason."""
    frame = trims if "cluster" in trims else add_model_columns(trims)
    reasons = pd.Series(pd.NA, index=frame.index, dtype=object)
    checks = [
        (~frame["powertrain"].isin(list(powertrains)), "powertrain not selected"),
        (~frame["model_year"].isin(list(model_years)), "model year not selected"),
        (frame[price_column].isna(), "no guide price"),
    ] + [(frame[column].isna(), reason) for column, reason in SPEC_COLUMNS.items()]
    for failed, reason in checks:
        reasons = reasons.where(reasons.notna() | ~failed, reason)
    order = [reason for _, reason in checks]
    excluded = (
        reasons.dropna()
        .value_counts()
        .reindex(order)
        .dropna()
        .astype("int64")
        .rename_axis("reason")
        .reset_index(name="trims")
    )
    return frame[reasons.isna()].reset_index(drop=True), excluded


def brand_counts(sample: pd.DataFrame) -> pd.DataFrame:
    """Trims and series per brand in a sample, most trims first."""
    return (
        sample.groupby("brand")
        .agg(trims=("cluster", "size"), series=("cluster", "nunique"))
        .sort_values("trims", ascending=False)
    )


def flagship_trims(
    trims: pd.DataFrame, series: str, trim_names: Sequence[str], drive_if_missing: str
) -> tuple[pd.DataFrame, list[str]]:
    """The trims to price, with blank drive layouts filled by `drive_if_missing` ("" = no fill).

    Returns (flagship, notes). Raises KeyError for an unknown series or trim name and ValueError
    for a trim missing a spec the model needs."""
    frame = trims if "cluster" in trims else add_model_columns(trims)
    known = sorted(frame["series"].unique())
    if series not in known:
        close = _closest(series, known)
        hint = f"closest: {', '.join(close)}" if close else "see the series column"
        raise KeyError(f"flagship_series={series!r} is not a series in vehicle_trims.csv; {hint}")
    rows = frame[frame["series"] == series]
    if trim_names:
        names = list(rows["trim_name"])
        unknown = [t for t in trim_names if t not in names]
        if unknown:
            raise KeyError(
                f"flagship_trims: {', '.join(map(repr, unknown))} not in series {series!r}; "
                f"its trims: {', '.join(map(repr, names))}"
            )
        rows = rows.set_index("trim_name").loc[list(trim_names)].reset_index()[rows.columns]
    rows = rows.reset_index(drop=True).copy()
    notes = []
    # Some series list several trims under one name: number them so each priced row is distinct.
    repeat = rows.groupby("trim_name").cumcount()
    duplicated = rows["trim_name"].duplicated(keep=False)
    rows.loc[duplicated, "trim_name"] = (
        rows.loc[duplicated, "trim_name"] + " #" + (repeat[duplicated] + 1).astype(str)
    )
    if drive_if_missing and drive_if_missing not in DRIVES:
        raise ValueError(
            f"flagship_drive_if_missing={drive_if_missing!r}; expected one of {', '.join(DRIVES)} or '' (no fill)"
        )
    blank_drive = rows["drive"].isna()
    if drive_if_missing and blank_drive.any():
        rows.loc[blank_drive, "drive"] = drive_if_missing
        filled = ", ".join(rows.loc[blank_drive, "trim_name"])
        notes.append(f"drive layout blank in the data for {filled}: set to {drive_if_missing!r}")
    for _, row in rows.iterrows():
        missing = [c for c in list(SPEC_COLUMNS) + ["body", "powertrain"] if pd.isna(row[c])]
        if missing:
            hint = (
                " (set flagship_drive_if_missing to fill a blank drive layout)"
                if "drive" in missing
                else ""
            )
            raise ValueError(
                f"flagship trim {row['trim_name']!r} ({row['brand']} {series}) has no value for "
                f"{', '.join(missing)}, which the model needs{hint}"
            )
    return rows, notes


def check_settings(
    prediction_level: float, confidence_level: float, n_draws: int, seed: int
) -> None:
    """ValueError naming the first setting outside its allowed range."""
    for name, value in [
        ("prediction_level", prediction_level),
        ("confidence_level", confidence_level),
    ]:
        if not 0.5 <= value < 1:
            raise ValueError(f"{name}={value!r}; expected a coverage in [0.5, 1), e.g. 0.8 or 0.95")
    if n_draws < 100:
        raise ValueError(f"n_draws={n_draws!r}; expected at least 100 Monte Carlo draws")
    if seed < 0:
        raise ValueError(f"seed={seed!r}; expected a non-negative integer")


@dataclass(frozen=True)
class Study:
    """Validated inputs of a brand-premium study: the sample, the brands and the flagship."""

    focus: str
    reference: str
    comparisons: tuple[str, ...]
    sample: pd.DataFrame  # trims the model is fitted on
    excluded: pd.DataFrame  # trims left out, counted by reason
    flagship: pd.DataFrame  # trims priced under each badge (specs as used)
    flagship_notes: tuple[str, ...]
    band: tuple[float, float]  # target guide-price band, yuan
    min_brand_trims: int


def prepare_study(
    trims: pd.DataFrame,
    *,
    focus_brand: str,
    reference_brand: str,
    comparison_brands: Sequence[str],
    powertrains: Sequence[str],
    model_years: Sequence[int],
    price_band_rmb: tuple[float, float],
    flagship_series: str,
    flagship_trim_names: Sequence[str],
    flagship_drive_if_missing: str,
    min_brand_trims: int,
) -> Study:
    """Check every parameter against the data (fast) and assemble the study inputs.

    Raises KeyError for unknown brands, series or trims (listing the closest names) and
    ValueError for other bad values, for a named brand with no trim the model can use, and for
    a flagship trim missing a spec."""
    frame = add_model_columns(trims)
    check_brand(frame, focus_brand, "focus_brand")
    check_brand(frame, reference_brand, "reference_brand")
    if focus_brand == reference_brand:
        raise ValueError(
            f"focus_brand and reference_brand are both {focus_brand!r}; premiums need two different brands"
        )
    for brand in comparison_brands:
        check_brand(frame, brand, "comparison_brands")
    comparisons = tuple(b for b in dict.fromkeys(comparison_brands) if b != focus_brand)
    bad = [p for p in powertrains if p not in POWERTRAINS]
    if not powertrains or bad:
        raise ValueError(
            f"powertrains={list(powertrains)!r}; expected a non-empty list from {', '.join(POWERTRAINS)}"
        )
    years = sorted(frame["model_year"].unique())
    if not model_years or any(y not in years for y in model_years):
        raise ValueError(
            f"model_years={list(model_years)!r}; expected a non-empty list from {', '.join(map(str, years))}"
        )
    low, high = price_band_rmb
    if not 0 < low < high:
        raise ValueError(
            f"price band [{low:,.0f}, {high:,.0f}] yuan; expected 0 < price_band_low_rmb < price_band_high_rmb"
        )
    if min_brand_trims < 1:
        raise ValueError(f"min_brand_trims={min_brand_trims}; expected at least 1")
    sample, excluded = model_sample(frame, powertrains, model_years)
    counts = brand_counts(sample)["trims"]
    for parameter, brand in [("focus_brand", focus_brand), ("reference_brand", reference_brand)] + [
        ("comparison_brands", b) for b in comparisons
    ]:
        if counts.get(brand, 0) == 0:
            in_data = int((frame["brand"] == brand).sum())
            raise ValueError(
                f"{parameter}={brand!r}: too few trims for an estimate: none of its {in_data} trims "
                f"has a guide price and every spec the model needs within powertrains="
                f"{list(powertrains)} and model_years={list(model_years)}"
            )
    flagship, notes = flagship_trims(
        frame, flagship_series, flagship_trim_names, flagship_drive_if_missing
    )
    for column, values in [("powertrain", powertrains), ("body", sample["body"].unique())]:
        outside = flagship[~flagship[column].isin(list(values))]
        if len(outside):
            raise ValueError(
                f"flagship trim {outside['trim_name'].iloc[0]!r} has {column} "
                f"{outside[column].iloc[0]!r}, which the model is not fitted on "
                f"(fitted: {', '.join(map(str, sorted(values)))})"
            )
    for _, trim in flagship.iterrows():
        year = int(trim["model_year"])
        priced = min(max(year, min(model_years)), max(model_years))
        if priced != year:
            notes.append(
                f"{trim['trim_name']}: model year {year} priced as {priced} (nearest year in the model)"
            )
    return Study(
        focus_brand,
        reference_brand,
        comparisons,
        sample,
        excluded,
        flagship,
        tuple(notes),
        (float(low), float(high)),
        int(min_brand_trims),
    )


# ---------------------------------------------------------------------------------------------
# The hedonic regression


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


# ---------------------------------------------------------------------------------------------
# Diagnostics


def vif_table(fit: HedonicFit) -> pd.DataFrame:
    """Variance inflation factor of each spec term given every other column (brand and
    categorical dummies included). Above about 10 a coefficient is poorly separated."""
    exog = fit.result.model.exog
    names = list(fit.result.model.exog_names)
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


# ---------------------------------------------------------------------------------------------
# Robustness


def tier_labels(edges: Sequence[float]) -> list[str]:
    """Readable labels of price tiers from their lower edges (the last tier is open-ended)."""
    labels = []
    for low, high in zip(edges, list(edges[1:]) + [None], strict=True):
        labels.append(
            f"{low / 1000:,.0f}k+" if high is None else f"{low / 1000:,.0f}-{high / 1000:,.0f}k"
        )
    return labels


def check_tier_edges(edges: Sequence[float]) -> list[float]:
    """Tier lower edges as floats; ValueError unless they start at >= 0 and strictly increase."""
    values = [float(e) for e in edges]
    if (
        len(values) < 2
        or values[0] < 0
        or any(b <= a for a, b in zip(values[:-1], values[1:], strict=True))
    ):
        raise ValueError(
            f"price_tier_edges_rmb={list(edges)!r}; expected at least two increasing lower edges >= 0"
        )
    return values


def price_tier(prices: pd.Series, edges: Sequence[float]) -> pd.Series:
    """The tier label of each price (yuan)."""
    bins = list(edges) + [np.inf]
    return pd.cut(prices, bins=bins, labels=tier_labels(edges), right=False)


def tier_counts(trims: pd.DataFrame, brands: Sequence[str], edges: Sequence[float]) -> pd.DataFrame:
    """Priced trims per guide-price tier for each of `brands`, plus all brands together."""
    priced = trims.dropna(subset=[PRICE_COLUMN])
    tiers = price_tier(priced[PRICE_COLUMN], edges)
    table = pd.crosstab(priced["brand"], tiers).reindex(list(brands)).fillna(0).astype("int64")
    table.loc["all brands"] = pd.crosstab(priced["brand"], tiers).sum()
    table.columns = table.columns.astype(str)
    table["total"] = table.sum(axis=1)
    return table.rename_axis(index="brand", columns="guide price tier (yuan)")


def transaction_discounts(assumptions: pd.DataFrame, brands: Sequence[str]) -> pd.DataFrame:
    """Guide-to-transaction discount per brand from data/assumptions.csv, in percent.

    A brand without its own `transaction_discount_<brand>_pct` row gets the NEV average
    (`transaction_discount_nev_pct`); column `basis` says which row was used."""
    rows = []
    for brand in brands:
        name = f"transaction_discount_{brand_slug(brand)}_pct"
        own = name in assumptions.index
        row = assumptions.loc[name if own else FALLBACK_DISCOUNT]
        rows.append(
            {
                "brand": brand,
                "discount_pct": float(row["value"]),
                "basis": "brand figure" if own else "NEV average (no brand figure)",
                "as_of": row["as_of"],
                "source_url": row["source_url"],
            }
        )
    return pd.DataFrame(rows)


def with_transaction_price(sample: pd.DataFrame, discounts: pd.DataFrame) -> pd.DataFrame:
    """The sample with `transaction_price_rmb` = guide price x (1 - brand discount)."""
    rate = sample["brand"].map(discounts.set_index("brand")["discount_pct"]) / 100.0
    return sample.assign(**{TRANSACTION_PRICE_COLUMN: sample[PRICE_COLUMN] * (1.0 - rate)})


def transaction_comparison(
    fit: HedonicFit,
    discounts: pd.DataFrame,
    brands: Sequence[str],
    level: float = 0.95,
) -> pd.DataFrame:
    """Premiums of a guide-price fit next to the same model refitted on transaction prices
    (guide x (1 - brand discount)).

    Columns: brand, discount_pct, basis, list_premium_pct, transaction_premium_pct,
    transaction_low_pct, transaction_high_pct (percent, Kennedy, against the fit's reference)."""
    on_list = brand_premiums(fit, level).set_index("brand")
    on_transaction = brand_premiums(
        fit_hedonic(
            with_transaction_price(fit.used, discounts),
            fit.reference_brand,
            size="np.log(length_mm)" in fit.formula,
            price_column=TRANSACTION_PRICE_COLUMN,
        ),
        level,
    ).set_index("brand")
    table = discounts.set_index("brand").loc[list(brands), ["discount_pct", "basis"]]
    table["list_premium_pct"] = on_list.loc[list(brands), "premium_pct"]
    table["transaction_premium_pct"] = on_transaction.loc[list(brands), "premium_pct"]
    table["transaction_low_pct"] = on_transaction.loc[list(brands), "low_pct"]
    table["transaction_high_pct"] = on_transaction.loc[list(brands), "high_pct"]
    return table.reset_index()


def robustness(
    sample: pd.DataFrame,
    focus: str,
    reference: str,
    discounts: pd.DataFrame,
    level: float = 0.95,
) -> pd.DataFrame:
    """The focus brand's premium under alternative specifications, in percent (Kennedy).

    Columns: specification, group, premium_pct, low_pct, high_pct, trims (in the fit), focus_trims.
    Specifications whose sample has no focus or reference trim are skipped."""
    latest = int(sample["model_year"].max())
    # A segment with one or two trims would be collinear with a one-trim brand.
    segment_size = sample["segment"].map(sample["segment"].value_counts())
    segmented = sample[segment_size >= MIN_SEGMENT_TRIMS]
    variants: list[tuple[str, str, pd.DataFrame, dict]] = [
        ("Baseline", "baseline", sample, {}),
        ("BEV only", "sample", sample[sample["powertrain"] == "bev"], {}),
        (f"Model year {latest} only", "sample", sample[sample["model_year"] == latest], {}),
        ("With segment controls", "controls", segmented, {"segment": True}),
        ("Without size control", "controls", sample, {"size": False}),
    ]
    focus_series = sorted(sample.loc[sample["brand"] == focus, "series"].unique())
    if len(focus_series) > 1:
        for series in focus_series:
            keep = ~((sample["brand"] == focus) & (sample["series"] == series))
            variants.append((f"Without {focus} {series}", "leave one series out", sample[keep], {}))
    variants.append(
        (
            "Transaction prices",
            "prices",
            with_transaction_price(sample, discounts),
            {"price_column": TRANSACTION_PRICE_COLUMN},
        )
    )
    rows = []
    for name, group, data, options in variants:
        brands = set(data["brand"])
        if focus not in brands or reference not in brands:
            continue
        if "price_column" in options and data[options["price_column"]].isna().any():
            data = data.dropna(subset=[options["price_column"]])
        try:
            fit = fit_hedonic(data, reference, **options)
        except ValueError:  # not identified on this sub-sample: nothing to report
            continue
        premium = premium_of(fit, focus, level)
        rows.append(
            {
                "specification": name,
                "group": group,
                "premium_pct": premium.premium_pct,
                "low_pct": premium.low_pct,
                "high_pct": premium.high_pct,
                "trims": fit.n_trims,
                "focus_trims": premium.trims,
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


def tier_premiums(
    fit: HedonicFit, focus: str, edges: Sequence[float], level: float = 0.95
) -> pd.DataFrame:
    """The focus brand's premium by the price tier its specs command under the reference badge.

    Each focus trim is placed in a tier by its spec price (not by its own guide price, which
    would select on the outcome); the model is refitted with one brand effect per focus tier.
    Columns: tier, tier_low_rmb, focus_trims, premium_pct, low_pct, high_pct (Kennedy, percent)."""
    used = fit.used.copy()
    tiers = price_tier(spec_price(fit), edges).astype(str)
    is_focus = used["brand"] == focus
    used["brand_tier"] = used["brand"].where(~is_focus, focus + " @ " + tiers)
    refit = fit_hedonic(
        used,
        fit.reference_brand,
        size="np.log(length_mm)" in fit.formula,
        segment="C(segment)" in fit.formula,
        brand_column="brand_tier",
    )
    table = brand_premiums(refit, level).set_index("brand")
    rows = []
    for tier, tier_low in zip(tier_labels(edges), edges, strict=True):
        label = f"{focus} @ {tier}"
        if label in table.index:
            row = table.loc[label]
            rows.append(
                {
                    "tier": tier,
                    "tier_low_rmb": float(tier_low),
                    "focus_trims": int(row["trims"]),
                    "premium_pct": float(row["premium_pct"]),
                    "low_pct": float(row["low_pct"]),
                    "high_pct": float(row["high_pct"]),
                }
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Pricing the flagship under each badge


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
    x = fit.design(rows)
    m = x.to_numpy() @ fit.result.params.to_numpy()
    se_fit = np.sqrt(np.einsum("ij,jk,ik->i", x, fit.covariance.to_numpy(), x))
    s = fit.residual_sd
    se_pred = np.sqrt(se_fit**2 + s**2)
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
    seed: int = 0,
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


def round_yuan(value: float) -> str:
    """A yuan amount rounded to the nearest thousand, as text: 290,149 -> '290,000'."""
    return f"{round(float(value), -3):,.0f}"


def discount_sentence(discounts: pd.DataFrame, focus: str, comparisons: Sequence[str]) -> str:
    """One sentence saying that the figures are list prices and how the brands' sourced
    discounts off list would move the gaps on transaction prices."""
    table = discounts.set_index("brand")
    own = table[table["basis"] == "brand figure"]
    if focus not in table.index:
        return "These are list prices; transaction discounts differ by brand."
    rate = table.loc[focus, "discount_pct"]
    basis = "" if focus in own.index else " (NEV average; no brand figure)"
    known = [b for b in comparisons if b in own.index]
    if not known:
        return (
            f"These are list prices: {focus} buyers get about {rate:.1f}% off list{basis}; "
            "no comparison brand has a sourced discount figure of its own."
        )
    listed = ", ".join(f"{b} {own.loc[b, 'discount_pct']:.1f}%" for b in known)
    smaller = [b for b in known if own.loc[b, "discount_pct"] < rate]
    larger = [b for b in known if own.loc[b, "discount_pct"] > rate]
    effects = []
    if smaller:
        effects.append(f"lower against {', '.join(smaller)}")
    if larger:
        effects.append(f"higher against {', '.join(larger)}")
    effect = f", so on transaction prices {focus} stands {' and '.join(effects)}" if effects else ""
    return (
        f"These are list prices: {focus} buyers get about {rate:.1f}% off list{basis} against "
        f"{listed}{effect}."
    )


def likelihood_words(probability: float) -> str:
    """Plain words for a probability, as used in the answer."""
    if probability >= 0.5:
        return "more likely than not"
    if probability >= 0.25:
        return "a real possibility but less likely than not"
    return "unlikely"


# ---------------------------------------------------------------------------------------------
# Charts (the notebook adds the computed title and the source line with plots.finish)


def plot_market_map(
    trims: pd.DataFrame,
    focus: str,
    highlighted: Sequence[str],
    band: tuple[float, float],
    marks: dict[str, float] | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Guide price against battery size for every priced trim; `highlighted` brands in colour,
    the focus brand on top in the focus colour, the target band shaded, and a dotted line at
    each battery size in `marks` (label -> kWh), e.g. the flagship's."""
    ax = ax or plt.subplots()[1]
    priced = trims.dropna(subset=[PRICE_COLUMN, "battery_kwh"])
    colors = plots.brand_colors(highlighted, focus)
    others = priced[~priced["brand"].isin([focus, *highlighted])]
    ax.scatter(
        others["battery_kwh"], others[PRICE_COLUMN], s=8, color=plots.NEUTRAL_COLOR, alpha=0.35,
        label="other brands", linewidths=0,
    )  # fmt: skip
    for brand in [b for b in highlighted if b != focus] + [focus]:
        rows = priced[priced["brand"] == brand]
        size, z = (34, 4) if brand == focus else (16, 3)
        ax.scatter(
            rows["battery_kwh"], rows[PRICE_COLUMN], s=size, color=colors[brand], label=brand,
            zorder=z, edgecolor="white", linewidths=0.4,
        )  # fmt: skip
    ax.axhspan(*band, color=plots.FOCUS_COLOR, alpha=0.08, zorder=0)
    ax.set_yscale("log")
    ax.set_xscale("log")
    bottom = priced[PRICE_COLUMN].quantile(0.002) * 0.9
    ax.set_ylim(bottom, priced[PRICE_COLUMN].quantile(0.995))
    for text, kwh in (marks or {}).items():
        ax.axvline(kwh, color=plots.FOCUS_COLOR, linestyle=":", linewidth=1)
        ax.text(kwh * 0.97, bottom * 1.08, text, rotation=90, ha="right", va="bottom", fontsize=8.5)
    ticks = [t for t in (5, 10, 20, 30, 50, 70, 100, 150, 200) if t <= priced["battery_kwh"].max()]
    ax.set_xticks(ticks)
    ax.minorticks_off()
    plots.thousands(ax, "y")
    plots.thousands(ax, "x")
    ax.legend(ncol=2, fontsize=8.5, loc="upper left", markerscale=1.2)
    return ax


PREMIUM_TICKS_PCT = (-75, -50, -25, 0, 25, 50, 100, 200, 300, 500, 1000)


def plot_intervals(
    table: pd.DataFrame,
    label: str,
    value: str,
    low: str,
    high: str,
    colors: dict[str, str] | None = None,
    ax: plt.Axes | None = None,
    premium_scale: bool = False,
) -> plt.Axes:
    """Horizontal point-and-interval chart, first row on top (forest plots, robustness).

    With `premium_scale` the values are premiums in percent drawn on a log(1 + premium) axis,
    so +100% and -50% sit equally far from 0."""
    colors = colors or {}
    height = max(2.6, 0.26 * len(table) + 1.2)
    ax = ax or plt.subplots(figsize=(9.0, height))[1]

    def place(v):
        return np.log1p(np.asarray(v, dtype=float) / 100) if premium_scale else v

    y = np.arange(len(table))[::-1]
    for position, (_, row) in zip(y, table.iterrows(), strict=True):
        color = colors.get(row[label], plots.NEUTRAL_COLOR)
        ends = place([row[low], row[high]])
        ax.plot(ends, [position, position], color=color, linewidth=2, alpha=0.8)
        ax.plot(place(row[value]), position, "o", color=color, markersize=5.5)
    ax.set_yticks(y, table[label])
    ax.set_ylim(-0.7, len(table) - 0.3)
    ax.grid(axis="y", visible=False)
    if premium_scale:
        lowest, highest = table[low].min(), table[high].max()
        ticks = [t for t in PREMIUM_TICKS_PCT if lowest - 15 <= t <= highest * 1.3 + 15]
        if highest > 150:  # +25% would crowd +50% on a wide axis
            ticks = [t for t in ticks if t != 25]
        ax.set_xticks(place(ticks), [f"{t:+d}%" if t else "0%" for t in ticks])
    ax.figure.tight_layout()
    return ax


def readable(frame: pd.DataFrame, names: dict[str, str] | None = None):
    """A table for readers (pandas Styler): yuan columns (*_rmb) with thousands separators,
    percent columns (*_pct) with one decimal, probabilities (p_*) as percent, other numbers with
    two decimals, blanks empty, index hidden; `names` renames columns for display."""
    formats = {}
    for column in frame.columns:
        if column.endswith("_rmb"):
            formats[column] = "{:,.0f}"
        elif column.endswith("_pct"):
            formats[column] = "{:+.1f}%"
        elif column.startswith("p_"):
            formats[column] = "{:.0%}"
        elif pd.api.types.is_float_dtype(frame[column]):
            formats[column] = "{:,.2f}"
    shown = frame.rename(columns=names or {})
    formats = {(names or {}).get(c, c): f for c, f in formats.items()}
    return tables.reader_table(shown, formats)
