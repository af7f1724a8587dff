"""Background jobs of analytics: writing an export and making a monthly report (each queued by receivers.py when
exports.py or monthly.py announces it), deleting expired exports, and the monthly fan-out. Each task loads what it
needs by id and calls exports.py or monthly.py, where the work lives; a job that fails is marked so
(academy.job_tasks), and its page offers a retry."""
from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from academy.job_tasks import JobTask

from . import exports, monthly
from .models import ExportJob, MonthlyReportJob


@shared_task(
    base=JobTask, job_model=ExportJob, autoretry_for=(OperationalError, InterfaceError), max_retries=3,
    retry_backoff=5, retry_jitter=True,
)
def run_export(job_id: str) -> None:
    exports.export_run(job=ExportJob.objects.get(pk=job_id))


@shared_task
def delete_expired_exports() -> int:
    return exports.exports_delete_expired()


@shared_task
def generate_monthly_reports() -> int:
    """On the 1st of each month (CELERY_BEAT_SCHEDULE): one job per region for the month just ended."""
    return len(monthly.monthly_reports_start(month=monthly.previous_month(timezone.localdate())))


# OSError: the mail server could not be reached (smtplib's errors are OSErrors); the report stays unmarked.
@shared_task(
    base=JobTask, job_model=MonthlyReportJob, autoretry_for=(OperationalError, InterfaceError, OSError),
    max_retries=3, retry_backoff=30, retry_jitter=True,
)
def run_monthly_report(job_id: str) -> None:
    """One region's monthly report (analytics/monthly.py); a retry or a second run finds it archived."""
    monthly.monthly_report_run(job_id=job_id)
