"""The report's words: every sentence and the recorded results, built from the analysis.

Text from data (names, notes) is escaped with html.escape; numbers are formatted here only."""

from __future__ import annotations

import html
import math

from lib import results
from lib.payback.analysis import Analysis
from lib.payback.inputs import OTHER_COOPERATING_CVD_ROW
from lib.payback.models import strategy
from lib.payback.parameters import MODEL_PARAMETERS
from lib.payback.simulation import LONG_PAYBACK_YEARS, SHORT_PAYBACK_YEARS, PaybackSummary

NEVER = "never within the horizon"
SMALLEST_SHOWN_PROBABILITY = 0.005  # below this a rounded '0%' would claim no risk at all


def probability_label(probability: float) -> str:
    """A probability for readers: '42%', or 'under 1%' rather than a misleading '0%'."""
    return f"{probability:.0%}" if probability >= SMALLEST_SHOWN_PROBABILITY else "under 1%"


def payback_label(years: float | None, digits: int = 1) -> str:
    """A payback for readers: '4.3 years', or 'never within the horizon' (inf or NaN)."""
    if years is None or not math.isfinite(years):
        return NEVER
    return f"{years:.{digits}f} years"


def money(rmb_mn: float) -> str:
    """RMB millions for readers: 'RMB 1.1 bn', 'RMB 350 mn'."""
    return f"RMB {rmb_mn / 1e3:,.1f} bn" if abs(rmb_mn) >= 1e3 else f"RMB {rmb_mn:,.0f} mn"


