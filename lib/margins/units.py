"""Units: money per vehicle, percent and fraction, the currency of a money unit.

Money is in the company's reporting currency (RMB or USD, read from the data's units), never
mixed. Totals are in millions (`RMB_mn`, `USD_mn`), per-vehicle figures in currency units,
deliveries in vehicles, margins in percent unless a name ends in `_frac` (a 0-1 fraction).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CURRENCY_OF_UNIT = {"RMB_mn": "RMB", "USD_mn": "USD", "RMB": "RMB", "USD": "USD"}


def currency_of(unit: str) -> str:
    """Currency of a money unit: RMB_mn -> RMB, USD_mn -> USD."""
    if unit not in CURRENCY_OF_UNIT:
        raise ValueError(
            f"unit {unit!r} is not money; expected one of {', '.join(CURRENCY_OF_UNIT)}"
        )
    return CURRENCY_OF_UNIT[unit]


def per_vehicle(amount_mn: float | pd.Series, vehicles: float | pd.Series) -> float | pd.Series:
    """Money per vehicle in currency units, from a total in millions and a vehicle count."""
    return amount_mn * 1e6 / vehicles


def pct_to_frac(pct: float | np.ndarray | pd.Series) -> float | np.ndarray | pd.Series:
    """Percent (15.0) to fraction (0.15)."""
    return pct / 100.0


def frac_to_pct(frac: float | np.ndarray | pd.Series) -> float | np.ndarray | pd.Series:
    """Fraction (0.15) to percent (15.0)."""
    return frac * 100.0
