"""The runner end to end on a tiny sample project: run, reuse, fail safely, refuse bad input."""

from __future__ import annotations

import concurrent.futures as futures
import dataclasses
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lib import paths, pipeline, render
from lib.pipeline import running
from tests.conftest import FIXTURE_NOTEBOOKS, FROZEN_DATA, make_project


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    options = make_project(root)
    code = pipeline.run(options)
    return options, code, (options.reports_dir / "latest").resolve()


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def test_successful_run_publishes_everything(first_run):
    options, code, run_dir = first_run
    assert code == pipeline.EXIT_OK
    assert run_dir.parent == options.reports_dir.resolve() and run_dir.name.endswith("-small")
    for name in (
        "10_typed.ipynb",
        "10_typed.html",
        "20_reads.html",
        "results.json",
        "manifest.json",
        "index.html",
        "run.log",
    ):
        assert (run_dir / name).exists(), name
    assert not list(options.reports_dir.glob("*.partial"))


def test_results_and_manifest(first_run):
    _, _, run_dir = first_run
    recorded = read_json(run_dir / "results.json")["notebooks"]
    typed = {r["name"]: r for r in recorded["10_typed"]["results"]}
    assert typed["n_paths_used"]["value"] == 50  # the scenario's value reached the kernel
    # the dependent notebook read the first one's result from this run's results.json
    assert (
        recorded["20_reads"]["results"][0]["value"] == typed["last_12_known_months_units"]["value"]
    )
    manifest = read_json(run_dir / "manifest.json")
    assert manifest["status"] == "ok" and manifest["data_as_of"] == "2026-06"
    entry = manifest["notebooks"][0]
    assert (
        entry["overrides"] == {"n_paths": 50, "maker": "nio"}
        and entry["parameters"]["growth"] == 0.5
    )
    assert len(entry["input_hash"]) == 64 and set(manifest["data_hashes"]) >= {
        "deliveries_monthly.csv"
    }


def test_history_gains_a_row_per_result(first_run):
    options, _, run_dir = first_run
    history = (options.reports_dir / "history.csv").read_text().splitlines()
    assert history[0].startswith("run_id,scenario,data_as_of")
    assert sum(run_dir.name in line for line in history) == 4


def test_report_html_is_for_readers(first_run):
    _, _, run_dir = first_run
    page = (run_dir / "10_typed.html").read_text()
    assert "delivered" in page and "nio" in page  # the answer paragraph
    assert "data:image/png;base64," in page
    assert "results.record" not in page and "import matplotlib" not in page  # no code input
    assert 'class="jp-CodeMirrorEditor' not in page and 'class="highlight' not in page
    assert "Traceback" not in page and "a warning readers should not see" not in page
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=[\"']https?:", page)
    assert "cdnjs" not in page and "require.min.js" not in page
    assert 'href="#History"' in page and 'class="evr-toc-h3"' in page  # table of contents
    assert "Parameters of this run" in page and "<code>n_paths</code>" in page
    assert "Git commit" in page and "deliveries to 2026-06" in page and "Scenario" in page


def test_index_shows_cards_headlines_and_runs(first_run):
    _, _, run_dir = first_run
    page = (run_dir / "index.html").read_text()
    assert 'href="10_typed.html"' in page and 'href="10_typed.ipynb"' in page
    assert 'data-result="10_typed.last_12_known_months_units"' in page
    assert "Fixture: typed parameters" in page and run_dir.name in page
    assert "evr-changed" in page  # overridden parameters are highlighted


def test_unchanged_rerun_reuses_outputs(first_run):
    options, _, first_dir = first_run
    assert pipeline.run(options) == pipeline.EXIT_OK
    latest = (options.reports_dir / "latest").resolve()
    assert latest != first_dir
    manifest = read_json(latest / "manifest.json")
    assert {n["status"] for n in manifest["notebooks"]} == {"reused"}
    assert {n["reused_from"] for n in manifest["notebooks"]} == {first_dir.name}
    assert read_json(latest / "results.json")["notebooks"]["10_typed"]["results"]


