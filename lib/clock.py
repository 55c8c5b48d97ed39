"""Today's date, settable for tests and replays: `EVR_TODAY=YYYY-MM-DD` stands in for the
machine's date wherever the product asks what the current month is (the latest month a delivery
can have). Nothing else in the library reads the clock for data."""

from __future__ import annotations

import datetime as dt
import os

TODAY_VARIABLE = "EVR_TODAY"


def today() -> dt.date:
    """`EVR_TODAY` when set (an ISO date), else the machine's date."""
    text = os.environ.get(TODAY_VARIABLE, "").strip()
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"environment variable {TODAY_VARIABLE} must be a date as YYYY-MM-DD; got {text!r}"
        ) from None
