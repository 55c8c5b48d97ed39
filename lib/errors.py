"""Errors that the analyses raise and the runner recognises by name in an executed notebook.

At the bottom floor so that every analysis can raise them: the runner sees only papermill's
error output (the exception's class name and message), never the object itself.
"""

from __future__ import annotations


class BadParameter(ValueError):
    """A notebook parameter the analysis cannot use (e.g. a range whose low end is above its high
    end), found by the library's own input checks once the notebook runs. The runner reports it as
    bad input (exit code 2), naming the notebook and this message, which should name the parameter
    and what was expected. A ValueError, so that callers that catch ValueError still do."""
