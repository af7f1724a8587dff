"""The roster import pages: upload, check, preview, confirm, result; and who may see them."""
import datetime
import io
import re
import uuid

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from academy.accounts.services import account_for_person
from academy.jobs import JOB_INTERRUPTED
from academy.organisation.models import Person, Post, Region, RosterImport
from tests.factories import PersonFactory, PostFactory, RegionFactory, UserFactory, make_id_number
from tests.organisation.test_roster import VILLAGE, another_director, csv_bytes, director

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def village():
    return RegionFactory(code=VILLAGE, name="清波村", level="village", parent_id="330102001", is_synthetic=True)


@pytest.fixture
def county_admin():
    return UserFactory(admin_region=Region.objects.get(code="330102"))


@pytest.fixture
def admin_client(client, county_admin):
    client.force_login(county_admin)
    return client


def upload(client, data, name="roster.csv", capture=None):
    with capture(execute=True):
        return client.post(reverse("organisation:import_new"), {"file": SimpleUploadedFile(name, data)})


def test_upload_check_preview_confirm_and_result(admin_client, village, django_capture_on_commit_callbacks):
    page = admin_client.get(reverse("organisation:import_new"))
    assert page.status_code == 200
    assert reverse("organisation:import_template", args=["xlsx"]) in page.content.decode()

    response = upload(admin_client, csv_bytes([director(), another_director(region_code=VILLAGE)]),
                      capture=django_capture_on_commit_callbacks)
    roster_import = RosterImport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("organisation:import_detail", args=[roster_import.pk])

    preview = admin_client.get(response.url).content.decode()
    assert "Ready to apply" in preview
    assert "People added</dt><dd>2</dd>" in preview.replace("\n", "")
    assert reverse("organisation:import_confirm", args=[roster_import.pk]) in preview
    assert not Person.objects.filter(name="陈静").exists()

    status = admin_client.get(reverse("organisation:import_status", args=[roster_import.pk])).json()
    assert status == {
        "status": "valid", "status_label": "Ready to apply", "running": False, "progress": 100,
        "processed_rows": 2, "total_rows": 2,
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("organisation:import_confirm", args=[roster_import.pk]))
    assert response.status_code == 302
    result = admin_client.get(response.url).content.decode()
    assert "The roster was applied" in result
    assert Person.objects.filter(name="陈静").exists()

    listing = admin_client.get(reverse("organisation:import_list")).content.decode()
    assert "roster.csv" in listing and "Applied" in listing


def test_a_bad_file_shows_every_bad_row_and_no_confirm_button(admin_client, village,
                                                              django_capture_on_commit_callbacks):
    rows = [director(id_number="3.30102E+17"), another_director(region_code="330102001999", start_date="2024-13-01")]
    response = upload(admin_client, csv_bytes(rows), capture=django_capture_on_commit_callbacks)

    page = admin_client.get(response.url).content.decode()
    assert "Nothing was imported." in page
    assert "The file has 3 errors." in page
    assert "身份证号码(id_number)" in page and "turned into a number by the spreadsheet" in page
    assert "区划代码(region_code)" in page and "There is no region with the code 330102001999." in page
    assert "任职开始日期(start_date)" in page and "2024-13-01 is not a date" in page
    assert 'data-label="Row">2<' in page and 'data-label="Row">3<' in page
    assert "import_confirm" not in page and "/confirm/" not in page


def test_an_upload_of_the_wrong_type_is_refused_by_the_form(admin_client, django_capture_on_commit_callbacks):
    response = upload(admin_client, b"data", name="roster.pdf", capture=django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert "Upload the roster as an Excel workbook (.xlsx) or a CSV file (.csv)." in response.content.decode()
    assert not RosterImport.objects.exists()


def test_a_running_import_shows_a_progress_bar_that_polls_its_status(admin_client, county_admin):
    roster_import = RosterImport.objects.create(
        created_by=county_admin, file_name="big.xlsx", status=RosterImport.Status.VALIDATING,
        total=25000, done=5000,
    )

    page = admin_client.get(reverse("organisation:import_detail", args=[roster_import.pk])).content.decode()

    assert 'data-job-status-url="%s"' % reverse("organisation:import_status", args=[roster_import.pk]) in page
    assert 'aria-valuenow="20"' in page and "Checked 5000 of 25000 rows" in page
    assert "/static/js/job_progress.js" in page
    assert "http://" not in page.split("<body", 1)[1] and "https://" not in page  # no remote assets
    status = admin_client.get(reverse("organisation:import_status", args=[roster_import.pk])).json()
    assert (status["running"], status["progress"]) == (True, 20)


def test_confirming_twice_applies_once(admin_client, village, django_capture_on_commit_callbacks):
    upload(admin_client, csv_bytes([director()]), capture=django_capture_on_commit_callbacks)
    roster_import = RosterImport.objects.get()
    url = reverse("organisation:import_confirm", args=[roster_import.pk])

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url)
        admin_client.post(url)

    assert Person.objects.filter(name="陈静").count() == 1
    assert Person.objects.get(name="陈静").posts.count() == 1


