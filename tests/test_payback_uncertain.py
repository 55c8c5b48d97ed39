"""lib.payback.uncertain: distributions recover their truth, draws are seeded and each input's stream
is its own."""

from __future__ import annotations

import numpy as np
import pytest

from lib.payback import uncertain
from lib.payback.uncertain import Uncertain


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
    draws = uncertain.sample({"x": item}, 200_000, seed=1)["x"]
    assert draws.mean() == pytest.approx((2 + 5 + 14) / 3, rel=0.005)
    uniform = Uncertain("u", 2.0, 5.0, 14.0, kind="uniform")
    draws = uncertain.sample({"u": uniform}, 200_000, seed=1)["u"]
    assert draws.mean() == pytest.approx(8.0, rel=0.005)
    assert draws.min() >= 2 and draws.max() <= 14


def test_sampling_is_seeded():
    scenario = {
        "a": Uncertain("a", 0, 1, 3),
        "b": Uncertain("b", 5, 6, 9),
        "c": Uncertain.fixed("c", 2),
    }
    first, again = uncertain.sample(scenario, 1000, 7), uncertain.sample(scenario, 1000, 7)
    other = uncertain.sample(scenario, 1000, 8)
    np.testing.assert_array_equal(first["a"], again["a"])
    np.testing.assert_array_equal(first["b"], again["b"])
    assert not np.array_equal(first["a"], other["a"])
    assert first["c"] == 2


def test_each_input_keeps_its_draws_when_another_becomes_uncertain():
    scenario = {"b": Uncertain("b", 5, 6, 9), "c": Uncertain("c", 0, 1, 2)}
    wider = {"a": Uncertain("a", 0, 1, 3), **scenario}  # sorts before both
    first, again = uncertain.sample(scenario, 500, 7), uncertain.sample(wider, 500, 7)
    np.testing.assert_array_equal(first["b"], again["b"])
    np.testing.assert_array_equal(first["c"], again["c"])
    assert abs(np.corrcoef(first["b"], first["c"])[0, 1]) < 0.2  # independent streams per input
