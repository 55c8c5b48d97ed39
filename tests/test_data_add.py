"""`python -m lib data add`: revisions are refused unless replaced with a reason, identical rows
are skipped, new rows land in the file's order, and the file is written atomically with every
untouched row byte for byte. Runs on private copies of the frozen data (tests/data/)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lib import data, data_add, paths

DELIVERIES = data.DELIVERIES.filename
HEADER = ",".join(data.DELIVERIES.fields)
URL = "https://example.com/test-source"


def command(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lib", "data", "add", *arguments],
        cwd=paths.PROJECT_ROOT,
        capture_output=True,
        text=True,
    )


def new_file(folder: Path, *rows: str, header: str = HEADER) -> Path:
    path = folder / "new.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def existing(folder: Path, prefix: str, filename: str = DELIVERIES) -> tuple[int, str]:
    """The (1-based line, text) of the data file's row starting with `prefix`."""
    lines = (folder / filename).read_text().splitlines()
    [(number, text)] = [(n, t) for n, t in enumerate(lines, 1) if t.startswith(prefix)]
    return number, text


def register(folder: Path, key: str, company: str = "") -> None:
    """A maker in the copy's registry, so that `data add` takes its rows."""
    row = {"key": key, "display_name": key, "company": company, "quality": "stated"}
    row["source_url"] = URL
    with (folder / data.MAKERS.filename).open("a") as handle:
        handle.write(",".join(row.get(name, "") for name in data.MAKERS.fields) + "\n")


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    remaining = iter(whole)
    return all(line in remaining for line in part)


# --- revisions ---------------------------------------------------------------------------------


def test_a_conflicting_revision_is_refused_with_both_rows_and_sources(data_copy, tmp_path):
    number, old = existing(data_copy, "leapmotor,2026-05,")
    source = new_file(tmp_path, f"leapmotor,2026-05,81000,stated,{URL},restated")
    before = (data_copy / DELIVERIES).read_bytes()
    result = command(str(source), "--data-dir", str(data_copy), "--apply")
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert f"{DELIVERIES} line {number}: {old}" in output
    assert f"new.csv line 2: leapmotor,2026-05,81000,stated,{URL},restated" in output
    assert f"old source: {old.split(',')[4]}" in output and f"new source: {URL}" in output
    assert "deliveries 81569 -> 81000" in output
    assert "Traceback" not in output
    assert (data_copy / DELIVERIES).read_bytes() == before


def test_replace_with_a_note_writes_the_new_row_in_place_and_keeps_the_reason(data_copy, tmp_path):
    number, old = existing(data_copy, "leapmotor,2026-05,")
    source = new_file(tmp_path, f"leapmotor,2026-05,81000,stated,{URL},restated")
    plan = data_add.plan_add(source, data_copy, replace_note="company corrected the figure")
    data_add.apply(plan)
    assert len(plan.revisions) == 1 and not plan.added
    line = (data_copy / DELIVERIES).read_text().splitlines()[number - 1]
    assert line.startswith(f"leapmotor,2026-05,81000,stated,{URL},")
    assert "restated; revised " in line and ": company corrected the figure;" in line
    assert f"previously deliveries 81569 ({old.split(',')[4]})" in line
    assert (
        data.load_deliveries(data_copy)
        .set_index(["brand", "month"])
        .loc[("leapmotor", "2026-05"), "deliveries"]
        == 81000
    )


def test_replace_needs_a_note(data_copy, tmp_path):
    source = new_file(tmp_path, f"leapmotor,2026-05,81000,stated,{URL},")
    result = command(str(source), "--data-dir", str(data_copy), "--replace")
    assert result.returncode == 2
    assert "--replace and --note WHY go together" in result.stderr


def test_another_source_for_a_financial_figure_is_a_new_row_the_same_source_a_revision(
    data_copy, tmp_path
):
    _, old = existing(data_copy, "Leapmotor,2020FY,capex,", data.FINANCIALS.filename)
    company, period, metric, value, unit, url = old.split(",")[:6]
    header = ",".join(data.FINANCIALS.fields)
    other = new_file(tmp_path, f"{company},{period},{metric},999.0,{unit},{URL},", header=header)
    assert len(data_add.plan_add(other, data_copy).added) == 1
    same = new_file(tmp_path, f"{company},{period},{metric},999.0,{unit},{url},", header=header)
    plan = data_add.plan_add(same, data_copy)
    assert plan.refused and len(plan.revisions) == 1


