"""Globalization payback: when do the maker's overseas ventures pay back, and how likely is it?

The contract every analysis package follows (lib.contract, DESIGN.md): `Params` (params), `load`
(inputs: the data, the parameters checked against the maker's ventures, sourced defaults),
`analyse` -> `Analysis` (analysis; `Analysis.record()` records the results under the `names`
constants), `charts`, `tables` and `text`. The model's own modules, in the order it runs:
`ventures` (the maker's ventures in data/ventures.csv and the routes they give), `uncertain`
(distributions and seeded draws), `checks` (impossible inputs), `models` (one car's economics,
yearly cash flows), `simulation` (Monte Carlo, tornado), `evidence` (sourced facts, broker
checks); NPV, IRR and payback are lib.finance's."""

from lib import contract

# Loaded on first use (contract.lazy_exports): readers of `names` do not load the models.
__getattr__, __dir__ = contract.lazy_exports(
    __name__,
    {
        "Analysis": "analysis",
    },
)
__all__ = __dir__()
