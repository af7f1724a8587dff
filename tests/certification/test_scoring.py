import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from academy.audit.models import AuditAction
from academy.audit.models import AuditEntry as TrailEntry
from academy.organisation.models import PostKind
from certification import applications, scoring
from certification.certificates import IssueRefused, certificate_issue
from certification.models import (
    AmendmentStatus, Application, ApplicationStatus, AssessmentSession, AuditEntry, Certificate, Outcome, Part, PartResult,
    Score, SessionStatus, StaffRole,
)
from certification.scoring import ScoringRefused
from certification.staffing import staff_assign
from courses.exams import attempt_submit
from courses.models import QuestionOption
from tests.courses.conftest import catalogue, course, home_page, mixed_exam, question_bank  # noqa: F401
from tests.factories import PersonFactory, PostFactory, user_with_role

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
        scoring.result_amend(application=setup.candidate_a, part=Part.THEORY, score=62, user=setup.staff.skill[0], reason="x")
    with pytest.raises(ScoringRefused):
        scoring.result_amend(application=setup.candidate_a, part=Part.THEORY, score=62, user=setup.chief, reason=" ")
    entry = scoring.result_amend(
        application=setup.candidate_a, part=Part.THEORY, score=62, user=setup.chief, reason="复核试卷发现多计一题",
    )
    # Neither a fail turned into a pass: it takes effect at once.
    assert entry.status == AmendmentStatus.APPLIED
    assert entry.before == {"part": "theory", "score": "80.0", "passed": True, "outcome": "passed"}
    assert entry.after == {"part": "theory", "score": "62.0", "passed": True, "outcome": "passed"}
    assert entry.actor == setup.chief and AuditEntry.objects.count() == 1
    assert PartResult.objects.get(application=setup.candidate_a, part=Part.THEORY).score == 62
    trail = TrailEntry.objects.get(action=AuditAction.RESULT_AMENDED)
    assert trail.actor == setup.chief and trail.object_id == str(setup.candidate_a.pk)
    assert trail.detail["before"]["score"] == "80.0" and trail.detail["after"]["score"] == "62.0"
    assert trail.detail["reason"] == "复核试卷发现多计一题" and trail.detail["status"] == "applied"


def test_an_amendment_that_turns_a_fail_into_a_pass_waits_for_the_organiser(scoring_session, province_admin):
    setup = scoring_session
    score_all(setup, setup.candidate_a, 80, [80, 80, 80])
    score_all(setup, setup.candidate_b, 40, [30, 30, 30])
    scoring.session_sign_off(session=setup.session, user=setup.chief)

    # The theory part alone still leaves a fail: applied at once. The skill part then turns it into a pass.
    scoring.result_amend(application=setup.candidate_b, part=Part.THEORY, score=100, user=setup.chief, reason="漏计")
    entry = scoring.result_amend(application=setup.candidate_b, part=Part.SKILL, score=100, user=setup.chief, reason="复核")
    assert entry.status == AmendmentStatus.PENDING and entry.after["outcome"] == Outcome.PASSED
    setup.candidate_b.refresh_from_db()
    assert setup.candidate_b.outcome == Outcome.FAILED
    assert PartResult.objects.get(application=setup.candidate_b, part=Part.SKILL).score == 30
    with pytest.raises(IssueRefused):
        certificate_issue(application=setup.candidate_b)
    # One pending change at a time, and only a second person, the organiser, decides it.
    with pytest.raises(ScoringRefused, match="waits"):
        scoring.result_amend(application=setup.candidate_b, part=Part.THEORY, score=90, user=setup.chief, reason="再改")
    with pytest.raises(ScoringRefused):
        scoring.amendment_decide(entry=entry, user=setup.chief, approve=True)
    with pytest.raises(ScoringRefused):
        scoring.amendment_decide(entry=entry, user=user_with_role("city_admin", admin_region_code="3302"), approve=True)

    scoring.amendment_decide(entry=entry, user=province_admin, approve=True)
    entry.refresh_from_db()
    assert entry.status == AmendmentStatus.APPROVED and entry.decided_by == province_admin
    setup.candidate_b.refresh_from_db()
    assert setup.candidate_b.outcome == Outcome.PASSED
    assert PartResult.objects.get(application=setup.candidate_b, part=Part.SKILL).score == 100
    approved = TrailEntry.objects.get(action=AuditAction.AMENDMENT_APPROVED)
    assert approved.actor == province_admin
    assert approved.detail["amended_by"] == str(setup.chief) and approved.detail["approved_by"] == str(province_admin)
    assert certificate_issue(application=setup.candidate_b).holder_name == setup.carer_b.name
    with pytest.raises(ScoringRefused):
        scoring.amendment_decide(entry=entry, user=province_admin, approve=False, reason="x")


