"""The roster import (roster.py): reading files, every kind of bad row, all-or-nothing writes, re-imports."""
import csv
import datetime
import importlib
import io
import threading

import openpyxl
import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone

from academy.accounts.models import User
from academy.audit.models import AuditAction, AuditEntry
from academy.jobs import job_requeue, jobs_sweep
from academy.organisation import resident_id, roster
from academy.organisation.models import Person, Post, PostKind, Region, RosterImport, RunLevel
from academy.organisation.services import post_close
from academy.accounts.services import accounts_for_people
from academy.organisation.tasks import apply_roster_import, validate_roster_import
from tests.factories import InstitutionFactory, PersonFactory, PostFactory, RegionFactory, UserFactory, make_id_number

pytestmark = pytest.mark.django_db

TOWNSHIP = "330102001"  # 清波街道, 上城区
VILLAGE = "330102001201"
OTHER_COUNTY_TOWNSHIP = "330105001"  # 拱墅区
HEADINGS = [column.heading for column in roster.COLUMNS]
PHONE_TAKEN = "This mobile number already signs in to another person's account."


@pytest.fixture
def places():
    village = RegionFactory(code=VILLAGE, name="清波村", level="village", parent_id=TOWNSHIP, is_synthetic=True)
    RegionFactory(code="330102001202", name="柳浪村", level="village", parent_id=TOWNSHIP, is_synthetic=True)
    centre = InstitutionFactory(code="MP-330102", name="上城区未成年人救助保护中心", run_level=RunLevel.COUNTY)
    city_home = InstitutionFactory(code="CW-3301", name="杭州市儿童福利院", run_level=RunLevel.CITY)
    return {"village": village, "centre": centre, "city_home": city_home}


@pytest.fixture
def county_admin():
    return UserFactory(admin_region=Region.objects.get(code="330102"))


def director(**values) -> dict:
    """A good row: a child director of a village in 上城区."""
    row = {
        "name": "陈静", "sex": "女", "id_number": make_id_number("330102", datetime.date(1985, 3, 4), 12),
        "mobile": "13900000001", "professional_category": "社工", "post": "儿童主任", "region_code": VILLAGE,
        "institution_code": "", "start_date": "2023-01-01", "end_date": "",
    }
    row.update(values)
    return row


def another_director(**values) -> dict:
    return director(**{
        "name": "王强", "sex": "男", "id_number": make_id_number("330102", datetime.date(1979, 8, 9), 31),
        "mobile": "13900000002", "professional_category": "无", "region_code": "330102001202", **values,
    })


def csv_bytes(rows: list[dict], encoding: str = "utf-8") -> bytes:
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(HEADINGS)
    for row in rows:
        writer.writerow([row.get(column.field, "") for column in roster.COLUMNS] if row else [])
    return output.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list], number_formats: dict[tuple[int, int], str] | None = None) -> bytes:
    """A workbook of the headings and ``rows``; ``number_formats`` maps (row, column) to a cell's format."""
    book = openpyxl.Workbook()
    book.active.append(HEADINGS)
    for row in rows:
        book.active.append(row)
    for (row, column), number_format in (number_formats or {}).items():
        book.active.cell(row=row, column=column).number_format = number_format
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


@pytest.fixture
def check(county_admin, places, django_capture_on_commit_callbacks):
    """Upload and check a file as the upload page does; the queued task runs in process (no broker)."""

    def check(data, name="roster.csv", user=None):
        with django_capture_on_commit_callbacks(execute=True):
            roster_import = roster.roster_import_create(
                created_by=user or county_admin, upload=SimpleUploadedFile(name, data), language="en"
            )
        roster_import.refresh_from_db()
        return roster_import

    return check


@pytest.fixture
def confirm(django_capture_on_commit_callbacks):
    def confirm(roster_import, reopen_closed_posts=False):
        with django_capture_on_commit_callbacks(execute=True):
            roster.roster_import_confirm(roster_import=roster_import, reopen_closed_posts=reopen_closed_posts)
        roster_import.refresh_from_db()
        return roster_import

    return confirm


def counts() -> tuple[int, int, int]:
    return Person.objects.count(), Post.objects.count(), User.objects.count()


def errors_of(roster_import) -> list[tuple]:
    return [(error["row"], error["field"], error["message"]) for error in roster_import.errors]


# A good file ------------------------------------------------------------------------------------------


def test_a_good_file_is_previewed_without_writing_and_applied_on_confirmation(check, confirm):
    before = counts()
    roster_import = check(csv_bytes([director(), another_director()]))

    assert roster_import.status == RosterImport.Status.VALID
    assert roster_import.errors == []
    assert roster_import.total == roster_import.done == 2
    assert roster_import.summary == {
        "people_created": 2, "people_updated": 0, "people_moved": 0, "posts_opened": 2, "posts_closed": 0,
        "posts_updated": 0, "posts_reopened": 0,
    }
    assert counts() == before

    roster_import = confirm(roster_import)
    assert roster_import.status == RosterImport.Status.DONE
    assert roster_import.progress == 100
    assert roster_import.finished_at is not None
    person = Person.objects.get(id_number_digest=resident_id.digest(director()["id_number"]))
    assert (person.name, person.sex, person.mobile, person.professional_category) == (
        "陈静", "female", "13900000001", "social_worker",
    )
    post = person.posts.get()
    assert (post.kind, post.region_id, post.start_date, post.end_date) == (
        PostKind.CHILD_DIRECTOR, VILLAGE, datetime.date(2023, 1, 1), None,
    )
    # Accounts come from the roster: signed in to by the mobile number, claimed later.
    assert person.user.phone == "13900000001"
    assert not person.user.has_usable_password()
    assert counts() == (before[0] + 2, before[1] + 2, before[2] + 2)


def test_posts_in_institutions_and_townships_and_english_values(check, confirm, places):
    rows = [
        director(post="child_supervisor", region_code=TOWNSHIP, sex="male", professional_category="teacher"),
        another_director(post="孤残儿童护理员", region_code="", institution_code="MP-330102"),
    ]
    roster_import = confirm(check(csv_bytes(rows)))

    assert roster_import.status == RosterImport.Status.DONE, roster_import.errors
    carer_post = Post.objects.get(kind=PostKind.CARER)
    assert carer_post.institution == places["centre"]
    assert carer_post.region_id == places["centre"].region_id
    assert Post.objects.get(kind=PostKind.CHILD_SUPERVISOR).person.professional_category == "teacher"


