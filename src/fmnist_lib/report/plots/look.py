"""One look for every figure of the report, on screen and on paper.

Figures are drawn `FIGURE_WIDTH` inches wide, the width of the page's text column, at `FIGURE_DPI` (1.4 times
the 96 px of a CSS inch, sharp on paper and on dense screens); `common.ReportFigure` tells the page to show them
at that width, so a point in a figure is a point on the page and no label is drawn below `MIN_FONT_PT`. Lines
differ by colour, line style and marker, so they survive grayscale printing. Tables have theirs in
`report/style.py`.
"""

from __future__ import annotations

CSS_PX_PER_INCH = 96
TEXT_COLUMN_PX = 672  # the page's text column at 1280 px, and A4 less 16 mm margins in print
TIGHT_PAD_IN = 0.12  # what the notebook's tight crop adds around a constrained-layout figure
FIGURE_WIDTH = TEXT_COLUMN_PX / CSS_PX_PER_INCH - TIGHT_PAD_IN  # inches: shown at exactly the column's width
FIGURE_DPI = 1.4 * CSS_PX_PER_INCH
MIN_FONT_PT = 9.0
FONT_PT = 10.0  # axis labels, titles of panels, legends
SMALL_PT = 9.0  # tick labels, annotations, captions inside figures
TITLE_PT = 11.0
RC = {"font.size": FONT_PT, "axes.titlesize": FONT_PT, "axes.labelsize": FONT_PT, "xtick.labelsize": SMALL_PT,
      "ytick.labelsize": SMALL_PT, "legend.fontsize": SMALL_PT, "legend.title_fontsize": SMALL_PT,
      "figure.titlesize": TITLE_PT, "lines.linewidth": 1.6, "lines.markersize": 4.5, "axes.titleweight": "normal"}

# Okabe-Ito colours, ordered so that neighbours also differ in lightness (grey prints tell them apart), each
# with its own line style and marker: the n-th series is identifiable in colour, in grey and in black and white.
COLORS = ("#0072B2", "#E69F00", "#000000", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)), (0, (3, 1, 3, 3)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def series_style(index: int) -> dict:
    """Colour, line style and marker of the `index`-th line of a figure (cycling)."""
    return {"color": COLORS[index % len(COLORS)], "linestyle": LINESTYLES[index % len(LINESTYLES)],
            "marker": MARKERS[index % len(MARKERS)]}


def shown_width_px(width_in: float) -> int:
    """CSS pixels at which a figure `width_in` inches wide is shown, its tight crop included."""
    return round((width_in + TIGHT_PAD_IN) * CSS_PX_PER_INCH)
