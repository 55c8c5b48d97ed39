"""Globalization payback: 100,000 Monte Carlo draws of the full model (targets: under 2 s) and the
whole notebook 04 at its defaults (target: under 15 s on 2 cores)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import papermill

from lib import finance, paths, payback
from lib.payback import models, simulation, uncertain

NOTEBOOK = paths.NOTEBOOKS_DIR / "04_globalization_payback.ipynb"
N_SIMS = 100_000
REPEATS = 3


def _best_of(task, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        task()
        times.append(time.perf_counter() - started)
    return min(times)


def run() -> dict:
    inputs = payback.load(payback.Params())  # the notebook's defaults
    one = inputs.strategy("europe_assembly")
    draws = uncertain.sample(inputs.scenario, N_SIMS, inputs.seed)

    def simulate() -> None:
        simulation.simulate(
            inputs.scenario, inputs.timeline, N_SIMS, inputs.seed, inputs.strategies
        )

    def one_strategy() -> None:
        flows = models.cash_flows(draws, one, inputs.timeline)
        finance.npv(flows.maker, flows.rate)
        finance.discounted_payback(flows.maker, flows.rate)

    def tornado() -> None:
        for chosen in inputs.strategies:
            simulation.tornado(inputs.scenario, chosen, inputs.timeline)

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        papermill.execute_notebook(
            str(NOTEBOOK),
            str(Path(folder) / NOTEBOOK.name),
            kernel_name="python3",
            cwd=str(paths.NOTEBOOKS_DIR),
            progress_bar=False,
        )
        notebook_s = time.perf_counter() - started

    full_s = _best_of(simulate)
    return {
        "n_sims": N_SIMS,
        "cpus": os.cpu_count(),
        "simulate_3_strategies_s": round(full_s, 3),
        "simulate_target_s": 2.0,
        "simulate_within_target": full_s < 2.0,
        "one_strategy_cash_flows_npv_payback_s": round(_best_of(one_strategy), 3),
        "tornado_3_strategies_s": round(_best_of(tornado), 3),
        "notebook_wall_s": round(notebook_s, 2),
        "notebook_target_s": 15.0,
        "notebook_within_target": notebook_s < 15.0,
    }
