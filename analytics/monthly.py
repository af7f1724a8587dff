"""The monthly report: every dashboard of a region's scope in one PDF, in Chinese, kept in the archive
(MonthlyReport) and emailed to the region's administrators.

Celery beat runs generate_monthly_reports on the 1st of each month (analytics/tasks.py) for the month just
ended: ``monthly_reports_start`` records one MonthlyReportJob (a background job, academy.jobs) per region that
has an administrator (the province, cities and counties), and a worker makes each. A job whose worker died is
failed by the sweep and retried from the archive page (``monthly_report_retry``). Every step is safe to run
twice, or twice at once: the archive holds one report per region and month (a unique constraint: the
run that loses the race throws its file away and takes the winner's), and the email goes out once (the run
that marks the report emailed sends it).
"""
import calendar
import datetime
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from academy.accounts.models import User
from academy.jobs import job_announce, job_progress, job_retry, job_start
from academy.organisation.models import Region
from academy.organisation.scope import Scope

from .charts import format_value
from .dashboards import Dashboard, Figure, dashboards_build, scope_label
from .models import MonthlyReport, MonthlyReportJob
from .reports import dashboards_pdf

logger = logging.getLogger(__name__)

# The reports are for the province's administrators: always in Chinese, whoever runs the job.
REPORT_LANGUAGE = "zh-hans"


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def previous_month(today: datetime.date) -> datetime.date:
    """The first day of the month before ``today``'s: the month a report on the 1st is about."""
    return month_start(month_start(today) - datetime.timedelta(days=1))


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def report_recipients(*, region: Region) -> list[str]:
    """The email addresses of the region's active administrators."""
    return list(
        User.objects.filter(admin_region=region, is_active=True, email__isnull=False)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )


def monthly_report_pdf(*, region: Region, month: datetime.date) -> tuple[bytes, list[Dashboard]]:
    """Build every dashboard of the region's scope as at the month's end (or today, within the month) and
    render them to one PDF. Call in the report's language."""
    scope = Scope.of_region(region)
    today = min(month_end(month), timezone.localdate())
    dashboards = dashboards_build(scope=scope, year=month.year, today=today)
    pdf = dashboards_pdf(
        dashboards, title=_("Monthly report"), scope_label=scope_label(scope=scope), period=_period(month),
    )
    return pdf, dashboards


def monthly_report_generate(*, region: Region, month: datetime.date) -> MonthlyReport:
    """The region's report for ``month``: the one already archived, or a new one, built, archived and emailed.
    A second run returns the archived report and sends nothing more."""
    month = month_start(month)
    report = MonthlyReport.objects.filter(region=region, month=month).first()
    dashboards = None
    if report is None:
        with translation.override(REPORT_LANGUAGE):
            pdf, dashboards = monthly_report_pdf(region=region, month=month)
        report = _archive(region=region, month=month, pdf=pdf)
    monthly_report_email(report=report, dashboards=dashboards)
    return report


def _archive(*, region: Region, month: datetime.date, pdf: bytes) -> MonthlyReport:
    report = MonthlyReport(region=region, month=month, size=len(pdf))
    report.pdf.save(f"{region.code}-{month:%Y-%m}.pdf", ContentFile(pdf), save=False)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        # Another run archived this month's report meanwhile: keep theirs, drop our copy of the file.
        report.pdf.storage.delete(report.pdf.name)
        return MonthlyReport.objects.get(region=region, month=month)
    except Exception:
        report.pdf.storage.delete(report.pdf.name)
        raise
    return report


