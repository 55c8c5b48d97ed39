"""The focus brand's premium on other samples, controls, prices and price tiers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lib import cache
from lib.premium.inputs import PRICE_COLUMN, TRANSACTION_PRICE_COLUMN
from lib.premium.models import HedonicFit, brand_premiums, fit_hedonic, premium_of, spec_price

MIN_SEGMENT_TRIMS = 3  # segments with fewer trims are left out of the segment-control variant


def tier_labels(edges: Sequence[float]) -> list[str]:
    """Readable labels of price tiers from their lower edges (the last tier is open-ended)."""
    labels = []
    for low, high in zip(edges, list(edges[1:]) + [None], strict=True):
        labels.append(
            f"{low / 1000:,.0f}k+" if high is None else f"{low / 1000:,.0f}-{high / 1000:,.0f}k"
        )
    return labels


def price_tier(prices: pd.Series, edges: Sequence[float]) -> pd.Series:
    """The tier label of each price (yuan)."""
    bins = list(edges) + [np.inf]
    return pd.cut(prices, bins=bins, labels=tier_labels(edges), right=False)


def tier_counts(trims: pd.DataFrame, brands: Sequence[str], edges: Sequence[float]) -> pd.DataFrame:
    """Priced trims per guide-price tier for each of `brands`, plus all brands together."""
    priced = trims.dropna(subset=[PRICE_COLUMN])
    tiers = price_tier(priced[PRICE_COLUMN], edges)
    table = pd.crosstab(priced["brand"], tiers).reindex(list(brands)).fillna(0).astype("int64")
    table.loc["all brands"] = pd.crosstab(priced["brand"], tiers).sum()
    table.columns = table.columns.astype(str)
    table["total"] = table.sum(axis=1)
    return table.rename_axis(index="brand", columns="guide price tier (yuan)")


def with_transaction_price(sample: pd.DataFrame, discounts: pd.DataFrame) -> pd.DataFrame:
    """The sample with `transaction_price_rmb` = guide price x (1 - brand discount)."""
    rate = sample["brand"].map(discounts.set_index("brand")["discount_pct"]) / 100.0
    return sample.assign(**{TRANSACTION_PRICE_COLUMN: sample[PRICE_COLUMN] * (1.0 - rate)})


def transaction_comparison(
    fit: HedonicFit,
    discounts: pd.DataFrame,
    brands: Sequence[str],
    level: float = 0.95,
) -> pd.DataFrame:
    """Premiums of a guide-price fit next to the same model refitted on transaction prices
    (guide x (1 - brand discount)).

    Columns: brand, discount_pct, basis, list_premium_pct, transaction_premium_pct,
    transaction_low_pct, transaction_high_pct (percent, Kennedy, against the fit's reference)."""
    on_list = brand_premiums(fit, level).set_index("brand")
    on_transaction = brand_premiums(
        fit_hedonic(
            with_transaction_price(fit.used, discounts),
            fit.reference_brand,
            size="np.log(length_mm)" in fit.formula,
            price_column=TRANSACTION_PRICE_COLUMN,
        ),
        level,
    ).set_index("brand")
    table = discounts.set_index("brand").loc[list(brands), ["discount_pct", "basis"]]
    table["list_premium_pct"] = on_list.loc[list(brands), "premium_pct"]
    table["transaction_premium_pct"] = on_transaction.loc[list(brands), "premium_pct"]
    table["transaction_low_pct"] = on_transaction.loc[list(brands), "low_pct"]
    table["transaction_high_pct"] = on_transaction.loc[list(brands), "high_pct"]
    return table.reset_index()


@cache.memoize()  # eight hedonic refits: the same in every scenario and re-run
def robustness(
    sample: pd.DataFrame,
    focus: str,
    reference: str,
    discounts: pd.DataFrame,
    level: float = 0.95,
) -> pd.DataFrame:
    """The focus brand's premium under alternative specifications, in percent (Kennedy).

    Columns: specification, group, premium_pct, low_pct, high_pct, trims (in the fit), focus_trims.
    Specifications whose sample has no focus or reference trim are skipped."""
    latest = int(sample["model_year"].max())
    # A segment with one or two trims would be collinear with a one-trim brand.
    segment_size = sample["segment"].map(sample["segment"].value_counts())
    segmented = sample[segment_size >= MIN_SEGMENT_TRIMS]
    variants: list[tuple[str, str, pd.DataFrame, dict]] = [
        ("Baseline", "baseline", sample, {}),
        ("BEV only", "sample", sample[sample["powertrain"] == "bev"], {}),
        (f"Model year {latest} only", "sample", sample[sample["model_year"] == latest], {}),
        ("With segment controls", "controls", segmented, {"segment": True}),
        ("Without size control", "controls", sample, {"size": False}),
    ]
    focus_series = sorted(sample.loc[sample["brand"] == focus, "series"].unique())
    if len(focus_series) > 1:
        for series in focus_series:
            keep = ~((sample["brand"] == focus) & (sample["series"] == series))
            variants.append((f"Without {focus} {series}", "leave one series out", sample[keep], {}))
    variants.append(
        (
            "Transaction prices",
            "prices",
            with_transaction_price(sample, discounts),
            {"price_column": TRANSACTION_PRICE_COLUMN},
        )
    )
    rows = []
    for name, group, data, options in variants:
        brands = set(data["brand"])
        if focus not in brands or reference not in brands:
            continue
        if "price_column" in options and data[options["price_column"]].isna().any():
            data = data.dropna(subset=[options["price_column"]])
        try:
            fit = fit_hedonic(data, reference, **options)
        except ValueError:  # not identified on this sub-sample: nothing to report
            continue
        premium = premium_of(fit, focus, level)
        rows.append(
            {
                "specification": name,
                "group": group,
                "premium_pct": premium.premium_pct,
                "low_pct": premium.low_pct,
                "high_pct": premium.high_pct,
                "trims": fit.n_trims,
                "focus_trims": premium.trims,
            }
        )
    return pd.DataFrame(rows)


def tier_premiums(
    fit: HedonicFit, focus: str, edges: Sequence[float], level: float = 0.95
) -> pd.DataFrame:
    """The focus brand's premium by the price tier its specs command under the reference badge.

    Each focus trim is placed in a tier by its spec price (not by its own guide price, which
    would select on the outcome); the model is refitted with one brand effect per focus tier.
    Columns: tier, tier_low_rmb, focus_trims, premium_pct, low_pct, high_pct (Kennedy, percent)."""
    used = fit.used.copy()
    tiers = price_tier(spec_price(fit), edges).astype(str)
    is_focus = used["brand"] == focus
    used["brand_tier"] = used["brand"].where(~is_focus, focus + " @ " + tiers)
    refit = fit_hedonic(
        used,
        fit.reference_brand,
        size="np.log(length_mm)" in fit.formula,
        segment="C(segment)" in fit.formula,
        brand_column="brand_tier",
    )
    table = brand_premiums(refit, level).set_index("brand")
    rows = []
    for tier, tier_low in zip(tier_labels(edges), edges, strict=True):
        label = f"{focus} @ {tier}"
        if label in table.index:
            row = table.loc[label]
            rows.append(
                {
                    "tier": tier,
                    "tier_low_rmb": float(tier_low),
                    "focus_trims": int(row["trims"]),
                    "premium_pct": float(row["premium_pct"]),
                    "low_pct": float(row["low_pct"]),
                    "high_pct": float(row["high_pct"]),
                }
            )
    return pd.DataFrame(rows)
