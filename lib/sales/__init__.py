"""Sales trajectory: will a maker reach its annual delivery target, and how likely is it?

Three model families simulate monthly delivery paths (SARIMAX with a Chinese New Year regressor,
damped ETS, a logistic growth curve); naive rules are the yardstick; a rolling-origin backtest
from December cutoffs weighs the models and calibrates their spread, using only maker-years that
had ended by each cutoff. The package follows the analysis contract (lib.contract):
`params = Params(...)`, `inputs = load(params)`, `result = analyse(inputs)`, `result.record()`,
then `charts`, `tables` and `text` show the result. The modules, in the order the analysis runs:

- `names`: the names the results are recorded under; `params`: the parameters
- `inputs`: `load`: the data, the maker's series cut at the cutoff, the target and its arithmetic
- `seasonality`: the Chinese New Year regressor and the seasonal profile pooled over makers
- `models`: SARIMAX, ETS and the growth curve, each fitted and simulated
- `simulation`: weights, mixture, calibration and target-year totals of the paths
- `evaluation`: naive baselines, the backtest, its summary, the hindsight bound, diagnostics
- `projection`: one maker's projection, and the same for every maker
- `track`: the monthly forecast quantiles each run records, scored by later runs; out of sample
- `resolution`: a complete year's outcome against its target and the calls made during it, scored
- `analysis`: `analyse(inputs) -> Analysis` (every result) and `Analysis.record()`
- `charts`, `tables`, `text`: what readers see, built from the `Analysis`
"""

from lib.sales import charts, names, resolution, tables, text, track
from lib.sales.analysis import Analysis, analyse
from lib.sales.evaluation import backtest_summary, load_peer_scores, run_backtest
from lib.sales.inputs import Inputs, InsufficientHistory, load
from lib.sales.params import Params
from lib.sales.projection import Projection, comparison_table, project
from lib.sales.resolution import Resolution
from lib.sales.seasonality import snapshot

__all__ = [
    "Analysis",
    "Inputs",
    "InsufficientHistory",
    "Params",
    "Projection",
    "Resolution",
    "analyse",
    "backtest_summary",
    "charts",
    "comparison_table",
    "load",
    "load_peer_scores",
    "names",
    "project",
    "resolution",
    "run_backtest",
    "snapshot",
    "tables",
    "text",
    "track",
]
