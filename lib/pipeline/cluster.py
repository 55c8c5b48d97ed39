"""Notebook executions as tasks of a Dask graph, on a local cluster or an existing scheduler.

A task executes one notebook with papermill on a worker, in a private folder, and sends back the
executed notebook and its outcome; the submitting machine alone writes files, renders reports,
holds the lock and repoints `latest`. A notebook that reads other notebooks' results (the summary)
is a task that depends on theirs, so each maker's order is kept while makers run side by side.

Workers must run the same checkout and data as the submitter: `check_workers` refuses a cluster
whose workers differ in project commit, library or data, and every task checks the worker it
lands on again (a worker that joins later runs nothing). `--cluster` is checked before use: a
plain tcp:// scheduler only on this machine (anyone who reaches its port can run code on its
workers) unless --insecure-cluster; tls:// with certificates (Dask's Security) elsewhere; and
the scheduler must answer Dask's handshake within --cluster-timeout.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import logging
import os
import re
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lib import data, kernels, paths
from lib.pipeline import shared
from lib.pipeline.model import BadInput, ClusterOptions, environment_kept
from lib.pipeline.notebook import execute_notebook, failure
from lib.pipeline.planning import git_commit

log = logging.getLogger("lib.pipeline")

TASK_RETRIES = 1  # a task whose kernel died is tried once more (a lost worker: by the scheduler)
WRONG_WORKER = "WrongWorker"  # the `ename` of a task that its worker refused to run
EXPECTED_ADDRESS = "expected tcp://HOST:PORT or tls://HOST:PORT (PORT 1 to 65535)"
HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?")  # urlsplit lower-cases host names
TLS_OPTIONS = {  # option: (ClusterOptions field, Security field)
    "--tls-ca-file": ("tls_ca_file", "tls_ca_file"),
    "--tls-cert": ("tls_cert", "tls_client_cert"),
    "--tls-key": ("tls_key", "tls_client_key"),
}


def identity(data_dir: str) -> dict[str, str]:
    """What a machine runs: project commit, a digest of lib/ and of the data files."""
    lib_files = sorted(
        p
        for p in (paths.PROJECT_ROOT / "lib").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    digest = hashlib.sha256()
    for path in lib_files:
        digest.update(
            str(path.relative_to(paths.PROJECT_ROOT)).encode() + b"\0" + path.read_bytes()
        )
    data_digest = hashlib.sha256(
        json.dumps(data.file_hashes(Path(data_dir)), sort_keys=True).encode()
    ).hexdigest()
    return {"commit": git_commit(), "lib": digest.hexdigest()[:16], "data": data_digest[:16]}


def differences(theirs: dict[str, str], mine: dict[str, str]) -> str:
    """e.g. 'commit 0a3a079 (submitter 1b2c3d4), data 5e6f... (submitter 7a8b...)'."""
    return ", ".join(f"{k} {v} (submitter {mine[k]})" for k, v in theirs.items() if v != mine[k])


def check_workers(client, data_dir: Path, mine: dict[str, str] | None = None) -> int:
    """Refuse workers whose checkout or data differ from this machine's (`mine`, by default
    computed here); return their number."""
    mine = mine or identity(str(data_dir))
    theirs = client.run(identity, str(data_dir))
    if not theirs:
        raise BadInput(f"the Dask cluster at {client.scheduler.address} has no worker")
    wrong = [
        f"worker {address}: {differences(seen, mine)}"
        for address, seen in sorted(theirs.items())
        if seen != mine
    ]
    if wrong:
        raise BadInput(
            "the Dask workers do not run the same checkout and data as this machine "
            "(start them from the same commit, with the same data folder):\n  " + "\n  ".join(wrong)
        )
    return len(theirs)


def release_kernels(client, timeout: float = 60) -> None:
    """When a universe ends: each worker of a cluster that outlives the run shuts down its warm
    kernel (a task on each, in the thread that ran its notebooks), instead of keeping an idle
    kernel until the next run. Best effort: a worker that is gone or slow only leaves one."""
    from dask.distributed import wait

    try:
        wait(
            [
                client.submit(
                    _release_kernel, pure=False, workers=[address], allow_other_workers=False
                )
                for address in client.scheduler_info()["workers"]
            ],
            timeout=timeout,
        )
    except Exception as error:  # a timeout, a lost worker or scheduler: the run's outcome stands
        log.info("a Dask worker may keep its kernel after the run: %s", error)


def _release_kernel() -> None:
    kernels.warm_kernel.discard()


def _this_worker() -> str:
    """The Dask worker running this task, as its scheduler knows it (address and name)."""
    from distributed import get_worker

    try:
        worker = get_worker()
    except ValueError:  # called outside a worker
        return f"{socket.gethostname()} (pid {os.getpid()})"
    name = str(worker.name)
    return worker.address if name == worker.address else f"{worker.address} (name {name})"


def _refusal(payload: dict) -> dict | None:
    """A failed outcome if this worker does not run the submitter's checkout and data (it may
    have joined after the run checked the cluster), else None: the task may run here."""
    seen = identity(payload["environment"][paths.DATA_DIR_ENV])
    if seen == payload["identity"]:
        return None
    where = f"{payload['name']} was not run: worker {_this_worker()} refused it"
    error = failure(
        where,
        WRONG_WORKER,
        "this worker does not run the same checkout and data as the "
        f"submitting machine: {differences(seen, payload['identity'])}",
    )
    return {
        "name": payload["name"],
        "status": "failed",
        "duration_s": 0.0,
        "error": error,
        "note": None,
        "results": [],
        "notebook": None,
        "title": payload.get("title"),
    }


def run_shared(payload: dict, call) -> dict:
    """On a worker: compute one result that every maker's notebooks share (`call`, a cached
    function with its arguments) into the run's cache, with the run's environment (`shared`)."""
    refused = _refusal(payload)
    if refused is not None:
        return {"status": "failed", "duration_s": 0.0, "error": refused["error"]["message"]}
    return shared.compute(payload["environment"], call)


def run_task(payload: dict, *needed: dict) -> dict:
    """On a worker: check that it runs the submitter's checkout and data (`payload["identity"]`),
    then execute one notebook in a private folder (with the results of the notebooks it reads as
    results.json); return its outcome and the executed notebook's text."""
    refused = _refusal(payload)
    if refused is not None:
        return refused
    folder = kernels.private_folder("task")
    try:
        if needed:
            context = payload["context"]
            content = {
                "run_id": context["run_id"],
                "scenario": context["scenario"],
                "data_as_of": context["data_as_of"],
                "notebooks": {
                    o["name"]: {k: o.get(k) for k in ("title", "status", "note", "results")}
                    for o in needed
                },
            }
            Path(folder, "results.json").write_text(json.dumps(content, default=str))
        environment = dict(payload["environment"], **{paths.RUN_DIR_ENV: folder})
        task = dict(payload, build_dir=folder, environment=environment, render=False)
        with environment_kept():  # the notebook sets its run's variables
            outcome = execute_notebook(task)
        executed = Path(folder, f"{payload['name']}.ipynb")
        outcome["notebook"] = executed.read_text(encoding="utf-8") if executed.exists() else None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    outcome["title"] = payload.get("title")
    return outcome