def monthly_report_email(*, report: MonthlyReport, dashboards: list[Dashboard] | None = None) -> int:
    """Email the report to its region's administrators unless it has been: the run that marks it emailed
    sends it. Returns the number of emails sent. A report nobody can be emailed stays unmarked, so a later
    run reaches administrators added since."""
    if report.emailed_at is not None:
        return 0
    recipients = report_recipients(region=report.region)
    if not recipients:
        return 0
    now = timezone.now()
    claimed = MonthlyReport.objects.filter(pk=report.pk, emailed_at__isnull=True).update(emailed_at=now)
    if not claimed:
        return 0
    try:
        with translation.override(REPORT_LANGUAGE):
            messages = _messages(report=report, recipients=recipients, dashboards=dashboards)
        sent = get_connection().send_messages(messages) or 0
    except Exception:
        # Not sent: leave the report unmarked so that the task's retry sends it.
        MonthlyReport.objects.filter(pk=report.pk, emailed_at=now).update(emailed_at=None)
        raise
    report.emailed_at = now
    return sent


def _messages(*, report: MonthlyReport, recipients: list[str], dashboards) -> list[EmailMessage]:
    context = {
        "region": report.region,
        "period": _period(report.month),
        "archive_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("analytics:report_list"),
        "figures": [_figure_line(figure) for dashboard in dashboards or [] for figure in dashboard.figures],
    }
    subject = " ".join(render_to_string("analytics/email/monthly_report_subject.txt", context).split())
    body = render_to_string("analytics/email/monthly_report_body.txt", context)
    with report.pdf.open("rb") as file:
        pdf = file.read()
    filename = f"{report.region.code}-{report.month:%Y-%m}.pdf"
    messages = []
    # One message each: administrators do not see each other's addresses.
    for address in recipients:
        message = EmailMessage(subject=subject, body=body, to=[address])
        message.attach(filename, pdf, "application/pdf")
        messages.append(message)
    return messages


def _period(month: datetime.date) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


def _figure_line(figure: Figure) -> str:
    value = format_value(figure.value, figure.unit)
    if figure.target is None:
        return _("%(label)s: %(value)s") % {"label": figure.label, "value": value}
    return _("%(label)s: %(value)s (target %(target)s)") % {
        "label": figure.label, "value": value, "target": format_value(figure.target, figure.unit),
    }


def report_regions() -> list[Region]:
    """The regions a monthly report is made for: every one with at least one active administrator."""
    return list(Region.objects.filter(administrators__is_active=True).distinct().order_by("code"))


def monthly_reports_generate_all(*, month: datetime.date) -> list[MonthlyReport]:
    """Every region's report for ``month``, one after another (the task fans them out instead)."""
    reports = []
    for region in report_regions():
        reports.append(monthly_report_generate(region=region, month=month))
    return reports


# --- The background jobs ---------------------------------------------------------------------------------


def monthly_reports_start(*, month: datetime.date) -> list[MonthlyReportJob]:
    """One job per region with an administrator for ``month``, each announced once: a second run finds the jobs
    and starts nothing (a failed one is retried by a person)."""
    month = month_start(month)
    jobs = []
    for region in report_regions():
        with transaction.atomic():
            job, created = MonthlyReportJob.objects.get_or_create(region=region, month=month, defaults={"total": 1})
            if created:
                job_announce(job)
        jobs.append(job)
    return jobs


def monthly_report_run(*, job_id) -> None:
    """Make the job's report (monthly_report_generate: archived and emailed once). Takes only a waiting job."""
    if not job_start(MonthlyReportJob, job_id, from_statuses=[MonthlyReportJob.Status.PENDING], total=1, done=0):
        return
    job = MonthlyReportJob.objects.select_related("region").get(pk=job_id)
    report = monthly_report_generate(region=job.region, month=job.month)
    job_progress(MonthlyReportJob, job_id, done=1)
    MonthlyReportJob.objects.filter(pk=job_id, status=MonthlyReportJob.Status.RUNNING).update(
        report=report, status=MonthlyReportJob.Status.DONE, finished_at=timezone.now()
    )


def monthly_report_retry(*, job: MonthlyReportJob) -> bool:
    """Make a failed report again; what was archived or emailed already is not done twice."""
    return job_retry(job)
