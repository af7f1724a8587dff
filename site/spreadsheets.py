"""Every csv and xlsx file the platform writes, and the checks an uploaded one passes before it is parsed.

Writing: an export describes its content as Sheets; ``write_csv`` and ``write_xlsx`` (or ``csv_lines`` for a
streamed response) turn them into a file the same way for every export:

- a text cell that a spreadsheet would run as a formula (it starts with = + - @, a tab or a carriage return)
  is written with an apostrophe in front (``safe_cell``, OWASP's advice against CSV injection), so a name such
  as ``=HYPERLINK(...)`` stays a name;
- in csv, a code or number of 12 digits or more, or one starting with 0, is written as ``="330106001001"``,
  which Excel shows as the text it is rather than as 3.30106E+11 (a spreadsheet has no other way to read a
  csv cell as text); numbers meant as numbers are passed as int or float and stay numbers;
- csv starts with a byte-order mark, so Excel reads the Chinese as UTF-8;
- xlsx has a bold header, the rows below it frozen in view, column widths fitted to the first rows, and is
  written by XlsxWriter in its constant-memory mode (each cell by its type), so 100,000 rows take little
  memory and a few seconds; openpyxl reads uploads.

Reading: an uploaded xlsx is a zip archive; a small one can hold hundreds of megabytes of XML (one huge cell,
or a hundred thousand rows of nothing), and openpyxl reads every shared string when it opens a workbook.
``xlsx_upload_check`` looks at the archive's table of contents and at the sheet's declared size first, and
``rows_capped`` stops reading at the row and cell limits, so a hostile file costs milliseconds. ``cell_text``
reads a cell as the text a person sees in it, by one rule for every upload: a whole number of up to 15 digits
is its digits (a 12-digit village code, an 11-digit mobile number); one of 16 digits or more has lost digits
(a resident ID number typed into a number cell) and reads as Excel shows it, 3.30102E+17.
"""
import csv
import datetime
import decimal
import io
import itertools
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.utils.translation import gettext as _
import xlsxwriter
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# The first characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel shows a number of more than 11 digits in scientific notation and keeps 15 digits of it.
LONGEST_PLAIN_NUMBER = 11
EXACT_DIGITS = 15
# Column widths are fitted to the header and this many first rows; a width is kept between these bounds.
ROWS_MEASURED = 100
WIDTH_BOUNDS = (8, 60)
# Excel's limit on a sheet name.
SHEET_TITLE_LENGTH = 31

# Uploads. A cell longer than this is not a name, a number or a date.
MAX_CELL_CHARS = 1000
# A member of the archive that unpacks to more than this many times its packed size is a zip bomb: real
# workbooks unpack about 13 times (a 100,000-row roster, tests/test_spreadsheets.py); small members are let be.
MAX_UNPACK_RATIO = 100
RATIO_CHECKED_ABOVE = 1024 * 1024


# --- Writing ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Formatted:
    """A number with its Excel number format (such as "0.0%"); csv writes the value alone."""

    value: Any
    number_format: str


@dataclass
class Sheet:
    """One table of an export: a sheet of a workbook, a section of a csv.

    ``caption`` rows stand above the header (a title line); ``title`` names the sheet, and in a csv of several
    sheets heads each section. ``widths`` (characters, per column) are fitted to the content when not given;
    ``number_formats`` maps a column's index to the Excel format of its cells.
    """

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    caption: Sequence[Sequence[Any]] = ()
    widths: Sequence[float] = ()
    number_formats: Mapping[int, str] = field(default_factory=dict)


def safe_cell(value):
    """``value`` as a cell that no spreadsheet runs as a formula: text starting with = + - @, a tab or a
    carriage return gets an apostrophe in front. Numbers, dates and empty cells are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_cell(value) -> str:
    if isinstance(value, Formatted):
        value = value.value
    if value is None:
        return ""
    if isinstance(value, str) and value.isascii() and value.isdigit() and (
        len(value) > LONGEST_PLAIN_NUMBER or (len(value) > 1 and value.startswith("0"))
    ):
        # Only digits, so the formula can hold nothing but the text itself.
        return f'="{value}"'
    return str(safe_cell(value) if isinstance(value, str) else value)


class _Line:
    """A file-like object whose write returns the line, so csv.writer can produce lines one at a time."""

    def write(self, text: str) -> str:
        return text


def csv_lines(sheets: Sequence[Sheet]) -> Iterator[str]:
    """The csv as lines of text (for a streamed response): the byte-order mark, then each sheet's caption,
    its title if there are several sheets, header and rows; a blank line between sheets."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield "\ufeff"
    for index, sheet in enumerate(sheets):
        if index:
            yield writer.writerow([])
        for row in sheet.caption:
            yield writer.writerow([_csv_cell(value) for value in row])
        if len(sheets) > 1:
            yield writer.writerow([_csv_cell(sheet.title)])
        yield writer.writerow([_csv_cell(value) for value in sheet.header])
        for row in sheet.rows:
            yield writer.writerow([_csv_cell(value) for value in row])


