"""The whole brand-premium analysis in one call: `analyse(inputs)` fits the model once and returns
every number the report shows as a `BrandPremium` (numbers and frames, no prose), which records
its results with `record()`."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import pandas as pd

from lib import results
from lib.premium import diagnostics, launches, models, names, pricing, robustness
from lib.premium.inputs import PRICE_COLUMN, Inputs


@dataclass(frozen=True)
class MarketPosition:
    """Where the focus brand's priced trims sit against the band's lower edge."""

    focus_priced: int  # focus trims with a guide price
    focus_at_band: int  # of which at or above the band's lower edge
    comparisons_at_band_share: float  # share of the comparison brands' priced trims there


@dataclass(frozen=True)
class Evidence:
    """Whether the maker's premium rests on enough of its own cars to be a headline: at least
    `min_trims` trims from `min_series` series, and no series whose removal moves the estimate
    outside its own interval (then it is about that series more than about the badge)."""

    trims: int
    series: int
    min_trims: int
    min_series: int
    loo_shift_pct: float | None  # largest move of the premium when one series is left out
    loo_outside: bool  # a leave-one-series-out estimate lies outside the headline interval

    @property
    def enough(self) -> bool:
        return (
            self.trims >= self.min_trims and self.series >= self.min_series and not self.loo_outside
        )

    @property
    def status(self) -> str:
        """'ok', or 'too little data (N trims, M series)' as the page and league table show it."""
        if self.enough:
            return "ok"
        return f"too little data ({count(self.trims, 'trim')}, {count(self.series, 'series')})"


def count(number: int, noun: str) -> str:
    """'1 trim', '5 trims', '2 series'."""
    return f"{number} {noun}" if number == 1 or noun.endswith("s") else f"{number} {noun}s"


def evidence(
    focus: models.Premium, robust: pd.DataFrame, min_trims: int, min_series: int
) -> Evidence:
    loo = robust[robust["group"] == "leave one series out"]["premium_pct"]
    return Evidence(
        trims=focus.trims,
        series=focus.series,
        min_trims=min_trims,
        min_series=min_series,
        loo_shift_pct=float((loo - focus.premium_pct).abs().max()) if len(loo) else None,
        loo_outside=bool(((loo < focus.low_pct) | (loo > focus.high_pct)).any()),
    )


@dataclass(frozen=True)
class BrandPremium:
    """The results of notebook 02 (percent, yuan, probabilities)."""

    inputs: Inputs
    fit: models.HedonicFit
    premiums: pd.DataFrame  # every brand's premium vs the reference (models.brand_premiums)
    focus: models.Premium
    evidence: Evidence
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
    market: MarketPosition | None  # None: no band to measure against
    launches: pd.DataFrame = field(default_factory=pd.DataFrame)  # pricing.launch_comparison
    launch_record: launches.LaunchRecord | None = None  # every launch since 2024, priced before

    @property
    def has_flagship(self) -> bool:
        """Whether a flagship was priced (else the flagship question does not apply)."""
        return self.inputs.has_flagship

    @property
    def headline_trim(self) -> pd.Series:
        """The flagship trim the answer is about (the first one priced)."""
        return self.inputs.flagship.iloc[0]

    @property
    def headline(self) -> pd.DataFrame:
        """The headline trim's prices, one row per badge (index: brand)."""
        prices = self.flagship_prices
        return prices[prices["trim_name"] == self.headline_trim["trim_name"]].set_index("brand")

    @property
    def own(self) -> pd.Series:
        """The headline trim priced under the focus badge."""
        return self.headline.loc[self.inputs.focus]

    @property
    def richest(self) -> str:
        """The badge (other than the focus) under which the headline trim lists highest."""
        return self.headline.drop(index=self.inputs.focus)["expected_rmb"].idxmax()

    def specification(self, name: str) -> pd.Series | None:
        """One row of the robustness table by its name ("BEV only", ...), None if not fitted."""
        table = self.robustness.set_index("specification")
        return table.loc[name] if name in table.index else None

    def record(self) -> None:
        """Record every result under the names of `lib.premium.names` (read by the summary,
        the league table, the history and the tests: keep them stable)."""
        self._record_premium()
        if self.inputs.band is not None:
            results.record(
                names.PRICE_BAND,
                band_text(self.inputs.band),
                "text",
                "the target guide-price band of the flagship question",
            )
        if self.has_flagship:
            self._record_flagship()
        else:
            results.record(
                names.FLAGSHIP_SERIES, None, "series", f"not applicable: {self.inputs.no_flagship}"
            )
        if self.evidence.enough:  # a thin estimate's variants are no more a headline than it is
            self._record_other_samples()
        self._record_launch()
        self._record_launch_record()
        self._record_model()

    def _record_premium(self) -> list[results.Result]:
        """The headline premium, or no number when it rests on too little of the maker's own
        data (the status says how little)."""
        inputs, focus, evidence = self.inputs, self.focus, self.evidence
        brand, reference, ci = (
            inputs.focus,
            inputs.reference,
            f"{inputs.params.confidence_level:.0%}",
        )
        if evidence.enough:
            headline = results.record(
                names.FOCUS_PREMIUM_PCT,
                focus.premium_pct,
                "pct",
                f"{brand} guide-price premium vs {reference} for the same specs "
                f"(Kennedy-corrected; low/high = {ci} CI, clustered by series)",
                low=focus.low_pct,
                high=focus.high_pct,
                role="headline",
            )
        else:
            headline = results.record(
                names.FOCUS_PREMIUM_PCT,
                None,
                "pct",
                f"{evidence.status}: {brand}'s guide-price premium vs {reference} is no headline "
                f"(it needs at least {evidence.min_trims} trims from {evidence.min_series} series, "
                "none of which moves it outside its interval when left out)",
                role="headline",
            )
        return [
            headline,
            results.record(
                names.FOCUS_PREMIUM_STATUS,
                evidence.status,
                "text",
                f"whether {brand}'s premium rests on enough of its own trims and series",
            ),
            results.record(names.FOCUS_TRIMS, focus.trims, "trims", f"{brand} trims in the model"),
            results.record(
                names.FOCUS_SERIES, focus.series, "series", f"{brand} series in the model"
            ),
            results.record(
                names.FOCUS_BRAND, brand, "brand", "the maker's badge, priced against the others"
            ),
        ]

    def _record_flagship(self) -> list[results.Result]:
        """The flagship series, its price under the maker's badge, its chance in the band and
        the gap to each comparison badge (with the table of which badge each gap is)."""
        inputs, trim, own = self.inputs, self.headline_trim, self.own
        brand, name = inputs.focus, trim["trim_name"]
        ci, pi = f"{inputs.params.confidence_level:.0%}", f"{inputs.params.prediction_level:.0%}"
        recorded = [
            results.record(
                names.FLAGSHIP_SERIES,
                str(trim["series"]),
                "series",
                "the flagship series priced under each badge",
            ),
        ]
        for row in self.gaps.itertuples():
            recorded.append(
                results.record(
                    names.gap_to(row.brand),
                    row.gap_rmb,
                    "RMB",
                    f"expected guide price of the {name} spec under {row.brand} minus under "
                    f"{brand} (positive = {brand} lists lower; low/high = {ci} interval)",
                    low=row.low_rmb,
                    high=row.high_rmb,
                )
            )
        gap_brands = pd.DataFrame(
            {"brand": self.gaps["brand"], "result": [names.gap_to(b) for b in self.gaps["brand"]]}
        )
        results.record_table(
            names.GAP_BRANDS, gap_brands, "brand", "the badge of each gap_to_*_rmb result"
        )
        return recorded + [
            results.record(
                names.FLAGSHIP_PRICE_RMB,
                own["expected_rmb"],
                "RMB",
                f"{name} spec under the {brand} badge: expected guide price (lognormal mean); "
                f"low/high = {pi} prediction interval",
                low=own["low_rmb"],
                high=own["high_rmb"],
                role="supporting",
            ),
            results.record(
                names.P_FLAGSHIP_IN_BAND,
                own["p_in_band"],
                "probability",
                f"probability that the {name} spec's {brand} guide price is in "
                f"{band_text(inputs.band)}",
                role="supporting",
            ),
        ]

    def _record_other_samples(self) -> list[results.Result]:
        """The premium on battery-electric trims, on transaction prices and at the top."""
        inputs = self.inputs
        brand, reference, ci = (
            inputs.focus,
            inputs.reference,
            f"{inputs.params.confidence_level:.0%}",
        )
        recorded = []
        for spec, name, meaning in [
            ("BEV only", names.FOCUS_PREMIUM_BEV_ONLY_PCT, ", battery-electric trims only"),
            (
                "Transaction prices",
                names.FOCUS_PREMIUM_TRANSACTION_PCT,
                " on guide price x (1 - brand discount)",
            ),
        ]:
            row = self.specification(spec)
            if row is not None:
                recorded.append(
                    results.record(
                        name,
                        row["premium_pct"],
                        "pct",
                        f"{brand} premium vs {reference}{meaning} (low/high = {ci} CI)",
                        low=row["low_pct"],
                        high=row["high_pct"],
                    )
                )
        upper = self.upper_tier
        if upper is not None:
            recorded.append(
                results.record(
                    names.FOCUS_PREMIUM_UPPER_TIER_PCT,
                    upper["premium_pct"],
                    "pct",
                    f"{brand} premium vs {reference} on trims whose specs are worth "
                    f"{inputs.band[0]:,.0f}+ yuan at a {reference} badge "
                    f"({int(upper['focus_trims'])} trims; low/high = {ci} CI)",
                    low=upper["low_pct"],
                    high=upper["high_pct"],
                )
            )
        return recorded

    def _record_model(self) -> list[results.Result]:
        return [
            results.record(
                names.REFERENCE_BRAND,
                self.inputs.reference,
                "brand",
                "brand the premiums are measured against",
            ),
            results.record(
                names.N_TRIMS_USED,
                self.fit.n_trims,
                "trims",
                "trims in the hedonic model (price and every spec known)",
            ),
        ]

    def _record_launch(self) -> list[results.Result]:
        """The flagship series' launch range against the model (when its launch is sourced)."""
        launches = self.launches
        if launches.empty:
            return []
        priced = launches[launches["priced"]]
        row = priced.iloc[0] if len(priced) else launches.iloc[0]
        series, reference = row["series"], self.inputs.reference
        recorded = [
            results.record(
                names.LAUNCH_SERIES,
                series,
                "series",
                "the launched series compared with the model",
            ),
            results.record(
                names.LAUNCH_PRICE_LOW_RMB,
                row["launch_low_rmb"],
                "RMB",
                f"{series} launch guide price, low end (data/assumptions.csv)",
            ),
            results.record(
                names.LAUNCH_PRICE_HIGH_RMB,
                row["launch_high_rmb"],
                "RMB",
                f"{series} launch guide price, high end",
            ),
            results.record(
                names.LAUNCH_IN_BAND_ANSWER,
                launch_band_answer(launches, self.inputs.band).split(": ", 1)[-1],
                "text",
                "the band question answered with the launch prices",
            ),
        ]
        if not row["priced"]:
            return recorded
        edges = (row["implied_premium_low_pct"], row["implied_premium_high_pct"])
        return recorded + [
            results.record(
                names.LAUNCH_IMPLIED_PREMIUM_PCT,
                sum(edges) / 2,
                "pct",
                f"premium vs {reference} implied by the {series} launch prices for its specs "
                "(low/high: the range's two edges)",
                low=min(edges),
                high=max(edges),
            ),
            results.record(
                names.LAUNCH_VS_MODEL_HIGH_PCT,
                row["launch_vs_model_high_pct"],
                "pct",
                f"{series} top launch price against the model's expected price for its dearest "
                "spec",
            ),
        ]

    def _record_launch_record(self) -> list[results.Result]:
        """The record's size and scores, overall and for the maker's own launches (no number
        when it has none, the meaning says why), and its rows as a table."""
        record = self.launch_record
        if record is None or record.overall is None:
            return []
        level, since = f"{record.confidence_level:.0%}", launches.RECORD_START
        overall, own, maker = record.overall, record.own, record.maker
        how = "each priced by the model fitted on the trims known before its launch month"
        recorded = [
            results.record(
                names.LAUNCH_RECORD_CARS,
                overall.cars,
                "cars",
                f"cars launched since {since}, {how}",
            ),
            results.record(
                names.LAUNCH_RECORD_SERIES, overall.series, "series", "series of those cars"
            ),
            results.record(
                names.LAUNCH_RECORD_MAE_PCT,
                overall.mae_pct,
                "pct",
                "median absolute error of those prices, % of the guide price (low/high = "
                f"{level} interval, resampling series)",
                low=overall.mae_low,
                high=overall.mae_high,
            ),
            results.record(
                names.LAUNCH_RECORD_COVERAGE80_PCT,
                overall.coverage_pct,
                "pct",
                f"share of those guide prices inside their 80% prediction interval (goal 80%; "
                f"low/high = {level} interval, resampling series)",
                low=overall.coverage_low,
                high=overall.coverage_high,
            ),
            results.record(
                names.LAUNCH_RECORD_OWN_CARS,
                own.cars if own else 0,
                "cars",
                f"{maker}'s cars in the record" + ("" if own else f": {record.own_reason}"),
            ),
        ]
        recorded += self._record_own_scores(record)
        table = record.cars[RECORD_TABLE_COLUMNS].round({c: 0 for c in RECORD_YUAN})
        results.record_table(
            names.LAUNCH_RECORD,
            table,
            "RMB",
            f"every car launched since {since}, {how}: guide price, predicted median and 80% "
            "prediction interval (yuan), inside or not, badge known before or not",
        )
        return recorded

    def _record_own_scores(self, record: launches.LaunchRecord) -> list[results.Result]:
        own, maker, level = record.own, record.maker, f"{record.confidence_level:.0%}"
        none = f"not applicable: {record.own_reason}"
        return [
            results.record(
                names.LAUNCH_RECORD_OWN_MAE_PCT,
                own.mae_pct if own else None,
                "pct",
                f"median absolute error of {maker}'s launches priced before launch, % of the "
                f"guide price (low/high = {level} interval, resampling series)"
                if own
                else none,
                low=own.mae_low if own else None,
                high=own.mae_high if own else None,
            ),
            results.record(
                names.LAUNCH_RECORD_OWN_COVERAGE80_PCT,
                own.coverage_pct if own else None,
                "pct",
                f"share of {maker}'s launch guide prices inside their 80% prediction interval "
                f"(low/high = {level} interval, resampling series)"
                if own
                else none,
                low=own.coverage_low if own else None,
                high=own.coverage_high if own else None,
            ),
        ]


