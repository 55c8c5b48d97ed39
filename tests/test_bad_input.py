"""Bad input that used to get through (issue 11): each case is refused by `python -m lib check`
(or `run`) with exit code 2 and one clear message naming the file, line, column or option, and
never with a traceback. Broken copies are made from the frozen test data (`data_copy`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from lib import data, paths
from tests.conftest import SMOKE_SCENARIO

DELIVERIES = "deliveries_monthly.csv"
FINANCIALS = "financials_quarterly.csv"
TRIMS = "vehicle_trims.csv"
ASSUMPTIONS = "assumptions.csv"
SCRIPT_URL = "https://x/<script>alert(1)</script>"


def lib(*arguments: str) -> subprocess.CompletedProcess:
    """`python -m lib ...` from the project root; no run may end in a traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "lib", *arguments],
        capture_output=True,
        text=True,
        cwd=paths.PROJECT_ROOT,
        timeout=300,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr[-3000:]
    return result


def refused(*arguments: str) -> str:
    """Run `python -m lib ...`, expect exit 2 (bad input); return what it printed."""
    result = lib(*arguments)
    assert result.returncode == 2, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    return result.stdout + result.stderr


def check_refuses(data_dir: Path) -> str:
    return refused("check", "--data-dir", str(data_dir))


def append_row(folder: Path, filename: str, **changes: str) -> int:
    """Append a copy of the file's last row with `changes`; return the new row's line number."""
    path = folder / filename
    text = path.read_text()
    header, *rows = list(csv.reader(io.StringIO(text)))
    record = dict(zip(header, rows[-1], strict=True)) | changes
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([record[name] for name in header])
    path.write_text(text + out.getvalue())
    return text.count("\n") + 1


# ---------------------------------------------------------------------------------------------
# Ranges and finiteness


def test_implausible_deliveries_are_refused(data_copy):
    huge = append_row(data_copy, DELIVERIES, brand="zz_test", month="2024-01", deliveries="10**15")
    output = check_refuses(data_copy)
    assert f"line {huge}, column 'deliveries': value '10**15' is not valid" in output
    path = data_copy / DELIVERIES
    path.write_text(path.read_text().replace("10**15", "1000000000000000"))
    output = check_refuses(data_copy)
    assert str(path) in output
    assert (
        f"line {huge}, column 'deliveries': value 1000000000000000 is not valid; expected a "
        "non-negative whole number of vehicles below 2,000,000"
    ) in output


def test_infinite_or_overflowing_deliveries_are_refused(data_copy):
    infinite = append_row(data_copy, DELIVERIES, brand="zz_test", month="2024-01", deliveries="inf")
    overflow = append_row(
        data_copy, DELIVERIES, brand="zz_test", month="2024-02", deliveries="2e19"
    )
    output = check_refuses(data_copy)
    assert f"line {infinite}, column 'deliveries': value 'inf' is not a finite number" in output
    assert f"line {overflow}, column 'deliveries': value '2e19' is not valid" in output
    assert "OverflowError" not in output


def test_months_outside_the_delivery_era_are_refused(data_copy):
    future = f"{dt.date.today().year + 2}-01"
    late = append_row(data_copy, DELIVERIES, brand="zz_test", month=future)
    early = append_row(data_copy, DELIVERIES, brand="zz_test", month="0001-01")
    output = check_refuses(data_copy)
    expected = f"expected a month from {data.FIRST_MONTH} to the current month"
    assert f"line {late}, column 'month': value '{future}' is not valid; {expected}" in output
    assert f"line {early}, column 'month': value '0001-01' is not valid; {expected}" in output


def test_percentages_beyond_100_or_infinite_are_refused(data_copy):
    row = {"company": "Leapmotor", "metric": "gross_margin_pct", "unit": "pct"}
    big = append_row(data_copy, FINANCIALS, period="2030Q1", value="500", **row)
    infinite = append_row(data_copy, FINANCIALS, period="2030Q2", value="inf", **row)
    output = check_refuses(data_copy)
    assert f"line {infinite}, column 'value': value 'inf' is not a finite number" in output
    data_copy.joinpath(FINANCIALS).write_text(
        data_copy.joinpath(FINANCIALS).read_text().replace(",inf,", ",50,")
    )
    output = check_refuses(data_copy)
    assert (
        f"line {big}, column 'value': value 500.0 is not valid; expected a percentage from -100 "
        "to 100"
    ) in output


