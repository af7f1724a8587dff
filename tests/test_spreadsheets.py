"""academy.spreadsheets: the one writer of every csv and xlsx file (formulas neutralised, codes kept as text,
a bold frozen header and fitted widths) and the size checks an uploaded workbook passes before it is parsed.
Every export's own test (analytics, people, dashboards) checks the same through its page."""
import csv
import datetime
import decimal
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook, load_workbook

from academy import spreadsheets
from academy.organisation import roster
from academy.spreadsheets import Formatted, Sheet, SpreadsheetRefused, safe_cell
from courses import sessions

from .hostile import xlsx_with_a_huge_cell, xlsx_with_rows

@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English, whatever the catalogues hold."""
    with translation.override("en"):
        yield


HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_that_would_run_as_a_formula_is_quoted(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["张三", "a=b", "", None, -5, 3.5, "2024-01-01"])
def test_other_cells_are_left_alone(value):
    assert safe_cell(value) == value


def sample(rows) -> list[Sheet]:
    return [Sheet(title="名单", header=["姓名", "村（社区）代码", "人数"], rows=rows)]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_keeps_codes_as_text_and_numbers_as_numbers():
    rows = read_csv(spreadsheets.spreadsheet_bytes("csv", sample([
        ["张三", "330102001201", 12], ["李四", "330102", 3.5], ["王五", "0571", None],
    ])))
    assert rows[1] == ["张三", '="330102001201"', "12"]  # Excel shows the text, not 3.30102E+11
    assert rows[2] == ["李四", "330102", "3.5"]
    assert rows[3] == ["王五", '="0571"', ""]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_no_cell_of_either_format_runs_as_a_formula(file_format):
    data = spreadsheets.spreadsheet_bytes(file_format, sample([[value, value, 1] for value in HOSTILE]))
    if file_format == "csv":
        cells = [cell for row in read_csv(data) for cell in row]
    else:
        sheet = load_workbook(io.BytesIO(data)).active
        cells = [cell.value for row in sheet.iter_rows() for cell in row]
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    texts = [cell for cell in cells if isinstance(cell, str)]
    assert not [text for text in texts if text.startswith(spreadsheets.FORMULA_STARTS)]
    assert texts.count("'" + HOSTILE[0]) == 2


def test_xlsx_has_a_bold_frozen_header_fitted_widths_and_number_formats():
    sheets = [Sheet(
        title="覆盖率", caption=[["标题", "杭州市"], []], header=["地区", "比例"],
        rows=[["上城区", Formatted(0.5, "0.0%")], ["拱墅区非常长的名字" * 3, 0.25]], number_formats={1: "0.0%"},
    )]
    sheet = load_workbook(io.BytesIO(spreadsheets.spreadsheet_bytes("xlsx", sheets))).active
    assert sheet.title == "覆盖率"
    assert sheet["A1"].value == "标题" and sheet["A1"].font.b
    assert [cell.value for cell in sheet[3]] == ["地区", "比例"] and sheet["A3"].font.b and sheet["B3"].font.b
    assert sheet.freeze_panes == "A4"
    assert sheet["B4"].number_format == "0.0%" and sheet["B5"].number_format == "0.0%"
    assert sheet.column_dimensions["A"].width > sheet.column_dimensions["B"].width >= spreadsheets.WIDTH_BOUNDS[0]


def test_xlsx_cells_keep_their_types_and_no_text_becomes_a_link_or_number():
    day, moment = datetime.date(2026, 3, 1), datetime.datetime(2026, 3, 1, 9, 30)
    rows = [["https://example.org/x", "330102198001011234", day], ["1.5", moment, True], [None, decimal.Decimal("2.5"), 7]]
    sheet = load_workbook(io.BytesIO(spreadsheets.spreadsheet_bytes("xlsx", sample(rows)))).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)] == [
        ["https://example.org/x", "330102198001011234", datetime.datetime(2026, 3, 1)],
        ["1.5", moment, True],
        [None, 2.5, 7],
    ]
    assert sheet["C2"].number_format == "yyyy-mm-dd" and sheet["B3"].number_format == "yyyy-mm-dd h:mm:ss"
    assert sheet["A2"].hyperlink is None


def test_control_characters_do_not_break_a_workbook():
    data = spreadsheets.spreadsheet_bytes("xlsx", sample([["张\x01三", "1", 1]]))
    assert load_workbook(io.BytesIO(data)).active["A2"].value == "张三"


# --- Uploads -------------------------------------------------------------------------------------------


def test_a_workbook_that_unpacks_to_hundreds_of_megabytes_is_refused_before_parsing():
    data = xlsx_with_a_huge_cell()
    assert len(data) < 2 * 1024 * 1024
    started = time.monotonic()
    with pytest.raises(SpreadsheetRefused, match="unpacks to"):
        spreadsheets.xlsx_upload_check(io.BytesIO(data), max_rows=100_000, max_unpacked_bytes=500 * 1024 * 1024)
    assert time.monotonic() - started < 1


def test_a_workbook_declaring_too_many_rows_is_refused_before_reading_them():
    data = xlsx_with_rows(110_000, header=["name"])
    started = time.monotonic()
    with pytest.raises(SpreadsheetRefused, match="more than 100000 rows"):
        spreadsheets.xlsx_upload_check(io.BytesIO(data), max_rows=100_000, max_unpacked_bytes=100 * 1024 * 1024)
    assert time.monotonic() - started < 1


def test_an_ordinary_workbook_passes_and_is_left_at_its_start():
    file = io.BytesIO(xlsx_with_rows(50, header=["name"]))
    spreadsheets.xlsx_upload_check(file, max_rows=50, max_unpacked_bytes=1024 * 1024)
    assert file.tell() == 0 and load_workbook(file, read_only=True).active.max_row == 51


def test_rows_are_read_up_to_the_limit_whatever_the_file_declares():
    rows = [["heading"]] + [["x"]] * 10
    assert len(list(spreadsheets.rows_capped(rows, max_rows=10))) == 11
    with pytest.raises(SpreadsheetRefused, match="more than 9 rows"):
        list(spreadsheets.rows_capped(rows, max_rows=9))
    with pytest.raises(SpreadsheetRefused, match="Row 2 has a cell of more than 1000 characters"):
        list(spreadsheets.rows_capped([["a"], ["b" * 1001]], max_rows=10))


# Whole numbers in number cells, and the text every upload reads them as.
NUMBER_CELLS = [
    # An 18-digit resident ID number typed into a number cell: Excel kept 15 digits of it.
    (float("330102198503041234"[:15] + "000"), "3.30102E+17"),
    (330102001201, "330102001201"),  # a 12-digit village code: exact, so its digits
    (13900000002, "13900000002"),  # a mobile number
    (12, "12"),
]


@pytest.mark.parametrize("value, text", NUMBER_CELLS + [
    (None, ""), (float("nan"), ""), (1.5, "1.5"), (12.0, "12"), (True, "True"), (" 张三 ", " 张三 "),
    (datetime.date(2024, 3, 1), "2024-03-01"), (datetime.datetime(2024, 3, 1, 9, 30), "2024-03-01"),
])
def test_a_cell_reads_as_the_text_a_person_sees_in_it(value, text):
    assert spreadsheets.cell_text(value) == text


def _workbook(header, rows) -> bytes:
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def test_the_roster_and_the_enrolment_list_read_number_cells_by_the_one_rule():
    values = [value for value, _text in NUMBER_CELLS]
    texts = [text for _value, text in NUMBER_CELLS]
    headings = [column.heading for column in roster.COLUMNS]
    region_code = headings.index(roster.COLUMN_BY_FIELD["region_code"].heading)
    roster_rows, _headings = roster.read_roster(
        _workbook(headings, [[None] * region_code + [value] for value in values]), name="名册.xlsx"
    )
    assert [cells["region_code"] for _number, cells in roster_rows] == texts

    enrolment_rows = sessions._first_column(
        SimpleUploadedFile("list.xlsx", _workbook(["身份证号码"], [[value] for value in values]))
    )
    assert [text for _number, text in enrolment_rows[1:]] == texts
