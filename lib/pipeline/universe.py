"""A universe run: the collection for every maker, on Dask, and a page that sets them side by side.

`reports/<time>-<scenario>-universe/` holds one folder per maker (its reports, results.json,
manifest.json and index, as a single-maker run has) and the universe page `index.html`: the
league table of the four answers, each cell linking to the report it comes from. The run is
published, and `latest` repointed, only when every maker's notebooks finished.
"""

from __future__ import annotations

import base64
import io
import json
import logging
from dataclasses import replace
from pathlib import Path

from lib import league, makers, paths, render, runs, workbook
from lib.pipeline import cluster, shared
from lib.pipeline.model import (
    EXIT_FAILED,
    EXIT_OK,
    BadInput,
    Interrupted,
    Plan,
    RunOptions,
    iso,
    now,
    os_reason,
    write_json,
    write_text,
)
from lib.pipeline.notebook import cache_environment, environment, payload_for, render_report
from lib.pipeline.planning import git_commit, new_run_id, plan
from lib.pipeline.publishing import publish, run_status, write_run_files
from lib.pipeline.reuse import input_hash, library_hash, previous_run, try_reuse
from lib.pipeline.running import (
    discard_build,
    failed_exit,
    record_outcome,
    refused,
    run_log,
    under_lock_with_cache,
)

log = logging.getLogger("lib.pipeline")


def universe_makers(options: RunOptions, requested: list[str] | None) -> list[str]:
    """The makers to run: those asked for (each must be in the registry), else all of them."""
    known = makers.registry(options.data_dir)
    keys = requested or sorted(known)
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise BadInput(
            "\n".join(f"--makers: {makers.unknown_message(k, list(known))}" for k in unknown)
        )
    return keys


def run_universe(
    options: RunOptions, scenario_names: list[str], requested: list[str] | None
) -> int:
    """Validate every scenario for every maker, then run each scenario's universe on Dask."""
    reports_dir = Path(options.reports_dir or paths.reports_dir()).resolve()
    try:  # the address and its certificates, before anything is touched
        scheduler = cluster.scheduler_target(options.cluster) if options.cluster else None
    except BadInput as error:
        return refused(error)

    def body() -> int:
        keys = universe_makers(options, requested)
        plans = [
            {key: plan(replace(options, scenario=name, maker=key)) for key in keys}
            for name in scenario_names
        ]
        client, local = cluster.start_client(scheduler, options.jobs)
        try:
            data_dir = next(iter(plans[0].values())).data_dir
            mine = cluster.identity(str(data_dir))
            workers = cluster.check_workers(client, data_dir, mine)
            where = scheduler.address if scheduler else f"a local cluster of {workers} worker(s)"
            return max(
                execute_universe(by_maker, options, client, where, mine) for by_maker in plans
            )
        finally:
            if local is None:  # an outside cluster outlives the run: its kernels need not
                cluster.release_kernels(client)
            client.close()
            if local is not None:
                local.close()

    return under_lock_with_cache(reports_dir, options, body)


def execute_universe(
    by_maker: dict[str, Plan], options: RunOptions, client, where: str, mine: dict[str, str]
) -> int:
    """Submit every maker's notebooks as one graph (each task checks that its worker runs this
    machine's checkout and data, `mine`), collect and render them here, publish."""
    first = next(iter(by_maker.values()))
    started = now()
    run_id = new_run_id(f"{first.scenario.name}-universe", first.reports_dir, started)
    build = first.reports_dir / f"{run_id}.partial"
    build.mkdir(parents=True)
    commit = git_commit()
    with run_log(build):
        try:
            log.info(
                "universe run %s: %d maker(s) on %s, building in %s",
                run_id,
                len(by_maker),
                where,
                build,
            )
            reused = _reuse_all(by_maker, build, options)
            _shared_work(by_maker, reused, build, options, client, mine)
            submitted = _submit(
                by_maker, reused, run_id, started, build, options, client, commit, mine
            )
            _collect(submitted, client)
            status = _write_makers(by_maker, build, commit)
            _write_universe(by_maker, build, run_id, status, started, commit, where)
            publish(build, first.reports_dir, run_id, status == "ok")
        except Interrupted as signal_:
            discard_build(build)
            log.error("universe run %s stopped by %s: nothing was published", run_id, signal_)
            raise
        except OSError as error:
            discard_build(build)
            log.error(
                "universe run %s FAILED: cannot write %s: %s; nothing was published",
                run_id,
                error.filename or build,
                os_reason(error),
            )
            return EXIT_FAILED
    if status == "ok":
        log.info("universe run %s finished: %s", run_id, first.reports_dir / run_id / "index.html")
        return EXIT_OK
    if status == "partial":  # --only: published in its own folder, `latest` left alone
        log.warning(
            "universe run %s is partial (--only): published in %s; reports/latest is untouched",
            run_id,
            first.reports_dir / run_id,
        )
        return EXIT_OK
    log.error("universe run %s FAILED; its reports are kept; reports/latest is untouched", run_id)
    return failed_exit({f"{key}/{job.name}": job for key, p in by_maker.items() for job in p.jobs})