def test_the_upload_is_deleted_once_the_import_is_over(check, confirm):
    roster_import = check(csv_bytes([director()]))
    path = roster_import.file.path
    with open(path, "rb"):
        pass  # kept while the import waits for confirmation
    confirm(roster_import)
    with pytest.raises(FileNotFoundError):
        open(path, "rb")


def test_a_preview_never_confirmed_expires_and_its_upload_is_deleted(
    check, confirm, settings, client, county_admin, django_capture_on_commit_callbacks,
):
    # The upload holds ID numbers in clear: a preview nobody confirms must not keep it for ever.
    settings.ROSTER_IMPORT_CONFIRM_HOURS = 24
    roster_import = check(csv_bytes([director()]))
    path = roster_import.file.path
    checked_at = timezone.now()
    assert not jobs_sweep(now=checked_at + datetime.timedelta(hours=23))  # still waiting for its administrator
    assert RosterImport.objects.get(pk=roster_import.pk).status == RosterImport.Status.VALID

    with django_capture_on_commit_callbacks(execute=True):
        acts = jobs_sweep(now=checked_at + datetime.timedelta(hours=25))
    assert acts["organisation.RosterImport expired"] == 1
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.EXPIRED and not roster_import.file
    with pytest.raises(FileNotFoundError):
        open(path, "rb")

    # Its page says why, in the administrator's language, and leads to a new upload; confirming does nothing.
    client.force_login(county_admin)
    page = client.get(roster_import.get_absolute_url()).content.decode()
    assert "未在规定时间内确认" in page and reverse("organisation:import_new") in page
    assert confirm(roster_import).status == RosterImport.Status.EXPIRED
    assert not Person.objects.exists()
    assert roster.roster_import_create(  # the administrator uploads it again: checked as any new file
        created_by=county_admin, upload=SimpleUploadedFile("roster.csv", csv_bytes([director()])), language="zh-hans",
    ).status == RosterImport.Status.PENDING


# Every kind of bad row --------------------------------------------------------------------------------

BAD_ROWS = {
    "wrong check character": (
        lambda: director(id_number=director()["id_number"][:17] + ("0" if director()["id_number"][17] != "0" else "1")),
        "id_number", "does not match its check character",
    ),
    "ID number turned into scientific notation": (
        lambda: director(id_number="3.30102E+17"), "id_number", "turned into a number by the spreadsheet",
    ),
    "ID number too short": (lambda: director(id_number="33010219850304"), "id_number", "17 digits"),
    "template example row": (lambda: director(id_number=roster.EXAMPLE_ID_NUMBER), "id_number", "example row"),
    "unknown region code": (
        lambda: director(region_code="330102001999"), "region_code", "no region with the code 330102001999",
    ),
    "region outside the administrator's scope": (
        lambda: director(post="儿童督导员", region_code=OTHER_COUNTY_TOWNSHIP), "region_code",
        "outside the area you administer",
    ),
    "unknown institution code": (
        lambda: director(post="机构负责人", region_code="", institution_code="NOPE"), "institution_code",
        "no institution with the code NOPE",
    ),
    "institution run above the administrator's level": (
        lambda: director(post="机构负责人", region_code="", institution_code="CW-3301"), "institution_code",
        "not an institution you administer",
    ),
    "wrong region level for the post": (
        lambda: director(region_code=TOWNSHIP), "region_code", "post is held in a Village",
    ),
    "institution post without an institution": (
        lambda: director(post="孤残儿童护理员", region_code=""), "institution_code", "needs an institution",
    ),
    "region post without a region": (lambda: director(region_code=""), "region_code", "needs a region"),
    "missing name": (lambda: director(name=""), "name", "must be filled in"),
    "missing start date": (lambda: director(start_date=""), "start_date", "must be filled in"),
    "bad date": (lambda: director(start_date="2023-02-30"), "start_date", "2023-02-30 is not a date"),
    "words for a date": (lambda: director(end_date="last year"), "end_date", "is not a date"),
    # Issue 12: a bare number was read as an Excel day count, so 2024 became 1905-07-16.
    "a year for a date": (lambda: director(start_date="2024"), "start_date", "2024 is a number, not a date"),
    "a day count in a text cell": (lambda: director(end_date="45352"), "end_date", "45352 is a number, not a date"),
    "end before start": (lambda: director(end_date="2022-12-31"), "end_date", "before the start date"),
    "bad mobile": (lambda: director(mobile="1234567"), "mobile", "11 digits"),
    "bad sex": (lambda: director(sex="X"), "sex", "Write 男 or 女"),
    "bad category": (
        lambda: director(professional_category="厨师"), "professional_category", "Unknown professional category 厨师",
    ),
    "bad post": (lambda: director(post="村长"), "post", "Unknown post 村长"),
}


@pytest.mark.parametrize("case", BAD_ROWS.keys())
def test_each_kind_of_bad_row_is_reported_with_its_row_and_column(case, check):
    make_row, field, message = BAD_ROWS[case]
    before = counts()
    roster_import = check(csv_bytes([another_director(), make_row()]))

    assert roster_import.status == RosterImport.Status.INVALID
    assert [(row, column) for row, column, _ in errors_of(roster_import)] == [(3, field)], roster_import.errors
    assert message in roster_import.errors[0]["message"]
    # The column as the file heads it, so the administrator finds it.
    assert roster_import.errors[0]["column"] == roster.COLUMN_BY_FIELD[field].heading
    assert counts() == before


SUPERVISOR = {"post": "儿童督导员", "region_code": TOWNSHIP}


@pytest.mark.parametrize(
    "second, field, message",
    [
        ({}, "post", "Row 2 already gives this person this post here"),
        ({"name": "陈晶", **SUPERVISOR}, "name", "Row 2 has the same resident ID number with a different value"),
        ({"mobile": "13900000009", **SUPERVISOR}, "mobile", "Row 2 has the same resident ID number with a different"),
        ({"start_date": "2024-06-01"}, "post", "overlapping period"),
    ],
    ids=["same row twice", "same ID with another name", "same ID with another mobile", "overlapping periods"],
)
def test_duplicates_in_the_file_are_reported_on_the_later_row(second, field, message, check):
    roster_import = check(csv_bytes([director(), director(**second)]))

    assert roster_import.status == RosterImport.Status.INVALID
    assert [(row, column) for row, column, _ in errors_of(roster_import)] == [(3, field)]
    assert message in roster_import.errors[0]["message"]


def test_one_person_may_hold_the_same_post_twice_in_separate_periods(check):
    rows = [director(end_date="2023-06-30"), director(start_date="2024-01-01")]
    assert check(csv_bytes(rows)).status == RosterImport.Status.VALID


