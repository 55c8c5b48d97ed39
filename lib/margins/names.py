"""The names of the results notebook 03 records (lib.results): the summary, league and workbook
read them by these strings, so a constant is renamed only with its readers."""

# quarter the analysis starts from, the quarter of the latest gross margin (text, e.g. 2026Q2)
LATEST_PERIOD = "latest_period"
# gross margin in that quarter, % (its basis in MARGIN_BASIS)
LATEST_GROSS_MARGIN_PCT = "latest_gross_margin_pct"
# what that margin measures and whose financials: company / vehicle margin, company, currency
MARGIN_BASIS = "margin_basis"
# unit-cost fall per doubling of cumulative deliveries, % with its 95% interval
LEARNING_RATE_PCT = "learning_rate_pct"
# share of cost of sales that is fixed, %; text "too little data (N quarters)" below the floor
FIXED_COST_SHARE_PCT = "fixed_cost_share_pct"
# extra volume that keeps gross profit after a 10% cut, all cost of sales variable, %
VOLUME_INCREASE_FOR_10PCT_CUT_PCT = "volume_increase_for_10pct_cut_pct"
# the same with the fixed share of cost of sales absorbed, %
VOLUME_INCREASE_FOR_10PCT_CUT_FIXED_COST_PCT = "volume_increase_for_10pct_cut_fixed_cost_pct"
# annual deliveries of the target case, vehicles
TARGET_VOLUME_UNITS = "target_volume_units"
# gross margin at the target volume with prices held, %
GM_AT_TARGET_CURRENT_PCT = "gm_at_target_current_pct"
# gross margin at the target volume after a 5% price cut, %
GM_AT_TARGET_CUT5_PCT = "gm_at_target_cut5_pct"
# gross margin at the target volume after a 10% price cut, % (the notebook's headline)
GM_AT_TARGET_CUT10_PCT = "gm_at_target_cut10_pct"
# the next quarter not yet reported: the quarter after the latest gross margin (text, e.g. 2026Q1)
QUARTER_OUTLOOK_PERIOD = "quarter_outlook_period"
# its expected gross margin, % with the 80% range; text "no data" (the reason in its meaning)
QUARTER_OUTLOOK_GM_PCT = "quarter_outlook_gm_pct"
# the ends of that 80% range, % (or "no data")
QUARTER_OUTLOOK_LOW_PCT = "quarter_outlook_low_pct"
QUARTER_OUTLOOK_HIGH_PCT = "quarter_outlook_high_pct"
# table: this run's call (maker, quarter, expected, low, high, data_to), scored by later runs
QUARTER_CALL = "quarter_call"
# the maker's own past quarters scored, each predicted from the data before it (count)
QUARTER_RECORD_QUARTERS = "quarter_record_quarters"
# their mean absolute error, percentage points, and the share inside the 80% range, %
QUARTER_RECORD_MAE_PP = "quarter_record_mae_pp"
QUARTER_RECORD_COVERAGE80_PCT = "quarter_record_coverage80_pct"
# the same pooled over every company's quarters with enough history
QUARTER_RECORD_POOLED_QUARTERS = "quarter_record_pooled_quarters"
QUARTER_RECORD_POOLED_MAE_PP = "quarter_record_pooled_mae_pp"
QUARTER_RECORD_POOLED_COVERAGE80_PCT = "quarter_record_pooled_coverage80_pct"
# the best naive rule's mean absolute error on the same pooled quarters, pp (its name in meaning)
QUARTER_RECORD_NAIVE_MAE_PP = "quarter_record_naive_mae_pp"
# earlier runs' calls on quarters now reported, scored (count)
QUARTER_CALLS_SCORED = "quarter_calls_scored"

# Where notebook 03 shows how good its earlier expectations were (the heading's anchor).
RECORD_SECTION = "#The-next-quarter-and-the-record-of-earlier-expectations"