# --- identical and new rows --------------------------------------------------------------------


def test_an_identical_row_is_skipped_even_when_written_differently(data_copy, tmp_path):
    number, old = existing(data_copy, "leapmotor,2026-02,")
    brand, month, deliveries, quality, rest = old.split(",", 4)
    padded = f"{brand}, {month} ,{deliveries}.0,{quality} ,{rest}"  # same values once parsed
    source = new_file(tmp_path, padded, f"leapmotor,2026-03,50000,stated,{URL},")
    before = (data_copy / DELIVERIES).read_text()
    result = command(str(source), "--data-dir", str(data_copy), "--apply")
    assert result.returncode == 0, result.stderr
    assert "identical rows, skipped (1):" in result.stdout
    assert f"new.csv line 2 = {DELIVERIES} line {number}" in result.stdout
    after = (data_copy / DELIVERIES).read_text()
    assert after.count("\nleapmotor,2026-02,") == 1 and old in after
    assert len(after.splitlines()) == len(before.splitlines()) + 1


def test_only_identical_rows_write_nothing(data_copy, tmp_path):
    _, old = existing(data_copy, "leapmotor,2026-02,")
    source = new_file(tmp_path, old)
    before = (data_copy / DELIVERIES).stat().st_mtime_ns
    result = command(str(source), "--data-dir", str(data_copy), "--apply")
    assert result.returncode == 0 and "nothing to add" in result.stdout
    assert (data_copy / DELIVERIES).stat().st_mtime_ns == before


def test_new_rows_go_where_the_files_order_puts_them(data_copy, tmp_path):
    register(data_copy, "zeekr")
    register(data_copy, "aaa_motors")
    source = new_file(
        tmp_path,
        f"zeekr,2026-01,1000,stated,{URL},",
        f"leapmotor,2026-04,71000,stated,{URL},",
        f"leapmotor,2026-03,50000,stated,{URL},",
        f"aaa_motors,2025-12,10,stated,{URL},",
    )
    data_add.apply(data_add.plan_add(source, data_copy))
    lines = (data_copy / DELIVERIES).read_text().splitlines()
    keys = [tuple(line.split(",")[:2]) for line in lines[1:]]
    assert keys == sorted(keys)
    assert keys[0] == ("aaa_motors", "2025-12") and keys[-1] == ("zeekr", "2026-01")
    at = keys.index(("leapmotor", "2026-02"))
    assert keys[at : at + 4] == [
        ("leapmotor", m) for m in ("2026-02", "2026-03", "2026-04", "2026-05")
    ]


def test_a_file_in_no_sorted_order_gets_new_rows_after_their_group(data_copy, tmp_path):
    """financials_quarterly.csv is grouped by company, not sorted: a new Leapmotor row follows
    the last Leapmotor row, a new company goes at the end."""
    header = ",".join(data.FINANCIALS.fields)
    register(data_copy, "aaa_motors", "Aaa Motors")
    source = new_file(
        tmp_path,
        f"Leapmotor,2030Q1,revenue,1.0,RMB_mn,{URL},",
        f"Aaa Motors,2030Q1,revenue,2.0,RMB_mn,{URL},",
        header=header,
    )
    path = data_copy / data.FINANCIALS.filename
    companies = [line.split(",")[0] for line in path.read_text().splitlines()[1:]]
    last_leapmotor = max(i for i, c in enumerate(companies) if c == "Leapmotor")
    data_add.apply(data_add.plan_add(source, data_copy))
    rows = path.read_text().splitlines()[1:]
    assert rows[last_leapmotor + 1].startswith("Leapmotor,2030Q1,revenue,1.0,")
    assert rows[-1].startswith("Aaa Motors,2030Q1,")


