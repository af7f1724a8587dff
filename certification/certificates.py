"""Certificates 职业技能等级证书: issuing (one per passed application, never a second number), the PDF and its image, the
background job that issues a signed-off session's certificates, revocation, and checking an uploaded PDF.

Issuing is idempotent: the application's row is locked while its certificate is made, and an application that
already has one gets that one back. The row and its number are committed before the PDF is drawn, so a crash
while drawing leaves a certificate without a PDF that the next run (certificate_pdf_ensure) completes.
"""
import base64
import datetime
import hashlib
import io
import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from academy.audit.models import AuditAction
from academy.audit.services import audit_entry, audit_record, audit_record_many
from academy.jobs import JOB_INTERRUPTED, job_announce, job_fail, job_progress, job_retry, job_start
from academy.pdf import html_to_pdf, pdf_to_png
from academy.verification import qr_code_data_uri, site_url

from .models import (
    LEVEL_NATIONAL_NAMES, OCCUPATION, Application, AssessmentSession, Certificate, CertificateStatus, IssueFailure,
    IssueJob, Outcome,
)
from .eligibility import valid_certificate_held, valid_certificates_held
from .notices import certificates_issued_owe
from .numbers import certificate_number_allocate, certificate_numbers_allocate
from .photos import photo_is_print_ready, photo_print_ready

logger = logging.getLogger(__name__)

# National wording printed on every certificate in Chinese, whatever the reader's language (like OCCUPATION).
CERTIFICATE_TITLE = "职业技能等级证书"
ID_TYPE = "居民身份证"
# A batch is issued by tasks of this many applications each, run side by side by the workers. A chunk's own
# cost (the task, its transaction, its heartbeat thread) is a few round trips, small beside 20 PDFs; a smaller
# chunk keeps both processes busy to the end (the last chunk leaves the other process idle for up to its time).
ISSUE_CHUNK_SIZE = 20


class IssueRefused(Exception):
    """A certificate that cannot be issued; ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Issuing -------------------------------------------------------------------------------------------


def passed_applications(session: AssessmentSession):
    return Application.objects.filter(session=session, outcome=Outcome.PASSED)


def certificate_issue(
    *, application: Application, issued_on: datetime.date | None = None, issued_by=None, pdf: bool = True
) -> Certificate:
    """The application's certificate, issued now if it has none (and its PDF drawn if missing, unless ``pdf``
    is False: the caller draws it). A new one is recorded in the audit trail, by ``issued_by`` (who started
    the batch)."""
    with transaction.atomic():
        # Two workers given the same application: the second waits here, then finds the certificate.
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("session__centre", "person")
            .get(pk=application.pk)
        )
        certificate = Certificate.objects.filter(application=application).first()
        if certificate is None:
            _check_issuable(application)
            certificate = _certificate_create(application, issued_on or timezone.localdate())
            audit_record_many([_issued_entry(certificate, issued_by=issued_by)])
    return certificate_pdf_ensure(certificate) if pdf else certificate


def _issued_entry(certificate: Certificate, *, issued_by):
    """The audit trail's entry for a new certificate."""
    return audit_entry(
        action=AuditAction.CERTIFICATE_ISSUED, actor=issued_by, target=certificate,
        region_code=certificate.application.session.centre.region_id,
        detail={"level": certificate.level, "issued_on": certificate.issued_on.isoformat()},
    )


def _check_issuable(application: Application) -> None:
    if not application.session.is_signed_off:
        raise IssueRefused(_("The session's results are not signed off yet."))
    if application.outcome != Outcome.PASSED:
        raise IssueRefused(
            _("%(name)s did not pass: only candidates who passed get a certificate.") % {"name": application.person.name}
        )
    held = valid_certificate_held(person=application.person, level=application.session.level)
    if held is not None:
        raise _already_certified(application, held)


def _already_certified(application: Application, held: Certificate) -> IssueRefused:
    return IssueRefused(_(
        "%(name)s already holds the valid certificate %(number)s of this level, issued on %(date)s: a second one "
        "is not issued. Revoke that one first if it must be replaced."
    ) % {"name": application.person.name, "number": held.number, "date": held.issued_on.isoformat()})


