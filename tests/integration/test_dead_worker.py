"""Issue 12: every kind of background job survives the death of its worker. Each job runs in a real prefork worker
on Redis and PostgreSQL, with Celery beat sending the job sweep on its schedule. In the middle of the job the
worker's pool process is SIGKILLed (the worker forks another); then, in the middle of its retry, the whole worker
(main process and pool) is, and started again. After each death the job has ended within 5 minutes of real time:
failed with a message saying it can be retried, its files deleted (or, for certificates, picked up again by
itself). Retried from its page, as an administrator would, it completes with nothing doubled and nothing missing.

Each job is made long enough to be killed half way by the volume of its data; the jobs' clock is shortened through
the environment (conftest.JOBS_ENVIRONMENT), the time itself is real. ``pytest -s`` prints how long each job took
to end after each death.
"""
import csv
import datetime
import io
import subprocess
import threading
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from academy.accounts.models import User
from academy.jobs import JOB_INTERRUPTED
from academy.organisation.models import Person, Post, PostKind, Region, RosterImport
from academy.organisation.tasks import apply_roster_import, validate_roster_import
from analytics import monthly
from analytics.models import ExportJob, MonthlyReport, MonthlyReportJob
from analytics.tasks import generate_monthly_reports
from certification.models import Certificate, IssueJob
from courses import plans
from courses.models import CoverageCount, PlanAssignment, PlanAssignmentJob, Video, VideoTranscodeJob
from courses.renditions import video_outputs_missing, video_transcode_retry, video_transcode_start
from courses.years import training_year
from tests.factories import AssessmentCentreFactory, UserFactory, make_application, make_session
from tests.factories.organisation import make_directors, make_villages, roster_csv, roster_rows

from .conftest import wait_for

# How the worker dies, one after the other: its pool process alone (the worker forks another), then all of it.
KILLS = ("pool process", "whole worker")
# The issue's promise: a job whose worker died has ended (done, or failed and retryable) within 5 minutes.
ENDED_WITHIN_SECONDS = 5 * 60
# Long enough for a kill half way, twice, on a CI machine; see each test.
CHECK_ROWS = 8000
APPLY_ROWS = 4000
EXPORT_ROWS = 5000
CERTIFICATES = 120
PLAN_DIRECTORS = 11000

COUNTY = "330106"  # 西湖区


def kill(worker, how: str) -> None:
    if how == "pool process":
        worker.kill_pool_process()
    else:
        worker.kill()
        worker.start()


def fresh(job):
    return type(job).objects.get(pk=job.pk)


def wait_for_value(read, timeout=60):
    """What ``read()`` returns once it is something; fails after ``timeout``."""
    found = []
    assert wait_for(lambda: found.append(read()) or found[-1] is not None, timeout=timeout), "nothing found"
    return found[-1]


def ended_statuses(job) -> set:
    statuses = {job.Status.DONE, job.Status.FAILED}
    if isinstance(job, RosterImport):
        statuses |= {RosterImport.Status.VALID, RosterImport.Status.INVALID}
    return statuses


def wait_until_half_way(job, worker, condition, *, what: str, timeout: float = 180) -> None:
    """Wait until ``condition(job)`` holds for the job as stored: the moment to kill it."""

    def reached():
        current = fresh(job)
        assert current.status not in ended_statuses(current), (
            f"the job ended before it could be killed {what}: {current.status}; give it more data\n"
            + worker.log_text()[-3000:]
        )
        return condition(current)

    assert wait_for(reached, timeout=timeout, interval=0.1), f"never {what}\n" + worker.log_text()[-3000:]


def wait_until_ended(job, worker, *, ended: set | None = None, timeout: float = ENDED_WITHIN_SECONDS):
    """The job as stored once it has ended (by default done or failed); fails after ``timeout`` of real time."""
    started = time.monotonic()
    ended = ended or {job.Status.DONE, job.Status.FAILED}
    reached = wait_for(lambda: fresh(job).status in ended, timeout=timeout, interval=0.25)
    current = fresh(job)
    elapsed = time.monotonic() - started
    assert reached, (
        f"still {current.status} {elapsed:.0f} s later (last sign of life {current.last_alive_at})\n"
        + worker.log_text()[-4000:]
    )
    print(f"{type(job).__name__} {current.status} after {elapsed:.1f} s")
    return current


