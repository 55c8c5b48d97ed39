"""The report's words: every sentence, built from the analysis (the results are recorded by
`Analysis.record`). Text from data (names, countries, notes) is escaped with html.escape."""

from __future__ import annotations

import html
import math

from lib.payback.analysis import Analysis
from lib.payback.params import meaning
from lib.payback.simulation import LONG_PAYBACK_YEARS, SHORT_PAYBACK_YEARS, PaybackSummary

NEVER = "never within the horizon"
SMALLEST_SHOWN_PROBABILITY = 0.005  # below this a rounded '0%' would claim no risk at all
COUNTS = {1: "one", 2: "two", 3: "three"}


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


def _maker(analysis: Analysis) -> str:
    return html.escape(analysis.inputs.maker.display_name)


def _phrase(analysis: Analysis, slug: str) -> str:
    return html.escape(analysis.strategy(slug).phrase)  # a country from the data inside


def _drivers(analysis: Analysis, slug: str, n: int = 2) -> list[str]:
    return [meaning(name) for name in analysis.tornados[slug]["input"].head(n)]


def describe_payback(s: PaybackSummary) -> str:
    """'a median of 6.6 years (10-90% range 2.3 years to never within the horizon)'; no range
    when it has no width."""
    if not math.isfinite(s.median_payback):
        never = 1 - s.p_payback_horizon
        return f"no median payback: {never:.0%} of draws never pay back within the horizon"
    median = f"a median of {payback_label(s.median_payback)}"
    if s.payback_p10 == s.payback_p90:
        return median
    low, high = payback_label(s.payback_p10), payback_label(s.payback_p90)
    return f"{median} (10-90% range {low} to {high})"


def _brief_payback(s: PaybackSummary) -> str:
    if math.isfinite(s.median_payback):
        return f"pays back in a median of {payback_label(s.median_payback)}"
    return f"has no median payback ({probability_label(1 - s.p_payback_horizon)} never pay back)"


def _npv_range(s: PaybackSummary) -> str:
    """' (p10 ..., p90 ...)', or nothing when the draws' NPV has no spread."""
    if math.isclose(s.npv_p10, s.npv_p90):
        return ""
    return f" (p10 {money(s.npv_p10)}, p90 {money(s.npv_p90)})"


def answer_markdown(analysis: Analysis) -> str:
    """The answer in one paragraph, every number computed."""
    best, summaries, inputs = analysis.best, analysis.summaries, analysis.inputs
    s, horizon, maker = summaries[best], analysis.horizon, _maker(analysis)
    others = [
        f"{_phrase(analysis, slug)} {_brief_payback(o)} and loses money in "
        f"{probability_label(o.p_npv_negative)} of draws"
        for slug, o in summaries.items()
        if slug != best
    ]
    share = inputs.mode("maker_share_pct")
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
    compared = f" By comparison, {' while '.join(others)}." if others else ""
    routes = len(summaries)
    heading = (
        f"Best of the {COUNTS.get(routes, routes)} routes"
        if routes > 1
        else "The one route modelled"
    )
    return (
        f"**{heading}: {_phrase(analysis, best)}.** Over {s.n:,} draws of the uncertain inputs, "
        f"{whose} {paid}, and pays back within the {horizon}-year horizon in "
        f"{probability_label(s.p_payback_horizon)} of draws (within {SHORT_PAYBACK_YEARS} years: "
        f"{probability_label(s.p_payback_5y)}, within {LONG_PAYBACK_YEARS}: "
        f"{probability_label(s.p_payback_8y)}). Its median NPV is {money(s.median_npv)}"
        f"{_npv_range(s)} and it loses money in {probability_label(s.p_npv_negative)} of draws."
        f"{compared}{moving}"
    )


