"""lib.margins.inputs: the maker resolved, parameters checked against the data, missing data said
plainly, each value from the data with its origin."""

from __future__ import annotations

import pandas as pd
import pytest

from lib import data, makers
from lib.errors import BadParameter
from lib.margins import Params, inputs, panel
from tests.conftest import FROZEN_DATA


@pytest.fixture(scope="module")
def leapmotor() -> inputs.Inputs:
    return inputs.load(Params(), FROZEN_DATA)


def _load(data_dir=FROZEN_DATA, **values) -> inputs.Inputs:
    return inputs.load(Params(**values), data_dir)


def test_the_default_maker_starts_from_its_latest_usable_quarter(leapmotor):
    assert leapmotor.company == makers.get("leapmotor", FROZEN_DATA).company == "Leapmotor"
    assert leapmotor.start == pd.Period("2025Q4", "Q")
    assert leapmotor.base == pd.Period("2024Q4", "Q")
    assert leapmotor.peers == ["BYD", "Li Auto", "NIO", "Tesla", "XPeng", "Xiaomi EV"]
    assert list(leapmotor.compared)[0] == "Leapmotor"
    assert leapmotor.fixed_cost_share_pct is None and leapmotor.learning_rate_pct is None


def test_a_maker_without_financials_is_missing_data():
    with pytest.raises(
        makers.MissingData, match=r"AITO / HIMA has no financials in financials_quarterly.csv"
    ):
        _load(maker="aito_hima")


def test_a_maker_without_a_usable_gross_margin_is_missing_data(data_copy):
    path = data_copy / "financials_quarterly.csv"
    lines = path.read_text().splitlines(keepends=True)
    kept = [
        line
        for line in lines
        if not (line.startswith("XPeng,") and ("margin" in line or "gross_profit" in line))
    ]
    assert len(kept) < len(lines)
    path.write_text("".join(kept))
    with pytest.raises(
        makers.MissingData,
        match=r"XPeng has 0 quarter\(s\) with revenue, deliveries and gross margin",
    ):
        _load(data_copy, maker="xpeng")


def test_unknown_maker_and_peers_are_clear_errors():
    with pytest.raises(makers.UnknownMaker, match="unknown maker 'leap': did you mean leapmotor"):
        _load(maker="leap")
    with pytest.raises(ValueError, match=r"peers: unknown company 'Nio'"):
        _load(peers="XPeng, Nio")


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"start_quarter": "2019Q2"}, "start_quarter: no data for Leapmotor in 2019Q2"),
        ({"start_quarter": "Q4 2025"}, "start_quarter: 'Q4 2025' is not a quarter"),
        ({"bridge_base_quarter": "2025Q4"}, "bridge_base_quarter: 2025Q4 must come before"),
    ],
)
def test_parameters_the_data_cannot_serve_are_bad_parameters(parameters, message):
    with pytest.raises(BadParameter, match=message):
        _load(**parameters)


def test_peers_keep_their_order_and_drop_the_maker_and_repeats():
    financials = data.load_financials(FROZEN_DATA)
    assert inputs.parse_peers(financials, "XPeng", "NIO, XPeng, Li Auto, NIO") == ["NIO", "Li Auto"]


def test_events_come_from_the_data_file_numbered_within_the_charts_quarters(leapmotor):
    events = data.load_price_war_events(FROZEN_DATA)
    assert leapmotor.events["event"].tolist() == events["event"].tolist()  # all within 2023-2026
    assert leapmotor.events["number"].tolist() == list(range(1, len(events) + 1))
    window = inputs.events_between(events, pd.Period("2025Q1", "Q"), pd.Period("2025Q4", "Q"))
    assert window["number"].tolist() == [1, 2, 3, 4]
    assert (window["date"].dt.year == 2025).all()


def test_charts_mark_events_from_the_price_war_start_on(data_copy):
    path = data_copy / "price_war_events.csv"
    early = (
        "2022-10-24,tesla_china,price cut,earlier cut,9,stated,https://example.org/early,test row\n"
    )
    path.write_text(path.read_text() + early)
    loaded = _load(data_copy)
    assert "earlier cut" not in set(loaded.events["event"])  # 2022Q4 is before PRICE_WAR_START
    assert loaded.events["date"].min() >= inputs.PRICE_WAR_START.start_time


def test_battery_labels_follow_the_row_name_not_its_position(leapmotor):
    rates = leapmotor.battery_rates.set_index("name")
    assert (
        rates.loc["margins_battery_learning_rate_storage_pct", "label"]
        == "battery storage (Kittner et al.)"
    )
    assert rates.loc["margins_battery_learning_rate_cells_pct", "rate"] == pytest.approx(0.20)
    renamed = pd.DataFrame(
        {"value": [30.0]}, index=pd.Index(["margins_battery_learning_rate_new_pct"], name="name")
    )
    assert inputs.battery_rates(renamed)["label"].tolist() == [
        "margins_battery_learning_rate_new_pct"
    ]


def test_industry_rows_carry_their_year(leapmotor):
    industry = leapmotor.industry_margins
    assert industry["year"].is_monotonic_increasing
    assert industry.loc[industry["year"] == 2017, "value"].iloc[0] == pytest.approx(7.8)


def test_every_event_in_the_live_data_is_sourced_and_names_a_known_maker():
    events = data.load_price_war_events()
    known = set(makers.registry())
    assert events["source_url"].str.match(r"^https?://").all()
    assert set(events["maker"].dropna()) <= known
    assert events["date"].is_monotonic_increasing


def test_the_default_target_is_the_stated_one_else_last_year_else_todays_scale(leapmotor):
    assert leapmotor.target_volume_units == 1_000_000
    assert leapmotor.target_origin == (
        "Leapmotor's stated 2026 target, row leapmotor_target_2026_units"
    )
    xpeng = _load(maker="xpeng")  # no stated target: its deliveries of 2025
    assert xpeng.target_origin == "XPeng's deliveries in 2025, as no 2026 target is stated"
    xiaomi = _load(maker="xiaomi")  # no target, 2025 incomplete
    volume, _ = panel.annual_volume(xiaomi.panel, xiaomi.start)
    assert xiaomi.target_volume_units == round(volume)
    assert "no stated 2026 target and no complete 2025" in xiaomi.target_origin
    assert _load(target_volume_units=600_000).target_origin == "set by the analyst"


def test_a_series_of_other_vehicles_than_the_financials_is_labelled_and_not_mixed():
    """Tesla China's monthly series is one plant's; its company's financials are global: the
    target is then the company's own volume, never the series' total set against its costs."""
    tesla = _load(maker="tesla_china")
    scope = tesla.scope
    assert scope is not None and scope.wider and scope.year == 2025
    assert scope.company_units > 1.5 * scope.series_units
    volume, _ = panel.annual_volume(tesla.panel, tesla.start)
    assert tesla.target_volume_units == round(volume)
    assert (
        "in the scope of its financials, not of Tesla China's monthly series" in tesla.target_origin
    )
    assert _load(maker="leapmotor").scope is None  # the same vehicles: no label


def test_the_scope_compares_only_complete_years(data_copy):
    """A year the series has only in part says nothing about what the financials count."""
    path = data_copy / "deliveries_monthly.csv"
    lines = path.read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("tesla_china,2025-")]
    path.write_text(
        "".join(kept + [line for line in lines if line.startswith("tesla_china,2025-01")])
    )
    loaded = _load(data_copy, maker="tesla_china")
    assert loaded.scope is None or loaded.scope.year != 2025
