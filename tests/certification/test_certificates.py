"""Issuing certificates: one per passed candidate of a signed-off session, never a second number; the PDF as
printed (one A4 page in Chinese, the font embedded, photo and QR code); the batch job; revocation; the
administrators' and holders' pages."""
import base64
import datetime
import hashlib
import io
import subprocess
from unittest import mock

import pytest
import qrcode
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageChops, ImageStat
from pypdf import PdfReader

from certification import certificates
from certification.certificates import (
    IssueRefused, certificate_issue, certificate_pdf_ensure, certificate_render_pdf, certificate_revoke,
    issue_job_run, session_issue_start, verification_url,
)
from academy.audit.models import AuditAction
from academy.jobs import JOB_INTERRUPTED, job_fail, jobs_sweep
from academy.verification import QR_BOX_PIXELS, QR_MASK_PATTERN
from academy.audit.models import AuditEntry as TrailEntry
from certification.photos import photo_print_ready
from certification.models import Application, Certificate, IssueJob, Outcome, StaffAssignment, StaffRole
from tests.factories import ISSUED_ON, UserFactory, make_application, make_session, photo_bytes, user_with_role
from tests.hostile import png_declaring
from tests.poppler import POPPLER, pdf_fonts, poppler
from tests.races import race
from tests.user_agents import CHROME_ANDROID, WECHAT_ANDROID


def stored_pdf(certificate: Certificate) -> bytes:
    with certificate.pdf.open("rb") as handle:
        return handle.read()


def issue_job(session, user=None) -> IssueJob:
    return IssueJob.objects.create(session=session, created_by=user or session.created_by)


# --- Issuing -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_passed_candidate_gets_a_certificate_with_the_details_as_printed(passed_application):
    certificate = certificate_issue(application=passed_application, issued_on=ISSUED_ON)
    assert certificate.number == "S000133000001264000001"
    assert certificate.holder_name == "张晓明" and certificate.person == passed_application.person
    assert certificate.level == 4 and certificate.issuer == "浙江省儿童福利职业技能评价中心"
    assert certificate.issued_on == ISSUED_ON and certificate.work_type == "--" and certificate.is_valid
    pdf = stored_pdf(certificate)
    assert pdf.startswith(b"%PDF-") and certificate.pdf_sha256 == hashlib.sha256(pdf).hexdigest()


@pytest.mark.django_db
def test_the_issue_date_is_todays_date_in_china(passed_application):
    # 23:30 in London on 28 November 2026 is already 29 November in Zhejiang.
    late_evening_utc = datetime.datetime(2026, 11, 28, 23, 30, tzinfo=datetime.timezone.utc)
    with mock.patch.object(timezone, "now", return_value=late_evening_utc):
        certificate = certificate_issue(application=passed_application)
    assert certificate.issued_on == datetime.date(2026, 11, 29)
    assert certificate.number.startswith("S000133000001264")


@pytest.mark.django_db
def test_issuing_twice_gives_the_same_certificate(passed_application):
    first = certificate_issue(application=passed_application, issued_on=ISSUED_ON)
    again = certificate_issue(application=passed_application, issued_on=ISSUED_ON + datetime.timedelta(days=3))
    assert again.pk == first.pk and again.number == first.number and again.issued_on == ISSUED_ON
    assert Certificate.objects.count() == 1


@pytest.mark.django_db
def test_a_candidate_who_failed_gets_no_certificate(signed_off_session):
    failed = make_application(signed_off_session, name="王强", outcome=Outcome.FAILED)
    with pytest.raises(IssueRefused, match="did not pass"):
        certificate_issue(application=failed)
    assert not Certificate.objects.exists()


@pytest.mark.django_db
def test_no_certificate_before_the_results_are_signed_off(county_centre):
    application = make_application(make_session(county_centre, signed_off=False), name="王强")
    with pytest.raises(IssueRefused, match="not signed off"):
        certificate_issue(application=application)
    assert not Certificate.objects.exists()


@pytest.mark.django_db
def test_a_certificate_left_without_its_pdf_is_completed_later(passed_application):
    with mock.patch.object(certificates, "certificate_render_pdf", side_effect=RuntimeError("worker killed")):
        with pytest.raises(RuntimeError):
            certificate_issue(application=passed_application, issued_on=ISSUED_ON)
    half_done = Certificate.objects.get()
    assert half_done.number == "S000133000001264000001" and not half_done.pdf
    completed = certificate_issue(application=passed_application)
    assert completed.pk == half_done.pk and completed.number == half_done.number and completed.pdf
    assert certificate_pdf_ensure(completed).pdf_sha256 == completed.pdf_sha256  # drawn once, kept


