"""Reuse is keyed on the lib modules a notebook actually imports: editing one analysis package
re-runs the notebooks that import it, and no others."""

from __future__ import annotations

from pathlib import Path

import nbformat

from lib import paths
from lib.pipeline import reuse

LIB = paths.PROJECT_ROOT / "lib"


def packages(notebook: str) -> set[str]:
    files = reuse.lib_files(paths.NOTEBOOKS_DIR / f"{notebook}.ipynb")
    return {f.relative_to(LIB).parts[0] for f in files if f.is_relative_to(LIB)}


def test_each_analysis_notebook_depends_on_its_own_package_only():
    analyses = {"sales", "premium", "margins", "payback"}
    for notebook, package in [
        ("01_sales_trajectory", "sales"),
        ("02_brand_premium", "premium"),
        ("03_price_war_margins", "margins"),
        ("04_globalization_payback", "payback"),
    ]:
        found = packages(notebook)
        assert package in found and not (analyses - {package}) & found, (notebook, found)
        assert {"render.py", "templates", "results.py"} <= found  # every report is rendered
    # the summary reads the analyses' result names, never their models: editing a model
    # re-runs the summary only through the results it reads
    summary = reuse.lib_files(paths.NOTEBOOKS_DIR / "05_summary.ipynb")
    from_analyses = {
        f.relative_to(LIB).as_posix()
        for f in summary
        if f.is_relative_to(LIB) and f.relative_to(LIB).parts[0] in analyses
    }
    assert "summary" in packages("05_summary")
    assert from_analyses == {f"{p}/{m}" for p in analyses for m in ("__init__.py", "names.py")}


def fake_lib(root: Path) -> Path:
    lib = root / "lib"
    (lib / "pkg").mkdir(parents=True)
    (lib / "templates").mkdir()
    files = {
        "__init__.py": "",
        "paths.py": "",
        "results.py": "",
        "render.py": "",
        "tables.py": "",
        "templates/page.j2": "<p>",
        "pkg/__init__.py": "from lib.pkg.model import fit\n",
        "pkg/model.py": "from . import helpers\nimport numpy\n",
        "pkg/helpers.py": "X = 1\n",
        "other.py": "Y = 2\n",
    }
    for name, text in files.items():
        (lib / name).write_text(text)
    return lib


def notebook(root: Path, code: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%matplotlib inline\n" + code)]
    path = root / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_imports_are_followed_through_packages_and_relative_imports(tmp_path):
    lib = fake_lib(tmp_path)
    path = notebook(tmp_path, "from lib import pkg\n")
    names = {str(p.relative_to(lib)) for p in reuse.lib_files(path, lib)}
    assert {"pkg/__init__.py", "pkg/model.py", "pkg/helpers.py"} <= names
    assert "other.py" not in names and "templates/page.j2" in names


def test_editing_an_unimported_module_keeps_the_hash_editing_an_imported_one_changes_it(tmp_path):
    lib = fake_lib(tmp_path)
    path = notebook(tmp_path, "from lib.pkg import fit\n")
    before = reuse.library_hash(path, lib)
    (lib / "other.py").write_text("Y = 3\n")
    assert reuse.library_hash(path, lib) == before
    (lib / "pkg" / "helpers.py").write_text("X = 2\n")
    assert reuse.library_hash(path, lib) != before


def test_the_sales_notebook_also_depends_on_the_committed_peer_scores():
    assert paths.PEER_SCORES.is_file()  # committed: notebook 01 reads it, `make peers` rewrites it
    assert paths.PEER_SCORES in reuse.lib_files(paths.NOTEBOOKS_DIR / "01_sales_trajectory.ipynb")
    assert paths.PEER_SCORES not in reuse.lib_files(paths.NOTEBOOKS_DIR / "02_brand_premium.ipynb")
