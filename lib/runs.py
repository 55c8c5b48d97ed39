"""Earlier runs in a reports folder, read defensively: one damaged file never breaks a later run.

Every reader of earlier runs (the runner's reuse and run list, the summary's comparisons, the
history table, `lib pdf`) goes through here. A file the runner reads back is opened without
following a symlink or blocking on a FIFO, and every field it holds is checked for its type; a
`manifest.json` or `results.json` that fails is skipped with one warning naming the file.
`history.csv` is only appended to when its header is the expected one, otherwise it is moved aside
and a new one started; rows that are not history rows are skipped when it is read.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import datetime as dt
import errno
import hashlib
import io
import json
import logging
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from lib import cache, results
from lib.results import NONE, NUMBER, TEXT

log = logging.getLogger("lib.runs")

HISTORY_NAME = "history.csv"
HISTORY_FIELDS = [
    "run_id",
    "scenario",
    "data_as_of",
    "finished",
    "notebook",
    "result",
    "value",
    "low",
    "high",
    "unit",
]
PARTIAL_SUFFIX = ".partial"
MAX_BYTES = 256 * 2**20  # no file the runner writes comes near this; a bigger one is not its own

MANIFEST_FIELDS = {
    "run_id": TEXT,
    "status": TEXT,
    "kind": TEXT,
    "scenario": TEXT,
    "data_as_of": TEXT + NONE,
    "started": TEXT + NONE,
    "finished": TEXT + NONE,
    "duration_s": NUMBER + NONE,
    "git_commit": TEXT,
    "data_hashes": (dict,),
    "notebooks": (list,),
    "makers": (dict,),
}
NOTEBOOK_FIELDS = {
    "name": TEXT,
    "title": TEXT,
    "status": TEXT,
    "duration_s": NUMBER + NONE,
    "parameters": (dict,),
    "overrides": (dict,),
    "input_hash": TEXT,
    "reused_from": TEXT + NONE,
    "error": (dict,) + NONE,
    "note": TEXT + NONE,
    "html": TEXT + NONE,
    "ipynb": TEXT + NONE,
}


class DamagedFile(ValueError):
    """A run file that is not what the runner wrote; the message names it and says why."""


def read_bytes(path: Path, limit: int = MAX_BYTES) -> bytes:
    """A file's bytes, read only if it is a regular file (not a symlink, FIFO or device) of at
    most `limit` bytes; DamagedFile otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise DamagedFile(f"{path}: is a symbolic link, not a file the runner wrote") from None
        raise DamagedFile(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # checked on the open file: no race with a swap
            raise DamagedFile(f"{path}: not a regular file")
        if info.st_size > limit:
            raise DamagedFile(f"{path}: {info.st_size:,} bytes, more than the {limit:,} expected")
        with open(fd, "rb", closefd=False) as handle:
            return handle.read(limit + 1)
    except OSError as error:
        raise DamagedFile(f"{path}: cannot be read ({error.strerror or error})") from None
    finally:
        os.close(fd)


def _read_object(path: Path, raw: bytes | None = None) -> dict:
    raw = read_bytes(path) if raw is None else raw
    try:
        content = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise DamagedFile(f"{path}: not valid JSON ({str(error)[:200]})") from None
    if not isinstance(content, dict):
        raise DamagedFile(f"{path}: expected a JSON object, found {type(content).__name__}")
    return content


def read_manifest(path: Path) -> dict:
    """A run's manifest.json, every field readers use checked for its type; DamagedFile otherwise."""
    manifest = _read_object(path)
    manifest.setdefault("notebooks", [])
    problem = results.wrong_fields(manifest, MANIFEST_FIELDS, ("run_id", "status"))
    for entry in manifest["notebooks"] if problem is None else ():
        problem = problem or results.wrong_fields(entry, NOTEBOOK_FIELDS, ("name",), "a notebook")
    if problem:
        raise DamagedFile(f"{path}: {problem}")
    return manifest


RESULTS_CHECK = "lib.runs.results_check"


def read_results(path: Path) -> dict:
    """A run's results.json, every field checked (`results.content_problem`); DamagedFile
    otherwise. Bytes that passed the check before, in any process using the cache (lib.cache),
    are not checked again: a published run's files never change, and every run reads them."""
    raw = read_bytes(path)
    content = _read_object(path, raw)
    checked = {"content": hashlib.sha256(raw).hexdigest()}
    if cache.recorded(RESULTS_CHECK, checked, Path(__file__)) is None:
        if problem := results.content_problem(content):
            raise DamagedFile(f"{path}: {problem}")
        cache.record(RESULTS_CHECK, checked, Path(__file__), True)
    return content


@dataclass(frozen=True)
class EarlierRun:
    """One run folder whose manifest is readable; `results` is None when results.json is not."""

    folder: Path
    manifest: dict
    results: dict | None

    @property
    def run_id(self) -> str:
        return self.manifest["run_id"]

    @property
    def ok(self) -> bool:
        """Finished, with readable results, and a run of one maker (not a universe page)."""
        return (
            self.manifest["status"] == "ok"
            and self.results is not None
            and self.manifest.get("kind", "run") == "run"
        )


def scan(reports_dir: Path) -> list[EarlierRun]:
    """Every published run folder in `reports_dir`, oldest first; damaged ones skipped, warned.

    A run is read from its files once per process while they stay the same (`_SCANNED`): a run
    scans the earlier ones four times. The runs returned are shared: read them, never change them."""
    found = []
    try:
        folders = sorted(p for p in Path(reports_dir).iterdir() if p.is_dir())
    except OSError:
        return []
    for folder in folders:
        if folder.is_symlink() or folder.name.endswith(PARTIAL_SUFFIX):
            continue
        signature = _signature(folder)
        if signature[0] is None:  # no manifest: not a run folder
            continue
        kept = _SCANNED.get(folder)
        if kept is None or kept[0] != signature:
            kept = _SCANNED[folder] = (signature, _read_run(folder))
        _SCANNED.move_to_end(folder)
        while len(_SCANNED) > _SCANNED_KEPT:
            _SCANNED.popitem(last=False)
        if kept[1] is not None:
            found.append(kept[1])
    return sorted(found, key=lambda run: run.run_id)


# Runs read, by folder, with the identity of the files they were read from (see `scan`).
_SCANNED: collections.OrderedDict[Path, tuple[tuple, EarlierRun | None]] = collections.OrderedDict()
_SCANNED_KEPT = 32  # a results.json is about 0.5 MB: memory stays bounded as runs accumulate


def _signature(folder: Path) -> tuple:
    """Which files a run folder holds: device, inode, size and times of its manifest and
    results (None when absent). A rewritten file is a new signature."""

    def identity(path: Path) -> tuple | None:
        try:
            info = path.lstat()
        except OSError:
            return None
        return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)

    return identity(folder / "manifest.json"), identity(folder / "results.json")


