"""lib.sales.record: the target record lists every maker-year's initial target against its
outcome, scores the method's calls only from the target's statement on and only on resolved
years, gives its rivals (base rate, naive run-rate) the same information, computes the Brier and
log scores on the calls every forecaster made, and groups the calls by the chance said. Synthetic
cases have a known truth; the frozen data pins the record's size and scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lib import results, sales
from lib.sales import evaluation, names, record
from lib.sales.evaluation import PERCENTILE_COLUMNS, PERCENTILES, Backtest, chance_of_at_least
from tests.conftest import FROZEN_DATA

SMALL = {"n_paths": 300, "seed": 5, "backtest_paths": 100, "comparison_paths": 100}
CUTOFF = pd.Period("2026-09", freq="M")


def monthly(year_totals: dict[int, float]) -> pd.Series:
    """A series with each year's total spread evenly over its twelve months."""
    parts = [
        pd.Series(total / 12, index=pd.period_range(f"{year}-01", periods=12, freq="M"))
        for year, total in year_totals.items()
    ]
    return pd.concat(parts)


def targets(*rows) -> pd.DataFrame:
    """Rows (maker, year, kind, units, stated_on) as a targets table of the maker's own series."""
    frame = pd.DataFrame(rows, columns=["maker", "year", "kind", "target_units", "stated_on"])
    return frame.assign(scope="series", quality="stated", source_url="https://example.com/t")


def normal_percentiles(mean: float, sd: float) -> np.ndarray:
    return stats.norm.ppf(PERCENTILES, mean, sd)


def backtest_with(forecasts: dict[tuple[str, int, str], np.ndarray]) -> Backtest:
    """A backtest holding only the given forecasts' percentiles (and combination rows)."""
    rows = [
        {
            "maker": m,
            "target_year": y,
            "method": method,
            **dict(zip(PERCENTILE_COLUMNS, q, strict=True)),
        }
        for (m, y, method), q in forecasts.items()
    ]
    scored = pd.DataFrame(
        [
            {
                "maker": m,
                "target_year": y,
                "method": method,
                "p10": q[9],
                "median": q[49],
                "p90": q[89],
            }
            for (m, y, method), q in forecasts.items()
        ],
        columns=evaluation.BACKTEST_COLUMNS,
    )
    empty = pd.DataFrame()
    quantiles = pd.DataFrame(rows, columns=[*evaluation.QUANTILE_KEY, *PERCENTILE_COLUMNS])
    return Backtest(scored, empty, empty, empty, "inverse_error", quantiles)


def test_the_chance_read_off_percentiles_recovers_a_known_normal_tail():
    q = normal_percentiles(100.0, 10.0)
    for target in (85.0, 100.0, 112.0):
        assert chance_of_at_least(q, target) == pytest.approx(
            stats.norm.sf(target, 100, 10), abs=0.003
        )
    assert chance_of_at_least(q, 10.0) == 0.995  # below the 1st percentile: the middle of the tail
    assert chance_of_at_least(q, 1e6) == 0.005


def test_the_record_resolves_only_complete_years_and_measures_the_miss():
    table = record.target_record(
        targets(
            ("a", 2024, "initial", 100.0, "2023-12"),
            ("a", 2024, "revised", 80.0, "2024-06"),
            ("a", 2025, "initial", 150.0, "2024-12"),
            ("b", 2025, "initial", 50.0, "2025-01"),
            ("b", 2025, "internal", 70.0, "2025-01"),
        ),
        {
            "a": monthly({2024: 90.0, 2025: 180.0}),
            "b": monthly({2025: 60.0}).drop(pd.Period("2025-07", freq="M")),
        },
        CUTOFF,
    )
    a24, a25, b25 = (table.iloc[i] for i in range(3))
    assert (a24["initial_units"], a24["revised_units"], a24["outcome_units"]) == (100.0, 80.0, 90.0)
    assert not a24["reached"] and a24["vs_initial_pct"] == pytest.approx(-10.0)
    assert a25["reached"] and a25["vs_initial_pct"] == pytest.approx(20.0)
    assert not b25["resolved"]  # a month unknown: no outcome, never a partial sum
    assert len(table) == 3  # the internal target is not a separate maker-year


def test_the_base_rate_uses_only_years_resolved_before_and_the_rule_of_succession():
    table = record.target_record(
        targets(
            ("a", 2023, "initial", 10.0, "2022-12"),
            ("a", 2024, "initial", 10.0, "2023-12"),
            ("b", 2024, "initial", 99.0, "2023-12"),
            ("a", 2025, "initial", 10.0, "2024-12"),
        ),
        {"a": monthly({2023: 12.0, 2024: 12.0, 2025: 12.0}), "b": monthly({2024: 12.0})},
        CUTOFF,
    )
    assert record.base_rate(table, 2023) == 0.5  # nothing known yet
    assert record.base_rate(table, 2024) == pytest.approx(2 / 3)  # 1 of 1 reached
    assert record.base_rate(table, 2025) == pytest.approx(3 / 5)  # 2 of 3
    later = table.assign(reached=table["reached"].where(table["year"] < 2025, False))
    assert record.base_rate(later, 2025) == record.base_rate(table, 2025)


