"""Price-war margins: quarterly history, gross-profit bridge, learning curve, price-cut break-even.

Modules, in the order the analysis runs: `units` (money, percent), `panel` (one company's
quarters from the long financials file), `inputs` (parameters checked, data loaded, MissingData),
`bridge`, `learning` (Wright's law, margin at the target volume), `breakeven` (price cut against
volume, fixed costs), `affordability`, `analysis` (all of it as one result), `charts`, `report`
(prose, reader tables, recorded results). The notebook calls what this file exports.
"""

from lib.margins.analysis import HEADLINE_CUT, Analysis, analyse
from lib.margins.charts import (
    breakeven_chart,
    bridge_chart,
    gross_margin_chart,
    industry_margin_chart,
    learning_chart,
    margin_map_chart,
    net_margin_chart,
    revenue_per_vehicle_chart,
)
from lib.margins.inputs import ESTIMATE, Inputs, load_inputs
from lib.margins.report import (
    affordability_table,
    answer_markdown,
    battery_table,
    bridge_markdown,
    bridge_table,
    duplicates_table,
    events_table,
    fit_table,
    fixed_cost_table,
    history_table,
    industry_markdown,
    industry_table,
    learning_markdown,
    other_currency_note,
    record,
    sources_markdown,
)

__all__ = [
    "ESTIMATE",
    "HEADLINE_CUT",
    "Analysis",
    "Inputs",
    "affordability_table",
    "analyse",
    "answer_markdown",
    "battery_table",
    "breakeven_chart",
    "bridge_chart",
    "bridge_markdown",
    "bridge_table",
    "duplicates_table",
    "events_table",
    "fit_table",
    "fixed_cost_table",
    "gross_margin_chart",
    "history_table",
    "industry_margin_chart",
    "industry_markdown",
    "industry_table",
    "learning_chart",
    "learning_markdown",
    "load_inputs",
    "margin_map_chart",
    "net_margin_chart",
    "other_currency_note",
    "record",
    "revenue_per_vehicle_chart",
    "sources_markdown",
]
