"""lib.margins.panel: rows chosen deterministically, quarters filled, flags respected."""

from __future__ import annotations

import pandas as pd
import pytest

from lib import data
from lib.margins import panel
from tests.conftest import FROZEN_DATA


@pytest.fixture(scope="module")
def financials() -> pd.DataFrame:
    return data.load_financials(FROZEN_DATA)


@pytest.fixture(scope="module")
def leapmotor(financials) -> panel.Panel:
    return panel.quarterly_panel(financials, "Leapmotor")


def test_panels_keep_each_company_in_its_own_currency(financials, leapmotor):
    tesla = panel.quarterly_panel(financials, "Tesla")
    assert tesla.currency == "USD"
    assert leapmotor.currency == "RMB"
    # Tesla revenue is USD millions: revenue per vehicle is tens of thousands of dollars.
    assert 40_000 < tesla.table.loc[pd.Period("2025Q4", "Q"), "revenue_per_vehicle"] < 70_000
    q = pd.Period("2025Q4", "Q")
    assert leapmotor.table.loc[q, "revenue_per_vehicle"] == pytest.approx(21030e6 / 201039)


def test_xiaomi_uses_the_vehicle_margin_basis(financials):
    xiaomi = panel.quarterly_panel(financials, "Xiaomi EV")
    assert xiaomi.basis == "vehicle"
    assert xiaomi.table.loc[pd.Period("2025Q3", "Q"), "gross_margin_pct"] == pytest.approx(25.5)


def test_duplicates_are_resolved_deterministically(financials):
    shuffled = financials.sample(frac=1.0, random_state=3)
    for frame in (financials, shuffled):
        picked = panel.pick_rows(frame)
        picked = picked[picked["picked"] & (picked["company"] == "Leapmotor")].set_index(
            ["period", "metric"]
        )["value"]
        assert picked[("2022FY", "revenue")] == 12385.0  # the precise of three stated figures
        assert picked[("2023Q4", "deliveries")] == 55328.0  # exact derived beats "rounded"
        assert picked[("2021FY", "net_income")] == -2846.0  # stated beats "approx"
        assert picked[("2025Q4", "revenue")] == 21030.0  # derived beats an estimate
    counts = panel.pick_rows(financials).groupby(["company", "period", "metric"])["picked"].sum()
    assert (counts == 1).all()


def test_the_trust_ranking_is_the_one_in_lib_data():
    assert list(panel.FLAG_RANK) == list(data.FLAG_ORDER)
    assert {"uncertain", "unverified", "forecast"} == panel.EXCLUDED_FLAGS
    assert panel._worse("stated", "estimate", "derived") == "estimate"


def test_duplicate_choices_show_the_kept_row_first(financials):
    table = panel.duplicate_choices(financials, "Leapmotor")
    first = table[(table["period"] == "2022FY") & (table["metric"] == "revenue")].iloc[0]
    assert first["picked"] and first["value"] == 12385.0


def test_fill_quarters_solves_missing_quarters_and_flags_them():
    filled = panel.fill_quarters(
        {
            "2025Q1": (10.0, "stated"),
            "2025H1": (25.0, "stated"),
            "2025Q1-Q3": (45.0, "estimate"),
            "2025FY": (70.0, "stated"),
        }
    )
    values = {str(q): v for q, v in filled.items()}
    assert values == {
        "2025Q1": (10.0, "stated"),
        "2025Q2": (15.0, "derived"),
        "2025Q3": (20.0, "estimate"),
        "2025Q4": (25.0, "estimate"),
    }


def test_fill_quarters_solves_the_second_half_from_the_year():
    filled = panel.fill_quarters({"2024Q3": (5.0, "stated"), "2024H2": (12.0, "stated")})
    assert {str(q): v for q, v in filled.items()} == {
        "2024Q3": (5.0, "stated"),
        "2024Q4": (7.0, "derived"),
    }


