"""The names notebook 01 records its results under (read by the summary, the league table, the
workbook, history.csv and later runs: a change here is a change of the published record)."""

# The answer for an open year.
P_REACH_TARGET = "p_reach_target"  # chance of at least the target in the year (the headline)
P_REACH_INTERNAL_TARGET = "p_reach_internal_target"  # the same for the maker's internal target
FORECAST_MEDIAN_UNITS = "forecast_median_units"  # median forecast of the year, with its 80% range
REQUIRED_GROWTH_PCT = "required_growth_pct"  # growth over last year's total the target needs
REQUIRED_MONTHLY_RUN_RATE_UNITS = "required_monthly_run_rate_units"  # a month, unreported months
LATEST_RUN_RATE_UNITS = "latest_run_rate_units"  # average of the latest reported months
TARGET_UNITS = "target_units"  # the target tested
TARGET_YEAR = "target_year"  # the year it is tested for
TARGET_STATED = "target_stated"  # 1: the maker's own stated target; 0: not
TARGET_CALL = "target_call"  # table: this run's call on the target, scored by later runs

# The backtest (every maker-year in its headline set) and this maker's own part of it.
BACKTEST_MAPE_CHOSEN_PCT = "backtest_mape_chosen_pct"  # the method's mean absolute error
BACKTEST_MAPE_BEST_NAIVE_PCT = "backtest_mape_best_naive_pct"  # the best naive rule's
BACKTEST_COVERAGE80_CHOSEN_PCT = "backtest_coverage80_chosen_pct"  # outcomes in the 80% ranges
BACKTEST_MAPE_HINDSIGHT_BLEND_PCT = "backtest_mape_hindsight_blend_pct"  # best blend in hindsight
BACKTEST_CASES = "backtest_cases"  # maker-years scored
BACKTEST_MAKER_CASES = "backtest_maker_cases"  # of them, this maker's years
BACKTEST_MAKER_MAPE_PCT = "backtest_maker_mape_pct"  # the method's error on this maker's years

# The track record: earlier runs' monthly quantiles against the months reported since.
MONTHLY_FORECAST_QUANTILES = "monthly_forecast_quantiles"  # table: this run's monthly quantiles
TRACK_INSIDE80_PCT = "track_inside80_pct"  # months (or month-ends) inside the 80% bands

# A complete year, scored (`lib.sales.resolution`).
RESOLVED_YEAR = "resolved_year"  # the complete year scored
RESOLVED_OUTCOME_UNITS = "resolved_outcome_units"  # the maker's deliveries that year
RESOLVED_TARGET_UNITS = "resolved_target_units"  # the target it is judged against
RESOLVED_VS_TARGET_PCT = "resolved_vs_target_pct"  # outcome above (+) or below (-) the target
RESOLVED_BRIER = "resolved_brier"  # Brier score of the month-end calls
RESOLVED_LOG_SCORE = "resolved_log_score"  # log score of the same calls
RESOLVED_CALLS = "resolved_calls"  # how many month-end calls were scored

# Where notebook 01 shows the record of earlier answers (the heading's anchor in its page).
RECORD_SECTION = "#The-target-record"

# The target record: makers' stated targets against outcomes, the method's calls on them scored
# against the base rate and a naive run-rate probability (`lib.sales.record`).
TARGET_RECORD_MAKER_YEARS = "target_record_maker_years"  # resolved maker-years with a target
TARGET_RECORD_REACHED_PCT = "target_record_reached_pct"  # of them, share that reached it
TARGET_RECORD_MEDIAN_VS_TARGET_PCT = "target_record_median_vs_target_pct"  # typical miss (-)
TARGET_RECORD_OWN_MAKER_YEARS = "target_record_own_maker_years"  # the maker's own resolved years
TARGET_RECORD_OWN_REACHED = "target_record_own_reached"  # of them, how many reached the target
TARGET_RECORD_CALLS = "target_record_calls"  # month-end calls scored (every forecaster made one)
TARGET_RECORD_CALL_MAKER_YEARS = "target_record_call_maker_years"  # maker-years they cover
TARGET_RECORD_BRIER = "target_record_brier"  # the method's Brier score on those calls
TARGET_RECORD_BRIER_BASE_RATE = "target_record_brier_base_rate"  # the base rate's
TARGET_RECORD_BRIER_RUN_RATE = "target_record_brier_run_rate"  # the naive run-rate's
TARGET_RECORD_LOG_SCORE = "target_record_log_score"  # the method's log score
TARGET_RECORD_LOG_SCORE_BASE_RATE = "target_record_log_score_base_rate"  # the base rate's
TARGET_RECORD_LOG_SCORE_RUN_RATE = "target_record_log_score_run_rate"  # the naive run-rate's
TARGET_RECORD_TABLE = "target_record_table"  # table: every maker-year, target and outcome
TARGET_RECORD_RELIABILITY = "target_record_reliability"  # table: calls by probability said

