"""The roster import: administrators upload a spreadsheet (xlsx or csv) of people and their posts.

An import goes through three steps, each run by a thin Celery task (tasks.py), which receivers.py queues
when a step announces the import ready for the next (academy.jobs):

1. ``roster_import_create``: the upload is kept as a RosterImport and announced ready for its check.
2. ``roster_import_validate``: every row is checked, on its own, against the other rows and against the
   database, and every bad row is listed (row, column, message in the uploader's language). Nothing is
   written but the RosterImport: its progress, its errors, and a preview of what applying would change.
3. ``roster_import_apply``, once the administrator confirms: the same checks again (the database may have
   changed since the preview), then every write in one transaction, so a file is applied whole or not at
   all. A worker lost while checking or applying leaves nothing written; the sweep (academy.jobs) marks the
   import failed and deletes its file, and ``roster_import_retry`` starts it again with the file uploaded anew. A person is matched by resident ID number, so importing again updates instead of duplicating; a
   row repeating a post (same person, post, place and start date) updates its end date; posts are closed
   by their end date, never deleted. Applying twice changes nothing the second time.

What could undo a change made on the roster since the file was written is listed row by row in the preview
(RosterPlan.changes) instead of being counted among the rest: a row with an empty end date for a post that
has one reopens it only if the administrator chooses so when confirming; a row giving someone a post of a
kind they hold open elsewhere moves them (the old post ends the day before the new one starts); a new name.
Applying computes the list again and applies only if it is the one the administrator saw.

Progress: validation writes ``done`` (rows checked) after every CHUNK_ROWS rows, each a short write committed at
once, so the page polling the status sees the bar move. Applying checks again and writes inside one
transaction, so it reports no progress: a progress write inside the transaction would stay invisible until
the commit, and on SQLite a write through a second connection would wait for that transaction's lock. The
page shows a moving bar without a percentage while applying (seconds for 25,000 rows, see
bench/roster_import.py).
"""
import csv
import datetime
import io
import itertools
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _, ngettext, pgettext
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from academy import spreadsheets
from academy.accounts import phone
from academy.accounts.models import User
from academy.accounts.services import account_for_person
from academy.audit.models import AuditAction
from academy.audit.services import audit_record
from academy.jobs import job_announce, job_files_delete_on_commit, job_progress, job_retry, job_start

from . import resident_id
from .models import (
    INSTITUTION_POSTS,
    Institution,
    Person,
    Post,
    PostKind,
    ProfessionalCategory,
    Region,
    RosterImport,
    Sex,
)
from .rules import post_place_error
from .scope import PersonChangeRefused, Scope, scope_for
from .signals import people_renamed, roster_applied
from academy.accounts.services import accounts_for_people

logger = logging.getLogger(__name__)

# Rows checked between two progress writes, and looked up in the database with one query per table.
CHUNK_ROWS = 500
# Rows per INSERT or UPDATE statement when applying.
BATCH_SIZE = 1000
MAX_ROWS = 100_000
MAX_FILE_BYTES = 20 * 1024 * 1024
# What a workbook of MAX_ROWS rows may unpack to: 100,000 rows of the template's columns unpack to about 60 MB.
MAX_UNPACKED_BYTES = 150 * 1024 * 1024
FILE_TYPES = (".xlsx", ".csv")
# The row of the first person: the spreadsheet's row 1 holds the column headings.
FIRST_DATA_ROW = 2
# The template's example row carries this number (the example of the national standard GB 11643); a file
# still holding it is rejected, so the example never becomes a person.
EXAMPLE_ID_NUMBER = "11010519491231002X"
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)
# One separator throughout (2024-03-01, 2024/3/1, 2024.3.1), or 2024年3月1日; the first three may carry the
# time of day Excel writes after a date cell saved as csv (2024/3/1 0:00).
_DATE = re.compile(
    r"^(?:(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?|(\d{4})年(\d{1,2})月(\d{1,2})日)$"
)


@dataclass(frozen=True)
class Column:
    field: str
    chinese: str

    @property
    def heading(self) -> str:
        """As the template writes it: Chinese, with the English name in parentheses. The headings are
        part of the file format, the same in every language, so they are not translated."""
        return f"{self.chinese}({self.field})"


COLUMNS = (
    Column("name", "姓名"),
    Column("sex", "性别"),
    Column("id_number", "身份证号码"),
    Column("mobile", "手机号码"),
    Column("professional_category", "专业类别"),
    Column("post", "岗位"),
    Column("region_code", "区划代码"),
    Column("institution_code", "机构代码"),
    Column("start_date", "任职开始日期"),
    Column("end_date", "任职结束日期"),
)
COLUMN_BY_FIELD = {column.field: column for column in COLUMNS}
# Filled in on every row; the region or institution code is required by the post (see _place_column).
REQUIRED_FIELDS = ("name", "sex", "id_number", "mobile", "professional_category", "post", "start_date")
OPTIONAL_FIELDS = ("region_code", "institution_code", "end_date")

# Values accepted in the columns with a fixed list, in Chinese as the template shows them or as the
# platform's English value. Matched after lower-casing.
SEX_VALUES = {"男": Sex.MALE, "女": Sex.FEMALE}
CATEGORY_VALUES = {
    "教师": ProfessionalCategory.TEACHER,
    "医生": ProfessionalCategory.DOCTOR,
    "护士": ProfessionalCategory.NURSE,
    "社工": ProfessionalCategory.SOCIAL_WORKER,
    "心理咨询师": ProfessionalCategory.COUNSELLOR,
    "康复师": ProfessionalCategory.THERAPIST,
    "无": ProfessionalCategory.NONE,
}
POST_VALUES = {
    "机构负责人": PostKind.INSTITUTION_HEAD,
    "儿童督导员": PostKind.CHILD_SUPERVISOR,
    "儿童主任": PostKind.CHILD_DIRECTOR,
    "孤残儿童护理员": PostKind.CARER,
    "其他机构工作人员": PostKind.INSTITUTION_STAFF,
}


def _accepted(chinese_values: dict) -> dict:
    return {**chinese_values, **{str(value): value for value in set(chinese_values.values())}}