def test_one_mobile_for_two_people_is_reported(check):
    roster_import = check(csv_bytes([director(), another_director(mobile="13900000001")]))

    assert errors_of(roster_import) == [(3, "mobile", "Row 2 gives this mobile number to another person.")]


def test_a_mobile_signing_in_to_another_persons_account_is_reported(check):
    UserFactory(phone="13900000001")

    roster_import = check(csv_bytes([director()]))

    assert errors_of(roster_import) == [(2, "mobile", PHONE_TAKEN)]


def test_an_overlapping_post_already_on_the_roster_must_be_given_its_start_date(check):
    person = PersonFactory(id_number=director()["id_number"], name="陈静", mobile="13900000001")
    PostFactory(person=person, region=Region.objects.get(code=VILLAGE), start_date=datetime.date(2020, 5, 1))

    roster_import = check(csv_bytes([director()]))

    assert errors_of(roster_import) == [
        (2, "start_date", "This person already holds this post here from 2020-05-01; give that start date to update "
                          "the post.")
    ]


def test_every_bad_row_is_listed_in_row_order_with_blank_rows_counted(check):
    rows = [director(name=""), {}, another_director(sex="?", start_date="soon")]
    roster_import = check(csv_bytes(rows))

    assert [(row, column) for row, column, _ in errors_of(roster_import)] == [
        (2, "name"), (4, "sex"), (4, "start_date"),
    ]


def test_one_bad_row_writes_nothing_even_with_many_good_rows(check, confirm):
    good = [
        director(
            name=f"人{n}", id_number=make_id_number("330102", datetime.date(1980, 1, 1), n), mobile=f"1390000{n:04d}"
        )
        for n in range(1, 40)
    ]
    before = counts()
    bad = director(region_code="330102001999", id_number=make_id_number(serial=999))
    roster_import = check(csv_bytes([*good, bad]))

    assert roster_import.status == RosterImport.Status.INVALID
    assert not roster.roster_import_confirm(roster_import=roster_import)
    roster_import = confirm(roster_import)
    assert roster_import.status == RosterImport.Status.INVALID
    assert counts() == before


def test_apply_checks_again_and_writes_nothing_when_the_database_changed(check, confirm):
    before = counts()
    roster_import = check(csv_bytes([director(), another_director()]))
    assert roster_import.status == RosterImport.Status.VALID
    UserFactory(phone="13900000002")  # meanwhile the mobile number was given to someone else's account

    roster_import = confirm(roster_import)

    assert roster_import.status == RosterImport.Status.INVALID
    assert errors_of(roster_import) == [(3, "mobile", PHONE_TAKEN)]
    assert counts() == (before[0], before[1], before[2] + 1)


# Files ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_with_or_without_bom_and_in_gbk_is_read(encoding, check, confirm):
    roster_import = confirm(check(csv_bytes([director()], encoding=encoding)))

    assert roster_import.status == RosterImport.Status.DONE, roster_import.errors
    assert Person.objects.filter(name="陈静").exists()


def test_xlsx_is_read_with_text_ids_real_dates_and_excel_date_numbers(check, confirm):
    first, second = director(), another_director()
    data = xlsx_bytes([
        [first[c.field] for c in roster.COLUMNS[:8]] + [datetime.datetime(2023, 1, 1), None],
        [second[c.field] for c in roster.COLUMNS[:3]]
        + [13900000002, "无", "儿童主任", 330102001202, None, 44927, "2024/6/30"],
    ], number_formats={(3, 9): "yyyy/m/d"})  # Excel's own date cell: the day count, shown as a date

    roster_import = confirm(check(data, name="名册.xlsx"))

    assert roster_import.status == RosterImport.Status.DONE, roster_import.errors
    assert roster_import.file_name == "名册.xlsx"
    post = Post.objects.get(person__name="王强")
    assert (post.start_date, post.end_date) == (datetime.date(2023, 1, 1), datetime.date(2024, 6, 30))
    assert post.person.mobile == "13900000002"


def test_a_year_typed_into_a_number_cell_of_a_workbook_is_not_a_date(check):
    # Issue 12: 2024 in a General cell was read as Excel's day 2024, 1905-07-16. The cell shows 2024.
    row = director()
    data = xlsx_bytes([[row[c.field] for c in roster.COLUMNS[:8]] + [2024, None]])

    roster_import = check(data, name="roster.xlsx")

    assert roster_import.status == RosterImport.Status.INVALID
    assert [(r, c) for r, c, _ in errors_of(roster_import)] == [(2, "start_date")]
    assert "2024 is a number, not a date" in roster_import.errors[0]["message"]
    assert roster_import.errors[0]["column"] == "任职开始日期(start_date)"


def test_a_csv_whose_lines_end_with_a_comma_says_so_first_and_quotes_no_id_number(check):
    # Issue 12: every column shifted by one, and the messages quoted ID numbers from the wrong columns.
    rows = [director(), another_director()]
    lines = [",".join(HEADINGS)] + [",".join(row[c.field] for c in roster.COLUMNS) + "," for row in rows]

    roster_import = check("\n".join(lines).encode())

    assert roster_import.status == RosterImport.Status.INVALID
    assert roster_import.errors[0]["row"] is None
    assert roster_import.errors[0]["message"] == (
        "Each row has 1 more column than the headings: is there an extra comma at the end of the lines?"
    )
    stored = str(roster_import.errors)
    assert not any(row["id_number"] in stored for row in rows)


def test_the_extra_comma_message_is_written_in_chinese_for_a_chinese_uploader(county_admin, places,
                                                                           django_capture_on_commit_callbacks):
    lines = [",".join(HEADINGS), ",".join(director()[c.field] for c in roster.COLUMNS) + ",,"]
    with django_capture_on_commit_callbacks(execute=True):
        roster_import = roster.roster_import_create(
            created_by=county_admin, upload=SimpleUploadedFile("r.csv", "\n".join(lines).encode()), language="zh-hans"
        )
    roster_import.refresh_from_db()

    assert roster_import.errors[0]["message"] == "每行比标题多2列：行尾是否多了逗号？"


def test_one_row_longer_than_the_headings_is_named(check):
    lines = [",".join(HEADINGS), ",".join(director()[c.field] for c in roster.COLUMNS)]
    lines.append(",".join(another_director(name="王,强")[c.field] for c in roster.COLUMNS))

    roster_import = check("\n".join(lines).encode())

    assert [(r, c) for r, c, _ in errors_of(roster_import)] == [(None, "")]
    assert roster_import.errors[0]["message"] == (
        "Row 3 has 1 more column than the headings: does a cell hold a comma without quotes around it?"
    )


