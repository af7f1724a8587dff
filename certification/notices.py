"""Telling the candidates of a signed-off session their result, and the holder of a certificate that it is issued.

The result: passed or not, the level, the session and its centre, and for a pass that the certificate will
follow (``result_passed`` / ``result_failed``). The certificate: once its PDF is kept (certificates.py), with its
number and a link to the holder's certification page, where it is downloaded (``certificate_issued``). Each goes
on every channel of academy.accounts.notifications: the site, email, SMS and the 公众号's template message.

The notices owed are recorded as a NoticeJob in the transaction that makes them owed (the sign-off, an
amendment that changes an outcome, the PDFs kept) and sent by a worker once it commits (receivers.py, tasks.py).
With the broker down at that moment the job waits, and the sweep sends it once the broker is back (academy.jobs):
nothing is lost.

notify_once() logs each notice (kind ``session_result``, subject the application, or the amendment for an
amended result; kind ``certificate_issued``, subject the certificate), so a job run twice, or again after a
crash, tells nobody twice. Absent candidates have no result to tell. Users have no language of their own: notices
are written in the site's default language.
"""
import logging
from collections import defaultdict

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from academy.accounts import messages
from academy.accounts.notifications import notify_once
from academy.jobs import job_announce, job_start

from .models import (
    Application, AssessmentSession, AuditEntry, Certificate, CertificateStatus, NoticeJob, Outcome,
)

logger = logging.getLogger(__name__)

RESULT_NOTICE = "session_result"
CERTIFICATE_NOTICE = "certificate_issued"


def session_results_owe(session: AssessmentSession) -> None:
    """Inside the sign-off's transaction: the candidates are to be told their results once it commits."""
    job_announce(NoticeJob.objects.create(kind=NoticeJob.Kind.RESULTS, session=session))


def amended_result_owe(amendment: AuditEntry) -> None:
    """Inside the transaction of an amendment that changed a candidate's outcome (applied, or approved): they
    are to be told their new result once it commits."""
    job_announce(NoticeJob.objects.create(
        kind=NoticeJob.Kind.AMENDED_RESULT, session_id=amendment.session_id, amendment=amendment,
    ))


def certificates_issued_owe(certificates: list[Certificate]) -> None:
    """Inside the transaction that keeps their PDFs: the holders are to be told once it commits."""
    by_session = defaultdict(list)
    for certificate in sorted(certificates, key=lambda certificate: certificate.pk):
        by_session[certificate.application.session_id].append(certificate.pk)
    for session_id, certificate_ids in by_session.items():
        job_announce(NoticeJob.objects.create(
            kind=NoticeJob.Kind.CERTIFICATES, session_id=session_id, certificate_ids=certificate_ids,
        ))


def notice_job_run(*, job_id) -> int:
    """Send the notices a job owes, unless another worker took the job (a message delivered twice). Returns
    the number sent."""
    if not job_start(NoticeJob, job_id, from_statuses=list(NoticeJob.WAITING)):
        return 0
    job = NoticeJob.objects.get(pk=job_id)
    if job.kind == NoticeJob.Kind.RESULTS:
        sent = session_results_notify(session_id=job.session_id)
    elif job.kind == NoticeJob.Kind.AMENDED_RESULT:
        sent = amended_result_notify(amendment_id=job.amendment_id)
    else:
        sent = certificates_issued_notify(certificate_ids=job.certificate_ids)
    NoticeJob.objects.filter(pk=job_id).update(
        status=NoticeJob.Status.DONE, total=sent, done=sent, finished_at=timezone.now(),
    )
    return sent


def session_results_notify(*, session_id: int) -> int:
    """Tell each candidate of a signed-off session who passed or failed, and has not yet been told, their result.
    Returns the number of notices sent."""
    session = AssessmentSession.objects.select_related("centre").get(pk=session_id)
    if not session.is_signed_off:
        return 0
    sent = sum(
        _result_tell(session, application, subject=f"application:{application.pk}")
        for application in _results_to_tell(Application.objects.filter(session=session))
    )
    logger.info("Sent %d result notices of session %s", sent, session.pk)
    return sent


def amended_result_notify(*, amendment_id: int) -> int:
    """Tell the candidate whose outcome an amendment changed their new result, unless they were told already.
    Returns the number of notices sent (0 or 1)."""
    amendment = AuditEntry.objects.select_related("session__centre").get(pk=amendment_id)
    return sum(
        _result_tell(amendment.session, application, subject=f"amendment:{amendment.pk}", amended=True)
        for application in _results_to_tell(Application.objects.filter(pk=amendment.application_id))
    )


def _results_to_tell(applications):
    """Those of ``applications`` with a result to tell (absent candidates have none) and an account to tell it to."""
    return (
        applications.filter(outcome__in=(Outcome.PASSED, Outcome.FAILED), person__user__is_active=True)
        .select_related("person__user")
        .order_by("pk")
    )


def _result_tell(
    session: AssessmentSession, application: Application, *, subject: str, amended: bool = False,
) -> bool:
    """One candidate's result, once per ``subject``, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        title, body, sms = _result_message(session, application, amended=amended)
        return notify_once(
            user=application.person.user, kind=RESULT_NOTICE, subject=subject, title=title, body=body,
            url=application.get_absolute_url(), sms=sms,
        )


def _result_message(session: AssessmentSession, application: Application, *, amended: bool = False):
    """The notice of a candidate's result: its title, its text and its text message. An amended result says so
    in its title; the text message is the same (the gateway sends only the templates it has approved)."""
    parameters = {"session": session.title, "level": session.get_level_display(), "centre": session.centre.name}
    if application.outcome == Outcome.PASSED:
        if amended:
            title = gettext("Your amended result in %(session)s: passed") % parameters
        else:
            title = gettext("Your result in %(session)s: passed") % parameters
        body = gettext(
            "You passed %(level)s in %(session)s (%(centre)s). Your certificate will follow."
        ) % parameters
        sms = messages.RESULT_PASSED.bind(**parameters)
    else:
        if amended:
            title = gettext("Your amended result in %(session)s: not passed") % parameters
        else:
            title = gettext("Your result in %(session)s: not passed") % parameters
        body = gettext(
            "You did not pass %(level)s in %(session)s (%(centre)s). Your application shows the result of each part."
        ) % parameters
        sms = messages.RESULT_FAILED.bind(**parameters)
    return title, body, sms


def certificates_issued_notify(*, certificate_ids: list[int]) -> int:
    """Tell the holder of each of these certificates, valid and with its PDF, that it is issued, unless they were
    told already. Returns the number of notices sent."""
    certificates = (
        Certificate.objects.filter(pk__in=certificate_ids, status=CertificateStatus.VALID, person__user__is_active=True)
        .exclude(pdf="")
        .select_related("person__user")
        .order_by("pk")
    )
    url = reverse("certification:home")
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for certificate in certificates:
            parameters = {"level": certificate.get_level_display(), "number": certificate.number}
            sent += notify_once(
                user=certificate.person.user, kind=CERTIFICATE_NOTICE, subject=f"certificate:{certificate.pk}",
                title=gettext("Your certificate %(number)s is issued") % parameters,
                body=gettext(
                    "Your certificate of %(level)s, number %(number)s, is issued. Download it on your certification page."
                ) % parameters,
                url=url, sms=messages.CERTIFICATE_ISSUED.bind(**parameters),
            )
    logger.info("Sent %d certificate notices", sent)
    return sent
