"""lib.sales.params and lib.sales.inputs: parameters refused with a message naming them (the
ranges by `Params`, what the data rule out by `load`), the sourced defaults resolved (-1: the
stated target, the first open year), the maker resolved in the registry (MissingData when it has
no deliveries), the target's scope, the target's arithmetic and reported totals.

Figures from the data (cutoff 2026-06, first months) are those of the frozen test data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib import data, makers
from lib.errors import BadParameter
from lib.sales import Params, inputs
from tests.conftest import FROZEN_DATA


@pytest.fixture(scope="module")
def deliveries():
    return data.load_deliveries(FROZEN_DATA)


def monthly(start: str, values) -> pd.Series:
    index = pd.period_range(start, periods=len(values), freq="M")
    return pd.Series(np.asarray(values, dtype=float), index=index, name="synthetic")


def load(data_dir=FROZEN_DATA, **overrides) -> inputs.Inputs:
    arguments = dict(target_units=1_000_000, target_year=2026, n_paths=1000, seed=1)
    return inputs.load(Params(**{**arguments, **overrides}), data_dir)


def validate(deliveries, **overrides):
    return load(**overrides).settings


def test_defaults_resolve_to_the_latest_month(deliveries):
    settings = validate(deliveries)
    assert settings.cutoff == pd.Period("2026-06", freq="M")
    assert validate(deliveries, data_through="2024-12").cutoff == pd.Period("2024-12", freq="M")


def test_sourced_defaults_resolve_to_the_stated_target_and_the_first_open_year():
    loaded = inputs.load(Params(), FROZEN_DATA)
    assert loaded.settings.target_year == 2026  # data to 2026-06: 2026 is not complete
    assert loaded.settings.target_units == 1_000_000 and loaded.target_basis == "stated"
    assert loaded.target_is_stated and loaded.target_scope == "series"
    at_december = inputs.load(Params(data_through="2025-12"), FROZEN_DATA)
    assert at_december.settings.target_year == 2026  # December closes 2025


def test_a_maker_without_a_stated_target_is_tested_against_last_year():
    loaded = inputs.load(Params(maker="xpeng"), FROZEN_DATA)
    assert loaded.target_basis == "last_year" and not loaded.target_is_stated
    assert loaded.target_scope == ""


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"maker": "tesla"},
            r"unknown maker 'tesla': did you mean tesla_china\? known makers: aito_hima",
        ),
        ({"target_units": 0}, r"target_units: value 0 is out of range"),
        ({"target_units": -5}, r"target_units: value -5 is out of range"),
        ({"target_year": 0}, r"target_year: value 0 is out of range"),
        ({"data_through": "2025-13"}, r"data_through must be a month as YYYY-MM.*got '2025-13'"),
        ({"data_through": "June 2025"}, r"data_through must be a month as YYYY-MM"),
        (
            {"data_through": "2030-01"},
            r"data_through 2030-01 is after the latest month in the data \(2026-06\)",
        ),
        (
            {"data_through": "2010-01"},
            r"data_through 2010-01 is before the first month in the data",
        ),
        (
            {"target_year": 2019},
            r"target_year 2019 is before the data: leapmotor deliveries start in 2020-09",
        ),
        (
            {"target_year": 2030},
            r"target_year 2030 is 54 months after the data cutoff 2026-06.*at most 36",
        ),
        (
            {"maker": "xiaomi", "data_through": "2023-06"},
            r"maker 'xiaomi' has no deliveries up to data_through 2023-06",
        ),
        ({"n_paths": 10}, r"n_paths: value 10 is out of range"),
        ({"backtest_paths": 99}, r"backtest_paths: value 99 is out of range"),
        (
            {"weighting": "median"},
            r"weighting: expected one of inverse_error, equal, best; got 'median'",
        ),
        ({"seed": -1}, r"seed: value -1 is out of range"),
    ],
)
def test_bad_parameters_fail_with_a_message_naming_them(deliveries, overrides, message):
    with pytest.raises(ValueError, match=message) as raised:
        validate(deliveries, **overrides)
    if "maker" not in overrides or "data_through" in overrides:
        assert isinstance(raised.value, BadParameter)  # exit 2


def test_inputs_resolve_the_maker_in_the_registry():
    loaded = load(maker="tesla_china", target_units=900_000)
    assert loaded.name == "Tesla China" and loaded.maker.company == "Tesla"
    assert loaded.series.name == "tesla_china"
    assert loaded.series.index[-1] <= loaded.settings.cutoff
    assert loaded.stated_target is None and not loaded.target_is_stated
    assert loaded.display_name("aito_hima") == "AITO / HIMA"
    assert loaded.display_name("not_a_maker") == "not_a_maker"


def test_a_stated_target_is_recognised_only_at_its_own_value():
    stated = load()
    assert stated.target_is_stated and stated.internal_target.value == 1_050_000
    other = load(target_units=900_000)
    assert other.stated_target.value == 1_000_000 and not other.target_is_stated


def test_an_unknown_maker_lists_the_registry():
    with pytest.raises(makers.UnknownMaker, match="did you mean tesla_china"):
        load(maker="tesla", target_units=1)


def test_a_registered_maker_without_deliveries_is_missing_data(data_copy):
    path = data_copy / "deliveries_monthly.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame[frame["brand"] != "aito_hima"].to_csv(path, index=False)
    with pytest.raises(
        makers.MissingData, match="AITO / HIMA has no monthly deliveries in deliveries_monthly.csv"
    ):
        load(data_copy, maker="aito_hima", target_units=1)


# ---------------------------------------------------------------------------------------------
# Target arithmetic and reported totals (closed forms)


def test_target_arithmetic_closed_form():
    series = monthly("2024-01", [10_000] * 12 + [12_000, np.nan, 15_000])
    arithmetic = inputs.target_arithmetic(series, 180_000, 2025)
    assert arithmetic.last_full_year == 2024
    assert arithmetic.last_full_year_units == 120_000
    assert arithmetic.required_growth_pct == pytest.approx(50.0)
    assert arithmetic.reported_units == 27_000
    assert arithmetic.missing_months[:2] == ["2025-02", "2025-04"]
    assert len(arithmetic.missing_months) == 10
    assert arithmetic.required_monthly_run_rate_units == pytest.approx(15_300)
    # Latest run-rate: reported months among Jan-Mar 2025 (Feb unknown).
    assert arithmetic.latest_run_rate_units == pytest.approx(13_500)
    assert arithmetic.latest_run_rate_months == ["2025-01", "2025-03"]


def test_monthly_sums_match_leapmotor_reported_annual_totals(deliveries):
    series = data.monthly_series(deliveries, "leapmotor")
    leapmotor = makers.get("leapmotor", FROZEN_DATA)
    table = inputs.reported_annual_totals(series, data.load_financials(FROZEN_DATA), leapmotor)
    for year in (2022, 2023, 2024, 2025):
        assert table.loc[year, "difference_pct"] == pytest.approx(0.0, abs=1e-9)
    assert not table.loc[2021, "complete"]
    assert set(table["caveat"]) == {""}


def test_a_maker_without_financials_has_no_reported_totals_and_says_why(deliveries):
    series = data.monthly_series(deliveries, "aito_hima")
    aito = makers.get("aito_hima", FROZEN_DATA)
    table = inputs.reported_annual_totals(series, data.load_financials(FROZEN_DATA), aito)
    assert table["reported_total"].isna().all()
    assert set(table["caveat"]) == {aito.series_caveat}  # the registry's, not the code's
    assert aito.series_caveat == "no company annual total in the financials file"


def test_hindsight_total_only_for_a_backtest(deliveries):
    cutoff = pd.Period("2024-12", freq="M")
    assert inputs.hindsight_total(deliveries, "tesla_china", 2025, cutoff) == 851_732
    assert (
        inputs.hindsight_total(deliveries, "tesla_china", 2025, pd.Period("2025-12", "M")) is None
    )
    assert inputs.hindsight_total(deliveries, "leapmotor", 2026, pd.Period("2026-06", "M")) is None


def test_yoy_growth_compares_the_same_month_a_year_earlier():
    growth = inputs.yoy_growth(monthly("2024-01", [100.0] * 12 + [150.0, np.nan, 50.0]))
    assert growth["2025-01"] == pytest.approx(50.0)
    assert np.isnan(growth["2025-02"]) and growth["2025-03"] == pytest.approx(-50.0)


def test_a_target_stated_only_in_the_targets_table_is_the_latest_known_at_the_cutoff():
    import pandas as pd

    from lib import data
    from lib.sales.inputs import latest_stated
    from tests.conftest import FROZEN_DATA

    targets = data.load_targets(FROZEN_DATA)
    at = {
        cutoff: latest_stated(targets, "xiaomi", 2025, pd.Period(cutoff, "M"))
        for cutoff in ("2024-12", "2025-02", "2025-06", "2025-12")
    }
    assert at["2024-12"] is None  # nothing stated yet: no look-ahead
    assert [at[c].value for c in ("2025-02", "2025-06", "2025-12")] == [300_000, 350_000, 400_000]
    assert at["2025-12"].source_url.startswith("https://") and "revised" in at["2025-12"].name
    undated = targets.assign(stated_on=None)
    assert latest_stated(undated, "xiaomi", 2025, pd.Period("2025-12", "M")) is None
    assert latest_stated(targets, "leapmotor", 2025, pd.Period("2025-12", "M")).value == 580_000
    other_scope = targets[targets["scope"] != "series"]  # an overseas target is not the series'
    assert latest_stated(other_scope, "leapmotor", 2025, pd.Period("2025-12", "M")) is None