def format_number(value: float) -> str:
    """12,345 for large numbers, 20.7 for small ones: how tables show values to readers."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def _maker(analysis: Analysis) -> str:
    return html.escape(analysis.setup.maker.display_name)


def _drivers(analysis: Analysis, slug: str, n: int = 2) -> list[str]:
    names = list(analysis.tornados[slug]["input"].head(n))
    return [MODEL_PARAMETERS[name].meaning for name in names]


def describe_payback(s: PaybackSummary) -> str:
    """'a median of 6.6 years (10-90% range 2.3 years to never within the horizon)'."""
    if not math.isfinite(s.median_payback):
        return f"no median payback: {1 - s.p_payback_horizon:.0%} of draws never pay back within the horizon"
    return f"a median of {payback_label(s.median_payback)} (10-90% range {payback_label(s.payback_p10)} to {payback_label(s.payback_p90)})"


def _brief_payback(s: PaybackSummary) -> str:
    if math.isfinite(s.median_payback):
        return f"pays back in a median of {payback_label(s.median_payback)}"
    return f"has no median payback ({probability_label(1 - s.p_payback_horizon)} never pay back)"


def answer_markdown(analysis: Analysis) -> str:
    """The answer in one paragraph, every number computed."""
    best, summaries, setup = analysis.best, analysis.summaries, analysis.setup
    s, horizon, maker = summaries[best], analysis.horizon, _maker(analysis)
    others = [
        f"{strategy(slug).phrase} {_brief_payback(o)} and loses money in {probability_label(o.p_npv_negative)} of draws"
        for slug, o in summaries.items()
        if slug != best
    ]
    share = setup.mode("maker_share_pct")
    whose = (
        f"{maker}'s {share:.0f}% share of the venture"
        if share < 100
        else f"{maker}'s overseas business"
    )
    paid = (
        f"pays back in {describe_payback(s)}"
        if math.isfinite(s.median_payback)
        else f"has {describe_payback(s)}"
    )
    drivers = _drivers(analysis, best)
    moving = (
        f" The two inputs that move the answer most are the {drivers[0]} and the {drivers[1]}."
        if len(drivers) == 2
        else ""
    )
    return (
        f"**Best of the three routes: {strategy(best).phrase}.** Over {s.n:,} draws of the uncertain "
        f"inputs, {whose} {paid}, and pays back within the {horizon}-year horizon in "
        f"{probability_label(s.p_payback_horizon)} of draws (within {SHORT_PAYBACK_YEARS} years: "
        f"{probability_label(s.p_payback_5y)}, within {LONG_PAYBACK_YEARS}: {probability_label(s.p_payback_8y)}). "
        f"Its median NPV is {money(s.median_npv)} (p10 {money(s.npv_p10)}, p90 {money(s.npv_p90)}) "
        f"and it loses money in {probability_label(s.p_npv_negative)} of draws. "
        f"By comparison, {' while '.join(others)}.{moving}"
    )


def facts_markdown(analysis: Analysis) -> str:
    """European against Chinese list prices, and the duties a China-built car pays."""
    setup, ratios = analysis.setup, analysis.price_ratios
    fx, owner = setup.mode("rmb_per_eur"), _maker(analysis)
    each = ", ".join(f"{car.upper()} {r:.1f}x" for car, r in ratios.items())
    return (
        f"At {fx:g} RMB per EUR, {owner}'s European list prices are {ratios.min():.1f} to "
        f"{ratios.max():.1f} times its Chinese ones for the same nameplate ({each}). A China-built "
        f"battery car from {_maker(analysis)} pays {setup.mode('europe_cvd_pct'):g}% countervailing "
        f"duty on top of the {setup.mode('europe_mfn_duty_pct'):g}% car duty, and the venture's own "
        "accounts are not published: the rest of the notebook fills that gap with labelled assumptions."
    )


def unit_markdown(analysis: Analysis) -> str:
    """What one car earns in China, exported to Europe and assembled there."""
    unit, setup, car = analysis.unit, analysis.setup, analysis.setup.car_model.upper()
    gain = unit.step("contribution", unit.local) - unit.step("contribution", unit.exported)
    duties = setup.mode("europe_cvd_pct") + setup.mode("europe_mfn_duty_pct")
    return (
        f"One {car} sold in China earns {_maker(analysis)} a gross profit of RMB "
        f"{unit.step('contribution', unit.china):,.0f}. Sold in Europe it earns the maker RMB "
        f"{-unit.step('maker_margin', unit.exported):,.0f} on the sale to the venture and leaves the "
        f"venture RMB {unit.step('contribution', unit.exported):,.0f} after VAT, dealer margin, "
        f"freight and {duties:.1f}% duties on the customs value. Assembling the kit in Europe swaps "
        f"the tariff for a smaller parts duty and an assembly cost, adding RMB {gain:,.0f} a car, but "
        f"only for the cars the plant can take (up to {setup.mode('europe_plant_capacity_units'):,.0f} "
        f"a year from {setup.mode('europe_plant_start')}) and after its capex; in the 'Spain' route "
        "the cars beyond that are still exported."
    )


def base_markdown(analysis: Analysis) -> str:
    """The best strategy's base case: NPV, IRR and discounted payback."""
    row = analysis.base.summary().loc[analysis.best]
    return (
        f"In the base case (every uncertain input at its most likely value) "
        f"{strategy(analysis.best).phrase} has an NPV to {_maker(analysis)} of RMB "
        f"{row['npv_rmb_mn']:,.0f} mn at {row['discount_rate_pct']:.1f}%, an IRR of "
        f"{row['irr_pct']:.1f}% and a discounted payback of {payback_label(row['payback_years'])}. "
        f"Flows are yearly: the upfront investment sits at t = 0 (start of "
        f"{analysis.setup.timeline.start_year}), year t's operating cash at its end; payback is "
        "interpolated inside the year the cumulative line crosses zero for good."
    )


def calibration_markdown(analysis: Analysis) -> str:
    """The base case against CMBI's profit per car and Jefferies' T03 margins."""
    check = analysis.calibration
    cmbi, imported, gain = check.profit_per_car, check.t03_imported, check.t03_gain
    return (
        f"Two broker forecasts for {_maker(analysis)}'s overseas venture can be checked. At CMBI's 2025 volume the "
        f"base case leaves the venture RMB {cmbi.model:,.0f} a car after fixed costs, against RMB "
        f"{cmbi.broker:,.0f} implied by CMBI ({cmbi.model / cmbi.broker:.1f}x). For a T03 at EUR "
        f"{check.t03_price_eur:,.0f} the model puts the gain from assembling in Europe at "
        f"{gain.model:.0f} pp of revenue against Jefferies' {gain.broker:.0f} pp, but the margin of "
        f"an imported car at {imported.model:.0f}% against Jefferies' {imported.broker:.0f}%: "
        "Jefferies costs a European car well above what its China price implies, which is why the "
        f"export-spec cost range reaches +{analysis.setup.scenario['unit_cost_change_pct'].high:.0f}%."
    )


