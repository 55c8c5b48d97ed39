"""Notebook parameters and scenario files, checked before any kernel starts.

A notebook declares its parameters in its tagged `parameters` cell, one per line:
`n_paths: int = 10_000  # simulated paths per model [100, 1000000]`. papermill's own inspection
reads name, type, default and help; a trailing `[low, high]` in the help is the allowed range.

A scenario is `params/<name>.yaml`: an optional `description` and, under `notebooks`, a section
per notebook overriding some of its parameters. papermill only warns about an unknown parameter;
here an unknown notebook or parameter, a wrong type or an out-of-range value is an error that
names the scenario file, the notebook and the key.

`--scenario` takes a NAME (letters, digits, `_` and `-` only: `params/<NAME>.yaml`, never a path
outside params/) or an explicit path to a `.yaml`/`.yml` file, anywhere. A scenario file is plain
YAML of at most 1 MB: anchors/aliases and duplicate keys are refused (an alias can expand a small
file into gigabytes; a duplicate key would silently drop the first value), and at most 20 problems
are printed.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from lib import cache, paths

RANGE_PATTERN = re.compile(r"\[\s*(-?[\d_.eE+]+)\s*,\s*(-?[\d_.eE+]+)\s*\]\s*$")
NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]+")  # a scenario name: a file in params/, no path
MAX_SCENARIO_BYTES = 1024 * 1024  # the shipped scenarios are under 2 kB
MAX_PROBLEMS_SHOWN = 20  # as for data errors: the first 20, then a count
MAX_NESTING = 50  # a scenario is 3 levels deep (a list value adds one); deeper is not a scenario


class ScenarioError(ValueError):
    """A scenario file or parameter value is not acceptable; the message says where and why."""


@dataclass(frozen=True)
class Parameter:
    """One entry of a notebook's parameters cell."""

    name: str
    type_name: str  # as annotated: int, float, str, bool, list[str], ...
    default: object
    help: str
    low: float | None = None
    high: float | None = None

    def describe_type(self) -> str:
        text = self.type_name
        if self.low is not None:
            text += f" in [{_shown(self.low)}, {_shown(self.high)}]"
        return text


def _shown(number: float) -> str:
    """A range end as people write it: 100,000,000 rather than 1e+08, and a year as 2035."""
    if not float(number).is_integer():
        return f"{number:g}"
    return f"{int(number):,}" if abs(number) >= 10_000 else str(int(number))


@dataclass(frozen=True)
class NotebookSpec:
    """A notebook of the collection: its name (file stem), path, parameters and what it needs."""

    name: str
    path: Path
    title: str
    parameters: dict[str, Parameter]
    needs: tuple[str, ...] = ()  # notebooks whose results it reads (metadata evr.needs)
    headline: str | None = None  # the result its index card shows (metadata evr.headline)


def _literal(text: str) -> object:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _range(help_text: str) -> tuple[float | None, float | None]:
    match = RANGE_PATTERN.search(help_text)
    if not match:
        return None, None
    return float(match.group(1).replace("_", "")), float(match.group(2).replace("_", ""))