def outcome_markdown(analysis: Analysis) -> str:
    """How good such answers have been: no overseas venture has an outcome to score them yet."""
    return (
        f"**How good are these answers? Not known yet.** No overseas venture of {_maker(analysis)} "
        "has an outcome to score them against: the ventures publish no accounts, and none has "
        "reached the end of a payback horizon. Unlike the sales, pricing and margin answers, this "
        "one has no record; read it as a model of sourced facts and labelled assumptions."
    )


def facts_markdown(analysis: Analysis) -> str:
    """European against Chinese list prices, and the duties a China-built car pays."""
    inputs, ratios = analysis.inputs, analysis.price_ratios
    fx, owner = inputs.mode("rmb_per_eur"), _maker(analysis)
    each = ", ".join(f"{html.escape(car.upper())} {r:.1f}x" for car, r in ratios.items())
    return (
        f"At {fx:g} RMB per EUR, {owner}'s European list prices are {ratios.min():.1f} to "
        f"{ratios.max():.1f} times its Chinese ones for the same nameplate ({each}). A China-built "
        f"battery car from {owner} pays {inputs.mode('europe_cvd_pct'):g}% countervailing "
        f"duty on top of the {inputs.mode('europe_mfn_duty_pct'):g}% car duty, and the venture's "
        "own accounts are not published: the rest of the notebook fills that gap with labelled "
        "assumptions."
    )


def unit_markdown(analysis: Analysis) -> str:
    """What one car earns in China, exported to Europe and assembled there."""
    unit, inputs = analysis.unit, analysis.inputs
    car = html.escape(inputs.car_model.upper())
    gain = unit.step("contribution", unit.local) - unit.step("contribution", unit.exported)
    duties = inputs.mode("europe_cvd_pct") + inputs.mode("europe_mfn_duty_pct")
    if "europe_assembly" in inputs.routes:
        label = html.escape(analysis.strategy("europe_assembly").label)
        plant = (
            f"but only for the cars the plant can take (up to "
            f"{inputs.mode('europe_plant_capacity_units'):,.0f} a year from "
            f"{inputs.mode('europe_plant_start')}) and after its capex; in the '{label}' route "
            "the cars beyond that are still exported."
        )
    else:
        plant = f"but {_maker(analysis)} has no European assembly venture in the data to do it."
    return (
        f"One {car} sold in China earns {_maker(analysis)} a gross profit of RMB "
        f"{unit.step('contribution', unit.china):,.0f}. Sold in Europe it earns the maker RMB "
        f"{-unit.step('maker_margin', unit.exported):,.0f} on the sale to the venture and leaves "
        f"the venture RMB {unit.step('contribution', unit.exported):,.0f} after VAT, dealer "
        f"margin, freight and {duties:.1f}% duties on the customs value. Assembling the kit in "
        "Europe swaps the tariff for a smaller parts duty and an assembly cost, adding RMB "
        f"{gain:,.0f} a car, {plant}"
    )


def base_markdown(analysis: Analysis) -> str:
    """The best strategy's base case: NPV, IRR and discounted payback."""
    row = analysis.base.summary().loc[analysis.best]
    return (
        f"In the base case (every uncertain input at its most likely value) "
        f"{_phrase(analysis, analysis.best)} has an NPV to {_maker(analysis)} of RMB "
        f"{row['npv_rmb_mn']:,.0f} mn at {row['discount_rate_pct']:.1f}%, an IRR of "
        f"{row['irr_pct']:.1f}% and a discounted payback of {payback_label(row['payback_years'])}. "
        f"Flows are yearly: the upfront investment sits at t = 0 (start of "
        f"{analysis.inputs.timeline.start_year}), year t's operating cash at its end; payback is "
        "interpolated inside the year the cumulative line crosses zero for good."
    )


