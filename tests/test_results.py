"""Recording headline results, reading them back from an executed notebook, formatting them."""

from __future__ import annotations

import json
import os

import nbformat
import numpy as np
import pytest

from lib import results


@pytest.fixture(autouse=True)
def fresh():
    results.clear()
    yield
    results.clear()


def test_record_keeps_numpy_values_as_plain_json():
    result = results.record(
        "p_reach_target", np.float64(0.4213), "probability", "chance", low=np.float32(0.3), high=0.5
    )
    payload = result.to_json()
    assert json.loads(json.dumps(payload)) == payload
    assert payload["value"] == pytest.approx(0.4213) and isinstance(payload["low"], float)


def test_nan_is_recorded_as_missing():
    assert (
        results.record("payback_years", float("nan"), "years", "never pays back").to_json()["value"]
        is None
    )


def test_names_must_be_identifiers():
    with pytest.raises(ValueError, match="snake_case identifier"):
        results.record("p reach", 1, "probability", "bad name")


def test_last_record_of_a_name_wins_and_table_lists_in_order():
    results.record("a_units", 1, "units", "first")
    results.record("b_pct", 2.5, "pct", "second")
    results.record("a_units", 3, "units", "again")
    table = results.table()
    assert table.index.tolist() == ["a_units", "b_pct"]
    assert table["value"].tolist() == ["3 units", "2.5%"]


@pytest.mark.parametrize(
    ("value", "unit", "low", "high", "text"),
    [
        (0.42, "probability", 0.3, 0.55, "42% [30%, 55%]"),
        (12.34, "pct", None, None, "12.3%"),
        (1_234_567.0, "units", 1_000_000.0, 1_500_000.0, "1,234,567 units [1,000,000, 1,500,000]"),
        (-2.0, "pp", None, None, "-2.0 pp"),
        ("export", "strategy", None, None, "export"),
        (None, "years", None, None, "n/a"),
        (3.5, "years", None, None, "3.5 years"),
        (2026, "year", None, None, "2026"),
    ],
)
def test_format_value(value, unit, low, high, text):
    assert results.format_value({"value": value, "unit": unit, "low": low, "high": high}) == text


def test_from_notebook_reads_the_mime_outputs():
    notebook = nbformat.v4.new_notebook()
    payload = results.Result("x_units", 5, "units", "five").to_json()
    cell = nbformat.v4.new_code_cell("record")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={results.MIME_TYPE: payload}),
        nbformat.v4.new_output("stream", name="stdout", text="noise"),
    ]
    notebook.cells = [cell]
    assert results.from_notebook(notebook) == [payload]


def test_load_and_lookup(tmp_path):
    result = {"name": "a", "value": 1, "unit": "units", "meaning": "one"}
    content = {"notebooks": {"01_x": {"status": "ok", "results": [result]}}}
    (tmp_path / "results.json").write_text(json.dumps(content))
    loaded = results.load(tmp_path)
    assert results.lookup(loaded, "01_x", "a")["value"] == 1
    assert (
        results.lookup(loaded, "01_x", "b") is None and results.lookup(loaded, "02_y", "a") is None
    )
    with pytest.raises(FileNotFoundError, match="no results.json"):
        results.load(tmp_path / "missing")


GOOD = {
    "name": "p_x",
    "value": 0.4,
    "unit": "probability",
    "meaning": "chance",
    "low": 0.3,
    "high": 0.5,
    "role": "headline",
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"meaning": None}, "result 'p_x': 'meaning' is null, expected str"),
        ({"unit": 5}, "result 'p_x': 'unit' is 5, expected str"),
        ({"value": True}, "result 'p_x': 'value' is true, expected int or float or str or null"),
        ({"value": float("nan")}, "'value' is NaN"),
        ({"low": "0.3"}, "result 'p_x': 'low' is \"0.3\", expected int or float or null"),
        ({"role": "boss"}, "result 'p_x': role 'boss' is not one of"),
        ({"name": "p x"}, "result 'p x': its name is not an identifier"),
        ({"name": ["p_x"]}, "'name' is [\"p_x\"], expected str"),
    ],
)
def test_a_result_with_a_field_missing_or_of_another_type_is_named(change, problem):
    assert results.result_problem(GOOD) is None
    assert problem in results.result_problem(GOOD | change)
    unit_missing = {k: v for k, v in GOOD.items() if k != "unit"}
    assert results.result_problem(unit_missing) == "result 'p_x': 'unit' missing"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ([], "expected an object, found list"),
        ({"run_id": "r"}, "'notebooks' missing"),
        (
            {"notebooks": {"01_x": {"results": {}}}},
            "notebook '01_x': 'results' is {}, expected list",
        ),
        ({"notebooks": {"01_x": {"results": [], "note": 3}}}, "notebook '01_x': 'note' is 3"),
        (
            {"notebooks": {"01_x": {"results": [GOOD | {"meaning": 1}]}}},
            "notebook '01_x', result 'p_x': 'meaning'",
        ),
        ({"notebooks": {}, "maker": ["a"]}, "'maker' is [\"a\"], expected str or null"),
        ({"notebooks": {}, "makers": {"nio": {"notebooks": 1}}}, "maker 'nio', 'notebooks' is 1"),
    ],
)
def test_load_refuses_a_results_file_that_is_not_one_naming_file_and_field(
    tmp_path, content, problem
):
    (tmp_path / "results.json").write_text(json.dumps(content))
    with pytest.raises(ValueError, match="results.json: ") as refused:
        results.load(tmp_path)
    assert problem in str(refused.value)


def test_load_refuses_invalid_json_and_a_fifo_without_blocking(tmp_path):
    (tmp_path / "results.json").write_text('{"notebooks": ')
    with pytest.raises(ValueError, match="results.json: not valid JSON"):
        results.load(tmp_path)
    (tmp_path / "results.json").unlink()
    os.mkfifo(tmp_path / "results.json")
    with pytest.raises(ValueError, match="results.json: not a regular file"):
        results.load(tmp_path)


def test_from_notebook_refuses_a_damaged_result(tmp_path):
    cell = nbformat.v4.new_code_cell("record")
    cell.outputs = [nbformat.v4.new_output("display_data", data={results.MIME_TYPE: {"name": "x"}})]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    with pytest.raises(
        ValueError, match="a recorded result is damaged: result 'x': 'value' missing"
    ):
        results.from_notebook(notebook)


@pytest.mark.parametrize(
    "table",
    [
        {"columns": "ab", "rows": []},
        {"columns": ["a", 1], "rows": []},
        {"columns": ["a", "b"], "rows": [[1]]},
        {"columns": ["a"], "rows": [[{"x": 1}]]},
        {"columns": ["a"], "rows": [[float("inf")]]},
        {"columns": ["a"]},
    ],
)
def test_a_recorded_table_of_another_shape_is_damaged(table):
    good = {"name": "t", "value": None, "unit": "units", "meaning": "m", "role": None}
    assert (
        results.result_problem(
            good | {"table": {"columns": ["a", "b"], "rows": [[1, "x"], [None, True]]}}
        )
        is None
    )
    assert "'table' is not columns (names) and rows" in results.result_problem(
        good | {"table": table}
    )


def test_record_refuses_what_a_reader_would_refuse():
    with pytest.raises(ValueError, match="result 'x_units': 'unit' is null, expected str"):
        results.record("x_units", 1, None, "one")
    with pytest.raises(ValueError, match="result 'x_units': 'value' is"):
        results.record("x_units", [1, 2], "units", "two")
    assert results.recorded() == []
