"""The reader tables of notebook 03, built from the Analysis: every one through
`lib.tables.reader_table` (numbers formatted there, text escaped, sources footnoted)."""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from lib.margins import outlook
from lib.margins.analysis import Analysis
from lib.margins.panel import duplicate_choices
from lib.tables import reader_table

# The maker's quarters: table column -> (panel column, format).
HISTORY_COLUMNS = {
    "revenue ({currency} mn)": ("revenue", "{:,.0f}"),
    "deliveries": ("deliveries", "{:,.0f}"),
    "revenue per vehicle ({currency})": ("revenue_per_vehicle", "{:,.0f}"),
    "gross margin (%)": ("gross_margin_pct", "{:,.1f}"),
    "net margin (%)": ("net_margin_pct", "{:,.1f}"),
}


def events(result: Analysis) -> Styler:
    found = result.inputs.events
    shown = found.assign(date=found["date"].dt.strftime("%Y-%m-%d"))
    return reader_table(shown[["number", "date", "kind", "event", "quality", "source_url"]])


def _not_stated(table: pd.DataFrame, labels: dict[str, str]) -> pd.Series:
    """Per quarter, the figures not stated as such, with their flag: 'revenue: derived'."""
    return pd.Series(
        [
            "; ".join(
                f"{label}: {row[f'{column}_flag']}"
                for label, column in labels.items()
                if pd.notna(row[column]) and row[f"{column}_flag"] not in ("stated", None)
            )
            for _, row in table.iterrows()
        ],
        index=table.index,
    )


def history(result: Analysis) -> Styler:
    """The maker's quarters, with the figures that are not stated named in the last column."""
    t, currency = result.panel.table, result.currency
    columns = {label.format(currency=currency): spec for label, spec in HISTORY_COLUMNS.items()}
    table = pd.DataFrame({label: t[column] for label, (column, _) in columns.items()})
    table["cumulative deliveries"] = t["cum_deliveries"]
    table["figures not stated"] = _not_stated(
        t, {label.split(" (")[0]: column for label, (column, _) in columns.items()}
    )
    table.index = t.index.astype(str)
    formats = {label: fmt for label, (_, fmt) in columns.items()}
    formats["cumulative deliveries"] = "{:,.0f}"
    return reader_table(table, formats, hide_index=False)


def duplicates(result: Analysis) -> Styler:
    """The figures the maker's table uses and the ones set aside (a one-line note when none)."""
    choices = duplicate_choices(result.inputs.financials, result.inputs.company)
    if choices.empty:
        return reader_table(pd.DataFrame({"note": ["No figure of this maker has two sources."]}))
    shown = choices[["period", "metric", "value", "unit", "flag", "picked", "note"]]
    return reader_table(shown, {"value": "{:,.1f}"})


def industry(result: Analysis) -> Styler:
    rows = pd.concat([result.inputs.industry_margins, result.inputs.price_cut_counts])
    return reader_table(rows[["name", "value", "unit", "as_of", "note", "source_url"]])


def bridge(result: Analysis) -> Styler:
    label = f"{result.currency} mn"
    table = result.bridge.table().rename(columns={"value_mn": label})
    return reader_table(table, {label: "{:,.1f}"})


def fit(result: Analysis) -> Styler:
    """The learning-curve fit in one row."""
    found = result.fit
    low, high = found.learning_rate_ci
    row = {
        "learning rate (%)": 100 * found.learning_rate,
        "95% low (%)": 100 * low,
        "95% high (%)": 100 * high,
        "slope b": found.slope,
        "s.e. of b": found.slope_se,
        "quarters": found.n_points,
        "R squared": found.r_squared,
        "residual s.d. (log points)": found.residual_sd,
        "Durbin-Watson (2: no autocorrelation)": found.durbin_watson,
        "data used": found.scope,
    }
    formats = {
        "learning rate (%)": "{:.1f}",
        "95% low (%)": "{:.1f}",
        "95% high (%)": "{:.1f}",
        "slope b": "{:.3f}",
        "s.e. of b": "{:.3f}",
        "R squared": "{:.2f}",
        "residual s.d. (log points)": "{:.3f}",
        "Durbin-Watson (2: no autocorrelation)": "{:.2f}",
    }
    return reader_table(pd.DataFrame([row]), formats)


def battery(result: Analysis) -> Styler:
    refs = result.inputs.battery_rates
    return reader_table(refs[["name", "value", "unit", "as_of", "note", "source_url"]])