ACCEPTED_SEX = _accepted(SEX_VALUES)
ACCEPTED_CATEGORY = _accepted(CATEGORY_VALUES)
ACCEPTED_POST = _accepted(POST_VALUES)
# Headings as people write them: 姓名(name), 姓名（name）, 姓名 or name.
ACCEPTED_HEADINGS = {
    key: column.field
    for column in COLUMNS
    for key in (column.heading.lower(), column.chinese, column.field)
}


class RosterFileError(ValueError):
    """The file as a whole cannot be used: wrong type, unreadable, missing columns, no rows."""


@dataclass(slots=True)
class RosterRow:
    """One row, its values in the platform's terms; a value that was wrong is None (or "")."""

    number: int
    name: str
    sex: str
    id_number: str
    digest: str
    mobile: str
    professional_category: str
    kind: str
    region_code: str
    institution_code: str
    start_date: datetime.date
    end_date: datetime.date | None

    @property
    def place_code(self) -> str:
        return self.institution_code if self.kind in INSTITUTION_POSTS else self.region_code


class RowErrors:
    """The bad rows found so far, as stored in RosterImport.errors: {row, column, message}."""

    def __init__(self, headings: dict[str, str] | None = None):
        # The headings as the file writes them, so that a message names the column the user sees.
        self.headings = headings or {}
        self.items: list[dict] = []
        self.bad_rows: set[int] = set()

    def add(self, row: int | None, field_name: str | None, message) -> None:
        heading = self.headings.get(field_name) or (COLUMN_BY_FIELD[field_name].heading if field_name else "")
        # A value quoted in a message may be an ID number in the wrong column: the report never shows one in full.
        message = resident_id.mask_in_text(str(message))
        self.items.append({"row": row, "column": heading, "field": field_name or "", "message": message})
        if row is not None:
            self.bad_rows.add(row)

    def __bool__(self) -> bool:
        return bool(self.items)

    def sorted(self) -> list[dict]:
        order = {column.field: position for position, column in enumerate(COLUMNS)}
        return sorted(self.items, key=lambda item: (item["row"] or 0, order.get(item["field"], -1)))


# Reading the file -------------------------------------------------------------------------------------


def upload_error(*, name: str, size: int) -> str | None:
    """Why an uploaded file cannot be a roster, judged by its name and size; None when it may be."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        return _("This is an old Excel file (.xls). Save it as an Excel workbook (.xlsx) and upload it again.")
    if suffix not in FILE_TYPES:
        return _("Upload the roster as an Excel workbook (.xlsx) or a CSV file (.csv).")
    if size == 0:
        return _("The file is empty.")
    if size > MAX_FILE_BYTES:
        return _("The file is larger than %(size)s MB; split it into several files.") % {
            "size": MAX_FILE_BYTES // (1024 * 1024)
        }
    return None


def read_roster(data: bytes, *, name: str) -> tuple[list[tuple[int, dict[str, str]]], dict[str, str]]:
    """The non-blank rows of a roster file as (row number, {field: text}), and the headings the file
    uses. Every cell is read as text: a resident ID number must never pass through a number."""
    error = upload_error(name=name, size=len(data))
    if error:
        raise RosterFileError(error)
    if Path(name).suffix.lower() == ".xlsx":
        frame = _read_xlsx(data)
    else:
        frame = _read_csv(data)
    positions, headings = _map_headings([str(heading) for heading in frame.columns])
    if len(frame) > MAX_ROWS:
        raise RosterFileError(spreadsheets.too_many_rows_message(MAX_ROWS))
    rows = []
    for index, values in enumerate(frame.itertuples(index=False, name=None)):
        cells = {field_name: _clean(values[position]) for field_name, position in positions.items()}
        if any(len(text) > spreadsheets.MAX_CELL_CHARS for text in cells.values()):
            raise RosterFileError(
                spreadsheets.cell_too_long_message(row=index + FIRST_DATA_ROW, max_chars=spreadsheets.MAX_CELL_CHARS)
            )
        if any(cells.values()):
            rows.append((index + FIRST_DATA_ROW, cells))
    if not rows:
        raise RosterFileError(_("The file has no rows below its column headings."))
    return rows, headings


def _read_xlsx(data: bytes) -> pd.DataFrame:
    if not data.startswith(b"PK"):
        raise RosterFileError(
            _("The file is not an Excel workbook (.xlsx). Save it from Excel or WPS and upload it again.")
        )
    try:
        # Sizes first: the archive's table of contents and the sheet's declared rows, before any parsing.
        spreadsheets.xlsx_upload_check(
            io.BytesIO(data), max_rows=MAX_ROWS, max_unpacked_bytes=MAX_UNPACKED_BYTES
        )
    except spreadsheets.SpreadsheetRefused as refused:
        raise RosterFileError(refused.message) from refused
    try:
        with pd.ExcelFile(io.BytesIO(data), engine="openpyxl") as book:
            # A converter per column reads each cell as the text a person sees in it (spreadsheets.cell_text);
            # dtype=str would pass numbers through floating point first. The converters are given by
            # position, so the headings are read from the workbook's first row without parsing the sheet.
            first_row = next(book.book.worksheets[0].iter_rows(max_row=1, values_only=True), ())
            # Empty cells at the end of the first row (formatted but blank) are not columns to pandas.
            width = max((position + 1 for position, value in enumerate(first_row) if value is not None), default=0)
            # One row more than allowed is enough to refuse the file, whatever its dimension claimed.
            return pd.read_excel(
                book, sheet_name=0, header=0, nrows=MAX_ROWS + 1,
                converters={position: spreadsheets.cell_text for position in range(width)},
            )
    except RosterFileError:
        raise
    except Exception as error:  # openpyxl and zipfile raise many kinds of error for a damaged file
        logger.info("Unreadable roster workbook: %r", error)
        raise RosterFileError(
            _(
                "The file could not be read as an Excel workbook (.xlsx). Save it again from Excel or WPS and "
                "upload it again."
            )
        ) from error


def _read_csv(data: bytes) -> pd.DataFrame:
    text = _decode(data)
    _check_row_widths(text)
    try:
        # skip_blank_lines=False keeps row numbers as the spreadsheet shows them.
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False, nrows=MAX_ROWS + 1
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        logger.info("Unreadable roster CSV: %r", error)
        raise RosterFileError(
            _("The file could not be read as CSV. Save it again as “CSV UTF-8” and upload it again.")
        ) from error
    # The platform's own csv files (the template) write codes as ="330102001201" so that Excel keeps them as text.
    return frame.replace(r'^="(\d+)"$', r"\1", regex=True)


def _check_row_widths(text: str) -> None:
    """Refuse a csv whose rows have more cells than its headings, before anything else is said about it.
    pandas would read the first cell of each such row as a row label and shift every column left, so each
    row's checks would quote values (resident ID numbers among them) from the wrong columns."""
    lines = csv.reader(io.StringIO(text))
    try:
        width = len(next(lines, []))
        longer, data_rows = [], 0
        for number, cells in enumerate(itertools.islice(lines, MAX_ROWS + 1), start=FIRST_DATA_ROW):
            if any(cell.strip() for cell in cells):
                data_rows += 1
            if len(cells) > width:
                longer.append((number, len(cells) - width))
    except csv.Error:
        return  # the csv reader of pandas names an unreadable file in its own words
    if not longer:
        return
    first_row, extra = longer[0]
    if len(longer) >= data_rows and all(count == extra for _, count in longer):
        raise RosterFileError(
            ngettext(
                "Each row has %(count)s more column than the headings: is there an extra comma at the end of the lines?",
                "Each row has %(count)s more columns than the headings: are there extra commas at the end of the lines?",
                extra,
            ) % {"count": extra}
        )
    raise RosterFileError(
        ngettext(
            "Row %(row)s has %(count)s more column than the headings: does a cell hold a comma without quotes "
            "around it?",
            "Row %(row)s has %(count)s more columns than the headings: does a cell hold a comma without quotes "
            "around it?",
            extra,
        ) % {"row": first_row, "count": extra}
    )


