"""Reading one data file in three steps: a readable CSV with the expected header, cells that
parse as their types, values that pass the schema. Errors name file, line, column and value."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd

from lib import cache, paths
from lib.data.schemas import MAX_FILE_BYTES, DataError, Dataset, current_month

# ---------------------------------------------------------------------------------------------
# Reading and validating


def _path(dataset: Dataset, data_dir: Path | None) -> Path:
    return (Path(data_dir) if data_dir else paths.data_dir()) / dataset.filename


def _read_rows(
    path: Path, dataset: Dataset, raw: bytes | None = None, allow_empty: bool = False
) -> tuple[pd.DataFrame, list[int]]:
    """Read a CSV (or its bytes `raw`) as text cells, with the line where each record starts;
    a header without rows is refused unless `allow_empty` (a new file `data add` fills)."""
    raw = read_bytes(path) if raw is None else raw
    if not raw.strip():
        raise DataError(path, ["file is empty: expected a CSV header and at least one row"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(
            path, [f"not a CSV text file (undecodable byte at position {error.start})"]
        ) from None
    if "\x00" in text:
        raise DataError(path, ["not a CSV text file (contains NUL bytes)"])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as error:
        raise DataError(path, [f"line {reader.line_num}: not valid CSV ({error})"]) from None
    header = rows[0]
    records = [row for row in rows[1:] if row]
    if sum(1 for _ in io.StringIO(text, newline="")) == len(rows):  # one line per record
        lines = [number for number, row in enumerate(rows[1:], start=2) if row]
    else:  # a quoted cell spans lines: count them record by record
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        next(reader)
        lines, line = [], reader.line_num + 1
        for record in reader:
            if record:
                lines.append(line)
            line = reader.line_num + 1
    del rows
    header = [name.strip() for name in header]
    expected = list(dataset.fields)
    problems = []
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    if missing:
        problems.append(
            f"line 1 (header): missing column(s) {', '.join(missing)}; expected columns: {', '.join(expected)}"
        )
    if extra:
        problems.append(
            f"line 1 (header): unexpected column(s) {', '.join(extra)}; expected columns: {', '.join(expected)}"
        )
    if len(set(header)) != len(header):
        problems.append("line 1 (header): duplicate column names")
    if problems:
        raise DataError(path, problems)
    for record, number in zip(records, lines, strict=True):
        if len(record) != len(header):
            problems.append(
                f"line {number}: {len(record)} fields, expected {len(header)} (check quoting of commas)"
            )
    if problems:
        raise DataError(path, problems)
    if not records and not allow_empty:
        raise DataError(path, ["file has a header but no data rows"])
    frame = pd.DataFrame(records, columns=header)[expected]
    frame = frame.apply(lambda col: col.str.strip()).replace("", pd.NA)
    return frame, lines


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or a DataError if it is missing, not a regular file, too large or
    unreadable. A FIFO or device is refused before it is opened (reading one would wait for a
    writer or never end); the open file is checked again, and read only up to the limit."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            _refuse_kind(path, path.stat().st_mode)
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO swapped in: no wait
    except FileNotFoundError:
        raise DataError(
            path, ["file not found (set --data-dir or EVR_DATA_DIR to use another data folder)"]
        ) from None
    except OSError as error:
        raise DataError(path, [f"cannot be read ({error.strerror})"]) from None
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            _refuse_kind(path, info.st_mode)
        try:
            raw = handle.read(MAX_FILE_BYTES + 1) if info.st_size <= MAX_FILE_BYTES else b""
        except OSError as error:
            raise DataError(path, [f"cannot be read ({error.strerror})"]) from None
    if info.st_size > MAX_FILE_BYTES or len(raw) > MAX_FILE_BYTES:
        size = max(info.st_size, len(raw))
        raise DataError(
            path,
            [
                f"file is {size / 2**20:,.1f} MB; the limit is {MAX_FILE_BYTES / 2**20:,.0f} MB "
                "(MAX_FILE_BYTES in lib/data/schemas.py, see data/README.md)"
            ],
        )
    return raw


def _refuse_kind(path: Path, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise DataError(path, ["is a directory; expected a CSV file"])
    raise DataError(path, ["is not a regular file (a pipe, socket or device); expected a CSV file"])


def _parse_types(
    frame: pd.DataFrame, dataset: Dataset, lines: list[int]
) -> tuple[pd.DataFrame, list[str]]:
    """Turn text cells into typed columns; every cell that does not parse is a problem."""
    problems = []
    typed = {}
    for name, field in dataset.fields.items():
        column = frame[name]
        if field.kind == "str":
            typed[name] = column.astype("str").where(column.notna(), None).astype(object)
            continue
        numbers = pd.to_numeric(column, errors="coerce")
        bad = column.notna() & numbers.isna()
        infinite = numbers.notna() & ~np.isfinite(numbers)
        if field.kind == "int":  # beyond 2**53 a float no longer holds every whole number
            bad |= numbers.notna() & ((numbers != np.round(numbers)) | (numbers.abs() >= 2**53))
        bad |= infinite
        for position in np.flatnonzero(bad.to_numpy()):
            what = "not a finite number" if infinite.iloc[position] else "not valid"
            problems.append(
                f"line {lines[position]}, column '{name}': value {column.iloc[position]!r} is {what}; expected {field.expected}"
            )
        numbers = numbers.where(~bad)
        typed[name] = numbers.astype("Int64") if field.kind == "int" else numbers.astype("float64")
    return pd.DataFrame(typed), problems


def _describe_failure(
    case: pd.Series, dataset: Dataset, frame: pd.DataFrame, lines: list[int]
) -> str:
    index = case["index"]
    line = f"line {lines[int(index)]}" if pd.notna(index) else "file"
    column = case["column"]
    check = str(case["check"])
    if check == "not_nullable":
        return (
            f"{line}, column '{column}': value is blank; expected {dataset.fields[column].expected}"
        )
    if check == "multiple_fields_uniqueness":
        key = ", ".join(f"{c}={frame.loc[index, c]}" for c in dataset.unique)
        return (
            f"{line}: duplicate row for ({key}); expected one row per ({', '.join(dataset.unique)})"
        )
    if case["schema_context"] == "DataFrameSchema":
        return f"{line}: expected {check}"
    if column in dataset.fields:
        return f"{line}, column '{column}': value {case['failure_case']!r} is not valid; expected {check}"
    return f"{line}: {check}"


def _plain(value: object) -> object:
    """A numpy scalar as the Python number it holds, so that messages show 500.0, not np.float64."""
    return value.item() if isinstance(value, np.generic) else value


def _rule_problems(frame: pd.DataFrame, dataset: Dataset, lines: list[int]) -> list[str]:
    """Rules across columns and exact duplicate rows, each named by line, column and value."""
    problems = []
    for rule in dataset.rules:
        values = frame[rule.column]
        ok = rule.ok(frame).fillna(True).astype(bool) | values.isna()
        for position in np.flatnonzero(~ok.to_numpy()):
            problems.append(
                f"line {lines[position]}, column '{rule.column}': value {_plain(values.iloc[position])!r} "
                f"is not valid; expected {rule.expected}"
            )
    if dataset.distinct_rows:
        repeated = frame.duplicated(keep="first").to_numpy()
        if repeated.any():  # the first line of each group of equal rows, by group number
            group = frame.groupby(list(frame.columns), dropna=False, sort=False).ngroup().to_numpy()
            first = pd.Series(range(len(frame))).groupby(group).min()
            for position in np.flatnonzero(repeated):
                problems.append(
                    f"line {lines[position]}: same as line {lines[first[group[position]]]} in every "
                    "column; expected each row once"
                )
    return problems


def _validate(frame: pd.DataFrame, dataset: Dataset, lines: list[int], path: Path) -> None:
    import pandera.pandas as pa  # here: a run whose files passed before never imports it

    problems = _rule_problems(frame, dataset, lines)
    try:
        dataset.schema().validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        # Checks across columns are listed once per column by pandera; keep one message per row.
        row_level = cases["schema_context"].astype(str) == "DataFrameSchema"
        cases = pd.concat([cases[~row_level], cases[row_level].drop_duplicates(["check", "index"])])
        problems += [_describe_failure(case, dataset, frame, lines) for _, case in cases.iterrows()]
    if problems:
        raise DataError(path, sorted(set(problems), key=_line_order))


def _line_order(problem: str) -> tuple[int, str]:
    head = problem.split(",")[0].split(":")[0]
    return (
        int(head.split()[1]) if head.startswith("line ") and head.split()[1].isdigit() else 0,
        problem,
    )


# The schema checks passed by a file's bytes, recorded in the cache (lib.cache) for other
# processes: a re-run, each kernel and Dask worker. Keyed by the bytes, the month (checks read
# the clock), the dataset's description and this module's code with the schemas it imports.
VALIDATION = "lib.data.reading.validation"


def _described(dataset: Dataset) -> dict:
    """What a dataset checks, as text: its columns' types and checks, its uniqueness and rules
    (a registry rule names the registry's keys). Their code is in the cache key's code digest."""

    def checks(found) -> list:
        return [
            (c.builtin or c.function.__name__, c.error, repr(c.arguments), repr(c.options))
            for c in found
        ]

    return {
        "file": dataset.filename,
        "fields": [
            (name, f.kind, f.expected, f.nullable, checks(f.checks))
            for name, f in dataset.fields.items()
        ],
        "unique": list(dataset.unique),
        "row_checks": checks(dataset.row_checks),
        "rules": [(rule.column, rule.expected) for rule in dataset.rules],
        "distinct_rows": dataset.distinct_rows,
    }


_VALID: dict[tuple, pd.DataFrame] = {}  # validated frames by path and `checked` digest
_VALID_KEPT = 16  # every data file, twice over


def forget_validated() -> None:
    """Drop the validated frames kept in this process: the next read parses and checks again."""
    _VALID.clear()


def read_dataset(dataset: Dataset, data_dir: Path | None = None) -> pd.DataFrame:
    """Read and validate one file; raise DataError listing every problem found.

    A file whose bytes were validated before in this process is not parsed again (`check` and
    the run's plan load the same files several times); bytes that passed the same checks in any
    process using this cache (a re-run, a kernel, a Dask worker) are parsed, not checked again."""
    path = _path(dataset, data_dir)
    raw = read_bytes(path)
    checked = _checks(dataset, raw)
    key = (str(path), cache.digest(checked))
    if key not in _VALID:
        text_frame, lines = _read_rows(path, dataset, raw)
        frame, problems = _parse_types(text_frame, dataset, lines)
        if problems:
            raise DataError(path, problems)
        if cache.recorded(VALIDATION, checked, Path(__file__)) is None:
            _validate(frame, dataset, lines, path)
            cache.record(VALIDATION, checked, Path(__file__), len(frame))
        frame.attrs["source_file"] = str(path)
        while len(_VALID) >= _VALID_KEPT:
            del _VALID[next(iter(_VALID))]  # the oldest
        _VALID[key] = frame
    return _VALID[key].copy(deep=False)  # copy-on-write: the caller's changes stay its own


def checked_rows(dataset: Dataset, data_dir: Path | None = None) -> int:
    """The rows of a valid data file (DataError listing its problems otherwise), without reading
    it when its bytes passed the same checks before (`read_dataset`)."""
    rows = cache.recorded(
        VALIDATION, _checks(dataset, read_bytes(_path(dataset, data_dir))), Path(__file__)
    )
    return rows if rows is not None else len(read_dataset(dataset, data_dir))


def _checks(dataset: Dataset, raw: bytes) -> dict:
    """What the checks of a file's bytes depend on besides the code: the bytes, the month (the
    checks read the clock) and what the dataset checks."""
    return {
        "dataset": _described(dataset),
        "content": hashlib.sha256(raw).hexdigest(),
        "month": current_month(),
    }


# ---------------------------------------------------------------------------------------------
# Typed loaders


def read_file(
    path: Path | str, dataset: Dataset, raw: bytes | None = None, allow_empty: bool = False
) -> tuple[pd.DataFrame, list[int]]:
    """Read and validate a CSV at any path (or its bytes `raw`, read before) with `dataset`'s
    schema (new rows before `lib data add` merges them); return the typed rows and the line where
    each starts. `allow_empty` accepts a header without rows (a data file `data add` fills)."""
    path = Path(path)
    text_frame, lines = _read_rows(path, dataset, raw, allow_empty)
    frame, problems = _parse_types(text_frame, dataset, lines)
    if problems:
        raise DataError(path, problems)
    _validate(frame, dataset, lines, path)
    return frame, lines
