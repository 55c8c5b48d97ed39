"""The research note: a verdict per question in plain words, what changed and why, what to watch, the main risks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lib import paths, results, runs

if TYPE_CHECKING:
    pass
from lib.margins import names as margins_names
from lib.payback import names as payback_names
from lib.premium import names as premium_names
from lib.sales import names as sales_names
from lib.summary.core import QUESTIONS, RunResults, answers, found_results

# ---------------------------------------------------------------------------------------------
# The research note: verdicts, what changed and why, what to watch, the risks


@dataclass(frozen=True)
class Verdict:
    """One answer as a research note says it: the verdict in words with its number and range,
    the detail behind it, and what it says about the seed article's claim."""

    key: str
    verdict: str
    detail: str
    claim: str
    href: str
    record: str = ""  # how good earlier answers of this kind were, in one line
    record_href: str = ""  # the section of the full report that shows that record


_words = results.likelihood  # one scale of words for every probability the note words


def _num(result: dict | None, value: float | None = None) -> str:
    """A recorded number as text, without its interval (n/a when absent)."""
    if result is None:
        return "n/a"
    return results.format_value(
        {
            **result,
            "low": None,
            "high": None,
            "value": value if value is not None else result["value"],
        }
    )


def _range(result: dict) -> str:
    """'low to high' of a recorded interval, in the result's unit ('' without one, or for one of
    zero width, which is no range)."""
    if not results.has_interval(result):
        return ""
    return f"{_num(result, result['low'])} to {_num(result, result['high'])}"


def _with_range(result: dict, label: str = "") -> str:
    """A recorded number and its interval in brackets ('13.7% (80% interval 10.0% to 17.1%)'); a
    number without a range says so rather than showing one value twice."""
    shown = _range(result)
    if shown:
        return f"{_num(result)} ({label + ' ' if label else ''}{shown})"
    zero = result.get("low") is not None and result.get("low") == result.get("high")
    return f"{_num(result)} (no range{': ' + _no_range_reason(result) if zero else ''})"


def _no_range_reason(result: dict) -> str:
    """Why a recorded interval has zero width: what its meaning says, else that it has none."""
    found = re.search(r"no interval: ([^;)]+)", result.get("meaning", ""))
    return found.group(1) if found else "its recorded interval has zero width"


def _value(found: dict, name: str) -> float | str:
    """A recorded value that must be there (KeyError or TypeError otherwise: the caller falls
    back to the recorded meanings)."""
    value = found[name]["value"]
    if value is None:
        raise TypeError(f"{name} has no value")
    return value


def _target_basis(found: dict) -> str:
    """What the tested target is, as notebook 01 recorded it: 'stated' (the maker's own),
    'last year' (none stated: last year's total) or 'parameter' (set by the analyst)."""
    stated = found.get(sales_names.TARGET_STATED)
    if stated is None:  # a run recorded before the basis was: the target is the stated one
        return "stated"
    if stated.get("value") == 1:
        return "stated"
    return "last year" if "(last year)" in stated.get("meaning", "") else "parameter"


