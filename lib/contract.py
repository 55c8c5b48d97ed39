"""The contract every analysis package (sales, premium, margins, payback) follows (DESIGN.md).

- `Params`: a frozen dataclass per package, its fields made with `param`: the one source of each
  parameter's type, default, range, unit and help. Building one checks every value
  (`BadParameter` naming the parameter); the notebook's parameters cell is rendered from it
  (`parameters_cell`) and checked against it (`cell_problems`); `python -m lib list` reads it.
- `load(params, data_dir=None) -> Inputs`; `analyse(inputs) -> Result`; `Result.record()`.
- Modules `names` (result-name constants the summary and league import), `charts`, `tables`,
  `text`.

"Use the sourced value" is one convention: -1 for a number, "" for text (`Params.is_sourced`).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import typing
from collections.abc import Mapping
from pathlib import Path

from lib import scenarios
from lib.errors import BadParameter

# The notebook each package answers in, and the modules every package has.
PACKAGES = {
    "01_sales_trajectory": "lib.sales",
    "02_brand_premium": "lib.premium",
    "03_price_war_margins": "lib.margins",
    "04_globalization_payback": "lib.payback",
}
MODULES = ("names", "charts", "tables", "text")
SOURCED_NUMBER, SOURCED_TEXT = -1, ""


@dataclasses.dataclass(frozen=True)
class Spec:
    """What a parameter means: help (a short phrase), unit, inclusive range, allowed values."""

    help: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    sourced: bool = False  # -1 (a number) or "" (text) means: the sourced value from the data
    anchors: tuple[str, ...] = ()  # sourced rows a literal default was chosen from


def param(
    default,
    help: str,
    *,
    unit: str = "",
    low: float | None = None,
    high: float | None = None,
    choices: tuple = (),
    sourced: bool = False,
    anchors: tuple[str, ...] = (),
):
    """A `Params` field. A list default is copied for each instance."""
    metadata = {"spec": Spec(help, unit, low, high, tuple(choices), sourced, tuple(anchors))}
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def _type_name(annotation) -> str:
    if isinstance(annotation, str):
        return annotation
    return annotation.__name__ if isinstance(annotation, type) else str(annotation)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclasses.dataclass(frozen=True)
class Params:
    """Base of each package's parameters; a subclass declares its fields with `param`."""

    def __post_init__(self):
        problems = [
            f"{name}: {problem}"
            for name, value in self.values().items()
            if (problem := self.problem(name, value))
        ]
        if problems:
            raise BadParameter("bad parameter: " + "; ".join(problems))

    @classmethod
    def fields(cls) -> list[dataclasses.Field]:
        return list(dataclasses.fields(cls))

    @classmethod
    def spec(cls, name: str) -> Spec:
        return next(f.metadata["spec"] for f in cls.fields() if f.name == name)

    @classmethod
    def parameter(cls, name: str) -> scenarios.Parameter:
        """The parameter as the notebook's parameters cell declares it."""
        field = next(f for f in cls.fields() if f.name == name)
        spec = field.metadata["spec"]
        default = field.default_factory() if field.default is dataclasses.MISSING else field.default
        help_text = spec.help
        if spec.low is not None:
            help_text += f" [{_number(spec.low)}, {_number(spec.high)}]"
        return scenarios.Parameter(
            name, _type_name(field.type), default, help_text, spec.low, spec.high
        )

    @classmethod
    def problem(cls, name: str, value) -> str | None:
        """Why `value` is not acceptable for parameter `name`, or None."""
        spec = cls.spec(name)
        if spec.sourced and value in (SOURCED_NUMBER, SOURCED_TEXT) and type(value) is not bool:
            return None
        problem = scenarios.check_value(cls.parameter(name), value)
        if problem is None and spec.choices and value not in spec.choices:
            problem = f"expected one of {', '.join(map(str, spec.choices))}; got {value!r}"
        return problem

    @classmethod
    def from_values(cls, values: Mapping):
        """The parameters named in `values` (e.g. a notebook's `globals()`); others at default."""
        return cls(**{f.name: values[f.name] for f in cls.fields() if f.name in values})

    def values(self) -> dict:
        return {f.name: getattr(self, f.name) for f in self.fields()}

    def is_sourced(self, name: str) -> bool:
        """True when parameter `name` asks for the sourced value (-1 or "")."""
        value = getattr(self, name)
        return self.spec(name).sourced and value in (SOURCED_NUMBER, SOURCED_TEXT)


