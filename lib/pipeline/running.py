"""The run: execute the plan in dependency order, in parallel, stop cleanly on signals, publish."""

from __future__ import annotations

import concurrent.futures as futures
import contextlib
import heapq
import itertools
import logging
import multiprocessing
import os
import shutil
import signal
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from lib import errors, kernels, paths, scenarios
from lib.pipeline import shared
from lib.pipeline.locking import (
    check_reports_dir,
    clean_stale_builds,
    held_lock_fd,
    lock_holder,
    run_lock,
)
from lib.pipeline.model import (
    BAD_PARAMETER,
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_LOCKED,
    EXIT_OK,
    BadInput,
    Interrupted,
    Job,
    Plan,
    RunOptions,
    environment_kept,
    now,
    open_for_writing,
    os_reason,
    write_json,
)
from lib.pipeline.notebook import cache_environment, execute_notebook, failure, payload_for
from lib.pipeline.planning import git_commit, new_run_id, plan, run_label
from lib.pipeline.publishing import (
    history_rows,
    publish,
    results_json,
    run_status,
    write_run_files,
)
from lib.pipeline.reuse import input_hash, library_hash, previous_run, try_reuse

log = logging.getLogger("lib.pipeline")


def record_outcome(job: Job, outcome: dict, maker: str = "") -> None:
    job.status = outcome["status"]
    job.duration_s = outcome["duration_s"]
    job.error = outcome["error"]
    job.note = outcome.get("note")
    job.results = outcome["results"]
    name = f"{maker}/{job.name}" if maker else job.name
    if job.note:
        log.warning("%s has no answer for this maker: %s", name, job.note)
    elif job.error:
        log.error("%s FAILED after %.1f s: %s", name, job.duration_s, job.error["message"])
    else:
        log.info("%s finished in %.1f s (%d results)", name, job.duration_s, len(job.results))


def _worker_init(runner_pid: int, lock_fd: int | None) -> None:
    """Start of a pool worker: die with the runner, and do not keep its lock alive."""
    kernels.die_with_parent(runner_pid)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)  # the runner's handler is not the worker's
    if lock_fd is not None:
        with contextlib.suppress(OSError):
            os.close(lock_fd)  # a forked copy of the runner's lock: an orphan would hold it


def _stop_children() -> None:
    """Stop every process this runner started (pool workers and their kernels), at once."""
    import psutil  # imported here: only an interrupted run needs it

    children = psutil.Process().children(recursive=True)
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.kill()
    psutil.wait_procs(children, timeout=10)


def _outcome(job: Job, future: futures.Future) -> dict:
    """A worker's report, or a failure when the worker itself died (killed, out of memory)."""
    try:
        return future.result()
    except Exception as error:
        message = str(error) or "the worker process ended abruptly"
        died = failure(f"{job.name}: its worker process died", type(error).__name__, message)
        return {"status": "failed", "duration_s": 0.0, "error": died, "results": []}


# Order of the pool's tasks: shared work and the notebook behind it first (the run's longest
# chain: shared work, notebook, then the notebooks that need its results), the others after.
FIRST, LATER = 0, 1


