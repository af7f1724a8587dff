"""Exports of the coverage table and the untrained list: content, scope, owner and expiry."""
import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from academy.accounts import phone
from academy.audit.models import AuditAction, AuditEntry
from academy.jobs import jobs_sweep
from academy.organisation.models import Person, PostKind, Region
from academy.organisation.scope import scope_for
from academy.organisation.selectors import region_path_label
from academy.storage import private_storage
from analytics import exports, selectors
from analytics.models import ExportJob
from courses.years import training_year
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db

DIRECTORS = PostKind.CHILD_DIRECTOR.value


def request_export(client, django_capture_on_commit_callbacks, **fields):
    """Ask for an export as the page's buttons do and run it (in process, as without a broker)."""
    data = {"kind": "untrained", "file_format": "csv", "year": training_year(), **fields}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("analytics:export_new"), data)
    assert response.status_code == 302, response.content
    return ExportJob.objects.latest("created_at")


def csv_rows(response, *, as_excel_shows=True):
    """The rows of a csv download; codes written ="330102001001" (so that Excel keeps them as text) are read
    as the text Excel shows, unless asked for the cells as written."""
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    if not as_excel_shows:
        return rows
    return [[re.sub(r'^="(\d+)"$', r"\1", cell) for cell in row] for row in rows]


def download(client, job):
    return client.get(reverse("analytics:export_download", args=[job.pk]))


def test_the_untrained_list_exports_to_csv_within_the_county(client, world, django_capture_on_commit_callbacks):
    user = user_with_role("county_admin")
    client.force_login(user)
    job = request_export(client, django_capture_on_commit_callbacks)
    assert job.status == ExportJob.Status.DONE and job.created_by == user
    assert job.done == job.total == 4
    detail = client.get(job.get_absolute_url()).content.decode()
    assert reverse("analytics:export_download", args=[job.pk]) in detail
    response = download(client, job)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    header, *rows = csv_rows(response)
    assert header[0] == "Name" and header[-1] == "Mobile number"
    assert {row[0] for row in rows} == {"上城在训", "上城未训", "上城督导未训", "省院长未训"}
    by_name = {row[0]: row for row in rows}
    assert by_name["上城未训"][-1] == "13912345678"
    assert by_name["省院长未训"][-1] == "139****2222"  # a province-run home is outside a county's scope


def test_the_untrained_list_exports_to_excel_with_the_filters(client, world, django_capture_on_commit_callbacks):
    client.force_login(user_with_role("city_admin"))
    job = request_export(
        client, django_capture_on_commit_callbacks, file_format="xlsx", tier=DIRECTORS, region="330105", status="all"
    )
    response = download(client, job)
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Name"
    assert {row[0] for row in rows[1:]} == {"拱墅未训", "拱墅已训"}
    job = request_export(client, django_capture_on_commit_callbacks, tier=DIRECTORS, region="330102", status="all")
    assert {row[0] for row in csv_rows(download(client, job))[1:]} == {"上城已训", "上城在训", "上城未训"}


def test_the_coverage_table_exports_every_region_below(client, world, django_capture_on_commit_callbacks):
    client.force_login(user_with_role("city_admin"))
    job = request_export(client, django_capture_on_commit_callbacks, kind="coverage", tier=DIRECTORS)
    header, *rows = csv_rows(download(client, job))
    assert header[:4] == ["Division code", "Level", "Region", "Required"]
    by_code = {row[0]: row for row in rows}
    assert by_code["3301"][3:7] == ["5", "2", "1", "2"]  # required, completed, in progress, not started
    assert by_code["330102"][3:8] == ["3", "1", "1", "1", "33.3"]
    assert by_code[world.villages.home_a.code][2].startswith("浙江省 杭州市 上城区 清波街道")
    assert not any(code.startswith("3302") or code == "33" for code in by_code)


def test_an_export_of_another_region_is_refused(client, world, django_capture_on_commit_callbacks):
    client.force_login(user_with_role("county_admin"))
    for kind in ["untrained", "coverage"]:
        response = client.post(
            reverse("analytics:export_new"),
            {"kind": kind, "file_format": "csv", "year": training_year(), "tier": DIRECTORS, "region": "330105"},
        )
        assert response.status_code == 400
    assert not ExportJob.objects.exists()