def _decode(data: bytes) -> str:
    """UTF-8 (with or without the byte-order mark Excel writes) or GBK, the encoding of CSV files saved
    by Chinese Excel and WPS. GB 18030 decodes every GBK file."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError(
        _("The file is neither UTF-8 nor GBK text. Save it again as “CSV UTF-8” and upload it again.")
    )


def _map_headings(headings: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    """Each field's column position and heading. Columns the roster does not know are ignored."""
    positions: dict[str, int] = {}
    found: dict[str, str] = {}
    for position, heading in enumerate(headings):
        key = re.sub(r"\s+", "", heading).replace("（", "(").replace("）", ")").lower()
        field_name = ACCEPTED_HEADINGS.get(key)
        if field_name and field_name not in found:
            positions[field_name], found[field_name] = position, heading
    missing = [column.heading for column in COLUMNS if column.field not in found]
    if missing:
        raise RosterFileError(
            _("Missing columns: %(columns)s. The first row must hold the column headings; start from the template.")
            % {"columns": ", ".join(missing)}
        )
    return positions, found


def _clean(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).replace("\u00a0", " ").strip()


# Checking rows ----------------------------------------------------------------------------------------


def parse_date(text: str) -> datetime.date | None:
    """YYYY-MM-DD, YYYY/M/D (as Chinese Excel writes dates in CSV), YYYY.MM.DD or YYYY年M月D日. A workbook's
    date cells arrive in the first form (spreadsheets.cell_text). A bare number is not a date: 2024 is a year
    or a typing slip, and reading it as Excel's day 2024 stored 1905-07-16 (issue 12)."""
    match = _DATE.match(text)
    if not match:
        return None
    year, _separator, month, day_of_month, *chinese = match.groups()
    if year is None:
        year, month, day_of_month = chinese
    try:
        day = datetime.date(int(year), int(month), int(day_of_month))
    except ValueError:
        return None
    return day if EARLIEST_DATE <= day <= LATEST_DATE else None


def _choice_list(values: dict) -> str:
    return "、".join(f"{chinese}({value})" for chinese, value in values.items())


def parse_row(number: int, cells: dict[str, str], errors: RowErrors) -> RosterRow:
    """The row in the platform's terms. What is wrong with it goes to ``errors``, and its bad values are
    None; the row is still returned, so that its region and institution codes are checked too."""
    for field_name in REQUIRED_FIELDS:
        if not cells[field_name]:
            errors.add(number, field_name, _("This column must be filled in."))

    name = cells["name"]
    if len(name) > 50:
        errors.add(number, "name", _("A name has at most 50 characters."))

    sex = ACCEPTED_SEX.get(cells["sex"].lower())
    if cells["sex"] and sex is None:
        errors.add(number, "sex", _("Write 男 or 女 (male or female), not %(value)s.") % {"value": cells["sex"]})

    id_number = resident_id.normalise(cells["id_number"])
    if id_number:
        id_error = resident_id.validation_error(id_number)
        if id_error:
            errors.add(number, "id_number", id_error)
        elif id_number == EXAMPLE_ID_NUMBER:
            errors.add(number, "id_number", _("This is the template's example row; delete it."))

    mobile = phone.normalise(cells["mobile"])
    if mobile:
        try:
            phone.validate(mobile)
        except ValidationError as error:
            errors.add(number, "mobile", error.messages[0])

    category = ACCEPTED_CATEGORY.get(cells["professional_category"].lower())
    if cells["professional_category"] and category is None:
        errors.add(
            number, "professional_category",
            _("Unknown professional category %(value)s; write one of %(choices)s.")
            % {"value": cells["professional_category"], "choices": _choice_list(CATEGORY_VALUES)},
        )

    kind = ACCEPTED_POST.get(cells["post"].lower())
    if cells["post"] and kind is None:
        errors.add(
            number, "post",
            _("Unknown post %(value)s; write one of %(choices)s.")
            % {"value": cells["post"], "choices": _choice_list(POST_VALUES)},
        )

    dates = {}
    for field_name in ("start_date", "end_date"):
        dates[field_name] = parse_date(cells[field_name]) if cells[field_name] else None
        if cells[field_name] and dates[field_name] is None:
            if cells[field_name].isdigit():
                message = _(
                    "%(value)s is a number, not a date; write it as 2024-03-01, 2024/3/1 or 2024年3月1日, "
                    "or format the Excel cell as a date."
                )
            else:
                message = _("%(value)s is not a date; write it as 2024-03-01 or 2024/3/1.")
            errors.add(number, field_name, message % {"value": cells[field_name]})
    if dates["start_date"] and dates["end_date"] and dates["end_date"] < dates["start_date"]:
        errors.add(number, "end_date", _("The end date is before the start date."))

    return RosterRow(
        number=number, name=name, sex=sex, id_number=id_number,
        digest=resident_id.digest(id_number) if number not in errors.bad_rows else "",
        mobile=mobile, professional_category=category, kind=kind, region_code=cells["region_code"],
        institution_code=cells["institution_code"], start_date=dates["start_date"], end_date=dates["end_date"],
    )


