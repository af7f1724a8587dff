"""Bar and line charts of a dashboard, drawn on the server as SVG: no chart library, no script, no remote font.

One drawing serves the page and the PDF report. On the page the SVG is inline, scales to its box (viewBox,
width 100%) and uses the system's sans-serif fonts; its geometry is sized so that labels stay readable on a
390 px phone. In the PDF (``for_pdf=True``) xhtml2pdf hands the SVG to svglib, which draws each <text> in one
ReportLab font: the bundled Chinese font has no Latin letters or digits, so every label is cut into runs,
Chinese in that font and the rest in Helvetica, each placed at its measured width.

Bar charts are drawn horizontally, a row per category: a county's thirty townships stay legible on a phone,
the chart simply grows taller.
"""
import math
import threading
from html import escape

from django.contrib.staticfiles import finders
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from academy.pdf import FONT_FILE

from .dashboards import Chart, Unit

WIDTH = 420  # viewBox units; the page scales the drawing to its box (about 0.8 on a 390 px phone)
FONT_STACK = (
    "system-ui, -apple-system, 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', "
    "'WenQuanYi Micro Hei', sans-serif"
)
PDF_CJK_FONT = "AcademyChartCJK"  # the ReportLab name the PDF drawings use for Chinese
PDF_LATIN_FONT = "Helvetica"
LABEL_SIZE = 14
VALUE_SIZE = 12.5
TICK_SIZE = 12
INK, MUTED, GRID, TARGET = "#1f2933", "#52606d", "#d9e2ec", "#b91c1c"
# Distinct in print and for the common colour-vision deficiencies; the first is the site's brand colour.
PALETTE = ("#c2410c", "#1d4ed8", "#15803d", "#7c3aed", "#0e7490", "#a16207", "#be185d", "#4b5563")

_font_lock = threading.Lock()
_font_registered = False


def chart_svg(chart: Chart, *, for_pdf: bool = False) -> str:
    """The chart as an SVG document fragment, safe to embed in a page (every text is escaped)."""
    drawing = _Drawing(for_pdf=for_pdf)
    if chart.kind == "line":
        _draw_line(drawing, chart)
    else:
        _draw_bars(drawing, chart)
    return mark_safe(drawing.markup(title=chart.title))


# --- Values --------------------------------------------------------------------------------------------


