"""`python -m lib data add FILE.csv [--apply]`: merge new rows into a data file, losing nothing.

FILE holds rows with the header of one data file (or says which with `--into`). Its rows are
validated alone, so errors name FILE's lines, then compared with the data file by that file's
identity key (`RULES`):

- a row equal in every column to one already there is skipped;
- a row with the same key and any other difference is a revision: refused with both rows shown,
  unless `--replace --note WHY`, which writes it in place of the old row, the reason in its note;
- any other row is new and goes where the file's order puts it.

New rows must name a maker of the registry (data/makers.csv) and hold no text that a spreadsheet
would run as a formula. The merged file is validated as a whole, and only with `--apply` written:
to a temporary file in the same folder, then renamed over the old one, so a crash leaves the old
file or the new one, never half of one; a temporary file left by a killed run is removed by the
next. New rows take the file's line endings; rows that are not replaced keep their exact bytes.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import os
import re
import signal
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lib import data, errors, makers, paths

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
BOM = "\ufeff"
# A text cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The temporary file of `apply`, named after the data file and the writing process: a later run
# removes those whose process is gone (a killed run cannot clean up after itself).
TEMPORARY = re.compile(r"^\..+\.data-add-(?P<pid>\d+)\.tmp$")


@dataclass(frozen=True)
class Rules:
    """How rows of one data file are matched, ordered, shown and summed up."""

    identity: tuple[str, ...]  # the same fact: equal rows are skipped, different ones are revisions
    order: tuple[str, ...]  # the file is sorted by these columns, or grouped if not sorted
    show: tuple[str, ...]  # the columns that describe a row in the listing, after its identity
    group: str | None  # the summary counts rows per value of this column
    # The column naming a maker, and the registry field it must match ("key" or "company").
    maker: tuple[str, str] | None = None


RULES = {
    data.DELIVERIES.filename: Rules(
        ("brand", "month"), ("brand", "month"), ("deliveries", "quality"), "brand", ("brand", "key")
    ),
    # Sources differ on some figures and both are kept side by side (the loader flags them), so a
    # revision is the same source restating a figure; another source's figure is a new row.
    data.FINANCIALS.filename: Rules(
        ("company", "period", "metric", "source_url"),
        ("company",),
        ("value", "unit"),
        "company",
        ("company", "company"),
    ),
    # One trim name covers several configurations, each described on its own source page.
    data.TRIMS.filename: Rules(
        ("brand", "series", "trim_name", "model_year", "source_url"),
        ("brand", "series", "model_year"),
        ("msrp_rmb", "price_as_of"),
        "brand",
    ),
    data.ASSUMPTIONS.filename: Rules(("name",), (), ("value", "unit", "as_of"), "name"),
    data.HOLIDAYS.filename: Rules(("year",), ("year",), ("date",), None),
    data.MAKERS.filename: Rules(("key",), ("key",), ("display_name", "company"), "key"),
    data.PRICE_WAR_EVENTS.filename: Rules(
        ("date", "event"), ("date",), ("kind", "max_cut_pct"), "maker", ("maker", "key")
    ),
    data.TARGETS.filename: Rules(
        ("maker", "year", "scope", "kind", "stated_on"),
        ("maker", "year"),
        ("target_units", "target_low_units", "target_high_units", "quality"),
        "maker",
        ("maker", "key"),
    ),
    # A fact's first row is the one models use, so new rows go after their venture's rows (the
    # file is grouped, not sorted). Identity is the schema's key: each report of a fact, and each
    # end of a range, is its own row.
    data.VENTURES.filename: Rules(
        ("maker", "venture", "fact", "car", "period", "value", "source_url"),
        ("maker", "venture"),
        ("value", "unit", "quality"),
        "maker",
        ("maker", "key"),
    ),
}


@dataclass
class Row:
    """One record: its text cells (stripped), typed values, first line and, in the data file,
    its exact text (with its line ending and any blank lines after it)."""

    cells: dict[str, str]
    values: dict[str, object]
    line: int
    raw: str = ""

    def key(self, columns: tuple[str, ...]) -> tuple:
        return tuple(self.values[c] for c in columns)

    def differs(self, other: Row) -> list[str]:
        return [c for c in self.values if self.values[c] != other.values[c]]


@dataclass
class Table:
    """A CSV file split into its header text and rows, as read and validated."""

    path: Path
    original: bytes
    head: str  # BOM and header line, exactly as in the file
    rows: list[Row]
    newline: str


@dataclass
class Plan:
    """What adding `source` to `target` does; `content` is the merged file (None if refused)."""

    dataset: data.Dataset
    source: Path
    target: Path
    original: bytes
    added: list[Row] = field(default_factory=list)
    identical: list[tuple[Row, Row]] = field(default_factory=list)  # (old, new)
    revisions: list[tuple[Row, Row]] = field(default_factory=list)  # (old, new)
    content: bytes | None = None
    before: list[Row] = field(default_factory=list)
    after: list[Row] = field(default_factory=list)

    @property
    def rules(self) -> Rules:
        return RULES[self.dataset.filename]

    @property
    def refused(self) -> bool:
        return self.content is None

    @property
    def changes(self) -> int:
        return len(self.added) + (0 if self.refused else len(self.revisions))


# ---------------------------------------------------------------------------------------------
# Reading


def dataset_for(path: Path, raw: bytes, into: str | None = None) -> data.Dataset:
    """The data file FILE's rows (its bytes `raw`) belong to: `--into`, or the one whose columns
    its header has."""
    by_name = {d.filename: d for d in data.DATASETS}
    if into:
        if Path(into).name in by_name:
            return by_name[Path(into).name]
        raise data.DataError(
            path, [f"--into {into}: not a data file; expected one of {', '.join(by_name)}"]
        )
    try:
        first = raw[: raw.find(b"\n") + 1 or len(raw)].decode("utf-8-sig")  # a header is one line
        header = next(csv.reader(io.StringIO(first, newline=""), strict=True), [])
    except UnicodeDecodeError as error:
        raise data.DataError(
            path, [f"not a CSV text file (undecodable byte at position {error.start})"]
        ) from None
    except csv.Error as error:
        raise data.DataError(path, [f"line 1 (header): not valid CSV ({error})"]) from None
    names = {name.strip() for name in header}
    matches = [d for d in data.DATASETS if set(d.fields) == names]
    if len(matches) == 1:
        return matches[0]
    columns = ",".join(name.strip() for name in header) or "(none)"
    expected = "".join(f"\n      {d.filename}: {','.join(d.fields)}" for d in data.DATASETS)
    raise data.DataError(
        path,
        [
            f"line 1 (header): columns {columns} are not the header of a data file "
            f"(or use --into NAME); expected the header of one of:{expected}"
        ],
    )


def read_table(
    path: Path, dataset: data.Dataset, raw: bytes | None = None, allow_empty: bool = False
) -> Table:
    """Validate `path` (or its bytes `raw`, read before) with the dataset's schema and split it
    into rows that keep their text; `allow_empty` accepts a header without rows."""
    raw = data.read_bytes(path) if raw is None else raw
    frame, lines = data.read_file(path, dataset, raw, allow_empty)
    text, bom = raw.decode("utf-8-sig"), BOM if raw.startswith(BOM.encode()) else ""
    physical = list(io.StringIO(text, newline=""))  # the lines as the csv module counts them
    reader = csv.reader(physical, strict=True)
    header = [name.strip() for name in next(reader)]
    records = [r for r in reader if r]  # blank lines hold no record, as in lib.data
    columns = {name: [_plain(v) for v in frame[name].tolist()] for name in dataset.fields}
    rows = []
    for number, (record, line) in enumerate(zip(records, lines, strict=True)):
        end = lines[number + 1] - 1 if number + 1 < len(lines) else len(physical)
        cells = {name: value.strip() for name, value in zip(header, record, strict=True)}
        values = {name: column[number] for name, column in columns.items()}
        rows.append(Row(cells, values, line, "".join(physical[line - 1 : end])))
    newline = "\r\n" if physical[0].endswith("\r\n") else "\n"
    head = "".join(physical[: lines[0] - 1] if lines else physical)
    if not head.endswith(("\n", "\r")):
        head += newline  # a header alone, without its line end: rows go on the next line
    return Table(path, raw, bom + head, rows, newline)


def _plain(value: object) -> object:
    """A typed cell as a plain Python value (None when blank), so rows compare simply."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


