"""Background jobs: the state every long piece of work keeps in the database (a roster import, an export,
the issuing of a session's certificates, a plan's assignment, a monthly report), so that its page can follow
it, an administrator can leave and come back, and nothing is lost when a worker or the broker dies.

A job is a model on ``BackgroundJob``: its status, how many items it has (``total``) and has done
(``done``), when it started and finished, why it failed, when it was last announced and queued, and
``last_alive_at``, the last sign of life of the task running it. Services move a job on with the functions
below; nothing here knows Celery.

The life of a job, the same for every kind:

- A service records the job and announces it ready with ``job_announce`` (on commit); the app's receivers.py
  queues its task through ``academy.job_tasks.job_queue``, which stamps ``queued_at`` once the broker took
  the message. The job table is the outbox: a job the broker never took stays waiting, unqueued.
- The task takes the job with ``job_start`` (from a waiting status only, so a message delivered twice does
  nothing) and writes its progress; while it runs, a heartbeat thread (academy.job_tasks) writes
  ``last_alive_at`` every JOBS_HEARTBEAT_SECONDS.
- ``jobs_sweep`` (Celery beat, every minute) finds what a dead worker or broker left: a running job with no
  sign of life for JOBS_STALE_AFTER_SECONDS is failed with ``JOB_INTERRUPTED`` (or, for a kind whose parts
  pick up where they stopped, resumed), a waiting job whose message never reached the broker is announced
  again, a job left waiting for a person too long (``EXPIRY``: a preview never confirmed) is ended, and files
  that must not outlive their job are deleted.
- A failed job is retried by a person with ``job_retry``, through the app's service; every kind is safe to
  run again.

Each kind says how with class attributes: ``WAITING``, ``RUNNING``, ``RESUME_WHEN_STALE``,
``FILES_KEPT_WHILE``, ``EXPIRY``. Every job's page shows it with templates/includes/job_status.html and
static/js/job_progress.js, which polls a view answering with ``job_status_response``.
"""
import datetime
import logging
import uuid
from collections import Counter
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _, gettext_noop

logger = logging.getLogger(__name__)

# The longest failure message kept: enough for the error, not for a whole traceback.
FAILURE_MESSAGE_CHARS = 2000
# Jobs handled by one sweep of one kind, so that a sweep ends well within its minute.
SWEEP_BATCH = 200
# Stored untranslated and shown in the reader's language (BackgroundJob.failure_text).
JOB_INTERRUPTED = gettext_noop(
    "The background job was interrupted: the process running it stopped. It can be retried."
)



@dataclass(frozen=True)
class JobExpiry:
    """How a job left waiting for a person (a preview nobody confirms) ends, so that its files are not kept for
    ever: past ``hours_setting`` hours in one of ``statuses`` the sweep moves it to ``status`` with ``message``
    (stored untranslated, shown in the reader's language) and deletes its files."""

    statuses: frozenset
    hours_setting: str
    status: str
    message: str


# Sent on commit when a job is ready for its next step. sender: the job's model; job_id: its primary key as
# text; step: which of the model's tasks runs it ("" when it has only one).
job_ready = Signal()


