"""The names notebook 02 records its results under (read by the summary, the league table, the
workbook, history.csv and later runs: a change here is a change of the published record)."""

import re

# The notebook the results are recorded in (later runs look them up by it).
NOTEBOOK = "02_brand_premium"

# The answer: the maker's badge against the reference badge, same specs.
FOCUS_PREMIUM_PCT = "focus_premium_pct"  # the headline premium, % (None: too little data)
FOCUS_PREMIUM_STATUS = "focus_premium_status"  # "ok" or "too little data (N trims, M series)"
FOCUS_TRIMS = "focus_trims"  # the maker's trims in the model
FOCUS_SERIES = "focus_series"  # the maker's series in the model
FOCUS_BRAND = "premium_flagship_brand"  # the maker's badge (the flagship is priced under it)
REFERENCE_BRAND = "reference_brand"  # the badge the premiums are measured against
N_TRIMS_USED = "n_trims_used"  # trims in the hedonic model

# The premium on other samples and prices.
FOCUS_PREMIUM_BEV_ONLY_PCT = "focus_premium_bev_only_pct"  # battery-electric trims only
FOCUS_PREMIUM_TRANSACTION_PCT = "focus_premium_transaction_pct"  # on transaction prices
FOCUS_PREMIUM_UPPER_TIER_PCT = "focus_premium_upper_tier_pct"  # specs worth the band or more

# The flagship question.
PRICE_BAND = "price_band"  # the target guide-price band, text
FLAGSHIP_SERIES = "flagship_series"  # the flagship series (None: not applicable, meaning says why)
FLAGSHIP_PRICE_RMB = "flagship_price_rmb"  # its expected guide price under the maker's badge
P_FLAGSHIP_IN_BAND = "p_flagship_in_band"  # chance that price falls in the band
GAP_BRANDS = "flagship_gap_brands"  # table: each comparison badge and its gap result's name
GAP_PREFIX, GAP_SUFFIX = "gap_to_", "_rmb"  # gap_to_<badge>_rmb: that badge's price minus ours

# The launch prices against the model (only for a maker whose launch is sourced).
LAUNCH_SERIES = "launch_series"  # the launched series compared
LAUNCH_PRICE_LOW_RMB = "launch_price_low_rmb"  # its launch guide price, low end
LAUNCH_PRICE_HIGH_RMB = "launch_price_high_rmb"  # and high end
LAUNCH_IN_BAND_ANSWER = "launch_in_band_answer"  # the band question answered by the launch
LAUNCH_IMPLIED_PREMIUM_PCT = "launch_implied_premium_pct"  # premium the launch prices imply
LAUNCH_VS_MODEL_HIGH_PCT = "launch_vs_model_high_pct"  # top launch price vs the model's price


def gap_to(badge: str) -> str:
    """The result name of the gap to a badge: 'Lynk & Co' -> 'gap_to_lynk_co_rmb'."""
    return GAP_PREFIX + re.sub(r"[^a-z0-9]+", "_", badge.lower()).strip("_") + GAP_SUFFIX


# Priced before launch: the model's record on every car launched since 2024 (lib.premium.launches).
RECORD_SECTION = "#Priced-before-launch"  # its section's anchor
LAUNCH_RECORD = "launch_record"  # table: one row per scored car
LAUNCH_RECORD_CARS = "launch_record_cars"  # cars scored
LAUNCH_RECORD_SERIES = "launch_record_series"  # their series
LAUNCH_RECORD_MAE_PCT = "launch_record_mae_pct"  # median absolute error, % of the guide price
LAUNCH_RECORD_COVERAGE80_PCT = "launch_record_coverage80_pct"  # share inside the 80% interval
LAUNCH_RECORD_OWN_CARS = "launch_record_own_cars"  # the report maker's cars in the record
LAUNCH_RECORD_OWN_MAE_PCT = "launch_record_own_mae_pct"  # (None: it has none, meaning says why)
LAUNCH_RECORD_OWN_COVERAGE80_PCT = "launch_record_own_coverage80_pct"
