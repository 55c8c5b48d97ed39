"""The data layer: the shipped files load, and every kind of bad data gets a precise error.

Tests on the live data check what holds for any valid data; pinned figures come from the frozen
test data (tests/data/), and broken copies are made from it so that their line numbers never move."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from lib import data, data_add
from tests.conftest import FROZEN_DATA

DELIVERIES = "deliveries_monthly.csv"


def edit_line(folder: Path, filename: str, line: int, old: str, new: str) -> None:
    """Replace `old` by `new` on 1-based `line` of a copied data file."""
    path = folder / filename
    lines = path.read_text().splitlines()
    assert old in lines[line - 1], f"fixture expects {old!r} on line {line}: {lines[line - 1]}"
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("\n".join(lines) + "\n")


def append_line(folder: Path, filename: str, text: str) -> int:
    path = folder / filename
    content = path.read_text()
    path.write_text(content + text + "\n")
    return content.count("\n") + 1


def error_for(loader, folder: Path) -> str:
    with pytest.raises(data.DataError) as caught:
        loader(folder)
    return str(caught.value)


# --- the shipped data --------------------------------------------------------------------------


def test_shipped_data_loads_with_types():
    counts = data.validate_all()
    assert set(counts) == set(data.LOADERS) and min(counts.values()) > 0
    deliveries = data.load_deliveries()
    assert isinstance(deliveries["month"].dtype, pd.PeriodDtype)
    assert deliveries["deliveries"].dtype == "int64"
    assert deliveries["source_url"].str.startswith("http").all()


def test_frozen_data_row_counts():
    counts = data.validate_all(FROZEN_DATA)
    assert counts == {
        DELIVERIES: 392,
        "financials_quarterly.csv": 668,
        "vehicle_trims.csv": 2643,
        "assumptions.csv": 68,  # Leapmotor's 36 venture facts moved to ventures.csv
        "chinese_new_year.csv": 16,
        "price_war_events.csv": 11,
        "makers.csv": 8,
        "targets.csv": 10,
        "ventures.csv": 40,
    }


def test_leapmotor_annual_totals_match_reported_totals():
    deliveries = data.load_deliveries(FROZEN_DATA)
    leap = deliveries[deliveries["brand"] == "leapmotor"]
    totals = leap.groupby(leap["month"].dt.year)["deliveries"].sum()
    assert totals[2023] == 144_155 and totals[2024] == 293_724 and totals[2025] == 596_555


def test_missing_months_are_gaps_not_zeros():
    deliveries = data.load_deliveries(FROZEN_DATA)
    series = data.monthly_series(deliveries, "leapmotor")
    assert pd.isna(series[pd.Period("2026-03", "M")]) and pd.isna(series[pd.Period("2026-04", "M")])
    assert series[pd.Period("2026-05", "M")] == 81_569
    gaps = data.delivery_gaps(deliveries)
    leap_2026 = gaps[(gaps["brand"] == "leapmotor") & (gaps["first"] == pd.Period("2026-03", "M"))]
    assert leap_2026["months"].tolist() == [2]


def test_unknown_maker_lists_known_ones():
    with pytest.raises(ValueError, match=r"unknown maker 'leap'.*leapmotor.*xpeng"):
        data.monthly_series(data.load_deliveries(FROZEN_DATA), "leap")


def test_financial_rows_are_flagged_by_their_note():
    financials = data.load_financials(FROZEN_DATA)
    flags = financials.set_index(["company", "period", "metric"])["flag"]
    assert "unverified" in set(financials["flag"]) and "derived" in set(financials["flag"])
    assert flags[("Leapmotor", "2023Q1", "gross_margin_pct")] == "derived"
    assert (
        financials.loc[financials["period"] == "2025Q1-Q3", "period_end"]
        .astype(str)
        .eq("2025-09")
        .all()
    )


def test_assumption_lookup_and_unknown_name():
    table = data.load_assumptions(FROZEN_DATA)
    duty = data.assumption("eu_cvd_other_cooperating_pct", table)
    assert duty.value == 20.7 and duty.unit == "pct" and duty.source_url.startswith("http")
    with pytest.raises(KeyError, match="closest: .*eu_cvd_other_cooperating_pct"):
        data.assumption("eu_cvd_other_cooperating", table)


def test_every_assumption_is_sourced_and_dated():
    table = data.load_assumptions()
    assert table["source_url"].str.match(r"^https?://").all()
    assert table["as_of"].str.match(r"^\d{4}").all()


def test_holidays_are_consecutive_years_in_january_or_february():
    holidays = data.load_holidays()
    years = sorted(holidays["year"])
    assert years == list(range(years[0], years[0] + len(years)))  # no year missing in between
    assert (holidays["date"].dt.year == holidays["year"]).all()
    assert (holidays["date"].dt.month.isin([1, 2])).all()
    assert data.load_holidays(FROZEN_DATA)["year"].tolist() == list(range(2015, 2031))


def test_data_dir_can_point_elsewhere(data_copy, monkeypatch):
    edit_line(data_copy, DELIVERIES, 2, "7228", "7229")
    monkeypatch.setenv("EVR_DATA_DIR", str(data_copy))
    deliveries = data.load_deliveries()
    assert deliveries.attrs["source_file"] == str(data_copy / DELIVERIES)
    assert 7229 in deliveries["deliveries"].tolist()


# --- bad data: each message names file, line, column, value and expectation ---------------------


def test_negative_deliveries(data_copy):
    edit_line(data_copy, DELIVERIES, 3, ",10045,", ",-5,")
    message = error_for(data.load_deliveries, data_copy)
    assert str(data_copy / DELIVERIES) in message
    assert (
        "line 3, column 'deliveries': value -5 is not valid; expected a non-negative whole number"
        in message
    )


def test_non_integer_deliveries(data_copy):
    edit_line(data_copy, DELIVERIES, 4, ",10142,", ",10142.5,")
    message = error_for(data.load_deliveries, data_copy)
    assert (
        "line 4, column 'deliveries': value '10142.5' is not valid; expected a non-negative whole number"
        in message
    )


def test_wrong_type(data_copy):
    edit_line(data_copy, DELIVERIES, 5, ",12000,", ",twelve thousand,")
    message = error_for(data.load_deliveries, data_copy)
    assert "line 5, column 'deliveries': value 'twelve thousand'" in message


def test_unparseable_month(data_copy):
    edit_line(data_copy, DELIVERIES, 6, "2022-11", "2022-13")
    message = error_for(data.load_deliveries, data_copy)
    assert (
        "line 6, column 'month': value '2022-13' is not valid; expected a month as YYYY-MM"
        in message
    )


def test_duplicate_brand_month(data_copy):
    second = (data_copy / DELIVERIES).read_text().splitlines()[1]
    line = append_line(data_copy, DELIVERIES, second)
    message = error_for(data.load_deliveries, data_copy)
    assert f"line {line}: duplicate row for (brand=aito_hima, month=2022-07)" in message
    assert "line 2: duplicate row" in message


def test_row_without_source(data_copy):
    line = append_line(data_copy, DELIVERIES, "leapmotor,2030-01,100,stated,,")
    message = error_for(data.load_deliveries, data_copy)
    assert f"line {line}, column 'source_url': value is blank; expected a source URL" in message


def test_source_that_is_not_a_url(data_copy):
    line = append_line(data_copy, DELIVERIES, "leapmotor,2030-01,100,stated,my notebook,")
    message = error_for(data.load_deliveries, data_copy)
    assert f"line {line}, column 'source_url': value 'my notebook' is not valid" in message


def test_unknown_quality_flag(data_copy):
    line = append_line(
        data_copy, DELIVERIES, "leapmotor,2030-01,100,guessed,https://example.org/x,"
    )
    message = error_for(data.load_deliveries, data_copy)
    assert f"line {line}, column 'quality': value 'guessed'" in message and "derived" in message


def test_missing_column(data_copy):
    path = data_copy / DELIVERIES
    frame = pd.read_csv(path).drop(columns=["quality"])
    frame.to_csv(path, index=False)
    message = error_for(data.load_deliveries, data_copy)
    assert "line 1 (header): missing column(s) quality" in message


def test_extra_column(data_copy):
    path = data_copy / DELIVERIES
    frame = pd.read_csv(path).assign(comment="x")
    frame.to_csv(path, index=False)
    message = error_for(data.load_deliveries, data_copy)
    assert "line 1 (header): unexpected column(s) comment" in message


def test_row_with_too_many_fields(data_copy):
    line = append_line(
        data_copy, DELIVERIES, "leapmotor,2030-01,1,000,stated,https://example.org/x,"
    )
    message = error_for(data.load_deliveries, data_copy)
    assert f"line {line}: 7 fields, expected 6" in message


def test_empty_file(data_copy):
    (data_copy / DELIVERIES).write_text("")
    assert "file is empty" in error_for(data.load_deliveries, data_copy)


def test_header_only(data_copy):
    (data_copy / DELIVERIES).write_text("brand,month,deliveries,quality,source_url,note\n")
    assert "header but no data rows" in error_for(data.load_deliveries, data_copy)


def test_file_that_is_not_csv(data_copy):
    (data_copy / DELIVERIES).write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    assert "not a CSV text file" in error_for(data.load_deliveries, data_copy)


def test_text_file_that_is_not_this_csv(data_copy):
    (data_copy / DELIVERIES).write_text("<html><body>Not found</body></html>\n")
    message = error_for(data.load_deliveries, data_copy)
    assert "missing column(s) brand, month, deliveries" in message


def test_missing_file(data_copy):
    (data_copy / DELIVERIES).unlink()
    assert "file not found" in error_for(data.load_deliveries, data_copy)


def test_unknown_metric_and_unit(data_copy):
    filename = "financials_quarterly.csv"
    first = append_line(
        data_copy, filename, "Leapmotor,2026Q1,happiness,3.0,pct,https://example.org/a,"
    )
    second = append_line(
        data_copy, filename, "Leapmotor,2026Q1,revenue,3.0,EUR_bn,https://example.org/b,"
    )
    message = error_for(data.load_financials, data_copy)
    assert (
        f"line {first}, column 'metric': value 'happiness' is not valid; expected a known metric"
        in message
    )
    assert (
        f"line {second}, column 'unit': value 'EUR_bn' is not valid; expected a known unit"
        in message
    )


def test_pct_metric_needs_pct_unit(data_copy):
    line = append_line(
        data_copy,
        "financials_quarterly.csv",
        "Leapmotor,2026Q1,gross_margin_pct,14.0,RMB_mn,https://example.org/a,",
    )
    message = error_for(data.load_financials, data_copy)
    assert f"line {line}: expected unit 'pct' for a metric ending in _pct" in message
    assert message.count(f"line {line}") == 1


def test_bad_period(data_copy):
    line = append_line(
        data_copy,
        "financials_quarterly.csv",
        "Leapmotor,2026Q5,revenue,1.0,RMB_mn,https://example.org/a,",
    )
    assert f"line {line}, column 'period': value '2026Q5'" in error_for(
        data.load_financials, data_copy
    )


def test_trim_with_impossible_spec(data_copy):
    edit_line(data_copy, "vehicle_trims.csv", 2, ",249800.0,40.0,", ",249800.0,4000.0,")
    message = error_for(data.load_trims, data_copy)
    assert (
        "line 2, column 'battery_kwh': value 4000.0 is not valid; expected a battery size in kWh between 1 and 300"
        in message
    )


def test_duplicate_assumption_name(data_copy):
    line = append_line(
        data_copy, "assumptions.csv", "eu_mfn_car_duty_pct,12,pct,https://example.org/a,2025,"
    )
    message = error_for(data.load_assumptions, data_copy)
    assert f"line {line}: duplicate row for (name=eu_mfn_car_duty_pct)" in message


def test_validate_all_names_every_broken_file(data_copy):
    (data_copy / DELIVERIES).write_text("")
    (data_copy / "assumptions.csv").write_text("name,value\n")
    with pytest.raises(data.DataError) as caught:
        data.validate_all(data_copy)
    message = str(caught.value)
    assert DELIVERIES in message and "assumptions.csv" in message
    assert len(re.findall(r"problem\(s\)", message)) == 3  # the folder, then each file


def test_many_problems_are_summarised(data_copy):
    path = data_copy / DELIVERIES
    lines = path.read_text().splitlines()
    lines = [lines[0]] + [
        re.sub(r",\d+,(stated|derived|uncertain|lower_bound),", ",-1,\\1,", line)
        for line in lines[1:]
    ]
    path.write_text("\n".join(lines) + "\n")
    message = error_for(data.load_deliveries, data_copy)
    assert f"{len(lines) - 1} problem(s)" in message and "... and" in message


# --- dates exist on the calendar, numbers lie in their declared ranges -------------------------


@pytest.mark.parametrize(
    ("filename", "line", "old", "new", "expected"),
    [
        (
            "price_war_events.csv",
            2,
            "2023-01-06",
            "2026-02-31",
            "line 2, column 'date': value '2026-02-31' is not valid; expected a date that exists "
            "on the calendar",
        ),
        (
            "chinese_new_year.csv",
            2,
            "2015-02-19",
            "2015-99-99",
            "line 2, column 'date': value '2015-99-99' is not valid; expected a date as YYYY-MM-DD",
        ),
        (
            "chinese_new_year.csv",
            3,
            "2016-02-08",
            "2016-03-08",
            "line 3, column 'date': value '2016-03-08' is not valid; expected a date in January or "
            "February of the row's year",
        ),
        (
            DELIVERIES,
            6,
            "2022-11",
            "2022-13",
            "line 6, column 'month': value '2022-13' is not valid; expected a month as YYYY-MM",
        ),
        (
            "vehicle_trims.csv",
            2,
            ",2023-07,",
            ",0000-07,",
            "line 2, column 'launch_month': value '0000-07' is not valid; expected a month that "
            "exists on the calendar, from 1990 to 2100",
        ),
        (
            "assumptions.csv",
            2,
            "2025-12-29",
            "2025-02-29",
            "line 2, column 'as_of': value '2025-02-29' is not valid; expected a date that exists",
        ),
        (
            "financials_quarterly.csv",
            2,
            "2020FY",
            "0020FY",
            "line 2, column 'period': value '0020FY' is not valid; expected a period of a year",
        ),
    ],
)
def test_impossible_dates_are_named_before_any_loader_parses_them(
    data_copy, filename, line, old, new, expected
):
    """Before: 2026-02-31 and 2015-99-99 passed the format check, then pandas raised."""
    edit_line(data_copy, filename, line, old, new)
    with pytest.raises(data.DataError) as caught:
        data.validate_all(data_copy)
    assert expected in str(caught.value) and filename in str(caught.value)


@pytest.mark.parametrize(
    ("filename", "row", "expected"),
    [
        (
            "financials_quarterly.csv",
            "Leapmotor,2026Q1,gross_margin_pct,150,pct,{URL},",
            "value 150.0 is not valid; expected a percentage from -100 to 100",
        ),
        (
            "financials_quarterly.csv",
            "Leapmotor,2026Q1,revenue,1e308,RMB_mn,{URL},",
            "value 1e+308 is not valid; expected from -10,000,000 to 10,000,000 for unit RMB_mn",
        ),
        (
            "financials_quarterly.csv",
            "Leapmotor,2026Q1,vehicle_asp,-2e7,RMB,{URL},",
            "value -20000000.0 is not valid; expected from -10,000,000 to 10,000,000 for unit RMB",
        ),
        (
            "financials_quarterly.csv",
            "Leapmotor,2026Q1,overseas_outlets,-3,count,{URL},",
            "value -3.0 is not valid; expected from 0 to 24,000,000 for unit count",
        ),
        (
            "assumptions.csv",
            "industry_profit_margin_2030_pct,-150,pct,{URL},2026,",
            "value -150.0 is not valid; expected a percentage from -100 to 100 for a margin",
        ),
        (
            "assumptions.csv",
            "spain_assembly_start_month_2,13,month,{URL},2026,",
            "value 13.0 is not valid; expected from 1 to 12 for unit month",
        ),
        (
            "assumptions.csv",
            "plant_capacity_units_per_year,5e7,units_per_year,{URL},2026,",
            "value 50000000.0 is not valid; expected from 0 to 24,000,000 for unit units_per_year",
        ),
        (
            "assumptions.csv",
            "plant_cost,5,furlongs,{URL},2026,",
            "column 'unit': value 'furlongs' is not valid; expected a known unit: one of EUR",
        ),
    ],
)
def test_every_number_has_a_plausible_range_named_with_line_and_column(
    data_copy, filename, row, expected
):
    line = append_line(data_copy, filename, row.format(URL="https://example.org/a"))
    with pytest.raises(data.DataError) as caught:
        data.validate_all(data_copy)
    message = str(caught.value)
    assert f"line {line}, column '" in message and expected in message, message
    assert filename in message


def test_every_unit_of_the_financials_has_a_range():
    assert set(data.UNIT_RANGES) >= data.FINANCIAL_UNITS


# --- targets.csv: stated annual targets ---------------------------------------------------------

TARGETS = "targets.csv"
URL = "https://example.org/a"


def test_shipped_targets_name_registry_makers_with_ranges_in_order():
    targets = data.load_targets()
    assert set(targets["maker"]) <= set(data.read_dataset(data.MAKERS)["key"])
    ranged = targets.dropna(subset=["target_low_units"])
    assert (ranged["target_low_units"] <= ranged["target_units"]).all()
    assert (ranged["target_units"] <= ranged["target_high_units"]).all()
    assert set(targets["kind"]) <= data.TARGET_KINDS and set(targets["scope"]) <= data.TARGET_SCOPES


def test_frozen_targets_load_typed():
    targets = data.load_targets(FROZEN_DATA)
    assert targets["year"].dtype == "int64" and targets["target_units"].dtype == "int64"
    leap = targets[(targets["maker"] == "leapmotor") & (targets["year"] == 2026)]
    assert leap[["kind", "target_units", "stated_on"]].values.tolist() == [
        ["initial", 1_000_000, "2025-12-28"],
        ["internal", 1_050_000, "2026-02-05"],
    ]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "leapmotor,2027,series,hoped,1200000,,,2026-11-02,stated,{URL},",
            "column 'kind': value 'hoped' is not valid; expected a target kind: one of initial, "
            "internal, long_range, revised",
        ),
        (
            "leapmotor,2027,series,initial,1200000,1300000,1100000,2026-11-02,stated,{URL},",
            "column 'target_low_units': value 1300000 is not valid; expected at most "
            "target_high_units and at most target_units",
        ),
        (
            "leapmotor,2027,series,initial,1200000,1000000,,2026-11-02,stated,{URL},",
            "column 'target_low_units': value 1000000 is not valid; expected blank, or given with "
            "target_high_units",
        ),
        (
            "leap_motor,2027,series,initial,1200000,,,2026-11-02,stated,{URL},",
            "column 'maker': value 'leap_motor' is not valid; expected a maker key of makers.csv, "
            "one of aito_hima, byd, leapmotor",
        ),
        (
            "leapmotor,2027,series,initial,1200000,,,2026-02-30,stated,{URL},",
            "column 'stated_on': value '2026-02-30' is not valid; expected a date that exists on "
            "the calendar",
        ),
        (
            "leapmotor,2027,series,initial,0,,,2026-11-02,stated,{URL},",
            "column 'target_units': value 0 is not valid; expected the headline target",
        ),
        (
            "leapmotor,2026,series,initial,1000000,,,2025-12-28,stated,{URL},",
            "duplicate row for (maker=leapmotor, year=2026, scope=series, kind=initial, "
            "stated_on=2025-12-28)",
        ),
    ],
)
def test_bad_target_rows_are_named_by_file_line_and_column(data_copy, row, expected):
    line = append_line(data_copy, TARGETS, row.format(URL=URL))
    with pytest.raises(data.DataError) as caught:
        data.validate_all(data_copy)
    message = str(caught.value)
    assert str(data_copy / TARGETS) in message and f"line {line}" in message
    assert expected in message, message


def test_data_add_fills_a_new_targets_file_from_its_header(data_copy, tmp_path):
    """A data file holding only its header (a new table) takes its first rows through data add."""
    path = data_copy / TARGETS
    header, *rows = path.read_text().splitlines()
    path.write_text(header + "\n")
    assert "header but no data rows" in error_for(data.load_targets, data_copy)
    new = tmp_path / "new.csv"
    new.write_text("\n".join([header, rows[1], rows[0]]) + "\n")  # found by its header
    plan = data_add.plan_add(new, data_copy)
    assert plan.dataset is data.TARGETS and len(plan.added) == 2
    data_add.apply(plan)
    assert path.read_text().splitlines() == [header, rows[0], rows[1]]  # the file's order
    assert len(data.load_targets(data_copy)) == 2
    unknown = tmp_path / "unknown.csv"
    unknown.write_text(header + "\n" + rows[2].replace("leapmotor", "zeekr", 1) + "\n")
    with pytest.raises(
        data.DataError, match="line 2, column 'maker': value 'zeekr' is not a maker"
    ):
        data_add.plan_add(unknown, data_copy)
