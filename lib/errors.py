"""Errors that the analyses raise and the runner recognises by name in an executed notebook, and
the signals that stop a command as an exception.

At the bottom floor so that every analysis can raise them: the runner sees only papermill's
error output (the exception's class name and message), never the object itself.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator

TERMINATION_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def raise_on_termination(make_error: Callable[[int], BaseException]) -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise `make_error(signum)`, so the work unwinds like an
    exception (temporary files removed, nothing half-written published); the previous handlers
    come back on the way out."""

    def stop(signum, _frame):
        raise make_error(signum)

    previous = {s: signal.signal(s, stop) for s in TERMINATION_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class BadParameter(ValueError):
    """A notebook parameter the analysis cannot use (e.g. a range whose low end is above its high
    end), found by the library's own input checks once the notebook runs. The runner reports it as
    bad input (exit code 2), naming the notebook and this message, which should name the parameter
    and what was expected. A ValueError, so that callers that catch ValueError still do."""
