"""The answer and everything shown with it: `analyse(inputs)` runs the backtest at the answer's
horizon, the maker's projection, the same projection for every maker, the scored complete year
and the track record, and returns an `Analysis`: the typed results the charts, tables and text
read (numbers, frames and dataclasses; no formatted strings), which `record()` publishes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib import results
from lib.sales import names, track
from lib.sales.evaluation import (
    LABELS,
    PEER_LABELS,
    RUN_RATE,
    SHOWN_HORIZONS,
    STATSFORECAST,
    Backtest,
    Headline,
    HindsightBlend,
    PeerScores,
    backtest_summary,
    hindsight_blend,
    load_peer_scores,
    model_diagnostics,
    year_scores,
)
from lib.sales.inputs import Inputs, TargetArithmetic, hindsight_total, load, series_at
from lib.sales.projection import Projection, comparison_table, months_reported, project
from lib.sales.record import TargetRecord
from lib.sales.record import build as build_target_record
from lib.sales.resolution import (
    Resolution,
    backtest_calls,
    backtests_for,
    call_row,
    resolve,
    year_to_resolve,
)
from lib.sales.seasonality import Snapshot, snapshot
from lib.sales.simulation import MakerForecast


@dataclass
class Analysis:
    """Every result of the sales analysis for one maker, target and cutoff."""

    inputs: Inputs
    data_now: Snapshot
    backtest: Backtest
    summary: pd.DataFrame  # per method over the headline maker-years (`backtest_summary`)
    headline: Headline
    hindsight: HindsightBlend | None
    projection: Projection
    diagnostics: pd.DataFrame  # per model that ran (`model_diagnostics`)
    actual_units: float | None  # the outcome, when the cutoff makes this a backtest
    months_reported: int = 0  # months of the target year known: the backtest's horizon
    resolution: Resolution | None = None  # the complete year looked back on, scored
    peer_scores: PeerScores | None = None  # the comparison with other forecasters (make peers)
    projected: dict[str, Projection] | None = None  # every maker's projection (comparison)
    comparison: pd.DataFrame | None = None  # `comparison_table` of `projected`
    track_scored: pd.DataFrame | None = None  # earlier runs' months against the data now
    track_month_ends: pd.DataFrame | None = None  # the last month-ends' calls on ended years
    target_record: TargetRecord | None = None  # stated targets, outcomes, the calls scored

    @property
    def forecast(self) -> MakerForecast:
        return self.projection.forecast

    @property
    def arithmetic(self) -> TargetArithmetic:
        return self.projection.arithmetic

    @property
    def internal_units(self) -> float | None:
        """The maker's sourced internal target for the year, if any (vehicles)."""
        internal = self.inputs.internal_target
        return internal.value if internal is not None else None

    @property
    def own_scored(self) -> pd.DataFrame:
        """The maker's own years in the backtest's headline set (the combination's rows): the
        pooled error speaks for this maker only through them."""
        rows = self.backtest.rows
        return rows[
            rows["headline"].astype(bool)
            & (rows["method"] == "combination")
            & (rows["maker"] == self.inputs.maker.key)
        ]

    def record(self) -> None:
        """Record every result of notebook 01 with `lib.results`, under `lib.sales.names`."""
        self._record_answer()
        self._record_target()
        self._record_backtest()
        record_peers(self.peer_scores)
        record_year(self.peer_scores)
        if self.resolution is not None:
            self.resolution.record()
        if self.target_record is not None:
            self.target_record.record(self.inputs.name)
        if self.projected is not None:
            track.record_quantiles({key: p.forecast for key, p in self.projected.items()})
        if self.track_scored is not None and self.track_month_ends is not None:
            track.record_track(self.track_scored, self.track_month_ends, self.inputs.name)

    def _record_answer(self) -> None:
        name, cutoff = self.inputs.name, self.inputs.settings.cutoff
        projection, arithmetic = self.projection, self.arithmetic
        target, year = arithmetic.target_units, arithmetic.target_year
        results.record(
            names.P_REACH_TARGET,
            projection.p_reach_target,
            "probability",
            f"chance {name} delivers at least {target:,.0f} vehicles in {year} (data to {cutoff})",
            role="headline",
        )
        if self.internal_units is not None:
            results.record(
                names.P_REACH_INTERNAL_TARGET,
                projection.probability(self.internal_units),
                "probability",
                f"chance {name} delivers at least the internal target of "
                f"{self.internal_units:,.0f} in {year}",
                role="supporting",
            )
        results.record(
            names.FORECAST_MEDIAN_UNITS,
            projection.median,
            "units",
            f"median forecast of {name}'s {year} deliveries; 10th-90th percentile",
            low=projection.p10,
            high=projection.p90,
            role="supporting",
        )
        if arithmetic.last_full_year is not None:  # without a complete year there is no growth
            results.record(
                names.REQUIRED_GROWTH_PCT,
                arithmetic.required_growth_pct,
                "pct",
                f"growth over {arithmetic.last_full_year} deliveries that the target needs",
                role="supporting",
            )
        results.record(
            names.REQUIRED_MONTHLY_RUN_RATE_UNITS,
            arithmetic.required_monthly_run_rate_units,
            "units",
            f"average deliveries a month the {len(arithmetic.missing_months)} unreported months "
            f"of {year} need",
        )
        results.record(
            names.LATEST_RUN_RATE_UNITS,
            arithmetic.latest_run_rate_units,
            "units",
            f"average monthly deliveries in {', '.join(arithmetic.latest_run_rate_months)}",
        )

    def _record_target(self) -> None:
        inputs, arithmetic = self.inputs, self.arithmetic
        name, target, year = inputs.name, arithmetic.target_units, arithmetic.target_year
        results.record(
            names.TARGET_UNITS, target, "units", f"delivery target tested for {name} in {year}"
        )
        results.record(names.TARGET_YEAR, year, "year", "calendar year of the target")
        results.record(
            names.TARGET_STATED,
            float(inputs.target_is_stated),
            "yes/no",
            f"1 when the target is {name}'s own stated target for {year}, 0 when it is not "
            f"({inputs.target_basis.replace('_', ' ')})",
        )
        if self.forecast.runs:  # a call on a year still open, for the runs that score it later
            results.record_table(
                names.TARGET_CALL,
                call_row(inputs.maker.key, year, target, inputs.settings.cutoff, self.projection),
                "units",
                f"this run's call on {name}'s {year} target, scored once the year is complete",
            )

    def _record_backtest(self) -> None:
        headline, hindsight = self.headline, self.hindsight
        results.record(
            names.BACKTEST_MAPE_CHOSEN_PCT,
            headline.mape_chosen_pct,
            "pct",
            "mean absolute error of the combination's next-year totals in the backtest",
        )
        results.record(
            names.BACKTEST_MAPE_BEST_NAIVE_PCT,
            headline.mape_best_naive_pct,
            "pct",
            f"the same for the best naive rule ({headline.best_naive_label})",
        )
        results.record(
            names.BACKTEST_COVERAGE80_CHOSEN_PCT,
            headline.coverage80_chosen_pct,
            "pct",
            "share of backtest outcomes inside the combination's 80% interval",
        )
        if hindsight is not None:
            results.record(
                names.BACKTEST_MAPE_HINDSIGHT_BLEND_PCT,
                hindsight.mape_pct,
                "pct",
                "mean absolute error of the best fixed blend of the backtest's forecasts, chosen "
                "knowing the outcomes (a bound, not a forecast)",
            )
        results.record(
            names.BACKTEST_CASES,
            headline.cases,
            "count",
            "maker-years scored (the year and the two before it complete)",
        )
        own = self.own_scored
        results.record(
            names.BACKTEST_MAKER_CASES,
            len(own),
            "count",
            f"of them, {self.inputs.name}'s own years",
        )
        if len(own):
            results.record(
                names.BACKTEST_MAKER_MAPE_PCT,
                float(own["abs_error_pct"].mean()),
                "pct",
                f"mean absolute error of the combination on {self.inputs.name}'s own "
                f"{len(own)} year(s) in the backtest",
            )


