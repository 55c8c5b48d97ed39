"""The research note: verdicts in words, what changed and why, what to watch, the risks."""

from __future__ import annotations

from lib import summary
from lib.sales import names as sales_names
from tests.conftest import SALES_RECORD, result, write_run


def test_verdicts_state_the_number_its_range_and_the_claim(tmp_path):
    run = write_run(tmp_path, "20261001T000000-base")
    sales, premium, margins, payback = summary.verdicts(run)
    assert sales.verdict == "Unlikely: 30% chance that Leapmotor delivers 1,000,000 units in 2026"
    assert (
        "800,000 units to 1,100,000 units" in sales.detail
        and "+10% on the latest 100,000" in sales.detail
    )
    assert "is unlikely on the data so far" in sales.claim
    assert premium.verdict.startswith("Leapmotor's badge lists 20% below BYD's")
    assert "41% chance" in premium.claim
    assert "13.7% (10.0% to 17.1%), thinner than the 15.0%" in margins.verdict
    assert "+200% volume" in margins.detail
    assert "assembling in Spain pays back within the 10-year horizon in 57%" in payback.verdict
    assert "negative in 43%" in payback.detail
    text = summary.verdicts_markdown([sales], run)
    assert "[full report](01_sales_trajectory.html)" in text


def test_the_premium_verdict_reports_the_launch_against_the_estimate(tmp_path):
    run = write_run(tmp_path, "20261001T000000-base")
    run.content["notebooks"]["02_brand_premium"]["results"] += [
        result("launch_price_low_rmb", 219_800.0, "RMB"),
        result("launch_price_high_rmb", 269_800.0, "RMB"),
        result("launch_implied_premium_pct", -35.0, "pct", "", -39.0, -31.0),
        result("launch_in_band_answer", "the D-series does list inside the band", "text"),
    ]
    premium = summary.verdicts(run)[1]
    assert "launched at 219,800 RMB to 269,800 RMB" in premium.detail
    assert (
        "imply -35% against BYD for its specs, against the estimated -20%: priced below"
        in premium.detail
    )
    assert premium.claim.endswith("the D-series does list inside the band.")


def test_a_verdict_without_its_numbers_falls_back_to_the_recorded_meanings(tmp_path):
    run = write_run(tmp_path, "20261001T000000-base")
    entry = run.content["notebooks"]["03_price_war_margins"]
    entry["results"] = [r for r in entry["results"] if r["name"] != "latest_gross_margin_pct"]
    margins = summary.verdicts(run)[2]
    assert margins.verdict == "13.7% [10.0%, 17.1%]" and "gm: **13.7%" in margins.detail
    entry["status"] = "failed"
    assert summary.verdicts(run)[2].verdict == "Not available"


def test_a_change_from_new_data_only_is_attributed_to_the_data(tmp_path):
    previous = write_run(tmp_path, "20260901T000000-base", data="a", p=0.2, as_of="2026-08")
    current = write_run(
        tmp_path, "20261001T000000-base", data="b", p=0.3, reused=("02_brand_premium",)
    )
    table = summary.changes_explained(current, previous).set_index("answer")
    assert table.loc["Sales", "change"] == "+10.0 pp"
    assert table.loc["Sales", "why"] == "all from new data (deliveries_monthly.csv)"
    assert table.loc["Premium", "why"] == "no change"


def test_a_change_from_parameters_only_is_attributed_to_the_assumptions(tmp_path):
    previous = write_run(tmp_path, "20260901T000000-base", p=0.2)
    changed = {"01_sales_trajectory": {"seed": 2}}
    current = write_run(tmp_path, "20261001T000000-base", parameters=changed, p=0.25)
    inputs = summary.changed_inputs(current, previous)
    assert inputs["sales"] == {"data": [], "parameters": ["seed: 1 -> 2"], "code": False}
    table = summary.changes_explained(current, previous).set_index("answer")
    assert table.loc["Sales", "why"] == "all from changed assumptions or code (seed: 1 -> 2)"
    assert table.loc["Margins", "change"] == "unchanged"