def _verdict_sales(found: dict, maker: str) -> tuple[str, str, str]:
    if _resolved_answer(found):
        return _verdict_resolved(found, maker)
    p, target, forecast = (
        _value(found, sales_names.P_REACH_TARGET),
        found[sales_names.TARGET_UNITS],
        found[sales_names.FORECAST_MEDIAN_UNITS],
    )
    year = (
        f" in {found[sales_names.TARGET_YEAR]['value']}" if sales_names.TARGET_YEAR in found else ""
    )
    chance, basis = results.format_value(found[sales_names.P_REACH_TARGET]), _target_basis(found)
    verdict = (
        f"{_words(p).capitalize()}: {chance} chance that {maker} delivers {_num(target)}{year}"
    )
    claim = f"That {maker} reaches its stated target of {_num(target)}{year} is {_words(p)} on the data so far."
    if basis == "last year" and sales_names.TARGET_YEAR in found:
        last = int(_value(found, sales_names.TARGET_YEAR)) - 1
        verdict = f"No target stated yet{year}: {chance} chance that {maker} beats its {last} total of {_num(target)}"
        claim = (
            f"That {maker} delivers more{year} than in {last} is {_words(p)} on the data so far."
        )
    elif basis == "parameter":
        claim = f"That {maker} reaches {_num(target)}{year}, a target set for this run, is {_words(p)} on the data so far."
    detail = f"Median forecast {_with_range(forecast, '10th-90th percentile')}."
    if (
        sales_names.REQUIRED_MONTHLY_RUN_RATE_UNITS in found
        and sales_names.LATEST_RUN_RATE_UNITS in found
    ):
        need, have = (
            _value(found, sales_names.REQUIRED_MONTHLY_RUN_RATE_UNITS),
            _value(found, sales_names.LATEST_RUN_RATE_UNITS),
        )
        detail += f" The target needs {need:,.0f} a month for the rest of the year, {need / have - 1:+.0%} on the latest {have:,.0f} a month."
    if sales_names.TRACK_INSIDE80_PCT in found:  # how earlier forecasts did (about 80% is right)
        track = found[sales_names.TRACK_INSIDE80_PCT]
        detail += f" Track record: {results.format_value(track)} of the {track['meaning']}."
    if sales_names.RESOLVED_BRIER in found:
        detail += f" Last complete year: {_last_year_record(found)}"
    return verdict, detail, claim


def _resolved_answer(found: dict) -> bool:
    """True when the target year is complete: the answer is its outcome, not a chance."""
    return (
        sales_names.RESOLVED_YEAR in found
        and sales_names.TARGET_YEAR in found
        and found[sales_names.RESOLVED_YEAR]["value"] == found[sales_names.TARGET_YEAR]["value"]
        and sales_names.RESOLVED_OUTCOME_UNITS in found
    )


def _last_year_record(found: dict) -> str:
    """The calls on the last complete year, scored, in one sentence."""
    year = int(_value(found, sales_names.RESOLVED_YEAR))
    pct = _value(found, sales_names.RESOLVED_VS_TARGET_PCT)
    return (
        f"{year} ended {abs(pct):.1f}% {'above' if pct >= 0 else 'below'} "
        f"{found[sales_names.RESOLVED_TARGET_UNITS]['meaning']}; the {int(_value(found, sales_names.RESOLVED_CALLS))} "
        f"month-end calls on it scored a Brier score of {_value(found, sales_names.RESOLVED_BRIER):.3f} "
        f"(a constant 50%: 0.250)."
    )


def _verdict_resolved(found: dict, maker: str) -> tuple[str, str, str]:
    """A complete target year: the outcome, and how the calls during the year scored."""
    year = int(_value(found, sales_names.RESOLVED_YEAR))
    outcome, pct = (
        _value(found, sales_names.RESOLVED_OUTCOME_UNITS),
        _value(found, sales_names.RESOLVED_VS_TARGET_PCT),
    )
    verdict = f"{year} is complete: {maker} delivered {outcome:,.0f}, {abs(pct):.1f}% {'above' if pct >= 0 else 'below'} {found[sales_names.RESOLVED_TARGET_UNITS]['meaning']}"
    detail = (
        _last_year_record(found)
        if sales_names.RESOLVED_BRIER in found
        else "No call on the year could be scored."
    )
    claim = f"The target is settled for {year}: {maker} {'reached' if pct >= 0 else 'missed'} {_num(found[sales_names.TARGET_UNITS])}."
    return verdict, detail, claim


def _flagship(found: dict) -> str | None:
    """The flagship series notebook 02 priced (None: not applicable for this maker)."""
    if (
        premium_names.FLAGSHIP_SERIES not in found
    ):  # a run recorded before the series was: the flagship's own
        return "flagship" if premium_names.FLAGSHIP_PRICE_RMB in found else None
    return (
        found[premium_names.FLAGSHIP_SERIES].get("value")
        if premium_names.FLAGSHIP_PRICE_RMB in found
        else None
    )


