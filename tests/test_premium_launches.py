"""Priced before launch (lib.premium.launches): on synthetic trims with a known hedonic truth the
record's 80% intervals hold about 80% and its errors match the known noise; no prediction sees
a car launched in or after its month; a badge never seen before is priced as the average badge
with the brand effects' spread in its interval; the frozen data's record keeps its size."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lib.premium import analysis, launches, models, pricing, tables, text
from lib.premium.analysis import BrandPremium
from lib.premium.inputs import add_model_columns
from tests.conftest import TRUE_BRANDS, premium_inputs, synthetic_trims

SERIES_SD, NOISE_SD = 0.05, 0.08  # synthetic_trims' series effect and trim noise, log points
MONTHS = pd.period_range("2022-01", "2025-06", freq="M").astype(str)


def dated(trims: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    """Synthetic trims with a launch month per series, spread over 2022-01 to 2025-06."""
    rng = np.random.default_rng(seed)
    series = trims["series"].unique()
    month = dict(zip(series, rng.choice(MONTHS, len(series)), strict=True))
    frame = trims.assign(launch_month=trims["series"].map(month), price_as_of="2025-05")
    return add_model_columns(frame)


def synthetic_inputs(trims: pd.DataFrame):
    """Notebook 02's inputs with the synthetic trims in place of the data's, no flagship."""
    frozen = premium_inputs()
    return dataclasses.replace(
        frozen,
        maker=dataclasses.replace(frozen.maker, display_name="Maker A", trim_brands=("Alpha",)),
        trims=trims,
        sample=trims,
        reference="Ref",
        flagship=frozen.flagship.iloc[0:0],
        launches=frozen.launches.iloc[0:0],
        brand_makers={"Alpha": "Maker A"},
    )


@pytest.fixture(scope="module")
def truth() -> launches.LaunchRecord:
    return launches.launch_record(synthetic_inputs(dated(synthetic_trims(series_per_brand=40))))


def test_the_record_recovers_the_known_noise_and_80_percent_coverage(truth):
    overall = truth.overall
    assert overall.cars > 500 and overall.series > 90
    assert 72 < overall.coverage_pct < 88
    assert overall.coverage_low < 80 < overall.coverage_high
    assert overall.held == "consistent with"
    # a normal error of sd s is within 0.674 s of zero half the time
    sd = np.hypot(SERIES_SD, NOISE_SD)
    assert overall.mae_pct == pytest.approx(100 * stats.norm.ppf(0.75) * sd, abs=1.2)
    assert overall.mae_low < overall.mae_pct < overall.mae_high
    assert abs(overall.bias_pct) < 2  # the truth does not move with time
    cars = truth.cars
    z = np.log(cars["guide_rmb"] / cars["predicted_rmb"]) / (
        np.log(cars["high_rmb"] / cars["predicted_rmb"]) / stats.norm.ppf(0.9)
    )
    assert z.std() == pytest.approx(1.0, abs=0.15)
    assert (cars["launch_month"] >= launches.RECORD_START).all()
    assert cars["badge_known"].all() and truth.skipped.empty


def test_scores_by_maker_and_the_makers_own(truth):
    groups = truth.by_maker.set_index("group")
    own = truth.cars[truth.cars["brand"] == "Alpha"]
    assert truth.own is not None and len(own) > 50
    assert groups.loc["Maker A", "cars"] == len(own) == truth.own.cars
    assert truth.own.mae_pct == pytest.approx(groups.loc["Maker A", "mae_pct"])
    assert groups.loc[launches.OTHER_BRANDS, "cars"] + len(own) == truth.overall.cars
    assert groups.loc["all launches", "coverage_pct"] == pytest.approx(truth.overall.coverage_pct)


def test_an_interval_without_the_residual_spread_would_fail_the_record(truth):
    """The scored interval is a prediction interval: the coefficients' uncertainty alone (a
    confidence interval of the mean) would hold far fewer guide prices."""
    trims = dated(synthetic_trims(series_per_brand=40))
    fit = launches.fit_before(trims, "2024-07", "Ref")
    later = trims[trims["launch_month"] == "2024-07"]
    predicted = fit.predict_log(later)
    residual = np.log(later["msrp_rmb"]) - predicted["log_median"]
    z = stats.norm.ppf(0.9)
    assert (residual.abs() <= z * predicted["se_fit"]).mean() < 0.5
    assert (residual.abs() <= z * predicted["se_pred"]).mean() > 0.6


def test_no_prediction_sees_a_car_launched_in_or_after_its_month():
    trims = dated(synthetic_trims())
    record = launches.launch_record(synthetic_inputs(trims))
    month = "2024-09"
    changed = trims.copy()
    changed.loc[trims["launch_month"] >= month, "msrp_rmb"] *= 3.0  # priced far off
    changed.loc[trims["launch_month"] > month, "battery_kwh"] *= 0.5
    again = launches.launch_record(synthetic_inputs(changed))
    before = record.cars["launch_month"] < month
    assert before.sum() > 50
    pd.testing.assert_frame_equal(record.cars[before], again.cars[before])
    # the month's own cars: other guide prices, the same predictions
    within = record.cars["launch_month"] == month
    predicted = ["predicted_rmb", "low_rmb", "high_rmb"]
    assert within.sum() > 5
    pd.testing.assert_frame_equal(
        record.cars.loc[within, predicted], again.cars.loc[within, predicted]
    )
    # the changed cars do move every prediction made after they launched
    after = record.cars["launch_month"] > month
    assert after.sum() > 50
    assert not np.allclose(
        record.cars.loc[after, "predicted_rmb"], again.cars.loc[after, "predicted_rmb"]
    )


def test_a_trim_without_a_launch_month_counts_from_its_price_date():
    trims = pd.DataFrame(
        {"launch_month": ["2024-03", None, None], "price_as_of": ["2025-05", "2025-05", "2025"]}
    )
    assert list(launches.known_month(trims)) == ["2024-03", "2025-05", "2025-12"]


def test_an_unseen_badge_is_priced_as_the_average_badge_with_the_brand_spread():
    trims = dated(synthetic_trims())
    fit = launches.fit_before(trims, "2024-01", "Ref")
    row = trims[trims["launch_month"] >= "2024-01"].head(1)
    brands = sorted(TRUE_BRANDS)
    under = pd.concat([fit.predict_log(row.assign(brand=b)) for b in brands])
    new = fit.predict_log(row.assign(brand="Newco")).iloc[0]
    assert not new["badge_known"] and under["badge_known"].all()
    assert new["log_median"] == pytest.approx(under["log_median"].mean())
    assert new["se_pred"] ** 2 - new["se_fit"] ** 2 - fit.residual_sd**2 == pytest.approx(
        fit.brand_spread()
    )
    # the spread of the five true effects, recovered from precise estimates
    assert fit.brand_spread() == pytest.approx(np.var(list(TRUE_BRANDS.values()), ddof=1), abs=0.02)


def test_a_new_badge_is_scored_and_an_unseen_body_is_counted_as_skipped():
    trims = dated(synthetic_trims())
    newco = trims[trims["brand"] == "Gamma"].head(12).assign(brand="Newco", launch_month="2024-06")
    newco["cluster"] = "Newco " + newco["series"]
    wagon = trims.tail(3).assign(body="wagon", launch_month="2024-08")
    inputs = synthetic_inputs(pd.concat([trims, newco, wagon], ignore_index=True))
    record = launches.launch_record(inputs)
    new = record.cars[record.cars["brand"] == "Newco"]
    assert len(new) == 12 and not new["badge_known"].any()
    known = record.cars[record.cars["badge_known"]]
    assert (np.log(new["high_rmb"] / new["low_rmb"])).min() > (
        np.log(known["high_rmb"] / known["low_rmb"])
    ).max()
    skipped = record.skipped.set_index("reason")["cars"]
    assert skipped["body not yet in the data"] == 3
    groups = record.by_maker.set_index("group")
    assert groups.loc[launches.NEW_BADGES, "cars"] == 12


def test_a_maker_without_launches_gets_no_number_and_the_reason():
    trims = dated(synthetic_trims())
    trims = trims[~((trims["brand"] == "Alpha") & (trims["launch_month"] >= "2024-01"))]
    record = launches.launch_record(synthetic_inputs(trims))
    assert record.own is None and "no Maker A car launched since 2024-01" in record.own_reason
    assert record.by_maker.set_index("group").loc["Maker A", "cars"] == 0


# ---------------------------------------------------------------------------------------------
# The frozen data


@pytest.fixture(scope="module")
def analysed() -> BrandPremium:
    return analysis.analyse(premium_inputs(n_draws=200))


@pytest.fixture(scope="module")
def frozen(analysed) -> launches.LaunchRecord:
    return analysed.launch_record


def test_the_frozen_record_keeps_its_size(frozen):
    assert (frozen.overall.cars, frozen.overall.series) == (1314, 197)
    assert (frozen.own.cars, frozen.own.series) == (41, 6)
    assert int((~frozen.cars["badge_known"]).sum()) == 111
    assert frozen.skipped.set_index("reason")["cars"].to_dict() == {
        "battery size unknown": 81,
        "length unknown": 1,
        "lidar fitment unknown": 163,
    }
    assert frozen.overall.mae_pct == pytest.approx(11.37, abs=0.01)
    assert frozen.overall.coverage_pct == pytest.approx(80.06, abs=0.01)
    assert frozen.overall.coverage_low < 80 < frozen.overall.coverage_high


def test_the_flagship_launch_is_a_row_of_the_record_priced_as_the_notebook_prices_it():
    """With the flagship's launch range sourced, its cheapest and dearest specs join the record,
    priced by the model on every trim known before the launch: the notebook's own prediction."""
    inputs = premium_inputs()
    launched = pd.DataFrame(
        {
            "series": [inputs.flagship["series"].iloc[0].upper()],
            "low_rmb": [219_800.0],
            "high_rmb": [269_800.0],
            "as_of": ["2026-04"],
            "source_url": ["https://example.com"],
        }
    )
    record = launches.launch_record(dataclasses.replace(inputs, launches=launched))
    rows = record.cars[record.cars["price_source"] != "trims"]
    assert list(rows["guide_rmb"]) == [219_800.0, 269_800.0]
    assert (rows["launch_month"] == "2026-04").all() and len(record.cars) == 1316
    fit = models.fit_hedonic(inputs.sample, inputs.reference)
    prices = pricing.price_under_brands(fit, inputs.flagship, [inputs.focus], inputs.band, 0.8)
    expected = prices.sort_values("median_rmb")[["median_rmb", "low_rmb", "high_rmb"]]
    np.testing.assert_allclose(rows[["predicted_rmb", "low_rmb", "high_rmb"]], expected, rtol=1e-9)
    assert rows["predicted_rmb"].is_monotonic_increasing  # cheapest spec with the low end


