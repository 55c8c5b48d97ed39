"""lib.payback.charts: each chart draws on a given Axes, returns its Figure and states the finding
computed from the results in its title."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from lib.payback import analysis, charts  # noqa: E402
from tests.conftest import payback_inputs


@pytest.fixture(scope="module")
def result():
    return analysis.analyse(payback_inputs(n_sims=2000))


def test_charts_draw_on_the_given_axes_and_state_the_finding(result):
    s = result.summaries[result.best]
    expected = {
        charts.npv_chart: f"the NPV is below zero in {s.p_npv_negative:.0%} of 2,000 draws",
        charts.payback_histogram_chart: f"{s.p_payback_5y:.0%} pay back within 5 years",
        charts.payback_curves_chart: f"{s.p_payback_horizon:.0%} of draws within 10 years",
        charts.tornado_chart: "moves the NPV most",
        charts.cumulative_chart: "Base case:",
    }
    for chart, finding in expected.items():
        fig, ax = plt.subplots()
        assert chart(result, ax=ax) is fig
        assert finding in ax.get_title().replace("\n", " "), chart.__name__
        assert [t.get_text() for t in fig.texts if t.get_text().startswith("Source: ")]
        plt.close(fig)


def test_a_chart_without_axes_makes_its_own_figure_outside_pyplot(result):
    before = plt.get_fignums()
    fig = charts.npv_chart(result)
    assert fig.axes and plt.get_fignums() == before  # nothing left open in pyplot


def test_waterfall_title_reads_the_table_and_names_every_route(result):
    fig = charts.waterfall_chart(result)
    unit = result.unit
    tariffs = -unit.step("duty", unit.exported) / 1e3
    assert f"tariffs take RMB {tariffs:,.0f}k" in fig.get_suptitle().replace("\n", " ")
    assert [ax.get_title() for ax in fig.axes] == [unit.china, unit.exported, unit.local]
    assert fig.axes[0].get_ylabel() == "RMB per car"
    assert [t.get_text() for t in fig.texts if t.get_text().startswith("Source: ")]
    assert fig.axes[1].get_ylim() == fig.axes[0].get_ylim()  # one RMB scale for the routes
