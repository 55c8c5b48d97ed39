"""Fuzzing with Hypothesis: broken data files, scenario files, `data add` input, bad command lines
and data text in Markdown. Whatever is generated, the command ends with exit code 0, 2 or 3 and a
message, never an exception (a traceback) or a hang, and never changes the shipped data or the
last good reports.

Most examples call the command line in-process (`lib.__main__.main`, SystemExit caught), on a
private copy of the frozen data restored after each example; a few run `python -m lib` as a real
process under a timeout. `run` gets only command lines that are bad by construction (each holds
one refused argument), so nothing is ever executed.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import html
import io
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib import __main__ as cli
from lib import data, makers, paths, render, scenarios
from tests.conftest import FROZEN_DATA

# 50 examples per test keep the module near 20 s; EVR_FUZZ_EXAMPLES=1000 searches longer.
FAST = settings(
    max_examples=int(os.environ.get("EVR_FUZZ_EXAMPLES", 50)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
SPECS = scenarios.discover()
NOTEBOOKS = [spec.name for spec in SPECS]
MAKER_KEYS = sorted(makers.registry(FROZEN_DATA))


def digest(folder: Path, pattern: str = "*") -> dict[str, str]:
    """Every file under `folder` (following `latest`) matching `pattern`, as a SHA-256."""
    if not folder.exists():
        return {}
    root = folder.resolve()
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob(pattern))
        if path.is_file()
    }


@pytest.fixture(scope="module", autouse=True)
def shipped_files_untouched():
    """The shipped data and the last good reports are the same after every test here."""
    shipped, latest = paths.PROJECT_ROOT / "data", paths.PROJECT_ROOT / "reports" / "latest"
    before = digest(shipped, "*.csv"), digest(latest), os.path.realpath(latest)
    yield
    assert (digest(shipped, "*.csv"), digest(latest), os.path.realpath(latest)) == before


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A folder with a copy of the frozen data (`data/`) and an empty reports folder."""
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(FROZEN_DATA, folder / "data")
    (folder / "reports").mkdir()
    return folder


@contextlib.contextmanager
def restored(folder: Path):
    """Put every file of `folder` back as it was, whatever the example did to it."""
    saved = {path.name: path.read_bytes() for path in folder.iterdir()}
    try:
        yield
    finally:
        for path in folder.iterdir():
            if path.name not in saved:
                path.unlink()
        for name, content in saved.items():
            (folder / name).write_bytes(content)


def call(argv: list[str]) -> tuple[int, str]:
    """`python -m lib ARGV` in this process: (exit code, stderr and log lines). Any exception
    fails the test."""
    err = io.StringIO()
    log = logging.StreamHandler(err)  # the runner reports through logging, set up once a process
    logging.getLogger().addHandler(log)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = cli.main(argv)
    except SystemExit as stop:  # argparse refuses a command line with exit code 2
        code = stop.code
    finally:
        logging.getLogger().removeHandler(log)
    return code, err.getvalue()


def assert_clean(code: int, message: str, allowed=(0, 2, 3)) -> None:
    assert code in allowed, (code, message)
    assert "Traceback" not in message
    if code:
        assert message.strip(), "a refusal says why"


# --- strategies ---------------------------------------------------------------------------------

# Cells that broke or nearly broke a check: impossible dates, huge and odd numbers, formulas,
# markup, quotes and line breaks, control characters.
EDGE_CELLS = [
    "",
    " ",
    "2026-02-31",
    "2015-99-99",
    "2026-13",
    "0000-01",
    "9999-12-31",
    "2026-02-29",
    "1e308",
    "-1e308",
    "inf",
    "-inf",
    "nan",
    "NaN",
    "1e-320",
    "0x10",
    "1_000",
    "  7 ",
    "-0",
    "99999999999999999999999",
    "=1+1",
    "+12% yoy",
    "-cut",
    "@SUM(A1)",
    "=cmd|' /C calc'!A0",
    '"',
    '""',
    "a,b",
    "line\nbreak",
    "cr\rhere",
    "\t",
    "\x00",
    "\ufeff",
    "<script>x</script>",
    "[a](https://evil.example)",
    "https://",
    "http://x",
    "leapmotor",
    "Leapmotor",
    "pct",
    "units",
]
cells = st.one_of(
    st.sampled_from(EDGE_CELLS),
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.builds(
        "{:04d}-{:02d}-{:02d}".format,
        st.integers(0, 9999),
        st.integers(0, 99),
        st.integers(0, 99),
    ),
)
datasets = st.sampled_from(data.DATASETS)


def table(dataset: data.Dataset) -> list[list[str]]:
    with (FROZEN_DATA / dataset.filename).open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


