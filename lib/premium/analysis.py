"""The whole brand-premium study in one call: `analyse(study)` fits the model once and returns
every number the report shows as a `BrandPremium` (numbers and frames, no formatted text)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import pandas as pd

from lib.premium import diagnostics, models, pricing, robustness
from lib.premium.inputs import PRICE_COLUMN, Study


@dataclass(frozen=True)
class MarketPosition:
    """Where the focus brand's priced trims sit against the band's lower edge."""

    focus_priced: int  # focus trims with a guide price
    focus_at_band: int  # of which at or above the band's lower edge
    comparisons_at_band_share: float  # share of the comparison brands' priced trims there


@dataclass(frozen=True)
class BrandPremium:
    """The results of a brand-premium study (percent, yuan, probabilities)."""

    study: Study
    fit: models.HedonicFit
    premiums: pd.DataFrame  # every brand's premium vs the reference (models.brand_premiums)
    focus: models.Premium
    elasticities: pd.DataFrame  # models.spec_elasticities
    residuals: diagnostics.Residuals
    vif: pd.DataFrame
    exactly_fitted: pd.DataFrame
    influential: pd.DataFrame
    robustness: pd.DataFrame  # robustness.robustness, the baseline first
    tiers: pd.DataFrame  # focus premium per spec-price tier
    upper_tier: pd.Series | None  # focus premium on specs worth the band's lower edge or more
    flagship_prices: pd.DataFrame  # every flagship trim under every badge (pricing)
    gaps: pd.DataFrame  # the headline trim: comparison badge minus focus badge, yuan
    reach: pd.DataFrame  # levers that put the headline trim at the band's edges
    transaction: pd.DataFrame  # premiums on list and on transaction prices
    tier_counts: pd.DataFrame  # priced trims per guide-price tier and badge
    market: MarketPosition
    launches: pd.DataFrame = field(default_factory=pd.DataFrame)  # pricing.launch_comparison

    @property
    def has_flagship(self) -> bool:
        """Whether a flagship was priced (else the flagship question does not apply)."""
        return self.study.has_flagship

    @property
    def headline_trim(self) -> pd.Series:
        """The flagship trim the answer is about (the first one priced)."""
        return self.study.flagship.iloc[0]

    @property
    def headline(self) -> pd.DataFrame:
        """The headline trim's prices, one row per badge (index: brand)."""
        prices = self.flagship_prices
        return prices[prices["trim_name"] == self.headline_trim["trim_name"]].set_index("brand")

    @property
    def own(self) -> pd.Series:
        """The headline trim priced under the focus badge."""
        return self.headline.loc[self.study.focus]

    @property
    def richest(self) -> str:
        """The badge (other than the focus) under which the headline trim lists highest."""
        return self.headline.drop(index=self.study.focus)["expected_rmb"].idxmax()

    def specification(self, name: str) -> pd.Series | None:
        """One row of the robustness table by its name ("BEV only", ...), None if not fitted."""
        table = self.robustness.set_index("specification")
        return table.loc[name] if name in table.index else None


def random_seed(study: Study) -> list[int]:
    """The seed of a maker's Monte Carlo stream: the seed parameter and a stable hash of its key
    (never its position in a list of makers)."""
    return [study.seed, zlib.crc32(study.maker.key.encode())]


def market_position(study: Study) -> MarketPosition:
    priced = study.trims.dropna(subset=[PRICE_COLUMN])
    focus = priced.loc[priced["brand"] == study.focus, PRICE_COLUMN]
    others = priced.loc[priced["brand"].isin(study.comparisons), PRICE_COLUMN]
    return MarketPosition(
        focus_priced=len(focus),
        focus_at_band=int((focus >= study.band[0]).sum()),
        comparisons_at_band_share=float((others >= study.band[0]).mean()),
    )


def analyse(study: Study) -> BrandPremium:
    """Fit the hedonic model on the study's sample and derive every result of the report."""
    level = study.confidence_level
    fit = models.fit_hedonic(study.sample, study.reference)
    split = robustness.tier_premiums(fit, study.focus, [0, study.band[0]], level)
    upper = split[split["tier_low_rmb"] >= study.band[0]]
    return BrandPremium(
        study=study,
        fit=fit,
        premiums=models.brand_premiums(fit, level),
        focus=models.premium_of(fit, study.focus, level),
        elasticities=models.spec_elasticities(fit, level),
        residuals=diagnostics.residuals(fit),
        vif=diagnostics.vif_table(fit),
        exactly_fitted=diagnostics.exactly_fitted_trims(fit),
        influential=diagnostics.influential_trims(fit, 10),
        robustness=robustness.robustness(
            study.sample, study.focus, study.reference, study.discounts, level
        ),
        tiers=robustness.tier_premiums(fit, study.focus, study.tier_edges, level),
        upper_tier=upper.iloc[0] if len(upper) else None,
        transaction=robustness.transaction_comparison(fit, study.discounts, study.badges, level),
        tier_counts=robustness.tier_counts(study.trims, study.badges, study.tier_edges),
        market=market_position(study),
        **_flagship_results(study, fit),
    )


def _flagship_results(study: Study, fit: models.HedonicFit) -> dict[str, pd.DataFrame]:
    """The flagship priced under each badge, its gaps, the levers to the band and the launches;
    empty frames when the study prices no flagship (the question does not apply)."""
    if not study.has_flagship:
        empty = pd.DataFrame()
        return {"flagship_prices": empty, "gaps": empty, "reach": empty, "launches": empty}
    prices = pricing.price_under_brands(
        fit, study.flagship, study.badges, study.band, study.prediction_level
    )
    headline_trim = study.flagship.iloc[0]
    gaps = pricing.price_gaps(
        fit,
        headline_trim,
        study.focus,
        study.comparisons,
        study.confidence_level,
        study.n_draws,
        random_seed(study),
    )
    return {
        "flagship_prices": prices,
        "gaps": gaps,
        "reach": pricing.spec_to_reach_band(fit, headline_trim, study.focus, study.band),
        "launches": pricing.launch_comparison(
            prices, study.flagship, study.launches, study.focus, study.reference, study.band
        ),
    }