def record_peers(scores: PeerScores | None) -> None:
    """Record the combination's and the best peer's scores at December cutoffs and with 3, 6
    and 9 months reported (percent of the actual; coverage in percent)."""
    if scores is None:
        return
    words = {  # the evaluation's score columns, in words
        "crps_pct": "CRPS",
        "interval_score_pct": "interval score",
        "mape_pct": "mean abs. error",
        "coverage80_pct": "80% coverage",
    }
    for k in SHOWN_HORIZONS:
        best = scores.best_peer(k)
        for score, said in words.items():
            for best_peer, method in ((False, "combination"), (True, best)):
                results.record(
                    names.peer_score(score, k, best_peer),
                    scores.score(method, k, score),
                    "pct",
                    f"{said} of {PEER_LABELS.get(method, LABELS.get(method, method))} with {k} "
                    f"months of the year reported (rolling origin, data to {scores.data_through})",
                )


def record_year(scores: PeerScores | None) -> None:
    """Record the whole-year comparison (k = 0..11): the answer's method's mean scores, the
    run-rate rule's and statsforecast's, the ratios with their paired 95% intervals, the
    maker-years, every method's averages as a table, and the monthly bands' coverage."""
    if scores is None or scores.year is None:
        return
    said = f"averaged over the month-ends k = 0..11 (rolling origin, data to {scores.data_through})"
    answer = LABELS.get(scores.answer_method, scores.answer_method)
    for name, method, score, what in (
        (names.YEAR_CRPS_PCT, scores.answer_method, "crps_pct", f"mean CRPS of {answer}"),
        (
            names.YEAR_INTERVAL_SCORE_PCT,
            scores.answer_method,
            "interval_score_pct",
            "its mean interval score",
        ),
        (
            names.YEAR_COVERAGE80_PCT,
            scores.answer_method,
            "coverage80_pct",
            "share of outcomes inside its 80% ranges",
        ),
        (names.YEAR_CRPS_PCT_RUN_RATE, RUN_RATE, "crps_pct", "mean CRPS of the run-rate rule"),
        (
            names.YEAR_INTERVAL_SCORE_PCT_RUN_RATE,
            RUN_RATE,
            "interval_score_pct",
            "its interval score",
        ),
        (
            names.YEAR_CRPS_PCT_STATSFORECAST,
            STATSFORECAST,
            "crps_pct",
            "mean CRPS of statsforecast's mean",
        ),
        (
            names.YEAR_INTERVAL_SCORE_PCT_STATSFORECAST,
            STATSFORECAST,
            "interval_score_pct",
            "its interval score",
        ),
    ):
        results.record(name, scores.year_score(method, score), "pct", f"{what}, {said}")
    for name, other, score in (
        (names.YEAR_CRPS_VS_RUN_RATE_PCT, RUN_RATE, "crps_pct"),
        (names.YEAR_CRPS_VS_STATSFORECAST_PCT, STATSFORECAST, "crps_pct"),
        (names.YEAR_INTERVAL_SCORE_VS_RUN_RATE_PCT, RUN_RATE, "interval_score_pct"),
        (names.YEAR_INTERVAL_SCORE_VS_STATSFORECAST_PCT, STATSFORECAST, "interval_score_pct"),
    ):
        paired = scores.versus(other, score)
        if paired is not None:
            results.record(
                name,
                100 * paired["ratio"],
                "pct",
                f"{answer}'s mean {score.removesuffix('_pct').replace('_', ' ')} against "
                f"{PEER_LABELS.get(other, LABELS.get(other, other))}'s, {said} (- is lower); "
                "paired bootstrap 95% interval over maker-years",
                low=100 * paired["low"],
                high=100 * paired["high"],
            )
    counts = scores.maker_years or {}
    results.record(
        names.YEAR_MAKER_YEARS,
        counts.get("headline", np.nan),
        "count",
        "maker-years in the whole-year comparison (the two years before complete)",
    )
    results.record(
        names.YEAR_MAKER_YEARS_ALL,
        counts.get("all", np.nan),
        "count",
        "every maker-year scored, the headline set and the others",
    )
    results.record_table(
        names.YEAR_SCORES,
        year_scores(scores),
        "pct",
        f"every method's scores {said}, with the answer's ratio to each",
    )
    bands = scores.monthly_bands or {}
    for name, key, what in (
        (names.MONTHLY_INSIDE80_PCT_ROLLING, "rolling", "in the rolling-origin evaluation"),
        (
            names.MONTHLY_INSIDE80_PCT_OUT_OF_SAMPLE,
            "out_of_sample",
            "published after the frozen test data's end",
        ),
    ):
        found = bands.get(key) or {}
        if found.get("months"):
            results.record(
                name,
                found["inside80_pct"],
                "pct",
                f"months inside the monthly 80% bands, {what} ({found['months']} months)",
            )


