"""Stacking (lib/sales/stacking.py): weights recovered from a known truth, fitted on earlier target
years only, the combination alone while too few years have ended; the whole-year comparison's
cluster bootstrap, recorded results and sentence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lib import results
from lib.sales import evaluation, names, stacking, text
from lib.sales.analysis import record_year

LEVELS = evaluation.PERCENTILES


def lognormal_quantiles(median: np.ndarray, sd: float) -> np.ndarray:
    """1st-99th percentiles of lognormal forecasts with these medians and log sd."""
    return np.asarray(median)[:, None] * np.exp(sd * stats.norm.ppf(LEVELS))[None, :]


def test_quantile_loss_approximates_the_crps_of_a_normal():
    mu, sigma, actual = 100.0, 10.0, 112.0
    quantiles = (mu + sigma * stats.norm.ppf(LEVELS))[None, :]
    z = (actual - mu) / sigma
    exact = sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))
    assert stacking.quantile_loss(quantiles, np.array([actual]))[0] == pytest.approx(
        exact, rel=0.03
    )


def test_fit_weights_recovers_the_member_that_is_the_truth():
    """Outcomes drawn from member A's distribution; B is biased 25% up, C is three times too
    wide: the CRPS-optimal average puts (almost) all weight on A."""
    rng = np.random.default_rng(11)
    median = rng.uniform(50_000, 500_000, size=120)
    actual = median * np.exp(0.1 * rng.standard_normal(120))
    members = np.stack(
        [
            lognormal_quantiles(median, 0.1),
            lognormal_quantiles(1.25 * median, 0.1),
            lognormal_quantiles(median, 0.3),
        ],
        axis=1,
    )
    weights = stacking.fit_weights(members, actual)
    assert weights.sum() == pytest.approx(1.0) and (weights >= 0).all()
    assert weights[0] > 0.85


def test_fit_weights_blends_two_opposite_biases():
    """A is 20% low, B 20% high, both sharp: the truth is their average, which the weights find."""
    rng = np.random.default_rng(3)
    median = rng.uniform(50_000, 500_000, size=80)
    actual = median * np.exp(0.02 * rng.standard_normal(80))
    members = np.stack(
        [lognormal_quantiles(0.8 * median, 0.02), lognormal_quantiles(1.2 * median, 0.02)], axis=1
    )
    assert stacking.fit_weights(members, actual)[0] == pytest.approx(0.5, abs=0.05)


def synthetic_backtests(years=(2019, 2020, 2021, 2022, 2023), makers=8, seed=5):
    """Backtests at two horizons where 'sarimax' is the truth and 'ets' is biased 30% low; the
    combination and the run-rate rule sit in between. Outcomes are known by construction."""
    rng = np.random.default_rng(seed)
    median = rng.uniform(50_000, 400_000, size=(len(years), makers))
    truth = median * np.exp(0.08 * rng.standard_normal(median.shape))
    backtests = {}
    for k in (0, 6):
        rows, quantiles = [], []
        for y, year in enumerate(years):
            for i in range(makers):
                maker, actual = f"m{i}", float(truth[y, i])
                rows.append(
                    {
                        "maker": maker,
                        "target_year": year,
                        "method": "combination",
                        "actual": actual,
                        "headline": True,
                        "months_reported": k,
                    }
                )
                for method, factor in (
                    ("sarimax", 1.0),
                    ("ets", 0.7),
                    ("combination", 0.85),
                    ("q4_run_rate", 0.9),
                ):
                    values = lognormal_quantiles(np.array([factor * median[y, i]]), 0.08)[0]
                    quantiles.append(
                        {
                            "maker": maker,
                            "target_year": year,
                            "method": method,
                            **dict(zip(evaluation.PERCENTILE_COLUMNS, values, strict=True)),
                        }
                    )
        frame = pd.DataFrame(rows).reindex(columns=evaluation.BACKTEST_COLUMNS)
        empty = pd.DataFrame()
        table = pd.DataFrame(quantiles)
        backtests[k] = evaluation.Backtest(frame, empty, empty, empty, "inverse_error", table)
    return backtests


def test_stacking_learns_the_better_member_from_earlier_years_only():
    backtests = synthetic_backtests()
    stacked = stacking.stack(backtests, 6)
    weights = stacked.weights.pivot(index="target_year", columns="method", values="weight")
    # The first year has no earlier one: the combination alone; later years favour the truth.
    assert weights.loc[2019, "combination"] == 1.0
    assert (weights.loc[[2020, 2021, 2022, 2023], "sarimax"] > 0.8).all()
    used = stacked.weights.groupby("target_year")["cases_used"].first()
    assert used.to_dict() == {2019: 0, 2020: 8, 2021: 16, 2022: 24, 2023: 32}
    # Once the truth carries the weight, the stacked forecast beats the combination on CRPS.
    rows = stacked.rows[stacked.rows["target_year"] > 2019]
    assert len(rows) == 32 and rows["method"].eq(stacking.METHOD).all()
    combination = backtests[6].quantiles
    combination = combination[
        (combination["method"] == "combination") & (combination["target_year"] > 2019)
    ]
    actual = backtests[6].rows.set_index(["maker", "target_year"])["actual"]
    combo_crps = [
        100
        * evaluation.crps(stacking.sample_of(row[evaluation.PERCENTILE_COLUMNS].to_numpy(float)), a)
        / a
        for (_, row), a in zip(
            combination.iterrows(),
            actual.loc[list(zip(combination["maker"], combination["target_year"], strict=True))],
            strict=True,
        )
    ]
    assert rows["crps_pct"].mean() < 0.7 * np.mean(combo_crps)


def test_stacking_does_not_look_ahead():
    """Changing the last year's outcomes changes nothing of the forecasts for the years before,
    nor the last year's weights and calibration (fitted on earlier years)."""
    backtests = synthetic_backtests()
    changed = synthetic_backtests()
    for backtest in changed.values():
        last = backtest.rows["target_year"] == 2023
        backtest.rows.loc[last, "actual"] *= 3
    before, after = stacking.stack(backtests, 0), stacking.stack(changed, 0)
    pd.testing.assert_frame_equal(before.weights, after.weights)
    pd.testing.assert_frame_equal(before.calibration, after.calibration)
    earlier = before.rows["target_year"] < 2023
    pd.testing.assert_frame_equal(before.rows[earlier], after.rows[earlier])
    pd.testing.assert_frame_equal(before.quantiles, after.quantiles)


