"""lib.payback: finance primitives against hand-computed cases, the vectorized model against a slow
reference loop, seeded reproducibility, sourced defaults per maker, and clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lib import data, payback
from lib.payback import Strategy, Timeline, Uncertain
from tests.conftest import FROZEN_DATA


def frozen_tables() -> payback.Tables:
    """The model's inputs from the frozen test data, so that sourced defaults stay pinned."""
    return payback.Tables(
        data.load_assumptions(FROZEN_DATA),
        data.load_financials(FROZEN_DATA),
        data.load_deliveries(FROZEN_DATA),
    )


# ---------------------------------------------------------------------------------------------
# NPV, IRR, discounted payback: the first flow is at t = 0 and is not discounted


def test_npv_first_flow_is_at_t0_undiscounted():
    assert payback.npv(np.array([-100.0]), 0.10) == pytest.approx(-100.0)
    assert payback.npv(np.array([0.0, 110.0]), 0.10) == pytest.approx(100.0)
    # -100 + 60/1.1 + 60/1.21 = 4.1322...
    assert payback.npv(np.array([-100.0, 60.0, 60.0]), 0.10) == pytest.approx(
        -100 + 60 / 1.1 + 60 / 1.21
    )


def test_npv_vectorized_rows_with_their_own_rates():
    flows = np.array([[-100.0, 60.0, 60.0], [-50.0, 0.0, 121.0]])
    result = payback.npv(flows, np.array([0.10, 0.10]))
    assert result == pytest.approx([-100 + 60 / 1.1 + 60 / 1.21, -50 + 100.0])


def test_irr_hand_computed():
    # -100 + 60x + 60x^2 = 0 with x = 1/(1+r): x = (-60 + sqrt(60^2 + 4*60*100)) / 120
    x = (-60 + math.sqrt(3600 + 24000)) / 120
    assert payback.irr([-100, 60, 60]) == pytest.approx(1 / x - 1, rel=1e-9)
    assert payback.irr([-100, 110]) == pytest.approx(0.10)
    rate = payback.irr([-100, 30, 40, 50])
    assert payback.npv(np.array([-100.0, 30, 40, 50]), rate) == pytest.approx(0, abs=1e-8)


def test_irr_without_sign_change_is_nan():
    assert math.isnan(payback.irr([100, 10, 10]))
    assert math.isnan(payback.irr([-100, -10]))
    with pytest.raises(ValueError, match="at least 2 flows"):
        payback.irr([5])


def test_discounted_payback_interpolates_inside_the_year():
    assert payback.discounted_payback(np.array([-100.0, 40, 40, 40]), 0.0) == pytest.approx(2.5)
    assert payback.discounted_payback(np.array([-100.0, 50, 50, 50]), 0.0) == pytest.approx(2.0)
    # at 10%: cumulative -45.45 after year 1; year 2 brings 49.59 -> 1 + 45.45/49.59
    expected = 1 + (100 - 60 / 1.1) / (60 / 1.21)
    assert payback.discounted_payback(np.array([-100.0, 60, 60]), 0.10) == pytest.approx(expected)


def test_discounted_payback_never_is_inf_and_labelled():
    # undiscounted it pays back at 2.5 years; at 10% the cumulative is still -0.53 after 3
    years = payback.discounted_payback(np.array([-100.0, 40, 40, 40]), 0.10)
    assert years == math.inf
    assert payback.payback_label(years) == "never within the horizon"
    assert payback.payback_label(float("nan")) == "never within the horizon"
    assert payback.payback_label(2.345) == "2.3 years"


def test_discounted_payback_counts_the_last_time_it_turns_positive():
    # cumulative -100, 50, -30, 70: recovered for good during year 3
    assert payback.discounted_payback(np.array([-100.0, 150, -80, 100]), 0.0) == pytest.approx(2.3)
    # ends negative: never, even though it was positive for a while
    assert payback.discounted_payback(np.array([-100.0, 150, -100, 10]), 0.0) == math.inf
    assert payback.discounted_payback(np.array([10.0, 10.0]), 0.05) == 0.0


