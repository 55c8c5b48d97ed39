"""Freshness: each maker's latest month against the newest in the file, stale makers flagged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from lib import data, paths, pipeline, scenarios
from tests.conftest import make_project


def deliveries(latest: dict[str, str]) -> pd.DataFrame:
    rows = [
        {"brand": brand, "month": month}
        for brand, last in latest.items()
        for month in pd.period_range("2026-01", last, freq="M")
    ]
    frame = pd.DataFrame(rows)
    frame["month"] = pd.PeriodIndex(frame["month"], freq="M")
    return frame.assign(deliveries=1000)


def test_makers_two_or_more_months_behind_are_stale_with_the_months_missing():
    table = data.freshness(deliveries({"a": "2026-09", "b": "2026-08", "c": "2026-06"}))
    rows = table.set_index("brand")
    assert rows.loc["a", "months_behind"] == 0 and not rows.loc["a", "stale"]
    assert rows.loc["b", "missing"] == ["2026-09"] and not rows.loc["b", "stale"]
    assert rows.loc["c", "stale"] and rows.loc["c", "missing"] == ["2026-07", "2026-08", "2026-09"]


def plan_with(latest: dict[str, str]) -> pipeline.Plan:
    table = data.freshness(deliveries(latest))
    return pipeline.Plan(
        "r",
        scenarios.Scenario("base", None, "", {}),
        [],
        Path("."),
        Path("."),
        "2026-09",
        {},
        dt.datetime.now(dt.UTC),
        table.to_dict("records"),
    )


def test_the_note_names_the_focus_maker_and_every_stale_one():
    note = pipeline.freshness_note(
        plan_with({"leapmotor": "2026-09", "byd": "2026-07"}), "leapmotor"
    )
    assert note.startswith("leapmotor deliveries to 2026-09")
    assert "stale (2+ months behind): byd to 2026-07 (missing 2026-08, 2026-09)" in note
    fresh = pipeline.freshness_note(plan_with({"leapmotor": "2026-09", "byd": "2026-08"}))
    assert "stale" not in fresh and "newest month in the deliveries data 2026-09" in fresh


def test_focus_maker_is_the_maker_parameter_when_it_has_deliveries():
    known = ["leapmotor", "li_auto"]
    assert pipeline.focus_maker({"maker": "li_auto"}, known) == "li_auto"
    assert pipeline.focus_maker({"maker": "zeekr"}, known) is None
    assert pipeline.focus_maker({"n_paths": 10}, known) is None


def test_paths_shown_to_readers_are_relative_to_the_project():
    assert pipeline.shown_path(paths.PROJECT_ROOT / "data") == "data"
    assert pipeline.shown_path(Path("/srv/elsewhere/mydata")) == "mydata (outside the project)"


def test_shipped_data_freshness_holds_for_any_valid_data():
    table = data.freshness(data.load_deliveries())
    assert (table["months_behind"] >= 0).all() and (table["months_behind"] == 0).any()
    assert (table["stale"] == (table["months_behind"] >= data.STALE_AFTER_MONTHS)).all()
    assert (table["missing"].map(len) == table["months_behind"]).all()


def test_index_and_reports_show_freshness_and_flag_stale_makers(tmp_path):

    options = make_project(tmp_path)  # frozen data: leapmotor to 2026-06, others stop earlier
    assert pipeline.run(options) == pipeline.EXIT_OK
    latest = options.reports_dir / "latest"
    index = (latest / "index.html").read_text()
    assert 'id="freshness"' in index
    assert '<tr class="evr-stale" data-maker="byd">' in index
    assert '<tr data-maker="leapmotor"><td>leapmotor</td><td>2026-06</td><td>0</td>' in index
    report = (latest / "10_typed.html").read_text()  # its maker parameter is nio (scenario)
    line = report.split('id="freshness">', 1)[1].split("</p>", 1)[0]
    assert line.startswith("Data freshness: nio deliveries to 2026-")
    assert "stale (2+ months behind): " in line and "byd to " in line
    manifest = (latest / "manifest.json").read_text()
    assert '"data_freshness"' in manifest and str(tmp_path) not in report