def test_the_reader_sees_the_record_in_one_sentence_and_escaped_tables(analysed, frozen):
    sentence = text.launch_record_text(analysed)
    assert sentence.startswith("**Priced before launch:** 1,314 cars (197 series)")
    assert "held 80%" in sentence and "Leapmotor's own: 41 cars (6 series)" in sentence
    assert "None" not in sentence and "nan" not in sentence
    hostile = dataclasses.replace(
        frozen,
        cars=frozen.cars.assign(
            series=frozen.cars["series"].where(frozen.cars["maker"] != "Leapmotor", "<b>x</b>")
        ),
    )
    result = dataclasses.replace(analysed, launch_record=hostile)
    html = tables.own_launches_table(result).to_html()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    by_maker = tables.launch_record_table(result).to_html()
    assert "other brands" in by_maker and launches.NEW_BADGES in by_maker


def test_too_few_series_give_scores_without_an_interval():
    cars = pd.DataFrame(
        {"error_pct": [5.0, -10.0, 20.0, 3.0], "inside": [True, True, False, True]}
    ).assign(cluster=["a", "a", "b", "b"])
    found = launches.score(cars, 0.95, [1])
    assert (found.cars, found.series) == (4, 2)
    assert (found.mae_pct, found.coverage_pct, found.bias_pct) == (7.5, 75.0, 4.0)
    assert found.mae_low is None and found.coverage_high is None and found.held == "untested"
    assert launches.score(cars.iloc[0:0], 0.95, [1]) is None