def _literal(value) -> str:
    if isinstance(value, bool | str):
        return repr(value) if isinstance(value, bool) else '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, int):
        return f"{value:_}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    return repr(value)


def parameters_cell(params: type[Params]) -> str:
    """The notebook's parameters cell, rendered from `params`: one typed literal per line."""
    lines = []
    for field in params.fields():
        parameter = params.parameter(field.name)
        lines.append(
            f"{field.name}: {parameter.type_name} = {_literal(parameter.default)}"
            f"  # {parameter.help}"
        )
    return "\n".join(lines)


def cell_problems(params: type[Params], notebook: Path) -> list[str]:
    """Where the notebook's parameters cell differs from `params` (empty: they agree)."""
    declared = scenarios.inspect(notebook).parameters
    expected = {f.name: params.parameter(f.name) for f in params.fields()}
    problems = [
        f"{notebook.name}: {name} is in the cell but not in {params.__qualname__}"
        for name in declared.keys() - expected.keys()
    ]
    for name, parameter in expected.items():
        if name not in declared:
            problems.append(f"{notebook.name}: {name} is missing from the parameters cell")
        elif declared[name] != parameter:
            problems.append(f"{notebook.name}: {name} is {declared[name]}, expected {parameter}")
    if not problems and list(declared) != list(expected):
        problems.append(f"{notebook.name}: parameters in another order than {params.__qualname__}")
    return problems


def package(notebook: str):
    """The analysis package a notebook answers with, or None (the summary has none)."""
    name = PACKAGES.get(notebook)
    return importlib.import_module(name) if name else None


def package_problems(module) -> list[str]:
    """What package `module` lacks of the contract (empty: it follows it)."""
    where = module.__name__
    problems = []
    params = getattr(module, "Params", None)
    if not (isinstance(params, type) and issubclass(params, Params)):
        problems.append(f"{where}.Params is not a subclass of lib.contract.Params")
    elif not params.__dataclass_params__.frozen:
        problems.append(f"{where}.Params is not frozen")
    for function, first in (("load", "params"), ("analyse", "inputs")):
        found = getattr(module, function, None)
        if not callable(found):
            problems.append(f"{where}.{function} is missing")
        elif next(iter(inspect.signature(found).parameters), None) != first:
            problems.append(f"{where}.{function} does not take `{first}` first")
    analyse = getattr(module, "analyse", None)
    if callable(analyse):
        returned = typing.get_type_hints(analyse).get("return")
        if not callable(getattr(returned, "record", None)):
            problems.append(f"{where}.analyse does not return a Result with a record() method")
    for name in MODULES:
        try:
            importlib.import_module(f"{where}.{name}")
        except ModuleNotFoundError:
            problems.append(f"{where}.{name} module is missing")
    return problems


def result_names(module) -> dict[str, str]:
    """The result-name constants of a package's `names` module: CONSTANT -> recorded name."""
    names = importlib.import_module(f"{module.__name__}.names")
    return {
        key: value
        for key, value in vars(names).items()
        if key.isupper()
        and isinstance(value, str)
        and key not in ("NOTEBOOK", "RECORD_SECTION")  # where, not what, it records
        and not key.endswith(("_PREFIX", "_SUFFIX"))  # parts of a name built per item
    }


# What every analysis package exports (name -> the submodule defining it): the contract itself.
CONTRACT_EXPORTS = {
    "Params": "params",
    "Inputs": "inputs",
    "load": "inputs",
    "analyse": "analysis",
    **{module: module for module in MODULES},
}


def lazy_exports(package: str, extra: dict[str, str]):
    """`__getattr__` and `__dir__` for a package's `__init__`, exporting the contract's names and
    the package's `extra` ones (name -> the submodule defining it). Each is imported on first use,
    so that a reader importing only the package's `names` (the summary, the league table, the
    runner) does not load its models."""
    exports = CONTRACT_EXPORTS | extra

    def __getattr__(name: str):  # noqa: N807 - the module-level hook of PEP 562
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(f"{package}.{exports[name]}")
        return module if exports[name] == name else getattr(module, name)

    def __dir__():  # noqa: N807
        return sorted(exports)

    return __getattr__, __dir__
