"""Scoring on a phone and what follows: the assessor's sessions and candidates (never their own
institution's), the rubric form, paper theory scores, the results table with its flags, the chief's sign-off,
amendments and the audit log."""
import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from academy.organisation.models import PostKind
from certification import scoring
from certification.models import (
    AmendmentStatus, Application, ApplicationStatus, AuditEntry, Part, Score, SessionStatus, StaffRole,
)
from certification.rules import level_rules
from certification.staffing import staff_assign
from tests.factories import PostFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world(scoring_session):
    return scoring_session


def _score_url(world, application, part=Part.SKILL):
    return reverse("certification:score_candidate", args=[world.session.public_id, application.public_id, part])


def _form_items(items: dict) -> dict:
    return {f"item_{key}": value for key, value in items.items()}


def _score_everyone(world, rubric_items, shares=(1, 1, 1)):
    """Theory on paper by an invigilator, the skill part by the three assessors at these shares of the
    rubric (the same for both candidates)."""
    for application in (world.candidate_a, world.candidate_b):
        scoring.theory_score_record(application=application, user=world.staff.invigilators[0], value=80)
        for assessor, share in zip(world.staff.skill, shares):
            scoring.score_record(
                application=application, part=Part.SKILL, user=assessor, items=rubric_items(world.session, share)
            )


