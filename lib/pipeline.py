"""Plan, validate, execute (papermill), render, index and publish a run of the collection.

A run builds in `reports/<run-id>.partial/`; only when every notebook finished is the folder renamed
to `reports/<run-id>/` and `reports/latest` repointed (atomically). A failed run keeps its folder
as `reports/<run-id>/` with status "failed" in its manifest and index, says which notebook and cell
failed, exits non-zero and leaves `latest` alone. A lock keeps two runs from writing at once.
"""

from __future__ import annotations

import concurrent.futures as futures
import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import logging
import multiprocessing
import os
import platform
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from lib import data, kernels, paths, render, results, runs, scenarios, summary

log = logging.getLogger("lib.pipeline")

EXIT_OK = 0  # every selected notebook finished (or was reused); see `latest` rules in publish()
EXIT_FAILED = 1  # a notebook failed, the run was killed or its files could not be written
EXIT_BAD_INPUT = 2  # bad data, scenario, command line or reports folder; nothing was executed
EXIT_LOCKED = 3  # another run holds the lock on the reports folder; nothing was done
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_FAILED: "a notebook failed",
    EXIT_BAD_INPUT: "bad input",
    EXIT_LOCKED: "another run is in progress",
}
LOCK_NAME = ".run.lock"
_lock_fd: int | None = None  # the held lock's descriptor, closed in pool workers (see _worker_init)


@dataclass
class RunOptions:
    scenario: str = "base"
    only: tuple[str, ...] = ()
    data_dir: Path | None = None
    reports_dir: Path | None = None
    notebooks_dir: Path | None = None
    params_dir: Path | None = None
    jobs: int = 1
    force: bool = False
    cell_timeout: int = 1800  # seconds a single cell may run before the run is failed


@dataclass
class Job:
    """One notebook in a run, and what happened to it."""

    spec: scenarios.NotebookSpec
    values: dict
    overrides: dict
    selected: bool = True
    status: str = "pending"  # ok | failed | reused | skipped
    input_hash: str = ""
    duration_s: float = 0.0
    reused_from: str | None = None
    error: dict | None = None
    results: list[dict] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name


class BadInput(Exception):
    """Raised before any kernel starts: the message names the file, notebook and key."""


class Interrupted(BaseException):  # noqa: N818 - a signal, not an error of the run's making
    """The runner received SIGTERM or SIGHUP: stop the notebooks, publish nothing."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# ---------------------------------------------------------------------------------------------
# Small helpers


def _sha256(*chunks: bytes) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def library_hash() -> str:
    """Hash of the library code and templates (a change re-runs every notebook)."""
    files = sorted(
        p
        for p in Path(paths.PROJECT_ROOT / "lib").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    requirements = paths.PROJECT_ROOT / "requirements.txt"
    return _sha256(
        *(f.read_bytes() for f in files),
        requirements.read_bytes() if requirements.exists() else b"",
    )


def git_commit() -> str:
    """Short commit of the project, with '+changes' when the work tree differs from it."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(paths.PROJECT_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(paths.PROJECT_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return commit + ("+changes" if dirty else "")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def new_run_id(scenario: str, reports_dir: Path, moment: dt.datetime | None = None) -> str:
    """Timestamp and scenario, e.g. 20261125T093000-base; a suffix keeps same-second runs apart."""
    run_id = f"{(moment or _now()).strftime('%Y%m%dT%H%M%S')}-{scenario}"
    candidate, number = run_id, 1
    while (reports_dir / candidate).exists() or (reports_dir / f"{candidate}.partial").exists():
        number += 1
        candidate = f"{run_id}-{number}"
    return candidate


def _write_json(path: Path, content: dict) -> None:
    path.write_text(json.dumps(content, indent=2, default=str) + "\n")