def assert_failed_and_retryable(client, job, page_url: str, retry_url: str) -> None:
    """Failed with the message saying what happened and that it can be retried, in the page's language, and the
    page offers the retry."""
    assert job.status == job.Status.FAILED, f"{job.status}: expected the job to wait for a retry"
    assert job.failure_message == JOB_INTERRUPTED
    page = client.get(page_url).content.decode()
    with translation.override("zh-hans"):
        assert translation.gettext(JOB_INTERRUPTED) in page
    assert retry_url in page


def files_under(folder: str) -> list[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT) / folder
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def county_admin(**values) -> User:
    return UserFactory(admin_region=Region.objects.get(code=COUNTY), **values)


def county_directors_plan(admin: User):
    """This year's plan for 西湖区's directors: saving it queues its assignment job."""
    return plans.plan_create(
        year=training_year(), post_kind=PostKind.CHILD_DIRECTOR, organiser_region=Region.objects.get(code=COUNTY),
        min_credit_hours=Decimal(4), created_by=admin, **plans.plan_defaults(training_year()),
    )


# Roster imports ------------------------------------------------------------------------------------------


def upload(client, data: bytes) -> RosterImport:
    response = client.post(
        reverse("organisation:import_new"), {"file": SimpleUploadedFile("名册.csv", data, content_type="text/csv")}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return RosterImport.objects.latest("created_at")


def retry_import(client, roster_import: RosterImport, data: bytes) -> None:
    """Retried from its page: the upload was deleted with the failure, so the file is given again."""
    retry_url = reverse("organisation:import_retry", args=[roster_import.pk])
    assert_failed_and_retryable(client, roster_import, roster_import.get_absolute_url(), retry_url)
    response = client.post(retry_url, {"file": SimpleUploadedFile("名册.csv", data, content_type="text/csv")})
    assert response.status_code == 302, response.content.decode()[:2000]


def assert_upload_deleted(roster_import: RosterImport) -> None:
    """The upload holds ID numbers in clear: gone once the import is over (just after it ends: on commit)."""
    assert wait_for(
        lambda: not fresh(roster_import).file and files_under("roster-imports") == [], timeout=30
    ), files_under("roster-imports")


def test_a_roster_check_whose_worker_dies_ends_and_its_retry_checks_the_file(
    killable_worker, job_sweeper, client,
):
    villages = make_villages(count=20)
    admin = county_admin()
    client.force_login(admin)
    data = roster_csv(roster_rows(count=CHECK_ROWS, villages=villages))
    roster_import = upload(client, data)
    make_directors(count=3, villages=villages, first=100_000)
    plan = None
    for how in KILLS:
        wait_until_half_way(
            roster_import, killable_worker,
            lambda job: job.status == RosterImport.Status.VALIDATING and job.done >= 500,
            what="half way through its check",
        )
        if how == "whole worker":
            # Queued behind the check, which has the only pool process: it must not wait for the dead one's message.
            plan = county_directors_plan(admin)

        kill(killable_worker, how)

        roster_import = wait_until_ended(roster_import, killable_worker, ended=ended_statuses(roster_import))
        assert_upload_deleted(roster_import)
        retry_import(client, roster_import, data)

    roster_import = wait_until_ended(roster_import, killable_worker, ended=ended_statuses(roster_import))
    assert roster_import.status == RosterImport.Status.VALID, roster_import.errors[:3]
    assert roster_import.summary["people_created"] == roster_import.summary["posts_opened"] == CHECK_ROWS
    assert Person.objects.count() == 3  # checking writes nothing
    assignment = wait_until_ended(PlanAssignmentJob.objects.get(plan=plan), killable_worker)
    assert assignment.status == PlanAssignmentJob.Status.DONE
    assert PlanAssignment.objects.filter(plan=plan).count() == 3


def test_a_job_whose_worker_died_is_failed_while_the_jobs_queued_behind_it_wait(
    killable_worker, job_sweeper, client,
):
    # The sweep is what finds a dead worker's job; were it queued behind other jobs (a national plan assignment
    # may take 45 minutes), it would leave that job "running" for as long as they wait or run. Here the worker
    # stays dead while the sweep works: the dead worker's import must be failed with the next one still waiting
    # in the queue, whatever the speed of the machine. Once the worker is back, the waiting one is checked.
    villages = make_villages(count=20)
    client.force_login(county_admin())
    first = upload(client, roster_csv(roster_rows(count=CHECK_ROWS, villages=villages)))
    waiting = upload(client, roster_csv(roster_rows(count=CHECK_ROWS, villages=villages, first=CHECK_ROWS)))
    wait_until_half_way(
        first, killable_worker, lambda job: job.status == RosterImport.Status.VALIDATING and job.done >= 500,
        what="half way through its check",
    )

    killable_worker.kill()

    first = wait_until_ended(first, killable_worker, ended=ended_statuses(first))
    assert first.status == RosterImport.Status.FAILED
    assert fresh(waiting).status == RosterImport.Status.PENDING, "only the sweep ran: nothing else could end it"

    killable_worker.start()
    waiting = wait_until_ended(waiting, killable_worker, ended=ended_statuses(waiting))
    assert waiting.status == RosterImport.Status.VALID, waiting.errors[:3]


def worker_is_writing(table: str = "") -> bool:
    """Another connection to the test database is inside a transaction that has written rows (it holds a
    transaction id) and its last statement was an INSERT (into ``table`` if given): the apply's people, posts or
    accounts, uncommitted."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL
                 AND query ILIKE %s""",
            [f'INSERT INTO "{table}"%' if table else "INSERT%"],
        )
        return cursor.fetchone()[0] > 0