def _shared_work(by_maker, reused, build, options, client, mine) -> None:
    """Before any notebook starts: the shared work of every notebook some maker runs, computed
    once for all makers, spread over the workers into the run's cache (`shared`)."""
    from dask.distributed import wait

    from lib.pipeline.cluster import run_shared

    if not shared.wanted(options.use_cache):
        return
    first = next(iter(by_maker.values()))
    to_run = {j.name for key, p in by_maker.items() for j in p.jobs if j.name not in reused[key]}
    calls = []
    for name in [job.name for job in first.jobs if job.selected and job.name in to_run]:
        calls += shared.calls(name, list(by_maker.values()))
    if not calls:
        return
    cached = cache_environment(options, first.reports_dir)
    payload = {
        "name": "shared work",
        "environment": environment(
            first.data_dir, first.reports_dir, build, first.scenario.name, cached
        ),
        "identity": mine,
    }
    futures = [client.submit(run_shared, payload, call, pure=False) for call in calls]
    wait(futures)
    shared.report([future.result() for future in futures], len(by_maker))


def previous_maker_runs(reports_dir: Path) -> dict[str, tuple[Path, dict]]:
    """Each maker's folder in the universe run `latest` points at, with its manifest (empty when
    `latest` is not a universe run); a damaged manifest leaves its maker out, with a warning."""
    previous = previous_run(reports_dir)
    if previous is None or previous[1].get("kind") != "universe":
        return {}
    run_dir, found = previous[0], {}
    for key in previous[1].get("makers", {}):
        try:
            found[key] = (run_dir / key, runs.read_manifest(run_dir / key / "manifest.json"))
        except runs.DamagedFile as error:
            log.warning("not reusing %s's notebooks of the last universe run: %s", key, error)
    return found


def _reuse(job, plan_, folder, done: dict, previous, force: bool) -> bool:
    """Reuse a maker's notebook from the last universe run when nothing it depends on changed
    (its inputs hash as a single run's do; a notebook reading results only once all it reads are
    known, i.e. reused too); `done` collects the reused."""
    if (force and job.selected) or not set(job.spec.needs) <= set(done):
        return False
    job.input_hash = input_hash(job, plan_, library_hash(job.spec.path), done)
    if previous is None or not try_reuse(job, previous, folder):
        return False
    done[job.name] = job
    return True


def _reused_outcome(job) -> dict:
    """What a notebook that reads results receives from a reused one (as from a finished task)."""
    keys = {"name": job.name, "title": job.spec.title, "status": job.status, "note": job.note}
    return dict(keys, results=job.results)


def _reuse_all(by_maker, build, options) -> dict[str, dict]:
    """Every maker's notebooks that are unchanged since the last universe run, copied into this
    run's folders: {maker: {notebook: job}}."""
    previous, reused = previous_maker_runs(build.parent), {}
    for key, plan_ in by_maker.items():
        folder, done = build / key, {}
        folder.mkdir()
        for job in plan_.jobs:
            _reuse(job, plan_, folder, done, previous.get(key), options.force)
        reused[key] = done
    count = sum(len(done) for done in reused.values())
    if count:
        log.info("%d notebook(s) unchanged since the last universe run: reused", count)
    return reused