def test_what_to_watch_and_the_risks_come_from_the_recorded_numbers(tmp_path):
    run = write_run(tmp_path, "20261001T000000-base")
    watch = summary.watch_list(run)
    assert watch[0].startswith(
        "**Monthly deliveries**: 110,000 a month in each of 2026-10 to 2026-12"
    )
    assert "against 100,000 a month lately (2026-09)" in watch[0]
    assert any("+200% volume" in item and "2025Q4" in item for item in watch)
    assert any("`unit_cost_change_pct`" in item for item in watch)
    found = summary.risks(run)
    assert (
        found[0]
        == "**Volume shortfall**: 70% of simulated paths miss the target; one in ten ends below 800,000 units."
    )
    assert any("loses money in 43%" in item for item in found)
    run.content["notebooks"]["01_sales_trajectory"]["results"] = []  # no numbers: no bullet
    assert not any("Monthly deliveries" in item for item in summary.watch_list(run))


def test_the_sales_verdict_reports_the_track_record_when_recorded(tmp_path):
    run = write_run(tmp_path, "20261001T000000-base")
    assert "Track record" not in summary.verdicts(run)[0].detail
    run.content["notebooks"]["01_sales_trajectory"]["results"].append(
        result(
            "track_inside80_pct",
            90.0,
            "pct",
            "months reported since that fell inside earlier runs' 80% bands (20 months, all makers)",
        )
    )
    detail = summary.verdicts(run)[0].detail
    assert (
        "Track record: 90.0% of the months reported since that fell inside earlier runs' 80% bands (20 months"
        in detail
    )


def another_makers_run(tmp_path, changes: dict[str, list[dict]], drop=()) -> summary.RunResults:
    """A run of NIO whose results.json does not name its maker (as a universe task's does not),
    with results replaced or added by name, and some left out."""
    run = write_run(tmp_path, "20261001T000000-base")
    del run.content["maker"]
    for notebook, rows in run.content["notebooks"].items():
        kept = [r for r in rows["results"] if r["name"] not in drop]
        by_name = {r["name"]: r for r in kept} | {r["name"]: r for r in changes.get(notebook, [])}
        rows["results"] = list(by_name.values())
    return run


def test_the_note_names_the_maker_it_is_given_and_only_its_own_facts(tmp_path):
    no_flagship = result(
        "flagship_series",
        None,
        "series",
        "not applicable: no flagship named in the data for NIO (no band)",
    )
    run = another_makers_run(
        tmp_path,
        {"02_brand_premium": [no_flagship]},
        drop=("flagship_price_rmb", "p_flagship_in_band"),
    )
    items = summary.verdicts(run, "nio")
    text = " ".join(f"{v.verdict} {v.detail} {v.claim}" for v in items)
    text += " ".join(summary.watch_list(run, "nio") + summary.risks(run))
    assert "30% chance that NIO delivers 1,000,000 units in 2026" in text
    assert "NIO's badge lists 20% below BYD's" in text
    assert (
        "Flagship question not applicable: not applicable: no flagship named in the data for NIO"
        not in text
    )
    assert "Flagship question not applicable: no flagship named in the data for NIO" in text
    assert "Leapmotor" not in text and "D19" not in text and "D99" not in text
    assert "seed article" not in text
    assert not any(item.startswith("**Price band**") for item in summary.watch_list(run, "nio"))


def test_zero_width_ranges_are_never_shown_as_intervals(tmp_path):
    flat = result(
        "gm_at_target_cut10_pct",
        8.5,
        "pct",
        "gm; no interval: no learning is applied (no cumulative deliveries)",
        8.5,
        8.5,
        role="headline",
    )
    run = another_makers_run(tmp_path, {"03_price_war_margins": [flat]})
    margins = summary.verdicts(run, "byd")[2]
    assert "8.5% (no range: no learning is applied (no cumulative deliveries)" in margins.verdict
    assert "8.5% to 8.5%" not in margins.verdict + margins.detail + margins.claim
    assert not any("Slow cost learning" in item for item in summary.risks(run))
    from lib import results

    assert results.format_value(flat) == "8.5%"  # no '[8.5%, 8.5%]'


def test_one_scale_of_words_for_every_probability(tmp_path):
    p58 = result(
        "best_p_payback_horizon", 0.58, "probability", "within the 10-year horizon", role="headline"
    )
    run = another_makers_run(tmp_path, {"04_globalization_payback": [p58]})
    payback = summary.verdicts(run, "leapmotor")[3]
    assert payback.verdict.startswith("About as likely as not to pay back")
    assert (
        "About as likely as not (58%)" in payback.claim
        and "more likely than not" not in payback.claim
    )
    from lib import results

    assert [results.likelihood(p) for p in (0.05, 0.2, 0.58, 0.6, 0.99)] == [
        "very unlikely",
        "unlikely",
        "about as likely as not",
        "likely",
        "very likely",
    ]