def test_discounted_payback_vectorized_equals_row_by_row():
    rng = np.random.default_rng(3)
    flows = np.concatenate([-rng.uniform(50, 150, (200, 1)), rng.normal(20, 25, (200, 8))], axis=1)
    rates = rng.uniform(0, 0.2, 200)
    vectorized = payback.discounted_payback(flows, rates)
    one_by_one = [payback.discounted_payback(f, r) for f, r in zip(flows, rates, strict=True)]
    np.testing.assert_array_equal(vectorized, one_by_one)
    assert np.isinf(vectorized).any() and np.isfinite(vectorized).any()


@pytest.mark.parametrize("rate", [-1.0, -1.5])
def test_discount_rate_at_or_below_minus_100_pct_is_refused(rate):
    with pytest.raises(ValueError, match="above -100%"):
        payback.npv(np.array([-1.0, 2.0]), rate)


# ---------------------------------------------------------------------------------------------
# Uncertain inputs and sampling


def test_distribution_with_min_above_max_is_refused():
    with pytest.raises(ValueError, match=r"europe_volume_growth_pct: min 40 is above max 10"):
        Uncertain("europe_volume_growth_pct", 40, 20, 10)
    with pytest.raises(ValueError, match="mode 50 is outside"):
        Uncertain("x", 0, 50, 10)
    with pytest.raises(ValueError, match="unknown distribution 'normal'"):
        Uncertain("x", 0, 1, 2, kind="normal")
    with pytest.raises(ValueError, match=r"expected \[min, mode, max\] \(3 numbers\)"):
        Uncertain.from_parameter("x", [1.0, 2.0], "triangular")


def test_triangular_quantiles_and_sample_moments_recover_the_truth():
    item = Uncertain("x", 2.0, 5.0, 14.0)
    assert item.quantile(0.0) == pytest.approx(2.0)
    assert item.quantile(1.0) == pytest.approx(14.0)
    assert item.quantile(3 / 12) == pytest.approx(5.0)  # the CDF at the mode is (c-a)/(b-a)
    draws = payback.sample({"x": item}, 200_000, seed=1)["x"]
    assert draws.mean() == pytest.approx((2 + 5 + 14) / 3, rel=0.005)
    uniform = Uncertain("u", 2.0, 5.0, 14.0, kind="uniform")
    draws = payback.sample({"u": uniform}, 200_000, seed=1)["u"]
    assert draws.mean() == pytest.approx(8.0, rel=0.005)
    assert draws.min() >= 2 and draws.max() <= 14


def test_sampling_is_seeded():
    scenario = {"a": Uncertain("a", 0, 1, 3), "b": Uncertain("b", 5, 6, 9), "c": Uncertain.fixed("c", 2)}  # fmt: skip
    first, again = payback.sample(scenario, 1000, 7), payback.sample(scenario, 1000, 7)
    other = payback.sample(scenario, 1000, 8)
    np.testing.assert_array_equal(first["a"], again["a"])
    np.testing.assert_array_equal(first["b"], again["b"])
    assert not np.array_equal(first["a"], other["a"])
    assert first["c"] == 2


# ---------------------------------------------------------------------------------------------
# Volume ramp, plant schedule, input checks


def test_volume_ramp_grows_then_hits_the_ceiling():
    ramp = payback.volume_ramp(100.0, 50.0, 300.0, 4)
    np.testing.assert_allclose(ramp, [100, 150, 225, 300])


def test_negative_volume_and_ceiling_below_start_are_refused():
    with pytest.raises(ValueError, match="europe_volume_start_units must be >= 0"):
        payback.volume_ramp(-5.0, 10.0, 100.0, 3)
    with pytest.raises(ValueError, match="sea_volume_ceiling_units .* is below sea_volume_start_units"):  # fmt: skip
        payback.volume_ramp(500.0, 10.0, 100.0, 3, market="sea")


