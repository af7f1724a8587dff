"""What certification does when something it announced happens: a certificate issuing job, once started
(certificates.py), is queued for a worker (tasks.py). With the broker unreachable the job waits, unqueued, for
the sweep (academy.job_tasks.job_queue)."""
from django.dispatch import receiver

from academy.job_tasks import job_queue
from academy.jobs import job_ready

from .models import IssueJob
from .tasks import issue_certificates


@receiver(job_ready, sender=IssueJob, dispatch_uid="certification.queue_issue_job")
def queue_issue_job(sender, *, job_id: str, **kwargs) -> None:
    job_queue(issue_certificates, IssueJob, job_id)