def test_changed_parameters_and_force_execute_again(first_run):
    options, _, _ = first_run

    def statuses():
        manifest = read_json(options.reports_dir / "latest" / "manifest.json")
        return {n["name"]: n["status"] for n in manifest["notebooks"]}

    scenario = options.params_dir / "small.yaml"
    scenario.write_text(scenario.read_text() + "    show_chart: false\n")
    assert pipeline.run(options) == pipeline.EXIT_OK
    # the first notebook's parameters changed; the second reads its results, which did not
    assert statuses() == {"10_typed": "ok", "20_reads": "reused"}
    scenario.write_text(scenario.read_text().replace("n_paths: 50", "n_paths: 60"))
    assert pipeline.run(options) == pipeline.EXIT_OK
    assert statuses() == {"10_typed": "ok", "20_reads": "ok"}  # a result it reads changed
    options.force = True
    assert pipeline.run(options) == pipeline.EXIT_OK
    options.force = False
    assert statuses() == {"10_typed": "ok", "20_reads": "ok"}


def test_failed_run_keeps_latest_and_its_own_folder(tmp_path):
    options = make_project(tmp_path)
    assert pipeline.run(options) == pipeline.EXIT_OK
    good = (options.reports_dir / "latest").resolve()
    shutil.copy(
        FIXTURE_NOTEBOOKS / "fails_in_cell_3.ipynb", options.notebooks_dir / "15_fails.ipynb"
    )
    assert pipeline.run(options) == pipeline.EXIT_FAILED
    assert (options.reports_dir / "latest").resolve() == good
    failed_dir = max(
        p for p in options.reports_dir.iterdir() if p.is_dir() and p != good and not p.is_symlink()
    )
    manifest = read_json(failed_dir / "manifest.json")
    assert manifest["status"] == "failed"
    error = next(n for n in manifest["notebooks"] if n["name"] == "15_fails")["error"]
    assert error["cell"] == 3 and error["ename"] == "ValueError"
    assert (
        error["message"]
        == "15_fails failed in cell In [3]: ValueError: threshold 5 is deliberately wrong"
    )
    index = (failed_dir / "index.html").read_text()
    assert "This run failed." in index and "deliberately wrong" in index
    executed = (failed_dir / "15_fails.ipynb").read_text()
    assert "papermill-error-cell" in executed  # papermill's banner pointing at the failing cell
    assert "deliberately wrong" in (failed_dir / "15_fails.html").read_text()
    assert "15_fails FAILED" in (failed_dir / "run.log").read_text()
    history = (options.reports_dir / "history.csv").read_text()
    assert failed_dir.name not in history


def test_bad_scenario_stops_before_running(tmp_path):
    options = make_project(tmp_path)
    (options.params_dir / "small.yaml").write_text("notebooks:\n  10_typed:\n    n_paths: many\n")
    assert pipeline.run(options) == pipeline.EXIT_BAD_INPUT
    assert not [p for p in options.reports_dir.iterdir() if p.is_dir()]


def test_bad_data_stops_before_running(tmp_path):
    options = make_project(tmp_path)
    (options.data_dir / "deliveries_monthly.csv").write_text("")
    with pytest.raises(pipeline.BadInput, match="deliveries_monthly.csv: 1 problem"):
        pipeline.plan(options)
    assert pipeline.run(options) == pipeline.EXIT_BAD_INPUT


def test_unknown_only_notebook(tmp_path):
    options = make_project(tmp_path)
    options.only = ("99_nothing",)
    with pytest.raises(
        pipeline.BadInput, match="--only: unknown notebook.*known: 10_typed, 20_reads"
    ):
        pipeline.plan(options)


def test_second_run_is_locked_out(tmp_path):
    options = make_project(tmp_path)
    with pipeline.run_lock(options.reports_dir):
        assert pipeline.run(options) == pipeline.EXIT_LOCKED
    assert not [p for p in options.reports_dir.iterdir() if p.is_dir()]


def test_parallel_run_and_only(tmp_path):
    options = make_project(tmp_path, failing=False)
    options.jobs, options.only = 2, ("10_typed",)
    assert pipeline.run(options) == pipeline.EXIT_OK
    # a partial run is published in its own folder but never becomes `latest`
    assert not (options.reports_dir / "latest").exists()
    (run_dir,) = [p for p in options.reports_dir.iterdir() if p.is_dir()]
    manifest = read_json(run_dir / "manifest.json")
    assert manifest["status"] == "partial"
    assert {n["name"]: n["status"] for n in manifest["notebooks"]} == {
        "10_typed": "ok",
        "20_reads": "skipped",
    }


