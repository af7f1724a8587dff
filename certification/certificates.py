"""Certificates 职业技能等级证书: issuing (one per passed application, never a second number), the PDF, the
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

import qrcode
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from academy.audit.models import AuditAction
from academy.audit.services import audit_record
from academy.jobs import job_announce, job_fail, job_progress, job_start
from academy.pdf import render_pdf

from .models import (
    LEVEL_NATIONAL_NAMES, OCCUPATION, Application, AssessmentSession, Certificate, CertificateStatus, IssueFailure,
    IssueJob, Outcome,
)
from .numbers import certificate_number_allocate

logger = logging.getLogger(__name__)

# National wording printed on every certificate in Chinese, whatever the reader's language (like OCCUPATION).
CERTIFICATE_TITLE = "职业技能等级证书"
ID_TYPE = "居民身份证"
# The photo is printed about 3.3 × 4.4 cm: this many pixels is about 230 dpi, sharp in print, and keeps a
# phone photo's megabytes out of every PDF.
PHOTO_PIXELS = (300, 400)
# Pixels per module of the QR code: sharp at the printed size without relying on a viewer's scaling.
QR_BOX_PIXELS = 4
# A batch is issued by tasks of this many applications each, run side by side by the workers.
ISSUE_CHUNK_SIZE = 50


class IssueRefused(Exception):
    """A certificate that cannot be issued; ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Issuing -------------------------------------------------------------------------------------------


def passed_applications(session: AssessmentSession):
    return Application.objects.filter(session=session, outcome=Outcome.PASSED)


def certificate_issue(
    *, application: Application, issued_on: datetime.date | None = None, issued_by=None
) -> Certificate:
    """The application's certificate, issued now if it has none (and its PDF drawn if missing). A new one is
    recorded in the audit trail, by ``issued_by`` (who started the batch)."""
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
            audit_record(
                action=AuditAction.CERTIFICATE_ISSUED, actor=issued_by, target=certificate,
                region_code=application.session.centre.region_id,
                detail={"level": certificate.level, "issued_on": certificate.issued_on.isoformat()},
            )
    return certificate_pdf_ensure(certificate)


def _check_issuable(application: Application) -> None:
    if not application.session.is_signed_off:
        raise IssueRefused(_("The session's results are not signed off yet."))
    if application.outcome != Outcome.PASSED:
        raise IssueRefused(
            _("%(name)s did not pass: only candidates who passed get a certificate.") % {"name": application.person.name}
        )


def _certificate_create(application: Application, issued_on: datetime.date) -> Certificate:
    session = application.session
    number = certificate_number_allocate(centre=session.centre, year=issued_on.year, level=session.level)
    return Certificate.objects.create(
        number=number, application=application, person=application.person, level=session.level,
        holder_name=application.person.name, issuer=session.centre.name, issued_on=issued_on,
    )


def certificate_pdf_ensure(certificate: Certificate) -> Certificate:
    """Draw and keep the certificate's PDF unless it has one."""
    if certificate.pdf and certificate.pdf_sha256:
        return certificate
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if locked.pdf and locked.pdf_sha256:
            return locked
        pdf = certificate_render_pdf(locked)
        locked.pdf.save(f"{locked.number}.pdf", ContentFile(pdf), save=False)
        locked.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        locked.save(update_fields=["pdf", "pdf_sha256"])
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


def site_url() -> str:
    """The platform's public address (SITE_URL in the environment, read into WAGTAILADMIN_BASE_URL)."""
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/")


def verification_url(certificate: Certificate) -> str:
    return site_url() + certificate.get_absolute_url()


def chinese_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def certificate_render_pdf(certificate: Certificate) -> bytes:
    """The certificate as printed: A4 portrait, one page, in Chinese."""
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
        "qr_code": _qr_data_uri(verification_url(certificate)),
        "verify_page": site_url() + reverse("certification:verify_search"),
        "verification_note": centre.verification_note,
    }
    with translation.override("zh-hans"):
        return render_pdf("certification/certificate_pdf.html", context)


def qr_code_image(url: str) -> Image.Image:
    """The QR code of ``url`` in black and white, a quiet zone of two modules around it."""
    code = qrcode.QRCode(border=2)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    # One pixel per module, then enlarged: much quicker than the library's square-by-square drawing.
    image = Image.new("L", (len(matrix), len(matrix)))
    image.putdata([0 if dark else 255 for row in matrix for dark in row])
    return image.resize((image.width * QR_BOX_PIXELS,) * 2, Image.Resampling.NEAREST)


