"""Command line: `python -m lib run | list | check | data | cache | pdf`. See README, "Command-line reference"."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap
from pathlib import Path

# jsonschema (under nbformat) builds a Lark grammar for IRI checks at import, about 0.7 s of
# start-up; notebook schemas never use that format, so the command line goes without it.
sys.modules.setdefault("rfc3987_syntax", None)
if __name__ == "__main__":  # the command line itself, not a test importing this module
    # pandera imports hypothesis (for synthesising data, 0.1 s of start-up) when it is
    # installed, as it is for the tests; the command line never synthesises data.
    sys.modules.setdefault("hypothesis", None)

from lib import cache, contract, data, data_add, makers, paths, pipeline, scenarios  # noqa: E402
from lib.data import coverage  # noqa: E402

MAX_JOBS = 32  # the collection has 5 notebooks; more workers only cost memory (each is a kernel)
MAX_CELL_TIMEOUT = 86_400  # one day: a cell running longer is stuck, not slow
CACHE_DIR_HELP = (
    f"cache folder (default: ${cache.CACHE_DIR_ENV}, else .cache in the reports folder)"
)
MAX_CLUSTER_TIMEOUT = (
    600  # seconds to reach a scheduler: longer is a wrong address, not a slow link
)


def _bounded(low: int, high: int):
    """An argparse type: a whole number from `low` to `high` (argparse exits 2 naming the option)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {low} to {high:,}, got {value:,}")
        return value

    return parse


def _folder(text: str) -> Path:
    """An argparse type: a folder path, not empty (an empty one would mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder path, got an empty one")
    return Path(text)


def _maker_keys(text: str) -> list[str]:
    """An argparse type: maker keys separated by commas, at least one."""
    keys = [key.strip() for key in text.split(",") if key.strip()]
    if not keys:
        raise argparse.ArgumentTypeError(f"expected maker keys separated by commas, got {text!r}")
    return keys


def _file(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a file path, got an empty one")
    return Path(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lib",
        description="Run, list and check the EV research notebook collection.",
        epilog="Exit codes: "
        + "; ".join(f"{code} = {text}" for code, text in pipeline.EXIT_CODES.items()),
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--scenario",
            default="base",
            help="scenario NAME in params/ (letters, digits, _ and -) or a path to a .yaml file "
            "(default: base)",
        )
        sub.add_argument(
            "--data-dir",
            type=_folder,
            help=f"data folder (default: data/, or ${paths.DATA_DIR_ENV})",
        )
        sub.add_argument(
            "--maker",
            metavar="KEY",
            help="the maker every notebook is about, a key in data/makers.csv (default: each "
            f"notebook's own, {makers.DEFAULT}); overrides the scenario's",
        )

    run = commands.add_parser(
        "run", help="validate, execute every notebook, render and publish the reports"
    )
    common(run)
    run.add_argument(
        "--all-scenarios",
        action="store_true",
        help="run every scenario in params/, base last; the index compares them side by side",
    )
    run.add_argument(
        "--only",
        nargs="+",
        default=(),
        metavar="NOTEBOOK",
        help="run only these notebooks (e.g. 01_sales_trajectory)",
    )
    run.add_argument(
        "--reports-dir",
        type=_folder,
        help=f"reports folder (default: reports/, or ${paths.REPORTS_DIR_ENV})",
    )
    run.add_argument(
        "--jobs",
        type=_bounded(1, MAX_JOBS),
        default=min(os.cpu_count() or 1, MAX_JOBS),
        help=f"notebooks run in parallel, 1 to {MAX_JOBS} (default: number of cores)",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="execute every notebook even if its inputs are unchanged",
    )
    run.add_argument(
        "--cell-timeout",
        type=_bounded(1, MAX_CELL_TIMEOUT),
        default=1800,
        help=f"seconds a cell may run before the run fails, 1 to {MAX_CELL_TIMEOUT:,} (default: 1800)",
    )
    run.add_argument(
        "--universe",
        action="store_true",
        help="run the collection for every maker in data/makers.csv, on Dask, and a universe page",
    )
    run.add_argument(
        "--makers",
        type=_maker_keys,
        metavar="KEY,KEY",
        help="a universe run of these makers only (implies --universe)",
    )
    cluster = run.add_argument_group(
        "Dask cluster", "a universe run on an existing Dask scheduler (implies --universe)"
    )
    cluster.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="tcp://127.0.0.1:PORT (this machine), or tls://HOST:PORT with the --tls-* files "
        "(default: a local cluster of --jobs workers)",
    )
    cluster.add_argument(
        "--tls-ca-file", type=_file, metavar="FILE", help="the cluster's CA certificate (PEM)"
    )
    cluster.add_argument(
        "--tls-cert", type=_file, metavar="FILE", help="this client's certificate (PEM)"
    )
    cluster.add_argument(
        "--tls-key",
        type=_file,
        metavar="FILE",
        help="this client's private key (PEM), unless in --tls-cert",
    )
    cluster.add_argument(
        "--insecure-cluster",
        action="store_true",
        help="accept a plain tcp:// scheduler on another machine (no authentication: anyone who "
        "reaches it can run code on its workers)",
    )
    cluster.add_argument(
        "--cluster-timeout",
        type=_bounded(1, MAX_CLUSTER_TIMEOUT),
        metavar="SECONDS",
        help=f"seconds to connect and hear the scheduler answer, 1 to {MAX_CLUSTER_TIMEOUT} (default: 10)",
    )
    run.add_argument("--quiet", action="store_true", help="log warnings and errors only")
    caching = run.add_mutually_exclusive_group()
    caching.add_argument("--cache-dir", type=_folder, metavar="DIR", help=CACHE_DIR_HELP)
    caching.add_argument("--no-cache", action="store_true", help="compute every result, store none")

    commands.add_parser(
        "list", help="the notebooks and their parameters (name, type, default, help)"
    )
    check = commands.add_parser(
        "check", help="validate the data and a scenario without running anything"
    )
    common(check)
    data_add.add_parser(commands)
    shown = commands.add_parser(
        "cache", help="the cache's entries and size; `cache clear` empties it"
    )
    shown.add_argument("action", nargs="?", choices=["clear"], help="remove every entry")
    shown.add_argument("--cache-dir", type=_folder, metavar="DIR", help=CACHE_DIR_HELP)
    shown.add_argument(
        "--reports-dir",
        type=_folder,
        help=f"reports folder (default: reports/, or ${paths.REPORTS_DIR_ENV})",
    )
    pdf = commands.add_parser(
        "pdf", help="print a run's index and reports to PDF (headless Chromium)"
    )
    pdf.add_argument("run", nargs="?", type=Path, help="a run folder (default: reports/latest)")
    return parser


def _parameter_lines(spec: scenarios.NotebookSpec) -> list[str]:
    """One line per parameter: from the analysis package's Params (type, range, unit, help), or
    the notebook's own cell for a notebook without a package (the summary)."""
    package = contract.package(spec.name)
    if package is None:
        return [
            f"{p.name}: {p.describe_type()} = {p.default!r}  # {p.help}"
            for p in spec.parameters.values()
        ]
    lines = []
    for field in package.Params.fields():
        parameter, unit = package.Params.parameter(field.name), field.metadata["spec"].unit
        unit = f" ({unit})" if unit else ""
        lines.append(
            f"{field.name}: {parameter.describe_type()}{unit} = {parameter.default!r}"
            f"  # {field.metadata['spec'].help}"
        )
    return lines


