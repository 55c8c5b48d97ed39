"""Planning a run: every check on notebooks, scenario, makers and data before any kernel starts."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from pathlib import Path

from lib import contract, data, makers, paths, scenarios
from lib.paths import git_commit  # noqa: F401 - where the runner's modules import it
from lib.pipeline.model import BadInput, Job, Plan, RunOptions, now

log = logging.getLogger("lib.pipeline")


def new_run_id(scenario: str, reports_dir: Path, moment: dt.datetime | None = None) -> str:
    """Timestamp and scenario, e.g. 20261125T093000-base; a suffix keeps same-second runs apart."""
    run_id = f"{(moment or now()).strftime('%Y%m%dT%H%M%S')}-{scenario}"
    candidate, number = run_id, 1
    while (reports_dir / candidate).exists() or (reports_dir / f"{candidate}.partial").exists():
        number += 1
        candidate = f"{run_id}-{number}"
    return candidate


def _order(specs: list[scenarios.NotebookSpec]) -> list[scenarios.NotebookSpec]:
    """Topological order by `needs`, keeping file order otherwise."""
    by_name = {spec.name: spec for spec in specs}
    for spec in specs:
        unknown = [n for n in spec.needs if n not in by_name]
        if unknown:
            raise BadInput(
                f"{spec.path}: metadata evr.needs names unknown notebook(s) {', '.join(unknown)}"
            )
    ordered, placed = [], set()
    while len(ordered) < len(specs):
        ready = [s for s in specs if s.name not in placed and set(s.needs) <= placed]
        if not ready:
            raise BadInput(
                "notebooks' evr.needs form a cycle: "
                + ", ".join(s.name for s in specs if s.name not in placed)
            )
        ordered.append(ready[0])
        placed.add(ready[0].name)
    return ordered


def load_scenario(options: RunOptions) -> scenarios.Scenario:
    path = scenarios.scenario_path(options.scenario, options.params_dir)
    if options.scenario == "base" and not path.exists():
        scenario = scenarios.Scenario("base", None, "notebook defaults", {})
    else:
        scenario = scenarios.load_scenario(options.scenario, options.params_dir)
    if options.maker is None:
        return scenario
    # the command line wins over the scenario, for every notebook
    overrides = {
        notebook: {k: v for k, v in values.items() if k != "maker"}
        for notebook, values in scenario.overrides.items()
    }
    return replace(scenario, overrides=overrides, maker=options.maker)


def _check_makers(jobs: list[Job], data_dir: Path) -> None:
    """Refuse, before any kernel starts, a `maker` that is not in the registry."""
    try:
        known = list(makers.registry(data_dir))
    except data.DataError as error:
        raise BadInput(str(error)) from None
    problems = [
        f"{job.name}: parameter maker: {makers.unknown_message(job.values['maker'], known)}"
        for job in jobs
        if "maker" in job.values and job.values["maker"] not in known
    ]
    if problems:
        raise BadInput("\n".join(problems))


def run_label(scenario: scenarios.Scenario) -> str:
    """What a run folder is named after: the scenario, and the maker when one is set for all."""
    return scenario.name + (f"-{scenario.maker}" if scenario.maker else "")


def _check_notebooks(
    options: RunOptions,
) -> tuple[list[scenarios.NotebookSpec], scenarios.Scenario]:
    specs = _order(scenarios.discover(options.notebooks_dir))
    if not specs:
        raise BadInput(f"no notebooks found in {options.notebooks_dir or paths.NOTEBOOKS_DIR}")
    known = [spec.name for spec in specs]
    unknown = [name for name in options.only if name not in known]
    if unknown:
        raise BadInput(
            f"--only: unknown notebook(s) {', '.join(unknown)}; known: {', '.join(known)}"
        )
    scenario = load_scenario(options)
    scenarios.check_scenario(scenario, specs, _params_checkers(scenario))
    return specs, scenario


def _params_checkers(scenario: scenarios.Scenario) -> dict:
    """Each analysis notebook the scenario sets values of is checked by its package's Params:
    ranges, allowed values and the sourced -1 / "" (lib.contract), before any kernel starts."""
    return {
        name: package.Params.problem
        for name in scenario.overrides
        if (package := contract.package(name)) is not None
    }


def plan(options: RunOptions) -> Plan:
    """Check everything a run needs before any kernel starts; raise BadInput naming every problem
    with the data, the notebooks and the scenario."""
    data_dir = Path(options.data_dir or paths.data_dir()).resolve()
    reports_dir = Path(options.reports_dir or paths.reports_dir()).resolve()
    problems = []
    try:
        specs, scenario = _check_notebooks(options)
    except (scenarios.ScenarioError, BadInput) as error:
        problems.append(str(error))
    try:
        data.validate_all(data_dir)
        deliveries = data.load_deliveries(data_dir)
        data_as_of = data.data_as_of(deliveries)
    except data.DataError as error:
        problems.append(str(error))
    if problems:
        raise BadInput("\n".join(problems))
    started = now()
    jobs = [
        Job(
            spec,
            scenarios.parameters_for(spec, scenario),
            scenarios.overrides_for(spec, scenario),
            selected=not options.only or spec.name in options.only,
        )
        for spec in specs
    ]
    _check_makers(jobs, data_dir)
    return Plan(
        new_run_id(run_label(scenario), reports_dir, started),
        scenario,
        jobs,
        data_dir,
        reports_dir,
        data_as_of,
        data.file_hashes(data_dir),
        started,
        data.freshness(deliveries).to_dict("records"),
    )