def _qr_data_uri(url: str) -> str:
    buffer = io.BytesIO()
    qr_code_image(url).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _photo_data_uri(application: Application) -> str | None:
    """The application's photo, scaled down, as a JPEG data: URI; None without a readable photo."""
    if not application.photo:
        return None
    try:
        with application.photo.open("rb") as handle:
            image = Image.open(handle)
            # A JPEG is decoded straight at a fraction of its size, the bulk of the time for a phone photo.
            image.draft("RGB", (PHOTO_PIXELS[0] * 2, PHOTO_PIXELS[1] * 2))
            image.load()
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
    # Cut to the printed box's 3:4 shape around the centre, as a photo studio would.
    image = ImageOps.fit(ImageOps.exif_transpose(image).convert("RGB"), PHOTO_PIXELS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=88)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


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
            # Its worker was lost: a new job completes what it left.
            job_fail(IssueJob, running.pk, message=_("Stopped: no worker finished it."))
        job = IssueJob.objects.create(session=session, created_by=user, total=passed_applications(session).count())
        job_announce(job)
    return job


def _applications_to_do(session: AssessmentSession):
    """Passed applications without a certificate, or with one whose PDF is missing."""
    finished = Certificate.objects.filter(application=OuterRef("pk")).exclude(Q(pdf="") | Q(pdf_sha256=""))
    return passed_applications(session).filter(~Exists(finished))


def issue_job_plan(*, job_id) -> list[list[int]]:
    """Start (or restart) a job: count what is done already and return the applications still to do, in
    chunks. An empty list means the job is finished."""
    job = IssueJob.objects.select_related("session").get(pk=job_id)
    if job.status == IssueJob.Status.DONE:
        return []  # a message delivered twice
    if not job.session.is_signed_off:
        raise IssueRefused(_("The session's results are not signed off yet."))
    # A restarted job tries its failed candidates again.
    job.failures.all().delete()
    to_do = list(_applications_to_do(job.session).order_by("pk").values_list("pk", flat=True))
    total = passed_applications(job.session).count()
    job_start(
        IssueJob, job.pk, from_statuses=[IssueJob.Status.PENDING, IssueJob.Status.RUNNING, IssueJob.Status.FAILED],
        total=total, done=total - len(to_do), failure_message="",
    )
    if not to_do:
        _finish_if_complete(job)
    return [to_do[start:start + ISSUE_CHUNK_SIZE] for start in range(0, len(to_do), ISSUE_CHUNK_SIZE)]


def issue_job_run_chunk(*, job_id, application_ids: list[int]) -> None:
    """Issue one chunk's certificates. A candidate whose certificate cannot be made (a photo that cannot be
    printed, a PDF that fails to draw) is recorded on the job with the reason, and the others are issued
    regardless. Whichever chunk ends last marks the job done. A lost database connection is raised, for the
    task to retry the chunk; the caller marks the job failed if anything else escapes."""
    job = IssueJob.objects.select_related("session", "created_by").get(pk=job_id)
    applications = Application.objects.filter(pk__in=application_ids, session=job.session).select_related("person")
    for application in applications.order_by("pk"):
        try:
            issued = _issue_one(application, issued_by=job.created_by)
        except (OperationalError, InterfaceError):
            raise
        except Exception as error:
            _record_failure(job, application, error)
            continue
        if issued:
            # One short UPDATE: the page polls this count.
            job_progress(IssueJob, job_id, done=F("done") + 1)
    _finish_if_complete(job)


def _record_failure(job: IssueJob, application: Application, error: Exception) -> None:
    reason = error.message if isinstance(error, IssueRefused) else f"{type(error).__name__}: {error}"
    logger.exception("Certificate issuing job %s: application %s not issued", job.pk, application.pk)
    IssueFailure.objects.update_or_create(job=job, application=application, defaults={"reason": reason[:2000]})


def _issue_one(application: Application, *, issued_by) -> bool:
    """Issue or complete one application's certificate. True if this call did the work, so that it is counted
    once however many times a chunk is delivered; False if it was done meanwhile (another worker, a message
    delivered twice) or the result was amended to a fail since the job was planned."""
    if Certificate.objects.filter(application=application).exclude(Q(pdf="") | Q(pdf_sha256="")).exists():
        return False
    if application.outcome != Outcome.PASSED:
        return False
    certificate_issue(application=application, issued_by=issued_by)
    return True


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


def name_mask(name: str) -> str:
    """The holder's name as the public page shows it: 张*明, 张* for two characters, 欧**锋 for four."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


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