class BackgroundJob(models.Model):
    """The state of one piece of background work. Subclasses add what the work needs (a file, filters, a
    session) and may widen ``Status`` with steps of their own, declaring them in ``WAITING`` and
    ``RUNNING``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    # Each status in which the job waits for a worker -> the step (receivers.py's name for the task) that takes
    # it. The first is where a retry starts.
    WAITING = {Status.PENDING: ""}
    # Each status in which a worker is on the job -> the waiting status it goes back to when its task is retried
    # or the job resumed.
    RUNNING = {Status.RUNNING: Status.PENDING}
    # True when the job's steps pick up where they stopped (chunks of a batch): the sweep sends a job whose worker
    # was lost back to waiting, up to JOBS_MAX_RESUMES times without progress, instead of failing it.
    RESUME_WHEN_STALE = False
    # File fields that must not outlive the job -> the statuses in which the file is kept. In any other status the
    # file is deleted (at once when the job fails or ends, and by the sweep should that have been missed).
    FILES_KEPT_WHILE: dict[str, set] = {}
    # A job that may wait for a person's decision, and for how long (JobExpiry); None: it never waits for one.
    EXPIRY: JobExpiry | None = None

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
    announced_at = models.DateTimeField(
        _("announced"), null=True, blank=True, help_text=_("When the job was last made ready for a worker.")
    )
    queued_at = models.DateTimeField(
        _("queued"), null=True, blank=True,
        help_text=_("When the broker last took the job's message; empty while the broker could not be reached."),
    )
    resumes = models.PositiveSmallIntegerField(
        _("resumes"), default=0, help_text=_("Times the job was resumed after losing its worker, since it last progressed.")
    )

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def is_running(self) -> bool:
        """Unfinished: waiting for a worker or being worked on."""
        return self.status in self.WAITING or self.status in self.RUNNING

    @property
    def is_waiting(self) -> bool:
        return self.status in self.WAITING

    @property
    def is_unqueued(self) -> bool:
        """Waiting, but the broker never took its message: the sweep sends it once the broker is back."""
        return self.is_waiting and self.queued_at is None

    @property
    def is_failed(self) -> bool:
        return self.status == self.Status.FAILED

    @property
    def failure_text(self) -> str:
        """The failure in the reader's language when it is one of ours: JOB_INTERRUPTED, or an error whose
        message is marked for translation, which the task recorded after its name ("FfmpegMissing: …",
        job_tasks); else as recorded."""
        if not self.failure_message:
            return ""
        error_name, separator, error_message = self.failure_message.partition(": ")
        if separator and error_name.isidentifier() and gettext(error_message) != error_message:
            return gettext(error_message)
        return gettext(self.failure_message)

    @property
    def progress(self) -> int:
        """Percent of the items done."""
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)

    def is_stale(self, now: datetime.datetime | None = None) -> bool:
        """Worked on, with no sign of life (its start, a heartbeat, a progress write) for
        JOBS_STALE_AFTER_SECONDS: its worker was lost. A waiting job is never stale: it waits for the queue."""
        if self.status not in self.RUNNING:
            return False
        stale_after = datetime.timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS)
        last_sign = self.last_alive_at or self.started_at or self.created_at
        return last_sign < (now or timezone.now()) - stale_after


def job_models() -> list[type[BackgroundJob]]:
    """Every kind of job the installed apps define."""
    return [model for model in apps.get_models() if issubclass(model, BackgroundJob)]


def job_announce(job: BackgroundJob, *, step: str = "") -> None:
    """Once the transaction commits, say that ``job`` is ready for ``step``: the app's receiver queues the
    task (services never import tasks). Until the broker takes the message the job counts as unqueued."""
    job_class, job_id = type(job), str(job.pk)
    job.announced_at, job.queued_at = timezone.now(), None
    job_class.objects.filter(pk=job.pk).update(announced_at=job.announced_at, queued_at=None)
    transaction.on_commit(lambda: job_ready.send(sender=job_class, job_id=job_id, step=step))


def job_queued(job_class: type[BackgroundJob], job_id) -> None:
    """The broker took the job's message."""
    job_class.objects.filter(pk=job_id).update(queued_at=timezone.now())


def job_start(job_class: type[BackgroundJob], job_id, *, status: str = BackgroundJob.Status.RUNNING,
              from_statuses, **values) -> bool:
    """Move a job from one of ``from_statuses`` to ``status`` (running by default); False when it was in
    none of them (done, failed, or taken by another worker after a message delivered twice)."""
    now = timezone.now()
    return bool(job_class.objects.filter(pk=job_id, status__in=from_statuses).update(
        status=status, started_at=now, last_alive_at=now, finished_at=None, **values
    ))


def job_alive(job_class: type[BackgroundJob], job_id) -> None:
    """A heartbeat: the job's worker is alive. A job whose row the worker holds locked (a roster applied in
    one transaction) is skipped rather than waited for: the lock itself shows the worker alive, and the
    sweep leaves locked rows alone."""
    with transaction.atomic():
        running = job_class.objects.select_for_update(skip_locked=True).filter(
            pk=job_id, status__in=list(job_class.RUNNING)
        )
        if list(running.values_list("pk", flat=True)):
            job_class.objects.filter(pk=job_id).update(last_alive_at=timezone.now())


