"""Monthly reports: one archive entry and one email per region and month however often (or concurrently) the
job runs, sent to the region's administrators only, in Chinese, and scheduled by Celery beat."""
import datetime
import io

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.utils import timezone, translation
from pypdf import PdfReader

from academy.organisation.models import Region
from analytics import monthly, tasks
from analytics.models import MonthlyReport, MonthlyReportJob
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OCTOBER = datetime.date(2026, 10, 1)


def administrator(code: str, **fields):
    return UserFactory(admin_region=Region.objects.get(code=code), **fields)


@pytest.fixture
def hangzhou():
    return Region.objects.get(code="3301")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def test_a_report_generated_twice_gives_one_archive_entry_and_one_email(hangzhou):
    admin = administrator("3301", email="hangzhou@example.org")
    administrator("3301", email=None)  # no address: nothing to send to
    administrator("3301", email="gone@example.org", is_active=False)
    administrator("3302", email="ningbo@example.org")  # another city's administrator

    first = monthly.monthly_report_generate(region=hangzhou, month=OCTOBER)
    second = monthly.monthly_report_generate(region=hangzhou, month=datetime.date(2026, 10, 17))

    assert first.pk == second.pk
    assert MonthlyReport.objects.count() == 1
    report = MonthlyReport.objects.get()
    assert (report.region, report.month) == (hangzhou, OCTOBER)
    assert report.emailed_at is not None
    with report.pdf.open("rb") as file:
        data = file.read()
    assert data.startswith(b"%PDF") and report.size == len(data)
    assert "杭州市" in pdf_text(data)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [admin.email]
    assert "杭州市" in message.subject and "/coverage/reports/" in message.body
    [(filename, attached, content_type)] = message.attachments
    assert (filename, content_type) == ("3301-2026-10.pdf", "application/pdf")
    assert attached == data


def test_each_administrator_gets_their_own_message():
    county = Region.objects.get(code="330102")
    addresses = {administrator("330102", email=f"admin{n}@example.org").email for n in range(2)}
    monthly.monthly_report_generate(region=county, month=OCTOBER)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(addresses)
    assert all(len(message.to) == 1 and not message.cc and not message.bcc for message in mail.outbox)


def test_two_runs_at_once_still_give_one_entry_and_one_email(hangzhou, monkeypatch):
    """The other run archives its report while this one is still building: this run keeps the other's
    report, drops its own file, and sends nothing more."""
    administrator("3301", email="hangzhou@example.org")
    build = monthly.monthly_report_pdf
    other = {}

    def build_while_another_run_finishes(*, region, month):
        pdf, dashboards = build(region=region, month=month)
        monkeypatch.setattr(monthly, "monthly_report_pdf", build)
        other["report"] = monthly.monthly_report_generate(region=region, month=month)
        return pdf, dashboards

    monkeypatch.setattr(monthly, "monthly_report_pdf", build_while_another_run_finishes)
    report = monthly.monthly_report_generate(region=hangzhou, month=OCTOBER)

    assert report.pk == other["report"].pk
    assert MonthlyReport.objects.count() == 1
    assert len(mail.outbox) == 1
    # Only the archived report's file is left in private storage.
    stored = list((settings.PRIVATE_MEDIA_ROOT / "monthly-reports").iterdir())
    assert [path.name for path in stored] == [report.pdf.name.rsplit("/", 1)[-1]]


def test_a_failed_email_is_sent_by_the_next_run(hangzhou, monkeypatch):
    administrator("3301", email="hangzhou@example.org")

    class Unreachable:
        def send_messages(self, messages):
            raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(monthly, "get_connection", lambda: Unreachable())
    with pytest.raises(ConnectionRefusedError):
        monthly.monthly_report_generate(region=hangzhou, month=OCTOBER)
    report = MonthlyReport.objects.get()
    assert report.emailed_at is None and not mail.outbox

    monkeypatch.undo()
    again = monthly.monthly_report_generate(region=hangzhou, month=OCTOBER)
    assert again.pk == report.pk and MonthlyReport.objects.count() == 1
    assert len(mail.outbox) == 1
    monthly.monthly_report_generate(region=hangzhou, month=OCTOBER)
    assert len(mail.outbox) == 1


def test_a_region_without_an_address_keeps_its_report_unsent_until_someone_can_receive_it(hangzhou):
    administrator("3301", email=None)
    report = monthly.monthly_report_generate(region=hangzhou, month=OCTOBER)
    assert report.emailed_at is None and not mail.outbox
    administrator("3301", email="new@example.org")
    monthly.monthly_report_generate(region=hangzhou, month=OCTOBER)
    assert [message.to for message in mail.outbox] == [["new@example.org"]]
    assert MonthlyReport.objects.get().emailed_at is not None


