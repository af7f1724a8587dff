"""What analytics does when something it announced happens: an export asked for (exports.py) is queued for a
worker (tasks.py)."""
from django.dispatch import receiver

from academy.jobs import job_ready

from .models import ExportJob
from .tasks import run_export


@receiver(job_ready, sender=ExportJob, dispatch_uid="analytics.queue_export")
def queue_export(sender, *, job_id: str, **kwargs) -> None:
    run_export.delay(job_id)