def test_nobody_else_reaches_an_export(client, world, django_capture_on_commit_callbacks):
    client.force_login(user_with_role("county_admin"))
    job = request_export(client, django_capture_on_commit_callbacks)
    for role in ["county_admin", "city_admin", "province_admin", "system_admin"]:
        client.force_login(user_with_role(role, admin_region_code="330105" if role == "county_admin" else None))
        for name in ["export_detail", "export_status", "export_download"]:
            assert client.get(reverse(f"analytics:{name}", args=[job.pk])).status_code == 404
    client.force_login(user_with_role("trainee"))
    assert client.get(reverse("analytics:export_download", args=[job.pk])).status_code == 403
    client.logout()
    assert client.get(reverse("analytics:export_download", args=[job.pk])).status_code == 302


def test_an_expired_export_is_gone_and_its_file_deleted(client, world, django_capture_on_commit_callbacks):
    client.force_login(user_with_role("county_admin"))
    job = request_export(client, django_capture_on_commit_callbacks)
    name = job.file.name
    assert private_storage().exists(name)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert download(client, job).status_code == 410
    assert not private_storage().exists(name)
    assert download(client, job).status_code == 410
    assert "expired" in client.get(job.get_absolute_url()).content.decode()


def test_expired_files_are_swept(client, world, django_capture_on_commit_callbacks):
    client.force_login(user_with_role("county_admin"))
    old, fresh = (request_export(client, django_capture_on_commit_callbacks) for _ in range(2))
    ExportJob.objects.filter(pk=old.pk).update(expires_at=timezone.now() - datetime.timedelta(hours=1))
    assert exports.exports_delete_expired() == 1
    old.refresh_from_db(), fresh.refresh_from_db()
    assert not old.file and private_storage().exists(fresh.file.name)


def test_the_status_reports_progress(client, world, django_capture_on_commit_callbacks):
    client.force_login(user_with_role("county_admin"))
    job = request_export(client, django_capture_on_commit_callbacks)
    status = client.get(reverse("analytics:export_status", args=[job.pk])).json()
    assert status == {
        "status": "done", "status_label": "Ready", "running": False, "progress": 100, "processed_rows": 4,
        "total_rows": 4,
    }


