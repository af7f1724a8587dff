import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from certification import applications, scoring
from certification.models import AuditEntry, Certificate, Outcome, Part, PartResult, SessionStatus
from certification.scoring import ScoringRefused
from courses.exams import attempt_submit
from courses.models import QuestionOption
from tests.courses.conftest import catalogue, course, home_page, mixed_exam, question_bank  # noqa: F401

pytestmark = pytest.mark.django_db


def rubric(session):
    return list(session.rule_set.rubric_items.filter(level=session.level).order_by("sort_order"))


def items_totalling(session, total, *, fail_critical=False):
    """Item scores adding up to ``total``, taking points off the non-critical items first."""
    items = {str(item.pk): Decimal(item.points) for item in rubric(session)}
    to_remove = Decimal(100) - Decimal(total)
    for item in rubric(session):
        if fail_critical and item.is_critical:
            items[str(item.pk)] = Decimal(0)
            to_remove -= item.points
    for item in rubric(session):
        if item.is_critical or to_remove <= 0:
            continue
        taken = min(Decimal(item.points), to_remove)
        items[str(item.pk)] -= taken
        to_remove -= taken
    assert to_remove == 0
    return items


def score_all(setup, application, theory, skills, *, critical=()):
    scoring.theory_score_record(application=application, user=setup.staff.invigilators[0], value=theory)
    for index, (assessor, value) in enumerate(zip(setup.staff.skill, skills)):
        scoring.score_record(
            application=application, part=Part.SKILL, user=assessor,
            items=items_totalling(setup.session, value, fail_critical=index in critical),
        )


def result_of(session, application):
    return next(result for result in scoring.session_results(session) if result.application.pk == application.pk)


def test_the_skill_score_is_the_rubric_total_and_the_part_the_mean(scoring_session):
    setup = scoring_session
    score_all(setup, setup.candidate_a, 75, [70, 80, 84])
    result = result_of(setup.session, setup.candidate_a)
    skill = next(part for part in result.parts if part.part == Part.SKILL)
    assert [score.value for score in skill.scores] == [70, 80, 84]
    assert skill.mean == Decimal("78.0")
    assert result.flags == [] and result.outcome == Outcome.PASSED


def test_a_spread_over_fifteen_points_is_flagged(scoring_session):
    setup = scoring_session
    score_all(setup, setup.candidate_a, 75, [60, 70, 76])  # 16 points apart
    assert "16" in result_of(setup.session, setup.candidate_a).flags[0]
    score_all(setup, setup.candidate_b, 75, [60, 70, 75])  # exactly 15: not flagged
    assert result_of(setup.session, setup.candidate_b).flags == []


def test_a_candidate_passes_only_when_every_part_reaches_its_mark(scoring_session):
    setup = scoring_session
    score_all(setup, setup.candidate_a, 59, [90, 90, 90])
    score_all(setup, setup.candidate_b, 60, [60, 60, 60])
    assert result_of(setup.session, setup.candidate_a).outcome == Outcome.FAILED
    assert result_of(setup.session, setup.candidate_b).outcome == Outcome.PASSED


def test_a_critical_item_failed_by_most_assessors_fails_the_skill_part(scoring_session):
    setup = scoring_session
    score_all(setup, setup.candidate_a, 80, [80, 80, 80], critical=(0, 1))
    failed = result_of(setup.session, setup.candidate_a)
    assert failed.outcome == Outcome.FAILED
    score_all(setup, setup.candidate_b, 80, [80, 80, 80], critical=(0,))
    disputed = result_of(setup.session, setup.candidate_b)
    assert disputed.outcome == Outcome.PASSED
    assert "critical" in disputed.flags[0]


def test_an_item_above_its_points_is_refused(scoring_session):
    setup = scoring_session
    items = items_totalling(setup.session, 100)
    first = rubric(setup.session)[0]
    items[str(first.pk)] = first.points + 1
    with pytest.raises(ScoringRefused):
        scoring.score_record(application=setup.candidate_a, part=Part.SKILL, user=setup.staff.skill[0], items=items)


