"""The state every background job keeps (academy.jobs): progress, failing, and noticing a lost worker."""
import datetime

import pytest
from django.utils import timezone

from academy.jobs import job_fail, job_progress, job_start
from academy.organisation.models import RosterImport
from analytics.models import ExportJob
from tests.factories import UserFactory

NOW = timezone.make_aware(datetime.datetime(2026, 11, 30, 9, 0))


def export_job(**values) -> ExportJob:
    return ExportJob.objects.create(
        created_by=UserFactory(), kind="coverage", file_format="csv", expires_at=NOW + datetime.timedelta(days=1),
        **values,
    )


def test_a_running_job_without_a_sign_of_life_for_too_long_is_stale(settings):
    settings.JOBS_STALE_AFTER_SECONDS = 300
    job = ExportJob(status=ExportJob.Status.RUNNING, created_at=NOW - datetime.timedelta(hours=1))
    job.last_alive_at = NOW - datetime.timedelta(seconds=299)
    assert not job.is_stale(NOW)
    job.last_alive_at = NOW - datetime.timedelta(seconds=301)
    assert job.is_stale(NOW)


def test_a_waiting_job_is_stale_by_its_creation_and_a_finished_one_never():
    old = NOW - datetime.timedelta(hours=2)  # longer than the default of 30 minutes
    assert ExportJob(status=ExportJob.Status.PENDING, created_at=old).is_stale(NOW)
    assert not ExportJob(status=ExportJob.Status.PENDING, created_at=NOW).is_stale(NOW)
    assert not ExportJob(status=ExportJob.Status.DONE, created_at=old).is_stale(NOW)
    assert not ExportJob(status=ExportJob.Status.FAILED, created_at=old).is_stale(NOW)
    # A job with steps of its own lists which of them are unfinished.
    assert RosterImport(status=RosterImport.Status.APPLYING, created_at=old).is_stale(NOW)
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