def test_an_id_number_quoted_in_an_error_message_is_masked(check):
    # Columns pasted in the wrong order: the ID number lands in the sex column and is quoted there.
    row = director()
    roster_import = check(csv_bytes([director(sex=row["id_number"], id_number="")]))

    messages = " ".join(error["message"] for error in roster_import.errors)
    assert resident_id.mask(row["id_number"]) in messages
    assert row["id_number"] not in messages


def test_an_id_number_typed_into_a_number_cell_of_a_workbook_is_rejected(check):
    row = director()
    # Excel keeps 15 significant digits: the number it stores has lost the last three.
    number_cell = float(row["id_number"][:15] + "000")
    data = xlsx_bytes([[row["name"], row["sex"], number_cell] + [row[c.field] for c in roster.COLUMNS[3:]]])

    roster_import = check(data, name="roster.xlsx")

    assert [(r, c) for r, c, _ in errors_of(roster_import)] == [(2, "id_number")]
    assert "turned into a number by the spreadsheet" in roster_import.errors[0]["message"]
    assert "3.30102E+17" in roster_import.errors[0]["message"]


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"not a workbook", "roster.xlsx", "is not an Excel workbook"),
        (b"PK\x03\x04broken zip", "roster.xlsx", "could not be read as an Excel workbook"),
        (b"\xd0\xcf\x11\xe0old", "roster.xls", "old Excel file"),
        (b"name,sex\n", "roster.txt", "Upload the roster as an Excel workbook"),
        (b"", "roster.csv", "The file is empty"),
        ("姓名(name),性别(sex)\n张三,女\n".encode(), "roster.csv", "Missing columns: 身份证号码(id_number)"),
        (",".join(HEADINGS).encode() + b"\n,,,,,,,,,\n", "roster.csv", "no rows below its column headings"),
        (b"\xff\xfe\x00\x00\x81", "roster.csv", "neither UTF-8 nor GBK"),
    ],
    ids=[
        "text named xlsx", "damaged workbook", "old xls", "wrong type", "empty", "missing columns", "no rows", "binary",
    ],
)
def test_an_unusable_file_gives_one_clear_error(data, name, message, check):
    roster_import = check(data, name=name)

    assert roster_import.status == RosterImport.Status.INVALID
    assert len(roster_import.errors) == 1
    assert roster_import.errors[0]["row"] is None
    assert message in roster_import.errors[0]["message"]


def test_headings_may_be_chinese_or_english_alone_and_extra_columns_are_ignored(check):
    headings = [column.chinese if n % 2 else column.field for n, column in enumerate(roster.COLUMNS)] + ["备注"]
    row = director()
    output = io.StringIO()
    csv.writer(output).writerows([headings, [row[c.field] for c in roster.COLUMNS] + ["备注内容"]])

    assert check(output.getvalue().encode()).status == RosterImport.Status.VALID


@pytest.mark.parametrize(
    "text, day",
    [
        ("2024-03-01", datetime.date(2024, 3, 1)),
        ("2024/3/1", datetime.date(2024, 3, 1)),
        ("2024.03.01", datetime.date(2024, 3, 1)),
        ("2024-03-01 00:00:00", datetime.date(2024, 3, 1)),
        ("2024年3月1日", datetime.date(2024, 3, 1)),
        # Issue 12: a number in a text cell or a csv is not a date (2024 was read as 1905-07-16).
        ("45352", None),
        ("2024", None),
        ("2024-02-30", None),
        ("20240301", None),
        ("1800-01-01", None),
        ("soon", None),
        # One way of writing a date at a time: separators mixed are a typing slip, not a format.
        ("2024/03-01", None),
        ("2024年3-1", None),
        ("2024-3月1日", None),
    ],
)
def test_dates(text, day):
    assert roster.parse_date(text) == day


# Importing again --------------------------------------------------------------------------------------


def test_a_reimport_updates_people_and_closes_posts_instead_of_duplicating(check, confirm):
    confirm(check(csv_bytes([director(), another_director()])))
    person = Person.objects.get(name="陈静")
    before = counts()

    rows = [
        director(name="陈静怡", mobile="13900000011", end_date="2024-12-31"),  # renamed, new mobile, left
        director(name="陈静怡", mobile="13900000011", post="儿童督导员", region_code=TOWNSHIP, start_date="2025-01-01"),
        another_director(),  # unchanged
    ]
    roster_import = check(csv_bytes(rows))
    assert roster_import.summary == {
        "people_created": 0, "people_updated": 1, "people_moved": 0, "posts_opened": 1, "posts_closed": 1,
        "posts_updated": 0, "posts_reopened": 0,
    }
    # The new name is listed; the supervisor's post is a post of another kind, not a move.
    assert [(change["row"], change["change"]) for change in roster_import.changes] == [(2, "name")]
    roster_import = confirm(roster_import)

    assert roster_import.status == RosterImport.Status.DONE
    assert counts() == (before[0], before[1] + 1, before[2])
    person.refresh_from_db()
    assert (person.name, person.mobile) == ("陈静怡", "13900000011")
    assert person.user.phone == "13900000011"
    director_post = person.posts.get(kind=PostKind.CHILD_DIRECTOR)
    assert director_post.end_date == datetime.date(2024, 12, 31)
    assert person.posts.get(kind=PostKind.CHILD_SUPERVISOR).end_date is None


def test_a_changed_end_date_is_counted_as_an_update(check, confirm):
    confirm(check(csv_bytes([director(end_date="2024-06-30")])))

    roster_import = confirm(check(csv_bytes([director(end_date="2024-07-31")])))

    assert roster_import.summary["posts_updated"] == 1
    assert Post.objects.get().end_date == datetime.date(2024, 7, 31)


def test_a_person_on_the_roster_without_an_account_gets_one(check, confirm):
    PersonFactory(id_number=director()["id_number"], name="陈静", mobile="13900000001", sex="female",
                  professional_category="social_worker")

    roster_import = confirm(check(csv_bytes([director()])))

    assert roster_import.summary["people_updated"] == 0
    assert Person.objects.get(name="陈静").user.phone == "13900000001"


def test_applying_twice_gives_the_same_result_and_no_duplicates(check, confirm):
    roster_import = confirm(check(csv_bytes([director(), another_director()])))
    after_first = counts()

    apply_roster_import.delay(str(roster_import.pk))  # the task's message delivered twice
    roster.roster_import_apply(roster_import=roster_import)
    assert not roster.roster_import_confirm(roster_import=roster_import)  # a second click on Confirm

    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.DONE
    assert counts() == after_first
    assert Post.objects.filter(person__name="陈静").count() == 1


