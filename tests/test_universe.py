"""The coverage universe on Dask, started for real: a scheduler and two workers as separate
processes on localhost; the same numbers as on a local cluster; a worker killed mid-run; the
universe page checked in Chromium against each maker's results.json."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lib import kernels, league, makers, paths, pipeline, results
from tests.conftest import CHROMIUM, FLAGS, FROZEN_DATA, SMOKE_SCENARIO, Cluster

MAKERS = ["leapmotor", "nio"]  # the runs that compare executors and survive a killed worker
EVERY_MAKER = sorted(makers.registry(FROZEN_DATA))  # the run whose pages are read (issue 21)


@pytest.fixture(scope="module")
def dask_cluster():
    cluster = Cluster()
    yield cluster
    cluster.stop()


def universe(
    reports: Path, cluster: str | None, only: tuple[str, ...] = (), keys: list[str] = MAKERS
) -> int:
    options = pipeline.RunOptions(
        scenario=str(SMOKE_SCENARIO),
        data_dir=FROZEN_DATA,
        reports_dir=reports,
        jobs=2,
        cluster=pipeline.ClusterOptions(cluster) if cluster else None,
        only=only,
    )
    return pipeline.run_universe(options, [str(SMOKE_SCENARIO)], keys)


def expected_cell(content: dict, column: league.Column) -> str:
    """How a universe cell must begin, from the maker's results.json alone: its report's status,
    the sales answer's target basis, the evidence floor's verdict, else the recorded number."""
    status = content["notebooks"].get(column.notebook, {}).get("status")
    if status == "no_data":
        return "no data"
    found = results.lookup(content, column.notebook, column.result)
    stated = results.lookup(content, "01_sales_trajectory", "target_stated")
    if column.key == "p_target" and not (stated and stated["value"]):
        return "no target stated"
    if found is None:
        return "n/a"
    if found["value"] is None:
        return "too little data"
    return results.format_value(found)


def numbers(run_dir: Path, keys: list[str]) -> dict:
    """Every recorded number of these makers' notebooks."""
    found = {}
    for maker in keys:
        content = json.loads((run_dir / maker / "results.json").read_text())
        for notebook, entry in content["notebooks"].items():
            for result in entry["results"]:
                found[(maker, notebook, result["name"])] = (
                    result["value"],
                    result.get("low"),
                    result.get("high"),
                )
    return found


@pytest.fixture(scope="module")
def cluster_run(dask_cluster, tmp_path_factory) -> Path:
    reports = tmp_path_factory.mktemp("cluster")
    assert universe(reports, dask_cluster.address, keys=EVERY_MAKER) == pipeline.EXIT_OK
    return (reports / "latest").resolve()


def test_a_universe_on_a_dask_cluster_equals_the_local_run(cluster_run, tmp_path):
    manifest = json.loads((cluster_run / "manifest.json").read_text())
    assert manifest["kind"] == "universe"
    assert manifest["makers"] == dict.fromkeys(EVERY_MAKER, "ok")
    assert manifest["executed_on"].startswith("tcp://127.0.0.1:")
    import pandas as pd

    sheet = pd.read_excel(cluster_run / "universe.xlsx", sheet_name="headlines")
    for maker in EVERY_MAKER:
        content = json.loads((cluster_run / maker / "results.json").read_text())
        premium = results.lookup(content, "02_brand_premium", "focus_premium_pct")
        row = sheet[(sheet["maker"] == maker) & (sheet["result"] == "focus_premium_pct")]
        if premium is None or premium["value"] is None:  # no data, or too little: no number
            assert row.empty or row["value"].isna().all(), (maker, row)
        else:
            assert float(row["value"].iloc[0]) == pytest.approx(premium["value"], rel=1e-12)
    compared = ("01_sales_trajectory", "04_globalization_payback")  # the simulations; fewer kernels
    assert (
        universe(tmp_path, None, only=compared) == pipeline.EXIT_OK
    )  # a local cluster, same seeds
    (local,) = [p for p in tmp_path.iterdir() if p.is_dir()]  # partial (--only): not `latest`
    assert "local cluster" in json.loads((local / "manifest.json").read_text())["executed_on"]
    here = numbers(local, MAKERS)
    remote = {k: v for k, v in numbers(cluster_run, MAKERS).items() if k[1] in compared}
    assert remote.keys() == here.keys() and len(remote) > 40
    assert remote == here