def _list() -> int:
    for spec in scenarios.discover():
        needs = f"  (reads results of: {', '.join(spec.needs)})" if spec.needs else ""
        print(f"{spec.name}: {spec.title}{needs}")
        for line in _parameter_lines(spec):
            print(f"    {line}")
        print()
    print("Scenarios:", ", ".join(scenarios.available()) or "none")
    return 0


def _check(arguments: argparse.Namespace) -> int:
    options = pipeline.RunOptions(
        scenario=arguments.scenario, data_dir=arguments.data_dir, maker=arguments.maker
    )
    try:
        plan = pipeline.plan(options)
    except pipeline.BadInput as error:
        print(f"bad input:\n{error}", file=sys.stderr)
        return pipeline.EXIT_BAD_INPUT
    counts = data.validate_all(plan.data_dir)
    print(
        f"data in {plan.data_dir}: "
        + ", ".join(f"{name} {rows} rows" for name, rows in counts.items())
    )
    table = coverage.coverage_table(
        data.read_dataset(data.MAKERS, plan.data_dir),
        data.load_deliveries(plan.data_dir),
        data.load_financials(plan.data_dir),
        data.load_targets(plan.data_dir),
        coverage.load_ventures_if_any(plan.data_dir),
    )
    legend = (
        f"deliveries to {plan.data_as_of}. Per maker: months with a figure / months from its first "
        f"to {plan.data_as_of} (a missing month is unknown, not zero), its latest month, the "
        "missing months, its latest reported period with the basis of its figures (company, "
        "segment, vehicle), the years it stated targets for, and its overseas ventures on file:"
    )
    print(textwrap.fill(legend, width=100))
    print(textwrap.indent(coverage.format_table(table), "    "))
    print(f"scenario {plan.scenario.name}: ok for {len(plan.jobs)} notebook(s)")
    return 0