def test_too_few_earlier_years_give_the_combination_alone():
    backtests = synthetic_backtests(years=(2022, 2023), makers=3)
    stacked = stacking.stack(backtests, 0)
    assert set(stacked.weights["method"]) == {"combination"}
    combination = backtests[0].quantiles
    combination = combination[combination["method"] == "combination"]
    for key in ("q10", "q50", "q90"):
        np.testing.assert_allclose(
            np.sort(stacked.quantiles[key].to_numpy()),
            np.sort(combination[key].to_numpy()),
            rtol=1e-3,
        )


def test_cluster_bootstrap_resamples_whole_maker_years():
    """Two maker-years, twelve month-ends each, A always half of B: the ratio is -50% whatever
    is resampled; with one maker-year twice as bad for both the interval stays at -50%."""
    key = pd.MultiIndex.from_product([["x", "y"], [2024], range(12)]).to_frame(index=False)
    key.columns = ["maker", "target_year", "months_reported"]
    rows = pd.concat(
        [
            key.assign(method="a", crps_pct=np.where(key["maker"] == "x", 1.0, 2.0)),
            key.assign(method="b", crps_pct=np.where(key["maker"] == "x", 2.0, 4.0)),
        ]
    )
    paired = evaluation.paired_bootstrap(rows, "a", "b", cluster=("maker", "target_year"))
    assert paired["cases"] == 24 and paired["clusters"] == 2
    assert paired["ratio"] == pytest.approx(-0.5)
    assert paired["low"] == pytest.approx(-0.5) and paired["high"] == pytest.approx(-0.5)