def test_an_administrator_moved_before_the_export_runs_gets_nothing(client, world):
    user = user_with_role("county_admin")
    job = ExportJob.objects.create(
        created_by=user, kind="untrained", file_format="csv", params={"year": training_year(), "region": "330102"},
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    user.admin_region = Region.objects.get(code="330105")
    user.save()
    from analytics.tasks import run_export

    run_export(str(job.pk))
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and not job.file


def test_a_job_runs_once(client, world, django_capture_on_commit_callbacks):
    client.force_login(user_with_role("county_admin"))
    job = request_export(client, django_capture_on_commit_callbacks)
    name = job.file.name
    exports.export_run(job=job)  # a redelivered message
    job.refresh_from_db()
    assert job.file.name == name


HOSTILE = '=HYPERLINK("http://evil.example","x")'
# What makes a spreadsheet run a cell (OWASP); the test says it again rather than trusting the code's list.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def all_cells(job, client):
    response = download(client, job)
    if job.file_format == "csv":
        return [cell for row in csv_rows(response, as_excel_shows=False) for cell in row]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert not [cell for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    return [cell.value for row in sheet.iter_rows() for cell in row]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_no_export_lets_a_name_run_as_a_formula(client, world, django_capture_on_commit_callbacks, file_format):
    """A person's and a township's name set to a formula come out as quoted text (institutions: the dashboards'
    test)."""
    Person.objects.filter(pk=world.people.home_missing.person_id).update(name=HOSTILE)
    Region.objects.filter(code="330102001").update(name="+" + HOSTILE)
    client.force_login(user_with_role("province_admin"))
    for kind, tier in [("untrained", ""), ("coverage", DIRECTORS)]:
        job = request_export(client, django_capture_on_commit_callbacks, kind=kind, tier=tier, file_format=file_format)
        texts = [cell for cell in all_cells(job, client) if isinstance(cell, str)]
        live = [text for text in texts if text.startswith(FORMULA_STARTS) and not re.fullmatch(r'="\d+"', text)]
        assert not live, (kind, live)
        assert any(text.startswith("'=HYPERLINK") or "+=HYPERLINK" in text for text in texts), kind


def test_csv_exports_keep_village_codes_as_text(client, world, django_capture_on_commit_callbacks):
    client.force_login(user_with_role("county_admin"))
    job = request_export(client, django_capture_on_commit_callbacks)
    rows = csv_rows(download(client, job), as_excel_shows=False)
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["上城未训"][2] == f'="{world.villages.home_b.code}"'  # Excel would show 3.30102E+11 otherwise


def test_the_xlsx_export_has_a_bold_frozen_header_and_column_widths(client, world, django_capture_on_commit_callbacks):
    client.force_login(user_with_role("county_admin"))
    job = request_export(client, django_capture_on_commit_callbacks, file_format="xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(download(client, job).streaming_content))).active
    assert all(cell.font.b for cell in sheet[1]) and sheet.freeze_panes == "A2"
    assert all(sheet.column_dimensions[letter].width >= 8 for letter in "ABCDEFGHI")


def test_an_export_of_people_is_recorded_in_the_audit_trail(client, world, django_capture_on_commit_callbacks):
    user = user_with_role("county_admin")
    client.force_login(user)
    job = request_export(client, django_capture_on_commit_callbacks, region="330102")
    entry = AuditEntry.objects.get(action=AuditAction.PERSONAL_DATA_EXPORTED)
    assert entry.actor == user and entry.region_code == "330102"
    assert entry.detail["export"] == "untrained" and entry.detail["rows"] == job.total == 4
    request_export(client, django_capture_on_commit_callbacks, kind="coverage", tier=DIRECTORS)
    assert AuditEntry.objects.filter(action=AuditAction.PERSONAL_DATA_EXPORTED).count() == 1  # counts only


# --- A worker lost while writing, and the retry -----------------------------------------------------------------


def test_an_export_whose_worker_died_is_failed_its_partial_file_deleted_and_its_retry_writes_it_whole(
    client, world, django_capture_on_commit_callbacks,
):
    user = user_with_role("county_admin")
    client.force_login(user)
    job = request_export(client, django_capture_on_commit_callbacks)
    partial = job.file.name
    # As a worker killed while storing the file leaves it: running, the name recorded, part of the rows on disk.
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, last_alive_at=timezone.now() - datetime.timedelta(hours=1),
    )
    with private_storage().open(partial, "wb") as file:
        file.write("Name,Region\n上城在训,".encode())

    with django_capture_on_commit_callbacks(execute=True):
        jobs_sweep(queue_empty=True)

    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and not job.file and not private_storage().exists(partial)
    page = client.get(job.get_absolute_url()).content.decode()
    assert "The export could not be written." in page
    assert "Writing it again makes the whole file anew" in page and "Download" not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("analytics:export_retry", args=[job.pk]))
    assert response.status_code == 302 and response.url == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.file.name == partial
    assert len(csv_rows(download(client, job))) == 5  # the heading and the four rows, whole


def test_only_the_owner_retries_an_export_and_only_a_failed_one(client, world, django_capture_on_commit_callbacks):
    owner = user_with_role("county_admin")
    client.force_login(owner)
    job = request_export(client, django_capture_on_commit_callbacks)
    response = client.post(reverse("analytics:export_retry", args=[job.pk]), follow=True)
    assert "Only a failed export can be retried." in response.content.decode()

    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED)
    client.force_login(user_with_role("county_admin"))
    assert client.post(reverse("analytics:export_retry", args=[job.pk])).status_code == 404
    assert ExportJob.objects.get(pk=job.pk).status == ExportJob.Status.FAILED


@pytest.mark.parametrize("role,region", [("city_admin", ""), ("county_admin", ""), ("province_admin", "330102")])
def test_the_export_rows_are_the_list_rows_as_the_page_shows_them(client, world, django_capture_on_commit_callbacks,
                                                                  role, region):
    """Read as plain values, the export still writes what the list's model rows give: the same columns, the
    region's path, the masked mobile outside the scope rule, and the formula guard."""
    Person.objects.filter(pk=world.people.home_missing.person_id).update(name="=HYPERLINK(\"http://x\")")
    user = user_with_role(role)
    client.force_login(user)
    job = request_export(client, django_capture_on_commit_callbacks, status="all", region=region)
    written = csv_rows(download(client, job))
    expected = [
        [
            ("'" + row.person.name) if row.person.name.startswith("=") else row.person.name,
            region_path_label(row.region), row.region_id, row.plan.get_post_kind_display(), row.plan.title,
            row.get_status_display(), str(float(row.credit_hours)),
            row.completed_on.isoformat() if row.completed_on else "",
            row.person.mobile if row.mobile_visible else phone.mask(row.person.mobile),
        ]
        for row in selectors.assignments_list(
            scope=scope_for(user), year=training_year(), region_code=region, status="all"
        )
    ]
    assert written[0] == [str(label) for label in exports._untrained_header()]
    assert written[1:] == expected and len(expected) > 2
    assert job.total == job.done == len(expected)
