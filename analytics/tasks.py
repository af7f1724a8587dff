"""Background jobs of analytics: writing an export. The task loads the job by id and calls exports.py,
where the work lives; a job that fails is marked so, and its page stops waiting."""
from celery import shared_task
from django.db import InterfaceError, OperationalError

from .models import ExportJob


@shared_task(autoretry_for=(OperationalError, InterfaceError), max_retries=3, retry_backoff=5, retry_jitter=True)
def run_export(job_id: str) -> None:
    from .exports import export_fail, export_run

    try:
        export_run(job=ExportJob.objects.get(pk=job_id))
    except (OperationalError, InterfaceError):
        # Worth another try: put the job back so the retry takes it again.
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(status=ExportJob.Status.PENDING)
        raise
    except PermissionError as error:  # the requester's scope changed since: nothing is written
        export_fail(job_id=job_id, message=str(error))
    except Exception as error:
        export_fail(job_id=job_id, message=f"{type(error).__name__}: {error}")
        raise


@shared_task
def delete_expired_exports() -> int:
    from .exports import exports_delete_expired

    return exports_delete_expired()


@shared_task
def generate_monthly_reports() -> int:
    """On the 1st of each month (CELERY_BEAT_SCHEDULE): one task per region for the month just ended."""
    from django.utils import timezone

    from .monthly import previous_month, report_regions

    month = previous_month(timezone.localdate())
    regions = report_regions()
    for region in regions:
        generate_monthly_report.delay(region.code, month.isoformat())
    return len(regions)


# OSError: the mail server could not be reached (smtplib's errors are OSErrors); the report stays unmarked.
@shared_task(
    autoretry_for=(OperationalError, InterfaceError, OSError), max_retries=3, retry_backoff=30, retry_jitter=True
)
def generate_monthly_report(region_code: str, month: str) -> int:
    """One region's monthly report (analytics/monthly.py); a retry or a second run finds it archived."""
    import datetime

    from academy.organisation.models import Region

    from .monthly import monthly_report_generate

    report = monthly_report_generate(
        region=Region.objects.get(code=region_code), month=datetime.date.fromisoformat(month)
    )
    return report.pk
