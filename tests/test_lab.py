"""The analyst's path: JupyterLab on the project's kernel, notebook 01 run in headless Chromium.

The server runs the venv's JupyterLab on a copy of the notebook (small parameters injected the way
papermill does, so notebooks/ is never saved over) and on the frozen data, with nothing that would
reach the network: no news, no update check, no extension manager, every browser request outside
the server refused. The test clicks Run > Run All Cells and reads the answer the page shows.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from lib import paths, results
from tests.conftest import CHROMIUM, FLAGS, FROZEN_DATA

pytestmark = [
    pytest.mark.browser,
    pytest.mark.notebooks,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium not installed (apt-get install chromium; .ci/run does it)",
    ),
]
NOTEBOOK = "01_sales_trajectory.ipynb"
SMALL = {"n_paths": 600, "backtest_paths": 200, "comparison_paths": 200}
JUPYTER = Path(sys.prefix) / "bin" / "jupyter"  # the venv's: it finds the project's kernel
OFFLINE = [
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.extension_manager=readonly",
]
ANSWER = re.compile(r"Leapmotor reaches 1,000,000 deliveries in 2026 in (\d+)% of simulated paths")


def start_lab(root: Path, runtime: Path, config: Path, log: Path) -> subprocess.Popen:
    """JupyterLab on `root`, on a free port of 127.0.0.1 that the server picks itself."""
    command = [
        str(JUPYTER),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        "--ServerApp.port=0",
        f"--ServerApp.root_dir={root}",
        f"--IdentityProvider.token={os.urandom(16).hex()}",
        # IPC sockets (in the short runtime folder): no TCP port to collide with other kernels.
        "--KernelManager.transport=ipc",
        *OFFLINE,
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    env = os.environ | {
        paths.DATA_DIR_ENV: str(FROZEN_DATA),  # the kernel inherits it: a reproducible answer
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_CONFIG_DIR": str(config),  # no user settings, workspaces or server config
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_until_serving(server: subprocess.Popen, runtime: Path, log: Path, timeout=60) -> dict:
    """The server's own record (URL, token) once /api/status answers with it."""
    deadline = time.monotonic() + timeout
    info_file = runtime / f"jpserver-{server.pid}.json"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"jupyter lab exited with {server.returncode}:\n{log.read_text()}")
        if info_file.exists():
            try:
                info = json.loads(info_file.read_text())
                request = urllib.request.Request(
                    info["url"] + "api/status", headers={"Authorization": f"token {info['token']}"}
                )
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        return info
            except (OSError, ValueError, KeyError):
                pass  # written but not answering yet
        time.sleep(0.5)
    pytest.fail(f"jupyter lab did not answer within {timeout} s:\n{log.read_text()}")


def stop(server: subprocess.Popen) -> None:
    """SIGTERM shuts the kernels down cleanly; SIGKILL the group if it hangs."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture
def lab(tmp_path):
    """A running JupyterLab on a copy of notebook 01 with small parameters: yields its record."""
    root = tmp_path / "notebooks"
    root.mkdir()
    notebook = load_notebook_node(str(paths.NOTEBOOKS_DIR / NOTEBOOK))
    nbformat.write(parameterize_notebook(notebook, SMALL), root / NOTEBOOK)
    runtime = Path(tempfile.mkdtemp(prefix="evr-lab-", dir="/tmp"))  # Unix sockets: short path
    log = tmp_path / "lab.log"
    server = start_lab(root, runtime, tmp_path / "config", log)
    try:
        yield wait_until_serving(server, runtime, log) | {"root": root}
    finally:
        stop(server)
        shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def browser_page(lab):
    """A page of headless Chromium that may reach the server only, and the URLs it refused."""
    from playwright.sync_api import sync_playwright

    # Chromium resolves no host name (FLAGS): let it reach the server's literal address.
    flags = [f"{f}, EXCLUDE 127.0.0.1" if f.startswith("--host-resolver") else f for f in FLAGS]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        outside = []

        def guard(route):
            if route.request.url.startswith((lab["url"], "data:", "blob:")):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        yield context.new_page(), outside
        browser.close()


def test_analyst_runs_notebook_01_in_jupyterlab(lab, browser_page):
    page, outside = browser_page
    page.goto(f"{lab['url']}lab/tree/{NOTEBOOK}?token={lab['token']}")
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    # The notebook's kernelspec (python3) is the project's kernel, started without a dialog.
    notebook.locator(".jp-Toolbar-kernelName", has_text="ev-research").wait_for(timeout=60_000)
    notebook.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for()

    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    # Done when nothing is queued or running ([*]) and the first cell ran; Run All stops at an
    # error, which the saved notebook below then shows.
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
            return prompts.length && /\\[\\d+\\]/.test(prompts[0].textContent)
                && !prompts.some(p => p.textContent.includes('*'));
        }""",
        timeout=120_000,
    )
    # Saved, the notebook shows every cell ran without error.
    page.keyboard.press("Control+s")
    notebook.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for()
    page.locator(".lm-TabBar-tab.jp-mod-dirty").wait_for(state="detached")
    saved = nbformat.read(lab["root"] / NOTEBOOK, as_version=4)
    code = [cell for cell in saved.cells if cell.cell_type == "code"]
    errors = [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert not errors, f"{errors[0].ename}: {errors[0].evalue}"
    assert all(cell.execution_count for cell in code)
    # textContent, not innerText: cells scrolled out of view are not laid out.
    shown = "\n".join(notebook.locator(".jp-RenderedMarkdown").all_text_contents())
    answer = ANSWER.search(shown)
    assert answer, f"no answer sentence on the page:\n{shown[:2000]}"

    # The page shows the probability the notebook recorded as its headline.
    recorded = {r["name"]: r["value"] for r in results.from_notebook(saved)}
    assert f"{recorded['p_reach_target']:.0%}" == f"{answer.group(1)}%"
    assert not outside, f"requests that would leave the machine: {outside}"
