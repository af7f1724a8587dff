"""sessions.py: a session's own fields. A theory exam code names one session: a candidate types the code alone."""
import pytest
from django.db import IntegrityError, transaction

from certification.models import AssessmentSession
from certification.sessions import session_save
from tests.courses.conftest import catalogue, course, home_page, mixed_exam, question_bank  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def theory_exam(mixed_exam):
    exam, _questions = mixed_exam
    return exam


def test_an_online_theory_exam_gets_a_code_and_a_paper_one_none(session_factory, theory_exam):
    online = session_factory(theory_exam=theory_exam)
    session_save(session=online)
    assert len(online.theory_code) == 6
    on_paper = session_factory()
    session_save(session=on_paper)
    assert on_paper.theory_code == ""


def test_a_code_another_session_has_is_replaced_by_a_fresh_one(session_factory, theory_exam):
    first = session_factory(theory_exam=theory_exam)
    session_save(session=first)
    second = session_factory(theory_exam=theory_exam)
    second.theory_code = first.theory_code  # as if the code drawn for it were the first one's
    session_save(session=second)
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.theory_code not in ("", first.theory_code)
    # The candidates of each session open their own session's exam with its code.
    assert AssessmentSession.objects.get(theory_code=first.theory_code) == first
    assert AssessmentSession.objects.get(theory_code=second.theory_code) == second


def test_the_database_keeps_one_session_per_theory_code(session_factory, theory_exam):
    first = session_factory(theory_exam=theory_exam, theory_code="ABC234")
    session_factory(theory_code="")  # sessions on paper have no code, as many as there are
    session_factory(theory_code="")
    second = session_factory(theory_exam=theory_exam)
    with pytest.raises(IntegrityError), transaction.atomic():
        AssessmentSession.objects.filter(pk=second.pk).update(theory_code=first.theory_code)