def test_a_second_universe_with_nothing_changed_reuses_every_notebook(cluster_run, dask_cluster):
    reports = cluster_run.parent
    assert universe(reports, dask_cluster.address, keys=EVERY_MAKER) == pipeline.EXIT_OK
    again = (reports / "latest").resolve()
    assert again != cluster_run
    for maker in EVERY_MAKER:
        manifest = json.loads((again / maker / "manifest.json").read_text())
        statuses = {n["name"]: n["status"] for n in manifest["notebooks"]}
        assert set(statuses.values()) <= {"reused", "no_data"}, (maker, statuses)
        assert "reused" in statuses.values()
        for name in statuses:
            before = (cluster_run / maker / f"{name}.html").read_bytes()
            assert (again / maker / f"{name}.html").read_bytes() == before
    assert numbers(again, EVERY_MAKER) == numbers(cluster_run, EVERY_MAKER)


def test_workers_on_another_checkout_or_data_are_refused(dask_cluster):
    from dask.distributed import Client

    from lib.pipeline import cluster

    with Client(dask_cluster.address, timeout=10) as client:
        mine = cluster.identity(str(FROZEN_DATA))
        assert cluster.check_workers(client, FROZEN_DATA) == 2  # the same checkout and data
        for key, other in (("commit", "0000000"), ("lib", "f" * 16), ("data", "0" * 16)):
            with pytest.raises(
                pipeline.BadInput, match=f"do not run the same checkout and data(.|\\n)*{key} "
            ):
                cluster.check_workers(client, FROZEN_DATA, dict(mine, **{key: other}))


def test_a_killed_worker_is_survived_or_fails_cleanly(tmp_path):
    cluster = Cluster()
    try:
        runner = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lib",
                "run",
                "--scenario",
                str(SMOKE_SCENARIO),
                "--data-dir",
                str(FROZEN_DATA),
                "--reports-dir",
                str(tmp_path),
                "--makers",
                ",".join(MAKERS),
                "--cluster",
                cluster.address,
                "--only",
                "01_sales_trajectory",
                "04_globalization_payback",
            ],
            cwd=paths.PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob("*.partial/run.log")) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(4)  # tasks are running on both workers by now
        cluster.kill(cluster.workers[0])
        code = runner.wait(timeout=300)
        stderr = runner.stderr.read()
    finally:
        cluster.stop()
    assert "Traceback" not in stderr
    assert not (tmp_path / "latest").exists()  # --only: partial, never latest
    if code == pipeline.EXIT_OK:  # the lost tasks ran again on the other worker
        (run,) = [p for p in tmp_path.iterdir() if p.is_dir()]
        statuses = json.loads((run / "manifest.json").read_text())["makers"]
        assert statuses == dict.fromkeys(MAKERS, "partial")
        for maker in MAKERS:
            assert (run / maker / "01_sales_trajectory.html").exists()
    else:
        assert code == pipeline.EXIT_FAILED, stderr


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed")
def test_the_universe_page_shows_each_makers_numbers_and_sorts(cluster_run):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto((cluster_run / "index.html").as_uri())
        table = page.locator("#sort-maker")
        assert table.is_visible()
        for maker in EVERY_MAKER:
            content = json.loads((cluster_run / maker / "results.json").read_text())
            for column in league.COLUMNS:  # every cell says what the maker's results say
                cell = table.locator(f'tr[data-maker="{maker}"] td[data-column="{column.key}"]')
                assert cell.inner_text().startswith(expected_cell(content, column)), (
                    maker,
                    column.key,
                    cell.inner_text(),
                )
                href = cell.locator("a").get_attribute("href")
                assert href == f"{maker}/{column.notebook}.html" and (cluster_run / href).exists()
        page.locator('#sort-maker th a[href="#sort-premium"]').click()
        sorted_table = page.locator("#sort-premium")
        assert sorted_table.is_visible() and not table.is_visible()
        shown = sorted_table.locator("tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.maker)"
        )
        premiums = {
            m: results.lookup(
                json.loads((cluster_run / m / "results.json").read_text()),
                "02_brand_premium",
                "focus_premium_pct",
            )
            for m in EVERY_MAKER
        }
        values = {m: (r or {}).get("value") for m, r in premiums.items()}
        with_number = sorted(
            (m for m in EVERY_MAKER if values[m] is not None), key=lambda m: -values[m]
        )
        assert shown[: len(with_number)] == with_number  # makers without a number come last
        assert sorted(shown) == EVERY_MAKER
        assert page.locator("img").evaluate("img => img.naturalWidth") > 0
        assert not errors, errors
        browser.close()


