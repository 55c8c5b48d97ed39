"""The summary reads a run's recorded results: answers, failures in place, changes, history."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import pytest

from lib import summary


def result(name, value, unit, meaning, low=None, high=None):
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "meaning": meaning,
        "low": low,
        "high": high,
    }


def write_run(reports, run_id, *, scenario="base", status="ok", p=0.4, failed=()):
    folder = reports / run_id
    folder.mkdir(parents=True)
    notebooks = {
        "01_sales_trajectory": {
            "status": "ok",
            "results": [
                result(
                    "p_reach_target", p, "probability", "chance of 1,000,000 deliveries in 2026"
                ),
                result(
                    "forecast_median_units",
                    900_000.0,
                    "units",
                    "median 2026 deliveries",
                    800_000.0,
                    1_000_000.0,
                ),
                result("target_units", 1_000_000, "units", "target"),
            ],
        },
        "02_brand_premium": {
            "status": "ok",
            "results": [
                result("focus_premium_pct", -20.0, "pct", "Leapmotor badge vs BYD", -30.0, -10.0),
                result("gap_to_tesla_rmb", -60_000.0, "RMB", "gap to Tesla"),
                dict(
                    result("flagship_gap_brands", None, "brand", "the badge of each gap"),
                    table={"columns": ["brand", "result"], "rows": [["Tesla", "gap_to_tesla_rmb"]]},
                ),
            ],
        },
        "03_price_war_margins": {
            "status": "ok",
            "results": [
                result("gm_at_target_current_pct", 15.0, "pct", "GM at target", 13.0, 17.0),
                result("latest_gross_margin_pct", 14.0, "pct", "latest GM"),
            ],
        },
        "04_globalization_payback": {
            "status": "ok",
            "results": [
                result(
                    "best_strategy", "spain", "strategy", "strategy with the highest median NPV"
                ),
                result(
                    "spain_p_payback_5y", 0.6, "probability", "P(payback within 5 years), Spain"
                ),
            ],
        },
    }
    for name in failed:
        notebooks[name] = {"status": "failed", "results": []}
    (folder / "results.json").write_text(
        json.dumps(
            {
                "run_id": run_id,
                "scenario": scenario,
                "data_as_of": "2026-06",
                "notebooks": notebooks,
            }
        )
    )
    (folder / "manifest.json").write_text(
        json.dumps({"run_id": run_id, "scenario": scenario, "status": status})
    )
    return summary.RunResults(folder, json.loads((folder / "results.json").read_text()))


def test_answers_word_each_question_from_recorded_numbers(tmp_path):
    run = write_run(tmp_path, "20260101T000000-base")
    answers = summary.answers(run)
    assert [a.question.key for a in answers] == ["sales", "premium", "margins", "payback"]
    assert answers[0].headline["value"] == 0.4
    assert "chance of 1,000,000 deliveries in 2026: **40%**" in answers[0].sentence
    assert "median 2026 deliveries: **900,000 units [800,000, 1,000,000]**" in answers[0].sentence
    text = summary.answers_markdown(answers)
    assert (
        "[full report](01_sales_trajectory.html)" in text
        and "[full report](04_globalization_payback.html)" in text
    )


def test_failed_notebook_is_reported_in_its_place(tmp_path):
    run = write_run(tmp_path, "20260101T000000-base", failed=("02_brand_premium",))
    premium = summary.answers(run)[1]
    assert premium.status == "failed" and not premium.available
    assert "failed in this run" in premium.sentence
    assert "**Not available.**" in summary.answers_markdown(summary.answers(run))
    figure = summary.small_multiples(summary.answers(run), run)  # still draws the other panels
    assert len(figure.axes) == 4


def test_the_premium_panel_names_each_gap_by_the_badge_recorded_with_it(tmp_path):
    run = write_run(tmp_path, "20260101T000000-base")
    figure = summary.small_multiples(summary.answers(run), run)
    premium = figure.axes[1]
    assert [t.get_text() for t in premium.get_yticklabels()] == ["Tesla"]  # not "tesla"
    assert "at a glance" in " ".join(figure._suptitle.get_text().split())


def test_no_run_at_all(monkeypatch, tmp_path):
    monkeypatch.setenv("EVR_REPORTS_DIR", str(tmp_path))
    monkeypatch.delenv("EVR_RUN_DIR", raising=False)
    assert summary.find_run() is None
    assert all(a.status == "missing" for a in summary.answers(None))
    with pytest.raises(FileNotFoundError, match="run_dir='nowhere': no results.json"):
        summary.find_run("nowhere")


def test_previous_run_is_the_last_good_one_of_the_same_scenario(tmp_path):
    write_run(tmp_path, "20260101T000000-base", p=0.2)
    write_run(tmp_path, "20260201T000000-base", p=0.3)
    write_run(tmp_path, "20260215T000000-bear", scenario="bear", p=0.05)
    write_run(tmp_path, "20260220T000000-base", status="failed", p=0.9)
    current = write_run(tmp_path, "20260301T000000-base", p=0.45)
    previous = summary.previous_run(current, tmp_path)
    assert previous.run_id == "20260201T000000-base"
    table = summary.changes(current, previous)
    sales = table.iloc[0]
    assert (sales["previous run"], sales["this run"], sales["change"]) == ("30%", "45%", "+0.15")
    assert table.iloc[3]["change"] == "unchanged"


def test_history_reads_one_number_across_runs(tmp_path):
    (tmp_path / "history.csv").write_text(
        "run_id,scenario,data_as_of,finished,notebook,result,value,low,high,unit\n"
        "r2,base,2026-06,t,01_sales_trajectory,p_reach_target,0.5,,,probability\n"
        "r1,base,2026-05,t,01_sales_trajectory,p_reach_target,0.4,,,probability\n"
        "r1,base,2026-05,t,02_brand_premium,focus_premium_pct,-20,,,pct\n"
    )
    past = summary.history("01_sales_trajectory", "p_reach_target", tmp_path)
    assert past["run_id"].tolist() == ["r1", "r2"] and past["value"].tolist() == [0.4, 0.5]
    assert summary.history("01_sales_trajectory", "p_reach_target", tmp_path / "none").empty


def test_status_table(tmp_path):
    run = write_run(tmp_path, "20260101T000000-base", failed=("03_price_war_margins",))
    table = summary.status_table(run)
    assert table.loc["03_price_war_margins", "status"] == "failed"
    assert table.loc["01_sales_trajectory", "results"] == 3


def test_scenarios_side_by_side_and_history(tmp_path):
    write_run(tmp_path, "20260101T000000-base", p=0.2)
    write_run(tmp_path, "20260102T000000-bear", scenario="bear", p=0.05)
    write_run(tmp_path, "20260103T000000-bull", scenario="bull", p=0.7, status="failed")
    current = write_run(tmp_path, "20260104T000000-base", p=0.35)
    table = summary.scenario_comparison(current, tmp_path)
    assert list(table.columns) == [
        "base (2026-06)",
        "bear (2026-06)",
    ]  # the failed bull run is left out
    assert table.iloc[0].tolist() == ["35%", "5%"]
    history = summary.headline_history(current, tmp_path, limit=2)
    assert history.index.tolist() == ["20260104T000000-base", "20260102T000000-bear"]
    assert history.loc["20260104T000000-base", "sales"] == "35%"


def test_each_question_reads_the_headline_its_notebook_declares():
    from lib import paths, scenarios

    for question in summary.QUESTIONS:
        spec = scenarios.inspect(paths.NOTEBOOKS_DIR / f"{question.notebook}.ipynb")
        assert spec.headline == question.headline, question.notebook
