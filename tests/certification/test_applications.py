import datetime

import pytest
from django.db import connection
from django.utils import timezone

from academy.accounts.models import Notification
from academy.organisation.models import PostKind
from certification import applications
from certification.applications import ApplicationRefused
from certification.certificates import certificate_issue, certificate_revoke
from certification.models import Application, ApplicationStatus
from tests.factories import PostFactory, UserFactory, make_application, make_session, user_with_role
from tests.races import race

pytestmark = pytest.mark.django_db


@pytest.fixture
def head(db, institution_a):
    post = PostFactory(kind=PostKind.INSTITUTION_HEAD, institution=institution_a, region=institution_a.region)
    return UserFactory(person=post.person)


def test_a_head_applies_for_the_carers_of_their_home_only(session_factory, carer_factory, head, institution_b):
    session = session_factory(level=5)
    own_carer = carer_factory()
    other_carer = carer_factory(institution=institution_b)
    assert set(applications.people_user_may_apply_for(head, on=timezone.localdate())) == {own_carer, head.person}
    application = applications.application_create(session=session, person=own_carer, applied_by=head)
    assert application.applied_by == head and application.institution.pk == own_carer.posts.get().institution_id
    with pytest.raises(ApplicationRefused, match="institution you head"):
        applications.application_create(session=session, person=other_carer, applied_by=head)


def test_one_application_per_session_and_only_while_open(session_factory, carer_factory, head):
    carer = carer_factory()
    session = session_factory(level=5)
    applications.application_create(session=session, person=carer, applied_by=carer.user)
    # The head of her home applies for her too: refused, naming the application already made.
    with pytest.raises(ApplicationRefused) as refused:
        applications.application_create(session=session, person=carer, applied_by=head)
    assert str(refused.value) == (
        f"{carer.name} has already applied for this session: applied on {timezone.localdate().isoformat()} "
        f"by {carer.name}."
    )
    assert Application.objects.get(session=session, person=carer).applied_by == carer.user
    closed = session_factory(level=5, applications_close_on=timezone.localdate() - datetime.timedelta(days=1))
    with pytest.raises(ApplicationRefused, match="not open"):
        applications.application_create(session=closed, person=carer, applied_by=carer.user)


def test_external_hours_need_a_proof(session_factory, carer_factory):
    carer = carer_factory()
    with pytest.raises(ApplicationRefused, match="proof"):
        applications.application_create(session=session_factory(), person=carer, applied_by=carer.user, external_hours=20)


def test_the_organiser_approves_or_rejects_with_a_reason_and_the_applicant_is_told(
    session_factory, carer_factory, province_admin, django_capture_on_commit_callbacks
):
    session = session_factory(level=5)
    carer = carer_factory()
    application = applications.application_create(session=session, person=carer, applied_by=carer.user)
    with pytest.raises(ApplicationRefused, match="reason"):
        applications.application_decide(application=application, user=province_admin, approve=False, reason=" ")
    outsider = user_with_role("city_admin", admin_region_code="3302")
    with pytest.raises(ApplicationRefused, match="organise"):
        applications.application_decide(application=application, user=outsider, approve=True)
    with django_capture_on_commit_callbacks(execute=True):
        applications.application_decide(application=application, user=province_admin, approve=False, reason="材料不全")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED and application.decision_reason == "材料不全"
    notification = Notification.objects.get(user=carer.user)
    assert session.title in notification.title and notification.body == "材料不全"


def test_an_ineligible_application_is_not_approved_nor_one_over_capacity(
    session_factory, carer_factory, province_admin
):
    session = session_factory(level=5, capacity=1)
    short = carer_factory(hours=10)
    application = applications.application_create(session=session, person=short, applied_by=short.user)
    assert not application.is_eligible
    with pytest.raises(ApplicationRefused, match="eligibility"):
        applications.application_decide(application=application, user=province_admin, approve=True)
    first, second = carer_factory(), carer_factory()
    for person in (first, second):
        applications.application_create(session=session, person=person, applied_by=person.user)
    applications.application_decide(application=first.certification_applications.get(), user=province_admin, approve=True)
    with pytest.raises(ApplicationRefused, match="full"):
        applications.application_decide(application=second.certification_applications.get(), user=province_admin, approve=True)


def test_only_the_applicant_or_the_organiser_withdraws(session_factory, carer_factory, province_admin):
    session = session_factory(level=5)
    carer, stranger = carer_factory(), carer_factory()
    application = applications.application_create(session=session, person=carer, applied_by=carer.user)
    with pytest.raises(ApplicationRefused):
        applications.application_withdraw(application=application, user=stranger.user)
    applications.application_withdraw(application=application, user=carer.user)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    # Withdrawn, the carer may apply again.
    again = applications.application_create(session=session, person=carer, applied_by=carer.user)
    assert again.pk == application.pk and again.status == ApplicationStatus.SUBMITTED


def test_a_level_whose_valid_certificate_is_held_is_not_applied_for_until_it_is_revoked(
    session_factory, carer_factory, county_centre, admin_user,
):
    carer = carer_factory()
    held = certificate_issue(application=make_application(make_session(county_centre, level=5), person=carer))
    session = session_factory(level=5)
    with pytest.raises(ApplicationRefused) as refused:
        applications.application_create(session=session, person=carer, applied_by=carer.user)
    assert str(refused.value) == (
        f"{carer.name} already holds the valid certificate {held.number} of this level: a second one is not issued."
    )
    # A higher level is applied for as before, and the same level again once the certificate is revoked.
    applications.application_create(session=session_factory(level=4), person=carer, applied_by=carer.user)
    certificate_revoke(certificate=held, user=admin_user, reason="证书信息有误，重新认定")
    assert applications.application_create(session=session, person=carer, applied_by=carer.user).pk


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections at once need PostgreSQL")
def test_the_carer_and_the_head_of_her_home_applying_at_once_make_one_application(
    zhejiang_regions, session_factory, carer_factory, head,
):
    # Before, the second application silently replaced the first (who applied, the proof, the photo).
    carer = carer_factory()
    session = session_factory(level=5)
    first, second = race(
        lambda: applications.application_create(session=session, person=carer, applied_by=carer.user),
        lambda: applications.application_create(session=session, person=carer, applied_by=head),
    )
    assert isinstance(first, Application)
    assert isinstance(second, ApplicationRefused)
    assert str(second) == (
        f"{carer.name} has already applied for this session: applied on {timezone.localdate().isoformat()} "
        f"by {carer.name}."
    )
    assert Application.objects.get(session=session, person=carer).applied_by == carer.user