def analyse(inputs: Inputs) -> Analysis:
    """The backtest at the answer's horizon (weights, calibration, scores: from cutoffs with as
    many months of the target year reported as the maker has now), the projection, the same
    projection for every maker, the complete year looked back on, and the track record."""
    settings = inputs.settings
    data_now = snapshot(inputs.deliveries, settings.cutoff, inputs.holidays)
    k = months_reported(inputs.series, settings.target_year)
    backtests = backtests_for(inputs)
    backtest = backtests.get(k) or backtest_calls(inputs, (k,))[k]()  # k = 12: a complete year
    summary = backtest_summary(backtest)
    projection = project(
        data_now,
        settings.maker,
        settings.target_units,
        settings.target_year,
        inputs.holidays,
        backtest,
        settings.n_paths,
        settings.seed,
        settings.curve_window_months,
    )
    scores = load_peer_scores()
    projected = every_maker(inputs, data_now, backtest, projection)
    return Analysis(
        inputs=inputs,
        data_now=data_now,
        backtest=backtest,
        summary=summary,
        headline=Headline.from_summary(summary),
        hindsight=hindsight_blend(backtest),
        projection=projection,
        diagnostics=model_diagnostics(projection.forecast),
        actual_units=hindsight_total(
            inputs.deliveries, settings.maker, settings.target_year, settings.cutoff
        ),
        months_reported=k,
        resolution=resolve(inputs, year_to_resolve(inputs), backtests, inputs.earlier),
        target_record=build_target_record(
            settings.maker,
            inputs.targets,
            series_at(inputs.deliveries, settings.cutoff),
            settings.cutoff,
            backtests,
        ),
        peer_scores=scores,
        projected=projected,
        comparison=comparison_table(
            data_now,
            settings.target_year,
            inputs.holidays,
            backtest,
            settings.comparison_paths,
            settings.seed,
            settings.curve_window_months,
            known=projected,
            names={key: maker.display_name for key, maker in inputs.registry.items()},
        ),
        track_scored=track.score_earlier_runs(inputs.earlier, track.series_now(inputs)),
        track_month_ends=track.month_ends(scores.cases if scores else None, inputs.maker.key),
    )


def shared_work(params, data_dir=None) -> list[functools.partial]:
    """The expensive results every maker's report shares (they depend on the data and these
    parameters, not on the maker): the rolling-origin backtest at every month-end, as cached
    calls. A universe run computes them once, spread over its workers, before the notebooks."""
    return list(backtest_calls(load(params, data_dir)).values())


def every_maker(
    inputs: Inputs, data_now: Snapshot, backtest: Backtest, projection: Projection
) -> dict[str, Projection]:
    """The same projection for every maker in the data (comparison paths; the analysed maker's
    own projection reused): the comparison table and the recorded monthly quantiles use them."""
    settings = inputs.settings
    known = {settings.maker: projection}
    for maker in data_now.series:
        if maker not in known:
            known[maker] = project(
                data_now,
                maker,
                1.0,
                settings.target_year,
                inputs.holidays,
                backtest,
                settings.comparison_paths,
                settings.seed,
                settings.curve_window_months,
            )
    return known
