"""Notebook parameters and scenario files are checked before any kernel starts."""

from __future__ import annotations

import pytest

from lib import scenarios
from tests.conftest import FIXTURE_NOTEBOOKS


@pytest.fixture(scope="module")
def typed():
    return scenarios.inspect(FIXTURE_NOTEBOOKS / "typed_parameters.ipynb")


def write(tmp_path, text: str):
    path = tmp_path / "custom.yaml"
    path.write_text(text)
    return path


def test_inspect_reads_types_defaults_help_and_ranges(typed):
    n_paths = typed.parameters["n_paths"]
    assert (n_paths.type_name, n_paths.default, n_paths.low, n_paths.high) == (
        "int",
        200,
        10,
        10000,
    )
    assert typed.parameters["brands"].default == ["BYD", "Tesla"]
    assert typed.parameters["maker"].low is None
    assert (
        typed.title == "Fixture: typed parameters"
        and typed.headline == "last_12_known_months_units"
    )


def test_notebook_without_parameters_cell_is_refused():
    with pytest.raises(scenarios.ScenarioError, match="no cell tagged 'parameters'"):
        scenarios.inspect(FIXTURE_NOTEBOOKS / "no_parameters.ipynb")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"n_path": 5}, "unknown parameter 'n_path'; did you mean n_paths"),
        ({"n_paths": "many"}, "parameter 'n_paths': expected int, got str 'many'"),
        ({"n_paths": 2.5}, "expected int, got float"),
        ({"n_paths": True}, "expected int, got bool"),
        ({"n_paths": 5}, "value 5 is out of range; expected int in [10, 10,000]"),
        ({"growth": 9.0}, "value 9.0 is out of range"),
        ({"brands": "BYD"}, "expected list[str], got str"),
        ({"brands": ["BYD", 3]}, "item 3: expected str, got int"),
        ({"show_chart": "yes"}, "expected bool"),
    ],
)
def test_bad_values_are_named(typed, values, message):
    problems = scenarios.check_parameters(typed, values, "params/x.yaml")
    assert len(problems) == 1
    assert problems[0].startswith("params/x.yaml: notebook typed_parameters: ")
    assert message in problems[0]


def test_good_values_pass(typed):
    assert (
        scenarios.check_parameters(
            typed, {"n_paths": 10, "growth": 1, "brands": [], "maker": "nio"}, "x"
        )
        == []
    )


def test_scenario_file_round_trip(tmp_path, typed):
    path = write(
        tmp_path, "description: small run\nnotebooks:\n  typed_parameters:\n    n_paths: 50\n"
    )
    scenario = scenarios.load_scenario(str(path))
    scenarios.check_scenario(scenario, [typed])
    assert scenario.description == "small run"
    assert scenarios.parameters_for(typed, scenario)["n_paths"] == 50
    assert scenarios.overrides_for(typed, scenario) == {"n_paths": 50}


def test_scenario_errors_name_file_notebook_and_key(tmp_path, typed):
    path = write(
        tmp_path,
        "notebooks:\n  typed_parameter:\n    n_paths: 50\n  typed_parameters:\n    n_paths: 1\n",
    )
    with pytest.raises(scenarios.ScenarioError) as caught:
        scenarios.check_scenario(scenarios.load_scenario(str(path)), [typed])
    message = str(caught.value)
    assert f"{path}: unknown notebook 'typed_parameter'; did you mean typed_parameters?" in message
    assert (
        f"{path}: notebook typed_parameters: parameter 'n_paths': value 1 is out of range"
        in message
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("notebooks: [1, 2]\n", "'notebooks' must map notebook names"),
        ("scenario: bear\n", "unknown top-level key(s) scenario"),
        ("notebooks:\n  a: [\n", "not valid YAML"),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_malformed_scenario_files(tmp_path, text, message):
    with pytest.raises(
        scenarios.ScenarioError,
        match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\["),
    ):
        scenarios.load_scenario(str(write(tmp_path, text)))


def test_missing_scenario_lists_available(tmp_path):
    (tmp_path / "bear.yaml").write_text("notebooks: {}\n")
    with pytest.raises(
        scenarios.ScenarioError, match="scenario file not found .*available scenarios: bear"
    ):
        scenarios.load_scenario("bull", params_dir=tmp_path)


def test_parameter_line_papermill_cannot_read_is_an_error():
    with pytest.raises(
        scenarios.ScenarioError,
        match=r"cannot read parameter line\(s\) line 2: 'threshold: int = 5",
    ):
        scenarios.inspect(FIXTURE_NOTEBOOKS / "unreadable_parameter.ipynb")


@pytest.mark.parametrize("name", scenarios.available())
def test_shipped_scenarios_are_valid_and_explained(name):
    scenario = scenarios.load_scenario(name)
    scenarios.check_scenario(scenario, scenarios.discover())
    assert scenario.description
    text = scenario.path.read_text()
    for values in scenario.overrides.values():
        for key in values:
            before = text[: text.index(f"{key}:")].rstrip().splitlines()[-1].strip()
            assert before.startswith("#"), (
                f"{name}: {key} needs a comment with its reason or source"
            )


@pytest.mark.parametrize(
    "text",
    [
        "notebooks: " + "[" * 100_000 + "]" * 100_000,  # before: RecursionError
        "notebooks:\n  typed_parameters:\n    brands: " + "[" * 49 + "]" * 49,
    ],
)
def test_nesting_deeper_than_a_scenario_is_refused_naming_the_file(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(scenarios.ScenarioError) as caught:
        scenarios.load_scenario(str(path))
    assert str(caught.value).startswith(f"{path}: not valid YAML: nested more than 50 levels deep")


def test_nesting_up_to_the_limit_is_read(tmp_path):
    values = "[" * 47 + "]" * 47  # notebooks, a notebook, a parameter, then 47 lists: 50 levels
    scenario = scenarios.load_scenario(str(write(tmp_path, f"notebooks:\n  a:\n    b: {values}")))
    assert scenario.overrides["a"]["b"] == eval(values)  # noqa: S307 - brackets only
