"""A next month appended to a copy of the live data: it validates, notebook 01's models treat it
as known, and the whole collection runs on it. This is what keeps the tests on the live data/
honest: whatever month is added next, they must not break (pinned figures live in tests/data/)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lib import data, paths, pipeline, sales
from tests.conftest import SMOKE_SCENARIO

DELIVERIES = data.DELIVERIES.filename
TEST_SOURCE = "https://example.org/test-next-month"


def append_next_month(folder: Path) -> dict[str, pd.Period]:
    """Give every maker its latest month's deliveries again as the next month, the way the README
    says to add a month; return the appended month by maker."""
    latest = data.load_deliveries(folder).groupby("brand").tail(1)
    appended = {row.brand: row.month + 1 for row in latest.itertuples()}
    rows = [
        f"{row.brand},{row.month + 1},{row.deliveries},stated,{TEST_SOURCE},test row"
        for row in latest.itertuples()
    ]
    path = folder / DELIVERIES
    text = path.read_text()
    path.write_text(text + ("" if text.endswith("\n") else "\n") + "\n".join(rows) + "\n")
    return appended


@pytest.fixture(scope="module")
def next_month(tmp_path_factory):
    """(copy of the live data with a next month for every maker, the month appended by maker,
    the newest maker, the live deliveries before the append)."""
    folder = tmp_path_factory.mktemp("next_month") / "data"
    shutil.copytree(paths.data_dir(), folder)
    before = data.load_deliveries(folder)
    latest = before["month"].max()
    if latest >= pd.Period.now("M"):  # a month after the current one is not valid data
        pytest.skip(
            f"the live data already hold the current month ({latest}): no valid next month "
            "to append until the calendar moves on"
        )
    appended = append_next_month(folder)
    newest = sorted(brand for brand, month in appended.items() if month == latest + 1)
    maker = "leapmotor" if "leapmotor" in newest else newest[0]  # notebook 01's default maker
    return folder, appended, maker, before


def test_the_new_month_validates_and_moves_the_data_as_of(next_month):
    folder, appended, _, before = next_month
    counts = data.validate_all(folder)
    assert counts[DELIVERIES] == len(before) + len(appended)
    after = data.load_deliveries(folder)
    known = pd.MultiIndex.from_frame(before[["brand", "month"]])
    added = after[~pd.MultiIndex.from_frame(after[["brand", "month"]]).isin(known)]
    added = added.set_index("brand")
    assert added["month"].to_dict() == appended
    assert (added["source_url"] == TEST_SOURCE).all() and (added["quality"] == "stated").all()
    for brand, month in appended.items():  # the maker's previous month, repeated
        previous = before[(before["brand"] == brand) & (before["month"] == month - 1)]
        assert added.loc[brand, "deliveries"] == previous["deliveries"].item()
    assert data.data_as_of(after) == str(pd.Period(data.data_as_of(before), "M") + 1)
    # A month right after the last one opens no gap.
    pd.testing.assert_frame_equal(data.delivery_gaps(after), data.delivery_gaps(before))


def test_notebook_01_models_treat_the_new_month_as_known(next_month):
    folder, appended, maker, _ = next_month
    month = appended[maker]
    deliveries, holidays = data.load_deliveries(folder), data.load_holidays(folder)
    params = sales.Params(
        maker=maker,
        target_units=1_000_000,
        target_year=month.year,
        n_paths=300,
        seed=1,
        backtest_paths=100,
        comparison_paths=100,
    )
    settings = sales.load(params, folder).settings
    assert settings.cutoff == month  # the default cutoff is the new month
    data_now = sales.snapshot(deliveries, settings.cutoff, holidays)
    backtest = sales.run_backtest(deliveries, settings.cutoff, holidays, 100, 1)
    projection = sales.project(
        data_now, maker, settings.target_units, month.year, holidays, backtest, 300, 1
    )
    # the answer is the share of simulated years reaching the target, and every simulated year
    # holds at least the months already reported (the new one included)
    assert projection.p_reach_target == projection.probability(1_000_000)
    assert projection.p10 >= arithmetic_reported(deliveries, maker, month)
    assert projection.p10 <= projection.median <= projection.p90
    arithmetic, forecast = projection.arithmetic, projection.forecast
    assert str(month) in arithmetic.reported_months
    assert str(month) in arithmetic.latest_run_rate_months
    assert month not in forecast.request.months  # known, not simulated
    assert forecast.request.history.index[-1] == month
    # Every path's total holds the reported months, the new one included.
    assert np.min(forecast.annual["combination"]) >= arithmetic.reported_units > 0


@pytest.mark.notebooks
def test_the_whole_collection_runs_on_the_new_month(next_month, tmp_path):
    folder, appended, _, _ = next_month
    options = pipeline.RunOptions(
        scenario=str(SMOKE_SCENARIO), data_dir=folder, reports_dir=tmp_path, jobs=2
    )
    assert pipeline.run(options) == pipeline.EXIT_OK
    run_dir = (tmp_path / "latest").resolve()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    newest = str(max(appended.values()))
    assert manifest["status"] == "ok" and manifest["data_as_of"] == newest
    recorded = json.loads((run_dir / "results.json").read_text())["notebooks"]
    sales_results = {r["name"]: r for r in recorded["01_sales_trajectory"]["results"]}
    assert f"(data to {newest})" in sales_results["p_reach_target"]["meaning"]
    # The notebook's default maker: its new month counts in its latest run-rate.
    assert str(appended["leapmotor"]) in sales_results["latest_run_rate_units"]["meaning"]


def arithmetic_reported(deliveries: pd.DataFrame, maker: str, month: pd.Period) -> float:
    """The maker's deliveries reported in `month`'s year up to `month`."""
    rows = deliveries[(deliveries["brand"] == maker) & (deliveries["month"] <= month)]
    return float(rows.loc[rows["month"].dt.year == month.year, "deliveries"].sum())
