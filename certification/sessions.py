"""Saving an assessment session: the rules a session's own fields follow."""
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .applications import theory_code_new
from .models import AssessmentSession, RuleSet


# A fresh theory code is one of 31^6: drawing one already taken even twice in a row is next to impossible.
THEORY_CODE_DRAWS = 5


class SessionRefused(Exception):
    pass


def session_save(*, session: AssessmentSession, created_by=None) -> AssessmentSession:
    """Save a new or edited session. A new one is judged under the current published rules. An online theory
    exam needs a code that opens it; a paper exam has none."""
    if session.pk is None:
        rule_set = RuleSet.objects.current()
        if rule_set is None:
            raise SessionRefused(_("No certification rules are published yet: publish a rule set first."))
        session.rule_set = rule_set
        session.created_by = created_by
    if session.theory_exam_id and not session.theory_code:
        session.theory_code = theory_code_new()
    elif not session.theory_exam_id:
        session.theory_code = ""
    for _draw in range(THEORY_CODE_DRAWS):
        try:
            with transaction.atomic():
                session.save()
            return session
        except IntegrityError:
            # theory_code_unique: another session took this code (it names the session a candidate opens).
            if not session.theory_code or not _theory_code_taken(session):
                raise
            session.theory_code = theory_code_new()
    raise SessionRefused(_("No free theory exam code was found: save the session again."))


def _theory_code_taken(session: AssessmentSession) -> bool:
    return AssessmentSession.objects.filter(theory_code=session.theory_code).exclude(pk=session.pk).exists()
