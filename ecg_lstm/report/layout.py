"""A small flow layout for the PDF report on matplotlib figures: headings, wrapped paragraphs,
(label, value) rows and tables that break across pages, a page footer "page k of n".

Text is measured with the font matplotlib draws it in (:class:`matplotlib.textpath.TextToPath`),
and wrapped to the width it has: no line runs off the page. Text is drawn literally (``usetex``
off, ``$`` escaped), so a name is never read as mathtext.
"""
from __future__ import annotations

from functools import lru_cache

from .content import plain_field

MM = 1 / 25.4  # inches per mm
PT_MM = 25.4 / 72  # mm per point
MARGIN_MM = 12.0
FOOTER_MM = 8.0
#: Line height as a multiple of the font size.
LEADING = 1.35


@lru_cache(maxsize=20000)
def text_width_mm(text: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` drawn at ``size`` points, in mm."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(size=size, weight="bold" if bold else "normal")
    w, _, _ = TextToPath().get_text_width_height_descent(text, prop, ismath=False)
    return w * PT_MM


def wrap(text: str, width_mm: float, size: float, bold: bool = False) -> list[str]:
    """``text`` in lines no wider than ``width_mm`` at ``size`` points (words kept whole where
    they fit a line; a longer word is cut)."""
    lines: list[str] = []
    line = ""
    for word in str(text).split(" "):
        trial = f"{line} {word}" if line else word
        if text_width_mm(trial, size, bold) <= width_mm:
            line = trial
            continue
        if line:
            lines.append(line)
        while text_width_mm(word, size, bold) > width_mm and len(word) > 1:
            k = len(word)
            while k > 1 and text_width_mm(word[:k], size, bold) > width_mm:
                k = max(1, int(k * 0.8)) if k > 8 else k - 1
            lines.append(word[:k])
            word = word[k:]
        line = word
    if line or not lines:
        lines.append(line)
    return lines


def literal(text) -> str:
    return str(text).replace("$", r"\$")


class Pages:
    """Figures of one paper size, filled from the top; ``y`` is the mm used on the current page."""

    def __init__(self, paper_mm: tuple[float, float], footer: str = ""):
        self.pw, self.ph = paper_mm
        self.width = self.pw - 2 * MARGIN_MM
        self.footer = footer
        self.figures: list = []
        self.fig = None
        self.y = 0.0
        self.new_page()

    # --- pages -------------------------------------------------------------------------------
    def new_page(self) -> None:
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=(self.pw * MM, self.ph * MM))
        self.figures.append(self.fig)
        self.y = MARGIN_MM

    @property
    def bottom(self) -> float:
        return self.ph - MARGIN_MM - FOOTER_MM

    def need(self, mm: float) -> None:
        """A new page unless ``mm`` more fit on this one."""
        if self.y + mm > self.bottom and self.y > MARGIN_MM + 0.1:
            self.new_page()

    def save(self, pdf) -> int:
        """Write every page with its footer into ``pdf`` (a PdfPages); returns the page count."""
        n = len(self.figures)
        for k, fig in enumerate(self.figures, 1):
            fig.text(MARGIN_MM / self.pw, FOOTER_MM * 0.6 / self.ph,
                     literal(plain_field(self.footer, 120)), fontsize=7, color="#555", usetex=False)
            fig.text(1 - MARGIN_MM / self.pw, FOOTER_MM * 0.6 / self.ph, f"page {k} of {n}", fontsize=7,
                     color="#555", ha="right")
            pdf.savefig(fig)
        return n

    # --- text --------------------------------------------------------------------------------
    def _line(self, text: str, x_mm: float, size: float, bold=False, color="#111", ha="left") -> None:
        self.fig.text(x_mm / self.pw, 1 - self.y / self.ph, literal(text), fontsize=size, va="top", ha=ha,
                      fontweight="bold" if bold else "normal", color=color, usetex=False)

    def text(self, text: str, size: float = 9, bold=False, color="#111", indent_mm: float = 0.0) -> None:
        """A paragraph, wrapped to the page's width."""
        step = size * LEADING * PT_MM
        for line in wrap(text, self.width - indent_mm, size, bold):
            self.need(step)
            self._line(line, MARGIN_MM + indent_mm, size, bold, color)
            self.y += step

    def heading(self, text: str, size: float = 11, keep_mm: float = 15.0) -> None:
        """A section heading, kept on the page with ``keep_mm`` of what follows."""
        self.y += 2.0
        self.need(size * LEADING * PT_MM + keep_mm)
        self.text(text, size, bold=True)
        self.y += 0.5

    def space(self, mm: float) -> None:
        self.y += mm

    def rows(self, rows, size: float = 9, label_mm: float = 42.0) -> None:
        """(label, value) rows; each value wrapped in the width right of the labels."""
        step = size * LEADING * PT_MM
        for label, value in rows:
            lines = wrap(plain_field(value, 400), self.width - label_mm, size)
            label_lines = wrap(plain_field(label), label_mm - 2, size, True)
            self.need(step * max(len(lines), len(label_lines)))
            y0 = self.y
            for line in label_lines:
                self._line(line, MARGIN_MM, size, bold=True)
                self.y += step
            self.y = y0
            for line in lines:
                self._line(line, MARGIN_MM + label_mm, size)
                self.y += step
            self.y = max(self.y, y0 + step * len(label_lines))

    def table(self, head, rows, widths=None, size: float = 8, align=None) -> None:
        """A table with a bold head (repeated on each page it runs onto); cells wrapped in their
        column (``widths``: relative widths; default even). ``align``: "l" or "r" per column."""
        n = len(head)
        widths = widths or [1.0] * n
        total = float(sum(widths))
        cols = [self.width * w / total for w in widths]
        xs = [MARGIN_MM + sum(cols[:k]) for k in range(n)]
        align = align or ["l"] * n
        step = size * LEADING * PT_MM

        def draw(cells, bold):
            wrapped = [wrap(plain_field(c, 400), cols[k] - 1.5, size, bold) for k, c in enumerate(cells)]
            height = step * max(len(w) for w in wrapped)
            return wrapped, height

        head_lines, head_h = draw(head, True)

        def put(wrapped, height, bold):
            y0 = self.y
            for k, lines in enumerate(wrapped):
                self.y = y0
                for line in lines:
                    if align[k] == "r":
                        self._line(line, xs[k] + cols[k] - 1.5, size, bold, ha="right")
                    else:
                        self._line(line, xs[k], size, bold)
                    self.y += step
            self.y = y0 + height
            self.fig.add_artist(_rule(self, self.y - 0.7))

        self.need(head_h + step)
        put(head_lines, head_h, True)
        for r in rows:
            lines, h = draw(r, False)
            if self.y + h > self.bottom:
                self.new_page()
                put(head_lines, head_h, True)
            put(lines, h, False)
        self.y += 1.5


def _rule(pages: Pages, y_mm: float):
    """A thin horizontal line across the text width at ``y_mm`` from the top."""
    from matplotlib.lines import Line2D

    y = 1 - y_mm / pages.ph
    return Line2D([MARGIN_MM / pages.pw, 1 - MARGIN_MM / pages.pw], [y, y], transform=pages.fig.transFigure,
                  color="#dddddd", linewidth=0.4)