def _overlap(first_start, first_end, second_start, second_end) -> bool:
    return first_start <= (second_end or LATEST_DATE) and second_start <= (first_end or LATEST_DATE)


def check_file_duplicates(rows: list[RosterRow], errors: RowErrors) -> None:
    """What only the whole file shows: one person written two ways, one mobile for two people, one post
    given twice for overlapping periods. The later row is reported, naming the earlier one."""
    first_by_person: dict[str, RosterRow] = {}
    person_by_mobile: dict[str, RosterRow] = {}
    posts: dict[tuple, list[RosterRow]] = {}
    for row in rows:
        if row.number in errors.bad_rows:
            continue
        first = first_by_person.setdefault(row.digest, row)
        for field_name in ("name", "sex", "mobile", "professional_category"):
            if getattr(row, field_name) != getattr(first, field_name):
                errors.add(
                    row.number, field_name,
                    _("Row %(row)s has the same resident ID number with a different value in this column.")
                    % {"row": first.number},
                )
        holder = person_by_mobile.setdefault(row.mobile, row)
        if holder.digest != row.digest:
            errors.add(
                row.number, "mobile",
                _("Row %(row)s gives this mobile number to another person.") % {"row": holder.number},
            )
        same_post = posts.setdefault((row.digest, row.kind, row.place_code), [])
        for earlier in same_post:
            if _overlap(earlier.start_date, earlier.end_date, row.start_date, row.end_date):
                errors.add(
                    row.number, "post",
                    _("Row %(row)s already gives this person this post here for an overlapping period.")
                    % {"row": earlier.number},
                )
                break
        same_post.append(row)


# Comparing with the database --------------------------------------------------------------------------


@dataclass
class RosterPlan:
    """What applying the file would change. Built by checking the rows against the database.

    ``changes`` lists, row by row, what could undo a change made on the roster since the file was written, so
    that the preview says so (issue 12): a closed post the file would reopen, a person it moves to another
    place, a name it changes. Applying checks again and applies only if the list is still the one the
    administrator saw."""

    new_people: dict[str, RosterRow] = field(default_factory=dict)  # digest -> first row of the person
    changed_people: dict[int, Person] = field(default_factory=dict)
    # Existing people without a trainee account, or whose mobile number (their sign-in name) changes.
    people_needing_accounts: dict[int, Person] = field(default_factory=dict)
    # Unsaved posts; a new person's is given its person when applying.
    new_posts: list[tuple[RosterRow, Post]] = field(default_factory=list)
    changed_posts: list[Post] = field(default_factory=list)
    posts_closed: int = 0
    posts_updated: int = 0
    posts_reopened: int = 0
    people_moved: int = 0
    # Rows with an empty end date repeating a post that has one: (row, person, post), decided at the end.
    reopenings: list[tuple[RosterRow, Person, Post]] = field(default_factory=list)
    # Names as the roster had them before this file, for the people it renames.
    names_before: dict[int, str] = field(default_factory=dict)
    changes: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "people_created": len(self.new_people),
            "people_updated": len(self.changed_people),
            "people_moved": self.people_moved,
            "posts_opened": len(self.new_posts),
            "posts_closed": self.posts_closed,
            "posts_updated": self.posts_updated,
            "posts_reopened": self.posts_reopened,
        }

    def note(self, change: str, row_number: int, person: Person, **details) -> None:
        self.changes.append({
            "row": row_number, "change": change, "name": self.names_before.get(person.pk, person.name),
            "id_number": person.id_number_masked, **details,
        })


# The order of a row's changes in the preview.
CHANGE_ORDER = {"name": 0, "move": 1, "reopen": 2}


def plan_rows(
    rows: list[RosterRow], *, scope: Scope, errors: RowErrors, reopen_closed_posts: bool = False, on_progress=None,
) -> RosterPlan:
    """Check ``rows`` against the database and work out what applying them changes. Regions and
    institutions are loaded once; people, their posts and the accounts using the file's mobile numbers
    with one query each per chunk of rows.

    Rows are taken in the order of their start dates, so that a person's posts read forward in time
    whatever the order of the file: a row giving someone a post of a kind they hold open elsewhere moves
    them from there (_plan_post). Closed posts the file would reopen are reopened only when
    ``reopen_closed_posts`` says so, the administrator's choice (_plan_reopenings)."""
    regions = Region.objects.in_bulk({row.region_code for row in rows if row.region_code})
    institutions = Institution.objects.in_bulk(
        {row.institution_code for row in rows if row.institution_code}, field_name="code"
    )
    plan = RosterPlan()
    people: dict[str, Person | None] = {}
    posts_by_person: dict[int, list[Post]] = {}
    managed_elsewhere = _ManagedElsewhere(scope)
    first_rows: dict[str, int] = {}
    for row in rows:
        first_rows.setdefault(row.digest, row.number)
    ordered = sorted(rows, key=lambda row: (row.start_date or EARLIEST_DATE, row.number))
    for start in range(0, len(ordered), CHUNK_ROWS):
        chunk = ordered[start:start + CHUNK_ROWS]
        good_rows = [row for row in chunk if row.number not in errors.bad_rows]
        _load_people(good_rows, people, posts_by_person, plan)
        accounts_by_phone = dict(
            User.objects.filter(phone__in={row.mobile for row in good_rows}).values_list("phone", "person_id")
        )
        for row in chunk:
            _plan_row(
                row, scope, regions, institutions, people, posts_by_person, accounts_by_phone, managed_elsewhere,
                first_rows, plan, errors,
            )
        if on_progress:
            on_progress(start + len(chunk))
    _plan_reopenings(plan, posts_by_person, reopen=reopen_closed_posts)
    plan.changes.sort(key=lambda change: (change["row"], CHANGE_ORDER[change["change"]]))
    return plan


