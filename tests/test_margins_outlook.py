"""lib.margins.outlook: the next quarter's gross margin, its backtest and earlier calls scored.

Synthetic quarters drawn from a known model with a known noise level (the backtest must recover
both the error and the 80% coverage), no look-ahead on a copy of the frozen data, earlier runs'
calls (damaged rows skipped), the volume of a quarter in progress, and the numbers of the frozen
data pinned."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lib import margins, paths, results, runs
from lib.margins import names, outlook
from lib.margins.panel import Panel
from lib.margins.params import NOTEBOOK
from tests.conftest import FROZEN_DATA, write_run

# The synthetic truth: change of ln(1 - m) per quarter.
TRUTH = {"const": -0.004, "learning": -0.06, "scale": -0.04, "price_cuts": 0.015}
NOISE = 0.02  # s.d. of the step's error, log points
CUT_QUARTERS = ("2020Q2", "2021Q3", "2022Q1", "2023Q4", "2024Q2")


def _events(quarters=CUT_QUARTERS) -> pd.DataFrame:
    dates = [pd.Period(q, freq="Q").start_time + pd.Timedelta(days=20) for q in quarters]
    return pd.DataFrame({"date": pd.to_datetime(dates), "kind": "price cut"})


def synthetic_panel(rng, company: str, quarters: int = 24, start: str = "2019Q1") -> tuple:
    """A company's quarters drawn from TRUTH with NOISE: (Panel, the step errors by quarter)."""
    index = pd.period_range(start, periods=quarters, freq="Q", name="quarter")
    units = np.exp(np.log(20_000 * rng.uniform(1, 5)) + np.cumsum(rng.normal(0.05, 0.3, quarters)))
    cum_end = 40_000 + np.cumsum(units)
    cum_mid = cum_end - units / 2
    cuts = outlook.price_cut_rounds(_events(), index)
    errors = rng.normal(0, NOISE, quarters)
    steps = (
        TRUTH["const"]
        + TRUTH["learning"] * np.diff(np.log(cum_mid), prepend=np.nan)
        + TRUTH["scale"] * np.diff(np.log(units), prepend=np.nan)
        + TRUTH["price_cuts"] * cuts
        + errors
    )
    steps[0] = 0.0
    margin = 100 * (1 - np.exp(np.log(1 - rng.uniform(0.05, 0.2)) + np.cumsum(steps)))
    table = pd.DataFrame(
        {
            "revenue": units * 0.2,
            "deliveries": units,
            "gross_margin_pct": margin,
            "cum_deliveries": cum_end,
            "cum_deliveries_mid": cum_mid,
        },
        index=index,
    )
    for column in ("revenue", "deliveries", "gross_margin_pct"):
        table[f"{column}_flag"] = "stated"
    return Panel(company, "RMB", "total", table, 2019), pd.Series(errors, index=index)


@pytest.fixture(scope="module")
def synthetic():
    rng = np.random.default_rng(20261)
    drawn = {f"company {k}": synthetic_panel(rng, f"company {k}") for k in range(8)}
    panels = {name: panel for name, (panel, _) in drawn.items()}
    steps = outlook.all_steps(panels, _events())
    return panels, outlook.backtest(steps), {name: e for name, (_, e) in drawn.items()}


def test_the_pooled_regression_recovers_the_truth(synthetic):
    panels, _, _ = synthetic
    steps = outlook.all_steps(panels, _events())
    fit = outlook.fit_steps(steps[steps["has_step"]])
    for term, truth in TRUTH.items():
        assert abs(fit.coefficients[term] - truth) < 3 * fit.standard_errors[term], term
    assert fit.standard_errors["scale"] < 0.01  # the scale effect is measured, not guessed