def test_the_apply_task_applies_only_a_confirmed_file(check):
    good = check(csv_bytes([director()]))
    bad = check(csv_bytes([another_director(name="")]))
    RosterImport.objects.filter(pk=good.pk).update(status=RosterImport.Status.CONFIRMED)

    apply_roster_import.delay(str(good.pk))
    apply_roster_import.delay(str(bad.pk))

    good.refresh_from_db(), bad.refresh_from_db()
    assert (good.status, bad.status) == (RosterImport.Status.DONE, RosterImport.Status.INVALID)
    assert Person.objects.filter(name="陈静").exists()


def test_a_checked_file_nobody_confirmed_is_not_applied_by_a_stray_message(check):
    unconfirmed = check(csv_bytes([director()]))

    apply_roster_import.delay(str(unconfirmed.pk))

    unconfirmed.refresh_from_db()
    assert unconfirmed.status == RosterImport.Status.VALID and not Person.objects.filter(name="陈静").exists()


def test_an_apply_that_fails_half_way_writes_nothing_and_its_retry_writes_everything_once(check, monkeypatch):
    before = counts()
    roster_import = check(csv_bytes([director(), another_director()]))
    RosterImport.objects.filter(pk=roster_import.pk).update(status=RosterImport.Status.CONFIRMED)
    roster_import.refresh_from_db()
    attempts = []

    def accounts_then_lost_connection(*, people):
        attempts.append(accounts_for_people(people=people))
        if len(attempts) == 1:  # people, posts and accounts written, then the connection drops
            raise OperationalError("server closed the connection unexpectedly")
        return attempts[-1]

    monkeypatch.setattr(roster, "accounts_for_people", accounts_then_lost_connection)
    with pytest.raises(OperationalError):
        roster.roster_import_apply(roster_import=roster_import)
    assert counts() == before
    # What the task does before its retry (academy.job_tasks): the import goes back to confirmed, for the retry.
    assert job_requeue(RosterImport, roster_import.pk)
    roster.roster_import_apply(roster_import=roster_import)

    assert len(attempts) == 2
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.DONE
    assert counts() == (before[0] + 2, before[1] + 2, before[2] + 2)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once need PostgreSQL")
