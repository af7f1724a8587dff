"""Issue 12: with the broker unreachable, an upload answered HTTP 500 after its import and file were committed, and
the import stayed waiting after the broker came back. Here the web process (this one, through Django's test
client) is pointed at a closed port: asking for a roster check, an export and a session's certificates answers
their pages, saying the work starts by itself later; nothing is lost or left over. Pointed at the live broker again,
with a worker and Celery beat's job sweep running, every one of them is carried out."""
import socket
import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from academy.accounts.models import Notification
from academy.celery_app import app as celery_app
from academy.organisation.models import Region, RosterImport
from analytics.models import ExportJob
from certification.models import Certificate, IssueJob, NoticeJob
from courses.years import training_year
from tests.factories import AssessmentCentreFactory, UserFactory, make_application, make_session
from tests.factories.organisation import make_villages, roster_csv, roster_rows

from .conftest import _forget_broker_connections, wait_for

# What every job's page says while its message could not be sent (templates/includes/job_status.html).
UNQUEUED = (
    "The background service cannot be reached just now. What you asked for is saved and starts by itself once the "
    "service is back; you may leave this page."
)
# A request must not hang on the dead broker: it answers within this, whatever the broker's timeouts.
ANSWERS_WITHIN_SECONDS = 15


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # free once closed: nothing listens there


def timed_post(client, url, data=None):
    started = time.monotonic()
    response = client.post(url, data or {})
    elapsed = time.monotonic() - started
    assert elapsed < ANSWERS_WITHIN_SECONDS, f"{url} took {elapsed:.1f} s with the broker down"
    return response


def assert_page_says_it_waits(client, response) -> None:
    assert response.status_code == 302, response.content.decode()[:3000]
    page = client.get(response["Location"])
    assert page.status_code == 200
    with translation.override("zh-hans"):
        assert translation.gettext(UNQUEUED) in page.content.decode()


def test_requests_made_while_the_broker_is_down_are_kept_and_carried_out_once_it_is_back(
    celery_environment, client, request,
):
    villages = make_villages(count=4)
    admin = UserFactory(admin_region=Region.objects.get(code="330106"))
    rows = roster_rows(count=20, villages=villages)
    session = make_session(AssessmentCentreFactory())
    applications = [make_application(session, name=f"林{index:02d}") for index in range(3)]
    holder = UserFactory(person=applications[0].person, phone="13912340009")  # told once the certificate is issued
    live_broker = celery_app.conf.broker_url
    celery_app.conf.broker_url = f"redis://127.0.0.1:{closed_port()}/0"
    _forget_broker_connections()

    client.force_login(admin)
    response = timed_post(
        client, reverse("organisation:import_new"),
        {"file": SimpleUploadedFile("名册.csv", roster_csv(rows), content_type="text/csv")},
    )
    assert_page_says_it_waits(client, response)
    response = timed_post(
        client, reverse("analytics:export_new"),
        {"kind": "untrained", "file_format": "csv", "year": training_year(), "status": "all"},
    )
    assert_page_says_it_waits(client, response)
    client.force_login(session.created_by)
    response = timed_post(client, reverse("certification:issue_start", args=[session.public_id]))
    assert_page_says_it_waits(client, response)

    # Saved, waiting, known never to have reached the broker; the upload is kept for its check.
    roster_import, export, issue = RosterImport.objects.get(), ExportJob.objects.get(), IssueJob.objects.get()
    for job in (roster_import, export, issue):
        assert job.status == job.Status.PENDING and job.queued_at is None
    upload = roster_import.file.name
    assert upload and roster_import.file.storage.exists(upload)

    # The broker is back: the web process reaches it again, a worker and beat run.
    celery_app.conf.broker_url = live_broker
    _forget_broker_connections()
    worker = request.getfixturevalue("killable_worker")
    request.getfixturevalue("job_sweeper")

    def ended(job, statuses):
        return wait_for(lambda: type(job).objects.get(pk=job.pk).status in statuses, timeout=180)

    assert ended(roster_import, {RosterImport.Status.VALID}), worker.log_text()[-3000:]
    assert ended(export, {ExportJob.Status.DONE}), worker.log_text()[-3000:]
    assert ended(issue, {IssueJob.Status.DONE}), worker.log_text()[-3000:]
    client.force_login(admin)
    client.post(reverse("organisation:import_confirm", args=[roster_import.pk]))
    assert ended(roster_import, {RosterImport.Status.DONE}), worker.log_text()[-3000:]
    roster_import.refresh_from_db()
    assert roster_import.summary["people_created"] == len(rows)
    # The upload holds ID numbers: deleted once the import is over (on commit, just after it ends).
    assert wait_for(lambda: not roster_import.file.storage.exists(upload), timeout=30)
    assert Certificate.objects.filter(application__in=applications).count() == len(applications)
    # The holder is told by a notice job the worker runs (certification.tasks.send_notices), once.
    assert wait_for(lambda: Notification.objects.filter(user=holder).exists(), timeout=60), worker.log_text()[-3000:]
    assert wait_for(
        lambda: not NoticeJob.objects.exclude(status=NoticeJob.Status.DONE).exists(), timeout=60
    ), worker.log_text()[-3000:]
    notification = Notification.objects.get(user=holder)  # one
    assert Certificate.objects.get(application=applications[0]).number in notification.body