def test_plant_schedule_prorates_the_first_year_and_places_capex():
    timeline = Timeline(2026, 3)
    active, capex = payback.plant_schedule("2026-08", timeline)
    np.testing.assert_allclose(active, [5 / 12, 1, 1])
    assert capex == 0
    active, capex = payback.plant_schedule("2028-01", timeline)
    np.testing.assert_allclose(active, [0, 0, 1])
    assert capex == 2
    assert payback.plant_schedule("2031-01", timeline)[1] is None
    with pytest.raises(ValueError, match="YYYY-MM"):
        payback.plant_schedule("August 2026", timeline)


def test_negative_price_is_refused_with_its_name():
    with pytest.raises(ValueError, match="europe_price_eur must be >= 0"):
        payback.validate_inputs({"europe_price_eur": np.array([1.0, -3.0])})


def test_timeline_needs_a_positive_horizon():
    with pytest.raises(ValueError, match="horizon_years must be a whole number >= 1"):
        Timeline(2026, 0)


# ---------------------------------------------------------------------------------------------
# The cash-flow model


def simple_values(**changes) -> dict:
    """A small case every number of which can be followed by hand (see the test below)."""
    values = {
        "discount_rate_pct": 0.0, "rmb_per_eur": 1.0, "rmb_per_usd": 1.0,
        "price_china_rmb": 113.0, "china_discount_pct": 0.0, "china_vat_pct": 13.0,
        "china_margin_pct": 20.0, "factory_margin_pct": 20.0, "unit_cost_change_pct": 0.0,
        "maker_share_pct": 100.0,
        "europe_price_eur": 240.0, "europe_price_realization_pct": 0.0,
        "europe_sales_tax_pct": 20.0, "europe_dealer_margin_pct": 10.0,
        "europe_logistics_eur": 10.0, "europe_cvd_pct": 10.0, "europe_mfn_duty_pct": 0.0,
        "europe_kit_duty_pct": 0.0, "europe_kit_logistics_pct": 50.0, "europe_assembly_eur": 5.0,
        "europe_plant_capacity_units": 0.0, "europe_plant_start": "2030-01",
        "europe_plant_capex_rmb_mn": 0.0, "europe_entry_investment_eur_mn": 0.1,
        "europe_outlets": 0, "europe_outlet_cost_eur_k": 0.0, "europe_marketing_eur_mn": 0.02,
        "europe_volume_start_units": 1000.0, "europe_volume_growth_pct": 0.0,
        "europe_volume_ceiling_units": 1000.0, "europe_risk_premium_pct": 0.0,
    }  # fmt: skip
    values.update(changes)
    return values


def test_cash_flows_hand_computed_case():
    # China: revenue 113/1.13 = 100, cost 80, venture pays 80/0.8 = 100.
    # Europe: 240/1.2 = 200, dealer 10% -> 180; freight 10; duty 10% of (100 + 10) = 11 -> 59 a car.
    # Yearly: 1000 x 59 = RMB 0.059 mn - 0.02 fixed = 0.039; t = 0: -0.1 entry.
    timeline = Timeline(2026, 3)
    export = payback.strategy("export")
    car = payback.unit_economics(simple_values(), "europe", local=False)
    assert float(car["contribution"]) == pytest.approx(59.0)
    assert float(car["maker_margin"]) == pytest.approx(20.0)
    flows = payback.cash_flows(simple_values(), export, timeline)
    np.testing.assert_allclose(flows.maker[0], [-0.1, 0.039, 0.039, 0.039])
    assert payback.npv(flows.maker, flows.rate)[0] == pytest.approx(0.017)
    assert payback.discounted_payback(flows.maker, flows.rate)[0] == pytest.approx(
        2 + (0.1 - 0.078) / 0.039
    )
    with_margin = payback.cash_flows(simple_values(), export, timeline, include_factory_margin=True)
    np.testing.assert_allclose(with_margin.maker[0, 1:], 0.039 + 1000 * 20 / 1e6)
    half = payback.cash_flows(simple_values(maker_share_pct=50.0), export, timeline)
    np.testing.assert_allclose(half.maker, flows.maker / 2)