@pytest.mark.parametrize("second_start", ["2023-01-01", "2024-06-01"], ids=["same posts", "same posts, later start"])
def test_two_imports_giving_the_same_people_the_same_posts_at_once_make_each_post_once(
    zhejiang_regions, check, second_start,
):
    # Issue 12: two administrators importing at the same moment made every post twice. The database keeps
    # one open post of a kind per person and place; the import it refuses checks again at once: the same
    # posts are already there (done), a post given from another date is named on its row (refused).
    rows = [director(), another_director()]
    for row in rows:
        person = PersonFactory(name=row["name"], mobile=row["mobile"])
        person.set_id_number(row["id_number"])
        person.save()
        accounts_for_people(people=[person])
    first = check(csv_bytes(rows))
    second = check(csv_bytes([{**row, "start_date": second_start} for row in rows]))
    assert [item.status for item in (first, second)] == [RosterImport.Status.VALID] * 2
    # Both administrators confirm their preview; the applies then run at the same moment.
    RosterImport.objects.filter(pk__in=[first.pk, second.pk]).update(status=RosterImport.Status.CONFIRMED)
    barrier = threading.Barrier(2)

    def apply(roster_import):
        barrier.wait()
        try:
            apply_roster_import.apply(args=[str(roster_import.pk)])
        finally:
            connection.close()

    threads = [threading.Thread(target=apply, args=(item,)) for item in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Post.objects.filter(person__name__in=["陈静", "王强"]).count() == 2
    outcomes = sorted(RosterImport.objects.filter(pk__in=[first.pk, second.pk]), key=lambda item: item.status)
    if second_start == "2023-01-01":
        assert [item.status for item in outcomes] == [RosterImport.Status.DONE] * 2
    else:
        assert [item.status for item in outcomes] == [RosterImport.Status.DONE, RosterImport.Status.INVALID]
        refused = outcomes[1]
        assert [(error["row"], error["field"]) for error in refused.errors] == [(2, "start_date"), (3, "start_date")]
        assert "already holds this post here from" in refused.errors[0]["message"]


def test_a_second_identical_file_changes_nothing(check, confirm):
    confirm(check(csv_bytes([director(), another_director()])))
    before = counts()

    roster_import = confirm(check(csv_bytes([director(), another_director()])))

    assert roster_import.summary == {
        "people_created": 0, "people_updated": 0, "people_moved": 0, "posts_opened": 0, "posts_closed": 0,
        "posts_updated": 0, "posts_reopened": 0,
    }
    assert roster_import.changes == []
    assert counts() == before


# An import never undoes a later change without saying so (issue 12) ----------------------------------

OTHER_VILLAGE = "330102001202"  # 柳浪村


def changes_of(roster_import) -> list[tuple]:
    return [(change["row"], change["change"]) for change in roster_import.changes]


def open_director_posts(name: str) -> list[tuple]:
    return list(
        Post.objects.filter(person__name=name, kind=PostKind.CHILD_DIRECTOR, end_date__isnull=True)
        .values_list("region_id", "start_date")
    )


@pytest.fixture
def she_left(check, confirm, county_admin):
    """陈静 imported as the director of 清波村 from 2023-01-01; her post then ended on 2024-06-30 on her page."""
    confirm(check(csv_bytes([director(), another_director()])))
    post = Post.objects.get(person__name="陈静")
    return post_close(post=post, end_date=datetime.date(2024, 6, 30), actor=county_admin)


def test_an_older_file_lists_the_post_it_would_reopen_and_keeps_it_closed_without_the_choice(
    check, confirm, she_left,
):
    roster_import = check(csv_bytes([director(), another_director()]))  # last year's file, uploaded again

    assert roster_import.status == RosterImport.Status.VALID
    assert roster_import.summary["posts_updated"] == 0  # no longer hidden among "changed end dates"
    assert roster_import.changes == [{
        "row": 2, "change": "reopen", "name": "陈静", "id_number": she_left.person.id_number_masked,
        "post": "child_director", "place": "清波村", "start": "2023-01-01", "end": "2024-06-30",
        "blocked_by_place": None, "blocked_by_start": None,
    }]

    roster_import = confirm(roster_import)

    assert roster_import.status == RosterImport.Status.DONE
    assert roster_import.reopen_closed_posts is False
    assert roster_import.summary["posts_reopened"] == 0
    she_left.refresh_from_db()
    assert she_left.end_date == datetime.date(2024, 6, 30)


def test_the_post_is_reopened_when_the_administrator_chooses_to(check, confirm, she_left, county_admin):
    roster_import = confirm(check(csv_bytes([director()])), reopen_closed_posts=True)

    assert roster_import.status == RosterImport.Status.DONE
    assert roster_import.summary["posts_reopened"] == 1
    she_left.refresh_from_db()
    assert she_left.end_date is None
    entry = AuditEntry.objects.filter(action=AuditAction.ROSTER_APPLIED).latest("pk")
    assert entry.detail["posts_reopened"] == 1 and entry.detail["reopen_closed_posts"] is True


def test_a_post_is_not_reopened_when_the_person_has_since_taken_the_post_elsewhere(check, confirm, she_left):
    """She moved to 柳浪村 on her page; last year's file still has her at 清波村."""
    PostFactory(person=she_left.person, region=Region.objects.get(code=OTHER_VILLAGE),
                start_date=datetime.date(2024, 7, 1))

    roster_import = check(csv_bytes([director()]))

    [change] = roster_import.changes
    assert (change["change"], change["blocked_by_place"], change["blocked_by_start"]) == (
        "reopen", "柳浪村", "2024-07-01",
    )
    roster_import = confirm(roster_import, reopen_closed_posts=True)
    assert roster_import.status == RosterImport.Status.DONE
    assert open_director_posts("陈静") == [(OTHER_VILLAGE, datetime.date(2024, 7, 1))]


def test_a_post_is_not_reopened_when_the_same_file_gives_her_the_post_elsewhere(check, confirm, she_left):
    rows = [director(), director(region_code=OTHER_VILLAGE, start_date="2024-07-01")]

    roster_import = check(csv_bytes(rows))

    assert [(change["row"], change["change"], change["blocked_by_place"]) for change in roster_import.changes] == [
        (2, "reopen", "柳浪村"),
    ]
    roster_import = confirm(roster_import, reopen_closed_posts=True)
    assert roster_import.status == RosterImport.Status.DONE, roster_import.errors
    assert open_director_posts("陈静") == [(OTHER_VILLAGE, datetime.date(2024, 7, 1))]


def test_a_choice_made_on_a_preview_the_roster_no_longer_matches_is_checked_again(
    check, confirm, she_left, county_admin,
):
    """Between the preview and the confirmation her end date was corrected: the choice was about another
    post than the one now there, so nothing is applied and the new preview is shown for a new choice."""
    roster_import = check(csv_bytes([director()]))
    post_close(post=she_left, end_date=datetime.date(2024, 9, 30), actor=county_admin)

    roster_import = confirm(roster_import, reopen_closed_posts=True)

    assert roster_import.status == RosterImport.Status.VALID
    assert roster_import.rechecked_at is not None
    assert roster_import.reopen_closed_posts is None
    assert roster_import.changes[0]["end"] == "2024-09-30"
    she_left.refresh_from_db()
    assert she_left.end_date == datetime.date(2024, 9, 30)

    roster_import = confirm(roster_import, reopen_closed_posts=True)

    assert roster_import.status == RosterImport.Status.DONE
    she_left.refresh_from_db()
    assert she_left.end_date is None


def test_a_confirmation_of_an_older_preview_is_refused(check, she_left):
    roster_import = check(csv_bytes([director()]))

    assert not roster.roster_import_confirm(
        roster_import=roster_import, reopen_closed_posts=True, preview_digest="not-what-was-shown",
    )
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.VALID


def test_a_new_village_and_start_date_on_a_directors_row_moves_her(check, confirm, places):
    confirm(check(csv_bytes([director()])))
    old_post = Post.objects.get(person__name="陈静")

    roster_import = check(csv_bytes([director(region_code=OTHER_VILLAGE, start_date="2024-07-01")]))

    assert roster_import.status == RosterImport.Status.VALID
    assert roster_import.changes == [{
        "row": 2, "change": "move", "name": "陈静", "id_number": old_post.person.id_number_masked,
        "post": "child_director", "from_place": "清波村", "from_start": "2023-01-01", "from_end": "2024-06-30",
        "to_place": "柳浪村", "to_start": "2024-07-01",
    }]
    assert roster_import.summary["people_moved"] == 1 and roster_import.summary["posts_opened"] == 1

    roster_import = confirm(roster_import)

    assert roster_import.status == RosterImport.Status.DONE
    old_post.refresh_from_db()
    assert old_post.end_date == datetime.date(2024, 6, 30)  # the day before the new post's first
    assert open_director_posts("陈静") == [(OTHER_VILLAGE, datetime.date(2024, 7, 1))]


def test_a_row_whose_village_alone_was_edited_asks_for_the_day_of_the_move(check, confirm):
    """The issue's case: the old post stayed open and she held two director posts."""
    confirm(check(csv_bytes([director()])))
    before = counts()

    roster_import = check(csv_bytes([director(region_code=OTHER_VILLAGE)]))

    assert roster_import.status == RosterImport.Status.INVALID
    [(row, column, message)] = errors_of(roster_import)
    assert (row, column) == (2, "start_date")
    assert "清波村" in message and "2023-01-01" in message
    confirm(roster_import)
    assert counts() == before
    assert open_director_posts("陈静") == [(VILLAGE, datetime.date(2023, 1, 1))]


@pytest.mark.parametrize("post, old, new", [
    ("儿童督导员", {"region_code": TOWNSHIP}, {"region_code": "330102003"}),
    ("孤残儿童护理员", {"region_code": "", "institution_code": "MP-330102"},
     {"region_code": "", "institution_code": "CW-330102"}),
], ids=["supervisor to another township", "carer to another institution"])
def test_a_supervisor_or_carer_given_another_place_is_moved_too(check, confirm, post, old, new):
    InstitutionFactory(code="CW-330102", name="上城区儿童福利院", run_level=RunLevel.COUNTY)
    confirm(check(csv_bytes([director(post=post, **old)])))

    roster_import = confirm(check(csv_bytes([director(post=post, start_date="2025-03-01", **new)])))

    assert roster_import.status == RosterImport.Status.DONE, roster_import.errors
    assert changes_of(roster_import) == [(2, "move")]
    posts = Post.objects.filter(person__name="陈静").order_by("start_date")
    assert [(post.start_date, post.end_date) for post in posts] == [
        (datetime.date(2023, 1, 1), datetime.date(2025, 2, 28)), (datetime.date(2025, 3, 1), None),
    ]


def test_a_file_with_several_moves_of_one_person_applies_them_in_date_order(check, confirm):
    RegionFactory(code="330102001203", name="南星村", level="village", parent_id=TOWNSHIP)
    confirm(check(csv_bytes([director()])))

    rows = [
        director(region_code="330102001203", start_date="2025-01-01"),
        director(region_code=OTHER_VILLAGE, start_date="2024-07-01", end_date="2024-12-31"),
    ]
    roster_import = confirm(check(csv_bytes(rows)))

    assert roster_import.status == RosterImport.Status.DONE, roster_import.errors
    assert changes_of(roster_import) == [(3, "move")]
    posts = Post.objects.filter(person__name="陈静").order_by("start_date")
    assert [(post.region_id, post.end_date) for post in posts] == [
        (VILLAGE, datetime.date(2024, 6, 30)), (OTHER_VILLAGE, datetime.date(2024, 12, 31)),
        ("330102001203", None),
    ]


def test_a_person_moved_away_and_back_in_one_file_holds_one_open_post(check, confirm):
    """The old post at 清波村 is ended before her new post there is written: the database keeps one open post
    of a kind per person and place, and would refuse the file otherwise."""
    confirm(check(csv_bytes([director()])))

    rows = [
        director(region_code=OTHER_VILLAGE, start_date="2024-07-01", end_date="2024-12-31"),
        director(start_date="2025-01-01"),
    ]
    roster_import = confirm(check(csv_bytes(rows)))

    assert roster_import.status == RosterImport.Status.DONE, roster_import.errors
    posts = Post.objects.filter(person__name="陈静").order_by("start_date")
    assert [(post.region_id, post.end_date) for post in posts] == [
        (VILLAGE, datetime.date(2024, 6, 30)), (OTHER_VILLAGE, datetime.date(2024, 12, 31)), (VILLAGE, None),
    ]


def test_a_file_ending_a_post_and_giving_it_again_there_later_is_applied(check, confirm):
    confirm(check(csv_bytes([director()])))

    roster_import = confirm(check(csv_bytes([director(end_date="2024-06-30"), director(start_date="2025-01-01")])))

    assert roster_import.status == RosterImport.Status.DONE, roster_import.errors
    assert list(Post.objects.filter(person__name="陈静").order_by("start_date").values_list("end_date", flat=True)) == [
        datetime.date(2024, 6, 30), None,
    ]


def test_a_changed_name_is_listed_with_the_old_and_the_new(check, confirm):
    confirm(check(csv_bytes([director(), another_director()])))
    person = Person.objects.get(name="陈静")

    roster_import = check(csv_bytes([another_director(), director(name="陈静怡", mobile="13900000011")]))

    assert roster_import.changes == [{
        "row": 3, "change": "name", "name": "陈静", "id_number": person.id_number_masked,
        "from_name": "陈静", "to_name": "陈静怡",
    }]
    confirm(roster_import)
    person.refresh_from_db()
    assert person.name == "陈静怡"


# Scope ------------------------------------------------------------------------------------------------


def test_a_city_administrator_may_import_townships_of_any_county_of_the_city(check):
    city_admin = UserFactory(admin_region=Region.objects.get(code="3301"))
    rows = [director(post="儿童督导员", region_code=OTHER_COUNTY_TOWNSHIP)]

    assert check(csv_bytes(rows), user=city_admin).status == RosterImport.Status.VALID


def test_a_county_administrator_is_refused_another_countys_regions_on_every_row(check):
    rows = [
        director(post="儿童督导员", region_code=OTHER_COUNTY_TOWNSHIP),
        another_director(post="儿童督导员", region_code="330106001"),
    ]
    roster_import = check(csv_bytes(rows))

    assert [(row, column) for row, column, _ in errors_of(roster_import)] == [(2, "region_code"), (3, "region_code")]
    assert Region.objects.get(code=OTHER_COUNTY_TOWNSHIP).name in roster_import.errors[0]["message"]


# People managed elsewhere (issue 10) -------------------------------------------------------------------

XIHU_TOWNSHIP = "330106004"  # 西溪街道, 西湖区
LIANDU_TOWNSHIP = "331102001"  # 紫金街道, 莲都区, 丽水市


@pytest.fixture
def xihu_admin():
    return UserFactory(admin_region=Region.objects.get(code="330106"))


@pytest.fixture
def liandu_supervisor():
    """A 莲都区 supervisor with a claimed account, as in the demo."""
    post = PostFactory(
        person=PersonFactory(name="莲都督导", mobile="13700000001", id_number=make_id_number("331102")),
        kind=PostKind.CHILD_SUPERVISOR, region=Region.objects.get(code=LIANDU_TOWNSHIP),
    )
    UserFactory(person=post.person, phone="13700000001")
    return post.person


def takeover_row(person, **values) -> dict:
    """The row of the report: the person's ID number with a new name and mobile, in 西湖区."""
    return director(**{
        "id_number": person.id_number, "name": "冒名", "mobile": "13900000099", "post": "儿童督导员",
        "region_code": XIHU_TOWNSHIP, **values,
    })


def test_a_row_naming_someone_managed_in_another_city_is_refused_and_changes_nothing(
    check, confirm, xihu_admin, liandu_supervisor,
):
    before = counts()
    roster_import = check(csv_bytes([takeover_row(liandu_supervisor)]), user=xihu_admin)

    assert roster_import.status == RosterImport.Status.INVALID
    assert [(row, column) for row, column, _ in errors_of(roster_import)] == [(2, "id_number")]
    message = roster_import.errors[0]["message"]
    assert "丽水市莲都区" in message and liandu_supervisor.id_number not in message
    assert "people_updated" not in roster_import.summary

    confirm(roster_import)
    liandu_supervisor.refresh_from_db()
    assert (liandu_supervisor.name, liandu_supervisor.mobile) == ("莲都督导", "13700000001")
    assert liandu_supervisor.user.phone == "13700000001"
    assert counts() == before


def test_the_refusal_is_written_in_chinese_for_a_chinese_uploader(xihu_admin, liandu_supervisor, places,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        roster_import = roster.roster_import_create(
            created_by=xihu_admin, upload=SimpleUploadedFile("r.csv", csv_bytes([takeover_row(liandu_supervisor)])),
            language="zh-hans",
        )
    roster_import.refresh_from_db()
    assert "由丽水市莲都区管理" in roster_import.errors[0]["message"]


def test_someone_given_a_post_elsewhere_after_the_preview_is_refused_when_applying(
    check, confirm, xihu_admin, liandu_supervisor,
):
    """The preview was good (their 莲都区 post had ended); 莲都区 takes them on again before the confirmation."""
    old_post = liandu_supervisor.posts.get()
    Post.objects.filter(pk=old_post.pk).update(end_date=datetime.date(2024, 6, 30))
    roster_import = check(csv_bytes([takeover_row(liandu_supervisor)]), user=xihu_admin)
    assert roster_import.status == RosterImport.Status.VALID
    PostFactory(
        person=liandu_supervisor, kind=PostKind.CHILD_SUPERVISOR, region=Region.objects.get(code="331102002"),
        start_date=datetime.date(2024, 7, 1),
    )

    roster_import = confirm(roster_import)

    assert roster_import.status == RosterImport.Status.INVALID
    assert "丽水市莲都区" in roster_import.errors[0]["message"]
    liandu_supervisor.refresh_from_db()
    assert liandu_supervisor.name == "莲都督导" and liandu_supervisor.posts.count() == 2


def test_a_person_also_heading_a_city_run_home_is_refused_to_the_county(check, places):
    """Inside the county's own region, but the city-run home is the city's: 杭州市 manages them too."""
    person = PostFactory(
        person=PersonFactory(name="陈静", mobile="13900000001", id_number=director()["id_number"]),
        kind=PostKind.INSTITUTION_HEAD, institution=places["city_home"],
    ).person

    roster_import = check(csv_bytes([director(name="陈静怡")]))

    assert errors_of(roster_import)[0][:2] == (2, "id_number")
    assert "杭州市" in roster_import.errors[0]["message"]
    person.refresh_from_db()
    assert person.name == "陈静"


def test_a_person_whose_post_was_ended_by_their_region_is_taken_on_by_the_new_one(
    check, confirm, xihu_admin, liandu_supervisor,
):
    """The transfer: 莲都区 ends the post (today is the last day), then 西湖区 imports the new post."""
    liandu_admin = UserFactory(admin_region=Region.objects.get(code="331102"))
    old_post = post_close(post=liandu_supervisor.posts.get(), end_date=timezone.localdate(), actor=liandu_admin)

    row = takeover_row(liandu_supervisor, name="莲都督导", mobile="13700000001")  # 社工 now: a change 西湖区 may make
    roster_import = confirm(check(csv_bytes([row]), user=xihu_admin))

    assert roster_import.status == RosterImport.Status.DONE, roster_import.errors
    assert roster_import.summary["people_updated"] == 1 and roster_import.summary["posts_opened"] == 1
    liandu_supervisor.refresh_from_db()
    assert liandu_supervisor.professional_category == "social_worker"
    new_post = liandu_supervisor.posts.exclude(pk=old_post.pk).get()
    assert new_post.region_id == XIHU_TOWNSHIP and new_post.end_date is None
    old_post.refresh_from_db()
    assert old_post.end_date == timezone.localdate()


def test_an_administrator_over_both_regions_moves_a_person_directly(check, confirm, liandu_supervisor):
    province_admin = UserFactory(admin_region=Region.objects.get(code="33"))
    row = takeover_row(liandu_supervisor, name="莲都督导", start_date="2024-07-01")

    roster_import = confirm(check(csv_bytes([row]), user=province_admin))

    assert roster_import.status == RosterImport.Status.DONE, roster_import.errors
    assert [change["change"] for change in roster_import.changes] == ["move"]
    # A move, not a second post: the 莲都区 post ends the day before the 西湖区 one begins.
    assert set(liandu_supervisor.posts.values_list("region_id", "end_date")) == {
        (LIANDU_TOWNSHIP, datetime.date(2024, 6, 30)), (XIHU_TOWNSHIP, None),
    }


def test_an_applied_import_is_one_audit_entry_with_its_counts(check, confirm, county_admin):
    roster_import = confirm(check(csv_bytes([director(), another_director()]), name="上城区名册.csv"))

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.region_code) == (AuditAction.ROSTER_APPLIED, county_admin, "330102")
    assert entry.object_id == str(roster_import.pk)
    assert entry.detail == {
        "file_name": "上城区名册.csv", "rows": 2, "people_created": 2, "people_updated": 0, "people_moved": 0,
        "posts_opened": 2, "posts_closed": 0, "posts_updated": 0, "posts_reopened": 0, "reopen_closed_posts": None,
    }


# Template and tasks -----------------------------------------------------------------------------------


def test_the_xlsx_template_has_text_id_columns_and_its_example_row_is_refused(check):
    data = roster.template_xlsx()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [cell.value for cell in sheet[1]] == HEADINGS
    assert sheet["C2"].value == roster.EXAMPLE_ID_NUMBER
    assert sheet["C3"].number_format == "@" and sheet["D3"].number_format == "@"

    roster_import = check(data, name="import_template.xlsx")

    assert errors_of(roster_import)[0][:2] == (2, "id_number")
    assert "example row" in roster_import.errors[0]["message"]


def test_the_csv_template_has_the_headings_and_an_example(check):
    lines = roster.template_csv().decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == HEADINGS
    assert roster.EXAMPLE_ID_NUMBER in lines[1]


def test_a_task_that_fails_marks_the_import_failed(check, county_admin, monkeypatch):
    roster_import = RosterImport.objects.create(created_by=county_admin, file_name="x.csv", file="roster-imports/x.csv")

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(roster, "roster_import_validate", broken)
    with pytest.raises(RuntimeError):
        validate_roster_import.delay(str(roster_import.pk))

    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.FAILED
    assert roster_import.failure_message == "RuntimeError: disk on fire"


def test_progress_is_a_percentage_of_the_rows():
    roster_import = RosterImport(total=400, done=100, status=RosterImport.Status.VALIDATING)
    assert roster_import.progress == 25
    assert RosterImport(total=0).progress == 0


def test_error_reports_kept_from_before_have_their_id_numbers_masked_by_the_migration(county_admin):
    migration = importlib.import_module("academy.organisation.migrations.0004_post_one_open_per_person_kind_place")
    number = director()["id_number"]
    kept = RosterImport.objects.create(created_by=county_admin, file_name="old.csv", errors=[
        {"row": 2, "column": "性别(sex)", "field": "sex", "message": f"Write 男 or 女 (male or female), not {number}."},
    ])

    migration.mask_id_numbers_in_import_errors(django_apps, None)

    kept.refresh_from_db()
    assert kept.errors[0]["message"] == f"Write 男 or 女 (male or female), not {resident_id.mask(number)}."
    assert kept.errors[0]["row"] == 2