# --- writing -----------------------------------------------------------------------------------


def test_a_dry_run_writes_nothing(data_copy, tmp_path):
    source = new_file(tmp_path, f"leapmotor,2026-03,50000,stated,{URL},")
    files = {p.name: p.read_bytes() for p in data_copy.iterdir()}
    result = command(str(source), "--data-dir", str(data_copy))
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("nothing written (use --apply)")
    assert {p.name: p.read_bytes() for p in data_copy.iterdir()} == files


def test_apply_keeps_every_untouched_row_byte_for_byte(data_copy, tmp_path):
    replaced, _ = existing(data_copy, "leapmotor,2026-05,")
    source = new_file(
        tmp_path,
        f"leapmotor,2026-05,81000,stated,{URL},",
        f'leapmotor,2026-03,50000,derived,{URL},"a note, with a comma and ""quotes"""',
    )
    path = data_copy / DELIVERIES
    hand_edited, old = existing(data_copy, "leapmotor,2026-02,")
    brand, month, rest = old.split(",", 2)
    lines = path.read_text().split("\n")
    lines[hand_edited - 1] = f'"{brand}","{month}",{rest}'  # not how the csv module writes it
    path.write_text("\n".join(lines))
    before = path.read_bytes().split(b"\n")
    data_add.apply(data_add.plan_add(source, data_copy, replace_note="test"))
    after = path.read_bytes().split(b"\n")
    kept = before[: replaced - 1] + before[replaced:]
    assert is_subsequence(kept, after) and len(after) == len(before) + 1
    assert f'"{brand}","{month}",{rest}'.encode() in after
    assert b"\r" not in path.read_bytes()
    frame = data.read_file(path, data.DELIVERIES)[0]
    notes = frame[(frame["brand"] == "leapmotor") & (frame["month"] == "2026-03")]["note"]
    assert notes.tolist() == ['a note, with a comma and "quotes"']


CRASH = """
import resource, signal, sys
from lib import data_add
plan = data_add.plan_add(sys.argv[1], sys.argv[2])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    data_add.apply(plan)
except OSError as error:
    print(error.strerror)
    sys.exit(5)
"""


