"""Recording the plan's indicators (the province's administrators only, all values saved or none) and the
archive of monthly reports (each administrator sees and downloads their own region's and those under it)."""
import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from academy.jobs import JOB_INTERRUPTED
from academy.organisation.models import Region
from analytics import monthly
from analytics.models import Indicator, IndicatorValue, MonthlyReport, MonthlyReportJob
from analytics.views_reports import REPORTS_PER_PAGE
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db

EDIT = reverse("analytics:indicator_edit")
REPORTS = reverse("analytics:report_list")


def signed_in(client, role, code=None):
    user = user_with_role(role, admin_region_code=code)
    client.force_login(user)
    return user


def recorded_keys():
    return list(Indicator.objects.filter(source=Indicator.Source.RECORDED).values_list("key", flat=True))


def form_data(**values):
    """Every recorded indicator's value and note empty, except those given (key=value or key=(value, note))."""
    data = {}
    for key in recorded_keys():
        given = values.get(key, "")
        value, note = given if isinstance(given, tuple) else (given, "")
        data[f"value_{key}"], data[f"note_{key}"] = value, note
    return data


# --- Recording the indicators ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["province_admin", "system_admin"])
def test_the_province_and_system_administrators_record_the_years_values(client, role):
    user = signed_in(client, role)
    page = client.get(EDIT, {"year": 2024})
    assert page.status_code == 200
    assert "Minimum care standard for orphans in institutions" in page.content.decode()
    # Platform indicators are computed, not entered.
    assert "value_head_training_rate" not in page.content.decode()

    response = client.post(f"{EDIT}?year=2024", form_data(
        care_standard=("22000", "省民政厅年报"), township_workstations="35.5",
    ))
    assert response.status_code == 302 and response["Location"] == f"{EDIT}?year=2024"
    saved = {value.indicator.key: value for value in IndicatorValue.objects.select_related("indicator")}
    assert set(saved) == {"care_standard", "township_workstations"}
    assert saved["care_standard"].year == 2024 and saved["care_standard"].value == Decimal("22000")
    assert saved["care_standard"].note == "省民政厅年报" and saved["care_standard"].recorded_by == user
    assert saved["township_workstations"].value == Decimal("35.5")

    # The form shows what is recorded, and emptying a value removes it.
    again = client.get(EDIT, {"year": 2024}).content.decode()
    assert 'value="22000"' in again and "省民政厅年报" in again and 'value="35.5"' in again
    client.post(f"{EDIT}?year=2024", form_data(care_standard="22500"))
    assert list(IndicatorValue.objects.values_list("indicator__key", "value")) == [("care_standard", Decimal("22500"))]


@pytest.mark.parametrize("role", ["city_admin", "county_admin", "trainee", "assessor", "editor"])
def test_nobody_else_may_record_values(client, role):
    signed_in(client, role)
    assert client.get(EDIT).status_code == 403
    assert client.post(f"{EDIT}?year=2024", form_data(care_standard="22000")).status_code == 403
    assert not IndicatorValue.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(EDIT)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_form_with_one_bad_value_saves_nothing_and_says_what_is_wrong(client):
    signed_in(client, "province_admin")
    response = client.post(f"{EDIT}?year=2025", form_data(
        care_standard="24000", model_childrens_homes="120", regional_welfare_institutions="-1",
        social_organisations_per_county=("", "待统计"),
    ))
    assert response.status_code == 200
    assert not IndicatorValue.objects.exists()
    form = response.context["form"]
    assert set(form.errors) == {
        "value_model_childrens_homes", "value_regional_welfare_institutions", "value_social_organisations_per_county",
    }
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert "Ensure this value is less than or equal to 100." in page
    assert "Enter a value for this note, or clear the note." in page
    # What was typed stays in the form.
    assert 'value="24000"' in page and "待统计" in page


def test_an_unknown_year_is_not_found(client):
    signed_in(client, "province_admin")
    assert client.get(EDIT, {"year": 1999}).status_code == 404
    assert client.get(EDIT, {"year": "abc"}).status_code == 200  # the current year's form


# --- The archive of monthly reports ----------------------------------------------------------------------


def make_report(code: str, month: datetime.date) -> MonthlyReport:
    report = MonthlyReport(region=Region.objects.get(code=code), month=month, size=12)
    report.pdf.save(f"{code}-{month:%Y-%m}.pdf", ContentFile(f"%PDF-{code}-{month:%Y-%m}".encode()), save=False)
    report.save()
    return report


@pytest.fixture
def archive():
    """Reports of the province, 杭州市 and its 上城区, 宁波市 and its 海曙区, for two months."""
    reports = {}
    for code in ["33", "3301", "330102", "3302", "330203"]:
        for month in [datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)]:
            reports[code, month.month] = make_report(code, month)
    return reports


def listed(response) -> list[tuple[str, int]]:
    return [(report.region_id, report.month.month) for report in response.context["reports"]]