def test_command_line_list_check_and_exit_codes(tmp_path):
    broken = tmp_path / "data"
    shutil.copytree(FROZEN_DATA, broken)
    (broken / "assumptions.csv").write_text("name,value\n")
    command = [sys.executable, "-m", "lib"]
    listing = subprocess.run(command + ["list"], capture_output=True, text=True, cwd=tmp_path)
    assert listing.returncode == 0 and "Scenarios:" in listing.stdout
    check = subprocess.run(
        command + ["check", "--data-dir", str(broken)], capture_output=True, text=True, cwd=tmp_path
    )
    assert check.returncode == pipeline.EXIT_BAD_INPUT
    assert "assumptions.csv" in check.stderr and "missing column(s) unit" in check.stderr
    usage = subprocess.run(
        command + ["run", "--jobs", "0"], capture_output=True, text=True, cwd=tmp_path
    )
    assert usage.returncode == pipeline.EXIT_BAD_INPUT


def test_all_scenarios_validated_first_then_run_side_by_side(tmp_path):
    options = make_project(tmp_path)
    (options.params_dir / "bear.yaml").write_text("notebooks:\n  10_typed:\n    growth: 7.0\n")
    names = pipeline.all_scenarios(options.params_dir)
    assert names == ["bear", "small"]
    assert pipeline.run(options, names) == pipeline.EXIT_BAD_INPUT  # bear's growth is out of range
    assert not [p for p in options.reports_dir.iterdir() if p.is_dir()]
    (options.params_dir / "bear.yaml").write_text("notebooks:\n  10_typed:\n    growth: -0.5\n")
    assert pipeline.run(options, names) == pipeline.EXIT_OK
    runs = sorted(
        p.name for p in options.reports_dir.iterdir() if p.is_dir() and not p.is_symlink()
    )
    assert [name.split("-", 1)[1] for name in runs] == ["bear", "small"]
    assert (options.reports_dir / "latest").resolve().name.endswith("-small")


def test_summary_renders_when_a_notebook_fails(tmp_path):
    """The real summary notebook, behind stand-ins for 01-04 of which one fails."""
    options = make_project(tmp_path)
    for path in options.notebooks_dir.iterdir():
        path.unlink()
    shutil.copy(
        FIXTURE_NOTEBOOKS / "fails_in_cell_3.ipynb",
        options.notebooks_dir / "01_sales_trajectory.ipynb",
    )
    for name in ("02_brand_premium", "03_price_war_margins", "04_globalization_payback"):
        shutil.copy(
            FIXTURE_NOTEBOOKS / "typed_parameters.ipynb", options.notebooks_dir / f"{name}.ipynb"
        )
    shutil.copy(paths.NOTEBOOKS_DIR / "05_summary.ipynb", options.notebooks_dir)
    (options.params_dir / "small.yaml").write_text("notebooks: {}\n")
    assert pipeline.run(options) == pipeline.EXIT_FAILED
    run_dir = max(p for p in options.reports_dir.iterdir() if p.is_dir())
    statuses = {n["name"]: n["status"] for n in read_json(run_dir / "manifest.json")["notebooks"]}
    assert statuses["01_sales_trajectory"] == "failed" and statuses["05_summary"] == "ok"
    page = (run_dir / "05_summary.html").read_text()
    assert "The notebook failed in this run" in page and "Traceback" not in page


def test_a_report_that_cannot_be_rendered_fails_its_notebook(tmp_path, monkeypatch):
    options = make_project(tmp_path)

    def broken_template(*_):
        raise RuntimeError("template missing")

    monkeypatch.setattr(render, "render_notebook", broken_template)
    assert pipeline.run(options) == pipeline.EXIT_FAILED
    run_dir = next(p for p in options.reports_dir.iterdir() if p.is_dir())
    error = read_json(run_dir / "manifest.json")["notebooks"][0]["error"]
    assert (
        error["message"]
        == "10_typed ran but its report could not be rendered: RuntimeError: template missing"
    )
    assert not (options.reports_dir / "latest").exists()


