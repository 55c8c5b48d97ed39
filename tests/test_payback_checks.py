"""lib.payback.checks: impossible inputs are refused, naming the input."""

from __future__ import annotations

import numpy as np
import pytest

from lib.payback import checks, models


def test_negative_volume_and_ceiling_below_start_are_refused():
    with pytest.raises(ValueError, match="europe_volume_start_units must be >= 0"):
        models.volume_ramp(-5.0, 10.0, 100.0, 3)
    with pytest.raises(
        ValueError, match="sea_volume_ceiling_units .* is below sea_volume_start_units"
    ):
        models.volume_ramp(500.0, 10.0, 100.0, 3, market="sea")


def test_negative_price_is_refused_with_its_name():
    with pytest.raises(ValueError, match="europe_price_eur must be >= 0"):
        checks.validate_inputs({"europe_price_eur": np.array([1.0, -3.0])})
