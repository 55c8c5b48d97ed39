"""Brand premium (notebook 02): what a badge adds to or takes from the guide price of a car with
given specs, and where a maker's flagship would list under each badge.

The package follows the analysis contract (lib.contract): `params = Params(...)`,
`inputs = load(params)`, `result = analyse(inputs)`, `result.record()`, then `charts`, `tables`
and `text` show the result. The modules, in the order the analysis runs:

- `names`: the names the results are recorded under; `params`: the parameters
- `inputs`: `load`: the maker, trims and assumptions, checked (MissingData, BadParameter), with
  the origin of each sourced default (reference and comparison badges, flagship, price band)
- `models`: the hedonic regression and brand premiums (Kennedy-corrected)
- `diagnostics`: residuals, collinearity, influential trims
- `robustness`: other samples, controls, transaction prices, price tiers
- `pricing`: the flagship under each badge: prices, gaps, what reaches the band, launches
- `analysis`: `analyse(inputs) -> BrandPremium` (every result, the evidence floor of the
  headline) and `BrandPremium.record()`
- `charts`, `tables`, `text`: what readers see, built from the `BrandPremium`
"""

from lib import contract

# Loaded on first use (contract.lazy_exports): readers of `names` do not load the models.
__getattr__, __dir__ = contract.lazy_exports(
    __name__,
    {
        "BrandPremium": "analysis",
        "Evidence": "analysis",
    },
)
__all__ = __dir__()
