"""`--cluster` as a hostile network meets it: malformed addresses, an open scheduler on another
machine, a port that answers junk or never answers, a worker from another checkout that joins
mid-run, and a real TLS cluster with certificates made here (scheduler and workers started as
processes). Each refusal ends with exit code 2 and one clear message, never a traceback or a hang."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import nbformat
import pytest

from lib import paths, pipeline
from lib.__main__ import main
from lib.pipeline import cluster
from tests.conftest import FROZEN_DATA, Cluster, make_project

MAKERS = ["leapmotor", "nio"]


def messages(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.levelname == "ERROR")


# ---------------------------------------------------------------------------------------------
# The address and its security, checked before anything is touched


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            ["--cluster", "garbage"],
            "--cluster 'garbage': expected tcp://HOST:PORT or tls://HOST:PORT",
        ),
        (["--cluster", "tcp://"], "--cluster 'tcp://': expected tcp://HOST:PORT"),
        (["--cluster", "http://x"], "--cluster 'http://x': expected tcp://HOST:PORT"),
        (["--cluster", "tcp://localhost:abc"], "(PORT 1 to 65535)"),
        (["--cluster", "tcp://127.0.0.1:0"], "(PORT 1 to 65535)"),
        (["--cluster", "tcp://127.0.0.1:65536"], "(PORT 1 to 65535)"),
        (["--cluster", "tcp://127.0.0.1"], "(PORT 1 to 65535)"),
        (["--cluster", "tcp://sched uler:8786"], "'sched uler' is not a host name or IP address"),
        (["--cluster", "tcp://127.0.0.1:8786/x"], "expected tcp://HOST:PORT"),
        (
            ["--cluster", "tls://127.0.0.1:8786"],
            "a tls:// scheduler needs --tls-ca-file and --tls-cert",
        ),
        (
            [
                "--cluster",
                "tls://127.0.0.1:8786",
                "--tls-ca-file",
                "/nonexistent/ca.pem",
                "--tls-cert",
                "/nonexistent/c.pem",
            ],
            "--tls-ca-file /nonexistent/ca.pem: not a file",
        ),
        (
            ["--cluster", "tcp://127.0.0.1:8786", "--tls-cert", "/x.pem"],
            "--tls-cert given for a plain tcp:// address; use tls://127.0.0.1:8786",
        ),
        (["--cluster", "tcp://10.0.0.7:8786"], "a plain tcp:// scheduler on another machine"),
        (["--cluster", "tcp://scheduler.example:8786"], "pass --insecure-cluster to accept"),
        (["--tls-cert", "/x.pem"], "--tls-cert need --cluster"),
        (["--insecure-cluster"], "--insecure-cluster need --cluster"),
    ],
)
def test_a_bad_cluster_address_is_refused_before_anything_is_touched(
    tmp_path, caplog, capsys, arguments, expected
):
    reports = tmp_path / "reports"
    code = main(["run", "--reports-dir", str(reports), *arguments])
    assert code == pipeline.EXIT_BAD_INPUT
    assert expected in messages(caplog) + capsys.readouterr().err
    assert not reports.exists()


def test_an_unreadable_certificate_is_named(tmp_path, caplog):
    junk = tmp_path / "ca.pem"
    junk.write_text("not a certificate\n")
    reports = tmp_path / "reports"
    code = main(
        [
            "run",
            "--reports-dir",
            str(reports),
            "--cluster",
            "tls://127.0.0.1:8786",
            "--tls-ca-file",
            str(junk),
            "--tls-cert",
            str(junk),
        ]
    )
    assert code == pipeline.EXIT_BAD_INPUT
    assert "--cluster tls://127.0.0.1:8786: the TLS files cannot be used" in messages(caplog)
    assert not reports.exists()


def test_the_accepted_addresses():
    def address(text: str, **options) -> str:
        return cluster.scheduler_target(pipeline.ClusterOptions(text, **options)).address

    assert address("tcp://127.0.0.1:8786") == "tcp://127.0.0.1:8786"
    assert address("tcp://LOCALHOST:8786") == "tcp://localhost:8786"
    assert address("tcp://[::1]:8786") == "tcp://[::1]:8786"
    assert address("tcp://10.0.0.7:8786", insecure=True) == "tcp://10.0.0.7:8786"


# ---------------------------------------------------------------------------------------------
# Something that is not a scheduler: a clear refusal within the timeout, the lock released


class Listener:
    """A real TCP server on 127.0.0.1 that answers every connection with junk, or never."""

    def __init__(self, answer: bytes | None):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._serve, args=(answer,), daemon=True).start()

    def _serve(self, answer: bytes | None) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:  # closed
                return
            self.connections.append(connection)  # kept open: silence, not a closed door
            if answer is not None:
                connection.sendall(answer)

    def close(self) -> None:
        for connection in [*self.connections, self.socket]:
            connection.close()


def a_good_earlier_run(reports: Path) -> dict[str, str]:
    """A reports folder with a published run and `latest`; returns its listing to compare."""
    run = reports / "20260101T000000-base"
    run.mkdir(parents=True)
    (run / "index.html").write_text("the last good run")
    (reports / "latest").symlink_to(run.name)
    return {p.name: p.read_text() if p.is_file() else "" for p in sorted(run.iterdir())}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        # a message length of 3.5 EiB, which Dask's reader tries to allocate
        (b"\0" * 7 + b"\x30", "something answers there, but not Dask's protocol (MemoryError"),
        (None, "no Dask scheduler answered within 2 s"),  # accepts, never answers: hung before
    ],
    ids=["huge-length", "silent"],
)
def test_a_port_that_answers_junk_or_nothing_is_refused_and_the_lock_released(
    tmp_path, answer, expected
):
    reports = tmp_path / "reports"
    before = a_good_earlier_run(reports)
    listener = Listener(answer)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "lib",
                "run",
                "--makers",
                "nio",
                "--data-dir",
                str(FROZEN_DATA),
                "--reports-dir",
                str(reports),
                "--cluster",
                f"tcp://127.0.0.1:{listener.port}",
                "--cluster-timeout",
                "2",
            ],
            capture_output=True,
            text=True,
            cwd=paths.PROJECT_ROOT,
            timeout=120,
        )
    finally:
        listener.close()
    assert done.returncode == pipeline.EXIT_BAD_INPUT, done.stderr
    assert "Traceback" not in done.stderr
    assert f"--cluster tcp://127.0.0.1:{listener.port}: {expected}" in done.stderr
    assert os.readlink(reports / "latest") == "20260101T000000-base"
    assert sorted(p.name for p in reports.iterdir()) == [
        ".run.lock",
        "20260101T000000-base",
        "latest",
    ]
    assert {p.name: p.read_text() for p in (reports / "latest").iterdir()} == before
    with pipeline.run_lock(reports):  # free: the refused run let go of it
        pass


@pytest.mark.parametrize(
    "answer",
    [b"\x04" + b"\0" * 7 + b"\xff" * 4, b"HTTP/1.1 400 Bad Request\r\n\r\n", b"\xff" * 5000],
    ids=["garbled", "http", "noise"],
)
def test_junk_of_any_shape_is_not_a_scheduler(answer):
    from distributed.security import Security

    listener = Listener(answer)
    address = f"tcp://127.0.0.1:{listener.port}"
    try:
        with pytest.raises(
            pipeline.BadInput, match="something answers there, but not Dask's protocol"
        ):
            cluster.check_scheduler(address, Security(), timeout=5)
    finally:
        listener.close()


# ---------------------------------------------------------------------------------------------
# A worker from another checkout that joins mid-run runs nothing


def test_a_task_on_a_worker_with_another_checkout_refuses_to_run():
    mine = cluster.identity(str(FROZEN_DATA))
    payload = {
        "name": "10_typed",
        "title": "Typed",
        "identity": dict(mine, lib="f" * 16),
        "environment": {paths.DATA_DIR_ENV: str(FROZEN_DATA)},
    }
    outcome = cluster.run_task(payload)  # no path, no kernel: it must not get that far
    assert outcome["status"] == "failed" and outcome["notebook"] is None
    assert outcome["error"]["ename"] == cluster.WRONG_WORKER
    assert outcome["error"]["message"].startswith("10_typed was not run: worker ")
    assert f"lib {mine['lib']} (submitter {'f' * 16})" in outcome["error"]["message"]


SLOW = textwrap.dedent(
    """
    import time
    from lib import results
    for _ in range(int(seconds * 10)):
        time.sleep(0.1)
    results.record("slept_s", seconds, "s", "seconds slept")
    """
)

RUNNER = """
import logging, sys
from pathlib import Path
from lib import pipeline
logging.basicConfig(level=logging.INFO)
root, address = Path(sys.argv[1]), sys.argv[2]
options = pipeline.RunOptions(
    notebooks_dir=root / "notebooks", params_dir=root / "params", data_dir=root / "data",
    reports_dir=root / "reports", cluster=pipeline.ClusterOptions(address),
)
sys.exit(pipeline.run_universe(options, ["base"], ["leapmotor", "nio"]))
"""


def slow_universe_project(root: Path) -> None:
    """One notebook that sleeps two minutes: a run of it is in progress for as long as a test
    needs (the test ends it sooner)."""
    (root / "notebooks").mkdir(parents=True)
    (root / "params").mkdir()
    shutil.copytree(FROZEN_DATA, root / "data")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Slow\n\nSleeps, then records how long."),
        nbformat.v4.new_code_cell(
            'maker: str = "leapmotor"  # the maker\nseconds: float = 120.0  # how long to sleep [0, 600]',
            metadata={"tags": ["parameters"]},
        ),
        nbformat.v4.new_code_cell(SLOW),
    ]
    nbformat.write(nb, root / "notebooks" / "10_slow.ipynb")


def other_checkout(root: Path) -> dict[str, str]:
    """A copy of lib/ with one more file and no git: what a worker from another commit runs.
    Returns the environment that makes Python import it."""
    shutil.copytree(
        paths.PROJECT_ROOT / "lib", root / "lib", ignore=shutil.ignore_patterns("__pycache__")
    )
    (root / "lib" / "changed_elsewhere.py").write_text('"""A change this checkout has."""\n')
    return dict(os.environ, PYTHONPATH=str(root))


def test_a_worker_from_another_checkout_that_joins_mid_run_runs_nothing(tmp_path):
    slow_universe_project(tmp_path / "project")
    environment = other_checkout(tmp_path / "other")
    dask_cluster = Cluster(workers=1)
    try:
        runner = subprocess.Popen(
            [sys.executable, "-c", RUNNER, str(tmp_path / "project"), dask_cluster.address],
            cwd=paths.PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while not list((tmp_path / "project" / "reports").glob("*.partial/run.log")):
            assert time.monotonic() < deadline and runner.poll() is None, runner.stderr.read()
            time.sleep(0.2)
        # the run checked its workers and submitted its tasks; now another checkout joins ...
        dask_cluster.add_worker("other", cwd=tmp_path / "other", env=environment)
        dask_cluster.wait_for(2)
        dask_cluster.kill(dask_cluster.workers[0])  # ... and is the only worker left
        code = runner.wait(timeout=300)
        stderr = runner.stderr.read()
    finally:
        dask_cluster.stop()
    assert code == pipeline.EXIT_FAILED, stderr
    assert "Traceback" not in stderr
    assert "was not run: worker tcp://127.0.0.1:" in stderr and "(name other) refused it" in stderr
    assert re.search(r"submitting machine: .*lib [0-9a-f]{16} \(submitter [0-9a-f]{16}\)", stderr)
    (run,) = [p for p in (tmp_path / "project" / "reports").iterdir() if p.is_dir()]
    assert not (tmp_path / "project" / "reports" / "latest").exists()
    for maker in MAKERS:  # neither maker's notebook ran anywhere: both were refused
        (entry,) = json.loads((run / maker / "manifest.json").read_text())["notebooks"]
        assert entry["status"] == "failed" and entry["error"]["ename"] == cluster.WRONG_WORKER


# ---------------------------------------------------------------------------------------------
# A TLS cluster: only clients with a certificate from the cluster's CA get in


def certificates(folder: Path, name: str) -> dict[str, Path]:
    """A CA and one certificate it signed, made with the openssl command line; the scheduler,
    the workers and the client all use it (Dask checks the chain, not host names)."""
    folder.mkdir(parents=True, exist_ok=True)
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for command in (
        [
            "req",
            "-x509",
            *key,
            "-keyout",
            f"{name}-ca.key",
            "-out",
            f"{name}-ca.pem",
            "-days",
            "2",
            "-subj",
            f"/CN={name} CA",
        ],
        ["req", *key, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}"],
        [
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            f"{name}-ca.pem",
            "-CAkey",
            f"{name}-ca.key",
            "-CAcreateserial",
            "-out",
            f"{name}.pem",
            "-days",
            "2",
        ],
    ):
        subprocess.run(["openssl", *command], cwd=folder, check=True, capture_output=True)
    return {
        "ca": folder / f"{name}-ca.pem",
        "cert": folder / f"{name}.pem",
        "key": folder / f"{name}.key",
    }


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line is not installed")
    files = certificates(tmp_path_factory.mktemp("tls"), "cluster")
    started = Cluster(workers=1, tls=files)
    yield started
    started.stop()


def test_a_universe_runs_on_a_tls_cluster(tls_cluster, tmp_path):
    options = make_project(tmp_path)
    options.cluster = pipeline.ClusterOptions(
        tls_cluster.address, tls_cluster.tls["ca"], tls_cluster.tls["cert"], tls_cluster.tls["key"]
    )
    assert pipeline.run_universe(options, ["small"], ["nio"]) == pipeline.EXIT_OK
    manifest = json.loads((options.reports_dir / "latest" / "manifest.json").read_text())
    assert manifest["executed_on"] == tls_cluster.address
    assert manifest["makers"] == {"nio": "ok"}


@pytest.mark.parametrize("client", ["another CA", "plain tcp"])
def test_a_tls_cluster_refuses_clients_without_its_certificates(tls_cluster, tmp_path, client):
    port = tls_cluster.address.rsplit(":", 1)[1]
    if client == "another CA":
        rogue = certificates(tmp_path / "rogue", "rogue")
        given = [
            "--cluster",
            tls_cluster.address,
            "--tls-ca-file",
            str(rogue["ca"]),
            "--tls-cert",
            str(rogue["cert"]),
            "--tls-key",
            str(rogue["key"]),
        ]
        address = tls_cluster.address
    else:
        address = f"tcp://127.0.0.1:{port}"
        given = ["--cluster", address]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lib",
            "run",
            "--makers",
            "nio",
            "--data-dir",
            str(FROZEN_DATA),
            "--reports-dir",
            str(tmp_path / "reports"),
            "--cluster-timeout",
            "3",
            *given,
        ],
        capture_output=True,
        text=True,
        cwd=paths.PROJECT_ROOT,
        timeout=120,
    )
    assert done.returncode == pipeline.EXIT_BAD_INPUT, done.stderr
    assert "Traceback" not in done.stderr
    assert f"--cluster {address}: " in done.stderr
    assert not [p for p in (tmp_path / "reports").iterdir() if p.name != ".run.lock"]
