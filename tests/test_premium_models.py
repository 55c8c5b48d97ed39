"""lib.premium.models: recovery of known brand effects and elasticities, the Kennedy correction,
cluster alignment when rows are dropped, the variance floor and clear errors.

`synthetic_trims` (a trim table with a known truth) is shared by the other premium test modules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from lib.premium import diagnostics, inputs, models
from tests.conftest import TRUE_BRANDS, TRUE_ELASTICITIES, TRUE_LIDAR, synthetic_trims

TERMS = {"battery_kwh": "np.log(battery_kwh)", "power_kw": "np.log(power_kw)"}
TERMS["length_mm"] = "np.log(length_mm)"


@pytest.fixture(scope="module")
def synthetic() -> pd.DataFrame:
    return synthetic_trims()


@pytest.fixture(scope="module")
def synthetic_fit(synthetic) -> models.HedonicFit:
    return models.fit_hedonic(synthetic, "Ref")


def test_recovers_elasticities_from_synthetic_trims(synthetic_fit):
    params = synthetic_fit.result.params
    for column, truth in TRUE_ELASTICITIES.items():
        term = TERMS[column]
        se = np.sqrt(synthetic_fit.covariance.loc[term, term])
        assert abs(params[term] - truth) < max(3 * se, 0.05), (term, params[term], truth, se)
    assert abs(params["lidar"] - TRUE_LIDAR) < 0.04


def test_recovers_brand_effects_and_their_intervals_cover_the_truth(synthetic_fit):
    table = models.brand_premiums(synthetic_fit, level=0.99).set_index("brand")
    for brand, truth in TRUE_BRANDS.items():
        se = table.loc[brand, "se"]
        assert abs(synthetic_fit.brand_effect(brand) - truth) <= 3 * se, brand
        true_pct = 100 * (np.exp(truth) - 1)
        assert table.loc[brand, "low_pct"] <= true_pct <= table.loc[brand, "high_pct"], brand
    assert table.loc["Ref", "premium_pct"] == 0.0
    assert list(table["premium_pct"]) == sorted(table["premium_pct"], reverse=True)


# ---------------------------------------------------------------------------------------------
# Kennedy correction


def test_kennedy_formula():
    b, v = np.array([-0.2, 0.0, 0.5]), np.array([0.01, 0.04, 0.09])
    np.testing.assert_allclose(models.kennedy_premium(b, v), np.exp(b - v / 2) - 1)
    assert models.kennedy_premium(0.3, 0.0) == pytest.approx(np.exp(0.3) - 1)


def test_kennedy_correction_removes_the_retransformation_bias():
    # b ~ N(beta, v): E[exp(b)] = exp(beta + v/2), so exp(b - v/2) - 1 is unbiased for exp(beta) - 1.
    beta, v = 0.4, 0.16
    draws = np.random.default_rng(3).normal(beta, np.sqrt(v), size=400_000)
    corrected = models.kennedy_premium(draws, v).mean()
    naive = (np.exp(draws) - 1).mean()
    assert corrected == pytest.approx(np.exp(beta) - 1, abs=0.006)
    assert naive - (np.exp(beta) - 1) > 0.1


def test_brand_table_applies_kennedy_to_the_floored_variance(synthetic_fit):
    table = models.brand_premiums(synthetic_fit)
    expected = 100 * (np.exp(table["coef"] - table["se"] ** 2 / 2) - 1)
    np.testing.assert_allclose(table["premium_pct"], expected)
    assert (table["premium_pct"] <= table["premium_naive_pct"] + 1e-12).all()


# ---------------------------------------------------------------------------------------------
# Clusters aligned with the rows the formula keeps


def test_clusters_stay_aligned_when_rows_with_missing_specs_are_dropped(synthetic):
    holed = synthetic.copy()
    rng = np.random.default_rng(5)
    holed.loc[rng.choice(len(holed), 40, replace=False), "battery_kwh"] = np.nan
    holed.loc[rng.choice(len(holed), 15, replace=False), "lidar_count"] = np.nan
    fit = models.fit_hedonic(holed, "Ref")

    complete = inputs.add_model_columns(holed).dropna(subset=["battery_kwh", "lidar"])
    assert list(fit.used.index) == list(complete.index)
    assert fit.n_clusters == complete["cluster"].nunique()
    groups = pd.factorize(complete["cluster"])[0]
    manual = smf.ols(fit.formula, complete).fit(cov_type="cluster", cov_kwds={"groups": groups})
    np.testing.assert_allclose(fit.result.bse, manual.bse, rtol=1e-10)
    # The same number of groups taken from the head of the full table is misaligned: it differs.
    shifted = pd.factorize(inputs.add_model_columns(holed)["cluster"])[0][: len(complete)]
    wrong = smf.ols(fit.formula, complete).fit(cov_type="cluster", cov_kwds={"groups": shifted})
    assert not np.allclose(fit.result.bse, wrong.bse, rtol=1e-3)


def test_variance_is_floored_at_classical_for_a_brand_with_one_trim(synthetic):
    single = synthetic_trims(seed=2, brands={"Ref": 0.0, "Beta": 0.3})
    lone = single[single["brand"] == "Beta"].iloc[[0]].assign(brand="Lone", series="LONE")
    fit = models.fit_hedonic(pd.concat([single, lone], ignore_index=True), "Ref")
    term = fit.brand_term("Lone")
    clustered, classical = fit.result.bse[term], np.sqrt(fit.classical.loc[term, term])
    assert clustered < classical / 2  # the clustered variance cannot see a lone trim's noise
    assert np.sqrt(fit.covariance.loc[term, term]) == pytest.approx(classical)
    assert (np.diag(fit.covariance) >= np.diag(fit.result.cov_params()) - 1e-15).all()
    assert len(diagnostics.exactly_fitted_trims(fit)) == 1


@pytest.mark.filterwarnings("ignore:The design matrix is rank-deficient")
def test_collinear_sample_raises_a_clear_error(synthetic):
    lone = synthetic.iloc[[0]].assign(brand="Lone", series="LONE", body="wagon")
    with pytest.raises(ValueError, match=r"not identified.*Lone"):
        models.fit_hedonic(pd.concat([synthetic, lone], ignore_index=True), "Ref")