def test_the_backtest_recovers_the_error_level_and_80pct_coverage(synthetic):
    _, past, errors = synthetic
    scored = past[past["skipped"] == ""]
    assert len(scored) > 100
    # What a forecaster knowing the truth would have missed by: the noise alone, in pp.
    noise = [errors[c].loc[q] for c, q in zip(scored["company"], scored["quarter"], strict=True)]
    oracle = np.mean(100 * (1 - scored["margin_pct"] / 100) * np.abs(np.expm1(-np.array(noise))))
    mae = scored["expected_error_pp"].abs().mean()
    assert 0.9 * oracle < mae < 1.2 * oracle  # the estimation error adds a little
    coverage = scored["expected_inside80"].astype(float).mean()
    assert 0.72 <= coverage <= 0.88  # 80% within two binomial s.e. of ~140 quarters
    record = outlook.score(scored, "expected_pct")
    naive = outlook.score(scored, "last_quarter_pct")
    assert record.mae_pp < naive.mae_pp and record.interval_score_pp < naive.interval_score_pp


def test_quarters_without_enough_history_are_counted_and_skipped(synthetic):
    _, past, _ = synthetic
    one = past[past["company"] == "company 0"].set_index("quarter")["skipped"]
    assert one.iloc[0] == outlook.NO_STEP
    assert (one.iloc[1 : outlook.MIN_HISTORY] == outlook.SHORT_HISTORY).all()
    assert one.iloc[outlook.MIN_HISTORY] in ("", outlook.FEW_ERRORS, outlook.FEW_STEPS)
    assert (one.iloc[-10:] == "").all()


def test_the_interval_score_is_the_width_plus_ten_times_the_miss():
    scores = outlook.interval_score([5.0, 1.0, 12.0], [2.0, 2.0, 2.0], [10.0, 10.0, 10.0])
    assert list(scores) == pytest.approx([8.0, 8.0 + 10.0, 8.0 + 20.0])


# ---------------------------------------------------------------------------------------------
# The frozen data


@pytest.fixture(scope="module")
def leapmotor() -> margins.Analysis:
    return margins.analyse(margins.load(margins.Params(maker="leapmotor"), FROZEN_DATA))


def test_pinned_numbers_on_the_frozen_data(leapmotor):
    found = leapmotor.outlook
    call = found.call
    assert str(call.quarter) == "2026Q1" and str(call.last_quarter) == "2025Q4"
    assert (call.expected_pct, call.low_pct, call.high_pct) == pytest.approx(
        (13.50, 10.26, 15.56), abs=0.005
    )
    # The frozen data hold January and February 2026: March at their average.
    assert call.volume.months_reported == 2 and call.volume.units == pytest.approx(90_189)
    own, pooled = found.own_record["expected_pct"], found.pooled_record["expected_pct"]
    assert (own.quarters, round(own.mae_pp, 2), own.coverage80_pct) == (4, 1.61, 75.0)
    assert (pooled.quarters, round(pooled.mae_pp, 2)) == (21, 1.42)
    assert pooled.coverage80_pct == pytest.approx(100 * 15 / 21)
    assert found.best_naive.key == "last_quarter_pct"
    assert found.best_naive.mae_pp == pytest.approx(1.695, abs=0.0005)
    assert found.skipped.sum() == 9 and found.earlier.empty


def test_the_call_is_recorded_with_its_range_and_table(leapmotor):
    leapmotor.record()
    found = {r.name: r for r in results.recorded()}
    call = leapmotor.outlook.call
    outlook_result = found[names.QUARTER_OUTLOOK_GM_PCT]
    assert outlook_result.value == pytest.approx(call.expected_pct)
    assert (outlook_result.low, outlook_result.high) == (call.low_pct, call.high_pct)
    assert found[names.QUARTER_OUTLOOK_LOW_PCT].value == call.low_pct
    assert found[names.QUARTER_OUTLOOK_PERIOD].value == "2026Q1"
    assert found[names.QUARTER_RECORD_QUARTERS].value == 4
    assert found[names.QUARTER_RECORD_POOLED_QUARTERS].value == 21
    assert "last quarter's margin" in found[names.QUARTER_RECORD_NAIVE_MAE_PP].meaning
    assert found[names.QUARTER_CALLS_SCORED].value == 0
    table = results.table_frame(results.recorded_tables()[names.QUARTER_CALL])
    assert table.to_dict("records") == [
        {
            "maker": "leapmotor",
            "quarter": "2026Q1",
            "expected": call.expected_pct,
            "low": call.low_pct,
            "high": call.high_pct,
            "data_to": "2026-06",
        }
    ]