def _launch_series(found: dict) -> str | None:
    """The launched series notebook 02 compared (recorded, else read from the launch price's
    meaning, '<series> launch guide price, low end'); None when no launch was recorded."""
    if premium_names.LAUNCH_SERIES in found:
        return found[premium_names.LAUNCH_SERIES].get("value")
    meaning = found.get(premium_names.LAUNCH_PRICE_LOW_RMB, {}).get("meaning", "")
    return (
        meaning.split(" launch guide price")[0]
        if " launch guide price" in meaning
        else "new series"
    )


def _verdict_premium(found: dict, maker: str) -> tuple[str, str, str]:
    premium, reference = (
        found[premium_names.FOCUS_PREMIUM_PCT],
        _value(found, premium_names.REFERENCE_BRAND),
    )
    pct = found[premium_names.FOCUS_PREMIUM_PCT]["value"]
    if pct is None:  # below the evidence floor: the status says on how little
        status = found.get(premium_names.FOCUS_PREMIUM_STATUS, {}).get("value", "too little data")
        verdict = f"{maker}'s badge against {reference}'s: {status}, so no premium is stated"
    else:
        side = "below" if pct < 0 else "above"
        interval = f" (95% interval {_range(premium)})" if _range(premium) else ""
        verdict = f"{maker}'s badge lists {abs(pct):.0f}% {side} {reference}'s for the same specs{interval}"
    flagship, band = (
        _flagship(found),
        _value(found, premium_names.PRICE_BAND)
        if premium_names.PRICE_BAND in found
        else "the target band",
    )
    if flagship is None:
        reason = found.get(premium_names.FLAGSHIP_SERIES, {}).get(
            "meaning", "no flagship named in the data"
        )
        return (
            verdict,
            f"Flagship question not applicable: {reason.removeprefix('not applicable: ')}.",
            "",
        )
    price, p_band = (
        found[premium_names.FLAGSHIP_PRICE_RMB],
        _value(found, premium_names.P_FLAGSHIP_IN_BAND),
    )
    detail = f"The {flagship}'s specs would list at {_with_range(price, '80% interval')} under {maker}'s badge, a {p_band:.0%} chance of landing inside {band}."
    claim = f"Can the {flagship} sell at {band} under its badge? The model gives it a {p_band:.0%} chance ({_words(p_band)})."
    launched = _launch_series(found)
    if (
        launched
        and premium_names.LAUNCH_PRICE_LOW_RMB in found
        and premium_names.LAUNCH_PRICE_HIGH_RMB in found
    ):
        detail += f" The {launched} launched at {_num(found[premium_names.LAUNCH_PRICE_LOW_RMB])} to {_num(found[premium_names.LAUNCH_PRICE_HIGH_RMB])}."
        if premium_names.LAUNCH_IMPLIED_PREMIUM_PCT in found:
            implied = _value(found, premium_names.LAUNCH_IMPLIED_PREMIUM_PCT)
            below = implied < (premium.get("low") if premium.get("low") is not None else pct)
            detail += f" Its launch prices imply {implied:+.0f}% against {reference} for its specs, against the estimated {pct:+.0f}%: {'priced below' if below else 'priced at or above'} its estimated brand premium."
        if premium_names.LAUNCH_IN_BAND_ANSWER in found:
            claim = f"Can {maker}'s new series sell at {band}? The launch prices answer it: {_value(found, premium_names.LAUNCH_IN_BAND_ANSWER)}."
    return verdict, detail, claim


def _latest_quarter(found: dict) -> str:
    """'2026Q2' when notebook 03 recorded its quarter, else 'the latest quarter'."""
    period = found.get(margins_names.LATEST_PERIOD, {}).get("value")
    return str(period) if period else "the latest quarter"