def write_csv(output: BinaryIO, sheets: Sequence[Sheet]) -> None:
    """Write the csv (UTF-8) to the binary file ``output``."""
    for line in csv_lines(sheets):
        output.write(line.encode("utf-8"))


def write_xlsx(output: BinaryIO, sheets: Sequence[Sheet]) -> None:
    """Write a workbook of one sheet per Sheet to the binary file ``output``."""
    # constant_memory: each row goes to a temporary file as it is written, so 100,000 rows take little memory.
    # Every cell is written by its type (_write_cell), never guessed from text: no formula, link or number
    # is made of a string.
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True})
    styles = _Styles(workbook)
    used_titles: set[str] = set()
    for sheet in sheets:
        _write_sheet(workbook, styles, sheet, used_titles)
    workbook.close()


def spreadsheet_bytes(file_format: str, sheets: Sequence[Sheet]) -> bytes:
    """The sheets as a "csv" or "xlsx" file in memory (for files of a few thousand rows at most)."""
    output = io.BytesIO()
    {"csv": write_csv, "xlsx": write_xlsx}[file_format](output, sheets)
    return output.getvalue()


class _Styles:
    """The workbook's cell formats, each made once (XlsxWriter keeps one record per format object)."""

    def __init__(self, workbook: xlsxwriter.Workbook):
        self._workbook = workbook
        self._made: dict[tuple, Any] = {}

    def get(self, *, bold: bool = False, size: int | None = None, number_format: str | None = None):
        key = (bold, size, number_format)
        if key not in self._made:
            properties = {"bold": bold} if bold else {}
            if size:
                properties["font_size"] = size
            if number_format:
                properties["num_format"] = number_format
            self._made[key] = self._workbook.add_format(properties) if properties else None
        return self._made[key]


def _write_sheet(workbook: xlsxwriter.Workbook, styles: _Styles, sheet: Sheet, used_titles: set[str]) -> None:
    title = sheet_title(sheet.title, used_titles)
    used_titles.add(title)
    worksheet = workbook.add_worksheet(title)
    rows = iter(sheet.rows)
    # Widths are fitted to the first rows: measure them ahead.
    first_rows = list(itertools.islice(rows, ROWS_MEASURED))
    widths = sheet.widths or _fitted_widths([sheet.header, *first_rows])
    for index, width in enumerate(widths):
        worksheet.set_column(index, index, width)
    header_row = len(sheet.caption)
    worksheet.freeze_panes(header_row + 1, 0)
    for number, row in enumerate(sheet.caption):
        style = styles.get(bold=True, size=13) if number == 0 else None
        for column, value in enumerate(row):
            _write_cell(worksheet, styles, number, column, value, style)
    bold = styles.get(bold=True)
    for column, value in enumerate(sheet.header):
        _write_cell(worksheet, styles, header_row, column, value, bold)
    column_styles = {index: styles.get(number_format=format) for index, format in sheet.number_formats.items()}
    for number, row in enumerate(itertools.chain(first_rows, rows), start=header_row + 1):
        for column, value in enumerate(row):
            _write_cell(worksheet, styles, number, column, value, column_styles.get(column))


# Formats of dates and times without one of their own, as openpyxl wrote them before.
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd h:mm:ss"


def _write_cell(worksheet, styles: _Styles, row: int, column: int, value, style) -> None:
    if isinstance(value, Formatted):
        value, style = value.value, styles.get(number_format=value.number_format)
    if value is None or value == "":  # an empty cell, as in csv
        if style is not None:
            worksheet.write_blank(row, column, None, style)
    elif isinstance(value, bool):
        worksheet.write_boolean(row, column, value, style)
    elif isinstance(value, (int, float, decimal.Decimal)):
        worksheet.write_number(row, column, value, style)
    elif isinstance(value, datetime.datetime):
        worksheet.write_datetime(row, column, value, style or styles.get(number_format=DATETIME_FORMAT))
    elif isinstance(value, datetime.date):
        worksheet.write_datetime(row, column, value, style or styles.get(number_format=DATE_FORMAT))
    else:
        # Control characters are not allowed in a workbook's XML; a formula's first character gets an apostrophe.
        worksheet.write_string(row, column, safe_cell(ILLEGAL_CHARACTERS_RE.sub("", str(value))), style)