def _load_people(chunk, people, posts_by_person, plan) -> None:
    digests = {row.digest for row in chunk} - people.keys()
    if not digests:
        return
    # A person's stored digest may be under an older key during a key rotation: match any, file under the row's.
    candidates = {
        candidate: row.digest
        for row in chunk if row.digest and row.digest in digests
        for candidate in resident_id.lookup_digests(row.id_number)
    }
    found = {
        candidates[person.id_number_digest]: person
        for person in Person.objects.filter(id_number_digest__in=candidates)
    }
    for digest in digests:
        people[digest] = found.get(digest)
    ids = [person.pk for person in found.values()]
    posts = Post.objects.filter(person_id__in=ids).select_related("institution", "region").order_by("start_date")
    for post in posts:
        posts_by_person.setdefault(post.person_id, []).append(post)
    with_account = set(User.objects.filter(person_id__in=ids).values_list("person_id", flat=True))
    for person in found.values():
        if person.pk not in with_account:
            plan.people_needing_accounts[person.pk] = person


class _ManagedElsewhere:
    """Why a row may not name a person: another region manages a post they still hold (see scope.py). A
    file of one county's people names the same few regions, so each message is written once."""

    def __init__(self, scope: Scope):
        self.scope = scope
        self.today = timezone.localdate()
        self.messages: dict[tuple[str, ...], str] = {}

    def refusal(self, posts: list[Post]) -> str | None:
        regions = tuple(self.scope.regions_managing_elsewhere(posts, on=self.today))
        if not regions:
            return None
        if regions not in self.messages:
            self.messages[regions] = str(PersonChangeRefused.managed_by(list(regions)))
        return self.messages[regions]


def _place_column(row: RosterRow) -> str:
    return "institution_code" if row.kind in INSTITUTION_POSTS or row.institution_code else "region_code"


def _place_name(post: Post) -> str:
    return post.institution.name if post.institution_id else post.region.name


def _plan_row(
    row, scope, regions, institutions, people, posts_by_person, accounts_by_phone, managed_elsewhere, first_rows,
    plan, errors,
) -> None:
    region = institution = None
    if row.region_code:
        region = regions.get(row.region_code)
        if region is None:
            errors.add(
                row.number, "region_code", _("There is no region with the code %(code)s.") % {"code": row.region_code}
            )
        elif not scope.contains_region_code(region.code):
            errors.add(
                row.number, "region_code",
                _("%(region)s (%(code)s) is outside the area you administer.")
                % {"region": region.name, "code": region.code},
            )
    if row.institution_code:
        institution = institutions.get(row.institution_code)
        if institution is None:
            errors.add(
                row.number, "institution_code",
                _("There is no institution with the code %(code)s.") % {"code": row.institution_code},
            )
        elif not scope.contains_institution(institution):
            errors.add(
                row.number, "institution_code",
                _("%(institution)s is not an institution you administer.") % {"institution": institution.name},
            )
    if row.number in errors.bad_rows:
        return  # the rest needs every value of the row
    place_error = post_place_error(row.kind, region, institution)
    if place_error:
        errors.add(row.number, _place_column(row), place_error)

    person = people[row.digest]
    refusal = managed_elsewhere.refusal(posts_by_person.get(person.pk, [])) if person else None
    if refusal:
        errors.add(row.number, "id_number", refusal)
        return
    # accounts.services.account_phone_taken, for a chunk of rows at once: the number signs in to an
    # account that is not this person's.
    if row.mobile in accounts_by_phone and (person is None or accounts_by_phone[row.mobile] != person.pk):
        errors.add(row.number, "mobile", _("This mobile number already signs in to another person's account."))
    if row.number in errors.bad_rows:
        return

    # A post in an institution is filed under the institution's region (see Post).
    if institution:
        post = Post(
            kind=row.kind, region_id=institution.region_id, institution=institution, start_date=row.start_date,
            end_date=row.end_date,
        )
    else:
        post = Post(kind=row.kind, region=region, start_date=row.start_date, end_date=row.end_date)
    if person is None:
        plan.new_people.setdefault(row.digest, row)
        plan.new_posts.append((row, post))
        return
    _plan_person_update(row, person, first_rows[row.digest], plan)
    post.person = person
    _plan_post(row, person, post, posts_by_person.setdefault(person.pk, []), plan, errors)


def _plan_person_update(row: RosterRow, person: Person, first_row: int, plan: RosterPlan) -> None:
    if person.pk in plan.changed_people:
        return
    new_values = {
        "name": row.name, "sex": row.sex, "mobile": row.mobile, "professional_category": row.professional_category,
    }
    if any(getattr(person, name) != value for name, value in new_values.items()):
        if person.mobile != row.mobile:
            plan.people_needing_accounts[person.pk] = person
        if person.name != row.name:
            plan.names_before[person.pk] = person.name
            # Listed on the person's first row in the file: every row of a person carries the same name.
            plan.note("name", first_row, person, from_name=person.name, to_name=row.name)
        for name, value in new_values.items():
            setattr(person, name, value)
        plan.changed_people[person.pk] = person


def _same_place(post: Post, other: Post) -> bool:
    return post.region_id == other.region_id and post.institution_id == other.institution_id