RECORD_YUAN = ["guide_rmb", "predicted_rmb", "low_rmb", "high_rmb"]
RECORD_TABLE_COLUMNS = [
    "maker",
    "brand",
    "series",
    "trim_name",
    "launch_month",
    *RECORD_YUAN,
    "inside",
    "badge_known",
    "price_source",
]


def band_text(band: tuple[float, float]) -> str:
    return f"{band[0]:,.0f}-{band[1]:,.0f} yuan"


def yuan_range(low: float, high: float) -> str:
    return f"{low:,.0f}-{high:,.0f} yuan"


def launch_band_answer(launches: pd.DataFrame, band: tuple[float, float]) -> str:
    """The band question answered with the launch prices, in one sentence (plain text)."""
    inside = launches[~launches["in_band"].isin(["below", "above"])]
    if inside.empty:
        return f"No launched series lists inside {band_text(band)}"
    parts = [
        f"the {r.series} ({yuan_range(r.launch_low_rmb, r.launch_high_rmb)}, {r.in_band})"
        for r in launches.itertuples()
    ]
    which = " and ".join(inside["series"])
    return (
        f"With the real prices, the band question has its answer: the {which} "
        f"{'lists' if len(inside) == 1 else 'list'} inside {band_text(band)}, at least in part: "
        + "; ".join(parts)
    )


