"""The vocabulary of a run: options, jobs, the plan, exit codes and small shared helpers."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import logging
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from lib import scenarios
from lib.errors import BadParameter

log = logging.getLogger("lib.pipeline")


EXIT_OK = 0  # every selected notebook finished (or was reused); see `latest` rules in publish()


EXIT_FAILED = 1  # a notebook failed, the run was killed or its files could not be written


EXIT_BAD_INPUT = 2  # bad data, scenario, command line or reports folder (nothing was executed),
# or a parameter a notebook's own checks refused (BAD_PARAMETER)


EXIT_LOCKED = 3  # another run holds the lock on the reports folder; nothing was done


EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_FAILED: "a notebook failed",
    EXIT_BAD_INPUT: "bad input",
    EXIT_LOCKED: "another run is in progress",
}


LOCK_NAME = ".run.lock"


BAD_PARAMETER = BadParameter.__name__  # how papermill names it in a notebook's failed cell


@dataclass(frozen=True)
class ClusterOptions:
    """--cluster and its security: checked and used by lib.pipeline.cluster."""

    address: str
    tls_ca_file: Path | None = None  # unset: Dask's config (distributed.comm.tls.ca-file)
    tls_cert: Path | None = None  # ... distributed.comm.tls.client.cert
    tls_key: Path | None = None  # ... distributed.comm.tls.client.key
    insecure: bool = False  # --insecure-cluster: a plain tcp:// scheduler on another machine
    timeout: float = 10.0  # seconds to connect and hear the scheduler answer


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
    maker: str | None = None  # --maker: every notebook's `maker`, over what the scenario says
    cluster: ClusterOptions | None = None  # --cluster: a Dask scheduler (else a local cluster)
    cache_dir: Path | None = None  # --cache-dir (default: $EVR_CACHE_DIR, else <reports>/.cache)
    use_cache: bool = True  # --no-cache: every expensive result computed, none stored


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
    note: str | None = None  # status "no_data": what the maker lacks, in the notebook's words
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


def sha256(*chunks: bytes) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


@contextmanager
def environment_kept(values: dict[str, str] | None = None) -> Iterator[None]:
    """Set `values` in this process's environment; on leaving, restore it as it was (a notebook
    run in this process sets its run's variables)."""
    saved = dict(os.environ)
    os.environ.update(values or {})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def open_for_writing(path: Path):
    """A text file the runner writes, opened without following a symbolic link in its place: a
    link planted in the reports folder cannot redirect the write to another file (ELOOP)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    return open(os.open(path, flags, 0o644), "w", encoding="utf-8")


def write_text(path: Path, text: str) -> None:
    with open_for_writing(path) as handle:
        handle.write(text)


def write_json(path: Path, content: dict) -> None:
    write_text(path, json.dumps(content, indent=2, default=str) + "\n")


def os_reason(error: OSError) -> str:
    """The cause of a failed write in words, e.g. 'No space left on device'."""
    return error.strerror or errno.errorcode.get(error.errno or 0, "") or str(error)