def _unread_lines(source: str, inspected: set[str]) -> list[str]:
    """Assignments in a parameters cell that papermill's inspection missed (it only warns)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return [f"line {error.lineno}: not valid Python ({error.msg})"]
    lines = source.splitlines()
    unread = []
    for node in tree.body:
        targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
        if any(isinstance(t, ast.Name) and t.id not in inspected for t in targets):
            unread.append(f"line {node.lineno}: {lines[node.lineno - 1].strip()!r}")
    return unread


def _title(notebook: nbformat.NotebookNode, fallback: str) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


@cache.memoize()  # papermill's import is a fifth of a re-run's start-up
def _papermill_inspection(path: str, content: str) -> str:
    """papermill's reading of the parameters of the notebook at `path` whose bytes have SHA-256
    `content`, as JSON: name -> inferred_type_name, default and help (all text)."""
    import papermill

    return json.dumps(papermill.inspect_notebook(path))  # in the cell's order


def inspect(path: Path) -> NotebookSpec:
    """Read a notebook's parameters (with papermill's own inspection), title and needs."""
    notebook = nbformat.read(str(path), as_version=4)
    if not any("parameters" in cell.metadata.get("tags", []) for cell in notebook.cells):
        raise ScenarioError(f"{path}: no cell tagged 'parameters'; every notebook needs one")
    cell = next(cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", []))
    inspected = json.loads(
        _papermill_inspection(str(path), hashlib.sha256(path.read_bytes()).hexdigest())
    )
    unread = _unread_lines(cell.source, set(inspected))
    if unread:
        raise ScenarioError(
            f"{path}: papermill cannot read parameter line(s) {'; '.join(unread)}; write "
            "`name: type = literal  # help` and keep '=' out of the help comment"
        )
    parameters = {}
    for name, info in inspected.items():
        low, high = _range(info["help"])
        parameters[name] = Parameter(
            name, info["inferred_type_name"], _literal(info["default"]), info["help"], low, high
        )
    meta = notebook.metadata.get("evr", {})
    return NotebookSpec(
        path.stem,
        path,
        _title(notebook, path.stem),
        parameters,
        tuple(meta.get("needs", [])),
        meta.get("headline"),
    )


def discover(notebooks_dir: Path | None = None) -> list[NotebookSpec]:
    """Every notebook of the collection, in file-name order (NN_ prefix)."""
    directory = notebooks_dir or paths.NOTEBOOKS_DIR
    return [inspect(path) for path in sorted(directory.glob("[0-9][0-9]_*.ipynb"))]


# ---------------------------------------------------------------------------------------------
# Checking values


def _type_problem(value: object, type_name: str) -> str | None:
    """Why `value` does not fit the annotated type, or None when it does."""
    base = type_name.split("[")[0].strip()
    checks = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "str": lambda v: isinstance(v, str),
        "bool": lambda v: isinstance(v, bool),
        "list": lambda v: isinstance(v, list),
        "tuple": lambda v: isinstance(v, list | tuple),
        "dict": lambda v: isinstance(v, dict),
    }
    check = checks.get(base)
    if check is None:  # unannotated or exotic: papermill passes it through
        return None
    if not check(value):
        return f"expected {type_name}, got {type(value).__name__} {value!r}"
    inner = type_name[len(base) + 1 : -1].strip() if "[" in type_name else ""
    if base in ("list", "tuple") and inner in checks:
        for item in value:
            problem = _type_problem(item, inner)
            if problem:
                return f"item {item!r}: {problem}"
    return None


def check_value(parameter: Parameter, value: object) -> str | None:
    """Why `value` is not acceptable for `parameter`, or None."""
    problem = _type_problem(value, parameter.type_name)
    if problem or parameter.low is None:
        return problem
    numbers = value if isinstance(value, list | tuple) else [value]
    for number in numbers:
        if isinstance(number, int | float) and not (parameter.low <= number <= parameter.high):
            return f"value {number!r} is out of range; expected {parameter.describe_type()}"
    return None


def check_parameters(
    spec: NotebookSpec,
    values: dict,
    where: str,
    hints: int = MAX_PROBLEMS_SHOWN,
    checker: Callable[[str, object], str | None] | None = None,
) -> list[str]:
    """Problems with `values` for notebook `spec`; `where` names their origin in messages.
    `checker(name, value)`: the notebook's own check (its package's Params), else its cell's
    types and ranges. Only the first `hints` unknown keys get a "did you mean"."""
    problems = []
    for key, value in values.items():
        if key not in spec.parameters:
            problem = f"{where}: notebook {spec.name}: unknown parameter {key!r}"
            if len(problems) < hints:
                close = difflib.get_close_matches(str(key), list(spec.parameters), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                problem += f"{hint} (known: {', '.join(spec.parameters)})"
            problems.append(problem)
            continue
        problem = checker(key, value) if checker else check_value(spec.parameters[key], value)
        if problem:
            problems.append(f"{where}: notebook {spec.name}: parameter {key!r}: {problem}")
    return problems


# ---------------------------------------------------------------------------------------------
# Scenario files


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path | None
    description: str
    overrides: dict[str, dict]
    maker: str | None = None  # sets the `maker` parameter of every notebook that has one


def scenario_path(name: str, params_dir: Path | None = None) -> Path:
    """A scenario by name (params/<name>.yaml) or by path to a YAML file (anywhere)."""
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml"):
        return candidate.resolve()
    if not NAME_PATTERN.fullmatch(name):
        raise ScenarioError(
            f"--scenario {name!r}: a scenario name may hold only letters, digits, '_' and '-' "
            "(it names params/<name>.yaml); give a path ending in .yaml for a file elsewhere"
        )
    return (params_dir or paths.PARAMS_DIR) / f"{name}.yaml"


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML without aliases (an alias can expand a few bytes into gigabytes), without
    duplicate keys (YAML would silently keep the last value) and at most MAX_NESTING levels deep
    (the composer recurses once per level: 100,000 brackets overflowed Python's stack)."""

    depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.constructor.ConstructorError(
                None,
                None,
                "aliases (*name) are not allowed in a scenario file",
                self.peek_event().start_mark,
            )
        if self.depth >= MAX_NESTING:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"nested more than {MAX_NESTING} levels deep",
                self.peek_event().start_mark,
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:  # an unhashable key: the base class says so
                continue
            if first != key_node.start_mark.line + 1:
                raise yaml.constructor.ConstructorError(
                    f"in the mapping from line {node.start_mark.line + 1}",
                    None,
                    f"duplicate key {key!r} (first at line {first})",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep)