def _display_width(value) -> int:
    """Characters as a spreadsheet shows them: a Chinese character is about two Latin ones wide."""
    if isinstance(value, Formatted):
        value = value.value
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _fitted_widths(rows: list[Sequence]) -> list[float]:
    columns = max((len(row) for row in rows), default=0)
    low, high = WIDTH_BOUNDS
    return [
        min(high, max(low, 2 + max((_display_width(row[index]) for row in rows if index < len(row)), default=0)))
        for index in range(columns)
    ]


def sheet_title(title: str, used: set[str]) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    cleaned = "".join(" " if char in '[]:*?/\\' else char for char in str(title)).strip() or _("Table")
    candidate, number = cleaned[:SHEET_TITLE_LENGTH], 2
    while candidate in used:
        suffix = f" ({number})"
        candidate, number = cleaned[: SHEET_TITLE_LENGTH - len(suffix)] + suffix, number + 1
    return candidate


# --- Reading uploads -------------------------------------------------------------------------------------


class SpreadsheetRefused(Exception):
    """An uploaded spreadsheet too large to read; ``message`` tells the uploader what is wrong."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def xlsx_upload_check(file: BinaryIO, *, max_rows: int, max_unpacked_bytes: int) -> None:
    """Refuse a workbook before it is parsed: one whose archive unpacks to more than ``max_unpacked_bytes``
    or whose parts unpack far more than real workbooks do, and one whose first sheet declares more than
    ``max_rows`` rows below a heading row. A file that is not a workbook at all is left to the reader,
    which names that problem. ``file`` is read from the start and left at the start."""
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        file.seek(0)
        return
    unpacked = sum(member.file_size for member in members)
    bombs = [
        member for member in members
        if member.file_size > RATIO_CHECKED_ABOVE and member.file_size > MAX_UNPACK_RATIO * max(member.compress_size, 1)
    ]
    if unpacked > max_unpacked_bytes or bombs:
        file.seek(0)
        raise SpreadsheetRefused(_(
            "The workbook unpacks to %(size)s MB of data, far more than its rows can hold (at most %(max)s MB). "
            "Copy the rows into a new workbook and upload that."
        ) % {"size": unpacked // (1024 * 1024), "max": max_unpacked_bytes // (1024 * 1024)})
    file.seek(0)
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # not a workbook after all: the reader says so in its own words
        file.seek(0)
        return
    try:
        declared = workbook.worksheets[0].max_row if workbook.worksheets else None
    finally:
        workbook.close()
        file.seek(0)
    if declared is not None and declared > max_rows + 1:
        raise SpreadsheetRefused(too_many_rows_message(max_rows))


def too_many_rows_message(max_rows: int) -> str:
    return _("The file has more than %(count)s rows. Split it into several files.") % {"count": max_rows}


def rows_capped(rows: Iterable[Sequence], *, max_rows: int, max_cell_chars: int = MAX_CELL_CHARS) -> Iterator[Sequence]:
    """``rows`` as they are read, refused (SpreadsheetRefused) past ``max_rows`` rows below a heading row or at
    the first text cell longer than ``max_cell_chars``, whatever the file declares about itself."""
    for number, row in enumerate(rows, start=1):
        if number > max_rows + 1:
            raise SpreadsheetRefused(too_many_rows_message(max_rows))
        for value in row:
            if isinstance(value, str) and len(value) > max_cell_chars:
                raise SpreadsheetRefused(cell_too_long_message(row=number, max_chars=max_cell_chars))
        yield row


def cell_text(value) -> str:
    """An xlsx cell's value as text. Empty and error cells are "", dates YYYY-MM-DD. A whole number of at
    most EXACT_DIGITS digits is exact, so it reads as its digits; a longer one cannot be: it is a resident ID
    number whose last digits the spreadsheet already dropped, and reads as Excel shows it (3.30102E+17) so
    that the check names the problem. Text is left as it is."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        if value != value:  # an error cell such as #VALUE!
            return ""
        if not value.is_integer():
            return repr(value)
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**EXACT_DIGITS:
        return f"{value:.5E}"
    return str(value)


def cell_too_long_message(*, row: int, max_chars: int) -> str:
    return _("Row %(row)s has a cell of more than %(count)s characters; no column of this file needs as many.") % {
        "row": row, "count": max_chars,
    }