def check_reports_dir(reports_dir: Path) -> None:
    """Refuse, before anything is written, a reports folder the run could not publish into."""
    if reports_dir.parent == reports_dir:
        raise BadInput(f"reports folder {reports_dir}: a filesystem root; choose a folder in it")
    if reports_dir.exists() and not reports_dir.is_dir():
        raise BadInput(f"reports folder {reports_dir}: is a file, not a folder")
    try:
        reports_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=reports_dir, prefix=".write-test-"):
            pass
    except OSError as error:
        raise BadInput(
            f"reports folder {reports_dir}: not writable ({_os_reason(error)})"
        ) from None
    latest = reports_dir / "latest"
    if latest.exists() and not latest.is_symlink():
        kind = "folder" if latest.is_dir() else "file"
        raise BadInput(
            f"{latest}: a real {kind}, where the runner keeps a link to the last good run; "
            "move it away (nothing was changed)"
        )


def _os_reason(error: OSError) -> str:
    """The cause of a failed write in words, e.g. 'No space left on device'."""
    return error.strerror or errno.errorcode.get(error.errno or 0, "") or str(error)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lock_holders(lock_path: Path) -> list[int]:
    """Processes that have the lock file open (Linux /proc; empty elsewhere)."""
    target, holders = str(lock_path.resolve()), []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) == target for fd in fd_dir.iterdir()):
                holders.append(int(fd_dir.parent.name))
    return [pid for pid in holders if pid != os.getpid()]


def _take_over_stale_lock(handle, lock_path: Path) -> None:
    """The lock is held. If the run that took it is dead, stop what it left running and take the
    lock; if it is alive, raise BlockingIOError (another run is in progress)."""
    words = lock_path.read_text().split()
    owner = int(words[1]) if len(words) > 1 and words[0] == "pid" and words[1].isdigit() else None
    if owner is None or _pid_alive(owner):
        raise BlockingIOError(lock_path)
    leftovers = _lock_holders(lock_path)
    log.warning(
        "the run that holds %s (pid %d) is dead; stopping what it left running (pid %s)",
        lock_path, owner, ", ".join(map(str, leftovers)) or "none found",
    )  # fmt: skip
    for pid in leftovers:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    for _ in range(100):  # up to 10 s for the killed processes to release the lock
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            time.sleep(0.1)
    raise BlockingIOError(lock_path)


@contextlib.contextmanager
def run_lock(reports_dir: Path):
    """Hold an exclusive lock on the reports folder, or raise BlockingIOError at once.

    The lock is an flock on `.run.lock`, released by the kernel when its holder dies; a lock kept
    by processes a dead run left behind is recognised and taken over (_take_over_stale_lock)."""
    global _lock_fd
    reports_dir.mkdir(parents=True, exist_ok=True)
    lock_path = reports_dir / LOCK_NAME
    handle = open(lock_path, "a+")  # noqa: SIM115 - held for the whole run
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _take_over_stale_lock(handle, lock_path)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {_iso(_now())}\n")
        handle.flush()
        _lock_fd = handle.fileno()
        yield
    finally:
        _lock_fd = None
        handle.close()


def _clean_stale_builds(reports_dir: Path) -> None:
    """Remove build folders of runs that were killed before publishing (we hold the lock, so no
    run is writing them)."""
    for stale in runs.stale_partials(reports_dir):
        log.warning("removing %s, left by a run that was interrupted before publishing", stale)
        shutil.rmtree(stale, ignore_errors=True)


def _environment(
    data_dir: Path, reports_dir: Path, build_dir: Path, scenario: str
) -> dict[str, str]:
    """Variables the kernels inherit: where the data, reports and this run live."""
    return {
        paths.DATA_DIR_ENV: str(data_dir),
        paths.REPORTS_DIR_ENV: str(reports_dir),
        paths.RUN_DIR_ENV: str(build_dir),
        "EVR_SCENARIO": scenario,
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
    }


# ---------------------------------------------------------------------------------------------
# Planning and validation (nothing is executed here)