def test_only_the_chief_signs_off_and_only_when_every_score_is_in(scoring_session):
    setup = scoring_session
    score_all(setup, setup.candidate_a, 80, [80, 80, 80])
    scoring.theory_score_record(application=setup.candidate_b, user=setup.staff.invigilators[0], value=70)
    with pytest.raises(ScoringRefused, match="chief"):
        scoring.session_sign_off(session=setup.session, user=setup.staff.skill[0])
    with pytest.raises(ScoringRefused, match=setup.carer_b.name):
        scoring.session_sign_off(session=setup.session, user=setup.chief)
    score_all(setup, setup.candidate_b, 50, [70, 70, 70])
    scoring.session_sign_off(session=setup.session, user=setup.chief)

    setup.session.refresh_from_db()
    assert setup.session.status == SessionStatus.SIGNED_OFF and setup.session.signed_off_by == setup.chief
    setup.candidate_a.refresh_from_db()
    setup.candidate_b.refresh_from_db()
    assert setup.candidate_a.outcome == Outcome.PASSED and setup.candidate_b.outcome == Outcome.FAILED
    assert PartResult.objects.get(application=setup.candidate_b, part=Part.THEORY).passed is False


def test_signed_off_results_are_locked(scoring_session):
    setup = scoring_session
    for candidate in (setup.candidate_a, setup.candidate_b):
        score_all(setup, candidate, 80, [80, 80, 80])
    scoring.session_sign_off(session=setup.session, user=setup.chief)
    with pytest.raises(ScoringRefused, match="locked"):
        scoring.score_record(
            application=setup.candidate_a, part=Part.SKILL, user=setup.staff.skill[0],
            items=items_totalling(setup.session, 40),
        )
    with pytest.raises(ScoringRefused, match="locked"):
        scoring.theory_score_record(application=setup.candidate_a, user=setup.staff.invigilators[0], value=10)


def test_a_candidate_without_any_score_is_absent(scoring_session):
    setup = scoring_session
    score_all(setup, setup.candidate_a, 80, [80, 80, 80])
    scoring.session_sign_off(session=setup.session, user=setup.chief)
    setup.candidate_b.refresh_from_db()
    assert setup.candidate_b.outcome == Outcome.ABSENT


def test_an_amendment_is_audited_with_before_after_and_reason(scoring_session):
    setup = scoring_session
    score_all(setup, setup.candidate_a, 80, [80, 80, 80])
    score_all(setup, setup.candidate_b, 55, [80, 80, 80])
    scoring.session_sign_off(session=setup.session, user=setup.chief)

    with pytest.raises(ScoringRefused):
        scoring.result_amend(application=setup.candidate_b, part=Part.THEORY, score=62, user=setup.staff.skill[0], reason="x")
    with pytest.raises(ScoringRefused):
        scoring.result_amend(application=setup.candidate_b, part=Part.THEORY, score=62, user=setup.chief, reason=" ")
    entry = scoring.result_amend(
        application=setup.candidate_b, part=Part.THEORY, score=62, user=setup.chief, reason="复核试卷发现漏计一题",
    )
    assert entry.before == {"part": "theory", "score": "55.0", "passed": False, "outcome": "failed"}
    assert entry.after == {"part": "theory", "score": "62.0", "passed": True, "outcome": "passed"}
    assert entry.actor == setup.chief and AuditEntry.objects.count() == 1
    setup.candidate_b.refresh_from_db()
    assert setup.candidate_b.outcome == Outcome.PASSED


def test_an_amendment_to_a_fail_needs_the_certificate_revoked_first(scoring_session):
    setup = scoring_session
    score_all(setup, setup.candidate_a, 80, [80, 80, 80])
    scoring.session_sign_off(session=setup.session, user=setup.chief)
    Certificate.objects.create(
        number="S000133330001265000001", application=setup.candidate_a, person=setup.carer_a, level=5,
        holder_name=setup.carer_a.name, issuer="中心", issued_on=timezone.localdate(),
    )
    with pytest.raises(ScoringRefused, match="revoke"):
        scoring.result_amend(application=setup.candidate_a, part=Part.THEORY, score=20, user=setup.chief, reason="错录")
    assert PartResult.objects.get(application=setup.candidate_a, part=Part.THEORY).score == 80