def calibration_markdown(analysis: Analysis) -> str:
    """The base case against the broker figures on the maker's venture, or that there are none."""
    check, maker = analysis.calibration, _maker(analysis)
    if not check.checks:
        return (
            f"No broker figures on {maker}'s overseas ventures are in the data "
            "(data/ventures.csv, facts broker_*): the base case is not checked against any."
        )
    parts = []
    if check.profit_per_car:
        profit = check.profit_per_car
        parts.append(
            f"At the broker's volume the base case leaves the venture RMB {profit.model:,.0f} a "
            f"car after fixed costs, against RMB {profit.broker:,.0f} implied by the broker's "
            f"profit forecast ({profit.model / profit.broker:.1f}x)."
        )
    if check.margins:
        imported, _, gain = check.margins
        car = html.escape(check.margin_car.upper())
        sentence = (
            f"For a {car} at EUR {check.margin_price_eur:,.0f} the model puts the gain from "
            f"assembling in Europe at {gain.model:.0f} pp of revenue against the broker's "
            f"{gain.broker:.0f} pp, and the margin of an imported car at {imported.model:.0f}% "
            f"against the broker's {imported.broker:.0f}%"
        )
        top = analysis.inputs.scenario["unit_cost_change_pct"].high
        if imported.model > imported.broker:
            sentence += (
                ": the broker costs a European car above what its China price implies, which is "
                f"why the export-spec cost range reaches +{top:.0f}%"
            )
        parts.append(sentence + ".")
    return (
        f"Broker forecasts for {maker}'s overseas venture, checked against the base case (the "
        "table names each broker's note). " + " ".join(parts)
    )


def uncertainty_markdown(analysis: Analysis) -> str:
    """Where the base case sits among the draws, and the Monte Carlo error."""
    s = analysis.summaries[analysis.best]
    se = max(s.standard_error(p) for p in (s.p_npv_negative, s.p_payback_5y, s.p_payback_8y))
    base_npv = analysis.base.summary().loc[analysis.best, "npv_rmb_mn"]
    rank = float((analysis.simulation.npv[analysis.best] < base_npv).mean())
    return (
        f"The base case (NPV RMB {base_npv:,.0f} mn) is above {rank:.0%} of the draws, not in "
        "their middle: the ranges of the inputs are not symmetric around their most likely "
        "values, and the venture's margin per car is thin enough that small changes in it swing "
        f"the NPV widely. With {s.n:,} draws each probability carries a Monte Carlo standard "
        f"error of at most {se:.1%}; the same seed gives the same numbers."
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
        "Each bar moves one input from its 10th to its 90th percentile while every other input "
        f"stays at its most likely value. For {_phrase(analysis, analysis.best)} the {drivers} "
        f"matter most{volume}. Tariffs are not in the chart: they are fixed inputs, set by "
        "regulation (test them with a scenario, e.g. europe_cvd_pct)."
    )


def routes_markdown(analysis: Analysis) -> str:
    """How to read the payback curves, and the volumes that cover the fixed costs."""
    need, inputs = analysis.break_even, analysis.inputs
    sea = (
        f"; South-East Asia needs {need['sea_local']:,.0f}, against a first-year volume of "
        f"{inputs.mode('sea_volume_start_units'):,.0f}"
        if "sea_local" in need
        else ""
    )
    return (
        f"Each curve is the share of the {inputs.n_sims:,} draws that has paid back by a given "
        "year, the same draws for every route; where a curve ends below 100% the rest never pays "
        f"back within {analysis.horizon} years. In the base case the European venture needs "
        f"{need['europe_export']:,.0f} cars a year to cover its fixed costs when it exports and "
        f"{need['europe_local']:,.0f} when every car is assembled locally{sea}."
    )


def margin_markdown(analysis: Analysis) -> str:
    """The venture's share against the maker's whole take (its factory margin)."""
    best = analysis.best
    p_without = analysis.without_margin.summaries()[best].p_npv_negative
    p_with = analysis.with_margin.summaries()[best].p_npv_negative
    counted = " plus" if analysis.inputs.include_factory_margin else ", not"
    return (
        f"The headline figures count {_maker(analysis)}'s share of the venture{counted} its own "
        "margin on the cars it sells to the venture. That margin needs no overseas capital: "
        f"counting it, the chance that {_phrase(analysis, best)} loses money falls from "
        f"{probability_label(p_without)} to {probability_label(p_with)}. The venture carries the "
        "risk; the factory keeps a margin on every car shipped."
    )


