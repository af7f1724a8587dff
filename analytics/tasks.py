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
