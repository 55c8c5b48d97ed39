"""lib.margins.charts: every chart returns a Figure whose title states a finding of the result."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lib import margins  # noqa: E402
from lib.margins import charts, inputs  # noqa: E402
from tests.conftest import FROZEN_DATA  # noqa: E402

CHARTS = [name for name in dir(charts) if name.endswith("_chart")]


@pytest.fixture(scope="module")
def leapmotor() -> margins.Analysis:
    return margins.analyse(margins.load(margins.Params(maker="leapmotor"), FROZEN_DATA))


def _title(fig: Figure) -> str:
    return fig.axes[0].get_title().replace("\n", " ")


@pytest.mark.parametrize("name", CHARTS)
def test_each_chart_returns_its_figure_and_draws_on_a_given_axes(leapmotor, name):
    fig = getattr(charts, name)(leapmotor)
    assert isinstance(fig, Figure) and _title(fig)
    plt.close(fig)
    own, ax = plt.subplots()
    assert getattr(charts, name)(leapmotor, ax=ax) is own
    plt.close(own)


def test_titles_state_the_findings_of_the_result(leapmotor):
    titles = {name: _title(getattr(charts, name)(leapmotor)) for name in CHARTS}
    plt.close("all")
    assert (
        titles["gross_margin_chart"]
        == "Leapmotor's gross margin moved from -8.9% in 2022Q3 to 15.0% in 2025Q4"
    )
    assert titles["breakeven_chart"].startswith("A 10% cut needs 200% more vehicles")
    change = leapmotor.bridge.change
    assert f"Gross profit rose RMB {change:,.0f} mn" in titles["bridge_chart"]
    assert f"{100 * leapmotor.fit.learning_rate:.0f}% per doubling" in titles["learning_chart"]
    assert "below battery cells' 20%" in titles["learning_chart"]
    assert f"leaves {100 * leapmotor.margin_after_cut_at_target:.1f}%" in titles["margin_map_chart"]


def test_a_borrowed_slope_is_said_instead_of_drawn():
    byd = margins.analyse(margins.load(margins.Params(maker="byd"), FROZEN_DATA))
    fig = charts.learning_chart(byd)
    assert _title(fig) == (
        "BYD has no quarter with cumulative deliveries to draw (no learning applied)"
    )
    plt.close(fig)


def test_every_chart_is_built_outside_pyplot_and_carries_a_source_line(leapmotor):
    """plots.axes: a Figure pyplot does not hold (shown once, nothing to close); plots.finish:
    the source line under the chart."""
    before = plt.get_fignums()
    for name in CHARTS:
        fig = getattr(charts, name)(leapmotor)
        assert any(t.get_text().startswith("Source") for t in fig.texts), name
    assert plt.get_fignums() == before


def test_the_fixed_cost_line_is_left_out_when_no_share_is_fixed():
    xiaomi = margins.analyse(margins.load(margins.Params(maker="xiaomi"), FROZEN_DATA))
    fig = charts.breakeven_chart(xiaomi)
    labels = [
        line.get_label() for line in fig.axes[0].get_lines() if not line.get_label().startswith("_")
    ]
    assert len(labels) == 1 and labels[0].startswith("all cost of sales variable")
    assert "with fixed costs" not in _title(fig)


def test_event_numbers_match_the_table_when_the_chart_starts_later(leapmotor):
    events = inputs.events_between(
        leapmotor.inputs.events, pd.Period("2023Q1", "Q"), pd.Period("2026Q4", "Q")
    )
    fig, ax = plt.subplots()
    charts.mark_events(ax, events, since=pd.Timestamp("2025-01-01"))
    labels = [text.get_text() for text in ax.texts]
    plt.close(fig)
    assert labels == ["7-10", "11"]  # BYD cut and three policy steps within 60 days; tax