def _read_run(folder: Path) -> EarlierRun | None:
    """The run in `folder`; None (warned) when its manifest is damaged."""
    try:
        manifest = read_manifest(folder / "manifest.json")
    except DamagedFile as error:
        log.warning("skipping run folder %s: %s", folder.name, error)
        return None
    content = None
    if (folder / "results.json").exists():
        try:
            content = read_results(folder / "results.json")
        except DamagedFile as error:
            log.warning("ignoring the results of run %s: %s", folder.name, error)
    return EarlierRun(folder, manifest, content)


def finished(reports_dir: Path) -> list[EarlierRun]:
    """Runs in which every notebook finished, with readable results, oldest first."""
    return [run for run in scan(reports_dir) if run.ok]


def stale_partials(reports_dir: Path) -> list[Path]:
    """Build folders left by runs that were killed before they could publish."""
    try:
        return sorted(p for p in Path(reports_dir).glob(f"*{PARTIAL_SUFFIX}") if p.is_dir())
    except OSError:
        return []


# ---------------------------------------------------------------------------------------------
# history.csv


def _history_text(path: Path) -> str | None:
    """history.csv's text when it is a regular UTF-8 file whose header is the history's columns."""
    try:
        text = read_bytes(path).decode("utf-8")
        header = next(csv.reader(io.StringIO(text, newline="")), None)
    except (DamagedFile, UnicodeDecodeError, csv.Error):
        return None
    return text if header == HISTORY_FIELDS else None


def history_is_valid(path: Path) -> bool:
    """True when `path` is a regular file, a CSV whose header is exactly the history's columns."""
    return _history_text(path) is not None


def set_aside(path: Path) -> Path:
    """Rename a damaged file to `<name>.damaged-<UTC time>` next to it; return the new path."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    os.replace(path, target)
    return target


@contextlib.contextmanager
def history_appended(reports_dir: Path, rows: list[dict]):
    """Append `rows` to history.csv, then run the block; if either fails (a full disk), the file
    is cut back to what it was, so that history lists only runs that were published. A file that
    is not the expected table (or not a regular file) is set aside first, and a symlink is never
    followed."""
    if not rows:
        yield
        return
    path = Path(reports_dir) / HISTORY_NAME
    if os.path.lexists(path) and not history_is_valid(path):
        kept = set_aside(path)
        log.warning(
            "%s is not the expected history table (header %s); kept it as %s and started a new one",
            path,
            ", ".join(HISTORY_FIELDS),
            kept.name,
        )
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    fd = os.open(path, flags, 0o644)
    try:
        size = os.fstat(fd).st_size
        text = io.StringIO()
        if size and os.pread(fd, 1, size - 1) != b"\n":
            text.write("\n")  # an earlier row cut short (a crash) stays a row of its own
        writer = csv.DictWriter(text, fieldnames=HISTORY_FIELDS)
        if not size:
            writer.writeheader()
        writer.writerows(rows)
        try:
            _write_all(fd, text.getvalue().encode("utf-8"))
            yield
        except BaseException:
            _undo_append(path, fd, size)
            raise
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data) :]


def _undo_append(path: Path, fd: int, size: int) -> None:
    try:
        os.ftruncate(fd, size)
        if not size:
            path.unlink()  # it was created for these rows; an empty file would look damaged
    except OSError as error:
        log.warning("%s: could not take back the rows of an unpublished run (%s)", path, error)


def read_history(reports_dir: Path) -> list[dict]:
    """The rows of history.csv, or none (with a warning) when it is not the expected table;
    rows that are not history rows (a field missing, an interval that is not a number) are
    skipped with one warning."""
    path = Path(reports_dir) / HISTORY_NAME
    if not os.path.lexists(path):
        return []
    text = _history_text(path)
    try:
        rows = list(csv.DictReader(io.StringIO(text or "", newline="")))
    except csv.Error:  # e.g. a field over csv's size limit
        text = None
    if text is None:
        log.warning("%s is not the expected history table; ignoring it", path)
        return []
    good = [row for row in rows if _history_row(row)]
    if len(good) < len(rows):
        log.warning("%s: skipped %d row(s) that are not history rows", path, len(rows) - len(good))
    return good


def _history_row(row: dict) -> bool:
    """A complete row with a run id, and an interval that is empty or finite numbers."""
    if None in row or None in row.values() or not row["run_id"]:
        return False
    for key in ("low", "high"):
        try:
            if row[key] and not math.isfinite(float(row[key])):
                return False
        except ValueError:
            return False
    return True
