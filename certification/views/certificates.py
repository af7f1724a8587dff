"""Certificates for the people who manage a session: issuing a signed-off session's certificates in the
background (with a page that follows the job), downloading a PDF, revoking. Holders download their own
certificate. Sessions outside an administrator's area are not found."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from academy.audit.models import AuditAction
from academy.audit.services import audit_record
from academy.jobs import job_status_response
from academy.organisation.permissions import administrator_required
from academy.storage import private_file_response

from .. import certificates
from ..models import Certificate, IssueJob
from ..permissions import can_download_certificate, sessions_managed_by

CERTIFICATES_PER_PAGE = 50


@require_POST
@administrator_required
def issue_start(request, public_id):
    session = get_object_or_404(sessions_managed_by(request.user), public_id=public_id)
    try:
        job = certificates.session_issue_start(session=session, user=request.user)
    except certificates.IssueRefused as refusal:
        messages.error(request, refusal.message)
        return redirect(session)
    return redirect("certification:issue_job", pk=job.pk)


def _managed_job(request, pk) -> IssueJob:
    return get_object_or_404(
        IssueJob.objects.select_related("session__centre").filter(session__in=sessions_managed_by(request.user)), pk=pk
    )


@never_cache
@administrator_required
def issue_job(request, pk):
    """The job's page; asked for JSON (by job_progress.js), its progress."""
    job = _managed_job(request, pk)
    if "application/json" in request.headers.get("Accept", ""):
        return job_status_response(job, failed=job.failures.count())
    issued = (
        Certificate.objects.filter(application__session=job.session).select_related("person").order_by("number")
    )
    page = Paginator(issued, CERTIFICATES_PER_PAGE).get_page(request.GET.get("page"))
    # Candidates the job could not issue, with the reason: the others are issued regardless.
    failures = list(job.failures.select_related("application__person").order_by("application__person__name"))
    return render(request, "certification/issue_job.html", {
        "job": job,
        "session": job.session,
        "page_obj": page,
        "issued_count": page.paginator.count,
        "failures": failures,
        "badge": "badge-bad" if failures else {
            IssueJob.Status.DONE: "badge-ok", IssueJob.Status.FAILED: "badge-bad",
        }.get(job.status, ""),
    })


@require_POST
@administrator_required
def issue_job_retry(request, pk):
    """Issue the rest of a failed job, on the same page."""
    job = _managed_job(request, pk)
    if not certificates.issue_job_retry(job=job):
        messages.info(request, _("Only a failed job can be retried, and only while no other issuing of the session is under way."))
    return redirect("certification:issue_job", pk=job.pk)


def _downloadable_certificate(request, public_id) -> Certificate:
    """The certificate, if the user may download it (permissions.can_download_certificate)."""
    certificate = get_object_or_404(
        Certificate.objects.select_related("application__session__centre"), public_id=public_id
    )
    if not can_download_certificate(request.user, certificate):
        raise PermissionDenied
    return certificate


def _download_record(request, certificate: Certificate, detail: dict | None = None) -> None:
    audit_record(
        action=AuditAction.CERTIFICATE_DOWNLOADED, request=request, target=certificate,
        region_code=certificate.application.session.centre.region_id, detail=detail,
    )


@never_cache
@login_required
def certificate_pdf(request, public_id):
    """The PDF (permissions.can_download_certificate); every download is in the audit trail."""
    certificate = certificates.certificate_pdf_ensure(_downloadable_certificate(request, public_id))
    _download_record(request, certificate)
    return private_file_response(
        request, certificate.pdf, filename=f"{certificate.number}.pdf", content_type="application/pdf",
    )


@never_cache
@login_required
def certificate_image(request, public_id):
    """The certificate as one PNG, for WeChat, which cannot show or save a PDF: shown in the page to long-press
    and save. The same people as the PDF; every download is in the audit trail."""
    certificate = certificates.certificate_image_ensure(_downloadable_certificate(request, public_id))
    _download_record(request, certificate, detail={"format": "png"})
    return private_file_response(
        request, certificate.image, filename=f"{certificate.number}.png", content_type="image/png", as_attachment=False,
    )


@require_POST
@administrator_required
def certificate_revoke(request, public_id):
    certificate = get_object_or_404(
        Certificate.objects.filter(application__session__in=sessions_managed_by(request.user)), public_id=public_id
    )
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, _("Give the reason for revoking the certificate."))
    elif not certificate.is_valid:
        messages.info(request, _("Certificate %(number)s was already revoked.") % {"number": certificate.number})
    else:
        certificates.certificate_revoke(certificate=certificate, user=request.user, reason=reason)
        messages.success(request, _(
            "Certificate %(number)s is revoked. Its public page now says so, and its number will never be used again."
        ) % {"number": certificate.number})
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(next_url)
    return redirect(certificate)
