"""What certification does when something it announced happens: a certificate issuing job, once started
(certificates.py), is queued for a worker (tasks.py). With the broker unreachable the job waits, unqueued, for
the sweep (academy.job_tasks.job_queue). A session signed off (scoring.py) has its candidates told their results
by a task queued once the sign-off commits; certificates issued, their holders told the same way."""
from django.db import transaction
from django.dispatch import receiver

from academy.job_tasks import job_queue
from academy.jobs import job_ready

from .models import AssessmentSession, Certificate, IssueJob
from .signals import certificates_issued, session_signed_off
from .tasks import issue_certificates, notify_certificates_issued, notify_session_results


@receiver(job_ready, sender=IssueJob, dispatch_uid="certification.queue_issue_job")
def queue_issue_job(sender, *, job_id: str, **kwargs) -> None:
    job_queue(issue_certificates, IssueJob, job_id)


@receiver(session_signed_off, sender=AssessmentSession, dispatch_uid="certification.queue_result_notices")
def queue_result_notices(sender, *, session_id: int, **kwargs) -> None:
    transaction.on_commit(lambda: notify_session_results.delay(session_id), robust=True)


@receiver(certificates_issued, sender=Certificate, dispatch_uid="certification.queue_certificate_notices")
def queue_certificate_notices(sender, *, certificate_ids: list[int], **kwargs) -> None:
    transaction.on_commit(lambda: notify_certificates_issued.delay(certificate_ids), robust=True)