def uncertainty_markdown(analysis: Analysis) -> str:
    """Where the base case sits among the draws, and the Monte Carlo error."""
    s = analysis.summaries[analysis.best]
    se = max(s.standard_error(p) for p in (s.p_npv_negative, s.p_payback_5y, s.p_payback_8y))
    base_npv = analysis.base.summary().loc[analysis.best, "npv_rmb_mn"]
    rank = float((analysis.simulation.npv[analysis.best] < base_npv).mean())
    return (
        f"The base case (NPV RMB {base_npv:,.0f} mn) is above {rank:.0%} of the draws, not in their "
        "middle: the ranges of the inputs are not symmetric around their most likely values, and the "
        "venture's margin per car is thin enough that small changes in it swing the NPV widely. With "
        f"{s.n:,} draws each probability carries a Monte Carlo standard error of at most {se:.1%}; "
        "the same seed gives the same numbers."
    )


def drivers_markdown(analysis: Analysis) -> str:
    """Which inputs move the best strategy's NPV most."""
    names = list(analysis.tornados[analysis.best]["input"])
    drivers = " and the ".join(_drivers(analysis, analysis.best))
    volume_ranks = [i + 1 for i, n in enumerate(names) if "volume" in n]
    volume = (
        f"; the first volume input ranks {volume_ranks[0]} of {len(names)}" if volume_ranks else ""
    )
    return (
        "Each bar moves one input from its 10th to its 90th percentile while every other input stays "
        f"at its most likely value. For {strategy(analysis.best).phrase} the {drivers} matter most"
        f"{volume}. Tariffs are not in the chart: they are fixed inputs, set by regulation (test "
        "them with a scenario, e.g. europe_cvd_pct)."
    )


def routes_markdown(analysis: Analysis) -> str:
    """How to read the payback curves, and the volumes that cover the fixed costs."""
    need, setup = analysis.break_even, analysis.setup
    return (
        f"Each curve is the share of the {setup.n_sims:,} draws that has paid back by a given year, "
        "the same draws for every route; where a curve ends below 100% the rest never pays back "
        f"within {analysis.horizon} years. In the base case the European venture needs "
        f"{need['europe_export']:,.0f} cars a year to cover its fixed costs when it exports and "
        f"{need['europe_local']:,.0f} when every car is assembled locally; South-East Asia needs "
        f"{need['sea_local']:,.0f}, against a first-year volume of "
        f"{setup.mode('sea_volume_start_units'):,.0f}."
    )


def margin_markdown(analysis: Analysis) -> str:
    """The venture's share against the maker's whole take (its factory margin)."""
    best = analysis.best
    p_without = analysis.without_margin.summaries()[best].p_npv_negative
    p_with = analysis.with_margin.summaries()[best].p_npv_negative
    counted = " plus" if analysis.setup.include_factory_margin else ", not"
    return (
        f"The headline figures count {_maker(analysis)}'s share of the venture{counted} its own "
        "margin on the cars it sells to the venture. That margin needs no overseas capital: counting "
        f"it, the chance that {strategy(best).phrase} loses money falls from "
        f"{probability_label(p_without)} to {probability_label(p_with)}. The venture carries the "
        "risk; the factory keeps a margin on every car shipped."
    )


