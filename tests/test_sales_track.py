"""The track record: quantiles recorded per month, scored against the months reported since (PIT,
80% band), earlier runs read from their results.json, the last month-ends of the rolling origin,
and the out-of-sample check from the frozen data against the live data (invariants only)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from lib import data, paths, results, runs
from lib.sales import names, text, track
from lib.sales.params import NOTEBOOK
from tests.conftest import FROZEN_DATA

QUANTS = [80.0, 90.0, 100.0, 110.0, 120.0]


def table(month: str = "2026-07", maker: str = "m") -> pd.DataFrame:
    return pd.DataFrame(
        [[maker, "2026-06", month, *QUANTS]],
        columns=["maker", "data_to", "month", *track.QUANTILE_COLUMNS],
    )


def series(values: dict[str, float]) -> pd.Series:
    return pd.Series(values.values(), index=pd.PeriodIndex(list(values), freq="M"), name="m")


@pytest.mark.parametrize(
    ("actual", "pit", "inside"),
    [
        (100.0, 0.5, True),
        (85.0, 0.175, True),
        (120.0, 0.9, True),
        (70.0, 0.05, False),
        (130.0, 0.95, False),
    ],
)
def test_score_places_the_actual_among_the_quantiles(actual, pit, inside):
    scored = track.score(table(), {"m": series({"2026-06": 1.0, "2026-07": actual})})
    assert len(scored) == 1
    row = scored.iloc[0]
    assert row["pit"] == pytest.approx(pit)
    assert bool(row["inside80"]) is inside
    assert row["error_pct"] == pytest.approx(100 * (100 / actual - 1))


def test_months_not_reported_or_makers_unknown_are_not_scored():
    assert track.score(table("2026-08"), {"m": series({"2026-07": 100.0})}).empty
    assert track.score(table(maker="other"), {"m": series({"2026-07": 100.0})}).empty
    assert track.score(table(), {"m": series({"2026-07": np.nan})}).empty


def test_a_quantile_that_is_not_a_number_skips_its_row_not_the_run():
    damaged = pd.concat([table(), table()], ignore_index=True).astype(object)
    damaged.loc[0, "q50"] = "lots"  # an earlier run's table with text where a number belongs
    scored = track.score(damaged, {"m": series({"2026-07": 100.0})})
    assert len(scored) == 1 and scored["q50"].iloc[0] == 100.0


def write_run(folder, run_id: str, result: dict | None) -> None:
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"run_id": run_id, "status": "ok"}))
    entry = {"status": "ok", "results": [result] if result else []}
    (folder / "results.json").write_text(json.dumps({"notebooks": {NOTEBOOK: entry}}))


def test_earlier_runs_are_scored_and_runs_without_the_table_skipped(tmp_path):
    frame = pd.concat([table("2026-07"), table("2026-08")], ignore_index=True)
    recorded = results.record_table(names.MONTHLY_FORECAST_QUANTILES, frame, "units", "quantiles")
    write_run(tmp_path / "r2", "r2", recorded)
    write_run(tmp_path / "r1", "r1", None)  # an older run: no table
    scored = track.score_earlier_runs(
        runs.finished(tmp_path), {"m": series({"2026-07": 101.0, "2026-08": 125.0})}
    )
    assert scored["run_id"].tolist() == ["r2", "r2"]
    assert scored["inside80"].tolist() == [True, False]
    sentence = text.track_sentence(scored, "m", "Maker")
    assert "data to 2026-06" in sentence and "100 / 100" in sentence and "101 / 125" in sentence
    assert "1 of 2 inside" in sentence
    assert track.coverage(scored).iloc[0]["inside80_pct"] == 50.0
    maker = SimpleNamespace(maker=SimpleNamespace(key="m"), name="Maker")
    analysis = SimpleNamespace(
        inputs=maker, track_scored=scored, track_month_ends=track.month_ends(None, "m")
    )
    words = text.track_markdown(analysis)
    assert "50% of 2 months" in words and "has no ended year for Maker" in words


def test_month_ends_are_the_last_cutoffs_of_the_rolling_origin():
    cases = pd.DataFrame(
        [
            {
                "maker": "m",
                "target_year": y,
                "months_reported": k,
                "method": method,
                "actual": 95.0 + k,
                "median": 100.0,
                "p10": 90.0,
                "p90": 100.0,
            }
            for y in (2024, 2025)
            for k in range(12)
            for method in ("combination", "ets")
        ]
    )
    ends = track.month_ends(cases, "m")
    assert ends["cutoff"].tolist() == [
        str(p) for p in pd.period_range("2024-12", "2025-11", freq="M")
    ]
    assert ends["inside80"].sum() == 6  # outcomes 95..106 against a band of 90-100
    assert track.month_ends(cases, "other").empty


def test_out_of_sample_forecasts_score_only_months_published_since():
    frozen = data.load_deliveries(FROZEN_DATA)
    live = data.load_deliveries(paths.data_dir())
    holidays = data.load_holidays(FROZEN_DATA)
    scored = track.out_of_sample(frozen, live, holidays, "2026-06", n_paths=300, backtest_paths=200)
    frozen_known = {
        (brand, str(month))
        for brand in data.brands(frozen)
        for month, value in data.monthly_series(frozen, brand).dropna().items()
    }
    assert not any(
        (m, month) in frozen_known
        for m, month in zip(scored["maker"], scored["month"], strict=True)
    )
    quantiles = scored[track.QUANTILE_COLUMNS].to_numpy()
    assert (np.diff(quantiles, axis=1) >= 0).all()
    inside = (quantiles[:, 0] <= scored["actual"]) & (scored["actual"] <= quantiles[:, -1])
    assert (inside == scored["inside80"]).all()
    assert scored["pit"].between(0.05, 0.95).all()
    assert (scored["month"] > scored["data_to"]).any() or scored.empty


def test_the_track_record_is_recorded_from_earlier_runs_else_from_the_month_ends():
    results.clear()
    scored = pd.DataFrame({"inside80": [True, True, False, True], "pit": 0.5, "error_pct": 5.0})
    track.record_track(scored, pd.DataFrame(), "Leapmotor")
    assert results.recorded()[-1].value == 75.0 and "4 months" in results.recorded()[-1].meaning
    results.clear()
    ends = pd.DataFrame({"inside80": [True, False], "cutoff": ["2025-10", "2025-11"]})
    track.record_track(scored.iloc[:0], ends, "Leapmotor")
    assert (
        results.recorded()[-1].value == 50.0
        and "last 2 month-ends" in results.recorded()[-1].meaning
    )
    results.clear()
    track.record_track(scored.iloc[:0], ends.iloc[:0], "Leapmotor")
    assert results.recorded() == []