# Scores against other forecasters (`make peers`) at the horizons shown: the method's, then the
# best other forecaster's (`peer_score` builds the name from its parts).

CRPS_PCT_DEC = "crps_pct_dec"  # the method's CRPS, December before
CRPS_PCT_K3 = "crps_pct_k3"  # the method's CRPS, 3 months reported
CRPS_PCT_K6 = "crps_pct_k6"  # the method's CRPS, 6 months reported
CRPS_PCT_K9 = "crps_pct_k9"  # the method's CRPS, 9 months reported
INTERVAL_SCORE_PCT_DEC = "interval_score_pct_dec"  # the method's interval score, December before
INTERVAL_SCORE_PCT_K3 = "interval_score_pct_k3"  # the method's interval score, 3 months reported
INTERVAL_SCORE_PCT_K6 = "interval_score_pct_k6"  # the method's interval score, 6 months reported
INTERVAL_SCORE_PCT_K9 = "interval_score_pct_k9"  # the method's interval score, 9 months reported
MAPE_PCT_DEC = "mape_pct_dec"  # the method's mean absolute error, December before
MAPE_PCT_K3 = "mape_pct_k3"  # the method's mean absolute error, 3 months reported
MAPE_PCT_K6 = "mape_pct_k6"  # the method's mean absolute error, 6 months reported
MAPE_PCT_K9 = "mape_pct_k9"  # the method's mean absolute error, 9 months reported
COVERAGE80_PCT_DEC = "coverage80_pct_dec"  # the method's 80% range coverage, December before
COVERAGE80_PCT_K3 = "coverage80_pct_k3"  # the method's 80% range coverage, 3 months reported
COVERAGE80_PCT_K6 = "coverage80_pct_k6"  # the method's 80% range coverage, 6 months reported
COVERAGE80_PCT_K9 = "coverage80_pct_k9"  # the method's 80% range coverage, 9 months reported

BEST_PEER_CRPS_PCT_DEC = (
    "best_peer_crps_pct_dec"  # the best other forecaster's CRPS, December before
)
BEST_PEER_CRPS_PCT_K3 = (
    "best_peer_crps_pct_k3"  # the best other forecaster's CRPS, 3 months reported
)
BEST_PEER_CRPS_PCT_K6 = (
    "best_peer_crps_pct_k6"  # the best other forecaster's CRPS, 6 months reported
)
BEST_PEER_CRPS_PCT_K9 = (
    "best_peer_crps_pct_k9"  # the best other forecaster's CRPS, 9 months reported
)
BEST_PEER_INTERVAL_SCORE_PCT_DEC = "best_peer_interval_score_pct_dec"  # the best other forecaster's interval score, December before
BEST_PEER_INTERVAL_SCORE_PCT_K3 = "best_peer_interval_score_pct_k3"  # the best other forecaster's interval score, 3 months reported
BEST_PEER_INTERVAL_SCORE_PCT_K6 = "best_peer_interval_score_pct_k6"  # the best other forecaster's interval score, 6 months reported
BEST_PEER_INTERVAL_SCORE_PCT_K9 = "best_peer_interval_score_pct_k9"  # the best other forecaster's interval score, 9 months reported
BEST_PEER_MAPE_PCT_DEC = (
    "best_peer_mape_pct_dec"  # the best other forecaster's mean absolute error, December before
)
BEST_PEER_MAPE_PCT_K3 = (
    "best_peer_mape_pct_k3"  # the best other forecaster's mean absolute error, 3 months reported
)
BEST_PEER_MAPE_PCT_K6 = (
    "best_peer_mape_pct_k6"  # the best other forecaster's mean absolute error, 6 months reported
)
BEST_PEER_MAPE_PCT_K9 = (
    "best_peer_mape_pct_k9"  # the best other forecaster's mean absolute error, 9 months reported
)
BEST_PEER_COVERAGE80_PCT_DEC = "best_peer_coverage80_pct_dec"  # the best other forecaster's 80% range coverage, December before
BEST_PEER_COVERAGE80_PCT_K3 = "best_peer_coverage80_pct_k3"  # the best other forecaster's 80% range coverage, 3 months reported
BEST_PEER_COVERAGE80_PCT_K6 = "best_peer_coverage80_pct_k6"  # the best other forecaster's 80% range coverage, 6 months reported
BEST_PEER_COVERAGE80_PCT_K9 = "best_peer_coverage80_pct_k9"  # the best other forecaster's 80% range coverage, 9 months reported