def test_a_target_that_is_last_years_total_and_a_missing_value_are_worded(tmp_path):
    basis = result("target_stated", 0.0, "yes/no", "1 when ..., 0 when it is not (last year)")
    growth = result(
        "required_growth_pct",
        None,
        "pct",
        "growth over None deliveries that the target needs",
        role="supporting",
    )
    run = another_makers_run(tmp_path, {"01_sales_trajectory": [basis, growth]})
    sales = summary.verdicts(run, "xiaomi")[0]
    assert sales.verdict.startswith(
        "No target stated yet in 2026: 30% chance that Xiaomi beats its 2025 total"
    )
    assert (
        sales.claim
        == "That Xiaomi delivers more in 2026 than in 2025 is unlikely on the data so far."
    )
    answer = summary.answers(run)[0]
    assert "None" not in answer.sentence and "growth over" not in answer.sentence


def test_a_premium_below_its_evidence_floor_is_stated_as_such_not_as_a_number(tmp_path):
    thin = [
        result("focus_premium_pct", None, "pct", "premium", role="headline"),
        result("focus_premium_status", "too little data (1 trims, 1 series)", "text", "floor"),
        result("reference_brand", "BYD", "text", "reference"),
    ]
    run = another_makers_run(tmp_path, {"02_brand_premium": thin})
    premium = summary.verdicts(run, "li_auto")[1]
    assert "too little data (1 trims, 1 series), so no premium is stated" in premium.verdict
    assert "None" not in premium.verdict and "%" not in premium.verdict


PREMIUM_RECORD = [
    result("launch_record_cars", 1316, "count"),
    result("launch_record_series", 198, "count"),
    result("launch_record_mae_pct", 11.4, "pct"),
    result("launch_record_coverage80_pct", 80.0, "pct"),
    result("launch_record_own_cars", 43, "count"),
    result("launch_record_own_mae_pct", 8.2, "pct"),
    result("launch_record_own_coverage80_pct", 93.0, "pct"),
]
MARGINS_RECORD = [
    result("quarter_record_pooled_quarters", 23, "count"),
    result("quarter_record_pooled_mae_pp", 1.47, "pp"),
    result("quarter_record_pooled_coverage80_pct", 73.9, "pct"),
    result("quarter_record_naive_mae_pp", 1.62, "pp"),
    result("quarter_record_quarters", 4, "count"),
    result("quarter_record_mae_pp", 1.61, "pp"),
    result("quarter_record_coverage80_pct", 75.0, "pct"),
]


def test_each_verdict_says_how_good_earlier_answers_were_and_links_to_the_record(tmp_path):
    run = write_run(tmp_path, "20261001T000000-base")
    run.content["notebooks"]["01_sales_trajectory"]["results"] += SALES_RECORD
    run.content["notebooks"]["02_brand_premium"]["results"] += PREMIUM_RECORD
    run.content["notebooks"]["03_price_war_margins"]["results"] += MARGINS_RECORD
    sales, premium, margins, payback = summary.verdicts(run)
    assert sales.record == (
        "on 46 month-end calls on 5 resolved stated targets, this method's Brier score was 0.055 "
        "(base rate 0.258, naive run-rate 0.063; lower is better); makers reached their initial "
        "target in 44% of 9 complete maker-years"
    )
    assert sales.record_href == "01_sales_trajectory.html" + sales_names.RECORD_SECTION
    assert premium.record == (
        "1,316 cars launched since 2024 (198 series), each priced from the trims on sale before "
        "it, were missed by 11.4% at the median and the 80% interval held 80% of guide prices; "
        "the maker's own 43: 8.2%, held 93%"
    )
    assert "on 23 past quarters" in margins.record and "missed by 1.5 pp" in margins.record
    assert "(naive rule: 1.6 pp); the maker's own 4: 1.6 pp, range held 75%" in margins.record
    assert payback.record.startswith("not known yet: no overseas venture has an outcome")
    text = summary.verdicts_markdown([sales, premium, margins, payback], run)
    assert text.count("*How good earlier answers were:*") == 4
    assert f"([the record](01_sales_trajectory.html{sales_names.RECORD_SECTION}))" in text


def test_a_run_that_recorded_no_record_gets_no_record_line(tmp_path):
    run = write_run(tmp_path, "20261001T000000-base")  # an older run: no record results
    sales, _, margins, _ = summary.verdicts(run)
    assert sales.record == "" and margins.record == "" and sales.record_href == ""
    assert "How good earlier answers were" not in summary.verdicts_markdown([sales], run)
