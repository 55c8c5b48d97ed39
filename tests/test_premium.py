"""lib.premium: recovery of known brand effects and elasticities, the Kennedy correction,
cluster alignment when rows are dropped, pricing under other badges, and clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from lib import data, premium
from tests.conftest import FROZEN_DATA

TRUE_BRANDS = {"Ref": 0.0, "Alpha": -0.25, "Beta": 0.30, "Gamma": 0.10, "Delta": -0.10}
TRUE_ELASTICITIES = {"battery_kwh": 0.45, "power_kw": 0.20, "length_mm": 1.20}
TRUE_LIDAR = 0.08
TERMS = {"battery_kwh": "np.log(battery_kwh)", "power_kw": "np.log(power_kw)"}
TERMS["length_mm"] = "np.log(length_mm)"


def synthetic_trims(
    seed: int = 7,
    series_per_brand: int = 16,
    trims_per_series: int = 6,
    brands: dict[str, float] | None = None,
    tier_effect: float = 0.0,
) -> pd.DataFrame:
    """A trim table with a known truth: log price = specs x elasticities + brand effect +
    series effect + noise. `tier_effect` is added to brand Alpha's trims whose specs alone
    would price above 250,000 yuan (to test the tier interaction)."""
    rng = np.random.default_rng(seed)
    bodies = {"suv": 0.05, "sedan": 0.0, "mpv": 0.15}
    drives = {"fwd": -0.05, "rwd": 0.0, "awd": 0.06}
    powertrains = {"bev": 0.0, "erev": 0.10}
    years = {2023: 0.0, 2024: -0.04, 2025: -0.08}
    rows = []
    for brand, effect in (brands or TRUE_BRANDS).items():
        for s in range(series_per_brand):
            battery = np.exp(rng.normal(np.log(65), 0.35))
            length = rng.normal(4750, 250)
            body = rng.choice(list(bodies))
            powertrain = rng.choice(list(powertrains), p=[0.8, 0.2])
            series_effect = rng.normal(0, 0.05)
            for k in range(trims_per_series):
                trim_battery = battery * np.exp(rng.normal(0, 0.12))
                power = np.exp(rng.normal(np.log(200), 0.4))
                drive = rng.choice(list(drives))
                lidar = int(rng.random() < 0.4)
                year = int(rng.choice(list(years)))
                spec = (
                    11.9
                    + TRUE_ELASTICITIES["battery_kwh"] * np.log(trim_battery / 65)
                    + TRUE_ELASTICITIES["power_kw"] * np.log(power / 200)
                    + TRUE_ELASTICITIES["length_mm"] * np.log(length / 4750)
                    + bodies[body]
                    + drives[drive]
                    + powertrains[powertrain]
                    + years[year]
                    + TRUE_LIDAR * lidar
                )
                extra = tier_effect if brand == "Alpha" and np.exp(spec) >= 250_000 else 0.0
                log_price = spec + effect + extra + series_effect + rng.normal(0, 0.08)
                rows.append(
                    {
                        "brand": brand,
                        "series": f"{brand[:2].upper()}{s}",
                        "trim_name": f"{brand} S{s} trim {k}",
                        "model_year": year,
                        "segment": f"{body} class",
                        "body": body,
                        "powertrain": powertrain,
                        "msrp_rmb": float(np.exp(log_price)),
                        "battery_kwh": float(trim_battery),
                        "power_kw": float(power),
                        "length_mm": float(length),
                        "drive": drive,
                        "lidar_count": float(lidar),
                    }
                )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def synthetic() -> pd.DataFrame:
    return synthetic_trims()


@pytest.fixture(scope="module")
def synthetic_fit(synthetic) -> premium.HedonicFit:
    return premium.fit_hedonic(synthetic, "Ref")


@pytest.fixture(scope="module")
def trims() -> pd.DataFrame:
    return data.load_trims(FROZEN_DATA)


def study_kwargs(**overrides) -> dict:
    """The notebook's default parameters, as keyword arguments of prepare_study."""
    kwargs = {
        "focus_brand": "Leapmotor",
        "reference_brand": "BYD",
        "comparison_brands": ["Tesla", "Li Auto", "NIO", "AITO", "Xiaomi", "XPeng", "Zeekr"],
        "powertrains": ["bev", "erev", "phev"],
        "model_years": [2023, 2024, 2025],
        "price_band_rmb": (250_000, 300_000),
        "flagship_series": "D19",
        "flagship_trim_names": ["D19 BEV (115 kWh)", "D19 EREV (80.3 kWh)"],
        "flagship_drive_if_missing": "awd",
        "min_brand_trims": 10,
    }
    return kwargs | overrides


# ---------------------------------------------------------------------------------------------
# Recovery of a known truth


