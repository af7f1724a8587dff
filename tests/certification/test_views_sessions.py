"""The organiser's pages: sessions in and out of scope, creating and editing, decisions on applications,
rooms and seating, staff, opening scoring, and certificates once signed off."""
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page

from academy.organisation.models import Region
from certification.models import (
    Application, ApplicationStatus, AssessmentSession, Certificate, CentreKind, RuleSet,
    SessionStatus, StaffAssignment, StaffRole,
)
from certification.scoring import session_open_scoring
from courses.models import ExamPage
from tests.factories import AssessmentCentreFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db

SESSION_PAGES = ["certification:session_detail", "certification:session_edit", "certification:session_staff"]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def session(session_factory):
    return session_factory(level=5, title="护理员五级认定第1期")


@pytest.fixture
def organiser(client, province_admin):
    client.force_login(province_admin)
    return province_admin


@pytest.fixture
def hangzhou_centre(db):
    return AssessmentCentreFactory(
        name="杭州市职业技能鉴定站", kind=CentreKind.EMPLOYER, organisation_code="0002", site_serial="330100",
        region=Region.objects.get(code="3301"), verification_note="",
    )


def _form_data(centre, **changes):
    start = timezone.localtime() + datetime.timedelta(days=30)
    data = {
        "centre": centre.pk, "level": "5", "title": "护理员五级认定第2期", "venue": "省福利院三楼",
        "applications_close_on": (start.date() - datetime.timedelta(days=10)).isoformat(),
        "theory_starts_at": start.strftime("%Y-%m-%dT09:00"), "theory_ends_at": start.strftime("%Y-%m-%dT11:00"),
        "skill_date": (start.date() + datetime.timedelta(days=1)).isoformat(), "review_date": "",
        "capacity": "30", "theory_exam": "",
    }
    data.update(changes)
    return data