@st.composite
def broken_file(draw) -> tuple[str, bytes]:
    """A data file with one cell replaced, its bytes cut short, or bytes inserted."""
    dataset = draw(datasets)
    rows = table(dataset)
    how = draw(st.sampled_from(["cell", "cell", "cell", "cut", "insert"]))
    if how == "cell":
        line = draw(st.integers(0, len(rows) - 1))
        column = draw(st.integers(0, len(rows[line]) - 1))
        rows[line][column] = draw(cells)
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return dataset.filename, out.getvalue().encode("utf-8", "surrogatepass")
    content = (FROZEN_DATA / dataset.filename).read_bytes()
    at = draw(st.integers(0, len(content)))
    if how == "cut":
        return dataset.filename, content[:at]
    return dataset.filename, content[:at] + draw(st.binary(min_size=1, max_size=20)) + content[at:]


# --- data files ---------------------------------------------------------------------------------


@FAST
@given(change=broken_file())
def test_check_on_broken_data_says_why_and_never_raises(work, change):
    filename, content = change
    with restored(work / "data"):
        (work / "data" / filename).write_bytes(content)
        code, message = call(["check", "--data-dir", str(work / "data")])
    assert_clean(code, message, allowed=(0, 2))
    if code == 2:
        assert filename in message or "makers.csv" in message or "data" in message


# --- data add -----------------------------------------------------------------------------------


@st.composite
def new_rows(draw) -> tuple[data.Dataset, list[list[str]]]:
    """A few rows of a data file (copied, then some cells changed), under its header or another."""
    dataset = draw(datasets)
    rows = table(dataset)
    header = rows[0] if draw(st.integers(0, 9)) else draw(st.lists(cells, max_size=8))
    picked = draw(st.lists(st.integers(1, len(rows) - 1), min_size=1, max_size=4))
    body = [list(rows[i]) for i in picked]
    for row in body:
        for _ in range(draw(st.integers(0, 3))):
            row[draw(st.integers(0, len(row) - 1))] = draw(cells)
    return dataset, [header, *body]


@FAST
@given(
    rows=new_rows(),
    options=st.lists(
        st.sampled_from([["--apply"], ["--replace", "--note", "fuzz"], ["--into", "x.csv"]]),
        max_size=2,
    ),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_data_add_takes_or_refuses_any_rows_and_changes_nothing_it_refuses(
    work, rows, options, newline
):
    dataset, table_rows = rows
    source = work / "new.csv"
    with source.open("w", newline="", encoding="utf-8", errors="surrogatepass") as handle:
        csv.writer(handle, lineterminator=newline).writerows(table_rows)
    argv = ["data", "add", str(source), "--data-dir", str(work / "data")]
    argv += [part for option in options for part in option]
    with restored(work / "data"):
        before = digest(work / "data")
        code, message = call(argv)
        assert_clean(code, message, allowed=(0, 2))
        if code == 2 or "--apply" not in argv:
            assert digest(work / "data") == before
        assert not list((work / "data").glob(".*.tmp"))


@pytest.mark.parametrize("kind", ["fifo", "directory", "missing", "device", "empty"])
def test_data_add_refuses_what_is_not_a_csv_file(work, kind):
    source = work / f"source-{kind}"
    if kind == "fifo":
        os.mkfifo(source)
    elif kind == "directory":
        source.mkdir()
    elif kind == "device":
        source = Path("/dev/zero")
    elif kind == "empty":
        source.write_bytes(b"")
    code, message = call(["data", "add", str(source), "--data-dir", str(work / "data")])
    assert_clean(code, message, allowed=(2,))
    assert str(source) in message


# --- scenario files -----------------------------------------------------------------------------

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
names = st.sampled_from(NOTEBOOKS) | st.text(max_size=12)
parameters = st.sampled_from(
    ["n_paths", "target_units", "maker", "seed", "price_cut_pct"]
) | st.text(max_size=10)
scenario_documents = st.fixed_dictionaries(
    {},
    optional={
        "description": values,
        "maker": st.sampled_from(MAKER_KEYS) | values,
        "notebooks": st.dictionaries(
            names, st.dictionaries(parameters, values, max_size=3) | values, max_size=3
        ),
        "extra": values,
    },
).map(lambda document: yaml.safe_dump(document, allow_unicode=True))
EDGE_YAML = [
    "",
    "---\n...\n",
    "a: &x [1]\nb: *x\n",
    "notebooks: {a: 1, a: 2}\n",
    "notebooks: [" * 60,
    "notebooks:\n  01_sales_trajectory:\n    n_paths: .nan\n",
    "maker: [1, 2]\n",
    "!!python/object:os.system {}\n",
    "notebooks: !!binary aGVsbG8=\n",
    "\t\tbad indent:\n",
    "? [a, b]\n: 1\n",
    "notebooks:\n  - 1\n",
]
scenario_texts = scenario_documents | st.sampled_from(EDGE_YAML) | st.text(max_size=60)


@FAST
@given(text=scenario_texts)
def test_any_scenario_file_is_read_or_refused_naming_the_file(work, text):
    path = work / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        scenarios.check_scenario(scenarios.load_scenario(str(path)), SPECS)
    except scenarios.ScenarioError as error:
        assert str(error).startswith(str(path)), error
    code, message = call(["check", "--scenario", str(path), "--data-dir", str(FROZEN_DATA)])
    assert_clean(code, message, allowed=(0, 2))


# --- the command line ---------------------------------------------------------------------------

REFUSED = [  # each is refused before a run starts
    ["--jobs", "0"],
    ["--jobs", "33"],
    ["--jobs", "many"],
    ["--cell-timeout", "0"],
    ["--cell-timeout", "1e9"],
    ["--scenario", "../etc/passwd"],
    ["--scenario", "no/such.yaml"],
    ["--scenario", "nonexistent_scenario"],
    ["--only", "99_no_such_notebook"],
    ["--data-dir", "/nonexistent/data"],
    ["--maker", "no_such_maker"],
    ["--no-such-option"],
]
OPTIONS = [
    ["--force"],
    ["--quiet"],
    ["--jobs", "1"],
    ["--scenario", "base"],
    ["--scenario", "bear"],
    ["--only", "01_sales_trajectory"],
    ["--cell-timeout", "5"],
    ["--all-scenarios"],
    ["--maker", "nio"],
]
free = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=15
)


