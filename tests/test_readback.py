"""Every file the runner reads back (an earlier run's manifest.json and results.json, the executed
notebooks, reports and workbooks it reuses from `latest`, history.csv) is data to check, never
trusted: a damaged one is skipped or executed again with a warning naming it, a FIFO never blocks,
a symlink is never followed, and publishing a run is all or nothing."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from lib import paths, pipeline, runs
from lib.pipeline import reuse
from lib.pipeline.publishing import publish
from tests.conftest import errors, good_run, latest_target, tmpfs

# ---------------------------------------------------------------------------------------------
# Reading one file


def test_a_fifo_a_symlink_and_an_oversized_file_are_refused_without_reading(tmp_path):
    fifo, link, big = tmp_path / "fifo.json", tmp_path / "link.json", tmp_path / "big.json"
    os.mkfifo(fifo)  # nobody writes to it: opening it for a plain read would block forever
    (tmp_path / "target.json").write_text("{}")
    link.symlink_to(tmp_path / "target.json")
    big.write_text("{}" + " " * 100)
    with pytest.raises(runs.DamagedFile, match="fifo.json: not a regular file"):
        runs.read_bytes(fifo)
    with pytest.raises(runs.DamagedFile, match="link.json: is a symbolic link"):
        runs.read_bytes(link)
    with pytest.raises(runs.DamagedFile, match="big.json: 102 bytes, more than the 10 expected"):
        runs.read_bytes(big, limit=10)
    assert runs.read_bytes(tmp_path / "target.json") == b"{}"


MANIFEST = {
    "run_id": "r1",
    "status": "ok",
    "scenario": "base",
    "notebooks": [{"name": "01_x", "status": "ok", "input_hash": "h"}],
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"run_id": None}, "'run_id' is null, expected str"),
        ({"status": ["ok"]}, "'status' is [\"ok\"], expected str"),
        ({"scenario": 1}, "'scenario' is 1, expected str"),
        ({"data_hashes": "x"}, "'data_hashes' is \"x\", expected dict"),
        ({"notebooks": {}}, "'notebooks' is {}, expected list"),
        ({"notebooks": [{"status": "ok"}]}, "a notebook: 'name' missing"),
        ({"notebooks": [{"name": "01_x", "input_hash": 5}]}, "a notebook: 'input_hash' is 5"),
        ({"notebooks": [{"name": "01_x", "note": {}}]}, "a notebook: 'note' is {}"),
        ({"finished": float("inf")}, "'finished' is Infinity"),
    ],
)
def test_a_manifest_field_of_another_type_is_named(tmp_path, change, problem):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(MANIFEST))
    assert runs.read_manifest(path)["run_id"] == "r1"
    path.write_text(json.dumps(MANIFEST | change))
    with pytest.raises(runs.DamagedFile) as refused:
        runs.read_manifest(path)
    assert str(refused.value).startswith(f"{path}: {problem}")


def test_deeply_nested_json_is_a_damaged_file_not_a_recursion_error(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(runs.DamagedFile, match="manifest.json: not valid JSON"):
        runs.read_manifest(path)


# ---------------------------------------------------------------------------------------------
# history.csv

ROW = {
    "run_id": "r2",
    "scenario": "base",
    "data_as_of": "2026-06",
    "finished": "now",
    "notebook": "01_x",
    "result": "a",
    "value": 1,
    "low": 0.5,
    "high": 2,
    "unit": "units",
}


def write_history(reports: Path, *lines: str) -> Path:
    reports.mkdir(exist_ok=True)
    path = reports / runs.HISTORY_NAME
    path.write_text(",".join(runs.HISTORY_FIELDS) + "\n" + "".join(lines))
    return path


def test_history_rows_that_are_not_history_rows_are_skipped_with_one_warning(tmp_path, caplog):
    write_history(
        tmp_path,
        "r1,base,2026-06,t,01_x,a,1,0.5,2,units\n",  # good
        ",base,2026-06,t,01_x,a,1,,,units\n",  # no run id
        "r1,base,2026-06,t,01_x,a,1,low,2,units\n",  # an interval that is not a number
        "r1,base,2026-06,t,01_x,a,1,nan,2,units\n",
        "r1,base,2026-06\n",  # cut short
    )
    rows = runs.read_history(tmp_path)
    assert [(r["run_id"], r["low"]) for r in rows] == [("r1", "0.5")]
    assert any("skipped 4 row(s) that are not history rows" in m for m in errors(caplog))


def test_appending_history_is_taken_back_when_publishing_fails(tmp_path):
    path = write_history(tmp_path, "r1,base,2026-06,t,01_x,a,1,,,units")  # no final newline
    before = path.read_bytes()
    with pytest.raises(RuntimeError), runs.history_appended(tmp_path, [ROW]):
        assert "r2" in path.read_text()
        raise RuntimeError("publishing failed after the append")
    assert path.read_bytes() == before
    with runs.history_appended(tmp_path, [ROW]):
        pass
    assert [r["run_id"] for r in runs.read_history(tmp_path)] == ["r1", "r2"]  # a row each
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    with pytest.raises(RuntimeError), runs.history_appended(fresh, [ROW]):
        raise RuntimeError("failed")
    assert not (fresh / runs.HISTORY_NAME).exists()  # not an empty file that looks damaged


@pytest.mark.parametrize("kind", ["symlink", "fifo", "folder"])
def test_a_history_that_is_a_symlink_fifo_or_folder_is_set_aside_never_followed(tmp_path, kind):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    reports = tmp_path / "reports"
    reports.mkdir()
    path = reports / runs.HISTORY_NAME
    {
        "symlink": lambda: path.symlink_to(victim),
        "fifo": lambda: os.mkfifo(path),
        "folder": path.mkdir,
    }[kind]()
    assert runs.read_history(reports) == []
    with runs.history_appended(reports, [ROW]):
        pass
    assert victim.read_text() == "keep me\n"
    assert [r["run_id"] for r in runs.read_history(reports)] == ["r2"]
    assert len(list(reports.glob(f"{runs.HISTORY_NAME}.damaged-*"))) == 1


def test_a_full_disk_during_the_history_append_leaves_history_as_it_was(tmp_path, mounts):
    reports = tmp_path / "reports"
    tmpfs(reports, "size=64k")
    mounts.append(reports)
    path = write_history(reports, "r1,base,2026-06,t,01_x,a,1,,,units\n")
    before = path.read_bytes()
    with (
        pytest.raises(OSError, match="No space left"),
        runs.history_appended(reports, [ROW] * 2000),
    ):
        pass
    assert path.read_bytes() == before


def test_publish_is_all_or_nothing_when_latest_cannot_be_repointed(tmp_path):
    reports = tmp_path / "reports"
    path = write_history(reports, "r1,base,2026-06,t,01_x,a,1,,,units\n")
    before = path.read_bytes()
    (reports / "latest").mkdir()  # a real folder: the link cannot replace it
    (reports / "latest" / "keep").write_text("x")
    build = reports / "r2.partial"
    build.mkdir()
    (build / "index.html").write_text("<html></html>")
    with pytest.raises(OSError):
        publish(build, reports, "r2", True, [ROW])
    assert (build / "index.html").exists() and not (reports / "r2").exists()
    assert path.read_bytes() == before and not list(reports.glob(".latest-*"))


# ---------------------------------------------------------------------------------------------
# Earlier runs and `latest`, damaged, in real runs


def manifest_of_latest(options: pipeline.RunOptions) -> dict:
    return json.loads((options.reports_dir / "latest" / "manifest.json").read_text())


@pytest.fixture(scope="module")
def first_good_run(tmp_path_factory) -> tuple[Path, pipeline.RunOptions]:
    root = tmp_path_factory.mktemp("project")
    return root, good_run(root)


@pytest.fixture
def earlier(first_good_run, tmp_path) -> tuple[pipeline.RunOptions, Path]:
    """A copy of the sample project after one good run (safe to damage): its options and the run
    folder `latest` points at. Copied, its notebooks are reused: their inputs are unchanged."""
    root, options = first_good_run
    shutil.copytree(root, tmp_path / "project", symlinks=True)
    moved = {
        key: tmp_path / "project" / Path(getattr(options, key)).relative_to(root)
        for key in ("notebooks_dir", "params_dir", "data_dir", "reports_dir")
    }
    copy = dataclasses.replace(options, **moved)
    return copy, copy.reports_dir / latest_target(copy)


def test_damaged_results_and_executed_notebooks_of_latest_are_executed_again(earlier, caplog):
    """results.json keeps its shape but lacks `meaning` (a KeyError in the workbooks before);
    one executed notebook is cut short, the other is JSON of another shape: the next plain run
    warns about each file, executes both notebooks again and exits 0."""
    options, run_dir = earlier
    content = json.loads((run_dir / "results.json").read_text())
    del content["notebooks"]["10_typed"]["results"][0]["meaning"]
    (run_dir / "results.json").write_text(json.dumps(content))
    executed = (run_dir / "10_typed.ipynb").read_bytes()
    (run_dir / "10_typed.ipynb").write_bytes(executed[: len(executed) // 2])
    (run_dir / "20_reads.ipynb").write_text('{"cells": 5, "metadata": [], "nbformat": 4}')
    assert pipeline.run(options) == pipeline.EXIT_OK
    assert {n["status"] for n in manifest_of_latest(options)["notebooks"]} == {"ok"}
    warned = errors(caplog)
    for name in ("results.json", "10_typed.ipynb", "20_reads.ipynb"):
        assert any(str(run_dir / name) in m for m in warned), (name, warned)
    assert (options.reports_dir / "latest" / "headlines.xlsx").exists()


def test_a_fifo_report_in_latest_is_not_read_and_a_damaged_workbook_is_written_anew(
    earlier, caplog
):
    options, run_dir = earlier
    (run_dir / "10_typed.html").unlink()
    os.mkfifo(run_dir / "10_typed.html")  # reading it would block the run forever
    (run_dir / "20_reads.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    assert pipeline.run(options) == pipeline.EXIT_OK
    statuses = {n["name"]: n["status"] for n in manifest_of_latest(options)["notebooks"]}
    assert statuses == {"10_typed": "ok", "20_reads": "reused"}
    assert any(f"{run_dir / '10_typed.html'}: not a regular file" in m for m in errors(caplog))
    assert any(f"{run_dir / '20_reads.xlsx'}: not a sound workbook" in m for m in errors(caplog))
    book = openpyxl.load_workbook(options.reports_dir / "latest" / "20_reads.xlsx")
    assert "results" in book.sheetnames


def test_latest_pointing_outside_the_reports_folder_is_not_reused(tmp_path, caplog):
    outside, reports = tmp_path / "elsewhere", tmp_path / "reports"
    for folder in (outside, reports / "r1"):
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text(json.dumps(MANIFEST))
    (reports / "latest").symlink_to(outside)
    assert reuse.previous_run(reports) is None
    assert any(f"{reports / 'latest'} points outside {reports}" in m for m in errors(caplog))
    (reports / "latest").unlink()
    (reports / "latest").symlink_to("r1")
    assert reuse.previous_run(reports) == ((reports / "r1").resolve(), MANIFEST)


# ---------------------------------------------------------------------------------------------
# lib pdf


def pdf_command(run: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lib", "pdf", str(run)],
        capture_output=True,
        text=True,
        cwd=paths.PROJECT_ROOT,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('{"run_id": 5, "status": "ok"}', "'run_id' is 5, expected str"),
    ],
)
def test_pdf_of_a_run_with_a_damaged_manifest_is_refused_in_one_line(tmp_path, manifest, problem):
    (tmp_path / "manifest.json").write_text(manifest)
    done = pdf_command(tmp_path)
    assert done.returncode == pipeline.EXIT_BAD_INPUT, done.stderr
    assert "Traceback" not in done.stderr and problem in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_pdf_refuses_a_page_that_is_a_fifo_before_opening_it(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps(MANIFEST))
    (tmp_path / "index.html").write_text("<html></html>")
    os.mkfifo(tmp_path / "01_x.html")
    done = pdf_command(tmp_path)  # the timeout fails the test if it hangs
    assert done.returncode == pipeline.EXIT_BAD_INPUT, done.stderr
    assert f"{tmp_path / '01_x.html'}: not a regular file" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "pdf").exists()