def _verdict_margins(found: dict, maker: str) -> tuple[str, str, str]:
    cut10, latest = (
        found[margins_names.GM_AT_TARGET_CUT10_PCT],
        found[margins_names.LATEST_GROSS_MARGIN_PCT],
    )
    now, then = (
        _value(found, margins_names.GM_AT_TARGET_CUT10_PCT),
        _value(found, margins_names.LATEST_GROSS_MARGIN_PCT),
    )
    word = "thinner than" if now < then else "no thinner than"
    verdict = f"After a 10% price cut, gross margin at the target volume is {_with_range(cut10)}, {word} the {_num(latest)} of {_latest_quarter(found)}"
    detail = ""
    if margins_names.GM_AT_TARGET_CURRENT_PCT in found:
        detail = (
            f"With prices held it would be {_num(found[margins_names.GM_AT_TARGET_CURRENT_PCT])}."
        )
    if found.get(margins_names.VOLUME_INCREASE_FOR_10PCT_CUT_PCT, {}).get("value") is not None:
        detail += f" A 10% cut alone needs {_value(found, margins_names.VOLUME_INCREASE_FOR_10PCT_CUT_PCT):+.0f}% volume to keep gross profit."
    claim = f"What margin survives the price war? About {_num(cut10)} if {maker} cuts 10% and reaches its volume; scale and learning do not fully offset the cut."
    if now >= then:
        claim = f"What margin survives the price war? About {_num(cut10)}: at the target volume, scale and learning offset a 10% cut."
    return verdict, detail, claim


def _verdict_payback(found: dict, maker: str) -> tuple[str, str, str]:
    best = _value(found, payback_names.BEST_STRATEGY)
    route = found[payback_names.BEST_STRATEGY]["meaning"].split(": ", 1)[-1]
    p = _value(found, payback_names.BEST_P_PAYBACK_HORIZON)
    horizon = re.search(
        r"within the (.+?) horizon", found[payback_names.BEST_P_PAYBACK_HORIZON]["meaning"]
    )
    within = f"within the {horizon.group(1)} horizon" if horizon else "within the horizon"
    verdict = (
        f"{_words(p).capitalize()} to pay back: {route} pays back {within} in {p:.0%} of draws"
    )
    median = found.get(f"{best}_median_payback_years", {}).get("value")
    detail = (
        f"Median discounted payback {median:.1f} years."
        if median is not None
        else "The median draw never pays back within the horizon."
    )
    if f"{best}_p_npv_negative" in found:
        detail += f" The NPV is negative in {_value(found, f'{best}_p_npv_negative'):.0%} of draws."
    if payback_names.EXPORT_P_NPV_NEGATIVE in found and best != "export":
        detail += f" Exporting from China over EU duties loses money in {_value(found, payback_names.EXPORT_P_NPV_NEGATIVE):.0%}."
    claim = f"Does going overseas pay back? {_words(p).capitalize()} ({p:.0%}), by {route}, the best of the routes modelled."
    return verdict, detail, claim


VERDICTS = {
    "sales": _verdict_sales,
    "premium": _verdict_premium,
    "margins": _verdict_margins,
    "payback": _verdict_payback,
}


def _record_sales(found: dict, own: bool = True) -> str:
    """The target record: the method's calls on resolved stated targets, scored against its
    rivals, and how often makers reach their initial targets."""
    calls = int(_value(found, sales_names.TARGET_RECORD_CALLS))
    years = int(_value(found, sales_names.TARGET_RECORD_MAKER_YEARS))
    reached = (
        f"; makers reached their initial target in {_value(found, sales_names.TARGET_RECORD_REACHED_PCT):.0f}% "
        f"of {years} complete maker-years"
        if years
        else ""
    )
    if not calls:
        return f"no call on a resolved stated target can be scored yet{reached}"
    return (
        f"on {calls} month-end calls on {int(_value(found, sales_names.TARGET_RECORD_CALL_MAKER_YEARS))} "
        f"resolved stated targets, this method's Brier score was {_value(found, sales_names.TARGET_RECORD_BRIER):.3f} "
        f"(base rate {_value(found, sales_names.TARGET_RECORD_BRIER_BASE_RATE):.3f}, naive run-rate "
        f"{_value(found, sales_names.TARGET_RECORD_BRIER_RUN_RATE):.3f}; lower is better){reached}"
    )