# ---------------------------------------------------------------------------------------------
# Planning


def plan_add(
    source: Path | str,
    data_dir: Path | None = None,
    into: str | None = None,
    replace_note: str | None = None,
) -> Plan:
    """Compare FILE with its data file; raise DataError on bad input. Revisions are accepted only
    with `replace_note` (the reason); without it the plan is refused (`content` is None)."""
    source = Path(source)
    raw = data.read_bytes(source)
    dataset = dataset_for(source, raw, into)
    rules = RULES[dataset.filename]
    new = read_table(source, dataset, raw)
    _check_repeats(new, rules)
    for row in new.rows:
        row.raw = ""  # written anew, with the data file's line endings
    target = (Path(data_dir) if data_dir else paths.data_dir()) / dataset.filename
    old = read_table(target, dataset, allow_empty=True)  # a new data file: its header alone
    plan = Plan(dataset, source, target, old.original, before=old.rows)
    known = {}
    for row in old.rows:
        known.setdefault(row.key(rules.identity), row)
    for row in new.rows:
        match = known.get(row.key(rules.identity))
        if match is None:
            plan.added.append(row)
        elif match.differs(row):
            plan.revisions.append((match, row))
        else:
            plan.identical.append((match, row))
    written = plan.added + [row for _, row in plan.revisions]  # identical rows are not written
    _check_new_rows(source, written, dataset, data_dir)
    if plan.revisions and replace_note is None:  # refused: the summary shows the rest
        plan.after = _merge(plan, old.rows, None)
        return plan
    if plan.revisions and "note" not in dataset.fields:
        raise data.DataError(
            target, ["has no note column to keep the reason for a revision: edit it by hand"]
        )
    plan.after = _merge(plan, old.rows, replace_note or "")
    plan.content = _validated(plan, old, plan.after)
    return plan