def test_the_sentence_quotes_the_recorded_numbers(leapmotor):
    text = margins.text.quarter_outlook(leapmotor)
    assert text.startswith(
        "Next quarter (2026Q1): Leapmotor's gross margin expected **13.5%** (80% range 10.3-15.6%)"
    )
    assert "on 21 past quarters of 5 companies" in text and "the error was 1.4 pp" in text
    assert "held 71% of them (naive last-quarter rule: 1.7 pp)" in text
    assert "2 months reported, the rest at their average" in margins.text.quarter_model(leapmotor)


def test_the_chart_ends_with_the_next_quarter(leapmotor):
    figure = margins.charts.quarter_outlook_chart(leapmotor)
    title = figure.axes[0].get_title()
    assert "in 2026Q1: expected 13.5% (80% range 10.3-15.6%)" in title
    assert "held 3 of its 4 past quarters" in title


def test_a_maker_with_too_few_quarters_records_no_data_and_why():
    xiaomi = margins.analyse(margins.load(margins.Params(maker="xiaomi"), FROZEN_DATA))
    assert xiaomi.outlook.call is None
    xiaomi.record()
    found = {r.name: r for r in results.recorded()}
    for name in (
        names.QUARTER_OUTLOOK_GM_PCT,
        names.QUARTER_OUTLOOK_LOW_PCT,
        names.QUARTER_OUTLOOK_HIGH_PCT,
        names.QUARTER_RECORD_MAE_PP,
    ):
        assert found[name].value == "no data" and found[name].low is None, name
    assert (
        "4 reported quarters, an expectation needs 6" in found[names.QUARTER_OUTLOOK_GM_PCT].meaning
    )
    assert found[names.QUARTER_RECORD_QUARTERS].value == 0
    assert names.QUARTER_CALL not in results.recorded_tables()
    assert "No expectation for Xiaomi's next quarter" in margins.text.quarter_outlook(xiaomi)


def test_a_later_quarter_changes_no_earlier_prediction(data_copy):
    """Rewrite Leapmotor's 2025Q4 margin: every prediction and range before 2025Q4 stays."""
    before = margins.load(margins.Params(), data_copy)
    path = data_copy / "financials_quarterly.csv"
    lines = path.read_text().splitlines(keepends=True)
    target = [
        i for i, line in enumerate(lines) if line.startswith("Leapmotor,2025Q4,gross_margin_pct,")
    ]
    assert len(target) == 1
    cells = lines[target[0]].split(",")
    cells[3] = "30.0"
    lines[target[0]] = ",".join(cells)
    path.write_text("".join(lines))
    after = margins.load(margins.Params(), data_copy)
    old, new = (outlook.quarter_outlook(i) for i in (before, after))
    columns = ["expected_pct", "expected_low_pct", "expected_high_pct", "skipped"]
    earlier = old.past["quarter"] < pd.Period("2025Q4", freq="Q")
    pd.testing.assert_frame_equal(old.past.loc[earlier, columns], new.past.loc[earlier, columns])
    changed = new.past.set_index(["company", "quarter"])
    assert changed.loc[("Leapmotor", pd.Period("2025Q4", freq="Q")), "margin_pct"] == 30.0
    assert new.call.last_margin_pct == 30.0 and new.call.expected_pct > old.call.expected_pct + 10


# ---------------------------------------------------------------------------------------------
# Earlier runs' calls


def _run(tmp_path, run_id: str, rows: list[list]) -> runs.EarlierRun:
    payload = results.record_table(
        names.QUARTER_CALL, pd.DataFrame(rows, columns=outlook.CALL_COLUMNS), "pct", "test"
    )
    return runs.EarlierRun(
        tmp_path,
        {"run_id": run_id, "status": "ok"},
        {"notebooks": {NOTEBOOK: {"results": [payload]}}},
    )


