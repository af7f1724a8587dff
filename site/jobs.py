"""Background jobs: the state every long piece of work keeps in the database (a roster import, an export,
the issuing of a session's certificates), so that its page can follow it and an administrator can leave
and come back.

A job is a model on ``BackgroundJob``: its status, how many items it has (``total``) and has done
(``done``), when it started and finished, why it failed, and ``last_alive_at``, the last sign of life of
the task running it. Services move a job on with the functions below; a job that is waiting or running
with no sign of life for ``JOBS_STALE_AFTER_SECONDS`` has lost its worker (``is_stale``).

Services never queue tasks: they announce a job ready with ``job_announce`` (on commit), and the app's
receivers.py queues the task that runs it. The task's base class (academy.job_tasks) marks the job failed
when the task gives up. Every job's page shows its progress with templates/includes/job_status.html and
static/js/job_progress.js, which polls a view answering with ``job_status_response``.
"""
import datetime
import logging
import uuid

from django.conf import settings
from django.db import models, transaction
from django.dispatch import Signal
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# The longest failure message kept: enough for the error, not for a whole traceback.
FAILURE_MESSAGE_CHARS = 2000

# Sent on commit when a job is ready for its next step. sender: the job's model; job_id: its primary key as
# text; step: which of the model's tasks runs it ("" when it has only one).
job_ready = Signal()


class BackgroundJob(models.Model):
    """The state of one piece of background work. Subclasses add what the work needs (a file, filters, a
    session) and may widen ``Status`` with steps of their own, listing the unfinished ones in
    ``UNFINISHED``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    UNFINISHED = {Status.PENDING, Status.RUNNING}

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    failure_message = models.TextField(_("failure"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    last_alive_at = models.DateTimeField(
        _("last sign of life"), null=True, blank=True, help_text=_("Written by the task as it runs.")
    )

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def is_running(self) -> bool:
        return self.status in self.UNFINISHED

    @property
    def progress(self) -> int:
        """Percent of the items done."""
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)

    def is_stale(self, now: datetime.datetime | None = None) -> bool:
        """Unfinished with no sign of life (its start, a progress write) for JOBS_STALE_AFTER_SECONDS: its
        worker was lost, and starting again may replace it. A healthy job writes its progress more often."""
        if not self.is_running:
            return False
        stale_after = datetime.timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS)
        last_sign = self.last_alive_at or self.started_at or self.created_at
        return last_sign < (now or timezone.now()) - stale_after


def job_announce(job: BackgroundJob, *, step: str = "") -> None:
    """Once the transaction commits, say that ``job`` is ready for ``step``: the app's receiver queues the
    task (services never import tasks)."""
    job_class, job_id = type(job), str(job.pk)
    transaction.on_commit(lambda: job_ready.send(sender=job_class, job_id=job_id, step=step))


def job_start(job_class: type[BackgroundJob], job_id, *, status: str = BackgroundJob.Status.RUNNING,
              from_statuses, **values) -> bool:
    """Move a job from one of ``from_statuses`` to ``status`` (running by default); False when it was in
    none of them (done, failed, or taken by another worker after a message delivered twice)."""
    now = timezone.now()
    return bool(job_class.objects.filter(pk=job_id, status__in=from_statuses).update(
        status=status, started_at=now, last_alive_at=now, finished_at=None, **values
    ))


def job_progress(job_class: type[BackgroundJob], job_id, *, done=None, total=None) -> None:
    """Save how far the job has got (``done`` may be an F() expression); each write is a sign of life.
    A short write of its own, so the page polling the job sees it at once."""
    values = {"last_alive_at": timezone.now()}
    if done is not None:
        values["done"] = done
    if total is not None:
        values["total"] = total
    job_class.objects.filter(pk=job_id).update(**values)


def job_fail(job_class: type[BackgroundJob], job_id, *, message: str) -> bool:
    """Mark the job failed with ``message``, unless it is done already, so that its page stops waiting.
    True when the job is now failed."""
    logger.error("%s %s failed: %s", job_class._meta.verbose_name, job_id, message)
    return bool(job_class.objects.filter(pk=job_id).exclude(status=job_class.Status.DONE).update(
        status=job_class.Status.FAILED, failure_message=message[:FAILURE_MESSAGE_CHARS], finished_at=timezone.now()
    ))


def job_status_response(job: BackgroundJob, **extra) -> JsonResponse:
    """What job_progress.js polls: the status, its label, and how far the job has got."""
    return JsonResponse({
        "status": job.status,
        "status_label": job.get_status_display(),
        "running": job.is_running,
        "progress": job.progress,
        "processed_rows": job.done,
        "total_rows": job.total,
        **extra,
    })
