"""A small table recorded as a result: JSON-safe, read back as a frame, accepted by the readers of
earlier runs and ignored by the summary's answers (it has no value and no role)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lib import results, runs
from lib.summary import core


@pytest.fixture(autouse=True)
def fresh():
    results.clear()
    yield
    results.clear()


def quantiles() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "maker": ["leapmotor", "leapmotor"],
            "month": pd.period_range("2026-07", periods=2, freq="M"),
            "q50": [np.float64(94_000.5), np.nan],
            "n": np.array([1, 2], dtype=np.int64),
        }
    )


def test_table_is_json_safe_and_round_trips():
    payload = results.record_table("monthly_forecast_quantiles", quantiles(), "units", "quantiles")
    assert payload["value"] is None and payload["role"] is None
    assert payload["table"]["columns"] == ["maker", "month", "q50", "n"]
    assert payload["table"]["rows"] == [
        ["leapmotor", "2026-07", 94_000.5, 1],
        ["leapmotor", "2026-08", None, 2],
    ]
    back = results.table_frame(json.loads(json.dumps(payload, allow_nan=False)))
    assert back["month"].tolist() == ["2026-07", "2026-08"]
    assert back["q50"].iloc[0] == 94_000.5 and pd.isna(back["q50"].iloc[1])
    # Tables are not headline numbers: the readers' table of results leaves them out.
    assert results.table().empty


def test_bad_names_and_malformed_tables():
    with pytest.raises(ValueError, match="snake_case"):
        results.record_table("not a name", quantiles(), "units", "x")
    assert results.table_frame(None) is None
    assert results.table_frame({"table": {"columns": ["a"], "rows": [[1, 2]]}}) is None
    assert results.table_frame({"table": "text"}) is None


def test_earlier_runs_and_the_summary_accept_a_table_result(tmp_path):
    headline = results.Result("p_reach_target", 0.4, "probability", "chance", role="headline")
    table = results.record_table("monthly_forecast_quantiles", quantiles(), "units", "quantiles")
    content = {
        "run_id": "r1",
        "notebooks": {
            "01_sales_trajectory": {"status": "ok", "results": [table, headline.to_json()]}
        },
    }
    (tmp_path / "results.json").write_text(json.dumps(content))
    loaded = runs.read_results(tmp_path / "results.json")
    answer = core.answers(core.RunResults(tmp_path, loaded))[0]
    assert answer.headline["name"] == "p_reach_target"
    assert "quantiles" not in answer.sentence
