"""Reader tables: text escaped, source URLs as numbered links listed under the table."""

from __future__ import annotations

import pandas as pd

from lib import tables


def test_source_urls_become_numbered_links_listed_once_under_the_table():
    frame = pd.DataFrame(
        {
            "fact": ["a", "b", "c"],
            "source_url": ["https://x.org/1?a=1&b=2", "https://y.org/2", "https://x.org/1?a=1&b=2"],
        }
    )
    page = tables.reader_table(frame).to_html()
    assert page.count('">[1]</a>') == 2 and page.count('">[2]</a>') == 1
    caption = page[page.index("<caption") : page.index("</caption>")]
    assert caption.count("<li") == 2 and "https://x.org/1?a=1&amp;b=2</a>" in caption
    assert "caption-side: bottom" in page


def test_text_in_a_source_column_that_is_not_a_url_stays_text():
    frame = pd.DataFrame({"source": ["https://x.org/", "<script>alert(1)</script>", None]})
    page = tables.reader_table(frame).to_html()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_table_without_sources_has_no_caption():
    page = tables.reader_table(pd.DataFrame({"note": ["<b>x</b>"]})).to_html()
    assert "<caption" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


def test_plain_text_in_prose_shows_markup_as_text_and_keeps_quotes():
    from lib import tables

    assert tables.plain("<b>Tesla's</b> & co") == "&lt;b&gt;Tesla's&lt;/b&gt; &amp; co"
    assert tables.plain(12.5) == "12.5"