def add_notebook(folder: Path, name: str, parameters: str, code: str) -> None:
    """A notebook of three cells: a title, a tagged parameters cell, `code`."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {name}\n\nA fixture made by the test."),
        nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(code),
    ]
    nbformat.write(nb, folder / f"{name}.ipynb")


def test_a_parameter_the_library_refuses_in_a_notebook_exits_2(tmp_path, caplog):
    options = make_project(tmp_path)
    add_notebook(
        options.notebooks_dir,
        "30_range",
        "low: float = 5.0  # low end [0, 10]\nhigh: float = 1.0  # high end [0, 10]",
        "from lib.errors import BadParameter\nif low > high:\n"
        "    raise BadParameter(f'low={low} is above high={high}; expected low <= high')",
    )
    assert pipeline.run(options) == pipeline.EXIT_BAD_INPUT
    assert "bad parameter in 30_range: low=5.0 is above high=1.0; expected low <= high" in [
        r.getMessage() for r in caplog.records
    ]
    assert not (options.reports_dir / "latest").exists()
    (run,) = [p for p in options.reports_dir.iterdir() if p.is_dir()]
    error = next(
        n for n in read_json(run / "manifest.json")["notebooks"] if n["name"] == "30_range"
    )["error"]
    assert error["ename"] == "BadParameter" and error["cell"] == 2


def test_a_cell_timeout_names_the_notebook_cell_and_limit(tmp_path, caplog):
    options = make_project(tmp_path)
    add_notebook(
        options.notebooks_dir,
        "30_sleeps",
        "seconds: float = 60.0  # how long [0, 60]",
        "import time\nfor _ in range(int(seconds * 10)):\n    time.sleep(0.1)",
    )
    options.cell_timeout = 1
    assert pipeline.run(options) == pipeline.EXIT_FAILED
    (run,) = [p for p in options.reports_dir.iterdir() if p.is_dir()]
    error = next(
        n for n in read_json(run / "manifest.json")["notebooks"] if n["name"] == "30_sleeps"
    )["error"]
    assert error["message"] == (
        "30_sleeps stopped in cell In [2]: CellTimeout: the cell ran longer than the cell timeout "
        "of 1 s (--cell-timeout)"
    )
    assert error["cell"] == 2 and error["cell_index"] == 2
    assert not [r for r in caplog.records if "could not be written" in r.getMessage()]


def test_files_the_runner_writes_never_follow_a_planted_link(tmp_path):
    from lib.pipeline import model

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    planted = tmp_path / "manifest.json"
    planted.symlink_to(victim)
    for write in (
        lambda: model.write_json(planted, {"a": 1}),
        lambda: model.write_text(planted, "x"),
    ):
        with pytest.raises(OSError, match="Too many levels of symbolic links"):
            write()
    assert victim.read_text() == "keep me"
    fresh = tmp_path / "results.json"
    model.write_json(fresh, {"a": 1})
    assert read_json(fresh) == {"a": 1}


def quick_shared_work() -> None:
    """A shared call (forked into a pool worker): done long before a kernel starts."""


def test_a_notebook_whose_shared_work_is_done_runs_before_notebooks_queued_earlier(
    tmp_path, monkeypatch
):
    """The pool is fed by priority, never more tasks than workers: when 10_typed's shared work
    is done, its notebook takes the next free worker ahead of 12_later, which was ready first
    (the pool's own first-come queue would have run 11 and 12 before it)."""
    options = dataclasses.replace(make_project(tmp_path), jobs=2)
    for name in ("11_sooner", "12_later"):
        shutil.copy(
            FIXTURE_NOTEBOOKS / "typed_parameters.ipynb", options.notebooks_dir / f"{name}.ipynb"
        )
    monkeypatch.setattr(
        running,
        "_shared_work",
        lambda job, plan_, options: [quick_shared_work] if job.name == "10_typed" else [],
    )
    submitted = []

    class Recording(futures.ProcessPoolExecutor):
        def submit(self, task, *arguments, **keywords):
            shared = task is not running.execute_notebook
            submitted.append("shared work" if shared else arguments[0]["name"])
            return super().submit(task, *arguments, **keywords)

    monkeypatch.setattr(running.futures, "ProcessPoolExecutor", Recording)
    assert pipeline.run(options) == pipeline.EXIT_OK
    assert submitted == ["shared work", "11_sooner", "10_typed", "12_later", "20_reads"]