def _record_premium(found: dict, own: bool = True) -> str:
    """Every car launched since 2024 priced from the trims on sale before it; with `own`, the
    maker's own launches."""
    cars = int(_value(found, premium_names.LAUNCH_RECORD_CARS))
    if not cars:
        return "no launch could be priced from the trims on sale before it yet"
    line = (
        f"{cars:,} cars launched since 2024 ({int(_value(found, premium_names.LAUNCH_RECORD_SERIES))} series), "
        f"each priced from the trims on sale before it, were missed by "
        f"{_value(found, premium_names.LAUNCH_RECORD_MAE_PCT):.1f}% at the median and the 80% "
        f"interval held {_value(found, premium_names.LAUNCH_RECORD_COVERAGE80_PCT):.0f}% of guide prices"
    )
    mine = found.get(premium_names.LAUNCH_RECORD_OWN_CARS, {}).get("value")
    if own and isinstance(mine, int | float) and mine:
        line += (
            f"; the maker's own {int(mine)}: {_value(found, premium_names.LAUNCH_RECORD_OWN_MAE_PCT):.1f}%, "
            f"held {_value(found, premium_names.LAUNCH_RECORD_OWN_COVERAGE80_PCT):.0f}%"
        )
    return line


def _record_margins(found: dict, own: bool = True) -> str:
    """Past quarters' gross margins, each expected from the data before it, against the naive
    last-quarter rule; with `own`, the maker's own quarters."""
    n = int(_value(found, margins_names.QUARTER_RECORD_POOLED_QUARTERS))
    if not n:
        return "no past quarter could be expected from the data before it yet"
    line = (
        f"on {n} past quarters, each expected from the data before it, the gross margin was "
        f"missed by {_value(found, margins_names.QUARTER_RECORD_POOLED_MAE_PP):.1f} pp on average "
        f"and the 80% range held {_value(found, margins_names.QUARTER_RECORD_POOLED_COVERAGE80_PCT):.0f}% "
        f"(naive rule: {_value(found, margins_names.QUARTER_RECORD_NAIVE_MAE_PP):.1f} pp)"
    )
    mine = found.get(margins_names.QUARTER_RECORD_QUARTERS, {}).get("value")
    if own and isinstance(mine, int | float) and mine:
        line += (
            f"; the maker's own {int(mine)}: {_value(found, margins_names.QUARTER_RECORD_MAE_PP):.1f} pp, "
            f"range held {_value(found, margins_names.QUARTER_RECORD_COVERAGE80_PCT):.0f}%"
        )
    return line


def _record_payback(found: dict, own: bool = True) -> str:
    return "not known yet: no overseas venture has an outcome to score such answers against"


RECORDS = {
    "sales": (_record_sales, sales_names.RECORD_SECTION),
    "premium": (_record_premium, premium_names.RECORD_SECTION),
    "margins": (_record_margins, margins_names.RECORD_SECTION),
    "payback": (_record_payback, payback_names.RECORD_SECTION),
}


def record_line(key: str, found: dict, own: bool = True) -> str:
    """How good earlier answers to a question were, in one line ('' when the run recorded no
    record: an older run, or a question without one). `own`: add the maker's own part of the
    record where the question has one (the universe page states only the pooled record)."""
    if key not in RECORDS:
        return ""
    try:
        return RECORDS[key][0](found, own)
    except (KeyError, TypeError, ValueError):
        return ""


def record_section(key: str) -> str:
    """The anchor of the section that shows a question's record in its notebook's report."""
    return RECORDS[key][1] if key in RECORDS else ""


def maker_name(run: RunResults | None, maker: str = "") -> str:
    """The display name of the run's maker: the one its results name, else `maker` (the
    summary's own `maker` parameter, the one the runner gives every notebook of the run), else
    the notebooks' default."""
    from lib import makers, scenarios

    key = (
        (run.content.get("maker") if run else None)
        or maker
        or scenarios.inspect(paths.NOTEBOOKS_DIR / f"{QUESTIONS[0].notebook}.ipynb")
        .parameters["maker"]
        .default
    )
    try:
        return makers.get(key).display_name
    except Exception:  # an unknown or unreadable registry: the key still names it
        return str(key)