def test_a_write_that_fails_midway_leaves_the_original_file_and_no_temporary_file(
    data_copy, tmp_path
):
    """The process may write only 4 KB per file: the merged deliveries file (over 60 KB) fails
    partway through, as on a full disk."""
    source = new_file(tmp_path, f"leapmotor,2026-03,50000,stated,{URL},")
    files = {p.name: p.read_bytes() for p in data_copy.iterdir()}
    result = subprocess.run(
        [sys.executable, "-c", CRASH, str(source), str(data_copy)],
        cwd=paths.PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 5, result.stderr
    assert "too large" in result.stdout
    assert {p.name: p.read_bytes() for p in data_copy.iterdir()} == files


# --- bad input ---------------------------------------------------------------------------------


def test_a_bad_value_names_the_new_files_line_column_and_value(data_copy, tmp_path):
    source = new_file(
        tmp_path, f"leapmotor,2026-03,50000,stated,{URL},", f"leapmotor,2026-13,5,stated,{URL},"
    )
    result = command(str(source), "--data-dir", str(data_copy), "--apply")
    assert result.returncode == 2
    assert str(source) in result.stderr
    assert "line 3, column 'month': value '2026-13' is not valid; expected a month" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_header_is_refused_naming_the_expected_headers(data_copy, tmp_path):
    source = new_file(tmp_path, "leapmotor,2026-03,50000", header="brand,month,units")
    result = command(str(source), "--data-dir", str(data_copy))
    assert result.returncode == 2
    assert "columns brand,month,units are not the header of a data file" in result.stderr
    for dataset in data.DATASETS:
        assert f"{dataset.filename}: {','.join(dataset.fields)}" in result.stderr


@pytest.mark.parametrize(
    "problem, rows",
    [
        ("line 3: duplicate row for .brand=leapmotor", ["leapmotor,2026-03,1,stated,{URL},"] * 2),
        ("line 2: 3 fields, expected 6", ["leapmotor,2026-03,1"]),
    ],
)
def test_a_new_file_that_repeats_a_row_or_lacks_cells_is_refused(
    data_copy, tmp_path, problem, rows
):
    source = new_file(tmp_path, *[row.format(URL=URL) for row in rows])
    with pytest.raises(data.DataError, match=problem) as caught:
        data_add.plan_add(source, data_copy)
    assert caught.value.path == source


def test_two_new_rows_for_the_same_trim_are_refused(data_copy, tmp_path):
    """vehicle_trims.csv has no uniqueness rule of its own: the identity key catches it."""
    first = (data_copy / data.TRIMS.filename).read_text().splitlines()[1].split(",")
    first[3] = "Test trim"
    row = ",".join(first)
    source = new_file(tmp_path, row, row, header=",".join(data.TRIMS.fields))
    with pytest.raises(
        data.DataError,
        match="line 3: same (brand, series, trim_name, model_year|as line 2 in every column)",
    ):
        data_add.plan_add(source, data_copy)


# --- summary -----------------------------------------------------------------------------------


def test_the_summary_per_maker_counts_months_gaps_closed_and_the_new_latest_month(
    data_copy, tmp_path
):
    """In the frozen data Leapmotor's last months are 2026-01, 02, 05 and 06 (03-04 unknown)."""
    source = new_file(
        tmp_path,
        f"leapmotor,2026-03,50000,stated,{URL},",
        f"leapmotor,2026-04,71000,stated,{URL},",
        f"leapmotor,2026-08,99000,stated,{URL},",
    )
    text = data_add.report(data_add.plan_add(source, data_copy))
    [line] = [line for line in text.splitlines() if line.strip().startswith("leapmotor:")]
    assert "3 month(s) added (2026-03, 2026-04, 2026-08)" in line
    assert "gaps closed: 2026-03, 2026-04" in line
    assert "new gap (unknown months): 2026-07" in line
    assert "new latest month 2026-08 (was 2026-06)" in line


# --- hostile files and rows --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_a_file_that_is_not_a_regular_file_is_refused_before_it_is_read(data_copy, tmp_path, kind):
    """Before: a FIFO hung `data add`, /dev/zero read until MemoryError."""
    path = {"fifo": tmp_path / "new.csv", "device": Path("/dev/zero"), "directory": tmp_path}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    result = subprocess.run(
        [sys.executable, "-m", "lib", "data", "add", str(path), "--data-dir", str(data_copy)],
        cwd=paths.PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    expected = "is a directory" if kind == "directory" else "is not a regular file"
    assert f"{path}: 1 problem(s)" in result.stderr and expected in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_over_the_size_limit_is_refused_without_reading_it(data_copy, tmp_path):
    path = new_file(tmp_path, f"leapmotor,2026-03,50000,stated,{URL},")
    os.truncate(path, data.MAX_FILE_BYTES + 1)  # sparse: the size is known without the bytes
    with pytest.raises(data.DataError, match=r"file is 50\.0 MB; the limit is 50 MB") as caught:
        data_add.plan_add(path, data_copy)
    assert caught.value.path == path


@pytest.mark.parametrize("target_newline", ["\n", "\r\n"])
def test_new_rows_take_the_data_files_line_endings(data_copy, tmp_path, target_newline):
    """Before: a CRLF row was inserted with its CRLF into the LF data file."""
    path = data_copy / DELIVERIES
    path.write_bytes(path.read_bytes().replace(b"\n", target_newline.encode()))
    source = tmp_path / "new.csv"
    other = "\n" if target_newline == "\r\n" else "\r\n"
    source.write_bytes(other.join([HEADER, f"leapmotor,2026-03,50000,stated,{URL},x", ""]).encode())
    data_add.apply(data_add.plan_add(source, data_copy))
    content = path.read_bytes()
    assert f"leapmotor,2026-03,50000,stated,{URL},x{target_newline}".encode() in content
    lines = content.split(target_newline.encode())
    assert not any(other.encode() in line for line in lines) and len(lines) > 390


def test_rows_for_makers_not_in_the_registry_are_refused(data_copy, tmp_path):
    financial = ",".join(data.FINANCIALS.fields)
    events = ",".join(data.PRICE_WAR_EVENTS.fields)
    cases = [
        (HEADER, f"zeekr,2026-01,1000,stated,{URL},", "column 'brand': value 'zeekr'"),
        (financial, f"Zeekr,2026Q1,revenue,1.0,RMB_mn,{URL},", "column 'company': value 'Zeekr'"),
        (
            events,
            f"2026-01-05,zeekr,price cut,cut,5,stated,{URL},",
            "column 'maker': value 'zeekr'",
        ),
    ]
    for header, row, expected in cases:
        source = new_file(tmp_path, row, header=header)
        with pytest.raises(data.DataError) as caught:
            data_add.plan_add(source, data_copy)
        assert f"line 2, {expected} is not a maker in makers.csv" in str(caught.value)
    register(data_copy, "zeekr", "Zeekr")
    for header, row, _ in cases:
        assert len(data_add.plan_add(new_file(tmp_path, row, header=header), data_copy).added) == 1


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_text_that_a_spreadsheet_would_run_as_a_formula_is_refused(data_copy, tmp_path, start):
    source = new_file(
        tmp_path,
        f'leapmotor,2026-03,50000,stated,{URL},"{start}HYPERLINK(""http://x"")"',
        f"leapmotor,2026-04,50000,stated,{URL},up 12% yoy",
    )
    before = (data_copy / DELIVERIES).read_bytes()
    result = command(str(source), "--data-dir", str(data_copy), "--apply")
    assert result.returncode == 2
    assert f"line 2, column 'note': value '{start}HYPERLINK" in result.stderr
    assert "runs as a formula" in result.stderr and "line 3" not in result.stderr
    assert (data_copy / DELIVERIES).read_bytes() == before


def test_a_negative_number_is_a_number_not_a_formula(data_copy, tmp_path):
    header = ",".join(data.FINANCIALS.fields)
    source = new_file(tmp_path, f"Leapmotor,2030Q1,net_income,-1100.0,RMB_mn,{URL},", header=header)
    assert len(data_add.plan_add(source, data_copy).added) == 1


# A child that runs `data add --apply` and stops inside the write, after its temporary file is
# written, until it is signalled (the test's way of catching it mid-write).
MID_WRITE = """
import os, sys, time
from lib import __main__ as cli
def fsync_then_wait(descriptor):
    print("staged", flush=True)
    time.sleep(60)
os.fsync = fsync_then_wait
sys.exit(cli.main(["data", "add", sys.argv[1], "--data-dir", sys.argv[2], "--apply"]))
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_stopped_write_leaves_the_old_file_and_no_temporary_file(data_copy, tmp_path, signum):
    """SIGTERM: the run removes its temporary file and exits 1. SIGKILL: it cannot; the next
    `data add --apply` removes it (before: a `.tmp` file stayed in data/)."""
    source = new_file(tmp_path, f"leapmotor,2026-03,50000,stated,{URL},")
    files = {p.name: p.read_bytes() for p in data_copy.iterdir()}
    child = subprocess.Popen(
        [sys.executable, "-c", MID_WRITE, str(source), str(data_copy)],
        cwd=paths.PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while "staged" not in child.stdout.readline():
        assert child.poll() is None, child.stderr.read()
    assert [p.name for p in data_copy.glob(".*.tmp")] == [f".{DELIVERIES}.data-add-{child.pid}.tmp"]
    child.send_signal(signum)
    _, stderr = child.communicate(timeout=60)
    if signum == signal.SIGTERM:
        assert child.returncode == 1 and "stopped by SIGTERM" in stderr, stderr
        assert "Traceback" not in stderr
    else:
        assert len(list(data_copy.glob(".*.tmp"))) == 1
        result = command(str(source), "--data-dir", str(data_copy), "--apply")
        assert result.returncode == 0, result.stderr
        files[DELIVERIES] = (data_copy / DELIVERIES).read_bytes()  # the next run's write
    assert {p.name: p.read_bytes() for p in data_copy.iterdir()} == files