def test_local_assembly_replaces_tariffs_up_to_capacity():
    # kit: freight 5, no duty, assembly 5 -> 180 - 100 - 5 - 5 = 70 a car, 11 more than exported
    values = simple_values(europe_plant_capacity_units=600.0, europe_plant_start="2026-07", europe_plant_capex_rmb_mn=0.01)  # fmt: skip
    flows = payback.cash_flows(values, payback.strategy("spain"), Timeline(2026, 2))
    np.testing.assert_allclose(flows.local_units[0], [0, 300, 600])
    np.testing.assert_allclose(flows.investment[0], [0.11, 0, 0])
    np.testing.assert_allclose(flows.contribution[0, 1:], [(700 * 59 + 300 * 70) / 1e6, (400 * 59 + 600 * 70) / 1e6])  # fmt: skip


def reference_flows(draw: dict, strategy: Strategy, timeline: Timeline, factory: bool) -> list:
    """The model restated one draw and one year at a time, for the equivalence test."""
    m, fx = strategy.market, draw["rmb_per_eur"]
    china = draw["price_china_rmb"] * (1 - draw["china_discount_pct"] / 100) / (1 + draw["china_vat_pct"] / 100)  # fmt: skip
    cost = china * (1 - draw["china_margin_pct"] / 100) * (1 + draw["unit_cost_change_pct"] / 100)
    paid = cost / (1 - draw["factory_margin_pct"] / 100)
    if m == "europe":
        listed, duties = draw["europe_price_eur"] * fx, draw["europe_cvd_pct"] + draw["europe_mfn_duty_pct"]  # fmt: skip
    else:
        listed = draw["price_china_rmb"] * draw["sea_price_vs_china_pct"] / 100
        duties = draw["sea_import_duty_pct"] + draw["sea_excise_pct"]
    revenue = listed * (1 + draw[f"{m}_price_realization_pct"] / 100) / (1 + draw[f"{m}_sales_tax_pct"] / 100)  # fmt: skip
    revenue *= 1 - draw[f"{m}_dealer_margin_pct"] / 100

    def per_car(local: bool) -> float:
        freight = draw[f"{m}_logistics_eur"] * fx * (draw[f"{m}_kit_logistics_pct"] / 100 if local else 1)  # fmt: skip
        duty = (draw[f"{m}_kit_duty_pct"] if local else duties) / 100 * (paid + freight)
        return revenue - paid - freight - duty - (draw[f"{m}_assembly_eur"] * fx if local else 0)

    plant_year, plant_month = (int(x) for x in draw[f"{m}_plant_start"].split("-"))
    fixed = (draw[f"{m}_outlets"] * draw[f"{m}_outlet_cost_eur_k"] / 1000 + draw[f"{m}_marketing_eur_mn"]) * fx  # fmt: skip
    share = draw["maker_share_pct"] / 100
    flows = [-share * draw[f"{m}_entry_investment_eur_mn"] * fx]
    for k in range(1, timeline.horizon_years + 1):
        year = timeline.start_year + k - 1
        volume = min(draw[f"{m}_volume_ceiling_units"], draw[f"{m}_volume_start_units"] * (1 + draw[f"{m}_volume_growth_pct"] / 100) ** (k - 1))  # fmt: skip
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


@pytest.fixture(scope="module")
def setup():
    return payback.resolve(default_parameters(), frozen_tables())


