"""lib.payback.tables: reader tables escape text from data and show what the results hold."""

from __future__ import annotations

import pytest

from lib.payback import analysis, tables
from tests.conftest import payback_inputs


@pytest.fixture(scope="module")
def result():
    return analysis.analyse(payback_inputs(n_sims=2000))


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


def test_a_maker_without_a_route_gets_no_rows_for_it_and_an_empty_broker_table():
    from tests.conftest import payback_tables, with_ventures

    base = payback_tables()
    rows = base.ventures[
        (base.ventures["maker"] == "leapmotor")
        & (base.ventures["country"] != "Malaysia")
        & ~base.ventures["fact"].str.startswith("broker_")
    ]
    nio = analysis.analyse(
        payback_inputs(with_ventures(base, "nio", rows), maker="nio", n_sims=200)
    )
    assert tables.assumptions_frame(nio, "south-east asia").empty
    assert "Malaysia" not in " ".join(tables.routes_frame(nio)["strategy"])
    assert "<td" not in tables.calibration_table(nio).to_html()  # a header, no rows


def test_a_country_from_the_data_is_escaped(result):
    from lib.payback import models

    hostile = models.route_strategy("europe_assembly", "<b>Spain</b>")
    flows = dict(result.base.flows)
    flows["europe_assembly"] = type(flows["europe_assembly"])(
        **{**vars(flows["europe_assembly"]), "strategy": hostile}
    )
    changed = analysis.Analysis(**{**vars(result), "base": type(result.base)(flows)})
    html = tables.routes_table(changed).to_html()
    assert "<b>Spain" not in html and "&lt;b&gt;Spain" in html
