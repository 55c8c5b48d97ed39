"""What the data hold for each maker: the table `python -m lib check` prints.

One row per registry key: its monthly deliveries against the months expected (from its first
month to the newest month in the file, so a maker that is behind counts its missing latest months),
its latest reported results and their basis, the years of its stated targets and its overseas
ventures. Works on loaded frames only, so tests can pin it on the frozen data.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lib import data, paths

# Which metric states results on which basis: the whole company, a reported segment (a maker's
# business inside a larger group) or the vehicle business alone.
RESULT_BASES = {
    "revenue": "company",
    "gross_margin_pct": "company",
    "segment_revenue": "segment",
    "vehicle_revenue": "vehicle",
    "vehicle_margin_pct": "vehicle",
}
BASIS_ORDER = ("company", "segment", "vehicle")
KIND_RANK = {"quarter": 0, "half": 1, "year": 2}  # a quarter is the finest news of a period end
MISSING_SHOWN = 3  # missing months listed by name; the rest are counted

COLUMNS = ["maker", "months", "share", "latest", "missing", "results", "targets", "ventures"]
HEADERS = {  # what the terminal table calls each column; `python -m lib check` explains them
    "maker": "maker",
    "months": "months",
    "share": "share",
    "latest": "latest",
    "missing": "missing months",
    "results": "latest results",
    "targets": "targets",
    "ventures": "ventures",
}


def month_coverage(deliveries: pd.DataFrame) -> pd.DataFrame:
    """Per brand of `load_deliveries`: first, latest, present, expected and missing (the months
    from its first month to the newest month of the whole file that have no figure)."""
    newest = deliveries["month"].max()
    rows = []
    for brand, months in deliveries.groupby("brand")["month"]:
        expected = pd.period_range(months.min(), newest, freq="M")
        missing = expected.difference(pd.PeriodIndex(months, freq="M"))
        rows.append(
            {
                "brand": brand,
                "first": months.min(),
                "latest": months.max(),
                "present": len(expected) - len(missing),
                "expected": len(expected),
                "missing": list(missing),
            }
        )
    return pd.DataFrame(
        rows, columns=["brand", "first", "latest", "present", "expected", "missing"]
    )


def latest_results(financials: pd.DataFrame) -> pd.DataFrame:
    """Per company of `load_financials`: its newest period with a usable revenue or margin figure
    (`period`; at the same end a quarter before a half before a year; cumulative periods and rows
    flagged uncertain, unverified or forecast do not count) and its `basis`, e.g. company+vehicle."""
    usable = financials[
        financials["metric"].isin(RESULT_BASES.keys())
        & ~financials["flag"].isin(data.UNUSABLE_FLAGS)
        & financials["period_kind"].isin(KIND_RANK.keys())
    ].assign(rank=lambda f: f["period_kind"].map(KIND_RANK))
    newest = usable.sort_values(
        ["company", "period_end", "rank"], ascending=[True, False, True], kind="mergesort"
    ).drop_duplicates("company")
    rows = []
    for company, period in zip(newest["company"], newest["period"], strict=True):
        metrics = usable.loc[
            (usable["company"] == company) & (usable["period"] == period), "metric"
        ]
        bases = {RESULT_BASES[m] for m in metrics}
        basis = "+".join(b for b in BASIS_ORDER if b in bases)
        rows.append({"company": company, "period": period, "basis": basis})
    return pd.DataFrame(rows, columns=["company", "period", "basis"])


def target_years(targets: pd.DataFrame) -> dict[str, list[int]]:
    """The years each maker of `load_targets` has a stated target for, in order."""
    return {
        maker: sorted(set(years)) for maker, years in targets.groupby("maker", sort=False)["year"]
    }


VENTURES_FILE = "ventures.csv"


def load_ventures_if_any(data_dir: Path | None = None) -> pd.DataFrame | None:
    """The ventures table, or None where the folder has none (a data folder made before the table
    existed, such as the frozen test data)."""
    directory = Path(data_dir) if data_dir else paths.data_dir()
    loader = data.LOADERS.get(VENTURES_FILE)  # registered by lib.data once the table exists
    if loader is None or not (directory / VENTURES_FILE).exists():
        return None
    return loader(data_dir)


def venture_counts(ventures: pd.DataFrame | None) -> dict[str, int]:
    """Distinct ventures (maker, venture) per maker in the ventures table, whose rows are facts;
    no table: no counts (every maker shows 0)."""
    if ventures is None or ventures.empty:
        return {}
    return ventures.drop_duplicates(["maker", "venture"])["maker"].value_counts().to_dict()


def _missing_text(missing: list[pd.Period]) -> str:
    if not missing:
        return "none"
    shown = " ".join(str(month) for month in missing[:MISSING_SHOWN])
    rest = len(missing) - MISSING_SHOWN
    return f"{shown} +{rest} more" if rest > 0 else shown


def coverage_table(
    makers: pd.DataFrame,
    deliveries: pd.DataFrame,
    financials: pd.DataFrame,
    targets: pd.DataFrame,
    ventures: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per registry maker (`makers`: the registry frame), as text cells in COLUMNS plus
    `share_pct` (months present / expected, in percent; NaN without a series)."""
    months = month_coverage(deliveries).set_index("brand")
    results = latest_results(financials).set_index("company")
    years = target_years(targets)
    counts = venture_counts(ventures)
    rows = []
    for key, company in zip(makers["key"], makers["company"], strict=True):
        row = {"maker": key, "ventures": counts.get(key, 0)}
        if key in months.index:
            m = months.loc[key]
            share = 100 * m["present"] / m["expected"]
            row |= {
                "months": f"{m['present']}/{m['expected']}",
                "share_pct": share,
                "share": f"{share:.1f}%",
                "latest": str(m["latest"]),
                "missing": _missing_text(m["missing"]),
            }
        else:
            row |= {"months": "0/0", "share_pct": float("nan"), "share": "no series"}
            row |= {"latest": "none", "missing": "no series"}
        if not isinstance(company, str) or not company:
            row["results"] = "no company"
        elif company in results.index:
            row["results"] = f"{results.loc[company, 'period']} {results.loc[company, 'basis']}"
        else:
            row["results"] = "none"
        row["targets"] = " ".join(str(y) for y in years.get(key, [])) or "none"
        rows.append(row)
    return pd.DataFrame(rows, columns=[*COLUMNS, "share_pct"])


def format_table(table: pd.DataFrame) -> str:
    """The text cells of `coverage_table` as an aligned plain-text table with a header."""
    cells = table[COLUMNS].astype(str)
    widths = {c: max([len(HEADERS[c]), *cells[c].str.len()]) for c in COLUMNS}
    lines = ["  ".join(HEADERS[c].ljust(widths[c]) for c in COLUMNS).rstrip()]
    for row in cells.itertuples(index=False):
        lines.append(
            "  ".join(v.ljust(widths[c]) for c, v in zip(COLUMNS, row, strict=True)).rstrip()
        )
    return "\n".join(lines)
