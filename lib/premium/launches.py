"""Priced before launch: the hedonic model's record on every car launched since 2024.

Each trim launched in or after `RECORD_START` is an outcome: the model of notebook 02 is fitted
on the trims known before its launch month (launched earlier; a trim without a launch month
counts from the end of the period its price is dated to), predicts its log guide price from its
specs with the 80% prediction interval, and the guide price scores it: absolute error in percent
of the guide price, and whether the interval held it. The unit of outcome is a trim (a car's
guide price); a series launched with several trims gives several outcomes, which share the
series' errors, so every score's interval resamples whole series.

A badge no earlier trim carried is priced as the average badge with the spread of brand effects
added to its interval (`HedonicFit.predict_log`): a maker launching a new badge faces exactly
that question, and the record shows how the wider interval did (`badge_known` False). A trim
whose body, drive or powertrain no earlier trim had cannot be priced and is counted as skipped.

The maker's sourced launch prices (`inputs.launches`, e.g. a flagship launched after the trims
were collected) join the record when the trims hold the series' specs: its cheapest spec is
scored against the launch range's low end and its dearest against the high end (the pairing
the launch comparison assumes).

Caveat: the trims' guide prices are those of the data's snapshot (`price_as_of`), not the price
each earlier trim listed at on the day a later one launched: the record tests the spec-to-price
mapping learned from the cars on the market before each launch.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from lib import cache
from lib.premium import models
from lib.premium.inputs import PRICE_COLUMN, Inputs, brand_counts, model_sample

RECORD_START = "2024-01"  # the first launch month scored
LEVEL = 0.8  # the prediction interval scored
N_RESAMPLES = 2000  # series-bootstrap draws behind each score's interval
FEW_SERIES = 5  # fewer series than this are too few to resample: a score without interval
NEW_BADGES = "of all: badge not yet in the data"
OTHER_BRANDS = "other brands"
CATEGORICAL = ("body", "drive", "powertrain")  # a level no earlier trim had cannot be priced
CAR_COLUMNS = [
    "maker",
    "brand",
    "series",
    "trim_name",
    "launch_month",
    "guide_rmb",
    "predicted_rmb",
    "low_rmb",
    "high_rmb",
    "error_pct",
    "inside",
    "badge_known",
    "earlier_trims",
    "price_source",
    "cluster",
]


@dataclass(frozen=True)
class Score:
    """A set of predictions scored: median absolute error and coverage of the 80% interval
    (percent), each with its interval from resampling whole series."""

    cars: int
    series: int
    mae_pct: float
    mae_low: float | None  # None: fewer than FEW_SERIES series, too few to resample
    mae_high: float | None
    coverage_pct: float
    coverage_low: float | None
    coverage_high: float | None
    bias_pct: float  # median signed error: positive = the model priced above the guide price

    @property
    def held(self) -> str:
        """How the coverage stands against LEVEL: 'consistent with', 'below' or 'above' it (by
        its interval), or 'untested' without one."""
        if self.coverage_low is None:
            return "untested"
        if self.coverage_high < 100 * LEVEL:
            return "below"
        return "above" if self.coverage_low > 100 * LEVEL else "consistent with"


@dataclass(frozen=True)
class LaunchRecord:
    """The record: one row per scored car (CAR_COLUMNS), the cars left out by reason, the scores
    overall and by maker, and the report maker's own."""

    cars: pd.DataFrame
    skipped: pd.DataFrame  # reason, cars
    overall: Score | None  # None: no car scored
    by_maker: pd.DataFrame  # group, cars, series, mae/coverage with their intervals, note
    own: Score | None  # the report maker's launches; None: it has none (own_reason says why)
    own_reason: str
    maker: str  # the report maker's display name
    confidence_level: float  # of the scores' intervals

    @property
    def own_cars(self) -> pd.DataFrame:
        return self.cars[self.cars["maker"] == self.maker]


def known_month(trims: pd.DataFrame) -> pd.Series:
    """The month from which a trim was on the market, YYYY-MM: its launch month, else the end of
    the period its price is dated to (a year: its December); NaN when neither is known."""
    as_of = trims["price_as_of"].astype("string")
    as_of = as_of.where(as_of.str.len() != 4, as_of + "-12").str[:7]
    return trims["launch_month"].astype("string").fillna(as_of)


def fit_before(sample: pd.DataFrame, month: str, reference: str) -> models.HedonicFit:
    """The hedonic model on the trims known before `month` (nothing launched in or after it).
    The reference badge changes no prediction; another one is taken if it is not there yet."""
    earlier = sample[known_month(sample) < month]
    if reference not in set(earlier["brand"]):
        reference = str(brand_counts(earlier).index[0]) if len(earlier) else reference
    return models.fit_hedonic(earlier, reference)