# ---------------------------------------------------------------------------------------------
# Every maker's pages are about that maker (issue 21), read from the universe run above

# The reports whose prose is checked for other makers' names and facts; notebook 01 pools every
# maker's years in its backtest and notebook 03 compares every maker's margins (labelled
# comparisons), so only their numbers are checked there.
OWN_PAGES = ("02_brand_premium", "04_globalization_payback", "05_summary")
NUMBER = r"-?\d[\d,]*(?:\.\d+)?%?"
ZERO_WIDTH = re.compile(rf"(?<![\d.])({NUMBER})(?: [A-Za-z]+)? to \1(?![\d.%])|\[({NUMBER}), \2\]")


def visible_prose(page: Path) -> str:
    """What a reader sees of a report outside its tables (the tables are the labelled
    comparisons: peers, parameters, sources), as one line."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    for hidden in soup(["script", "style", "table"]):
        hidden.decompose()
    return re.sub(r"\s+", " ", soup.get_text(" "))


def names_of(maker: makers.Maker) -> set[str]:
    return {n for n in (maker.display_name, maker.company, *maker.trim_brands) if n}


def facts_of(maker: makers.Maker) -> set[str]:
    """What names a maker's own cars in the data: its flagship and launched series."""
    from lib import data
    from lib.premium import inputs

    assumptions, trims = data.load_assumptions(FROZEN_DATA), data.load_trims(FROZEN_DATA)
    flagship = makers.flagship(maker, assumptions, trims)
    return {*([flagship] if flagship else []), *inputs.launch_prices(assumptions, maker)["series"]}


def allowed_names(run_dir: Path, key: str, page: str) -> set[str]:
    """Other makers' names a page may show: notebook 02 compares the maker's badge with every
    brand in the trims (its tables, diagnostics and reference); the note quotes the reference."""
    from lib import data

    if page == "02_brand_premium":
        return set(data.load_trims(FROZEN_DATA)["brand"])
    content = json.loads((run_dir / key / "results.json").read_text())
    reference = results.lookup(content, "02_brand_premium", "reference_brand")
    return {reference["value"]} if page == "05_summary" and reference else set()


def pages_problems(run_dir: Path, keys: list[str]) -> list[str]:
    """Every maker's reports against its own facts: no 'None', no zero-width range, and in
    OWN_PAGES no other maker's name (outside the comparisons it labels) or car."""
    registry, problems = makers.registry(FROZEN_DATA), []
    for key in keys:
        others = {n for k, m in registry.items() if k != key for n in names_of(m) | facts_of(m)}
        others -= names_of(registry[key]) | facts_of(registry[key])
        cars = {n for k, m in registry.items() if k != key for n in facts_of(m)}
        for page in sorted((run_dir / key).glob("0*.html")):
            text = visible_prose(page)
            if re.search(r"\bNone\b", text):
                problems.append(f"{key}/{page.name}: shows 'None'")
            problems += [
                f"{key}/{page.name}: zero-width range {m.group(0)!r}"
                for m in ZERO_WIDTH.finditer(text)
            ]
            if page.stem not in OWN_PAGES:
                continue
            for name in sorted(others - (allowed_names(run_dir, key, page.stem) - cars)):
                for found in re.finditer(rf"(?<![\w/]){re.escape(name)}(?![\w])", text):
                    around = text[max(0, found.start() - 80) : found.end() + 40]
                    problems.append(f"{key}/{page.name} names {name}: ...{around}...")
    return problems


def test_every_makers_pages_are_about_that_maker(cluster_run):
    problems = pages_problems(cluster_run, EVERY_MAKER)
    assert not problems, "\n".join(problems)


def test_the_workers_of_an_outside_cluster_keep_no_kernel_after_a_universe(
    cluster_run, dask_cluster
):
    """A cluster that outlives the run: each worker's warm kernel is shut down when the universe
    ends, not kept idle until the next run."""
    from dask.distributed import Client

    with Client(dask_cluster.address, timeout=10) as client:
        held = client.run(lambda: kernels.warm_kernel.manager is not None)
    assert held and not any(held.values()), held
