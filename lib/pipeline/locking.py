"""One run at a time per reports folder: the lock, its takeover from a dead run, and the folder checks."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import shutil
import signal
import stat
import tempfile
import time
from pathlib import Path

from lib import kernels, runs
from lib.pipeline.model import LOCK_NAME, BadInput, iso, now, os_reason

log = logging.getLogger("lib.pipeline")


_lock_fd: int | None = None  # the held lock's descriptor, closed in pool workers (see _worker_init)


def held_lock_fd() -> int | None:
    """The descriptor of the lock this process holds, for forked workers to close."""
    return _lock_fd


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
        raise BadInput(f"reports folder {reports_dir}: not writable ({os_reason(error)})") from None
    latest = reports_dir / "latest"
    if latest.exists() and not latest.is_symlink():
        kind = "folder" if latest.is_dir() else "file"
        raise BadInput(
            f"{latest}: a real {kind}, where the runner keeps a link to the last good run; "
            "move it away (nothing was changed)"
        )


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
    handle.seek(0)
    words = handle.read(200).split()
    owner = int(words[1]) if len(words) > 1 and words[0] == "pid" and words[1].isdigit() else None
    if owner is None or kernels.pid_alive(owner):
        raise BlockingIOError(lock_path)
    leftovers = _lock_holders(lock_path)
    log.warning(
        "the run that holds %s (pid %d) is dead; stopping what it left running (pid %s)",
        lock_path,
        owner,
        ", ".join(map(str, leftovers)) or "none found",
    )
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


def _open_lock(lock_path: Path, flags: int = os.O_RDWR | os.O_CREAT) -> int:
    """The lock file's descriptor, never through a symbolic link (a planted link would make the
    run overwrite its target) and only if it is a regular file; BadInput otherwise."""
    try:
        fd = os.open(lock_path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError as error:
        if error.errno not in (errno.ELOOP, errno.EISDIR):
            raise
        fd = None
    if fd is None or not stat.S_ISREG(os.fstat(fd).st_mode):
        kind = "a symbolic link" if lock_path.is_symlink() else "not a regular file"
        if fd is not None:
            os.close(fd)
        raise BadInput(
            f"{lock_path}: {kind}, where the runner keeps its lock file; remove it "
            "(nothing was changed)"
        )
    return fd


def lock_holder(reports_dir: Path) -> str:
    """What the lock file says about the run that holds it ('pid 123 since ...')."""
    with (
        contextlib.suppress(OSError, BadInput),
        open(_open_lock(reports_dir / LOCK_NAME, os.O_RDONLY)) as handle,
    ):
        return handle.read(200).strip()
    return "unknown"


@contextlib.contextmanager
def run_lock(reports_dir: Path):
    """Hold an exclusive lock on the reports folder, or raise BlockingIOError at once.

    The lock is an flock on `.run.lock`, released by the kernel when its holder dies; a lock kept
    by processes a dead run left behind is recognised and taken over (_take_over_stale_lock)."""
    global _lock_fd
    reports_dir.mkdir(parents=True, exist_ok=True)
    lock_path = reports_dir / LOCK_NAME
    handle = open(_open_lock(lock_path), "r+", encoding="utf-8")  # noqa: SIM115 - held for the run
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _take_over_stale_lock(handle, lock_path)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {iso(now())}\n")
        handle.flush()
        _lock_fd = handle.fileno()
        yield
    finally:
        _lock_fd = None
        handle.close()


def clean_stale_builds(reports_dir: Path) -> None:
    """Remove build folders of runs that were killed before publishing (we hold the lock, so no
    run is writing them)."""
    for stale in runs.stale_partials(reports_dir):
        log.warning("removing %s, left by a run that was interrupted before publishing", stale)
        shutil.rmtree(stale, ignore_errors=True)