def _check_repeats(table: Table, rules: Rules) -> None:
    """Two rows of FILE for the same fact (files without a uniqueness rule let this through)."""
    first, problems = {}, []
    for row in table.rows:
        key = row.key(rules.identity)
        if key in first:
            problems.append(
                f"line {row.line}: same {', '.join(rules.identity)} as line {first[key]}"
            )
        first.setdefault(key, row.line)
    if problems:
        raise data.DataError(table.path, problems)


def _check_new_rows(
    source: Path, rows: list[Row], dataset: data.Dataset, data_dir: Path | None
) -> None:
    """Rows to be written name makers of the registry, and none of their text is a formula."""
    column, attribute = RULES[dataset.filename].maker or (None, None)
    known = {getattr(m, attribute) for m in makers.registry(data_dir).values()} if column else set()
    texts = [name for name, f in dataset.fields.items() if f.kind == "str"]
    problems = []
    for row in rows:
        value = row.cells.get(column)
        if value and value not in known:
            problems.append(
                f"line {row.line}, column '{column}': value {value!r} is not a maker in "
                f"{data.MAKERS.filename}; expected one of {', '.join(sorted(known - {None}))} "
                "(add the maker to the registry first)"
            )
        problems += [
            f"line {row.line}, column '{name}': value {row.cells[name]!r} starts with "
            f"{row.cells[name][0]!r}, which a spreadsheet runs as a formula; expected text that "
            "starts otherwise (e.g. 'up 12%' for '+12%')"
            for name in texts
            if row.cells[name].startswith(FORMULA_STARTS)
        ]
    if problems:
        raise data.DataError(source, problems)