def test_earlier_calls_on_reported_quarters_are_scored_and_damaged_rows_skipped(
    leapmotor, tmp_path
):
    panel = leapmotor.inputs.panel  # 2025Q3: 14.5%, 2025Q4: 15.0%; 2026Q1 not reported
    first = _run(
        tmp_path,
        "20251205T060000-base",
        [
            ["leapmotor", "2025Q4", 13.0, 11.0, 16.0, "2025-11"],  # replaced by the later run
            ["leapmotor", "2025Q3", 12.0, 10.0, 14.0, "2025-09"],  # missed: 14.5 above 14.0
        ],
    )
    second = _run(
        tmp_path,
        "20260105T060000-base",
        [
            ["leapmotor", "2025Q4", 14.0, 12.0, 16.0, "2025-11"],
            ["leapmotor", "2025Q4", 16.0, 12.0, 14.0, "2025-12"],  # low above expected: damaged
            ["leapmotor", "2025Q4", "n/a", 12.0, 16.0, "2025-10"],  # not a number: damaged
            ["leapmotor", "20x5Q4", 14.0, 12.0, 16.0, "2025-10"],  # not a quarter: damaged
            ["leapmotor", "2025Q4", 14.0, 12.0, 16.0, "sometime"],  # no data month: damaged
            ["nio", "2025Q4", 14.0, 12.0, 16.0, "2025-11"],  # another maker
            ["leapmotor", "2026Q1", 14.0, 12.0, 16.0, "2026-03"],  # not reported yet
        ],
    )
    no_results = runs.EarlierRun(tmp_path, {"run_id": "20260205T060000-base", "status": "ok"}, None)
    wrong_columns = runs.EarlierRun(
        tmp_path,
        {"run_id": "20260305T060000-base", "status": "ok"},
        {
            "notebooks": {
                NOTEBOOK: {
                    "results": [
                        {
                            "name": names.QUARTER_CALL,
                            "value": None,
                            "unit": "pct",
                            "meaning": "",
                            "table": {
                                "columns": ["maker", "quarter"],
                                "rows": [["leapmotor", "2025Q4"]],
                            },
                        }
                    ]
                }
            }
        },
    )
    calls = outlook.earlier_calls([first, second, no_results, wrong_columns], "leapmotor", panel)
    assert list(calls["quarter"]) == ["2025Q3", "2025Q4"]
    q3, q4 = calls.to_dict("records")
    assert q3["run_id"] == "20251205T060000-base" and not q3["inside80"]
    assert q3["error_pp"] == pytest.approx(14.5 - 12.0)
    assert q4["run_id"] == "20260105T060000-base" and q4["inside80"]
    assert (q4["expected"], q4["actual"], q4["error_pp"]) == pytest.approx((14.0, 15.0, 1.0))


# ---------------------------------------------------------------------------------------------
# The quarter's volume


def _months(values: dict[str, float]) -> pd.Series:
    index = pd.PeriodIndex(list(values), freq="M")
    return pd.Series(list(values.values()), index=index, dtype=float)


def test_a_quarter_in_progress_is_extrapolated_with_the_spread_of_that_rule():
    history = {f"2024-{m:02d}": 100.0 + 10 * ((m - 1) % 3) for m in range(1, 13)}  # 100, 110, 120
    months = _months({**history, "2025-01": 200.0})
    found = outlook.extrapolated_volume(months, pd.Period("2025Q1", freq="Q"))
    assert found.months_reported == 1 and found.units == 600.0
    # Each past quarter: 330 against 3 x its first month 300.
    assert found.spread == pytest.approx((np.log(1.1), np.log(1.1)))
    two = outlook.extrapolated_volume(
        _months({**history, "2025-01": 200.0, "2025-02": 220.0}), pd.Period("2025Q1", freq="Q")
    )
    assert two.units == pytest.approx(630.0) and two.spread == pytest.approx(
        (np.log(330 / 315),) * 2
    )
    full = _months({**history, "2025-01": 1.0, "2025-02": 2.0, "2025-03": 3.0})
    assert outlook.extrapolated_volume(full, pd.Period("2025Q1", freq="Q")).units == 6.0
    assert outlook.extrapolated_volume(months, pd.Period("2025Q2", freq="Q")) is None
    short = _months({"2024-10": 1.0, "2024-11": 1.0, "2024-12": 1.0, "2025-01": 1.0})
    assert outlook.extrapolated_volume(short, pd.Period("2025Q1", freq="Q")) is None