def _execute_all(plan_: Plan, options: RunOptions, build_dir: Path, commit: str) -> None:
    """Run every job in dependency order, independent ones in parallel when jobs > 1.

    A notebook whose inputs are unchanged since `latest` is reused; with --force only those left
    out by --only are, so that a run of a few notebooks can still be complete. The pool gets no
    more tasks than it has workers, the next one chosen by priority (FIRST, LATER): its own queue
    would make a notebook whose shared work just finished wait behind those queued before it."""
    previous = previous_run(plan_.reports_dir)
    pending = list(plan_.jobs)
    done: dict[str, Job] = {}
    total = len(pending)
    context = multiprocessing.get_context("fork")
    pool = (
        futures.ProcessPoolExecutor(
            max_workers=options.jobs,
            mp_context=context,
            initializer=_worker_init,
            initargs=(os.getpid(), held_lock_fd()),
        )
        if options.jobs > 1
        else None
    )
    order = itertools.count()
    backlog: list[tuple] = []  # (priority, order, job, task, arguments), a heap
    running: dict[futures.Future, tuple[Job, Callable]] = {}
    waiting: dict[str, tuple[int, list[dict], dict]] = {}  # behind shared work: calls, outcomes
    try:
        while pending or backlog or running:
            for job in [j for j in pending if set(j.spec.needs) <= set(done)]:
                pending.remove(job)
                job.input_hash = input_hash(job, plan_, library_hash(job.spec.path), done)
                position = f"[{total - len(pending)}/{total}]"
                may_reuse = not options.force or not job.selected
                if may_reuse and try_reuse(job, previous, build_dir):
                    log.info(
                        "%s %s unchanged since run %s: reused", position, job.name, job.reused_from
                    )
                elif not job.selected:
                    job.status = "skipped"
                    log.info("%s %s not selected (--only): skipped", position, job.name)
                else:
                    if job.spec.needs:  # it reads this run's results so far
                        write_json(
                            build_dir / "results.json", results_json(plan_, list(done.values()))
                        )
                    payload = payload_for(job, plan_, build_dir, options, commit)
                    log.info(
                        "%s %s queued (%d parameter(s) overridden)",
                        position,
                        job.name,
                        len(job.overrides),
                    )
                    if pool is None:
                        record_outcome(job, execute_notebook(payload))
                    else:
                        work = _shared_work(job, plan_, options)
                        if work:  # spread over the pool first; the notebook reads the cache
                            waiting[job.name] = (len(work), [], payload)
                            for call in work:
                                task = (shared.compute, (payload["environment"], call))
                                heapq.heappush(backlog, (FIRST, next(order), job, *task))
                        else:
                            task = (execute_notebook, (payload,))
                            heapq.heappush(backlog, (LATER, next(order), job, *task))
                        continue
                done[job.name] = job
            while backlog and len(running) < options.jobs:
                _, _, job, task, arguments = heapq.heappop(backlog)
                running[_submitted(pool, task, arguments)] = (job, task)
            if not running:
                continue
            finished, _ = futures.wait(running, return_when=futures.FIRST_COMPLETED)
            for future in finished:
                job, task = running.pop(future)
                if task is execute_notebook:
                    record_outcome(job, _outcome(job, future))
                    done[job.name] = job
                    continue
                calls, outcomes, payload = waiting[job.name]
                outcomes.append(_shared_outcome(future))
                if len(outcomes) == calls:  # all its shared work is in the cache: the notebook
                    del waiting[job.name]
                    shared.report(outcomes, 1)
                    task = (execute_notebook, (payload,))
                    heapq.heappush(backlog, (FIRST, next(order), job, *task))
    except BaseException:  # interrupted: kill the workers first, or shutdown() would wait for them
        _stop_children()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        kernels.warm_kernel.discard()  # the kernel of the notebooks run here (--jobs 1)
    if pool is not None:
        pool.shutdown(cancel_futures=True)


def _submitted(pool: futures.ProcessPoolExecutor, task: Callable, arguments: tuple):
    """The task's future; one failed with the reason when the pool is broken (a worker died,
    e.g. killed or out of memory: the pool takes no more tasks), so that it fails like the rest."""
    try:
        return pool.submit(task, *arguments)
    except futures.BrokenExecutor as error:
        failed = futures.Future()
        failed.set_exception(error)
        return failed


def _shared_work(job: Job, plan_: Plan, options: RunOptions) -> list:
    """The shared work of a notebook about to run (none without a cache)."""
    return shared.calls(job.name, [plan_]) if shared.wanted(options.use_cache) else []


def _shared_outcome(future: futures.Future) -> dict:
    try:
        return future.result()
    except Exception as error:  # the worker process died: the notebook computes it
        return {"status": "failed", "duration_s": 0.0, "error": f"{type(error).__name__}: {error}"}


@contextlib.contextmanager
def run_log(build_dir: Path):
    """While the run builds: its log lines also go to `run.log` in its folder."""
    with open_for_writing(build_dir / "run.log") as stream:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logging.getLogger("lib").addHandler(handler)
        try:
            yield
        finally:
            logging.getLogger("lib").removeHandler(handler)
            handler.close()


def execute(plan_: Plan, options: RunOptions) -> int:
    """Execute a validated plan; return the exit code.

    Nothing half-written is published: a run killed by a signal, or one whose files cannot be
    written (full disk, folder gone), removes its build folder and leaves `latest` alone."""
    build_dir = plan_.reports_dir / f"{plan_.run_id}.partial"
    build_dir.mkdir(parents=True)
    commit = git_commit()
    with run_log(build_dir), environment_kept():  # a notebook run here sets its variables
        try:
            log.info(
                "run %s: scenario %s, %d notebook(s), data to %s, building in %s",
                plan_.run_id,
                plan_.scenario.name,
                len(plan_.jobs),
                plan_.data_as_of,
                build_dir,
            )
            _execute_all(plan_, options, build_dir, commit)
            status = run_status(plan_.jobs)
            manifest = write_run_files(plan_, build_dir, status, commit)
            history = history_rows(plan_, plan_.jobs, manifest["finished"])
            final = publish(build_dir, plan_.reports_dir, plan_.run_id, status == "ok", history)
        except Interrupted as signal_:
            discard_build(build_dir)
            log.error(
                "run %s stopped by %s: nothing was published; reports/latest still points at the last good run",
                plan_.run_id,
                signal_,
            )
            raise
        except OSError as error:
            discard_build(build_dir)
            log.error(
                "run %s FAILED: cannot write %s: %s; nothing was published",
                plan_.run_id,
                error.filename or plan_.reports_dir,
                os_reason(error),
            )
            return EXIT_FAILED
    return _report_outcome(plan_, manifest, final)


