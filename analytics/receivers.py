"""What analytics does when something it announced happens: an export asked for (exports.py) or a monthly report
due (monthly.py) is queued for a worker (tasks.py). With the broker unreachable the job waits, unqueued, for the
sweep (academy.job_tasks.job_queue)."""
from django.dispatch import receiver

from academy.job_tasks import job_queue
from academy.jobs import job_ready

from .models import ExportJob, MonthlyReportJob
from .tasks import run_export, run_monthly_report


@receiver(job_ready, sender=ExportJob, dispatch_uid="analytics.queue_export")
def queue_export(sender, *, job_id: str, **kwargs) -> None:
    job_queue(run_export, ExportJob, job_id)


@receiver(job_ready, sender=MonthlyReportJob, dispatch_uid="analytics.queue_monthly_report")
def queue_monthly_report(sender, *, job_id: str, **kwargs) -> None:
    job_queue(run_monthly_report, MonthlyReportJob, job_id)