def test_recovers_elasticities_from_synthetic_trims(synthetic_fit):
    params = synthetic_fit.result.params
    for column, truth in TRUE_ELASTICITIES.items():
        term = TERMS[column]
        se = np.sqrt(synthetic_fit.covariance.loc[term, term])
        assert abs(params[term] - truth) < max(3 * se, 0.05), (term, params[term], truth, se)
    assert abs(params["lidar"] - TRUE_LIDAR) < 0.04


def test_recovers_brand_effects_and_their_intervals_cover_the_truth(synthetic_fit):
    table = premium.brand_premiums(synthetic_fit, level=0.99).set_index("brand")
    for brand, truth in TRUE_BRANDS.items():
        se = table.loc[brand, "se"]
        assert abs(synthetic_fit.brand_effect(brand) - truth) <= 3 * se, brand
        true_pct = 100 * (np.exp(truth) - 1)
        assert table.loc[brand, "low_pct"] <= true_pct <= table.loc[brand, "high_pct"], brand
    assert table.loc["Ref", "premium_pct"] == 0.0
    assert list(table["premium_pct"]) == sorted(table["premium_pct"], reverse=True)


def test_tier_interaction_finds_a_discount_that_widens_with_spec_price():
    trims = synthetic_trims(seed=11, tier_effect=-0.30)
    fit = premium.fit_hedonic(trims, "Ref")
    tiers = premium.tier_premiums(fit, "Alpha", [0, 250_000]).set_index("tier_low_rmb")
    lower, upper = tiers.loc[0.0], tiers.loc[250_000.0]
    assert lower["premium_pct"] == pytest.approx(100 * (np.exp(-0.25) - 1), abs=6)
    assert upper["premium_pct"] == pytest.approx(100 * (np.exp(-0.55) - 1), abs=8)
    assert upper["high_pct"] < lower["low_pct"]


# ---------------------------------------------------------------------------------------------
# Kennedy correction


def test_kennedy_formula():
    b, v = np.array([-0.2, 0.0, 0.5]), np.array([0.01, 0.04, 0.09])
    np.testing.assert_allclose(premium.kennedy_premium(b, v), np.exp(b - v / 2) - 1)
    assert premium.kennedy_premium(0.3, 0.0) == pytest.approx(np.exp(0.3) - 1)


def test_kennedy_correction_removes_the_retransformation_bias():
    # b ~ N(beta, v): E[exp(b)] = exp(beta + v/2), so exp(b - v/2) - 1 is unbiased for exp(beta) - 1.
    beta, v = 0.4, 0.16
    draws = np.random.default_rng(3).normal(beta, np.sqrt(v), size=400_000)
    corrected = premium.kennedy_premium(draws, v).mean()
    naive = (np.exp(draws) - 1).mean()
    assert corrected == pytest.approx(np.exp(beta) - 1, abs=0.006)
    assert naive - (np.exp(beta) - 1) > 0.1


def test_brand_table_applies_kennedy_to_the_floored_variance(synthetic_fit):
    table = premium.brand_premiums(synthetic_fit)
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
    fit = premium.fit_hedonic(holed, "Ref")

    complete = premium.add_model_columns(holed).dropna(subset=["battery_kwh", "lidar"])
    assert list(fit.used.index) == list(complete.index)
    assert fit.n_clusters == complete["cluster"].nunique()
    groups = pd.factorize(complete["cluster"])[0]
    manual = smf.ols(fit.formula, complete).fit(cov_type="cluster", cov_kwds={"groups": groups})
    np.testing.assert_allclose(fit.result.bse, manual.bse, rtol=1e-10)
    # The same number of groups taken from the head of the full table is misaligned: it differs.
    shifted = pd.factorize(premium.add_model_columns(holed)["cluster"])[0][: len(complete)]
    wrong = smf.ols(fit.formula, complete).fit(cov_type="cluster", cov_kwds={"groups": shifted})
    assert not np.allclose(fit.result.bse, wrong.bse, rtol=1e-3)


def test_variance_is_floored_at_classical_for_a_brand_with_one_trim(synthetic):
    single = synthetic_trims(seed=2, brands={"Ref": 0.0, "Beta": 0.3})
    lone = single[single["brand"] == "Beta"].iloc[[0]].assign(brand="Lone", series="LONE")
    fit = premium.fit_hedonic(pd.concat([single, lone], ignore_index=True), "Ref")
    term = fit.brand_term("Lone")
    clustered, classical = fit.result.bse[term], np.sqrt(fit.classical.loc[term, term])
    assert clustered < classical / 2  # the clustered variance cannot see a lone trim's noise
    assert np.sqrt(fit.covariance.loc[term, term]) == pytest.approx(classical)
    assert (np.diag(fit.covariance) >= np.diag(fit.result.cov_params()) - 1e-15).all()
    assert len(premium.exactly_fitted_trims(fit)) == 1


