"""One seaborn theme and the chart helpers the notebooks share.

Every chart states its finding in the title, labels its axes with units and carries a source
line: `finish(ax, title=..., xlabel=..., ylabel=..., source=...)` does all three.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import matplotlib.pyplot as plt

# matplotlib is imported where a chart is drawn: the command line imports this module (through
# lib.summary) but draws nothing, and the import is a tenth of its start-up.

FOCUS_COLOR = "#d1495b"  # the maker a notebook is about
REFERENCE_COLOR = "#00798c"  # the benchmark it is compared with
NEUTRAL_COLOR = "#9aa5b1"  # everything else
INTERVAL_ALPHA = 0.25
TITLE_WIDTH = 80  # characters a title line holds; longer findings wrap
PALETTE = ["#00798c", "#edae49", "#30638e", "#66a182", "#8d6a9f", "#003d5b", "#e07a5f", "#6c757d"]


def set_theme() -> None:
    """The house style: white grid, readable sizes, PNG figures that read on a laptop."""
    import matplotlib as mpl
    import seaborn as sns  # imported here: it is slow to import and only the notebooks need it

    sns.set_theme(style="whitegrid", context="notebook", palette=PALETTE)
    mpl.rcParams.update(
        {
            "figure.figsize": (9.0, 4.8),
            "figure.dpi": 100,
            "savefig.dpi": 110,
            "savefig.bbox": "tight",
            "axes.titlesize": 13,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.labelsize": 11,
            "legend.frameon": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    from IPython import get_ipython

    if get_ipython() is not None:  # in a kernel, a Figure a cell returns shows as a PNG
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")


def axes(
    ax: plt.Axes | None = None,
    figsize: tuple[float, float] | None = None,
    *,
    panels: int | tuple[int, int] = 1,
):
    """`ax`, or the axes of a new Figure outside pyplot (nothing to close, shown once when a
    notebook cell returns it): the start of every `<name>_chart(result, ax=None) -> Figure`.
    `panels`: several axes (an array) on one new Figure, a row of n or a (rows, columns) grid."""
    if ax is not None:
        return ax
    import matplotlib as mpl
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize or mpl.rcParams["figure.figsize"])
    rows, columns = panels if isinstance(panels, tuple) else (1, panels)
    return figure.subplots(rows, columns) if rows * columns > 1 else figure.subplots()


def finish(
    target: plt.Axes | plt.Figure,
    *,
    title: str,
    source: str,
    xlabel: str | None = None,
    ylabel: str | None = None,
):
    """Title stating the finding, axis labels with units, and a source line under the chart. A
    Figure of several panels gets the title above them all (each panel labels its own axes)."""
    from matplotlib.figure import Figure

    if isinstance(target, Figure):
        target.suptitle(textwrap.fill(title, TITLE_WIDTH))
        source_line(target, source)
        return target
    target.set_title(textwrap.fill(title, TITLE_WIDTH))
    if xlabel is not None:
        target.set_xlabel(xlabel)
    if ylabel is not None:
        target.set_ylabel(ylabel)
    source_line(target.figure, source)
    return target


def source_line(figure: plt.Figure, source: str) -> None:
    """The 'Source: ...' line under a figure."""
    figure.text(
        0.01, -0.02, f"Source: {source}", ha="left", va="top", fontsize=8.5, color="#555555"
    )


def thousands(ax: plt.Axes, axis: str = "y") -> None:
    """Format an axis as 12,345."""
    import matplotlib.ticker as mticker

    formatter = mticker.FuncFormatter(lambda x, _: f"{x:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def percent(ax: plt.Axes, axis: str = "y", scale: float = 1.0, decimals: int = 0) -> None:
    """Format an axis as percent; `scale=100` when the data are fractions."""
    import matplotlib.ticker as mticker

    formatter = mticker.FuncFormatter(lambda x, _: f"{x * scale:.{decimals}f}%")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def brand_colors(brands: Iterable[str], focus: str, reference: str | None = None) -> dict[str, str]:
    """Colour per brand: focus red, reference teal, others from the palette in order."""
    colors, others = {}, iter(PALETTE[1:] * 10)
    for brand in brands:
        if brand == focus:
            colors[brand] = FOCUS_COLOR
        elif brand == reference:
            colors[brand] = REFERENCE_COLOR
        else:
            colors[brand] = next(others)
    return colors