def test_with_the_broker_down_an_upload_is_kept_and_its_page_says_it_starts_later(admin_client, village, dead_broker):
    response = admin_client.post(
        reverse("organisation:import_new"), {"file": SimpleUploadedFile("roster.csv", csv_bytes([director()]))}
    )

    roster_import = RosterImport.objects.get()
    assert response.status_code == 302 and response.url == roster_import.get_absolute_url()
    assert roster_import.status == RosterImport.Status.PENDING and roster_import.is_unqueued and roster_import.file
    page = admin_client.get(response.url).content.decode()
    assert "The background service cannot be reached just now." in page
    assert "starts by itself once the service is back" in page


def failed_import(county_admin) -> RosterImport:
    """An import whose worker died while applying: failed by the sweep, its upload deleted."""
    return RosterImport.objects.create(
        created_by=county_admin, file_name="roster.csv", status=RosterImport.Status.FAILED, total=1,
        failure_message=JOB_INTERRUPTED,
    )


def test_a_failed_import_asks_for_its_file_again_and_the_retry_checks_and_applies_it(
    admin_client, county_admin, village, django_capture_on_commit_callbacks,
):
    roster_import = failed_import(county_admin)
    page = admin_client.get(roster_import.get_absolute_url()).content.decode()
    assert "The import stopped before it was finished. Nothing was imported." in page
    assert "The background job was interrupted: the process running it stopped. It can be retried." in page
    assert "The uploaded file was deleted when the import stopped, as it holds ID numbers." in page
    retry_url = reverse("organisation:import_retry", args=[roster_import.pk])
    assert f'action="{retry_url}"' in page and 'enctype="multipart/form-data"' in page and 'type="file"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(retry_url, {"file": SimpleUploadedFile("roster.csv", csv_bytes([director()]))})
    assert response.status_code == 302
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.VALID and roster_import.failure_message == ""
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("organisation:import_confirm", args=[roster_import.pk]))
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.DONE and not roster_import.file
    assert Person.objects.filter(name="陈静").count() == 1


def test_a_retry_needs_the_file_and_only_a_failed_import_is_retried(
    admin_client, county_admin, valid_import, django_capture_on_commit_callbacks,
):
    roster_import = failed_import(county_admin)
    response = admin_client.post(reverse("organisation:import_retry", args=[roster_import.pk]), follow=True)
    assert RosterImport.objects.get(pk=roster_import.pk).status == RosterImport.Status.FAILED
    assert "This field is required." in response.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("organisation:import_retry", args=[valid_import.pk]),
            {"file": SimpleUploadedFile("roster.csv", csv_bytes([director()]))}, follow=True,
        )
    assert "Only a failed import can be retried." in response.content.decode()
    assert RosterImport.objects.get(pk=valid_import.pk).status == RosterImport.Status.VALID


# Reopenings, moves and name changes, row by row (issue 12) ----------------------------------------------

THIRD_ID_NUMBER = make_id_number("330102", datetime.date(1990, 2, 3), 55)


