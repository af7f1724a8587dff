"""Telling the candidates of a signed-off session their result: passed or not, the level, the session and its
centre, and for a pass that the certificate will follow. One notice per application, on every channel of
academy.accounts.notifications (the site, email, SMS and the 公众号's template message), with the catalogue's
``result_passed`` / ``result_failed``.

notify_once() logs each notice (kind ``session_result``, subject the application), so a task run twice, or
again after a crash, tells nobody twice. Absent candidates have no result to tell. Users have no language of
their own: notices are written in the site's default language.
"""
import logging

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from academy.accounts import messages
from academy.accounts.notifications import notify_once

from .models import Application, AssessmentSession, Outcome

logger = logging.getLogger(__name__)

RESULT_NOTICE = "session_result"


def session_results_notify(*, session_id: int) -> int:
    """Tell each candidate of a signed-off session who passed or failed, and has not yet been told, their result.
    Returns the number of notices sent."""
    session = AssessmentSession.objects.select_related("centre").get(pk=session_id)
    if not session.is_signed_off:
        return 0
    applications = (
        Application.objects.filter(
            session=session, outcome__in=(Outcome.PASSED, Outcome.FAILED), person__user__is_active=True,
        )
        .select_related("person__user")
        .order_by("pk")
    )
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for application in applications:
            title, body, sms = _result_message(session, application)
            sent += notify_once(
                user=application.person.user, kind=RESULT_NOTICE, subject=f"application:{application.pk}", title=title,
                body=body, url=application.get_absolute_url(), sms=sms,
            )
    logger.info("Sent %d result notices of session %s", sent, session.pk)
    return sent


def _result_message(session: AssessmentSession, application: Application):
    parameters = {"session": session.title, "level": session.get_level_display(), "centre": session.centre.name}
    if application.outcome == Outcome.PASSED:
        title = gettext("Your result in %(session)s: passed") % parameters
        body = gettext(
            "You passed %(level)s in %(session)s (%(centre)s). Your certificate will follow."
        ) % parameters
        sms = messages.RESULT_PASSED.bind(**parameters)
    else:
        title = gettext("Your result in %(session)s: not passed") % parameters
        body = gettext(
            "You did not pass %(level)s in %(session)s (%(centre)s). Your application shows the result of each part."
        ) % parameters
        sms = messages.RESULT_FAILED.bind(**parameters)
    return title, body, sms
