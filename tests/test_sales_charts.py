"""lib.sales.charts: every chart returns its Figure, draws on a given ax, and states in its title
a finding computed from the results it draws (numbers of the frozen data)."""

from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from lib import sales  # noqa: E402
from lib.sales import charts, inputs  # noqa: E402
from tests.conftest import FROZEN_DATA  # noqa: E402

CHARTS = [
    charts.history_chart,
    charts.yoy_chart,
    charts.seasonality_chart,
    charts.target_chart,
    charts.models_chart,
    charts.residuals_chart,
    charts.backtest_chart,
    charts.fan_chart,
    charts.totals_chart,
]


@pytest.fixture(scope="module")
def result():
    params = sales.Params(
        target_units=1_000_000, target_year=2026, n_paths=300, seed=5, backtest_paths=100
    )
    return sales.analyse(sales.load(params, FROZEN_DATA))


def title(figure) -> str:
    return " ".join(figure.axes[0].get_title().split())


@pytest.mark.parametrize("chart", CHARTS, ids=lambda chart: chart.__name__)
def test_each_chart_returns_its_figure_and_draws_on_a_given_ax(result, chart):
    figure = chart(result)
    assert isinstance(figure, plt.Figure) and title(figure)
    assert any("Source:" in text.get_text() for text in figure.texts)
    plt.close(figure)
    given, ax = plt.subplots()
    assert chart(result, ax=ax) is given
    assert ax.get_title()
    plt.close(given)


def test_titles_state_findings_from_the_results(result):
    assert title(charts.history_chart(result)) == (
        "Leapmotor delivered 596,555 vehicles in 2025, +103% on 2024"
    )
    needed = result.arithmetic.required_monthly_run_rate_units
    assert title(charts.target_chart(result)).startswith(
        f"Leapmotor needs {needed:,.0f} a month for its 8 missing months"
    )
    projection = result.projection
    assert title(charts.fan_chart(result)) == (
        f"Leapmotor 2026: median {projection.median:,.0f} vehicles "
        f"(80% range {projection.p10:,.0f}-{projection.p90:,.0f})"
    )
    assert title(charts.totals_chart(result)).startswith(
        f"{projection.p_reach_target:.0%} of simulated paths take Leapmotor to 1,000,000"
    )
    mape = result.headline.mape_chosen_pct
    assert f"the combination missed by {mape:.1f}% on average" in title(
        charts.backtest_chart(result)
    )
    plt.close("all")


def test_a_backtest_with_nothing_scored_says_so(result):
    empty = dataclasses.replace(result, summary=result.summary.iloc[:0])
    assert title(charts.backtest_chart(empty)).startswith(
        "No maker-year had ended with enough history by 2026-06"
    )
    plt.close("all")


def test_the_yoy_chart_labels_bars_it_cuts(result):
    figure = charts.yoy_chart(result, cap_pct=50.0)
    labels = [t.get_text() for t in figure.axes[0].texts]
    growth = inputs.yoy_growth(result.inputs.series).dropna()
    assert len(labels) == int((growth > 50).sum()) > 0
    assert isinstance(growth.index, pd.PeriodIndex)
    plt.close(figure)


def test_the_result_charts_show_the_scored_year_peers_and_month_ends(result):
    resolution = charts.resolution_chart(result)
    assert title(resolution).startswith("Leapmotor ended 2025 19.3% above its 2025 target")
    horizons = charts.horizon_chart(result)  # two panels on one Figure, each finished
    assert len(horizons.axes) == 2 and all(ax.get_title() for ax in horizons.axes)
    month_ends = charts.month_ends_chart(result)
    assert title(month_ends).startswith("Leapmotor: the year's total forecast at each month-end")
    plt.close("all")


def test_the_result_charts_without_their_data_show_nothing(result):
    bare = dataclasses.replace(result, resolution=None, peer_scores=None, track_month_ends=None)
    assert charts.resolution_chart(bare) is None
    assert charts.horizon_chart(bare) is None
    assert charts.month_ends_chart(bare) is None
