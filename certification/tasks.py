"""Background jobs of certification: issuing a signed-off session's certificates. The tasks load the job by id
and call certificates.py, where the work lives.

A session's applications are split into chunks, each a task of its own, so that every worker process draws
PDFs at once; the chunk that completes the count marks the job done. Every step is safe to run twice. A
database hiccup is retried; any other failure, or the last retry's, marks the job failed so its page stops
waiting, and starting the issue again completes it without a second certificate for anyone."""
from celery import group, shared_task
from django.db import InterfaceError, OperationalError

RETRIED = (OperationalError, InterfaceError)


def _fail_unless_retried(task, job_id: str, error: Exception) -> None:
    from .certificates import issue_job_fail

    if isinstance(error, RETRIED) and task.request.retries < task.max_retries:
        return
    issue_job_fail(job_id=job_id, message=f"{type(error).__name__}: {error}")


@shared_task(bind=True, autoretry_for=RETRIED, max_retries=3, retry_backoff=5, retry_jitter=True)
def issue_certificates(self, job_id: str) -> None:
    from .certificates import issue_job_plan

    try:
        chunks = issue_job_plan(job_id=job_id)
    except Exception as error:
        _fail_unless_retried(self, job_id, error)
        raise
    if chunks:
        group(issue_certificates_chunk.si(job_id, chunk) for chunk in chunks).apply_async()


@shared_task(bind=True, autoretry_for=RETRIED, max_retries=3, retry_backoff=5, retry_jitter=True)
def issue_certificates_chunk(self, job_id: str, application_ids: list[int]) -> None:
    from .certificates import issue_job_run_chunk

    try:
        issue_job_run_chunk(job_id=job_id, application_ids=application_ids)
    except Exception as error:
        _fail_unless_retried(self, job_id, error)
        raise