def _plant(analysis: Analysis, slug: str) -> str:
    """'<country> (up to <capacity> a year, from <YYYY-MM>, <capex>)': a modelled plant, from its
    venture's sourced facts as resolved."""
    inputs, prefix = analysis.inputs, "europe" if slug == "europe_assembly" else "sea"
    country = html.escape(inputs.routes[slug].country)
    capacity = inputs.resolved.get(f"{prefix}_plant_capacity_units")
    up_to = (
        f"up to {capacity.value:,.0f} a year, " if capacity and capacity.origin == "sourced" else ""
    )
    capex = inputs.resolved[f"{prefix}_plant_capex_rmb_mn"]
    return (
        f"{country} ({up_to}from {inputs.mode(f'{prefix}_plant_start')}, "
        f"{html.escape(capex.origin.removeprefix('sourced: '))})"
    )


def caveats_markdown(analysis: Analysis) -> str:
    """Sources and caveats, the sourced figures read from the inputs."""
    inputs, maker = analysis.inputs, _maker(analysis)
    plants = [
        _plant(analysis, slug) for slug in ("europe_assembly", "sea") if slug in inputs.routes
    ]
    assembly = f"local assembly in {' and '.join(plants)}, " if plants else ""
    sourced = (
        f"EU duties ({inputs.mode('europe_cvd_pct'):g}% countervailing duty on {maker}'s "
        f"China-built cars, plus the {inputs.mode('europe_mfn_duty_pct'):g}% MFN duty), {maker}'s "
        f"list prices in Europe and China, its {inputs.mode('maker_share_pct'):.0f}% share of the "
        f"venture, its ventures' volumes, outlets and targets, {assembly}Malaysian duties on "
        "China-built EVs (the South-East Asian market's), the maker's latest gross margin and "
        "transaction discount."
    )
    exemption = html.escape(inputs.tables.row("malaysia_sales_tax_pct").note)
    routed = {v.key for v in inputs.routes.values()}
    unmodelled = [
        html.escape(v.country or v.key)
        for v in inputs.ventures
        if v.key not in routed and v.route != "joint_venture"
    ]
    others = (
        f" Its other ventures in the data ({', '.join(unmodelled)}) are shown as facts, not "
        "modelled: the model takes one export venture to Europe and one plant per market."
        if unmodelled
        else ""
    )
    return "\n".join(
        [
            f"- **Sourced** (URL in the tables): {sourced}",
            "- **Assumptions with no source** are labelled in each table: logistics per car, "
            "dealer margins, VAT rates, fixed costs per outlet, marketing, market-entry "
            "investment, exchange rates, South-East Asian prices and volumes, the discount rate "
            "and risk premia. They drive the answer as much as the sourced facts do; change them "
            "as parameters.",
            "- The venture's accounts are not public: no paid-in capital, revenue or profit. The "
            "price the venture pays the maker for a car is modelled as the maker's China net "
            "price (its China gross margin), scaled by the export-spec cost; the customs value is "
            "that price plus freight.",
            "- Simplifications: pre-tax cash flows, no working capital, no value after the "
            "horizon (conservative for NPV), one car model stands for the whole range, a kit "
            "costs as much as a whole car (conservative for local assembly), no "
            "anti-circumvention duties on kits, the Malaysian sales tax applied to locally "
            f"assembled cars although the data say: {exemption} (conservative for South-East "
            "Asia), independent draws of the uncertain inputs.",
            f"- Only {maker}'s own ventures are modelled (`data/ventures.csv`), on the routes it "
            "has a venture for; its own duty rate, margin and discount are used where the data "
            f"have them.{others}",
            "- Broker figures are forecasts and serve only as checks.",
        ]
    )
