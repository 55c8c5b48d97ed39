"""Sales trajectory: will a maker reach its annual delivery target, and how likely is it?

Three model families simulate monthly delivery paths (SARIMAX with a Chinese New Year regressor,
damped ETS, a logistic growth curve); naive rules are the yardstick; a rolling-origin backtest
from December cutoffs weighs the models and calibrates their spread, using only maker-years that
had ended by each cutoff. The modules, in the order the analysis runs:

- `inputs`: parameters checked, data loaded, the maker's series, the target's arithmetic
- `seasonality`: the Chinese New Year regressor and the seasonal profile pooled over makers
- `models`: SARIMAX, ETS and the growth curve, each fitted and simulated
- `simulation`: weights, mixture, calibration and target-year totals of the paths
- `evaluation`: naive baselines, the backtest, its summary, the hindsight bound, diagnostics
- `analysis`: the projection, the comparison across makers, `analyse(inputs)`
- `track`: the monthly forecast quantiles each run records, scored by later runs; out of sample
- `resolution`: a complete year's outcome against its target and the calls made during it, scored
- `charts`, `tables`, `report`: what readers see, built from the `Analysis`

A notebook needs: `load_inputs`, `analyse`, `record`, the charts, the tables and the report text.
"""

from lib.sales import resolution, track
from lib.sales.analysis import (
    Analysis,
    Projection,
    analyse,
    compare,
    comparison_table,
    project,
    projections,
)
from lib.sales.charts import (
    backtest_chart,
    fan_chart,
    history_chart,
    horizon_chart,
    models_chart,
    month_ends_chart,
    residuals_chart,
    resolution_chart,
    seasonality_chart,
    target_chart,
    totals_chart,
    yoy_chart,
)
from lib.sales.evaluation import backtest_summary, load_peer_scores, run_backtest
from lib.sales.inputs import Inputs, InsufficientHistory, load_inputs, validate_parameters
from lib.sales.report import (
    answer_markdown,
    calibration_markdown,
    caveats_markdown,
    peers_markdown,
    record,
    record_peers,
    record_resolution,
    resolution_markdown,
    skill_markdown,
)
from lib.sales.resolution import Resolution, resolve, year_to_resolve
from lib.sales.seasonality import snapshot
from lib.sales.tables import (
    annual_totals_table,
    assumptions_table,
    backtest_tables,
    comparison_tables,
    horizon_table,
    model_tables,
    needs_table,
    resolution_table,
    track_tables,
    weights_tables,
)

__all__ = [
    "Analysis",
    "Inputs",
    "InsufficientHistory",
    "Projection",
    "analyse",
    "annual_totals_table",
    "answer_markdown",
    "assumptions_table",
    "backtest_chart",
    "backtest_summary",
    "backtest_tables",
    "calibration_markdown",
    "caveats_markdown",
    "compare",
    "comparison_table",
    "comparison_tables",
    "fan_chart",
    "history_chart",
    "horizon_chart",
    "horizon_table",
    "load_inputs",
    "load_peer_scores",
    "model_tables",
    "models_chart",
    "month_ends_chart",
    "projections",
    "track",
    "track_tables",
    "needs_table",
    "peers_markdown",
    "project",
    "record",
    "record_peers",
    "residuals_chart",
    "Resolution",
    "record_resolution",
    "resolution",
    "resolution_chart",
    "resolution_markdown",
    "resolution_table",
    "resolve",
    "year_to_resolve",
    "run_backtest",
    "seasonality_chart",
    "skill_markdown",
    "snapshot",
    "target_chart",
    "totals_chart",
    "validate_parameters",
    "weights_tables",
    "yoy_chart",
]