def job_progress(job_class: type[BackgroundJob], job_id, *, done=None, total=None) -> None:
    """Save how far the job has got (``done`` may be an F() expression); each write is a sign of life.
    A short write of its own, so the page polling the job sees it at once."""
    values = {"last_alive_at": timezone.now()}
    if done is not None:
        values["done"] = done
        values["resumes"] = 0  # it progressed: a later loss of its worker may be resumed again
    if total is not None:
        values["total"] = total
    job_class.objects.filter(pk=job_id).update(**values)


def job_requeue(job_class: type[BackgroundJob], job_id) -> bool:
    """Put a job its task is about to retry back to waiting, so that the retry can take it again."""
    for running, waiting in job_class.RUNNING.items():
        if job_class.objects.filter(pk=job_id, status=running).update(status=waiting):
            return True
    return False


def job_fail(job_class: type[BackgroundJob], job_id, *, message: str) -> bool:
    """Mark the job failed with ``message``, unless it is done already, so that its page stops waiting and
    offers a retry; its files that must not outlive it are deleted once this commits. True when the job is
    now failed."""
    logger.error("%s %s failed: %s", job_class._meta.verbose_name, job_id, message)
    failed = bool(job_class.objects.filter(pk=job_id).exclude(status=job_class.Status.DONE).update(
        status=job_class.Status.FAILED, failure_message=message[:FAILURE_MESSAGE_CHARS], finished_at=timezone.now()
    ))
    if failed:
        job_files_delete_on_commit(job_class, job_id)
    return failed


def job_retry(job: BackgroundJob, **values) -> bool:
    """Start a failed job again from its first waiting status, with ``values`` changed (a new file, say), and
    announce it. False if the job is not failed (a second click, or retried already)."""
    job_class = type(job)
    waiting, step = next(iter(job_class.WAITING.items()))
    retried = job_class.objects.filter(pk=job.pk, status=job_class.Status.FAILED).update(
        status=waiting, failure_message="", done=0, started_at=None, finished_at=None, last_alive_at=None,
        resumes=0, **values,
    )
    if retried:
        job_announce(job, step=step)
    job.refresh_from_db()
    return bool(retried)


# --- Files that must not outlive their job -----------------------------------------------------------------


def job_files_delete_on_commit(job_class: type[BackgroundJob], job_id) -> None:
    if job_class.FILES_KEPT_WHILE:
        transaction.on_commit(lambda: job_files_delete(job_class, job_id))


def job_files_delete(job_class: type[BackgroundJob], job_id) -> int:
    """Delete the job's files that its status no longer keeps (FILES_KEPT_WHILE); returns how many. The job's
    row is locked while the file is deleted and then its field emptied: a retry bringing a new file waits, and a
    worker dying between the two leaves the field naming the file, for the sweep to delete it again rather than
    forget it on disk."""
    deleted = 0
    for field_name, kept in job_class.FILES_KEPT_WHILE.items():
        with transaction.atomic():
            row = (
                job_class.objects.select_for_update().filter(pk=job_id).exclude(status__in=kept)
                .values(field_name).first()
            )
            name = row and row[field_name]
            if not name:
                continue
            job_class._meta.get_field(field_name).storage.delete(name)
            job_class.objects.filter(pk=job_id).update(**{field_name: ""})
            deleted += 1
    return deleted


# --- The sweep --------------------------------------------------------------------------------------------


def jobs_sweep(*, now: datetime.datetime | None = None, queue_empty: bool = True) -> Counter:
    """What a dead worker or broker left, for every kind of job (run every minute; safe to run twice, or twice
    at once). ``queue_empty``: no message waits in the broker's queue, so a job still waiting for one, or
    the parts of a batch, were not merely queued behind other work. Returns what it did, by kind of act."""
    now = now or timezone.now()
    acts = Counter()
    for job_class in job_models():
        _sweep_lost_workers(job_class, now=now, queue_empty=queue_empty, acts=acts)
        _sweep_lost_messages(job_class, now=now, queue_empty=queue_empty, acts=acts)
        _sweep_expired(job_class, now=now, acts=acts)
        _sweep_files(job_class, acts=acts)
    if acts:
        logger.warning("Job sweep: %s", dict(acts))
    return acts


