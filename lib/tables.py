"""Tables for readers: a pandas Styler in which text from data or parameters is always text.

pandas' Styler writes cell values, index labels and column labels into the page as HTML unless
told to escape them, so a note like `<script>` in a CSV would run in the report. Every table a
notebook shows goes through `reader_table` (plain DataFrames are escaped by pandas already).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import pandas as pd
from pandas.io.formats.style import Styler


def plain(value: object) -> str:
    """Text from data or parameters inside prose (Markdown, HTML): <, > and & escaped, so it
    shows as text; quotes kept (the renderer shows an escaped apostrophe as "&#x27;")."""
    return html.escape(str(value), quote=False)


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
    style = _footnoted_sources(style, frame)
    style = style.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    if labels is not None:  # relabel_index writes labels as given: escape them here
        style = style.relabel_index([html.escape(str(label)) for label in labels], axis=1)
    return style.hide(axis="index") if hide_index else style


SOURCE_COLUMNS = ("source", "source_url")
URL = re.compile(r"^https?://\S+$")


def _footnoted_sources(style: Styler, frame: pd.DataFrame) -> Styler:
    """Source URLs as numbered links ([1], [2], ...) in their cells, listed in full under the
    table: a long raw URL in a cell makes the table unreadable. URLs are escaped here."""
    columns = [c for c in frame.columns if str(c).lower() in SOURCE_COLUMNS]
    urls = list(
        dict.fromkeys(v for c in columns for v in frame[c] if isinstance(v, str) and URL.match(v))
    )
    if not urls:
        return style
    number = {url: i for i, url in enumerate(urls, 1)}

    def link(value: object) -> str:
        if isinstance(value, str) and value in number:
            return f'<a href="{html.escape(value, quote=True)}">[{number[value]}]</a>'
        return "" if value is None or value != value else html.escape(str(value))

    notes = "".join(
        f'<li value="{i}"><a href="{html.escape(url, quote=True)}">{html.escape(url)}</a></li>'
        for url, i in number.items()
    )
    return (
        style.format(link, subset=columns)
        .set_caption(
            f'<span class="evr-sources-title">Sources</span><ol class="evr-sources">{notes}</ol>'
        )
        .set_table_styles(
            [{"selector": "caption", "props": "caption-side: bottom; text-align: left;"}],
            overwrite=False,
        )
    )
