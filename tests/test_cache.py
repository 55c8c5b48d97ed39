"""The shared cache (lib/cache.py): exact values back, keys that follow data, parameters and code,
damaged entries recomputed, concurrent writers, unusable folders, the command and the runner."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from lib import cache, clock, data, paths, results, runs, sales, scenarios
from lib.__main__ import main
from lib.data import reading
from tests.conftest import FROZEN_DATA, tmpfs, write_run
from tests.test_data import DELIVERIES, edit_line

CALLS: list[tuple] = []


@dataclass
class Fitted:
    table: pd.DataFrame
    empty: pd.DataFrame
    label: str
    score: float
    count: int


@cache.memoize(Fitted)
def fit(frame: pd.DataFrame, scale: float = 1.0, label: str = "a") -> Fitted:
    """A stand-in for an expensive fit: every dtype the cache stores, NaN, -0.0 and infinities."""
    CALLS.append((scale, label))
    table = pd.DataFrame(
        {
            "maker": pd.Series(["nio", None, "xpeng"], dtype="str"),
            "year": np.array([2024, 2025, 2026]),
            "value": frame["value"].to_numpy()[:3] * scale,
            "odd": [np.nan, -0.0, np.inf],
            "flag": [True, False, True],
            "note": pd.Series(["a", "", "c"], dtype=object),
        }
    )
    empty = pd.DataFrame(columns=["method", "weight"])  # object columns, as pandas makes them
    return Fitted(table, empty, label, float(np.pi * scale), 3)


@cache.memoize()
def column(n: int) -> pd.DataFrame:
    CALLS.append(n)
    return pd.DataFrame({"value": np.arange(n, dtype=float)})


@pytest.fixture
def frame():
    return pd.DataFrame({"brand": ["nio", "xpeng", "byd", "li"], "value": [1.5, 2.25, 1e9, 7.0]})


@pytest.fixture
def store(tmp_path, monkeypatch) -> Path:
    """A private cache folder for the test, the cache on."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(folder))
    monkeypatch.delenv(cache.NO_CACHE_ENV, raising=False)
    cache._warned.clear()
    cache.remembered.clear()
    CALLS.clear()
    return folder


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{cache.SUFFIX}"))