def peer_score(score: str, months_reported: int, best_peer: bool = False) -> str:
    """The recorded name of a peer score (a stem such as "crps_pct") at a horizon, e.g.
    `CRPS_PCT_DEC` or `BEST_PEER_MAPE_PCT_K3`."""
    suffix = "dec" if months_reported == 0 else f"k{months_reported}"
    name = f"{'best_peer_' if best_peer else ''}{score}_{suffix}"
    if name.upper() not in globals():
        raise ValueError(f"{name!r} is not a result name of notebook 01 (lib.sales.names)")
    return name


# The whole year: scores averaged over every month-end k = 0..11 of the rolling-origin evaluation
# (`make peers`, headline maker-years), the answer's method against the naive run-rate rule and the
# mean of statsforecast's three models (ratio of means - 1, in percent, with a paired bootstrap 95%
# interval over maker-years), and the coverage of the monthly 80% bands.
YEAR_CRPS_PCT = "year_crps_pct"  # the answer's method's mean CRPS (percent of the actual)
YEAR_INTERVAL_SCORE_PCT = "year_interval_score_pct"  # its mean interval score
YEAR_COVERAGE80_PCT = "year_coverage80_pct"  # share of annual outcomes inside its 80% ranges
YEAR_CRPS_PCT_RUN_RATE = "year_crps_pct_run_rate"  # the run-rate rule's mean CRPS
YEAR_INTERVAL_SCORE_PCT_RUN_RATE = "year_interval_score_pct_run_rate"  # its interval score
YEAR_CRPS_PCT_STATSFORECAST = "year_crps_pct_statsforecast"  # statsforecast mean's CRPS
YEAR_INTERVAL_SCORE_PCT_STATSFORECAST = "year_interval_score_pct_statsforecast"  # its IS
YEAR_CRPS_VS_RUN_RATE_PCT = "year_crps_vs_run_rate_pct"  # CRPS against the run-rate's (-: lower)
YEAR_CRPS_VS_STATSFORECAST_PCT = "year_crps_vs_statsforecast_pct"  # against statsforecast's
YEAR_INTERVAL_SCORE_VS_RUN_RATE_PCT = "year_interval_score_vs_run_rate_pct"  # IS, run-rate
YEAR_INTERVAL_SCORE_VS_STATSFORECAST_PCT = "year_interval_score_vs_statsforecast_pct"  # IS, sf
YEAR_MAKER_YEARS = "year_maker_years"  # headline maker-years in the evaluation
YEAR_MAKER_YEARS_ALL = "year_maker_years_all"  # every maker-year scored (headline and others)
YEAR_SCORES = "year_scores"  # table: every method's averages and paired interval against it
MONTHLY_INSIDE80_PCT_ROLLING = "monthly_inside80_pct_rolling"  # months in the monthly 80% bands
MONTHLY_INSIDE80_PCT_OUT_OF_SAMPLE = "monthly_inside80_pct_out_of_sample"  # after frozen data