def _later_session(session_factory, first_session, months_later):
    start = first_session.theory_starts_at + datetime.timedelta(days=30 * months_later)
    return session_factory(level=first_session.level, theory_starts_at=start, theory_ends_at=start + datetime.timedelta(hours=2))


def test_a_failed_part_is_retaken_alone_within_the_period(scoring_session, session_factory, make_candidate, staff_factory):
    setup = scoring_session
    score_all(setup, setup.candidate_a, 85, [50, 50, 50])  # theory passed, skill failed
    scoring.session_sign_off(session=setup.session, user=setup.chief)

    later = _later_session(session_factory, setup.session, 6)
    retake = make_candidate(later, setup.carer_a)
    assert retake.parts == [Part.SKILL]
    carried = PartResult.objects.get(application=retake, part=Part.THEORY)
    assert carried.carried_from.application == setup.candidate_a and carried.score == 85

    staff = staff_factory(later, invigilators=0, room=False)
    scoring.session_open_scoring(session=later)
    for assessor in staff.skill:
        scoring.score_record(application=retake, part=Part.SKILL, user=assessor, items=items_totalling(later, 70))
    with pytest.raises(ScoringRefused):
        scoring.theory_score_record(application=retake, user=staff.chief, value=90)
    scoring.session_sign_off(session=later, user=staff.chief)
    retake.refresh_from_db()
    assert retake.outcome == Outcome.PASSED


def test_after_the_retake_period_every_part_is_taken_again(scoring_session, session_factory, make_candidate):
    setup = scoring_session
    score_all(setup, setup.candidate_a, 85, [50, 50, 50])
    scoring.session_sign_off(session=setup.session, user=setup.chief)
    much_later = _later_session(session_factory, setup.session, 14)  # the default period is 12 months
    assert make_candidate(much_later, setup.carer_a).parts == [Part.THEORY, Part.SKILL]


def test_the_online_theory_exam_opens_with_the_code_during_the_slot(scoring_session, theory_exam):
    setup = scoring_session
    session = setup.session
    session.theory_exam = theory_exam
    session.theory_code = applications.theory_code_new()
    session.save()
    before_slot = session.theory_starts_at - datetime.timedelta(minutes=5)
    with pytest.raises(applications.ApplicationRefused, match="slot"):
        applications.theory_attempt_open(code=session.theory_code, person=setup.carer_a, now=before_slot)
    with pytest.raises(applications.ApplicationRefused, match="code"):
        applications.theory_attempt_open(code="ZZZZZZ", person=setup.carer_a, now=session.theory_starts_at)

    during = session.theory_starts_at + datetime.timedelta(minutes=100)
    attempt = applications.theory_attempt_open(code=session.theory_code.lower(), person=setup.carer_a, now=during)
    assert attempt.deadline_at == session.theory_ends_at  # the slot ends before the exam's own time limit
    assert applications.theory_attempt_open(code=session.theory_code, person=setup.carer_a, now=during) == attempt

    answers = {
        str(item["question"]): list(
            QuestionOption.objects.filter(question_id=item["question"], is_correct=True).values_list("pk", flat=True)
        )
        for item in attempt.questions
    }
    attempt_submit(attempt=attempt, answers=answers, now=during + datetime.timedelta(minutes=1))
    assert scoring.theory_scores_collect(session=session) == 1
    assert result_of(session, setup.candidate_a).parts[0].mean == 100
    with pytest.raises(ScoringRefused, match="online"):
        scoring.theory_score_record(application=setup.candidate_a, user=setup.staff.invigilators[0], value=10)


@pytest.fixture
def theory_exam(mixed_exam):
    exam, _questions = mixed_exam
    return exam
