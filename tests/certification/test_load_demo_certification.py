"""manage.py load_demo_certification, run by load_demo on one small city (丽水市)."""
import io

import pytest
from django.core.management import call_command

from academy.accounts.models import User
from certification.models import Certificate, Outcome, SessionStatus, StaffRole
from certification.scoring import session_results
from certification.staffing import is_conflicted, staffing_problems

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_session_at_every_stage_made_through_the_services():
    call_command("load_demo", "--cities", "3311", "--small", stdout=io.StringIO())
    from certification.models import AssessmentSession

    sessions = {session.status: session for session in AssessmentSession.objects.all()}
    assert set(sessions) == {SessionStatus.OPEN, SessionStatus.SCORING, SessionStatus.SIGNED_OFF}

    signed_off = sessions[SessionStatus.SIGNED_OFF]
    passed = signed_off.applications.filter(outcome=Outcome.PASSED)
    assert passed.exists()
    assert Certificate.objects.filter(application__session=signed_off).count() == passed.count()
    assert all(certificate.pdf for certificate in Certificate.objects.all())
    # The chief who signed it off works at none of its candidates' institutions.
    assert signed_off.staff.get(role=StaffRole.CHIEF).user == signed_off.signed_off_by
    assert not any(
        is_conflicted(user=signed_off.signed_off_by, application=candidate) for candidate in signed_off.applications.all()
    )

    scoring = sessions[SessionStatus.SCORING]
    assessor = User.objects.get(phone="13800000005")
    assert scoring.staff.filter(user=assessor, role=StaffRole.SKILL_ASSESSOR).exists()
    chief = scoring.staff.get(role=StaffRole.CHIEF).user
    assert chief.phone == "13800000011"
    assert staffing_problems(scoring) == []
    assert not any(is_conflicted(user=chief, application=candidate) for candidate in scoring.applications.all())
    # The demo assessor still has every candidate to score, and may score each of them.
    candidates = [result.application for result in session_results(scoring)]
    assert candidates and not any(is_conflicted(user=assessor, application=candidate) for candidate in candidates)
    assert not scoring.applications.filter(scores__assessor=assessor).exists()

    # Running it again adds nothing.
    call_command("load_demo_certification", stdout=io.StringIO())
    assert AssessmentSession.objects.count() == 3 and Certificate.objects.count() == passed.count()