# ---------------------------------------------------------------------------------------------
# --cluster: the address, its security and the scheduler's answer, checked before use


@dataclass(frozen=True)
class Scheduler:
    """A checked --cluster: where the scheduler is, how to reach it, how long to wait for it."""

    address: str
    security: Any  # distributed.security.Security
    timeout: float


def quiet_dask() -> None:
    """Dask's own INFO lines (workers starting, connections) drown the run's progress lines; set
    before distributed is first imported, so that its logging config and the workers inherit it."""
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")


def scheduler_target(cluster: ClusterOptions) -> Scheduler:
    """The checked address of --cluster and the Security to reach it with; BadInput if the
    address is malformed, plain tcp:// to another machine without --insecure-cluster, or tls://
    without usable certificates. Nothing is connected to yet."""
    quiet_dask()
    from distributed.security import Security

    scheme, host, port = _host_and_port(cluster.address)
    address = f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"
    if scheme == "tls":
        return Scheduler(address, _security(cluster, address), cluster.timeout)
    given = [option for option, (mine, _) in TLS_OPTIONS.items() if getattr(cluster, mine)]
    if given:
        raise BadInput(
            f"--cluster {address}: {', '.join(given)} given for a plain tcp:// address; use tls://{address[6:]}"
        )
    if not _loopback(host) and not cluster.insecure:
        raise BadInput(
            f"--cluster {address}: a plain tcp:// scheduler on another machine lets anyone who "
            "reaches its port run code on its workers; use tls:// with --tls-ca-file, --tls-cert "
            "and --tls-key, or pass --insecure-cluster to accept an unauthenticated cluster"
        )
    return Scheduler(address, Security(), cluster.timeout)