def _plan_post(row: RosterRow, person: Person, new: Post, posts: list[Post], plan: RosterPlan, errors) -> None:
    """Update the end date of the post the row repeats (same person, post, place and start date), or open
    ``new``, unless the row overlaps another period of the same post. ``posts`` are the person's posts as
    the rows planned so far leave them, new ones included."""
    same_kind = [post for post in posts if post.kind == row.kind]
    for post in same_kind:
        if not _same_place(post, new):
            continue
        if post.start_date == row.start_date:
            if post.end_date == row.end_date:
                return
            if row.end_date is None:
                # The roster ended the post and the file does not say so: the file was written before, or
                # the end date is a mistake. Never undone silently: listed, and reopened only by choice.
                plan.reopenings.append((row, person, post))
                return
            if post.end_date is None:
                plan.posts_closed += 1
            else:
                plan.posts_updated += 1
            post.end_date = row.end_date
            plan.changed_posts.append(post)
            return
        if _overlap(post.start_date, post.end_date, row.start_date, row.end_date):
            errors.add(
                row.number, "start_date",
                _("This person already holds this post here from %(start)s; give that start date to update the post.")
                % {"start": post.start_date.isoformat()},
            )
            return

    # The same post held open in another place. A row starting later moves the person: that post ends the
    # day before. A row starting no later cannot say when they moved (only its village or institution was
    # edited, or the file is older): the administrator is asked for the day.
    held_elsewhere = [
        post for post in same_kind
        if post.end_date is None and not _same_place(post, new)
        and (row.end_date is None or row.end_date >= post.start_date)
    ]
    for post in held_elsewhere:
        if row.start_date <= post.start_date:
            errors.add(
                row.number, "start_date",
                _(
                    "This person has held this post at %(place)s since %(start)s. If they moved here, write the "
                    "day they started here as the start date (after %(start)s): the post at %(place)s then ends "
                    "the day before."
                ) % {"place": _place_name(post), "start": post.start_date.isoformat()},
            )
            return
    for post in held_elsewhere:
        post.end_date = row.start_date - datetime.timedelta(days=1)
        if post.pk:  # a post this file opens earlier is written closed
            plan.changed_posts.append(post)
        plan.people_moved += 1
        plan.note(
            "move", row.number, person, post=row.kind, from_place=_place_name(post),
            from_start=post.start_date.isoformat(), from_end=post.end_date.isoformat(), to_place=_place_name(new),
            to_start=row.start_date.isoformat(),
        )
    posts.append(new)
    plan.new_posts.append((row, new))


def _plan_reopenings(plan: RosterPlan, posts_by_person: dict[int, list[Post]], *, reopen: bool) -> None:
    """List every closed post the file would reopen; reopen those it may if ``reopen``. A post stays closed
    whatever the choice when the person holds a post of its kind beyond its end date (open, or ending later,
    this file's new posts included): the roster moved on since the file was written, and reopening would
    give them two at once."""
    for row, person, post in plan.reopenings:
        later = [
            other for other in posts_by_person[person.pk]
            if other is not post and other.kind == post.kind
            and (other.end_date is None or other.end_date > post.end_date)
        ]
        blocking = max(later, key=lambda other: other.start_date) if later else None
        plan.note(
            "reopen", row.number, person, post=post.kind, place=_place_name(post),
            start=post.start_date.isoformat(), end=post.end_date.isoformat(),
            blocked_by_place=_place_name(blocking) if blocking else None,
            blocked_by_start=blocking.start_date.isoformat() if blocking else None,
        )
        if reopen and blocking is None:
            post.end_date = None
            plan.changed_posts.append(post)
            plan.posts_reopened += 1


def apply_plan(plan: RosterPlan) -> None:
    """Write ``plan``: inserts and updates in batches. Called inside the apply transaction."""
    now = timezone.now()
    created = []
    for row in plan.new_people.values():
        person = Person(
            name=row.name, sex=row.sex, mobile=row.mobile, professional_category=row.professional_category,
        )
        person.set_id_number(row.id_number)
        created.append(person)
    Person.objects.bulk_create(created, batch_size=BATCH_SIZE)
    created_by_digest = {person.id_number_digest: person for person in created}

    changed = list(plan.changed_people.values())
    for person in changed:
        person.updated_at = now  # bulk_update does not touch auto_now fields
    Person.objects.bulk_update(
        changed, ["name", "sex", "mobile", "professional_category", "updated_at"], batch_size=BATCH_SIZE
    )

    # End dates first: a post ended by a move (or by its row) makes room for the new open post of its kind
    # and place that the database's one-open-post rule would otherwise refuse.
    Post.objects.bulk_update(plan.changed_posts, ["end_date"], batch_size=BATCH_SIZE)
    for row, post in plan.new_posts:
        if post.person_id is None:
            post.person = created_by_digest[row.digest]
    Post.objects.bulk_create([post for _row, post in plan.new_posts], batch_size=BATCH_SIZE)

    # Accounts come from the roster: every person has one, signed in to by their mobile number. New
    # people's accounts are created in bulk; the few existing people without an account or with a new
    # mobile number go through account_for_person.
    accounts_for_people(people=created)
    for person in plan.people_needing_accounts.values():
        account_for_person(person=person)


# The import's life ------------------------------------------------------------------------------------


def roster_imports_for(*, user) -> QuerySet:
    """The imports ``user`` may see: their own; a system administrator sees every import."""
    imports = RosterImport.objects.select_related("created_by")
    if user.is_superuser:
        return imports
    return imports.filter(created_by=user)


def roster_import_create(*, created_by, upload, language: str) -> RosterImport:
    """Keep the uploaded file and announce it ready for its check."""
    roster_import = RosterImport(created_by=created_by, file_name=upload.name[:255], language=language)
    roster_import.file = _stored_upload(roster_import, upload)
    roster_import.save()
    job_announce(roster_import, step="validate")
    return roster_import


def _stored_upload(roster_import: RosterImport, upload):
    # Stored under the import's id: the name given by the user may be long or say too much.
    upload.name = f"{roster_import.pk}{Path(upload.name).suffix.lower()}"
    return upload


