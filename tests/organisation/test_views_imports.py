"""The roster import pages: upload, check, preview, confirm, result; and who may see them."""
import io
import uuid

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from academy.accounts.services import account_for_person
from academy.organisation.models import Person, Region, RosterImport
from tests.factories import PersonFactory, RegionFactory, UserFactory
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
