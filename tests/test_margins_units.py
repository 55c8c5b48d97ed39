"""lib.margins.units: money per vehicle, percent and fraction, currencies."""

from __future__ import annotations

import pytest

from lib.margins import units


def test_per_vehicle_is_millions_over_vehicles():
    assert units.per_vehicle(21030.0, 201039.0) == pytest.approx(104_606.6, abs=0.1)


def test_currency_of_money_units_and_refusal_of_others():
    assert units.currency_of("RMB_mn") == "RMB"
    assert units.currency_of("USD_mn") == "USD"
    with pytest.raises(ValueError, match="not money"):
        units.currency_of("units")


def test_percent_and_fraction_are_inverse():
    assert units.pct_to_frac(15.0) == pytest.approx(0.15)
    assert units.frac_to_pct(units.pct_to_frac(-7.25)) == pytest.approx(-7.25)
