"""The runner under faults, as an unlucky operator meets them: a killed run, damaged files from
earlier runs, partial runs, a full or read-only disk, a `latest` that is not a link, kernels
started all at once. Each case ends with the documented exit code, one clear line, and the last
good reports untouched."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from lib import kernels, pipeline, runs
from tests.conftest import errors, good_run, latest_target, make_project, tmpfs

# Helpers


# ---------------------------------------------------------------------------------------------
# Partial runs never become `latest`


def test_only_after_a_good_run_reuses_the_rest_and_stays_complete(tmp_path):
    options = good_run(tmp_path)
    first = latest_target(options)
    options.force, options.only = True, ("10_typed",)
    assert pipeline.run(options) == pipeline.EXIT_OK
    manifest = json.loads((options.reports_dir / "latest" / "manifest.json").read_text())
    statuses = {n["name"]: n["status"] for n in manifest["notebooks"]}
    assert statuses == {"10_typed": "ok", "20_reads": "reused"}  # forced one ran, the rest copied
    assert latest_target(options) != first and manifest["status"] == "ok"
    for name in ("10_typed.html", "20_reads.html", "20_reads.ipynb"):
        assert (options.reports_dir / "latest" / name).exists(), name


def test_partial_run_leaves_latest_alone(tmp_path, caplog):
    options = good_run(tmp_path)
    first = latest_target(options)
    nb = nbformat.read(Path(options.notebooks_dir) / "20_reads.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("An edit: 20_reads can no longer be reused."))
    nbformat.write(nb, Path(options.notebooks_dir) / "20_reads.ipynb")
    options.only = ("10_typed",)
    assert pipeline.run(options) == pipeline.EXIT_OK
    assert latest_target(options) == first
    assert any("is partial (not run: 20_reads)" in m for m in errors(caplog))


# ---------------------------------------------------------------------------------------------
# Damaged files of earlier runs


@pytest.mark.parametrize(
    "damage",
    [
        ("manifest.json", "{not json"),
        ("manifest.json", "[1, 2]"),
        ("manifest.json", '{"run_id": 5}'),
        ("results.json", "{not json"),
        ("results.json", '{"notebooks": {"10_typed": {"results": [1]}}}'),
    ],
)
def test_a_damaged_earlier_run_is_skipped_with_a_warning(tmp_path, caplog, damage):
    options = good_run(tmp_path)
    earlier = options.reports_dir / latest_target(options)
    name, text = damage
    (earlier / name).write_text(text)
    options.force = True
    assert pipeline.run(options) == pipeline.EXIT_OK
    warned = [m for m in errors(caplog) if str(earlier / name) in m]
    assert warned, errors(caplog)
    index = (options.reports_dir / "latest" / "index.html").read_text()
    assert "Finished" in index


def test_a_damaged_history_is_set_aside_and_a_new_one_started(tmp_path, caplog):
    options = good_run(tmp_path)
    history = options.reports_dir / runs.HISTORY_NAME
    history.write_text("junk header,with,other columns\n1,2,3\n")
    options.force = True
    assert pipeline.run(options) == pipeline.EXIT_OK
    kept = list(options.reports_dir.glob(f"{runs.HISTORY_NAME}.damaged-*"))
    assert len(kept) == 1 and kept[0].read_text().startswith("junk header")
    rows = runs.read_history(options.reports_dir)
    assert rows and {row["run_id"] for row in rows} == {latest_target(options)}
    assert any("not the expected history table" in m and kept[0].name in m for m in errors(caplog))


# ---------------------------------------------------------------------------------------------
# Places the run cannot publish into: exit 2 before anything runs, nothing changed


def test_latest_that_is_a_real_folder_or_file_is_refused(tmp_path, caplog):
    for kind in ("folder", "file"):
        options = make_project(tmp_path / kind)
        options.reports_dir.mkdir(parents=True)
        latest = options.reports_dir / "latest"
        latest.mkdir() if kind == "folder" else latest.write_text("keep me")
        assert pipeline.run(options) == pipeline.EXIT_BAD_INPUT
        assert sorted(p.name for p in options.reports_dir.iterdir()) == ["latest"]
        assert any(f"a real {kind}" in m and str(latest) in m for m in errors(caplog))


def run_command(*arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lib", "run", "--only", "01_sales_trajectory", *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize("where", ["file", "root"])
def test_reports_dir_that_is_a_file_or_the_root_is_refused(tmp_path, where):
    target = tmp_path / "reports-file"
    target.write_text("not a folder")
    reports = str(target) if where == "file" else "/"
    before = sorted(os.listdir("/"))
    done = run_command("--reports-dir", reports, cwd=tmp_path)
    assert done.returncode == pipeline.EXIT_BAD_INPUT, done.stderr
    assert "Traceback" not in done.stderr
    assert f"reports folder {reports}" in done.stderr
    assert sorted(os.listdir("/")) == before and target.read_text() == "not a folder"


def test_read_only_reports_dir_is_refused(tmp_path, mounts):
    reports = tmp_path / "ro"
    tmpfs(reports, "ro,size=1m")
    mounts.append(reports)
    done = run_command("--reports-dir", str(reports), cwd=tmp_path)
    assert done.returncode == pipeline.EXIT_BAD_INPUT, done.stderr
    assert "Traceback" not in done.stderr
    assert f"reports folder {reports}: not writable (Read-only file system)" in done.stderr


def test_full_disk_fails_with_one_line_and_publishes_nothing(tmp_path, mounts, caplog):
    options = make_project(tmp_path)
    tmpfs(options.reports_dir, "size=5m")
    mounts.append(options.reports_dir)
    assert pipeline.run(options) == pipeline.EXIT_OK  # a first good run fits
    good = latest_target(options)
    ballast = options.reports_dir / "ballast"
    free = os.statvfs(options.reports_dir).f_bavail * os.statvfs(options.reports_dir).f_frsize
    ballast.write_bytes(b"\0" * max(free - 60_000, 0))  # leave too little for a run
    options.force = True
    assert pipeline.run(options) == pipeline.EXIT_FAILED
    assert latest_target(options) == good
    assert not list(options.reports_dir.glob("*.partial"))
    published = [p for p in options.reports_dir.iterdir() if p.is_dir() and not p.is_symlink()]
    assert [p.name for p in published] == [good]
    assert any("No space left on device" in m for m in errors(caplog)), errors(caplog)


# ---------------------------------------------------------------------------------------------
# A killed run never blocks the next


SLOW_NOTEBOOK = textwrap.dedent(
    """
    import time
    from lib import results
    for _ in range(int(seconds * 10)):
        time.sleep(0.1)
    results.record("slept_s", seconds, "s", "seconds slept")
    """
)


def slow_project(root: Path) -> pipeline.RunOptions:
    """The sample project plus two slow notebooks, so that a kill lands mid-run with 2 jobs."""
    options = make_project(root)
    for name in ("11_slow", "12_slow"):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nb.cells = [
            nbformat.v4.new_markdown_cell(f"# {name}\n\nSleeps, then records how long."),
            nbformat.v4.new_code_cell(
                "seconds: float = 8.0  # how long to sleep [0, 60]",
                metadata={"tags": ["parameters"]},
            ),
            nbformat.v4.new_code_cell(SLOW_NOTEBOOK),
        ]
        nbformat.write(nb, Path(options.notebooks_dir) / f"{name}.ipynb")
    return options


RUNNER = """
import logging, sys
from pathlib import Path
from lib import pipeline
logging.basicConfig(level=logging.INFO)
root = Path(sys.argv[1])
options = pipeline.RunOptions(
    scenario="small", notebooks_dir=root / "notebooks", params_dir=root / "params",
    data_dir=root / "data", reports_dir=root / "reports", jobs=2, force=True,
)
sys.exit(pipeline.run(options))
"""


def started_children(pid: int, timeout: float = 120) -> list[psutil.Process]:
    """The runner's workers, once it has started them (planning comes first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = psutil.Process(pid).children(recursive=True)
        if children:
            return children
        time.sleep(0.1)
    raise AssertionError("the runner started no worker within two minutes")


