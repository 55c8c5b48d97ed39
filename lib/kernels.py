"""Kernels that cannot collide on start, kept warm between a run's notebooks, and worker processes
that die with their runner.

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
import functools
import os
import shutil
import signal
import tempfile
import threading
import weakref
from pathlib import Path

from jupyter_client.asynchronous import AsyncKernelClient
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


# ---------------------------------------------------------------------------------------------
# A warm kernel: started once per process and run, reset before each notebook


# Run (silently, outside the history) before each notebook in a warm kernel: what a fresh kernel
# would have. Modules stay imported; that is the saving.
RESET = """
import json as _json, os as _os, sys as _sys, warnings as _warnings
_ip = get_ipython()
if not hasattr(_warnings, "_evr_start"):  # the first reset: the kernel is fresh
    _warnings._evr_start = list(_warnings.filters), dict(_os.environ)
_warnings.filters[:] = _warnings._evr_start[0]
_warnings._filters_mutated()  # every module's "already warned" registry is out of date
_os.environ.clear()
_os.environ.update(_warnings._evr_start[1], **_json.loads({environment!r}))
_os.chdir({folder!r})
if "lib.results" in _sys.modules:
    _sys.modules["lib.results"].clear()
if "matplotlib.pyplot" in _sys.modules:
    _sys.modules["matplotlib.pyplot"].close("all")
_ip.reset(new_session=False)  # the namespace, with these names: the next line finds it anew
get_ipython().execution_count = 1
"""


class ConnectedClient(AsyncKernelClient):
    """A client that connects once: nbclient starts the channels of every client it is given (a
    channel thread cannot be started twice) and waits for the kernel to answer on them, which
    costs 0.2 s (an IOPub poll) even when it has answered this client before."""

    answered = False

    def start_channels(self, *args, **kwargs) -> None:
        if not self.channels_running:
            super().start_channels(*args, **kwargs)

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        if not self.answered:
            await super()._async_wait_for_ready(timeout)
            self.answered = True


class WarmKernelManager(IsolatedKernelManager):
    """A warm kernel's manager: every `client()` in a thread is one client, connected once (a
    client's sockets belong to the event loop of its thread)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.client_factory = ConnectedClient
        self.clients: dict[int, ConnectedClient] = {}

    def client(self, **kwargs) -> ConnectedClient:
        thread = threading.get_ident()
        if thread not in self.clients:
            self.clients[thread] = super().client(**kwargs)
        return self.clients[thread]

    def stop_clients(self) -> None:
        for client in self.clients.values():
            with contextlib.suppress(Exception):
                client.stop_channels()
        self.clients.clear()


class WarmKernel:
    """One kernel that executes the notebooks a process runs for one run in turn (a universe
    worker runs about 25): its start and the imports of the first cells, about 3 s of CPU a
    notebook and half of a universe's overhead, are paid once.

    Before each notebook the kernel is reset to what a fresh one would hold (`RESET`: namespace,
    recorded results, open figures, warning filters and registries, execution count, the run's
    environment and folder). A run with other variables or a new run id gets a new kernel; so
    does the next notebook after one that timed out, lost its kernel or failed other than in a
    cell (`discard`)."""

    def __init__(self) -> None:
        self.manager: WarmKernelManager | None = None
        self.key: str | None = None
        self.owner = os.getpid()  # a forked child inherits this object, not the kernel

    def _forget_inherited(self) -> None:
        if self.owner != os.getpid():
            self.manager, self.key, self.owner = None, None, os.getpid()

    def get(self, key: str, environment: dict[str, str], folder: str) -> WarmKernelManager:
        """The kernel for `key`, reset for the next notebook (started when there is none)."""
        from jupyter_core.utils import run_sync

        self._forget_inherited()
        if self.manager is not None and (key != self.key or not run_sync(self._alive)()):
            self.discard()
        if self.manager is None:
            manager = WarmKernelManager(kernel_name="python3")
            run_sync(manager.start_kernel)(
                cwd=folder, extra_arguments=["--HistoryManager.hist_file=:memory:"]
            )
            self.manager, self.key = manager, key
            _discard_at_exit(self)
        try:
            run_sync(self._reset)(environment, folder)
        except Exception:
            self.discard()
            raise
        return self.manager

    async def _alive(self) -> bool:
        return await self.manager.is_alive()

    async def _reset(self, environment: dict[str, str], folder: str) -> None:
        """Run RESET silently; only the shell reply is awaited (nothing is read on IOPub)."""
        import json

        client = self.manager.client()
        if not client.channels_running:
            client.start_channels()
            await client.wait_for_ready(timeout=60)
        code = RESET.format(environment=json.dumps(environment), folder=folder)
        sent = client.execute(code, silent=True, store_history=False, allow_stdin=False)
        while True:
            reply = await client.get_shell_msg(timeout=60)
            if reply["parent_header"].get("msg_id") == sent:
                break
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            raise RuntimeError(f"resetting the kernel failed: {content.get('evalue')}")

    def discard(self) -> None:
        """Shut the kernel down (killed if it does not stop); the next notebook starts one."""
        from jupyter_core.utils import run_sync

        self._forget_inherited()
        manager, self.manager, self.key = self.manager, None, None
        if manager is None:
            return
        manager.stop_clients()
        try:
            run_sync(manager.shutdown_kernel)(now=True)
        except Exception:  # the loop it was started on is gone, or it is dead already
            with contextlib.suppress(Exception):
                manager.provisioner.process.kill()
            shutil.rmtree(manager._folder, ignore_errors=True)


@functools.cache
def _discard_at_exit(kernel: WarmKernel) -> None:
    """Shut the kernel down when this process exits (a pool's or Dask's worker process ends
    through multiprocessing, which runs its finalizers but not atexit's)."""
    import atexit
    import multiprocessing.util

    atexit.register(kernel.discard)
    multiprocessing.util.Finalize(None, kernel.discard, exitpriority=10)


warm_kernel = WarmKernel()  # this process's; the runner discards it when its run ends
