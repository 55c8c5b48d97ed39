"""Price-war margins (notebook 03): quarterly history, gross-profit bridge, learning curve,
price-cut break-even, who can afford a price war.

The contract (lib.contract, DESIGN.md): `Params` (params), `load(params) -> Inputs` (inputs:
data loaded and checked, MissingData), `analyse(inputs) -> Analysis` (analysis, which records its
results through `Analysis.record` under the names of `names`), and `charts`, `tables`, `text`
(an Analysis in; a Figure, a reader table, Markdown out). The other modules, in the order the
analysis runs: `units`, `panel` (one company's quarters), `bridge`, `learning` (Wright's law),
`breakeven` (price cut against volume, fixed costs), `affordability`.
"""

from lib import contract

# Loaded on first use (contract.lazy_exports): readers of `names` do not load the models.
__getattr__, __dir__ = contract.lazy_exports(
    __name__,
    {
        "HEADLINE_CUT": "analysis",
        "Analysis": "analysis",
    },
)
__all__ = __dir__()
