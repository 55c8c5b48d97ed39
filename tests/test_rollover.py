"""The year rollover: with data through January 2027 (the frozen data plus synthetic Leapmotor
months whose 2026 total is known), the default target year is 2027, still open, and 2026 shows as
resolved: its outcome against the stated target and the calls made during it, scored. A target
year the data hold in full gives the resolved view as the answer. The clock is set
(`EVR_TODAY`), never the machine's."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from lib import clock, data, pipeline, results, runs, sales
from lib.sales import names, resolution
from tests.conftest import FROZEN_DATA, SMOKE_SCENARIO

TODAY = "2027-02-05"  # deliveries for January 2027 are out
SOURCE = "https://example.org/synthetic-rollover"
GROWTH_2026, GROWTH_2027 = 1.5, 1.4  # each synthetic month on the same month a year earlier
FAST = {"n_paths": 300, "seed": 7, "backtest_paths": 100, "comparison_paths": 100}


def load(folder, **parameters) -> sales.Inputs:
    """Notebook 01's inputs, fast; target and year sourced (-1) unless given."""
    return sales.load(sales.Params(**FAST, **parameters), folder)


def extend_leapmotor(folder) -> float:
    """Add Leapmotor's months of 2026 and 2027-01 that the frozen data lack, each the same month
    a year earlier times a known growth; return the 2026 total this makes (vehicles)."""
    path = folder / data.DELIVERIES.filename
    series = data.monthly_series(data.load_deliveries(folder), "leapmotor")
    lines, known = [], series.dropna().to_dict()
    for month in pd.period_range("2026-01", "2027-01", freq="M"):
        if month in known:
            continue
        growth = GROWTH_2027 if month.year == 2027 else GROWTH_2026
        known[month] = round(known[month - 12] * growth)
        lines.append(f"leapmotor,{month},{known[month]},stated,{SOURCE},synthetic (test)")
    text = path.read_text()
    path.write_text(text + ("" if text.endswith("\n") else "\n") + "\n".join(lines) + "\n")
    return float(sum(v for m, v in known.items() if m.year == 2026))


@pytest.fixture(scope="module")
def rolled(tmp_path_factory):
    """(a copy of the frozen data through 2027-01, Leapmotor's true 2026 total)."""
    folder = tmp_path_factory.mktemp("rollover") / "data"
    shutil.copytree(FROZEN_DATA, folder)
    return folder, extend_leapmotor(folder)


@pytest.fixture(autouse=True)
def february_2027(monkeypatch):
    monkeypatch.setenv(clock.TODAY_VARIABLE, TODAY)


def test_the_clock_is_injected_and_a_bad_one_is_named(monkeypatch):
    assert str(clock.today()) == TODAY
    monkeypatch.setenv(clock.TODAY_VARIABLE, "next tuesday")
    with pytest.raises(ValueError, match="EVR_TODAY must be a date as YYYY-MM-DD"):
        clock.today()


def test_the_synthetic_months_validate_only_once_their_month_has_come(rolled, monkeypatch):
    folder, _ = rolled
    assert data.validate_all(folder)[data.DELIVERIES.filename] > 0
    monkeypatch.setenv(clock.TODAY_VARIABLE, "2026-12-04")  # January 2027 is not out yet
    with pytest.raises(data.DataError, match="2027-01"):
        data.validate_all(folder)


def test_the_default_year_is_the_first_incomplete_one():
    month = lambda text: pd.Period(text, freq="M")  # noqa: E731
    assert sales.inputs.default_target_year(month("2026-09")) == 2026
    assert sales.inputs.default_target_year(month("2026-12")) == 2027
    assert sales.inputs.default_target_year(month("2027-01")) == 2027
    assert sales.inputs.last_complete_year(month("2026-11")) == 2025
    assert sales.inputs.last_complete_year(month("2026-12")) == 2026


