"""lib.payback.models: one car and the yearly cash flows against hand-computed cases, and the
vectorized model against a slow reference loop."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lib import finance
from lib.payback import models, uncertain
from lib.payback.models import Strategy, Timeline
from tests.conftest import payback_inputs


@pytest.fixture(scope="module")
def setup():
    return payback_inputs()


def test_volume_ramp_grows_then_hits_the_ceiling():
    ramp = models.volume_ramp(100.0, 50.0, 300.0, 4)
    np.testing.assert_allclose(ramp, [100, 150, 225, 300])


def test_plant_schedule_prorates_the_first_year_and_places_capex():
    timeline = Timeline(2026, 3)
    active, capex = models.plant_schedule("2026-08", timeline)
    np.testing.assert_allclose(active, [5 / 12, 1, 1])
    assert capex == 0
    active, capex = models.plant_schedule("2028-01", timeline)
    np.testing.assert_allclose(active, [0, 0, 1])
    assert capex == 2
    assert models.plant_schedule("2031-01", timeline)[1] is None
    with pytest.raises(ValueError, match="YYYY-MM"):
        models.plant_schedule("August 2026", timeline)


def test_timeline_needs_a_positive_horizon():
    with pytest.raises(ValueError, match="horizon_years must be a whole number >= 1"):
        Timeline(2026, 0)


def simple_values(**changes) -> dict:
    """A small case every number of which can be followed by hand (see the test below)."""
    values = {
        "discount_rate_pct": 0.0,
        "rmb_per_eur": 1.0,
        "rmb_per_usd": 1.0,
        "price_china_rmb": 113.0,
        "china_discount_pct": 0.0,
        "china_vat_pct": 13.0,
        "china_margin_pct": 20.0,
        "factory_margin_pct": 20.0,
        "unit_cost_change_pct": 0.0,
        "maker_share_pct": 100.0,
        "europe_price_eur": 240.0,
        "europe_price_realization_pct": 0.0,
        "europe_sales_tax_pct": 20.0,
        "europe_dealer_margin_pct": 10.0,
        "europe_logistics_eur": 10.0,
        "europe_cvd_pct": 10.0,
        "europe_mfn_duty_pct": 0.0,
        "europe_kit_duty_pct": 0.0,
        "europe_kit_logistics_pct": 50.0,
        "europe_assembly_eur": 5.0,
        "europe_plant_capacity_units": 0.0,
        "europe_plant_start": "2030-01",
        "europe_plant_capex_rmb_mn": 0.0,
        "europe_entry_investment_eur_mn": 0.1,
        "europe_outlets": 0,
        "europe_outlet_cost_eur_k": 0.0,
        "europe_marketing_eur_mn": 0.02,
        "europe_volume_start_units": 1000.0,
        "europe_volume_growth_pct": 0.0,
        "europe_volume_ceiling_units": 1000.0,
        "europe_risk_premium_pct": 0.0,
    }
    values.update(changes)
    return values


def test_cash_flows_hand_computed_case():
    # China: revenue 113/1.13 = 100, cost 80, venture pays 80/0.8 = 100.
    # Europe: 240/1.2 = 200, dealer 10% -> 180; freight 10; duty 10% of (100 + 10) = 11 -> 59 a car.
    # Yearly: 1000 x 59 = RMB 0.059 mn - 0.02 fixed = 0.039; t = 0: -0.1 entry.
    timeline = Timeline(2026, 3)
    export = models.route_strategy("export")
    car = models.unit_economics(simple_values(), "europe", local=False)
    assert float(car["contribution"]) == pytest.approx(59.0)
    assert float(car["maker_margin"]) == pytest.approx(20.0)
    flows = models.cash_flows(simple_values(), export, timeline)
    np.testing.assert_allclose(flows.maker[0], [-0.1, 0.039, 0.039, 0.039])
    assert finance.npv(flows.maker, flows.rate)[0] == pytest.approx(0.017)
    assert finance.discounted_payback(flows.maker, flows.rate)[0] == pytest.approx(
        2 + (0.1 - 0.078) / 0.039
    )
    with_margin = models.cash_flows(simple_values(), export, timeline, include_factory_margin=True)
    np.testing.assert_allclose(with_margin.maker[0, 1:], 0.039 + 1000 * 20 / 1e6)
    half = models.cash_flows(simple_values(maker_share_pct=50.0), export, timeline)
    np.testing.assert_allclose(half.maker, flows.maker / 2)


def test_local_assembly_replaces_tariffs_up_to_capacity():
    # kit: freight 5, no duty, assembly 5 -> 180 - 100 - 5 - 5 = 70 a car, 11 more than exported
    values = simple_values(
        europe_plant_capacity_units=600.0,
        europe_plant_start="2026-07",
        europe_plant_capex_rmb_mn=0.01,
    )
    flows = models.cash_flows(
        values, models.route_strategy("europe_assembly", "Spain"), Timeline(2026, 2)
    )
    np.testing.assert_allclose(flows.local_units[0], [0, 300, 600])
    np.testing.assert_allclose(flows.investment[0], [0.11, 0, 0])
    np.testing.assert_allclose(
        flows.contribution[0, 1:], [(700 * 59 + 300 * 70) / 1e6, (400 * 59 + 600 * 70) / 1e6]
    )


def reference_flows(draw: dict, strategy: Strategy, timeline: Timeline, factory: bool) -> list:
    """The model restated one draw and one year at a time, for the equivalence test."""
    m, fx = strategy.market, draw["rmb_per_eur"]
    china = (
        draw["price_china_rmb"]
        * (1 - draw["china_discount_pct"] / 100)
        / (1 + draw["china_vat_pct"] / 100)
    )
    cost = china * (1 - draw["china_margin_pct"] / 100) * (1 + draw["unit_cost_change_pct"] / 100)
    paid = cost / (1 - draw["factory_margin_pct"] / 100)
    if m == "europe":
        listed, duties = (
            draw["europe_price_eur"] * fx,
            draw["europe_cvd_pct"] + draw["europe_mfn_duty_pct"],
        )
    else:
        listed = draw["price_china_rmb"] * draw["sea_price_vs_china_pct"] / 100
        duties = draw["sea_import_duty_pct"] + draw["sea_excise_pct"]
    revenue = (
        listed
        * (1 + draw[f"{m}_price_realization_pct"] / 100)
        / (1 + draw[f"{m}_sales_tax_pct"] / 100)
    )
    revenue *= 1 - draw[f"{m}_dealer_margin_pct"] / 100

    def per_car(local: bool) -> float:
        freight = (
            draw[f"{m}_logistics_eur"] * fx * (draw[f"{m}_kit_logistics_pct"] / 100 if local else 1)
        )
        duty = (draw[f"{m}_kit_duty_pct"] if local else duties) / 100 * (paid + freight)
        return revenue - paid - freight - duty - (draw[f"{m}_assembly_eur"] * fx if local else 0)

    plant_year, plant_month = (int(x) for x in draw[f"{m}_plant_start"].split("-"))
    fixed = (
        draw[f"{m}_outlets"] * draw[f"{m}_outlet_cost_eur_k"] / 1000 + draw[f"{m}_marketing_eur_mn"]
    ) * fx
    share = draw["maker_share_pct"] / 100
    flows = [-share * draw[f"{m}_entry_investment_eur_mn"] * fx]
    for k in range(1, timeline.horizon_years + 1):
        year = timeline.start_year + k - 1
        volume = min(
            draw[f"{m}_volume_ceiling_units"],
            draw[f"{m}_volume_start_units"] * (1 + draw[f"{m}_volume_growth_pct"] / 100) ** (k - 1),
        )
        local = 0.0
        if strategy.local_assembly:
            months = 0 if year < plant_year else (13 - plant_month if year == plant_year else 12)
            local = min(volume, draw[f"{m}_plant_capacity_units"] * months / 12)
        venture = ((volume - local) * per_car(False) + local * per_car(True)) / 1e6 - fixed
        flows.append(share * venture + (volume * (paid - cost) / 1e6 if factory else 0.0))
    if strategy.local_assembly:
        flows[max(0, plant_year - timeline.start_year)] -= share * draw[f"{m}_plant_capex_rmb_mn"]
    return flows


def reference_npv_payback(flows: list, rate: float) -> tuple[float, float]:
    discounted = [f / (1 + rate) ** t for t, f in enumerate(flows)]
    cumulative, running, last_negative = [], 0.0, None
    for t, d in enumerate(discounted):
        running += d
        cumulative.append(running)
        if running < 0:
            last_negative = t
    if last_negative is None:
        years = 0.0
    elif last_negative == len(flows) - 1:
        years = math.inf
    else:
        years = last_negative + -cumulative[last_negative] / discounted[last_negative + 1]
    return sum(discounted), years


@pytest.mark.parametrize("factory", [False, True])
@pytest.mark.parametrize("slug", ["export", "europe_assembly", "sea"])
def test_vectorized_simulation_equals_slow_reference_loop(setup, slug, factory):
    chosen = models.route_strategy(slug)
    values = uncertain.sample(setup.scenario, 60, seed=5)
    flows = models.cash_flows(values, chosen, setup.timeline, include_factory_margin=factory)
    npvs = finance.npv(flows.maker, flows.rate)
    years = finance.discounted_payback(flows.maker, flows.rate)
    for i in range(60):
        draw = {k: (v[i] if isinstance(v, np.ndarray) else v) for k, v in values.items()}
        expected = reference_flows(draw, chosen, setup.timeline, factory)
        np.testing.assert_allclose(flows.maker[i], expected, rtol=1e-10, atol=1e-9)
        rate = (draw["discount_rate_pct"] + draw[f"{chosen.market}_risk_premium_pct"]) / 100
        ref_npv, ref_years = reference_npv_payback(expected, rate)
        assert npvs[i] == pytest.approx(ref_npv, rel=1e-10, abs=1e-9)
        assert years[i] == pytest.approx(ref_years, rel=1e-10) or (
            years[i] == ref_years == math.inf
        )
