"""Notebook 01's parameters: the one source of each one's type, default, range, unit and help
(the notebook's parameters cell is `contract.parameters_cell(Params)`)."""

from __future__ import annotations

from dataclasses import dataclass

from lib import contract, makers
from lib.contract import param

NOTEBOOK = "01_sales_trajectory"  # the notebook whose parameters cell this is
WEIGHTINGS = ("inverse_error", "equal", "best")


@dataclass(frozen=True)
class Params(contract.Params):
    """What notebook 01 can be asked: whose deliveries, which target and year, which data."""

    maker: str = param(
        makers.DEFAULT, "maker key in data/makers.csv (python -m lib check lists them)"
    )
    target_units: int = param(
        -1,
        "deliveries the maker aims for in target_year, vehicles; -1: its stated target "
        "(data/makers.csv), else its deliveries of the year before",
        unit="vehicles",
        low=1,
        high=100_000_000,
        sourced=True,
    )
    target_year: int = param(
        -1,
        "calendar year of the target; -1: the first year the data do not hold in full "
        "(a complete year is shown resolved)",
        unit="year",
        low=2000,
        high=2035,
        sourced=True,
    )
    data_through: str = param(
        "",
        "last month of data used, YYYY-MM (empty: the latest month in the data; an earlier "
        "month makes this a backtest)",
        unit="month",
        sourced=True,
    )
    n_paths: int = param(
        10_000, "simulated paths for the answer", unit="paths", low=100, high=1_000_000
    )
    backtest_paths: int = param(
        2_000,
        "simulated paths per model and maker-year in the backtest",
        unit="paths",
        low=100,
        high=100_000,
    )
    comparison_paths: int = param(
        2_000,
        "simulated paths per maker in the comparison table",
        unit="paths",
        low=100,
        high=100_000,
    )
    weighting: str = param(
        "inverse_error",
        "how backtest skill weighs the models: inverse_error, equal or best",
        choices=WEIGHTINGS,
    )
    curve_window_months: int = param(
        24, "months of history the growth curve is fitted on", unit="months", low=12, high=120
    )
    seed: int = param(
        2026, "random seed: the same seed gives the same paths", low=0, high=4_294_967_295
    )
