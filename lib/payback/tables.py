"""Tables for readers, built from the analysis and shown through lib.tables.reader_table (every
cell escaped). Numbers keep their values; the formats say how they read."""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from lib.payback.analysis import Analysis
from lib.payback.params import ASSUMPTION_GROUPS, MODEL_INPUTS, meaning, unit
from lib.payback.text import payback_label, probability_label
from lib.payback.uncertain import Uncertain
from lib.tables import reader_table

ONE_DECIMAL = "{:,.1f}"
VALUE = "{:,.7g}"  # a value as the data or the parameter gives it: 26,900, 20.7, 0.5


def _input_text(item: Uncertain | str) -> str:
    """An input as it was given: a month, a number, or its range (a cell of text)."""
    if isinstance(item, str):
        return item
    if item.is_fixed:
        return VALUE.format(item.mode)
    low, mode, high = (VALUE.format(x) for x in (item.low, item.mode, item.high))
    return f"{low} to {high} (uniform)" if item.kind == "uniform" else f"{low} / {mode} / {high}"


def assumptions_frame(analysis: Analysis, group: str | None = None) -> pd.DataFrame:
    """Parameter, meaning, value used (min / mode / max for uncertain ones), unit, origin, source;
    the inputs of a route the maker has no venture for are left out (not modelled)."""
    inputs = analysis.inputs
    names = ASSUMPTION_GROUPS[group] if group else MODEL_INPUTS
    rows = [
        {
            "parameter": name,
            "meaning": meaning(name),
            "value": _input_text(inputs.scenario[name]),
            "unit": unit(name),
            "origin": inputs.resolved[name].origin,
            "source": inputs.resolved[name].source,
        }
        for name in names
        if name in inputs.scenario
    ]
    columns = ["parameter", "meaning", "value", "unit", "origin", "source"]
    return pd.DataFrame(rows, columns=columns)


def assumptions_table(analysis: Analysis, group: str | None = None) -> Styler:
    return reader_table(assumptions_frame(analysis, group))


def facts_table(analysis: Analysis) -> Styler:
    """The sourced facts on going overseas, with their sources."""
    facts = analysis.facts.reset_index()
    shown = facts[["topic", "fact", "value", "unit", "as_of", "source", "note"]]
    return reader_table(shown, {"value": VALUE})


def cash_flow_frame(analysis: Analysis) -> pd.DataFrame:
    """The best strategy's base case year by year (RMB mn, cars), t = 0 first."""
    flows = analysis.base.flows[analysis.best]
    timeline = flows.timeline
    factors = (1 + flows.rate[0]) ** -pd.RangeIndex(timeline.horizon_years + 1).to_numpy()
    frame = pd.DataFrame(
        {
            "t": range(timeline.horizon_years + 1),
            "year": [f"start of {timeline.start_year}", *map(str, timeline.calendar_years)],
            "cars sold": flows.volume[0].round(),
            "of which assembled locally": flows.local_units[0].round(),
            "contribution": flows.contribution[0],
            "fixed costs": -flows.fixed_costs[0],
            "investment": -flows.investment[0],
            "venture cash flow": flows.venture[0],
            "maker cash flow": flows.maker[0],
            "discounted": flows.maker[0] * factors,
        }
    )
    frame["cumulative discounted"] = frame["discounted"].cumsum()
    return frame


def cash_flow_table(analysis: Analysis) -> Styler:
    frame = cash_flow_frame(analysis)
    money = {c: ONE_DECIMAL for c in frame.columns if c not in ("t", "year")}
    return reader_table(frame, money)


def base_table(analysis: Analysis) -> Styler:
    """NPV, IRR and discounted payback of each strategy in the base case."""
    table = analysis.base.summary()
    table["payback"] = table["payback_years"].map(payback_label)
    shown = table[["label", "npv_rmb_mn", "irr_pct", "payback", "discount_rate_pct"]]
    formats = {"npv_rmb_mn": "{:,.0f}", "irr_pct": ONE_DECIMAL, "discount_rate_pct": ONE_DECIMAL}
    return reader_table(shown, formats, na_rep="n/a")


def calibration_table(analysis: Analysis) -> Styler:
    """The broker figures on the maker's venture next to the model's (no rows: none in the data)."""
    columns = ["check", "broker", "model", "broker_source", "url"]
    frame = pd.DataFrame([vars(c) for c in analysis.calibration.checks], columns=columns)
    frame = frame.rename(columns={"broker_source": "broker source"})
    return reader_table(frame, {"broker": ONE_DECIMAL, "model": ONE_DECIMAL})


def drivers_table(analysis: Analysis) -> Styler:
    """The two inputs that move each strategy's NPV most, with their swings."""
    rows = []
    for slug, frame in analysis.tornados.items():
        top = frame.head(2)
        rows.append(
            {
                "strategy": analysis.base.flows[slug].strategy.label,
                **{f"driver {i + 1}": name for i, name in enumerate(top["input"])},
                **{f"NPV swing {i + 1}, RMB mn": swing for i, swing in enumerate(top["swing"])},
            }
        )
    return reader_table(
        pd.DataFrame(rows), {c: "{:,.0f}" for c in ("NPV swing 1, RMB mn", "NPV swing 2, RMB mn")}
    )


def routes_frame(analysis: Analysis) -> pd.DataFrame:
    """The Monte Carlo summary of every strategy, one row each."""
    table = analysis.simulation.summary()
    table.index = [analysis.base.flows[slug].strategy.label for slug in table.index]
    for column in ("median_payback", "payback_p10", "payback_p90"):
        table[column] = table[column].map(payback_label)
    return table.rename_axis("strategy").reset_index()


def routes_table(analysis: Analysis) -> Styler:
    frame = routes_frame(analysis)
    formats = {c: "{:,.0f}" for c in ("median_npv", "npv_p10", "npv_p90")}
    formats |= {c: "{:.0%}" for c in frame.columns if c.startswith("p_")}
    return reader_table(frame, formats)


def margin_table(analysis: Analysis) -> Styler:
    """P(NPV < 0) with and without the maker's factory margin, and the median payback with it."""
    without, with_margin = analysis.without_margin.summaries(), analysis.with_margin.summaries()
    rows = [
        {
            "strategy": analysis.base.flows[slug].strategy.label,
            "P(NPV < 0), venture share only": probability_label(without[slug].p_npv_negative),
            "P(NPV < 0), with the maker's factory margin": probability_label(
                with_margin[slug].p_npv_negative
            ),
            "median payback, with the maker's factory margin": payback_label(
                with_margin[slug].median_payback
            ),
        }
        for slug in without
    ]
    return reader_table(pd.DataFrame(rows))
