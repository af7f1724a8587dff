"""The base of every Celery task that runs a background job (academy.jobs): the task's first argument is
the job's id, and its ``job_model`` option names the job's model::

    @shared_task(base=JobTask, job_model=ExportJob, autoretry_for=..., max_retries=3)
    def run_export(job_id): ...

When the task gives up (an error it does not retry, or the last
retry's), the job is marked failed with the error, so that its page stops waiting. This wraps the call
rather than using on_failure, which Celery skips when tasks run in process (no broker).
"""
import logging

from celery import Task
from celery.exceptions import Retry

from .jobs import BackgroundJob, job_fail

logger = logging.getLogger(__name__)


class JobTask(Task):
    job_model: type[BackgroundJob]

    def __call__(self, job_id, *args, **kwargs):
        try:
            return super().__call__(job_id, *args, **kwargs)
        except Retry as retry:
            if not self.request.is_eager:
                raise  # another attempt is queued
            self._fail(job_id, retry.exc or retry)  # in process the job is not left waiting
            raise
        except Exception as error:
            self._fail(job_id, error)
            raise

    def _fail(self, job_id, error: BaseException) -> None:
        try:
            self.job_failed(job_id, message=f"{type(error).__name__}: {error}")
        except Exception:  # the database itself may be what failed; the original error is what matters
            logger.exception("Could not mark %s %s failed", self.job_model._meta.verbose_name, job_id)

    def job_failed(self, job_id, *, message: str) -> None:
        """Mark the job failed; a task whose job needs more on failure (a file to delete) overrides this."""
        job_fail(self.job_model, job_id, message=message)