def discard_build(build_dir: Path) -> None:
    shutil.rmtree(build_dir, ignore_errors=True)


def _report_outcome(plan_: Plan, manifest: dict, final: Path) -> int:
    status = manifest["status"]
    if status == "ok":
        log.info(
            "run %s finished in %.1f s: %s",
            plan_.run_id,
            manifest["duration_s"],
            final / "index.html",
        )
        return EXIT_OK
    if status == "partial":
        left_out = ", ".join(job.name for job in plan_.jobs if job.status == "skipped")
        log.warning(
            "run %s is partial (not run: %s): published in %s; reports/latest still points at the last complete run",
            plan_.run_id,
            left_out,
            final,
        )
        return EXIT_OK
    failed = ", ".join(job.name for job in plan_.jobs if job.status == "failed")
    log.error(
        "run %s FAILED (%s); its reports are kept in %s; reports/latest still points at the last good run",
        plan_.run_id,
        failed,
        final,
    )
    return failed_exit({job.name: job for job in plan_.jobs})


def failed_exit(jobs: dict[str, Job]) -> int:
    """The exit code of a failed run: 2 (bad input) when a notebook refused one of its parameters
    (lib.errors.BadParameter, raised by the library's checks once it ran), else 1."""
    refused = {
        name: job for name, job in jobs.items() if job.error and job.error["ename"] == BAD_PARAMETER
    }
    for name, job in refused.items():
        log.error("bad parameter in %s: %s", name, job.error["evalue"])
    return EXIT_BAD_INPUT if refused else EXIT_FAILED


def refused(error: BadInput) -> int:
    log.error("bad input, nothing was run:\n%s", error)
    return EXIT_BAD_INPUT


def under_lock(reports_dir: Path, body: Callable[[], int]) -> int:
    """Check the reports folder, take its lock, remove builds that killed runs left, then run
    `body`; turn what stops a run into its documented exit code and one log line."""
    try:
        check_reports_dir(reports_dir)
        with run_lock(reports_dir), errors.raise_on_termination(Interrupted):
            clean_stale_builds(reports_dir)
            return body()
    except BadInput as error:
        return refused(error)
    except BlockingIOError:
        holder = lock_holder(reports_dir)
        log.error(
            "another run is writing to %s (%s); exiting without doing anything", reports_dir, holder
        )
        return EXIT_LOCKED
    except Interrupted:
        return EXIT_FAILED
    except OSError as error:
        log.error("cannot use %s: %s", error.filename or reports_dir, os_reason(error))
        return EXIT_FAILED


def run(options: RunOptions, scenario_names: list[str] | None = None) -> int:
    """Validate, then execute under the lock. Returns a documented exit code (see EXIT_CODES).

    With several `scenario_names`, every scenario is validated before any runs; each then gets a
    run of its own, in the order given (the last one's index is what `latest` shows)."""
    reports_dir = Path(options.reports_dir or paths.reports_dir()).resolve()

    def body() -> int:
        plans = [
            (plan(replace(options, scenario=name)), replace(options, scenario=name))
            for name in scenario_names or [options.scenario]
        ]
        codes = []
        for plan_, scenario_options in plans:
            # planned ahead: each scenario's run starts (and is named) when it starts
            plan_.started = now()
            plan_.run_id = new_run_id(run_label(plan_.scenario), reports_dir, plan_.started)
            codes.append(execute(plan_, scenario_options))
        return max(codes)

    return under_lock_with_cache(reports_dir, options, body)


def under_lock_with_cache(reports_dir: Path, options: RunOptions, body: Callable[[], int]) -> int:
    """`under_lock`, with this process using the run's cache as its kernels and workers do (the
    data checks that passed are recorded and read there)."""

    def with_cache() -> int:
        with environment_kept(cache_environment(options, reports_dir)):
            return body()

    return under_lock(reports_dir, with_cache)


def all_scenarios(params_dir: Path | None = None) -> list[str]:
    """Every scenario in params/, base last so that `latest` ends on the base case."""
    names = scenarios.available(params_dir)
    return sorted(names, key=lambda name: (name == "base", name))