@pytest.mark.django_db
def test_a_person_holds_one_valid_certificate_of_a_level(signed_off_session, passed_application, admin_user):
    # The same person passed level 4 again in a later session: no second number is issued for it.
    first = certificate_issue(application=passed_application, issued_on=ISSUED_ON)
    again = make_application(make_session(signed_off_session.centre), person=passed_application.person)
    with pytest.raises(IssueRefused) as refused:
        certificate_issue(application=again, issued_on=ISSUED_ON)
    assert refused.value.message == (
        "张晓明 already holds the valid certificate S000133000001264000001 of this level, issued on 2026-11-29: a "
        "second one is not issued. Revoke that one first if it must be replaced."
    )
    assert Certificate.objects.count() == 1
    # Once the first is revoked, the second is issued, with the next serial: the refused attempt took none.
    certificate_revoke(certificate=first, user=admin_user, reason="信息有误")
    second = certificate_issue(application=again, issued_on=ISSUED_ON)
    assert second.number == "S000133000001264000002"


@pytest.mark.django_db
def test_the_database_keeps_one_valid_certificate_per_person_and_level(passed_application):
    first = certificate_issue(application=passed_application, issued_on=ISSUED_ON)
    again = make_application(make_session(passed_application.session.centre), person=passed_application.person)
    twin = dict(
        person=first.person, level=first.level, holder_name=first.holder_name, issuer=first.issuer, issued_on=ISSUED_ON,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.create(number="S000133000001264000009", application=again, **twin)
    Certificate.objects.create(number="S000133000001264000009", application=again, status="revoked", **twin)


@pytest.mark.django_db
def test_the_batch_names_a_candidate_already_certified_at_the_level_and_issues_the_others(signed_off_session):
    held = certificate_issue(application=make_application(signed_off_session, name="陈静"), issued_on=ISSUED_ON)
    later = make_session(signed_off_session.centre)
    make_application(later, person=held.person)
    make_application(later, name="刘洋")
    job = issue_job_run(job_id=issue_job(later).pk)
    assert job.status == IssueJob.Status.DONE and job.total == 2 and job.done == 1
    [failure] = job.failures.all()
    assert failure.application.person == held.person and held.number in failure.reason
    assert list(Certificate.objects.filter(application__session=later).values_list("holder_name", flat=True)) == ["刘洋"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once need PostgreSQL")
def test_two_sessions_certifying_one_person_at_once_issue_one_certificate(zhejiang_regions, county_centre):
    # Two batches (two sessions of level 4 the same person passed) reach her at the same moment.
    first_session, second_session = make_session(county_centre), make_session(county_centre)
    application = make_application(first_session, name="张晓明")
    again = make_application(second_session, person=application.person)
    first, second = race(
        lambda: certificate_issue(application=application, issued_on=ISSUED_ON),
        lambda: certificate_issue(application=again, issued_on=ISSUED_ON),
    )
    assert isinstance(first, Certificate) and first.number == "S000133000001264000001"
    assert isinstance(second, IssueRefused) and "S000133000001264000001" in second.message
    assert list(Certificate.objects.values_list("number", flat=True)) == ["S000133000001264000001"]
    # The refused one gave its serial back: the next certificate of the prefix takes 2.
    other = certificate_issue(application=make_application(second_session, name="刘洋"), issued_on=ISSUED_ON)
    assert other.number == "S000133000001264000002"


# --- The batch job -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_batch_issues_each_passed_candidate_once(signed_off_session):
    passed = [make_application(signed_off_session, name=name) for name in ("陈静", "刘洋", "赵敏")]
    make_application(signed_off_session, name="王强", outcome=Outcome.FAILED)
    make_application(signed_off_session, name="孙丽", outcome=Outcome.ABSENT)

    job = issue_job_run(job_id=issue_job(signed_off_session).pk)
    assert job.status == IssueJob.Status.DONE and job.total == 3 and job.done == 3 and job.progress == 100
    numbers = dict(Certificate.objects.values_list("application_id", "number"))
    assert set(numbers) == {application.pk for application in passed}
    assert sorted(numbers.values()) == [f"S000133000001264{serial:06d}" for serial in (1, 2, 3)]

    again = issue_job_run(job_id=issue_job(signed_off_session).pk)
    assert again.status == IssueJob.Status.DONE and again.done == 3
    assert dict(Certificate.objects.values_list("application_id", "number")) == numbers


def with_hostile_photo(application):
    """A photo stored before photos were checked at upload: 175 KB that declare 15000 × 12000 pixels."""
    application.photo.save("photo.png", ContentFile(png_declaring(15000, 12000)), save=True)
    return application


@pytest.mark.django_db
def test_each_issued_certificate_is_in_the_audit_trail_once_naming_who_started_the_batch(signed_off_session):
    make_application(signed_off_session, name="陈静")
    make_application(signed_off_session, name="刘洋")
    organiser = UserFactory(admin_region=signed_off_session.centre.region)
    issue_job_run(job_id=issue_job(signed_off_session, organiser).pk)
    issue_job_run(job_id=issue_job(signed_off_session, organiser).pk)
    entries = TrailEntry.objects.filter(action=AuditAction.CERTIFICATE_ISSUED)
    assert sorted(entries.values_list("object_label", flat=True)) == sorted(Certificate.objects.values_list("number", flat=True))
    assert {entry.actor for entry in entries} == {organiser} and {entry.region_code for entry in entries} == {"330102"}


@pytest.mark.django_db
def test_one_candidate_that_cannot_be_issued_fails_alone_and_a_rerun_completes_it(signed_off_session):
    for name in ("陈静", "刘洋", "赵敏"):
        make_application(signed_off_session, name=name)
    bad = with_hostile_photo(Application.objects.get(person__name="刘洋"))

    job = issue_job_run(job_id=issue_job(signed_off_session).pk)
    assert job.status == IssueJob.Status.DONE and job.total == 3 and job.done == 2
    assert set(Certificate.objects.exclude(pdf="").values_list("holder_name", flat=True)) == {"陈静", "赵敏"}
    [failure] = job.failures.all()
    assert failure.application == bad and "刘洋" in failure.reason and "pixels" in failure.reason

    bad.photo.save("photo.jpg", ContentFile(photo_bytes()), save=True)  # the photo replaced
    job = issue_job_run(job_id=issue_job(signed_off_session).pk)
    assert job.status == IssueJob.Status.DONE and job.done == 3 and not job.failures.exists()
    assert Certificate.objects.exclude(pdf="").count() == 3
    assert set(Certificate.objects.values_list("number", flat=True)) == {
        f"S000133000001264{serial:06d}" for serial in (1, 2, 3)
    }


@pytest.mark.django_db
def test_starting_the_issue_queues_one_job_and_runs_it(signed_off_session, django_capture_on_commit_callbacks):
    make_application(signed_off_session, name="陈静")
    administrator = signed_off_session.created_by
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job = session_issue_start(session=signed_off_session, user=administrator)
        # A second click while the first job waits gets that job.
        assert session_issue_start(session=signed_off_session, user=administrator) == job
    assert job.status == IssueJob.Status.PENDING and job.total == 1 and len(queued) == 1
    queued[0]()  # Celery runs in process in the tests
    job.refresh_from_db()
    assert job.status == IssueJob.Status.DONE and Certificate.objects.count() == 1


@pytest.mark.django_db
def test_a_session_not_signed_off_is_refused(county_centre):
    session = make_session(county_centre, signed_off=False)
    make_application(session, name="陈静")
    with pytest.raises(IssueRefused):
        session_issue_start(session=session, user=session.created_by)
    assert not IssueJob.objects.exists()
    job = issue_job(session)
    with pytest.raises(IssueRefused):
        issue_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == IssueJob.Status.FAILED and not Certificate.objects.exists()


@pytest.mark.django_db
def test_the_batch_is_split_into_chunks_that_finish_the_job_together(signed_off_session, monkeypatch):
    monkeypatch.setattr(certificates, "ISSUE_CHUNK_SIZE", 2)
    for index in range(5):
        make_application(signed_off_session, name=f"陈{index}")
    job = issue_job(signed_off_session)
    chunks = certificates.issue_job_plan(job_id=job.pk)
    assert [len(chunk) for chunk in chunks] == [2, 2, 1]
    issued = 0
    for chunk in reversed(chunks):
        job.refresh_from_db()
        assert job.status == IssueJob.Status.RUNNING and job.done == issued
        certificates.issue_job_run_chunk(job_id=job.pk, application_ids=chunk)
        certificates.issue_job_run_chunk(job_id=job.pk, application_ids=chunk)  # delivered twice: counted once
        issued += len(chunk)
        assert IssueJob.objects.get(pk=job.pk).done == issued
    job.refresh_from_db()
    assert job.status == IssueJob.Status.DONE and job.done == 5 and Certificate.objects.count() == 5


@pytest.mark.django_db
def test_a_result_amended_to_a_fail_after_planning_is_skipped_and_the_job_still_ends(signed_off_session):
    applications = [make_application(signed_off_session, name=name) for name in ("陈静", "刘洋")]
    job = issue_job(signed_off_session)
    [chunk] = certificates.issue_job_plan(job_id=job.pk)
    applications[1].outcome = Outcome.FAILED
    applications[1].save(update_fields=["outcome"])
    certificates.issue_job_run_chunk(job_id=job.pk, application_ids=chunk)
    job.refresh_from_db()
    assert job.status == IssueJob.Status.DONE and job.done == job.total == 1
    assert list(Certificate.objects.values_list("holder_name", flat=True)) == ["陈静"]


@pytest.mark.django_db
def test_a_job_whose_worker_was_lost_is_replaced_by_a_new_start(signed_off_session, django_capture_on_commit_callbacks):
    make_application(signed_off_session, name="陈静")
    lost = issue_job(signed_off_session)
    IssueJob.objects.filter(pk=lost.pk).update(
        status=IssueJob.Status.RUNNING, last_alive_at=timezone.now() - datetime.timedelta(hours=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = session_issue_start(session=signed_off_session, user=signed_off_session.created_by)
    lost.refresh_from_db()
    job.refresh_from_db()
    assert job != lost and lost.status == IssueJob.Status.FAILED
    assert job.status == IssueJob.Status.DONE and Certificate.objects.count() == 1


def lose_the_worker(job: IssueJob) -> None:
    """As the job is left when its worker dies: running, silent for longer than JOBS_STALE_AFTER_SECONDS."""
    IssueJob.objects.filter(pk=job.pk).update(last_alive_at=timezone.now() - datetime.timedelta(hours=1))


@pytest.mark.django_db
def test_a_batch_whose_worker_died_is_resumed_by_the_sweep_and_its_missing_chunks_issued(
    signed_off_session, monkeypatch, django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(certificates, "ISSUE_CHUNK_SIZE", 2)
    for index in range(5):
        make_application(signed_off_session, name=f"陈{index}")
    job = issue_job(signed_off_session)
    first, _lost, _also_lost = certificates.issue_job_plan(job_id=job.pk)
    certificates.issue_job_run_chunk(job_id=job.pk, application_ids=first)  # then the worker is killed
    lose_the_worker(job)

    with django_capture_on_commit_callbacks(execute=True):
        acts = jobs_sweep(queue_empty=True)

    assert acts["certification.IssueJob resumed"] == 1
    job.refresh_from_db()
    assert job.status == IssueJob.Status.DONE and job.done == job.total == 5 and job.resumes == 0
    numbers = sorted(Certificate.objects.values_list("number", flat=True))
    assert numbers == [f"S000133000001264{serial:06d}" for serial in range(1, 6)]  # none twice, no gap


@pytest.mark.django_db
def test_a_batch_is_not_resumed_while_messages_wait_in_the_queue(signed_off_session, django_capture_on_commit_callbacks):
    make_application(signed_off_session, name="陈静")
    job = issue_job(signed_off_session)
    certificates.issue_job_plan(job_id=job.pk)  # its chunk waits in the queue behind other work
    lose_the_worker(job)
    with django_capture_on_commit_callbacks(execute=True):
        assert not jobs_sweep(queue_empty=False)
    assert IssueJob.objects.get(pk=job.pk).status == IssueJob.Status.RUNNING


@pytest.mark.django_db
def test_a_batch_that_loses_its_worker_again_and_again_without_progress_is_failed(
    signed_off_session, settings, django_capture_on_commit_callbacks,
):
    make_application(signed_off_session, name="陈静")
    job = issue_job(signed_off_session)
    certificates.issue_job_plan(job_id=job.pk)
    IssueJob.objects.filter(pk=job.pk).update(resumes=settings.JOBS_MAX_RESUMES)
    lose_the_worker(job)

    with django_capture_on_commit_callbacks(execute=True):
        jobs_sweep(queue_empty=True)

    job.refresh_from_db()
    assert job.status == IssueJob.Status.FAILED and job.failure_message == JOB_INTERRUPTED
    assert not Certificate.objects.exists()


def chunk_queries(session, size: int) -> int:
    """The queries of one chunk of ``size`` new certificates (rows, numbers, audit trail, PDFs, progress)."""
    for index in range(size):
        make_application(session, name=f"陈{size}{index}")
    job = issue_job(session)
    [chunk] = certificates.issue_job_plan(job_id=job.pk)
    with CaptureQueriesContext(connection) as queries:
        certificates.issue_job_run_chunk(job_id=job.pk, application_ids=chunk)
    issued = Certificate.objects.filter(application__session=session)
    assert issued.exclude(pdf="").count() == issued.count() == size
    assert IssueJob.objects.get(pk=job.pk).status == IssueJob.Status.DONE
    return len(queries)


@pytest.mark.django_db
def test_a_chunk_writes_its_audit_trail_pdfs_and_progress_in_as_many_queries_whatever_its_size(county_centre):
    # No query per certificate: each round trip to the database is time a worker does not draw PDFs.
    two = chunk_queries(make_session(county_centre, level=4), 2)
    six = chunk_queries(make_session(county_centre, level=3), 6)
    assert six == two
    assert TrailEntry.objects.filter(action=AuditAction.CERTIFICATE_ISSUED).count() == 8


@pytest.mark.django_db
def test_a_chunk_of_a_job_no_longer_running_issues_nothing(signed_off_session):
    make_application(signed_off_session, name="陈静")
    job = issue_job(signed_off_session)
    [chunk] = certificates.issue_job_plan(job_id=job.pk)
    IssueJob.objects.filter(pk=job.pk).update(status=IssueJob.Status.FAILED)
    certificates.issue_job_run_chunk(job_id=job.pk, application_ids=chunk)  # delivered late
    assert not Certificate.objects.exists()


@pytest.mark.django_db
def test_a_failed_batch_is_retried_on_its_page_and_issues_the_rest_with_numbers_following_on(
    client, signed_off_session, monkeypatch, django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(certificates, "ISSUE_CHUNK_SIZE", 2)
    for index in range(4):
        make_application(signed_off_session, name=f"陈{index}")
    job = issue_job(signed_off_session)
    first, _second = certificates.issue_job_plan(job_id=job.pk)
    certificates.issue_job_run_chunk(job_id=job.pk, application_ids=first)
    job_fail(IssueJob, job.pk, message=JOB_INTERRUPTED)
    client.force_login(user_with_role("county_admin"))
    url = reverse("certification:issue_job", args=[job.pk])

    page = client.get(url).content.decode()
    assert "Issuing stopped after 2 of 4 certificates." in page
    assert "the numbers go on from the last one issued" in page
    retry_url = reverse("certification:issue_job_retry", args=[job.pk])
    assert f'action="{retry_url}"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url)
    assert response.status_code == 302 and response.url == url
    job.refresh_from_db()
    assert job.status == IssueJob.Status.DONE and job.done == 4
    assert sorted(Certificate.objects.values_list("number", flat=True)) == [
        f"S000133000001264{serial:06d}" for serial in range(1, 5)
    ]
    response = client.post(retry_url, follow=True)  # done: nothing to retry
    assert "Only a failed job can be retried" in response.content.decode()


@pytest.mark.django_db
def test_a_batch_of_another_county_cannot_be_retried(client, signed_off_session):
    job = issue_job(signed_off_session)
    IssueJob.objects.filter(pk=job.pk).update(status=IssueJob.Status.FAILED)
    client.force_login(user_with_role("county_admin", admin_region_code="330203"))
    assert client.post(reverse("certification:issue_job_retry", args=[job.pk])).status_code == 404
    assert IssueJob.objects.get(pk=job.pk).status == IssueJob.Status.FAILED


# --- The PDF -------------------------------------------------------------------------------------------


@pytest.fixture
def issued(passed_application):
    return certificate_issue(application=passed_application, issued_on=ISSUED_ON)


@pytest.mark.django_db
def test_the_pdf_prints_the_certificate_in_chinese(issued, tmp_path):
    text = poppler("pdftotext", stored_pdf(issued), tmp_path=tmp_path)
    for printed in (
        "职业技能等级证书", "张晓明", "居民身份证", issued.person.id_number, "孤残儿童护理员", "四级/中级工",
        "S000133000001264000001", "浙江省儿童福利职业技能评价中心", "2026年11月29日",
        "亦可在全国职业技能等级证书查询平台查验", "/verify/",
    ):
        assert printed in text, printed


@pytest.mark.django_db
def test_the_pdf_embeds_every_font_on_one_a4_page(issued, tmp_path):
    pdf = stored_pdf(issued)
    fonts = pdf_fonts(pdf, tmp_path=tmp_path)
    # Chinese in Droid Sans Fallback; the number, dates and ID number in Liberation Sans, not a reader's Helvetica.
    assert any("DroidSansFallback" in name for name in fonts) and any("LiberationSans" in name for name in fonts)
    assert set(fonts.values()) == {"yes"}, fonts
    info = poppler("pdfinfo", pdf, tmp_path=tmp_path)
    assert "Pages:           1" in info and "(A4)" in info


@pytest.mark.django_db
def test_long_names_still_fit_on_one_page(county_centre, tmp_path):
    county_centre.name = "浙江省民政厅儿童福利和未成年人保护职业技能等级认定社会培训评价组织" * 3
    county_centre.verification_note = "亦可登录全国职业技能等级证书查询平台或浙江省职业技能鉴定指导中心网站查验" * 2
    county_centre.save()
    application = make_application(make_session(county_centre), name="欧阳娜娜木罕·阿不都热合曼", photo=True)
    pdf = stored_pdf(certificate_issue(application=application, issued_on=ISSUED_ON))
    assert "Pages:           1" in poppler("pdfinfo", pdf, tmp_path=tmp_path)


@pytest.mark.django_db
def test_the_photo_is_printed_when_there_is_one(signed_off_session, tmp_path):
    with_photo = certificate_issue(application=make_application(signed_off_session, name="陈静", photo=True))
    without = certificate_issue(application=make_application(signed_off_session, name="刘洋"))
    image_rows = lambda pdf: poppler("pdfimages", pdf, "-list", tmp_path=tmp_path).splitlines()[2:]  # noqa: E731
    assert len(image_rows(stored_pdf(with_photo))) == 2  # the photo and the QR code
    assert len(image_rows(stored_pdf(without))) == 1  # the QR code only


@pytest.mark.django_db
def test_a_photo_kept_as_printed_goes_into_the_certificate_as_it_is(signed_off_session):
    application = make_application(signed_off_session, name="陈静")
    application.photo.save("photo.jpg", ContentFile(photo_print_ready(io.BytesIO(photo_bytes()))), save=True)
    with application.photo.open("rb") as handle:
        stored = handle.read()
    certificate = certificate_issue(application=application)
    assert "data:image/jpeg;base64," + base64.b64encode(stored).decode() in certificates.certificate_html(certificate)


@pytest.mark.django_db
def test_a_broken_photo_is_left_out_rather_than_stopping_the_issue(signed_off_session, tmp_path):
    application = make_application(signed_off_session, name="陈静")
    application.photo.save("photo.jpg", io.BytesIO(b"not an image"), save=True)
    certificate = certificate_issue(application=application)
    assert len(poppler("pdfimages", stored_pdf(certificate), "-list", tmp_path=tmp_path).splitlines()[2:]) == 1


@pytest.mark.django_db
def test_the_qr_code_leads_to_the_certificates_public_page(issued, settings):
    url = verification_url(issued)
    assert url == settings.WAGTAILADMIN_BASE_URL.rstrip("/") + f"/verify/{issued.public_id}/"
    images = [image.image for image in PdfReader(io.BytesIO(stored_pdf(issued))).pages[0].images]
    expected = qrcode.make(  # the library's own drawing, with the platform's one mask
        url, border=2, box_size=QR_BOX_PIXELS, mask_pattern=QR_MASK_PATTERN
    ).convert("L")
    assert any(
        image.size == expected.size and ImageChops.difference(image.convert("L"), expected).getbbox() is None
        for image in images
    )


def scanned_qr_codes(pdf: bytes, tmp_path) -> list[str]:
    """What a phone reads from the printed page: the page rasterised at 150 dpi (poppler), the QR codes on it
    decoded (zxing-cpp)."""
    zxingcpp = pytest.importorskip("zxingcpp", reason="!!! zxing-cpp is not installed: the QR code is not scanned !!!")
    if not POPPLER["pdftoppm"]:
        pytest.skip("!!! pdftoppm (Debian's poppler-utils) is not installed: the QR code is not scanned !!!")
    (tmp_path / "certificate.pdf").write_bytes(pdf)
    subprocess.run([POPPLER["pdftoppm"], "-r", "150", "-gray", "-png", "-singlefile", str(tmp_path / "certificate.pdf"),
                    str(tmp_path / "page")], check=True)
    return [code.text for code in zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))]


@pytest.mark.django_db
def test_the_batch_prints_each_certificate_with_its_details_and_a_qr_code_to_its_page(signed_off_session, tmp_path):
    for name in ("陈静", "刘洋"):
        make_application(signed_off_session, name=name, photo=True)
    issue_job_run(job_id=issue_job(signed_off_session).pk)
    for certificate in Certificate.objects.order_by("number"):
        pdf = stored_pdf(certificate)
        assert hashlib.sha256(pdf).hexdigest() == certificate.pdf_sha256
        text = poppler("pdftotext", pdf, tmp_path=tmp_path)
        for printed in (certificate.holder_name, certificate.number, "四级/中级工", "/verify/"):
            assert printed in text, printed
        assert scanned_qr_codes(pdf, tmp_path) == [verification_url(certificate)]


@pytest.mark.django_db
def test_the_pdf_is_in_chinese_whatever_the_language_of_the_request(issued):
    from django.utils import translation

    with translation.override("en"):
        pdf = certificate_render_pdf(issued)
    assert str(PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Lang"]) == "zh-CN"


# --- Revocation ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_revoking_keeps_the_number_and_needs_a_reason(issued):
    administrator = issued.application.session.created_by
    with pytest.raises(ValueError):
        certificate_revoke(certificate=issued, user=administrator, reason="  ")
    revoked = certificate_revoke(certificate=issued, user=administrator, reason="培训学时造假")
    assert revoked.status == "revoked" and not revoked.is_valid and revoked.number == "S000133000001264000001"
    assert revoked.revoked_by == administrator and revoked.revocation_reason == "培训学时造假" and revoked.revoked_at
    # Issuing again for the same application gives the revoked certificate back, not a new number.
    assert certificate_issue(application=issued.application).number == revoked.number
    entry = TrailEntry.objects.get(action=AuditAction.CERTIFICATE_REVOKED)
    assert entry.actor == administrator and entry.object_label == revoked.number and entry.detail == {"reason": "培训学时造假"}


# --- Pages ---------------------------------------------------------------------------------------------


@pytest.fixture
def holder(issued):
    return UserFactory(person=issued.person)


def _downloads(certificate) -> list:
    return list(
        TrailEntry.objects.filter(action=AuditAction.CERTIFICATE_DOWNLOADED, object_id=str(certificate.pk))
        .values_list("actor", flat=True)
    )


@pytest.mark.django_db
def test_the_holder_downloads_their_certificate(client, holder, issued):
    client.force_login(holder)
    response = client.get(reverse("certification:certificate_pdf", args=[issued.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == stored_pdf(issued)
    assert "S000133000001264000001.pdf" in response["Content-Disposition"]
    assert _downloads(issued) == [holder.pk]


@pytest.mark.django_db
def test_the_holder_gets_the_certificate_as_one_image_to_save_in_wechat(client, holder, issued):
    client.force_login(holder)
    response = client.get(reverse("certification:certificate_image", args=[issued.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith('inline; filename="S000133000001264000001.png"')
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert image.format == "PNG" and image.width == 1080 and image.height > image.width  # one A4 page, upright
    grey = image.convert("L")
    assert grey.getextrema()[0] < 60 and ImageStat.Stat(grey).mean[0] > 180  # drawn, not blank
    assert _downloads(issued) == [holder.pk]
    # Drawn once and kept, next to the PDF.
    issued.refresh_from_db()
    assert issued.image.name.endswith("S000133000001264000001.png")
    client.get(reverse("certification:certificate_image", args=[issued.public_id]))
    issued.refresh_from_db()
    assert issued.image.name.endswith("S000133000001264000001.png") and _downloads(issued) == [holder.pk, holder.pk]


@pytest.mark.django_db
def test_the_pdf_downloads_as_an_attachment(client, holder, issued):
    client.force_login(holder)
    response = client.get(reverse("certification:certificate_pdf", args=[issued.public_id]))
    assert response["Content-Disposition"] == (
        "attachment; filename=\"S000133000001264000001.pdf\"; filename*=UTF-8''S000133000001264000001.pdf"
    )


@pytest.mark.django_db
def test_in_wechat_the_holders_page_shows_the_certificate_as_an_image(client, holder, issued):
    client.force_login(holder)
    image_url = reverse("certification:certificate_image", args=[issued.public_id])
    pdf_url = reverse("certification:certificate_pdf", args=[issued.public_id])
    page = client.get(reverse("certification:home"), HTTP_USER_AGENT=WECHAT_ANDROID).content.decode()
    assert f'<img src="{image_url}" alt="Certificate S000133000001264000001">' in page  # this file reads English
    assert "WeChat cannot open or save PDF files" in page and "press and hold it" in page
    assert f'href="{pdf_url}" download' not in page
    page = client.get(reverse("certification:home"), HTTP_USER_AGENT=CHROME_ANDROID).content.decode()
    assert f'href="{pdf_url}" download' in page and f'href="{image_url}"' in page and "<img src" not in page


@pytest.mark.django_db
def test_nobody_else_gets_the_image(client, issued):
    client.force_login(user_with_role("province_admin"))
    assert client.get(reverse("certification:certificate_image", args=[issued.public_id])).status_code == 403
    client.logout()
    assert client.get(reverse("certification:certificate_image", args=[issued.public_id])).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["county_admin", "system_admin"])
def test_the_issuing_organiser_and_system_administrators_download_it_too(client, issued, who):
    user = user_with_role(who)  # the county administrator of 上城区, where the centre is
    client.force_login(user)
    assert client.get(reverse("certification:certificate_pdf", args=[issued.public_id])).status_code == 200
    assert client.get(reverse("certification:certificate_pdf", args=[issued.public_id])).status_code == 200
    entries = TrailEntry.objects.filter(action=AuditAction.CERTIFICATE_DOWNLOADED)
    assert _downloads(issued) == [user.pk, user.pk]
    assert entries.first().region_code == "330102" and entries.first().object_label == issued.number


@pytest.mark.django_db
@pytest.mark.parametrize("who", [
    "trainee", "assessor", "other_county_admin", "city_admin", "province_admin", "chief", "other_holder",
])
def test_nobody_else_downloads_a_certificate(client, issued, who):
    """The PDF carries the full ID number: administrators above the centre's region manage the session but did
    not issue the certificate, and the session's chief assessor scored it but holds no right to the number."""
    if who == "other_county_admin":
        user = user_with_role("county_admin", admin_region_code="330203")
    elif who == "chief":
        user = UserFactory(is_assessor=True)
        StaffAssignment.objects.create(session=issued.application.session, user=user, role=StaffRole.CHIEF)
    elif who == "other_holder":
        user = UserFactory(person=make_application(issued.application.session, name="李四").person)
    else:
        user = user_with_role(who)
    client.force_login(user)
    assert client.get(reverse("certification:certificate_pdf", args=[issued.public_id])).status_code == 403
    assert _downloads(issued) == []


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_sign_in_for_the_pdf(client, issued):
    response = client.get(reverse("certification:certificate_pdf", args=[issued.public_id]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


@pytest.mark.django_db
def test_the_administrator_starts_the_issue_and_follows_it(client, signed_off_session, django_capture_on_commit_callbacks):
    make_application(signed_off_session, name="陈静")
    make_application(signed_off_session, name="王强", outcome=Outcome.FAILED)
    client.force_login(user_with_role("county_admin"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("certification:issue_start", args=[signed_off_session.public_id]))
    job = IssueJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("certification:issue_job", args=[job.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    certificate = Certificate.objects.get()
    assert certificate.number in page.content.decode() and "陈静" in page.content.decode()
    status = client.get(response["Location"], HTTP_ACCEPT="application/json").json()
    assert status["status"] == "done" and status["processed_rows"] == 1 and status["total_rows"] == 1


@pytest.mark.django_db
def test_the_job_page_shows_progress_while_it_runs(client, signed_off_session):
    job = IssueJob.objects.create(session=signed_off_session, created_by=signed_off_session.created_by, total=40, done=10)
    client.force_login(user_with_role("county_admin"))
    page = client.get(reverse("certification:issue_job", args=[job.pk])).content.decode()
    assert "data-job-status-url" in page and "js/job_progress.js" in page
    status = client.get(reverse("certification:issue_job", args=[job.pk]), HTTP_ACCEPT="application/json").json()
    assert status == {
        "status": "pending", "status_label": status["status_label"], "running": True, "progress": 25,
        "processed_rows": 10, "total_rows": 40, "failed": 0,
    }


@pytest.mark.django_db
def test_issuing_before_sign_off_is_refused_with_a_message(client, county_centre):
    session = make_session(county_centre, signed_off=False)
    client.force_login(user_with_role("county_admin"))
    response = client.post(reverse("certification:issue_start", args=[session.public_id]), follow=False)
    assert response.status_code == 302 and not IssueJob.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who, status", [("trainee", 403), ("assessor", 403), ("other_county_admin", 404)])
def test_only_the_sessions_administrators_issue(client, signed_off_session, who, status):
    user = user_with_role("county_admin", admin_region_code="330203") if who == "other_county_admin" else user_with_role(who)
    client.force_login(user)
    assert client.post(reverse("certification:issue_start", args=[signed_off_session.public_id])).status_code == status
    assert not IssueJob.objects.exists()


@pytest.mark.django_db
def test_issue_start_takes_only_a_post(client, signed_off_session):
    client.force_login(user_with_role("county_admin"))
    assert client.get(reverse("certification:issue_start", args=[signed_off_session.public_id])).status_code == 405


@pytest.mark.django_db
def test_another_areas_administrator_does_not_see_the_job(client, signed_off_session):
    job = issue_job(signed_off_session)
    client.force_login(user_with_role("county_admin", admin_region_code="330203"))
    assert client.get(reverse("certification:issue_job", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_the_administrator_revokes_with_a_reason(client, issued):
    client.force_login(user_with_role("county_admin"))
    url = reverse("certification:certificate_revoke", args=[issued.public_id])
    client.post(url, {"reason": ""})
    issued.refresh_from_db()
    assert issued.is_valid
    response = client.post(url, {"reason": "考核材料造假"})
    issued.refresh_from_db()
    assert response.status_code == 302 and not issued.is_valid and issued.revocation_reason == "考核材料造假"


@pytest.mark.django_db
@pytest.mark.parametrize("who, status", [("trainee", 403), ("other_county_admin", 404)])
def test_nobody_else_revokes(client, issued, who, status):
    user = user_with_role("county_admin", admin_region_code="330203") if who == "other_county_admin" else user_with_role(who)
    client.force_login(user)
    response = client.post(reverse("certification:certificate_revoke", args=[issued.public_id]), {"reason": "x"})
    issued.refresh_from_db()
    assert response.status_code == status and issued.is_valid


@pytest.mark.django_db
def test_the_job_page_names_the_candidate_that_could_not_be_issued(client, signed_off_session, django_capture_on_commit_callbacks):
    make_application(signed_off_session, name="陈静")
    with_hostile_photo(make_application(signed_off_session, name="刘洋"))
    client.force_login(user_with_role("county_admin"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("certification:issue_start", args=[signed_off_session.public_id]))
    client.cookies["django_language"] = "en"
    page = client.get(response["Location"]).content.decode()
    assert "1 certificates are issued; 1 candidate could not be issued" in page
    assert "刘洋" in page and "declares far too many pixels" in page and "Issue the rest" in page
    status = client.get(response["Location"], HTTP_ACCEPT="application/json").json()
    assert status["status"] == "done" and status["processed_rows"] == 1 and status["failed"] == 1
