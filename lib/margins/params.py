"""The parameters of notebook 03: the one source of each one's type, default, range and meaning.

The notebook's parameters cell is `contract.parameters_cell(Params)`; building a `Params` checks
every value (lib.errors.BadParameter naming it). -1 or "" asks for the value from the data.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib import contract, makers
from lib.contract import param
from lib.errors import BadParameter

NOTEBOOK = "03_price_war_margins"  # the notebook whose parameters cell this is

# (min, max) parameter pairs of the two grids: the upper end must not be below the lower end.
GRID_ENDS = (
    ("price_cut_min_pct", "price_cut_max_pct"),
    ("volume_change_min_pct", "volume_change_max_pct"),
)


@dataclass(frozen=True)
class Params(contract.Params):
    maker: str = param(
        makers.DEFAULT, "maker key in data/makers.csv (python -m lib check lists them)"
    )
    peers: str = param(
        "", "comma-separated companies to compare with (empty: every other company in the data)"
    )
    start_quarter: str = param(
        "",
        "quarter the analysis starts from, like 2025Q4 (empty: latest quarter with data)",
        sourced=True,
    )
    bridge_base_quarter: str = param(
        "",
        "quarter the gross-profit bridge starts from (empty: same quarter a year earlier)",
        sourced=True,
    )
    # A cut of the whole price is no longer a price: cuts stop at 90%.
    price_cut_min_pct: float = param(
        0.0, "smallest price cut on the grid, % of revenue per vehicle", unit="%", low=0, high=90
    )
    price_cut_max_pct: float = param(
        20.0, "largest price cut on the grid, % of revenue per vehicle", unit="%", low=0, high=90
    )
    price_cut_step_pct: float = param(
        0.5, "price-cut grid step, percentage points", unit="pp", low=0.1, high=10
    )
    # From near-collapse to an eleven-fold year.
    volume_change_min_pct: float = param(
        -20.0,
        "smallest volume change on the grid, % of the last four quarters",
        unit="%",
        low=-90,
        high=1000,
    )
    volume_change_max_pct: float = param(
        100.0,
        "largest volume change on the grid, % of the last four quarters",
        unit="%",
        low=-90,
        high=1000,
    )
    volume_change_step_pct: float = param(
        2.0, "volume-change grid step, percentage points", unit="pp", low=0.1, high=50
    )
    # Some cost of sales (materials) always varies with volume: at most 90% is fixed.
    fixed_cost_share_pct: float = param(
        -1.0,
        "share of cost of sales that does not vary with volume, % (-1: estimate from the data)",
        unit="%",
        low=0,
        high=90,
        sourced=True,
    )
    # Published experience curves stay well below 60%.
    learning_rate_pct: float = param(
        -1.0,
        "unit-cost fall per doubling of cumulative deliveries, % (-1: estimate from the data)",
        unit="%",
        low=0,
        high=60,
        sourced=True,
    )
    target_volume_units: int = param(
        -1,
        "annual deliveries the maker aims for, vehicles (-1: its stated target, else its "
        "deliveries of the year before, in the scope of its financials)",
        unit="vehicles",
        low=1,
        high=100_000_000,
        sourced=True,
    )

    def __post_init__(self):
        super().__post_init__()
        for low, high in GRID_ENDS:
            if getattr(self, high) < getattr(self, low):
                raise BadParameter(
                    f"bad parameter: {high}: {getattr(self, high)!r} is below {low} "
                    f"{getattr(self, low)!r}: the grid is empty"
                )
