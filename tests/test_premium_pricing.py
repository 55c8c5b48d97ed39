"""lib.premium.pricing: a prediction matches the fit, probabilities add up, seeded gaps centred
on the closed form, and the spec that reaches the band does reach it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.premium import pricing
from tests import test_premium_models as shared

synthetic, synthetic_fit = shared.synthetic, shared.synthetic_fit  # the fixtures


def test_prediction_matches_fitted_value_and_probabilities_add_up(synthetic_fit):
    trim = synthetic_fit.used[synthetic_fit.used["brand"] == "Ref"].iloc[[3]]
    table = pricing.price_under_brands(
        synthetic_fit, trim, ["Ref", "Beta"], (150_000, 200_000), level=0.8
    ).set_index("brand")
    assert table.loc["Ref", "log_median"] == pytest.approx(trim["fitted_log"].iloc[0])
    assert table.loc["Beta", "log_median"] - table.loc["Ref", "log_median"] == pytest.approx(
        synthetic_fit.brand_effect("Beta")
    )
    s = synthetic_fit.residual_sd
    np.testing.assert_allclose(table["expected_rmb"], table["median_rmb"] * np.exp(s**2 / 2))
    np.testing.assert_allclose(table[["p_below_band", "p_in_band", "p_above_band"]].sum(axis=1), 1)
    assert (table["low_rmb"] < table["median_rmb"]).all()
    assert (table["median_rmb"] < table["high_rmb"]).all()
    assert (table["se_pred"] > s).all()


def test_price_gaps_are_seeded_and_centred_on_the_closed_form(synthetic_fit):
    trim = synthetic_fit.used.iloc[0]
    first = pricing.price_gaps(synthetic_fit, trim, "Alpha", ["Ref", "Beta"], n_draws=2000, seed=4)
    again = pricing.price_gaps(synthetic_fit, trim, "Alpha", ["Ref", "Beta"], n_draws=2000, seed=4)
    pd.testing.assert_frame_equal(first, again)
    prices = pricing.price_under_brands(synthetic_fit, trim.to_frame().T, ["Alpha", "Beta"], (1, 2))
    expected = prices.set_index("brand")["expected_rmb"]
    beta = first.set_index("brand").loc["Beta"]
    assert beta["gap_rmb"] == pytest.approx(expected["Beta"] - expected["Alpha"])
    assert beta["low_rmb"] < beta["gap_rmb"] < beta["high_rmb"]
    assert (first["gap_rmb"] > 0).all()  # Alpha is the cheapest badge


def test_spec_to_reach_band_moves_the_price_to_the_band_edges(synthetic_fit):
    trim = synthetic_fit.used.iloc[0].copy()
    band = (250_000.0, 300_000.0)
    levers = pricing.spec_to_reach_band(synthetic_fit, trim, "Alpha", band).set_index("lever")
    for edge, column in [(band[0], "for_band_low"), (band[1], "for_band_high")]:
        bigger = trim.copy()
        bigger["battery_kwh"] = levers.loc["battery size", column]
        priced = pricing.price_under_brands(synthetic_fit, bigger.to_frame().T, ["Alpha"], band)
        assert priced["expected_rmb"].iloc[0] == pytest.approx(edge, rel=1e-9)
