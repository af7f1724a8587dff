"""What Celery does for every background job (academy.jobs): the base task, queuing a job's task, and the
sweep.

The base of every task that runs a job: the task's first argument is the job's id, and its ``job_model``
option names the job's model::

    @shared_task(base=JobTask, job_model=ExportJob, autoretry_for=..., max_retries=3)
    def run_export(job_id): ...

While the task runs, a heartbeat thread writes the job's ``last_alive_at`` every JOBS_HEARTBEAT_SECONDS, even
through one long step, so that a job whose worker died is found by the sweep within minutes. When the task is
to be retried, the job goes back to waiting so that the retry can take it; when it gives up (an error it does
not retry, the last retry's, or any retry when tasks run in process, where none follows), the job is marked
failed with the error, so that its page stops waiting and offers a retry. This wraps the call rather than using
on_failure, which Celery skips when tasks run in process (no broker).

A receiver queues a job's task with ``job_queue``: if the broker cannot be reached, the error is logged and
the job stays waiting, unqueued, for the sweep to send once the broker is back; the request that made the job
goes on and its page says so.
"""
import logging
import threading
from contextlib import contextmanager

from celery import Task, shared_task
from celery.exceptions import Retry
from django.conf import settings
from django.db import connections
from kombu.exceptions import ChannelError, OperationalError as KombuOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeoutError

from .jobs import BackgroundJob, job_alive, job_fail, job_queued, job_requeue, jobs_sweep

logger = logging.getLogger(__name__)

# What publishing raises when the broker is down or unreachable (kombu wraps most of redis's errors; the
# others are redis's own).
BROKER_UNREACHABLE = (KombuOperationalError, RedisConnectionError, RedisTimeoutError)


class JobTask(Task):
    job_model: type[BackgroundJob]
    # True for a task that takes its job (job_start): a retry puts the job back to waiting first. False for a
    # task doing one part of a job that another task took (a chunk of certificates).
    takes_the_job = True
    # A message whose worker process died is given back to the queue rather than dropped: the job's status
    # makes a second delivery harmless (a job taken already is left alone; the sweep recovers it).
    reject_on_worker_lost = True

    def __call__(self, job_id, *args, **kwargs):
        # In process (no broker) there is no worker to lose, and no sweep.
        with job_heartbeat(self.job_model, job_id, enabled=not self.request.is_eager):
            try:
                return super().__call__(job_id, *args, **kwargs)
            except Retry as retry:
                if self.request.is_eager:
                    self._fail(job_id, retry.exc or retry)  # in process no retry follows: the job is not left waiting
                elif self.takes_the_job:
                    job_requeue(self.job_model, job_id)  # the retry takes it again
                raise
            except Exception as error:
                self._fail(job_id, error)
                raise

    def _fail(self, job_id, error: BaseException) -> None:
        try:
            job_fail(self.job_model, job_id, message=f"{type(error).__name__}: {error}")
        except Exception:  # the database itself may be what failed; the original error is what matters
            logger.exception("Could not mark %s %s failed", self.job_model._meta.verbose_name, job_id)


@contextmanager
def job_heartbeat(job_model: type[BackgroundJob], job_id, *, enabled: bool = True):
    """Write the job's sign of life every JOBS_HEARTBEAT_SECONDS from a thread of its own (with its own
    database connection) while the block runs."""
    if not enabled:
        yield
        return
    stop = threading.Event()

    def beat():
        try:
            while not stop.wait(settings.JOBS_HEARTBEAT_SECONDS):
                try:
                    job_alive(job_model, job_id)
                except Exception:  # a missed beat is no reason to stop the job; several make it stale
                    logger.warning("Heartbeat of %s %s not written", job_model._meta.label, job_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def job_queue(task: Task, job_model: type[BackgroundJob], job_id, *args) -> bool:
    """Send ``task``'s message for the job; True once the broker took it (the job is stamped queued). With the
    broker unreachable (after the short tries of CELERY_BROKER_TRANSPORT_OPTIONS and
    CELERY_TASK_PUBLISH_RETRY_POLICY), log it and leave the job waiting: the sweep sends it later."""
    try:
        task.apply_async((job_id, *args))
    except BROKER_UNREACHABLE as error:
        logger.error(
            "Broker unreachable: %s %s stays waiting until the sweep sends it (%s: %s)",
            job_model._meta.label, job_id, type(error).__name__, error,
        )
        return False
    job_queued(job_model, job_id)
    return True


def queue_is_empty(app) -> bool:
    """No message waits in the default queue (False if the broker cannot say)."""
    try:
        with app.connection_for_read() as connection:
            declared = connection.default_channel.queue_declare(queue=app.conf.task_default_queue, passive=True)
            return declared.message_count == 0
    except BROKER_UNREACHABLE:
        return False
    except ChannelError:  # the queue was never declared: nothing waits in it
        return True


@shared_task(bind=True)
def sweep_jobs(self) -> dict:
    """Every minute (CELERY_BEAT_SCHEDULE): recover what dead workers and broker outages left (academy.jobs)."""
    return dict(jobs_sweep(queue_empty=True if self.request.is_eager else queue_is_empty(self.app)))
