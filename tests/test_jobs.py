"""The state every background job keeps (academy.jobs) and what Celery does for all of them (academy.job_tasks):
progress, failing, the heartbeat, the sweep that recovers what a dead worker or broker left, retrying, and
queuing while the broker is down."""
import datetime
import logging
import threading
import time

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.utils import timezone, translation

from academy.celery_app import app as celery_app
from academy.job_tasks import job_heartbeat, job_queue
from academy.jobs import (
    JOB_INTERRUPTED, job_announce, job_fail, job_progress, job_requeue, job_retry, job_start, jobs_sweep,
)
from academy.organisation.models import Region, RosterImport
from academy.storage import PrivateStorage
from academy.transcoding import FFMPEG_MISSING
from analytics.models import ExportJob
from analytics.tasks import run_export
from tests.factories import UserFactory

NOW = timezone.make_aware(datetime.datetime(2026, 11, 30, 9, 0))


def export_job(**values) -> ExportJob:
    """A coverage export of an empty county: quick to write, and it needs no data."""
    return ExportJob.objects.create(
        created_by=UserFactory(admin_region=Region.objects.get(code="330102")), kind="coverage", file_format="csv",
        params={"year": 2026, "tier": "child_director", "region": "330102"},
        expires_at=timezone.now() + datetime.timedelta(days=1), **values,
    )


def roster_import(status, **values) -> RosterImport:
    """An import with an upload on disk, as one holding ID numbers would have."""
    job = RosterImport(created_by=UserFactory(), file_name="名册.csv", status=status, **values)
    job.file.save(f"{job.pk}.csv", ContentFile("身份证号码\n330102198503020012\n".encode()), save=False)
    job.save()
    return job


def ago(seconds: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=seconds)


def test_a_running_job_without_a_sign_of_life_for_too_long_is_stale(settings):
    settings.JOBS_STALE_AFTER_SECONDS = 300
    job = ExportJob(status=ExportJob.Status.RUNNING, created_at=NOW - datetime.timedelta(hours=1))
    job.last_alive_at = NOW - datetime.timedelta(seconds=299)
    assert not job.is_stale(NOW)
    job.last_alive_at = NOW - datetime.timedelta(seconds=301)
    assert job.is_stale(NOW)


def test_only_a_job_being_worked_on_goes_stale():
    old = NOW - datetime.timedelta(hours=2)
    assert ExportJob(status=ExportJob.Status.RUNNING, created_at=old).is_stale(NOW)
    assert not ExportJob(status=ExportJob.Status.RUNNING, created_at=NOW).is_stale(NOW)
    # Waiting for the queue is not a lost worker; finished jobs are over.
    assert not ExportJob(status=ExportJob.Status.PENDING, created_at=old).is_stale(NOW)
    assert not ExportJob(status=ExportJob.Status.DONE, created_at=old).is_stale(NOW)
    assert not ExportJob(status=ExportJob.Status.FAILED, created_at=old).is_stale(NOW)
    # A job with steps of its own lists which of them are worked on.
    assert RosterImport(status=RosterImport.Status.APPLYING, created_at=old).is_stale(NOW)
    assert RosterImport(status=RosterImport.Status.VALIDATING, created_at=old).is_stale(NOW)
    assert not RosterImport(status=RosterImport.Status.CONFIRMED, created_at=old).is_stale(NOW)
    assert not RosterImport(status=RosterImport.Status.VALID, created_at=old).is_stale(NOW)


@pytest.mark.django_db
def test_starting_progress_and_failing_move_a_job_on():
    job = export_job()
    assert job_start(ExportJob, job.pk, from_statuses=[ExportJob.Status.PENDING])
    assert not job_start(ExportJob, job.pk, from_statuses=[ExportJob.Status.PENDING])  # taken once only
    job_progress(ExportJob, job.pk, total=40)
    job_progress(ExportJob, job.pk, done=10)
    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.progress) == ("running", 40, 10, 25)
    assert job.started_at and job.last_alive_at >= job.started_at and not job.is_stale()

    assert job_fail(ExportJob, job.pk, message="OSError: " + "x" * 3000)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and job.finished_at and len(job.failure_message) == 2000
    assert not job.is_running


@pytest.mark.django_db
def test_a_job_that_is_done_is_never_failed_afterwards():
    job = export_job(status=ExportJob.Status.DONE)
    assert not job_fail(ExportJob, job.pk, message="RuntimeError: late")
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.failure_message == ""


@pytest.mark.django_db
def test_a_task_about_to_retry_puts_its_job_back_to_the_waiting_status_of_its_step():
    job = roster_import(RosterImport.Status.APPLYING)
    assert job_requeue(RosterImport, job.pk)
    assert RosterImport.objects.get(pk=job.pk).status == RosterImport.Status.CONFIRMED
    assert not job_requeue(RosterImport, job.pk)  # waiting already