def test_infinite_values_and_negative_targets_in_assumptions_are_refused(data_copy):
    infinite = append_row(data_copy, ASSUMPTIONS, name="zz_price_rmb", value="inf", unit="RMB")
    negative = append_row(data_copy, ASSUMPTIONS, name="zz_target_2026_units", value="-5")
    output = check_refuses(data_copy)
    assert f"line {infinite}, column 'value': value 'inf' is not a finite number" in output
    path = data_copy / ASSUMPTIONS
    path.write_text(path.read_text().replace("zz_price_rmb,inf", "zz_price_rmb,5"))
    output = check_refuses(data_copy)
    assert (
        f"line {negative}, column 'value': value -5.0 is not valid; expected a positive" in output
    )


def test_exact_duplicate_trims_are_refused(data_copy):
    original = data_copy.joinpath(TRIMS).read_text().count("\n")
    copy = append_row(data_copy, TRIMS)
    output = check_refuses(data_copy)
    assert f"line {copy}: same as line {original} in every column; expected each row once" in output


# ---------------------------------------------------------------------------------------------
# Source URLs


@pytest.mark.parametrize("dataset", data.DATASETS, ids=lambda d: d.filename)
def test_source_urls_with_markup_are_refused_in_every_file(data_copy, dataset):
    line = append_row(data_copy, dataset.filename, source_url=SCRIPT_URL)
    output = check_refuses(data_copy)
    assert f"{dataset.filename}: " in output
    assert f"line {line}, column 'source_url': value '{SCRIPT_URL}' is not valid" in output


@pytest.mark.parametrize(
    "url",
    [
        SCRIPT_URL,
        "https://a b.com/",
        'https://a.com/"x',
        "javascript:alert(1)",
        "https://",
        "ftp://a.com",
    ],
)
def test_url_pattern_needs_scheme_host_and_no_markup(url):
    assert not pd.Series([url]).str.match(data.URL_PATTERN).iloc[0]


def test_url_pattern_accepts_ordinary_addresses():
    urls = ["https://cnevpost.com/2025/01/01/a-b/?p=1&q=2#x", "http://www.hkexnews.hk:443/a.pdf"]
    assert pd.Series(urls).str.match(data.URL_PATTERN).all()


# ---------------------------------------------------------------------------------------------
# Files that are not files


def test_a_data_file_that_is_a_directory_is_named(data_copy):
    (data_copy / FINANCIALS).unlink()
    (data_copy / FINANCIALS).mkdir()
    output = check_refuses(data_copy)
    assert f"{data_copy / FINANCIALS}: 1 problem(s)" in output
    assert "is a directory; expected a CSV file" in output


def test_a_data_file_that_cannot_be_read_is_named(data_copy):
    (data_copy / TRIMS).unlink()
    os.mkfifo(data_copy / TRIMS)  # reading it would block forever: refused from its type
    output = check_refuses(data_copy)
    assert f"{data_copy / TRIMS}: 1 problem(s)" in output and "is not a regular file" in output


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_data_file_without_read_permission_is_named(data_copy):
    (data_copy / TRIMS).chmod(0)
    output = check_refuses(data_copy)
    assert f"{data_copy / TRIMS}" in output and "cannot be read (Permission denied)" in output


def test_a_data_file_over_the_size_limit_is_refused_before_reading(data_copy):
    with (data_copy / DELIVERIES).open("r+b") as handle:  # sparse: the size, not the bytes
        handle.truncate(data.MAX_FILE_BYTES + 1)
    output = check_refuses(data_copy)
    assert f"{data_copy / DELIVERIES}" in output and "the limit is 50 MB" in output


def test_a_scenario_that_is_not_utf8_is_named(tmp_path):
    scenario = tmp_path / "latin.yaml"
    scenario.write_bytes("description: Szenario für Bären\n".encode("latin-1"))
    output = refused("check", "--scenario", str(scenario))
    assert f"{scenario}: not UTF-8 text (undecodable byte at position 23)" in output


def test_a_scenario_that_is_a_directory_is_named(tmp_path):
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    output = refused("check", "--scenario", str(folder))
    assert f"{folder}: is a directory; expected a scenario YAML file" in output


# ---------------------------------------------------------------------------------------------
# YAML


def test_yaml_aliases_are_refused(tmp_path):
    # Nine levels of nine aliases: 9**9 (387 million) strings once expanded.
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    scenario = tmp_path / "bomb.yaml"
    scenario.write_text("\n".join(lines) + "\n")
    output = refused("check", "--scenario", str(scenario))
    assert f"{scenario}: not valid YAML" in output
    assert "aliases (*name) are not allowed in a scenario file" in output and "line 2" in output


