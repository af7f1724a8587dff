"""Background work of certification: issuing a signed-off session's certificates, and telling its candidates
their results and the holders their certificates (notices.py: a NoticeJob recorded when a session is signed off
and when certificates are issued, queued by receivers.py; safe to run twice).

The issuing tasks load the job by id and call certificates.py, where the work lives; receivers.py queues the
first when a job is announced.

A session's applications are split into chunks, each a task of its own, so that every worker process draws
PDFs at once; the chunk that completes the count marks the job done. Every step is safe to run twice. A
database hiccup is retried; any other failure, or the last retry's, marks the job failed (academy.job_tasks)
so its page offers to issue the rest, without a second certificate for anyone. A chunk lost with its worker is
not given back to the queue (it might be what kills the worker): the sweep plans the job again and queues
what is missing (IssueJob.RESUME_WHEN_STALE)."""
from celery import group, shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerUnreachable

from academy.job_tasks import JobTask

from . import certificates, notices
from .models import IssueJob, NoticeJob

RETRIED = (OperationalError, InterfaceError)


# BrokerUnreachable: the chunks could not be queued; the retry plans them again.
@shared_task(
    base=JobTask, job_model=IssueJob, autoretry_for=(*RETRIED, BrokerUnreachable), max_retries=3, retry_backoff=5,
    retry_jitter=True,
)
def issue_certificates(job_id: str) -> None:
    chunks = certificates.issue_job_plan(job_id=job_id)
    if chunks:
        group(issue_certificates_chunk.si(job_id, chunk) for chunk in chunks).apply_async()


@shared_task(
    base=JobTask, job_model=IssueJob, takes_the_job=False, reject_on_worker_lost=False, autoretry_for=RETRIED,
    max_retries=3, retry_backoff=5, retry_jitter=True,
)
def issue_certificates_chunk(job_id: str, application_ids: list[int]) -> None:
    certificates.issue_job_run_chunk(job_id=job_id, application_ids=application_ids)


@shared_task(
    base=JobTask, job_model=NoticeJob, autoretry_for=RETRIED, max_retries=3, retry_backoff=60, retry_jitter=True,
)
def send_notices(job_id: str) -> int:
    return notices.notice_job_run(job_id=job_id)