def assert_same(a: Fitted, b: Fitted) -> None:
    for name in ("table", "empty"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert (a.label, a.score, a.count) == (b.label, b.score, b.count)
    assert cache.digest(a) == cache.digest(b)
    assert np.signbit(b.table["odd"].iloc[1])  # -0.0 stays -0.0


def test_a_cached_value_is_exactly_what_was_computed(store, frame):
    computed = fit(frame, 2.0)
    served = fit(frame, scale=2.0)  # keyword or positional: the same entry
    assert len(CALLS) == 1 and len(entries(store)) == 1
    assert served is not computed
    assert_same(computed, served)
    assert_same(computed, fit.uncached(frame, 2.0))


def test_a_value_remembered_in_memory_is_served_as_a_copy_of_its_own(store, frame):
    computed = fit(frame, 3.0)
    (entry,) = entries(store)
    entry.unlink()  # this process serves it from memory, not from its entry
    served = fit(frame, 3.0)
    assert len(CALLS) == 1 and entries(store) == []
    assert_same(computed, served)
    served.table.loc[0, "value"] = -1.0  # a caller changing its copy
    computed.table.loc[1, "value"] = -2.0
    assert_same(fit.uncached(frame, 3.0), fit(frame, 3.0))  # changes nothing for the next


@cache.memoize(on_disk=False)
def nested(n: int) -> dict:
    CALLS.append(n)
    return {"paths": np.arange(n), "label": "forecast"}


def test_a_value_kept_in_memory_only_is_never_written(store):
    first = nested(4)
    first["paths"][0] = 99  # the caller's copy
    assert nested(4)["paths"].tolist() == [0, 1, 2, 3]
    assert CALLS == [4] and not store.exists()
    cache.remembered.clear()
    nested(4)
    assert CALLS == [4, 4]


def test_no_cache_computes_every_time_and_stores_nothing(store, frame, monkeypatch):
    monkeypatch.setenv(cache.NO_CACHE_ENV, "1")
    fit(frame)
    fit(frame)
    assert len(CALLS) == 2 and not store.exists()


def test_the_key_follows_data_parameters_and_code(frame):
    code = cache.code_digest(EVALUATION)
    base = cache.key("fit", {"frame": frame, "scale": 1.0}, code)
    assert cache.key("fit", {"frame": frame.copy(), "scale": 1.0}, code) == base  # content
    cell, typed, renamed = frame.copy(), frame.copy(), frame.rename(columns={"value": "v"})
    cell.loc[2, "value"] = 1e9 + 1
    typed["brand"] = typed["brand"].astype("category")
    for other in (cell, typed, renamed, frame.iloc[::-1], frame.iloc[:3]):
        assert cache.key("fit", {"frame": other, "scale": 1.0}, code) != base
    for parameters in ({"scale": 1.0000001}, {"scale": 1}, {"scale": 1.0, "extra": None}):
        assert cache.key("fit", {"frame": frame, **parameters}, code) != base
    assert cache.key("other", {"frame": frame, "scale": 1.0}, code) != base
    assert (
        cache.key("fit", {"frame": frame, "scale": 1.0}, cache.code_digest(Path(__file__))) != base
    )


EVALUATION = paths.PROJECT_ROOT / "lib" / "sales" / "evaluation.py"


def test_the_code_digest_follows_every_lib_file_the_function_can_run(tmp_path):
    """The backtest's code: its module and every lib module it imports, directly or not (the
    data readers through sales.inputs), but not the other analyses or the runner."""
    names = {str(p.relative_to(EVALUATION.parents[2])) for p in cache.code_files(EVALUATION)}
    assert {
        "lib/sales/models.py",
        "lib/data/reading.py",
        "lib/paths.py",
        "lib/__init__.py",
    } <= names
    assert not {"lib/margins/text.py", "lib/pipeline/running.py", "lib/render.py"} & names
    code = cache.code_digest(EVALUATION)
    copy = tmp_path / "lib"
    shutil.copytree(EVALUATION.parents[1], copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(paths.PROJECT_ROOT / "requirements.txt", tmp_path)
    source = copy / "sales" / "evaluation.py"
    assert cache.code_digest(source, copy) == code
    for edited, changes in (
        ("margins/text.py", False),
        ("data/reading.py", True),
        ("sales/models.py", True),
    ):
        module = copy / edited
        original = module.read_text()
        module.write_text(original + "\n# an edit\n")
        assert (cache.code_digest(source, copy) != code) is changes, edited
        module.write_text(original)
    (tmp_path / "requirements.txt").write_text("numpy==0.0\n")
    assert cache.code_digest(source, copy) != code


def test_arguments_it_cannot_digest_are_computed_with_one_warning(store, caplog):
    caplog.set_level(logging.WARNING, "lib.cache")
    odd = pd.DataFrame({"value": [1.0, 2.0, 3.0]})
    assert fit(odd, label=Path("a")).label == fit(odd, label=Path("a")).label  # no digest of a Path
    assert len(CALLS) == 2 and not store.exists()
    assert len(caplog.records) == 1 and "computed, not cached" in caplog.text


@cache.memoize()
def months(n: int) -> pd.DataFrame:
    CALLS.append(n)
    return pd.DataFrame({"month": pd.period_range("2026-01", periods=n, freq="M")})


def test_a_value_it_cannot_store_exactly_is_computed_with_one_warning(store, caplog):
    caplog.set_level(logging.WARNING, "lib.cache")
    assert months(3)["month"].dtype == "period[M]" and len(months(3)) == 3
    assert len(CALLS) == 1 and entries(store) == []  # kept in this process's memory only
    cache.remembered.clear()  # another process computes it again
    assert len(months(3)) == 3 and len(CALLS) == 2
    assert (
        len(caplog.records) == 1
        and "tests.test_cache.months is computed, not cached" in caplog.text
    )


def damage(entry: Path, how: str) -> None:
    """Damage an entry, as the next process finds it (this one's memory forgotten)."""
    cache.remembered.clear()
    content = entry.read_bytes()
    if how == "truncated":
        entry.write_bytes(content[: len(content) // 2])
    elif how == "flipped":
        middle = len(content) // 2
        entry.write_bytes(content[:middle] + bytes([content[middle] ^ 1]) + content[middle + 1 :])
    elif how == "empty":
        entry.write_bytes(b"")
    elif how == "foreign":
        entry.write_bytes(b"\x80\x04K\x01.")  # a pickle: never loaded
    elif how == "link":
        entry.unlink()
        entry.symlink_to(entry.parent.parent / "elsewhere")
        (entry.parent.parent / "elsewhere").write_bytes(content)
    elif how == "folder":
        entry.unlink()
        entry.mkdir()


@pytest.mark.parametrize("how", ["truncated", "flipped", "empty", "foreign", "link"])
def test_a_damaged_entry_is_reported_once_and_computed_again(store, frame, caplog, how):
    computed = fit(frame)
    (entry,) = entries(store)
    damage(entry, how)
    caplog.set_level(logging.WARNING, "lib.cache")
    assert_same(computed, fit(frame))
    assert len(CALLS) == 2
    assert len(caplog.records) == 1
    assert str(entry) in caplog.text and "damaged" in caplog.text
    assert not entry.is_symlink() and entry.is_file()  # rewritten whole, the link replaced
    if how == "link":
        assert (store.parent / "elsewhere").read_bytes() != b""  # the link's target untouched
    caplog.clear()
    assert_same(computed, fit(frame))  # sound again: served, no warning
    assert len(CALLS) == 2 and not caplog.records


def test_an_entry_that_is_not_a_file_falls_back_with_one_warning(store, frame, caplog):
    computed = fit(frame)
    damage(entries(store)[0], "folder")
    caplog.set_level(logging.WARNING, "lib.cache")
    for _ in range(2):  # two processes
        cache.remembered.clear()
        assert_same(computed, fit(frame))
    assert len(CALLS) == 3
    assert len(caplog.records) == 2  # read: damaged (each time it is met); write: once
    assert "damaged" in caplog.records[0].getMessage()
    assert "cannot write" in caplog.records[1].getMessage()


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import numpy as np, pandas as pd
    from lib import cache

    @cache.memoize()
    def big(n):
        return pd.DataFrame({"x": np.arange(n, dtype=float), "y": np.arange(n) % 7})

    go = Path(sys.argv[1])
    while not go.exists():
        time.sleep(0.01)
    value = big(100_000)  # both compute and write the same entry
    entry = next(cache.folder().glob("*.entry"))
    content = cache.serialise(value)
    for _ in range(30):  # then write it again and again while the other reads it
        cache.write(entry, content)
        back = cache.read(entry)
        assert back.equals(value), "a read returned something else"
    print("ok", cache.digest(value))
    """
)


def test_two_processes_writing_the_same_entry_do_no_harm(store, tmp_path):
    script, go = tmp_path / "writer.py", tmp_path / "go"
    script.write_text(WRITER)
    environment = dict(os.environ, PYTHONPATH=str(paths.PROJECT_ROOT))
    writers = [
        subprocess.Popen(
            [sys.executable, str(script), str(go)],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    go.touch()
    outputs = [writer.communicate(timeout=120) for writer in writers]
    for writer, (out, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err
        assert out.startswith("ok") and "damaged" not in err
    assert outputs[0][0] == outputs[1][0]  # the same value in both
    assert [
        p.name for p in store.iterdir() if not p.name.endswith(cache.SUFFIX)
    ] == []  # no temporary files left
    (entry,) = entries(store)
    assert cache.digest(cache.read(entry)) == outputs[0][0].split()[1]


def test_a_folder_that_is_a_file_or_a_link_falls_back_with_one_warning(
    tmp_path, frame, monkeypatch, caplog
):
    caplog.set_level(logging.WARNING, "lib.cache")
    monkeypatch.delenv(cache.NO_CACHE_ENV, raising=False)
    target = tmp_path / "target"
    target.mkdir()
    (tmp_path / "link").symlink_to(target)
    (tmp_path / "file").write_text("not a folder")
    for where in ("link", "file"):
        cache._warned.clear()
        cache.remembered.clear()
        caplog.clear()
        CALLS.clear()
        monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / where))
        first = fit(frame)
        cache.remembered.clear()  # the next process: nothing on disk to read
        assert_same(first, fit(frame))
        assert len(CALLS) == 2
        assert len(caplog.records) == 1 and str(tmp_path / where) in caplog.text
        assert ("symbolic link" if where == "link" else "not a folder") in caplog.text
    assert list(target.iterdir()) == []  # the link was not followed
    assert (tmp_path / "file").read_text() == "not a folder"


def test_a_read_only_or_full_disk_falls_back_with_one_warning(
    tmp_path,
    mounts,
    monkeypatch,
    caplog,
):
    caplog.set_level(logging.WARNING, "lib.cache")
    monkeypatch.delenv(cache.NO_CACHE_ENV, raising=False)
    for options, why in (("ro,size=1m", "Read-only"), ("size=16k", "No space left")):
        folder = tmp_path / options.replace(",", "-")
        tmpfs(folder, options)
        mounts.append(folder)
        cache._warned.clear()
        cache.remembered.clear()
        caplog.clear()
        CALLS.clear()
        monkeypatch.setenv(cache.CACHE_DIR_ENV, str(folder))
        first = column(50_000)  # 400 kB
        cache.remembered.clear()  # the next process: nothing on disk to read
        pd.testing.assert_frame_equal(first, column(50_000))
        assert len(CALLS) == 2
        assert len(caplog.records) == 1 and why in caplog.text and str(folder) in caplog.text
        assert list(folder.iterdir()) == []  # nothing half-written left
        if why == "Read-only":  # what the runner gives its kernels: the cache off
            assert cache.environment(folder)[cache.NO_CACHE_ENV] == "1"


def test_the_cache_command_shows_and_clears(store, frame, capsys):
    fit(frame)
    fit(frame, 3.0)
    (store / "notes.txt").write_text("not the cache's")
    assert main(["cache", "--cache-dir", str(store)]) == 0
    shown = capsys.readouterr().out
    assert f"cache in {store}: 2 file(s)" in shown and "tests.test_cache.fit: 2 file(s)" in shown
    assert main(["cache", "clear", "--cache-dir", str(store)]) == 0
    assert "removed 2 file(s)" in capsys.readouterr().out
    assert entries(store) == [] and (store / "notes.txt").exists()
    link = store.parent / "link"
    link.symlink_to(store)
    assert main(["cache", "clear", "--cache-dir", str(link)]) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert (store / "notes.txt").exists()


def notebook_01_results(reports: Path) -> list[dict]:
    (executed,) = reports.glob("*/01_sales_trajectory.ipynb")
    return results.from_notebook(nbformat.read(str(executed), as_version=4))


SMALL = """notebooks:
  01_sales_trajectory:
    data_through: "2023-06"
    n_paths: 300
    backtest_paths: 100
    comparison_paths: 100
"""


def test_notebook_01_records_the_same_results_with_and_without_the_cache(tmp_path, monkeypatch):
    """Through the command line and the runner's kernels: a run with --no-cache, and one with a
    --cache-dir that this process filled (the keys agree across processes) and in which the
    kernel computes no backtest: every result notebook 01 records is the same in both."""
    monkeypatch.delenv(cache.NO_CACHE_ENV, raising=False)
    scenario, shared = tmp_path / "small.yaml", tmp_path / "shared"
    scenario.write_text(SMALL)
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(shared))
    params = sales.Params(
        data_through="2023-06", n_paths=300, seed=2026, backtest_paths=100, comparison_paths=100
    )
    sales.analyse(sales.load(params, FROZEN_DATA))  # the answer's backtest and the scored year's
    monkeypatch.delenv(cache.CACHE_DIR_ENV)
    stored = {p: p.stat().st_mtime_ns for p in entries(shared)}
    assert len(stored) >= 2  # the answer's backtest and the month-ends' of the resolved year

    def run(name: str, *options: str) -> list[dict]:
        reports = tmp_path / name
        arguments = ["run", "--only", "01_sales_trajectory", "--scenario", str(scenario)]
        arguments += ["--data-dir", str(FROZEN_DATA), "--reports-dir", str(reports), "--jobs", "1"]
        assert main([*arguments, *options, "--quiet"]) == 0
        assert not (reports / ".cache").exists()
        return notebook_01_results(reports)

    without = run("without", "--no-cache")
    warm = run("warm", "--cache-dir", str(shared))
    after = {p: p.stat().st_mtime_ns for p in entries(shared)}
    assert {p: after[p] for p in stored} == stored  # every value was served, none written again
    new = [p.name for p in after.keys() - stored.keys()]  # only records of checks the run passed
    assert not [name for name in new if name.startswith("lib.sales.")], new
    assert len(without) > 20 and any("table" in r for r in without)
    assert warm == without


def test_the_shared_work_fills_exactly_the_entries_notebook_01_reads(store):
    """What a universe computes once before the notebooks (sales.shared_work) is what each
    maker's notebook 01 then reads: after it, the analysis stores no new entry."""
    params = sales.Params(
        data_through="2023-06", n_paths=300, seed=2026, backtest_paths=100, comparison_paths=100
    )
    calls = sales.shared_work(params, FROZEN_DATA)
    for call in calls:
        call()
    shared = {p: p.stat().st_mtime_ns for p in entries(store)}
    assert len(shared) == len(calls) == 12  # the backtest at every month-end
    for maker in ("leapmotor", "nio"):
        sales.analyse(sales.load(dataclasses.replace(params, maker=maker), FROZEN_DATA))
        assert {p: p.stat().st_mtime_ns for p in entries(store)} == shared


# --- records of checks passed: data files, earlier runs' results, notebooks' parameters ---------


def counting(monkeypatch, module, name: str) -> list[tuple]:
    """The calls of `module.name` from now on (it still runs)."""
    calls, original = [], getattr(module, name)

    def spy(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


def next_process() -> None:
    """A new process keeps nothing in memory: only the cache folder is shared."""
    cache.remembered.clear()
    reading.forget_validated()
    runs._SCANNED.clear()


def checked_files(calls: list[tuple]) -> list[str]:
    return sorted(Path(call[3]).name for call in calls)  # _validate(frame, dataset, lines, path)


def test_data_files_that_passed_are_not_checked_again_until_bytes_month_or_registry_change(
    store, data_copy, monkeypatch, caplog
):
    monkeypatch.setenv(clock.TODAY_VARIABLE, "2026-12-05")
    checked = counting(monkeypatch, reading, "_validate")
    counts = data.validate_all(data_copy)
    assert checked_files(checked) == sorted(data.LOADERS)
    next_process()
    checked.clear()
    assert data.validate_all(data_copy) == counts and checked == []  # the rows are recorded
    assert len(data.load_deliveries(data_copy)) == counts[DELIVERIES] and checked == []

    edit_line(data_copy, DELIVERIES, 2, ",7228,", ",7229,")  # one byte: that file only
    next_process()
    assert data.validate_all(data_copy) == counts
    assert checked_files(checked) == [DELIVERIES]
    edit_line(data_copy, DELIVERIES, 2, ",7229,", ",-5,")  # refused, every time
    for _ in range(2):
        next_process()
        with pytest.raises(data.DataError, match="line 2, column 'deliveries': value -5"):
            data.validate_all(data_copy)
    edit_line(data_copy, DELIVERIES, 2, ",-5,", ",7228,")

    with (data_copy / "makers.csv").open("a") as handle:  # a new key: the files naming makers
        handle.write("new_maker,New Maker,,,,,,stated,https://example.com/new,,\n")
    next_process()
    checked.clear()
    data.validate_all(data_copy)
    assert checked_files(checked) == ["makers.csv", "targets.csv", "ventures.csv"]

    monkeypatch.setenv(clock.TODAY_VARIABLE, "2027-01-04")  # the checks read the month
    next_process()
    checked.clear()
    data.validate_all(data_copy)
    assert checked_files(checked) == sorted(data.LOADERS)

    caplog.set_level(logging.WARNING, "lib.cache")
    for record in entries(store):  # damaged records: warned, and every file checked again
        record.write_bytes(record.read_bytes()[:-3])
    next_process()
    checked.clear()
    assert data.validate_all(data_copy) == counts | {"makers.csv": counts["makers.csv"] + 1}
    assert checked_files(checked) == sorted(data.LOADERS) and "is damaged" in caplog.text


def test_earlier_results_are_checked_once_per_content_and_changed_ones_again(
    store, tmp_path, monkeypatch, caplog
):
    reports = tmp_path / "reports"
    write_run(reports, "20260101T000000-base")
    checked = counting(monkeypatch, results, "content_problem")
    for _ in range(2):  # a run scans the earlier ones several times: read once per process
        assert [run.run_id for run in runs.finished(reports)] == ["20260101T000000-base"]
    next_process()
    assert len(runs.finished(reports)) == 1 and len(checked) == 1  # read, not checked again

    path = reports / "20260101T000000-base" / "results.json"
    content = json.loads(path.read_text())
    content["notebooks"]["01_sales_trajectory"]["results"][0]["name"] = 5  # not text
    path.write_text(json.dumps(content))
    caplog.set_level(logging.WARNING, "lib.runs")
    assert runs.finished(reports) == [] and len(checked) == 2  # same process, new bytes
    assert "ignoring the results of run 20260101T000000-base" in caplog.text


def test_an_edited_parameters_cell_is_read_again(store, tmp_path):
    """papermill's reading of a notebook's parameters is kept by the notebook's bytes."""
    notebook = tmp_path / "05_summary.ipynb"
    shutil.copy(paths.NOTEBOOKS_DIR / notebook.name, notebook)
    before = scenarios.inspect(notebook).parameters
    edited = nbformat.read(notebook, as_version=4)
    cell = next(c for c in edited.cells if "parameters" in c.metadata.get("tags", []))
    cell.source += "\nadded_for_the_test: int = 7  # a parameter the test adds [1, 10]"
    nbformat.write(edited, notebook)
    next_process()
    after = scenarios.inspect(notebook).parameters
    assert set(after) == set(before) | {"added_for_the_test"}
    assert after["added_for_the_test"].default == 7
