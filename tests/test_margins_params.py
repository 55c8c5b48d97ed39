"""lib.margins.params: one source of each parameter; the notebook's cell is rendered from it."""

from __future__ import annotations

import pytest

from lib import contract, paths
from lib.errors import BadParameter
from lib.margins import Params

NOTEBOOK = paths.NOTEBOOKS_DIR / "03_price_war_margins.ipynb"


def test_the_notebook_cell_is_the_params_class():
    assert contract.cell_problems(Params, NOTEBOOK) == []


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"fixed_cost_share_pct": 95.0}, r"fixed_cost_share_pct: value 95.0 is out of range"),
        ({"learning_rate_pct": -5.0}, r"learning_rate_pct: value -5.0 is out of range"),
        ({"target_volume_units": 0}, r"target_volume_units: value 0 is out of range"),
        ({"target_volume_units": 1.5}, r"target_volume_units: expected int"),
        ({"price_cut_step_pct": 0.0}, r"price_cut_step_pct: value 0.0 is out of range"),
        (
            {"price_cut_min_pct": 10.0, "price_cut_max_pct": 5.0},
            r"price_cut_max_pct: 5.0 is below price_cut_min_pct 10.0: the grid is empty",
        ),
        (
            {"volume_change_min_pct": 50.0, "volume_change_max_pct": 0.0},
            r"volume_change_max_pct: 0.0 is below volume_change_min_pct 50.0",
        ),
        ({"volume_change_min_pct": -95.0}, r"volume_change_min_pct: value -95.0 is out of range"),
        ({"price_cut_max_pct": float("nan")}, r"price_cut_max_pct: value nan is out of range"),
    ],
)
def test_bad_values_name_the_parameter(values, message):
    with pytest.raises(BadParameter, match=message):
        Params(**values)


def test_minus_one_asks_for_the_value_from_the_data_only_where_sourced():
    params = Params()
    for name in ("fixed_cost_share_pct", "learning_rate_pct", "target_volume_units"):
        assert getattr(params, name) == -1 and params.is_sourced(name)
    assert params.is_sourced("start_quarter") and params.is_sourced("bridge_base_quarter")
    assert not Params(target_volume_units=600_000).is_sourced("target_volume_units")
    with pytest.raises(BadParameter, match="price_cut_min_pct"):
        Params(price_cut_min_pct=-1.0)  # not a sourced parameter: -1 is out of its range


def test_a_single_point_grid_is_allowed():
    assert Params(price_cut_min_pct=10.0, price_cut_max_pct=10.0).price_cut_max_pct == 10.0