@dataclass
class Plan:
    run_id: str
    scenario: scenarios.Scenario
    jobs: list[Job]
    data_dir: Path
    reports_dir: Path
    data_as_of: str
    data_hashes: dict[str, str]
    started: dt.datetime
    freshness: list[dict] = field(default_factory=list)  # per maker: latest month, stale or not


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
        return scenarios.Scenario("base", None, "notebook defaults", {})
    return scenarios.load_scenario(options.scenario, options.params_dir)


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
    scenarios.check_scenario(scenario, specs)
    return specs, scenario


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
    started = _now()
    jobs = [
        Job(
            spec,
            scenarios.parameters_for(spec, scenario),
            scenarios.overrides_for(spec, scenario),
            selected=not options.only or spec.name in options.only,
        )
        for spec in specs
    ]
    return Plan(
        new_run_id(scenario.name, reports_dir, started), scenario, jobs, data_dir, reports_dir,
        data_as_of, data.file_hashes(data_dir), started,
        data.freshness(deliveries).to_dict("records"),
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Executing one notebook (runs in a worker process when --jobs > 1)


def execute_notebook(payload: dict) -> dict:
    """Execute one notebook with papermill and render its report. Returns status and timings."""
    import papermill  # imported here: planning and reuse do not need it

    os.environ.update(payload["environment"])
    source, build_dir, name = Path(payload["path"]), Path(payload["build_dir"]), payload["name"]
    log.info("%s started", name)
    executed = build_dir / f"{name}.ipynb"
    started = time.perf_counter()
    outcome = {"name": name, "status": "ok", "error": None}
    try:
        papermill.execute_notebook(
            str(source),
            str(executed),
            parameters=payload["overrides"],
            kernel_name="python3",
            cwd=str(source.parent),
            progress_bar=False,
            execution_timeout=payload["cell_timeout"],
            kernel_manager_class=kernels.KERNEL_MANAGER,  # IPC sockets: no port to collide on
        )
    except papermill.PapermillExecutionError as error:
        where = f"{name} failed in cell In [{error.exec_count}]"
        outcome["error"] = _failure(
            where, error.ename, error.evalue, error.exec_count, error.cell_index
        )
    except OSError as error:  # e.g. the disk filled up while papermill saved the notebook
        outcome["error"] = _failure(f"{name} could not be written", "OSError", _os_reason(error))
    except Exception as error:  # kernel death, timeout, unreadable notebook: still a report
        outcome["error"] = _failure(f"{name} failed", type(error).__name__, str(error))
    outcome["duration_s"] = round(time.perf_counter() - started, 2)
    try:
        outcome["results"] = results.from_notebook(executed) if executed.exists() else []
    except Exception as error:  # a truncated file (full disk) or a damaged notebook
        outcome["results"] = []
        outcome["error"] = outcome["error"] or _failure(
            f"{name}: the executed notebook {executed} cannot be read", type(error).__name__,
            _disk_hint(executed, str(error)),
        )  # fmt: skip
        outcome["status"] = "failed"
        return outcome
    if executed.exists():
        context = render.ReportContext(
            **payload["context"], status="failed" if outcome["error"] else "ok"
        )
        context.provenance["Execution time"] = f"{outcome['duration_s']:.1f} s"
        try:
            render.render_notebook(executed, build_dir / f"{name}.html", context)
        except Exception as error:  # the notebook ran, its report did not: still a failure
            where = f"{name} ran but its report could not be rendered"
            outcome["error"] = outcome["error"] or _failure(where, type(error).__name__, str(error))
    outcome["status"] = "failed" if outcome["error"] else "ok"
    return outcome


def _disk_hint(path: Path, message: str) -> str:
    """Say so when a file could not be read back because its disk is (nearly) full."""
    with contextlib.suppress(OSError):
        if shutil.disk_usage(path.parent).free < 1_000_000:
            return f"{_os_reason(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))} ({message})"
    return message


def _failure(
    where: str, ename: str, evalue: str, cell: int | None = None, cell_index: int | None = None
) -> dict:
    """What the manifest, the index and the log say about a failed notebook."""
    return {
        "cell": cell,
        "cell_index": cell_index,
        "ename": ename,
        "evalue": evalue,
        "message": f"{where}: {ename}: {evalue}",
    }


def _parameter_rows(job: Job) -> list[dict]:
    return [
        {
            "notebook": job.name,
            "name": name,
            "value": repr(job.values[name]),
            "default": repr(parameter.default),
            "help": parameter.help,
            "changed": name in job.overrides and job.overrides[name] != parameter.default,
        }
        for name, parameter in job.spec.parameters.items()
    ]


def shown_path(path: Path) -> str:
    """A path as readers see it: relative to the project, never a machine's own folders."""
    path = Path(path).resolve()
    if path.is_relative_to(paths.PROJECT_ROOT):
        return str(path.relative_to(paths.PROJECT_ROOT)) or "."
    return f"{path.name} (outside the project)"


def _focus_maker(values: dict, known: list[str]) -> str | None:
    """The maker a notebook is about, as a delivery-data key, from its maker parameter."""
    by_company = {str(c).lower(): key for key, c in data.MAKER_COMPANY.items() if c}
    for name in ("maker", "company", "focus_brand"):
        value = str(values.get(name, "")).strip().lower()
        key = by_company.get(value, value.replace(" ", "_"))
        if key in known:
            return key
    return None


def freshness_note(plan_: Plan, focus: str | None = None) -> str:
    """One line for readers: the focus maker's latest month, and every maker that is stale."""
    rows = {row["brand"]: row for row in plan_.freshness}
    parts = [f"newest month in the deliveries data {plan_.data_as_of}"]
    if focus in rows:
        parts.insert(0, f"{focus} deliveries to {rows[focus]['latest']}")
    stale = [
        f"{row['brand']} to {row['latest']} (missing {', '.join(row['missing'])})"
        for row in plan_.freshness
        if row["stale"]
    ]
    if stale:
        parts.append(f"stale ({data.STALE_AFTER_MONTHS}+ months behind): " + "; ".join(stale))
    return "; ".join(parts)


def _payload(job: Job, plan_: Plan, build_dir: Path, options: RunOptions, commit: str) -> dict:
    focus = _focus_maker(job.values, [row["brand"] for row in plan_.freshness])
    provenance = {
        "Run": plan_.run_id,
        "Scenario": plan_.scenario.name
        + (f" ({shown_path(plan_.scenario.path)})" if plan_.scenario.path else ""),
        "Data as of": f"deliveries to {plan_.data_as_of}, from {shown_path(plan_.data_dir)}",
        "Data freshness": freshness_note(plan_, focus),
        "Git commit": commit,
        "Run started": _iso(plan_.started),
        "Notebook": f"notebooks/{job.spec.path.name}",
        "Python": platform.python_version(),
    }
    return {
        "name": job.name,
        "path": str(job.spec.path),
        "build_dir": str(build_dir),
        "overrides": job.overrides,
        "cell_timeout": options.cell_timeout,
        "environment": _environment(
            plan_.data_dir, plan_.reports_dir, build_dir, plan_.scenario.name
        ),
        "context": {
            "run_id": plan_.run_id,
            "scenario": plan_.scenario.name,
            "data_as_of": plan_.data_as_of,
            "freshness": freshness_note(plan_, focus),
            "parameters": _parameter_rows(job),
            "provenance": provenance,
        },
    }


# ---------------------------------------------------------------------------------------------
# Reuse of unchanged notebooks


def _input_hash(job: Job, plan_: Plan, lib_hash: str, done: dict[str, Job]) -> str:
    """Hash of everything a notebook's output depends on: source, parameters, data, library,
    and the results of the notebooks it needs."""
    needed = {name: done[name].results for name in job.spec.needs if name in done}
    return _sha256(
        job.spec.path.read_bytes(),
        json.dumps(job.values, sort_keys=True, default=str).encode(),
        json.dumps(plan_.data_hashes, sort_keys=True).encode(),
        lib_hash.encode(),
        json.dumps(needed, sort_keys=True, default=str).encode(),
    )


def _previous_run(reports_dir: Path) -> tuple[Path, dict] | None:
    """The run `latest` points at, and its manifest; None (with a warning) when it is damaged."""
    latest = reports_dir / "latest"
    if not latest.exists():
        return None
    try:
        return latest.resolve(), runs.read_manifest(latest / "manifest.json")
    except runs.DamagedFile as error:
        log.warning("not reusing any notebook of the last run: %s", error)
        return None


def _try_reuse(job: Job, previous: tuple[Path, dict] | None, build_dir: Path) -> bool:
    """Copy a notebook's outputs from the previous good run when its inputs are unchanged."""
    if previous is None:
        return False
    run_dir, manifest = previous
    entry = next((n for n in manifest.get("notebooks", []) if n["name"] == job.name), None)
    if (
        not entry
        or entry.get("status") not in ("ok", "reused")
        or entry.get("input_hash") != job.input_hash
    ):
        return False
    sources = [run_dir / f"{job.name}.ipynb", run_dir / f"{job.name}.html"]
    if not all(path.exists() for path in sources):
        return False
    for path in sources:
        shutil.copy2(path, build_dir / path.name)
    job.status = "reused"
    job.reused_from = entry.get("reused_from") or manifest["run_id"]
    job.results = results.from_notebook(build_dir / f"{job.name}.ipynb")
    return True


# ---------------------------------------------------------------------------------------------
# Writing the run's files


def _results_json(plan_: Plan, jobs: list[Job]) -> dict:
    return {
        "run_id": plan_.run_id,
        "scenario": plan_.scenario.name,
        "data_as_of": plan_.data_as_of,
        "notebooks": {
            job.name: {"title": job.spec.title, "status": job.status, "results": job.results}
            for job in jobs
            if job.status != "pending"
        },
    }


def _manifest(
    plan_: Plan, jobs: list[Job], status: str, commit: str, finished: dt.datetime | None
) -> dict:
    return {
        "run_id": plan_.run_id,
        "status": status,
        "scenario": plan_.scenario.name,
        "scenario_file": str(plan_.scenario.path) if plan_.scenario.path else None,
        "scenario_description": plan_.scenario.description,
        "started": _iso(plan_.started),
        "finished": _iso(finished) if finished else None,
        "duration_s": round((finished - plan_.started).total_seconds(), 2) if finished else None,
        "git_commit": commit,
        "data_dir": str(plan_.data_dir),
        "data_as_of": plan_.data_as_of,
        "data_freshness": plan_.freshness,
        "data_hashes": plan_.data_hashes,
        "python": platform.python_version(),
        "notebooks": [
            {
                "name": job.name,
                "title": job.spec.title,
                "status": job.status,
                "duration_s": job.duration_s,
                "parameters": job.values,
                "overrides": job.overrides,
                "input_hash": job.input_hash,
                "reused_from": job.reused_from,
                "error": job.error,
                "html": f"{job.name}.html" if job.status in ("ok", "failed", "reused") else None,
                "ipynb": f"{job.name}.ipynb" if job.status in ("ok", "failed", "reused") else None,
            }
            for job in jobs
        ],
    }


def past_runs(reports_dir: Path, limit: int = 30) -> list[dict]:
    """Published runs in the reports folder, newest first, for the index's run list."""
    return [
        {
            "run_id": run.run_id,
            "scenario": run.manifest.get("scenario", ""),
            "status": run.manifest["status"],
            "data_as_of": run.manifest.get("data_as_of", ""),
            "finished": run.manifest.get("finished") or "",
            "href": f"../{run.folder.name}/index.html",
        }
        for run in reversed(runs.scan(reports_dir))
    ][:limit]


def _headline(job: Job) -> dict | None:
    """The result a card shows: the notebook's `evr.headline` metadata, else its first result."""
    if not job.results:
        return None
    wanted = job.spec.headline
    chosen = next((r for r in job.results if r["name"] == wanted), job.results[0])
    return {
        "name": chosen["name"],
        "text": results.format_value(chosen),
        "meaning": chosen["meaning"],
    }


def _answers(current: summary.RunResults) -> list[dict]:
    """The four headline answers for the index, worded by lib.summary from the recorded results."""
    return [
        {
            "notebook": answer.question.notebook,
            "name": answer.headline["name"] if answer.available else "",
            "question": answer.question.question,
            "text": results.format_value(answer.headline) if answer.available else "not available",
            "meaning": answer.headline["meaning"] if answer.available else answer.sentence,
            "href": f"{answer.question.notebook}.html",
        }
        for answer in summary.answers(current)
        if answer.status != "missing"
    ]


def _table_html(table) -> str:
    return table.to_html(classes="evr-table", border=0, escape=True) if not table.empty else ""


def _index(plan_: Plan, jobs: list[Job], manifest: dict, runs: list[dict], build_dir: Path) -> str:
    cards = []
    for job in jobs:
        has_report = job.status in ("ok", "failed", "reused")
        cards.append(
            {
                "name": job.name,
                "title": job.spec.title,
                "status": job.status,
                "status_label": render.STATUS_LABELS.get(job.status, job.status),
                "duration": f"{job.duration_s:.1f} s" if job.status == "ok" else (
                    f"from run {job.reused_from}" if job.reused_from else ""),
                "question": render.first_paragraph(job.spec.path),
                "headline": _headline(job) if job.status in ("ok", "reused") else None,
                "error": job.error["message"] if job.error else None,
                "html": f"{job.name}.html" if has_report else None,
                "ipynb": f"{job.name}.ipynb" if has_report else None,
            }
        )  # fmt: skip
    current = summary.RunResults(build_dir, _results_json(plan_, jobs))
    answers = _answers(current)
    failed = [job for job in jobs if job.status == "failed"]
    return render.index_html(
        title="Chinese EV makers: research notebooks",
        subtitle="Sales trajectory, brand premium, price-war margins and overseas payback, "
        "answered with data as probabilities and ranges.",
        run={
            "run_id": plan_.run_id,
            "status": manifest["status"],
            "status_label": render.STATUS_LABELS.get(manifest["status"], manifest["status"]),
            "scenario": plan_.scenario.name,
            "scenario_description": plan_.scenario.description,
            "data_as_of": plan_.data_as_of,
            "failure_summary": " ".join(job.error["message"] + "." for job in failed),
        },
        answers=answers,
        cards=cards,
        scenario_table=_table_html(summary.scenario_comparison(current, plan_.reports_dir)),
        history_table=_table_html(summary.headline_history(current, plan_.reports_dir)),
        parameters=[row for job in jobs for row in _parameter_rows(job)],
        runs=runs,
        provenance={
            "Run": plan_.run_id,
            "Status": manifest["status"],
            "Started": manifest["started"],
            "Finished": manifest["finished"] or "",
            "Git commit": manifest["git_commit"],
            "Data": f"{shown_path(plan_.data_dir)} (deliveries to {plan_.data_as_of})",
        },
        freshness=plan_.freshness,
    )


def _append_history(reports_dir: Path, plan_: Plan, jobs: list[Job], finished: str) -> None:
    runs.append_history(
        reports_dir,
        [
            {
                "run_id": plan_.run_id, "scenario": plan_.scenario.name,
                "data_as_of": plan_.data_as_of, "finished": finished, "notebook": job.name,
                "result": result["name"], "value": result["value"], "low": result.get("low"),
                "high": result.get("high"), "unit": result["unit"],
            }
            for job in jobs
            for result in job.results
        ],
    )  # fmt: skip


def publish(build_dir: Path, reports_dir: Path, run_id: str, success: bool) -> Path:
    """Move the finished build into place; repoint `latest` only for a successful run."""
    final = reports_dir / run_id
    os.replace(build_dir, final)
    if success:
        temporary = reports_dir / f".latest-{run_id}"
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        temporary.symlink_to(run_id, target_is_directory=True)
        os.replace(temporary, reports_dir / "latest")  # atomic on POSIX
    return final


# ---------------------------------------------------------------------------------------------
# The run


def _record(job: Job, outcome: dict) -> None:
    job.status = outcome["status"]
    job.duration_s = outcome["duration_s"]
    job.error = outcome["error"]
    job.results = outcome["results"]
    if job.error:
        log.error("%s FAILED after %.1f s: %s", job.name, job.duration_s, job.error["message"])
    else:
        log.info("%s finished in %.1f s (%d results)", job.name, job.duration_s, len(job.results))


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
        failure = _failure(f"{job.name}: its worker process died", type(error).__name__, message)
        return {"status": "failed", "duration_s": 0.0, "error": failure, "results": []}


def _execute_all(plan_: Plan, options: RunOptions, build_dir: Path, commit: str) -> None:
    """Run every job in dependency order, independent ones in parallel when jobs > 1.

    A notebook whose inputs are unchanged since `latest` is reused; with --force only those left
    out by --only are, so that a run of a few notebooks can still be complete."""
    previous = _previous_run(plan_.reports_dir)
    lib_hash = library_hash()
    pending = list(plan_.jobs)
    done: dict[str, Job] = {}
    total = len(pending)
    context = multiprocessing.get_context("fork")
    pool = (
        futures.ProcessPoolExecutor(
            max_workers=options.jobs,
            mp_context=context,
            initializer=_worker_init,
            initargs=(os.getpid(), _lock_fd),
        )  # fmt: skip
        if options.jobs > 1
        else None
    )
    running: dict[futures.Future, Job] = {}
    try:
        while pending or running:
            for job in [j for j in pending if set(j.spec.needs) <= set(done)]:
                pending.remove(job)
                job.input_hash = _input_hash(job, plan_, lib_hash, done)
                position = f"[{total - len(pending)}/{total}]"
                may_reuse = not options.force or not job.selected
                if may_reuse and _try_reuse(job, previous, build_dir):
                    log.info(
                        "%s %s unchanged since run %s: reused", position, job.name, job.reused_from
                    )
                elif not job.selected:
                    job.status = "skipped"
                    log.info("%s %s not selected (--only): skipped", position, job.name)
                else:
                    if job.spec.needs:  # it reads this run's results so far
                        _write_json(
                            build_dir / "results.json", _results_json(plan_, list(done.values()))
                        )
                    payload = _payload(job, plan_, build_dir, options, commit)
                    log.info(
                        "%s %s queued (%d parameter(s) overridden)",
                        position,
                        job.name,
                        len(job.overrides),
                    )
                    if pool is None:
                        _record(job, execute_notebook(payload))
                    else:
                        running[pool.submit(execute_notebook, payload)] = job
                        continue
                done[job.name] = job
            if running:
                finished, _ = futures.wait(running, return_when=futures.FIRST_COMPLETED)
                for future in finished:
                    job = running.pop(future)
                    _record(job, _outcome(job, future))
                    done[job.name] = job
    except BaseException:  # interrupted: kill the workers first, or shutdown() would wait for them
        _stop_children()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    if pool is not None:
        pool.shutdown(cancel_futures=True)


def _start_log(build_dir: Path) -> logging.Handler:
    handler = logging.FileHandler(build_dir / "run.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logging.getLogger("lib").addHandler(handler)
    return handler


def _status(jobs: list[Job]) -> str:
    """ok: every notebook finished or was reused; partial: some were not run; failed."""
    if any(job.status == "failed" for job in jobs):
        return "failed"
    return "partial" if any(job.status == "skipped" for job in jobs) else "ok"


def _write_run_files(plan_: Plan, build_dir: Path, status: str, commit: str) -> dict:
    """manifest.json, results.json and index.html of a run whose notebooks are done."""
    manifest = _manifest(plan_, plan_.jobs, status, commit, _now())
    _write_json(build_dir / "manifest.json", manifest)
    _write_json(build_dir / "results.json", _results_json(plan_, plan_.jobs))
    runs_list = [
        {"run_id": plan_.run_id, "scenario": plan_.scenario.name, "status": status,
         "data_as_of": plan_.data_as_of, "finished": manifest["finished"], "href": "index.html"}
    ] + past_runs(plan_.reports_dir)  # fmt: skip
    (build_dir / "index.html").write_text(
        _index(plan_, plan_.jobs, manifest, runs_list, build_dir), encoding="utf-8"
    )
    return manifest


def execute(plan_: Plan, options: RunOptions) -> int:
    """Execute a validated plan; return the exit code.

    Nothing half-written is published: a run killed by a signal, or one whose files cannot be
    written (full disk, folder gone), removes its build folder and leaves `latest` alone."""
    build_dir = plan_.reports_dir / f"{plan_.run_id}.partial"
    build_dir.mkdir(parents=True)
    handler = _start_log(build_dir)
    commit = git_commit()
    saved_environment = dict(os.environ)
    try:
        log.info(
            "run %s: scenario %s, %d notebook(s), data to %s, building in %s",
            plan_.run_id, plan_.scenario.name, len(plan_.jobs), plan_.data_as_of, build_dir,
        )  # fmt: skip
        _execute_all(plan_, options, build_dir, commit)
        status = _status(plan_.jobs)
        manifest = _write_run_files(plan_, build_dir, status, commit)
        final = publish(build_dir, plan_.reports_dir, plan_.run_id, status == "ok")
        if status == "ok":
            _append_history(plan_.reports_dir, plan_, plan_.jobs, manifest["finished"])
    except Interrupted as signal_:
        _discard(build_dir)
        log.error(
            "run %s stopped by %s: nothing was published; reports/latest still points at the last good run",
            plan_.run_id, signal_,
        )  # fmt: skip
        raise
    except OSError as error:
        _discard(build_dir)
        log.error(
            "run %s FAILED: cannot write %s: %s; nothing was published",
            plan_.run_id, error.filename or plan_.reports_dir, _os_reason(error),
        )  # fmt: skip
        return EXIT_FAILED
    finally:
        logging.getLogger("lib").removeHandler(handler)
        handler.close()
        os.environ.clear()
        os.environ.update(saved_environment)
    return _report_outcome(plan_, manifest, final)


def _discard(build_dir: Path) -> None:
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
            plan_.run_id, left_out, final,
        )  # fmt: skip
        return EXIT_OK
    failed = ", ".join(job.name for job in plan_.jobs if job.status == "failed")
    log.error(
        "run %s FAILED (%s); its reports are kept in %s; reports/latest still points at the last good run",
        plan_.run_id, failed, final,
    )  # fmt: skip
    return EXIT_FAILED


@contextlib.contextmanager
def _signals_interrupt():
    """While a run executes, SIGTERM and SIGHUP stop it cleanly (see Interrupted)."""

    def interrupt(signum, _frame):
        raise Interrupted(signum)

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run(options: RunOptions, scenario_names: list[str] | None = None) -> int:
    """Validate, then execute under the lock. Returns a documented exit code (see EXIT_CODES).

    With several `scenario_names`, every scenario is validated before any runs; each then gets a
    run of its own, in the order given (the last one's index is what `latest` shows)."""
    reports_dir = Path(options.reports_dir or paths.reports_dir()).resolve()
    names = scenario_names or [options.scenario]
    try:
        check_reports_dir(reports_dir)
    except BadInput as error:
        log.error("bad input, nothing was run: %s", error)
        return EXIT_BAD_INPUT
    try:
        with run_lock(reports_dir), _signals_interrupt():
            _clean_stale_builds(reports_dir)
            try:
                plans = [
                    (plan(replace(options, scenario=name)), replace(options, scenario=name))
                    for name in names
                ]
            except BadInput as error:
                log.error("bad input, nothing was run:\n%s", error)
                return EXIT_BAD_INPUT
            codes = []
            for plan_, scenario_options in plans:
                # planned ahead: each scenario's run starts (and is named) when it starts
                plan_.started = _now()
                plan_.run_id = new_run_id(plan_.scenario.name, reports_dir, plan_.started)
                codes.append(execute(plan_, scenario_options))
            return max(codes)
    except BlockingIOError:
        holder = (reports_dir / LOCK_NAME).read_text().strip()
        log.error(
            "another run is writing to %s (%s); exiting without doing anything", reports_dir, holder
        )
        return EXIT_LOCKED
    except Interrupted:
        return EXIT_FAILED
    except OSError as error:
        log.error("cannot use %s: %s", error.filename or reports_dir, _os_reason(error))
        return EXIT_FAILED


def all_scenarios(params_dir: Path | None = None) -> list[str]:
    """Every scenario in params/, base last so that `latest` ends on the base case."""
    names = scenarios.available(params_dir)
    return sorted(names, key=lambda name: (name == "base", name))