def _merge(plan: Plan, rows: list[Row], note: str | None) -> list[Row]:
    """The data file's rows with new rows where the file's order puts them and, given the
    reason (`note`), revisions in place of the rows they revise."""
    merged = list(rows)
    for old, new in plan.revisions if note is not None else ():
        merged[merged.index(old)] = _revised(old, new, note)
    order = plan.rules.order
    keys = [row.key(order) for row in merged]
    if keys == sorted(keys):  # a stable sort puts new rows after the equal old ones, in turn
        return sorted(merged + plan.added, key=lambda row: row.key(order))
    # Grouped, not sorted: after the last row of its group, or at the end with its group.
    last = {key: position for position, key in enumerate(keys)}
    after: dict[int, list[Row]] = {}
    tail: dict[tuple, list[Row]] = {}
    for row in plan.added:
        key = row.key(order)
        if key in last:
            after.setdefault(last[key], []).append(row)
        else:
            tail.setdefault(key, []).append(row)
    merged = [r for position, row in enumerate(merged) for r in (row, *after.get(position, ()))]
    return merged + [row for rows in tail.values() for row in rows]


def _revised(old: Row, new: Row, why: str) -> Row:
    """The new row, its note saying when and why it replaced the old one, and what that said."""
    changed = [c for c in old.differs(new) if c not in ("note", "source_url")]
    was = ", ".join(f"{c} {old.cells[c] or '(blank)'}" for c in changed)
    before = f"{was} ({old.cells['source_url']})" if was else f"from {old.cells['source_url']}"
    reason = f"revised {datetime.date.today().isoformat()}: {why}; previously {before}"
    cells = dict(new.cells)
    cells["note"] = "; ".join(text for text in (new.cells["note"], reason) if text)
    values = dict(new.values)
    values["note"] = cells["note"]
    return Row(cells, values, new.line)