def roster_import_confirm(
    *, roster_import: RosterImport, reopen_closed_posts: bool = False, preview_digest: str | None = None,
) -> bool:
    """Announce a checked file ready to apply, with the administrator's choice about the closed posts it would
    reopen (kept closed unless ``reopen_closed_posts``). Only a valid import moves on, and only once: a second
    click (or a second administrator) finds it confirmed and queues nothing. ``preview_digest`` names the
    preview the choice was made on (RosterImport.changes_digest): a confirmation sent from a page older than
    the preview now shown moves nothing."""
    if preview_digest is not None and preview_digest != roster_import.changes_digest:
        return False
    moved = RosterImport.objects.filter(
        # The same preview as the one read: applying shows a new one (rechecked_at) when the roster changed.
        pk=roster_import.pk, status=RosterImport.Status.VALID, rechecked_at=roster_import.rechecked_at,
    ).update(
        status=RosterImport.Status.CONFIRMED, done=0,
        reopen_closed_posts=bool(reopen_closed_posts) if roster_import.reopenings else None,
    )
    if moved:
        job_announce(roster_import, step="apply")
    roster_import.refresh_from_db()
    return bool(moved)


def roster_import_retry(*, roster_import: RosterImport, upload) -> bool:
    """Start a failed import again with its file uploaded anew (the first upload was deleted when it failed:
    it holds ID numbers): checked again from the start, then confirmed as any import. False if the import is
    not failed."""
    if roster_import.status != RosterImport.Status.FAILED:
        return False
    with transaction.atomic():
        locked = RosterImport.objects.select_for_update().get(pk=roster_import.pk)
        if locked.status != RosterImport.Status.FAILED:
            return False
        if locked.file:
            locked.file.delete(save=False)
        locked.file_name = upload.name[:255]
        locked.file = _stored_upload(locked, upload)
        locked.save(update_fields=["file", "file_name"])
        retried = job_retry(
            locked, errors=[], summary={}, changes=[], reopen_closed_posts=None, rechecked_at=None, total=0,
        )
    roster_import.refresh_from_db()
    return retried


def roster_import_validate(*, roster_import: RosterImport) -> None:
    """Check every row; the import ends invalid (with every error) or valid (with a preview). Takes only a
    waiting import: a message delivered twice changes nothing."""
    if not job_start(RosterImport, roster_import.pk, status=RosterImport.Status.VALIDATING,
                     from_statuses=[RosterImport.Status.PENDING], done=0):
        return
    roster_import.refresh_from_db()
    with translation.override(roster_import.language or settings.LANGUAGE_CODE):
        try:
            rows, errors = _read_and_parse(roster_import)
        except RosterFileError as error:
            _finish(roster_import, RosterImport.Status.INVALID, errors=[_file_error(error)])
            return
        plan = plan_rows(
            rows, scope=scope_for(roster_import.created_by), errors=errors,
            on_progress=lambda done: job_progress(RosterImport, roster_import.pk, done=done),
        )
    if errors:
        _finish(roster_import, RosterImport.Status.INVALID, errors=errors.sorted())
    else:
        _set(
            roster_import, status=RosterImport.Status.VALID, done=roster_import.total,
            summary=plan.summary(), changes=plan.changes, errors=[], finished_at=timezone.now(),
        )


def roster_import_apply(*, roster_import: RosterImport) -> None:
    """Check again and write everything in one transaction. Takes only a confirmed import, so a message
    delivered twice changes nothing; a retry after a failure (the task puts the import back to confirmed)
    starts from the database as the rolled-back attempt left it."""
    if not job_start(RosterImport, roster_import.pk, status=RosterImport.Status.APPLYING,
                     from_statuses=[RosterImport.Status.CONFIRMED], done=0):
        if roster_import.status not in {RosterImport.Status.DONE, RosterImport.Status.APPLYING}:
            logger.warning("Roster import %s is %s, not confirmed; not applied.", roster_import.pk, roster_import.status)
        return
    roster_import.refresh_from_db()
    with translation.override(roster_import.language or settings.LANGUAGE_CODE):
        try:
            try:
                errors = _apply_checked(roster_import)
            except IntegrityError:
                # Another import or form wrote some of the same people or open posts at the same moment, and the
                # database's "one of" rules refused this whole transaction. Check again against what the other
                # wrote: what is already there is left as it is, a post now in conflict is named on its row.
                errors = _apply_checked(roster_import)
        except RosterFileError as error:
            _finish(roster_import, RosterImport.Status.INVALID, errors=[_file_error(error)])
            return
    if errors:
        # The database changed since the preview and some rows no longer fit.
        _finish(roster_import, RosterImport.Status.INVALID, errors=errors.sorted())


def _apply_checked(roster_import: RosterImport) -> RowErrors | None:
    """Read and check the file again and write it in one transaction: the rows' errors if it no longer fits
    the database, None once it is applied (by this call or by another before it)."""
    rows, errors = _read_and_parse(roster_import)
    with transaction.atomic():
        # Two workers given the same import: the second waits here, then finds it done. The lock also shows the
        # sweep that this import's worker is alive (academy.jobs.job_alive).
        locked = RosterImport.objects.select_for_update().get(pk=roster_import.pk)
        if locked.status == RosterImport.Status.DONE:
            return None
        plan = plan_rows(
            rows, scope=scope_for(roster_import.created_by), errors=errors,
            reopen_closed_posts=bool(locked.reopen_closed_posts),
        )
        if errors:
            return errors
        if plan.changes != locked.changes:
            # The roster changed since the preview the administrator confirmed (a post ended, a person moved
            # or renamed on their page), so their choice was about other rows: nothing is applied, and the
            # new preview waits for a new confirmation.
            _set(
                roster_import, status=RosterImport.Status.VALID, done=roster_import.total,
                summary={**plan.summary(), "posts_reopened": 0}, changes=plan.changes, reopen_closed_posts=None,
                rechecked_at=timezone.now(), finished_at=timezone.now(),
            )
            logger.info("Roster import %s: the roster changed since its preview; shown again.", roster_import.pk)
            return None
        apply_plan(plan)
        if plan.names_before:
            people_renamed.send(sender=Person, person_ids=list(plan.names_before))
        _finish(roster_import, RosterImport.Status.DONE, summary=plan.summary())
        # One entry per import, with its counts: tens of thousands of entries per file would bury the rest.
        audit_record(
            action=AuditAction.ROSTER_APPLIED, actor=roster_import.created_by, target=roster_import,
            region_code=roster_import.created_by.admin_region_id or "",
            detail={
                "file_name": roster_import.file_name, "rows": roster_import.total, **plan.summary(),
                "reopen_closed_posts": locked.reopen_closed_posts,
            },
        )
        # People added or moved join this year's plans: courses listens (courses/receivers.py) and records its jobs
        # in this transaction, so that they commit with the roster or not at all (a worker dying once the roster is
        # committed cannot lose them: the sweep sends a job never queued).
        roster_applied.send(sender=RosterImport, roster_import=roster_import)
    logger.info("Roster import %s applied: %s", roster_import.pk, plan.summary())
    return None


