"""`python -m bench.peers` (or `make peers`): the project's forecast against peers at every horizon.

Rolling origin at every month-end (k = 0..11 months of the target year reported) over every
maker-year whose total is known: the project's models, combination and naive rules
(`lib.sales.evaluation.horizon_backtests`), and statsforecast's AutoETS, AutoARIMA and AutoTheta
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
from lib.sales import evaluation, stacking, track
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


ANSWER = "combination"  # the answer's method (notebook 01 answers with it)
SCORES_COMPARED = ("crps_pct", "interval_score_pct")


def year_table(rows: pd.DataFrame) -> list[dict]:
    """Per method, the scores averaged over every month-end k = 0..11 and maker-year scored."""
    out = []
    for method, group in rows.groupby("method", sort=True):
        scored = group.dropna(subset=["covered"])
        out.append(
            {
                "method": method,
                "label": PEER_LABELS.get(method, evaluation.LABELS.get(method, method)),
                "maker_years": int(scored[["maker", "target_year"]].drop_duplicates().shape[0]),
                "cases": len(scored),
                "crps_pct": float(scored["crps_pct"].mean()),
                "interval_score_pct": float(scored["interval_score_pct"].mean()),
                "coverage80_pct": float(100 * scored["covered"].mean()),
                "mape_pct": float(group["abs_error_pct"].mean()),
            }
        )
    return out


def year_comparisons(rows: pd.DataFrame, cases: str) -> list[dict]:
    """The answer's method against every other over k = 0..11: ratio of mean scores on the cases
    both scored, with a 95% interval from resampling maker-years (their 12 month-ends together)."""
    out = []
    for other in sorted(set(rows["method"]) - {ANSWER}):
        for score in SCORES_COMPARED:
            paired = evaluation.paired_bootstrap(
                rows, ANSWER, other, score, seed=7, cluster=("maker", "target_year")
            )
            out.append({"cases_set": cases, "score": score, "method": ANSWER, "other": other})
            out[-1].update(paired)
    return out


def band_coverage(scored: pd.DataFrame) -> dict:
    """Share of months inside the monthly 80% bands, overall and by months reported."""
    if scored.empty:
        return {"months": 0, "inside80_pct": None}
    inside = scored["inside80"].astype(float)
    out = {"months": len(scored), "inside80_pct": float(100 * inside.mean())}
    if "months_reported" in scored.columns:
        by_k = scored.assign(inside=inside).groupby("months_reported")["inside"].mean()
        out["by_months_reported"] = {str(k): float(100 * v) for k, v in by_k.items()}
    return out


def out_of_sample_bands(deliveries: pd.DataFrame) -> dict:
    """Notebook 01's monthly bands from the frozen test data (its parameters' paths) scored on
    the months the data hold since; empty when the data are the frozen data."""
    frozen_dir = paths.PROJECT_ROOT / "tests" / "data"
    frozen = data.load_deliveries(frozen_dir)
    through = str(frozen["month"].max())
    scored = track.out_of_sample(frozen, deliveries, data.load_holidays(frozen_dir), through)
    scored = scored[scored["month"] > through]
    return {"data_through": through, **band_coverage(scored)} | {
        "by_month": {
            m: float(100 * g["inside80"].astype(float).mean()) for m, g in scored.groupby("month")
        }
    }


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
    backtests = evaluation.horizon_backtests(
        deliveries, cutoff, holidays, horizons, options.paths, options.seed
    )
    own = [b.rows for b in backtests.values()]
    stacked = [stacking.stack(backtests, k).rows for k in horizons]
    every = pd.concat([*own, *stacked, peers], ignore_index=True)
    rows = every[every["headline"].astype(bool)]
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
        "answer_method": ANSWER,
        "maker_years": {
            "headline": int(rows[["maker", "target_year"]].drop_duplicates().shape[0]),
            "all": int(every[["maker", "target_year"]].drop_duplicates().shape[0]),
        },
        "year": year_table(rows),
        "year_all": year_table(every),
        "year_comparisons": year_comparisons(rows, "headline") + year_comparisons(every, "all"),
        "monthly_bands": {
            "rolling": band_coverage(pd.concat([b.monthly for b in backtests.values()])),
            "out_of_sample": out_of_sample_bands(deliveries),
        },
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
