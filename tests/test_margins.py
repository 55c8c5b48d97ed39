"""Unit tests of lib.margins: closed forms, exact bridge, parameter recovery, units, data rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib import data, margins
from tests.conftest import FROZEN_DATA


@pytest.fixture(scope="module")
def financials() -> pd.DataFrame:
    return data.load_financials(FROZEN_DATA)


@pytest.fixture(scope="module")
def leapmotor(financials) -> margins.Panel:
    return margins.quarterly_panel(financials, "Leapmotor")


# --- break-even and the margin grid ------------------------------------------------------------


@pytest.mark.parametrize(("margin", "cut"), [(0.15, 0.10), (0.20, 0.05), (0.30, 0.29), (0.08, 0.0)])
def test_breakeven_volume_keeps_gross_profit(margin, cut):
    needed = margins.breakeven_volume_increase(margin, cut)
    assert needed == pytest.approx(cut / (margin - cut))
    # Price 1, unit cost 1 - m: profit per car m before, m - d after, on (1 + g) times the cars.
    assert (margin - cut) * (1 + needed) == pytest.approx(margin)


def test_breakeven_is_infinite_when_the_cut_eats_the_margin():
    needed = margins.breakeven_volume_increase(0.10, np.array([0.05, 0.10, 0.15]))
    assert needed[0] == pytest.approx(1.0)
    assert np.isinf(needed[1:]).all()


def test_breakeven_with_fixed_costs_keeps_gross_profit_in_money():
    margin, share, cut, vehicles = 0.15, 0.25, 0.10, 1000.0
    unit_cost = 1 - margin
    fixed = share * unit_cost * vehicles
    variable = (1 - share) * unit_cost
    needed = margins.breakeven_volume_increase(margins.contribution_margin(margin, share), cut)
    before = vehicles * 1.0 - fixed - variable * vehicles
    after = vehicles * (1 + needed) * (1 - cut - variable) - fixed
    assert after == pytest.approx(before)
    assert needed < margins.breakeven_volume_increase(margin, cut)


def test_gross_margin_after_is_today_at_the_origin_and_matches_breakeven_profit():
    assert margins.gross_margin_after(0.15, 0.3, 0.0, 0.0) == pytest.approx(0.15)
    # With no fixed costs volume does not change the margin, only the price does.
    assert margins.gross_margin_after(0.15, 0.0, 0.10, 0.5) == pytest.approx(1 - 0.85 / 0.9)
    # More volume spreads fixed costs: margin rises with volume when some cost is fixed.
    assert margins.gross_margin_after(0.15, 0.3, 0.0, 0.5) > 0.15


def test_margin_grid_has_the_grid_shape_and_percent_units():
    grid = margins.margin_grid(0.15, 0.1, np.array([0.0, 0.1]), np.array([-0.2, 0.0, 1.0]))
    assert grid.shape == (3, 2)
    assert grid.loc[0.0, 0.0] == pytest.approx(15.0)
    assert list(grid.columns) == [0.0, 10.0]


# --- gross-profit bridge -----------------------------------------------------------------------


@pytest.mark.parametrize("share", [None, 0.0, 0.2])
def test_bridge_adds_up_exactly(share):
    rng = np.random.default_rng(7)
    for _ in range(50):
        n0, n1 = rng.uniform(1e4, 3e5, 2)
        p0, p1 = rng.uniform(8e4, 3e5, 2)
        c0, c1 = rng.uniform(7e4, 3e5, 2)
        bridge = margins.gross_profit_bridge((n0, n1), (p0, p1), (c0, c1), share)
        change = bridge.end_gross_profit - bridge.base_gross_profit
        assert bridge.effects.sum() == pytest.approx(change, rel=1e-12, abs=1e-9)
        assert bridge.base_gross_profit == pytest.approx(n0 * (p0 - c0) / 1e6)


def test_bridge_isolates_each_effect():
    only_volume = margins.gross_profit_bridge((100, 150), (10.0, 10.0), (8.0, 8.0))
    assert only_volume.effects["Volume"] == pytest.approx(50 * 2 / 1e6)
    assert only_volume.effects[["Price / mix", "Unit cost"]].abs().sum() == 0
    only_price = margins.gross_profit_bridge((100, 100), (10.0, 9.0), (8.0, 8.0))
    assert only_price.effects["Price / mix"] == pytest.approx(-100 / 1e6)


def test_bridge_on_the_data_matches_reported_gross_profit(leapmotor):
    bridge = margins.panel_bridge(
        leapmotor, pd.Period("2024Q4", "Q"), pd.Period("2025Q4", "Q"), 0.05
    )
    t = leapmotor.table
    for quarter, value in (
        (pd.Period("2024Q4", "Q"), bridge.base_gross_profit),
        (pd.Period("2025Q4", "Q"), bridge.end_gross_profit),
    ):
        expected = t.loc[quarter, "revenue"] * t.loc[quarter, "gross_margin_pct"] / 100
        assert value == pytest.approx(expected)
    assert bridge.table()["value_mn"].iloc[1:-1].sum() == pytest.approx(
        bridge.end_gross_profit - bridge.base_gross_profit
    )


# --- Wright's law ------------------------------------------------------------------------------


def _synthetic_learning(rate: float, n: int, seed: int, company: str = "A", level: float = 2e5):
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(rng.uniform(2e4, 8e4, n))
    slope = margins.slope_from_learning_rate(rate)
    cost = level * (cumulative / cumulative[0]) ** slope * np.exp(rng.normal(0, 0.03, n))
    return pd.DataFrame(
        {"company": company, "cum_deliveries_mid": cumulative, "cost_per_vehicle": cost}
    )


def test_wright_fit_recovers_a_known_learning_rate():
    fit = margins.fit_wright(_synthetic_learning(0.15, 40, seed=1))
    assert fit.learning_rate == pytest.approx(0.15, abs=0.02)
    low, high = fit.learning_rate_ci
    assert low < 0.15 < high
    assert fit.scope == "own data"


def test_wright_interval_covers_the_truth_about_95_percent_of_the_time():
    covered = [
        fit.learning_rate_ci[0] < 0.2 < fit.learning_rate_ci[1]
        for fit in (margins.fit_wright(_synthetic_learning(0.2, 12, seed=s)) for s in range(200))
    ]
    assert 0.90 <= np.mean(covered) <= 0.99


def test_pooled_wright_fit_keeps_one_slope_and_separate_levels():
    points = pd.concat(
        [
            _synthetic_learning(0.1, 15, seed=2, company="A", level=3e5),
            _synthetic_learning(0.1, 15, seed=3, company="B", level=1e5),
        ]
    )
    fit = margins.fit_wright(points)
    assert fit.learning_rate == pytest.approx(0.1, abs=0.03)
    assert fit.intercepts["A"] > fit.intercepts["B"]
    assert fit.scope.startswith("pooled")


def test_learning_rate_and_slope_are_inverse():
    rates = np.array([-0.05, 0.0, 0.13, 0.2])
    assert margins.learning_rate_from_slope(
        margins.slope_from_learning_rate(rates)
    ) == pytest.approx(rates)
    assert margins.learning_rate_from_slope(-1.0) == pytest.approx(0.5)


def test_wright_fit_needs_enough_points():
    with pytest.raises(ValueError, match="too few quarters"):
        margins.fit_wright(_synthetic_learning(0.1, 2, seed=0))


def test_company_with_too_few_quarters_borrows_the_pooled_slope(financials):
    panels = {
        name: margins.quarterly_panel(financials, name) for name in margins.companies(financials)
    }
    fit = margins.fit_company_learning(panels, "BYD", pd.Period("2025Q3", "Q"))
    assert fit.scope.startswith("pooled")
    assert "BYD" not in set(fit.points["company"])


def test_margin_at_target_applies_the_learning_curve(leapmotor):
    start = pd.Period("2025Q4", "Q")
    flat = margins.margin_at_target(leapmotor, start, 0.0, (0.0, 0.0), 1_000_000)
    assert flat["gross_margin_pct"].iloc[0] == pytest.approx(15.0)
    assert flat["gross_margin_pct"].iloc[2] == pytest.approx(100 * (1 - 0.85 / 0.9))
    learning = margins.margin_at_target(leapmotor, start, -0.2, (-0.3, -0.1), 1_000_000)
    row = leapmotor.table.loc[start]
    ratio = (row["cum_deliveries"] + 500_000) / row["cum_deliveries_mid"]
    assert learning["gross_margin_pct"].iloc[0] == pytest.approx(100 * (1 - 0.85 * ratio**-0.2))
    assert (learning["low_pct"] < learning["gross_margin_pct"]).all()
    assert (learning["gross_margin_pct"] < learning["high_pct"]).all()
    assert learning.attrs["learning_applied"]


# --- fixed-cost share --------------------------------------------------------------------------


def test_fixed_cost_share_is_recovered_from_synthetic_quarters():
    quarters = pd.period_range("2023Q1", periods=8, freq="Q")
    rng = np.random.default_rng(11)
    vehicles = rng.uniform(5e4, 2e5, 8)
    fixed_mn, variable = 2000.0, 90_000.0
    cost_mn = fixed_mn + variable * vehicles / 1e6
    revenue_mn = cost_mn / 0.85
    table = pd.DataFrame(
        {
            "revenue": revenue_mn,
            "deliveries": vehicles,
            "gross_margin_pct": 15.0,
            "revenue_flag": "stated",
            "deliveries_flag": "stated",
            "gross_margin_pct_flag": "stated",
        },
        index=quarters,
    )
    panel = margins.Panel("Synthetic", "RMB", "total", table, 2023)
    estimate = margins.estimate_fixed_cost_share(panel, quarters[-1])
    assert estimate["share"] == pytest.approx(fixed_mn / cost_mn[-1])
    assert estimate["variable_cost_per_vehicle"] == pytest.approx(variable)


# --- units -------------------------------------------------------------------------------------


def test_unit_conversions():
    assert margins.per_vehicle(21030.0, 201039.0) == pytest.approx(104_606.6, abs=0.1)
    assert margins.currency_of("RMB_mn") == "RMB"
    assert margins.currency_of("USD_mn") == "USD"
    assert margins.pct_to_frac(15.0) == pytest.approx(0.15)
    assert margins.frac_to_pct(0.15) == pytest.approx(15.0)
    with pytest.raises(ValueError, match="not money"):
        margins.currency_of("units")


def test_panels_keep_each_company_in_its_own_currency(financials, leapmotor):
    tesla = margins.quarterly_panel(financials, "Tesla")
    assert tesla.currency == "USD"
    assert leapmotor.currency == "RMB"
    # Tesla revenue is USD millions: revenue per vehicle is tens of thousands of dollars.
    assert 40_000 < tesla.table.loc[pd.Period("2025Q4", "Q"), "revenue_per_vehicle"] < 70_000
    q = pd.Period("2025Q4", "Q")
    assert leapmotor.table.loc[q, "revenue_per_vehicle"] == pytest.approx(21030e6 / 201039)


def test_xiaomi_uses_the_vehicle_margin_basis(financials):
    xiaomi = margins.quarterly_panel(financials, "Xiaomi EV")
    assert xiaomi.basis == "vehicle"
    assert xiaomi.table.loc[pd.Period("2025Q3", "Q"), "gross_margin_pct"] == pytest.approx(25.5)


# --- choosing rows, filling quarters, flagged rows --------------------------------------------


def test_duplicates_are_resolved_deterministically(financials):
    shuffled = financials.sample(frac=1.0, random_state=3)
    for frame in (financials, shuffled):
        picked = margins.pick_rows(frame)
        picked = picked[picked["picked"] & (picked["company"] == "Leapmotor")].set_index(
            ["period", "metric"]
        )["value"]
        assert picked[("2022FY", "revenue")] == 12385.0  # the precise of three stated figures
        assert picked[("2023Q4", "deliveries")] == 55328.0  # exact derived beats "rounded"
        assert picked[("2021FY", "net_income")] == -2846.0  # stated beats "approx"
        assert picked[("2025Q4", "revenue")] == 21030.0  # derived beats an estimate
    counts = margins.pick_rows(financials).groupby(["company", "period", "metric"])["picked"].sum()
    assert (counts == 1).all()


def test_duplicate_choices_show_the_kept_row_first(financials):
    table = margins.duplicate_choices(financials, "Leapmotor")
    first = table[(table["period"] == "2022FY") & (table["metric"] == "revenue")].iloc[0]
    assert first["picked"] and first["value"] == 12385.0


def test_fill_quarters_solves_missing_quarters_and_flags_them():
    filled = margins.fill_quarters(
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
    panel = margins.quarterly_panel(pd.concat([financials, extra], ignore_index=True), "Leapmotor")
    assert pd.Period("2026Q2", "Q") in panel.table.index
    assert margins.latest_quarter(panel) == pd.Period("2025Q4", "Q")
    with pytest.raises(ValueError, match="no data for Leapmotor in 2026Q2"):
        margins.check_quarter(panel, "2026Q2", "start_quarter")


def test_an_uncertain_figure_in_a_data_folder_is_not_used(data_copy, monkeypatch):
    path = data_copy / "financials_quarterly.csv"
    text = path.read_text()
    text = text.replace(
        "Leapmotor,2025Q4,gross_margin_pct,15.0,pct,https://m.huxiu.com/article/4842670.html?type=text,Dolphin Research: +0.5pp QoQ to ~15%",
        "Leapmotor,2025Q4,gross_margin_pct,15.0,pct,https://m.huxiu.com/article/4842670.html?type=text,UNCERTAIN: Dolphin Research ~15%",
    )
    path.write_text(text)
    monkeypatch.setenv("EVR_DATA_DIR", str(data_copy))
    panel = margins.quarterly_panel(data.load_financials(), "Leapmotor")
    assert panel.table.loc[pd.Period("2025Q4", "Q"), "gross_margin_pct_flag"] == "uncertain"
    assert margins.latest_quarter(panel) == pd.Period("2025Q3", "Q")


def test_cumulative_deliveries_add_up_the_years(leapmotor):
    t = leapmotor.table
    # 2021 annual total (estimate) + 2022 to 2025 quarters.
    assert t.loc[pd.Period("2025Q4", "Q"), "cum_deliveries"] == pytest.approx(
        43_700 + 111_162 + 144_155 + 293_724 + 596_555, abs=10
    )
    assert leapmotor.cumulative_from == 2021


# --- clear errors ------------------------------------------------------------------------------


def test_unknown_company_lists_the_known_ones(financials):
    with pytest.raises(
        ValueError, match=r"unknown company 'Leap'.*known companies: BYD, Leapmotor"
    ):
        margins.quarterly_panel(financials, "Leap")
    with pytest.raises(ValueError, match=r"peers: unknown company 'Nio'"):
        margins.parse_peers(financials, "Leapmotor", "XPeng, Nio")
    assert margins.parse_peers(financials, "Leapmotor", "") == [
        "BYD",
        "Li Auto",
        "NIO",
        "Tesla",
        "XPeng",
        "Xiaomi EV",
    ]


def test_a_quarter_without_data_is_a_clear_error(leapmotor):
    with pytest.raises(
        ValueError,
        match=r"start_quarter: no data for Leapmotor in 2019Q1.*quarters with data: 2022Q3",
    ):
        margins.check_quarter(leapmotor, "2019Q1", "start_quarter")
    with pytest.raises(ValueError, match="not a quarter"):
        margins.check_quarter(leapmotor, "last year", "start_quarter")
    with pytest.raises(ValueError, match="no quarter with data before 2022Q3"):
        margins.base_quarter(leapmotor, pd.Period("2022Q3", "Q"))


def test_base_quarter_prefers_a_year_earlier(leapmotor, financials):
    assert margins.base_quarter(leapmotor, pd.Period("2025Q4", "Q")) == pd.Period("2024Q4", "Q")
    byd = margins.quarterly_panel(financials, "BYD")
    assert margins.base_quarter(byd, pd.Period("2025Q3", "Q")) == pd.Period("2023Q3", "Q")


@pytest.mark.parametrize(
    ("low", "high", "step", "message"),
    [
        (20.0, 0.0, 1.0, "the grid is empty"),
        (0.0, 120.0, 1.0, "out of range"),
        (-5.0, 10.0, 1.0, "out of range"),
        (0.0, 10.0, 0.0, "must be positive"),
        (0.0, float("nan"), 1.0, "finite"),
    ],
)
def test_bad_grids_are_clear_errors(low, high, step, message):
    with pytest.raises(ValueError, match=f"price_cut: .*{message}"):
        margins.make_grid(low, high, step, "price_cut", (0.0, 90.0))


def test_grid_includes_both_ends():
    grid = margins.make_grid(0.0, 20.0, 0.5, "price_cut", (0.0, 90.0))
    assert len(grid) == 41
    assert grid[0] == 0.0 and grid[-1] == pytest.approx(0.2)


def test_events_are_sourced_and_dated():
    table = margins.events_table()
    assert table["source_url"].str.match(r"^https?://").all()
    assert table["date"].is_monotonic_increasing
    assert set(table["kind"]) == {"price cut", "policy"}
    assert len(margins.events_table(pd.Period("2025Q1", "Q"), pd.Period("2025Q4", "Q"))) == 4


def test_event_numbers_match_the_table_when_the_chart_starts_later():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    events = margins.events_table()
    fig, ax = plt.subplots()
    margins.mark_events(ax, events, since=pd.Timestamp("2025-01-01"))
    labels = [text.get_text() for text in ax.texts]
    plt.close(fig)
    assert labels == ["7-10", "11"]  # BYD cut and three policy steps within 60 days; tax