def _submit(by_maker, reused, run_id, started, build, options, client, commit, mine) -> dict:
    """One task per selected notebook and maker not reused from the last universe run; a notebook
    that reads results waits for them (or is given those of the reused)."""
    from lib.pipeline.cluster import TASK_RETRIES, run_task

    submitted = {}
    for key, plan_ in by_maker.items():
        plan_.run_id, plan_.started = f"{run_id}/{key}", started
        folder, futures, done = build / key, {}, reused[key]
        for job in plan_.jobs:
            if job.name in done:
                continue
            if not job.selected:
                job.status = "skipped"
                continue
            payload = dict(payload_for(job, plan_, folder, options, commit), identity=mine)
            needs = [
                futures[n] if n in futures else _reused_outcome(done[n])
                for n in job.spec.needs
                if n in futures or n in done
            ]
            future = client.submit(
                run_task,
                payload,
                *needs,
                key=f"{run_id}/{key}/{job.name}",
                pure=False,
                retries=TASK_RETRIES,
            )
            futures[job.name] = future
            submitted[future.key] = (future, job, payload, folder)
    return submitted


def _collect(submitted: dict, client) -> None:
    """As tasks finish: write each executed notebook here, render its report, record it."""
    from dask.distributed import as_completed

    for future in as_completed([entry[0] for entry in submitted.values()]):
        _, job, payload, folder = submitted[future.key]
        try:
            outcome = future.result()
        except Exception as error:  # the task failed on every worker it was given (e.g. killed)
            outcome = {
                "status": "failed",
                "duration_s": 0.0,
                "results": [],
                "note": None,
                "error": {
                    "cell": None,
                    "cell_index": None,
                    "ename": type(error).__name__,
                    "evalue": str(error),
                    "message": f"{job.name}: its Dask task failed: {type(error).__name__}: {error}",
                },
            }
        text = outcome.pop("notebook", None)
        if text is not None:
            write_text(folder / f"{job.name}.ipynb", text)
            render_report(payload, outcome, folder)
        record_outcome(job, outcome, maker=folder.name)


def _write_makers(by_maker: dict[str, Plan], build: Path, commit: str) -> str:
    """Each maker's manifest, results and index; the universe's status (ok only if all are). A
    notebook that read results gets its input hash now that they are known (the next run may
    reuse it)."""
    statuses = []
    for key, plan_ in by_maker.items():
        done = {job.name: job for job in plan_.jobs}
        for job in plan_.jobs:
            if not job.input_hash and job.status in ("ok", "no_data"):
                job.input_hash = input_hash(job, plan_, library_hash(job.spec.path), done)
        status = run_status(plan_.jobs)
        write_run_files(plan_, build / key, status, commit, earlier=False)
        statuses.append(status)
    return "failed" if "failed" in statuses else "partial" if "partial" in statuses else "ok"


def _write_universe(by_maker, build, run_id, status, started, commit, where) -> None:
    first = next(iter(by_maker.values()))
    content = {key: json.loads((build / key / "results.json").read_text()) for key in by_maker}
    rows = league.league_table(content, makers.registry(first.data_dir))
    finished = now()
    manifest = {
        "run_id": run_id,
        "kind": "universe",
        "status": status,
        "scenario": first.scenario.name,
        "started": iso(started),
        "finished": iso(finished),
        "duration_s": round((finished - started).total_seconds(), 2),
        "git_commit": commit,
        "data_as_of": first.data_as_of,
        "executed_on": where,
        "makers": {key: run_status(p.jobs) for key, p in by_maker.items()},
        "notebooks": [],
    }
    write_json(build / "manifest.json", manifest)
    workbook.write_universe(build, content)
    write_json(
        build / "results.json",
        {"run_id": run_id, "kind": "universe", "notebooks": {}, "makers": content},
    )
    write_text(
        build / "index.html",
        render.universe_html(
            title="Chinese EV makers: the coverage universe",
            run={
                "run_id": run_id,
                "status": status,
                "scenario": first.scenario.name,
                "data_as_of": first.data_as_of,
                "executed_on": where,
                "status_label": render.STATUS_LABELS.get(status, status),
            },
            columns=league.COLUMNS,
            tables={
                column: league.sorted_rows(rows, column)
                for column in ["maker", *(c.key for c in league.COLUMNS)]
            },
            chart=_png(league.league_chart(rows, content)),
            records=league.record_lines(content),
            provenance={
                "Run": run_id,
                "Started": iso(started),
                "Finished": iso(finished),
                "Git commit": commit,
                "Executed on": where,
                "Data": f"deliveries to {first.data_as_of}",
            },
        ),
    )


def _png(figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()
