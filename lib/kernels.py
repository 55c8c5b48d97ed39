"""Kernels that cannot collide on start, and worker processes that die with their runner.

Jupyter kernels normally listen on TCP ports that the client picks by binding port 0 and closing
the socket again; two kernels started at the same moment can be handed the same port and one dies
with "Address already in use" before it ever replies (papermill #511). Kernels started here talk
over IPC sockets in a private folder of their own instead: nothing is shared, nothing to race for.

A kernel already exits when its parent process dies (ipykernel polls its parent). The runner's
pool workers are made to die with the runner too (Linux parent-death signal), so killing the
runner, even with SIGKILL, leaves nothing running that holds its lock or writes its reports.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import tempfile
import weakref

from jupyter_client.manager import AsyncKernelManager

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class IsolatedKernelManager(AsyncKernelManager):
    """A kernel on IPC sockets in a fresh temporary folder (removed with the manager)."""

    def __init__(self, **kwargs):
        # Short path under /tmp: a Unix socket path is limited to about 100 bytes.
        self._folder = tempfile.mkdtemp(prefix="evr-kernel-", dir="/tmp")
        super().__init__(transport="ipc", ip=os.path.join(self._folder, "k"), **kwargs)
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