@pytest.mark.filterwarnings("ignore:The design matrix is rank-deficient")
def test_collinear_sample_raises_a_clear_error(synthetic):
    lone = synthetic.iloc[[0]].assign(brand="Lone", series="LONE", body="wagon")
    with pytest.raises(ValueError, match=r"not identified.*Lone"):
        premium.fit_hedonic(pd.concat([synthetic, lone], ignore_index=True), "Ref")


# ---------------------------------------------------------------------------------------------
# Pricing under other badges


def test_prediction_matches_fitted_value_and_probabilities_add_up(synthetic_fit):
    trim = synthetic_fit.used[synthetic_fit.used["brand"] == "Ref"].iloc[[3]]
    table = premium.price_under_brands(
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
    first = premium.price_gaps(synthetic_fit, trim, "Alpha", ["Ref", "Beta"], n_draws=2000, seed=4)
    again = premium.price_gaps(synthetic_fit, trim, "Alpha", ["Ref", "Beta"], n_draws=2000, seed=4)
    pd.testing.assert_frame_equal(first, again)
    prices = premium.price_under_brands(synthetic_fit, trim.to_frame().T, ["Alpha", "Beta"], (1, 2))
    expected = prices.set_index("brand")["expected_rmb"]
    beta = first.set_index("brand").loc["Beta"]
    assert beta["gap_rmb"] == pytest.approx(expected["Beta"] - expected["Alpha"])
    assert beta["low_rmb"] < beta["gap_rmb"] < beta["high_rmb"]
    assert (first["gap_rmb"] > 0).all()  # Alpha is the cheapest badge


def test_spec_to_reach_band_moves_the_price_to_the_band_edges(synthetic_fit):
    trim = synthetic_fit.used.iloc[0].copy()
    band = (250_000.0, 300_000.0)
    levers = premium.spec_to_reach_band(synthetic_fit, trim, "Alpha", band).set_index("lever")
    for edge, column in [(band[0], "for_band_low"), (band[1], "for_band_high")]:
        bigger = trim.copy()
        bigger["battery_kwh"] = levers.loc["battery size", column]
        priced = premium.price_under_brands(synthetic_fit, bigger.to_frame().T, ["Alpha"], band)
        assert priced["expected_rmb"].iloc[0] == pytest.approx(edge, rel=1e-9)


def test_transaction_prices_shift_brand_effects_by_the_discount(synthetic_fit):
    discounts = pd.DataFrame(
        {"brand": list(TRUE_BRANDS), "discount_pct": [12.0, 4.0, 20.0, 12.0, 12.0]}
    ).assign(basis="brand figure")
    compared = premium.transaction_comparison(synthetic_fit, discounts, list(TRUE_BRANDS))
    compared = compared.set_index("brand")
    for brand, rate in zip(discounts["brand"], discounts["discount_pct"], strict=True):
        shift = np.log(1 - rate / 100) - np.log(1 - 0.12)
        list_b = np.log1p(compared.loc[brand, "list_premium_pct"] / 100)
        tx_b = np.log1p(compared.loc[brand, "transaction_premium_pct"] / 100)
        assert tx_b - list_b == pytest.approx(shift, abs=2e-3), brand


def test_transaction_discounts_fall_back_to_the_nev_average(trims):
    assumptions = data.load_assumptions(FROZEN_DATA)
    table = premium.transaction_discounts(assumptions, ["Leapmotor", "BYD", "Li Auto"])
    table = table.set_index("brand")
    assert table.loc["Leapmotor", "discount_pct"] == 11.4
    assert table.loc["Li Auto", "discount_pct"] == 4.0
    assert table.loc["BYD", "basis"].startswith("NEV average")
    nev = assumptions.loc["transaction_discount_nev_pct", "value"]
    assert table.loc["BYD", "discount_pct"] == nev


def test_robustness_baseline_equals_the_main_fit(synthetic, synthetic_fit):
    discounts = pd.DataFrame({"brand": list(TRUE_BRANDS), "discount_pct": 10.0, "basis": "x"})
    table = premium.robustness(premium.add_model_columns(synthetic), "Alpha", "Ref", discounts)
    baseline = table.set_index("specification").loc["Baseline"]
    assert baseline["premium_pct"] == pytest.approx(
        premium.premium_of(synthetic_fit, "Alpha").premium_pct
    )
    assert {"BEV only", "Without size control", "Transaction prices"} <= set(table["specification"])
    assert (table["group"] == "leave one series out").sum() == 16
    # A discount common to every brand leaves every premium unchanged.
    transaction = table.set_index("specification").loc["Transaction prices"]
    assert transaction["premium_pct"] == pytest.approx(baseline["premium_pct"])


# ---------------------------------------------------------------------------------------------
# The real data and clear errors


def test_default_study_on_the_shipped_data(trims):
    study = premium.prepare_study(trims, **study_kwargs())
    assert len(study.sample) + study.excluded["trims"].sum() == len(trims)
    assert set(study.flagship["drive"]) == {"awd"}
    assert any("2026 priced as 2025" in note for note in study.flagship_notes)
    assert study.comparisons == ("Tesla", "Li Auto", "NIO", "AITO", "Xiaomi", "XPeng", "Zeekr")


def test_unknown_brand_lists_the_closest_names(trims):
    with pytest.raises(KeyError, match=r"focus_brand='Leap Motor'.*closest: Leapmotor"):
        premium.prepare_study(trims, **study_kwargs(focus_brand="Leap Motor"))
    with pytest.raises(KeyError, match=r"comparison_brands='Li auto'.*closest: Li Auto"):
        premium.prepare_study(trims, **study_kwargs(comparison_brands=["Tesla", "Li auto"]))


def test_brand_with_too_few_trims_for_an_estimate(trims):
    # FangChengBao has trims in the data but none with every spec the model needs.
    with pytest.raises(ValueError, match=r"'FangChengBao': too few trims for an estimate"):
        premium.prepare_study(trims, **study_kwargs(comparison_brands=["FangChengBao"]))
    with pytest.raises(ValueError, match=r"reference_brand='Tesla': too few trims"):
        premium.prepare_study(
            trims, **study_kwargs(focus_brand="BYD", reference_brand="Tesla", powertrains=["phev"])
        )


def test_flagship_trim_with_a_missing_spec(trims):
    with pytest.raises(ValueError, match=r"'D19 BEV \(115 kWh\)'.*no value for drive"):
        premium.prepare_study(trims, **study_kwargs(flagship_drive_if_missing=""))
    # The new NIO ES8 row has neither battery size nor power.
    with pytest.raises(ValueError, match=r"ES8 \(3rd gen\) entry.*battery_kwh, power_kw"):
        premium.prepare_study(
            trims, **study_kwargs(flagship_series="ES8 (3rd gen)", flagship_trim_names=[])
        )


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"flagship_series": "D91"}, KeyError, r"flagship_series='D91'.*closest: D9, D19"),
        ({"flagship_trim_names": ["D19 Ultra"]}, KeyError, r"'D19 Ultra'.*its trims: 'D19 BEV"),
        ({"reference_brand": "Leapmotor"}, ValueError, r"both 'Leapmotor'"),
        ({"powertrains": ["ice"]}, ValueError, r"powertrains=\['ice'\].*bev, erev, phev"),
        ({"model_years": [2019]}, ValueError, r"model_years=\[2019\]"),
        ({"price_band_rmb": (300_000, 250_000)}, ValueError, r"price band"),
        ({"flagship_drive_if_missing": "4wd"}, ValueError, r"flagship_drive_if_missing='4wd'"),
        ({"powertrains": ["bev"]}, ValueError, r"D19 EREV.*powertrain 'erev'.*not fitted"),
        ({"min_brand_trims": 0}, ValueError, r"min_brand_trims=0"),
    ],
)
def test_bad_parameters_name_themselves(trims, overrides, error, message):
    with pytest.raises(error, match=message):
        premium.prepare_study(trims, **study_kwargs(**overrides))