def affordability(result: Analysis) -> Styler:
    """Each compared company's cushion, cash and net income per vehicle; empty: not in the data."""
    labels = {
        "margin_basis": "margin basis",
        "cushion_pp": "gross margin, % (price cut to zero gross profit, pp)",
        "cash_mn": "cash (mn)",
        "cash_as_of": "cash at",
        "cash_to_revenue_pct": "cash / last-year revenue (%)",
        "net_income_per_vehicle": "net income per vehicle, last 4 quarters",
        "flags": "figures not stated",
    }
    shown = result.affordability.drop(columns="gross_margin_pct").rename(columns=labels)
    formats = {
        labels["cushion_pp"]: "{:.1f}",
        labels["cash_mn"]: "{:,.0f}",
        labels["cash_to_revenue_pct"]: "{:.0f}",
        labels["net_income_per_vehicle"]: "{:,.0f}",
    }
    return reader_table(shown, formats)


def quarter_backtest(result: Analysis) -> Styler:
    """The maker's reported quarters, each predicted from the data before it, and why a quarter
    is not scored."""
    own = result.outlook.own
    table = pd.DataFrame(
        {
            "quarter": own["quarter"].astype(str),
            "gross margin (%)": own["margin_pct"],
            "expected (%)": own["expected_pct"],
            "80% low (%)": own["expected_low_pct"],
            "80% high (%)": own["expected_high_pct"],
            "error (pp)": own["expected_error_pp"].where(own["skipped"] == ""),
            "inside 80%": own["expected_inside80"].map({True: "yes", False: "no"}),
            "last quarter (%)": own["last_quarter_pct"],
            "a year earlier (%)": own["year_ago_pct"],
            "not scored because": own["skipped"],
        }
    )
    formats = {c: "{:.1f}" for c in table.columns if c.endswith(("(%)", "(pp)"))}
    return reader_table(table, formats)


def quarter_record(result: Analysis) -> Styler:
    """Each rule's record on the maker's own scored quarters and on every company's."""
    found = result.outlook
    rows = [
        {
            "quarters of": scope,
            "rule": record.rule,
            "quarters": record.quarters,
            "mean absolute error (pp)": record.mae_pp,
            "inside 80% range (%)": record.coverage80_pct,
            "interval score (pp)": record.interval_score_pp,
        }
        for scope, records in (
            (result.inputs.company, found.own_record),
            ("every company", found.pooled_record),
        )
        for record in records.values()
    ]
    formats = {
        "mean absolute error (pp)": "{:.2f}",
        "inside 80% range (%)": "{:.0f}",
        "interval score (pp)": "{:.2f}",
    }
    return reader_table(pd.DataFrame(rows), formats)


def quarter_model(result: Analysis) -> Styler:
    """The pooled regression behind the next quarter's expectation: each term's coefficient
    with its 95% interval, the quarter's driver and what it adds to the expectation."""
    call = result.outlook.call
    if call is None:
        note = f"No expectation: {result.outlook.reason}."
        return reader_table(pd.DataFrame({"note": [note]}))
    fit, terms = call.fit, ["const", *outlook.TERMS]
    low, high = fit.interval()
    table = pd.DataFrame(
        {
            "term": [outlook.TERM_LABELS[t] for t in terms],
            "coefficient": fit.coefficients[terms].to_numpy(),
            "95% low": low[terms].to_numpy(),
            "95% high": high[terms].to_numpy(),
            f"driver in {call.quarter}": [1.0, *call.drivers[list(outlook.TERMS)]],
            "effect on the expectation (pp)": call.effects_pp[terms].to_numpy(),
        }
    )
    numbers = {c: "{:.3f}" for c in table.columns[1:-1]}
    return reader_table(table, {**numbers, "effect on the expectation (pp)": "{:+.2f}"})


def earlier_calls(result: Analysis) -> Styler:
    """Earlier runs' calls on quarters now reported, scored (a one-line note when none)."""
    calls = result.outlook.earlier
    if calls.empty:
        return reader_table(pd.DataFrame({"note": ["No earlier run's call can be scored yet."]}))
    shown = calls.assign(inside80=calls["inside80"].map({True: "yes", False: "no"}))
    shown = shown[["run_id", "data_to", "quarter", "expected", "low", "high", "actual"]].join(
        shown[["error_pp", "inside80"]]
    )
    formats = {c: "{:.1f}" for c in ("expected", "low", "high", "actual", "error_pp")}
    return reader_table(shown, formats)