@st.composite
def run_lines(draw) -> list[str]:
    """`run` with valid and random options, then refused ones, which no earlier option overrides
    (argparse keeps an option's last value; --all-scenarios ignores --scenario)."""
    refused = [draw(st.sampled_from(REFUSED))]
    if draw(st.booleans()):
        refused.append(
            [draw(st.sampled_from(["--maker", "--scenario", "--only"])), "zz" + draw(free)]
        )
    valid = draw(st.lists(st.sampled_from(OPTIONS), max_size=3))
    if any(option[0] == "--scenario" for option in refused):
        valid = [option for option in valid if option != ["--all-scenarios"]]
    return ["run", *[part for option in valid + refused for part in option]]


@st.composite
def command_lines(draw, reports: Path, data_dir: Path) -> list[str]:
    kind = draw(st.sampled_from(["run", "check", "data", "junk"]))
    if kind == "run":
        return [*draw(run_lines()), "--reports-dir", str(reports)]
    if kind == "check":
        extra = draw(
            st.lists(st.sampled_from([["--maker"], ["--scenario"], ["--data-dir"]]), max_size=2)
        )
        argv = ["check", "--data-dir", str(data_dir)]
        for (option,) in extra:
            argv += [option, draw(free | st.sampled_from(MAKER_KEYS + ["base", "bull"]))]
        return argv
    if kind == "data":
        return [
            "data",
            "add",
            draw(free | st.just(str(data_dir / "makers.csv"))),
            "--data-dir",
            str(data_dir),
        ]
    return draw(st.lists(free, max_size=4))


@FAST
@given(data_=st.data())
def test_any_bad_command_line_exits_2_with_a_message(work, data_):
    argv = data_.draw(command_lines(work / "reports", work / "data"))
    with restored(work / "data"):
        code, message = call(argv)
    assert_clean(code, message)
    if argv and argv[0] == "run":
        assert code == 2, (argv, message)
        assert not list((work / "reports").glob("*/manifest.json")), "nothing ran"


@settings(max_examples=4, deadline=None, database=None)
@given(data_=st.data())
def test_the_command_line_as_a_process_never_shows_a_traceback_or_hangs(work, data_):
    argv = data_.draw(command_lines(work / "reports", work / "data"))
    result = subprocess.run(
        [sys.executable, "-m", "lib", *argv],
        cwd=paths.PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_clean(result.returncode, result.stderr)


# --- data text in reports -----------------------------------------------------------------------

MARKDOWN_EDGES = [
    "[a](https://evil.example/x)",
    "<https://auto.example>",
    "https://bare.example/y",
    "www.example.com",
    "![i](https://example.com/i.png)",
    "![i](../data/makers.csv)",
    "[j](javascript:alert(1))",
    "[r][1]",
    "[e](mailto:a@b.c)",
    "a@b.example",
]
markdown_text = st.lists(
    st.sampled_from(MARKDOWN_EDGES)
    | st.text(alphabet=st.sampled_from(list("[]()<>!:/.-_*`#@ahtpswxy ")), max_size=25),
    min_size=1,
    max_size=4,
).map(" ".join)


@settings(max_examples=25, deadline=None, database=None)
@given(text=markdown_text)
def test_data_text_in_a_report_never_becomes_a_link_or_image(text):
    """Report text quotes data through html.escape into Markdown (before: its links were links)."""
    cell = nbformat.v4.new_markdown_cell(f"EVR-BEGIN {html.escape(text)} EVR-END")
    notebook = nbformat.v4.new_notebook(cells=[cell])
    context = render.ReportContext(run_id="r", scenario="s", data_as_of="2026-06")
    page = render.notebook_html(notebook, context)
    shown = page[page.index("EVR-BEGIN") : page.index("EVR-END")]
    assert not re.search(r"<a\b|<img\b", shown), shown
