"""What certification does when a job of its own is ready (academy.jobs.job_ready): queue its task (tasks.py).
A certificate issuing job once started (certificates.py), and the notices owed once a session is signed off or
certificates are issued (notices.py). With the broker unreachable the job waits, unqueued, for the sweep
(academy.job_tasks.job_queue)."""
from django.dispatch import receiver

from academy.job_tasks import job_queue
from academy.jobs import job_ready

from .models import IssueJob, NoticeJob
from .tasks import issue_certificates, send_notices


@receiver(job_ready, sender=IssueJob, dispatch_uid="certification.queue_issue_job")
def queue_issue_job(sender, *, job_id: str, **kwargs) -> None:
    job_queue(issue_certificates, IssueJob, job_id)


@receiver(job_ready, sender=NoticeJob, dispatch_uid="certification.queue_notice_job")
def queue_notice_job(sender, *, job_id: str, **kwargs) -> None:
    job_queue(send_notices, NoticeJob, job_id)
