"""Earlier runs in a reports folder, read defensively: one damaged file never breaks a later run.

Every reader of earlier runs (the runner's reuse and run list, the summary's comparisons, the
history table) goes through here. A `manifest.json` or `results.json` that is not the expected
JSON is skipped with one warning naming the file; `history.csv` is only appended to when its header
is the expected one, otherwise it is moved aside and a new one started.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("lib.runs")

HISTORY_NAME = "history.csv"
HISTORY_FIELDS = ["run_id", "scenario", "data_as_of", "finished", "notebook", "result", "value", "low", "high", "unit"]  # fmt: skip
PARTIAL_SUFFIX = ".partial"


class DamagedFile(ValueError):
    """A run file that is not what the runner wrote; the message names it and says why."""


def _read_object(path: Path) -> dict:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise DamagedFile(f"{path}: cannot be read ({error.strerror or error})") from None
    except ValueError as error:
        raise DamagedFile(f"{path}: not valid JSON ({error})") from None
    if not isinstance(content, dict):
        raise DamagedFile(f"{path}: expected a JSON object, found {type(content).__name__}")
    return content


def _require(path: Path, content: dict, key: str, kind: type | tuple[type, ...]) -> None:
    if not isinstance(content.get(key), kind):
        raise DamagedFile(f"{path}: '{key}' missing or not {getattr(kind, '__name__', kind)}")


def read_manifest(path: Path) -> dict:
    """A run's manifest.json, checked for the fields readers rely on; DamagedFile otherwise."""
    manifest = _read_object(path)
    for key in ("run_id", "status"):
        _require(path, manifest, key, str)
    notebooks = manifest.setdefault("notebooks", [])
    if not isinstance(notebooks, list) or not all(
        isinstance(n, dict) and isinstance(n.get("name"), str) for n in notebooks
    ):
        raise DamagedFile(f"{path}: 'notebooks' must be a list of objects with a 'name'")
    return manifest


def read_results(path: Path) -> dict:
    """A run's results.json, checked for shape: {"notebooks": {name: {"results": [{...}]}}}."""
    content = _read_object(path)
    _require(path, content, "notebooks", dict)
    for name, entry in content["notebooks"].items():
        results = entry.get("results") if isinstance(entry, dict) else None
        if not isinstance(results, list) or not all(
            isinstance(r, dict) and isinstance(r.get("name"), str) and "value" in r for r in results
        ):
            raise DamagedFile(f"{path}: notebook {name!r} has no valid 'results' list")
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
    """Every published run folder in `reports_dir`, oldest first; damaged ones skipped, warned."""
    found = []
    try:
        folders = sorted(p for p in Path(reports_dir).iterdir() if p.is_dir())
    except OSError:
        return []
    for folder in folders:
        if folder.is_symlink() or folder.name.endswith(PARTIAL_SUFFIX):
            continue
        manifest_path = folder / "manifest.json"
        if not manifest_path.exists():
            continue
        try:
            manifest = read_manifest(manifest_path)
        except DamagedFile as error:
            log.warning("skipping run folder %s: %s", folder.name, error)
            continue
        results = None
        if (folder / "results.json").exists():
            try:
                results = read_results(folder / "results.json")
            except DamagedFile as error:
                log.warning("ignoring the results of run %s: %s", folder.name, error)
        found.append(EarlierRun(folder, manifest, results))
    return sorted(found, key=lambda run: run.run_id)


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


def history_is_valid(path: Path) -> bool:
    """True when `path` is a CSV whose header is exactly the history's columns."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return header == HISTORY_FIELDS


def set_aside(path: Path) -> Path:
    """Rename a damaged file to `<name>.damaged-<UTC time>` next to it; return the new path."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    os.replace(path, target)
    return target


def append_history(reports_dir: Path, rows: list[dict]) -> None:
    """Append rows to history.csv; a file that is not the expected table is set aside first."""
    path = Path(reports_dir) / HISTORY_NAME
    if path.exists() and not history_is_valid(path):
        kept = set_aside(path)
        log.warning(
            "%s is not the expected history table (header %s); kept it as %s and started a new one",
            path, ", ".join(HISTORY_FIELDS), kept.name,
        )  # fmt: skip
    new = not path.exists()
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HISTORY_FIELDS)
        if new:
            writer.writeheader()
        writer.writerows(rows)


def read_history(reports_dir: Path) -> list[dict]:
    """The rows of history.csv, or none (with a warning) when it is not the expected table."""
    path = Path(reports_dir) / HISTORY_NAME
    if not path.exists():
        return []
    if not history_is_valid(path):
        log.warning("%s is not the expected history table; ignoring it", path)
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle)
        return [row for row in rows if None not in row and None not in row.values()]