def test_a_rejected_amendment_changes_nothing(scoring_session, province_admin):
    setup = scoring_session
    score_all(setup, setup.candidate_b, 55, [80, 80, 80])
    scoring.session_sign_off(session=setup.session, user=setup.chief)
    entry = scoring.result_amend(application=setup.candidate_b, part=Part.THEORY, score=100, user=setup.chief, reason="复核")
    with pytest.raises(ScoringRefused, match="reason"):
        scoring.amendment_decide(entry=entry, user=province_admin, approve=False, reason=" ")
    scoring.amendment_decide(entry=entry, user=province_admin, approve=False, reason="试卷原件为55分")
    entry.refresh_from_db()
    assert entry.status == AmendmentStatus.REJECTED and entry.decision_reason == "试卷原件为55分"
    setup.candidate_b.refresh_from_db()
    assert setup.candidate_b.outcome == Outcome.FAILED
    assert PartResult.objects.get(application=setup.candidate_b, part=Part.THEORY).score == 55
    rejected = TrailEntry.objects.get(action=AuditAction.AMENDMENT_REJECTED)
    assert rejected.detail["amended_by"] == str(setup.chief) and rejected.detail["rejected_by"] == str(province_admin)
    # Rejected, the candidate's results may be amended again.
    assert scoring.result_amend(
        application=setup.candidate_b, part=Part.THEORY, score=58, user=setup.chief, reason="复核"
    ).status == AmendmentStatus.APPLIED


# --- Conflicts of interest --------------------------------------------------------------------------------


def _works_at(user, institution):
    PostFactory(person=user.person, kind=PostKind.INSTITUTION_STAFF, institution=institution, start_date=datetime.date(2015, 1, 1))


def test_the_chief_never_signs_off_a_session_with_a_candidate_of_their_own_institution(scoring_session, institution_a):
    setup = scoring_session
    score_all(setup, setup.candidate_a, 80, [80, 80, 80])
    score_all(setup, setup.candidate_b, 80, [80, 80, 80])
    _works_at(setup.chief, institution_a)
    with pytest.raises(ScoringRefused, match="own institution"):
        scoring.session_sign_off(session=setup.session, user=setup.chief)
    setup.session.refresh_from_db()
    assert not setup.session.is_signed_off


def test_the_chief_never_amends_a_candidate_of_their_own_institution(scoring_session, institution_a):
    """The demo's hole: a chief from the candidate's home amended a failed candidate's parts to 100."""
    setup = scoring_session
    score_all(setup, setup.candidate_a, 40, [30, 30, 30])
    scoring.session_sign_off(session=setup.session, user=setup.chief)
    _works_at(setup.chief, institution_a)
    for part in (Part.THEORY, Part.SKILL):
        with pytest.raises(ScoringRefused, match="own institution"):
            scoring.result_amend(application=setup.candidate_a, part=part, score=100, user=setup.chief, reason="复核")
    assert not AuditEntry.objects.exists()
    assert list(PartResult.objects.filter(application=setup.candidate_a).values_list("score", flat=True)) == [30, 40]


def test_an_organiser_of_the_candidates_institution_does_not_approve_their_amendment(scoring_session, institution_b):
    setup = scoring_session
    score_all(setup, setup.candidate_b, 55, [80, 80, 80])
    scoring.session_sign_off(session=setup.session, user=setup.chief)
    entry = scoring.result_amend(application=setup.candidate_b, part=Part.THEORY, score=100, user=setup.chief, reason="复核")
    organiser = user_with_role("province_admin")
    organiser.person = PersonFactory()
    organiser.save(update_fields=["person"])
    _works_at(organiser, institution_b)
    with pytest.raises(ScoringRefused, match="own institution"):
        scoring.amendment_decide(entry=entry, user=organiser, approve=True)


def test_an_invigilator_never_enters_the_paper_score_of_their_own_institutions_candidate(
    scoring_session, assessor_factory, institution_a
):
    setup = scoring_session
    colleague = assessor_factory(institution=institution_a)
    staff_assign(session=setup.session, user=colleague, role=StaffRole.INVIGILATOR, room=setup.staff.room)
    with pytest.raises(ScoringRefused, match="own institution"):
        scoring.theory_score_record(application=setup.candidate_a, user=colleague, value=100)
    assert scoring.theory_score_record(application=setup.candidate_b, user=colleague, value=70).value == 70


def test_a_review_panel_member_never_scores_a_candidate_of_their_own_institution(
    session_factory, carer_factory, make_candidate, staff_factory, assessor_factory, institution_a
):
    session = session_factory(level=2)
    carer = carer_factory(institution=institution_a, years=10)
    application = Application.objects.create(
        session=session, person=carer, institution=institution_a, applied_by=carer.user, status=ApplicationStatus.APPROVED,
        is_eligible=True, parts=[Part.THEORY, Part.SKILL, Part.REVIEW],
    )
    staff_factory(session, review=3)
    colleague = assessor_factory(institution=institution_a)
    staff_assign(session=session, user=colleague, role=StaffRole.REVIEW_PANEL)
    AssessmentSession.objects.filter(pk=session.pk).update(status=SessionStatus.SCORING)
    with pytest.raises(ScoringRefused, match="own institution"):
        scoring.score_record(application=application, part=Part.REVIEW, user=colleague, value=100)
    assert not Score.objects.filter(assessor=colleague).exists()


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
