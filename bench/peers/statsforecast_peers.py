"""Peer forecasts with statsforecast (AutoETS, AutoARIMA, AutoTheta, season length 12), run in the
peers' own venv (statsforecast needs pandas < 3; the project pins pandas 3): reads the cases that
`python -m bench.peers` wrote, writes each case's peer quantiles of the target-year total.

Information sets are the project's: each case's series ends at its cutoff. Gaps, which these
tools cannot skip: a model uses the months after the last gap of 3 or more months (as the
project's ETS does), shorter gaps are filled by log-linear interpolation; a month of the target
year missing before the cutoff counts at that interpolated value. A model that cannot fit (fewer
than 24 months) gives no forecast for the case.

Usage: python statsforecast_peers.py CASES.json OUT.json N_PATHS
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

PEERS = {
    "sf_autoets": lambda: AutoETS(season_length=12),
    "sf_autoarima": lambda: AutoARIMA(season_length=12),
    "sf_autotheta": lambda: AutoTheta(season_length=12),
}
MIN_MONTHS = 24
LONG_GAP = 3
LEVELS = np.linspace(0.005, 0.995, 199)  # quantiles handed back: enough for CRPS and intervals


def usable(values: list[float | None]) -> np.ndarray:
    """The series after its last long gap, short gaps interpolated in logs."""
    y = np.array([np.nan if v is None else float(v) for v in values])
    missing = np.isnan(y)
    start, run = 0, 0
    for i, gap in enumerate(missing):
        run = run + 1 if gap else 0
        if run >= LONG_GAP:
            start = i + 1
    y = y[start:]
    known = ~np.isnan(y)
    t = np.arange(len(y))
    return np.exp(np.interp(t, t[known], np.log(y[known])))


def forecast_case(case: dict, n_paths: int, seed: int) -> dict:
    y = usable(case["values"])
    known_in_year = (
        float(np.sum(y[len(y) - case["months_reported"] :])) if case["months_reported"] else 0.0
    )
    ahead = 12 - case["months_reported"]
    out = {}
    if len(y) < MIN_MONTHS:
        return out
    for name, make in PEERS.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                paths = make().simulate(h=ahead, n_paths=n_paths, y=y.astype(float), seed=seed)
            totals = known_in_year + np.clip(np.asarray(paths), 0, None).sum(axis=1)
            out[name] = np.quantile(totals, LEVELS).tolist()
        except Exception as failure:  # noqa: BLE001 - a peer that cannot fit gives no forecast
            print(
                f"{case['maker']} {case['target_year']} k={case['months_reported']} {name}: {failure}",
                file=sys.stderr,
            )
    return out


def main(cases_path: str, out_path: str, n_paths: str) -> None:
    cases = json.loads(Path(cases_path).read_text())
    results = []
    for i, case in enumerate(cases):
        quantiles = forecast_case(case, int(n_paths), seed=i)
        results.append(
            {key: case[key] for key in ("maker", "target_year", "months_reported")}
            | {"quantiles": quantiles}
        )
    Path(out_path).write_text(json.dumps({"levels": LEVELS.tolist(), "cases": results}))


if __name__ == "__main__":
    main(*sys.argv[1:])
