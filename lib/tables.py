"""Tables for readers: a pandas Styler in which text from data or parameters is always text.

pandas' Styler writes cell values, index labels and column labels into the page as HTML unless
told to escape them, so a note like `<script>` in a CSV would run in the report. Every table a
notebook shows goes through `reader_table` (plain DataFrames are escaped by pandas already).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd
from pandas.io.formats.style import Styler


def reader_table(
    frame: pd.DataFrame,
    formats: dict | None = None,
    na_rep: str = "",
    hide_index: bool = True,
    labels: Sequence[object] | None = None,
) -> Styler:
    """`frame` as a Styler with every cell, index label and header escaped; `formats` maps
    columns to format strings or functions, `labels` replaces the column headers."""
    style = frame.style.format(na_rep=na_rep, escape="html")
    if formats:
        style = style.format(formats, na_rep=na_rep, escape="html")
    style = style.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    if labels is not None:  # relabel_index writes labels as given: escape them here
        style = style.relabel_index([html.escape(str(label)) for label in labels], axis=1)
    return style.hide(axis="index") if hide_index else style