def format_value(value, unit: str) -> str:
    """A value as the charts and tables show it: rates as percentages, counts whole, "—" when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == Unit.RATE:
        percent = round(float(value) * 100, 1)
        return f"{percent:.1f}".removesuffix(".0") + "%"
    if unit == Unit.COUNT:
        return f"{int(round(float(value))):,}"
    if unit == Unit.NUMBER:
        number = float(value)
        return f"{number:,.0f}" if number == int(number) else f"{number:,.2f}".rstrip("0")
    return str(value)


def _axis_max(chart: Chart) -> float:
    """The end of the value axis: 100% for rates (further only if a value goes beyond it), otherwise a round
    number above the largest value and the target."""
    values = [value for series in chart.series for value in series.values if value is not None]
    top = max(values + ([chart.target] if chart.target is not None else []), default=0)
    if chart.unit == Unit.RATE:
        return max(1.0, _nice_ceiling(top)) if top > 1 else 1.0
    return _nice_ceiling(top) if top > 0 else 1.0


def _nice_ceiling(value: float) -> float:
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _ticks(maximum: float) -> list[float]:
    return [maximum * step / 4 for step in range(5)]


def _tick_label(value: float, unit: str) -> str:
    if unit == Unit.RATE:
        return f"{round(value * 100):d}%"
    return format_value(value, Unit.NUMBER if unit == Unit.NUMBER else Unit.COUNT)


# --- Text ---------------------------------------------------------------------------------------------


def _is_wide(char: str) -> bool:
    """Chinese characters and full-width punctuation: drawn in the Chinese font, about one em wide."""
    return ord(char) >= 0x2E80


def _estimated_width(text: str, size: float) -> float:
    """Width for layout, the same on the page and in the PDF: one em per Chinese character, a little over
    half an em for the rest."""
    return sum(size if _is_wide(char) else size * 0.58 for char in text)


def _shorten(text: str, size: float, room: float) -> str:
    if _estimated_width(text, size) <= room:
        return text
    while text and _estimated_width(text + "…", size) > room:
        text = text[:-1]
    return text + "…"


def _runs(text: str) -> list[tuple[str, bool]]:
    """``text`` cut where it changes between Chinese and the rest: [(run, is Chinese)]."""
    runs: list[tuple[str, bool]] = []
    for char in text:
        wide = _is_wide(char) or (char == " " and runs and runs[-1][1])
        if runs and runs[-1][1] == wide:
            runs[-1] = (runs[-1][0] + char, wide)
        else:
            runs.append((char, wide))
    return runs


def register_pdf_font() -> str:
    """Register the bundled Chinese font with ReportLab (through svglib's font map, which is where svglib
    looks a font-family up) once per process, and return its name."""
    global _font_registered
    from svglib.fonts import register_font

    # Not svglib's find_font to ask whether it is there: on a miss that registers whatever font fontconfig
    # offers (DejaVu, without Chinese) under the name asked for.
    with _font_lock:
        if not _font_registered:
            name, registered = register_font(PDF_CJK_FONT, finders.find(FONT_FILE), rlgFontName=PDF_CJK_FONT)
            if not registered:
                raise RuntimeError(f"could not register {FONT_FILE} for the PDF charts")
            _font_registered = True
    return PDF_CJK_FONT


class _Drawing:
    """Collects SVG elements; knows how text is written for the page and for the PDF."""

    def __init__(self, *, for_pdf: bool):
        self.for_pdf = for_pdf
        self.parts: list[str] = []
        self.height = 0.0
        if for_pdf:
            register_pdf_font()

    def add(self, markup: str) -> None:
        self.parts.append(markup)

    def rect(self, x, y, width, height, fill, **attributes) -> None:
        self.add(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" height="{height:.1f}" fill="{fill}"'
            f"{_attributes(attributes)}/>"
        )

    def line(self, x1, y1, x2, y2, stroke, width=1.0, dash=None, **attributes) -> None:
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" '
            f'stroke-width="{width}"{dashed}{_attributes(attributes)}/>'
        )

    def text(self, x, y, content: str, *, size=LABEL_SIZE, anchor="start", fill=INK, weight="normal",
             full_text: str | None = None) -> None:
        """A label with its baseline at ``y``; ``anchor`` as SVG's text-anchor. ``full_text``, when the label
        was shortened, goes in a tooltip on the page."""
        bold = ' font-weight="bold"' if weight == "bold" else ""
        if not self.for_pdf:
            tooltip = f"<title>{escape(full_text)}</title>" if full_text and full_text != content else ""
            self.add(
                f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{bold}>'
                f"{tooltip}{escape(content)}</text>"
            )
            return
        from reportlab.pdfbase.pdfmetrics import stringWidth

        runs = [(run, PDF_CJK_FONT if wide else PDF_LATIN_FONT) for run, wide in _runs(content)]
        widths = [stringWidth(run, font, size) for run, font in runs]
        start = x - {"start": 0, "middle": sum(widths) / 2, "end": sum(widths)}[anchor]
        for (run, font), width in zip(runs, widths):
            if run.strip():
                self.add(
                    f'<text x="{start:.1f}" y="{y:.1f}" font-family="{font}" font-size="{size}" '
                    f'fill="{fill}">{escape(run)}</text>'
                )
            start += width

    def markup(self, *, title: str) -> str:
        height = math.ceil(self.height)
        if self.for_pdf:
            size = f'width="{WIDTH}" height="{height}"'
            font = ""
        else:
            size = f'width="100%" preserveAspectRatio="xMidYMin meet" role="img" aria-label="{escape(str(title))}"'
            font = f' font-family="{FONT_STACK}"'
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" {size} class="chart"{font}>'
            f"<title>{escape(str(title))}</title>" + "".join(self.parts) + "</svg>"
        )


def _attributes(attributes: dict) -> str:
    return "".join(f' {name.rstrip("_").replace("_", "-")}="{escape(str(value))}"' for name, value in attributes.items())


# --- Legend -------------------------------------------------------------------------------------------


def _draw_legend(drawing: _Drawing, chart: Chart, top: float) -> float:
    """The series' colours and the target line, wrapped over as many rows as the width needs; returns the
    y under the legend."""
    items = [(str(series.label), PALETTE[index % len(PALETTE)], False) for index, series in enumerate(chart.series)]
    if chart.target is not None:
        items.append((_("Target %(value)s") % {"value": format_value(chart.target, chart.unit)}, TARGET, True))
    x, y, row_height, size = 0.0, top + 13, 20, 13
    for label, colour, is_target in items:
        label = _shorten(label, size, WIDTH - 30)
        width = 22 + _estimated_width(label, size) + 14
        if x > 0 and x + width > WIDTH:
            x, y = 0.0, y + row_height
        if is_target:
            drawing.line(x, y - 4, x + 16, y - 4, TARGET, width=2, dash="4 3", class_="legend-target")
        else:
            drawing.rect(x + 2, y - 11, 12, 12, colour, rx=2)
        drawing.text(x + 22, y, label, size=size, fill=INK)
        x += width
    return y + 10


def _draw_empty(drawing: _Drawing, top: float) -> None:
    drawing.text(WIDTH / 2, top + 30, _("No data for this chart."), anchor="middle", fill=MUTED)
    drawing.height = top + 48


# --- Bars ---------------------------------------------------------------------------------------------


def _draw_bars(drawing: _Drawing, chart: Chart) -> None:
    """One row per category, one bar per series in it, the value at the end of each bar, the target as a
    dashed vertical line, the value axis underneath."""
    top = _draw_legend(drawing, chart, 0) + 8
    if not chart.categories or not chart.series:
        _draw_empty(drawing, top)
        return
    longest = max(_estimated_width(str(category), LABEL_SIZE) for category in chart.categories)
    label_room = min(max(longest, 40), 130)
    left, right = label_room + 10, WIDTH - 46  # room for the value written after a full bar
    maximum = _axis_max(chart)

    def x_of(value):
        return left + (right - left) * min(value, maximum) / maximum

    bars = len(chart.series)
    bar, gap, padding = (16, 2, 12) if bars <= 2 else (13, 2, 10)
    group = bars * bar + (bars - 1) * gap + padding
    plot_top, plot_bottom = top, top + group * len(chart.categories)
    for tick in _ticks(maximum):
        drawing.line(x_of(tick), plot_top, x_of(tick), plot_bottom, GRID)
        drawing.text(x_of(tick), plot_bottom + 15, _tick_label(tick, chart.unit), size=TICK_SIZE, anchor="middle", fill=MUTED)
    drawing.line(left, plot_top, left, plot_bottom, MUTED)
    for row, category in enumerate(chart.categories):
        group_top = plot_top + row * group + padding / 2
        label = _shorten(str(category), LABEL_SIZE, label_room)
        middle = group_top + (group - padding) / 2 + LABEL_SIZE * 0.35
        drawing.text(left - 6, middle, label, anchor="end", full_text=str(category))
        for index, series in enumerate(chart.series):
            value = series.values[row] if row < len(series.values) else None
            y = group_top + index * (bar + gap)
            if value is None:
                drawing.text(left + 4, y + bar - 2, "—", size=VALUE_SIZE, fill=MUTED)
                continue
            end = x_of(value)
            drawing.rect(left, y, end - left, bar, PALETTE[index % len(PALETTE)], class_="bar")
            drawing.text(end + 3, y + bar - 2, format_value(value, chart.unit), size=VALUE_SIZE, fill=INK)
    if chart.target is not None:
        x = x_of(chart.target)
        drawing.line(x, plot_top - 4, x, plot_bottom, TARGET, width=1.5, dash="5 3", class_="target-line")
    drawing.height = plot_bottom + 24


# --- Lines --------------------------------------------------------------------------------------------


def _draw_line(drawing: _Drawing, chart: Chart) -> None:
    """One line per series across the categories (years), a dot at each point with the values as labelled
    below, the target as a dashed horizontal line, the value axis at the left."""
    top = _draw_legend(drawing, chart, 0) + 14
    if not chart.categories or not chart.series:
        _draw_empty(drawing, top)
        return
    maximum = _axis_max(chart)
    left, right = 44, WIDTH - (16 if len(chart.series) == 1 else 48)  # room for the values at the lines' ends
    plot_top, plot_bottom = top, top + 180
    count = len(chart.categories)
    step = (right - left) / count

    def x_of(index):
        return left + step * (index + 0.5)

    def y_of(value):
        return plot_bottom - (plot_bottom - plot_top) * min(value, maximum) / maximum

    for tick in _ticks(maximum):
        drawing.line(left, y_of(tick), right, y_of(tick), GRID)
        drawing.text(left - 5, y_of(tick) + 4, _tick_label(tick, chart.unit), size=TICK_SIZE, anchor="end", fill=MUTED)
    drawing.line(left, plot_bottom, right, plot_bottom, MUTED)
    # Label every category when there is room, otherwise every other one and the last.
    every = 1 if step >= 34 else 2
    for index, category in enumerate(chart.categories):
        if index % every == 0 or index == count - 1:
            label = _shorten(str(category), TICK_SIZE, step * every - 2)
            drawing.text(x_of(index), plot_bottom + 17, label, size=TICK_SIZE, anchor="middle", fill=INK, full_text=str(category))
    if chart.target is not None:
        drawing.line(left, y_of(chart.target), right, y_of(chart.target), TARGET, width=1.5, dash="5 3",
                     class_="target-line")

    # One series: its value above every point. Several: each line's latest value at its end (the years
    # before are in the dashboard's table, and in a tooltip on each point on the page).
    single = len(chart.series) == 1
    end_labels: dict[int, list[tuple[float, str, str]]] = {}
    for number, series in enumerate(chart.series):
        colour = PALETTE[number % len(PALETTE)]
        points = [(index, value) for index, value in enumerate(series.values[:count]) if value is not None]
        # A missing year breaks the line rather than bridging it.
        segments, current = [], []
        for index, value in points:
            if current and index != current[-1][0] + 1:
                segments.append(current)
                current = []
            current.append((index, value))
        if current:
            segments.append(current)
        for segment in segments:
            if len(segment) > 1:
                path = " ".join(
                    f"{'M' if position == 0 else 'L'}{x_of(index):.1f} {y_of(value):.1f}"
                    for position, (index, value) in enumerate(segment)
                )
                drawing.add(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2.5" class="series-line"/>')
        for index, value in points:
            text = format_value(value, chart.unit)
            tooltip = "" if drawing.for_pdf else (
                f"<title>{escape(str(series.label))} · {escape(str(chart.categories[index]))}: {text}</title>"
            )
            drawing.add(f'<circle cx="{x_of(index):.1f}" cy="{y_of(value):.1f}" r="3.5" fill="{colour}">{tooltip}</circle>')
            if single:
                drawing.text(x_of(index), y_of(value) - 7, text, size=VALUE_SIZE, anchor="middle", fill=colour)
        if points and not single:
            index, value = points[-1]
            end_labels.setdefault(index, []).append((y_of(value) + VALUE_SIZE * 0.35, format_value(value, chart.unit), colour))
    # Equal values (often everyone at 100%) share one label; close ones are pushed apart downwards.
    for index, column in end_labels.items():
        by_text: dict[str, tuple[float, str]] = {}
        for y, text, colour in column:
            by_text[text] = (y, colour if text not in by_text else INK)
        previous = None
        for y, text, colour in sorted((y, text, colour) for text, (y, colour) in by_text.items()):
            if chart.target is not None and abs(y - VALUE_SIZE * 0.35 - y_of(chart.target)) < 5:
                y = y_of(chart.target) + VALUE_SIZE + 2  # not struck through by the target line
            if previous is not None:
                y = max(y, previous + VALUE_SIZE + 1)
            previous = y
            drawing.text(x_of(index) + 7, y, text, size=VALUE_SIZE, fill=colour)
    drawing.height = plot_bottom + 28