# --- The sweep --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_fails_a_running_job_whose_worker_went_silent_and_deletes_its_upload(
    django_capture_on_commit_callbacks,
):
    lost = roster_import(RosterImport.Status.APPLYING, last_alive_at=ago(django_settings.JOBS_STALE_AFTER_SECONDS + 5))
    upload = lost.file.name
    assert PrivateStorage().exists(upload)

    with django_capture_on_commit_callbacks(execute=True):
        acts = jobs_sweep(queue_empty=True)

    lost.refresh_from_db()
    assert lost.status == RosterImport.Status.FAILED and lost.finished_at
    assert lost.failure_message == JOB_INTERRUPTED
    with translation.override("zh-hans"):
        assert lost.failure_text == "后台任务中断（处理它的进程已停止），可以重试。"
    assert not lost.file and not PrivateStorage().exists(upload)
    assert acts["organisation.RosterImport failed"] == 1


@pytest.mark.django_db
def test_the_sweep_leaves_alone_a_job_alive_lately_and_one_waiting_for_the_queue(django_capture_on_commit_callbacks):
    alive = roster_import(RosterImport.Status.VALIDATING, last_alive_at=ago(django_settings.JOBS_HEARTBEAT_SECONDS))
    queued = roster_import(RosterImport.Status.CONFIRMED, announced_at=ago(3600), queued_at=ago(3600))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        jobs_sweep(queue_empty=False)  # messages wait in the queue: this one is among them
    assert not callbacks
    assert RosterImport.objects.get(pk=alive.pk).status == RosterImport.Status.VALIDATING
    assert RosterImport.objects.get(pk=queued.pk).status == RosterImport.Status.CONFIRMED
    assert PrivateStorage().exists(alive.file.name) and PrivateStorage().exists(queued.file.name)


@pytest.mark.django_db
def test_the_sweep_sends_again_a_job_the_broker_never_took(django_capture_on_commit_callbacks):
    unsent = export_job(announced_at=ago(django_settings.JOBS_RESEND_AFTER_SECONDS + 5))
    just_announced = export_job(announced_at=ago(5))
    legacy = export_job()  # from before jobs were stamped: neither announced nor queued
    ExportJob.objects.filter(pk=legacy.pk).update(created_at=ago(3600))

    with django_capture_on_commit_callbacks(execute=True):
        acts = jobs_sweep(queue_empty=False)

    assert acts["analytics.ExportJob sent again"] == 2
    # Tasks run in process in the tests: sent again, the exports are written at once.
    assert ExportJob.objects.get(pk=unsent.pk).status == ExportJob.Status.DONE
    assert ExportJob.objects.get(pk=legacy.pk).status == ExportJob.Status.DONE
    assert ExportJob.objects.get(pk=just_announced.pk).status == ExportJob.Status.PENDING


@pytest.mark.django_db
def test_a_message_lost_with_a_worker_is_sent_again_once_the_queue_is_empty(django_capture_on_commit_callbacks):
    long_queued = ago(django_settings.JOBS_STALE_AFTER_SECONDS + 5)
    lost = export_job(announced_at=long_queued, queued_at=long_queued)

    with django_capture_on_commit_callbacks(execute=True):
        jobs_sweep(queue_empty=False)
    assert ExportJob.objects.get(pk=lost.pk).status == ExportJob.Status.PENDING  # maybe still queued

    with django_capture_on_commit_callbacks(execute=True):
        jobs_sweep(queue_empty=True)
    assert ExportJob.objects.get(pk=lost.pk).status == ExportJob.Status.DONE


@pytest.mark.django_db
def test_the_sweep_deletes_files_left_behind_by_jobs_that_are_over():
    applied = roster_import(RosterImport.Status.DONE)  # the worker died before deleting the upload
    checked = roster_import(RosterImport.Status.VALID)  # waits for its confirmation: kept
    half_written = export_job(status=ExportJob.Status.FAILED)
    half_written.file.save("exports/half.csv", ContentFile(b"Name,Mobile\n"), save=True)
    ready = export_job(status=ExportJob.Status.DONE)
    ready.file.save("exports/ready.csv", ContentFile(b"Name,Mobile\n"), save=True)
    files = {job.pk: job.file.name for job in (applied, checked, half_written, ready)}

    jobs_sweep(queue_empty=True)
    assert not jobs_sweep(queue_empty=True)  # a second sweep finds nothing more

    assert not PrivateStorage().exists(files[applied.pk]) and not RosterImport.objects.get(pk=applied.pk).file
    assert not PrivateStorage().exists(files[half_written.pk]) and not ExportJob.objects.get(pk=half_written.pk).file
    assert PrivateStorage().exists(files[checked.pk]) and PrivateStorage().exists(files[ready.pk])


# --- Retry -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failed_job_is_retried_from_its_first_step_and_only_a_failed_one(django_capture_on_commit_callbacks):
    job = export_job()
    job_start(ExportJob, job.pk, from_statuses=[ExportJob.Status.PENDING])
    job_progress(ExportJob, job.pk, done=7)
    job_fail(ExportJob, job.pk, message=JOB_INTERRUPTED)
    job.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        assert job_retry(job)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.failure_message == ""
    assert not job_retry(job)


