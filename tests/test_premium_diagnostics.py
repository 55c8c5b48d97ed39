"""lib.premium.diagnostics: the residual summary against a hand calculation, VIFs of collinear
specs, and Cook's distances that skip trims fitted exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lib.premium import diagnostics, models
from tests import test_premium_models as shared
from tests.conftest import synthetic_trims

synthetic, synthetic_fit = shared.synthetic, shared.synthetic_fit  # the fixtures


def test_residual_summary_matches_a_hand_calculation(synthetic_fit):
    summary = diagnostics.residuals(synthetic_fit)
    used = synthetic_fit.used
    z = used["residual_log"] / synthetic_fit.residual_sd
    assert summary.n_trims == len(used)
    assert summary.excess_kurtosis == pytest.approx(stats.kurtosis(z))
    assert summary.far_misses == int((z.abs() > 3).sum())
    assert not summary.heavy_tails  # the synthetic noise is normal
    quartiles = [
        part.std() for _, part in used.groupby(pd.qcut(used["fitted_log"], 4))["residual_log"]
    ]
    assert (summary.spread_low, summary.spread_high) == pytest.approx(
        (min(quartiles), max(quartiles))
    )
    assert np.all(np.diff(summary.standardised) >= 0)


def test_vif_flags_a_spec_that_moves_with_another():
    trims = synthetic_trims(seed=3)
    independent = diagnostics.vif_table(models.fit_hedonic(trims, "Ref")).set_index("spec")["vif"]
    tied = trims.assign(
        power_kw=trims["battery_kwh"]
        * 3
        * np.exp(np.random.default_rng(1).normal(0, 0.02, len(trims)))
    )
    collinear = diagnostics.vif_table(models.fit_hedonic(tied, "Ref")).set_index("spec")["vif"]
    assert independent["motor power"] < 5
    assert collinear["motor power"] > 10 * independent["motor power"]


def test_influential_trims_leave_out_trims_fitted_exactly(synthetic):
    lone = synthetic[synthetic["brand"] == "Beta"].iloc[[0]].assign(brand="Lone", series="LONE")
    fit = models.fit_hedonic(pd.concat([synthetic, lone], ignore_index=True), "Ref")
    exact = diagnostics.exactly_fitted_trims(fit)
    assert list(exact["brand"]) == ["Lone"]
    top = diagnostics.influential_trims(fit, 5)
    assert len(top) == 5 and "Lone" not in set(top["brand"])
    assert list(top["cooks_distance"]) == sorted(top["cooks_distance"], reverse=True)
