"""lib.payback.tables: reader tables escape text from data and show what the results hold."""

from __future__ import annotations

import pytest

from lib.payback import analysis, tables
from tests.test_payback_inputs import frozen_setup, frozen_tables


@pytest.fixture(scope="module")
def result():
    return analysis.analyse(frozen_setup(n_sims=2000), frozen_tables())


def test_assumptions_show_min_mode_max_and_origin(result):
    frame = tables.assumptions_frame(result, "venture").set_index("parameter")
    assert frame.loc["europe_volume_growth_pct", "value"] == "5 / 20 / 40"
    assert frame.loc["maker_share_pct", "origin"] == "sourced"
    assert "south-east" not in " ".join(frame.index)


def test_cash_flows_end_at_the_cumulative_discounted_total(result):
    frame = tables.cash_flow_frame(result)
    flows = result.base.flows[result.best]
    from lib import finance

    assert frame["cumulative discounted"].iloc[-1] == pytest.approx(
        float(finance.npv(flows.maker[0], flows.rate[0]))
    )
    assert frame["year"].iloc[0] == "start of 2026"


def test_text_from_data_is_escaped(result):
    facts = result.facts.copy()
    facts.iloc[0, facts.columns.get_loc("note")] = "<script>alert(1)</script>"
    hostile = analysis.Analysis(**{**vars(result), "facts": facts})
    html = tables.facts_table(hostile).to_html()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_routes_table_labels_never_paying_back(result):
    frame = tables.routes_frame(result)
    assert set(frame["strategy"]) == {
        "Export from China, EU tariffs",
        "Assemble in Spain",
        "Assemble in Malaysia for South-East Asia",
    }
    assert frame["median_payback"].str.endswith(("years", "horizon")).all()