def peer_scores(low: float, high: float) -> evaluation.PeerScores:
    """A whole-year comparison with known numbers: the combination 10.0 CRPS / 70 IS, the
    run-rate 11.0 / 66, statsforecast 12.5 / 90, the stacked 12.0 / 89."""
    year = pd.DataFrame(
        [
            ("combination", 10.0, 70.0, 84.0),
            ("q4_run_rate", 11.0, 66.0, 82.0),
            ("sf_mean", 12.5, 90.0, 57.0),
            ("stacked", 12.0, 89.0, 73.0),
        ],
        columns=["method", "crps_pct", "interval_score_pct", "coverage80_pct"],
    ).assign(label="x", maker_years=14, cases=168, mape_pct=15.0)
    comparisons = pd.DataFrame(
        [
            {
                "cases_set": "headline",
                "score": score,
                "method": "combination",
                "other": other,
                "cases": 168,
                "mean": year.set_index("method").loc["combination", score],
                "other_mean": year.set_index("method").loc[other, score],
                "ratio": year.set_index("method").loc["combination", score]
                / year.set_index("method").loc[other, score]
                - 1,
                "low": low,
                "high": high,
            }
            for other in ("q4_run_rate", "sf_mean", "stacked")
            for score in ("crps_pct", "interval_score_pct")
        ]
    )
    return evaluation.PeerScores(
        pd.DataFrame(),
        pd.DataFrame(),
        "2026-09",
        1.0,
        year=year,
        year_all=year,
        year_comparisons=comparisons,
        maker_years={"headline": 14, "all": 20},
        monthly_bands={
            "rolling": {"months": 1438, "inside80_pct": 85.5},
            "out_of_sample": {"months": 27, "inside80_pct": 81.5, "data_through": "2026-06"},
        },
    )


def test_the_whole_year_sentence_says_the_comparison_and_who_answers():
    said = text.year_markdown(peer_scores(-0.2, 0.05))
    assert "14 maker-years; 20 with those" in said
    assert (
        "mean CRPS (percent of the outcome) of 10.0% against 11.0% for the last 3 months' "
        "run-rate on the 168 forecasts both made (-9%, paired 95% interval -20% to +5%: no "
        "clear difference), and of 10.0% against 12.5% for statsforecast's mean" in said
    )
    assert "interval score was 70.0 against 66.0 for the last 3 months' run-rate" in said
    assert "The answer is skill-weighted combination's" in said and "scored 12.0%" in said
    assert "held 86% of 1,438 months" in said and "82% of the 27 maker-months" in said
    assert ": lower)" in text.year_markdown(peer_scores(-0.3, -0.1))
    assert "has not been computed" in text.year_markdown(None)


def test_the_whole_year_results_are_recorded():
    record_year(peer_scores(-0.2, 0.05))
    recorded = {r.name: r for r in results.recorded()}
    assert recorded[names.YEAR_CRPS_PCT].value == 10.0
    assert recorded[names.YEAR_CRPS_PCT_RUN_RATE].value == 11.0
    assert recorded[names.YEAR_INTERVAL_SCORE_PCT_STATSFORECAST].value == 90.0
    versus = recorded[names.YEAR_CRPS_VS_RUN_RATE_PCT]
    assert versus.value == pytest.approx(100 * (10 / 11 - 1))
    assert (versus.low, versus.high) == pytest.approx((-20.0, 5.0))
    assert recorded[names.YEAR_MAKER_YEARS].value == 14
    assert recorded[names.YEAR_MAKER_YEARS_ALL].value == 20
    assert recorded[names.MONTHLY_INSIDE80_PCT_OUT_OF_SAMPLE].value == 81.5
    table = results.table_frame(results.recorded_tables()[names.YEAR_SCORES])
    assert table["method"].tolist() == ["combination", "q4_run_rate", "stacked", "sf_mean"]
