"""The sweep's two readings of the real services (academy.jobs, academy.job_tasks): whether messages wait in Redis's
queue, and PostgreSQL's row locks, which show a job's worker alive while it applies a roster in one transaction."""
import datetime
import os
import threading
import time

import pytest
import redis
from django.db import connection, connections, transaction
from django.utils import timezone

from academy.celery_app import app as celery_app
from academy.job_tasks import job_queue, queue_is_empty
from academy.jobs import job_alive, jobs_sweep
from academy.organisation.models import RosterImport
from analytics.models import ExportJob
from analytics.tasks import run_export
from tests.factories import UserFactory

from .conftest import _forget_broker_connections

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")


@pytest.fixture
def redis_broker(transactional_db):
    """Celery publishing to the tests' Redis database, with no worker to take the messages."""
    broker = os.environ.get("CELERY_TEST_BROKER_URL")
    if not broker:
        pytest.fail("integration tests need CELERY_TEST_BROKER_URL (Redis)")
    redis.Redis.from_url(broker).flushdb()
    previous = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=broker, task_always_eager=False)
    _forget_broker_connections()
    yield broker
    redis.Redis.from_url(broker).flushdb()
    celery_app.conf.update(previous)
    _forget_broker_connections()


def test_the_sweep_reads_whether_messages_wait_in_the_queue(redis_broker):
    assert queue_is_empty(celery_app)
    job = ExportJob.objects.create(
        created_by=UserFactory(), kind="coverage", file_format="csv", params={"year": 2026},
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    assert job_queue(run_export, ExportJob, str(job.pk))  # no worker: the message waits
    job.refresh_from_db()
    assert job.queued_at is not None and not job.is_unqueued
    assert not queue_is_empty(celery_app)


@postgresql_only
def test_a_job_whose_row_its_worker_holds_locked_is_alive_to_the_heartbeat_and_the_sweep(transactional_db):
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    applying = RosterImport.objects.create(
        created_by=UserFactory(), file_name="名册.csv", status=RosterImport.Status.APPLYING, last_alive_at=long_ago,
    )
    locked, release = threading.Event(), threading.Event()

    def apply_in_one_transaction():  # as roster._apply_checked holds the import while it writes every row
        try:
            with transaction.atomic():
                RosterImport.objects.select_for_update().get(pk=applying.pk)
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    worker = threading.Thread(target=apply_in_one_transaction)
    worker.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        job_alive(RosterImport, applying.pk)  # skips the locked row rather than waiting for it
        assert not jobs_sweep(queue_empty=True)
        assert time.monotonic() - started < 5
        assert RosterImport.objects.get(pk=applying.pk).status == RosterImport.Status.APPLYING
    finally:
        release.set()
        worker.join()

    # Its worker gone (the lock released with its connection), the silent import is failed.
    assert jobs_sweep(queue_empty=True)["organisation.RosterImport failed"] == 1
    assert RosterImport.objects.get(pk=applying.pk).status == RosterImport.Status.FAILED
