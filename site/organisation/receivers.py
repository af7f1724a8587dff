"""What the organisation does when something it announced happens: a roster import ready for its next step
is queued for a worker (roster.py announces, tasks.py runs). With the broker unreachable the import waits,
unqueued, for the sweep (academy.job_tasks.job_queue)."""
from django.dispatch import receiver

from academy.job_tasks import job_queue
from academy.jobs import job_ready

from .models import RosterImport
from .tasks import apply_roster_import, validate_roster_import

ROSTER_IMPORT_STEPS = {"validate": validate_roster_import, "apply": apply_roster_import}


@receiver(job_ready, sender=RosterImport, dispatch_uid="organisation.queue_roster_import")
def queue_roster_import(sender, *, job_id: str, step: str, **kwargs) -> None:
    job_queue(ROSTER_IMPORT_STEPS[step], RosterImport, job_id)