def descendants_gone(pid_tree: list[psutil.Process], timeout: float = 15) -> list[psutil.Process]:
    _, alive = psutil.wait_procs(pid_tree, timeout=timeout)
    return alive


def test_a_killed_run_never_blocks_the_next(tmp_path):
    slow_project(tmp_path)
    rng = random.Random(20261126)
    for signum in (signal.SIGTERM, signal.SIGKILL, signal.SIGKILL, signal.SIGTERM):
        runner = subprocess.Popen(
            [sys.executable, "-c", RUNNER, str(tmp_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        tree = started_children(runner.pid)
        time.sleep(rng.uniform(0.0, 5.0))  # somewhere in kernel start-up or execution
        tree = psutil.Process(runner.pid).children(recursive=True) or tree
        runner.send_signal(signum)
        runner.wait(timeout=30)
        assert runner.returncode in (pipeline.EXIT_FAILED, -signum), runner.stderr.read()
        assert not descendants_gone(tree), f"orphans left after {signal.Signals(signum).name}"
        assert not (tmp_path / "reports" / "latest").exists()
        if signum == signal.SIGTERM:  # a clean stop removes its own build folder
            assert "stopped by SIGTERM" in runner.stderr.read()
            assert not list((tmp_path / "reports").glob("*.partial"))
    # the next run takes the lock, cleans the stale build folders and finishes
    final = subprocess.run(
        [sys.executable, "-c", RUNNER, str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert final.returncode == pipeline.EXIT_OK, final.stderr
    assert not list((tmp_path / "reports").glob("*.partial"))
    assert (tmp_path / "reports" / "latest" / "11_slow.html").exists()


def test_a_worker_killed_mid_run_fails_its_notebooks_not_the_runner(tmp_path):
    """A pool worker killed mid-run (out of memory, an operator): the pool takes no more tasks,
    so every notebook not yet finished fails naming the dead worker, the run ends with exit 1
    and a log line each, never a traceback, and `latest` is left alone."""
    slow_project(tmp_path)
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline, worker = time.monotonic() + 120, None
    while worker is None:  # a pool worker whose kernel has started (the kernel is its child)
        assert time.monotonic() < deadline, "no worker started a kernel"
        worker = next((c for c in psutil.Process(runner.pid).children() if c.children()), None)
        time.sleep(0.1)
    worker.kill()
    _, stderr = runner.communicate(timeout=300)
    assert runner.returncode == pipeline.EXIT_FAILED, stderr
    assert "Traceback" not in stderr and "its worker process died" in stderr, stderr
    assert not (tmp_path / "reports" / "latest").exists()


def test_a_lock_kept_by_a_dead_runs_leftovers_is_taken_over(tmp_path, caplog):
    """What an older runner left: its worker, orphaned, still holds the lock file open."""
    options = make_project(tmp_path)
    options.reports_dir.mkdir(parents=True)
    lock = options.reports_dir / pipeline.LOCK_NAME
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import fcntl, os, sys, time
            handle = open({str(lock)!r}, "a+")
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write("pid 999999999 since yesterday\\n"); handle.flush()
            print("locked", flush=True)
            time.sleep(600)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    assert pipeline.run(options) == pipeline.EXIT_OK
    assert holder.wait(timeout=15) == -signal.SIGKILL
    assert any("pid 999999999) is dead" in m for m in errors(caplog))


def test_a_live_run_keeps_its_lock(tmp_path):
    options = make_project(tmp_path)
    with pipeline.run_lock(options.reports_dir):
        assert pipeline.run(options) == pipeline.EXIT_LOCKED


# ---------------------------------------------------------------------------------------------
# Kernels started all at once


def test_many_kernels_started_at_once_all_reply():
    async def start_one() -> str:
        manager = kernels.IsolatedKernelManager(kernel_name="python3")
        await manager.start_kernel()
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=120)
            reply = await client.kernel_info(reply=True, timeout=60)
            return reply["content"]["status"]
        finally:
            client.stop_channels()
            await manager.shutdown_kernel(now=True)

    async def start_all() -> list[str]:
        return await asyncio.gather(*(start_one() for _ in range(12)))

    assert asyncio.run(start_all()) == ["ok"] * 12


# ---------------------------------------------------------------------------------------------
# Planted links and leftovers (issue 19)


def test_a_symlinked_lock_is_refused_and_its_target_untouched(tmp_path, caplog):
    options = make_project(tmp_path)
    options.reports_dir.mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    lock = options.reports_dir / pipeline.LOCK_NAME
    lock.symlink_to(victim)
    assert pipeline.run(options) == pipeline.EXIT_BAD_INPUT
    assert any(
        f"{lock}: a symbolic link, where the runner keeps its lock file" in m
        for m in errors(caplog)
    )
    assert victim.read_text() == "precious\n"
    assert sorted(p.name for p in options.reports_dir.iterdir()) == [pipeline.LOCK_NAME]
    lock.unlink()
    lock.mkdir()  # nor a folder in its place: refused, not a crash
    assert pipeline.run(options) == pipeline.EXIT_BAD_INPUT
    assert any(f"{lock}: not a regular file" in m for m in errors(caplog))


def test_a_killed_runs_kernel_folders_are_removed_by_the_next_kernel(tmp_path):
    slow_project(tmp_path)
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started_children(runner.pid)
    deadline = time.monotonic() + 120
    folders: list[Path] = []
    while not folders:  # a worker's kernel has its sockets and connection file in place
        assert time.monotonic() < deadline, "no kernel folder appeared"
        # read each time: the first child may be a short-lived one (git) before the workers
        workers = {str(p.pid) for p in psutil.Process(runner.pid).children(recursive=True)}
        folders = [
            f
            for f in Path(kernels.TEMP).glob("evr-kernel-*-*")
            if f.name.split("-")[2] in workers and (f / "connection.json").exists()
        ]
        time.sleep(0.1)
    tree = psutil.Process(runner.pid).children(recursive=True)
    runner.kill()
    runner.wait(timeout=30)
    assert not descendants_gone(tree)
    assert all(f.exists() for f in folders)  # what SIGKILL leaves behind
    manager = kernels.IsolatedKernelManager(kernel_name="python3")  # the next kernel cleans up
    try:
        assert not [f for f in folders if f.exists()]
        assert Path(manager._folder).exists()  # its own folder, named after a live process
    finally:
        os.rmdir(manager._folder)  # empty: its kernel was never started
