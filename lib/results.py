"""Headline results: a notebook records them, the runner collects them, the summary reads them.

`record()` publishes each result as a display output with its own MIME type, so the executed
notebook itself carries its results (no side files, nothing to parse out of HTML) and renders
nothing visible; `table()` shows what this notebook recorded so far, for readers.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
import pandas as pd

MIME_TYPE = "application/vnd.evr.result+json"
ROLES = ("headline", "supporting", None)
_recorded: dict[str, Result] = {}
_tables: dict[str, dict] = {}  # tables recorded in this process (`record_table`)


@dataclass(frozen=True)
class Result:
    """One headline number: `value` in `unit`, with an optional interval [low, high]."""

    name: str
    value: float | int | str | None
    unit: str
    meaning: str
    low: float | None = None
    high: float | None = None
    role: str | None = None  # "headline": the notebook's answer; "supporting": its context

    def to_json(self) -> dict:
        return {key: _plain(value) for key, value in asdict(self).items()}


def _plain(value):
    """JSON-safe scalar: numpy numbers become Python numbers, NaN becomes None."""
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def record(
    name: str,
    value,
    unit: str,
    meaning: str,
    low: float | None = None,
    high: float | None = None,
    role: str | None = None,
) -> Result:
    """Record a headline number of this notebook (shown in the summary, index and results.json).

    `role` declares what the summary does with it: "headline" (the notebook's answer, one per
    notebook), "supporting" (said next to the answer) or None (recorded only)."""
    if not name.isidentifier():
        raise ValueError(f"result name {name!r} must be a snake_case identifier")
    if role not in ROLES:
        raise ValueError(
            f"result {name!r}: role {role!r} must be one of {', '.join(map(str, ROLES))}"
        )
    result = Result(name, _plain(value), unit, meaning, _plain(low), _plain(high), role)
    if problem := result_problem(result.to_json()):  # what a later reader would refuse
        raise ValueError(problem)
    _recorded[name] = result
    try:
        from IPython.display import display

        display({MIME_TYPE: result.to_json()}, raw=True)
    except ImportError:  # plain Python: the in-memory record is enough
        pass
    return result


def record_table(name: str, frame: pd.DataFrame, unit: str, meaning: str) -> dict:
    """Record a small table of this notebook (e.g. forecast quantiles per month) for later runs.

    Published like `record` with `value` None and the table as {"columns": [...], "rows":
    [[...], ...]} (JSON-safe: NaN becomes None, periods and dates become text), so the runner
    collects it into results.json; readers that want a number skip it (no value, no role)."""
    if not name.isidentifier():
        raise ValueError(f"result name {name!r} must be a snake_case identifier")
    payload = {
        "name": name,
        "value": None,
        "unit": unit,
        "meaning": meaning,
        "role": None,
        "table": {
            "columns": [str(c) for c in frame.columns],
            "rows": [[_cell(v) for v in row] for row in frame.itertuples(index=False)],
        },
    }
    json.dumps(payload, allow_nan=False)  # fails here, naming nothing silently, if not JSON-safe
    _tables[name] = payload
    try:
        from IPython.display import display

        display({MIME_TYPE: payload}, raw=True)
    except ImportError:
        pass
    return payload


def _cell(value):
    """A table cell as JSON: numbers and text as they are, NaN None, anything else its text."""
    value = _plain(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return None if pd.isna(value) else str(value)


def table_frame(result: dict | None) -> pd.DataFrame | None:
    """A recorded table (from `record_table`, e.g. read back from results.json) as a DataFrame;
    None when `result` is absent or carries no well-formed table."""
    table = (result or {}).get("table")
    if not isinstance(table, dict):
        return None
    columns, rows = table.get("columns"), table.get("rows")
    if not isinstance(columns, list) or not isinstance(rows, list):
        return None
    if not all(isinstance(r, list) and len(r) == len(columns) for r in rows):
        return None
    return pd.DataFrame(rows, columns=columns)


def recorded() -> list[Result]:
    """Results recorded in this process, in order."""
    return list(_recorded.values())


def recorded_tables() -> dict[str, dict]:
    """The tables recorded so far in this process (`record_table` payloads), by name."""
    return dict(_tables)


def clear() -> None:
    _recorded.clear()
    _tables.clear()


def format_value(result: Result | dict) -> str:
    """A result as a reader sees it: 42.0% [35.1%, 49.3%], 1,234,567 units, ..."""
    data = result if isinstance(result, dict) else result.to_json()
    value, unit = data["value"], data["unit"]
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value

    def one(number: float) -> str:
        if unit == "year":  # a calendar year, not a quantity
            return f"{number:.0f}"
        if unit in ("probability", "share"):
            return f"{100 * number:.0f}%"
        if unit in ("pct", "percent"):
            return f"{number:.1f}%"
        if unit in ("pp",):
            return f"{number:+.1f} pp"
        if abs(number) >= 1000:
            return f"{number:,.0f}"
        return (
            f"{number:,.2f}".rstrip("0").rstrip(".") if isinstance(number, float) else f"{number:,}"
        )

    suffix = "" if unit in ("probability", "share", "pct", "percent", "pp", "year") else f" {unit}"
    text = one(value) + suffix
    if has_interval(data):
        text += f" [{one(data['low'])}, {one(data['high'])}]"
    return text


def has_interval(result: Result | dict) -> bool:
    """Whether a result carries an interval worth showing: both ends, and not of zero width
    (a range from one value to itself says nothing; its meaning says why there is none)."""
    data = result if isinstance(result, dict) else result.to_json()
    low, high = data.get("low"), data.get("high")
    return low is not None and high is not None and low != high


# One scale of words for a probability, used by every text that words one (bands of 20 points).
LIKELIHOOD_WORDS = (
    (0.8, "very likely"),
    (0.6, "likely"),
    (0.4, "about as likely as not"),
    (0.2, "unlikely"),
)


def likelihood(probability: float) -> str:
    """A probability in words: 'very likely' (80% or more) to 'very unlikely' (under 20%)."""
    return next((word for edge, word in LIKELIHOOD_WORDS if probability >= edge), "very unlikely")


def table(results: list[Result] | None = None) -> pd.DataFrame:
    """Recorded results as a table for readers: result, value, meaning."""
    rows = [r.to_json() for r in (recorded() if results is None else results)]
    return pd.DataFrame(
        {"value": [format_value(r) for r in rows], "meaning": [r["meaning"] for r in rows]},
        index=pd.Index([r["name"] for r in rows], name="result"),
    )


# ---------------------------------------------------------------------------------------------
# Reading results back: every field checked for its type, never trusted

NUMBER, TEXT, NONE = (int, float), (str,), (type(None),)
RESULT_FIELDS = {
    "name": TEXT,
    "value": NUMBER + TEXT + NONE,
    "unit": TEXT,
    "meaning": TEXT,
    "low": NUMBER + NONE,
    "high": NUMBER + NONE,
    "role": TEXT + NONE,
    "table": (dict,),
}
RESULT_REQUIRED = ("name", "value", "unit", "meaning")
ENTRY_FIELDS = {"title": TEXT, "status": TEXT, "note": TEXT + NONE, "results": (list,)}
RUN_FIELDS = {
    "run_id": TEXT,
    "kind": TEXT,
    "scenario": TEXT,
    "maker": TEXT + NONE,
    "data_as_of": TEXT + NONE,
    "notebooks": (dict,),
    "makers": (dict,),
}


def _fits(value, kinds: tuple[type, ...]) -> bool:
    """`value` is one of `kinds`; a bool is not a number, a number must be finite."""
    if isinstance(value, bool):
        return bool in kinds
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, kinds)


def wrong_fields(content, fields: dict[str, tuple], required=(), what: str = "") -> str | None:
    """What is wrong with a JSON object read back (a missing `required` key, a key of `fields`
    of another type), or None; `what` names the object in the message."""
    where = f"{what}: " if what else ""
    if not isinstance(content, dict):
        return f"{where}expected an object, found {type(content).__name__}"
    for key in required:
        if key not in content:
            return f"{where}'{key}' missing"
    for key, kinds in fields.items():
        if key in content and not _fits(content[key], kinds):
            names = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
            return (
                f"{where}'{key}' is {json.dumps(content[key], default=str)[:40]}, expected {names}"
            )
    return None


def result_problem(payload) -> str | None:
    """What makes a recorded result unusable (a field missing or of the wrong type), or None."""
    name = payload.get("name") if isinstance(payload, dict) else None
    problem = wrong_fields(
        payload, RESULT_FIELDS, RESULT_REQUIRED, f"result {name!r}" if name else "a result"
    )
    if problem is None and not name.isidentifier():
        return f"result {name!r}: its name is not an identifier"
    if problem is None and payload.get("role") not in ROLES:
        return f"result {name!r}: role {payload['role']!r} is not one of {ROLES}"
    if problem is None and "table" in payload and not _is_table(payload["table"]):
        return f"result {name!r}: 'table' is not columns (names) and rows of numbers and text, one per column"
    return problem


def _is_table(table: dict) -> bool:
    """A table as `record_table` writes it: {"columns": [names], "rows": [[cell per column]]}."""
    columns, rows = table.get("columns"), table.get("rows")
    return (
        isinstance(columns, list)
        and all(isinstance(c, str) for c in columns)
        and isinstance(rows, list)
        and all(isinstance(r, list) and len(r) == len(columns) for r in rows)
        and all(_is_cell(cell) for r in rows for cell in r)
    )


PLAIN_CELLS = {str, int, bool, type(None)}  # what JSON gives back, checked by type alone


def _is_cell(cell) -> bool:
    """A table cell: a number (finite), text, a bool or null. Tables hold thousands of cells in
    every earlier run a run reads back, so the common types are checked first, by type."""
    kind = type(cell)
    if kind is float:
        return math.isfinite(cell)
    return kind in PLAIN_CELLS or _fits(cell, NUMBER + TEXT + NONE + (bool,))


def _run_problem(content) -> str | None:
    if problem := wrong_fields(content, RUN_FIELDS, ("notebooks",)):
        return problem
    for name, entry in content["notebooks"].items():
        if problem := wrong_fields(entry, ENTRY_FIELDS, ("results",), f"notebook {name!r}"):
            return problem
        for result in entry["results"]:
            if problem := result_problem(result):
                return f"notebook {name!r}, {problem}"
    return None


def content_problem(content) -> str | None:
    """What makes a results.json unusable: the run's fields, each notebook's and each result's
    (and a universe run's, each maker's) checked for type; None when it is sound."""
    if problem := _run_problem(content):
        return problem
    for maker, inner in content.get("makers", {}).items():
        if problem := _run_problem(inner):
            return f"maker {maker!r}, {problem}"
    return None


def from_notebook(notebook: nbformat.NotebookNode | str | Path) -> list[dict]:
    """Results recorded in an executed notebook (the last record of a name wins); ValueError
    when one of them is not a well-formed result."""
    if not isinstance(notebook, nbformat.NotebookNode):
        notebook = nbformat.read(str(notebook), as_version=4)
    found: dict[str, dict] = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(MIME_TYPE)
            if payload is not None:
                if problem := result_problem(payload):
                    raise ValueError(f"a recorded result is damaged: {problem}")
                found[payload["name"]] = dict(payload)
    return list(found.values())


def load(run_dir: str | Path) -> dict:
    """The results.json of a run: {"notebooks": {name: {"status": ..., "results": [...]}}, ...};
    ValueError naming the file when it is not one (see `content_problem`)."""
    path = Path(run_dir) / "results.json"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no results.json (has the run recorded its results yet?)")
    if not path.is_file():  # a FIFO would block the read
        raise ValueError(f"{path}: not a regular file")
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None
    if problem := content_problem(content):
        raise ValueError(f"{path}: {problem}")
    return content


def lookup(run_results: dict, notebook: str, name: str) -> dict | None:
    """One recorded result from a loaded results.json, or None when it is absent."""
    entry = run_results.get("notebooks", {}).get(notebook, {})
    for result in entry.get("results", []):
        if result["name"] == name:
            return result
    return None
