"""Kernels that cannot collide on start, and worker processes that die with their runner.

Jupyter kernels normally listen on TCP ports that the client picks by binding port 0 and closing
the socket again; two kernels started at the same moment can be handed the same port and one dies
with "Address already in use" before it ever replies (papermill #511). Kernels started here talk
over IPC sockets in a private folder of their own instead: nothing is shared, nothing to race for.

A kernel already exits when its parent process dies (ipykernel polls its parent). The runner's
pool workers are made to die with the runner too (Linux parent-death signal), so killing the
runner, even with SIGKILL, leaves nothing running that holds its lock or writes its reports.
What a killed process cannot clean up, its private folders in /tmp (sockets, connection file, a
Dask task's files), carry its pid in their name; the next kernel started removes those of dead
processes (remove_leftovers).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import tempfile
import weakref
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
TEMP = "/tmp"  # short: a Unix socket path is limited to about 100 bytes


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


FOLDER_KINDS = ("kernel", "task")  # a kernel's sockets and connection file; a Dask task's files


def private_folder(kind: str) -> str:
    """A new folder in /tmp for this process only, named `evr-<kind>-<pid>-<random>`."""
    assert kind in FOLDER_KINDS
    return tempfile.mkdtemp(prefix=f"evr-{kind}-{os.getpid()}-", dir=TEMP)


def remove_leftovers(folder: str = TEMP) -> list[Path]:
    """Remove the private folders of processes that are gone (killed before they could clean
    up); return them."""
    removed = []
    for kind in FOLDER_KINDS:
        for path in Path(folder).glob(f"evr-{kind}-*-*"):
            pid = path.name.split("-")[2]
            if pid.isdigit() and not pid_alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


class IsolatedKernelManager(AsyncKernelManager):
    """A kernel on IPC sockets and its connection file in a fresh private folder (removed with
    the manager, or by the next kernel's remove_leftovers if this process is killed)."""

    def __init__(self, **kwargs):
        with contextlib.suppress(OSError):
            remove_leftovers()
        self._folder = private_folder("kernel")
        super().__init__(
            transport="ipc",
            ip=os.path.join(self._folder, "k"),
            connection_file=os.path.join(self._folder, "connection.json"),
            **kwargs,
        )
        weakref.finalize(self, shutil.rmtree, self._folder, True)  # if never shut down

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._folder, ignore_errors=True)


KERNEL_MANAGER = f"{IsolatedKernelManager.__module__}.{IsolatedKernelManager.__qualname__}"


def die_with_parent(parent_pid: int, sig: int = signal.SIGKILL) -> None:
    """Ask Linux to send `sig` to this process when its parent dies; exit now if it already has.

    Elsewhere (no prctl) this does nothing: the runner's own signal handler still stops its
    workers on SIGTERM, only a SIGKILL of the runner can then leave them behind."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