def test_a_city_administrator_sees_their_city_and_its_counties_newest_first(client, archive):
    signed_in(client, "city_admin", "3301")
    response = client.get(REPORTS)
    assert response.status_code == 200
    assert listed(response) == [("3301", 10), ("330102", 10), ("3301", 9), ("330102", 9)]
    page = response.content.decode()
    assert reverse("analytics:report_download", args=[archive["3301", 10].pk]) in page
    assert reverse("analytics:report_download", args=[archive["3302", 10].pk]) not in page


def test_a_city_administrator_cannot_download_another_citys_or_the_provinces_report(client, archive):
    signed_in(client, "city_admin", "3301")
    for key in [("3302", 10), ("330203", 9), ("33", 10)]:
        assert client.get(reverse("analytics:report_download", args=[archive[key].pk])).status_code == 404
    response = client.get(reverse("analytics:report_download", args=[archive["330102", 9].pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="monthly-report-330102-2026-09.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"%PDF-330102-2026-09"


def test_a_county_administrator_sees_only_their_county(client, archive):
    signed_in(client, "county_admin", "330102")
    assert listed(client.get(REPORTS)) == [("330102", 10), ("330102", 9)]
    assert client.get(reverse("analytics:report_download", args=[archive["3301", 10].pk])).status_code == 404


@pytest.mark.parametrize("role", ["province_admin", "system_admin"])
def test_the_province_and_system_administrators_see_every_report(client, archive, role):
    signed_in(client, role)
    assert len(listed(client.get(REPORTS))) == len(archive)
    assert client.get(reverse("analytics:report_download", args=[archive["330203", 9].pk])).status_code == 200


@pytest.mark.parametrize("role", ["trainee", "assessor", "editor"])
def test_only_administrators_open_the_archive(client, archive, role):
    signed_in(client, role)
    assert client.get(REPORTS).status_code == 403
    assert client.get(reverse("analytics:report_download", args=[archive["3301", 10].pk])).status_code == 403


def test_the_archive_is_paginated(client):
    first = datetime.date(2020, 1, 1)
    for number in range(REPORTS_PER_PAGE + 3):
        make_report("330102", datetime.date(first.year + (number // 12), number % 12 + 1, 1))
    signed_in(client, "county_admin", "330102")
    page_one = client.get(REPORTS)
    assert len(listed(page_one)) == REPORTS_PER_PAGE
    assert page_one.context["reports"][0].month == datetime.date(2022, 3, 1)  # the newest first
    assert len(listed(client.get(REPORTS, {"page": 2}))) == 3


def test_an_empty_archive_says_so(client):
    signed_in(client, "county_admin", "330102")
    assert "No monthly report has been made for your region yet." in client.get(REPORTS).content.decode()


def test_saved_values_appear_in_the_indicator_table(client):
    signed_in(client, "province_admin")
    client.post(f"{EDIT}?year=2024", form_data(care_standard=("22000", "省民政厅年报")))
    dashboard_url = reverse("analytics:dashboard", args=["indicators"])
    assert f'href="{dashboard_url}?year=2024"' in client.get(EDIT, {"year": 2024}).content.decode()
    page = client.get(dashboard_url, {"year": 2024}).content.decode()
    assert "22,000" in page and "2024: 省民政厅年报" in page


# --- Reports being made, and their retry ---------------------------------------------------------------------


def report_job(code: str, status: str, **fields) -> MonthlyReportJob:
    return MonthlyReportJob.objects.create(
        region=Region.objects.get(code=code), month=datetime.date(2026, 10, 1), status=status, **fields
    )


def test_a_failed_report_is_listed_with_its_reason_and_retried_from_the_archive(
    client, monkeypatch, django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(monthly, "dashboards_build", lambda **arguments: [])
    signed_in(client, "city_admin", "3301")
    failed = report_job("330102", MonthlyReportJob.Status.FAILED, failure_message=JOB_INTERRUPTED)
    waiting = report_job("3301", MonthlyReportJob.Status.PENDING)
    report_job("3302", MonthlyReportJob.Status.FAILED)  # another city's

    page = client.get(REPORTS).content.decode()
    assert "Reports being made" in page
    assert page.count("data-report-job=") == 2 and str(waiting.pk) in page
    assert "The background job was interrupted: the process running it stopped. It can be retried." in page
    assert page.count("/retry/") == 1 and "The background service cannot be reached just now" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("analytics:report_job_retry", args=[failed.pk]))
    assert response.status_code == 302 and response.url == REPORTS
    failed.refresh_from_db()
    assert failed.status == MonthlyReportJob.Status.DONE and failed.report.region_id == "330102"
    assert ("330102", 10) in listed(client.get(REPORTS))


def test_a_report_job_of_another_region_cannot_be_retried(client):
    signed_in(client, "county_admin", "330102")
    other = report_job("3301", MonthlyReportJob.Status.FAILED)
    assert client.post(reverse("analytics:report_job_retry", args=[other.pk])).status_code == 404
    assert MonthlyReportJob.objects.get(pk=other.pk).status == MonthlyReportJob.Status.FAILED