def verdicts(run: RunResults | None, maker: str = "") -> list[Verdict]:
    """The four answers as verdicts; an answer whose expected numbers are not all recorded (an
    older run, another maker) falls back to its recorded meanings, and a missing one says so.
    `maker`: the maker's key when the run's results do not name it (see maker_name)."""
    maker, out = maker_name(run, maker), []
    for answer in answers(run):
        href = f"{answer.question.notebook}.html"
        if not answer.available:
            out.append(Verdict(answer.question.key, "Not available", answer.sentence, "", href))
            continue
        found, key = found_results(answer, run), answer.question.key
        try:
            verdict, detail, claim = VERDICTS[key](found, maker)
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            verdict, detail, claim = results.format_value(answer.headline), answer.sentence, ""
        record = record_line(key, found)
        record_href = href + record_section(key) if record else ""
        out.append(Verdict(key, verdict, detail, claim, href, record, record_href))
    return out


def verdicts_markdown(items: list[Verdict], run: RunResults | None) -> str:
    """The verdicts as a research note's opening: question, verdict, detail, claim, link."""
    by_key = {q.key: q for q in QUESTIONS}
    blocks = [
        f"**{by_key[v.key].question}**  \n**{v.verdict}.** {v.detail} {v.claim} "
        f"([full report]({v.href}))"
        + (
            f"  \n*How good earlier answers were:* {v.record} ([the record]({v.record_href}))"
            if v.record
            else ""
        )
        for v in items
    ]
    return "\n\n".join(blocks)


def _inputs(run: RunResults) -> dict:
    """What a run's answers depend on: data file hashes, parameters per notebook, code commit.
    A published run has them in its manifest; the run in progress is read from its data folder
    and executed notebooks."""
    manifest_path = run.run_dir / "manifest.json"
    if manifest_path.exists():
        try:
            manifest = runs.read_manifest(manifest_path)
        except runs.DamagedFile:
            manifest = {}
        return {
            "data": manifest.get("data_hashes") or {},
            "parameters": {
                n["name"]: n.get("parameters") or {} for n in manifest.get("notebooks", [])
            },
            "code": manifest.get("git_commit", ""),
            "reused": {
                n["name"] for n in manifest.get("notebooks", []) if n.get("status") == "reused"
            },
        }
    import nbformat

    from lib import data, scenarios

    parameters = {}
    for question in QUESTIONS:
        executed = run.run_dir / f"{question.notebook}.ipynb"
        source = paths.NOTEBOOKS_DIR / f"{question.notebook}.ipynb"
        if not executed.exists() or not source.exists():
            continue
        defaults = {k: p.default for k, p in scenarios.inspect(source).parameters.items()}
        injected = nbformat.read(str(executed), as_version=4).metadata.get("papermill", {})
        parameters[question.notebook] = defaults | dict(injected.get("parameters") or {})
    notebooks = run.content.get("notebooks", {})
    return {
        "data": data.file_hashes(),
        "parameters": parameters,
        "code": paths.git_commit(),
        "reused": {name for name, e in notebooks.items() if e.get("status") == "reused"},
    }


def changed_inputs(current: RunResults, previous: RunResults) -> dict[str, dict]:
    """Per question: the data files, parameters and code that differ between two runs."""
    now, then = _inputs(current), _inputs(previous)
    files = sorted(
        k
        for k in now["data"].keys() | then["data"].keys()
        if now["data"].get(k) != then["data"].get(k)
    )
    code = now["code"] != then["code"] or now["code"].endswith("+changes")
    out = {}
    for question in QUESTIONS:
        name = question.notebook
        if name in now["reused"]:
            out[question.key] = {"data": [], "parameters": [], "code": False}
            continue
        new, old = now["parameters"].get(name, {}), then["parameters"].get(name, {})
        params = [
            f"{k}: {old.get(k, 'n/a')} -> {new.get(k, 'n/a')}"
            for k in sorted(new.keys() | old.keys())
            if new.get(k) != old.get(k)
        ]
        out[question.key] = {"data": files, "parameters": params, "code": code}
    return out