def test_the_report_is_built_in_chinese_for_the_regions_scope_at_the_months_end(hangzhou, monkeypatch):
    administrator("3301", email="hangzhou@example.org")
    seen = {}

    def spy(*, scope, year, today):
        seen.update(scope=scope, year=year, today=today, language=translation.get_language())
        return []

    monkeypatch.setattr(monthly, "dashboards_build", spy)
    with translation.override("en"):
        monthly.monthly_report_generate(region=hangzhou, month=datetime.date(2025, 2, 1))
    assert seen["scope"].region_code == "3301" and seen["year"] == 2025
    assert seen["today"] == datetime.date(2025, 2, 28)
    assert seen["language"] == "zh-hans"

    # The month not over yet: as things stand today.
    today = timezone.localdate()
    monthly.monthly_report_generate(region=hangzhou, month=today.replace(day=1))
    assert seen["today"] == today


def test_every_region_with_an_administrator_gets_its_report(monkeypatch):
    monkeypatch.setattr(monthly, "dashboards_build", lambda **arguments: [])
    for code in ["33", "3301", "330102"]:
        administrator(code, email=f"{code}@example.org")
    administrator("3302", is_active=False)

    reports = monthly.monthly_reports_generate_all(month=OCTOBER)

    assert sorted(report.region_id for report in reports) == ["33", "3301", "330102"]
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        ["33@example.org", "3301@example.org", "330102@example.org"]
    )
    monthly.monthly_reports_generate_all(month=OCTOBER)
    assert MonthlyReport.objects.count() == 3 and len(mail.outbox) == 3


def test_the_beat_task_reports_on_the_month_just_ended(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(monthly, "dashboards_build", lambda **arguments: [])
    monkeypatch.setattr(timezone, "localdate", lambda *arguments: datetime.date(2026, 11, 1))
    administrator("330102", email="county@example.org")
    administrator("3301", email="city@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.generate_monthly_reports() == 2  # one job per region, run in process in the tests

    assert sorted(MonthlyReport.objects.values_list("region_id", "month")) == [
        ("3301", OCTOBER), ("330102", OCTOBER)
    ]
    assert len(mail.outbox) == 2


def test_previous_month_crosses_the_year():
    assert monthly.previous_month(datetime.date(2026, 1, 1)) == datetime.date(2025, 12, 1)
    assert monthly.previous_month(datetime.date(2026, 3, 31)) == datetime.date(2026, 2, 1)


def test_beat_runs_the_monthly_reports_on_the_first_at_six_china_time():
    entry = settings.CELERY_BEAT_SCHEDULE["monthly-reports"]
    assert entry["task"] == "analytics.tasks.generate_monthly_reports"
    assert entry["task"] == tasks.generate_monthly_reports.name
    assert entry["schedule"] == crontab(day_of_month=1, hour=6, minute=0)
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"


# --- As background jobs ------------------------------------------------------------------------------------


def test_the_monthly_jobs_are_recorded_once_per_region_and_month(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(monthly, "dashboards_build", lambda **arguments: [])
    administrator("3301", email="city@example.org")
    administrator("330102", email="county@example.org")

    with django_capture_on_commit_callbacks(execute=True) as first_run:
        jobs = monthly.monthly_reports_start(month=OCTOBER)
    with django_capture_on_commit_callbacks(execute=True) as second_run:
        assert monthly.monthly_reports_start(month=OCTOBER) == jobs  # the beat run twice: nothing started again

    assert len(first_run) == 2 and not second_run
    assert all(job.status == MonthlyReportJob.Status.DONE and job.report for job in MonthlyReportJob.objects.all())
    assert MonthlyReport.objects.count() == 2 and len(mail.outbox) == 2


def test_a_failed_report_is_made_by_its_retry_and_emailed_once(monkeypatch, django_capture_on_commit_callbacks):
    administrator("3301", email="city@example.org")

    def broken(**arguments):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(monthly, "dashboards_build", broken)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        monthly.monthly_reports_start(month=OCTOBER)
    job = MonthlyReportJob.objects.get()
    assert job.status == MonthlyReportJob.Status.FAILED and "out of memory" in job.failure_message

    monkeypatch.setattr(monthly, "dashboards_build", lambda **arguments: [])
    with django_capture_on_commit_callbacks(execute=True):
        assert monthly.monthly_report_retry(job=job)
    job.refresh_from_db()
    assert job.status == MonthlyReportJob.Status.DONE and job.report.region_id == "3301"
    assert len(mail.outbox) == 1
    assert not monthly.monthly_report_retry(job=job)