def _certificate_create(application: Application, issued_on: datetime.date) -> Certificate:
    session = application.session
    try:
        # A savepoint: a refused certificate gives its serial back, so numbers stay contiguous.
        with transaction.atomic():
            number = certificate_number_allocate(centre=session.centre, year=issued_on.year, level=session.level)
            certificate = _certificate_new(application, number, issued_on)
            certificate.save(force_insert=True)
            return certificate
    except IntegrityError:
        # Another session's batch certified the same person at this level a moment ago.
        held = valid_certificate_held(person=application.person, level=session.level)
        if held is None:
            raise
        raise _already_certified(application, held) from None


def _certificate_new(application: Application, number: str, issued_on: datetime.date) -> Certificate:
    session = application.session
    return Certificate(
        number=number, application=application, person=application.person, level=session.level,
        holder_name=application.person.name, issuer=session.centre.name, issued_on=issued_on,
    )


def certificate_pdf_ensure(certificate: Certificate) -> Certificate:
    """Draw and keep the certificate's PDF unless it has one."""
    if not (certificate.pdf and certificate.pdf_sha256):
        _pdf_store(certificate)
    return certificate


def _pdf_store(certificate: Certificate) -> bool:
    """Draw the PDF and keep it, unless another worker kept one meanwhile: True if this one is kept."""
    _pdf_write(certificate)
    return bool(_pdfs_keep([certificate]))


def _pdf_write(certificate: Certificate) -> None:
    """Draw the PDF and write its file, outside any transaction (no row stays locked while a PDF is drawn);
    the certificate's row is not changed yet: _pdfs_keep."""
    pdf = certificate_render_pdf(certificate)
    certificate.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    certificate.pdf.save(f"{certificate.number}.pdf", ContentFile(pdf), save=False)


def _pdfs_keep(written: list[Certificate]) -> int:
    """Record the PDFs written by _pdf_write on the rows still without one, in one short transaction for them
    all: the rows locked, then one UPDATE. A row given a PDF by another worker meanwhile (a chunk delivered
    twice) keeps that one, and this file is deleted: a race costs a drawing, never a second PDF. A certificate is
    issued to its holder once its PDF is kept: they are told then (notices.py). Returns how many were kept."""
    by_pk = {certificate.pk: certificate for certificate in written}
    with transaction.atomic():
        missing = set(
            Certificate.objects.select_for_update().filter(Q(pdf="") | Q(pdf_sha256=""), pk__in=by_pk)
            .values_list("pk", flat=True)
        )
        Certificate.objects.bulk_update([by_pk[pk] for pk in missing], ["pdf", "pdf_sha256"])
        if missing:
            certificates_issued_owe([by_pk[pk] for pk in missing])
    for pk, certificate in by_pk.items():
        if pk not in missing:
            certificate.pdf.storage.delete(certificate.pdf.name)
            certificate.refresh_from_db(fields=["pdf", "pdf_sha256"])
    return len(missing)


def certificate_image_ensure(certificate: Certificate) -> Certificate:
    """Draw and keep the certificate's image (its PDF as one PNG, for WeChat) unless it has one."""
    certificate = certificate_pdf_ensure(certificate)
    if certificate.image:
        return certificate
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if locked.image:
            return locked
        with locked.pdf.open("rb") as handle:
            png = pdf_to_png(handle.read())
        locked.image.save(f"{locked.number}.png", ContentFile(png), save=False)
        locked.save(update_fields=["image"])
    return locked


