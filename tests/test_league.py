"""The league table of the universe page, from recorded results only."""

from __future__ import annotations

import matplotlib

from lib import league, makers
from tests.conftest import SALES_RECORD

matplotlib.use("Agg")


def result(name, value, unit, low=None, high=None):
    return {"name": name, "value": value, "unit": unit, "meaning": name, "low": low, "high": high}


def content(p=0.4, premium=-20.0, margins_status="ok", note=None):
    return {
        "notebooks": {
            "01_sales_trajectory": {
                "status": "ok",
                "results": [
                    result("p_reach_target", p, "probability"),
                    result("forecast_median_units", 900_000, "units", 800_000, 1_100_000),
                ],
            },
            "02_brand_premium": {
                "status": "ok",
                "results": [result("focus_premium_pct", premium, "pct", premium - 5, premium + 5)],
            },
            "03_price_war_margins": {
                "status": margins_status,
                "note": note,
                "results": []
                if margins_status != "ok"
                else [
                    result("latest_gross_margin_pct", 15.0, "pct"),
                    result("gm_at_target_cut10_pct", 13.7, "pct", 10.0, 17.1),
                ],
            },
            "04_globalization_payback": {"status": "failed", "results": []},
        }
    }


def registry():
    def maker(key, target_row):
        return makers.Maker(key, key.upper(), None, (), None, None, target_row, "https://x.org", "")

    return {"a": maker("a", "a_target_2026_units"), "b": maker("b", None)}


def test_cells_carry_the_number_its_text_and_the_report_it_comes_from():
    rows = league.league_table({"a": content(), "b": content(premium=10.0)}, registry())
    a = {k: c for k, c in rows[0].cells.items()}
    assert a["p_target"].text == "40%" and a["p_target"].value == 0.4
    assert a["p_target"].href == "a/01_sales_trajectory.html"
    assert a["forecast"].text == "900,000 units [800,000, 1,100,000]"
    assert a["gm_cut10"].text == "13.7% [10.0%, 17.1%]" and a["gm_cut10"].value == 13.7
    assert a["payback"].text == "failed" and a["payback"].value is None


def test_no_target_stated_and_no_data_say_why():
    rows = league.league_table(
        {"a": content(), "b": content(margins_status="no_data", note="B reports no margin")},
        registry(),
    )
    b = rows[1].cells
    assert b["p_target"].text == "no target stated" and b["p_target"].value is None
    assert b["gm_latest"].text == "no data" and b["gm_latest"].note == "B reports no margin"


def test_sorting_puts_the_largest_first_and_makers_without_a_number_last():
    rows = league.league_table(
        {"a": content(premium=-20.0), "b": content(premium=10.0)}, registry()
    )
    assert [r.maker for r in league.sorted_rows(rows, "premium")] == ["b", "a"]
    assert [r.maker for r in league.sorted_rows(rows, "p_target")] == ["a", "b"]  # b: none
    assert [r.maker for r in league.sorted_rows(rows, "maker")] == ["a", "b"]


def test_the_chart_title_states_the_finding():
    made = {"a": content(p=0.4, premium=-20.0), "b": content(premium=10.0)}
    figure = league.league_chart(league.league_table(made, registry()), made)
    title = " ".join(figure._suptitle.get_text().split())  # wrapped to the chart width
    assert "A is the likeliest to reach its own target (40%)" in title
    assert "B's badge carries the highest premium (10.0%" in title


def test_the_latest_margin_names_its_quarter_and_no_target_gives_the_reports_chance():
    recorded = content()
    recorded["notebooks"]["03_price_war_margins"]["results"].append(
        result("latest_period", "2025Q3", "quarter")
    )
    recorded["notebooks"]["01_sales_trajectory"]["results"].append(
        result("target_year", 2026, "year")
    )
    rows = league.league_table({"a": content(), "b": recorded}, registry())
    a, b = rows[0].cells, rows[1].cells
    assert a["gm_latest"].text == "15.0%"  # no quarter recorded: none shown
    assert b["gm_latest"].text == "15.0% (2025Q3)" and b["gm_latest"].value == 15.0
    assert b["gm_latest"].note == "latest_gross_margin_pct"  # the recorded meaning: its basis
    assert b["p_target"].text == "no target stated; 40% to beat its 2025 total"
    assert b["p_target"].value is None  # not sorted with makers' own targets


def test_a_result_below_its_evidence_floor_shows_the_verdict_not_a_number():
    thin = content()
    thin["notebooks"]["02_brand_premium"]["results"] = [
        result("focus_premium_pct", None, "pct"),
        result("focus_premium_status", "too little data (3 trims, 1 series)", "text"),
    ]
    thin["notebooks"]["03_price_war_margins"]["results"] = [
        result("gm_at_target_cut10_pct", "too little data (2 quarters)", "text")
    ]
    rows = league.league_table({"a": thin, "b": content(premium=10.0)}, registry())
    premium, cut10 = rows[0].cells["premium"], rows[0].cells["gm_cut10"]
    assert premium.text == "too little data (3 trims, 1 series)" and premium.value is None
    assert cut10.text == "too little data (2 quarters)" and cut10.value is None
    assert [r.maker for r in league.sorted_rows(rows, "premium")] == ["b", "a"]  # no number: last


def test_the_latest_margin_names_its_basis_beside_its_quarter():
    labelled = content()
    labelled["notebooks"]["03_price_war_margins"]["results"] += [
        result("latest_period", "2026Q2", "quarter"),
        result("margin_basis", "segment gross margin (EV segment)", "text"),
    ]
    (row,) = league.league_table({"a": labelled}, registry())
    assert row.cells["gm_latest"].text == "15.0% (2026Q2; segment gross margin (EV segment))"


def test_a_long_margin_basis_shows_its_first_part_and_the_whole_on_hover():
    labelled = content()
    basis = "company gross margin of Tesla, USD; these financials count 1,636,129 deliveries"
    labelled["notebooks"]["03_price_war_margins"]["results"] += [
        result("latest_period", "2025Q4", "quarter"),
        result("margin_basis", basis, "text"),
    ]
    (row,) = league.league_table({"a": labelled}, registry())
    assert row.cells["gm_latest"].text == "15.0% (2025Q4; company gross margin of Tesla, USD)"
    assert row.cells["gm_latest"].note == basis


def test_the_universe_page_says_per_question_how_good_earlier_answers_were():
    recorded = content()
    recorded["notebooks"]["01_sales_trajectory"]["results"] += SALES_RECORD
    ran = content()
    ran["notebooks"]["04_globalization_payback"]["status"] = "ok"
    lines = league.record_lines({"aito": content(), "byd": ran, "nio": recorded})
    assert [line.question.split(":")[0] for line in lines] == [
        q.question.split(":")[0] for q in league.QUESTIONS
    ]
    sales, premium, margins, payback = lines
    assert sales.text.startswith("on 46 month-end calls on 5 resolved stated targets")
    assert sales.href.startswith("nio/01_sales_trajectory.html#The-target-record")
    assert margins.text == "no record in this run" and margins.href is None
    # aito's payback report failed: no section to link to, so byd's is the one linked
    assert payback.text.startswith("not known yet") and payback.href.startswith("byd/04_")
