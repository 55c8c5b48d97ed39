"""lib.robustness.robustness: a tier interaction recovered, transaction prices shift brand effects
by the discount, and the robustness baseline is the main fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.premium import inputs, models, robustness
from tests import test_premium_models as shared
from tests.conftest import TRUE_BRANDS, synthetic_trims

synthetic, synthetic_fit = shared.synthetic, shared.synthetic_fit  # the fixtures


def test_tier_interaction_finds_a_discount_that_widens_with_spec_price():
    trims = synthetic_trims(seed=11, tier_effect=-0.30)
    fit = models.fit_hedonic(trims, "Ref")
    tiers = robustness.tier_premiums(fit, "Alpha", [0, 250_000]).set_index("tier_low_rmb")
    lower, upper = tiers.loc[0.0], tiers.loc[250_000.0]
    assert lower["premium_pct"] == pytest.approx(100 * (np.exp(-0.25) - 1), abs=6)
    assert upper["premium_pct"] == pytest.approx(100 * (np.exp(-0.55) - 1), abs=8)
    assert upper["high_pct"] < lower["low_pct"]


def test_transaction_prices_shift_brand_effects_by_the_discount(synthetic_fit):
    discounts = pd.DataFrame(
        {"brand": list(TRUE_BRANDS), "discount_pct": [12.0, 4.0, 20.0, 12.0, 12.0]}
    ).assign(basis="brand figure")
    compared = robustness.transaction_comparison(synthetic_fit, discounts, list(TRUE_BRANDS))
    compared = compared.set_index("brand")
    for brand, rate in zip(discounts["brand"], discounts["discount_pct"], strict=True):
        shift = np.log(1 - rate / 100) - np.log(1 - 0.12)
        list_b = np.log1p(compared.loc[brand, "list_premium_pct"] / 100)
        tx_b = np.log1p(compared.loc[brand, "transaction_premium_pct"] / 100)
        assert tx_b - list_b == pytest.approx(shift, abs=2e-3), brand


def test_robustness_baseline_equals_the_main_fit(synthetic, synthetic_fit):
    discounts = pd.DataFrame({"brand": list(TRUE_BRANDS), "discount_pct": 10.0, "basis": "x"})
    table = robustness.robustness(inputs.add_model_columns(synthetic), "Alpha", "Ref", discounts)
    baseline = table.set_index("specification").loc["Baseline"]
    assert baseline["premium_pct"] == pytest.approx(
        models.premium_of(synthetic_fit, "Alpha").premium_pct
    )
    assert {"BEV only", "Without size control", "Transaction prices"} <= set(table["specification"])
    assert (table["group"] == "leave one series out").sum() == 16
    # A discount common to every brand leaves every premium unchanged.
    transaction = table.set_index("specification").loc["Transaction prices"]
    assert transaction["premium_pct"] == pytest.approx(baseline["premium_pct"])