def random_seed(inputs: Inputs) -> list[int]:
    """The seed of a maker's Monte Carlo stream: the seed parameter and a stable hash of its key
    (never its position in a list of makers)."""
    return [inputs.params.seed, zlib.crc32(inputs.maker.key.encode())]


def market_position(inputs: Inputs) -> MarketPosition | None:
    if inputs.band is None:
        return None
    priced = inputs.trims.dropna(subset=[PRICE_COLUMN])
    focus = priced.loc[priced["brand"] == inputs.focus, PRICE_COLUMN]
    others = priced.loc[priced["brand"].isin(inputs.comparisons), PRICE_COLUMN]
    return MarketPosition(
        focus_priced=len(focus),
        focus_at_band=int((focus >= inputs.band[0]).sum()),
        comparisons_at_band_share=float((others >= inputs.band[0]).mean()),
    )


def upper_tier(fit: models.HedonicFit, inputs: Inputs) -> pd.Series | None:
    """The focus premium on specs worth the band's lower edge or more (None without a band or
    without such a trim)."""
    if inputs.band is None:
        return None
    split = robustness.tier_premiums(
        fit, inputs.focus, [0, inputs.band[0]], inputs.params.confidence_level
    )
    upper = split[split["tier_low_rmb"] >= inputs.band[0]]
    return upper.iloc[0] if len(upper) else None


