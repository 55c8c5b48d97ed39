"""`python -m bench.peers` (or `make peers`): the project's forecast against peers at every horizon.

Rolling origin at every month-end (k = 0..11 months of the target year reported) over every
maker-year whose total is known: the project's models, combination and naive rules
(`lib.sales.evaluation.horizon_evaluation`), and statsforecast's AutoETS, AutoARIMA and AutoTheta
(season length 12) and their mean, run in their own venv (bench/out/venv-peers, created on first
use: statsforecast needs pandas < 3) on the same information sets. Every method is scored the same
way (`lib.sales.evaluation`): errors, 80% coverage, interval score and CRPS, in percent of the
actual. Writes bench/peer_scores.json (committed: notebook 01 reads it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from lib import data, paths
from lib.sales import evaluation
from lib.sales.inputs import series_at

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "out"
VENV = OUT / "venv-peers"
REQUIREMENTS = ["statsforecast==2.1.1", "pandas<3"]
SCORES = paths.PEER_SCORES
PEER_LABELS = evaluation.PEER_LABELS
PEERS = tuple(PEER_LABELS)


def peer_python() -> Path:
    """The peers' venv, created with pinned statsforecast when missing."""
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run(["python3.11", "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS], check=True)
    return python


def information_sets(deliveries: pd.DataFrame, cutoff: pd.Period, horizons) -> list[dict]:
    """Every case (maker, target year, months reported) with the maker's series up to its cutoff."""
    cases = evaluation.backtest_cases(series_at(deliveries, cutoff))
    out = []
    for k in horizons:
        for case in cases.itertuples():
            at = evaluation.cutoff_for(case.target_year, k)
            series = series_at(deliveries, at).get(case.maker)
            if series is None:
                continue
            span = series.loc[series.first_valid_index() :].reindex(
                pd.period_range(series.first_valid_index(), at, freq="M")
            )
            out.append(
                {
                    "maker": case.maker,
                    "target_year": int(case.target_year),
                    "months_reported": int(k),
                    "actual": case.actual,
                    "headline": bool(case.headline),
                    "values": [
                        None if np.isnan(v) else float(v) for v in span.to_numpy(dtype=float)
                    ],
                }
            )
    return out


def peer_rows(cases: list[dict], n_paths: int) -> pd.DataFrame:
    """Run the peers in their venv and score their quantiles like the project's forecasts."""
    OUT.mkdir(exist_ok=True)
    (OUT / "peer_cases.json").write_text(json.dumps(cases))
    subprocess.run(
        [
            str(peer_python()),
            str(HERE / "statsforecast_peers.py"),
            str(OUT / "peer_cases.json"),
            str(OUT / "peer_forecasts.json"),
            str(n_paths),
        ],
        check=True,
    )
    forecasts = json.loads((OUT / "peer_forecasts.json").read_text())["cases"]
    rows = []
    for case, forecast in zip(cases, forecasts, strict=True):
        base = {
            key: case[key]
            for key in ("maker", "target_year", "months_reported", "actual", "headline")
        }
        samples = {name: np.asarray(q) for name, q in forecast["quantiles"].items()}
        if len(samples) == 3:  # the mean: mean of the three medians, mixture of the three samples
            medians = [np.median(s) for s in samples.values()]
            samples["sf_mean"] = np.concatenate(list(samples.values()))
            points = {"sf_mean": float(np.mean(medians))}
        else:
            points = {}
        for name, sample in samples.items():
            row = {
                **base,
                "method": name,
                "kind": "peer",
                "median": points.get(name, float(np.median(sample))),
            }
            rows.append(evaluation._score(row, sample))
    return pd.DataFrame(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--paths", type=int, default=1000, help="simulated paths per case and method"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--output", type=Path, default=SCORES)
    options = parser.parse_args()
    started = time.perf_counter()
    deliveries = data.load_deliveries(options.data_dir)
    holidays = data.load_holidays(options.data_dir)
    cutoff = deliveries["month"].max()
    horizons = evaluation.HORIZONS
    cases = information_sets(deliveries, cutoff, horizons)
    peers = peer_rows(cases, options.paths)
    peers_s = time.perf_counter() - started
    own = evaluation.horizon_evaluation(
        deliveries, cutoff, holidays, horizons, options.paths, options.seed
    )
    rows = pd.concat([own, peers], ignore_index=True)
    rows = rows[rows["headline"].astype(bool)]
    summary = evaluation.horizon_summary(rows)
    summary["label"] = summary["method"].map(
        lambda m: PEER_LABELS.get(m, evaluation.LABELS.get(m, m))
    )
    comparisons = []
    for k in horizons:
        at = rows[rows["months_reported"] == k]
        for score in ("crps_pct", "interval_score_pct", "abs_error_pct"):
            for peer in PEERS:
                paired = evaluation.paired_bootstrap(at, "combination", peer, score, seed=k)
                comparisons.append(
                    {
                        "months_reported": k,
                        "score": score,
                        "method": "combination",
                        "other": peer,
                        **paired,
                    }
                )
    payload = {
        "data_through": str(cutoff),
        "data_dir": str(options.data_dir or "data"),
        "paths": options.paths,
        "seed": options.seed,
        "seconds": {"peers": round(peers_s, 1), "total": round(time.perf_counter() - started, 1)},
        "gaps": (
            "project models: SARIMAX skips missing months, ETS starts after the last gap of 3+ "
            "months and interpolates shorter ones, the growth curve skips them; statsforecast "
            "peers: the months after the last gap of 3+ months, shorter gaps interpolated in logs"
        ),
        "summary": json.loads(summary.to_json(orient="records")),
        "comparisons": comparisons,
        "cases": json.loads(
            rows[
                [
                    "maker",
                    "target_year",
                    "months_reported",
                    "method",
                    "actual",
                    "median",
                    "p10",
                    "p90",
                    "abs_error_pct",
                    "covered",
                    "crps_pct",
                    "interval_score_pct",
                ]
            ]
            .round(4)
            .to_json(orient="records")
        ),
    }
    options.output.write_text(json.dumps(payload, indent=1) + "\n")
    print(
        f"wrote {options.output} in {payload['seconds']['total']} s (peers {payload['seconds']['peers']} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