def _read_yaml(path: Path) -> object:
    """The parsed scenario file, or a ScenarioError naming the file and what is wrong with it."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ScenarioError(f"{path}: is a directory; expected a scenario YAML file")
        if not stat.S_ISREG(info.st_mode):  # a pipe or device would block or never end
            raise ScenarioError(f"{path}: is not a regular file; expected a scenario YAML file")
        size = info.st_size
        if size > MAX_SCENARIO_BYTES:
            raise ScenarioError(
                f"{path}: file is {size:,} bytes; a scenario file may have at most "
                f"{MAX_SCENARIO_BYTES:,}"
            )
        raw = path.read_bytes()
    except OSError as error:
        raise ScenarioError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ScenarioError(
            f"{path}: not UTF-8 text (undecodable byte at position {error.start})"
        ) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise ScenarioError(f"{path}: not valid YAML: {error}") from None


def available(params_dir: Path | None = None) -> list[str]:
    return sorted(path.stem for path in (params_dir or paths.PARAMS_DIR).glob("*.yaml"))


def load_scenario(name: str, params_dir: Path | None = None) -> Scenario:
    """Read a scenario file; its structure is checked here, its values by `check_scenario`."""
    path = scenario_path(name, params_dir)
    if not path.exists():
        known = ", ".join(available(params_dir)) or "none"
        raise ScenarioError(f"{path}: scenario file not found (available scenarios: {known})")
    content = _read_yaml(path) or {}
    if not isinstance(content, dict):
        raise ScenarioError(f"{path}: expected a mapping with 'description' and 'notebooks'")
    unknown = sorted(map(str, set(content) - {"description", "maker", "notebooks"}))
    if unknown:
        shown = ", ".join(unknown[:MAX_PROBLEMS_SHOWN])
        more = (
            f" and {len(unknown) - MAX_PROBLEMS_SHOWN:,} more"
            if len(unknown) > MAX_PROBLEMS_SHOWN
            else ""
        )
        raise ScenarioError(
            f"{path}: unknown top-level key(s) {shown}{more}; expected description, maker, notebooks"
        )
    maker = content.get("maker")
    if maker is not None and not isinstance(maker, str):
        raise ScenarioError(
            f"{path}: 'maker' must be a maker key of data/makers.csv, not {maker!r}"
        )
    overrides = content.get("notebooks") or {}
    if not isinstance(overrides, dict) or not all(
        isinstance(v, dict | None) for v in overrides.values()
    ):
        raise ScenarioError(f"{path}: 'notebooks' must map notebook names to parameter mappings")
    overrides = {notebook: values or {} for notebook, values in overrides.items()}
    return Scenario(path.stem, path, str(content.get("description", "")), overrides, maker)


def check_scenario(
    scenario: Scenario,
    specs: list[NotebookSpec],
    checkers: dict[str, Callable[[str, object], str | None]] | None = None,
) -> None:
    """Raise ScenarioError listing every problem of `scenario` against the notebooks' parameters
    (`checkers`: a notebook's own check of one value, by notebook name)."""
    where = str(scenario.path) if scenario.path else f"scenario {scenario.name}"
    by_name = {spec.name: spec for spec in specs}
    problems = []
    for notebook, values in scenario.overrides.items():
        if notebook not in by_name:
            problem = f"{where}: unknown notebook {notebook!r}"
            if len(problems) < MAX_PROBLEMS_SHOWN:
                close = difflib.get_close_matches(str(notebook), list(by_name), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                problem += f"{hint} (known: {', '.join(by_name)})"
            problems.append(problem)
            continue
        hints = max(0, MAX_PROBLEMS_SHOWN - len(problems))
        checker = (checkers or {}).get(notebook)
        problems += check_parameters(by_name[notebook], values, where, hints, checker)
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        if len(problems) > len(shown):
            shown.append(f"... and {len(problems) - len(shown):,} more problem(s)")
        raise ScenarioError("\n".join(shown))


def parameters_for(spec: NotebookSpec, scenario: Scenario) -> dict:
    """The values a notebook runs with: its defaults overridden by the scenario."""
    values = {name: parameter.default for name, parameter in spec.parameters.items()}
    values.update(overrides_for(spec, scenario))
    return values


def overrides_for(spec: NotebookSpec, scenario: Scenario) -> dict:
    """Only the values the scenario changes (what papermill injects). The scenario's top-level
    `maker` applies to every notebook with a `maker` parameter, unless the notebook's own
    section sets it."""
    values = dict(scenario.overrides.get(spec.name, {}))
    if scenario.maker is not None and "maker" in spec.parameters:
        values.setdefault("maker", scenario.maker)
    return values