def default_parameters(**changes) -> dict:
    parameters = {
        "maker": "leapmotor", "car_model": "b10", "start_year": 2026, "horizon_years": 10,
        "include_factory_margin": False, "n_sims": 1000, "seed": 11, "distribution": "triangular",
        "discount_rate_pct": 9.0, "price_china_rmb": -1, "china_discount_pct": -1,
        "china_vat_pct": 13.0, "china_margin_pct": -1, "factory_margin_pct": -1,
        "unit_cost_change_pct": [0.0, 10.0, 40.0], "maker_share_pct": -1,
        "rmb_per_eur": [7.4, 7.9, 8.4], "rmb_per_usd": 7.2, "europe_price_eur": -1,
        "europe_price_realization_pct": [-20.0, -10.0, 0.0], "europe_sales_tax_pct": 20.0,
        "europe_dealer_margin_pct": [8.0, 10.0, 14.0], "europe_logistics_eur": [1000.0, 1500.0, 2500.0],
        "europe_cvd_pct": -1, "europe_mfn_duty_pct": -1, "europe_kit_duty_pct": 4.5,
        "europe_kit_logistics_pct": 70.0, "europe_assembly_eur": [400.0, 700.0, 1000.0],
        "europe_plant_capacity_units": -1, "europe_plant_start": "", "europe_plant_capex_rmb_mn": -1,
        "europe_entry_investment_eur_mn": [100.0, 250.0, 400.0], "europe_outlets": 1600,
        "europe_outlet_cost_eur_k": [15.0, 30.0, 45.0], "europe_marketing_eur_mn": [40.0, 80.0, 120.0],
        "europe_volume_start_units": [50_000.0, 80_000.0, 120_000.0],
        "europe_volume_growth_pct": [5.0, 20.0, 40.0],
        "europe_volume_ceiling_units": [150_000.0, 250_000.0, 400_000.0],
        "europe_risk_premium_pct": 1.0, "sea_price_vs_china_pct": [110.0, 130.0, 150.0],
        "sea_price_realization_pct": [-15.0, -5.0, 0.0], "sea_sales_tax_pct": -1,
        "sea_dealer_margin_pct": [6.0, 8.0, 12.0], "sea_logistics_eur": [400.0, 700.0, 1200.0],
        "sea_import_duty_pct": -1, "sea_excise_pct": -1, "sea_kit_duty_pct": -1,
        "sea_kit_logistics_pct": 70.0, "sea_assembly_eur": [200.0, 400.0, 700.0],
        "sea_plant_capacity_units": 20_000.0, "sea_plant_start": "", "sea_plant_capex_rmb_mn": -1,
        "sea_entry_investment_eur_mn": [10.0, 25.0, 50.0], "sea_outlets": 100,
        "sea_outlet_cost_eur_k": [10.0, 20.0, 30.0], "sea_marketing_eur_mn": [3.0, 6.0, 10.0],
        "sea_volume_start_units": [2000.0, 5000.0, 10_000.0], "sea_volume_growth_pct": [10.0, 30.0, 50.0],
        "sea_volume_ceiling_units": [20_000.0, 40_000.0, 60_000.0], "sea_risk_premium_pct": 3.0,
    }  # fmt: skip
    parameters.update(changes)
    return parameters


@pytest.mark.parametrize("factory", [False, True])
@pytest.mark.parametrize("slug", ["export", "spain", "sea"])
def test_vectorized_simulation_equals_slow_reference_loop(setup, slug, factory):
    chosen = payback.strategy(slug)
    values = payback.sample(setup.scenario, 60, seed=5)
    flows = payback.cash_flows(values, chosen, setup.timeline, include_factory_margin=factory)
    npvs = payback.npv(flows.maker, flows.rate)
    years = payback.discounted_payback(flows.maker, flows.rate)
    for i in range(60):
        draw = {k: (v[i] if isinstance(v, np.ndarray) else v) for k, v in values.items()}
        expected = reference_flows(draw, chosen, setup.timeline, factory)
        np.testing.assert_allclose(flows.maker[i], expected, rtol=1e-10, atol=1e-9)
        rate = (draw["discount_rate_pct"] + draw[f"{chosen.market}_risk_premium_pct"]) / 100
        ref_npv, ref_years = reference_npv_payback(expected, rate)
        assert npvs[i] == pytest.approx(ref_npv, rel=1e-10, abs=1e-9)
        assert years[i] == pytest.approx(ref_years, rel=1e-10) or (years[i] == ref_years == math.inf)  # fmt: skip


def test_simulation_is_seeded_and_reproducible(setup):
    first = payback.simulate(setup.scenario, setup.timeline, 2000, seed=42)
    again = payback.simulate(setup.scenario, setup.timeline, 2000, seed=42)
    other = payback.simulate(setup.scenario, setup.timeline, 2000, seed=43)
    for slug in ("export", "spain", "sea"):
        np.testing.assert_array_equal(first.npv[slug], again.npv[slug])
        np.testing.assert_array_equal(first.payback[slug], again.payback[slug])
        assert not np.array_equal(first.npv[slug], other.npv[slug])
    summary = first.summary()
    assert ((summary["p_npv_negative"] >= 0) & (summary["p_npv_negative"] <= 1)).all()
    assert (summary["p_payback_5y"] <= summary["p_payback_8y"]).all()
    assert (summary["npv_p10"] <= summary["median_npv"]).all()


