"""Certificates through the real path: a job queued on commit, carried by Redis, issued in chunks by a Celery
worker process against PostgreSQL; and numbers taken by several connections at once, which only PostgreSQL's
row locks keep apart."""
import threading

import pytest
from django.db import connection, connections

from certification.certificates import certificate_issue, session_issue_start
from certification.models import Certificate, CertificateSerial, IssueJob, Outcome
from certification.tasks import issue_certificates
from tests.factories import ISSUED_ON, AssessmentCentreFactory, make_application, make_session

from .conftest import wait_for

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locking needs PostgreSQL")


def job_status(job):
    return IssueJob.objects.values_list("status", flat=True).get(pk=job.pk)


def explain(job, worker):
    job.refresh_from_db()
    return f"{job.status} {job.done}/{job.total}: {job.failure_message}\n" + worker.log_path.read_text()[-3000:]


def test_a_sessions_certificates_are_issued_by_the_worker(celery_worker_process):
    session = make_session(AssessmentCentreFactory())
    # More than one chunk (ISSUE_CHUNK_SIZE), so that the job is finished by whichever chunk completes the count.
    passed = [make_application(session, name=f"陈{index:02d}", photo=index < 3) for index in range(60)]
    make_application(session, name="王强", outcome=Outcome.FAILED)

    job = session_issue_start(session=session, user=session.created_by)  # queued on commit: autocommit here

    assert wait_for(lambda: job_status(job) == IssueJob.Status.DONE, timeout=180), explain(job, celery_worker_process)
    job.refresh_from_db()
    assert job.done == job.total == 60
    certificates = Certificate.objects.all()
    assert {certificate.application_id for certificate in certificates} == {application.pk for application in passed}
    assert sorted(c.number for c in certificates) == [f"S000133000001264{serial:06d}" for serial in range(1, 61)]
    assert not certificates.filter(pdf="").exists() and not certificates.filter(pdf_sha256="").exists()

    # The message delivered again (tasks are acknowledged late) changes nothing.
    numbers = dict(certificates.values_list("application_id", "number"))
    issue_certificates.delay(str(job.pk))

    def again_finished():
        lines = celery_worker_process.log_path.read_text().splitlines()
        return sum("issue_certificates[" in line and "succeeded" in line for line in lines) >= 2

    assert wait_for(again_finished), celery_worker_process.log_path.read_text()[-3000:]
    assert dict(Certificate.objects.values_list("application_id", "number")) == numbers


@postgresql_only
def test_numbers_taken_at_once_are_distinct_and_consecutive(transactional_db, zhejiang_regions):
    session = make_session(AssessmentCentreFactory())
    applications = [make_application(session, name=f"林{index:02d}") for index in range(16)]
    threads_count = 8
    start = threading.Barrier(threads_count)
    numbers, errors = [], []

    def issue(mine):
        try:
            start.wait()
            for application in mine:
                numbers.append(certificate_issue(application=application, issued_on=ISSUED_ON).number)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    # Every thread starts before the serial's row exists, so they also race to create it.
    assert not CertificateSerial.objects.exists()
    threads = [threading.Thread(target=issue, args=(applications[index::threads_count],)) for index in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    assert len(numbers) == len(set(numbers)) == 16
    assert sorted(numbers) == [f"S000133000001264{serial:06d}" for serial in range(1, 17)]
    assert CertificateSerial.objects.get().last == 16


@postgresql_only
def test_one_application_issued_by_two_workers_at_once_gets_one_certificate(transactional_db, zhejiang_regions):
    application = make_application(make_session(AssessmentCentreFactory()), name="林静")
    start = threading.Barrier(4)
    numbers, errors = [], []

    def issue():
        try:
            start.wait()
            numbers.append(certificate_issue(application=application, issued_on=ISSUED_ON).number)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    assert numbers == ["S000133000001264000001"] * 4
    assert Certificate.objects.count() == 1 and CertificateSerial.objects.get().last == 1