def tasks_succeeded(worker) -> int:
    """How many roster import tasks the worker has finished."""
    return sum(
        "succeeded" in line and "roster_import[" in line for line in worker.log_text().splitlines()
    )


def test_a_roster_apply_whose_worker_dies_writes_nothing_and_its_retry_writes_everything_once(
    killable_worker, job_sweeper, client,
):
    villages = make_villages(count=20)
    client.force_login(county_admin())
    rows = roster_rows(count=APPLY_ROWS, villages=villages)
    data = roster_csv(rows)
    roster_import = upload(client, data)
    for how in KILLS:
        roster_import = wait_until_ended(roster_import, killable_worker, ended={RosterImport.Status.VALID})
        client.post(reverse("organisation:import_confirm", args=[roster_import.pk]))
        wait_until_half_way(
            roster_import, killable_worker,
            lambda job: job.status == RosterImport.Status.APPLYING and worker_is_writing(), what="while applying",
        )

        kill(killable_worker, how)

        roster_import = wait_until_ended(roster_import, killable_worker, ended=ended_statuses(roster_import))
        # All or nothing: not one person, post or account of the file.
        assert (Person.objects.count(), Post.objects.count(), User.objects.filter(person__isnull=False).count()) == (
            0, 0, 0,
        )
        assert_upload_deleted(roster_import)
        retry_import(client, roster_import, data)

    roster_import = wait_until_ended(roster_import, killable_worker, ended={RosterImport.Status.VALID})
    client.post(reverse("organisation:import_confirm", args=[roster_import.pk]))
    roster_import = wait_until_ended(roster_import, killable_worker, ended=ended_statuses(roster_import))
    assert roster_import.status == RosterImport.Status.DONE, (roster_import.failure_message, roster_import.errors[:3])
    # Every row's person, post and account once: nothing doubled, nothing missing.
    assert sorted(Person.objects.values_list("name", flat=True)) == sorted(row["name"] for row in rows)
    assert Post.objects.count() == Post.objects.values("person").distinct().count() == APPLY_ROWS
    assert User.objects.filter(person__isnull=False).count() == APPLY_ROWS
    assert_upload_deleted(roster_import)

    # The messages that went down with the whole worker come back once Redis's visibility timeout has passed:
    # sent again here, they change nothing.
    before = tasks_succeeded(killable_worker)
    validate_roster_import.delay(str(roster_import.pk))
    apply_roster_import.delay(str(roster_import.pk))
    assert wait_for(lambda: tasks_succeeded(killable_worker) == before + 2), killable_worker.log_text()[-3000:]
    assert fresh(roster_import).status == RosterImport.Status.DONE
    assert (Person.objects.count(), Post.objects.count()) == (APPLY_ROWS, APPLY_ROWS)