def test_summary_reports_never_when_most_draws_never_pay_back():
    npvs = np.array([-5.0, -4.0, -3.0, 1.0, 2.0])
    years = np.array([np.inf, np.inf, np.inf, 3.0, 6.0])
    summary = payback.summarize(npvs, years)
    assert summary.median_payback == math.inf
    assert summary.p_payback_5y == pytest.approx(0.2)
    assert summary.p_payback_8y == pytest.approx(0.4)
    assert summary.p_npv_negative == pytest.approx(0.6)
    assert payback.payback_label(summary.median_payback) == "never within the horizon"


def test_base_case_npv_irr_payback_are_consistent(setup):
    table = payback.base_case(setup.scenario, setup.timeline).summary()
    for slug, row in table.iterrows():
        if math.isfinite(row["irr_pct"]):
            # NPV is positive exactly when the IRR beats the discount rate (one sign change)
            assert (row["npv_rmb_mn"] > 0) == (row["irr_pct"] > row["discount_rate_pct"]), slug
    assert table.loc["sea", "discount_rate_pct"] == pytest.approx(12.0)


def test_tornado_sorted_relevant_and_signed(setup):
    export = payback.tornado(setup.scenario, payback.strategy("export"), setup.timeline)
    assert list(export["swing"]) == sorted(export["swing"], reverse=True)
    assert not export["input"].str.startswith("sea_").any()
    assert "europe_assembly_eur" not in set(export["input"])  # no plant when exporting
    price = export.set_index("input").loc["europe_price_realization_pct"]
    assert price["npv_at_high"] > price["npv_at_low"]
    spain = payback.tornado(setup.scenario, payback.strategy("spain"), setup.timeline)
    assert "europe_assembly_eur" in set(spain["input"])


# ---------------------------------------------------------------------------------------------
# Parameters: sourced defaults per maker, bad input


def test_sourced_defaults_for_leapmotor(setup):
    scenario = setup.scenario
    assert scenario["europe_cvd_pct"].mode == pytest.approx(20.7)
    assert scenario["europe_mfn_duty_pct"].mode == pytest.approx(10.0)
    assert scenario["maker_share_pct"].mode == pytest.approx(49.0)
    assert scenario["europe_plant_capacity_units"].mode == pytest.approx(40_000)
    assert scenario["europe_plant_start"] == "2026-08"
    assert scenario["price_china_rmb"].mode == pytest.approx(99_800)
    assert scenario["europe_price_eur"].mode == pytest.approx(26_900)
    table = setup.assumptions_table()
    assert table.loc["europe_cvd_pct", "source"].startswith("https://")
    assert table.loc["europe_logistics_eur", "origin"] == "assumption (no source)"


