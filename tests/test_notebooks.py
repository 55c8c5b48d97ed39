"""Every notebook of the collection keeps the contract, and runs the way an analyst runs it."""

from __future__ import annotations

import ast

import nbformat
import pytest
from nbclient import NotebookClient

from lib import contract, paths, results, scenarios

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
IDS = [path.stem for path in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_stored_clean_with_kernel_and_parameters(path):
    notebook = nbformat.read(str(path), as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert not any(cell.outputs for cell in code), (
        "stored with outputs: clear them before committing"
    )
    assert not any(cell.execution_count for cell in code), "stored with execution counts"
    first, second = notebook.cells[0], notebook.cells[1]
    assert first.cell_type == "markdown" and first.source.startswith("# "), (
        "first cell: a markdown title"
    )
    assert len(first.source.split("\n\n")) >= 2, (
        "first cell: title and one paragraph with the question"
    )
    assert "parameters" in second.metadata.get("tags", []), (
        "second cell: the tagged parameters cell"
    )
    statements = [s for s in ast.parse(second.source).body]
    assert all(isinstance(s, ast.AnnAssign) for s in statements), (
        "parameters: `name: type = literal`"
    )
    assert all(s.lineno == s.end_lineno for s in statements), "parameters: one per line"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_parameters_are_typed_explained_and_defaults_in_range(path):
    spec = scenarios.inspect(path)
    assert spec.parameters, "no parameters"
    package = contract.package(spec.name)  # an analysis: its Params also allow the sourced -1
    for parameter in spec.parameters.values():
        assert parameter.type_name != "None", f"{parameter.name}: annotate its type"
        assert parameter.help, f"{parameter.name}: explain it in a trailing comment"
        problem = (
            package.Params.problem(parameter.name, parameter.default)
            if package
            else scenarios.check_value(parameter, parameter.default)
        )
        assert problem is None, parameter.name
    assert not set(spec.needs) - set(IDS), "evr.needs names a notebook that does not exist"


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_runs_top_to_bottom_like_an_analyst(path, monkeypatch):
    """No injected parameters, working directory notebooks/, default values: as in JupyterLab."""
    monkeypatch.delenv(paths.RUN_DIR_ENV, raising=False)
    notebook = nbformat.read(str(path), as_version=4)
    NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(paths.NOTEBOOKS_DIR)}},
    ).execute()
    errors = [
        o
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors
    assert results.from_notebook(notebook), "records no headline result"
