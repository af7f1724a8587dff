"""Background jobs of analytics: writing an export (queued by receivers.py when exports.py announces it),
deleting expired ones, and the monthly reports. Each task loads what it needs by id and calls exports.py or
monthly.py, where the work lives; an export that fails is marked so (academy.job_tasks), and its page stops
waiting."""
import datetime

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from academy.job_tasks import JobTask
from academy.organisation.models import Region

from . import exports, monthly
from .models import ExportJob


@shared_task(
    base=JobTask, job_model=ExportJob, autoretry_for=(OperationalError, InterfaceError), max_retries=3,
    retry_backoff=5, retry_jitter=True,
)
def run_export(job_id: str) -> None:
    try:
        exports.export_run(job=ExportJob.objects.get(pk=job_id))
    except (OperationalError, InterfaceError):
        # Worth another try: put the job back so the retry takes it again.
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(status=ExportJob.Status.PENDING)
        raise


@shared_task
def delete_expired_exports() -> int:
    return exports.exports_delete_expired()


@shared_task
def generate_monthly_reports() -> int:
    """On the 1st of each month (CELERY_BEAT_SCHEDULE): one task per region for the month just ended."""
    month = monthly.previous_month(timezone.localdate())
    regions = monthly.report_regions()
    for region in regions:
        generate_monthly_report.delay(region.code, month.isoformat())
    return len(regions)


# OSError: the mail server could not be reached (smtplib's errors are OSErrors); the report stays unmarked.
@shared_task(
    autoretry_for=(OperationalError, InterfaceError, OSError), max_retries=3, retry_backoff=30, retry_jitter=True
)
def generate_monthly_report(region_code: str, month: str) -> int:
    """One region's monthly report (analytics/monthly.py); a retry or a second run finds it archived."""
    report = monthly.monthly_report_generate(
        region=Region.objects.get(code=region_code), month=datetime.date.fromisoformat(month)
    )
    return report.pk