def test_the_financials_come_first_then_the_months_then_the_last_quarter_held(synthetic):
    panels, _, _ = synthetic
    panel = panels["company 0"]
    steps = outlook.all_steps({"company 0": panel}, _events())
    last = panel.table.index.max()
    in_financials = outlook.quarter_volume(panel, None, steps, last)
    assert in_financials.units == panel.table.loc[last, "deliveries"]
    months = _months({"2025-01": 10.0, "2025-02": 20.0, "2025-03": 30.0})
    assert outlook.quarter_volume(panel, months, steps, last + 1).units == 60.0
    held = outlook.quarter_volume(panel, None, steps, last + 1)
    assert held.months_reported == 0 and held.units == panel.table.loc[last, "deliveries"]
    low, high = np.quantile(steps["scale"].dropna(), outlook.QUANTILES)
    assert held.spread == pytest.approx((low, high))


def test_an_uncertain_volume_widens_the_range(leapmotor):
    """The frozen data's 2026Q1 (two months) against the same data with March reported."""
    inputs = leapmotor.inputs
    steps = outlook.all_steps(inputs.panels, inputs.all_events)
    past = outlook.backtest(steps)
    partial = outlook.next_quarter(inputs.panel, inputs.months, steps, past, inputs.all_events)
    months = pd.concat(
        [
            inputs.months,
            pd.Series([partial.volume.units / 3], index=pd.PeriodIndex(["2026-03"], freq="M")),
        ]
    )
    complete = outlook.next_quarter(inputs.panel, months, steps, past, inputs.all_events)
    assert complete.volume.months_reported == 3
    assert complete.expected_pct == pytest.approx(partial.expected_pct)
    assert complete.high_pct - complete.low_pct < partial.high_pct - partial.low_pct


def test_a_later_run_scores_the_call_an_earlier_run_recorded(tmp_path, monkeypatch):
    """An earlier run's results.json in the reports folder, calling 2025Q4 on data to 2025-11:
    the next load reads it (lib.runs.finished) and the analysis scores it against 15.0%."""
    reports = tmp_path / "reports"
    write_run(reports, "20251205T060000-base")
    path = reports / "20251205T060000-base" / "results.json"
    content = json.loads(path.read_text())
    call = pd.DataFrame(
        [["leapmotor", "2025Q4", 14.2, 11.0, 16.5, "2025-11"]], columns=outlook.CALL_COLUMNS
    )
    payload = results.record_table(names.QUARTER_CALL, call, "pct", "the call of that run")
    content["notebooks"][NOTEBOOK]["results"].append(payload)
    path.write_text(json.dumps(content))
    results.clear()
    monkeypatch.setenv(paths.REPORTS_DIR_ENV, str(reports))
    later = margins.analyse(margins.load(margins.Params(), FROZEN_DATA))
    scored = later.outlook.earlier.to_dict("records")
    assert len(scored) == 1 and scored[0]["run_id"] == "20251205T060000-base"
    assert scored[0]["error_pp"] == pytest.approx(0.8) and scored[0]["inside80"]
    later.record()
    assert {r.name: r.value for r in results.recorded()}[names.QUARTER_CALLS_SCORED] == 1
    assert "1 call(s) of earlier runs" in margins.text.earlier_calls(later)


def test_the_model_table_gives_each_term_with_its_interval_and_effect(leapmotor):
    table = margins.tables.quarter_model(leapmotor).data.set_index("term")
    call = leapmotor.outlook.call
    assert len(table) == 4
    assert (table["95% low"] < table["coefficient"]).all()
    assert (table["coefficient"] < table["95% high"]).all()
    scale = table.loc[outlook.TERM_LABELS["scale"]]
    assert scale["95% high"] < 0  # more vehicles in a quarter: a lower cost ratio
    # Each effect is the point less the point without that term.
    drivers = call.drivers.copy()
    drivers["scale"] = 0.0
    without = outlook.margin_after(call.last_margin_pct, call.fit.change(drivers.to_frame().T))
    assert scale["effect on the expectation (pp)"] == pytest.approx(
        call.expected_pct - float(without[0])
    )