# --- Who may see what -----------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    session = world.session
    for url in (
        reverse("certification:assessor_home"),
        reverse("certification:assessor_session", args=[session.public_id]),
        _score_url(world, world.candidate_a),
        reverse("certification:session_results", args=[session.public_id]),
        reverse("certification:audit_log", args=[session.public_id]),
        reverse("certification:result_amend", args=[world.candidate_a.public_id]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"], url


def test_an_assessor_sees_their_sessions_and_roles(client, world):
    client.force_login(world.staff.skill[0])
    content = client.get(reverse("certification:assessor_home")).content.decode()
    assert world.session.title in content and "Skill assessor" in content
    assert client.get(reverse("certification:assessor_session", args=[world.session.public_id])).status_code == 200


def test_people_off_the_staff_are_refused(client, world, assessor_factory, province_admin):
    session_url = reverse("certification:assessor_session", args=[world.session.public_id])
    client.force_login(user_with_role("trainee"))
    assert client.get(reverse("certification:assessor_home")).status_code == 403
    assert client.get(session_url).status_code == 403
    # An assessor of no session sees an empty list, not this session.
    client.force_login(assessor_factory())
    assert "not on the staff of any assessment session" in client.get(reverse("certification:assessor_home")).content.decode()
    assert client.get(session_url).status_code == 403
    assert client.get(_score_url(world, world.candidate_a)).status_code == 403
    # The organiser manages the session but scores nothing.
    client.force_login(province_admin)
    assert client.get(_score_url(world, world.candidate_a)).status_code == 403


def test_an_invigilator_cannot_open_the_skill_form(client, world):
    client.force_login(world.staff.invigilators[0])
    assert client.get(_score_url(world, world.candidate_a)).status_code == 403


@pytest.mark.parametrize("page", ["certification:session_results", "certification:audit_log"])
def test_results_and_audit_log_are_for_organisers_and_the_chief(client, world, province_admin, page):
    url = reverse(page, args=[world.session.public_id])
    for user, status in (
        (world.chief, 200), (province_admin, 200), (world.staff.skill[0], 403), (world.staff.invigilators[0], 403),
        (world.carer_a.user, 403), (user_with_role("city_admin", admin_region_code="3302"), 403),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status, user


# --- The candidate list ---------------------------------------------------------------------------------


def test_an_assessor_never_sees_a_candidate_of_their_own_institution(client, world, assessor_factory, institution_a, rubric_items):
    colleague = assessor_factory(institution=institution_a, name="同院考评员")
    staff_assign(session=world.session, user=colleague, role=StaffRole.SKILL_ASSESSOR)
    client.force_login(colleague)
    content = client.get(reverse("certification:assessor_session", args=[world.session.public_id])).content.decode()
    assert "陈护理" in content and "王护理" not in content
    assert "1 candidate from your own institution is scored by others." in content

    assert client.get(_score_url(world, world.candidate_a)).status_code == 403
    response = client.post(_score_url(world, world.candidate_a), _form_items(rubric_items(world.session)), follow=True)
    assert "This candidate is from your own institution: another assessor scores them." in response.content.decode()
    assert not Score.objects.filter(assessor=colleague).exists()


def test_the_list_puts_the_next_unscored_candidate_first(client, world, rubric_items):
    assessor = world.staff.skill[0]
    scoring.score_record(application=world.candidate_b, part=Part.SKILL, user=assessor, items=rubric_items(world.session))
    client.force_login(assessor)
    content = client.get(reverse("certification:assessor_session", args=[world.session.public_id])).content.decode()
    assert "Next: score 王护理" in content
    assert content.index("王护理") < content.index("陈护理")
    assert "1 of 2 scored" in content


# --- The scoring form -----------------------------------------------------------------------------------


def test_the_rubric_form_is_made_for_a_phone(client, world):
    client.force_login(world.staff.skill[0])
    content = client.get(_score_url(world, world.candidate_a)).content.decode()
    rubric = level_rules(rule_set=world.session.rule_set, level=5).rubric
    assert content.count('inputmode="decimal"') == len(rubric)
    safety = next(item for item in rubric if item.is_critical)
    field = re.search(r'<input[^>]*name="item_%s"[^>]*>' % safety.pk, content).group(0)
    assert 'max="20"' in field and 'min="0"' in field
    assert "critical" in content and "data-score-total" in content


def test_scoring_through_the_form_stores_the_rubric_total(client, world, rubric_items):
    assessor = world.staff.skill[0]
    items = rubric_items(world.session, Decimal("0.8"))
    client.force_login(assessor)
    response = client.post(_score_url(world, world.candidate_a), _form_items(items))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("certification:assessor_session", args=[world.session.public_id]))
    score = Score.objects.get(application=world.candidate_a, part=Part.SKILL, assessor=assessor)
    assert score.value == sum(Decimal(value) for value in items.values()) == Decimal("80")
    assert score.critical_failed is False
    page = client.get(response["Location"]).content.decode()
    assert "Saved: 80 for 王护理." in page and "Next: score 陈护理" in page
    # Opening the form again shows the score to replace.
    assert "You scored 80 " in client.get(_score_url(world, world.candidate_a)).content.decode()


def test_an_item_above_its_points_is_refused(client, world, rubric_items):
    items = rubric_items(world.session)
    first = next(iter(items))
    items[first] = "99"
    client.force_login(world.staff.skill[0])
    response = client.post(_score_url(world, world.candidate_a), _form_items(items))
    assert response.status_code == 200 and "less than or equal to" in response.content.decode()
    assert not Score.objects.exists()


def test_the_review_panel_gives_one_score_out_of_100(client, session_factory, carer_factory, institution_b, staff_factory):
    session = session_factory(level=2)
    carer = carer_factory(institution=institution_b, years=10, name="资深护理员")
    application = Application.objects.create(
        session=session, person=carer, institution=institution_b, applied_by=carer.user, status=ApplicationStatus.APPROVED,
        is_eligible=True, parts=[Part.THEORY, Part.SKILL, Part.REVIEW],
    )
    staff = staff_factory(session, review=3)
    session.status = SessionStatus.SCORING
    session.save()
    client.force_login(staff.review[0])
    url = reverse("certification:score_candidate", args=[session.public_id, application.public_id, Part.REVIEW])
    content = client.get(url).content.decode()
    assert 'name="value"' in content and 'max="100"' in content
    client.post(url, {"value": "77.5"})
    assert Score.objects.get(application=application, part=Part.REVIEW).value == Decimal("77.5")


def test_an_invigilator_enters_paper_theory_scores_for_their_room(client, world):
    invigilator = world.staff.invigilators[0]
    client.force_login(invigilator)
    url = reverse("certification:assessor_session", args=[world.session.public_id])
    content = client.get(url).content.decode()
    assert "王护理" in content and "陈护理" in content and 'name="value"' in content
    response = client.post(url, {"application": world.candidate_a.public_id, "value": "88"}, follow=True)
    assert "Theory score saved for 王护理: 88" in response.content.decode()
    score = Score.objects.get(application=world.candidate_a, part=Part.THEORY)
    assert score.value == Decimal("88") and score.entered_by == invigilator


# --- Results and sign-off -------------------------------------------------------------------------------


def test_the_results_page_flags_assessors_who_differ_by_more_than_15(client, world, rubric_items):
    _score_everyone(world, rubric_items, shares=(Decimal("0.9"), Decimal("0.7"), Decimal("0.8")))
    client.force_login(world.chief)
    content = client.get(reverse("certification:session_results", args=[world.session.public_id])).content.decode()
    assert "Skill operation assessment: assessors differ by 20.0 points." in content
    assert content.count('class="candidate is-flagged"') == 2
    assert "2 candidates are flagged" in content
    assert "I have reviewed the flagged candidates" in content


def test_no_flag_when_assessors_agree(client, world, rubric_items):
    _score_everyone(world, rubric_items, shares=(Decimal("0.9"), Decimal("0.8"), Decimal("0.85")))
    client.force_login(world.chief)
    content = client.get(reverse("certification:session_results", args=[world.session.public_id])).content.decode()
    assert "is-flagged" not in content and "assessors differ" not in content
    assert "I have reviewed the flagged candidates" not in content


def test_sign_off_by_anyone_but_the_chief_is_refused(client, world, rubric_items, province_admin):
    _score_everyone(world, rubric_items)
    url = reverse("certification:session_sign_off", args=[world.session.public_id])
    client.force_login(province_admin)
    response = client.post(url, follow=True)
    assert "Only the session&#x27;s chief assessor signs it off." in response.content.decode()
    client.force_login(world.staff.skill[0])
    assert client.post(url).status_code == 403
    world.session.refresh_from_db()
    assert world.session.status == SessionStatus.SCORING


def test_the_chief_confirms_the_flags_before_signing_off(client, world, rubric_items):
    _score_everyone(world, rubric_items, shares=(Decimal("0.9"), Decimal("0.7"), Decimal("0.8")))
    url = reverse("certification:session_sign_off", args=[world.session.public_id])
    client.force_login(world.chief)
    response = client.post(url, follow=True)
    assert "Review the flagged candidates and tick the box first." in response.content.decode()
    world.session.refresh_from_db()
    assert world.session.status == SessionStatus.SCORING

    response = client.post(url, {"confirm": "on"}, follow=True)
    world.session.refresh_from_db()
    assert world.session.status == SessionStatus.SIGNED_OFF
    assert "The results are signed off and locked." in response.content.decode()


def test_sign_off_is_refused_while_scores_are_missing(client, world):
    # 王护理 sat the theory exam but has no skill scores yet.
    scoring.theory_score_record(application=world.candidate_a, user=world.staff.invigilators[0], value=70)
    client.force_login(world.chief)
    response = client.post(reverse("certification:session_sign_off", args=[world.session.public_id]), follow=True)
    assert "Scores are missing for: 王护理." in response.content.decode()
    world.session.refresh_from_db()
    assert world.session.status == SessionStatus.SCORING


def test_after_sign_off_a_score_is_refused(client, world, rubric_items):
    _score_everyone(world, rubric_items)
    scoring.session_sign_off(session=world.session, user=world.chief)
    assessor = world.staff.skill[0]
    client.force_login(assessor)
    assert "locked" in client.get(_score_url(world, world.candidate_a)).content.decode()
    response = client.post(_score_url(world, world.candidate_a), _form_items(rubric_items(world.session, "0.5")), follow=True)
    assert "The session&#x27;s results are signed off and locked." in response.content.decode()
    assert Score.objects.get(application=world.candidate_a, part=Part.SKILL, assessor=assessor).value == Decimal("100")


# --- Amendments and the audit log -----------------------------------------------------------------------


@pytest.fixture
def signed_off(world, rubric_items):
    _score_everyone(world, rubric_items, shares=(Decimal("0.8"), Decimal("0.8"), Decimal("0.8")))
    scoring.session_sign_off(session=world.session, user=world.chief)
    return world


def test_the_chief_amends_a_result_and_the_audit_log_shows_it(client, signed_off, province_admin):
    world = signed_off
    client.force_login(world.chief)
    results = client.get(reverse("certification:session_results", args=[world.session.public_id])).content.decode()
    amend_url = reverse("certification:result_amend", args=[world.candidate_a.public_id])
    assert amend_url + "?part=skill" in results

    response = client.post(amend_url, {"part": "skill", "score": "55", "reason": "复核录像：第4项评分有误。"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert entry.before["score"] == "80.0" and entry.after["score"] == "55.0" and entry.actor == world.chief
    world.candidate_a.refresh_from_db()
    assert world.candidate_a.outcome == "failed"

    client.force_login(province_admin)  # the organiser reads the log too
    content = client.get(reverse("certification:audit_log", args=[world.session.public_id])).content.decode()
    assert "王护理" in content and "复核录像：第4项评分有误。" in content
    assert re.search(r"80\.0 ✓</span>\s*→\s*<span class=\"audit-after\">55\.0 ✗", content)
    assert "Skill operation assessment" in content
    results = client.get(reverse("certification:session_results", args=[world.session.public_id])).content.decode()
    assert "amended" in results and "55" in results


def test_an_amendment_needs_a_reason(client, signed_off):
    client.force_login(signed_off.chief)
    response = client.post(
        reverse("certification:result_amend", args=[signed_off.candidate_a.public_id]), {"part": "skill", "score": "55", "reason": ""}
    )
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_only_the_chief_amends(client, signed_off, province_admin):
    url = reverse("certification:result_amend", args=[signed_off.candidate_a.public_id])
    for user in (province_admin, signed_off.staff.skill[0], signed_off.carer_a.user):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, {"part": "skill", "score": "10", "reason": "x"}).status_code == 403
    assert not AuditEntry.objects.exists()


def test_before_sign_off_an_amendment_is_refused(client, world):
    client.force_login(world.chief)
    response = client.get(reverse("certification:result_amend", args=[world.candidate_a.public_id]))
    assert "There is no result of this session to amend" in response.content.decode()


# --- Conflicts of interest: a refused assessor does not see the candidate's name ---------------------------


def _works_at(user, institution):
    PostFactory(person=user.person, kind=PostKind.INSTITUTION_STAFF, institution=institution, start_date=datetime.date(2015, 1, 1))


def test_the_score_page_of_a_candidate_of_ones_own_institution_does_not_name_them(client, world, assessor_factory, institution_a):
    colleague = assessor_factory(institution=institution_a)
    staff_assign(session=world.session, user=colleague, role=StaffRole.SKILL_ASSESSOR)
    client.force_login(colleague)
    response = client.get(_score_url(world, world.candidate_a))
    assert response.status_code == 403 and "王护理" not in response.content.decode()


def test_an_invigilator_does_not_see_or_score_a_candidate_of_their_own_institution(client, world, assessor_factory, institution_a):
    colleague = assessor_factory(institution=institution_a)
    staff_assign(session=world.session, user=colleague, role=StaffRole.INVIGILATOR, room=world.staff.room)
    client.force_login(colleague)
    url = reverse("certification:assessor_session", args=[world.session.public_id])
    content = client.get(url).content.decode()
    assert "陈护理" in content and "王护理" not in content
    assert "1 candidate from your own institution is scored by others." in content
    response = client.post(url, {"application": world.candidate_a.public_id, "value": "100"}, follow=True)
    content = response.content.decode()
    assert "This candidate is from your own institution" in content and "王护理" not in content
    assert not Score.objects.filter(application=world.candidate_a).exists()


def test_a_chief_of_a_candidates_institution_sees_neither_their_result_nor_their_amendments(
    client, signed_off, institution_a
):
    world = signed_off
    client.force_login(world.chief)
    scoring.result_amend(application=world.candidate_a, part=Part.SKILL, score=70, user=world.chief, reason="复核")
    _works_at(world.chief, institution_a)
    results = client.get(reverse("certification:session_results", args=[world.session.public_id])).content.decode()
    assert "陈护理" in results and "王护理" not in results
    assert "1 candidate from your own institution is not shown." in results
    log = client.get(reverse("certification:audit_log", args=[world.session.public_id])).content.decode()
    assert "王护理" not in log
    amend_url = reverse("certification:result_amend", args=[world.candidate_a.public_id])
    response = client.get(amend_url)
    assert response.status_code == 403 and "王护理" not in response.content.decode()
    response = client.post(amend_url, {"part": "skill", "score": "100", "reason": "复核"})
    assert response.status_code == 403 and AuditEntry.objects.count() == 1


def test_the_organiser_approves_an_amendment_that_turns_a_fail_into_a_pass(client, signed_off, province_admin):
    world = signed_off
    scoring.result_amend(application=world.candidate_b, part=Part.THEORY, score=40, user=world.chief, reason="错录")
    world.candidate_b.refresh_from_db()
    assert world.candidate_b.outcome == "failed"
    client.force_login(world.chief)
    response = client.post(
        reverse("certification:result_amend", args=[world.candidate_b.public_id]),
        {"part": "theory", "score": "80", "reason": "复核试卷：原分数无误。"}, follow=True,
    )
    assert "waits for the organiser&#x27;s approval" in response.content.decode()
    world.candidate_b.refresh_from_db()
    assert world.candidate_b.outcome == "failed"
    entry = AuditEntry.objects.get(status=AmendmentStatus.PENDING)
    decide_url = reverse("certification:amendment_decide", args=[entry.pk])
    # The chief cannot approve their own amendment.
    assert client.post(decide_url, {"decision": "approve"}).status_code == 403

    client.force_login(province_admin)
    detail = client.get(reverse("certification:session_detail", args=[world.session.public_id])).content.decode()
    assert "1 amendment waits for your approval" in detail
    log = client.get(reverse("certification:audit_log", args=[world.session.public_id])).content.decode()
    assert "Waiting for approval" in log and decide_url in log
    response = client.post(decide_url, {"decision": "approve", "reason": ""}, follow=True)
    assert response.status_code == 200 and "approved" in response.content.decode()
    world.candidate_b.refresh_from_db()
    assert world.candidate_b.outcome == "passed"
    log = client.get(reverse("certification:audit_log", args=[world.session.public_id])).content.decode()
    assert province_admin.display_name in log
