"""Shared work: the expensive results a notebook reads that depend on the data and parameters,
not on the maker (an analysis package's `shared_work`, e.g. notebook 01's backtest at every
month-end), computed before the notebook starts, spread over the run's workers, into the run's
cache, which the notebook then reads. A single run spreads one maker's over its process pool; a
universe run computes them once for every maker, on its Dask workers. Without a cache there is
nothing to share; a call that fails only costs time (the notebook computes it and reports why)."""

from __future__ import annotations

import logging
import time
import warnings

from lib import cache, contract
from lib.pipeline.model import environment_kept

log = logging.getLogger("lib.pipeline")


def calls(name: str, plans: list) -> list:
    """The shared work of notebook `name` (its package's `shared_work`, as cached calls), with
    the parameters of the first plan whose maker can load them (a maker whose own data fall
    short, e.g. without a target, cannot; its notebook will say why); none when no maker can."""
    package = contract.package(name)
    work = getattr(package, "shared_work", None) if package is not None else None
    if work is None:
        return []
    for plan_ in plans:
        job = next(j for j in plan_.jobs if j.name == name)
        try:
            return work(package.Params.from_values(job.values), plan_.data_dir)
        except Exception as error:  # the maker's own notebook reports it; try the next maker
            log.debug("no shared work of %s from %s: %s", name, job.values.get("maker"), error)
    return []


def compute(environment: dict[str, str], call) -> dict:
    """Compute one shared call with the run's environment (its cache folder); say how long it
    took, what it warned (for the run's log: a worker's stderr is the scheduler's), or why it
    failed."""
    from threadpoolctl import threadpool_limits

    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("default")  # each warning once per place, as in a kernel
        try:
            with environment_kept(environment), threadpool_limits(limits=1):  # one BLAS thread
                call()
            status, error = "ok", None
        except Exception as failed:  # a failure here costs time only: the notebook computes it
            status, error = "failed", f"{type(failed).__name__}: {failed}"
    return {
        "status": status,
        "duration_s": time.perf_counter() - started,
        "error": error,
        "warnings": sorted({f"{w.category.__name__}: {w.message}" for w in warned}),
    }


def wanted(use_cache: bool) -> bool:
    """Whether a run computes shared work: only into a cache (--no-cache, EVR_NO_CACHE)."""
    return use_cache and cache.enabled()


def report(outcomes: list[dict], makers: int) -> None:
    for outcome in outcomes:
        if outcome["status"] != "ok":
            log.warning("shared work failed (the notebooks compute it): %s", outcome["error"])
    for warned in sorted({w for outcome in outcomes for w in outcome.get("warnings", [])}):
        log.info("shared work warned: %s", warned)
    log.info(
        "shared work: %d result(s) computed once for %d maker(s), %.1f s of work",
        len(outcomes),
        makers,
        sum(o["duration_s"] for o in outcomes),
    )
