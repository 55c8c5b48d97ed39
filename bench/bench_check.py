"""`python -m lib check` on large synthetic delivery files: time per row must stay flat.

The data check reads, parses and validates every file, then lists the gaps in each maker's
series. Here deliveries_monthly.csv is replaced by 10k, 100k and 1M synthetic rows (one maker per
96 months, a gap every 10 months, so 1M rows means ~11,600 makers and ~104,000 gaps); the other
files are the shipped ones. Timed in-process, as `check` does it but without its fixed start-up:
read + validate (`read_dataset`, its cache cleared) and `delivery_gaps`, in CPU seconds of this
process (best of REPEATS; wall seconds swing with whatever else shares the 2 cores). Before the rewrite
a 200 MB file took 25 s to validate and the gap listing did not finish in 10 minutes. Also times
the refusal of a file over `data.MAX_FILE_BYTES` (it must not be read).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from lib import data, paths

SIZES = (10_000, 100_000, 1_000_000)
REPEATS = {10_000: 5, 100_000: 3, 1_000_000: 1}
MONTHS = [f"{year}-{month:02d}" for year in range(2018, 2026) for month in range(1, 13)]


def _write_deliveries(path: Path, rows: int) -> None:
    """`rows` valid rows: maker after maker, 96 months each, skipping every 10th month."""
    lines, brand = ["brand,month,deliveries,quality,source_url,note"], 0
    while len(lines) <= rows:
        for position, month in enumerate(MONTHS):
            if position % 10 != 5 and len(lines) <= rows:
                lines.append(
                    f"b{brand:06d},{month},{len(lines) % 90_000},stated,https://e.cn/{brand},"
                )
        brand += 1
    path.write_text("\n".join(lines) + "\n")


def _time_check(folder: Path) -> dict:
    data.forget_validated()  # measure the parse, not the cache
    started, wall = time.process_time(), time.perf_counter()
    deliveries = data.load_deliveries(folder)
    validated = time.process_time()
    gaps = data.delivery_gaps(deliveries)
    finished = time.process_time()
    return {
        "validate_s": validated - started,
        "gaps_s": finished - validated,
        "wall_s": time.perf_counter() - wall,
        "gaps": len(gaps),
    }


def run() -> dict:
    figures = {}
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / "data"
        shutil.copytree(paths.PROJECT_ROOT / "data", folder)
        target = folder / data.DELIVERIES.filename
        for rows in SIZES:
            _write_deliveries(target, rows)
            timings = [_time_check(folder) for _ in range(REPEATS[rows])]
            timing = min(timings, key=lambda t: t["validate_s"] + t["gaps_s"])
            total = timing["validate_s"] + timing["gaps_s"]
            figures[f"rows_{rows}"] = {
                "file_mb": round(target.stat().st_size / 2**20, 1),
                "validate_cpu_s": round(timing["validate_s"], 2),
                "gaps_cpu_s": round(timing["gaps_s"], 2),
                "wall_s": round(timing["wall_s"], 2),
                "gaps_found": timing["gaps"],
                "us_per_row": round(total / rows * 1e6, 2),
            }
            print(f"  {rows:>9,} rows: {figures[f'rows_{rows}']}", flush=True)
        with target.open("wb") as handle:  # sparse: the size is there, the bytes are not
            handle.truncate(200 * 2**20)
        started = time.perf_counter()
        try:
            data.load_deliveries(folder)
        except data.DataError as error:
            figures["refuse_200mb_s"] = round(time.perf_counter() - started, 4)
            figures["refuse_200mb_message"] = error.problems[0]
    per_row = [figures[f"rows_{rows}"]["us_per_row"] for rows in SIZES]
    figures["us_per_row_max_over_min"] = round(max(per_row) / min(per_row), 2)
    figures["max_file_mb"] = data.MAX_FILE_BYTES / 2**20
    return figures
