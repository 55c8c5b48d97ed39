"""`make bench`: run every bench/bench_*.py module's `run()` and write bench/results.json.

Each module measures one thing on this machine and returns a dict of named figures (seconds,
ratios, sizes). Timings live here, never in unit tests.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def main(selected: list[str]) -> int:
    known = sorted(path.stem for path in BENCH_DIR.glob("bench_*.py"))
    unknown = [name for name in selected if name not in known]
    if unknown:  # e.g. `--help`: say what there is, measure nothing, write nothing
        print(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(known)}")
        return 2
    figures = {}
    for path in sorted(BENCH_DIR.glob("bench_*.py")):
        name = path.stem
        if selected and name not in selected:
            continue
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        figures[name] = importlib.import_module(f"bench.{name}").run()
        figures[name]["bench_wall_s"] = round(time.perf_counter() - started, 2)
        print(json.dumps(figures[name], indent=2), flush=True)
    machine = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }
    output = BENCH_DIR / "results.json"
    previous = json.loads(output.read_text()) if output.exists() and selected else {}
    previous.get("benchmarks", {}).update(figures)
    merged = previous.get("benchmarks", figures)
    output.write_text(
        json.dumps(
            {
                "machine": machine,
                "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "benchmarks": merged,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