@pytest.fixture(scope="module")
def open_2027(rolled):
    """Notebook 01's inputs with the default target year, and the year it resolves (2026)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(clock.TODAY_VARIABLE, TODAY)
        inputs = load(rolled[0])
        year = resolution.year_to_resolve(inputs)
        return inputs, resolution.resolve(inputs, year, resolution.backtests_for(inputs))


def test_2027_is_open_and_2026_resolved_against_its_stated_target(rolled, open_2027):
    folder, total_2026 = rolled
    inputs, resolved = open_2027
    assert inputs.settings.target_year == 2027 and str(inputs.settings.cutoff) == "2027-01"
    # No 2027 target in the data: the question is whether 2027 beats 2026, said as such.
    assert inputs.target_basis == "last_year" and inputs.settings.target_units == total_2026
    assert resolved.year == 2026
    stated = data.assumption("leapmotor_target_2026_units", data.load_assumptions(folder))
    assert resolved.target_basis == "stated" and resolved.target_units == stated.value
    assert resolved.outcome_units == total_2026
    assert resolved.reached == (total_2026 >= stated.value)
    assert resolved.margin_pct == pytest.approx(100 * (total_2026 / stated.value - 1))
    calls = resolved.calls
    assert list(calls["months_reported"]) == list(range(12))
    assert list(calls["cutoff"]) == [
        str(m) for m in pd.period_range("2025-12", "2026-11", freq="M")
    ]
    assert (calls["source"] == "reconstructed").all()
    assert calls["p_target"].between(0, 1).all()
    assert (calls["p10"] <= calls["median"]).all() and (calls["median"] <= calls["p90"]).all()
    outcome = float(resolved.reached)
    assert resolved.brier == pytest.approx(np.mean((calls["p_target"] - outcome) ** 2))
    clipped = np.clip(calls["p_target"], 0.001, 0.999)
    expected_log = -np.log(clipped if resolved.reached else 1 - clipped).mean()
    assert resolved.log_score == pytest.approx(expected_log)
    inside = (calls["p10"] <= total_2026) & (total_2026 <= calls["p90"])
    assert (calls["inside80"] == inside).all()


def test_a_reconstructed_call_uses_only_the_data_known_then(rolled):
    """The call at 2026-06 does not move when every month after it is doubled."""
    folder, _ = rolled
    inputs = load(folder, target_year=2026)
    target = inputs.settings.target_units
    after = pd.PeriodIndex(inputs.deliveries["month"], freq="M") > pd.Period("2026-06", freq="M")
    doubled = inputs.deliveries.assign(
        deliveries=inputs.deliveries["deliveries"].where(
            ~after, inputs.deliveries["deliveries"] * 2
        )
    )

    def call(deliveries):
        backtest = resolution.backtest_calls(replace(inputs, deliveries=deliveries), (6,))[6]()
        return resolution.reconstructed_call({6: backtest}, "leapmotor", 2026, target, 6)

    now, changed = call(inputs.deliveries), call(doubled)
    assert np.isfinite(now["p_target"]) and now == pytest.approx(changed)


def test_a_complete_target_year_is_answered_by_its_resolution(rolled, open_2027):
    folder, total_2026 = rolled
    inputs = load(folder, target_year=2026)
    assert resolution.year_to_resolve(inputs) == 2026
    assert resolution.year_target(inputs, 2026) == resolution.year_target(open_2027[0], 2026)
    analysis = sales.analyse(inputs)
    resolved = open_2027[1]  # the same year, target and calls
    assert analysis.resolution.year == 2026
    assert analysis.resolution.brier == pytest.approx(resolved.brier)
    answer = sales.text.answer_markdown(analysis)
    assert answer.startswith(f"**2026 is complete: Leapmotor delivered {total_2026:,.0f} vehicles")
    assert "Brier score" in answer
    assert analysis.projection.p_reach_target == float(resolved.reached)
    assert analysis.projection.median == total_2026  # nothing left to simulate
    results.clear()
    resolved.record()
    recorded = {r.name: r.value for r in results.recorded()}
    assert recorded[names.RESOLVED_YEAR] == 2026
    assert recorded[names.RESOLVED_OUTCOME_UNITS] == total_2026
    assert recorded[names.RESOLVED_CALLS] == 12
    assert recorded[names.RESOLVED_BRIER] == pytest.approx(resolved.brier)
    results.clear()


def test_earlier_runs_calls_are_used_where_they_exist(rolled, open_2027, tmp_path):
    """A run made at a month-end of the year recorded its call: it is used, not reconstructed."""
    folder, _ = rolled
    inputs = load(folder, target_year=2026)
    target = resolution.year_target(inputs, 2026)[0]
    made = [str(m) for m in pd.period_range("2025-12", "2026-10", freq="M")]  # not 2026-11
    table = pd.DataFrame(
        [["leapmotor", 2026, target, month, 0.31, 9e5, 1e6, 1.1e6] for month in made]
        + [
            ["nio", 2026, target, "2026-11", 0.99, 1.0, 2.0, 3.0],  # another maker's call
            ["leapmotor", 2026, target + 1, "2026-11", 0.99, 1.0, 2.0, 3.0],  # another target
            ["leapmotor", 2026, target, "2026-11", "high", 1.0, 2.0, 3.0],  # damaged: skipped
            ["leapmotor", 2026, target, "2026-11", 1.5, 1.0, 2.0, 3.0],  # not a probability
            ["leapmotor", 2026, target, "2026-11", 0.5, 3.0, 2.0, 1.0],
        ],  # quantiles reversed
        columns=resolution.CALL_COLUMNS,
    )
    payload = results.record_table(names.TARGET_CALL, table, "units", "test")
    earlier = runs.EarlierRun(
        tmp_path,
        {"run_id": "20260705T060000-base", "status": "ok"},
        {"notebooks": {"01_sales_trajectory": {"results": [payload]}}},
    )
    calls = resolution.calls_over_year(
        "leapmotor", 2026, target, resolution.backtests_for(inputs), [earlier]
    ).set_index("cutoff")
    assert (calls.loc[made, "source"] == "earlier run 20260705T060000-base").all()
    assert (calls.loc[made, "p_target"] == 0.31).all() and (calls.loc[made, "median"] == 1e6).all()
    assert calls.loc["2026-11", "source"] == "reconstructed"
    assert calls.loc["2026-11", "p_target"] == pytest.approx(
        open_2027[1].calls["p_target"].iloc[-1]
    )
    results.clear()


@pytest.mark.notebooks
def test_the_whole_collection_rolls_over_to_2027(rolled, tmp_path):
    folder, total_2026 = rolled
    options = pipeline.RunOptions(
        scenario=str(SMOKE_SCENARIO), data_dir=folder, reports_dir=tmp_path, jobs=2
    )
    assert pipeline.run(options) == pipeline.EXIT_OK
    run_dir = (tmp_path / "latest").resolve()
    assert json.loads((run_dir / "manifest.json").read_text())["data_as_of"] == "2027-01"
    recorded = results.load(run_dir)
    found = {r["name"]: r["value"] for r in recorded["notebooks"]["01_sales_trajectory"]["results"]}
    assert found["target_year"] == 2027 and found["resolved_year"] == 2026
    assert found["resolved_outcome_units"] == total_2026 and found["resolved_calls"] == 12
    report = (run_dir / "01_sales_trajectory.html").read_text()
    assert "No target stated yet for 2027" in report and "2026 is complete" in report


def test_the_frozen_data_still_answer_2026(collection_run):
    found = {
        r["name"]: r["value"]
        for r in results.load(collection_run)["notebooks"]["01_sales_trajectory"]["results"]
    }
    assert found["target_year"] == 2026 and found["resolved_year"] == 2025


@pytest.mark.notebooks
def test_a_target_year_before_the_data_exits_2_naming_it(tmp_path, caplog):
    scenario = tmp_path / "too_early.yaml"
    scenario.write_text("notebooks:\n  01_sales_trajectory:\n    target_year: 2015\n")
    options = pipeline.RunOptions(
        scenario=str(scenario),
        only=("01_sales_trajectory",),
        data_dir=FROZEN_DATA,
        reports_dir=tmp_path / "reports",
    )
    assert pipeline.run(options) == pipeline.EXIT_BAD_INPUT
    assert any(
        "bad parameter in 01_sales_trajectory: target_year 2015 is before the data"
        in r.getMessage()
        for r in caplog.records
    )
    assert not (tmp_path / "reports" / "latest").exists()


def test_a_year_without_a_registry_target_is_judged_against_its_first_initial_target():
    """The targets table (frozen copy): Leapmotor 2025's first initial target is 500,000 (revised
    to 580,000-650,000 later), Xiaomi 2025's 300,000 (revised twice); the revisions do not count."""
    inputs = load(FROZEN_DATA)
    assert resolution.year_target(inputs, 2025) == (500_000.0, "initial")
    assert resolution.year_target(inputs, 2024) == (250_000.0, "initial")
    assert resolution.year_target(inputs, 2026)[1] == "stated"  # the registry's row first
    xiaomi = load(FROZEN_DATA, maker="xiaomi", target_units=400_000)
    assert resolution.year_target(xiaomi, 2025) == (300_000.0, "initial")
    assert resolution.initial_target(None, "xiaomi", 2025) is None
