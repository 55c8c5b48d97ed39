"""Recording headline results, reading them back from an executed notebook, formatting them."""

from __future__ import annotations

import json

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
    content = {"notebooks": {"01_x": {"status": "ok", "results": [{"name": "a", "value": 1}]}}}
    (tmp_path / "results.json").write_text(json.dumps(content))
    loaded = results.load(tmp_path)
    assert results.lookup(loaded, "01_x", "a")["value"] == 1
    assert (
        results.lookup(loaded, "01_x", "b") is None and results.lookup(loaded, "02_y", "a") is None
    )
    with pytest.raises(FileNotFoundError, match="no results.json"):
        results.load(tmp_path / "missing")