def _why(inputs: dict, moved: bool) -> str:
    """Which part of a change is due to new data and which to assumptions or code."""
    data_, assumptions = bool(inputs["data"]), bool(inputs["parameters"]) or inputs["code"]
    if not moved:
        return "no change"
    if data_ and not assumptions:
        return "all from new data (" + ", ".join(inputs["data"]) + ")"
    if assumptions and not data_:
        causes = inputs["parameters"] + (["code"] if inputs["code"] else [])
        return "all from changed assumptions or code (" + "; ".join(causes) + ")"
    if data_ and assumptions:
        causes = inputs["data"] + inputs["parameters"] + (["code"] if inputs["code"] else [])
        return (
            "new data and changed assumptions or code together, not separated ("
            + "; ".join(causes)
            + ")"
        )
    return "no input changed: simulation noise"


def _difference(now: dict | None, then: dict | None) -> str:
    """now - then in the unit readers compare them in: points for shares and percentages."""
    if not now or not then or not all(isinstance(r["value"], int | float) for r in (now, then)):
        return (
            "new"
            if now and not then
            else ("changed" if now and now["value"] != then["value"] else "unchanged")
        )
    delta = now["value"] - then["value"]
    if np.isclose(delta, 0):
        return "unchanged"
    if now["unit"] in ("probability", "share"):
        return f"{100 * delta:+.1f} pp"
    if now["unit"] in ("pct", "percent", "pp"):
        return f"{delta:+.1f} pp"
    return f"{delta:+,.0f}" if abs(delta) >= 100 else f"{delta:+.3g}"


def changes_explained(current: RunResults, previous: RunResults) -> pd.DataFrame:
    """Each headline number then and now, the change in reader's units, and which inputs moved it
    (new data, changed assumptions or code; `changed_inputs`)."""
    before = {a.question.key: a.headline for a in answers(previous)}
    inputs = changed_inputs(current, previous)
    rows = []
    for answer in answers(current):
        now, then = answer.headline, before.get(answer.question.key)
        change = _difference(now, then)
        rows.append(
            {
                "answer": answer.question.key.capitalize(),
                "previous run": results.format_value(then) if then else "n/a",
                "this run": results.format_value(now) if now else "n/a",
                "change": change,
                "why": _why(inputs[answer.question.key], change not in ("unchanged", "new")),
            }
        )
    return pd.DataFrame(rows)


def _months_after(month: str, year: int) -> list[str]:
    """The months after `month` (YYYY-MM) up to December of `year`."""
    start = pd.Period(month, "M") + 1
    return (
        [str(p) for p in pd.period_range(start, f"{year}-12", freq="M")]
        if start.year <= year
        else []
    )