def predict(fit: models.HedonicFit, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows' median guide price and LEVEL prediction interval, yuan (model years outside
    the fit's priced as the nearest fitted one, as the notebook prices its flagship)."""
    years = fit.used["model_year"]
    priced = rows.assign(model_year=rows["model_year"].clip(years.min(), years.max()))
    log = fit.predict_log(priced)
    z = stats.norm.ppf(0.5 + LEVEL / 2)
    return pd.DataFrame(
        {
            "predicted_rmb": np.exp(log["log_median"]),
            "low_rmb": np.exp(log["log_median"] - z * log["se_pred"]),
            "high_rmb": np.exp(log["log_median"] + z * log["se_pred"]),
            "badge_known": log["badge_known"],
            "earlier_trims": fit.n_trims,
        },
        index=rows.index,
    )


def unpriceable(fit: models.HedonicFit, rows: pd.DataFrame) -> pd.Series:
    """Why the fit cannot price each row ('' where it can): a body, drive or powertrain no
    earlier trim had."""
    reasons = pd.Series("", index=rows.index)
    for column in CATEGORICAL:
        new = ~rows[column].isin(set(fit.used[column])) & (reasons == "")
        reasons[new] = f"{column} not yet in the data"
    return reasons


@cache.memoize(on_disk=False)  # the same for every maker's report: once per kernel
def predict_by_month(
    sample: pd.DataFrame, outcomes: pd.DataFrame, reference: str
) -> tuple[pd.DataFrame, list[tuple[str, int]]]:
    """Each outcome predicted by the model fitted before its launch month (one fit per month).
    Returns the outcomes with the prediction columns, and (reason, cars) of those left out."""
    scored, skipped = [], []
    for month, rows in outcomes.groupby("launch_month", sort=True):
        try:
            fit = fit_before(sample, str(month), reference)
        except ValueError:  # too few or too alike earlier trims to identify the model
            skipped.append(("too few earlier trims to fit the model", len(rows)))
            continue
        reasons = unpriceable(fit, rows)
        skipped += list(reasons[reasons != ""].value_counts().items())
        rows = rows[reasons == ""]
        if len(rows):
            scored.append(rows.join(predict(fit, rows)))
    return (pd.concat(scored) if scored else pd.DataFrame()), skipped


def trim_outcomes(inputs: Inputs) -> tuple[pd.DataFrame, list[tuple[str, int]]]:
    """The trims launched since RECORD_START that the model can use, and the others by reason
    (powertrain or model year not in the model, no guide price, a spec unknown)."""
    launched = inputs.trims[inputs.trims["launch_month"] >= RECORD_START]
    params = inputs.params
    usable, excluded = model_sample(launched, params.powertrains, params.model_years)
    skipped = [(r.reason, int(r.trims)) for r in excluded.itertuples()]
    return usable.assign(price_source="trims"), skipped


def sourced_outcomes(
    inputs: Inputs, in_trims: set[str]
) -> tuple[pd.DataFrame, list[tuple[str, int]]]:
    """The maker's sourced launch ranges as outcomes: its cheapest spec in the trims against the
    low end, its dearest against the high end. A series already scored from the trims (in
    `in_trims`, by cluster) is not scored twice; one without two specs in the trims is skipped."""
    rows, skipped = [], []
    flagship = inputs.flagship
    for launch in inputs.launches.itertuples():
        month = str(launch.as_of)[:7]
        specs = (
            flagship[flagship["series"].str.upper() == launch.series]
            if inputs.has_flagship
            else flagship
        )
        if month < RECORD_START or (len(specs) and set(specs["cluster"]) <= in_trims):
            continue
        if len(specs) < 2:  # a launch range is two guide prices: its low and high ends
            skipped.append(("a sourced launch range without two specs in the trims", 2))
            continue
        try:
            fit = fit_before(inputs.sample, month, inputs.reference)
        except ValueError:
            skipped.append(("too few earlier trims to fit the model", 2))
            continue
        priced = predict(fit, specs).sort_values("predicted_rmb")
        ends = specs.loc[[priced.index[0], priced.index[-1]]].assign(
            launch_month=month, price_source="launch price (assumptions.csv)"
        )
        ends[PRICE_COLUMN] = [launch.low_rmb, launch.high_rmb]
        rows.append(ends.join(priced))
    return (pd.concat(rows) if rows else pd.DataFrame()), skipped


def score(cars: pd.DataFrame, level: float, seed: list[int]) -> Score | None:
    """Median absolute error and coverage with their `level` intervals from resampling whole
    series (trims of a series share their errors; no interval from fewer than FEW_SERIES
    series); None without cars."""
    if cars.empty:
        return None
    error = cars["error_pct"].abs().to_numpy()
    inside = cars["inside"].to_numpy(dtype=float)
    codes, clusters = pd.factorize(cars["cluster"])
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(len(clusters), np.full(len(clusters), 1 / len(clusters)), N_RESAMPLES)
    weights = counts[:, codes].astype(float)
    coverage = 100 * (weights @ inside) / weights.sum(axis=1)
    order = np.argsort(error)
    cumulative = np.cumsum(weights[:, order], axis=1)
    middle = (cumulative >= cumulative[:, [-1]] / 2).argmax(axis=1)
    mae = error[order][middle]
    tails = [50 * (1 - level), 50 * (1 + level)]

    def ends(draws: np.ndarray) -> list[float | None]:
        enough = len(clusters) >= FEW_SERIES
        return [float(e) for e in np.percentile(draws, tails)] if enough else [None] * 2

    return Score(
        len(cars),
        len(clusters),
        float(np.median(error)),
        *ends(mae),
        float(100 * inside.mean()),
        *ends(coverage),
        float(cars["error_pct"].median()),
    )


def score_cars(outcomes: pd.DataFrame, brand_makers: dict[str, str]) -> pd.DataFrame:
    """The outcomes as the record's rows: errors in percent of the guide price, inside the
    interval or not, the maker of the badge (registry makers by their badges, others grouped)."""
    guide = outcomes[PRICE_COLUMN]
    cars = outcomes.assign(
        maker=outcomes["brand"].map(brand_makers).fillna(OTHER_BRANDS),
        guide_rmb=guide,
        error_pct=100 * (outcomes["predicted_rmb"] / guide - 1),
        inside=(outcomes["low_rmb"] <= guide) & (guide <= outcomes["high_rmb"]),
    )
    order = ["launch_month", "brand", "series", "guide_rmb"]
    return cars[CAR_COLUMNS].sort_values(order, ignore_index=True)


def by_maker(cars: pd.DataFrame, makers: list[str], level: float, seed: list[int]) -> pd.DataFrame:
    """Scores of every car, of each registry maker's (in the registry's order; none: a note),
    of the other brands and of the cars under a badge not yet in the data."""
    groups = [("all launches", cars)]
    groups += [(maker, cars[cars["maker"] == maker]) for maker in makers]
    groups += [(OTHER_BRANDS, cars[cars["maker"] == OTHER_BRANDS])]
    groups += [(NEW_BADGES, cars[~cars["badge_known"]])]
    rows = []
    for group, subset in groups:
        found = score(subset, level, seed)
        note = (
            f"no car launched since {RECORD_START} with a guide price and every spec"
            if found is None
            else f"fewer than {FEW_SERIES} series: too few for an interval"
            if found.series < FEW_SERIES
            else ""
        )
        rows.append({"group": group, **(asdict(found) if found else {"cars": 0}), "note": note})
    return pd.DataFrame(rows)


# One BLAS thread: on a busy 2-core machine, threads spinning on the fits' SVDs made it 5x slower.
@threadpool_limits.wrap(limits=1, user_api="blas")
def launch_record(inputs: Inputs) -> LaunchRecord:
    """The model's record on every car launched since RECORD_START (see the module)."""
    level, maker = inputs.params.confidence_level, inputs.maker.display_name
    seed = [inputs.params.seed, zlib.crc32(b"launch record")]
    trims, skipped = trim_outcomes(inputs)
    predicted, unpriced = predict_by_month(inputs.sample, trims, inputs.reference)
    scored_clusters = set(predicted["cluster"]) if len(predicted) else set()
    sourced, unsourced = sourced_outcomes(inputs, scored_clusters)
    found = [frame for frame in (predicted, sourced) if len(frame)]
    cars = score_cars(pd.concat(found), inputs.brand_makers) if found else pd.DataFrame()
    skipped = pd.DataFrame(skipped + unpriced + unsourced, columns=["reason", "cars"])
    own = cars[cars["maker"] == maker] if len(cars) else cars
    makers = list(dict.fromkeys(inputs.brand_makers.values()))
    return LaunchRecord(
        cars=cars,
        skipped=skipped.groupby("reason", sort=False, as_index=False)["cars"].sum(),
        overall=score(cars, level, seed),
        by_maker=by_maker(cars, makers, level, seed) if len(cars) else pd.DataFrame(),
        own=score(own, level, seed),
        own_reason=""
        if len(own)
        else f"no {maker} car launched since {RECORD_START} is in the "
        "trims with a guide price and every spec the model needs",
        maker=maker,
        confidence_level=level,
    )