def _pdf(run: Path) -> int:
    from lib import pdf

    try:
        printed = pdf.print_run(run)
    except pdf.PdfError as error:
        print(f"bad input: {error}", file=sys.stderr)
        return pipeline.EXIT_BAD_INPUT
    print(f"{len(printed)} PDF(s) in {printed[0].parent if printed else run}")
    return 0


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def _cache(arguments: argparse.Namespace) -> int:
    """Show the cache's entries and size per cached function, or clear it."""
    where = arguments.cache_dir or cache.folder(arguments.reports_dir)
    try:
        if arguments.action == "clear":
            files, size = cache.clear(where)
            print(f"removed {files} file(s), {_megabytes(size)}, from {where}")
            return 0
        found = cache.summary(where)
    except cache.Unusable as error:
        print(f"bad input: {error}", file=sys.stderr)
        return pipeline.EXIT_BAD_INPUT
    except OSError as error:
        print(f"cannot read {where}: {error.strerror or error}", file=sys.stderr)
        return pipeline.EXIT_FAILED
    total = sum(count for count, _ in found.values()), sum(size for _, size in found.values())
    print(f"cache in {where}: {total[0]} file(s), {_megabytes(total[1])}")
    for name, (count, size) in sorted(found.items()):
        print(f"    {name}: {count} file(s), {_megabytes(size)}")
    return 0


def _cluster_given(arguments: argparse.Namespace) -> dict:
    """The --cluster settings given on the command line, by option."""
    given = {
        "--tls-ca-file": arguments.tls_ca_file,
        "--tls-cert": arguments.tls_cert,
        "--tls-key": arguments.tls_key,
        "--insecure-cluster": arguments.insecure_cluster,
        "--cluster-timeout": arguments.cluster_timeout,
    }
    return {option: value for option, value in given.items() if value}


def _cluster_options(arguments: argparse.Namespace) -> pipeline.ClusterOptions:
    names = {
        "--tls-ca-file": "tls_ca_file",
        "--tls-cert": "tls_cert",
        "--tls-key": "tls_key",
        "--insecure-cluster": "insecure",
        "--cluster-timeout": "timeout",
    }
    given = _cluster_given(arguments)
    return pipeline.ClusterOptions(arguments.cluster, **{names[o]: v for o, v in given.items()})


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    quiet = getattr(arguments, "quiet", False)
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
        stream=sys.stderr,
    )
    for noisy in (
        "papermill",
        "traitlets",
        "nbconvert",
        "distributed",
        "tornado",
        "bokeh",
    ):  # their chatter drowns the progress lines
        logging.getLogger(noisy).setLevel(logging.ERROR)
    if arguments.command == "list":
        return _list()
    if arguments.command == "data":
        return data_add.main(arguments)
    if arguments.command == "pdf":
        return _pdf(arguments.run or paths.reports_dir() / "latest")
    if arguments.command == "check":
        return _check(arguments)
    if arguments.command == "cache":
        return _cache(arguments)
    options = pipeline.RunOptions(
        scenario=arguments.scenario,
        only=tuple(arguments.only),
        data_dir=arguments.data_dir,
        reports_dir=arguments.reports_dir,
        jobs=arguments.jobs,
        force=arguments.force,
        cell_timeout=arguments.cell_timeout,
        maker=arguments.maker,
        cache_dir=arguments.cache_dir,
        use_cache=not arguments.no_cache,
    )
    names = pipeline.all_scenarios() if arguments.all_scenarios else None
    if not arguments.cluster and any(_cluster_given(arguments).values()):
        print(f"{', '.join(_cluster_given(arguments))} need --cluster", file=sys.stderr)
        return pipeline.EXIT_BAD_INPUT
    if arguments.universe or arguments.makers or arguments.cluster:
        if arguments.maker:
            print("--maker and --universe/--makers exclude each other", file=sys.stderr)
            return pipeline.EXIT_BAD_INPUT
        if arguments.cluster:
            options.cluster = _cluster_options(arguments)
        return pipeline.run_universe(options, names or [options.scenario], arguments.makers)
    return pipeline.run(options, names)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `python -m lib check | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