def test_another_makers_inputs():
    tables = frozen_tables()
    byd = payback.resolve(default_parameters(maker="byd"), tables)
    assert byd.scenario["europe_cvd_pct"].mode == pytest.approx(17.0)
    assert byd.scenario["maker_share_pct"].mode == pytest.approx(100.0)
    assert "assumption" in byd.resolved["maker_share_pct"].origin
    tesla = payback.resolve(default_parameters(maker="Tesla"), tables)  # company names work too
    assert tesla.maker == "tesla_china" and tesla.scenario["europe_cvd_pct"].mode == pytest.approx(7.8)  # fmt: skip
    aito = payback.resolve(default_parameters(maker="aito_hima"), tables)  # no financials: peers
    assert "median of the peers" in aito.resolved["china_margin_pct"].origin
    scenario_duty = payback.resolve(default_parameters(europe_cvd_pct=17.0), tables)
    assert scenario_duty.scenario["europe_cvd_pct"].mode == pytest.approx(17.0)
    assert scenario_duty.resolved["europe_cvd_pct"].origin.startswith("scenario value")


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"maker": "tata"}, ValueError, "unknown maker 'tata'; known makers: aito_hima, byd"),
        (
            {"car_model": "x9"},
            ValueError,
            "unknown car_model 'x9'; cars with sourced Europe and China prices: b05, b10, c10, t03",
        ),  # fmt: skip
        ({"europe_volume_growth_pct": [40.0, 20.0, 10.0]}, ValueError, "min 40 is above max 10"),
        (
            {"europe_volume_start_units": [-10.0, 5.0, 10.0]},
            ValueError,
            "europe_volume_start_units must be >= 0",
        ),  # fmt: skip
        ({"europe_price_eur": -500.0}, ValueError, "europe_price_eur must be >= 0"),
        ({"discount_rate_pct": -101.0}, ValueError, "above -100%"),
        (
            {"sea_volume_ceiling_units": [5000.0, 40_000.0, 60_000.0]},
            ValueError,
            "sea_volume_ceiling_units min 5,000 is below sea_volume_start_units max 10,000",
        ),  # fmt: skip
        (
            {"europe_plant_start": "next year"},
            ValueError,
            "europe_plant_start must be a month as YYYY-MM",
        ),  # fmt: skip
        (
            {"distribution": "normal"},
            ValueError,
            "distribution must be one of triangular, uniform",
        ),  # fmt: skip
        ({"china_vat_pct": -1}, ValueError, "china_vat_pct has no sourced default"),
        ({"horizon_years": 0}, ValueError, "horizon_years must be a whole number >= 1"),
        (
            {"europe_dealer_margin_pct": [8.0, 10.0, 120.0]},
            ValueError,
            "europe_dealer_margin_pct must be below 100%",
        ),  # fmt: skip
    ],
)
def test_bad_parameters_fail_with_a_clear_message(changes, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        payback.resolve(default_parameters(**changes), frozen_tables())


def test_missing_or_unknown_parameters_are_named():
    parameters = default_parameters()
    del parameters["seed"]
    with pytest.raises(KeyError, match="missing parameter"):
        payback.resolve(parameters, frozen_tables())
    with pytest.raises(KeyError, match="unknown parameter.*tariff_pct"):
        payback.resolve(default_parameters(tariff_pct=3.0), frozen_tables())


def test_known_facts_hold_tariffs_deal_and_volumes():
    facts = payback.known_facts("leapmotor", frozen_tables())
    topics = set(facts.index.get_level_values("topic"))
    assert {"tariffs", "deal terms and broker views", "prices Europe vs China", "local assembly"} <= topics  # fmt: skip
    assert facts["source"].str.startswith("http").all()
    assert any("overseas deliveries" in fact for fact in facts.index.get_level_values("fact"))


def test_unit_economics_waterfall_closes(setup):
    table = payback.unit_economics_table(payback.base_values(setup.scenario))
    # the list price less every deduction is the contribution, in each column
    deductions = table.drop(index=["List price", "Contribution"]).sum()
    np.testing.assert_allclose(table.loc["List price"] + deductions, table.loc["Contribution"])
    assert table.loc["Tariffs", "Europe, exported"] < table.loc["Tariffs", "Europe, assembled locally"] < 0  # fmt: skip


def test_probability_label_never_rounds_a_small_risk_to_zero():
    assert payback.probability_label(0.421) == "42%"
    assert payback.probability_label(0.001) == "under 1%"


def test_uniform_distributions_run_end_to_end():
    setup = payback.resolve(default_parameters(distribution="uniform"), frozen_tables())
    assert setup.scenario["europe_volume_growth_pct"].kind == "uniform"
    simulation = payback.simulate(setup.scenario, setup.timeline, 2000, seed=1)
    growth = payback.sample(setup.scenario, 2000, seed=1)["europe_volume_growth_pct"]
    assert growth.mean() == pytest.approx((5 + 40) / 2, rel=0.05)  # uniform ignores the mode
    assert set(simulation.summary().index) == {"export", "spain", "sea"}


def test_discount_rate_itself_at_minus_100_pct_is_refused():
    with pytest.raises(ValueError, match="discount_rate_pct must be above -100%"):
        payback.resolve(default_parameters(discount_rate_pct=-100.0), frozen_tables())