def _host_and_port(text: str) -> tuple[str, str, int]:
    """(scheme, host, port) of `tcp://HOST:PORT` or `tls://HOST:PORT`; BadInput otherwise."""
    scheme, separator, _ = text.partition("://")
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:  # not a number, or beyond 65535
        port = None
    host = parts.hostname or ""
    extra = parts.path or parts.query or parts.fragment or parts.username or parts.password
    if not separator or scheme not in ("tcp", "tls") or not port or extra:
        raise BadInput(f"--cluster {text!r}: {EXPECTED_ADDRESS}")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not HOST_NAME.fullmatch(host):
            raise BadInput(
                f"--cluster {text!r}: {host!r} is not a host name or IP address; {EXPECTED_ADDRESS}"
            ) from None
    return scheme, host, port


def _loopback(host: str) -> bool:
    """This machine only: `localhost` or a loopback address (no name lookup, which could hang)."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _security(cluster: ClusterOptions, address: str):
    """Dask's Security for a tls:// scheduler: the command line's files, else Dask's config."""
    from distributed.security import Security

    given = {
        theirs: str(getattr(cluster, mine))
        for mine, theirs in TLS_OPTIONS.values()
        if getattr(cluster, mine)
    }
    security = Security(require_encryption=True, **given)
    if not (security.tls_ca_file and security.tls_client_cert):
        raise BadInput(
            f"--cluster {address}: a tls:// scheduler needs --tls-ca-file and --tls-cert (and "
            "--tls-key unless the key is in the certificate file), or Dask's distributed.comm.tls "
            "settings"
        )
    for option, (_, theirs) in TLS_OPTIONS.items():
        value = getattr(security, theirs)
        if value and "\n" not in value and not Path(value).is_file():  # "\n": PEM text in config
            raise BadInput(f"{option} {value}: not a file")
    try:
        security.get_connection_args("client")  # reads the files now, not mid-connect
    except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
        raise BadInput(
            f"--cluster {address}: the TLS files cannot be used ({_one_line(error)})"
        ) from None
    return security


def check_scheduler(address: str, security, timeout: float) -> None:
    """Connect and ask the scheduler who it is, all within `timeout` seconds: a port that
    answers junk, or accepts and never answers, is refused (Dask's own handshake has no limit)."""
    from distributed.comm import connect

    async def ask():
        comm = await connect(address, timeout=timeout, **security.get_connection_args("client"))
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    try:
        answer = asyncio.run(asyncio.wait_for(ask(), timeout))
    except TimeoutError:
        raise BadInput(
            f"--cluster {address}: no Dask scheduler answered within {timeout:g} s (on a slow "
            "network, raise --cluster-timeout)"
        ) from None
    except OSError as error:  # refused, unreachable, or a TLS handshake that failed
        raise _unreachable(address, error) from None
    except Exception as error:  # junk: Dask's decoder fails in many ways (ValueError, MemoryError)
        raise BadInput(
            f"--cluster {address}: something answers there, but not Dask's protocol "
            f"({type(error).__name__}: {_one_line(error)})"
        ) from None
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        raise BadInput(
            f"--cluster {address}: it answers Dask's protocol, but is not a Dask scheduler"
        )


def _unreachable(address: str, error: OSError) -> BadInput:
    hint = (
        "does it accept this client's certificate?"
        if address.startswith("tls://")
        else "is it a tls:// scheduler?"
    )
    return BadInput(
        f"--cluster {address}: cannot connect ({_one_line(error)}); is a Dask scheduler running "
        f"there, and {hint}"
    )


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def start_client(scheduler: Scheduler | None, workers: int):
    """A client of `scheduler` once it has answered in time (check_scheduler), or of a new local
    cluster of `workers` processes (one thread each: a notebook task is a kernel, not Python
    threads) on this machine only."""
    quiet_dask()
    from dask.distributed import Client, LocalCluster

    if scheduler:
        check_scheduler(scheduler.address, scheduler.security, scheduler.timeout)
        try:
            client = Client(
                scheduler.address, timeout=scheduler.timeout, security=scheduler.security
            )
        except OSError as error:
            raise _unreachable(scheduler.address, error) from None
        return client, None
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
        host="127.0.0.1",
    )
    return Client(cluster), cluster