def watch_list(run: RunResults | None, maker: str = "") -> list[str]:
    """What to watch next month, from the recorded numbers: the deliveries needed a month, the
    flagship's price and launch prices, the margin break-even, the payback's main driver."""
    found = {a.question.key: found_results(a, run) for a in answers(run)}
    name, items = maker_name(run, maker), []
    sales = found["sales"]
    with _skip():
        need, have = (
            _value(sales, sales_names.REQUIRED_MONTHLY_RUN_RATE_UNITS),
            _value(sales, sales_names.LATEST_RUN_RATE_UNITS),
        )
        target = _num(sales[sales_names.TARGET_UNITS])
        months = _months_after(
            str(run.content.get("data_as_of")), int(_value(sales, sales_names.TARGET_YEAR))
        )
        when = f" in each of {months[0]} to {months[-1]}" if len(months) > 1 else ""
        items.append(
            f"**Monthly deliveries**: {need:,.0f} a month{when} reach {target}, against {have:,.0f} a month lately ({sales[sales_names.LATEST_RUN_RATE_UNITS]['meaning'].split(' in ')[-1]}); a month below {have:,.0f} makes the target harder, one above {need:,.0f} makes it easier."
        )
    premium = found["premium"]
    with _skip():
        flagship = _flagship(premium)
        if flagship is None:
            raise KeyError(
                premium_names.FLAGSHIP_SERIES
            )  # no flagship priced for this maker: nothing to watch
        text = f"**Price band**: the {flagship}'s specs list at {_with_range(premium[premium_names.FLAGSHIP_PRICE_RMB])} under {name}'s badge"
        launched = _launch_series(premium)
        if launched and premium_names.LAUNCH_PRICE_LOW_RMB in premium:
            text += f"; the {launched} launched at {_num(premium[premium_names.LAUNCH_PRICE_LOW_RMB])} to {_num(premium[premium_names.LAUNCH_PRICE_HIGH_RMB])}"
        items.append(
            text + f": watch {name}'s transaction discounts and the specs of its next launches."
        )
    margins = found["margins"]
    with _skip():
        items.append(
            f"**Margin break-even**: a 10% price cut needs {_value(margins, margins_names.VOLUME_INCREASE_FOR_10PCT_CUT_PCT):+.0f}% volume to keep gross profit; the next quarter's gross margin against {_num(margins[margins_names.LATEST_GROSS_MARGIN_PCT])} in {_value(margins, margins_names.LATEST_PERIOD)}."
        )
    payback = found["payback"]
    with _skip():
        best = _value(payback, payback_names.BEST_STRATEGY)
        items.append(
            f"**Overseas payback**: the input that moves the NPV of the best route most is `{_value(payback, f'{best}_top_driver')}`."
        )
    return items


def risks(run: RunResults | None) -> list[str]:
    """The main risks as the analyses show them: the low ends of the recorded ranges."""
    found = {a.question.key: found_results(a, run) for a in answers(run)}
    items = []
    with _skip():
        p, forecast = (
            _value(found["sales"], sales_names.P_REACH_TARGET),
            found["sales"][sales_names.FORECAST_MEDIAN_UNITS],
        )
        low = (
            f"; one in ten ends below {_num(forecast, forecast['low'])}" if _range(forecast) else ""
        )
        items.append(f"**Volume shortfall**: {1 - p:.0%} of simulated paths miss the target{low}.")
    with _skip():
        premium = found["premium"]
        upper, overall = (
            premium[premium_names.FOCUS_PREMIUM_UPPER_TIER_PCT],
            _value(premium, premium_names.FOCUS_PREMIUM_PCT),
        )
        reference, top = (
            _value(premium, premium_names.REFERENCE_BRAND),
            _value(premium, premium_names.FOCUS_PREMIUM_UPPER_TIER_PCT),
        )
        compared = (
            "lower than" if top < overall else "higher than" if top > overall else "the same as"
        )
        interval = f" ({_range(upper)})" if _range(upper) else ""
        items.append(
            f"**The badge at the top**: on specs worth {_upper_edge(upper)} yuan or more the badge lists {_num(upper)} against {reference}{interval}, {compared} the {_num(premium[premium_names.FOCUS_PREMIUM_PCT])} across all trims."
        )
    with _skip():
        cut10 = found["margins"][margins_names.GM_AT_TARGET_CUT10_PCT]
        if not _range(cut10):
            raise KeyError("no learning-rate range")  # no low end to show
        items.append(
            f"**Slow cost learning**: at the low end of the learning rate a 10% cut leaves {_num(cut10, cut10['low'])} gross margin at the target volume."
        )
    with _skip():
        best = _value(found["payback"], payback_names.BEST_STRATEGY)
        items.append(
            f"**Overseas losses**: the best route still loses money in {_value(found['payback'], f'{best}_p_npv_negative'):.0%} of draws."
        )
    return items


def _upper_edge(result: dict) -> str:
    """The lower edge of the top tier, from the recorded meaning ('... worth 250,000+ yuan ...')."""
    found = re.search(r"worth ([0-9,]+)\+ yuan", result.get("meaning", ""))
    if found is None:
        raise KeyError("upper tier edge")
    return found.group(1)


class _skip:
    """Leave out a bullet whose numbers this run did not record (another maker, an older run)."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        return kind is not None and issubclass(
            kind, KeyError | TypeError | ValueError | ZeroDivisionError
        )