def worker_waits_for_the_import_row() -> bool:
    """Another connection waits for a lock on a roster import's row: the worker, just after its apply committed."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
                 AND query ILIKE '%%organisation_rosterimport%%'"""
        )
        return cursor.fetchone()[0] > 0


@contextmanager
def import_row_held_from_its_commit(roster_import: RosterImport):
    """From another connection, lock the import's row while the worker's apply holds it: the lock is had the moment
    the apply commits, and what the worker does next with the row (on commit) waits until the block ends."""
    held, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                RosterImport.objects.select_for_update().get(pk=roster_import.pk)
                held.set()
                release.wait(120)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        yield held
    finally:
        release.set()
        thread.join()


def test_a_plan_assignment_started_by_a_roster_apply_survives_a_worker_dying_just_after_the_roster_commits(
    killable_worker, job_sweeper, client,
):
    villages = make_villages(count=20)
    admin = county_admin()
    plan = county_directors_plan(admin)
    first_assignment = wait_until_ended(PlanAssignmentJob.objects.get(plan=plan), killable_worker)
    assert first_assignment.status == PlanAssignmentJob.Status.DONE
    client.force_login(admin)
    rows = roster_rows(count=APPLY_ROWS, villages=villages)
    roster_import = wait_until_ended(upload(client, roster_csv(rows)), killable_worker, ended={RosterImport.Status.VALID})
    client.post(reverse("organisation:import_confirm", args=[roster_import.pk]))
    # While it writes the people, its first rows: posts and accounts are still to come, time enough to queue a lock.
    wait_until_half_way(
        roster_import, killable_worker,
        lambda job: job.status == RosterImport.Status.APPLYING and worker_is_writing("organisation_person"),
        what="while applying",
    )

    with import_row_held_from_its_commit(roster_import) as held:
        assert held.wait(180), "the apply never committed\n" + killable_worker.log_text()[-3000:]
        assert fresh(roster_import).status == RosterImport.Status.DONE
        # The roster is committed; the worker is stuck on what comes next. It dies there.
        assert wait_for(worker_waits_for_the_import_row, timeout=30), killable_worker.log_text()[-3000:]
        kill(killable_worker, "pool process")

    # The assignment was recorded with the roster: the sweep sends it, and it assigns every imported director.
    assignment = wait_until_ended(
        wait_for_value(lambda: PlanAssignmentJob.objects.filter(plan=plan).exclude(pk=first_assignment.pk).first()),
        killable_worker,
    )
    assert assignment.status == PlanAssignmentJob.Status.DONE, assignment.failure_message
    assert PlanAssignment.objects.filter(plan=plan).count() == APPLY_ROWS
    assert_upload_deleted(roster_import)  # the worker died before deleting it: the sweep did


# Exports -------------------------------------------------------------------------------------------------


