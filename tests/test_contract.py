"""Every analysis package speaks the contract of lib/contract.py (DESIGN.md): Params as the one
source of the notebook's parameters, load -> analyse -> Result.record(), result-name constants the
readers import, and the same module names."""

from __future__ import annotations

import ast
import dataclasses

import pytest

from lib import contract, paths
from lib.errors import BadParameter

NOTEBOOKS = sorted(contract.PACKAGES)
READERS = [paths.PROJECT_ROOT / "lib" / "league.py", paths.PROJECT_ROOT / "lib" / "workbook.py"]
READERS += sorted((paths.PROJECT_ROOT / "lib" / "summary").glob("*.py"))


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_package_follows_the_contract(notebook):
    assert contract.package_problems(contract.package(notebook)) == []


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_parameters_cell_is_the_one_params_renders(notebook):
    params = contract.package(notebook).Params
    problems = contract.cell_problems(params, paths.NOTEBOOKS_DIR / f"{notebook}.ipynb")
    assert problems == [], "expected cell:\n" + contract.parameters_cell(params)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_params_refuse_a_value_out_of_range_by_name(notebook):
    params = contract.package(notebook).Params
    ranged = [params.parameter(f.name) for f in params.fields() if f.metadata["spec"].high]
    assert ranged, f"{notebook}: no parameter with a range"
    for parameter in ranged:
        too_high = (float if "float" in parameter.type_name else int)(parameter.high + 1)
        value = [too_high] if parameter.type_name.startswith("list") else too_high
        with pytest.raises(BadParameter, match=parameter.name):
            params(**{parameter.name: value})


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_params_are_frozen(notebook):
    params = contract.package(notebook).Params()
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.maker = "another"


def test_result_names_are_unique_across_packages():
    seen: dict[str, str] = {}
    for notebook in NOTEBOOKS:
        for constant, name in contract.result_names(contract.package(notebook)).items():
            assert name.isidentifier(), f"{notebook}: {constant} = {name!r}"
            assert name not in seen, f"{name!r} is recorded by {seen.get(name)} and {notebook}"
            seen[name] = notebook


def _all_result_names() -> set[str]:
    return {
        name
        for notebook in NOTEBOOKS
        for name in contract.result_names(contract.package(notebook)).values()
    }


@pytest.mark.parametrize("reader", READERS, ids=lambda p: p.name)
def test_readers_name_results_through_the_constants(reader):
    names = _all_result_names()
    bare = sorted(
        f"line {node.lineno}: {node.value!r}"
        for node in ast.walk(ast.parse(reader.read_text()))
        if isinstance(node, ast.Constant) and node.value in names
    )
    assert not bare, f"{reader.name} spells result names instead of importing them: {bare}"


def test_the_cell_check_sees_a_changed_default(tmp_path):
    import nbformat

    params = contract.package("01_sales_trajectory").Params
    source = paths.NOTEBOOKS_DIR / "01_sales_trajectory.ipynb"
    notebook = nbformat.read(source, as_version=4)
    cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    first = params.fields()[0].name
    lines = cell.source.splitlines()
    lines[0] = f'{first}: str = "someone_else"  # changed'
    cell.source = "\n".join(lines)
    changed = tmp_path / "01_sales_trajectory.ipynb"
    nbformat.write(notebook, changed)
    problems = contract.cell_problems(params, changed)
    assert len(problems) == 1 and first in problems[0]


def test_a_scenario_is_checked_by_the_packages_params_before_any_kernel(tmp_path):
    from lib import pipeline
    from tests.conftest import FROZEN_DATA

    scenario = tmp_path / "odd.yaml"
    scenario.write_text(
        "description: odd\nnotebooks:\n  01_sales_trajectory:\n"
        "    weighting: sideways\n    target_units: -1\n"
    )
    options = pipeline.RunOptions(
        scenario=str(scenario), data_dir=FROZEN_DATA, reports_dir=tmp_path / "reports"
    )
    with pytest.raises(pipeline.BadInput) as refused:
        pipeline.plan(options)
    message = str(refused.value)
    assert "'weighting': expected one of inverse_error, equal, best; got 'sideways'" in message
    assert "target_units" not in message  # -1: the sourced target, as Params allows
