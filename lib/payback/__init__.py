"""Globalization payback: when does the overseas venture pay back, and how likely is it?

Modules, in the order the analysis runs: `parameters` (the notebook's model inputs), `inputs` (data,
parameter checks, sourced defaults per maker), `uncertain` (distributions and seeded draws),
`checks` (impossible inputs), `finance` (NPV, IRR, discounted payback), `models` (one car's
economics, yearly cash flows), `simulation` (Monte Carlo, tornado), `evidence` (sourced facts,
broker checks), `analysis` (everything in one call), `charts`, `tables` and `report` (the words
and the recorded results). The notebook needs only what is exported here.
"""

from lib.finance import discount_factors, discounted_payback, irr, npv
from lib.payback import charts, report, tables
from lib.payback.analysis import Analysis, analyse, base_case, best_strategy, unit_economics_table
from lib.payback.inputs import Setup, Tables, resolve
from lib.payback.models import STRATEGIES, Strategy, Timeline, cash_flows, strategy
from lib.payback.parameters import MODEL_PARAMETERS, parameter_names
from lib.payback.simulation import simulate, summarize, tornado
from lib.payback.uncertain import Uncertain, base_values, sample


def load(parameters: dict, data_dir=None) -> tuple[Setup, Tables]:
    """The data and the checked parameters: what the notebook's first cell calls. Raises on a bad
    parameter, and makers.MissingData when the data lack what the analysis needs."""
    data = Tables.load(data_dir)
    return resolve({name: parameters[name] for name in parameter_names()}, data), data


__all__ = [
    "MODEL_PARAMETERS",
    "STRATEGIES",
    "Analysis",
    "Setup",
    "Strategy",
    "Tables",
    "Timeline",
    "Uncertain",
    "analyse",
    "base_case",
    "base_values",
    "best_strategy",
    "cash_flows",
    "charts",
    "discount_factors",
    "discounted_payback",
    "irr",
    "load",
    "npv",
    "parameter_names",
    "report",
    "resolve",
    "sample",
    "simulate",
    "strategy",
    "summarize",
    "tables",
    "tornado",
    "unit_economics_table",
]