# --- Who may use the organiser pages --------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, session):
    for url in [reverse("certification:session_list"), reverse("certification:session_create")] + [
        reverse(name, args=[session.public_id]) for name in SESSION_PAGES
    ]:
        response = client.get(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"], url


@pytest.mark.parametrize("role", ["trainee", "assessor", "editor"])
def test_people_who_are_not_administrators_are_refused(client, session, role):
    client.force_login(user_with_role(role))
    assert client.get(reverse("certification:session_list")).status_code == 403
    assert client.get(reverse("certification:session_create")).status_code == 403
    for name in SESSION_PAGES:
        assert client.get(reverse(name, args=[session.public_id])).status_code == 403, name


def test_a_chief_assessor_does_not_manage_the_session(client, scoring_session):
    client.force_login(scoring_session.chief)
    for name in SESSION_PAGES:
        assert client.get(reverse(name, args=[scoring_session.session.public_id])).status_code == 403


def test_the_province_administrator_manages_the_province_centre_sessions(client, organiser, session):
    content = client.get(reverse("certification:session_list")).content.decode()
    assert session.title in content
    for name in SESSION_PAGES:
        assert client.get(reverse(name, args=[session.public_id])).status_code == 200, name


def test_a_city_administrator_manages_only_their_city_centre(client, session, session_factory, hangzhou_centre):
    hangzhou_session = session_factory(centre=hangzhou_centre, title="杭州市护理员认定")
    hangzhou_admin = user_with_role("city_admin")  # 杭州市
    client.force_login(hangzhou_admin)
    content = client.get(reverse("certification:session_list")).content.decode()
    assert hangzhou_session.title in content and session.title not in content
    assert client.get(reverse("certification:session_detail", args=[hangzhou_session.public_id])).status_code == 200
    assert client.get(reverse("certification:session_detail", args=[session.public_id])).status_code == 403

    client.force_login(user_with_role("city_admin", admin_region_code="3302"))  # 宁波市
    assert hangzhou_session.title not in client.get(reverse("certification:session_list")).content.decode()
    for name in SESSION_PAGES:
        assert client.get(reverse(name, args=[hangzhou_session.public_id])).status_code == 403, name
    application_decide = reverse("certification:session_open_scoring", args=[hangzhou_session.public_id])
    assert client.post(application_decide).status_code == 403


# --- Creating and editing -------------------------------------------------------------------------------


def test_an_administrator_creates_a_session_under_the_current_rules(client, organiser, centre, rule_set):
    response = client.post(reverse("certification:session_create"), _form_data(centre))
    session = AssessmentSession.objects.get(title="护理员五级认定第2期")
    assert response.status_code == 302 and response["Location"] == session.get_absolute_url()
    assert session.rule_set == rule_set and session.created_by == organiser
    assert session.status == SessionStatus.OPEN and session.theory_code == ""


def test_an_online_theory_exam_gets_a_code(client, organiser, centre, rule_set):
    exam = Page.get_first_root_node().add_child(instance=ExamPage(title="护理员理论考试", slug="cert-theory"))
    client.post(reverse("certification:session_create"), _form_data(centre, theory_exam=exam.pk))
    session = AssessmentSession.objects.get()
    assert len(session.theory_code) == 6
    assert session.theory_code in client.get(session.get_absolute_url()).content.decode()


def test_no_session_is_created_without_published_rules(client, organiser, centre):
    RuleSet.objects.all().delete()  # migrate publishes version 1: start from none
    assert "No certification rules are published yet" in client.get(reverse("certification:session_create")).content.decode()
    response = client.post(reverse("certification:session_create"), _form_data(centre))
    assert "No certification rules are published yet" in response.content.decode()
    assert not AssessmentSession.objects.exists()


def test_levels_2_and_1_need_a_review_date(client, organiser, centre, rule_set):
    response = client.post(reverse("certification:session_create"), _form_data(centre, level="2"))
    assert "Levels 2 and 1 have a comprehensive review" in response.content.decode()
    assert not AssessmentSession.objects.exists()


def test_an_administrator_offers_only_centres_in_scope(client, centre, hangzhou_centre, rule_set):
    client.force_login(user_with_role("city_admin"))  # 杭州市
    response = client.post(reverse("certification:session_create"), _form_data(centre))
    assert response.status_code == 200 and not AssessmentSession.objects.exists()
    assert hangzhou_centre.name in response.content.decode()


def test_the_organiser_closes_applications(client, organiser, session):
    response = client.post(
        reverse("certification:session_edit", args=[session.public_id]),
        _form_data(session.centre, title=session.title, status=SessionStatus.CLOSED),
    )
    session.refresh_from_db()
    assert response.status_code == 302 and session.status == SessionStatus.CLOSED


# --- Decisions ------------------------------------------------------------------------------------------


def _apply(session, person):
    from certification import applications

    return applications.application_create(session=session, person=person, applied_by=person.user)


def test_the_organiser_approves_and_the_applicant_sees_it(client, organiser, session, carer_factory):
    carer = carer_factory(name="王护理")
    application = _apply(session, carer)
    content = client.get(session.get_absolute_url()).content.decode()
    assert "王护理" in content and "✓ Eligible" in content
    response = client.post(reverse("certification:application_decide", args=[application.public_id]), {"decision": "approve"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED

    client.force_login(carer.user)
    assert "Approved" in client.get(reverse("certification:home")).content.decode()


def test_a_rejection_needs_a_reason_which_the_applicant_reads(client, organiser, session, carer_factory):
    carer = carer_factory()
    application = _apply(session, carer)
    url = reverse("certification:application_decide", args=[application.public_id])
    response = client.post(url, {"decision": "reject", "reason": "  "}, follow=True)
    assert "Give the reason for the rejection." in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED

    client.post(url, {"decision": "reject", "reason": "身份证复印件不清晰，请重新提交。"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    client.force_login(carer.user)
    content = client.get(reverse("certification:home")).content.decode()
    assert "Rejected" in content and "身份证复印件不清晰，请重新提交。" in content


def test_an_ineligible_applicant_cannot_be_approved(client, organiser, session, carer_factory):
    carer = carer_factory(hours=20, name="学时不足")
    application = _apply(session, carer)
    assert "✗ Not eligible" in client.get(session.get_absolute_url()).content.decode()
    response = client.post(
        reverse("certification:application_decide", args=[application.public_id]), {"decision": "approve"}, follow=True
    )
    assert "学时不足: The applicant does not meet the eligibility rules." in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_an_administrator_out_of_scope_cannot_decide(client, session, carer_factory):
    application = _apply(session, carer_factory())
    client.force_login(user_with_role("city_admin", admin_region_code="3302"))
    url = reverse("certification:application_decide", args=[application.public_id])
    assert client.post(url, {"decision": "approve"}).status_code == 403
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


# --- Rooms, staff, opening scoring ----------------------------------------------------------------------


def test_rooms_are_added_and_candidates_seated(client, organiser, session, carer_factory, make_candidate):
    for _ in range(3):
        make_candidate(session, carer_factory())
    url = session.get_absolute_url()
    client.post(url, {"action": "add_room", "name": "201", "capacity": "2"})
    client.post(url, {"action": "add_room", "name": "202", "capacity": "2"})
    response = client.post(url, {"action": "seat"}, follow=True)
    assert "3 candidates seated." in response.content.decode()
    assert "2 seated of 2" in response.content.decode() and "1 seated of 2" in response.content.decode()
    assert not Application.objects.filter(session=session, room__isnull=True).exists()


def test_opening_scoring_is_refused_while_the_staffing_rules_fail(client, organiser, session, carer_factory, make_candidate):
    make_candidate(session, carer_factory())
    response = client.post(reverse("certification:session_open_scoring", args=[session.public_id]), follow=True)
    content = response.content.decode()
    assert "Scoring cannot open yet" in content
    assert "The session needs one chief assessor." in content
    assert "At least 3 of role Skill assessor are needed; there are 0." in content
    session.refresh_from_db()
    assert session.status == SessionStatus.OPEN


def test_scoring_opens_when_the_session_is_staffed(client, organiser, session, carer_factory, make_candidate, staff_factory):
    make_candidate(session, carer_factory())
    staff_factory(session)
    client.post(session.get_absolute_url(), {"action": "seat"})
    assert "The staffing rules are met." in client.get(session.get_absolute_url()).content.decode()
    response = client.post(reverse("certification:session_open_scoring", args=[session.public_id]), follow=True)
    assert "Scoring is open" in response.content.decode()
    session.refresh_from_db()
    assert session.status == SessionStatus.SCORING


def test_the_staff_page_finds_assessors_and_shows_their_institution(client, organiser, session, assessor_factory, institution_b):
    assessor = assessor_factory(institution=institution_b, name="周考评")
    assessor_factory(name="吴考评")
    url = reverse("certification:session_staff", args=[session.public_id])
    content = client.get(url, {"q": "周"}).content.decode()
    assert "周考评" in content and "吴考评" not in content and institution_b.name in content
    assert "周考评" in client.get(url, {"q": assessor.phone}).content.decode()

    client.post(url, {"action": "add", "user": assessor.pk, "role": StaffRole.SKILL_ASSESSOR})
    assert StaffAssignment.objects.filter(session=session, user=assessor, role=StaffRole.SKILL_ASSESSOR).exists()
    assert "周考评" in client.get(url).content.decode()


def test_staffing_refusals_are_shown(client, organiser, session, assessor_factory):
    first, second, invigilator = assessor_factory(), assessor_factory(), assessor_factory()
    url = reverse("certification:session_staff", args=[session.public_id])
    client.post(url, {"action": "add", "user": first.pk, "role": StaffRole.CHIEF})
    response = client.post(url, {"action": "add", "user": second.pk, "role": StaffRole.CHIEF}, follow=True)
    assert f"The session already has a chief assessor: {first.display_name}." in response.content.decode()

    client.post(session.get_absolute_url(), {"action": "add_room", "name": "101", "capacity": "20"})
    response = client.post(url, {"action": "add", "user": invigilator.pk, "role": StaffRole.INVIGILATOR}, follow=True)
    assert "Choose the room this invigilator watches." in response.content.decode()
    assert StaffAssignment.objects.filter(session=session).count() == 1


def test_only_assessors_can_be_assigned(client, organiser, session):
    not_assessor = UserFactory()
    url = reverse("certification:session_staff", args=[session.public_id])
    response = client.post(url, {"action": "add", "user": not_assessor.pk, "role": StaffRole.SKILL_ASSESSOR}, follow=True)
    assert "Choose an assessor from the list." in response.content.decode()
    assert not StaffAssignment.objects.exists()


def test_staff_are_removed_before_scoring(client, organiser, session, assessor_factory):
    assessor = assessor_factory()
    url = reverse("certification:session_staff", args=[session.public_id])
    client.post(url, {"action": "add", "user": assessor.pk, "role": StaffRole.SKILL_ASSESSOR})
    assignment = StaffAssignment.objects.get()
    client.post(url, {"action": "remove", "assignment": assignment.pk})
    assert not StaffAssignment.objects.exists()


# --- Signed off ------------------------------------------------------------------------------------------


def test_a_signed_off_session_offers_issuing_and_lists_certificates(client, organiser, scoring_session):
    session = scoring_session.session
    session.status = SessionStatus.SIGNED_OFF
    session.save()
    Certificate.objects.create(
        number="S000133330001265000001", application=scoring_session.candidate_a, person=scoring_session.carer_a,
        level=5, holder_name="王护理", issuer=session.centre.name, issued_on=timezone.localdate(),
    )
    content = client.get(session.get_absolute_url()).content.decode()
    assert reverse("certification:issue_start", args=[session.public_id]) in content
    assert "S000133330001265000001" in content and "王护理" in content and "Valid" in content
    assert "Open scoring" not in content


def test_a_session_in_scoring_takes_no_more_decisions(client, organiser, scoring_session):
    content = client.get(scoring_session.session.get_absolute_url()).content.decode()
    assert reverse("certification:application_decide", args=[scoring_session.candidate_a.public_id]) not in content
    response = client.post(
        reverse("certification:application_decide", args=[scoring_session.candidate_a.public_id]),
        {"decision": "reject", "reason": "x"}, follow=True,
    )
    assert "Scoring has started" in response.content.decode()


def test_scoring_session_fixture_really_opened_scoring(scoring_session):
    # Guards the shared fixture the other certification tests rely on.
    assert scoring_session.session.status == SessionStatus.SCORING
    session_open_scoring(session=scoring_session.session)  # idempotent