def test_flagged_rows_never_drive_the_latest_quarter(financials):
    extra = pd.DataFrame(
        {
            "company": "Leapmotor",
            "period": "2026Q2",
            "metric": ["revenue", "deliveries", "gross_margin_pct"],
            "value": [30000.0, 250000.0, 25.0],
            "unit": ["RMB_mn", "units", "pct"],
            "source_url": "https://example.org/unverified",
            "note": ["UNCERTAIN test row", "UNVERIFIED test row", "UNCERTAIN test row"],
            "flag": ["uncertain", "unverified", "uncertain"],
            "period_kind": "quarter",
            "period_end": pd.PeriodIndex(["2026-06"] * 3, freq="M"),
        }
    )
    extended = panel.quarterly_panel(pd.concat([financials, extra], ignore_index=True), "Leapmotor")
    assert pd.Period("2026Q2", "Q") in extended.table.index
    assert panel.latest_quarter(extended) == pd.Period("2025Q4", "Q")
    with pytest.raises(ValueError, match="no data for Leapmotor in 2026Q2"):
        panel.check_quarter(extended, "2026Q2", "start_quarter")


def test_an_uncertain_figure_in_a_data_folder_is_not_used(data_copy):
    path = data_copy / "financials_quarterly.csv"
    text = path.read_text()
    stated = "Leapmotor,2025Q4,gross_margin_pct,15.0,pct,https://m.huxiu.com/article/4842670.html?type=text,Dolphin Research: +0.5pp QoQ to ~15%"
    assert stated in text
    path.write_text(
        text.replace(
            stated,
            stated.replace(
                "Dolphin Research: +0.5pp QoQ to ~15%", "UNCERTAIN: Dolphin Research ~15%"
            ),
        )
    )
    changed = panel.quarterly_panel(data.load_financials(data_copy), "Leapmotor")
    assert changed.table.loc[pd.Period("2025Q4", "Q"), "gross_margin_pct_flag"] == "uncertain"
    assert panel.latest_quarter(changed) == pd.Period("2025Q3", "Q")


def test_cumulative_deliveries_add_up_the_years(leapmotor):
    t = leapmotor.table
    # 2021 annual total (estimate) + 2022 to 2025 quarters.
    assert t.loc[pd.Period("2025Q4", "Q"), "cum_deliveries"] == pytest.approx(
        43_700 + 111_162 + 144_155 + 293_724 + 596_555, abs=10
    )
    assert leapmotor.cumulative_from == 2021
    q = pd.Period("2025Q4", "Q")
    assert t.loc[q, "cum_deliveries_mid"] == pytest.approx(
        t.loc[q, "cum_deliveries"] - t.loc[q, "deliveries"] / 2
    )


def test_unknown_company_lists_the_known_ones(financials):
    with pytest.raises(
        ValueError, match=r"unknown company 'Leap'.*known companies: BYD, Leapmotor"
    ):
        panel.quarterly_panel(financials, "Leap")


def test_a_quarter_without_data_is_a_clear_error(leapmotor):
    with pytest.raises(
        ValueError,
        match=r"start_quarter: no data for Leapmotor in 2019Q1.*quarters with data: 2022Q3",
    ):
        panel.check_quarter(leapmotor, "2019Q1", "start_quarter")
    with pytest.raises(ValueError, match="not a quarter"):
        panel.check_quarter(leapmotor, "last year", "start_quarter")
    with pytest.raises(ValueError, match="no quarter with data before 2022Q3"):
        panel.base_quarter(leapmotor, pd.Period("2022Q3", "Q"))


def test_base_quarter_prefers_a_year_earlier(leapmotor, financials):
    assert panel.base_quarter(leapmotor, pd.Period("2025Q4", "Q")) == pd.Period("2024Q4", "Q")
    byd = panel.quarterly_panel(financials, "BYD")
    assert panel.base_quarter(byd, pd.Period("2025Q3", "Q")) == pd.Period("2023Q3", "Q")


def test_annual_volume_sums_four_quarters_or_says_it_scaled_one(leapmotor, financials):
    volume, basis = panel.annual_volume(leapmotor, pd.Period("2025Q4", "Q"))
    assert volume == pytest.approx(596_555, abs=10)
    assert basis == "deliveries 2025Q1 to 2025Q4"
    byd = panel.quarterly_panel(financials, "BYD")
    volume, basis = panel.annual_volume(byd, pd.Period("2025Q3", "Q"))
    assert basis == "4 x deliveries in 2025Q3"
    assert volume == pytest.approx(4 * byd.table.loc[pd.Period("2025Q3", "Q"), "deliveries"])