def certificate_revoke(*, certificate: Certificate, user, reason: str) -> Certificate:
    """Withdraw a certificate. Its number stays taken forever, and the public page says it is revoked."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a revocation needs its reason")
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if locked.status == CertificateStatus.REVOKED:
            return locked
        locked.status = CertificateStatus.REVOKED
        locked.revoked_at, locked.revoked_by, locked.revocation_reason = timezone.now(), user, reason
        locked.save(update_fields=["status", "revoked_at", "revoked_by", "revocation_reason"])
        audit_record(
            action=AuditAction.CERTIFICATE_REVOKED, actor=user, target=locked,
            region_code=locked.application.session.centre.region_id, detail={"reason": reason},
        )
    logger.info("Certificate %s revoked by user %s", locked.number, user.pk)
    return locked


# --- The PDF -------------------------------------------------------------------------------------------


def verification_url(certificate: Certificate) -> str:
    return site_url() + certificate.get_absolute_url()


def chinese_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def certificate_render_pdf(certificate: Certificate) -> bytes:
    """The certificate as printed: A4 portrait, one page, in Chinese."""
    return html_to_pdf(certificate_html(certificate))


def certificate_html(certificate: Certificate) -> str:
    """The certificate's HTML, which xhtml2pdf draws (and bench/certificates.py draws alone for its floor)."""
    centre = certificate.application.session.centre
    context = {
        "certificate": certificate,
        "title": CERTIFICATE_TITLE,
        "id_type": ID_TYPE,
        "id_number": certificate.person.id_number,
        "occupation": OCCUPATION,
        "level_name": LEVEL_NATIONAL_NAMES[certificate.level],
        "issued_on": chinese_date(certificate.issued_on),
        "photo": _photo_data_uri(certificate.application),
        "qr_code": qr_code_data_uri(verification_url(certificate)),
        "verify_page": site_url() + reverse("certification:verify_search"),
        "verification_note": centre.verification_note,
    }
    with translation.override("zh-hans"):
        return render_to_string("certification/certificate_pdf.html", context)