def caveats_markdown(analysis: Analysis) -> str:
    """Sources and caveats, the sourced figures read from the data."""
    row, setup, maker = analysis.tables.row, analysis.setup, _maker(analysis)
    share = row(setup.maker.venture_share_row).value
    sourced = (
        f"EU duties (Implementing Regulation (EU) 2024/2754: {row(setup.maker.eu_cvd_row or OTHER_COOPERATING_CVD_ROW).value:g}% "
        f"countervailing duty on {maker}'s China-built cars, plus the "
        f"{row('eu_mfn_car_duty_pct').value:g}% MFN duty), {maker}'s list "
        f"prices in Europe and China, its {share:.0f}% share of the venture, "
        "overseas volumes, outlets and targets, Spain (up to "
        f"{row('spain_assembly_capacity_units_per_year').value:,.0f} a year from "
        f"{row('spain_assembly_start_year').value:.0f}-{row('spain_assembly_start_month').value:02.0f}, about USD {row('spain_assembly_investment_usd_mn').value:,.0f} mn) and Malaysia "
        f"(EUR {row('malaysia_assembly_investment_eur_mn').value:,.0f} mn) assembly, Malaysian "
        "duties on China-built EVs, the maker's latest gross margin and transaction discount."
    )
    exemption = html.escape(row("malaysia_sales_tax_pct").note)
    return "\n".join(
        [
            f"- **Sourced** (URL in the tables): {sourced}",
            "- **Assumptions with no source** are labelled in each table: logistics per car, dealer margins, VAT rates, fixed costs per outlet, marketing, market-entry investment, exchange rates, South-East Asian prices and volumes, the discount rate and risk premia. They drive the answer as much as the sourced facts do; change them as parameters.",
            "- The venture's accounts are not public: no paid-in capital, revenue or profit. The price the venture pays the maker for a car is modelled as the maker's China net price (its China gross margin), scaled by the export-spec cost; the customs value is that price plus freight.",
            f"- Simplifications: pre-tax cash flows, no working capital, no value after the horizon (conservative for NPV), one car model stands for the whole range, a kit costs as much as a whole car (conservative for local assembly), no anti-circumvention duties on kits, the Malaysian sales tax applied to locally assembled cars although the data say: {exemption} (conservative for South-East Asia), independent draws of the uncertain inputs.",
            "- Only a maker with an overseas venture in the data is modelled (`data/makers.csv` venture_share_row): the venture, plant, price and volume rows of `data/assumptions.csv` are its venture's; the maker's own duty rate, margin and discount are used where the data have them.",
            "- Broker figures (CMBI, Jefferies) are forecasts and serve only as checks.",
        ]
    )


def record(analysis: Analysis) -> list[results.Result]:
    """Record the headline results (names and units unchanged; roles for the summary)."""
    finite = lambda x: x if math.isfinite(x) else None  # noqa: E731
    horizon, recorded = analysis.horizon, []
    short, long = SHORT_PAYBACK_YEARS, LONG_PAYBACK_YEARS
    supporting = {"spain_median_payback_years", "export_median_payback_years"}
    for slug, s in analysis.summaries.items():
        label, frame = strategy(slug).phrase, analysis.tornados[slug]
        payback_name = f"{slug}_median_payback_years"
        recorded += [
            results.record(
                f"{slug}_median_npv_rmb_mn",
                s.median_npv,
                "RMB_mn",
                f"{label}: median NPV to the maker over the horizon [p10, p90]",
                low=s.npv_p10,
                high=s.npv_p90,
            ),
            results.record(
                f"{slug}_p_npv_negative",
                s.p_npv_negative,
                "probability",
                f"{label}: probability the NPV is below zero",
            ),
            results.record(
                payback_name,
                finite(s.median_payback),
                "years",
                f"{label}: median discounted payback [p10, p90]; n/a = {NEVER} ({horizon} years)",
                low=finite(s.payback_p10),
                high=finite(s.payback_p90),
                role="supporting" if payback_name in supporting else None,
            ),
            results.record(
                f"{slug}_p_payback_{short}y",
                s.p_payback_5y,
                "probability",
                f"{label}: probability of discounted payback within {short} years",
            ),
            results.record(
                f"{slug}_p_payback_{long}y",
                s.p_payback_8y,
                "probability",
                f"{label}: probability of discounted payback within {long} years",
            ),
            results.record(
                f"{slug}_top_driver",
                frame["input"].iloc[0] if len(frame) else "none",
                "input",
                f"{label}: the input whose p10-p90 range moves the NPV most",
            ),
        ]
    best = analysis.best
    recorded += [
        results.record(
            "best_strategy",
            best,
            "strategy",
            f"highest median NPV to the maker: {strategy(best).phrase}",
            role="supporting",
        ),
        results.record(
            "best_p_payback_horizon",
            analysis.summaries[best].p_payback_horizon,
            "probability",
            f"{strategy(best).phrase}: probability of discounted payback within the {horizon}-year horizon",
            role="headline",
        ),
    ]
    return recorded