def _sweep_lost_workers(job_class, *, now, queue_empty: bool, acts: Counter) -> None:
    """Running jobs with no sign of life for JOBS_STALE_AFTER_SECONDS: failed with JOB_INTERRUPTED, or resumed
    when their kind picks up where it stopped. A row locked by its worker's transaction is alive (skipped)."""
    cutoff = now - datetime.timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS)
    with transaction.atomic():
        lost = list(
            job_class.objects.select_for_update(skip_locked=True)
            .filter(status__in=list(job_class.RUNNING))
            .alias(last_sign=Coalesce("last_alive_at", "started_at", "created_at"))
            .filter(last_sign__lt=cutoff)
            .order_by("pk")[:SWEEP_BATCH]
        )
        for job in lost:
            if job_class.RESUME_WHEN_STALE:
                if not queue_empty:
                    continue  # its parts may be waiting in the queue behind other work
                if job.resumes < settings.JOBS_MAX_RESUMES:
                    job_class.objects.filter(pk=job.pk).update(
                        status=job_class.RUNNING[job.status], resumes=F("resumes") + 1
                    )
                    job_announce(job, step=job_class.WAITING[job_class.RUNNING[job.status]])
                    acts[f"{job_class._meta.label} resumed"] += 1
                    continue
            if job_fail(job_class, job.pk, message=JOB_INTERRUPTED):
                acts[f"{job_class._meta.label} failed"] += 1


def _sweep_lost_messages(job_class, *, now, queue_empty: bool, acts: Counter) -> None:
    """Waiting jobs whose message may never reach a worker: announced over JOBS_RESEND_AFTER_SECONDS ago and
    never taken by the broker (it was down), or taken over JOBS_STALE_AFTER_SECONDS ago with the queue now
    empty (the message went down with a worker that had reserved it). Announced again: a duplicate message
    finds the job taken and does nothing."""
    unsent_cutoff = now - datetime.timedelta(seconds=settings.JOBS_RESEND_AFTER_SECONDS)
    lost_cutoff = now - datetime.timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS)
    never_queued = Q(queued_at__isnull=True) & (
        Q(announced_at__lt=unsent_cutoff) | Q(announced_at__isnull=True, created_at__lt=unsent_cutoff)
    )
    lost = never_queued | Q(queued_at__lt=lost_cutoff) if queue_empty else never_queued
    waiting = job_class.objects.filter(lost, status__in=list(job_class.WAITING)).order_by("pk")
    for job in waiting[:SWEEP_BATCH]:
        job_announce(job, step=job_class.WAITING[job.status])
        acts[f"{job_class._meta.label} sent again"] += 1


def _sweep_expired(job_class, *, now, acts: Counter) -> None:
    """Jobs that waited for a person longer than their kind allows (EXPIRY): ended, their files deleted. The
    move is conditional on the status, so a confirmation at the same moment either wins or finds it expired."""
    expiry = job_class.EXPIRY
    if expiry is None:
        return
    cutoff = now - datetime.timedelta(hours=getattr(settings, expiry.hours_setting))
    waiting = (
        job_class.objects.filter(status__in=list(expiry.statuses))
        .alias(waiting_since=Coalesce("finished_at", "last_alive_at", "created_at"))
        .filter(waiting_since__lt=cutoff)
        .order_by("pk")
    )
    for job_id in waiting.values_list("pk", flat=True)[:SWEEP_BATCH]:
        expired = job_class.objects.filter(pk=job_id, status__in=list(expiry.statuses)).update(
            status=expiry.status, failure_message=expiry.message, finished_at=now
        )
        if expired:
            job_files_delete_on_commit(job_class, job_id)
            acts[f"{job_class._meta.label} expired"] += 1


def _sweep_files(job_class, *, acts: Counter) -> None:
    for field_name, kept in job_class.FILES_KEPT_WHILE.items():
        leftovers = job_class.objects.exclude(status__in=kept).exclude(**{field_name: ""}).order_by("pk")
        for job_id in leftovers.values_list("pk", flat=True)[:SWEEP_BATCH]:
            acts[f"{job_class._meta.label} files deleted"] += job_files_delete(job_class, job_id)


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