def _read_and_parse(roster_import: RosterImport) -> tuple[list[RosterRow], RowErrors]:
    with roster_import.file.open("rb") as handle:
        data = handle.read()
    cells_by_row, headings = read_roster(data, name=roster_import.file_name)
    del data
    _set(roster_import, total=len(cells_by_row))
    errors = RowErrors(headings)
    rows = [parse_row(number, cells, errors) for number, cells in cells_by_row]
    del cells_by_row
    check_file_duplicates(rows, errors)
    return rows, errors


def _file_error(error: RosterFileError) -> dict:
    return {"row": None, "column": "", "field": "", "message": str(error)}


def _set(roster_import: RosterImport, **values) -> None:
    """A short write of the given fields only, committed at once outside a transaction."""
    for name, value in values.items():
        setattr(roster_import, name, value)
    RosterImport.objects.filter(pk=roster_import.pk).update(**values)


def _finish(roster_import: RosterImport, status: str, *, errors=None, summary=None) -> None:
    values = {"status": status, "finished_at": timezone.now(), "errors": errors or []}
    if summary is not None:
        values["summary"] = summary
    if status == RosterImport.Status.DONE:
        values["done"] = roster_import.total
    _set(roster_import, **values)
    # The uploaded file holds resident ID numbers in clear; once the import is over it is not kept. The record
    # (who, when, what changed, which rows were wrong) stays.
    job_files_delete_on_commit(RosterImport, roster_import.pk)


# The template -----------------------------------------------------------------------------------------

EXAMPLE_ROW = {
    "name": "张三",
    "sex": "女",
    "id_number": EXAMPLE_ID_NUMBER,
    "mobile": "13800000000",
    "professional_category": "社工",
    "post": "儿童主任",
    "region_code": "330102001201",
    "institution_code": "",
    "start_date": "2024-01-01",
    "end_date": "",
}
TEMPLATE_ROWS = 5000  # rows formatted (text cells, drop-down lists) below the headings


def template_csv() -> bytes:
    """Headings and the example row, UTF-8 with the byte-order mark Excel needs to show Chinese."""
    return spreadsheets.spreadsheet_bytes("csv", [spreadsheets.Sheet(
        title="名册(roster)", header=[column.heading for column in COLUMNS],
        rows=[[EXAMPLE_ROW[column.field] for column in COLUMNS]],
    )])


def template_xlsx() -> bytes:
    """A workbook: the roster sheet (headings, the example row, ID number and mobile columns formatted as
    text so Excel keeps every digit, drop-down lists for the fixed values) and a sheet of instructions."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "名册(roster)"
    sheet.append([column.heading for column in COLUMNS])
    sheet.append([EXAMPLE_ROW[column.field] for column in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    letters = {column.field: openpyxl.utils.get_column_letter(position) for position, column in enumerate(COLUMNS, 1)}
    for column in COLUMNS:
        sheet.column_dimensions[letters[column.field]].width = max(14, len(column.heading) * 1.6)
    for field_name in ("id_number", "mobile", "region_code", "institution_code"):
        for row in range(FIRST_DATA_ROW, FIRST_DATA_ROW + TEMPLATE_ROWS):
            sheet[f"{letters[field_name]}{row}"].number_format = "@"
    for field_name, values in (
        ("sex", SEX_VALUES), ("professional_category", CATEGORY_VALUES), ("post", POST_VALUES),
    ):
        validation = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
        validation.add(f"{letters[field_name]}{FIRST_DATA_ROW}:{letters[field_name]}{FIRST_DATA_ROW + TEMPLATE_ROWS}")
        sheet.add_data_validation(validation)

    notes = book.create_sheet("说明(instructions)")
    notes.append([_("Column"), pgettext("roster template", "Required"), _("What to write")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        required = _("yes") if column.field in REQUIRED_FIELDS else _("see note")
        notes.append([column.heading, required, _instruction(column.field)])
    notes.append([])
    notes.append([_("Delete the example row (张三) before you upload the file. The first row must stay the headings.")])
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 100
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _instruction(field_name: str) -> str:
    return {
        "name": _("The person's name as on the resident identity card."),
        "sex": _("男 or 女."),
        "id_number": _(
            "The 18-character resident ID number. Keep the column formatted as text, or Excel loses the last digits."
        ),
        "mobile": _("11 digits. The person signs in with it; two people cannot share one."),
        "professional_category": _("One of %(choices)s.") % {"choices": _choice_list(CATEGORY_VALUES)},
        "post": _("One of %(choices)s.") % {"choices": _choice_list(POST_VALUES)},
        "region_code": _(
            "For a child supervisor the 9-digit township code, for a child director the 12-digit village code."
        ),
        "institution_code": _("For posts in an institution (head, carer, other staff): the institution's code."),
        "start_date": _(
            "The day the post began, as 2024-03-01, 2024/3/1 or 2024年3月1日, or an Excel date cell. "
            "A number alone (2024) is not a date."
        ),
        "end_date": _("Empty while the post is held. A date closes the post; it is never deleted."),
    }[field_name]
