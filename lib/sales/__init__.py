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
- `record`: every maker's stated targets against outcomes, the method's calls on them scored
- `analysis`: `analyse(inputs) -> Analysis` (every result) and `Analysis.record()`; and
  `shared_work(params)`: the results every maker's report shares, for a universe to compute once
- `charts`, `tables`, `text`: what readers see, built from the `Analysis`
"""

from lib import contract

# Loaded on first use (contract.lazy_exports): readers of `names` do not load the models.
__getattr__, __dir__ = contract.lazy_exports(
    __name__,
    {
        "Analysis": "analysis",
        "shared_work": "analysis",
        "backtest_summary": "evaluation",
        "load_peer_scores": "evaluation",
        "run_backtest": "evaluation",
        "InsufficientHistory": "inputs",
        "Projection": "projection",
        "comparison_table": "projection",
        "project": "projection",
        "Resolution": "resolution",
        "snapshot": "seasonality",
        "resolution": "resolution",
        "track": "track",
    },
)
__all__ = __dir__()
