"""The floors of lib/ (DESIGN.md, "Layout"): imports only go down or stay on their floor, and no
module reaches into another's private names. Imports inside functions count too: a hidden import
is still a dependency."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lib import paths

LIB = paths.PROJECT_ROOT / "lib"

# Floor of each top-level module or package of lib/, lowest first.
FLOORS = {
    0: {"paths", "results", "plots", "tables", "finance", "errors", "clock", "kernels", "cache"},
    1: {"data", "makers", "scenarios", "render", "contract", "runs", "data_add", "pdf"},
    2: {"sales", "premium", "margins", "payback", "summary", "league", "workbook"},
    3: {"pipeline"},
    4: {"__main__"},
}
FLOOR = {name: floor for floor, names in FLOORS.items() for name in names}


def _top(module: str) -> str:
    """`lib.sales.models` -> `sales`."""
    return module.split(".")[1]


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, imported lib module, names taken from it) for every import of lib in `path`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, []) for a in node.names if a.name.startswith("lib.")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lib"):
            names = [a.name for a in node.names]
            if node.module == "lib":  # `from lib import data, sales`: each is a module
                found += [(node.lineno, f"lib.{name}", []) for name in names]
            else:
                found.append((node.lineno, node.module, names))
    return found


def _modules() -> list[Path]:
    return sorted(p for p in LIB.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_of_lib_has_a_floor():
    tops = {p.relative_to(LIB).parts[0].removesuffix(".py") for p in _modules()}
    assert tops - {"__init__"} <= set(FLOOR), f"no floor for {sorted(tops - set(FLOOR))}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(LIB)))
def test_imports_only_go_down(path):
    own = path.relative_to(LIB).parts[0].removesuffix(".py")
    if own == "__init__":
        return
    upward = [
        f"line {line}: {module} (floor {FLOOR[_top(module)]}) from floor {FLOOR[own]}"
        for line, module, _ in _imports(path)
        if module != "lib" and FLOOR[_top(module)] > FLOOR[own]
    ]
    assert not upward, f"{path.relative_to(LIB)} imports a higher floor: {upward}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(LIB)))
def test_no_private_name_is_imported_from_another_module(path):
    private = [
        f"line {line}: {name} from {module}"
        for line, module, names in _imports(path)
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not private, f"{path.relative_to(LIB)} imports private names: {private}"


def test_the_checker_sees_an_upward_import(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text("def f():\n    from lib.pipeline.planning import plan\n")
    assert _imports(module) == [(2, "lib.pipeline.planning", ["plan"])]
