"""The warm kernel: notebooks of one run share a kernel, and each finds it as a fresh one."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from lib import kernels, paths
from lib.pipeline import notebook

LEAVES_STATE = [
    "import os, warnings\nimport matplotlib.pyplot as plt\nfrom lib import results",
    "leaked = 1\n"
    "warnings.simplefilter('ignore')\n"
    "os.environ['EVR_LEAKED'] = '1'\n"
    "os.chdir('/')\n"
    "plt.figure()\n"
    "results.record('first_pid', os.getpid(), 'pid', 'the kernel process')\n"
    "warnings.warn('shown once per fresh kernel')",
]

FINDS_IT_FRESH = [
    "import os, sys, warnings\nimport matplotlib.pyplot as plt\nfrom lib import results",
    "results.record('pid', os.getpid(), 'pid', 'the kernel process')\n"
    "results.record('leaked_names', int('leaked' in globals()), 'count', 'names left over')\n"
    "results.record('recorded_before', len(results.recorded()) - 2, 'count', 'results left over')\n"
    "results.record('figures', len(plt.get_fignums()), 'count', 'figures left open')\n"
    "results.record('ignores', int(any(f[0] == 'ignore' and f[2] is Warning\n"
    "    for f in warnings.filters)), 'count', 'the blanket ignore left behind')\n"
    "results.record('leaked_env', int('EVR_LEAKED' in os.environ), 'count', 'variables left')\n"
    "results.record('run_dir', os.environ['EVR_RUN_DIR'], 'path', 'the notebook folder')\n"
    "results.record('folder', os.getcwd(), 'path', 'the working folder')",
    "warnings.warn('shown once per fresh kernel')",
]

SLEEPS = [
    "import os, time\nfrom lib import results",
    "results.record('pid', os.getpid(), 'pid', 'kernel')",
    "time.sleep(600)",
]
PID = ["import os\nfrom lib import results", "results.record('pid', os.getpid(), 'pid', 'kernel')"]


def write_notebook(folder: Path, name: str, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def run(path: Path, build: Path, run_id: str = "run-1", timeout: int = 600) -> dict:
    build.mkdir(parents=True, exist_ok=True)
    payload = {
        "name": path.stem,
        "path": str(path),
        "build_dir": str(build),
        "overrides": {},
        "cell_timeout": timeout,
        "environment": {paths.RUN_DIR_ENV: str(build), "MPLBACKEND": "agg"},
        "context": {"run_id": run_id},
        "render": False,
    }
    return notebook.execute_notebook(payload)


def values(outcome: dict) -> dict:
    return {r["name"]: r["value"] for r in outcome["results"]}


@pytest.fixture
def warm():
    yield kernels.warm_kernel
    kernels.warm_kernel.discard()


def test_the_next_notebook_shares_the_kernel_and_finds_it_fresh(tmp_path, warm):
    first = run(write_notebook(tmp_path, "a", LEAVES_STATE), tmp_path / "a")
    second = run(write_notebook(tmp_path, "b", FINDS_IT_FRESH), tmp_path / "b")
    assert first["status"] == second["status"] == "ok"
    found = values(second)
    assert found["pid"] == values(first)["first_pid"]  # one kernel for both
    assert found["leaked_names"] == found["recorded_before"] == found["figures"] == 0
    assert found["ignores"] == found["leaked_env"] == 0
    assert found["run_dir"] == str(tmp_path / "b")
    assert found["folder"] == str(tmp_path)  # the notebook's own folder, not the one left
    executed = nbformat.read(tmp_path / "b" / "b.ipynb", as_version=4)
    assert [c.execution_count for c in executed.cells] == [1, 2, 3]
    warned = [o for o in executed.cells[2].outputs if o.get("name") == "stderr"]
    assert warned and "shown once per fresh kernel" in warned[0]["text"]  # not swallowed


def test_a_new_run_gets_a_new_kernel(tmp_path, warm):
    first = values(run(write_notebook(tmp_path, "a", PID), tmp_path / "a", run_id="run-1"))
    again = values(run(write_notebook(tmp_path, "b", PID), tmp_path / "b", run_id="run-1/nio"))
    other = values(run(write_notebook(tmp_path, "c", PID), tmp_path / "c", run_id="run-2"))
    assert first["pid"] == again["pid"] != other["pid"]


def test_a_kernel_that_timed_out_is_replaced(tmp_path, warm):
    before = run(write_notebook(tmp_path, "a", PID), tmp_path / "a")  # lib imported: cells fast
    stuck = run(write_notebook(tmp_path, "b", SLEEPS), tmp_path / "b", timeout=3)
    assert stuck["status"] == "failed" and stuck["error"]["ename"] == "CellTimeout"
    assert values(stuck)["pid"] == values(before)["pid"]  # the warm kernel timed out
    assert warm.manager is None  # still sleeping: not given the next notebook
    after = run(write_notebook(tmp_path, "c", PID), tmp_path / "c")
    assert after["status"] == "ok"
    assert values(after)["pid"] != values(stuck)["pid"]


def test_the_kernel_is_shut_down_when_discarded(tmp_path, warm):
    run(write_notebook(tmp_path, "a", PID), tmp_path / "a")
    process = warm.manager.provisioner.process
    warm.discard()
    assert process.wait(timeout=30) is not None
    assert warm.manager is None
