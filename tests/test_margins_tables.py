"""lib.margins.tables: reader tables through lib.tables (numbers formatted, text escaped)."""

from __future__ import annotations

import pytest

from lib import margins
from tests.conftest import FROZEN_DATA


@pytest.fixture(scope="module")
def leapmotor() -> margins.Analysis:
    return margins.analyse(margins.load(margins.Params(), FROZEN_DATA))


def test_reader_tables_show_sources_and_format_numbers(leapmotor):
    events = margins.tables.events(leapmotor).to_html()
    assert "insideevs.com" in events and "Honor Edition" in events
    afford = margins.tables.affordability(leapmotor).to_html()
    assert "price cut to zero gross profit" in afford and ">15.0<" in afford
    assert "nan" not in afford.lower().replace("financ", "")
    assert "No figure" not in margins.tables.duplicates(leapmotor).to_html()


def test_history_names_the_figures_that_are_not_stated(leapmotor):
    frame = margins.tables.history(leapmotor).data
    assert list(frame.columns)[0] == "revenue (RMB mn)"
    flagged = frame["figures not stated"]
    assert flagged.str.contains("derived").any()  # a quarter solved from totals
    stated = leapmotor.panel.table
    clean = stated.index[
        (stated[[f"{c}_flag" for c in ("revenue", "deliveries")]] == "stated").all(axis=1)
        & stated["gross_margin_pct_flag"].eq("stated")
        & stated["net_margin_pct_flag"].isin(["stated"])
        & stated["revenue_per_vehicle_flag"].eq("stated")
    ]
    assert (flagged.loc[clean.astype(str)] == "").all()
    html = margins.tables.history(leapmotor).to_html()
    assert ">15.0<" in html  # 2025Q4 gross margin, one decimal


def test_fit_is_one_row_of_numbers(leapmotor):
    frame = margins.tables.fit(leapmotor).data
    assert len(frame) == 1
    assert frame["learning rate (%)"].iloc[0] == pytest.approx(100 * leapmotor.fit.learning_rate)
    assert ">13.2<" in margins.tables.fit(leapmotor).to_html()


def test_table_text_from_the_data_is_escaped(data_copy):
    path = data_copy / "price_war_events.csv"
    path.write_text(path.read_text().replace("Honor Edition", "Honor <b>Edition</b>", 1))
    hostile = margins.analyse(margins.load(margins.Params(), data_copy))
    html = margins.tables.events(hostile).to_html()
    assert "Honor &lt;b&gt;Edition&lt;/b&gt;" in html and "<b>Edition" not in html
