"""lib.payback.simulation: seeded Monte Carlo, its summary and the tornado."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lib.payback import models, simulation, text, uncertain
from tests.conftest import payback_inputs


@pytest.fixture(scope="module")
def setup():
    return payback_inputs()


def test_simulation_is_seeded_and_reproducible(setup):
    first = simulation.simulate(setup.scenario, setup.timeline, 2000, 42, setup.strategies)
    again = simulation.simulate(setup.scenario, setup.timeline, 2000, 42, setup.strategies)
    other = simulation.simulate(setup.scenario, setup.timeline, 2000, 43, setup.strategies)
    for slug in ("export", "europe_assembly", "sea"):
        np.testing.assert_array_equal(first.npv[slug], again.npv[slug])
        np.testing.assert_array_equal(first.payback[slug], again.payback[slug])
        assert not np.array_equal(first.npv[slug], other.npv[slug])
    summary = first.summary()
    for slug in ("export", "europe_assembly", "sea"):  # the summary is the draws' own statistics
        assert summary.loc[slug, "p_npv_negative"] == pytest.approx(np.mean(first.npv[slug] < 0))
        assert summary.loc[slug, "median_npv"] == pytest.approx(np.median(first.npv[slug]))
        within = np.mean(first.payback[slug] <= simulation.SHORT_PAYBACK_YEARS)
        assert summary.loc[slug, "p_payback_5y"] == pytest.approx(within)


def test_headline_numbers_on_the_frozen_data(setup):
    """Pinned: the default scenario at 100,000 draws (seed 2026), as notebook 04 runs it."""
    result = simulation.simulate(setup.scenario, setup.timeline, 100_000, 2026, setup.strategies)
    summaries = result.summaries()
    assert max(summaries, key=lambda s: summaries[s].median_npv) == "europe_assembly"
    assert summaries["europe_assembly"].p_payback_horizon == pytest.approx(0.57761)
    assert summaries["europe_assembly"].median_payback == pytest.approx(6.5324, abs=1e-4)
    assert summaries["export"].median_payback == math.inf
    assert summaries["export"].p_npv_negative == pytest.approx(0.56779)


def test_summary_reports_never_when_most_draws_never_pay_back():
    npvs = np.array([-5.0, -4.0, -3.0, 1.0, 2.0])
    years = np.array([np.inf, np.inf, np.inf, 3.0, 6.0])
    summary = simulation.summarize(npvs, years)
    assert summary.median_payback == math.inf
    assert summary.p_payback_5y == pytest.approx(0.2)
    assert summary.p_payback_8y == pytest.approx(0.4)
    assert summary.p_npv_negative == pytest.approx(0.6)
    assert text.payback_label(summary.median_payback) == "never within the horizon"


def test_tornado_sorted_relevant_and_signed(setup):
    export = simulation.tornado(setup.scenario, models.route_strategy("export"), setup.timeline)
    assert list(export["swing"]) == sorted(export["swing"], reverse=True)
    assert not export["input"].str.startswith("sea_").any()
    assert "europe_assembly_eur" not in set(export["input"])  # no plant when exporting
    price = export.set_index("input").loc["europe_price_realization_pct"]
    assert price["npv_at_high"] > price["npv_at_low"]
    spain = simulation.tornado(
        setup.scenario, models.route_strategy("europe_assembly", "Spain"), setup.timeline
    )
    assert "europe_assembly_eur" in set(spain["input"])


def test_uniform_distributions_run_end_to_end():
    setup = payback_inputs(distribution="uniform")
    assert setup.scenario["europe_volume_growth_pct"].kind == "uniform"
    result = simulation.simulate(setup.scenario, setup.timeline, 2000, 1, setup.strategies)
    growth = uncertain.sample(setup.scenario, 2000, seed=1)["europe_volume_growth_pct"]
    assert growth.mean() == pytest.approx((5 + 40) / 2, rel=0.05)  # uniform ignores the mode
    assert set(result.summary().index) == {"export", "europe_assembly", "sea"}