def _photo_data_uri(application: Application) -> str | None:
    """The application's photo as printed, as a JPEG data: URI; None without a readable photo. A photo kept as
    printed since its upload goes in as it is; an older one is made ready here."""
    if not application.photo:
        return None
    try:
        with application.photo.open("rb") as handle:
            data = handle.read()
        if not photo_is_print_ready(data):
            data = photo_print_ready(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        # Refused at the header, before gigabytes are decoded (photos are checked at upload since; an older
        # one may still declare 15000 × 12000 pixels). Only this candidate's certificate waits.
        raise IssueRefused(_(
            "The photo of %(name)s declares far too many pixels to be printed. Replace it with an ordinary photo, "
            "then issue the rest again."
        ) % {"name": application.person.name}) from error
    except (OSError, UnidentifiedImageError, ValueError) as error:
        # A missing or broken photo leaves its box empty rather than stopping a whole session's certificates.
        logger.warning("Application %s: photo not printed (%s)", application.pk, error)
        return None
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


# --- The batch job -------------------------------------------------------------------------------------


def session_issue_start(*, session: AssessmentSession, user) -> IssueJob:
    """Start issuing a signed-off session's certificates (announced on commit, queued by receivers.py); a job
    already under way is returned instead, and one whose worker was lost (academy.jobs, ``is_stale``) is
    replaced."""
    with transaction.atomic():
        # Two clicks at once: the second waits here, then finds the first one's job. Read afresh: the caller's
        # copy may predate the sign-off.
        session = AssessmentSession.objects.select_for_update().get(pk=session.pk)
        if not session.is_signed_off:
            raise IssueRefused(_("The session's results are not signed off yet."))
        running = session.issue_jobs.filter(status__in=[IssueJob.Status.PENDING, IssueJob.Status.RUNNING]).first()
        if running is not None and not running.is_stale():
            return running
        if running is not None:
            # Its worker was lost (the sweep had not come by yet): a new job completes what it left.
            job_fail(IssueJob, running.pk, message=JOB_INTERRUPTED)
        job = IssueJob.objects.create(session=session, created_by=user, total=passed_applications(session).count())
        job_announce(job)
    return job


def _applications_to_do(session: AssessmentSession):
    """Passed applications without a certificate, or with one whose PDF is missing."""
    finished = Certificate.objects.filter(application=OuterRef("pk")).exclude(Q(pdf="") | Q(pdf_sha256=""))
    return passed_applications(session).filter(~Exists(finished))


def issue_job_plan(*, job_id) -> list[list[int]]:
    """Start a waiting job (new, retried, or resumed by the sweep after its worker was lost): count what is done
    already and return the applications still to do, in chunks. An empty list means there is nothing to queue:
    the job is finished, or not waiting (a message delivered twice)."""
    job = IssueJob.objects.select_related("session").get(pk=job_id)
    if job.status != IssueJob.Status.PENDING:
        return []
    if not job.session.is_signed_off:
        raise IssueRefused(_("The session's results are not signed off yet."))
    to_do = list(_applications_to_do(job.session).order_by("pk").values_list("pk", flat=True))
    total = passed_applications(job.session).count()
    if not job_start(
        IssueJob, job.pk, from_statuses=[IssueJob.Status.PENDING], total=total, done=total - len(to_do),
        failure_message="",
    ):
        return []  # taken by another delivery meanwhile
    # A restarted job tries its failed candidates again.
    job.failures.all().delete()
    if not to_do:
        _finish_if_complete(job)
    return [to_do[start:start + ISSUE_CHUNK_SIZE] for start in range(0, len(to_do), ISSUE_CHUNK_SIZE)]


def issue_job_run_chunk(*, job_id, application_ids: list[int]) -> None:
    """Issue one chunk's certificates: their rows and numbers in one short transaction for the whole chunk,
    then each PDF. A candidate whose certificate cannot be made (already certified at the level, a photo that
    cannot be printed, a PDF that fails to draw) is recorded on the job with the reason, and the others are
    issued regardless. Whichever chunk ends last marks the job done. A lost database connection is raised,
    for the task to retry the chunk; the caller marks the job failed if anything else escapes."""
    job = IssueJob.objects.select_related("session__centre", "created_by").get(pk=job_id)
    if job.status != IssueJob.Status.RUNNING:
        return  # a chunk of a job failed, finished or resumed since: its new plan has the chunk's work
    try:
        to_draw, refused = _chunk_certificates_create(job, application_ids)
    except IntegrityError:
        # Another session's batch certified one of these people a moment ago: one at a time, each refusal
        # named (certificate_issue).
        to_draw, refused = _chunk_certificates_create_one_by_one(job, application_ids)
    for application, error in refused:
        _record_failure(job, application, error)
    written = []
    for certificate in to_draw:
        try:
            _pdf_write(certificate)
        except (OperationalError, InterfaceError):
            raise
        except Exception as error:
            _record_failure(job, certificate.application, error)
            continue
        written.append(certificate)
    # The chunk's PDFs kept and counted together: no round trip to the database per certificate. Counted by
    # whoever kept the PDFs, so once however many times a chunk is delivered.
    kept = _pdfs_keep(written)
    if kept:
        job_progress(IssueJob, job_id, done=F("done") + kept)
    _finish_if_complete(job)


def _chunk_applications(job: IssueJob, application_ids: list[int], *, lock: bool = False) -> list[Application]:
    applications = (
        Application.objects.filter(pk__in=application_ids, session=job.session).select_related("person")
        .order_by("pk")
    )
    if lock:
        applications = applications.select_for_update(of=("self",))
    applications = list(applications)
    for application in applications:
        application.session = job.session  # with its centre: no query per certificate
    return applications


def _chunk_certificates_create(job: IssueJob, application_ids: list[int]):
    """The chunk's certificates still without a PDF, created where missing, and the applications refused with
    their reasons. One transaction: the applications locked (a chunk delivered twice waits here, then finds
    the certificates), one number allocation for all the new ones, so a batch's numbers stay contiguous."""
    session = job.session
    issued_on = timezone.localdate()
    with transaction.atomic():
        applications = _chunk_applications(job, application_ids, lock=True)
        existing = {
            certificate.application_id: certificate
            for certificate in Certificate.objects.filter(application__in=applications)
        }
        # A result amended to a fail since the job was planned is skipped, as in issue_job_plan.
        candidates = [a for a in applications if a.pk not in existing and a.outcome == Outcome.PASSED]
        if not session.is_signed_off:
            return [], [(a, IssueRefused(_("The session's results are not signed off yet."))) for a in candidates]
        held = valid_certificates_held(people=[a.person for a in candidates], level=session.level)
        refused = [(a, _already_certified(a, held[a.person_id])) for a in candidates if a.person_id in held]
        new = [a for a in candidates if a.person_id not in held]
        numbers = certificate_numbers_allocate(
            centre=session.centre, year=issued_on.year, level=session.level, count=len(new)
        ) if new else []
        created = Certificate.objects.bulk_create(
            [_certificate_new(application, number, issued_on) for application, number in zip(new, numbers)]
        )
        audit_record_many([_issued_entry(certificate, issued_by=job.created_by) for certificate in created])
    by_id = {application.pk: application for application in applications}
    unfinished = []
    for certificate in existing.values():
        if not (certificate.pdf and certificate.pdf_sha256):
            certificate.application = by_id[certificate.application_id]
            certificate.person = certificate.application.person
            unfinished.append(certificate)
    return sorted(unfinished + created, key=lambda certificate: certificate.number), refused


def _chunk_certificates_create_one_by_one(job: IssueJob, application_ids: list[int]):
    to_draw, refused = [], []
    for application in _chunk_applications(job, application_ids):
        if application.outcome != Outcome.PASSED:
            continue
        try:
            certificate = certificate_issue(application=application, issued_by=job.created_by, pdf=False)
        except IssueRefused as error:
            refused.append((application, error))
            continue
        if not (certificate.pdf and certificate.pdf_sha256):
            to_draw.append(certificate)
    return to_draw, refused


def _record_failure(job: IssueJob, application: Application, error: Exception) -> None:
    reason = error.message if isinstance(error, IssueRefused) else f"{type(error).__name__}: {error}"
    logger.exception("Certificate issuing job %s: application %s not issued", job.pk, application.pk)
    IssueFailure.objects.update_or_create(job=job, application=application, defaults={"reason": reason[:2000]})


def _finish_if_complete(job: IssueJob) -> None:
    """Done when nothing is left to do but the candidates that failed, as the database says: the running count
    is only for the page, and chunks end in any order."""
    failed = IssueFailure.objects.filter(job=job).values("application")
    if _applications_to_do(job.session).exclude(pk__in=failed).exists():
        return
    total = passed_applications(job.session).count()
    IssueJob.objects.filter(pk=job.pk, status=IssueJob.Status.RUNNING).update(
        status=IssueJob.Status.DONE, total=total, done=total - failed.count(), finished_at=timezone.now()
    )


def issue_job_retry(*, job: IssueJob) -> bool:
    """Issue the rest of a failed job: what it issued stays, nobody gets a second certificate, and numbers go on
    from the last one taken. False if the job is not failed, or another job of the session is under way."""
    if job.session.issue_jobs.filter(status__in=[IssueJob.Status.PENDING, IssueJob.Status.RUNNING]).exists():
        return False
    return job_retry(job)


def issue_job_run(*, job_id) -> IssueJob:
    """The whole job in this process, every chunk one after the other. A failure marks the job failed and is
    raised again; running the job (or a new one) again completes it without issuing anything twice."""
    try:
        for chunk in issue_job_plan(job_id=job_id):
            issue_job_run_chunk(job_id=job_id, application_ids=chunk)
    except Exception as error:
        job_fail(IssueJob, job_id, message=f"{type(error).__name__}: {error}")
        raise
    return IssueJob.objects.get(pk=job_id)


# --- Public verification -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PdfCheck:
    """What an uploaded file is: the very PDF issued (``matches``, with its certificate), or not."""

    certificate: Certificate | None
    matches: bool
    message: str


def certificate_check_pdf(*, data: bytes) -> PdfCheck:
    """Compare the uploaded bytes with the files issued, by their SHA-256. The upload is never parsed: anyone
    may send a file here, and a small PDF can inflate to gigabytes in a reader; any other file, however
    close to a certificate it looks, is simply not one issued here."""
    digest = hashlib.sha256(data).hexdigest()
    issued = Certificate.objects.filter(pdf_sha256=digest).first()
    if issued is None:
        return PdfCheck(certificate=None, matches=False, message=_(
            "This file is not a certificate PDF issued by this platform, or it has been changed since it was "
            "issued. Look the certificate up by its number and compare its details."
        ))
    if issued.is_valid:
        message = _("This file is the certificate issued with number %(number)s, unchanged.")
    else:
        message = _(
            "This file is the certificate issued with number %(number)s, unchanged, but that certificate "
            "has been revoked and is no longer valid."
        )
    return PdfCheck(certificate=issued, matches=True, message=message % {"number": issued.number})
