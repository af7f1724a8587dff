"""Saving an assessment session: the rules a session's own fields follow."""
from django.utils.translation import gettext as _

from .applications import theory_code_new
from .models import AssessmentSession, RuleSet


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
    session.save()
    return session