# --- The heartbeat and the broker -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_shows_the_job_alive_while_one_long_step_runs(settings, zhejiang_regions):
    settings.JOBS_HEARTBEAT_SECONDS = 0.1
    job = export_job()
    job_start(ExportJob, job.pk, from_statuses=[ExportJob.Status.PENDING])
    started = ExportJob.objects.get(pk=job.pk).last_alive_at

    with job_heartbeat(ExportJob, job.pk):
        time.sleep(1)  # one long step, writing no progress
    signs = ExportJob.objects.get(pk=job.pk).last_alive_at
    time.sleep(0.3)

    assert signs > started
    assert ExportJob.objects.get(pk=job.pk).last_alive_at == signs  # the heartbeat stops with the task
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("heartbeat-")]


@pytest.mark.django_db
def test_with_the_broker_down_a_job_stays_waiting_unqueued_and_nothing_is_raised(dead_broker, caplog):
    job = export_job()
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="academy.job_tasks"):
        assert not job_queue(run_export, ExportJob, str(job.pk))
    assert time.monotonic() - started < 10  # a request does not hang on it
    job.refresh_from_db()
    assert job.status == ExportJob.Status.PENDING and job.is_unqueued
    assert "Broker unreachable" in caplog.text and str(job.pk) in caplog.text


@pytest.mark.django_db
def test_a_broker_that_accepts_connections_but_never_answers_does_not_hang_the_request(hung_broker):
    job = export_job()
    started = time.monotonic()
    assert not job_queue(run_export, ExportJob, str(job.pk))
    assert time.monotonic() - started < 15 and hung_broker  # it was reached, and given up on
    job.refresh_from_db()
    assert job.status == ExportJob.Status.PENDING and job.is_unqueued


@pytest.mark.django_db
def test_an_announced_job_counts_as_unqueued_until_the_broker_takes_it(django_capture_on_commit_callbacks):
    job = export_job()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job_announce(job)
    job.refresh_from_db()
    assert job.announced_at and job.is_unqueued and len(callbacks) == 1


def test_the_timings_fit_together():
    # Several heartbeats may be missed before a job counts as lost; the sweep comes often enough to see it.
    assert django_settings.JOBS_STALE_AFTER_SECONDS >= 3 * django_settings.JOBS_HEARTBEAT_SECONDS
    assert django_settings.JOBS_STALE_AFTER_SECONDS + django_settings.JOBS_SWEEP_SECONDS <= 5 * 60
    entry = django_settings.CELERY_BEAT_SCHEDULE["sweep-jobs"]
    assert (entry["task"], entry["schedule"]) == ("academy.job_tasks.sweep_jobs", django_settings.JOBS_SWEEP_SECONDS)
    # A sweep left waiting (its worker down) is dropped by the next one rather than piling up.
    assert entry["options"]["expires"] <= django_settings.JOBS_SWEEP_SECONDS
    # A live worker's message is never handed to another: twice the longest hard limit, at least.
    longest = max(hard for _soft, hard in django_settings.CELERY_TASK_TIME_LIMITS.values())
    assert django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] >= 2 * longest
    for soft, hard in django_settings.CELERY_TASK_TIME_LIMITS.values():
        assert soft < hard


def queue_of(task_name: str) -> str:
    return celery_app.amqp.router.route({}, task_name)["queue"].name


def test_the_sweep_has_a_queue_of_its_own_and_the_jobs_keep_theirs():
    # Queued behind the jobs' long tasks, the sweep would find a dead worker's job only once they end
    # (tests/integration/test_dead_worker.py shows it with real workers).
    assert queue_of("academy.job_tasks.sweep_jobs") == "housekeeping"
    assert queue_of("analytics.tasks.delete_expired_exports") == "housekeeping"
    for job_task in (
        "academy.organisation.tasks.validate_roster_import", "analytics.tasks.run_export",
        "certification.tasks.issue_certificates_chunk", "courses.tasks.run_plan_assignment",
    ):
        assert queue_of(job_task) == celery_app.conf.task_default_queue != "housekeeping"
    # Each message reaches one queue (a routing key of its own); a worker started without -Q serves both.
    assert {queue.name: queue.routing_key for queue in celery_app.amqp.queues.values()} == {
        "celery": "celery", "housekeeping": "housekeeping",
    }


def test_a_failure_is_shown_in_the_readers_language_when_its_message_is_ours():
    """The task records "ErrorName: message"; a message marked for translation (academy.transcoding's
    FFMPEG_MISSING) reads in Chinese, anything else (ffmpeg's own words) as recorded."""
    ours = ExportJob(failure_message=f"FfmpegMissing: {FFMPEG_MISSING}")
    theirs = ExportJob(failure_message="TranscodingError: ffmpeg failed (1): moov atom not found")
    with translation.override("zh-hans"):
        assert ours.failure_text.startswith("本机没有安装 ffmpeg")
        assert theirs.failure_text == "TranscodingError: ffmpeg failed (1): moov atom not found"
    with translation.override("en"):
        assert ours.failure_text == f"FfmpegMissing: {FFMPEG_MISSING}"