def test_calls_are_scored_from_the_statement_on_on_resolved_dated_targets_only():
    table = record.target_record(
        targets(
            ("a", 2025, "initial", 100.0, "2025-03-18"),  # stated with 2 months reported
            ("b", 2025, "initial", 100.0, None),  # undated: cannot be placed in time
        ),
        {"a": monthly({2024: 100.0, 2025: 120.0}), "b": monthly({2024: 100.0, 2025: 120.0})},
        CUTOFF,
    )
    q = normal_percentiles(120.0, 10.0)
    backtests = {
        k: backtest_with(
            {(m, 2025, method): q for m in "ab" for method in ("combination", "q4_run_rate")}
        )
        for k in range(12)
    }
    calls = record.scored_calls(table, backtests)
    assert set(calls["maker"]) == {"a"}
    assert calls["months_reported"].tolist() == list(range(3, 12))  # cutoff 2025-03 on
    assert calls["method"].iloc[0] == pytest.approx(stats.norm.sf(100, 120, 10), abs=0.003)


def test_scores_are_the_brier_and_log_score_on_the_calls_every_forecaster_made():
    calls = pd.DataFrame(
        {
            "maker": ["a", "a", "b", "c"],
            "year": [2024, 2024, 2024, 2024],
            "months_reported": [0, 1, 0, 0],
            "target_units": [1.0] * 4,
            "reached": [True, True, False, True],
            "method": [0.9, 0.8, 0.3, 0.5],
            "base_rate": [0.5, 0.5, 0.5, 0.5],
            "run_rate": [1.0, 0.6, 0.0, np.nan],  # c: the rule made no call, so c is left out
        }
    )
    table = record.scores(calls).set_index("forecaster")
    assert table["calls"].iloc[0] == 3 and table["maker_years"].iloc[0] == 2
    assert table.loc["this method", "brier"] == pytest.approx((0.01 + 0.04 + 0.09) / 3)
    assert table.loc["the base rate", "log_score"] == pytest.approx(np.log(2))
    assert table.loc["naive run-rate", "log_score"] == pytest.approx(-np.log(0.6) / 3)


def test_a_calibrated_forecaster_follows_the_diagonal_of_the_reliability_table():
    rng = np.random.default_rng(7)
    said = rng.uniform(0, 1, 4000)
    calls = pd.DataFrame(
        {
            "maker": [f"m{i % 40}" for i in range(4000)],
            "year": [2020 + i // 40 for i in range(4000)],
            "reached": rng.uniform(0, 1, 4000) < said,
            "method": said,
        }
    )
    table = record.reliability(calls)
    assert table["calls"].sum() == 4000
    assert np.allclose(table["reached_pct"], table["mean_said_pct"], atol=4)


@pytest.fixture(scope="module")
def frozen():
    params = sales.Params(target_units=1_000_000, target_year=2026, **SMALL)
    return sales.analyse(sales.load(params, FROZEN_DATA))


def test_on_the_frozen_data_the_record_holds_leapmotors_two_years_and_thirteen_calls(frozen):
    rec = frozen.target_record
    resolved = rec.resolved
    assert resolved[["maker", "year"]].values.tolist() == [["leapmotor", 2024], ["leapmotor", 2025]]
    assert resolved["reached"].astype(bool).all() and rec.base_rate_pct == 100
    calls = rec.calls
    assert len(calls) == 13  # 2024: stated in November, one call; 2025: all twelve month-ends
    assert calls[calls["year"] == 2024]["months_reported"].tolist() == [11]
    assert rec.score("method") == pytest.approx(0.134, abs=0.0005)
    assert rec.score("base_rate") == pytest.approx(0.122, abs=0.0005)
    assert rec.score("run_rate") == pytest.approx(0.094, abs=0.0005)


def test_the_complete_years_calls_are_the_backtests_forecasts_at_each_month_end(frozen):
    calls = frozen.resolution.calls.set_index("months_reported")
    rows = frozen.backtest.rows
    k = frozen.months_reported
    mine = rows[
        (rows["maker"] == "leapmotor")
        & (rows["target_year"] == 2025)
        & (rows["method"] == "combination")
    ]
    assert calls.loc[k, "median"] == pytest.approx(float(mine["median"].iloc[0]))


def test_the_record_is_recorded_with_its_scores_and_tables(frozen):
    frozen.record()
    found = {r.name: r for r in results.recorded()}
    assert found[names.TARGET_RECORD_MAKER_YEARS].value == 2
    assert found[names.TARGET_RECORD_CALLS].value == 13
    assert found[names.TARGET_RECORD_BRIER].value == pytest.approx(
        frozen.target_record.score("method")
    )
    tables = results.recorded_tables()
    reliability = results.table_frame(tables[names.TARGET_RECORD_RELIABILITY])
    assert reliability["calls"].sum() == 13
    assert len(results.table_frame(tables[names.TARGET_RECORD_TABLE])) == len(
        frozen.target_record.table
    )


def test_the_reader_table_tells_a_past_year_with_unknown_months_from_an_open_one(frozen):
    shown = sales.tables.target_record_tables(frozen)[0].data.set_index(["maker", "year"])
    assert shown.loc[("xiaomi", 2025), "reached"] == "months missing"  # data to 2026-06
    assert shown.loc[("leapmotor", 2026), "reached"] == "open"
    assert shown.loc[("leapmotor", 2025), "reached"] == "yes"