def export_rows(client, job) -> list[list]:
    response = client.get(reverse("analytics:export_download", args=[job.pk]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    if job.file_format == ExportJob.Format.CSV:
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    return [list(row) for row in load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True)]


def test_an_export_whose_worker_dies_leaves_no_half_file_and_its_retry_writes_every_row_once(
    killable_worker, job_sweeper, client,
):
    villages = make_villages(count=20)
    admin = county_admin()
    directors = make_directors(count=EXPORT_ROWS, villages=villages)
    wait_until_ended(PlanAssignmentJob.objects.get(plan=county_directors_plan(admin)), killable_worker)
    client.force_login(admin)
    response = client.post(
        reverse("analytics:export_new"),
        {"kind": "untrained", "file_format": "xlsx", "year": training_year(), "status": "all"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ExportJob.objects.latest("created_at")
    retry_url = reverse("analytics:export_retry", args=[job.pk])
    for how in KILLS:
        wait_until_half_way(
            job, killable_worker, lambda job: job.status == ExportJob.Status.RUNNING and 0 < job.done < job.total,
            what="half way through writing",
        )

        kill(killable_worker, how)

        job = wait_until_ended(job, killable_worker)
        assert_failed_and_retryable(client, job, job.get_absolute_url(), retry_url)
        # Half a list of people and their mobiles: deleted with the failed job (on commit).
        assert wait_for(lambda: not fresh(job).file and files_under("exports") == [], timeout=30), files_under("exports")
        client.post(retry_url)

    job = wait_until_ended(job, killable_worker)
    assert job.status == ExportJob.Status.DONE, job.failure_message
    header, *rows = export_rows(client, job)
    assert sorted(row[0] for row in rows) == sorted(person.name for person in directors)
    assert len(files_under("exports")) == 1


# Certificates --------------------------------------------------------------------------------------------


def test_a_certificate_batch_whose_worker_dies_ends_with_every_certificate_once_and_numbers_without_gaps(
    killable_worker, job_sweeper, client,
):
    session = make_session(AssessmentCentreFactory())
    applications = [make_application(session, name=f"陈{index:03d}") for index in range(CERTIFICATES)]
    client.force_login(session.created_by)
    response = client.post(reverse("certification:issue_start", args=[session.public_id]))
    assert response.status_code == 302
    job = IssueJob.objects.get(session=session)
    # Once 60 are done (three chunks of 20, the next ones under way), then 30 certificates further on: in a
    # later chunk, or in the missing ones the sweep queued again.
    kill_at = 60
    for how in KILLS:
        wait_until_half_way(
            job, killable_worker, lambda job: job.status == IssueJob.Status.RUNNING and job.done >= kill_at,
            what=f"after {kill_at} certificates",
        )

        kill(killable_worker, how)

        kill_at = fresh(job).done + 30
    # Not failed: the sweep plans the batch again and queues what is missing. Failed, it would be retried.
    job = wait_until_ended(job, killable_worker)
    if job.status == IssueJob.Status.FAILED:
        retry_url = reverse("certification:issue_job_retry", args=[job.pk])
        assert_failed_and_retryable(client, job, reverse("certification:issue_job", args=[job.pk]), retry_url)
        client.post(retry_url)
        job = wait_until_ended(job, killable_worker)

    assert job.status == IssueJob.Status.DONE, job.failure_message
    assert job.done == job.total == CERTIFICATES
    certificates = Certificate.objects.filter(application__session=session)
    assert sorted(certificates.values_list("application_id", flat=True)) == [a.pk for a in applications]
    # Numbers are never reused nor skipped: 1 to 120, each once.
    assert sorted(certificates.values_list("number", flat=True)) == [
        f"S000133000001264{serial:06d}" for serial in range(1, CERTIFICATES + 1)
    ]
    assert not certificates.filter(pdf="").exists() and not certificates.filter(pdf_sha256="").exists()


# Plan assignment -----------------------------------------------------------------------------------------


def test_a_plan_assignment_whose_worker_dies_ends_and_its_retry_assigns_everyone_once(
    killable_worker, job_sweeper, client,
):
    villages = make_villages(count=20)
    admin = county_admin()
    directors = make_directors(count=PLAN_DIRECTORS, villages=villages)
    plan = county_directors_plan(admin)
    job = PlanAssignmentJob.objects.get(plan=plan)
    client.force_login(admin)
    retry_url = reverse("courses:plan_assignment_retry", args=[job.pk])
    for how in KILLS:
        # While its one transaction runs (plans.plans_assign): killed, it leaves nothing written.
        wait_until_half_way(
            job, killable_worker, lambda job: job.status == PlanAssignmentJob.Status.RUNNING,
            what="while it assigns",
        )

        kill(killable_worker, how)

        job = wait_until_ended(job, killable_worker)
        assert_failed_and_retryable(client, job, reverse("courses:plan_detail", args=[plan.pk]), retry_url)
        client.post(retry_url)

    job = wait_until_ended(job, killable_worker)
    assert job.status == PlanAssignmentJob.Status.DONE, job.failure_message
    assignments = PlanAssignment.objects.filter(plan=plan)
    assert assignments.count() == assignments.values("person").distinct().count() == PLAN_DIRECTORS
    assert set(assignments.values_list("person_id", flat=True)) == {person.pk for person in directors}
    county = CoverageCount.objects.get(plan=plan, region_id=COUNTY)
    assert county.not_started + county.in_progress + county.completed == PLAN_DIRECTORS


# Monthly reports -----------------------------------------------------------------------------------------


def test_a_monthly_report_whose_worker_dies_ends_and_its_retry_archives_one_report(
    killable_worker, job_sweeper, client,
):
    admin = county_admin(email="xihu@example.org")
    generate_monthly_reports.delay()  # what beat sends on the 1st of the month
    assert wait_for(lambda: MonthlyReportJob.objects.exists(), timeout=120), killable_worker.log_text()[-3000:]
    job = MonthlyReportJob.objects.get()
    assert (job.region_id, job.month) == (COUNTY, monthly.previous_month(datetime.date.today()))
    client.force_login(admin)
    retry_url = reverse("analytics:report_job_retry", args=[job.pk])
    for how in KILLS:
        # Drawing the dashboards into a PDF takes seconds: killed while it draws.
        wait_until_half_way(
            job, killable_worker,
            lambda job: job.status == MonthlyReportJob.Status.RUNNING and time.time() - job.started_at.timestamp() > 0.5
            and not MonthlyReport.objects.exists(),
            what="while it draws the report",
        )

        kill(killable_worker, how)

        job = wait_until_ended(job, killable_worker)
        assert_failed_and_retryable(client, job, reverse("analytics:report_list"), retry_url)
        client.post(retry_url)

    job = wait_until_ended(job, killable_worker)
    assert job.status == MonthlyReportJob.Status.DONE, job.failure_message
    report = MonthlyReport.objects.get()
    assert job.report == report and report.emailed_at is not None
    assert files_under("monthly-reports") == [Path(settings.PRIVATE_MEDIA_ROOT) / report.pdf.name]


# Video transcoding ---------------------------------------------------------------------------------------

TRANSCODE_SECONDS = 40  # of 720p: several seconds of ffmpeg for each rendition, time to be killed in one


def test_a_video_transcode_whose_worker_dies_ends_and_its_retry_makes_each_file_once(
    killable_worker, job_sweeper, tmp_path, settings,
):
    clip = tmp_path / "lesson.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=25:duration={TRANSCODE_SECONDS}",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={TRANSCODE_SECONDS}", "-c:v", "libx264", "-preset",
         "ultrafast", "-c:a", "aac", "-shortest", str(clip)],
        check=True,
    )
    video = Video.objects.create(
        title="入户走访示范", file=ContentFile(clip.read_bytes(), name="lesson.mp4"), duration_seconds=TRANSCODE_SECONDS,
    )
    job = video_transcode_start(video=video)
    for how in KILLS:
        # Killed while ffmpeg makes a rendition.
        wait_until_half_way(
            job, killable_worker,
            lambda job: job.status == VideoTranscodeJob.Status.RUNNING and job.started_at is not None
            and time.time() - job.started_at.timestamp() > 1.5,
            what="while ffmpeg makes a rendition",
        )

        kill(killable_worker, how)

        job = wait_until_ended(job, killable_worker)
        assert job.status == VideoTranscodeJob.Status.FAILED and job.failure_message == JOB_INTERRUPTED
        assert video_transcode_retry(job=job)

    job = wait_until_ended(job, killable_worker)
    assert job.status == VideoTranscodeJob.Status.DONE, job.failure_message
    video = Video.objects.prefetch_related("renditions").get(pk=video.pk)
    assert video_outputs_missing(video) == []
    assert sorted(video.renditions.values_list("quality", flat=True)) == ["low", "standard"]
    # Each file once: nothing a killed run wrote stays beside what the finished one keeps.
    kept = {video.poster_frame.name, *video.renditions.values_list("file", flat=True)}
    media = Path(settings.MEDIA_ROOT)
    made = {
        str(path.relative_to(media)) for folder in ("videos/renditions", "videos/posters")
        for path in (media / folder).glob(f"video-{video.pk}[-.]*")
    }
    assert made == kept
