"""`python -m lib check`'s per-maker table (lib.data.coverage): pinned on the frozen data, checked
for invariants on the live data, and built from small frames for the edge cases."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from lib import data, paths
from lib.data import coverage
from tests.conftest import FROZEN_DATA


def frozen_table() -> pd.DataFrame:
    return coverage.coverage_table(
        data.read_dataset(data.MAKERS, FROZEN_DATA),
        data.load_deliveries(FROZEN_DATA),
        data.load_financials(FROZEN_DATA),
        data.load_targets(FROZEN_DATA),
        coverage.load_ventures_if_any(FROZEN_DATA),
    ).set_index("maker")


def test_frozen_table_pins_months_results_targets_and_ventures():
    table = frozen_table()
    assert list(table.index) == list(data.read_dataset(data.MAKERS, FROZEN_DATA)["key"])
    leap = table.loc["leapmotor"]
    assert (leap["months"], leap["share"], leap["latest"]) == ("62/70", "88.6%", "2026-06")
    assert leap["missing"] == "2020-11 2020-12 2021-01 +5 more"
    assert leap["results"] == "2025Q4 company" and leap["targets"] == "2024 2025 2026"
    # A maker behind the newest month counts its missing latest months.
    li = table.loc["li_auto"]
    assert li["months"] == "67/71" and li["missing"] == "2020-12 2026-04 2026-05 +1 more"
    assert table.loc["xiaomi", "results"] == "2025Q3 vehicle"  # a segment's vehicle figures only
    assert table.loc["xpeng", "results"] == "2026Q1 company+vehicle"
    assert table.loc["aito_hima", "results"] == "no company"
    assert table.loc["byd", "targets"] == "none" and table.loc["nio", "targets"] == "2026"
    # Ventures: distinct (maker, venture) pairs of the frozen ventures table, 0 without rows.
    path = FROZEN_DATA / "ventures.csv"
    raw = pd.read_csv(path, usecols=["maker", "venture"]) if path.exists() else None
    counts = raw.drop_duplicates()["maker"].value_counts() if raw is not None else {}
    assert table["ventures"].to_dict() == {key: counts.get(key, 0) for key in table.index}


def test_frozen_text_table_has_one_aligned_line_per_maker():
    text = coverage.format_table(frozen_table().reset_index())
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["maker", "months", "share"]
    assert len(lines) == 1 + 8
    assert lines[3].startswith("leapmotor    62/70   88.6%  2026-06")
    start = lines[0].index("latest results")
    assert lines[3][start:].startswith("2025Q4 company")


def test_check_command_prints_the_table_and_exits_0_on_frozen_data():
    result = subprocess.run(
        [sys.executable, "-m", "lib", "check", "--data-dir", str(FROZEN_DATA)],
        cwd=paths.PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "deliveries to 2026-06." in result.stdout
    assert any(
        line.split()[:4] == ["xpeng", "66/70", "94.3%", "2026-03"]
        for line in result.stdout.splitlines()
    )


def test_live_table_holds_for_any_valid_data():
    deliveries = data.load_deliveries()
    makers = data.read_dataset(data.MAKERS)
    table = coverage.coverage_table(
        makers,
        deliveries,
        data.load_financials(),
        data.load_targets(),
        coverage.load_ventures_if_any(),
    )
    assert list(table["maker"]) == list(makers["key"])
    months = coverage.month_coverage(deliveries)
    assert (months["present"] <= months["expected"]).all()
    assert (months["present"] == months["expected"] - months["missing"].map(len)).all()
    assert (months["latest"] <= deliveries["month"].max()).all()
    shares = table["share_pct"].dropna()
    assert ((shares > 0) & (shares <= 100)).all()
    assert (table["ventures"] >= 0).all()


def test_latest_results_skip_unusable_and_cumulative_rows_and_prefer_quarters():
    financials = pd.DataFrame(
        {
            "company": ["A", "A", "A", "A", "B", "B"],
            "period": ["2025Q4", "2025FY", "2026Q1", "2026Q1-Q3", "2026H1", "2026Q2"],
            "metric": [
                "revenue",
                "gross_margin_pct",
                "revenue",
                "revenue",
                "revenue",
                "vehicle_margin_pct",
            ],
            "note": ["", "", "UNCERTAIN: second-hand", "", "", ""],
        }
    )
    financials["flag"] = financials["note"].map(data._financial_flag)
    financials["period_kind"] = financials["period"].map(data._period_kind)
    financials["period_end"] = financials["period"].map(data._period_end)
    results = coverage.latest_results(financials).set_index("company")
    # A: the 2026 rows are uncertain or cumulative; 2025Q4 beats 2025FY at the same end.
    assert results.loc["A", "period"] == "2025Q4" and results.loc["A", "basis"] == "company"
    assert results.loc["B", "period"] == "2026Q2" and results.loc["B", "basis"] == "vehicle"


def test_a_registry_maker_without_series_or_results_says_so():
    makers = pd.DataFrame({"key": ["a", "b"], "company": ["A", ""]})
    deliveries = pd.DataFrame(
        {"brand": ["a", "a"], "month": pd.PeriodIndex(["2026-01", "2026-03"], freq="M")}
    )
    empty = pd.DataFrame(columns=["company", "period", "metric", "flag", "period_kind"])
    empty["period_end"] = pd.PeriodIndex([], freq="M")
    targets = pd.DataFrame({"maker": ["a", "a"], "year": [2026, 2025]})
    ventures = pd.DataFrame({"maker": ["b", "b", "b"], "venture": ["x", "x", "y"]})
    table = coverage.coverage_table(makers, deliveries, empty, targets, ventures).set_index("maker")
    assert table.loc["a", "months"] == "2/3" and table.loc["a", "missing"] == "2026-02"
    assert table.loc["a", "results"] == "none" and table.loc["a", "targets"] == "2025 2026"
    assert table.loc["b", "share"] == "no series" and table.loc["b", "results"] == "no company"
    assert table.loc["b", "ventures"] == 2 and table.loc["a", "ventures"] == 0