def _render(row: Row, fields: list[str], newline: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerow([row.cells[c] for c in fields])
    return out.getvalue()


def _validated(plan: Plan, old: Table, merged: list[Row]) -> bytes:
    """The merged file's bytes, validated as the data file; errors name FILE's or the file's line."""
    chunks, origin, line = [], {}, len(list(io.StringIO(old.head, newline=""))) + 1
    for number, row in enumerate(merged):
        text = row.raw or _render(row, list(plan.dataset.fields), old.newline)
        if number < len(merged) - 1 and not text.endswith(("\n", "\r")):
            text += old.newline  # the old last row, no longer last
        where = (
            f"{plan.target.name} line {row.line}" if row.raw else f"{plan.source} line {row.line}"
        )
        origin[line] = where
        chunks.append(text)
        line += len(list(io.StringIO(text, newline="")))
    content = (old.head + "".join(chunks)).encode()
    try:
        data.read_file(plan.target, plan.dataset, content)
    except data.DataError as error:
        problems = [
            re.sub(r"^line (\d+)", lambda m: origin.get(int(m[1]), m[0]), p) for p in error.problems
        ]
        raise data.DataError(plan.target, [f"merged with {plan.source}:"] + problems) from None
    return content


# ---------------------------------------------------------------------------------------------
# Writing


def apply(plan: Plan) -> None:
    """Install the merged file atomically: a temporary file in the same folder, synced, renamed.
    The temporary file is removed on any error or signal turned into an exception (see `main`);
    one left by a killed run is removed here, by the next."""
    if plan.refused:
        raise ValueError("a refused plan cannot be applied")
    remove_stale_temporaries(plan.target.parent)
    if data.read_bytes(plan.target) != plan.original:
        raise data.DataError(plan.target, ["changed while the new rows were checked: run again"])
    mode = stat.S_IMODE(plan.target.stat().st_mode)
    staged = plan.target.parent / f".{plan.target.name}.data-add-{os.getpid()}.tmp"
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(plan.content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(staged, mode)
        os.replace(staged, plan.target)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    folder = os.open(plan.target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    finally:
        os.close(folder)


def remove_stale_temporaries(folder: Path) -> None:
    """Remove the temporary files of `apply` runs whose process is gone."""
    for path in folder.glob(".*.data-add-*.tmp"):
        match = TEMPORARY.match(path.name)
        if match and not _alive(int(match["pid"])):
            path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process writes no temporary file before looking for stale ones
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process, or not a process id we can ask about
    return True


class Stopped(BaseException):  # noqa: N818 - a signal, not an error
    """SIGTERM or SIGHUP during `data add`: unwinds like an exception, so temporary files go."""


def _stopped(signum: int) -> Stopped:
    return Stopped(signal.Signals(signum).name)


# ---------------------------------------------------------------------------------------------
# Reporting


def _key(row: Row, rules: Rules) -> str:
    return ", ".join(row.cells[c] for c in rules.identity if c != "source_url")


def describe(row: Row, rules: Rules) -> str:
    shown = ", ".join(f"{c} {row.cells[c] or '(blank)'}" for c in rules.show)
    return f"{_key(row, rules)}: {shown}"


def report(plan: Plan) -> str:
    """What the plan adds, skips and revises, and the summary per maker (or company, name)."""
    rules, name = plan.rules, plan.target.name
    lines = [f"{plan.source} -> {plan.target}"]
    if plan.added:
        lines.append(f"new rows ({len(plan.added)}):")
        lines += [f"  {plan.source.name} line {r.line}: {describe(r, rules)}" for r in plan.added]
    if plan.identical:
        lines.append(f"identical rows, skipped ({len(plan.identical)}):")
        lines += [
            f"  {plan.source.name} line {new.line} = {name} line {old.line}: {describe(new, rules)}"
            for old, new in plan.identical
        ]
    if plan.revisions:
        verdict = (
            "replaced, with the reason in the note"
            if not plan.refused
            else 'refused: pass --replace --note "why" to write the new row in place of the old'
        )
        lines.append(f"revisions of existing rows ({len(plan.revisions)}), {verdict}:")
        for old, new in plan.revisions:
            lines += _revision(old, new, plan)
    lines.append("summary:")
    lines += ["  " + text for text in _summary(plan)]
    return "\n".join(lines)


def _revision(old: Row, new: Row, plan: Plan) -> list[str]:
    fields = list(plan.dataset.fields)
    changes = ", ".join(
        f"{c} {old.cells[c] or '(blank)'} -> {new.cells[c] or '(blank)'}"
        if c not in ("note", "source_url")
        else c
        for c in old.differs(new)
    )
    return [
        f"  {_key(old, plan.rules)}: differs in {changes}",
        f"    old, {plan.target.name} line {old.line}: {old.raw.rstrip()}",
        f"    new, {plan.source.name} line {new.line}: {_render(new, fields, '').rstrip()}",
        f"    old source: {old.cells['source_url']}",
        f"    new source: {new.cells['source_url']}",
    ]


def _summary(plan: Plan) -> list[str]:
    if plan.dataset is data.DELIVERIES:
        return _delivery_summary(plan)
    group = plan.rules.group
    counts: dict[str, list[int]] = {}
    for kind, rows in enumerate(
        (plan.added, [new for _, new in plan.revisions], [new for _, new in plan.identical])
    ):
        for row in rows:
            counts.setdefault(str(row.cells[group]) if group else "all rows", [0, 0, 0])[kind] += 1
    revised = "revised" if not plan.refused else "revisions refused"
    return [
        f"{key}: {added} added, {revisions} {revised}, {same} identical (skipped)"
        for key, (added, revisions, same) in counts.items()
    ]


def _delivery_summary(plan: Plan) -> list[str]:
    """Per maker: months added, revisions, gaps closed or opened, latest month."""
    before, after = _months(plan.before), _months(plan.after)
    gaps_before, gaps_after = _gap_months(plan.before), _gap_months(plan.after)
    touched = [row.cells["brand"] for row in plan.added] + [
        new.cells["brand"] for _, new in plan.revisions + plan.identical
    ]
    lines = []
    for brand in dict.fromkeys(touched):
        added = [r.cells["month"] for r in plan.added if r.cells["brand"] == brand]
        revised = [n.cells["month"] for _, n in plan.revisions if n.cells["brand"] == brand]
        same = sum(n.cells["brand"] == brand for _, n in plan.identical)
        closed = sorted(gaps_before.get(brand, set()) - gaps_after.get(brand, set()))
        opened = sorted(gaps_after.get(brand, set()) - gaps_before.get(brand, set()))
        parts = [f"{len(added)} month(s) added" + (f" ({', '.join(added)})" if added else "")]
        if revised:
            parts.append(
                f"{'revised' if not plan.refused else 'revision refused'}: {', '.join(revised)}"
            )
        if same:
            parts.append(f"{same} identical (skipped)")
        if closed:
            parts.append(f"gaps closed: {', '.join(closed)}")
        if opened:
            parts.append(f"new gap (unknown months): {', '.join(opened)}")
        old_latest, new_latest = before.get(brand), after.get(brand)
        if plan.added and new_latest != old_latest:
            parts.append(f"new latest month {new_latest} (was {old_latest or 'none: new maker'})")
        else:
            parts.append(f"latest month {old_latest} (unchanged)")
        lines.append(f"{brand}: " + "; ".join(parts))
    return lines


def _months(rows: list[Row]) -> dict[str, str]:
    latest: dict[str, str] = {}
    for row in rows:
        brand, month = row.cells["brand"], row.cells["month"]
        latest[brand] = max(latest.get(brand, month), month)
    return latest


def _gap_months(rows: list[Row]) -> dict[str, set[str]]:
    frame = pd.DataFrame(
        {
            "brand": [r.cells["brand"] for r in rows],
            "month": pd.PeriodIndex([r.cells["month"] for r in rows], freq="M"),
            "deliveries": [r.values["deliveries"] for r in rows],
        }
    )
    months: dict[str, set[str]] = {}
    for gap in data.delivery_gaps(frame).itertuples():
        span = pd.period_range(gap.first, gap.last, freq="M")
        months.setdefault(gap.brand, set()).update(str(m) for m in span)
    return months


# ---------------------------------------------------------------------------------------------
# Command line


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register `data add` on the `python -m lib` sub-commands."""
    group = commands.add_parser("data", help="change the data files safely (see `data add -h`)")
    actions = group.add_subparsers(dest="data_command", required=True)
    add = actions.add_parser(
        "add",
        help="validate new rows, compare them with a data file and (with --apply) merge them",
        description=(__doc__ or "").split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit codes: 0 = could apply (or applied); 1 = the write failed or was stopped by "
        "a signal; 2 = bad input or a refused revision (the data file is then unchanged).",
    )
    add.add_argument("file", type=Path, metavar="FILE.csv", help="the new rows, with a header")
    add.add_argument(
        "--apply", action="store_true", help="write the data file (default: only show the plan)"
    )
    add.add_argument(
        "--into", metavar="NAME", help="the data file to add to (default: found by FILE's header)"
    )
    add.add_argument(
        "--replace",
        action="store_true",
        help="accept revisions: write the new row in place of the old one (needs --note)",
    )
    add.add_argument("--note", metavar="WHY", help="why the revisions replace the old rows")
    add.add_argument(
        "--data-dir", type=Path, help=f"data folder (default: data/, or ${paths.DATA_DIR_ENV})"
    )


def main(arguments: argparse.Namespace) -> int:
    """Run `data add`; return the exit code."""
    note = (arguments.note or "").strip()
    if arguments.replace != bool(note):
        print("bad input: --replace and --note WHY go together", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        plan = plan_add(arguments.file, arguments.data_dir, arguments.into, note or None)
    except data.DataError as error:
        print(f"bad input:\n{error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(report(plan))
    if plan.refused:
        print(
            f"refused: {len(plan.revisions)} row(s) of {plan.source} revise rows of "
            f"{plan.target}; nothing written",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    if not plan.changes:
        print("nothing to add: every row is already there; nothing written")
        return EXIT_OK
    if not arguments.apply:
        print("nothing written (use --apply)")
        return EXIT_OK
    try:
        with errors.raise_on_termination(_stopped):
            apply(plan)
    except data.DataError as error:
        print(f"bad input:\n{error}\nnothing written", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        print(f"could not write {plan.target}: {error}; it is unchanged", file=sys.stderr)
        return EXIT_FAILED
    except Stopped as stop:
        print(f"stopped by {stop}; {plan.target} is the old file or the new one", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"wrote {plan.target}: {len(plan.added)} added, {len(plan.revisions)} replaced, "
        f"{len(plan.identical)} identical skipped; next: python -m lib check"
    )
    return EXIT_OK
