"""Reusing a notebook from the last good run when nothing it depends on has changed."""

from __future__ import annotations

import io
import json
import logging
import os
import zipfile
from pathlib import Path

import nbformat

from lib import cache, paths, results, runs
from lib.pipeline.model import Job, Plan, sha256

log = logging.getLogger("lib.pipeline")


# What every report depends on whatever its notebook imports: the package itself, paths, how
# results are recorded and read, and how the report is rendered.
RENDERING = ("__init__.py", "paths.py", "results.py", "render.py", "tables.py", "templates")
# Files outside lib/ and data/ that a package reads (a change re-runs its notebooks).
PACKAGE_INPUTS = {"sales": (str(paths.PEER_SCORES.relative_to(paths.PROJECT_ROOT)),)}


def _imports(source: str) -> set[str]:
    """The lib modules a notebook's code imports (`source`: its code cells joined), cell by
    cell: a cell that is not Python (a magic, a typo) is skipped, not fatal."""
    names: set[str] = set()
    for cell in source.split("\n\n# %%\n"):
        lines = [line for line in cell.splitlines() if not line.lstrip().startswith(("%", "!"))]
        try:
            names |= cache.imports_in("\n".join(lines), "notebook")
        except SyntaxError:
            continue
    return names


def lib_files(notebook: Path, root: Path | None = None) -> list[Path]:
    """The files of `lib` a notebook's output depends on: every module it imports, directly or
    through other lib modules (`cache.module_files`), plus the rendering (RENDERING)."""
    root = root or paths.PROJECT_ROOT / "lib"
    cells = json.loads(notebook.read_bytes())["cells"]  # only the code: no schema check
    source = "\n\n# %%\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    seen = cache.module_files(_imports(source), root)
    for entry in RENDERING:
        target = root / entry
        seen.update(p for p in ([target] if target.is_file() else target.rglob("*")) if p.is_file())
    for package, files in PACKAGE_INPUTS.items():
        if any(p.is_relative_to(root / package) for p in seen):
            seen.update(f for f in (root.parent / name for name in files) if f.is_file())
    return sorted(p for p in seen if "__pycache__" not in p.parts)


def library_hash(notebook: Path, root: Path | None = None) -> str:
    """Hash of the lib files a notebook depends on (lib_files) and of the pinned packages: editing
    the sales package re-runs the notebooks that import it, not the others."""
    requirements = paths.PROJECT_ROOT / "requirements.txt"
    files = lib_files(notebook, root)
    return sha256(
        *(f"{f.name}\0".encode() + f.read_bytes() for f in files),
        requirements.read_bytes() if requirements.exists() else b"",
    )


def input_hash(job: Job, plan_: Plan, lib_hash: str, done: dict[str, Job]) -> str:
    """Hash of everything a notebook's output depends on: source, parameters, data, library,
    and the results of the notebooks it needs."""
    needed = {name: done[name].results for name in job.spec.needs if name in done}
    return sha256(
        job.spec.path.read_bytes(),
        json.dumps(job.values, sort_keys=True, default=str).encode(),
        json.dumps(plan_.data_hashes, sort_keys=True).encode(),
        lib_hash.encode(),
        json.dumps(needed, sort_keys=True, default=str).encode(),
    )


def previous_run(reports_dir: Path) -> tuple[Path, dict] | None:
    """The run `latest` points at, and its manifest; None (with a warning) when `latest` does not
    point at a run folder of `reports_dir` or its manifest is damaged."""
    latest = reports_dir / "latest"
    if not latest.exists():
        return None
    run_dir = latest.resolve()
    if run_dir.parent != reports_dir.resolve():
        log.warning(
            "not reusing any notebook of the last run: %s points outside %s", latest, reports_dir
        )
        return None
    try:
        return run_dir, runs.read_manifest(latest / "manifest.json")
    except runs.DamagedFile as error:
        log.warning("not reusing any notebook of the last run: %s", error)
        return None


def _sound_files(run_dir: Path, name: str) -> tuple[dict[str, bytes], list[dict]]:
    """The files of notebook `name` in `run_dir` (executed notebook, report, and its workbook when
    sound) and the results the notebook recorded, all read once and checked: DamagedFile naming
    the file when the notebook or its report is not what the runner wrote."""
    files = {
        f"{name}{suffix}": runs.read_bytes(run_dir / f"{name}{suffix}")
        for suffix in (".ipynb", ".html")
    }
    if not files[f"{name}.html"].rstrip().endswith(b"</html>"):
        raise runs.DamagedFile(f"{run_dir / name}.html: cut short (no closing </html>)")
    try:
        # the runner wrote it: read without nbformat's schema check, slow on a large notebook
        notebook = nbformat.reader.reads(files[f"{name}.ipynb"].decode("utf-8"))
        recorded = results.from_notebook(notebook)
    except Exception as error:  # damaged JSON fails nbformat in many ways (NotJSONError, ...)
        raise runs.DamagedFile(
            f"{run_dir / name}.ipynb: not a readable executed notebook ({type(error).__name__}: {str(error)[:200]})"
        ) from None
    workbook = run_dir / f"{name}.xlsx"
    if os.path.lexists(workbook):  # an earlier run may have written none
        try:
            content = runs.read_bytes(workbook)
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if archive.testzip() is not None:
                    raise zipfile.BadZipFile("a member fails its checksum")
            files[workbook.name] = content
        except (runs.DamagedFile, zipfile.BadZipFile, EOFError) as error:
            log.warning("%s: not a sound workbook (%s); writing it anew", workbook, error)
    return files, recorded


def try_reuse(job: Job, previous: tuple[Path, dict] | None, build_dir: Path) -> bool:
    """Copy a notebook's outputs from the previous good run when its inputs are unchanged and its
    files are sound; a damaged one is executed again, with a warning naming the file."""
    if previous is None:
        return False
    run_dir, manifest = previous
    entry = next((n for n in manifest.get("notebooks", []) if n["name"] == job.name), None)
    if (
        not entry
        or entry.get("status") not in ("ok", "reused", "no_data")
        or entry.get("input_hash") != job.input_hash
    ):
        return False
    try:
        files, recorded = _sound_files(run_dir, job.name)
    except runs.DamagedFile as error:
        log.warning("%s is executed again: %s", job.name, error)
        return False
    for filename, content in files.items():
        (build_dir / filename).write_bytes(content)
    job.status = "no_data" if entry.get("status") == "no_data" else "reused"
    job.note = entry.get("note")
    job.reused_from = entry.get("reused_from") or manifest["run_id"]
    job.results = recorded
    return True
