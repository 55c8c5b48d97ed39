"""lib.premium.charts: every chart returns a Figure titled with the finding computed from the
results, draws on an axes it is given, and stays out of pyplot (nothing to close)."""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from lib.premium import analysis, charts
from tests.conftest import premium_inputs

CHARTS = [
    charts.market_map_chart,
    charts.elasticity_chart,
    charts.residuals_chart,
    charts.residual_tails_chart,
    charts.premiums_chart,
    charts.robustness_chart,
    charts.tier_chart,
    charts.flagship_chart,
]


@pytest.fixture(scope="module")
def result() -> analysis.BrandPremium:
    return analysis.analyse(premium_inputs(n_draws=500))


def title(figure: Figure) -> str:
    return figure.axes[0].get_title().replace("\n", " ")


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.__name__)
def test_each_chart_is_a_figure_with_a_title_and_a_source_line(result, chart):
    figure = chart(result)
    assert isinstance(figure, Figure) and title(figure)
    assert any(t.get_text().startswith("Source: data/vehicle_trims.csv") for t in figure.texts)
    assert not plt.get_fignums()  # outside pyplot


def test_a_chart_draws_on_the_axes_it_is_given(result):
    figure = Figure()
    ax = figure.subplots()
    assert charts.premiums_chart(result, ax=ax) is figure
    assert ax.get_title()


def test_titles_state_the_findings_of_the_results(result):
    focus, market = result.focus, result.market
    rank = (
        int(
            (
                result.premiums.query("trims >= 10 or brand == 'Leapmotor'")["premium_pct"]
                > focus.premium_pct
            ).sum()
        )
        + 1
    )
    assert f"Leapmotor ranks {rank} of" in title(charts.premiums_chart(result))
    assert f"{focus.premium_pct:+.0f}% against BYD" in title(charts.premiums_chart(result))
    assert title(charts.market_map_chart(result)).startswith(
        f"{market.focus_at_band or 'None'} of Leapmotor's {market.focus_priced} priced trims"
    )
    own, richest = result.own["expected_rmb"], result.richest
    assert f"~{own / 1000:,.0f}k yuan as a Leapmotor" in title(charts.flagship_chart(result))
    assert f"as a {richest}" in title(charts.flagship_chart(result))
    low, high = result.robustness["premium_pct"].min(), result.robustness["premium_pct"].max()
    assert f"between {low:+.0f}% and {high:+.0f}%" in title(charts.robustness_chart(result))
    top = result.upper_tier["premium_pct"]
    compared = "lower than" if top < focus.premium_pct else "higher than"
    assert (
        f"the Leapmotor badge lists {top:+.0f}% ({result.upper_tier['focus_trims']} trims), "
        f"{compared} its {focus.premium_pct:+.0f}% overall"
    ) in title(charts.tier_chart(result))


def test_a_small_positive_premium_is_not_called_a_deeper_discount(result):
    # +0.4% at the top against +1.0% overall: lower, but no discount at all
    upper = result.upper_tier.copy()
    upper["premium_pct"] = 0.4
    focus = dataclasses.replace(result.focus, premium_pct=1.0)
    changed = dataclasses.replace(result, upper_tier=upper, focus=focus)
    text = title(charts.tier_chart(changed))
    assert "lists +0% (3 trims), lower than its +1% overall" in text
    assert "discount" not in text and "deeper" not in text


def test_without_a_band_or_enough_data_the_titles_say_so():
    nio = analysis.analyse(premium_inputs("nio", comparison_brands=["Tesla"], n_draws=200))
    assert nio.market is None and nio.upper_tier is None
    assert title(charts.market_map_chart(nio)).startswith("NIO's 39 priced trims list from")
    assert "spec-price tiers" in title(charts.tier_chart(nio))
    li_auto = analysis.analyse(premium_inputs("li_auto", comparison_brands=["Tesla"], n_draws=200))
    assert (
        title(charts.market_map_chart(li_auto)) == "Li Auto's only priced trim lists at 530k yuan"
    )
    premiums = title(charts.premiums_chart(li_auto))
    assert premiums.startswith("Li Auto: too little data (1 trim, 1 series) for a premium")
    assert "ranks" not in premiums
    assert title(charts.tier_chart(li_auto)) == "Li Auto's trims sit in one spec-price tier: +10%"
