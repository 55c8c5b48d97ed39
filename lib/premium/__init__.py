"""Brand premium (notebook 02): what a badge adds to or takes from the guide price of a car with
given specs, and where a maker's flagship would list under each badge.

    inputs       the maker, trims and parameters, checked (MissingData, clear errors): Study
    models       the hedonic regression and brand premiums (Kennedy-corrected)
    diagnostics  residuals, collinearity, influential trims
    robustness   other samples, controls, transaction prices, price tiers
    pricing      the flagship under each badge: prices, gaps, what reaches the band
    analysis     the whole study in one call: analyse(study) -> BrandPremium
    charts       <name>_chart(result, ax=None) -> Figure, titled with the finding
    report       the report's Markdown, tables and recorded results
"""

from lib.premium import charts, report
from lib.premium.analysis import BrandPremium, analyse
from lib.premium.inputs import Study, load_study

__all__ = ["BrandPremium", "Study", "analyse", "charts", "load_study", "report"]