def test_bad_settings_and_tier_edges():
    with pytest.raises(ValueError, match=r"prediction_level=1.2"):
        premium.check_settings(1.2, 0.95, 1000, 1)
    with pytest.raises(ValueError, match=r"n_draws=10"):
        premium.check_settings(0.8, 0.95, 10, 1)
    with pytest.raises(ValueError, match=r"price_tier_edges_rmb=\[0, 200000, 100000\]"):
        premium.check_tier_edges([0, 200_000, 100_000])
    assert premium.tier_labels([0, 100_000, 250_000]) == ["0-100k", "100-250k", "250k+"]


def test_brand_slug():
    assert premium.brand_slug("Li Auto") == "li_auto"
    assert premium.brand_slug("LYNK&CO") == "lynk_co"
    assert premium.brand_slug("Tesla") == "tesla"


def test_discount_sentence_says_which_way_transaction_prices_move():
    discounts = pd.DataFrame(
        {
            "brand": ["Focus", "Lean", "Deep", "Unknown"],
            "discount_pct": [11.4, 4.0, 20.0, 12.2],
            "basis": ["brand figure"] * 3 + ["NEV average (no brand figure)"],
        }
    )
    sentence = premium.discount_sentence(discounts, "Focus", ["Lean", "Deep", "Unknown"])
    assert "Focus buyers get about 11.4% off list against Lean 4.0%, Deep 20.0%" in sentence
    assert "Focus stands lower against Lean and higher against Deep" in sentence
    assert "Unknown" not in sentence
    assert premium.round_yuan(290_149) == "290,000"