def analyse(inputs: Inputs) -> BrandPremium:
    """Fit the hedonic model on the inputs' sample and derive every result of the report."""
    level = inputs.params.confidence_level
    fit = models.fit_hedonic(inputs.sample, inputs.reference)
    focus = models.premium_of(fit, inputs.focus, level)
    robust = robustness.robustness(
        inputs.sample, inputs.focus, inputs.reference, inputs.discounts, level
    )
    return BrandPremium(
        inputs=inputs,
        fit=fit,
        premiums=models.brand_premiums(fit, level),
        focus=focus,
        evidence=evidence(
            focus, robust, inputs.params.min_brand_trims, inputs.params.min_brand_series
        ),
        elasticities=models.spec_elasticities(fit, level),
        residuals=diagnostics.residuals(fit),
        vif=diagnostics.vif_table(fit),
        exactly_fitted=diagnostics.exactly_fitted_trims(fit),
        influential=diagnostics.influential_trims(fit, 10),
        robustness=robust,
        tiers=robustness.tier_premiums(fit, inputs.focus, inputs.tier_edges, level),
        upper_tier=upper_tier(fit, inputs),
        transaction=robustness.transaction_comparison(fit, inputs.discounts, inputs.badges, level),
        tier_counts=robustness.tier_counts(inputs.trims, inputs.badges, inputs.tier_edges),
        market=market_position(inputs),
        launch_record=launches.launch_record(inputs),
        **_flagship_results(inputs, fit),
    )


def _flagship_results(inputs: Inputs, fit: models.HedonicFit) -> dict[str, pd.DataFrame]:
    """The flagship priced under each badge, its gaps, the levers to the band and the launches;
    empty frames when no flagship is priced (the question does not apply)."""
    if not inputs.has_flagship:
        empty = pd.DataFrame()
        return {"flagship_prices": empty, "gaps": empty, "reach": empty, "launches": empty}
    prices = pricing.price_under_brands(
        fit, inputs.flagship, inputs.badges, inputs.band, inputs.params.prediction_level
    )
    headline_trim = inputs.flagship.iloc[0]
    gaps = pricing.price_gaps(
        fit,
        headline_trim,
        inputs.focus,
        inputs.comparisons,
        inputs.params.confidence_level,
        inputs.params.n_draws,
        random_seed(inputs),
    )
    return {
        "flagship_prices": prices,
        "gaps": gaps,
        "reach": pricing.spec_to_reach_band(fit, headline_trim, inputs.focus, inputs.band),
        "launches": pricing.launch_comparison(
            prices, inputs.flagship, inputs.launches, inputs.focus, inputs.reference, inputs.band
        ),
    }
