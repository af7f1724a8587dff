"""Everything a dashboard turns into besides its page: xlsx, csv and the PDF report. Written once for the
Dashboard structure (analytics/dashboards.py), so every dashboard exports the same way.

``dashboard_view`` is also what the page shows: figures, tables and charts with their values already in words,
so the page, the PDF and the files say the same numbers the same way (charts.format_value). Text is rendered
in the active language; the caller activates the reader's.
"""
import base64
import math

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from academy import spreadsheets
from academy.pdf import html_to_pdf

from .charts import chart_svg, format_value
from .dashboards import Dashboard, Figure, Table, Unit

NUMERIC_UNITS = {Unit.RATE, Unit.COUNT, Unit.NUMBER}
# Excel number formats per unit: rates stay numbers (0.853) shown as a percentage.
EXCEL_FORMATS = {Unit.RATE: "0.0%", Unit.COUNT: "#,##0", Unit.NUMBER: "#,##0.##"}
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _meets_text(figure: Figure) -> str:
    return {True: _("Target met"), False: _("Below target"), None: ""}[figure.meets_target]


# --- What the page and the PDF show ----------------------------------------------------------------------


def dashboard_view(dashboard: Dashboard, *, for_pdf: bool = False) -> dict:
    """The dashboard with every value in words: for the page (charts as inline SVG) or the PDF (charts as
    data: images, which xhtml2pdf draws through svglib)."""
    figures = [
        {
            "label": figure.label,
            "value": format_value(figure.value, figure.unit),
            "target": format_value(figure.target, figure.unit) if figure.target is not None else "",
            "meets": figure.meets_target,
            "meets_text": _meets_text(figure),
            "badge": {True: "badge-ok", False: "badge-bad", None: ""}[figure.meets_target],
            "note": figure.note,
        }
        for figure in dashboard.figures
    ]
    charts = []
    for chart in dashboard.charts:
        svg = chart_svg(chart, for_pdf=for_pdf)
        entry = {"title": chart.title, "kind": chart.kind}
        if for_pdf:
            entry["src"] = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
        else:
            entry["svg"] = svg
        charts.append(entry)
    tables = [_table_view(table) for table in dashboard.tables]
    return {
        "slug": dashboard.slug, "title": dashboard.title, "scope_label": dashboard.scope_label,
        "year": dashboard.year, "figures": figures, "charts": charts, "tables": tables, "notes": dashboard.notes,
    }


def _table_view(table: Table) -> dict:
    columns = [
        {"key": column.key, "label": column.label, "unit": column.unit, "numeric": column.unit in NUMERIC_UNITS}
        for column in table.columns
    ]
    rows = []
    for row in table.rows:
        cells = []
        for column in table.columns:
            value = row.get(column.key)
            numeric = column.unit in NUMERIC_UNITS
            cells.append({
                "text": format_value(value, column.unit) if numeric else ("—" if _missing(value) else str(value)),
                # What the page sorts by: the number itself; empty cells sort last.
                "sort": "" if _missing(value) else (repr(float(value)) if numeric else str(value)),
                "numeric": numeric,
                "label": column.label,
            })
        rows.append(cells)
    return {"title": table.title, "note": table.note, "columns": columns, "rows": rows}


# --- xlsx and csv ----------------------------------------------------------------------------------------


def dashboard_xlsx(dashboard: Dashboard) -> bytes:
    """A workbook: the headline figures on the first sheet, then a sheet per table with a header row. Values
    stay numbers (rates from 0 to 1 formatted as percentages) so that the reader can compute with them."""
    return spreadsheets.spreadsheet_bytes("xlsx", _sheets(dashboard, _excel_cell))


def dashboard_csv(dashboard: Dashboard) -> bytes:
    """UTF-8 with a byte-order mark (so that Excel reads the Chinese): the dashboard's title line, the
    figures, then every table, each under its title row, a blank line between them."""
    return spreadsheets.spreadsheet_bytes("csv", _sheets(dashboard, _csv_value))


def _sheets(dashboard: Dashboard, cell) -> list[spreadsheets.Sheet]:
    """The figures, then the tables, each value written by ``cell(value, unit)``."""
    figures = spreadsheets.Sheet(
        title=_("Headline figures"),
        caption=[[str(dashboard.title), dashboard.scope_label, dashboard.year], []],
        header=[_("Figure"), _("Value"), _("Target"), _("Target met"), _("Note")],
        rows=[
            [str(figure.label), cell(figure.value, figure.unit), cell(figure.target, figure.unit),
             _meets_text(figure), str(figure.note)]
            for figure in dashboard.figures
        ],
        widths=[28, 12, 12, 14, 40],
    )
    tables = [
        spreadsheets.Sheet(
            title=str(table.title),
            header=[str(column.label) for column in table.columns],
            rows=[[cell(row.get(column.key), column.unit) for column in table.columns] for row in table.rows],
            widths=[24 if column.unit == Unit.TEXT else 14 for column in table.columns],
        )
        for table in dashboard.tables
    ]
    return [figures, *tables]


def _excel_cell(value, unit: str):
    """Numbers stay numbers, in the unit's Excel format."""
    value = _excel_value(value, unit)
    number_format = EXCEL_FORMATS.get(unit)
    return spreadsheets.Formatted(value, number_format) if number_format and value is not None else value


def _excel_value(value, unit: str):
    if _missing(value):
        return None
    if unit == Unit.COUNT:
        return int(value)
    if unit in (Unit.RATE, Unit.NUMBER):
        return float(value)
    return str(value)


def _csv_value(value, unit: str):
    """Rates as percentages, as a reader expects them; counts and numbers as numbers, without thousands
    separators that a spreadsheet would read as text."""
    if _missing(value):
        return ""
    if unit == Unit.RATE:
        return format_value(value, unit)
    if unit == Unit.COUNT:
        return int(value)
    if unit == Unit.NUMBER:
        number = float(value)
        return int(number) if number == int(number) else round(number, 2)
    return str(value)


# --- PDF -------------------------------------------------------------------------------------------------


def dashboards_pdf(dashboards: list[Dashboard], *, title: str, scope_label: str, period: str) -> bytes:
    """The PDF report of one or more dashboards (A4, Chinese text embedded): for each, its headline figures
    against their targets, its charts and its tables."""
    html = render_to_string("analytics/dashboard_pdf.html", {
        "title": title,
        "scope_label": scope_label,
        "period": period,
        "generated_at": timezone.localtime(),
        "dashboards": [dashboard_view(dashboard, for_pdf=True) for dashboard in dashboards],
    })
    return html_to_pdf(html)


def dashboard_pdf(dashboard: Dashboard) -> bytes:
    return dashboards_pdf(
        [dashboard], title=str(dashboard.title), scope_label=dashboard.scope_label, period=str(dashboard.year)
    )


def dashboard_file(dashboard: Dashboard, file_format: str) -> bytes:
    """The dashboard as an xlsx, csv or pdf file."""
    writers = {"xlsx": dashboard_xlsx, "csv": dashboard_csv, "pdf": dashboard_pdf}
    return writers[file_format](dashboard)