def test_duplicate_yaml_keys_are_refused(tmp_path):
    scenario = tmp_path / "twice.yaml"
    scenario.write_text(
        "description: two notebooks sections\n"
        "notebooks:\n  01_sales_trajectory:\n    n_paths: 500\n"
        "notebooks:\n  02_brand_premium:\n    n_draws: 500\n"
    )
    output = refused("check", "--scenario", str(scenario))
    assert "duplicate key 'notebooks' (first at line 2)" in output and "line 5" in output


def test_many_unknown_keys_print_at_most_20_problems(tmp_path):
    scenario = tmp_path / "many.yaml"
    keys = "".join(f"    unknown_{i}: 1\n" for i in range(5_000))
    scenario.write_text(f"notebooks:\n  01_sales_trajectory:\n{keys}")
    output = refused("check", "--scenario", str(scenario))
    assert output.count("unknown parameter") == 20
    assert "... and 4,980 more problem(s)" in output
    assert len(output) < 10_000


def test_a_scenario_over_1_mb_is_refused(tmp_path):
    scenario = tmp_path / "huge.yaml"
    keys = "".join(f"k{i:07d}: 1\n" for i in range(120_000))
    scenario.write_text(keys)
    output = refused("check", "--scenario", str(scenario))
    assert (
        f"{scenario}: file is 1,440,000 bytes; a scenario file may have at most 1,048,576" in output
    )


# ---------------------------------------------------------------------------------------------
# Command-line bounds


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--jobs", "1000", "argument --jobs: expected 1 to 32, got 1,000"),
        ("--jobs", "0", "argument --jobs: expected 1 to 32, got 0"),
        ("--cell-timeout", "0", "argument --cell-timeout: expected 1 to 86,400, got 0"),
        ("--cell-timeout", "-5", "argument --cell-timeout: expected 1 to 86,400, got -5"),
    ],
)
def test_run_options_out_of_bounds_are_refused(tmp_path, option, value, expected):
    output = refused("run", option, value, "--reports-dir", str(tmp_path / "reports"))
    assert expected in output
    assert not (tmp_path / "reports").exists()  # refused before anything was touched


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--makers", ""], "argument --makers: expected maker keys separated by commas, got ''"),
        (["--makers", " , ,"], "argument --makers: expected maker keys separated by commas"),
        (["--reports-dir", ""], "argument --reports-dir: expected a folder path, got an empty one"),
        (["--data-dir", " "], "argument --data-dir: expected a folder path, got an empty one"),
    ],
)
def test_empty_makers_or_folders_are_refused(tmp_path, arguments, expected):
    """`--makers ''` used to run one maker, `--reports-dir ''` to publish into the current folder."""
    done = subprocess.run(
        [sys.executable, "-m", "lib", "run", *arguments],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert expected in done.stderr
    assert not list(tmp_path.iterdir())  # nothing written where it ran


def test_a_scenario_name_cannot_leave_params(tmp_path):
    output = refused("check", "--scenario", "../tests/smoke")
    assert "--scenario '../tests/smoke': a scenario name may hold only letters, digits" in output


def test_a_scenario_path_to_a_yaml_file_is_allowed():
    result = lib("check", "--scenario", str(SMOKE_SCENARIO))
    assert result.returncode == 0, result.stderr
    assert "scenario smoke: ok" in result.stdout


# ---------------------------------------------------------------------------------------------
# The gap listing on known truth (its speed is measured by bench/bench_check.py)


def test_delivery_gaps_on_known_series():
    months = ["2020-01", "2020-04", "2020-05", "2020-09", "2020-01", "2020-02", "2021-01"]
    frame = pd.DataFrame(
        {
            "brand": ["a", "a", "a", "a", "b", "b", "c"],
            "month": pd.PeriodIndex(months, freq="M"),
            "deliveries": [1] * 7,
        }
    ).sample(frac=1, random_state=1)  # the order of rows must not matter
    gaps = data.delivery_gaps(frame)
    assert gaps.to_dict("records") == [
        {
            "brand": "a",
            "first": pd.Period("2020-02", "M"),
            "last": pd.Period("2020-03", "M"),
            "months": 2,
        },
        {
            "brand": "a",
            "first": pd.Period("2020-06", "M"),
            "last": pd.Period("2020-08", "M"),
            "months": 3,
        },
    ]