def text_of(html: str) -> str:
    """The page's text as a person reads it: tags gone, white space collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture
def later_changes(village):
    """The roster as changes made since last year's file left it: 陈静's post at 清波村 ended on 2024-06-30,
    王强 is still the director of 清波村, and 李明 is written 李明."""
    RegionFactory(code="330102001202", name="柳浪村", level="village", parent_id="330102001", is_synthetic=True)
    people = {}
    for row, end_date in ((director(), datetime.date(2024, 6, 30)), (another_director(), None),
                          (director(name="李明", id_number=THIRD_ID_NUMBER, mobile="13900000003"), None)):
        person = PersonFactory(
            name=row["name"], id_number=row["id_number"], mobile=row["mobile"],
            sex="female" if row["sex"] == "女" else "male",
            professional_category="social_worker" if row["professional_category"] == "社工" else "none",
        )
        PostFactory(person=person, region=village, start_date=datetime.date(2023, 1, 1), end_date=end_date)
        people[person.name] = person
    return people


def last_years_file() -> bytes:
    """陈静 still at 清波村 with no end date; 王强 moved to 柳浪村 on 2024-07-01; 李明 renamed 李明华."""
    return csv_bytes([
        director(),
        another_director(start_date="2024-07-01"),
        director(name="李明华", id_number=THIRD_ID_NUMBER, mobile="13900000003"),
    ])


def preview_of(client, capture) -> tuple[RosterImport, str]:
    response = upload(client, last_years_file(), capture=capture)
    return RosterImport.objects.get(), client.get(response.url).content.decode()


def test_the_preview_lists_each_reopening_move_and_name_change_on_its_row(
    admin_client, later_changes, django_capture_on_commit_callbacks,
):
    roster_import, page = preview_of(admin_client, django_capture_on_commit_callbacks)
    masked = {name: person.id_number_masked for name, person in later_changes.items()}

    text = text_of(page)
    assert "Reopenings, moves and name changes (3)" in text
    assert (
        f"2 陈静 ({masked['陈静']}) Reopen a closed post Child director at 清波村 from 2023-01-01; end date "
        "2024-06-30 No end date, if you choose below to reopen it"
    ) in text
    assert (
        f"3 王强 ({masked['王强']}) Move Child director at 清波村 from 2023-01-01 柳浪村 from 2024-07-01; the post "
        "at 清波村 ends the day before, on 2024-06-30"
    ) in text
    assert f"4 李明 ({masked['李明']}) Name change 李明 李明华" in text
    assert "This file would reopen 1 closed post." in text
    assert "Posts with a changed end date 0" in text and "People moved 1" in text
    for person in later_changes.values():
        assert person.id_number not in page
    # The choice must be made: both answers are offered, neither is chosen beforehand.
    radios = re.findall(r'<input type="radio" name="reopen_closed_posts"[^>]*>', page)
    assert [re.search(r'value="(\w+)"', radio).group(1) for radio in radios] == ["keep", "reopen"]
    assert all(" required" in radio and "checked" not in radio for radio in radios)


def test_confirming_without_a_choice_about_reopening_applies_nothing(
    admin_client, later_changes, django_capture_on_commit_callbacks,
):
    roster_import, _page = preview_of(admin_client, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("organisation:import_confirm", args=[roster_import.pk]), {"preview": roster_import.changes_digest},
            follow=True,
        )

    assert "Choose whether to reopen the closed posts listed or keep them closed." in response.content.decode()
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.VALID
    assert Person.objects.filter(name="李明").exists()


@pytest.mark.parametrize("choice, end_date, outcome", [
    ("keep", datetime.date(2024, 6, 30), "Kept closed: end date 2024-06-30"),
    ("reopen", None, "Reopened: no end date"),
])
def test_the_administrators_choice_about_reopening_is_applied_and_shown(
    admin_client, later_changes, django_capture_on_commit_callbacks, choice, end_date, outcome,
):
    roster_import, _page = preview_of(admin_client, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("organisation:import_confirm", args=[roster_import.pk]),
            {"preview": roster_import.changes_digest, "reopen_closed_posts": choice},
        )
    result = text_of(admin_client.get(response.url).content.decode())

    assert "The roster was applied" in result
    assert outcome in result
    assert Post.objects.get(person=later_changes["陈静"]).end_date == end_date
    assert list(Post.objects.filter(person=later_changes["王强"], end_date__isnull=True).values_list(
        "region_id", flat=True)) == ["330102001202"]
    assert Person.objects.filter(name="李明华").exists()


def test_a_confirmation_sent_from_an_older_preview_is_refused(
    admin_client, later_changes, django_capture_on_commit_callbacks,
):
    roster_import, _page = preview_of(admin_client, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("organisation:import_confirm", args=[roster_import.pk]),
            {"preview": "0" * 16, "reopen_closed_posts": "reopen"}, follow=True,
        )

    assert "The preview has changed since you opened this page" in response.content.decode()
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.VALID
    assert Post.objects.get(person=later_changes["陈静"]).end_date == datetime.date(2024, 6, 30)


def test_a_preview_shown_again_after_the_roster_changed_says_so(admin_client, county_admin, later_changes):
    roster_import = RosterImport.objects.create(
        created_by=county_admin, file_name="roster.csv", status=RosterImport.Status.VALID, total=3, done=3,
        rechecked_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc),
    )

    page = text_of(admin_client.get(reverse("organisation:import_detail", args=[roster_import.pk])).content.decode())

    assert "The roster changed after you confirmed, so nothing was applied." in page


def test_the_preview_rows_are_written_in_chinese(client, county_admin, later_changes,
                                                  django_capture_on_commit_callbacks, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(county_admin)
    roster_import, page = preview_of(client, django_capture_on_commit_callbacks)
    masked = later_changes["陈静"].id_number_masked

    text = text_of(page)
    assert f"2 陈静（{masked}） 重新开放已结束的岗位 清波村儿童主任，2023-01-01起，结束日期2024-06-30" in text
    assert "3 王强" in text and "调动 清波村儿童主任，2023-01-01起 柳浪村，2024-07-01起；清波村的岗位于前一天（2024-06-30）结束" in text
    assert "姓名变更 李明 李明华" in text
    assert "此文件将重新开放1个已结束的岗位。" in text


@pytest.mark.parametrize("file_format, content_type", [
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("csv", "text/csv; charset=utf-8"),
])
def test_the_template_downloads(admin_client, file_format, content_type):
    response = admin_client.get(reverse("organisation:import_template", args=[file_format]))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert f'filename="import_template.{file_format}"' in response["Content-Disposition"]
    if file_format == "xlsx":
        headings = [cell.value for cell in openpyxl.load_workbook(io.BytesIO(response.content)).active[1]]
    else:
        headings = response.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert headings[0] == "姓名(name)" and headings[2] == "身份证号码(id_number)"


def test_an_unknown_template_format_is_not_found(admin_client):
    assert admin_client.get(reverse("organisation:import_template", args=["pdf"])).status_code == 404


# Who may see what -------------------------------------------------------------------------------------


def import_urls(roster_import) -> list[tuple[str, str]]:
    return [
        ("get", reverse("organisation:import_list")),
        ("get", reverse("organisation:import_new")),
        ("get", reverse("organisation:import_template", args=["xlsx"])),
        ("get", reverse("organisation:import_detail", args=[roster_import.pk])),
        ("get", reverse("organisation:import_status", args=[roster_import.pk])),
        ("post", reverse("organisation:import_confirm", args=[roster_import.pk])),
        ("post", reverse("organisation:import_retry", args=[roster_import.pk])),
    ]


@pytest.fixture
def valid_import(county_admin):
    return RosterImport.objects.create(
        created_by=county_admin, file_name="roster.csv", status=RosterImport.Status.VALID, total=1,
    )


def test_anonymous_visitors_are_sent_to_sign_in(client, valid_import):
    for method, url in import_urls(valid_import):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("account_login")), url


def test_a_trainee_is_refused_every_import_page(client, valid_import):
    trainee = account_for_person(person=PersonFactory())
    client.force_login(trainee)

    for method, url in import_urls(valid_import):
        assert getattr(client, method)(url).status_code == 403, url
    valid_import.refresh_from_db()
    assert valid_import.status == RosterImport.Status.VALID


def test_another_administrator_cannot_see_or_confirm_someone_elses_import(client, valid_import):
    other = UserFactory(admin_region=Region.objects.get(code="330102"))  # even in the same county
    client.force_login(other)

    assert "roster.csv" not in client.get(reverse("organisation:import_list")).content.decode()
    for method, url in import_urls(valid_import)[3:]:
        assert getattr(client, method)(url).status_code == 404, url
    valid_import.refresh_from_db()
    assert valid_import.status == RosterImport.Status.VALID


def test_a_system_administrator_sees_every_import(client, valid_import):
    client.force_login(UserFactory(is_superuser=True))

    listing = client.get(reverse("organisation:import_list")).content.decode()
    assert "roster.csv" in listing
    assert client.get(reverse("organisation:import_detail", args=[valid_import.pk])).status_code == 200


def test_an_unknown_import_is_not_found(admin_client):
    url = reverse("organisation:import_detail", args=[uuid.uuid4()])
    assert admin_client.get(url).status_code == 404


def test_confirm_only_accepts_post(admin_client, valid_import):
    assert admin_client.get(reverse("organisation:import_confirm", args=[valid_import.pk])).status_code == 405
